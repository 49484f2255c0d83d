/** @brief Helpers shared by the pie subcommands (cli_parse.c, cli_report.c, cli_options.c,
 * cli_signals.c, cli_progress.c, cli_json.c). */
#ifndef PIE_CLI_UTIL_H
#define PIE_CLI_UTIL_H

#include "pie.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes of the pie command. */
enum { PIE_EXIT_OK = 0, PIE_EXIT_FAILURE = 1, PIE_EXIT_USAGE = 2 };

/* Parse a positive count: "1000000", "1e9", "2.5e10", "1_000_000". Rejects
 * zero, signs, fractions of a unit, junk and values above `max`. On failure
 * writes a reason ("is not a whole number", ...) into `why`. */
int pie_cli_parse_count(const char *s, uint64_t max, uint64_t *out, char *why, size_t whylen);
/* A worker count: a positive integer up to PIE_MAX_WORKERS, or "auto" (0). */
int pie_cli_parse_workers(const char *s, unsigned *out, char *why, size_t whylen);
/* A 64-bit unsigned integer in decimal or 0x-hex (seeds). */
int pie_cli_parse_u64(const char *s, uint64_t *out, char *why, size_t whylen);

/* Print "pie CMD: MESSAGE" as one line on stderr and return PIE_EXIT_USAGE. */
int pie_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "pie CMD: MESSAGE" as one line on stderr and return PIE_EXIT_FAILURE. */
int pie_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Rejects a flag given twice; `seen` is a bitmask the caller keeps per command. */
int pie_cli_once(const char *cmd, uint64_t *seen, int bit, const char *flag);

/* The common run options every workload takes. */
typedef struct pie_cli_common {
    pie_workload workload; /* what the command computes (for --isa) */
    int has_isa;           /* the command takes --isa */
    unsigned workers;      /* 0 = auto */
    int have_workers;      /* -j given */
    int have_backend;
    pie_backend backend;
    pie_isa isa;
    int have_isa; /* --isa given */
    int json;
    int quiet;
    int progress;           /* -1 auto (terminal only), 0 off, 1 on */
    double chunk_timeout;   /* --chunk-timeout seconds; 0 = none */
    const char *checkpoint; /* --checkpoint directory; NULL = none */
    const char *pin;        /* --pin spec; NULL = none */
} pie_cli_common;

/* Fill defaults for a command computing `workload`; has_isa: it takes --isa. */
int pie_cli_common_defaults(const char *cmd, pie_cli_common *c, pie_workload workload, int has_isa);
/* After parsing: PIE_WORKERS and PIE_ISA where -j and --isa were not given.
 * Returns PIE_EXIT_OK or prints a usage error. */
int pie_cli_common_finish(const char *cmd, pie_cli_common *c);

/* getopt_long codes of the options the workload subcommands share; each
 * subcommand numbers its own long options from PIE_OPT_OWN. */
enum {
    PIE_OPT_BACKEND = 256,
    PIE_OPT_ISA,
    PIE_OPT_JSON,
    PIE_OPT_PROGRESS,
    PIE_OPT_NO_PROGRESS,
    PIE_OPT_OWN = 300,
    PIE_OPT_CHUNK_TIMEOUT = 400,
    PIE_OPT_CHECKPOINT,
    PIE_OPT_PIN
};

/* The shared long options, for a subcommand's option table (--isa apart:
 * only the commands with vector kernels list it). */
#define PIE_CLI_COMMON_OPTIONS                                                                     \
    {"workers", required_argument, NULL, 'j'},                                                     \
        {"backend", required_argument, NULL, PIE_OPT_BACKEND},                                     \
        {"json", no_argument, NULL, PIE_OPT_JSON}, {"quiet", no_argument, NULL, 'q'},              \
        {"progress", no_argument, NULL, PIE_OPT_PROGRESS},                                         \
        {"no-progress", no_argument, NULL, PIE_OPT_NO_PROGRESS},                                   \
        {"chunk-timeout", required_argument, NULL, PIE_OPT_CHUNK_TIMEOUT},                         \
        {"pin", required_argument, NULL, PIE_OPT_PIN},                                             \
    {                                                                                              \
        "checkpoint", required_argument, NULL, PIE_OPT_CHECKPOINT                                  \
    }

/* Value PIE_CLI_NOT_COMMON: `opt` is not a shared option. */
#define PIE_CLI_NOT_COMMON (-1)
/* Handle a shared option (-j, --backend, --isa, --json, -q, --progress,
 * --no-progress, --chunk-timeout, --checkpoint): an exit code (PIE_EXIT_OK
 * when accepted), or PIE_CLI_NOT_COMMON. Repeats are tracked in bits 32 and
 * up of `seen`; a subcommand keeps bits 0..31 for its own options. */
