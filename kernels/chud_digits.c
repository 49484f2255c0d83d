/** @brief Chudnovsky's digits: the binary value to text by products (radix_frac.c), checked. */
#include "chudnovsky.h"
#include "par_gmp.h"
#include "radix.h"
#include "radix_frac.h"

#include <stdlib.h>
#include <string.h>

/*
 * With v = X - 3 (the value the last-digit check proved: every value in
 * [X-3, X+3] gives the same Y = floor(pi 10^D)), the digits after the point
 * are those of the exact fraction t = frac(v / 2^W), which radix_frac.c
 * converts by products alone. t being exact, that conversion is undecided
 * only where a piece's 64 guard bits read all ones (about 2^-60 a piece);
 * then Y itself is converted by division (radix.c). Y stays the reference:
 * the run's modular check compares the printed digits with Y.
 *
 * With an engine runner (pie__par's run) the conversion's two halves run as
 * a task of two chunks on the run's workers, which read their piece where
 * it is (a copy in shared memory), build their own powers of 5 and send
 * back their text.
 */

#define FRAC_MIN 10000u /* digits below which GMP's conversion of Y is as fast */

typedef struct half {
    pie__frac x;
    unsigned threads;
    char *out;
    const volatile sig_atomic_t *stop;
    const pie__pow5_set *p; /* on threads: the whole conversion's */
    int rc;
} half;

static void half_run(void *arg)
{
    half *h = arg;
    h->rc = pie__radix_frac_text(&h->x, h->p, h->threads, h->out, h->stop); /* clears x */
}

/* The halves as a task: chunk c converts half c. Partial: three
 * little-endian u64 (magic, chunk, 1 when undecided) and, when decided, the
 * half's digits. */
#define TEXT_MAGIC UINT64_C(0x5458455443454950) /* "PIECETXT" little-endian */

static int text_run(const void *jobp, uint64_t chunk, pie_kbuf *out)
{
    half *const *h = jobp;
    if (chunk > 1)
        return PIE_K_EINVAL;
    const half *hc = h[chunk];
    int rc = pie_kbuf_reserve(out, 24 + hc->x.ndigits);
    if (rc != PIE_K_OK)
        return rc;
    pie__pow5_set *p = pie__pow5_set_new(hc->x.ndigits, NULL, 0, hc->threads);
    if (!p)
        return PIE_K_ENOMEM;
    pie__frac x = hc->x;
    mpz_init_set(x.f, hc->x.f); /* the conversion consumes it; a chunk may run twice */
    unsigned char *b = out->data + out->len;
    rc = pie__radix_frac_text(&x, p, hc->threads, (char *)b + 24, NULL);
    pie__pow5_set_free(p);
    if (rc != PIE_K_OK && rc != PIE_RADIX_AMBIGUOUS)
        return rc;
    pie_kput_u64(b, TEXT_MAGIC);
    pie_kput_u64(b + 8, chunk);
    pie_kput_u64(b + 16, rc == PIE_RADIX_AMBIGUOUS);
    out->len += 24 + (rc == PIE_K_OK ? hc->x.ndigits : 0);
    return PIE_K_OK;
}

static int text_merge(void *acc, const void *jobp, uint64_t chunk, const unsigned char *p,
                      size_t len)
{
    half *const *h = jobp;
    int *undecided = acc;
    if (chunk > 1 || len < 24 || pie_kget_u64(p) != TEXT_MAGIC || pie_kget_u64(p + 8) != chunk ||
        pie_kget_u64(p + 16) > 1)
        return PIE_K_ECORRUPT;
    if (pie_kget_u64(p + 16) == 1) {
        if (len != 24)
            return PIE_K_ECORRUPT;
        *undecided = 1;
        return PIE_K_OK;
    }
    if (len != 24 + h[chunk]->x.ndigits)
        return PIE_K_ECORRUPT;
    for (size_t i = 24; i < len; i++)
        if (p[i] < '0' || p[i] > '9')
            return PIE_K_ECORRUPT;
    memcpy(h[chunk]->out, p + 24, len - 24);
    return PIE_K_OK;
}

static uint64_t text_max(const void *jobp, uint64_t chunk)
{
    half *const *h = jobp;
    return chunk <= 1 ? 24 + h[chunk]->x.ndigits : 0;
}

static const pie_kernel_ops text_ops = {
    .name = "text",
    .run_chunk = text_run,
    .merge = text_merge,
    .max_partial = text_max,
};

