/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * conf_parse_string(): any bytes give 0 or -EINVAL (-ENOMEM aside); a
 * failure writes nothing and explains itself in a message that names the
 * file and carries no control characters (it goes to a terminal or the
 * journal); the message buffer's size, or its absence, changes nothing
 * else; and what parses prints back (conf_print) to text that parses to an
 * equal configuration.
 */
#include <errno.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"

#define NAME "fuzz.conf"

static void check_message(const char *msg, size_t size)
{
        size_t n = strnlen(msg, size);

        FUZZ_CHECK(n < size);
        FUZZ_CHECK(n > strlen(NAME ":"));
        FUZZ_CHECK(strncmp(msg, NAME ":", strlen(NAME ":")) == 0);
        for (size_t i = 0; i < n; i++)
                FUZZ_CHECK((unsigned char)msg[i] >= 0x20 && msg[i] != 0x7f);
}

static void check_round_trip(const struct sb_config *c)
{
        struct sb_config back;
        char *text = NULL, err[512];
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int r;

        if (!f)
                abort();
        FUZZ_CHECK(conf_print(f, c) == 0);
        if (fclose(f) != 0)
                abort();
        r = conf_parse_string(text, len, NAME, &back, err, sizeof(err));
        if (r != 0)
                fprintf(stderr, "printed config does not parse back: %s\n%s", err, text);
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(conf_equal(c, &back));
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct sb_config c, before, c2;
        char err[512], tiny[8];
        int r, r2;

        memset(&c, 0x5a, sizeof(c));
        before = c;
        memset(err, 'x', sizeof(err));
        r = conf_parse_string((const char *)data, size, NAME, &c, err, sizeof(err));
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);

        /* the message buffer does not change the result */
        r2 = conf_parse_string((const char *)data, size, NAME, &c2, NULL, 0);
        FUZZ_CHECK(r2 == r);
        r2 = conf_parse_string((const char *)data, size, NAME, &c2, tiny, sizeof(tiny));
        FUZZ_CHECK(r2 == r);
        FUZZ_CHECK(strnlen(tiny, sizeof(tiny)) < sizeof(tiny));

        if (r < 0) {
                FUZZ_CHECK(memcmp(&c, &before, sizeof(c)) == 0);
                check_message(err, sizeof(err));
                return 0;
        }
        FUZZ_CHECK(conf_equal(&c, &c2));
        check_round_trip(&c);
        return 0;
}
