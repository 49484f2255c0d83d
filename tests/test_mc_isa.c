/** @brief Each built MC kernel variant the CPU supports returns exactly the scalar count. */
#include "cpu.h"
#include "mc_kernel.h"
#include "test_util.h"
#include "variant.h"

/*
 * Ranges cover: every (first, count) with first < 72 and count < 300 (odd and
 * even starts and ends, counts below and across one vector and one unrolled
 * iteration), ranges across the 2^32-block counter carry, near 2^63, across a
 * chunk boundary, and random ones. Seeds include 0, all-ones and values that
 * set the high key word. Random choices come from PIE_TEST_SEED (printed).
 * The variants are the rows of the Monte Carlo variant table (engine/
 * mc_variants.c): every row built and runnable here except the scalar one.
 * Exit 77 (ctest: skipped) when the CPU supports no vector variant.
 */

typedef struct variant {
    char name[48];
    pie_mc_count_fn fn;
} variant;

static variant live[8];
static size_t nlive;
static unsigned long mismatches;

static void check(uint64_t seed, uint64_t first, uint64_t count)
{
    uint64_t want = pie__mc_count_scalar(seed, first, count);
    for (size_t i = 0; i < nlive; i++) {
        uint64_t got = live[i].fn(seed, first, count);
        /* Every mismatch is counted; the first 20 are printed. */
        if (got != want)
            mismatches++;
        if (got != want && mismatches <= 20)
            CHECKF(got == want,
                   "%s: seed %" PRIu64 " first %" PRIu64 " count %" PRIu64 ": %" PRIu64
                   " != scalar %" PRIu64,
                   live[i].name, seed, first, count, got, want);
    }
}

/* The picker hands out these same functions and refuses what the CPU lacks. */
static void check_dispatch(void)
{
    static const pie_isa isas[] = {PIE_ISA_SCALAR, PIE_ISA_AESNI, PIE_ISA_AVX2, PIE_ISA_AVX512};
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        const pie__variant *v = pie__variant_pick(&pie__mc_variants, isas[i], NULL);
        pie_status st = v ? PIE_OK : PIE_EUNSUPPORTED;
        CHECKF(st == pie_isa_check(PIE_WORKLOAD_MC, isas[i]) &&
                   (!v || (v->isa == isas[i] && v->fn)),
               "dispatch of %s: status %d", pie_isa_name(isas[i]), (int)st);
        if (v) {
            pie_mc_count_fn fn = (pie_mc_count_fn)v->fn;
            CHECKF(fn(99, 3, 1001) == pie__mc_count_scalar(99, 3, 1001),
                   "dispatched %s kernel disagrees with scalar", pie_isa_name(isas[i]));
        }
    }
    /* Auto picks the best variant, which is what pie_isa_best names. */
    const pie__variant *best = pie__variant_pick(&pie__mc_variants, PIE_ISA_AUTO, NULL);
    CHECK(best && best->isa == pie_isa_best(PIE_WORKLOAD_MC));
}

int main(void)
{
    test_begin("test_mc_isa");
    printf("CPU: %s\n", pie_cpu_features());

    unsigned features = pie__cpu_features();
    for (size_t r = 0; r < pie__mc_variants.n; r++) {
        const pie__variant *v = &pie__mc_variants.rows[r];
        if (v->isa == PIE_ISA_SCALAR)
            continue;
        const char *width = "";
        if (v->isa == PIE_ISA_AVX2)
            width = (v->needs & PIE_CPU_VAES) ? " (VAES 256)" : " (AES-NI 128)";
        char name[48];
        snprintf(name, sizeof name, "%s%s", pie_isa_name(v->isa), width);
        if (!v->fn || (features & v->needs) != v->needs) {
            printf("SKIP %s: %s\n", name, v->fn ? "this CPU lacks it" : "not in this build");
            continue;
        }
        printf("testing %s against scalar\n", name);
        snprintf(live[nlive].name, sizeof live[nlive].name, "%s", name);
        live[nlive++].fn = (pie_mc_count_fn)v->fn;
    }
    check_dispatch();
    if (nlive == 0) {
        printf("SKIP: no vector variant is both built and supported by this CPU\n");
        return test_failures() ? 1 : 77;
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
                check(test_rand(), first + (test_rand() & 0xFFFFFF),
                      (uint64_t)((int64_t)n * 64 + e));
    /* Across a chunk boundary, as the engine cuts them. */
    check(3, PIE_MC_CHUNK_SAMPLES - 12345, 2 * 12345 + 1);
    check(test_rand(), 5 * PIE_MC_CHUNK_SAMPLES - 1, PIE_MC_CHUNK_SAMPLES + 3);
    /* Random ranges. */
    for (int i = 0; i < 300; i++) {
        uint64_t seed = test_rand(), first = test_rand() >> (test_rand() & 63),
                 count = test_rand() % 30000;
        if (first > top - count)
            first = top - count;
        check(seed, first, count);
    }

    CHECKF(mismatches == 0, "%lu mismatches with scalar", mismatches);
    return test_finish();
}
