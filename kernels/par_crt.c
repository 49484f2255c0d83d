/** @brief A large product as a*b mod B^n - 1 and a*b mod B^n + 1 on two threads, and their join.
 */
#include "par_crt.h"

#include <stdlib.h>
#include <string.h>

#ifdef PIE_HAVE_GMP_CRT

/* GMP's functions (mpn/generic/mulmod_bnm1.c and mul_fft.c), exported by
 * libgmp with these prototypes in GMP 6.2 (Debian 12's libgmp10), which
 * test_par_mul checks against mpz_mul. */
mp_size_t __gmpn_mulmod_bnm1_next_size(mp_size_t n);
void __gmpn_mulmod_bnm1(mp_ptr rp, mp_size_t rn, mp_srcptr ap, mp_size_t an, mp_srcptr bp,
                        mp_size_t bn, mp_ptr tp);
mp_limb_t __gmpn_mul_fft(mp_ptr op, mp_size_t pl, mp_srcptr n, mp_size_t nl, mp_srcptr m,
                         mp_size_t ml, int k);
int __gmpn_fft_best_k(mp_size_t n, int sqr);
mp_size_t __gmpn_fft_next_size(mp_size_t pl, int k);

/* mpn_mul_fft's smallest transform (GMP's FFT_FIRST_K). */
#define FFT_FIRST_K 4

int pie__crt_available(void)
{
    return 1;
}

/* Limbs of mpn_mulmod_bnm1's scratch for length n: its bound
 * 2n + 2 log2(n) + 2, with room to spare. */
static mp_size_t minus_itch(mp_size_t n)
{
    return 2 * n + 2 * 64 + 16;
}

/* The split for a wrap-around length of rn limbs (see pie__crt_start). */
static int start_rn(pie__crt_mul *c, mpz_ptr rop, mp_srcptr a, mp_size_t an, mp_srcptr b,
                    mp_size_t bn, mp_size_t rn)
{
    if (rn & 1)
        return 1;
    mp_size_t n = rn / 2;
    int k = __gmpn_fft_best_k(n, 0);
    while (k > 0 && (n & (((mp_size_t)1 << k) - 1)))
        k--;
    if (k < FFT_FIRST_K || __gmpn_fft_next_size(n, k) != n || an > 2 * n - 1 || bn > n)
        return 1;
    /* The minus half: a folded to n limbs (when longer), then GMP's
     * scratch; the plus half: a folded to n + 1 limbs (when longer), and
     * its result. */
    const size_t fold = an > n ? (size_t)n + 1 : 0;
    size_t limbs = fold + (size_t)minus_itch(n) + fold + (size_t)n + 1;
    c->block = malloc(limbs * sizeof(mp_limb_t));
    if (!c->block)
        return -1;
    c->a = a;
    c->b = b;
    c->an = an;
    c->bn = bn;
    c->n = n;
    c->k = k;
    c->minus_scratch = c->block;
    c->plus_scratch = c->minus_scratch + fold + minus_itch(n);
    c->xp = c->plus_scratch + fold;
    c->out = mpz_limbs_write(rop, rn);
    return 0;
}

/* a and b with the longer first. */
static void longer_first(mp_srcptr *a, mp_size_t *an, mp_srcptr *b, mp_size_t *bn)
{
    if (*an < *bn) {
        mp_srcptr t = *a;
        *a = *b;
        *b = t;
        mp_size_t s = *an;
        *an = *bn;
        *bn = s;
    }
}

int pie__crt_start(pie__crt_mul *c, mpz_ptr rop, mp_srcptr a, mp_size_t an, mp_srcptr b,
                   mp_size_t bn)
{
    memset(c, 0, sizeof *c);
    longer_first(&a, &an, &b, &bn);
    if (bn <= 0 || an + bn < PIE_CRT_MIN_LIMBS)
        return 1;
    return start_rn(c, rop, a, an, b, bn, __gmpn_mulmod_bnm1_next_size(an + bn));
}

/* GMP's length for a wrap-around product of at least rn_min limbs, when
 * shorter than the product (and at least as long as either operand);
 * else 0. */
static mp_size_t wrap_length(mp_size_t an, mp_size_t bn, mp_size_t rn_min)
{
    mp_size_t rn = __gmpn_mulmod_bnm1_next_size(rn_min > 0 ? rn_min : 1);
    return rn < an + bn && rn >= an ? rn : 0;
}

mp_size_t pie__crt_start_mod(pie__crt_mul *c, mpz_ptr rop, mp_srcptr a, mp_size_t an, mp_srcptr b,
                             mp_size_t bn, mp_size_t rn_min)
{
    memset(c, 0, sizeof *c);
    longer_first(&a, &an, &b, &bn);
    mp_size_t rn = bn > 0 ? wrap_length(an, bn, rn_min) : 0;
    if (rn == 0 || an + bn < PIE_CRT_MIN_LIMBS)
        return 0;
    int rc = start_rn(c, rop, a, an, b, bn, rn);
    return rc == 0 ? rn : rc < 0 ? -1 : 0;
}

mp_size_t pie__crt_mulmod(mpz_ptr rop, mp_srcptr a, mp_size_t an, mp_srcptr b, mp_size_t bn,
                          mp_size_t rn_min)
{
    longer_first(&a, &an, &b, &bn);
    mp_size_t rn = bn > 0 ? wrap_length(an, bn, rn_min) : 0;
    if (rn == 0)
        return 0;
    /* GMP's scratch bound for mpn_mulmod_bnm1: 2 rn + 4. */
    mp_limb_t *tp = malloc((2 * (size_t)rn + 8) * sizeof(mp_limb_t));
    if (!tp)
        return -1;
    mp_limb_t *rp = mpz_limbs_write(rop, rn);
    __gmpn_mulmod_bnm1(rp, rn, a, an, b, bn, tp);
    free(tp);
    mp_size_t n = rn;
    while (n > 0 && rp[n - 1] == 0)
        n--;
    mpz_limbs_finish(rop, n);
    return rn;
}

