/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static int status_fd = -1;

int notify_status_open(void)
{
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n;
        int fd;

        if (status_fd >= 0 || !path || !*path)
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
        status_fd = fd;
        return 0;
}

void notify_status_close(void)
{
        if (status_fd >= 0)
                close(status_fd);
        status_fd = -1;
}

int notify_status(const char *text)
{
        char buf[512];
        int n;

        if (status_fd < 0)
                return 0;
        n = snprintf(buf, sizeof(buf), "STATUS=%s", text);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return -EMSGSIZE;
        return send(status_fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -errno : 0;
}
