/** @brief Public API contract: versions, statuses, names, setters and getters, progress, cancel. */
#include "test_util.h"

#include <signal.h>
#include <string.h>

static void versions_and_statuses(void)
{
    CHECK(strcmp(pie_version(), PIE_VERSION_STRING) == 0);
    CHECK(pie_version_number() == PIE_VERSION_NUMBER);
    for (int s = 0; s <= PIE_EVERIFY; s++) {
        CHECK(pie_strerror((pie_status)s)[0] != '\0');
        CHECK(strcmp(pie_status_name((pie_status)s), "UNKNOWN") != 0);
    }
    CHECK(strcmp(pie_strerror((pie_status)999), "unknown status") == 0);
}

/* Every name round-trips, in any case; a loop from 0 until NULL visits every value. */
static void names(void)
{
    char upper[32];
    int n = 0;
    for (int i = 0; pie_backend_name((pie_backend)i); i++, n++) {
        pie_backend b = PIE_BACKEND_COUNT;
        const char *name = pie_backend_name((pie_backend)i);
        CHECK(pie_backend_from_name(name, &b) == PIE_OK && b == (pie_backend)i);
        for (size_t k = 0; k <= strlen(name); k++)
            upper[k] = (char)(name[k] >= 'a' && name[k] <= 'z' ? name[k] - 32 : name[k]);
        b = PIE_BACKEND_COUNT;
        CHECKF(pie_backend_from_name(upper, &b) == PIE_OK && b == (pie_backend)i, "%s", upper);
    }
    CHECK(n == PIE_BACKEND_COUNT);
    n = 0;
    for (int i = 0; pie_isa_name((pie_isa)i); i++, n++) {
        pie_isa v = PIE_ISA_COUNT;
        CHECK(pie_isa_from_name(pie_isa_name((pie_isa)i), &v) == PIE_OK && v == (pie_isa)i);
    }
    CHECK(n == PIE_ISA_COUNT);
    n = 0;
    for (int i = 0; pie_workload_name((pie_workload)i); i++, n++) {
        pie_workload w = PIE_WORKLOAD_COUNT;
        CHECK(pie_workload_from_name(pie_workload_name((pie_workload)i), &w) == PIE_OK &&
              w == (pie_workload)i);
    }
    CHECK(n == PIE_WORKLOAD_COUNT);
    CHECK(strcmp(pie_workload_name(PIE_WORKLOAD_MC), "mc") == 0);
    CHECK(strcmp(pie_workload_name(PIE_WORKLOAD_HEX), "hex") == 0);
    CHECK(strcmp(pie_workload_name(PIE_WORKLOAD_DIGITS), "digits") == 0);

    pie_backend b;
    pie_isa i;
    pie_workload w;
    pie_hex_formula f;
    pie_digits_algorithm a;
    CHECK(pie_backend_from_name("process", &b) == PIE_OK && b == PIE_BACKEND_PROCESS);
    CHECK(pie_backend_from_name("Process", &b) == PIE_OK && b == PIE_BACKEND_PROCESS);
    CHECK(pie_backend_from_name("SERIAL", &b) == PIE_OK && b == PIE_BACKEND_SERIAL);
    CHECK(pie_backend_from_name("fork", &b) == PIE_EINVAL);
    CHECK(pie_isa_from_name("AVX512", &i) == PIE_OK && i == PIE_ISA_AVX512);
    CHECK(pie_isa_from_name("AesNI", &i) == PIE_OK && i == PIE_ISA_AESNI);
    CHECK(pie_workload_from_name("Digits", &w) == PIE_OK && w == PIE_WORKLOAD_DIGITS);
    CHECK(pie_workload_from_name("MC", &w) == PIE_OK && w == PIE_WORKLOAD_MC);
    CHECK(pie_hex_formula_from_name("BBP", &f) == PIE_OK && f == PIE_HEX_BBP);
    CHECK(pie_hex_formula_from_name("Bellard", &f) == PIE_OK && f == PIE_HEX_BELLARD);
    CHECK(pie_digits_algorithm_from_name("bbp", &a) == PIE_OK && a == PIE_DIGITS_BBP);
    CHECK(pie_digits_algorithm_from_name("BBP", &a) == PIE_OK && a == PIE_DIGITS_BBP);
    CHECK(strcmp(pie_digits_algorithm_name(PIE_DIGITS_BBP), "bbp") == 0);
}

