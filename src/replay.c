/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "util.h"

static const char *const column_names[_REPLAY_COLUMN_MAX] = {
        [REPLAY_T_S] = "t_s",
        [REPLAY_MEM_TOTAL_KB] = "mem_total_kb",
        [REPLAY_COMMITTED_AS_KB] = "committed_as_kb",
        [REPLAY_TOTALRESERVE_KB] = "totalreserve_kb",
        [REPLAY_MAX_KB] = "max_kb",
        [REPLAY_BALLOON_CURRENT_KB] = "balloon_current_kb",
        [REPLAY_FRONTSWAP_PAGES] = "frontswap_pages",
        [REPLAY_SUNRECLAIM_KB] = "sunreclaim_kb",
        [REPLAY_KERNEL_STACK_KB] = "kernel_stack_kb",
        [REPLAY_PAGE_TABLES_KB] = "page_tables_kb",
        [REPLAY_MEM_AVAILABLE_KB] = "mem_available_kb",
        [REPLAY_ACTIVE_FILE_KB] = "active_file_kb",
        [REPLAY_INACTIVE_FILE_KB] = "inactive_file_kb",
        [REPLAY_WORKINGSET_REFAULT_FILE] = "workingset_refault_file",
};

#define OBS(field) offsetof(struct sb_observation, field)

/* Where a numeric column goes in the observation, and the flag that says
 * it was given, for the columns that have one. */
static const struct {
        size_t value;
        bool has_flag;
        size_t flag;
} column_fields[_REPLAY_COLUMN_MAX] = {
        [REPLAY_MEM_TOTAL_KB] = { OBS(mem_total_kb), false, 0 },
        [REPLAY_COMMITTED_AS_KB] = { OBS(committed_as_kb), false, 0 },
        [REPLAY_TOTALRESERVE_KB] = { OBS(totalreserve_kb), false, 0 },
        [REPLAY_MAX_KB] = { OBS(max_kb), false, 0 },
        [REPLAY_BALLOON_CURRENT_KB] = { OBS(balloon_current_kb), false, 0 },
        [REPLAY_FRONTSWAP_PAGES] = { OBS(frontswap_pages), true, OBS(has_frontswap) },
        [REPLAY_SUNRECLAIM_KB] = { OBS(sunreclaim_kb), false, 0 },
        [REPLAY_KERNEL_STACK_KB] = { OBS(kernel_stack_kb), false, 0 },
        [REPLAY_PAGE_TABLES_KB] = { OBS(page_tables_kb), false, 0 },
        [REPLAY_MEM_AVAILABLE_KB] = { OBS(mem_available_kb), true, OBS(has_mem_available) },
        [REPLAY_ACTIVE_FILE_KB] = { OBS(active_file_kb), false, 0 },
        [REPLAY_INACTIVE_FILE_KB] = { OBS(inactive_file_kb), false, 0 },
        /* a row with the counter has the cushion's inputs */
        [REPLAY_WORKINGSET_REFAULT_FILE] = { OBS(workingset_refault_file), true, OBS(has_cache) },
};

static void store_column(struct sb_observation *o, enum replay_column c, uint64_t v)
{
        const bool given = true;

        memcpy((char *)o + column_fields[c].value, &v, sizeof(v));
        if (column_fields[c].has_flag)
                memcpy((char *)o + column_fields[c].flag, &given, sizeof(given));
}

static bool column_required(enum replay_column c)
{
        return c >= REPLAY_MEM_TOTAL_KB && c <= REPLAY_BALLOON_CURRENT_KB;
}

