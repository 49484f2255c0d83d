/** @brief Products split in two halves (par_crt.c) and pie__par_mul_n against mpz_mul: random
 * and adversarial operands, balanced and not, signs, 1-4 threads. */
#include "par_crt.h"
#include "par_gmp.h"
#include "pie_kernel.h"
#include "test_util.h"

#include <gmp.h>
#include <stdio.h>
#include <string.h>

static gmp_randstate_t rs;

/* Limbs [0, n) of x set from kind: random, all ones, the low half equal
 * to the high half, a lone top limb, or small limbs (the halves' folds
 * then never carry). */
enum { RANDOM, ONES, HALVES, TOP, SMALL, KINDS };

static void fill(mpz_t x, mp_size_t n, int kind)
{
    mp_limb_t *l = mpz_limbs_write(x, n);
    mpz_t r;
    mpz_init(r);
    mpz_urandomb(r, rs, (mp_bitcnt_t)n * GMP_NUMB_BITS);
    memset(l, 0, (size_t)n * sizeof *l);
    memcpy(l, mpz_limbs_read(r), mpz_size(r) * sizeof *l);
    mpz_clear(r);
    for (mp_size_t i = 0; i < n; i++) {
        if (kind == ONES)
            l[i] = ~(mp_limb_t)0;
        else if (kind == HALVES && i >= n / 2)
            l[i] = l[i - n / 2];
        else if (kind == TOP)
            l[i] = 0;
        else if (kind == SMALL)
            l[i] &= 0xffff;
    }
    l[n - 1] |= (mp_limb_t)1 << 63; /* exactly n limbs */
    mpz_limbs_finish(x, n);
}

/* The split's half length for an x bn limbs, or 0 when it does not split. */
static mp_size_t half_of(mp_size_t an, mp_size_t bn)
{
    mpz_t a, b, r;
    mpz_inits(a, b, r, NULL);
    fill(a, an, RANDOM);
    fill(b, bn, RANDOM);
    pie__crt_mul c;
    int rc = pie__crt_start(&c, r, mpz_limbs_read(a), an, mpz_limbs_read(b), bn);
    mp_size_t n = rc == 0 ? c.n : 0;
    if (rc == 0)
        pie__crt_cancel(&c, r);
    mpz_clears(a, b, r, NULL);
    return n;
}

static int split_count;

/* The split product of |a| and |b| (the halves in either order) equals
 * mpz_mul's, with the sign asked for. */
static void check_split(const char *what, const mpz_t a, const mpz_t b, int order)
{
    mpz_t want, got;
    mpz_inits(want, got, NULL);
    mpz_mul(want, a, b);
    mpz_abs(want, want);
    mpz_set_ui(got, 7); /* a stale value must not leak through */
    pie__crt_mul c;
    int rc = pie__crt_start(&c, got, mpz_limbs_read(a), (mp_size_t)mpz_size(a), mpz_limbs_read(b),
                            (mp_size_t)mpz_size(b));
    CHECKF(rc >= 0, "%s: out of memory", what);
    if (rc == 0) {
        split_count++;
        if (order) {
            pie__crt_plus(&c);
            pie__crt_minus(&c);
        } else {
            pie__crt_minus(&c);
            pie__crt_plus(&c);
        }
        pie__crt_finish(&c, got, order);
        if (order)
            mpz_neg(got, got);
        CHECKF(mpz_cmp(got, want) == 0, "%s: %zu x %zu limbs: the split product differs", what,
               mpz_size(a), mpz_size(b));
    }
    mpz_clears(want, got, NULL);
}

/* Operands that put the halves at their edges: a product that is 0 modulo
 * B^n - 1 (its half is then 0 or B^n - 1) or modulo B^n + 1 (0), and
 * operands B^n - 1, B^n + 1 themselves. */
