/** @brief The Chudnovsky series on one thread: the time pie__chud_split takes over every chunk of
 * a job, and the merges above the chunks. */
#include "chud_split.h"
#include "chudnovsky.h" /* the merge stack */
#include "engine.h"     /* pie__now */
#include "stats.h"      /* bench_summarize (bench/scaling) */

#include <stdio.h>
#include <stdlib.h>

/*
 * The chunk figures in docs/digits.md ("Shared factors removed by factor
 * tracking") come from this program: for D digits, every chunk of the job
 * split on this thread (what the workers do, factor lists and all), one
 * after another; the median of R runs. Then the merges above those
 * chunks on one thread: those the stack does as the chunks come (during a
 * run's series) and the top merges after the last one (pie__chud_top). It
 * prints "digits,chunks,terms,median_seconds,min_seconds,
 * merges_median_seconds,top_median_seconds". Usage:
 * bench_chud_split [DIGITS...] (default 1e6 1e7); env BENCH_REPS (default 5).
 */

/* Every chunk of job split, one after another: seconds. The nodes are kept
 * in n (job->nchunks entries) for merges(), which owns them from then on. */
static double chunks(const pie__chud_job *job, pie__chud_node *n)
{
    double t0 = pie__now();
    for (uint64_t c = 0; c < job->nchunks; c++) {
        uint64_t a, b;
        pie__chud_chunk_range(job, c, &a, &b);
        pie__chud_node_init(&n[c]);
        pie__chud_split(job, &n[c], a, b);
    }
    return pie__now() - t0;
}

/* The nodes n[0 .. nchunks) (malloc'd, each split) pushed onto a merge stack
 * on this thread and merged to the root: the pushes' seconds into *series,
 * the top merges' into *top. n and its nodes are freed. 0, or -1 when out
 * of memory. */
static int merges(const pie__chud_job *job, pie__chud_node *n, double *series, double *top)
{
    pie__chud_acc *acc = pie__chud_acc_new();
    int rc = acc ? 0 : -1;
    uint64_t c = 0;
    if (rc == 0) {
        pie__chud_acc_set_threads(acc, 1);
        double t0 = pie__now();
        for (; rc == 0 && c < job->nchunks; c++) {
            pie__chud_node *x = malloc(sizeof *x);
            if (!x) {
                rc = -1;
                break;
            }
            *x = n[c]; /* the stack owns it now */
            rc = pie__chud_acc_push(acc, job, c, x) == PIE_K_OK ? 0 : -1;
        }
        double t1 = pie__now();
        pie__par par = pie__par_threads(1);
        if (rc == 0)
            rc = pie__chud_top(acc, job, &par) == PIE_K_OK ? 0 : -1;
        *series = t1 - t0;
        *top = pie__now() - t1;
    }
    for (; c < job->nchunks; c++)
        pie__chud_node_clear(&n[c]);
    free(n);
    if (acc)
        pie__chud_acc_free(acc);
    return rc;
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
    double *t = malloc(3 * (size_t)reps * sizeof *t);
    if (!t)
        return 1;
    double *tm = t + reps, *tt = t + 2 * reps;
    printf("digits,chunks,terms,median_seconds,min_seconds,merges_median_seconds,top_median_"
           "seconds\n");
    for (int i = 0; i < nsizes; i++) {
        uint64_t D = (uint64_t)strtod(sizes[i], NULL);
        pie__chud_job job;
        if (pie__chud_job_init(&job, D, 10, 64) != PIE_K_OK) {
            fprintf(stderr, "bench_chud_split: bad digit count '%s'\n", sizes[i]);
            free(t);
            return 2;
        }
        for (int r = 0; r < reps; r++) {
            pie__chud_node *n = malloc(job.nchunks * sizeof *n);
            if (n)
                t[r] = chunks(&job, n);
            if (!n || merges(&job, n, &tm[r], &tt[r]) != 0) {
                fprintf(stderr, "bench_chud_split: out of memory at %llu digits\n",
                        (unsigned long long)D);
                free(t);
                return 1;
            }
        }
        bench_summary sum, sm, st;
        bench_summarize(t, (unsigned)reps, &sum);
        bench_summarize(tm, (unsigned)reps, &sm);
        bench_summarize(tt, (unsigned)reps, &st);
        printf("%llu,%llu,%llu,%.4f,%.4f,%.4f,%.4f\n", (unsigned long long)D,
               (unsigned long long)job.nchunks, (unsigned long long)job.nterms, sum.median, sum.min,
               sm.median, st.median);
        fflush(stdout);
    }
    free(t);
    return 0;
}
