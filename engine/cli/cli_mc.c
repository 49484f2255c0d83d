/** @brief `pie mc`: Monte Carlo pi with error bars on any backend. */
#include "cli_main.h"
#include "cli_verb.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char mc_help[] =
    "Usage: pie mc [options]\n"
    "Estimate pi by Monte Carlo sampling, with error bars, on every core.\n"
    "\n"
    "  -n, --samples N        points to draw (default 1e9); accepts 1000000, 1e9,\n"
    "                         2.5e10, 1_000_000; at most 2^63\n"
    "      --seed S           64-bit seed (default 0); the count depends only on\n"
    "                         (N, seed), never on backend, workers or kernel\n"
    "      --json             one JSON object on stdout\n"
    "  -q, --quiet            print the estimate alone\n"
    "";
static const char mc_help_tail[] =
    "Exit status: 0 success, 1 runtime failure, 2 bad usage, 130/143 interrupted.\n";

enum { OPT_SEED = PIE_OPT_OWN };

static void print_human(const pie_mc_result *r)
{
    char a[40], b[40];
    printf("pi ~ %.10f +/- %.10f (1 standard error)\n", r->estimate, r->std_error);
    printf("95%% CI        [%.10f, %.10f]\n", r->ci95_lo, r->ci95_hi);
    printf("error vs pi   %.3e (z = %+.2f)\n", r->abs_error, r->z_score);
    printf("samples       %s (%s inside)\n", pie_cli_thousands(r->samples, a, sizeof a),
           pie_cli_thousands(r->inside, b, sizeof b));
    printf("time          %.3f s, %.3e samples/s\n", r->seconds,
           r->seconds > 0 ? (double)r->samples / r->seconds : 0.0);
    printf("backend       %s, %u worker%s, kernel %s, seed %" PRIu64 "\n",
           pie_backend_name(r->backend), r->workers, r->workers == 1 ? "" : "s", r->kernel,
           r->seed);
}

static void print_json(const pie_mc_result *r)
{
    FILE *f = stdout;
    fputs("{\"estimate\":", f);
    pie_cli_json_double(f, r->estimate);
    fprintf(f, ",\"samples\":%" PRIu64 ",\"inside\":%" PRIu64 ",\"std_error\":", r->samples,
            r->inside);
    pie_cli_json_double(f, r->std_error);
    fputs(",\"ci95\":[", f);
    pie_cli_json_double(f, r->ci95_lo);
    fputc(',', f);
    pie_cli_json_double(f, r->ci95_hi);
    fputs("],\"abs_error\":", f);
    pie_cli_json_double(f, r->abs_error);
    fputs(",\"z_score\":", f);
    pie_cli_json_double(f, r->z_score);
    fputs(",\"seconds\":", f);
    pie_cli_json_double(f, r->seconds);
    fputs(",\"samples_per_second\":", f);
    pie_cli_json_double(f, r->seconds > 0 ? (double)r->samples / r->seconds : 0.0);
    fprintf(f, ",\"workers\":%u,\"backend\":", r->workers);
    pie_cli_json_string(f, pie_backend_name(r->backend));
    fprintf(f, ",\"seed\":%" PRIu64 ",\"kernel\":", r->seed);
    pie_cli_json_string(f, r->kernel);
    fprintf(f,
            ",\"chunks\":%" PRIu64 ",\"chunk_retries\":%" PRIu64 ",\"version\":", r->chunks_total,
            r->chunk_retries);
    pie_cli_json_string(f, pie_version());
    fputs(",\"pin\":", f);
    pie_cli_json_string(f, r->pin);
    fputs(",\"worker_cpus\":", f);
    pie_cli_json_string(f, r->worker_cpus);
    fputs("}\n", f);
}

static int mc_option(void *job, int opt, const char *arg, uint64_t *seen)
{
    pie_mc_options *o = job;
    char why[96];
    int rc;
    switch (opt) {
    case 'n':
        if ((rc = pie_cli_once("mc", seen, 0, "--samples")) != 0)
            return rc;
        if (pie_cli_parse_count(arg, PIE_MC_MAX_SAMPLES, &o->samples, why, sizeof why) != 0)
            return pie_cli_usage("mc", "invalid value for --samples: '%s' %s", arg, why);
        return PIE_EXIT_OK;
    case OPT_SEED:
        if ((rc = pie_cli_once("mc", seen, 1, "--seed")) != 0)
            return rc;
        if (pie_cli_parse_u64(arg, &o->seed, why, sizeof why) != 0)
            return pie_cli_usage("mc", "invalid value for --seed: '%s' %s", arg, why);
        return PIE_EXIT_OK;
    default:
        return PIE_CLI_NOT_COMMON;
    }
}

static pie_status mc_run(pie_ctx *ctx, void *job, const void **result)
{
    pie_mc_result *r = NULL;
    pie_status st = pie_mc_run(ctx, job, &r);
    *result = r;
    return st;
}

static void mc_chunks(const void *result, uint64_t *done, uint64_t *total)
{
    const pie_mc_result *r = result;
    *done = r->chunks_done;
    *total = r->chunks_total;
}

static int mc_print(const void *result, const void *job, const pie_cli_common *c)
{
    (void)job;
    const pie_mc_result *r = result;
    if (c->json)
        print_json(r);
    else if (c->quiet)
        printf("%.10f\n", r->estimate);
    else
        print_human(r);
    return PIE_EXIT_OK;
}

int pie_cli_mc(int argc, char **argv)
{
    static const struct option opts[] = {
        {"samples", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, OPT_SEED},
        {NULL, 0, NULL, 0},
    };
    static const pie_cli_verb verb = {.name = "mc",
                                      .help = mc_help,
                                      .help_tail = mc_help_tail,
                                      .workload = PIE_WORKLOAD_MC,
                                      .has_isa = 1,
                                      .shortopts = "n:",
                                      .longopts = opts,
                                      .option = mc_option,
                                      .run = mc_run,
                                      .chunks = mc_chunks,
                                      .print = mc_print};
    pie_mc_options o;
    pie_mc_options_init(&o);
    return pie_cli_run_verb(&verb, &o, argc, argv);
}
