/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "log.h"
#include "manager-internal.h"
#include "messages.h"

static const char *const pub_keys[_PUB_MAX] = {
        [PUB_TARGET] = "data/selfballoon/target_kb",
        [PUB_GOAL] = "data/selfballoon/goal_kb",
        [PUB_FLOOR] = "data/selfballoon/floor_kb",
        [PUB_BACKEND] = "data/selfballoon/backend",
        [PUB_STATUS] = "data/selfballoon/status",
};

const char *status_of(const struct manager *m)
{
        if (m->opt.dry_run)
                return "dry-run";
        return m->stalled ? "stalled" : "running";
}

void publish(struct manager *m, int key, const char *value)
{
        int r;

        if (!m->store || m->opt.dry_run || strcmp(m->published[key], value) == 0)
                return;
        /* telemetry only: a refusal costs nothing but this key */
        r = store_check(m, store_write_string(m->store, pub_keys[key], value));
        if (r < 0)
                return;
        snprintf(m->published[key], sizeof(m->published[key]), "%s", value);
}

void publish_u64(struct manager *m, int key, uint64_t v)
{
        char buf[24];

        if (!m->store || m->opt.dry_run)
                return;
        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        publish(m, key, buf);
}


static void store_drop(struct manager *m, int error)
{
        if (!m->store)
                return;
        store_free(m->store);
        m->store = NULL;
        memset(m->published, 0, sizeof(m->published));
        /* xs_target_seen stays: a toolstack write made while we were away
         * is recognised when we are back */
        if (!m->store_lost_logged) {
                log_warning("xenstore connection lost (%s); %s until it is back", strerror(-error),
                            m->cfg.backend == SB_BACKEND_XENSTORE
                                    ? "targets cannot be written"
                                    : "the balloon is driven through sysfs");
                m->store_lost_logged = true;
        }
}

/* A failed xenstore call: drop the connection if it is gone. */
int store_check(struct manager *m, int r)
{
        if (r < 0 && store_error_is_disconnect(r))
                store_drop(m, r);
        return r;
}

/* memory/target changed, and not by us: the toolstack is in charge. */
static void toolstack_target(struct manager *m, uint64_t v)
{
        int64_t c = (int64_t)v - m->xs_offset_kb;
        struct log_field f = { .name = "SELFBALLOON_CEILING_KB" };

        m->ceiling = true;
        m->ceiling_kb = c > 0 ? (uint64_t)c : 0;
        m->ceiling_below_floor_logged = false;
        snprintf(f.value, sizeof(f.value), "%" PRIu64, m->ceiling_kb);
        log_fields(LOG_NOTICE, SB_MESSAGE_CEILING, &f, 1,
                   "the toolstack set memory/target to %" PRIu64 " kB: targets stay at or below "
                   "%" PRIu64 " kB until it sets another",
                   v, m->ceiling_kb);
}

/* A value of memory/target as read now: the toolstack's if we did not write it. */
static void saw_xs_target(struct manager *m, uint64_t v)
{
        if (m->xs_target_known && v != m->xs_target_seen &&
            !(m->xs_written && v == m->xs_last_written))
                toolstack_target(m, v);
        m->xs_target_seen = v;
        m->xs_target_known = true;
}

int store_connect(struct manager *m)
{
        uint64_t v;
        int r;

        if (m->store)
                return 0;
        r = store_open(&m->store);
        if (r < 0)
                return r;
        r = store_watch(m->store, "memory/target", "target");
        if (r < 0) {
                store_free(m->store);
                m->store = NULL;
                return r;
        }
        /* after a migration the domain (and its static-max) may differ */
        if (store_read_u64(m->store, "memory/static-max", &v) == 0 && v > 0) {
                m->max_kb = v;
                m->max_from_store = true;
        }
        if (store_domid(m->store) != m->xs_domid) {
                m->xs_target_known = false; /* another domain: no history */
                m->xs_written = false;
                m->xs_domid = store_domid(m->store);
        }
        if (store_read_u64(m->store, "memory/target", &v) == 0)
                saw_xs_target(m, v);
        if (m->store_lost_logged) {
                log_notice("xenstore connection back (domid %d)", store_domid(m->store));
                m->store_lost_logged = false;
        }
        return 0;
}

int manager_connect(struct manager *m)
{
        return store_connect(m);
}

int manager_watch_fd(const struct manager *m)
{
        return m->store ? store_fd(m->store) : -1;
}

void manager_process_watch(struct manager *m, uint64_t now_usec)
{
        char token[16];
        uint64_t v;
        int r;

        while (m->store && (r = store_next_watch(m->store, token, sizeof(token))) != 0) {
                if (r < 0) {
                        store_check(m, r);
                        return;
                }
                if (store_check(m, store_read_u64(m->store, "memory/target", &v)) < 0)
                        continue;
                saw_xs_target(m, v);
        }
}

/* Hands the balloon a target through the configured backend. With "auto",
 * xenstore first; on EACCES the sysfs file, and xenstore again a minute on. */
int apply_target(struct manager *m, uint64_t kb, uint64_t now_usec)
{
        struct backend_ctx ctx = {
                .root_fd = m->opt.root_fd,
                .store = m->store,
                .xs_offset_kb = m->xs_offset_kb,
                .xs_guard = m->xs_target_known,
                .xs_expect_kb = m->xs_target_seen,
        };
        bool try_xs = m->cfg.backend == SB_BACKEND_XENSTORE ||
                      (m->cfg.backend == SB_BACKEND_AUTO && m->store &&
                       (!m->xs_denied || now_usec >= m->xs_retry_usec));
        int r;

        if (try_xs) {
                r = store_check(m, backend_xenstore.set_target_kb(&ctx, kb));
                if (r == -ESTALE) {
                        /* the toolstack wrote first: its value stands, and
                         * the next tick decides under it */
                        saw_xs_target(m, ctx.xs_found_kb);
                        return r;
                }
                if (r == 0) {
                        if (m->xs_denied)
                                log_msg(LOG_NOTICE, SB_MESSAGE_GRANTED,
                                        "memory/target is writable now: using xenstore");
                        m->xs_denied = false;
                        m->xs_written = true;
                        m->xs_last_written = (uint64_t)((int64_t)kb + m->xs_offset_kb);
                        m->xs_target_seen = m->xs_last_written;
                        m->xs_target_known = true;
                        m->backend = backend_xenstore.name;
                        return 0;
                }
                if (m->cfg.backend == SB_BACKEND_XENSTORE)
                        return r;
                if (r == -EACCES || r == -EPERM) {
                        if (!m->xs_denied) {
                                int d = m->store ? store_domid(m->store) : -1;
                                char dom[16];

                                snprintf(dom, sizeof(dom), d >= 0 ? "%d" : "<domid>", d);
                                log_msg(LOG_WARNING, SB_MESSAGE_FALLBACK,
                                        "xenstore refuses the guest's write to memory/target "
                                        "(libxl makes it read-only for guests): driving the "
                                        "balloon through sysfs target_kb instead; to let the "
                                        "toolstack see the guest's targets, run in dom0: "
                                        "xenstore-chmod /local/domain/%s/memory/target n0 b%s",
                                        dom, dom);
                        }
                        m->xs_denied = true;
                        m->xs_retry_usec = now_usec + XS_DENIED_RETRY_USEC;
                }
        }
        r = backend_sysfs.set_target_kb(&ctx, kb);
        if (r == 0)
                m->backend = backend_sysfs.name;
        return r;
}
