/* SPDX-License-Identifier: GPL-2.0-only */
/* The balloon's sysfs files and guest detection, against the captured domU
 * tree and scratch copies of it. */
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "balloon.h"
#include "testtree.h"

#define TARGET BALLOON_SYSFS_DIR "/target_kb"
#define CURRENT BALLOON_SYSFS_DIR "/info/current_kb"
#define SENTINEL UINT64_C(0xdeadbeefcafe)

/* ---- helpers ---- */

static int open_dir(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(fd >= 0);
        return fd;
}

/* Copies of the fixture's files into a scratch root: the tests write, and
 * the checked-in tree must stay as captured. */
static void tree_make(struct test_tree *t, bool with_balloon)
{
        static const char *const files[] = {
                "proc/xen/capabilities",
                "sys/hypervisor/type",
                "sys/hypervisor/guest_type",
                BALLOON_SYSFS_DIR "/target_kb",
                BALLOON_SYSFS_DIR "/info/current_kb",
                BALLOON_SYSFS_DIR "/info/low_kb",
                BALLOON_SYSFS_DIR "/info/high_kb",
        };
        int src;

        test_tree_new(t);
        /* Traversable by the unprivileged child of the EACCES test. */
        assert_int_equal(chmod(t->path, 0755), 0);
        src = open_dir(FIXTURES "/domU-512");
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                char buf[256];

                if (!with_balloon && strncmp(files[i], BALLOON_SYSFS_DIR, strlen(BALLOON_SYSFS_DIR)) == 0)
                        continue;
                test_read_at(src, files[i], buf, sizeof(buf));
                test_tree_write(t, files[i], buf);
        }
        close(src);
}

/* ---- single-number files ---- */

static void test_parse_kb(void **unused)
{
        static const struct {
                const char *text;
                uint64_t kb;
        } good[] = {
                { "524288\n", 524288 },
                { "524288", 524288 },
                { "0\n", 0 },
                { "007\n", 7 },
                { "18446744073709551615\n", UINT64_MAX },
        };
        static const char *const bad[] = {
                "", "\n", "\n\n", "524288\n\n", " 524288\n", "524288 \n", "524288\r\n",
                "+1\n", "-1\n", "0x10\n", "1e6\n", "12kB\n", "abc\n",
                "18446744073709551616\n", "99999999999999999999999\n",
        };
        uint64_t kb;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                assert_int_equal(balloon_parse_kb(good[i].text, strlen(good[i].text), &kb), 0);
                assert_int_equal(kb, good[i].kb);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                kb = SENTINEL;
                if (balloon_parse_kb(bad[i], strlen(bad[i]), &kb) != -EBADMSG)
                        fail_msg("case %zu not rejected: \"%s\"", i, bad[i]);
                assert_int_equal(kb, SENTINEL);
        }
        /* A NUL is not a terminator. */
        assert_int_equal(balloon_parse_kb("12\0003\n", 5, &kb), -EBADMSG);
}

static void test_read_fixture(void **unused)
{
        uint64_t cur = SENTINEL, tgt = SENTINEL;
        int root = open_dir(FIXTURES "/domU-512");

        assert_int_equal(balloon_read_current_kb(root, &cur), 0);
        assert_int_equal(balloon_read_target_kb(root, &tgt), 0);
        assert_int_equal(cur, 524288);
        assert_int_equal(tgt, 524288);
        close(root);
}

static void test_read_errors(void **unused)
{
        struct test_tree t;
        uint64_t kb = SENTINEL;

        tree_make(&t, true);
        test_tree_write(&t, CURRENT, "abc\n");
        assert_int_equal(balloon_read_current_kb(t.fd, &kb), -EBADMSG);
        test_tree_write(&t, CURRENT, "");
        assert_int_equal(balloon_read_current_kb(t.fd, &kb), -EBADMSG);
        /* Longer than any number: refused, not read in part. */
        test_tree_write(&t, CURRENT, "1234567890123456789012345678901234567890\n");
        assert_int_equal(balloon_read_current_kb(t.fd, &kb), -EBADMSG);
        assert_int_equal(kb, SENTINEL);

        assert_int_equal(unlinkat(t.fd, CURRENT, 0), 0);
        assert_int_equal(balloon_read_current_kb(t.fd, &kb), -ENOENT);
        assert_int_equal(mkdirat(t.fd, CURRENT, 0755), 0);
        assert_int_equal(balloon_read_current_kb(t.fd, &kb), -EISDIR);
        assert_int_equal(kb, SENTINEL);
        test_tree_free(&t);
}

/* ---- writing target_kb ---- */

