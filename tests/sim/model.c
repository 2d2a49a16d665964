/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest model and the closed loop. What is modelled, and why (the
 * parameters and where each was measured: README.md):
 *
 * - The balloon starts at the toolstack's target and moves toward the
 *   daemon's target at a fixed speed, both ways, but never above Xen's cap
 *   (max_pages = target + 1 MiB as libxl sets it). Inflating it cannot take
 *   pages the guest uses: the driver allocates with __GFP_NORETRY and fails
 *   rather than OOM, so it stops at need + the min watermark.
 * - MemTotal = balloon current - a fixed kernel offset (kernel image,
 *   memmap, memblock reservations).
 * - totalreserve and the watermarks follow the kernel's formulas for the
 *   size at boot (calculate_totalreserve_pages(), __setup_per_zone_wmarks(),
 *   init_per_zone_wmark_min()); ballooning changes managed pages but
 *   recomputes none of them.
 * - The guest is short when what must stay resident (anon + shmem +
 *   unreclaimable kernel memory) exceeds MemTotal less the min watermark:
 *   with no swap and no page cache, that is an OOM kill. Reclaimable slab
 *   (a constant per trace) is in use until then, and reclaimed first.
 * - MemAvailable is si_mem_available() on those numbers; the model has no
 *   page cache, so the guest's file pages add nothing to it.
 * - The policy is the real core: policy_decide() every interval at the
 *   given phase, and with watch = yes the daemon's looks between ticks:
 *   policy_decide_watch() at the period policy_watch_period_ms() gives
 *   after each tick or look (late by the timer's slack; none when the tick
 *   comes first), on readings taken at that instant. A look's write is a
 *   new target like a tick's: the balloon gets there at its speed.
 */
#include <errno.h>
#include <math.h>

#include "sim.h"

#define PAGE_KB 4ULL
#define DMA_MANAGED_KB 15936ULL /* 3984 pages, as in tests/fixtures/domU-512 */
#define EPS 1e-9

static uint64_t isqrt(uint64_t x)
{
        uint64_t r = (uint64_t)sqrt((double)x);

        while (r * r > x)
                r--;
        while ((r + 1) * (r + 1) <= x)
                r++;
        return r;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
        return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
        return a < b ? a : b;
}

void model_init(const struct trace *t, struct guest_model *ret)
{
        uint64_t managed = t->boot_kb > t->kernel_offset_kb ? (t->boot_kb - t->kernel_offset_kb) / PAGE_KB : 1;
        uint64_t zone[2], min_free_kb, min_pages, mn[2], low[2], high[2], prot[2] = { 0, 0 };
        uint64_t reserve = 0, wmin = 0, wlow = 0;

        /* x86-64 PV guest up to 4 GiB: DMA and DMA32 */
        zone[0] = min_u64(DMA_MANAGED_KB / PAGE_KB, managed);
        zone[1] = managed - zone[0];
        min_free_kb = isqrt(managed * PAGE_KB * 16);
        if (min_free_kb < 128)
                min_free_kb = 128;
        if (min_free_kb > 262144)
                min_free_kb = 262144;
        min_pages = min_free_kb / PAGE_KB;
        prot[0] = zone[1] / 256; /* lowmem_reserve_ratio[DMA] */
        for (int z = 0; z < 2; z++) {
                uint64_t scale;

                mn[z] = min_pages * zone[z] / managed;
                scale = max_u64(mn[z] / 4, zone[z] * 10 / 10000); /* watermark_scale_factor 10 */
                low[z] = mn[z] + scale;
                high[z] = mn[z] + 2 * scale;
                reserve += min_u64(zone[z], high[z] + prot[z]);
                wmin += mn[z];
                wlow += low[z];
        }
        *ret = (struct guest_model){
                .wmark_min_kb = wmin * PAGE_KB,
                .wmark_low_kb = wlow * PAGE_KB,
                /* measured when the trace says, else the formula */
                .totalreserve_kb = t->totalreserve_kb ? t->totalreserve_kb : reserve * PAGE_KB,
        };
}

