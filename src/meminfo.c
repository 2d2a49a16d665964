/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /proc/meminfo and /proc/zoneinfo readers. Parsing walks the text line by
 * line with explicit lengths: no NUL termination is assumed, nothing is
 * searched for across line boundaries, and any byte sequence either parses
 * or yields -EBADMSG (the fuzz targets rely on that).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "meminfo.h"
#include "util.h"

/* ---- shared text helpers ---- */

static const char *skip_blanks(const char *p, const char *end)
{
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        return p;
}

/* At least one decimal digit; more than 64 bits is -EBADMSG, not a wrap. */
static int scan_u64(const char **p, const char *end, uint64_t *ret)
{
        size_t n = span_digits(*p, (size_t)(end - *p));
        uint64_t v;

        if (parse_u64_n(*p, n, &v) < 0)
                return -EBADMSG;
        *p += n;
        *ret = v;
        return 0;
}

/* The kernel prints protection entries with %ld. */
static int scan_i64(const char **p, const char *end, int64_t *ret)
{
        const char *s = *p;
        bool neg = false;
        uint64_t mag;
        int r;

        if (s < end && *s == '-') {
                neg = true;
                s++;
        }
        r = scan_u64(&s, end, &mag);
        if (r < 0)
                return r;
        if (mag > (uint64_t)INT64_MAX + neg)
                return -EBADMSG;
        *p = s;
        if (!neg)
                *ret = (int64_t)mag;
        else if (mag == (uint64_t)INT64_MAX + 1)
                *ret = INT64_MIN;
        else
                *ret = -(int64_t)mag;
        return 0;
}

static bool token_is(const char *tok, size_t len, const char *word)
{
        size_t n = strlen(word);

        return len == n && memcmp(tok, word, n) == 0;
}

typedef int (*line_fn)(void *userdata, const char *line, size_t len);

/* Every line must end in '\n': a last line without one is a read cut short,
 * and a number cut short must not pass for a small number. */
static int for_each_line(const char *text, size_t len, line_fn fn, void *userdata)
{
        const char *p, *end;

        if (len == 0)
                return 0;
        for (p = text, end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                int r;

                if (!nl)
                        return -EBADMSG;
                r = fn(userdata, p, (size_t)(nl - p));
                if (r < 0)
                        return r;
                p = nl + 1;
        }
        return 0;
}

/* ---- /proc/meminfo ---- */

#define FIELD(key, member) { key, sizeof(key) - 1, offsetof(struct meminfo, member) }

static const struct {
        const char *key;
        size_t key_len;
        size_t offset;
} meminfo_fields[_MEMINFO_FIELD_MAX] = {
        [MEMINFO_MEM_TOTAL] = FIELD("MemTotal", mem_total_kb),
        [MEMINFO_MEM_FREE] = FIELD("MemFree", mem_free_kb),
        [MEMINFO_MEM_AVAILABLE] = FIELD("MemAvailable", mem_available_kb),
        [MEMINFO_COMMITTED_AS] = FIELD("Committed_AS", committed_as_kb),
        [MEMINFO_SWAP_TOTAL] = FIELD("SwapTotal", swap_total_kb),
        [MEMINFO_SWAP_FREE] = FIELD("SwapFree", swap_free_kb),
        [MEMINFO_SHMEM] = FIELD("Shmem", shmem_kb),
        [MEMINFO_SUNRECLAIM] = FIELD("SUnreclaim", sunreclaim_kb),
        [MEMINFO_KERNEL_STACK] = FIELD("KernelStack", kernel_stack_kb),
        [MEMINFO_PAGE_TABLES] = FIELD("PageTables", page_tables_kb),
};

#undef FIELD

static int meminfo_line(void *userdata, const char *line, size_t len)
{
        struct meminfo *m = userdata;
        const char *end = line + len, *colon, *p;
        uint64_t v;
        size_t key_len;
        int r;

        colon = memchr(line, ':', len);
        if (!colon)
                return 0;
        key_len = (size_t)(colon - line);

        for (unsigned f = 0; f < _MEMINFO_FIELD_MAX; f++) {
                if (key_len != meminfo_fields[f].key_len ||
                    memcmp(line, meminfo_fields[f].key, key_len) != 0)
                        continue;

                /* A second MemTotal means two files ran together, or
                 * garbage: neither value can be trusted. */
                if (m->present & (1U << f))
                        return -EBADMSG;

                p = skip_blanks(colon + 1, end);
                r = scan_u64(&p, end, &v);
                if (r < 0)
                        return r;
                if (end - p != 3 || memcmp(p, " kB", 3) != 0)
                        return -EBADMSG;

                memcpy((char *)m + meminfo_fields[f].offset, &v, sizeof(v));
                m->present |= 1U << f;
                return 0;
        }
        return 0; /* not ours: new kernels add lines all the time */
}

