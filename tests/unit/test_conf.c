/* SPDX-License-Identifier: GPL-2.0-only */
/* The configuration parser: every key at and beyond its limits, every error
 * class with its exact message, and print -> parse -> print. */
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

#include "conf.h"

#define NAME "t.conf"
#define SB "[selfballoon]\n"
#define FS "[frontswap]\n"
/* A literal and its length, NULs included. */
#define T(s) s, sizeof(s) - 1

#define ACC_BOOL "yes, no, true, false, 1 or 0 (lowercase)"
#define ACC_INTERVAL "an integer from 1 to 3600 (seconds)"
#define ACC_COUNT "an integer from 1 to 1000000"
#define ACC_MB "an integer from 0 to 16777215 (MB; 0 = the seed's piecewise floor)"
#define ACC_MB_PLAIN "an integer from 0 to 16777215 (MB)"
#define ACC_RESERVE "an integer from 0 to 16777215 (MB), or N% of MemTotal with N from 0 to 100"
#define ACC_PATH "an absolute path of at most 255 bytes, without spaces or control characters"
#define ACC_LINE "[section], key = value, or a comment line starting with ';' or '#'"
#define ACC_SECTIONS "[selfballoon], [frontswap]"
#define KEYS_SB "enabled, interval, down_hysteresis, up_hysteresis, min_usable_mb, reserved_mb, " \
                "policy, backend, watch, watch_rate_mb_s, watch_min_ms, watch_low_mb, brake, " \
                "brake_margin_mb, cache_cushion, cache_cushion_max_mb, cache_cushion_rise, " \
                "cache_cushion_decay_s"
#define KEYS_FS "selfshrink, hysteresis, inertia, helper_dir"
#define HASH " ('#' does not start a comment here, only ' ;' does)"

/* Parses text that must be valid. */
static struct sb_config parse_ok(const char *text, size_t len)
{
        struct sb_config c;
        char err[1024] = "";
        int r = conf_parse_string(text, len, NAME, &c, err, sizeof(err));

        if (r != 0)
                fail_msg("rejected (%d): %s\n--- input ---\n%.*s", r, err, (int)len, text);
        return c;
}

/* Parses text that must be rejected with exactly `message`; the output
 * must stay untouched. */
static void parse_bad(const char *text, size_t len, const char *message)
{
        struct sb_config c, canary;
        char err[1024] = "";
        int r;

        memset(&c, 0x5a, sizeof(c));
        canary = c;
        r = conf_parse_string(text, len, NAME, &c, err, sizeof(err));
        if (r != -EINVAL || strcmp(err, message) != 0)
                fail_msg("input:\n%.*s\ngot %d '%s'\nwant -EINVAL '%s'", (int)len, text, r, err,
                         message);
        assert_memory_equal(&c, &canary, sizeof(c));
}

static char *print_to_string(const struct sb_config *c)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        assert_int_equal(conf_print(f, c), 0);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void test_defaults(void **unused)
{
        struct sb_config c, empty;
        struct sb_settings s;

        conf_default(&c);
        policy_settings_default(&s);
        /* The key table's default texts agree with the policy core. */
        assert_true(c.settings.enabled == s.enabled);
        assert_int_equal(c.settings.interval_s, s.interval_s);
        assert_int_equal(c.settings.down_hysteresis, s.down_hysteresis);
        assert_int_equal(c.settings.up_hysteresis, s.up_hysteresis);
        assert_int_equal(c.settings.min_usable_mb, s.min_usable_mb);
        assert_true(c.settings.reserve.percent == s.reserve.percent);
        assert_int_equal(c.settings.reserve.value, s.reserve.value);
        assert_int_equal(c.settings.policy, s.policy);
        assert_true(c.settings.frontswap_selfshrink == s.frontswap_selfshrink);
        assert_int_equal(c.settings.frontswap_hysteresis, s.frontswap_hysteresis);
        assert_int_equal(c.settings.frontswap_inertia, s.frontswap_inertia);
        assert_int_equal(c.backend, SB_BACKEND_AUTO);
        assert_string_equal(c.helper_dir, "/sys/kernel/selfballoon_frontswap");
        assert_int_equal(policy_validate(&c.settings, 4096), 0);

        empty = parse_ok(T(""));
        assert_true(conf_equal(&c, &empty));
        empty = parse_ok(T("; nothing but comments\n# and blanks\n\n   \n\t\n"));
        assert_true(conf_equal(&c, &empty));
        empty = parse_ok(T(SB FS));
        assert_true(conf_equal(&c, &empty));
}

enum field {
        F_ENABLED, F_INTERVAL, F_DOWN, F_UP, F_MIN_USABLE, F_RESERVE_MB, F_RESERVE_PERCENT,
        F_POLICY, F_BACKEND, F_SELFSHRINK, F_FS_HYSTERESIS, F_FS_INERTIA,
        F_CACHE, F_CACHE_MAX_MB, F_CACHE_MAX_PERCENT, F_CACHE_RISE, F_CACHE_DECAY,
};

