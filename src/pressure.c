/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "macro.h"
#include "pressure.h"

static int arm(int root_fd, uint32_t threshold_us, uint32_t window_us)
{
        _cleanup_close_ int fd = -EBADF;
        char spec[48];
        int n;

        struct statfs sf;

        fd = openat(root_fd, "proc/pressure/memory", O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* a copy of the file (a --root test tree) is no trigger: never write it */
        if (fstatfs(fd, &sf) < 0)
                return -errno;
        if (sf.f_type != PROC_SUPER_MAGIC && sf.f_type != CGROUP2_SUPER_MAGIC)
                return -ENOTTY;
        /* the kernel parses the trigger as a string: the NUL goes too */
        n = snprintf(spec, sizeof(spec), "some %u %u", threshold_us, window_us);
        if (write(fd, spec, (size_t)n + 1) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int pressure_trigger_open(int root_fd, uint32_t threshold_us, uint32_t window_us,
                          uint32_t *ret_window_us)
{
        int fd = arm(root_fd, threshold_us, window_us);

        if (fd == -EINVAL && window_us % PRESSURE_UNPRIVILEGED_WINDOW_US != 0) {
                /* unprivileged on 6.5+: a 2 s window still beats the tick */
                window_us = PRESSURE_UNPRIVILEGED_WINDOW_US;
                fd = arm(root_fd, threshold_us, window_us);
        }
        if (fd >= 0)
                *ret_window_us = window_us;
        return fd;
}
