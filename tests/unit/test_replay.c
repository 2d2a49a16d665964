/* SPDX-License-Identifier: GPL-2.0-only */
/* --replay's pure parts: the header, rows, t_s, the output line, and one
 * whole run through in-memory streams against values computed by hand. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay.h"

#define H "mem_total_kb,committed_as_kb,totalreserve_kb,max_kb,balloon_current_kb"

static void test_header(void **unused)
{
        static const struct {
                const char *line, *message;
        } bad[] = {
                { "mem_total_kb,committed_as_kb", "required column 'totalreserve_kb' is missing" },
                { H ",bogus", "unknown column 'bogus'; columns are t_s, mem_total_kb, "
                              "committed_as_kb, totalreserve_kb, max_kb, balloon_current_kb, "
                              "frontswap_pages, sunreclaim_kb, kernel_stack_kb, page_tables_kb, "
                              "mem_available_kb, active_file_kb, inactive_file_kb, workingset_refault_file" },
                { H ",max_kb", "column 'max_kb' appears twice" },
                { H ",", "unknown column ''; columns are t_s, mem_total_kb, committed_as_kb, "
                         "totalreserve_kb, max_kb, balloon_current_kb, frontswap_pages, "
                         "sunreclaim_kb, kernel_stack_kb, page_tables_kb, mem_available_kb, "
                         "active_file_kb, inactive_file_kb, workingset_refault_file" },
                { "Mem_total_kb,committed_as_kb,totalreserve_kb,max_kb,balloon_current_kb",
                  "unknown column 'Mem_total_kb'; columns are t_s, mem_total_kb, "
                  "committed_as_kb, totalreserve_kb, max_kb, balloon_current_kb, "
                  "frontswap_pages, sunreclaim_kb, kernel_stack_kb, page_tables_kb, "
                  "mem_available_kb, active_file_kb, inactive_file_kb, workingset_refault_file" },
        };
        struct replay_header h;
        char err[512];

        assert_int_equal(replay_parse_header("t_s," H ",frontswap_pages", &h, err, sizeof(err)), 0);
        assert_int_equal(h.n_fields, 7);
        assert_int_equal(h.column_of_field[0], REPLAY_T_S);
        assert_int_equal(h.column_of_field[6], REPLAY_FRONTSWAP_PAGES);
        assert_true(h.present[REPLAY_FRONTSWAP_PAGES]);
        assert_false(h.present[REPLAY_MEM_AVAILABLE_KB]);

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = '\0';
                assert_int_equal(replay_parse_header(bad[i].line, &h, err, sizeof(err)), -EINVAL);
                assert_string_equal(err, bad[i].message);
        }
}

static struct replay_row row_ok(const char *header, const char *line)
{
        struct replay_header h;
        struct replay_row r;
        char err[512] = "";

        assert_int_equal(replay_parse_header(header, &h, err, sizeof(err)), 0);
        if (replay_parse_row(&h, line, &r, err, sizeof(err)) != 0)
                fail_msg("'%s' rejected: %s", line, err);
        return r;
}

static void row_bad(const char *header, const char *line, const char *message)
{
        struct replay_header h;
        struct replay_row r;
        char err[512] = "";

        assert_int_equal(replay_parse_header(header, &h, err, sizeof(err)), 0);
        assert_int_equal(replay_parse_row(&h, line, &r, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, message);
}

static void test_row(void **unused)
{
        struct replay_row r;

        r = row_ok(H ",frontswap_pages,mem_available_kb,sunreclaim_kb", "1,2,3,4,5,6,7,8");
        assert_int_equal(r.obs.mem_total_kb, 1);
        assert_int_equal(r.obs.committed_as_kb, 2);
        assert_int_equal(r.obs.totalreserve_kb, 3);
        assert_int_equal(r.obs.max_kb, 4);
        assert_int_equal(r.obs.balloon_current_kb, 5);
        assert_true(r.obs.has_frontswap);
        assert_int_equal(r.obs.frontswap_pages, 6);
        assert_true(r.obs.has_mem_available);
        assert_int_equal(r.obs.mem_available_kb, 7);
        assert_int_equal(r.obs.sunreclaim_kb, 8);
        assert_false(r.has_t);
        assert_string_equal(r.t_s, "");

        /* an empty optional value is absent, not 0 with its flag set */
        r = row_ok(H ",frontswap_pages,mem_available_kb", "1,2,3,4,5,,");
        assert_false(r.obs.has_frontswap);
        assert_false(r.obs.has_mem_available);

        /* the largest number there is */
        r = row_ok(H, "18446744073709551615,0,0,0,0");
        assert_int_equal(r.obs.mem_total_kb, UINT64_MAX);

        row_bad(H, "18446744073709551616,0,0,0,0",
                "mem_total_kb '18446744073709551616' is not a whole number (decimal digits, at "
                "most 18446744073709551615)");
        row_bad(H, ",2,3,4,5", "column 'mem_total_kb' is empty");
        row_bad(H, "1,2,3,4", "4 fields, the header has 5");
        row_bad(H, "1,2,3,4,5,6", "more fields than the header's 5");
        row_bad(H, "1,2,3,4,5,", "more fields than the header's 5");
        row_bad(H, "1,2,3,4, 5", "balloon_current_kb ' 5' is not a whole number (decimal digits, "
                                 "at most 18446744073709551615)");
}

