/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the guest tells dom0 under data/selfballoon/: the target, goal and
 * floor, backend, status, policy and a heartbeat. Telemetry only: a refusal
 * costs nothing but the key. Written when a value changes (the cache is
 * dropped with the connection, so a new domain's empty data/ is filled),
 * the heartbeat once a minute.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "toolstack-internal.h"

static const char *const pub_keys[_PUB_MAX] = {
        [PUB_TARGET] = "data/selfballoon/target_kb",
        [PUB_GOAL] = "data/selfballoon/goal_kb",
        [PUB_FLOOR] = "data/selfballoon/floor_kb",
        [PUB_BACKEND] = "data/selfballoon/backend",
        [PUB_STATUS] = "data/selfballoon/status",
        [PUB_POLICY] = "data/selfballoon/policy",
        [PUB_HEARTBEAT] = "data/selfballoon/heartbeat",
};

static void publish(struct toolstack *t, int key, const char *value)
{
        if (!t->store || t->opt.dry_run || strcmp(t->published[key], value) == 0)
                return;
        /* telemetry only: a refusal costs nothing but this key */
        if (toolstack_check(t, store_write_string(t->store, pub_keys[key], value)) < 0)
                return;
        snprintf(t->published[key], sizeof(t->published[key]), "%s", value);
}

static void publish_u64(struct toolstack *t, int key, uint64_t v)
{
        char buf[24];

        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        publish(t, key, buf);
}

void toolstack_publish(struct toolstack *t, const struct toolstack_report *r, uint64_t now_usec,
                       uint64_t wall_s)
{
        if (!t->store || t->opt.dry_run)
                return;
        /* a move the watch missed is found by the heartbeat's minute */
        if (t->heartbeat_sent && now_usec >= t->heartbeat_usec + HEARTBEAT_USEC)
                (void)toolstack_check_moved(t);
        if (r->has_target)
                publish_u64(t, PUB_TARGET, r->target_kb);
        if (r->has_limits) {
                publish_u64(t, PUB_GOAL, r->goal_kb);
                publish_u64(t, PUB_FLOOR, r->floor_kb);
        }
        publish(t, PUB_BACKEND, t->backend);
        if (r->status)
                publish(t, PUB_STATUS, r->status);
        if (r->policy)
                publish(t, PUB_POLICY, r->policy);
        /* the heartbeat tells dom0 the daemon lives: once a minute is enough */
        if (t->store && (!t->heartbeat_sent || now_usec >= t->heartbeat_usec + HEARTBEAT_USEC)) {
                char buf[24];

                snprintf(buf, sizeof(buf), "%" PRIu64, wall_s);
                if (toolstack_check(t, store_write_string(t->store, pub_keys[PUB_HEARTBEAT], buf)) == 0) {
                        t->heartbeat_sent = true;
                        t->heartbeat_usec = now_usec;
                }
        }
}

void toolstack_stopping(struct toolstack *t)
{
        publish(t, PUB_STATUS, "stopped");
}
