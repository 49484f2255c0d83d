/** @brief pie__par_div_q against mpz_tdiv_q: random and adversarial operands, every path, 1-3
 * threads. */
#include "par_div.h"
#include "pie_kernel.h"
#include "test_util.h"

#include <gmp.h>

static gmp_randstate_t rs;

/* Small thresholds: the Newton path, several Newton steps and the base case
 * all run on operands of a few thousand bits. */
static const pie__par_div_tune small = {.min_bits = 1000, .recip_base_bits = 100};

/* Threads 1, 2, 3 for the products; "two" for the single checks. */
static const pie__par pars[4] = {{.threads = 1}, {.threads = 1}, {.threads = 2}, {.threads = 3}};
static const pie__par two = {.threads = 2};

static uint64_t bits(const mpz_t x)
{
    return mpz_sgn(x) ? mpz_sizeinbase(x, 2) : 0;
}

/* The contract: q = 2^k floor(a / (b 2^k)), k = max(0, bits(a) - bits(b) + 1 - prec),
 * the same bytes for 1, 2 and 3 threads. */
static void check(const char *what, const mpz_t a, const mpz_t b, uint64_t prec,
                  const pie__par_div_tune *tu)
{
    uint64_t na = bits(a), nb = bits(b);
    uint64_t n = na >= nb ? na - nb + 1 : 0, k = n > prec ? n - prec : 0;
    mpz_t want, q, q1;
    mpz_inits(want, q, q1, NULL);
    mpz_fdiv_q_2exp(want, a, (mp_bitcnt_t)k);
    mpz_tdiv_q(want, want, b);
    mpz_mul_2exp(want, want, (mp_bitcnt_t)k);
    for (unsigned threads = 1; threads <= 3; threads++) {
        mpz_set_ui(q, 12345); /* a stale value must not leak through */
        int rc = pie__par_div_q_tuned(q, a, b, prec, &pars[threads], tu);
        CHECKF(rc == PIE_K_OK, "%s: rc %d", what, rc);
        mpz_sub(q1, q, want);
        CHECKF(mpz_sgn(q1) == 0, "%s: bits(a) %llu bits(b) %llu prec %llu threads %u: off by %s%ld",
               what, (unsigned long long)na, (unsigned long long)nb, (unsigned long long)prec,
               threads, mpz_fits_slong_p(q1) ? "" : "(huge) ",
               mpz_fits_slong_p(q1) ? mpz_get_si(q1) : 0L);
    }
    mpz_clears(want, q, q1, NULL);
}

static void check_full(const char *what, const mpz_t a, const mpz_t b, const pie__par_div_tune *tu)
{
    check(what, a, b, UINT64_MAX, tu);
}

/* a = c b + r for r in {-1, 0, 1, b - 1}: the quotient at or next to an
 * integer, where the approximation cannot tell and the remainder decides. */
static void check_near_multiples(const mpz_t b, uint64_t qbits, const pie__par_div_tune *tu)
{
    mpz_t a, c;
    mpz_inits(a, c, NULL);
    mpz_urandomb(c, rs, (mp_bitcnt_t)qbits);
    mpz_setbit(c, (mp_bitcnt_t)qbits);
    mpz_mul(a, c, b);
    check_full("c b", a, b, tu);
    mpz_sub_ui(a, a, 1);
    check_full("c b - 1", a, b, tu);
    mpz_add_ui(a, a, 2);
    check_full("c b + 1", a, b, tu);
    mpz_add(a, a, b);
    mpz_sub_ui(a, a, 2);
    check_full("c b + b - 1", a, b, tu);
    mpz_clears(a, c, NULL);
}

static void check_random(uint64_t na, uint64_t nb, const pie__par_div_tune *tu)
{
    mpz_t a, b;
    mpz_inits(a, b, NULL);
    /* rrandomb: long runs of ones and zeros, the operands that carries hate. */
    if (test_rand() & 1) {
        mpz_urandomb(a, rs, (mp_bitcnt_t)na);
        mpz_urandomb(b, rs, (mp_bitcnt_t)nb);
    } else {
        mpz_rrandomb(a, rs, (mp_bitcnt_t)na);
        mpz_rrandomb(b, rs, (mp_bitcnt_t)nb);
    }
    mpz_setbit(a, (mp_bitcnt_t)(na - 1));
    mpz_setbit(b, (mp_bitcnt_t)(nb - 1));
    check_full("random", a, b, tu);
    /* a fewer leading quotient bits */
    check("random, prec", a, b, test_rand() % (na > nb ? na - nb + 2 : 2), tu);
    mpz_clears(a, b, NULL);
}

