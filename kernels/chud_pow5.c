/** @brief 5^L for the decimal digits, L = (D + 1) / 2, on a thread beside the division: the
 * product by 5^D and the conversion's top split both come from it. */
#include "chudnovsky.h"
#include "par_gmp.h"

#include <pthread.h>
#include <stdlib.h>

/*
 * Y = floor(X 5^D / 2^(W-D)) needs 5^D, and the conversion's top split
 * (chud_digits.c, radix_frac.c) 5^L. Here 5^L runs on a thread of its own
 * from the start of the division (whose serial stretches leave a core free),
 * and 5^D follows from it: (5^L)^2, divided by 5 when D is odd (the square
 * is a product that splits across threads).
 */

struct pie__chud_pow5 {
    mpz_t p;
    uint64_t L;
    pthread_t th;
    int started;
};

static void *pow5_thread(void *arg)
{
    pie__chud_pow5 *w = arg;
    mpz_ui_pow_ui(w->p, 5, w->L);
    return NULL;
}

pie__chud_pow5 *pie__chud_pow5_start(const pie__chud_job *job, int beside)
{
    if (job->base != 10)
        return NULL;
    pie__chud_pow5 *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    mpz_init(w->p);
    w->L = (job->digits + 1) / 2;
    w->started = beside && pthread_create(&w->th, NULL, pow5_thread, w) == 0;
    if (!w->started)
        pow5_thread(w);
    return w;
}

int pie__chud_pow5_get(pie__chud_pow5 *w, uint64_t k, const pie__par *par, mpz_t out, mpz_srcptr *p)
{
    *p = out;
    if (w && w->started)
        pthread_join(w->th, NULL);
    if (w)
        w->started = 0;
    const uint64_t L = w ? w->L : 0;
    if (w && k == L) {
        *p = w->p;
        return PIE_K_OK;
    }
    if (!w || (k != 2 * L && k + 1 != 2 * L)) {
        mpz_ui_pow_ui(out, 5, k);
        return PIE_K_OK;
    }
    pie__par_mul m = {out, w->p, w->p};
    int rc = pie__par_mul_n(&m, 1, par);
    if (rc == PIE_K_OK && k + 1 == 2 * L)
        mpz_divexact_ui(out, out, 5);
    return rc;
}

void pie__chud_pow5_free(pie__chud_pow5 *w)
{
    if (!w)
        return;
    if (w->started)
        pthread_join(w->th, NULL); /* seconds at most, at 10^9 digits */
    mpz_clear(w->p);
    free(w);
}