static uint64_t field_get(const struct sb_config *c, enum field f)
{
        switch (f) {
        case F_ENABLED: return c->settings.enabled;
        case F_INTERVAL: return c->settings.interval_s;
        case F_DOWN: return c->settings.down_hysteresis;
        case F_UP: return c->settings.up_hysteresis;
        case F_MIN_USABLE: return c->settings.min_usable_mb;
        case F_RESERVE_MB:
                assert_false(c->settings.reserve.percent);
                return c->settings.reserve.value;
        case F_RESERVE_PERCENT:
                assert_true(c->settings.reserve.percent);
                return c->settings.reserve.value;
        case F_POLICY: return c->settings.policy;
        case F_BACKEND: return c->backend;
        case F_SELFSHRINK: return c->settings.frontswap_selfshrink;
        case F_FS_HYSTERESIS: return c->settings.frontswap_hysteresis;
        case F_FS_INERTIA: return c->settings.frontswap_inertia;
        case F_CACHE: return c->settings.cache_cushion;
        case F_CACHE_MAX_MB:
                assert_false(c->settings.cache_cushion_max.percent);
                return c->settings.cache_cushion_max.value;
        case F_CACHE_MAX_PERCENT:
                assert_true(c->settings.cache_cushion_max.percent);
                return c->settings.cache_cushion_max.value;
        case F_CACHE_RISE: return c->settings.cache_cushion_rise_pct;
        case F_CACHE_DECAY: return c->settings.cache_cushion_decay_s;
        }
        fail();
        return 0;
}

struct accept_case {
        const char *text;
        size_t len;
        enum field field;
        uint64_t expect;
};

