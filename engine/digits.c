/** @brief pie_digits_run: memory check, series on the backend, Ziv loop, digest, verify, output. */
#include "atomic_file.h"
#include "bbp_series.h"
#include "digits_chudnovsky.h"
#include "digits_verify.h"
#include "engine.h"
#include "memlimit.h"
#include "radix.h"
#include "sha256.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/resource.h>

#define FIRST_GUARD 32u
#define MAX_ATTEMPTS 4u

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */

static unsigned resolve_workers(const pie_ctx *ctx, const pie__bbp_job *job)
{
    unsigned w = pie__resolve_workers(ctx);
    if (w > job->nchunks)
        w = (unsigned)job->nchunks;
    return w ? w : 1;
}

/* A model of the peak, calibrated against measured RSS (bench/ and the
 * tests print both): the parent holds the merge stack, the pending partials
 * and, at the end, the division and radix-conversion operands of about 2W
 * bits each plus the digit string; each worker holds one chunk's splitting
 * tree with GMP's multiplication scratch. Each part includes a process's
 * base RSS (BASE_RSS). */
#define BASE_RSS (UINT64_C(8) << 20)

typedef struct mem_model {
    uint64_t parent, worker; /* one process each */
    unsigned workers;
} mem_model;

static mem_model model(const pie_ctx *ctx, const pie__bbp_job *job)
{
    uint64_t wbytes = job->prec / 8 + 1, partials = 0;
    for (uint64_t c = 0; c < job->nchunks; c++)
        partials += 2 * (pie__bbp_chunk_bits(job, c) / 8);
    mem_model m;
    m.parent = BASE_RSS + 14 * wbytes + partials + 2 * (job->digits + 2);
    m.worker = BASE_RSS + 6 * (pie__bbp_chunk_bits(job, 0) / 8);
    m.workers = resolve_workers(ctx, job);
    return m;
}

static uint64_t estimate(const pie_ctx *ctx, const pie__bbp_job *job)
{
    mem_model m = model(ctx, job);
    return m.parent + (uint64_t)m.workers * m.worker;
}

/* The most address space one process of the run adds to what this process
 * has now: a forked worker starts as a copy of it. The serial and thread
 * backends hold everything in this process. */
static uint64_t per_process_growth(const pie_ctx *ctx, const pie__bbp_job *job)
{
    mem_model m = model(ctx, job);
    if (pie_backend_flags(ctx->backend) & PIE_BACKEND_IN_PROCESS)
        return m.parent + (uint64_t)m.workers * (m.worker - BASE_RSS) - BASE_RSS;
    return (m.parent > m.worker ? m.parent : m.worker) - BASE_RSS;
}

static uint64_t algorithm_estimate(const pie_ctx *ctx, const pie_digits_options *o,
                                   const pie__bbp_job *job)
{
    return o->algorithm == PIE_DIGITS_CHUDNOVSKY ? pie__chud_estimate(ctx, job, o->big_ops)
                                                 : estimate(ctx, job);
}

static const char *const algorithm_names[] = {
    [PIE_DIGITS_BBP] = "bbp", [PIE_DIGITS_CHUDNOVSKY] = "chudnovsky"};
#define NALGORITHMS (sizeof algorithm_names / sizeof algorithm_names[0])

const char *pie_digits_algorithm_name(pie_digits_algorithm algorithm)
{
    return (unsigned)algorithm < NALGORITHMS ? algorithm_names[algorithm] : NULL;
}

pie_status pie_digits_algorithm_from_name(const char *name, pie_digits_algorithm *out)
{
    for (unsigned i = 0; name && out && i < NALGORITHMS; i++) {
        if (strcasecmp(name, algorithm_names[i]) == 0) {
            *out = (pie_digits_algorithm)i;
            return PIE_OK;
        }
    }
    return PIE_EINVAL;
}

static const char *const big_ops_names[] = {"threads", "workers"};
#define NBIG_OPS (sizeof big_ops_names / sizeof big_ops_names[0])

const char *pie_digits_big_ops_name(pie_digits_big_ops big_ops)
{
    return (unsigned)big_ops < NBIG_OPS ? big_ops_names[big_ops] : NULL;
}