size_t sim_steps(const struct trace *t, const struct sim_options *o)
{
        return (size_t)(trace_end(t) / o->dt_s + 0.5);
}

static double need_kb(const struct trace_point *tp)
{
        return tp->anon_kb + tp->shmem_kb + tp->kernel_kb;
}

double model_mem_available_kb(const struct guest_model *g, double mem_total_kb, double need_kb,
                              double reclaimable_kb, double file_kb)
{
        /* the kernel shrinks reclaimable slab before free memory falls
         * below the min watermark */
        double rec = fmax(0, fmin(reclaimable_kb,
                                  mem_total_kb - need_kb - (double)g->wmark_min_kb));
        double free_kb = mem_total_kb - need_kb - rec - file_kb;
        double avail = free_kb - (double)g->totalreserve_kb + rec -
                       fmin(rec / 2, (double)g->wmark_low_kb) + file_kb -
                       fmin(file_kb / 2, (double)g->wmark_low_kb);

        return avail > 0 ? avail : 0;
}

/* The page cache (README.md, "The page cache"): what is resident of the hot
 * and the cold set, and the kernel's counter of refaults. */
struct cache {
        bool on;
        double hot_kb, cold_kb;   /* the sets' sizes */
        double hot_res, cold_res; /* resident */
        unsigned passes;
        double next_pass, cold_at;
        bool cold_done;
        double refault_kb;        /* workingset_refault_file, in kB */
        double before_kb;         /* MemTotal when the cold read came */
        double back_since;        /* MemTotal back near before_kb since then; -1: not */
};

/* What the page cache may use: MemTotal less what must stay, the
 * reclaimable slab and the high watermark, where kswapd stops reclaiming
 * (high = 2 low - min, __setup_per_zone_wmarks()). */
static double cache_room(const struct guest_model *g, double mem_total, double need,
                         double reclaimable)
{
        double rec = fmax(0, fmin(reclaimable, mem_total - need - (double)g->wmark_min_kb));
        double high = 2.0 * (double)g->wmark_low_kb - (double)g->wmark_min_kb;

        return fmax(0, mem_total - need - rec - high);
}

/* Evicts what no longer fits: the cold pages first (inactive), then hot. */
static void cache_fit(struct cache *c, double room)
{
        if (c->hot_res + c->cold_res <= room)
                return;
        c->cold_res = fmax(0, room - c->hot_res);
        c->hot_res = fmin(c->hot_res, room);
}

/* One step of the files workload at `now`: a pass of the hot reader reads
 * what is not resident (a refault from the second pass on: those pages
 * were read before), then holds all of it that fits; the cold read, once,
 * streams the cold set through the inactive list, which deactivates hot
 * pages while the inactive list is the smaller (inactive_is_low() with
 * ratio 1 below 1 GiB): the hot set keeps max(room / 2, room - cold). */
static void cache_step(struct cache *c, const struct sim_options *o, double now, double room,
                       double mem_total, struct sim_metrics *m)
{
        bool count = now + EPS >= o->files.warm_s;

        cache_fit(c, room);
        if (c->hot_kb > 0 && now + EPS >= c->next_pass) {
                double miss = c->hot_kb - c->hot_res;

                if (count)
                        m->hot_read_mb += miss / 1024;
                if (c->passes > 0) {
                        c->refault_kb += miss;
                        if (count)
                                m->refault_mb += miss / 1024;
                        if (count && !c->cold_done)
                                m->refault_pre_cold_mb += miss / 1024;
                }
                c->hot_res = fmin(c->hot_kb, room);
                cache_fit(c, room);
                c->passes++;
                c->next_pass += o->files.pass_s;
        }
        if (c->cold_kb > 0 && !c->cold_done && now + EPS >= c->cold_at) {
                c->hot_res = fmin(c->hot_res, fmax(room / 2, room - c->cold_kb));
                c->cold_res = fmin(c->cold_kb, fmax(0, room - c->hot_res));
                c->cold_done = true;
                c->before_kb = mem_total;
        }
}

