/* SPDX-License-Identifier: GPL-2.0-only */
/* The manager's state, shared by its files (manager*.c) and nobody else. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "balloon.h"
#include "manager.h"
#include "meminfo.h"
#include "store.h"
#include "util.h"

#define USEC_PER_SEC 1000000ULL
#define XS_DENIED_RETRY_USEC (60 * USEC_PER_SEC) /* a grant takes effect within a minute */
#define STALL_PROBE_USEC (60 * USEC_PER_SEC)     /* a raised cap is found within a minute */
#define XS_RECONNECT_MAX_USEC (60 * USEC_PER_SEC)
#define STALL_TICKS 3
#define ZONEINFO_REFRESH_USEC (60 * USEC_PER_SEC)

enum {
        PUB_TARGET,
        PUB_GOAL,
        PUB_FLOOR,
        PUB_BACKEND,
        PUB_STATUS,
        _PUB_MAX,
};



struct manager {
        struct sb_config cfg;
        struct manager_options opt;
        struct sb_policy_state policy;

        struct store *store;
        bool store_lost_logged;
        uint64_t store_retry_usec; /* reconnect not before */
        uint64_t store_backoff_usec;
        struct guest_info guest;
        int64_t xs_offset_kb;

        /* memory/static-max, or what stands in for it */
        uint64_t max_kb;
        bool max_from_store;

        /* auto backend: xenstore refused us (EACCES) until the retry time */
        bool xs_denied;
        uint64_t xs_retry_usec;
        const char *backend;

        /* the toolstack's memory/target, as last seen, and its ceiling */
        int xs_domid; /* of the connection xs_target_seen belongs to */
        bool xs_target_known;
        uint64_t xs_target_seen;
        bool xs_written;
        uint64_t xs_last_written;
        bool ceiling;
        uint64_t ceiling_kb;
        bool ceiling_below_floor_logged;

        /* the balloon not growing toward its target */
        unsigned stall_ticks;
        uint64_t stall_last_current_kb;
        bool stalled;
        uint64_t stalled_current_kb;
        uint64_t probe_usec;

        /* the frontswap kernel helper */
        bool helper_active;
        bool helper_read_failed;   /* logged once per failure streak */
        bool helper_shrink_failed;
        bool shrink_stuck;           /* the last shrink timed out ... */
        uint64_t shrink_stuck_pages; /* ... at this count */

        /* the files every tick reads, kept open on procfs and sysfs */
        struct reread_file meminfo_file;
        struct reread_file current_kb_file;
        struct reread_file target_kb_file;

        /* totalreserve from /proc/zoneinfo, in pages, and when it was read */
        bool reserve_valid;
        uint64_t reserve_pages;
        uint64_t reserve_read_usec;

        unsigned read_failures;
        const char *read_failed_what;
        bool have_last;
        uint64_t last_target_kb;
        bool swap_checked;

        char published[_PUB_MAX][24];
};

/* manager-xs.c: the xenstore connection, the backends, data/ telemetry */
int store_connect(struct manager *m);
int store_check(struct manager *m, int r);
int apply_target(struct manager *m, uint64_t kb, uint64_t now_usec);
const char *status_of(const struct manager *m);
void publish(struct manager *m, int key, const char *value);
void publish_u64(struct manager *m, int key, uint64_t v);

/* manager-frontswap.c: the kernel helper */
void probe_helper(struct manager *m);
void observe_frontswap(struct manager *m, struct sb_observation *o);
void act_frontswap(struct manager *m, const struct sb_observation *o, const struct sb_decision *d);
