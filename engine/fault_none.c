/** @brief The process backend's test hooks in a default build: none fires (see fault_hooks.h). */
#include "fault_hooks.h"

#include <stddef.h>

pie_status pie__fault_setup(pie_ctx *ctx, const pie__task *task, unsigned workers,
                            pie__faults **out)
{
    (void)ctx;
    (void)task;
    (void)workers;
    *out = NULL;
    return PIE_OK;
}

void pie__fault_teardown(pie__faults *f)
{
    (void)f;
}

int pie__fault_before_fork(pie__faults *f)
{
    (void)f;
    return 0;
}

void pie__fault_in_worker(pie__faults *f, const pie__task *task, unsigned slot, uint64_t c,
                          uint64_t nth, int *in, int out)
{
    (void)f;
    (void)task;
    (void)slot;
    (void)c;
    (void)nth;
    (void)in;
    (void)out;
}
