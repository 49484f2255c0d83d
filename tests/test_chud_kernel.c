/** @brief The Chudnovsky kernel alone: MPFR digits, corrupt partials, the Ziv retry, threads. */
#include "chud_split.h"
#include "chudnovsky.h"
#include "test_mpfr_ref.h"
#include "test_util.h"

#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The series through the ops table, chunks in order, and the top merges
 * on `threads` threads, into acc. With `stolen`, the merges of the chunks
 * from `from` on are queued for the accumulator's merge thread, started
 * only after pie__chud_top took its blocks, and *stolen says how many
 * chunks it took. */
static int series(pie__chud_acc *acc, const pie__chud_job *job, unsigned threads, uint64_t from,
                  unsigned *stolen)
{
    if (stolen) {
        pie__chud_acc_set_threads(acc, threads);
        pie__chud_acc_defer(acc, from);
    }
    pie__par par = pie__par_threads(threads);
    int rc = PIE_K_OK;
    for (uint64_t c = 0; c < job->nchunks && rc == PIE_K_OK; c++) {
        pie_kbuf buf = {0};
        rc = pie__chud_series_ops.run_chunk(job, c, &buf);
        if (rc == PIE_K_OK && buf.len > pie__chud_series_ops.max_partial(job, c))
            rc = PIE_K_ECORRUPT;
        if (rc == PIE_K_OK)
            rc = pie__chud_series_ops.merge(acc, job, c, buf.data, buf.len);
        pie_kbuf_free(&buf);
    }
    if (rc == PIE_K_OK)
        rc = pie__chud_top(acc, job, &par);
    if (stolen)
        *stolen = pie__chud_acc_stolen(acc);
    return rc;
}

/* The whole job (series() with every chunk queued, with `stolen`), the
 * digits into *text; returns the kernel status of the last step. */
static int run_job(const pie__chud_job *job, unsigned threads, unsigned *stolen, char **text)
{
    pie__chud_acc *acc = pie__chud_acc_new();
    int rc = series(acc, job, threads, 0, stolen);
    pie__par par = pie__par_threads(threads);
    mpz_t x, y;
    mpz_inits(x, y, NULL);
    pie__chud_sqrt *sq = threads > 1 ? pie__chud_sqrt_start(job) : NULL;
    if (rc == PIE_K_OK)
        rc = pie__chud_fixed(acc, job, &par, sq, NULL, NULL, x);
    pie__chud_sqrt_free(sq);
    /* 5^L given (on a thread, or at once) or computed where needed: odd and
     * even D both come through all three. */
    pie__chud_pow5 *pw = job->digits % 3 ? pie__chud_pow5_start(job, job->digits % 3 == 1) : NULL;
    if (rc == PIE_K_OK)
        rc = pie__chud_floor(job, x, &par, pw, y);
    if (rc == PIE_K_OK)
        rc = pie__chud_format(job, x, y, &par, pw, text, NULL); /* consumes y */
    else
        mpz_clear(y);
    pie__chud_pow5_free(pw);
    mpz_clear(x);
    pie__chud_acc_free(acc);
    return rc;
}

/* What pie__chud_top takes from a queue of chunks from .. C - 1 (the merge
 * thread held): the last 2^k, 2 <= 2^k <= half the queue, then blocks of
 * the size taken so far while the queue holds them. */
static unsigned want_stolen(uint64_t from, uint64_t C)
{
    uint64_t q = C - from, b = 0;
    if (q < 4)
        return 0;
    for (b = 2; 4 * b <= q;)
        b *= 2;
    uint64_t taken = b;
    for (q -= b; q >= taken; q -= taken / 2)
        taken *= 2;
    return (unsigned)taken;
}

static int same_node(const pie__chud_node *x, const pie__chud_node *y)
{
    return x->a == y->a && x->b == y->b && x->eQ == y->eQ && x->eT == y->eT &&
           mpz_cmp(x->Q, y->Q) == 0 && mpz_cmp(x->T, y->T) == 0;
}

/* pie__chud_top taking blocks from the merge thread's queue: chunks from
 * `from` on queued, the merge thread held until top took its blocks. The
 * root must be the same node as one thread's merges make (the same merges
 * of the same nodes), and the blocks the ones the rule names; with every
 * chunk queued the digits must also be MPFR's. */
