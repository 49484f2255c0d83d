/** @brief pie_mc_run: Monte Carlo pi — build the job, run it on the backend, compute the error
 * bars. */
#include "cpu.h"
#include "engine.h"
#include "mc_kernel.h"

#include <math.h>
#include <stdio.h>

#define PIE_PI 3.14159265358979323846
#define Z95 1.959963984540054 /* two-sided 95% normal quantile */

static void fill_stats(pie_mc_result *res)
{
    double n = (double)res->samples;
    double p = (double)res->inside / n;
    res->estimate = 4.0 * p;
    res->std_error = 4.0 * sqrt(p * (1.0 - p) / n);
    res->ci95_lo = res->estimate - Z95 * res->std_error;
    res->ci95_hi = res->estimate + Z95 * res->std_error;
    res->abs_error = fabs(res->estimate - PIE_PI);
    res->z_score = res->std_error > 0 ? (res->estimate - PIE_PI) / res->std_error : 0.0;
}

pie_status pie_mc_run(pie_ctx *ctx, uint64_t samples, pie_mc_result *result)
{
    if (!ctx || !result)
        return PIE_EINVAL;
    pie__clear_error(ctx);
    *result = (pie_mc_result){0};
    if (samples == 0 || samples > PIE_MC_MAX_SAMPLES)
        return pie__fail(ctx, PIE_EINVAL, "samples must be between 1 and 2^63 (got %llu)",
                         (unsigned long long)samples);

    /* The kernel variant is chosen here, in the calling process, before any
     * worker exists: workers inherit the choice, so CPUID runs once a run. */
    pie_mc_job job = {.samples = samples, .seed = ctx->seed, .chunk_samples = PIE_MC_CHUNK_SAMPLES};
    pie_isa used;
    pie_status st = pie__mc_select(ctx->isa, &used, &job.count);
    if (st != PIE_OK)
        return pie__fail(ctx, st, "the %s kernel is not available on this CPU or build",
                         pie_isa_name(ctx->isa));

    pie_mc_acc acc = {0};
    pie__task task = {
        .ops = &pie_mc_kernel_ops, .job = &job, .acc = &acc, .nchunks = pie_mc_job_chunks(&job)};
    char fingerprint[96]; /* the job's identity for checkpoints; not the ISA: same bytes */
    snprintf(fingerprint, sizeof fingerprint, "mc samples %llu seed %llu chunk %llu",
             (unsigned long long)samples, (unsigned long long)job.seed,
             (unsigned long long)job.chunk_samples);
    task.fingerprint = fingerprint;
    pie__run_stats stats;
    double t0 = pie__now();
    st = pie__run_task(ctx, &task, &stats);
    result->seconds = pie__now() - t0;

    result->samples = samples;
    result->seed = ctx->seed;
    result->backend = ctx->backend;
    result->workers = stats.workers;
    result->isa = used;
    result->kernel = pie_isa_name(used);
    result->chunks_total = task.nchunks;
    result->chunks_done = stats.chunks_done;
    result->chunk_retries = stats.retries;
    if (st != PIE_OK)
        return st;
    result->inside = acc.inside;
    fill_stats(result);
    return PIE_OK;
}
