/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /proc/zoneinfo -> the kernel's totalreserve_pages (meminfo.h). Parsed as
 * a stream of lines with util.h's text scanners, like /proc/meminfo in
 * meminfo.c: any byte sequence parses or yields -EBADMSG.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "meminfo.h"
#include "util.h"

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