/* One decision of the real core, a regular tick or a look; returns the
 * balloon target to set. */
static double decide(const struct trace *t, const struct sim_policy *p,
                     const struct sim_options *o, const struct guest_model *g,
                     struct sb_policy_state *st, const struct trace_point *tp, double now,
                     double current, double target, bool look, double *ret_period_s,
                     const struct cache *c, struct sim_metrics *m)
{
        double mem_total = current - (double)t->kernel_offset_kb;
        double file_kb = c->hot_res + c->cold_res;
        struct sb_observation obs = {
                .mem_total_kb = (uint64_t)mem_total,
                .committed_as_kb = (uint64_t)tp->committed_as_kb,
                .totalreserve_kb = g->totalreserve_kb,
                .max_kb = t->max_kb,
                .balloon_current_kb = (uint64_t)current,
                /* the trace's kernel memory is all unreclaimable slab to the core */
                .sunreclaim_kb = (uint64_t)tp->kernel_kb,
                .has_mem_available = true,
                .mem_available_kb = (uint64_t)model_mem_available_kb(
                        g, mem_total, need_kb(tp), (double)t->reclaimable_kb, file_kb),
                /* the page cache: hot pages are active from their second
                 * read, the rest is inactive */
                .has_cache = c->on,
                .active_file_kb = c->passes >= 2 ? (uint64_t)c->hot_res : 0,
                .inactive_file_kb = (uint64_t)(c->cold_res + (c->passes >= 2 ? 0 : c->hot_res)),
                .workingset_refault_file = (uint64_t)(c->refault_kb / PAGE_KB),
                .has_time = true,
                .now_us = (uint64_t)(now * 1e6 + 0.5),
        };
        struct sb_decision d;
        double tk;
        int r;

        /* the daemon's note_watch_period(): from this decision's readings */
        *ret_period_s = p->settings.watch && p->settings.enabled
                                ? (double)policy_watch_period_ms(&p->settings, &obs) / 1000
                                : 0;
        r = look ? policy_decide_watch(&p->settings, st, &obs, PAGE_KB * 1024, (uint64_t)target,
                                       &d)
                 : policy_decide(&p->settings, st, &obs, PAGE_KB * 1024, &d);
        if (r < 0 || !d.balloon)
                return target;
        if ((double)d.cache_cushion_kb / 1024 > m->max_cushion_mb)
                m->max_cushion_mb = (double)d.cache_cushion_kb / 1024;
        if (o->on_decision)
                o->on_decision(o->userdata, now, look, &obs, target, (double)d.target_kb,
                               *ret_period_s);
        if (d.target_kb > obs.max_kb || d.target_kb < d.floor_target_kb ||
            d.tgt_pages < d.floor_pages)
                m->violations++;
        tk = (double)d.target_kb;
        if (look && tk < target) /* the watch never lowers */
                m->lowered++;
        if (look && tk > target)
                m->raises++;
        return tk;
}

int sim_run(const struct trace *t, const struct sim_policy *p, const struct sim_options *o,
            struct sim_metrics *ret, struct sim_sample *samples, size_t n_samples)
{
        struct guest_model g;
        struct sb_policy_state st;
        struct sim_metrics m = { 0 };
        size_t steps = sim_steps(t, o);
        double current = (double)t->boot_kb, target = current;
        double offset = (double)t->kernel_offset_kb, interval = p->settings.interval_s;
        double next_tick = fmod(o->phase_s, interval);
        double up_kb = o->speed_up_mb_s * 1024 * o->dt_s;
        double down_kb = o->speed_down_mb_s * 1024 * o->dt_s;
        double held = 0, period = 0, next_look = -1;
        double rec[SIM_MAX_SPIKES] = { 0 };
        bool was_short = false;
        struct cache c = {
                .on = o->files.hot_pct > 0 || o->files.cold_pct > 0,
                .hot_kb = o->files.hot_pct / 100 * (double)t->max_kb,
                .cold_kb = o->files.cold_pct / 100 * (double)t->max_kb,
                .cold_at = o->files.cold_at_frac * trace_end(t),
                .back_since = -1,
        };

