/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * selfballoon-dom0: lists what every guest's selfballoond publishes in
 * xenstore, next to the toolstack's memory/target and static-max. See
 * selfballoon-dom0(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenstore.h>

#include "dom0.h"
#include "util.h"

struct options {
        bool json;
        bool daemons_only;
        struct dom0_limits lim;
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: selfballoon-dom0 [OPTIONS]\n"
                "List every guest's selfballoond as published in xenstore.\n\n"
                "  -j, --json              JSON for scripts instead of the table\n"
                "  -d, --daemons-only      leave out guests without a daemon\n"
                "      --silent-after=SECS a heartbeat older than this is silent (default %d)\n"
                "      --max-skew=SECS     a heartbeat further ahead than this is a bad clock\n"
                "                          (default %d)\n"
                "  -h, --help              this text\n"
                "      --version           the version\n\n"
                "Exit status: 0 all fine, 1 xenstore unreachable, 2 bad usage, 3 a daemon is\n"
                "silent, 4 a daemon is stalled at the toolstack's cap, 5 a guest published\n"
                "malformed data or a heartbeat from the future (first of 3, 5, 4 that applies).\n",
                DOM0_SILENT_AFTER_DEFAULT, DOM0_MAX_SKEW_DEFAULT);
}

static int parse_seconds(const char *opt, const char *arg, uint64_t *ret)
{
        uint64_t v;

        /* a year is plenty, and keeps every sum with "now" far from overflow */
        if (parse_u64(arg, &v) < 0 || v > 366ULL * 24 * 3600) {
                fprintf(stderr, "selfballoon-dom0: %s: not a number of seconds up to a year: %s\n",
                        opt, arg);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

static int parse_argv(int argc, char **argv, struct options *o)
{
        enum { OPT_SILENT = 0x100, OPT_SKEW, OPT_VERSION };
        static const struct option longopts[] = {
                { "json", no_argument, NULL, 'j' },
                { "daemons-only", no_argument, NULL, 'd' },
                { "silent-after", required_argument, NULL, OPT_SILENT },
                { "max-skew", required_argument, NULL, OPT_SKEW },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                { NULL, 0, NULL, 0 },
        };
        int c;

        while ((c = getopt_long(argc, argv, "jdh", longopts, NULL)) >= 0) {
                switch (c) {
                case 'j':
                        o->json = true;
                        break;
                case 'd':
                        o->daemons_only = true;
                        break;
                case OPT_SILENT:
                        if (parse_seconds("--silent-after", optarg, &o->lim.silent_after_s) < 0)
                                return -EINVAL;
                        break;
                case OPT_SKEW:
                        if (parse_seconds("--max-skew", optarg, &o->lim.max_skew_s) < 0)
                                return -EINVAL;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case OPT_VERSION:
                        printf("selfballoon-dom0 %s\n", SB_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "selfballoon-dom0: unexpected argument: %s\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char **argv)
{
        struct options o = {
                .lim = { DOM0_SILENT_AFTER_DEFAULT, DOM0_MAX_SKEW_DEFAULT },
        };
        _cleanup_free_ struct dom0_raw *raws = NULL;
        _cleanup_free_ struct dom0_guest *guests = NULL;
        struct xs_handle *xs;
        struct timespec ts;
        size_t n = 0, skipped = 0;
        int r;

        r = parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? DOM0_EXIT_USAGE : DOM0_EXIT_OK;

        xs = xs_open(0);
        if (!xs) {
                fprintf(stderr, "selfballoon-dom0: cannot connect to xenstore: %s\n",
                        strerror(errno));
                return DOM0_EXIT_RUNTIME;
        }
        r = dom0_read_all(xs, &raws, &n, &skipped);
        xs_close(xs);
        if (r < 0) {
                fprintf(stderr, "selfballoon-dom0: cannot list /local/domain: %s\n",
                        strerror(-r));
                return DOM0_EXIT_RUNTIME;
        }
        if (skipped > 0)
                fprintf(stderr, "selfballoon-dom0: %zu entries of /local/domain are no domain id\n",
                        skipped);

        /* read after xenstore, so that no heartbeat read is "from the future"
         * because of our own delay */
        clock_gettime(CLOCK_REALTIME, &ts);
        guests = calloc(n ? n : 1, sizeof(*guests));
        if (!guests) {
                fprintf(stderr, "selfballoon-dom0: out of memory\n");
                return DOM0_EXIT_RUNTIME;
        }
        for (size_t i = 0; i < n; i++)
                dom0_guest_parse(&raws[i], ts.tv_sec, &o.lim, &guests[i]);
        if (o.json)
                dom0_format_json(stdout, guests, n, ts.tv_sec, &o.lim, !o.daemons_only);
        else
                dom0_format_table(stdout, guests, n, !o.daemons_only);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "selfballoon-dom0: cannot write the output: %s\n",
                        strerror(errno));
                return DOM0_EXIT_RUNTIME;
        }
        return dom0_exit_status(guests, n);
}
