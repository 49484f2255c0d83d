/** @brief Bellard's BBP-type series: the job's plan, chunk partials, their sum, checked digits. */
#include "bbp_series.h"
#include "bbp_split.h"
#include "radix.h"

#include <stdlib.h>
#include <string.h>

/* pi = 1/160 sum_n (-1)^n A(n) / (Q(n) 2^10n): see bbp_split.c. */
#define PI_DENOM 160UL

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

/* The partial's bytes for chunk [a, b): header, then |G|. */
static int put_partial(const pie__bbp_job *job, uint64_t a, uint64_t b, const mpz_t g,
                       pie_kbuf *out)
{
    size_t nbytes = mpz_sgn(g) ? (mpz_sizeinbase(g, 2) + 7) / 8 : 0;
    if (nbytes * 8 > partial_bits(job, a) + 8)
        return PIE_K_ECORRUPT; /* cannot happen unless the error analysis is wrong */
    int rc = pie_kbuf_reserve(out, PARTIAL_HEADER + nbytes);
    if (rc != PIE_K_OK)
        return rc;
    unsigned char *p = out->data + out->len;
    uint64_t hdr[5] = {PARTIAL_MAGIC, a, b, mpz_sgn(g) < 0 ? 1u : 0u, nbytes};
    for (int i = 0; i < 5; i++)
        pie_kput_u64(p + 8 * i, hdr[i]);
    size_t cnt = 0;
    if (nbytes)
        mpz_export(p + PARTIAL_HEADER, &cnt, -1, 1, -1, 0, g);
    if (cnt != nbytes)
        return PIE_K_ECORRUPT;
    out->len += PARTIAL_HEADER + nbytes;
    return PIE_K_OK;
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
    mpz_t T, Q, g;
    mpz_inits(T, Q, g, NULL);
    int64_t e = 0;
    int rc = pie__bbp_split_chunk(job, a, b, T, Q, &e);
    if (rc == PIE_K_OK) {
        /* G = floor(T 2^(K - 10a - e) / Q); a right shift first is exact
         * too, since floor(floor(y) / Q) = floor(y / Q) for integer Q > 0. */
        int64_t sh = (int64_t)scale_bits(job) - 10 * (int64_t)a - e;
        if (sh >= 0)
            mpz_mul_2exp(g, T, (mp_bitcnt_t)sh);
        else
            mpz_fdiv_q_2exp(g, T, (mp_bitcnt_t)-sh);
        mpz_fdiv_q(g, g, Q);
    }
    mpz_clears(T, Q, NULL);
    if (rc == PIE_K_OK)
        rc = put_partial(job, a, b, g, out);
    mpz_clear(g);
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
    uint64_t untrunc = (b - a) * per + 128, cap = pie__bbp_kept_bits(job, a) * 9 / 8 + 64;
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

int pie__bbp_format(const pie__bbp_job *job, mpz_t y, unsigned threads, char **text,
                    const volatile sig_atomic_t *stop)
{
    const uint64_t D = job->digits;
    char *buf = malloc(D + 3);
    if (!buf) {
        mpz_clear(y);
        return PIE_K_ENOMEM;
    }
    /* y = floor(pi base^D): "3" then D digits. */
    int rc = pie__radix_text(y, job->base, D + 1, threads, buf + 1, stop);
    return pie__radix_pi_text(buf, D, rc, text);
}

int pie__bbp_digits(const pie__bbp_job *job, const mpz_t x, char **text, size_t *len)
{
    mpz_t y;
    mpz_init(y);
    int rc = pie__bbp_floor(job, x, y);
    if (rc != PIE_K_OK) {
        mpz_clear(y);
        return rc;
    }
    rc = pie__bbp_format(job, y, 1, text, NULL);
    if (rc == PIE_K_OK)
        *len = job->digits + 2;
    return rc;
}
