/** @brief Chudnovsky's last steps: the square root (beside the series), the division, the digits.
 */
#include "chud_split.h"
#include "par_div.h"
#include "par_gmp.h"
#include "par_sqrt.h"

#include <pthread.h>
#include <stdlib.h>

/* pi = 426880 sqrt(10005) Q / T. */
#define PI_NUM 426880UL
#define SQRT_ARG 10005UL
/* Bits beyond W of the square root's fixed point: s within one unit of
 * its floor (par_sqrt.c) then costs below 2^-(W+21) relative. */
#define SQRT_EXTRA 16
/* Bits beyond W of the quotient Q/T ~ 2^-23.7: r has about W + 8 bits. */
#define DIV_EXTRA 32
/* From this precision (3.2e8 digits) GMP's division: at 1e9 digits the
 * Newton one (par_div.c) saved about 10 s of GMP's 107 s but the run's peak
 * grew from 8.52 to 10.44 GB (its reciprocal and products beside the 2W-bit
 * dividend), and memory is what limits the largest runs. */
#define NEWTON_MAX_BITS (UINT64_C(1) << 30)

struct pie__chud_sqrt {
    mpz_t s;
    uint64_t bits; /* s = floor(sqrt(10005) 2^bits), or one off */
    pthread_t th;
    int started;
    pthread_mutex_t mu;
    int done, orphan; /* the thread has finished; nobody waits for it (it frees) */
};

