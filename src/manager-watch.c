/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The watch: looks between ticks that only ever raise the target, at a
 * period set by the head room (policy_watch_period_ms()). Owns the
 * manager's watch_period_ms; everything else it reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "log.h"
#include "manager-internal.h"
#include "messages.h"

void manager_note_watch_period(struct manager *m, const struct sb_observation *o)
{
        m->watch_period_ms = m->cfg.settings.enabled && m->cfg.settings.watch
                                     ? policy_watch_period_ms(&m->cfg.settings, o)
                                     : 0;
}

uint64_t manager_watch_period_ms(const struct manager *m)
{
        return m->watch_period_ms;
}

/*
 * Between ticks: look again and raise the target at once if the watch asks
 * for more than the balloon has been told. It never lowers anything and
 * leaves the tick's state (stall counting, frontswap, the reading-failure
 * streak) alone: the next tick decides as usual.
 */
int manager_watch(struct manager *m, uint64_t now_usec, bool brake_held, uint64_t *ret_written_kb)
{
        struct sb_observation o;
        struct sb_decision d;
        struct meminfo mi;
        uint64_t balloon_target_kb, target_kb;
        const char *what;
        int r;

        *ret_written_kb = 0;
        if (!m->cfg.settings.enabled || (!m->cfg.settings.watch && !brake_held)) {
                m->watch_period_ms = 0; /* off since a reload: no more looks */
                return 0;
        }
        r = manager_observe(m, now_usec, false, &o, &mi, &balloon_target_kb, &what);
        if (r < 0) {
                m->watch_period_ms = 0; /* blind: no looks until a tick reads again */
                return r;               /* the next tick reports it */
        }
        manager_note_watch_period(m, &o);
        o.brake_held = brake_held;
        r = policy_decide_watch(&m->cfg.settings, &m->policy, &o, m->opt.page_size,
                                balloon_target_kb, &d);
        if (r < 0 || !d.balloon || !d.watch_raise)
                return r;
        if (!manager_clamp(m, &d, o.balloon_current_kb, false, &target_kb) ||
            target_kb <= balloon_target_kb)
                return 0;
        if (!m->opt.dry_run) {
                r = toolstack_apply(m->ts, target_kb, now_usec);
                if (r < 0) {
                        if (r != -ESTALE)
                                log_msg(LOG_ERR, SB_MESSAGE_WRITE_FAILED,
                                        "sudden demand: cannot set the balloon target to "
                                        "%" PRIu64 " kB: %s",
                                        target_kb, strerror(-r));
                        return r;
                }
                *ret_written_kb = target_kb;
        }
        manager_note_target(m, &o, &d, target_kb, true);
        m->report.goal_kb = d.goal_kb;
        return 0;
}

