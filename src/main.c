/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "brake.h"
#include "conf.h"
#include "daemon.h"
#include "exitcode.h"
#include "log.h"
#include "manager.h"
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

/* parse_argv()'s result when it has done all there was to do (--help). */
#define PARSE_DONE 1

/* The options that only switch something on. */
static bool *flag_of(int c, struct options *o)
{
        return c == OPT_PRINT_CONFIG ? &o->print_config
               : c == OPT_ONCE       ? &o->once
               : c == OPT_DRY_RUN    ? &o->dry_run
               : c == OPT_RESTORE    ? &o->restore
                                     : NULL;
}

/* One option: 0, PARSE_DONE, or -EINVAL (said on stderr). */
static int parse_option(int c, const char *arg, struct options *o)
{
        bool *flag = flag_of(c, o);

        if (flag) {
                *flag = true;
                return 0;
        }
        switch (c) {
        case 'c':
                o->config = arg;
                o->config_given = true;
                return 0;
        case OPT_REPLAY:
                o->replay = arg;
                return 0;
        case OPT_LOG:
                if (log_target_from_string(arg, &o->log) == 0)
                        return 0;
                fprintf(stderr, "selfballoond: --log takes console or journal, not '%s'\n", arg);
                return -EINVAL;
        case OPT_ROOT:
                o->root = arg;
                return 0;
        case OPT_TICK_MS:
                if (parse_u64(arg, &o->tick_ms) == 0 && o->tick_ms > 0 && o->tick_ms <= 3600000)
                        return 0;
                fprintf(stderr, "selfballoond: --tick-ms takes 1 to 3600000\n");
                return -EINVAL;
        case 'h':
                usage(stdout);
                return PARSE_DONE;
        case OPT_VERSION:
                printf("selfballoond " SB_VERSION "\n");
                return PARSE_DONE;
        default:
                fprintf(stderr, "Try 'selfballoond --help'.\n");
                return -EINVAL;
        }
}

