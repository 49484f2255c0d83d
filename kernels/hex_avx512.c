/** @brief AVX-512 IFMA hex head terms: 52-bit Montgomery 2^e mod m, 48 terms at a time. */
#include "bbp_hex.h"

#include <immintrin.h>

/*
 * Each lane holds one term (one k of term j): its own modulus m < 2^49 and
 * exponent e. The exponent is scanned from the top bit of the group's largest
 * one; a lane whose exponent is shorter squares its Montgomery 1 until its
 * own bits start, which costs a few squarings and no branch. Four vectors
 * (32 consecutive k) run interleaved so the IFMA latency is hidden.
 *
 * Montgomery with R = 2^52: for x < 2m, y < 4m and m < 2^49, REDC(x*y) < 2m,
 * so values stay lazily reduced in [0, 2m) and a square times 2^bit is one
 * product, REDC(x * (x << bit)).
 *
 * The fraction r/m is taken to 104 bits exactly as in the scalar code
 * (double estimate of the quotient, exact IFMA remainder, fix-ups), so the
 * sum is bit-identical to the scalar variant.
 */

__extension__ typedef unsigned __int128 u128;

enum { V = 6 }; /* vectors per group */

#define MASK52 ((UINT64_C(1) << 52) - 1)

/* REDC(x * y) for x < 2m, y < 4m, m < 2^49: the result is below 2m. */
static inline __m512i mont_mul(__m512i x, __m512i y, __m512i m, __m512i mp)
{
    const __m512i z = _mm512_setzero_si512();
    __m512i lo = _mm512_madd52lo_epu64(z, x, y);
    __m512i hi = _mm512_madd52hi_epu64(z, x, y);
    __m512i q = _mm512_madd52lo_epu64(z, lo, mp);
    __m512i r = _mm512_madd52hi_epu64(hi, q, m);
    /* lo + low(q*m) is 0 when lo is 0 and exactly 2^52 otherwise. */
    return _mm512_mask_add_epi64(r, _mm512_test_epi64_mask(lo, lo), r, _mm512_set1_epi64(1));
}

/* REDC(x) for x < 2m, canonical in [0, m). */
static inline __m512i mont_out(__m512i x, __m512i m, __m512i mp)
{
    const __m512i z = _mm512_setzero_si512();
    __m512i q = _mm512_madd52lo_epu64(z, x, mp);
    __m512i r = _mm512_madd52hi_epu64(z, q, m);
    r = _mm512_mask_add_epi64(r, _mm512_test_epi64_mask(x, x), r, _mm512_set1_epi64(1));
    return _mm512_min_epu64(r, _mm512_sub_epi64(r, m));
}

/* floor(r * 2^52 / m) and the remainder, for r < m < 2^52 (r = 1, m = 1 gives
 * the right remainder 0). */
static inline __m512i frac52(__m512i r, __m512i m, __m512d inv52, __m512i *rem_out)
{
    const __m512i z = _mm512_setzero_si512(), one = _mm512_set1_epi64(1);
    __m512i q = _mm512_cvttpd_epu64(_mm512_mul_pd(_mm512_cvtepu64_pd(r), inv52));
    q = _mm512_min_epu64(q, _mm512_set1_epi64((long long)MASK52));
    __m512i lo = _mm512_madd52lo_epu64(z, q, m);
    __m512i hi = _mm512_madd52hi_epu64(z, q, m);
    /* r*2^52 - q*m, small and signed: the estimate is off by at most 2. */
    __m512i rem = _mm512_sub_epi64(_mm512_slli_epi64(_mm512_sub_epi64(r, hi), 52), lo);
    for (int i = 0; i < 2; i++) {
        __mmask8 neg = _mm512_cmplt_epi64_mask(rem, z);
        q = _mm512_mask_sub_epi64(q, neg, q, one);
        rem = _mm512_mask_add_epi64(rem, neg, rem, m);
    }
    for (int i = 0; i < 2; i++) {
        __mmask8 ge = _mm512_cmpge_epi64_mask(rem, m);
        q = _mm512_mask_add_epi64(q, ge, q, one);
        rem = _mm512_mask_sub_epi64(rem, ge, rem, m);
    }
    *rem_out = rem;
    return q;
}

/* -m^-1 mod 2^52 for odd m, by Newton's iteration on the IFMA low half. */
static inline __m512i neg_inv52(__m512i m)
{
    const __m512i z = _mm512_setzero_si512(), mask = _mm512_set1_epi64((long long)MASK52);
    const __m512i two = _mm512_set1_epi64(2);
    __m512i x = m;
    for (int i = 0; i < 5; i++) {
        __m512i t = _mm512_madd52lo_epu64(z, m, x);
        x = _mm512_madd52lo_epu64(z, x, _mm512_and_si512(_mm512_sub_epi64(two, t), mask));
    }
    return _mm512_and_si512(_mm512_sub_epi64(z, x), mask);
}

