/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "exitcode.h"
#include "replay.h"
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
};

static int parse_argv(int argc, char **argv, struct options *o)
{
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "replay", required_argument, NULL, OPT_REPLAY },
                { "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
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
        if (o->replay && o->print_config) {
                fprintf(stderr, "selfballoond: --replay and --print-config exclude each other\n");
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
        if (r < 0) {
                fprintf(stderr, "selfballoond: replay output: %s\n", strerror(-r));
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

int main(int argc, char **argv)
{
        struct options o;

        if (parse_argv(argc, argv, &o) < 0)
                return EXIT_USAGE;
        if (o.replay)
                return run_replay(&o);
        if (o.print_config)
                return run_print_config(&o);
        fprintf(stderr, "selfballoond: the daemon mode is not built yet; use --replay\n");
        return EXIT_USAGE;
}
