/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The frontswap kernel-helper interface, a versioned file ABI (version 1):
 *
 *   <dir>/version     "1"                       read
 *   <dir>/curr_pages  frontswap_curr_pages()    read
 *   <dir>/shrink      a target in pages         write: frontswap_shrink(target)
 *
 * The helper is src/frontswap-helper/, a kernel module for Linux 3.5-5.16
 * (the only kernels that export frontswap_shrink()). Paths are relative to
 * the root fd (the daemon's --root); dir is absolute as configured.
 *
 * The seed also asked frontswap_enabled(), but a module cannot (its static
 * key is not exported), and it need not: without a backend the count is 0,
 * which adds nothing to the goal and only re-arms the inertia counter, as
 * the first non-zero count would anyway.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define HELPER_ABI_VERSION 1

/* Returns 0 when a helper speaking our ABI is there; -ENOENT when there is
 * none; -EPROTO for another version (*ret_version says which); -errno. */
int helper_probe(int root_fd, const char *dir, uint64_t *ret_version);

/* Reads curr_pages: 0, or -errno / -EBADMSG. */
int helper_read_pages(int root_fd, const char *dir, uint64_t *ret_pages);

/* A shrink still running after this long is interrupted (see helper.c). */
#define HELPER_SHRINK_TIMEOUT_SEC 2

/* Asks the kernel to shrink frontswap to target pages. -ETIMEDOUT: it was
 * still going after HELPER_SHRINK_TIMEOUT_SEC and was interrupted (the
 * kernel keeps what it brought back so far). */
int helper_shrink(int root_fd, const char *dir, uint64_t target_pages);