static void test_time(void **unused)
{
        static const struct {
                const char *text;
                uint64_t us;
        } good[] = {
                { "0", 0 },
                { "5", 5000000 },
                { "5.", 5000000 },
                { ".5", 500000 },
                { "1.25", 1250000 },
                { "1.0000019", 1000001 },               /* finer than 1 us: dropped */
                { "18446744073709.551615", 18446744073709551615ULL },
                /* more seconds than us can count: saturated at UINT64_MAX / 10^6 s */
                { "18446744073710", 18446744073709000000ULL },
                { "99999999999999999999999", 18446744073709000000ULL },
        };
        static const char *const bad[] = { ".", "", "1e3", "1.2.3", "-1", "+1", "1,5", " 1", "0x1",
                                           "123456789012345678901234567890123" /* 33 bytes */ };
        char line[128], want[160];

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                struct replay_row r;

                snprintf(line, sizeof(line), "%s,1,2,3,4,5", good[i].text);
                r = row_ok("t_s," H, line);
                assert_true(r.has_t);
                assert_string_equal(r.t_s, good[i].text); /* copied through as given */
                if (r.t_us != good[i].us)
                        fail_msg("%s: %" PRIu64 " us, want %" PRIu64, good[i].text, r.t_us,
                                 good[i].us);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (bad[i][0] == '\0')
                        continue; /* an empty t_s is an absent one */
                snprintf(line, sizeof(line), "%s,1,2,3,4,5", bad[i]);
                snprintf(want, sizeof(want), "t_s '%s' is not a time in seconds (digits, "
                         "optionally with a fraction)", bad[i]);
                if (strchr(bad[i], ','))
                        continue; /* splits into two fields: a field count error instead */
                row_bad("t_s," H, line, want);
        }
        assert_false(row_ok("t_s," H, ",1,2,3,4,5").has_t);
}

static void test_format(void **unused)
{
        struct sb_decision d = { .balloon = true, .target_kb = 10, .goal_kb = 20, .floor_kb = 30 };
        char buf[160];

        replay_format_decision("1.5", &d, buf, sizeof(buf));
        assert_string_equal(buf, "1.5,10,20,30,-1");
        d.frontswap_shrink = true;
        d.frontswap_target_pages = 0;
        replay_format_decision("", &d, buf, sizeof(buf));
        assert_string_equal(buf, ",10,20,30,0");
        d.balloon = false;
        replay_format_decision("7", &d, buf, sizeof(buf));
        assert_string_equal(buf, "7,,,,0");
}

static int run(const char *input, char *out, size_t out_size, char *err, size_t err_size)
{
        struct sb_settings s;
        FILE *in = fmemopen((void *)input, strlen(input), "r");
        FILE *o = fmemopen(out, out_size, "w");
        int r;

        assert_non_null(in);
        assert_non_null(o);
        policy_settings_default(&s);
        err[0] = '\0';
        r = replay_run(in, o, "t.csv", &s, 4096, err, err_size);
        fclose(in);
        fclose(o);
        return r;
}

