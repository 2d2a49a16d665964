/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "brake.h"
#include "daemon.h"
#include "exitcode.h"
#include "log.h"
#include "messages.h"
#include "notify.h"

struct daemon {
        const struct daemon_options *opt;
        struct sb_config cfg;
        struct manager *m;
        sd_event *event;
        sd_event_source *tick, *watch;
        int watch_fd;
        sd_event_source *look; /* the watch's next look between ticks */
        struct brake *brake;   /* brake = yes: MemoryHigh= on the slices */
        uint64_t tick_usec;
        uint64_t clock_interval_ms; /* --tick-ms: the interval at start sets the pace */
        bool ready;
        bool notify_failed; /* a failed READY=1 is said once */
};

static uint64_t mono_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

static uint64_t wall_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec;
}

uint64_t daemon_clock(uint64_t tick_ms, uint64_t interval_ms)
{
        if (!tick_ms)
                return mono_usec();
        return mono_usec() / tick_ms * interval_ms;
}

static uint64_t now(const struct daemon *d)
{
        return daemon_clock(d->opt->tick_ms, d->clock_interval_ms);
}

/* READY=1 and RELOADING=1 matter to systemd: a failure is said once. */
static void notify_state(struct daemon *d, const char *msg)
{
        int r = sd_notify(0, msg);

        if (r < 0 && !d->notify_failed)
                log_warning("cannot tell the service manager '%s' at $NOTIFY_SOCKET: %s", msg,
                            strerror(-r));
        d->notify_failed = d->notify_failed || r < 0;
}

static int on_watch(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* Timer sources fire once; each firing schedules the next. */
static int rearm(sd_event_source *s, uint64_t usec)
{
        int r = sd_event_source_set_time_relative(s, usec);

        return r < 0 ? r : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* The xenstore fd changes when the connection comes back: follow it. */
static void sync_watch_source(struct daemon *d)
{
        int fd = manager_watch_fd(d->m);

        if (fd == d->watch_fd)
                return;
        d->watch = sd_event_source_disable_unref(d->watch);
        d->watch_fd = -1;
        if (fd >= 0 && sd_event_add_io(d->event, &d->watch, fd, EPOLLIN, on_watch, d) >= 0)
                d->watch_fd = fd;
}

static int on_watch(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct daemon *d = userdata;

        /* restored or migrated, or an xl mem-set: the balloon driver's watch
         * fired with ours and is taking the guest to memory/target: tick now */
        if (manager_process_watch(d->m, now(d)) && d->tick)
                (void)rearm(d->tick, 0);
        sync_watch_source(d);
        return 0;
}

/* Schedules the watch's next look, unless the tick comes first (then the
 * tick looks). The manager's period is on its clock: --tick-ms scales it. */
static void schedule_look(struct daemon *d)
{
        uint64_t ms = manager_watch_period_ms(d->m), usec, slack;

        if (!d->look)
                return;
        usec = ms * 1000;
        if (d->opt->tick_ms)
                usec = usec * d->opt->tick_ms / d->clock_interval_ms;
        if (ms == 0 || usec >= d->tick_usec) {
                (void)sd_event_source_set_enabled(d->look, SD_EVENT_OFF);
                return;
        }
        /* a tenth of slack, so looks may batch with other wake-ups, taken
         * off the period: sd-event fires at the window's end unless another
         * wake-up falls in it, and the period is a deadline */
        slack = usec / 10 ? usec / 10 : 1;
        (void)sd_event_source_set_time_accuracy(d->look, slack);
        (void)rearm(d->look, usec - slack);
}

/* One look between ticks; errors are the next tick's to report. No
 * STATUS=: one datagram per regular tick is the e2e tests' tick clock. */
static void look(struct daemon *d, bool brake_held)
{
        uint64_t written, t = now(d);

        if (manager_watch(d->m, t, brake_held, &written) == 0 && written)
                manager_publish(d->m, t, wall_s());
        sync_watch_source(d);
        brake_update(d->brake);
        schedule_look(d);
}

static int on_look(sd_event_source *s, uint64_t usec, void *userdata)
{
        look(userdata, false);
        return 0;
}

/* A slice was throttled at its limit: a look at once that raises the
 * target (by a step when nothing else asks: policy_decide_watch()), then
 * the limits from what it left. */
static void on_brake(void *userdata)
{
        look(userdata, true);
}

void daemon_status_text(const struct manager *m, int r, const struct tick_result *t, char *buf,
                        size_t size)
{
        if (r < 0)
                snprintf(buf, size, "readings failed: %s", strerror(-r));
        else if (!t->decided || !t->decision.balloon)
                snprintf(buf, size, "self-ballooning disabled");
        else if (t->target_kb == 0)
                snprintf(buf, size,
                         "target left to the toolstack, goal %" PRIu64 " kB, floor %" PRIu64
                         " kB, backend %s, %s",
                         t->decision.goal_kb, t->decision.floor_kb, manager_backend(m),
                         manager_status(m));
        else
                snprintf(buf, size,
                         "target %" PRIu64 " kB, goal %" PRIu64 " kB, floor %" PRIu64
                         " kB, backend %s, %s",
                         t->target_kb, t->decision.goal_kb, t->decision.floor_kb,
                         manager_backend(m), manager_status(m));
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct daemon *d = userdata;
        struct tick_result t;
        char status[256];
        uint64_t n = now(d);
        int r;

        r = manager_tick(d->m, n, &t);
        if (r == 0)
                manager_publish(d->m, n, wall_s());
        sync_watch_source(d);
        if (r == 0 && !d->ready) {
                d->ready = true;
                notify_state(d, "READY=1");
        }
        daemon_status_text(d->m, r, &t, status, sizeof(status));
        /* one datagram per tick: the e2e tests' tick clock */
        (void)notify_status(status);
        brake_update(d->brake);
        r = rearm(s, d->tick_usec);
        schedule_look(d);
        return r;
}

/* A twentieth of the tick of slack lets the kernel batch wake-ups; more
 * than sd-event's default 250 ms would delay long intervals' ticks (and
 * the first one, READY=1) by minutes. */
static uint64_t tick_slack(const struct daemon *d)
{
        return d->tick_usec / 20 < 250000 ? d->tick_usec / 20 : 250000;
}

static void set_intervals(struct daemon *d)
{
        d->tick_usec = d->opt->tick_ms ? d->opt->tick_ms * 1000ULL
                                       : d->cfg.settings.interval_s * 1000000ULL;
        if (d->tick) {
                (void)sd_event_source_set_time_accuracy(d->tick, tick_slack(d));
                (void)rearm(d->tick, d->tick_usec);
        }
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct daemon *d = userdata;
        struct sb_config cfg;
        char err[512];
        int r;

        (void)sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, mono_usec());
        r = conf_load(d->opt->config_path, &cfg, err, sizeof(err));
        if (r == -ENOENT) {
                conf_default(&cfg);
                r = 0;
        }
        if (r < 0) {
                log_msg(LOG_ERR, SB_MESSAGE_RELOAD, "reload refused, keeping the old settings: %s",
                        err);
        } else {
                manager_reload(d->m, &cfg);
                d->cfg = cfg;
                set_intervals(d);
                schedule_look(d);
                brake_configure(d->brake, &d->cfg.settings);
                log_msg(LOG_INFO, SB_MESSAGE_RELOAD, "reloaded %s", d->opt->config_path);
        }
        notify_state(d, "READY=1");
        return 0;
}

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct daemon *d = userdata;
        int r;

        (void)sd_notify(0, "STOPPING=1");
        (void)brake_clear(d->brake); /* before the target: no slice held meanwhile */
        if (!d->opt->dry_run) {
                r = manager_restore(d->m);
                if (r == -ENOENT)
                        log_warning("no start target recorded: nothing to restore");
                manager_stopping(d->m);
        }
        log_info("stopping on %s", strsignal((int)si->ssi_signo));
        return sd_event_exit(sd_event_source_get_event(s), EXIT_OK);
}

