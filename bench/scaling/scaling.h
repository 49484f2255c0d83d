/** @brief `pie bench scaling`: the types and functions the harness's files share. */
#ifndef PIE_BENCH_SCALING_H
#define PIE_BENCH_SCALING_H

#include "env.h"
#include "pie.h"
#include "stats.h"

#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_WORKERS 64
#define BENCH_MAX_REPEATS 101

typedef struct bench bench;
typedef struct bench_run bench_run;

/* One row of the workload table (workloads.c). */
typedef struct bench_workload {
    pie_workload id;
    const char *unit; /* what `size` counts: "samples", "digits", "position" */
    /* Calibration: units per chunk when the cost is linear in whole chunks
     * (sizes are then whole chunks, and the overheads are probed on it), else
     * 0 and the size the calibration starts doubling from. */
    uint64_t chunk;
    uint64_t calibrate_from;
    uint64_t max_size; /* the largest --size the bench accepts */
    /* The result check: two runs agree when their `check` strings are equal.
     * A run's check is "<check_key>=<value>", the value cut at check_len
     * characters (0: whole); the key is also the JSON key of the value in
     * `pie <workload> --json` (mpi points). kernel_key: the JSON key of the
     * kernel's name there. */
    const char *check_key;
    unsigned check_len;
    const char *kernel_key;
    /* Build the options for `size` units, run, fill out->used, kernel,
     * chunks and check. */
    pie_status (*run)(pie_ctx *ctx, uint64_t size, bench_run *out);
    /* The arguments of `pie <workload>` that ask for `size` units (mpi
     * points); `file` is a scratch file the run may write. Returns the count. */
    int (*cli_args)(const char *size, const char *file, const char **argv);
} bench_workload;

/* The row of a workload; NULL for an unknown value. */
const bench_workload *bench_workload_of(pie_workload id);
/* Write "<check_key>=<value>" into check (72 bytes). */
void bench_check_format(const bench_workload *w, const char *value, char *check, size_t n);
/* The algorithm of the digits workload's runs (default chudnovsky). */
void bench_set_digits_algorithm(pie_digits_algorithm a);

/* One measured point: R runs of one (experiment, backend, workers, size). */
typedef struct bench_point {
    const char *experiment; /* "strong" or "weak" */
    pie_backend backend;
    unsigned workers; /* asked for */
    unsigned used;    /* what the library used (never more than chunks) */
    uint64_t size;    /* work units: samples, digits, or the hex position */
    double t[BENCH_MAX_REPEATS];
    double wall[BENCH_MAX_REPEATS]; /* launcher backends: the whole command (start-up included) */
    unsigned nt;
    double cpu[BENCH_MAX_REPEATS];       /* CPU seconds (user + system, all workers) per run */
    double median, min, max, spread_pct; /* spread = (max - min) / median */
    double cpu_median;                   /* CPU seconds, median over the runs */
    double cpus_used;                    /* cpu_median / median: CPUs the run actually got */
    double cpu_efficiency; /* CPU seconds at 1 worker / at p workers (work overhead only) */
    double throughput;     /* units per second at the median */
    double speedup, efficiency, karp_flatt;                /* NAN where they do not apply */
    double usr[BENCH_MAX_REPEATS], sys[BENCH_MAX_REPEATS]; /* user / system CPU seconds per run */
    unsigned round_of[BENCH_MAX_REPEATS];                  /* the round of each run */
    unsigned long order_of[BENCH_MAX_REPEATS];             /* its place in the whole sequence */
    double steal_run[BENCH_MAX_REPEATS];                   /* steal % of each run (NaN unknown) */
    uint64_t ticks_total, ticks_steal;                     /* /proc/stat over the point's runs */
    double steal_pct;                                      /* steal / total ticks, % */
    bench_summary st;                                      /* of t[]: mean, sd, CV, outliers */
    double median_lo, median_hi;                           /* bootstrap 95% CI of the median time */
    double speedup_lo, speedup_hi;                         /* ... of the speed-up */
    double eff_lo, eff_hi;                                 /* ... of the efficiency */
    char worker_cpus[256]; /* where the workers of the last run ran */
    char check[72];        /* the result: inside count, digest, hex digits */
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
    pie_workload workload; /* what it computes */
    int ran;
    uint64_t work;
    const char *unit;
    unsigned workers;
    double seconds;
    double per_second;
    double pie_per_second; /* the pie figure it is compared with; NAN if none */
    char pie_ref[64];      /* which pie figure */
    char note[160];        /* why skipped, or a remark */
    char start_method[16]; /* multiprocessing start method ("" where none) */
    char py_version[24];   /* the interpreter's version, and NumPy's ("" if absent) */
    char np_version[24];
} bench_python;

