/** @brief Factored P and Q of the Chudnovsky splitting: a segmented sieve and gcd removal by lists.
 */
#include "chud_factor.h"

#include <stdlib.h>
#include <string.h>

/*
 * p(k) and q(k) share many primes across terms: P(0,n)/Q(0,n) is, up to
 * C^n, the integer (6n)!/((3n)!(n!)^3), so the reduced fraction is far
 * smaller than P and Q. Keeping the factorizations of P and Q of a node as
 * sorted lists makes gcd(P1, Q2) a merge of two lists instead of a big gcd
 * (gmp-chudnovsky's factor tracking); dividing it out shrinks every product
 * above. The three factors of p(k) are pairwise coprime (they are odd and
 * differ by 2 or 4, or are 2k-1 against 6k-1 = 3(2k-1) + 2).
 */

#define BLOCK 512u
#define MAXP 28u /* distinct primes of p(k): 3 numbers below 2^32, <= 9 each */
#define MAXQ 10u

void pie__fac_clear(pie__fac *f)
{
    free(f->v);
    f->v = NULL;
    f->n = f->cap = 0;
}

static int reserve(pie__fac *f, size_t n)
{
    if (n <= f->cap)
        return 0;
    size_t cap = f->cap ? f->cap : 16;
    while (cap < n)
        cap *= 2;
    pie__pe *v = realloc(f->v, cap * sizeof *v);
    if (!v)
        return -1;
    f->v = v;
    f->cap = cap;
    return 0;
}

/* dst = x * y for sorted lists (dst apart from both); the count. The loop
 * picks by arithmetic instead of branches: which list moves on is data
 * that no predictor learns (a merge's lists interleave at random). */
static size_t merge_pe(pie__pe *dst, const pie__pe *x, size_t nx, const pie__pe *y, size_t ny)
{
    size_t i = 0, j = 0, k = 0;
    while (i < nx && j < ny) {
        const pie__pe a = x[i], b = y[j];
        const uint32_t take_a = a.p <= b.p, take_b = b.p <= a.p;
        dst[k].p = take_a ? a.p : b.p;
        dst[k++].e = (a.e & (0 - take_a)) + (b.e & (0 - take_b));
        i += take_a;
        j += take_b;
    }
    while (i < nx)
        dst[k++] = x[i++];
    while (j < ny)
        dst[k++] = y[j++];
    return k;
}

int pie__fac_mul(pie__fac *dst, const pie__fac *x, const pie__fac *y)
{
    if (reserve(dst, x->n + y->n))
        return -1;
    dst->n = merge_pe(dst->v, x->v, x->n, y->v, y->n);
    return 0;
}

/* out = prod v[lo..hi) p^e, by halves so that the products stay balanced. */
static void product(mpz_t out, const pie__pe *v, size_t n)
{
    if (n <= 8) {
        mpz_set_ui(out, 1);
        for (size_t i = 0; i < n; i++) {
            mpz_t t;
            mpz_init(t);
            mpz_ui_pow_ui(t, v[i].p, v[i].e);
            mpz_mul(out, out, t);
            mpz_clear(t);
        }
        return;
    }
    mpz_t r;
    mpz_init(r);
    product(out, v, n / 2);
    product(r, v + n / 2, n - n / 2);
    mpz_mul(out, out, r);
    mpz_clear(r);
}

