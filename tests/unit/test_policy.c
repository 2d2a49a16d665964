/* SPDX-License-Identifier: GPL-2.0-only */
/* The policy core against hand-computed tables and against an independent
 * transcription of the seed (seed_reference.c). */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "policy.h"
#include "seed_reference.h"

#define PAGE 4096ULL
#define MB(x) ((uint64_t)(x) * 256) /* MB to 4 KiB pages */
#define P2KB(p) ((uint64_t)(p) * 4)

static struct sb_settings settings_noreserve(void)
{
        struct sb_settings s;

        policy_settings_default(&s);
        s.reserve = (struct sb_reserve){ .percent = false, .value = 0 };
        return s;
}

static struct sb_decision decide1(const struct sb_settings *s, const struct sb_observation *o)
{
        struct sb_policy_state st;
        struct sb_decision d;

        policy_state_init(&st);
        assert_int_equal(policy_decide(s, &st, o, PAGE, &d), 0);
        return d;
}

/* ---- floor: every branch at and around its boundaries ---- */

struct floor_case {
        uint64_t useful_pages, reserve_pages, min_usable_mb, expect_floor;
};

static void test_floor_branches(void **unused)
{
        static const struct floor_case cases[] = {
                /* useful < 16 MiB: not worth ballooning, floor = max_pfn */
                { 0, 1000, 0, 1000 },
                { MB(16) - 1, 1000, 0, 1000 + MB(16) - 1 },
                /* 16..64 MiB: reserve + 16 MiB + (useful - 16 MiB) / 2 */
                { MB(16), 1000, 0, 1000 + MB(16) },
                { MB(16) + 1, 1000, 0, 1000 + MB(16) },
                { MB(16) + 2, 1000, 0, 1000 + MB(16) + 1 },
                { MB(64) - 1, 1000, 0, 1000 + MB(16) + (MB(48) - 1) / 2 },
                /* 64..512 MiB: reserve + 40 MiB + (useful - 40 MiB) / 8 */
                /* by hand: 1000 + 40*256 + (64-40)*256/8 = 1000 + 10240 + 768 */
                { MB(64), 1000, 0, 12008 },
                { MB(64) + 7, 1000, 0, 1000 + MB(40) + MB(24) / 8 },
                { MB(64) + 8, 1000, 0, 1000 + MB(40) + MB(24) / 8 + 1 },
                { MB(512) - 1, 1000, 0, 1000 + MB(40) + (MB(472) - 1) / 8 },
                /* >= 512 MiB: reserve + 99 MiB + (useful - 99 MiB) / 32 */
                /* by hand: 1000 + 99*256 + (512-99)*256/32 = 1000 + 25344 + 3304 */
                { MB(512), 1000, 0, 29648 },
                { MB(1024), 1000, 0, 29648 + 4096 },
                { MB(512), 0, 0, 25344 + 3304 },
                /* min_usable_mb replaces the piecewise function */
                { MB(1024), 1000, 100, 1000 + MB(100) },
                { MB(8), 1000, 1, 1000 + MB(1) },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct floor_case *c = &cases[i];
                struct sb_settings s = settings_noreserve();
                uint64_t max = c->useful_pages + c->reserve_pages;
                struct sb_observation o = {
                        .mem_total_kb = P2KB(max), .committed_as_kb = 0,
                        .totalreserve_kb = P2KB(c->reserve_pages), .max_kb = P2KB(max),
                        .balloon_current_kb = P2KB(max),
                };
                struct sb_decision d;

                s.min_usable_mb = c->min_usable_mb;
                d = decide1(&s, &o);
                if (d.floor_pages != c->expect_floor)
                        fail_msg("case %zu: useful %" PRIu64 " floor %" PRIu64 " want %" PRIu64, i,
                                 c->useful_pages, d.floor_pages, c->expect_floor);
                assert_int_equal(d.floor_kb, P2KB(c->expect_floor));
        }
}

/* ---- hysteresis in both directions, and the balloon scale ---- */

struct hyst_case {
        const char *what;
        uint64_t cur, goal, current, down, up, expect_tgt, expect_target;
};

