/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc/meminfo and /proc/zoneinfo: captured fixtures with hand-computed
 * expectations, hand-made layouts of other kernel versions, and text that
 * no kernel prints. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "meminfo.h"
#include "util.h"

#define ALL_FIELDS ((1U << _MEMINFO_FIELD_MAX) - 1)
#define SENTINEL UINT64_C(0xdeadbeefcafe)

/* ---- helpers ---- */

static char *slurp(const char *path, size_t *ret_len)
{
        struct stat st;
        char *buf;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        buf = malloc((size_t)st.st_size + 1);
        assert_non_null(buf);
        assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
        close(fd);
        *ret_len = (size_t)st.st_size;
        return buf;
}

static int open_dir(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(fd >= 0);
        return fd;
}

static int parse_mi(const char *text, struct meminfo *ret)
{
        return meminfo_parse(text, strlen(text), ret);
}

static int parse_zi(const char *text, uint64_t *ret)
{
        return zoneinfo_parse_totalreserve(text, strlen(text), ret);
}

/* A scratch root with proc/, removed by the caller with rm_tree(). */
static int make_root(char *path, size_t size)
{
        const char *tmp = getenv("TMPDIR");

        snprintf(path, size, "%s/sbtest-meminfo-XXXXXX", tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(path));
        int fd = open_dir(path);
        assert_int_equal(mkdirat(fd, "proc", 0755), 0);
        return fd;
}

