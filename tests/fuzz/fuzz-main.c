/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The corpus as an ordinary test: feeds every file named on the command
 * line, or found directly in a directory named there, to the target once,
 * in name order. Built with the normal compiler and no libFuzzer, so the
 * saved inputs (seeds and every crash ever found) run in each build, under
 * the sanitizers too when the build has them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* libFuzzer's default -max_len for a corpus of small files is 4096, but
 * saved crashes and seeds may be larger: allow what any parser accepts. */
#define INPUT_MAX (2U * 1024U * 1024U)

static int run_file(int dir_fd, const char *path, const char *shown)
{
        struct stat st;
        uint8_t *buf;
        size_t len = 0;
        int fd;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "%s: %s\n", shown, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        if (st.st_size > (off_t)INPUT_MAX) {
                fprintf(stderr, "%s: larger than %u bytes\n", shown, INPUT_MAX);
                close(fd);
                return -1;
        }
        /* exactly the file's size, so that ASan sees any read past the end */
        buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
        if (!buf) {
                close(fd);
                return -1;
        }
        while (len < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        fprintf(stderr, "%s: short read\n", shown);
                        free(buf);
                        close(fd);
                        return -1;
                }
                len += (size_t)n;
        }
        close(fd);
        (void)LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        return 0;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, unsigned *count)
{
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        int failed = 0, dfd;
        DIR *d = opendir(dir);

        if (!d) {
                fprintf(stderr, "%s: %s\n", dir, strerror(errno));
                return -1;
        }
        dfd = dirfd(d);
        while ((de = readdir(d))) {
                struct stat st;

                if (de->d_name[0] == '.' || fstatat(dfd, de->d_name, &st, 0) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                if (n == cap) {
                        char **p = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

                        if (!p)
                                abort();
                        names = p;
                }
                names[n] = strdup(de->d_name);
                if (!names[n])
                        abort();
                n++;
        }
        if (names)
                qsort(names, n, sizeof(*names), by_name);
        for (size_t i = 0; i < n; i++) {
                char shown[4096];

                snprintf(shown, sizeof(shown), "%s/%s", dir, names[i]);
                if (run_file(dfd, names[i], shown) < 0)
                        failed = -1;
                else
                        (*count)++;
                free(names[i]);
        }
        free(names);
        closedir(d);
        return failed;
}

int main(int argc, char **argv)
{
        unsigned count = 0;
        int failed = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        failed = 1;
                } else if (S_ISDIR(st.st_mode)) {
                        if (run_dir(argv[i], &count) < 0)
                                failed = 1;
                } else if (run_file(AT_FDCWD, argv[i], argv[i]) < 0) {
                        failed = 1;
                } else {
                        count++;
                }
        }
        printf("%u inputs ran\n", count);
        /* an empty corpus tests nothing: that is a packaging mistake */
        return failed || count == 0 ? 1 : 0;
}
