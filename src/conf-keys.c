/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The key table: one row per key (section, name, value parser, printer,
 * bounds, default, what is accepted) drives the parsing of values, the
 * defaults, --print-config and the error messages alike. Adding a key is
 * adding a row (and, for a new kind of value, a parser and a printer).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conf-internal.h"
#include "macro.h"
#include "util.h"

const char *const conf_sections[] = { "selfballoon", "frontswap" };
const size_t conf_n_sections = ELEMENTSOF(conf_sections);

static const char *const backend_names[_SB_BACKEND_MAX] = {
        [SB_BACKEND_AUTO] = "auto",
        [SB_BACKEND_XENSTORE] = "xenstore",
        [SB_BACKEND_SYSFS] = "sysfs",
};

static const struct {
        const char *text;
        bool value;
} booleans[] = {
        { "yes", true }, { "no", false }, { "true", true }, { "false", false }, { "1", true }, { "0", false },
};

#define FIELD(k, c, type) ((type *)(void *)((char *)(c) + (k)->offset))
#define CFIELD(k, c, type) ((const type *)(const void *)((const char *)(c) + (k)->offset))

/*
 * Plain decimal digits followed by exactly `suffix`, within [min, max].
 * Stricter than the seed's kstrtoul(buf, 10, ...): no '+', no trailing
 * newline; a file has no reason for either.
 */
static int parse_number(const char *s, const char *suffix, uint64_t min, uint64_t max,
                        uint64_t *ret, const char **reason)
{
        size_t digits = span_digits(s, strlen(s));
        uint64_t v;

        if (digits == 0) {
                *reason = "not a decimal number";
                return -EINVAL;
        }
        if (strcmp(s + digits, suffix) != 0) {
                *reason = "trailing characters after the number";
                return -EINVAL;
        }
        if (parse_u64_n(s, digits, &v) < 0 || v < min || v > max) {
                *reason = "out of range";
                return -ERANGE;
        }
        *ret = v;
        return 0;
}

static int key_parse_bool(const struct conf_key *k, const char *value, struct sb_config *c,
                      const char **reason)
{
        for (size_t i = 0; i < ELEMENTSOF(booleans); i++)
                if (strcmp(value, booleans[i].text) == 0) {
                        *FIELD(k, c, bool) = booleans[i].value;
                        return 0;
                }
        *reason = "not a boolean";
        return -EINVAL;
}

static int key_parse_u32(const struct conf_key *k, const char *value, struct sb_config *c,
                     const char **reason)
{
        uint64_t v;
        int r = parse_number(value, "", k->min, k->max, &v, reason);

        if (r < 0)
                return r;
        *FIELD(k, c, uint32_t) = (uint32_t)v;
        return 0;
}

static int key_parse_u64(const struct conf_key *k, const char *value, struct sb_config *c,
                     const char **reason)
{
        return parse_number(value, "", k->min, k->max, FIELD(k, c, uint64_t), reason);
}

/* "N%" of MemTotal, or N MB: the unit is the one suffix allowed. */
static int key_parse_reserve(const struct conf_key *k, const char *value, struct sb_config *c,
                         const char **reason)
{
        size_t n = strlen(value);
        bool percent = n > 0 && value[n - 1] == '%';
        uint64_t v;
        int r;

        r = parse_number(value, percent ? "%" : "", k->min, percent ? SB_PERCENT_MAX : k->max,
                         &v, reason);
        if (r < 0)
                return r;
        *FIELD(k, c, struct sb_reserve) = (struct sb_reserve){ .percent = percent, .value = v };
        return 0;
}

static int key_parse_policy(const struct conf_key *k, const char *value, struct sb_config *c,
                        const char **reason)
{
        if (policy_from_string(value, FIELD(k, c, enum sb_policy)) < 0) {
                *reason = "unknown policy";
                return -EINVAL;
        }
        return 0;
}

static int key_parse_backend(const struct conf_key *k, const char *value, struct sb_config *c,
                         const char **reason)
{
        if (conf_backend_from_string(value, FIELD(k, c, enum sb_backend)) < 0) {
                *reason = "unknown backend";
                return -EINVAL;
        }
        return 0;
}

/* The path ends up in openat() and in log lines: no relative paths, and
 * nothing that would make a log line ambiguous. */
static int key_parse_path(const struct conf_key *k, const char *value, struct sb_config *c,
                      const char **reason)
{
        size_t n = strlen(value);

        if (value[0] != '/') {
                *reason = "not an absolute path";
                return -EINVAL;
        }
        if (n > CONF_HELPER_DIR_LEN_MAX) {
                *reason = "too long";
                return -ERANGE;
        }
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)value[i] <= ' ' || value[i] == 0x7f) {
                        *reason = "contains a space or control character";
                        return -EINVAL;
                }
        memcpy(FIELD(k, c, char), value, n + 1);
        return 0;
}

