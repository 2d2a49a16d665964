/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <systemd/sd-journal.h>

#include "log.h"
#include "macro.h"
#include "util.h"

/* The one piece of process-wide state outside the manager: where logs go. */
static enum log_target log_target = LOG_TARGET_CONSOLE;

/* What --log accepts; auto is what it means when not given. */
static const char *const log_target_names[_LOG_TARGET_MAX] = {
        [LOG_TARGET_CONSOLE] = "console",
        [LOG_TARGET_JOURNAL] = "journal",
};

int log_target_from_string(const char *s, enum log_target *ret)
{
        int t = TABLE_LOOKUP(log_target_names, s);

        if (t < 0)
                return t;
        *ret = (enum log_target)t;
        return 0;
}

void log_open(enum log_target t)
{
        if (t == LOG_TARGET_AUTO)
                /* systemd connects stderr to the journal and says so */
                t = getenv("JOURNAL_STREAM") ? LOG_TARGET_JOURNAL : LOG_TARGET_CONSOLE;
        log_target = t;
}

static const char *const prio_names[] = {
        [LOG_EMERG] = "emerg",   [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
        [LOG_ERR] = "error",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",     [LOG_DEBUG] = "debug",
};

static const char *prio_name(int p)
{
        const char *s = p >= 0 ? TABLE_NAME(prio_names, p) : NULL;

        return s ? s : "?";
}

__attribute__((format(printf, 5, 0))) static void log_v(int priority, const char *message_id,
                                                        const struct log_field *fields,
                  size_t n_fields, const char *fmt, va_list ap)
{
        char text[1024];
        int saved = errno;

        vsnprintf(text, sizeof(text), fmt, ap);
        if (log_target == LOG_TARGET_JOURNAL) {
                /* MESSAGE, PRIORITY, MESSAGE_ID, SYSLOG_IDENTIFIER, fields */
                char msg[1100], prio[16], mid[48], buf[24][128];
                struct iovec iov[28];
                size_t n = 0;

                snprintf(msg, sizeof(msg), "MESSAGE=%s", text);
                snprintf(prio, sizeof(prio), "PRIORITY=%d", priority);
                iov[n++] = (struct iovec){ msg, strlen(msg) };
                iov[n++] = (struct iovec){ prio, strlen(prio) };
                iov[n++] = (struct iovec){ (char *)"SYSLOG_IDENTIFIER=selfballoond", 30 };
                if (message_id) {
                        snprintf(mid, sizeof(mid), "MESSAGE_ID=%s", message_id);
                        iov[n++] = (struct iovec){ mid, strlen(mid) };
                }
                for (size_t i = 0; i < n_fields && i < ELEMENTSOF(buf); i++) {
                        snprintf(buf[i], sizeof(buf[i]), "%s=%s", fields[i].name, fields[i].value);
                        iov[n++] = (struct iovec){ buf[i], strlen(buf[i]) };
                }
                if (sd_journal_sendv(iov, (int)n) >= 0) {
                        errno = saved;
                        return;
                }
                /* no journal after all: say it on stderr rather than not at all */
        }
        if (n_fields == 0) {
                fprintf(stderr, "selfballoond: %s: %s\n", prio_name(priority), text);
        } else {
                fprintf(stderr, "selfballoond: %s: %s [", prio_name(priority), text);
                for (size_t i = 0; i < n_fields; i++)
                        fprintf(stderr, "%s%s=%s", i ? " " : "", fields[i].name, fields[i].value);
                fprintf(stderr, "]\n");
        }
        errno = saved;
}

void log_msg(int priority, const char *message_id, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_v(priority, message_id, NULL, 0, fmt, ap);
        va_end(ap);
}

void log_fields(int priority, const char *message_id, const struct log_field *fields,
                size_t n_fields, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_v(priority, message_id, fields, n_fields, fmt, ap);
        va_end(ap);
}
