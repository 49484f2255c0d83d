/** @brief Monte Carlo kernel, SSE4.1 + AES-NI: one ARS-5 block per register, eight in flight. */
#include "mc_kernel.h"
#include "mc_simd_common.h"

/*
 * Outside test without a 64-bit unsigned compare (SSE2 has none): X and Y
 * are odd, so X^2 + Y^2 = 2s + 2 with s = (X^2 >> 1) + (Y^2 >> 1) < 2^64,
 * and X^2 + Y^2 = 2^64 cannot happen (odd squares are 1 mod 8). Hence the
 * point is outside iff s >= 2^63, i.e. iff the top bit of s is set.
 */
static inline __m128i count_sse(__m128i acc, __m128i v)
{
    __m128i t = _mm_or_si128(v, _mm_set1_epi32(1));
    __m128i ty = _mm_srli_epi64(t, 32);
    __m128i xx = _mm_mul_epu32(t, t);
    __m128i yy = _mm_mul_epu32(ty, ty);
    __m128i s = _mm_add_epi64(_mm_srli_epi64(xx, 1), _mm_srli_epi64(yy, 1));
    return _mm_add_epi64(acc, _mm_srli_epi64(s, 63));
}

static inline uint64_t sum_sse(__m128i acc)
{
    return pie__mc_lo(acc) + pie__mc_hi(acc);
}

#define MC_OUTSIDE outside_aesni
#define MC_ATTR
#define MC_V __m128i
#define MC_LANES 1
#define MC_UNROLL 8
#define MC_KEY(k) (k)
#define MC_CTR(b) _mm_set_epi64x(0, (long long)(b))
#define MC_STEP(n) _mm_set_epi64x(0, (long long)(n))
#define MC_BASE(x) _mm_cvtsi64_si128((long long)(x))
#define MC_XOR _mm_xor_si128
#define MC_ADD64 _mm_add_epi64
#define MC_ENC _mm_aesenc_si128
#define MC_ENCLAST _mm_aesenclast_si128
#define MC_ACC_T __m128i
#define MC_ACC_ZERO _mm_setzero_si128
#define MC_COUNT(acc, v) ((acc) = count_sse((acc), (v)))
#define MC_ACC_SUM sum_sse
#include "mc_simd_body.h"

uint64_t pie__mc_count_aesni(uint64_t seed, uint64_t first, uint64_t count)
{
    return pie__mc_count_with(seed, first, count, outside_aesni);
}
