/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "log.h"
#include "manager-internal.h"
#include "messages.h"
#include "runstate.h"

int manager_new(const struct sb_config *cfg, const struct manager_options *o,
                struct manager **ret)
{
        struct manager *m = calloc(1, sizeof(*m));

        if (!m)
                return -ENOMEM;
        m->cfg = *cfg;
        m->opt = *o;
        policy_state_init(&m->policy);
        m->backend = cfg->backend == SB_BACKEND_SYSFS ? "sysfs" : "xenstore";
        m->xs_domid = -2; /* no connection yet */
        m->meminfo_file = m->current_kb_file = m->target_kb_file =
                (struct reread_file)REREAD_FILE_INIT;
        *ret = m;
        return 0;
}

void manager_free(struct manager *m)
{
        if (!m)
                return;
        store_free(m->store);
        reread_file_close(&m->meminfo_file);
        reread_file_close(&m->current_kb_file);
        reread_file_close(&m->target_kb_file);
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

/* Tries xenstore again after a loss, every tick at first, then backing off
 * to once a minute: a guest whose xenstore stays away is not hammered. */
static void reconnect(struct manager *m, uint64_t now_usec)
{
        uint64_t tick = m->cfg.settings.interval_s * USEC_PER_SEC;

        if (now_usec < m->store_retry_usec)
                return;
        if (store_connect(m) == 0) {
                m->store_backoff_usec = 0;
                return;
        }
        m->store_backoff_usec = m->store_backoff_usec ? 2 * m->store_backoff_usec : tick;
        if (m->store_backoff_usec > XS_RECONNECT_MAX_USEC)
                m->store_backoff_usec = XS_RECONNECT_MAX_USEC;
        /* a little early, so the tick that is due finds the retry due too */
        m->store_retry_usec = now_usec + m->store_backoff_usec - tick / 2;
}

/* The readings of one tick. */
static int observe(struct manager *m, uint64_t now_usec, struct sb_observation *o,
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
        o->max_kb = m->max_kb;
        /* static-max below what the guest has would make no sense */
        if (o->max_kb < o->balloon_current_kb)
                o->max_kb = o->balloon_current_kb;
        observe_frontswap(m, o);
        return 0;
}

/* Readings failed: hold on the first failure; from the second in a row,
 * give the guest back its start target, since we can no longer see its
 * demand and must not leave it short. */
static void on_read_failure(struct manager *m, int r, const char *what)
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
                int k = apply_target(m, rec.sysfs_target_kb, 0);
                log_msg(LOG_WARNING, SB_MESSAGE_READ_FAILED,
                        "still cannot read %s: giving the guest back its start target %" PRIu64
                        " kB%s",
                        what, rec.sysfs_target_kb, k < 0 ? " failed" : "");
                m->have_last = false;
        }
}

static void update_stall(struct manager *m, uint64_t current_kb, uint64_t balloon_target_kb,
                         uint64_t wanted_kb, uint64_t now_usec)
{
        bool short_of_target = current_kb < balloon_target_kb;

        if (m->stalled) {
                if (current_kb > m->stalled_current_kb || wanted_kb <= current_kb) {
                        m->stalled = false;
                        m->stall_ticks = 0;
                        log_msg(LOG_NOTICE, SB_MESSAGE_UNSTALLED,
                                "the balloon %s (now %" PRIu64 " kB)",
                                current_kb > m->stalled_current_kb ? "grows again"
                                                                   : "need not grow any more",
                                current_kb);
                }
        } else if (short_of_target && current_kb <= m->stall_last_current_kb) {
                if (++m->stall_ticks >= STALL_TICKS) {
                        int d = m->store ? store_domid(m->store) : -1;
                        char dom[16];

                        snprintf(dom, sizeof(dom), d >= 0 ? "%d" : "<domain>", d);
                        m->stalled = true;
                        m->stalled_current_kb = current_kb;
                        m->probe_usec = now_usec + STALL_PROBE_USEC;
                        log_msg(LOG_WARNING, SB_MESSAGE_STALLED,
                                "the balloon cannot grow: target %" PRIu64 " kB, but the guest "
                                "has held %" PRIu64 " kB for %u ticks (Xen refuses more pages: "
                                "the domain's maximum is below the target); no longer asking "
                                "for more than the guest has, probing once a minute; to raise "
                                "the cap, run in dom0: xl mem-max %s %" PRIu64 "m",
                                balloon_target_kb, current_kb, STALL_TICKS, dom,
                                (m->max_kb + 1023) / 1024);
                }
        } else {
                m->stall_ticks = 0;
        }
        m->stall_last_current_kb = current_kb;
}

