/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Plain decimal digits only (no sign, no 0x, no spaces), no overflow.
 * Returns 0 or -EINVAL / -ERANGE. */
int parse_u64_n(const char *s, size_t n, uint64_t *ret);
int parse_u64(const char *s, uint64_t *ret);

/* How many decimal digits s[0..n) starts with: the extent to hand to
 * parse_u64_n() for a number followed by something else. */
size_t span_digits(const char *s, size_t n);

/* One number as sysfs prints it: digits and an optional newline. Anything
 * else is -EBADMSG. */
int parse_u64_line(const char *text, size_t len, uint64_t *ret);

/* Reads a file holding one such number: -errno, or -EBADMSG. */
int read_u64_at(int dir_fd, const char *path, uint64_t *ret);

/* read(2), again while it is interrupted: the count, 0 at EOF, or -errno. */
ssize_t read_retry(int fd, void *buf, size_t size);

/* Reads a whole (small) file below a directory fd into buf, NUL-terminated.
 * Returns the length, -EFBIG if it does not fit, or -errno. */
ssize_t read_file_at(int dir_fd, const char *path, char *buf, size_t size);

/*
 * A file read every tick. On procfs and sysfs, where each read from offset
 * 0 makes the kernel print the file afresh, the fd stays open and the next
 * read is one pread(fd, buf, n, 0) instead of openat() + read() + read()
 * (EOF) + close(). Anything else (a --root test tree's regular files, which
 * tests replace by rename, delete or turn into directories) is opened anew
 * every time, as by read_file_at(). A failed, empty or buffer-filling pread
 * drops the fd and the same call reads the file afresh, so an error is the
 * one a fresh open reports; a caller that cannot parse what it got drops
 * the fd too (reread_file_close()).
 */
struct reread_file {
        int fd;     /* -EBADF: not open */
        bool plain; /* was not on procfs or sysfs: not asked again */
};

#define REREAD_FILE_INIT { .fd = -EBADF }

/* As read_file_at(); f may be NULL (then it is read_file_at()). */
ssize_t reread_file_at(struct reread_file *f, int dir_fd, const char *path, char *buf,
                       size_t size);
/* As read_u64_at(); drops the fd on content that is not one number. */
int reread_u64_at(struct reread_file *f, int dir_fd, const char *path, uint64_t *ret);
void reread_file_close(struct reread_file *f);

/* Writes a decimal number and a newline in one write(2), to a file opened
 * with O_TRUNC, again while the write is interrupted by a signal. Returns
 * 0, -errno of openat()/write(), or -EIO for a short write. */
int write_u64_at(int dir_fd, const char *path, uint64_t v);
/* The same, but an interrupted write is -EINTR: for a caller whose alarm
 * is there to end the write (helper_shrink()). */
int write_u64_at_interruptible(int dir_fd, const char *path, uint64_t v);

/*
 * Small enum <-> name tables: names[value], NULL for a value without a
 * name. table_lookup() returns the value whose name is s (exact, case
 * sensitive) or -EINVAL; table_name() returns NULL past the end.
 */
int table_lookup(const char *const *names, size_t n_names, const char *s);
int table_lookup_n(const char *const *names, size_t n_names, const char *s, size_t len);
const char *table_name(const char *const *names, size_t n_names, unsigned i);

#define TABLE_LOOKUP(names, s) table_lookup(names, ELEMENTSOF(names), s)
#define TABLE_LOOKUP_N(names, s, len) table_lookup_n(names, ELEMENTSOF(names), s, len)
#define TABLE_NAME(names, i) table_name(names, ELEMENTSOF(names), (unsigned)(i))

/*
 * Text as the kernel prints it, walked with explicit lengths: nothing
 * assumes a NUL, nothing looks across a line's end. Scanners advance *p
 * past what they read and write their output only on success.
 */
const char *skip_blanks(const char *p, const char *end); /* spaces and tabs */
/* At least one decimal digit; more than 64 bits is -EBADMSG, not a wrap. */
int scan_u64(const char **p, const char *end, uint64_t *ret);
/* An optional '-' and digits, as the kernel's %ld prints them; -EBADMSG. */
int scan_i64(const char **p, const char *end, int64_t *ret);
/* Whether tok[0..len) is exactly word. */
bool token_is(const char *tok, size_t len, const char *word);

typedef int (*line_fn)(void *userdata, const char *line, size_t len);
/* Calls fn for every line (without its '\n'); stops at fn's first error.
 * A last line without '\n' is a read cut short: -EBADMSG. */
int for_each_line(const char *text, size_t len, line_fn fn, void *userdata);
