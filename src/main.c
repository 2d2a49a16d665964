/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "manager.h"
#include "messages.h"
#include "notify.h"
#include "pressure.h"
#include "replay.h"
#include "runstate.h"
#include "util.h"

#ifndef SB_CONFIG_PATH
#define SB_CONFIG_PATH "/etc/selfballoon.conf"
#endif
#ifndef SB_VERSION
#define SB_VERSION "unknown"
#endif

struct options {
        const char *config;
        bool config_given;
        const char *replay;
        bool print_config;
        bool once;
        bool dry_run;
        bool restore;
        const char *root;
        enum log_target log;
        uint64_t tick_ms; /* testing: 0 = the configured interval */
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: selfballoond [OPTION...]\n"
                "Give a Xen guest's unused memory back to the host, and take it back when\n"
                "the guest needs it (the policy of Linux's xen-selfballoon, in userspace).\n"
                "\n"
                "  -c, --config=FILE    configuration file (default " SB_CONFIG_PATH ")\n"
                "      --replay=FILE    decide for CSV observations in FILE ('-': stdin),\n"
                "                       print one decision line per line; needs no Xen\n"
                "      --print-config   print the effective settings and exit\n"
                "      --once           run one tick as the daemon would, print the decision\n"
                "      --dry-run        decide and log, but write nothing anywhere\n"
                "      --restore        give the guest back the target recorded at start\n"
                "      --log=TARGET     console or journal (default: journal under systemd)\n"
                "      --root=DIR       testing: read /proc, /sys and /run below DIR\n"
                "      --tick-ms=MS     testing: tick every MS milliseconds, all the daemon's\n"
                "                       waits sped up alike\n"
                "  -h, --help           show this help and exit\n"
                "      --version        show the version and exit\n"
                "\n"
                "Exit status: 0 success, 1 runtime failure, 2 bad usage, configuration or\n"
                "replay input, 3 refused in dom0, 4 refused outside a Xen guest.\n"
                "See selfballoond(8) and selfballoon.conf(5).\n");
}

enum {
        OPT_REPLAY = 0x100,
        OPT_PRINT_CONFIG,
        OPT_VERSION,
        OPT_ONCE,
        OPT_DRY_RUN,
        OPT_RESTORE,
        OPT_LOG,
        OPT_ROOT,
        OPT_TICK_MS,
};