static void write_at(int dir_fd, const char *rel, const char *data, size_t len)
{
        int fd = openat(dir_fd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        close(fd);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static void rm_tree(const char *path)
{
        assert_int_equal(nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* ---- /proc/meminfo ---- */

static void test_meminfo_fixture_domU(void **unused)
{
        struct meminfo m, p;
        size_t len;
        char *text;
        int root;

        root = open_dir(FIXTURES "/domU-512");
        assert_int_equal(meminfo_read(root, &m), 0);
        close(root);

        assert_int_equal(m.present, ALL_FIELDS);
        assert_int_equal(m.mem_total_kb, 461172);
        assert_int_equal(m.mem_free_kb, 431636);
        assert_int_equal(m.mem_available_kb, 431364);
        assert_int_equal(m.committed_as_kb, 5128);
        assert_int_equal(m.swap_total_kb, 0);
        assert_int_equal(m.swap_free_kb, 0);
        assert_int_equal(m.shmem_kb, 4116);
        assert_int_equal(m.sunreclaim_kb, 5412);
        assert_int_equal(m.kernel_stack_kb, 784);
        assert_int_equal(m.page_tables_kb, 68);

        /* The read path and the pure parser agree. */
        text = slurp(FIXTURES "/domU-512/proc/meminfo", &len);
        assert_int_equal(meminfo_parse(text, len, &p), 0);
        assert_int_equal(p.present, m.present);
        assert_int_equal(p.mem_total_kb, m.mem_total_kb);
        assert_int_equal(p.committed_as_kb, m.committed_as_kb);
        assert_int_equal(p.page_tables_kb, m.page_tables_kb);
        free(text);
}

static void test_meminfo_fixture_host(void **unused)
{
        struct meminfo m;
        int root;

        /* Captured on the build machine: Debian 12 userspace, kernel 6.18,
         * not Xen, 24 GiB. */
        root = open_dir(FIXTURES "/debian12-host");
        assert_int_equal(meminfo_read(root, &m), 0);
        close(root);

        assert_int_equal(m.present, ALL_FIELDS);
        assert_int_equal(m.mem_total_kb, 24683620);
        assert_int_equal(m.mem_free_kb, 23838704);
        assert_int_equal(m.mem_available_kb, 24344640);
        assert_int_equal(m.committed_as_kb, 55904);
        assert_int_equal(m.swap_total_kb, 0);
        assert_int_equal(m.swap_free_kb, 0);
        assert_int_equal(m.shmem_kb, 8952);
        assert_int_equal(m.sunreclaim_kb, 23984);
        assert_int_equal(m.kernel_stack_kb, 1400);
        assert_int_equal(m.page_tables_kb, 1392);
}

static void test_meminfo_optional_fields(void **unused)
{
        struct meminfo m;

        /* A 3.x kernel has no MemAvailable; only the two required keys
         * are needed at all, and unknown lines of any shape are skipped. */
        assert_int_equal(parse_mi("MemTotal:        1000 kB\n"
                                  "HugePages_Total:       0\n"
                                  "no colon on this line\n"
                                  "Hugepagesize:       2048 kB\n"
                                  "Committed_AS:      20 kB\n",
                                  &m),
                         0);
        assert_int_equal(m.present, MEMINFO_REQUIRED);
        assert_true(meminfo_has(&m, MEMINFO_MEM_TOTAL));
        assert_false(meminfo_has(&m, MEMINFO_MEM_AVAILABLE));
        assert_int_equal(m.mem_total_kb, 1000);
        assert_int_equal(m.committed_as_kb, 20);
        assert_int_equal(m.mem_available_kb, 0);

        /* Largest value that fits, no padding at all, a tab. */
        assert_int_equal(parse_mi("MemTotal:18446744073709551615 kB\n"
                                  "Committed_AS:\t0 kB\n",
                                  &m),
                         0);
        assert_int_equal(m.mem_total_kb, UINT64_MAX);
        assert_int_equal(m.committed_as_kb, 0);
}

static void test_meminfo_malformed(void **unused)
{
        static const char *const cases[] = {
                /* empty file */
                "",
                /* missing MemTotal */
                "MemFree: 1 kB\nCommitted_AS: 2 kB\n",
                /* missing Committed_AS */
                "MemTotal: 1 kB\nCommitted_AS_x: 2 kB\n",
                /* duplicate keys, required and optional */
                "MemTotal: 1 kB\nCommitted_AS: 2 kB\nMemTotal: 1 kB\n",
                "MemTotal: 1 kB\nShmem: 3 kB\nCommitted_AS: 2 kB\nShmem: 3 kB\n",
                /* 2^64 overflows */
                "MemTotal: 18446744073709551616 kB\nCommitted_AS: 2 kB\n",
                "MemTotal: 1 kB\nCommitted_AS: 99999999999999999999999 kB\n",
                /* truncated mid-line, mid-number, and a missing final newline */
                "MemTotal: 461172 kB\nCommitted_AS:    51",
                "MemTotal: 461172 kB\nCommitted_AS: 5128 kB",
                "MemTotal: 461172 kB\nCommitted_AS: 5128 k\n",
                /* unit or number missing or wrong */
                "MemTotal: 461172\nCommitted_AS: 5128 kB\n",
                "MemTotal: 461172kB\nCommitted_AS: 5128 kB\n",
                "MemTotal: 461172 MB\nCommitted_AS: 5128 kB\n",
                "MemTotal: kB\nCommitted_AS: 5128 kB\n",
                "MemTotal: -5 kB\nCommitted_AS: 5128 kB\n",
                "MemTotal: 0x10 kB\nCommitted_AS: 5128 kB\n",
                "MemTotal: 12 kB trailing\nCommitted_AS: 5128 kB\n",
                "MemTotal: 12 kB \nCommitted_AS: 5128 kB\n",
                /* keys count only at the start of a line */
                " MemTotal: 1 kB\nCommitted_AS: 2 kB\n",
                "Foo: MemTotal: 1 kB\nCommitted_AS: 2 kB\n",
                "XMemTotal: 1 kB\nCommitted_AS: 2 kB\n",
                /* garbage */
                "\177ELF\x02\x01\x01\n\xff\xfe\n",
                "Node 0, zone      DMA\n  pages free     3952\n",
        };
        struct meminfo m;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                m.mem_total_kb = SENTINEL;
                if (parse_mi(cases[i], &m) != -EBADMSG)
                        fail_msg("case %zu not rejected: \"%s\"", i, cases[i]);
                assert_int_equal(m.mem_total_kb, SENTINEL); /* untouched */
        }

        /* An embedded NUL is just a byte, not the end of the text. */
        static const char nul[] = "MemTotal: 1 kB\nCommitted_AS: 2\0 kB\n";
        assert_int_equal(meminfo_parse(nul, sizeof(nul) - 1, &m), -EBADMSG);
        assert_int_equal(meminfo_parse(NULL, 0, &m), -EBADMSG);
}

/* Every prefix of a real file: no crash, and anything not ending at a
 * line end is refused. */
static void test_meminfo_every_prefix(void **unused)
{
        size_t len, accepted = 0;
        struct meminfo m;
        char *text;

        text = slurp(FIXTURES "/domU-512/proc/meminfo", &len);
        for (size_t n = 0; n <= len; n++) {
                int r = meminfo_parse(text, n, &m);

                if (n > 0 && text[n - 1] != '\n')
                        assert_int_equal(r, -EBADMSG);
                if (r == 0) {
                        assert_int_equal(m.mem_total_kb, 461172);
                        accepted++;
                }
        }
        /* Complete from the Committed_AS line to the end: 13 cut points. */
        assert_int_equal(accepted, 13);
        free(text);
}

static void test_meminfo_read_errors(void **unused)
{
        char path[256], *big;
        struct meminfo m;
        size_t n = 0;
        int root;

        root = make_root(path, sizeof(path));
        assert_int_equal(meminfo_read(root, &m), -ENOENT);

        /* Bigger than MEMINFO_SIZE_MAX: refused, not silently cut. */
        big = malloc(MEMINFO_SIZE_MAX + 100);
        assert_non_null(big);
        n += (size_t)sprintf(big, "MemTotal: 1 kB\nCommitted_AS: 2 kB\n");
        while (n < MEMINFO_SIZE_MAX + 50)
                n += (size_t)sprintf(big + n, "Filler: 0 kB\n");
        write_at(root, "proc/meminfo", big, n);
        assert_int_equal(meminfo_read(root, &m), -EFBIG);

        /* Exactly MEMINFO_SIZE_MAX still fits. */
        memset(big, '\n', MEMINFO_SIZE_MAX);
        memcpy(big, "MemTotal: 1 kB\nCommitted_AS: 2 kB\n", 34);
        write_at(root, "proc/meminfo", big, MEMINFO_SIZE_MAX);
        assert_int_equal(meminfo_read(root, &m), 0);
        assert_int_equal(m.committed_as_kb, 2);

        /* A directory in its place: read() fails with EISDIR. */
        assert_int_equal(unlinkat(root, "proc/meminfo", 0), 0);
        assert_int_equal(mkdirat(root, "proc/meminfo", 0755), 0);
        assert_int_equal(meminfo_read(root, &m), -EISDIR);

        free(big);
        close(root);
        rm_tree(path);
}

/* ---- /proc/zoneinfo ---- */

static void test_zoneinfo_fixture_domU(void **unused)
{
        uint64_t pages = SENTINEL, parsed;
        size_t len;
        char *text;
        int root;

        /*
         * Xen PV domU, kernel 6.1, one node, five zones; every boost is 0:
         *   DMA     i=0 managed 3984   high 33  protection (0, 422, 422, 422, 422)
         *           max(protection[0..4]) = 422; 422 + 33 = 455 <= 3984   -> 455
         *   DMA32   i=1 managed 111309 high 968 protection all 0
         *           0 + 968 = 968 <= 111309                               -> 968
         *   Normal, Movable, Device: managed 0, so min(0, ...)            -> 0
         * totalreserve = 455 + 968 = 1423 pages (5692 kB).
         * (DMA's 422 is DMA32's managed/256 when the reserve was set up;
         * the balloon has changed managed since: the kernel's value lags.)
         */
        root = open_dir(FIXTURES "/domU-512");
        assert_int_equal(zoneinfo_read_totalreserve(root, &pages), 0);
        close(root);
        assert_int_equal(pages, 1423);

        text = slurp(FIXTURES "/domU-512/proc/zoneinfo", &len);
        assert_int_equal(zoneinfo_parse_totalreserve(text, len, &parsed), 0);
        assert_int_equal(parsed, 1423);
        free(text);
}

static void test_zoneinfo_fixture_host(void **unused)
{
        uint64_t pages = SENTINEL;
        int root;

        /*
         * The build machine (kernel 6.18, not Xen), one node, every boost 0:
         *   DMA     i=0 managed 3840   high 90    protection (0, 3018, 4170, 4170, 4170)
         *           4170 + 90 = 4260 > 3840: clamped to managed        -> 3840
         *   DMA32   i=1 managed 772808 high 18277 protection (0, 0, 1152, 1152, 1152)
         *           1152 + 18277                                       -> 19429
         *   Normal  i=2 managed 294912 high 6974  protection all 0     -> 6974
         *   Movable i=3 managed 0      high 32: min(0, 32)             -> 0
         *   Device  i=4 managed 0                                      -> 0
         * totalreserve = 3840 + 19429 + 6974 = 30243 pages.
         */
        root = open_dir(FIXTURES "/debian12-host");
        assert_int_equal(zoneinfo_read_totalreserve(root, &pages), 0);
        close(root);
        assert_int_equal(pages, 30243);
}

/* Linux 5.10 layout: no boost or cma lines, per-node stats in the first
 * populated zone, protection before the zone stats, unpopulated zones
 * printed with protection only. Two nodes; node 1 has no DMA/DMA32. */
static const char zoneinfo_two_nodes[] =
        "Node 0, zone      DMA\n"
        "  per-node stats\n"
        "      nr_inactive_anon 100\n"
        "      nr_active_anon 200\n"
        "  pages free     3900\n"
        "        min      5\n"
        "        low      7\n"
        "        high     10\n"
        "        spanned  4095\n"
        "        present  3998\n"
        "        managed  3975\n"
        "        protection: (0, 1800, 7800, 7800)\n"
        "      nr_free_pages 3900\n"
        "  pagesets\n"
        "    cpu: 0\n"
        "              count: 0\n"
        "              high:  999999\n"
        "              batch: 1\n"
        "  vm stats threshold: 4\n"
        "  node_unreclaimable:  0\n"
        "  start_pfn:           1\n"
        "Node 0, zone    DMA32\n"
        "  pages free     400000\n"
        "        min      300\n"
        "        low      400\n"
        "        high     500\n"
        "        spanned  1044480\n"
        "        present  470000\n"
        "        managed  460000\n"
        "        protection: (0, 0, 6000, 6000)\n"
        "      nr_free_pages 400000\n"
        "  pagesets\n"
        "    cpu: 0\n"
        "              count: 12\n"
        "              high:  378\n"
        "              batch: 63\n"
        "Node 0, zone   Normal\n"
        "  pages free     1000000\n"
        "        min      100\n"
        "        low      150\n"
        "        high     200\n"
        "        spanned  1572864\n"
        "        present  1572864\n"
        "        managed  1540000\n"
        "        protection: (0, 0, 0, 0)\n"
        "Node 0, zone  Movable\n"
        "  pages free     0\n"
        "        min      0\n"
        "        low      0\n"
        "        high     0\n"
        "        spanned  0\n"
        "        present  0\n"
        "        managed  0\n"
        "        protection: (0, 0, 0, 0)\n"
        "Node 1, zone      DMA\n"
        "  pages free     0\n"
        "        min      0\n"
        "        low      0\n"
        "        high     0\n"
        "        spanned  0\n"
        "        present  0\n"
        "        managed  0\n"
        "        protection: (0, 0, 0, 0)\n"
        "Node 1, zone    DMA32\n"
        "  pages free     0\n"
        "        min      0\n"
        "        low      0\n"
        "        high     0\n"
        "        spanned  0\n"
        "        present  0\n"
        "        managed  0\n"
        "        protection: (0, 0, 0, 0)\n"
        "Node 1, zone   Normal\n"
        "  per-node stats\n"
        "      nr_inactive_anon 5\n"
        "  pages free     1900000\n"
        "        min      600\n"
        "        low      800\n"
        "        high     1000\n"
        "        spanned  2097152\n"
        "        present  2097152\n"
        "        managed  2000000\n"
        "        protection: (0, 0, 0, 300)\n"
        "      nr_free_pages 1900000\n"
        "Node 1, zone  Movable\n"
        "  pages free     20\n"
        "        min      30\n"
        "        low      40\n"
        "        high     50\n"
        "        spanned  20\n"
        "        present  20\n"
        "        managed  20\n"
        "        protection: (0, 0, 0, 0)\n";

static void test_zoneinfo_two_nodes(void **unused)
{
        uint64_t pages;

        /*
         * Node 0: DMA    i=0 max(0,1800,7800,7800) + 10 = 7810 > 3975 -> 3975
         *         DMA32  i=1 max(0,6000,6000) + 500                  -> 6500
         *         Normal i=2 0 + 200                                 -> 200
         *         Movable managed 0                                  -> 0
         * Node 1 (zone index restarts at 0):
         *         DMA, DMA32 managed 0                               -> 0
         *         Normal i=2 max(0,300) + 1000                       -> 1300
         *         Movable i=3 0 + 50 > managed 20                    -> 20
         * 3975 + 6500 + 200 + 1300 + 20 = 11995. The pagesets' "high:"
         * (999999) must not be taken for the watermark.
         */
        assert_int_equal(parse_zi(zoneinfo_two_nodes, &pages), 0);
        assert_int_equal(pages, 11995);
}

static void test_zoneinfo_old_layout(void **unused)
{
        uint64_t pages;

        /*
         * Linux 4.4 layout: only populated zones, "scanned" line, protection
         * after the zone stats. Node 0 Normal is printed third but would be
         * third anyway; node 1 prints only Normal (index 2) at position 0,
         * whose entries below index 2 are 0 as the kernel leaves them.
         *   DMA    7 + max(0,2998,3927,3927) = 3934 <= 3977      -> 3934
         *   DMA32  1000 + 929                                    -> 1929
         *   Normal 300                                           -> 300
         *   node 1 Normal 400 + 0                                -> 400
         * total 6563.
         */
        static const char text[] =
                "Node 0, zone      DMA\n"
                "  pages free     3977\n"
                "        min      5\n"
                "        low      6\n"
                "        high     7\n"
                "        scanned  0\n"
                "        spanned  4095\n"
                "        present  3998\n"
                "        managed  3977\n"
                "    nr_free_pages 3977\n"
                "    nr_alloc_batch 1\n"
                "        protection: (0, 2998, 3927, 3927)\n"
                "  pagesets\n"
                "    cpu: 0\n"
                "              count: 0\n"
                "              high:  0\n"
                "              batch: 1\n"
                "  vm stats threshold: 4\n"
                "  all_unreclaimable: 1\n"
                "  start_pfn:         1\n"
                "  inactive_ratio:    1\n"
                "Node 0, zone    DMA32\n"
                "  pages free     700000\n"
                "        min      600\n"
                "        low      800\n"
                "        high     1000\n"
                "        scanned  0\n"
                "        spanned  1044480\n"
                "        present  782288\n"
                "        managed  767000\n"
                "    nr_free_pages 700000\n"
                "        protection: (0, 0, 929, 929)\n"
                "Node 0, zone   Normal\n"
                "  pages free     200000\n"
                "        min      200\n"
                "        low      250\n"
                "        high     300\n"
                "        scanned  0\n"
                "        spanned  262144\n"
                "        present  262144\n"
                "        managed  237000\n"
                "    nr_free_pages 200000\n"
                "        protection: (0, 0, 0, 0)\n"
                "Node 1, zone   Normal\n"
                "  pages free     900000\n"
                "        min      200\n"
                "        low      300\n"
                "        high     400\n"
                "        scanned  0\n"
                "        spanned  1048576\n"
                "        present  1048576\n"
                "        managed  1030000\n"
                "    nr_free_pages 900000\n"
                "        protection: (0, 0, 0, 0)\n";
        uint64_t expect = 3934 + 1929 + 300 + 400;

        assert_int_equal(parse_zi(text, &pages), 0);
        assert_int_equal(pages, expect);
}

static void test_zoneinfo_kernel_arithmetic(void **unused)
{
        uint64_t pages;

        /* The printed high includes watermark_boost, which the kernel
         * zeroes before computing totalreserve: 1100 - 100 = 1000. Also a
         * 6.x "promo" and "cma" line, and a node-level section header of a
         * possible future layout. */
        assert_int_equal(parse_zi("Node 0, per-node stats\n"
                                  "      nr_inactive_anon 5\n"
                                  "Node 0, zone   Normal\n"
                                  "  pages free     5000\n"
                                  "        boost    100\n"
                                  "        min      600\n"
                                  "        low      800\n"
                                  "        high     1100\n"
                                  "        promo    1200\n"
                                  "        spanned  8192\n"
                                  "        present  8192\n"
                                  "        managed  8000\n"
                                  "        cma      0\n"
                                  "        protection: (0)\n",
                                  &pages),
                         0);
        assert_int_equal(pages, 1000);

        /* Negative entries never beat the kernel's "long max = 0"; entries
         * below the zone's own index do not count. */
        assert_int_equal(parse_zi("Node 0, zone DMA\n"
                                  "        high 10\n"
                                  "        managed 100\n"
                                  "        protection: (-5, -7)\n"
                                  "Node 0, zone Normal\n"
                                  "        high 10\n"
                                  "        managed 100000\n"
                                  "        protection: (5000, 0)\n",
                                  &pages),
                         0);
        assert_int_equal(pages, 20);

        /* Largest sum that fits. */
        assert_int_equal(parse_zi("Node 0, zone Normal\n"
                                  "        high 18446744073709551614\n"
                                  "        managed 18446744073709551615\n"
                                  "        protection: (0, 1)\n",
                                  &pages),
                         0);
        assert_int_equal(pages, UINT64_MAX);
}

#define ZONE(name, high, managed, prot) \
        "Node 0, zone " name "\n        high " high "\n        managed " managed \
        "\n        protection: " prot "\n"

static void test_zoneinfo_malformed(void **unused)
{
        static const char *const cases[] = {
                /* empty, blank, garbage */
                "",
                "\n\n",
                "garbage\n",
                "\177ELF\x02\x01\x01\n\xff\xfe\n",
                "MemTotal:         461172 kB\nCommitted_AS:       5128 kB\n",
                /* zone with no protection / managed / high line */
                "Node 0, zone DMA\n        high 10\n        managed 100\n",
                "Node 0, zone DMA\n        high 10\n        protection: (0)\n",
                "Node 0, zone DMA\n        managed 10\n        protection: (0)\n",
                /* the second zone lacks protection */
                ZONE("DMA", "1", "2", "(0, 0)") "Node 0, zone DMA32\n        high 1\n        managed 2\n",
                /* duplicate lines in one zone */
                ZONE("DMA", "1", "2", "(0)") "        high 5\n",
                ZONE("DMA", "1", "2", "(0)") "        managed 5\n",
                ZONE("DMA", "1", "2", "(0)") "        protection: (0)\n",
                ZONE("DMA", "1", "2", "(0)") "        boost 0\n        boost 0\n",
                /* truncated mid-line and mid-zone */
                "Node 0, zone DMA\n        high 10\n        managed 100\n        protection: (0, 4",
                "Node 0, zone DMA\n        high 10\n        managed 100\n        protection: (0)",
                "Node 0, zone DMA\n        high 10\n        mana",
                /* malformed protection */
                ZONE("DMA", "1", "2", "()"),
                ZONE("DMA", "1", "2", "(0, 1"),
                ZONE("DMA", "1", "2", "0, 1)"),
                ZONE("DMA", "1", "2", "(0,, 1)"),
                ZONE("DMA", "1", "2", "(0, 1,)"),
                ZONE("DMA", "1", "2", "(0, 1) x"),
                ZONE("DMA", "1", "2", "(0, --1)"),
                ZONE("DMA", "1", "2", "(0, 9223372036854775808)"),
                ZONE("DMA", "1", "2", "(0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0)"),
                /* more zones in the node than protection entries */
                ZONE("DMA", "1", "2", "(0, 0)") ZONE("DMA32", "1", "2", "(0, 0)")
                        ZONE("Normal", "1", "2", "(0, 0)"),
                /* malformed numbers */
                ZONE("DMA", "-1", "2", "(0)"),
                ZONE("DMA", "1", "2x", "(0)"),
                ZONE("DMA", "", "2", "(0)"),
                ZONE("DMA", "1", "18446744073709551616", "(0)"),
                /* sums that overflow 64 bits */
                ZONE("DMA", "18446744073709551615", "5", "(0, 1)"),
                ("Node 0, zone DMA\n        high 18446744073709551615\n        managed 18446744073709551615\n"
                 "        protection: (0, 0)\n"
                 "Node 0, zone DMA32\n        high 1\n        managed 1\n        protection: (0, 0)\n"),
                /* boost above high cannot come from high_wmark_pages() */
                ZONE("DMA", "10", "20", "(0)") "        boost 11\n",
                /* headers */
                "Node x, zone DMA\n        high 1\n        managed 2\n        protection: (0)\n",
                "Node 0 zone DMA\n        high 1\n        managed 2\n        protection: (0)\n",
                "Node 0, zone\n        high 1\n        managed 2\n        protection: (0)\n",
                "Node 0, zoneDMA\n        high 1\n        managed 2\n        protection: (0)\n",
                "Node 0, \n        high 1\n        managed 2\n        protection: (0)\n",
                "Node 99999999999, zone DMA\n        high 1\n        managed 2\n        protection: (0)\n",
                /* indented text before any header, an unindented stray line */
                "        high 1\n" ZONE("DMA", "1", "2", "(0)"),
                ZONE("DMA", "1", "2", "(0)") "stray\n",
                /* nodes going backwards */
                ("Node 1, zone DMA\n        high 1\n        managed 2\n        protection: (0)\n"
                 "Node 0, zone DMA\n        high 1\n        managed 2\n        protection: (0)\n"),
                /* only node-level sections, no zone */
                "Node 0, per-node stats\n      nr_inactive_anon 5\n",
        };
        uint64_t pages;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                pages = SENTINEL;
                if (parse_zi(cases[i], &pages) != -EBADMSG)
                        fail_msg("case %zu not rejected: \"%s\"", i, cases[i]);
                assert_int_equal(pages, SENTINEL); /* untouched */
        }
        assert_int_equal(zoneinfo_parse_totalreserve(NULL, 0, &pages), -EBADMSG);
}

static void test_zoneinfo_every_prefix(void **unused)
{
        uint64_t pages;
        size_t len;
        char *text;

        text = slurp(FIXTURES "/domU-512/proc/zoneinfo", &len);
        for (size_t n = 0; n <= len; n++) {
                int r = zoneinfo_parse_totalreserve(text, n, &pages);

                if (n > 0 && text[n - 1] != '\n')
                        assert_int_equal(r, -EBADMSG);
                /* A cut at a zone boundary looks complete; it can only
                 * lose zones, never add. */
                if (r == 0)
                        assert_true(pages <= 1423);
                else
                        assert_int_equal(r, -EBADMSG);
        }
        free(text);
}

/* Generated: nodes x 5 zones, 3 populated with per-CPU pagesets, so the
 * file is far larger than the reader's 4 KiB chunk and lines straddle
 * every chunk boundary. */
static size_t generate_zoneinfo(char *buf, size_t size, unsigned nodes, unsigned cpus,
                                uint64_t *ret_expect)
{
        static const char *const names[] = { "DMA", "DMA32", "Normal", "Movable", "Device" };
        uint64_t expect = 0;
        size_t n = 0;

#define OUT(...) (n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__), assert_true(n < size))
        for (unsigned node = 0; node < nodes; node++)
                for (unsigned i = 0; i < 5; i++) {
                        bool populated = i < 3;
                        uint64_t high = populated ? 100 + node * 10 + i : 0;
                        uint64_t managed = populated ? 50000 + node : 0;
                        int64_t prot = (int64_t)(1000 * (i + 1));

                        OUT("Node %u, zone %8s\n", node, names[i]);
                        OUT("  pages free     %" PRIu64 "\n", managed / 2);
                        OUT("        boost    0\n        min      1\n        low      2\n");
                        OUT("        high     %" PRIu64 "\n", high);
                        OUT("        spanned  %" PRIu64 "\n        present  %" PRIu64 "\n", managed, managed);
                        OUT("        managed  %" PRIu64 "\n        cma      0\n", managed);
                        /* protection[j] = prot for j > i, 0 otherwise */
                        OUT("        protection: (0");
                        for (unsigned j = 1; j < 5; j++)
                                OUT(", %" PRId64, j > i ? prot : 0);
                        OUT(")\n");
                        if (populated) {
                                OUT("      nr_free_pages %" PRIu64 "\n  pagesets\n", managed / 2);
                                for (unsigned c = 0; c < cpus; c++)
                                        OUT("    cpu: %u\n              count: %u\n"
                                            "              high:  %u\n              batch: 63\n",
                                            c, c, 1000 + c);
                                OUT("  vm stats threshold: 8\n  start_pfn:           1\n");
                                /* i < 4, so there is an entry above i */
                                expect += (uint64_t)prot + high <= managed ? (uint64_t)prot + high
                                                                            : managed;
                        }
                }
#undef OUT
        *ret_expect = expect;
        return n;
}

static void test_zoneinfo_read_streams(void **unused)
{
        size_t size = 4U << 20, len;
        uint64_t expect, parsed, read_pages;
        char path[256], *text;
        int root;

        text = malloc(size);
        assert_non_null(text);
        len = generate_zoneinfo(text, size, 16, 128, &expect);
        assert_true(len > 256 * 1024);
        assert_int_equal(zoneinfo_parse_totalreserve(text, len, &parsed), 0);
        assert_int_equal(parsed, expect);

        root = make_root(path, sizeof(path));
        assert_int_equal(zoneinfo_read_totalreserve(root, &read_pages), -ENOENT);
        write_at(root, "proc/zoneinfo", text, len);
        assert_int_equal(zoneinfo_read_totalreserve(root, &read_pages), 0);
        assert_int_equal(read_pages, expect);

        /* Cut short mid-line: refused whatever chunk the cut falls in. */
        write_at(root, "proc/zoneinfo", text, len - 7);
        read_pages = SENTINEL;
        assert_int_equal(zoneinfo_read_totalreserve(root, &read_pages), -EBADMSG);
        assert_int_equal(read_pages, SENTINEL);

        /* A line longer than any zoneinfo line: refused, not split. */
        memset(text, ' ', 10000);
        memcpy(text, "Node 0, zone DMA\n", 17);
        text[9999] = '\n';
        write_at(root, "proc/zoneinfo", text, 10000);
        assert_int_equal(zoneinfo_read_totalreserve(root, &read_pages), -EBADMSG);

        /* The fixtures through the streaming reader equal the pure parse
         * (tested above) to the page. */
        free(text);
        close(root);
        rm_tree(path);
}

/* /proc/vmstat: the refault counter under either name, and nothing else. */
static void test_vmstat(void **unused)
{
        struct vmstat v;
        char real[VMSTAT_SIZE_MAX + 1];
        ssize_t n;

#define P(s, ret) vmstat_parse(s, sizeof(s) - 1, ret)
        assert_int_equal(P("nr_free_pages 5\nworkingset_refault_anon 3\n"
                           "workingset_refault_file 62171273\n", &v), 0);
        assert_true(v.has_refault_file);
        assert_false(v.has_refault);
        assert_int_equal(v.workingset_refault_file, 62171273);
        assert_int_equal(P("workingset_refault 77\n", &v), 0);
        assert_true(v.has_refault && !v.has_refault_file);
        assert_int_equal(v.workingset_refault, 77);
        assert_int_equal(P("nr_free_pages 5\n", &v), 0);
        assert_false(v.has_refault || v.has_refault_file);
        memset(&v, 0x5a, sizeof(v));
        assert_int_equal(P("workingset_refault_file 1\nworkingset_refault_file 1\n", &v),
                         -EBADMSG);
        assert_int_equal(P("workingset_refault_file 1", &v), -EBADMSG);
        assert_int_equal(P("workingset_refault_file  1\n", &v), -EBADMSG);
        assert_int_equal(P("workingset_refault_file 1 \n", &v), -EBADMSG);
        assert_int_equal(P("workingset_refault_file -1\n", &v), -EBADMSG);
        assert_int_equal(P("workingset_refault_file 18446744073709551616\n", &v), -EBADMSG);
        assert_int_equal(P("", &v), -EBADMSG);
        assert_int_equal(v.workingset_refault_file, 0x5a5a5a5a5a5a5a5aULL); /* untouched */
        assert_int_equal(P("workingset_refault_files 1\nworkingset_refault_file 18446744073709551615\n", &v), 0);
        assert_int_equal(v.workingset_refault_file, UINT64_MAX);
#undef P
        /* this machine's, if it has one */
        n = read_file_at(AT_FDCWD, "/proc/vmstat", real, sizeof(real));
        if (n > 0) {
                assert_int_equal(vmstat_parse(real, (size_t)n, &v), 0);
                assert_true(v.has_refault_file || v.has_refault);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_meminfo_fixture_domU),
                cmocka_unit_test(test_meminfo_fixture_host),
                cmocka_unit_test(test_meminfo_optional_fields),
                cmocka_unit_test(test_meminfo_malformed),
                cmocka_unit_test(test_meminfo_every_prefix),
                cmocka_unit_test(test_meminfo_read_errors),
                cmocka_unit_test(test_zoneinfo_fixture_domU),
                cmocka_unit_test(test_zoneinfo_fixture_host),
                cmocka_unit_test(test_zoneinfo_two_nodes),
                cmocka_unit_test(test_zoneinfo_old_layout),
                cmocka_unit_test(test_zoneinfo_kernel_arithmetic),
                cmocka_unit_test(test_zoneinfo_malformed),
                cmocka_unit_test(test_zoneinfo_every_prefix),
                cmocka_unit_test(test_zoneinfo_read_streams),
                cmocka_unit_test(test_vmstat),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
