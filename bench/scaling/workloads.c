/** @brief The bench's workload table: how each workload is sized, run and checked. */
#include "scaling.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hex digits asked for at each position: one pass of the formulas. */
#define BENCH_HEX_COUNT 8u
#define BENCH_HEX_COUNT_ARG "8"

static pie_status run_mc(pie_ctx *ctx, uint64_t size, bench_run *out)
{
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = size;
    pie_mc_result *r = NULL;
    pie_status st = pie_mc_run(ctx, &o, &r);
    if (r) {
        char v[24];
        out->used = r->workers;
        out->kernel = r->kernel;
        out->chunks = r->chunks_total;
        snprintf(out->worker_cpus, sizeof out->worker_cpus, "%s", r->worker_cpus);
        snprintf(v, sizeof v, "%" PRIu64, r->inside);
        bench_check_format(bench_workload_of(PIE_WORKLOAD_MC), v, out->check, sizeof out->check);
    }
    pie_result_free(r);
    return r ? st : PIE_ENOMEM;
}

static pie_status run_hex(pie_ctx *ctx, uint64_t size, bench_run *out)
{
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.position = size;
    o.count = BENCH_HEX_COUNT;
    o.formula = PIE_HEX_BELLARD;
    pie_hex_result *r = NULL;
    pie_status st = pie_hex_run(ctx, &o, &r);
    if (r) {
        out->used = r->workers;
        out->kernel = r->kernel;
        out->chunks = r->chunks_total;
        snprintf(out->worker_cpus, sizeof out->worker_cpus, "%s", r->worker_cpus);
        bench_check_format(bench_workload_of(PIE_WORKLOAD_HEX), r->hex, out->check,
                           sizeof out->check);
    }
    pie_result_free(r);
    return r ? st : PIE_ENOMEM;
}

/* The digits algorithm, set once from the command line before any run
 * (options.c: --algorithm, else PIE_BENCH_DIGITS_ALGORITHM); the result's
 * kernel column names it. */
static pie_digits_algorithm digits_alg = PIE_DIGITS_CHUDNOVSKY;

void bench_set_digits_algorithm(pie_digits_algorithm a)
{
    digits_alg = a;
}

static pie_status run_digits(pie_ctx *ctx, uint64_t size, bench_run *out)
{
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = size;
    o.base = 10;
    o.algorithm = digits_alg;
    pie_digits_result *r = NULL;
    pie_status st = pie_digits_run(ctx, &o, &r);
    if (r) {
        out->used = r->workers;
        out->kernel = r->algorithm_name;
        out->chunks = r->chunks_total;
        snprintf(out->worker_cpus, sizeof out->worker_cpus, "%s", r->worker_cpus);
        bench_check_format(bench_workload_of(PIE_WORKLOAD_DIGITS), r->sha256, out->check,
                           sizeof out->check);
    }
    pie_result_free(r);
    return r ? st : PIE_ENOMEM;
}

static int args_mc(const char *size, const char *file, const char **argv)
{
    (void)file;
    argv[0] = "-n";
    argv[1] = size;
    return 2;
}

static int args_hex(const char *size, const char *file, const char **argv)
{
    (void)file;
    static const char *const rest[] = {"-c", BENCH_HEX_COUNT_ARG, "--formula", "bellard"};
    argv[0] = "-p";
    argv[1] = size;
    memcpy(argv + 2, rest, sizeof rest);
    return 6;
}

static int args_digits(const char *size, const char *file, const char **argv)
{
    argv[0] = "-d";
    argv[1] = size;
    argv[2] = "-o"; /* the digits to a file, not into the JSON */
    argv[3] = file;
    argv[4] = "--algorithm";
    argv[5] = pie_digits_algorithm_name(digits_alg);
    return 6;
}

/* Adding a workload: its row here (indexed by its pie_workload) with a run
 * function (options from a size, pie_*_run, the run record filled) and the
 * `pie <workload>` arguments for a size; the harness iterates the table. */
static const bench_workload workloads[] = {
    [PIE_WORKLOAD_MC] = {.id = PIE_WORKLOAD_MC,
                         .unit = "samples",
                         .chunk = PIE_MC_CHUNK_SAMPLES,
                         .max_size = PIE_MC_MAX_SAMPLES / 64,
                         .check_key = "inside",
                         .kernel_key = "kernel",
                         .run = run_mc,
                         .cli_args = args_mc},
    [PIE_WORKLOAD_HEX] = {.id = PIE_WORKLOAD_HEX,
                          .unit = "position",
                          .calibrate_from = 10000,
                          .max_size = PIE_HEX_MAX_POSITION,
                          .check_key = "hex",
                          .check_len = 60,
                          .kernel_key = "kernel",
                          .run = run_hex,
                          .cli_args = args_hex},
    [PIE_WORKLOAD_DIGITS] = {.id = PIE_WORKLOAD_DIGITS,
                             .unit = "digits",
                             .calibrate_from = 1000,
                             .max_size = PIE_DIGITS_MAX,
                             .check_key = "sha256",
                             .check_len = 16,
                             .kernel_key = "algorithm",
                             .run = run_digits,
                             .cli_args = args_digits},
};

_Static_assert(sizeof workloads / sizeof workloads[0] == PIE_WORKLOAD_COUNT,
               "one row per workload");

const bench_workload *bench_workload_of(pie_workload id)
{
    return (unsigned)id < PIE_WORKLOAD_COUNT ? &workloads[id] : NULL;
}

void bench_check_format(const bench_workload *w, const char *value, char *check, size_t n)
{
    int len = w->check_len ? (int)w->check_len : (int)strlen(value);
    snprintf(check, n, "%s=%.*s", w->check_key, len, value);
}