static void fold(u128 *sum, __m512i hi, __m512i lo)
{
    long long h[8], l[8];
    _mm512_storeu_si512(h, hi);
    _mm512_storeu_si512(l, lo);
    for (int i = 0; i < 8; i++) {
        /* Signed lane sums, sign-extended to 128 bits, added mod 2^128. */
        *sum += (u128)(__extension__(__int128) h[i]) << 76;
        *sum += (u128)(__extension__(__int128) l[i]) << 24;
    }
}

void pie__hex_head_avx512(const pie_hex_series *s, unsigned j, uint64_t k0, uint64_t k1,
                          pie_hex_u128 *acc)
{
    const __m512i one = _mm512_set1_epi64(1), z = _mm512_setzero_si512();
    const __m512i lanes = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i vb = _mm512_set1_epi64((long long)s->b[j]);
    const __m512i vc = _mm512_set1_epi64((long long)s->c[j]);
    const __m512i va = _mm512_set1_epi64((long long)s->a);
    const __m512i ve = _mm512_set1_epi64((long long)(s->e0 + s->s[j]));
    const __m512d two52 = _mm512_set1_pd(4503599627370496.0);
    /* Lanes whose term is negative. Lane i always holds a k of the parity
     * of k0 + i (groups advance by 32), so one mask serves every group. */
    __mmask8 odd_lanes = (k0 & 1) ? 0x55 : 0xaa;
    __mmask8 neg = (__mmask8)((s->neg[j] ? 0xff : 0x00) ^ (s->alternating ? odd_lanes : 0));
    u128 sum = (u128)acc->hi << 64 | acc->lo;
    __m512i acc_hi = z, acc_lo = z;
    unsigned pending = 0;
    for (uint64_t k = k0; k < k1; k += 8 * V) {
        __m512i m[V], mp[V], x[V], e[V];
        uint64_t emax = (uint64_t)(s->e0 + s->s[j]) - s->a * k;
        int top = emax ? 64 - __builtin_clzll(emax) : 0;
        /* Start from 2^t, t = the exponent's top w bits, when 2^t < m for
         * every lane (the smallest modulus is at k): saves w squarings. */
        int w = 5;
        while (w > 0 && (w > top || s->b[j] * k + s->c[j] <= UINT64_C(1) << ((1 << w) - 1)))
            w--;
        int skip = top - w;
        for (int v = 0; v < V; v++) {
            __m512i kv =
                _mm512_add_epi64(_mm512_set1_epi64((long long)(k + 8u * (unsigned)v)), lanes);
            __mmask8 live = _mm512_cmplt_epu64_mask(kv, _mm512_set1_epi64((long long)k1));
            /* Lanes past k1 become m = 1, e = 0: their fraction is 0. */
            m[v] = _mm512_mask_blend_epi64(live, one, _mm512_madd52lo_epu64(vc, kv, vb));
            e[v] = _mm512_maskz_sub_epi64(live, ve, _mm512_madd52lo_epu64(z, kv, va));
            mp[v] = neg_inv52(m[v]);
            /* Montgomery form of 2^t: 2^t * 2^52 mod m, the remainder of
             * frac52 (2^t < m; a dead lane has t = 0, m = 1, remainder 0). */
            __m512i t = _mm512_srl_epi64(e[v], _mm_cvtsi32_si128(skip));
            (void)frac52(_mm512_sllv_epi64(one, t), m[v],
                         _mm512_div_pd(two52, _mm512_cvtepu64_pd(m[v])), &x[v]);
        }
        for (int b = skip - 1; b >= 0; b--) {
            const __m128i sh = _mm_cvtsi32_si128(b);
            for (int v = 0; v < V; v++) {
                /* x^2 * 2^bit in one product: REDC(x * (x << bit)). */
                __m512i bit = _mm512_and_si512(_mm512_srl_epi64(e[v], sh), one);
                x[v] = mont_mul(x[v], _mm512_sllv_epi64(x[v], bit), m[v], mp[v]);
            }
        }
        for (int v = 0; v < V; v++) {
            __m512i r = mont_out(x[v], m[v], mp[v]), rem;
            __m512d inv52 = _mm512_div_pd(two52, _mm512_cvtepu64_pd(m[v]));
            __m512i q1 = frac52(r, m[v], inv52, &rem);
            __m512i q2 = frac52(rem, m[v], inv52, &rem);
            acc_hi = _mm512_mask_sub_epi64(acc_hi, neg, acc_hi, q1);
            acc_hi = _mm512_mask_add_epi64(acc_hi, (__mmask8)~neg, acc_hi, q1);
            acc_lo = _mm512_mask_sub_epi64(acc_lo, neg, acc_lo, q2);
            acc_lo = _mm512_mask_add_epi64(acc_lo, (__mmask8)~neg, acc_lo, q2);
        }
        /* Each lane gained V terms below 2^52: fold long before 2^63. */
        if ((pending += V) >= 1024) {
            fold(&sum, acc_hi, acc_lo);
            acc_hi = acc_lo = z;
            pending = 0;
        }
    }
    fold(&sum, acc_hi, acc_lo);
    acc->lo = (uint64_t)sum;
    acc->hi = (uint64_t)(sum >> 64);
}
