/** @brief Worker faults (process backend): same bytes as undisturbed, or chunk and cause named. */
#include "test_fault_util.h"

/*
 * Needs a build with -DPIE_FAULT_INJECTION=ON (exits 77 otherwise). Every
 * fault of docs/faults.md is injected through PIE_FAULT into a toy job with
 * an order-sensitive merge and into the real workloads (hex, mc, digits);
 * the result must equal an undisturbed serial run bit for bit, with at least
 * one retry, and no child process may be left behind. The same faults on
 * every attempt (":all") must end the run with PIE_EWORKER and a message
 * naming the chunk and the cause.
 */

static pie_ctx *make_ctx(pie_backend b, unsigned workers, double timeout)
{
    pie_ctx *ctx = pie_ctx_create();
    if (!ctx || pie_ctx_set_backend(ctx, b) != PIE_OK || pie_ctx_set_workers(ctx, workers) ||
        pie_ctx_set_chunk_timeout(ctx, timeout) != PIE_OK) {
        fprintf(stderr, "context setup failed\n");
        exit(1);
    }
    return ctx;
}

/* Whether this build honours PIE_FAULT: a malformed spec is then refused. */
static int injection_built(void)
{
    tf_job job = {4, 1, 0};
    tf_acc acc;
    pie__run_stats stats;
    pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 2, 0);
    setenv("PIE_FAULT", "no-such-fault:1", 1);
    pie_status st = tf_run_job(ctx, &job, &acc, &stats);
    unsetenv("PIE_FAULT");
    pie_ctx_free(ctx);
    return st == PIE_EINVAL;
}

typedef struct recoverable {
    const char *spec;
    double timeout; /* for faults that are only visible as silence */
} recoverable;

static const recoverable recoverable_faults[] = {
    {"kill:5", 0},     {"signal=15:3", 0},   {"signal=11:7", 0},  {"signal=2:4", 0},
    {"signal=6:0", 0}, {"exit=0:2", 0},      {"exit=1:3", 0},     {"exit=255:29", 0},
    {"exit=70:9", 0},  {"garbage:6", 0},     {"junk:2", 0},       {"oversize:3", 0},
    {"truncate:4", 0}, {"eof:5", 0},         {"oom:6", 0},        {"epipe:w0#1", 1.0},
    {"wrong:2", 0},    {"kill:w1#2", 0},     {"exit=42:w0#1", 0}, {"garbage:w2#2", 0},
    {"hang:4", 0.3},   {"signal=19:8", 0.3}, {"hang:w1#1", 0.3},
};

static void toy_recoverable(void)
{
    tf_job job = {30, 77, 2000};
    uint64_t ref = tf_reference(&job);
    for (size_t i = 0; i < sizeof recoverable_faults / sizeof recoverable_faults[0]; i++) {
        const recoverable *f = &recoverable_faults[i];
        for (unsigned w = 2; w <= 3; w++) {
            pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, w, f->timeout);
            tf_acc acc;
            pie__run_stats stats;
            setenv("PIE_FAULT", f->spec, 1);
            double t0 = tf_now();
            pie_status st = tf_run_job(ctx, &job, &acc, &stats);
            double dt = tf_now() - t0;
            unsetenv("PIE_FAULT");
            /* w2 with 2 workers: a slot the run does not have, refused. */
            if (strstr(f->spec, ":w2#") && w < 3) {
                CHECKF(st == PIE_EINVAL && strstr(pie_ctx_last_error(ctx), "can never fire"),
                       "%s, %u workers: an unreachable slot gave %s (%s)", f->spec, w,
                       pie_status_name(st), pie_ctx_last_error(ctx));
                pie_ctx_free(ctx);
                continue;
            }
            CHECKF(st == PIE_OK, "%s, %u workers: %s (%s)", f->spec, w, pie_status_name(st),
                   pie_ctx_last_error(ctx));
            CHECKF(acc.h == ref, "%s, %u workers: result differs", f->spec, w);
            CHECKF(stats.retries >= 1, "%s, %u workers: no retry recorded", f->spec, w);
            CHECKF(tf_no_children_now(), "%s, %u workers: a child is left", f->spec, w);
            CHECKF(dt < 5.0, "%s, %u workers: took %.2f s", f->spec, w, dt);
            pie_ctx_free(ctx);
        }
    }
}

typedef struct permanent {
    const char *spec;
    double timeout;
    const char *chunk; /* "chunk N" */
    const char *cause; /* a part of the message naming the cause */
} permanent;

