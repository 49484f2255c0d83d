/** @brief The fraction-to-decimal conversion (radix_frac.c) against GMP's exact digits: random
 * and crafted fractions, intervals, 1-3 threads, undecided digits caught. */
#include "chudnovsky.h"
#include "radix.h"
#include "radix_frac.h"
#include "pie_kernel.h"
#include "test_util.h"

#include <gmp.h>
#include <stdlib.h>
#include <string.h>

static gmp_randstate_t rs;

/* floor(v 10^k / 2^m) as k digits (v 10^k / 2^m < 10^k), NUL-terminated. */
static char *exact(const mpz_t v, uint64_t m, uint64_t k)
{
    mpz_t y;
    mpz_init(y);
    mpz_ui_pow_ui(y, 10, k);
    mpz_mul(y, y, v);
    mpz_fdiv_q_2exp(y, y, m);
    char *s = malloc(k + 1), *t = malloc(mpz_sizeinbase(y, 10) + 2);
    mpz_get_str(t, 10, y);
    size_t len = mpz_sgn(y) ? strlen(t) : 0;
    memset(s, '0', k - len);
    memcpy(s + (k - len), t, len);
    s[k] = 0;
    free(t);
    mpz_clear(y);
    return s;
}

/* Converts [f, f + e] / 2^m to k digits on `threads` threads; returns the
 * status, the digits in *out (malloc'd, NUL-terminated) when PIE_K_OK. */
static int convert(const mpz_t f, uint64_t m, uint64_t e, uint64_t k, unsigned threads, char **out)
{
    pie__pow5_set *p = pie__pow5_set_new(k, NULL, 0, threads);
    CHECKF(p != NULL, "powers for %llu digits", (unsigned long long)k);
    pie__frac x = {.m = m, .e = e, .ndigits = k};
    mpz_init_set(x.f, f);
    char *s = malloc(k + 1);
    memset(s, '#', k);
    s[k] = 0;
    int rc = pie__radix_frac_text(&x, p, threads, s, NULL);
    pie__pow5_set_free(p);
    *out = s;
    return rc;
}

/* Random fractions: the digits are GMP's; with an interval, decided only
 * when both ends give the same digits. */
static void check_random(uint64_t k, uint64_t guard, uint64_t e, unsigned threads)
{
    uint64_t m = (k * 33219281 + 9999999) / 10000000 + guard;
    mpz_t f, top;
    mpz_inits(f, top, NULL);
    mpz_urandomb(f, rs, m);
    char *got = NULL, *want = exact(f, m, k);
    int rc = convert(f, m, e, k, threads, &got);
    mpz_add_ui(top, f, e);
    char *want_top = exact(top, m, k);
    int same = strcmp(want, want_top) == 0;
    CHECKF(rc == PIE_K_OK || (rc == PIE_RADIX_AMBIGUOUS && (!same || e > 0)),
           "k %llu guard %llu e %llu threads %u: rc %d", (unsigned long long)k,
           (unsigned long long)guard, (unsigned long long)e, threads, rc);
    CHECKF(rc != PIE_K_OK || (same && strcmp(got, want) == 0),
           "k %llu guard %llu e %llu threads %u: wrong digits", (unsigned long long)k,
           (unsigned long long)guard, (unsigned long long)e, threads);
    free(got);
    free(want);
    free(want_top);
    mpz_clears(f, top, NULL);
}

/* A fraction whose digits hold a run of `len` copies of `d` starting at
 * `at` (the run straddles the conversion's split points when it covers
 * them): t = N / 10^k + 2^-m, N the digits. Exact (e = 0): the digits are
 * N's, whatever the run; the conversion must give them or say it cannot. */
static void check_run(uint64_t k, uint64_t at, uint64_t len, char d, unsigned threads,
                      int want_undecided)
{
    char *digits = malloc(k + 1);
    for (uint64_t i = 0; i < k; i++)
        digits[i] = (char)('0' + test_rand() % 10);
    digits[0] = '1';
    for (uint64_t i = at; i < at + len && i < k; i++)
        digits[i] = d;
    digits[k] = 0;
    uint64_t m = (k * 33219281 + 9999999) / 10000000 + 64;
    mpz_t f, p;
    mpz_inits(f, p, NULL);
    mpz_set_str(f, digits, 10);
    mpz_mul_2exp(f, f, m);
    mpz_ui_pow_ui(p, 10, k);
    mpz_cdiv_q(f, f, p); /* f / 2^m just above N / 10^k */
    if (d == '9')
        mpz_sub_ui(f, f, 1); /* just below: the run of 9s is then real */
    char *want = exact(f, m, k), *got = NULL;
    int rc = convert(f, m, 0, k, threads, &got);
    CHECKF(rc == PIE_K_OK || rc == PIE_RADIX_AMBIGUOUS, "run of %c at %llu: rc %d", d,
           (unsigned long long)at, rc);
    CHECKF(rc != PIE_K_OK || strcmp(got, want) == 0, "run of %c at %llu: wrong digits", d,
           (unsigned long long)at);
    if (want_undecided)
        CHECKF(rc == PIE_RADIX_AMBIGUOUS, "run of %llu %c at %llu (k %llu) not caught: rc %d",
               (unsigned long long)len, d, (unsigned long long)at, (unsigned long long)k, rc);
    free(want);
    free(got);
    free(digits);
    mpz_clears(f, p, NULL);
}

