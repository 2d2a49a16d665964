/* SPDX-License-Identifier: GPL-2.0-only */
/* Files read every tick (reread_file_at()): kept open on procfs and sysfs,
 * never for a test tree's regular files, and dropped on anything odd. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <cmocka.h>

#include "balloon.h"
#include "meminfo.h"
#include "testtree.h"
#include "util.h"

#define SENTINEL UINT64_C(0xdeadbeefcafe)

static bool fd_is_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

/* An fd standing in for a cached one, opened by the test. */
static int open_for_test(const char *path, int flags)
{
        int fd = open(path, flags | O_CLOEXEC);

        assert_true(fd >= 0);
        return fd;
}

/* What the fault-injecting tests do to a --root tree is seen at once:
 * regular files are opened anew on every read, never kept. */
static void test_regular_files_not_kept(void **unused)
{
        struct reread_file f = REREAD_FILE_INIT;
        struct test_tree t;
        char buf[32];
        uint64_t v = SENTINEL;

        test_tree_new(&t);
        test_tree_write(&t, "n", "1\n");
        assert_int_equal(reread_file_at(&f, t.fd, "n", buf, sizeof(buf)), 2);
        assert_string_equal(buf, "1\n");
        assert_int_equal(f.fd, -EBADF);
        assert_true(f.plain);

        /* replaced by rename: the new file's content */
        test_tree_write(&t, "n.new", "22\n");
        assert_int_equal(renameat(t.fd, "n.new", t.fd, "n"), 0);
        assert_int_equal(reread_u64_at(&f, t.fd, "n", &v), 0);
        assert_int_equal(v, 22);
        assert_int_equal(f.fd, -EBADF);

        /* garbage, deleted, a directory: each fault as a fresh open sees it */
        test_tree_write(&t, "n", "abc\n");
        assert_int_equal(reread_u64_at(&f, t.fd, "n", &v), -EBADMSG);
        assert_int_equal(unlinkat(t.fd, "n", 0), 0);
        assert_int_equal(reread_u64_at(&f, t.fd, "n", &v), -ENOENT);
        assert_int_equal(mkdirat(t.fd, "n", 0755), 0);
        assert_int_equal(reread_u64_at(&f, t.fd, "n", &v), -EISDIR);
        assert_int_equal(v, 22);
        assert_int_equal(f.fd, -EBADF);

        /* too long: refused whole, as by read_file_at() */
        test_tree_write(&t, "long", "1234567890123456789012345678901234567890\n");
        assert_int_equal(reread_file_at(&f, t.fd, "long", buf, sizeof(buf)), -EFBIG);
        assert_int_equal(reread_u64_at(&f, t.fd, "long", &v), -EBADMSG);

        /* NULL is read_file_at() */
        test_tree_write(&t, "m", "7\n");
        assert_int_equal(reread_u64_at(NULL, t.fd, "m", &v), 0);
        assert_int_equal(v, 7);
        assert_int_equal(reread_file_at(&f, t.fd, "m", buf, 0), -EINVAL);
        test_tree_free(&t);
}

/* A kept fd whose pread fails, returns nothing or fills the buffer is
 * closed, and the same call reads the path afresh. */