static void check_steal(uint64_t D)
{
    pie__chud_job job;
    CHECKF(pie__chud_job_init(&job, D, 10, 32) == PIE_K_OK, "init %llu", (unsigned long long)D);
    pie__chud_acc *one = pie__chud_acc_new();
    int rc = series(one, &job, 1, 0, NULL);
    CHECKF(rc == PIE_K_OK && pie__chud_acc_root(one), "D=%llu: one thread: rc %d",
           (unsigned long long)D, rc);
    const uint64_t C = job.nchunks;
    const uint64_t froms[] = {0, 1, C / 2, C - 10, C - 6, C - 5, C - 4, C - 3};
    for (size_t i = 0; rc == PIE_K_OK && i < sizeof froms / sizeof froms[0]; i++) {
        if (froms[i] >= C)
            continue;
        pie__chud_acc *acc = pie__chud_acc_new();
        unsigned stolen = 0;
        int r2 = series(acc, &job, 2, froms[i], &stolen);
        unsigned want = want_stolen(froms[i], C);
        CHECKF(r2 == PIE_K_OK, "D=%llu from %llu: rc %d", (unsigned long long)D,
               (unsigned long long)froms[i], r2);
        CHECKF(stolen == want, "D=%llu C=%llu from %llu: top merged %u chunks, not %u",
               (unsigned long long)D, (unsigned long long)C, (unsigned long long)froms[i], stolen,
               want);
        const pie__chud_node *root = pie__chud_acc_root(acc);
        CHECKF(r2 == PIE_K_OK && root && same_node(root, pie__chud_acc_root(one)),
               "D=%llu from %llu: the root differs from one thread's", (unsigned long long)D,
               (unsigned long long)froms[i]);
        pie__chud_acc_free(acc);
    }
    pie__chud_acc_free(one);
    char *text = NULL;
    unsigned stolen = 0;
    rc = run_job(&job, 2, &stolen, &text);
    CHECKF(rc == PIE_K_OK, "D=%llu: rc %d", (unsigned long long)D, rc);
    if (rc != PIE_K_OK)
        return;
    char *ref = mpfr_digits((unsigned long)D, 10);
    CHECKF(strcmp(text, ref) == 0, "D=%llu with the queue taken over differs",
           (unsigned long long)D);
    free(ref);
    free(text);
}

static void check_size(uint64_t D, unsigned base, unsigned threads)
{
    pie__chud_job job;
    CHECKF(pie__chud_job_init(&job, D, base, 32) == PIE_K_OK, "init %llu", (unsigned long long)D);
    char *text = NULL;
    int rc = run_job(&job, threads, NULL, &text);
    for (unsigned g = 128; rc == PIE_CHUD_RETRY && g < 4096; g *= 4) {
        pie__chud_job_init(&job, D, base, g);
        rc = run_job(&job, threads, NULL, &text);
    }
    CHECKF(rc == PIE_K_OK, "D=%llu base %u: rc %d", (unsigned long long)D, base, rc);
    if (rc != PIE_K_OK)
        return;
    char *ref = mpfr_digits((unsigned long)D, (int)base);
    CHECKF(strcmp(text, ref) == 0, "D=%llu base %u (N=%llu C=%llu threads %u) differs",
           (unsigned long long)D, base, (unsigned long long)job.nterms,
           (unsigned long long)job.nchunks, threads);
    free(ref);
    free(text);
}

/* With 1 guard bit the Ziv test must refuse some sizes, and whatever it
 * accepts must still be right. */
static void check_retry(void)
{
    int retries = 0;
    for (uint64_t D = 1; D <= 300; D++) {
        pie__chud_job job;
        pie__chud_job_init(&job, D, D & 1 ? 16 : 10, 1);
        char *text = NULL;
        int rc = run_job(&job, 1, NULL, &text);
        if (rc == PIE_CHUD_RETRY) {
            retries++;
            continue;
        }
        CHECKF(rc == PIE_K_OK, "retry test D=%llu rc %d", (unsigned long long)D, rc);
        char *ref = mpfr_digits((unsigned long)D, (int)job.base);
        CHECKF(rc != PIE_K_OK || strcmp(text, ref) == 0, "guard 1 D=%llu accepted wrong digits",
               (unsigned long long)D);
        free(ref);
        free(text);
    }
    CHECKF(retries > 0, "the Ziv test never asked for a retry with 1 guard bit");
}

