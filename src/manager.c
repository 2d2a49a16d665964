/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager-internal.h"
#include "messages.h"
#include "runstate.h"

int manager_new(const struct sb_config *cfg, const struct manager_options *o,
                struct manager **ret)
{
        struct manager *m = calloc(1, sizeof(*m));
        struct toolstack_options to = {
                .root_fd = o->root_fd,
                .dry_run = o->dry_run,
                .backend = cfg->backend,
                .interval_usec = cfg->settings.interval_s * USEC_PER_SEC,
        };
        int r;

        if (!m)
                return -ENOMEM;
        r = toolstack_new(&to, &m->ts);
        if (r < 0) {
                free(m);
                return r;
        }
        m->cfg = *cfg;
        m->opt = *o;
        policy_state_init(&m->policy);
        m->meminfo_file = m->current_kb_file = m->target_kb_file = m->vmstat_file =
                (struct reread_file)REREAD_FILE_INIT;
        *ret = m;
        return 0;
}

void manager_free(struct manager *m)
{
        if (!m)
                return;
        toolstack_free(m->ts);
        reread_file_close(&m->meminfo_file);
        reread_file_close(&m->current_kb_file);
        reread_file_close(&m->target_kb_file);
        reread_file_close(&m->vmstat_file);
        free(m);
}

/*
 * totalreserve changes only when the kernel recomputes its watermarks (a
 * sysctl, memory hotplug), never when the balloon moves, and /proc/zoneinfo
 * costs several times everything else a tick reads: so it is read at start,
 * on reload, and once a minute.
 */
static int observe_totalreserve(struct manager *m, uint64_t now_usec)
{
        uint64_t pages;
        int r;

        if (m->reserve_valid && now_usec < m->reserve_read_usec + ZONEINFO_REFRESH_USEC)
                return 0;
        r = zoneinfo_read_totalreserve(m->opt.root_fd, &pages);
        if (r < 0)
                return r;
        m->reserve_pages = pages;
        m->reserve_read_usec = now_usec;
        m->reserve_valid = true;
        return 0;
}

void manager_note_cache_settings(const struct manager *m)
{
        const struct sb_settings *s = &m->cfg.settings;

        if (s->cache_cushion && s->policy != SB_POLICY_ADAPTIVE)
                log_warning("cache_cushion = yes does nothing with policy = %s: the cache "
                            "cushion is part of policy = adaptive only",
                            policy_to_string(s->policy));
}

/* Says what keeps the cushion from its inputs once, and when it is gone. */
static void cache_problem(struct manager *m, const char *problem)
{
        if (problem && problem != m->cache_problem)
                log_warning("cache cushion: %s", problem);
        else if (!problem && m->cache_problem)
                log_notice("cache cushion: its inputs are readable again");
        m->cache_problem = problem;
}

/* The cache cushion's inputs, on regular ticks, when it is on: /proc/vmstat
 * is read nowhere else (never by a look). */
static void observe_cache(struct manager *m, const struct meminfo *mi, uint64_t now_usec,
                          struct sb_observation *o)
{
        struct vmstat v;
        int r;

        if (!policy_cache_cushion_on(&m->cfg.settings)) {
                reread_file_close(&m->vmstat_file);
                return;
        }
        r = vmstat_reread(&m->vmstat_file, m->opt.root_fd, &v);
        if (r < 0) {
                cache_problem(m, "cannot read /proc/vmstat; the cushion holds where it is until "
                                 "it can");
                return;
        }
        if (!v.has_refault_file && !v.has_refault) {
                cache_problem(m, "this kernel's /proc/vmstat has neither "
                                 "workingset_refault_file (Linux 5.9+) nor workingset_refault "
                                 "(3.15-5.8): the cushion holds where it is (0 from the start)");
                return;
        }
        if (!meminfo_has(mi, MEMINFO_ACTIVE_FILE) || !meminfo_has(mi, MEMINFO_INACTIVE_FILE)) {
                cache_problem(m, "/proc/meminfo has no Active(file) or Inactive(file): the "
                                 "cushion holds where it is");
                return;
        }
        if (!v.has_refault_file && !m->cache_old_counter_said)
                log_notice("cache cushion: this kernel's /proc/vmstat has workingset_refault, "
                           "not workingset_refault_file (Linux before 5.9, where it counts file "
                           "pages only): using it");
        m->cache_old_counter_said = !v.has_refault_file;
        cache_problem(m, NULL);
        o->has_cache = true;
        o->workingset_refault_file = v.has_refault_file ? v.workingset_refault_file
                                                        : v.workingset_refault;
        o->active_file_kb = mi->active_file_kb;
        o->inactive_file_kb = mi->inactive_file_kb;
        o->has_time = true;
        o->now_us = now_usec;
}

