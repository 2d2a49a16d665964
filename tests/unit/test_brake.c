/* SPDX-License-Identifier: GPL-2.0-only */
/* The brake: its limit arithmetic, the texts it reads, and, on fixture
 * trees, that it says once why it cannot run and sets nothing then. The
 * D-Bus half cannot be reached here (no systemd): the e2e scenario
 * sudden-demand-systemd is its test. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "brake.h"
#include "log.h"
#include "testtree.h"

#define MiB (1024ULL * 1024ULL)

static void test_limit(void **unused)
{
        /* 100 MiB free, 4 MiB reserve, 16 MiB margin: 80 MiB of room */
        assert_int_equal(brake_limit_bytes(500 * MiB, 100 * 1024, 4 * 1024, 16), 580 * MiB);
        /* no margin: all but the reserve */
        assert_int_equal(brake_limit_bytes(0, 100 * 1024, 4 * 1024, 0), 96 * MiB);
        /* free at or below reserve + margin: held at its usage, never lower */
        assert_int_equal(brake_limit_bytes(500 * MiB, 20 * 1024, 4 * 1024, 16), 500 * MiB);
        assert_int_equal(brake_limit_bytes(500 * MiB, 1024, 4 * 1024, 16), 500 * MiB);
        assert_int_equal(brake_limit_bytes(500 * MiB, 20 * 1024 + 1, 4 * 1024, 16),
                         500 * MiB + 1024);
        /* saturates */
        assert_int_equal(brake_limit_bytes(UINT64_MAX - 10, 100 * 1024, 0, 0), UINT64_MAX);
        assert_int_equal(brake_limit_bytes(0, UINT64_MAX, 0, 0), UINT64_MAX);
        assert_int_equal(brake_limit_bytes(7, UINT64_MAX, 0, UINT64_MAX), 7);
}

static void test_needs_set(void **unused)
{
        assert_true(brake_needs_set(0, 1));
        assert_true(brake_needs_set(0, 500 * MiB));
        assert_false(brake_needs_set(500 * MiB, 500 * MiB));
        assert_false(brake_needs_set(500 * MiB, 500 * MiB + BRAKE_STEP_BYTES - 1));
        assert_false(brake_needs_set(500 * MiB, 500 * MiB - BRAKE_STEP_BYTES + 1));
        assert_true(brake_needs_set(500 * MiB, 500 * MiB + BRAKE_STEP_BYTES));
        assert_true(brake_needs_set(500 * MiB, 500 * MiB - BRAKE_STEP_BYTES));
}

static void test_events(void **unused)
{
        static const char *const bad[] = {
                "",
                "low 0\nmax 0\n",                   /* no high */
                "high 1\nhigh 2\n",                 /* twice */
                "high x\n",
                "high 1 2\n",
                "high -1\n",
                "high 99999999999999999999\n",      /* 65 bits */
                "high 5",                           /* a read cut short */
                "high\n",
        };
        uint64_t v = 42;
        const char *events = "low 0\nhigh 12\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n";

        assert_int_equal(brake_events_parse_high(events, strlen(events), &v), 0);
        assert_int_equal(v, 12);
        assert_int_equal(brake_events_parse_high("highest 9\nhigh 3\n", 17, &v), 0);
        assert_int_equal(v, 3);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                v = 42;
                if (brake_events_parse_high(bad[i], strlen(bad[i]), &v) != -EBADMSG)
                        fail_msg("accepted '%s'", bad[i]);
                assert_int_equal(v, 42);
        }
}

