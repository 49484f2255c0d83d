/** @brief pie_digits_run: same bytes on all backends/workers, files, refusals, verify. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* One run on a new context; *r is the result (free it with pie_result_free). */
static pie_status run(pie_backend b, unsigned workers, uint64_t D, unsigned base, const char *path,
                      int verify, pie_digits_result **r, pie_ctx **keep)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_backend(ctx, b);
    pie_ctx_set_workers(ctx, workers);
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = D;
    o.base = base;
    o.path = path;
    o.verify = verify;
    pie_status st = pie_digits_run(ctx, &o, r);
    if (keep)
        *keep = ctx;
    else
        pie_ctx_free(ctx);
    return st;
}

/* Every backend and worker count gives the serial run's bytes. Sizes: one
 * chunk, several chunks, and the largest chunk count. */
static void check_backends(void)
{
    static const struct {
        uint64_t D;
        unsigned base;
    } sizes[] = {{37, 10}, {2500, 16}, {9000, 10}, {60001, 10}, {40000, 16}};
    static const pie_backend backends[] = {PIE_BACKEND_SERIAL, PIE_BACKEND_PROCESS,
                                           PIE_BACKEND_THREAD};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        pie_digits_result *ref;
        pie_status st = run(PIE_BACKEND_SERIAL, 1, sizes[s].D, sizes[s].base, NULL,
                            sizes[s].D < 10000, &ref, NULL);
        CHECKF(st == PIE_OK && ref->text && ref->text_len == sizes[s].D + 2, "serial D=%llu",
               (unsigned long long)sizes[s].D);
        if (st != PIE_OK) {
            pie_result_free(ref);
            continue;
        }
        CHECKF(sizes[s].D >= 10000 || ref->verified == 1, "D=%llu not verified: %s",
               (unsigned long long)sizes[s].D, ref->verify_note);
        /* Both independent checks ran: MPFR on every digit, digit extraction
         * on the series value (base 10) or on the last digits (base 16). */
        CHECKF(sizes[s].D >= 10000 || (strstr(ref->verify_note, "mpfr_const_pi") &&
                                       strstr(ref->verify_note, "equal BBP digit extraction")),
               "verify note: %s", ref->verify_note);
        for (size_t b = 0; b < sizeof backends / sizeof backends[0]; b++) {
            if (pie_backend_available(backends[b]) != PIE_OK)
                continue;
            for (unsigned w = 1; w <= 3; w++) {
                pie_digits_result *r;
                st = run(backends[b], w, sizes[s].D, sizes[s].base, NULL, 0, &r, NULL);
                CHECKF(st == PIE_OK && r->text && strcmp(r->text, ref->text) == 0 &&
                           strcmp(r->sha256, ref->sha256) == 0,
                       "D=%llu base %u backend %s workers %u differs from serial",
                       (unsigned long long)sizes[s].D, sizes[s].base, pie_backend_name(backends[b]),
                       w);
                CHECKF(r->peak_rss_bytes > 0 && r->memory_estimate_bytes > 0, "memory figures");
                pie_result_free(r);
            }
        }
        pie_result_free(ref);
    }
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static int leftovers(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -q tmp", dir);
    return system(cmd) == 0;
}

/* A run whose result is not needed past its status. */
static pie_status run_status(pie_backend b, uint64_t D, unsigned base, const char *path)
{
    pie_digits_result *r;
    pie_status st = run(b, 1, D, base, path, 0, &r, NULL);
    CHECKF(r && r->digits == D && r->base == base &&
               (st == PIE_OK ? (path != NULL) == (r->text == NULL) : r->text == NULL),
           "D=%llu: result of a %s run", (unsigned long long)D, pie_status_name(st));
    pie_result_free(r);
    return st;
}

