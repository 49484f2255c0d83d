/** @brief The Chudnovsky series for pi by truncated binary splitting on GMP integers. */
#ifndef PIE_CHUDNOVSKY_H
#define PIE_CHUDNOVSKY_H

/*
 * pi = 426880 sqrt(10005) / S,
 * S = sum_k (-1)^k (6k)! (13591409 + 545140134 k) / ((3k)! (k!)^3 640320^(3k)),
 * about 47.11 bits (14.18 decimal digits) per term.
 *
 * Binary splitting over the terms [a, b) gives integers P, Q, T with
 *     P(a,b) = prod p(k), Q(a,b) = prod q(k), T(a,b)/Q(a,b) = sum of the terms
 *     scaled by Q(0,a)/P(0,a),
 * p(k) = (6k-5)(2k-1)(6k-1), q(k) = k^3 640320^3/24 (p(0) = q(0) = 1), and
 * the merge [a,m) + [m,b): P = P1 P2, Q = Q1 Q2, T = T1 Q2 + P1 T2.
 * Each integer carries a power-of-two exponent: the factor 2^15 of every
 * q(k), the twos of k^3 and the twos of T never enter a product.
 *
 * A job is the term range [0, N) cut into C equal chunks (C a power of two
 * that depends on the job only). A chunk's partial is its node (P, Q, T),
 * exported with mpz_export; the accumulator pushes the nodes on a merge stack
 * in chunk order and merges equal-sized neighbours, so the merge tree is the
 * same fixed binary tree on every backend and worker count. The top merges
 * (those the last chunk completes) are left to pie__chud_top, which runs
 * them with their products on several threads.
 *
 * Truncation: a node starting at term a contributes to pi scaled by
 * P(0,a)/Q(0,a) < 2^(-47.11 a), so it needs about W - 47.11 a bits of relative
 * precision. Once an integer of a node outgrows that (plus a margin), it is
 * cut to its top bits and its exponent absorbs the shift; the rule depends on
 * (job, node) only, so every backend gives the same bytes.
 *
 * Finally X = floor(426880 sqrt(10005) Q / T 2^W) with |X - pi 2^W| < 2
 * (the square root by Newton's iteration, par_sqrt.c, beside the series; the
 * division by Newton's, par_div.c, or GMP's mpz_tdiv_q), and the digits
 * floor(pi base^D) follow after a Ziv test on [X-3, X+3], as for the BBP
 * series (bbp_series.h).
 */

#include "par_gmp.h"
#include "pie_kernel.h"

#include <gmp.h>
#include <signal.h>
#include <stdint.h>

/* Names the partials' format and the splitting rules that fix their bits;
 * changes whenever either does (checkpoints compare it). */
#define PIE_CHUD_PARTIAL_FORMAT "chud-pqt-trunc1-fac32-v3"

/* Returned by pie__chud_floor when the last digit is not certain. */
#define PIE_CHUD_RETRY 100

/* The immutable description of a Chudnovsky job: plain numbers. */
typedef struct pie__chud_job {
    uint64_t digits;  /* D: digits after the point */
    uint32_t base;    /* 10 or 16 */
    uint32_t guard;   /* guard bits beyond the digits' own */
    uint64_t prec;    /* W: bits of pi after the point that X carries */
    uint64_t nterms;  /* N: terms summed */
    uint64_t nchunks; /* C: chunks, a power of two */
    uint64_t margin;  /* extra bits a truncated node keeps */
} pie__chud_job;

/* Fill a job for `digits` (1..2^40) digits in `base` (10 or 16) with
 * `guard` (>= 1) guard bits: W = the digits' own bits + guard, as for the
 * BBP series. PIE_K_EINVAL when out of range. */
int pie__chud_job_init(pie__chud_job *job, uint64_t digits, unsigned base, unsigned guard);

/* Term range [*a, *b) of a chunk. */
void pie__chud_chunk_range(const pie__chud_job *job, uint64_t chunk, uint64_t *a, uint64_t *b);

/* Bits of the largest integer a chunk's splitting holds (memory estimates). */
uint64_t pie__chud_chunk_bits(const pie__chud_job *job, uint64_t chunk);

/* The kernel table: run_chunk, merge into a pie__chud_acc, max_partial. */
extern const pie_kernel_ops pie__chud_series_ops;

/* The merge stack. */
typedef struct pie__chud_acc pie__chud_acc;
pie__chud_acc *pie__chud_acc_new(void);
void pie__chud_acc_free(pie__chud_acc *acc);
/* Threads for the merges done as chunks arrive (default 1: in the merge
 * callback). More than one: the merges run on a thread of their own and
 * their products on this many: these merges hold much of the series' work
 * (binary splitting's cost is in its top levels), and the backend must go
 * on feeding its workers meanwhile. */
