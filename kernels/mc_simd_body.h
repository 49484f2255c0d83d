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
 *                    each lane, zero above; MC_STEP(n) adds n to each lane
 *   MC_XOR, MC_ADD64, MC_ENC, MC_ENCLAST
 *   MC_ACC_T, MC_ACC_ZERO(), MC_COUNT(acc, v) adds the outside samples of the
 *   output vector v to acc, MC_ACC_SUM(acc) their total as uint64_t.
 * Lane l of vector j holds block b + j * MC_LANES + l; each 64-bit half of a
 * block is one sample, x in its low 32 bits and y in its high 32 bits, which
 * is exactly ars.h's mapping.
 */

MC_ATTR static uint64_t MC_OUTSIDE(const __m128i rk[PIE_ARS_ROUNDS + 1], uint64_t b, uint64_t nb)
{
    MC_V k[PIE_ARS_ROUNDS + 1], off[MC_UNROLL];
    for (int r = 0; r <= PIE_ARS_ROUNDS; r++)
        k[r] = MC_KEY(rk[r]);
    for (int j = 0; j < MC_UNROLL; j++)
        off[j] = MC_STEP((uint64_t)j * MC_LANES);
    const MC_V step1 = MC_STEP(MC_LANES), step_all = MC_STEP((uint64_t)MC_LANES * MC_UNROLL);
    MC_ACC_T acc = MC_ACC_ZERO();
    MC_V c = MC_CTR(b);

    /* Round-major order: MC_UNROLL independent AES chains in flight. */
    for (; nb >= (uint64_t)MC_LANES * MC_UNROLL; nb -= (uint64_t)MC_LANES * MC_UNROLL) {
        MC_V v[MC_UNROLL];
        for (int j = 0; j < MC_UNROLL; j++)
            v[j] = MC_XOR(MC_ADD64(c, off[j]), k[0]);
        for (int r = 1; r < PIE_ARS_ROUNDS; r++)
            for (int j = 0; j < MC_UNROLL; j++)
                v[j] = MC_ENC(v[j], k[r]);
        for (int j = 0; j < MC_UNROLL; j++)
            v[j] = MC_ENCLAST(v[j], k[PIE_ARS_ROUNDS]);
        for (int j = 0; j < MC_UNROLL; j++)
            MC_COUNT(acc, v[j]);
        c = MC_ADD64(c, step_all);
        b += (uint64_t)MC_LANES * MC_UNROLL;
    }
    for (; nb >= MC_LANES; nb -= MC_LANES) {
        MC_V v = MC_XOR(c, k[0]);
        for (int r = 1; r < PIE_ARS_ROUNDS; r++)
            v = MC_ENC(v, k[r]);
        v = MC_ENCLAST(v, k[PIE_ARS_ROUNDS]);
        MC_COUNT(acc, v);
        c = MC_ADD64(c, step1);
        b += MC_LANES;
    }
    return MC_ACC_SUM(acc) + pie__mc_outside_blocks1(rk, b, nb);
}

#undef MC_OUTSIDE
#undef MC_ATTR
#undef MC_V
#undef MC_LANES
#undef MC_UNROLL
#undef MC_KEY
#undef MC_CTR
#undef MC_STEP
#undef MC_XOR
#undef MC_ADD64
#undef MC_ENC
#undef MC_ENCLAST
#undef MC_ACC_T
#undef MC_ACC_ZERO
#undef MC_COUNT
#undef MC_ACC_SUM
