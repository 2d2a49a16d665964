/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Demand traces. Format (see tests/sim/README.md):
 *   # free text
 *   #@ key=value        guest parameters: title, max_mb, boot_mb, cap_mb,
 *                       kernel_offset_kb, totalreserve_kb, reclaimable_kb, spike_s
 *                       (repeatable)
 *   t_s,committed_as_kb,anon_kb,shmem_kb,kernel_kb
 *   rows, t_s non-decreasing; values between rows are interpolated
 *   linearly; two rows at the same t_s make a step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define TRACE_HEADER "t_s,committed_as_kb,anon_kb,shmem_kb,kernel_kb"

static int directive(struct trace *t, const char *line, double *boot_mb, double *max_mb,
                     double *cap_mb, char *err, size_t errlen)
{
        char key[32];
        const char *eq = strchr(line, '=');
        size_t kl;
        double v;

        if (!eq || (kl = (size_t)(eq - line)) == 0 || kl >= sizeof(key)) {
                snprintf(err, errlen, "bad directive '%s'", line);
                return -EINVAL;
        }
        memcpy(key, line, kl);
        key[kl] = '\0';
        if (strcmp(key, "title") == 0) {
                snprintf(t->title, sizeof(t->title), "%s", eq + 1);
                return 0;
        }
        if (sscanf(eq + 1, "%lf", &v) != 1 || v < 0) {
                snprintf(err, errlen, "bad value in '%s'", line);
                return -EINVAL;
        }
        if (strcmp(key, "max_mb") == 0)
                *max_mb = v;
        else if (strcmp(key, "boot_mb") == 0)
                *boot_mb = v;
        else if (strcmp(key, "cap_mb") == 0)
                *cap_mb = v;
        else if (strcmp(key, "kernel_offset_kb") == 0)
                t->kernel_offset_kb = (uint64_t)v;
        else if (strcmp(key, "totalreserve_kb") == 0)
                t->totalreserve_kb = (uint64_t)v;
        else if (strcmp(key, "reclaimable_kb") == 0)
                t->reclaimable_kb = (uint64_t)v;
        else if (strcmp(key, "spike_s") == 0 && t->n_spikes < SIM_MAX_SPIKES)
                t->spike_s[t->n_spikes++] = v;
        else {
                snprintf(err, errlen, "unknown directive '%s'", key);
                return -EINVAL;
        }
        return 0;
}

int trace_load(const char *path, struct trace *ret, char *err, size_t errlen)
{
        struct trace t = { .kernel_offset_kb = 65536 };
        double boot_mb = 0, max_mb = 0, cap_mb = 0;
        char line[512];
        bool header = false;
        size_t cap = 0, lineno = 0;
        const char *base;
        FILE *f = fopen(path, "re");
        int r = 0;

        if (!f) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                return -errno;
        }
        base = strrchr(path, '/');
        base = base ? base + 1 : path;
        snprintf(t.name, sizeof(t.name), "%.*s", (int)strcspn(base, "."), base);
        while (fgets(line, sizeof(line), f)) {
                struct trace_point p;

                lineno++;
                line[strcspn(line, "\r\n")] = '\0';
                if (line[0] == '\0')
                        continue;
                if (strncmp(line, "#@ ", 3) == 0) {
                        r = directive(&t, line + 3, &boot_mb, &max_mb, &cap_mb, err, errlen);
                        if (r < 0)
                                break;
                        continue;
                }
                if (line[0] == '#')
                        continue;
                if (!header) {
                        if (strcmp(line, TRACE_HEADER) != 0) {
                                snprintf(err, errlen, "header must be '%s'", TRACE_HEADER);
                                r = -EINVAL;
                                break;
                        }
                        header = true;
                        continue;
                }
                if (sscanf(line, "%lf,%lf,%lf,%lf,%lf", &p.t_s, &p.committed_as_kb, &p.anon_kb,
                           &p.shmem_kb, &p.kernel_kb) != 5 ||
                    p.t_s < 0 || (t.n > 0 && p.t_s < t.p[t.n - 1].t_s)) {
                        snprintf(err, errlen, "bad row");
                        r = -EINVAL;
                        break;
                }
                if (t.n == cap) {
                        struct trace_point *np;

                        cap = cap ? cap * 2 : 256;
                        np = realloc(t.p, cap * sizeof(*np));
                        if (!np) {
                                r = -ENOMEM;
                                snprintf(err, errlen, "out of memory");
                                break;
                        }
                        t.p = np;
                }
                t.p[t.n++] = p;
        }
        fclose(f);
        if (r == 0 && (t.n < 2 || max_mb <= 0)) {
                snprintf(err, errlen, "needs max_mb and at least two rows");
                r = -EINVAL;
        }
        if (r < 0) {
                char msg[256];

                snprintf(msg, sizeof(msg), "%s", err);
                snprintf(err, errlen, "%s:%zu: %s", path, lineno, msg);
                free(t.p);
                return r;
        }
        if (boot_mb <= 0)
                boot_mb = max_mb;
        if (cap_mb <= 0)
                cap_mb = boot_mb + 1; /* libxl: max_pages = target + 1 MiB */
        t.max_kb = (uint64_t)(max_mb * 1024);
        t.boot_kb = (uint64_t)(boot_mb * 1024);
        t.cap_kb = (uint64_t)(cap_mb * 1024);
        if (t.title[0] == '\0')
                snprintf(t.title, sizeof(t.title), "%s", t.name);
        *ret = t;
        return 0;
}

void trace_free(struct trace *t)
{
        free(t->p);
        t->p = NULL;
        t->n = 0;
}

double trace_end(const struct trace *t)
{
        return t->p[t->n - 1].t_s;
}

void trace_at(const struct trace *t, double t_s, struct trace_point *ret)
{
        size_t lo = 0, hi = t->n - 1;
        const struct trace_point *a, *b;
        double f;

        if (t_s <= t->p[0].t_s) {
                *ret = t->p[0];
                return;
        }
        if (t_s >= t->p[hi].t_s) {
                *ret = t->p[hi];
                return;
        }
        /* the last row at or before t_s: after a step, the new value */
        while (hi - lo > 1) {
                size_t mid = (lo + hi) / 2;

                if (t->p[mid].t_s <= t_s)
                        lo = mid;
                else
                        hi = mid;
        }
        a = &t->p[lo];
        b = &t->p[hi];
        f = b->t_s > a->t_s ? (t_s - a->t_s) / (b->t_s - a->t_s) : 1.0;
        ret->t_s = t_s;
        ret->committed_as_kb = a->committed_as_kb + f * (b->committed_as_kb - a->committed_as_kb);
        ret->anon_kb = a->anon_kb + f * (b->anon_kb - a->anon_kb);
        ret->shmem_kb = a->shmem_kb + f * (b->shmem_kb - a->shmem_kb);
        ret->kernel_kb = a->kernel_kb + f * (b->kernel_kb - a->kernel_kb);
}
