/* SPDX-License-Identifier: GPL-2.0-only */
/* vmstat_parse(): any bytes parse or give -EBADMSG; the output is written
 * only on success, a counter that is absent is 0 with its flag clear.
 * vmstat_reread() on the same bytes as a file agrees, up to its 32 KiB
 * (-EFBIG beyond). */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "meminfo.h"
#include "util.h"

static void check_read(const uint8_t *data, size_t size, int r, const struct vmstat *parsed)
{
        struct reread_file f = REREAD_FILE_INIT;
        struct vmstat v, before;
        int k;

        fuzz_scratch_write("proc/vmstat", data, size);
        memset(&v, 0x5a, sizeof(v));
        before = v;
        k = vmstat_reread(&f, fuzz_scratch_root(), &v);
        reread_file_close(&f);
        if (size > VMSTAT_SIZE_MAX) {
                FUZZ_CHECK(k == -EFBIG);
                FUZZ_CHECK(memcmp(&v, &before, sizeof(v)) == 0);
                return;
        }
        FUZZ_CHECK(k == r);
        if (r == 0)
                FUZZ_CHECK(memcmp(&v, parsed, sizeof(v)) == 0);
        else
                FUZZ_CHECK(memcmp(&v, &before, sizeof(v)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vmstat v, before;
        int r;

        memset(&v, 0xa5, sizeof(v));
        before = v;
        r = vmstat_parse((const char *)data, size, &v);
        check_read(data, size, r, &v);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG);
                FUZZ_CHECK(memcmp(&v, &before, sizeof(v)) == 0);
                return 0;
        }
        FUZZ_CHECK(size > 0 && data[size - 1] == '\n');
        if (!v.has_refault_file)
                FUZZ_CHECK(v.workingset_refault_file == 0);
        if (!v.has_refault)
                FUZZ_CHECK(v.workingset_refault == 0);
        /* a counter found is its line, as printed */
        if (v.has_refault_file)
                FUZZ_CHECK(memmem(data, size, "workingset_refault_file ", 24) != NULL);
        return 0;
}
