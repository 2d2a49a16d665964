/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * selfballoon-dom0's pure part on whatever a guest may write: every value is
 * the guest's own bytes. Input: 4 bytes of clock offset, 1 flag byte
 * (bit 0: data/selfballoon exists), then per key in enum dom0_key order one
 * length byte (255: not present) and that many bytes of value.
 *
 * Contracts: the table holds printable ASCII and newlines only; the JSON is
 * one well-formed JSON document in valid UTF-8 with no raw control or C1
 * character; a number counts as valid exactly when it is plain digits
 * without overflow; a key is bad exactly when it has a problem to show; the
 * exit status is one of the documented ones.
 */
#include <stdbool.h>
#include <string.h>

#include "dom0.h"
#include "fuzz.h"

static bool reference_u64(const char *s, size_t n)
{
        uint64_t v = 0;

        if (n == 0 || n > 20)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
                        return false;
        }
        return true;
}

/* A small JSON syntax check (RFC 8259), enough to catch a broken escape. */
struct json {
        const unsigned char *p, *end;
        int depth;
};

static bool json_value(struct json *j);

static void json_ws(struct json *j)
{
        while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
                j->p++;
}

static bool json_lit(struct json *j, const char *w)
{
        size_t n = strlen(w);

        if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
                return false;
        j->p += n;
        return true;
}

static bool json_string(struct json *j)
{
        if (j->p >= j->end || *j->p++ != '"')
                return false;
        while (j->p < j->end) {
                unsigned char c = *j->p++;

                if (c == '"')
                        return true;
                if (c < 0x20 || c == 0x7f)
                        return false;
                if (c == 0xc2 && j->p < j->end && *j->p < 0xa0)
                        return false; /* a raw C1 control */
                if (c == '\\') {
                        if (j->p >= j->end)
                                return false;
                        c = *j->p++;
                        if (c == 'u') {
                                for (int i = 0; i < 4; i++)
                                        if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p++))
                                                return false;
                        } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
                                return false;
                        }
                }
        }
        return false;
}

static bool json_number(struct json *j)
{
        const unsigned char *s = j->p;

        if (j->p < j->end && *j->p == '-')
                j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
                return false;
        if (*j->p == '0') {
                j->p++;
        } else {
                while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
                        j->p++;
        }
        return j->p > s;
}

static bool json_members(struct json *j, char close, bool object)
{
        j->p++;
        json_ws(j);
        if (j->p < j->end && *j->p == close) {
                j->p++;
                return true;
        }
        for (;;) {
                json_ws(j);
                if (object) {
                        if (!json_string(j))
                                return false;
                        json_ws(j);
                        if (j->p >= j->end || *j->p++ != ':')
                                return false;
                }
                if (!json_value(j))
                        return false;
                json_ws(j);
                if (j->p >= j->end)
                        return false;
                if (*j->p == close) {
                        j->p++;
                        return true;
                }
                if (*j->p++ != ',')
                        return false;
        }
}

static bool json_value(struct json *j)
{
        bool ok;

        json_ws(j);
        if (j->p >= j->end || ++j->depth > 16)
                return false;
        switch (*j->p) {
        case '{':
                ok = json_members(j, '}', true);
                break;
        case '[':
                ok = json_members(j, ']', false);
                break;
        case '"':
                ok = json_string(j);
                break;
        case 't':
                ok = json_lit(j, "true");
                break;
        case 'f':
                ok = json_lit(j, "false");
                break;
        case 'n':
                ok = json_lit(j, "null");
                break;
        default:
                ok = json_number(j);
                break;
        }
        j->depth--;
        return ok;
}

