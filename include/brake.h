/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The brake (issue #12): on a systemd guest with the unified cgroup
 * hierarchy, MemoryHigh= on the top-level slices at each slice's usage plus
 * the memory the guest has free above the kernel's reserve and a margin, so
 * that an allocator faster than a look is throttled by the kernel, and its
 * slice's memory.events wakes the daemon, which raises the target and then
 * the limits. systemd owns the slices' cgroups: the limits go through its
 * D-Bus API as runtime properties, never into the cgroup files.
 *
 * The pure part (limits, memory.events, /proc/self/cgroup, the record) is
 * brake.c; the I/O is brake-run.c (cgroupfs, sd-event sources, the
 * limits) and brake-bus.c (sd-bus, the record file in /run/selfballoond).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "policy.h"

/* MemoryHigh= as systemd's D-Bus API says "no limit". */
#define BRAKE_INFINITY UINT64_MAX
/* A slice's unit name: "system.slice"; top-level names are short. */
#define BRAKE_NAME_MAX 64
/* system.slice, user.slice, machine.slice and a few an admin made. */
#define BRAKE_SLICES_MAX 16
/* A limit is set again only when it moves by this much: each set is a
 * drop-in file PID 1 writes, and a look may run every watch_min_ms. */
#define BRAKE_STEP_BYTES (4ULL << 20)
/* The record of saved limits, below the root fd. */
#define BRAKE_RECORD "run/selfballoond/brake"

/* The limit for a slice using usage_bytes: the usage plus the guest's free
 * memory above its reserve (high watermarks and lowmem protection, what the
 * kernel keeps free) and margin_mb; the usage itself when free is below
 * that. Saturates instead of wrapping. */
uint64_t brake_limit_bytes(uint64_t usage_bytes, uint64_t free_kb, uint64_t reserve_kb,
                           uint64_t margin_mb);

/* Whether a limit set at set_bytes (0: none yet) should become want_bytes:
 * always when nothing is set, else when it moved by BRAKE_STEP_BYTES. */
bool brake_needs_set(uint64_t set_bytes, uint64_t want_bytes);

/* The "high N" line of a cgroup's memory.events: the times its processes
 * were throttled at memory.high. -EBADMSG without one, or for a malformed
 * or repeated one. */
int brake_events_parse_high(const char *text, size_t len, uint64_t *ret_high);

/* The top-level cgroup of the unified hierarchy's "0::/a/b" line of
 * /proc/self/cgroup ("a"; "" for the root cgroup). -ENOENT without such a
 * line (no unified hierarchy), -EBADMSG for a malformed one, -ENAMETOOLONG
 * past size. */
int brake_own_top_parse(const char *text, size_t len, char *ret, size_t size);

/* Whether the top-level cgroup `name` is a slice to brake: a ".slice" that
 * is not the daemon's own (own_top). */
bool brake_slice_wanted(const char *name, const char *own_top);

/* A saved limit: the administrator's MemoryHigh= before the brake. */
struct brake_saved {
        char name[BRAKE_NAME_MAX];
        uint64_t high_bytes; /* BRAKE_INFINITY: none */
};

/* The record: one "NAME BYTES|infinity" line per slice. Parses into ret
 * (at most max), writes *ret_n. -EBADMSG with *ret_line the bad line (a
 * malformed line, a repeated or unwanted name, more than max lines). */
int brake_record_parse(const char *text, size_t len, struct brake_saved *ret, size_t max,
                       size_t *ret_n, unsigned *ret_line);
/* Formats n entries: the length, or -ENOBUFS when size is too small. */
int brake_record_format(const struct brake_saved *s, size_t n, char *buf, size_t size);

/* The I/O part. Nothing here exits or aborts; it logs. */
struct brake;

typedef void (*brake_event_fn)(void *userdata);

/*
 * A brake for the daemon: its event sources go on e, and fn runs when a
 * slice's memory.events says it was throttled (then the daemon looks, and
 * calls brake_update()). dry_run: never sets anything. Returns 0 or -ENOMEM.
 */
int brake_new(sd_event *e, int root_fd, bool dry_run, brake_event_fn fn, void *userdata,
              struct brake **ret);
/* Applies settings (at start and on reload): brake = yes starts the brake
 * (finds the slices, connects to systemd, saves their limits), no clears
 * it. Why it cannot run is logged once per reason; it tries again at the
 * next update. */
void brake_configure(struct brake *b, const struct sb_settings *s);
/* Sets the limits from fresh readings, after a tick or a look; b may be
 * NULL. Times held are measured on the event loop's CLOCK_MONOTONIC. */
void brake_update(struct brake *b);
/* Puts every saved limit back and removes the record: 0, or -errno when
 * one could not be put back (the record keeps it, for --restore). */
int brake_clear(struct brake *b);
void brake_free(struct brake *b);

/* `selfballoond --restore`: puts back the limits in root's record (left by
 * a daemon that was killed) and removes it. root_name: the root directory
 * as messages name it ("" for "/"). 0 (also without a record), or -errno,
 * logged. */
int brake_restore(int root_fd, const char *root_name);
