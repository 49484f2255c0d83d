/** @brief Process backend, worker side: read chunk ids, run them, send the partials back. */
#include "heap.h"
#include "process_backend.h"
#include "wire.h"

#include <gmp.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

static uint64_t request_bound(void *user, uint16_t type, uint64_t chunk)
{
    (void)user;
    (void)type;
    (void)chunk;
    return 0; /* chunk requests carry no payload */
}

/* GMP aborts the whole process when an allocation fails. In a worker that
 * would still only kill the worker, but through abort() and a core dump, with
 * GMP's message on stderr; these hooks make it a quiet _exit with a code the
 * parent names ("ran out of memory"), and the chunk runs again elsewhere.
 * Only workers install them: the parent's GMP behaviour is the host's. */
static void *worker_gmp_alloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        _exit(PIE_PROC_EXIT_NOMEM);
    return p;
}

static void *worker_gmp_realloc(void *old, size_t old_size, size_t n)
{
    (void)old_size;
    void *p = realloc(old, n);
    if (!p && n)
        _exit(PIE_PROC_EXIT_NOMEM);
    return p;
}

static void worker_gmp_free(void *p, size_t size)
{
    (void)size;
    free(p);
}

/* 1 when a request is waiting on `in`. */
static int request_waiting(int in)
{
    struct pollfd p = {.fd = in, .events = POLLIN};
    return in >= 0 && poll(&p, 1, 0) > 0;
}

_Noreturn void pie__proc_worker_main(const pstate *s, unsigned slot, int in, int out)
{
    const pie__task *task = s->task;
    mp_set_memory_functions(worker_gmp_alloc, worker_gmp_realloc, worker_gmp_free);
    pie__frame_reader rd = {0};
    pie_kbuf part = {0};
    uint64_t nth = 0;
    for (;;) {
        int rc = in >= 0 ? pie__frame_read(in, &rd, request_bound, NULL) : PIE_WIRE_IO;
        if (rc == PIE_WIRE_EOF)
            _exit(0); /* the parent closed our pipe: the run is over */
        if (in < 0)   /* fault injection closed it: stay, so the parent's write fails */
            for (;;)
                pause();
        if (rc != PIE_WIRE_OK || rd.h.type != PIE_FRAME_CHUNK)
            _exit(PIE_PROC_EXIT_PROTOCOL);
        uint64_t c = rd.h.chunk;
        pie__frame_reader_reset(&rd);
        nth++;
        pie__fault_in_worker(s->faults, task, slot, c, nth, &in, out);
        part.len = 0;
        int k = task->ops->run_chunk(task->job, c, &part);
        int sent;
        if (k == PIE_K_OK) {
            sent = pie__wire_send(out, PIE_FRAME_PARTIAL, c, part.data, part.len);
        } else {
            unsigned char st[4] = {(unsigned char)k, 0, 0, 0};
            sent = pie__wire_send(out, PIE_FRAME_FAILED, c, st, sizeof st);
        }
        if (sent != 0)
            _exit(PIE_PROC_EXIT_SEND);
        /* No request waiting (the parent keeps two in flight while it has
         * chunks): the worker is idle, and a session keeps it so while the
         * parent works on (the Chudnovsky division and conversion). What the
         * chunks left, the partial's buffer and the heap's free pages, goes
         * back to the system. */
        if (!request_waiting(in)) {
            pie_kbuf_free(&part);
            pie__trim_heap();
        }
    }
}
