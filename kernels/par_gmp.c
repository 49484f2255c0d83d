/** @brief Big-integer work on several threads: a tiny pthread pool over a job counter. */
#include "par_gmp.h"

#include "par_crt.h"
#include "pie_kernel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/*
 * GMP is reentrant: threads may work on different mpz_t at once, and read the
 * same operand concurrently. Threads are created and joined per call (the
 * calls that come here are products of millions of bits, where that costs
 * nothing), so no pool outlives a call: a fork afterwards is safe.
 */

#define MAX_THREADS 64u

typedef struct pool {
    const pie__par_job *jobs;
    unsigned n;
    atomic_uint next;
} pool;

static void *pool_worker(void *p)
{
    pool *s = p;
    for (unsigned i; (i = atomic_fetch_add(&s->next, 1)) < s->n;)
        s->jobs[i].fn(s->jobs[i].arg);
    return NULL;
}

int pie__par_run(const pie__par_job *jobs, unsigned n, unsigned threads)
{
    pool s = {.jobs = jobs, .n = n};
    atomic_init(&s.next, 0);
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if (threads > n)
        threads = n;
    pthread_t th[MAX_THREADS];
    unsigned started = 0;
    while (started + 1 < threads && pthread_create(&th[started], NULL, pool_worker, &s) == 0)
        started++;
    pool_worker(&s);
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    return threads > 1 && started == 0 ? -1 : 0;
}

/* One piece on a thread: out = |a| * |limbs [off, off+len) of b|; a whole
 * product (its only piece) goes straight into its rop, whose allocation it
 * reuses. */
typedef struct slice {
    mpz_t out;
    const pie__par_piece *pc;
    const pie__par_mul *whole; /* the product, when this piece is all of it */
    int split;                 /* computed as two halves (par_crt.c) into crt */
    pie__crt_mul crt;
} slice;

/* The piece's operands: |a| and the normalized limbs [off, off+len) of b. */
static void piece_operands(const pie__par_piece *pc, mp_srcptr *a, mp_size_t *an, mp_srcptr *b,
                           mp_size_t *bn)
{
    const mp_limb_t *bl = mpz_limbs_read(pc->b);
    size_t len = pc->len;
    while (len && bl[pc->off + len - 1] == 0)
        len--;
    *b = bl + pc->off;
    *bn = (mp_size_t)len;
    *a = mpz_limbs_read(pc->a);
    *an = (mp_size_t)mpz_size(pc->a);
}

void pie__par_piece_mul(mpz_ptr out, const pie__par_piece *pc)
{
    mp_srcptr a, b;
    mp_size_t an, bn;
    piece_operands(pc, &a, &an, &b, &bn);
    mpz_t bv, av, copy;
    mpz_roinit_n(bv, b, bn); /* normalized sizes, as mpz_roinit_n wants */
    mpz_roinit_n(av, a, an);
    if (a == b && an != bn) {
        /* The first slice of a square: mpz_mul takes operands at the same
         * address for one number and squares it, writing 2 an limbs into
         * room for an + bn. */
        mpz_init_set(copy, bv);
        mpz_mul(out, av, copy);
        mpz_clear(copy);
        return;
    }
    mpz_mul(out, av, bv);
}

static void slice_run(void *p)
{
    slice *s = p;
    if (s->whole) {
        mpz_mul(s->whole->rop, s->whole->a, s->whole->b);
        return;
    }
    pie__par_piece_mul(s->out, s->pc);
}

/* Where the piece's product goes: its product's rop when whole. */
static mpz_ptr dest(slice *s)
{
    return s->whole ? s->whole->rop : s->out;
}

/* Splits the piece's product in two halves (par_crt.c) when that pays:
 * 0 when it will run whole, -1 when out of memory. */
static int split_piece(slice *s)
{
    mp_srcptr a, b;
    mp_size_t an, bn;
    piece_operands(s->pc, &a, &an, &b, &bn);
    if (an == 0 || bn == 0)
        return 0;
    int rc = pie__crt_start(&s->crt, dest(s), a, an, b, bn);
    s->split = rc == 0;
    return rc < 0 ? -1 : 0;
}

