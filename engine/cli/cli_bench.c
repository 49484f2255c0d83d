/** @brief `pie bench scaling`: strong and weak scaling per backend, overheads, Python baselines. */
#include "cli_bench.h"
#include "cli_main.h"
#include "cli_util.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char bench_help[] =
    "Usage: pie bench scaling [options]\n"
    "Measure how a workload scales across cores on each backend: strong scaling\n"
    "(fixed work, 1 .. 2x the cores), weak scaling (fixed work per worker), the\n"
    "overheads of each backend, and Python baselines; write results.csv,\n"
    "results.json, report.md and PNG plots (gnuplot) into DIR.\n"
    "\n"
    "  --workload W       mc (default), digits, hex\n"
    "  --backends LIST    comma-separated: process,thread,serial,mpi (default: all\n"
    "                     built but mpi; mpi points run mpirun -np W pie ... --backend\n"
    "                     mpi -j 1; env PIE_BENCH_MPIRUN names mpirun)\n"
    "  --workers LIST     comma-separated worker counts, or 'auto' (default): 1 .. 2x\n"
    "                     the CPUs (powers of two and the CPU count above 8)\n"
    "  --size N           strong-scaling work: samples (mc), digits, or hex position;\n"
    "                     default: calibrated so that 1 worker takes ~1.5 s (~0.3 s quick)\n"
    "  --weak-size N      weak-scaling work per worker (default: calibrated, ~0.6 s)\n"
    "  --repeats R        runs per point, 1..101 (default: up to 5, fewer (not below 3)\n"
    "                     when the time budget runs out; 3 with --quick)\n"
    "  --out DIR          output directory (default: bench-scaling), created if needed\n"
    "  --quick            small sizes and few repeats: under a minute on 2 cores\n"
    "  --no-python        skip the Python baselines (env PIE_BENCH_PYTHON picks the\n"
    "                     interpreter, PIE_BENCH_PYTHON_DIR the scripts)\n"
    "  --no-progress      no progress line on stderr\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure, 2 bad usage, 130/143 interrupted.\n";

enum {
    OPT_WORKLOAD = 256,
    OPT_BACKENDS,
    OPT_WORKERS,
    OPT_SIZE,
    OPT_WEAK_SIZE,
    OPT_REPEATS,
    OPT_OUT,
    OPT_QUICK,
    OPT_NO_PYTHON,
    OPT_NO_PROGRESS
};

static const char *cmd = "bench scaling";

static int parse_backends(bench *b, const char *v)
{
    char buf[128];
    if (strlen(v) >= sizeof buf)
        return pie_cli_usage(cmd, "invalid value for --backends: too long");
    strcpy(buf, v);
    b->nbackends = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        pie_backend be;
        if (pie_backend_from_name(t, &be) != PIE_OK)
            return pie_cli_usage(
                cmd, "invalid value for --backends: '%s' (process, thread, serial, mpi)", t);
        char why[300];
        if (be == PIE_BACKEND_MPI && bench_mpi_check(why, sizeof why) != 0)
            return pie_cli_usage(cmd, "%s", why);
        if (!pie_backend_available(be))
            return pie_cli_usage(cmd, "the %s backend is not in this build", t);
        for (unsigned i = 0; i < b->nbackends; i++)
            if (b->backends[i] == be)
                return pie_cli_usage(cmd, "invalid value for --backends: '%s' given twice", t);
        b->backends[b->nbackends++] = be;
    }
    if (b->nbackends == 0)
        return pie_cli_usage(cmd, "invalid value for --backends: '%s' is empty", v);
    return PIE_EXIT_OK;
}

static void add_worker(bench *b, unsigned w)
{
    for (unsigned i = 0; i < b->nworkers; i++)
        if (b->workers[i] == w)
            return;
    if (b->nworkers < BENCH_MAX_WORKERS)
        b->workers[b->nworkers++] = w;
}

static int cmp_unsigned(const void *x, const void *y)
{
    unsigned a = *(const unsigned *)x, c = *(const unsigned *)y;
    return (a > c) - (a < c);
}

