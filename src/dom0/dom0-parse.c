/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Judging one guest from the nodes read for it. Pure: no I/O, no clock.
 * The daemon's keys are the guest's own writing, so nothing here trusts a
 * length, a NUL or a digit it has not checked.
 */
#include <errno.h>
#include <string.h>

#include "dom0.h"
#include "util.h"

const char *const dom0_key_path[_DOM0_KEY_MAX] = {
        [DOM0_KEY_NAME] = "name",
        [DOM0_KEY_XS_TARGET] = "memory/target",
        [DOM0_KEY_STATIC_MAX] = "memory/static-max",
        [DOM0_KEY_TARGET] = DOM0_DATA_DIR "/target_kb",
        [DOM0_KEY_GOAL] = DOM0_DATA_DIR "/goal_kb",
        [DOM0_KEY_FLOOR] = DOM0_DATA_DIR "/floor_kb",
        [DOM0_KEY_BACKEND] = DOM0_DATA_DIR "/backend",
        [DOM0_KEY_STATUS] = DOM0_DATA_DIR "/status",
        [DOM0_KEY_HEARTBEAT] = DOM0_DATA_DIR "/heartbeat",
        [DOM0_KEY_POLICY] = DOM0_DATA_DIR "/policy",
};

const char *const dom0_key_label[_DOM0_KEY_MAX] = {
        [DOM0_KEY_NAME] = "name",
        [DOM0_KEY_XS_TARGET] = "memory/target",
        [DOM0_KEY_STATIC_MAX] = "memory/static-max",
        [DOM0_KEY_TARGET] = "target_kb",
        [DOM0_KEY_GOAL] = "goal_kb",
        [DOM0_KEY_FLOOR] = "floor_kb",
        [DOM0_KEY_BACKEND] = "backend",
        [DOM0_KEY_STATUS] = "status",
        [DOM0_KEY_HEARTBEAT] = "heartbeat",
        [DOM0_KEY_POLICY] = "policy",
};

/* How each key is read. "required" keys are ones every daemon publishes:
 * missing while data/selfballoon exists, they count as bad data. heartbeat
 * and policy are newer: a daemon without them is an older one, not a
 * broken one. */
enum kind { KIND_TEXT, KIND_NUMBER, KIND_WORD };

static const struct key_rule {
        enum kind kind;
        bool daemon;   /* under data/selfballoon: only looked at with a daemon */
        bool required;
        const char *const *words;
} rules[_DOM0_KEY_MAX] = {
        [DOM0_KEY_NAME] = { KIND_TEXT, false, false, NULL },
        [DOM0_KEY_XS_TARGET] = { KIND_NUMBER, false, false, NULL },
        [DOM0_KEY_STATIC_MAX] = { KIND_NUMBER, false, false, NULL },
        [DOM0_KEY_TARGET] = { KIND_NUMBER, true, true, NULL },
        [DOM0_KEY_GOAL] = { KIND_NUMBER, true, true, NULL },
        [DOM0_KEY_FLOOR] = { KIND_NUMBER, true, true, NULL },
        [DOM0_KEY_BACKEND] = { KIND_WORD, true, true,
                               (const char *const[]){ "xenstore", "sysfs", NULL } },
        [DOM0_KEY_STATUS] = { KIND_WORD, true, true,
                              (const char *const[]){ "running", "stalled", "stopped", NULL } },
        [DOM0_KEY_HEARTBEAT] = { KIND_NUMBER, true, false, NULL },
        [DOM0_KEY_POLICY] = { KIND_WORD, true, false,
                              (const char *const[]){ "seed", "adaptive", NULL } },
};

/* 2^64 has 20 digits: a longer number is garbage whatever it says. */
#define NUMBER_LEN_MAX 20

static bool raw_is(const struct dom0_raw *raw, enum dom0_key k, const char *word)
{
        size_t n = strlen(word);

        return raw->present[k] && raw->len[k] == n && memcmp(raw->value[k], word, n) == 0;
}

static bool word_known(const struct dom0_raw *raw, enum dom0_key k)
{
        for (const char *const *w = rules[k].words; *w; w++)
                if (raw_is(raw, k, *w))
                        return true;
        return false;
}

static int parse_number(const struct dom0_raw *raw, enum dom0_key k, uint64_t *ret)
{
        if (raw->len[k] > NUMBER_LEN_MAX)
                return -E2BIG;
        return parse_u64_n(raw->value[k], raw->len[k], ret);
}

