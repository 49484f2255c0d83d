/** @brief Portable scalar Monte Carlo kernel: the reference every vector variant must match. */
#include "ars.h"
#include "mc_kernel.h"

static void block_words(uint64_t seed, uint64_t block, uint32_t w[4])
{
    const uint32_t key[4] = {(uint32_t)seed, (uint32_t)(seed >> 32), 0, 0};
    const uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), 0, 0};
    pie__ars5_soft(ctr, key, w);
}

uint64_t pie__mc_count_scalar(uint64_t seed, uint64_t first, uint64_t count)
{
    uint64_t inside = 0;
    uint64_t i = first, end = first + count;
    uint32_t w[4];
    if (i < end && (i & 1)) { /* odd start: second half of a block */
        block_words(seed, i >> 1, w);
        inside += pie_mc_inside(w[2], w[3]);
        i++;
    }
    for (; i + 2 <= end; i += 2) {
        block_words(seed, i >> 1, w);
        inside += pie_mc_inside(w[0], w[1]) + pie_mc_inside(w[2], w[3]);
    }
    if (i < end) { /* odd end: first half of a block */
        block_words(seed, i >> 1, w);
        inside += pie_mc_inside(w[0], w[1]);
    }
    return inside;
}
