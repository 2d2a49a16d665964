/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The closed-loop simulator: demand traces drive a guest model whose balloon
 * follows the real policy core (policy_decide()), tick by tick.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define SIM_MAX_SPIKES 16

/* The step: a tenth of the watch's shortest period (watch_min_ms 100), so
 * that a look is at most 10 ms later than the daemon's. */
#define SIM_DT_S 0.01
/* The balloon's speed raising and lowering the target (README.md: where
 * they come from). */
#define SIM_BALLOON_UP_MB_S 200
#define SIM_BALLOON_DOWN_MB_S 100
/* daemon.c schedule_look(): the look's timer is armed a tenth of its period
 * early with a tenth of slack, so the latest it fires is the period itself;
 * the model takes that latest (0: on time; --look-slack makes it later). */
#define SIM_LOOK_SLACK 0.0

/* One row of a trace, kB. */
struct trace_point {
        double t_s;
        double committed_as_kb; /* Committed_AS: includes tmpfs data (shmem_acct_block) */
        double anon_kb;         /* resident anonymous memory */
        double shmem_kb;        /* tmpfs, SysV shm, memfd */
        double kernel_kb;       /* unreclaimable kernel memory: SUnreclaim, stacks, page tables */
};

struct trace {
        char name[64];
        char title[160];
        uint64_t max_kb;           /* memory/static-max (max_pfn) */
        uint64_t boot_kb;          /* the toolstack's target: the balloon starts there */
        uint64_t cap_kb;           /* Xen max_pages: boot + 1 MiB unless raised */
        uint64_t kernel_offset_kb; /* balloon current - MemTotal */
        uint64_t reclaimable_kb;   /* SReclaimable: counted in use, reclaimed before a shortage */
        uint64_t totalreserve_kb;  /* measured; 0: the kernel's formula for the boot size */
        size_t n_spikes;
        double spike_s[SIM_MAX_SPIKES];
        size_t n;
        struct trace_point *p;
};

int trace_load(const char *path, struct trace *ret, char *err, size_t errlen);
void trace_free(struct trace *t);
void trace_at(const struct trace *t, double t_s, struct trace_point *ret);
double trace_end(const struct trace *t);

/* What the guest kernel derives from its size at boot. The balloon changes
 * managed pages but no watermark is recomputed for it, so these stay. */
struct guest_model {
        uint64_t wmark_min_kb; /* sum over zones */
        uint64_t wmark_low_kb;
        uint64_t totalreserve_kb;
};

void model_init(const struct trace *t, struct guest_model *ret);
/* MemAvailable as si_mem_available() computes it for the model's guest:
 * free - totalreserve + reclaimable - min(reclaimable / 2, low watermark);
 * plus the page cache's file_kb - min(file_kb / 2, low watermark). */
double model_mem_available_kb(const struct guest_model *g, double mem_total_kb, double need_kb,
                              double reclaimable_kb, double file_kb);

/* A policy as the simulator runs it: a name and settings for the real core. */
struct sim_policy {
        const char *name;
        struct sb_settings settings;
};

/* The page-cache workload (README.md, "The page cache"): a hot set read
 * again every pass_s from the start, and a cold set read once at
 * cold_at_frac of the trace; sizes in % of static-max; 0: none. */
struct sim_files {
        double hot_pct;
        double cold_pct;
        double pass_s;
        double cold_at_frac;
        double warm_s; /* the reads before this are not counted */
};

struct sim_options {
        struct sim_files files;
        double dt_s;
        double speed_up_mb_s;   /* the balloon giving the guest memory */
        double speed_down_mb_s; /* the balloon taking it back */
        double phase_s;
        double look_slack;   /* a look fires this fraction of its period late */
        /* each decision, a tick or a look, with the target before it and
         * the period to the next look it set (may be NULL) */
        void (*on_decision)(void *userdata, double t_s, bool look,
                            const struct sb_observation *obs, double target_before_kb,
                            double target_kb, double period_s);
        void *userdata;
};

struct sim_metrics {
        double held_pct;   /* mean balloon current, % of max */
        double short_s;    /* time the guest needs more than it has */
        double short_mbs;  /* integral of the shortage, MB*s */
        double worst_mb;   /* largest shortage */
        unsigned ooms;     /* shortage episodes: each would be an OOM kill without swap */
        double recover_s;  /* worst over spikes: spike start to the end of its last shortage */
        uint64_t violations; /* decisions above max or below the floor */
        uint64_t lowered;    /* looks whose target is below the one before: must stay 0 */
        uint64_t ticks;      /* regular decisions */
        uint64_t looks;      /* the watch's wake-ups between ticks */
        uint64_t raises;     /* looks that raised the target */
        double duration_s;

        /* the page cache (with a files workload) */
        double hot_read_mb;     /* the hot set read from disk after warm_s */
        double refault_mb;      /* of which refaults (pages read before) */
        double cold_back_s;     /* from the cold read to MemTotal back within 5 % of
                                 * max of its value before; -1: never */
        double counted_s;       /* the time the reads were counted over */
        double refault_pre_cold_mb; /* refaults from warm_s to the cold read */
        double pre_cold_s;
        double max_cushion_mb;  /* the largest cache cushion the core asked for */
};

/* One sample per step, for plots (may be NULL). */
struct sim_sample {
        double t_s, need_mb, committed_mb, mem_total_mb, target_mb;
};

int sim_run(const struct trace *t, const struct sim_policy *p, const struct sim_options *o,
            struct sim_metrics *ret, struct sim_sample *samples, size_t n_samples);
size_t sim_steps(const struct trace *t, const struct sim_options *o);
