/** @brief One large product as two independent halves, a*b mod B^n - 1 and a*b mod B^n + 1,
 * joined by the Chinese remainder theorem: GMP's own top split of its FFT product, so that two
 * threads share one product.
 */
#ifndef PIE_PAR_CRT_H
#define PIE_PAR_CRT_H

#include <gmp.h>

/*
 * GMP multiplies large operands (mpn_mul, above its FFT threshold) as
 * a*b mod (B^rn - 1) with rn >= an + bn, which it computes from
 * a*b mod (B^n - 1) and a*b mod (B^n + 1), n = rn/2, and a linear-time
 * recombination. Those two halves cost about the same and do not depend on
 * each other: here they run as two jobs. The functions are GMP's
 * (mpn_mulmod_bnm1, mpn_mul_fft and their size helpers): exported by
 * libgmp but declared only in its internal header; the build
 * checks that they link (PIE_HAVE_GMP_CRT), and without them every product
 * is GMP's whole mpz_mul.
 */

/* The state of one split product. */
typedef struct pie__crt_mul {
    mp_srcptr a, b; /* an >= bn > 0 limbs */
    mp_size_t an, bn;
    mp_size_t n;    /* half the wrap-around length rn = 2n >= an + bn */
    int k;          /* mpn_mul_fft's transform depth for the + half */
    mp_limb_t *out; /* 2n limbs: a*b mod B^n - 1 first, then the product */
    mp_limb_t *xp;  /* n + 1 limbs: a*b mod B^n + 1 */
    mp_limb_t *minus_scratch, *plus_scratch;
    void *block; /* the scratch, one allocation */
} pie__crt_mul;

/* 1 when this build can split products (PIE_HAVE_GMP_CRT), else 0. */
int pie__crt_available(void);

/* Sets c up for rop = {a, an} * {b, bn} (either order, no zero operand;
 * rop must not share limbs with a or b): rop gets room for the product and
 * the scratch is allocated. Returns 0, 1 when the product is too small or
 * its size does not split (multiply it whole), or -1 when out of memory. */
int pie__crt_start(pie__crt_mul *c, mpz_ptr rop, mp_srcptr a, mp_size_t an, mp_srcptr b,
                   mp_size_t bn);

/* As pie__crt_start, but for rop = a*b mod (B^rn - 1), the wrap-around
 * product, for GMP's next length rn >= rn_min when that is shorter than
 * the product and no shorter than either operand (rn >= an, bn; then
 * at most n = rn/2 limbs for the shorter one). Returns rn, 0 when the
 * product does not split that way (too small, or no such length), or -1
 * when out of memory. pie__crt_finish then leaves the representative of
 * the product modulo B^rn - 1 in [0, B^rn - 1). */
mp_size_t pie__crt_start_mod(pie__crt_mul *c, mpz_ptr rop, mp_srcptr a, mp_size_t an, mp_srcptr b,
                             mp_size_t bn, mp_size_t rn_min);

/* rop = {a, an} * {b, bn} mod (B^rn - 1) on this thread (GMP's
 * mpn_mulmod_bnm1), for the same rn as pie__crt_start_mod; the result is
 * in [0, B^rn - 1], B^rn - 1 standing for 0 only when the product is a
 * non-zero multiple of it. Returns rn, 0 when there is no such length (or
 * no GMP internals: multiply whole), -1 when out of memory. */
mp_size_t pie__crt_mulmod(mpz_ptr rop, mp_srcptr a, mp_size_t an, mp_srcptr b, mp_size_t bn,
                          mp_size_t rn_min);

/* The two halves, as pie__par_job functions (arg: the pie__crt_mul), on any
 * threads, at the same time or not. */
void pie__crt_minus(void *c);
void pie__crt_plus(void *c);

/* After both halves: rop = the product (negated when `negative`); frees the
 * scratch. */
void pie__crt_finish(pie__crt_mul *c, mpz_ptr rop, int negative);

/* Drops a started split without its result (rop is left 0). */
void pie__crt_cancel(pie__crt_mul *c, mpz_ptr rop);

/* Products below this many limbs (an + bn) are multiplied whole: there a
 * thread's start and the recombination cost about what the split saves. */
#define PIE_CRT_MIN_LIMBS 6144

#endif
