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

/* A policy as the simulator runs it: settings for the real core, plus how
 * the guest's PSI behaves for a policy with a fast path. */
struct sim_policy {
        const char *name;
        struct sb_settings settings;
};

struct sim_options {
        double dt_s;
        double speed_mb_s; /* the balloon, both ways */
        double phase_s;
};

struct sim_metrics {
        double held_pct;   /* mean balloon current, % of max */
        double short_s;    /* time the guest needs more than it has */
        double short_mbs;  /* integral of the shortage, MB*s */
        double worst_mb;   /* largest shortage */
        unsigned ooms;     /* shortage episodes: each would be an OOM kill without swap */
        double recover_s;  /* worst over spikes: spike start to the end of its last shortage */
        uint64_t violations; /* decisions above max or below the floor */
        uint64_t ticks, fast_ticks, polls;
};

/* One sample per step, for plots (may be NULL). */
struct sim_sample {
        double t_s, need_mb, committed_mb, mem_total_mb, target_mb;
};

int sim_run(const struct trace *t, const struct sim_policy *p, const struct sim_options *o,
            struct sim_metrics *ret, struct sim_sample *samples, size_t n_samples);
size_t sim_steps(const struct trace *t, const struct sim_options *o);
