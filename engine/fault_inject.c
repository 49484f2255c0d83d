/** @brief Fault injection for tests: PIE_FAULT makes process workers misbehave (docs/faults.md). */
#include "fault_hooks.h"
#include "process_backend.h"
#include "sysio.h"
#include "wire.h"

#include <errno.h>
#include <gmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * Compiled instead of fault_none.c when cmake -DPIE_FAULT_INJECTION=ON: a
 * release build has no trace of it.
 *
 * PIE_FAULT="ACTION:WHERE[:all]" (docs/faults.md) makes a worker misbehave
 * at one chunk. WHERE is a chunk id, NAME@ID: chunk ID of a task whose
 * kernel is NAME (pie_kernel_ops.name: "products", "text" for the digits'
 * big operations), or wK#N: worker slot K at its N-th chunk (1-based). Without ":all" a fault fires
 * once per run (a counter shared by the workers, and carried from task to task of a run of several:
 * hex passes, digits attempts), so the chunk's next attempt succeeds; with
 * ":all" it fires at every attempt. The spec is parsed in the parent, before
 * any fork, and the first task of a run refuses a target that cannot exist.
 */

#define MAX_FAULTS PIE__MAX_FAULTS

enum fault_action {
    FAULT_NONE,
    FAULT_KILL,     /* raise(SIGKILL) */
    FAULT_SIGNAL,   /* raise(arg) with the default disposition */
    FAULT_EXIT,     /* _exit(arg) */
    FAULT_GARBAGE,  /* a frame with a wrong CRC, then wait */
    FAULT_JUNK,     /* bytes that are not a frame header, then wait */
    FAULT_OVERSIZE, /* a header announcing a huge payload, then wait */
    FAULT_TRUNCATE, /* half a header, then exit 0: EOF inside a header */
    FAULT_EOF,      /* a header and half its payload, then exit 0 */
    FAULT_HANG,     /* wait forever without answering */
    FAULT_OOM,      /* a GMP allocation that cannot be satisfied */
    FAULT_EPIPE,    /* close the request pipe, answer, wait: the parent's next write fails */
    FAULT_WRONG,    /* a valid frame for a chunk it was not given */
    FAULT_BADDATA,  /* a frame that passes every wire check but holds a wrong partial */
    FAULT_FORKFAIL  /* in the parent: the N-th fork of the run fails (EAGAIN) */
};

typedef struct fault {
    enum fault_action action;
    int arg;
    int by_worker; /* 0: at chunk `chunk`; 1: worker slot `slot` at its `nth` chunk */
    uint64_t chunk;
    unsigned slot;
    uint64_t nth;
    int all;
    char kernel[16]; /* NAME@ID: only in tasks of that kernel; "" any */
} fault;

static const struct {
    const char *name;
    enum fault_action action;
    int needs_arg; /* 0 none, 1 optional, 2 required */
    int def;
} fault_names[] = {
    {"kill", FAULT_KILL, 0, 0},         {"signal", FAULT_SIGNAL, 2, 0},
    {"exit", FAULT_EXIT, 1, 3},         {"garbage", FAULT_GARBAGE, 0, 0},
    {"junk", FAULT_JUNK, 0, 0},         {"oversize", FAULT_OVERSIZE, 0, 0},
    {"truncate", FAULT_TRUNCATE, 0, 0}, {"eof", FAULT_EOF, 0, 0},
    {"hang", FAULT_HANG, 0, 0},         {"oom", FAULT_OOM, 0, 0},
    {"epipe", FAULT_EPIPE, 0, 0},       {"wrong", FAULT_WRONG, 0, 0},
    {"baddata", FAULT_BADDATA, 0, 0},   {"forkfail", FAULT_FORKFAIL, 0, 0},
};

static int parse_uint(const char **p, uint64_t max, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (max - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return 0;
}

/* 0: no fault asked for; 1: *f filled; -1: the variable is malformed. */
static int parse_fault(const char *s, fault *f)
{
    *f = (fault){FAULT_NONE, 0, 0, 0, 0, 0, 0, ""};
    if (!s || !*s)
        return 0;
    size_t n = strcspn(s, "=:");
    size_t i = 0;
    while (i < sizeof fault_names / sizeof fault_names[0] &&
           (strlen(fault_names[i].name) != n || strncmp(s, fault_names[i].name, n) != 0))
        i++;
    if (i == sizeof fault_names / sizeof fault_names[0])
        return -1;
    f->action = fault_names[i].action;
    f->arg = fault_names[i].def;
    const char *p = s + n;
    uint64_t v;
    if (*p == '=') {
        p++;
        if (fault_names[i].needs_arg == 0 || parse_uint(&p, 255, &v) != 0)
            return -1;
        f->arg = (int)v;
    } else if (fault_names[i].needs_arg == 2) {
        return -1;
    }
    if (*p++ != ':')
        return -1;
    if (*p == 'w') {
        p++;
        if (parse_uint(&p, PIE_MAX_WORKERS, &v) != 0 || *p++ != '#')
            return -1;
        f->by_worker = 1;
        f->slot = (unsigned)v;
        if (parse_uint(&p, UINT64_MAX, &f->nth) != 0 || f->nth == 0)
            return -1;
    } else {
        size_t k = strcspn(p, "@:");
        if (p[k] == '@') {
            if (k == 0 || k >= sizeof f->kernel)
                return -1;
            memcpy(f->kernel, p, k);
            f->kernel[k] = '\0';
            p += k + 1;
        }
        if (parse_uint(&p, UINT64_MAX, &f->chunk) != 0)
            return -1;
    }
    if (*p == '\0')
        return 1;
    if (strcmp(p, ":all") == 0) {
        f->all = 1;
        return 1;
    }
    return -1;
}

/* PIE_FAULT may hold several specs separated by commas. */
static int parse_faults(const char *env, fault *f, unsigned *n)
{
    *n = 0;
    if (!env || !*env)
        return 0;
    char buf[256];
    if (strlen(env) >= sizeof buf)
        return -1;
    memcpy(buf, env, strlen(env) + 1);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_FAULTS || parse_fault(tok, &f[*n]) != 1)
            return -1;
        (*n)++;
    }
    return *n > 0 ? 1 : -1;
}

