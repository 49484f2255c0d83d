/** @brief The Chudnovsky factor lists: the sieve's terms and ranges against P and Q multiplied out;
 * list products and gcds against GMP. */
#include "chud_factor.h"
#include "pie_kernel.h"
#include "test_util.h"

#include <gmp.h>
#include <stdlib.h>

/* The integer a list stands for. */
static void value(mpz_t v, const pie__fac *f)
{
    mpz_t t;
    mpz_init(t);
    mpz_set_ui(v, 1);
    for (size_t i = 0; i < f->n; i++) {
        mpz_ui_pow_ui(t, f->v[i].p, f->v[i].e);
        mpz_mul(v, v, t);
    }
    mpz_clear(t);
}

/* Sorted by prime, primes odd and distinct, exponents positive. */
static int well_formed(const pie__fac *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].p < 3 || !(f->v[i].p & 1) || f->v[i].e == 0 ||
            (i && f->v[i].p <= f->v[i - 1].p))
            return 0;
    return 1;
}

/* P(a, b) = prod p(k) and the odd part of Q(a, b) = prod k^3 640320^3/24
 * (term 0 counts 1), multiplied out. */
static void direct(mpz_t P, mpz_t Q, uint64_t a, uint64_t b)
{
    mpz_set_ui(P, 1);
    mpz_set_ui(Q, 1);
    for (uint64_t k = a ? a : 1; k < b; k++) {
        mpz_mul_ui(P, P, 6 * k - 5);
        mpz_mul_ui(P, P, 2 * k - 1);
        mpz_mul_ui(P, P, 6 * k - 1);
        for (int i = 0; i < 3; i++)
            mpz_mul_ui(Q, Q, k);
        mpz_mul_ui(Q, Q, 333833583375UL); /* 640320^3 / 24 / 2^15 */
    }
    mpz_tdiv_q_2exp(Q, Q, mpz_scan1(Q, 0));
}

/* Whether some place of the prime p in q(m) (m^3 and the constant) exists;
 * in p(m) = (6m-5)(2m-1)(6m-1). */
static int in_q(uint64_t m, uint32_t p)
{
    return m % p == 0 || p == 3 || p == 5 || p == 23 || p == 29;
}

static int in_p(uint64_t m, uint32_t p)
{
    return (6 * m - 5) % p == 0 || (2 * m - 1) % p == 0 || (6 * m - 1) % p == 0;
}

/* The constant's exponent of p in 640320^3 / 24 / 2^15 = 3^2 5^3 23^3 29^3. */
static uint32_t const_exp(uint32_t p)
{
    return p == 3 ? 2 : p == 5 || p == 23 || p == 29 ? 3 : 0;
}

/* Term k's lists less the places no merge inside the sieve's range
 * [lo, hi) can remove (chud_factor.h), by search: of a prime above lim,
 * p(k)'s place stays when a later q(m) of the range holds the prime, k^3's
 * when an earlier p(m) does. */
static void prune(pie__fac *tp, pie__fac *tq, uint64_t k, uint64_t lo, uint64_t hi, uint64_t lim)
{
    size_t n = 0;
    for (size_t i = 0; i < tp->n; i++) {
        uint32_t p = tp->v[i].p;
        int keep = p <= lim;
        for (uint64_t m = k + 1; !keep && m < hi; m++)
            keep = in_q(m, p);
        if (keep)
            tp->v[n++] = tp->v[i];
    }
    tp->n = n;
    n = 0;
    for (size_t i = 0; i < tq->n; i++) {
        pie__pe v = tq->v[i];
        if (v.p > lim) {
            int keep = 0;
            for (uint64_t m = lo ? lo : 1; !keep && m < k; m++)
                keep = in_p(m, v.p);
            if (!keep)
                v.e = const_exp(v.p); /* k's place goes, the constant's stays */
        }
        if (v.e)
            tq->v[n++] = v;
    }
    tq->n = n;
}

