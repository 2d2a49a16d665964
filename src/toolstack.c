/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "messages.h"
#include "store.h"
#include "toolstack-internal.h"

static const char *configured_backend_name(enum sb_backend b)
{
        return b == SB_BACKEND_SYSFS ? "sysfs" : "xenstore";
}

int toolstack_new(const struct toolstack_options *o, struct toolstack **ret)
{
        struct toolstack *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->opt = *o;
        t->domid = -2;
        t->backend = configured_backend_name(o->backend);
        *ret = t;
        return 0;
}

void toolstack_free(struct toolstack *t)
{
        if (!t)
                return;
        store_free(t->store);
        free(t);
}

static void drop(struct toolstack *t, int error)
{
        if (!t->store)
                return;
        store_free(t->store);
        t->store = NULL;
        memset(t->published, 0, sizeof(t->published));
        t->heartbeat_sent = false;
        /* target_seen stays: a toolstack write made while we were away is
         * recognised when we are back */
        if (!t->lost_logged) {
                log_warning("xenstore connection lost (%s); %s until it is back", strerror(-error),
                            t->opt.backend == SB_BACKEND_XENSTORE
                                    ? "targets cannot be written"
                                    : "the balloon is driven through sysfs");
                t->lost_logged = true;
        }
}

/* A failed xenstore call: drop the connection if it is gone. */
int toolstack_check(struct toolstack *t, int r)
{
        if (r < 0 && store_error_is_disconnect(r))
                drop(t, r);
        return r;
}

/* memory/target changed, and not by us: the toolstack is in charge. */
static void toolstack_target(struct toolstack *t, uint64_t v)
{
        int64_t c = (int64_t)v - t->offset_kb;
        struct log_field f = { .name = "SELFBALLOON_CEILING_KB" };

        t->ceiling = true;
        t->ceiling_kb = c > 0 ? (uint64_t)c : 0;
        t->ceiling_below_floor_logged = false;
        snprintf(f.value, sizeof(f.value), "%" PRIu64, t->ceiling_kb);
        log_fields(LOG_NOTICE, SB_MESSAGE_CEILING, &f, 1,
                   "the toolstack set memory/target to %" PRIu64 " kB: targets stay at or below "
                   "%" PRIu64 " kB until it sets another",
                   v, t->ceiling_kb);
}

/* A value of memory/target as read now: the toolstack's if we did not write
 * it (then true). */
static bool saw_target(struct toolstack *t, uint64_t v)
{
        bool theirs = t->target_known && v != t->target_seen && !(t->written && v == t->last_written);

        if (theirs)
                toolstack_target(t, v);
        t->target_seen = v;
        t->target_known = true;
        return theirs;
}

/* How dom0's tools name this guest, for hints an administrator can paste
 * into a dom0 shell: its name when xenstore has a plain one, else its domid. */
static void read_name(struct toolstack *t)
{
        char buf[NAME_MAX_LEN];
        bool plain = store_read_string(t->store, "name", buf, sizeof(buf)) == 0 && buf[0];

        for (const char *p = buf; plain && *p; p++)
                plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                        (*p >= '0' && *p <= '9') || strchr("-_.", *p);
        if (plain)
                memcpy(t->name, buf, sizeof(t->name));
        else if (t->domid >= 0)
                snprintf(t->name, sizeof(t->name), "%d", t->domid);
        else
                t->name[0] = '\0';
}

static void follow_move(struct toolstack *t, int r);

