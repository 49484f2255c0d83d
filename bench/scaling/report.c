/** @brief `pie bench scaling`: report.md (the machine, a reading of the figures, the tables, the
 * method). */
#include "cli_util.h"
#include "output.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void md_points(FILE *f, const bench *b, const char *exp, int weak)
{
    fprintf(f,
            "| backend | workers | size | median s [95%% CI] | mean s +/- sd | CV | min-max s | "
            "outliers | throughput (%s/s) | %s [95%% CI] | efficiency [95%% CI] |%s CPUs got | "
            "CPU-time efficiency | user / sys s | steal | worker CPUs |\n",
            b->wl->unit, weak ? "scaled speed-up" : "speed-up", weak ? "" : " Karp-Flatt e |");
    fprintf(f,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%s---:|---:|---:|---:|---|\n",
            weak ? "" : "---:|");
    for (size_t i = 0; i < b->npts; i++) {
        const bench_point *p = &b->pts[i];
        if (strcmp(p->experiment, exp) != 0)
            continue;
        fprintf(f,
                "| %s | %u%s | %" PRIu64 " | %.4f [%.4f, %.4f] | %.4f +/- %.4f | %.1f%% | "
                "%.4f-%.4f | %u | %.4g | %.3f [%.3f, %.3f] | %.1f%% [%.1f, %.1f] |",
                pie_backend_name(p->backend), p->workers, p->workers > b->cores ? " (over)" : "",
                p->size, p->median, p->median_lo, p->median_hi, p->st.mean, p->st.sd,
                100.0 * p->st.cv, p->min, p->max, p->st.outliers, p->throughput, p->speedup,
                p->speedup_lo, p->speedup_hi, 100.0 * p->efficiency, 100.0 * p->eff_lo,
                100.0 * p->eff_hi);
        if (!weak) {
            if (isfinite(p->karp_flatt))
                fprintf(f, " %.3f |", p->karp_flatt);
            else
                fputs(" - |", f);
        }
        fprintf(f, " %.2f | %.1f%% | %.3f / %.3f | %.1f%% | %s |\n", p->cpus_used,
                100.0 * p->cpu_efficiency, bench_median(p->usr, p->nt), bench_median(p->sys, p->nt),
                p->steal_pct, p->worker_cpus[0] ? p->worker_cpus : "-");
    }
}

/* The strong point of the first of the bench's backends like (want, avoid)
 * at w workers; NULL if none. */
static const bench_point *find_like(const bench *b, unsigned want, unsigned avoid, unsigned w)
{
    int be = bench_backend_like(b, want, avoid);
    return be < 0 ? NULL : bench_find(b, "strong", (pie_backend)be, w);
}

/* Load, scheduler and noise. */
static void md_load(FILE *f, const bench *b)
{
    unsigned c = b->cores;
    /* Whether the runs got the CPUs they asked for: the CPUs the all-CPU
     * strong points of the backends running in this process tree obtained
     * (CPU seconds / wall seconds). The load average alone cannot say: it
     * counts this bench's own workers too. */
    double got = NAN;
    for (unsigned i = 0; i < b->nbackends; i++) {
        pie_backend be = b->backends[i];
        const bench_point *pc = bench_find(b, "strong", be, c);
        if (!bench_one_worker(be) && !bench_launched(be) && pc &&
            (!isfinite(got) || pc->cpus_used < got))
            got = pc->cpus_used;
    }
    int starved = isfinite(got) && got < 0.9 * c;
    if (isfinite(b->load_start[0]))
        fprintf(f,
                "- Load: the 1-minute load average was %.2f before the run and %.2f after it, on "
                "%u CPUs.",
                b->load_start[0], b->load_end[0], c);
    if (isfinite(got))
        fprintf(f, " The %u-worker runs got %.2f CPUs (CPU seconds / wall seconds)%s\n", c, got,
                starved ? ": other work held the rest, so times, spreads and efficiencies here "
                          "are pessimistic and a quieter machine scales better."
                        : ", so the machine was quiet enough for the figures to stand.");
    else
        fputc('\n', f);
    if (b->autogroup == 1 && starved)
        fprintf(f, "- Scheduler: Linux autogroup scheduling is on "
                   "(/proc/sys/kernel/sched_autogroup_enabled = 1). The kernel divides CPU time "
                   "fairly between sessions, not between threads, so while other sessions are "
                   "busy a run gets about the same CPU share whatever its worker count, and "
                   "wall-clock speed-up stays near 1. The \"CPUs got\" column shows it.\n");
    double worst = 0;
    for (size_t i = 0; i < b->npts; i++)
        worst = b->pts[i].spread_pct > worst ? b->pts[i].spread_pct : worst;
    fprintf(f, "- Noise: the widest spread (max-min over median) of any point is %.1f%%.\n", worst);
}

