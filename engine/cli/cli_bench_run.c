/** @brief `pie bench scaling`: timed runs, the progress line, overhead and PSS probes. */
#include "cli_bench.h"
#include "cli_util.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The digits and hex workloads exist once their sections are in pie.h. */
#if defined(PIE_DIGITS_MAX)
#define BENCH_HAVE_DIGITS 1
#else
#define BENCH_HAVE_DIGITS 0
#endif
#if defined(PIE_HEX_MAX_POSITION)
#define BENCH_HAVE_HEX 1
#else
#define BENCH_HAVE_HEX 0
#endif

/* Hex digits asked for at each position: one pass of the formulas. */
#define BENCH_HEX_COUNT 8u

const char *bench_wl_name(bench_wl wl)
{
    static const char *const names[] = {"mc", "digits", "hex"};
    return names[wl];
}

const char *bench_wl_unit(bench_wl wl)
{
    static const char *const units[] = {"samples", "digits", "position"};
    return units[wl];
}

int bench_wl_available(bench_wl wl)
{
    return wl == BENCH_MC || (wl == BENCH_DIGITS && BENCH_HAVE_DIGITS) ||
           (wl == BENCH_HEX && BENCH_HAVE_HEX);
}

uint64_t bench_mc_chunk(void)
{
    return PIE_MC_CHUNK_SAMPLES;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, unsigned n)
{
    if (n == 0)
        return NAN;
    double s[BENCH_MAX_REPEATS * 2];
    if (n > sizeof s / sizeof s[0])
        n = sizeof s / sizeof s[0];
    memcpy(s, v, n * sizeof *v);
    qsort(s, n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* ------------------------------------------------------------------------ */
/* Progress: one line on stderr, redrawn in place on a terminal, one line   */
/* per finished point otherwise.                                            */

void bench_progress(bench *b, const char *what, int force)
{
    if (!b->progress)
        return;
    double now = pie_cli_now();
    int tty = isatty(STDERR_FILENO);
    if (!force && now - b->last_draw < (tty ? 0.2 : 2.0))
        return;
    b->last_draw = now;
    double pct = b->runs_total ? 100.0 * (double)b->runs_done / (double)b->runs_total : 0.0;
    if (pct > 100.0)
        pct = 100.0;
    fprintf(stderr, "%spie bench: %-8s %-40.40s %5.1f%% %6.1fs%s", tty ? "\r" : "",
            b->phase ? b->phase : "", what, pct, now - b->start, tty ? " " : "\n");
    fflush(stderr);
    b->drawn = tty;
}

void bench_progress_end(bench *b)
{
    if (b->drawn)
        fprintf(stderr, "\r%*s\r", 79, "");
    b->drawn = 0;
}

typedef struct run_cb {
    bench *b;
    double t0, first, last;
    const char *what;
} run_cb;

static void on_chunk(void *user, uint64_t done, uint64_t total)
{
    (void)done;
    (void)total;
    run_cb *cb = user;
    double t = pie_cli_now() - cb->t0;
    if (cb->first < 0)
        cb->first = t;
    cb->last = t;
    bench_progress(cb->b, cb->what, 0);
}

/* ------------------------------------------------------------------------ */
/* One run                                                                  */

static pie_status run_workload(bench *b, pie_ctx *ctx, uint64_t size, bench_run *out)
{
    pie_status st = PIE_EUNSUPPORTED;
    switch (b->wl) {
    case BENCH_MC: {
        pie_mc_result r;
        st = pie_mc_run(ctx, size, &r);
        out->used = r.workers;
        out->kernel = r.kernel;
        out->chunks = r.chunks_total;
        snprintf(out->check, sizeof out->check, "inside=%" PRIu64, r.inside);
        break;
    }
    case BENCH_DIGITS: {
#if BENCH_HAVE_DIGITS
        pie_digits_options o = {.digits = size, .base = 10};
        pie_digits_result r;
        memset(&r, 0, sizeof r);
        st = pie_digits_run(ctx, &o, &r);
        out->used = r.workers;
        out->kernel = r.algorithm;
        out->chunks = r.chunks_total;
        snprintf(out->check, sizeof out->check, "sha256=%.16s", r.sha256);
        pie_digits_result_free(&r);
#endif
        break;
    }
    case BENCH_HEX: {
#if BENCH_HAVE_HEX
        static pie_hex_result r; /* large (a 1001-byte buffer); the bench is single-threaded */
        st = pie_hex_run(ctx, size, BENCH_HEX_COUNT, PIE_HEX_BELLARD, &r);
        out->used = r.workers;
        out->kernel = r.kernel;
        out->chunks = r.chunks_total;
        snprintf(out->check, sizeof out->check, "hex=%.60s", r.hex);
#endif
        break;
    }
    }
    return st;
}

static double tv(struct timeval t)
{
    return (double)t.tv_sec + 1e-6 * (double)t.tv_usec;
}

static double cpu_now(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return tv(self.ru_utime) + tv(self.ru_stime) + tv(kids.ru_utime) + tv(kids.ru_stime);
}

int bench_run_once(bench *b, pie_backend backend, unsigned workers, uint64_t size, bench_run *out)
{
    memset(out, 0, sizeof *out);
    out->seconds = -1;
    if (backend == PIE_BACKEND_MPI) {
        /* CPU of the reaped mpirun, which has reaped its ranks. */
        double c0 = cpu_now();
        int rc = bench_run_mpi(b, workers, size, out);
        out->cpu_seconds = cpu_now() - c0;
        if (rc != PIE_EXIT_OK)
            out->seconds = -1;
        b->runs_done++;
        return rc;
    }
    pie_ctx *ctx = pie_ctx_create();
    if (!ctx) {
        fprintf(stderr, "pie bench: out of memory\n");
        return PIE_EXIT_FAILURE;
    }
    char what[64];
    snprintf(what, sizeof what, "%s %s w=%u n=%" PRIu64, bench_wl_name(b->wl),
             pie_backend_name(backend), workers, size);
    run_cb cb = {.b = b, .first = -1, .last = -1, .what = what};
    pie_status st = pie_ctx_set_backend(ctx, backend);
    if (st == PIE_OK)
        st = pie_ctx_set_workers(ctx, workers);
    if (st == PIE_OK)
        st = pie_ctx_set_progress(ctx, on_chunk, &cb);
    if (st == PIE_OK)
        st = pie_ctx_set_cancel_flag(ctx, &pie_cli_signal);
    if (st == PIE_OK) {
        /* CPU time of this process (threads) and of reaped children (the
         * process backend's workers, waited for inside the run). */
        double c0 = cpu_now();
        cb.t0 = pie_cli_now();
        st = run_workload(b, ctx, size, out);
        out->seconds = pie_cli_now() - cb.t0;
        out->cpu_seconds = cpu_now() - c0;
    }
    out->first_cb = cb.first;
    out->last_cb = cb.last;
    int rc = PIE_EXIT_OK;
    if (st == PIE_ECANCELED || pie_cli_signal) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: interrupted\n");
        rc = pie_cli_signal_exit();
    } else if (st != PIE_OK) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: %s run failed (%s): %s\n", what, pie_strerror(st),
                pie_ctx_last_error(ctx));
        rc = PIE_EXIT_FAILURE;
    }
    pie_ctx_free(ctx);
    if (rc != PIE_EXIT_OK)
        out->seconds = -1;
    b->runs_done++;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Memory per worker: PSS from /proc/PID/smaps_rollup, sampled by a thread  */
