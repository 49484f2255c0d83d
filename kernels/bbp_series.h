/** @brief BBP-type series for pi (Bellard) by truncated binary splitting on GMP integers. */
#ifndef PIE_BBP_SERIES_H
#define PIE_BBP_SERIES_H

/*
 * pi = 1/2^6 * sum_n (-1)^n / 2^(10n) * ( -2^5/(4n+1) - 1/(4n+3) + 2^8/(10n+1)
 *          - 2^6/(10n+3) - 2^2/(10n+5) - 2^2/(10n+7) + 1/(10n+9) )
 *
 * Bellard's BBP-type formula gives 10 bits per term against BBP's 4, with
 * denominators of degree 7 against 4: its binary-splitting integers grow about
 * 0.7 times as fast per bit of pi, so it beats the original BBP formula.
 * The seven fractions of a term are folded into one, A(n) / (5 Q(n)) * 2,
 * with integer polynomials A (degree 6) and Q (degree 7).
 *
 * A job is the term range [0, nterms) cut into nchunks equal ranges; chunk i
 * is evaluated by binary splitting into a node (T, Q, e) meaning
 *     R(a, b) = sum_{n=a}^{b-1} (-1)^n A(n) / (Q(n) 2^(10(n-a))) = T / (Q 2^e).
 * The powers of two never enter a product: they live in the exponent e.
 * (The code keeps Q as R * S, S the small primes' part as an exponent vector
 * merged by lcm; see bbp_split.c.)
 * Once T or Q has more bits than the node can contribute to a W-bit result
 * (W - 10a plus guard bits), both are truncated; the truncation depends on
 * (job, node) only, so the result is the same on every backend and worker
 * count. Each chunk then divides its own T by Q, at the precision its terms
 * can still contribute, so the partial is one fixed-point integer and the
 * ordered merge is an addition: the divisions on the largest numbers run on
 * the workers, and the parent's serial share stays small.
 *
 * Finalizing scales the sum to X ~ pi 2^W with |X - pi 2^W| <= 3, then
 * converts to D digits in base 10 or 16, truncated, after checking that
 * every value in [X-3, X+3] gives the same digits (a Ziv test). If not, the
 * caller retries with more guard bits.
 */

#include "pie_kernel.h"

#include <gmp.h>
#include <signal.h>
#include <stdint.h>

/* Names the partials' format and the splitting rules that fix their low bits;
 * changes whenever either does (checkpoints compare it). */
#define PIE_BBP_PARTIAL_FORMAT "bellard-fixed-lcm1000-b32"

/* Returned by pie__bbp_floor and pie__bbp_digits when the last digit is not certain. */
#define PIE_BBP_RETRY 100

/* Largest digit count a job accepts (well beyond any machine's memory). */
#define PIE_BBP_MAX_DIGITS (UINT64_C(1) << 40)

/* The immutable description of a digits job: plain numbers, no pointers. */
typedef struct pie__bbp_job {
    uint64_t digits;  /* D: digits after the point */
    uint32_t base;    /* 10 or 16 */
    uint32_t guard;   /* guard bits beyond the digits' own */
    uint64_t prec;    /* W: bits of pi after the point that X carries */
    uint64_t nterms;  /* N: terms summed */
    uint64_t nchunks; /* C: chunks, a power of two */
    uint64_t lgev;    /* ceil(log2) of the number of truncation events, bounded */
} pie__bbp_job;

/* Fill a job for `digits` (1..PIE_BBP_MAX_DIGITS) digits in `base` (10 or 16)
 * with `guard` (>= 1) guard bits. PIE_K_EINVAL when out of range. */
int pie__bbp_job_init(pie__bbp_job *job, uint64_t digits, unsigned base, unsigned guard);

/* Term range [*a, *b) of a chunk. */
void pie__bbp_chunk_range(const pie__bbp_job *job, uint64_t chunk, uint64_t *a, uint64_t *b);

/* The kernel table: run_chunk, merge into a pie__bbp_acc, max_partial. */
extern const pie_kernel_ops pie__bbp_series_ops;

/* The accumulator of merged chunk nodes. */
typedef struct pie__bbp_acc pie__bbp_acc;
pie__bbp_acc *pie__bbp_acc_new(void);
void pie__bbp_acc_free(pie__bbp_acc *acc);

/* After every chunk is merged: X = floor-ish(pi 2^W) with |X - pi 2^W| <= 3.
 * `x` must be initialized. PIE_K_EINVAL if chunks are missing. */
int pie__bbp_fixed(pie__bbp_acc *acc, const pie__bbp_job *job, mpz_t x);

/* Y = floor(pi base^D), after checking that every value in [X-3, X+3] gives
 * the same Y: PIE_K_OK, or PIE_BBP_RETRY when the last digit is not certain.
 * `y` must be initialized. */
int pie__bbp_floor(const pie__bbp_job *job, const mpz_t x, mpz_t y);

/* "3." followed by exactly D digits from y = floor(pi base^D) (consumed:
 * cleared on return), converted on up to `threads` threads, as a malloc'd
 * NUL-terminated string of D + 2 characters. PIE_K_ECORRUPT if y does not
 * start with 3; PIE_RADIX_STOPPED (radix.h) when *stop (may be NULL) was
 * raised during the conversion. */
int pie__bbp_format(const pie__bbp_job *job, mpz_t y, unsigned threads, char **text,
                    const volatile sig_atomic_t *stop);

/* pie__bbp_floor and pie__bbp_format (one thread) in one: *len = D + 2;
 * PIE_BBP_RETRY as above. */
int pie__bbp_digits(const pie__bbp_job *job, const mpz_t x, char **text, size_t *len);

/* Bits of the largest integers the series holds, for memory estimates. */
uint64_t pie__bbp_chunk_bits(const pie__bbp_job *job, uint64_t chunk);

#endif
