/** @brief Worker placement: pin specs parsed and resolved to one CPU per worker, threads pinned
 * and restored, the CPU a worker process last ran on. */
#include "placement.h"

#include <ctype.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Adding a policy: a name and a sort key over pie__pu in `policies`. The
 * workers take the sorted CPUs in order, wrapping around.
 */

/* cores: first threads of every core, then second threads, ... */
static void key_cores(const pie__pu *u, unsigned k[3])
{
    k[0] = u->smt, k[1] = u->core, k[2] = 0;
}
/* threads: the machine's order, a core's siblings together. */
static void key_threads(const pie__pu *u, unsigned k[3])
{
    k[0] = u->core, k[1] = u->smt, k[2] = 0;
}
/* compact: a node at a time, its cores before their siblings. */
static void key_compact(const pie__pu *u, unsigned k[3])
{
    k[0] = u->node, k[1] = u->smt, k[2] = u->core;
}
/* scatter: round-robin over the nodes. */
static void key_scatter(const pie__pu *u, unsigned k[3])
{
    k[0] = u->smt, k[1] = u->core_in_node, k[2] = u->node;
}

static const struct {
    const char *name;
    void (*key)(const pie__pu *u, unsigned k[3]);
} policies[] = {
    {"cores", key_cores},
    {"threads", key_threads},
    {"compact", key_compact},
    {"scatter", key_scatter},
};
#define NPOLICIES (sizeof policies / sizeof policies[0])

static void (*sort_key)(const pie__pu *, unsigned[3]);

static int cmp_pu(const void *a, const void *b)
{
    unsigned x[3], y[3];
    sort_key(a, x);
    sort_key(b, y);
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

static int allowed_mask(cpu_set_t *mask)
{
    CPU_ZERO(mask);
    return sched_getaffinity(0, sizeof *mask, mask);
}

/* "0-1,4" for messages. */
static void mask_text(const cpu_set_t *mask, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE && used < len; c++) {
        if (!CPU_ISSET(c, mask) || (c > 0 && CPU_ISSET(c - 1, mask)))
            continue;
        int e = c;
        while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, mask))
            e++;
        used +=
            (size_t)(e == c ? snprintf(buf + used, len - used, "%s%d", used ? "," : "", c)
                            : snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", c, e));
    }
}

/* Parse "0,2,4-7" into cpus (up to max), checking each against the mask. */
static pie_status parse_list(const char *spec, const cpu_set_t *mask, unsigned *cpus, unsigned max,
                             unsigned *n, char *why, size_t whylen)
{
    const char *p = spec;
    *n = 0;
    while (*p) {
        char *end;
        if (!isdigit((unsigned char)*p))
            goto bad;
        unsigned long a = strtoul(p, &end, 10), b = a;
        p = end;
        if (*p == '-') {
            if (!isdigit((unsigned char)p[1]))
                goto bad;
            b = strtoul(p + 1, &end, 10);
            p = end;
        }
        if (a > b || b >= CPU_SETSIZE)
            goto bad;
        for (unsigned long c = a; c <= b; c++) {
            if (!CPU_ISSET(c, mask)) {
                char allowed[200];
                mask_text(mask, allowed, sizeof allowed);
                snprintf(why, whylen, "CPU %lu is not one this process may run on (%s)", c,
                         allowed);
                return PIE_EINVAL;
            }
            if (cpus && *n < max)
                cpus[*n] = (unsigned)c;
            (*n)++;
        }
        if (*p == ',' && p[1])
            p++;
        else if (*p)
            goto bad;
    }
    if (*n)
        return PIE_OK;
bad:
    snprintf(why, whylen,
             "expected none, cores, threads, compact, scatter or a list of CPUs such as 0,2,4-7");
    return PIE_EINVAL;
}

static int is_none(const char *spec)
{
    return strcasecmp(spec, "none") == 0;
}

