/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>

#include "backend.h"
#include "balloon.h"

static int sysfs_set_target_kb(struct backend_ctx *ctx, uint64_t kb)
{
        return balloon_write_target_kb(ctx->root_fd, kb);
}

static int xenstore_set_target_kb(struct backend_ctx *ctx, uint64_t kb)
{
        int64_t v = (int64_t)kb + ctx->xs_offset_kb;

        if (!ctx->store)
                return -ENOTCONN;
        if (kb == 0 || kb > INT64_MAX / 2 || v <= 0)
                return -EINVAL;
        /* a toolstack write racing ours must win, not be overwritten */
        if (ctx->xs_guard)
                return store_replace_u64(ctx->store, "memory/target", ctx->xs_expect_kb,
                                         (uint64_t)v, &ctx->xs_found_kb);
        return store_write_u64(ctx->store, "memory/target", (uint64_t)v);
}

const struct backend_ops backend_sysfs = {
        .name = "sysfs",
        .set_target_kb = sysfs_set_target_kb,
};

const struct backend_ops backend_xenstore = {
        .name = "xenstore",
        .set_target_kb = xenstore_set_target_kb,
};
