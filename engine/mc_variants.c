/** @brief Monte Carlo kernel variants, best first. Adding one: its kernels/ file, a row here,
 * a pie_isa_variant() line in kernels/isa.cmake (and, for a new ISA, its enum value and name).
 */
#include "cpu.h"
#include "mc_kernel.h"
#include "mc_simd.h"
#include "variant.h"

#define FN(f) ((pie__kernel_fn)(f))
#ifdef PIE_HAVE_ISA_AVX512
#define MC_AVX512 FN(pie__mc_count_avx512)
#else
#define MC_AVX512 NULL
#endif
#ifdef PIE_HAVE_ISA_AVX2
#define MC_AVX2_VAES FN(pie__mc_count_avx2_vaes)
#define MC_AVX2 FN(pie__mc_count_avx2)
#else
#define MC_AVX2_VAES NULL
#define MC_AVX2 NULL
#endif
#ifdef PIE_HAVE_ISA_AESNI
#define MC_AESNI FN(pie__mc_count_aesni)
#else
#define MC_AESNI NULL
#endif

static const pie__variant rows[] = {
    {PIE_ISA_AVX512,
     PIE_CPU_AVX512F | PIE_CPU_AVX512BW | PIE_CPU_AVX512VL | PIE_CPU_AES | PIE_CPU_VAES, MC_AVX512},
    /* Same count either way; 256-bit VAES does two blocks per instruction. */
    {PIE_ISA_AVX2, PIE_CPU_AVX2 | PIE_CPU_AES | PIE_CPU_VAES, MC_AVX2_VAES},
    {PIE_ISA_AVX2, PIE_CPU_AVX2 | PIE_CPU_AES, MC_AVX2},
    {PIE_ISA_AESNI, PIE_CPU_SSE41 | PIE_CPU_AES, MC_AESNI},
    {PIE_ISA_SCALAR, 0, FN(pie__mc_count_scalar)},
};

const pie__variant_table pie__mc_variants = {rows, sizeof rows / sizeof rows[0]};
