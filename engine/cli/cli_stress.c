/** @brief `pie selftest --stress`: workers loop over the kernels with changing inputs, each result
 * checked against the portable kernel or a known answer; errors counted per CPU. */
#include "cli_selftest.h"
#include "cli_util.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CPU 4096
#define REF_DIGITS 10000u

typedef struct stress {
    double deadline;
    const char *ref[2]; /* 10000 digits, base 10 and 16 ("3." first) */
    unsigned *pin;      /* CPU of each worker, NULL when not pinned */
    pthread_mutex_t lock;
    unsigned long checks[MAX_CPU], errors[MAX_CPU];
    unsigned long by_kernel[3][2]; /* mc, hex, digits: checks, errors */
    char first[300];
} stress;

typedef struct worker {
    stress *s;
    unsigned k;
    uint64_t rng;
} worker;

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The variants of a workload this CPU runs other than the portable one;
 * the i-th (wrapping), or scalar when there is none. */
static pie_isa variant(pie_workload w, uint64_t i)
{
    pie_isa v[PIE_ISA_COUNT];
    unsigned n = 0;
    for (int a = PIE_ISA_SCALAR + 1; a < PIE_ISA_COUNT; a++)
        if (pie_isa_check(w, (pie_isa)a) == PIE_OK)
            v[n++] = (pie_isa)a;
    return n ? v[i % n] : PIE_ISA_SCALAR;
}

/* One check; writes what was checked and, on a mismatch, why. 0: equal. */
static int mc_check(worker *w, char *what, size_t n, char *why, size_t m)
{
    pie_isa isa = variant(PIE_WORKLOAD_MC, next(&w->rng));
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = 1 + next(&w->rng) % (UINT64_C(1) << 21);
    o.seed = next(&w->rng);
    snprintf(what, n, "mc %s", pie_isa_name(isa));
    uint64_t in[2] = {0, 0};
    pie_status st[2];
    for (int i = 0; i < 2; i++) {
        pie_ctx *ctx = pie_selftest_ctx(PIE_BACKEND_SERIAL, 1, i ? PIE_ISA_SCALAR : isa);
        pie_mc_result *r = NULL;
        st[i] = ctx ? pie_mc_run(ctx, &o, &r) : PIE_ENOMEM;
        in[i] = r ? r->inside : 0;
        pie_result_free(r);
        pie_ctx_free(ctx);
    }
    if (st[0] == PIE_OK && st[1] == PIE_OK && in[0] == in[1])
        return 0;
    snprintf(why, m,
             "%" PRIu64 " samples, seed %" PRIu64 ": inside %" PRIu64 " (%s), scalar %" PRIu64
             " (%s)",
             o.samples, o.seed, in[0], pie_status_name(st[0]), in[1], pie_status_name(st[1]));
    return 1;
}

static int hex_check(worker *w, char *what, size_t n, char *why, size_t m)
{
    pie_isa isa = variant(PIE_WORKLOAD_HEX, next(&w->rng));
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.position = 1 + next(&w->rng) % 50000;
    o.count = 8;
    snprintf(what, n, "hex %s", pie_isa_name(isa));
    char got[2][16] = {"", ""};
    pie_status st[2];
    for (int i = 0; i < 2; i++) {
        pie_ctx *ctx = pie_selftest_ctx(PIE_BACKEND_SERIAL, 1, i ? PIE_ISA_SCALAR : isa);
        pie_hex_result *r = NULL;
        st[i] = ctx ? pie_hex_run(ctx, &o, &r) : PIE_ENOMEM;
        if (r)
            snprintf(got[i], sizeof got[i], "%s", r->hex);
        pie_result_free(r);
        pie_ctx_free(ctx);
    }
    if (st[0] == PIE_OK && st[1] == PIE_OK && strcmp(got[0], got[1]) == 0)
        return 0;
    snprintf(why, m, "position %" PRIu64 ": %s (%s), scalar %s (%s)", o.position, got[0],
             pie_status_name(st[0]), got[1], pie_status_name(st[1]));
    return 1;
}

static int digits_check(worker *w, char *what, size_t n, char *why, size_t m)
{
    pie_digits_options o;
    pie_digits_options_init(&o);
    int hex = (int)(next(&w->rng) & 1);
    o.base = hex ? 16 : 10;
    o.digits = 100 + next(&w->rng) % (REF_DIGITS - 100);
    snprintf(what, n, "digits bbp base %u", o.base);
    pie_ctx *ctx = pie_selftest_ctx(PIE_BACKEND_SERIAL, 1, PIE_ISA_AUTO);
    pie_digits_result *r = NULL;
    pie_status st = ctx ? pie_digits_run(ctx, &o, &r) : PIE_ENOMEM;
    /* Truncated digits: D digits are a prefix of the reference. */
    int ok = st == PIE_OK && r && r->text && strncmp(r->text, w->s->ref[hex], o.digits + 2) == 0;
    if (!ok)
        snprintf(why, m, "%" PRIu64 " digits: %s, not a prefix of the verified reference", o.digits,
                 pie_status_name(st));
    pie_result_free(r);
    pie_ctx_free(ctx);
    return !ok;
}

