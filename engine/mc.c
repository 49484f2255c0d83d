/** @brief pie_mc_run: Monte Carlo pi — build the job, run it on the backend, compute the error
 * bars. */
#include "engine.h"
#include "mc_kernel.h"
#include "variant.h"

#include <math.h>
#include <stdio.h>

#define PIE_PI 3.14159265358979323846
#define Z95 1.959963984540054 /* two-sided 95% normal quantile */

void pie_mc_options_init(pie_mc_options *o)
{
    if (o)
        *o = (pie_mc_options){.size = sizeof *o, .samples = 1000000000, .seed = 0};
}

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

/* Check the options and pick the kernel; fills the job. */
static pie_status prepare(pie_ctx *ctx, const pie_mc_options *options, pie_mc_options *o,
                          pie_mc_job *job, pie_isa *used)
{
    pie_mc_options_init(o);
    if (pie__options_read(o, sizeof *o, options, sizeof *o) != PIE_OK)
        return pie__fail(ctx, PIE_EINVAL,
                         "the options are NULL or not set up by "
                         "pie_mc_options_init");
    if (o->samples == 0 || o->samples > PIE_MC_MAX_SAMPLES)
        return pie__fail(ctx, PIE_EINVAL, "samples must be between 1 and 2^63 (got %llu)",
                         (unsigned long long)o->samples);
    /* The kernel variant is chosen here, in the calling process, before any
     * worker exists: workers inherit the choice. */
    const char *why = "";
    const pie__variant *v = pie__variant_pick(&pie__mc_variants, ctx->isa, &why);
    if (!v)
        return pie__fail(ctx,
                         pie_isa_check(PIE_WORKLOAD_MC, ctx->isa) == PIE_EINVAL ? PIE_EINVAL
                                                                                : PIE_EUNSUPPORTED,
                         "the %s Monte Carlo kernel is %s", pie_isa_name(ctx->isa), why);
    *used = v->isa;
    *job = (pie_mc_job){.samples = o->samples,
                        .seed = o->seed,
                        .chunk_samples = PIE_MC_CHUNK_SAMPLES,
                        .count = (pie_mc_count_fn)v->fn};
    return PIE_OK;
}

pie_status pie_mc_run(pie_ctx *ctx, const pie_mc_options *options, pie_mc_result **out)
{
    if (!out)
        return ctx ? pie__fail(ctx, PIE_EINVAL, "result pointer is NULL") : PIE_EINVAL;
    *out = NULL;
    if (!ctx)
        return PIE_EINVAL;
    pie__clear_error(ctx);
    pie_mc_result *result = pie__result_new(sizeof *result, NULL);
    if (!result)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    *out = result;
    ctx->worker_cpus[0] = '\0';
    PIE__RESULT_PLACEMENT(result, ctx);
    result->backend = ctx->backend;
    pie_mc_options o;
    pie_mc_job job;
    pie_isa used = PIE_ISA_SCALAR;
    pie_status st = prepare(ctx, options, &o, &job, &used);
    result->samples = o.samples;
    result->seed = o.seed;
    if (st != PIE_OK)
        return st;

    pie_mc_acc acc = {0};
    pie__task task = {
        .ops = &pie__mc_kernel_ops, .job = &job, .acc = &acc, .nchunks = pie__mc_job_chunks(&job)};
    char fingerprint[96]; /* the job's identity for checkpoints; not the ISA: same bytes */
    snprintf(fingerprint, sizeof fingerprint, "mc samples %llu seed %llu chunk %llu",
             (unsigned long long)o.samples, (unsigned long long)job.seed,
             (unsigned long long)job.chunk_samples);
    task.fingerprint = fingerprint;
    pie__phase(ctx, "monte carlo");
    pie__run_stats stats;
    double t0 = pie__now();
    st = pie__run_task(ctx, &task, &stats);
    result->seconds = pie__now() - t0;

    result->workers = stats.workers;
    result->isa = used;
    result->kernel = pie_isa_name(used);
    result->chunks_total = task.nchunks;
    result->chunks_done = stats.chunks_done;
    result->chunk_retries = stats.retries;
    PIE__RESULT_PLACEMENT(result, ctx);
    if (st != PIE_OK)
        return st;
    result->inside = acc.inside;
    fill_stats(result);
    return PIE_OK;
}
