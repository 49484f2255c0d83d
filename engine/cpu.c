/** @brief CPU feature detection (CPUID + XCR0) and kernel selection; the portable path always
 * exists. */
#include "cpu.h"
#include "mc_simd.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

unsigned pie__cpu_features(void)
{
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if (c & bit_SSE4_1)
        f |= PIE_CPU_SSE41;
    if (c & bit_SSE4_2)
        f |= PIE_CPU_SSE42;
    if (c & bit_AES)
        f |= PIE_CPU_AES;
    int osxsave = (c & bit_OSXSAVE) != 0;
    int avx = (c & bit_AVX) != 0;
    uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    /* The OS must save XMM and YMM state (bits 1, 2) for AVX, and also the
     * opmask and ZMM state (bits 5, 6, 7) for AVX-512. */
    int os_avx = (xcr0 & 0x6) == 0x6;
    int os_avx512 = (xcr0 & 0xe6) == 0xe6;
    if (avx && os_avx)
        f |= PIE_CPU_AVX;
    if (__get_cpuid_max(0, NULL) < 7)
        return f;
    __cpuid_count(7, 0, a, b, c, d);
    if (os_avx && (b & bit_AVX2))
        f |= PIE_CPU_AVX2;
    if (b & bit_BMI2)
        f |= PIE_CPU_BMI2;
    if (b & bit_ADX)
        f |= PIE_CPU_ADX;
    if (os_avx && (c & bit_VAES))
        f |= PIE_CPU_VAES;
    if (os_avx && (c & bit_VPCLMULQDQ))
        f |= PIE_CPU_VPCLMULQDQ;
    if (os_avx512) {
        if (b & bit_AVX512F)
            f |= PIE_CPU_AVX512F;
        if (b & bit_AVX512BW)
            f |= PIE_CPU_AVX512BW;
        if (b & bit_AVX512DQ)
            f |= PIE_CPU_AVX512DQ;
        if (b & bit_AVX512VL)
            f |= PIE_CPU_AVX512VL;
        if (b & bit_AVX512IFMA)
            f |= PIE_CPU_AVX512IFMA;
    }
    return f;
}
#else
unsigned pie__cpu_features(void)
{
    return 0;
}
#endif

static const struct {
    unsigned bit;
    const char *name;
} feature_names[] = {
    {PIE_CPU_SSE41, "sse4.1"},      {PIE_CPU_SSE42, "sse4.2"},
    {PIE_CPU_AES, "aes"},           {PIE_CPU_AVX, "avx"},
    {PIE_CPU_AVX2, "avx2"},         {PIE_CPU_BMI2, "bmi2"},
    {PIE_CPU_ADX, "adx"},           {PIE_CPU_AVX512F, "avx512f"},
    {PIE_CPU_AVX512BW, "avx512bw"}, {PIE_CPU_AVX512DQ, "avx512dq"},
    {PIE_CPU_AVX512VL, "avx512vl"}, {PIE_CPU_AVX512IFMA, "avx512ifma"},
    {PIE_CPU_VAES, "vaes"},         {PIE_CPU_VPCLMULQDQ, "vpclmulqdq"},
};

const char *pie_cpu_features(void)
{
    /* Every possible answer is one of finitely many strings; build it into a
     * thread-local buffer so that the API holds no shared mutable state. */
    static _Thread_local char buf[256];
    unsigned f = pie__cpu_features();
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++) {
        if (f & feature_names[i].bit) {
            if (buf[0])
                strcat(buf, " ");
            strcat(buf, feature_names[i].name);
        }
    }
    return buf;
}

/* What each variant needs from the CPU. */
static unsigned isa_requirements(pie_isa isa)
{
    switch (isa) {
    case PIE_ISA_AESNI:
        return PIE_CPU_SSE41 | PIE_CPU_AES;
    case PIE_ISA_AVX2:
        return PIE_CPU_AVX2 | PIE_CPU_AES;
    case PIE_ISA_AVX512:
        return PIE_CPU_AVX512F | PIE_CPU_AVX512BW | PIE_CPU_AVX512VL | PIE_CPU_AES | PIE_CPU_VAES;
    default:
        return 0;
    }
}

int pie__isa_built(pie_isa isa)
{
    switch (isa) {
    case PIE_ISA_SCALAR:
        return 1;
#ifdef PIE_HAVE_ISA_AESNI
    case PIE_ISA_AESNI:
        return 1;
#endif
#ifdef PIE_HAVE_ISA_AVX2
    case PIE_ISA_AVX2:
        return 1;
#endif
#ifdef PIE_HAVE_ISA_AVX512
    case PIE_ISA_AVX512:
        return 1;
#endif
    default:
        return 0;
    }
}

pie_status pie_isa_check(pie_isa isa)
{
    if (isa == PIE_ISA_AUTO)
        return PIE_OK;
    if (!pie_isa_name(isa))
        return PIE_EINVAL;
    if (!pie__isa_built(isa))
        return PIE_EUNSUPPORTED;
    unsigned need = isa_requirements(isa);
    return (pie__cpu_features() & need) == need ? PIE_OK : PIE_EUNSUPPORTED;
}

pie_isa pie_isa_best(void)
{
    static const pie_isa order[] = {PIE_ISA_AVX512, PIE_ISA_AVX2, PIE_ISA_AESNI};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (pie_isa_check(order[i]) == PIE_OK)
            return order[i];
    return PIE_ISA_SCALAR;
}

pie_status pie__mc_select(pie_isa requested, pie_isa *used, pie_mc_count_fn *fn)
{
    pie_isa isa = requested == PIE_ISA_AUTO ? pie_isa_best() : requested;
    pie_status st = pie_isa_check(isa);
    if (st != PIE_OK)
        return st;
    *used = isa;
    switch (isa) {
#ifdef PIE_HAVE_ISA_AESNI
    case PIE_ISA_AESNI:
        *fn = pie_mc_count_aesni;
        return PIE_OK;
#endif
#ifdef PIE_HAVE_ISA_AVX2
    case PIE_ISA_AVX2:
        /* Same count either way; 256-bit VAES does two blocks per instruction. */
        *fn = pie__cpu_features() & PIE_CPU_VAES ? pie__mc_count_avx2_vaes : pie_mc_count_avx2;
        return PIE_OK;
#endif
#ifdef PIE_HAVE_ISA_AVX512
    case PIE_ISA_AVX512:
        *fn = pie_mc_count_avx512;
        return PIE_OK;
#endif
    default:
        *used = PIE_ISA_SCALAR;
        *fn = pie_mc_count_scalar;
        return PIE_OK;
    }
}
