/* SPDX-License-Identifier: GPL-2.0-only */
/* selfballoon-dom0's pure part: judging a guest's nodes (dom0-parse.c) and
 * showing them safely (dom0-format.c). The xenstore reader is tested against
 * the real xenstored in tests/integration/test_dom0.py. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dom0.h"

#define NOW INT64_C(1800000000)

static const struct dom0_limits lim = { .silent_after_s = 180, .max_skew_s = 30 };

static void set_n(struct dom0_raw *r, enum dom0_key k, const char *v, size_t n)
{
        r->present[k] = true;
        r->len[k] = n;
        memcpy(r->value[k], v, n < DOM0_VALUE_MAX ? n : DOM0_VALUE_MAX);
}

static void set(struct dom0_raw *r, enum dom0_key k, const char *v)
{
        set_n(r, k, v, strlen(v));
}

/* A guest whose daemon is running and healthy, heartbeat 10 s ago. */
static void healthy(struct dom0_raw *r, uint32_t domid)
{
        char hb[32];

        memset(r, 0, sizeof(*r));
        r->domid = domid;
        r->has_data = true;
        set(r, DOM0_KEY_NAME, "web");
        set(r, DOM0_KEY_XS_TARGET, "524288");
        set(r, DOM0_KEY_STATIC_MAX, "786432");
        set(r, DOM0_KEY_TARGET, "262144");
        set(r, DOM0_KEY_GOAL, "250000");
        set(r, DOM0_KEY_FLOOR, "131072");
        set(r, DOM0_KEY_BACKEND, "xenstore");
        set(r, DOM0_KEY_STATUS, "running");
        set(r, DOM0_KEY_POLICY, "seed");
        snprintf(hb, sizeof(hb), "%lld", (long long)(NOW - 10));
        set(r, DOM0_KEY_HEARTBEAT, hb);
}

static void heartbeat_at(struct dom0_raw *r, int64_t t)
{
        char hb[32];

        snprintf(hb, sizeof(hb), "%lld", (long long)t);
        set(r, DOM0_KEY_HEARTBEAT, hb);
}

static enum dom0_health health_of(const struct dom0_raw *r)
{
        struct dom0_guest g;

        dom0_guest_parse(r, NOW, &lim, &g);
        return g.health;
}

static void test_healthy(void **state)
{
        struct dom0_raw r;
        struct dom0_guest g;

        healthy(&r, 3);
        dom0_guest_parse(&r, NOW, &lim, &g);
        assert_int_equal(g.health, DOM0_HEALTH_OK);
        assert_int_equal(g.bad, 0);
        assert_true(g.num[DOM0_KEY_TARGET].valid);
        assert_int_equal(g.num[DOM0_KEY_TARGET].v, 262144);
        assert_int_equal(g.num[DOM0_KEY_STATIC_MAX].v, 786432);
        assert_int_equal(g.heartbeat_age_s, 10);
        assert_int_equal(dom0_exit_status(&g, 1), DOM0_EXIT_OK);
}

static void test_no_daemon(void **state)
{
        struct dom0_raw r;
        struct dom0_guest g;

        memset(&r, 0, sizeof(r));
        r.domid = 4;
        set(&r, DOM0_KEY_NAME, "plain");
        /* stale daemon keys without the directory are not looked at */
        set(&r, DOM0_KEY_STATUS, "garbage");
        dom0_guest_parse(&r, NOW, &lim, &g);
        assert_int_equal(g.health, DOM0_HEALTH_NO_DAEMON);
        assert_int_equal(g.bad, 0);
        assert_int_equal(dom0_exit_status(&g, 1), DOM0_EXIT_OK);
}

static void test_silent(void **state)
{
        struct dom0_raw r;

        healthy(&r, 3);
        heartbeat_at(&r, NOW - 180);
        assert_int_equal(health_of(&r), DOM0_HEALTH_OK);
        heartbeat_at(&r, NOW - 181);
        assert_int_equal(health_of(&r), DOM0_HEALTH_SILENT);
        /* a stalled daemon that fell silent is silent */
        set(&r, DOM0_KEY_STATUS, "stalled");
        assert_int_equal(health_of(&r), DOM0_HEALTH_SILENT);
        /* a stopped daemon is not expected to beat */
        set(&r, DOM0_KEY_STATUS, "stopped");
        assert_int_equal(health_of(&r), DOM0_HEALTH_STOPPED);
        /* a daemon without a heartbeat key (older) is never silent */
        healthy(&r, 3);
        r.present[DOM0_KEY_HEARTBEAT] = false;
        assert_int_equal(health_of(&r), DOM0_HEALTH_OK);
}

