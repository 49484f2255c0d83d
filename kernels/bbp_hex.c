/** @brief BBP and Bellard hex digit extraction: series, scalar Montgomery reference, chunks. */
#include "bbp_hex.h"

#include <limits.h>

__extension__ typedef unsigned __int128 u128;

#define MASK52 ((UINT64_C(1) << 52) - 1)
#define TWO52 4503599627370496.0

static u128 to_u128(pie_hex_u128 v)
{
    return (u128)v.hi << 64 | v.lo;
}

static pie_hex_u128 from_u128(u128 v)
{
    pie_hex_u128 r = {(uint64_t)v, (uint64_t)(v >> 64)};
    return r;
}

/* ------------------------------------------------------------------------ */
/* Series                                                                   */

int pie__hex_series_init(pie_hex_series *s, int formula, uint64_t d)
{
    static const int bbp_s[] = {2, -1, 0, -1};
    static const int bbp_neg[] = {0, 1, 1, 1};
    static const uint64_t bbp_b[] = {8, 2, 8, 4}, bbp_c[] = {1, 1, 5, 3};
    static const int bel_s[] = {5, 0, 8, 6, 2, 2, 0};
    static const int bel_neg[] = {1, 1, 0, 1, 1, 1, 0};
    static const uint64_t bel_b[] = {4, 4, 10, 10, 10, 10, 10}, bel_c[] = {1, 3, 1, 3, 5, 7, 9};
    if (d >= PIE_HEXK_MAX_POSITION)
        return PIE_K_EINVAL;
    memset(s, 0, sizeof *s);
    s->formula = formula;
    const int *ss, *neg;
    const uint64_t *b, *c;
    if (formula == PIE_HEXK_BBP) {
        s->nterms = 4;
        s->e0 = (int64_t)(4 * d);
        s->a = 4;
        ss = bbp_s, neg = bbp_neg, b = bbp_b, c = bbp_c;
    } else if (formula == PIE_HEXK_BELLARD) {
        s->nterms = 7;
        s->alternating = 1;
        s->e0 = (int64_t)(4 * d) - 6;
        s->a = 10;
        ss = bel_s, neg = bel_neg, b = bel_b, c = bel_c;
    } else {
        return PIE_K_EINVAL;
    }
    int smin = INT_MAX, smax = INT_MIN;
    for (unsigned j = 0; j < s->nterms; j++) {
        s->s[j] = ss[j];
        s->neg[j] = neg[j];
        s->b[j] = b[j];
        s->c[j] = c[j];
        smin = ss[j] < smin ? ss[j] : smin;
        smax = ss[j] > smax ? ss[j] : smax;
    }
    int64_t lo = s->e0 + smin, hi = s->e0 + smax + 127;
    s->k_head = lo < 0 ? 0 : (uint64_t)lo / s->a + 1;
    s->k_end = hi < 0 ? 0 : (uint64_t)hi / s->a + 1;
    return PIE_K_OK;
}

pie_hex_u128 pie__hex_error_bound(const pie_hex_series *s)
{
    /* Each head term is cut below 2^-104 (2^24 units), each tail term below
     * one unit, and everything after k_end sums to less than 2^-123: one
     * more 2^24 covers it. Up to 2^43 terms: this needs 128 bits. */
    return from_u128(((u128)s->nterms * s->k_end + 1) << 24);
}

/* ------------------------------------------------------------------------ */
/* Scalar arithmetic: 64-bit Montgomery (R = 2^64), lazy values in [0, 2m). */

static uint64_t mont_neg_inv(uint64_t m)
{
    uint64_t x = m; /* correct to 3 bits for odd m; each step doubles that */
    for (int i = 0; i < 5; i++)
        x *= 2 - m * x;
    return 0 - x;
}

static inline uint64_t redc(u128 t, uint64_t m, uint64_t mi)
{
    uint64_t q = (uint64_t)t * mi;
    return (uint64_t)((t + (u128)q * m) >> 64);
}

static inline uint64_t bitlen(uint64_t e)
{
    return e ? 64 - (uint64_t)__builtin_clzll(e) : 0;
}

uint64_t pie__hex_pow2mod(uint64_t e, uint64_t m)
{
    uint64_t mi = mont_neg_inv(m), m2 = 2 * m;
    uint64_t x = (0 - m) % m; /* R mod m: Montgomery form of 1 */
    for (uint64_t b = bitlen(e); b-- > 0;) {
        x = redc((u128)x * x, m, mi);
        x += x & (0 - ((e >> b) & 1)); /* double where the bit is set */
        x = x >= m2 ? x - m2 : x;
    }
    x = redc(x, m, mi);
    return x >= m ? x - m : x;
}