/* A backend with a worker axis: 2 workers, all CPUs, oversubscribed. */
static void md_backend(FILE *f, const bench *b, pie_backend be)
{
    unsigned c = b->cores, two = c >= 2 ? 2 : 1;
    const char *name = pie_backend_name(be);
    const bench_point *p2 = bench_find(b, "strong", be, two);
    const bench_point *pc = bench_find(b, "strong", be, c);
    const bench_point *po = bench_find(b, "strong", be, 2 * c);
    if (p2 && two > 1)
        fprintf(f,
                "- %s backend, 2 workers: speed-up %.2f, parallel efficiency %.1f%% "
                "(target >= 90%%: %s), Karp-Flatt serial fraction %.3f.\n",
                name, p2->speedup, 100 * p2->efficiency, p2->efficiency >= 0.9 ? "met" : "NOT met",
                p2->karp_flatt);
    /* A launcher's CPU seconds include its start-up: see its own line below. */
    if (p2 && two > 1 && !bench_launched(be)) {
        const bench_point *p1 = bench_find(b, "strong", be, 1);
        fprintf(f,
                "  The 2-worker runs got %.2f CPUs on average (CPU seconds / wall seconds; "
                "2 is the most there is), the 1-worker runs %.2f. CPU-time efficiency "
                "(CPU seconds at 1 worker / at 2 workers) is %.1f%%: that much of the CPU "
                "time went to the same work as in the 1-worker run.%s\n",
                p2->cpus_used, p1 ? p1->cpus_used : NAN, 100 * p2->cpu_efficiency,
                p2->cpus_used < 0.8 * two
                    ? " The run did not get the CPUs it asked for: other processes held "
                      "them, so the wall-clock efficiency measures the machine's load, "
                      "not pie; the CPU-time efficiency shows pie's own overhead."
                    : "");
    }
    if (pc && c != two)
        fprintf(f, "- %s backend, %u workers (all CPUs): speed-up %.2f, efficiency %.1f%%.\n", name,
                c, pc->speedup, 100 * pc->efficiency);
    if (pc && po)
        fprintf(f,
                "- %s backend oversubscribed (%u workers on %u CPUs): throughput %.1f%% of "
                "the %u-worker figure; the extra workers only time-share the CPUs.\n",
                name, 2 * c, c, 100 * po->throughput / pc->throughput, c);
}

/* Backends against each other at all CPUs: in-process threads against
 * forked processes, a launcher's ranks against processes, one forked
 * worker against the one-worker loop. */
static void md_versus(FILE *f, const bench *b)
{
    unsigned c = b->cores;
    const unsigned launcher = PIE_BACKEND_NEEDS_LAUNCHER, one = PIE_BACKEND_ONE_WORKER;
    const bench_point *pp = find_like(b, PIE_BACKEND_FORKS, launcher, c);
    const bench_point *pt = find_like(b, PIE_BACKEND_IN_PROCESS, one | launcher, c);
    if (pp && pt)
        fprintf(f,
                "- Threads against processes at %u workers: the %s backend takes %.3f s, "
                "the %s backend %.3f s (%+.1f%%, %+.1f ms a run; the %s backend "
                "forks, pipes and reaps its workers inside each run).\n",
                c, pie_backend_name(pt->backend), pt->median, pie_backend_name(pp->backend),
                pp->median, 100.0 * (pp->median - pt->median) / pt->median,
                1e3 * (pp->median - pt->median), pie_backend_name(pp->backend));
    const bench_point *pm = find_like(b, launcher, 0, c);
    if (pm) {
        double extra[BENCH_MAX_REPEATS];
        for (unsigned k = 0; k < pm->nt; k++)
            extra[k] = pm->wall[k] - pm->t[k];
        fprintf(f,
                "- %s at %u ranks: the library's run takes %.3f s (rank 0's own timing, as "
                "the other backends' times); the whole `mpirun -np %u` command took %.3f s "
                "more (mpirun, rank start-up, MPI_Init: see mpi_startup). Its CPU seconds "
                "include that start-up, so its \"CPUs got\" is over the whole command and "
                "its CPU-time efficiency mixes in start-up.\n",
                pie_backend_name(pm->backend), c, pm->median, c, bench_median(extra, pm->nt));
        if (pp)
            fprintf(f, "- %s against processes at %u workers: %+.1f%% time.\n",
                    pie_backend_name(pm->backend), c,
                    100.0 * (pm->median - pp->median) / pp->median);
    }
    const bench_point *s1 = find_like(b, one, 0, 1);
    const bench_point *p1 = find_like(b, PIE_BACKEND_FORKS, launcher, 1);
    if (s1 && p1)
        fprintf(f, "- One process worker against the serial loop: %+.1f%% time.\n",
                100.0 * (p1->median - s1->median) / s1->median);
    if (s1 && s1->cpu_median > 0)
        fprintf(f,
                "- Per CPU-second (%s backend; independent of how much CPU the run got): "
                "%.4g %s per CPU-second, against %.4g per wall second.\n",
                pie_backend_name(s1->backend), (double)s1->size / s1->cpu_median, b->wl->unit,
                s1->throughput);
}

