/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"
#include "log.h"
#include "manager-internal.h"
#include "messages.h"

static void helper_failure(struct manager *m, bool *failed, const char *what, int r,
                           const char *consequence)
{
        if (*failed)
                return;
        *failed = true;
        log_msg(LOG_WARNING, SB_MESSAGE_FRONTSWAP, "frontswap helper in %s: cannot %s: %s; %s",
                m->cfg.helper_dir, what, r == -EBADMSG ? "unexpected content" : strerror(-r),
                consequence);
}

/* A frontswap count joins the observation only when the helper answers;
 * a helper that fails is left out of the goal, as on a kernel without one. */
void observe_frontswap(struct manager *m, struct sb_observation *o)
{
        uint64_t pages;
        int r;

        if (!m->helper_active || !m->cfg.settings.frontswap_selfshrink)
                return;
        r = helper_read_pages(m->opt.root_fd, m->cfg.helper_dir, &pages);
        if (r < 0) {
                helper_failure(m, &m->helper_read_failed, "read the frontswap count", r,
                               "deciding without frontswap until it answers again");
                return;
        }
        if (m->helper_read_failed) {
                log_msg(LOG_NOTICE, SB_MESSAGE_FRONTSWAP, "frontswap helper answers again");
                m->helper_read_failed = false;
        }
        o->has_frontswap = true;
        o->frontswap_pages = pages;
}

void act_frontswap(struct manager *m, const struct sb_observation *o,
                          const struct sb_decision *d)
{
        int r;

        if (!d->frontswap_shrink)
                return;
        /* a shrink that timed out at this count would spin 2 s again for
         * nothing: wait until the count moves */
        if (m->shrink_stuck && o->frontswap_pages == m->shrink_stuck_pages)
                return;
        m->shrink_stuck = false;
        log_msg(LOG_INFO, SB_MESSAGE_FRONTSWAP,
                "%sshrinking frontswap from %" PRIu64 " to %" PRIu64 " pages",
                m->opt.dry_run ? "dry run: " : "", o->frontswap_pages, d->frontswap_target_pages);
        if (m->opt.dry_run)
                return;
        r = helper_shrink(m->opt.root_fd, m->cfg.helper_dir, d->frontswap_target_pages);
        if (r == -ETIMEDOUT) {
                m->shrink_stuck = true;
                m->shrink_stuck_pages = o->frontswap_pages;
        }
        if (r == -ETIMEDOUT)
                helper_failure(m, &m->helper_shrink_failed, "shrink frontswap", r,
                               "the kernel was still trying after " STRINGIFY(
                                       HELPER_SHRINK_TIMEOUT_SEC) " s (swap entries held in "
                               "its slot caches cannot come back) and was interrupted; "
                               "frontswap keeps what it did not bring back; no shrink is "
                               "tried again until the count changes, nor reported until "
                               "one finishes");
        else if (r < 0)
                helper_failure(m, &m->helper_shrink_failed, "shrink frontswap", r,
                               "frontswap keeps its pages; later shrinks are tried but not "
                               "reported until one succeeds");
        else
                m->helper_shrink_failed = false;
}

/* Says once, at start or reload, whether the frontswap path is active. */
void probe_helper(struct manager *m)
{
        uint64_t version = 0;
        int r;

        m->helper_active = false;
        m->helper_read_failed = false;
        m->helper_shrink_failed = false;
        if (!m->cfg.settings.frontswap_selfshrink)
                return;
        r = helper_probe(m->opt.root_fd, m->cfg.helper_dir, &version);
        if (r == 0) {
                m->helper_active = true;
                log_msg(LOG_INFO, SB_MESSAGE_FRONTSWAP,
                        "frontswap self-shrinking active through the helper in %s",
                        m->cfg.helper_dir);
        } else if (r == -ENOENT) {
                /* the common case (no frontswap since Linux 6.6): not worth a
                 * line above debug at every start */
                log_msg(LOG_DEBUG, SB_MESSAGE_FRONTSWAP,
                        "frontswap self-shrinking inactive: no helper in %s (load the "
                        "selfballoon_frontswap module; only Linux 3.5 to 5.16 can shrink "
                        "frontswap, 5.17+ have no frontswap_shrink, 6.6+ no frontswap)",
                        m->cfg.helper_dir);
        } else if (r == -EPROTO) {
                log_msg(LOG_WARNING, SB_MESSAGE_FRONTSWAP,
                        "frontswap self-shrinking inactive: the helper in %s speaks version %" PRIu64
                        ", this daemon version %d",
                        m->cfg.helper_dir, version, HELPER_ABI_VERSION);
        } else {
                log_msg(LOG_WARNING, SB_MESSAGE_FRONTSWAP,
                        "frontswap self-shrinking inactive: cannot read %s/version: %s",
                        m->cfg.helper_dir, r == -EBADMSG ? "unexpected content" : strerror(-r));
        }
}