static void check_files(void)
{
    char dir[] = "/tmp/pie_test_digits_XXXXXX";
    CHECKF(mkdtemp(dir) != NULL, "mkdtemp");
    char path[600], bad[600];
    snprintf(path, sizeof path, "%s/pi.txt", dir);
    pie_digits_result *r, *t;
    CHECKF(run(PIE_BACKEND_PROCESS, 2, 5000, 10, NULL, 0, &t, NULL) == PIE_OK, "text run");
    CHECKF(run(PIE_BACKEND_PROCESS, 2, 5000, 10, path, 0, &r, NULL) == PIE_OK, "file run");
    CHECKF(r->text == NULL, "text should stay NULL when writing a file");
    FILE *f = fopen(path, "r");
    CHECKF(f != NULL, "no output file");
    if (f) {
        char *buf = calloc(1, 6000);
        size_t n = fread(buf, 1, 6000, f);
        fclose(f);
        CHECKF(n == 5003 && buf[5002] == '\n' && t->text && memcmp(buf, t->text, 5002) == 0,
               "file content differs from the text (%zu bytes)", n);
        free(buf);
    }
    CHECKF(strcmp(r->sha256, t->sha256) == 0, "sha256 differs between file and text runs");
    CHECKF(!leftovers(dir), "a temporary file was left behind");
    pie_result_free(r);
    pie_result_free(t);

    /* Bad paths are refused before any work and leave nothing. */
    snprintf(bad, sizeof bad, "%s/missing/pi.txt", dir);
    CHECKF(run_status(PIE_BACKEND_SERIAL, 100, 10, bad) == PIE_EINVAL, "missing dir");
    CHECKF(!exists(bad), "file created in a missing directory?");
    CHECKF(run_status(PIE_BACKEND_SERIAL, 100, 10, dir) == PIE_EINVAL, "directory");
    if (geteuid() != 0) {
        snprintf(bad, sizeof bad, "%s/ro", dir);
        mkdir(bad, 0555);
        snprintf(bad, sizeof bad, "%s/ro/pi.txt", dir);
        CHECKF(run_status(PIE_BACKEND_SERIAL, 100, 10, bad) == PIE_EINVAL, "read-only");
        CHECKF(!exists(bad), "file created in a read-only directory");
        snprintf(bad, sizeof bad, "%s/ro", dir);
        rmdir(bad);
    }
    /* A size beyond memory is refused with nothing written; the result
     * still holds the figures that refused it. */
    snprintf(bad, sizeof bad, "%s/huge.txt", dir);
    pie_ctx *ctx;
    pie_status st = run(PIE_BACKEND_PROCESS, 2, UINT64_C(1000000000000), 10, bad, 0, &r, &ctx);
    CHECKF(st == PIE_ENOMEM, "1e12 digits should be refused as beyond memory (got %s)",
           pie_status_name(st));
    CHECKF(strstr(pie_ctx_last_error(ctx), "GiB") != NULL, "refusal message: %s",
           pie_ctx_last_error(ctx));
    CHECKF(r->memory_estimate_bytes > r->memory_available_bytes, "estimate not above available");
    CHECKF(r->digits == UINT64_C(1000000000000) && r->text == NULL && r->chunks_done == 0,
           "refused run's result");
    CHECKF(!exists(bad), "file left after a refusal");
    pie_result_free(r);
    pie_ctx_free(ctx);
    CHECKF(!leftovers(dir), "a temporary file was left behind");
    unlink(path);
    rmdir(dir);
}

static void check_args(void)
{
    pie_digits_result *r;
    CHECKF(run_status(PIE_BACKEND_SERIAL, 0, 10, NULL) == PIE_EINVAL, "0 digits");
    CHECKF(run_status(PIE_BACKEND_SERIAL, PIE_DIGITS_MAX + 1, 10, NULL) == PIE_EINVAL,
           "too many digits");
    CHECKF(run_status(PIE_BACKEND_SERIAL, 10, 8, NULL) == PIE_EINVAL, "base 8");
    CHECKF(pie_digits_run(NULL, NULL, NULL) == PIE_EINVAL, "NULLs");
    pie_result_free(NULL);
    uint64_t e1 = 0, e2 = 0;
    pie_ctx *ctx = pie_ctx_create();
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = 1000000;
    CHECK(pie_digits_estimate(ctx, &o, &e1) == PIE_OK);
    o.digits = 10000000;
    CHECK(pie_digits_estimate(ctx, &o, &e2) == PIE_OK);
    CHECKF(e2 > 5 * e1, "estimates should grow with the size: %llu, %llu", (unsigned long long)e1,
           (unsigned long long)e2);
    o.digits = 0;
    CHECK(pie_digits_estimate(ctx, &o, &e1) == PIE_EINVAL);
    o.digits = 10;
    CHECK(pie_digits_estimate(NULL, &o, &e1) == PIE_EINVAL);
    CHECK(pie_digits_estimate(ctx, &o, NULL) == PIE_EINVAL);
    pie_ctx_free(ctx);
    /* Both ends of the range of one digit. */
    CHECKF(run(PIE_BACKEND_SERIAL, 1, 1, 10, NULL, 1, &r, NULL) == PIE_OK && r->text &&
               strcmp(r->text, "3.1") == 0 && r->verified,
           "1 digit");
    CHECK(r->algorithm == PIE_DIGITS_CHUDNOVSKY && strcmp(r->algorithm_name, "chudnovsky") == 0);
    CHECK(r->text_len == 3 && r->digits == 1 && r->base == 10 && r->attempts == 1);
    CHECK(r->backend == PIE_BACKEND_SERIAL && r->chunks_done == r->chunks_total);
    pie_result_free(r);
    CHECKF(run(PIE_BACKEND_SERIAL, 1, 1, 16, NULL, 1, &r, NULL) == PIE_OK && r->text &&
               strcmp(r->text, "3.2") == 0 && r->verified,
           "1 hex digit");
    pie_result_free(r);
}

