/** @brief The runner every workload command goes through: options, context, run, status, output.
 */
#include "cli_verb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MAX_OPTIONS 32

static const struct option common_opts[] = {
    PIE_CLI_COMMON_OPTIONS,
    {"isa", required_argument, NULL, PIE_OPT_ISA},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The command's own long options followed by the shared ones. */
static int merge_options(const pie_cli_verb *v, struct option *out)
{
    size_t n = 0;
    for (const struct option *o = v->longopts; o && o->name; o++)
        out[n++] = *o;
    for (const struct option *o = common_opts; o->name; o++)
        if (n < MAX_OPTIONS - 1 && (o->val != PIE_OPT_ISA || v->has_isa))
            out[n++] = *o;
    out[n] = (struct option){NULL, 0, NULL, 0};
    return n < MAX_OPTIONS - 1 ? 0 : -1;
}

/* The shared options' help, from the backend and kernel-variant tables, so
 * that it names what this build and this CPU have. */
static void print_help(const pie_cli_verb *v)
{
    fputs(v->help, stdout);
    fputs("  -j, --workers W        workers: a positive integer or 'auto' (default: the\n"
          "                         CPUs this process may use; env PIE_WORKERS)\n"
          "      --backend B        ",
          stdout);
    const char *sep = "";
    for (int b = 0; b < PIE_BACKEND_COUNT; b++) {
        if (pie_backend_available((pie_backend)b) != PIE_OK)
            continue;
        unsigned f = pie_backend_flags((pie_backend)b);
        printf("%s%s%s%s", sep, pie_backend_name((pie_backend)b),
               b == PIE_BACKEND_PROCESS ? " (default)" : "",
               f & PIE_BACKEND_NEEDS_LAUNCHER ? " (under mpirun)" : "");
        sep = ", ";
    }
    fputs("\n", stdout);
    if (v->has_isa) {
        fputs("      --isa I            kernel: auto (default)", stdout);
        for (int i = PIE_ISA_SCALAR; i < PIE_ISA_COUNT; i++) {
            pie_status st = pie_isa_check(v->workload, (pie_isa)i);
            if (st != PIE_EINVAL)
                printf(", %s%s", pie_isa_name((pie_isa)i), st == PIE_OK ? "" : " (not here)");
        }
        fputs("\n                         (env PIE_ISA; see 'pie cpu-info')\n", stdout);
    }
    printf("      --progress         always show progress%s on stderr\n"
           "      --no-progress      never show progress\n" PIE_CLI_PIN_HELP PIE_CLI_FAULT_HELP
           "  -h, --help             this help\n\n",
           v->show_phases ? " (naming the phase)" : "");
    fputs(v->help_tail, stdout);
}

/* getopt_long over argv: the exit code, PIE_EXIT_OK to go on, or -1 after
 * --help was printed. */
static int parse(const pie_cli_verb *v, void *job, pie_cli_common *c, uint64_t *seen, int argc,
                 char **argv)
{
    struct option opts[MAX_OPTIONS];
    char shortopts[64];
    snprintf(shortopts, sizeof shortopts, "+:%sj:qh", v->shortopts ? v->shortopts : "");
    if (merge_options(v, opts) != 0)
        return pie_cli_fail(v->name, "internal error: too many options");
    int opt, rc;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        if (opt == 'h') {
            print_help(v);
            return -1;
        }
        if (opt == ':')
            return pie_cli_usage(v->name, "option %s needs a value", argv[optind - 1]);
        rc = pie_cli_common_option(v->name, c, seen, opt, optarg);
        if (rc == PIE_CLI_NOT_COMMON && opt != '?')
            rc = v->option(job, opt, optarg, seen);
        if (rc == PIE_CLI_NOT_COMMON || opt == '?')
            return pie_cli_usage(v->name, "unknown option '%s' (see 'pie %s --help')",
                                 argv[optind - 1], v->name);
        if (rc != PIE_EXIT_OK)
            return rc;
    }
    if (optind < argc)
        return pie_cli_usage(v->name, "unexpected argument '%s' (see 'pie %s --help')",
                             argv[optind], v->name);
    if (c->json && c->quiet)
        return pie_cli_usage(v->name, "--json and --quiet cannot be combined");
    if ((rc = pie_cli_common_finish(v->name, c)) != PIE_EXIT_OK)
        return rc;
    return v->check ? v->check(job, c, *seen) : PIE_EXIT_OK;
}

int pie_cli_flush_result(const char *cmd)
{
    /* errno is that of the failed write when fflush found it; a failure of
     * an earlier, automatic flush left only the stream's error flag. */
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return PIE_EXIT_OK;
    if (errno)
        return pie_cli_fail(cmd, "writing the result failed: %s", strerror(errno));
    return pie_cli_fail(cmd, "writing the result failed");
}

/* Run on a configured context and turn the outcome into an exit code. */
static int run(const pie_cli_verb *v, void *job, const pie_cli_common *c, pie_ctx *ctx)
{
    pie_cli_progress prog;
    pie_cli_progress_init(&prog, c->progress, v->name, v->show_phases);
    pie_ctx_set_progress(ctx, pie_cli_progress_cb, &prog);
    pie_cli_install_signals();
    const void *result = NULL;
    pie_status st = v->run(ctx, job, &result);
    pie_cli_progress_done(&prog);
    uint64_t done = 0, total = 0;
    if (result)
        v->chunks(result, &done, &total);
    int rc;
    char how[160];
    if (st == PIE_ECANCELED && result && v->interrupted) {
        v->interrupted(result, how, sizeof how);
        if (pie_mpi_rank() == 0)
            fprintf(stderr, "pie %s: interrupted %s; no result\n", v->name, how);
        rc = pie_cli_signal_exit();
    } else {
        rc = pie_cli_run_status(v->name, ctx, st, done, total);
    }
    if (rc < 0 && !result)
        rc = pie_cli_fail(v->name, "out of memory");
    if (rc < 0 && pie_mpi_rank() > 0)
        rc = PIE_EXIT_OK; /* under mpirun only rank 0 prints */
    if (rc < 0)
        rc = v->print(result, job, c);
    if (rc == PIE_EXIT_OK && pie_ctx_last_warning(ctx)[0] && pie_mpi_rank() == 0)
        fprintf(stderr, "pie %s: warning: %s\n", v->name, pie_ctx_last_warning(ctx));
    pie_result_free(result);
    if (rc == PIE_EXIT_OK)
        rc = pie_cli_flush_result(v->name);
    return rc;
}

int pie_cli_run_verb(const pie_cli_verb *v, void *job, int argc, char **argv)
{
    pie_cli_common c;
    uint64_t seen = 0;
    int rc = pie_cli_common_defaults(v->name, &c, v->workload, v->has_isa);
    if (rc == PIE_EXIT_OK)
        rc = parse(v, job, &c, &seen, argc, argv);
    if (rc != PIE_EXIT_OK)
        return rc < 0 ? PIE_EXIT_OK : rc;
    pie_ctx *ctx = pie_cli_make_ctx(v->name, &c, &rc);
    if (!ctx)
        return rc;
    rc = run(v, job, &c, ctx);
    pie_ctx_free(ctx);
    return rc;
}
