/** @brief `pie bench scaling`: the command line (help, options, defaults) and the entry point. */
#include "cli_main.h"
#include "cli_util.h"
#include "scaling.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
    "  --pin P            worker placement: none (default), cores (one per physical\n"
    "                     core before SMT siblings), threads, compact, scatter, or a\n"
    "                     CPU list 0,2,4-7 (mpi: use mpirun --bind-to)\n"
    "  --warmup N         untimed runs per point before the timed ones (default 1)\n"
    "  --cooldown S       seconds of idle after every timed run (default 0)\n"
    "  --seed S           seed of the shuffled run order (default: from the clock;\n"
    "                     recorded in results.json)\n"
    "  --algorithm A      the digits workload's algorithm: chudnovsky (default) or\n"
    "                     bbp (env PIE_BENCH_DIGITS_ALGORITHM)\n"
    "  -h, --help         this help\n"
    "\n"
    "pie bench compare DIR_A DIR_B [--json] [--alpha A]: compare two result\n"
    "directories point by point (see 'pie bench compare --help').\n"
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
    OPT_NO_PROGRESS,
    OPT_PIN,
    OPT_WARMUP,
    OPT_COOLDOWN,
    OPT_SEED,
    OPT_ALGORITHM
};

static const char *cmd = "bench scaling";

/* "process, thread, serial, mpi": every backend's name, for messages. */
static const char *backend_names(void)
{
    static char names[128];
    size_t used = 0;
    for (int be = 0; be < PIE_BACKEND_COUNT; be++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
                                 pie_backend_name((pie_backend)be));
    return names;
}

static int add_backend(bench *b, const char *name)
{
    pie_backend be;
    if (pie_backend_from_name(name, &be) != PIE_OK)
        return pie_cli_usage(cmd, "invalid value for --backends: '%s' (%s)", name, backend_names());
    char why[300];
    if (bench_launched(be) && bench_mpi_check(be, why, sizeof why) != 0)
        return pie_cli_usage(cmd, "%s", why);
    if (pie_backend_available(be) != PIE_OK)
        return pie_cli_usage(cmd, "the %s backend is not in this build", name);
    for (unsigned i = 0; i < b->nbackends; i++)
        if (b->backends[i] == be)
            return pie_cli_usage(cmd, "invalid value for --backends: '%s' given twice", name);
    b->backends[b->nbackends++] = be;
    return PIE_EXIT_OK;
}

static int parse_backends(bench *b, const char *v)
{
    char buf[128];
    if (strlen(v) >= sizeof buf)
        return pie_cli_usage(cmd, "invalid value for --backends: too long");
    strcpy(buf, v);
    b->nbackends = 0;
    int rc;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if ((rc = add_backend(b, t)) != PIE_EXIT_OK)
            return rc;
    if (b->nbackends == 0)
        return pie_cli_usage(cmd, "invalid value for --backends: '%s' is empty", v);
    return PIE_EXIT_OK;
}

static int parse_workers(bench *b, const char *v)
{
    if (strcmp(v, "auto") == 0) {
        bench_auto_workers(b);
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
        bench_add_worker(b, w);
    }
    if (b->nworkers == 0)
        return pie_cli_usage(cmd, "invalid value for --workers: '%s' is empty", v);
    bench_sort_workers(b);
    return PIE_EXIT_OK;
}

static int parse_workload(bench *b, const char *v)
{
    pie_workload id;
    if (pie_workload_from_name(v, &id) != PIE_OK || !bench_workload_of(id)) {
        char names[96];
        size_t used = 0;
        for (int i = 0; i < PIE_WORKLOAD_COUNT; i++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                     pie_workload_name((pie_workload)i));
        return pie_cli_usage(cmd, "invalid value for --workload: '%s' (%s)", v, names);
    }
    b->wl = bench_workload_of(id);
    return PIE_EXIT_OK;
}

/* Defaults: the mc workload; every backend built that runs in this process
 * tree (a launcher's only when asked for), those with a worker axis first. */
static void defaults(bench *b)
{
    memset(b, 0, sizeof *b);
    b->cores = pie_online_cpus();
    b->out = "bench-scaling";
    b->python = 1;
    b->progress = 1;
    b->wl = bench_workload_of(PIE_WORKLOAD_MC);
    b->warmup = 1;
    b->algorithm = PIE_DIGITS_CHUDNOVSKY;
    b->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    pie_topology_get(&b->topo);
    for (int one = 0; one < 2; one++)
        for (int i = 0; i < PIE_BACKEND_COUNT; i++) {
            pie_backend be = (pie_backend)i;
            if (pie_backend_available(be) == PIE_OK && !bench_launched(be) &&
                bench_one_worker(be) == one)
                b->backends[b->nbackends++] = be;
        }
    bench_auto_workers(b);
}