static void split_finish(slice *s, int keep)
{
    if (!s->split)
        return;
    if (!keep) {
        pie__crt_cancel(&s->crt, dest(s));
        return;
    }
    int neg = s->whole && mpz_sgn(s->whole->a) * mpz_sgn(s->whole->b) < 0;
    pie__crt_finish(&s->crt, dest(s), neg);
}

static int big(const pie__par_mul *m, uint64_t bits)
{
    return mpz_sizeinbase(m->a, 2) >= bits && mpz_sizeinbase(m->b, 2) >= bits;
}

/* Whether products are cut in halves here (par_crt.c): on this process's
 * threads, in a build that has them. */
static int halves(int task)
{
    return !task && pie__crt_available();
}

static int sliced(const pie__par_mul *m, unsigned n, unsigned threads, int task)
{
    /* As many products as threads or more: whole products keep every
     * thread busy without the cost of cutting them (two products of n by
     * n/2 bits cost about 1.2 of one n by n). With the halves, a batch the
     * threads cannot share evenly (a top merge's three products on two
     * threads: 1.5x) is cut too, its halves then balance. */
    if (!big(m, halves(task) ? PIE_PAR_MUL_MIN_BITS : PIE_PAR_SLICE_MIN_BITS))
        return 0;
    return threads > n || (halves(task) && n < 2 * threads && n % threads != 0);
}

/* Slices per product that is cut: with the halves, threads / 2 (each
 * slice's two halves make a job per thread); otherwise one per thread. */
static unsigned slices_of(unsigned threads, int task)
{
    if (!halves(task))
        return threads;
    return threads / 2 ? threads / 2 : 1;
}

static size_t work_of(const pie__par_piece *pc)
{
    return mpz_size(pc->a) + pc->len;
}

/* Largest products first (the LPT rule): the pool's makespan is then within
 * 4/3 of the best. Insertion sort: a handful of jobs. */
static void sort_by_work(pie__par_piece *pc, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        pie__par_piece j = pc[i];
        unsigned k = i;
        for (; k > 0 && work_of(&pc[k - 1]) < work_of(&j); k--)
            pc[k] = pc[k - 1];
        pc[k] = j;
    }
}

/* Product m as pieces from pc on: `threads` slices of its larger operand
 * (each slice's product is then the most balanced, which GMP multiplies
 * best), or one piece. */
static unsigned cut(const pie__par_mul *m, unsigned prod, unsigned parts, pie__par_piece *pc)
{
    mpz_srcptr bg = mpz_size(m->a) >= mpz_size(m->b) ? m->a : m->b;
    mpz_srcptr sm = bg == m->a ? m->b : m->a;
    size_t nl = mpz_size(bg), step = (nl + parts - 1) / parts;
    for (unsigned t = 0; t < parts; t++) {
        size_t off = t * step < nl ? t * step : nl;
        size_t len = off + step <= nl ? step : nl - off;
        pc[t] = (pie__par_piece){.prod = prod, .a = sm, .b = bg, .off = off, .len = len};
    }
    return parts;
}

/* The pieces of the n products; NULL when out of memory. */
static pie__par_piece *pieces_of(const pie__par_mul *m, unsigned n, unsigned threads, int task,
                                 unsigned *np)
{
    const unsigned parts = slices_of(threads, task);
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        k += sliced(&m[i], n, threads, task) ? parts : 1;
    pie__par_piece *pc = calloc(k, sizeof *pc);
    if (!pc)
        return NULL;
    k = 0;
    for (unsigned i = 0; i < n; i++)
        k += cut(&m[i], i, sliced(&m[i], n, threads, task) ? parts : 1, pc + k);
    if (k == n)
        sort_by_work(pc, k); /* whole products only */
    *np = k;
    return pc;
}

