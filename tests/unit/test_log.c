/* SPDX-License-Identifier: GPL-2.0-only */
/* log.c's tables and its console lines: --log's words, priority names,
 * fields after the text. */
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

#include "log.h"

static void test_targets(void **unused)
{
        static const char *const bad[] = { "auto", "Console", "JOURNAL", "", "console ", "syslog" };
        enum log_target t = LOG_TARGET_AUTO;

        assert_int_equal(log_target_from_string("console", &t), 0);
        assert_int_equal(t, LOG_TARGET_CONSOLE);
        assert_int_equal(log_target_from_string("journal", &t), 0);
        assert_int_equal(t, LOG_TARGET_JOURNAL);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                t = LOG_TARGET_CONSOLE;
                assert_int_equal(log_target_from_string(bad[i], &t), -EINVAL);
                assert_int_equal(t, LOG_TARGET_CONSOLE);
        }
}

/* Runs fn with stderr sent to a file; returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
        FILE *f = tmpfile();
        int saved = dup(STDERR_FILENO);
        char *buf = calloc(1, 4096);
        size_t n;

        assert_non_null(f);
        assert_non_null(buf);
        assert_true(saved >= 0);
        fflush(stderr);
        assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
        fn();
        fflush(stderr);
        assert_true(dup2(saved, STDERR_FILENO) >= 0);
        close(saved);
        rewind(f);
        n = fread(buf, 1, 4095, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static void log_some(void)
{
        const struct log_field fields[] = { { "TARGET_KB", "1024" }, { "GOAL_KB", "512" } };

        log_error("no %s", "balloon");
        log_warning("w");
        log_notice("n");
        log_info("i");
        log_debug("d");
        log_msg(LOG_EMERG, NULL, "e");
        log_msg(LOG_ALERT, NULL, "a");
        log_msg(LOG_CRIT, NULL, "c");
        log_msg(9, NULL, "out of range");
        log_fields(LOG_INFO, "0123456789abcdef0123456789abcdef", fields, 2, "target %d", 1);
}

static void test_console_lines(void **unused)
{
        char *out;

        unsetenv("JOURNAL_STREAM");
        log_open(LOG_TARGET_AUTO); /* outside systemd: the console */
        out = capture_stderr(log_some);
        assert_string_equal(out,
                            "selfballoond: error: no balloon\n"
                            "selfballoond: warning: w\n"
                            "selfballoond: notice: n\n"
                            "selfballoond: info: i\n"
                            "selfballoond: debug: d\n"
                            "selfballoond: emerg: e\n"
                            "selfballoond: alert: a\n"
                            "selfballoond: crit: c\n"
                            "selfballoond: ?: out of range\n"
                            "selfballoond: info: target 1 [TARGET_KB=1024 GOAL_KB=512]\n");
        free(out);
}

static void keep_errno(void)
{
        errno = EXDEV;
        log_info("x");
        assert_int_equal(errno, EXDEV);
}

static void test_errno_kept(void **unused)
{
        log_open(LOG_TARGET_CONSOLE);
        free(capture_stderr(keep_errno));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_targets),
                cmocka_unit_test(test_console_lines),
                cmocka_unit_test(test_errno_kept),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
