/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The seed's arithmetic, restated for userspace. The kernel works in pages
 * of unsigned long; so do we, with uint64_t. Where a kernel value could
 * never make the kernel's expression wrap but our inputs (read from files,
 * typed by people) can, we saturate instead of wrapping; for every input a
 * kernel can show, the result is the kernel's to the page.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "policy.h"

static uint64_t add_sat(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sub_floor0(uint64_t a, uint64_t b)
{
        return a > b ? a - b : 0;
}

/* x << s without losing high bits: saturate. */
static uint64_t shl_sat(uint64_t x, unsigned s)
{
        if (s == 0)
                return x;
        return x > (UINT64_MAX >> s) ? UINT64_MAX : x << s;
}

static int page_shift_of(uint64_t page_size, unsigned *ret)
{
        /* 1 KiB .. 1 MiB, so that both kB->pages and MB->pages are shifts. */
        if (page_size < 1024 || page_size > (1U << 20) || (page_size & (page_size - 1)))
                return -EINVAL;
        *ret = (unsigned)__builtin_ctzll(page_size);
        return 0;
}

static uint64_t kb_to_pages(uint64_t kb, unsigned shift)
{
        return kb >> (shift - 10);
}

static uint64_t pages_to_kb(uint64_t pages, unsigned shift)
{
        return shl_sat(pages, shift - 10);
}

/* The seed's MB2PAGES() and PAGES2MB(). */
static uint64_t mb_to_pages(uint64_t mb, unsigned shift)
{
        return shl_sat(mb, 20 - shift);
}

static uint64_t pages_to_mb(uint64_t pages, unsigned shift)
{
        return pages >> (20 - shift);
}

void policy_settings_default(struct sb_settings *ret)
{
        *ret = (struct sb_settings){
                .enabled = true,
                .interval_s = 5,
                .down_hysteresis = 8,
                .up_hysteresis = 1,
                .min_usable_mb = 0,
                .reserve = { .percent = true, .value = 10 },
                .policy = SB_POLICY_SEED,
                .frontswap_selfshrink = true,
                .frontswap_hysteresis = 20,
                .frontswap_inertia = 3,
                .watch = true,
                .watch_rate_mb_s = SB_WATCH_RATE_DEFAULT,
                .watch_min_ms = SB_WATCH_MIN_MS_DEFAULT,
                .watch_low_mb = SB_WATCH_LOW_MB_DEFAULT,
                .brake = false,
                .brake_margin_mb = SB_BRAKE_MARGIN_MB_DEFAULT,
                .cache_cushion = false,
                .cache_cushion_max = { .percent = true,
                                       .value = SB_CACHE_CUSHION_MAX_PCT_DEFAULT },
                .cache_cushion_rise_pct = SB_CACHE_RISE_PCT_DEFAULT,
                .cache_cushion_decay_s = SB_CACHE_DECAY_S_DEFAULT,
        };
}

struct sb_reserve policy_default_reserve(enum sb_policy p)
{
        if (p == SB_POLICY_ADAPTIVE)
                return (struct sb_reserve){ .percent = false, .value = SB_ADAPTIVE_RESERVE_MB };
        return (struct sb_reserve){ .percent = true, .value = 10 };
}

void policy_state_init(struct sb_policy_state *ret)
{
        /* The seed's statics start at zero. */
        *ret = (struct sb_policy_state){ 0 };
}

static bool in_range(uint64_t v, uint64_t lo, uint64_t hi)
{
        return v >= lo && v <= hi;
}

_Static_assert(SB_MB_MAX == UINT32_MAX >> (20 - 12), "SB_MB_MAX: MB2PAGES() wraps above it");

/* The most MB that the seed's MB2PAGES(), an unsigned int shifted left,
 * turns into pages without wrapping. */
static uint64_t mb_max(unsigned shift)
{
        uint64_t m = UINT32_MAX >> (20 - shift);

        return m < SB_MB_MAX ? m : SB_MB_MAX;
}

int policy_validate(const struct sb_settings *s, uint64_t page_size)
{
        unsigned shift;

        if (page_shift_of(page_size, &shift) < 0)
                return -EINVAL;
        if (!in_range(s->interval_s, SB_INTERVAL_MIN, SB_INTERVAL_MAX) ||
            !in_range(s->down_hysteresis, SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX) ||
            !in_range(s->up_hysteresis, SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX) ||
            !in_range(s->frontswap_hysteresis, SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX) ||
            !in_range(s->frontswap_inertia, SB_HYSTERESIS_MIN, SB_HYSTERESIS_MAX) ||
            s->min_usable_mb > mb_max(shift) ||
            !in_range(s->watch_rate_mb_s, SB_WATCH_RATE_MIN, SB_WATCH_RATE_MAX) ||
            !in_range(s->watch_min_ms, SB_WATCH_MIN_MS_MIN, SB_WATCH_MIN_MS_MAX) ||
            s->watch_low_mb > SB_MB_MAX || s->brake_margin_mb > SB_MB_MAX ||
            !in_range(s->cache_cushion_rise_pct, SB_CACHE_RISE_PCT_MIN, SB_CACHE_RISE_PCT_MAX) ||
            !in_range(s->cache_cushion_decay_s, SB_CACHE_DECAY_S_MIN, SB_CACHE_DECAY_S_MAX))
                return -EINVAL;
        if (s->reserve.percent ? s->reserve.value > SB_PERCENT_MAX
                               : s->reserve.value > mb_max(shift))
                return -EINVAL;
        if (s->cache_cushion_max.percent ? s->cache_cushion_max.value > SB_PERCENT_MAX
                                         : s->cache_cushion_max.value > mb_max(shift))
                return -EINVAL;
        if ((unsigned)s->policy >= _SB_POLICY_MAX)
                return -EINVAL;
        return 0;
}

uint64_t policy_reserved_mb(const struct sb_reserve *r, uint64_t first_totalram_pages,
                            unsigned page_shift)
{
        uint64_t t = first_totalram_pages, pages;

        if (!r->percent)
                return r->value;
        /* t * N / 100 without overflow: t = 100q + r, so
         * t*N/100 = q*N + r*N/100 exactly (integer division). */
        pages = (t / 100) * r->value + ((t % 100) * r->value) / 100;
        return pages_to_mb(pages, page_shift);
}

/* The seed's piecewise floor, or the explicit minimum. */
static uint64_t floor_pages_of(uint64_t max_pages, uint64_t reserve_pages, uint64_t min_usable_mb,
                               unsigned shift)
{
        uint64_t useful = sub_floor0(max_pages, reserve_pages);

        if (min_usable_mb != 0)
                return add_sat(reserve_pages, mb_to_pages(min_usable_mb, shift));
        if (useful < mb_to_pages(16, shift))
                return max_pages; /* not worth ballooning */
        if (useful < mb_to_pages(64, shift))
                return add_sat(reserve_pages, mb_to_pages(16, shift) +
                                                      ((useful - mb_to_pages(16, shift)) >> 1));
        if (useful < mb_to_pages(512, shift))
                return add_sat(reserve_pages, mb_to_pages(40, shift) +
                                                      ((useful - mb_to_pages(40, shift)) >> 3));
        return add_sat(reserve_pages,
                       mb_to_pages(99, shift) + ((useful - mb_to_pages(99, shift)) >> 5));
}

static void frontswap_decide(const struct sb_settings *s, struct sb_policy_state *st,
                             uint64_t cur, struct sb_decision *d)
{
        uint64_t last = st->frontswap_last_pages;

        st->frontswap_last_pages = cur;
        if (cur == 0 || cur > last) {
                st->frontswap_inertia_counter = s->frontswap_inertia;
                return;
        }
        /* Count down; not re-armed after a shrink, so a stable count keeps
         * shrinking by about 1/hysteresis every tick. */
        if (st->frontswap_inertia_counter != 0 && --st->frontswap_inertia_counter != 0)
                return;
        d->frontswap_shrink = true;
        d->frontswap_target_pages = cur <= s->frontswap_hysteresis
                                            ? 0
                                            : cur - cur / s->frontswap_hysteresis;
}

/* Committed_AS plus what the policy adds to it, in pages. */
static uint64_t demand_pages(const struct sb_settings *s, const struct sb_observation *obs,
                             unsigned shift)
{
        uint64_t kb = obs->committed_as_kb;

        if (s->policy == SB_POLICY_ADAPTIVE)
                kb = add_sat(add_sat(add_sat(kb, obs->sunreclaim_kb), obs->kernel_stack_kb),
                             obs->page_tables_kb);
        return kb_to_pages(kb, shift);
}

/* selfballoon_process()'s arithmetic: goal, hysteresis, floor, balloon scale. */
static void balloon_decide(const struct sb_settings *s, uint64_t reserved_mb,
                           uint64_t cushion_kb, const struct sb_observation *obs, bool frontswap,
                           unsigned shift, struct sb_decision *d)
{
        uint64_t cur, goal, tgt, floor_p, reserve_p, max_p, current_p, offset, floor_target;

        cur = kb_to_pages(obs->mem_total_kb, shift);
        reserve_p = kb_to_pages(obs->totalreserve_kb, shift);
        max_p = kb_to_pages(obs->max_kb, shift);
        current_p = kb_to_pages(obs->balloon_current_kb, shift);

        goal = add_sat(add_sat(demand_pages(s, obs, shift), reserve_p),
                       mb_to_pages(reserved_mb, shift));
        if (frontswap)
                goal = add_sat(goal, obs->frontswap_pages);
        if (cushion_kb != 0) /* never with the seed: its goal stays the seed's */
                goal = add_sat(goal, kb_to_pages(cushion_kb, shift));

        if (cur > goal)
                tgt = cur - (cur - goal) / s->down_hysteresis;
        else if (cur < goal)
                tgt = cur + (goal - cur) / s->up_hysteresis;
        else
                tgt = cur;

        floor_p = floor_pages_of(max_p, reserve_p, s->min_usable_mb, shift);
        if (tgt < floor_p)
                tgt = floor_p;

        d->balloon = true;
        d->goal_pages = goal;
        d->floor_pages = floor_p;
        d->tgt_pages = tgt;
        /* Balloon scale. Two deviations, for inputs no kernel shows:
         * current below MemTotal contributes no offset, and the
         * target never exceeds static-max. */
        offset = sub_floor0(current_p, cur);
        d->target_pages = add_sat(tgt, offset);
        if (d->target_pages > max_p)
                d->target_pages = max_p;
        d->target_kb = pages_to_kb(d->target_pages, shift);
        d->goal_kb = pages_to_kb(goal, shift);
        d->floor_kb = pages_to_kb(floor_p, shift);
        /* what a caller that clamps the target must not go below */
        floor_target = add_sat(floor_p, offset);
        d->floor_target_kb = pages_to_kb(floor_target < max_p ? floor_target : max_p, shift);
}

bool policy_cache_cushion_on(const struct sb_settings *s)
{
        return s->enabled && s->cache_cushion && s->policy == SB_POLICY_ADAPTIVE;
}

static void cushion_forget(struct sb_policy_state *st)
{
        st->cache_cushion_kb = 0;
        st->cache_have_last = false;
        st->cache_last_has_time = false;
}

/* a * b / c for b <= c, without overflow: a saturated product would lose
 * the division, so divide first when a is large. */
static uint64_t mul_div_le1(uint64_t a, uint64_t b, uint64_t c)
{
        if (c == 0)
                return 0;
        if (b != 0 && a > UINT64_MAX / b)
                return a / c * b;
        return a * b / c;
}

/*
 * One regular tick of the cache cushion: decay first, towards what
 * Active(file) shows in use less what Inactive(file) shows unused, by
 * dt / decay_s of the rest (all of it when dt >= decay_s); then rise by rise_pct % of what was refaulted since the
 * last tick; then the cap. Without a previous counter (first tick, a reset
 * or wrap, the readings missing last time) nothing rises and no rate is
 * reported; without times, a tick counts as one interval.
 */
static void cushion_update(const struct sb_settings *s, struct sb_policy_state *st,
                           const struct sb_observation *obs, unsigned shift,
                           struct sb_decision *d)
{
        uint64_t dt_ms, tau_ms, floor_kb, above, max_kb, refault_kb = 0, c = st->cache_cushion_kb;
        bool have_delta;

        if (!obs->has_cache) { /* hold: nothing to judge by; the next reading starts afresh */
                st->cache_have_last = false;
                d->cache_cushion_kb = c;
                return;
        }
        have_delta = st->cache_have_last && obs->workingset_refault_file >= st->cache_last_refault;
        if (obs->has_time && st->cache_last_has_time && obs->now_us >= st->cache_last_us)
                dt_ms = (obs->now_us - st->cache_last_us) / 1000;
        else
                dt_ms = (uint64_t)s->interval_s * 1000;

        if (st->cache_have_last) { /* decay needs a previous tick to measure dt from */
                tau_ms = (uint64_t)s->cache_cushion_decay_s * 1000;
                /* what it must keep: the active file pages it may be
                 * holding, less the inactive ones, which fill any room the
                 * hot set does not need (a cushion larger than needed
                 * shows as inactive pages) */
                floor_kb = sub_floor0(c, obs->inactive_file_kb);
                if (floor_kb > obs->active_file_kb)
                        floor_kb = obs->active_file_kb;
                above = c - floor_kb;
                c -= dt_ms >= tau_ms ? above : mul_div_le1(above, dt_ms, tau_ms);
        }
        if (have_delta) {
                refault_kb = shl_sat(obs->workingset_refault_file - st->cache_last_refault,
                                     shift - 10);
                c = add_sat(c, refault_kb / 100 > UINT64_MAX / s->cache_cushion_rise_pct
                                       ? UINT64_MAX
                                       : refault_kb / 100 * s->cache_cushion_rise_pct +
                                                 refault_kb % 100 * s->cache_cushion_rise_pct /
                                                         100);
                d->has_refault_rate = true;
                d->refault_kb = refault_kb;
                d->refault_kb_per_min = dt_ms == 0 ? refault_kb
                                                   : (refault_kb > UINT64_MAX / 60000
                                                              ? refault_kb / dt_ms * 60000
                                                              : refault_kb * 60000 / dt_ms);
        }
        max_kb = shl_sat(policy_reserved_mb(&s->cache_cushion_max, st->first_totalram_pages,
                                            shift),
                         10);
        if (c > max_kb)
                c = max_kb;

        st->cache_cushion_kb = c;
        st->cache_have_last = true;
        st->cache_last_refault = obs->workingset_refault_file;
        st->cache_last_has_time = obs->has_time;
        st->cache_last_us = obs->now_us;
        d->cache_cushion_kb = c;
}

int policy_decide(const struct sb_settings *s, struct sb_policy_state *state,
                  const struct sb_observation *obs, uint64_t page_size, struct sb_decision *ret)
{
        struct sb_decision d = { 0 };
        unsigned shift;
        bool frontswap = s->frontswap_selfshrink && obs->has_frontswap;

        if (policy_validate(s, page_size) < 0 || page_shift_of(page_size, &shift) < 0)
                return -EINVAL;

        if (!state->started) {
                state->started = true;
                state->first_totalram_pages = kb_to_pages(obs->mem_total_kb, shift);
        }
        d.reserved_mb = policy_reserved_mb(&s->reserve, state->first_totalram_pages, shift);

        if (policy_cache_cushion_on(s))
                cushion_update(s, state, obs, shift, &d);
        else
                cushion_forget(state);
        if (s->enabled)
                balloon_decide(s, d.reserved_mb, d.cache_cushion_kb, obs, frontswap, shift, &d);
        if (frontswap)
                frontswap_decide(s, state, obs->frontswap_pages, &d);

        *ret = d;
        return 0;
}

int policy_decide_watch(const struct sb_settings *s, const struct sb_policy_state *state,
                        const struct sb_observation *obs, uint64_t page_size,
                        uint64_t balloon_target_kb, struct sb_decision *ret)
{
        struct sb_settings up = *s;
        struct sb_decision d = { 0 };
        uint64_t first, low, avail, t;
        unsigned shift;

        if (policy_validate(s, page_size) < 0 || page_shift_of(page_size, &shift) < 0)
                return -EINVAL;
        /* before the first regular tick there is no reserve base yet */
        first = state->started ? state->first_totalram_pages
                               : kb_to_pages(obs->mem_total_kb, shift);
        d.reserved_mb = policy_reserved_mb(&s->reserve, first, shift);
        if (!s->enabled || (!s->watch && !obs->brake_held)) {
                *ret = d;
                return 0;
        }

        /* the policy's own arithmetic on the fresh readings, without the
         * hysteresis that would only slow a raise down */
        up.up_hysteresis = 1;
        /* the cushion as the last tick left it: a look reads no cache input */
        d.cache_cushion_kb = policy_cache_cushion_on(s) ? state->cache_cushion_kb : 0;
        balloon_decide(&up, d.reserved_mb, d.cache_cushion_kb, obs,
                       s->frontswap_selfshrink && obs->has_frontswap, shift, &d);

        /* below the level, grow by what is missing of it at once */
        low = mb_to_pages(s->watch_low_mb, shift);
        avail = kb_to_pages(obs->mem_available_kb, shift);
        if (obs->has_mem_available && avail < low) {
                t = add_sat(kb_to_pages(balloon_target_kb, shift), low - avail);
                if (t > d.target_pages)
                        d.target_pages = t;
        }
        /* held at the brake's limit: a step more, once the last one landed */
        if (obs->brake_held && add_sat(obs->balloon_current_kb, 1024) >= balloon_target_kb) {
                t = add_sat(kb_to_pages(balloon_target_kb, shift),
                            mb_to_pages(policy_brake_step_mb(s), shift));
                if (t > d.target_pages)
                        d.target_pages = t;
        }
        if (d.target_pages > kb_to_pages(obs->max_kb, shift))
                d.target_pages = kb_to_pages(obs->max_kb, shift);
        d.target_kb = pages_to_kb(d.target_pages, shift);
        /* raise only: never below what the balloon was already told */
        d.watch_raise = d.target_kb > balloon_target_kb;
        if (!d.watch_raise)
                d.target_kb = balloon_target_kb;
        *ret = d;
        return 0;
}

uint64_t policy_brake_step_mb(const struct sb_settings *s)
{
        uint64_t mb = s->watch_low_mb > s->brake_margin_mb ? s->watch_low_mb : s->brake_margin_mb;

        return mb > 4 ? mb : 4;
}

uint64_t policy_watch_period_ms(const struct sb_settings *s, const struct sb_observation *obs)
{
        uint64_t low_kb = s->watch_low_mb * 1024, headroom_kb, ms, max_ms;

        max_ms = (uint64_t)s->interval_s * 1000;
        if (!obs->has_mem_available)
                return s->watch_min_ms < max_ms ? s->watch_min_ms : max_ms;
        /* the fastest allocator the operator expects eats the headroom
         * above the level in this long: look again before it is gone */
        headroom_kb = obs->mem_available_kb > low_kb ? obs->mem_available_kb - low_kb : 0;
        ms = headroom_kb * 1000 / ((uint64_t)s->watch_rate_mb_s * 1024);
        if (ms < s->watch_min_ms)
                ms = s->watch_min_ms;
        return ms < max_ms ? ms : max_ms;
}

void policy_settings_changed(const struct sb_settings *old_s, const struct sb_settings *new_s,
                             struct sb_policy_state *state)
{
        if (old_s->frontswap_inertia != new_s->frontswap_inertia)
                state->frontswap_inertia_counter = new_s->frontswap_inertia;
        /* a cushion turned off is given back at once; turned on, it starts
         * from nothing */
        if (!policy_cache_cushion_on(new_s))
                cushion_forget(state);
}

static const char *const policy_names[_SB_POLICY_MAX] = {
        [SB_POLICY_SEED] = "seed",
        [SB_POLICY_ADAPTIVE] = "adaptive",
};

const char *policy_to_string(enum sb_policy p)
{
        return (unsigned)p < _SB_POLICY_MAX ? policy_names[p] : NULL;
}

int policy_from_string(const char *s, enum sb_policy *ret)
{
        for (size_t i = 0; i < _SB_POLICY_MAX; i++)
                if (strcmp(s, policy_names[i]) == 0) {
                        *ret = (enum sb_policy)i;
                        return 0;
                }
        return -EINVAL;
}
