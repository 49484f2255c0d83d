/** @brief Decimal digits of a binary fraction by products alone (a scaled remainder tree). */
#include "radix_frac.h"

#include "par_gmp.h"
#include "pie_kernel.h"
#include "radix.h"

#include <stdlib.h>
#include <string.h>

/*
 * The k digits of t in [f, f + e] / 2^m split into k1 = ceil(k/2) leading
 * and k2 = floor(k/2) trailing ones, which then convert independently:
 *  - the leading digits are those of t itself, read to the bits k1 digits
 *    need: f >> s, with the interval widened by one unit;
 *  - the trailing digits are those of frac(t 10^k1), and t 10^k1 =
 *    f 5^k1 / 2^(m - k1): its fraction is the low m - k1 bits of the
 *    product f 5^k1, of which the top bits the k2 digits need are kept.
 * So a level costs one product of an m-bit by a 2.32 k1-bit integer, of
 * which only a middle part matters: neither the integer part above it
 * (the leading digits, which come from f) nor the bits below. The product
 * is taken modulo 2^N - 1 with N a little over m (pie__par_mul_mod), which
 * folds the top onto the bottom: it costs about m / (m + 2.32 k1) of the
 * whole product, and adds less than 2^(a + b - N) + 1 to the kept bits (a,
 * b the operands' bits), which N keeps below the cut and the interval
 * absorbs. GMP's mpz_get_str divides by 10^k2 instead, each level costing
 * a division. With 64 guard bits a piece the interval stays a few units
 * wide.
 *
 * The interval of t 10^k1 must not contain an integer other than at its
 * low end: where it does, the leading digits are uncertain (...999|999...),
 * and the conversion says so (PIE_RADIX_AMBIGUOUS). Pieces of at most
 * LEAF_DIGITS digits become f 5^k >> (m - k), checked the same way, and
 * GMP's text.
 */

#define GUARD_BITS 64u
#define LEAF_DIGITS 2000u
#define MAX_LEVELS 64                 /* 2^40 digits / LEAF_DIGITS < 2^30 */
#define MAX_WIDTH (UINT64_C(1) << 32) /* a wider interval: out of guard bits */

/* Bits a piece of k digits keeps: k log2(10) rounded up, and the guard. */
static uint64_t bits_for(uint64_t k)
{
    /* log2(10) < 3.3219281; k < 2^40 keeps k * 3219281 in 64 bits. */
    return 3 * k + (k * UINT64_C(3219281) + 9999999) / 10000000 + GUARD_BITS;
}

/* ceil(e / 2^s) */
static uint64_t ceil_shift(uint64_t e, uint64_t s)
{
    if (s >= 64)
        return e > 0;
    return (e >> s) + ((e & ((UINT64_C(1) << s) - 1)) != 0);
}

struct pie__pow5_set {
    unsigned n;
    uint64_t exp[2 * MAX_LEVELS];
    mpz_t own[2 * MAX_LEVELS];
    mpz_srcptr pow[2 * MAX_LEVELS]; /* own[i], or the borrowed top */
};

static mpz_srcptr pow_of(const pie__pow5_set *p, uint64_t k)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->exp[i] == k)
            return p->pow[i];
    return NULL;
}

/* Add k to a set of at most two values. */
static void note(uint64_t *set, unsigned *n, uint64_t k)
{
    for (unsigned i = 0; i < *n; i++)
        if (set[i] == k)
            return;
    if (*n < 2)
        set[(*n)++] = k;
}

/* 5^k into the set's next slot: from a power of the level below (squared,
 * then times or over 5 or 25), else directly. */
