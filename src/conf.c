/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * inih -> validated struct sb_config.
 *
 * Debian's libinih 55 alone would accept bad files and misnumber lines: it
 * splits lines over 200 bytes silently, joins indented lines to the
 * previous value, stops a line at a NUL, ignores text after "[section]",
 * and gives the handler no line number. So inih only ever reads lines from
 * conf_read_line() below, which holds the whole file in memory, counts
 * lines, rejects NULs and over-long lines, strips leading whitespace (no
 * line can be a continuation then) and checks section and "key = value"
 * syntax itself, so that the handler knows its line and every error is
 * reported on the right one. The first error stops the reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"
#include "macro.h"

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

static const char *const conf_sections[] = { "selfballoon", "frontswap" };

static const char *const backend_names[_SB_BACKEND_MAX] = {
        [SB_BACKEND_AUTO] = "auto",
        [SB_BACKEND_XENSTORE] = "xenstore",
        [SB_BACKEND_SYSFS] = "sysfs",
};

static const struct {
        const char *text;
        bool value;
} booleans[] = {
        { "yes", true }, { "no", false }, { "true", true }, { "false", false }, { "1", true }, { "0", false },
};

#define FIELD(k, c, type) ((type *)(void *)((char *)(c) + (k)->offset))
#define CFIELD(k, c, type) ((const type *)(const void *)((const char *)(c) + (k)->offset))

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* Whitespace as inih's isspace() sees it in the C locale, minus '\n'. */
static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * Plain decimal digits followed by exactly `suffix`, within [min, max].
 * Stricter than the seed's kstrtoul(buf, 10, ...): no '+', no trailing
 * newline; a file has no reason for either.
 */
static int parse_number(const char *s, const char *suffix, uint64_t min, uint64_t max,
                        uint64_t *ret, const char **reason)
{
        const char *p = s;
        bool overflow = false;
        uint64_t v = 0;

        if (!is_digit(*p)) {
                *reason = "not a decimal number";
                return -EINVAL;
        }
        for (; is_digit(*p); p++) {
                unsigned d = (unsigned)(*p - '0');

                if (v > (UINT64_MAX - d) / 10)
                        overflow = true;
                else
                        v = v * 10 + d;
        }
        if (strcmp(p, suffix) != 0) {
                *reason = "trailing characters after the number";
                return -EINVAL;
        }
        if (overflow || v < min || v > max) {
                *reason = "out of range";
                return -ERANGE;
        }
        *ret = v;
        return 0;
}

static int parse_bool(const struct conf_key *k, const char *value, struct sb_config *c,
                      const char **reason)
{
        for (size_t i = 0; i < ELEMENTSOF(booleans); i++)
                if (strcmp(value, booleans[i].text) == 0) {
                        *FIELD(k, c, bool) = booleans[i].value;
                        return 0;
                }
        *reason = "not a boolean";
        return -EINVAL;
}

static int parse_u32(const struct conf_key *k, const char *value, struct sb_config *c,
                     const char **reason)
{
        uint64_t v;
        int r = parse_number(value, "", k->min, k->max, &v, reason);

        if (r < 0)
                return r;
        *FIELD(k, c, uint32_t) = (uint32_t)v;
        return 0;
}

static int parse_u64(const struct conf_key *k, const char *value, struct sb_config *c,
                     const char **reason)
{
        return parse_number(value, "", k->min, k->max, FIELD(k, c, uint64_t), reason);
}

/* "N%" of MemTotal, or N MB: the unit is the one suffix allowed. */
static int parse_reserve(const struct conf_key *k, const char *value, struct sb_config *c,
                         const char **reason)
{
        size_t n = strlen(value);
        bool percent = n > 0 && value[n - 1] == '%';
        uint64_t v;
        int r;

        r = parse_number(value, percent ? "%" : "", k->min, percent ? SB_PERCENT_MAX : k->max,
                         &v, reason);
        if (r < 0)
                return r;
        *FIELD(k, c, struct sb_reserve) = (struct sb_reserve){ .percent = percent, .value = v };
        return 0;
}

static int parse_policy(const struct conf_key *k, const char *value, struct sb_config *c,
                        const char **reason)
{
        if (policy_from_string(value, FIELD(k, c, enum sb_policy)) < 0) {
                *reason = "unknown policy";
                return -EINVAL;
        }
        return 0;
}