struct bench {
    /* options */
    const bench_workload *wl;
    pie_backend backends[PIE_BACKEND_COUNT];
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
    const char *pin;                /* --pin: NULL = none */
    unsigned warmup;                /* untimed runs per point before the rounds */
    double cooldown;                /* seconds of sleep after every timed run */
    uint64_t seed;                  /* the shuffle's seed */
    pie_digits_algorithm algorithm; /* the digits workload's */
    int algorithm_given;            /* by --algorithm */
    unsigned long run_seq;          /* timed runs so far (the order column) */
    pie_topology *topo;             /* the machine (pie_topology_get) */
    bench_env env;
    /* results */
    bench_point *pts;
    size_t npts, cap;
    bench_overhead ov[48];
    size_t nov;
    bench_python py[12];
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
};

/* The seconds of one run, or a negative value after printing why it failed;
 * `check` gets the result's fingerprint. */
struct bench_run {
    double seconds;
    double wall_seconds; /* launcher backends: the whole command; else 0 */
    double cpu_seconds;  /* user + system of this process and its reaped workers */
    unsigned used;
    const char *kernel;
    uint64_t chunks;
    char check[72];
    double usr_seconds, sys_seconds; /* the two parts of cpu_seconds */
    char worker_cpus[256];
    /* progress-callback timestamps relative to the call (seconds) */
    double first_cb, last_cb;
};

/* Backends by what they are like (pie_backend_flags). */
static inline int bench_one_worker(pie_backend be)
{
    return (pie_backend_flags(be) & PIE_BACKEND_ONE_WORKER) != 0;
}
static inline int bench_launched(pie_backend be)
{
    return (pie_backend_flags(be) & PIE_BACKEND_NEEDS_LAUNCHER) != 0;
}
/* The first of the bench's backends that has every bit of `want` and none
 * of `avoid`; -1 if none. */
int bench_backend_like(const bench *b, unsigned want, unsigned avoid);
/* The serial reference: the first backend in the table with one worker. */
pie_backend bench_reference_backend(void);

/* plan.c: sizes, the points of each experiment, the whole measurement. */
void bench_auto_workers(bench *b);
void bench_add_worker(bench *b, unsigned w);
void bench_sort_workers(bench *b);
int bench_run_all(bench *b);

/* measure.c: one run; the experiments' rounds and derived figures. */
int bench_run_once(bench *b, pie_backend backend, unsigned workers, uint64_t size, bench_run *out);
int bench_measure(bench *b, const char *exp, size_t from, double budget, unsigned *rounds);
void bench_derive(bench *b, const char *exp, int weak);
int bench_check_agreement(const bench *b);
double bench_median(const double *v, unsigned n);
const bench_point *bench_find(const bench *b, const char *exp, pie_backend be, unsigned w);

/* The progress line on stderr. */
void bench_progress(bench *b, const char *what, int force);
void bench_progress_end(bench *b);

/* probes.c: overheads of each backend (a chunked workload only). */
int bench_overheads(bench *b);
unsigned long bench_overhead_runs(const bench *b);

/* python.c: the Python baselines, each paired with a pie figure. */
int bench_python_baselines(bench *b);
/* How many runs bench_python_baselines makes (for the progress percentage). */
unsigned long bench_python_runs(const bench *b);
/* The directory of the scripts: PIE_BENCH_PYTHON_DIR, else found beside the
 * pie binary (installed or in the build tree); NULL if none. */
const char *bench_python_dir(void);

/* mpi.c: a launcher backend's point runs `mpirun -np P pie ... --backend mpi
 * --json` as a child (PIE_BENCH_MPIRUN, else the build's MPIEXEC_EXECUTABLE). */
const char *bench_mpirun(void);
/* 0 when mpi points can run; else -1 and why (one line). */
int bench_mpi_check(pie_backend be, char *why, size_t n);
int bench_run_mpi(bench *b, pie_backend be, unsigned workers, uint64_t size, bench_run *out);

/* env.c's warnings that need the measured points (after the runs). */
void bench_env_judge(bench *b);

/* output.c: the output directory and files. */
/* Create the output directory (before the runs, to fail early). */
int bench_prepare_out(const bench *b);
int bench_write_outputs(bench *b);
/* runs.csv: one row per timed run. */
int bench_write_runs_csv(const bench *b);

/* compare.c: `pie bench compare DIR_A DIR_B`. */
int bench_compare(int argc, char **argv);

#endif
