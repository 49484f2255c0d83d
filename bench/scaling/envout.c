/** @brief `pie bench scaling`: the warnings the environment and the measured points call for, and
 * the environment and topology in results.json and report.md. */
#include "cli_util.h"
#include "output.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The largest steal share of any point, and that point. */
static const bench_point *worst_steal(const bench *b)
{
    const bench_point *w = NULL;
    for (size_t i = 0; i < b->npts; i++)
        if (isfinite(b->pts[i].steal_pct) && (!w || b->pts[i].steal_pct > w->steal_pct))
            w = &b->pts[i];
    return w;
}

static void judge_frequency(bench_env *e)
{
    int governed = strcmp(e->governor, "unavailable") != 0;
    if (governed && strcmp(e->governor, "performance") != 0)
        bench_env_warn(e,
                       "frequency not fixed: the cpufreq governor is '%s' (set 'performance' "
                       "for steady clocks)",
                       e->governor);
    if (strcmp(e->boost, "on") == 0)
        bench_env_warn(e, "frequency not fixed: turbo/boost is on, so clocks depend on how many "
                          "cores are busy and on temperature");
    if (e->freq_samples > 1 && e->freq_median_mhz > 0 &&
        e->freq_max_mhz - e->freq_min_mhz > 0.05 * e->freq_median_mhz)
        bench_env_warn(e, "frequency varied during the runs: %.0f-%.0f MHz (median %.0f)",
                       e->freq_min_mhz, e->freq_max_mhz, e->freq_median_mhz);
    if (!governed && e->freq_samples == 0)
        bench_env_warn(e,
                       "frequency unavailable (no cpufreq in /sys%s): frequency scaling cannot "
                       "be ruled out",
                       strcmp(e->hypervisor, "none detected") ? ", as under many hypervisors" : "");
}

void bench_env_judge(bench *b)
{
    bench_env *e = &b->env;
    judge_frequency(e);
    const bench_point *s = worst_steal(b);
    if (s && s->steal_pct > 2.0)
        bench_env_warn(e,
                       "steal time up to %.1f%% (%s %s, %u workers): the hypervisor ran other "
                       "guests on these CPUs",
                       s->steal_pct, s->experiment, pie_backend_name(s->backend), s->workers);
    unsigned most = 0;
    for (unsigned i = 0; i < b->nworkers; i++)
        if (b->workers[i] <= b->cores && b->workers[i] > most)
            most = b->workers[i];
    if (isfinite(e->quota_cpus) && e->quota_cpus < most)
        bench_env_warn(e, "cgroup CPU quota %.2f CPUs (cpu.max %s) is below the %u workers",
                       e->quota_cpus, e->cpu_max, most);
    if (isfinite(b->load_start[0]) && b->load_start[0] > 0.5)
        bench_env_warn(e, "other load: the 1-minute load average was %.2f before the run (%u CPUs)",
                       b->load_start[0], b->cores);
    const bench_point *pc = NULL;
    for (unsigned i = 0; i < b->nbackends && !pc; i++)
        if (!bench_one_worker(b->backends[i]) && !bench_launched(b->backends[i]))
            pc = bench_find(b, "strong", b->backends[i], b->cores);
    if (pc && pc->cpus_used < 0.9 * b->cores)
        bench_env_warn(e, "other load: the %u-worker runs got %.2f CPUs of %u", b->cores,
                       pc->cpus_used, b->cores);
    if (e->nice_value != 0 || strcmp(e->sched_policy, "SCHED_OTHER") != 0)
        bench_env_warn(e, "scheduling: nice %d, %s", e->nice_value, e->sched_policy);
    if (strcmp(e->build_type, "Release") != 0 && strcmp(e->build_type, "RelWithDebInfo") != 0)
        bench_env_warn(e, "build type '%s': not an optimized build", e->build_type);
}

/* ------------------------------------------------------------------------ */
/* results.json                                                             */

static void jstr(FILE *f, const char *k, const char *v, int *first)
{
    fputs(*first ? "" : ",", f);
    *first = 0;
    pie_cli_json_string(f, k);
    fputc(':', f);
    pie_cli_json_string(f, v);
}

static void jnum(FILE *f, const char *k, double v, int *first)
{
    fputs(*first ? "" : ",", f);
    *first = 0;
    pie_cli_json_string(f, k);
    fputc(':', f);
    pie_cli_json_double(f, v);
}

void bench_json_topology(FILE *f, const bench *b)
{
    const pie_topology *t = b->topo;
    int first = 1;
    fputs("\n  \"topology\":{", f);
    jstr(f, "source", t ? t->source : "unavailable", &first);
    fputs(",\"available\":", f);
    fputs(t && t->from_hwloc ? "true" : "false", f);
    if (t) {
        jnum(f, "cpus", t->cpus, &first);
        jnum(f, "cores", t->cores, &first);
        jnum(f, "packages", t->packages, &first);
        jnum(f, "numa_nodes", t->numa_nodes, &first);
        jnum(f, "threads_per_core", t->threads_per_core, &first);
        jnum(f, "l1d_bytes", (double)t->l1d_bytes, &first);
        jnum(f, "l2_bytes", (double)t->l2_bytes, &first);
        jnum(f, "l3_bytes", (double)t->l3_bytes, &first);
        jnum(f, "cpu_kinds", t->cpu_kinds, &first);
        jstr(f, "kinds", t->kinds, &first);
        jstr(f, "cpu_list", t->cpu_list, &first);
        jstr(f, "core_list", t->core_list, &first);
        jstr(f, "node_list", t->node_list, &first);
    }
    fputs("},", f);
}

