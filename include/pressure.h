/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fast path's event source: a PSI trigger on /proc/pressure/memory
 * (Linux 5.2+, CONFIG_PSI). The kernel wakes the fd's poller (EPOLLPRI)
 * when tasks stalled on memory (reclaim, kswapd, thrashing) for more than
 * `threshold` within a `window`; with no pressure it costs no wake-up.
 */
#pragma once

#include <stdint.h>

/* "some 10000 500000": 10 ms of stall within half a second, the shortest
 * window the kernel takes. Under a sudden allocation the guest stalls as
 * soon as free memory falls below the low watermark. */
#define PRESSURE_THRESHOLD_US 10000U
#define PRESSURE_WINDOW_US 500000U

/* After an event, look again this often, for this long (wake-ups under
 * pressure only). */
#define PRESSURE_FOLLOW_EVERY_USEC 100000ULL
#define PRESSURE_FOLLOW_FOR_USEC 2000000ULL

/* Without CAP_SYS_RESOURCE, Linux 6.5+ takes only windows that are a
 * multiple of 2 s (and Linux 5.2-6.4 none at all: -EPERM). */
#define PRESSURE_UNPRIVILEGED_WINDOW_US 2000000U

/* Opens <root>/proc/pressure/memory and arms the trigger; if the kernel
 * refuses that window, one with PRESSURE_UNPRIVILEGED_WINDOW_US. Returns the
 * fd to poll for EPOLLPRI and the window armed, or -errno: -ENOENT (no PSI:
 * kernel older than 5.2, CONFIG_PSI off, or psi=0), -ENOTTY (a file that is not
 * procfs or cgroup2, such as a test tree's copy: never written), -EPERM/-EACCES (not
 * allowed: CAP_SYS_RESOURCE missing before Linux 6.5), -EINVAL (refused). */
int pressure_trigger_open(int root_fd, uint32_t threshold_us, uint32_t window_us,
                          uint32_t *ret_window_us);
