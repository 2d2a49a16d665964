/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The manager's ticks against a copy of the real domU fixture tree, driven
 * tick by tick (time is passed in), with the sysfs backend: xenstore is out
 * of reach here (tests/integration covers it against the real xenstored).
 * The frontswap helper directory is a plain folder playing the kernel
 * module's files; the test moves curr_pages as frontswap_shrink() would.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "helper.h"
#include "log.h"
#include "daemon.h"
#include "manager.h"
#include "runstate.h"
#include "testtree.h"
#include "util.h"

#define BALLOON "sys/devices/system/xen_memory/xen_memory0"
#define HELPER "sys/kernel/selfballoon_frontswap"
#define SEC 1000000ULL

struct world {
        struct test_tree tree;
        int root_fd;
        struct sb_config cfg;
        struct manager *m;
        uint64_t now;
};

static void put(struct world *w, const char *path, const char *text)
{
        int fd = openat(w->root_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

static uint64_t get_u64(struct world *w, const char *path)
{
        char buf[64];
        ssize_t n = read_file_at(w->root_fd, path, buf, sizeof(buf));
        uint64_t v;

        assert_true(n > 0);
        buf[strcspn(buf, "\n")] = '\0';
        assert_int_equal(parse_u64(buf, &v), 0);
        return v;
}

static int setup(void **state)
{
        struct world *w = calloc(1, sizeof(*w));

        assert_non_null(w);
        test_tree_from_fixture(&w->tree, "domU-512");
        w->root_fd = w->tree.fd;
        /* no xenstore in unit tests: point libxenstore at nothing */
        setenv("XENSTORED_PATH", "/nonexistent/xenstored-socket", 1);
        conf_default(&w->cfg);
        w->cfg.backend = SB_BACKEND_SYSFS;
        snprintf(w->cfg.helper_dir, sizeof(w->cfg.helper_dir), "/%s", HELPER);
        w->now = 1000 * SEC;
        log_open(LOG_TARGET_CONSOLE);
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        struct world *w = *state;

        manager_free(w->m);
        test_tree_free(&w->tree);
        free(w);
        return 0;
}

static void start(struct world *w)
{
        struct manager_options o = {
                .root_fd = w->root_fd,
                .page_size = 4096,
                .config_path = "test",
        };

        assert_int_equal(manager_new(&w->cfg, &o, &w->m), 0);
        assert_int_equal(manager_start(w->m, w->now), 0);
}

static int tick(struct world *w, struct tick_result *t)
{
        struct tick_result ignored;

        w->now += 5 * SEC;
        return manager_tick(w->m, w->now, t ? t : &ignored);
}

/* The fixture by hand: MemTotal 461172 kB (115293 pages), Committed_AS 5128
 * (1282), totalreserve 1423 pages, reserve 10 % = 45 MB (11520 pages),
 * static-max unreadable here, so max = 524288 kB (131072 pages); useful =
 * 129649 pages < 512 MiB: floor = 1423 + 10240 + (129649 - 10240) / 8 =
 * 26589 pages; goal = 14225; tgt = 115293 - (115293 - 14225) / 8 = 102660;
 * target = 102660 + 131072 - 115293 = 118439 pages = 473756 kB. */
static void test_first_tick_writes_seed_target(void **state)
{
        struct world *w = *state;
        struct tick_result t;

        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_true(t.decided);
        assert_int_equal(t.decision.target_kb, 473756);
        assert_int_equal(t.decision.floor_kb, 26589 * 4);
        assert_int_equal(t.written_kb, 473756);
        assert_string_equal(manager_backend(w->m), "sysfs");
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 473756);
        /* the start target is on record for a stop or --restore */
        {
                char buf[64];
                assert_true(read_file_at(w->root_fd, "run/selfballoond/start-target", buf,
                                         sizeof(buf)) > 0);
                assert_string_equal(buf, "sysfs_target_kb=524288\n");
        }
        assert_int_equal(manager_restore(w->m), 0);
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 524288);
        assert_int_equal(manager_restore(w->m), -ENOENT);
}

/* Replaces one "Key:  N kB" line of the tree's /proc/meminfo. */
static void set_meminfo(struct world *w, const char *key, uint64_t kb)
{
        char buf[8192], out[8192], *line, *save = NULL;
        ssize_t n = read_file_at(w->root_fd, "proc/meminfo", buf, sizeof(buf));
        size_t len = 0, klen = strlen(key);
        bool found = false;

        assert_true(n > 0);
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
                        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s: %" PRIu64 " kB\n",
                                                key, kb);
                        found = true;
                } else {
                        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s\n", line);
                }
        }
        assert_true(found);
        put(w, "proc/meminfo", out);
}

