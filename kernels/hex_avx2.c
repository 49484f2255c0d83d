/** @brief AVX2+FMA hex head terms: 2^e mod m in doubles with exact FMA remainders, 32 at a time. */
#include "bbp_hex.h"

#include <immintrin.h>

/*
 * For CPUs without AVX-512 IFMA. Residues live in doubles (integers below
 * m < 2^50, exact). A square x^2 mod m is
 *
 *     h = x*x (rounded), l = fma(x, x, -h) (exact: x^2 = h + l),
 *     q = floor(h * (1/m))            (within 1 of floor(x^2/m)),
 *     r = fma(-q, m, h) + l           (exact: an integer below 2^53),
 *
 * then one fix-up each way brings r into [0, m). The fraction r/m is taken to
 * 104 bits exactly as in the scalar code, so the sums are bit-identical.
 */

enum { V = 8 }; /* vectors per group, 4 lanes each */

static inline __m256d sqr_mod(__m256d x, __m256d m, __m256d minv)
{
    const __m256d z = _mm256_setzero_pd();
    __m256d h = _mm256_mul_pd(x, x);
    __m256d l = _mm256_fmsub_pd(x, x, h);
    __m256d q = _mm256_floor_pd(_mm256_mul_pd(h, minv));
    __m256d r = _mm256_add_pd(_mm256_fnmadd_pd(q, m, h), l);
    r = _mm256_add_pd(r, _mm256_and_pd(_mm256_cmp_pd(r, z, _CMP_LT_OQ), m));
    return _mm256_sub_pd(r, _mm256_and_pd(_mm256_cmp_pd(r, m, _CMP_GE_OQ), m));
}

/* floor(r * 2^52 / m) and the remainder, for integers r < m < 2^50. */
static inline __m256d frac52(__m256d r, __m256d m, __m256d inv52, __m256d *rem_out)
{
    const __m256d z = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    const __m256d two52 = _mm256_set1_pd(4503599627370496.0);
    __m256d q = _mm256_floor_pd(_mm256_mul_pd(r, inv52));
    /* r*2^52 - q*m is an integer below 2^53 in size: the FMA is exact. */
    __m256d rem = _mm256_fnmadd_pd(q, m, _mm256_mul_pd(r, two52));
    for (int i = 0; i < 2; i++) {
        __m256d neg = _mm256_cmp_pd(rem, z, _CMP_LT_OQ);
        q = _mm256_sub_pd(q, _mm256_and_pd(neg, one));
        rem = _mm256_add_pd(rem, _mm256_and_pd(neg, m));
    }
    for (int i = 0; i < 2; i++) {
        __m256d ge = _mm256_cmp_pd(rem, m, _CMP_GE_OQ);
        q = _mm256_add_pd(q, _mm256_and_pd(ge, one));
        rem = _mm256_sub_pd(rem, _mm256_and_pd(ge, m));
    }
    *rem_out = rem;
    return q;
}

/* An integer-valued double in [0, 2^52) to a 64-bit lane. */
static inline __m256i to_int(__m256d q)
{
    const __m256d two52 = _mm256_set1_pd(4503599627370496.0);
    return _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(q, two52)),
                            _mm256_castpd_si256(two52));
}

__extension__ typedef unsigned __int128 u128;

static void fold(u128 *sum, __m256i hi, __m256i lo)
{
    long long h[4], l[4];
    _mm256_storeu_si256((__m256i *)h, hi);
    _mm256_storeu_si256((__m256i *)l, lo);
    for (int i = 0; i < 4; i++) {
        *sum += (u128)(__extension__(__int128) h[i]) << 76;
        *sum += (u128)(__extension__(__int128) l[i]) << 24;
    }
}

void pie__hex_head_avx2(const pie_hex_series *s, unsigned j, uint64_t k0, uint64_t k1,
                        pie_hex_u128 *acc)
{
    u128 sum = (u128)acc->hi << 64 | acc->lo;
    __m256i acc_hi = _mm256_setzero_si256(), acc_lo = _mm256_setzero_si256();
    unsigned pending = 0;
    for (uint64_t k = k0; k < k1; k += 4 * V) {
        double md[4 * V], minv[4 * V], xd[4 * V];
        long long e[4 * V], neg[4 * V];
        uint64_t emax = 0;
        for (unsigned i = 0; i < 4 * V; i++) {
            uint64_t kk = k + i;
            int live = kk < k1;
            /* Lanes past k1 become m = 1, e = 0, x = 0: their fraction is 0. */
            uint64_t m = live ? s->b[j] * kk + s->c[j] : 1;
            uint64_t ei = live ? (uint64_t)(s->e0 - (int64_t)(s->a * kk) + s->s[j]) : 0;
            md[i] = (double)m;
            minv[i] = 1.0 / md[i];
            xd[i] = m == 1 ? 0.0 : 1.0;
            e[i] = (long long)ei;
            neg[i] = -(long long)(s->neg[j] ^ (s->alternating & (int)(kk & 1)));
            emax = ei > emax ? ei : emax;
        }
        __m256d x[V], m[V], mi[V];
        __m256i ev[V];
        for (int v = 0; v < V; v++) {
            x[v] = _mm256_loadu_pd(xd + 4 * v);
            m[v] = _mm256_loadu_pd(md + 4 * v);
            mi[v] = _mm256_loadu_pd(minv + 4 * v);
            ev[v] = _mm256_loadu_si256((const __m256i *)(e + 4 * v));
        }
        int top = emax ? 64 - __builtin_clzll(emax) : 0;
        for (int b = top - 1; b >= 0; b--) {
            const __m256i bit = _mm256_set1_epi64x((long long)(UINT64_C(1) << b));
            for (int v = 0; v < V; v++) {
                __m256d y = sqr_mod(x[v], m[v], mi[v]);
                __m256d set =
                    _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_and_si256(ev[v], bit), bit));
                y = _mm256_add_pd(y, _mm256_and_pd(y, set));
                x[v] = _mm256_sub_pd(y, _mm256_and_pd(_mm256_cmp_pd(y, m[v], _CMP_GE_OQ), m[v]));
            }
        }
        for (int v = 0; v < V; v++) {
            const __m256d two52 = _mm256_set1_pd(4503599627370496.0);
            __m256d inv52 = _mm256_div_pd(two52, m[v]), rem;
            __m256i q1 = to_int(frac52(x[v], m[v], inv52, &rem));
            __m256i q2 = to_int(frac52(rem, m[v], inv52, &rem));
            __m256i ng = _mm256_loadu_si256((const __m256i *)(neg + 4 * v));
            /* (q ^ neg) - neg negates the lanes whose term is negative. */
            acc_hi = _mm256_add_epi64(acc_hi, _mm256_sub_epi64(_mm256_xor_si256(q1, ng), ng));
            acc_lo = _mm256_add_epi64(acc_lo, _mm256_sub_epi64(_mm256_xor_si256(q2, ng), ng));
        }
        if ((pending += V) >= 1024) {
            fold(&sum, acc_hi, acc_lo);
            acc_hi = acc_lo = _mm256_setzero_si256();
            pending = 0;
        }
    }
    fold(&sum, acc_hi, acc_lo);
    acc->lo = (uint64_t)sum;
    acc->hi = (uint64_t)(sum >> 64);
}
