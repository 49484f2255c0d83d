/** @brief Hex digit-extraction kernel variants, best first. Adding one: its kernels/ file, a row
 * here, a pie_hex_variant() line in CMakeLists.txt (and, for a new ISA, its enum value and name).
 */
#include "bbp_hex.h"
#include "cpu.h"
#include "variant.h"

#define FN(f) ((pie__kernel_fn)(f))
#ifdef PIE_HAVE_HEX_AVX512
#define HEX_AVX512 FN(pie__hex_head_avx512)
#else
#define HEX_AVX512 NULL
#endif
#ifdef PIE_HAVE_HEX_AVX2
#define HEX_AVX2 FN(pie__hex_head_avx2)
#else
#define HEX_AVX2 NULL
#endif

static const pie__variant rows[] = {
    {PIE_ISA_AVX512, PIE_CPU_AVX512F | PIE_CPU_AVX512DQ | PIE_CPU_AVX512VL | PIE_CPU_AVX512IFMA,
     HEX_AVX512},
    {PIE_ISA_AVX2, PIE_CPU_AVX2 | PIE_CPU_FMA, HEX_AVX2},
    {PIE_ISA_SCALAR, 0, FN(pie__hex_head_scalar)},
};

const pie__variant_table pie__hex_variants = {rows, sizeof rows / sizeof rows[0]};
