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

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

size_t span_digits(const char *s, size_t n)
{
        size_t i = 0;

        while (i < n && is_digit(s[i]))
                i++;
        return i;
}

/* The one decimal digit loop of the daemon: every other parser finds the
 * digits' extent and hands them here. */
int parse_u64_n(const char *s, size_t n, uint64_t *ret)
{
        uint64_t v = 0;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                unsigned d;

                if (!is_digit(s[i]))
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

ssize_t read_retry(int fd, void *buf, size_t size)
{
        ssize_t k;

        do
                k = read(fd, buf, size);
        while (k < 0 && errno == EINTR);
        return k < 0 ? -errno : k;
}

/* The whole file from fd's current position, until EOF. */
static ssize_t read_fd_whole(int fd, char *buf, size_t size)
{
        size_t len = 0;

        /* procfs and sysfs files come in several reads; loop until EOF. */
        for (;;) {
                char extra;
                ssize_t k;

                if (len == size - 1) {
                        /* full: one byte more tells "too large" from "exactly" */
                        k = read_retry(fd, &extra, 1);
                        if (k < 0)
                                return k;
                        if (k > 0)
                                return -EFBIG;
                        break;
                }
                k = read_retry(fd, buf + len, size - 1 - len);
                if (k < 0)
                        return k;
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

static int write_u64(int dir_fd, const char *path, uint64_t v, bool retry)
{
        _cleanup_close_ int fd = -EBADF;
        char buf[24]; /* 20 digits, a newline and the NUL */
        int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", v);
        ssize_t k;

        /* O_TRUNC is a no-op on sysfs but keeps a test tree's regular
         * file from ending up with the tail of a longer old value. */
        fd = openat(dir_fd, path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        do
                k = write(fd, buf, (size_t)n);
        while (k < 0 && errno == EINTR && retry);
        if (k < 0)
                return -errno;
        if (k != n)
                return -EIO; /* a sysfs store sees only what one write() carries */
        /* sysfs reports a store's failure from write(), not from close(). */
        return 0;
}

int write_u64_at(int dir_fd, const char *path, uint64_t v)
{
        return write_u64(dir_fd, path, v, true);
}

int write_u64_at_interruptible(int dir_fd, const char *path, uint64_t v)
{
        return write_u64(dir_fd, path, v, false);
}

int table_lookup_n(const char *const *names, size_t n_names, const char *s, size_t len)
{
        for (size_t i = 0; i < n_names; i++)
                if (names[i] && strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
                        return (int)i;
        return -EINVAL;
}

int table_lookup(const char *const *names, size_t n_names, const char *s)
{
        return table_lookup_n(names, n_names, s, strlen(s));
}

const char *table_name(const char *const *names, size_t n_names, unsigned i)
{
        return i < n_names ? names[i] : NULL;
}

/* ---- text as the kernel prints it: explicit lengths, no NUL assumed ---- */

const char *skip_blanks(const char *p, const char *end)
{
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        return p;
}

/* At least one decimal digit; more than 64 bits is -EBADMSG, not a wrap. */
int scan_u64(const char **p, const char *end, uint64_t *ret)
{
        size_t n = span_digits(*p, (size_t)(end - *p));
        uint64_t v;

        if (parse_u64_n(*p, n, &v) < 0)
                return -EBADMSG;
        *p += n;
        *ret = v;
        return 0;
}

/* The kernel prints protection entries with %ld. */
int scan_i64(const char **p, const char *end, int64_t *ret)
{
        const char *s = *p;
        bool neg = false;
        uint64_t mag;
        int r;

        if (s < end && *s == '-') {
                neg = true;
                s++;
        }
        r = scan_u64(&s, end, &mag);
        if (r < 0)
                return r;
        if (mag > (uint64_t)INT64_MAX + neg)
                return -EBADMSG;
        *p = s;
        if (!neg)
                *ret = (int64_t)mag;
        else if (mag == (uint64_t)INT64_MAX + 1)
                *ret = INT64_MIN;
        else
                *ret = -(int64_t)mag;
        return 0;
}

bool token_is(const char *tok, size_t len, const char *word)
{
        size_t n = strlen(word);

        return len == n && memcmp(tok, word, n) == 0;
}

/* Every line must end in '\n': a last line without one is a read cut short,
 * and a number cut short must not pass for a small number. */
int for_each_line(const char *text, size_t len, line_fn fn, void *userdata)
{
        const char *p, *end;

        if (len == 0)
                return 0;
        for (p = text, end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                int r;

                if (!nl)
                        return -EBADMSG;
                r = fn(userdata, p, (size_t)(nl - p));
                if (r < 0)
                        return r;
                p = nl + 1;
        }
        return 0;
}
