/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * zoneinfo_parse_totalreserve() on the text, and the streaming reader
 * zoneinfo_read_totalreserve() on the same text as a file under a scratch
 * root: the reader feeds the parser in 4 KiB chunks, so where no line is
 * longer than its buffer both must agree exactly; a longer line is
 * -EBADMSG for the reader.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "meminfo.h"

#define READER_BUF 4096 /* zoneinfo_read_totalreserve()'s buffer */

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

        fuzz_scratch_write("proc/zoneinfo", data, size);
        k = zoneinfo_read_totalreserve(fuzz_scratch_root(), &read_back);
        if (longest_line(data, size) <= READER_BUF) {
                FUZZ_CHECK(k == r);
                FUZZ_CHECK(read_back == parsed);
        } else {
                FUZZ_CHECK(k == -EBADMSG);
                FUZZ_CHECK(read_back == sentinel);
        }
        return 0;
}
