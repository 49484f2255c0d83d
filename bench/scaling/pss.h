/** @brief `pie bench scaling`: memory per worker, PSS sampled by a thread while a run is in flight.
 */
#ifndef PIE_BENCH_PSS_H
#define PIE_BENCH_PSS_H

#include <pthread.h>
#include <stdatomic.h>

#define PSS_MAX_PIDS 512

typedef struct pss_sampler {
    pthread_t thread;
    atomic_int stop;
    long self_max_kib;
    int npids;
    long pid[PSS_MAX_PIDS];
    long pss_kib[PSS_MAX_PIDS]; /* the largest PSS seen per child */
    int samples;
    int available; /* smaps_rollup readable */
} pss_sampler;

/* PSS in KiB of /proc/<pid>/smaps_rollup ("self" when pid is 0); -1 if unreadable. */
long pss_read(long pid);
/* Start sampling this process and its children every 10 ms; -1 if PSS is unreadable. */
int pss_start(pss_sampler *s);
void pss_stop(pss_sampler *s);

#endif