static void *run(void *arg)
{
    worker *w = arg;
    stress *s = w->s;
    if (s->pin) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(s->pin[w->k], &one);
        pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    }
    int (*const kinds[3])(worker *, char *, size_t, char *, size_t) = {mc_check, hex_check,
                                                                       digits_check};
    for (uint64_t i = w->k; !pie_cli_signal && pie_cli_now() < s->deadline; i++) {
        char what[48], why[200];
        int bad = kinds[i % 3](w, what, sizeof what, why, sizeof why);
        int cpu = sched_getcpu();
        cpu = cpu >= 0 && cpu < MAX_CPU ? cpu : 0;
        pthread_mutex_lock(&s->lock);
        s->checks[cpu]++;
        s->by_kernel[i % 3][0]++;
        if (bad) {
            s->errors[cpu]++;
            s->by_kernel[i % 3][1]++;
            if (!s->first[0])
                snprintf(s->first, sizeof s->first, "CPU %d, kernel %s: %s", cpu, what, why);
        }
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

/* The references: 10000 digits in each base, checked against their digests. */
static int references(stress *s, pie_digits_result *r[2])
{
    for (int i = 0; i < 2; i++) {
        const pie_selftest_digits *a = &pie_selftest_digits_answers[i];
        pie_ctx *ctx = pie_selftest_ctx(PIE_BACKEND_SERIAL, 1, PIE_ISA_AUTO);
        pie_digits_options o;
        pie_digits_options_init(&o);
        o.digits = a->digits;
        o.base = a->base;
        pie_status st = ctx ? pie_digits_run(ctx, &o, &r[i]) : PIE_ENOMEM;
        pie_ctx_free(ctx);
        if (st != PIE_OK || strcmp(r[i]->sha256, a->sha256) != 0)
            return pie_cli_fail("selftest",
                                "FAILED: the digits reference (%u digits, base %u) "
                                "does not match its known SHA-256",
                                REF_DIGITS, a->base);
        s->ref[i] = r[i]->text;
    }
    return PIE_EXIT_OK;
}

static int report(const stress *s, double seconds, unsigned workers)
{
    unsigned long total = 0, errors = 0;
    printf("stress: %u workers, %.1f s\n\n%-6s %12s %8s\n", workers, seconds, "cpu", "checks",
           "errors");
    for (unsigned c = 0; c < MAX_CPU; c++) {
        if (!s->checks[c])
            continue;
        printf("%-6u %12lu %8lu\n", c, s->checks[c], s->errors[c]);
        total += s->checks[c];
        errors += s->errors[c];
    }
    static const char *const names[3] = {"mc", "hex", "digits"};
    printf("\n%-8s %12s %8s\n", "kernel", "checks", "errors");
    for (int k = 0; k < 3; k++)
        printf("%-8s %12lu %8lu\n", names[k], s->by_kernel[k][0], s->by_kernel[k][1]);
    printf("\n%lu checks, %lu errors\n", total, errors);
    if (fflush(stdout) != 0)
        return pie_cli_fail("selftest", "writing the table failed");
    if (errors)
        return pie_cli_fail("selftest", "stress: %lu mismatch%s; first: %s", errors,
                            errors == 1 ? "" : "es", s->first);
    return PIE_EXIT_OK;
}

int pie_selftest_stress(double seconds, unsigned workers, const char *pin)
{
    stress *s = calloc(1, sizeof *s);
    worker *w = calloc(workers, sizeof *w);
    pthread_t *t = calloc(workers, sizeof *t);
    pie_digits_result *ref[2] = {NULL, NULL};
    int rc = s && w && t ? PIE_EXIT_OK : pie_cli_fail("selftest", "out of memory");
    if (rc == PIE_EXIT_OK && pin) {
        char why[300];
        s->pin = calloc(workers, sizeof *s->pin);
        if (!s->pin || pie_pin_resolve(pin, workers, s->pin, why, sizeof why) != PIE_OK)
            rc = pie_cli_usage("selftest", "invalid value for --pin: '%s' (%s)", pin,
                               s->pin ? why : "out of memory");
    }
    if (rc == PIE_EXIT_OK)
        rc = references(s, ref);
    unsigned started = 0;
    if (rc == PIE_EXIT_OK) {
        double start = pie_cli_now();
        s->deadline = start + seconds;
        pthread_mutex_init(&s->lock, NULL);
        for (; started < workers; started++) {
            w[started] = (worker){.s = s, .k = started, .rng = UINT64_C(0x5eed) + started};
            if (pthread_create(&t[started], NULL, run, &w[started]) != 0)
                break;
        }
        for (unsigned k = 0; k < started; k++)
            pthread_join(t[k], NULL);
        rc = started == 0     ? pie_cli_fail("selftest", "cannot start a thread")
             : pie_cli_signal ? pie_cli_signal_exit()
                              : report(s, pie_cli_now() - start, started);
        pthread_mutex_destroy(&s->lock);
    }
    pie_result_free(ref[0]);
    pie_result_free(ref[1]);
    if (s)
        free(s->pin);
    free(s);
    free(w);
    free(t);
    return rc;
}
