/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The only stateful module: one tick = read -> decide -> act -> publish.
 * It owns the policy state, the growth-stall state (manager-stall.c), the
 * frontswap helper's (manager-frontswap.c) and the toolstack link
 * (toolstack.c), and logs every decision once. Time is passed in
 * (CLOCK_MONOTONIC, usec); nothing here reads a clock.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "policy.h"

struct manager;

struct manager_options {
        int root_fd;       /* "/" or the --root tree */
        bool dry_run;      /* decide and log; write nothing anywhere */
        uint64_t page_size;
        const char *config_path;
        bool config_missing;
};

struct tick_result {
        bool decided;          /* readings were complete and a decision made */
        struct sb_decision decision; /* the policy's, before the toolstack's limits */
        uint64_t target_kb;    /* the target that stands after the tick, limited by the
                                * ceiling, static-max and a stall; 0: none (ballooning
                                * disabled, or left to the toolstack) */
        uint64_t written_kb;   /* 0: nothing written this tick */
};

int manager_new(const struct sb_config *cfg, const struct manager_options *o,
                struct manager **ret);
void manager_free(struct manager *m);

/* Positive results of manager_start(): refusals with an exit status. */
enum {
        MANAGER_REFUSE_DOM0 = 1,
        MANAGER_REFUSE_NOT_XEN = 2,
};

/* Checks the guest, connects xenstore (if it can), learns static-max and
 * the xenstore offset, records the start target (once per boot) and logs
 * the effective settings. Returns 0, a MANAGER_REFUSE_*, or -errno. */
int manager_start(struct manager *m, uint64_t now_usec);

/* One tick. Returns 0 when a decision was made (and acted on), -errno when
 * the readings failed (logged; the safe action taken). */
int manager_tick(struct manager *m, uint64_t now_usec, struct tick_result *ret);

/* Publishes the last decision under data/selfballoon/ (what changed, and
 * the heartbeat, wall_s, once a minute). */
void manager_publish(struct manager *m, uint64_t now_usec, uint64_t wall_s);

/* The backend in use (xenstore, sysfs) and the status (running, stalled,
 * dry-run), for the service manager's STATUS=. */
const char *manager_backend(const struct manager *m);
const char *manager_status(const struct manager *m);

/* The watch: one look between ticks. Raises the target at once when the
 * policy's arithmetic on fresh readings (or MemAvailable below the level)
 * asks for more; never lowers it. *ret_written_kb: what was written, 0 for
 * nothing. brake_held: a slice is held at the brake's limit, a look even
 * with the watch off that may raise by a step (policy_decide_watch()).
 * Returns 0 or -errno (readings or the write). */
int manager_watch(struct manager *m, uint64_t now_usec, bool brake_held, uint64_t *ret_written_kb);
/* How long until the next look, from the last readings (tick or look), in
 * ms of the manager's clock; 0: the watch is off. */
uint64_t manager_watch_period_ms(const struct manager *m);

/* The xenstore fd to poll for watch events, or -1; and the handler. */
int manager_watch_fd(const struct manager *m);
/* True when the guest runs as another domain now, or the toolstack wrote
 * memory/target: tick at once. */
bool manager_process_watch(struct manager *m, uint64_t now_usec);

/* Applies new settings (already validated). */
void manager_reload(struct manager *m, const struct sb_config *cfg);

/* Gives the guest back the target it had at the start (from the record in
 * /run) and removes the record. 0; -ENOENT without a record; -errno. */
int manager_restore(struct manager *m);

/* Publishes status "stopped" before exit. */
void manager_stopping(struct manager *m);

/* Just enough for `selfballoond --restore`: connects xenstore if the
 * backend may use it, without recording or logging a start. */
int manager_connect(struct manager *m);