static void test_hysteresis(void **unused)
{
        static const struct hyst_case cases[] = {
                { "down by 1/8 of the gap", 100000, 20000, 100000, 8, 1, 90000, 90000 },
                { "up all the way", 100000, 150000, 100000, 8, 1, 150000, 150000 },
                { "up by 1/4", 100000, 150000, 100000, 8, 4, 112500, 112500 },
                { "gap 7 < down 8: no change", 100007, 100000, 100007, 8, 1, 100007, 100007 },
                { "gap 8 = down 8: one page", 100008, 100000, 100008, 8, 1, 100007, 100007 },
                { "gap 3 < up 4: no change", 100000, 100003, 100000, 8, 4, 100000, 100000 },
                { "equal: no change", 100000, 100000, 100000, 8, 1, 100000, 100000 },
                { "balloon offset added", 100000, 20000, 105000, 8, 1, 90000, 95000 },
                { "down 1: straight to goal", 100000, 60000, 100000, 1, 1, 60000, 60000 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct hyst_case *c = &cases[i];
                struct sb_settings s = settings_noreserve();
                /* a floor well below every case: 512 MiB max, reserve 0 */
                struct sb_observation o = {
                        .mem_total_kb = P2KB(c->cur), .committed_as_kb = P2KB(c->goal),
                        .totalreserve_kb = 0, .max_kb = P2KB(MB(1024)),
                        .balloon_current_kb = P2KB(c->current),
                };
                struct sb_decision d;

                s.down_hysteresis = (uint32_t)c->down;
                s.up_hysteresis = (uint32_t)c->up;
                d = decide1(&s, &o);
                assert_true(d.floor_pages < 60000);
                if (d.tgt_pages != c->expect_tgt || d.target_pages != c->expect_target)
                        fail_msg("%s: tgt %" PRIu64 " target %" PRIu64, c->what, d.tgt_pages,
                                 d.target_pages);
                assert_int_equal(d.goal_pages, c->goal);
                assert_int_equal(d.target_kb, P2KB(c->expect_target));
        }
}

static void test_floor_wins_over_goal(void **unused)
{
        struct sb_settings s = settings_noreserve();
        struct sb_observation o = {
                .mem_total_kb = P2KB(MB(400)), .committed_as_kb = P2KB(MB(10)),
                .totalreserve_kb = P2KB(1000), .max_kb = P2KB(MB(1024) + 1000),
                .balloon_current_kb = P2KB(MB(400) + 2000),
        };
        struct sb_decision d;

        s.down_hysteresis = 1;
        d = decide1(&s, &o);
        assert_int_equal(d.floor_pages, 33744);
        assert_int_equal(d.tgt_pages, 33744);
        assert_int_equal(d.target_pages, 33744 + 2000);
        assert_int_equal(d.floor_target_kb, P2KB(33744 + 2000));
}

/* kB inputs are truncated to whole pages before any arithmetic. */
static void test_kb_truncation_and_page_sizes(void **unused)
{
        struct sb_settings s = settings_noreserve();
        struct sb_observation o = {
                .mem_total_kb = 400003, .committed_as_kb = 80003, .totalreserve_kb = 3,
                .max_kb = 1048579, .balloon_current_kb = 400003,
        };
        struct sb_policy_state st;
        struct sb_decision d = decide1(&s, &o);

        /* cur 100000, goal 20000, reserve 0 */
        assert_int_equal(d.goal_pages, 20000);
        assert_int_equal(d.tgt_pages, 90000);
        assert_int_equal(d.target_kb, 360000);

        /* 64 KiB pages: kB >> 6, MB << 4 */
        policy_state_init(&st);
        assert_int_equal(policy_decide(&s, &st, &o, 65536, &d), 0);
        assert_int_equal(d.goal_pages, 80003 / 64);
        assert_int_equal(d.tgt_pages, 6250 - (6250 - 1250) / 8);
        assert_int_equal(d.target_kb, (6250 - (6250 - 1250) / 8) * 64);

        for (uint64_t bad = 0; bad < 5; bad++) {
                static const uint64_t sizes[] = { 0, 512, 3000, 4097, 2 << 20 };
                policy_state_init(&st);
                assert_int_equal(policy_decide(&s, &st, &o, sizes[bad], &d), -EINVAL);
                assert_false(st.started);
        }
}

/* ---- the two deviations, and inputs no kernel shows ---- */

static void test_target_capped_at_max(void **unused)
{
        struct sb_settings s = settings_noreserve();
        struct sb_observation o = {
                .mem_total_kb = P2KB(MB(400)), .committed_as_kb = P2KB(MB(4000)),
                .totalreserve_kb = 0, .max_kb = P2KB(MB(768)),
                .balloon_current_kb = P2KB(MB(400) + 100),
        };
        struct sb_decision d = decide1(&s, &o);
        struct seed_world w = {
                .totalram_pages = MB(400), .committed = MB(4000), .max_pfn = MB(768),
                .balloon_current_pages = MB(400) + 100, .xen_selfballooning_enabled = 1,
                .downhys = 8, .uphys = 1,
        };

        seed_process(&w, 12);
        assert_int_equal(w.new_target, MB(4000) + 100); /* the seed asks beyond max */
        assert_int_equal(d.tgt_pages, MB(4000));
        assert_int_equal(d.target_pages, MB(768));
        assert_int_equal(d.target_kb, P2KB(MB(768)));
}

static void test_current_below_memtotal_no_offset(void **unused)
{
        struct sb_settings s = settings_noreserve();
        struct sb_observation o = {
                .mem_total_kb = P2KB(100000), .committed_as_kb = P2KB(20000),
                .totalreserve_kb = 0, .max_kb = P2KB(MB(1024)),
                .balloon_current_kb = P2KB(99000),
        };
        struct sb_decision d = decide1(&s, &o);

        /* the seed would say 90000 + 99000 - 100000 = 89000 */
        assert_int_equal(d.tgt_pages, 90000);
        assert_int_equal(d.target_pages, 90000);
}

static void test_extremes_never_wrap(void **unused)
{
        struct sb_settings s;
        struct sb_observation o;
        struct sb_decision d;

        policy_settings_default(&s);
        o = (struct sb_observation){ .mem_total_kb = UINT64_MAX, .committed_as_kb = UINT64_MAX,
                                     .totalreserve_kb = UINT64_MAX, .max_kb = UINT64_MAX,
                                     .balloon_current_kb = UINT64_MAX, .has_frontswap = true,
                                     .frontswap_pages = UINT64_MAX };
        d = decide1(&s, &o);
        assert_int_equal(d.goal_pages, UINT64_MAX); /* saturated, not wrapped */
        assert_int_equal(d.target_pages, UINT64_MAX >> 2);
        assert_int_equal(d.target_kb, (UINT64_MAX >> 2) << 2);
        assert_true(d.target_pages >= d.floor_pages);

        /* all zero: nothing to take, no wrap (the daemon rejects max = 0) */
        o = (struct sb_observation){ 0 };
        d = decide1(&s, &o);
        assert_int_equal(d.target_pages, 0);
        assert_int_equal(d.goal_pages, 0);

        /* reserve above max: useful would wrap in the kernel; here it is 0
         * so the floor is max: no ballooning rather than a huge floor */
        o = (struct sb_observation){ .mem_total_kb = P2KB(MB(256)), .committed_as_kb = 0,
                                     .totalreserve_kb = P2KB(MB(600)), .max_kb = P2KB(MB(512)),
                                     .balloon_current_kb = P2KB(MB(256)) };
        s.reserve = (struct sb_reserve){ false, 0 };
        d = decide1(&s, &o);
        assert_int_equal(d.floor_pages, MB(512));
        assert_int_equal(d.target_pages, MB(512));

        /* Committed_AS far above max, huge min_usable_mb */
        o = (struct sb_observation){ .mem_total_kb = P2KB(MB(256)), .committed_as_kb = UINT64_MAX / 2,
                                     .totalreserve_kb = 0, .max_kb = P2KB(MB(512)),
                                     .balloon_current_kb = P2KB(MB(256)) };
        s.min_usable_mb = SB_MB_MAX;
        d = decide1(&s, &o);
        assert_int_equal(d.floor_pages, MB(SB_MB_MAX));
        assert_int_equal(d.target_pages, MB(512));
}

/* ---- the reserve ---- */

static void test_reserve(void **unused)
{
        struct sb_reserve r;
        struct sb_settings s;
        struct sb_policy_state st;
        struct sb_decision d;
        struct sb_observation o = {
                .mem_total_kb = 461172, .committed_as_kb = 5128, .totalreserve_kb = 0,
                .max_kb = 786432, .balloon_current_kb = 524288,
        };
        uint64_t cur = 461172 / 4;

        /* the seed's default: PAGES2MB(totalram / 10) */
        r = (struct sb_reserve){ true, 10 };
        assert_int_equal(policy_reserved_mb(&r, cur, 12), seed_default_reserved_mb(cur, 12));
        assert_int_equal(policy_reserved_mb(&r, cur, 12), 45);
        r.value = 0;
        assert_int_equal(policy_reserved_mb(&r, cur, 12), 0);
        r.value = 100;
        assert_int_equal(policy_reserved_mb(&r, cur, 12), 450);
        r.value = 33; /* 115293 * 33 / 100 = 38046 pages = 148 MB */
        assert_int_equal(policy_reserved_mb(&r, cur, 12), 148);
        r = (struct sb_reserve){ false, 77 };
        assert_int_equal(policy_reserved_mb(&r, cur, 12), 77);
        /* huge MemTotal: t*N would overflow, t/100*N + t%100*N/100 does not */
        r = (struct sb_reserve){ true, 100 };
        assert_int_equal(policy_reserved_mb(&r, UINT64_MAX, 12), UINT64_MAX >> 8);
        for (uint64_t t = 0; t < 100000; t += 37)
                for (uint64_t n = 0; n <= 100; n += 7) {
                        r = (struct sb_reserve){ true, n };
                        assert_int_equal(policy_reserved_mb(&r, t, 12), (t * n / 100) >> 8);
                }

        /* computed once, from the first observation */
        policy_settings_default(&s);
        policy_state_init(&st);
        assert_int_equal(policy_decide(&s, &st, &o, PAGE, &d), 0);
        assert_int_equal(d.reserved_mb, 45);
        assert_int_equal(d.goal_pages, 5128 / 4 + MB(45));
        o.mem_total_kb = 200000;
        assert_int_equal(policy_decide(&s, &st, &o, PAGE, &d), 0);
        assert_int_equal(d.reserved_mb, 45);

        /* reserved_mb = 0: the behaviour before the seed commit */
        s.reserve = (struct sb_reserve){ false, 0 };
        assert_int_equal(policy_decide(&s, &st, &o, PAGE, &d), 0);
        assert_int_equal(d.goal_pages, 5128 / 4);
}

/* ---- frontswap self-shrink ---- */

struct fs_step {
        bool has;
        uint64_t pages;
        bool shrink;
        uint64_t target;
        uint64_t counter_after;
};

static void run_fs_steps(const struct fs_step *steps, size_t n, bool enabled)
{
        struct sb_settings s;
        struct sb_policy_state st;

        policy_settings_default(&s);
        s.enabled = enabled;
        policy_state_init(&st);
        for (size_t i = 0; i < n; i++) {
                struct sb_observation o = {
                        .mem_total_kb = 400000, .committed_as_kb = 100000,
                        .totalreserve_kb = 4000, .max_kb = 800000,
                        .balloon_current_kb = 400000, .has_frontswap = steps[i].has,
                        .frontswap_pages = steps[i].pages,
                };
                struct sb_decision d;

                assert_int_equal(policy_decide(&s, &st, &o, PAGE, &d), 0);
                if (d.frontswap_shrink != steps[i].shrink ||
                    (d.frontswap_shrink && d.frontswap_target_pages != steps[i].target) ||
                    st.frontswap_inertia_counter != steps[i].counter_after)
                        fail_msg("step %zu: shrink %d target %" PRIu64 " counter %" PRIu64, i,
                                 d.frontswap_shrink, d.frontswap_target_pages,
                                 st.frontswap_inertia_counter);
                assert_int_equal(d.balloon, enabled);
        }
}

static void test_frontswap_sequence(void **unused)
{
        static const struct fs_step steps[] = {
                { true, 1000, false, 0, 3 }, /* first tick: grew from 0, re-arm */
                { true, 1000, false, 0, 2 }, /* stable: count down */
                { true, 1000, false, 0, 1 },
                { true, 1000, true, 950, 0 }, /* counter ran out: shrink 5 % */
                { true, 950, true, 903, 0 },  /* not re-armed after a shrink */
                { true, 903, true, 858, 0 },
                { true, 900, true, 855, 0 },  /* fell further: still shrinking */
                { true, 2000, false, 0, 3 },  /* growth re-arms */
                { true, 1500, false, 0, 2 },
                { true, 1500, false, 0, 1 },
                { true, 21, true, 20, 0 },    /* 21 - 21/20 */
                { true, 20, true, 0, 0 },     /* <= hysteresis: to zero */
                { true, 0, false, 0, 3 },     /* zero re-arms */
                { false, 0, false, 0, 3 },    /* no count observed: untouched */
                { true, 5, false, 0, 3 },     /* grew from 0 */
                { true, 5, false, 0, 2 },
                { true, 5, false, 0, 1 },
                { true, 5, true, 0, 0 },
        };

        run_fs_steps(steps, sizeof(steps) / sizeof(steps[0]), true);
        /* selfshrinking works with selfballooning disabled, as in the seed */
        run_fs_steps(steps, sizeof(steps) / sizeof(steps[0]), false);
}

static void test_frontswap_first_observation_rearms(void **unused)
{
        static const struct fs_step steps[] = {
                { true, 500, false, 0, 3 },
                { true, 400, false, 0, 2 }, /* shrinking by itself: count down */
                { true, 400, false, 0, 1 },
                { true, 400, true, 380, 0 },
        };

        run_fs_steps(steps, 4, true);
}

static void test_frontswap_goal(void **unused)
{
        struct sb_settings s = settings_noreserve();
        struct sb_observation o = {
                .mem_total_kb = 400000, .committed_as_kb = 100000, .totalreserve_kb = 4000,
                .max_kb = 800000, .balloon_current_kb = 400000, .has_frontswap = true,
                .frontswap_pages = 777,
        };
        struct sb_decision d = decide1(&s, &o);

        assert_int_equal(d.goal_pages, 25000 + 1000 + 777);
        o.has_frontswap = false;
        d = decide1(&s, &o);
        assert_int_equal(d.goal_pages, 26000);
        assert_false(d.frontswap_shrink);
        o.has_frontswap = true;
        s.frontswap_selfshrink = false;
        d = decide1(&s, &o);
        assert_int_equal(d.goal_pages, 26000);
        assert_false(d.frontswap_shrink);
}

static void test_inertia_change_rearms(void **unused)
{
        struct sb_settings a, b;
        struct sb_policy_state st;

        policy_settings_default(&a);
        b = a;
        b.frontswap_inertia = 7;
        policy_state_init(&st);
        st.frontswap_inertia_counter = 1;
        policy_settings_changed(&a, &a, &st);
        assert_int_equal(st.frontswap_inertia_counter, 1);
        policy_settings_changed(&a, &b, &st);
        assert_int_equal(st.frontswap_inertia_counter, 7);
}

static void test_disabled(void **unused)
{
        struct sb_settings s;
        struct sb_observation o = { .mem_total_kb = 400000, .committed_as_kb = 100000,
                                    .totalreserve_kb = 4000, .max_kb = 800000,
                                    .balloon_current_kb = 400000 };
        struct sb_decision d;

        policy_settings_default(&s);
        s.enabled = false;
        d = decide1(&s, &o);
        assert_false(d.balloon);
        assert_int_equal(d.target_kb, 0);
}

static void test_validate(void **unused)
{
        struct sb_settings s, t;

        policy_settings_default(&s);
        assert_int_equal(policy_validate(&s, PAGE), 0);
        t = s, t.interval_s = 0;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.interval_s = 3601;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.down_hysteresis = 0;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.up_hysteresis = 1000001;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.frontswap_inertia = 0;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.frontswap_hysteresis = 0;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.min_usable_mb = SB_MB_MAX + 1;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.reserve = (struct sb_reserve){ true, 101 };
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.reserve = (struct sb_reserve){ false, SB_MB_MAX + 1 };
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.policy = _SB_POLICY_MAX;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        /* the MB cap is where MB2PAGES()'s unsigned int wraps: 2^24 MB with
         * 4 KiB pages, 2^22 MB with 1 KiB pages */
        t = s, t.min_usable_mb = SB_MB_MAX;
        assert_int_equal(policy_validate(&t, PAGE), 0);
        assert_int_equal(policy_validate(&t, 1 << 16), 0);
        assert_int_equal(policy_validate(&t, 1024), -EINVAL);
        t = s, t.min_usable_mb = (1ULL << 22) - 1;
        assert_int_equal(policy_validate(&t, 1024), 0);
        t = s, t.reserve = (struct sb_reserve){ false, 1ULL << 22 };
        assert_int_equal(policy_validate(&t, 1024), -EINVAL);
        assert_int_equal(policy_validate(&t, 2048), 0);
        assert_string_equal(policy_to_string(SB_POLICY_SEED), "seed");
        assert_null(policy_to_string(_SB_POLICY_MAX));
}

/* ---- a million random observations against the reference ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
        /* xorshift64*: deterministic, so a failure can be replayed */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 2685821657736338717ULL;
}

