/* SPDX-License-Identifier: GPL-2.0-only */
/* The manager's state, shared by its files (manager*.c) and nobody else. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "balloon.h"
#include "manager.h"
#include "meminfo.h"
#include "toolstack.h"
#include "util.h"

#define USEC_PER_SEC 1000000ULL
#define STALL_PROBE_USEC (60 * USEC_PER_SEC) /* a raised cap is found within a minute */
#define STALL_TICKS 3
#define ZONEINFO_REFRESH_USEC (60 * USEC_PER_SEC)

struct manager {
        struct sb_config cfg;
        struct manager_options opt;
        struct sb_policy_state policy;
        struct toolstack *ts; /* toolstack.c: xenstore, backend, ceiling, data/ */
        struct guest_info guest;

        /* manager-stall.c: the balloon not growing toward its target */
        unsigned stall_ticks;
        uint64_t stall_last_current_kb;
        bool stalled;
        uint64_t stalled_current_kb;
        uint64_t probe_usec;

        /* manager-frontswap.c: the kernel helper */
        bool helper_active;
        bool helper_read_failed;   /* logged once per failure streak */
        bool helper_shrink_failed;
        bool shrink_stuck;           /* the last shrink timed out ... */
        uint64_t shrink_stuck_pages; /* ... at this count */

        /* the files every tick reads, kept open on procfs and sysfs */
        struct reread_file meminfo_file;
        struct reread_file current_kb_file;
        struct reread_file target_kb_file;
        struct reread_file vmstat_file; /* regular ticks, with the cache cushion only */
        const char *cache_problem;      /* why the cushion has no inputs: said once */
        bool cache_old_counter_said;    /* workingset_refault (before Linux 5.9) in use */

        /* totalreserve from /proc/zoneinfo, in pages, and when it was read */
        bool reserve_valid;
        uint64_t reserve_pages;
        uint64_t reserve_read_usec;

        unsigned read_failures;
        const char *read_failed_what;
        bool have_last;
        uint64_t last_target_kb;
        bool swap_checked;
        uint64_t watch_period_ms; /* until the next look; 0: no watch */
        bool base_recorded; /* the reserve's base is in /run for this boot */
        struct toolstack_report report; /* what manager_publish() sends */
};

/* manager.c, for its other files */
int manager_observe(struct manager *m, uint64_t now_usec, bool tick, struct sb_observation *o,
                    struct meminfo *mi, uint64_t *ret_balloon_target_kb, const char **ret_what);
/* The decision limited by the toolstack and a stall; false when nothing may
 * be written (the limits would go below the floor). */
bool manager_clamp(struct manager *m, const struct sb_decision *d, uint64_t current_kb, bool probe,
                   uint64_t *ret_kb);
/* The target that stands: logged when it changed, published next. */
void manager_note_target(struct manager *m, const struct sb_observation *o,
                         const struct sb_decision *d, uint64_t target_kb, bool watch);
const char *manager_status_of(const struct manager *m);

/* Says once when cache_cushion = yes does nothing (policy seed). */
void manager_note_cache_settings(const struct manager *m);

/* manager-log.c: the journal */
void manager_log_decision(struct manager *m, const struct sb_observation *o,
                          const struct sb_decision *d, uint64_t target_kb, bool watch);
void manager_log_start(struct manager *m, uint64_t sysfs_target_kb, uint64_t current_kb);

/* manager-watch.c */
void manager_note_watch_period(struct manager *m, const struct sb_observation *o);

/* manager-stall.c: whether Xen lets the balloon grow */
void stall_update(struct manager *m, uint64_t current_kb, uint64_t balloon_target_kb,
                  uint64_t wanted_kb, uint64_t now_usec);
/* Whether this tick is the once-a-minute probe of a stalled balloon. */
bool stall_probe_due(struct manager *m, uint64_t now_usec);
/* kb limited to what a stalled balloon has, except on a probe. */
uint64_t stall_limit(const struct manager *m, uint64_t kb, uint64_t current_kb, bool probe);
void stall_reload(struct manager *m);

/* manager-frontswap.c: the kernel helper */
void probe_helper(struct manager *m);
void observe_frontswap(struct manager *m, struct sb_observation *o);
void act_frontswap(struct manager *m, const struct sb_observation *o, const struct sb_decision *d);