/* The readings of one tick. */
int manager_observe(struct manager *m, uint64_t now_usec, bool tick, struct sb_observation *o,
                   struct meminfo *mi, uint64_t *ret_balloon_target_kb, const char **ret_what)
{
        int r;

        *o = (struct sb_observation){ 0 };
        *ret_what = "/proc/meminfo";
        r = meminfo_reread(&m->meminfo_file, m->opt.root_fd, mi);
        if (r < 0)
                return r;
        *ret_what = "/proc/zoneinfo";
        r = observe_totalreserve(m, now_usec);
        if (r < 0)
                return r;
        *ret_what = "/" BALLOON_SYSFS_DIR "/info/current_kb";
        r = balloon_reread_current_kb(&m->current_kb_file, m->opt.root_fd,
                                      &o->balloon_current_kb);
        if (r < 0)
                return r;
        *ret_what = "/" BALLOON_SYSFS_DIR "/target_kb";
        r = balloon_reread_target_kb(&m->target_kb_file, m->opt.root_fd, ret_balloon_target_kb);
        if (r < 0)
                return r;
        *ret_what = "/proc/meminfo";
        if (mi->mem_total_kb == 0)
                return -EBADMSG;
        o->mem_total_kb = mi->mem_total_kb;
        o->committed_as_kb = mi->committed_as_kb;
        o->sunreclaim_kb = mi->sunreclaim_kb;
        o->kernel_stack_kb = mi->kernel_stack_kb;
        o->page_tables_kb = mi->page_tables_kb;
        o->has_mem_available = meminfo_has(mi, MEMINFO_MEM_AVAILABLE);
        o->mem_available_kb = mi->mem_available_kb;
        o->totalreserve_kb = m->reserve_pages * (m->opt.page_size / 1024);
        o->max_kb = toolstack_max_kb(m->ts);
        /* static-max below what the guest has would make no sense */
        if (o->max_kb < o->balloon_current_kb)
                o->max_kb = o->balloon_current_kb;
        /* the frontswap count is the regular tick's: a look stays cheap */
        if (tick) {
                observe_frontswap(m, o);
                observe_cache(m, mi, now_usec, o);
        }
        return 0;
}

/* Readings failed: hold on the first failure; from the second in a row,
 * give the guest back its start target, since we can no longer see its
 * demand and must not leave it short. */
static void on_read_failure(struct manager *m, int r, const char *what, uint64_t now_usec)
{
        struct start_record rec;

        m->read_failures++;
        m->read_failed_what = what;
        if (m->read_failures == 1)
                log_msg(LOG_ERR, SB_MESSAGE_READ_FAILED,
                        "cannot read %s: %s; holding the balloon where it is", what,
                        r == -EBADMSG ? "unexpected content" : strerror(-r));
        if (m->read_failures == 2 && !m->opt.dry_run &&
            runstate_record_read(m->opt.root_fd, &rec) == 0) {
                int k = toolstack_apply(m->ts, rec.sysfs_target_kb, now_usec);
                log_msg(LOG_WARNING, SB_MESSAGE_READ_FAILED,
                        "still cannot read %s: giving the guest back its start target %" PRIu64
                        " kB%s",
                        what, rec.sysfs_target_kb, k < 0 ? " failed" : "");
                m->have_last = false;
        }
}

/* The decision, clamped by what the toolstack and Xen allow. Returns false
 * when nothing may be written (the clamps would go below the floor). */
bool manager_clamp(struct manager *m, const struct sb_decision *d, uint64_t current_kb,
                         bool probe, uint64_t *ret_kb)
{
        uint64_t t = stall_limit(m, toolstack_limit(m->ts, d->target_kb), current_kb, probe);

        if (t < d->floor_target_kb) {
                toolstack_below_floor(m->ts, d->floor_target_kb);
                return false;
        }
        *ret_kb = t;
        return true;
}