/* The watch (on by default, policy seed): between ticks it only ever
 * raises. The fixture's first tick writes 473756 kB (see above). A 490 MB
 * malloc: goal = 500000 + 5692 + 46080 kB = 137943 pages, above MemTotal, so
 * the target is goal + offset (131072 - 115293 pages), beyond static-max:
 * 524288 kB at once. MemAvailable 3000 kB with nothing else: the target plus
 * what is missing of the 16 MB level (4096 - 750 pages). */
static void test_watch_raises_only(void **state)
{
        struct world *w = *state;
        struct tick_result t;
        uint64_t written;

        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.written_kb, 473756);
        assert_true(manager_watch_period_ms(w->m) >= 100);
        assert_true(manager_watch_period_ms(w->m) <= 5000);
        /* nothing to raise */
        assert_int_equal(manager_watch(w->m, w->now + SEC, false, &written), 0);
        assert_int_equal(written, 0);
        /* less demand between ticks: still nothing lowered */
        set_meminfo(w, "Committed_AS", 100);
        assert_int_equal(manager_watch(w->m, w->now + SEC, false, &written), 0);
        assert_int_equal(written, 0);
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 473756);
        /* little available: up by what is missing of the level */
        set_meminfo(w, "MemAvailable", 3000);
        assert_int_equal(manager_watch(w->m, w->now + SEC, false, &written), 0);
        assert_int_equal(written, 473756 + 13384);
        assert_int_equal(manager_watch_period_ms(w->m), 100);
        /* a 490 MB malloc: up to static-max (524288) at once */
        set_meminfo(w, "Committed_AS", 500000);
        assert_int_equal(manager_watch(w->m, w->now + 2 * SEC, false, &written), 0);
        assert_int_equal(written, 524288);
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 524288);
        /* the regular tick decides as usual afterwards */
        set_meminfo(w, "Committed_AS", 5128);
        set_meminfo(w, "MemAvailable", 300000);
        assert_int_equal(tick(w, &t), 0);
        assert_true(t.decision.target_kb < 524288);
}

/* Blind (no /proc/meminfo): no looks until a tick reads again. */
static void test_watch_stops_when_blind(void **state)
{
        struct world *w = *state;
        uint64_t written;

        start(w);
        assert_int_equal(tick(w, NULL), 0);
        assert_true(manager_watch_period_ms(w->m) > 0);
        assert_int_equal(renameat(w->root_fd, "proc/meminfo", w->root_fd, "proc/away"), 0);
        assert_true(manager_watch(w->m, w->now + SEC, false, &written) < 0);
        assert_int_equal(manager_watch_period_ms(w->m), 0);
        assert_true(tick(w, NULL) < 0);
        assert_int_equal(manager_watch_period_ms(w->m), 0);
        assert_int_equal(renameat(w->root_fd, "proc/away", w->root_fd, "proc/meminfo"), 0);
        assert_int_equal(tick(w, NULL), 0);
        assert_true(manager_watch_period_ms(w->m) > 0);
}

/* watch = no: the kernel's behaviour, a decision per interval only. */
static void test_watch_off(void **state)
{
        struct world *w = *state;
        uint64_t written;

        w->cfg.settings.watch = false;
        start(w);
        assert_int_equal(tick(w, NULL), 0);
        assert_int_equal(manager_watch_period_ms(w->m), 0);
        set_meminfo(w, "Committed_AS", 500000);
        set_meminfo(w, "MemAvailable", 3000);
        assert_int_equal(manager_watch(w->m, w->now + SEC, false, &written), 0);
        assert_int_equal(written, 0);
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 473756);
}

/* A shrink that never returns (5.10's try_to_unuse() near the end) is
 * interrupted: here the write blocks on a FIFO nobody reads, a real
 * blocking call that only a signal ends. */
