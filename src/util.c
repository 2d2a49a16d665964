/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
        char buf[32]; /* 20 digits, a newline and the NUL fit */
        ssize_t len = read_file_at(dir_fd, path, buf, sizeof(buf));

        if (len == -EFBIG)
                return -EBADMSG; /* too long to be one number */
        if (len < 0)
                return (int)len;
        return parse_u64_line(buf, (size_t)len, ret);
}

ssize_t read_file_at(int dir_fd, const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0;

        if (size == 0)
                return -EINVAL;
        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
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