/* 0: run *o; PARSE_DONE; -EINVAL: bad usage, said on stderr. */
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
        int c, r;

        *o = (struct options){ .config = SB_CONFIG_PATH };
        while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) >= 0) {
                r = parse_option(c, optarg, o);
                if (r != 0)
                        return r;
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
                /* a file that cannot be read (a directory, no permission) is the
                 * operator's to fix like a bad one: a restart cannot help */
                return r == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
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

static int open_root(const struct options *o)
{
        int fd = open(o->root ? o->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                log_error("cannot open root directory %s: %s", o->root ? o->root : "/",
                          strerror(errno));
        return fd;
}

/* The directory the daemon's own paths are under, for messages. */
static const char *root_prefix(const struct options *o)
{
        return o->root ? o->root : "";
}

static int take_lock(const struct options *o, int root_fd)
{
        pid_t holder = 0;
        int fd = runstate_lock(root_fd, &holder);

        if (fd == -EWOULDBLOCK) {
                if (holder > 0)
                        log_error("another selfballoond (pid %ld) holds %s/%s/lock: one instance "
                                  "at a time",
                                  (long)holder, root_prefix(o), RUNSTATE_DIR);
                else
                        log_error("another selfballoond holds %s/%s/lock", root_prefix(o),
                                  RUNSTATE_DIR);
        } else if (fd < 0) {
                log_error("cannot take %s/%s/lock: %s", root_prefix(o), RUNSTATE_DIR,
                          strerror(-fd));
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

/* The configuration and the root directory: an exit code. */
static int prepare(const struct options *o, struct sb_config *ret_cfg, bool *ret_missing,
                   int *ret_root_fd)
{
        int r = load_config(o, o->config_given, ret_cfg, ret_missing);

        if (r != EXIT_OK)
                return r;
        *ret_root_fd = open_root(o);
        return *ret_root_fd < 0 ? EXIT_RUNTIME : EXIT_OK;
}

static int run_restore(const struct options *o)
{
        _cleanup_close_ int root_fd = -EBADF, lock_fd = -EBADF;
        struct sb_config cfg;
        bool missing;
        int r = prepare(o, &cfg, &missing, &root_fd);
        struct start_record rec;
        struct manager *m = NULL;
        bool braked;
        int brake_r;

        if (r != EXIT_OK)
                return r;
        /* nothing recorded (never started, or not a Xen guest at all): leave
         * no lock behind; the records are read again under the lock */
        braked = faccessat(root_fd, BRAKE_RECORD, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
        if (runstate_record_read(root_fd, &rec) == -ENOENT && !braked) {
                log_notice("no start target recorded in %s/%s: nothing to restore",
                           root_prefix(o), RUNSTATE_DIR);
                return EXIT_OK;
        }
        lock_fd = take_lock(o, root_fd);
        if (lock_fd < 0)
                return EXIT_RUNTIME;
        /* a killed daemon's MemoryHigh= limits: the slices stay held until then */
        brake_r = brake_restore(root_fd, root_prefix(o));
        if (make_manager(o, root_fd, &cfg, missing, &m) < 0)
                return EXIT_RUNTIME;
        if (cfg.backend != SB_BACKEND_SYSFS)
                (void)manager_connect(m);
        r = manager_restore(m);
        if (r == -ENOENT)
                log_notice("no start target recorded in %s/%s: nothing to restore",
                           root_prefix(o), RUNSTATE_DIR);
        else if (r == 0)
                manager_stopping(m);
        manager_free(m);
        return (r == 0 || r == -ENOENT) && brake_r == 0 ? EXIT_OK : EXIT_RUNTIME;
}

static int run_once(const struct options *o, struct manager *m, uint64_t now_usec)
{
        struct tick_result t;
        char line[160], t_s[32];
        int r = manager_tick(m, now_usec, &t);

        if (r < 0)
                return EXIT_RUNTIME;
        manager_publish(m, now_usec, (uint64_t)time(NULL));
        /* the time of the readings, as CLOCK_MONOTONIC seconds (since boot) */
        snprintf(t_s, sizeof(t_s), "%" PRIu64 ".%03" PRIu64, now_usec / 1000000,
                 now_usec / 1000 % 1000);
        replay_format_decision(t_s, &t.decision, line, sizeof(line));
        printf(REPLAY_OUTPUT_HEADER "\n%s\n", line);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

/* The daemon must not be the one that starves: lock what it touches. */
static void lock_memory(void)
{
        if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0 &&
            mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
                log_warning("cannot lock the daemon's memory (mlockall: %s): under pressure it "
                            "may be paged out like any process",
                            strerror(errno));
}

static int run_daemon(const struct options *o)
{
        _cleanup_close_ int root_fd = -EBADF, lock_fd = -EBADF;
        struct daemon_options dopt = { .config_path = o->config, .dry_run = o->dry_run,
                                       .tick_ms = o->tick_ms };
        struct manager *m = NULL;
        struct sb_config cfg;
        bool missing;
        int r;

        r = prepare(o, &cfg, &missing, &root_fd);
        if (r != EXIT_OK)
                return r;
        /* a dry run writes nothing, so it may watch beside a real instance */
        if (!o->dry_run) {
                lock_fd = take_lock(o, root_fd);
                if (lock_fd < 0)
                        return EXIT_RUNTIME;
        }
        if (make_manager(o, root_fd, &cfg, missing, &m) < 0)
                return EXIT_RUNTIME;
        r = manager_start(m, daemon_clock(o->tick_ms, cfg.settings.interval_s * 1000ULL));
        if (r == 0 && o->once)
                r = run_once(o, m, daemon_clock(0, 0));
        else if (r == 0) {
                lock_memory();
                dopt.root_fd = root_fd;
                r = daemon_run(m, &cfg, &dopt);
        } else {
                r = start_exit_code(r);
        }
        manager_free(m);
        return r;
}

int main(int argc, char **argv)
{
        struct options o;
        int r = parse_argv(argc, argv, &o);

        if (r < 0)
                return EXIT_USAGE;
        if (r == PARSE_DONE)
                return EXIT_OK;
        if (o.replay)
                return run_replay(&o);
        if (o.print_config)
                return run_print_config(&o);
        log_open(o.log);
        if (o.restore)
                return run_restore(&o);
        return run_daemon(&o);
}