static int add_power(pie__pow5_set *p, uint64_t k, unsigned below_from, unsigned below_to,
                     unsigned threads)
{
    const unsigned i = p->n;
    mpz_init(p->own[i]);
    p->exp[i] = k;
    p->pow[i] = p->own[i];
    p->n++;
    for (unsigned j = below_from; j < below_to; j++) {
        uint64_t y = p->exp[j];
        if (2 * y + 2 < k || 2 * y > k + 2)
            continue;
        pie__par_mul sq = {p->own[i], p->pow[j], p->pow[j]};
        int rc = pie__par_mul_n(&sq, 1, &(pie__par){.threads = threads});
        if (rc != PIE_K_OK)
            return rc;
        if (2 * y < k)
            mpz_mul_ui(p->own[i], p->own[i], 2 * y + 1 == k ? 5 : 25);
        else if (2 * y > k)
            mpz_divexact_ui(p->own[i], p->own[i], 2 * y == k + 1 ? 5 : 25);
        return PIE_K_OK;
    }
    mpz_ui_pow_ui(p->own[i], 5, k);
    return PIE_K_OK;
}

pie__pow5_set *pie__pow5_set_new(uint64_t ndigits, mpz_srcptr top, uint64_t top_exp,
                                 unsigned threads)
{
    pie__pow5_set *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    /* Pieces' sizes level by level (two consecutive values at most), and
     * the powers each level uses: 5^ceil(k/2) for a piece that splits, 5^k
     * for a leaf. */
    uint64_t size[MAX_LEVELS][2], need[MAX_LEVELS + 1][2];
    unsigned nsize[MAX_LEVELS] = {0}, nneed[MAX_LEVELS + 1] = {0}, levels = 0;
    size[0][0] = ndigits;
    nsize[0] = 1;
    for (unsigned j = 0; j < MAX_LEVELS && nsize[j]; j++) {
        levels = j + 1;
        for (unsigned i = 0; i < nsize[j]; i++) {
            uint64_t k = size[j][i];
            if (k <= LEAF_DIGITS) {
                note(need[j], &nneed[j], k);
            } else if (j + 1 < MAX_LEVELS) {
                note(need[j + 1], &nneed[j + 1], k - k / 2);
                note(size[j + 1], &nsize[j + 1], k - k / 2);
                note(size[j + 1], &nsize[j + 1], k / 2);
            }
        }
    }
    /* From the deepest level up, each from the one below it. */
    unsigned below_from = 0, below_to = 0;
    for (unsigned j = levels; j-- > 0;) {
        unsigned from = p->n;
        for (unsigned i = 0; i < nneed[j]; i++) {
            uint64_t k = need[j][i];
            if (top && k == top_exp) {
                p->exp[p->n] = k;
                p->pow[p->n] = top;
                mpz_init(p->own[p->n]);
                p->n++;
                continue;
            }
            if (add_power(p, k, below_from, below_to, threads) != PIE_K_OK) {
                pie__pow5_set_free(p);
                return NULL;
            }
        }
        below_from = from;
        below_to = p->n;
    }
    return p;
}

void pie__pow5_set_free(pie__pow5_set *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->n; i++)
        mpz_clear(p->own[i]);
    free(p);
}

static void frac_clear(pie__frac *x)
{
    mpz_clear(x->f);
}

/* Whether 0 <= f < 2^m. */
static int in_range(const pie__frac *x)
{
    return mpz_sgn(x->f) == 0 || (mpz_sgn(x->f) > 0 && mpz_sizeinbase(x->f, 2) <= x->m);
}

