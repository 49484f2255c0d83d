/** @brief The Chudnovsky digits driver: series on the backend, top merges, root, quotient, text. */
#include "digits_chudnovsky.h"

#include "checkpoint.h"
#include "chudnovsky.h"
#include "heap.h"
#include "radix.h"
#include "radix_check.h"

#include <stdio.h>
#include <stdlib.h>

/* Threads for the work after the series: the run's workers (per rank on a
 * backend that nests another in each rank). */
static unsigned finish_threads(const pie_ctx *ctx, unsigned series_workers)
{
    unsigned t = series_workers;
    if (pie_backend_flags(ctx->backend) & PIE_BACKEND_NESTS)
        t = pie__resolve_workers(ctx);
    return t ? (t > 64 ? 64 : t) : 1;
}

/* A model of the peak, calibrated against measured RSS (bench/; JSON
 * peak_rss_bytes, 2 workers: 24 MB at 1e6 digits, 143 MB at 1e7, 1.07 GB at
 * 1e8): the parent peaks in the division (the 2W/W division and its
 * scratch, with the square root, X's factors and the heap the series left),
 * about 30 W/8 bytes with the Newton division; with GMP's, from 3.2e8
 * digits, 22 W/8 (the parent's peak, sampled from /proc by
 * bench/python/digits_memory.py: 17.7 W/8 at 3.3e8 digits, 16.8 at 5e8,
 * 15.7 at 2e9; with 30, a run of 2e9 digits was refused on 24 GB); each
 * worker holds one chunk's splitting with GMP's
 * scratch, about 16 times the chunk's largest integer. */
uint64_t pie__chud_estimate(const pie_ctx *ctx, const pie__bbp_job *view,
                            pie_digits_big_ops big_ops)
{
    pie__chud_job job;
    pie__chud_job_init(&job, view->digits, view->base, view->guard);
    const uint64_t base_rss = UINT64_C(4) << 20;
    uint64_t wbytes = job.prec / 8 + 1;
    uint64_t parent = base_rss + (pie__chud_newton_division(&job) ? 30 : 22) * wbytes;
    uint64_t worker = base_rss + 16 * (pie__chud_chunk_bits(&job, 0) / 8);
    unsigned w = pie__resolve_workers(ctx);
    if (w > job.nchunks)
        w = (unsigned)job.nchunks;
    if (pie_backend_flags(ctx->backend) & PIE_BACKEND_IN_PROCESS)
        return parent + (uint64_t)w * (worker - base_rss);
    /* Big operations on the workers: the arena's operand copies (up to
     * about 4 W/8) and each worker's piece with GMP's scratch and its
     * partial (about 4 W/8); calibrated against the reported peak at 1e8
     * (1.78 GB, which counts the arena's pages in every process). */
    if (big_ops == PIE_DIGITS_BIG_OPS_WORKERS && w > 1 &&
        (pie_backend_flags(ctx->backend) & PIE_BACKEND_FORKS))
        parent += 4 * wbytes + (uint64_t)w * 4 * wbytes;
    return parent + (uint64_t)w * worker;
}

/* The series task of job (acc may be NULL: to name its checkpoint). Its
 * checkpoint is kept after the series: the run's later phases take long
 * too, and a run killed in them resumes without redoing the series; it goes
 * once the digits are out (pie__chud_drop_checkpoint). */
static void series_task(const pie__chud_job *job, pie__chud_acc *acc, char *fingerprint, size_t len,
                        pie__task *task)
{
    *task = (pie__task){.ops = &pie__chud_series_ops,
                        .job = job,
                        .acc = acc,
                        .nchunks = job->nchunks,
                        .fingerprint = fingerprint,
                        .keep_checkpoint = 1,
                        .heavy_merge = 1};
    snprintf(fingerprint, len,
             "digits %s %llu base %u guard %u prec %llu terms %llu chunks %llu margin %llu",
             PIE_CHUD_PARTIAL_FORMAT, (unsigned long long)job->digits, (unsigned)job->base,
             (unsigned)job->guard, (unsigned long long)job->prec, (unsigned long long)job->nterms,
             (unsigned long long)job->nchunks, (unsigned long long)job->margin);
}

void pie__chud_drop_checkpoint(pie_ctx *ctx, const pie__bbp_job *view)
{
    pie__chud_job job;
    if (!ctx->checkpoint_dir[0] ||
        pie__chud_job_init(&job, view->digits, view->base, view->guard) != PIE_K_OK)
        return;
    pie__task task;
    char fingerprint[160];
    series_task(&job, NULL, fingerprint, sizeof fingerprint, &task);
    pie__ckpt_drop(ctx, &task);
}

