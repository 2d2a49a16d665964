/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * STATUS= once a tick over one socket kept open. sd_notify() opens, sends
 * on and closes a socket at each call: measured with tests/bench/bench.sh
 * on the kernel-served tree, a tick made 18.6 system calls with sd_notifyf()
 * for its STATUS= and 8.6 with this (instructions per tick 24,734 vs
 * 23,438). Everything else (READY=1, RELOADING=1, STOPPING=1, the
 * watchdog) goes through libsystemd, whose errors the daemon sees.
 */
#pragma once

/* Connects to $NOTIFY_SOCKET (a path, or '@' for the abstract namespace).
 * 0, also without one; -errno when it cannot connect. */
int notify_status_open(void);
void notify_status_close(void);

/* Sends "STATUS=<text>". A full receiver drops it (MSG_DONTWAIT): a status
 * is worth less than a tick on time. 0 or -errno. */
int notify_status(const char *text);
