/** @brief `pie digits`: D digits of pi (Chudnovsky or the BBP series), to stdout or a file. */
#include "cli_main.h"
#include "cli_verb.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char digits_help[] =
    "Usage: pie digits [options]\n"
    "Print '3.' and exactly D digits of pi after the point, truncated (never\n"
    "rounded), computed by binary splitting on GMP integers, the terms split\n"
    "across workers.\n"
    "\n"
    "  -d, --digits D         digits after the point (default 1000); accepts\n"
    "                         1000000, 1e6, 1_000_000\n"
    "      --base B           10 (default) or 16 (upper case: 3.243F6A88...)\n"
    "      --algorithm A      chudnovsky (default: 14 digits a term, then a square\n"
    "                         root and a division) or bbp (Bellard's BBP-type series)\n"
    "      --big-ops WHERE    chudnovsky's big operations after the series: threads\n"
    "                         (default: threads of this process) or workers (on\n"
    "                         the process backend, tasks on its workers: a lost\n"
    "                         one is run again; 5% slower, more memory)\n"
    "  -o, --output FILE      write the digits to FILE (atomically: a temporary\n"
    "                         file, then rename) instead of stdout\n"
    "      --verify           check the digits against MPFR's mpfr_const_pi (up to\n"
    "                         1e7 digits) and against BBP digit extraction (pie hex):\n"
    "                         the binary value read in hex near its last bit (bbp,\n"
    "                         base 16: the last hex digits). Chudnovsky runs always\n"
    "                         check the radix conversion (mod a 61-bit prime)\n"
    "      --json             one JSON object on stdout (with the digits under \"pi\"\n"
    "                         unless -o is given)\n"
    "  -q, --quiet            the digits alone, no summary\n"
    "";
static const char digits_help_tail[] =
    "The digits are the same bytes on every backend and worker count. The memory\n"
    "a run needs is estimated first; a run that would not fit is refused.\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure, 2 bad usage or input (including\n"
    "a size beyond memory or an unwritable output path), 130/143 interrupted.\n";

enum { OPT_BASE = PIE_OPT_OWN, OPT_VERIFY, OPT_ALGORITHM, OPT_BIG_OPS };

static void print_summary(const pie_digits_result *r, const char *path)
{
    FILE *f = stderr;
    fprintf(f, "digits        %" PRIu64 " after the point, base %u%s%s\n", r->digits, r->base,
            path ? ", written to " : "", path ? path : "");
    fprintf(f, "time          %.3f s (series %.3f, division %.3f, radix %.3f, output %.3f)\n",
            r->seconds, r->seconds_series, r->seconds_division, r->seconds_radix,
            r->seconds_output);
    fprintf(f,
            "cpu           %.3f s in all (this process: series %.3f, division %.3f, radix %.3f)\n",
            r->cpu_seconds, r->cpu_seconds_series, r->cpu_seconds_division, r->cpu_seconds_radix);
    fprintf(f, "backend       %s, %u worker%s, %s, %" PRIu64 " terms, %u attempt%s%s%s\n",
            pie_backend_name(r->backend), r->workers, r->workers == 1 ? "" : "s", r->algorithm_name,
            r->terms, r->attempts, r->attempts == 1 ? "" : "s",
            r->big_ops_name[0] ? ", big operations on " : "", r->big_ops_name);
    fprintf(f, "memory        peak RSS %.1f MiB (estimate %.1f MiB)\n",
            (double)r->peak_rss_bytes / 1048576.0, (double)r->memory_estimate_bytes / 1048576.0);
    fprintf(f, "sha256        %s\n", r->sha256);
    if (r->verify_note[0])
        fprintf(f, "verify        %s (%.3f s)\n", r->verify_note, r->seconds_verify);
}