/* The decision, clamped by what the toolstack and Xen allow. Returns false
 * when nothing may be written (the clamps would go below the floor). */
static bool clamp_target(struct manager *m, const struct sb_decision *d, uint64_t current_kb,
                         bool probe, uint64_t *ret_kb)
{
        uint64_t t = d->target_kb;

        if (m->ceiling && t > m->ceiling_kb)
                t = m->ceiling_kb;
        /* stalled: ask for no more than the guest has, except for a probe
         * once a minute; the next tick tells whether the cap moved */
        if (m->stalled && t > current_kb && !probe)
                t = current_kb;
        if (t > m->max_kb)
                t = m->max_kb;
        if (t < d->floor_target_kb) {
                if (m->ceiling && m->ceiling_kb < d->floor_target_kb &&
                    !m->ceiling_below_floor_logged) {
                        log_warning("the toolstack's target %" PRIu64 " kB is below the floor "
                                    "%" PRIu64 " kB: leaving the balloon to the toolstack",
                                    m->ceiling_kb, d->floor_target_kb);
                        m->ceiling_below_floor_logged = true;
                }
                return false;
        }
        *ret_kb = t;
        return true;
}

static void log_decision(struct manager *m, const struct sb_observation *o,
                         const struct sb_decision *d, uint64_t target_kb, bool fast)
{
        enum { N_NUM = 12 };
        struct log_field f[N_NUM + 2] = {
                { "SELFBALLOON_TARGET_KB", "" },       { "SELFBALLOON_GOAL_KB", "" },
                { "SELFBALLOON_FLOOR_KB", "" },        { "SELFBALLOON_MEMTOTAL_KB", "" },
                { "SELFBALLOON_COMMITTED_AS_KB", "" }, { "SELFBALLOON_TOTALRESERVE_KB", "" },
                { "SELFBALLOON_CURRENT_KB", "" },      { "SELFBALLOON_MAX_KB", "" },
                { "SELFBALLOON_SUNRECLAIM_KB", "" },   { "SELFBALLOON_KERNEL_STACK_KB", "" },
                { "SELFBALLOON_PAGE_TABLES_KB", "" },  { "SELFBALLOON_MEM_AVAILABLE_KB", "" },
                { "SELFBALLOON_BACKEND", "" },         { "SELFBALLOON_PATH", "" },
        };
        const uint64_t v[N_NUM] = { target_kb,          d->goal_kb,         d->floor_kb,
                                    o->mem_total_kb,    o->committed_as_kb, o->totalreserve_kb,
                                    o->balloon_current_kb, o->max_kb,       o->sunreclaim_kb,
                                    o->kernel_stack_kb, o->page_tables_kb,  o->mem_available_kb };

        for (size_t i = 0; i < N_NUM; i++)
                snprintf(f[i].value, sizeof(f[i].value), "%" PRIu64, v[i]);
        snprintf(f[N_NUM].value, sizeof(f[N_NUM].value), "%s",
                 m->opt.dry_run ? "none" : m->backend);
        snprintf(f[N_NUM + 1].value, sizeof(f[N_NUM + 1].value), "%s", fast ? "fast" : "tick");
        if (fast)
                log_fields(LOG_INFO, SB_MESSAGE_DECISION, f, N_NUM + 2,
                           "%smemory pressure: target %" PRIu64 " kB at once (goal %" PRIu64
                           " kB, MemAvailable %" PRIu64 " kB, Committed_AS %" PRIu64 " kB)",
                           m->opt.dry_run ? "dry run: " : "", target_kb, d->goal_kb,
                           o->mem_available_kb, o->committed_as_kb);
        else
                log_fields(LOG_INFO, SB_MESSAGE_DECISION, f, N_NUM + 2,
                           "%starget %" PRIu64 " kB (goal %" PRIu64 " kB, floor %" PRIu64
                           " kB, MemTotal %" PRIu64 " kB, Committed_AS %" PRIu64 " kB)",
                           m->opt.dry_run ? "dry run: " : "", target_kb, d->goal_kb,
                           d->floor_kb, o->mem_total_kb, o->committed_as_kb);
}

