/** @brief `pie selftest`: known answers for every kernel variant this CPU runs, every backend and
 * the digits algorithms; `--stress` hands over to cli_stress.c. */
#include "cli_main.h"
#include "cli_selftest.h"
#include "cli_util.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
    "Usage: pie selftest [--stress SECONDS [-j W] [--pin P]]\n"
    "Check pie against known answers: Monte Carlo counts at fixed seeds on every\n"
    "kernel variant this CPU runs, hex digits at known positions on every variant,\n"
    "every available backend, and the SHA-256 of 1e4 and 1e5 digits of pi in base\n"
    "10 and 16 with every digits algorithm. A table on stdout; exit 1 naming the\n"
    "first check that failed.\n"
    "\n"
    "  --stress S         instead: every worker loops over the kernels with changing\n"
    "                     inputs for S seconds, checking each result against the\n"
    "                     portable kernel or a known answer; errors counted per CPU\n"
    "  -j, --workers W    stress workers (default: the CPUs this process may use)\n"
    "      --pin P        stress placement: none (default), cores, threads, compact,\n"
    "                     scatter, or CPUs 0,2,4-7\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: 0 all passed, 1 a check failed, 2 bad usage, 130/143 interrupted.\n";

/* Known answers. The Monte Carlo counts are the portable kernel's (which
 * tests/test_ars_kat.c ties to Random123's reference); the hex digits are
 * published (position 1e6: Bailey, Borwein, Plouffe 1997); the digests are
 * of digits checked against MPFR's mpfr_const_pi. */
const pie_selftest_mc pie_selftest_mc_answers[2] = {
    {16789561, 1, 13187787}, /* one whole chunk and a partial one */
    {50331648, 7, 39527835}, /* three chunks */
};
static const struct {
    uint64_t position;
    unsigned count;
    const char *hex;
} hex_answers[] = {
    {1, 16, "243F6A8885A308D3"},
    {100000, 12, "535EA16C4063"},
    {1000000, 14, "26C65E52CB4593"},
};
const pie_selftest_digits pie_selftest_digits_answers[4] = {
    {10000, 10, "7406a2be66766f832c8d1e1b66491ef7b2f366b0393d21c4684181044b507ab5"},
    {10000, 16, "3d3bb06a62bf536bb114b884c7da1248a0759120a18e24addbf795812f07ee65"},
    {100000, 10, "5ebe8007d764bce33aba7a85a0da0924e96663fbb2e0fd089b9e8cd3be482bc2"},
    {100000, 16, "7b8b87db4abeb918c67d1218555cbfbe4ab7d6d6ddcdfa4e9a4ef8dd612d8d44"},
};

typedef struct tally {
    unsigned passed, failed;
    char first[200]; /* the first failure, for the exit line */
} tally;

static void row(tally *t, const char *what, const char *where, const char *expect, const char *got,
                double sec, pie_status st)
{
    int ok = st == PIE_OK && strcmp(expect, got) == 0;
    printf("%-22s %-18s %-18.18s %-18.18s %7.3f  %s\n", what, where, expect,
           st == PIE_OK ? got : pie_strerror(st), sec, ok ? "ok" : "FAILED");
    fflush(stdout);
    if (ok) {
        t->passed++;
        return;
    }
    if (!t->failed++)
        snprintf(t->first, sizeof t->first, "%s on %s: expected %.24s, got %.24s", what, where,
                 expect, st == PIE_OK ? got : pie_strerror(st));
}

static int one_worker(pie_backend be)
{
    return (pie_backend_flags(be) & PIE_BACKEND_ONE_WORKER) != 0;
}

