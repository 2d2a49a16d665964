/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "macro.h"
#include "store.h"
#include "util.h"

struct store {
        struct xs_handle *xs;
        int domid;
};

static int errno_or(int fallback)
{
        return errno > 0 ? -errno : -fallback;
}

int store_open(struct store **ret)
{
        struct store *s;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->xs = xs_open(0);
        if (!s->xs) {
                int r = errno_or(ENOENT);
                free(s);
                return r;
        }
        s->domid = -1;
        (void)store_refresh_domid(s);
        *ret = s;
        return 0;
}

void store_free(struct store *s)
{
        if (!s)
                return;
        xs_close(s->xs);
        free(s);
}

int store_domid(const struct store *s)
{
        return s->domid;
}

int store_refresh_domid(struct store *s)
{
        uint64_t domid;
        int r = store_read_u64(s, "domid", &domid);

        if (r < 0)
                return r;
        if (domid >= 0x7FF0)
                return -EBADMSG;
        s->domid = (int)domid;
        return s->domid;
}

int store_fd(const struct store *s)
{
        return xs_fileno(s->xs);
}

static int read_u64_tx(struct store *s, xs_transaction_t t, const char *path, uint64_t *ret)
{
        _cleanup_free_ char *v = NULL;
        unsigned int len = 0;

        errno = 0;
        v = xs_read(s->xs, t, path, &len);
        if (!v)
                return errno_or(EIO);
        if (strlen(v) != len)
                return -EBADMSG;
        /* xenstore values are written without a newline, but be lenient
         * with one: tools such as xenstore-write don't add it, people do */
        if (len > 0 && v[len - 1] == '\n')
                v[--len] = '\0';
        return parse_u64_n(v, len, ret) < 0 ? -EBADMSG : 0;
}

int store_read_u64(struct store *s, const char *path, uint64_t *ret)
{
        return read_u64_tx(s, XBT_NULL, path, ret);
}

int store_read_string(struct store *s, const char *path, char *ret, size_t size)
{
        _cleanup_free_ char *v = NULL;
        unsigned int len = 0;

        errno = 0;
        v = xs_read(s->xs, XBT_NULL, path, &len);
        if (!v)
                return errno_or(EIO);
        if (strlen(v) != len)
                return -EBADMSG;
        if (len >= size)
                return -E2BIG;
        memcpy(ret, v, (size_t)len + 1);
        return 0;
}

int store_replace_u64(struct store *s, const char *path, uint64_t expect, uint64_t v,
                      uint64_t *ret_found)
{
        char buf[24];

        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        /* xenstored makes a transaction fail with EAGAIN when a node it read
         * changed before the end: then look again */
        for (int attempt = 0; attempt < 8; attempt++) {
                xs_transaction_t t;
                uint64_t cur;
                int r;

                errno = 0;
                t = xs_transaction_start(s->xs);
                if (t == XBT_NULL)
                        return errno_or(EIO);
                r = read_u64_tx(s, t, path, &cur);
                if (r == 0 && cur != expect) {
                        xs_transaction_end(s->xs, t, true);
                        *ret_found = cur;
                        return -ESTALE;
                }
                errno = 0;
                if (r == 0 && !xs_write(s->xs, t, path, buf, (unsigned int)strlen(buf)))
                        r = errno_or(EIO);
                if (r < 0) {
                        xs_transaction_end(s->xs, t, true);
                        return r;
                }
                errno = 0;
                if (xs_transaction_end(s->xs, t, false))
                        return 0;
                if (errno != EAGAIN)
                        return errno_or(EIO);
        }
        return -EAGAIN;
}

int store_write_string(struct store *s, const char *path, const char *v)
{
        errno = 0;
        if (!xs_write(s->xs, XBT_NULL, path, v, (unsigned int)strlen(v)))
                return errno_or(EIO);
        return 0;
}

int store_write_u64(struct store *s, const char *path, uint64_t v)
{
        char buf[24];

        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        return store_write_string(s, path, buf);
}

int store_watch(struct store *s, const char *path, const char *token)
{
        errno = 0;
        if (!xs_watch(s->xs, path, token))
                return errno_or(EIO);
        return 0;
}

int store_next_watch(struct store *s, char *ret_token, size_t len)
{
        _cleanup_free_ char **ev = NULL;

        errno = 0;
        ev = xs_check_watch(s->xs);
        /* libxenstore's reader thread closes a lost connection without
         * waking xs_fileno(); xs_check_watch() then says EINVAL. Calling
         * this every tick is how a silent loss is noticed. */
        if (!ev && errno == EINVAL)
                return -ECONNRESET;
        if (!ev)
                return errno == EAGAIN ? 0 : errno_or(EIO);
        snprintf(ret_token, len, "%s", ev[XS_WATCH_TOKEN]);
        return 1;
}

bool store_error_is_disconnect(int r)
{
        switch (-r) {
        case EACCES:
        case EPERM:
        case ENOENT:
        case EBADMSG:
        case EINVAL:
        case E2BIG:
        case ENOSPC:
        case ENOTEMPTY:
        case EEXIST:
        case EISDIR:
        case EROFS:
        case ENOMEM:
                return false;
        default:
                return true;
        }
}