int toolstack_connect(struct toolstack *t)
{
        uint64_t v;
        int r;

        if (t->store)
                return 0;
        r = store_open(&t->store);
        if (r < 0)
                return r;
        r = store_watch(t->store, "memory/target", "target");
        if (r < 0) {
                store_free(t->store);
                t->store = NULL;
                return r;
        }
        /* after a migration the domain (and its static-max) may differ */
        if (store_read_u64(t->store, "memory/static-max", &v) == 0 && v > 0) {
                t->max_kb = v;
                t->max_from_store = true;
        }
        if (t->domid >= 0 && store_domid(t->store) >= 0 && store_domid(t->store) != t->domid) {
                /* restored or migrated while the connection was down (a
                 * suspend can end a request in flight with EIO) */
                follow_move(t, store_domid(t->store));
        } else if (store_domid(t->store) != t->domid) {
                t->target_known = false; /* another domain: no history */
                t->written = false;
                t->domid = store_domid(t->store);
        }
        read_name(t);
        if (store_read_u64(t->store, "memory/target", &v) == 0)
                saw_target(t, v);
        if (t->lost_logged) {
                log_notice("xenstore connection back (domid %d)", store_domid(t->store));
                t->lost_logged = false;
        }
        return 0;
}

static int64_t learn_offset(struct toolstack *t, enum guest_type type, uint64_t sysfs_target_kb,
                            const struct start_record *rec)
{
        uint64_t xs;

        /* PV guests' balloon takes xenstore targets as they are; HVM and
         * PVH subtract what was missing at boot (xen-balloon.c target_diff) */
        if (type == GUEST_TYPE_PV || !t->store)
                return 0;
        if (rec && rec->has_xenstore)
                return (int64_t)rec->xenstore_target_kb - (int64_t)rec->sysfs_target_kb;
        if (store_read_u64(t->store, "memory/target", &xs) < 0)
                return 0;
        return (int64_t)xs - (int64_t)sysfs_target_kb;
}

int toolstack_start(struct toolstack *t, enum guest_type type, uint64_t sysfs_target_kb,
                    uint64_t current_kb, const struct start_record *rec)
{
        int r = toolstack_connect(t);

        if (r < 0 && t->opt.backend == SB_BACKEND_XENSTORE) {
                log_error("backend = xenstore, but xenstore cannot be reached: %s", strerror(-r));
                return r;
        }
        if (r < 0 && t->opt.backend == SB_BACKEND_AUTO) {
                log_warning("xenstore cannot be reached (%s): driving the balloon through sysfs",
                            strerror(-r));
                t->backend = "sysfs";
        }
        if (t->store && store_domid(t->store) == 0) {
                log_error("this is dom0 (xenstore domid 0): self-ballooning is for guests only");
                return TOOLSTACK_DOM0;
        }
        if (!t->max_from_store) {
                /* without static-max, never ask for more than the guest had */
                t->max_kb = sysfs_target_kb > current_kb ? sysfs_target_kb : current_kb;
                log_warning("memory/static-max is not readable: using %" PRIu64
                            " kB, what the guest has now, as the maximum",
                            t->max_kb);
        }
        t->offset_kb = learn_offset(t, type, sysfs_target_kb, rec);
        return 0;
}

void toolstack_fill_record(struct toolstack *t, struct start_record *rec)
{
        uint64_t v;

        rec->has_xenstore = t->store && store_read_u64(t->store, "memory/target", &v) == 0;
        rec->xenstore_target_kb = rec->has_xenstore ? v : 0;
}

/* Tries xenstore again after a loss, every tick at first, then backing off
 * to once a minute: a guest whose xenstore stays away is not hammered. */
static void reconnect(struct toolstack *t, uint64_t now_usec)
{
        uint64_t tick = t->opt.interval_usec;

        if (now_usec < t->retry_usec)
                return;
        if (toolstack_connect(t) == 0) {
                t->backoff_usec = 0;
                return;
        }
        t->backoff_usec = t->backoff_usec ? 2 * t->backoff_usec : tick;
        if (t->backoff_usec > RECONNECT_MAX_USEC)
                t->backoff_usec = RECONNECT_MAX_USEC;
        /* a little early, so the tick that is due finds the retry due too */
        t->retry_usec = now_usec + t->backoff_usec - tick / 2;
}

unsigned toolstack_tick(struct toolstack *t, uint64_t now_usec)
{
        if (!t->store && t->opt.backend != SB_BACKEND_SYSFS)
                reconnect(t, now_usec);
        return toolstack_process_watch(t); /* a grant: this tick's write tries it */
}