/* floor(r * 2^52 / m) for r < m < 2^52, and the remainder: a double estimate
 * corrected exactly. */
static inline uint64_t frac52(uint64_t r, uint64_t m, double inv52, uint64_t *rem_out)
{
    uint64_t q = (uint64_t)((double)r * inv52);
    q = q > MASK52 ? MASK52 : q;
    int64_t rem = (int64_t)(uint64_t)(((u128)r << 52) - (u128)q * m);
    while (rem < 0)
        q--, rem += (int64_t)m;
    while (rem >= (int64_t)m)
        q++, rem -= (int64_t)m;
    *rem_out = (uint64_t)rem;
    return q;
}

/* r/m (r < m) cut to 104 fraction bits, in units of 2^-128. */
static inline u128 head_value(uint64_t r, uint64_t m)
{
    double inv52 = TWO52 / (double)m;
    uint64_t rem, q1 = frac52(r, m, inv52, &rem);
    uint64_t q2 = frac52(rem, m, inv52, &rem);
    return (u128)q1 << 76 | (u128)q2 << 24;
}

static inline int term_neg(const pie_hex_series *s, unsigned j, uint64_t k)
{
    return s->neg[j] ^ (s->alternating & (int)(k & 1));
}

/* One term of any kind: head, tail or negligible. */
static u128 term_value(const pie_hex_series *s, unsigned j, uint64_t k)
{
    int64_t e = s->e0 - (int64_t)(s->a * k) + s->s[j];
    uint64_t m = s->b[j] * k + s->c[j];
    u128 v;
    if (e >= 0)
        v = head_value(pie__hex_pow2mod((uint64_t)e, m), m);
    else if (e >= -127)
        v = ((u128)1 << (128 + e)) / m;
    else
        v = 0;
    return term_neg(s, j, k) ? 0 - v : v;
}

/* Four consecutive k at once: independent multiply chains keep the
 * multiplier busy. */
void pie__hex_head_scalar(const pie_hex_series *s, unsigned j, uint64_t k0, uint64_t k1,
                          pie_hex_u128 *acc)
{
    enum { L = 4 };
    u128 sum = to_u128(*acc);
    for (uint64_t k = k0; k < k1; k += L) {
        uint64_t m[L], mi[L], m2[L], x[L], e[L], emax = 0;
        for (int i = 0; i < L; i++) {
            int live = k + (uint64_t)i < k1;
            m[i] = live ? s->b[j] * (k + (uint64_t)i) + s->c[j] : 1;
            e[i] = live ? (uint64_t)(s->e0 - (int64_t)(s->a * (k + (uint64_t)i)) + s->s[j]) : 0;
            mi[i] = mont_neg_inv(m[i]);
            m2[i] = 2 * m[i];
            x[i] = (0 - m[i]) % m[i];
            emax = e[i] > emax ? e[i] : emax;
        }
        for (uint64_t b = bitlen(emax); b-- > 0;) {
            for (int i = 0; i < L; i++) {
                uint64_t y = redc((u128)x[i] * x[i], m[i], mi[i]);
                y += y & (0 - ((e[i] >> b) & 1));
                x[i] = y >= m2[i] ? y - m2[i] : y;
            }
        }
        for (int i = 0; i < L; i++) {
            uint64_t r = redc(x[i], m[i], mi[i]);
            r = r >= m[i] ? r - m[i] : r;
            u128 v = head_value(r, m[i]);
            sum += term_neg(s, j, k + (uint64_t)i) ? 0 - v : v;
        }
    }
    *acc = from_u128(sum);
}

/* ------------------------------------------------------------------------ */
/* Certain digits                                                           */

unsigned pie__hex_certain_digits(pie_hex_u128 frac, pie_hex_u128 err_bound, char *out, unsigned max)
{
    static const char hex[] = "0123456789ABCDEF";
    u128 v = to_u128(frac), err = to_u128(err_bound), lo = v - err, hi = v + err;
    unsigned n = 0;
    /* An interval that wraps past 0 does not even fix the first digit. */
    if (v >= err && hi >= v) {
        while (n < max && n < 32) {
            unsigned sh = 124 - 4 * n;
            unsigned a = (unsigned)(lo >> sh) & 15, b = (unsigned)(hi >> sh) & 15;
            if (a != b)
                break;
            out[n++] = hex[a];
        }
    }
    out[n] = '\0';
    return n;
}