int meminfo_parse(const char *text, size_t len, struct meminfo *ret)
{
        struct meminfo m = { 0 };
        int r;

        r = for_each_line(text, len, meminfo_line, &m);
        if (r < 0)
                return r;
        if ((m.present & MEMINFO_REQUIRED) != MEMINFO_REQUIRED)
                return -EBADMSG;
        *ret = m;
        return 0;
}

int meminfo_read(int root_fd, struct meminfo *ret)
{
        return meminfo_reread(NULL, root_fd, ret);
}

int meminfo_reread(struct reread_file *f, int root_fd, struct meminfo *ret)
{
        /* Read whole, in one buffer: meminfo is a single_open() file, so
         * all its fields then come from one snapshot. */
        char buf[MEMINFO_SIZE_MAX + 1];
        ssize_t len;
        int r;

        len = reread_file_at(f, root_fd, "proc/meminfo", buf, sizeof(buf));
        if (len < 0)
                return (int)len;
        r = meminfo_parse(buf, (size_t)len, ret);
        if (r < 0)
                reread_file_close(f); /* the next read opens it afresh */
        return r;
}

/* ---- /proc/zoneinfo ---- */

/* MAX_NR_ZONES is at most 6 in any kernel configuration. */
#define ZONEINFO_NR_ZONES_MAX 16

enum {
        ZONE_HIGH = 1U << 0,
        ZONE_BOOST = 1U << 1,
        ZONE_MANAGED = 1U << 2,
        ZONE_PROTECTION = 1U << 3,
        ZONE_NEEDED = ZONE_HIGH | ZONE_MANAGED | ZONE_PROTECTION,
};

struct zoneinfo_parser {
        uint64_t total_pages;
        uint64_t zones;        /* zones summed so far */
        int64_t node;          /* -1 until the first "Node" header */
        unsigned node_zones;   /* zones seen in this node: the next zone's index */
        bool in_zone;          /* false in a node-level section */
        unsigned zone_idx;
        unsigned seen;         /* ZONE_* */
        uint64_t high, boost, managed;
        int64_t reserve_max;   /* the kernel's "long max": max(0, protection[j >= i]) */
};

static void zoneinfo_parser_init(struct zoneinfo_parser *z)
{
        *z = (struct zoneinfo_parser){ .node = -1 };
}

static int zoneinfo_close_zone(struct zoneinfo_parser *z)
{
        uint64_t high, reserve;

        if (!z->in_zone)
                return 0;
        z->in_zone = false;

        /* Every kernel prints all three for every zone it prints; a zone
         * without them is a read cut short or not zoneinfo at all. */
        if ((z->seen & ZONE_NEEDED) != ZONE_NEEDED)
                return -EBADMSG;

        /* high_wmark_pages() includes the boost, so high >= boost always. */
        if (z->boost > z->high)
                return -EBADMSG;
        high = z->high - z->boost;

        if ((uint64_t)z->reserve_max > UINT64_MAX - high)
                return -EBADMSG;
        reserve = (uint64_t)z->reserve_max + high;
        if (reserve > z->managed)
                reserve = z->managed;

        if (reserve > UINT64_MAX - z->total_pages)
                return -EBADMSG;
        z->total_pages += reserve;
        z->zones++;
        return 0;
}

/* "Node <n>, zone <name>", or a node-level section "Node <n>, <other>". */
static int zoneinfo_header(struct zoneinfo_parser *z, const char *line, const char *end)
{
        const char *p = line + strlen("Node ");
        bool zone = false;
        uint64_t node;
        int r;

        r = scan_u64(&p, end, &node);
        if (r < 0)
                return r;
        if (node > INT32_MAX || end - p < 2 || p[0] != ',' || p[1] != ' ')
                return -EBADMSG;
        p += 2;
        if (end - p >= 4 && memcmp(p, "zone", 4) == 0) {
                const char *name = skip_blanks(p + 4, end);

                if (name == p + 4 || name == end)
                        return -EBADMSG;
                zone = true;
        } else if (p == end) {
                return -EBADMSG;
        }

        r = zoneinfo_close_zone(z);
        if (r < 0)
                return r;

        /* for_each_online_pgdat() walks nodes in increasing order; going
         * back would make the zone index ambiguous. */
        if ((int64_t)node != z->node) {
                if ((int64_t)node < z->node)
                        return -EBADMSG;
                z->node = (int64_t)node;
                z->node_zones = 0;
        }
        if (!zone)
                return 0;

        /* The position within the node is the zone index on 4.12+, which
         * print unpopulated zones too. Older kernels skip them, so the
         * position may be lower than the index; that only widens the
         * "j >= i" range by entries the kernel leaves 0 (lowmem_reserve[j]
         * is set only for j > i), so the sum is the same. */
        z->in_zone = true;
        z->zone_idx = z->node_zones++;
        z->seen = 0;
        z->high = z->boost = z->managed = 0;
        z->reserve_max = 0;
        return 0;
}

