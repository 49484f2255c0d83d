/** @brief Big-integer division whose large products run on several threads (Newton,
 * Karp-Markstein). */
#ifndef PIE_PAR_DIV_H
#define PIE_PAR_DIV_H

#include "par_gmp.h"

#include <gmp.h>
#include <stdint.h>

/* Quotients shorter than this (bits), or divisors shorter than this, go to
 * mpz_tdiv_q. Measured on 2 threads with each product split in two halves
 * (par_crt.c), a 2n / n division: 0.0126 s against GMP's 0.0164 s at
 * n = 2^21 bits, 0.298 s against 0.447 s at 2^25 (1e7 digits), 0.631 s
 * against 0.935 s at 2^26; at 2^20 bits the two are even (bench_par_mul). */
#define PIE_PAR_DIV_MIN_BITS (UINT64_C(1) << 21)

/*
 * q = 2^k * floor(a / (b * 2^k)), where k = max(0, bits(a) - bits(b) + 1 - prec)
 * and bits(x) = mpz_sizeinbase(x, 2).
 *
 * So the quotient is exact, q = floor(a / b), whenever prec >= bits(a) -
 * bits(b) + 1 (a bound on the quotient's bits); a smaller prec keeps only the
 * leading prec bits of the quotient, 0 <= a/b - q < 2^k, and skips the work
 * on the others. The result is the same bytes whatever `threads` is: the
 * products are exact and the method depends only on the sizes; `threads`
 * only says how many threads the large products use.
 *
 * a >= 0, b > 0 (else PIE_K_EINVAL); q may be a or b. Returns PIE_K_OK, or
 * PIE_K_ENOMEM (q is then unspecified).
 */
int pie__par_div_q(mpz_t q, const mpz_t a, const mpz_t b, uint64_t prec, const pie__par *par);

/* The sizes where the method changes; the default is pie__par_div_default.
 * Tests pass small ones to reach every path with small operands. */
typedef struct pie__par_div_tune {
    uint64_t min_bits;        /* quotient and divisor at least this long: Newton */
    uint64_t recip_base_bits; /* reciprocals this short: mpz_tdiv_q */
} pie__par_div_tune;

extern const pie__par_div_tune pie__par_div_default;

/* pie__par_div_q with other thresholds: the same result, other speed. */
int pie__par_div_q_tuned(mpz_t q, const mpz_t a, const mpz_t b, uint64_t prec, const pie__par *par,
                         const pie__par_div_tune *tu);

#endif