static int parse_backend(const struct conf_key *k, const char *value, struct sb_config *c,
                         const char **reason)
{
        if (conf_backend_from_string(value, FIELD(k, c, enum sb_backend)) < 0) {
                *reason = "unknown backend";
                return -EINVAL;
        }
        return 0;
}

/* The path ends up in openat() and in log lines: no relative paths, and
 * nothing that would make a log line ambiguous. */
static int parse_path(const struct conf_key *k, const char *value, struct sb_config *c,
                      const char **reason)
{
        size_t n = strlen(value);

        if (value[0] != '/') {
                *reason = "not an absolute path";
                return -EINVAL;
        }
        /* conf_print() must be able to write it back on one line. */
        if (n + strlen(k->name) + strlen(" = ") > CONF_LINE_MAX || n >= CONF_HELPER_DIR_MAX) {
                *reason = "too long";
                return -ERANGE;
        }
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)value[i] <= ' ' || value[i] == 0x7f) {
                        *reason = "contains a space or control character";
                        return -EINVAL;
                }
        memcpy(FIELD(k, c, char), value, n + 1);
        return 0;
}

static void format_bool(const struct conf_key *k, const struct sb_config *c, char *buf, size_t size)
{
        snprintf(buf, size, "%s", *CFIELD(k, c, bool) ? "yes" : "no");
}

static void format_u32(const struct conf_key *k, const struct sb_config *c, char *buf, size_t size)
{
        snprintf(buf, size, "%" PRIu32, *CFIELD(k, c, uint32_t));
}

static void format_u64(const struct conf_key *k, const struct sb_config *c, char *buf, size_t size)
{
        snprintf(buf, size, "%" PRIu64, *CFIELD(k, c, uint64_t));
}

static void format_reserve(const struct conf_key *k, const struct sb_config *c, char *buf,
                           size_t size)
{
        const struct sb_reserve *r = CFIELD(k, c, struct sb_reserve);

        snprintf(buf, size, "%" PRIu64 "%s", r->value, r->percent ? "%" : "");
}

static void format_policy(const struct conf_key *k, const struct sb_config *c, char *buf,
                          size_t size)
{
        const char *s = policy_to_string(*CFIELD(k, c, enum sb_policy));

        snprintf(buf, size, "%s", s ? s : "");
}

static void format_backend(const struct conf_key *k, const struct sb_config *c, char *buf,
                           size_t size)
{
        const char *s = conf_backend_to_string(*CFIELD(k, c, enum sb_backend));

        snprintf(buf, size, "%s", s ? s : "");
}

static void format_path(const struct conf_key *k, const struct sb_config *c, char *buf, size_t size)
{
        snprintf(buf, size, "%.*s", CONF_HELPER_DIR_MAX - 1, CFIELD(k, c, char));
}

/* The offset of a field, and a build failure if it is not of `type`. */
#define OFFSET(field, type) \
        _Generic(((struct sb_config *)NULL)->field, type : offsetof(struct sb_config, field))

