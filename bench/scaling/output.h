/** @brief `pie bench scaling`: what the writers of results.csv, results.json, report.md and the
 * plots share. */
#ifndef PIE_BENCH_OUTPUT_H
#define PIE_BENCH_OUTPUT_H

#include "scaling.h"

#include <stdio.h>

#ifndef PIE_GIT_COMMIT
#define PIE_GIT_COMMIT "unknown"
#endif

#if defined(__clang__)
#define BENCH_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define BENCH_COMPILER "gcc " __VERSION__
#else
#define BENCH_COMPILER "unknown"
#endif

typedef struct bench_machine {
    char cpu[160];
    char os[200];
    char date[40];
    const char *kernel;
} bench_machine;

/* Open DIR/name for writing (path gets the full name); NULL after a message. */
FILE *bench_open_out(const bench *b, const char *name, char *path, size_t len);
/* Close; -1 after a message if anything failed. */
int bench_close_out(FILE *f, const char *path);

int bench_write_csv(const bench *b);
int bench_write_json(const bench *b, const bench_machine *m);
int bench_write_report(const bench *b, const bench_machine *m);
/* Writes the .dat files and plots.gp and runs gnuplot; sets b->plot_note.
 * 0 also when gnuplot is missing or fails (the note says so). */
int bench_write_plots(bench *b);

/* envout.c: the topology, environment and warnings in the outputs. */
void bench_json_topology(FILE *f, const bench *b);
void bench_json_environment(FILE *f, const bench *b);
void bench_md_environment(FILE *f, const bench *b);

#endif
