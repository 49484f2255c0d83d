/** @brief `pie bench scaling`: write results.csv, results.json, report.md and the gnuplot plots. */
#include "cli_bench.h"
#include "cli_util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

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

typedef struct machine {
    char cpu[160];
    char os[200];
    char date[40];
    const char *kernel;
} machine;

static void machine_info(const bench *b, machine *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->cpu, sizeof m->cpu, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        char *p = strchr(line, ':');
        if (p) {
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            p[strcspn(p, "\n")] = '\0';
            snprintf(m->cpu, sizeof m->cpu, "%s", p);
        }
        break;
    }
    if (f)
        fclose(f);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(m->os, sizeof m->os, "%s %s %s", u.sysname, u.release, u.machine);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(m->date, sizeof m->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    m->kernel = "n/a";
    for (size_t i = 0; i < b->npts; i++)
        if (b->pts[i].kernel) {
            m->kernel = b->pts[i].kernel;
            break;
        }
}

static int mkdir_p(const char *path)
{
    char buf[1024];
    if (strlen(path) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static FILE *open_out(const bench *b, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", b->out, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "pie bench scaling: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "pie bench scaling: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

/* A number in CSV: empty for NaN. */
static void csv_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.9g", v);
    else
        fputs(",", f);
}

/* ------------------------------------------------------------------------ */
/* CSV                                                                      */

static int write_csv(const bench *b)
{
    char path[1100];
    FILE *f = open_out(b, "results.csv", path, sizeof path);
    if (!f)
        return -1;
    const char *wl = bench_wl_name(b->wl), *unit = bench_wl_unit(b->wl);
    fputs("experiment,workload,backend,workers,workers_used,size,unit,repeats,median_s,min_s,"
          "max_s,spread_pct,throughput_per_s,speedup,efficiency,karp_flatt,pie_ratio,metric,"
          "value,value_unit,check,kernel,cpu_s,cpus_used,cpu_efficiency\n",
          f);
    for (size_t i = 0; i < b->npts; i++) {
        const bench_point *p = &b->pts[i];
        fprintf(f, "%s,%s,%s,%u,%u,%" PRIu64 ",%s,%u", p->experiment, wl,
                pie_backend_name(p->backend), p->workers, p->used, p->size, unit, p->nt);
        csv_num(f, p->median);
        csv_num(f, p->min);
        csv_num(f, p->max);
        csv_num(f, p->spread_pct);
        csv_num(f, p->throughput);
        csv_num(f, p->speedup);
        csv_num(f, p->efficiency);
        csv_num(f, p->karp_flatt);
        fprintf(f, ",,,,,%s,%s", p->check, p->kernel ? p->kernel : "");
        csv_num(f, p->cpu_median);
        csv_num(f, p->cpus_used);
        csv_num(f, p->cpu_efficiency);
        fputc('\n', f);
    }
    for (size_t i = 0; i < b->nov; i++) {
        const bench_overhead *o = &b->ov[i];
        fprintf(f, "overhead,%s,%s,%u,,,,,,,,,,,,,,%s", wl, pie_backend_name(o->backend),
                o->workers, o->name);
        csv_num(f, o->value);
        fprintf(f, ",%s,,,,,\n", o->unit);
    }
    for (size_t i = 0; i < b->npy; i++) {
        const bench_python *p = &b->py[i];
        if (!p->ran)
            continue;
        fprintf(f, "python,%s,%s,%u,%u,%" PRIu64 ",%s,1",
                strcmp(p->unit, "digits") ? "mc" : "digits", p->name, p->workers, p->workers,
                p->work, p->unit);
        csv_num(f, p->seconds);
        csv_num(f, p->seconds);
        csv_num(f, p->seconds);
        fputs(",0", f);
        csv_num(f, p->per_second);
        fputs(",,,", f);
        csv_num(f, p->pie_per_second / p->per_second);
        fputs(",,,,,,,,\n", f);
    }
    return close_out(f, path);
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */

static void jkey(FILE *f, const char *k, int *first)
{
    fputs(*first ? "" : ",", f);
    *first = 0;
    pie_cli_json_string(f, k);
    fputc(':', f);
}

static void jstr(FILE *f, const char *k, const char *v, int *first)
{
    jkey(f, k, first);
    pie_cli_json_string(f, v);
}

static void jnum(FILE *f, const char *k, double v, int *first)
{
    jkey(f, k, first);
    pie_cli_json_double(f, v);
}

static void jpoints(FILE *f, const bench *b, const char *exp)
{
    int firstp = 1;
    fputc('[', f);
    for (size_t i = 0; i < b->npts; i++) {
        const bench_point *p = &b->pts[i];
        if (strcmp(p->experiment, exp) != 0)
            continue;
        fputs(firstp ? "\n    {" : ",\n    {", f);
        firstp = 0;
        int first = 1;
        jstr(f, "backend", pie_backend_name(p->backend), &first);
        jnum(f, "workers", p->workers, &first);
        jnum(f, "workers_used", p->used, &first);
        jnum(f, "size", (double)p->size, &first);
        jnum(f, "repeats", p->nt, &first);
        jkey(f, "seconds", &first);
        fputc('[', f);
        for (unsigned k = 0; k < p->nt; k++) {
            fputs(k ? "," : "", f);
            pie_cli_json_double(f, p->t[k]);
        }
        fputc(']', f);
        if (p->backend == PIE_BACKEND_MPI) {
            jkey(f, "command_seconds", &first);
            fputc('[', f);
            for (unsigned k = 0; k < p->nt; k++) {
                fputs(k ? "," : "", f);
                pie_cli_json_double(f, p->wall[k]);
            }
            fputc(']', f);
        }
        jnum(f, "median_s", p->median, &first);
        jnum(f, "min_s", p->min, &first);
        jnum(f, "max_s", p->max, &first);
        jnum(f, "spread_pct", p->spread_pct, &first);
        jnum(f, "throughput_per_s", p->throughput, &first);
        jnum(f, "speedup", p->speedup, &first);
        jnum(f, "efficiency", p->efficiency, &first);
        jnum(f, "karp_flatt", p->karp_flatt, &first);
        jnum(f, "cpu_s", p->cpu_median, &first);
        jnum(f, "cpus_used", p->cpus_used, &first);
        jnum(f, "cpu_efficiency", p->cpu_efficiency, &first);
        jnum(f, "chunks", (double)p->chunks, &first);
        jstr(f, "check", p->check, &first);
        jstr(f, "kernel", p->kernel ? p->kernel : "", &first);
        fputc('}', f);
    }
    fputs("\n  ]", f);
}

static int write_json(const bench *b, const machine *m)
{
    char path[1100];
    FILE *f = open_out(b, "results.json", path, sizeof path);
    if (!f)
        return -1;
    int first = 1;
    fputs("{\n  \"schema\":\"pie-bench-scaling/1\",\n  \"machine\":{", f);
    jstr(f, "cpu_model", m->cpu, &first);
    jnum(f, "cores", b->cores, &first);
    jstr(f, "isa_best", pie_isa_name(pie_isa_best()), &first);
    jstr(f, "kernel", m->kernel, &first);
    jstr(f, "cpu_features", pie_cpu_features(), &first);
    jstr(f, "os", m->os, &first);
    jstr(f, "compiler", BENCH_COMPILER, &first);
    jstr(f, "pie_version", pie_version(), &first);
    jstr(f, "git_commit", PIE_GIT_COMMIT, &first);
    jstr(f, "date", m->date, &first);
    jkey(f, "sched_autogroup", &first);
    fputs(b->autogroup < 0 ? "null" : b->autogroup ? "true" : "false", f);
    jkey(f, "load_average_start", &first);
    fputc('[', f);
    for (int i = 0; i < 3; i++) {
        fputs(i ? "," : "", f);
        pie_cli_json_double(f, b->load_start[i]);
    }
    fputs("]", f);
    jkey(f, "load_average_end", &first);
    fputc('[', f);
    for (int i = 0; i < 3; i++) {
        fputs(i ? "," : "", f);
        pie_cli_json_double(f, b->load_end[i]);
    }
    fputs("]},\n  \"config\":{", f);
    first = 1;
    jstr(f, "command", b->cmdline, &first);
    jstr(f, "workload", bench_wl_name(b->wl), &first);
    jstr(f, "unit", bench_wl_unit(b->wl), &first);
    jkey(f, "backends", &first);
    fputc('[', f);
    for (unsigned i = 0; i < b->nbackends; i++) {
        fputs(i ? "," : "", f);
        pie_cli_json_string(f, pie_backend_name(b->backends[i]));
    }
    fputc(']', f);
    jkey(f, "workers", &first);
    fputc('[', f);
    for (unsigned i = 0; i < b->nworkers; i++)
        fprintf(f, "%s%u", i ? "," : "", b->workers[i]);
    fputc(']', f);
    jnum(f, "repeats", b->repeats, &first);
    jnum(f, "rounds_strong", b->rounds_strong, &first);
    jnum(f, "rounds_weak", b->rounds_weak, &first);
    jkey(f, "quick", &first);
    fputs(b->quick ? "true" : "false", f);
    jnum(f, "serial_seconds_per_unit", b->t_unit, &first);
    jnum(f, "wall_seconds", b->wall_seconds, &first);
    fputs("},\n  \"strong\":", f);
    jpoints(f, b, "strong");
    fputs(",\n  \"weak\":", f);
    jpoints(f, b, "weak");
    fputs(",\n  \"overheads\":[", f);
    for (size_t i = 0; i < b->nov; i++) {
        const bench_overhead *o = &b->ov[i];
        fputs(i ? ",\n    {" : "\n    {", f);
        first = 1;
        jstr(f, "name", o->name, &first);
        jstr(f, "backend", pie_backend_name(o->backend), &first);
        jnum(f, "workers", o->workers, &first);
        jnum(f, "value", o->value, &first);
        jnum(f, "resolution", o->resolution, &first);
        jstr(f, "unit", o->unit, &first);
        jstr(f, "note", o->note, &first);
        fputc('}', f);
    }
    fputs("\n  ],\n  \"python\":{", f);
    first = 1;
    jstr(f, "note", b->py_note, &first);
    jkey(f, "baselines", &first);
    fputc('[', f);
    for (size_t i = 0; i < b->npy; i++) {
        const bench_python *p = &b->py[i];
        fputs(i ? ",\n    {" : "\n    {", f);
        first = 1;
        jstr(f, "name", p->name, &first);
        jkey(f, "ran", &first);
        fputs(p->ran ? "true" : "false", f);
        jnum(f, "workers", p->workers, &first);
        jnum(f, "work", (double)p->work, &first);
        jstr(f, "unit", p->unit, &first);
        jnum(f, "seconds", p->ran ? p->seconds : NAN, &first);
        jnum(f, "per_second", p->ran ? p->per_second : NAN, &first);
        jnum(f, "pie_per_second", p->pie_per_second, &first);
        jstr(f, "pie_reference", p->pie_ref, &first);
        jnum(f, "pie_over_python", p->ran ? p->pie_per_second / p->per_second : NAN, &first);
        jstr(f, "note", p->note, &first);
        fputc('}', f);
    }
    fputs("]},\n  \"plots\":{", f);
    first = 1;
    jstr(f, "note", b->plot_note, &first);
    fputs("}\n}\n", f);
    return close_out(f, path);
}

/* ------------------------------------------------------------------------ */
/* Plots (gnuplot)                                                          */

static unsigned max_workers(const bench *b)
{
    unsigned m = 1;
    for (unsigned i = 0; i < b->nworkers; i++)
        m = b->workers[i] > m ? b->workers[i] : m;
    return m;
}

static int write_dat(const bench *b, const char *exp, pie_backend be)
{
    char name[64], path[1100];
    snprintf(name, sizeof name, "%s_%s.dat", exp, pie_backend_name(be));
    FILE *f = open_out(b, name, path, sizeof path);
    if (!f)
        return -1;
    fputs("# workers speedup throughput efficiency median_s min_s max_s\n", f);
    for (size_t i = 0; i < b->npts; i++) {
        const bench_point *p = &b->pts[i];
        if (strcmp(p->experiment, exp) == 0 && p->backend == be)
            fprintf(f, "%u %.6g %.6g %.6g %.6g %.6g %.6g\n", p->workers, p->speedup, p->throughput,
                    p->efficiency, p->median, p->min, p->max);
    }
    return close_out(f, path);
}

static int write_plots(bench *b)
{
    /* PIE_BENCH_GNUPLOT names the program (default gnuplot on PATH). */
    const char *gp = getenv("PIE_BENCH_GNUPLOT");
    gp = gp && *gp ? gp : "gnuplot";
    char probe[600];
    snprintf(probe, sizeof probe, "command -v '%s' >/dev/null 2>&1", gp);
    if (strchr(gp, '\'') || strchr(b->out, '\'') || system(probe) != 0) {
        snprintf(b->plot_note, sizeof b->plot_note,
                 "gnuplot not found (%.60s): no PNG plots (install gnuplot-nox); data and report "
                 "written",
                 gp);
        fprintf(stderr, "pie bench scaling: %s\n", b->plot_note);
        return 0;
    }
    /* The backends with a worker axis first; serial (1 point) last. */
    static const pie_backend par[] = {PIE_BACKEND_PROCESS, PIE_BACKEND_THREAD, PIE_BACKEND_MPI,
                                      PIE_BACKEND_SERIAL};
    for (unsigned i = 0; i < b->nbackends; i++)
        if (write_dat(b, "strong", b->backends[i]) != 0 ||
            (b->backends[i] != PIE_BACKEND_SERIAL && write_dat(b, "weak", b->backends[i]) != 0))
            return -1;
    char path[1100];
    FILE *f = open_out(b, "plots.gp", path, sizeof path);
    if (!f)
        return -1;
    unsigned mw = max_workers(b);
    fprintf(f,
            "# Drawn by pie bench scaling; run again with: gnuplot plots.gp\n"
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo size 900,560 noenhanced\n"
            "} else {\n"
            "  set terminal png size 900,560 noenhanced\n"
            "}\n"
            "set grid\nset key left top\nset xlabel 'workers'\nset xrange [0.5:%u.5]\n"
            "set xtics 1\n"
            "set output 'speedup.png'\n"
            "set title 'pie %s: strong-scaling speed-up (%u CPUs; %s)'\n"
            "set ylabel 'speed-up vs the same backend at 1 worker'\nset yrange [0:*]\n"
            "plot x with lines dt 2 lc rgb 'gray40' title 'ideal (speed-up = workers)', "
            "%u with lines dt 4 lw 2 lc rgb 'gray50' title 'CPUs (hardware limit)'",
            mw, bench_wl_name(b->wl), b->cores, b->cmdline, b->cores);
    for (size_t i = 0; i < 3; i++)
        for (unsigned k = 0; k < b->nbackends; k++)
            if (b->backends[k] == par[i])
                fprintf(f, ", 'strong_%s.dat' using 1:2 with linespoints lw 2 title '%s'",
                        pie_backend_name(par[i]), pie_backend_name(par[i]));
    fprintf(f,
            "\nset output 'throughput.png'\n"
            "set title 'pie %s: throughput, fixed total work (strong scaling)'\n"
            "set ylabel '%s per second'\nplot ",
            bench_wl_name(b->wl), bench_wl_unit(b->wl));
    int any = 0;
    for (size_t i = 0; i < 4; i++)
        for (unsigned k = 0; k < b->nbackends; k++)
            if (b->backends[k] == par[i]) {
                fprintf(f,
                        "%s'strong_%s.dat' using 1:3:($3*$5/$7):($3*$5/$6) with yerrorlines "
                        "lw 2 title '%s (median, min-max)'",
                        any ? ", " : "", pie_backend_name(par[i]), pie_backend_name(par[i]));
                any = 1;
            }
    fprintf(f,
            "\nset output 'weak.png'\n"
            "set title 'pie %s: weak-scaling efficiency T(1)/T(p), fixed work per worker'\n"
            "set ylabel 'efficiency'\nset yrange [0:1.2]\nset key right top\n"
            "plot 1 with lines dt 2 lc rgb 'gray40' title 'ideal', "
            "(x <= %u ? 1 : %u.0/x) with lines dt 3 lc rgb 'gray60' title 'CPU-bound limit'",
            bench_wl_name(b->wl), b->cores, b->cores);
    for (size_t i = 0; i < 3; i++)
        for (unsigned k = 0; k < b->nbackends; k++)
            if (b->backends[k] == par[i])
                fprintf(f, ", 'weak_%s.dat' using 1:4 with linespoints lw 2 title '%s'",
                        pie_backend_name(par[i]), pie_backend_name(par[i]));
    fputc('\n', f);

    /* pie against Python: one bar pair per baseline that has both figures. */
    char dpath[1100];
    FILE *d = open_out(b, "python.dat", dpath, sizeof dpath);
    if (!d) {
        fclose(f);
        return -1;
    }
    int npy = 0;
    fputs("# baseline python_per_s pie_per_s\n", d);
    for (size_t i = 0; i < b->npy; i++)
        if (b->py[i].ran && isfinite(b->py[i].pie_per_second)) {
            fprintf(d, "\"%s (%s/s)\" %.6g %.6g\n", b->py[i].name, b->py[i].unit,
                    b->py[i].per_second, b->py[i].pie_per_second);
            npy++;
        }
    if (close_out(d, dpath) != 0) {
        fclose(f);
        return -1;
    }
    if (npy)
        fputs("set output 'python.png'\nunset xrange\nset xtics auto\nset autoscale y\n"
              "set title 'pie against the Python baselines (log scale; higher is faster)'\n"
              "set ylabel 'work per second'\nset xlabel ''\nset logscale y\n"
              "set style data histograms\nset style histogram clustered gap 1\n"
              "set style fill solid 0.8 border -1\nset xtics rotate by -20\nset key right top\n"
              "set rmargin 10\nset bmargin 6\n"
              "plot 'python.dat' using 2:xtic(1) title 'Python', '' using 3 title 'pie'\n",
              f);
    if (close_out(f, path) != 0)
        return -1;
    char cmdbuf[1200];
    snprintf(cmdbuf, sizeof cmdbuf, "cd '%s' && '%s' plots.gp 2>gnuplot.log", b->out, gp);
    if (system(cmdbuf) != 0) {
        snprintf(b->plot_note, sizeof b->plot_note,
                 "gnuplot failed (see gnuplot.log): PNG plots may be missing");
        fprintf(stderr, "pie bench scaling: %s\n", b->plot_note);
        return 0;
    }
    snprintf(b->plot_note, sizeof b->plot_note, "speedup.png throughput.png weak.png%s",
             npy ? " python.png" : "");
    return 0;
}

/* ------------------------------------------------------------------------ */
/* report.md                                                                */

static const bench_point *find(const bench *b, const char *exp, pie_backend be, unsigned w)
{
    for (size_t i = 0; i < b->npts; i++)
        if (strcmp(b->pts[i].experiment, exp) == 0 && b->pts[i].backend == be &&
            b->pts[i].workers == w)
            return &b->pts[i];
    return NULL;
}

static void md_points(FILE *f, const bench *b, const char *exp, int weak)
{
    fprintf(f,
            "| backend | workers | size | median s | min-max s | spread | throughput (%s/s) | "
            "%s | efficiency |%s CPUs got | CPU-time efficiency |\n",
            bench_wl_unit(b->wl), weak ? "scaled speed-up" : "speed-up",
            weak ? "" : " Karp-Flatt e |");
    fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|%s---:|---:|\n", weak ? "" : "---:|");
    for (size_t i = 0; i < b->npts; i++) {
        const bench_point *p = &b->pts[i];
        if (strcmp(p->experiment, exp) != 0)
            continue;
        fprintf(f, "| %s | %u%s | %" PRIu64 " | %.4f | %.4f-%.4f | %.1f%% | %.4g | %.3f | %.1f%% |",
                pie_backend_name(p->backend), p->workers, p->workers > b->cores ? " (over)" : "",
                p->size, p->median, p->min, p->max, p->spread_pct, p->throughput, p->speedup,
                100.0 * p->efficiency);
        if (!weak) {
            if (isfinite(p->karp_flatt))
                fprintf(f, " %.3f |", p->karp_flatt);
            else
                fputs(" - |", f);
        }
        fprintf(f, " %.2f | %.1f%% |\n", p->cpus_used, 100.0 * p->cpu_efficiency);
    }
}

static void md_reading(FILE *f, const bench *b)
{
    static const pie_backend par[] = {PIE_BACKEND_PROCESS, PIE_BACKEND_THREAD, PIE_BACKEND_MPI};
    unsigned c = b->cores;
    fputs("## Reading\n\n", f);
    /* Whether the runs got the CPUs they asked for: the CPUs the
     * all-CPU strong points obtained (CPU seconds / wall seconds). The load
     * average alone cannot say: it counts this bench's own workers too. */
    double got = NAN;
    for (size_t i = 0; i < 2; i++) {
        const bench_point *pc = find(b, "strong", par[i], c);
        if (pc && (!isfinite(got) || pc->cpus_used < got))
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
    for (size_t i = 0; i < 3; i++) {
        unsigned two = c >= 2 ? 2 : 1;
        const bench_point *p2 = find(b, "strong", par[i], two);
        const bench_point *pc = find(b, "strong", par[i], c);
        const bench_point *po = find(b, "strong", par[i], 2 * c);
        if (p2 && two > 1)
            fprintf(f,
                    "- %s backend, 2 workers: speed-up %.2f, parallel efficiency %.1f%% "
                    "(target >= 90%%: %s), Karp-Flatt serial fraction %.3f.\n",
                    pie_backend_name(par[i]), p2->speedup, 100 * p2->efficiency,
                    p2->efficiency >= 0.9 ? "met" : "NOT met", p2->karp_flatt);
        /* mpi CPU seconds include mpirun's start-up: see the mpi line below. */
        if (p2 && two > 1 && par[i] != PIE_BACKEND_MPI) {
            const bench_point *p1 = find(b, "strong", par[i], 1);
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
            fprintf(f, "- %s backend, %u workers (all CPUs): speed-up %.2f, efficiency %.1f%%.\n",
                    pie_backend_name(par[i]), c, pc->speedup, 100 * pc->efficiency);
        if (pc && po)
            fprintf(f,
                    "- %s backend oversubscribed (%u workers on %u CPUs): throughput %.1f%% of "
                    "the %u-worker figure; the extra workers only time-share the CPUs.\n",
                    pie_backend_name(par[i]), 2 * c, c, 100 * po->throughput / pc->throughput, c);
    }
    const bench_point *pp = find(b, "strong", PIE_BACKEND_PROCESS, c);
    const bench_point *pt = find(b, "strong", PIE_BACKEND_THREAD, c);
    if (pp && pt)
        fprintf(f,
                "- Threads against processes at %u workers: the thread backend takes %.3f s, "
                "the process backend %.3f s (%+.1f%%, %+.1f ms a run; the process backend "
                "forks, pipes and reaps its workers inside each run).\n",
                c, pt->median, pp->median, 100.0 * (pp->median - pt->median) / pt->median,
                1e3 * (pp->median - pt->median));
    const bench_point *pm = find(b, "strong", PIE_BACKEND_MPI, c);
    if (pm) {
        double extra[BENCH_MAX_REPEATS];
        for (unsigned k = 0; k < pm->nt; k++)
            extra[k] = pm->wall[k] - pm->t[k];
        fprintf(f,
                "- mpi at %u ranks: the library's run takes %.3f s (rank 0's own timing, as "
                "the other backends' times); the whole `mpirun -np %u` command took %.3f s "
                "more (mpirun, rank start-up, MPI_Init: see mpi_startup). Its CPU seconds "
                "include that start-up, so its \"CPUs got\" is over the whole command and "
                "its CPU-time efficiency mixes in start-up.\n",
                c, pm->median, c, bench_median(extra, pm->nt));
        if (pp)
            fprintf(f, "- mpi against processes at %u workers: %+.1f%% time.\n", c,
                    100.0 * (pm->median - pp->median) / pp->median);
    }
    const bench_point *s1 = find(b, "strong", PIE_BACKEND_SERIAL, 1);
    const bench_point *p1 = find(b, "strong", PIE_BACKEND_PROCESS, 1);
    if (s1 && p1)
        fprintf(f, "- One process worker against the serial loop: %+.1f%% time.\n",
                100.0 * (p1->median - s1->median) / s1->median);
    if (s1 && s1->cpu_median > 0)
        fprintf(f,
                "- Per CPU-second (serial backend; independent of how much CPU the run got): "
                "%.4g %s per CPU-second, against %.4g per wall second.\n",
                (double)s1->size / s1->cpu_median, bench_wl_unit(b->wl), s1->throughput);
    for (size_t i = 0; i < b->npy; i++) {
        const bench_python *p = &b->py[i];
        if (p->ran && isfinite(p->pie_per_second))
            fprintf(f, "- %s: %.3g %s/s; %s is %.1fx faster.\n", p->name, p->per_second, p->unit,
                    p->pie_ref, p->pie_per_second / p->per_second);
    }
    const bench_python *ser = NULL, *pool = NULL, *thr = NULL;
    for (size_t i = 0; i < b->npy; i++) {
        if (!b->py[i].ran)
            continue;
        if (strcmp(b->py[i].name, "python-serial") == 0)
            ser = &b->py[i];
        else if (strcmp(b->py[i].name, "python-pool") == 0)
            pool = &b->py[i];
        else if (strcmp(b->py[i].name, "python-threads") == 0)
            thr = &b->py[i];
    }
    if (ser && pool)
        fprintf(f,
                "- Python's own scaling: Pool over %u processes runs %.2fx the serial loop's "
                "rate (pool start-up and pickling included)%s\n",
                pool->workers, pool->per_second / ser->per_second, thr ? "" : ".");
    if (ser && thr)
        fprintf(f, "  and %u threads run %.2fx (the GIL serializes the loop).\n", thr->workers,
                thr->per_second / ser->per_second);
    fputc('\n', f);
}

static int write_report(const bench *b, const machine *m)
{
    char path[1100];
    FILE *f = open_out(b, "report.md", path, sizeof path);
    if (!f)
        return -1;
    fprintf(f, "# pie bench scaling: %s on %s (%u CPUs)\n\n", bench_wl_name(b->wl), m->cpu,
            b->cores);
    fprintf(f, "Command: `%s` (%.0f s wall; runs per point: %u strong, %u weak).\n\n", b->cmdline,
            b->wall_seconds, b->rounds_strong, b->rounds_weak);
    fputs("| machine | |\n|---|---|\n", f);
    fprintf(f, "| CPU | %s |\n| CPUs usable | %u |\n| pie kernel | %s (best ISA %s) |\n", m->cpu,
            b->cores, m->kernel, pie_isa_name(pie_isa_best()));
    fprintf(f, "| OS | %s |\n| compiler | %s |\n| pie | %s, commit %s |\n| date | %s |\n\n", m->os,
            BENCH_COMPILER, pie_version(), PIE_GIT_COMMIT, m->date);
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
    fputs("## Method\n\n"
          "- Each point is timed R times around the library call (wall clock, monotonic); the "
          "table gives the median and the min-max range. Rounds are interleaved (every point "
          "once per round, after one untimed warm-up run each) so that load from elsewhere "
          "spreads over all points.\n"
          "- Every strong-scaling run must give the same result (Monte Carlo: the same inside "
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
    return close_out(f, path);
}

int bench_prepare_out(const bench *b)
{
    if (mkdir_p(b->out) != 0) {
        fprintf(stderr, "pie bench scaling: cannot create %s: %s\n", b->out, strerror(errno));
        return PIE_EXIT_FAILURE;
    }
    return PIE_EXIT_OK;
}

int bench_write_outputs(bench *b)
{
    if (bench_prepare_out(b) != PIE_EXIT_OK)
        return PIE_EXIT_FAILURE;
    machine m;
    machine_info(b, &m);
    if (write_plots(b) != 0 || write_csv(b) != 0 || write_json(b, &m) != 0 ||
        write_report(b, &m) != 0)
        return PIE_EXIT_FAILURE;
    printf("pie bench scaling: results in %s/ (results.csv, results.json, report.md%s%s)\n", b->out,
           strstr(b->plot_note, ".png") ? ", " : "",
           strstr(b->plot_note, ".png") ? b->plot_note : "");
    return fflush(stdout) == 0 ? PIE_EXIT_OK : PIE_EXIT_FAILURE;
}
