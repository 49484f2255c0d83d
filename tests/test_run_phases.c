/** @brief Runs of several phases and tasks through the API: a cancel in every digits phase, hex
 * checkpoints across passes, PIE_FAULT once per run and refused when it cannot fire, the workers
 * that ran, the CPU time of a run and of its phases. */
#include "engine.h"
#include "radix.h"
#include "test_util.h"

#include <dirent.h>
#include <gmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

/* Entries in `d` (0 when it does not exist). */
static int entries(const char *d)
{
    DIR *h = opendir(d);
    int n = 0;
    for (struct dirent *e; h && (e = readdir(h));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (h)
        closedir(h);
    return n;
}

static pie_ctx *make_ctx(pie_backend b, unsigned workers)
{
    pie_ctx *ctx = pie_ctx_create();
    CHECK(ctx != NULL);
    CHECK_STATUS(pie_ctx_set_backend(ctx, b), PIE_OK);
    CHECK_STATUS(pie_ctx_set_workers(ctx, workers), PIE_OK);
    return ctx;
}

/* Raises its flag when the run announces `phase`. */
typedef struct canceller {
    const char *phase;
    volatile sig_atomic_t flag;
    int seen;
} canceller;

static void cancel_at_phase(void *user, const char *phase, uint64_t done, uint64_t total)
{
    canceller *c = user;
    (void)done;
    (void)total;
    if (strcmp(phase, c->phase) == 0) {
        c->flag = SIGINT;
        c->seen = 1;
    }
}

/* A cancel after the series (division, radix conversion, verification,
 * output) ends the run with PIE_ECANCELED and writes nothing. */
static void digits_cancel_each_phase(void)
{
    static const char *const phases[] = {"division", "radix conversion", "verify", "output"};
    static const pie_backend backends[] = {PIE_BACKEND_SERIAL, PIE_BACKEND_PROCESS};
    char path[300];
    snprintf(path, sizeof path, "%s/pi.txt", dir);
    for (size_t b = 0; b < 2; b++) {
        for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
            canceller c = {phases[i], 0, 0};
            pie_ctx *ctx = make_ctx(backends[b], 2);
            pie_ctx_set_progress(ctx, cancel_at_phase, &c);
            pie_ctx_set_cancel_flag(ctx, &c.flag);
            pie_digits_options o;
            pie_digits_options_init(&o);
            o.digits = 60000;
            o.verify = 1;
            o.path = path;
            pie_digits_result *r = NULL;
            pie_status st = pie_digits_run(ctx, &o, &r);
            const char *bn = pie_backend_name(backends[b]);
            CHECKF(c.seen, "%s: no '%s' phase announced", bn, phases[i]);
            CHECKF(st == PIE_ECANCELED, "%s: cancel at '%s' gave %s (%s)", bn, phases[i],
                   pie_status_name(st), pie_ctx_last_error(ctx));
            CHECKF(entries(dir) == 0, "%s: cancel at '%s' left a file in %s", bn, phases[i], dir);
            CHECKF(r && r->text == NULL, "%s: cancel at '%s' returned text", bn, phases[i]);
            pie_result_free(r);
            pie_ctx_free(ctx);
        }
    }
}

/* The radix conversion: the same text with a stop flag down (pieces above
 * a million digits are split even on one thread), none with it raised. */
static void radix_stop(void)
{
    static const struct {
        unsigned base;
        uint64_t digits;
    } cases[] = {{16, 2500000}, {10, 1300000}, {10, 30000}};
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, (unsigned long)test_seed());
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t d = cases[i].digits;
        unsigned base = cases[i].base;
        mpz_t y, ref, y2;
        mpz_inits(y, ref, y2, NULL);
        mpz_ui_pow_ui(ref, base, d);
        mpz_urandomm(y, rs, ref); /* fewer than d digits */
        mpz_set(y2, y);
        char *want = malloc(d + 2), *got = malloc(d + 1);
        CHECK(want && got);
        gmp_snprintf(want, d + 2, base == 16 ? "%0*ZX" : "%0*Zd", (int)d, y);
        volatile sig_atomic_t stop = 0;
        int rc = pie__radix_text(y, base, d, 1, got, &stop);
        CHECKF(rc == PIE_K_OK && memcmp(got, want, d) == 0, "base %u, %llu digits: rc %d", base,
               (unsigned long long)d, rc);
        stop = 1;
        rc = pie__radix_text(y2, base, d, 4, got, &stop);
        CHECKF(rc == PIE_RADIX_STOPPED, "base %u, raised flag: rc %d", base, rc);
        free(want);
        free(got);
        mpz_clears(ref, NULL);
    }
    gmp_randclear(rs);
}

/* Whether this build honours PIE_FAULT (a malformed spec is refused). */
static int injection_built(void)
{
    pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 1);
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = 1000;
    pie_mc_result *r = NULL;
    setenv("PIE_FAULT", "no-such-fault:1", 1);
    pie_status st = pie_mc_run(ctx, &o, &r);
    unsetenv("PIE_FAULT");
    pie_result_free(r);
    pie_ctx_free(ctx);
    return st == PIE_EINVAL;
}