static void test_write_roundtrip(void **unused)
{
        char buf[64];
        struct test_tree t;
        uint64_t kb;

        tree_make(&t, true);
        assert_int_equal(balloon_write_target_kb(t.fd, 400000), 0);
        assert_int_equal(balloon_read_target_kb(t.fd, &kb), 0);
        assert_int_equal(kb, 400000);
        test_tree_read(&t, TARGET, buf, sizeof(buf));
        assert_string_equal(buf, "400000\n");

        /* A shorter value leaves no tail of the longer one. */
        assert_int_equal(balloon_write_target_kb(t.fd, 5), 0);
        test_tree_read(&t, TARGET, buf, sizeof(buf));
        assert_string_equal(buf, "5\n");

        /* The largest value the kernel can multiply by 1024. */
        assert_int_equal(balloon_write_target_kb(t.fd, UINT64_MAX / 1024), 0);
        assert_int_equal(balloon_read_target_kb(t.fd, &kb), 0);
        assert_int_equal(kb, UINT64_MAX / 1024);

        /* The balloon's own reading is a different file. */
        assert_int_equal(balloon_read_current_kb(t.fd, &kb), 0);
        assert_int_equal(kb, 524288);
        test_tree_free(&t);
}

static void test_write_refuses(void **unused)
{
        char buf[64];
        struct test_tree t;

        tree_make(&t, true);
        assert_int_equal(balloon_write_target_kb(t.fd, 0), -EINVAL);
        assert_int_equal(balloon_write_target_kb(t.fd, UINT64_MAX / 1024 + 1), -EINVAL);
        assert_int_equal(balloon_write_target_kb(t.fd, UINT64_MAX), -EINVAL);
        test_tree_read(&t, TARGET, buf, sizeof(buf));
        assert_string_equal(buf, "524288\n"); /* nothing was written */
        test_tree_free(&t);
}

/*
 * -EACCES from a read-only target_kb. Root's CAP_DAC_OVERRIDE opens a 0444
 * file for writing regardless, and the tests run as root, so when root the
 * write is made from a child that has dropped to nobody (65534): real
 * permission checking, no chattr, nothing to undo. The child reports by
 * exit status because cmocka's assertions do not cross fork().
 */
