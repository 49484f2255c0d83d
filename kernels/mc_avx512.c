/** @brief Monte Carlo kernel, AVX-512 + VAES: four ARS-5 blocks per register, eight in flight. */
#include "mc_kernel.h"
#include "mc_simd_common.h"

/* Outside iff X^2 + Y^2 wraps 64 bits: an unsigned compare into a mask,
 * counted with POPCNT on the scalar side, which is idle here, rather than by
 * one more vector add (about 4% faster on Zen 4). Every CPU with AVX-512 has
 * POPCNT (x86-64-v4 includes v2). */
static inline uint64_t count_512(uint64_t acc, __m512i v)
{
    __m512i t = _mm512_or_si512(v, _mm512_set1_epi32(1));
    __m512i ty = _mm512_srli_epi64(t, 32);
    __m512i xx = _mm512_mul_epu32(t, t);
    __m512i s = _mm512_add_epi64(xx, _mm512_mul_epu32(ty, ty));
    unsigned out = _mm512_cmplt_epu64_mask(s, xx);
    /* Opaque to the optimizer, so clang does not gather the masks back into
     * a vector to count them there. */
    __asm__("" : "+r"(out));
    return acc + (uint64_t)__builtin_popcount(out);
}

#define MC_OUTSIDE outside_avx512
#define MC_ATTR
#define MC_V __m512i
#define MC_LANES 4
#define MC_UNROLL 8
#define MC_KEY(k) _mm512_broadcast_i32x4(k)
#define MC_CTR(b)                                                                                  \
    _mm512_set_epi64(0, (long long)((b) + 3), 0, (long long)((b) + 2), 0, (long long)((b) + 1), 0, \
                     (long long)(b))
#define MC_STEP(n)                                                                                 \
    _mm512_set_epi64(0, (long long)(n), 0, (long long)(n), 0, (long long)(n), 0, (long long)(n))
#define MC_BASE(x) _mm512_maskz_set1_epi64(0x55, (long long)(x))
#define MC_XOR _mm512_xor_si512
#define MC_ADD64 _mm512_add_epi64
#define MC_ENC _mm512_aesenc_epi128
#define MC_ENCLAST _mm512_aesenclast_epi128
#define MC_ACC_T uint64_t
#define MC_ACC_ZERO() 0
#define MC_COUNT(acc, v) ((acc) = count_512((acc), (v)))
#define MC_ACC_SUM(acc) (acc)
#include "mc_simd_body.h"

uint64_t pie__mc_count_avx512(uint64_t seed, uint64_t first, uint64_t count)
{
    return pie__mc_count_with(seed, first, count, outside_avx512);
}