static void check_corrupt(void)
{
    pie__chud_job job;
    pie__chud_job_init(&job, 20000, 10, 32);
    CHECKF(job.nchunks > 1, "20000 digits should span several chunks");
    pie_kbuf buf = {0};
    CHECKF(pie__chud_series_ops.run_chunk(&job, 0, &buf) == PIE_K_OK, "run chunk 0");
    pie__chud_acc *acc = pie__chud_acc_new();
    CHECKF(pie__chud_series_ops.merge(acc, &job, 1, buf.data, buf.len) != PIE_K_OK, "order");
    CHECKF(pie__chud_series_ops.merge(acc, &job, 0, buf.data, buf.len - 1) == PIE_K_ECORRUPT,
           "short");
    buf.data[0] ^= 1;
    CHECKF(pie__chud_series_ops.merge(acc, &job, 0, buf.data, buf.len) == PIE_K_ECORRUPT, "magic");
    buf.data[0] ^= 1;
    buf.data[32 + 16] ^= 0x40; /* P's word count */
    CHECKF(pie__chud_series_ops.merge(acc, &job, 0, buf.data, buf.len) == PIE_K_ECORRUPT, "count");
    buf.data[32 + 16] ^= 0x40;
    buf.data[24] ^= 2; /* the flags word: hasP only (factor lists followed in the old format) */
    CHECKF(pie__chud_series_ops.merge(acc, &job, 0, buf.data, buf.len) == PIE_K_ECORRUPT, "flags");
    buf.data[24] ^= 2;
    CHECKF(pie__chud_series_ops.merge(acc, &job, 0, buf.data, 10) == PIE_K_ECORRUPT, "tiny");
    CHECKF(pie__chud_series_ops.merge(acc, &job, 0, buf.data, buf.len) == PIE_K_OK, "good");
    CHECKF(pie__chud_series_ops.merge(acc, &job, 1, buf.data, buf.len) == PIE_K_ECORRUPT,
           "chunk 0's partial as chunk 1");
    pie__par one = pie__par_threads(1);
    CHECKF(pie__chud_top(acc, &job, &one) == PIE_K_EINVAL, "top with chunks missing");
    CHECKF(pie__chud_series_ops.run_chunk(&job, job.nchunks, &buf) == PIE_K_EINVAL, "range");
    pie__chud_acc_free(acc);
    pie_kbuf_free(&buf);
    CHECKF(pie__chud_job_init(&job, 0, 10, 32) == PIE_K_EINVAL, "0 digits");
    CHECKF(pie__chud_job_init(&job, 10, 8, 32) == PIE_K_EINVAL, "base 8");
}

int main(int argc, char **argv)
{
    test_begin("test_chud_kernel");
    /* test_chud_kernel [MAX [MIN]]: sizes MIN..MAX (default 1..30000). */
    uint64_t max = argc > 1 ? strtoull(argv[1], NULL, 10) : 30000;
    uint64_t min = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    for (uint64_t D = min; D <= 200 && D <= max; D++) {
        check_size(D, 10, 1);
        check_size(D, 16, 1);
    }
    for (unsigned base = 10; base <= 16; base += 6) {
        /* Either side of every change of the chunk count (2 .. 32). */
        uint64_t D = 1;
        for (uint64_t c = 2; c <= 32; c *= 2) {
            pie__chud_job j;
            for (;; D++) {
                pie__chud_job_init(&j, D, base, 32);
                if (j.nchunks >= c)
                    break;
            }
            if (D - 1 >= min && D <= max) {
                check_size(D - 1, base, 1);
                check_size(D, base, 2);
            }
        }
        for (D = min > 200 ? min : 200; D <= max; D += D / 7 + 1)
            check_size(D, base, D & 1 ? 3 : 1);
        check_size(max, base, 2);
    }
    /* Either side of the conversion by products (from 10,000 digits in base 10). */
    if (min <= 9999 && max >= 10000) {
        check_size(9999, 10, 2);
        check_size(10000, 10, 1);
        check_size(10000, 10, 2);
    }
    if (min == 1) {
        check_retry();
        check_corrupt();
        /* The first size with 2, 4, ... 32 chunks. */
        uint64_t D = 1;
        for (uint64_t c = 2; c <= 32 && D <= max; c *= 2) {
            pie__chud_job j;
            for (pie__chud_job_init(&j, D, 10, 32); j.nchunks < c;
                 pie__chud_job_init(&j, D, 10, 32))
                D++;
            if (D <= max)
                check_steal(D);
        }
    }
    return test_finish();
}