/* The series on the backend, every chunk merged into acc. */
static pie_status run_series(pie_ctx *ctx, const pie__chud_job *job, pie__chud_acc *acc,
                             pie_digits_result *res)
{
    pie__task task;
    char fingerprint[160]; /* the job's identity for checkpoints */
    series_task(job, acc, fingerprint, sizeof fingerprint, &task);
    return pie__digits_run_series(ctx, &task, res);
}

/* The big operations after the series (the top merges' products, the
 * division, the products around the conversion and its two halves) run on
 * threads of this process, with no copies (PIE_DIGITS_BIG_OPS_THREADS), or,
 * asked for (WORKERS) on a backend that forks its workers, as tasks on
 * them: a task's workers are forked for it and inherit the operands, so
 * only the results travel, as partials over the pipes (CRC-checked, a lost
 * one run again). A backend whose workers are elsewhere (MPI) uses threads,
 * each rank its own. */
typedef struct big_ctx {
    pie_ctx *ctx;
    pie_digits_big_ops where;
    pie_digits_result *res;
    pie_status failed; /* the task's failure, when run returned PIE_PAR_FAILED */
} big_ctx;

/* Products below this many bits stay on threads even with WORKERS: a task's
 * copies into the arena and partials through the pipes (8-45 ms a task at
 * 1e7 digits, measured) cost more than they save. */
#define TASK_MIN_BITS (UINT64_C(1) << 21)

static int run_big_op(void *user, const pie_kernel_ops *ops, const void *job, void *acc,
                      uint64_t nchunks)
{
    big_ctx *b = user;
    pie__task task = {.ops = ops, .job = job, .acc = acc, .nchunks = nchunks, .transient = 1};
    pie__run_stats stats;
    pie_status st = pie__run_task(b->ctx, &task, &stats);
    pie__proc_session_share_reset(b->ctx); /* the task's job is done with */
    /* The session's workers are reaped (and their peaks counted) when it
     * ends; stats has only those a failure ended in this task. */
    b->res->chunk_retries += stats.retries;
    if (stats.worker_peak_rss_bytes > b->res->peak_rss_bytes)
        b->res->peak_rss_bytes = stats.worker_peak_rss_bytes;
    b->res->cpu_seconds += stats.worker_cpu_seconds;
    if (st == PIE_OK)
        return PIE_K_OK;
    b->failed = st;
    return PIE_PAR_FAILED;
}

static void *share(void *user, size_t bytes)
{
    big_ctx *b = user;
    return pie__proc_session_share(b->ctx, bytes);
}

static pie__par big_ops_par(big_ctx *b, unsigned threads)
{
    pie__par par = pie__par_threads(threads);
    if (threads > 1 && b->where == PIE_DIGITS_BIG_OPS_WORKERS &&
        b->ctx->proc_session) { /* pie__chud_attempt opened it */
        par.run = run_big_op;
        par.share = share;
        par.user = b;
        par.task_min_bits = TASK_MIN_BITS;
    }
    b->res->big_ops_name =
        pie_digits_big_ops_name(par.run ? PIE_DIGITS_BIG_OPS_WORKERS : PIE_DIGITS_BIG_OPS_THREADS);
    return par;
}

/* A kernel status after big operations: the task's own failure, or krc's. */
static pie_status big_ops_fail(big_ctx *b, int krc, const char *what)
{
    if (krc == PIE_PAR_FAILED)
        return b->failed;
    return pie__fail(b->ctx, pie__from_kernel(krc), "%s", what);
}

static void on_step(void *user, const char *step)
{
    pie__phase(user, step);
}

/* Test faults (pie_ctx_set_test_corrupt). */
static void corrupt_binary(const pie__bbp_job *view, mpz_t x)
{
    /* A bit of the last hex digit of the window pie__digits_window reads. */
    uint64_t top = view->prec > 12 ? (view->prec - 12) / 4 : 0;
    if (top > 0)
        mpz_combit(x, view->prec - 4 * top + 1);
}

static void corrupt_value(const pie__bbp_job *view, mpz_t y)
{
    mpz_t d;
    mpz_init(d);
    mpz_ui_pow_ui(d, view->base, view->digits / 3); /* inside the low half */
    mpz_add(y, y, d);
    mpz_clear(d);
}