int manager_tick(struct manager *m, uint64_t now_usec, struct tick_result *ret)
{
        struct sb_observation o;
        struct sb_decision d;
        struct meminfo mi;
        uint64_t balloon_target_kb, target_kb = 0;
        const char *what;
        bool xs_retry_due, probe;
        int r;

        *ret = (struct tick_result){ .backend = m->backend, .status = status_of(m) };
        if (!m->store && m->cfg.backend != SB_BACKEND_SYSFS)
                reconnect(m, now_usec);
        if (m->store)
                manager_process_watch(m, now_usec);

        r = observe(m, now_usec, &o, &mi, &balloon_target_kb, &what);
        if (r < 0) {
                on_read_failure(m, r, what);
                return r;
        }
        if (m->read_failures > 0) {
                log_notice("%s readable again: deciding as before", m->read_failed_what);
                m->read_failures = 0;
        }
        if (!m->swap_checked) {
                if (meminfo_has(&mi, MEMINFO_SWAP_TOTAL) && mi.swap_total_kb == 0)
                        log_msg(LOG_WARNING, SB_MESSAGE_NOSWAP,
                                "the guest has no swap: self-ballooning relies on swap to absorb "
                                "sudden demand between ticks (the seed recommends swap as large "
                                "as the guest's memory)");
                m->swap_checked = true;
        }

        r = policy_decide(&m->cfg.settings, &m->policy, &o, m->opt.page_size, &d);
        if (r < 0)
                return r;
        ret->decided = true;
        ret->decision = d;
        act_frontswap(m, &o, &d);
        if (!d.balloon)
                return 0;

        update_stall(m, o.balloon_current_kb, balloon_target_kb, d.target_kb, now_usec);
        probe = m->stalled && now_usec >= m->probe_usec;
        if (probe)
                m->probe_usec = now_usec + STALL_PROBE_USEC;
        if (clamp_target(m, &d, o.balloon_current_kb, probe, &target_kb) &&
            target_kb < balloon_target_kb) {
                /* about to take memory away: look again right before acting */
                struct sb_policy_state copy = m->policy;
                struct sb_observation o2;
                struct sb_decision d2;
                uint64_t t2;

                if (observe(m, now_usec, &o2, &mi, &balloon_target_kb, &what) == 0 &&
                    policy_decide(&m->cfg.settings, &copy, &o2, m->opt.page_size, &d2) == 0 &&
                    clamp_target(m, &d2, o2.balloon_current_kb, probe, &t2) && t2 > target_kb) {
                        /* the later readings win: log what the target came from */
                        target_kb = t2;
                        o = o2;
                        d.goal_kb = d2.goal_kb;
                        d.floor_kb = d2.floor_kb;
                }
        }

        /* a due xenstore retry writes even an unchanged target, so that a
         * grant shows in memory/target without waiting for a change */
        xs_retry_due = m->cfg.backend == SB_BACKEND_AUTO && m->xs_denied && m->store &&
                       now_usec >= m->xs_retry_usec;
        if (target_kb != 0 && (target_kb != balloon_target_kb || xs_retry_due) &&
            !m->opt.dry_run) {
                r = apply_target(m, target_kb, now_usec);
                if (r == -ESTALE) {
                        target_kb = 0; /* nothing written: decide again under the ceiling */
                } else if (r < 0) {
                        if (!m->have_last || target_kb != m->last_target_kb)
                                log_msg(LOG_ERR, SB_MESSAGE_WRITE_FAILED,
                                        "cannot set the balloon target to %" PRIu64
                                        " kB through %s: %s",
                                        target_kb,
                                        m->cfg.backend == SB_BACKEND_XENSTORE ? "xenstore"
                                                                              : "sysfs",
                                        strerror(-r));
                } else {
                        ret->written_kb = target_kb;
                }
        }
        if (target_kb != 0 && (!m->have_last || target_kb != m->last_target_kb))
                log_decision(m, &o, &d, target_kb, false);
        if (target_kb != 0) {
                m->have_last = true;
                m->last_target_kb = target_kb;
        }

        ret->backend = m->backend;
        ret->status = status_of(m);
        if (target_kb != 0)
                publish_u64(m, PUB_TARGET, target_kb);
        publish_u64(m, PUB_GOAL, d.goal_kb);
        publish_u64(m, PUB_FLOOR, d.floor_kb);
        publish(m, PUB_BACKEND, m->backend);
        publish(m, PUB_STATUS, status_of(m));
        return 0;
}

bool manager_has_fast_path(const struct manager *m)
{
        return m->cfg.settings.enabled && policy_has_fast_path(m->cfg.settings.policy);
}

