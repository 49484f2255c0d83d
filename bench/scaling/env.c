/** @brief `pie bench scaling`: capture the environment (frequency, governor, boost, hypervisor,
 * cgroup limits, variables, scheduling, build) and sample the CPU frequency during the runs. */
#include "env.h"

#include <link.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#ifndef PIE_BUILD_TYPE
#define PIE_BUILD_TYPE "unknown"
#endif
#ifndef PIE_C_FLAGS
#define PIE_C_FLAGS "unknown"
#endif

extern char **environ;

/* The first line of a file, trimmed, or "" (returns 0 when read). */
static int read_line(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return ok ? 0 : -1;
}

void bench_env_warn(bench_env *e, const char *fmt, ...)
{
    if (e->nwarn >= BENCH_ENV_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->warn[e->nwarn++], sizeof e->warn[0], fmt, ap);
    va_end(ap);
}

static void frequency_static(bench_env *e)
{
    char buf[128];
    e->freq_nominal_mhz = NAN;
    snprintf(e->freq_nominal_from, sizeof e->freq_nominal_from, "unavailable");
    if (read_line("/sys/devices/system/cpu/cpu0/cpufreq/base_frequency", buf, sizeof buf) == 0 ||
        read_line("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", buf, sizeof buf) == 0) {
        e->freq_nominal_mhz = atof(buf) / 1000.0;
        snprintf(e->freq_nominal_from, sizeof e->freq_nominal_from, "cpufreq");
    } else {
        /* "Intel(R) Xeon(R) ... @ 2.10GHz" */
        FILE *f = fopen("/proc/cpuinfo", "r");
        char line[512];
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, "model name", 10) == 0) {
                char *at = strstr(line, "@ ");
                if (at && strstr(at, "GHz")) {
                    e->freq_nominal_mhz = atof(at + 2) * 1000.0;
                    snprintf(e->freq_nominal_from, sizeof e->freq_nominal_from, "model name");
                }
                break;
            }
        if (f)
            fclose(f);
    }
    if (read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", e->governor,
                  sizeof e->governor) != 0)
        snprintf(e->governor, sizeof e->governor, "unavailable");
    if (read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver", e->driver,
                  sizeof e->driver) != 0)
        snprintf(e->driver, sizeof e->driver, "unavailable");
    if (read_line("/sys/devices/system/cpu/cpufreq/boost", buf, sizeof buf) == 0)
        snprintf(e->boost, sizeof e->boost, "%s", atoi(buf) ? "on" : "off");
    else if (read_line("/sys/devices/system/cpu/intel_pstate/no_turbo", buf, sizeof buf) == 0)
        snprintf(e->boost, sizeof e->boost, "%s", atoi(buf) ? "off" : "on");
    else
        snprintf(e->boost, sizeof e->boost, "unavailable");
}

static void hypervisor(bench_env *e)
{
    snprintf(e->hypervisor, sizeof e->hypervisor, "none detected");
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 31))) {
        char v[13] = {0};
        __cpuid(0x40000000, a, b, c, d);
        memcpy(v, &b, 4);
        memcpy(v + 4, &c, 4);
        memcpy(v + 8, &d, 4);
        snprintf(e->hypervisor, sizeof e->hypervisor, "%s", v[0] ? v : "unknown");
        return;
    }
#endif
    char buf[48];
    if (read_line("/sys/hypervisor/type", buf, sizeof buf) == 0 && buf[0])
        snprintf(e->hypervisor, sizeof e->hypervisor, "%s", buf);
}

/* cgroup v2 (the "0::" line), else v1's cpu and cpuset controllers. */
static void cgroup(bench_env *e)
{
    char line[512], v1cpu[256] = "", v1set[256] = "", path[600], buf[128];
    FILE *f = fopen("/proc/self/cgroup", "r");
    e->quota_cpus = NAN;
    snprintf(e->cpu_max, sizeof e->cpu_max, "unavailable");
    snprintf(e->cpuset, sizeof e->cpuset, "unavailable");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *p = strchr(line, ':'), *q = p ? strchr(p + 1, ':') : NULL;
        if (!q)
            continue;
        if (strncmp(line, "0::", 3) == 0)
            snprintf(e->cgroup, sizeof e->cgroup, "%s", q + 1);
        else if (strstr(p, ":cpu,") || strstr(p, ",cpu:") || strncmp(p, ":cpu:", 5) == 0)
            snprintf(v1cpu, sizeof v1cpu, "%s", q + 1);
        else if (strncmp(p, ":cpuset:", 8) == 0)
            snprintf(v1set, sizeof v1set, "%s", q + 1);
    }
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpu.max", e->cgroup);
    if (read_line(path, e->cpu_max, sizeof e->cpu_max) == 0) {
        double quota, period;
        if (sscanf(e->cpu_max, "%lf %lf", &quota, &period) == 2 && period > 0)
            e->quota_cpus = quota / period;
        snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpuset.cpus.effective", e->cgroup);
        read_line(path, e->cpuset, sizeof e->cpuset);
        return;
    }
    snprintf(path, sizeof path, "/sys/fs/cgroup/cpu%s/cpu.cfs_quota_us", v1cpu);
    if (read_line(path, buf, sizeof buf) == 0) {
        long quota = atol(buf);
        snprintf(path, sizeof path, "/sys/fs/cgroup/cpu%s/cpu.cfs_period_us", v1cpu);
        long period = read_line(path, buf, sizeof buf) == 0 ? atol(buf) : 0;
        snprintf(e->cpu_max, sizeof e->cpu_max, quota < 0 ? "max %ld (v1)" : "%ld %ld (v1)",
                 quota < 0 ? period : quota, period);
        if (quota > 0 && period > 0)
            e->quota_cpus = (double)quota / (double)period;
    }
    snprintf(path, sizeof path, "/sys/fs/cgroup/cpuset%s/cpuset.cpus", v1set);
    read_line(path, e->cpuset, sizeof e->cpuset);
}

