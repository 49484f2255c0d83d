/** @brief One runner for the workload commands (mc, hex, digits): each plugs in its options, help
 * and printer. */
#ifndef PIE_CLI_VERB_H
#define PIE_CLI_VERB_H

#include "cli_util.h"

#include <getopt.h>

/*
 * Adding a workload command: a file with its help text, its own options (a
 * getopt_long table numbered from PIE_OPT_OWN, and short letters), a parser
 * for them, a run function and a printer; a pie_cli_verb row naming them;
 * and one row in pie_main.c's command table. The runner does the rest: the
 * shared options, the environment, the context, progress, signals, the exit
 * status and the final flush.
 */
typedef struct pie_cli_verb {
    const char *name;      /* "mc" */
    const char *help;      /* --help: usage, what it does, its own options */
    const char *help_tail; /* --help after the shared options: notes, exit status */
    pie_workload workload;
    int has_isa;                   /* takes --isa (checked against the workload's variants) */
    int show_phases;               /* the progress line names the phase */
    const char *shortopts;         /* the command's own short options, e.g. "n:" */
    const struct option *longopts; /* its own long options, ending with a zero row */
    /* One of the command's own options: PIE_EXIT_OK when accepted, else the
     * exit code of the usage error it printed. Bits 0..31 of *seen are the
     * command's for pie_cli_once. */
    int (*option)(void *job, int opt, const char *arg, uint64_t *seen);
    /* After parsing (may be NULL): the checks that need every option. */
    int (*check)(void *job, const pie_cli_common *c, uint64_t seen);
    /* Run the job; *result is the library's result (freed by the runner). */
    pie_status (*run)(pie_ctx *ctx, void *job, const void **result);
    /* How far a result got, for the interrupt message. */
    void (*chunks)(const void *result, uint64_t *done, uint64_t *total);
    /* May be NULL: the interrupt message's "after ..." part written into
     * buf, for a workload whose chunk total is not known in advance. */
    void (*interrupted)(const void *result, char *buf, size_t len);
    /* Print a successful result (MPI rank 0 only); an exit code. */
    int (*print)(const void *result, const void *job, const pie_cli_common *c);
} pie_cli_verb;

/* Flush stdout: PIE_EXIT_OK, or "writing the result failed: <why>" and 1. */
int pie_cli_flush_result(const char *cmd);

/* Parse argv (argv[0] is the command's name), run, print: an exit code. */
int pie_cli_run_verb(const pie_cli_verb *v, void *job, int argc, char **argv);

#endif
