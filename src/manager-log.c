/* SPDX-License-Identifier: GPL-2.0-only */
/* What the manager says in the journal: its decisions and its start. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "manager-internal.h"
#include "messages.h"

void manager_log_decision(struct manager *m, const struct sb_observation *o,
                         const struct sb_decision *d, uint64_t target_kb, bool watch)
{
        enum { N_NUM = 12, N_CACHE = 4 };
        struct log_field f[N_NUM + 2 + N_CACHE] = {
                { "SELFBALLOON_TARGET_KB", "" },       { "SELFBALLOON_GOAL_KB", "" },
                { "SELFBALLOON_FLOOR_KB", "" },        { "SELFBALLOON_MEMTOTAL_KB", "" },
                { "SELFBALLOON_COMMITTED_AS_KB", "" }, { "SELFBALLOON_TOTALRESERVE_KB", "" },
                { "SELFBALLOON_CURRENT_KB", "" },      { "SELFBALLOON_MAX_KB", "" },
                { "SELFBALLOON_SUNRECLAIM_KB", "" },   { "SELFBALLOON_KERNEL_STACK_KB", "" },
                { "SELFBALLOON_PAGE_TABLES_KB", "" },  { "SELFBALLOON_MEM_AVAILABLE_KB", "" },
                { "SELFBALLOON_BACKEND", "" },         { "SELFBALLOON_PATH", "" },
                /* with the cache cushion only */
                { "SELFBALLOON_CACHE_CUSHION_KB", "" }, { "SELFBALLOON_ACTIVE_FILE_KB", "" },
                { "SELFBALLOON_INACTIVE_FILE_KB", "" },
                { "SELFBALLOON_REFAULT_KB_PER_MIN", "" },
        };
        const uint64_t vc[N_CACHE] = { d->cache_cushion_kb, o->active_file_kb,
                                       o->inactive_file_kb, d->refault_kb_per_min };
        bool cache = policy_cache_cushion_on(&m->cfg.settings);
        size_t n = N_NUM + 2;
        char cushion[48] = "";
        const uint64_t v[N_NUM] = { target_kb,          d->goal_kb,         d->floor_kb,
                                    o->mem_total_kb,    o->committed_as_kb, o->totalreserve_kb,
                                    o->balloon_current_kb, o->max_kb,       o->sunreclaim_kb,
                                    o->kernel_stack_kb, o->page_tables_kb,  o->mem_available_kb };

        for (size_t i = 0; i < N_NUM; i++)
                snprintf(f[i].value, sizeof(f[i].value), "%" PRIu64, v[i]);
        snprintf(f[N_NUM].value, sizeof(f[N_NUM].value), "%s",
                 m->opt.dry_run ? "none" : toolstack_backend(m->ts));
        snprintf(f[N_NUM + 1].value, sizeof(f[N_NUM + 1].value), "%s", watch ? "watch" : "tick");
        /* a look reads no cache input: its line has the cushion only */
        for (size_t i = 0; cache && i < (watch ? 1 : N_CACHE); i++, n++)
                snprintf(f[n].value, sizeof(f[n].value), "%" PRIu64, vc[i]);
        if (cache)
                snprintf(cushion, sizeof(cushion), ", cache cushion %" PRIu64 " kB",
                         d->cache_cushion_kb);
        if (watch)
                log_fields(LOG_INFO, SB_MESSAGE_DECISION, f, n,
                           "%ssudden demand: target %" PRIu64 " kB at once (goal %" PRIu64
                           " kB, MemAvailable %" PRIu64 " kB, Committed_AS %" PRIu64 " kB%s)",
                           m->opt.dry_run ? "dry run: " : "", target_kb, d->goal_kb,
                           o->mem_available_kb, o->committed_as_kb, cushion);
        else
                log_fields(LOG_INFO, SB_MESSAGE_DECISION, f, n,
                           "%starget %" PRIu64 " kB (goal %" PRIu64 " kB, floor %" PRIu64
                           " kB, MemTotal %" PRIu64 " kB, Committed_AS %" PRIu64 " kB%s)",
                           m->opt.dry_run ? "dry run: " : "", target_kb, d->goal_kb,
                           d->floor_kb, o->mem_total_kb, o->committed_as_kb, cushion);
}

/* The effective settings on one line: conf_print()'s keys without its
 * comments, so the start-up entry says exactly what the file would. */
static void settings_line(const struct sb_config *c, char *buf, size_t len)
{
        char text[4096];
        size_t n = 0;
        FILE *f = fmemopen(text, sizeof(text), "w");

        buf[0] = '\0';
        if (!f)
                return;
        conf_print(f, c);
        if (fclose(f) != 0)
                return;
        text[sizeof(text) - 1] = '\0';
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                if (line[0] == ';' || line[0] == '#')
                        continue;
                n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? " " : "", line);
                if (n >= len)
                        break;
        }
}

void manager_log_start(struct manager *m, uint64_t sysfs_target_kb, uint64_t current_kb)
{
        char settings[1024], dom[32];
        int domid = toolstack_domid(m->ts);

        settings_line(&m->cfg, settings, sizeof(settings));
        if (domid >= 0)
                snprintf(dom, sizeof(dom), "domid %d", domid);
        else
                snprintf(dom, sizeof(dom), "%s", m->cfg.backend == SB_BACKEND_SYSFS
                                                         ? "xenstore not used"
                                                         : "no xenstore");
        log_msg(LOG_INFO, SB_MESSAGE_START,
                "started%s: %s guest, %s, balloon target %" PRIu64 " kB, current %" PRIu64
                " kB, max %" PRIu64 " kB, backend %s; configuration %s%s; %s",
                m->opt.dry_run ? " (dry run: nothing will be written)" : "",
                guest_type_to_string(m->guest.type), dom, sysfs_target_kb, current_kb,
                toolstack_max_kb(m->ts), conf_backend_to_string(m->cfg.backend),
                m->opt.config_path, m->opt.config_missing ? " does not exist: defaults" : "",
                settings);
}

