/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The brake in the daemon: the slices under /sys/fs/cgroup, their
 * memory.events as sd-event io sources, and the limits set after each tick
 * and look. The administrators' own limits are recorded in
 * /run/selfballoond/brake before the first limit is set, so that
 * `--restore` (ExecStopPost=) can clear a killed daemon's limits.
 *
 * The bus and the record are brake-bus.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "brake-internal.h"
#include "brake.h"
#include "log.h"
#include "macro.h"
#include "meminfo.h"
#include "messages.h"
#include "util.h"

#define CGROUP_DIR "sys/fs/cgroup"

struct brake_slice {
        struct brake_saved saved; /* its name and the administrator's limit */
        bool ours;                /* a limit of ours may be set (also a killed predecessor's) */
        uint64_t set_bytes;       /* what this daemon set last; 0: nothing */
        uint64_t high;            /* memory.events "high", last read */
        uint64_t held_since_usec; /* 0: not held */
        uint64_t held_from_high;
        int events_fd;
        sd_event_source *src;
};

struct brake {
        sd_event *event;
        int root_fd;
        bool dry_run;
        brake_event_fn fn;
        void *userdata;
        bool want;
        uint64_t margin_mb;
        uint64_t min_usec; /* at most one wake-up per slice per watch_min_ms */
        bool active;
        sd_bus *bus;
        struct brake_slice slices[BRAKE_SLICES_MAX];
        size_t n;
        char why[256]; /* the last reason it could not run: said once */
};

