/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the daemon keeps in /run/selfballoond (under the root fd): the lock
 * that allows one instance, and the balloon target the guest had before
 * the daemon first touched it in this boot, so that a stop, or
 * `selfballoond --restore` after a crash, can give it back; and the base of
 * the reserve, so that a restart keeps the boot's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define RUNSTATE_DIR "run/selfballoond"

struct start_record {
        uint64_t sysfs_target_kb;
        bool has_xenstore;
        uint64_t xenstore_target_kb;
};

/* Takes the instance lock. Returns the locked fd; -EWOULDBLOCK with
 * *ret_holder set (0 when unknown) when another instance holds it; -errno. */
int runstate_lock(int root_fd, pid_t *ret_holder);

int runstate_record_parse(const char *text, struct start_record *ret);
/* -ENOENT when there is no record. */
int runstate_record_read(int root_fd, struct start_record *ret);
/* Writes the record unless one exists (-EEXIST): a restart must not replace
 * the target of a boot's first start with one the daemon itself set. */
int runstate_record_write(int root_fd, const struct start_record *r);
int runstate_record_remove(int root_fd);

/* Marks something done in this boot (an empty file NAME in RUNSTATE_DIR):
 * 1 when this call made the mark, 0 when it was there, -errno. */
int runstate_mark_once(int root_fd, const char *name);

/*
 * The reserve's base: MemTotal when the boot's first decision was made. The
 * seed takes 10 % of the RAM it has at boot, once; a restart (an upgrade,
 * Restart=on-failure) after ballooning down must not take it from the
 * smaller MemTotal it finds then. Written once per boot (-EEXIST after) and
 * never removed: /run is gone at the next boot. -ENOENT without one.
 */
int runstate_base_read(int root_fd, uint64_t *ret_mem_total_kb);
int runstate_base_write(int root_fd, uint64_t mem_total_kb);
