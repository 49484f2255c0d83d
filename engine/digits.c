/** @brief pie_digits_run: memory check, series on the backend, Ziv loop, output, verify. */
#include "bbp_series.h"
#include "atomic_file.h"
#include "engine.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALGORITHM "bbp-bellard-binary-splitting"
#define FIRST_GUARD 32u
#define MAX_ATTEMPTS 4u

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */

/* MemAvailable in bytes, 0 when unknown. */
static uint64_t mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "re");
    if (!f)
        return 0;
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return (uint64_t)kib * 1024u;
}

static unsigned resolve_workers(const pie_ctx *ctx, const pie__bbp_job *job)
{
    unsigned w = ctx->workers ? ctx->workers : pie_online_cpus();
    if (ctx->backend == PIE_BACKEND_SERIAL)
        w = 1;
    if (w > job->nchunks)
        w = (unsigned)job->nchunks;
    return w ? w : 1;
}

/* A model of the peak, calibrated against measured RSS (bench/ and the
 * tests print both): the parent holds the merge stack, the pending partials
 * and, at the end, the division and radix-conversion operands of about 2W
 * bits each plus the digit string; each worker holds one chunk's splitting
 * tree with GMP's multiplication scratch. */
static uint64_t estimate(const pie_ctx *ctx, const pie__bbp_job *job)
{
    const uint64_t base_rss = UINT64_C(8) << 20;
    uint64_t wbytes = job->prec / 8 + 1, partials = 0;
    for (uint64_t c = 0; c < job->nchunks; c++)
        partials += 2 * (pie__bbp_chunk_bits(job, c) / 8);
    uint64_t parent = base_rss + 14 * wbytes + partials + 2 * (job->digits + 2);
    uint64_t worker = base_rss + 6 * (pie__bbp_chunk_bits(job, 0) / 8);
    unsigned w = resolve_workers(ctx, job);
    return parent + (uint64_t)w * worker;
}

pie_status pie_digits_estimate(const pie_ctx *ctx, uint64_t digits, unsigned base, uint64_t *bytes)
{
    pie__bbp_job job;
    if (!ctx || !bytes || pie__bbp_job_init(&job, digits, base, FIRST_GUARD) != PIE_K_OK)
        return PIE_EINVAL;
    *bytes = estimate(ctx, &job);
    return PIE_OK;
}

/* ------------------------------------------------------------------------ */
/* Verification                                                             */

/* Compare with MPFR: pi lies in [lo, nextabove(lo)] where lo is pi rounded
 * down; when both ends truncate to the same digits, those are pi's. */
static pie_status verify_mpfr(pie_ctx *ctx, const pie__bbp_job *job, const char *text,
                              pie_digits_result *res)
{
    uint64_t D = job->digits;
    mpfr_prec_t prec = (mpfr_prec_t)(job->prec + 64);
    for (int round = 0; round < 8; round++, prec += 64) {
        mpfr_t lo, hi;
        mpfr_inits2(prec, lo, hi, (mpfr_ptr)0);
        mpfr_const_pi(lo, MPFR_RNDD);
        mpfr_set(hi, lo, MPFR_RNDN);
        mpfr_nextabove(hi);
        mpfr_exp_t e1, e2;
        char *s1 = mpfr_get_str(NULL, &e1, (int)job->base, D + 1, lo, MPFR_RNDZ);
        char *s2 = mpfr_get_str(NULL, &e2, (int)job->base, D + 1, hi, MPFR_RNDZ);
        mpfr_clears(lo, hi, (mpfr_ptr)0);
        int certain = s1 && s2 && e1 == 1 && e2 == 1 && strcmp(s1, s2) == 0;
        int equal = certain && s1[0] == text[0];
        for (uint64_t i = 1; equal && i <= D; i++) {
            char c = s1[i];
            if (c >= 'a' && c <= 'f')
                c = (char)(c - 'a' + 'A');
            equal = c == text[i + 1];
        }
        if (s1)
            mpfr_free_str(s1);
        if (s2)
            mpfr_free_str(s2);
        if (!certain)
            continue;
        if (!equal) {
            snprintf(res->verify_note, sizeof res->verify_note,
                     "MISMATCH with mpfr_const_pi (MPFR %s) in %llu digits", mpfr_get_version(),
                     (unsigned long long)D);
            return pie__fail(ctx, PIE_EVERIFY, "%s", res->verify_note);
        }
        res->verified = 1;
        snprintf(res->verify_note, sizeof res->verify_note,
                 "all %llu digits equal mpfr_const_pi (MPFR %s, AGM)", (unsigned long long)D,
                 mpfr_get_version());
        return PIE_OK;
    }
    snprintf(res->verify_note, sizeof res->verify_note,
             "not verified: MPFR's bracket did not fix the last digit");
    return PIE_OK;
}

