/* SPDX-License-Identifier: GPL-2.0-only */
/* A scratch root directory for the targets whose code reads files below a
 * root fd: on tmpfs when there is one (a file rewritten per input on a
 * journalled disk costs a hundred times the parsing), removed at exit. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char dir[64];
static int root_fd = -1;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        (void)remove(path);
        return 0;
}

static void cleanup(void)
{
        if (dir[0])
                (void)nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int fuzz_scratch_root(void)
{
        if (root_fd >= 0)
                return root_fd;
        snprintf(dir, sizeof(dir), "%s/sb-fuzz.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
                abort();
        atexit(cleanup);
        root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                abort();
        return root_fd;
}

void fuzz_scratch_write(const char *path, const void *data, size_t size)
{
        char parent[256];
        int fd;

        /* parents first */
        for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
                snprintf(parent, sizeof(parent), "%.*s", (int)(s - path), path);
                (void)mkdirat(fuzz_scratch_root(), parent, 0755);
        }
        fd = openat(fuzz_scratch_root(), path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
                abort();
        close(fd);
}