/* *acc = *acc * f (lists). */
static void times(pie__fac *acc, const pie__fac *f)
{
    pie__fac x = {0};
    CHECK(pie__fac_mul(&x, acc, f) == 0);
    pie__fac_clear(acc);
    *acc = x;
}

static int same_list(const pie__fac *x, const pie__fac *y)
{
    int same = x->n == y->n;
    for (size_t i = 0; same && i < x->n; i++)
        same = x->v[i].p == y->v[i].p && x->v[i].e == y->v[i].e;
    return same;
}

/* The lists of [a, b) from pie__chud_sieve_range (sieve s over [lo, hi),
 * asked in order), and from the terms one by one (a second sieve t),
 * pruned as above, multiplied with pie__fac_mul: both well formed and
 * equal, dividing P and Q; the terms' lists unpruned multiply to P and Q. */
static void check_range(pie__chud_sieve *s, pie__chud_sieve *t, uint64_t lo, uint64_t hi,
                        uint64_t a, uint64_t b)
{
    pie__fac fp = {0}, fq = {0}, tp = {0}, tq = {0}, ap = {0}, aq = {0}, up = {0}, uq = {0};
    CHECKF(pie__chud_sieve_range(s, a, b, &fp, &fq) == 0, "range [%llu, %llu)",
           (unsigned long long)a, (unsigned long long)b);
    const uint64_t lim = pie__chud_sieve_limit(s);
    for (uint64_t k = a ? a : 1; k < b; k++) {
        CHECK(pie__chud_sieve_term(t, k, &tp, &tq) == 0);
        times(&up, &tp);
        times(&uq, &tq);
        prune(&tp, &tq, k, lo, hi, lim);
        times(&ap, &tp);
        times(&aq, &tq);
    }
    int same = same_list(&fp, &ap) && same_list(&fq, &aq);
    mpz_t P, Q, vp, vq;
    mpz_inits(P, Q, vp, vq, NULL);
    direct(P, Q, a, b);
    value(vp, &up);
    value(vq, &uq);
    int whole = mpz_cmp(vp, P) == 0 && mpz_cmp(vq, Q) == 0;
    value(vp, &fp);
    value(vq, &fq);
    CHECKF(well_formed(&fp) && well_formed(&fq) && same && whole && mpz_divisible_p(P, vp) &&
               mpz_divisible_p(Q, vq),
           "[%llu, %llu): well formed %d %d, as the terms' product %d, terms' P and Q %d, "
           "dividing P %d, Q %d",
           (unsigned long long)a, (unsigned long long)b, well_formed(&fp), well_formed(&fq), same,
           whole, mpz_divisible_p(P, vp) != 0, mpz_divisible_p(Q, vq) != 0);
    mpz_clears(P, Q, vp, vq, NULL);
    pie__fac_clear(&fp);
    pie__fac_clear(&fq);
    pie__fac_clear(&tp);
    pie__fac_clear(&tq);
    pie__fac_clear(&ap);
    pie__fac_clear(&aq);
    pie__fac_clear(&up);
    pie__fac_clear(&uq);
}

/* Ranges in order through [lo, hi), of the given sizes in turn. */
static void check_ranges(uint64_t lo, uint64_t hi, const unsigned *sizes, unsigned nsizes)
{
    pie__chud_sieve *s = pie__chud_sieve_new(lo, hi), *t = pie__chud_sieve_new(lo, hi);
    CHECK(s && t);
    for (uint64_t a = lo, i = 0; s && t && a < hi; i++) {
        uint64_t b = a + sizes[i % nsizes];
        if (b > hi)
            b = hi;
        check_range(s, t, lo, hi, a, b);
        a = b;
    }
    pie__chud_sieve_free(s);
    pie__chud_sieve_free(t);
}