static int parse_argv(int argc, char **argv, struct options *o)
{
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "replay", required_argument, NULL, OPT_REPLAY },
                { "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                { "once", no_argument, NULL, OPT_ONCE },
                { "dry-run", no_argument, NULL, OPT_DRY_RUN },
                { "restore", no_argument, NULL, OPT_RESTORE },
                { "log", required_argument, NULL, OPT_LOG },
                { "root", required_argument, NULL, OPT_ROOT },
                { "tick-ms", required_argument, NULL, OPT_TICK_MS },
                { 0 },
        };
        int c;

        *o = (struct options){ .config = SB_CONFIG_PATH };
        while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        o->config = optarg;
                        o->config_given = true;
                        break;
                case OPT_REPLAY:
                        o->replay = optarg;
                        break;
                case OPT_PRINT_CONFIG:
                        o->print_config = true;
                        break;
                case OPT_ONCE:
                        o->once = true;
                        break;
                case OPT_DRY_RUN:
                        o->dry_run = true;
                        break;
                case OPT_RESTORE:
                        o->restore = true;
                        break;
                case OPT_LOG:
                        if (log_target_from_string(optarg, &o->log) < 0) {
                                fprintf(stderr, "selfballoond: --log takes console or journal, "
                                                "not '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_ROOT:
                        o->root = optarg;
                        break;
                case OPT_TICK_MS:
                        if (parse_u64(optarg, &o->tick_ms) < 0 || o->tick_ms == 0 ||
                            o->tick_ms > 3600000) {
                                fprintf(stderr, "selfballoond: --tick-ms takes 1 to 3600000\n");
                                return -EINVAL;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        exit(EXIT_OK);
                case OPT_VERSION:
                        printf("selfballoond " SB_VERSION "\n");
                        exit(EXIT_OK);
                default:
                        fprintf(stderr, "Try 'selfballoond --help'.\n");
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "selfballoond: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        if ((o->replay != NULL) + o->print_config + o->once + o->restore > 1) {
                fprintf(stderr, "selfballoond: --replay, --print-config, --once and --restore "
                                "exclude each other\n");
                return -EINVAL;
        }
        if (o->dry_run && (o->replay || o->print_config || o->restore)) {
                fprintf(stderr, "selfballoond: --dry-run goes with the daemon or --once\n");
                return -EINVAL;
        }
        return 0;
}

/* Loads the configuration. A missing file means the defaults, unless the
 * file was named explicitly. Returns an exit code. */
static int load_config(const struct options *o, bool required, struct sb_config *ret,
                       bool *ret_missing)
{
        char err[512];
        int r;

        r = conf_load(o->config, ret, err, sizeof(err));
        *ret_missing = false;
        if (r == -ENOENT && !required) {
                conf_default(ret);
                *ret_missing = true;
                return EXIT_OK;
        }
        if (r < 0) {
                fprintf(stderr, "selfballoond: %s\n", err);
                return r == -EINVAL || r == -ENOENT ? EXIT_USAGE : EXIT_RUNTIME;
        }
        return EXIT_OK;
}

static int run_replay(const struct options *o)
{
        struct sb_config cfg;
        _cleanup_fclose_ FILE *opened = NULL;
        FILE *in = stdin;
        char err[512];
        bool missing;
        long page_size = sysconf(_SC_PAGESIZE);
        int r;

        /* The replay reads no configuration unless it is named. */
        conf_default(&cfg);
        if (o->config_given) {
                r = load_config(o, true, &cfg, &missing);
                if (r != EXIT_OK)
                        return r;
        }
        if (strcmp(o->replay, "-") != 0) {
                opened = fopen(o->replay, "re");
                if (!opened) {
                        fprintf(stderr, "selfballoond: cannot open replay input %s: %s\n", o->replay,
                                strerror(errno));
                        return EXIT_USAGE;
                }
                in = opened;
        }
        r = replay_run(in, stdout, strcmp(o->replay, "-") == 0 ? "<stdin>" : o->replay,
                       &cfg.settings, (uint64_t)page_size, err, sizeof(err));
        if (r == -EINVAL) {
                fprintf(stderr, "selfballoond: %s\n", err);
                return EXIT_USAGE;
        }
        if (r == -ENODATA) {
                fprintf(stderr, "selfballoond: %s\n", err);
                return EXIT_RUNTIME;
        }
        if (r < 0) {
                fprintf(stderr, "selfballoond: cannot write the replay output: %s\n",
                        strerror(-r));
                return EXIT_RUNTIME;
        }
        return EXIT_OK;
}

static int run_print_config(const struct options *o)
{
        struct sb_config cfg;
        bool missing;
        int r = load_config(o, o->config_given, &cfg, &missing);

        if (r != EXIT_OK)
                return r;
        if (missing)
                printf("# %s does not exist: these are the defaults\n", o->config);
        else
                printf("# effective settings from %s\n", o->config);
        if (conf_print(stdout, &cfg) < 0 || fflush(stdout) != 0)
                return EXIT_RUNTIME;
        return EXIT_OK;
}

struct daemon {
        const struct options *opt;
        struct sb_config cfg;
        struct manager *m;
        sd_event *event;
        sd_event_source *tick, *watch, *watchdog;
        int watch_fd;
        /* the fast path: a PSI trigger, and the looks that follow an event */
        sd_event_source *pressure, *follow;
        int pressure_fd;
        uint64_t follow_until_usec;
        int pressure_error; /* the last reason it could not be armed, logged once */
        int root_fd;
        uint64_t tick_usec;
        uint64_t watchdog_usec; /* 0: no watchdog */
        bool ping_in_tick;
        uint64_t last_ping_usec;
        uint64_t clock_interval_ms; /* --tick-ms: the interval at start sets the pace */
        bool ready;
        int exit_code;
};

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

/*
 * The manager's clock. --tick-ms speeds the daemon's whole clock up by
 * interval/tick, so its minute-long waits (the xenstore retry, the growth
 * probe) stay the same number of ticks in a test as in production.
 */
static uint64_t daemon_now(const struct daemon *d)
{
        if (!d->opt->tick_ms)
                return now_usec();
        return now_usec() / d->opt->tick_ms * d->clock_interval_ms;
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

        manager_process_watch(d->m, daemon_now(d));
        sync_watch_source(d);
        return 0;
}

/* One look between ticks; errors are the next tick's to report. */
static void fast_look(struct daemon *d)
{
        uint64_t written;

        (void)manager_fast(d->m, daemon_now(d), &written);
        sync_watch_source(d);
}

static int on_follow(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct daemon *d = userdata;

        fast_look(d);
        if (now_usec() < d->follow_until_usec)
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
        d->follow_until_usec = now_usec() + PRESSURE_FOLLOW_FOR_USEC;
        if (d->follow)
                (void)rearm(d->follow, PRESSURE_FOLLOW_EVERY_USEC);
        return 0;
}

/* Arms or drops the PSI trigger as the settings want; says once why the
 * fast path cannot run. */
static void sync_fast_path(struct daemon *d, int root_fd)
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
        fd = pressure_trigger_open(root_fd, PRESSURE_THRESHOLD_US, PRESSURE_WINDOW_US, &window);
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
                if (window == PRESSURE_WINDOW_US)
                        log_info("fast path: a memory pressure trigger (some %u us in %u us) "
                                 "on /proc/pressure/memory raises the target between ticks",
                                 PRESSURE_THRESHOLD_US, window);
                else
                        log_warning("fast path: the kernel takes only a %u us window for the "
                                    "memory pressure trigger (no CAP_SYS_RESOURCE): sudden "
                                    "demand is seen up to %u s late",
                                    window, window / 1000000);
                d->pressure_error = 0;
                return;
        }
        pressure_close(d);
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