/* A restart in this boot takes the reserve from the boot's first MemTotal,
 * as the seed computes it once, at boot. */
static void resume_reserve_base(struct manager *m)
{
        uint64_t kb;

        if (runstate_base_read(m->opt.root_fd, &kb) < 0)
                return;
        m->policy.started = true;
        m->policy.first_totalram_pages = kb / (m->opt.page_size / 1024);
        m->base_recorded = true;
        log_debug("reserve base from this boot's first start: MemTotal %" PRIu64 " kB", kb);
}

static void record_reserve_base(struct manager *m)
{
        int r;

        if (m->base_recorded || m->opt.dry_run || !m->policy.started)
                return;
        r = runstate_base_write(m->opt.root_fd,
                                m->policy.first_totalram_pages * (m->opt.page_size / 1024));
        if (r < 0 && r != -EEXIST)
                log_warning("cannot record the reserve's base in /%s: %s; a restart will take "
                            "it from the MemTotal it finds",
                            RUNSTATE_DIR, strerror(-r));
        m->base_recorded = true;
}

const char *manager_status_of(const struct manager *m)
{
        if (m->opt.dry_run)
                return "dry-run";
        return m->stalled ? "stalled" : "running";
}

static void check_swap_once(struct manager *m, const struct meminfo *mi)
{
        if (m->swap_checked)
                return;
        if (meminfo_has(mi, MEMINFO_SWAP_TOTAL) && mi->swap_total_kb == 0)
                log_msg(LOG_WARNING, SB_MESSAGE_NOSWAP,
                        "the guest has no swap: self-ballooning relies on swap to absorb sudden "
                        "demand between ticks (the seed recommends swap as large as the guest's "
                        "memory)");
        m->swap_checked = true;
}

/* About to take memory away: look again right before acting. Later
 * readings that ask for more win, and the decision logged is theirs. */
static void recheck_before_shrink(struct manager *m, uint64_t now_usec, bool probe,
                                  struct sb_observation *o, struct sb_decision *d,
                                  uint64_t *target_kb, uint64_t *balloon_target_kb)
{
        struct sb_policy_state copy = m->policy;
        struct sb_observation o2;
        struct sb_decision d2;
        struct meminfo mi;
        const char *what;
        uint64_t t2;

        if (manager_observe(m, now_usec, true, &o2, &mi, balloon_target_kb, &what) == 0 &&
            policy_decide(&m->cfg.settings, &copy, &o2, m->opt.page_size, &d2) == 0 &&
            manager_clamp(m, &d2, o2.balloon_current_kb, probe, &t2) && t2 > *target_kb) {
                *target_kb = t2;
                *o = o2;
                d->goal_kb = d2.goal_kb;
                d->floor_kb = d2.floor_kb;
        }
}

/* Hands the balloon target_kb when it differs from what the balloon has
 * (or auto's xenstore retry is due). Returns the target that stands after
 * this (0: none, the toolstack wrote first) and sets *ret_written_kb. */
static uint64_t act_balloon(struct manager *m, uint64_t target_kb, uint64_t balloon_target_kb,
                            uint64_t now_usec, uint64_t *ret_written_kb)
{
        int r;

        *ret_written_kb = 0;
        if (m->opt.dry_run ||
            (target_kb == balloon_target_kb && !toolstack_retry_due(m->ts, now_usec)))
                return target_kb;
        r = toolstack_apply(m->ts, target_kb, now_usec);
        if (r == -ESTALE)
                return 0; /* nothing written: the next tick decides under the ceiling */
        if (r < 0) {
                if (!m->have_last || target_kb != m->last_target_kb)
                        log_msg(LOG_ERR, SB_MESSAGE_WRITE_FAILED,
                                "cannot set the balloon target to %" PRIu64 " kB through %s: %s",
                                target_kb,
                                m->cfg.backend == SB_BACKEND_XENSTORE ? "xenstore" : "sysfs",
                                strerror(-r));
                return target_kb;
        }
        *ret_written_kb = target_kb;
        return target_kb;
}