static void test_run(void **unused)
{
        char out[1024], err[256];

        /* The fixture guest (tests/fixtures/domU-512), by hand, 4 KiB pages:
         * MemTotal 461172 kB = 115293 pages; Committed_AS 5128 kB = 1282;
         * totalreserve 5692 kB = 1423; 10 % reserve: 11529 pages = 45 MB =
         * 11520 pages; goal = 1282 + 1423 + 11520 = 14225 pages;
         * tgt = 115293 - (115293 - 14225) / 8 = 115293 - 12633 = 102660;
         * floor: useful = 196608 - 1423 = 195185 >= 512 MB, so
         * 1423 + 25344 + (195185 - 25344) / 32 = 1423 + 25344 + 5307 = 32074;
         * target = 102660 + 131072 - 115293 = 118439 pages = 473756 kB. */
        memset(out, 0, sizeof(out));
        assert_int_equal(run(H "\n461172,5128,5692,786432,524288\r\n", out, sizeof(out), err,
                             sizeof(err)), 0);
        assert_string_equal(out, REPLAY_OUTPUT_HEADER "\n,473756,56900,128296,-1\n");

        assert_int_equal(run("", out, sizeof(out), err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "t.csv:1: empty input, expected a header line");
        assert_int_equal(run(H "\n1,2,3,4,5\n1,2\n", out, sizeof(out), err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "t.csv:3: 2 fields, the header has 5");
        assert_int_equal(run("bogus\n", out, sizeof(out), err, sizeof(err)), -EINVAL);
        assert_true(strncmp(err, "t.csv:1: bad header: unknown column 'bogus'", 43) == 0);
}

static void test_nul(void **unused)
{
        static const char input[] = H "\n1,2,3\0,4,5\n";
        struct sb_settings s;
        char out[256], err[256] = "";
        FILE *in = fmemopen((void *)input, sizeof(input) - 1, "r");
        FILE *o = fmemopen(out, sizeof(out), "w");

        policy_settings_default(&s);
        assert_int_equal(replay_run(in, o, "t.csv", &s, 4096, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "t.csv:2: NUL byte in line");
        fclose(in);
        fclose(o);
}

/* The cache cushion through a replay: the rate from t_s deltas, a watch
 * line (less than an interval after the last tick) carries no cache term,
 * and the output gains cache_cushion_kb only with the counter's column. */
static void test_run_cache(void **unused)
{
        const char *text =
                "t_s," H ",active_file_kb,inactive_file_kb,workingset_refault_file\n"
                "0,1000000,200000,9548,1048576,1048576,0,0,0\n"
                "5,1000000,200000,9548,1048576,1048576,500000,0,25000\n"   /* +100000 kB */
                "6,1000000,200000,9548,1048576,1048576,0,0,999999\n"       /* a look */
                "10,1000000,200000,9548,1048576,1048576,500000,0,25000\n"  /* no refaults */
                "16,1000000,200000,9548,1048576,1048576,0,0,25000\n";      /* 6 s of decay */
        char out[2048], err[256];
        FILE *in = fmemopen((void *)text, strlen(text), "r"), *o = fmemopen(out, sizeof(out), "w");
        struct sb_settings s;

        policy_settings_default(&s);
        s.policy = SB_POLICY_ADAPTIVE;
        s.reserve = policy_default_reserve(SB_POLICY_ADAPTIVE);
        s.cache_cushion = true;
        err[0] = '\0';
        assert_int_equal(replay_run(in, o, "t.csv", &s, 4096, err, sizeof(err)), 0);
        fclose(in);
        fclose(o);
        /* By hand, in 4 KiB pages: goal = (200000 + 9548) / 4 + 12 MB = 52387 +
         * 3072 = 55459 pages = 221836 kB, plus the cushion. MemTotal 250000,
         * offset (1048576 - 1000000) / 4 = 12144. Line 0: 250000 - (250000 -
         * 55459) / 8 = 225683, + 12144 = 237827 pages = 951308 kB. Line 5:
         * cushion 25000 pages = 100000 kB, goal 80459: 250000 - 21192 + 12144
         * = 240952 = 963808 kB. The look raises nothing and leaves the
         * cushion; line 10: 0 refaults, all active: no decay. Line 16: 6 s of
         * 60 s, nothing active: 90000 kB, goal 77959 pages: 250000 - 21505 +
         * 12144 = 240639 = 962556 kB. Floor: reserve 2387 + 25344 + (259757
         * - 25344) / 32 = 35056 pages = 140224 kB. */
        assert_string_equal(out,
                "t_s,target_kb,goal_kb,floor_kb,frontswap_target_pages,cache_cushion_kb\n"
                "0,951308,221836,140224,-1,0\n"
                "5,963808,321836,140224,-1,100000\n"
                "6,963808,321836,140224,-1,100000\n"
                "10,963808,321836,140224,-1,100000\n"
                "16,962556,311836,140224,-1,90000\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header),
                cmocka_unit_test(test_run_cache),
                cmocka_unit_test(test_row),
                cmocka_unit_test(test_time),
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_run),
                cmocka_unit_test(test_nul),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