void bench_json_environment(FILE *f, const bench *b)
{
    const bench_env *e = &b->env;
    int first = 1;
    fputs("\n  \"environment\":{", f);
    jnum(f, "freq_nominal_mhz", e->freq_nominal_mhz, &first);
    jstr(f, "freq_nominal_from", e->freq_nominal_from, &first);
    jnum(f, "freq_min_mhz", e->freq_min_mhz, &first);
    jnum(f, "freq_median_mhz", e->freq_median_mhz, &first);
    jnum(f, "freq_max_mhz", e->freq_max_mhz, &first);
    jnum(f, "freq_samples", e->freq_samples, &first);
    jstr(f, "governor", e->governor, &first);
    jstr(f, "cpufreq_driver", e->driver, &first);
    jstr(f, "boost", e->boost, &first);
    jstr(f, "hypervisor", e->hypervisor, &first);
    jstr(f, "cgroup", e->cgroup, &first);
    jstr(f, "cpu_max", e->cpu_max, &first);
    jnum(f, "quota_cpus", e->quota_cpus, &first);
    jstr(f, "cpuset", e->cpuset, &first);
    jstr(f, "affinity", e->affinity, &first);
    jnum(f, "nice", e->nice_value, &first);
    jstr(f, "sched_policy", e->sched_policy, &first);
    jstr(f, "build_type", e->build_type, &first);
    jstr(f, "c_flags", e->c_flags, &first);
    jstr(f, "openmp_runtime", e->openmp, &first);
    jstr(f, "python", e->python, &first);
    jstr(f, "numpy", e->numpy, &first);
    jstr(f, "pin", b->pin ? b->pin : "none", &first);
    fputs(",\"variables\":[", f);
    for (unsigned i = 0; i < e->nvars; i++) {
        fputs(i ? "," : "", f);
        pie_cli_json_string(f, e->vars[i]);
    }
    fputs("]},\n  \"warnings\":[", f);
    for (unsigned i = 0; i < e->nwarn; i++) {
        fputs(i ? "," : "", f);
        pie_cli_json_string(f, e->warn[i]);
    }
    fputs("],", f);
}

/* ------------------------------------------------------------------------ */
/* report.md                                                                */

static void md_mhz(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.0f MHz", v);
    else
        fputs("unavailable", f);
}

void bench_md_environment(FILE *f, const bench *b)
{
    const pie_topology *t = b->topo;
    const bench_env *e = &b->env;
    fputs("## Warnings\n\n", f);
    if (!e->nwarn)
        fputs("None: nothing seen in the environment makes the figures less trustworthy.\n", f);
    for (unsigned i = 0; i < e->nwarn; i++)
        fprintf(f, "- %s\n", e->warn[i]);
    fputs("\n## Topology and environment\n\n| | |\n|---|---|\n", f);
    if (t && t->from_hwloc)
        fprintf(f,
                "| topology (%s) | %u package(s), %u NUMA node(s), %u physical cores, %u "
                "thread(s) per core, %u CPUs usable |\n| caches | L1d %llu KiB, L2 %llu KiB x "
                "%u, L3 %llu KiB x %u |\n| cores (siblings with commas) | %s |\n",
                t->source, t->packages, t->numa_nodes, t->cores, t->threads_per_core, t->cpus,
                (unsigned long long)t->l1d_bytes >> 10, (unsigned long long)t->l2_bytes >> 10,
                t->l2_count, (unsigned long long)t->l3_bytes >> 10, t->l3_count, t->core_list);
    else
        fprintf(f, "| topology | unavailable (no hwloc): %u CPUs, each counted as a core |\n",
                b->cores);
    if (t && t->cpu_kinds > 1)
        fprintf(f, "| core kinds | %s |\n", t->kinds);
    fprintf(f, "| placement (--pin) | %s |\n| frequency, nominal | ", b->pin ? b->pin : "none");
    md_mhz(f, e->freq_nominal_mhz);
    fprintf(f, " (%s) |\n| frequency during the runs (min / median / max) | ",
            e->freq_nominal_from);
    md_mhz(f, e->freq_min_mhz);
    fputs(" / ", f);
    md_mhz(f, e->freq_median_mhz);
    fputs(" / ", f);
    md_mhz(f, e->freq_max_mhz);
    fprintf(f, " (%u samples) |\n", e->freq_samples);
    fprintf(f,
            "| governor, driver, boost | %s, %s, %s |\n| hypervisor | %s |\n"
            "| cgroup cpu.max, cpuset | %s, %s |\n| affinity mask | %s |\n"
            "| nice, policy | %d, %s |\n| build | %s, flags `%s` |\n| OpenMP runtime | %s |\n"
            "| Python, NumPy | %s, %s |\n| variables | ",
            e->governor, e->driver, e->boost, e->hypervisor, e->cpu_max, e->cpuset, e->affinity,
            e->nice_value, e->sched_policy, e->build_type, e->c_flags, e->openmp,
            e->python[0] ? e->python : "not run", e->numpy[0] ? e->numpy : "not importable");
    for (unsigned i = 0; i < e->nvars; i++)
        fprintf(f, "%s`%s`", i ? ", " : "", e->vars[i]);
    fprintf(f, "%s |\n| shuffle seed, warm-up runs, cool-down | %llu, %u, %.3g s |\n\n",
            e->nvars ? "" : "none", (unsigned long long)b->seed, b->warmup, b->cooldown);
}