/* Chudnovsky's conversion of a value whose fraction the products leave
 * undecided (40 9s across the first split): pie__chud_format falls back to
 * converting Y by division, and the text is still Y's. */
static void check_fallback(void)
{
    pie__chud_job job;
    CHECK(pie__chud_job_init(&job, 100001, 10, 32) == PIE_K_OK);
    const uint64_t D = job.digits, W = job.prec;
    char *digits = malloc(D + 2);
    digits[0] = '3';
    for (uint64_t i = 1; i <= D; i++)
        digits[i] = (char)('0' + test_rand() % 10);
    memset(digits + 1 + (D - D / 2) - 20, '9', 40);
    digits[D + 1] = 0;
    mpz_t x, y, p, t;
    mpz_inits(x, y, p, t, NULL);
    mpz_set_str(x, digits, 10); /* 3 and the digits: floor(pi' 10^D) */
    mpz_set(y, x);
    mpz_mul_2exp(x, x, W);
    mpz_ui_pow_ui(p, 10, D);
    mpz_cdiv_q(x, x, p);
    mpz_add_ui(x, x, 3); /* v = X - 3 just above Y / 10^D */
    mpz_sub_ui(t, x, 3);
    mpz_fdiv_r_2exp(t, t, W);
    char *direct = NULL;
    CHECKF(convert(t, W, 0, D, 2, &direct) == PIE_RADIX_AMBIGUOUS,
           "the crafted value should leave the products undecided");
    free(direct);
    char *text = NULL;
    pie__par par = pie__par_threads(2);
    int rc = pie__chud_format(&job, x, y, &par, NULL, &text, NULL); /* consumes y */
    CHECKF(rc == PIE_K_OK, "format: rc %d", rc);
    CHECKF(rc != PIE_K_OK ||
               (text[0] == '3' && text[1] == '.' && strcmp(text + 2, digits + 1) == 0),
           "the fallback's digits differ");
    free(text);
    free(digits);
    mpz_clears(x, p, t, NULL);
}

int main(void)
{
    test_begin("test_radix_frac");
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, (unsigned long)test_rand());
    /* Leaves alone (up to 2000 digits), one split, several levels; the
     * guard of a Chudnovsky run (34 bits) and more; intervals. */
    static const uint64_t sizes[] = {1, 2, 19, 1999, 2000, 2001, 4001, 9999, 65537, 300001};
    for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (unsigned threads = 1; threads <= 3; threads++) {
            check_random(sizes[i], 34, 0, threads);
            check_random(sizes[i], 64, threads == 2 ? 6 : 1, threads);
        }
    /* Narrow guards with wide intervals: some undecided, never wrong. */
    for (int r = 0; r < 200; r++)
        check_random(1 + test_rand() % 5000, 1 + test_rand() % 8, 1 + test_rand() % 100,
                     1 + (unsigned)(r % 2));
    /* Runs of 9s and 0s: across the first split (k1 = 50001 of 100001
     * digits) and the next, inside a leaf, at the very end. Across a split,
     * 40 digits of 9s (133 bits) outrun the 64 guard bits: undecided, not
     * wrong. */
    check_run(100001, 50001 - 20, 40, '9', 2, 1);
    check_run(100001, 50001 - 20, 40, '9', 1, 1);
    check_run(100001, 50001 - 20, 40, '0', 2, 0);
    check_run(100001, 50001 - 5, 10, '9', 2, 0);
    check_run(100001, 25001 - 20, 40, '9', 1, 1); /* the next split, 25001 of 50001 */
    check_run(100001, 777, 40, '9', 1, 0);        /* inside a leaf */
    check_run(100001, 100001 - 30, 30, '9', 2, 0);
    check_fallback();
    /* Bad input: f beyond 2^m. */
    mpz_t f;
    mpz_init_set_ui(f, 1);
    mpz_mul_2exp(f, f, 500);
    char *got = NULL;
    CHECK(convert(f, 400, 0, 100, 1, &got) == PIE_K_EINVAL);
    free(got);
    CHECK(convert(f, 400, 0, 30000, 2, &got) == PIE_K_EINVAL);
    free(got);
    mpz_clear(f);
    gmp_randclear(rs);
    return test_finish();
}
