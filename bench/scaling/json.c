/** @brief `pie bench scaling`: results.json (schema pie-bench-scaling/1). */
#include "cli_util.h"
#include "output.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

static void jbool(FILE *f, const char *k, int v, int *first)
{
    jkey(f, k, first);
    fputs(v ? "true" : "false", f);
}

static void jarray(FILE *f, const char *k, const double *v, unsigned n, int *first)
{
    jkey(f, k, first);
    fputc('[', f);
    for (unsigned i = 0; i < n; i++) {
        fputs(i ? "," : "", f);
        pie_cli_json_double(f, v[i]);
    }
    fputc(']', f);
}

static void jpoint(FILE *f, const bench_point *p)
{
    int first = 1;
    jstr(f, "backend", pie_backend_name(p->backend), &first);
    jnum(f, "workers", p->workers, &first);
    jnum(f, "workers_used", p->used, &first);
    jnum(f, "size", (double)p->size, &first);
    jnum(f, "repeats", p->nt, &first);
    jarray(f, "seconds", p->t, p->nt, &first);
    if (bench_launched(p->backend))
        jarray(f, "command_seconds", p->wall, p->nt, &first);
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
    jnum(f, "mean_s", p->st.mean, &first);
    jnum(f, "sd_s", p->st.sd, &first);
    jnum(f, "cv", p->st.cv, &first);
    jnum(f, "outliers", p->st.outliers, &first);
    double ci[2] = {p->median_lo, p->median_hi};
    jarray(f, "median_ci95_s", ci, 2, &first);
    ci[0] = p->speedup_lo, ci[1] = p->speedup_hi;
    jarray(f, "speedup_ci95", ci, 2, &first);
    ci[0] = p->eff_lo, ci[1] = p->eff_hi;
    jarray(f, "efficiency_ci95", ci, 2, &first);
    jarray(f, "user_s", p->usr, p->nt, &first);
    jarray(f, "system_s", p->sys, p->nt, &first);
    jarray(f, "steal_pct_runs", p->steal_run, p->nt, &first);
    jnum(f, "steal_pct", p->steal_pct, &first);
    jstr(f, "worker_cpus", p->worker_cpus, &first);
    jnum(f, "chunks", (double)p->chunks, &first);
    jstr(f, "check", p->check, &first);
    jstr(f, "kernel", p->kernel ? p->kernel : "", &first);
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
        jpoint(f, p);
        fputc('}', f);
    }
    fputs("\n  ]", f);
}

static void jmachine(FILE *f, const bench *b, const bench_machine *m)
{
    int first = 1;
    fputs("\n  \"machine\":{", f);
    jstr(f, "cpu_model", m->cpu, &first);
    jnum(f, "cores", b->cores, &first);
    jstr(f, "isa_best", pie_isa_name(pie_isa_best(b->wl->id)), &first);
    jstr(f, "kernel", m->kernel, &first);
    jstr(f, "cpu_features", pie_cpu_features(), &first);
    jstr(f, "os", m->os, &first);
    jstr(f, "compiler", BENCH_COMPILER, &first);
    jstr(f, "pie_version", pie_version(), &first);
    jstr(f, "git_commit", PIE_GIT_COMMIT, &first);
    jstr(f, "date", m->date, &first);
    jkey(f, "sched_autogroup", &first);
    fputs(b->autogroup < 0 ? "null" : b->autogroup ? "true" : "false", f);
    jarray(f, "load_average_start", b->load_start, 3, &first);
    jarray(f, "load_average_end", b->load_end, 3, &first);
    fputs("},", f);
}