/*
 * Between ticks, on memory pressure: look again and raise the target at
 * once if the fast path asks for more than the balloon has been told. It
 * never lowers anything and leaves the tick's state (stall counting,
 * frontswap, the reading-failure streak) alone: the next tick decides as
 * usual.
 */
int manager_fast(struct manager *m, uint64_t now_usec, uint64_t *ret_written_kb)
{
        struct sb_observation o;
        struct sb_decision d;
        struct meminfo mi;
        uint64_t balloon_target_kb, target_kb;
        const char *what;
        int r;

        *ret_written_kb = 0;
        if (!manager_has_fast_path(m))
                return 0;
        r = observe(m, now_usec, &o, &mi, &balloon_target_kb, &what);
        if (r < 0)
                return r; /* the next tick reports it */
        r = policy_decide_fast(&m->cfg.settings, &m->policy, &o, m->opt.page_size,
                               balloon_target_kb, &d);
        if (r < 0 || !d.balloon)
                return r;
        if (!clamp_target(m, &d, o.balloon_current_kb, false, &target_kb) ||
            target_kb <= balloon_target_kb)
                return 0;
        if (!m->opt.dry_run) {
                r = apply_target(m, target_kb, now_usec);
                if (r < 0) {
                        if (r != -ESTALE)
                                log_msg(LOG_ERR, SB_MESSAGE_WRITE_FAILED,
                                        "memory pressure: cannot set the balloon target to "
                                        "%" PRIu64 " kB: %s",
                                        target_kb, strerror(-r));
                        return r;
                }
                *ret_written_kb = target_kb;
        }
        log_decision(m, &o, &d, target_kb, true);
        m->have_last = true;
        m->last_target_kb = target_kb;
        publish_u64(m, PUB_TARGET, target_kb);
        publish_u64(m, PUB_GOAL, d.goal_kb);
        return 0;
}

