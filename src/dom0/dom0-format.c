/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The table and the JSON. Pure but for the FILE written to. Every byte a
 * guest wrote goes through dom0_escape_text() (table) or dom0_json_string()
 * (JSON): an escape sequence in a guest's status must not reach dom0's
 * terminal, nor a quote break the JSON a script parses.
 */
#include <inttypes.h>
#include <string.h>

#include "dom0.h"

char *dom0_escape_text(const char *s, size_t n, size_t max, char *buf, size_t size)
{
        static const char hex[] = "0123456789abcdef";
        size_t o = 0, shown = 0;

        if (size == 0)
                return buf;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                char e[4];
                size_t len;

                if (c >= 0x20 && c < 0x7f && c != '\\') {
                        e[0] = (char)c;
                        len = 1;
                } else if (c == '\\') {
                        e[0] = e[1] = '\\';
                        len = 2;
                } else {
                        e[0] = '\\';
                        e[1] = 'x';
                        e[2] = hex[c >> 4];
                        e[3] = hex[c & 15];
                        len = 4;
                }
                /* room for this, and for "..." should more follow */
                if (shown + len > max || o + len + 4 > size) {
                        size_t dots = size - 1 - o < 3 ? size - 1 - o : 3;

                        memcpy(buf + o, "...", dots);
                        o += dots;
                        break;
                }
                memcpy(buf + o, e, len);
                o += len;
                shown += len;
        }
        buf[o] = '\0';
        return buf;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0: no overlong forms,
 * no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        size_t len;
        uint32_t cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf) {
                len = 2;
                cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                cp = c & 0x07;
        } else {
                return 0;
        }
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

void dom0_json_string(FILE *f, const char *s, size_t n)
{
        const unsigned char *u = (const unsigned char *)s;

        fputc('"', f);
        for (size_t i = 0; i < n;) {
                size_t len = utf8_valid_len(u + i, n - i);

                if (len == 0) {
                        fputs("\\ufffd", f);
                        i++;
                        continue;
                }
                if (u[i] == '"' || u[i] == '\\')
                        fprintf(f, "\\%c", u[i]);
                else if (u[i] < 0x20 || u[i] == 0x7f)
                        fprintf(f, "\\u%04x", u[i]);
                else if (len == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)
                        /* C1 controls (U+0080-U+009F): valid JSON as they
                         * are, but a terminal shown the JSON acts on them */
                        fprintf(f, "\\u%04x", u[i + 1]);
                else
                        fwrite(u + i, 1, len, f);
                i += len;
        }
        fputc('"', f);
}

static bool has_key(const struct dom0_guest *g, enum dom0_key k)
{
        return g->raw->present[k] && (g->raw->has_data || k <= DOM0_KEY_STATIC_MAX);
}

/* What a guest's value shows as in the table: "-" when absent. */
static const char *cell_text(const struct dom0_guest *g, enum dom0_key k, size_t max, char *buf,
                             size_t size)
{
        const struct dom0_raw *raw = g->raw;
        size_t n;

        if (!has_key(g, k))
                return "-";
        n = raw->len[k] < DOM0_VALUE_MAX ? raw->len[k] : DOM0_VALUE_MAX;
        return dom0_escape_text(raw->value[k], n, max, buf, size);
}

static const char *cell_mib(const struct dom0_guest *g, enum dom0_key k, char *buf, size_t size)
{
        const struct dom0_num *v = &g->num[k];

        if (!has_key(g, k))
                return "-";
        if (!v->valid)
                return "?";
        /* kB -> MiB, rounded to the nearest */
        snprintf(buf, size, "%" PRIu64, v->v / 1024 + (v->v % 1024 >= 512));
        return buf;
}

static const char *cell_heartbeat(const struct dom0_guest *g, char *buf, size_t size)
{
        if (!g->raw->has_data)
                return "-";
        if (!g->raw->present[DOM0_KEY_HEARTBEAT])
                return "never";
        if (!g->num[DOM0_KEY_HEARTBEAT].valid)
                return "?";
        if (g->heartbeat_age_s >= 0)
                snprintf(buf, size, "%" PRId64 "s ago", g->heartbeat_age_s);
        else if (g->heartbeat_age_s == INT64_MIN)
                snprintf(buf, size, "ahead");
        else
                snprintf(buf, size, "%" PRId64 "s ahead", -g->heartbeat_age_s);
        return buf;
}