static uint64_t rnd_in(uint64_t lo, uint64_t hi)
{
        return lo + rnd() % (hi - lo + 1);
}

/* MB settings: mostly small; one in eight within 4096 of the cap and one
 * in eight at its last four values, where the seed's unsigned int
 * MB2PAGES() is closest to wrapping (at SB_MB_MAX + 1 with 4 KiB pages). */
static uint64_t rnd_mb(void)
{
        switch (rnd() % 8) {
        case 0: return SB_MB_MAX - rnd_in(0, 3);
        case 1: return rnd_in(SB_MB_MAX - 4095, SB_MB_MAX);
        default: return rnd_in(1, 4096);
        }
}

static void test_random_against_reference(void **unused)
{
        const unsigned shifts[] = { 12, 14, 16 };
        uint64_t compared = 0, capped = 0, shrinks = 0, ticks = 0, adaptive_more = 0, near_cap = 0;
        const uint64_t sequences = 20000, per_sequence = 50;

        for (uint64_t seq = 0; seq < sequences; seq++) {
                unsigned shift = shifts[rnd() % 3];
                uint64_t page_size = 1ULL << shift, kb_per_page = page_size / 1024;
                struct sb_settings s, sa;
                struct sb_policy_state st, sta;
                /* up to 64 TiB, x86-64's 46-bit physical limit: beyond 160 TiB
                 * the seed's 10 % default reserve passes 2^24 MB and its
                 * MB2PAGES() wraps, which the core deliberately does not */
                uint64_t max_pfn = rnd_in(MB(8) >> (shift - 12), (1ULL << 34) >> (shift - 12));
                struct seed_world w = { 0 };

                policy_settings_default(&s);
                policy_state_init(&st);
                policy_state_init(&sta);
                s.down_hysteresis = (uint32_t)rnd_in(1, 16);
                s.up_hysteresis = (uint32_t)rnd_in(1, 4);
                s.min_usable_mb = rnd() % 2 ? 0 : rnd_mb();
                s.frontswap_selfshrink = rnd() % 2;
                s.frontswap_hysteresis = (uint32_t)rnd_in(1, 40);
                s.frontswap_inertia = (uint32_t)rnd_in(1, 5);
                if (rnd() % 2)
                        s.reserve = (struct sb_reserve){ true, 10 };
                else
                        s.reserve = (struct sb_reserve){ false, rnd() % 16 ? rnd_mb() : 0 };

                /* adaptive with the same settings: the seed's arithmetic on
                 * Committed_AS + the kernel memory it reads */
                sa = s;
                sa.policy = SB_POLICY_ADAPTIVE;
                near_cap += s.min_usable_mb > SB_MB_MAX - 4096 ||
                            (!s.reserve.percent && s.reserve.value > SB_MB_MAX - 4096);

                w.xen_selfballooning_enabled = 1;
                w.downhys = s.down_hysteresis;
                w.uphys = s.up_hysteresis;
                w.min_usable_mb = (unsigned)s.min_usable_mb;
                w.frontswap_selfshrinking = s.frontswap_selfshrink;
                w.frontswap_hysteresis = s.frontswap_hysteresis;
                w.frontswap_inertia = s.frontswap_inertia;
                w.max_pfn = max_pfn;

                for (uint64_t i = 0; i < per_sequence; i++, ticks++) {
                        uint64_t totalram = rnd_in(max_pfn / 16 + 1, max_pfn);
                        uint64_t current = totalram + rnd_in(0, totalram / 8);
                        /* mostly what fits, sometimes far above max */
                        uint64_t committed = rnd() % 8 ? rnd_in(0, max_pfn / 2)
                                                       : rnd_in(0, 2 * max_pfn);
                        uint64_t reserve = rnd_in(0, max_pfn / 32);
                        bool has_fs = rnd() % 4 != 0;
                        uint64_t fs = has_fs ? (rnd() % 3 ? w.cur_frontswap_pages - rnd_in(0, 3)
                                                          : rnd_in(0, 100000))
                                             : 0;
                        struct sb_observation o, oa;
                        struct sb_decision d, da, ds;
                        struct sb_policy_state sts;

                        if (has_fs && fs > 100000)
                                fs = 0; /* the subtraction above went below 0 */
                        if (i == 0)
                                w.reserved_mb = s.reserve.percent
                                                        ? seed_default_reserved_mb(totalram, shift)
                                                        : (unsigned)s.reserve.value;
                        o = (struct sb_observation){
                                /* kB with a random sub-page remainder, to be truncated */
                                .mem_total_kb = totalram * kb_per_page + rnd() % kb_per_page,
                                .committed_as_kb = committed * kb_per_page + rnd() % kb_per_page,
                                .totalreserve_kb = reserve * kb_per_page + rnd() % kb_per_page,
                                .max_kb = max_pfn * kb_per_page + rnd() % kb_per_page,
                                .balloon_current_kb = current * kb_per_page + rnd() % kb_per_page,
                                .has_frontswap = has_fs,
                                .frontswap_pages = fs,
                                /* the seed must ignore these */
                                .sunreclaim_kb = rnd_in(0, max_pfn / 64) * kb_per_page + rnd() % 7,
                                .kernel_stack_kb = rnd_in(0, 4096),
                                .page_tables_kb = rnd_in(0, 65536),
                                .has_mem_available = true,
                                .mem_available_kb = rnd_in(0, max_pfn) * kb_per_page,
                        };
                        w.totalram_pages = totalram;
                        w.committed = committed;
                        w.totalreserve_pages = reserve;
                        w.balloon_current_pages = current;
                        w.frontswap_enabled = has_fs;
                        w.frontswap_curr_pages = fs;

                        seed_process(&w, shift);
                        assert_int_equal(policy_decide(&s, &st, &o, page_size, &d), 0);

                        assert_true(w.target_set && d.balloon);
                        assert_int_equal(d.goal_pages, w.goal_pages);
                        assert_int_equal(d.floor_pages, w.floor_pages);
                        assert_true(d.floor_target_kb <= d.target_kb);
                        if (w.new_target <= max_pfn) {
                                assert_int_equal(d.target_pages, w.new_target);
                                compared++;
                        } else {
                                assert_int_equal(d.target_pages, max_pfn);
                                capped++;
                        }
                        assert_int_equal(d.frontswap_shrink, w.shrunk);
                        if (w.shrunk) {
                                assert_int_equal(d.frontswap_target_pages, w.shrink_target);
                                shrinks++;
                        }
                        assert_int_equal(st.frontswap_inertia_counter, w.frontswap_inertia_counter);

                        /* adaptive(o) == seed(o with the kernel memory in Committed_AS) */
                        sts = sta;
                        oa = o;
                        oa.committed_as_kb = o.committed_as_kb + o.sunreclaim_kb +
                                             o.kernel_stack_kb + o.page_tables_kb;
                        assert_int_equal(policy_decide(&sa, &sta, &o, page_size, &da), 0);
                        assert_int_equal(policy_decide(&s, &sts, &oa, page_size, &ds), 0);
                        assert_memory_equal(&da, &ds, sizeof(da));
                        assert_memory_equal(&sta, &sts, sizeof(sta));
                        if (oa.committed_as_kb / kb_per_page != o.committed_as_kb / kb_per_page)
                                adaptive_more++;
                }
        }
        print_message("random: %" PRIu64 " ticks, %" PRIu64 " targets equal to the seed's, %" PRIu64
                      " capped at max (seed asked above max), %" PRIu64 " frontswap shrinks equal\n",
                      ticks, compared, capped, shrinks);
        print_message("random: adaptive equal to the seed on Committed_AS + kernel memory on all "
                      "%" PRIu64 " ticks (%" PRIu64 " with a larger demand than the seed's)\n",
                      ticks, adaptive_more);
        assert_int_equal(compared + capped, ticks);
        assert_true(compared > ticks / 2);
        assert_true(shrinks > 1000);
        assert_true(adaptive_more > ticks / 2);
        print_message("random: %" PRIu64 " sequences with an MB setting near SB_MB_MAX\n", near_cap);
        assert_true(near_cap > sequences / 16);
}

