/** @brief `pie digits`: D digits of pi by the BBP series, to stdout or a file (atomic). */
#include "cli_main.h"
#include "cli_util.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char digits_help[] =
    "Usage: pie digits [options]\n"
    "Print '3.' and exactly D digits of pi after the point, truncated (never\n"
    "rounded), computed with Bellard's BBP-type series by binary splitting on\n"
    "GMP integers, the terms split across workers.\n"
    "\n"
    "  -d, --digits D         digits after the point (default 1000); accepts\n"
    "                         1000000, 1e6, 1_000_000\n"
    "      --base B           10 (default) or 16 (upper case: 3.243F6A88...)\n"
    "  -o, --output FILE      write the digits to FILE (atomically: a temporary\n"
    "                         file, then rename) instead of stdout\n"
    "  -j, --workers W        workers: a positive integer or 'auto' (default: the\n"
    "                         CPUs this process may use; env PIE_WORKERS)\n"
    "      --backend B        process (default), thread, serial\n"
    "      --verify           check the digits against MPFR's mpfr_const_pi (up to\n"
    "                         1e7 digits) and against BBP digit extraction (pie hex):\n"
    "                         the last hex digits (base 16), or the series' value\n"
    "                         read in hex near its last bit (base 10)\n"
    "      --json             one JSON object on stdout (with the digits under \"pi\"\n"
    "                         unless -o is given)\n"
    "  -q, --quiet            the digits alone, no summary\n"
    "      --progress         always show progress (naming the phase) on stderr\n"
    "      --no-progress      never show progress\n" PIE_CLI_FAULT_HELP
    "  -h, --help             this help\n"
    "\n"
    "The digits are the same bytes on every backend and worker count. The memory\n"
    "a run needs is estimated first; a run that would not fit is refused.\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure, 2 bad usage or input (including\n"
    "a size beyond memory or an unwritable output path), 130/143 interrupted.\n";

enum { OPT_BASE = PIE_OPT_OWN, OPT_VERIFY };

/* Phase names on the progress line: the series reports chunks through the
 * progress bar; the later phases announce themselves. */
typedef struct phase_state {
    pie_cli_progress *prog;
    char label[64];
} phase_state;

static void on_phase(void *user, const char *name)
{
    phase_state *ps = user;
    snprintf(ps->label, sizeof ps->label, "pie digits: %s", name);
    pie_cli_progress *p = ps->prog;
    p->label = ps->label;
    if (p->mode == 0 || (p->mode < 0 && !p->tty))
        return;
    if (p->mode < 0 && pie_cli_now() - p->start < 1.0)
        return;
    if (p->tty)
        fprintf(stderr, "\r%-78s\r%s ...", "", ps->label);
    else
        fprintf(stderr, "%s, %.1fs elapsed\n", ps->label, pie_cli_now() - p->start);
    fflush(stderr);
    p->drawn = 1;
}

static void print_summary(const pie_digits_result *r, const char *path)
{
    FILE *f = stderr;
    fprintf(f, "digits        %" PRIu64 " after the point, base %u%s%s\n", r->digits, r->base,
            path ? ", written to " : "", path ? path : "");
    fprintf(f, "time          %.3f s (series %.3f, division %.3f, radix %.3f, output %.3f)\n",
            r->seconds, r->seconds_series, r->seconds_division, r->seconds_radix,
            r->seconds_output);
    fprintf(f, "backend       %s, %u worker%s, %s, %" PRIu64 " terms, %u attempt%s\n",
            pie_backend_name(r->backend), r->workers, r->workers == 1 ? "" : "s", r->algorithm,
            r->terms, r->attempts, r->attempts == 1 ? "" : "s");
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
    pie_cli_json_string(f, r->algorithm);
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
    fputs("}\n", f);
}

static int map_status(pie_ctx *ctx, pie_status st, const pie_digits_result *r)
{
    if (st == PIE_ECANCELED) {
        if (pie_mpi_rank() == 0) /* under mpirun rank 0 speaks */
            fprintf(stderr, "pie digits: interrupted after %llu of %llu chunks; no output\n",
                    (unsigned long long)r->chunks_done, (unsigned long long)r->chunks_total);
        return pie_cli_signal_exit();
    }
    if (st == PIE_EINVAL || st == PIE_ENOMEM || st == PIE_EUNSUPPORTED)
        return pie_cli_usage("digits", "%s", pie_ctx_last_error(ctx));
    return pie_cli_fail("digits", "%s (%s)", pie_ctx_last_error(ctx), pie_strerror(st));
}

