/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Xen balloon driver's sysfs (drivers/xen/xen-balloon.c) and the checks
 * that tell a domU with a balloon from everything else. Paths are relative
 * to a root directory fd: "/" in production, a fixture tree in tests.
 *
 * Functions return 0 or a negative errno and write output parameters only
 * on success; guest_detect() also has positive, documented results.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reread_file;

#define BALLOON_SYSFS_DIR "sys/devices/system/xen_memory/xen_memory0"

/*
 * A single-number sysfs file: decimal digits, optionally one trailing
 * newline. Anything else (signs, blanks, 0x, empty, more than 64 bits) is
 * -EBADMSG.
 */
int balloon_parse_kb(const char *text, size_t len, uint64_t *ret_kb);

/* info/current_kb: the balloon's current_pages, in kB. */
int balloon_read_current_kb(int root_fd, uint64_t *ret_kb);

/* target_kb: the last target the driver was given, in kB. */
int balloon_read_target_kb(int root_fd, uint64_t *ret_kb);

/* The same two, keeping sysfs's file open in f between calls (util.h). */
int balloon_reread_current_kb(struct reread_file *f, int root_fd, uint64_t *ret_kb);
int balloon_reread_target_kb(struct reread_file *f, int root_fd, uint64_t *ret_kb);

/*
 * Writes target_kb in one write(). Returns the -errno of openat() or
 * write() unchanged (-EACCES, -EPERM without CAP_SYS_ADMIN, -ENOENT when
 * the driver is gone, ...), -EIO on a short write, and -EINVAL without
 * writing for 0 (would hand the guest's whole memory to the balloon) or
 * for more than the kernel can turn into bytes (it multiplies by 1024
 * unchecked).
 */
int balloon_write_target_kb(int root_fd, uint64_t kb);

enum guest_type {
        GUEST_TYPE_UNKNOWN, /* no sys/hypervisor/guest_type (before 4.15) or unrecognised */
        GUEST_TYPE_PV,
        GUEST_TYPE_HVM,
        GUEST_TYPE_PVH,
        GUEST_TYPE_ARM,     /* printed "Xen": Arm guests */
        _GUEST_TYPE_MAX,
};

struct guest_info {
        bool xen;                /* sys/hypervisor/type says xen, or xenfs or the balloon exists */
        bool dom0;               /* proc/xen/capabilities lists control_d */
        bool capabilities_known; /* proc/xen/capabilities was readable (xenfs is mounted) */
        enum guest_type type;    /* sys/hypervisor/guest_type */
        bool balloon;            /* BALLOON_SYSFS_DIR exists */
};

/* Positive results of guest_detect(): an answer, not a failure. */
enum {
        GUEST_DETECT_DOM0 = 1,       /* the daemon must not run: exit 3 */
        GUEST_DETECT_NOT_XEN = 2,    /* no trace of Xen: exit 4 */
        GUEST_DETECT_NO_BALLOON = 3, /* Xen, but no balloon driver: exit 4 */
};

/*
 * Returns 0 for a domU with a balloon driver, a GUEST_DETECT_* result, or
 * -errno when a file exists but cannot be read. *ret is written whenever
 * the return value is >= 0, so the caller can say what it saw.
 *
 * Without xenfs mounted on /proc/xen, dom0 cannot be told from a domU here:
 * capabilities_known is then false and dom0 false; the caller may
 * cross-check (the xenstore domid is 0 in dom0).
 */
int guest_detect(int root_fd, struct guest_info *ret);

/* One sentence for a GUEST_DETECT_* result; NULL for anything else. */
const char *guest_detect_to_string(int result);

/* "PV", "HVM", "PVH", "Arm", "unknown". */
const char *guest_type_to_string(enum guest_type t);
