/* SPDX-License-Identifier: GPL-2.0-only */
/* The toolstack link's state, shared by toolstack*.c and nobody else. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "toolstack.h"

#define USEC_PER_SEC 1000000ULL
#define DENIED_RETRY_USEC (60 * USEC_PER_SEC) /* a grant takes effect within a minute */
#define RECONNECT_MAX_USEC (60 * USEC_PER_SEC)
#define HEARTBEAT_USEC (60 * USEC_PER_SEC)
#define NAME_MAX_LEN 64

enum {
        PUB_TARGET,
        PUB_GOAL,
        PUB_FLOOR,
        PUB_BACKEND,
        PUB_STATUS,
        PUB_POLICY,
        PUB_HEARTBEAT,
        _PUB_MAX,
};

struct toolstack {
        struct toolstack_options opt;

        struct store *store; /* NULL: not connected */
        bool lost_logged;
        uint64_t retry_usec;   /* reconnect not before */
        uint64_t backoff_usec;
        int domid;             /* of the connection target_seen belongs to; -2: none yet */
        char name[NAME_MAX_LEN];

        int64_t offset_kb; /* xenstore target - sysfs target; 0 on PV */
        uint64_t max_kb;   /* memory/static-max, or what stands in for it */
        bool max_from_store;

        /* auto: xenstore refused us (EACCES) until the retry time */
        bool denied;
        uint64_t denied_retry_usec;
        bool moved; /* another domain since xenstore last took a write */
        const char *backend;

        /* memory/target as last seen, whether we wrote it, the ceiling */
        bool target_known;
        uint64_t target_seen;
        bool written;
        uint64_t last_written;
        bool ceiling;
        uint64_t ceiling_kb;
        bool ceiling_below_floor_logged;

        char published[_PUB_MAX][24];
        bool heartbeat_sent;
        uint64_t heartbeat_usec;
};

/* A failed xenstore call: drops the connection if it is gone; returns r. */
int toolstack_check(struct toolstack *t, int r);
/* Whether the guest runs as another domain now (then says so, once). */
bool toolstack_check_moved(struct toolstack *t);
