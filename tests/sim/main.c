/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * selfballoon-sim: runs every policy on every trace, over several phases of
 * the tick, prints a markdown table, and with --out writes per-trace plot
 * data and gnuplot scripts. --check turns the invariants into the exit
 * status. Deterministic: the same inputs print the same bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define MAX_POLICIES 8
/* --files: the hot set is read every 5 s (the e2e page-cache scenario's
 * pass), the cold set once at half the trace; the first 120 s are not
 * counted (the balloon coming down from the boot size). */
#define SIM_FILES_PASS_S 5.0
#define SIM_FILES_COLD_AT 0.5
#define SIM_FILES_WARM_S 120.0
#define MAX_TRACES 32

static struct sim_policy policies[MAX_POLICIES];
static size_t n_policies;

static struct sim_policy *add_policy(const char *name)
{
        struct sim_policy *p = &policies[n_policies++];

        *p = (struct sim_policy){ .name = name };
        policy_settings_default(&p->settings);
        return p;
}

/* A policy is a named setting. A new core policy plugs in as one more
 * entry with .settings.policy set to its enum value; "default" follows
 * policy_settings_default(), so it moves with the core. */
static void policies_init(void)
{
        struct sim_policy *p;

        /* the kernel's: one decision per interval, no watch */
        p = add_policy("seed-0%");
        p->settings.policy = SB_POLICY_SEED;
        p->settings.reserve = (struct sb_reserve){ .percent = false, .value = 0 };
        p->settings.watch = false;
        p = add_policy("seed-10%");
        p->settings.policy = SB_POLICY_SEED;
        p->settings.reserve = (struct sb_reserve){ .percent = true, .value = 10 };
        p->settings.watch = false;
        add_policy("default");

        /* the core's adaptive policy, with the watch like the default */
        p = add_policy("adaptive");
        p->settings.policy = SB_POLICY_ADAPTIVE;
        p->settings.reserve = policy_default_reserve(SB_POLICY_ADAPTIVE);
        /* adaptive with the cache cushion at its default max, rise, decay */
        p = add_policy("adaptive+cache");
        p->settings.policy = SB_POLICY_ADAPTIVE;
        p->settings.reserve = policy_default_reserve(SB_POLICY_ADAPTIVE);
        p->settings.cache_cushion = true;
        /* the seed looking every second instead of watching */
        p = add_policy("tick-1s");
        p->settings.interval_s = 1;
        p->settings.watch = false;
}

struct agg {
        struct sim_metrics worst; /* worst over phases; held is the mean */
        unsigned oom_phases;
        uint64_t violations;
        uint64_t lowered;   /* looks that lowered a target, all phases */
        double looks_s;     /* looks per second, mean over phases */
        uint64_t raises;    /* looks that raised the target, worst phase */
        /* the page cache: means over phases, per minute counted */
        double disk_min, refault_min, refault_pre_min, cushion_mb;
        double back_worst; /* worst phase; -1: never back */
};

/* --dump-ticks: every decision of the first phase, ticks and looks, for
 * check-sim.py to recompute with its own statement of the seed's arithmetic,
 * the watch and its schedule */
struct dump {
        FILE *f;
        const struct trace *t;
        const struct sim_policy *p;
};

static void dump_decision(void *userdata, double t_s, bool look,
                          const struct sb_observation *obs, double target_before_kb,
                          double target_kb, double period_s)
{
        const struct dump *u = userdata;
        const struct sb_settings *s = &u->p->settings;

        fprintf(u->f,
                "%s,%s,%s,%d,%llu,%u,%u,%llu,%d,%u,%u,%llu,%u,%s,%.2f,%llu,%llu,%llu,%llu,%llu,"
                "%llu,%.0f,%.0f,%.3f\n",
                u->t->name, u->p->name, policy_to_string(s->policy), s->reserve.percent,
                (unsigned long long)s->reserve.value, s->down_hysteresis, s->up_hysteresis,
                (unsigned long long)s->min_usable_mb, s->watch, s->watch_rate_mb_s,
                s->watch_min_ms, (unsigned long long)s->watch_low_mb, s->interval_s,
                look ? "look" : "tick", t_s, (unsigned long long)obs->mem_total_kb,
                (unsigned long long)obs->committed_as_kb,
                (unsigned long long)obs->totalreserve_kb, (unsigned long long)obs->max_kb,
                (unsigned long long)obs->balloon_current_kb,
                (unsigned long long)obs->mem_available_kb, target_before_kb, target_kb,
                period_s);
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: selfballoon-sim [--out DIR] [--check] [--speed MB/s]\n"
                   "                       [--speed-down MB/s] [--phases N | --phase S]\n"
                   "                       [--dt S] [--look-slack F] [--dump-ticks FILE]\n"
                   "                       [--down-hysteresis N] [--files HOT%%:COLD%%[:WARM_S]]\n"
                   "                       [--policies a,b,...] TRACE.csv...\n");
}