pie_status pie_digits_big_ops_from_name(const char *name, pie_digits_big_ops *out)
{
    for (unsigned i = 0; name && out && i < NBIG_OPS; i++)
        if (strcasecmp(name, big_ops_names[i]) == 0) {
            *out = (pie_digits_big_ops)i;
            return PIE_OK;
        }
    return PIE_EINVAL;
}

void pie_digits_options_init(pie_digits_options *o)
{
    if (o)
        *o = (pie_digits_options){
            .size = sizeof *o, .digits = 1000000, .base = 10, .algorithm = PIE_DIGITS_CHUDNOVSKY};
}

/* Read the caller's options and check their limits, before any work. */
static pie_status read_options(const pie_ctx *ctx, const pie_digits_options *in,
                               pie_digits_options *o)
{
    pie_digits_options_init(o);
    pie_ctx *c = (pie_ctx *)ctx; /* only its error text is written */
    if (pie__options_read(o, sizeof *o, in, sizeof *o) != PIE_OK)
        return pie__fail(c, PIE_EINVAL,
                         "the options are NULL or not set up by pie_digits_options_init");
    if (o->digits < 1 || o->digits > PIE_DIGITS_MAX)
        return pie__fail(c, PIE_EINVAL, "digits must be between 1 and 2^40 (got %llu)",
                         (unsigned long long)o->digits);
    if (o->base != 10 && o->base != 16)
        return pie__fail(c, PIE_EINVAL, "base must be 10 or 16 (got %u)", o->base);
    if (!pie_digits_algorithm_name(o->algorithm))
        return pie__fail(c, PIE_EINVAL, "unknown digits algorithm %d", (int)o->algorithm);
    if (!pie_digits_big_ops_name(o->big_ops))
        return pie__fail(c, PIE_EINVAL, "unknown big-operations mode %d", (int)o->big_ops);
    return PIE_OK;
}

pie_status pie_digits_estimate(const pie_ctx *ctx, const pie_digits_options *options,
                               uint64_t *bytes)
{
    pie__bbp_job job;
    pie_digits_options o;
    if (!ctx || !bytes || read_options(ctx, options, &o) != PIE_OK ||
        pie__bbp_job_init(&job, o.digits, o.base, FIRST_GUARD) != PIE_K_OK)
        return PIE_EINVAL;
    *bytes = algorithm_estimate(ctx, &o, &job);
    return PIE_OK;
}

/* ------------------------------------------------------------------------ */
/* The run                                                                  */

pie_status pie__digits_run_series(pie_ctx *ctx, const pie__task *task, pie_digits_result *res)
{
    pie__run_stats stats;
    pie__phase(ctx, "series");
    pie_status st = pie__run_task(ctx, task, &stats);
    res->workers = stats.workers;
    PIE__RESULT_PLACEMENT(res, ctx);
    res->chunks_total += task->nchunks;
    res->chunks_done += stats.chunks_done;
    res->chunk_retries += stats.retries;
    if (stats.worker_peak_rss_bytes > res->peak_rss_bytes)
        res->peak_rss_bytes = stats.worker_peak_rss_bytes;
    res->cpu_seconds += stats.worker_cpu_seconds;
    return st;
}

/* The series on the backend, every chunk merged into acc. */
static pie_status run_series(pie_ctx *ctx, const pie__bbp_job *job, pie__bbp_acc *acc,
                             pie_digits_result *res)
{
    pie__task task = {.ops = &pie__bbp_series_ops, .job = job, .acc = acc, .nchunks = job->nchunks};
    char fingerprint[160]; /* the job's identity for checkpoints */
    snprintf(fingerprint, sizeof fingerprint,
             "digits %s %llu base %u guard %u prec %llu terms %llu chunks %llu lgev %llu",
             PIE_BBP_PARTIAL_FORMAT, (unsigned long long)job->digits, (unsigned)job->base,
             (unsigned)job->guard, (unsigned long long)job->prec, (unsigned long long)job->nterms,
             (unsigned long long)job->nchunks, (unsigned long long)job->lgev);
    task.fingerprint = fingerprint;
    pie__clock t0 = pie__clock_now();
    pie_status st = pie__digits_run_series(ctx, &task, res);
    pie__clock_add(t0, &res->seconds_series, &res->cpu_seconds_series);
    if (st == PIE_OK && pie__cancelled(ctx))
        st = pie__fail(ctx, PIE_ECANCELED, "cancelled after the series");
    return st;
}