static const permanent permanent_faults[] = {
    {"kill:7:all", 0, "chunk 7 ", "killed by signal 9"},
    {"signal=11:3:all", 0, "chunk 3 ", "signal 11"},
    {"exit=42:3:all", 0, "chunk 3 ", "exited with code 42"},
    {"oom:2:all", 0, "chunk 2 ", "ran out of memory"},
    {"garbage:1:all", 0, "chunk 1 ", "CRC mismatch"},
    {"junk:0:all", 0, "chunk 0 ", "bad frame header"},
    {"oversize:4:all", 0, "chunk 4 ", "oversized frame"},
    {"eof:3:all", 0, "chunk 3 ", "truncated frame"},
    {"truncate:5:all", 0, "chunk 5 ", "truncated frame"},
    {"hang:2:all", 0.2, "chunk 2 ", "made no progress"},
    {"wrong:6:all", 0, "chunk 6 ", "not given"},
};

static void toy_permanent(void)
{
    tf_job job = {12, 5, 0};
    for (size_t i = 0; i < sizeof permanent_faults / sizeof permanent_faults[0]; i++) {
        const permanent *f = &permanent_faults[i];
        pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 2, f->timeout);
        tf_acc acc;
        pie__run_stats stats;
        setenv("PIE_FAULT", f->spec, 1);
        pie_status st = tf_run_job(ctx, &job, &acc, &stats);
        unsetenv("PIE_FAULT");
        const char *msg = pie_ctx_last_error(ctx);
        /* A chunk that runs out of memory every time does not fit: ENOMEM. */
        pie_status want = strncmp(f->spec, "oom", 3) == 0 ? PIE_ENOMEM : PIE_EWORKER;
        CHECKF(st == want, "%s: %s (%s)", f->spec, pie_status_name(st), msg);
        CHECKF(strstr(msg, f->chunk) != NULL, "%s: message does not name %s: %s", f->spec, f->chunk,
               msg);
        CHECKF(strstr(msg, "3 times") != NULL, "%s: message lacks the count: %s", f->spec, msg);
        CHECKF(strstr(msg, f->cause) != NULL, "%s: message lacks '%s': %s", f->spec, f->cause, msg);
        CHECKF(tf_no_children_now(), "%s: a child is left", f->spec);
        pie_ctx_free(ctx);
    }
}

/* A partial that passes every wire check but that the kernel's merge
 * rejects: the accumulator may already be touched, so no retry; the run ends
 * with PIE_ECORRUPT naming the chunk (docs/faults.md). */
static void bad_partial(void)
{
    tf_job job = {12, 5, 0};
    pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 2, 0);
    tf_acc acc;
    pie__run_stats stats;
    setenv("PIE_FAULT", "baddata:4", 1);
    pie_status st = tf_run_job(ctx, &job, &acc, &stats);
    unsetenv("PIE_FAULT");
    CHECKF(st == PIE_ECORRUPT && strstr(pie_ctx_last_error(ctx), "merging chunk 4 failed"),
           "baddata: %s (%s)", pie_status_name(st), pie_ctx_last_error(ctx));
    CHECKF(tf_no_children_now(), "baddata: a child is left");
    pie_ctx_free(ctx);
}

/* Several specs at once, and fork failures (the parent's side): with one
 * worker alive the run carries on with fewer; with none it fails cleanly. */
static void combined_and_fork_failures(void)
{
    tf_job job = {24, 6, 2000};
    uint64_t ref = tf_reference(&job);
    static const struct {
        const char *spec;
        unsigned workers;
        pie_status want;
        const char *msg;
    } cases[] = {
        {"kill:3,garbage:9,exit=4:20", 2, PIE_OK, NULL},
        {"forkfail:2", 3, PIE_OK, NULL},
        {"forkfail:1", 2, PIE_OK, NULL},
        {"forkfail:3:all,kill:5", 2, PIE_OK, NULL},
        {"forkfail:3:all,kill:w0#1,kill:w1#2", 2, PIE_ESYSTEM, "no worker left"},
        {"forkfail:1:all", 2, PIE_ESYSTEM, "fork"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, cases[i].workers, 0);
        tf_acc acc;
        pie__run_stats stats;
        setenv("PIE_FAULT", cases[i].spec, 1);
        pie_status st = tf_run_job(ctx, &job, &acc, &stats);
        unsetenv("PIE_FAULT");
        CHECKF(st == cases[i].want, "%s: %s (%s)", cases[i].spec, pie_status_name(st),
               pie_ctx_last_error(ctx));
        if (st == PIE_OK)
            CHECKF(acc.h == ref, "%s: result differs", cases[i].spec);
        else if (cases[i].msg)
            CHECKF(strstr(pie_ctx_last_error(ctx), cases[i].msg) != NULL, "%s: message %s",
                   cases[i].spec, pie_ctx_last_error(ctx));
        CHECKF(tf_no_children_now(), "%s: a child is left", cases[i].spec);
        pie_ctx_free(ctx);
    }
}

