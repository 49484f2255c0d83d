/** @brief Bit-identical Monte Carlo counts across backends x workers x seeds x sizes; no child left
 * behind. */
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Children of this process still present in /proc (zombies included). */
static int count_children(void)
{
    int n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    struct dirent *e;
    pid_t me = getpid();
    while ((e = readdir(d))) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *rp = strrchr(buf, ')'); /* comm may hold spaces */
        int ppid = 0;
        char state;
        if (rp && sscanf(rp + 2, "%c %d", &state, &ppid) == 2 && ppid == me)
            n++;
    }
    closedir(d);
    return n;
}

/* One run; the result's inside count (0 on failure, reported). */
static pie_status run(pie_ctx *ctx, uint64_t samples, uint64_t seed, uint64_t *inside,
                      double *estimate)
{
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = samples;
    o.seed = seed;
    pie_mc_result *r;
    pie_status st = pie_mc_run(ctx, &o, &r);
    *inside = st == PIE_OK ? r->inside : 0;
    *estimate = st == PIE_OK ? r->estimate : 0.0;
    pie_result_free(r);
    return st;
}

int main(void)
{
    test_begin("test_mc_backends");
    const uint64_t C = PIE_MC_CHUNK_SAMPLES;
    const uint64_t sizes[] = {1, 2, 3, 1001, C - 1, C, C + 1, 2 * C + 12345};
    const uint64_t seeds[] = {0, 1, 0xdeadbeefcafef00dULL};
    const unsigned workers[] = {1, 2, 3, 5};
    int runs = 0;
    pie_ctx *ctx = pie_ctx_create();
    if (!ctx)
        return 1;
    const char *isa = getenv("PIE_ISA");
    pie_isa want = PIE_ISA_AUTO;
    if (isa && *isa) {
        if (pie_isa_from_name(isa, &want) != PIE_OK ||
            pie_isa_check(PIE_WORKLOAD_MC, want) != PIE_OK) {
            printf("SKIP: PIE_ISA=%s not supported here\n", isa);
            pie_ctx_free(ctx);
            return 77;
        }
    }
    CHECK(pie_ctx_set_isa(ctx, want) == PIE_OK);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (size_t ki = 0; ki < sizeof seeds / sizeof seeds[0]; ki++) {
            if (sizes[si] > C && ki == 2)
                continue; /* keep the big sizes to two seeds */
            uint64_t ref;
            double ref_est;
            pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL);
            if (run(ctx, sizes[si], seeds[ki], &ref, &ref_est) != PIE_OK) {
                printf("FAIL: serial run: %s\n", pie_ctx_last_error(ctx));
                return 1;
            }
            for (int b = PIE_BACKEND_PROCESS; b <= PIE_BACKEND_THREAD; b++) {
                if (pie_backend_available((pie_backend)b) != PIE_OK)
                    continue;
                for (size_t wi = 0; wi < sizeof workers / sizeof workers[0]; wi++) {
                    uint64_t inside;
                    double est;
                    pie_ctx_set_backend(ctx, (pie_backend)b);
                    pie_ctx_set_workers(ctx, workers[wi]);
                    pie_status st = run(ctx, sizes[si], seeds[ki], &inside, &est);
                    runs++;
                    CHECKF(st == PIE_OK && inside == ref && est == ref_est,
                           "N=%llu seed=%llu backend=%s workers=%u: %llu vs serial %llu (%s)",
                           (unsigned long long)sizes[si], (unsigned long long)seeds[ki],
                           pie_backend_name((pie_backend)b), workers[wi],
                           (unsigned long long)inside, (unsigned long long)ref,
                           st == PIE_OK ? "mismatch" : pie_ctx_last_error(ctx));
                    if (b == PIE_BACKEND_PROCESS)
                        CHECKF(count_children() == 0,
                               "child processes left after a process-backend run");
                }
            }
        }
    }
    /* Seeds give different streams; the same seed gives the same count. */
    uint64_t a, b2, a2;
    double e;
    pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL);
    CHECK(run(ctx, 100000, 1, &a, &e) == PIE_OK);
    CHECK(run(ctx, 100000, 2, &b2, &e) == PIE_OK);
    CHECK(run(ctx, 100000, 1, &a2, &e) == PIE_OK);
    CHECKF(a != b2, "seeds 1 and 2 gave the same count");
    CHECKF(a == a2, "seed 1 gave %llu, then %llu", (unsigned long long)a, (unsigned long long)a2);
    errno = 0;
    CHECKF(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "an unreaped child remains");
    printf("%d runs, kernel %s: %s\n", runs,
           pie_isa_name(want == PIE_ISA_AUTO ? pie_isa_best(PIE_WORKLOAD_MC) : want),
           test_failures() ? "FAILED" : "all bit-identical to serial");
    pie_ctx_free(ctx);
    return test_finish();
}