/* The allowed CPUs in the policy's order; *n of them. NULL when none. */
static pie__pu *ordered(size_t policy, const cpu_set_t *mask, unsigned *n)
{
    const pie__cpu_map *m = pie__cpu_map_get();
    pie__pu *v = calloc(m->n ? m->n : 1, sizeof *v);
    *n = 0;
    for (unsigned i = 0; v && i < m->n; i++)
        if (m->pu[i].cpu < CPU_SETSIZE && CPU_ISSET(m->pu[i].cpu, mask))
            v[(*n)++] = m->pu[i];
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* qsort's key is static */
    pthread_mutex_lock(&lock);
    sort_key = policies[policy].key;
    if (v)
        qsort(v, *n, sizeof *v, cmp_pu);
    pthread_mutex_unlock(&lock);
    if (v && *n == 0) {
        free(v);
        v = NULL;
    }
    return v;
}

pie_status pie__pin_resolve(const char *spec, unsigned workers, unsigned *cpus, char *why,
                            size_t whylen)
{
    cpu_set_t mask;
    if (!spec || allowed_mask(&mask) != 0) {
        snprintf(why, whylen, "no placement spec, or the affinity mask is unreadable");
        return PIE_EINVAL;
    }
    for (size_t i = 0; i < NPOLICIES; i++) {
        if (strcasecmp(spec, policies[i].name) != 0)
            continue;
        unsigned n;
        pie__pu *v = ordered(i, &mask, &n);
        if (!v) {
            snprintf(why, whylen, "no CPU to place workers on");
            return PIE_EINVAL;
        }
        for (unsigned k = 0; cpus && k < workers; k++)
            cpus[k] = v[k % n].cpu;
        free(v);
        return PIE_OK;
    }
    if (is_none(spec)) {
        snprintf(why, whylen, "'none' places no worker");
        return PIE_EINVAL;
    }
    unsigned n;
    unsigned *list = malloc(CPU_SETSIZE * sizeof *list);
    if (!list) {
        snprintf(why, whylen, "out of memory");
        return PIE_ENOMEM;
    }
    pie_status st = parse_list(spec, &mask, list, CPU_SETSIZE, &n, why, whylen);
    for (unsigned k = 0; st == PIE_OK && cpus && k < workers; k++)
        cpus[k] = list[k % (n < CPU_SETSIZE ? n : CPU_SETSIZE)];
    free(list);
    return st;
}

pie_status pie__pin_check(const char *spec, char *why, size_t whylen)
{
    if (!spec || !*spec || strlen(spec) >= PIE_PIN_MAX) {
        snprintf(why, whylen, "the placement spec is empty or too long");
        return PIE_EINVAL;
    }
    if (is_none(spec))
        return PIE_OK;
    return pie__pin_resolve(spec, 0, NULL, why, whylen);
}

pie_status pie_pin_resolve(const char *spec, unsigned workers, unsigned *cpus, char *why,
                           size_t whylen)
{
    char buf[256];
    if (!why || !whylen)
        why = buf, whylen = sizeof buf;
    why[0] = '\0';
    if (!cpus && workers) {
        snprintf(why, whylen, "no array for the CPUs");
        return PIE_EINVAL;
    }
    return pie__pin_resolve(spec, workers, cpus, why, whylen);
}

pie_status pie_ctx_set_pin(pie_ctx *ctx, const char *spec)
{
    if (!ctx)
        return PIE_EINVAL;
    char why[300];
    if (pie__pin_check(spec, why, sizeof why) != PIE_OK)
        return pie__fail(ctx, PIE_EINVAL, "placement '%s': %s", spec ? spec : "(null)", why);
    snprintf(ctx->pin, sizeof ctx->pin, "%s", is_none(spec) ? "none" : spec);
    return PIE_OK;
}

const char *pie_ctx_get_pin(const pie_ctx *ctx)
{
    return ctx && ctx->pin[0] ? ctx->pin : "none";
}

int pie__pin_thread(unsigned cpu, void *saved, size_t saved_size)
{
    if (saved && saved_size >= sizeof(cpu_set_t))
        pthread_getaffinity_np(pthread_self(), sizeof(cpu_set_t), saved);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return pthread_setaffinity_np(pthread_self(), sizeof one, &one);
}

void pie__pin_restore(const void *saved, size_t saved_size)
{
    if (saved && saved_size >= sizeof(cpu_set_t))
        pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t), saved);
}