static void test_own_top(void **unused)
{
        char top[BRAKE_NAME_MAX] = "canary";
        const char *hybrid = "12:memory:/x\n1:name=systemd:/selfballoon.slice/a.service\n"
                             "0::/selfballoon.slice/selfballoond.service\n";
        const char *longer = "0::/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                             "aaaaa.slice/x\n";

        assert_int_equal(brake_own_top_parse(hybrid, strlen(hybrid), top, sizeof(top)), 0);
        assert_string_equal(top, "selfballoon.slice");
        assert_int_equal(brake_own_top_parse("0::/system.slice\n", 17, top, sizeof(top)), 0);
        assert_string_equal(top, "system.slice");
        assert_int_equal(brake_own_top_parse("0::/\n", 5, top, sizeof(top)), 0);
        assert_string_equal(top, "");
        strcpy(top, "canary");
        assert_int_equal(brake_own_top_parse("4:memory:/\n", 11, top, sizeof(top)), -ENOENT);
        assert_int_equal(brake_own_top_parse("0::x\n", 5, top, sizeof(top)), -EBADMSG);
        assert_int_equal(brake_own_top_parse("0::\n", 4, top, sizeof(top)), -EBADMSG);
        assert_int_equal(brake_own_top_parse(longer, strlen(longer), top, sizeof(top)),
                         -ENAMETOOLONG);
        assert_string_equal(top, "canary");
}

static void test_wanted(void **unused)
{
        assert_true(brake_slice_wanted("system.slice", "selfballoon.slice"));
        assert_true(brake_slice_wanted("user.slice", ""));
        assert_true(brake_slice_wanted("machine.slice", "system.slice"));
        assert_false(brake_slice_wanted("selfballoon.slice", "selfballoon.slice"));
        assert_false(brake_slice_wanted("system.slice", "system.slice"));
        assert_false(brake_slice_wanted("init.scope", ""));
        assert_false(brake_slice_wanted(".slice", ""));
        assert_false(brake_slice_wanted("a b.slice", ""));
        assert_false(brake_slice_wanted("", ""));
        assert_false(brake_slice_wanted("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.slice",
                                        ""));
}

static void test_record(void **unused)
{
        static const struct {
                const char *text;
                unsigned line;
        } bad[] = {
                { "system.slice\n", 1 },
                { "system.slice 1\nuser.slice x\n", 2 },
                { "system.slice 1\nsystem.slice 2\n", 2 },  /* twice */
                { "system.slice 1\ninit.scope 2\n", 2 },    /* not a slice */
                { "system.slice 1\n\n", 2 },
                { "system.slice  1\n", 1 },
                { "system.slice -1\n", 1 },
                { "system.slice 18446744073709551615\n", 1 }, /* infinity's value as a number */
                { "system.slice 1\nuser.slice 2", 2 },      /* cut short */
        };
        struct brake_saved s[3] = { { "system.slice", BRAKE_INFINITY },
                                    { "user.slice", 2 * 1024 * MiB },
                                    { "machine.slice", 0 } },
                           back[BRAKE_SLICES_MAX];
        char buf[256];
        size_t n = 99;
        unsigned line = 0;
        int len = brake_record_format(s, 3, buf, sizeof(buf));

        assert_string_equal(buf, "system.slice infinity\nuser.slice 2147483648\nmachine.slice 0\n");
        assert_int_equal(len, (int)strlen(buf));
        assert_int_equal(brake_record_parse(buf, (size_t)len, back, BRAKE_SLICES_MAX, &n, &line), 0);
        assert_int_equal(n, 3);
        assert_memory_equal(back, s, sizeof(s));
        assert_int_equal(brake_record_parse("", 0, back, BRAKE_SLICES_MAX, &n, &line), 0);
        assert_int_equal(n, 0);
        /* more than max */
        assert_int_equal(brake_record_parse(buf, (size_t)len, back, 2, &n, &line), -EBADMSG);
        assert_int_equal(line, 3);
        assert_int_equal(brake_record_format(s, 3, buf, 20), -ENOBUFS);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                n = 99;
                line = 0;
                if (brake_record_parse(bad[i].text, strlen(bad[i].text), back, BRAKE_SLICES_MAX,
                                       &n, &line) != -EBADMSG)
                        fail_msg("accepted '%s'", bad[i].text);
                assert_int_equal(n, 99);
                if (line != bad[i].line)
                        fail_msg("'%s': line %u, want %u", bad[i].text, line, bad[i].line);
        }
}

