/** @brief CPU feature detection (CPUID + XCR0) and per-workload kernel selection. */
#ifndef PIE_CPU_H
#define PIE_CPU_H

#include "pie.h"
#include "mc_kernel.h"

enum {
    PIE_CPU_SSE41 = 1u << 0,
    PIE_CPU_AES = 1u << 1,
    PIE_CPU_AVX = 1u << 2,
    PIE_CPU_AVX2 = 1u << 3,
    PIE_CPU_AVX512F = 1u << 4,
    PIE_CPU_AVX512BW = 1u << 5,
    PIE_CPU_AVX512DQ = 1u << 6,
    PIE_CPU_AVX512VL = 1u << 7,
    PIE_CPU_AVX512IFMA = 1u << 8,
    PIE_CPU_VAES = 1u << 9,
    PIE_CPU_VPCLMULQDQ = 1u << 10,
    PIE_CPU_BMI2 = 1u << 11,
    PIE_CPU_ADX = 1u << 12,
    PIE_CPU_SSE42 = 1u << 13
};

/* Features usable right now: the CPU has them and the OS saves their state (XCR0). */
unsigned pie__cpu_features(void);

/* Whether the variant is compiled into this build (regardless of the CPU). */
int pie__isa_built(pie_isa isa);

/* Resolve `requested` (PIE_ISA_AUTO allowed) for Monte Carlo: the variant and
 * its counting function. PIE_EUNSUPPORTED if not built or not on this CPU. */
pie_status pie__mc_select(pie_isa requested, pie_isa *used, pie_mc_count_fn *fn);

#endif
