/** @brief Bellard's BBP-type series for pi: truncated binary splitting, ordered merge, Ziv-checked
 * digits. */
#include "bbp_series.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/*
 * One term, folded over a common denominator (see bbp_series.h):
 *   (-1)^n 2^-10n * 2 A(n) / (5 Q(n)),  pi = (1/64) * sum = (1/160) * sum_n (-1)^n A(n)/(Q(n)
 * 2^10n) A(n) = 8200000 n^6 + 30250000 n^5 + 45382000 n^4 + 35326200 n^3 + 14990012 n^2
 *        + 3271617 n + 285021
 * Q(n) = (4n+1)(4n+3)(10n+1)(10n+3)(2n+1)(10n+7)(10n+9)
 * (the seven fractions' common denominator has the factor 5 of 10n+5 and the
 * numerator a factor 2; both are pulled out into the constant 1/160).
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

int pie_bbp_job_init(pie_bbp_job *job, uint64_t digits, unsigned base, unsigned guard)
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

void pie_bbp_chunk_range(const pie_bbp_job *job, uint64_t chunk, uint64_t *a, uint64_t *b)
{
    /* N * i / C without overflow: N < 2^40 and C <= 16. */
    *a = job->nterms * chunk / job->nchunks;
    *b = job->nterms * (chunk + 1) / job->nchunks;
}

/* Relative precision a node starting at term a must keep: its contribution
 * is scaled by 2^-10a, |R| < 2^9, and a truncation costs at most 2^(2-bits)
 * relative; with at most 2^lgev truncations the sum stays within 2^-(W+9). */
static uint64_t kept_bits(const pie_bbp_job *job, uint64_t a)
{
    uint64_t need = job->prec + 20 + job->lgev;
    uint64_t drop = 10 * a;
    return need > drop + 64 ? need - drop : 64;
}

/* Keep the top `kept` bits of T and Q once they outgrow it by a margin. */
static void node_truncate(bnode *x, uint64_t kept)
{
    uint64_t limit = kept + kept / 16 + 32;
    size_t tb = mpz_sizeinbase(x->T, 2), qb = mpz_sizeinbase(x->Q, 2);
    if (tb > limit) {
        mpz_tdiv_q_2exp(x->T, x->T, tb - kept);
        x->e -= (int64_t)(tb - kept);
    }
    if (qb > limit) {
        mpz_tdiv_q_2exp(x->Q, x->Q, qb - kept);
        x->e += (int64_t)(qb - kept);
    }
}

/* l = [a, m) + [m, b): R = R1 + 2^-10(m-a) R2, exact, then truncated. */
static void node_merge(const pie_bbp_job *job, bnode *l, bnode *r, uint64_t a, uint64_t m,
                       mpz_t tmp)
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
    node_truncate(l, kept_bits(job, a));
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

/* Binary splitting of [a, b) into x; tmp is scratch. */
static void split(const pie_bbp_job *job, bnode *x, uint64_t a, uint64_t b, mpz_t tmp)
{
    if (b - a == 1) {
        leaf(x, a);
        return;
    }
    uint64_t m = a + (b - a) / 2;
    bnode r;
    node_init(&r);
    split(job, x, a, m, tmp);
    split(job, &r, m, b, tmp);
    node_merge(job, x, &r, a, m, tmp);
    node_clear(&r);
}

/* ------------------------------------------------------------------------ */
/* Partials. A chunk does its own division: its partial is the fixed-point  */
/* number G = floor(R(a, b) 2^(S - 10a)) at the common scale S = W + 20 +   */
/* lgev, so that the parent only adds C integers. The divisions, the        */
/* costliest operations on the largest numbers, run on the workers.         */
/* Layout: five little-endian u64 (magic, a, b, sign, bytes of |G|), then   */
/* |G| as little-endian bytes.                                              */

#define PARTIAL_MAGIC UINT64_C(0x3253504242454950) /* "PIEBBPS2" little-endian */
#define PARTIAL_HEADER 40u

static uint64_t scale_bits(const pie_bbp_job *job)
{
    return job->prec + 20 + job->lgev;
}

/* Bits of |G| for a chunk starting at a: R < 2^9 and 10a < S. */
static uint64_t partial_bits(const pie_bbp_job *job, uint64_t a)
{
    return scale_bits(job) - 10 * a + 16;
}

static int bbp_run_chunk(const void *jobp, uint64_t chunk, pie_kbuf *out)
{
    const pie_bbp_job *job = jobp;
    if (chunk >= job->nchunks)
        return PIE_K_EINVAL;
    uint64_t a, b;
    pie_bbp_chunk_range(job, chunk, &a, &b);
    if (b <= a)
        return PIE_K_EINVAL;
    bnode x;
    mpz_t tmp;
    node_init(&x);
    mpz_init(tmp);
    split(job, &x, a, b, tmp);
    /* G = floor(T 2^(S - 10a - e) / Q); a right shift first is exact too,
     * since floor(floor(y) / Q) = floor(y / Q) for integer Q > 0. */
    int64_t sh = (int64_t)scale_bits(job) - 10 * (int64_t)a - x.e;
    if (sh >= 0)
        mpz_mul_2exp(tmp, x.T, (mp_bitcnt_t)sh);
    else
        mpz_fdiv_q_2exp(tmp, x.T, (mp_bitcnt_t)-sh);
    mpz_clear(x.T);
    mpz_fdiv_q(tmp, tmp, x.Q);
    mpz_clear(x.Q);

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
    const pie_bbp_job *job = jobp;
    uint64_t a, b;
    if (chunk >= job->nchunks)
        return 0;
    pie_bbp_chunk_range(job, chunk, &a, &b);
    return PARTIAL_HEADER + partial_bits(job, a) / 8 + 2;
}

