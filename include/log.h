/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where messages go: the journal (structured, with MESSAGE_IDs) or readable
 * lines on stderr. Only main.c and the manager log; adapters return -errno.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

enum log_target {
        LOG_TARGET_AUTO,    /* journal under systemd, console otherwise */
        LOG_TARGET_CONSOLE,
        LOG_TARGET_JOURNAL,
        _LOG_TARGET_MAX,
};

int log_target_from_string(const char *s, enum log_target *ret);
void log_open(enum log_target t);

/* Extra journal fields "NAME=value"; on the console they follow the text. */
struct log_field {
        const char *name;
        char value[64];
};

void log_msg(int priority, const char *message_id, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void log_fields(int priority, const char *message_id, const struct log_field *fields,
                size_t n_fields, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define log_error(...) log_msg(LOG_ERR, NULL, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, NULL, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, NULL, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, NULL, __VA_ARGS__)