static void jconfig(FILE *f, const bench *b)
{
    int first = 1;
    fputs("\n  \"config\":{", f);
    jstr(f, "command", b->cmdline, &first);
    jstr(f, "workload", pie_workload_name(b->wl->id), &first);
    jstr(f, "unit", b->wl->unit, &first);
    if (b->wl->id == PIE_WORKLOAD_DIGITS)
        jstr(f, "algorithm", pie_digits_algorithm_name(b->algorithm), &first);
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
    jbool(f, "quick", b->quick, &first);
    jnum(f, "serial_seconds_per_unit", b->t_unit, &first);
    jstr(f, "pin", b->pin ? b->pin : "none", &first);
    jnum(f, "warmup", b->warmup, &first);
    jnum(f, "cooldown_s", b->cooldown, &first);
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)b->seed);
    jkey(f, "shuffle_seed", &first);
    fputs(seed, f); /* an integer, exact (a double would round it) */
    jnum(f, "bootstrap_resamples", BENCH_BOOTSTRAP_B, &first);
    jnum(f, "bootstrap_seed", (double)BENCH_BOOTSTRAP_SEED, &first);
    jnum(f, "wall_seconds", b->wall_seconds, &first);
    fputs("},", f);
}

static void joverheads(FILE *f, const bench *b)
{
    fputs("\n  \"overheads\":[", f);
    for (size_t i = 0; i < b->nov; i++) {
        const bench_overhead *o = &b->ov[i];
        int first = 1;
        fputs(i ? ",\n    {" : "\n    {", f);
        jstr(f, "name", o->name, &first);
        jstr(f, "backend", pie_backend_name(o->backend), &first);
        jnum(f, "workers", o->workers, &first);
        jnum(f, "value", o->value, &first);
        jnum(f, "resolution", o->resolution, &first);
        jstr(f, "unit", o->unit, &first);
        jstr(f, "note", o->note, &first);
        fputc('}', f);
    }
    fputs("\n  ],", f);
}

static void jpython(FILE *f, const bench *b)
{
    int first = 1;
    fputs("\n  \"python\":{", f);
    jstr(f, "note", b->py_note, &first);
    jkey(f, "baselines", &first);
    fputc('[', f);
    for (size_t i = 0; i < b->npy; i++) {
        const bench_python *p = &b->py[i];
        fputs(i ? ",\n    {" : "\n    {", f);
        first = 1;
        jstr(f, "name", p->name, &first);
        jbool(f, "ran", p->ran, &first);
        jnum(f, "workers", p->workers, &first);
        jnum(f, "work", (double)p->work, &first);
        jstr(f, "unit", p->unit, &first);
        jnum(f, "seconds", p->ran ? p->seconds : NAN, &first);
        jnum(f, "per_second", p->ran ? p->per_second : NAN, &first);
        jnum(f, "pie_per_second", p->pie_per_second, &first);
        jstr(f, "pie_reference", p->pie_ref, &first);
        jnum(f, "pie_over_python", p->ran ? p->pie_per_second / p->per_second : NAN, &first);
        jstr(f, "note", p->note, &first);
        jstr(f, "start_method", p->start_method, &first);
        jstr(f, "python_version", p->py_version, &first);
        jstr(f, "numpy_version", p->np_version, &first);
        fputc('}', f);
    }
    fputs("]},", f);
}

int bench_write_json(const bench *b, const bench_machine *m)
{
    char path[1100];
    FILE *f = bench_open_out(b, "results.json", path, sizeof path);
    if (!f)
        return -1;
    fputs("{\n  \"schema\":\"pie-bench-scaling/2\",", f);
    jmachine(f, b, m);
    bench_json_topology(f, b);
    bench_json_environment(f, b);
    jconfig(f, b);
    fputs("\n  \"strong\":", f);
    jpoints(f, b, "strong");
    fputs(",\n  \"weak\":", f);
    jpoints(f, b, "weak");
    fputc(',', f);
    joverheads(f, b);
    jpython(f, b);
    int first = 1;
    fputs("\n  \"plots\":{", f);
    jstr(f, "note", b->plot_note, &first);
    fputs("}\n}\n", f);
    return bench_close_out(f, path);
}
