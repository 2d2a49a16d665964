/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Whether Xen lets the balloon grow: a balloon short of its target that has
 * not grown for STALL_TICKS ticks is stalled (Xen refuses the pages: the
 * domain's max_pages, or a host without free memory). Then the manager asks
 * for no more than the guest has, except for a probe once a minute, so a
 * raised cap is found without hammering Xen. Owns the manager's stall_*,
 * stalled* and probe_usec fields; nothing else writes them.
 */
#include <inttypes.h>

#include "log.h"
#include "manager-internal.h"
#include "messages.h"

static void log_stalled(const struct manager *m, uint64_t current_kb, uint64_t balloon_target_kb)
{
        log_msg(LOG_WARNING, SB_MESSAGE_STALLED,
                "the balloon cannot grow: target %" PRIu64 " kB, but the guest has held %" PRIu64
                " kB for %u ticks: Xen refuses more pages, either because the domain's max_pages "
                "(xl mem-max) is below the target or because the host has no free memory (xl "
                "info: free_memory); no longer asking for more than the guest has, probing once "
                "a minute; if max_pages is the limit, run in dom0: xl mem-max %s %" PRIu64
                "m (that cannot help a host without free memory)",
                balloon_target_kb, current_kb, STALL_TICKS, toolstack_guest_name(m->ts),
                (toolstack_max_kb(m->ts) + 1023) / 1024);
}

void stall_update(struct manager *m, uint64_t current_kb, uint64_t balloon_target_kb,
                  uint64_t wanted_kb, uint64_t now_usec)
{
        bool short_of_target = current_kb < balloon_target_kb;

        if (m->stalled) {
                if (current_kb > m->stalled_current_kb || wanted_kb <= current_kb) {
                        m->stalled = false;
                        m->stall_ticks = 0;
                        log_msg(LOG_NOTICE, SB_MESSAGE_UNSTALLED,
                                "the balloon %s (now %" PRIu64 " kB)",
                                current_kb > m->stalled_current_kb ? "grows again"
                                                                   : "need not grow any more",
                                current_kb);
                }
        } else if (short_of_target && current_kb <= m->stall_last_current_kb) {
                if (++m->stall_ticks >= STALL_TICKS) {
                        m->stalled = true;
                        m->stalled_current_kb = current_kb;
                        m->probe_usec = now_usec + STALL_PROBE_USEC;
                        log_stalled(m, current_kb, balloon_target_kb);
                }
        } else {
                m->stall_ticks = 0;
        }
        m->stall_last_current_kb = current_kb;
}

bool stall_probe_due(struct manager *m, uint64_t now_usec)
{
        if (!m->stalled || now_usec < m->probe_usec)
                return false;
        m->probe_usec = now_usec + STALL_PROBE_USEC;
        return true;
}

uint64_t stall_limit(const struct manager *m, uint64_t kb, uint64_t current_kb, bool probe)
{
        /* the next tick tells whether a probe found the cap moved */
        if (m->stalled && kb > current_kb && !probe)
                return current_kb;
        return kb;
}

void stall_reload(struct manager *m)
{
        /* an operator who raised the cap and reloads wants it to count now */
        m->probe_usec = 0;
}