/* 1 .. 2C on small machines; powers of two, C, 1.5C and 2C on larger ones. */
static void auto_workers(bench *b)
{
    unsigned c = b->cores;
    b->nworkers = 0;
    if (2 * c <= 8) {
        for (unsigned w = 1; w <= 2 * c; w++)
            add_worker(b, w);
        return;
    }
    for (unsigned w = 1; w <= 2 * c; w *= 2)
        add_worker(b, w);
    add_worker(b, c);
    add_worker(b, c + c / 2);
    add_worker(b, 2 * c);
    qsort(b->workers, b->nworkers, sizeof b->workers[0], cmp_unsigned);
}

static int parse_workers(bench *b, const char *v)
{
    if (strcmp(v, "auto") == 0) {
        auto_workers(b);
        return PIE_EXIT_OK;
    }
    char buf[512], why[96];
    if (strlen(v) >= sizeof buf)
        return pie_cli_usage(cmd, "invalid value for --workers: too long");
    strcpy(buf, v);
    b->nworkers = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned w;
        if (pie_cli_parse_workers(t, &w, why, sizeof why) != 0 || w == 0)
            return pie_cli_usage(cmd, "invalid value for --workers: '%s' %s", t,
                                 w == 0 ? "('auto' stands alone)" : why);
        if (b->nworkers >= BENCH_MAX_WORKERS)
            return pie_cli_usage(cmd, "invalid value for --workers: more than %d counts",
                                 BENCH_MAX_WORKERS);
        add_worker(b, w);
    }
    if (b->nworkers == 0)
        return pie_cli_usage(cmd, "invalid value for --workers: '%s' is empty", v);
    qsort(b->workers, b->nworkers, sizeof b->workers[0], cmp_unsigned);
    return PIE_EXIT_OK;
}

/* ------------------------------------------------------------------------ */
/* Sizes                                                                    */

static uint64_t gcd64(uint64_t a, uint64_t c)
{
    while (c) {
        uint64_t t = a % c;
        a = c;
        c = t;
    }
    return a;
}

/* For mc, a number of chunks that every worker count divides (so that no
 * worker count pays for a ragged last round); `within` limits this to the
 * counts up to the CPU count. */
static uint64_t chunk_multiple(const bench *b, int within)
{
    uint64_t l = 1;
    for (unsigned i = 0; i < b->nworkers; i++) {
        uint64_t w = b->workers[i];
        if (within && w > b->cores)
            continue;
        uint64_t n = l / gcd64(l, w) * w;
        if (n <= 64)
            l = n;
    }
    return l;
}

/* Serial seconds of `size` units, median of 3 runs (one warm-up before). */
static int serial_time(bench *b, uint64_t size, double *sec)
{
    bench_run r;
    double t[3];
    int rc = bench_run_once(b, PIE_BACKEND_SERIAL, 1, size, &r);
    for (int i = 0; rc == PIE_EXIT_OK && i < 3; i++) {
        rc = bench_run_once(b, PIE_BACKEND_SERIAL, 1, size, &r);
        t[i] = r.seconds;
    }
    *sec = rc == PIE_EXIT_OK ? bench_median(t, 3) : -1;
    return rc;
}

/* Find the serial cost per unit: mc from one chunk; digits and hex by
 * doubling the size until a run takes 50 ms (their cost is not linear, so
 * the final sizes are scaled with a second measurement). */
static int calibrate(bench *b)
{
    b->phase = "calibrate";
    int rc;
    double t;
    if (b->wl == BENCH_MC) {
        if ((rc = serial_time(b, bench_mc_chunk(), &t)) != PIE_EXIT_OK)
            return rc;
        b->t_unit = t / (double)bench_mc_chunk();
        return PIE_EXIT_OK;
    }
    uint64_t n = b->wl == BENCH_DIGITS ? 1000 : 10000;
    for (;;) {
        if ((rc = serial_time(b, n, &t)) != PIE_EXIT_OK)
            return rc;
        if (t >= 0.05 || n > (UINT64_C(1) << 36))
            break;
        n *= 2;
    }
    b->t_unit = t / (double)n;
    return PIE_EXIT_OK;
}

/* Units that take about `seconds` serially. Monte Carlo sizes are whole
 * chunks, a multiple of every worker count when that costs at most 1.5x the
 * target, else of the counts up to the CPU count (oversubscribed points then
 * see a ragged last round, as any real run would). */
