/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The self-ballooning policy: one observation of the guest in, one decision
 * out. Pure arithmetic: no I/O, no clock, no globals, no allocation.
 *
 * With policy SB_POLICY_SEED the arithmetic is the one of Linux's
 * drivers/xen/xen-selfballoon.c (selfballoon_process() and
 * frontswap_selfshrink(), as of commit bc1b0df59e), page for page.
 *
 * SB_POLICY_ADAPTIVE keeps that arithmetic (hysteresis, floor, balloon
 * scale, frontswap) and changes two things: the goal also counts the kernel
 * memory the seed misses (SUnreclaim + KernelStack + PageTables), so its
 * default cushion is a small fixed one instead of 10 %.
 *
 * Between ticks the daemon runs policy_decide_watch() for either policy: the
 * same arithmetic on fresh readings, raise only.
 *
 * The cache cushion (cache_cushion = yes, SB_POLICY_ADAPTIVE only: the
 * seed's goal stays the seed's) adds to the goal a cushion for the guest's
 * working file cache: it rises by what the guest refaults (the kernel's
 * workingset_refault_file, pages evicted from the page cache and read back
 * soon after) and decays, with a time constant, towards the part of it that
 * Active(file) still shows in use, less the room Inactive(file) shows it
 * does not need. Updated on regular ticks only, from
 * counter and time deltas; the watch reuses it as it stands.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum sb_policy {
        SB_POLICY_SEED,
        SB_POLICY_ADAPTIVE,
        _SB_POLICY_MAX,
};

/* reserved_mb is either a fixed number of MB or a percentage of MemTotal
 * as first observed (the seed's default is 10 %). */
struct sb_reserve {
        bool percent;
        uint64_t value; /* MB, or percent 0..100 */
};

struct sb_settings {
        bool enabled;
        uint32_t interval_s;
        uint32_t down_hysteresis;
        uint32_t up_hysteresis;
        uint64_t min_usable_mb; /* 0: the seed's piecewise floor */
        struct sb_reserve reserve;
        enum sb_policy policy;

        bool frontswap_selfshrink;
        uint32_t frontswap_hysteresis;
        uint32_t frontswap_inertia;

        /* the watch: looks between ticks, raise only */
        bool watch;
        uint32_t watch_rate_mb_s; /* the fastest allocation the operator expects */
        uint32_t watch_min_ms;    /* the shortest period between looks */
        uint64_t watch_low_mb;    /* MemAvailable below this: grow by the rest */

        /* the brake (brake.h): MemoryHigh= on the top-level slices */
        bool brake;
        uint64_t brake_margin_mb; /* kept free above the kernel's reserve */

        /* the cache cushion (SB_POLICY_ADAPTIVE only) */
        bool cache_cushion;
        struct sb_reserve cache_cushion_max; /* MB, or % of MemTotal as first observed */
        uint32_t cache_cushion_rise_pct;     /* % of each refaulted kB added to the cushion */
        uint32_t cache_cushion_decay_s;      /* time constant of the decay, seconds */
};

/* One tick's readings, in kB as userspace reads them, except frontswap. */
struct sb_observation {
        uint64_t mem_total_kb;       /* MemTotal: the kernel's totalram_pages */
        uint64_t committed_as_kb;    /* Committed_AS */
        uint64_t totalreserve_kb;    /* from /proc/zoneinfo */
        uint64_t max_kb;             /* memory/static-max: stands in for max_pfn */
        uint64_t balloon_current_kb; /* balloon info/current_kb */
        bool has_frontswap;          /* a frontswap count was observed */
        uint64_t frontswap_pages;

        /* Read by SB_POLICY_ADAPTIVE only; 0 when the kernel lacks them. */
        uint64_t sunreclaim_kb;      /* SUnreclaim */
        uint64_t kernel_stack_kb;    /* KernelStack */
        uint64_t page_tables_kb;     /* PageTables */
        bool has_mem_available;      /* fast path: MemAvailable was read */
        uint64_t mem_available_kb;   /* MemAvailable (Linux 3.14+) */

        /* The watch only: a slice is held at the brake's MemoryHigh= (its
         * memory.events "high" went up since the last look). */
        bool brake_held;

