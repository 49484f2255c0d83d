/** @brief pie_digits_run: same bytes on all backends/workers, files, refusals, verify. */
#include "pie.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static pie_status run(pie_backend b, unsigned workers, uint64_t D, unsigned base, const char *path,
                      int verify, pie_digits_result *r, pie_ctx **keep)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_backend(ctx, b);
    pie_ctx_set_workers(ctx, workers);
    pie_digits_options o = {.digits = D, .base = base, .path = path, .verify = verify};
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
        pie_digits_result ref;
        pie_status st = run(PIE_BACKEND_SERIAL, 1, sizes[s].D, sizes[s].base, NULL,
                            sizes[s].D < 10000, &ref, NULL);
        CHECK(st == PIE_OK && ref.text && ref.text_len == sizes[s].D + 2, "serial D=%llu",
              (unsigned long long)sizes[s].D);
        if (st != PIE_OK)
            continue;
        CHECK(sizes[s].D >= 10000 || ref.verified == 1, "D=%llu not verified: %s",
              (unsigned long long)sizes[s].D, ref.verify_note);
        /* Both independent checks ran: MPFR on every digit, digit extraction
         * on the series value (base 10) or on the last digits (base 16). */
        CHECK(sizes[s].D >= 10000 || (strstr(ref.verify_note, "mpfr_const_pi") &&
                                      strstr(ref.verify_note, "equal BBP digit extraction")),
              "verify note: %s", ref.verify_note);
        for (size_t b = 0; b < sizeof backends / sizeof backends[0]; b++) {
            if (!pie_backend_available(backends[b]))
                continue;
            for (unsigned w = 1; w <= 3; w++) {
                pie_digits_result r;
                st = run(backends[b], w, sizes[s].D, sizes[s].base, NULL, 0, &r, NULL);
                CHECK(st == PIE_OK && r.text && strcmp(r.text, ref.text) == 0 &&
                          strcmp(r.sha256, ref.sha256) == 0,
                      "D=%llu base %u backend %s workers %u differs from serial",
                      (unsigned long long)sizes[s].D, sizes[s].base, pie_backend_name(backends[b]),
                      w);
                CHECK(r.peak_rss_bytes > 0 && r.memory_estimate_bytes > 0, "memory figures");
                pie_digits_result_free(&r);
            }
        }
        pie_digits_result_free(&ref);
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

static void check_files(void)
{
    char dir[] = "/tmp/pie_test_digits_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[600], bad[600];
    snprintf(path, sizeof path, "%s/pi.txt", dir);
    pie_digits_result r, t;
    CHECK(run(PIE_BACKEND_PROCESS, 2, 5000, 10, NULL, 0, &t, NULL) == PIE_OK, "text run");
    CHECK(run(PIE_BACKEND_PROCESS, 2, 5000, 10, path, 0, &r, NULL) == PIE_OK, "file run");
    CHECK(r.text == NULL, "text should stay NULL when writing a file");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "no output file");
    if (f) {
        char *buf = calloc(1, 6000);
        size_t n = fread(buf, 1, 6000, f);
        fclose(f);
        CHECK(n == 5003 && buf[5002] == '\n' && t.text && memcmp(buf, t.text, 5002) == 0,
              "file content differs from the text (%zu bytes)", n);
        free(buf);
    }
    CHECK(strcmp(r.sha256, t.sha256) == 0, "sha256 differs between file and text runs");
    CHECK(!leftovers(dir), "a temporary file was left behind");
    pie_digits_result_free(&r);
    pie_digits_result_free(&t);

    /* Bad paths are refused before any work and leave nothing. */
    snprintf(bad, sizeof bad, "%s/missing/pi.txt", dir);
    CHECK(run(PIE_BACKEND_SERIAL, 1, 100, 10, bad, 0, &r, NULL) == PIE_EINVAL, "missing dir");
    CHECK(!exists(bad), "file created in a missing directory?");
    CHECK(run(PIE_BACKEND_SERIAL, 1, 100, 10, dir, 0, &r, NULL) == PIE_EINVAL, "directory");
    if (geteuid() != 0) {
        snprintf(bad, sizeof bad, "%s/ro", dir);
        mkdir(bad, 0555);
        snprintf(bad, sizeof bad, "%s/ro/pi.txt", dir);
        CHECK(run(PIE_BACKEND_SERIAL, 1, 100, 10, bad, 0, &r, NULL) == PIE_EINVAL, "read-only");
        CHECK(!exists(bad), "file created in a read-only directory");
        snprintf(bad, sizeof bad, "%s/ro", dir);
        rmdir(bad);
    }
    /* A size beyond memory is refused with nothing written. */
    snprintf(bad, sizeof bad, "%s/huge.txt", dir);
    pie_ctx *ctx;
    pie_status st = run(PIE_BACKEND_PROCESS, 2, UINT64_C(1000000000000), 10, bad, 0, &r, &ctx);
    CHECK(st == PIE_ENOMEM, "1e12 digits should be refused as beyond memory (got %s)",
          pie_status_name(st));
    CHECK(strstr(pie_ctx_last_error(ctx), "GiB") != NULL, "refusal message: %s",
          pie_ctx_last_error(ctx));
    CHECK(r.memory_estimate_bytes > r.memory_available_bytes, "estimate not above available");
    CHECK(!exists(bad), "file left after a refusal");
    pie_ctx_free(ctx);
    CHECK(!leftovers(dir), "a temporary file was left behind");
    unlink(path);
    rmdir(dir);
}

