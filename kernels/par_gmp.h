/** @brief Big-integer work on several threads: independent jobs, and products split by one operand.
 */
#ifndef PIE_PAR_GMP_H
#define PIE_PAR_GMP_H

#include "pie_kernel.h"

#include <gmp.h>
#include <stdint.h>

/* Products smaller than this (bits of the smaller operand) run whole: below
 * it, a thread's start-up and the recombination cost more than they save.
 * Split in halves (par_crt.c), a product of 2^18 by 2^18 bits runs 1.4x
 * faster on two threads than whole, from 2^19 by 2^19 1.6-1.9x
 * (bench/bench_par_mul.c); below PIE_CRT_MIN_LIMBS in all (2^17 by 2^17)
 * a product stays whole. Cut in slices, the gain starts near 400,000 bits. */
#define PIE_PAR_MUL_MIN_BITS 131072u
#define PIE_PAR_SLICE_MIN_BITS 400000u

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

/* Where the big operations run. With `run` NULL, on this process's threads
 * (up to `threads`). Otherwise `run` (the engine's) runs a kernel task of
 * `nchunks` chunks on the run's workers, every chunk once, merging the
 * partials into `acc` in chunk order, and returns PIE_K_OK, or PIE_PAR_FAILED
 * with the failure recorded by the engine (cancelled, a chunk that failed
 * every retry). The workers were started before the job existed: its data
 * goes to memory they read, from `share` (run and share come together).
 * Products of fewer than `task_min_bits` bits (the smaller operand) stay on
 * this process's threads: a task's copies and messages cost more than they
 * save. */
typedef struct pie__par {
    unsigned threads;
    int (*run)(void *user, const pie_kernel_ops *ops, const void *job, void *acc, uint64_t nchunks);
    /* Memory the workers read a job from (a session's shared arena,
     * released by the engine after the task); NULL when there is no room,
     * and the work then runs on threads. */
    void *(*share)(void *user, size_t bytes);
    void *user;
    uint64_t task_min_bits;
} pie__par;

/* Returned through pie__par's run when the engine's task failed. */
#define PIE_PAR_FAILED 102 /* beside PIE_CHUD_RETRY 100, PIE_RADIX_STOPPED 101 */
/* From pie__par_mul_task: no room in share's memory (the caller then runs
 * the work on threads). */
#define PIE_PAR_NO_ROOM 103

/* A read-only copy of v in par->share's memory (the limbs and the mpz
 * header), or NULL when there is no room. */
mpz_srcptr pie__par_shared_copy(const pie__par *par, mpz_srcptr v);

/* A pie__par on this process's threads only. */
static inline pie__par pie__par_threads(unsigned threads)
{
    return (pie__par){.threads = threads ? threads : 1};
}

/* Run the n jobs on up to `threads` threads (the calling thread included),
 * taking them in order from a shared counter. Returns 0, or -1 when no
 * thread could be started (every job then ran on the caller). */
int pie__par_run(const pie__par_job *jobs, unsigned n, unsigned threads);

/* The n products; with par->threads > 1 each product whose smaller operand
 * is large enough is computed in parts: on this process's threads its two
 * halves modulo B^n - 1 and B^n + 1 (par_crt.c) from PIE_PAR_MUL_MIN_BITS,
 * with more than three threads for each of threads / 2 slices of its larger
 * operand; as a task on the run's workers (par_task.c), or without the
 * halves, `threads` slices from PIE_PAR_SLICE_MIN_BITS, multiplied in
 * parallel and added back. The results are the exact
 * products whatever the thread count and wherever they ran. PIE_K_OK,
 * PIE_K_ENOMEM, or PIE_PAR_FAILED. */
int pie__par_mul_n(const pie__par_mul *m, unsigned n, const pie__par *par);

/* rop = a * b mod (2^N - 1) (a, b >= 0; rop distinct from both), the
 * wrap-around product, for some N >= min_bits (a multiple of the limb
 * size) for which that is shorter than the product: *wrap_bits = N. Its
 * two halves (par_crt.c) on two threads when threads > 1 and the product
 * is large enough, else on this thread. The value is in [0, 2^N - 1]
 * (2^N - 1 standing for 0 only for a non-zero multiple of it). Without
 * such an N (or GMP's internal functions), rop = a * b exactly, on
 * `threads` threads, and *wrap_bits = 0. PIE_K_OK or PIE_K_ENOMEM. */
int pie__par_mul_mod(mpz_ptr rop, mpz_srcptr a, mpz_srcptr b, uint64_t min_bits, unsigned threads,
                     uint64_t *wrap_bits);

/* r = the representative of r modulo 2^n - 1 (n >= 2) of least absolute
 * value, in [-(2^(n-1) - 1), 2^(n-1) - 1]: what a wrap-around product
 * gives of a quantity known to be smaller than that. r of any sign and
 * size (linear time). */
void pie__mod_mersenne_near(mpz_t r, uint64_t n);

/* One piece of a batch of products: rop of product `prod` gets
 * a * (limbs [off, off + len) of b) << off limbs. */
typedef struct pie__par_piece {
    unsigned prod;
    mpz_srcptr a, b;
    size_t off, len;
} pie__par_piece;

/* out = |a| * |limbs [off, off+len) of b| for the piece (out distinct from
 * both). */
void pie__par_piece_mul(mpz_ptr out, const pie__par_piece *pc);

/* Run the pieces (in order of their products and offsets) as a task through
 * par->run and add them into their products' rop (par_task.c). */
int pie__par_mul_task(const pie__par_mul *m, unsigned n, const pie__par_piece *pieces,
                      unsigned npieces, const pie__par *par);

#endif
