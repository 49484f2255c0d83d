/** @brief Worker placement: the machine's CPUs from hwloc (or the affinity mask), pin specs
 * resolved to one CPU per worker, and the CPUs workers ran on. */
#ifndef PIE_PLACEMENT_H
#define PIE_PLACEMENT_H

#include "engine.h"

/* One logical CPU of the machine, with where it sits. Indices count in
 * hwloc's order (the machine's physical order), among the CPUs listed. */
typedef struct pie__pu {
    unsigned cpu;          /* the OS's number (sched_setaffinity) */
    unsigned core;         /* index of its physical core */
    unsigned node;         /* index of its NUMA node (else package) */
    unsigned smt;          /* its rank among its core's CPUs (0: the first) */
    unsigned core_in_node; /* its core's rank within its node */
} pie__pu;

/* Every CPU hwloc lists (the cgroup's allowed set), probed once and cached;
 * without hwloc, the CPUs of the affinity mask at the first call, each its
 * own core. n is 0 only when out of memory. */
typedef struct pie__cpu_map {
    const pie__pu *pu;
    unsigned n;
    int from_hwloc;
} pie__cpu_map;
const pie__cpu_map *pie__cpu_map_get(void);

/* Longest pin spec, with its NUL. */
#define PIE_PIN_MAX 256u

/* Check a spec ("none", "cores", "threads", "compact", "scatter" or a list
 * of CPUs such as "0,2,4-7") against this process's allowed CPUs. PIE_OK,
 * or PIE_EINVAL with the reason in `why`. */
pie_status pie__pin_check(const char *spec, char *why, size_t whylen);

/* The CPU of each of `workers` workers under `spec` (not "none"):
 * cpus[k] for worker k; a spec with fewer CPUs than workers wraps around.
 * PIE_EINVAL with the reason in `why`. */
pie_status pie__pin_resolve(const char *spec, unsigned workers, unsigned *cpus, char *why,
                            size_t whylen);

/* Pin the calling thread to `cpu`; `saved` (if not NULL) receives its mask
 * before. 0 on success. */
int pie__pin_thread(unsigned cpu, void *saved, size_t saved_size);
/* Restore a mask saved by pie__pin_thread. */
void pie__pin_restore(const void *saved, size_t saved_size);

/* The CPU a process last ran on (/proc/PID/stat), -1 if unknown. */
int pie__cpu_of_pid(int pid);

/* Thread backend, inside the parallel region: pin OpenMP thread `tid` as
 * the run asks (saving its mask in `saved`), and on leaving record where it
 * ran and restore the mask (libgomp reuses its threads across runs). */
void pie__thread_pin_enter(const pie_ctx *ctx, int tid, void *saved, size_t saved_size);
void pie__thread_pin_leave(const pie_ctx *ctx, int tid, const void *saved, size_t saved_size);
/* Process backend: in worker k's child, set its affinity as the run asks. */
void pie__proc_pin_self(const pie_ctx *ctx, unsigned k);
/* Process backend: record where worker k (process pid) last ran. */
void pie__proc_note_cpu(const pie_ctx *ctx, unsigned k, int pid);

/* A run's placement, between pie__placement_begin and _end. */
typedef struct pie__placement {
    unsigned *pin; /* resolved CPUs, NULL when not pinned */
    int *cpu;      /* where each worker ran, -1 unknown */
    unsigned workers;
    int one_worker;           /* the backend runs in the calling thread: pinned here */
    int record;               /* this run's backend reports CPUs (not a nesting one) */
    unsigned char saved[128]; /* the calling thread's mask (one_worker) */
} pie__placement;

/* Resolve the context's spec for `workers` on a backend with `flags` and
 * set ctx->run_pin / run_cpu (PIE_EINVAL for a spec on a launcher backend,
 * PIE_ENOMEM); a one-worker backend's thread is pinned here. */
pie_status pie__placement_begin(pie_ctx *ctx, unsigned flags, unsigned workers, pie__placement *pl);
/* Unpin, write ctx->worker_cpus, clear the run's fields. */
void pie__placement_end(pie_ctx *ctx, pie__placement *pl);

#endif