/* while a run is in flight.                                                */

#define PSS_MAX_PIDS 512

typedef struct pss_sampler {
    pthread_t thread;
    atomic_int stop;
    long self_max_kib;
    int npids;
    long pid[PSS_MAX_PIDS];
    long pss_kib[PSS_MAX_PIDS]; /* the largest PSS seen per child */
    int samples;
    int available; /* smaps_rollup readable */
} pss_sampler;

/* PSS in KiB of /proc/<pid>/smaps_rollup ("self" when pid is 0); -1 if unreadable. */
static long read_pss(long pid)
{
    char path[64];
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/smaps_rollup");
    else
        snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Pss:", 4) == 0) {
            kib = strtol(line + 4, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

static void note_child(pss_sampler *s, long pid)
{
    long kib = read_pss(pid);
    if (kib < 0)
        return; /* gone already, or not readable */
    for (int i = 0; i < s->npids; i++)
        if (s->pid[i] == pid) {
            if (kib > s->pss_kib[i])
                s->pss_kib[i] = kib;
            return;
        }
    if (s->npids < PSS_MAX_PIDS) {
        s->pid[s->npids] = pid;
        s->pss_kib[s->npids++] = kib;
    }
}

/* Children of this process: /proc/self/task/<tid>/children lists the
 * children each thread forked (the process backend forks from the thread
 * that called the run). Falls back to scanning /proc/<pid>/stat for our pid
 * as parent when the kernel lacks the children file. */
static void scan_children(pss_sampler *s)
{
    DIR *d = opendir("/proc/self/task");
    int found_file = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        found_file = 1;
        long pid;
        while (fscanf(f, "%ld", &pid) == 1)
            note_child(s, pid);
        fclose(f);
    }
    if (d)
        closedir(d);
    if (found_file)
        return;
    long self = (long)getpid();
    d = opendir("/proc");
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *p = strrchr(buf, ')'); /* the command name may hold spaces */
        char state;
        long ppid;
        if (p && sscanf(p + 1, " %c %ld", &state, &ppid) == 2 && ppid == self)
            note_child(s, strtol(e->d_name, NULL, 10));
    }
    if (d)
        closedir(d);
}