/* Does the fault fire for worker `slot` at chunk c, its nth chunk? Without
 * ":all" only the first worker to get there misbehaves (a counter shared by
 * every worker of the run), so the chunk's next attempt succeeds. */
static int fault_fires(const fault *f, atomic_uint *fired, const char *kernel, unsigned slot,
                       uint64_t c, uint64_t nth)
{
    if (f->action == FAULT_NONE || f->action == FAULT_FORKFAIL)
        return 0;
    if (f->kernel[0] && strcmp(f->kernel, kernel) != 0)
        return 0;
    if (!(f->by_worker ? (slot == f->slot && nth == f->nth) : c == f->chunk))
        return 0;
    return f->all || atomic_fetch_add(fired, 1) == 0;
}

static _Noreturn void wait_forever(void)
{
    for (;;)
        pause();
}

/* Misbehave as `f` says, at chunk c. Returns only for FAULT_EPIPE (after
 * closing *in), so that the worker answers the chunk normally. */
static void inject_fault(const fault *f, int *in, int out, uint64_t c)
{
    unsigned char hdr[PIE_WIRE_HEADER];
    unsigned char junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    switch (f->action) {
    case FAULT_NONE:
    case FAULT_FORKFAIL:
        return;
    case FAULT_KILL:
        raise(SIGKILL);
        break;
    case FAULT_SIGNAL:
        signal(f->arg, SIG_DFL);
        raise(f->arg);
        wait_forever(); /* a signal whose default is to stop or be ignored: a hang */
    case FAULT_EXIT:
        _exit(f->arg);
    case FAULT_GARBAGE:
        pie__wire_header(hdr, PIE_FRAME_PARTIAL, c, junk, sizeof junk);
        hdr[28] ^= 0xff; /* break the CRC */
        pie__write_all(out, hdr, sizeof hdr);
        pie__write_all(out, junk, sizeof junk);
        wait_forever();
    case FAULT_JUNK:
        memset(hdr, 0x5a, sizeof hdr);
        pie__write_all(out, hdr, sizeof hdr);
        wait_forever();
    case FAULT_OVERSIZE:
        pie__wire_header(hdr, PIE_FRAME_PARTIAL, c, NULL, 0);
        pie_kput_u64(hdr + 16, UINT64_C(1) << 40);
        pie__write_all(out, hdr, sizeof hdr);
        wait_forever();
    case FAULT_TRUNCATE:
        pie__wire_header(hdr, PIE_FRAME_PARTIAL, c, junk, sizeof junk);
        pie__write_all(out, hdr, sizeof hdr / 2);
        _exit(0);
    case FAULT_EOF:
        pie__wire_header(hdr, PIE_FRAME_PARTIAL, c, junk, sizeof junk);
        pie__write_all(out, hdr, sizeof hdr);
        pie__write_all(out, junk, sizeof junk / 2);
        _exit(0);
    case FAULT_HANG:
        wait_forever();
    case FAULT_OOM: {
        /* Through GMP's allocation hook, as a kernel's mpz would. */
        void *(*alloc)(size_t);
        mp_get_memory_functions(&alloc, NULL, NULL);
        alloc((size_t)1 << 46);
        _exit(PIE_PROC_EXIT_PROTOCOL); /* not reached: the hook exits */
    }
    case FAULT_EPIPE:
        close(*in);
        *in = -1;
        return;
    case FAULT_WRONG:
        pie__wire_send(out, PIE_FRAME_PARTIAL, c + 1000, junk, 0);
        wait_forever();
    case FAULT_BADDATA:
        pie__wire_send(out, PIE_FRAME_PARTIAL, c, junk, 3); /* 3 bytes no kernel accepts */
        wait_forever();
    }
}

/* One MAP_SHARED mapping per task: the workers inherit the specs with the
 * fork and count in `fired`, so that a fault without ":all" fires once
 * however many workers reach it. Across the tasks of one run the counts
 * live in the context (pie_ctx.fault_fired). */
