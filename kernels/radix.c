/** @brief Radix conversion: a big integer to fixed-width decimal or hex text, on several threads.
 */
#include "radix.h"

#include "pie_kernel.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * Y = hi base^L + lo splits the work in two halves (a shift in base 16, one
 * division by 10^L in base 10); the halves convert in parallel, recursively.
 * GMP's own conversion does the same split at its top level, serially.
 */

#define CONV_MIN_SPLIT 20000u /* digits below which one thread converts */
#define CONV_MAX_DEPTH 6u     /* at most 2^6 threads */

/* y on one thread, as exactly ndigits digits, no NUL. */
static int text_serial(const mpz_t y, unsigned base, uint64_t ndigits, char *out)
{
    if (mpz_sgn(y) < 0)
        return PIE_K_EINVAL;
    size_t n = mpz_sizeinbase(y, (int)base);
    if (mpz_sgn(y) == 0)
        n = 0;
    if (n > ndigits + 1)
        return PIE_K_EINVAL;
    /* mpz_get_str writes up to sizeinbase digits plus NUL; sizeinbase may
     * overestimate by one, so write into a scratch of that size. */
    char *tmp = malloc(n + 2);
    if (!tmp)
        return PIE_K_ENOMEM;
    size_t len = 0;
    if (n) {
        mpz_get_str(tmp, base == 16 ? -16 : (int)base, y);
        len = strlen(tmp);
    }
    if (len > ndigits) {
        free(tmp);
        return PIE_K_EINVAL;
    }
    memset(out, '0', ndigits - len);
    memcpy(out + (ndigits - len), tmp, len);
    free(tmp);
    return PIE_K_OK;
}

typedef struct conv_task {
    mpz_t y; /* owned; cleared once split or converted */
    unsigned base;
    uint64_t ndigits;
    char *out;
    unsigned depth;
    int rc;
} conv_task;

static void *conv_run(void *arg)
{
    conv_task *t = arg;
    if (t->depth == 0 || t->ndigits < CONV_MIN_SPLIT) {
        t->rc = text_serial(t->y, t->base, t->ndigits, t->out);
        mpz_clear(t->y);
        return NULL;
    }
    uint64_t L = t->ndigits / 2;
    conv_task hi = {
        .base = t->base, .ndigits = t->ndigits - L, .out = t->out, .depth = t->depth - 1};
    conv_task lo = {
        .base = t->base, .ndigits = L, .out = t->out + (t->ndigits - L), .depth = t->depth - 1};
    mpz_inits(hi.y, lo.y, NULL);
    if (t->base == 16) {
        mpz_tdiv_r_2exp(lo.y, t->y, 4 * L);
        mpz_tdiv_q_2exp(hi.y, t->y, 4 * L);
    } else {
        mpz_t pow;
        mpz_init(pow);
        mpz_ui_pow_ui(pow, 10, L);
        mpz_tdiv_qr(hi.y, lo.y, t->y, pow);
        mpz_clear(pow);
    }
    mpz_clear(t->y);
    pthread_t th;
    int spawned = pthread_create(&th, NULL, conv_run, &hi) == 0;
    if (!spawned)
        conv_run(&hi);
    conv_run(&lo);
    if (spawned)
        pthread_join(th, NULL);
    t->rc = hi.rc != PIE_K_OK ? hi.rc : lo.rc;
    return NULL;
}

int pie__radix_text(mpz_t y, unsigned base, uint64_t ndigits, unsigned threads, char *out)
{
    unsigned depth = 0;
    while ((1u << depth) < threads && depth < CONV_MAX_DEPTH)
        depth++;
    conv_task t = {.base = base, .ndigits = ndigits, .out = out, .depth = depth};
    mpz_init(t.y);
    mpz_swap(t.y, y);
    mpz_clear(y);
    conv_run(&t);
    return t.rc;
}
