/** @brief Monte Carlo kernel: per-ISA counting functions and the chunk/merge table. */
#ifndef PIE_MC_KERNEL_H
#define PIE_MC_KERNEL_H

#include "pie_kernel.h"

#include <stdint.h>

/* Count the samples with index in [first, first + count) that fall inside the
 * quarter disc, for the given seed (see ars.h for the exact mapping). Every
 * variant returns the same number for the same arguments. */
typedef uint64_t (*pie_mc_count_fn)(uint64_t seed, uint64_t first, uint64_t count);

uint64_t pie__mc_count_scalar(uint64_t seed, uint64_t first, uint64_t count);
#ifdef PIE_HAVE_ISA_AESNI
uint64_t pie__mc_count_aesni(uint64_t seed, uint64_t first, uint64_t count);
#endif
#ifdef PIE_HAVE_ISA_AVX2
uint64_t pie__mc_count_avx2(uint64_t seed, uint64_t first, uint64_t count);
#endif
#ifdef PIE_HAVE_ISA_AVX512
uint64_t pie__mc_count_avx512(uint64_t seed, uint64_t first, uint64_t count);
#endif

/* One Monte Carlo job: samples [0, samples) cut into chunks of chunk_samples
 * (a multiple of 2, so no ARS block straddles two chunks). */
typedef struct pie_mc_job {
    uint64_t samples;
    uint64_t seed;
    uint64_t chunk_samples;
    pie_mc_count_fn count;
} pie_mc_job;

/* The accumulator: the total inside count of the chunks merged so far. */
typedef struct pie_mc_acc {
    uint64_t inside;
} pie_mc_acc;

uint64_t pie__mc_job_chunks(const pie_mc_job *job);
extern const pie_kernel_ops pie__mc_kernel_ops;

#endif