void pie__crt_minus(void *p)
{
    pie__crt_mul *c = p;
    const mp_size_t n = c->n;
    mp_srcptr a = c->a;
    mp_size_t an = c->an;
    if (an > n) { /* a mod B^n - 1: B^n = 1, the carry wraps to the bottom */
        mp_limb_t *f = c->minus_scratch;
        mp_limb_t cy = mpn_add(f, a, n, a + n, an - n);
        mpn_add_1(f, f, n, cy); /* a0 + a1 <= 2B^n - 2: no second carry */
        a = f;
        an = n;
    }
    /* bn <= n (start_rn checks it); GMP wants the longer first */
    mp_srcptr x = a, y = c->b;
    mp_size_t xn = an, yn = c->bn;
    if (xn < yn) {
        x = c->b;
        y = a;
        xn = c->bn;
        yn = an;
    }
    __gmpn_mulmod_bnm1(c->out, n, x, xn, y, yn, c->minus_scratch + (c->an > n ? n + 1 : 0));
}

void pie__crt_plus(void *p)
{
    pie__crt_mul *c = p;
    const mp_size_t n = c->n;
    mp_srcptr a = c->a;
    mp_size_t an = c->an;
    if (an > n) { /* a mod B^n + 1: B^n = -1, so a0 - a1, plus B^n + 1 if negative */
        mp_limb_t *f = c->plus_scratch;
        mp_limb_t bw = mpn_sub(f, a, n, a + n, an - n);
        f[n] = 0;
        if (bw) /* f holds a0 - a1 + B^n; B^n + 1 is one more */
            mpn_add_1(f, f, n + 1, 1);
        a = f;
        an = n + f[n];
    }
    c->xp[n] = __gmpn_mul_fft(c->xp, n, a, an, c->b, c->bn, c->k);
}

/*
 * The join. With xm = x mod (B^n - 1) (n limbs, 0 possibly written B^n - 1)
 * and xp = x mod (B^n + 1) (n + 1 limbs, at most B^n), the product
 * x < B^2n - 1 is
 *     x = y (B^n + 1) - xp B^n,   y = (xm + xp) / 2 mod (B^n - 1):
 * modulo B^n - 1 (B^n = 1) the right side is 2y - xp = xm, and modulo
 * B^n + 1 (B^n = -1) it is xp. Halving modulo B^n - 1 is a rotation by one
 * bit (2 * 2^(64n-1) = B^n = 1). The limbs are [y, y - xp]; when y - xp is
 * negative the wrap-around leaves B^2n too many and one too few, the
 * residue class modulo B^2n - 1 being what the formula fixes: subtracting
 * the borrow gives the representative below B^2n - 1, which is x.
 */
void pie__crt_finish(pie__crt_mul *c, mpz_ptr rop, int negative)
{
    const mp_size_t n = c->n;
    mp_limb_t *y = c->out, *hi = c->out + n, *xp = c->xp;
    mp_limb_t cy = mpn_add_n(y, y, xp, n) + xp[n]; /* xp[n] = 1 only when xp's low limbs are 0 */
    while (cy)                                     /* B^n = 1 */
        cy = mpn_add_1(y, y, n, cy);
    mp_limb_t odd = y[0] & 1;
    mpn_rshift(y, y, n, 1);
    y[n - 1] |= odd << (GMP_NUMB_BITS - 1);
    mp_limb_t bw = mpn_sub_n(hi, y, xp, n) + xp[n];
    if (bw)
        mpn_sub_1(c->out, c->out, 2 * n, bw);
    mpz_limbs_finish(rop, negative ? -2 * n : 2 * n);
    free(c->block);
    memset(c, 0, sizeof *c);
}

void pie__crt_cancel(pie__crt_mul *c, mpz_ptr rop)
{
    mpz_limbs_finish(rop, 0);
    free(c->block);
    memset(c, 0, sizeof *c);
}

#else /* no GMP internals: every product whole */

int pie__crt_available(void)
{
    return 0;
}

int pie__crt_start(pie__crt_mul *c, mpz_ptr rop, mp_srcptr a, mp_size_t an, mp_srcptr b,
                   mp_size_t bn)
{
    (void)rop, (void)a, (void)an, (void)b, (void)bn;
    memset(c, 0, sizeof *c);
    return 1;
}

mp_size_t pie__crt_start_mod(pie__crt_mul *c, mpz_ptr rop, mp_srcptr a, mp_size_t an, mp_srcptr b,
                             mp_size_t bn, mp_size_t rn_min)
{
    (void)rop, (void)a, (void)an, (void)b, (void)bn, (void)rn_min;
    memset(c, 0, sizeof *c);
    return 0;
}

mp_size_t pie__crt_mulmod(mpz_ptr rop, mp_srcptr a, mp_size_t an, mp_srcptr b, mp_size_t bn,
                          mp_size_t rn_min)
{
    (void)rop, (void)a, (void)an, (void)b, (void)bn, (void)rn_min;
    return 0;
}

void pie__crt_minus(void *c)
{
    (void)c;
}

void pie__crt_plus(void *c)
{
    (void)c;
}

void pie__crt_finish(pie__crt_mul *c, mpz_ptr rop, int negative)
{
    (void)c, (void)rop, (void)negative;
}

void pie__crt_cancel(pie__crt_mul *c, mpz_ptr rop)
{
    (void)c, (void)rop;
}

#endif