/* Base 16: the last (up to 8) hex digits again, by BBP digit extraction at
 * their positions (pie_hex_run, which itself checks two formulas). */
static pie_status verify_hex_tail(pie_ctx *ctx, const pie__bbp_job *job, const char *text,
                                  pie_digits_result *res)
{
    unsigned count = job->digits < 8 ? (unsigned)job->digits : 8u;
    uint64_t pos = job->digits - count + 1;
    size_t n = strlen(res->verify_note);
    if (pos > PIE_HEX_MAX_POSITION)
        return PIE_OK;
    pie_hex_result hr;
    pie_status st = pie_hex_run(ctx, pos, count, PIE_HEX_BELLARD, &hr);
    if (st != PIE_OK)
        return st;
    if (memcmp(text + 2 + (pos - 1), hr.hex, count) != 0) {
        snprintf(res->verify_note + n, sizeof res->verify_note - n,
                 "%sMISMATCH: hex digits %llu..%llu are %.*s here, %s by digit extraction",
                 n ? "; " : "", (unsigned long long)pos, (unsigned long long)job->digits,
                 (int)count, text + 2 + (pos - 1), hr.hex);
        res->verified = 0;
        return pie__fail(ctx, PIE_EVERIFY, "%s", res->verify_note);
    }
    snprintf(res->verify_note + n, sizeof res->verify_note - n,
             "%shex digits %llu..%llu (%s) equal BBP digit extraction", n ? "; " : "",
             (unsigned long long)pos, (unsigned long long)job->digits, hr.hex);
    res->verified = 1;
    return PIE_OK;
}

/* The series' own value, X ~ pi 2^W, read in hex far above its error: the
 * digits at positions pos .. pos+count-1 after the hex point, when X-3 and
 * X+3 agree on them (count 0 otherwise). Base 10 output never shows these
 * digits, so this checks the series independently of the radix conversion. */
typedef struct series_window {
    uint64_t pos;
    unsigned count;
    char hex[9];
} series_window;

static void window_of(const pie__bbp_job *job, const mpz_t x, series_window *w)
{
    w->count = 0;
    uint64_t top = job->prec > 12 ? (job->prec - 12) / 4 : 0; /* last usable position */
    unsigned count = top < 8 ? (unsigned)top : 8u;
    if (count == 0)
        return;
    uint64_t pos = top - count + 1, shift = job->prec - 4 * top;
    mpz_t lo, hi;
    mpz_inits(lo, hi, NULL);
    mpz_sub_ui(lo, x, 3);
    mpz_add_ui(hi, x, 3);
    mpz_fdiv_q_2exp(lo, lo, shift);
    mpz_fdiv_q_2exp(hi, hi, shift);
    mpz_fdiv_r_2exp(lo, lo, 4 * count);
    mpz_fdiv_r_2exp(hi, hi, 4 * count);
    if (mpz_cmp(lo, hi) == 0) {
        unsigned long v = mpz_get_ui(lo);
        for (unsigned i = 0; i < count; i++)
            w->hex[i] = "0123456789ABCDEF"[(v >> (4 * (count - 1 - i))) & 15];
        w->hex[count] = 0;
        w->pos = pos;
        w->count = count;
    }
    mpz_clears(lo, hi, NULL);
}

static pie_status verify_window(pie_ctx *ctx, const series_window *w, pie_digits_result *res)
{
    size_t n = strlen(res->verify_note);
    if (w->count == 0 || w->pos > PIE_HEX_MAX_POSITION)
        return PIE_OK;
    pie_hex_result hr;
    pie_status st = pie_hex_run(ctx, w->pos, w->count, PIE_HEX_BELLARD, &hr);
    if (st != PIE_OK)
        return st;
    if (strcmp(hr.hex, w->hex) != 0) {
        snprintf(res->verify_note + n, sizeof res->verify_note - n,
                 "%sMISMATCH: the series gives hex digits %s at %llu, digit extraction %s",
                 n ? "; " : "", w->hex, (unsigned long long)w->pos, hr.hex);
        res->verified = 0;
        return pie__fail(ctx, PIE_EVERIFY, "%s", res->verify_note);
    }
    snprintf(res->verify_note + n, sizeof res->verify_note - n,
             "%sseries value: hex digits %llu..%llu (%s) equal BBP digit extraction", n ? "; " : "",
             (unsigned long long)w->pos, (unsigned long long)(w->pos + w->count - 1), w->hex);
    res->verified = 1;
    return PIE_OK;
}