static void print_json(const pie_digits_result *r, const char *path)
{
    FILE *f = stdout;
    fprintf(f, "{\"digits\":%" PRIu64 ",\"base\":%u,\"seconds\":", r->digits, r->base);
    pie_cli_json_double(f, r->seconds);
    fprintf(f, ",\"workers\":%u,\"backend\":", r->workers);
    pie_cli_json_string(f, pie_backend_name(r->backend));
    fputs(",\"algorithm\":", f);
    pie_cli_json_string(f, r->algorithm_name);
    fputs(",\"big_ops\":", f);
    pie_cli_json_string(f, r->big_ops_name);
    fputs(",\"sha256\":", f);
    pie_cli_json_string(f, r->sha256);
    fprintf(f, ",\"peak_rss_bytes\":%" PRIu64 ",\"memory_estimate_bytes\":%" PRIu64,
            r->peak_rss_bytes, r->memory_estimate_bytes);
    fprintf(f, ",\"verified\":%s,\"verify_note\":", r->verified ? "true" : "false");
    pie_cli_json_string(f, r->verify_note);
    fputs(",\"seconds_series\":", f);
    pie_cli_json_double(f, r->seconds_series);
    fputs(",\"seconds_division\":", f);
    pie_cli_json_double(f, r->seconds_division);
    fputs(",\"seconds_radix\":", f);
    pie_cli_json_double(f, r->seconds_radix);
    fputs(",\"seconds_output\":", f);
    pie_cli_json_double(f, r->seconds_output);
    fputs(",\"seconds_verify\":", f);
    pie_cli_json_double(f, r->seconds_verify);
    fputs(",\"cpu_seconds\":", f);
    pie_cli_json_double(f, r->cpu_seconds);
    fputs(",\"cpu_seconds_series\":", f);
    pie_cli_json_double(f, r->cpu_seconds_series);
    fputs(",\"cpu_seconds_division\":", f);
    pie_cli_json_double(f, r->cpu_seconds_division);
    fputs(",\"cpu_seconds_radix\":", f);
    pie_cli_json_double(f, r->cpu_seconds_radix);
    fputs(",\"cpu_seconds_output\":", f);
    pie_cli_json_double(f, r->cpu_seconds_output);
    fputs(",\"cpu_seconds_verify\":", f);
    pie_cli_json_double(f, r->cpu_seconds_verify);
    fprintf(f, ",\"terms\":%" PRIu64 ",\"precision_bits\":%" PRIu64 ",\"attempts\":%u", r->terms,
            r->precision_bits, r->attempts);
    fprintf(f, ",\"chunks\":%" PRIu64 ",\"chunk_retries\":%" PRIu64, r->chunks_total,
            r->chunk_retries);
    if (path) {
        fputs(",\"output\":", f);
        pie_cli_json_string(f, path);
    } else {
        fputs(",\"pi\":", f);
        pie_cli_json_string(f, r->text);
    }
    fputs(",\"version\":", f);
    pie_cli_json_string(f, pie_version());
    fputs(",\"pin\":", f);
    pie_cli_json_string(f, r->pin);
    fputs(",\"worker_cpus\":", f);
    pie_cli_json_string(f, r->worker_cpus);
    fputs("}\n", f);
}