static void test_clock_ahead(void **state)
{
        struct dom0_raw r;
        struct dom0_guest g;

        healthy(&r, 3);
        heartbeat_at(&r, NOW + 30);
        assert_int_equal(health_of(&r), DOM0_HEALTH_OK);
        heartbeat_at(&r, NOW + 31);
        dom0_guest_parse(&r, NOW, &lim, &g);
        assert_int_equal(g.health, DOM0_HEALTH_BAD_CLOCK);
        assert_int_equal(g.heartbeat_age_s, -31);
        assert_int_equal(dom0_exit_status(&g, 1), DOM0_EXIT_BAD_DATA);
        /* the largest number: ahead, and no overflow on the way */
        set(&r, DOM0_KEY_HEARTBEAT, "18446744073709551615");
        assert_int_equal(health_of(&r), DOM0_HEALTH_BAD_CLOCK);
}

static void test_exit_precedence(void **state)
{
        struct dom0_raw r[3];
        struct dom0_guest g[3];

        healthy(&r[0], 1);
        set(&r[0], DOM0_KEY_STATUS, "stalled");
        healthy(&r[1], 2);
        healthy(&r[2], 3);
        for (int i = 0; i < 3; i++)
                dom0_guest_parse(&r[i], NOW, &lim, &g[i]);
        assert_int_equal(g[0].health, DOM0_HEALTH_STALLED);
        assert_int_equal(dom0_exit_status(g, 3), DOM0_EXIT_STALLED);

        set(&r[1], DOM0_KEY_GOAL, "x");
        dom0_guest_parse(&r[1], NOW, &lim, &g[1]);
        assert_int_equal(dom0_exit_status(g, 3), DOM0_EXIT_BAD_DATA);

        heartbeat_at(&r[2], NOW - 1000);
        dom0_guest_parse(&r[2], NOW, &lim, &g[2]);
        assert_int_equal(dom0_exit_status(g, 3), DOM0_EXIT_SILENT);
}

static void expect_bad_number(const char *v, size_t n, const char *why)
{
        struct dom0_raw r;
        struct dom0_guest g;

        healthy(&r, 3);
        set_n(&r, DOM0_KEY_GOAL, v, n);
        dom0_guest_parse(&r, NOW, &lim, &g);
        assert_int_equal(g.health, DOM0_HEALTH_BAD_DATA);
        assert_false(g.num[DOM0_KEY_GOAL].valid);
        assert_int_equal(g.bad, 1U << DOM0_KEY_GOAL);
        assert_string_equal(dom0_problem(&g, DOM0_KEY_GOAL), why);
        assert_null(dom0_problem(&g, DOM0_KEY_TARGET));
}

static void test_strict_numbers(void **state)
{
        char big[300];

        expect_bad_number("", 0, "not a decimal number");
        expect_bad_number("+5", 2, "not a decimal number");
        expect_bad_number(" 5", 2, "not a decimal number");
        expect_bad_number("5\n", 2, "not a decimal number");
        expect_bad_number("0x10", 4, "not a decimal number");
        expect_bad_number("-1", 2, "not a decimal number");
        expect_bad_number("12\0" "34", 5, "not a decimal number");
        expect_bad_number("18446744073709551616", 20, "number too large");
        expect_bad_number("000000000000000000001", 21, "number too large");
        memset(big, '9', sizeof(big));
        expect_bad_number(big, sizeof(big), "too long");
}

static void test_words(void **state)
{
        struct dom0_raw r;
        struct dom0_guest g;

        healthy(&r, 3);
        set(&r, DOM0_KEY_STATUS, "running\n");
        set(&r, DOM0_KEY_POLICY, "adaptive");
        dom0_guest_parse(&r, NOW, &lim, &g);
        assert_int_equal(g.health, DOM0_HEALTH_BAD_DATA);
        assert_int_equal(g.bad, 1U << DOM0_KEY_STATUS);
        assert_string_equal(dom0_problem(&g, DOM0_KEY_STATUS), "not one of the known words");

        /* required keys missing: bad; the newer ones missing: fine */
        healthy(&r, 3);
        r.present[DOM0_KEY_BACKEND] = false;
        r.present[DOM0_KEY_POLICY] = false;
        dom0_guest_parse(&r, NOW, &lim, &g);
        assert_int_equal(g.bad, 1U << DOM0_KEY_BACKEND);
        assert_string_equal(dom0_problem(&g, DOM0_KEY_BACKEND), "missing");
}