static void backends(void)
{
    CHECK(pie_backend_available(PIE_BACKEND_SERIAL) == PIE_OK);
    CHECK(pie_backend_available(PIE_BACKEND_PROCESS) == PIE_OK);
    for (int b = 0; b < PIE_BACKEND_COUNT; b++) {
        pie_status st = pie_backend_available((pie_backend)b);
        CHECKF(st == PIE_OK || st == PIE_EUNSUPPORTED, "%s: %s", pie_backend_name((pie_backend)b),
               pie_status_name(st));
    }
    CHECK(pie_backend_flags(PIE_BACKEND_SERIAL) ==
          (PIE_BACKEND_ONE_WORKER | PIE_BACKEND_IN_PROCESS));
    CHECK(pie_backend_flags(PIE_BACKEND_PROCESS) == PIE_BACKEND_FORKS);
    CHECK(pie_backend_flags(PIE_BACKEND_THREAD) == PIE_BACKEND_IN_PROCESS);
    CHECK(pie_backend_flags(PIE_BACKEND_MPI) == (PIE_BACKEND_NESTS | PIE_BACKEND_NEEDS_LAUNCHER));
    CHECK(pie_online_cpus() >= 1);
}

/* Each workload has its own variants: mc has all, hex no aesni, digits only
 * scalar. One the workload lacks is EINVAL; one not built or not on this CPU
 * is EUNSUPPORTED. */
static void isa_per_workload(void)
{
    CHECK(pie_isa_check(PIE_WORKLOAD_MC, PIE_ISA_SCALAR) == PIE_OK);
    CHECK(pie_isa_check(PIE_WORKLOAD_HEX, PIE_ISA_SCALAR) == PIE_OK);
    CHECK(pie_isa_check(PIE_WORKLOAD_DIGITS, PIE_ISA_SCALAR) == PIE_OK);
    CHECK(pie_isa_check(PIE_WORKLOAD_HEX, PIE_ISA_AESNI) == PIE_EINVAL);
    CHECK(pie_isa_check(PIE_WORKLOAD_DIGITS, PIE_ISA_AVX2) == PIE_EINVAL);
    CHECK(pie_isa_check(PIE_WORKLOAD_DIGITS, PIE_ISA_AVX512) == PIE_EINVAL);
    CHECK(pie_isa_check(PIE_WORKLOAD_DIGITS, PIE_ISA_AESNI) == PIE_EINVAL);
    CHECK(pie_isa_best(PIE_WORKLOAD_DIGITS) == PIE_ISA_SCALAR);
    /* has[w][isa]: whether the workload has the variant. */
    static const int has[PIE_WORKLOAD_COUNT][PIE_ISA_COUNT] = {
        [PIE_WORKLOAD_MC] = {1, 1, 1, 1, 1},
        [PIE_WORKLOAD_HEX] = {1, 1, 1, 1, 0},
        [PIE_WORKLOAD_DIGITS] = {1, 1, 0, 0, 0},
    };
    for (int w = 0; w < PIE_WORKLOAD_COUNT; w++) {
        pie_workload wl = (pie_workload)w;
        CHECKF(pie_isa_check(wl, PIE_ISA_AUTO) == PIE_OK, "%s", pie_workload_name(wl));
        pie_isa best = pie_isa_best(wl);
        CHECKF(best != PIE_ISA_AUTO && pie_isa_check(wl, best) == PIE_OK, "%s: best %s",
               pie_workload_name(wl), pie_isa_name(best));
        for (int i = 0; i < PIE_ISA_COUNT; i++) {
            pie_status st = pie_isa_check(wl, (pie_isa)i);
            CHECKF(has[w][i] ? (st == PIE_OK || st == PIE_EUNSUPPORTED) : st == PIE_EINVAL,
                   "%s %s: %s", pie_workload_name(wl), pie_isa_name((pie_isa)i),
                   pie_status_name(st));
        }
    }
    printf("best: mc %s, hex %s, digits %s; CPU: %s\n", pie_isa_name(pie_isa_best(PIE_WORKLOAD_MC)),
           pie_isa_name(pie_isa_best(PIE_WORKLOAD_HEX)),
           pie_isa_name(pie_isa_best(PIE_WORKLOAD_DIGITS)), pie_cpu_features());
}

