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

#include "daemon.h"
#include "exitcode.h"
#include "log.h"
#include "messages.h"
#include "pressure.h"

struct daemon {
        const struct daemon_options *opt;
        struct sb_config cfg;
        struct manager *m;
        sd_event *event;
        sd_event_source *tick, *watch;
        int watch_fd;
        /* the fast path: a PSI trigger, and the looks that follow an event */
        sd_event_source *pressure, *follow;
        int pressure_fd;
        uint64_t follow_until_usec;
        int pressure_error; /* the last reason it could not be armed, logged once */
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

        manager_process_watch(d->m, now(d));
        sync_watch_source(d);
        return 0;
}

/* One look between ticks; errors are the next tick's to report. */
static void fast_look(struct daemon *d)
{
        uint64_t written, t = now(d);

        if (manager_fast(d->m, t, &written) == 0 && written)
                manager_publish(d->m, t, wall_s());
        sync_watch_source(d);
}

static int on_follow(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct daemon *d = userdata;

        fast_look(d);
        if (mono_usec() < d->follow_until_usec)
                return rearm(s, PRESSURE_FOLLOW_EVERY_USEC);
        return 0;
}

static void pressure_close(struct daemon *d)
{
        d->pressure = sd_event_source_disable_unref(d->pressure);
        if (d->pressure_fd >= 0)
                close(d->pressure_fd);
        d->pressure_fd = -1;
        if (d->follow)
                (void)sd_event_source_set_enabled(d->follow, SD_EVENT_OFF);
}

static int on_pressure(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct daemon *d = userdata;

        if (revents & (EPOLLERR | EPOLLHUP)) {
                /* the trigger's owner (a cgroup) went away */
                log_warning("the memory pressure trigger was closed by the kernel: deciding "
                            "every interval only until the next reload");
                pressure_close(d);
                return 0;
        }
        fast_look(d);
        /* a sudden allocation goes on after the event: keep looking a while */
        d->follow_until_usec = mono_usec() + PRESSURE_FOLLOW_FOR_USEC;
        if (d->follow)
                (void)rearm(d->follow, PRESSURE_FOLLOW_EVERY_USEC);
        return 0;
}

static void log_pressure_armed(uint32_t window)
{
        if (window == PRESSURE_WINDOW_US)
                log_info("fast path: a memory pressure trigger (some %u us in %u us) on "
                         "/proc/pressure/memory raises the target between ticks",
                         PRESSURE_THRESHOLD_US, window);
        else
                log_warning("fast path: the kernel takes only a %u us window for the memory "
                            "pressure trigger (no CAP_SYS_RESOURCE): sudden demand is seen up "
                            "to %u s late",
                            window, window / 1000000);
}

static void log_pressure_failed(struct daemon *d, int r)
{
        if (r != d->pressure_error)
                log_warning("no fast path: cannot arm a memory pressure trigger on "
                            "/proc/pressure/memory: %s%s; the policy decides every interval only",
                            strerror(-r),
                            r == -ENOENT ? " (the kernel has no PSI: Linux 5.2+ with "
                                           "CONFIG_PSI, not booted with psi=0)"
                            : r == -EPERM || r == -EACCES
                                    ? " (before Linux 6.5 a trigger needs CAP_SYS_RESOURCE)"
                            : r == -ENOTTY ? " (not the kernel's file: a test tree?)"
                                           : "");
        d->pressure_error = r;
}

/* Arms or drops the PSI trigger as the settings want; says once why the
 * fast path cannot run. */
static void sync_fast_path(struct daemon *d)
{
        uint32_t window = 0;
        int fd, r;

        if (!manager_has_fast_path(d->m)) {
                pressure_close(d);
                d->pressure_error = 0;
                return;
        }
        if (d->pressure)
                return;
        fd = pressure_trigger_open(d->opt->root_fd, PRESSURE_THRESHOLD_US, PRESSURE_WINDOW_US,
                                   &window);
        r = fd;
        if (fd >= 0) {
                r = sd_event_add_io(d->event, &d->pressure, fd, EPOLLPRI, on_pressure, d);
                if (r < 0)
                        close(fd);
                else
                        d->pressure_fd = fd;
        }
        if (r >= 0 && !d->follow)
                r = sd_event_add_time_relative(d->event, &d->follow, CLOCK_MONOTONIC,
                                               PRESSURE_FOLLOW_EVERY_USEC,
                                               PRESSURE_FOLLOW_EVERY_USEC / 10, on_follow, d);
        if (r >= 0) {
                (void)sd_event_source_set_enabled(d->follow, SD_EVENT_OFF);
                log_pressure_armed(window);
                d->pressure_error = 0;
                return;
        }
        pressure_close(d);
        log_pressure_failed(d, r);
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
        (void)sd_notifyf(0, "STATUS=%s", status);
        return rearm(s, d->tick_usec);
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
                sync_fast_path(d);
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
        return r;
}

int daemon_run(struct manager *m, const struct sb_config *cfg, const struct daemon_options *o)
{
        struct daemon d = {
                .opt = o,
                .cfg = *cfg,
                .m = m,
                .watch_fd = -1,
                .pressure_fd = -1,
                .clock_interval_ms = cfg->settings.interval_s * 1000ULL,
        };
        int r = add_sources(&d);

        if (r >= 0) {
                sync_watch_source(&d);
                sync_fast_path(&d);
                r = sd_event_loop(d.event);
        }
        if (r < 0)
                log_error("event loop failed: %s", strerror(-r));
        sd_event_source_disable_unref(d.watch);
        sd_event_source_disable_unref(d.tick);
        pressure_close(&d);
        sd_event_source_disable_unref(d.follow);
        sd_event_unref(d.event);
        return r < 0 ? EXIT_RUNTIME : r;
}