static const bench_python *python_named(const bench *b, const char *name)
{
    for (size_t i = 0; i < b->npy; i++)
        if (b->py[i].ran && strcmp(b->py[i].name, name) == 0)
            return &b->py[i];
    return NULL;
}

static void md_python_reading(FILE *f, const bench *b)
{
    for (size_t i = 0; i < b->npy; i++) {
        const bench_python *p = &b->py[i];
        if (p->ran && isfinite(p->pie_per_second))
            fprintf(f, "- %s: %.3g %s/s; %s is %.1fx faster.\n", p->name, p->per_second, p->unit,
                    p->pie_ref, p->pie_per_second / p->per_second);
    }
    const bench_python *ser = python_named(b, "python-serial");
    const bench_python *pool = python_named(b, "python-pool-fork");
    const bench_python *thr = python_named(b, "python-threads");
    if (ser && pool)
        fprintf(f,
                "- Python's own scaling: Pool over %u processes runs %.2fx the serial loop's "
                "rate (pool start-up and pickling included)%s\n",
                pool->workers, pool->per_second / ser->per_second, thr ? "" : ".");
    if (ser && thr)
        fprintf(f, "  and %u threads run %.2fx (the GIL serializes the loop).\n", thr->workers,
                thr->per_second / ser->per_second);
}

static void md_reading(FILE *f, const bench *b)
{
    fputs("## Reading\n\n", f);
    md_load(f, b);
    for (unsigned i = 0; i < b->nbackends; i++)
        if (!bench_one_worker(b->backends[i]))
            md_backend(f, b, b->backends[i]);
    md_versus(f, b);
    md_python_reading(f, b);
    fputc('\n', f);
}

static void md_python(FILE *f, const bench *b)
{
    fprintf(f, "\n## Python baselines\n\n%s.\n\n", b->py_note);
    if (b->npy) {
        fputs("| baseline | workers | work | seconds | per second | pie figure | pie per second | "
              "pie / Python |\n|---|---:|---:|---:|---:|---|---:|---:|\n",
              f);
        for (size_t i = 0; i < b->npy; i++) {
            const bench_python *p = &b->py[i];
            if (!p->ran) {
                fprintf(f, "| %s | %u | - | - | - | %s | - | - |\n", p->name, p->workers, p->note);
                continue;
            }
            fprintf(f, "| %s | %u | %" PRIu64 " %s | %.3f | %.4g | %s | %.4g | %.1f |\n", p->name,
                    p->workers, p->work, p->unit, p->seconds, p->per_second,
                    p->pie_ref[0] ? p->pie_ref : p->note, p->pie_per_second,
                    p->pie_per_second / p->per_second);
        }
    }
}

static void md_plots(FILE *f, const bench *b)
{
    fputs("\n## Plots\n\n", f);
    if (strstr(b->plot_note, ".png")) {
        fputs("![speed-up](speedup.png)\n\n![throughput](throughput.png)\n\n![weak "
              "scaling](weak.png)\n\n",
              f);
        if (strstr(b->plot_note, "python.png"))
            fputs("![pie against Python](python.png)\n\n", f);
    } else {
        fprintf(f, "%s.\n\n", b->plot_note);
    }
}