/* The watch: the policy's arithmetic on fresh readings without
 * up_hysteresis, and the MemAvailable level; raise only, at most static-max,
 * the policy state untouched. By hand: MemTotal 140000 kB = 35000 pages, so
 * the 10 % reserve is 3500 pages >> 8 = 13 MB (3328 pages); totalreserve
 * 2425 pages; the balloon's offset is 51000 - 35000 = 16000 pages. */
static void test_watch(void **unused)
{
        struct sb_settings s;
        struct sb_policy_state st, before, copy;
        struct sb_decision d, dt;
        uint64_t bt;
        struct sb_observation o = {
                .mem_total_kb = 140000, .committed_as_kb = 60000, .totalreserve_kb = 9700,
                .max_kb = 1048576, .balloon_current_kb = 204000, .has_mem_available = true,
                .mem_available_kb = 90000,
        };

        policy_settings_default(&s);
        assert_true(s.watch);
        policy_state_init(&st);
        assert_int_equal(policy_decide(&s, &st, &o, 4096, &dt), 0);
        assert_int_equal(dt.reserved_mb, 13);
        /* at the floor: 2425 + 25344 + (262144 - 2425 - 25344) / 32 pages,
         * plus the offset */
        assert_int_equal(dt.target_kb, (35093 + 16000) * 4);
        bt = dt.target_kb;
        before = st;

        /* plenty available, the goal below MemTotal: no raise */
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_true(d.balloon);
        assert_false(d.watch_raise);
        assert_int_equal(d.target_kb, bt);
        assert_int_equal(d.goal_kb, dt.goal_kb);

        /* a malloc of 128 MiB: Committed_AS jumps, the target follows at
         * once: goal 191072 + 9700 + 13312 kB, plus the offset */
        o.committed_as_kb = 60000 + 131072;
        s.up_hysteresis = 4; /* does not slow the watch */
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, 204000, &d), 0);
        assert_true(d.watch_raise);
        assert_int_equal(d.goal_kb, 214084);
        assert_int_equal(d.target_kb, 214084 + 64000);
        /* with up_hysteresis 1 that is the seed's own tick, page for page */
        s.up_hysteresis = 1;
        copy = st;
        assert_int_equal(policy_decide(&s, &copy, &o, 4096, &dt), 0);
        assert_int_equal(d.target_kb, dt.target_kb);
        /* already there: nothing to raise */
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, 278084, &d), 0);
        assert_false(d.watch_raise);
        assert_int_equal(d.target_kb, 278084);

        /* MemAvailable 4000 kB, below the 16 MB level: the balloon's target
         * plus what is missing, 4096 - 1000 pages */
        o.committed_as_kb = 60000;
        o.mem_available_kb = 4000;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_true(d.watch_raise);
        assert_int_equal(d.target_kb, bt + 12384);
        /* ... and not without MemAvailable */
        o.has_mem_available = false;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_false(d.watch_raise);
        o.has_mem_available = true;
        /* level 0: no level trigger */
        s.watch_low_mb = 0;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_false(d.watch_raise);
        s.watch_low_mb = SB_WATCH_LOW_MB_DEFAULT;

        /* static-max stops it */
        o.committed_as_kb = 4000000;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, 204000, &d), 0);
        assert_int_equal(d.target_kb, 1048576);
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, 1048576, &d), 0);
        assert_false(d.watch_raise);
        assert_int_equal(d.target_kb, 1048576);

        /* off, or ballooning disabled: nothing */
        s.watch = false;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, 204000, &d), 0);
        assert_false(d.balloon);
        s.watch = true;
        s.enabled = false;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, 204000, &d), 0);
        assert_false(d.balloon);
        assert_memory_equal(&st, &before, sizeof(st));

        /* adaptive counts kernel memory in the goal, the watch too */
        s.enabled = true;
        s.policy = SB_POLICY_ADAPTIVE;
        s.reserve = policy_default_reserve(SB_POLICY_ADAPTIVE);
        o.committed_as_kb = 60000 + 131072;
        o.sunreclaim_kb = 12000;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, 204000, &d), 0);
        assert_int_equal(d.goal_kb, 191072 + 12000 + 9700 + SB_ADAPTIVE_RESERVE_MB * 1024);
}