/* Why the brake cannot run, once per reason. */
__attribute__((format(printf, 3, 4)))
static void brake_cannot(struct brake *b, int priority, const char *fmt, ...)
{
        char why[sizeof(b->why)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        if (strcmp(why, b->why) == 0)
                return;
        snprintf(b->why, sizeof(b->why), "%s", why);
        log_msg(priority, NULL, "brake: %s", why);
}

static int read_events_high(int fd, uint64_t *ret)
{
        char buf[512];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

        if (n < 0)
                return -errno;
        /* the read also clears the pending POLLPRI: kernfs notes the event seen */
        return brake_events_parse_high(buf, (size_t)n, ret);
}

static void note_high(struct brake *b, struct brake_slice *s, uint64_t high)
{
        uint64_t now = 0;

        if (high <= s->high)
                return;
        if (s->held_since_usec == 0) {
                (void)sd_event_now(b->event, CLOCK_MONOTONIC, &now);
                s->held_since_usec = now ? now : 1;
                s->held_from_high = s->high;
        }
        s->high = high;
}

static int on_events(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
        struct brake *b = userdata;
        uint64_t high, before;

        for (size_t i = 0; i < b->n; i++) {
                struct brake_slice *s = &b->slices[i];

                if (s->src != src)
                        continue;
                before = s->high;
                if (read_events_high(fd, &high) == 0)
                        note_high(b, s, high);
                if (s->high > before)
                        b->fn(b->userdata);
                break;
        }
        return 0;
}

static void drop_slices(struct brake *b)
{
        for (size_t i = 0; i < b->n; i++) {
                b->slices[i].src = sd_event_source_disable_unref(b->slices[i].src);
                closep(&b->slices[i].events_fd);
        }
        b->n = 0;
        b->active = false;
        b->bus = sd_bus_flush_close_unref(b->bus);
}

static int cmp_slice(const void *a, const void *b)
{
        return strcmp(((const struct brake_slice *)a)->saved.name,
                      ((const struct brake_slice *)b)->saved.name);
}

/* The top-level slices with a memory controller, but the daemon's own. */
static int find_slices(struct brake *b, char *own, size_t own_size)
{
        char buf[4096], path[512];
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;
        DIR *d;
        struct dirent *de;
        int r;

        if (faccessat(b->root_fd, CGROUP_DIR "/cgroup.controllers", F_OK, 0) < 0) {
                brake_cannot(b, LOG_WARNING, "no unified cgroup hierarchy (cgroup2) at "
                             "/sys/fs/cgroup: the brake needs it and stays off");
                return -ENOENT;
        }
        n = read_file_at(b->root_fd, "proc/self/cgroup", buf, sizeof(buf));
        r = n < 0 ? (int)n : brake_own_top_parse(buf, (size_t)n, own, own_size);
        if (r < 0) {
                brake_cannot(b, LOG_WARNING, "cannot tell the daemon's own slice from "
                             "/proc/self/cgroup (%s): the brake stays off", strerror(-r));
                return r;
        }
        fd = openat(b->root_fd, CGROUP_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                brake_cannot(b, LOG_WARNING, "cannot list /sys/fs/cgroup: %s", strerror(errno));
                return -errno;
        }
        TAKE_FD(fd);
        while ((de = readdir(d)) && b->n < BRAKE_SLICES_MAX) {
                struct brake_slice *s = &b->slices[b->n];

                if (!brake_slice_wanted(de->d_name, own))
                        continue;
                snprintf(path, sizeof(path), CGROUP_DIR "/%s/memory.current", de->d_name);
                if (faccessat(b->root_fd, path, F_OK, 0) < 0)
                        continue;
                *s = (struct brake_slice){ .events_fd = -EBADF };
                /* brake_slice_wanted() took it shorter than BRAKE_NAME_MAX */
                snprintf(s->saved.name, sizeof(s->saved.name), "%.*s", BRAKE_NAME_MAX - 1,
                         de->d_name);
                b->n++;
        }
        closedir(d);
        qsort(b->slices, b->n, sizeof(b->slices[0]), cmp_slice);
        if (b->n == 0) {
                brake_cannot(b, LOG_WARNING, "no slice but the daemon's own (%s) has the memory "
                             "controller under /sys/fs/cgroup: nothing to brake",
                             own[0] ? own : "the root cgroup");
                return -ENOENT;
        }
        return 0;
}

/* Each slice's administrator's limit: from a killed predecessor's record,
 * else from systemd (what a predecessor set is in the record, so it is
 * never taken for the administrator's). */
static int save_limits(struct brake *b)
{
        struct brake_saved rec[BRAKE_SLICES_MAX], all[BRAKE_SLICES_MAX];
        size_t n_rec = 0;
        char t[32];
        int r = brake_record_read(b->root_fd, "", rec, &n_rec);

        if (r < 0 && r != -ENOENT) {
                brake_cannot(b, LOG_ERR, "the record of saved limits cannot be used (%s): run "
                             "'selfballoond --restore' or remove it", strerror(-r));
                return r;
        }
        for (size_t i = 0; i < b->n; i++) {
                struct brake_slice *s = &b->slices[i];
                sd_bus_error err = SD_BUS_ERROR_NULL;
                bool found = false;

                for (size_t j = 0; j < n_rec && !found; j++)
                        if (strcmp(rec[j].name, s->saved.name) == 0) {
                                s->saved.high_bytes = rec[j].high_bytes;
                                s->ours = found = true;
                        }
                if (!found)
                        r = brake_bus_get_high(b->bus, s->saved.name, &s->saved.high_bytes, &err);
                if (!found && r < 0) {
                        brake_cannot(b, LOG_WARNING, "cannot read MemoryHigh= of %s from "
                                     "systemd: %s", s->saved.name, brake_bus_why(r, &err));
                        sd_bus_error_free(&err);
                        return r;
                }
                if (!found && s->saved.high_bytes != BRAKE_INFINITY)
                        log_info("brake: %s has MemoryHigh=%s of its own: kept as a ceiling, "
                                 "put back when the brake stops", s->saved.name,
                                 brake_bytes_text(s->saved.high_bytes, t, sizeof(t)));
                all[i] = s->saved;
        }
        r = brake_record_write(b->root_fd, all, b->n);
        if (r < 0)
                brake_cannot(b, LOG_ERR, "cannot write /%s: %s: no limit is set without it",
                             BRAKE_RECORD, strerror(-r));
        return r;
}

static void watch_events(struct brake *b, struct brake_slice *s)
{
        char path[BRAKE_NAME_MAX + 32];
        int r;

        snprintf(path, sizeof(path), CGROUP_DIR "/%s/memory.events", s->saved.name);
        s->events_fd = openat(b->root_fd, path, O_RDONLY | O_CLOEXEC);
        if (s->events_fd < 0 || read_events_high(s->events_fd, &s->high) < 0) {
                log_warning("brake: cannot read /%s: the limit on %s still holds, but the "
                            "daemon learns of it only at its looks", path, s->saved.name);
                return;
        }
        /* cgroupfs signals a changed file with POLLPRI (a fixture's plain
         * file cannot be polled: the limits still follow the ticks) */
        r = sd_event_add_io(b->event, &s->src, s->events_fd, EPOLLPRI, on_events, b);
        if (r < 0) {
                log_debug("brake: cannot poll /%s: %s", path, strerror(-r));
                return;
        }
        (void)sd_event_source_set_ratelimit(s->src, b->min_usec, 1);
}

static void start(struct brake *b)
{
        char own[BRAKE_NAME_MAX] = "", names[BRAKE_SLICES_MAX * BRAKE_NAME_MAX] = "";
        size_t o = 0;
        int r;

        if (b->dry_run) {
                brake_cannot(b, LOG_INFO, "dry run: no limit is set");
                return;
        }
        if (find_slices(b, own, sizeof(own)) < 0) {
                drop_slices(b);
                return;
        }
        r = brake_bus_open(&b->bus);
        if (r < 0) {
                brake_cannot(b, LOG_WARNING, "cannot reach systemd on the system bus or "
                             "/run/systemd/private (%s): the brake stays off", strerror(-r));
                drop_slices(b);
                return;
        }
        if (save_limits(b) < 0) {
                drop_slices(b);
                return;
        }
        for (size_t i = 0; i < b->n; i++) {
                watch_events(b, &b->slices[i]);
                o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
                                      b->slices[i].saved.name);
        }
        b->active = true;
        b->why[0] = '\0';
        log_info("brake on: MemoryHigh= on %s at usage + free memory above the reserve - "
                 "%" PRIu64 " MB (the daemon's own %s is not braked)",
                 names, b->margin_mb, own[0] ? own : "root cgroup");
}

