/** @brief `pie hex`: hex digits of pi at any position up to 1e12, by BBP-type digit extraction. */
#include "cli_main.h"
#include "cli_verb.h"

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
    "      --json             one JSON object on stdout\n"
    "  -q, --quiet            print the digits alone, upper case\n"
    "";
static const char hex_help_tail[] =
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
    fputs(",\"pin\":", f);
    pie_cli_json_string(f, r->pin);
    fputs(",\"worker_cpus\":", f);
    pie_cli_json_string(f, r->worker_cpus);
    fputs("}\n", f);
}

static int hex_option(void *job, int opt, const char *arg, uint64_t *seen)
{
    pie_hex_options *o = job;
    char why[96];
    uint64_t v;
    int rc;
    switch (opt) {
    case 'p':
        if ((rc = pie_cli_once("hex", seen, 0, "--position")) != 0)
            return rc;
        if (pie_cli_parse_count(arg, PIE_HEX_MAX_POSITION, &o->position, why, sizeof why) != 0)
            return pie_cli_usage("hex", "invalid value for --position: '%s' %s", arg, why);
        return PIE_EXIT_OK;
    case 'c':
        if ((rc = pie_cli_once("hex", seen, 1, "--count")) != 0)
            return rc;
        if (pie_cli_parse_count(arg, PIE_HEX_MAX_COUNT, &v, why, sizeof why) != 0)
            return pie_cli_usage("hex", "invalid value for --count: '%s' %s", arg, why);
        o->count = (unsigned)v;
        return PIE_EXIT_OK;
    case OPT_FORMULA:
        if ((rc = pie_cli_once("hex", seen, 2, "--formula")) != 0)
            return rc;
        if (pie_hex_formula_from_name(arg, &o->formula) != PIE_OK)
            return pie_cli_usage("hex", "invalid value for --formula: '%s' (bellard or bbp)", arg);
        return PIE_EXIT_OK;
    default:
        return PIE_CLI_NOT_COMMON;
    }
}

static int hex_check(void *job, const pie_cli_common *c, uint64_t seen)
{
    (void)c;
    const pie_hex_options *o = job;
    if (!(seen & 1))
        return pie_cli_usage("hex", "--position is required (see 'pie hex --help')");
    if (o->count - 1 > PIE_HEX_MAX_POSITION - o->position)
        return pie_cli_usage("hex", "positions %" PRIu64 " .. %" PRIu64 " go beyond %" PRIu64,
                             o->position, o->position + o->count - 1,
                             (uint64_t)PIE_HEX_MAX_POSITION);
    return PIE_EXIT_OK;
}

static pie_status hex_run(pie_ctx *ctx, void *job, const void **result)
{
    pie_hex_result *r = NULL;
    pie_status st = pie_hex_run(ctx, job, &r);
    *result = r;
    return st;
}

static void hex_chunks(const void *result, uint64_t *done, uint64_t *total)
{
    const pie_hex_result *r = result;
    *done = r->chunks_done;
    *total = r->chunks_total;
}

/* A run needs as many passes as it takes to fix every digit, known only as
 * it goes: no percentage of the whole can be given. */
static void hex_interrupted(const void *result, char *buf, size_t len)
{
    const pie_hex_result *r = result;
    unsigned started = r->passes + 1;
    snprintf(buf, len,
             "after %" PRIu64 " of the %" PRIu64 " chunks of the %u pass%s started (%u finished; "
             "how many passes a run needs is known only as it goes)",
             r->chunks_done, r->chunks_total, started, started == 1 ? "" : "es", r->passes);
}

static int hex_print(const void *result, const void *job, const pie_cli_common *c)
{
    (void)job;
    const pie_hex_result *r = result;
    if (c->json)
        print_json(r);
    else if (c->quiet)
        printf("%s\n", r->hex);
    else
        print_human(r);
    return PIE_EXIT_OK;
}

int pie_cli_hex(int argc, char **argv)
{
    static const struct option opts[] = {
        {"position", required_argument, NULL, 'p'},
        {"count", required_argument, NULL, 'c'},
        {"formula", required_argument, NULL, OPT_FORMULA},
        {NULL, 0, NULL, 0},
    };
    static const pie_cli_verb verb = {.name = "hex",
                                      .help = hex_help,
                                      .help_tail = hex_help_tail,
                                      .workload = PIE_WORKLOAD_HEX,
                                      .has_isa = 1,
                                      .shortopts = "p:c:",
                                      .longopts = opts,
                                      .option = hex_option,
                                      .check = hex_check,
                                      .run = hex_run,
                                      .chunks = hex_chunks,
                                      .interrupted = hex_interrupted,
                                      .print = hex_print};
    pie_hex_options o;
    pie_hex_options_init(&o);
    return pie_cli_run_verb(&verb, &o, argc, argv);
}