const char *dom0_problem(const struct dom0_guest *g, enum dom0_key k)
{
        const struct dom0_raw *raw = g->raw;
        uint64_t v;

        if (!(g->bad & (1U << k)))
                return NULL;
        if (!raw->present[k])
                return "missing";
        if (raw->len[k] > DOM0_VALUE_MAX)
                return "too long";
        if (rules[k].kind == KIND_WORD)
                return "not one of the known words";
        switch (parse_number(raw, k, &v)) {
        case -E2BIG:
        case -ERANGE:
                return "number too large";
        default:
                return "not a decimal number";
        }
}

static int64_t clamp_i64(uint64_t v)
{
        return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

void dom0_guest_parse(const struct dom0_raw *raw, int64_t now, const struct dom0_limits *lim,
                      struct dom0_guest *ret)
{
        struct dom0_guest g = { .raw = raw };
        bool silent = false, ahead = false;

        for (enum dom0_key k = 0; k < _DOM0_KEY_MAX; k++) {
                const struct key_rule *r = &rules[k];

                if (r->daemon && !raw->has_data)
                        continue;
                if (!raw->present[k]) {
                        if (r->required)
                                g.bad |= 1U << k;
                        continue;
                }
                if (raw->len[k] > DOM0_VALUE_MAX) {
                        g.bad |= 1U << k;
                        continue;
                }
                switch (r->kind) {
                case KIND_NUMBER:
                        g.num[k].present = true;
                        g.num[k].valid = parse_number(raw, k, &g.num[k].v) == 0;
                        if (!g.num[k].valid)
                                g.bad |= 1U << k;
                        break;
                case KIND_WORD:
                        g.word_valid[k] = word_known(raw, k);
                        if (!g.word_valid[k])
                                g.bad |= 1U << k;
                        break;
                case KIND_TEXT:
                        break;
                }
        }

        if (g.num[DOM0_KEY_HEARTBEAT].valid) {
                int64_t hb = clamp_i64(g.num[DOM0_KEY_HEARTBEAT].v);

                if (__builtin_sub_overflow(now, hb, &g.heartbeat_age_s))
                        g.heartbeat_age_s = INT64_MIN; /* only with a "now" below 0 */
                ahead = g.heartbeat_age_s < 0 &&
                        (uint64_t)(-(g.heartbeat_age_s + 1)) >= lim->max_skew_s;
                silent = g.heartbeat_age_s > 0 &&
                         (uint64_t)g.heartbeat_age_s > lim->silent_after_s &&
                         !raw_is(raw, DOM0_KEY_STATUS, "stopped");
        }

        if (!raw->has_data && raw->read_error == 0)
                g.health = DOM0_HEALTH_NO_DAEMON;
        else if (silent)
                g.health = DOM0_HEALTH_SILENT;
        else if (g.bad || raw->read_error)
                g.health = DOM0_HEALTH_BAD_DATA;
        else if (ahead)
                g.health = DOM0_HEALTH_BAD_CLOCK;
        else if (raw_is(raw, DOM0_KEY_STATUS, "stalled"))
                g.health = DOM0_HEALTH_STALLED;
        else if (raw_is(raw, DOM0_KEY_STATUS, "stopped"))
                g.health = DOM0_HEALTH_STOPPED;
        else
                g.health = DOM0_HEALTH_OK;
        *ret = g;
}

const char *dom0_health_to_string(enum dom0_health h)
{
        static const char *const names[_DOM0_HEALTH_MAX] = {
                [DOM0_HEALTH_OK] = "ok",
                [DOM0_HEALTH_NO_DAEMON] = "no daemon",
                [DOM0_HEALTH_STOPPED] = "stopped",
                [DOM0_HEALTH_STALLED] = "stalled",
                [DOM0_HEALTH_BAD_CLOCK] = "bad clock",
                [DOM0_HEALTH_BAD_DATA] = "bad data",
                [DOM0_HEALTH_SILENT] = "silent",
        };

        return (unsigned)h < _DOM0_HEALTH_MAX ? names[h] : "?";
}

int dom0_exit_status(const struct dom0_guest *g, size_t n)
{
        bool bad = false, stalled = false;

        for (size_t i = 0; i < n; i++) {
                switch (g[i].health) {
                case DOM0_HEALTH_SILENT:
                        return DOM0_EXIT_SILENT;
                case DOM0_HEALTH_BAD_DATA:
                case DOM0_HEALTH_BAD_CLOCK:
                        bad = true;
                        break;
                case DOM0_HEALTH_STALLED:
                        stalled = true;
                        break;
                default:
                        break;
                }
        }
        return bad ? DOM0_EXIT_BAD_DATA : stalled ? DOM0_EXIT_STALLED : DOM0_EXIT_OK;
}