static int parse_size(bench *b, int opt, const char *v)
{
    char why[96];
    uint64_t n;
    const char *flag = opt == OPT_SIZE ? "--size" : "--weak-size";
    if (pie_cli_parse_count(v, UINT64_C(1) << 62, &n, why, sizeof why) != 0)
        return pie_cli_usage(cmd, "invalid value for %s: '%s' %s", flag, v, why);
    *(opt == OPT_SIZE ? &b->size : &b->weak_size) = n;
    return PIE_EXIT_OK;
}

static int parse_repeats(bench *b, const char *v)
{
    char why[96];
    uint64_t n;
    if (pie_cli_parse_count(v, BENCH_MAX_REPEATS, &n, why, sizeof why) != 0)
        return pie_cli_usage(cmd, "invalid value for --repeats: '%s' %s (1..%d)", v, why,
                             BENCH_MAX_REPEATS);
    b->repeats = (unsigned)n;
    b->repeats_given = 1;
    return PIE_EXIT_OK;
}

/* --pin, --warmup, --cooldown, --seed, --algorithm. */
static int option_run(bench *b, int opt, const char *arg)
{
    char why[96];
    uint64_t n;
    switch (opt) {
    case OPT_PIN:
        b->pin = NULL;
        if (pie_cli_set_pin(cmd, &b->pin, arg) != PIE_EXIT_OK)
            return PIE_EXIT_USAGE;
        if (strcasecmp(arg, "none") == 0)
            b->pin = NULL;
        return PIE_EXIT_OK;
    case OPT_WARMUP:
        if (strcmp(arg, "0") == 0) {
            b->warmup = 0;
            return PIE_EXIT_OK;
        }
        if (pie_cli_parse_count(arg, 100, &n, why, sizeof why) != 0)
            return pie_cli_usage(cmd, "invalid value for --warmup: '%s' %s (0..100)", arg, why);
        b->warmup = (unsigned)n;
        return PIE_EXIT_OK;
    case OPT_COOLDOWN:
        if (strcmp(arg, "0") == 0) {
            b->cooldown = 0;
            return PIE_EXIT_OK;
        }
        if (pie_cli_parse_seconds(arg, 3600, &b->cooldown, why, sizeof why) != 0)
            return pie_cli_usage(cmd, "invalid value for --cooldown: '%s' %s", arg, why);
        return PIE_EXIT_OK;
    case OPT_ALGORITHM:
        if (pie_digits_algorithm_from_name(arg, &b->algorithm) != PIE_OK)
            return pie_cli_usage(cmd, "invalid value for --algorithm: '%s' (chudnovsky or bbp)",
                                 arg);
        b->algorithm_given = 1;
        return PIE_EXIT_OK;
    default: /* OPT_SEED */
        if (pie_cli_parse_u64(arg, &b->seed, why, sizeof why) != 0)
            return pie_cli_usage(cmd, "invalid value for --seed: '%s' %s", arg, why);
        return PIE_EXIT_OK;
    }
}

/* One option: an exit code, PIE_EXIT_OK to go on; -1 after --help. */
static int option(bench *b, int opt, const char *arg, const char *flag)
{
    switch (opt) {
    case OPT_PIN:
    case OPT_WARMUP:
    case OPT_COOLDOWN:
    case OPT_SEED:
    case OPT_ALGORITHM:
        return option_run(b, opt, arg);
    case OPT_WORKLOAD:
        return parse_workload(b, arg);
    case OPT_BACKENDS:
        return parse_backends(b, arg);
    case OPT_WORKERS:
        return parse_workers(b, arg);
    case OPT_SIZE:
    case OPT_WEAK_SIZE:
        return parse_size(b, opt, arg);
    case OPT_REPEATS:
        return parse_repeats(b, arg);
    case OPT_OUT:
        if (!*arg)
            return pie_cli_usage(cmd, "invalid value for --out: empty");
        b->out = arg;
        return PIE_EXIT_OK;
    case OPT_QUICK:
        b->quick = 1;
        return PIE_EXIT_OK;
    case OPT_NO_PYTHON:
        b->python = 0;
        return PIE_EXIT_OK;
    case OPT_NO_PROGRESS:
        b->progress = 0;
        return PIE_EXIT_OK;
    case 'h':
        fputs(bench_help, stdout);
        return -1;
    case ':':
        return pie_cli_usage(cmd, "option %s needs a value", flag);
    default:
        return pie_cli_usage(cmd, "unknown option '%s' (see 'pie bench scaling --help')", flag);
    }
}

/* --quick keeps the sweep short on large machines: 1, C/2, C, 2C. */
static void quick_workers(bench *b)
{
    unsigned c = b->cores;
    b->nworkers = 0;
    bench_add_worker(b, 1);
    bench_add_worker(b, c / 2 ? c / 2 : 1);
    bench_add_worker(b, c);
    bench_add_worker(b, 2 * c);
    bench_sort_workers(b);
}

/* The output directory, checked before any measurement: it must be a
 * writable directory, or be creatable under its nearest existing ancestor. */