int toolstack_fd(const struct toolstack *t)
{
        return t->store ? store_fd(t->store) : -1;
}

/* xl restore and xl migrate rebuild the guest as another domain: xenbus
 * reconnects under the new domid (relative paths and our watch follow it,
 * and re-registering the watch fires it), the new domain's data/ is empty,
 * static-max may differ and a grant of memory/target did not come along.
 * memory/target is the one libxl rebuilt the domain from: what xl save or
 * migrate read at its start, which may be older than our last write (the
 * guest ran on until it was suspended). It is taken as the new domain's
 * value, not as a toolstack decision: no ceiling from it. */
static void follow_move(struct toolstack *t, int r)
{
        struct log_field f[2] = { { .name = "SELFBALLOON_DOMID" },
                                  { .name = "SELFBALLOON_OLD_DOMID" } };
        char hint[160] = "";
        int old = t->domid;
        uint64_t v;

        t->domid = r;
        t->target_known = store_read_u64(t->store, "memory/target", &v) == 0;
        t->target_seen = t->target_known ? v : 0;
        memset(t->published, 0, sizeof(t->published));
        t->heartbeat_sent = false;
        if (store_read_u64(t->store, "memory/static-max", &v) == 0 && v > 0) {
                t->max_kb = v;
                t->max_from_store = true;
        }
        read_name(t);
        /* xenstore was in use: try it on the new side at once, so its
         * refusal is said now (denied() names the new domain) */
        if (t->written && !t->denied)
                t->moved = true;
        snprintf(f[0].value, sizeof(f[0].value), "%d", r);
        snprintf(f[1].value, sizeof(f[1].value), "%d", old);
        /* the grant hint said at start names the old domain */
        if (t->denied && t->opt.backend == SB_BACKEND_AUTO)
                snprintf(hint, sizeof(hint),
                         "; still through sysfs (to let the toolstack see the guest's targets, "
                         "run in dom0: xenstore-chmod /local/domain/%d/memory/target n0 b%d)",
                         r, r);
        log_fields(LOG_NOTICE, SB_MESSAGE_MOVED, f, 2,
                   "the guest runs as domain %d now (was %d: restored or migrated): "
                   "publishing data/selfballoon/ there, checking the balloon's target at once%s",
                   r, old, hint);
}

/* True when the domain changed (then followed). */
bool toolstack_check_moved(struct toolstack *t)
{
        int r;

        if (!t->store || t->domid < 0)
                return false;
        r = toolstack_check(t, store_refresh_domid(t->store));
        if (r < 0 || r == t->domid)
                return false;
        follow_move(t, r);
        return true;
}

unsigned toolstack_process_watch(struct toolstack *t)
{
        char token[16];
        unsigned events = 0;
        uint64_t v;
        int r;

        while (t->store && (r = store_next_watch(t->store, token, sizeof(token))) != 0) {
                if (r < 0) {
                        toolstack_check(t, r);
                        break;
                }
                bool moved = toolstack_check_moved(t);

                if (moved)
                        events |= TOOLSTACK_EVENT_MOVED;
                /* xenstored fires the watch on a permission change too: while
                 * refused, any event may be the grant, so try at once */
                if (t->denied) {
                        t->denied_retry_usec = 0;
                        events |= TOOLSTACK_EVENT_GRANT;
                }
                if (moved)
                        continue; /* it read the new domain's memory/target */
                if (toolstack_check(t, store_read_u64(t->store, "memory/target", &v)) < 0)
                        continue;
                if (saw_target(t, v))
                        events |= TOOLSTACK_EVENT_TOOLSTACK;
        }
        return events;
}

/* memory/target on xenstore's scale; a toolstack write racing ours must
 * win, not be overwritten. */
