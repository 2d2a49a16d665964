/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "util.h"

int parse_u64_n(const char *s, size_t n, uint64_t *ret)
{
        uint64_t v = 0;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                unsigned d;

                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                d = (unsigned)(s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int parse_u64(const char *s, uint64_t *ret)
{
        return parse_u64_n(s, strlen(s), ret);
}

int parse_u64_line(const char *text, size_t len, uint64_t *ret)
{
        uint64_t v;

        if (len > 0 && text[len - 1] == '\n')
                len--;
        /* one error for all the ways the text is not a number */
        if (parse_u64_n(text, len, &v) < 0)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int read_u64_at(int dir_fd, const char *path, uint64_t *ret)
{
        return reread_u64_at(NULL, dir_fd, path, ret);
}

int reread_u64_at(struct reread_file *f, int dir_fd, const char *path, uint64_t *ret)
{
        char buf[32]; /* 20 digits, a newline and the NUL fit */
        ssize_t len = reread_file_at(f, dir_fd, path, buf, sizeof(buf));
        int r;

        if (len == -EFBIG)
                return -EBADMSG; /* too long to be one number */
        if (len < 0)
                return (int)len;
        r = parse_u64_line(buf, (size_t)len, ret);
        if (r < 0)
                reread_file_close(f);
        return r;
}

/* The whole file from fd's current position, until EOF. */
static ssize_t read_fd_whole(int fd, char *buf, size_t size)
{
        size_t len = 0;

        /* procfs and sysfs files come in several reads; loop until EOF. */
        for (;;) {
                ssize_t k;

                if (len == size - 1) {
                        char extra;
                        k = read(fd, &extra, 1);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0)
                                return -errno;
                        if (k > 0)
                                return -EFBIG;
                        break;
                }
                k = read(fd, buf + len, size - 1 - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        buf[len] = '\0';
        return (ssize_t)len;
}

ssize_t read_file_at(int dir_fd, const char *path, char *buf, size_t size)
{
        return reread_file_at(NULL, dir_fd, path, buf, size);
}

void reread_file_close(struct reread_file *f)
{
        if (f && f->fd >= 0)
                close(f->fd);
        if (f)
                f->fd = -EBADF;
}

/* Files that the kernel prints afresh on every read from offset 0. */
static bool is_kernel_printed(int fd)
{
        struct statfs sfs;

        if (fstatfs(fd, &sfs) < 0)
                return false;
        return sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC;
}

ssize_t reread_file_at(struct reread_file *f, int dir_fd, const char *path, char *buf,
                       size_t size)
{
        _cleanup_close_ int fd = -EBADF;
        ssize_t len;

        if (size == 0)
                return -EINVAL;
        if (f && f->fd >= 0) {
                /* show() prints the whole file into the kernel's buffer and
                 * one read copies all of it when it fits: no EOF read */
                do
                        len = pread(f->fd, buf, size - 1, 0);
                while (len < 0 && errno == EINTR);
                if (len > 0 && (size_t)len < size - 1) {
                        buf[len] = '\0';
                        return len;
                }
                /* an error, nothing, or maybe more: read it afresh */
                reread_file_close(f);
        }
        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        len = read_fd_whole(fd, buf, size);
        if (len > 0 && f && !f->plain) {
                if (is_kernel_printed(fd))
                        f->fd = TAKE_FD(fd);
                else
                        f->plain = true;
        }
        return len;
}

int write_u64_at(int dir_fd, const char *path, uint64_t v)
{
        _cleanup_close_ int fd = -EBADF;
        char buf[24];
        int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", v);
        ssize_t k;

        fd = openat(dir_fd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        k = write(fd, buf, (size_t)n);
        if (k < 0)
                return -errno;
        if (k != n)
                return -EIO;
        return 0;
}
