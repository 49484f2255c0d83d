/** @brief Test hooks of the process backend: PIE_FAULT in fault-injection builds, no-ops else. */
#ifndef PIE_FAULT_HOOKS_H
#define PIE_FAULT_HOOKS_H

#include "engine.h"

#include <stdint.h>

/*
 * The process backend calls these at the few points where a test may make a
 * worker (or a fork) misbehave. CMake links one implementation: fault_none.c
 * (every hook does nothing) in a default build, fault_inject.c (PIE_FAULT,
 * docs/faults.md) with -DPIE_FAULT_INJECTION=ON. Production code holds no
 * #ifdef for them.
 */

/* A run's parsed PIE_FAULT; NULL when none was asked for (always NULL in a
 * build without fault injection). */
typedef struct pie__faults pie__faults;

/* In the parent, before any fork of `task` on `workers` workers: *out = the
 * faults PIE_FAULT asks for, or NULL. A malformed PIE_FAULT, or one whose
 * target cannot exist (checked at the first task of a run), fails with
 * PIE_EINVAL (message on ctx). */
pie_status pie__fault_setup(pie_ctx *ctx, const pie__task *task, unsigned workers,
                            pie__faults **out);
/* In the parent, after every worker was reaped. Accepts NULL. */
void pie__fault_teardown(pie__faults *f);
/* In the parent, just before each fork: 0 to fork, or -1 with errno set for
 * a fork that is to fail ("forkfail"). */
int pie__fault_before_fork(pie__faults *f);
/* In worker `slot`, on receiving chunk c of `task`, its `nth` chunk
 * (1-based): misbehave as asked. Returns when the worker is to answer the
 * chunk as usual; *in may then have been closed and set to -1. */
void pie__fault_in_worker(pie__faults *f, const pie__task *task, unsigned slot, uint64_t c,
                          uint64_t nth, int *in, int out);

#endif