static int omp_lib(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const char *base = strrchr(info->dlpi_name, '/');
    base = base ? base + 1 : info->dlpi_name;
    if (strstr(base, "libgomp") || strstr(base, "libomp") || strstr(base, "libiomp"))
        snprintf(data, 64, "%s", base);
    return 0;
}

static void process_state(bench_env *e)
{
    for (char **v = environ; v && *v && e->nvars < BENCH_ENV_VARS; v++)
        if (strncmp(*v, "OMP_", 4) == 0 || strncmp(*v, "GOMP_", 5) == 0 ||
            strncmp(*v, "KMP_", 4) == 0 || strncmp(*v, "PIE_", 4) == 0)
            snprintf(e->vars[e->nvars++], sizeof e->vars[0], "%s", *v);
    e->nice_value = getpriority(PRIO_PROCESS, 0);
    int pol = sched_getscheduler(0);
    snprintf(e->sched_policy, sizeof e->sched_policy, "%s",
             pol == SCHED_OTHER   ? "SCHED_OTHER"
             : pol == SCHED_BATCH ? "SCHED_BATCH"
             : pol == SCHED_IDLE  ? "SCHED_IDLE"
             : pol == SCHED_FIFO  ? "SCHED_FIFO"
             : pol == SCHED_RR    ? "SCHED_RR"
                                  : "unknown");
    e->build_type = PIE_BUILD_TYPE;
    e->c_flags = PIE_C_FLAGS;
    snprintf(e->openmp, sizeof e->openmp, "none loaded");
    dl_iterate_phdr(omp_lib, e->openmp);
    cpu_set_t set;
    size_t used = 0;
    e->affinity[0] = '\0';
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE && used < sizeof e->affinity; c++)
            if (CPU_ISSET(c, &set) && !(c > 0 && CPU_ISSET(c - 1, &set))) {
                int last = c;
                while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set))
                    last++;
                used += (size_t)(last == c ? snprintf(e->affinity + used, sizeof e->affinity - used,
                                                      "%s%d", used ? "," : "", c)
                                           : snprintf(e->affinity + used, sizeof e->affinity - used,
                                                      "%s%d-%d", used ? "," : "", c, last));
            }
}

void bench_env_capture(bench_env *e)
{
    memset(e, 0, sizeof *e);
    e->freq_min_mhz = e->freq_median_mhz = e->freq_max_mhz = NAN;
    frequency_static(e);
    hypervisor(e);
    cgroup(e);
    process_state(e);
}

int bench_env_cpu_ticks(uint64_t *total, uint64_t *steal)
{
    char line[512];
    *total = *steal = 0;
    if (read_line("/proc/stat", line, sizeof line) != 0 || strncmp(line, "cpu ", 4) != 0)
        return -1;
    unsigned long long v[10] = {0};
    int n = sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    /* guest and guest_nice (8, 9) are already inside user and nice. */
    for (int i = 0; i < n && i < 8; i++)
        *total += v[i];
    *steal = n >= 8 ? v[7] : 0;
    return n >= 4 ? 0 : -1;
}

/* The mean current frequency over the CPUs that report one (MHz); NaN if none. */
static double mean_freq(void)
{
    double sum = 0;
    unsigned n = 0;
    char path[96], buf[32];
    for (unsigned c = 0; c < 4096; c++) {
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_cur_freq", c);
        if (read_line(path, buf, sizeof buf) != 0) {
            if (c > 0)
                break;
            return NAN;
        }
        sum += atof(buf) / 1000.0;
        n++;
    }
    return n ? sum / n : NAN;
}

static void *sampler(void *arg)
{
    bench_env *e = arg;
    while (!e->stop && e->freq_samples < BENCH_FREQ_SAMPLES) {
        double f = mean_freq();
        if (isnan(f))
            break;
        e->samples[e->freq_samples++] = (float)f;
        struct timespec ts = {0, 250000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

void bench_env_start_sampler(bench_env *e)
{
    if (isnan(mean_freq()))
        return; /* "unavailable": no cpufreq (many hypervisors) */
    e->samples = calloc(BENCH_FREQ_SAMPLES, sizeof *e->samples);
    e->stop = 0;
    if (e->samples && pthread_create(&e->thread, NULL, sampler, e) == 0)
        e->sampling = 1;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

void bench_env_stop_sampler(bench_env *e)
{
    if (!e->sampling)
        return;
    e->stop = 1;
    pthread_join(e->thread, NULL);
    e->sampling = 0;
    unsigned n = e->freq_samples;
    if (!n)
        return;
    qsort(e->samples, n, sizeof *e->samples, cmp_float);
    e->freq_min_mhz = e->samples[0];
    e->freq_max_mhz = e->samples[n - 1];
    e->freq_median_mhz =
        n % 2 ? e->samples[n / 2] : 0.5 * ((double)e->samples[n / 2 - 1] + e->samples[n / 2]);
}

void bench_env_free(bench_env *e)
{
    bench_env_stop_sampler(e);
    free(e->samples);
    e->samples = NULL;
}
