/** @brief pie_hex_run: hex digits of pi at a position, each one fixed by two formulas with bounded
 * error. */
#include "bbp_hex.h"
#include "cpu.h"
#include "engine.h"

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
    for (int f = PIE_HEX_BELLARD; f <= PIE_HEX_BBP; f++) {
        if (strcasecmp(name, pie_hex_formula_name((pie_hex_formula)f)) == 0) {
            *out = (pie_hex_formula)f;
            return PIE_OK;
        }
    }
    return PIE_EINVAL;
}

/* The hex kernel's variants: AVX-512 IFMA or the scalar reference. The AVX2
 * and AES-NI levels have no hex variant of their own and run the scalar one
 * (the result names the kernel actually used). */
static pie_status hex_select(pie_ctx *ctx, pie_isa *used, pie_hex_head_fn *fn)
{
    pie_isa want = ctx->isa;
#ifdef PIE_HAVE_HEX_AVX512
    const unsigned need =
        PIE_CPU_AVX512F | PIE_CPU_AVX512DQ | PIE_CPU_AVX512VL | PIE_CPU_AVX512IFMA;
    int have = (pie__cpu_features() & need) == need;
    if ((want == PIE_ISA_AUTO || want == PIE_ISA_AVX512) && have) {
        *used = PIE_ISA_AVX512;
        *fn = pie_hex_head_avx512;
        return PIE_OK;
    }
#endif
    if (want == PIE_ISA_AVX512)
        return pie__fail(ctx, PIE_EUNSUPPORTED,
                         "the avx512 hex kernel needs AVX-512 IFMA (and a build with it)");
    *used = PIE_ISA_SCALAR;
    *fn = pie_hex_head_scalar;
    return PIE_OK;
}

static int kernel_formula(pie_hex_formula f)
{
    return f == PIE_HEX_BBP ? PIE_HEXK_BBP : PIE_HEXK_BELLARD;
}

/* One pass at `pos`: both formulas in one task, so the workers never wait
 * between them. Writes the digits both fix and agree on into out. */
static pie_status hex_pass(pie_ctx *ctx, uint64_t pos, pie_hex_formula formula,
                           pie_hex_head_fn head, char *out, unsigned *ndigits, pie_hex_result *res)
{
    int formulas[2] = {kernel_formula(formula),
                       kernel_formula(formula == PIE_HEX_BBP ? PIE_HEX_BELLARD : PIE_HEX_BBP)};
    pie_hex_job job;
    if (pie_hex_job_init(&job, pos - 1, formulas, 2, head) != PIE_K_OK)
        return pie__fail(ctx, PIE_EINVAL, "position %llu is out of range", (unsigned long long)pos);
    pie_hex_acc acc;
    memset(&acc, 0, sizeof acc);
    pie__task task = {
        .ops = &pie_hex_kernel_ops, .job = &job, .acc = &acc, .nchunks = pie_hex_job_chunks(&job)};
    pie__run_stats stats;
    pie_status st = pie__run_task(ctx, &task, &stats);
    res->workers = stats.workers > res->workers ? stats.workers : res->workers;
    res->chunks_total += task.nchunks;
    res->chunks_done += stats.chunks_done;
    res->chunk_retries += stats.retries;
    if (st != PIE_OK)
        return st;

    char a[33], b[33];
    unsigned na = pie_hex_certain_digits(acc.sum[0], pie_hex_error_bound(&job.series[0]), a, 32);
    unsigned nb = pie_hex_certain_digits(acc.sum[1], pie_hex_error_bound(&job.series[1]), b, 32);
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

pie_status pie_hex_run(pie_ctx *ctx, uint64_t position, unsigned count, pie_hex_formula formula,
                       pie_hex_result *result)
{
    if (!ctx || !result)
        return PIE_EINVAL;
    pie__clear_error(ctx);
    memset(result, 0, sizeof *result);
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
    if (!pie_hex_formula_name(formula))
        return pie__fail(ctx, PIE_EINVAL, "unknown formula %d", (int)formula);

    pie_isa used = PIE_ISA_SCALAR;
    pie_hex_head_fn head = pie_hex_head_scalar;
    pie_status st = hex_select(ctx, &used, &head);
    if (st != PIE_OK)
        return st;
    result->position = position;
    result->formula = formula;
    result->checked_by = formula == PIE_HEX_BBP ? PIE_HEX_BELLARD : PIE_HEX_BBP;
    result->backend = ctx->backend;
    result->isa = used;
    result->kernel = pie_isa_name(used);

    double t0 = pie__now();
    unsigned have = 0;
    while (have < count && st == PIE_OK) {
        char digits[32];
        unsigned n = 0;
        st = hex_pass(ctx, position + have, formula, head, digits, &n, result);
        if (st == PIE_OK) {
            n = n < count - have ? n : count - have;
            memcpy(result->hex + have, digits, n);
            have += n;
            result->passes++;
        }
    }
    result->seconds = pie__now() - t0;
    result->hex[have] = '\0';
    result->count = have;
    if (st != PIE_OK) {
        result->hex[0] = '\0';
        result->count = 0;
    }
    return st;
}