/* With the watchdog folded into the tick, ping only when the next tick
 * would come too late: one message fewer on most ticks. */
static const char *watchdog_due(struct daemon *d)
{
        uint64_t now = now_usec();

        if (!d->ping_in_tick ||
            now - d->last_ping_usec + d->tick_usec + d->tick_usec / 10 < d->watchdog_usec / 2)
                return "";
        d->last_ping_usec = now;
        return "\nWATCHDOG=1";
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct daemon *d = userdata;
        struct tick_result t;
        int r;

        r = manager_tick(d->m, daemon_now(d), &t);
        sync_watch_source(d);
        if (r == 0 && !d->ready) {
                d->ready = true;
                notify_send("READY=1");
        }
        if (r == 0 && t.decided && t.decision.balloon)
                notify_sendf("STATUS=target %" PRIu64 " kB, goal %" PRIu64 " kB, floor %" PRIu64
                             " kB, backend %s, %s%s",
                             t.decision.target_kb, t.decision.goal_kb, t.decision.floor_kb,
                             t.backend, t.status, watchdog_due(d));
        else if (r == 0)
                notify_sendf("STATUS=self-ballooning disabled%s", watchdog_due(d));
        else
                notify_sendf("STATUS=readings failed: %s%s", strerror(-r), watchdog_due(d));
        return rearm(s, d->tick_usec);
}