/* The outcome of both halves: a failure, then an undecided half. */
static int both(int a, int b)
{
    if (a != PIE_K_OK && a != PIE_RADIX_AMBIGUOUS)
        return a;
    if (b != PIE_K_OK && b != PIE_RADIX_AMBIGUOUS)
        return b;
    return a != PIE_K_OK ? a : b;
}

static int halves_on_threads(half *hi, half *lo)
{
    pie__par_job jobs[2] = {{half_run, hi}, {half_run, lo}};
    pie__par_run(jobs, 2, 2);
    return both(hi->rc, lo->rc);
}

/* Both halves, on threads or as a task (par); their fractions are cleared. */
static int convert_halves(half *hi, half *lo, const pie__par *par)
{
    if (!par->run || hi->x.ndigits * 10 / 3 < par->task_min_bits)
        return halves_on_threads(hi, lo);
    /* The workers started before the halves existed: copies they can read. */
    half *h[2] = {hi, lo};
    half **job = par->share(par->user, 2 * sizeof *job);
    for (int i = 0; job && i < 2; i++) {
        mpz_srcptr v = pie__par_shared_copy(par, h[i]->x.f);
        job[i] = v ? par->share(par->user, sizeof *job[i]) : NULL;
        if (!job[i]) {
            job = NULL;
            break;
        }
        *job[i] = (half){.x = h[i]->x, .threads = h[i]->threads, .out = h[i]->out};
        job[i]->x.f[0] = *v; /* the header: its limbs stay in the shared copy */
    }
    if (!job) /* no room there: on threads after all */
        return halves_on_threads(hi, lo);
    int undecided = 0;
    int rc = par->run(par->user, &text_ops, job, &undecided, 2);
    mpz_clears(hi->x.f, lo->x.f, NULL);
    return rc == PIE_K_OK && undecided ? PIE_RADIX_AMBIGUOUS : rc;
}

/* "3" and the D digits of v = X - 3 into out, from the fraction t (above);
 * PIE_RADIX_AMBIGUOUS when that is undecided somewhere. */
static int frac_digits(const pie__chud_job *job, const mpz_t x, const pie__par *par,
                       pie__chud_pow5 *pw, char *out, const volatile sig_atomic_t *stop)
{
    const uint64_t D = job->digits, W = job->prec, L = D - D / 2;
    const unsigned threads = par->threads;
    pie__frac root = {.m = W, .ndigits = D};
    mpz_init(root.f);
    mpz_sub_ui(root.f, x, 3);
    mpz_t ip;
    mpz_init(ip);
    mpz_fdiv_q_2exp(ip, root.f, W);
    out[0] = mpz_cmp_ui(ip, 9) <= 0 && mpz_sgn(ip) >= 0 ? (char)('0' + mpz_get_ui(ip)) : '?';
    mpz_clear(ip);
    mpz_fdiv_r_2exp(root.f, root.f, W);
    /* 5^L, L = ceil(D/2): the root's split, from the run's powers. */
    mpz_t own;
    mpz_init(own);
    mpz_srcptr p5;
    int rc = pie__chud_pow5_get(pw, L, par, own, &p5);
    pie__pow5_set *p = rc == PIE_K_OK ? pie__pow5_set_new(D, p5, L, threads) : NULL;
    if (!p) {
        mpz_clears(own, root.f, NULL);
        return rc == PIE_K_OK ? PIE_K_ENOMEM : rc;
    }
    if (!par->run || threads < 2) {
        rc = pie__radix_frac_text(&root, p, threads, out + 1, stop);
    } else {
        half hi = {.threads = threads / 2, .out = out + 1, .stop = stop, .p = p};
        half lo = {.threads = threads - threads / 2, .stop = stop, .p = p};
        rc = pie__radix_frac_split(&root, p, threads, &hi.x, &lo.x);
        if (rc == PIE_K_OK) {
            lo.out = hi.out + hi.x.ndigits;
            rc = convert_halves(&hi, &lo, par);
        }
    }
    pie__pow5_set_free(p);
    mpz_clear(own);
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
    int rc = PIE_RADIX_AMBIGUOUS;
    if (job->base == 10 && D >= FRAC_MIN)
        rc = frac_digits(job, x, par, pw, buf + 1, stop);
    if (rc == PIE_RADIX_AMBIGUOUS) /* Y by division: exact */
        rc = pie__radix_text(y, job->base, D + 1, threads, buf + 1, stop); /* clears y */
    else
        mpz_clear(y);
    return pie__radix_pi_text(buf, D, rc, text);
}
