/** @brief The BBP series kernel alone: MPFR digits, corrupt partials, the Ziv retry. */
#include "bbp_series.h"
#include "test_mpfr_ref.h"
#include "test_util.h"

#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run the whole job through the ops table, chunks in order; returns the
 * kernel status of the last step. */
static int run_job(const pie__bbp_job *job, char **text, size_t *len)
{
    pie__bbp_acc *acc = pie__bbp_acc_new();
    int rc = PIE_K_OK;
    for (uint64_t c = 0; c < job->nchunks && rc == PIE_K_OK; c++) {
        pie_kbuf buf = {0};
        rc = pie__bbp_series_ops.run_chunk(job, c, &buf);
        if (rc == PIE_K_OK && buf.len > pie__bbp_series_ops.max_partial(job, c))
            rc = PIE_K_ECORRUPT;
        if (rc == PIE_K_OK)
            rc = pie__bbp_series_ops.merge(acc, job, c, buf.data, buf.len);
        pie_kbuf_free(&buf);
    }
    if (rc == PIE_K_OK) {
        mpz_t x;
        mpz_init(x);
        rc = pie__bbp_fixed(acc, job, x);
        if (rc == PIE_K_OK)
            rc = pie__bbp_digits(job, x, text, len);
        mpz_clear(x);
    }
    pie__bbp_acc_free(acc);
    return rc;
}

static void check_size(uint64_t D, unsigned base)
{
    pie__bbp_job job;
    CHECKF(pie__bbp_job_init(&job, D, base, 32) == PIE_K_OK, "init %llu", (unsigned long long)D);
    char *text = NULL;
    size_t len = 0;
    int rc = run_job(&job, &text, &len);
    for (unsigned g = 64; rc == PIE_BBP_RETRY && g < 1024; g *= 2) {
        pie__bbp_job_init(&job, D, base, g);
        rc = run_job(&job, &text, &len);
    }
    CHECKF(rc == PIE_K_OK, "D=%llu base %u: rc %d", (unsigned long long)D, base, rc);
    if (rc != PIE_K_OK)
        return;
    char *ref = mpfr_digits((unsigned long)D, (int)base);
    CHECKF(len == D + 2 && strcmp(text, ref) == 0, "D=%llu base %u (N=%llu C=%llu) differs",
           (unsigned long long)D, base, (unsigned long long)job.nterms,
           (unsigned long long)job.nchunks);
    free(ref);
    free(text);
}

/* With 1 guard bit the Ziv test must refuse some sizes, and whatever it
 * accepts must still be right. */
static void check_retry(void)
{
    int retries = 0;
    for (uint64_t D = 1; D <= 300; D++) {
        pie__bbp_job job;
        pie__bbp_job_init(&job, D, 16, 1);
        char *text = NULL;
        size_t len;
        int rc = run_job(&job, &text, &len);
        if (rc == PIE_BBP_RETRY) {
            retries++;
            continue;
        }
        CHECKF(rc == PIE_K_OK, "retry test D=%llu rc %d", (unsigned long long)D, rc);
        char *ref = mpfr_digits((unsigned long)D, 16);
        CHECKF(rc != PIE_K_OK || strcmp(text, ref) == 0, "guard 1 D=%llu accepted wrong digits",
               (unsigned long long)D);
        free(ref);
        free(text);
    }
    CHECKF(retries > 0, "the Ziv test never asked for a retry with 1 guard bit");
}

static void check_corrupt(void)
{
    pie__bbp_job job;
    pie__bbp_job_init(&job, 5000, 10, 32);
    CHECKF(job.nchunks > 1, "5000 digits should span several chunks");
    pie_kbuf buf = {0};
    CHECKF(pie__bbp_series_ops.run_chunk(&job, 0, &buf) == PIE_K_OK, "run chunk 0");
    pie__bbp_acc *acc = pie__bbp_acc_new();
    /* Out of order, truncated, bad magic, wrong chunk. */
    CHECKF(pie__bbp_series_ops.merge(acc, &job, 1, buf.data, buf.len) != PIE_K_OK, "order");
    CHECKF(pie__bbp_series_ops.merge(acc, &job, 0, buf.data, buf.len - 1) == PIE_K_ECORRUPT,
           "short");
    buf.data[0] ^= 1;
    CHECKF(pie__bbp_series_ops.merge(acc, &job, 0, buf.data, buf.len) == PIE_K_ECORRUPT, "magic");
    buf.data[0] ^= 1;
    CHECKF(pie__bbp_series_ops.merge(acc, &job, 0, buf.data, 10) == PIE_K_ECORRUPT, "tiny");
    CHECKF(pie__bbp_series_ops.merge(acc, &job, 0, buf.data, buf.len) == PIE_K_OK, "good");
    CHECKF(pie__bbp_series_ops.merge(acc, &job, 1, buf.data, buf.len) == PIE_K_ECORRUPT,
           "chunk 0's partial as chunk 1");
    mpz_t x;
    mpz_init(x);
    CHECKF(pie__bbp_fixed(acc, &job, x) == PIE_K_EINVAL, "finalize with chunks missing");
    CHECKF(pie__bbp_series_ops.run_chunk(&job, job.nchunks, &buf) == PIE_K_EINVAL, "chunk range");
    mpz_clear(x);
    pie__bbp_acc_free(acc);
    pie_kbuf_free(&buf);
    CHECKF(pie__bbp_job_init(&job, 0, 10, 32) == PIE_K_EINVAL, "0 digits");
    CHECKF(pie__bbp_job_init(&job, 10, 8, 32) == PIE_K_EINVAL, "base 8");
}

int main(int argc, char **argv)
{
    test_begin("test_digits_kernel");
    /* test_digits_kernel [MAX [MIN]]: sizes MIN..MAX (default 1..30000). */
    uint64_t max = argc > 1 ? strtoull(argv[1], NULL, 10) : 30000;
    uint64_t min = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    /* Small sizes one by one (every step of the term count). */
    for (uint64_t D = min; D <= 200 && D <= max; D++) {
        check_size(D, 10);
        check_size(D, 16);
    }
    for (unsigned base = 10; base <= 16; base += 6) {
        /* Either side of every change of the chunk count (2, 4, 8, 16). */
        uint64_t D = 1;
        for (uint64_t c = 2; c <= 16; c *= 2) {
            pie__bbp_job j;
            for (;; D++) {
                pie__bbp_job_init(&j, D, base, 32);
                if (j.nchunks >= c)
                    break;
            }
            if (D - 1 >= min && D <= max) {
                check_size(D - 1, base);
                check_size(D, base);
            }
        }
        /* A geometric ladder, then the largest size. */
        for (D = min > 200 ? min : 200; D <= max; D += D / 7 + 1)
            check_size(D, base);
        check_size(max, base);
    }
    if (min == 1) {
        check_retry();
        check_corrupt();
    }
    return test_finish();
}
