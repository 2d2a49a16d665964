/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading every guest's nodes through libxenstore, as dom0. The only I/O of
 * selfballoon-dom0; what a value means is dom0-parse.c's business.
 *
 * No transaction: a guest rewriting its data/ all the time would make one
 * fail with EAGAIN again and again, and one guest must never keep the
 * others from being listed. A row is a snapshot of each node, not of the
 * guest as a whole; the daemon writes its keys one by one anyway.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "dom0.h"
#include "util.h"

static int by_domid(const void *a, const void *b)
{
        const struct dom0_raw *x = a, *y = b;

        return (x->domid > y->domid) - (x->domid < y->domid);
}

/* One node into raw, cut at DOM0_VALUE_MAX; ENOENT is "not present". */
static int read_key(struct xs_handle *xs, const char *dom, enum dom0_key k,
                    struct dom0_raw *raw)
{
        char path[64];
        unsigned int len = 0;
        _cleanup_free_ char *v = NULL;

        snprintf(path, sizeof(path), "%s/%s", dom, dom0_key_path[k]);
        v = xs_read(xs, XBT_NULL, path, &len);
        if (!v)
                return errno == ENOENT ? 0 : -(errno ? errno : EIO);
        raw->present[k] = true;
        raw->len[k] = len;
        memcpy(raw->value[k], v, len < DOM0_VALUE_MAX ? len : DOM0_VALUE_MAX);
        return 0;
}

static int read_guest(struct xs_handle *xs, struct dom0_raw *raw)
{
        char dom[32], path[64];
        unsigned int n = 0;
        _cleanup_free_ char **keys = NULL;

        snprintf(dom, sizeof(dom), "/local/domain/%" PRIu32, raw->domid);
        snprintf(path, sizeof(path), "%s/" DOM0_DATA_DIR, dom);
        keys = xs_directory(xs, XBT_NULL, path, &n);
        if (keys)
                raw->has_data = true;
        else if (errno != ENOENT)
                return -(errno ? errno : EIO);
        for (enum dom0_key k = 0; k < _DOM0_KEY_MAX; k++) {
                bool listed = false;
                int r;

                /* data keys the directory did not list are not there: no
                 * round trip to hear ENOENT */
                if (strncmp(dom0_key_path[k], DOM0_DATA_DIR "/", sizeof(DOM0_DATA_DIR)) == 0) {
                        const char *leaf = dom0_key_path[k] + sizeof(DOM0_DATA_DIR);

                        for (unsigned int i = 0; keys && i < n && !listed; i++)
                                listed = strcmp(keys[i], leaf) == 0;
                        if (!listed)
                                continue;
                }
                r = read_key(xs, dom, k, raw);
                if (r < 0)
                        return r;
        }
        return 0;
}

int dom0_read_all(struct xs_handle *xs, struct dom0_raw **ret, size_t *ret_n,
                  size_t *ret_skipped)
{
        _cleanup_free_ char **ids = NULL;
        struct dom0_raw *raws;
        unsigned int n_ids = 0;
        size_t n = 0, skipped = 0;

        ids = xs_directory(xs, XBT_NULL, "/local/domain", &n_ids);
        /* no /local/domain at all: no domain yet, not even dom0's */
        if (!ids && errno != ENOENT)
                return -(errno ? errno : EIO);
        raws = calloc(n_ids ? n_ids : 1, sizeof(*raws));
        if (!raws)
                return -ENOMEM;
        for (unsigned int i = 0; i < n_ids; i++) {
                struct dom0_raw *raw = &raws[n];
                uint64_t domid;
                int r;

                if (parse_u64(ids[i], &domid) < 0 || domid > DOM0_DOMID_MAX) {
                        skipped++;
                        continue;
                }
                if (domid == 0)
                        continue; /* dom0 runs no selfballoond (it refuses to) */
                memset(raw, 0, sizeof(*raw));
                raw->domid = (uint32_t)domid;
                r = read_guest(xs, raw);
                /* a guest destroyed while we read it is simply gone */
                if (r == -ENOENT || (r == 0 && !raw->has_data && !raw->present[DOM0_KEY_NAME] &&
                                     !raw->present[DOM0_KEY_XS_TARGET]))
                        continue;
                if (r < 0) {
                        memset(raw, 0, sizeof(*raw));
                        raw->domid = (uint32_t)domid;
                        raw->read_error = r;
                }
                n++;
        }
        qsort(raws, n, sizeof(*raws), by_domid);
        *ret = raws;
        *ret_n = n;
        *ret_skipped = skipped;
        return 0;
}