/* A piece to text: floor(t 10^k) = f 5^k >> (m - k), the same at f + e. */
static int leaf(pie__frac *x, const pie__pow5_set *p, char *out)
{
    const uint64_t k = x->ndigits, m = x->m;
    mpz_srcptr q = pow_of(p, k);
    if (!q || !in_range(x)) {
        frac_clear(x);
        return PIE_K_EINVAL;
    }
    mpz_t z, r;
    mpz_inits(z, r, NULL);
    mpz_mul(z, x->f, q);
    int rc = PIE_K_OK;
    if (m >= k) {
        mpz_fdiv_r_2exp(r, z, m - k);
        mpz_fdiv_q_2exp(z, z, m - k);
        mpz_addmul_ui(r, q, x->e); /* the interval's top, below the point */
        if (m == k ? mpz_sgn(r) != 0 : mpz_sizeinbase(r, 2) > m - k)
            rc = PIE_RADIX_AMBIGUOUS;
    } else {
        mpz_mul_2exp(z, z, k - m); /* exact: t 10^k is an integer */
        if (x->e != 0)
            rc = PIE_RADIX_AMBIGUOUS;
    }
    frac_clear(x);
    size_t len = mpz_sgn(z) ? mpz_sizeinbase(z, 10) : 0;
    char *tmp = rc == PIE_K_OK && len ? malloc(len + 2) : NULL;
    if (rc == PIE_K_OK && len && !tmp)
        rc = PIE_K_ENOMEM;
    if (tmp) {
        mpz_get_str(tmp, 10, z);
        len = strlen(tmp);
    }
    if (rc == PIE_K_OK && len > k) /* f < 2^m makes this impossible */
        rc = PIE_K_EINVAL;
    if (rc == PIE_K_OK) {
        memset(out, '0', k - len);
        if (len)
            memcpy(out + (k - len), tmp, len);
    }
    free(tmp);
    mpz_clears(z, r, NULL);
    return rc;
}

/* The trailing piece from c = f 5^k1, exact (wrap 0) or modulo 2^wrap - 1
 * with up to `fold` bits folded onto its bottom; the interval's top adds
 * e 5^k1. PIE_K_OK or PIE_RADIX_AMBIGUOUS. */
static int trailing(mpz_t c, uint64_t wrap, uint64_t fold, mpz_srcptr q, uint64_t e, uint64_t lm,
                    uint64_t m2, pie__frac *bottom)
{
    const uint64_t sh = lm - m2;
    mpz_fdiv_r_2exp(c, c, lm); /* the fraction's bits (plus the fold) */
    mpz_t hi, lo;
    mpz_inits(hi, lo, NULL);
    mpz_set(lo, c);
    int rc = PIE_K_OK;
    if (wrap) {
        /* c = (x + d) mod 2^lm, the exact fraction x and 0 <= d <= 2^fold:
         * where c >= 2^fold no wrap happened and x is in [c - 2^fold, c]. */
        mpz_t d;
        mpz_init(d);
        mpz_setbit(d, fold);
        if (mpz_cmp(c, d) < 0)
            rc = PIE_RADIX_AMBIGUOUS;
        else
            mpz_sub(lo, c, d);
        mpz_clear(d);
    }
    mpz_set(hi, c);
    mpz_addmul_ui(hi, q, e);
    if (mpz_sizeinbase(hi, 2) > lm) /* the interval reaches the next integer */
        rc = PIE_RADIX_AMBIGUOUS;
    if (rc == PIE_K_OK) {
        mpz_init(bottom->f);
        mpz_fdiv_q_2exp(bottom->f, lo, sh);
        mpz_cdiv_q_2exp(hi, hi, sh);
        mpz_sub(hi, hi, bottom->f);
        if (mpz_sizeinbase(hi, 2) > 32) {
            mpz_clear(bottom->f);
            rc = PIE_RADIX_AMBIGUOUS;
        } else {
            bottom->e = mpz_get_ui(hi);
            bottom->m = m2;
        }
    }
    mpz_clears(hi, lo, NULL);
    return rc;
}