/* A slice held at the brake's limit: with plenty of MemAvailable and the
 * goal met, neither trigger fires; the held look adds a step (the larger of
 * watch_low_mb and brake_margin_mb, at least 4 MiB) once the balloon reached
 * its target, even with the watch off. Same readings as test_watch. */
static void test_watch_brake_held(void **unused)
{
        struct sb_settings s;
        struct sb_policy_state st;
        struct sb_decision d, dt;
        uint64_t bt;
        struct sb_observation o = {
                .mem_total_kb = 140000, .committed_as_kb = 60000, .totalreserve_kb = 9700,
                .max_kb = 1048576, .has_mem_available = true, .mem_available_kb = 90000,
        };

        policy_settings_default(&s);
        policy_state_init(&st);
        o.balloon_current_kb = 204000;
        assert_int_equal(policy_decide(&s, &st, &o, 4096, &dt), 0);
        bt = dt.target_kb;
        /* the balloon got there: MemTotal with it, the offset unchanged */
        o.balloon_current_kb = bt;
        o.mem_total_kb += bt - 204000;

        /* not held: nothing to raise */
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_false(d.watch_raise);
        /* held: a step of 16 MB (watch_low_mb = brake_margin_mb = 16) */
        o.brake_held = true;
        assert_int_equal(policy_brake_step_mb(&s), 16);
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_true(d.watch_raise);
        assert_int_equal(d.target_kb, bt + 16384);
        /* the larger of the two keys */
        s.brake_margin_mb = 40;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_int_equal(d.target_kb, bt + 40960);
        /* both 0: 4 MiB still */
        s.brake_margin_mb = 0;
        s.watch_low_mb = 0;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_int_equal(d.target_kb, bt + 4096);
        s.brake_margin_mb = SB_BRAKE_MARGIN_MB_DEFAULT;
        s.watch_low_mb = SB_WATCH_LOW_MB_DEFAULT;
        /* the last step has not landed (the balloon 2 MB short): no more */
        o.balloon_current_kb = bt - 2048;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_false(d.watch_raise);
        /* within a MiB counts as landed */
        o.balloon_current_kb = bt - 1024;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_true(d.watch_raise);
        o.balloon_current_kb = bt;
        /* the watch off: a held slice is still a look */
        s.watch = false;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_true(d.watch_raise);
        assert_int_equal(d.target_kb, bt + 16384);
        o.brake_held = false;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_false(d.balloon);
        s.watch = true;
        /* never above static-max */
        o.brake_held = true;
        o.balloon_current_kb = 1048576 - 4096;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, 1048576 - 4096, &d), 0);
        assert_int_equal(d.target_kb, 1048576);
        o.balloon_current_kb = 1048576;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, 1048576, &d), 0);
        assert_false(d.watch_raise);
        /* ballooning disabled: nothing */
        s.enabled = false;
        assert_int_equal(policy_decide_watch(&s, &st, &o, 4096, bt, &d), 0);
        assert_false(d.balloon);
}

