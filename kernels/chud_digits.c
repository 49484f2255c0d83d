/** @brief Chudnovsky's digits: Y = floor(pi 10^D) to text, its top split done by products. */
#include "chudnovsky.h"
#include "par_gmp.h"
#include "radix.h"

#include <stdlib.h>
#include <string.h>

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
 *
 * With an engine runner (pie__par's run) the two halves convert as a task of
 * two chunks on the run's workers, which read hi and lo where they are (a
 * fork inherits them) and send back their text.
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

/* The halves as a task: chunk c converts half c. Partial: two little-endian
 * u64 (magic, chunk) and the half's digits. */
#define TEXT_MAGIC UINT64_C(0x5458455443454950) /* "PIECETXT" little-endian */

static int text_run(const void *jobp, uint64_t chunk, pie_kbuf *out)
{
    half *const *h = jobp;
    if (chunk > 1)
        return PIE_K_EINVAL;
    const half *hc = h[chunk];
    int rc = pie_kbuf_reserve(out, 16 + hc->ndigits);
    if (rc != PIE_K_OK)
        return rc;
    mpz_t v;
    mpz_init_set(v, hc->v); /* the conversion consumes it; a chunk may run twice */
    unsigned char *p = out->data + out->len;
    rc = pie__radix_text(v, 10, hc->ndigits, hc->threads, (char *)p + 16, NULL);
    if (rc != PIE_K_OK)
        return rc;
    pie_kput_u64(p, TEXT_MAGIC);
    pie_kput_u64(p + 8, chunk);
    out->len += 16 + hc->ndigits;
    return PIE_K_OK;
}

static int text_merge(void *acc, const void *jobp, uint64_t chunk, const unsigned char *p,
                      size_t len)
{
    half *const *h = jobp;
    (void)acc;
    if (chunk > 1)
        return PIE_K_EINVAL;
    if (len != 16 + h[chunk]->ndigits || pie_kget_u64(p) != TEXT_MAGIC ||
        pie_kget_u64(p + 8) != chunk)
        return PIE_K_ECORRUPT;
    for (size_t i = 16; i < len; i++)
        if (p[i] < '0' || p[i] > '9')
            return PIE_K_ECORRUPT;
    memcpy(h[chunk]->out, p + 16, len - 16);
    return PIE_K_OK;
}

static uint64_t text_max(const void *jobp, uint64_t chunk)
{
    half *const *h = jobp;
    return chunk <= 1 ? 16 + h[chunk]->ndigits : 0;
}

static const pie_kernel_ops text_ops = {
    .name = "text",
    .run_chunk = text_run,
    .merge = text_merge,
    .max_partial = text_max,
};

static int halves_on_threads(half *hi, half *lo)
{
    pie__par_job jobs[2] = {{half_run, hi}, {half_run, lo}};
    pie__par_run(jobs, 2, 2);
    return hi->rc != PIE_K_OK ? hi->rc : lo->rc;
}

/* Both halves, on threads or as a task (par); hi.v and lo.v are cleared. */
static int convert_halves(half *hi, half *lo, const pie__par *par)
{
    if (!par->run || hi->ndigits * 10 / 3 < par->task_min_bits)
        return halves_on_threads(hi, lo);
    /* The workers started before hi and lo existed: copies they can read. */
    half *h[2] = {hi, lo};
    half **job = par->share(par->user, 2 * sizeof *job);
    for (int i = 0; job && i < 2; i++) {
        mpz_srcptr v = pie__par_shared_copy(par, h[i]->v);
        job[i] = v ? par->share(par->user, sizeof *job[i]) : NULL;
        if (!job[i]) {
            job = NULL;
            break;
        }
        *job[i] = (half){.ndigits = h[i]->ndigits, .threads = h[i]->threads, .out = h[i]->out};
        job[i]->v[0] = *v; /* the header: its limbs stay in the shared copy */
    }
    if (!job) /* no room there: on threads after all */
        return halves_on_threads(hi, lo);
    int rc = par->run(par->user, &text_ops, job, NULL, 2);
    mpz_clears(hi->v, lo->v, NULL);
    return rc;
}

/* hi and lo of Y (consumed) as above, into the halves; the powers of 5 from
 * p5 (chud_pow5.c). */
static int split(const pie__chud_job *job, const mpz_t x, mpz_t y, const pie__par *par,
                 pie__chud_pow5 *p5, half *hi, half *lo)
{
    const uint64_t D = job->digits, L = lo->ndigits;
    mpz_t v, pw;
    mpz_inits(v, pw, NULL);
    mpz_sub_ui(v, x, 3);
    mpz_srcptr p;
    int rc = pie__chud_pow5_get(p5, D - L, par, pw, &p);
    pie__par_mul m = {hi->v, v, p};
    if (rc == PIE_K_OK)
        rc = pie__par_mul_n(&m, 1, par);
    mpz_clear(v);
    if (rc == PIE_K_OK) {
        mpz_fdiv_q_2exp(hi->v, hi->v, job->prec - D + L);
        rc = pie__chud_pow5_get(p5, L, par, pw, &p);
    }
    if (rc == PIE_K_OK) {
        pie__par_mul m2 = {lo->v, hi->v, p};
        rc = pie__par_mul_n(&m2, 1, par);
    }
    mpz_clear(pw);
    if (rc == PIE_K_OK) {
        mpz_mul_2exp(lo->v, lo->v, L);
        mpz_sub(lo->v, y, lo->v); /* radix.c refuses a negative or too long lo */
    }
    mpz_clear(y);
    return rc;
}

int pie__chud_format(const pie__chud_job *job, const mpz_t x, mpz_t y, const pie__par *par,
                     pie__chud_pow5 *pw, char **text, const volatile sig_atomic_t *stop)
{
    const unsigned threads = par->threads;
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
        rc = split(job, x, y, par, pw, &hi, &lo);
        if (rc == PIE_K_OK) {
            rc = convert_halves(&hi, &lo, par);
        } else {
            mpz_clears(hi.v, lo.v, NULL);
        }
    }
    return pie__radix_pi_text(buf, D, rc, text);
}
