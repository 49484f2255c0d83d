/** @brief The pie command: dispatches to subcommands through one table. */
#include "cli_main.h"
#include "cli_util.h"

#include <stdio.h>
#include <string.h>

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

/* Adding a subcommand is one row here and one declaration in cli_main.h. */
static const subcommand subcommands[] = {
    {"mc", pie_cli_mc, "Monte Carlo estimate of pi with error bars"},
    {"digits", pie_cli_digits, "D digits of pi by the BBP series (base 10 or 16)"},
    {"hex", pie_cli_hex, "hex digits of pi at any position (BBP digit extraction)"},
    {"bench", pie_cli_bench, "scaling experiments: strong/weak, threads vs processes, vs Python"},
    {"cpu-info", pie_cli_cpu_info, "CPU features, topology and the kernel 'auto' picks"},
    {"selftest", pie_cli_selftest, "known answers for every kernel and backend; --stress"},
};

#define NSUB (sizeof subcommands / sizeof subcommands[0])

static void usage(FILE *f)
{
    fputs("Usage: pie <command> [options]\n"
          "pie computes pi and measures how that work scales across CPU cores.\n\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < NSUB; i++)
        fprintf(f, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
    fputs("\n"
          "  pie <command> --help   options of one command\n"
          "  pie --version          version\n\n"
          "Exit status: 0 success, 1 runtime failure, 2 bad usage or input,\n"
          "130/143 interrupted by SIGINT/SIGTERM.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return pie_cli_usage(NULL, "missing command (see 'pie --help')");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return PIE_EXIT_OK;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("pie %s\n", pie_version());
        return PIE_EXIT_OK;
    }
    for (size_t i = 0; i < NSUB; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    return pie_cli_usage(NULL, "unknown command '%s' (see 'pie --help')", argv[1]);
}
