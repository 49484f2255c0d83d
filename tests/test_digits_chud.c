/** @brief Chudnovsky through pie_digits_run: every backend and worker count, retries, each check
 * catching an injected fault. */
#include "chudnovsky.h"
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static pie_ctx *make(pie_backend b, unsigned workers)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_backend(ctx, b);
    pie_ctx_set_workers(ctx, workers);
    return ctx;
}

static pie_status run(pie_ctx *ctx, uint64_t D, unsigned base, pie_digits_algorithm a, int verify,
                      const char *path, pie_digits_result **r)
{
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = D;
    o.base = base;
    o.algorithm = a;
    o.verify = verify;
    o.path = path;
    return pie_digits_run(ctx, &o, r);
}

/* Either side of every change of the chunk count (2 .. 32): the same bytes
 * as the BBP series, on every backend and worker count. */
static void check_backends(void)
{
    uint64_t sizes[20][2], D;
    unsigned n = 0;
    for (unsigned base = 10; base <= 16; base += 6) {
        D = 1;
        for (uint64_t c = 2; c <= 32; c *= 2) {
            pie__chud_job j;
            while (pie__chud_job_init(&j, D, base, 32) == PIE_K_OK && j.nchunks < c)
                D++;
            sizes[n][0] = D - 1;
            sizes[n++][1] = base;
            sizes[n][0] = D;
            sizes[n++][1] = base;
        }
    }
    static const struct {
        pie_backend b;
        unsigned w;
    } runs[] = {{PIE_BACKEND_PROCESS, 1}, {PIE_BACKEND_PROCESS, 2}, {PIE_BACKEND_PROCESS, 3},
                {PIE_BACKEND_PROCESS, 5}, {PIE_BACKEND_THREAD, 1},  {PIE_BACKEND_THREAD, 2},
                {PIE_BACKEND_THREAD, 3}};
    for (size_t s = 0; s < n; s++) {
        D = sizes[s][0];
        unsigned base = (unsigned)sizes[s][1];
        pie_ctx *ctx = make(PIE_BACKEND_SERIAL, 1);
        pie_digits_result *ref, *bbp;
        CHECK_STATUS(run(ctx, D, base, PIE_DIGITS_CHUDNOVSKY, 0, NULL, &ref), PIE_OK);
        CHECK_STATUS(run(ctx, D, base, PIE_DIGITS_BBP, 0, NULL, &bbp), PIE_OK);
        CHECKF(ref->text && bbp->text && strcmp(ref->text, bbp->text) == 0,
               "D=%llu base %u: chudnovsky and bbp differ", (unsigned long long)D, base);
        pie_result_free(bbp);
        pie_ctx_free(ctx);
        for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
            if (pie_backend_available(runs[k].b) != PIE_OK)
                continue;
            ctx = make(runs[k].b, runs[k].w);
            pie_digits_result *r;
            pie_status st = run(ctx, D, base, PIE_DIGITS_CHUDNOVSKY, 0, NULL, &r);
            CHECKF(st == PIE_OK && r->text && ref->text && strcmp(r->text, ref->text) == 0,
                   "D=%llu %s x%u differs from serial (%s)", (unsigned long long)D,
                   pie_backend_name(runs[k].b), runs[k].w, pie_ctx_last_error(ctx));
            if (st == PIE_OK && runs[k].b == PIE_BACKEND_PROCESS) {
                /* The workers, let go before the digest, are reaped by the
                 * run's end, and their peak counted in the result's. */
                CHECKF(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
                       "D=%llu process x%u: a worker was left unreaped", (unsigned long long)D,
                       runs[k].w);
                struct rusage self;
                getrusage(RUSAGE_SELF, &self);
                CHECKF(r->peak_rss_bytes > (uint64_t)self.ru_maxrss * 1024u,
                       "D=%llu process x%u: peak %llu B leaves out the workers' (this process "
                       "alone: %ld KiB)",
                       (unsigned long long)D, runs[k].w, (unsigned long long)r->peak_rss_bytes,
                       self.ru_maxrss);
            }
            pie_result_free(r);
            pie_ctx_free(ctx);
        }
        pie_result_free(ref);
    }
}

/* Past the size where the conversion's top split is done by products
 * (250001), and past the size where the big products and the two conversion
 * halves become tasks on the process backend's workers when asked
 * (1500001; from 2000001 the square of 5^L too, whose pieces have both
 * operands at one address): the serial run's bytes, with the big operations on threads and
 * on workers, and the result says where they ran. */