static void key_format_bool(const struct conf_key *k, const struct sb_config *c, char *buf,
                            size_t size)
{
        snprintf(buf, size, "%s", *CFIELD(k, c, bool) ? "yes" : "no");
}

static void key_format_u32(const struct conf_key *k, const struct sb_config *c, char *buf,
                           size_t size)
{
        snprintf(buf, size, "%" PRIu32, *CFIELD(k, c, uint32_t));
}

static void key_format_u64(const struct conf_key *k, const struct sb_config *c, char *buf,
                           size_t size)
{
        snprintf(buf, size, "%" PRIu64, *CFIELD(k, c, uint64_t));
}

static void key_format_reserve(const struct conf_key *k, const struct sb_config *c, char *buf,
                           size_t size)
{
        const struct sb_reserve *r = CFIELD(k, c, struct sb_reserve);

        snprintf(buf, size, "%" PRIu64 "%s", r->value, r->percent ? "%" : "");
}

static void key_format_policy(const struct conf_key *k, const struct sb_config *c, char *buf,
                          size_t size)
{
        const char *s = policy_to_string(*CFIELD(k, c, enum sb_policy));

        snprintf(buf, size, "%s", s ? s : "");
}

static void key_format_backend(const struct conf_key *k, const struct sb_config *c, char *buf,
                           size_t size)
{
        const char *s = conf_backend_to_string(*CFIELD(k, c, enum sb_backend));

        snprintf(buf, size, "%s", s ? s : "");
}

static void key_format_path(const struct conf_key *k, const struct sb_config *c, char *buf,
                            size_t size)
{
        snprintf(buf, size, "%.*s", CONF_HELPER_DIR_LEN_MAX, CFIELD(k, c, char));
}

/* The offset of a field, and a build failure if it is not of `type`. */
#define OFFSET(field, type) \
        _Generic(((struct sb_config *)NULL)->field, type : offsetof(struct sb_config, field))

