/** @brief Decimal digits of a binary fraction by products alone (a scaled remainder tree). */
#ifndef PIE_RADIX_FRAC_H
#define PIE_RADIX_FRAC_H

#include <gmp.h>
#include <signal.h>
#include <stdint.h>

/*
 * A fraction t in [0, 1) known to lie in [f, f + e] / 2^m, and the number
 * of decimal digits wanted from it: floor(t 10^k), written as k digits.
 * Those digits are the same for every t of the interval unless it
 * straddles a multiple of 10^-k (the digits then end in ...999 or ...000
 * depending on t); the conversion then returns PIE_RADIX_AMBIGUOUS instead
 * of a guess, and the caller converts some other, exact way. With e = 0
 * (t exactly f / 2^m) that happens only when 64 guard bits of some piece
 * happen to read all ones: about 2^-60 a piece.
 */
typedef struct pie__frac {
    mpz_t f;          /* 0 <= f < 2^m */
    uint64_t m;       /* bits after the point */
    uint64_t e;       /* the interval's width, in units of 2^-m */
    uint64_t ndigits; /* k */
} pie__frac;

/* Returned when the digits are not the same across the interval. */
#define PIE_RADIX_AMBIGUOUS 104

/* The powers 5^j that converting `ndigits` digits uses (a handful a
 * level), built once and read by every thread. */
typedef struct pie__pow5_set pie__pow5_set;

/* The set for a conversion of ndigits digits; `top` (may be NULL) is
 * 5^top_exp, borrowed (it must outlive the set) instead of computed when
 * the set needs that power: a caller that has 5^ceil(ndigits/2) at hand
 * saves the largest power. Its squarings on up to `threads` threads. NULL
 * when out of memory. */
pie__pow5_set *pie__pow5_set_new(uint64_t ndigits, mpz_srcptr top, uint64_t top_exp,
                                 unsigned threads);
void pie__pow5_set_free(pie__pow5_set *p); /* accepts NULL */

/* x (consumed: cleared on return) to x->ndigits digits at out (no NUL), on
 * up to `threads` threads, with p made for x->ndigits (or for a conversion
 * of which x is a piece). `stop` (may be NULL) is looked at before each
 * piece. PIE_K_OK, PIE_RADIX_AMBIGUOUS, PIE_RADIX_STOPPED (radix.h),
 * PIE_K_ENOMEM, or PIE_K_EINVAL (f >= 2^m, or p lacks a power). */
int pie__radix_frac_text(pie__frac *x, const pie__pow5_set *p, unsigned threads, char *out,
                         const volatile sig_atomic_t *stop);

/* One step of that: x (consumed) into its leading ceil(k/2) digits' piece
 * (top) and its trailing floor(k/2) digits' piece (bottom), which then
 * convert independently (anywhere, with a set for their own ndigits). Its
 * product on up to `threads` threads. top and bottom are initialized here
 * on PIE_K_OK only; other results as pie__radix_frac_text. */
int pie__radix_frac_split(pie__frac *x, const pie__pow5_set *p, unsigned threads, pie__frac *top,
                          pie__frac *bottom);

#endif