#define KEY(sec, key, kind, type, field, lo, hi, def, acc) \
        { sec, key, parse_##kind, format_##kind, OFFSET(field, type), lo, hi, def, acc, NULL }

#define BOOLEANS "yes, no, true, false, 1 or 0 (lowercase)"
#define COUNT "an integer from 1 to 1000000"

/* Adding a key is adding a row (and, for a new kind of value, a parser and
 * a formatter). Rows of a section are printed in this order. */
static const struct conf_key conf_keys[] = {
        KEY("selfballoon", "enabled", bool, bool, settings.enabled, 0, 0, "yes", BOOLEANS),
        KEY("selfballoon", "interval", u32, uint32_t, settings.interval_s,
            SB_INTERVAL_MIN, SB_INTERVAL_MAX, "5", "an integer from 1 to 3600 (seconds)"),
        KEY("selfballoon", "down_hysteresis", u32, uint32_t, settings.down_hysteresis,
            SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX, "8", COUNT),
        KEY("selfballoon", "up_hysteresis", u32, uint32_t, settings.up_hysteresis,
            SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX, "1", COUNT),
        KEY("selfballoon", "min_usable_mb", u64, uint64_t, settings.min_usable_mb, 0, SB_MB_MAX,
            "0", "an integer from 0 to 16777215 (MB; 0 = the seed's piecewise floor)"),
        { "selfballoon", "reserved_mb", parse_reserve, format_reserve,
          OFFSET(settings.reserve, struct sb_reserve), 0, SB_MB_MAX, "10%",
          "an integer from 0 to 16777215 (MB), or N% of MemTotal with N from 0 to 100",
          "10% with policy seed, 12 with policy adaptive" },
        KEY("selfballoon", "policy", policy, enum sb_policy, settings.policy, 0, 0, "seed",
            "seed or adaptive"),
        KEY("selfballoon", "backend", backend, enum sb_backend, backend, 0, 0, "auto",
            "auto, xenstore or sysfs"),
        KEY("selfballoon", "watch", bool, bool, settings.watch, 0, 0, "yes", BOOLEANS),
        KEY("selfballoon", "watch_rate_mb_s", u32, uint32_t, settings.watch_rate_mb_s,
            SB_WATCH_RATE_MIN, SB_WATCH_RATE_MAX, "128", "an integer from 1 to 1000000 (MB/s)"),
        KEY("selfballoon", "watch_min_ms", u32, uint32_t, settings.watch_min_ms,
            SB_WATCH_MIN_MS_MIN, SB_WATCH_MIN_MS_MAX, "100",
            "an integer from 10 to 3600000 (milliseconds)"),
        KEY("selfballoon", "watch_low_mb", u64, uint64_t, settings.watch_low_mb, 0, SB_MB_MAX,
            "16", "an integer from 0 to 16777215 (MB; 0 = no MemAvailable level)"),
        KEY("frontswap", "selfshrink", bool, bool, settings.frontswap_selfshrink, 0, 0, "yes",
            BOOLEANS),
        KEY("frontswap", "hysteresis", u32, uint32_t, settings.frontswap_hysteresis,
            SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX, "20", COUNT),
        KEY("frontswap", "inertia", u32, uint32_t, settings.frontswap_inertia,
            SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX, "3", COUNT),
        KEY("frontswap", "helper_dir", path, char *, helper_dir, 0, 0, CONF_HELPER_DIR_DEFAULT,
            "an absolute path of at most 184 bytes, without spaces or control characters"),
};

struct conf_parse {
        const char *name;         /* for messages */
        const char *next, *end;   /* input not yet handed to inih */
        const char *line;         /* the current line, leading whitespace stripped */
        size_t line_len;
        unsigned lineno;
        unsigned handled;         /* the line of the last handler call */
        int section;              /* index into conf_sections, -1 before the first */
        unsigned seen[ELEMENTSOF(conf_keys)]; /* line that set each key, 0: not set */
        struct sb_config config;
        unsigned error_line;      /* 0: no error yet */
        char *errbuf;
        size_t errlen;
};

/* Only the first error counts: later ones are often its consequences. */
__attribute__((format(printf, 3, 4)))
static void conf_error(struct conf_parse *ctx, unsigned line, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (ctx->error_line != 0)
                return;
        ctx->error_line = line;
        if (!ctx->errbuf || ctx->errlen == 0)
                return;
        n = snprintf(ctx->errbuf, ctx->errlen, "%s:%u: ", ctx->name, line);
        if (n < 0 || (size_t)n >= ctx->errlen)
                return;
        va_start(ap, fmt);
        vsnprintf(ctx->errbuf + n, ctx->errlen - (size_t)n, fmt, ap);
        va_end(ap);
}

/* Quoted for a log line: non-printable bytes as \xNN, long text cut. */
static const char *quote(const char *s, size_t n, char *buf, size_t size)
{
        size_t o = 0;

        buf[o++] = '\'';
        for (size_t i = 0; i < n && o + 8 < size; i++) {
                unsigned char ch = (unsigned char)s[i];

                if (i == 60) {
                        memcpy(buf + o, "...", 3);
                        o += 3;
                        break;
                }
                if (ch < ' ' || ch >= 0x7f || ch == '\\')
                        o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
                else
                        buf[o++] = (char)ch;
        }
        buf[o++] = '\'';
        buf[o] = '\0';
        return buf;
}

static const char *hash_hint(const char *s, size_t n)
{
        return memchr(s, '#', n) ? " ('#' does not start a comment here, only ' ;' does)" : "";
}

static const char *list_sections(char *buf, size_t size)
{
        size_t o = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(conf_sections) && o < size; i++)
                o += (size_t)snprintf(buf + o, size - o, "%s[%s]", i > 0 ? ", " : "",
                                      conf_sections[i]);
        return buf;
}

