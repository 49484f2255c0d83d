/** @brief pie_hex_run: hex digits of pi at a position, fixed by two formulas with bounded error. */
#include "bbp_hex.h"
#include "cpu.h"
#include "engine.h"

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
    for (int f = PIE_HEX_BELLARD; f <= PIE_HEX_BBP; f++) {
        if (strcasecmp(name, pie_hex_formula_name((pie_hex_formula)f)) == 0) {
            *out = (pie_hex_formula)f;
            return PIE_OK;
        }
    }
    return PIE_EINVAL;
}

/* Which hex variants this CPU runs. AVX-512 needs IFMA (with F, DQ, VL);
 * AVX2 needs FMA, which cpu.c does not track: GCC/Clang's own CPUID check
 * adds it to cpu.c's AVX2 (which includes the OS's YMM state check). */
static int hex_cpu_has(pie_isa isa)
{
    unsigned f = pie__cpu_features();
    switch (isa) {
#ifdef PIE_HAVE_HEX_AVX512
    case PIE_ISA_AVX512: {
        const unsigned need =
            PIE_CPU_AVX512F | PIE_CPU_AVX512DQ | PIE_CPU_AVX512VL | PIE_CPU_AVX512IFMA;
        return (f & need) == need;
    }
#endif
#ifdef PIE_HAVE_HEX_AVX2
    case PIE_ISA_AVX2:
        return (f & PIE_CPU_AVX2) && __builtin_cpu_supports("fma");
#endif
    case PIE_ISA_SCALAR:
        return 1;
    default:
        return 0;
    }
}

static pie_hex_head_fn hex_fn(pie_isa isa)
{
    switch (isa) {
#ifdef PIE_HAVE_HEX_AVX512
    case PIE_ISA_AVX512:
        return pie_hex_head_avx512;
#endif
#ifdef PIE_HAVE_HEX_AVX2
    case PIE_ISA_AVX2:
        return pie_hex_head_avx2;
#endif
    default:
        return pie_hex_head_scalar;
    }
}

/* The hex kernel for the context's ISA choice: auto takes the best variant
 * this CPU runs; aesni (no hex variant of its own) runs the scalar one, and
 * the result names the kernel actually used. */
static pie_status hex_select(pie_ctx *ctx, pie_isa *used, pie_hex_head_fn *fn)
{
    static const pie_isa order[] = {PIE_ISA_AVX512, PIE_ISA_AVX2, PIE_ISA_SCALAR};
    pie_isa want = ctx->isa;
    if (want == PIE_ISA_AUTO) {
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
            if (hex_cpu_has(order[i])) {
                want = order[i];
                break;
            }
        }
    } else if (want == PIE_ISA_AESNI) {
        want = PIE_ISA_SCALAR;
    } else if (!hex_cpu_has(want)) {
        return pie__fail(ctx, PIE_EUNSUPPORTED, "the %s hex kernel is %s", pie_isa_name(want),
                         want == PIE_ISA_AVX512 ? "not available (it needs AVX-512 IFMA)"
                                                : "not available (it needs AVX2 and FMA)");
    }
    *used = want;
    *fn = hex_fn(want);
    return PIE_OK;
}

/* For the tests (declared there too; nothing else calls it): the head
 * function of a variant, or NULL when this CPU or build lacks it. */
pie_hex_head_fn pie__hex_head_for(pie_isa isa);
pie_hex_head_fn pie__hex_head_for(pie_isa isa)
{
    return hex_cpu_has(isa) ? hex_fn(isa) : NULL;
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