/* The period between looks: the headroom above the level at the rate. */
static void test_watch_period(void **unused)
{
        struct sb_settings s;
        struct sb_observation o = { .has_mem_available = true, .mem_available_kb = 90000 };

        policy_settings_default(&s);
        /* (90000 - 16384) kB at 128 MB/s */
        assert_int_equal(policy_watch_period_ms(&s, &o), 73616 * 1000 / (128 * 1024));
        o.mem_available_kb = 4000; /* below the level: as fast as allowed */
        assert_int_equal(policy_watch_period_ms(&s, &o), 100);
        o.mem_available_kb = 2000000; /* plenty: the tick is soon enough */
        assert_int_equal(policy_watch_period_ms(&s, &o), 5000);
        s.watch_rate_mb_s = 1000;
        assert_int_equal(policy_watch_period_ms(&s, &o), (2000000 - 16384) * 1000 / 1024000);
        o.has_mem_available = false;
        assert_int_equal(policy_watch_period_ms(&s, &o), 100);
}

/* ---- the cache cushion ---- */

/* A 1 GiB adaptive guest, at rest, with the cushion on: MemTotal 1000000 kB,
 * so a 25 % max is 244 MB (policy_reserved_mb() rounds down to MB). */
static struct sb_settings cushion_settings(void)
{
        struct sb_settings s;

        policy_settings_default(&s);
        s.policy = SB_POLICY_ADAPTIVE;
        s.reserve = policy_default_reserve(SB_POLICY_ADAPTIVE);
        s.cache_cushion = true;
        return s;
}

static struct sb_observation cushion_obs(uint64_t t_s, uint64_t refault_pages,
                                         uint64_t active_file_kb)
{
        return (struct sb_observation){
                .mem_total_kb = 1000000, .committed_as_kb = 200000, .totalreserve_kb = 9548,
                .max_kb = 1048576, .balloon_current_kb = 1048576,
                .has_cache = true, .active_file_kb = active_file_kb,
                .inactive_file_kb = 0, .workingset_refault_file = refault_pages,
                .has_time = true, .now_us = t_s * 1000000,
        };
}

