/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the reads of one look cost on this machine: a pread of /proc/meminfo
 * and of two small sysfs files (the balloon's current_kb and target_kb in a
 * guest; any two here), as manager_watch() does on its kept-open fds. The
 * wake-up around them is not counted. Usage: sim-look-cost [SYSFS_FILE]
 */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define LOOKS 20000

int main(int argc, char **argv)
{
        const char *sysfs = argc > 1 ? argv[1] : "/sys/kernel/mm/transparent_hugepage/enabled";
        int m = open("/proc/meminfo", O_RDONLY | O_CLOEXEC), s = open(sysfs, O_RDONLY | O_CLOEXEC);
        struct timespec a, b;
        double ns;
        char buf[8192];

        if (m < 0 || s < 0) {
                fprintf(stderr, "sim-look-cost: cannot open /proc/meminfo or %s\n", sysfs);
                return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < LOOKS; i++)
                if (pread(m, buf, sizeof(buf), 0) <= 0 || pread(s, buf, sizeof(buf), 0) < 0 ||
                    pread(s, buf, sizeof(buf), 0) < 0)
                        return 1;
        clock_gettime(CLOCK_MONOTONIC, &b);
        ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
        printf("%.1f us per look (/proc/meminfo + 2 x %s, %d looks)\n", ns / LOOKS / 1000, sysfs,
               LOOKS);
        return 0;
}
