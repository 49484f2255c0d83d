/** @brief Chudnovsky binary splitting: leaves, merges, truncation of the top levels. */
#include "chud_split.h"

#include "chud_factor.h"
#include "par_gmp.h"

/* 640320^3 / 24 = 2^15 * 333833583375. */
#define Q_ODD 333833583375UL
#define Q_TWOS 15
#define TERM_A 13591409UL
#define TERM_B 545140134UL
#ifndef GCD_MIN_TERMS
#define GCD_MIN_TERMS 32 /* below, the removal costs more than it saves (measured) */
#endif

void pie__chud_node_init(pie__chud_node *x)
{
    mpz_inits(x->P, x->Q, x->T, NULL);
    x->eP = x->eQ = x->eT = 0;
    x->a = x->b = 0;
    x->hasP = 1;
    x->cut = 0;
}

void pie__chud_node_clear(pie__chud_node *x)
{
    mpz_clears(x->P, x->Q, x->T, NULL);
}

uint64_t pie__chud_kept_bits(const pie__chud_job *job, uint64_t a)
{
    /* 47.11 bits per term, rounded down (keeps more bits than needed):
     * P(0,a)/Q(0,a) <= (72 / (640320^3/24))^a < 2^(-47.11 a). */
    uint64_t need = job->prec + job->margin, drop = a * 4711 / 100;
    return need > drop + 64 ? need - drop : 64;
}

/* Move the trailing zero bits of v into its exponent. */
static void strip_twos(mpz_t v, int64_t *e)
{
    if (mpz_sgn(v) == 0)
        return;
    mp_bitcnt_t z = mpz_scan1(v, 0);
    if (z) {
        mpz_tdiv_q_2exp(v, v, z);
        *e += (int64_t)z;
    }
}

/* Keep the top `kept` bits of v once it outgrows that by a margin: the
 * margin spares the levels just above the threshold a cut each. 1 if cut. */
static int truncate(mpz_t v, int64_t *e, uint64_t kept)
{
    size_t bits = mpz_sizeinbase(v, 2);
    if (mpz_sgn(v) != 0 && bits > kept + kept / 16 + 32) {
        mpz_tdiv_q_2exp(v, v, bits - kept);
        *e += (int64_t)(bits - kept);
        return 1;
    }
    return 0;
}

static void leaf(const pie__chud_job *job, pie__chud_node *x, uint64_t k)
{
    x->a = k;
    x->b = k + 1;
    x->hasP = k + 1 < job->nterms;
    x->eP = x->eQ = x->eT = 0;
    x->cut = 0;
    if (k == 0) {
        mpz_set_ui(x->P, 1);
        mpz_set_ui(x->Q, 1);
        mpz_set_ui(x->T, TERM_A);
        return;
    }
    /* p(k) = (6k-5)(2k-1)(6k-1), odd; fits in 64 bits for k < 2^20. */
    if (k < (UINT64_C(1) << 20)) {
        mpz_set_ui(x->P, (6 * k - 5) * (2 * k - 1));
        mpz_mul_ui(x->P, x->P, 6 * k - 1);
    } else {
        mpz_set_ui(x->P, 6 * k - 5);
        mpz_mul_ui(x->P, x->P, 2 * k - 1);
        mpz_mul_ui(x->P, x->P, 6 * k - 1);
    }
    /* q(k) = k^3 2^15 333833583375: the twos go to the exponent. */
    uint64_t odd = k;
    int tz = 0;
    while (!(odd & 1)) {
        odd >>= 1;
        tz++;
    }
    mpz_set_ui(x->Q, odd);
    mpz_mul_ui(x->Q, x->Q, odd);
    mpz_mul_ui(x->Q, x->Q, odd);
    mpz_mul_ui(x->Q, x->Q, Q_ODD);
    x->eQ = Q_TWOS + 3 * tz;
    /* T = (-1)^k (A + B k) p(k) */
    mpz_set_ui(x->T, TERM_B);
    mpz_mul_ui(x->T, x->T, k);
    mpz_add_ui(x->T, x->T, TERM_A);
    mpz_mul(x->T, x->T, x->P);
    if (k & 1)
        mpz_neg(x->T, x->T);
    strip_twos(x->T, &x->eT);
}

/* dst = u 2^eu + v 2^ev, as an integer and an exponent; u, v consumed. */
static void add_scaled(mpz_t dst, int64_t *e, mpz_t u, int64_t eu, mpz_t v, int64_t ev)
{
    if (eu >= ev) {
        mpz_mul_2exp(u, u, (mp_bitcnt_t)(eu - ev));
        *e = ev;
    } else {
        mpz_mul_2exp(v, v, (mp_bitcnt_t)(ev - eu));
        *e = eu;
    }
    mpz_add(dst, u, v);
    strip_twos(dst, e);
}

