/** @brief Reference values straight from Random123's ars4x32 (AES-NI); compiled with -maes, called
 * only on CPUs with AES. */
#include "r123_ref.h"

#include <Random123/ars.h>

void r123_ars5(const uint32_t ctr[4], const uint32_t key[4], uint32_t out[4])
{
    ars4x32_ctr_t c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
    ars4x32_key_t k = {{key[0], key[1], key[2], key[3]}};
    ars4x32_ctr_t r = ars4x32_R(5, c, k);
    for (int i = 0; i < 4; i++)
        out[i] = r.v[i];
}

/* The Monte Carlo mapping written out again from its definition in
 * kernels/ars.h, on top of Random123 itself rather than pie's generator. */
uint64_t r123_mc_count(uint64_t seed, uint64_t first, uint64_t count)
{
    uint64_t inside = 0;
    ars4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32), 0, 0}};
    for (uint64_t i = first; i < first + count; i++) {
        uint64_t b = i / 2;
        ars4x32_ctr_t c = {{(uint32_t)b, (uint32_t)(b >> 32), 0, 0}};
        ars4x32_ctr_t r = ars4x32_R(5, c, k);
        uint64_t x = (uint64_t)(r.v[(i % 2) * 2] | 1u), y = (uint64_t)(r.v[(i % 2) * 2 + 1] | 1u);
        /* x^2 + y^2 < 2^64, evaluated in long double-free integer form:
         * compare y^2 with 2^64 - x^2 (x^2 < 2^64 since x < 2^32). */
        uint64_t room = UINT64_MAX - x * x; /* 2^64 - 1 - x^2 */
        inside += y * y <= room;
    }
    return inside;
}
