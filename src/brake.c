/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The brake's pure part: the limit arithmetic and the three texts it reads
 * (memory.events, /proc/self/cgroup, its own record). No I/O, no clock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "brake.h"
#include "util.h"

uint64_t brake_limit_bytes(uint64_t usage_bytes, uint64_t free_kb, uint64_t reserve_kb,
                           uint64_t margin_mb)
{
        uint64_t keep_kb = reserve_kb, room_bytes;

        /* what the kernel keeps free, and the margin, are never handed out:
         * a slice at its limit leaves the guest above its high watermarks,
         * where no allocation has to wait for kswapd, let alone reach min */
        keep_kb = margin_mb > (UINT64_MAX - keep_kb) / 1024 ? UINT64_MAX
                                                             : keep_kb + margin_mb * 1024;
        if (free_kb <= keep_kb)
                return usage_bytes;
        room_bytes = free_kb - keep_kb > UINT64_MAX / 1024 ? UINT64_MAX
                                                           : (free_kb - keep_kb) * 1024;
        return room_bytes > UINT64_MAX - usage_bytes ? UINT64_MAX : usage_bytes + room_bytes;
}

bool brake_needs_set(uint64_t set_bytes, uint64_t want_bytes)
{
        if (set_bytes == 0)
                return true;
        return set_bytes > want_bytes ? set_bytes - want_bytes >= BRAKE_STEP_BYTES
                                      : want_bytes - set_bytes >= BRAKE_STEP_BYTES;
}

struct events_scan {
        bool seen;
        uint64_t high;
};

static int events_line(void *userdata, const char *line, size_t len)
{
        struct events_scan *s = userdata;
        const char *p = line, *end = line + len;

        if (len < 5 || memcmp(line, "high ", 5) != 0)
                return 0; /* low, max, oom, oom_kill, ...: not the brake's */
        if (s->seen)
                return -EBADMSG;
        p += 5;
        if (scan_u64(&p, end, &s->high) < 0 || p != end)
                return -EBADMSG;
        s->seen = true;
        return 0;
}

int brake_events_parse_high(const char *text, size_t len, uint64_t *ret_high)
{
        struct events_scan s = { 0 };
        int r = for_each_line(text, len, events_line, &s);

        if (r < 0)
                return -EBADMSG;
        if (!s.seen)
                return -EBADMSG;
        *ret_high = s.high;
        return 0;
}

int brake_own_top_parse(const char *text, size_t len, char *ret, size_t size)
{
        const char *p = text, *end = text + len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end, *top, *slash;

                if (e - p >= 3 && memcmp(p, "0::", 3) == 0) {
                        top = p + 3;
                        if (top == e || *top != '/')
                                return -EBADMSG;
                        top++;
                        slash = memchr(top, '/', (size_t)(e - top));
                        if (!slash)
                                slash = e;
                        if ((size_t)(slash - top) >= size)
                                return -ENAMETOOLONG;
                        memcpy(ret, top, (size_t)(slash - top));
                        ret[slash - top] = '\0';
                        return 0;
                }
                p = nl ? nl + 1 : end;
        }
        return -ENOENT;
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n > m && strcmp(s + n - m, suffix) == 0;
}

bool brake_slice_wanted(const char *name, const char *own_top)
{
        size_t n = strlen(name);

        if (n == 0 || n >= BRAKE_NAME_MAX || !has_suffix(name, ".slice"))
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)name[i] <= ' ' || name[i] == '/' || name[i] == 0x7f)
                        return false;
        return strcmp(name, own_top) != 0;
}

struct record_scan {
        struct brake_saved *out;
        size_t max, n;
        unsigned line, bad;
};

static int record_line(void *userdata, const char *line, size_t len)
{
        struct record_scan *s = userdata;
        const char *sp = memchr(line, ' ', len), *v;
        struct brake_saved e = { 0 };
        size_t name_len;

        s->bad = ++s->line; /* cleared when the line is good */
        if (!sp || s->n >= s->max)
                return -EBADMSG;
        name_len = (size_t)(sp - line);
        if (name_len == 0 || name_len >= sizeof(e.name))
                return -EBADMSG;
        memcpy(e.name, line, name_len);
        v = sp + 1;
        if (!brake_slice_wanted(e.name, ""))
                return -EBADMSG;
        if (token_is(v, (size_t)(line + len - v), "infinity"))
                e.high_bytes = BRAKE_INFINITY;
        else if (parse_u64_n(v, (size_t)(line + len - v), &e.high_bytes) < 0 ||
                 e.high_bytes == BRAKE_INFINITY)
                return -EBADMSG;
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->out[i].name, e.name) == 0)
                        return -EBADMSG;
        s->out[s->n++] = e;
        s->bad = 0;
        return 0;
}

int brake_record_parse(const char *text, size_t len, struct brake_saved *ret, size_t max,
                       size_t *ret_n, unsigned *ret_line)
{
        struct brake_saved tmp[BRAKE_SLICES_MAX];
        struct record_scan s = { .out = tmp, .max = max < BRAKE_SLICES_MAX ? max
                                                                            : BRAKE_SLICES_MAX };
        int r = for_each_line(text, len, record_line, &s);

        if (r < 0) {
                /* else a last line without '\n': the one after the good ones */
                *ret_line = s.bad ? s.bad : s.line + 1;
                return -EBADMSG;
        }
        memcpy(ret, tmp, s.n * sizeof(tmp[0]));
        *ret_n = s.n;
        return 0;
}

int brake_record_format(const struct brake_saved *s, size_t n, char *buf, size_t size)
{
        size_t o = 0;
        int k;

        if (size > 0)
                buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (s[i].high_bytes == BRAKE_INFINITY)
                        k = snprintf(buf + o, size - o, "%s infinity\n", s[i].name);
                else
                        k = snprintf(buf + o, size - o, "%s %" PRIu64 "\n", s[i].name,
                                     s[i].high_bytes);
                if (k < 0 || (size_t)k >= size - o)
                        return -ENOBUFS;
                o += (size_t)k;
        }
        return (int)o;
}
