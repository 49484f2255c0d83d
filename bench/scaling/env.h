/** @brief `pie bench scaling`: the environment a run happens in (frequency, governor, boost,
 * hypervisor, steal, cgroup limits, variables, scheduling, build), and its warnings. */
#ifndef PIE_BENCH_ENV_H
#define PIE_BENCH_ENV_H

#include <pthread.h>
#include <stdint.h>

#define BENCH_ENV_VARS 24
#define BENCH_ENV_WARNINGS 12
#define BENCH_FREQ_SAMPLES 4096

typedef struct bench_env {
    /* frequency (MHz; NaN: unavailable) */
    double freq_nominal_mhz;
    char freq_nominal_from[48]; /* "cpuinfo_max_freq", "model name", "unavailable" */
    double freq_min_mhz, freq_median_mhz, freq_max_mhz; /* sampled during the runs */
    unsigned freq_samples;
    char governor[32], boost[32], hypervisor[48], driver[32];
    /* cgroup (v2) */
    char cgroup[256], cpu_max[64], cpuset[128];
    double quota_cpus; /* cpu.max quota / period; NaN: no limit */
    /* variables and scheduling */
    char vars[BENCH_ENV_VARS][160];
    unsigned nvars;
    int nice_value;
    char sched_policy[24];
    char affinity[128];
    /* build */
    const char *build_type, *c_flags;
    char openmp[64];
    char python[64], numpy[64]; /* from the Python baselines; "" if none ran */
    /* warnings, one line each */
    char warn[BENCH_ENV_WARNINGS][220];
    unsigned nwarn;
    /* the frequency sampler */
    pthread_t thread;
    int sampling;
    volatile int stop;
    float *samples; /* MHz, averaged over CPUs at each tick */
} bench_env;

/* Read what does not change during a run (before the runs). */
void bench_env_capture(bench_env *e);
/* Sample the mean frequency of the CPUs every 250 ms until stopped. */
void bench_env_start_sampler(bench_env *e);
void bench_env_stop_sampler(bench_env *e);
void bench_env_free(bench_env *e);

/* /proc/stat's aggregate CPU line: total and steal ticks; 0 on success. */
int bench_env_cpu_ticks(uint64_t *total, uint64_t *steal);

/* Add a warning line (printf-style). */
void bench_env_warn(bench_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