static struct sb_decision tick(const struct sb_settings *s, struct sb_policy_state *st,
                               const struct sb_observation *o)
{
        struct sb_decision d;

        assert_int_equal(policy_decide(s, st, o, PAGE, &d), 0);
        return d;
}

static void test_cushion_first_tick_rise_cap(void **unused)
{
        struct sb_settings s = cushion_settings(), off = s;
        struct sb_policy_state st;
        struct sb_observation o;
        struct sb_decision d, d0;

        off.cache_cushion = false;
        policy_state_init(&st);
        /* first tick: a counter since boot is no rate */
        o = cushion_obs(100, 5000000, 0);
        d = tick(&s, &st, &o);
        assert_false(d.has_refault_rate);
        assert_int_equal(d.cache_cushion_kb, 0);
        d0 = decide1(&off, &o);
        assert_int_equal(d.goal_kb, d0.goal_kb);

        /* 5 s later, 10000 pages refaulted: 40000 kB, 480000 kB a minute */
        o = cushion_obs(105, 5010000, 0);
        d = tick(&s, &st, &o);
        assert_true(d.has_refault_rate);
        assert_int_equal(d.refault_kb, 40000);
        assert_int_equal(d.refault_kb_per_min, 480000);
        assert_int_equal(d.cache_cushion_kb, 40000);
        /* in the goal, page for page */
        d0 = decide1(&off, &o);
        assert_int_equal(d.goal_kb, d0.goal_kb + 40000);

        /* rise_pct scales the rise: 50 % of 4000 kB */
        s.cache_cushion_rise_pct = 50;
        o = cushion_obs(110, 5011000, 1000000); /* all active: no decay */
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 42000);

        /* the cap: 25 % of the first MemTotal, 244 MB */
        o = cushion_obs(115, 6011000, 1000000);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 244 * 1024);
        s.cache_cushion_max = (struct sb_reserve){ false, 100 };
        o = cushion_obs(120, 6011000, 1000000);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 100 * 1024);
        s.cache_cushion_max = (struct sb_reserve){ true, 0 };
        o = cushion_obs(125, 7011000, 1000000);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 0);
}

static void test_cushion_decay(void **unused)
{
        struct sb_settings s = cushion_settings();
        struct sb_policy_state st;
        struct sb_observation o;
        struct sb_decision d;

        policy_state_init(&st);
        o = cushion_obs(0, 0, 0);
        (void)tick(&s, &st, &o);
        o = cushion_obs(5, 24000, 0); /* 96000 kB */
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 96000);

        /* no refaults, nothing active: 6 s of a 60 s time constant takes a
         * tenth */
        o = cushion_obs(11, 24000, 0);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 86400);
        assert_int_equal(d.refault_kb, 0);
        assert_true(d.has_refault_rate);

        /* Active(file) holds what it shows in use: only the rest decays */
        o = cushion_obs(17, 24000, 76400);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 86400 - 1000);
        /* ... and all of it while it stays active */
        for (uint64_t t = 23; t < 2000; t += 6) {
                o = cushion_obs(t, 24000, 200000);
                d = tick(&s, &st, &o);
        }
        assert_int_equal(d.cache_cushion_kb, 85400);

        /* Inactive(file) is room the hot set does not need: 30000 kB of it
         * lower the floor to 85400 - 30000, and the cushion goes a tenth
         * of the way there in 6 s */
        o = cushion_obs(2003, 24000, 200000);
        o.inactive_file_kb = 30000;
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 85400 - 3000);
        o = cushion_obs(2009, 24000, 200000);
        o.inactive_file_kb = 1000000; /* more than the cushion: all of it may go */
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 82400 - 8240);
        o = cushion_obs(2015, 24000, 200000);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 74160);

        /* a gap longer than the time constant takes all of the rest */
        o = cushion_obs(3000, 24000, 5000);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 5000);
        o = cushion_obs(3100, 24000, 5000);
        o.inactive_file_kb = 2000;
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 3000);

        /* gone to nothing in a few time constants once nothing is active;
         * 1 kB steps round down, so it ends at 0 */
        for (uint64_t t = 3005; t < 4000; t += 5) {
                o = cushion_obs(t, 24000, 0);
                d = tick(&s, &st, &o);
        }
        assert_true(d.cache_cushion_kb < 20);

        /* without times a tick counts as one interval (5 s of 60) */
        policy_state_init(&st);
        o = cushion_obs(0, 0, 0);
        o.has_time = false;
        (void)tick(&s, &st, &o);
        o.workingset_refault_file = 30000; /* 120000 kB */
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 120000);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 110000);
        assert_int_equal(d.refault_kb_per_min, 0);
}

static void test_cushion_counter_reset(void **unused)
{
        struct sb_settings s = cushion_settings();
        struct sb_policy_state st;
        struct sb_observation o;
        struct sb_decision d;

        policy_state_init(&st);
        o = cushion_obs(0, UINT64_MAX - 10, 1000000);
        (void)tick(&s, &st, &o);
        o = cushion_obs(5, UINT64_MAX - 5, 1000000);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 20);
        /* the largest delta a counter can show, at the largest rise: the
         * cap, not a wrapped product */
        {
                struct sb_settings big = s;
                struct sb_policy_state st2;

                big.cache_cushion_rise_pct = SB_CACHE_RISE_PCT_MAX;
                policy_state_init(&st2);
                o = cushion_obs(0, 0, 1000000);
                (void)tick(&big, &st2, &o);
                o = cushion_obs(5, UINT64_MAX, 1000000);
                d = tick(&big, &st2, &o);
                assert_int_equal(d.cache_cushion_kb, 244 * 1024);
                assert_int_equal(d.refault_kb, UINT64_MAX);
                /* 461168601842738800 pages = 100 x ceil(2^64 / 1000) kB: a
                 * product that wraps would leave 384 kB */
                policy_state_init(&st2);
                o = cushion_obs(0, 0, 1000000);
                (void)tick(&big, &st2, &o);
                o = cushion_obs(5, 461168601842738800ULL, 1000000);
                d = tick(&big, &st2, &o);
                assert_int_equal(d.cache_cushion_kb, 244 * 1024);
        }

        /* the counter went backwards (wrapped, or another boot's numbers):
         * no rate, no rise, the new value is the base */
        o = cushion_obs(10, 3, 1000000);
        d = tick(&s, &st, &o);
        assert_false(d.has_refault_rate);
        assert_int_equal(d.cache_cushion_kb, 20);
        o = cushion_obs(15, 5, 1000000);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 28);

        /* readings missing: the cushion holds, and the next reading is a
         * new base, not a rate over the gap */
        o = cushion_obs(20, 1000000, 1000000);
        o.has_cache = false;
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 28);
        o = cushion_obs(25, 1000000, 1000000);
        d = tick(&s, &st, &o);
        assert_false(d.has_refault_rate);
        assert_int_equal(d.cache_cushion_kb, 28);

        /* time going backwards counts as one interval */
        o = cushion_obs(1, 1000000, 0);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 28 - 28 * 5 / 60);
}