static const char *list_keys(const char *section, char *buf, size_t size)
{
        size_t o = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(conf_keys) && o < size; i++)
                if (strcmp(conf_keys[i].section, section) == 0)
                        o += (size_t)snprintf(buf + o, size - o, "%s%s", o > 0 ? ", " : "",
                                              conf_keys[i].name);
        return buf;
}

#define LINE_SYNTAX "[section], key = value, or a comment line starting with ';' or '#'"

/* A "[section]" line: inih would ignore anything after the ']' and would
 * cut a long name, so the section is checked here, on the whole line. */
static int check_section(struct conf_parse *ctx, const char *s, const char *e)
{
        const char *close = memchr(s, ']', (size_t)(e - s)), *p;
        char q[256], l[128];

        if (!close) {
                conf_error(ctx, ctx->lineno, "%s has no closing ']'; accepted: %s",
                           quote(s, (size_t)(e - s), q, sizeof(q)), list_sections(l, sizeof(l)));
                return -EINVAL;
        }
        for (p = close + 1; p < e && is_blank(*p); p++)
                ;
        if (p < e && *p != ';') {
                conf_error(ctx, ctx->lineno,
                           "trailing characters %s after the section header%s; accepted: "
                           "[section] alone or followed by a ' ;' comment",
                           quote(p, (size_t)(e - p), q, sizeof(q)), hash_hint(p, (size_t)(e - p)));
                return -EINVAL;
        }
        for (size_t i = 0; i < ELEMENTSOF(conf_sections); i++)
                if (strlen(conf_sections[i]) == (size_t)(close - s - 1) &&
                    memcmp(conf_sections[i], s + 1, (size_t)(close - s - 1)) == 0) {
                        ctx->section = (int)i;
                        return 0;
                }
        conf_error(ctx, ctx->lineno, "unknown section %s; accepted: %s",
                   quote(s, (size_t)(close - s + 1), q, sizeof(q)), list_sections(l, sizeof(l)));
        return -EINVAL;
}

/* What inih would call a syntax error, found first so it gets a message
 * that shows the line: no '=' or ':' before an inline " ;" comment. */
static int check_key_line(struct conf_parse *ctx, const char *s, const char *e)
{
        bool was_blank = false;
        char q[256];

        for (const char *p = s; p < e && !(was_blank && *p == ';'); p++) {
                if (*p == '=' || *p == ':')
                        return 0;
                was_blank = is_blank(*p);
        }
        conf_error(ctx, ctx->lineno, "cannot parse %s; accepted: " LINE_SYNTAX,
                   quote(s, (size_t)(e - s), q, sizeof(q)));
        return -EINVAL;
}