int brake_new(sd_event *e, int root_fd, bool dry_run, brake_event_fn fn, void *userdata,
              struct brake **ret)
{
        struct brake *b = calloc(1, sizeof(*b));

        if (!b)
                return -ENOMEM;
        b->event = sd_event_ref(e);
        b->root_fd = root_fd;
        b->dry_run = dry_run;
        b->fn = fn;
        b->userdata = userdata;
        *ret = b;
        return 0;
}

void brake_configure(struct brake *b, const struct sb_settings *s)
{
        bool was = b->want;

        b->want = s->brake;
        b->margin_mb = s->brake_margin_mb;
        b->min_usec = (uint64_t)s->watch_min_ms * 1000ULL;
        for (size_t i = 0; i < b->n; i++)
                if (b->slices[i].src)
                        (void)sd_event_source_set_ratelimit(b->slices[i].src, b->min_usec, 1);
        if (was && !b->want)
                (void)brake_clear(b);
        if (!b->want)
                b->why[0] = '\0';
}

static void release(struct brake *b, struct brake_slice *s, uint64_t usage)
{
        uint64_t now = 0;
        struct log_field f[3] = { { "SELFBALLOON_SLICE", "" },
                                  { "SELFBALLOON_HELD_USEC", "" },
                                  { "SELFBALLOON_HIGH_EVENTS", "" } };

        (void)sd_event_now(b->event, CLOCK_MONOTONIC, &now);
        snprintf(f[0].value, sizeof(f[0].value), "%s", s->saved.name);
        snprintf(f[1].value, sizeof(f[1].value), "%" PRIu64, now - s->held_since_usec);
        snprintf(f[2].value, sizeof(f[2].value), "%" PRIu64, s->high - s->held_from_high);
        log_fields(LOG_INFO, SB_MESSAGE_BRAKE_HELD, f, ELEMENTSOF(f),
                   "brake: %s was held at its limit for %" PRIu64 ".%03" PRIu64
                   " s (%" PRIu64 " throttling events); limit now %" PRIu64 " MiB, usage %"
                   PRIu64 " MiB",
                   s->saved.name, (now - s->held_since_usec) / 1000000,
                   (now - s->held_since_usec) / 1000 % 1000, s->high - s->held_from_high,
                   s->set_bytes >> 20, usage >> 20);
        s->held_since_usec = 0;
}