static void malformed_specs(void)
{
    static const char *bad[] = {
        "kill",           "kill:",      "kill:x",
        "signal:3",       "exit=300:1", "kill:w1",
        "kill:w#1",       "kill:w1#0",  "kill:1:some",
        "KILL:1",         "exit=-1:2",  "hang:1:all:all",
        "kill:1,bogus:2", ",",          "kill:1,kill:2,kill:3,kill:4,kill:5"};
    tf_job job = {4, 1, 0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 2, 0);
        tf_acc acc;
        pie__run_stats stats;
        setenv("PIE_FAULT", bad[i], 1);
        pie_status st = tf_run_job(ctx, &job, &acc, &stats);
        unsetenv("PIE_FAULT");
        CHECKF(st == PIE_EINVAL, "PIE_FAULT='%s' accepted: %s", bad[i], pie_status_name(st));
        CHECKF(strstr(pie_ctx_last_error(ctx), "PIE_FAULT") != NULL, "%s: message: %s", bad[i],
               pie_ctx_last_error(ctx));
        pie_ctx_free(ctx);
    }
}

/* Fault injection is a process-backend feature: the other backends run
 * every chunk in this process and ignore PIE_FAULT (docs/faults.md). */
static void other_backends_ignore_faults(void)
{
    tf_job job = {10, 9, 0};
    uint64_t ref = tf_reference(&job);
    pie_backend bs[] = {PIE_BACKEND_SERIAL, PIE_BACKEND_THREAD};
    for (size_t i = 0; i < 2; i++) {
        if (pie_backend_available(bs[i]) != PIE_OK)
            continue;
        pie_ctx *ctx = make_ctx(bs[i], 2, 0);
        tf_acc acc;
        pie__run_stats stats;
        setenv("PIE_FAULT", "kill:3:all", 1);
        pie_status st = tf_run_job(ctx, &job, &acc, &stats);
        unsetenv("PIE_FAULT");
        CHECKF(st == PIE_OK && acc.h == ref, "%s backend: %s", pie_backend_name(bs[i]),
               pie_status_name(st));
        pie_ctx_free(ctx);
    }
}

/* ---------------------------------------------------------------------- */
/* The real workloads                                                       */

static void hex_faults(void)
{
    static const recoverable faults[] = {
        {"kill:3", 0}, {"exit=7:w1#2", 0},  {"garbage:10", 0}, {"truncate:20", 0},
        {"oom:4", 0},  {"epipe:w0#1", 1.0}, {"hang:5", 0.5},
    };
    pie_ctx *ref_ctx = make_ctx(PIE_BACKEND_SERIAL, 1, 0);
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.position = 100000;
    o.count = 8;
    pie_hex_result *ref, *got;
    pie_status st = pie_hex_run(ref_ctx, &o, &ref);
    CHECKF(st == PIE_OK, "hex reference: %s", pie_ctx_last_error(ref_ctx));
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 2, faults[i].timeout);
        setenv("PIE_FAULT", faults[i].spec, 1);
        st = pie_hex_run(ctx, &o, &got);
        unsetenv("PIE_FAULT");
        CHECKF(st == PIE_OK && strcmp(got->hex, ref->hex) == 0, "hex %s: %s %s vs %s",
               faults[i].spec, pie_ctx_last_error(ctx), got->hex, ref->hex);
        CHECKF(got->chunk_retries >= 1, "hex %s: no retry", faults[i].spec);
        CHECKF(tf_no_children_now(), "hex %s: a child is left", faults[i].spec);
        pie_result_free(got);
        pie_ctx_free(ctx);
    }
    pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 2, 0);
    setenv("PIE_FAULT", "exit=9:40:all", 1);
    st = pie_hex_run(ctx, &o, &got);
    unsetenv("PIE_FAULT");
    CHECKF(st == PIE_EWORKER && strstr(pie_ctx_last_error(ctx), "chunk 40 ") &&
               strstr(pie_ctx_last_error(ctx), "exited with code 9"),
           "hex permanent: %s %s", pie_status_name(st), pie_ctx_last_error(ctx));
    /* The failed run's result says how far it got, with no digits. */
    CHECKF(got && got->hex[0] == '\0' && got->count == 0 && got->chunks_done < got->chunks_total,
           "hex permanent: result %s, %llu of %llu chunks", got ? got->hex : "(null)",
           got ? (unsigned long long)got->chunks_done : 0ull,
           got ? (unsigned long long)got->chunks_total : 0ull);
    pie_result_free(got);
    pie_ctx_free(ctx);
    pie_ctx_free(ref_ctx);
    pie_result_free(ref);
}