static void test_helper_shrink_that_hangs_is_interrupted(void **state)
{
        struct world *w = *state;
        struct timespec a, b;
        char path[512];
        double s;

        assert_int_equal(mkdirat(w->root_fd, "sys/kernel", 0755) == 0 || errno == EEXIST, 1);
        assert_int_equal(mkdirat(w->root_fd, HELPER, 0755), 0);
        snprintf(path, sizeof(path), "%s/%s/shrink", w->tree.path, HELPER);
        assert_int_equal(mkfifo(path, 0600), 0);
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(helper_shrink(w->root_fd, "/" HELPER, 100), -ETIMEDOUT);
        clock_gettime(CLOCK_MONOTONIC, &b);
        s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        assert_true(s >= HELPER_SHRINK_TIMEOUT_SEC - 0.1);
        /* the alarm is gone afterwards: SIGALRM is back to its default */
        {
                struct sigaction sa;
                assert_int_equal(sigaction(SIGALRM, NULL, &sa), 0);
                assert_true(sa.sa_handler == SIG_DFL);
        }
        /* a shrink that returns is not affected */
        unlink(path);
        put(w, HELPER "/shrink", "");
        assert_int_equal(helper_shrink(w->root_fd, "/" HELPER, 100), 0);
}

static double seconds_since(const struct timespec *a)
{
        struct timespec b;

        clock_gettime(CLOCK_MONOTONIC, &b);
        return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

/* After a shrink timed out, the daemon does not spin in it again every tick
 * while the count stays where it was; a moved count is tried again. */
static void test_timed_out_shrink_not_retried_at_same_count(void **state)
{
        struct world *w = *state;
        struct timespec a;
        char path[512];

        assert_int_equal(mkdirat(w->root_fd, "sys/kernel", 0755), 0);
        assert_int_equal(mkdirat(w->root_fd, HELPER, 0755), 0);
        put(w, HELPER "/version", "1\n");
        put(w, HELPER "/curr_pages", "1000\n");
        snprintf(path, sizeof(path), "%s/%s/shrink", w->tree.path, HELPER);
        assert_int_equal(mkfifo(path, 0600), 0);
        start(w);
        for (int i = 0; i < 3; i++) /* re-arm, inertia 3 */
                assert_int_equal(tick(w, NULL), 0);
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(tick(w, NULL), 0); /* the shrink: times out */
        assert_true(seconds_since(&a) >= HELPER_SHRINK_TIMEOUT_SEC - 0.1);
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(tick(w, NULL), 0); /* same count: not tried */
        assert_true(seconds_since(&a) < 1);
        put(w, HELPER "/curr_pages", "990\n");
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(tick(w, NULL), 0); /* moved: tried again */
        assert_true(seconds_since(&a) >= HELPER_SHRINK_TIMEOUT_SEC - 0.1);
}

static void test_unchanged_target_not_rewritten(void **state)
{
        struct world *w = *state;
        struct tick_result t;

        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.written_kb, 473756);
        /* the balloon holds it already: nothing to write */
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.written_kb, 0);
}

struct fs_tick {
        uint64_t set_pages; /* 0: leave curr_pages */
        int64_t expect_shrink; /* -1: no write to shrink */
};

static void test_frontswap_through_helper_files(void **state)
{
        struct world *w = *state;
        /* hysteresis 20, inertia 3, as the core's unit tests */
        static const struct fs_tick ticks[] = {
                { 1000, -1 }, /* first observation: re-arm */
                { 0, -1 },    { 0, -1 },
                { 0, 950 },   /* counter ran out: about 5 % */
                { 0, 903 },   /* the helper moved curr_pages to 950; no re-arm */
                { 0, 858 },
                { 5000, -1 }, /* growth re-arms */
                { 0, -1 },    { 0, -1 },
                { 0, 4750 },
                { 20, 0 },    /* <= hysteresis: to zero */
        };
        struct tick_result t;
        uint64_t goal_without;

        assert_int_equal(mkdirat(w->root_fd, "sys/kernel", 0755), 0);
        assert_int_equal(mkdirat(w->root_fd, HELPER, 0755), 0);
        put(w, HELPER "/version", "1\n");
        put(w, HELPER "/curr_pages", "0\n");
        put(w, HELPER "/shrink", "");
        start(w);
        for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++) {
                char buf[32], want[32];
                ssize_t n;

                if (ticks[i].set_pages) {
                        snprintf(buf, sizeof(buf), "%" PRIu64 "\n", ticks[i].set_pages);
                        put(w, HELPER "/curr_pages", buf);
                }
                put(w, HELPER "/shrink", "");
                assert_int_equal(tick(w, &t), 0);
                n = read_file_at(w->root_fd, HELPER "/shrink", buf, sizeof(buf));
                assert_true(n >= 0);
                if (ticks[i].expect_shrink < 0) {
                        if (n != 0)
                                fail_msg("tick %zu: unexpected shrink to %s", i, buf);
                        continue;
                }
                snprintf(want, sizeof(want), "%" PRId64 "\n", ticks[i].expect_shrink);
                if (strcmp(buf, want) != 0)
                        fail_msg("tick %zu: shrink '%.15s', want %" PRId64, i, buf,
                                 ticks[i].expect_shrink);
                /* frontswap_shrink() brings the pages back */
                put(w, HELPER "/curr_pages", buf);
        }
        /* the count joins the goal: 20 -> 0 pages were last observed as 20 */
        goal_without = (5128 / 4 + 1423 + 45 * 256) * 4;
        assert_int_equal(t.decision.goal_kb, goal_without + 20 * 4);
}