int pie__fac_remove_gcd(pie__fac *x, pie__fac *y, mpz_t out)
{
    pie__fac g = {0};
    if (reserve(&g, x->n < y->n ? x->n : y->n))
        return -1;
    size_t i = 0, j = 0, xi = 0, yj = 0;
    while (i < x->n && j < y->n) {
        if (x->v[i].p < y->v[j].p) {
            x->v[xi++] = x->v[i++];
        } else if (x->v[i].p > y->v[j].p) {
            y->v[yj++] = y->v[j++];
        } else {
            uint32_t e = x->v[i].e < y->v[j].e ? x->v[i].e : y->v[j].e;
            g.v[g.n++] = (pie__pe){x->v[i].p, e};
            if (x->v[i].e > e)
                x->v[xi++] = (pie__pe){x->v[i].p, x->v[i].e - e};
            if (y->v[j].e > e)
                y->v[yj++] = (pie__pe){y->v[j].p, y->v[j].e - e};
            i++;
            j++;
        }
    }
    while (i < x->n)
        x->v[xi++] = x->v[i++];
    while (j < y->n)
        y->v[yj++] = y->v[j++];
    x->n = xi;
    y->n = yj;
    product(out, g.v, g.n);
    pie__fac_clear(&g);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The sieve                                                                */

/* The four progressions c k + d: k (Q's), then p(k)'s three factors. */
static const int64_t PROG[4][2] = {{1, 0}, {6, -5}, {2, -1}, {6, -1}};

/* Sorted runs of entries, back to back (bounds), and room to merge them. */
typedef struct pie__runs {
    pie__pe *buf[2];
    size_t *bound;
    size_t cap, bound_cap;
} pie__runs;

struct pie__chud_sieve {
    uint32_t *prime;
    size_t np;
    uint64_t *next; /* np x 4: next k whose progression j the prime divides */
    uint64_t k0, k1, b;
    uint64_t a; /* the first term of the range */
    uint64_t rem[BLOCK][4];
    pie__pe fp[BLOCK][MAXP], fq[BLOCK][MAXQ];
    uint8_t nfp[BLOCK], nfq[BLOCK];
    /* pie__chud_sieve_range's scratch: the primes up to the limit by index
     * (index_of), their exponents (ep, eq) and which are set (bp, bq), the
     * larger primes as runs, and the small ones listed (pre) */
    uint64_t lim;
    uint32_t *index_of, *ep, *eq;
    uint64_t *bp, *bq;
    pie__pe *pre;
    pie__runs rp, rq;
};

static uint64_t isqrt(uint64_t v)
{
    uint64_t r = 1;
    while ((r + 1) * (r + 1) <= v)
        r++;
    return r;
}

/* Odd primes up to lim. */
static int small_primes(pie__chud_sieve *s, uint64_t lim)
{
    unsigned char *comp = calloc(lim + 1, 1);
    s->prime = malloc((lim / 2 + 2) * sizeof *s->prime);
    if (!comp || !s->prime) {
        free(comp);
        return -1;
    }
    for (uint64_t p = 3; p <= lim; p += 2) {
        if (comp[p])
            continue;
        s->prime[s->np++] = (uint32_t)p;
        for (uint64_t q = p * p; q <= lim; q += 2 * p)
            comp[q] = 1;
    }
    free(comp);
    return 0;
}

/* The inverse of c modulo the prime p (c not a multiple of p): extended
 * Euclid. */
static uint64_t inverse_mod(uint64_t c, uint64_t p)
{
    int64_t r0 = (int64_t)p, r1 = (int64_t)(c % p), t0 = 0, t1 = 1;
    while (r1 != 0) {
        int64_t q = r0 / r1, r = r0 - q * r1, t = t0 - q * t1;
        r0 = r1;
        r1 = r;
        t0 = t1;
        t1 = t;
    }
    return (uint64_t)(t0 < 0 ? t0 + (int64_t)p : t0);
}

/* The first k >= a with c k + d = 0 mod p; UINT64_MAX if none. */
static uint64_t first_hit(uint64_t a, int64_t c, int64_t d, uint64_t p)
{
    uint64_t cm = (uint64_t)c % p;
    if (!cm)
        return UINT64_MAX;
    uint64_t inv = inverse_mod(cm, p);
    uint64_t dm = (uint64_t)((d % (int64_t)p + (int64_t)p) % (int64_t)p);
    uint64_t k = (p - dm) % p * inv % p; /* c k = -d */
    return a + (k + p - a % p) % p;
}

pie__chud_sieve *pie__chud_sieve_new(uint64_t a, uint64_t b)
{
    pie__chud_sieve *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (a == 0)
        a = 1;
    s->lim = isqrt(6 * b) + 1;
    if (small_primes(s, s->lim) || !(s->next = malloc(s->np * 4 * sizeof *s->next))) {
        pie__chud_sieve_free(s);
        return NULL;
    }
    const size_t words = (s->np + 63) / 64 + 1;
    s->index_of = calloc(s->lim + 1, sizeof *s->index_of);
    s->ep = calloc(s->np + 1, sizeof *s->ep);
    s->eq = calloc(s->np + 1, sizeof *s->eq);
    s->bp = calloc(words, sizeof *s->bp);
    s->bq = calloc(words, sizeof *s->bq);
    s->pre = malloc((s->np + 1) * sizeof *s->pre);
    if (!s->index_of || !s->ep || !s->eq || !s->bp || !s->bq || !s->pre) {
        pie__chud_sieve_free(s);
        return NULL;
    }
    for (size_t i = 0; i < s->np; i++)
        s->index_of[s->prime[i]] = (uint32_t)i;
    for (size_t i = 0; i < s->np; i++)
        for (int j = 0; j < 4; j++)
            s->next[4 * i + j] = first_hit(a, PROG[j][0], PROG[j][1], s->prime[i]);
    s->k0 = s->k1 = a;
    s->a = a;
    s->b = b;
    return s;
}

uint64_t pie__chud_sieve_limit(const pie__chud_sieve *s)
{
    return s->lim;
}

void pie__chud_sieve_free(pie__chud_sieve *s)
{
    if (!s)
        return;
    free(s->prime);
    free(s->next);
    free(s->index_of);
    free(s->ep);
    free(s->eq);
    free(s->bp);
    free(s->bq);
    free(s->pre);
    for (int t = 0; t < 2; t++) {
        free(s->rp.buf[t]);
        free(s->rq.buf[t]);
    }
    free(s->rp.bound);
    free(s->rq.bound);
    free(s);
}

static void append(pie__chud_sieve *s, uint64_t i, int j, uint32_t p, uint32_t e)
{
    if (j == 0)
        s->fq[i][s->nfq[i]++] = (pie__pe){p, 3 * e};
    else
        s->fp[i][s->nfp[i]++] = (pie__pe){p, e};
}

/* Sieve the block of terms starting at k0. */
static void fill(pie__chud_sieve *s, uint64_t k0)
{
    uint64_t k1 = k0 + BLOCK < s->b ? k0 + BLOCK : s->b;
    for (uint64_t k = k0; k < k1; k++) {
        uint64_t i = k - k0, odd = k;
        while (!(odd & 1))
            odd >>= 1; /* q's twos live in its exponent */
        s->rem[i][0] = odd;
        for (int j = 1; j < 4; j++)
            s->rem[i][j] = (uint64_t)(PROG[j][0] * (int64_t)k + PROG[j][1]);
        s->nfp[i] = s->nfq[i] = 0;
    }
    for (size_t pi = 0; pi < s->np; pi++) {
        uint32_t p = s->prime[pi];
        for (int j = 0; j < 4; j++) {
            uint64_t k = s->next[4 * pi + j];
            if (k < k0) /* terms skipped: the next hit from k0 on */
                k += (k0 - k + p - 1) / p * p;
            for (; k < k1; k += p) {
                uint64_t i = k - k0;
                uint32_t e = 0;
                do {
                    s->rem[i][j] /= p;
                    e++;
                } while (s->rem[i][j] % p == 0);
                append(s, i, j, p, e);
            }
            s->next[4 * pi + j] = k;
        }
    }
    s->k0 = k0;
    s->k1 = k1;
}

static int cmp_pe(const void *x, const void *y)
{
    uint32_t a = ((const pie__pe *)x)->p, b = ((const pie__pe *)y)->p;
    return a < b ? -1 : a > b;
}

/* The constant's odd part: 640320^3 / 24 / 2^15 = 3^2 5^3 23^3 29^3. */
static const pie__pe CONST_FAC[4] = {{3, 2}, {5, 3}, {23, 3}, {29, 3}};

int pie__chud_sieve_term(pie__chud_sieve *s, uint64_t k, pie__fac *fp, pie__fac *fq)
{
    if (k < s->k0 || k >= s->b)
        return -1;
    if (k >= s->k1)
        fill(s, k);
    uint64_t i = k - s->k0;
    /* The cofactors left are primes above the sieve's limit. */
    pie__pe tail[3];
    unsigned nt = 0;
    for (int j = 1; j < 4; j++)
        if (s->rem[i][j] > 1)
            tail[nt++] = (pie__pe){(uint32_t)s->rem[i][j], 1};
    qsort(tail, nt, sizeof tail[0], cmp_pe);
    if (reserve(fp, s->nfp[i] + nt) || reserve(fq, s->nfq[i] + 5))
        return -1;
    /* p(k)'s list: small primes in order (each appears for one factor
     * only), then the tail. */
    memcpy(fp->v, s->fp[i], s->nfp[i] * sizeof fp->v[0]);
    qsort(fp->v, s->nfp[i], sizeof fp->v[0], cmp_pe);
    memcpy(fp->v + s->nfp[i], tail, nt * sizeof tail[0]);
    fp->n = s->nfp[i] + nt;
    pie__fac qk = {.v = s->fq[i], .n = s->nfq[i], .cap = MAXQ};
    if (s->rem[i][0] > 1)
        qk.v[qk.n++] = (pie__pe){(uint32_t)s->rem[i][0], 3};
    pie__fac cf = {.v = (pie__pe *)CONST_FAC, .n = 4, .cap = 4};
    return pie__fac_mul(fq, &qk, &cf);
}

/* ------------------------------------------------------------------------ */
/* A range of terms at once                                                 */

/* Room for `entries` entries in each of a list's two run buffers and
 * `runs` + 1 bounds. */
static int scratch(pie__runs *r, size_t entries, size_t runs)
{
    if (entries > r->cap) {
        for (int t = 0; t < 2; t++) {
            pie__pe *v = realloc(r->buf[t], entries * sizeof *v);
            if (!v)
                return -1;
            r->buf[t] = v;
        }
        r->cap = entries;
    }
    if (runs + 1 > r->bound_cap) {
        size_t *v = realloc(r->bound, (runs + 1) * sizeof *v);
        if (!v)
            return -1;
        r->bound = v;
        r->bound_cap = runs + 1;
    }
    return 0;
}

/* Add v (sorted, primes above the limit) to run r's list at *len. */
static void put_run(pie__runs *r, size_t *len, const pie__pe *v, size_t n)
{
    memcpy(r->buf[0] + *len, v, n * sizeof *v);
    *len += n;
}

/* Sort a handful of entries by prime, one entry a prime (k's cofactor can
 * be one of the constant's primes); the count. */
static size_t sort_few(pie__pe *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && v[j - 1].p > v[j].p; j--) {
            pie__pe t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && v[k - 1].p == v[i].p)
            v[k - 1].e += v[i].e;
        else
            v[k++] = v[i];
    }
    return k;
}