/* Counts finished passes; raises its flag a few chunks into pass 2. */
typedef struct pass_stopper {
    volatile sig_atomic_t flag;
    unsigned ends;
} pass_stopper;

static void stop_in_pass_2(void *user, const char *phase, uint64_t done, uint64_t total)
{
    pass_stopper *s = user;
    (void)phase;
    if (total && done == total)
        s->ends++;
    else if (s->ends == 1 && done >= 3)
        s->flag = SIGINT;
}

static pie_status hex_run(pie_ctx *ctx, const pie_hex_options *o, char *hex, pie_hex_result *out)
{
    pie_hex_result *r = NULL;
    pie_status st = pie_hex_run(ctx, o, &r);
    if (r) {
        snprintf(hex, 64, "%s", r->hex);
        *out = *r;
    }
    pie_result_free(r);
    return st;
}

/* A run of two passes interrupted in the second: the resumed run takes the
 * first pass from its checkpoint. Proof: chunk 0 fails on every attempt in
 * the resumed run, yet it succeeds (chunk 0 of both passes was saved). */
static void hex_checkpoint_passes(void)
{
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.position = 100000;
    o.count = 40;
    char ref[64], hex[64];
    pie_hex_result r;
    pie_ctx *ctx = make_ctx(PIE_BACKEND_SERIAL, 1);
    CHECK_STATUS(hex_run(ctx, &o, ref, &r), PIE_OK);
    CHECKF(r.passes == 2, "the reference run took %u passes, not 2", r.passes);
    pie_ctx_free(ctx);

    char ck[300];
    snprintf(ck, sizeof ck, "%s/ck", dir);
    pass_stopper s = {0, 0};
    ctx = make_ctx(PIE_BACKEND_SERIAL, 1);
    pie_ctx_set_checkpoint_dir(ctx, ck);
    pie_ctx_set_progress(ctx, stop_in_pass_2, &s);
    pie_ctx_set_cancel_flag(ctx, &s.flag);
    CHECK_STATUS(hex_run(ctx, &o, hex, &r), PIE_ECANCELED);
    CHECKF(entries(ck) == 2, "%d checkpoint files after a stop in pass 2, not 2", entries(ck));
    pie_ctx_free(ctx);

    ctx = make_ctx(PIE_BACKEND_PROCESS, 2);
    pie_ctx_set_checkpoint_dir(ctx, ck);
    setenv("PIE_FAULT", "exit=3:0:all", 1);
    pie_status st = hex_run(ctx, &o, hex, &r);
    unsetenv("PIE_FAULT");
    CHECKF(st == PIE_OK && strcmp(hex, ref) == 0, "resumed run: %s (%s), %s", pie_status_name(st),
           pie_ctx_last_error(ctx), hex);
    CHECKF(entries(ck) == 0, "the checkpoints of a successful run are left");
    pie_ctx_free(ctx);
    rmdir(ck);
}

/* Without ":all" a fault fires once per run, not once per pass or attempt. */
static void fault_once_per_run(void)
{
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.position = 100000;
    o.count = 60;
    char hex[64];
    pie_hex_result r;
    pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 2);
    setenv("PIE_FAULT", "kill:3", 1);
    pie_status st = hex_run(ctx, &o, hex, &r);
    unsetenv("PIE_FAULT");
    /* One firing re-runs the chunks the worker held (1 or 2); once per pass
     * would be at least one per pass. */
    CHECKF(st == PIE_OK && r.passes >= 3 && r.chunk_retries >= 1 && r.chunk_retries <= 2,
           "hex, %u passes: %s, %llu retries (want 1 or 2)", r.passes, pie_status_name(st),
           (unsigned long long)r.chunk_retries);
    /* Tiny guard bits: the digits run makes several attempts. */
    CHECK_STATUS(pie_ctx_set_test_guard_bits(ctx, 1), PIE_OK);
    pie_digits_options d;
    pie_digits_options_init(&d);
    d.digits = 3000;
    pie_digits_result *dr = NULL;
    setenv("PIE_FAULT", "kill:1", 1);
    st = pie_digits_run(ctx, &d, &dr);
    unsetenv("PIE_FAULT");
    /* One firing re-runs the chunks the worker held (at most 2). */
    CHECKF(st == PIE_OK && dr->attempts >= 2 && dr->chunk_retries <= 2,
           "digits, %u attempts: %s, %llu retries (want 1 or 2)", dr ? dr->attempts : 0,
           pie_status_name(st), dr ? (unsigned long long)dr->chunk_retries : 0ull);
    pie_result_free(dr);
    pie_ctx_free(ctx);
}