static uint64_t size_for(const bench *b, double seconds, int balance)
{
    double units = seconds / b->t_unit;
    if (b->wl == BENCH_MC) {
        uint64_t chunk = bench_mc_chunk();
        double t_chunk = b->t_unit * (double)chunk;
        uint64_t multiple = 1;
        if (balance) {
            multiple = chunk_multiple(b, 0);
            if ((double)multiple * t_chunk > 1.5 * seconds)
                multiple = chunk_multiple(b, 1);
        }
        uint64_t chunks = (uint64_t)(units / (double)chunk + 0.5);
        chunks = (chunks + multiple - 1) / multiple * multiple;
        if (chunks == 0)
            chunks = multiple;
        return chunks * chunk;
    }
    /* Digits cost ~n log^2 n, hex positions ~n log n: a little under linear. */
    uint64_t n = (uint64_t)(units * 0.8);
    return n < 100 ? 100 : n;
}

/* ------------------------------------------------------------------------ */
/* Experiments                                                              */

static bench_point *add_point(bench *b, const char *exp, pie_backend be, unsigned w, uint64_t size)
{
    if (b->npts == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 32;
        bench_point *p = realloc(b->pts, cap * sizeof *p);
        if (!p)
            return NULL;
        b->pts = p;
        b->cap = cap;
    }
    bench_point *p = &b->pts[b->npts++];
    memset(p, 0, sizeof *p);
    p->experiment = exp;
    p->backend = be;
    p->workers = w;
    p->size = size;
    p->speedup = p->efficiency = p->karp_flatt = p->cpu_efficiency = NAN;
    return p;
}

static int plan(bench *b, const char *exp, uint64_t size, int weak)
{
    for (unsigned i = 0; i < b->nbackends; i++) {
        pie_backend be = b->backends[i];
        if (be == PIE_BACKEND_SERIAL) {
            if (!weak && !add_point(b, exp, be, 1, size))
                return -1;
            continue;
        }
        for (unsigned j = 0; j < b->nworkers; j++) {
            unsigned w = b->workers[j];
            if (!add_point(b, exp, be, w, weak ? size * w : size))
                return -1;
        }
    }
    return 0;
}

/* Runs every point of one experiment R times, interleaved (round r runs each
 * point once) so that a burst of load from elsewhere spreads over the points
 * instead of landing on one of them. One untimed warm-up per point first.
 * Unless --repeats was given, stops after 3 or more rounds when another
 * round would overrun `budget` seconds (a busy machine runs slower than the
 * calibration predicted). */
static int measure(bench *b, const char *exp, size_t from, double budget, unsigned *rounds)
{
    double t0 = pie_cli_now();
    *rounds = 0;
    b->phase = exp;
    bench_run r;
    int rc;
    for (size_t i = from; i < b->npts; i++) {
        bench_point *p = &b->pts[i];
        if ((rc = bench_run_once(b, p->backend, p->workers, p->size, &r)) != PIE_EXIT_OK)
            return rc;
    }
    for (unsigned k = 0; k < b->repeats; k++) {
        for (size_t i = from; i < b->npts; i++) {
            bench_point *p = &b->pts[i];
            if ((rc = bench_run_once(b, p->backend, p->workers, p->size, &r)) != PIE_EXIT_OK)
                return rc;
            if (p->nt && strcmp(p->check, r.check) != 0) {
                bench_progress_end(b);
                fprintf(stderr, "pie bench: %s %s w=%u gave %s, then %s\n", exp,
                        pie_backend_name(p->backend), p->workers, p->check, r.check);
                return PIE_EXIT_FAILURE;
            }
            p->cpu[p->nt] = r.cpu_seconds;
            p->wall[p->nt] = r.wall_seconds;
            p->t[p->nt++] = r.seconds;
            p->used = r.used;
            p->kernel = r.kernel;
            p->chunks = r.chunks;
            snprintf(p->check, sizeof p->check, "%s", r.check);
        }
        *rounds = k + 1;
        double spent = pie_cli_now() - t0;
        if (!b->repeats_given && k + 1 >= 3 && spent + spent / (k + 1) > budget)
            break;
    }
    return PIE_EXIT_OK;
}

