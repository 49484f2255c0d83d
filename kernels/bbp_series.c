/** @brief Bellard's BBP-type series for pi: truncated binary splitting, Ziv-checked digits. */
#include "bbp_series.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/*
 * One term, folded over a common denominator (see bbp_series.h):
 *
 *     (-1)^n 2^-10n 2 A(n) / (5 Q(n)),  so  pi = 1/160 sum_n (-1)^n A(n) / (Q(n) 2^10n)
 *     A(n) = 8200000 n^6 + 30250000 n^5 + 45382000 n^4 + 35326200 n^3
 *            + 14990012 n^2 + 3271617 n + 285021
 *     Q(n) = (4n+1)(4n+3)(10n+1)(10n+3)(2n+1)(10n+7)(10n+9)
 *
 * (the seven fractions' common denominator has the factor 5 of 10n+5 and the
 * numerator a factor 2; both go into the constant 1/160 = 2/5 * 1/64).
 */
static const unsigned long A_COEF[7] = {8200000UL,  30250000UL, 45382000UL, 35326200UL,
                                        14990012UL, 3271617UL,  285021UL};
#define PI_DENOM 160UL

/* A node of the splitting tree: R(a, b) = T / (Q 2^e). */
typedef struct bnode {
    mpz_t T, Q;
    int64_t e;
} bnode;

static void node_init(bnode *x)
{
    mpz_init(x->T);
    mpz_init(x->Q);
    x->e = 0;
}

static void node_clear(bnode *x)
{
    mpz_clear(x->T);
    mpz_clear(x->Q);
}

static uint64_t ceil_log2(uint64_t v)
{
    uint64_t r = 0;
    while (r < 63 && (UINT64_C(1) << r) < v)
        r++;
    return r;
}

int pie__bbp_job_init(pie__bbp_job *job, uint64_t digits, unsigned base, unsigned guard)
{
    if (!job || digits < 1 || digits > PIE_BBP_MAX_DIGITS || (base != 10 && base != 16) ||
        guard < 1 || guard > 1u << 20)
        return PIE_K_EINVAL;
    memset(job, 0, sizeof *job);
    job->digits = digits;
    job->base = base;
    job->guard = guard;
    /* Bits for the digits themselves: 4 per hex digit; log2(10) per decimal
     * digit, rounded up with a margin (log2(10) < 3.3219281). */
    uint64_t own = base == 16 ? 4 * digits : (digits * UINT64_C(33219281)) / 10000000 + 2;
    job->prec = own + guard;
    /* Tail after N terms is below 2^(10 - 10N); we want it under 2^-(W+9). */
    job->nterms = (job->prec + 19) / 10 + 1;
    job->lgev = ceil_log2(2 * job->nterms);
    /* Chunks: a power of two that depends on the job only, so every backend
     * and worker count builds the same tree. */
    uint64_t c = 1;
    while (c < 16 && c * 2 * 64 <= job->nterms)
        c *= 2;
    job->nchunks = c;
    return PIE_K_OK;
}

void pie__bbp_chunk_range(const pie__bbp_job *job, uint64_t chunk, uint64_t *a, uint64_t *b)
{
    /* N * i / C without overflow: N < 2^40 and C <= 16. */
    *a = job->nterms * chunk / job->nchunks;
    *b = job->nterms * (chunk + 1) / job->nchunks;
}

/* Relative precision a node starting at term a must keep: its contribution
 * is scaled by 2^-10a, |R| < 2^9, and a truncation costs at most 2^(2-bits)
 * relative; with at most 2^lgev truncations the sum stays within 2^-(W+9). */
static uint64_t kept_bits(const pie__bbp_job *job, uint64_t a)
{
    uint64_t need = job->prec + 20 + job->lgev;
    uint64_t drop = 10 * a;
    return need > drop + 64 ? need - drop : 64;
}

