/** @brief Public API contract: versions, statuses, setters' bounds, cancel flag, progress. */
#include "pie.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL line %d: %s\n", __LINE__, #cond);                                         \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

typedef struct prog {
    uint64_t calls, last_done, total;
    int monotonic;
    volatile sig_atomic_t *cancel_after_first;
} prog;

static void on_progress(void *user, uint64_t done, uint64_t total)
{
    prog *p = user;
    if (done < p->last_done || done > total)
        p->monotonic = 0;
    p->last_done = done;
    p->total = total;
    p->calls++;
    if (p->cancel_after_first && done >= 1)
        *p->cancel_after_first = 1;
}

int main(void)
{
    CHECK(strcmp(pie_version(), PIE_VERSION_STRING) == 0);
    CHECK(pie_version_number() == PIE_VERSION_NUMBER);
    for (int s = 0; s <= PIE_EVERIFY; s++) {
        CHECK(pie_strerror((pie_status)s)[0] != '\0');
        CHECK(strcmp(pie_status_name((pie_status)s), "UNKNOWN") != 0);
    }
    CHECK(strcmp(pie_strerror((pie_status)999), "unknown status") == 0);

    pie_ctx_free(NULL); /* accepted */
    pie_ctx *ctx = pie_ctx_create();
    CHECK(ctx != NULL);
    CHECK(pie_ctx_set_workers(ctx, PIE_MAX_WORKERS + 1) == PIE_EINVAL);
    CHECK(strstr(pie_ctx_last_error(ctx), "at most") != NULL);
    CHECK(pie_ctx_set_workers(ctx, 0) == PIE_OK);
    CHECK(pie_ctx_set_backend(ctx, (pie_backend)42) == PIE_EINVAL);
    CHECK(pie_ctx_set_isa(ctx, (pie_isa)42) == PIE_EINVAL);
    CHECK(pie_ctx_set_isa(ctx, PIE_ISA_SCALAR) == PIE_OK);
    CHECK(pie_ctx_set_chunk_timeout(ctx, -1.0) == PIE_EINVAL);
    CHECK(pie_ctx_set_chunk_timeout(ctx, 0.0 / 0.0) == PIE_EINVAL);
    CHECK(pie_ctx_set_workers(NULL, 1) == PIE_EINVAL);
    pie_backend b;
    CHECK(pie_backend_from_name("process", &b) == PIE_OK && b == PIE_BACKEND_PROCESS);
    CHECK(pie_backend_from_name("fork", &b) == PIE_EINVAL);
    CHECK(pie_isa_check(PIE_ISA_SCALAR) == PIE_OK);
    CHECK(pie_isa_check(pie_isa_best()) == PIE_OK);
    CHECK(pie_online_cpus() >= 1);

    pie_mc_result r;
    CHECK(pie_mc_run(ctx, 0, &r) == PIE_EINVAL);
    CHECK(pie_mc_run(ctx, PIE_MC_MAX_SAMPLES + 1, &r) == PIE_EINVAL);
    CHECK(pie_mc_run(ctx, 10, NULL) == PIE_EINVAL);
    CHECK(pie_mc_run(NULL, 10, &r) == PIE_EINVAL);

    /* Progress: called, monotonic, ends at total. */
    pie_ctx_set_isa(ctx, PIE_ISA_AUTO);
    for (int backend = 0; backend <= PIE_BACKEND_THREAD; backend++) {
        if (!pie_backend_available((pie_backend)backend))
            continue;
        prog p = {.monotonic = 1};
        pie_ctx_set_backend(ctx, (pie_backend)backend);
        pie_ctx_set_workers(ctx, 2);
        pie_ctx_set_progress(ctx, on_progress, &p);
        uint64_t n = 2 * PIE_MC_CHUNK_SAMPLES + 3;
        CHECK(pie_mc_run(ctx, n, &r) == PIE_OK);
        CHECK(p.calls >= 1 && p.monotonic && p.last_done == 3 && p.total == 3);
        CHECK(r.chunks_total == 3 && r.chunks_done == 3 && r.samples == n);
        CHECK(r.inside <= n && r.std_error > 0 && r.ci95_lo < r.estimate && r.estimate < r.ci95_hi);

        /* Cancel: raised before the run, and raised by the callback once the
         * first chunk is merged (the run stops at the next chunk boundary). */
        volatile sig_atomic_t flag = 1;
        pie_ctx_set_cancel_flag(ctx, &flag);
        CHECK(pie_mc_run(ctx, n, &r) == PIE_ECANCELED);
        flag = 0;
        prog q = {.monotonic = 1, .cancel_after_first = &flag};
        pie_ctx_set_progress(ctx, on_progress, &q);
        pie_status st = pie_mc_run(ctx, 40 * PIE_MC_CHUNK_SAMPLES, &r);
        CHECK(r.chunks_done >= 1);
        CHECK(st == PIE_ECANCELED);
        CHECK(r.chunks_done < r.chunks_total && r.chunks_total == 40);
        CHECK(strstr(pie_ctx_last_error(ctx), "cancelled") != NULL);
        pie_ctx_set_cancel_flag(ctx, NULL);
        pie_ctx_set_progress(ctx, NULL, NULL);
    }
    pie_ctx_free(ctx);
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