#define TABLE_ROW "%5s %-24s %-9s %-10s %-10s %-10s %6s %6s %6s %9s %10s  %s\n"

void dom0_format_table(FILE *f, const struct dom0_guest *g, size_t n, bool include_no_daemon)
{
        size_t count[_DOM0_HEALTH_MAX] = { 0 }, problems = 0, shown = 0;

        fprintf(f, TABLE_ROW, "DOMID", "NAME", "HEALTH", "STATUS", "BACKEND", "POLICY", "TARGET",
                "GOAL", "FLOOR", "XS-TARGET", "STATIC-MAX", "HEARTBEAT");
        for (size_t i = 0; i < n; i++) {
                char id[16], name[32], st[16], be[16], po[16], t[24], go[24], fl[24], xt[24],
                        sm[24], hb[32];

                if (g[i].health == DOM0_HEALTH_NO_DAEMON && !include_no_daemon)
                        continue;
                shown++;
                count[g[i].health]++;
                if (g[i].bad || g[i].raw->read_error)
                        problems++;
                snprintf(id, sizeof(id), "%" PRIu32, g[i].raw->domid);
                fprintf(f, TABLE_ROW, id,
                        cell_text(&g[i], DOM0_KEY_NAME, 24, name, sizeof(name)),
                        dom0_health_to_string(g[i].health),
                        cell_text(&g[i], DOM0_KEY_STATUS, 10, st, sizeof(st)),
                        cell_text(&g[i], DOM0_KEY_BACKEND, 10, be, sizeof(be)),
                        cell_text(&g[i], DOM0_KEY_POLICY, 10, po, sizeof(po)),
                        cell_mib(&g[i], DOM0_KEY_TARGET, t, sizeof(t)),
                        cell_mib(&g[i], DOM0_KEY_GOAL, go, sizeof(go)),
                        cell_mib(&g[i], DOM0_KEY_FLOOR, fl, sizeof(fl)),
                        cell_mib(&g[i], DOM0_KEY_XS_TARGET, xt, sizeof(xt)),
                        cell_mib(&g[i], DOM0_KEY_STATIC_MAX, sm, sizeof(sm)),
                        cell_heartbeat(&g[i], hb, sizeof(hb)));
        }

        fprintf(f, "%zu guest%s", shown, shown == 1 ? "" : "s");
        for (enum dom0_health h = 0; h < _DOM0_HEALTH_MAX; h++)
                if (count[h])
                        fprintf(f, ", %zu %s", count[h], dom0_health_to_string(h));
        fputs("; sizes in MiB\n", f);
        if (problems == 0)
                return;

        fputs("problems:\n", f);
        for (size_t i = 0; i < n; i++) {
                const struct dom0_raw *raw = g[i].raw;

                if (g[i].health == DOM0_HEALTH_NO_DAEMON && !include_no_daemon)
                        continue;
                if (raw->read_error)
                        fprintf(f, "  domid %" PRIu32 ": cannot read: %s\n", raw->domid,
                                strerror(-raw->read_error));
                for (enum dom0_key k = 0; k < _DOM0_KEY_MAX; k++) {
                        const char *why = dom0_problem(&g[i], k);
                        char v[64];

                        if (!why)
                                continue;
                        fprintf(f, "  domid %" PRIu32 ": %s: %s", raw->domid, dom0_key_label[k],
                                why);
                        if (raw->present[k])
                                fprintf(f, ": \"%s\" (%zu bytes)",
                                        cell_text(&g[i], k, 40, v, sizeof(v)), raw->len[k]);
                        fputc('\n', f);
                }
        }
}

