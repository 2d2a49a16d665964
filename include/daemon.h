/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon: one sd-event loop around a started manager. Its sources are
 * the tick timer, the xenstore watch fd, SIGTERM/SIGINT (restore, stop),
 * SIGHUP (reload, bracketed by RELOADING=1 / READY=1) and the watch's looks
 * between ticks. It speaks the sd_notify protocol
 * (READY=1 after the first decision, STATUS= per tick) and leaves the
 * watchdog to sd-event.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "manager.h"

struct daemon_options {
        const char *config_path; /* reread on SIGHUP */
        bool dry_run;
        int root_fd;
        uint64_t tick_ms; /* testing: the tick, all waits sped up alike; 0: interval */
};

/* Runs until SIGTERM or SIGINT. Returns an exit status (exitcode.h). */
int daemon_run(struct manager *m, const struct sb_config *cfg, const struct daemon_options *o);

/* The manager's clock: CLOCK_MONOTONIC in usec, sped up by interval/tick
 * under --tick-ms so that minute-long waits stay the same number of ticks.
 * tick_ms 0: the real clock. */
uint64_t daemon_clock(uint64_t tick_ms, uint64_t interval_ms);

/* The STATUS= text for one tick's result (r: manager_tick()'s return). */
void daemon_status_text(const struct manager *m, int r, const struct tick_result *t, char *buf,
                        size_t size);