static int check_out(const char *out)
{
    char buf[4096];
    struct stat st;
    if (strlen(out) >= sizeof buf)
        return pie_cli_usage(cmd, "invalid value for --out: the name is too long");
    if (stat(out, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return pie_cli_usage(cmd, "invalid value for --out: '%s' is not a directory", out);
        if (access(out, W_OK | X_OK) != 0)
            return pie_cli_usage(cmd, "invalid value for --out: '%s' is not writable", out);
        return PIE_EXIT_OK;
    }
    snprintf(buf, sizeof buf, "%s", out);
    for (;;) { /* up to the nearest ancestor that exists */
        char *slash = strrchr(buf, '/');
        while (slash && slash > buf && slash[1] == '\0') { /* "dir/" */
            *slash = '\0';
            slash = strrchr(buf, '/');
        }
        const char *dir = !slash ? "." : slash == buf ? "/" : (*slash = '\0', buf);
        if (stat(dir, &st) == 0) {
            if (S_ISDIR(st.st_mode) && access(dir, W_OK | X_OK) == 0)
                return PIE_EXIT_OK;
            return pie_cli_usage(cmd, "invalid value for --out: cannot create '%s' in '%s'", out,
                                 dir);
        }
        if (!slash || slash == buf)
            return pie_cli_usage(cmd, "invalid value for --out: cannot create '%s'", out);
    }
}

/* Parse argv into b: PIE_EXIT_OK, an exit code, or -1 after --help. */
static int parse(bench *b, int argc, char **argv)
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
        {"pin", required_argument, NULL, OPT_PIN},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"cooldown", required_argument, NULL, OPT_COOLDOWN},
        {"seed", required_argument, NULL, OPT_SEED},
        {"algorithm", required_argument, NULL, OPT_ALGORITHM},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t seen = 0;
    int opt, rc;
    opterr = 0;
    optind = 1;
    char name[32];
    int li;
    while ((opt = getopt_long(argc, argv, "+:h", opts, &li)) != -1) {
        /* The option's name, whether its value came as "--seed=1" or as the
         * next argument, "--seed 1" (argv[optind - 1] is then the value). */
        if (opt >= OPT_WORKLOAD && opt <= OPT_ALGORITHM) {
            snprintf(name, sizeof name, "--%s", opts[li].name);
            if ((rc = pie_cli_once(cmd, &seen, opt - OPT_WORKLOAD, name)) != 0)
                return rc;
        }
        if ((rc = option(b, opt, optarg, argv[optind - 1])) != PIE_EXIT_OK)
            return rc;
    }
    if (optind < argc)
        return pie_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    if (b->quick && b->nworkers > 4 && !(seen & (1u << (OPT_WORKERS - OPT_WORKLOAD))))
        quick_workers(b);
    if (b->size > b->wl->max_size)
        return pie_cli_usage(cmd, "invalid value for --size: too large for %s",
                             pie_workload_name(b->wl->id));
    if (b->algorithm_given && b->wl->id != PIE_WORKLOAD_DIGITS)
        return pie_cli_usage(cmd, "--algorithm applies to the digits workload (--workload digits)");
    const char *alg = getenv("PIE_BENCH_DIGITS_ALGORITHM");
    if (!b->algorithm_given && b->wl->id == PIE_WORKLOAD_DIGITS && alg && *alg &&
        pie_digits_algorithm_from_name(alg, &b->algorithm) != PIE_OK)
        return pie_cli_usage(cmd, "invalid PIE_BENCH_DIGITS_ALGORITHM: '%s' (chudnovsky or bbp)",
                             alg);
    bench_set_digits_algorithm(b->algorithm);
    if ((rc = check_out(b->out)) != PIE_EXIT_OK)
        return rc;
    size_t used = (size_t)snprintf(b->cmdline, sizeof b->cmdline, "pie bench");
    for (int i = 0; i < argc && used < sizeof b->cmdline; i++)
        used += (size_t)snprintf(b->cmdline + used, sizeof b->cmdline - used, " %s", argv[i]);
    return PIE_EXIT_OK;
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
    static bench b; /* large; one per process */
    defaults(&b);
    int rc = parse(&b, argc, argv);
    if (rc != PIE_EXIT_OK) {
        pie_result_free(b.topo);
        return rc < 0 ? PIE_EXIT_OK : rc;
    }
    bench_env_capture(&b.env);
    if ((rc = bench_prepare_out(&b)) != PIE_EXIT_OK)
        return rc;
    pie_cli_install_signals();
    b.start = pie_cli_now();
    read_loadavg(b.load_start);
    b.autogroup = read_autogroup();
    rc = bench_run_all(&b);
    bench_progress_end(&b);
    bench_env_stop_sampler(&b.env);
    if (rc == PIE_EXIT_OK) {
        read_loadavg(b.load_end);
        b.wall_seconds = pie_cli_now() - b.start;
        bench_env_judge(&b);
        rc = bench_write_outputs(&b);
    }
    bench_env_free(&b.env);
    pie_result_free(b.topo);
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
    if (strcmp(argv[1], "compare") == 0)
        return bench_compare(argc - 1, argv + 1);
    return pie_cli_usage("bench",
                         "unknown benchmark '%s' (try 'pie bench scaling' or 'pie bench compare')",
                         argv[1]);
}
