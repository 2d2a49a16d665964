/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --replay: observations as CSV in, the core's decisions as CSV out, one
 * line per line, flushed, so that another program can drive it tick by tick.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"

#define REPLAY_OUTPUT_HEADER "t_s,target_kb,goal_kb,floor_kb,frontswap_target_pages"
/* appended to the output when the input has workingset_refault_file */
#define REPLAY_OUTPUT_CACHE ",cache_cushion_kb"

enum replay_column {
        REPLAY_T_S,
        REPLAY_MEM_TOTAL_KB,
        REPLAY_COMMITTED_AS_KB,
        REPLAY_TOTALRESERVE_KB,
        REPLAY_MAX_KB,
        REPLAY_BALLOON_CURRENT_KB,
        REPLAY_FRONTSWAP_PAGES,
        /* optional: read by policies that use them (adaptive) */
        REPLAY_SUNRECLAIM_KB,
        REPLAY_KERNEL_STACK_KB,
        REPLAY_PAGE_TABLES_KB,
        REPLAY_MEM_AVAILABLE_KB,
        /* optional: the cache cushion's (adaptive with cache_cushion = yes),
         * regular ticks only; named after their /proc fields */
        REPLAY_ACTIVE_FILE_KB,
        REPLAY_INACTIVE_FILE_KB,
        REPLAY_WORKINGSET_REFAULT_FILE,
        _REPLAY_COLUMN_MAX,
};

#define REPLAY_MAX_FIELDS 32

struct replay_header {
        size_t n_fields;
        int column_of_field[REPLAY_MAX_FIELDS]; /* enum replay_column */
        bool present[_REPLAY_COLUMN_MAX];
};

struct replay_row {
        struct sb_observation obs;
        char t_s[32]; /* copied through as given; empty when absent */
        bool has_t;
        uint64_t t_us; /* t_s in microseconds (finer digits dropped), saturated */
};

/* Pure parsers. `line` has no line terminator. Errors: -EINVAL with a
 * message (no file or line prefix) in errbuf. */
int replay_parse_header(const char *line, struct replay_header *ret, char *errbuf, size_t errlen);
int replay_parse_row(const struct replay_header *h, const char *line, struct replay_row *ret,
                     char *errbuf, size_t errlen);

/* Formats one output line (without newline) for a decision. */
void replay_format_decision(const char *t_s, const struct sb_decision *d, char *buf, size_t len);

/*
 * The whole replay. A policy with a fast path (adaptive) judges a line whose
 * t_s is less than `interval` after the last regular tick's by the fast path
 * only (policy_decide_fast(), raising from the previous line's target), as
 * the daemon does on memory pressure between ticks; without t_s, and for
 * the seed, every line is a regular tick. Returns 0; -EINVAL for bad input with "NAME:LINE: ..."
 * in errbuf; -ENODATA when the input cannot be read ("NAME: read error: ...");
 * -EIO when the output cannot be written. */
int replay_run(FILE *in, FILE *out, const char *name, const struct sb_settings *s,
               uint64_t page_size, char *errbuf, size_t errlen);
