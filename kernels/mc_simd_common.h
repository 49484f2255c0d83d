/** @brief Shared parts of the AES-NI Monte Carlo kernels: keys, one block, odd head and tail. */
#ifndef PIE_MC_SIMD_COMMON_H
#define PIE_MC_SIMD_COMMON_H

#include "ars.h"

#include <immintrin.h>
#include <stdint.h>

/* Included only by files compiled with AES-NI enabled (see kernels/isa.cmake). */

/* The round keys of ARS-5 for a seed: k0 = (seed, 0) as two 64-bit halves,
 * k(r+1) = k(r) + W half by half. */
static inline void pie__mc_round_keys(uint64_t seed, __m128i rk[PIE_ARS_ROUNDS + 1])
{
    const __m128i w = _mm_set_epi64x((long long)PIE_ARS_WEYL_HI, (long long)PIE_ARS_WEYL_LO);
    rk[0] = _mm_set_epi64x(0, (long long)seed);
    for (int r = 1; r <= PIE_ARS_ROUNDS; r++)
        rk[r] = _mm_add_epi64(rk[r - 1], w);
}

/* One ARS-5 block: counter (b, 0) under the round keys. */
static inline __m128i pie__mc_block(const __m128i rk[PIE_ARS_ROUNDS + 1], uint64_t b)
{
    __m128i v = _mm_xor_si128(_mm_set_epi64x(0, (long long)b), rk[0]);
    for (int r = 1; r < PIE_ARS_ROUNDS; r++)
        v = _mm_aesenc_si128(v, rk[r]);
    return _mm_aesenclast_si128(v, rk[PIE_ARS_ROUNDS]);
}

/* A sample is one 64-bit half of a block: x in the low word, y in the high. */
static inline uint64_t pie__mc_inside_q(uint64_t q)
{
    return pie_mc_inside((uint32_t)q, (uint32_t)(q >> 32));
}

static inline uint64_t pie__mc_lo(__m128i v)
{
    return (uint64_t)_mm_cvtsi128_si64(v);
}

static inline uint64_t pie__mc_hi(__m128i v)
{
    return (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
}

/* Outside count of blocks [b, b + nb) one at a time: the remainder that is
 * shorter than a vector. */
static inline uint64_t pie__mc_outside_blocks1(const __m128i rk[PIE_ARS_ROUNDS + 1], uint64_t b,
                                               uint64_t nb)
{
    uint64_t out = 0;
    for (uint64_t i = 0; i < nb; i++) {
        __m128i v = pie__mc_block(rk, b + i);
        out += 2 - pie__mc_inside_q(pie__mc_lo(v)) - pie__mc_inside_q(pie__mc_hi(v));
    }
    return out;
}

/* Counts the points outside the quarter disc among the 2 * nb samples of
 * blocks [b, b + nb). */
typedef uint64_t (*pie__mc_outside_fn)(const __m128i rk[PIE_ARS_ROUNDS + 1], uint64_t b,
                                       uint64_t nb);

/* The whole count for samples [first, first + count): an odd first sample is
 * the second half of its block, an odd last one the first half of its block,
 * and the whole blocks in between go to the vector loop. Inlined into each
 * variant, so `outside` is a direct call. */
static inline uint64_t pie__mc_count_with(uint64_t seed, uint64_t first, uint64_t count,
                                          pie__mc_outside_fn outside)
{
    __m128i rk[PIE_ARS_ROUNDS + 1];
    uint64_t inside = 0, i = first, end = first + count;
    if (i == end)
        return 0;
    pie__mc_round_keys(seed, rk);
    if (i & 1) {
        inside += pie__mc_inside_q(pie__mc_hi(pie__mc_block(rk, i >> 1)));
        i++;
    }
    uint64_t nb = (end - i) >> 1;
    if (nb)
        inside += 2 * nb - outside(rk, i >> 1, nb);
    i += 2 * nb;
    if (i < end)
        inside += pie__mc_inside_q(pie__mc_lo(pie__mc_block(rk, i >> 1)));
    return inside;
}

#endif
