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
/* Beyond the threads' split, a piece larger than this is split again (and
 * converted in turn), so that a raised stop flag is seen within about one
 * such piece's time rather than after the whole conversion. */
#define CONV_STOP_PIECE (UINT64_C(1) << 20)

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
    unsigned depth; /* levels still split across threads */
    const volatile sig_atomic_t *stop;
    int rc;
} conv_task;

static void *conv_run(void *arg)
{
    conv_task *t = arg;
    if (t->stop && *t->stop) {
        mpz_clear(t->y);
        t->rc = PIE_RADIX_STOPPED;
        return NULL;
    }
    if (t->ndigits < CONV_MIN_SPLIT || (t->depth == 0 && t->ndigits <= CONV_STOP_PIECE)) {
        t->rc = text_serial(t->y, t->base, t->ndigits, t->out);
        mpz_clear(t->y);
        return NULL;
    }
    uint64_t L = t->ndigits / 2;
    unsigned depth = t->depth ? t->depth - 1 : 0;
    conv_task hi = {
        .base = t->base, .ndigits = t->ndigits - L, .out = t->out, .depth = depth, .stop = t->stop};
    conv_task lo = {.base = t->base,
                    .ndigits = L,
                    .out = t->out + (t->ndigits - L),
                    .depth = depth,
                    .stop = t->stop};
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
    int spawned = t->depth > 0 && pthread_create(&th, NULL, conv_run, &hi) == 0;
    if (!spawned)
        conv_run(&hi);
    conv_run(&lo);
    if (spawned)
        pthread_join(th, NULL);
    /* A failure outranks a stop: it says more. */
    t->rc = hi.rc != PIE_K_OK && hi.rc != PIE_RADIX_STOPPED ? hi.rc
            : lo.rc != PIE_K_OK                             ? lo.rc
                                                            : hi.rc;
    return NULL;
}

int pie__radix_pi_text(char *buf, uint64_t D, int rc, char **text)
{
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

int pie__radix_text(mpz_t y, unsigned base, uint64_t ndigits, unsigned threads, char *out,
                    const volatile sig_atomic_t *stop)
{
    unsigned depth = 0;
    while ((1u << depth) < threads && depth < CONV_MAX_DEPTH)
        depth++;
    conv_task t = {.base = base, .ndigits = ndigits, .out = out, .depth = depth, .stop = stop};
    mpz_init(t.y);
    mpz_swap(t.y, y);
    mpz_clear(y);
    conv_run(&t);
    return t.rc;
}
