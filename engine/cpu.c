/** @brief CPU feature detection (CPUID + XCR0), probed once and cached, masked by PIE_CPU_DISABLE.
 */
#include "cpu.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

/* Leaf 7's bits, kept only when the OS saves the registers they use. */
static unsigned leaf7(int os_avx, int os_avx512)
{
    unsigned a, b, c, d, f = 0;
    __cpuid_count(7, 0, a, b, c, d);
    (void)a;
    (void)d;
    if (os_avx && (b & bit_AVX2))
        f |= PIE_CPU_AVX2;
    if (b & bit_BMI2)
        f |= PIE_CPU_BMI2;
    if (b & bit_ADX)
        f |= PIE_CPU_ADX;
    if (b & bit_SHA)
        f |= PIE_CPU_SHA;
    if (os_avx && (c & bit_VAES))
        f |= PIE_CPU_VAES;
    if (os_avx && (c & bit_VPCLMULQDQ))
        f |= PIE_CPU_VPCLMULQDQ;
    if (os_avx512) {
        static const struct {
            unsigned cpuid, ours;
        } avx512[] = {{bit_AVX512F, PIE_CPU_AVX512F},
                      {bit_AVX512BW, PIE_CPU_AVX512BW},
                      {bit_AVX512DQ, PIE_CPU_AVX512DQ},
                      {bit_AVX512VL, PIE_CPU_AVX512VL},
                      {bit_AVX512IFMA, PIE_CPU_AVX512IFMA}};
        for (size_t i = 0; i < sizeof avx512 / sizeof avx512[0]; i++)
            if (b & avx512[i].cpuid)
                f |= avx512[i].ours;
    }
    return f;
}

static unsigned probe(void)
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
    uint64_t xcr0 = (c & bit_OSXSAVE) ? read_xcr0() : 0;
    /* The OS must save XMM and YMM state (bits 1, 2) for AVX, and also the
     * opmask and ZMM state (bits 5, 6, 7) for AVX-512. */
    int os_avx = (xcr0 & 0x6) == 0x6;
    int os_avx512 = (xcr0 & 0xe6) == 0xe6;
    if ((c & bit_AVX) && os_avx)
        f |= PIE_CPU_AVX;
    if ((c & bit_FMA) && os_avx)
        f |= PIE_CPU_FMA;
    if (__get_cpuid_max(0, NULL) >= 7)
        f |= leaf7(os_avx, os_avx512);
    return f;
}
#else
static unsigned probe(void)
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
    {PIE_CPU_AVX2, "avx2"},         {PIE_CPU_FMA, "fma"},
    {PIE_CPU_BMI2, "bmi2"},         {PIE_CPU_ADX, "adx"},
    {PIE_CPU_SHA, "sha"},           {PIE_CPU_AVX512F, "avx512f"},
    {PIE_CPU_AVX512BW, "avx512bw"}, {PIE_CPU_AVX512DQ, "avx512dq"},
    {PIE_CPU_AVX512VL, "avx512vl"}, {PIE_CPU_AVX512IFMA, "avx512ifma"},
    {PIE_CPU_VAES, "vaes"},         {PIE_CPU_VPCLMULQDQ, "vpclmulqdq"},
};
#define NFEATURES (sizeof feature_names / sizeof feature_names[0])

#define AVX512_ALL                                                                                 \
    (PIE_CPU_AVX512F | PIE_CPU_AVX512BW | PIE_CPU_AVX512DQ | PIE_CPU_AVX512VL | PIE_CPU_AVX512IFMA)

/* One name of a PIE_CPU_DISABLE list: its bits, or 0 if unknown. */
static unsigned name_bits(const char *name, size_t len)
{
    if (len == 6 && strncasecmp(name, "avx512", len) == 0)
        return AVX512_ALL;
    if (len == 3 && strncasecmp(name, "all", len) == 0)
        return ~0u;
    for (size_t i = 0; i < NFEATURES; i++)
        if (strlen(feature_names[i].name) == len &&
            strncasecmp(name, feature_names[i].name, len) == 0)
            return feature_names[i].bit;
    return 0;
}

int pie__cpu_parse_disable(const char *spec, unsigned *bits)
{
    int rc = 0;
    *bits = 0;
    while (spec && *spec) {
        size_t skip = strspn(spec, ", \t");
        spec += skip;
        size_t len = strcspn(spec, ", \t");
        if (len == 0)
            break;
        unsigned b = name_bits(spec, len);
        if (!b)
            rc = -1;
        *bits |= b;
        spec += len;
    }
    return rc;
}

/* The probe result plus one bit saying "probed", so that 0 means "not yet". */
#define PROBED (1u << 31)
static atomic_uint cached_features;
static atomic_uint cached_disabled;

static void probe_once(void)
{
    /* Races are harmless: every thread computes the same values. Unknown
     * names in PIE_CPU_DISABLE are ignored here (the library cannot report
     * them); `pie cpu-info` names them. */
    unsigned off = 0;
    pie__cpu_parse_disable(getenv("PIE_CPU_DISABLE"), &off);
    off &= ~PROBED;
    atomic_store(&cached_disabled, off);
    atomic_store(&cached_features, (probe() & ~off) | PROBED);
}

unsigned pie__cpu_features(void)
{
    unsigned f = atomic_load_explicit(&cached_features, memory_order_acquire);
    if (!f) {
        probe_once();
        f = atomic_load(&cached_features);
    }
    return f & ~PROBED;
}

unsigned pie__cpu_disabled(void)
{
    pie__cpu_features();
    return atomic_load(&cached_disabled);
}

/* Feature bits as a space-separated list in a thread-local buffer (the API
 * holds no shared mutable state). */
static const char *bits_text(unsigned f, char *buf)
{
    buf[0] = '\0';
    for (size_t i = 0; i < NFEATURES; i++) {
        if (f & feature_names[i].bit) {
            if (buf[0])
                strcat(buf, " ");
            strcat(buf, feature_names[i].name);
        }
    }
    return buf;
}

const char *pie_cpu_features(void)
{
    static _Thread_local char buf[256];
    return bits_text(pie__cpu_features(), buf);
}

const char *pie_cpu_features_disabled(void)
{
    static _Thread_local char buf[256];
    return bits_text(pie__cpu_disabled(), buf);
}
