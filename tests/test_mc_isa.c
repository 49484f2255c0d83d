/** @brief Each built MC kernel variant the CPU supports returns exactly the scalar count. */
#include <pie.h>

#include "cpu.h"
#include "mc_kernel.h"
#include "mc_simd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Ranges cover: every (first, count) with first < 72 and count < 300 (odd and
 * even starts and ends, counts below and across one vector and one unrolled
 * iteration), ranges across the 2^32-block counter carry, near 2^63, across a
 * chunk boundary, and random ones. Seeds include 0, all-ones and values that
 * set the high key word. Random choices come from PIE_TEST_SEED (printed).
 * Exit 77 (ctest: skipped) when the CPU supports no vector variant.
 */

typedef struct variant {
    const char *name;
    pie_isa isa;
    pie_mc_count_fn fn;
    unsigned extra; /* further CPU features needed (PIE_CPU_*) */
} variant;

static const variant all[] = {
#ifdef PIE_HAVE_ISA_AESNI
    {"aesni", PIE_ISA_AESNI, pie__mc_count_aesni, 0},
#endif
#ifdef PIE_HAVE_ISA_AVX2
    {"avx2 (AES-NI 128)", PIE_ISA_AVX2, pie__mc_count_avx2, 0},
    {"avx2 (VAES 256)", PIE_ISA_AVX2, pie__mc_count_avx2_vaes, PIE_CPU_VAES},
#endif
#ifdef PIE_HAVE_ISA_AVX512
    {"avx512", PIE_ISA_AVX512, pie__mc_count_avx512, 0},
#endif
    {NULL, PIE_ISA_SCALAR, NULL, 0}};

static const variant *live[8];
static size_t nlive;
static unsigned long failures, checks;

static uint64_t rng_state;
static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void check(uint64_t seed, uint64_t first, uint64_t count)
{
    uint64_t want = pie__mc_count_scalar(seed, first, count);
    for (size_t i = 0; i < nlive; i++) {
        uint64_t got = live[i]->fn(seed, first, count);
        checks++;
        if (got != want && failures++ < 20)
            fprintf(stderr,
                    "FAIL %s: seed %" PRIu64 " first %" PRIu64 " count %" PRIu64 ": %" PRIu64
                    " != scalar %" PRIu64 "\n",
                    live[i]->name, seed, first, count, got, want);
    }
}

/* The dispatcher hands out these same functions and refuses what the CPU lacks. */
static void check_dispatch(void)
{
    static const pie_isa isas[] = {PIE_ISA_SCALAR, PIE_ISA_AESNI, PIE_ISA_AVX2, PIE_ISA_AVX512};
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        pie_isa used = PIE_ISA_AUTO;
        pie_mc_count_fn fn = NULL;
        pie_status st = pie__mc_select(isas[i], &used, &fn);
        checks++;
        if (st != pie_isa_check(isas[i]) || (st == PIE_OK && (used != isas[i] || !fn))) {
            failures++;
            fprintf(stderr, "FAIL dispatch of %s: status %d\n", pie_isa_name(isas[i]), (int)st);
        }
        if (st == PIE_OK && fn(99, 3, 1001) != pie__mc_count_scalar(99, 3, 1001)) {
            failures++;
            fprintf(stderr, "FAIL dispatched %s kernel disagrees with scalar\n",
                    pie_isa_name(isas[i]));
        }
    }
}

int main(void)
{
    const char *env = getenv("PIE_TEST_SEED");
    rng_state = env ? strtoull(env, NULL, 0) : UINT64_C(20261122);
    printf("test_mc_isa: PIE_TEST_SEED=%" PRIu64 ", CPU: %s\n", rng_state, pie_cpu_features());

    unsigned features = pie__cpu_features();
    for (const variant *v = all; v->name; v++) {
        if (pie_isa_check(v->isa) != PIE_OK || (features & v->extra) != v->extra) {
            printf("SKIP %s: this CPU lacks it\n", v->name);
            continue;
        }
        printf("testing %s against scalar\n", v->name);
        live[nlive++] = v;
    }
    check_dispatch();
    if (nlive == 0) {
        printf("SKIP: no vector variant is both built and supported by this CPU\n");
        return failures ? 1 : 77;
    }

    static const uint64_t seeds[] = {0,
                                     1,
                                     7,
                                     UINT64_C(0xFFFFFFFF),
                                     UINT64_C(0x100000000),
                                     UINT64_C(0xFFFFFFFFFFFFFFFF),
                                     UINT64_C(0x9E3779B97F4A7C15)};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++)
        for (uint64_t first = 0; first < 72; first++)
            for (uint64_t count = 0; count < 300; count++)
                check(seeds[s], first, count);

    /* Block counter crossing 2^32 (the high counter word), and near 2^63. */
    const uint64_t carry = UINT64_C(1) << 33, top = UINT64_C(1) << 63;
    for (uint64_t d = 0; d < 70; d += 3) {
        check(42, carry - d, 2 * d + 1);
        check(42, carry - 500 - d, 1000 + d);
        check(5, top - 2000 - d, 2000);
    }
    /* Around the unrolled-loop and vector sizes, with odd and even starts. */
    for (uint64_t n = 1; n <= 4096; n *= 2)
        for (int64_t e = -3; e <= 3; e++)
            for (uint64_t first = 0; first < 4; first++)
                check(rnd(), first + (rnd() & 0xFFFFFF), (uint64_t)((int64_t)n * 64 + e));
    /* Across a chunk boundary, as the engine cuts them. */
    check(3, PIE_MC_CHUNK_SAMPLES - 12345, 2 * 12345 + 1);
    check(rnd(), 5 * PIE_MC_CHUNK_SAMPLES - 1, PIE_MC_CHUNK_SAMPLES + 3);
    /* Random ranges. */
    for (int i = 0; i < 300; i++) {
        uint64_t seed = rnd(), first = rnd() >> (rnd() & 63), count = rnd() % 30000;
        if (first > top - count)
            first = top - count;
        check(seed, first, count);
    }

    printf("%lu comparisons, %lu failures\n", checks, failures);
    return failures ? 1 : 0;
}