int pie__cpu_of_pid(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces: count fields after its ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    int field = 2, cpu = -1;
    char *save = NULL;
    for (char *t = strtok_r(p + 1, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (++field == 39) {
            cpu = atoi(t);
            break;
        }
    return cpu;
}

pie_status pie__placement_begin(pie_ctx *ctx, unsigned flags, unsigned workers, pie__placement *pl)
{
    memset(pl, 0, sizeof *pl);
    pl->workers = workers;
    pl->one_worker = (flags & PIE_BACKEND_ONE_WORKER) != 0;
    pl->record = !(flags & PIE_BACKEND_NESTS);
    int pinned = ctx->pin[0] && !is_none(ctx->pin);
    if (pinned && (flags & PIE_BACKEND_NEEDS_LAUNCHER))
        return pie__fail(ctx, PIE_EINVAL,
                         "placement '%s' on the mpi backend: bind the ranks with the launcher "
                         "(mpirun --bind-to core) and leave the placement at none",
                         ctx->pin);
    if (!pl->record)
        return PIE_OK;
    pl->cpu = malloc(workers * sizeof *pl->cpu);
    if (!pl->cpu)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    for (unsigned k = 0; k < workers; k++)
        pl->cpu[k] = -1;
    ctx->run_cpu = pl->cpu;
    if (!pinned)
        return PIE_OK;
    char why[300];
    pl->pin = malloc(workers * sizeof *pl->pin);
    if (!pl->pin)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    pie_status st = pie__pin_resolve(ctx->pin, workers, pl->pin, why, sizeof why);
    if (st != PIE_OK)
        return pie__fail(ctx, st, "placement '%s': %s", ctx->pin, why);
    ctx->run_pin = pl->pin;
    if (pl->one_worker && pie__pin_thread(pl->pin[0], pl->saved, sizeof pl->saved) != 0)
        return pie__fail(ctx, PIE_EINVAL, "placement '%s': cannot pin to CPU %u", ctx->pin,
                         pl->pin[0]);
    return PIE_OK;
}

void pie__placement_end(pie_ctx *ctx, pie__placement *pl)
{
    if (pl->one_worker && pl->cpu) {
        pl->cpu[0] = sched_getcpu();
        if (pl->pin)
            pie__pin_restore(pl->saved, sizeof pl->saved);
    }
    if (pl->record) {
        size_t used = 0;
        int known = 0;
        ctx->worker_cpus[0] = '\0';
        for (unsigned k = 0; pl->cpu && k < pl->workers; k++) {
            int c = pl->cpu[k] >= 0 ? pl->cpu[k] : pl->pin ? (int)pl->pin[k] : -1;
            known |= c >= 0;
            char one[16];
            snprintf(one, sizeof one, c >= 0 ? "%s%d" : "%s?", k ? "," : "", c);
            if (used + strlen(one) < sizeof ctx->worker_cpus)
                used += (size_t)snprintf(ctx->worker_cpus + used, sizeof ctx->worker_cpus - used,
                                         "%s", one);
        }
        if (!known)
            ctx->worker_cpus[0] = '\0';
    }
    ctx->run_pin = NULL;
    ctx->run_cpu = NULL;
    free(pl->pin);
    free(pl->cpu);
    pl->pin = NULL;
    pl->cpu = NULL;
}

void pie__thread_pin_enter(const pie_ctx *ctx, int tid, void *saved, size_t saved_size)
{
    if (ctx->run_pin)
        pie__pin_thread(ctx->run_pin[tid], saved, saved_size);
}

void pie__thread_pin_leave(const pie_ctx *ctx, int tid, const void *saved, size_t saved_size)
{
    if (ctx->run_cpu)
        ctx->run_cpu[tid] = sched_getcpu();
    if (ctx->run_pin)
        pie__pin_restore(saved, saved_size);
}

void pie__proc_pin_self(const pie_ctx *ctx, unsigned k)
{
    if (!ctx->run_pin)
        return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(ctx->run_pin[k], &one);
    sched_setaffinity(0, sizeof one, &one);
}

void pie__proc_note_cpu(const pie_ctx *ctx, unsigned k, int pid)
{
    if (ctx->run_cpu && pid > 0)
        ctx->run_cpu[k] = pie__cpu_of_pid(pid);
}