/* The target that stands: logged when it changed, published next. */
void manager_note_target(struct manager *m, const struct sb_observation *o,
                        const struct sb_decision *d, uint64_t target_kb, bool watch)
{
        if (!m->have_last || target_kb != m->last_target_kb)
                manager_log_decision(m, o, d, target_kb, watch);
        m->have_last = true;
        m->last_target_kb = target_kb;
        m->report.has_target = true;
        m->report.target_kb = target_kb;
}

/* Reads, and says what failed or recovered; 0 or -errno. */
static int observe_tick(struct manager *m, uint64_t now_usec, struct sb_observation *o,
                        uint64_t *ret_balloon_target_kb)
{
        struct meminfo mi;
        const char *what;
        int r = manager_observe(m, now_usec, true, o, &mi, ret_balloon_target_kb, &what);

        if (r < 0) {
                on_read_failure(m, r, what, now_usec);
                m->watch_period_ms = 0; /* no looks while blind */
                return r;
        }
        if (m->read_failures > 0) {
                log_notice("%s readable again: deciding as before", m->read_failed_what);
                m->read_failures = 0;
        }
        check_swap_once(m, &mi);
        return 0;
}

/* Another domain now (xl restore, migrate): libxl rebuilt it from
 * memory/target, and the balloon driver's own watch may have handed the
 * balloon the toolstack's target meanwhile. The next tick compares and
 * writes ours again; its decision is logged even if unchanged, and a cap
 * Xen kept on the old side is probed for again. */
static void moved(struct manager *m)
{
        m->have_last = false;
        stall_reload(m);
}

int manager_tick(struct manager *m, uint64_t now_usec, struct tick_result *ret)
{
        struct sb_observation o;
        struct sb_decision d;
        uint64_t balloon_target_kb, target_kb = 0;
        bool probe;
        int r;

        *ret = (struct tick_result){ 0 };
        if (toolstack_tick(m->ts, now_usec) & TOOLSTACK_EVENT_MOVED)
                moved(m);
        r = observe_tick(m, now_usec, &o, &balloon_target_kb);
        if (r < 0)
                return r;
        manager_note_watch_period(m, &o);
        r = policy_decide(&m->cfg.settings, &m->policy, &o, m->opt.page_size, &d);
        if (r < 0)
                return r;
        ret->decided = true;
        ret->decision = d;
        record_reserve_base(m);
        act_frontswap(m, &o, &d);
        if (!d.balloon)
                return 0;

        stall_update(m, o.balloon_current_kb, balloon_target_kb, d.target_kb, now_usec);
        probe = stall_probe_due(m, now_usec);
        if (manager_clamp(m, &d, o.balloon_current_kb, probe, &target_kb) &&
            target_kb < balloon_target_kb)
                recheck_before_shrink(m, now_usec, probe, &o, &d, &target_kb,
                                      &balloon_target_kb);
        if (target_kb != 0)
                target_kb = act_balloon(m, target_kb, balloon_target_kb, now_usec,
                                        &ret->written_kb);
        if (target_kb != 0)
                manager_note_target(m, &o, &d, target_kb, false);
        ret->target_kb = target_kb;
        m->report.has_limits = true;
        m->report.goal_kb = d.goal_kb;
        m->report.floor_kb = d.floor_kb;
        return 0;
}

void manager_publish(struct manager *m, uint64_t now_usec, uint64_t wall_s)
{
        m->report.status = manager_status_of(m);
        m->report.policy = policy_to_string(m->cfg.settings.policy);
        toolstack_publish(m->ts, &m->report, now_usec, wall_s);
}

const char *manager_backend(const struct manager *m)
{
        return toolstack_backend(m->ts);
}

const char *manager_status(const struct manager *m)
{
        return manager_status_of(m);
}

/* Whether this is a domU with a balloon driver: 0, MANAGER_REFUSE_*, -errno. */
static int check_guest(struct manager *m)
{
        int r = guest_detect(m->opt.root_fd, &m->guest);

        if (r == GUEST_DETECT_DOM0) {
                log_error("this is dom0: self-ballooning is for guests (domU) only");
                return MANAGER_REFUSE_DOM0;
        }
        if (r > 0) {
                log_error("refusing to start: %s", guest_detect_to_string(r));
                return MANAGER_REFUSE_NOT_XEN;
        }
        if (r < 0)
                log_error("cannot tell what kind of machine this is: %s", strerror(-r));
        return r;
}

