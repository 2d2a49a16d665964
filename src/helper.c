/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "helper.h"
#include "util.h"

/* "<dir>/<file>" relative to the root fd. */
static int helper_path(const char *dir, const char *file, char *buf, size_t len)
{
        int n;

        while (*dir == '/')
                dir++;
        n = snprintf(buf, len, "%s/%s", dir, file);
        return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int read_number(int root_fd, const char *dir, const char *file, uint64_t *ret)
{
        char path[PATH_MAX];
        int r = helper_path(dir, file, path, sizeof(path));

        return r < 0 ? r : read_u64_at(root_fd, path, ret);
}

int helper_probe(int root_fd, const char *dir, uint64_t *ret_version)
{
        uint64_t v;
        int r = read_number(root_fd, dir, "version", &v);

        if (r < 0)
                return r;
        *ret_version = v;
        return v == HELPER_ABI_VERSION ? 0 : -EPROTO;
}

int helper_read_pages(int root_fd, const char *dir, uint64_t *ret_pages)
{
        return read_number(root_fd, dir, "curr_pages", ret_pages);
}

int helper_shrink(int root_fd, const char *dir, uint64_t target_pages)
{
        char path[PATH_MAX];
        int r = helper_path(dir, "shrink", path, sizeof(path));

        if (r < 0)
                return r;
        return write_u64_at(root_fd, path, target_pages);
}
