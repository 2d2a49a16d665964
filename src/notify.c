/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static int notify_fd = -1;

int notify_open(void)
{
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n;
        int fd;

        if (notify_fd >= 0 || !path || !*path)
                return 0;
        n = strlen(path);
        if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, n);
        if (path[0] == '@')
                sa.sun_path[0] = '\0'; /* abstract namespace */
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        notify_fd = fd;
        return 0;
}

void notify_close(void)
{
        if (notify_fd >= 0)
                close(notify_fd);
        notify_fd = -1;
}

int notify_send(const char *msg)
{
        if (notify_fd < 0)
                return 0;
        /* a full receiver must not block the daemon */
        return send(notify_fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -errno : 0;
}

int notify_sendf(const char *fmt, ...)
{
        char buf[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        return notify_send(buf);
}
