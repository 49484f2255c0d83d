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
    x->tracked = 0;
    x->fp = x->fq = (pie__fac){0};
}

void pie__chud_node_clear(pie__chud_node *x)
{
    mpz_clears(x->P, x->Q, x->T, NULL);
    pie__fac_clear(&x->fp);
    pie__fac_clear(&x->fq);
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

/* Integers from this size give back the memory they no longer use: near
 * the top of the tree a truncated product keeps only part of its bits, and
 * a merge's right node is spent, yet their blocks stayed allocated (the
 * merge stack keeps its slots), some 3 W/2 bits at the top merges. */
#define GIVE_BACK_BITS (UINT64_C(1) << 20)

/* Keep the top `kept` bits of v once it outgrows that by a margin: the
 * margin spares the levels just above the threshold a cut each. 1 if cut. */
static int trunc_bits(mpz_t v, int64_t *e, uint64_t kept)
{
    size_t bits = mpz_sizeinbase(v, 2);
    if (mpz_sgn(v) != 0 && bits > kept + kept / 16 + 32) {
        mpz_tdiv_q_2exp(v, v, bits - kept);
        *e += (int64_t)(bits - kept);
        if (bits >= GIVE_BACK_BITS && bits - kept > kept / 2)
            mpz_realloc2(v, kept); /* the value has kept bits: it fits */
        return 1;
    }
    return 0;
}

/* v's value is spent: 0, and a large block freed. */
static void spend(mpz_t v)
{
    int large = mpz_sizeinbase(v, 2) >= GIVE_BACK_BITS;
    mpz_set_ui(v, 0);
    if (large)
        mpz_realloc2(v, 64);
}

static void leaf(const pie__chud_job *job, pie__chud_node *x, uint64_t k)
{
    x->a = k;
    x->b = k + 1;
    x->hasP = k + 1 < job->nterms;
    x->eP = x->eQ = x->eT = 0;
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

/* Divide gcd(P1, Q2) out of l's P and r's Q; 0 if the lists still describe
 * the integers afterwards (they do unless memory ran out). */
static int remove_common(pie__chud_node *l, pie__chud_node *r, mpz_t g)
{
    if (pie__fac_remove_gcd(&l->fp, &r->fq, g) != 0)
        return -1;
    if (mpz_cmp_ui(g, 1) != 0) {
        mpz_divexact(l->P, l->P, g);
        mpz_divexact(r->Q, r->Q, g);
    }
    return 0;
}

/* l's lists become those of the merged node, or go. */
static void merge_lists(pie__chud_node *l, pie__chud_node *r, int track)
{
    pie__fac fp = {0}, fq = {0};
    if (track && pie__fac_mul(&fp, &l->fp, &r->fp) == 0 && pie__fac_mul(&fq, &l->fq, &r->fq) == 0) {
        pie__fac_clear(&l->fp);
        pie__fac_clear(&l->fq);
        l->fp = fp;
        l->fq = fq;
        l->tracked = 1;
        return;
    }
    pie__fac_clear(&fp);
    pie__fac_clear(&fq);
    pie__fac_clear(&l->fp);
    pie__fac_clear(&l->fq);
    l->tracked = 0;
}

/* A merge's temporaries. The splitting keeps one set for all its merges:
 * mpz_swap hands each product's block to the node and the node's old block
 * to the set, so that the blocks go round instead of being allocated and
 * freed at every merge (a sixth of the chunks' time went to malloc). */
typedef struct scratch {
    mpz_t t1, t2, q, p;
} scratch;

static void scratch_init(scratch *s)
{
    mpz_inits(s->t1, s->t2, s->q, s->p, NULL);
}

static void scratch_clear(scratch *s)
{
    mpz_clears(s->t1, s->t2, s->q, s->p, NULL);
}

/* pie__chud_merge with the temporaries of s; the merged node's lists are
 * formed only when `keep` says that something above will use them. */
static int merge(const pie__chud_job *job, pie__chud_node *l, pie__chud_node *r,
                 const pie__par *par, scratch *s, int keep)
{
    mpz_ptr t1 = s->t1, t2 = s->t2, q = s->q, p = s->p;
    int track = l->tracked && r->tracked;
    if (track && r->b - l->a >= GCD_MIN_TERMS)
        track = remove_common(l, r, q) == 0;

    pie__par_mul m[4] = {
        {t1, l->T, r->Q},
        {t2, l->P, r->T},
        {q, l->Q, r->Q},
        {p, l->P, r->P},
    };
    int rc = pie__par_mul_n(m, r->hasP ? 4 : 3, par);
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
        trunc_bits(l->T, &l->eT, kept);
        int cut = trunc_bits(l->Q, &l->eQ, kept);
        cut |= trunc_bits(l->P, &l->eP, kept);
        merge_lists(l, r, keep && track && !cut);
    }
    spend(r->P);
    spend(r->Q);
    spend(r->T);
    pie__fac_clear(&r->fp);
    pie__fac_clear(&r->fq);
    r->tracked = 0;
    return rc;
}

int pie__chud_merge(const pie__chud_job *job, pie__chud_node *l, pie__chud_node *r,
                    const pie__par *par)
{
    scratch s;
    scratch_init(&s);
    int rc = merge(job, l, r, par, &s, 1);
    scratch_clear(&s);
    return rc;
}

/* Nodes from this size up carry their factorizations: a merge of GCD_MIN_TERMS
 * terms or more has children of at least half that. */
#define TRACK_MIN_TERMS (GCD_MIN_TERMS / 2)
#if TRACK_MIN_TERMS < 1
#error "GCD_MIN_TERMS must be at least 2"
#endif

/* The splitting's memory: the temporaries of its merges, and a right node
 * for each depth, whose blocks the next node at that depth reuses. */
#define SPLIT_DEPTH 64 /* > log2 of any term count */

typedef struct splitter {
    const pie__chud_job *job;
    scratch s;
    pie__chud_node right[SPLIT_DEPTH];
    unsigned ready; /* right[0 .. ready) are initialized */
} splitter;

/* The node of [a, b) into x, at `depth` below the splitting's root. Nodes
 * of 2 TRACK_MIN_TERMS terms or more (given the sieve) carry their lists
 * through their merges. Below that no removal happens: the subtree's leaves
 * carry empty lists (`track`: 1 unless there is no sieve) and its merges
 * keep them empty, no allocation, so that x->tracked says at the end
 * whether a truncation cut P or Q on the way (which ends the tracking, as
 * above); the node's lists then come from the sieve in one piece, the same
 * lists the leaves' would have merged into. The root's own lists are not
 * formed: nothing above it removes factors (pie__chud_split). */
static void split(splitter *z, pie__chud_sieve *sieve, int track, pie__chud_node *x, uint64_t a,
                  uint64_t b, unsigned depth)
{
    const pie__chud_job *job = z->job;
    pie__chud_sieve *inner = b - a < 2 * TRACK_MIN_TERMS ? NULL : sieve;
    if (b - a == 1) {
        leaf(job, x, a);
        x->fp.n = x->fq.n = 0;
        x->tracked = track;
    } else {
        uint64_t m = a + (b - a) / 2;
        if (depth == z->ready)
            pie__chud_node_init(&z->right[z->ready++]);
        pie__chud_node *r = &z->right[depth];
        split(z, inner, track, x, a, m, depth + 1);
        split(z, inner, track, r, m, b, depth + 1);
        merge(job, x, r, NULL, &z->s, depth > 0);
    }
    if (depth > 0 && sieve && !inner && x->tracked &&
        pie__chud_sieve_range(sieve, a, b, &x->fp, &x->fq) != 0) {
        pie__fac_clear(&x->fp);
        pie__fac_clear(&x->fq);
        x->tracked = 0;
    }
}

void pie__chud_split(const pie__chud_job *job, pie__chud_node *x, uint64_t a, uint64_t b)
{
    pie__chud_sieve *sieve = pie__chud_sieve_new(a, b);
    splitter z = {.job = job};
    scratch_init(&z.s);
    split(&z, sieve, sieve != NULL, x, a, b, 0);
    pie__fac_clear(&x->fp); /* a one-term root's lists are its leaf's, empty */
    pie__fac_clear(&x->fq);
    x->tracked = 0;
    scratch_clear(&z.s);
    for (unsigned i = 0; i < z.ready; i++)
        pie__chud_node_clear(&z.right[i]);
    pie__chud_sieve_free(sieve);
}
