/** @brief The kernel contract: run one chunk of a job, merge partials in chunk order. */
#ifndef PIE_KERNEL_H
#define PIE_KERNEL_H

/*
 * A kernel is pure computation. It knows how to turn (job, chunk id) into a
 * partial (a byte string) and how to fold partials into an accumulator in
 * chunk order. It never forks, prints, exits or touches global mutable state,
 * and it includes no engine header: the engine depends on kernels, never the
 * reverse.
 *
 * The engine guarantees:
 *   - run_chunk may be called for any chunk, in any order, on any worker
 *     (another thread, another process, another host), more than once;
 *   - merge is called exactly once per chunk, with chunks 0, 1, 2, ... in
 *     order, from one thread at a time;
 *   - a partial handed to merge has exactly the bytes run_chunk produced
 *     (the wire checks length and CRC), but merge must still validate what
 *     it parses and return PIE_K_ECORRUPT rather than trust it.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Kernel status codes; the engine maps them onto pie_status. */
enum {
    PIE_K_OK = 0,
    PIE_K_ENOMEM = 1,   /* allocation failed */
    PIE_K_ECORRUPT = 2, /* a partial did not parse */
    PIE_K_EINVAL = 3    /* the job or chunk id is out of range */
};

/* A growable byte buffer that run_chunk fills. */
typedef struct pie_kbuf {
    unsigned char *data;
    size_t len;
    size_t cap;
} pie_kbuf;

/* Make room for `extra` more bytes; returns PIE_K_OK or PIE_K_ENOMEM. */
static inline int pie_kbuf_reserve(pie_kbuf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        return PIE_K_ENOMEM;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return PIE_K_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    unsigned char *p = realloc(b->data, cap);
    if (!p)
        return PIE_K_ENOMEM;
    b->data = p;
    b->cap = cap;
    return PIE_K_OK;
}

static inline int pie_kbuf_append(pie_kbuf *b, const void *src, size_t n)
{
    int rc = pie_kbuf_reserve(b, n);
    if (rc != PIE_K_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, src, n);
    b->len += n;
    return PIE_K_OK;
}

static inline void pie_kbuf_free(pie_kbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Little-endian fixed-width helpers, so partials are the same bytes on every host. */
static inline void pie_kput_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t pie_kget_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/*
 * The operations table of one workload. `job` is the kernel's own immutable
 * description of the work (it reaches process workers by fork and MPI ranks by
 * being rebuilt from the same arguments, so it holds no pointers into state
 * that a worker could not rebuild); `acc` is the accumulator the engine's
 * caller owns.
 */
typedef struct pie_kernel_ops {
    const char *name;
    /* Compute chunk `chunk` of `job`, appending its partial to `out` (empty on entry). */
    int (*run_chunk)(const void *job, uint64_t chunk, pie_kbuf *out);
    /* Fold the partial of chunk `chunk` into `acc`; chunks arrive in order. */
    int (*merge)(void *acc, const void *job, uint64_t chunk, const unsigned char *partial,
                 size_t len);
    /* Upper bound on the partial size of `chunk`, used to reject oversized frames. */
    uint64_t (*max_partial)(const void *job, uint64_t chunk);
} pie_kernel_ops;

#endif
