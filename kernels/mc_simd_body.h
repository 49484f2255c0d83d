/** @brief The vector Monte Carlo loop, written once and stamped out per instruction set. */

/*
 * No include guard: each inclusion defines one function. Define before
 * including (see mc_aesni.c, mc_avx2.c, mc_avx512.c):
 *   MC_OUTSIDE       name of the static function to define
 *   MC_ATTR          function attributes (a target attribute, or nothing)
 *   MC_V             vector type; MC_LANES ARS blocks per vector
 *   MC_UNROLL        vectors in flight (to cover the AES latency)
 *   MC_KEY(k)        a __m128i round key in every 128-bit lane
 *   MC_CTR(b)        counters b, b+1, ..., b+MC_LANES-1 in the low 64 bits of
 *                    each lane, zero above; MC_STEP(n) adds n to each lane;
 *                    MC_BASE(x) x in the low 64 bits of each lane, zero above
 *   MC_XOR, MC_ADD64, MC_ENC, MC_ENCLAST
 *   MC_ACC_T, MC_ACC_ZERO(), MC_COUNT(acc, v) adds the outside samples of the
 *   output vector v to acc, MC_ACC_SUM(acc) their total as uint64_t.
 * Lane l of vector j holds block b + j * MC_LANES + l; each 64-bit half of a
 * block is one sample, x in its low 32 bits and y in its high 32 bits, which
 * is exactly ars.h's mapping.
 */

#define MC_CAT2(a, b) a##b
#define MC_CAT(a, b) MC_CAT2(a, b)
#define MC_SMALL MC_CAT(MC_OUTSIDE, _small)

/* Blocks [b, b + nb) one vector at a time, then one block at a time: the
 * stretch before the main loop's alignment and the remainder after it. */
MC_ATTR static inline uint64_t MC_SMALL(const MC_V k[PIE_ARS_ROUNDS + 1],
                                        const __m128i rk[PIE_ARS_ROUNDS + 1], uint64_t b,
                                        uint64_t nb)
{
    const MC_V step = MC_STEP(MC_LANES);
    MC_ACC_T acc = MC_ACC_ZERO();
    MC_V c = MC_CTR(b);
    for (; nb >= MC_LANES; nb -= MC_LANES, b += MC_LANES) {
        MC_V v = MC_XOR(c, k[0]);
        for (int r = 1; r < PIE_ARS_ROUNDS; r++)
            v = MC_ENC(v, k[r]);
        v = MC_ENCLAST(v, k[PIE_ARS_ROUNDS]);
        MC_COUNT(acc, v);
        c = MC_ADD64(c, step);
    }
    return MC_ACC_SUM(acc) + pie__mc_outside_blocks1(rk, b, nb);
}

MC_ATTR static uint64_t MC_OUTSIDE(const __m128i rk[PIE_ARS_ROUNDS + 1], uint64_t b, uint64_t nb)
{
    enum { SPAN = MC_LANES * MC_UNROLL }; /* blocks per iteration, a power of two */
    MC_V k[PIE_ARS_ROUNDS + 1], off[MC_UNROLL];
    for (int r = 0; r <= PIE_ARS_ROUNDS; r++)
        k[r] = MC_KEY(rk[r]);
    for (int j = 0; j < MC_UNROLL; j++)
        off[j] = MC_CTR((uint64_t)j * MC_LANES);

    /* Align b to SPAN. Then block b + t (t < SPAN) is b | t, and its first
     * AES input (b + t) ^ k0 is (b ^ seed) ^ t in the low half and 0 in the
     * high half (counter and key are both 0 there): one broadcast per
     * iteration and one XOR per vector make all the counters. */
    uint64_t head = (SPAN - b % SPAN) % SPAN;
    if (head > nb)
        head = nb;
    uint64_t out = MC_SMALL(k, rk, b, head);
    b += head;
    nb -= head;
    const uint64_t seed = pie__mc_lo(rk[0]);
    MC_ACC_T acc = MC_ACC_ZERO();
    for (; nb >= SPAN; nb -= SPAN, b += SPAN) {
        const MC_V base = MC_BASE(b ^ seed);
        MC_V v[MC_UNROLL];
        /* Round-major order: MC_UNROLL independent AES chains in flight. */
        for (int j = 0; j < MC_UNROLL; j++)
            v[j] = MC_XOR(base, off[j]);
        for (int r = 1; r < PIE_ARS_ROUNDS; r++)
            for (int j = 0; j < MC_UNROLL; j++)
                v[j] = MC_ENC(v[j], k[r]);
        for (int j = 0; j < MC_UNROLL; j++)
            v[j] = MC_ENCLAST(v[j], k[PIE_ARS_ROUNDS]);
        for (int j = 0; j < MC_UNROLL; j++)
            MC_COUNT(acc, v[j]);
    }
    return out + MC_ACC_SUM(acc) + MC_SMALL(k, rk, b, nb);
}

#undef MC_CAT2
#undef MC_CAT
#undef MC_SMALL
#undef MC_OUTSIDE
#undef MC_ATTR
#undef MC_V
#undef MC_LANES
#undef MC_UNROLL
#undef MC_KEY
#undef MC_CTR
#undef MC_STEP
#undef MC_BASE
#undef MC_XOR
#undef MC_ADD64
#undef MC_ENC
#undef MC_ENCLAST
#undef MC_ACC_T
#undef MC_ACC_ZERO
#undef MC_COUNT
#undef MC_ACC_SUM