/* Prime p (up to the limit) with exponent e into the exponents e and the
 * bits b. */
static void add_small(const pie__chud_sieve *s, uint32_t *e, uint64_t *b, pie__pe v)
{
    uint32_t d = s->index_of[v.p];
    e[d] += v.e;
    b[d / 64] |= UINT64_C(1) << (d % 64);
}

/* A prime q above the limit divides each number of a term at most once
 * (q^2 > 6b), and a merge removes it only from a left node's P and a right
 * node's Q: its place in p(k) is kept only when a later q(k') of the range
 * holds q, its place in k^3 only when an earlier p(k') does. Most such
 * primes are in neither case: the merges' list work shrinks, their gcds
 * stay the same. */
static int removable_p(const pie__chud_sieve *s, uint64_t k, uint64_t q)
{
    for (int c = 0; c < 4 && CONST_FAC[c].p <= q; c++)
        if (CONST_FAC[c].p == q) /* in every q(k'), from the constant */
            return k + 1 < s->b;
    return (k / q + 1) * q < s->b;
}

static int removable_q(const pie__chud_sieve *s, uint64_t k, uint64_t q)
{
    /* k' with q | 6k'-1, 2k'-1, 6k'-5: 1/6, 1/2, 5/6 mod q (q > 3 prime). */
    uint64_t inv6 = q % 6 == 1 ? (5 * q + 1) / 6 : (q + 1) / 6;
    const uint64_t r[3] = {inv6, (q + 1) / 2, 5 * inv6 % q};
    for (int j = 0; j < 3; j++)
        if (s->a + (r[j] + q - s->a % q) % q < k)
            return 1;
    return 0;
}

