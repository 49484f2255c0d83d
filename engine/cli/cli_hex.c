/** @brief `pie hex`: hex digits of pi at any position up to 1e12, by BBP-type digit extraction. */
#include "cli_main.h"
#include "cli_util.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char hex_help[] =
    "Usage: pie hex -p P [options]\n"
    "Print the hex digits of pi at positions P, P+1, ... after the hex point\n"
    "(pi = 3.243F6A88...: position 1 is '2'), without computing the digits before.\n"
    "Every digit printed is certain: the error of each evaluation is bounded and\n"
    "the other formula must agree on every digit.\n"
    "\n"
    "  -p, --position P       first position, 1 .. 1e12; accepts 1000000, 1e6, 1_000_000\n"
    "  -c, --count K          digits to print (default 14, at most 1000)\n"
    "      --formula F        bellard (default) or bbp; the other one checks\n"
    "  -j, --workers W        workers: a positive integer or 'auto' (default: the\n"
    "                         CPUs this process may use; env PIE_WORKERS)\n"
    "      --backend B        process (default), thread, serial\n"
    "      --isa I            kernel: auto (default), scalar, avx512 (AVX-512 IFMA);\n"
    "                         aesni and avx2 run the scalar kernel (env PIE_ISA)\n"
    "      --json             one JSON object on stdout\n"
    "  -q, --quiet            print the digits alone, upper case\n"
    "      --progress         always show progress on stderr\n"
    "      --no-progress      never show progress\n" PIE_CLI_FAULT_HELP
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure, 2 bad usage, 130/143 interrupted.\n";

enum { OPT_FORMULA = PIE_OPT_OWN };

static void print_human(const pie_hex_result *r)
{
    printf("position    %" PRIu64 " .. %" PRIu64 "\n", r->position, r->position + r->count - 1);
    printf("hex         %s\n", r->hex);
    printf("formula     %s, checked by %s (both agree on every digit, error bounded)\n",
           pie_hex_formula_name(r->formula), pie_hex_formula_name(r->checked_by));
    printf("time        %.3f s, %u pass%s\n", r->seconds, r->passes, r->passes == 1 ? "" : "es");
    printf("backend     %s, %u worker%s, kernel %s\n", pie_backend_name(r->backend), r->workers,
           r->workers == 1 ? "" : "s", r->kernel);
}

static void print_json(const pie_hex_result *r)
{
    FILE *f = stdout;
    fprintf(f, "{\"position\":%" PRIu64 ",\"count\":%u,\"hex\":", r->position, r->count);
    pie_cli_json_string(f, r->hex);
    fputs(",\"formula\":", f);
    pie_cli_json_string(f, pie_hex_formula_name(r->formula));
    fputs(",\"checked_by\":", f);
    pie_cli_json_string(f, pie_hex_formula_name(r->checked_by));
    fputs(",\"seconds\":", f);
    pie_cli_json_double(f, r->seconds);
    fprintf(f, ",\"workers\":%u,\"backend\":", r->workers);
    pie_cli_json_string(f, pie_backend_name(r->backend));
    fputs(",\"kernel\":", f);
    pie_cli_json_string(f, r->kernel);
    fprintf(f, ",\"passes\":%u,\"chunks\":%" PRIu64 ",\"chunk_retries\":%" PRIu64 ",\"version\":",
            r->passes, r->chunks_total, r->chunk_retries);
    pie_cli_json_string(f, pie_version());
    fputs("}\n", f);
}