/* X to text: the Ziv check, the series' hex window for verification, and
 * the radix conversion on as many threads as the series had workers (it
 * stops between pieces when the cancel flag is raised). x is cleared before
 * the conversion, which needs the memory. A kernel status, PIE_BBP_RETRY
 * when the last digit is not certain, PIE_RADIX_STOPPED when cancelled. */
static int to_text(pie_ctx *ctx, const pie__bbp_job *job, mpz_t x, pie_digits_result *res,
                   char **text, pie__series_window *w)
{
    pie__phase(ctx, "radix conversion");
    pie__clock t0 = pie__clock_now();
    mpz_t y;
    mpz_init(y);
    int krc = pie__bbp_floor(job, x, y);
    pie__digits_window(job, x, w);
    mpz_clear(x);
    if (krc == PIE_K_OK)
        krc = pie__bbp_format(job, y, res->workers, text, ctx->cancel);
    else
        mpz_clear(y);
    pie__clock_add(t0, &res->seconds_radix, &res->cpu_seconds_radix);
    return krc;
}

/* One attempt at a given guard: the series on the backend, the division and
 * the conversion. Returns PIE_OK with *text set, or a failure; *retry is set
 * when the last digit was not certain. */
static pie_status attempt(pie_ctx *ctx, const pie__bbp_job *job, pie_digits_result *res,
                          char **text, int *retry, pie__series_window *w)
{
    *retry = 0;
    pie__bbp_acc *acc = pie__bbp_acc_new();
    if (!acc)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    pie_status st = run_series(ctx, job, acc, res);
    if (st != PIE_OK) {
        pie__bbp_acc_free(acc);
        return st;
    }
    pie__phase(ctx, "division");
    pie__clock t0 = pie__clock_now();
    mpz_t x;
    mpz_init(x);
    int krc = pie__bbp_fixed(acc, job, x);
    pie__bbp_acc_free(acc);
    pie__clock_add(t0, &res->seconds_division, &res->cpu_seconds_division);
    if (krc == PIE_K_OK && pie__cancelled(ctx)) {
        mpz_clear(x);
        return pie__fail(ctx, PIE_ECANCELED, "cancelled after the division");
    }
    if (krc == PIE_K_OK)
        krc = to_text(ctx, job, x, res, text, w);
    else
        mpz_clear(x);
    if (krc == PIE_BBP_RETRY) {
        *retry = 1;
        return PIE_OK;
    }
    if (krc == PIE_RADIX_STOPPED)
        return pie__fail(ctx, PIE_ECANCELED, "cancelled during the radix conversion");
    if (krc != PIE_K_OK)
        return pie__fail(ctx, pie__from_kernel(krc), "the digits could not be formed");
    return PIE_OK;
}

/* The Ziv loop: attempts with 4 times the guard bits each, until the last
 * digit is certain. *job is left as the last attempt's. */
static pie_status ziv_loop(pie_ctx *ctx, const pie_digits_options *o, unsigned first,
                           pie__bbp_job *job, pie_digits_result *res, char **text,
                           pie__series_window *w)
{
    pie_status st = PIE_OK;
    int retry = 1;
    unsigned max_attempts = MAX_ATTEMPTS;
    while (first << (2 * (max_attempts - 1)) < 2048 && max_attempts < 8)
        max_attempts++; /* tiny first guards still end with >= 2048 bits */
    for (unsigned guard = first; retry && res->attempts < max_attempts; guard *= 4) {
        pie__bbp_job_init(job, o->digits, o->base, guard);
        res->attempts++;
        res->terms = job->nterms;
        res->precision_bits = job->prec;
        if (o->algorithm == PIE_DIGITS_CHUDNOVSKY)
            st = pie__chud_attempt(ctx, job, o->big_ops, res, text, &retry, w);
        else
            st = attempt(ctx, job, res, text, &retry, w);
        if (st != PIE_OK)
            return st;
    }
    if (retry)
        return pie__fail(ctx, PIE_EVERIFY, "the last digit stayed uncertain after %u attempts",
                         res->attempts);
    return PIE_OK;
}

