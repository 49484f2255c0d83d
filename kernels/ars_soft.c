/** @brief Portable ARS-5: AES rounds in plain C with the classic T-table formulation. */
#include "ars.h"
#include "ars_tables.h"

/* One AES encryption round on a state held as four little-endian column words
 * (the layout of an __m128i): SubBytes, ShiftRows and MixColumns via the
 * T-tables. Column c takes byte 0 of word c, byte 1 of word c+1, byte 2 of
 * word c+2 and byte 3 of word c+3. ROUND_LAST drops MixColumns (aesenclast).
 * Macros over local words, so the state stays in registers. */
#define TE(a, b, c, d)                                                                             \
    (pie__aes_te0[(a)&0xff] ^ pie__aes_te1[((b) >> 8) & 0xff] ^ pie__aes_te2[((c) >> 16) & 0xff] ^ \
     pie__aes_te3[(d) >> 24])
#define SB(a, b, c, d)                                                                             \
    ((uint32_t)pie__aes_sbox[(a)&0xff] | (uint32_t)pie__aes_sbox[((b) >> 8) & 0xff] << 8 |         \
     (uint32_t)pie__aes_sbox[((c) >> 16) & 0xff] << 16 | (uint32_t)pie__aes_sbox[(d) >> 24] << 24)

void pie__ars5_soft(const uint32_t ctr[4], const uint32_t key[4], uint32_t out[4])
{
    uint64_t klo = (uint64_t)key[1] << 32 | key[0], khi = (uint64_t)key[3] << 32 | key[2];
    uint32_t s0 = ctr[0] ^ key[0], s1 = ctr[1] ^ key[1], s2 = ctr[2] ^ key[2], s3 = ctr[3] ^ key[3];
    for (int r = 1; r < PIE_ARS_ROUNDS; r++) {
        klo += PIE_ARS_WEYL_LO; /* the Weyl key schedule, one step per round */
        khi += PIE_ARS_WEYL_HI;
        uint32_t t0 = TE(s0, s1, s2, s3) ^ (uint32_t)klo;
        uint32_t t1 = TE(s1, s2, s3, s0) ^ (uint32_t)(klo >> 32);
        uint32_t t2 = TE(s2, s3, s0, s1) ^ (uint32_t)khi;
        uint32_t t3 = TE(s3, s0, s1, s2) ^ (uint32_t)(khi >> 32);
        s0 = t0, s1 = t1, s2 = t2, s3 = t3;
    }
    klo += PIE_ARS_WEYL_LO;
    khi += PIE_ARS_WEYL_HI;
    out[0] = SB(s0, s1, s2, s3) ^ (uint32_t)klo;
    out[1] = SB(s1, s2, s3, s0) ^ (uint32_t)(klo >> 32);
    out[2] = SB(s2, s3, s0, s1) ^ (uint32_t)khi;
    out[3] = SB(s3, s0, s1, s2) ^ (uint32_t)(khi >> 32);
}