static void test_frontswap_helper_faults(void **state)
{
        struct world *w = *state;
        struct tick_result t;
        const uint64_t goal_without = (5128 / 4 + 1423 + 45 * 256) * 4;

        /* no helper: the path is inactive, the goal has no frontswap */
        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.goal_kb, goal_without);
        manager_free(w->m);
        w->m = NULL;

        /* a helper of another ABI version is not used */
        assert_int_equal(mkdirat(w->root_fd, "sys/kernel", 0755), 0);
        assert_int_equal(mkdirat(w->root_fd, HELPER, 0755), 0);
        put(w, HELPER "/version", "2\n");
        put(w, HELPER "/curr_pages", "300\n");
        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.goal_kb, goal_without);
        manager_free(w->m);
        w->m = NULL;

        /* garbage count: this tick decides without frontswap, the next with */
        put(w, HELPER "/version", "1\n");
        put(w, HELPER "/curr_pages", "12ab\n");
        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.goal_kb, goal_without);
        put(w, HELPER "/curr_pages", "300\n");
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.goal_kb, goal_without + 300 * 4);

        /* a refused shrink is a logged fault, not a failed tick */
        assert_int_equal(mkdirat(w->root_fd, HELPER "/shrink", 0755), 0);
        for (int i = 0; i < 4; i++)
                assert_int_equal(tick(w, &t), 0);
        assert_true(t.decision.frontswap_shrink);
}

static void test_unreadable_proc_holds_then_restores(void **state)
{
        struct world *w = *state;
        struct tick_result t;

        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 473756);

        assert_int_equal(unlinkat(w->root_fd, "proc/meminfo", 0), 0);
        assert_int_equal(tick(w, &t), -ENOENT);
        assert_false(t.decided);
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 473756); /* held */
        assert_int_equal(tick(w, &t), -ENOENT);
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 524288); /* given back */

        /* truncated mid-line: the same */
        put(w, "proc/meminfo", "MemTotal:         461172 kB\nCommitted_AS:   51");
        assert_int_equal(tick(w, &t), -EBADMSG);

        /* readable again: decides exactly as before */
        {
                char cmd[768];
                snprintf(cmd, sizeof(cmd), "cp '%s'/domU-512/proc/meminfo '%s'/proc/meminfo",
                         FIXTURES, w->tree.path);
                assert_int_equal(system(cmd), 0);
        }
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.target_kb, 473756);
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 473756);

        /* a malformed zoneinfo is a read failure too, once it is read again:
         * totalreserve is refreshed once a minute */
        put(w, "proc/zoneinfo", "Node 0, zone DMA\n  pages free 1\n");
        assert_int_equal(tick(w, &t), 0);
        w->now += 60 * SEC;
        assert_int_equal(tick(w, &t), -EBADMSG);
}

static void test_write_refused_is_logged_not_fatal(void **state)
{
        struct world *w = *state;
        struct tick_result t;

        start(w);
        /* target_kb replaced by a directory: the write fails with EISDIR */
        assert_int_equal(unlinkat(w->root_fd, BALLOON "/target_kb", 0), 0);
        assert_int_equal(mkdirat(w->root_fd, BALLOON "/target_kb", 0755), 0);
        assert_int_equal(tick(w, &t), -EISDIR); /* cannot even read what it holds */
        assert_int_equal(unlinkat(w->root_fd, BALLOON "/target_kb", AT_REMOVEDIR), 0);
        put(w, BALLOON "/target_kb", "524288\n");
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.written_kb, 473756);
}

/* Xen's cap: current_kb never reaches target_kb. After 3 ticks without
 * progress the daemon stops asking for more than the guest has. */