__attribute__((format(printf, 3, 4))) static int fail(char *errbuf, size_t errlen,
                                                      const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* Splits at the next comma: returns the field's length and advances *p past
 * the comma; *more tells whether a comma followed. */
static size_t next_field(const char **p, bool *more)
{
        const char *start = *p, *comma = strchr(start, ',');
        size_t n = comma ? (size_t)(comma - start) : strlen(start);

        *more = comma != NULL;
        *p = comma ? comma + 1 : start + n;
        return n;
}

int replay_parse_header(const char *line, struct replay_header *ret, char *errbuf, size_t errlen)
{
        struct replay_header h = { 0 };
        const char *p = line;
        bool more = true;

        while (more) {
                const char *f = p;
                size_t n = next_field(&p, &more);
                int col = -1;

                if (h.n_fields >= REPLAY_MAX_FIELDS)
                        return fail(errbuf, errlen, "more than %d columns", REPLAY_MAX_FIELDS);
                col = TABLE_LOOKUP_N(column_names, f, n);
                if (col < 0)
                        return fail(errbuf, errlen,
                                    "unknown column '%.*s'; columns are t_s, mem_total_kb, "
                                    "committed_as_kb, totalreserve_kb, max_kb, "
                                    "balloon_current_kb, frontswap_pages, sunreclaim_kb, "
                                    "kernel_stack_kb, page_tables_kb, mem_available_kb, active_file_kb, "
                                    "inactive_file_kb, workingset_refault_file",
                                    (int)(n > 64 ? 64 : n), f);
                if (h.present[col])
                        return fail(errbuf, errlen, "column '%s' appears twice", column_names[col]);
                h.present[col] = true;
                h.column_of_field[h.n_fields++] = col;
        }
        for (int c = 0; c < _REPLAY_COLUMN_MAX; c++)
                if (column_required(c) && !h.present[c])
                        return fail(errbuf, errlen, "required column '%s' is missing",
                                    column_names[c]);
        *ret = h;
        return 0;
}

/* Seconds as written: digits with an optional fraction. Stores the value
 * in microseconds, saturated, digits finer than a microsecond dropped. */
static bool valid_time(const char *s, size_t n, uint64_t *ret_us)
{
        const uint64_t sec_max = UINT64_MAX / 1000000;
        size_t i = span_digits(s, n), frac = 0;
        uint64_t sec = 0, us = 0, scale = 100000;

        /* more seconds than a uint64_t of microseconds holds: saturate */
        if (i > 0 && (parse_u64_n(s, i, &sec) < 0 || sec > sec_max))
                sec = sec_max;
        if (i < n && s[i] == '.') {
                frac = span_digits(s + i + 1, n - i - 1);
                for (size_t k = 0; k < frac && scale > 0; k++, scale /= 10)
                        us += (uint64_t)(s[i + 1 + k] - '0') * scale;
                if (i + 1 + frac != n)
                        return false;
        } else if (i != n) {
                return false;
        }
        *ret_us = sec * 1000000 + us;
        return i + frac > 0;
}

int replay_parse_row(const struct replay_header *h, const char *line, struct replay_row *ret,
                     char *errbuf, size_t errlen)
{
        struct replay_row r = { 0 };
        const char *p = line;
        bool more = true;
        size_t i;

        for (i = 0; i < h->n_fields && more; i++) {
                enum replay_column col = (enum replay_column)h->column_of_field[i];
                const char *f = p;
                size_t n = next_field(&p, &more);
                uint64_t v;

                if (n == 0) {
                        if (column_required(col))
                                return fail(errbuf, errlen, "column '%s' is empty",
                                            column_names[col]);
                        continue; /* an absent optional value */
                }
                if (col == REPLAY_T_S) {
                        if (n >= sizeof(r.t_s) || !valid_time(f, n, &r.t_us))
                                return fail(errbuf, errlen,
                                            "t_s '%.*s' is not a time in seconds (digits, "
                                            "optionally with a fraction)",
                                            (int)(n > 40 ? 40 : n), f);
                        memcpy(r.t_s, f, n);
                        r.has_t = true;
                        continue;
                }
                if (parse_u64_n(f, n, &v) < 0)
                        return fail(errbuf, errlen,
                                    "%s '%.*s' is not a whole number (decimal digits, "
                                    "at most %" PRIu64 ")",
                                    column_names[col], (int)(n > 40 ? 40 : n), f, UINT64_MAX);
                store_column(&r.obs, col, v);
        }
        if (i < h->n_fields)
                return fail(errbuf, errlen, "%zu fields, the header has %zu", i, h->n_fields);
        if (more)
                return fail(errbuf, errlen, "more fields than the header's %zu", h->n_fields);
        *ret = r;
        return 0;
}

void replay_format_decision(const char *t_s, const struct sb_decision *d, char *buf, size_t len)
{
        char fs[24] = "-1";

        if (d->frontswap_shrink)
                snprintf(fs, sizeof(fs), "%" PRIu64, d->frontswap_target_pages);
        if (d->balloon)
                snprintf(buf, len, "%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s", t_s, d->target_kb,
                         d->goal_kb, d->floor_kb, fs);
        else
                snprintf(buf, len, "%s,,,,%s", t_s, fs);
}

static void chomp(char *line, ssize_t *n)
{
        if (*n > 0 && line[*n - 1] == '\n')
                line[--*n] = '\0';
        if (*n > 0 && line[*n - 1] == '\r')
                line[--*n] = '\0';
}

/* The decisions so far: what tells a look of the watch from a tick. */
struct replay_loop {
        struct sb_policy_state st;
        bool have_tick;         /* the last regular tick had a t_s */
        uint64_t tick_us;       /* ... which was this */
        uint64_t last_target_kb;
};

/* A line less than an interval after the last regular one is a look of
 * the watch, as in the daemon. */
static int replay_decide(struct replay_loop *l, const struct sb_settings *s,
                         const struct replay_row *r, uint64_t page_size, struct sb_decision *ret)
{
        int k;

        if (s->watch && r->has_t && l->have_tick && r->t_us >= l->tick_us &&
            r->t_us - l->tick_us < (uint64_t)s->interval_s * 1000000) {
                k = policy_decide_watch(s, &l->st, &r->obs, page_size, l->last_target_kb, ret);
        } else {
                struct sb_observation o = r->obs;

                /* the cushion's rate: from the t_s deltas */
                o.has_time = r->has_t;
                o.now_us = r->t_us;
                k = policy_decide(s, &l->st, &o, page_size, ret);
                l->have_tick = r->has_t;
                l->tick_us = r->t_us;
        }
        if (k == 0 && ret->balloon)
                l->last_target_kb = ret->target_kb;
        return k;
}

int replay_run(FILE *in, FILE *out, const char *name, const struct sb_settings *s,
               uint64_t page_size, char *errbuf, size_t errlen)
{
        _cleanup_free_ char *line = NULL;
        struct replay_loop l = { .have_tick = false };
        unsigned long lineno = 0;
        struct replay_header h;
        size_t cap = 0;
        char msg[256], cushion[24] = "";
        bool cache = false;
        ssize_t n;

        policy_state_init(&l.st);
        while ((n = getline(&line, &cap, in)) >= 0) {
                struct replay_row r;
                struct sb_decision d;
                char outline[160];

                lineno++;
                chomp(line, &n);
                if (memchr(line, '\0', (size_t)n)) {
                        snprintf(errbuf, errlen, "%s:%lu: NUL byte in line", name, lineno);
                        return -EINVAL;
                }
                if (lineno == 1) {
                        if (replay_parse_header(line, &h, msg, sizeof(msg)) < 0) {
                                snprintf(errbuf, errlen, "%s:1: bad header: %s", name, msg);
                                return -EINVAL;
                        }
                        cache = h.present[REPLAY_WORKINGSET_REFAULT_FILE];
                        if (fprintf(out, "%s%s\n", REPLAY_OUTPUT_HEADER,
                                    cache ? REPLAY_OUTPUT_CACHE : "") < 0 ||
                            fflush(out) != 0)
                                return -EIO;
                        continue;
                }
                if (replay_parse_row(&h, line, &r, msg, sizeof(msg)) < 0) {
                        snprintf(errbuf, errlen, "%s:%lu: %s", name, lineno, msg);
                        return -EINVAL;
                }
                if (replay_decide(&l, s, &r, page_size, &d) < 0) {
                        snprintf(errbuf, errlen, "%s:%lu: settings or page size rejected", name,
                                 lineno);
                        return -EINVAL;
                }
                replay_format_decision(r.t_s, &d, outline, sizeof(outline));
                if (cache)
                        snprintf(cushion, sizeof(cushion), ",%" PRIu64, d.cache_cushion_kb);
                if (fprintf(out, "%s%s\n", outline, cache ? cushion : "") < 0 || fflush(out) != 0)
                        return -EIO;
        }
        if (ferror(in)) {
                snprintf(errbuf, errlen, "%s: read error: %s", name, strerror(errno));
                return -ENODATA;
        }
        if (lineno == 0) {
                snprintf(errbuf, errlen, "%s:1: empty input, expected a header line", name);
                return -EINVAL;
        }
        return 0;
}