/* l = [a, m) + [m, b): R = R1 + 2^-10(m-a) R2, exact. */
static void node_merge(bnode *l, bnode *r, uint64_t a, uint64_t m, mpz_t tmp)
{
    int64_t e2 = r->e + 10 * (int64_t)(m - a);
    mpz_mul(tmp, l->T, r->Q);
    mpz_mul(l->T, r->T, l->Q);
    mpz_mul(l->Q, l->Q, r->Q);
    if (e2 >= l->e) {
        mpz_mul_2exp(tmp, tmp, (mp_bitcnt_t)(e2 - l->e));
        l->e = e2;
    } else {
        mpz_mul_2exp(l->T, l->T, (mp_bitcnt_t)(l->e - e2));
    }
    mpz_add(l->T, l->T, tmp);
}

static void leaf(bnode *x, uint64_t n)
{
    mpz_set_ui(x->T, A_COEF[0]);
    for (int i = 1; i < 7; i++) {
        mpz_mul_ui(x->T, x->T, n);
        mpz_add_ui(x->T, x->T, A_COEF[i]);
    }
    if (n & 1)
        mpz_neg(x->T, x->T);
    if (n < (UINT64_C(1) << 28)) {
        mpz_set_ui(x->Q, (4 * n + 1) * (4 * n + 3));
        mpz_mul_ui(x->Q, x->Q, (10 * n + 1) * (10 * n + 3));
        mpz_mul_ui(x->Q, x->Q, (10 * n + 7) * (10 * n + 9));
        mpz_mul_ui(x->Q, x->Q, 2 * n + 1);
    } else {
        static const unsigned long mul[7][2] = {{4, 1},  {4, 3},  {10, 1}, {10, 3},
                                                {10, 7}, {10, 9}, {2, 1}};
        mpz_set_ui(x->Q, 1);
        for (int i = 0; i < 7; i++)
            mpz_mul_ui(x->Q, x->Q, mul[i][0] * n + mul[i][1]);
    }
    x->e = 0;
}

/* Exact binary splitting of [a, b) into x; tmp is scratch. Only blocks of at
 * most BLOCK terms come here, so nothing needs truncating. */
static void split(bnode *x, uint64_t a, uint64_t b, mpz_t tmp)
{
    if (b - a == 1) {
        leaf(x, a);
        return;
    }
    uint64_t m = a + (b - a) / 2;
    bnode r;
    node_init(&r);
    split(x, a, m, tmp);
    split(&r, m, b, tmp);
    node_merge(x, &r, a, m, tmp);
    node_clear(&r);
}

/* ------------------------------------------------------------------------ */
/* Small primes shared between terms. A node's denominator is kept as      */
/* R * S: S = prod p^x[p] over the odd primes p < SMALL_LIMIT, held as an   */
/* exponent vector, and R the rest, a big integer. Merging takes the least  */
/* common multiple of the S parts (the maximum exponent), not their         */
/* product: the linear factors of nearby terms share these primes, so the  */
/* integers the multiplications see shrink by about a third (a factor-      */
/* removal trick in the spirit of gmp-chudnovsky's, limited to small        */
/* primes so that the bookkeeping stays a short dense vector). Leaves are   */
/* blocks of BLOCK terms summed the plain way, whose prime exponents come   */
/* from a sieve that walks each (prime, linear factor) progression.         */

#define SMALL_LIMIT 1000u
#define NSMALL 167 /* odd primes below 1000 */
#define BLOCK 32u

static const unsigned long LIN[7][2] = {{4, 1}, {4, 3}, {10, 1}, {10, 3}, {2, 1}, {10, 7}, {10, 9}};

typedef struct lnode {
    mpz_t T, R;
    int64_t e;
    uint16_t x[NSMALL];
} lnode;

typedef struct lctx {
    const pie__bbp_job *job;
    unsigned prime[NSMALL];
    uint64_t next[NSMALL][7]; /* next term n whose factor j the prime divides */
    mpz_t tmp, f1, f2;
    bnode plain;
} lctx;