static void summarize(bench_point *p)
{
    p->median = bench_median(p->t, p->nt);
    p->min = p->max = p->t[0];
    for (unsigned i = 1; i < p->nt; i++) {
        p->min = p->t[i] < p->min ? p->t[i] : p->min;
        p->max = p->t[i] > p->max ? p->t[i] : p->max;
    }
    p->spread_pct = 100.0 * (p->max - p->min) / p->median;
    p->cpu_median = bench_median(p->cpu, p->nt);
    /* mpi: CPU seconds cover the whole mpirun command, so divide by its wall time. */
    p->cpus_used =
        p->cpu_median / (p->backend == PIE_BACKEND_MPI ? bench_median(p->wall, p->nt) : p->median);
    p->throughput = (double)p->size / p->median;
}

/* Speed-up against the same backend at 1 worker (serial: itself); efficiency
 * S/p; Karp-Flatt e = (1/S - 1/p) / (1 - 1/p) for p > 1. Weak scaling:
 * efficiency T1/Tp and scaled speed-up p*T1/Tp. */
static void derive(bench *b, const char *exp, int weak)
{
    for (size_t i = 0; i < b->npts; i++) {
        bench_point *p = &b->pts[i];
        if (strcmp(p->experiment, exp) != 0)
            continue;
        summarize(p);
    }
    for (size_t i = 0; i < b->npts; i++) {
        bench_point *p = &b->pts[i];
        if (strcmp(p->experiment, exp) != 0)
            continue;
        const bench_point *one = NULL;
        for (size_t j = 0; j < b->npts; j++)
            if (strcmp(b->pts[j].experiment, exp) == 0 && b->pts[j].backend == p->backend &&
                b->pts[j].workers == 1)
                one = &b->pts[j];
        if (!one)
            continue;
        double n = p->workers;
        p->cpu_efficiency = (weak ? n : 1.0) * one->cpu_median / p->cpu_median;
        if (weak) {
            p->efficiency = one->median / p->median;
            p->speedup = n * p->efficiency;
        } else {
            p->speedup = one->median / p->median;
            p->efficiency = p->speedup / n;
            if (p->workers > 1)
                p->karp_flatt = (1.0 / p->speedup - 1.0 / n) / (1.0 - 1.0 / n);
        }
    }
}

/* Check that every strong point computed the same thing (same fingerprint). */
static int check_agreement(const bench *b)
{
    const char *ref = NULL;
    for (size_t i = 0; i < b->npts; i++) {
        const bench_point *p = &b->pts[i];
        if (strcmp(p->experiment, "strong") != 0)
            continue;
        if (!ref)
            ref = p->check;
        else if (strcmp(ref, p->check) != 0) {
            fprintf(stderr, "pie bench: backends disagree: %s vs %s (%s, %u workers)\n", ref,
                    p->check, pie_backend_name(p->backend), p->workers);
            return PIE_EXIT_FAILURE;
        }
    }
    return PIE_EXIT_OK;
}

static unsigned long planned_runs(const bench *b, size_t from)
{
    return (unsigned long)(b->npts - from) * (b->repeats + 1);
}

/* Repeats that fit the budget: full runs ~4 minutes of measurement. */
static unsigned fit_repeats(const bench *b, uint64_t strong, uint64_t weak_per)
{
    if (b->quick)
        return 3;
    double per_round = 0;
    for (unsigned i = 0; i < b->nbackends; i++) {
        if (b->backends[i] == PIE_BACKEND_SERIAL) {
            per_round += (double)strong * b->t_unit;
            continue;
        }
        if (b->backends[i] == PIE_BACKEND_MPI)
            per_round += 2 * 0.5 * b->nworkers; /* mpirun start-up, strong and weak */
        for (unsigned j = 0; j < b->nworkers; j++) {
            double w = b->workers[j], c = b->cores;
            double par = w < c ? w : c;
            per_round += (double)strong * b->t_unit / par + w * (double)weak_per * b->t_unit / par;
        }
    }
    double budget = 120.0; /* seconds of scaling runs; overheads and Python come on top */
    unsigned r = (unsigned)(budget / per_round) - 1;
    return r > 5 ? 5 : (r < 3 ? 3 : r);
}