static void test_odd_reads_drop_the_fd(void **unused)
{
        struct reread_file f = REREAD_FILE_INIT;
        struct test_tree t;
        char buf[32], path[512];
        uint64_t v = SENTINEL;
        int old;

        test_tree_new(&t);
        test_tree_write(&t, "n", "5\n");
        snprintf(path, sizeof(path), "%s/n", t.path);

        /* pread fails (EBADF on a write-only fd) */
        f.fd = old = open_for_test(path, O_WRONLY);
        assert_int_equal(reread_u64_at(&f, t.fd, "n", &v), 0);
        assert_int_equal(v, 5);
        assert_int_equal(f.fd, -EBADF);
        assert_false(fd_is_open(old));

        /* pread fails (EISDIR) and the path is gone too: its error */
        f.fd = old = open_for_test(t.path, O_RDONLY | O_DIRECTORY);
        assert_int_equal(reread_u64_at(&f, t.fd, "gone", &v), -ENOENT);
        assert_int_equal(f.fd, -EBADF);
        assert_false(fd_is_open(old));

        /* pread returns nothing */
        f.fd = old = open_for_test("/dev/null", O_RDONLY);
        assert_int_equal(reread_file_at(&f, t.fd, "n", buf, sizeof(buf)), 2);
        assert_string_equal(buf, "5\n");
        assert_int_equal(f.fd, -EBADF);
        assert_false(fd_is_open(old));

        /* pread fills the buffer: maybe more, so the file is read whole */
        test_tree_write(&t, "long", "1234567890123456789012345678901234567890\n");
        snprintf(path, sizeof(path), "%s/long", t.path);
        f.fd = old = open_for_test(path, O_RDONLY);
        assert_int_equal(reread_file_at(&f, t.fd, "n", buf, sizeof(buf)), 2);
        assert_string_equal(buf, "5\n");
        assert_int_equal(f.fd, -EBADF);
        assert_false(fd_is_open(old));

        /* content that does not parse drops the fd; the next read is fresh */
        test_tree_write(&t, "bad", "abc\n");
        snprintf(path, sizeof(path), "%s/bad", t.path);
        f.fd = old = open_for_test(path, O_RDONLY);
        assert_int_equal(reread_u64_at(&f, t.fd, "n", &v), -EBADMSG);
        assert_int_equal(f.fd, -EBADF);
        assert_false(fd_is_open(old));
        assert_int_equal(reread_u64_at(&f, t.fd, "n", &v), 0);
        assert_int_equal(v, 5);

        /* the same for /proc/meminfo's parser */
        f.fd = old = open_for_test(path, O_RDONLY);
        {
                struct meminfo mi;
                int root = open(FIXTURES "/domU-512", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                assert_true(root >= 0);
                assert_int_equal(meminfo_reread(&f, root, &mi), -EBADMSG);
                assert_int_equal(f.fd, -EBADF);
                assert_false(fd_is_open(old));
                assert_int_equal(meminfo_reread(&f, root, &mi), 0);
                assert_int_equal(mi.mem_total_kb, 461172);
                close(root);
        }

        reread_file_close(&f);
        reread_file_close(NULL);
        assert_int_equal(f.fd, -EBADF);
        test_tree_free(&t);
}

static bool on_fs(const char *path, long magic)
{
        struct statfs sfs;

        return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

/* The production case: procfs and sysfs files are kept open and read
 * again with one pread, which the kernel answers afresh. */
static void test_kernel_files_kept(void **unused)
{
        struct reread_file f = REREAD_FILE_INIT, g = REREAD_FILE_INIT;
        struct meminfo mi;
        uint64_t v;
        int root, kept;

        if (!on_fs("/proc/meminfo", PROC_SUPER_MAGIC))
                skip();
        root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(root >= 0);
        assert_int_equal(meminfo_reread(&f, root, &mi), 0);
        assert_true(f.fd >= 0);
        kept = f.fd;
        for (int i = 0; i < 3; i++) {
                mi.mem_total_kb = 0;
                assert_int_equal(meminfo_reread(&f, root, &mi), 0);
                assert_true(mi.mem_total_kb > 0);
                assert_int_equal(f.fd, kept);
        }
        reread_file_close(&f);
        assert_false(fd_is_open(kept));

        if (on_fs("/sys/devices/system/cpu/kernel_max", SYSFS_MAGIC)) {
                assert_int_equal(reread_u64_at(&g, root, "sys/devices/system/cpu/kernel_max", &v),
                                 0);
                assert_true(g.fd >= 0);
                kept = g.fd;
                assert_int_equal(reread_u64_at(&g, root, "sys/devices/system/cpu/kernel_max", &v),
                                 0);
                assert_int_equal(g.fd, kept);
                reread_file_close(&g);
        }
        close(root);
}

/* The one digit loop and what finds its input. */
static void test_numbers(void **unused)
{
        uint64_t v = SENTINEL;
        const char *p, *t;
        int64_t i;

        assert_int_equal(span_digits("123abc", 6), 3);
        assert_int_equal(span_digits("123", 2), 2); /* never past n */
        assert_int_equal(span_digits("x1", 2), 0);
        assert_int_equal(parse_u64_n("18446744073709551615", 20, &v), 0);
        assert_int_equal(v, UINT64_MAX);
        v = SENTINEL;
        assert_int_equal(parse_u64_n("18446744073709551616", 20, &v), -ERANGE);
        assert_int_equal(parse_u64_n("", 0, &v), -EINVAL);
        assert_int_equal(parse_u64_n("1 ", 2, &v), -EINVAL);
        assert_int_equal(v, SENTINEL);
        assert_int_equal(parse_u64_line("42\n", 3, &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(parse_u64_line("42\n\n", 4, &v), -EBADMSG);

        t = "  77 kB";
        p = skip_blanks(t, t + 7);
        assert_int_equal(scan_u64(&p, t + 7, &v), 0);
        assert_int_equal(v, 77);
        assert_ptr_equal(p, t + 4);
        t = "99999999999999999999";
        p = t;
        assert_int_equal(scan_u64(&p, t + 20, &v), -EBADMSG);
        assert_ptr_equal(p, t); /* not advanced on failure */
        t = "-9223372036854775808,";
        p = t;
        assert_int_equal(scan_i64(&p, t + strlen(t), &i), 0);
        assert_true(i == INT64_MIN);
        assert_int_equal(*p, ',');
        t = "-9223372036854775809";
        p = t;
        assert_int_equal(scan_i64(&p, t + strlen(t), &i), -EBADMSG);
        assert_true(token_is("high", 4, "high"));
        assert_false(token_is("high_min", 8, "high"));
}

static const char *const names[] = { [0] = "zero", [2] = "two" };

static void test_tables(void **unused)
{
        assert_int_equal(TABLE_LOOKUP(names, "zero"), 0);
        assert_int_equal(TABLE_LOOKUP(names, "two"), 2);
        assert_int_equal(TABLE_LOOKUP(names, "Two"), -EINVAL);
        assert_int_equal(TABLE_LOOKUP(names, ""), -EINVAL); /* the gap has no name */
        assert_int_equal(TABLE_LOOKUP_N(names, "two\n", 3), 2);
        assert_int_equal(TABLE_LOOKUP_N(names, "tw", 2), -EINVAL);
        assert_string_equal(TABLE_NAME(names, 2), "two");
        assert_null(TABLE_NAME(names, 1));
        assert_null(TABLE_NAME(names, 3));
}

/* write_u64_at(): one write, a file truncated first. */
static void test_write_u64(void **unused)
{
        struct test_tree t;
        char buf[64];
        int fd;
        ssize_t n;

        test_tree_new(&t);
        test_tree_write(&t, "n", "123456789\n");
        assert_int_equal(write_u64_at(t.fd, "n", 42), 0);
        fd = openat(t.fd, "n", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        assert_true(n >= 0);
        buf[n] = '\0';
        assert_string_equal(buf, "42\n");
        assert_int_equal(write_u64_at_interruptible(t.fd, "n", UINT64_MAX), 0);
        assert_int_equal(write_u64_at(t.fd, "missing/n", 1), -ENOENT);
        test_tree_free(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_regular_files_not_kept),
                cmocka_unit_test(test_odd_reads_drop_the_fd),
                cmocka_unit_test(test_kernel_files_kept),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_tables),
                cmocka_unit_test(test_write_u64),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
