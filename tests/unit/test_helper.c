/* SPDX-License-Identifier: GPL-2.0-only */
/* The frontswap helper's file ABI, on a test tree; and the shrink's alarm,
 * which must end a write that blocks rather than restart it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helper.h"
#include "testtree.h"

#define REL "sys/kernel/selfballoon_frontswap"
#define DIR "/" REL
#define SENTINEL UINT64_C(0xdeadbeefcafe)

static void test_probe(void **unused)
{
        struct test_tree t;
        uint64_t v = SENTINEL;

        test_tree_new(&t);
        assert_int_equal(helper_probe(t.fd, DIR, &v), -ENOENT);
        assert_int_equal(v, SENTINEL);

        test_tree_write(&t, REL "/version", "1\n");
        assert_int_equal(helper_probe(t.fd, DIR, &v), 0);
        assert_int_equal(v, 1);
        /* the configured path is absolute; slashes are stripped, not doubled */
        assert_int_equal(helper_probe(t.fd, "//" DIR, &v), 0);

        test_tree_write(&t, REL "/version", "2\n");
        assert_int_equal(helper_probe(t.fd, DIR, &v), -EPROTO);
        assert_int_equal(v, 2);

        v = SENTINEL;
        test_tree_write(&t, REL "/version", "one\n");
        assert_int_equal(helper_probe(t.fd, DIR, &v), -EBADMSG);
        assert_int_equal(v, SENTINEL);
        test_tree_free(&t);
}

static void test_pages_and_shrink(void **unused)
{
        struct test_tree t;
        uint64_t v = SENTINEL;
        char buf[64], long_dir[PATH_MAX + 16];

        test_tree_new(&t);
        test_tree_write(&t, REL "/curr_pages", "123456\n");
        assert_int_equal(helper_read_pages(t.fd, DIR, &v), 0);
        assert_int_equal(v, 123456);

        /* a shorter number after a longer one: no tail of the old one */
        test_tree_write(&t, REL "/shrink", "9999999\n");
        assert_int_equal(helper_shrink(t.fd, DIR, 42), 0);
        test_tree_read(&t, REL "/shrink", buf, sizeof(buf));
        assert_string_equal(buf, "42\n");

        assert_int_equal(helper_shrink(t.fd, DIR "/missing", 1), -ENOENT);

        memset(long_dir, 'a', sizeof(long_dir) - 1);
        long_dir[0] = '/';
        long_dir[sizeof(long_dir) - 1] = '\0';
        assert_int_equal(helper_read_pages(t.fd, long_dir, &v), -ENAMETOOLONG);
        assert_int_equal(helper_shrink(t.fd, long_dir, 1), -ENAMETOOLONG);
        test_tree_free(&t);
}

/* A shrink that does not return (Linux 5.10's try_to_unuse() spinning) is
 * played by a FIFO whose buffer is full: the write blocks until the alarm.
 * A writer that retried on EINTR would block for ever here (and the test
 * time out); helper_shrink() must give up with -ETIMEDOUT. */
static void test_shrink_timeout(void **unused)
{
        struct test_tree t;
        struct timespec a, b;
        char chunk[4096] = { 0 };
        int rd, wr;
        double s;

        test_tree_new(&t);
        test_tree_mkdirs(&t, REL);
        assert_int_equal(mkfifoat(t.fd, REL "/shrink", 0600), 0);
        rd = openat(t.fd, REL "/shrink", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        assert_true(rd >= 0);
        wr = openat(t.fd, REL "/shrink", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        assert_true(wr >= 0);
        while (write(wr, chunk, sizeof(chunk)) > 0)
                ;
        assert_int_equal(errno, EAGAIN);

        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(helper_shrink(t.fd, DIR, 7), -ETIMEDOUT);
        clock_gettime(CLOCK_MONOTONIC, &b);
        s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        assert_true(s >= HELPER_SHRINK_TIMEOUT_SEC - 0.1 && s < HELPER_SHRINK_TIMEOUT_SEC + 5);

        close(wr);
        close(rd);
        test_tree_free(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_probe),
                cmocka_unit_test(test_pages_and_shrink),
                cmocka_unit_test(test_shrink_timeout),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
