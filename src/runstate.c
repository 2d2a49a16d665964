/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "runstate.h"
#include "util.h"

#define LOCK_PATH RUNSTATE_DIR "/lock"
#define RECORD_PATH RUNSTATE_DIR "/start-target"
#define RECORD_TMP RUNSTATE_DIR "/.start-target.tmp"
#define BASE_PATH RUNSTATE_DIR "/reserve-base"
#define BASE_TMP RUNSTATE_DIR "/.reserve-base.tmp"

/* Opens (creating) a file in RUNSTATE_DIR, creating the directory first. */
static int runstate_open(int root_fd, const char *path, int flags)
{
        int fd;

        if (mkdirat(root_fd, "run", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdirat(root_fd, RUNSTATE_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(root_fd, path, flags | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        return fd < 0 ? -errno : fd;
}

int runstate_lock(int root_fd, pid_t *ret_holder)
{
        _cleanup_close_ int fd = -EBADF;
        char buf[32];
        int n;

        fd = runstate_open(root_fd, LOCK_PATH, O_RDWR);
        if (fd < 0)
                return fd;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                uint64_t pid = 0;
                ssize_t k;

                if (errno != EWOULDBLOCK)
                        return -errno;
                /* the holder's "PID\n", as written below */
                k = pread(fd, buf, sizeof(buf), 0);
                *ret_holder = k > 0 && parse_u64_line(buf, (size_t)k, &pid) == 0 ? (pid_t)pid : 0;
                return -EWOULDBLOCK;
        }
        n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
                return -errno;
        return TAKE_FD(fd);
}

enum { RECORD_SYSFS_TARGET_KB, RECORD_XENSTORE_TARGET_KB, _RECORD_KEY_MAX };

static const char *const record_keys[_RECORD_KEY_MAX] = {
        [RECORD_SYSFS_TARGET_KB] = "sysfs_target_kb",
        [RECORD_XENSTORE_TARGET_KB] = "xenstore_target_kb",
};

int runstate_record_parse(const char *text, struct start_record *ret)
{
        struct start_record r = { 0 };
        bool have_sysfs = false;
        const char *p = text;

        while (*p) {
                const char *eol = strchr(p, '\n'), *eq;
                size_t n = eol ? (size_t)(eol - p) : strlen(p);
                uint64_t v;

                eq = memchr(p, '=', n);
                if (!eq || parse_u64_n(eq + 1, n - (size_t)(eq - p) - 1, &v) < 0)
                        return -EBADMSG;
                switch (TABLE_LOOKUP_N(record_keys, p, (size_t)(eq - p))) {
                case RECORD_SYSFS_TARGET_KB:
                        r.sysfs_target_kb = v;
                        have_sysfs = true;
                        break;
                case RECORD_XENSTORE_TARGET_KB:
                        r.xenstore_target_kb = v;
                        r.has_xenstore = true;
                        break;
                default:
                        return -EBADMSG;
                }
                p += n + (eol ? 1 : 0);
        }
        if (!have_sysfs || r.sysfs_target_kb == 0)
                return -EBADMSG;
        *ret = r;
        return 0;
}

int runstate_record_read(int root_fd, struct start_record *ret)
{
        char buf[256];
        ssize_t n = read_file_at(root_fd, RECORD_PATH, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        return runstate_record_parse(buf, ret);
}

/* Writes buf aside, then links it into place: a crash never leaves half a
 * file, and an existing one is never replaced (-EEXIST). */
static int write_once(int root_fd, const char *path, const char *tmp, const char *buf, size_t n)
{
        _cleanup_close_ int fd = -EBADF;
        int k;

        fd = runstate_open(root_fd, tmp, O_WRONLY | O_TRUNC);
        if (fd < 0)
                return fd;
        if (write(fd, buf, n) != (ssize_t)n || fsync(fd) < 0) {
                k = errno ? -errno : -EIO;
                unlinkat(root_fd, tmp, 0);
                return k;
        }
        k = linkat(root_fd, tmp, root_fd, path, 0) < 0 ? -errno : 0;
        unlinkat(root_fd, tmp, 0);
        return k;
}

int runstate_record_write(int root_fd, const struct start_record *r)
{
        char buf[128];
        int n;

        n = snprintf(buf, sizeof(buf), "sysfs_target_kb=%" PRIu64 "\n", r->sysfs_target_kb);
        if (r->has_xenstore)
                n += snprintf(buf + n, sizeof(buf) - (size_t)n, "xenstore_target_kb=%" PRIu64 "\n",
                              r->xenstore_target_kb);
        return write_once(root_fd, RECORD_PATH, RECORD_TMP, buf, (size_t)n);
}

int runstate_mark_once(int root_fd, const char *name)
{
        char path[128];
        int fd;

        snprintf(path, sizeof(path), RUNSTATE_DIR "/%s", name);
        fd = runstate_open(root_fd, path, O_WRONLY | O_EXCL);
        if (fd < 0)
                return fd == -EEXIST ? 0 : fd;
        close(fd);
        return 1;
}

int runstate_base_read(int root_fd, uint64_t *ret_mem_total_kb)
{
        uint64_t v;
        int r = read_u64_at(root_fd, BASE_PATH, &v);

        if (r < 0)
                return r;
        if (v == 0)
                return -EBADMSG;
        *ret_mem_total_kb = v;
        return 0;
}

int runstate_base_write(int root_fd, uint64_t mem_total_kb)
{
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", mem_total_kb);

        return write_once(root_fd, BASE_PATH, BASE_TMP, buf, (size_t)n);
}

int runstate_record_remove(int root_fd)
{
        return unlinkat(root_fd, RECORD_PATH, 0) < 0 ? -errno : 0;
}
