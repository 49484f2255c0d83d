/** @brief `pie bench scaling`: the overheads of each backend (start-up, dispatch, tail, memory). */
#include "cli_util.h"
#include "pss.h"
#include "scaling.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int forks(pie_backend be)
{
    return (pie_backend_flags(be) & PIE_BACKEND_FORKS) != 0;
}

/* The backends whose overheads are probed: those with a worker axis that
 * run in this process tree (a launcher's start-up is measured apart). */
static int probed(pie_backend be)
{
    return !bench_one_worker(be) && !bench_launched(be);
}

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

/* Memory: PSS sampled during a run at W = cores long enough for ~30
 * samples (at least 2 chunks per worker). */
static int probe_memory(bench *b, pie_backend be, unsigned w, double t_chunk)
{
    uint64_t chunk = b->wl->chunk;
    pss_sampler s;
    int started = pss_start(&s);
    /* The idle figure is taken once the sampler runs, so that its own stack
     * and malloc arena are not counted as the run's. */
    struct timespec settle = {0, 50 * 1000 * 1000};
    nanosleep(&settle, NULL);
    long idle = pss_read(0);
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
    if (forks(be)) {
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
    uint64_t chunk = b->wl->chunk;
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
           forks(be) ? "1-sample run: fork 1 worker, pipes, 1 frame each way, reap"
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
           forks(be) ? "last partial merged -> run returns: close pipes, reap"
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
        if (!bench_launched(p->backend) || strcmp(p->experiment, "strong") != 0 || !p->nt)
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
        add_ov(b, "mpi_startup", p->backend, p->workers, bench_median(d, p->nt) * 1e3,
               0.5 * (hi - lo) * 1e3, "ms", note);
    }
}

int bench_overheads(bench *b)
{
    mpi_startup(b);
    pie_backend ref_be = bench_reference_backend();
    if (!b->wl->chunk) {
        add_ov(b, "not_measured", ref_be, 0, NAN, 0, "",
               "overheads are probed on the mc workload (fixed 2^24-sample chunks)");
        return PIE_EXIT_OK;
    }
    b->phase = "overhead";
    uint64_t chunk = b->wl->chunk;
    ov_ref ref;
    bench_run r;
    int rc;
    if ((rc = timed_runs(b, ref_be, 1, chunk, b->quick ? 7 : 15, &ref.t_chunk, &ref.t_chunk_half,
                         &ref.c_chunk, &r)) != PIE_EXIT_OK)
        return rc;
    add_ov(b, "serial_chunk_time", ref_be, 1, ref.t_chunk * 1e6, ref.t_chunk_half * 1e6, "us",
           "one 2^24-sample chunk in the calling thread (fastest)");
    add_ov(b, "serial_chunk_cpu", ref_be, 1, ref.c_chunk * 1e6, 0, "us",
           "CPU time of the same run (fastest)");
    /* Enough chunks for ~0.5 s (0.1 s quick) so that a few microseconds per
     * chunk add up to something the clocks can see. */
    double want = (b->quick ? 0.1 : 0.5) / ref.t_chunk;
    ref.n_disp = want < 2 ? 2 : want > 64 ? 64 : (uint64_t)want;
    if ((rc = timed_runs(b, ref_be, 1, ref.n_disp * chunk, b->quick ? 3 : 5, &ref.t_n,
                         &ref.t_n_half, &ref.c_n, &r)) != PIE_EXIT_OK)
        return rc;
    if ((rc = probe_memory(b, ref_be, 1, ref.t_chunk)) != PIE_EXIT_OK)
        return rc;
    for (unsigned i = 0; i < b->nbackends; i++) {
        if (!probed(b->backends[i]))
            continue;
        if ((rc = probe_backend(b, b->backends[i], &ref)) != PIE_EXIT_OK)
            return rc;
    }
    return PIE_EXIT_OK;
}

/* How many runs bench_overheads makes (for the progress percentage). */
unsigned long bench_overhead_runs(const bench *b)
{
    if (!b->wl->chunk)
        return 0;
    unsigned long per = b->quick ? (10 + 5 + 3 + 1) : (18 + 9 + 5 + 1);
    unsigned long n = b->quick ? (7 + 3 + 1) : (15 + 5 + 1);
    for (unsigned i = 0; i < b->nbackends; i++)
        if (probed(b->backends[i]))
            n += per;
    return n;
}
