/** @brief pie_hex_run: hex digits of pi at a position, fixed by two formulas with bounded error. */
#include "bbp_hex.h"
#include "engine.h"
#include "variant.h"

#include <stdio.h>
#include <strings.h>

const char *pie_hex_formula_name(pie_hex_formula formula)
{
    switch (formula) {
    case PIE_HEX_BELLARD:
        return "bellard";
    case PIE_HEX_BBP:
        return "bbp";
    default:
        return NULL;
    }
}

pie_status pie_hex_formula_from_name(const char *name, pie_hex_formula *out)
{
    if (!name || !out)
        return PIE_EINVAL;
    for (int f = 0; pie_hex_formula_name((pie_hex_formula)f); f++) {
        if (strcasecmp(name, pie_hex_formula_name((pie_hex_formula)f)) == 0) {
            *out = (pie_hex_formula)f;
            return PIE_OK;
        }
    }
    return PIE_EINVAL;
}

static int kernel_formula(pie_hex_formula f)
{
    return f == PIE_HEX_BBP ? PIE_HEXK_BBP : PIE_HEXK_BELLARD;
}

/* One pass at `pos`: both formulas in one task, so the workers never wait
 * between them. Writes the digits both fix and agree on into out. With a
 * checkpoint, `keep` keeps the pass's file after it succeeds, so that a
 * resumed run of several passes skips the finished ones. */
static pie_status hex_pass(pie_ctx *ctx, uint64_t pos, pie_hex_formula formula,
                           pie_hex_head_fn head, char *out, unsigned *ndigits, pie_hex_result *res,
                           int keep)
{
    int formulas[2] = {kernel_formula(formula),
                       kernel_formula(formula == PIE_HEX_BBP ? PIE_HEX_BELLARD : PIE_HEX_BBP)};
    pie_hex_job job;
    if (pie__hex_job_init(&job, pos - 1, formulas, 2, head) != PIE_K_OK)
        return pie__fail(ctx, PIE_EINVAL, "position %llu is out of range", (unsigned long long)pos);
    pie_hex_acc acc;
    memset(&acc, 0, sizeof acc);
    pie__task task = {.ops = &pie__hex_kernel_ops,
                      .job = &job,
                      .acc = &acc,
                      .nchunks = pie__hex_job_chunks(&job),
                      .keep_checkpoint = keep};
    /* The job's identity for checkpoints: not the ISA (same bytes), but the
     * chunk layout, so a checkpoint from another layout is never merged. */
    char fingerprint[128];
    snprintf(fingerprint, sizeof fingerprint, "hex offset %llu formulas %d %d chunk_k %llu %llu",
             (unsigned long long)(pos - 1), formulas[0], formulas[1],
             (unsigned long long)job.chunk_k[0], (unsigned long long)job.chunk_k[1]);
    task.fingerprint = fingerprint;
    pie__run_stats stats;
    pie_status st = pie__run_task(ctx, &task, &stats);
    res->workers = stats.workers > res->workers ? stats.workers : res->workers;
    res->chunks_total += task.nchunks;
    res->chunks_done += stats.chunks_done;
    res->chunk_retries += stats.retries;
    if (st != PIE_OK)
        return st;

    char a[33], b[33];
    unsigned na = pie__hex_certain_digits(acc.sum[0], pie__hex_error_bound(&job.series[0]), a, 32);
    unsigned nb = pie__hex_certain_digits(acc.sum[1], pie__hex_error_bound(&job.series[1]), b, 32);
    unsigned n = na < nb ? na : nb;
    if (memcmp(a, b, n) != 0)
        return pie__fail(ctx, PIE_EVERIFY,
                         "the two formulas disagree at position %llu (%.*s vs %.*s): "
                         "a hardware or software fault",
                         (unsigned long long)pos, (int)n, a, (int)n, b);
    if (n == 0)
        return pie__fail(ctx, PIE_EVERIFY,
                         "the error bound does not fix the digit at position %llu",
                         (unsigned long long)pos);
    memcpy(out, a, n);
    *ndigits = n;
    return PIE_OK;
}

void pie_hex_options_init(pie_hex_options *o)
{
    if (o)
        *o = (pie_hex_options){
            .size = sizeof *o, .position = 1, .count = 14, .formula = PIE_HEX_BELLARD};
}

/* The result with room for its digits, freed as one block. */
typedef struct hex_box {
    pie_hex_result r;
    char hex[PIE_HEX_MAX_COUNT + 1];
} hex_box;

