/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /etc/selfballoon.conf: an INI file read with libinih, validated here so
 * that the rest of the daemon only ever sees settings in their ranges.
 *
 *   [selfballoon]                       [frontswap]
 *   enabled, interval, down_hysteresis, selfshrink, hysteresis, inertia,
 *   up_hysteresis, min_usable_mb,       helper_dir
 *   reserved_mb, policy, backend
 *
 * Every error names the file and line and says what is accepted. A bad file
 * is never partly applied: the output is written only on success.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "policy.h"

/* How the daemon reaches the balloon: auto picks xenstore when it works. */
enum sb_backend {
        SB_BACKEND_AUTO,
        SB_BACKEND_XENSTORE,
        SB_BACKEND_SYSFS,
        _SB_BACKEND_MAX,
};

/* helper_dir's longest value, in bytes, as the docs state it (a test
 * holds man/selfballoon.conf.5 and conf/selfballoon.conf to this number),
 * and its storage, NUL included. */
#define CONF_HELPER_DIR_LEN_MAX 255
#define CONF_HELPER_DIR_MAX (CONF_HELPER_DIR_LEN_MAX + 1)
#define CONF_HELPER_DIR_DEFAULT "/sys/kernel/selfballoon_frontswap"

/* Files larger than this are rejected before parsing. A line may be as
 * long as the file. */
#define CONF_FILE_MAX (1024 * 1024)

struct sb_config {
        struct sb_settings settings;
        enum sb_backend backend;
        char helper_dir[CONF_HELPER_DIR_MAX];
};

/* The built-in defaults: what an empty or missing file means. */
void conf_default(struct sb_config *ret);

/*
 * Reads and parses the file at path. Keys the file does not set keep their
 * defaults. Returns 0, or:
 *   -ENOENT   the file does not exist (the caller may run on defaults);
 *   -EINVAL   the file is not valid (or larger than CONF_FILE_MAX), errbuf
 *             "PATH:LINE: what is wrong; accepted: ..." for the first error
 *             in line order;
 *   -ENOMEM   out of memory;
 *   any other -errno of open(2)/read(2), unchanged (-EACCES, -EISDIR,
 *             -ELOOP, -EIO, ...): the file is there but cannot be read,
 *             errbuf "PATH: strerror". Like -EINVAL, a fault of the file,
 *             not of the daemon: selfballoond(8) exits 2 for it.
 * errbuf (may be NULL) always gets a message on failure. *ret is written
 * only on success.
 */
int conf_load(const char *path, struct sb_config *ret, char *errbuf, size_t errlen);

/*
 * Parses len bytes of text (any bytes: NULs and a missing final newline are
 * handled) as a configuration file named name_for_messages. Returns 0,
 * -EINVAL as conf_load(), or -ENOMEM.
 */
int conf_parse_string(const char *text, size_t len, const char *name_for_messages,
                      struct sb_config *ret, char *errbuf, size_t errlen);

/* Writes every key, defaults included, in the file's own syntax; the output
 * parses back to an equal config. Returns 0 or -errno. */
int conf_print(FILE *f, const struct sb_config *c);

bool conf_equal(const struct sb_config *a, const struct sb_config *b);

const char *conf_backend_to_string(enum sb_backend b);
int conf_backend_from_string(const char *s, enum sb_backend *ret);