static pie_status verify(pie_ctx *ctx, const pie__bbp_job *job, const char *text,
                         const series_window *w, pie_digits_result *res)
{
    pie_status st = PIE_OK;
    if (job->digits <= PIE_DIGITS_VERIFY_MPFR_MAX)
        st = verify_mpfr(ctx, job, text, res);
    else
        snprintf(res->verify_note, sizeof res->verify_note, "no MPFR comparison beyond %llu digits",
                 (unsigned long long)PIE_DIGITS_VERIFY_MPFR_MAX);
    if (st == PIE_OK && job->base == 16)
        st = verify_hex_tail(ctx, job, text, res);
    else if (st == PIE_OK)
        st = verify_window(ctx, w, res);
    return st;
}

/* ------------------------------------------------------------------------ */
/* The run                                                                  */

static void phase(const pie_digits_options *o, const char *name)
{
    if (o->phase)
        o->phase(o->phase_user, name);
}

/* One attempt at a given guard: the series on the backend, the division and
 * the conversion. Returns PIE_OK with *text set, or a failure; *retry is set
 * when the last digit was not certain. */
static pie_status attempt(pie_ctx *ctx, const pie_digits_options *o, const pie__bbp_job *job,
                          pie_digits_result *res, char **text, int *retry, series_window *w)
{
    *retry = 0;
    pie__bbp_acc *acc = pie__bbp_acc_new();
    if (!acc)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    pie__task task = {.ops = &pie__bbp_series_ops, .job = job, .acc = acc, .nchunks = job->nchunks};
    char fingerprint[160]; /* the job's identity for checkpoints */
    snprintf(fingerprint, sizeof fingerprint,
             "digits %s %llu base %u guard %u prec %llu terms %llu chunks %llu lgev %llu",
             PIE_BBP_PARTIAL_FORMAT, (unsigned long long)job->digits, (unsigned)job->base,
             (unsigned)job->guard, (unsigned long long)job->prec, (unsigned long long)job->nterms,
             (unsigned long long)job->nchunks, (unsigned long long)job->lgev);
    task.fingerprint = fingerprint;
    pie__run_stats stats;
    phase(o, "series");
    double t0 = pie__now();
    pie_status st = pie__run_task(ctx, &task, &stats);
    res->seconds_series += pie__now() - t0;
    res->workers = stats.workers;
    res->chunks_total += task.nchunks;
    res->chunks_done += stats.chunks_done;
    res->chunk_retries += stats.retries;
    if (stats.worker_peak_rss_bytes > res->peak_rss_bytes)
        res->peak_rss_bytes = stats.worker_peak_rss_bytes;
    if (st == PIE_OK && pie__cancelled(ctx))
        st = pie__fail(ctx, PIE_ECANCELED, "cancelled after the series");
    if (st != PIE_OK) {
        pie__bbp_acc_free(acc);
        return st;
    }
    phase(o, "division");
    t0 = pie__now();
    mpz_t x;
    mpz_init(x);
    int krc = pie__bbp_fixed(acc, job, x);
    pie__bbp_acc_free(acc);
    res->seconds_division += pie__now() - t0;
    if (krc == PIE_K_OK && pie__cancelled(ctx)) {
        mpz_clear(x);
        return pie__fail(ctx, PIE_ECANCELED, "cancelled after the division");
    }
    if (krc == PIE_K_OK) {
        phase(o, "radix conversion");
        t0 = pie__now();
        mpz_t y;
        mpz_init(y);
        krc = pie__bbp_floor(job, x, y);
        window_of(job, x, w);
        mpz_clear(x);
        if (krc == PIE_K_OK)
            krc = pie__bbp_format(job, y, ctx->backend == PIE_BACKEND_SERIAL ? 1 : stats.workers,
                                  text);
        else
            mpz_clear(y);
        res->seconds_radix += pie__now() - t0;
    } else {
        mpz_clear(x);
    }
    if (krc == PIE_BBP_RETRY) {
        *retry = 1;
        return PIE_OK;
    }
    if (krc != PIE_K_OK)
        return pie__fail(ctx, pie__from_kernel(krc), "the digits could not be formed");
    return PIE_OK;
}

