/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's xenstore connection (libxenstore). Paths are relative: they
 * resolve under the connection's own /local/domain/<N>, which is right even
 * after a migration changed N. Errors are -errno; nothing here logs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Returns 0, or -errno (no xenstore reachable). The domid is read from the
 * domain's own "domid" node; -1 when the toolstack did not write one. */
int store_open(struct store **ret);
void store_free(struct store *s);

int store_domid(const struct store *s);
/* Reads "domid" again (it changes when xl restore or migrate rebuilt the
 * domain and xenbus reconnected): the domid, or -errno. */
int store_refresh_domid(struct store *s);
int store_fd(const struct store *s); /* readable when a watch fired */

int store_read_u64(struct store *s, const char *path, uint64_t *ret);
/* A value as a string (no NUL inside); -E2BIG when it does not fit size. */
int store_read_string(struct store *s, const char *path, char *ret, size_t size);
int store_write_u64(struct store *s, const char *path, uint64_t v);
int store_write_string(struct store *s, const char *path, const char *v);
int store_watch(struct store *s, const char *path, const char *token);

/* Writes v to path in a transaction, only if path still holds expect:
 * 0; -ESTALE with *ret_found when someone else wrote it meanwhile; -errno. */
int store_replace_u64(struct store *s, const char *path, uint64_t expect, uint64_t v,
                      uint64_t *ret_found);

/* Takes one pending watch event: 1 and the token copied out, 0 when none is
 * pending, or -errno. */
int store_next_watch(struct store *s, char *ret_token, size_t len);

/* Whether an error means the connection is gone (as opposed to a refusal
 * or a missing node), so the caller should reconnect. */
bool store_error_is_disconnect(int r);
