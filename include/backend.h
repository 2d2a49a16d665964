/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The two ways to hand the balloon a target, behind one interface:
 *   xenstore  memory/target, what the toolstack itself writes; the balloon
 *             driver subtracts its offset (non-PV guests), so we add it;
 *   sysfs     target_kb, which needs CAP_SYS_ADMIN but no toolstack grant.
 * Targets are in kB on the balloon's (sysfs) scale. Errors are -errno.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct backend_ctx {
        int root_fd;
        struct store *store;  /* NULL when xenstore is not connected */
        int64_t xs_offset_kb; /* xenstore target - sysfs target; 0 on PV */
        /* xenstore: write only if memory/target still holds xs_expect_kb,
         * else fail with -ESTALE and say what it holds in xs_found_kb */
        bool xs_guard;
        uint64_t xs_expect_kb;
        uint64_t xs_found_kb;
};

struct backend_ops {
        const char *name;
        int (*set_target_kb)(struct backend_ctx *ctx, uint64_t kb);
};

extern const struct backend_ops backend_sysfs;
extern const struct backend_ops backend_xenstore;