uint64_t pie_bbp_chunk_bits(const pie_bbp_job *job, uint64_t chunk)
{
    /* The chunk's splitting tree: Q(n) < (10n+10)^7 and |T| < Q 2^(10(b-a)+10),
     * until truncation caps both near kept(a). */
    uint64_t a, b;
    pie_bbp_chunk_range(job, chunk, &a, &b);
    uint64_t per = 7 * (ceil_log2(10 * b + 10) + 1);
    uint64_t untrunc = (b - a) * per + 128, cap = kept_bits(job, a) * 9 / 8 + 64;
    return untrunc < cap ? untrunc : cap;
}

/* ------------------------------------------------------------------------ */
/* The accumulator: the sum of the chunks' fixed-point partials.            */

struct pie_bbp_acc {
    mpz_t sum;
    uint64_t next_chunk;
};

pie_bbp_acc *pie_bbp_acc_new(void)
{
    pie_bbp_acc *acc = calloc(1, sizeof *acc);
    if (acc)
        mpz_init(acc->sum);
    return acc;
}

void pie_bbp_acc_free(pie_bbp_acc *acc)
{
    if (!acc)
        return;
    mpz_clear(acc->sum);
    free(acc);
}

static int bbp_merge(void *accp, const void *jobp, uint64_t chunk, const unsigned char *p,
                     size_t len)
{
    pie_bbp_acc *acc = accp;
    const pie_bbp_job *job = jobp;
    if (chunk != acc->next_chunk || chunk >= job->nchunks)
        return PIE_K_EINVAL;
    uint64_t a, b, h[5];
    if (len < PARTIAL_HEADER)
        return PIE_K_ECORRUPT;
    for (int i = 0; i < 5; i++)
        h[i] = pie_kget_u64(p + 8 * i);
    pie_bbp_chunk_range(job, chunk, &a, &b);
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

const pie_kernel_ops pie_bbp_series_ops = {
    .name = "bbp-bellard",
    .run_chunk = bbp_run_chunk,
    .merge = bbp_merge,
    .max_partial = bbp_max_partial,
};

/* ------------------------------------------------------------------------ */
/* Finalizing                                                               */

int pie_bbp_fixed(pie_bbp_acc *acc, const pie_bbp_job *job, mpz_t x)
{
    if (acc->next_chunk != job->nchunks)
        return PIE_K_EINVAL;
    /* sum ~ R 2^S with an error far below 2^(S-W); pi 2^W = R 2^W / 160:
     * X = floor(sum / (160 2^(S-W))), two exact floors in a row. */
    mpz_fdiv_q_2exp(x, acc->sum, scale_bits(job) - job->prec);
    mpz_fdiv_q_ui(x, x, PI_DENOM);
    return PIE_K_OK;
}

int pie_bbp_digits(const pie_bbp_job *job, const mpz_t x, char **text, size_t *len)
{
    const uint64_t D = job->digits;
    mpz_t lo, hi, scale;
    mpz_inits(lo, hi, scale, NULL);
    uint64_t sh;
    if (job->base == 16) {
        sh = job->prec - 4 * D;
        mpz_set_ui(scale, 1);
    } else {
        sh = job->prec - D;
        mpz_ui_pow_ui(scale, 5, D);
    }
    /* Every y in [X-3, X+3] must give the same floor(y scale / 2^sh). */
    mpz_sub_ui(lo, x, 3);
    mpz_mul(lo, lo, scale);
    mpz_mul_ui(hi, scale, 6);
    mpz_add(hi, hi, lo);
    mpz_fdiv_q_2exp(lo, lo, sh);
    mpz_fdiv_q_2exp(hi, hi, sh);
    int rc = PIE_K_OK;
    mpz_clear(scale);
    if (mpz_cmp(lo, hi) != 0) {
        rc = PIE_BBP_RETRY;
        goto out;
    }
    mpz_clear(hi);
    mpz_init(hi);
    /* lo = floor(pi base^D): "3" then D digits. */
    char *buf = malloc(D + 4);
    if (!buf) {
        rc = PIE_K_ENOMEM;
        goto out;
    }
    mpz_get_str(buf + 1, job->base == 16 ? -16 : 10, lo);
    if (buf[1] != '3' || strlen(buf + 1) != D + 1) {
        free(buf);
        rc = PIE_K_ECORRUPT;
        goto out;
    }
    buf[0] = '3';
    buf[1] = '.';
    *text = buf;
    *len = D + 2;
out:
    mpz_clears(lo, hi, NULL);
    return rc;
}