/* ------------------------------------------------------------------------ */
/* Job, chunks, merge                                                       */

enum { CHUNKS_PER_SERIES = 64, GROUP_K = 32, PARTIAL_BYTES = 24 };

int pie__hex_job_init(pie_hex_job *job, uint64_t d, const int *formulas, unsigned nformulas,
                      pie_hex_head_fn head)
{
    if (nformulas < 1 || nformulas > PIE_HEXK_MAX_SERIES || !head)
        return PIE_K_EINVAL;
    memset(job, 0, sizeof *job);
    job->nseries = nformulas;
    job->head = head;
    for (unsigned i = 0; i < nformulas; i++) {
        int rc = pie__hex_series_init(&job->series[i], formulas[i], d);
        if (rc != PIE_K_OK)
            return rc;
        /* About CHUNKS_PER_SERIES chunks, each a whole number of 32-term
         * groups; a function of (d, formula) only. */
        uint64_t groups = (job->series[i].k_end + GROUP_K - 1) / GROUP_K;
        uint64_t per = (groups + CHUNKS_PER_SERIES - 1) / CHUNKS_PER_SERIES;
        job->chunk_k[i] = (per ? per : 1) * GROUP_K;
        job->nchunks[i] = (job->series[i].k_end + job->chunk_k[i] - 1) / job->chunk_k[i];
    }
    return PIE_K_OK;
}

uint64_t pie__hex_job_chunks(const pie_hex_job *job)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < job->nseries; i++)
        n += job->nchunks[i];
    return n;
}

/* Which series a chunk belongs to and its index there; -1 when out of range. */
static int locate(const pie_hex_job *job, uint64_t chunk, uint64_t *local)
{
    for (unsigned i = 0; i < job->nseries && i < PIE_HEXK_MAX_SERIES; i++) {
        if (chunk < job->nchunks[i]) {
            *local = chunk;
            return (int)i;
        }
        chunk -= job->nchunks[i];
    }
    return -1;
}

static int hex_run_chunk(const void *vjob, uint64_t chunk, pie_kbuf *out)
{
    const pie_hex_job *job = vjob;
    uint64_t c;
    int i = locate(job, chunk, &c);
    if (i < 0)
        return PIE_K_EINVAL;
    const pie_hex_series *s = &job->series[i];
    uint64_t k0 = c * job->chunk_k[i], k1 = k0 + job->chunk_k[i];
    k1 = k1 < s->k_end ? k1 : s->k_end;
    uint64_t kh = k1 < s->k_head ? k1 : s->k_head;
    pie_hex_u128 acc = {0, 0};
    if (k0 < kh)
        for (unsigned j = 0; j < s->nterms; j++)
            job->head(s, j, k0, kh, &acc);
    u128 sum = to_u128(acc);
    for (uint64_t k = k0 > kh ? k0 : kh; k < k1; k++)
        for (unsigned j = 0; j < s->nterms; j++)
            sum += term_value(s, j, k);
    unsigned char bytes[PARTIAL_BYTES];
    pie_kput_u64(bytes, chunk);
    pie_kput_u64(bytes + 8, (uint64_t)sum);
    pie_kput_u64(bytes + 16, (uint64_t)(sum >> 64));
    return pie_kbuf_append(out, bytes, sizeof bytes);
}

static int hex_merge(void *vacc, const void *vjob, uint64_t chunk, const unsigned char *partial,
                     size_t len)
{
    const pie_hex_job *job = vjob;
    pie_hex_acc *acc = vacc;
    uint64_t c;
    int i = locate(job, chunk, &c);
    /* The partial names its chunk: a frame delivered for the wrong chunk is
     * caught here even though its CRC is fine. */
    if (i < 0 || len != PARTIAL_BYTES || pie_kget_u64(partial) != chunk)
        return PIE_K_ECORRUPT;
    u128 v = (u128)pie_kget_u64(partial + 16) << 64 | pie_kget_u64(partial + 8);
    acc->sum[i] = from_u128(to_u128(acc->sum[i]) + v);
    return PIE_K_OK;
}

static uint64_t hex_max_partial(const void *job, uint64_t chunk)
{
    (void)job;
    (void)chunk;
    return PARTIAL_BYTES;
}

const pie_kernel_ops pie__hex_kernel_ops = {
    .name = "hex",
    .run_chunk = hex_run_chunk,
    .merge = hex_merge,
    .max_partial = hex_max_partial,
};