/* The ini_reader: fgets() over the in-memory file, one line per call. */
static char *conf_read_line(char *str, int num, void *stream)
{
        struct conf_parse *ctx = stream;
        const char *s = ctx->next, *e, *nl;

        if (ctx->error_line != 0 || s >= ctx->end)
                return NULL;

        nl = memchr(s, '\n', (size_t)(ctx->end - s));
        e = nl ? nl : ctx->end;
        ctx->next = nl ? nl + 1 : ctx->end;
        ctx->lineno++;
        if (e > s && e[-1] == '\r')
                e--;
        if (ctx->lineno == 1 && e - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
                s += 3;

        if (memchr(s, '\0', (size_t)(e - s))) {
                conf_error(ctx, ctx->lineno, "NUL byte in line; accepted: text without NUL bytes");
                return NULL;
        }
        /* inih's rule: its buffer must hold the line plus "\r\n\0". What
         * we hand over has no '\r' but always ends in '\n', so that no
         * inih build can take it for half a line. */
        if (num < 0 || (size_t)num < CONF_LINE_MAX + 3) {
                conf_error(ctx, ctx->lineno, "libinih's line buffer of %d bytes is too small", num);
                return NULL;
        }
        if ((size_t)(e - s) > CONF_LINE_MAX) {
                conf_error(ctx, ctx->lineno,
                           "line is longer than %d bytes; accepted: lines of at most %d bytes",
                           CONF_LINE_MAX, CONF_LINE_MAX);
                return NULL;
        }

        /* With no leading whitespace, inih never sees a continuation line. */
        while (s < e && is_blank(*s))
                s++;
        ctx->line = s;
        ctx->line_len = (size_t)(e - s);

        if (s < e && *s == '[') {
                if (check_section(ctx, s, e) < 0)
                        return NULL;
        } else if (s < e && *s != ';' && *s != '#') {
                if (check_key_line(ctx, s, e) < 0)
                        return NULL;
        }

        memcpy(str, s, (size_t)(e - s));
        str[e - s] = '\n';
        str[e - s + 1] = '\0';
        return str;
}

static int conf_handle(void *user, const char *section, const char *name, const char *value)
{
        struct conf_parse *ctx = user;
        size_t n = strlen(name);
        const struct conf_key *k = NULL;
        const char *reason = NULL;
        char q[256], l[256];
        size_t i;

        if (ctx->error_line != 0)
                return 0;
        /* Every call must be for the line just read, which starts with the
         * key: a second call, or another name, would mean inih read lines
         * other than we think, and the line numbers would be wrong. */
        if (ctx->handled == ctx->lineno || n > ctx->line_len || memcmp(ctx->line, name, n) != 0) {
                conf_error(ctx, ctx->lineno, "cannot parse line; accepted: " LINE_SYNTAX);
                return 0;
        }
        ctx->handled = ctx->lineno;

        if (ctx->section < 0) {
                conf_error(ctx, ctx->lineno, "key %s before any section; accepted: %s first",
                           quote(name, n, q, sizeof(q)), list_sections(l, sizeof(l)));
                return 0;
        }
        if (strcmp(section, conf_sections[ctx->section]) != 0) {
                conf_error(ctx, ctx->lineno, "cannot parse line; accepted: " LINE_SYNTAX);
                return 0;
        }
        for (i = 0; i < ELEMENTSOF(conf_keys); i++)
                if (strcmp(conf_keys[i].section, section) == 0 &&
                    strcmp(conf_keys[i].name, name) == 0) {
                        k = &conf_keys[i];
                        break;
                }
        if (!k) {
                conf_error(ctx, ctx->lineno, "unknown key %s in [%s]; accepted: %s",
                           quote(name, n, q, sizeof(q)), section, list_keys(section, l, sizeof(l)));
                return 0;
        }
        if (ctx->seen[i] != 0) {
                conf_error(ctx, ctx->lineno,
                           "duplicate key %s in [%s], first set on line %u; accepted: each key once",
                           k->name, section, ctx->seen[i]);
                return 0;
        }
        if (value[0] == '\0') {
                conf_error(ctx, ctx->lineno, "%s has an empty value; accepted: %s", k->name,
                           k->accepted);
                return 0;
        }
        if (k->parse(k, value, &ctx->config, &reason) < 0) {
                conf_error(ctx, ctx->lineno, "%s = %s: %s%s; accepted: %s", k->name,
                           quote(value, strlen(value), q, sizeof(q)), reason,
                           hash_hint(value, strlen(value)), k->accepted);
                return 0;
        }
        ctx->seen[i] = ctx->lineno;
        return 1;
}

void conf_default(struct sb_config *ret)
{
        struct sb_config c = { 0 };
        const char *reason;

        /* Settings the file cannot set yet still get the core's defaults. */
        policy_settings_default(&c.settings);
        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++)
                (void)conf_keys[i].parse(&conf_keys[i], conf_keys[i].default_text, &c, &reason);
        *ret = c;
}

