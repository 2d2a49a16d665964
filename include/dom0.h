/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * selfballoon-dom0: dom0's view of every guest's selfballoond.
 *
 * Reading (dom0-read.c, libxenstore) is kept apart from parsing and
 * formatting (dom0-parse.c, dom0-format.c: pure, no I/O but the FILE they
 * are handed, no clock: "now" is passed in), so that the pure part is unit
 * tested and fuzzed on its own.
 *
 * Everything under a guest's data/ is written by that guest: hostile input.
 * Values are cut at DOM0_VALUE_MAX bytes when read, numbers are parsed
 * strictly (parse_u64_n), and every byte that reaches the table or the JSON
 * is escaped there.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The program's exit statuses, documented in selfballoon-dom0(8). When
 * several apply, the first in this order wins: silent, bad data, stalled. */
enum {
        DOM0_EXIT_OK = 0,
        DOM0_EXIT_RUNTIME = 1,  /* xenstore unreachable or unreadable */
        DOM0_EXIT_USAGE = 2,
        DOM0_EXIT_SILENT = 3,   /* a daemon's heartbeat is older than --silent-after */
        DOM0_EXIT_STALLED = 4,  /* a daemon is stalled at the toolstack's cap */
        DOM0_EXIT_BAD_DATA = 5, /* a guest published malformed data, or a clock ahead */
};

/* The nodes read for each guest, relative to /local/domain/<domid>/. */
enum dom0_key {
        DOM0_KEY_NAME,
        DOM0_KEY_XS_TARGET,  /* memory/target: the toolstack's, kB */
        DOM0_KEY_STATIC_MAX, /* memory/static-max, kB */
        DOM0_KEY_TARGET,     /* data/selfballoon/target_kb */
        DOM0_KEY_GOAL,
        DOM0_KEY_FLOOR,
        DOM0_KEY_BACKEND,
        DOM0_KEY_STATUS,
        DOM0_KEY_HEARTBEAT,  /* CLOCK_REALTIME seconds */
        DOM0_KEY_POLICY,
        _DOM0_KEY_MAX,
};

#define DOM0_DATA_DIR "data/selfballoon"
/* More than any value the daemon or the toolstack writes; a longer value is
 * cut here and reported as too long. */
#define DOM0_VALUE_MAX 128
/* Domain ids above this are Xen's reserved ones (DOMID_FIRST_RESERVED - 1). */
#define DOM0_DOMID_MAX 0x7fefU

extern const char *const dom0_key_path[_DOM0_KEY_MAX];
/* The key's name as shown: "target_kb", "memory/target", ... */
extern const char *const dom0_key_label[_DOM0_KEY_MAX];

/* One guest's nodes as read. A value holds any bytes, NULs included. */
struct dom0_raw {
        uint32_t domid;
        int read_error;           /* 0, or the -errno of a failed read */
        bool has_data;            /* data/selfballoon exists */
        bool present[_DOM0_KEY_MAX];
        size_t len[_DOM0_KEY_MAX]; /* the whole value's length, as read */
        char value[_DOM0_KEY_MAX][DOM0_VALUE_MAX];
};

enum dom0_health {
        DOM0_HEALTH_OK,
        DOM0_HEALTH_NO_DAEMON, /* no data/selfballoon */
        DOM0_HEALTH_STOPPED,   /* status "stopped": cleanly, heartbeat not expected */
        DOM0_HEALTH_STALLED,
        DOM0_HEALTH_BAD_CLOCK, /* heartbeat ahead of dom0's clock by more than the skew */
        DOM0_HEALTH_BAD_DATA,
        DOM0_HEALTH_SILENT,
        _DOM0_HEALTH_MAX,
};

struct dom0_num {
        bool present;
        bool valid;
        uint64_t v;
};

struct dom0_guest {
        const struct dom0_raw *raw;
        struct dom0_num num[_DOM0_KEY_MAX]; /* for the numeric keys */
        bool word_valid[_DOM0_KEY_MAX];     /* for status, backend, policy */
        unsigned bad;                       /* bit per key: malformed or missing */
        int64_t heartbeat_age_s;            /* now - heartbeat, when valid */
        enum dom0_health health;
};

struct dom0_limits {
        uint64_t silent_after_s; /* heartbeat older than this: silent */
        uint64_t max_skew_s;     /* heartbeat ahead by more than this: bad clock */
};

#define DOM0_SILENT_AFTER_DEFAULT 180
#define DOM0_MAX_SKEW_DEFAULT 30

/* Pure: judges one guest's raw nodes at time now (CLOCK_REALTIME seconds). */
void dom0_guest_parse(const struct dom0_raw *raw, int64_t now, const struct dom0_limits *lim,
                      struct dom0_guest *ret);
const char *dom0_health_to_string(enum dom0_health h);
int dom0_exit_status(const struct dom0_guest *g, size_t n);
/* Why key k of g is bad, or NULL. */
const char *dom0_problem(const struct dom0_guest *g, enum dom0_key k);

/* Pure: printable ASCII stays, a backslash doubles, anything else (control
 * characters, escape sequences, bytes >= 0x7f) becomes \xNN. At most max
 * characters out (then "..."); buf gets NUL-terminated. Returns buf. */
char *dom0_escape_text(const char *s, size_t n, size_t max, char *buf, size_t size);
/* A JSON string, quotes included: '"', '\\', every byte < 0x20, DEL and the
 * C1 controls escaped, other valid UTF-8 kept, each byte of invalid UTF-8
 * as U+FFFD. */
void dom0_json_string(FILE *f, const char *s, size_t n);

/* Pure: the table for people, the JSON for scripts. include_no_daemon:
 * list the guests without a daemon too. */
void dom0_format_table(FILE *f, const struct dom0_guest *g, size_t n, bool include_no_daemon);
void dom0_format_json(FILE *f, const struct dom0_guest *g, size_t n, int64_t now,
                      const struct dom0_limits *lim, bool include_no_daemon);

/* dom0-read.c: every guest's nodes (dom0 itself left out), by domid.
 * ret_skipped counts /local/domain entries that are no domain id. */
struct xs_handle;
int dom0_read_all(struct xs_handle *xs, struct dom0_raw **ret, size_t *ret_n,
                  size_t *ret_skipped);