static void check_special_divisors(uint64_t nb, uint64_t qbits, const pie__par_div_tune *tu)
{
    mpz_t b;
    mpz_init(b);
    mpz_setbit(b, (mp_bitcnt_t)(nb - 1)); /* 2^(nb-1) */
    check_near_multiples(b, qbits, tu);
    mpz_set_ui(b, 0);
    mpz_setbit(b, (mp_bitcnt_t)nb);
    mpz_sub_ui(b, b, 1); /* 2^nb - 1: 1/b = 0.000..1000..1 */
    check_near_multiples(b, qbits, tu);
    mpz_add_ui(b, b, 2); /* 2^nb + 1 */
    check_near_multiples(b, qbits, tu);
    mpz_clear(b);
}

static void check_edges(void)
{
    mpz_t a, b, q;
    mpz_inits(a, b, q, NULL);
    mpz_set_ui(b, 7);
    CHECK(pie__par_div_q(q, a, b, 10, &two) == PIE_K_OK && mpz_sgn(q) == 0); /* a = 0 */
    mpz_set_si(a, -5);
    CHECK(pie__par_div_q(q, a, b, 10, &two) == PIE_K_EINVAL);
    mpz_set_ui(a, 5);
    mpz_set_ui(b, 0);
    CHECK(pie__par_div_q(q, a, b, 10, &two) == PIE_K_EINVAL);
    mpz_set_si(b, -3);
    CHECK(pie__par_div_q(q, a, b, 10, &two) == PIE_K_EINVAL);
    mpz_set_ui(b, 3);
    CHECK(pie__par_div_q(q, a, b, 0, &two) == PIE_K_OK && mpz_sgn(q) == 0); /* 2^2 floor(5/12) */
    /* q aliasing a, then b */
    mpz_urandomb(a, rs, 9000);
    mpz_urandomb(b, rs, 4000);
    mpz_setbit(b, 3999);
    mpz_tdiv_q(q, a, b);
    mpz_t a2;
    mpz_init_set(a2, a);
    CHECK(pie__par_div_q_tuned(a2, a2, b, UINT64_MAX, &two, &small) == PIE_K_OK &&
          mpz_cmp(a2, q) == 0);
    mpz_set(a2, b);
    CHECK(pie__par_div_q_tuned(a2, a, a2, UINT64_MAX, &two, &small) == PIE_K_OK &&
          mpz_cmp(a2, q) == 0);
    mpz_clears(a, b, q, a2, NULL);
}

int main(void)
{
    test_begin("test_par_div");
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, (unsigned long)test_rand());
    check_edges();
    /* Small thresholds: sizes straddling min_bits (1000) and the reciprocal's
     * base (100), quotient longer or shorter than the divisor, divisor far
     * longer than the quotient (the operands are truncated). */
    static const uint64_t nbs[] = {64, 999, 1000, 1001, 1500, 3000, 20000};
    static const uint64_t qbs[] = {1, 63, 64, 999, 1000, 1001, 2047, 5000, 30000};
    for (unsigned i = 0; i < sizeof nbs / sizeof *nbs; i++)
        for (unsigned j = 0; j < sizeof qbs / sizeof *qbs; j++) {
            for (int r = 0; r < 3; r++)
                check_random(nbs[i] + qbs[j] - 1, nbs[i], &small);
            check_special_divisors(nbs[i], qbs[j], &small);
        }
    for (int r = 0; r < 200; r++) {
        uint64_t nb = 900 + test_rand() % 20000, nq = 900 + test_rand() % 20000;
        check_random(nb + nq, nb, &small);
    }
    /* Megabit sizes, where the products are sliced across threads, with
     * thresholds 16 times below the default's (the default's own sizes,
     * 2^25 bits, would take too long here under sanitizers): either side of
     * them, and the same paths. */
    const pie__par_div_tune medium = {.min_bits = PIE_PAR_DIV_MIN_BITS / 16,
                                      .recip_base_bits = pie__par_div_default.recip_base_bits};
    const pie__par_div_tune *dflt = &medium;
    check_random(2 * medium.min_bits - 2, medium.min_bits - 1, dflt);
    check_random(2 * medium.min_bits, medium.min_bits, dflt);
    check_random(9000000, 4500000, dflt);
    check_random(6000000, 1000000, dflt);
    mpz_t b;
    mpz_init(b);
    mpz_urandomb(b, rs, 3000000);
    mpz_setbit(b, 2999999);
    check_near_multiples(b, 3000000, dflt);
    mpz_clear(b);
    check_special_divisors(2500000, 2500000, dflt);
    gmp_randclear(rs);
    return test_finish();
}
