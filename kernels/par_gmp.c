/** @brief Big-integer work on several threads: a tiny pthread pool over a job counter. */
#include "par_gmp.h"

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

/* One slice: out = a * (limbs [off, off+len) of b), both taken as |.|. */
typedef struct slice {
    mpz_t out;
    mpz_srcptr a, b;
    size_t off, len;
} slice;

static void slice_run(void *p)
{
    slice *s = p;
    const mp_limb_t *bl = mpz_limbs_read(s->b);
    size_t len = s->len;
    while (len && bl[s->off + len - 1] == 0)
        len--; /* mpz_roinit_n wants a normalized size */
    mpz_t bv, av;
    mpz_roinit_n(bv, bl + s->off, (mp_size_t)len);
    mpz_roinit_n(av, mpz_limbs_read(s->a), (mp_size_t)mpz_size(s->a));
    mpz_mul(s->out, av, bv);
}

static void whole_run(void *p)
{
    const pie__par_mul *m = p;
    mpz_mul(m->rop, m->a, m->b);
}

static int sliced(const pie__par_mul *m, unsigned n, unsigned threads)
{
    /* As many products as threads or more: whole products keep every
     * thread busy without the cost of slicing (two products of n by n/2
     * bits cost about 1.2 of one n by n). */
    return threads > n && mpz_sizeinbase(m->a, 2) >= PIE_PAR_MUL_MIN_BITS &&
           mpz_sizeinbase(m->b, 2) >= PIE_PAR_MUL_MIN_BITS;
}

static size_t work_of(const pie__par_mul *m)
{
    return mpz_size(m->a) + mpz_size(m->b);
}

/* Largest products first (the LPT rule): the pool's makespan is then within
 * 4/3 of the best. Insertion sort: a handful of jobs. */
static void sort_by_work(pie__par_job *jobs, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        pie__par_job j = jobs[i];
        unsigned k = i;
        for (; k > 0 && work_of(jobs[k - 1].arg) < work_of(j.arg); k--)
            jobs[k] = jobs[k - 1];
        jobs[k] = j;
    }
}

/* rop = sum of the slices, each shifted to its place, with the sign. */
static void gather(const pie__par_mul *m, slice *s, unsigned k)
{
    mpz_swap(m->rop, s[0].out);
    for (unsigned i = 1; i < k; i++) {
        mpz_mul_2exp(s[i].out, s[i].out, (mp_bitcnt_t)s[i].off * GMP_NUMB_BITS);
        mpz_add(m->rop, m->rop, s[i].out);
    }
    if (mpz_sgn(m->a) * mpz_sgn(m->b) < 0)
        mpz_neg(m->rop, m->rop);
}

/* Cut product m into `threads` slices of its larger operand, from sl on. */
static unsigned cut(const pie__par_mul *m, unsigned threads, slice *sl)
{
    /* The larger operand is sliced: each slice's product is then the most
     * balanced, which GMP multiplies best. */
    mpz_srcptr big = mpz_size(m->a) >= mpz_size(m->b) ? m->a : m->b;
    mpz_srcptr small = big == m->a ? m->b : m->a;
    size_t nl = mpz_size(big), step = (nl + threads - 1) / threads;
    for (unsigned t = 0; t < threads; t++) {
        size_t off = t * step < nl ? t * step : nl;
        size_t len = off + step <= nl ? step : nl - off;
        sl[t] = (slice){.a = small, .b = big, .off = off, .len = len};
        mpz_init(sl[t].out);
    }
    return threads;
}

int pie__par_mul_n(const pie__par_mul *m, unsigned n, unsigned threads)
{
    if (threads <= 1) { /* the common case, deep in the tree: no bookkeeping */
        for (unsigned i = 0; i < n; i++)
            mpz_mul(m[i].rop, m[i].a, m[i].b);
        return PIE_K_OK;
    }
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    size_t big = 0;
    for (unsigned i = 0; i < n; i++)
        big += mpz_sizeinbase(m[i].a, 2) >= PIE_PAR_MUL_MIN_BITS &&
               mpz_sizeinbase(m[i].b, 2) >= PIE_PAR_MUL_MIN_BITS;
    if (!big)
        return pie__par_mul_n(m, n, 1);
    unsigned njobs = 0;
    for (unsigned i = 0; i < n; i++)
        njobs += sliced(&m[i], n, threads) ? threads : 1;
    slice *sl = calloc(njobs, sizeof *sl);
    pie__par_job *jobs = calloc(njobs, sizeof *jobs);
    if (!sl || !jobs) {
        free(sl);
        free(jobs);
        return PIE_K_ENOMEM;
    }
    unsigned j = 0, ns = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!sliced(&m[i], n, threads)) {
            jobs[j++] = (pie__par_job){whole_run, (void *)&m[i]};
            continue;
        }
        unsigned k = cut(&m[i], threads, sl + ns);
        for (unsigned t = 0; t < k; t++)
            jobs[j++] = (pie__par_job){slice_run, &sl[ns + t]};
        ns += k;
    }
    if (ns == 0)
        sort_by_work(jobs, njobs);
    pie__par_run(jobs, njobs, threads);
    ns = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!sliced(&m[i], n, threads))
            continue;
        gather(&m[i], sl + ns, threads);
        for (unsigned t = 0; t < threads; t++)
            mpz_clear(sl[ns + t].out);
        ns += threads;
    }
    free(jobs);
    free(sl);
    return PIE_K_OK;
}
