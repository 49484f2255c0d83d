/** @brief Portable ARS-5: AES rounds in plain C with the classic T-table formulation. */
#include "ars.h"
#include "ars_tables.h"

/* One AES encryption round on a state held as four little-endian column words
 * (the layout of an __m128i): SubBytes, ShiftRows and MixColumns via the
 * T-tables, then AddRoundKey. `last` drops MixColumns (aesenclast). */
static inline void aes_round(uint32_t s[4], const uint32_t rk[4], int last)
{
    uint32_t t[4];
    for (int c = 0; c < 4; c++) {
        uint32_t b0 = s[c] & 0xff;
        uint32_t b1 = (s[(c + 1) & 3] >> 8) & 0xff;
        uint32_t b2 = (s[(c + 2) & 3] >> 16) & 0xff;
        uint32_t b3 = s[(c + 3) & 3] >> 24;
        if (last)
            t[c] = (uint32_t)pie__aes_sbox[b0] | (uint32_t)pie__aes_sbox[b1] << 8 |
                   (uint32_t)pie__aes_sbox[b2] << 16 | (uint32_t)pie__aes_sbox[b3] << 24;
        else
            t[c] = pie__aes_te0[b0] ^ pie__aes_te1[b1] ^ pie__aes_te2[b2] ^ pie__aes_te3[b3];
    }
    for (int c = 0; c < 4; c++)
        s[c] = t[c] ^ rk[c];
}

static inline void weyl_step(uint32_t k[4])
{
    uint64_t lo = ((uint64_t)k[1] << 32 | k[0]) + PIE_ARS_WEYL_LO;
    uint64_t hi = ((uint64_t)k[3] << 32 | k[2]) + PIE_ARS_WEYL_HI;
    k[0] = (uint32_t)lo;
    k[1] = (uint32_t)(lo >> 32);
    k[2] = (uint32_t)hi;
    k[3] = (uint32_t)(hi >> 32);
}

void pie_ars5_soft(const uint32_t ctr[4], const uint32_t key[4], uint32_t out[4])
{
    uint32_t k[4] = {key[0], key[1], key[2], key[3]};
    uint32_t s[4];
    for (int i = 0; i < 4; i++)
        s[i] = ctr[i] ^ k[i];
    for (int r = 1; r < PIE_ARS_ROUNDS; r++) {
        weyl_step(k);
        aes_round(s, k, 0);
    }
    weyl_step(k);
    aes_round(s, k, 1);
    for (int i = 0; i < 4; i++)
        out[i] = s[i];
}