static int run(const pie_cli_common *c, pie_digits_options *o)
{
    int rc;
    pie_ctx *ctx = pie_cli_make_ctx("digits", c, &rc);
    if (!ctx)
        return rc;
    pie_cli_progress prog;
    pie_cli_progress_init(&prog, c->progress, "pie digits: series");
    phase_state ps = {.prog = &prog};
    pie_ctx_set_progress(ctx, pie_cli_progress_cb, &prog);
    o->phase = on_phase;
    o->phase_user = &ps;
    pie_cli_install_signals();

    if (pie_mpi_rank() > 0)
        o->path = NULL; /* under mpirun only rank 0 writes the file */
    pie_digits_result r;
    pie_status st = pie_digits_run(ctx, o, &r);
    pie_cli_progress_done(&prog);
    if (st != PIE_OK) {
        rc = map_status(ctx, st, &r);
        pie_digits_result_free(&r);
        pie_ctx_free(ctx);
        return rc;
    }
    pie_ctx_free(ctx);
    if (pie_mpi_rank() > 0) { /* ... and prints */
        pie_digits_result_free(&r);
        return PIE_EXIT_OK;
    }
    const char *path = o->path;
    const char *shown = path ? NULL : r.text;
    if (c->json) {
        print_json(&r, path);
    } else {
        if (shown) {
            fwrite(shown, 1, r.text_len, stdout);
            fputc('\n', stdout);
        }
        if (!c->quiet) {
            fflush(stdout);
            print_summary(&r, path);
        }
    }
    pie_digits_result_free(&r);
    if (fflush(stdout) != 0 || ferror(stdout))
        return pie_cli_fail("digits", "writing the result failed");
    return PIE_EXIT_OK;
}

int pie_cli_digits(int argc, char **argv)
{
    static const struct option opts[] = {
        {"digits", required_argument, NULL, 'd'},
        {"base", required_argument, NULL, OPT_BASE},
        {"output", required_argument, NULL, 'o'},
        {"verify", no_argument, NULL, OPT_VERIFY},
        PIE_CLI_COMMON_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "digits";
    pie_cli_common c;
    int rc = pie_cli_common_defaults(cmd, &c);
    if (rc != PIE_EXIT_OK)
        return rc;
    pie_digits_options o = {.digits = 1000, .base = 10};
    uint64_t seen = 0, v;
    char why[96];
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+:d:o:j:qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            if ((rc = pie_cli_once(cmd, &seen, 0, "--digits")) != 0)
                return rc;
            if (pie_cli_parse_count(optarg, PIE_DIGITS_MAX, &o.digits, why, sizeof why) != 0)
                return pie_cli_usage(cmd, "invalid value for --digits: '%s' %s", optarg, why);
            break;
        case OPT_BASE:
            if ((rc = pie_cli_once(cmd, &seen, 1, "--base")) != 0)
                return rc;
            if (pie_cli_parse_count(optarg, 16, &v, why, sizeof why) != 0 || (v != 10 && v != 16))
                return pie_cli_usage(cmd, "invalid value for --base: '%s' (10 or 16)", optarg);
            o.base = (unsigned)v;
            break;
        case 'o':
            if ((rc = pie_cli_once(cmd, &seen, 2, "--output")) != 0)
                return rc;
            if (!optarg[0])
                return pie_cli_usage(cmd, "invalid value for --output: empty path");
            o.path = optarg;
            break;
        case OPT_VERIFY:
            if ((rc = pie_cli_once(cmd, &seen, 5, "--verify")) != 0)
                return rc;
            o.verify = 1;
            break;
        case 'h':
            fputs(digits_help, stdout);
            return PIE_EXIT_OK;
        case ':':
            return pie_cli_usage(cmd, "option %s needs a value", argv[optind - 1]);
        default:
            rc = pie_cli_common_option(cmd, &c, &seen, opt, optarg);
            if (rc == PIE_CLI_NOT_COMMON)
                return pie_cli_usage(cmd, "unknown option '%s' (see 'pie digits --help')",
                                     argv[optind - 1]);
            if (rc != PIE_EXIT_OK)
                return rc;
        }
    }
    if (optind < argc)
        return pie_cli_usage(cmd, "unexpected argument '%s' (see 'pie digits --help')",
                             argv[optind]);
    if (c.json && c.quiet)
        return pie_cli_usage(cmd, "--json and --quiet cannot be combined");
    return run(&c, &o);
}
