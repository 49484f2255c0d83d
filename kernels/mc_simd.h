/** @brief Vector Monte Carlo entry points beyond the per-ISA table in mc_kernel.h. */
#ifndef PIE_MC_SIMD_H
#define PIE_MC_SIMD_H

#include "mc_kernel.h"

#include <stdint.h>

#ifdef PIE_HAVE_ISA_AVX2
/* The AVX2 variant with 256-bit VAES (two ARS blocks per instruction). The
 * dispatcher picks it for PIE_ISA_AVX2 when the CPU also has VAES; plain
 * pie__mc_count_avx2 (AES-NI on 128 bits, AVX2 encoding) runs on any
 * AVX2 + AES-NI CPU. Both return exactly pie__mc_count_scalar's count. */
uint64_t pie__mc_count_avx2_vaes(uint64_t seed, uint64_t first, uint64_t count);
#endif

#endif
