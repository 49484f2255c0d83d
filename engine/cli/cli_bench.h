/** @brief `pie bench scaling`: shared types of the scaling bench (runner, probes, output). */
#ifndef PIE_CLI_BENCH_H
#define PIE_CLI_BENCH_H

#include "pie.h"

#include <stddef.h>
#include <stdint.h>

/* Workloads the bench knows; digits and hex only when this build's pie.h has them. */
typedef enum bench_wl { BENCH_MC = 0, BENCH_DIGITS = 1, BENCH_HEX = 2 } bench_wl;

#define BENCH_MAX_WORKERS 64
#define BENCH_MAX_REPEATS 101

/* One measured point: R runs of one (experiment, backend, workers, size). */
typedef struct bench_point {
    const char *experiment; /* "strong" or "weak" */
    pie_backend backend;
    unsigned workers; /* asked for */
    unsigned used;    /* what the library used (never more than chunks) */
    uint64_t size;    /* work units: samples, digits, or the hex position */
    double t[BENCH_MAX_REPEATS];
    double wall[BENCH_MAX_REPEATS]; /* mpi: the whole mpirun command (start-up included) */
    unsigned nt;
    double cpu[BENCH_MAX_REPEATS];       /* CPU seconds (user + system, all workers) per run */
    double median, min, max, spread_pct; /* spread = (max - min) / median */
    double cpu_median;                   /* CPU seconds, median over the runs */
    double cpus_used;                    /* cpu_median / median: CPUs the run actually got */
    double cpu_efficiency; /* CPU seconds at 1 worker / at p workers (work overhead only) */
    double throughput;     /* units per second at the median */
    double speedup, efficiency, karp_flatt; /* NAN where they do not apply */
    char check[72];                         /* the result: inside count, digest, hex digits */
    const char *kernel;
    uint64_t chunks;
} bench_point;

/* One overhead figure (start-up, dispatch, tail, memory). */
typedef struct bench_overhead {
    char name[40];
    pie_backend backend;
    unsigned workers;
    double value;
    double resolution; /* +/- what the noise allows; 0 if not estimated */
    const char *unit;  /* "us", "KiB" */
    char note[160];
} bench_overhead;

/* One Python baseline against its pie counterpart. */
typedef struct bench_python {
    char name[32];
    int ran;
    uint64_t work;
    const char *unit;
    unsigned workers;
    double seconds;
    double per_second;
    double pie_per_second; /* the pie figure it is compared with; NAN if none */
    char pie_ref[64];      /* which pie figure */
    char note[160];        /* why skipped, or a remark */
} bench_python;

typedef struct bench {
    /* options */
    bench_wl wl;
    pie_backend backends[4];
    unsigned nbackends;
    unsigned workers[BENCH_MAX_WORKERS];
    unsigned nworkers;
    uint64_t size;                       /* strong scaling work; 0 = calibrate */
    uint64_t weak_size;                  /* weak scaling work per worker; 0 = calibrate */
    unsigned repeats;                    /* 0 = fit the time budget */
    int repeats_given;                   /* --repeats: no early stop */
    unsigned rounds_strong, rounds_weak; /* rounds actually run */
    const char *out;
    char cmdline[512];
    int quick;
    int python; /* run the Python baselines */
    int progress;
    unsigned cores;
    /* results */
    bench_point *pts;
    size_t npts, cap;
    bench_overhead ov[48];
    size_t nov;
    bench_python py[8];
    size_t npy;
    char py_note[200];
    char plot_note[200];
    double t_unit; /* serial seconds per work unit (calibration) */
    double start;
    double load_start[3], load_end[3];
    int autogroup; /* Linux sched_autogroup_enabled: 1 on, 0 off, -1 unknown */
    double wall_seconds;
    /* progress */
    unsigned long runs_done, runs_total;
    const char *phase;
    double last_draw;
    int drawn;
} bench;

/* The seconds of one run, or a negative value after printing why it failed;
 * `check` gets the result's fingerprint. */
typedef struct bench_run {
    double seconds;
    double wall_seconds; /* mpi: the whole mpirun command; else 0 */
    double cpu_seconds;  /* user + system of this process and its reaped workers */
    unsigned used;
    const char *kernel;
    uint64_t chunks;
    char check[72];
    /* progress-callback timestamps relative to the call (seconds) */
    double first_cb, last_cb;
} bench_run;

/* cli_bench_run.c */
const char *bench_wl_name(bench_wl wl);
const char *bench_wl_unit(bench_wl wl);
int bench_wl_available(bench_wl wl);
int bench_run_once(bench *b, pie_backend backend, unsigned workers, uint64_t size, bench_run *out);
double bench_median(double *v, unsigned n);
void bench_progress(bench *b, const char *what, int force);
void bench_progress_end(bench *b);
int bench_overheads(bench *b);
unsigned long bench_overhead_runs(const bench *b);
int bench_python_baselines(bench *b);
uint64_t bench_mc_chunk(void);

/* cli_bench_mpi.c: mpi points run `mpirun -np P pie ... --backend mpi --json`
 * as a child (PIE_BENCH_MPIRUN, else the build's MPIEXEC_EXECUTABLE). */
const char *bench_mpirun(void);
/* 0 when mpi points can run; else -1 and why (one line). */
int bench_mpi_check(char *why, size_t n);
int bench_run_mpi(bench *b, unsigned workers, uint64_t size, bench_run *out);

/* cli_bench_out.c */
/* Create the output directory (before the runs, to fail early). */
int bench_prepare_out(const bench *b);
int bench_write_outputs(bench *b);

#endif