static int on_watchdog(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct daemon *d = userdata;

        notify_send("WATCHDOG=1");
        return rearm(s, d->watchdog_usec / 2);
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
        /* one wake-up per tick when the watchdog allows it */
        d->ping_in_tick = d->watchdog_usec && d->tick_usec <= d->watchdog_usec / 2;
        if (d->tick) {
                (void)sd_event_source_set_time_accuracy(d->tick, tick_slack(d));
                (void)rearm(d->tick, d->tick_usec);
        }
        if (d->watchdog) {
                if (d->ping_in_tick)
                        (void)sd_event_source_set_enabled(d->watchdog, SD_EVENT_OFF);
                else
                        (void)rearm(d->watchdog, d->watchdog_usec / 2);
        }
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct daemon *d = userdata;
        struct sb_config cfg;
        char err[512];
        int r;

        notify_sendf("RELOADING=1\nMONOTONIC_USEC=%" PRIu64, now_usec());
        r = conf_load(d->opt->config, &cfg, err, sizeof(err));
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
                sync_fast_path(d, d->root_fd);
                log_msg(LOG_INFO, SB_MESSAGE_RELOAD, "reloaded %s", d->opt->config);
        }
        notify_send("READY=1");
        return 0;
}

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct daemon *d = userdata;
        int r;

        notify_send("STOPPING=1");
        if (!d->opt->dry_run) {
                r = manager_restore(d->m);
                if (r == -ENOENT)
                        log_warning("no start target recorded: nothing to restore");
                manager_stopping(d->m);
        }
        log_info("stopping on %s", strsignal((int)si->ssi_signo));
        return sd_event_exit(sd_event_source_get_event(s), EXIT_OK);
}