struct pie__faults {
    fault fault[MAX_FAULTS];
    unsigned n;
    uint64_t forks;                /* forks tried this run, for "forkfail" (parent only) */
    pie_ctx *ctx;                  /* parent only: where the counts go back */
    atomic_uint fired[MAX_FAULTS]; /* how often each fault fired */
};

/* Why the fault cannot fire in `task` with `workers` workers, or NULL. A
 * resumed task (renumbered chunks) is not checked by chunk id: a saved
 * chunk is a valid target that simply never runs. */
static const char *unreachable(const fault *f, const pie__task *task, unsigned workers, char *why,
                               size_t len)
{
    uint64_t n = task->nchunks;
    if (f->kernel[0]) /* a later task's: not known yet */
        return NULL;
    if (f->action == FAULT_FORKFAIL) {
        if (f->chunk > 0)
            return NULL;
        snprintf(why, len, "forks are counted from 1");
    } else if (f->by_worker && f->slot >= workers) {
        snprintf(why, len, "worker slot %u does not exist (%u worker%s: slots 0..%u)", f->slot,
                 workers, workers == 1 ? "" : "s", workers - 1);
    } else if (f->by_worker && f->nth > 3 * n) {
        snprintf(why, len, "no worker gets %llu chunks (%llu chunks, 3 attempts each)",
                 (unsigned long long)f->nth, (unsigned long long)n);
    } else if (!f->by_worker && !task->chunk_id && f->chunk >= n) {
        snprintf(why, len, "chunk %llu does not exist (%llu chunks: 0..%llu)",
                 (unsigned long long)f->chunk, (unsigned long long)n,
                 (unsigned long long)(n ? n - 1 : 0));
    } else {
        return NULL;
    }
    return why;
}

/* The targets, checked once per run (its first task). */
static pie_status check_targets(pie_ctx *ctx, const fault *f, unsigned n, const pie__task *task,
                                unsigned workers)
{
    char why[160];
    if (ctx->run_depth > 0 && ctx->fault_checked)
        return PIE_OK;
    ctx->fault_checked = 1;
    for (unsigned i = 0; i < n; i++)
        if (unreachable(&f[i], task, workers, why, sizeof why))
            return pie__fail(ctx, PIE_EINVAL, "PIE_FAULT='%s' can never fire: %s",
                             getenv("PIE_FAULT"), why);
    return PIE_OK;
}

pie_status pie__fault_setup(pie_ctx *ctx, const pie__task *task, unsigned workers,
                            pie__faults **out)
{
    fault f[MAX_FAULTS];
    unsigned n;
    *out = NULL;
    int have_fault = parse_faults(getenv("PIE_FAULT"), f, &n);
    if (have_fault < 0)
        return pie__fail(ctx, PIE_EINVAL, "PIE_FAULT='%s' is malformed (see docs/faults.md)",
                         getenv("PIE_FAULT"));
    if (have_fault == 0)
        return PIE_OK;
    pie_status st = check_targets(ctx, f, n, task, workers);
    if (st != PIE_OK)
        return st;
    pie__faults *m =
        mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return pie__fail(ctx, PIE_ESYSTEM, "PIE_FAULT: mmap: %s", strerror(errno));
    memcpy(m->fault, f, n * sizeof f[0]);
    m->n = n;
    m->ctx = ctx;
    int carry = ctx->run_depth > 0; /* a task of a longer run: go on counting */
    m->forks = carry ? ctx->fault_forks : 0;
    for (unsigned i = 0; i < MAX_FAULTS; i++)
        atomic_init(&m->fired[i], carry ? ctx->fault_fired[i] : 0u);
    *out = m;
    return PIE_OK;
}

void pie__fault_teardown(pie__faults *f)
{
    if (!f)
        return;
    if (f->ctx->run_depth > 0) {
        for (unsigned i = 0; i < MAX_FAULTS; i++)
            f->ctx->fault_fired[i] = atomic_load(&f->fired[i]);
        f->ctx->fault_forks = f->forks;
    }
    munmap(f, sizeof *f);
}

/* "forkfail:N" fails the N-th fork of the run (with ":all", every fork from
 * the N-th on). */
int pie__fault_before_fork(pie__faults *f)
{
    if (!f)
        return 0;
    f->forks++;
    for (unsigned i = 0; i < f->n; i++) {
        const fault *ff = &f->fault[i];
        if (ff->action == FAULT_FORKFAIL &&
            (f->forks == ff->chunk || (ff->all && f->forks >= ff->chunk))) {
            errno = EAGAIN;
            return -1;
        }
    }
    return 0;
}

void pie__fault_in_worker(pie__faults *f, const pie__task *task, unsigned slot, uint64_t c,
                          uint64_t nth, int *in, int out)
{
    if (!f)
        return;
    uint64_t id = pie__chunk_id(task, c);
    for (unsigned i = 0; i < f->n; i++)
        if (fault_fires(&f->fault[i], &f->fired[i], task->ops->name, slot, id, nth))
            inject_fault(&f->fault[i], in, out, c);
}