/* Runs the brake on a tree twice (a tick, a look) and clears it; returns
 * what it said on stderr. */
static char *run_on_tree(const struct test_tree *t, bool dry_run)
{
        struct sb_settings s;
        struct brake *b = NULL;
        sd_event *e = NULL;
        char path[300];
        FILE *f;
        char *out = calloc(1, 4096);
        int saved = dup(STDERR_FILENO), fd;

        snprintf(path, sizeof(path), "%s/stderr", t->path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0 && saved >= 0 && out);
        fflush(stderr);
        dup2(fd, STDERR_FILENO);
        close(fd);
        policy_settings_default(&s);
        s.brake = true;
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(brake_new(e, t->fd, dry_run, NULL, NULL, &b), 0);
        brake_configure(b, &s);
        brake_update(b);
        brake_update(b);
        assert_int_equal(brake_clear(b), 0);
        brake_free(b);
        sd_event_unref(e);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        f = fopen(path, "re");
        assert_non_null(f);
        (void)!fread(out, 1, 4095, f);
        fclose(f);
        return out;
}

static unsigned count(const char *text, const char *what)
{
        unsigned n = 0;

        for (const char *p = text; (p = strstr(p, what)); p++)
                n++;
        return n;
}

static void test_cannot_run(void **unused)
{
        struct test_tree t;
        char *out;

        log_open(LOG_TARGET_CONSOLE);
        /* a cgroup v1 host: said once over two updates, nothing recorded */
        test_tree_new(&t);
        test_tree_write(&t, "sys/fs/cgroup/memory/memory.usage_in_bytes", "1\n");
        out = run_on_tree(&t, false);
        if (count(out, "no unified cgroup hierarchy") != 1)
                fail_msg("want the reason once, got: %s", out);
        assert_int_equal(faccessat(t.fd, BRAKE_RECORD, F_OK, 0), -1);
        free(out);
        test_tree_free(&t);

        /* cgroup2, but the daemon's slice is the only one with memory: the
         * daemon never brakes itself */
        test_tree_new(&t);
        test_tree_write(&t, "sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n");
        test_tree_write(&t, "sys/fs/cgroup/selfballoon.slice/memory.current", "4096\n");
        test_tree_write(&t, "sys/fs/cgroup/system.slice/cgroup.procs", "");
        test_tree_write(&t, "sys/fs/cgroup/init.scope/memory.current", "4096\n");
        test_tree_write(&t, "proc/self/cgroup", "0::/selfballoon.slice/selfballoond.service\n");
        out = run_on_tree(&t, false);
        if (count(out, "no slice but the daemon's own (selfballoon.slice)") != 1)
                fail_msg("want the reason once, got: %s", out);
        assert_int_equal(faccessat(t.fd, BRAKE_RECORD, F_OK, 0), -1);
        free(out);

        /* a dry run sets nothing and says so */
        out = run_on_tree(&t, true);
        if (count(out, "dry run") != 1)
                fail_msg("want the dry run said once, got: %s", out);
        free(out);
        test_tree_free(&t);
}

static void test_restore_bad_record(void **unused)
{
        struct test_tree t;

        log_open(LOG_TARGET_CONSOLE);
        test_tree_new(&t);
        /* no record: nothing to do, no bus needed */
        assert_int_equal(brake_restore(t.fd, t.path), 0);
        /* a bad record is refused (and kept) before any bus is reached */
        test_tree_write(&t, BRAKE_RECORD, "system.slice infinity\nuser.slice lots\n");
        assert_int_equal(brake_restore(t.fd, t.path), -EBADMSG);
        assert_int_equal(faccessat(t.fd, BRAKE_RECORD, F_OK, 0), 0);
        test_tree_free(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_limit),
                cmocka_unit_test(test_needs_set),
                cmocka_unit_test(test_events),
                cmocka_unit_test(test_own_top),
                cmocka_unit_test(test_wanted),
                cmocka_unit_test(test_record),
                cmocka_unit_test(test_cannot_run),
                cmocka_unit_test(test_restore_bad_record),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
