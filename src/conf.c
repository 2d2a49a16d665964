/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * inih -> validated struct sb_config.
 *
 * libinih is the parser; this file sets the grammar it parses with and
 * validates the sections, keys and values it hands over. Debian's libinih
 * exports its build options as variables (meson.build checks that they are
 * there), so conf_grammar() sets them instead of a second tokenizer here:
 * lines as long as the file (inih would otherwise cut a line at 200 bytes
 * and parse its tail as a line of its own), no continuation lines, ';' and
 * '#' comments, stop at the first error.
 *
 * inih gives the handler no line number, so the reader that hands it the
 * in-memory file counts the lines it starts; inih's own errors come back
 * as its line number. inih stops a line at a NUL, so a NUL is found first
 * and only the text before its line is parsed.
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

#include "conf-internal.h"
#include "macro.h"
#include "util.h"

struct conf_parse {
        const char *name;         /* for messages */
        const char *text;         /* the whole input */
        const char *next, *end;   /* what the reader has not handed to inih yet */
        unsigned lineno;          /* the line the reader handed over last */
        bool mid_line;            /* ... and not all of it yet */
        unsigned seen[CONF_KEYS_MAX]; /* line that set each key, 0: not set */
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
        for (size_t i = 0; i < conf_n_sections && o < size; i++)
                o += (size_t)snprintf(buf + o, size - o, "%s[%s]", i > 0 ? ", " : "",
                                      conf_sections[i]);
        return buf;
}

static const char *list_keys(const char *section, char *buf, size_t size)
{
        size_t o = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < conf_n_keys && o < size; i++)
                if (strcmp(conf_keys[i].section, section) == 0)
                        o += (size_t)snprintf(buf + o, size - o, "%s%s", o > 0 ? ", " : "",
                                              conf_keys[i].name);
        return buf;
}

/* The grammar, set before every parse: the variables are process-wide. */
static void conf_grammar(void)
{
        ini_use_stack = false;
        ini_allow_realloc = true;
        /* a buffer that can hold every line of a file we accept: no split */
        ini_max_line = CONF_FILE_MAX + 3;
        ini_allow_multiline = false;
        ini_allow_bom = true;
        ini_allow_no_value = false;
        ini_start_comment_prefixes = (char *)";#";
        ini_allow_inline_comments = true;
        ini_inline_comment_prefixes = (char *)";";
        ini_stop_on_first_error = true;
}

/* fgets() over the in-memory file. inih asks again, with more room, for a
 * line that did not fit, so only a piece after a '\n' starts a line. */
static char *conf_read(char *str, int num, void *stream)
{
        struct conf_parse *ctx = stream;
        size_t n = (size_t)(ctx->end - ctx->next);
        const char *nl;

        if (n == 0 || num < 2)
                return NULL;
        if (n > (size_t)num - 1)
                n = (size_t)num - 1;
        nl = memchr(ctx->next, '\n', n);
        if (nl)
                n = (size_t)(nl - ctx->next) + 1;
        if (!ctx->mid_line)
                ctx->lineno++;
        ctx->mid_line = !nl;
        memcpy(str, ctx->next, n);
        str[n] = '\0';
        ctx->next += n;
        return str;
}

#define LINE_SYNTAX "[section], key = value, or a comment line starting with ';' or '#'"

