/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * zoneinfo_parse_totalreserve() on the text, and the streaming reader
 * zoneinfo_read_totalreserve() on the same text as a file under a scratch
 * root: the reader feeds the parser in 4 KiB chunks, so where no line is
 * longer than its buffer both must agree exactly; a longer line is
 * -EBADMSG for the reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "meminfo.h"

#define READER_BUF 4096 /* zoneinfo_read_totalreserve()'s buffer */

/* tmpfs when there is one: a file rewritten per input on a journalled
 * disk costs 100 times the parsing */
static char dir[64];
static int root_fd = -1, file_fd = -1;

static void cleanup(void)
{
        char path[sizeof(dir) + 16];

        if (root_fd < 0)
                return;

        snprintf(path, sizeof(path), "%s/proc/zoneinfo", dir);
        (void)unlink(path);
        snprintf(path, sizeof(path), "%s/proc", dir);
        (void)rmdir(path);
        (void)rmdir(dir);
}

static void setup(void)
{
        if (root_fd >= 0)
                return;
        snprintf(dir, sizeof(dir), "%s/fuzz-zoneinfo.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
                abort();
        atexit(cleanup);
        root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0 || mkdirat(root_fd, "proc", 0755) < 0)
                abort();
        file_fd = openat(root_fd, "proc/zoneinfo", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (file_fd < 0)
                abort();
}

static size_t longest_line(const uint8_t *data, size_t size)
{
        size_t longest = 0, start = 0;

        for (size_t i = 0; i < size; i++)
                if (data[i] == '\n') {
                        if (i + 1 - start > longest)
                                longest = i + 1 - start;
                        start = i + 1;
                }
        if (size - start > longest)
                longest = size - start;
        return longest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint64_t sentinel = UINT64_C(0xdeadbeefcafe);
        uint64_t parsed = sentinel, read_back = sentinel;
        int r, k;

        r = zoneinfo_parse_totalreserve((const char *)data, size, &parsed);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG);
                FUZZ_CHECK(parsed == sentinel);
        } else {
                FUZZ_CHECK(r == 0);
                FUZZ_CHECK(size > 0 && data[size - 1] == '\n');
        }

        setup();
        if (ftruncate(file_fd, 0) < 0 || pwrite(file_fd, data, size, 0) != (ssize_t)size)
                abort();
        k = zoneinfo_read_totalreserve(root_fd, &read_back);
        if (longest_line(data, size) <= READER_BUF) {
                FUZZ_CHECK(k == r);
                FUZZ_CHECK(read_back == parsed);
        } else {
                FUZZ_CHECK(k == -EBADMSG);
                FUZZ_CHECK(read_back == sentinel);
        }
        return 0;
}
