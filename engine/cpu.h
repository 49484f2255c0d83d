/** @brief CPU features: probed once (CPUID + XCR0), masked by PIE_CPU_DISABLE, cached. */
#ifndef PIE_CPU_H
#define PIE_CPU_H

#include "pie.h"

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
    PIE_CPU_SSE42 = 1u << 13,
    PIE_CPU_FMA = 1u << 14,
    PIE_CPU_SHA = 1u << 15
};

/* Features dispatch may use: the CPU has them, the OS saves their state
 * (XCR0), and PIE_CPU_DISABLE does not hide them. Probed at the first call,
 * then a load of the cached value. */
unsigned pie__cpu_features(void);

/* The features hidden by PIE_CPU_DISABLE (bits of the enum above). */
unsigned pie__cpu_disabled(void);

/* Parse a PIE_CPU_DISABLE value into feature bits; -1 for an unknown name
 * (the library then hides nothing it does not know: see cpu.c). */
int pie__cpu_parse_disable(const char *spec, unsigned *bits);

#endif