static void lctx_init(lctx *c, const pie__bbp_job *job, uint64_t a0)
{
    c->job = job;
    unsigned char comp[SMALL_LIMIT] = {0};
    unsigned np = 0;
    for (unsigned p = 3; p < SMALL_LIMIT; p += 2) {
        if (comp[p])
            continue;
        for (unsigned q = p * p; q < SMALL_LIMIT; q += 2 * p)
            comp[q] = 1;
        c->prime[np++] = p;
    }
    for (unsigned i = 0; i < NSMALL; i++) {
        unsigned p = c->prime[i];
        for (unsigned j = 0; j < 7; j++) {
            /* n0 = -d / c mod p, when c is invertible mod p. */
            unsigned cm = (unsigned)(LIN[j][0] % p), inv = 0;
            for (unsigned t = 1; t < p && cm; t++)
                if (cm * t % p == 1) {
                    inv = t;
                    break;
                }
            if (!inv) {
                c->next[i][j] = UINT64_MAX;
                continue;
            }
            uint64_t n0 = (uint64_t)(p - LIN[j][1] % p) % p * inv % p;
            uint64_t r = a0 % p;
            c->next[i][j] = a0 + (n0 + p - r) % p;
        }
    }
    mpz_inits(c->tmp, c->f1, c->f2, NULL);
    node_init(&c->plain);
}

static void lctx_clear(lctx *c)
{
    mpz_clears(c->tmp, c->f1, c->f2, NULL);
    node_clear(&c->plain);
}

/* f = prod p^(m - x) over the small primes. */
static void small_product(const lctx *c, mpz_t f, const uint16_t *m, const uint16_t *x)
{
    mpz_set_ui(f, 1);
    unsigned long acc = 1;
    for (unsigned i = 0; i < NSMALL; i++) {
        unsigned long p = c->prime[i];
        for (unsigned k = x ? x[i] : 0; k < m[i]; k++) {
            if (acc > ULONG_MAX / p) {
                mpz_mul_ui(f, f, acc);
                acc = 1;
            }
            acc *= p;
        }
    }
    mpz_mul_ui(f, f, acc);
}

static void lnode_truncate(lnode *x, uint64_t kept);

/* A block [a, b) of at most BLOCK terms: the plain sum gives T and the full
 * product Q of the denominators; the sieve gives Q's small-prime exponents;
 * R = Q / S exactly. Blocks are visited in increasing order, so the sieve
 * pointers only move forward. */
static void block_leaf(lctx *c, lnode *x, uint64_t a, uint64_t b)
{
    split(&c->plain, a, b, c->tmp);
    /* sum[i]: exponent of prime i in the plain product Q; x->x[i]: its
     * largest exponent in one term's denominator (the lcm's). */
    uint16_t sum[NSMALL], cnt[BLOCK];
    for (unsigned i = 0; i < NSMALL; i++) {
        unsigned long p = c->prime[i];
        unsigned total = 0, top = 0;
        int touched = 0;
        for (unsigned j = 0; j < 7; j++) {
            uint64_t n = c->next[i][j];
            for (; n < b; n += p) {
                if (!touched) {
                    memset(cnt, 0, sizeof cnt);
                    touched = 1;
                }
                uint64_t v = LIN[j][0] * n + LIN[j][1];
                do {
                    v /= p;
                    cnt[n - a]++;
                    total++;
                } while (v % p == 0);
            }
            c->next[i][j] = n;
        }
        for (unsigned k = 0; touched && k < b - a; k++)
            top = cnt[k] > top ? cnt[k] : top;
        sum[i] = (uint16_t)total;
        x->x[i] = (uint16_t)top;
    }
    /* R = Q / S_sum; T / Q = T' / (R S_lcm) with T' = T / (S_sum / S_lcm), exact
     * because every term's denominator divides R S_lcm. */
    small_product(c, c->f1, sum, NULL);
    mpz_divexact(x->R, c->plain.Q, c->f1);
    small_product(c, c->f2, sum, x->x);
    mpz_divexact(x->T, c->plain.T, c->f2);
    x->e = c->plain.e;
    lnode_truncate(x, kept_bits(c->job, a));
}

static void lnode_truncate(lnode *x, uint64_t kept)
{
    uint64_t limit = kept + kept / 16 + 32;
    size_t tb = mpz_sizeinbase(x->T, 2), rb = mpz_sizeinbase(x->R, 2);
    if (tb > limit) {
        mpz_tdiv_q_2exp(x->T, x->T, tb - kept);
        x->e -= (int64_t)(tb - kept);
    }
    if (rb > limit) {
        mpz_tdiv_q_2exp(x->R, x->R, rb - kept);
        x->e += (int64_t)(rb - kept);
    }
}

