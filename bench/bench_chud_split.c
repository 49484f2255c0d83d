/** @brief The Chudnovsky series' chunks on one thread: the time pie__chud_split takes over every
 * chunk of a job. */
#include "chud_split.h"
#include "engine.h" /* pie__now */
#include "stats.h"  /* bench_summarize (bench/scaling) */

#include <stdio.h>
#include <stdlib.h>

/*
 * The chunk figures in docs/digits.md ("Shared factors removed by factor
 * tracking") come from this program: for D digits, every chunk of the job
 * split on this thread (what the workers do, factor lists and all), one
 * after another; the median of R runs. It prints
 * "digits,chunks,terms,median_seconds,min_seconds". Usage:
 * bench_chud_split [DIGITS...] (default 1e6 1e7); env BENCH_REPS (default 5).
 */

/* Every chunk of job, split and dropped: seconds. */
static double chunks(const pie__chud_job *job)
{
    double t0 = pie__now();
    for (uint64_t c = 0; c < job->nchunks; c++) {
        uint64_t a, b;
        pie__chud_chunk_range(job, c, &a, &b);
        pie__chud_node x;
        pie__chud_node_init(&x);
        pie__chud_split(job, &x, a, b);
        pie__chud_node_clear(&x);
    }
    return pie__now() - t0;
}

int main(int argc, char **argv)
{
    static const char *def[] = {"1e6", "1e7"};
    const char **sizes = argc > 1 ? (const char **)argv + 1 : def;
    int nsizes = argc > 1 ? argc - 1 : 2;
    const char *env = getenv("BENCH_REPS");
    int reps = env ? atoi(env) : 5;
    if (reps < 1 || reps > 101)
        reps = 5;
    double *t = malloc((size_t)reps * sizeof *t);
    if (!t)
        return 1;
    printf("digits,chunks,terms,median_seconds,min_seconds\n");
    for (int i = 0; i < nsizes; i++) {
        uint64_t D = (uint64_t)strtod(sizes[i], NULL);
        pie__chud_job job;
        if (pie__chud_job_init(&job, D, 10, 64) != PIE_K_OK) {
            fprintf(stderr, "bench_chud_split: bad digit count '%s'\n", sizes[i]);
            free(t);
            return 2;
        }
        for (int r = 0; r < reps; r++)
            t[r] = chunks(&job);
        bench_summary sum;
        bench_summarize(t, (unsigned)reps, &sum);
        printf("%llu,%llu,%llu,%.4f,%.4f\n", (unsigned long long)D, (unsigned long long)job.nchunks,
               (unsigned long long)job.nterms, sum.median, sum.min);
        fflush(stdout);
    }
    free(t);
    return 0;
}
