/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testtree.h"

void test_tree_new(struct test_tree *t)
{
        const char *tmp = getenv("TMPDIR");

        snprintf(t->path, sizeof(t->path), "%s/sbtest-XXXXXX", tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(t->path));
        t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(t->fd >= 0);
}

void test_tree_from_fixture(struct test_tree *t, const char *fixture)
{
        char cmd[600];

        test_tree_new(t);
        snprintf(cmd, sizeof(cmd), "cp -r '%s/%s'/. '%s'/", FIXTURES, fixture, t->path);
        assert_int_equal(system(cmd), 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

void test_tree_free(struct test_tree *t)
{
        close(t->fd);
        assert_int_equal(nftw(t->path, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

void test_tree_remove(const struct test_tree *t, const char *rel)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", t->path, rel);
        assert_int_equal(nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

void test_tree_mkdirs(const struct test_tree *t, const char *rel)
{
        char buf[256];

        assert_true(strlen(rel) < sizeof(buf));
        strcpy(buf, rel);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdirat(t->fd, buf, 0755) < 0)
                        assert_int_equal(errno, EEXIST);
                *p = '/';
        }
        if (mkdirat(t->fd, buf, 0755) < 0)
                assert_int_equal(errno, EEXIST);
}

void test_tree_write(const struct test_tree *t, const char *rel, const char *data)
{
        const char *slash = strrchr(rel, '/');
        int fd;

        if (slash) {
                char dir[256];

                assert_true((size_t)(slash - rel) < sizeof(dir));
                memcpy(dir, rel, (size_t)(slash - rel));
                dir[slash - rel] = '\0';
                test_tree_mkdirs(t, dir);
        }
        fd = openat(t->fd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
        close(fd);
}

void test_tree_read(const struct test_tree *t, const char *rel, char *buf, size_t size)
{
        test_read_at(t->fd, rel, buf, size);
}

void test_read_at(int dir_fd, const char *rel, char *buf, size_t size)
{
        int fd = openat(dir_fd, rel, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        assert_true(fd >= 0);
        n = read(fd, buf, size - 1);
        assert_true(n >= 0);
        buf[n] = '\0';
        close(fd);
}
