/** @brief Big-integer work on several threads: independent jobs, and products split by one operand.
 */
#ifndef PIE_PAR_GMP_H
#define PIE_PAR_GMP_H

#include <gmp.h>
#include <stdint.h>

/* Products smaller than this (bits of the smaller operand) run whole: below
 * it, a thread's start-up and the recombination cost more than they save. */
#define PIE_PAR_MUL_MIN_BITS 400000u

/* One product rop = a * b. rop must differ from a and b. */
typedef struct pie__par_mul {
    mpz_ptr rop;
    mpz_srcptr a, b;
} pie__par_mul;

/* One job of pie__par_run: fn(arg). */
typedef struct pie__par_job {
    void (*fn)(void *);
    void *arg;
} pie__par_job;

/* Run the n jobs on up to `threads` threads (the calling thread included),
 * taking them in order from a shared counter. Returns 0, or -1 when no
 * thread could be started (every job then ran on the caller). */
int pie__par_run(const pie__par_job *jobs, unsigned n, unsigned threads);

/* The n products; with threads > 1 each product whose smaller operand has
 * at least PIE_PAR_MUL_MIN_BITS bits is cut into `threads` slices of its
 * larger operand, the slices multiplied in parallel and added back. The
 * results are the exact products whatever the thread count. PIE_K_OK or
 * PIE_K_ENOMEM. */
int pie__par_mul_n(const pie__par_mul *m, unsigned n, unsigned threads);

#endif