static void *pss_main(void *arg)
{
    pss_sampler *s = arg;
    struct timespec ts = {0, 10 * 1000 * 1000}; /* 10 ms */
    while (!atomic_load(&s->stop)) {
        long self = read_pss(0);
        if (self > s->self_max_kib)
            s->self_max_kib = self;
        scan_children(s);
        s->samples++;
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static int pss_start(pss_sampler *s)
{
    memset(s, 0, sizeof *s);
    s->self_max_kib = -1;
    s->available = read_pss(0) >= 0;
    atomic_init(&s->stop, 0);
    if (!s->available)
        return -1;
    return pthread_create(&s->thread, NULL, pss_main, s) == 0 ? 0 : -1;
}

static void pss_stop(pss_sampler *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
}

/* ------------------------------------------------------------------------ */
/* Overheads (Monte Carlo, where a chunk is a fixed 2^24 samples)           */

static void add_ov(bench *b, const char *name, pie_backend be, unsigned w, double v, double res,
                   const char *unit, const char *note)
{
    if (b->nov >= sizeof b->ov / sizeof b->ov[0])
        return;
    bench_overhead *o = &b->ov[b->nov++];
    snprintf(o->name, sizeof o->name, "%s", name);
    o->backend = be;
    o->workers = w;
    o->value = v;
    o->resolution = res;
    o->unit = unit;
    snprintf(o->note, sizeof o->note, "%s", note);
}

/* The fastest of `n` runs, and half the range (the noise) in *half. The
 * overheads are differences of small times on a machine that may be busy:
 * the minimum is the estimate least disturbed by other work. */
static int timed_runs(bench *b, pie_backend be, unsigned w, uint64_t size, unsigned n, double *best,
                      double *half, double *cpu_best, bench_run *last)
{
    double t[BENCH_MAX_REPEATS];
    if (n > BENCH_MAX_REPEATS)
        n = BENCH_MAX_REPEATS;
    double lo = INFINITY, hi = 0, clo = INFINITY;
    for (unsigned i = 0; i < n; i++) {
        int rc = bench_run_once(b, be, w, size, last);
        if (rc != PIE_EXIT_OK)
            return rc;
        t[i] = last->seconds;
        lo = t[i] < lo ? t[i] : lo;
        hi = t[i] > hi ? t[i] : hi;
        clo = last->cpu_seconds < clo ? last->cpu_seconds : clo;
    }
    *best = lo;
    *half = 0.5 * (hi - lo);
    *cpu_best = clo;
    return PIE_EXIT_OK;
}

static int has_backend(const bench *b, pie_backend be)
{
    for (unsigned i = 0; i < b->nbackends; i++)
        if (b->backends[i] == be)
            return 1;
    return 0;
}

/* Memory: PSS sampled during a run at W = cores long enough for ~30
 * samples (at least 2 chunks per worker). */
static int probe_memory(bench *b, pie_backend be, unsigned w, double t_chunk)
{
    uint64_t chunk = bench_mc_chunk();
    pss_sampler s;
    int started = pss_start(&s);
    /* The idle figure is taken once the sampler runs, so that its own stack
     * and malloc arena are not counted as the run's. */
    struct timespec settle = {0, 50 * 1000 * 1000};
    nanosleep(&settle, NULL);
    long idle = read_pss(0);
    if (started != 0) {
        add_ov(b, "memory_per_worker", be, w, NAN, 0, "KiB",
               "/proc/self/smaps_rollup unreadable: PSS not measured");
        return PIE_EXIT_OK;
    }
    bench_run r;
    double per = 0.3 / t_chunk;
    uint64_t k = per < 2 ? 2 : per > 64 ? 64 : (uint64_t)per;
    int rc = bench_run_once(b, be, w, k * (uint64_t)w * chunk, &r);
    pss_stop(&s);
    if (rc != PIE_EXIT_OK)
        return rc;
    char note[160];
    if (be == PIE_BACKEND_PROCESS) {
        double sum = 0;
        for (int i = 0; i < s.npids; i++)
            sum += (double)s.pss_kib[i];
        snprintf(note, sizeof note,
                 "mean of each forked worker's largest PSS over %d samples; %d workers seen; "
                 "parent %ld KiB",
                 s.samples, s.npids, s.self_max_kib);
        add_ov(b, "memory_per_worker", be, w, s.npids ? sum / s.npids : NAN, 0, "KiB", note);
    } else {
        snprintf(note, sizeof note,
                 "(process PSS during the run %ld KiB - idle %ld KiB) / workers; %d samples",
                 s.self_max_kib, idle, s.samples);
        add_ov(b, "memory_per_worker", be, w, (double)(s.self_max_kib - idle) / w, 0, "KiB", note);
    }
    return PIE_EXIT_OK;
}

static double vmin(const double *v, unsigned n)
{
    double m = INFINITY;
    for (unsigned i = 0; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

/* The serial references the backends are compared with. */
typedef struct ov_ref {
    double t_chunk, t_chunk_half, c_chunk; /* one chunk: fastest wall, half-range, fastest CPU */
    uint64_t n_disp;                       /* chunks in the dispatch probe */
    double t_n, t_n_half, c_n;             /* n_disp chunks */
} ov_ref;

static int probe_backend(bench *b, pie_backend be, const ov_ref *ref)
{
    uint64_t chunk = bench_mc_chunk();
    unsigned reps = b->quick ? 5 : 9;
    unsigned w = b->cores;
    double best, half, cbest;
    bench_run r;
    char note[160];
    int rc;

    /* The smallest run: 1 sample, 1 chunk, 1 worker. */
    if ((rc = timed_runs(b, be, 1, 1, reps * 2, &best, &half, &cbest, &r)) != PIE_EXIT_OK)
        return rc;
    double fixed1 = best, cfixed1 = cbest;
    add_ov(b, "run_fixed_cost", be, 1, best * 1e6, half * 1e6, "us",
           be == PIE_BACKEND_PROCESS ? "1-sample run: fork 1 worker, pipes, 1 frame each way, reap"
                                     : "1-sample run: OpenMP region of 1 thread, 1 merge");
    add_ov(b, "run_fixed_cost_cpu", be, 1, cbest * 1e6, 0, "us",
           "CPU time (this process and its reaped workers) of the same 1-sample run, fastest");

    /* Start-up with a full team: one chunk per worker. */
    unsigned sr = b->quick ? 5 : 9;
    double first[BENCH_MAX_REPEATS], tail[BENCH_MAX_REPEATS], tot[BENCH_MAX_REPEATS];
    for (unsigned i = 0; i < sr; i++) {
        if ((rc = bench_run_once(b, be, w, (uint64_t)w * chunk, &r)) != PIE_EXIT_OK)
            return rc;
        tot[i] = r.seconds;
        first[i] = r.first_cb;
        tail[i] = r.seconds - r.last_cb;
    }
    best = vmin(tot, sr);
    snprintf(note, sizeof note,
             "fastest run of 1 chunk per worker (%.4f s) minus one chunk's serial time "
             "(%.4f s): start-up, dispatch, %u merges, shutdown, imbalance",
             best, ref->t_chunk, w);
    add_ov(b, "startup_team", be, w, (best - ref->t_chunk) * 1e6, ref->t_chunk_half * 1e6, "us",
           note);
    add_ov(b, "startup_first_partial", be, w, (vmin(first, sr) - ref->t_chunk) * 1e6,
           ref->t_chunk_half * 1e6, "us",
           "call to the first merged partial (fastest run) minus one chunk's serial time: "
           "start-up + first dispatch");
    add_ov(b, "tail_after_last_merge", be, w, vmin(tail, sr) * 1e6, 0, "us",
           be == PIE_BACKEND_PROCESS ? "last partial merged -> run returns: close pipes, reap"
                                     : "last partial merged -> run returns: team join");

    /* Per-chunk dispatch: 1 worker, n chunks, against the serial loop. */
    uint64_t n = ref->n_disp;
    if ((rc = timed_runs(b, be, 1, n * chunk, b->quick ? 3 : 5, &best, &half, &cbest, &r)) !=
        PIE_EXIT_OK)
        return rc;
    snprintf(note, sizeof note,
             "(T(1 worker, %" PRIu64 " chunks) - T(serial) - fixed cost) / %" PRIu64
             ", fastest runs; +/- from their spread",
             n, n);
    add_ov(b, "dispatch_per_chunk", be, 1, (best - ref->t_n - fixed1) / (double)n * 1e6,
           (half + ref->t_n_half) / (double)n * 1e6, "us", note);
    snprintf(note, sizeof note,
             "the same with CPU time instead of wall time (parent + worker): less sensitive "
             "to other load");
    add_ov(b, "dispatch_per_chunk_cpu", be, 1, (cbest - ref->c_n - cfixed1) / (double)n * 1e6, 0,
           "us", note);
    return probe_memory(b, be, w, ref->t_chunk);
}

/* mpi: what the whole mpirun command took beyond the library's run (mpirun,
 * rank start-up, MPI_Init/Finalize, the JSON), per strong-scaling point. */
static void mpi_startup(bench *b)
{
    for (size_t i = 0; i < b->npts; i++) {
        const bench_point *p = &b->pts[i];
        if (p->backend != PIE_BACKEND_MPI || strcmp(p->experiment, "strong") != 0 || !p->nt)
            continue;
        double d[BENCH_MAX_REPEATS], lo = INFINITY, hi = 0;
        for (unsigned k = 0; k < p->nt; k++) {
            d[k] = p->wall[k] - p->t[k];
            lo = d[k] < lo ? d[k] : lo;
            hi = d[k] > hi ? d[k] : hi;
        }
        char note[160];
        snprintf(note, sizeof note,
                 "median of (whole mpirun -np %u command - the library's run) over %u runs: "
                 "mpirun, rank start-up, MPI_Init/Finalize",
                 p->workers, p->nt);
        add_ov(b, "mpi_startup", PIE_BACKEND_MPI, p->workers, bench_median(d, p->nt) * 1e3,
               0.5 * (hi - lo) * 1e3, "ms", note);
    }
}

int bench_overheads(bench *b)
{
    mpi_startup(b);
    if (b->wl != BENCH_MC) {
        add_ov(b, "not_measured", PIE_BACKEND_SERIAL, 0, NAN, 0, "",
               "overheads are probed on the mc workload (fixed 2^24-sample chunks)");
        return PIE_EXIT_OK;
    }
    b->phase = "overhead";
    uint64_t chunk = bench_mc_chunk();
    ov_ref ref;
    bench_run r;
    int rc;
    if ((rc = timed_runs(b, PIE_BACKEND_SERIAL, 1, chunk, b->quick ? 7 : 15, &ref.t_chunk,
                         &ref.t_chunk_half, &ref.c_chunk, &r)) != PIE_EXIT_OK)
        return rc;
    add_ov(b, "serial_chunk_time", PIE_BACKEND_SERIAL, 1, ref.t_chunk * 1e6, ref.t_chunk_half * 1e6,
           "us", "one 2^24-sample chunk in the calling thread (fastest)");
    add_ov(b, "serial_chunk_cpu", PIE_BACKEND_SERIAL, 1, ref.c_chunk * 1e6, 0, "us",
           "CPU time of the same run (fastest)");
    /* Enough chunks for ~0.5 s (0.1 s quick) so that a few microseconds per
     * chunk add up to something the clocks can see. */
    double want = (b->quick ? 0.1 : 0.5) / ref.t_chunk;
    ref.n_disp = want < 2 ? 2 : want > 64 ? 64 : (uint64_t)want;
    if ((rc = timed_runs(b, PIE_BACKEND_SERIAL, 1, ref.n_disp * chunk, b->quick ? 3 : 5, &ref.t_n,
                         &ref.t_n_half, &ref.c_n, &r)) != PIE_EXIT_OK)
        return rc;
    if ((rc = probe_memory(b, PIE_BACKEND_SERIAL, 1, ref.t_chunk)) != PIE_EXIT_OK)
        return rc;
    static const pie_backend par[] = {PIE_BACKEND_PROCESS, PIE_BACKEND_THREAD};
    for (size_t i = 0; i < sizeof par / sizeof par[0]; i++) {
        if (!has_backend(b, par[i]) || !pie_backend_available(par[i]))
            continue;
        if ((rc = probe_backend(b, par[i], &ref)) != PIE_EXIT_OK)
            return rc;
    }
    return PIE_EXIT_OK;
}

/* How many runs bench_overheads makes (for the progress percentage). */
unsigned long bench_overhead_runs(const bench *b)
{
    if (b->wl != BENCH_MC)
        return 0;
    unsigned long per = b->quick ? (10 + 5 + 3 + 1) : (18 + 9 + 5 + 1);
    unsigned long n = b->quick ? (7 + 3 + 1) : (15 + 5 + 1);
    for (unsigned i = 0; i < b->nbackends; i++)
        if (b->backends[i] != PIE_BACKEND_SERIAL && b->backends[i] != PIE_BACKEND_MPI)
            n += per;
    return n;
}
