/** @brief ARS-5, the counter-based generator behind Monte Carlo sampling (Random123's
 * ars4x32_R(5)). */
#ifndef PIE_ARS_H
#define PIE_ARS_H

#include <stdint.h>

/*
 * ARS-R (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC11)
 * encrypts a 128-bit counter with R AES rounds under a Weyl-sequence key
 * schedule: v = ctr ^ k; then R-1 times k += W, v = aesenc(v, k); finally
 * k += W, v = aesenclast(v, k), where W = (0x9E3779B97F4A7C15,
 * 0xBB67AE8584CAA73B) added to the two 64-bit halves of the key.
 * pie uses R = 5 (no known statistical flaw at R >= 5 per its authors).
 * Words are little-endian 32-bit lanes, word 0 lowest, exactly as
 * Random123's ars4x32 lays them out, so the known-answer test can compare
 * against Random123 directly.
 */

#define PIE_ARS_ROUNDS 5
#define PIE_ARS_WEYL_LO UINT64_C(0x9E3779B97F4A7C15)
#define PIE_ARS_WEYL_HI UINT64_C(0xBB67AE8584CAA73B)

/* Portable software implementation (table-driven AES round). */
void pie__ars5_soft(const uint32_t ctr[4], const uint32_t key[4], uint32_t out[4]);

/*
 * The Monte Carlo sample mapping, part of the definition of a result:
 * sample i uses block b = i / 2 with counter (b mod 2^32, b / 2^32, 0, 0) and
 * key (seed mod 2^32, seed / 2^32, 0, 0). Sample 2b takes words (0, 1) of the
 * output as (x, y), sample 2b+1 takes words (2, 3). The point is the cell
 * centre X = x | 1, Y = y | 1 of a 2^31 x 2^31 lattice scaled by 2^32; it is
 * inside iff X^2 + Y^2 < 2^64, i.e. iff the 64-bit sum does not wrap.
 */
static inline unsigned pie_mc_inside(uint32_t x, uint32_t y)
{
    uint64_t xx = (uint64_t)(x | 1u) * (x | 1u);
    uint64_t yy = (uint64_t)(y | 1u) * (y | 1u);
    return xx + yy >= xx; /* no wrap-around: X^2 + Y^2 < 2^64 */
}

#endif
