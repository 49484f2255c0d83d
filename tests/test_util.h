/** @brief Shared by the C tests: CHECK macros that count failures, a printed seed, a summary. */
#ifndef PIE_TEST_UTIL_H
#define PIE_TEST_UTIL_H

#include "pie.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * A test's main:
 *
 *     test_begin("test_x");                 prints the seed
 *     CHECK(a == b);                        on failure: file:line and the expression
 *     CHECKF(st == PIE_OK, "run: %s", pie_ctx_last_error(ctx));   ... and a message
 *     CHECK_STATUS(pie_mc_run(ctx, &o, &r), PIE_EINVAL);           ... and both statuses
 *     return test_finish();                 summary; 1 if a check failed, else 0
 *
 * The seed comes from PIE_TEST_SEED (decimal, or hex with 0x; "random" takes
 * one from the clock), else a fixed default, so every run is repeatable; the
 * seed is printed so that a failure seen once can be run again. test_rand()
 * draws from it. Checks may run on several threads at once.
 */

#define TEST_DEFAULT_SEED UINT64_C(20261122)

typedef struct test_state {
    const char *name;
    atomic_ulong checks, failures;
    uint64_t seed, rng;
} test_state;

/* One state per test program (each test is one translation unit). */
static inline test_state *test_state_(void)
{
    static test_state s = {.name = "test"};
    return &s;
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static inline void
test_fail_(const char *file, int line, const char *expr, const char *fmt, ...)
{
    const char *base = strrchr(file, '/');
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    atomic_fetch_add(&test_state_()->failures, 1);
    fprintf(stderr, "FAIL %s:%d: %s%s%s\n", base ? base + 1 : file, line, expr, msg[0] ? ": " : "",
            msg);
}

static inline void test_count_(void)
{
    atomic_fetch_add(&test_state_()->checks, 1);
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        test_count_();                                                                             \
        if (!(cond))                                                                               \
            test_fail_(__FILE__, __LINE__, #cond, "%s", "");                                       \
    } while (0)

#define CHECKF(cond, ...)                                                                          \
    do {                                                                                           \
        test_count_();                                                                             \
        if (!(cond))                                                                               \
            test_fail_(__FILE__, __LINE__, #cond, __VA_ARGS__);                                    \
    } while (0)

#define CHECK_STATUS(call, want)                                                                   \
    do {                                                                                           \
        pie_status got_ = (call), want_ = (want);                                                  \
        test_count_();                                                                             \
        if (got_ != want_)                                                                         \
            test_fail_(__FILE__, __LINE__, #call, "gave %s, expected %s", pie_status_name(got_),   \
                       pie_status_name(want_));                                                    \
    } while (0)

/* The number of failed checks so far. */
static inline unsigned long test_failures(void)
{
    return atomic_load(&test_state_()->failures);
}

/* Name the test, fix the seed and print it; returns the seed. */
static inline uint64_t test_begin(const char *name)
{
    test_state *s = test_state_();
    s->name = name;
    const char *env = getenv("PIE_TEST_SEED");
    s->seed = TEST_DEFAULT_SEED;
    if (env && strcmp(env, "random") == 0)
        s->seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
    else if (env && *env)
        s->seed = strtoull(env, NULL, 0);
    s->rng = s->seed;
    printf("%s: seed %" PRIu64 " (PIE_TEST_SEED=%" PRIu64 " repeats this run)\n", name, s->seed,
           s->seed);
    fflush(stdout);
    return s->seed;
}

static inline uint64_t test_seed(void)
{
    return test_state_()->seed;
}

/* splitmix64 over the test's seed: the tests' random numbers. */
static inline uint64_t test_rand(void)
{
    uint64_t z = (test_state_()->rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Print the summary; the exit status for main: 1 if a check failed, else 0. */
static inline int test_finish(void)
{
    test_state *s = test_state_();
    unsigned long f = atomic_load(&s->failures), n = atomic_load(&s->checks);
    printf("%s: %lu checks, %lu failed (seed %" PRIu64 ")%s\n", s->name, n, f, s->seed,
           f ? "" : ": ok");
    fflush(stdout);
    return f ? 1 : 0;
}

#endif
