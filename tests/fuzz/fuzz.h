/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every fuzz target shares. A target is one LLVMFuzzerTestOneInput();
 * it is linked either with libFuzzer (clang, -fsanitize=fuzzer) or with
 * fuzz-main.c, which feeds it the saved corpus as an ordinary test.
 *
 * Targets check the parsers' documented contracts, not just "no crash":
 * the set of return values, output written only on success, round trips.
 * A broken contract aborts, which libFuzzer reports like a crash and saves.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz-scratch.c: a scratch root directory (created on first use, removed
 * at exit) and a way to put a file below it. */
int fuzz_scratch_root(void);
void fuzz_scratch_write(const char *path, const void *data, size_t size);

#define FUZZ_CHECK(cond)                                                                      \
        do {                                                                                  \
                if (!(cond)) {                                                                \
                        fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__,   \
                                #cond);                                                       \
                        abort();                                                              \
                }                                                                             \
        } while (0)
