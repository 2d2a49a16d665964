/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The brake's adapters: MemoryHigh= through systemd's D-Bus API (runtime
 * properties, which PID 1 keeps in /run/systemd/system.control until
 * reboot), and the record of the administrators' own limits. The calls are
 * synchronous with a short timeout: the daemon looks (and raises the
 * target) before it sets limits, so a slow PID 1 delays only the limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brake-internal.h"
#include "log.h"
#include "macro.h"
#include "runstate.h"
#include "util.h"

#define BUS_TIMEOUT_USEC (2ULL * 1000000ULL)
#define PID1_PRIVATE_SOCKET "/run/systemd/private"
#define RECORD_MAX 4096

static int open_private(sd_bus **ret)
{
        sd_bus *bus = NULL;
        int r = sd_bus_new(&bus);

        if (r >= 0)
                r = sd_bus_set_address(bus, "unix:path=" PID1_PRIVATE_SOCKET);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

/*
 * PID 1's own socket first, as systemctl does for root: dbus-daemon runs
 * in system.slice, which the brake holds, and a call through it would wait
 * on the very slice it is meant to release. The system bus when the socket
 * is absent or an explicit DBUS_SYSTEM_BUS_ADDRESS names one.
 */
int brake_bus_open(sd_bus **ret)
{
        sd_bus *bus = NULL;
        int r = -ENOENT;

        if (!getenv("DBUS_SYSTEM_BUS_ADDRESS") && access(PID1_PRIVATE_SOCKET, F_OK) == 0)
                r = open_private(&bus);
        if (r < 0)
                r = sd_bus_open_system(&bus);
        if (r < 0 && open_private(&bus) == 0)
                r = 0;
        if (r < 0)
                return r;
        (void)sd_bus_set_method_call_timeout(bus, BUS_TIMEOUT_USEC);
        *ret = bus;
        return 0;
}

int brake_bus_get_high(sd_bus *bus, const char *name, uint64_t *ret, sd_bus_error *err)
{
        _cleanup_free_ char *path = NULL;
        int r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", name, &path);

        if (r < 0)
                return r;
        return sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
                                           "org.freedesktop.systemd1.Slice", "MemoryHigh",
                                           err, 't', ret);
}

int brake_bus_set_high(sd_bus *bus, const char *name, uint64_t bytes, sd_bus_error *err)
{
        /* runtime: the setting is gone at reboot whatever happens to us */
        return sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                  "org.freedesktop.systemd1.Manager", "SetUnitProperties", err,
                                  NULL, "sba(sv)", name, 1, 1, "MemoryHigh", "t", bytes);
}

const char *brake_bus_why(int r, const sd_bus_error *err)
{
        return sd_bus_error_is_set(err) ? err->message : strerror(-r);
}

const char *brake_bytes_text(uint64_t v, char *buf, size_t size)
{
        if (v == BRAKE_INFINITY)
                snprintf(buf, size, "infinity");
        else
                snprintf(buf, size, "%" PRIu64 " MiB", v >> 20);
        return buf;
}

/* The record: -ENOENT without one; -EBADMSG logged with file and line. */
int brake_record_read(int root_fd, const char *root_name, struct brake_saved *ret, size_t *ret_n)
{
        char buf[RECORD_MAX];
        ssize_t n = read_file_at(root_fd, BRAKE_RECORD, buf, sizeof(buf));
        unsigned line = 0;
        int r;

        if (n < 0)
                return (int)n;
        r = brake_record_parse(buf, (size_t)n, ret, BRAKE_SLICES_MAX, ret_n, &line);
        if (r < 0)
                log_error("brake: %s/%s:%u: not a saved limit; accepted: a slice's name, a "
                          "space, its MemoryHigh= in bytes or 'infinity'",
                          root_name, BRAKE_RECORD, line);
        return r;
}

int brake_record_write(int root_fd, const struct brake_saved *s, size_t n)
{
        char buf[RECORD_MAX];
        int len = brake_record_format(s, n, buf, sizeof(buf)), fd;
        ssize_t w;

        if (len < 0)
                return len;
        if (n == 0)
                return unlinkat(root_fd, BRAKE_RECORD, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (mkdirat(root_fd, "run", 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdirat(root_fd, RUNSTATE_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(root_fd, BRAKE_RECORD ".new", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
                    O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        w = write(fd, buf, (size_t)len);
        if (w != len) {
                int r = w < 0 ? -errno : -EIO;

                close(fd);
                return r;
        }
        if (close(fd) < 0 || renameat(root_fd, BRAKE_RECORD ".new", root_fd, BRAKE_RECORD) < 0)
                return -errno;
        return 0;
}

/* Puts the saved limits back; the ones that failed are left in s[0..*n). */
int brake_put_back(sd_bus *bus, struct brake_saved *s, size_t *n)
{
        size_t kept = 0;
        int ret = 0;
        char t[32];

        for (size_t i = 0; i < *n; i++) {
                sd_bus_error err = SD_BUS_ERROR_NULL;
                int r = brake_bus_set_high(bus, s[i].name, s[i].high_bytes, &err);

                if (r < 0) {
                        log_error("brake: cannot put MemoryHigh=%s back on %s: %s",
                                  brake_bytes_text(s[i].high_bytes, t, sizeof(t)), s[i].name,
                                  brake_bus_why(r, &err));
                        s[kept++] = s[i];
                        ret = r;
                } else {
                        log_info("brake: %s has its MemoryHigh=%s back", s[i].name,
                                 brake_bytes_text(s[i].high_bytes, t, sizeof(t)));
                }
                sd_bus_error_free(&err);
        }
        *n = kept;
        return ret;
}

/* Whether the bus connection is worth keeping after error r. */
bool brake_bus_broken(int r)
{
        return r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE || r == -ETIMEDOUT ||
               r == -ESHUTDOWN;
}

int brake_restore(int root_fd, const char *root_name)
{
        struct brake_saved rec[BRAKE_SLICES_MAX];
        sd_bus *bus = NULL;
        size_t n = 0;
        int r = brake_record_read(root_fd, root_name, rec, &n);

        if (r == -ENOENT)
                return 0;
        if (r < 0 && r != -EBADMSG)
                log_error("brake: cannot read %s/%s: %s", root_name, BRAKE_RECORD, strerror(-r));
        if (r < 0)
                return r;
        r = brake_bus_open(&bus);
        if (r < 0) {
                log_error("brake: cannot reach systemd to put the slices' MemoryHigh= back "
                          "(%s): they stay until reboot or 'systemctl set-property --runtime'",
                          strerror(-r));
                return r;
        }
        r = brake_put_back(bus, rec, &n);
        sd_bus_flush_close_unref(bus);
        if (brake_record_write(root_fd, rec, n) < 0)
                log_error("brake: cannot update /%s", BRAKE_RECORD);
        return r;
}