__attribute__((format(printf, 3, 4)))
static void set_message(char *errbuf, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (!errbuf || errlen == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
}

int conf_parse_string(const char *text, size_t len, const char *name_for_messages,
                      struct sb_config *ret, char *errbuf, size_t errlen)
{
        struct conf_parse ctx = {
                .name = name_for_messages ? name_for_messages : "<string>",
                .next = text ? text : "",
                .end = text ? text + len : "",
                .section = -1,
                .errbuf = errbuf,
                .errlen = errlen,
        };
        int r;

        set_message(errbuf, errlen, "%s", "");
        if (!text && len > 0) {
                set_message(errbuf, errlen, "%s: no text", ctx.name);
                return -EINVAL;
        }
        if (len > CONF_FILE_MAX) {
                set_message(errbuf, errlen, "%s: larger than %d bytes; accepted: at most 1 MiB",
                            ctx.name, CONF_FILE_MAX);
                return -EINVAL;
        }
        conf_default(&ctx.config);

        r = ini_parse_stream(conf_read_line, &ctx, conf_handle, &ctx);
        if (r == -2) {
                set_message(errbuf, errlen, "%s: out of memory", ctx.name);
                return -ENOMEM;
        }
        /* Our checks should find every error inih finds, and first; if inih
         * saw one earlier anyway, report its line. */
        if (r != 0 && (r < 0 || ctx.error_line == 0 || (unsigned)r < ctx.error_line)) {
                ctx.error_line = 0;
                conf_error(&ctx, r > 0 ? (unsigned)r : ctx.lineno,
                           "cannot parse line; accepted: " LINE_SYNTAX);
        }
        if (ctx.error_line != 0)
                return -EINVAL;
        /* reserved_mb's default depends on the policy */
        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++)
                if (conf_keys[i].parse == parse_reserve && ctx.seen[i] == 0)
                        ctx.config.settings.reserve =
                                policy_default_reserve(ctx.config.settings.policy);
        *ret = ctx.config;
        return 0;
}

int conf_load(const char *path, struct sb_config *ret, char *errbuf, size_t errlen)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;

                set_message(errbuf, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        /* Read one byte past the limit to tell "too large" from "exactly". */
        for (;;) {
                ssize_t n;

                if (size == alloc) {
                        char *p;

                        if (alloc > CONF_FILE_MAX)
                                break;
                        alloc = alloc == 0 ? 4096 : alloc * 2;
                        if (alloc > CONF_FILE_MAX)
                                alloc = CONF_FILE_MAX + 1;
                        p = realloc(buf, alloc);
                        if (!p) {
                                set_message(errbuf, errlen, "%s: out of memory", path);
                                return -ENOMEM;
                        }
                        buf = p;
                }
                n = read(fd, buf + size, alloc - size);
                if (n < 0) {
                        int r = -errno;

                        if (r == -EINTR)
                                continue;
                        set_message(errbuf, errlen, "%s: %s", path, strerror(-r));
                        return r;
                }
                if (n == 0)
                        break;
                size += (size_t)n;
        }
        return conf_parse_string(buf ? buf : "", size, path, ret, errbuf, errlen);
}

int conf_print(FILE *f, const struct sb_config *c)
{
        char value[CONF_HELPER_DIR_MAX + 64];

        errno = 0;
        if (fprintf(f, "; selfballoond: the effective configuration\n") < 0)
                goto fail;
        for (size_t s = 0; s < ELEMENTSOF(conf_sections); s++) {
                if (fprintf(f, "\n[%s]\n", conf_sections[s]) < 0)
                        goto fail;
                for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++) {
                        const struct conf_key *k = &conf_keys[i];

                        if (strcmp(k->section, conf_sections[s]) != 0)
                                continue;
                        k->format(k, c, value, sizeof(value));
                        if (fprintf(f, "; %s; default: %s\n%s = %s\n", k->accepted,
                                    k->default_doc ? k->default_doc : k->default_text, k->name,
                                    value) < 0)
                                goto fail;
                }
        }
        if (fflush(f) == 0)
                return 0;
fail:
        return errno > 0 ? -errno : -EIO;
}

/* Equal when every key prints the same: a new key is compared as soon as
 * it has a row, and bytes the file cannot express do not count. */
bool conf_equal(const struct sb_config *a, const struct sb_config *b)
{
        char va[CONF_HELPER_DIR_MAX + 64], vb[CONF_HELPER_DIR_MAX + 64];

        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++) {
                conf_keys[i].format(&conf_keys[i], a, va, sizeof(va));
                conf_keys[i].format(&conf_keys[i], b, vb, sizeof(vb));
                if (strcmp(va, vb) != 0)
                        return false;
        }
        return true;
}

const char *conf_backend_to_string(enum sb_backend b)
{
        return (unsigned)b < _SB_BACKEND_MAX ? backend_names[b] : NULL;
}

int conf_backend_from_string(const char *s, enum sb_backend *ret)
{
        for (size_t i = 0; i < _SB_BACKEND_MAX; i++)
                if (strcmp(s, backend_names[i]) == 0) {
                        *ret = (enum sb_backend)i;
                        return 0;
                }
        return -EINVAL;
}