static void check_edges(mp_size_t n)
{
    mpz_t m1, p1, a, b;
    mpz_inits(m1, p1, a, b, NULL);
    mpz_setbit(m1, (mp_bitcnt_t)n * GMP_NUMB_BITS);
    mpz_add_ui(p1, m1, 1);
    mpz_sub_ui(m1, m1, 1);
    fill(b, n / 2, RANDOM);
    check_split("(B^n - 1) b", m1, b, 0);
    check_split("(B^n + 1) b", p1, b, 1);
    mpz_urandomb(a, rs, 40);
    mpz_add_ui(a, a, 3);
    mpz_mul(a, a, m1);
    check_split("(B^n - 1) r b", a, b, 0);
    mpz_urandomb(a, rs, 40);
    mpz_add_ui(a, a, 3);
    mpz_mul(a, a, p1);
    check_split("(B^n + 1) r b", a, b, 1);
    mpz_set(a, m1);
    mpz_set(b, m1);
    check_split("(B^n - 1)^2 / B-ish", a, b, 0);
    mpz_tdiv_q_2exp(b, m1, GMP_NUMB_BITS);
    check_split("(B^n - 1) (B^(n-1) - 1)", a, b, 1);
    mpz_clears(m1, p1, a, b, NULL);
}

/* The wrap-around product (pie__par_mul_mod) against mpz_mul reduced
 * modulo 2^N - 1, on 1 and 2 threads; counts the products that did wrap. */
static int wrapped;

static void check_mod(const char *what, const mpz_t a, const mpz_t b, uint64_t min_bits)
{
    mpz_t ref, got, mod;
    mpz_inits(ref, got, mod, NULL);
    for (unsigned threads = 1; threads <= 2; threads++) {
        uint64_t n = 1;
        int rc = pie__par_mul_mod(got, a, b, min_bits, threads, &n);
        CHECKF(rc == PIE_K_OK, "%s: rc %d", what, rc);
        mpz_mul(ref, a, b);
        if (n) {
            wrapped++;
            CHECKF(n >= min_bits && n % GMP_NUMB_BITS == 0 &&
                       n < mpz_sizeinbase(a, 2) + mpz_sizeinbase(b, 2) + GMP_NUMB_BITS,
                   "%s: length %llu for at least %llu", what, (unsigned long long)n,
                   (unsigned long long)min_bits);
            mpz_set_ui(mod, 1);
            mpz_mul_2exp(mod, mod, n);
            mpz_sub_ui(mod, mod, 1);
            mpz_mod(ref, ref, mod);
            /* 2^N - 1 may stand for 0 */
            if (mpz_cmp(got, mod) == 0)
                mpz_set_ui(got, 0);
        }
        CHECKF(mpz_cmp(got, ref) == 0, "%s (%zu x %zu limbs, at least %llu bits, %u threads)", what,
               mpz_size(a), mpz_size(b), (unsigned long long)min_bits, threads);
    }
    mpz_clears(ref, got, mod, NULL);
}

static const pie__par pars[5] = {
    {.threads = 1}, {.threads = 1}, {.threads = 2}, {.threads = 3}, {.threads = 4}};

/* pie__par_mul_n on 1-4 threads: the products equal mpz_mul's. */
static void check_batch(const char *what, mpz_t *a, mpz_t *b, unsigned n)
{
    mpz_t want[4], got[4];
    pie__par_mul m[4];
    for (unsigned i = 0; i < n; i++) {
        mpz_inits(want[i], got[i], NULL);
        mpz_mul(want[i], a[i], b[i]);
        m[i] = (pie__par_mul){got[i], a[i], b[i]};
    }
    for (unsigned t = 1; t <= 4; t++) {
        for (unsigned i = 0; i < n; i++)
            mpz_set_ui(got[i], 99);
        int rc = pie__par_mul_n(m, n, &pars[t]);
        CHECKF(rc == PIE_K_OK, "%s: rc %d", what, rc);
        for (unsigned i = 0; i < n; i++)
            CHECKF(mpz_cmp(got[i], want[i]) == 0,
                   "%s: product %u of %u (%zu x %zu limbs), %u threads: differs", what, i, n,
                   mpz_size(a[i]), mpz_size(b[i]), t);
    }
    for (unsigned i = 0; i < n; i++)
        mpz_clears(want[i], got[i], NULL);
}

int main(void)
{
    test_begin("test_par_mul");
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, (unsigned long)test_rand());
#ifdef PIE_EXPECT_GMP_CRT
    CHECKF(pie__crt_available(), "the build found GMP's functions but cannot split products");