static void dummy_progress(void *user, const char *phase, uint64_t done, uint64_t total)
{
    (void)user;
    (void)phase;
    (void)done;
    (void)total;
}

/* Every getter returns what its setter set, and a refused value changes nothing. */
static void setters_and_getters(void)
{
    pie_ctx_free(NULL); /* accepted */
    pie_ctx *ctx = pie_ctx_create();
    CHECK(ctx != NULL);
    if (!ctx)
        return;
    /* The defaults. */
    CHECK(pie_ctx_get_workers(ctx) == 0);
    CHECK(pie_ctx_get_backend(ctx) == PIE_BACKEND_PROCESS);
    CHECK(pie_ctx_get_isa(ctx) == PIE_ISA_AUTO);
    void *user = &user;
    CHECK(pie_ctx_get_progress(ctx, &user) == NULL && user == NULL);
    CHECK(pie_ctx_get_cancel_flag(ctx) == NULL);
    CHECK(pie_ctx_get_chunk_timeout(ctx) == 0.0);
    CHECK(pie_ctx_get_checkpoint_dir(ctx) == NULL);
    CHECK(pie_ctx_get_test_guard_bits(ctx) == 0);
    pie_backend local = pie_ctx_get_mpi_local_backend(ctx);
    CHECK(local == (pie_backend_available(PIE_BACKEND_THREAD) == PIE_OK ? PIE_BACKEND_THREAD
                                                                        : PIE_BACKEND_PROCESS));

    CHECK(pie_ctx_set_workers(ctx, 7) == PIE_OK && pie_ctx_get_workers(ctx) == 7);
    CHECK(pie_ctx_set_workers(ctx, PIE_MAX_WORKERS + 1) == PIE_EINVAL);
    CHECK(strstr(pie_ctx_last_error(ctx), "at most") != NULL);
    CHECK(pie_ctx_get_workers(ctx) == 7);
    CHECK(pie_ctx_set_workers(ctx, PIE_MAX_WORKERS) == PIE_OK &&
          pie_ctx_get_workers(ctx) == PIE_MAX_WORKERS);
    CHECK(pie_ctx_set_workers(ctx, 0) == PIE_OK && pie_ctx_get_workers(ctx) == 0);
    CHECK(pie_ctx_set_workers(NULL, 1) == PIE_EINVAL);

    for (int b = 0; b < PIE_BACKEND_COUNT; b++) {
        pie_status st = pie_ctx_set_backend(ctx, (pie_backend)b);
        CHECK(st == pie_backend_available((pie_backend)b));
        if (st == PIE_OK)
            CHECK(pie_ctx_get_backend(ctx) == (pie_backend)b);
    }
    CHECK(pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL) == PIE_OK);
    CHECK(pie_ctx_set_backend(ctx, (pie_backend)42) == PIE_EINVAL);
    CHECK(pie_ctx_get_backend(ctx) == PIE_BACKEND_SERIAL);

    /* Any known ISA is accepted by the context; the run checks it. */
    for (int i = 0; i < PIE_ISA_COUNT; i++)
        CHECK(pie_ctx_set_isa(ctx, (pie_isa)i) == PIE_OK && pie_ctx_get_isa(ctx) == (pie_isa)i);
    CHECK(pie_ctx_set_isa(ctx, PIE_ISA_SCALAR) == PIE_OK);
    CHECK(pie_ctx_set_isa(ctx, (pie_isa)42) == PIE_EINVAL);
    CHECK(pie_ctx_get_isa(ctx) == PIE_ISA_SCALAR);

    int token;
    CHECK(pie_ctx_set_progress(ctx, dummy_progress, &token) == PIE_OK);
    CHECK(pie_ctx_get_progress(ctx, &user) == dummy_progress && user == &token);
    CHECK(pie_ctx_get_progress(ctx, NULL) == dummy_progress);
    CHECK(pie_ctx_set_progress(ctx, NULL, NULL) == PIE_OK);
    CHECK(pie_ctx_get_progress(ctx, &user) == NULL && user == NULL);

    static volatile sig_atomic_t flag;
    CHECK(pie_ctx_set_cancel_flag(ctx, &flag) == PIE_OK && pie_ctx_get_cancel_flag(ctx) == &flag);
    CHECK(pie_ctx_set_cancel_flag(ctx, NULL) == PIE_OK && pie_ctx_get_cancel_flag(ctx) == NULL);

    CHECK(pie_ctx_set_chunk_timeout(ctx, 2.5) == PIE_OK && pie_ctx_get_chunk_timeout(ctx) == 2.5);
    CHECK(pie_ctx_set_chunk_timeout(ctx, -1.0) == PIE_EINVAL);
    CHECK(pie_ctx_set_chunk_timeout(ctx, 0.0 / 0.0) == PIE_EINVAL);
    CHECK(pie_ctx_get_chunk_timeout(ctx) == 2.5);
    CHECK(pie_ctx_set_chunk_timeout(ctx, 0) == PIE_OK && pie_ctx_get_chunk_timeout(ctx) == 0.0);

    char dir[] = "/tmp/pie_api_ckpt";
    CHECK(pie_ctx_set_checkpoint_dir(ctx, dir) == PIE_OK);
    dir[5] = 'X'; /* the context keeps its own copy */
    const char *got = pie_ctx_get_checkpoint_dir(ctx);
    CHECKF(got && strcmp(got, "/tmp/pie_api_ckpt") == 0, "%s", got ? got : "(null)");
    CHECK(pie_ctx_set_checkpoint_dir(ctx, "") == PIE_EINVAL);
    got = pie_ctx_get_checkpoint_dir(ctx);
    CHECK(got && strcmp(got, "/tmp/pie_api_ckpt") == 0);
    CHECK(pie_ctx_set_checkpoint_dir(ctx, NULL) == PIE_OK &&
          pie_ctx_get_checkpoint_dir(ctx) == NULL);

    CHECK(pie_ctx_set_mpi_local_backend(ctx, PIE_BACKEND_SERIAL) == PIE_OK);
    CHECK(pie_ctx_get_mpi_local_backend(ctx) == PIE_BACKEND_SERIAL);
    CHECK(pie_ctx_set_mpi_local_backend(ctx, PIE_BACKEND_PROCESS) == PIE_OK);
    CHECK(pie_ctx_get_mpi_local_backend(ctx) == PIE_BACKEND_PROCESS);
    CHECK(pie_ctx_set_mpi_local_backend(ctx, PIE_BACKEND_MPI) == PIE_EINVAL);
    CHECK(pie_ctx_get_mpi_local_backend(ctx) == PIE_BACKEND_PROCESS);

    CHECK(pie_ctx_set_test_guard_bits(ctx, 1) == PIE_OK && pie_ctx_get_test_guard_bits(ctx) == 1);
    CHECK(pie_ctx_set_test_guard_bits(ctx, 65536) == PIE_OK);
    CHECK(pie_ctx_get_test_guard_bits(ctx) == 65536);
    CHECK(pie_ctx_set_test_guard_bits(ctx, 65537) == PIE_EINVAL);
    CHECK(pie_ctx_get_test_guard_bits(ctx) == 65536);
    CHECK(pie_ctx_set_test_guard_bits(ctx, 0) == PIE_OK && pie_ctx_get_test_guard_bits(ctx) == 0);

    /* Getters accept NULL and give the defaults. */
    CHECK(pie_ctx_get_workers(NULL) == 0);
    CHECK(pie_ctx_get_isa(NULL) == PIE_ISA_AUTO);
    CHECK(pie_ctx_get_progress(NULL, &user) == NULL && user == NULL);
    CHECK(pie_ctx_get_cancel_flag(NULL) == NULL);
    CHECK(pie_ctx_get_checkpoint_dir(NULL) == NULL);
    pie_ctx_free(ctx);
}