static void test_escape_text(void **state)
{
        char buf[64];

        assert_string_equal(dom0_escape_text("\x1b[2Jx", 5, 40, buf, sizeof(buf)), "\\x1b[2Jx");
        assert_string_equal(dom0_escape_text("a\\b", 3, 40, buf, sizeof(buf)), "a\\\\b");
        assert_string_equal(dom0_escape_text("\x9b" "1m\x7f", 4, 40, buf, sizeof(buf)),
                            "\\x9b1m\\x7f");
        assert_string_equal(dom0_escape_text("a\0b", 3, 40, buf, sizeof(buf)), "a\\x00b");
        /* at most max characters, then "..."; an escape is never cut */
        assert_string_equal(dom0_escape_text("abcdefgh", 8, 4, buf, sizeof(buf)), "abcd...");
        assert_string_equal(dom0_escape_text("ab\x01" "cd", 5, 4, buf, sizeof(buf)), "ab...");
        /* a small buffer is never overrun */
        assert_string_equal(dom0_escape_text("abcdefgh", 8, 40, buf, 6), "ab...");
        assert_string_equal(dom0_escape_text("abcdefgh", 8, 40, buf, 3), "..");
}

static char *json_of(const char *s, size_t n)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        assert_non_null(f);
        dom0_json_string(f, s, n);
        assert_int_equal(fclose(f), 0);
        return out;
}

static void expect_json(const char *s, size_t n, const char *want)
{
        char *got = json_of(s, n);

        assert_string_equal(got, want);
        free(got);
}

