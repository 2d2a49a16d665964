/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>

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

static volatile sig_atomic_t shrink_alarm;

static void on_shrink_alarm(int sig)
{
        (void)sig;
        shrink_alarm = 1;
}

/*
 * Linux 5.1-5.16's try_to_unuse() retries until it reaches the target, the
 * swap device is empty, or a signal is pending: swap entries parked in the
 * per-CPU slot caches count in frontswap but cannot be brought back, so a
 * shrink near the end can spin in the kernel for ever (seen on 5.10). A
 * SIGALRM after HELPER_SHRINK_TIMEOUT_SEC ends it: the kernel sees the
 * signal, gives up, and the write returns.
 */
int helper_shrink(int root_fd, const char *dir, uint64_t target_pages)
{
        struct sigaction sa = { .sa_handler = on_shrink_alarm }, old_sa;
        struct itimerval it = { .it_value = { .tv_sec = HELPER_SHRINK_TIMEOUT_SEC } };
        struct itimerval off = { 0 };
        char path[PATH_MAX];
        sigset_t alrm, old_mask;
        int r = helper_path(dir, "shrink", path, sizeof(path));

        if (r < 0)
                return r;
        shrink_alarm = 0;
        sigemptyset(&sa.sa_mask); /* no SA_RESTART: the write must not restart */
        sigemptyset(&alrm);
        sigaddset(&alrm, SIGALRM);
        if (sigaction(SIGALRM, &sa, &old_sa) < 0)
                return -errno;
        (void)sigprocmask(SIG_UNBLOCK, &alrm, &old_mask);
        if (setitimer(ITIMER_REAL, &it, NULL) < 0) {
                r = -errno;
                goto out;
        }
        r = write_u64_at_interruptible(root_fd, path, target_pages);
        (void)setitimer(ITIMER_REAL, &off, NULL);
        if (shrink_alarm)
                r = -ETIMEDOUT;
out:
        (void)sigprocmask(SIG_SETMASK, &old_mask, NULL);
        (void)sigaction(SIGALRM, &old_sa, NULL);
        return r;
}