int pie__radix_frac_split(pie__frac *x, const pie__pow5_set *p, unsigned threads, pie__frac *top,
                          pie__frac *bottom)
{
    const uint64_t k = x->ndigits, k1 = k - k / 2, k2 = k / 2, m = x->m, e = x->e;
    mpz_srcptr q = pow_of(p, k1);
    if (k < 2 || !q || !in_range(x)) {
        frac_clear(x);
        return PIE_K_EINVAL;
    }
    if (m <= k1 || e > MAX_WIDTH) { /* no bits left below the leading digits */
        frac_clear(x);
        return PIE_RADIX_AMBIGUOUS;
    }
    const uint64_t lm = m - k1;
    const uint64_t m2 = bits_for(k2) < lm ? bits_for(k2) : lm, sh = lm - m2;
    const uint64_t a = mpz_sgn(x->f) ? mpz_sizeinbase(x->f, 2) : 0, b = mpz_sizeinbase(q, 2);
    /* 2^N - 1 with N >= lm, and the fold (a + b - N bits) 8 bits below the
     * cut at sh. */
    uint64_t min_n = lm + 1;
    if (a + b + 8 > sh + min_n)
        min_n = a + b + 8 - sh;
    mpz_t c;
    mpz_init(c);
    uint64_t wrap = 0;
    int rc = pie__par_mul_mod(c, x->f, q, min_n, threads, &wrap);
    if (rc != PIE_K_OK) {
        mpz_clear(c);
        frac_clear(x);
        return rc;
    }
    const uint64_t fold = wrap && a + b > wrap ? a + b - wrap : 0;
    rc = trailing(c, wrap, fold, q, e, lm, m2, bottom);
    mpz_clear(c);
    if (rc != PIE_K_OK) {
        frac_clear(x);
        return rc;
    }
    bottom->ndigits = k2;
    /* The leading piece: f read to fewer bits, in place. */
    const uint64_t m1 = bits_for(k1) < m ? bits_for(k1) : m, s1 = m - m1;
    mpz_init(top->f);
    mpz_swap(top->f, x->f);
    frac_clear(x);
    if (s1) {
        mpz_fdiv_q_2exp(top->f, top->f, s1);
        if (m1 >= (UINT64_C(1) << 20))
            mpz_realloc2(top->f, m1); /* give back the bits shifted out */
    }
    top->m = m1;
    top->e = s1 ? ceil_shift(e, s1) + 1 : e;
    top->ndigits = k1;
    return PIE_K_OK;
}

typedef struct conv_job {
    pie__frac *x;
    const pie__pow5_set *p;
    unsigned threads;
    char *out;
    const volatile sig_atomic_t *stop;
    int rc;
} conv_job;

static void conv_run(void *arg)
{
    conv_job *j = arg;
    j->rc = pie__radix_frac_text(j->x, j->p, j->threads, j->out, j->stop);
}

/* The outcome of two pieces: a failure, then an ambiguity, then a stop. */
static int worse(int a, int b)
{
    int rank_a = a == PIE_K_OK ? 0 : a == PIE_RADIX_STOPPED ? 1 : a == PIE_RADIX_AMBIGUOUS ? 2 : 3;
    int rank_b = b == PIE_K_OK ? 0 : b == PIE_RADIX_STOPPED ? 1 : b == PIE_RADIX_AMBIGUOUS ? 2 : 3;
    return rank_b > rank_a ? b : a;
}

int pie__radix_frac_text(pie__frac *x, const pie__pow5_set *p, unsigned threads, char *out,
                         const volatile sig_atomic_t *stop)
{
    if (stop && *stop) {
        frac_clear(x);
        return PIE_RADIX_STOPPED;
    }
    if (x->ndigits <= LEAF_DIGITS)
        return leaf(x, p, out);
    pie__frac top, bottom;
    int rc = pie__radix_frac_split(x, p, threads, &top, &bottom);
    if (rc != PIE_K_OK)
        return rc;
    const unsigned t1 = threads > 1 ? threads / 2 : 1, t2 = threads > 1 ? threads - t1 : 1;
    conv_job jt = {.x = &top, .p = p, .threads = t1, .out = out, .stop = stop};
    conv_job jb = {.x = &bottom, .p = p, .threads = t2, .out = out + top.ndigits, .stop = stop};
    if (threads > 1) {
        pie__par_job jobs[2] = {{conv_run, &jt}, {conv_run, &jb}};
        pie__par_run(jobs, 2, 2);
    } else {
        conv_run(&jt);
        if (jt.rc == PIE_K_OK)
            conv_run(&jb);
        else
            frac_clear(&bottom);
    }
    return worse(jt.rc, jb.rc); /* jb.rc stays PIE_K_OK when jb did not run */
}