static int zoneinfo_protection(struct zoneinfo_parser *z, const char *p, const char *end)
{
        unsigned n = 0;
        int r;

        p = skip_blanks(p, end);
        if (p >= end || *p != '(')
                return -EBADMSG;
        p++;
        for (;;) {
                int64_t v;

                if (n >= ZONEINFO_NR_ZONES_MAX)
                        return -EBADMSG;
                p = skip_blanks(p, end);
                r = scan_i64(&p, end, &v);
                if (r < 0)
                        return r;
                /* reserve_max starts at 0 as the kernel's does, so negative
                 * entries never count. */
                if (n >= z->zone_idx && v > z->reserve_max)
                        z->reserve_max = v;
                n++;
                p = skip_blanks(p, end);
                if (p < end && *p == ',') {
                        p++;
                        continue;
                }
                if (p < end && *p == ')') {
                        p++;
                        break;
                }
                return -EBADMSG;
        }
        if (p != end)
                return -EBADMSG;
        /* One entry per zone of the node: a zone past the end means the
         * headers and the arrays disagree. */
        if (z->zone_idx >= n)
                return -EBADMSG;
        return 0;
}

static int zoneinfo_zone_line(struct zoneinfo_parser *z, const char *p, const char *end)
{
        const char *tok;
        uint64_t *value;
        unsigned bit;
        int r;

        tok = p = skip_blanks(p, end);
        while (p < end && *p != ' ' && *p != '\t')
                p++;

        /* Exact tokens: the pagesets' "high:" and 6.7's "high_min:" are
         * per-CPU lists, not the watermark. */
        if (token_is(tok, (size_t)(p - tok), "high")) {
                bit = ZONE_HIGH;
                value = &z->high;
        } else if (token_is(tok, (size_t)(p - tok), "boost")) {
                bit = ZONE_BOOST;
                value = &z->boost;
        } else if (token_is(tok, (size_t)(p - tok), "managed")) {
                bit = ZONE_MANAGED;
                value = &z->managed;
        } else if (token_is(tok, (size_t)(p - tok), "protection:")) {
                if (z->seen & ZONE_PROTECTION)
                        return -EBADMSG;
                z->seen |= ZONE_PROTECTION;
                return zoneinfo_protection(z, p, end);
        } else {
                return 0;
        }

        if (z->seen & bit)
                return -EBADMSG;
        p = skip_blanks(p, end);
        r = scan_u64(&p, end, value);
        if (r < 0)
                return r;
        if (p != end)
                return -EBADMSG;
        z->seen |= bit;
        return 0;
}

static int zoneinfo_line(void *userdata, const char *line, size_t len)
{
        struct zoneinfo_parser *z = userdata;
        const char *end = line + len;

        if (len == 0)
                return 0;
        if (line[0] != ' ' && line[0] != '\t') {
                if (len > 5 && memcmp(line, "Node ", 5) == 0)
                        return zoneinfo_header(z, line, end);
                return -EBADMSG;
        }
        if (z->node < 0)
                return -EBADMSG;
        if (!z->in_zone)
                return 0;
        return zoneinfo_zone_line(z, line, end);
}

static int zoneinfo_finish(struct zoneinfo_parser *z, uint64_t *ret_pages)
{
        int r;

        r = zoneinfo_close_zone(z);
        if (r < 0)
                return r;
        if (z->zones == 0)
                return -EBADMSG;
        *ret_pages = z->total_pages;
        return 0;
}

int zoneinfo_parse_totalreserve(const char *text, size_t len, uint64_t *ret_pages)
{
        struct zoneinfo_parser z;
        int r;

        zoneinfo_parser_init(&z);
        r = for_each_line(text, len, zoneinfo_line, &z);
        if (r < 0)
                return r;
        return zoneinfo_finish(&z, ret_pages);
}

int zoneinfo_read_totalreserve(int root_fd, uint64_t *ret_pages)
{
        _cleanup_close_ int fd = -EBADF;
        struct zoneinfo_parser z;
        char buf[4096]; /* longer than any zoneinfo line by far */
        size_t fill = 0, total = 0;
        int r = 0;

        fd = openat(root_fd, "proc/zoneinfo", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        zoneinfo_parser_init(&z);
        for (;;) {
                const char *nl;
                size_t used;
                ssize_t n;

                n = read_retry(fd, buf + fill, sizeof(buf) - fill);
                if (n < 0) {
                        r = (int)n;
                        break;
                }
                if (n == 0)
                        break;
                total += (size_t)n;
                if (total > ZONEINFO_SIZE_MAX) {
                        r = -EFBIG;
                        break;
                }
                fill += (size_t)n;

                /* Feed the complete lines, keep the partial one for the
                 * next read. */
                nl = memrchr(buf, '\n', fill);
                if (!nl) {
                        if (fill == sizeof(buf)) {
                                r = -EBADMSG;
                                break;
                        }
                        continue;
                }
                used = (size_t)(nl - buf) + 1;
                r = for_each_line(buf, used, zoneinfo_line, &z);
                if (r < 0)
                        break;
                memmove(buf, buf + used, fill - used);
                fill -= used;
        }
        if (r < 0)
                return r;
        if (fill > 0)
                return -EBADMSG;
        return zoneinfo_finish(&z, ret_pages);
}