/* "1.5 GiB" or "20.0 MiB". */
static void size_text(char *out, size_t n, uint64_t bytes)
{
    if (bytes >= (UINT64_C(1) << 30))
        snprintf(out, n, "%.1f GiB", (double)bytes / (1u << 30));
    else
        snprintf(out, n, "%.1f MiB", (double)bytes / (1u << 20));
}

/* Refuse a run whose estimated peak exceeds the memory available: the
 * host's MemAvailable, the room under the memory cgroup's limit (the OOM
 * killer's line), and, per process, the address space RLIMIT_AS leaves
 * (where allocations fail). A run that passes may still run out (the model
 * is an estimate, and other processes take memory meanwhile): a worker
 * then exits with PIE_PROC_EXIT_NOMEM and the run ends with PIE_ENOMEM;
 * the parent's own GMP operations abort the process, as GMP does
 * (docs/faults.md). */
static pie_status check_memory(pie_ctx *ctx, const pie_digits_options *o, unsigned first,
                               pie_digits_result *res)
{
    pie__bbp_job job;
    pie__bbp_job_init(&job, o->digits, o->base, first);
    pie__mem_limits lim;
    pie__mem_limits_read(&lim);
    res->memory_estimate_bytes = algorithm_estimate(ctx, o, &job);
    res->memory_available_bytes = pie__mem_available(&lim);
    char need[32], have[32];
    if (res->memory_available_bytes && res->memory_estimate_bytes > res->memory_available_bytes) {
        size_text(need, sizeof need, res->memory_estimate_bytes);
        size_text(have, sizeof have, res->memory_available_bytes);
        return pie__fail(ctx, PIE_ENOMEM, "%llu digits need about %s but only %s is available%s",
                         (unsigned long long)o->digits, need, have,
                         lim.cgroup_room == res->memory_available_bytes
                             ? " under the memory cgroup's limit"
                             : "");
    }
    /* Chudnovsky: the parent's final products, division and conversion
     * dominate, so the whole estimate bounds any one process. */
    uint64_t grow = o->algorithm == PIE_DIGITS_CHUDNOVSKY ? res->memory_estimate_bytes - BASE_RSS
                                                          : per_process_growth(ctx, &job);
    if (grow > lim.as_room) {
        size_text(need, sizeof need, grow);
        size_text(have, sizeof have, lim.as_room);
        return pie__fail(ctx, PIE_ENOMEM,
                         "%llu digits need about %s more address space per process but the "
                         "address-space limit (ulimit -v) leaves %s",
                         (unsigned long long)o->digits, need, have);
    }
    return PIE_OK;
}

/* The output phase: the temporary file is created only now that the digits
 * are ready, and renamed into place unless the run was cancelled. */
static pie_status write_output(pie_ctx *ctx, const pie_digits_options *o, const char *text,
                               pie__atomic_file *out, pie_digits_result *res)
{
    pie__phase(ctx, "output");
    pie__clock t0 = pie__clock_now();
    pie_status st = pie__atomic_open(ctx, out);
    if (st == PIE_OK)
        st = pie__atomic_write(ctx, out, text, o->digits + 2);
    if (st == PIE_OK)
        st = pie__atomic_write(ctx, out, "\n", 1);
    if (st == PIE_OK && pie__cancelled(ctx))
        st = pie__fail(ctx, PIE_ECANCELED, "cancelled while writing '%s'", o->path);
    if (st == PIE_OK)
        st = pie__atomic_commit(ctx, out);
    pie__clock_add(t0, &res->seconds_output, &res->cpu_seconds_output);
    return st;
}

/* The digest of the digits after the point. */
typedef struct digest_job {
    const char *digits;
    uint64_t n;
    char *hex; /* 65 bytes */
} digest_job;

static void *digest(void *arg)
{
    digest_job *d = arg;
    pie__sha256 h;
    pie__sha256_init(&h);
    pie__sha256_update(&h, d->digits, (size_t)d->n);
    pie__sha256_hex(&h, d->hex);
    return NULL;
}

/* The digest, the optional verification and the optional output file. The
 * cancel flag is honoured between each of them. Without a verification
 * (which may fork), the digest is taken on a thread of its own beside the
 * output, which spends much of its time waiting for the disk (fsync). */
