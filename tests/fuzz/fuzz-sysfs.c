/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The small values the daemon reads: sysfs numbers (balloon_parse_kb, also
 * used for the frontswap helper's files), xenstore numbers (parse_u64_n,
 * which store_read_u64() applies to every value), and the start record in
 * /run/selfballoond (runstate_record_parse). All three get the same bytes
 * and are checked against a reference reading of what they document.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "balloon.h"
#include "fuzz.h"
#include "runstate.h"
#include "util.h"

#define SENTINEL UINT64_C(0xdeadbeefcafe)

/* "Plain decimal digits only, no overflow": true with the value, or false. */
static bool reference_u64(const uint8_t *s, size_t n, uint64_t *ret)
{
        uint64_t v = 0;
        bool overflow = false;

        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                overflow = overflow || __builtin_mul_overflow(v, 10, &v) ||
                           __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v);
        }
        if (overflow)
                return false;
        *ret = v;
        return true;
}

static bool all_digits(const uint8_t *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return n > 0;
}

static void fuzz_numbers(const uint8_t *data, size_t size)
{
        uint64_t v = SENTINEL, ref = 0;
        bool ok = reference_u64(data, size, &ref);
        size_t len;
        int r;

        r = parse_u64_n((const char *)data, size, &v);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
        FUZZ_CHECK((r == 0) == ok);
        if (r == 0)
                FUZZ_CHECK(v == ref);
        else
                FUZZ_CHECK(v == SENTINEL);
        /* too large is -ERANGE only for digits */
        if (r == -ERANGE)
                FUZZ_CHECK(data[0] >= '0' && data[0] <= '9');
        if (!ok && all_digits(data, size))
                FUZZ_CHECK(r == -ERANGE);

        /* sysfs: the same, with one optional trailing newline */
        len = size > 0 && data[size - 1] == '\n' ? size - 1 : size;
        ok = reference_u64(data, len, &ref);
        v = SENTINEL;
        r = balloon_parse_kb((const char *)data, size, &v);
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        FUZZ_CHECK((r == 0) == ok);
        FUZZ_CHECK(r == 0 ? v == ref : v == SENTINEL);
}

/* The record as runstate_record_write() formats it. */
static void format_record(const struct start_record *rec, char *buf, size_t len)
{
        int n = snprintf(buf, len, "sysfs_target_kb=%" PRIu64 "\n", rec->sysfs_target_kb);

        if (rec->has_xenstore)
                snprintf(buf + n, len - (size_t)n, "xenstore_target_kb=%" PRIu64 "\n",
                         rec->xenstore_target_kb);
}

static void fuzz_record(const uint8_t *data, size_t size)
{
        struct start_record rec, before, back;
        char *text = strndup((const char *)data, size), again[128];
        int r;

        /* read as runstate_record_read() does: into 256 bytes, then as a
         * C string (a NUL ends it) */
        if (!text)
                abort();
        if (strlen(text) > 255)
                text[255] = '\0';
        memset(&rec, 0x5a, sizeof(rec));
        before = rec;
        r = runstate_record_parse(text, &rec);
        free(text);
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r < 0) {
                FUZZ_CHECK(memcmp(&rec, &before, sizeof(rec)) == 0);
                return;
        }
        /* a record of target 0 would hand the guest's memory away on restore */
        FUZZ_CHECK(rec.sysfs_target_kb != 0);
        format_record(&rec, again, sizeof(again));
        memset(&back, 0, sizeof(back));
        FUZZ_CHECK(runstate_record_parse(again, &back) == 0);
        FUZZ_CHECK(back.sysfs_target_kb == rec.sysfs_target_kb);
        FUZZ_CHECK(back.has_xenstore == rec.has_xenstore);
        if (rec.has_xenstore)
                FUZZ_CHECK(back.xenstore_target_kb == rec.xenstore_target_kb);
}

static bool is_separator(uint8_t c)
{
        return c == ',' || c == ' ' || c == '\t' || c == '\n';
}

/* capabilities is a list: "control_d" counts as a word of it only */
static bool reference_has_word(const uint8_t *s, size_t n, const char *word)
{
        size_t w = strlen(word);

        for (size_t i = 0; i + w <= n; i++)
                if ((i == 0 || is_separator(s[i - 1])) && memcmp(s + i, word, w) == 0 &&
                    (i + w == n || is_separator(s[i + w])))
                        return true;
        return false;
}

static bool reference_is(const uint8_t *s, size_t n, const char *word)
{
        if (n > 0 && s[n - 1] == '\n')
                n--;
        return n == strlen(word) && memcmp(s, word, n) == 0;
}

/* guest_detect() reads each of these files whole into 256 bytes and looks
 * at it with its length, so a NUL is just a byte */
static void fuzz_detect(const uint8_t *data, size_t size)
{
        struct guest_info g, before;
        size_t n = size;
        int r;

        fuzz_scratch_write("sys/hypervisor/type", data, size);
        fuzz_scratch_write("sys/hypervisor/guest_type", data, size);
        fuzz_scratch_write("proc/xen/capabilities", data, size);
        fuzz_scratch_write(BALLOON_SYSFS_DIR "/target_kb", "1\n", 2);
        memset(&g, 0x5a, sizeof(g));
        before = g;
        r = guest_detect(fuzz_scratch_root(), &g);
        if (size > 255) {
                /* too long to be what the kernel prints */
                FUZZ_CHECK(r == -EFBIG);
                FUZZ_CHECK(memcmp(&g, &before, sizeof(g)) == 0);
                return;
        }
        FUZZ_CHECK(r == 0 || r == GUEST_DETECT_DOM0);
        FUZZ_CHECK(g.xen && g.capabilities_known && g.balloon);
        FUZZ_CHECK(g.dom0 == reference_has_word(data, n, "control_d"));
        FUZZ_CHECK(r == (g.dom0 ? GUEST_DETECT_DOM0 : 0));
        if (reference_is(data, n, "PV"))
                FUZZ_CHECK(g.type == GUEST_TYPE_PV);
        else if (reference_is(data, n, "HVM"))
                FUZZ_CHECK(g.type == GUEST_TYPE_HVM);
        else if (reference_is(data, n, "PVH"))
                FUZZ_CHECK(g.type == GUEST_TYPE_PVH);
        else if (reference_is(data, n, "Xen"))
                FUZZ_CHECK(g.type == GUEST_TYPE_ARM);
        else
                FUZZ_CHECK(g.type == GUEST_TYPE_UNKNOWN);
        FUZZ_CHECK(strlen(guest_type_to_string(g.type)) > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        fuzz_numbers(data, size);
        fuzz_record(data, size);
        fuzz_detect(data, size);
        return 0;
}
