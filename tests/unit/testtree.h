/* SPDX-License-Identifier: GPL-2.0-only */
/* A scratch directory standing in for the daemon's --root, for unit tests
 * of modules that read and write below a root fd. Failures are cmocka
 * assertions. */
#pragma once

#include <stddef.h>

struct test_tree {
        char path[256];
        int fd; /* the tree's root, O_DIRECTORY */
};

void test_tree_new(struct test_tree *t);
/* A new tree holding a copy of tests/fixtures/<fixture>. */
void test_tree_from_fixture(struct test_tree *t, const char *fixture);
/* Removes the tree and everything in it. */
void test_tree_free(struct test_tree *t);
/* Writes data to rel (parent directories made as needed), truncating. */
void test_tree_write(const struct test_tree *t, const char *rel, const char *data);
/* Reads rel into buf, NUL-terminated. */
void test_tree_read(const struct test_tree *t, const char *rel, char *buf, size_t size);
/* The same below any directory fd (a fixture tree, say). */
void test_read_at(int dir_fd, const char *rel, char *buf, size_t size);
void test_tree_mkdirs(const struct test_tree *t, const char *rel);
/* Removes rel and, for a directory, everything in it. */
void test_tree_remove(const struct test_tree *t, const char *rel);