static void test_growth_stall(void **state)
{
        struct world *w = *state;
        struct tick_result t;
        char status[256];

        /* without xenstore, max is what the guest had at start: 524288 kB;
         * then the guest was shrunk to 400000 kB, and now demand (Committed_AS
         * 600 MB) wants it back, but Xen's cap holds it where it is */
        start(w);
        put(w, "proc/meminfo", "MemTotal:         461172 kB\nCommitted_AS:     614400 kB\n"
                               "SwapTotal:             0 kB\n");
        put(w, BALLOON "/info/current_kb", "400000\n");
        put(w, BALLOON "/target_kb", "400000\n");
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.written_kb, 524288); /* capped at max */
        assert_string_equal(manager_status(w->m), "running");
        assert_int_equal(tick(w, &t), 0); /* 1 tick without progress */
        assert_int_equal(tick(w, &t), 0); /* 2 */
        assert_int_equal(tick(w, &t), 0); /* 3: stalled */
        assert_string_equal(manager_status(w->m), "stalled");
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 400000);
        /* what STATUS= says is the target that stands, the one the balloon
         * got, not the policy's before the stall limited it */
        assert_int_equal(t.decision.target_kb, 524288);
        assert_int_equal(t.target_kb, 400000);
        daemon_status_text(w->m, 0, &t, status, sizeof(status));
        assert_non_null(strstr(status, "target 400000 kB,"));
        assert_null(strstr(status, "524288"));
        /* a minute on: one probe asks for the full target again */
        for (int i = 0; i < 11; i++)
                assert_int_equal(tick(w, &t), 0);
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 400000);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 524288);
        assert_int_equal(tick(w, &t), 0); /* no growth: back to what it has */
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 400000);
        assert_string_equal(manager_status(w->m), "stalled");
        /* the cap was raised (xl mem-max): the guest grows, the stall ends */
        put(w, BALLOON "/info/current_kb", "450000\n");
        assert_int_equal(tick(w, &t), 0);
        assert_string_equal(manager_status(w->m), "running");
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 524288);
}

/* The seed takes its 10 % once, from the RAM at boot: a restart after the
 * guest was ballooned down keeps that base (the boot's first MemTotal, kept
 * in /run), where it would otherwise shrink with the guest. */
static void test_restart_keeps_boot_reserve(void **state)
{
        struct world *w = *state;
        struct tick_result t;
        uint64_t base;

        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.reserved_mb, 45); /* 115293 pages / 10 >> 8 */
        assert_int_equal(runstate_base_read(w->root_fd, &base), 0);
        assert_int_equal(base, 461172);
        manager_free(w->m);
        w->m = NULL;

        /* ballooned down, then restarted (an upgrade, Restart=on-failure) */
        put(w, "proc/meminfo", "MemTotal:         300000 kB\nCommitted_AS:       5128 kB\n");
        put(w, BALLOON "/info/current_kb", "362000\n");
        put(w, BALLOON "/target_kb", "362000\n");
        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.reserved_mb, 45);
        manager_free(w->m);
        w->m = NULL;

        /* a new boot (an empty /run) takes what it finds: 75000 pages / 10 >> 8 */
        assert_int_equal(unlinkat(w->root_fd, "run/selfballoond/reserve-base", 0), 0);
        assert_int_equal(unlinkat(w->root_fd, "run/selfballoond/start-target", 0), 0);
        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.reserved_mb, 29);
}

static void test_dry_run_writes_nothing(void **state)
{
        struct world *w = *state;
        struct manager_options o = {
                .root_fd = w->root_fd, .page_size = 4096, .config_path = "test", .dry_run = true,
        };
        struct tick_result t;
        struct stat st;

        assert_int_equal(manager_new(&w->cfg, &o, &w->m), 0);
        assert_int_equal(manager_start(w->m, w->now), 0);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.target_kb, 473756);
        assert_int_equal(t.written_kb, 0);
        assert_string_equal(manager_status(w->m), "dry-run");
        assert_int_equal(get_u64(w, BALLOON "/target_kb"), 524288);
        assert_int_equal(fstatat(w->root_fd, "run/selfballoond/start-target", &st, 0), -1);
}