pie_ctx *pie_selftest_ctx(pie_backend be, unsigned workers, pie_isa isa)
{
    pie_ctx *ctx = pie_ctx_create();
    if (ctx && (pie_ctx_set_backend(ctx, be) != PIE_OK || pie_ctx_set_workers(ctx, workers) ||
                pie_ctx_set_isa(ctx, isa) != PIE_OK ||
                pie_ctx_set_cancel_flag(ctx, &pie_cli_signal) != PIE_OK)) {
        pie_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

static void check_mc(tally *t, pie_backend be, unsigned workers, pie_isa isa, unsigned which)
{
    const pie_selftest_mc *a = &pie_selftest_mc_answers[which];
    char what[40], where[40], expect[24], got[24] = "";
    snprintf(what, sizeof what, "mc %s seed %" PRIu64, pie_isa_name(isa), a->seed);
    snprintf(where, sizeof where, "%s -j %u", pie_backend_name(be), one_worker(be) ? 1u : workers);
    snprintf(expect, sizeof expect, "%" PRIu64, a->inside);
    pie_ctx *ctx = pie_selftest_ctx(be, workers, isa);
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = a->samples;
    o.seed = a->seed;
    pie_mc_result *r = NULL;
    pie_status st = ctx ? pie_mc_run(ctx, &o, &r) : PIE_ENOMEM;
    if (r && st == PIE_OK)
        snprintf(got, sizeof got, "%" PRIu64, r->inside);
    row(t, what, where, expect, got, r ? r->seconds : 0, st);
    pie_result_free(r);
    pie_ctx_free(ctx);
}

static void check_hex(tally *t, pie_backend be, unsigned workers, pie_isa isa, size_t which)
{
    char what[40], where[40];
    snprintf(what, sizeof what, "hex %s @%" PRIu64, pie_isa_name(isa), hex_answers[which].position);
    snprintf(where, sizeof where, "%s -j %u", pie_backend_name(be), one_worker(be) ? 1u : workers);
    pie_ctx *ctx = pie_selftest_ctx(be, workers, isa);
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.position = hex_answers[which].position;
    o.count = hex_answers[which].count;
    pie_hex_result *r = NULL;
    pie_status st = ctx ? pie_hex_run(ctx, &o, &r) : PIE_ENOMEM;
    row(t, what, where, hex_answers[which].hex, r && st == PIE_OK ? r->hex : "", r ? r->seconds : 0,
        st);
    pie_result_free(r);
    pie_ctx_free(ctx);
}

static void check_digits(tally *t, pie_backend be, unsigned workers, pie_digits_algorithm alg,
                         size_t which)
{
    const pie_selftest_digits *a = &pie_selftest_digits_answers[which];
    char what[40], where[40];
    snprintf(what, sizeof what, "digits %s %" PRIu64 " b%u", pie_digits_algorithm_name(alg),
             a->digits, a->base);
    snprintf(where, sizeof where, "%s -j %u", pie_backend_name(be), one_worker(be) ? 1u : workers);
    pie_ctx *ctx = pie_selftest_ctx(be, workers, PIE_ISA_AUTO);
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = a->digits;
    o.base = a->base;
    o.algorithm = alg;
    pie_digits_result *r = NULL;
    pie_status st = ctx ? pie_digits_run(ctx, &o, &r) : PIE_ENOMEM;
    row(t, what, where, a->sha256, r && st == PIE_OK ? r->sha256 : "", r ? r->seconds : 0, st);
    pie_result_free(r);
    pie_ctx_free(ctx);
}

/* Backends this process can run by itself (not under a launcher). */
static int runnable(pie_backend be)
{
    return pie_backend_available(be) == PIE_OK &&
           !(pie_backend_flags(be) & PIE_BACKEND_NEEDS_LAUNCHER);
}

static int selftest(void)
{
    tally t = {0};
    unsigned w = pie_online_cpus() < 2 ? 2 : pie_online_cpus();
    printf("%-22s %-18s %-18s %-18s %7s  %s\n", "check", "backend", "expected", "got", "seconds",
           "result");
    /* Every kernel variant this CPU runs, on the serial backend. */
    for (int i = PIE_ISA_SCALAR; i < PIE_ISA_COUNT; i++) {
        if (pie_isa_check(PIE_WORKLOAD_MC, (pie_isa)i) == PIE_OK)
            check_mc(&t, PIE_BACKEND_SERIAL, 1, (pie_isa)i, 0);
        if (pie_isa_check(PIE_WORKLOAD_HEX, (pie_isa)i) == PIE_OK)
            check_hex(&t, PIE_BACKEND_SERIAL, 1, (pie_isa)i, i == PIE_ISA_SCALAR ? 1 : 2);
    }
    /* Every backend this process can run, with several workers. */
    for (int b = 0; b < PIE_BACKEND_COUNT && !pie_cli_signal; b++) {
        if (!runnable((pie_backend)b))
            continue;
        check_mc(&t, (pie_backend)b, w, PIE_ISA_AUTO, 1);
        check_hex(&t, (pie_backend)b, w, PIE_ISA_AUTO, 0);
        check_hex(&t, (pie_backend)b, w, PIE_ISA_AUTO, 2);
        check_digits(&t, (pie_backend)b, w, PIE_DIGITS_BBP, 0);
    }
    for (int b = 0; b < PIE_BACKEND_COUNT; b++)
        if (!runnable((pie_backend)b) && pie_backend_name((pie_backend)b))
            printf("%-22s %-18s %s\n", "(skipped)", pie_backend_name((pie_backend)b),
                   pie_backend_available((pie_backend)b) == PIE_OK
                       ? "needs a launcher: mpirun -np 2 pie mc --backend mpi"
                       : "not in this build");
    /* Every digits algorithm, both bases, 1e4 and 1e5 digits. */
    for (int alg = 0; pie_digits_algorithm_name((pie_digits_algorithm)alg); alg++)
        for (size_t i = 0; i < 4 && !pie_cli_signal; i++)
            check_digits(&t, PIE_BACKEND_PROCESS, w, (pie_digits_algorithm)alg, i);
    if (pie_cli_signal)
        return pie_cli_signal_exit();
    printf("\n%u passed, %u failed\n", t.passed, t.failed);
    if (fflush(stdout) != 0)
        return pie_cli_fail("selftest", "writing the table failed");
    if (t.failed)
        return pie_cli_fail("selftest", "FAILED: %s", t.first);
    return PIE_EXIT_OK;
}

int pie_cli_selftest(int argc, char **argv)
{
    static const struct option opts[] = {{"stress", required_argument, NULL, 's'},
                                         {"workers", required_argument, NULL, 'j'},
                                         {"pin", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *cmd = "selftest";
    double seconds = 0;
    unsigned workers = 0;
    const char *pin = NULL;
    int opt, stress = 0, have_j = 0;
    char why[96];
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+:j:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(help, stdout);
            return PIE_EXIT_OK;
        case 's':
            if (stress++)
                return pie_cli_usage(cmd, "--stress given more than once");
            if (pie_cli_parse_seconds(optarg, 1e7, &seconds, why, sizeof why) != 0)
                return pie_cli_usage(cmd, "invalid value for --stress: '%s' %s (seconds > 0)",
                                     optarg, why);
            break;
        case 'j':
            if (have_j++)
                return pie_cli_usage(cmd, "--workers given more than once");
            if (pie_cli_parse_workers(optarg, &workers, why, sizeof why) != 0)
                return pie_cli_usage(cmd, "invalid value for --workers: '%s' %s", optarg, why);
            break;
        case 'p':
            if (pie_cli_set_pin(cmd, &pin, optarg) != PIE_EXIT_OK)
                return PIE_EXIT_USAGE;
            break;
        case ':':
            return pie_cli_usage(cmd, "option %s needs a value", argv[optind - 1]);
        default:
            return pie_cli_usage(cmd, "unknown option '%s' (see 'pie selftest --help')",
                                 argv[optind - 1]);
        }
    }
    if (optind < argc)
        return pie_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    if (!stress && (have_j || pin))
        return pie_cli_usage(cmd, "-j and --pin apply to --stress only");
    pie_cli_install_signals();
    if (stress)
        return pie_selftest_stress(seconds, workers ? workers : pie_online_cpus(), pin);
    return selftest();
}