/* l = [a, m) + [m, b) with S = lcm(S1, S2): T = T1 R2 (S/S1) 2^.. + T2 R1 (S/S2). */
static void lnode_merge(lctx *c, lnode *l, lnode *r, uint64_t a, uint64_t m)
{
    uint16_t mx[NSMALL];
    for (unsigned i = 0; i < NSMALL; i++)
        mx[i] = l->x[i] > r->x[i] ? l->x[i] : r->x[i];
    small_product(c, c->f1, mx, l->x);
    small_product(c, c->f2, mx, r->x);
    int64_t e2 = r->e + 10 * (int64_t)(m - a);
    mpz_mul(c->tmp, l->T, r->R);
    mpz_mul(c->tmp, c->tmp, c->f1);
    mpz_mul(l->T, r->T, l->R);
    mpz_mul(l->T, l->T, c->f2);
    mpz_mul(l->R, l->R, r->R);
    memcpy(l->x, mx, sizeof mx);
    if (e2 >= l->e) {
        mpz_mul_2exp(c->tmp, c->tmp, (mp_bitcnt_t)(e2 - l->e));
        l->e = e2;
    } else {
        mpz_mul_2exp(l->T, l->T, (mp_bitcnt_t)(l->e - e2));
    }
    mpz_add(l->T, l->T, c->tmp);
    lnode_truncate(l, kept_bits(c->job, a));
}

static void lsplit(lctx *c, lnode *x, uint64_t a, uint64_t b)
{
    if (b - a <= BLOCK) {
        block_leaf(c, x, a, b);
        return;
    }
    uint64_t m = a + (b - a) / 2;
    lnode r; /* ~400 bytes a level, at most ~40 levels deep */
    mpz_inits(r.T, r.R, NULL);
    lsplit(c, x, a, m);
    lsplit(c, &r, m, b);
    lnode_merge(c, x, &r, a, m);
    mpz_clears(r.T, r.R, NULL);
}

/* ------------------------------------------------------------------------ */
/* Partials. A chunk does its own division: its partial is the fixed-point  */
/* number G = floor(R(a, b) 2^(K - 10a)) at the common scale K = W + 20 +   */
/* lgev, so that the parent only adds C integers. The divisions, the        */
/* costliest operations on the largest numbers, run on the workers.         */
/* Layout: five little-endian u64 (magic, a, b, sign, bytes of |G|), then   */
/* |G| as little-endian bytes.                                              */

#define PARTIAL_MAGIC UINT64_C(0x3253504242454950) /* "PIEBBPS2" little-endian */
#define PARTIAL_HEADER 40u

static uint64_t scale_bits(const pie__bbp_job *job)
{
    return job->prec + 20 + job->lgev;
}

/* Bits of |G| for a chunk starting at a: R < 2^9 and 10a < S. */
static uint64_t partial_bits(const pie__bbp_job *job, uint64_t a)
{
    return scale_bits(job) - 10 * a + 16;
}