static bool wanted(const char *list, const char *name)
{
        size_t n = strlen(name);

        if (!list)
                return true;
        for (const char *s = list; *s;) {
                size_t l = strcspn(s, ",");

                if (l == n && strncmp(s, name, n) == 0)
                        return true;
                s += l + (s[l] == ',');
        }
        return false;
}

static int write_plot(const char *dir, const struct trace *t, struct sim_sample *const *samples,
                      size_t n, size_t stride, const struct sim_policy *const *pol, size_t np)
{
        char *path = NULL;
        FILE *f;

        if (asprintf(&path, "%s/%s.dat", dir, t->name) < 0)
                return -ENOMEM;
        f = fopen(path, "we");
        free(path);
        if (!f)
                return -errno;
        fprintf(f, "# t_s need_mb committed_mb");
        for (size_t j = 0; j < np; j++)
                fprintf(f, " memtotal_mb[%s]", pol[j]->name);
        fprintf(f, "\n");
        /* one row per 0.1 s is plenty for a plot */
        for (size_t i = 0; i < n; i += stride) {
                fprintf(f, "%.2f %.1f %.1f", samples[0][i].t_s, samples[0][i].need_mb,
                        samples[0][i].committed_mb);
                for (size_t j = 0; j < np; j++)
                        fprintf(f, " %.1f", samples[j][i].mem_total_mb);
                fprintf(f, "\n");
        }
        if (fclose(f) != 0)
                return -EIO;

        if (asprintf(&path, "%s/%s.gp", dir, t->name) < 0)
                return -ENOMEM;
        f = fopen(path, "we");
        free(path);
        if (!f)
                return -errno;
        fprintf(f,
                "set terminal pngcairo size 1100,560 noenhanced\n"
                "set output '%s/%s.png'\n"
                "set title \"%s (max %llu MB, balloon %s; phase 0)\"\n"
                "set xlabel 'time (s)'\nset ylabel 'MB'\nset key outside right top\n"
                "set grid\n"
                "plot '%s/%s.dat' using 1:2 with filledcurves x1 lc rgb '#dddddd' "
                "title 'need (anon+shmem+kernel)', \\\n"
                "     '' using 1:3 with lines lw 1 dt 2 lc rgb '#777777' title 'Committed_AS'",
                dir, t->name, t->title, (unsigned long long)(t->max_kb / 1024), "model", dir,
                t->name);
        for (size_t j = 0; j < np; j++)
                fprintf(f, ", \\\n     '' using 1:%zu with lines lw 2%s title 'MemTotal %s'",
                        j + 4, strcmp(pol[j]->name, "default") == 0 ? " dt 2" : "",
                        pol[j]->name);
        fprintf(f, "\n");
        return fclose(f) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "out", required_argument, NULL, 'o' },
                { "check", no_argument, NULL, 'c' },
                { "speed", required_argument, NULL, 's' },
                { "speed-down", required_argument, NULL, 'S' },
                { "phases", required_argument, NULL, 'p' },
                { "phase", required_argument, NULL, 'f' },
                { "dt", required_argument, NULL, 'd' },
                { "policies", required_argument, NULL, 'P' },
                { "look-slack", required_argument, NULL, 'l' },
                { "dump-ticks", required_argument, NULL, 'T' },
                { "down-hysteresis", required_argument, NULL, 'D' },
                { "files", required_argument, NULL, 'F' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        struct sim_options o = {
                .dt_s = SIM_DT_S,
                .speed_up_mb_s = SIM_BALLOON_UP_MB_S,
                .speed_down_mb_s = SIM_BALLOON_DOWN_MB_S,
                .look_slack = SIM_LOOK_SLACK,
        };
        const char *out = NULL, *only = NULL, *dump_path = NULL;
        FILE *dump_f = NULL;
        const struct sim_policy *pol[MAX_POLICIES];
        static struct agg res[MAX_TRACES][MAX_POLICIES];
        struct trace traces[MAX_TRACES];
        size_t n_traces = 0, np = 0;
        unsigned phases = 10;
        double phase0 = 0; /* --phase: one run, the first tick at this time */
        unsigned down_hysteresis = 0; /* --down-hysteresis: for every policy */
        bool check = false, failed = false, files = false;
        char err[512];
        int c;

        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'o': out = optarg; break;
                case 'c': check = true; break;
                case 's': o.speed_up_mb_s = o.speed_down_mb_s = atof(optarg); break;
                case 'S': o.speed_down_mb_s = atof(optarg); break;
                case 'p': phases = (unsigned)atoi(optarg); break;
                case 'f': phase0 = atof(optarg); phases = 1; break;
                case 'd': o.dt_s = atof(optarg); break;
                case 'P': only = optarg; break;
                case 'l': o.look_slack = atof(optarg); break;
                case 'T': dump_path = optarg; break;
                case 'D': down_hysteresis = (unsigned)atoi(optarg); break;
                case 'F':
                        o.files.warm_s = SIM_FILES_WARM_S;
                        if (sscanf(optarg, "%lf:%lf:%lf", &o.files.hot_pct, &o.files.cold_pct,
                                   &o.files.warm_s) < 2 || o.files.warm_s < 0 ||
                            o.files.hot_pct < 0 || o.files.cold_pct < 0 ||
                            o.files.hot_pct + o.files.cold_pct > 100) {
                                usage(stderr);
                                return 2;
                        }
                        o.files.pass_s = SIM_FILES_PASS_S;
                        o.files.cold_at_frac = SIM_FILES_COLD_AT;
                        break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (optind >= argc || phases == 0 || o.dt_s <= 0 || o.speed_up_mb_s <= 0 ||
            o.speed_down_mb_s <= 0 || o.look_slack < 0) {
                usage(stderr);
                return 2;
        }
        policies_init();
        /* the e2e scenario runs the daemon with down_hysteresis = 2 */
        for (size_t j = 0; down_hysteresis && j < n_policies; j++)
                policies[j].settings.down_hysteresis = down_hysteresis;
        for (size_t j = 0; j < n_policies; j++)
                if (wanted(only, policies[j].name))
                        pol[np++] = &policies[j];
        for (int i = optind; i < argc && n_traces < MAX_TRACES; i++) {
                if (trace_load(argv[i], &traces[n_traces], err, sizeof(err)) < 0) {
                        fprintf(stderr, "selfballoon-sim: %s\n", err);
                        return 2;
                }
                n_traces++;
        }

        if (dump_path) {
                dump_f = fopen(dump_path, "we");
                if (!dump_f) {
                        fprintf(stderr, "selfballoon-sim: %s: %s\n", dump_path, strerror(errno));
                        return 2;
                }
                fprintf(dump_f, "trace,policy,kind,reserve_percent,reserve_value,down_hysteresis,"
                                "up_hysteresis,min_usable_mb,watch,watch_rate_mb_s,"
                                "watch_min_ms,watch_low_mb,interval_s,path,t_s,mem_total_kb,"
                                "committed_as_kb,totalreserve_kb,max_kb,balloon_current_kb,"
                                "mem_available_kb,target_before_kb,target_kb,period_s\n");
        }
        {
                struct sb_settings d;

                policy_settings_default(&d);
                printf("Balloon %.0f MB/s up, %.0f down, step %.2f s, interval %u s, %u tick "
                       "phases; watch: rate %u MB/s, min %u ms, low %llu MB, looks up to %.0f %% "
                       "late (held, looks/s: mean over phases; the rest: worst phase)\n\n",
                       o.speed_up_mb_s, o.speed_down_mb_s, o.dt_s, d.interval_s, phases,
                       d.watch_rate_mb_s, d.watch_min_ms, (unsigned long long)d.watch_low_mb,
                       o.look_slack * 100);
        }
        printf("Guest models: ");
        for (size_t i = 0; i < n_traces; i++) {
                struct guest_model g;

                model_init(&traces[i], &g);
                printf("%s%s %llu MB max, totalreserve %llu kB, min/low watermark %llu/%llu kB, "
                       "SReclaimable %llu kB",
                       i ? "; " : "", traces[i].name,
                       (unsigned long long)(traces[i].max_kb / 1024),
                       (unsigned long long)g.totalreserve_kb, (unsigned long long)g.wmark_min_kb,
                       (unsigned long long)g.wmark_low_kb,
                       (unsigned long long)traces[i].reclaimable_kb);
        }
        printf("\n\n");
        files = o.files.hot_pct > 0 || o.files.cold_pct > 0;
        if (files)
                printf("Files: a hot set of %.1f %% of max read every %.0f s, a cold set of %.1f %% "
                       "read once at %.0f %% of the trace; reads counted after %.0f s (disk, "
                       "refaults: MB/min, means over phases; before cold: up to the cold read; "
                       "cold back: s from the cold read to MemTotal within 5 %% of max of its "
                       "value then, worst phase)\n\n",
                       o.files.hot_pct, o.files.pass_s, o.files.cold_pct,
                       o.files.cold_at_frac * 100, o.files.warm_s);
        printf("| trace | policy | held %% of max | short s | short MB*s | worst MB "
               "| OOM phases | recover s | looks/s | raises |%s\n"
               "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|%s\n",
               files ? " hot disk MB/min | refaults MB/min | before cold | cushion max MB | cold back s |" : "",
               files ? "---:|---:|---:|---:|---:|" : "");
        for (size_t i = 0; i < n_traces; i++) {
                const struct trace *t = &traces[i];
                size_t n = sim_steps(t, &o);
                struct sim_sample *samples[MAX_POLICIES] = { 0 };

                for (size_t j = 0; j < np; j++) {
                        struct agg *a = &res[i][j];
                        double held = 0, looks = 0;
                        char rec[16];

                        if (out && !(samples[j] = calloc(n, sizeof(**samples)))) {
                                fprintf(stderr, "selfballoon-sim: out of memory\n");
                                return 1;
                        }
                        for (unsigned k = 0; k < phases; k++) {
                                struct sim_metrics m;
                                struct sim_options ok = o;
                                struct dump u = { .f = dump_f, .t = t, .p = pol[j] };

                                ok.phase_s = phase0 + (double)pol[j]->settings.interval_s * k / phases;
                                if (dump_f && k == 0) {
                                        ok.on_decision = dump_decision;
                                        ok.userdata = &u;
                                }
                                if (sim_run(t, pol[j], &ok, &m, k == 0 ? samples[j] : NULL,
                                            k == 0 ? n : 0) < 0) {
                                        fprintf(stderr, "selfballoon-sim: %s: cannot run\n",
                                                t->name);
                                        return 1;
                                }
                                held += m.held_pct;
                                looks += (double)m.looks / m.duration_s;
                                a->violations += m.violations;
                                a->lowered += m.lowered;
                                a->oom_phases += m.ooms > 0;
                                if (m.short_s > a->worst.short_s)
                                        a->worst.short_s = m.short_s;
                                if (m.short_mbs > a->worst.short_mbs)
                                        a->worst.short_mbs = m.short_mbs;
                                if (m.worst_mb > a->worst.worst_mb)
                                        a->worst.worst_mb = m.worst_mb;
                                if (m.raises > a->raises)
                                        a->raises = m.raises;
                                if (m.recover_s > a->worst.recover_s)
                                        a->worst.recover_s = m.recover_s;
                                if (m.counted_s > 0) {
                                        a->disk_min += m.hot_read_mb / m.counted_s * 60 / phases;
                                        a->refault_min += m.refault_mb / m.counted_s * 60 / phases;
                                }
                                if (m.pre_cold_s > 0)
                                        a->refault_pre_min +=
                                                m.refault_pre_cold_mb / m.pre_cold_s * 60 / phases;
                                if (m.max_cushion_mb > a->cushion_mb)
                                        a->cushion_mb = m.max_cushion_mb;
                                if (k == 0 || a->back_worst >= 0)
                                        a->back_worst = m.cold_back_s < 0 ? -1
                                                        : fmax(a->back_worst, m.cold_back_s);
                        }
                        a->worst.held_pct = held / phases;
                        a->looks_s = looks / phases;
                        if (t->n_spikes)
                                snprintf(rec, sizeof(rec), "%.1f", a->worst.recover_s);
                        else
                                snprintf(rec, sizeof(rec), "-");
                        printf("| %s | %s | %.1f | %.1f | %.0f | %.0f | %u/%u | %s | %.2f "
                               "| %llu |",
                               t->name, pol[j]->name, a->worst.held_pct, a->worst.short_s,
                               a->worst.short_mbs, a->worst.worst_mb, a->oom_phases, phases, rec,
                               a->looks_s, (unsigned long long)a->raises);
                        if (files) {
                                char back[16] = "-";

                                if (o.files.cold_pct > 0 && a->back_worst >= 0)
                                        snprintf(back, sizeof(back), "%.0f", a->back_worst);
                                else if (o.files.cold_pct > 0)
                                        snprintf(back, sizeof(back), "never");
                                printf(" %.1f | %.1f | %.1f | %.0f | %s |", a->disk_min,
                                       a->refault_min, a->refault_pre_min, a->cushion_mb, back);
                        }
                        printf("\n");
                        if (a->violations) {
                                fprintf(stderr, "FAIL %s/%s: %llu decisions above max or below "
                                                "the floor\n",
                                        t->name, pol[j]->name,
                                        (unsigned long long)a->violations);
                                failed = true;
                        }
                        if (a->lowered) {
                                fprintf(stderr, "FAIL %s/%s: %llu looks lowered the target\n",
                                        t->name, pol[j]->name, (unsigned long long)a->lowered);
                                failed = true;
                        }
                        if (!pol[j]->settings.watch && a->looks_s > 0) {
                                fprintf(stderr, "FAIL %s/%s: looks with watch = no\n", t->name,
                                        pol[j]->name);
                                failed = true;
                        }
                }
                if (out) {
                        size_t stride = o.dt_s < 0.1 ? (size_t)(0.1 / o.dt_s + 0.5) : 1;
                        int r = write_plot(out, t, samples, n, stride, pol, np);

                        if (r < 0) {
                                fprintf(stderr, "selfballoon-sim: %s: %s\n", out, strerror(-r));
                                return 1;
                        }
                }
                for (size_t j = 0; j < np; j++)
                        free(samples[j]);
        }

        if (check) {
                size_t s0 = np, s10 = np;

                for (size_t j = 0; j < np; j++) {
                        if (strcmp(pol[j]->name, "seed-0%") == 0)
                                s0 = j;
                        if (strcmp(pol[j]->name, "seed-10%") == 0)
                                s10 = j;
                }
                for (size_t i = 0; s0 < np && s10 < np && i < n_traces; i++)
                        if (res[i][s10].worst.held_pct + 1e-9 < res[i][s0].worst.held_pct) {
                                fprintf(stderr, "FAIL %s: seed-10%% holds %.2f %% < seed-0%% %.2f %%\n",
                                        traces[i].name, res[i][s10].worst.held_pct,
                                        res[i][s0].worst.held_pct);
                                failed = true;
                        }
        }
        if (dump_f && fclose(dump_f) != 0) {
                fprintf(stderr, "selfballoon-sim: %s: write error\n", dump_path);
                failed = true;
        }
        for (size_t i = 0; i < n_traces; i++)
                trace_free(&traces[i]);
        return failed ? 1 : 0;
}