static int run_all(bench *b)
{
    int rc;
    if ((rc = calibrate(b)) != PIE_EXIT_OK)
        return rc;
    uint64_t strong = b->size, weak = b->weak_size;
    if (!strong)
        strong = size_for(b, b->quick ? 0.3 : 1.5, 1);
    if (!weak)
        weak = size_for(b, b->quick ? 0.15 : 0.6, 0);
    if (!b->repeats)
        b->repeats = fit_repeats(b, strong, weak);

    size_t from = b->npts;
    if (plan(b, "strong", strong, 0) != 0)
        return pie_cli_fail(cmd, "out of memory");
    size_t weak_from = b->npts;
    if (plan(b, "weak", weak, 1) != 0)
        return pie_cli_fail(cmd, "out of memory");
    b->runs_total =
        b->runs_done + planned_runs(b, from) + bench_overhead_runs(b) + (b->python ? 12 : 0);
    size_t end = b->npts;
    b->npts = weak_from; /* measure strong first */
    if ((rc = measure(b, "strong", from, b->quick ? 20 : 90, &b->rounds_strong)) != PIE_EXIT_OK)
        return rc;
    derive(b, "strong", 0);
    if ((rc = check_agreement(b)) != PIE_EXIT_OK)
        return rc;
    b->npts = end;
    if ((rc = measure(b, "weak", weak_from, b->quick ? 10 : 45, &b->rounds_weak)) != PIE_EXIT_OK)
        return rc;
    derive(b, "weak", 1);
    if ((rc = bench_overheads(b)) != PIE_EXIT_OK)
        return rc;
    return bench_python_baselines(b);
}

static void read_loadavg(double v[3])
{
    v[0] = v[1] = v[2] = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f)
        return;
    if (fscanf(f, "%lf %lf %lf", &v[0], &v[1], &v[2]) != 3)
        v[0] = v[1] = v[2] = NAN;
    fclose(f);
}

/* With autogroup scheduling the kernel shares CPU time between sessions,
 * not threads: a run's share then does not grow with its worker count while
 * other sessions are busy. */