typedef struct prog {
    uint64_t calls, starts, last_done, total;
    int monotonic, other_phase;
    volatile sig_atomic_t *cancel_after_first;
} prog;

static void on_progress(void *user, const char *phase, uint64_t done, uint64_t total)
{
    prog *p = user;
    if (!phase || strcmp(phase, "monte carlo") != 0)
        p->other_phase = 1;
    if (done == 0 && total == 0) { /* the phase starts */
        p->starts++;
        return;
    }
    if (done < p->last_done || done > total)
        p->monotonic = 0;
    p->last_done = done;
    p->total = total;
    p->calls++;
    if (p->cancel_after_first && done >= 1)
        __atomic_store_n(p->cancel_after_first, 1, __ATOMIC_RELAXED);
}

static void mc_contract(void)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_mc_options o;
    pie_mc_options_init(&o);
    pie_mc_result *r = NULL;
    pie_result_free(NULL); /* accepted */
    o.samples = 0;
    CHECK(pie_mc_run(ctx, &o, &r) == PIE_EINVAL);
    pie_result_free(r);
    o.samples = PIE_MC_MAX_SAMPLES + 1;
    CHECK(pie_mc_run(ctx, &o, &r) == PIE_EINVAL);
    pie_result_free(r);
    o.samples = 10;
    CHECK(pie_mc_run(ctx, &o, NULL) == PIE_EINVAL);
    CHECK(pie_mc_run(NULL, &o, &r) == PIE_EINVAL);
    pie_result_free(r);

    /* Progress: one phase, "monte carlo", started once, monotonic, ends at total. */
    for (int backend = 0; backend <= PIE_BACKEND_THREAD; backend++) {
        if (pie_backend_available((pie_backend)backend) != PIE_OK)
            continue;
        prog p = {.monotonic = 1};
        pie_ctx_set_backend(ctx, (pie_backend)backend);
        pie_ctx_set_workers(ctx, 2);
        pie_ctx_set_progress(ctx, on_progress, &p);
        uint64_t n = 2 * PIE_MC_CHUNK_SAMPLES + 3;
        o.samples = n;
        o.seed = test_seed();
        CHECK(pie_mc_run(ctx, &o, &r) == PIE_OK);
        CHECK(p.calls >= 1 && p.monotonic && p.last_done == 3 && p.total == 3);
        CHECK(p.starts == 1 && !p.other_phase);
        CHECK(r->chunks_total == 3 && r->chunks_done == 3 && r->samples == n);
        CHECK(r->seed == test_seed() && r->backend == (pie_backend)backend);
        CHECK(r->inside <= n && r->std_error > 0 && r->ci95_lo < r->estimate &&
              r->estimate < r->ci95_hi);
        CHECK(r->isa == pie_isa_best(PIE_WORKLOAD_MC) &&
              strcmp(r->kernel, pie_isa_name(r->isa)) == 0);
        pie_result_free(r);

        /* Cancel: raised before the run, and raised by the callback once the
         * first chunk is merged (the run stops at the next chunk boundary).
         * The result says how far the run got. */
        volatile sig_atomic_t flag = 1;
        pie_ctx_set_cancel_flag(ctx, &flag);
        CHECK(pie_mc_run(ctx, &o, &r) == PIE_ECANCELED);
        CHECK(r && r->chunks_done == 0 && r->chunks_total == 3 && r->samples == n);
        pie_result_free(r);
        flag = 0;
        prog q = {.monotonic = 1, .cancel_after_first = &flag};
        pie_ctx_set_progress(ctx, on_progress, &q);
        o.samples = 40 * PIE_MC_CHUNK_SAMPLES;
        pie_status st = pie_mc_run(ctx, &o, &r);
        CHECK(r->chunks_done >= 1);
        CHECK(st == PIE_ECANCELED);
        CHECK(r->chunks_done < r->chunks_total && r->chunks_total == 40);
        CHECK(r->samples == o.samples && r->seed == o.seed);
        CHECK(strstr(pie_ctx_last_error(ctx), "cancelled") != NULL);
        pie_result_free(r);
        pie_ctx_set_cancel_flag(ctx, NULL);
        pie_ctx_set_progress(ctx, NULL, NULL);
    }
    pie_ctx_free(ctx);
}

int main(void)
{
    test_begin("test_api");
    versions_and_statuses();
    names();
    backends();
    isa_per_workload();
    setters_and_getters();
    mc_contract();
    return test_finish();
}
