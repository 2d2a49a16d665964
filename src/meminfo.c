/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /proc/meminfo and /proc/vmstat (meminfo-zoneinfo.c: /proc/zoneinfo). Parsing walks the
 * text line by line with explicit lengths (util.h's text scanners): no NUL
 * termination is assumed, nothing is searched for across line boundaries,
 * and any byte sequence either parses or yields -EBADMSG (the fuzz targets
 * rely on that).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "meminfo.h"
#include "util.h"

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
        [MEMINFO_ACTIVE_FILE] = FIELD("Active(file)", active_file_kb),
        [MEMINFO_INACTIVE_FILE] = FIELD("Inactive(file)", inactive_file_kb),
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

static int vmstat_line(void *userdata, const char *line, size_t len)
{
        static const char refault_file[] = "workingset_refault_file";
        static const char refault[] = "workingset_refault";
        struct vmstat *v = userdata;
        const char *end = line + len, *space, *p;
        uint64_t value, *field;
        bool *flag;
        size_t key_len;
        int r;

        space = memchr(line, ' ', len);
        if (!space)
                return 0;
        key_len = (size_t)(space - line);
        if (key_len == sizeof(refault_file) - 1 && memcmp(line, refault_file, key_len) == 0) {
                field = &v->workingset_refault_file;
                flag = &v->has_refault_file;
        } else if (key_len == sizeof(refault) - 1 && memcmp(line, refault, key_len) == 0) {
                field = &v->workingset_refault;
                flag = &v->has_refault;
        } else {
                return 0; /* not ours */
        }
        if (*flag)
                return -EBADMSG;
        p = space + 1;
        r = scan_u64(&p, end, &value);
        if (r < 0)
                return r;
        if (p != end)
                return -EBADMSG;
        *field = value;
        *flag = true;
        return 0;
}

int vmstat_parse(const char *text, size_t len, struct vmstat *ret)
{
        struct vmstat v = { 0 };
        int r;

        if (len == 0)
                return -EBADMSG;
        r = for_each_line(text, len, vmstat_line, &v);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int vmstat_reread(struct reread_file *f, int root_fd, struct vmstat *ret)
{
        char buf[VMSTAT_SIZE_MAX + 1];
        ssize_t len;
        int r;

        len = reread_file_at(f, root_fd, "proc/vmstat", buf, sizeof(buf));
        if (len < 0)
                return (int)len;
        r = vmstat_parse(buf, (size_t)len, ret);
        if (r < 0)
                reread_file_close(f);
        return r;
}