#if defined(__SANITIZE_ADDRESS__)
#define PIE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PIE_ASAN 1
#endif
#endif

/* Threads for the parent's work during the series (its merges, the square
 * root). AddressSanitizer's allocator is not fork-safe: a worker forked, or
 * re-forked after a fault, while such a thread allocates can deadlock in the
 * child. glibc's malloc is (fork takes its locks), so only sanitized builds
 * keep those threads off on a backend that forks. */
static unsigned series_side_threads(const pie_ctx *ctx, unsigned threads)
{
#ifdef PIE_ASAN
    if (pie_backend_flags(ctx->backend) & PIE_BACKEND_FORKS)
        return 1;
#else
    (void)ctx;
#endif
    return threads;
}

/* The series, the top merges and the final steps: X ~ pi 2^W into x. */
static pie_status binary_value(pie_ctx *ctx, const pie__chud_job *job, pie_digits_result *res,
                               big_ctx *big, pie__par *par, pie__chud_pow5 **pw, mpz_t x)
{
    pie__chud_acc *acc = pie__chud_acc_new();
    if (!acc)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    pie__clock t0 = pie__clock_now();
    /* The parent's merges run beside the workers' chunks: their products
     * get the threads of the run (this is where most of the series' work
     * is, in its top levels). */
    unsigned threads = finish_threads(ctx, pie__resolve_workers(ctx));
    *par = big_ops_par(big, threads);
    unsigned side = series_side_threads(ctx, threads);
    pie__chud_acc_set_threads(acc, side);
    /* With more than one thread the square root runs beside the series. */
    if (side > 1)
        pie__chud_acc_want_sqrt(acc);
    pie_status st = run_series(ctx, job, acc, res);
    pie__chud_sqrt *sq = pie__chud_acc_take_sqrt(acc);
    int krc = PIE_K_OK;
    if (st == PIE_OK)
        krc = pie__chud_top(acc, job, par);
    pie__clock_add(t0, &res->seconds_series, &res->cpu_seconds_series);
    if (st == PIE_OK && krc == PIE_K_OK && pie__cancelled(ctx))
        st = pie__fail(ctx, PIE_ECANCELED, "cancelled after the series");
    if (st == PIE_OK && krc == PIE_K_OK) {
        t0 = pie__clock_now();
        pie__trim_heap(); /* what the series freed, before the division's peak */
        /* 5^L for the conversion, beside the division's serial stretches. */
        *pw = pie__chud_pow5_start(job, series_side_threads(ctx, par->threads) > 1);
        krc = pie__chud_fixed(acc, job, par, sq, on_step, ctx, x);
        pie__clock_add(t0, &res->seconds_division, &res->cpu_seconds_division);
    }
    pie__chud_sqrt_free(sq);
    pie__chud_acc_free(acc);
    if (st == PIE_OK && krc != PIE_K_OK)
        st = big_ops_fail(big, krc, "the Chudnovsky series could not be finished");
    if (st == PIE_OK && pie__cancelled(ctx))
        st = pie__fail(ctx, PIE_ECANCELED, "cancelled after the division");
    return st;
}

/* y (consumed) to text, checked: y and the digits agree mod a 61-bit prime. */
static pie_status convert(pie_ctx *ctx, const pie__chud_job *job, const pie__bbp_job *view,
                          const mpz_t x, mpz_t y, big_ctx *big, const pie__par *par,
                          pie__chud_pow5 *pw, pie_digits_result *res, char **text)
{
    if (ctx->test_corrupt == PIE_TEST_CORRUPT_VALUE)
        corrupt_value(view, y);
    uint64_t want = pie__radix_mod_value(y);
    int krc = pie__chud_format(job, x, y, par, pw, text, ctx->cancel);
    if (krc == PIE_RADIX_STOPPED)
        return pie__fail(ctx, PIE_ECANCELED, "cancelled during the radix conversion");
    if (krc != PIE_K_OK)
        return big_ops_fail(big, krc, "the digits could not be formed");
    char *t = *text;
    const uint64_t D = view->digits;
    if (ctx->test_corrupt == PIE_TEST_CORRUPT_TEXT)
        t[2 + D / 2] = t[2 + D / 2] == '0' ? '1' : '0';
    uint64_t got = pie__radix_mod_text(t + 2, D, view->base, par->threads);
    got = pie__radix_mod_join(3, got, D, view->base);
    if (got != want) {
        snprintf(res->verify_note, sizeof res->verify_note,
                 "MISMATCH: the printed digits are not the computed value (mod 2^61-1)");
        free(t);
        *text = NULL;
        return pie__fail(ctx, PIE_EVERIFY, "%s", res->verify_note);
    }
    snprintf(res->verify_note, sizeof res->verify_note, "radix conversion checked mod 2^61-1");
    return PIE_OK;
}