static void mc_faults(void)
{
    /* Two chunks: the Monte Carlo chunk is 2^24 samples, the dearest here. */
    const uint64_t n = PIE_MC_CHUNK_SAMPLES + 1000;
    /* Each worker gets one chunk before any gets a second, so w1#1 is chunk 1. */
    static const char *faults[] = {"kill:1", "garbage:0", "oom:w1#1"};
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = n;
    o.seed = 11;
    pie_mc_result *ref, *got;
    pie_ctx *ref_ctx = make_ctx(PIE_BACKEND_SERIAL, 1, 0);
    CHECKF(pie_mc_run(ref_ctx, &o, &ref) == PIE_OK, "mc reference");
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 2, 0);
        setenv("PIE_FAULT", faults[i], 1);
        pie_status st = pie_mc_run(ctx, &o, &got);
        unsetenv("PIE_FAULT");
        CHECKF(st == PIE_OK && got->inside == ref->inside && got->chunk_retries >= 1,
               "mc %s: %s inside %llu vs %llu", faults[i], pie_ctx_last_error(ctx),
               (unsigned long long)got->inside, (unsigned long long)ref->inside);
        CHECKF(tf_no_children_now(), "mc %s: a child is left", faults[i]);
        pie_result_free(got);
        pie_ctx_free(ctx);
    }
    pie_result_free(ref);
    pie_ctx_free(ref_ctx);
}

static void digits_faults(void)
{
    static const char *faults[] = {"kill:1", "oom:2", "eof:0", "exit=3:w1#1"};
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = 10000; /* 4 Chudnovsky chunks: chunk 2 exists */
    o.base = 10;
    pie_digits_result *ref, *got;
    pie_ctx *ref_ctx = make_ctx(PIE_BACKEND_SERIAL, 1, 0);
    pie_status st = pie_digits_run(ref_ctx, &o, &ref);
    CHECKF(st == PIE_OK && ref->text, "digits reference: %s", pie_ctx_last_error(ref_ctx));
    for (size_t i = 0; st == PIE_OK && i < sizeof faults / sizeof faults[0]; i++) {
        pie_ctx *ctx = make_ctx(PIE_BACKEND_PROCESS, 2, 0);
        setenv("PIE_FAULT", faults[i], 1);
        pie_status s2 = pie_digits_run(ctx, &o, &got);
        unsetenv("PIE_FAULT");
        CHECKF(s2 == PIE_OK && got->text && strcmp(got->text, ref->text) == 0, "digits %s: %s (%s)",
               faults[i], pie_status_name(s2), pie_ctx_last_error(ctx));
        CHECKF(got->chunk_retries >= 1, "digits %s: no retry", faults[i]);
        CHECKF(tf_no_children_now(), "digits %s: a child is left", faults[i]);
        pie_result_free(got);
        pie_ctx_free(ctx);
    }
    pie_result_free(ref);
    pie_ctx_free(ref_ctx);
}

int main(void)
{
    test_begin("test_fault");
    tf_become_subreaper();
    if (!injection_built()) {
        printf("SKIP: built without -DPIE_FAULT_INJECTION=ON\n");
        return 77;
    }
    double t0 = tf_now();
    malformed_specs();
    toy_recoverable();
    toy_permanent();
    bad_partial();
    combined_and_fork_failures();
    other_backends_ignore_faults();
    hex_faults();
    mc_faults();
    digits_faults();
    CHECKF(tf_leftover_children(0.5) == 0, "processes left behind at the end");
    printf("%.1f s\n", tf_now() - t0);
    return test_finish();
}