static void test_accept(void **unused)
{
        static const struct accept_case cases[] = {
                /* every key at its limits */
                { T(SB "enabled = yes\n"), F_ENABLED, 1 },
                { T(SB "enabled = no\n"), F_ENABLED, 0 },
                { T(SB "enabled = true\n"), F_ENABLED, 1 },
                { T(SB "enabled = false\n"), F_ENABLED, 0 },
                { T(SB "enabled = 1\n"), F_ENABLED, 1 },
                { T(SB "enabled = 0\n"), F_ENABLED, 0 },
                { T(SB "interval = 1\n"), F_INTERVAL, 1 },
                { T(SB "interval = 3600\n"), F_INTERVAL, 3600 },
                { T(SB "down_hysteresis = 1\n"), F_DOWN, 1 },
                { T(SB "down_hysteresis = 1000000\n"), F_DOWN, 1000000 },
                { T(SB "up_hysteresis = 1\n"), F_UP, 1 },
                { T(SB "up_hysteresis = 1000000\n"), F_UP, 1000000 },
                { T(SB "min_usable_mb = 0\n"), F_MIN_USABLE, 0 },
                { T(SB "min_usable_mb = 16777215\n"), F_MIN_USABLE, 16777215 },
                { T(SB "reserved_mb = 0\n"), F_RESERVE_MB, 0 },
                { T(SB "reserved_mb = 16777215\n"), F_RESERVE_MB, 16777215 },
                { T(SB "reserved_mb = 0%\n"), F_RESERVE_PERCENT, 0 },
                { T(SB "reserved_mb = 10%\n"), F_RESERVE_PERCENT, 10 },
                { T(SB "reserved_mb = 100%\n"), F_RESERVE_PERCENT, 100 },
                { T(SB "policy = seed\n"), F_POLICY, SB_POLICY_SEED },
                { T(SB "policy = adaptive\n"), F_POLICY, SB_POLICY_ADAPTIVE },
                /* reserved_mb's default follows the policy; a set value stays */
                { T(SB "policy = adaptive\n"), F_RESERVE_MB, SB_ADAPTIVE_RESERVE_MB },
                { T(SB "policy = seed\n"), F_RESERVE_PERCENT, 10 },
                { T(SB "reserved_mb = 10%\npolicy = adaptive\n"), F_RESERVE_PERCENT, 10 },
                { T(SB "policy = adaptive\nreserved_mb = 0\n"), F_RESERVE_MB, 0 },
                { T(SB "backend = auto\n"), F_BACKEND, SB_BACKEND_AUTO },
                { T(SB "cache_cushion = yes\n"), F_CACHE, 1 },
                { T(SB "policy = adaptive\n"), F_CACHE, 0 },
                { T(SB "policy = adaptive\n"), F_CACHE_MAX_PERCENT, 25 },
                { T(SB "cache_cushion_max_mb = 0\n"), F_CACHE_MAX_MB, 0 },
                { T(SB "cache_cushion_max_mb = 16777215\n"), F_CACHE_MAX_MB, 16777215 },
                { T(SB "cache_cushion_max_mb = 100%\n"), F_CACHE_MAX_PERCENT, 100 },
                /* a set cushion max does not move the policy's reserve */
                { T(SB "cache_cushion_max_mb = 7\npolicy = adaptive\n"), F_RESERVE_MB, SB_ADAPTIVE_RESERVE_MB },
                { T(SB "cache_cushion_rise = 1\n"), F_CACHE_RISE, 1 },
                { T(SB "cache_cushion_rise = 1000\n"), F_CACHE_RISE, 1000 },
                { T(SB "cache_cushion_decay_s = 1\n"), F_CACHE_DECAY, 1 },
                { T(SB "cache_cushion_decay_s = 86400\n"), F_CACHE_DECAY, 86400 },
                { T(SB "backend = xenstore\n"), F_BACKEND, SB_BACKEND_XENSTORE },
                { T(SB "backend = sysfs\n"), F_BACKEND, SB_BACKEND_SYSFS },
                { T(FS "selfshrink = no\n"), F_SELFSHRINK, 0 },
                { T(FS "selfshrink = 1\n"), F_SELFSHRINK, 1 },
                { T(FS "hysteresis = 1\n"), F_FS_HYSTERESIS, 1 },
                { T(FS "hysteresis = 1000000\n"), F_FS_HYSTERESIS, 1000000 },
                { T(FS "inertia = 1\n"), F_FS_INERTIA, 1 },
                { T(FS "inertia = 1000000\n"), F_FS_INERTIA, 1000000 },
                /* syntax that is fine */
                { T(SB "interval=7"), F_INTERVAL, 7 },            /* no final newline */
                { T(SB "interval: 7\n"), F_INTERVAL, 7 },         /* inih's ':' */
                { T(SB "interval = 007\n"), F_INTERVAL, 7 },      /* as kstrtoul */
                { T(SB "interval = 7 ; seven\n"), F_INTERVAL, 7 }, /* inline comment */
                { T(SB "interval = 7\t;seven\n"), F_INTERVAL, 7 },
                { T("[selfballoon] ; the main section\ninterval = 7\n"), F_INTERVAL, 7 },
                { T("[selfballoon];x\ninterval = 7\n"), F_INTERVAL, 7 },
                { T("\xef\xbb\xbf[selfballoon]\r\ninterval = 7\r\n"), F_INTERVAL, 7 }, /* BOM, CRLF */
                { T("  [selfballoon]\n\tinterval = 7  \n"), F_INTERVAL, 7 },
                { T(SB "interval = 5\n    down_hysteresis = 3\n"), F_DOWN, 3 }, /* no continuation */
                { T(SB "interval = 5\n    down_hysteresis = 3\n"), F_INTERVAL, 5 },
                { T(SB "interval = 5\n" FS SB "up_hysteresis = 4\n"), F_UP, 4 }, /* section again */
                { T(SB "; interval = 9\n# interval = 9\ninterval = 7\n"), F_INTERVAL, 7 },
                /* inih ignores what follows "[section]"; a section with no
                 * key in it does no harm (both refused before inih parsed) */
                { T("[selfballoon] x\ninterval = 7\n"), F_INTERVAL, 7 },
                { T("[selfballoon] # main\ninterval = 7\n"), F_INTERVAL, 7 },
                { T("[selfbaloon]\n[selfballoon]\ninterval = 7\n"), F_INTERVAL, 7 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sb_config c = parse_ok(cases[i].text, cases[i].len);

                if (field_get(&c, cases[i].field) != cases[i].expect)
                        fail_msg("case %zu: %s: got %" PRIu64 ", want %" PRIu64, i, cases[i].text,
                                 field_get(&c, cases[i].field), cases[i].expect);
        }
}

struct reject_case {
        const char *text;
        size_t len;
        const char *message;
};

static void test_reject(void **unused)
{
        static const struct reject_case cases[] = {
                /* every key just outside its range */
                { T(SB "enabled = 2\n"), NAME ":2: enabled = '2': not a boolean; accepted: " ACC_BOOL },
                { T(SB "enabled = on\n"), NAME ":2: enabled = 'on': not a boolean; accepted: " ACC_BOOL },
                { T(SB "enabled = Yes\n"), NAME ":2: enabled = 'Yes': not a boolean; accepted: " ACC_BOOL },
                { T(SB "enabled = TRUE\n"), NAME ":2: enabled = 'TRUE': not a boolean; accepted: " ACC_BOOL },
                { T(SB "interval = 0\n"), NAME ":2: interval = '0': out of range; accepted: " ACC_INTERVAL },
                { T(SB "interval = 3601\n"), NAME ":2: interval = '3601': out of range; accepted: " ACC_INTERVAL },
                { T(SB "down_hysteresis = 0\n"), NAME ":2: down_hysteresis = '0': out of range; accepted: " ACC_COUNT },
                { T(SB "down_hysteresis = 1000001\n"), NAME ":2: down_hysteresis = '1000001': out of range; accepted: " ACC_COUNT },
                { T(SB "up_hysteresis = 0\n"), NAME ":2: up_hysteresis = '0': out of range; accepted: " ACC_COUNT },
                { T(SB "up_hysteresis = 1000001\n"), NAME ":2: up_hysteresis = '1000001': out of range; accepted: " ACC_COUNT },
                { T(SB "min_usable_mb = -1\n"), NAME ":2: min_usable_mb = '-1': not a decimal number; accepted: " ACC_MB },
                { T(SB "min_usable_mb = 16777216\n"), NAME ":2: min_usable_mb = '16777216': out of range; accepted: " ACC_MB },
                { T(SB "reserved_mb = -1\n"), NAME ":2: reserved_mb = '-1': not a decimal number; accepted: " ACC_RESERVE },
                { T(SB "reserved_mb = 16777216\n"), NAME ":2: reserved_mb = '16777216': out of range; accepted: " ACC_RESERVE },
                { T(SB "reserved_mb = 101%\n"), NAME ":2: reserved_mb = '101%': out of range; accepted: " ACC_RESERVE },
                { T(SB "reserved_mb = 5.5%\n"), NAME ":2: reserved_mb = '5.5%': trailing characters after the number; accepted: " ACC_RESERVE },
                { T(SB "reserved_mb = 10%%\n"), NAME ":2: reserved_mb = '10%%': trailing characters after the number; accepted: " ACC_RESERVE },
                { T(SB "reserved_mb = 10 %\n"), NAME ":2: reserved_mb = '10 %': trailing characters after the number; accepted: " ACC_RESERVE },
                { T(SB "reserved_mb = %\n"), NAME ":2: reserved_mb = '%': not a decimal number; accepted: " ACC_RESERVE },
                { T(SB "policy = seeds\n"), NAME ":2: policy = 'seeds': unknown policy; accepted: seed or adaptive" },
                { T(SB "policy = Seed\n"), NAME ":2: policy = 'Seed': unknown policy; accepted: seed or adaptive" },
                { T(SB "backend = xen\n"), NAME ":2: backend = 'xen': unknown backend; accepted: auto, xenstore or sysfs" },
                { T(SB "brake = maybe\n"), NAME ":2: brake = 'maybe': not a boolean; accepted: " ACC_BOOL },
                { T(SB "brake_margin_mb = 16777216\n"), NAME ":2: brake_margin_mb = '16777216': out of range; accepted: " ACC_MB_PLAIN },
                { T(SB "cache_cushion = on\n"), NAME ":2: cache_cushion = 'on': not a boolean; accepted: " ACC_BOOL },
                { T(SB "cache_cushion_max_mb = 101%\n"), NAME ":2: cache_cushion_max_mb = '101%': out of range; accepted: " ACC_RESERVE },
                { T(SB "cache_cushion_max_mb = 16777216\n"), NAME ":2: cache_cushion_max_mb = '16777216': out of range; accepted: " ACC_RESERVE },
                { T(SB "cache_cushion_rise = 0\n"), NAME ":2: cache_cushion_rise = '0': out of range; accepted: an integer from 1 to 1000 (% of each refaulted kB added to the cushion)" },
                { T(SB "cache_cushion_rise = 1001\n"), NAME ":2: cache_cushion_rise = '1001': out of range; accepted: an integer from 1 to 1000 (% of each refaulted kB added to the cushion)" },
                { T(SB "cache_cushion_decay_s = 0\n"), NAME ":2: cache_cushion_decay_s = '0': out of range; accepted: an integer from 1 to 86400 (seconds)" },
                { T(SB "cache_cushion_decay_s = 86401\n"), NAME ":2: cache_cushion_decay_s = '86401': out of range; accepted: an integer from 1 to 86400 (seconds)" },
                { T(FS "selfshrink = -1\n"), NAME ":2: selfshrink = '-1': not a boolean; accepted: " ACC_BOOL },
                { T(FS "hysteresis = 0\n"), NAME ":2: hysteresis = '0': out of range; accepted: " ACC_COUNT },
                { T(FS "hysteresis = 1000001\n"), NAME ":2: hysteresis = '1000001': out of range; accepted: " ACC_COUNT },
                { T(FS "inertia = 0\n"), NAME ":2: inertia = '0': out of range; accepted: " ACC_COUNT },
                { T(FS "inertia = 1000001\n"), NAME ":2: inertia = '1000001': out of range; accepted: " ACC_COUNT },
                { T(FS "helper_dir = sys/kernel\n"), NAME ":2: helper_dir = 'sys/kernel': not an absolute path; accepted: " ACC_PATH },
                { T(FS "helper_dir = /sys/my dir\n"), NAME ":2: helper_dir = '/sys/my dir': contains a space or control character; accepted: " ACC_PATH },
                { T(FS "helper_dir = /sys/a\tb\n"), NAME ":2: helper_dir = '/sys/a\\x09b': contains a space or control character; accepted: " ACC_PATH },
                { T(FS "helper_dir = /sys/a\x7f\n"), NAME ":2: helper_dir = '/sys/a\\x7f': contains a space or control character; accepted: " ACC_PATH },
                { T(FS "helper_dir = /sys/x # old\n"), NAME ":2: helper_dir = '/sys/x # old': contains a space or control character" HASH "; accepted: " ACC_PATH },

                /* numbers: plain decimal digits only */
                { T(SB "interval = +5\n"), NAME ":2: interval = '+5': not a decimal number; accepted: " ACC_INTERVAL },
                { T(SB "interval = -5\n"), NAME ":2: interval = '-5': not a decimal number; accepted: " ACC_INTERVAL },
                { T(SB "interval = 0x10\n"), NAME ":2: interval = '0x10': trailing characters after the number; accepted: " ACC_INTERVAL },
                { T(SB "interval = 1e3\n"), NAME ":2: interval = '1e3': trailing characters after the number; accepted: " ACC_INTERVAL },
                { T(SB "interval = 5.0\n"), NAME ":2: interval = '5.0': trailing characters after the number; accepted: " ACC_INTERVAL },
                { T(SB "interval = 5 5\n"), NAME ":2: interval = '5 5': trailing characters after the number; accepted: " ACC_INTERVAL },
                { T(SB "interval = 5s\n"), NAME ":2: interval = '5s': trailing characters after the number; accepted: " ACC_INTERVAL },
                { T(SB "interval = five\n"), NAME ":2: interval = 'five': not a decimal number; accepted: " ACC_INTERVAL },
                { T(SB "interval = 18446744073709551616\n"), NAME ":2: interval = '18446744073709551616': out of range; accepted: " ACC_INTERVAL },
                { T(SB "min_usable_mb = 99999999999999999999999\n"), NAME ":2: min_usable_mb = '99999999999999999999999': out of range; accepted: " ACC_MB },
                { T(SB "interval = 5 # five\n"), NAME ":2: interval = '5 # five': trailing characters after the number" HASH "; accepted: " ACC_INTERVAL },
                { T(SB "interval = 5;five\n"), NAME ":2: interval = '5;five': trailing characters after the number; accepted: " ACC_INTERVAL },

                /* empty values */
                { T(SB "interval =\n"), NAME ":2: interval has an empty value; accepted: " ACC_INTERVAL },
                { T(SB "interval = ; later\n"), NAME ":2: interval has an empty value; accepted: " ACC_INTERVAL },
                { T(SB "policy = \n"), NAME ":2: policy has an empty value; accepted: seed or adaptive" },

                /* sections */
                /* an unknown section is found at its first key */
                { T("[selfbaloon]\n\ninterval = 5\n"), NAME ":3: key 'interval' in unknown section '[selfbaloon]'; accepted: " ACC_SECTIONS },
                { T("[ selfballoon ]\ninterval = 5\n"), NAME ":2: key 'interval' in unknown section '[ selfballoon ]'; accepted: " ACC_SECTIONS },
                { T("[Selfballoon]\ninterval = 5\n"), NAME ":2: key 'interval' in unknown section '[Selfballoon]'; accepted: " ACC_SECTIONS },
                /* a control byte in a section's name is quoted, never printed */
                { T("[self\032balloon]\ninterval = 5\n"), NAME ":2: key 'interval' in unknown section '[self\\x1aballoon]'; accepted: " ACC_SECTIONS },
                { T("[]\ninterval = 5\n"), NAME ":2: key 'interval' outside any section; accepted: one of " ACC_SECTIONS " above it" },
                { T("[selfballoon ;x]\n"), NAME ":1: '[selfballoon ;x]' has no closing ']' before any ' ;' comment; accepted: " ACC_SECTIONS },
                { T("\n[selfballoon\n"), NAME ":2: '[selfballoon' has no closing ']' before any ' ;' comment; accepted: " ACC_SECTIONS },
                { T("\xef\xbb\xbf  [frontswap\r\n"), NAME ":1: '[frontswap' has no closing ']' before any ' ;' comment; accepted: " ACC_SECTIONS },

                /* keys */
                { T("interval = 5\n"), NAME ":1: key 'interval' outside any section; accepted: one of " ACC_SECTIONS " above it" },
                { T("; comment\n\ninterval = 5\n" SB), NAME ":3: key 'interval' outside any section; accepted: one of " ACC_SECTIONS " above it" },
                { T(SB "intervall = 5\n"), NAME ":2: unknown key 'intervall' in [selfballoon]; accepted: " KEYS_SB },
                { T(SB "Interval = 5\n"), NAME ":2: unknown key 'Interval' in [selfballoon]; accepted: " KEYS_SB },
                { T(SB "= 5\n"), NAME ":2: unknown key '' in [selfballoon]; accepted: " KEYS_SB },
                { T(FS "interval = 5\n"), NAME ":2: unknown key 'interval' in [frontswap]; accepted: " KEYS_FS },
                { T(SB "helper_dir = /x\n"), NAME ":2: unknown key 'helper_dir' in [selfballoon]; accepted: " KEYS_SB },
                { T(SB "interval = 5\n" FS SB "interval = 6\n"), NAME ":5: duplicate key interval in [selfballoon], first set on line 2; accepted: each key once" },
                { T(SB "interval = 5\ninterval = 5\n"), NAME ":3: duplicate key interval in [selfballoon], first set on line 2; accepted: each key once" },
                { T(SB "interval = 5\ninterval: 5\n"), NAME ":3: duplicate key interval in [selfballoon], first set on line 2; accepted: each key once" },

                /* lines inih cannot parse */
                { T(SB "interval 5\n"), NAME ":2: cannot parse 'interval 5'; accepted: " ACC_LINE },
                { T(SB "enabled\n"), NAME ":2: cannot parse 'enabled'; accepted: " ACC_LINE },
                { T(SB "interval ; = 5\n"), NAME ":2: cannot parse 'interval ; = 5'; accepted: " ACC_LINE },
                /* an indented line after a key is not a continuation of its value */
                { T(SB "interval = 5\n    6\n"), NAME ":3: cannot parse '6'; accepted: " ACC_LINE },
                { T(SB "interval = 5\n\t; an indented comment\n    6 ; x\n"), NAME ":4: cannot parse '6 ; x'; accepted: " ACC_LINE },

                /* bytes */
                { T(SB "interval = 5\0\n"), NAME ":2: NUL byte in line; accepted: text without NUL bytes" },
                { T(SB "interval = 5\n\0"), NAME ":3: NUL byte in line; accepted: text without NUL bytes" },
                { T("\0" SB), NAME ":1: NUL byte in line; accepted: text without NUL bytes" },
                { T(SB "\xef\xbb\xbfinterval = 5\n"), NAME ":2: unknown key '\\xef\\xbb\\xbfinterval' in [selfballoon]; accepted: " KEYS_SB },
                { T(SB "interval = 5\rdown_hysteresis = 2\n"), NAME ":2: interval = '5\\x0ddown_hysteresis = 2': trailing characters after the number; accepted: " ACC_INTERVAL },

                /* two errors: the first by line order, whoever finds it */
                { T(SB "foo = 1\ninterval = 0\n"), NAME ":2: unknown key 'foo' in [selfballoon]; accepted: " KEYS_SB },
                { T(SB "interval = 0\nfoo\n"), NAME ":2: interval = '0': out of range; accepted: " ACC_INTERVAL },
                { T(SB "foo\ninterval = 0\n"), NAME ":2: cannot parse 'foo'; accepted: " ACC_LINE },
                { T(SB "interval = 0\n[nope\n"), NAME ":2: interval = '0': out of range; accepted: " ACC_INTERVAL },
                { T(SB "interval = 0\nx\0\n"), NAME ":2: interval = '0': out of range; accepted: " ACC_INTERVAL },
                { T(SB "foo\nx\0\n"), NAME ":2: cannot parse 'foo'; accepted: " ACC_LINE },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                parse_bad(cases[i].text, cases[i].len, cases[i].message);
}

static void check_round_trip(const struct sb_config *c);

/* inih as Debian builds it cuts lines at 200 bytes and parses the rest as
 * a line of its own; conf.c sets its line limit above the file's, so a line
 * of any length is one line (before, lines over 197 bytes were refused). */
static void test_long_lines(void **unused)
{
        char text[4096], path[CONF_HELPER_DIR_MAX + 1], want[512];
        struct sb_config c;

        /* a 3000-byte comment, then a key: the line numbers stay right */
        snprintf(text, sizeof(text), SB "%3000s\ninterval = 0\n", "; a comment, right-aligned");
        parse_bad(text, strlen(text), NAME ":3: interval = '0': out of range; accepted: " ACC_INTERVAL);

        /* a long value with a trailing comment: cut at 199 bytes, its
         * tail would have been "a line" of its own */
        snprintf(text, sizeof(text), SB "interval = 5%238s\ninterval = 6\n", "; padding");
        parse_bad(text, strlen(text), NAME ":3: duplicate key interval in [selfballoon], first set on line 2; accepted: each key once");

        /* 199 ';' and a key in the same comment line: its tail, cut off,
         * would have parsed as "interval = 0...06" */
        memset(text, 0, sizeof(text));
        memcpy(text, SB, strlen(SB));
        memset(text + strlen(SB), ';', 199);
        strcat(text, "interval = 0000000000000000000000000000000000000006\n");
        c = parse_ok(text, strlen(text));
        assert_int_equal(c.settings.interval_s, 5);

        /* helper_dir: at most CONF_HELPER_DIR_LEN_MAX bytes; conf_print()
         * writes it back on one line */
        path[0] = '/';
        memset(path + 1, 'a', CONF_HELPER_DIR_LEN_MAX - 1);
        path[CONF_HELPER_DIR_LEN_MAX] = '\0';
        snprintf(text, sizeof(text), FS "helper_dir = %s\n", path);
        c = parse_ok(text, strlen(text));
        assert_string_equal(c.helper_dir, path);
        check_round_trip(&c);
        snprintf(text, sizeof(text), FS "helper_dir=%sa\n", path);
        snprintf(want, sizeof(want), NAME ":2: helper_dir = '%.60s...': too long; accepted: " ACC_PATH, path);
        parse_bad(text, strlen(text), want);

        /* an over-long line after an error does not hide it */
        snprintf(text, sizeof(text), SB "interval = 0\n;%300s\n", "");
        snprintf(want, sizeof(want), NAME ":2: interval = '0': out of range; accepted: " ACC_INTERVAL);
        parse_bad(text, strlen(text), want);
}

static void test_size_limit(void **unused)
{
        size_t len = CONF_FILE_MAX + 1;
        char *text = malloc(len);
        struct sb_config c;

        assert_non_null(text);
        memset(text, '\n', len);
        parse_bad(text, len, NAME ": larger than 1048576 bytes; accepted: at most 1 MiB");
        c = parse_ok(text, len - 1);
        (void)c;
        free(text);
}

static void test_load(void **unused)
{
        struct sb_config c, d;
        char err[1024];

        memset(&c, 0x5a, sizeof(c));
        d = c;
        assert_int_equal(conf_load(TESTDATA "/conf/does-not-exist.conf", &c, err, sizeof(err)), -ENOENT);
        assert_string_equal(err, TESTDATA "/conf/does-not-exist.conf: No such file or directory");
        assert_memory_equal(&c, &d, sizeof(c));

        assert_int_equal(conf_load(TESTDATA "/conf", &c, err, sizeof(err)), -EISDIR);
        assert_string_equal(err, TESTDATA "/conf: Is a directory");
        /* other read errors come back unchanged, for the caller to map */
        assert_int_equal(conf_load(TESTDATA "/conf/custom.conf/x", &c, err, sizeof(err)), -ENOTDIR);
        assert_string_equal(err, TESTDATA "/conf/custom.conf/x: Not a directory");
        assert_memory_equal(&c, &d, sizeof(c));

        assert_int_equal(conf_load(TESTDATA "/conf/two-errors.conf", &c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, TESTDATA "/conf/two-errors.conf:6: unknown key 'reserve_mb' in "
                                 "[selfballoon]; accepted: " KEYS_SB);
        assert_memory_equal(&c, &d, sizeof(c));

        /* a NULL errbuf is fine */
        assert_int_equal(conf_load(TESTDATA "/conf/two-errors.conf", &c, NULL, 0), -EINVAL);

        assert_int_equal(conf_load(TESTDATA "/conf/custom.conf", &c, err, sizeof(err)), 0);
        assert_false(c.settings.enabled);
        assert_int_equal(c.settings.interval_s, 10);
        assert_int_equal(c.settings.down_hysteresis, 16);
        assert_int_equal(c.settings.up_hysteresis, 2);
        assert_int_equal(c.settings.min_usable_mb, 256);
        assert_false(c.settings.reserve.percent);
        assert_int_equal(c.settings.reserve.value, 64);
        assert_int_equal(c.backend, SB_BACKEND_SYSFS);
        assert_false(c.settings.frontswap_selfshrink);
        assert_int_equal(c.settings.frontswap_hysteresis, 40);
        assert_int_equal(c.settings.frontswap_inertia, 6);
        assert_string_equal(c.helper_dir, "/run/selfballoon/frontswap");
}

static void check_round_trip(const struct sb_config *c)
{
        char *once = print_to_string(c), *twice;
        struct sb_config back = parse_ok(once, strlen(once));

        assert_true(conf_equal(c, &back));
        twice = print_to_string(&back);
        assert_string_equal(once, twice);
        free(once);
        free(twice);
}

static void test_print(void **unused)
{
        struct sb_config c;
        char *out, *want;
        FILE *f;
        long n;

        /* The defaults print as a user would write them: the golden file. */
        conf_default(&c);
        out = print_to_string(&c);
        f = fopen(TESTDATA "/conf/defaults.conf", "re");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        rewind(f);
        want = calloc(1, (size_t)n + 1);
        assert_non_null(want);
        assert_int_equal(fread(want, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        assert_string_equal(out, want);
        assert_non_null(strstr(out, "\nreserved_mb = 10%\n"));
        free(out);
        free(want);
        check_round_trip(&c);

        /* every value away from its default */
        c.settings.enabled = false;
        c.settings.interval_s = SB_INTERVAL_MAX;
        c.settings.down_hysteresis = SB_HYSTERESIS_MAX;
        c.settings.up_hysteresis = 3;
        c.settings.min_usable_mb = SB_MB_MAX;
        c.settings.reserve = (struct sb_reserve){ .percent = false, .value = 0 };
        c.backend = SB_BACKEND_XENSTORE;
        c.settings.frontswap_selfshrink = false;
        c.settings.frontswap_hysteresis = 1;
        c.settings.frontswap_inertia = 99;
        c.settings.watch = false;
        c.settings.watch_rate_mb_s = SB_WATCH_RATE_MAX;
        c.settings.watch_min_ms = SB_WATCH_MIN_MS_MIN;
        c.settings.watch_low_mb = 0;
        c.settings.brake = true;
        c.settings.brake_margin_mb = SB_MB_MAX;
        c.settings.cache_cushion = true;
        c.settings.cache_cushion_max = (struct sb_reserve){ .percent = false, .value = SB_MB_MAX };
        c.settings.cache_cushion_rise_pct = SB_CACHE_RISE_PCT_MAX;
        c.settings.cache_cushion_decay_s = SB_CACHE_DECAY_S_MIN;
        snprintf(c.helper_dir, sizeof(c.helper_dir), "/run/x:y=z;w#v");
        check_round_trip(&c);
        c.settings.reserve = (struct sb_reserve){ .percent = true, .value = 0 };
        check_round_trip(&c);
        c.settings.reserve = (struct sb_reserve){ .percent = false, .value = 10 };
        check_round_trip(&c);
}

static void test_equal(void **unused)
{
        struct sb_config a, b;

        conf_default(&a);
        conf_default(&b);
        assert_true(conf_equal(&a, &b));
        /* bytes after the path's NUL are not part of the config */
        memset(b.helper_dir + strlen(b.helper_dir) + 1, 'x', 10);
        assert_true(conf_equal(&a, &b));
        b.settings.reserve.percent = false; /* 10 MB is not 10 % */
        assert_false(conf_equal(&a, &b));
        conf_default(&b);
        b.settings.frontswap_inertia++;
        assert_false(conf_equal(&a, &b));
        conf_default(&b);
        b.helper_dir[1] = 'S';
        assert_false(conf_equal(&a, &b));
}

static void test_backend_strings(void **unused)
{
        enum sb_backend b = _SB_BACKEND_MAX;

        for (int i = 0; i < _SB_BACKEND_MAX; i++) {
                assert_non_null(conf_backend_to_string((enum sb_backend)i));
                assert_int_equal(conf_backend_from_string(conf_backend_to_string((enum sb_backend)i), &b), 0);
                assert_int_equal(b, i);
        }
        assert_null(conf_backend_to_string(_SB_BACKEND_MAX));
        b = SB_BACKEND_SYSFS;
        assert_int_equal(conf_backend_from_string("AUTO", &b), -EINVAL);
        assert_int_equal(b, SB_BACKEND_SYSFS);
}

/* No input may crash or be half-applied: every prefix of a valid file, and
 * every single-byte change of it, parses or fails with a line number. */
static void test_mutations(void **unused)
{
        static const char base[] = "\xef\xbb\xbf; x\r\n[selfballoon]\ninterval = 5 ; c\n"
                                   "  reserved_mb = 10%\n[frontswap]\nhelper_dir = /a\n";
        static const char bytes[] = { '\0', '\n', '\r', ' ', '\t', ';', '#', '[', ']', '=', ':',
                                      '%', '0', '9', 'x', '\x80', '\xff' };
        char text[sizeof(base)], err[256];
        struct sb_config c;

        for (size_t len = 0; len < sizeof(base); len++) {
                int r = conf_parse_string(base, len, NAME, &c, err, sizeof(err));

                assert_true(r == 0 || (r == -EINVAL && strncmp(err, NAME ":", 7) == 0));
        }
        for (size_t i = 0; i < sizeof(base) - 1; i++)
                for (size_t j = 0; j < sizeof(bytes); j++) {
                        int r;

                        memcpy(text, base, sizeof(base));
                        text[i] = bytes[j];
                        r = conf_parse_string(text, sizeof(base) - 1, NAME, &c, err, sizeof(err));
                        assert_true(r == 0 || (r == -EINVAL && strncmp(err, NAME ":", 7) == 0));
                        if (r == 0)
                                assert_int_equal(policy_validate(&c.settings, 4096), 0);
                }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_accept),
                cmocka_unit_test(test_reject),
                cmocka_unit_test(test_long_lines),
                cmocka_unit_test(test_size_limit),
                cmocka_unit_test(test_load),
                cmocka_unit_test(test_print),
                cmocka_unit_test(test_equal),
                cmocka_unit_test(test_backend_strings),
                cmocka_unit_test(test_mutations),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