static pie_status finish(pie_ctx *ctx, const pie_digits_options *o, const pie__bbp_job *job,
                         const pie__series_window *w, const char *text, pie__atomic_file *out,
                         pie_digits_result *res)
{
    digest_job d = {.digits = text + 2, .n = o->digits, .hex = res->sha256};
    pthread_t th;
    int beside = o->path && !o->verify && pthread_create(&th, NULL, digest, &d) == 0;
    if (!beside)
        digest(&d);
    res->text_len = o->digits + 2;
    pie_status st = PIE_OK;
    if (o->verify) {
        pie__phase(ctx, "verify");
        pie__clock t0 = pie__clock_now();
        st = o->algorithm == PIE_DIGITS_CHUDNOVSKY
                 ? pie__digits_verify_binary_first(ctx, job, text, w, res)
                 : pie__digits_verify(ctx, job, text, w, res);
        pie__clock_add(t0, &res->seconds_verify, &res->cpu_seconds_verify);
    }
    if (st == PIE_OK && pie__cancelled(ctx))
        st = pie__fail(ctx, PIE_ECANCELED, "cancelled before the output");
    if (st == PIE_OK && o->path)
        st = write_output(ctx, o, text, out, res);
    if (beside)
        pthread_join(th, NULL);
    return st;
}

static uint64_t self_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024u;
}

static void free_text(void *result)
{
    free((char *)((pie_digits_result *)result)->text);
}

/* The run proper, on checked options. */
static pie_status run(pie_ctx *ctx, const pie_digits_options *o, pie_digits_result *res)
{
    pie__clock start = pie__clock_now();
    unsigned first = ctx->guard_bits ? ctx->guard_bits : FIRST_GUARD;
    pie_status st = check_memory(ctx, o, first, res);
    pie__atomic_file out = {.fd = -1};
    if (st == PIE_OK && o->path)
        st = pie__atomic_check(ctx, o->path, &out);
    if (st != PIE_OK) {
        pie__atomic_abort(&out);
        return st;
    }

    char *text = NULL;
    pie__bbp_job job;
    pie__series_window window = {0};
    st = ziv_loop(ctx, o, first, &job, res, &text, &window);
    if (st == PIE_OK)
        st = finish(ctx, o, &job, &window, text, &out, res);
    if (st == PIE_OK && o->algorithm == PIE_DIGITS_CHUDNOVSKY)
        pie__chud_drop_checkpoint(ctx, &job); /* the digits are out */
    /* The workers the last attempt let go; their CPU time */
    uint64_t peak = pie__proc_session_end(ctx, &res->cpu_seconds);
    if (peak > res->peak_rss_bytes)
        res->peak_rss_bytes = peak;
    pie__atomic_abort(&out);
    if (st != PIE_OK || o->path) { /* a file holds the digits, or a failure */
        free(text);
        text = NULL;
    }
    res->text = text;
    res->peak_rss_bytes += self_peak_rss();
    pie__clock_add(start, &res->seconds, &res->cpu_seconds); /* and the workers' */
    return st;
}

pie_status pie_digits_run(pie_ctx *ctx, const pie_digits_options *options, pie_digits_result **out)
{
    if (!out)
        return ctx ? pie__fail(ctx, PIE_EINVAL, "result pointer is NULL") : PIE_EINVAL;
    *out = NULL;
    if (!ctx)
        return PIE_EINVAL;
    pie__clear_error(ctx);
    pie_digits_result *res = pie__result_new(sizeof *res, free_text);
    if (!res)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    *out = res;
    ctx->worker_cpus[0] = '\0';
    PIE__RESULT_PLACEMENT(res, ctx);
    pie_digits_options o;
    pie_status st = read_options(ctx, options, &o);
    res->digits = o.digits;
    res->base = o.base;
    res->algorithm = o.algorithm;
    res->algorithm_name = pie_digits_algorithm_name(o.algorithm);
    res->big_ops_name = "";
    res->backend = ctx->backend;
    /* Digits has only the portable variant; the context may name another. */
    pie_status isa = pie_isa_check(PIE_WORKLOAD_DIGITS, ctx->isa);
    if (st == PIE_OK && isa != PIE_OK)
        st = pie__fail(ctx, isa, "the %s kernel is not a variant of the digits workload",
                       pie_isa_name(ctx->isa));
    if (st != PIE_OK)
        return st;
    pie__run_enter(ctx);
    st = run(ctx, &o, res);
    pie__run_leave(ctx);
    return st;
}
