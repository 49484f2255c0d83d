/** @brief `pie selftest`: the known answers and the stress loop's entry point, shared by
 * cli_selftest.c and cli_stress.c. */
#ifndef PIE_CLI_SELFTEST_H
#define PIE_CLI_SELFTEST_H

#include "pie.h"

typedef struct pie_selftest_mc {
    uint64_t samples, seed, inside;
} pie_selftest_mc;
typedef struct pie_selftest_digits {
    uint64_t digits;
    unsigned base;
    const char *sha256;
} pie_selftest_digits;

extern const pie_selftest_mc pie_selftest_mc_answers[2];
extern const pie_selftest_digits pie_selftest_digits_answers[4];

/* A context for the checks (NULL when out of memory). */
pie_ctx *pie_selftest_ctx(pie_backend be, unsigned workers, pie_isa isa);

/* --stress: `workers` threads for `seconds`, pinned by `pin` (NULL: not);
 * an exit code. */
int pie_selftest_stress(double seconds, unsigned workers, const char *pin);

#endif