static void test_json_string(void **state)
{
        expect_json("plain", 5, "\"plain\"");
        expect_json("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
        expect_json("\n\x1b\x7f", 3, "\"\\u000a\\u001b\\u007f\"");
        expect_json("a\0b", 3, "\"a\\u0000b\"");
        expect_json("\xc3\xa9", 2, "\"\xc3\xa9\"");                    /* é */
        expect_json("\xf0\x9f\x90\xa7", 4, "\"\xf0\x9f\x90\xa7\"");    /* U+1F427 */
        expect_json("\xff", 1, "\"\\ufffd\"");
        expect_json("\xc0\x80", 2, "\"\\ufffd\\ufffd\"");              /* overlong NUL */
        expect_json("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");   /* a surrogate */
        expect_json("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
        expect_json("\xc3", 1, "\"\\ufffd\"");                         /* cut short */
        expect_json("\xc2\x9b", 2, "\"\\u009b\"");   /* C1 CSI: escaped for terminals */
        expect_json("\xc2\xa0", 2, "\"\xc2\xa0\"");    /* U+00A0 kept */
}

static char *table_of(const struct dom0_guest *g, size_t n, bool all)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        assert_non_null(f);
        dom0_format_table(f, g, n, all);
        assert_int_equal(fclose(f), 0);
        return out;
}

static void test_table_hostile(void **state)
{
        struct dom0_raw r[3];
        struct dom0_guest g[3];
        char *t;

        healthy(&r[0], 3);
        healthy(&r[1], 7);
        set(&r[1], DOM0_KEY_STATUS, "\x1b]0;owned\x07\x1b[2J");
        set(&r[1], DOM0_KEY_BACKEND, "\xc2\x9b" "31m");
        set(&r[1], DOM0_KEY_TARGET, "1\r\n2");
        memset(&r[2], 0, sizeof(r[2]));
        r[2].domid = 9;
        set(&r[2], DOM0_KEY_NAME, "nodaemon");
        for (int i = 0; i < 3; i++)
                dom0_guest_parse(&r[i], NOW, &lim, &g[i]);

        t = table_of(g, 3, true);
        for (const unsigned char *p = (const unsigned char *)t; *p; p++)
                assert_true(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
        /* the healthy guest is listed in full, next to the hostile one */
        assert_non_null(strstr(t, "    3 web "));
        assert_non_null(strstr(t, "running    xenstore   seed          256    244    128"));
        assert_non_null(strstr(t, "10s ago"));
        assert_non_null(strstr(t, "    7 web "));
        assert_non_null(strstr(t, "domid 7: status: not one of the known words: "
                                  "\"\\x1b]0;owned\\x07\\x1b[2J\" (14 bytes)"));
        assert_non_null(strstr(t, "domid 7: target_kb: not a decimal number: \"1\\x0d\\x0a2\""));
        assert_non_null(strstr(t, "nodaemon"));
        assert_non_null(strstr(t, "3 guests, 1 ok, 1 no daemon, 1 bad data; sizes in MiB"));
        free(t);

        t = table_of(g, 3, false);
        assert_null(strstr(t, "nodaemon"));
        assert_non_null(strstr(t, "2 guests"));
        free(t);
}

/* A guest whose nodes could not be read is a row of its own, never a
 * reason to drop the listing. */
static void test_read_error(void **state)
{
        struct dom0_raw r[2];
        struct dom0_guest g[2];
        char *t, *out = NULL;
        size_t len = 0;
        FILE *f;

        healthy(&r[0], 3);
        memset(&r[1], 0, sizeof(r[1]));
        r[1].domid = 4;
        r[1].read_error = -EACCES;
        for (int i = 0; i < 2; i++)
                dom0_guest_parse(&r[i], NOW, &lim, &g[i]);
        assert_int_equal(g[1].health, DOM0_HEALTH_BAD_DATA);
        assert_int_equal(dom0_exit_status(g, 2), DOM0_EXIT_BAD_DATA);
        t = table_of(g, 2, false);
        assert_non_null(strstr(t, "    3 web "));
        assert_non_null(strstr(t, "domid 4: cannot read: Permission denied"));
        free(t);
        f = open_memstream(&out, &len);
        assert_non_null(f);
        dom0_format_json(f, g, 2, NOW, &lim, false);
        assert_int_equal(fclose(f), 0);
        assert_non_null(strstr(out, "\"problems\":[{\"key\":null,\"problem\":\"Permission denied\""));
        free(out);
}

static void test_json_document(void **state)
{
        struct dom0_raw r[2];
        struct dom0_guest g[2];
        char *out = NULL;
        size_t len = 0;
        FILE *f;

        healthy(&r[0], 3);
        r[0].present[DOM0_KEY_HEARTBEAT] = false;
        healthy(&r[1], 7);
        set(&r[1], DOM0_KEY_NAME, "x\"y");
        set(&r[1], DOM0_KEY_FLOOR, "\x1b");
        for (int i = 0; i < 2; i++)
                dom0_guest_parse(&r[i], NOW, &lim, &g[i]);
        f = open_memstream(&out, &len);
        assert_non_null(f);
        dom0_format_json(f, g, 2, NOW, &lim, true);
        assert_int_equal(fclose(f), 0);
        assert_non_null(strstr(out, "{\"time\":1800000000,\"silent_after_s\":180,"
                                    "\"max_skew_s\":30,\"exit_status\":5,\"guests\":["));
        assert_non_null(strstr(out, "\"domid\":3,\"name\":\"web\",\"daemon\":true,"
                                    "\"health\":\"ok\",\"status\":\"running\""));
        assert_non_null(strstr(out, "\"heartbeat\":null,\"heartbeat_age_s\":null,"
                                    "\"problems\":[]"));
        assert_non_null(strstr(out, "\"name\":\"x\\\"y\""));
        assert_non_null(strstr(out, "\"floor_kb\":null"));
        assert_non_null(strstr(out, "{\"key\":\"floor_kb\",\"problem\":\"not a decimal "
                                    "number\",\"value\":\"\\u001b\"}"));
        free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_healthy),
                cmocka_unit_test(test_no_daemon),
                cmocka_unit_test(test_silent),
                cmocka_unit_test(test_clock_ahead),
                cmocka_unit_test(test_exit_precedence),
                cmocka_unit_test(test_strict_numbers),
                cmocka_unit_test(test_words),
                cmocka_unit_test(test_escape_text),
                cmocka_unit_test(test_json_string),
                cmocka_unit_test(test_table_hostile),
                cmocka_unit_test(test_read_error),
                cmocka_unit_test(test_json_document),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
