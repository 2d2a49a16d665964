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

static int ensure_dir(int root_fd)
{
        if (mkdirat(root_fd, "run", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdirat(root_fd, RUNSTATE_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int runstate_lock(int root_fd, pid_t *ret_holder)
{
        _cleanup_close_ int fd = -EBADF;
        char buf[32];
        int r, n;

        r = ensure_dir(root_fd);
        if (r < 0)
                return r;
        fd = openat(root_fd, LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                uint64_t pid = 0;
                ssize_t k;

                if (errno != EWOULDBLOCK)
                        return -errno;
                k = pread(fd, buf, sizeof(buf) - 1, 0);
                buf[k > 0 ? k : 0] = '\0';
                buf[strcspn(buf, "\n")] = '\0';
                *ret_holder = parse_u64(buf, &pid) == 0 ? (pid_t)pid : 0;
                return -EWOULDBLOCK;
        }
        n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
                return -errno;
        return TAKE_FD(fd);
}

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
                if ((size_t)(eq - p) == 15 && memcmp(p, "sysfs_target_kb", 15) == 0) {
                        r.sysfs_target_kb = v;
                        have_sysfs = true;
                } else if ((size_t)(eq - p) == 18 && memcmp(p, "xenstore_target_kb", 18) == 0) {
                        r.xenstore_target_kb = v;
                        r.has_xenstore = true;
                } else {
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
        int k = ensure_dir(root_fd);

        if (k < 0)
                return k;
        fd = openat(root_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
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
        int fd, r = ensure_dir(root_fd);

        if (r < 0)
                return r;
        snprintf(path, sizeof(path), RUNSTATE_DIR "/%s", name);
        fd = openat(root_fd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return errno == EEXIST ? 0 : -errno;
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