int pie__chud_merge(const pie__chud_job *job, pie__chud_node *l, pie__chud_node *r,
                    unsigned threads)
{
    mpz_t t1, t2, q, p;
    mpz_inits(t1, t2, q, p, NULL);

    pie__par_mul m[4] = {
        {t1, l->T, r->Q},
        {t2, l->P, r->T},
        {q, l->Q, r->Q},
        {p, l->P, r->P},
    };
    int rc = pie__par_mul_n(m, r->hasP ? 4 : 3, threads);
    if (rc == PIE_K_OK) {
        int64_t eT;
        add_scaled(l->T, &eT, t1, l->eT + r->eQ, t2, l->eP + r->eT);
        l->eT = eT;
        mpz_swap(l->Q, q);
        l->eQ += r->eQ;
        if (r->hasP) {
            mpz_swap(l->P, p);
            l->eP += r->eP;
        } else {
            mpz_set_ui(l->P, 0);
        }
        l->hasP = r->hasP;
        l->b = r->b;
        uint64_t kept = pie__chud_kept_bits(job, l->a);
        truncate(l->T, &l->eT, kept);
        l->cut |= r->cut | truncate(l->Q, &l->eQ, kept);
        l->cut |= truncate(l->P, &l->eP, kept);
    }
    mpz_clears(t1, t2, q, p, NULL);
    mpz_set_ui(r->P, 0);
    mpz_set_ui(r->Q, 0);
    mpz_set_ui(r->T, 0);
    return rc;
}

/* The recursion inside a chunk, with P's and Q's factorizations beside
 * them while no truncation has touched them. */
typedef struct fsplit_ctx {
    const pie__chud_job *job;
    pie__chud_sieve *sieve; /* NULL: no factor tracking */
    mpz_t g;
} fsplit_ctx;

typedef struct fnode {
    pie__chud_node n;
    pie__fac fp, fq;
    int tracked; /* fp, fq are the factorizations of n.P, n.Q */
} fnode;

static void fnode_init(fnode *x)
{
    pie__chud_node_init(&x->n);
    x->fp = x->fq = (pie__fac){0};
    x->tracked = 0;
}

static void fnode_clear(fnode *x)
{
    pie__chud_node_clear(&x->n);
    pie__fac_clear(&x->fp);
    pie__fac_clear(&x->fq);
}

static void fleaf(fsplit_ctx *c, fnode *x, uint64_t k)
{
    leaf(c->job, &x->n, k);
    x->fp.n = x->fq.n = 0;
    x->tracked = k == 0 || (c->sieve && pie__chud_sieve_term(c->sieve, k, &x->fp, &x->fq) == 0);
}

/* x = x + r, the common factors of x's P and r's Q removed first. */
static void fmerge(fsplit_ctx *c, fnode *x, fnode *r)
{
    int track = x->tracked && r->tracked;
    if (track && r->n.b - x->n.a < GCD_MIN_TERMS) {
        /* keep the lists; too small to pay for the removal */
    } else if (track && pie__fac_remove_gcd(&x->fp, &r->fq, c->g) == 0) {
        if (mpz_cmp_ui(c->g, 1) != 0) {
            mpz_divexact(x->n.P, x->n.P, c->g);
            mpz_divexact(r->n.Q, r->n.Q, c->g);
        }
    } else {
        track = 0;
    }
    pie__chud_merge(c->job, &x->n, &r->n, 1);
    pie__fac fp = {0}, fq = {0};
    if (track && !x->n.cut && pie__fac_mul(&fp, &x->fp, &r->fp) == 0 &&
        pie__fac_mul(&fq, &x->fq, &r->fq) == 0) {
        pie__fac_clear(&x->fp);
        pie__fac_clear(&x->fq);
        x->fp = fp;
        x->fq = fq;
        x->tracked = 1;
    } else {
        pie__fac_clear(&fp);
        pie__fac_clear(&fq);
        pie__fac_clear(&x->fp);
        pie__fac_clear(&x->fq);
        x->tracked = 0;
    }
}

static void fsplit(fsplit_ctx *c, fnode *x, uint64_t a, uint64_t b)
{
    if (b - a == 1) {
        fleaf(c, x, a);
        return;
    }
    uint64_t m = a + (b - a) / 2;
    fnode r;
    fnode_init(&r);
    fsplit(c, x, a, m);
    fsplit(c, &r, m, b);
    fmerge(c, x, &r);
    fnode_clear(&r);
}

void pie__chud_split(const pie__chud_job *job, pie__chud_node *x, uint64_t a, uint64_t b)
{
    fsplit_ctx c = {.job = job, .sieve = pie__chud_sieve_new(a, b)};
    mpz_init(c.g);
    fnode root;
    fnode_init(&root);
    fsplit(&c, &root, a, b);
    pie__chud_node_clear(x);
    *x = root.n; /* the integers move; root's lists go */
    pie__fac_clear(&root.fp);
    pie__fac_clear(&root.fq);
    mpz_clear(c.g);
    pie__chud_sieve_free(c.sieve);
}