static void check_args(void)
{
    pie_digits_result r;
    CHECK(run(PIE_BACKEND_SERIAL, 1, 0, 10, NULL, 0, &r, NULL) == PIE_EINVAL, "0 digits");
    CHECK(run(PIE_BACKEND_SERIAL, 1, PIE_DIGITS_MAX + 1, 10, NULL, 0, &r, NULL) == PIE_EINVAL,
          "too many digits");
    CHECK(run(PIE_BACKEND_SERIAL, 1, 10, 8, NULL, 0, &r, NULL) == PIE_EINVAL, "base 8");
    CHECK(pie_digits_run(NULL, NULL, NULL) == PIE_EINVAL, "NULLs");
    pie_digits_result_free(NULL);
    uint64_t e1 = 0, e2 = 0;
    pie_ctx *ctx = pie_ctx_create();
    CHECK(pie_digits_estimate(ctx, 1000000, 10, &e1) == PIE_OK &&
              pie_digits_estimate(ctx, 10000000, 10, &e2) == PIE_OK && e2 > 5 * e1,
          "estimates should grow with the size");
    pie_ctx_free(ctx);
    /* Both ends of the range of one digit. */
    CHECK(run(PIE_BACKEND_SERIAL, 1, 1, 10, NULL, 1, &r, NULL) == PIE_OK && r.text &&
              strcmp(r.text, "3.1") == 0 && r.verified,
          "1 digit");
    pie_digits_result_free(&r);
    CHECK(run(PIE_BACKEND_SERIAL, 1, 1, 16, NULL, 1, &r, NULL) == PIE_OK && r.text &&
              strcmp(r.text, "3.2") == 0 && r.verified,
          "1 hex digit");
    pie_digits_result_free(&r);
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
            pie_digits_options o = {.digits = D, .base = base};
            pie_digits_result ref, r;
            pie_status s1 = pie_digits_run(ctx, &o, &ref);
            o.guard_bits = 1;
            pie_status s2 = pie_digits_run(ctx, &o, &r);
            CHECK(s1 == PIE_OK && s2 == PIE_OK && r.text && ref.text &&
                      strcmp(r.text, ref.text) == 0,
                  "guard 1, D=%llu base %u: %s", (unsigned long long)D, base,
                  pie_ctx_last_error(ctx));
            retried += r.attempts > 1;
            pie_digits_result_free(&ref);
            pie_digits_result_free(&r);
            pie_ctx_free(ctx);
        }
    }
    CHECK(retried > 0, "no run retried with one guard bit");
    pie_digits_options o = {.digits = 10, .base = 10, .guard_bits = 70000};
    pie_digits_result r;
    pie_ctx *ctx = pie_ctx_create();
    CHECK(pie_digits_run(ctx, &o, &r) == PIE_EINVAL, "guard_bits 70000 accepted");
    pie_ctx_free(ctx);
}

int main(void)
{
    check_retry();
    check_args();
    check_files();
    check_backends();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    else
        printf("ok\n");
    return failures ? 1 : 0;
}
