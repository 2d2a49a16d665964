/* SPDX-License-Identifier: GPL-2.0-only */
/* meminfo_parse(): any bytes parse or give -EBADMSG; the output is written
 * only on success and then holds MemTotal and Committed_AS. meminfo_read()
 * on the same bytes as a file agrees, up to its 16 KiB (-EFBIG beyond). */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "meminfo.h"

static void check_read(const uint8_t *data, size_t size, int r, const struct meminfo *parsed)
{
        struct meminfo m, before;
        int k;

        fuzz_scratch_write("proc/meminfo", data, size);
        memset(&m, 0x5a, sizeof(m));
        before = m;
        k = meminfo_read(fuzz_scratch_root(), &m);
        if (size > MEMINFO_SIZE_MAX) {
                FUZZ_CHECK(k == -EFBIG);
                FUZZ_CHECK(memcmp(&m, &before, sizeof(m)) == 0);
                return;
        }
        FUZZ_CHECK(k == r);
        if (r == 0)
                FUZZ_CHECK(memcmp(&m, parsed, sizeof(m)) == 0);
        else
                FUZZ_CHECK(memcmp(&m, &before, sizeof(m)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct meminfo m, before;
        int r;

        memset(&m, 0xa5, sizeof(m));
        before = m;
        r = meminfo_parse((const char *)data, size, &m);
        check_read(data, size, r, &m);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG);
                FUZZ_CHECK(memcmp(&m, &before, sizeof(m)) == 0);
                return 0;
        }
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK((m.present & MEMINFO_REQUIRED) == MEMINFO_REQUIRED);
        FUZZ_CHECK((m.present & ~((1U << _MEMINFO_FIELD_MAX) - 1)) == 0);
        /* a read cut short never passes */
        FUZZ_CHECK(size > 0 && data[size - 1] == '\n');
        /* absent fields are 0 */
        if (!meminfo_has(&m, MEMINFO_MEM_FREE))
                FUZZ_CHECK(m.mem_free_kb == 0);
        if (!meminfo_has(&m, MEMINFO_SWAP_TOTAL))
                FUZZ_CHECK(m.swap_total_kb == 0);
        return 0;
}