int bench_write_report(const bench *b, const bench_machine *m)
{
    char path[1100];
    FILE *f = bench_open_out(b, "report.md", path, sizeof path);
    if (!f)
        return -1;
    fprintf(f, "# pie bench scaling: %s on %s (%u CPUs)\n\n", pie_workload_name(b->wl->id), m->cpu,
            b->cores);
    fprintf(f, "Command: `%s` (%.0f s wall; runs per point: %u strong, %u weak).\n\n", b->cmdline,
            b->wall_seconds, b->rounds_strong, b->rounds_weak);
    fputs("| machine | |\n|---|---|\n", f);
    fprintf(f, "| CPU | %s |\n| CPUs usable | %u |\n| pie kernel | %s (best ISA %s) |\n", m->cpu,
            b->cores, m->kernel, pie_isa_name(pie_isa_best(b->wl->id)));
    fprintf(f, "| OS | %s |\n| compiler | %s |\n| pie | %s, commit %s |\n| date | %s |\n\n", m->os,
            BENCH_COMPILER, pie_version(), PIE_GIT_COMMIT, m->date);
    bench_md_environment(f, b);
    md_reading(f, b);
    fputs("## Strong scaling (fixed total work)\n\nSpeed-up is against the same backend at 1 "
          "worker; efficiency = speed-up / workers; Karp-Flatt e = (1/S - 1/p) / (1 - 1/p), the "
          "experimentally determined serial fraction. \"(over)\": more workers than CPUs.\n\n",
          f);
    md_points(f, b, "strong", 0);
    fputs("\n## Weak scaling (fixed work per worker)\n\nEfficiency = T(1) / T(p); with more "
          "workers than CPUs the best possible is CPUs / workers.\n\n",
          f);
    md_points(f, b, "weak", 1);
    fputs("\n## Overheads\n\n| what | backend | workers | value | +/- | how |\n"
          "|---|---|---:|---:|---:|---|\n",
          f);
    for (size_t i = 0; i < b->nov; i++) {
        const bench_overhead *o = &b->ov[i];
        fprintf(f, "| %s | %s | %u | %.1f %s | %.1f | %s |\n", o->name,
                pie_backend_name(o->backend), o->workers, o->value, o->unit, o->resolution,
                o->note);
    }
    md_python(f, b);
    md_plots(f, b);
    fprintf(f,
            "## Method\n\n"
            "- Each point is timed R times around the library call (wall clock, monotonic), after "
            "%u untimed warm-up run(s) each. Rounds are interleaved (every point once per round, "
            "in a new random order each round, seed %llu) so that load from elsewhere and drifts "
            "of clock or temperature spread over all points; %.3g s of idle follow each run.\n"
            "- Statistics per point: median, mean, sample standard deviation, CV = sd / mean, "
            "min-max; outliers are runs outside Tukey's fences (1.5 IQR beyond the quartiles), "
            "flagged but kept. 95%% confidence intervals are percentile bootstraps (%u "
            "resamples, seed %u): of the median time; of the speed-up, resampling the 1-worker "
            "and p-worker runs independently and taking the ratio of their medians; the "
            "efficiency's interval is the speed-up's divided by p (weak scaling: T(1)/T(p) is "
            "the efficiency and the scaled speed-up is p times it). With R runs the interval "
            "cannot be narrower than the runs' own spread allows: few runs give wide, honest "
            "intervals.\n",
            b->warmup, (unsigned long long)b->seed, b->cooldown, BENCH_BOOTSTRAP_B,
            (unsigned)BENCH_BOOTSTRAP_SEED);
    fputs("- Every strong-scaling run must give the same result (Monte Carlo: the same inside "
          "count) on every backend and worker count; the bench stops otherwise.\n"
          "- The process backend forks its workers inside every run, so its times include "
          "fork, pipes and reaping; the thread backend reuses libgomp's thread pool between "
          "runs.\n"
          "- mpi points (when asked for) run `mpirun --oversubscribe -np W pie <workload> "
          "--backend mpi -j 1 --json` as a child of the bench: the time is the JSON's "
          "`seconds` (rank 0's timing of the library run, mpirun start-up excluded); the "
          "whole command's wall time is kept as `command_seconds` and its excess as "
          "mpi_startup; CPU seconds are those of the reaped mpirun and its ranks.\n"
          "- Memory per worker: a sampling thread reads /proc/self/task/*/children every 10 ms "
          "while a run is in flight, and the Pss line of /proc/PID/smaps_rollup of each child "
          "(and of this process); PSS charges shared pages pro rata, so copy-on-write pages "
          "shared with the parent count only in part.\n"
          "- Python baselines (bench/python/) time their compute inside the interpreter "
          "(interpreter start-up excluded, Pool start-up included) and are sized to run a few "
          "seconds.\n",
          f);
    return bench_close_out(f, path);
}
