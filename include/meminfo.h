/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /proc/meminfo and /proc/zoneinfo. The parsers are pure (text in, numbers
 * out) so that tests and fuzzers feed them bytes; the readers do the I/O
 * under a root directory fd, which is "/" in production and a fixture tree
 * in tests (the daemon's --root).
 *
 * Every function returns 0 or a negative errno and writes its output
 * parameter only on success. -EBADMSG means the text is not what any
 * kernel prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reread_file;

enum meminfo_field {
        MEMINFO_MEM_TOTAL,
        MEMINFO_MEM_FREE,
        MEMINFO_MEM_AVAILABLE, /* Linux 3.14+ */
        MEMINFO_COMMITTED_AS,
        MEMINFO_SWAP_TOTAL,
        MEMINFO_SWAP_FREE,
        MEMINFO_SHMEM,
        MEMINFO_SUNRECLAIM,
        MEMINFO_KERNEL_STACK,
        MEMINFO_PAGE_TABLES,
        MEMINFO_ACTIVE_FILE,   /* Active(file), Linux 2.6.28+ */
        MEMINFO_INACTIVE_FILE, /* Inactive(file) */
        _MEMINFO_FIELD_MAX,
};

/* Without these two the policy has nothing to work on. */
#define MEMINFO_REQUIRED ((1U << MEMINFO_MEM_TOTAL) | (1U << MEMINFO_COMMITTED_AS))

/* All values in kB, as the kernel prints them. A field whose line was
 * absent is 0 and has its bit clear in present. */
struct meminfo {
        uint32_t present; /* 1U << enum meminfo_field, per line seen */
        uint64_t mem_total_kb;
        uint64_t mem_free_kb;
        uint64_t mem_available_kb;
        uint64_t committed_as_kb;
        uint64_t swap_total_kb;
        uint64_t swap_free_kb;
        uint64_t shmem_kb;
        uint64_t sunreclaim_kb;
        uint64_t kernel_stack_kb;
        uint64_t page_tables_kb;
        uint64_t active_file_kb;
        uint64_t inactive_file_kb;
};

static inline bool meminfo_has(const struct meminfo *m, enum meminfo_field f)
{
        return (m->present >> f) & 1U;
}

/* /proc/meminfo is ~1.5 KiB on current kernels; it is read in one piece so
 * that all fields come from the same snapshot. Larger: -EFBIG. */
#define MEMINFO_SIZE_MAX (16U * 1024U)

/* /proc/zoneinfo is parsed as a stream (it grows with CPUs x zones x nodes,
 * to megabytes on big machines); this bound only stops a runaway source. */
#define ZONEINFO_SIZE_MAX (64U * 1024U * 1024U)

/*
 * Lines are "Key:<spaces><decimal> kB\n". Unknown keys are skipped, so new
 * kernels' lines do no harm; a known key that is malformed, repeated or
 * overflows 64 bits, a missing MemTotal or Committed_AS, or text that does
 * not end in a newline (a truncated read) is -EBADMSG.
 */
int meminfo_parse(const char *text, size_t len, struct meminfo *ret);

/* Reads <root>/proc/meminfo: -errno of openat()/read(), -EFBIG, or as
 * meminfo_parse(). */
int meminfo_read(int root_fd, struct meminfo *ret);
/* The same, keeping procfs's file open in f between calls (util.h). */
int meminfo_reread(struct reread_file *f, int root_fd, struct meminfo *ret);

/*
 * The kernel's totalreserve_pages as calculate_totalreserve_pages() derives
 * it: per node, per zone i (in the order printed),
 *     min(managed, high - boost + max(0, protection[j] for j >= i))
 * summed over all zones. "high" as printed includes the transient
 * watermark_boost (Linux 5.0+), which the kernel zeroes right before it
 * computes totalreserve_pages, so the boost is taken out again.
 *
 * Accepts the layouts of Linux 4.x to 6.x: with or without "boost", "cma",
 * "promo", per-node stats, protection before or after the zone stats,
 * unpopulated zones, several nodes. A zone lacking high, managed or
 * protection, a repeated or malformed one of those, no zone at all, more
 * zones in a node than protection entries, or text not ending in a newline
 * is -EBADMSG.
 */
int zoneinfo_parse_totalreserve(const char *text, size_t len, uint64_t *ret_pages);

/* Reads <root>/proc/zoneinfo in chunks through the same parser: -errno of
 * openat()/read(), -EFBIG past ZONEINFO_SIZE_MAX, or as the parser. */
int zoneinfo_read_totalreserve(int root_fd, uint64_t *ret_pages);

/* /proc/vmstat: ~4 KiB on Linux 6.1; this bound only stops a runaway source. */
#define VMSTAT_SIZE_MAX (32U * 1024U)

/* What the cache cushion reads of /proc/vmstat: the pages read back soon
 * after they were evicted from the page cache. Linux 5.9 split the counter
 * into workingset_refault_anon and workingset_refault_file; before, it was
 * workingset_refault and counted file pages only (Linux 3.15-5.8). */
struct vmstat {
        bool has_refault_file; /* workingset_refault_file was there */
        bool has_refault;      /* workingset_refault (before 5.9) was there */
        uint64_t workingset_refault_file;
        uint64_t workingset_refault;
};

/*
 * Lines are "name<space><decimal>\n". Unknown names are skipped; one of
 * ours that is malformed, repeated or overflows 64 bits, or text that is
 * empty or does not end in a newline is -EBADMSG. Neither counter present
 * is not an error: both flags are false.
 */
int vmstat_parse(const char *text, size_t len, struct vmstat *ret);
/* Reads <root>/proc/vmstat, keeping the fd open in f (may be NULL):
 * -errno of openat()/read(), -EFBIG, or as vmstat_parse(). */
int vmstat_reread(struct reread_file *f, int root_fd, struct vmstat *ret);
