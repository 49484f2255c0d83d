/** @brief Chudnovsky's digits: Y = floor(pi 10^D) to text, its top split done by products. */
#include "chudnovsky.h"
#include "par_gmp.h"
#include "radix.h"

#include <stdlib.h>

/*
 * The radix conversion (kernels/radix.c) splits Y = hi 10^L + lo with one
 * division by 10^L, on one thread, before its halves convert in parallel.
 * Here the binary value gives hi directly: with v = X - 3 (the value the
 * last-digit check proved), Y = floor(v 10^D / 2^W) and so
 *     hi = floor(Y / 10^L) = floor(v 5^(D-L) / 2^(W-D+L)),
 * a product, and lo = Y - hi 5^L 2^L, another: both are sliced across the
 * threads. Y itself stays the reference: hi 10^L + lo = Y by construction,
 * lo must come out in [0, 10^L) (radix.c refuses it otherwise), and the run's
 * modular check compares the printed digits with Y.
 */

#define SPLIT_MIN 200000u /* digits below which one conversion is as fast */

typedef struct half {
    mpz_t v;
    uint64_t ndigits;
    unsigned threads;
    char *out;
    const volatile sig_atomic_t *stop;
    int rc;
} half;

static void half_run(void *p)
{
    half *h = p;
    h->rc = pie__radix_text(h->v, 10, h->ndigits, h->threads, h->out, h->stop); /* clears v */
}

/* hi and lo of Y (consumed) as above, into the halves. */
static int split(const pie__chud_job *job, const mpz_t x, mpz_t y, unsigned threads, half *hi,
                 half *lo)
{
    const uint64_t D = job->digits, L = lo->ndigits;
    mpz_t v, pw;
    mpz_inits(v, pw, NULL);
    mpz_sub_ui(v, x, 3);
    mpz_ui_pow_ui(pw, 5, D - L);
    pie__par_mul m = {hi->v, v, pw};
    int rc = pie__par_mul_n(&m, 1, threads);
    mpz_clear(v);
    if (rc == PIE_K_OK) {
        mpz_fdiv_q_2exp(hi->v, hi->v, job->prec - D + L);
        mpz_ui_pow_ui(pw, 5, L);
        pie__par_mul m2 = {lo->v, hi->v, pw};
        rc = pie__par_mul_n(&m2, 1, threads);
    }
    mpz_clear(pw);
    if (rc == PIE_K_OK) {
        mpz_mul_2exp(lo->v, lo->v, L);
        mpz_sub(lo->v, y, lo->v); /* radix.c refuses a negative or too long lo */
    }
    mpz_clear(y);
    return rc;
}

int pie__chud_format(const pie__chud_job *job, const mpz_t x, mpz_t y, unsigned threads,
                     char **text, const volatile sig_atomic_t *stop)
{
    const uint64_t D = job->digits;
    char *buf = malloc(D + 3);
    if (!buf) {
        mpz_clear(y);
        return PIE_K_ENOMEM;
    }
    int rc;
    if (job->base != 10 || threads < 2 || D < SPLIT_MIN) {
        rc = pie__radix_text(y, job->base, D + 1, threads, buf + 1, stop); /* clears y */
    } else {
        /* "3" and D digits: hi takes the first D + 1 - L. */
        half hi = {
            .ndigits = D + 1 - (D + 1) / 2, .threads = threads / 2, .out = buf + 1, .stop = stop};
        half lo = {.ndigits = (D + 1) / 2, .threads = threads - threads / 2, .stop = stop};
        lo.out = buf + 1 + hi.ndigits;
        mpz_inits(hi.v, lo.v, NULL);
        rc = split(job, x, y, threads, &hi, &lo);
        if (rc == PIE_K_OK) {
            pie__par_job jobs[2] = {{half_run, &hi}, {half_run, &lo}};
            pie__par_run(jobs, 2, 2);
            rc = hi.rc != PIE_K_OK ? hi.rc : lo.rc;
        } else {
            mpz_clears(hi.v, lo.v, NULL);
        }
    }
    if (rc == PIE_K_OK && buf[1] != '3')
        rc = PIE_K_ECORRUPT;
    if (rc != PIE_K_OK) {
        free(buf);
        return rc;
    }
    buf[0] = '3';
    buf[1] = '.';
    buf[D + 2] = 0;
    *text = buf;
    return PIE_K_OK;
}