int pie_cli_hex(int argc, char **argv)
{
    static const struct option opts[] = {
        {"position", required_argument, NULL, 'p'},
        {"count", required_argument, NULL, 'c'},
        {"formula", required_argument, NULL, OPT_FORMULA},
        {"isa", required_argument, NULL, PIE_OPT_ISA},
        PIE_CLI_COMMON_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "hex";
    pie_cli_common c;
    int rc = pie_cli_common_defaults(cmd, &c);
    if (rc != PIE_EXIT_OK)
        return rc;
    uint64_t position = 0, count = 14, seen = 0;
    pie_hex_formula formula = PIE_HEX_BELLARD;
    char why[96];
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+:p:c:j:qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            if ((rc = pie_cli_once(cmd, &seen, 0, "--position")) != 0)
                return rc;
            if (pie_cli_parse_count(optarg, PIE_HEX_MAX_POSITION, &position, why, sizeof why) != 0)
                return pie_cli_usage(cmd, "invalid value for --position: '%s' %s", optarg, why);
            break;
        case 'c':
            if ((rc = pie_cli_once(cmd, &seen, 1, "--count")) != 0)
                return rc;
            if (pie_cli_parse_count(optarg, PIE_HEX_MAX_COUNT, &count, why, sizeof why) != 0)
                return pie_cli_usage(cmd, "invalid value for --count: '%s' %s", optarg, why);
            break;
        case OPT_FORMULA:
            if ((rc = pie_cli_once(cmd, &seen, 2, "--formula")) != 0)
                return rc;
            if (pie_hex_formula_from_name(optarg, &formula) != PIE_OK)
                return pie_cli_usage(cmd, "invalid value for --formula: '%s' (bellard or bbp)",
                                     optarg);
            break;
        case 'h':
            fputs(hex_help, stdout);
            return PIE_EXIT_OK;
        case ':':
            return pie_cli_usage(cmd, "option %s needs a value", argv[optind - 1]);
        default:
            rc = pie_cli_common_option(cmd, &c, &seen, opt, optarg);
            if (rc == PIE_CLI_NOT_COMMON)
                return pie_cli_usage(cmd, "unknown option '%s' (see 'pie hex --help')",
                                     argv[optind - 1]);
            if (rc != PIE_EXIT_OK)
                return rc;
        }
    }
    if (optind < argc)
        return pie_cli_usage(cmd, "unexpected argument '%s' (see 'pie hex --help')", argv[optind]);
    if (!(seen & 1))
        return pie_cli_usage(cmd, "--position is required (see 'pie hex --help')");
    if (c.json && c.quiet)
        return pie_cli_usage(cmd, "--json and --quiet cannot be combined");
    if (count - 1 > PIE_HEX_MAX_POSITION - position)
        return pie_cli_usage(cmd, "positions %" PRIu64 " .. %" PRIu64 " go beyond %" PRIu64,
                             position, position + count - 1, (uint64_t)PIE_HEX_MAX_POSITION);

    pie_ctx *ctx = pie_cli_make_ctx(cmd, &c, &rc);
    if (!ctx)
        return rc;
    pie_cli_progress prog;
    pie_cli_progress_init(&prog, c.progress, "pie hex");
    pie_ctx_set_progress(ctx, pie_cli_progress_cb, &prog);
    pie_cli_install_signals();

    /* The result holds up to PIE_HEX_MAX_COUNT digits: keep it off the stack. */
    pie_hex_result *r = malloc(sizeof *r);
    if (!r) {
        pie_ctx_free(ctx);
        return pie_cli_fail(cmd, "out of memory");
    }
    pie_status st = pie_hex_run(ctx, position, (unsigned)count, formula, r);
    pie_cli_progress_done(&prog);
    rc = pie_cli_run_status(cmd, ctx, st, r->chunks_done, r->chunks_total);
    if (rc >= 0) {
        free(r);
        pie_ctx_free(ctx);
        return rc;
    }
    pie_ctx_free(ctx);
    if (pie_mpi_rank() > 0) { /* under mpirun only rank 0 prints */
        free(r);
        return PIE_EXIT_OK;
    }
    if (c.json)
        print_json(r);
    else if (c.quiet)
        printf("%s\n", r->hex);
    else
        print_human(r);
    free(r);
    if (fflush(stdout) != 0 || ferror(stdout))
        return pie_cli_fail(cmd, "writing the result failed");
    return PIE_EXIT_OK;
}