/* The pool takes its jobs in array order: heaviest first (the LPT rule).
 * A whole piece weighs its limbs (work_of); of a piece in halves, the half
 * modulo B^n + 1 (one transform of length n) 11/20 of them and the half
 * modulo B^n - 1 (GMP's two of length n/2) 9/20: apart on one thread the
 * first takes 1.18-1.34 times as long from 2^18 to 2^24 bits (bench_par_mul's
 * "halves apart" lines). Taken in product order, a top merge's last thread
 * could be left alone on a B^n + 1 half; heaviest first, three products on
 * two threads went from 1.72-1.74x to 1.86-1.92x GMP's speed at 2^22 bits. */
static void order_by_weight(pie__par_job *jobs, size_t *w, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        pie__par_job j = jobs[i];
        size_t wj = w[i];
        unsigned k = i;
        for (; k > 0 && w[k - 1] < wj; k--) {
            jobs[k] = jobs[k - 1];
            w[k] = w[k - 1];
        }
        jobs[k] = j;
        w[k] = wj;
    }
}

/* The pieces on this process's threads, added into their products. A piece
 * of a product that is sliced, or a product alone with threads to spare,
 * runs as two halves (par_crt.c) where that pays: two jobs. */
static int on_threads(const pie__par_mul *m, unsigned n, const pie__par_piece *pc, unsigned np,
                      unsigned threads)
{
    slice *sl = calloc(np, sizeof *sl);
    pie__par_job *jobs = calloc(2 * (size_t)np, sizeof *jobs);
    size_t *w = calloc(2 * (size_t)np, sizeof *w);
    if (!sl || !jobs || !w) {
        free(sl);
        free(jobs);
        free(w);
        return PIE_K_ENOMEM;
    }
    unsigned nj = 0;
    int rc = PIE_K_OK;
    for (unsigned i = 0; i < np; i++) {
        const pie__par_mul *mi = &m[pc[i].prod];
        sl[i].pc = &pc[i];
        if (pc[i].off == 0 && pc[i].len == mpz_size(pc[i].b))
            sl[i].whole = mi;
        mpz_init(sl[i].out);
        if (rc == PIE_K_OK && sliced(mi, n, threads, 0) && split_piece(&sl[i]) < 0)
            rc = PIE_K_ENOMEM;
        const size_t all = work_of(&pc[i]);
        if (sl[i].split) {
            w[nj] = all / 20 * 11;
            jobs[nj++] = (pie__par_job){pie__crt_plus, &sl[i].crt};
            w[nj] = all / 20 * 9;
            jobs[nj++] = (pie__par_job){pie__crt_minus, &sl[i].crt};
        } else {
            w[nj] = all;
            jobs[nj++] = (pie__par_job){slice_run, &sl[i]};
        }
    }
    if (rc != PIE_K_OK) {
        for (unsigned i = 0; i < np; i++) {
            split_finish(&sl[i], 0);
            mpz_clear(sl[i].out);
        }
        free(w);
        free(jobs);
        free(sl);
        return rc;
    }
    order_by_weight(jobs, w, nj);
    free(w);
    pie__par_run(jobs, nj, threads);
    for (unsigned i = 0; i < np; i++)
        split_finish(&sl[i], 1);
    /* The sliced products: rop = the slices, each shifted to its place. */
    for (unsigned i = 0; i < np; i++) {
        mpz_ptr rop = m[pc[i].prod].rop;
        if (!sl[i].whole && pc[i].off == 0) {
            mpz_swap(rop, sl[i].out);
        } else if (!sl[i].whole) {
            mpz_mul_2exp(sl[i].out, sl[i].out, (mp_bitcnt_t)pc[i].off * GMP_NUMB_BITS);
            mpz_add(rop, rop, sl[i].out);
        }
        mpz_clear(sl[i].out);
    }
    for (unsigned i = 0; i < np; i++)
        if (!sl[i].whole && pc[i].off == 0 &&
            mpz_sgn(m[pc[i].prod].a) * mpz_sgn(m[pc[i].prod].b) < 0)
            mpz_neg(m[pc[i].prod].rop, m[pc[i].prod].rop);
    free(jobs);
    free(sl);
    return PIE_K_OK;
}