static void check_split(uint64_t D)
{
    pie_ctx *ctx = make(PIE_BACKEND_SERIAL, 1);
    pie_digits_result *ref, *r;
    CHECK_STATUS(run(ctx, D, 10, PIE_DIGITS_CHUDNOVSKY, 0, NULL, &ref), PIE_OK);
    pie_ctx_free(ctx);
    static const struct {
        pie_backend b;
        unsigned w;
        pie_digits_big_ops where;
        const char *ran;
    } runs[] = {{PIE_BACKEND_PROCESS, 2, PIE_DIGITS_BIG_OPS_THREADS, "threads"},
                {PIE_BACKEND_PROCESS, 2, PIE_DIGITS_BIG_OPS_WORKERS, "workers"},
                {PIE_BACKEND_PROCESS, 3, PIE_DIGITS_BIG_OPS_WORKERS, "workers"},
                {PIE_BACKEND_THREAD, 2, PIE_DIGITS_BIG_OPS_WORKERS, "threads"}};
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        if (pie_backend_available(runs[k].b) != PIE_OK)
            continue;
        ctx = make(runs[k].b, runs[k].w);
        pie_digits_options o;
        pie_digits_options_init(&o);
        o.digits = D;
        o.big_ops = runs[k].where;
        CHECK_STATUS(pie_digits_run(ctx, &o, &r), PIE_OK);
        CHECKF(r->text && ref->text && strcmp(r->text, ref->text) == 0,
               "%llu digits, %s x%u, big operations on %s", (unsigned long long)D,
               pie_backend_name(runs[k].b), runs[k].w, runs[k].ran);
        CHECKF(strcmp(r->big_ops_name, runs[k].ran) == 0, "big operations ran on %s, not %s",
               r->big_ops_name, runs[k].ran);
        pie_result_free(r);
        pie_ctx_free(ctx);
    }
    pie_result_free(ref);
}

/* One guard bit: the last-digit check fails for some sizes and the run
 * retries; every run gives the default run's digits. */
static void check_retry(void)
{
    int retried = 0;
    for (uint64_t D = 990; D < 1030; D++) {
        pie_ctx *ctx = make(PIE_BACKEND_PROCESS, 2);
        pie_digits_result *want, *got;
        CHECK_STATUS(run(ctx, D, D & 1 ? 16 : 10, PIE_DIGITS_CHUDNOVSKY, 0, NULL, &want), PIE_OK);
        pie_ctx_set_test_guard_bits(ctx, 1);
        CHECK_STATUS(run(ctx, D, D & 1 ? 16 : 10, PIE_DIGITS_CHUDNOVSKY, 0, NULL, &got), PIE_OK);
        CHECKF(got->text && want->text && strcmp(got->text, want->text) == 0,
               "D=%llu guard 1 differs", (unsigned long long)D);
        retried += got->attempts > 1;
        pie_result_free(want);
        pie_result_free(got);
        pie_ctx_free(ctx);
    }
    CHECKF(retried > 0, "one guard bit never made a run retry");
}