/* With one guard bit the last-digit check fails often: the run must retry
 * (attempts > 1) and still give the default run's digits. */
static void check_retry(void)
{
    unsigned retried = 0;
    for (uint64_t D = 1; D <= 400; D += 3) {
        for (unsigned base = 10; base <= 16; base += 6) {
            pie_ctx *ctx = pie_ctx_create();
            pie_ctx_set_backend(ctx, D % 2 ? PIE_BACKEND_SERIAL : PIE_BACKEND_PROCESS);
            pie_digits_options o;
            pie_digits_options_init(&o);
            o.digits = D;
            o.base = base;
            pie_digits_result *ref, *r;
            pie_status s1 = pie_digits_run(ctx, &o, &ref);
            CHECK(pie_ctx_set_test_guard_bits(ctx, 1) == PIE_OK);
            pie_status s2 = pie_digits_run(ctx, &o, &r);
            CHECKF(s1 == PIE_OK && s2 == PIE_OK && r->text && ref->text &&
                       strcmp(r->text, ref->text) == 0,
                   "guard 1, D=%llu base %u: %s", (unsigned long long)D, base,
                   pie_ctx_last_error(ctx));
            retried += r->attempts > 1;
            pie_result_free(ref);
            pie_result_free(r);
            pie_ctx_free(ctx);
        }
    }
    CHECKF(retried > 0, "no run retried with one guard bit");
    pie_ctx *ctx = pie_ctx_create();
    CHECKF(pie_ctx_set_test_guard_bits(ctx, 70000) == PIE_EINVAL, "guard bits 70000 accepted");
    CHECK(pie_ctx_get_test_guard_bits(ctx) == 0);
    pie_ctx_free(ctx);
}

/* The phases a run reports, in order, and the chunk counts within them. */
typedef struct phases {
    char seen[16][24];
    int n, bad;
    uint64_t last_done, series_total;
    volatile sig_atomic_t *cancel_at_chunk; /* raise once this chunk count is reached */
    uint64_t cancel_after;
} phases;

static void on_progress(void *user, const char *phase, uint64_t done, uint64_t total)
{
    phases *p = user;
    if (done == 0 && total == 0) {
        if (p->n < 16)
            snprintf(p->seen[p->n], sizeof p->seen[0], "%s", phase);
        p->n++;
        p->last_done = 0;
        return;
    }
    /* Chunks are counted within the phase last started, growing to the total. */
    if (p->n == 0 || strcmp(p->seen[(p->n - 1) % 16], phase) != 0 || done < p->last_done ||
        done > total)
        p->bad = 1;
    p->last_done = done;
    if (strcmp(phase, "series") == 0)
        p->series_total = total;
    if (p->cancel_at_chunk && done >= p->cancel_after)
        __atomic_store_n(p->cancel_at_chunk, 1, __ATOMIC_RELAXED);
}