static void test_write_eacces(void **unused)
{
        struct test_tree t;
        int status;
        pid_t pid;

        tree_make(&t, true);
        assert_int_equal(fchmodat(t.fd, TARGET, 0444, 0), 0);

        if (geteuid() != 0) {
                assert_int_equal(balloon_write_target_kb(t.fd, 400000), -EACCES);
                test_tree_free(&t);
                return;
        }

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(77);
                _exit(balloon_write_target_kb(t.fd, 400000) == -EACCES ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        test_tree_free(&t);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip(); /* no CAP_SETUID here */
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_write_errors(void **unused)
{
        struct test_tree t;

        tree_make(&t, true);

        /* Whatever write() says is passed up: /dev/full fails every write
         * with ENOSPC, standing in for the driver's -EPERM or -EINVAL. */
        if (access("/dev/full", W_OK) == 0) {
                assert_int_equal(unlinkat(t.fd, TARGET, 0), 0);
                assert_int_equal(symlinkat("/dev/full", t.fd, TARGET), 0);
                assert_int_equal(balloon_write_target_kb(t.fd, 400000), -ENOSPC);
                assert_int_equal(unlinkat(t.fd, TARGET, 0), 0);
        } else {
                assert_int_equal(unlinkat(t.fd, TARGET, 0), 0);
        }

        /* The file is gone (driver unloaded): openat()'s errno. */
        assert_int_equal(balloon_write_target_kb(t.fd, 400000), -ENOENT);

        /* Something that cannot be opened for writing. */
        assert_int_equal(mkdirat(t.fd, TARGET, 0755), 0);
        assert_int_equal(balloon_write_target_kb(t.fd, 400000), -EISDIR);

        /* No balloon directory at all. */
        test_tree_remove(&t, "sys/devices");
        assert_int_equal(balloon_write_target_kb(t.fd, 400000), -ENOENT);
        test_tree_free(&t);
}

/* ---- guest detection ---- */

static void test_detect_domU(void **unused)
{
        struct guest_info g;
        int root = open_dir(FIXTURES "/domU-512");

        assert_int_equal(guest_detect(root, &g), 0);
        assert_true(g.xen);
        assert_false(g.dom0);
        assert_true(g.capabilities_known); /* present and empty */
        assert_int_equal(g.type, GUEST_TYPE_PV);
        assert_true(g.balloon);
        assert_string_equal(guest_type_to_string(g.type), "PV");
        close(root);
}

static void test_detect_dom0(void **unused)
{
        struct guest_info g;
        struct test_tree t;

        tree_make(&t, true);
        test_tree_write(&t, "proc/xen/capabilities", "control_d\n");
        assert_int_equal(guest_detect(t.fd, &g), GUEST_DETECT_DOM0);
        assert_true(g.dom0);
        assert_true(g.xen);
        assert_true(g.balloon); /* dom0 has a balloon too: refused anyway */

        /* A word in a list, not a substring. */
        test_tree_write(&t, "proc/xen/capabilities", "foo,control_d\n");
        assert_int_equal(guest_detect(t.fd, &g), GUEST_DETECT_DOM0);
        test_tree_write(&t, "proc/xen/capabilities", "control_dx\n");
        assert_int_equal(guest_detect(t.fd, &g), 0);
        assert_false(g.dom0);
        test_tree_free(&t);
}

static void test_detect_not_xen(void **unused)
{
        struct guest_info g = { .xen = true };
        int root;

        /* The build machine's own tree: proc only, no Xen anywhere. */
        root = open_dir(FIXTURES "/debian12-host");
        assert_int_equal(guest_detect(root, &g), GUEST_DETECT_NOT_XEN);
        assert_false(g.xen);
        assert_false(g.dom0);
        assert_false(g.capabilities_known);
        assert_false(g.balloon);
        assert_int_equal(g.type, GUEST_TYPE_UNKNOWN);
        close(root);
}

static void test_detect_no_balloon(void **unused)
{
        struct guest_info g;
        struct test_tree t;

        /* Xen, but the balloon driver is not loaded. */
        tree_make(&t, false);
        assert_int_equal(guest_detect(t.fd, &g), GUEST_DETECT_NO_BALLOON);
        assert_true(g.xen);
        assert_false(g.balloon);

        /* Xen is still recognised from sys/hypervisor alone. */
        test_tree_remove(&t, "proc/xen");
        assert_int_equal(guest_detect(t.fd, &g), GUEST_DETECT_NO_BALLOON);
        assert_false(g.capabilities_known);

        /* A hypervisor/type that is not xen, and no xenfs: not Xen. */
        test_tree_write(&t, "sys/hypervisor/type", "kvm\n");
        assert_int_equal(guest_detect(t.fd, &g), GUEST_DETECT_NOT_XEN);

        /* A file where the balloon directory should be is no balloon. */
        test_tree_mkdirs(&t, "sys/devices/system/xen_memory");
        test_tree_write(&t, BALLOON_SYSFS_DIR, "");
        test_tree_write(&t, "sys/hypervisor/type", "xen\n");
        assert_int_equal(guest_detect(t.fd, &g), GUEST_DETECT_NO_BALLOON);
        test_tree_free(&t);
}

static void test_detect_variants(void **unused)
{
        static const struct {
                const char *text;
                enum guest_type type;
        } types[] = {
                { "HVM\n", GUEST_TYPE_HVM },
                { "PVH\n", GUEST_TYPE_PVH },
                { "Xen\n", GUEST_TYPE_ARM },
                { "PV", GUEST_TYPE_PV },
                { "???\n", GUEST_TYPE_UNKNOWN },
                { "pv\n", GUEST_TYPE_UNKNOWN },
        };
        struct guest_info g;
        struct test_tree t;

        tree_make(&t, true);
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                test_tree_write(&t, "sys/hypervisor/guest_type", types[i].text);
                assert_int_equal(guest_detect(t.fd, &g), 0);
                assert_int_equal(g.type, types[i].type);
        }

        /* Kernel without sys/hypervisor and without xenfs mounted: the
         * balloon directory alone proves Xen; dom0 cannot be ruled out,
         * which capabilities_known says. */
        test_tree_remove(&t, "sys/hypervisor");
        test_tree_remove(&t, "proc/xen");
        assert_int_equal(guest_detect(t.fd, &g), 0);
        assert_true(g.xen);
        assert_false(g.capabilities_known);
        assert_int_equal(g.type, GUEST_TYPE_UNKNOWN);

        /* A file that is there but cannot be read is an error, not an
         * answer: *ret stays as it was. */
        test_tree_mkdirs(&t, "proc/xen/capabilities");
        g.type = _GUEST_TYPE_MAX;
        assert_int_equal(guest_detect(t.fd, &g), -EISDIR);
        assert_int_equal(g.type, _GUEST_TYPE_MAX);
        test_tree_free(&t);

        assert_non_null(guest_detect_to_string(GUEST_DETECT_DOM0));
        assert_non_null(guest_detect_to_string(GUEST_DETECT_NOT_XEN));
        assert_non_null(guest_detect_to_string(GUEST_DETECT_NO_BALLOON));
        assert_null(guest_detect_to_string(0));
        assert_null(guest_detect_to_string(-EIO));
        assert_string_equal(guest_type_to_string(_GUEST_TYPE_MAX), "unknown");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_kb),
                cmocka_unit_test(test_read_fixture),
                cmocka_unit_test(test_read_errors),
                cmocka_unit_test(test_write_roundtrip),
                cmocka_unit_test(test_write_refuses),
                cmocka_unit_test(test_write_eacces),
                cmocka_unit_test(test_write_errors),
                cmocka_unit_test(test_detect_domU),
                cmocka_unit_test(test_detect_dom0),
                cmocka_unit_test(test_detect_not_xen),
                cmocka_unit_test(test_detect_no_balloon),
                cmocka_unit_test(test_detect_variants),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