static int bbp_run_chunk(const void *jobp, uint64_t chunk, pie_kbuf *out)
{
    const pie__bbp_job *job = jobp;
    if (chunk >= job->nchunks)
        return PIE_K_EINVAL;
    uint64_t a, b;
    pie__bbp_chunk_range(job, chunk, &a, &b);
    if (b <= a)
        return PIE_K_EINVAL;
    lctx *c = malloc(sizeof *c);
    lnode *x = malloc(sizeof *x);
    if (!c || !x) {
        free(c);
        free(x);
        return PIE_K_ENOMEM;
    }
    lctx_init(c, job, a);
    mpz_inits(x->T, x->R, NULL);
    lsplit(c, x, a, b);
    /* Q = R S; G = floor(T 2^(K - 10a - e) / Q); a right shift first is
     * exact too, since floor(floor(y) / Q) = floor(y / Q) for integer Q > 0. */
    small_product(c, c->f1, x->x, NULL);
    mpz_mul(x->R, x->R, c->f1);
    mpz_t tmp;
    mpz_init(tmp);
    int64_t sh = (int64_t)scale_bits(job) - 10 * (int64_t)a - x->e;
    if (sh >= 0)
        mpz_mul_2exp(tmp, x->T, (mp_bitcnt_t)sh);
    else
        mpz_fdiv_q_2exp(tmp, x->T, (mp_bitcnt_t)-sh);
    mpz_fdiv_q(tmp, tmp, x->R);
    mpz_clears(x->T, x->R, NULL);
    free(x);
    lctx_clear(c);
    free(c);

    int rc = PIE_K_OK;
    size_t nbytes = mpz_sgn(tmp) ? (mpz_sizeinbase(tmp, 2) + 7) / 8 : 0;
    if (nbytes * 8 > partial_bits(job, a) + 8)
        rc = PIE_K_ECORRUPT; /* cannot happen unless the error analysis is wrong */
    if (rc == PIE_K_OK)
        rc = pie_kbuf_reserve(out, PARTIAL_HEADER + nbytes);
    if (rc == PIE_K_OK) {
        unsigned char *p = out->data + out->len;
        uint64_t hdr[5] = {PARTIAL_MAGIC, a, b, mpz_sgn(tmp) < 0 ? 1u : 0u, nbytes};
        for (int i = 0; i < 5; i++)
            pie_kput_u64(p + 8 * i, hdr[i]);
        size_t cnt = 0;
        if (nbytes)
            mpz_export(p + PARTIAL_HEADER, &cnt, -1, 1, -1, 0, tmp);
        if (cnt == nbytes)
            out->len += PARTIAL_HEADER + nbytes;
        else
            rc = PIE_K_ECORRUPT;
    }
    mpz_clear(tmp);
    return rc;
}

static uint64_t bbp_max_partial(const void *jobp, uint64_t chunk)
{
    const pie__bbp_job *job = jobp;
    uint64_t a, b;
    if (chunk >= job->nchunks)
        return 0;
    pie__bbp_chunk_range(job, chunk, &a, &b);
    return PARTIAL_HEADER + partial_bits(job, a) / 8 + 2;
}

uint64_t pie__bbp_chunk_bits(const pie__bbp_job *job, uint64_t chunk)
{
    /* The chunk's splitting tree: Q(n) < (10n+10)^7 and |T| < Q 2^(10(b-a)+10),
     * until truncation caps both near kept(a). */
    uint64_t a, b;
    pie__bbp_chunk_range(job, chunk, &a, &b);
    uint64_t per = 7 * (ceil_log2(10 * b + 10) + 1);
    uint64_t untrunc = (b - a) * per + 128, cap = kept_bits(job, a) * 9 / 8 + 64;
    return untrunc < cap ? untrunc : cap;
}

/* ------------------------------------------------------------------------ */
/* The accumulator: the sum of the chunks' fixed-point partials.            */

struct pie__bbp_acc {
    mpz_t sum;
    uint64_t next_chunk;
};

pie__bbp_acc *pie__bbp_acc_new(void)
{
    pie__bbp_acc *acc = calloc(1, sizeof *acc);
    if (acc)
        mpz_init(acc->sum);
    return acc;
}

void pie__bbp_acc_free(pie__bbp_acc *acc)
{
    if (!acc)
        return;
    mpz_clear(acc->sum);
    free(acc);
}

static int bbp_merge(void *accp, const void *jobp, uint64_t chunk, const unsigned char *p,
                     size_t len)
{
    pie__bbp_acc *acc = accp;
    const pie__bbp_job *job = jobp;
    if (chunk != acc->next_chunk || chunk >= job->nchunks)
        return PIE_K_EINVAL;
    uint64_t a, b, h[5];
    if (len < PARTIAL_HEADER)
        return PIE_K_ECORRUPT;
    for (int i = 0; i < 5; i++)
        h[i] = pie_kget_u64(p + 8 * i);
    pie__bbp_chunk_range(job, chunk, &a, &b);
    if (h[0] != PARTIAL_MAGIC || h[1] != a || h[2] != b || h[3] > 1 ||
        h[4] > partial_bits(job, a) / 8 + 2 || len != PARTIAL_HEADER + h[4])
        return PIE_K_ECORRUPT;
    mpz_t g;
    mpz_init(g);
    mpz_import(g, h[4], -1, 1, -1, 0, p + PARTIAL_HEADER);
    if (h[3])
        mpz_neg(g, g);
    mpz_add(acc->sum, acc->sum, g);
    mpz_clear(g);
    acc->next_chunk++;
    return PIE_K_OK;
}