        /* The cache cushion's inputs, regular ticks only. has_cache: the
         * three were read; has_time: now_us is a time (the daemon's
         * monotonic clock, a replay's t_s); without it a tick counts as
         * one interval. */
        bool has_cache;
        uint64_t active_file_kb;          /* Active(file) */
        uint64_t inactive_file_kb;        /* Inactive(file) */
        uint64_t workingset_refault_file; /* /proc/vmstat, pages, a counter since boot */
        bool has_time;
        uint64_t now_us;
};

/* What the policy remembers between ticks (the seed's static variables). */
struct sb_policy_state {
        bool started;
        uint64_t first_totalram_pages; /* the base of a percent reserve */
        uint64_t frontswap_last_pages;
        uint64_t frontswap_inertia_counter;

        /* the cache cushion: its size, and the last tick's counter and time */
        uint64_t cache_cushion_kb;
        bool cache_have_last;
        uint64_t cache_last_refault;
        bool cache_last_has_time;
        uint64_t cache_last_us;
};

struct sb_decision {
        bool balloon;         /* false when selfballooning is disabled */
        uint64_t target_kb;   /* balloon scale: what to hand the balloon */
        uint64_t goal_kb;     /* MemTotal scale */
        uint64_t floor_kb;    /* MemTotal scale */
        uint64_t floor_target_kb; /* the floor on the balloon scale, capped at max */
        uint64_t target_pages;
        uint64_t goal_pages;
        uint64_t floor_pages;
        uint64_t tgt_pages;   /* MemTotal scale, before the balloon offset */
        uint64_t reserved_mb; /* the reserve in effect */

        bool frontswap_shrink;
        uint64_t frontswap_target_pages;

        bool watch_raise; /* policy_decide_watch(): target_kb is a raise */

        /* the cache cushion in the goal (0 when off), and this tick's
         * refaults: has_refault_rate is false on the first tick, after a
         * counter reset and on a look */
        uint64_t cache_cushion_kb;
        bool has_refault_rate;
        uint64_t refault_kb;        /* refaulted since the last tick, kB */
        uint64_t refault_kb_per_min;
};

/* The defaults of /etc/selfballoon.conf (the seed's, with its policy). */
void policy_settings_default(struct sb_settings *ret);

/* The reserve a policy uses when reserved_mb is not set: 10 % of MemTotal
 * for the seed (commit bc1b0df59e), SB_ADAPTIVE_RESERVE_MB for adaptive. */
struct sb_reserve policy_default_reserve(enum sb_policy p);

void policy_state_init(struct sb_policy_state *ret);

/* Returns 0, or -EINVAL for a page size that is not a power of two between
 * 1 KiB and 1 MiB, or settings out of their documented ranges, or an MB
 * setting the seed's MB2PAGES() would wrap with this page size. */
int policy_validate(const struct sb_settings *s, uint64_t page_size);

/* The reserve in MB that the settings mean, given MemTotal at start. */
uint64_t policy_reserved_mb(const struct sb_reserve *r, uint64_t first_totalram_pages,
                            unsigned page_shift);

/*
 * Decide one tick. Updates *state (first observation, frontswap history).
 * Returns 0, or -EINVAL (bad page size or settings; *state untouched).
 */
int policy_decide(const struct sb_settings *s, struct sb_policy_state *state,
                  const struct sb_observation *obs, uint64_t page_size,
                  struct sb_decision *ret);

/*
 * The watch, between ticks, for every policy: the regular decision on fresh
 * readings without up_hysteresis (the seed's goal evaluated more often),
 * and, when MemAvailable is below watch_low_mb, balloon_target_kb plus what
 * is missing of it, whichever is larger, never above static-max. A slice
 * held at the brake's limit (obs->brake_held) is a look even with the
 * watch off, and once the balloon has reached balloon_target_kb it adds
 * policy_brake_step_mb() to it: the slice is missing an amount nobody
 * reports, and the brake keeps the guest's free memory where neither
 * trigger above fires, so without it a held slice would stay held. It only
 * raises: ret->watch_raise says whether target_kb is above
 * balloon_target_kb (else target_kb is balloon_target_kb). *state is read
 * only; the frontswap shrink is the regular tick's. ret->balloon is false
 * when ballooning or the watch is disabled.
 */
