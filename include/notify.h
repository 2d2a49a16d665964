/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The sd_notify protocol over one socket kept open: a STATUS= goes out
 * every tick, and sd_notify() would open, send and close a socket each
 * time. Without NOTIFY_SOCKET every call is a no-op.
 */
#pragma once

/* Connects to $NOTIFY_SOCKET (a path, or '@' for the abstract namespace).
 * Returns 0, also when there is none; -errno when it cannot connect. */
int notify_open(void);
void notify_close(void);

/* Sends one message ("READY=1", "STATUS=...\nWATCHDOG=1"). */
int notify_send(const char *msg);
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
