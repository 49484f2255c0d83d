/** @brief `pie bench scaling`: the output directory, results.csv, and writing every output. */
#include "cli_util.h"
#include "output.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

static void machine_info(const bench *b, bench_machine *m)
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

FILE *bench_open_out(const bench *b, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", b->out, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "pie bench scaling: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

int bench_close_out(FILE *f, const char *path)
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

int bench_write_csv(const bench *b)
{
    char path[1100];
    FILE *f = bench_open_out(b, "results.csv", path, sizeof path);
    if (!f)
        return -1;
    const char *wl = pie_workload_name(b->wl->id), *unit = b->wl->unit;
    fputs("experiment,workload,backend,workers,workers_used,size,unit,repeats,median_s,min_s,"
          "max_s,spread_pct,throughput_per_s,speedup,efficiency,karp_flatt,pie_ratio,metric,"
          "value,value_unit,check,kernel,cpu_s,cpus_used,cpu_efficiency,mean_s,sd_s,cv,"
          "median_lo_s,median_hi_s,speedup_lo,speedup_hi,efficiency_lo,efficiency_hi,outliers,"
          "user_s,system_s,steal_pct,pin,worker_cpus\n",
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
        const double more[] = {p->st.mean,    p->st.sd,      p->st.cv,  p->median_lo, p->median_hi,
                               p->speedup_lo, p->speedup_hi, p->eff_lo, p->eff_hi};
        for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
            csv_num(f, more[k]);
        fprintf(f, ",%u", p->st.outliers);
        csv_num(f, bench_median(p->usr, p->nt));
        csv_num(f, bench_median(p->sys, p->nt));
        csv_num(f, p->steal_pct);
        fprintf(f, ",%s,\"%s\"\n", b->pin ? b->pin : "none", p->worker_cpus);
    }
    for (size_t i = 0; i < b->nov; i++) {
        const bench_overhead *o = &b->ov[i];
        fprintf(f, "overhead,%s,%s,%u,,,,,,,,,,,,,,%s", wl, pie_backend_name(o->backend),
                o->workers, o->name);
        csv_num(f, o->value);
        fprintf(f, ",%s,,,,,,,,,,,,,,,,,,,,\n", o->unit);
    }
    for (size_t i = 0; i < b->npy; i++) {
        const bench_python *p = &b->py[i];
        if (!p->ran)
            continue;
        fprintf(f, "python,%s,%s,%u,%u,%" PRIu64 ",%s,1", pie_workload_name(p->workload), p->name,
                p->workers, p->workers, p->work, p->unit);
        csv_num(f, p->seconds);
        csv_num(f, p->seconds);
        csv_num(f, p->seconds);
        fputs(",0", f);
        csv_num(f, p->per_second);
        fputs(",,,", f);
        csv_num(f, p->pie_per_second / p->per_second);
        fputs(",,,,,,,,,,,,,,,,,,,,,,,\n", f);
    }
    return bench_close_out(f, path);
}

/* runs.csv: tidy, one row per timed run, in the order they ran. */
int bench_write_runs_csv(const bench *b)
{
    char path[1100];
    FILE *f = bench_open_out(b, "runs.csv", path, sizeof path);
    if (!f)
        return -1;
    fputs("workload,experiment,backend,workers,workers_used,size,unit,pin,round,order,seconds,"
          "user_s,system_s,cpu_s,steal_pct,outlier,check,worker_cpus\n",
          f);
    for (size_t i = 0; i < b->npts; i++) {
        const bench_point *p = &b->pts[i];
        for (unsigned k = 0; k < p->nt; k++) {
            fprintf(f, "%s,%s,%s,%u,%u,%" PRIu64 ",%s,%s,%u,%lu", pie_workload_name(b->wl->id),
                    p->experiment, pie_backend_name(p->backend), p->workers, p->used, p->size,
                    b->wl->unit, b->pin ? b->pin : "none", p->round_of[k], p->order_of[k]);
            csv_num(f, p->t[k]);
            csv_num(f, p->usr[k]);
            csv_num(f, p->sys[k]);
            csv_num(f, p->cpu[k]);
            csv_num(f, p->steal_run[k]);
            fprintf(f, ",%d,%s,\"%s\"\n", bench_is_outlier(&p->st, p->t[k]), p->check,
                    p->worker_cpus);
        }
    }
    return bench_close_out(f, path);
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
    bench_machine m;
    machine_info(b, &m);
    if (bench_write_plots(b) != 0 || bench_write_csv(b) != 0 || bench_write_runs_csv(b) != 0 ||
        bench_write_json(b, &m) != 0 || bench_write_report(b, &m) != 0)
        return PIE_EXIT_FAILURE;
    printf(
        "pie bench scaling: results in %s/ (results.csv, runs.csv, results.json, report.md%s%s)\n",
        b->out, strstr(b->plot_note, ".png") ? ", " : "",
        strstr(b->plot_note, ".png") ? b->plot_note : "");
    return fflush(stdout) == 0 ? PIE_EXIT_OK : PIE_EXIT_FAILURE;
}