static void test_refusals(void **state)
{
        struct world *w = *state;
        struct manager_options o = { .root_fd = w->root_fd, .page_size = 4096, .config_path = "t" };

        put(w, "proc/xen/capabilities", "control_d\n");
        assert_int_equal(manager_new(&w->cfg, &o, &w->m), 0);
        assert_int_equal(manager_start(w->m, w->now), MANAGER_REFUSE_DOM0);
        manager_free(w->m);
        put(w, "proc/xen/capabilities", "");
        {
                char cmd[512];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'/sys/devices/system/xen_memory", w->tree.path);
                assert_int_equal(system(cmd), 0);
        }
        assert_int_equal(manager_new(&w->cfg, &o, &w->m), 0);
        assert_int_equal(manager_start(w->m, w->now), MANAGER_REFUSE_NOT_XEN);
}

/* The cache cushion: /proc/vmstat read on regular ticks only, and only
 * with the cushion on (adaptive); its counter's delta in the goal. The
 * fixture has no /proc/vmstat: the cushion then holds at 0, said once. */
static void test_cache_cushion_reads_vmstat(void **state)
{
        struct world *w = *state;
        struct tick_result t, off;
        uint64_t written;

        w->cfg.settings.policy = SB_POLICY_ADAPTIVE;
        w->cfg.settings.reserve = policy_default_reserve(SB_POLICY_ADAPTIVE);
        w->cfg.settings.cache_cushion = true;
        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_true(t.decided);
        assert_int_equal(t.decision.cache_cushion_kb, 0);
        off = t;

        put(w, "proc/vmstat", "nr_free_pages 100\nworkingset_refault_anon 7\n"
                              "workingset_refault_file 1000\n");
        set_meminfo(w, "Active(file)", 400000);
        assert_int_equal(tick(w, &t), 0);
        assert_false(t.decision.has_refault_rate); /* the first reading: no rate */
        assert_int_equal(t.decision.cache_cushion_kb, 0);

        /* 5 s later, 2500 pages refaulted: 10000 kB, 120000 kB a minute */
        put(w, "proc/vmstat", "nr_free_pages 100\nworkingset_refault_anon 7\n"
                              "workingset_refault_file 3500\n");
        assert_int_equal(tick(w, &t), 0);
        assert_true(t.decision.has_refault_rate);
        assert_int_equal(t.decision.refault_kb_per_min, 120000);
        assert_int_equal(t.decision.cache_cushion_kb, 10000);
        assert_int_equal(t.decision.goal_kb, off.decision.goal_kb + 10000);

        /* a look reads no /proc/vmstat: a counter it could see changes
         * nothing, and the cushion stands */
        put(w, "proc/vmstat", "workingset_refault_file 999999\n");
        w->now += SEC;
        assert_int_equal(manager_watch(w->m, w->now, false, &written), 0);
        w->now -= SEC;
        put(w, "proc/vmstat", "workingset_refault_file 3500\n");
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.refault_kb, 0);
        assert_int_equal(t.decision.cache_cushion_kb, 10000); /* all of it active */

        /* a kernel before 5.9: workingset_refault instead */
        put(w, "proc/vmstat", "workingset_refault 100\n");
        assert_int_equal(tick(w, &t), 0);
        assert_false(t.decision.has_refault_rate); /* went backwards: a new base */
        put(w, "proc/vmstat", "workingset_refault 600\n");
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.refault_kb, 2000);
        assert_int_equal(t.decision.cache_cushion_kb, 12000);

        /* the policy seed never reads it, and its goal has no cushion */
        manager_free(w->m);
        w->m = NULL;
        w->cfg.settings.policy = SB_POLICY_SEED;
        w->cfg.settings.reserve = policy_default_reserve(SB_POLICY_SEED);
        put(w, "proc/vmstat", "garbage\n");
        start(w);
        assert_int_equal(tick(w, &t), 0);
        assert_int_equal(t.decision.cache_cushion_kb, 0);
        assert_int_equal(t.decision.target_kb, 473756);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_first_tick_writes_seed_target, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unchanged_target_not_rewritten, setup, teardown),
                cmocka_unit_test_setup_teardown(test_frontswap_through_helper_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_frontswap_helper_faults, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unreadable_proc_holds_then_restores, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_write_refused_is_logged_not_fatal, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_growth_stall, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cache_cushion_reads_vmstat, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_watch_raises_only, setup, teardown),
                cmocka_unit_test_setup_teardown(test_watch_off, setup, teardown),
                cmocka_unit_test_setup_teardown(test_watch_stops_when_blind, setup, teardown),
                cmocka_unit_test_setup_teardown(test_restart_keeps_boot_reserve, setup, teardown),
                cmocka_unit_test_setup_teardown(test_helper_shrink_that_hangs_is_interrupted,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_timed_out_shrink_not_retried_at_same_count,
                                                setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
