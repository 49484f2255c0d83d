/** @brief Monte Carlo kernels, AVX2 + AES-NI: 128-bit AES-NI, or 256-bit VAES where present. */
#include "mc_kernel.h"
#include "mc_simd.h"
#include "mc_simd_common.h"

/*
 * Outside test with a signed compare: X^2 + Y^2 >= 2^64 iff Y^2 > ~X^2
 * (unsigned), and u > w unsigned iff (u ^ 2^63) > (w ^ 2^63) signed, where
 * ~X^2 ^ 2^63 = X^2 ^ (2^63 - 1). The compare gives -1 per outside lane.
 */
#define SIGN64 ((long long)0x8000000000000000ull)
#define LOW63 0x7fffffffffffffffll

static inline __m128i count_128(__m128i acc, __m128i v)
{
    __m128i t = _mm_or_si128(v, _mm_set1_epi32(1));
    __m128i ty = _mm_srli_epi64(t, 32);
    __m128i xx = _mm_xor_si128(_mm_mul_epu32(t, t), _mm_set1_epi64x(LOW63));
    __m128i yy = _mm_xor_si128(_mm_mul_epu32(ty, ty), _mm_set1_epi64x(SIGN64));
    return _mm_sub_epi64(acc, _mm_cmpgt_epi64(yy, xx));
}

static inline uint64_t sum_128(__m128i acc)
{
    return pie__mc_lo(acc) + pie__mc_hi(acc);
}

/* Plain AVX2 + AES-NI (Haswell and later): one block per AES instruction. */
#define MC_OUTSIDE outside_avx2
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
#define MC_COUNT(acc, v) ((acc) = count_128((acc), (v)))
#define MC_ACC_SUM sum_128
#include "mc_simd_body.h"

uint64_t pie__mc_count_avx2(uint64_t seed, uint64_t first, uint64_t count)
{
    return pie__mc_count_with(seed, first, count, outside_avx2);
}

/* VAES on 256 bits: two blocks per AES instruction. Only this function is
 * compiled for VAES, so the plain variant above stays runnable without it. */
#define VAES_ATTR __attribute__((target("vaes")))

VAES_ATTR static inline __m256i count_256(__m256i acc, __m256i v)
{
    __m256i t = _mm256_or_si256(v, _mm256_set1_epi32(1));
    __m256i ty = _mm256_srli_epi64(t, 32);
    __m256i xx = _mm256_xor_si256(_mm256_mul_epu32(t, t), _mm256_set1_epi64x(LOW63));
    __m256i yy = _mm256_xor_si256(_mm256_mul_epu32(ty, ty), _mm256_set1_epi64x(SIGN64));
    return _mm256_sub_epi64(acc, _mm256_cmpgt_epi64(yy, xx));
}

VAES_ATTR static inline uint64_t sum_256(__m256i acc)
{
    return sum_128(_mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1)));
}

#define MC_OUTSIDE outside_avx2_vaes
#define MC_ATTR VAES_ATTR
#define MC_V __m256i
#define MC_LANES 2
#define MC_UNROLL 8
#define MC_KEY(k) _mm256_broadcastsi128_si256(k)
#define MC_CTR(b) _mm256_set_epi64x(0, (long long)((b) + 1), 0, (long long)(b))
#define MC_STEP(n) _mm256_set_epi64x(0, (long long)(n), 0, (long long)(n))
#define MC_BASE(x) _mm256_set_epi64x(0, (long long)(x), 0, (long long)(x))
#define MC_XOR _mm256_xor_si256
#define MC_ADD64 _mm256_add_epi64
#define MC_ENC _mm256_aesenc_epi128
#define MC_ENCLAST _mm256_aesenclast_epi128
#define MC_ACC_T __m256i
#define MC_ACC_ZERO _mm256_setzero_si256
#define MC_COUNT(acc, v) ((acc) = count_256((acc), (v)))
#define MC_ACC_SUM sum_256
#include "mc_simd_body.h"

VAES_ATTR uint64_t pie__mc_count_avx2_vaes(uint64_t seed, uint64_t first, uint64_t count)
{
    return pie__mc_count_with(seed, first, count, outside_avx2_vaes);
}