static uint64_t self_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024u;
}

pie_status pie_digits_run(pie_ctx *ctx, const pie_digits_options *o, pie_digits_result *res)
{
    if (!ctx || !o || !res)
        return PIE_EINVAL;
    pie__clear_error(ctx);
    *res = (pie_digits_result){0};
    res->digits = o->digits;
    res->base = o->base;
    res->algorithm = ALGORITHM;
    res->backend = ctx->backend;
    if (o->digits < 1 || o->digits > PIE_DIGITS_MAX)
        return pie__fail(ctx, PIE_EINVAL, "digits must be between 1 and 2^40 (got %llu)",
                         (unsigned long long)o->digits);
    if (o->base != 10 && o->base != 16)
        return pie__fail(ctx, PIE_EINVAL, "base must be 10 or 16 (got %u)", o->base);
    unsigned first = o->guard_bits ? o->guard_bits : FIRST_GUARD;
    if (first > 1u << 16)
        return pie__fail(ctx, PIE_EINVAL, "guard_bits must be at most 65536 (got %u)", first);
    double start = pie__now();
    pie__bbp_job job;
    pie__bbp_job_init(&job, o->digits, o->base, first);
    res->memory_estimate_bytes = estimate(ctx, &job);
    res->memory_available_bytes = mem_available();
    if (res->memory_available_bytes && res->memory_estimate_bytes > res->memory_available_bytes)
        return pie__fail(
            ctx, PIE_ENOMEM, "%llu digits need about %.1f GiB but only %.1f GiB is available",
            (unsigned long long)o->digits, (double)res->memory_estimate_bytes / (1u << 30),
            (double)res->memory_available_bytes / (1u << 30));
    pie__atomic_file out = {0};
    pie_status st = o->path ? pie__atomic_open(ctx, o->path, &out) : PIE_OK;
    if (st != PIE_OK)
        return st;

    char *text = NULL;
    int retry = 1;
    series_window window = {0};
    unsigned max_attempts = MAX_ATTEMPTS;
    while (first << (2 * (max_attempts - 1)) < 2048 && max_attempts < 8)
        max_attempts++; /* tiny first guards still end with >= 2048 bits */
    for (unsigned guard = first; retry && res->attempts < max_attempts; guard *= 4) {
        pie__bbp_job_init(&job, o->digits, o->base, guard);
        res->attempts++;
        res->terms = job.nterms;
        res->precision_bits = job.prec;
        st = attempt(ctx, o, &job, res, &text, &retry, &window);
        if (st != PIE_OK)
            break;
    }
    if (st == PIE_OK && retry)
        st = pie__fail(ctx, PIE_EVERIFY, "the last digit stayed uncertain after %u attempts",
                       res->attempts);
    if (st == PIE_OK) {
        pie__sha256 h;
        pie__sha256_init(&h);
        pie__sha256_update(&h, text + 2, o->digits);
        pie__sha256_hex(&h, res->sha256);
        res->text_len = o->digits + 2;
    }
    if (st == PIE_OK && o->verify) {
        phase(o, "verify");
        double t0 = pie__now();
        st = verify(ctx, &job, text, &window, res);
        res->seconds_verify = pie__now() - t0;
    }
    if (st == PIE_OK && o->path) {
        phase(o, "output");
        double t0 = pie__now();
        st = pie__atomic_write(ctx, &out, text, o->digits + 2);
        if (st == PIE_OK)
            st = pie__atomic_write(ctx, &out, "\n", 1);
        if (st == PIE_OK)
            st = pie__atomic_commit(ctx, &out);
        res->seconds_output = pie__now() - t0;
        free(text);
        text = NULL;
    }
    pie__atomic_abort(&out);
    if (st != PIE_OK) {
        free(text);
        text = NULL;
    }
    res->text = text;
    uint64_t self = self_peak_rss();
    res->peak_rss_bytes += self;
    res->seconds = pie__now() - start;
    return st;
}

void pie_digits_result_free(pie_digits_result *res)
{
    if (!res)
        return;
    free(res->text);
    res->text = NULL;
}