int pie__par_mul_n(const pie__par_mul *m, unsigned n, const pie__par *par)
{
    unsigned threads = par && par->threads ? par->threads : 1;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    int any = 0, task = 0;
    for (unsigned i = 0; i < n && threads > 1; i++) {
        any |= big(&m[i], PIE_PAR_MUL_MIN_BITS);
        task |= par->run && big(&m[i], par->task_min_bits);
    }
    if (!any) { /* the common case, deep in the tree: no bookkeeping */
        for (unsigned i = 0; i < n; i++)
            mpz_mul(m[i].rop, m[i].a, m[i].b);
        return PIE_K_OK;
    }
    unsigned np = 0;
    pie__par_piece *pc = pieces_of(m, n, threads, task, &np);
    if (!pc)
        return PIE_K_ENOMEM;
    int rc = task ? pie__par_mul_task(m, n, pc, np, par) : PIE_PAR_NO_ROOM;
    if (rc == PIE_PAR_NO_ROOM && task) { /* cut again for the threads */
        free(pc);
        pc = pieces_of(m, n, threads, 0, &np);
        if (!pc)
            return PIE_K_ENOMEM;
    }
    if (rc == PIE_PAR_NO_ROOM)
        rc = on_threads(m, n, pc, np, threads);
    free(pc);
    return rc;
}

int pie__par_mul_mod(mpz_ptr rop, mpz_srcptr a, mpz_srcptr b, uint64_t min_bits, unsigned threads,
                     uint64_t *wrap_bits)
{
    *wrap_bits = 0;
    const mp_size_t an = (mp_size_t)mpz_size(a), bn = (mp_size_t)mpz_size(b);
    const mp_size_t rn_min = (mp_size_t)((min_bits + GMP_NUMB_BITS - 1) / GMP_NUMB_BITS);
    mp_size_t rn = 0;
    if (an > 0 && bn > 0 && threads > 1) {
        pie__crt_mul c;
        rn = pie__crt_start_mod(&c, rop, mpz_limbs_read(a), an, mpz_limbs_read(b), bn, rn_min);
        if (rn < 0)
            return PIE_K_ENOMEM;
        if (rn > 0) {
            pie__par_job jobs[2] = {{pie__crt_minus, &c}, {pie__crt_plus, &c}};
            pie__par_run(jobs, 2, 2);
            pie__crt_finish(&c, rop, 0);
        }
    }
    if (rn == 0 && an > 0 && bn > 0)
        rn = pie__crt_mulmod(rop, mpz_limbs_read(a), an, mpz_limbs_read(b), bn, rn_min);
    if (rn < 0)
        return PIE_K_ENOMEM;
    if (rn == 0) {
        pie__par_mul m = {rop, a, b};
        return pie__par_mul_n(&m, 1, &(pie__par){.threads = threads});
    }
    *wrap_bits = (uint64_t)rn * GMP_NUMB_BITS;
    return PIE_K_OK;
}

void pie__mod_mersenne_near(mpz_t r, uint64_t n)
{
    const int negative = mpz_sgn(r) < 0;
    mpz_abs(r, r);
    mpz_t hi;
    mpz_init(hi);
    while (mpz_sizeinbase(r, 2) > n) { /* 2^n = 1: the n-bit pieces add up */
        mpz_fdiv_q_2exp(hi, r, n);
        mpz_fdiv_r_2exp(r, r, n);
        mpz_add(r, r, hi);
    }
    /* r in [0, 2^n - 1]; the modulus: */
    mpz_set_ui(hi, 0);
    mpz_setbit(hi, n);
    mpz_sub_ui(hi, hi, 1);
    if (negative)
        mpz_sub(r, hi, r);
    if (mpz_sizeinbase(r, 2) >= n) /* r >= 2^(n-1) */
        mpz_sub(r, r, hi);
    mpz_clear(hi);
}