void pie__chud_acc_set_threads(pie__chud_acc *acc, unsigned threads);

/* After every chunk was merged: the remaining merges of the stack, products
 * where par says (par_gmp.h). PIE_K_EINVAL if chunks are missing. With a
 * merge thread still behind (4 or more chunks queued), the calling thread
 * merges blocks of chunks from the end of the queue beside it
 * (chud_stack.c). */
int pie__chud_top(pie__chud_acc *acc, const pie__chud_job *job, const pie__par *par);
/* For the tests: with more than one thread, merge the chunks below `from`
 * as they come and queue the others, and start the merge thread only after
 * pie__chud_top took its blocks (so which it takes is known); and the
 * number of chunks pie__chud_top took from that queue and merged on its own. */
void pie__chud_acc_defer(pie__chud_acc *acc, uint64_t from);
unsigned pie__chud_acc_stolen(const pie__chud_acc *acc);

/* Told the name of each step as it starts ("square root", "division"). */
typedef void (*pie__chud_step_fn)(void *user, const char *step);

/* The square root of 10005 at the job's precision, computed on a thread of
 * its own from the start (it depends on W only): beside the series it
 * fills the cores' gaps, and its peak memory does not add to the
 * division's. NULL when no thread could be started. */
typedef struct pie__chud_sqrt pie__chud_sqrt;
pie__chud_sqrt *pie__chud_sqrt_start(const pie__chud_job *job);
void pie__chud_sqrt_free(pie__chud_sqrt *sq); /* waits for it; accepts NULL */
/* Start the square root on its own thread when the first chunk is merged
 * (the workers of a forking backend exist by then), and take it after the
 * series (NULL if it did not start). */
void pie__chud_acc_want_sqrt(pie__chud_acc *acc);
pie__chud_sqrt *pie__chud_acc_take_sqrt(pie__chud_acc *acc);

/* After pie__chud_top: X with |X - pi 2^W| < 2 into x (initialized): the
 * division Q/T, then the product by the square root (sq, or computed here
 * when NULL), on up to `threads` threads. Frees the stack's integers. */
int pie__chud_fixed(pie__chud_acc *acc, const pie__chud_job *job, const pie__par *par,
                    pie__chud_sqrt *sq, pie__chud_step_fn step, void *user, mpz_t x);
/* 1 when pie__chud_fixed takes the quotient by the Newton division
 * (par_div.c), 0 when by GMP's (from 2^30 bits, about 3.2e8 digits): the
 * memory estimate's model differs. */
int pie__chud_newton_division(const pie__chud_job *job);

/* 5^L, L = (D + 1) / 2, for base 10 (chud_pow5.c): computed on a thread of
 * its own when `beside` (started with the division), else at once. NULL
 * in base 16 or when out of memory. */
typedef struct pie__chud_pow5 pie__chud_pow5;
pie__chud_pow5 *pie__chud_pow5_start(const pie__chud_job *job, int beside);
/* 5^k, *p pointing at it: w's own 5^L when k = L, else out (not w's). From
 * w's 5^L (waited for) when k is L, 2L - 1 or 2L, the square on
 * par's threads; otherwise, or with w NULL, by mpz_ui_pow_ui. PIE_K_OK or
 * the product's failure. */
int pie__chud_pow5_get(pie__chud_pow5 *w, uint64_t k, const pie__par *par, mpz_t out,
                       mpz_srcptr *p);
void pie__chud_pow5_free(pie__chud_pow5 *w); /* accepts NULL */

/* Y = floor(pi base^D) after checking that every value in [X-3, X+3] gives
 * the same Y: PIE_K_OK, or PIE_CHUD_RETRY when the last digit is not
 * certain. The product by 5^D (base 10; from pw when not NULL) on up to
 * `threads` threads. */
int pie__chud_floor(const pie__chud_job *job, const mpz_t x, const pie__par *par,
                    pie__chud_pow5 *pw, mpz_t y);

/* "3." followed by the D digits of y = floor(pi base^D) (consumed), as a
 * malloc'd NUL-terminated string; x is the value pie__chud_floor checked. In
 * base 10 from 10,000 digits the digits are those of x's fraction, converted
 * by products (chud_digits.c, radix_frac.c; 5^L from pw), and y is converted
 * by division only where that is undecided. PIE_K_ECORRUPT if y does not start with 3;
 * PIE_RADIX_STOPPED (radix.h) when *stop was raised during the conversion
 * (stop may be NULL). */
int pie__chud_format(const pie__chud_job *job, const mpz_t x, mpz_t y, const pie__par *par,
                     pie__chud_pow5 *pw, char **text, const volatile sig_atomic_t *stop);

#endif