#define KEY(sec, key, kind, type, field, lo, hi, def, acc) \
        { sec, key, key_parse_##kind, key_format_##kind, OFFSET(field, type), lo, hi, def, acc, NULL }

#define BOOLEANS "yes, no, true, false, 1 or 0 (lowercase)"
#define COUNT "an integer from 1 to 1000000"
#define MB_MAX STRINGIFY(SB_MB_MAX_NUMBER)

/* Rows of a section are printed in this order. */
const struct conf_key conf_keys[] = {
        KEY("selfballoon", "enabled", bool, bool, settings.enabled, 0, 0, "yes", BOOLEANS),
        KEY("selfballoon", "interval", u32, uint32_t, settings.interval_s,
            SB_INTERVAL_MIN, SB_INTERVAL_MAX, "5", "an integer from 1 to 3600 (seconds)"),
        KEY("selfballoon", "down_hysteresis", u32, uint32_t, settings.down_hysteresis,
            SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX, "8", COUNT),
        KEY("selfballoon", "up_hysteresis", u32, uint32_t, settings.up_hysteresis,
            SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX, "1", COUNT),
        KEY("selfballoon", "min_usable_mb", u64, uint64_t, settings.min_usable_mb, 0, SB_MB_MAX,
            "0", "an integer from 0 to " MB_MAX " (MB; 0 = the seed's piecewise floor)"),
        { "selfballoon", "reserved_mb", key_parse_reserve, key_format_reserve,
          OFFSET(settings.reserve, struct sb_reserve), 0, SB_MB_MAX, "10%",
          "an integer from 0 to " MB_MAX " (MB), or N% of MemTotal with N from 0 to 100",
          "10% with policy seed, 12 with policy adaptive" },
        KEY("selfballoon", "policy", policy, enum sb_policy, settings.policy, 0, 0, "seed",
            "seed or adaptive"),
        KEY("selfballoon", "backend", backend, enum sb_backend, backend, 0, 0, "auto",
            "auto, xenstore or sysfs"),
        KEY("selfballoon", "watch", bool, bool, settings.watch, 0, 0, "yes", BOOLEANS),
        KEY("selfballoon", "watch_rate_mb_s", u32, uint32_t, settings.watch_rate_mb_s,
            SB_WATCH_RATE_MIN, SB_WATCH_RATE_MAX, "128", "an integer from 1 to 1000000 (MB/s)"),
        KEY("selfballoon", "watch_min_ms", u32, uint32_t, settings.watch_min_ms,
            SB_WATCH_MIN_MS_MIN, SB_WATCH_MIN_MS_MAX, "100",
            "an integer from 10 to 3600000 (milliseconds)"),
        KEY("selfballoon", "watch_low_mb", u64, uint64_t, settings.watch_low_mb, 0, SB_MB_MAX,
            "16", "an integer from 0 to " MB_MAX " (MB; 0 = no MemAvailable level)"),
        KEY("selfballoon", "brake", bool, bool, settings.brake, 0, 0, "no", BOOLEANS),
        KEY("selfballoon", "brake_margin_mb", u64, uint64_t, settings.brake_margin_mb, 0,
            SB_MB_MAX, "16",
            "an integer from 0 to " MB_MAX " (MB)"),
        KEY("selfballoon", "cache_cushion", bool, bool, settings.cache_cushion, 0, 0, "no",
            BOOLEANS),
        { "selfballoon", "cache_cushion_max_mb", key_parse_reserve, key_format_reserve,
          OFFSET(settings.cache_cushion_max, struct sb_reserve), 0, SB_MB_MAX,
          "25%",
          "an integer from 0 to " MB_MAX " (MB), or N% of MemTotal with N from 0 to 100", NULL },
        KEY("selfballoon", "cache_cushion_rise", u32, uint32_t, settings.cache_cushion_rise_pct,
            SB_CACHE_RISE_PCT_MIN, SB_CACHE_RISE_PCT_MAX, "100",
            "an integer from 1 to 1000 (% of each refaulted kB added to the cushion)"),
        KEY("selfballoon", "cache_cushion_decay_s", u32, uint32_t,
            settings.cache_cushion_decay_s, SB_CACHE_DECAY_S_MIN, SB_CACHE_DECAY_S_MAX,
            "60", "an integer from 1 to 86400 (seconds)"),
        KEY("frontswap", "selfshrink", bool, bool, settings.frontswap_selfshrink, 0, 0, "yes",
            BOOLEANS),
        KEY("frontswap", "hysteresis", u32, uint32_t, settings.frontswap_hysteresis,
            SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX, "20", COUNT),
        KEY("frontswap", "inertia", u32, uint32_t, settings.frontswap_inertia,
            SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX, "3", COUNT),
        KEY("frontswap", "helper_dir", path, char *, helper_dir, 0, 0, CONF_HELPER_DIR_DEFAULT,
            "an absolute path of at most " STRINGIFY(CONF_HELPER_DIR_LEN_MAX)
            " bytes, without spaces or control characters"),
};

const size_t conf_n_keys = ELEMENTSOF(conf_keys);
_Static_assert(ELEMENTSOF(conf_keys) <= CONF_KEYS_MAX, "raise CONF_KEYS_MAX");

bool conf_key_follows_policy(const struct conf_key *k)
{
        return k->parse == key_parse_reserve &&
               k->offset == offsetof(struct sb_config, settings.reserve);
}

void conf_default(struct sb_config *ret)
{
        struct sb_config c = { 0 };
        const char *reason;

        /* Settings the file cannot set yet still get the core's defaults. */
        policy_settings_default(&c.settings);
        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++)
                (void)conf_keys[i].parse(&conf_keys[i], conf_keys[i].default_text, &c, &reason);
        *ret = c;
}


int conf_print(FILE *f, const struct sb_config *c)
{
        char value[CONF_HELPER_DIR_MAX + 64];

        errno = 0;
        if (fprintf(f, "; selfballoond: the effective configuration\n") < 0)
                goto fail;
        for (size_t s = 0; s < ELEMENTSOF(conf_sections); s++) {
                if (fprintf(f, "\n[%s]\n", conf_sections[s]) < 0)
                        goto fail;
                for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++) {
                        const struct conf_key *k = &conf_keys[i];

                        if (strcmp(k->section, conf_sections[s]) != 0)
                                continue;
                        k->format(k, c, value, sizeof(value));
                        if (fprintf(f, "; %s; default: %s\n%s = %s\n", k->accepted,
                                    k->default_doc ? k->default_doc : k->default_text, k->name,
                                    value) < 0)
                                goto fail;
                }
        }
        if (fflush(f) == 0)
                return 0;
fail:
        return errno > 0 ? -errno : -EIO;
}

/* Equal when every key prints the same: a new key is compared as soon as
 * it has a row, and bytes the file cannot express do not count. */
bool conf_equal(const struct sb_config *a, const struct sb_config *b)
{
        char va[CONF_HELPER_DIR_MAX + 64], vb[CONF_HELPER_DIR_MAX + 64];

        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++) {
                conf_keys[i].format(&conf_keys[i], a, va, sizeof(va));
                conf_keys[i].format(&conf_keys[i], b, vb, sizeof(vb));
                if (strcmp(va, vb) != 0)
                        return false;
        }
        return true;
}

const char *conf_backend_to_string(enum sb_backend b)
{
        return TABLE_NAME(backend_names, b);
}

int conf_backend_from_string(const char *s, enum sb_backend *ret)
{
        int i = TABLE_LOOKUP(backend_names, s);

        if (i < 0)
                return i;
        *ret = (enum sb_backend)i;
        return 0;
}