int pie_cli_common_option(const char *cmd, pie_cli_common *c, uint64_t *seen, int opt,
                          const char *arg);

/* After a run: -1 when `st` is PIE_OK; otherwise report it (an interrupted
 * run says how far it got, on MPI rank 0 only) and return the exit code. */
int pie_cli_run_status(const char *cmd, pie_ctx *ctx, pie_status st, uint64_t chunks_done,
                       uint64_t chunks_total);

/* Parse the value of --backend / --isa / --workers. */
int pie_cli_set_backend(const char *cmd, pie_cli_common *c, const char *v);
int pie_cli_set_isa(const char *cmd, pie_cli_common *c, const char *v);
int pie_cli_set_workers(const char *cmd, pie_cli_common *c, const char *v);
/* The fault-tolerance options every workload takes (docs/faults.md); each
 * rejects being given twice. --chunk-timeout: positive seconds ("30", "0.5")
 * up to a million. --checkpoint: a directory that exists and is writable, or
 * can be created in one that is. */
int pie_cli_set_chunk_timeout(const char *cmd, pie_cli_common *c, const char *v);
int pie_cli_set_checkpoint(const char *cmd, pie_cli_common *c, const char *v);
/* --pin: none, cores, threads, compact, scatter or a CPU list, checked
 * against this process's CPUs (usage error naming --pin otherwise). */
int pie_cli_set_pin(const char *cmd, const char **pin, const char *v);
#define PIE_CLI_PIN_HELP                                                                           \
    "      --pin P            worker placement: none (default), cores (one per physical\n"         \
    "                         core first), threads, compact, scatter, or CPUs 0,2,4-7\n"
#define PIE_CLI_FAULT_HELP                                                                         \
    "      --chunk-timeout S  a worker silent on one chunk for S seconds is killed\n"              \
    "                         and its chunk run again (process backend)\n"                         \
    "      --checkpoint DIR   save each finished chunk in DIR; the same command\n"                 \
    "                         run again resumes; removed when the run succeeds\n"
/* Seconds: digits with an optional fraction, > 0 and <= max. */
int pie_cli_parse_seconds(const char *s, double max, double *out, char *why, size_t whylen);
/* Create a context configured from the common options (prints on failure). */
pie_ctx *pie_cli_make_ctx(const char *cmd, const pie_cli_common *c, int *exit_code);

/* SIGINT/SIGTERM/SIGHUP/SIGQUIT (unless inherited as ignored) set the flag
 * (to the signal number) for the library to see. */
extern volatile sig_atomic_t pie_cli_signal;
void pie_cli_install_signals(void);
/* 128 + the signal: 130 SIGINT, 143 SIGTERM, 129 SIGHUP, 131 SIGQUIT. */
int pie_cli_signal_exit(void);
/* While enabled (a run whose chunks are followed), SIGINT/SIGTERM arm a
 * 0.5 s deadline after which the command leaves on its own. */
void pie_cli_deadline_enable(int on);
/* How far the run got, for the deadline's message (async-signal-safe). */
void pie_cli_note_chunks(uint64_t done, uint64_t total);

/* Progress on stderr: a bar on a terminal (after about a second of work,
 * redrawn at most every 30 ms), a line every few seconds when forced on
 * a non-terminal, nothing otherwise. */
typedef struct pie_cli_progress {
    int mode; /* -1 auto, 0 off, 1 on */
    int tty;
    double start;
    double last_draw;
    int drawn;
    const char *cmd;
    int show_phase;    /* name the phase on the line (workloads with several) */
    const char *phase; /* the phase last reported */
    char label[64];
} pie_cli_progress;

void pie_cli_progress_init(pie_cli_progress *p, int mode, const char *cmd, int show_phase);
/* A pie_progress_fn; user is the pie_cli_progress. */
void pie_cli_progress_cb(void *user, const char *phase, uint64_t done, uint64_t total);
void pie_cli_progress_done(pie_cli_progress *p);

/* Wall-clock seconds from a monotonic clock. */
double pie_cli_now(void);

/* JSON string with escapes. */
void pie_cli_json_string(FILE *f, const char *s);
/* A double as JSON (null for NaN/inf). */
void pie_cli_json_double(FILE *f, double v);

/* "1,234,567" into buf. */
const char *pie_cli_thousands(uint64_t v, char *buf, size_t len);

#endif