static int digits_option(void *job, int opt, const char *arg, uint64_t *seen)
{
    pie_digits_options *o = job;
    char why[96];
    uint64_t v;
    int rc;
    switch (opt) {
    case 'd':
        if ((rc = pie_cli_once("digits", seen, 0, "--digits")) != 0)
            return rc;
        if (pie_cli_parse_count(arg, PIE_DIGITS_MAX, &o->digits, why, sizeof why) != 0)
            return pie_cli_usage("digits", "invalid value for --digits: '%s' %s", arg, why);
        return PIE_EXIT_OK;
    case OPT_BASE:
        if ((rc = pie_cli_once("digits", seen, 1, "--base")) != 0)
            return rc;
        if (pie_cli_parse_count(arg, 16, &v, why, sizeof why) != 0 || (v != 10 && v != 16))
            return pie_cli_usage("digits", "invalid value for --base: '%s' (10 or 16)", arg);
        o->base = (unsigned)v;
        return PIE_EXIT_OK;
    case 'o':
        if ((rc = pie_cli_once("digits", seen, 2, "--output")) != 0)
            return rc;
        if (!arg[0])
            return pie_cli_usage("digits", "invalid value for --output: empty path");
        o->path = arg;
        return PIE_EXIT_OK;
    case OPT_ALGORITHM:
        if ((rc = pie_cli_once("digits", seen, 6, "--algorithm")) != 0)
            return rc;
        if (pie_digits_algorithm_from_name(arg, &o->algorithm) != PIE_OK)
            return pie_cli_usage("digits",
                                 "invalid value for --algorithm: '%s' (chudnovsky or bbp)", arg);
        return PIE_EXIT_OK;
    case OPT_BIG_OPS:
        if ((rc = pie_cli_once("digits", seen, 7, "--big-ops")) != 0)
            return rc;
        if (pie_digits_big_ops_from_name(arg, &o->big_ops) != PIE_OK)
            return pie_cli_usage("digits", "invalid value for --big-ops: '%s' (threads or workers)",
                                 arg);
        return PIE_EXIT_OK;
    case OPT_VERIFY:
        if ((rc = pie_cli_once("digits", seen, 5, "--verify")) != 0)
            return rc;
        o->verify = 1;
        return PIE_EXIT_OK;
    default:
        return PIE_CLI_NOT_COMMON;
    }
}

static pie_status digits_run(pie_ctx *ctx, void *job, const void **result)
{
    pie_digits_options *o = job;
    if (pie_mpi_rank() > 0)
        o->path = NULL; /* under mpirun only rank 0 writes the file */
    pie_digits_result *r = NULL;
    pie_status st = pie_digits_run(ctx, o, &r);
    /* A size refused before any work (beyond memory) is bad input, exit 2;
     * memory that runs out during the run is a runtime failure, exit 1. */
    if (st == PIE_ENOMEM && r && r->attempts == 0)
        st = PIE_EINVAL;
    *result = r;
    return st;
}

static void digits_chunks(const void *result, uint64_t *done, uint64_t *total)
{
    const pie_digits_result *r = result;
    *done = r->chunks_done;
    *total = r->chunks_total;
}

static int digits_print(const void *result, const void *job, const pie_cli_common *c)
{
    const pie_digits_result *r = result;
    const char *path = ((const pie_digits_options *)job)->path;
    if (c->json) {
        print_json(r, path);
        return PIE_EXIT_OK;
    }
    if (!path) {
        fwrite(r->text, 1, r->text_len, stdout);
        fputc('\n', stdout);
    }
    /* The summary only once the digits are out. */
    int rc = pie_cli_flush_result("digits");
    if (rc == PIE_EXIT_OK && !c->quiet)
        print_summary(r, path);
    return rc;
}

int pie_cli_digits(int argc, char **argv)
{
    static const struct option opts[] = {
        {"digits", required_argument, NULL, 'd'},
        {"base", required_argument, NULL, OPT_BASE},
        {"output", required_argument, NULL, 'o'},
        {"verify", no_argument, NULL, OPT_VERIFY},
        {"algorithm", required_argument, NULL, OPT_ALGORITHM},
        {"big-ops", required_argument, NULL, OPT_BIG_OPS},
        {NULL, 0, NULL, 0},
    };
    static const pie_cli_verb verb = {.name = "digits",
                                      .help = digits_help,
                                      .help_tail = digits_help_tail,
                                      .workload = PIE_WORKLOAD_DIGITS,
                                      .show_phases = 1,
                                      .shortopts = "d:o:",
                                      .longopts = opts,
                                      .option = digits_option,
                                      .run = digits_run,
                                      .chunks = digits_chunks,
                                      .print = digits_print};
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = 1000;
    return pie_cli_run_verb(&verb, &o, argc, argv);
}