static void check_phases(void)
{
    char dir[] = "/tmp/pie_test_phases_XXXXXX";
    CHECKF(mkdtemp(dir) != NULL, "mkdtemp");
    char path[600];
    snprintf(path, sizeof path, "%s/pi.txt", dir);
    static const pie_backend backends[] = {PIE_BACKEND_SERIAL, PIE_BACKEND_PROCESS,
                                           PIE_BACKEND_THREAD};
    for (size_t b = 0; b < 3; b++) {
        if (pie_backend_available(backends[b]) != PIE_OK)
            continue;
        for (int with_file = 0; with_file <= 1; with_file++) {
            pie_ctx *ctx = pie_ctx_create();
            pie_ctx_set_backend(ctx, backends[b]);
            pie_ctx_set_workers(ctx, 2);
            phases p = {.n = 0};
            pie_ctx_set_progress(ctx, on_progress, &p);
            pie_digits_options o;
            pie_digits_options_init(&o);
            o.digits = 9000;
            o.verify = with_file;
            o.path = with_file ? path : NULL;
            pie_digits_result *r;
            pie_status st = pie_digits_run(ctx, &o, &r);
            CHECKF(st == PIE_OK, "%s", pie_ctx_last_error(ctx));
            /* The verification may run hex digit extraction, which reports
             * its own phase inside "verify": skipped here. */
            static const char *want[] = {"series", "division", "radix conversion", "verify",
                                         "output"};
            int nwant = with_file ? 5 : 3, k = 0, same = p.n <= 16;
            for (int i = 0; same && i < p.n; i++) {
                if (k > 0 && strcmp(want[k - 1], "verify") == 0 && strcmp(p.seen[i], "hex") == 0)
                    continue;
                /* Chudnovsky on one thread: the square root before the
                 * division (on more, beside the series). */
                if (k > 0 && strcmp(want[k - 1], "series") == 0 &&
                    strcmp(p.seen[i], "square root") == 0)
                    continue;
                same = k < nwant && strcmp(p.seen[i], want[k++]) == 0;
            }
            CHECKF(same && k == nwant, "%s%s: %d phases, from \"%s\" to \"%s\"",
                   pie_backend_name(backends[b]), with_file ? " (verify, file)" : "", p.n,
                   p.n ? p.seen[0] : "", p.n ? p.seen[(p.n - 1) % 16] : "");
            CHECKF(!p.bad && r->chunks_total > 1 && p.series_total == r->chunks_total,
                   "chunk counts: series total %llu, result %llu",
                   (unsigned long long)p.series_total, (unsigned long long)r->chunks_total);
            pie_result_free(r);
            pie_ctx_free(ctx);
            unlink(path);
        }
    }
    rmdir(dir);
}

/* A cancelled run returns what it got: chunk counts, no digits. */
static void check_cancel(void)
{
    pie_ctx *ctx = pie_ctx_create();
    volatile sig_atomic_t flag = 0;
    phases p = {.cancel_at_chunk = &flag, .cancel_after = 2};
    pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL);
    pie_ctx_set_cancel_flag(ctx, &flag);
    pie_ctx_set_progress(ctx, on_progress, &p);
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = 20000;
    pie_digits_result *r;
    pie_status st = pie_digits_run(ctx, &o, &r);
    CHECKF(st == PIE_ECANCELED, "%s", pie_status_name(st));
    CHECKF(r->chunks_done >= 2 && r->chunks_done < r->chunks_total, "%llu of %llu chunks",
           (unsigned long long)r->chunks_done, (unsigned long long)r->chunks_total);
    CHECK(r->text == NULL && r->digits == 20000 && r->attempts == 1 && r->terms > 0);
    CHECK(p.n == 1 && strcmp(p.seen[0], "series") == 0);
    pie_result_free(r);
    pie_ctx_free(ctx);
}

/* Digits has one variant, the portable one: asking for another is refused
 * by the run, after the context accepted it. */
static void check_isa(void)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL);
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = 30;
    for (int i = 0; i < PIE_ISA_COUNT; i++) {
        pie_isa isa = (pie_isa)i;
        CHECK(pie_ctx_set_isa(ctx, isa) == PIE_OK);
        pie_digits_result *r;
        pie_status st = pie_digits_run(ctx, &o, &r);
        pie_status want = pie_isa_check(PIE_WORKLOAD_DIGITS, isa);
        CHECKF(st == want, "isa %s: %s, expected %s", pie_isa_name(isa), pie_status_name(st),
               pie_status_name(want));
        CHECKF(st != PIE_OK ||
                   (r->text && strcmp(r->text, "3.141592653589793238462643383279") == 0),
               "isa %s: %s", pie_isa_name(isa), r->text ? r->text : "(null)");
        pie_result_free(r);
    }
    pie_ctx_free(ctx);
}

int main(void)
{
    test_begin("test_digits");
    check_retry();
    check_args();
    check_files();
    check_phases();
    check_cancel();
    check_isa();
    check_backends();
    return test_finish();
}