static void json_num(FILE *f, const struct dom0_guest *g, enum dom0_key k)
{
        static const char *const json_name[_DOM0_KEY_MAX] = {
                [DOM0_KEY_XS_TARGET] = "xs_target_kb", [DOM0_KEY_STATIC_MAX] = "static_max_kb",
                [DOM0_KEY_TARGET] = "target_kb",       [DOM0_KEY_GOAL] = "goal_kb",
                [DOM0_KEY_FLOOR] = "floor_kb",         [DOM0_KEY_HEARTBEAT] = "heartbeat",
        };

        fprintf(f, ",\"%s\":", json_name[k]);
        if (has_key(g, k) && g->num[k].valid)
                fprintf(f, "%" PRIu64, g->num[k].v);
        else
                fputs("null", f);
}

static void json_raw(FILE *f, const struct dom0_guest *g, enum dom0_key k)
{
        const struct dom0_raw *raw = g->raw;

        if (has_key(g, k))
                dom0_json_string(f, raw->value[k],
                                 raw->len[k] < DOM0_VALUE_MAX ? raw->len[k] : DOM0_VALUE_MAX);
        else
                fputs("null", f);
}

static void json_guest(FILE *f, const struct dom0_guest *g)
{
        const struct dom0_raw *raw = g->raw;
        bool first = true;

        fprintf(f, "{\"domid\":%" PRIu32 ",\"name\":", raw->domid);
        json_raw(f, g, DOM0_KEY_NAME);
        fprintf(f, ",\"daemon\":%s,\"health\":\"%s\"", raw->has_data ? "true" : "false",
                dom0_health_to_string(g->health));
        fputs(",\"status\":", f);
        json_raw(f, g, DOM0_KEY_STATUS);
        fputs(",\"backend\":", f);
        json_raw(f, g, DOM0_KEY_BACKEND);
        fputs(",\"policy\":", f);
        json_raw(f, g, DOM0_KEY_POLICY);
        json_num(f, g, DOM0_KEY_TARGET);
        json_num(f, g, DOM0_KEY_GOAL);
        json_num(f, g, DOM0_KEY_FLOOR);
        json_num(f, g, DOM0_KEY_XS_TARGET);
        json_num(f, g, DOM0_KEY_STATIC_MAX);
        json_num(f, g, DOM0_KEY_HEARTBEAT);
        fputs(",\"heartbeat_age_s\":", f);
        if (has_key(g, DOM0_KEY_HEARTBEAT) && g->num[DOM0_KEY_HEARTBEAT].valid &&
            g->heartbeat_age_s != INT64_MIN)
                fprintf(f, "%" PRId64, g->heartbeat_age_s);
        else
                fputs("null", f);

        /* each bad key: why, and its value (cut at DOM0_VALUE_MAX) */
        fputs(",\"problems\":[", f);
        if (raw->read_error) {
                fputs("{\"key\":null,\"problem\":", f);
                dom0_json_string(f, strerror(-raw->read_error), strlen(strerror(-raw->read_error)));
                fputs(",\"value\":null}", f);
                first = false;
        }
        for (enum dom0_key k = 0; k < _DOM0_KEY_MAX; k++) {
                const char *why = dom0_problem(g, k);

                if (!why)
                        continue;
                fprintf(f, "%s{\"key\":\"%s\",\"problem\":\"%s\",\"value\":", first ? "" : ",",
                        dom0_key_label[k], why);
                json_raw(f, g, k);
                fputc('}', f);
                first = false;
        }
        fputs("]}", f);
}

void dom0_format_json(FILE *f, const struct dom0_guest *g, size_t n, int64_t now,
                      const struct dom0_limits *lim, bool include_no_daemon)
{
        bool first = true;

        fprintf(f,
                "{\"time\":%" PRId64 ",\"silent_after_s\":%" PRIu64 ",\"max_skew_s\":%" PRIu64
                ",\"exit_status\":%d,\"guests\":[",
                now, lim->silent_after_s, lim->max_skew_s, dom0_exit_status(g, n));
        for (size_t i = 0; i < n; i++) {
                if (g[i].health == DOM0_HEALTH_NO_DAEMON && !include_no_daemon)
                        continue;
                fputs(first ? "\n" : ",\n", f);
                json_guest(f, &g[i]);
                first = false;
        }
        fputs("\n]}\n", f);
}
