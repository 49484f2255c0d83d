/** @brief Binary splitting of one chunk of Bellard's series (internal to the BBP series kernel). */
#ifndef PIE_BBP_SPLIT_H
#define PIE_BBP_SPLIT_H

#include "bbp_series.h"

/* Relative precision a node starting at term a must keep: its contribution
 * is scaled by 2^-10a, |R| < 2^9, and a truncation costs at most 2^(2-bits)
 * relative; with at most 2^lgev truncations the sum stays within 2^-(W+9). */
static inline uint64_t pie__bbp_kept_bits(const pie__bbp_job *job, uint64_t a)
{
    uint64_t need = job->prec + 20 + job->lgev;
    uint64_t drop = 10 * a;
    return need > drop + 64 ? need - drop : 64;
}

/* R(a, b) = T / (Q 2^e) over the terms [a, b) of `job` (see bbp_series.h),
 * with T and Q truncated to about pie__bbp_kept_bits(job, a) bits; the
 * result depends on (job, a, b) only. T and Q must be initialized.
 * PIE_K_OK or PIE_K_ENOMEM. */
int pie__bbp_split_chunk(const pie__bbp_job *job, uint64_t a, uint64_t b, mpz_t T, mpz_t Q,
                         int64_t *e);

#endif