static pie_status check_options(pie_ctx *ctx, const pie_hex_options *options, pie_hex_options *o)
{
    pie_hex_options_init(o);
    if (pie__options_read(o, sizeof *o, options, sizeof *o) != PIE_OK)
        return pie__fail(ctx, PIE_EINVAL,
                         "the options are NULL or not set up by "
                         "pie_hex_options_init");
    uint64_t position = o->position;
    unsigned count = o->count;
    if (position < 1 || position > PIE_HEX_MAX_POSITION)
        return pie__fail(ctx, PIE_EINVAL, "position must be between 1 and %llu (got %llu)",
                         (unsigned long long)PIE_HEX_MAX_POSITION, (unsigned long long)position);
    if (count < 1 || count > PIE_HEX_MAX_COUNT)
        return pie__fail(ctx, PIE_EINVAL, "count must be between 1 and %u (got %u)",
                         PIE_HEX_MAX_COUNT, count);
    if (count - 1 > PIE_HEX_MAX_POSITION - position)
        return pie__fail(ctx, PIE_EINVAL, "the last position %llu is beyond %llu",
                         (unsigned long long)(position + count - 1),
                         (unsigned long long)PIE_HEX_MAX_POSITION);
    if (!pie_hex_formula_name(o->formula))
        return pie__fail(ctx, PIE_EINVAL, "unknown formula %d", (int)o->formula);
    return PIE_OK;
}

/* The run succeeded: remove the checkpoints its passes kept, by running
 * each pass once more without keeping it (every chunk comes from the file,
 * none is computed; the file is then removed as after any success). */
static void drop_checkpoints(pie_ctx *ctx, const pie_hex_options *o, pie_hex_head_fn head,
                             const uint64_t *pos, unsigned npos)
{
    pie__progress_hook hook = ctx->progress;
    ctx->progress = NULL;
    for (unsigned i = 0; i < npos; i++) {
        pie_hex_result scratch = {0};
        char digits[32];
        unsigned n = 0;
        hex_pass(ctx, pos[i], o->formula, head, digits, &n, &scratch, 0);
    }
    ctx->progress = hook;
    pie__clear_error(ctx);
}

/* Every pass until `count` digits are fixed. */
static pie_status run_passes(pie_ctx *ctx, const pie_hex_options *o, pie_hex_head_fn head,
                             hex_box *box)
{
    pie_status st = PIE_OK;
    unsigned have = 0;
    uint64_t pos[PIE_HEX_MAX_COUNT]; /* where each pass started */
    int keep = ctx->checkpoint_dir[0] != '\0';
    while (have < o->count && st == PIE_OK) {
        char digits[32];
        unsigned n = 0;
        pos[box->r.passes] = o->position + have;
        st = hex_pass(ctx, o->position + have, o->formula, head, digits, &n, &box->r, keep);
        if (st == PIE_OK) {
            n = n < o->count - have ? n : o->count - have;
            memcpy(box->hex + have, digits, n);
            have += n;
            box->r.passes++;
        }
    }
    if (st == PIE_OK && keep)
        drop_checkpoints(ctx, o, head, pos, box->r.passes);
    if (st != PIE_OK)
        have = 0;
    box->hex[have] = '\0';
    box->r.count = have;
    return st;
}

pie_status pie_hex_run(pie_ctx *ctx, const pie_hex_options *options, pie_hex_result **out)
{
    if (!out)
        return ctx ? pie__fail(ctx, PIE_EINVAL, "result pointer is NULL") : PIE_EINVAL;
    *out = NULL;
    if (!ctx)
        return PIE_EINVAL;
    pie__clear_error(ctx);
    hex_box *box = pie__result_new(sizeof *box, NULL);
    if (!box)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    *out = &box->r;
    pie_hex_result *result = &box->r;
    result->hex = box->hex;
    ctx->worker_cpus[0] = '\0';
    PIE__RESULT_PLACEMENT(result, ctx);
    result->backend = ctx->backend;
    pie_hex_options o;
    pie_status st = check_options(ctx, options, &o);
    result->position = o.position;
    result->formula = o.formula;
    if (st != PIE_OK)
        return st;
    const char *why = "";
    const pie__variant *v = pie__variant_pick(&pie__hex_variants, ctx->isa, &why);
    if (!v)
        return pie__fail(ctx,
                         pie_isa_check(PIE_WORKLOAD_HEX, ctx->isa) == PIE_EINVAL ? PIE_EINVAL
                                                                                 : PIE_EUNSUPPORTED,
                         "the %s hex kernel is %s", pie_isa_name(ctx->isa), why);
    result->checked_by = o.formula == PIE_HEX_BBP ? PIE_HEX_BELLARD : PIE_HEX_BBP;
    result->isa = v->isa;
    result->kernel = pie_isa_name(v->isa);

    pie__phase(ctx, "hex");
    double t0 = pie__now();
    pie__run_enter(ctx);
    st = run_passes(ctx, &o, (pie_hex_head_fn)v->fn, box);
    pie__run_leave(ctx);
    result->seconds = pie__now() - t0;
    PIE__RESULT_PLACEMENT(result, ctx);
    return st;
}
