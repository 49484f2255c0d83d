/** @brief `pie bench scaling`: the gnuplot plots (speed-up, throughput, weak scaling, pie against
 * Python). */
#include "cli_util.h"
#include "output.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    FILE *f = bench_open_out(b, name, path, sizeof path);
    if (!f)
        return -1;
    fputs("# workers speedup throughput efficiency median_s min_s max_s\n", f);
    for (size_t i = 0; i < b->npts; i++) {
        const bench_point *p = &b->pts[i];
        if (strcmp(p->experiment, exp) == 0 && p->backend == be)
            fprintf(f, "%u %.6g %.6g %.6g %.6g %.6g %.6g\n", p->workers, p->speedup, p->throughput,
                    p->efficiency, p->median, p->min, p->max);
    }
    return bench_close_out(f, path);
}

/* ", 'EXP_BACKEND.dat' using COLS with linespoints ..." per backend with a worker axis. */
static void curves(FILE *f, const bench *b, const char *exp, const char *cols)
{
    for (unsigned k = 0; k < b->nbackends; k++)
        if (!bench_one_worker(b->backends[k]))
            fprintf(f, ", '%s_%s.dat' using %s with linespoints lw 2 title '%s'", exp,
                    pie_backend_name(b->backends[k]), cols, pie_backend_name(b->backends[k]));
}

static void speedup_plot(FILE *f, const bench *b)
{
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
            max_workers(b), pie_workload_name(b->wl->id), b->cores, b->cmdline, b->cores);
    curves(f, b, "strong", "1:2");
}

/* Throughput with min-max bars: the backends with a worker axis first, the
 * one-worker ones (a single point) last. */
static void throughput_plot(FILE *f, const bench *b)
{
    fprintf(f,
            "\nset output 'throughput.png'\n"
            "set title 'pie %s: throughput, fixed total work (strong scaling)'\n"
            "set ylabel '%s per second'\nplot ",
            pie_workload_name(b->wl->id), b->wl->unit);
    int any = 0;
    for (int one = 0; one < 2; one++)
        for (unsigned k = 0; k < b->nbackends; k++) {
            if (bench_one_worker(b->backends[k]) != one)
                continue;
            const char *name = pie_backend_name(b->backends[k]);
            fprintf(f,
                    "%s'strong_%s.dat' using 1:3:($3*$5/$7):($3*$5/$6) with yerrorlines "
                    "lw 2 title '%s (median, min-max)'",
                    any ? ", " : "", name, name);
            any = 1;
        }
}

static void weak_plot(FILE *f, const bench *b)
{
    fprintf(f,
            "\nset output 'weak.png'\n"
            "set title 'pie %s: weak-scaling efficiency T(1)/T(p), fixed work per worker'\n"
            "set ylabel 'efficiency'\nset yrange [0:1.2]\nset key right top\n"
            "plot 1 with lines dt 2 lc rgb 'gray40' title 'ideal', "
            "(x <= %u ? 1 : %u.0/x) with lines dt 3 lc rgb 'gray60' title 'CPU-bound limit'",
            pie_workload_name(b->wl->id), b->cores, b->cores);
    curves(f, b, "weak", "1:4");
    fputc('\n', f);
}

/* pie against Python: one bar pair per baseline that has both figures.
 * Returns the number of pairs, or -1 if python.dat cannot be written. */
static int python_plot(FILE *f, const bench *b)
{
    char path[1100];
    FILE *d = bench_open_out(b, "python.dat", path, sizeof path);
    if (!d)
        return -1;
    int npy = 0;
    fputs("# baseline python_per_s pie_per_s\n", d);
    for (size_t i = 0; i < b->npy; i++)
        if (b->py[i].ran && isfinite(b->py[i].pie_per_second)) {
            fprintf(d, "\"%s (%s/s)\" %.6g %.6g\n", b->py[i].name, b->py[i].unit,
                    b->py[i].per_second, b->py[i].pie_per_second);
            npy++;
        }
    if (bench_close_out(d, path) != 0)
        return -1;
    if (npy)
        fputs("set output 'python.png'\nunset xrange\nset xtics auto\nset autoscale y\n"
              "set title 'pie against the Python baselines (log scale; higher is faster)'\n"
              "set ylabel 'work per second'\nset xlabel ''\nset logscale y\n"
              "set style data histograms\nset style histogram clustered gap 1\n"
              "set style fill solid 0.8 border -1\nset xtics rotate by -20\nset key right top\n"
              "set rmargin 10\nset bmargin 6\n"
              "plot 'python.dat' using 2:xtic(1) title 'Python', '' using 3 title 'pie'\n",
              f);
    return npy;
}

/* The gnuplot program (PIE_BENCH_GNUPLOT, default gnuplot on PATH), or NULL
 * after noting that there is none. */
static const char *gnuplot(bench *b)
{
    const char *gp = getenv("PIE_BENCH_GNUPLOT");
    gp = gp && *gp ? gp : "gnuplot";
    char probe[600];
    snprintf(probe, sizeof probe, "command -v '%s' >/dev/null 2>&1", gp);
    if (!strchr(gp, '\'') && !strchr(b->out, '\'') && system(probe) == 0)
        return gp;
    snprintf(b->plot_note, sizeof b->plot_note,
             "gnuplot not found (%.60s): no PNG plots (install gnuplot-nox); data and report "
             "written",
             gp);
    fprintf(stderr, "pie bench scaling: %s\n", b->plot_note);
    return NULL;
}

int bench_write_plots(bench *b)
{
    const char *gp = gnuplot(b);
    if (!gp)
        return 0;
    for (unsigned i = 0; i < b->nbackends; i++)
        if (write_dat(b, "strong", b->backends[i]) != 0 ||
            (!bench_one_worker(b->backends[i]) && write_dat(b, "weak", b->backends[i]) != 0))
            return -1;
    char path[1100];
    FILE *f = bench_open_out(b, "plots.gp", path, sizeof path);
    if (!f)
        return -1;
    speedup_plot(f, b);
    throughput_plot(f, b);
    weak_plot(f, b);
    int npy = python_plot(f, b);
    if (npy < 0) {
        fclose(f);
        return -1;
    }
    if (bench_close_out(f, path) != 0)
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
