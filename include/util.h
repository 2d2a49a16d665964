/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Plain decimal digits only (no sign, no 0x, no spaces), no overflow.
 * Returns 0 or -EINVAL / -ERANGE. */
int parse_u64_n(const char *s, size_t n, uint64_t *ret);
int parse_u64(const char *s, uint64_t *ret);

/* One number as sysfs prints it: digits and an optional newline. Anything
 * else is -EBADMSG. */
int parse_u64_line(const char *text, size_t len, uint64_t *ret);

/* Reads a file holding one such number: -errno, or -EBADMSG. */
int read_u64_at(int dir_fd, const char *path, uint64_t *ret);

/* Reads a whole (small) file below a directory fd into buf, NUL-terminated.
 * Returns the length, -EFBIG if it does not fit, or -errno. */
ssize_t read_file_at(int dir_fd, const char *path, char *buf, size_t size);

/* Writes a decimal number and a newline in one write(2). */
int write_u64_at(int dir_fd, const char *path, uint64_t v);