static int open_root(const struct options *o)
{
        int fd = open(o->root ? o->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                log_error("cannot open root directory %s: %s", o->root ? o->root : "/",
                          strerror(errno));
        return fd;
}

static int take_lock(int root_fd)
{
        pid_t holder = 0;
        int fd = runstate_lock(root_fd, &holder);

        if (fd == -EWOULDBLOCK) {
                if (holder > 0)
                        log_error("another selfballoond (pid %ld) holds /%s/lock: one instance at "
                                  "a time",
                                  (long)holder, RUNSTATE_DIR);
                else
                        log_error("another selfballoond holds /%s/lock", RUNSTATE_DIR);
        } else if (fd < 0) {
                log_error("cannot take /%s/lock: %s", RUNSTATE_DIR, strerror(-fd));
        }
        return fd;
}

static int make_manager(const struct options *o, int root_fd, const struct sb_config *cfg,
                        bool missing, struct manager **ret)
{
        struct manager_options mo = {
                .root_fd = root_fd,
                .dry_run = o->dry_run,
                .page_size = (uint64_t)sysconf(_SC_PAGESIZE),
                .config_path = o->config,
                .config_missing = missing,
        };
        int r = manager_new(cfg, &mo, ret);

        if (r < 0)
                log_error("out of memory");
        return r;
}

static int start_exit_code(int r)
{
        if (r == MANAGER_REFUSE_DOM0)
                return EXIT_DOM0;
        if (r == MANAGER_REFUSE_NOT_XEN)
                return EXIT_NOT_XEN;
        return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

static int run_restore(const struct options *o)
{
        _cleanup_close_ int root_fd = -EBADF, lock_fd = -EBADF;
        struct manager *m = NULL;
        struct sb_config cfg;
        bool missing;
        int r;

        r = load_config(o, o->config_given, &cfg, &missing);
        if (r != EXIT_OK)
                return r;
        root_fd = open_root(o);
        if (root_fd < 0)
                return EXIT_RUNTIME;
        lock_fd = take_lock(root_fd);
        if (lock_fd < 0)
                return EXIT_RUNTIME;
        if (make_manager(o, root_fd, &cfg, missing, &m) < 0)
                return EXIT_RUNTIME;
        if (cfg.backend != SB_BACKEND_SYSFS)
                (void)manager_connect(m);
        r = manager_restore(m);
        if (r == -ENOENT)
                log_notice("no start target recorded in /%s: nothing to restore", RUNSTATE_DIR);
        else if (r == 0)
                manager_stopping(m);
        manager_free(m);
        return r == 0 || r == -ENOENT ? EXIT_OK : EXIT_RUNTIME;
}

static int run_once(const struct options *o, struct manager *m)
{
        struct tick_result t;
        char line[160];
        int r = manager_tick(m, now_usec(), &t);

        if (r < 0)
                return EXIT_RUNTIME;
        replay_format_decision("", &t.decision, line, sizeof(line));
        printf(REPLAY_OUTPUT_HEADER "\n%s\n", line);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

static int run_daemon(const struct options *o)
{
        _cleanup_close_ int root_fd = -EBADF, lock_fd = -EBADF;
        struct daemon d = { .opt = o, .watch_fd = -1, .pressure_fd = -1, .exit_code = EXIT_OK };
        bool missing;
        sigset_t mask;
        int r;

        r = load_config(o, o->config_given, &d.cfg, &missing);
        if (r != EXIT_OK)
                return r;
        root_fd = open_root(o);
        if (root_fd < 0)
                return EXIT_RUNTIME;
        /* a dry run writes nothing, so it may watch beside a real instance */
        if (!o->dry_run) {
                lock_fd = take_lock(root_fd);
                if (lock_fd < 0)
                        return EXIT_RUNTIME;
        }
        if (make_manager(o, root_fd, &d.cfg, missing, &d.m) < 0)
                return EXIT_RUNTIME;
        d.clock_interval_ms = d.cfg.settings.interval_s * 1000ULL;
        r = manager_start(d.m, daemon_now(&d));
        if (r != 0) {
                manager_free(d.m);
                return start_exit_code(r);
        }
        if (o->once) {
                r = run_once(o, d.m);
                manager_free(d.m);
                return r;
        }

        /* the daemon must not be the one that starves: lock what it touches */
        if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0 &&
            mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
                log_warning("cannot lock the daemon's memory (mlockall: %s): under pressure it "
                            "may be paged out like any process",
                            strerror(errno));

        r = notify_open();
        if (r < 0)
                log_warning("cannot reach the service manager at $NOTIFY_SOCKET: %s",
                            strerror(-r));
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_default(&d.event);
        if (r >= 0)
                r = sd_event_add_signal(d.event, NULL, SIGTERM, on_term, &d);
        if (r >= 0)
                r = sd_event_add_signal(d.event, NULL, SIGINT, on_term, &d);
        if (r >= 0)
                r = sd_event_add_signal(d.event, NULL, SIGHUP, on_hup, &d);
        if (r >= 0 && sd_watchdog_enabled(0, &d.watchdog_usec) <= 0)
                d.watchdog_usec = 0;
        set_intervals(&d);
        if (r >= 0)
                /* the first tick at once: READY=1 means a decision was made */
                r = sd_event_add_time_relative(d.event, &d.tick, CLOCK_MONOTONIC, 0,
                                               tick_slack(&d), on_tick, &d);
        if (r >= 0 && d.watchdog_usec)
                /* sd-event's default slack is 250 ms: too much for a short WatchdogSec */
                r = sd_event_add_time_relative(d.event, &d.watchdog, CLOCK_MONOTONIC,
                                               d.watchdog_usec / 2, d.watchdog_usec / 20,
                                               on_watchdog, &d);
        if (r >= 0) {
                if (d.watchdog && d.ping_in_tick)
                        (void)sd_event_source_set_enabled(d.watchdog, SD_EVENT_OFF);
                sync_watch_source(&d);
                d.root_fd = root_fd;
                sync_fast_path(&d, root_fd);
                r = sd_event_loop(d.event);
        }
        if (r < 0) {
                log_error("event loop failed: %s", strerror(-r));
                d.exit_code = EXIT_RUNTIME;
        } else {
                d.exit_code = r;
        }
        sd_event_source_disable_unref(d.watch);
        sd_event_source_disable_unref(d.tick);
        sd_event_source_disable_unref(d.watchdog);
        pressure_close(&d);
        sd_event_source_disable_unref(d.follow);
        sd_event_unref(d.event);
        manager_free(d.m);
        notify_close();
        return d.exit_code;
}

int main(int argc, char **argv)
{
        struct options o;

        if (parse_argv(argc, argv, &o) < 0)
                return EXIT_USAGE;
        if (o.replay)
                return run_replay(&o);
        if (o.print_config)
                return run_print_config(&o);
        log_open(o.log);
        if (o.restore)
                return run_restore(&o);
        return run_daemon(&o);
}