static void sqrt_destroy(pie__chud_sqrt *r)
{
    mpz_clear(r->s);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void sqrt_run(void *p)
{
    pie__chud_sqrt *j = p;
    /* Cannot fail: SQRT_ARG is in range. */
    (void)pie__sqrt_ui(j->s, SQRT_ARG, j->bits);
}

static void *sqrt_thread(void *p)
{
    pie__chud_sqrt *r = p;
    sqrt_run(r);
    pthread_mutex_lock(&r->mu);
    r->done = 1;
    int orphan = r->orphan;
    pthread_mutex_unlock(&r->mu);
    if (orphan)
        sqrt_destroy(r); /* the run ended without it */
    return NULL;
}

pie__chud_sqrt *pie__chud_sqrt_start(const pie__chud_job *job)
{
    pie__chud_sqrt *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    mpz_init(r->s);
    pthread_mutex_init(&r->mu, NULL);
    r->bits = job->prec + SQRT_EXTRA;
    r->started = pthread_create(&r->th, NULL, sqrt_thread, r) == 0;
    if (!r->started) {
        sqrt_destroy(r);
        return NULL;
    }
    return r;
}

/* Wait for the square root. */
static void sqrt_join(pie__chud_sqrt *r)
{
    if (r->started)
        pthread_join(r->th, NULL);
    r->started = 0;
}

void pie__chud_sqrt_free(pie__chud_sqrt *r)
{
    if (!r)
        return;
    if (r->started) {
        /* Still running after a failure or a cancel: it is not waited for
         * (pie__sqrt_ui cannot be interrupted); it frees itself when done. */
        pthread_mutex_lock(&r->mu);
        int done = r->done;
        r->orphan = !done;
        pthread_mutex_unlock(&r->mu);
        if (!done) {
            pthread_detach(r->th);
            return;
        }
        pthread_join(r->th, NULL);
    }
    sqrt_destroy(r);
}

int pie__chud_newton_division(const pie__chud_job *job)
{
    /* The job's precision, not the operands' sizes: the estimate, made
     * before the run, then knows which division the run takes. */
    return job->prec < NEWTON_MAX_BITS;
}

/* The quotient r = Q / T 2^(W + DIV_EXTRA): root's Q and T are consumed
 * (the shift happens in place, and both go as soon as the division ends).
 * Exact (par_div.c): its large products where par says. */
static int quotient(pie__chud_node *root, const pie__chud_job *job, const pie__par *par, mpz_t r)
{
    int64_t sh = (int64_t)(job->prec + DIV_EXTRA) + root->eQ - root->eT;
    if (sh >= 0)
        mpz_mul_2exp(root->Q, root->Q, (mp_bitcnt_t)sh);
    else
        mpz_mul_2exp(root->T, root->T, (mp_bitcnt_t)-sh);
    int rc = PIE_K_OK;
    if (pie__chud_newton_division(job))
        rc = pie__par_div_q(r, root->Q, root->T, UINT64_MAX, par);
    else
        mpz_tdiv_q(r, root->Q, root->T);
    mpz_set_ui(root->Q, 0);
    mpz_set_ui(root->T, 0);
    mpz_realloc2(root->Q, 64);
    mpz_realloc2(root->T, 64);
    return rc;
}

int pie__chud_fixed(pie__chud_acc *acc, const pie__chud_job *job, const pie__par *par,
                    pie__chud_sqrt *sq, pie__chud_step_fn step, void *user, mpz_t x)
{
    pie__chud_node *root = pie__chud_acc_root(acc);
    if (!root || root->a != 0 || root->b != job->nterms)
        return PIE_K_EINVAL;
    if (mpz_sgn(root->T) <= 0 || mpz_sgn(root->Q) <= 0)
        return PIE_K_ECORRUPT; /* S > 0 */
    mpz_set_ui(root->P, 0);
    mpz_realloc2(root->P, 64);
    pie__chud_sqrt local = {.bits = job->prec + SQRT_EXTRA};
    if (!sq) {
        /* No square root ran beside the series: now, alone (its peak
         * memory and the division's do not add up). */
        sq = &local;
        mpz_init(sq->s);
        if (step)
            step(user, "square root");
        sqrt_run(sq);
    }
    if (step)
        step(user, "division");
    mpz_t r;
    mpz_init(r);
    int rc = quotient(root, job, par, r);
    sqrt_join(sq);
    /* X = floor(426880 s r / 2^(W + SQRT_EXTRA + DIV_EXTRA)). s (within 2
     * units of sqrt(10005) 2^bits) and r's floor cost below 2^-(W+6)
     * relative, the series' truncations less. */
    pie__par_mul m = {x, sq->s, r};
    if (rc == PIE_K_OK)
        rc = pie__par_mul_n(&m, 1, par);
    mpz_clear(r);
    if (sq == &local)
        mpz_clear(local.s);
    if (rc != PIE_K_OK)
        return rc;
    mpz_mul_ui(x, x, PI_NUM);
    mpz_fdiv_q_2exp(x, x, job->prec + SQRT_EXTRA + DIV_EXTRA);
    return PIE_K_OK;
}

int pie__chud_floor(const pie__chud_job *job, const mpz_t x, const pie__par *par,
                    pie__chud_pow5 *pw, mpz_t y)
{
    const uint64_t D = job->digits;
    mpz_t lo, hi, scale;
    mpz_inits(lo, hi, scale, NULL);
    uint64_t sh;
    /* Every v in [X-3, X+3] must give the same floor(v scale / 2^sh). */
    mpz_sub_ui(lo, x, 3);
    int rc = PIE_K_OK;
    mpz_srcptr s5 = scale; /* 5^D, or 1 */
    if (job->base == 16) {
        sh = job->prec - 4 * D;
        mpz_set(y, lo);
        mpz_set_ui(scale, 1);
    } else {
        sh = job->prec - D;
        rc = pie__chud_pow5_get(pw, D, par, scale, &s5);
        pie__par_mul m = {y, lo, s5};
        if (rc == PIE_K_OK)
            rc = pie__par_mul_n(&m, 1, par);
    }
    mpz_clear(lo);
    if (rc == PIE_K_OK) {
        mpz_mul_ui(hi, s5, 6);
        mpz_add(hi, hi, y);
        mpz_fdiv_q_2exp(y, y, sh);
        mpz_fdiv_q_2exp(hi, hi, sh);
        rc = mpz_cmp(y, hi) == 0 ? PIE_K_OK : PIE_CHUD_RETRY;
    }
    mpz_clears(hi, scale, NULL);
    return rc;
}