static int add_sources(struct daemon *d)
{
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_default(&d->event);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGTERM, on_term, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGINT, on_term, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGHUP, on_hup, d);
        /* WATCHDOG=1 when due, folded into the wake-ups the loop has anyway */
        if (r >= 0)
                r = sd_event_set_watchdog(d->event, true);
        set_intervals(d);
        if (r >= 0)
                /* the first tick at once: READY=1 means a decision was made */
                r = sd_event_add_time_relative(d->event, &d->tick, CLOCK_MONOTONIC, 0,
                                               tick_slack(d), on_tick, d);
        if (r >= 0)
                r = sd_event_add_time_relative(d->event, &d->look, CLOCK_MONOTONIC,
                                               d->tick_usec, 0, on_look, d);
        if (r >= 0)
                r = sd_event_source_set_enabled(d->look, SD_EVENT_OFF);
        if (r >= 0)
                r = brake_new(d->event, d->opt->root_fd, d->opt->dry_run, on_brake, d,
                              &d->brake);
        if (r >= 0)
                brake_configure(d->brake, &d->cfg.settings);
        return r;
}

int daemon_run(struct manager *m, const struct sb_config *cfg, const struct daemon_options *o)
{
        struct daemon d = {
                .opt = o,
                .cfg = *cfg,
                .m = m,
                .watch_fd = -1,
                .clock_interval_ms = cfg->settings.interval_s * 1000ULL,
        };
        int r = notify_status_open();

        if (r < 0)
                log_warning("cannot reach the service manager at $NOTIFY_SOCKET: %s",
                            strerror(-r));
        r = add_sources(&d);
        if (r >= 0) {
                sync_watch_source(&d);
                r = sd_event_loop(d.event);
        }
        if (r < 0)
                log_error("event loop failed: %s", strerror(-r));
        (void)brake_clear(d.brake);
        brake_free(d.brake);
        sd_event_source_disable_unref(d.watch);
        sd_event_source_disable_unref(d.tick);
        sd_event_source_disable_unref(d.look);
        sd_event_unref(d.event);
        notify_status_close();
        return r < 0 ? EXIT_RUNTIME : r;
}