static int read_autogroup(void)
{
    FILE *f = fopen("/proc/sys/kernel/sched_autogroup_enabled", "r");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static int bench_scaling(int argc, char **argv)
{
    static const struct option opts[] = {
        {"workload", required_argument, NULL, OPT_WORKLOAD},
        {"backends", required_argument, NULL, OPT_BACKENDS},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"size", required_argument, NULL, OPT_SIZE},
        {"weak-size", required_argument, NULL, OPT_WEAK_SIZE},
        {"repeats", required_argument, NULL, OPT_REPEATS},
        {"out", required_argument, NULL, OPT_OUT},
        {"quick", no_argument, NULL, OPT_QUICK},
        {"no-python", no_argument, NULL, OPT_NO_PYTHON},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static bench b; /* large; one per process */
    memset(&b, 0, sizeof b);
    b.cores = pie_online_cpus();
    b.out = "bench-scaling";
    b.python = 1;
    b.progress = 1;
    for (int be = PIE_BACKEND_PROCESS; be <= PIE_BACKEND_THREAD; be++)
        if (pie_backend_available((pie_backend)be))
            b.backends[b.nbackends++] = (pie_backend)be;
    b.backends[b.nbackends++] = PIE_BACKEND_SERIAL;
    auto_workers(&b);

    uint64_t seen = 0, v;
    char why[96];
    int opt, rc;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        if (opt >= OPT_WORKLOAD && opt <= OPT_NO_PROGRESS &&
            (rc = pie_cli_once(cmd, &seen, opt - OPT_WORKLOAD, argv[optind - 1])) != 0)
            return rc;
        switch (opt) {
        case OPT_WORKLOAD:
            if (strcmp(optarg, "mc") == 0)
                b.wl = BENCH_MC;
            else if (strcmp(optarg, "digits") == 0)
                b.wl = BENCH_DIGITS;
            else if (strcmp(optarg, "hex") == 0)
                b.wl = BENCH_HEX;
            else
                return pie_cli_usage(cmd, "invalid value for --workload: '%s' (mc, digits, hex)",
                                     optarg);
            if (!bench_wl_available(b.wl))
                return pie_cli_usage(cmd, "--workload %s: not in this build yet", optarg);
            break;
        case OPT_BACKENDS:
            if ((rc = parse_backends(&b, optarg)) != PIE_EXIT_OK)
                return rc;
            break;
        case OPT_WORKERS:
            if ((rc = parse_workers(&b, optarg)) != PIE_EXIT_OK)
                return rc;
            break;
        case OPT_SIZE:
        case OPT_WEAK_SIZE:
            if (pie_cli_parse_count(optarg, UINT64_C(1) << 62, &v, why, sizeof why) != 0)
                return pie_cli_usage(cmd, "invalid value for %s: '%s' %s",
                                     opt == OPT_SIZE ? "--size" : "--weak-size", optarg, why);
            *(opt == OPT_SIZE ? &b.size : &b.weak_size) = v;
            break;
        case OPT_REPEATS:
            if (pie_cli_parse_count(optarg, BENCH_MAX_REPEATS, &v, why, sizeof why) != 0)
                return pie_cli_usage(cmd, "invalid value for --repeats: '%s' %s (1..%d)", optarg,
                                     why, BENCH_MAX_REPEATS);
            b.repeats = (unsigned)v;
            b.repeats_given = 1;
            break;
        case OPT_OUT:
            if (!*optarg)
                return pie_cli_usage(cmd, "invalid value for --out: empty");
            b.out = optarg;
            break;
        case OPT_QUICK:
            b.quick = 1;
            break;
        case OPT_NO_PYTHON:
            b.python = 0;
            break;
        case OPT_NO_PROGRESS:
            b.progress = 0;
            break;
        case 'h':
            fputs(bench_help, stdout);
            return PIE_EXIT_OK;
        case ':':
            return pie_cli_usage(cmd, "option %s needs a value", argv[optind - 1]);
        default:
            return pie_cli_usage(cmd, "unknown option '%s' (see 'pie bench scaling --help')",
                                 argv[optind - 1]);
        }
    }
    if (optind < argc)
        return pie_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    if (b.quick && b.nworkers > 4 && !(seen & (1u << (OPT_WORKERS - OPT_WORKLOAD)))) {
        /* --quick keeps the sweep short on large machines: 1, C/2, C, 2C. */
        unsigned c = b.cores;
        b.nworkers = 0;
        add_worker(&b, 1);
        add_worker(&b, c / 2 ? c / 2 : 1);
        add_worker(&b, c);
        add_worker(&b, 2 * c);
        qsort(b.workers, b.nworkers, sizeof b.workers[0], cmp_unsigned);
    }
    if (b.wl == BENCH_MC && b.size && b.size > PIE_MC_MAX_SAMPLES / 64)
        return pie_cli_usage(cmd, "invalid value for --size: too large for mc");

    size_t used = (size_t)snprintf(b.cmdline, sizeof b.cmdline, "pie bench");
    for (int i = 0; i < argc && used < sizeof b.cmdline; i++)
        used += (size_t)snprintf(b.cmdline + used, sizeof b.cmdline - used, " %s", argv[i]);
    if ((rc = bench_prepare_out(&b)) != PIE_EXIT_OK)
        return rc;
    pie_cli_install_signals();
    b.start = pie_cli_now();
    read_loadavg(b.load_start);
    b.autogroup = read_autogroup();
    rc = run_all(&b);
    bench_progress_end(&b);
    if (rc != PIE_EXIT_OK) {
        free(b.pts);
        return rc;
    }
    read_loadavg(b.load_end);
    b.wall_seconds = pie_cli_now() - b.start;
    rc = bench_write_outputs(&b);
    free(b.pts);
    return rc;
}

int pie_cli_bench(int argc, char **argv)
{
    if (argc < 2)
        return pie_cli_usage("bench", "missing the benchmark name (try 'pie bench scaling')");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(bench_help, stdout);
        return PIE_EXIT_OK;
    }
    if (strcmp(argv[1], "scaling") == 0)
        return bench_scaling(argc - 1, argv + 1);
    return pie_cli_usage("bench", "unknown benchmark '%s' (try 'pie bench scaling')", argv[1]);
}