const pie_kernel_ops pie__bbp_series_ops = {
    .name = "bbp-bellard",
    .run_chunk = bbp_run_chunk,
    .merge = bbp_merge,
    .max_partial = bbp_max_partial,
};

/* ------------------------------------------------------------------------ */
/* Finalizing                                                               */

int pie__bbp_fixed(pie__bbp_acc *acc, const pie__bbp_job *job, mpz_t x)
{
    if (acc->next_chunk != job->nchunks)
        return PIE_K_EINVAL;
    /* sum ~ R 2^K with an error far below 2^(K-W); pi 2^W = R 2^W / 160:
     * X = floor(sum / (160 2^(K-W))), two exact floors in a row. */
    mpz_fdiv_q_2exp(x, acc->sum, scale_bits(job) - job->prec);
    mpz_fdiv_q_ui(x, x, PI_DENOM);
    return PIE_K_OK;
}

int pie__bbp_floor(const pie__bbp_job *job, const mpz_t x, mpz_t y)
{
    const uint64_t D = job->digits;
    mpz_t hi, scale;
    mpz_inits(hi, scale, NULL);
    uint64_t sh;
    if (job->base == 16) {
        sh = job->prec - 4 * D;
        mpz_set_ui(scale, 1);
    } else {
        sh = job->prec - D;
        mpz_ui_pow_ui(scale, 5, D);
    }
    /* Every v in [X-3, X+3] must give the same floor(v scale / 2^sh). */
    mpz_sub_ui(y, x, 3);
    mpz_mul(y, y, scale);
    mpz_mul_ui(hi, scale, 6);
    mpz_add(hi, hi, y);
    mpz_clear(scale);
    mpz_fdiv_q_2exp(y, y, sh);
    mpz_fdiv_q_2exp(hi, hi, sh);
    int rc = mpz_cmp(y, hi) == 0 ? PIE_K_OK : PIE_BBP_RETRY;
    mpz_clear(hi);
    return rc;
}

int pie__bbp_text(const mpz_t y, unsigned base, uint64_t ndigits, char *out)
{
    if (mpz_sgn(y) < 0)
        return PIE_K_EINVAL;
    size_t n = mpz_sizeinbase(y, (int)base);
    if (mpz_sgn(y) == 0)
        n = 0;
    if (n > ndigits + 1)
        return PIE_K_EINVAL;
    /* mpz_get_str writes up to sizeinbase digits plus NUL; sizeinbase may
     * overestimate by one, so write into a scratch of that size. */
    char *tmp = malloc(n + 2);
    if (!tmp)
        return PIE_K_ENOMEM;
    size_t len = 0;
    if (n) {
        mpz_get_str(tmp, base == 16 ? -16 : (int)base, y);
        len = strlen(tmp);
    }
    if (len > ndigits) {
        free(tmp);
        return PIE_K_EINVAL;
    }
    memset(out, '0', ndigits - len);
    memcpy(out + (ndigits - len), tmp, len);
    free(tmp);
    return PIE_K_OK;
}

int pie__bbp_digits(const pie__bbp_job *job, const mpz_t x, char **text, size_t *len)
{
    const uint64_t D = job->digits;
    mpz_t y;
    mpz_init(y);
    int rc = pie__bbp_floor(job, x, y);
    char *buf = NULL;
    if (rc == PIE_K_OK && !(buf = malloc(D + 3)))
        rc = PIE_K_ENOMEM;
    /* y = floor(pi base^D): "3" then D digits. */
    if (rc == PIE_K_OK)
        rc = pie__bbp_text(y, job->base, D + 1, buf + 1);
    if (rc == PIE_K_OK && buf[1] != '3')
        rc = PIE_K_ECORRUPT;
    mpz_clear(y);
    if (rc != PIE_K_OK) {
        free(buf);
        return rc;
    }
    buf[0] = '3';
    buf[1] = '.';
    buf[D + 2] = 0;
    *text = buf;
    *len = D + 2;
    return PIE_K_OK;
}
