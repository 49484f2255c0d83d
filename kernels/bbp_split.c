/** @brief One chunk of Bellard's series by binary splitting, small primes merged by lcm. */
#include "bbp_split.h"

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

/* Keep the top `kept` bits of T and R once they outgrow it by a margin. */
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
    lnode_truncate(x, pie__bbp_kept_bits(c->job, a));
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
    lnode_truncate(l, pie__bbp_kept_bits(c->job, a));
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

int pie__bbp_split_chunk(const pie__bbp_job *job, uint64_t a, uint64_t b, mpz_t T, mpz_t Q,
                         int64_t *e)
{
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
    /* Q = R S */
    small_product(c, c->f1, x->x, NULL);
    mpz_mul(Q, x->R, c->f1);
    mpz_swap(T, x->T);
    *e = x->e;
    mpz_clears(x->T, x->R, NULL);
    free(x);
    lctx_clear(c);
    free(c);
    return PIE_K_OK;
}