/* Term k: its primes up to the limit into the exponents, the larger ones
 * (the cofactors the sieve left, and the constant's primes above the
 * limit) as one sorted run each for p(k) and q(k). The block holding k is
 * sieved already. */
static void add_term(pie__chud_sieve *s, uint64_t k, size_t *lp, size_t *lq)
{
    uint64_t i = k - s->k0;
    for (unsigned t = 0; t < s->nfp[i]; t++)
        add_small(s, s->ep, s->bp, s->fp[i][t]);
    for (unsigned t = 0; t < s->nfq[i]; t++)
        add_small(s, s->eq, s->bq, s->fq[i][t]);
    pie__pe big[8];
    size_t n = 0;
    for (int j = 1; j < 4; j++)
        if (s->rem[i][j] > 1 && removable_p(s, k, s->rem[i][j]))
            big[n++] = (pie__pe){(uint32_t)s->rem[i][j], 1};
    put_run(&s->rp, lp, big, sort_few(big, n));
    n = 0;
    if (s->rem[i][0] > 1 && removable_q(s, k, s->rem[i][0]))
        big[n++] = (pie__pe){(uint32_t)s->rem[i][0], 3};
    for (int c = 0; c < 4; c++) {
        if (CONST_FAC[c].p <= s->lim)
            add_small(s, s->eq, s->bq, CONST_FAC[c]);
        else
            big[n++] = CONST_FAC[c];
    }
    put_run(&s->rq, lq, big, sort_few(big, n));
}

