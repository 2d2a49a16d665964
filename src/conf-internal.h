/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The key table shared by src/conf.c (inih's handler: errors) and
 * src/conf-keys.c (the rows, their value parsers and printers).
 */
#pragma once

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

struct conf_key;

/* Parsers store a valid value or return -EINVAL/-ERANGE with *reason set. */
typedef int (*conf_parse_fn)(const struct conf_key *k, const char *value, struct sb_config *c,
                             const char **reason);
typedef void (*conf_format_fn)(const struct conf_key *k, const struct sb_config *c, char *buf,
                               size_t size);

struct conf_key {
        const char *section;
        const char *name;
        conf_parse_fn parse;
        conf_format_fn format;
        size_t offset; /* of the value in struct sb_config */
        uint64_t min, max;
        const char *default_text; /* what conf_default() parses */
        const char *accepted;
        const char *default_doc;  /* the default as --print-config says it, if not default_text */
};

#define CONF_KEYS_MAX 32

extern const struct conf_key conf_keys[];
extern const size_t conf_n_keys;
extern const char *const conf_sections[];
extern const size_t conf_n_sections;

/* Whether the key's default follows the policy (reserved_mb) */
bool conf_key_follows_policy(const struct conf_key *k);