/* UTF-8 as RFC 3629 has it (the shortest form, no surrogates, <= U+10FFFF). */
static bool utf8_ok(const unsigned char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                                              : c >= 0xf0 && c <= 0xf4                  ? 4
                                                                                        : 0;
                if (len == 0 || i + len > n)
                        return false;
                for (size_t k = 1; k < len; k++)
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] > 0x9f) ||
                    (c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] > 0x8f))
                        return false;
                i += len;
        }
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const struct dom0_limits lim = { .silent_after_s = 180, .max_skew_s = 30 };
        struct dom0_raw raw, ok;
        struct dom0_guest g[2];
        int32_t offset;
        int64_t now;
        size_t pos = 5, len = 0;
        char *out = NULL;
        FILE *f;
        int status;

        if (size < 5)
                return 0;
        memcpy(&offset, data, sizeof(offset));
        now = INT64_C(1800000000) + offset;
        memset(&raw, 0, sizeof(raw));
        raw.domid = 7;
        raw.has_data = data[4] & 1;
        for (enum dom0_key k = 0; k < _DOM0_KEY_MAX && pos < size; k++) {
                size_t n = data[pos++];

                if (n == 255)
                        continue;
                if (n > size - pos)
                        n = size - pos;
                raw.present[k] = true;
                raw.len[k] = n;
                memcpy(raw.value[k], data + pos, n < DOM0_VALUE_MAX ? n : DOM0_VALUE_MAX);
                pos += n;
        }

        dom0_guest_parse(&raw, now, &lim, &g[0]);
        FUZZ_CHECK((unsigned)g[0].health < _DOM0_HEALTH_MAX);
        FUZZ_CHECK((g[0].health == DOM0_HEALTH_NO_DAEMON) == !raw.has_data);
        for (enum dom0_key k = 0; k < _DOM0_KEY_MAX; k++) {
                FUZZ_CHECK(((g[0].bad >> k) & 1) == (dom0_problem(&g[0], k) != NULL));
                if (g[0].num[k].valid)
                        FUZZ_CHECK(raw.len[k] <= DOM0_VALUE_MAX &&
                                   reference_u64(raw.value[k], raw.len[k]));
                else if (g[0].num[k].present)
                        FUZZ_CHECK(!reference_u64(raw.value[k], raw.len[k]) ||
                                   raw.len[k] > DOM0_VALUE_MAX);
        }
        if (g[0].bad && raw.has_data)
                FUZZ_CHECK(g[0].health == DOM0_HEALTH_BAD_DATA ||
                           g[0].health == DOM0_HEALTH_SILENT);

        /* next to a healthy guest, which must still be shown in full */
        memset(&ok, 0, sizeof(ok));
        ok.domid = 8;
        ok.has_data = true;
        for (enum dom0_key k = 0; k < _DOM0_KEY_MAX; k++) {
                static const char *const v[_DOM0_KEY_MAX] = {
                        "ok", "524288", "786432", "262144", "250000", "131072",
                        "xenstore", "running", "1800000000", "seed",
                };

                ok.present[k] = true;
                ok.len[k] = strlen(v[k]);
                memcpy(ok.value[k], v[k], ok.len[k]);
        }
        dom0_guest_parse(&ok, INT64_C(1800000000), &lim, &g[1]);
        FUZZ_CHECK(g[1].health == DOM0_HEALTH_OK);
        status = dom0_exit_status(g, 2);
        FUZZ_CHECK(status == DOM0_EXIT_OK || status == DOM0_EXIT_SILENT ||
                   status == DOM0_EXIT_STALLED || status == DOM0_EXIT_BAD_DATA);

        f = open_memstream(&out, &len);
        FUZZ_CHECK(f);
        dom0_format_table(f, g, 2, true);
        FUZZ_CHECK(fclose(f) == 0);
        for (size_t i = 0; i < len; i++)
                FUZZ_CHECK(out[i] == '\n' || (out[i] >= 0x20 && out[i] < 0x7f));
        FUZZ_CHECK(strstr(out, "    7 ") != NULL);
        FUZZ_CHECK(strstr(out, "    8 ok                       ok        running    xenstore   seed"
                               "          256    244    128       512        768  ") != NULL);
        free(out);

        out = NULL;
        f = open_memstream(&out, &len);
        FUZZ_CHECK(f);
        dom0_format_json(f, g, 2, now, &lim, true);
        FUZZ_CHECK(fclose(f) == 0);
        FUZZ_CHECK(utf8_ok((const unsigned char *)out, len));
        {
                struct json j = { (const unsigned char *)out, (const unsigned char *)out + len, 0 };

                FUZZ_CHECK(json_value(&j));
                json_ws(&j);
                FUZZ_CHECK(j.p == j.end);
        }
        free(out);
        return 0;
}
