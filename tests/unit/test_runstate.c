/* SPDX-License-Identifier: GPL-2.0-only */
/* /run/selfballoond: the start record's format, its write-once rule, and
 * the instance lock. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runstate.h"
#include "testtree.h"

#define RECORD RUNSTATE_DIR "/start-target"

static void test_parse(void **unused)
{
        static const char *const bad[] = {
                "",                                      /* no sysfs target */
                "xenstore_target_kb=5\n",                /* no sysfs target */
                "sysfs_target_kb=0\n",                   /* 0 would empty the guest */
                "sysfs_target_kb=\n",
                "sysfs_target_kb=-1\n",
                "sysfs_target_kb=1 \n",
                "sysfs_target_kb=99999999999999999999\n", /* 65 bits */
                "sysfs_target_kb 5\n",
                "sysfs_target_kb=5\nnew_key=1\n",         /* a key we do not know */
                "SYSFS_TARGET_KB=5\n",
                "sysfs_target_kb=5\n\n",                   /* an empty line */
        };
        struct start_record r, canary;

        assert_int_equal(runstate_record_parse("sysfs_target_kb=524288\n", &r), 0);
        assert_int_equal(r.sysfs_target_kb, 524288);
        assert_false(r.has_xenstore);

        /* no final newline, keys in any order */
        assert_int_equal(runstate_record_parse("xenstore_target_kb=7\nsysfs_target_kb=9", &r), 0);
        assert_int_equal(r.sysfs_target_kb, 9);
        assert_true(r.has_xenstore);
        assert_int_equal(r.xenstore_target_kb, 7);

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&r, 0x5a, sizeof(r));
                canary = r;
                if (runstate_record_parse(bad[i], &r) != -EBADMSG)
                        fail_msg("accepted '%s'", bad[i]);
                assert_memory_equal(&r, &canary, sizeof(r));
        }
}

static void test_write_once(void **unused)
{
        struct test_tree t;
        struct start_record w = { .sysfs_target_kb = 524288, .has_xenstore = true,
                                  .xenstore_target_kb = 524289 };
        struct start_record second = { .sysfs_target_kb = 1 }, r;
        char buf[256];

        test_tree_new(&t);
        assert_int_equal(runstate_record_read(t.fd, &r), -ENOENT);
        /* creates run/selfballoond itself */
        assert_int_equal(runstate_record_write(t.fd, &w), 0);
        test_tree_read(&t, RECORD, buf, sizeof(buf));
        assert_string_equal(buf, "sysfs_target_kb=524288\nxenstore_target_kb=524289\n");
        assert_int_equal(runstate_record_read(t.fd, &r), 0);
        assert_int_equal(r.sysfs_target_kb, w.sysfs_target_kb);
        assert_true(r.has_xenstore);
        assert_int_equal(r.xenstore_target_kb, w.xenstore_target_kb);

        /* a restart must not replace the boot's first target */
        assert_int_equal(runstate_record_write(t.fd, &second), -EEXIST);
        assert_int_equal(runstate_record_read(t.fd, &r), 0);
        assert_int_equal(r.sysfs_target_kb, 524288);
        /* and leaves no temporary file behind */
        assert_int_equal(faccessat(t.fd, RUNSTATE_DIR "/.start-target.tmp", F_OK, 0), -1);

        assert_int_equal(runstate_record_remove(t.fd), 0);
        assert_int_equal(runstate_record_remove(t.fd), -ENOENT);
        assert_int_equal(runstate_record_write(t.fd, &second), 0);
        test_tree_read(&t, RECORD, buf, sizeof(buf));
        assert_string_equal(buf, "sysfs_target_kb=1\n");

        /* a record someone broke is not trusted */
        test_tree_write(&t, RECORD, "sysfs_target_kb=12x\n");
        assert_int_equal(runstate_record_read(t.fd, &r), -EBADMSG);
        test_tree_free(&t);
}

static void test_lock(void **unused)
{
        struct test_tree t;
        pid_t holder = -1;
        char buf[64], want[64];
        int fd, fd2;

        test_tree_new(&t);
        fd = runstate_lock(t.fd, &holder);
        assert_true(fd >= 0);
        assert_int_equal(holder, -1); /* written only when someone holds it */
        test_tree_read(&t, RUNSTATE_DIR "/lock", buf, sizeof(buf));
        snprintf(want, sizeof(want), "%ld\n", (long)getpid());
        assert_string_equal(buf, want);

        /* flock() locks belong to the open file: a second open conflicts
         * even in the same process, and names the holder */
        assert_int_equal(runstate_lock(t.fd, &holder), -EWOULDBLOCK);
        assert_int_equal(holder, getpid());

        /* a holder whose pid cannot be read is 0, "unknown" */
        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(pwrite(fd, "garbage", 7, 0), 7);
        assert_int_equal(runstate_lock(t.fd, &holder), -EWOULDBLOCK);
        assert_int_equal(holder, 0);

        close(fd);
        fd2 = runstate_lock(t.fd, &holder);
        assert_true(fd2 >= 0);
        close(fd2);
        test_tree_free(&t);
}

/* A mark made once per boot: 1 the first time (directory made too), then 0. */
static void test_mark_once(void **unused)
{
        struct test_tree t;

        test_tree_new(&t);
        assert_int_equal(runstate_mark_once(t.fd, "said"), 1);
        assert_int_equal(faccessat(t.fd, RUNSTATE_DIR "/said", F_OK, 0), 0);
        assert_int_equal(runstate_mark_once(t.fd, "said"), 0);
        assert_int_equal(runstate_mark_once(t.fd, "other"), 1);
        /* a file where the directory should be: the error, not a mark */
        test_tree_free(&t);
        test_tree_new(&t);
        test_tree_write(&t, "run", "not a directory");
        assert_int_equal(runstate_mark_once(t.fd, "said"), -ENOTDIR);
        test_tree_free(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_write_once),
                cmocka_unit_test(test_lock),
                cmocka_unit_test(test_mark_once),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