/* Each check catches the fault meant for it; a failed run writes nothing. */
static void check_faults(void)
{
    char dir[] = "/tmp/pie_test_chud_XXXXXX", path[600];
    CHECKF(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof path, "%s/pi.txt", dir);
    static const struct {
        pie_test_corrupt where;
        int verify;
        unsigned base;
        pie_status want;
        const char *note;
    } cases[] = {
        {PIE_TEST_CORRUPT_BINARY, 1, 10, PIE_EVERIFY, "the series gives hex digits"},
        {PIE_TEST_CORRUPT_BINARY, 1, 16, PIE_EVERIFY, "the series gives hex digits"},
        {PIE_TEST_CORRUPT_VALUE, 1, 10, PIE_EVERIFY, "MISMATCH with mpfr_const_pi"},
        {PIE_TEST_CORRUPT_VALUE, 1, 16, PIE_EVERIFY, "MISMATCH with mpfr_const_pi"},
        {PIE_TEST_CORRUPT_TEXT, 0, 10, PIE_EVERIFY, "not the computed value"},
        {PIE_TEST_CORRUPT_TEXT, 0, 16, PIE_EVERIFY, "not the computed value"},
        {PIE_TEST_CORRUPT_NONE, 1, 10, PIE_OK, "radix conversion checked"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pie_ctx *ctx = make(PIE_BACKEND_PROCESS, 2);
        CHECK_STATUS(pie_ctx_set_test_corrupt(ctx, cases[i].where), PIE_OK);
        CHECK(pie_ctx_get_test_corrupt(ctx) == cases[i].where);
        pie_digits_result *r;
        pie_status st =
            run(ctx, 5000, cases[i].base, PIE_DIGITS_CHUDNOVSKY, cases[i].verify, path, &r);
        CHECKF(st == cases[i].want && strstr(r->verify_note, cases[i].note),
               "fault %d base %u: %s, note \"%s\"", (int)cases[i].where, cases[i].base,
               pie_status_name(st), r->verify_note);
        struct stat sb;
        CHECKF((st == PIE_OK) == (stat(path, &sb) == 0), "fault %d: file state", cases[i].where);
        unlink(path);
        pie_result_free(r);
        pie_ctx_free(ctx);
    }
    pie_ctx *ctx = pie_ctx_create();
    CHECK_STATUS(pie_ctx_set_test_corrupt(ctx, (pie_test_corrupt)4), PIE_EINVAL);
    CHECK_STATUS(pie_ctx_set_test_corrupt(NULL, PIE_TEST_CORRUPT_NONE), PIE_EINVAL);
    pie_ctx_free(ctx);
    rmdir(dir);
}

/* The memory estimate covers the big operations on the workers (the
 * arena and each worker's pieces): above the estimate with them on threads
 * on the process backend, the same on the thread backend (no workers). */
static void check_estimate(void)
{
    uint64_t e[2][2];
    for (int b = 0; b < 2; b++) {
        pie_ctx *ctx = make(b ? PIE_BACKEND_THREAD : PIE_BACKEND_PROCESS, 2);
        for (int where = 0; where < 2; where++) {
            pie_digits_options o;
            pie_digits_options_init(&o);
            o.digits = 100000000;
            o.big_ops = where ? PIE_DIGITS_BIG_OPS_WORKERS : PIE_DIGITS_BIG_OPS_THREADS;
            CHECK_STATUS(pie_digits_estimate(ctx, &o, &e[b][where]), PIE_OK);
        }
        pie_ctx_free(ctx);
    }
    CHECKF(e[0][1] > e[0][0] + (UINT64_C(200) << 20),
           "process: estimate with big operations on workers %llu, on threads %llu",
           (unsigned long long)e[0][1], (unsigned long long)e[0][0]);
    CHECKF(e[1][1] == e[1][0], "thread backend: estimates differ (%llu, %llu)",
           (unsigned long long)e[1][1], (unsigned long long)e[1][0]);
}

/* The estimate against peaks measured on 2 workers (the JSON's
 * peak_rss_bytes, in bench/results/): never below 1.2 times a measured peak,
 * so that a run admitted fits, nor above 1.6 times, so that a run that fits
 * is not refused (the parent's model at 30 W/8 with GMP's division, 1.74
 * times at 1e9, refused 2e9 digits on 24 GB). */
static void check_estimate_measured(void)
{
    static const struct {
        uint64_t digits, peak;
        const char *where;
    } measured[] = {
        {100000000, UINT64_C(968753152), "digits_chudnovsky_2026-11-29"},
        {330000000, UINT64_C(2657873920), "digits_memory_2026-11-29"},
        {500000000, UINT64_C(3827339264), "digits_memory_2026-11-29"},
        {1000000000, UINT64_C(7791874048), "digits_1e9_2026-11-28 (955d225)"},
        {2000000000, UINT64_C(14502010880), "digits_memory_2026-11-29"},
    };
    pie_ctx *ctx = make(PIE_BACKEND_PROCESS, 2);
    for (size_t i = 0; i < sizeof measured / sizeof measured[0]; i++) {
        pie_digits_options o;
        pie_digits_options_init(&o);
        o.digits = measured[i].digits;
        uint64_t e = 0;
        CHECK_STATUS(pie_digits_estimate(ctx, &o, &e), PIE_OK);
        double ratio = (double)e / (double)measured[i].peak;
        CHECKF(ratio >= 1.2 && ratio <= 1.6,
               "%llu digits: estimate %.3f GB, %.2f times the %.3f GB measured (%s)",
               (unsigned long long)measured[i].digits, (double)e / 1e9, ratio,
               (double)measured[i].peak / 1e9, measured[i].where);
    }
    pie_ctx_free(ctx);
}

int main(void)
{
    test_begin("test_digits_chud");
    check_backends();
    check_split(250001);
    check_split(1500001);
    check_split(2000001); /* 5^L squared as a task, the Newton division's products too */
    check_retry();
    check_faults();
    check_estimate();
    check_estimate_measured();
    return test_finish();
}