#endif
    /* Split products against mpz_mul: sizes either side of the minimum,
     * balanced and up to 1:7, every kind of operand. */
    static const mp_size_t sizes[] = {PIE_CRT_MIN_LIMBS / 2 - 1,
                                      PIE_CRT_MIN_LIMBS / 2,
                                      PIE_CRT_MIN_LIMBS / 2 + 1,
                                      10000,
                                      25000,
                                      70001,
                                      150000};
    static const unsigned ratios[] = {1, 2, 3, 7};
    mpz_t a, b;
    mpz_inits(a, b, NULL);
    for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (unsigned j = 0; j < sizeof ratios / sizeof *ratios; j++)
            for (int ka = 0; ka < KINDS; ka++) {
                int kb = (ka + (int)i + (int)j) % KINDS;
                fill(a, sizes[i], ka);
                fill(b, sizes[i] / (mp_size_t)ratios[j] + 1, kb);
                check_split("kinds", a, b, ka & 1);
                check_split("kinds, swapped", b, a, kb & 1);
            }
    for (int r = 0; r < 40; r++) {
        mp_size_t an = 8000 + (mp_size_t)(test_rand() % 120000);
        mp_size_t bn = 1 + (mp_size_t)(test_rand() % (uint64_t)an);
        fill(a, an, RANDOM);
        fill(b, bn, RANDOM);
        check_split("random", a, b, r & 1);
    }
    /* Wrap-around products, as the radix conversion takes them (a by a
     * third of a, kept modulo a little over a), small and large, every
     * kind; and lengths that leave no room to wrap (the whole product). */
    static const mp_size_t mod_sizes[] = {40, 700, PIE_CRT_MIN_LIMBS, 30000, 120000};
    for (unsigned i = 0; i < sizeof mod_sizes / sizeof *mod_sizes; i++)
        for (int ka = 0; ka < KINDS; ka++) {
            fill(a, mod_sizes[i], ka);
            fill(b, mod_sizes[i] / 3 + 1, (ka + 1) % KINDS);
            uint64_t abits = mpz_sizeinbase(a, 2);
            check_mod("mod", a, b, abits + 8);
            check_mod("mod, swapped", b, a, abits + 100);
            check_mod("mod, no room", a, b, abits + mpz_sizeinbase(b, 2));
        }
#ifdef PIE_EXPECT_GMP_CRT
    CHECKF(wrapped > 0, "no product wrapped around");
#endif
    static const mp_size_t edge_sizes[] = {PIE_CRT_MIN_LIMBS, 40000, 100000};
    for (unsigned i = 0; i < sizeof edge_sizes / sizeof *edge_sizes; i++) {
        mp_size_t n = half_of(edge_sizes[i] / 2, edge_sizes[i] / 2);
        if (n)
            check_edges(n);
    }
    if (pie__crt_available())
        CHECKF(split_count >= 150, "only %d products split", split_count);
    else
        CHECKF(split_count == 0, "%d products split without GMP's functions", split_count);
    printf("test_par_mul: %d split products checked\n", split_count);

    /* pie__par_mul_n: one, two and three products, sliced and split, signs. */
    mpz_t xa[3], xb[3];
    for (int i = 0; i < 3; i++)
        mpz_inits(xa[i], xb[i], NULL);
    static const mp_size_t big[] = {3000, 5000, 7000, 40000, 130000};
    for (unsigned s = 0; s < sizeof big / sizeof *big; s++)
        for (unsigned n = 1; n <= 3; n++) {
            for (unsigned i = 0; i < n; i++) {
                fill(xa[i], big[s] / (i + 1), (int)(s + i) % KINDS);
                fill(xb[i], big[s] / (2 * i + 1 + s % 2), (int)(s + 2 * i) % KINDS);
                if ((s + i) & 1)
                    mpz_neg(xa[i], xa[i]);
                if (i == 1)
                    mpz_neg(xb[i], xb[i]);
            }
            check_batch("batch", xa, xb, n);
            /* Squares: a piece of a square is a slice of the operand times
             * all of it, both at the same address (mpz_mul would square). */
            check_batch("squares", xa, xa, n);
        }
    for (int i = 0; i < 3; i++)
        mpz_clears(xa[i], xb[i], NULL);
    mpz_clears(a, b, NULL);
    gmp_randclear(rs);
    return test_finish();
}