static void test_cushion_watch_and_off(void **unused)
{
        struct sb_settings s = cushion_settings(), seed;
        struct sb_policy_state st, st2;
        struct sb_observation o;
        struct sb_decision d, dw, dw2;

        policy_state_init(&st);
        o = cushion_obs(0, 0, 1000000);
        (void)tick(&s, &st, &o);
        o = cushion_obs(5, 10000, 1000000);
        d = tick(&s, &st, &o);
        assert_int_equal(d.cache_cushion_kb, 40000);

        /* a look uses the cushion as it stands and reads no cache input */
        st2 = st;
        o = cushion_obs(6, 99999999, 0);
        assert_int_equal(policy_decide_watch(&s, &st, &o, PAGE, 0, &dw), 0);
        o.has_cache = false;
        assert_int_equal(policy_decide_watch(&s, &st, &o, PAGE, 0, &dw2), 0);
        assert_int_equal(dw.cache_cushion_kb, 40000);
        assert_int_equal(dw.goal_kb, dw2.goal_kb);
        assert_int_equal(dw.goal_kb, d.goal_kb);
        assert_memory_equal(&st, &st2, sizeof(st));

        /* the seed never gets it, with the same state and inputs */
        seed = s;
        seed.policy = SB_POLICY_SEED;
        seed.reserve = policy_default_reserve(SB_POLICY_SEED);
        o = cushion_obs(10, 20000, 1000000);
        st2 = st;
        d = tick(&seed, &st2, &o);
        assert_int_equal(d.cache_cushion_kb, 0);
        assert_int_equal(st2.cache_cushion_kb, 0);
        assert_int_equal(policy_decide_watch(&seed, &st, &o, PAGE, 0, &dw), 0);
        assert_int_equal(dw.cache_cushion_kb, 0);

        /* a reload that turns it off gives it back at once */
        policy_settings_changed(&s, &seed, &st);
        assert_int_equal(st.cache_cushion_kb, 0);
        assert_false(st.cache_have_last);
}

/* The seed with cache_cushion = yes decides exactly as without it, on
 * random cache inputs. */
static void test_cushion_seed_unchanged(void **unused)
{
        for (int seq = 0; seq < 2000; seq++) {
                struct sb_settings a, b;
                struct sb_policy_state sa, sb;
                uint64_t counter = rnd() % 1000000, t = 0;

                policy_settings_default(&a);
                a.down_hysteresis = (uint32_t)rnd_in(1, 16);
                b = a;
                b.cache_cushion = true;
                b.cache_cushion_rise_pct = (uint32_t)rnd_in(1, 1000);
                policy_state_init(&sa);
                policy_state_init(&sb);
                for (int i = 0; i < 20; i++) {
                        uint64_t total = rnd_in(100000, 4000000);
                        struct sb_observation o = {
                                .mem_total_kb = total, .committed_as_kb = rnd_in(0, total),
                                .totalreserve_kb = rnd_in(0, 20000), .max_kb = 4194304,
                                .balloon_current_kb = total + rnd_in(0, 70000),
                                .has_cache = rnd() % 4 != 0,
                                .active_file_kb = rnd_in(0, total),
                                .inactive_file_kb = rnd_in(0, total),
                                .workingset_refault_file = counter += rnd_in(0, 100000),
                                .has_time = true, .now_us = t += rnd_in(0, 10000000),
                        };
                        struct sb_decision da, db;

                        assert_int_equal(policy_decide(&a, &sa, &o, PAGE, &da), 0);
                        assert_int_equal(policy_decide(&b, &sb, &o, PAGE, &db), 0);
                        assert_memory_equal(&da, &db, sizeof(da));
                }
        }
}

static void test_cushion_validate(void **unused)
{
        struct sb_settings s = cushion_settings(), t;

        assert_int_equal(policy_validate(&s, PAGE), 0);
        t = s, t.cache_cushion_rise_pct = 0;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.cache_cushion_rise_pct = SB_CACHE_RISE_PCT_MAX + 1;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.cache_cushion_decay_s = 0;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.cache_cushion_decay_s = SB_CACHE_DECAY_S_MAX + 1;
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.cache_cushion_max = (struct sb_reserve){ true, 101 };
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        t = s, t.cache_cushion_max = (struct sb_reserve){ false, SB_MB_MAX + 1 };
        assert_int_equal(policy_validate(&t, PAGE), -EINVAL);
        /* off by default */
        policy_settings_default(&t);
        assert_false(t.cache_cushion);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_floor_branches),
                cmocka_unit_test(test_hysteresis),
                cmocka_unit_test(test_floor_wins_over_goal),
                cmocka_unit_test(test_kb_truncation_and_page_sizes),
                cmocka_unit_test(test_target_capped_at_max),
                cmocka_unit_test(test_current_below_memtotal_no_offset),
                cmocka_unit_test(test_extremes_never_wrap),
                cmocka_unit_test(test_reserve),
                cmocka_unit_test(test_frontswap_sequence),
                cmocka_unit_test(test_frontswap_first_observation_rearms),
                cmocka_unit_test(test_frontswap_goal),
                cmocka_unit_test(test_inertia_change_rearms),
                cmocka_unit_test(test_disabled),
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_random_against_reference),
                cmocka_unit_test(test_watch),
                cmocka_unit_test(test_watch_brake_held),
                cmocka_unit_test(test_watch_period),
                cmocka_unit_test(test_cushion_first_tick_rise_cap),
                cmocka_unit_test(test_cushion_decay),
                cmocka_unit_test(test_cushion_counter_reset),
                cmocka_unit_test(test_cushion_watch_and_off),
                cmocka_unit_test(test_cushion_seed_unchanged),
                cmocka_unit_test(test_cushion_validate),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
