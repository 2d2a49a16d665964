/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The toolstack link: everything the daemon knows of and says to the
 * toolstack, with one owner. It holds the xenstore connection (and its
 * reconnect back-off), the domain's static-max (or what stands in for it),
 * the xenstore offset of non-PV guests, the backend in use (auto: xenstore
 * until it refuses, then sysfs and a retry a minute on), the toolstack's
 * own memory/target as last seen and the ceiling it sets, and what was
 * last published under data/selfballoon/. Targets are in kB on the
 * balloon's (sysfs) scale. Time is passed in (CLOCK_MONOTONIC, usec).
 *
 * It logs what concerns the link (lost, back, refused, granted, ceiling)
 * once, where it happens; the manager logs its decisions.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "balloon.h"
#include "conf.h"
#include "runstate.h"

struct toolstack;

struct toolstack_options {
        int root_fd;
        bool dry_run;            /* write nothing: neither targets nor data/ */
        enum sb_backend backend; /* the configured one */
        uint64_t interval_usec;  /* the tick: the reconnect back-off starts there */
};

int toolstack_new(const struct toolstack_options *o, struct toolstack **ret);
void toolstack_free(struct toolstack *t);

/* Connects xenstore (with backend = sysfs too: data/ and the ceiling still
 * count), watches memory/target, reads static-max, memory/target and the
 * domain's name. 0, or -errno (logged by the caller). */
int toolstack_connect(struct toolstack *t);

/* Positive results of toolstack_start(). */
enum {
        TOOLSTACK_DOM0 = 1, /* xenstore says domid 0: refuse (logged) */
};

/*
 * At the daemon's start: connects (logging what a failure means for the
 * configured backend), refuses dom0, makes the guest's present size the
 * maximum when static-max is unreadable, and learns the xenstore offset
 * (from rec when there is one: the boot's first start saw both targets).
 * Returns 0, TOOLSTACK_DOM0, or -errno (backend = xenstore unreachable).
 */
int toolstack_start(struct toolstack *t, enum guest_type type, uint64_t sysfs_target_kb,
                    uint64_t current_kb, const struct start_record *rec);

/* Fills in what the per-boot record keeps of xenstore: memory/target now. */
void toolstack_fill_record(struct toolstack *t, struct start_record *rec);

/* At each tick: reconnects when due (back-off from one tick to a minute;
 * not with backend = sysfs) and takes the pending watch events (returns
 * their TOOLSTACK_EVENT_* bits, below). */
unsigned toolstack_tick(struct toolstack *t, uint64_t now_usec);

/* The fd to poll for watch events (-1 when not connected), and its handler,
 * which returns TOOLSTACK_EVENT_* bits: GRANT when, refused so far, an event
 * on memory/target may be a grant (a permission change fires the watch):
 * then the next apply tries xenstore; MOVED when the guest runs as another
 * domain (xl restore or migrate: xenbus re-registers the watch on resume,
 * which fires it): data/selfballoon/ is republished, the target is due now;
 * TOOLSTACK when the toolstack wrote memory/target (xl mem-set: the new
 * ceiling; the balloon driver is taking the guest to it meanwhile). */
enum {
        TOOLSTACK_EVENT_GRANT = 1 << 0,
        TOOLSTACK_EVENT_MOVED = 1 << 1,
        TOOLSTACK_EVENT_TOOLSTACK = 1 << 2, /* the toolstack wrote memory/target */
};
int toolstack_fd(const struct toolstack *t);
unsigned toolstack_process_watch(struct toolstack *t);

/* Hands the balloon a target through the backend: 0; -ESTALE when the
 * toolstack wrote memory/target first (its value is now the ceiling, and
 * nothing was written); -errno. */
int toolstack_apply(struct toolstack *t, uint64_t kb, uint64_t now_usec);

/* Refused so far and a watch event came (maybe the grant): tries xenstore
 * alone with kb (within the ceiling); sysfs already has it. 1 when xenstore
 * took it, 0 when still refused (or not refused at all), -errno. */
int toolstack_try_grant(struct toolstack *t, uint64_t kb, uint64_t now_usec);

/* Whether auto's once-a-minute xenstore retry is due: then even an
 * unchanged target is written, so that a grant shows without a change. */
bool toolstack_retry_due(const struct toolstack *t, uint64_t now_usec);

/* kb limited by the toolstack's ceiling and static-max. */
uint64_t toolstack_limit(const struct toolstack *t, uint64_t kb);
/* The target was limited below floor_kb: say once when the ceiling did it. */
void toolstack_below_floor(struct toolstack *t, uint64_t floor_kb);

uint64_t toolstack_max_kb(const struct toolstack *t);
const char *toolstack_backend(const struct toolstack *t); /* in use: xenstore or sysfs */
int toolstack_domid(const struct toolstack *t);            /* -1: unknown */
/* How dom0's tools name this guest: its name when xenstore tells it, else
 * its domid, else a placeholder. */
const char *toolstack_guest_name(const struct toolstack *t);

/* What the daemon publishes under data/selfballoon/ (telemetry only:
 * a refusal costs nothing but the key). */
struct toolstack_report {
        bool has_target;
        uint64_t target_kb;
        bool has_limits;
        uint64_t goal_kb, floor_kb;
        const char *status; /* running, stalled */
        const char *policy;
};

/* Publishes what changed, and the heartbeat (wall_s, CLOCK_REALTIME
 * seconds) when a minute has passed since the last one. */
void toolstack_publish(struct toolstack *t, const struct toolstack_report *r, uint64_t now_usec,
                       uint64_t wall_s);

/* The settings changed (already validated). */
void toolstack_reload(struct toolstack *t, enum sb_backend backend, uint64_t interval_usec);

/*
 * Gives the guest back rec's target: the toolstack's, when it set one
 * while we ran. Through xenstore when the backend may and can, else sysfs.
 * ret_kb: the target restored, on the sysfs scale. 0 or -errno.
 */
int toolstack_restore(struct toolstack *t, const struct start_record *rec, uint64_t *ret_kb);

/* Publishes status "stopped". */
void toolstack_stopping(struct toolstack *t);
