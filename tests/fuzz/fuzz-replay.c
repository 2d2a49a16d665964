/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The --replay input: the whole text through replay_run() as the command
 * runs it, and each line through replay_parse_header()/replay_parse_row()
 * and the policy directly. Any bytes give 0 or -EINVAL with a "NAME:LINE:"
 * message; the parsers write their output only on success; every row that
 * parses is one the policy decides (default settings) and one output line.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"
#include "replay.h"

#define NAME "fuzz.csv"
#define PAGE_SIZE 4096

static void check_message(const char *msg, size_t size)
{
        size_t n = strnlen(msg, size);

        FUZZ_CHECK(n > 0 && n < size);
        FUZZ_CHECK(strncmp(msg, NAME ":", strlen(NAME ":")) == 0);
}

static unsigned count_lines(const char *text, size_t len)
{
        unsigned n = 0;

        for (size_t i = 0; i < len; i++)
                n += text[i] == '\n';
        return n;
}

/* The line-by-line path, as replay_run() splits lines (getline, then one
 * "\n" and one "\r" off the end). Returns the number of decided rows, or
 * -1 at the first line that does not parse. */
static int parse_lines(const uint8_t *data, size_t size, const struct sb_settings *s)
{
        struct sb_policy_state st;
        struct replay_header h;
        const char *p = (const char *)data, *end = p + size;
        int decided = 0;
        bool first = true;

        policy_state_init(&st);
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                char *line, msg[256];
                int r;

                if (n > 0 && p[n - 1] == '\r')
                        n--;
                if (memchr(p, '\0', n))
                        return -1;
                line = strndup(p, n);
                if (!line)
                        abort();
                p = nl ? nl + 1 : end;
                if (first) {
                        struct replay_header before;

                        memset(&h, 0x5a, sizeof(h));
                        before = h;
                        r = replay_parse_header(line, &h, msg, sizeof(msg));
                        free(line);
                        FUZZ_CHECK(r == 0 || r == -EINVAL);
                        if (r < 0) {
                                FUZZ_CHECK(memcmp(&h, &before, sizeof(h)) == 0);
                                FUZZ_CHECK(strnlen(msg, sizeof(msg)) > 0);
                                return -1;
                        }
                        FUZZ_CHECK(h.n_fields > 0 && h.n_fields <= REPLAY_MAX_FIELDS);
                        first = false;
                } else {
                        struct replay_row row, before;
                        struct sb_decision d;

                        memset(&row, 0x5a, sizeof(row));
                        before = row;
                        r = replay_parse_row(&h, line, &row, msg, sizeof(msg));
                        free(line);
                        FUZZ_CHECK(r == 0 || r == -EINVAL);
                        if (r < 0) {
                                FUZZ_CHECK(memcmp(&row, &before, sizeof(row)) == 0);
                                FUZZ_CHECK(strnlen(msg, sizeof(msg)) > 0);
                                return -1;
                        }
                        FUZZ_CHECK(strnlen(row.t_s, sizeof(row.t_s)) < sizeof(row.t_s));
                        FUZZ_CHECK(policy_decide(s, &st, &row.obs, PAGE_SIZE, &d) == 0);
                        decided++;
                }
        }
        return decided;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct sb_settings s;
        char err[512], *out = NULL;
        size_t out_len = 0;
        FILE *in, *outf;
        int r, decided;

        policy_settings_default(&s);
        decided = parse_lines(data, size, &s);

        /* fmemopen() wants a non-empty buffer; an empty input is /dev/null */
        in = size > 0 ? fmemopen((void *)(uintptr_t)data, size, "r") : fopen("/dev/null", "re");
        outf = open_memstream(&out, &out_len);
        if (!in || !outf)
                abort();
        err[0] = '\0';
        r = replay_run(in, outf, NAME, &s, PAGE_SIZE, err, sizeof(err));
        fclose(in);
        if (fclose(outf) != 0)
                abort();

        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r < 0) {
                check_message(err, sizeof(err));
                FUZZ_CHECK(decided < 0 || size == 0);
        } else {
                /* the output header, then one line per row */
                FUZZ_CHECK(decided >= 0);
                FUZZ_CHECK(count_lines(out, out_len) == (unsigned)decided + 1);
                FUZZ_CHECK(strncmp(out, REPLAY_OUTPUT_HEADER "\n",
                                   strlen(REPLAY_OUTPUT_HEADER "\n")) == 0);
        }
        free(out);
        return 0;
}