/* Whether the cache cushion is in effect: cache_cushion = yes with a
 * policy that has it (adaptive), ballooning enabled. */
bool policy_cache_cushion_on(const struct sb_settings *s);

/* What one held look adds: the larger of watch_low_mb and brake_margin_mb,
 * at least 4 MiB. */
uint64_t policy_brake_step_mb(const struct sb_settings *s);

int policy_decide_watch(const struct sb_settings *s, const struct sb_policy_state *state,
                        const struct sb_observation *obs, uint64_t page_size,
                        uint64_t balloon_target_kb, struct sb_decision *ret);

/* How long until the next look: the headroom above watch_low_mb that an
 * allocator at watch_rate_mb_s eats in that time, between watch_min_ms and
 * the interval; watch_min_ms without MemAvailable. */
uint64_t policy_watch_period_ms(const struct sb_settings *s, const struct sb_observation *obs);

/* The seed resets its inertia countdown when the inertia tunable is
 * written; call this when a reload changes it. */
void policy_settings_changed(const struct sb_settings *old_s, const struct sb_settings *new_s,
                             struct sb_policy_state *state);

const char *policy_to_string(enum sb_policy p);
int policy_from_string(const char *s, enum sb_policy *ret);

/* Ranges shared by the config parser, the docs and the tests. */
#define SB_INTERVAL_MIN 1U
#define SB_INTERVAL_MAX 3600U
#define SB_HYSTERESIS_MIN 1U
#define SB_HYSTERESIS_MAX 1000000U
/* The MB settings (min_usable_mb, reserved_mb) stay below the wrap of the
 * seed's MB2PAGES(), which shifts an unsigned int: with 4 KiB pages, 2^24 MB
 * would be 2^32 pages, 0 to the seed. policy_validate() lowers the limit for
 * pages under 4 KiB. SB_MB_MAX_NUMBER is for the docs' text (STRINGIFY). */
#define SB_MB_MAX_NUMBER 16777215
#define SB_MB_MAX ((uint64_t)SB_MB_MAX_NUMBER)
#define SB_PERCENT_MAX 100U

/* SB_POLICY_ADAPTIVE's cushion above Committed_AS + kernel memory, in MB,
 * when reserved_mb is not set. */
#define SB_ADAPTIVE_RESERVE_MB 12U

/* The watch's settings: ranges and defaults. The default rate, 128 MB/s, is
 * about twice what a process touches in the e2e guest under TCG (58-61 MiB/s
 * measured); at the idle floor of that 1 GiB guest (MemAvailable ~95 MiB) it
 * makes a look every ~0.6 s. Faster allocators are the brake's to hold. */
#define SB_WATCH_RATE_MIN 1U
#define SB_WATCH_RATE_MAX 1000000U
#define SB_WATCH_RATE_DEFAULT 128U
#define SB_WATCH_MIN_MS_MIN 10U
#define SB_WATCH_MIN_MS_MAX 3600000U
#define SB_WATCH_MIN_MS_DEFAULT 100U
#define SB_WATCH_LOW_MB_DEFAULT 16U
/* The brake's margin: free memory a slice at its limit still leaves above
 * the kernel's reserve, for the rest of the guest (the daemon's own slice,
 * the kernel) while the balloon grows. */
#define SB_BRAKE_MARGIN_MB_DEFAULT 16U

/* The cache cushion's ranges and defaults. Off by default: no real-guest
 * measurement supports it yet (tests/e2e/README.md, page-cache). The max is
 * a share of MemTotal at start, like the seed's reserve (25 % of the e2e
 * 1 GiB guest: 245 MB, room for its 128 MiB hot set and 2x headroom); a
 * rise of 100 % adds what was refaulted; the decay's time constant, 60 s,
 * gives back all but e^-3 (5 %) of an unused cushion in 3 minutes. */
#define SB_CACHE_CUSHION_MAX_PCT_DEFAULT 25U
#define SB_CACHE_RISE_PCT_MIN 1U
#define SB_CACHE_RISE_PCT_MAX 1000U
#define SB_CACHE_RISE_PCT_DEFAULT 100U
#define SB_CACHE_DECAY_S_MIN 1U
#define SB_CACHE_DECAY_S_MAX 86400U
#define SB_CACHE_DECAY_S_DEFAULT 60U