static void update_slice(struct brake *b, struct brake_slice *s, uint64_t free_kb,
                         uint64_t reserve_kb)
{
        char path[BRAKE_NAME_MAX + 32];
        uint64_t usage, want, high, before = s->high;
        sd_bus_error err = SD_BUS_ERROR_NULL;
        int r;

        snprintf(path, sizeof(path), CGROUP_DIR "/%s/memory.current", s->saved.name);
        if (read_u64_at(b->root_fd, path, &usage) < 0)
                return; /* a slice that went away: its limit went with it */
        if (s->events_fd >= 0 && read_events_high(s->events_fd, &high) == 0)
                note_high(b, s, high);
        want = brake_limit_bytes(usage, free_kb, reserve_kb, b->margin_mb);
        /* an administrator's own limit stays the ceiling */
        if (want > s->saved.high_bytes)
                want = s->saved.high_bytes;
        /* set_bytes 0 means nothing set; one page holds a slice as tightly */
        if (want < 4096)
                want = 4096;
        if (brake_needs_set(s->set_bytes, want)) {
                r = brake_bus_set_high(b->bus, s->saved.name, want, &err);
                if (r < 0) {
                        brake_cannot(b, LOG_WARNING, "cannot set MemoryHigh= on %s: %s",
                                     s->saved.name, brake_bus_why(r, &err));
                        sd_bus_error_free(&err);
                        if (brake_bus_broken(r))
                                b->bus = sd_bus_flush_close_unref(b->bus);
                        return;
                }
                s->set_bytes = want;
                s->ours = true;
        }
        if (s->held_since_usec && s->high == before && s->set_bytes >= usage + BRAKE_STEP_BYTES)
                release(b, s, usage);
}

void brake_update(struct brake *b)
{
        struct meminfo mi;
        uint64_t reserve_pages, page_kb = (uint64_t)sysconf(_SC_PAGESIZE) / 1024;

        if (!b || !b->want)
                return;
        if (!b->active)
                start(b);
        if (!b->active)
                return;
        if (!b->bus && brake_bus_open(&b->bus) < 0)
                return; /* said when the set failed; tried again next time */
        if (meminfo_read(b->root_fd, &mi) < 0 || !meminfo_has(&mi, MEMINFO_MEM_FREE) ||
            zoneinfo_read_totalreserve(b->root_fd, &reserve_pages) < 0)
                return; /* the manager reports its readings */
        for (size_t i = 0; i < b->n; i++)
                update_slice(b, &b->slices[i], mi.mem_free_kb, reserve_pages * page_kb);
}

int brake_clear(struct brake *b)
{
        struct brake_saved back[BRAKE_SLICES_MAX], keep[BRAKE_SLICES_MAX];
        size_t n = 0, n_keep = 0;
        int r = 0;

        if (!b || !b->active)
                return 0;
        for (size_t i = 0; i < b->n; i++) {
                if (b->slices[i].held_since_usec)
                        log_info("brake: %s was still held at its limit when the brake "
                                 "stopped", b->slices[i].saved.name);
                if (b->slices[i].ours)
                        back[n++] = b->slices[i].saved;
        }
        if (n > 0 && (b->bus || brake_bus_open(&b->bus) == 0))
                r = brake_put_back(b->bus, back, &n);
        else if (n > 0)
                r = -ENOTCONN;
        /* the record keeps what could not be put back, for --restore */
        for (size_t i = 0; i < n; i++)
                keep[n_keep++] = back[i];
        if (brake_record_write(b->root_fd, keep, n_keep) < 0)
                log_error("brake: cannot update /%s", BRAKE_RECORD);
        drop_slices(b);
        return r;
}

void brake_free(struct brake *b)
{
        if (!b)
                return;
        drop_slices(b);
        sd_event_unref(b->event);
        free(b);
}