/* A random list over odd primes below 200. */
static void random_list(pie__fac *f)
{
    static const uint32_t primes[] = {3,  5,  7,   11,  13,  17,  19,  23,  29,  31,  37,
                                      41, 43, 47,  53,  59,  61,  67,  71,  73,  79,  83,
                                      89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139};
    f->n = 0;
    f->v = malloc(sizeof primes / sizeof *primes * sizeof *f->v);
    f->cap = sizeof primes / sizeof *primes;
    for (size_t i = 0; i < f->cap; i++)
        if (test_rand() % 3 == 0)
            f->v[f->n++] = (pie__pe){primes[i], 1 + (uint32_t)(test_rand() % 5)};
}

/* pie__fac_mul and pie__fac_remove_gcd against GMP's products and gcd. */
static void check_lists(void)
{
    for (int r = 0; r < 200; r++) {
        pie__fac x, y, z = {0};
        random_list(&x);
        random_list(&y);
        mpz_t vx, vy, vz, g, want;
        mpz_inits(vx, vy, vz, g, want, NULL);
        value(vx, &x);
        value(vy, &y);
        CHECK(pie__fac_mul(&z, &x, &y) == 0);
        value(vz, &z);
        mpz_mul(want, vx, vy);
        CHECKF(well_formed(&z) && mpz_cmp(vz, want) == 0, "list product %d", r);
        mpz_gcd(want, vx, vy);
        CHECK(pie__fac_remove_gcd(&x, &y, g) == 0);
        CHECKF(mpz_cmp(g, want) == 0, "gcd %d", r);
        mpz_divexact(vx, vx, g);
        mpz_divexact(vy, vy, g);
        value(vz, &x);
        CHECKF(well_formed(&x) && mpz_cmp(vz, vx) == 0, "x / gcd %d", r);
        value(vz, &y);
        CHECKF(well_formed(&y) && mpz_cmp(vz, vy) == 0, "y / gcd %d", r);
        mpz_gcd(g, vx, vy);
        CHECKF(mpz_cmp_ui(g, 1) == 0, "coprime after the removal %d", r);
        mpz_clears(vx, vy, vz, g, want, NULL);
        pie__fac_clear(&x);
        pie__fac_clear(&y);
        pie__fac_clear(&z);
    }
}

int main(void)
{
    test_begin("test_chud_factor");
    /* The sizes pie__chud_split asks for (16..31 terms) and others; from
     * term 0, across the sieve's blocks of 512 terms, and far out (large
     * cofactors, primes of k above the sieve's limit). */
    static const unsigned sizes[] = {16, 17, 31, 1, 2, 23, 30, 5, 64};
    check_ranges(0, 1400, sizes, sizeof sizes / sizeof *sizes);
    /* Sieves of few terms: the constant's primes 5, 23, 29 above the
     * sieve's limit, and k's primes equal to them. */
    static const unsigned few[] = {16, 17, 1, 31, 2};
    for (uint64_t hi = 1; hi < 200; hi += hi < 40 ? 1 : 13)
        check_ranges(0, hi, few, sizeof few / sizeof *few);
    check_ranges(25, 140, few, sizeof few / sizeof *few);
    check_ranges(70000, 71200, sizes, sizeof sizes / sizeof *sizes);
    check_ranges(3000000, 3000700, sizes, sizeof sizes / sizeof *sizes);
    /* Out of order: refused. */
    pie__chud_sieve *s = pie__chud_sieve_new(100, 2000);
    pie__fac fp = {0}, fq = {0};
    CHECK(s && pie__chud_sieve_range(s, 1000, 1020, &fp, &fq) == 0);
    CHECK(pie__chud_sieve_range(s, 200, 220, &fp, &fq) != 0);
    CHECK(pie__chud_sieve_range(s, 1990, 2001, &fp, &fq) != 0);
    pie__fac_clear(&fp);
    pie__fac_clear(&fq);
    pie__chud_sieve_free(s);
    check_lists();
    return test_finish();
}
