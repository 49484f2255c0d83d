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

#define PARTIAL_MAGIC UINT64_C(0x3153504242454950) /* "PIEBBPS1" little-endian */
#define PARTIAL_HEADER 56u

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
/* Partials: header of seven little-endian u64 (magic, a, b, e, sign of T,  */
/* bytes of |T|, bytes of Q), then |T| and Q as little-endian bytes.        */

static int put_node(pie_kbuf *out, const bnode *x, uint64_t a, uint64_t b)
{
    size_t tbytes = (mpz_sizeinbase(x->T, 2) + 7) / 8, qbytes = (mpz_sizeinbase(x->Q, 2) + 7) / 8;
    if (mpz_sgn(x->T) == 0)
        tbytes = 0;
    int rc = pie_kbuf_reserve(out, PARTIAL_HEADER + tbytes + qbytes);
    if (rc != PIE_K_OK)
        return rc;
    unsigned char *p = out->data + out->len;
    uint64_t hdr[7] = {PARTIAL_MAGIC, a,     b, (uint64_t)x->e, mpz_sgn(x->T) < 0 ? 1u : 0u,
                       tbytes,        qbytes};
    for (int i = 0; i < 7; i++)
        pie_kput_u64(p + 8 * i, hdr[i]);
    size_t cnt = 0;
    if (tbytes)
        mpz_export(p + PARTIAL_HEADER, &cnt, -1, 1, -1, 0, x->T);
    if (cnt != tbytes)
        return PIE_K_ECORRUPT;
    mpz_export(p + PARTIAL_HEADER + tbytes, &cnt, -1, 1, -1, 0, x->Q);
    if (cnt != qbytes)
        return PIE_K_ECORRUPT;
    out->len += PARTIAL_HEADER + tbytes + qbytes;
    return PIE_K_OK;
}

static uint64_t bound_bits(const pie_bbp_job *job, uint64_t a, uint64_t b)
{
    /* Q(n) < (10n+10)^7 and |T| < Q 2^(10(b-a)+10); truncation only shrinks. */
    uint64_t per = 7 * (ceil_log2(10 * b + 10) + 1) + 10;
    (void)job;
    return (b - a) * per + 128;
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
    int rc = put_node(out, &x, a, b);
    mpz_clear(tmp);
    node_clear(&x);
    return rc;
}

static uint64_t bbp_max_partial(const void *jobp, uint64_t chunk)
{
    const pie_bbp_job *job = jobp;
    uint64_t a, b;
    if (chunk >= job->nchunks)
        return 0;
    pie_bbp_chunk_range(job, chunk, &a, &b);
    return PARTIAL_HEADER + 2 * (bound_bits(job, a, b) / 8 + 16);
}

uint64_t pie_bbp_chunk_bits(const pie_bbp_job *job, uint64_t chunk)
{
    uint64_t a, b;
    pie_bbp_chunk_range(job, chunk, &a, &b);
    uint64_t bb = bound_bits(job, a, b), k = kept_bits(job, a) * 2 + 64;
    return bb < k ? bb : k;
}

/* ------------------------------------------------------------------------ */
/* The accumulator: a stack of merged nodes, folded like a binary counter.  */

typedef struct anode {
    bnode x;
    uint64_t a, b, weight;
} anode;

struct pie_bbp_acc {
    anode *st;
    size_t n, cap;
    uint64_t next_chunk;
    mpz_t tmp;
};

pie_bbp_acc *pie_bbp_acc_new(void)
{
    pie_bbp_acc *acc = calloc(1, sizeof *acc);
    if (acc)
        mpz_init(acc->tmp);
    return acc;
}

void pie_bbp_acc_free(pie_bbp_acc *acc)
{
    if (!acc)
        return;
    for (size_t i = 0; i < acc->n; i++)
        node_clear(&acc->st[i].x);
    free(acc->st);
    mpz_clear(acc->tmp);
    free(acc);
}

static void acc_fold_top(pie_bbp_acc *acc, const pie_bbp_job *job)
{
    anode *l = &acc->st[acc->n - 2], *r = &acc->st[acc->n - 1];
    node_merge(job, &l->x, &r->x, l->a, r->a, acc->tmp);
    l->b = r->b;
    l->weight += r->weight;
    node_clear(&r->x);
    acc->n--;
}

static int parse_node(bnode *x, const pie_bbp_job *job, uint64_t chunk, const unsigned char *p,
                      size_t len)
{
    uint64_t a, b, h[7];
    if (len < PARTIAL_HEADER)
        return PIE_K_ECORRUPT;
    for (int i = 0; i < 7; i++)
        h[i] = pie_kget_u64(p + 8 * i);
    pie_bbp_chunk_range(job, chunk, &a, &b);
    uint64_t maxb = bound_bits(job, a, b) / 8 + 16;
    if (h[0] != PARTIAL_MAGIC || h[1] != a || h[2] != b || h[4] > 1 || h[5] > maxb || h[6] > maxb ||
        h[6] == 0 || len != PARTIAL_HEADER + h[5] + h[6])
        return PIE_K_ECORRUPT;
    int64_t e = (int64_t)h[3];
    if (e > (int64_t)1 << 50 || e < -((int64_t)1 << 50))
        return PIE_K_ECORRUPT;
    mpz_import(x->T, h[5], -1, 1, -1, 0, p + PARTIAL_HEADER);
    if (h[4])
        mpz_neg(x->T, x->T);
    mpz_import(x->Q, h[6], -1, 1, -1, 0, p + PARTIAL_HEADER + h[5]);
    if (mpz_sgn(x->Q) == 0)
        return PIE_K_ECORRUPT;
    x->e = e;
    return PIE_K_OK;
}

static int bbp_merge(void *accp, const void *jobp, uint64_t chunk, const unsigned char *partial,
                     size_t len)
{
    pie_bbp_acc *acc = accp;
    const pie_bbp_job *job = jobp;
    if (chunk != acc->next_chunk || chunk >= job->nchunks)
        return PIE_K_EINVAL;
    if (acc->n == acc->cap) {
        size_t cap = acc->cap ? 2 * acc->cap : 8;
        anode *st = realloc(acc->st, cap * sizeof *st);
        if (!st)
            return PIE_K_ENOMEM;
        acc->st = st;
        acc->cap = cap;
    }
    anode *top = &acc->st[acc->n];
    node_init(&top->x);
    int rc = parse_node(&top->x, job, chunk, partial, len);
    if (rc != PIE_K_OK) {
        node_clear(&top->x);
        return rc;
    }
    pie_bbp_chunk_range(job, chunk, &top->a, &top->b);
    top->weight = 1;
    acc->n++;
    acc->next_chunk++;
    while (acc->n >= 2 && acc->st[acc->n - 2].weight == acc->st[acc->n - 1].weight)
        acc_fold_top(acc, job);
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
    if (acc->next_chunk != job->nchunks || acc->n == 0)
        return PIE_K_EINVAL;
    while (acc->n > 1)
        acc_fold_top(acc, job);
    bnode *r = &acc->st[0].x;
    /* pi 2^W = R 2^W / 160 = T 2^(W-e) / (160 Q). */
    int64_t sh = (int64_t)job->prec - r->e;
    if (sh >= 0)
        mpz_mul_2exp(acc->tmp, r->T, (mp_bitcnt_t)sh);
    else
        mpz_tdiv_q_2exp(acc->tmp, r->T, (mp_bitcnt_t)-sh);
    mpz_mul_ui(r->Q, r->Q, PI_DENOM);
    mpz_fdiv_q(x, acc->tmp, r->Q);
    mpz_set_ui(acc->tmp, 0);
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
