/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the brake's two I/O files: brake-bus.c (systemd's D-Bus API,
 * the record) and brake-run.c (the slices, the event sources).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "brake.h"

/* The system bus, else PID 1's own socket (a guest without dbus). */
int brake_bus_open(sd_bus **ret);
int brake_bus_get_high(sd_bus *bus, const char *name, uint64_t *ret, sd_bus_error *err);
/* SetUnitProperties(name, runtime, MemoryHigh=bytes). */
int brake_bus_set_high(sd_bus *bus, const char *name, uint64_t bytes, sd_bus_error *err);
/* Whether the connection is worth keeping after error r. */
bool brake_bus_broken(int r);
/* The bus's error message, else strerror(). */
const char *brake_bus_why(int r, const sd_bus_error *err);
const char *brake_bytes_text(uint64_t v, char *buf, size_t size);

/* The record below root_fd: -ENOENT without one; -EBADMSG logged with
 * root_name's file and line. */
int brake_record_read(int root_fd, const char *root_name, struct brake_saved *ret,
                      size_t *ret_n);
/* Writes the record (n 0: removes it). */
int brake_record_write(int root_fd, const struct brake_saved *s, size_t n);
/* Puts the saved limits back; the ones that failed are left in s[0..*n). */
int brake_put_back(sd_bus *bus, struct brake_saved *s, size_t *n);
