/** @brief The Chudnovsky series: the job's plan, chunk partials, the merge stack. */
#include "chudnovsky.h"

#include "chud_split.h"

#include <stdlib.h>
#include <string.h>

static uint64_t ceil_log2(uint64_t v)
{
    uint64_t r = 0;
    while (r < 63 && (UINT64_C(1) << r) < v)
        r++;
    return r;
}

int pie__chud_job_init(pie__chud_job *job, uint64_t digits, unsigned base, unsigned guard)
{
    if (!job || digits < 1 || digits > (UINT64_C(1) << 40) || (base != 10 && base != 16) ||
        guard < 1 || guard > 1u << 20)
        return PIE_K_EINVAL;
    memset(job, 0, sizeof *job);
    job->digits = digits;
    job->base = base;
    job->guard = guard;
    /* The same W as the BBP series (bbp_series.c): log2(10) < 3.3219281. */
    uint64_t own = base == 16 ? 4 * digits : (digits * UINT64_C(33219281)) / 10000000 + 2;
    job->prec = own + guard;
    /* Term k is below 2^(30 - 47.11 k) log-ish: N terms leave a tail under
     * 2^-(W+32) of S ~ 2^23.7. */
    job->nterms = (job->prec + 64) * 100 / 4711 + 3;
    /* Truncation errors: at most 3 per node and 2N nodes, each below
     * 2^(30 + log2 N - kept) of S after scaling: the margin makes their sum
     * negligible against 2^-W. */
    job->margin = 64 + 2 * ceil_log2(job->nterms + 1);
    uint64_t c = 1;
    while (c < 32 && c * 2 * 64 <= job->nterms)
        c *= 2;
    job->nchunks = c;
    return PIE_K_OK;
}

void pie__chud_chunk_range(const pie__chud_job *job, uint64_t chunk, uint64_t *a, uint64_t *b)
{
    *a = job->nterms * chunk / job->nchunks;
    *b = job->nterms * (chunk + 1) / job->nchunks;
}

/* Bits of an untruncated node's largest integer over [a, b): T ~ Q S holds
 * the twos that Q's exponent keeps out, about 3 log2(k) + 53.3 per term
 * (plus log2(A + Bk) ~ 30 + log2 b once). */
static uint64_t node_bits(uint64_t a, uint64_t b)
{
    return (b - a) * (3 * (ceil_log2(b + 1) + 1) + 56) + ceil_log2(b + 1) + 128;
}

uint64_t pie__chud_chunk_bits(const pie__chud_job *job, uint64_t chunk)
{
    uint64_t a, b;
    pie__chud_chunk_range(job, chunk, &a, &b);
    uint64_t untrunc = node_bits(a, b), cap = pie__chud_kept_bits(job, a) * 17 / 16 + 64;
    return untrunc < cap ? untrunc : cap;
}

/* ------------------------------------------------------------------------ */
/* Partials: a chunk's node. Layout: four little-endian u64 (magic, a, b,   */
/* hasP), then for P, Q, T: three u64 (sign, exponent as two's complement,  */
/* 8-byte words) and the words of |v| (mpz_export, least significant first, */
/* little-endian); P is empty when hasP is 0. No factorizations: the merges */
/* above the chunks remove no common factors (chud_split.h).                */

#define PARTIAL_MAGIC UINT64_C(0x3344555843454950) /* "PIECXUD3" little-endian */
#define HEADER 32u
#define INT_HEADER 24u

static uint64_t words_of(const mpz_t v)
{
    return mpz_sgn(v) ? (mpz_sizeinbase(v, 2) + 63) / 64 : 0;
}

static void put_int(unsigned char *p, size_t *at, const mpz_t v, int64_t e)
{
    uint64_t w = words_of(v);
    pie_kput_u64(p + *at, mpz_sgn(v) < 0);
    pie_kput_u64(p + *at + 8, (uint64_t)e);
    pie_kput_u64(p + *at + 16, w);
    size_t cnt = 0;
    if (w)
        mpz_export(p + *at + INT_HEADER, &cnt, -1, 8, -1, 0, v);
    *at += INT_HEADER + 8 * w;
}

static int put_node(const pie__chud_node *x, pie_kbuf *out)
{
    size_t len = HEADER + 3 * INT_HEADER + 8 * (words_of(x->P) + words_of(x->Q) + words_of(x->T));
    int rc = pie_kbuf_reserve(out, len);
    if (rc != PIE_K_OK)
        return rc;
    unsigned char *p = out->data + out->len;
    uint64_t hdr[4] = {PARTIAL_MAGIC, x->a, x->b, (uint64_t)x->hasP};
    for (int i = 0; i < 4; i++)
        pie_kput_u64(p + 8 * i, hdr[i]);
    size_t at = HEADER;
    put_int(p, &at, x->P, x->eP);
    put_int(p, &at, x->Q, x->eQ);
    put_int(p, &at, x->T, x->eT);
    out->len += at;
    return PIE_K_OK;
}