static int write_xenstore(struct toolstack *t, uint64_t kb)
{
        int64_t v = (int64_t)kb + t->offset_kb;
        uint64_t found = 0;
        int r;

        if (!t->store)
                return -ENOTCONN;
        if (kb == 0 || kb > INT64_MAX / 2 || v <= 0)
                return -EINVAL;
        if (!t->target_known)
                return toolstack_check(t, store_write_u64(t->store, "memory/target", (uint64_t)v));
        r = toolstack_check(t, store_replace_u64(t->store, "memory/target", t->target_seen, (uint64_t)v,
                                       &found));
        if (r == -ESTALE)
                saw_target(t, found); /* its value stands; the next tick decides under it */
        return r;
}

/* xenstore refused the write: sysfs until a retry a minute on. The grant
 * command is said once per boot (a notice: the toolstack's default, not a
 * fault), a restart in the same boot only says it still applies. */
static void denied(struct toolstack *t, uint64_t now_usec)
{
        if (!t->denied && t->moved) {
                /* libxl wrote the new domain's memory/target read-only */
                log_msg(LOG_NOTICE, SB_MESSAGE_FALLBACK,
                        "xenstore refuses memory/target on domain %d (a restore or migration "
                        "does not carry the grant over): driving the balloon through sysfs; "
                        "to grant it again, run in dom0: xenstore-chmod "
                        "/local/domain/%d/memory/target n0 b%d",
                        t->domid, t->domid, t->domid);
        } else if (!t->denied && t->written) {
                /* it worked before: the grant was taken back */
                log_msg(LOG_NOTICE, SB_MESSAGE_FALLBACK,
                        "xenstore refuses memory/target again (the grant was revoked): "
                        "driving the balloon through sysfs");
        } else if (!t->denied) {
                char dom[16];
                bool first = t->opt.dry_run ||
                             runstate_mark_once(t->opt.root_fd, "grant-hint-said") != 0;

                snprintf(dom, sizeof(dom), t->domid >= 0 ? "%d" : "<domid>", t->domid);
                if (first)
                        log_msg(LOG_NOTICE, SB_MESSAGE_FALLBACK,
                                "xenstore refuses the guest's write to memory/target (libxl "
                                "makes it read-only for guests): driving the balloon through "
                                "sysfs target_kb instead; to let the toolstack see the guest's "
                                "targets, run in dom0: xenstore-chmod "
                                "/local/domain/%s/memory/target n0 b%s",
                                dom, dom);
                else
                        log_msg(LOG_INFO, SB_MESSAGE_FALLBACK,
                                "xenstore still refuses memory/target: driving the balloon "
                                "through sysfs (the grant command was logged at this boot's "
                                "first start)");
        }
        t->denied = true;
        t->moved = false;
        t->denied_retry_usec = now_usec + DENIED_RETRY_USEC;
}

/* Whether this tick must write even if the balloon is on target: a refused
 * xenstore is due for another try, or the guest moved while xenstore was in
 * use (libxl carried memory/target over and the balloon follows it, so no
 * target differs; only a write finds out that the grant stayed behind). */
bool toolstack_retry_due(const struct toolstack *t, uint64_t now_usec)
{
        return t->opt.backend == SB_BACKEND_AUTO && t->store &&
               ((t->denied && now_usec >= t->denied_retry_usec) || t->moved);
}

/* The write through xenstore worked: say so if it had been refused. */
static void xenstore_worked(struct toolstack *t, uint64_t kb)
{
        if (t->denied)
                log_msg(LOG_NOTICE, SB_MESSAGE_GRANTED,
                        "memory/target is writable now: using xenstore");
        t->denied = false;
        t->moved = false;
        t->written = true;
        t->last_written = (uint64_t)((int64_t)kb + t->offset_kb);
        t->target_seen = t->last_written;
        t->target_known = true;
        t->backend = "xenstore";
}