/* The boot's first start records the targets the guest had, so that a
 * stop can give them back; a restart keeps that record. */
static void record_start(struct manager *m, uint64_t sysfs_target_kb)
{
        struct start_record rec = { .sysfs_target_kb = sysfs_target_kb };
        int r;

        toolstack_fill_record(m->ts, &rec);
        r = runstate_record_write(m->opt.root_fd, &rec);
        if (r < 0 && r != -EEXIST)
                log_warning("cannot record the start target in /%s: %s; a stop will not be able "
                            "to restore it",
                            RUNSTATE_DIR, strerror(-r));
}

int manager_start(struct manager *m, uint64_t now_usec)
{
        struct start_record old;
        bool have_old;
        uint64_t sysfs_target = 0, current = 0;
        int r;

        r = check_guest(m);
        if (r != 0)
                return r;
        r = balloon_read_target_kb(m->opt.root_fd, &sysfs_target);
        if (r >= 0)
                r = balloon_read_current_kb(m->opt.root_fd, &current);
        if (r < 0) {
                log_error("cannot read the balloon driver's sysfs files under /%s: %s",
                          BALLOON_SYSFS_DIR, strerror(-r));
                return r;
        }
        resume_reserve_base(m);
        have_old = runstate_record_read(m->opt.root_fd, &old) == 0;
        r = toolstack_start(m->ts, m->guest.type, sysfs_target, current, have_old ? &old : NULL);
        if (r == TOOLSTACK_DOM0)
                return MANAGER_REFUSE_DOM0;
        if (r < 0)
                return r;
        if (!m->opt.dry_run && !have_old)
                record_start(m, sysfs_target);
        probe_helper(m);
        manager_log_start(m, sysfs_target, current);
        manager_note_cache_settings(m);
        return 0;
}

int manager_connect(struct manager *m)
{
        return toolstack_connect(m->ts);
}

int manager_watch_fd(const struct manager *m)
{
        return toolstack_fd(m->ts);
}

bool manager_process_watch(struct manager *m, uint64_t now_usec)
{
        unsigned ev = toolstack_process_watch(m->ts);

        if (ev & TOOLSTACK_EVENT_MOVED) {
                moved(m);
                return true;
        }
        /* xl mem-set: the balloon driver's watch fired with ours and takes
         * the guest to the toolstack's value; ours, within it, at once */
        if (ev & TOOLSTACK_EVENT_TOOLSTACK)
                return true;
        /* a grant (xenstore-chmod in dom0) counts at once, not at the next
         * tick or reload: hand xenstore the target that stands */
        if ((ev & TOOLSTACK_EVENT_GRANT) && m->have_last && !m->opt.dry_run)
                (void)toolstack_try_grant(m->ts, m->last_target_kb, now_usec);
        return false;
}

void manager_reload(struct manager *m, const struct sb_config *cfg)
{
        policy_settings_changed(&m->cfg.settings, &cfg->settings, &m->policy);
        toolstack_reload(m->ts, cfg->backend, cfg->settings.interval_s * USEC_PER_SEC);
        stall_reload(m);
        m->cfg = *cfg;
        probe_helper(m);
        manager_note_cache_settings(m);
        m->cache_problem = NULL; /* said again under the new settings */
        m->have_last = false; /* log the next decision under the new settings */
        m->watch_period_ms = 0;  /* the next tick sets it under the new settings */
        m->reserve_valid = false;
}

int manager_restore(struct manager *m)
{
        struct start_record rec;
        uint64_t kb = 0;
        int r;

        r = runstate_record_read(m->opt.root_fd, &rec);
        if (r < 0)
                return r;
        r = toolstack_restore(m->ts, &rec, &kb);
        if (r < 0) {
                log_msg(LOG_ERR, SB_MESSAGE_RESTORED,
                        "cannot restore the start target %" PRIu64 " kB: %s; the record stays "
                        "in /%s/start-target",
                        rec.sysfs_target_kb, strerror(-r), RUNSTATE_DIR);
                return r;
        }
        (void)runstate_record_remove(m->opt.root_fd);
        log_msg(LOG_NOTICE, SB_MESSAGE_RESTORED, "restored the start target %" PRIu64 " kB", kb);
        return 0;
}

void manager_stopping(struct manager *m)
{
        toolstack_stopping(m->ts);
}
