/** @brief Chudnovsky's last steps: square root and division side by side, the product, the digits.
 */
#include "chud_split.h"
#include "par_gmp.h"

#include <stdlib.h>

/* pi = 426880 sqrt(10005) Q / T. */
#define PI_NUM 426880UL
#define SQRT_ARG 10005UL
/* Bits beyond W of the square root's fixed point: its floor then costs
 * about 2^-(W+20) relative. */
#define SQRT_EXTRA 16
/* Bits beyond W of the quotient Q/T ~ 2^-23.7: r has about W + 8 bits. */
#define DIV_EXTRA 32

typedef struct sqrt_job {
    mpz_t s;
    uint64_t bits; /* s = floor(sqrt(10005) 2^bits) */
} sqrt_job;

static void sqrt_run(void *p)
{
    sqrt_job *j = p;
    mpz_set_ui(j->s, SQRT_ARG);
    mpz_mul_2exp(j->s, j->s, 2 * j->bits);
    mpz_sqrt(j->s, j->s);
}

typedef struct div_job {
    mpz_t r;
    mpz_srcptr q, t;
    int64_t sh; /* r = floor(q 2^sh / t), sh of either sign */
} div_job;

static void div_run(void *p)
{
    div_job *j = p;
    if (j->sh >= 0) {
        mpz_mul_2exp(j->r, j->q, (mp_bitcnt_t)j->sh);
        mpz_tdiv_q(j->r, j->r, j->t);
    } else {
        mpz_t den;
        mpz_init(den);
        mpz_mul_2exp(den, j->t, (mp_bitcnt_t)-j->sh);
        mpz_tdiv_q(j->r, j->q, den);
        mpz_clear(den);
    }
}

int pie__chud_fixed(pie__chud_acc *acc, const pie__chud_job *job, unsigned threads,
                    pie__chud_step_fn step, void *user, mpz_t x)
{
    pie__chud_node *root = pie__chud_acc_root(acc);
    if (!root || root->a != 0 || root->b != job->nterms)
        return PIE_K_EINVAL;
    if (mpz_sgn(root->T) <= 0 || mpz_sgn(root->Q) <= 0)
        return PIE_K_ECORRUPT; /* S > 0 */
    mpz_set_ui(root->P, 0);
    sqrt_job sj = {.bits = job->prec + SQRT_EXTRA};
    div_job dj = {.q = root->Q, .t = root->T};
    mpz_inits(sj.s, dj.r, NULL);
    /* Q 2^eQ / (T 2^eT) 2^(W + DIV_EXTRA) */
    dj.sh = (int64_t)(job->prec + DIV_EXTRA) + root->eQ - root->eT;
    if (threads > 1) {
        /* Independent, and about equally costly (1.5 and 1.7 products of W
         * bits): one thread each. */
        if (step)
            step(user, "division");
        pie__par_job jobs[2] = {{div_run, &dj}, {sqrt_run, &sj}};
        pie__par_run(jobs, 2, 2);
    } else {
        if (step)
            step(user, "division");
        div_run(&dj);
        if (step)
            step(user, "square root");
        sqrt_run(&sj);
    }
    mpz_set_ui(root->Q, 0);
    mpz_set_ui(root->T, 0);
    /* X = floor(426880 s r / 2^(W + SQRT_EXTRA + DIV_EXTRA)). The floors of
     * s and r cost below 2^-(W+6) relative, the series' truncations less. */
    pie__par_mul m = {x, sj.s, dj.r};
    int rc = pie__par_mul_n(&m, 1, threads);
    mpz_clears(sj.s, dj.r, NULL);
    if (rc != PIE_K_OK)
        return rc;
    mpz_mul_ui(x, x, PI_NUM);
    mpz_fdiv_q_2exp(x, x, job->prec + SQRT_EXTRA + DIV_EXTRA);
    return PIE_K_OK;
}

int pie__chud_floor(const pie__chud_job *job, const mpz_t x, unsigned threads, mpz_t y)
{
    const uint64_t D = job->digits;
    mpz_t lo, hi, scale;
    mpz_inits(lo, hi, scale, NULL);
    uint64_t sh;
    /* Every v in [X-3, X+3] must give the same floor(v scale / 2^sh). */
    mpz_sub_ui(lo, x, 3);
    int rc = PIE_K_OK;
    if (job->base == 16) {
        sh = job->prec - 4 * D;
        mpz_set(y, lo);
        mpz_set_ui(scale, 1);
    } else {
        sh = job->prec - D;
        mpz_ui_pow_ui(scale, 5, D);
        pie__par_mul m = {y, lo, scale};
        rc = pie__par_mul_n(&m, 1, threads);
    }
    mpz_clear(lo);
    if (rc == PIE_K_OK) {
        mpz_mul_ui(hi, scale, 6);
        mpz_add(hi, hi, y);
        mpz_fdiv_q_2exp(y, y, sh);
        mpz_fdiv_q_2exp(hi, hi, sh);
        rc = mpz_cmp(y, hi) == 0 ? PIE_K_OK : PIE_CHUD_RETRY;
    }
    mpz_clears(hi, scale, NULL);
    return rc;
}