/* A target that cannot exist is refused; the workers that ran are reported. */
static void fault_targets_and_workers(void)
{
    static const char *const never[] = {"kill:999999", "kill:w7#1", "hang:w0#1000000", "forkfail:0",
                                        "exit=3:100:all"};
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = UINT64_C(6) * PIE_MC_CHUNK_SAMPLES; /* 6 chunks */
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 2);
        pie_mc_result *r = NULL;
        setenv("PIE_FAULT", never[i], 1);
        pie_status st = pie_mc_run(ctx, &o, &r);
        unsetenv("PIE_FAULT");
        CHECKF(st == PIE_EINVAL && strstr(pie_ctx_last_error(ctx), "can never fire"),
               "PIE_FAULT=%s: %s (%s)", never[i], pie_status_name(st), pie_ctx_last_error(ctx));
        pie_result_free(r);
        pie_ctx_free(ctx);
    }
    pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 3);
    pie_mc_result *r = NULL;
    setenv("PIE_FAULT", "forkfail:2", 1);
    pie_status st = pie_mc_run(ctx, &o, &r);
    unsetenv("PIE_FAULT");
    CHECKF(st == PIE_OK && r->workers == 2, "3 workers asked, one fork failed: %s, workers %u",
           pie_status_name(st), r ? r->workers : 0);
    pie_result_free(r);
    pie_ctx_free(ctx);
}

/* The run's CPU time: the process backend's workers count in cpu_seconds
 * (they run the chunks), and a phase's CPU time is this process's alone,
 * within the whole. The serial run is the reference: the same work, all on
 * this thread. */
static void digits_cpu_seconds(void)
{
    pie_digits_result *r[2] = {NULL, NULL};
    const pie_backend b[2] = {PIE_BACKEND_SERIAL, PIE_BACKEND_PROCESS};
    for (int i = 0; i < 2; i++) {
        pie_ctx *ctx = make_ctx(b[i], i ? 2 : 1);
        pie_digits_options o;
        pie_digits_options_init(&o);
        o.digits = 300000;
        CHECK_STATUS(pie_digits_run(ctx, &o, &r[i]), PIE_OK);
        pie_ctx_free(ctx);
    }
    for (int i = 0; i < 2 && r[0] && r[1]; i++) {
        const pie_digits_result *x = r[i];
        double phases = x->cpu_seconds_series + x->cpu_seconds_division + x->cpu_seconds_radix +
                        x->cpu_seconds_output + x->cpu_seconds_verify;
        CHECKF(x->cpu_seconds_series > 0 && x->cpu_seconds_division > 0 &&
                   x->cpu_seconds_radix > 0 && phases <= x->cpu_seconds + 1e-6,
               "%s: cpu %.4f s, phases %.4f s (series %.4f, division %.4f, radix %.4f)",
               pie_backend_name(b[i]), x->cpu_seconds, phases, x->cpu_seconds_series,
               x->cpu_seconds_division, x->cpu_seconds_radix);
    }
    if (r[0] && r[1]) {
        /* Outside this process's phases the process run has its workers'
         * time, the chunks: a good part of the series' work. */
        double extra[2];
        for (int i = 0; i < 2; i++)
            extra[i] = r[i]->cpu_seconds - (r[i]->cpu_seconds_series + r[i]->cpu_seconds_division +
                                            r[i]->cpu_seconds_radix + r[i]->cpu_seconds_output +
                                            r[i]->cpu_seconds_verify);
        CHECKF(extra[1] >= 0.25 * r[0]->cpu_seconds_series,
               "the process run's CPU time outside its own phases: %.4f s (serial: %.4f s), "
               "the serial series %.4f s",
               extra[1], extra[0], r[0]->cpu_seconds_series);
    }
    pie_result_free(r[0]);
    pie_result_free(r[1]);
}

/* One worker is one CPU: on the process backend the lone worker of the
 * Chudnovsky series waits for the parent's merges (pie__task.heavy_merge),
 * so the run's CPU time, the worker's included, stays within its wall time
 * (no output file: no digest thread beside the output). When the worker
 * computed its next chunk beside the merges, a run used about 1.1 CPUs
 * (docs/digits.md). A busy machine can only lower the ratio. */
static void digits_one_worker_one_cpu(void)
{
    pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 1);
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = 1000000;
    pie_digits_result *r = NULL;
    CHECK_STATUS(pie_digits_run(ctx, &o, &r), PIE_OK);
    pie_ctx_free(ctx);
    if (!r)
        return;
    CHECKF(r->cpu_seconds <= 1.02 * r->seconds + 0.003,
           "one worker: %.4f CPU-s in %.4f s (%.3f CPUs)", r->cpu_seconds, r->seconds,
           r->cpu_seconds / r->seconds);
    pie_result_free(r);
}

int main(void)
{
    test_begin("test_run_phases");
    snprintf(dir, sizeof dir, "/tmp/pie-phases-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    digits_cancel_each_phase();
    radix_stop();
    digits_cpu_seconds();
    digits_one_worker_one_cpu();
    if (injection_built()) {
        hex_checkpoint_passes();
        fault_once_per_run();
        fault_targets_and_workers();
    } else {
        printf("fault injection not built: the PIE_FAULT checks are skipped\n");
    }
    rmdir(dir);
    return test_finish();
}