/* Read one integer; 0, or -1 when the bytes do not parse. */
static int get_int(const unsigned char *p, size_t len, size_t *at, uint64_t max_words, mpz_t v,
                   int64_t *e)
{
    if (len - *at < INT_HEADER)
        return -1;
    uint64_t sign = pie_kget_u64(p + *at), w = pie_kget_u64(p + *at + 16);
    *e = (int64_t)pie_kget_u64(p + *at + 8);
    *at += INT_HEADER;
    if (sign > 1 || w > max_words || w > (len - *at) / 8)
        return -1;
    mpz_import(v, w, -1, 8, -1, 0, p + *at);
    if (sign)
        mpz_neg(v, v);
    *at += 8 * w;
    if (*e > (INT64_C(1) << 50) || *e < -(INT64_C(1) << 50))
        return -1;
    return 0;
}

static int get_node(const pie__chud_job *job, uint64_t chunk, const unsigned char *p, size_t len,
                    pie__chud_node *x)
{
    uint64_t a, b, h[4];
    if (len < HEADER)
        return PIE_K_ECORRUPT;
    for (int i = 0; i < 4; i++)
        h[i] = pie_kget_u64(p + 8 * i);
    pie__chud_chunk_range(job, chunk, &a, &b);
    if (h[0] != PARTIAL_MAGIC || h[1] != a || h[2] != b || h[3] != (b < job->nterms))
        return PIE_K_ECORRUPT;
    uint64_t maxw = pie__chud_chunk_bits(job, chunk) / 64 + 4;
    size_t at = HEADER;
    if (get_int(p, len, &at, maxw, x->P, &x->eP) || get_int(p, len, &at, maxw, x->Q, &x->eQ) ||
        get_int(p, len, &at, maxw, x->T, &x->eT))
        return PIE_K_ECORRUPT;
    if (at != len)
        return PIE_K_ECORRUPT;
    if (mpz_sgn(x->Q) <= 0 || (h[3] && mpz_sgn(x->P) <= 0))
        return PIE_K_ECORRUPT;
    x->a = a;
    x->b = b;
    x->hasP = (int)h[3];
    return PIE_K_OK;
}

static int chud_run_chunk(const void *jobp, uint64_t chunk, pie_kbuf *out)
{
    const pie__chud_job *job = jobp;
    if (chunk >= job->nchunks)
        return PIE_K_EINVAL;
    uint64_t a, b;
    pie__chud_chunk_range(job, chunk, &a, &b);
    if (b <= a)
        return PIE_K_EINVAL;
    pie__chud_node x;
    pie__chud_node_init(&x);
    pie__chud_split(job, &x, a, b);
    int rc = put_node(&x, out);
    pie__chud_node_clear(&x);
    return rc;
}

static uint64_t chud_max_partial(const void *jobp, uint64_t chunk)
{
    const pie__chud_job *job = jobp;
    if (chunk >= job->nchunks)
        return 0;
    return HEADER + 3 * (INT_HEADER + 8 * (pie__chud_chunk_bits(job, chunk) / 64 + 4));
}

/* The merge: the partial is checked and imported here, in the caller's
 * thread; the stack's merges run on the accumulator's own thread
 * (chud_stack.c), so that the backend goes on feeding workers meanwhile. */
static int chud_merge(void *accp, const void *jobp, uint64_t chunk, const unsigned char *p,
                      size_t len)
{
    pie__chud_acc *acc = accp;
    const pie__chud_job *job = jobp;
    if (chunk >= job->nchunks)
        return PIE_K_EINVAL;
    pie__chud_node *x = malloc(sizeof *x);
    if (!x)
        return PIE_K_ENOMEM;
    pie__chud_node_init(x);
    int rc = get_node(job, chunk, p, len, x);
    if (rc != PIE_K_OK) {
        pie__chud_node_clear(x);
        free(x);
        return rc;
    }
    return pie__chud_acc_push(acc, job, chunk, x);
}

const pie_kernel_ops pie__chud_series_ops = {
    .name = "chudnovsky",
    .run_chunk = chud_run_chunk,
    .merge = chud_merge,
    .max_partial = chud_max_partial,
};