/* The primes up to the limit with their exponents (e, set in b), in
 * increasing order, into s->pre; the exponents and bits cleared. Their
 * count. */
static size_t take_small(pie__chud_sieve *s, uint32_t *e, uint64_t *b)
{
    size_t n = 0;
    for (size_t w = 0; w * 64 < s->np; w++) {
        for (uint64_t m = b[w]; m; m &= m - 1) {
            size_t d = w * 64 + (size_t)__builtin_ctzll(m);
            s->pre[n++] = (pie__pe){s->prime[d], e[d]};
            e[d] = 0;
        }
        b[w] = 0;
    }
    return n;
}

/* f = the small primes of s->pre (npre) followed by the product of the
 * runs in r->buf[0] (r->bound[0..runs]), by rounds of pairwise merges. */
static int merge_runs(pie__chud_sieve *s, pie__runs *r, size_t runs, size_t npre, pie__fac *f)
{
    pie__pe *src = r->buf[0], *dst = r->buf[1];
    size_t *bound = r->bound;
    while (runs > 1) {
        size_t out = 0, k = 0;
        /* bound[k / 2] is written after bound[k..k+2] were read */
        for (; k + 1 < runs; k += 2) {
            size_t at = out;
            out += merge_pe(dst + out, src + bound[k], bound[k + 1] - bound[k], src + bound[k + 1],
                            bound[k + 2] - bound[k + 1]);
            bound[k / 2] = at;
        }
        if (k < runs) { /* an odd run out: copied */
            size_t n = bound[k + 1] - bound[k];
            memcpy(dst + out, src + bound[k], n * sizeof *dst);
            bound[k / 2] = out;
            out += n;
        }
        runs = (runs + 1) / 2;
        bound[runs] = out;
        pie__pe *t = src;
        src = dst;
        dst = t;
    }
    size_t n = runs ? bound[1] - bound[0] : 0;
    if (reserve(f, npre + n ? npre + n : 1))
        return -1;
    memcpy(f->v, s->pre, npre * sizeof *f->v);
    memcpy(f->v + npre, src + (runs ? bound[0] : 0), n * sizeof *src);
    f->n = npre + n;
    return 0;
}

int pie__chud_sieve_range(pie__chud_sieve *s, uint64_t a, uint64_t b, pie__fac *fp, pie__fac *fq)
{
    fp->n = fq->n = 0;
    if (a == 0)
        a = 1;
    if (a < s->k0 || b > s->b)
        return -1;
    if (b <= a)
        return 0;
    const size_t nruns = (size_t)(b - a);
    if (scratch(&s->rp, 3 * nruns, nruns) || scratch(&s->rq, 5 * nruns, nruns))
        return -1;
    /* One pass over the terms (the sieve's block moves on as it goes). */
    size_t lp = 0, lq = 0, runs = 0;
    s->rp.bound[0] = s->rq.bound[0] = 0;
    for (uint64_t k = a; k < b; k++) {
        if (k >= s->k1)
            fill(s, k);
        add_term(s, k, &lp, &lq);
        runs++;
        s->rp.bound[runs] = lp;
        s->rq.bound[runs] = lq;
    }
    /* Every small prime is below every larger one: the lists are the small
     * primes in order, then the merged runs. */
    size_t n = take_small(s, s->ep, s->bp);
    int rc = merge_runs(s, &s->rp, runs, n, fp);
    n = take_small(s, s->eq, s->bq);
    return rc || merge_runs(s, &s->rq, runs, n, fq) ? -1 : 0;
}