int toolstack_apply(struct toolstack *t, uint64_t kb, uint64_t now_usec)
{
        bool try_xs = t->opt.backend == SB_BACKEND_XENSTORE ||
                      (t->opt.backend == SB_BACKEND_AUTO && t->store &&
                       (!t->denied || now_usec >= t->denied_retry_usec));
        int r;

        if (try_xs) {
                r = write_xenstore(t, kb);
                if (r == 0) {
                        xenstore_worked(t, kb);
                        return 0;
                }
                if (r == -ESTALE || t->opt.backend == SB_BACKEND_XENSTORE)
                        return r;
                if (r == -EACCES || r == -EPERM)
                        denied(t, now_usec);
        }
        r = balloon_write_target_kb(t->opt.root_fd, kb);
        if (r == 0)
                t->backend = "sysfs";
        return r;
}

int toolstack_try_grant(struct toolstack *t, uint64_t kb, uint64_t now_usec)
{
        int r;

        if (t->opt.backend != SB_BACKEND_AUTO || !t->denied || !t->store)
                return 0;
        r = write_xenstore(t, toolstack_limit(t, kb));
        if (r == 0) {
                xenstore_worked(t, toolstack_limit(t, kb));
                return 1;
        }
        if (r == -EACCES || r == -EPERM)
                denied(t, now_usec); /* not yet: the next try a minute on */
        return r == -EACCES || r == -EPERM ? 0 : r;
}

uint64_t toolstack_limit(const struct toolstack *t, uint64_t kb)
{
        if (t->ceiling && kb > t->ceiling_kb)
                kb = t->ceiling_kb;
        return kb < t->max_kb ? kb : t->max_kb;
}

void toolstack_below_floor(struct toolstack *t, uint64_t floor_kb)
{
        if (!t->ceiling || t->ceiling_kb >= floor_kb || t->ceiling_below_floor_logged)
                return;
        log_warning("the toolstack's target %" PRIu64 " kB is below the floor %" PRIu64
                    " kB: leaving the balloon to the toolstack",
                    t->ceiling_kb, floor_kb);
        t->ceiling_below_floor_logged = true;
}

uint64_t toolstack_max_kb(const struct toolstack *t)
{
        return t->max_kb;
}

const char *toolstack_backend(const struct toolstack *t)
{
        return t->backend;
}

int toolstack_domid(const struct toolstack *t)
{
        return t->store ? store_domid(t->store) : -1;
}

const char *toolstack_guest_name(const struct toolstack *t)
{
        return t->name[0] ? t->name : "<domain>";
}

void toolstack_reload(struct toolstack *t, enum sb_backend backend, uint64_t interval_usec)
{
        if (backend != t->opt.backend) {
                t->denied = false;
                t->backend = configured_backend_name(backend);
        }
        t->opt.backend = backend;
        t->opt.interval_usec = interval_usec;
        /* an operator who granted access and reloads wants it to count now */
        t->denied_retry_usec = 0;
}

int toolstack_restore(struct toolstack *t, const struct start_record *rec, uint64_t *ret_kb)
{
        uint64_t sysfs_kb = rec->sysfs_target_kb, xs_kb = rec->xenstore_target_kb;
        int r;

        /* the toolstack set a target while we ran: that one is the guest's
         * now, not the one it had at our start */
        if (t->ceiling && t->ceiling_kb > 0) {
                sysfs_kb = t->ceiling_kb;
                xs_kb = (uint64_t)((int64_t)t->ceiling_kb + t->offset_kb);
        }
        if (t->opt.backend != SB_BACKEND_SYSFS && rec->has_xenstore && t->store) {
                /* the recorded value is already on xenstore's scale */
                r = toolstack_check(t, store_write_u64(t->store, "memory/target", xs_kb));
                if (r == 0 || t->opt.backend == SB_BACKEND_XENSTORE)
                        goto done;
        } else if (t->opt.backend == SB_BACKEND_XENSTORE) {
                r = -ENOTCONN;
                goto done;
        }
        r = balloon_write_target_kb(t->opt.root_fd, sysfs_kb);
done:
        if (r == 0)
                *ret_kb = sysfs_kb;
        return r;
}