static int64_t learn_offset(struct manager *m, uint64_t sysfs_target_kb,
                            const struct start_record *rec, bool have_rec)
{
        uint64_t xs;

        /* PV guests' balloon takes xenstore targets as they are; HVM and
         * PVH subtract what was missing at boot (xen-balloon.c target_diff) */
        if (m->guest.type == GUEST_TYPE_PV || !m->store)
                return 0;
        if (have_rec && rec->has_xenstore)
                return (int64_t)rec->xenstore_target_kb - (int64_t)rec->sysfs_target_kb;
        if (store_read_u64(m->store, "memory/target", &xs) < 0)
                return 0;
        return (int64_t)xs - (int64_t)sysfs_target_kb;
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

int manager_start(struct manager *m, uint64_t now_usec)
{
        struct start_record rec = { 0 }, old;
        bool have_old;
        uint64_t sysfs_target = 0, current = 0, xs_target;
        char settings[640];
        int r;

        r = guest_detect(m->opt.root_fd, &m->guest);
        if (r == GUEST_DETECT_DOM0) {
                log_error("this is dom0: self-ballooning is for guests (domU) only");
                return MANAGER_REFUSE_DOM0;
        }
        if (r > 0) {
                log_error("not running in a Xen guest with a balloon driver: %s",
                          guest_detect_to_string(r));
                return MANAGER_REFUSE_NOT_XEN;
        }
        if (r < 0) {
                log_error("cannot tell what kind of machine this is: %s", strerror(-r));
                return r;
        }
        r = balloon_read_target_kb(m->opt.root_fd, &sysfs_target);
        if (r >= 0)
                r = balloon_read_current_kb(m->opt.root_fd, &current);
        if (r < 0) {
                log_error("cannot read the balloon driver's sysfs files under /%s: %s",
                          BALLOON_SYSFS_DIR, strerror(-r));
                return r;
        }

        r = store_connect(m);
        if (r < 0 && m->cfg.backend == SB_BACKEND_XENSTORE) {
                log_error("backend = xenstore, but xenstore cannot be reached: %s", strerror(-r));
                return r;
        }
        if (r < 0 && m->cfg.backend == SB_BACKEND_AUTO) {
                log_warning("xenstore cannot be reached (%s): driving the balloon through sysfs",
                            strerror(-r));
                m->backend = backend_sysfs.name;
        }
        if (m->store && store_domid(m->store) == 0) {
                log_error("this is dom0 (xenstore domid 0): self-ballooning is for guests only");
                return MANAGER_REFUSE_DOM0;
        }
        if (!m->max_from_store) {
                /* without static-max, never ask for more than the guest had */
                m->max_kb = sysfs_target > current ? sysfs_target : current;
                log_warning("memory/static-max is not readable: using %" PRIu64
                            " kB, what the guest has now, as the maximum",
                            m->max_kb);
        }

        have_old = runstate_record_read(m->opt.root_fd, &old) == 0;
        m->xs_offset_kb = learn_offset(m, sysfs_target, &old, have_old);
        if (!m->opt.dry_run && !have_old) {
                rec.sysfs_target_kb = sysfs_target;
                if (m->store && store_read_u64(m->store, "memory/target", &xs_target) == 0) {
                        rec.has_xenstore = true;
                        rec.xenstore_target_kb = xs_target;
                }
                r = runstate_record_write(m->opt.root_fd, &rec);
                if (r < 0 && r != -EEXIST)
                        log_warning("cannot record the start target in /%s: %s; a stop will "
                                    "not be able to restore it",
                                    RUNSTATE_DIR, strerror(-r));
        }

        settings_line(&m->cfg, settings, sizeof(settings));
        probe_helper(m);
        log_msg(LOG_INFO, SB_MESSAGE_START,
                "started%s: %s guest, domid %d, balloon target %" PRIu64 " kB, current %" PRIu64
                " kB, max %" PRIu64 " kB, backend %s; configuration %s%s; %s",
                m->opt.dry_run ? " (dry run: nothing will be written)" : "",
                guest_type_to_string(m->guest.type), m->store ? store_domid(m->store) : -1,
                sysfs_target, current, m->max_kb,
                conf_backend_to_string(m->cfg.backend), m->opt.config_path,
                m->opt.config_missing ? " does not exist: defaults" : "", settings);
        return 0;
}

void manager_reload(struct manager *m, const struct sb_config *cfg)
{
        policy_settings_changed(&m->cfg.settings, &cfg->settings, &m->policy);
        if (cfg->backend != m->cfg.backend) {
                m->xs_denied = false;
                m->backend = cfg->backend == SB_BACKEND_SYSFS ? "sysfs" : "xenstore";
        }
        m->cfg = *cfg;
        probe_helper(m);
        m->have_last = false; /* log the next decision under the new settings */
        /* an operator who granted access or raised the cap and reloads
         * wants it to count now, not within the minute */
        m->xs_retry_usec = 0;
        m->probe_usec = 0;
        m->reserve_valid = false;
}

int manager_restore(struct manager *m)
{
        struct backend_ctx ctx = { .root_fd = m->opt.root_fd, .store = m->store };
        struct start_record rec;
        int r;

        r = runstate_record_read(m->opt.root_fd, &rec);
        if (r < 0)
                return r;
        /* the toolstack set a target while we ran: that one is the guest's
         * now, not the one it had at our start */
        if (m->ceiling && m->ceiling_kb > 0) {
                rec.sysfs_target_kb = m->ceiling_kb;
                rec.xenstore_target_kb = (uint64_t)((int64_t)m->ceiling_kb + m->xs_offset_kb);
        }
        /* the recorded xenstore value is already on xenstore's scale */
        if (m->cfg.backend != SB_BACKEND_SYSFS && rec.has_xenstore && m->store) {
                ctx.xs_offset_kb = 0;
                r = backend_xenstore.set_target_kb(&ctx, rec.xenstore_target_kb);
                if (r == 0 || m->cfg.backend == SB_BACKEND_XENSTORE)
                        goto done;
        } else if (m->cfg.backend == SB_BACKEND_XENSTORE) {
                r = -ENOTCONN;
                goto done;
        }
        r = backend_sysfs.set_target_kb(&ctx, rec.sysfs_target_kb);
done:
        if (r < 0) {
                log_msg(LOG_ERR, SB_MESSAGE_RESTORED,
                        "cannot restore the start target %" PRIu64 " kB: %s; the record stays "
                        "in /%s/start-target",
                        rec.sysfs_target_kb, strerror(-r), RUNSTATE_DIR);
                return r;
        }
        (void)runstate_record_remove(m->opt.root_fd);
        log_msg(LOG_NOTICE, SB_MESSAGE_RESTORED, "restored the start target %" PRIu64 " kB",
                rec.sysfs_target_kb);
        return 0;
}

void manager_stopping(struct manager *m)
{
        publish(m, PUB_STATUS, "stopped");
}
