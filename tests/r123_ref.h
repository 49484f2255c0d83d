/** @brief Random123-based reference for the generator tests. */
#ifndef PIE_R123_REF_H
#define PIE_R123_REF_H
#include <stdint.h>
void r123_ars5(const uint32_t ctr[4], const uint32_t key[4], uint32_t out[4]);
uint64_t r123_mc_count(uint64_t seed, uint64_t first, uint64_t count);
#endif