        if (steps == 0 || o->dt_s <= 0 || interval <= 0 || o->look_slack < 0)
                return -EINVAL;
        model_init(t, &g);
        policy_state_init(&st);
        for (size_t i = 0; i < steps; i++) {
                double now = (double)i * o->dt_s, later = now + o->dt_s;
                double need, want, sh;
                struct trace_point tp;
                bool regular, look;

                trace_at(t, now, &tp);
                need = need_kb(&tp);
                regular = now + EPS >= next_tick;
                look = !regular && next_look >= 0 && now + EPS >= next_look;
                if (regular) {
                        target = decide(t, p, o, &g, &st, &tp, now, current, target, false,
                                        &period, &c, &m);
                        next_tick += interval;
                        m.ticks++;
                } else if (look) {
                        target = decide(t, p, o, &g, &st, &tp, now, current, target, true,
                                        &period, &c, &m);
                        m.looks++;
                }
                /* the daemon's schedule_look(): the next look one period on,
                 * late by up to the timer's slack; none when the tick comes
                 * first (the tick re-arms it) */
                if (regular || look) {
                        double at = now + period * (1 + o->look_slack);

                        next_look = period > 0 && at < next_tick - EPS ? at : -1;
                }

                /* the balloon moves toward what it was told at its speed */
                want = target < (double)t->cap_kb ? target : (double)t->cap_kb;
                if (want > current) {
                        current = fmin(want, current + up_kb);
                } else if (want < current) {
                        double lowest = need + (double)g.wmark_min_kb + offset;
                        double nc = fmax(want, current - down_kb);

                        if (nc < lowest)
                                nc = lowest < current ? lowest : current;
                        current = nc;
                }

                if (c.on) {
                        double mt = current - offset;

                        cache_step(&c, o, now, cache_room(&g, mt, need, (double)t->reclaimable_kb),
                                   mt, &m);
                        if (c.cold_done) {
                                if (fabs(mt - c.before_kb) <= 0.05 * (double)t->max_kb) {
                                        if (c.back_since < 0)
                                                c.back_since = now;
                                } else {
                                        c.back_since = -1;
                                }
                        }
                }

                trace_at(t, later, &tp);
                sh = need_kb(&tp) - (current - offset - (double)g.wmark_min_kb);
                held += current;
                if (sh > 0) {
                        m.short_s += o->dt_s;
                        m.short_mbs += sh / 1024 * o->dt_s;
                        if (sh / 1024 > m.worst_mb)
                                m.worst_mb = sh / 1024;
                        if (!was_short)
                                m.ooms++;
                        for (size_t k = 0; k < t->n_spikes; k++)
                                if (later > t->spike_s[k] &&
                                    (k + 1 == t->n_spikes || later <= t->spike_s[k + 1]))
                                        rec[k] = later - t->spike_s[k];
                }
                was_short = sh > 0;
                if (samples && i < n_samples)
                        samples[i] = (struct sim_sample){
                                .t_s = later,
                                .need_mb = need_kb(&tp) / 1024,
                                .committed_mb = tp.committed_as_kb / 1024,
                                .mem_total_mb = (current - offset) / 1024,
                                .target_mb = target / 1024,
                        };
        }
        m.held_pct = held / (double)steps / (double)t->max_kb * 100;
        m.duration_s = (double)steps * o->dt_s;
        m.counted_s = fmax(0, m.duration_s - o->files.warm_s);
        m.pre_cold_s = fmax(0, (c.cold_kb > 0 ? c.cold_at : m.duration_s) - o->files.warm_s);
        m.cold_back_s = c.cold_done && c.back_since >= 0 ? c.back_since - c.cold_at : -1;
        for (size_t k = 0; k < t->n_spikes; k++)
                if (rec[k] > m.recover_s)
                        m.recover_s = rec[k];
        *ret = m;
        return 0;
}