/* The attempt on job: series, big operations, conversion. */
static pie_status attempt(pie_ctx *ctx, const pie__bbp_job *view, const pie__chud_job *job,
                          pie_digits_big_ops big_ops, pie_digits_result *res, char **text,
                          int *retry, pie__series_window *w)
{
    mpz_t x, y;
    mpz_inits(x, y, NULL);
    big_ctx big = {.ctx = ctx, .where = big_ops, .res = res};
    pie__par par = pie__par_threads(1);
    pie__chud_pow5 *pw = NULL;
    pie_status st = binary_value(ctx, job, res, &big, &par, &pw, x);
    if (st != PIE_OK) {
        pie__chud_pow5_free(pw);
        mpz_clears(x, y, NULL);
        return st;
    }
    pie__phase(ctx, "radix conversion");
    pie__trim_heap(); /* what the division freed */
    pie__clock t0 = pie__clock_now();
    if (ctx->test_corrupt == PIE_TEST_CORRUPT_BINARY)
        corrupt_binary(view, x);
    int krc = pie__chud_floor(job, x, &par, pw, y);
    pie__digits_window(view, x, w);
    if (krc == PIE_K_OK)
        st = convert(ctx, job, view, x, y, &big, &par, pw, res, text); /* consumes y */
    else
        mpz_clear(y);
    pie__chud_pow5_free(pw);
    mpz_clear(x);
    pie__clock_add(t0, &res->seconds_radix, &res->cpu_seconds_radix);
    if (krc == PIE_CHUD_RETRY)
        *retry = 1;
    else if (krc != PIE_K_OK)
        st = big_ops_fail(&big, krc, "the digits could not be formed");
    return st;
}

/* The shared arena of a session: the largest job of a big operation (a
 * product of two operands of up to 2W bits, or the conversion's halves)
 * with room to spare; reserved, not committed. */
static size_t arena_bytes(const pie__chud_job *job)
{
    return (size_t)(6 * (job->prec / 8 + 1)) + ((size_t)64 << 20);
}

pie_status pie__chud_attempt(pie_ctx *ctx, const pie__bbp_job *view, pie_digits_big_ops big_ops,
                             pie_digits_result *res, char **text, int *retry, pie__series_window *w)
{
    *retry = 0;
    pie__chud_job job;
    if (pie__chud_job_init(&job, view->digits, view->base, view->guard) != PIE_K_OK)
        return pie__fail(ctx, PIE_EINVAL, "bad digits job");
    res->terms = job.nterms;
    /* One session for the whole attempt on a backend that forks: its
     * workers are forked once, for the series, while this process is
     * small, and outlive it. With the big operations on the workers they
     * then serve every one of them (engine/process_session.c), in a shared
     * arena; with them on threads they wait, and go with the session:
     * workers that exit at the end of the series leave the kernel their
     * address spaces to tear down (RCU callbacks, page-table frees) on the
     * CPUs the division needs (at 10^6 digits, 8-10 ms of its 22 ms). */
    unsigned workers = pie__resolve_workers(ctx);
    int on_workers = big_ops == PIE_DIGITS_BIG_OPS_WORKERS && workers > 1;
    int session =
        (pie_backend_flags(ctx->backend) & PIE_BACKEND_FORKS) &&
        pie__proc_session_begin(ctx, workers, on_workers ? arena_bytes(&job) : 0) == PIE_OK;
    if (!session)
        pie__forget_error(ctx); /* without one (no shared mapping), threads */
    pie_status st = attempt(ctx, view, &job, big_ops, res, text, retry, w);
    if (st == PIE_OK && *retry) /* the next attempt is another job */
        pie__chud_drop_checkpoint(ctx, view);
    if (session && st == PIE_OK && !*retry) {
        /* The digits are formed: the workers exit while the caller takes the
         * digest and writes the file, and it reaps them. */
        pie__proc_session_release(ctx);
    } else if (session) {
        uint64_t peak = pie__proc_session_end(ctx, &res->cpu_seconds);
        if (peak > res->peak_rss_bytes)
            res->peak_rss_bytes = peak;
    }
    return st;
}