/* inih refused line `line` itself: say what the line holds. */
static void conf_syntax_error(struct conf_parse *ctx, unsigned line)
{
        const char *s = ctx->text, *e;
        char q[256], l[128];

        for (unsigned i = 1; i < line && (e = memchr(s, '\n', (size_t)(ctx->end - s))); i++)
                s = e + 1;
        e = memchr(s, '\n', (size_t)(ctx->end - s));
        if (!e)
                e = ctx->end;
        if (line == 1 && e - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
                s += 3;
        while (s < e && (*s == ' ' || *s == '\t'))
                s++;
        if (e > s && e[-1] == '\r')
                e--;
        if (s < e && *s == '[')
                conf_error(ctx, line, "%s has no closing ']' before any ' ;' comment; accepted: %s",
                           quote(s, (size_t)(e - s), q, sizeof(q)), list_sections(l, sizeof(l)));
        else
                conf_error(ctx, line, "cannot parse %s; accepted: " LINE_SYNTAX,
                           quote(s, (size_t)(e - s), q, sizeof(q)));
}

/* The row of a known section's known key, or NULL after an error. */
static const struct conf_key *conf_find_key(struct conf_parse *ctx, const char *section,
                                            const char *name, size_t *ret_index)
{
        char q[256], l[256];
        bool known = false;

        for (size_t i = 0; i < conf_n_sections; i++)
                known = known || strcmp(section, conf_sections[i]) == 0;
        if (section[0] == '\0') {
                conf_error(ctx, ctx->lineno,
                           "key %s outside any section; accepted: one of %s above it",
                           quote(name, strlen(name), q, sizeof(q)), list_sections(l, sizeof(l)));
                return NULL;
        }
        if (!known) {
                char sec[128], qs[256];

                /* the section's name is the file's text: quoted like a key's */
                snprintf(sec, sizeof(sec), "[%s]", section);
                conf_error(ctx, ctx->lineno, "key %s in unknown section %s; accepted: %s",
                           quote(name, strlen(name), q, sizeof(q)),
                           quote(sec, strlen(sec), qs, sizeof(qs)), list_sections(l, sizeof(l)));
                return NULL;
        }
        for (size_t i = 0; i < conf_n_keys; i++)
                if (strcmp(conf_keys[i].section, section) == 0 &&
                    strcmp(conf_keys[i].name, name) == 0) {
                        *ret_index = i;
                        return &conf_keys[i];
                }
        conf_error(ctx, ctx->lineno, "unknown key %s in [%s]; accepted: %s",
                   quote(name, strlen(name), q, sizeof(q)), section,
                   list_keys(section, l, sizeof(l)));
        return NULL;
}

/* inih's handler: nonzero to go on, 0 for an error (which stops inih). */
static int conf_handle(void *user, const char *section, const char *name, const char *value)
{
        struct conf_parse *ctx = user;
        const struct conf_key *k;
        const char *reason = NULL;
        char q[256];
        size_t i;

        k = conf_find_key(ctx, section, name, &i);
        if (!k)
                return 0;
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

static unsigned line_of(const char *text, const char *p)
{
        unsigned line = 1;

        for (const char *s = text; s < p; s++)
                line += *s == '\n';
        return line;
}

/* Runs inih over ctx's text; the first error, by line, is in ctx. */
static int conf_run(struct conf_parse *ctx)
{
        const char *nul = memchr(ctx->text, '\0', (size_t)(ctx->end - ctx->text));
        const char *nul_line = nul;
        int r;

        /* inih would see the line end at the NUL: stop before that line */
        while (nul_line && nul_line > ctx->text && nul_line[-1] != '\n')
                nul_line--;
        if (nul)
                ctx->end = nul_line;
        conf_grammar();
        r = ini_parse_stream(conf_read, ctx, conf_handle, ctx);
        if (r < 0)
                return -ENOMEM; /* -2, its only negative result for a stream */
        if (r > 0 && ctx->error_line == 0)
                conf_syntax_error(ctx, (unsigned)r);
        if (nul)
                conf_error(ctx, line_of(ctx->text, nul),
                           "NUL byte in line; accepted: text without NUL bytes");
        return ctx->error_line != 0 ? -EINVAL : 0;
}

int conf_parse_string(const char *text, size_t len, const char *name_for_messages,
                      struct sb_config *ret, char *errbuf, size_t errlen)
{
        struct conf_parse ctx = {
                .name = name_for_messages ? name_for_messages : "<string>",
                .text = text ? text : "",
                .next = text ? text : "",
                .end = text ? text + len : "",
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
        r = conf_run(&ctx);
        if (r == -ENOMEM)
                set_message(errbuf, errlen, "%s: out of memory", ctx.name);
        if (r < 0)
                return r;
        /* reserved_mb's default depends on the policy */
        for (size_t i = 0; i < conf_n_keys; i++)
                if (conf_key_follows_policy(&conf_keys[i]) && ctx.seen[i] == 0)
                        ctx.config.settings.reserve =
                                policy_default_reserve(ctx.config.settings.policy);
        *ret = ctx.config;
        return 0;
}

int conf_load(const char *path, struct sb_config *ret, char *errbuf, size_t errlen)
{
        /* one byte more than a file may have, for read_file_at()'s NUL */
        _cleanup_free_ char *buf = malloc(CONF_FILE_MAX + 1);
        ssize_t n;

        if (!buf) {
                set_message(errbuf, errlen, "%s: out of memory", path);
                return -ENOMEM;
        }
        n = read_file_at(AT_FDCWD, path, buf, CONF_FILE_MAX + 1);
        if (n == -EFBIG) {
                set_message(errbuf, errlen, "%s: larger than %d bytes; accepted: at most 1 MiB",
                            path, CONF_FILE_MAX);
                return -EINVAL;
        }
        if (n < 0) {
                set_message(errbuf, errlen, "%s: %s", path, strerror((int)-n));
                return (int)n;
        }
        return conf_parse_string(buf, (size_t)n, path, ret, errbuf, errlen);
}

