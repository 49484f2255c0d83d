/** @brief The Chudnovsky merge stack: chunk nodes merged in a fixed tree, on a thread of its own.
 */
#include "chud_split.h"

#include <pthread.h>
#include <stdlib.h>

/*
 * Chunk c's node is pushed, then merged with its left neighbours as often as
 * c has trailing one bits, which builds the fixed balanced tree over the C
 * chunks whatever the order of arrival. The last chunk's merges, the largest,
 * are left to pie__chud_top, which gives their products every thread.
 *
 * With more than one thread for the run, the merges run on a thread of the
 * accumulator: the merge callback only queues the imported node. The merges near the top of the
 * tree hold a large share of the series' work (binary splitting's cost is in its top levels); done
 * in the callback they would stall the backend's loop, and with it every worker waiting to hand
 * over its partial.
 *
 * That thread shares the CPUs with the workers, so when the last chunk comes
 * in it may still have several chunks queued (at 10^6 digits on 2 cores, 0
 * to 28 ms of merges, with the workers done and a CPU idle). pie__chud_top
 * then takes the queue's last aligned block of 2^k chunks (2^k at most half
 * the queue) and merges it into one node on the calling thread while the
 * merge thread goes on. Done with it, and with the merge thread still
 * behind, it takes the block just before everything it took, of the same
 * size, if that is still wholly queued (the block's buddy in the tree),
 * and so on. Its nodes are pushed after the merge thread's: the stack then
 * holds the same nodes as if it had merged them all, and its remaining
 * merges are the same, on two threads instead of one.
 */

#define STACK_MAX 8 /* log2(C) + 2 */

typedef struct qitem {
    pie__chud_node *node;
    uint64_t chunk;
    struct qitem *next;
} qitem;

struct pie__chud_acc {
    pie__chud_node node[STACK_MAX];
    unsigned depth;
    unsigned threads; /* for the merges' products */
    uint64_t next_chunk;
    const pie__chud_job *job;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    qitem *head, *tail;
    int closed, started, rc;
    pthread_t th;
    unsigned stolen;     /* chunks pie__chud_top merged itself (tests) */
    int defer;           /* tests: the merge thread held until the top's steals */
    uint64_t defer_from; /* tests: chunks below it merged as they come */
    int want_sqrt;       /* start the square root with the first chunk */
    pie__chud_sqrt *sq;  /* that square root, until taken */
};

pie__chud_acc *pie__chud_acc_new(void)
{
    pie__chud_acc *acc = calloc(1, sizeof *acc);
    if (!acc)
        return NULL;
    for (unsigned i = 0; i < STACK_MAX; i++)
        pie__chud_node_init(&acc->node[i]);
    acc->threads = 1;
    pthread_mutex_init(&acc->mu, NULL);
    pthread_cond_init(&acc->cv, NULL);
    return acc;
}

void pie__chud_acc_set_threads(pie__chud_acc *acc, unsigned threads)
{
    acc->threads = threads ? threads : 1;
}

void pie__chud_acc_want_sqrt(pie__chud_acc *acc)
{
    acc->want_sqrt = 1;
}

pie__chud_sqrt *pie__chud_acc_take_sqrt(pie__chud_acc *acc)
{
    pie__chud_sqrt *sq = acc->sq;
    acc->sq = NULL;
    return sq;
}

static void item_free(qitem *q)
{
    pie__chud_node_clear(q->node);
    free(q->node);
    free(q);
}

static void *merger(void *p);

/* Stop the merge thread once the queue is drained. */
static void finish(pie__chud_acc *acc)
{
    pthread_mutex_lock(&acc->mu);
    if (acc->defer && !acc->started && acc->head && acc->rc == PIE_K_OK) {
        acc->started = pthread_create(&acc->th, NULL, merger, acc) == 0;
        if (!acc->started)
            acc->rc = PIE_K_ENOMEM; /* no thread to merge the queue */
    }
    acc->closed = 1;
    pthread_cond_signal(&acc->cv);
    pthread_mutex_unlock(&acc->mu);
    if (acc->started)
        pthread_join(acc->th, NULL);
    acc->started = 0;
}

void pie__chud_acc_free(pie__chud_acc *acc)
{
    if (!acc)
        return;
    /* A run that stops early (a failure, a cancel) drops the queued nodes
     * instead of merging them: only a merge under way is waited for. */
    pthread_mutex_lock(&acc->mu);
    if (acc->rc == PIE_K_OK)
        acc->rc = PIE_K_EINVAL;
    pthread_mutex_unlock(&acc->mu);
    finish(acc);
    pie__chud_sqrt_free(acc->sq);
    while (acc->head) {
        qitem *q = acc->head;
        acc->head = q->next;
        item_free(q);
    }
    for (unsigned i = 0; i < STACK_MAX; i++)
        pie__chud_node_clear(&acc->node[i]);
    pthread_mutex_destroy(&acc->mu);
    pthread_cond_destroy(&acc->cv);
    free(acc);
}

/* Merge the two top nodes of the stack st[0 .. *depth); the right one is
 * left initialized, its values dropped (pie__chud_merge). */
static int merge_top(const pie__chud_job *job, pie__chud_node *st, unsigned *depth,
                     const pie__par *par)
{
    pie__chud_node *l = &st[*depth - 2], *r = &st[*depth - 1];
    if (l->b != r->a)
        return PIE_K_EINVAL; /* the stack lost its order: a bug */
    int rc = pie__chud_merge(job, l, r, par);
    (*depth)--;
    return rc;
}

static int pop_merge(pie__chud_acc *acc, const pie__par *par)
{
    return merge_top(acc->job, acc->node, &acc->depth, par);
}

/* Push chunk c's node and do the merges it completes: as many as c has
 * trailing one bits, none for the last chunk (pie__chud_top's). */
static int absorb(pie__chud_acc *acc, pie__chud_node *x, uint64_t c)
{
    if (acc->depth >= STACK_MAX)
        return PIE_K_EINVAL;
    pie__chud_node *slot = &acc->node[acc->depth++];
    pie__chud_node_clear(slot);
    *slot = *x; /* the integers move */
    free(x);
    int rc = PIE_K_OK;
    if (c + 1 == acc->job->nchunks)
        return rc;
    pie__par own = pie__par_threads(acc->threads); /* during the series: threads */
    for (; rc == PIE_K_OK && (c & 1); c >>= 1)
        rc = pop_merge(acc, &own);
    return rc;
}

static void *merger(void *p)
{
    pie__chud_acc *acc = p;
    pthread_mutex_lock(&acc->mu);
    for (;;) {
        while (!acc->head && !acc->closed)
            pthread_cond_wait(&acc->cv, &acc->mu);
        qitem *q = acc->head;
        if (!q)
            break;
        acc->head = q->next;
        if (!acc->head)
            acc->tail = NULL;
        int failed = acc->rc != PIE_K_OK;
        pthread_mutex_unlock(&acc->mu);
        int rc = PIE_K_OK;
        if (failed) {
            item_free(q);
        } else {
            rc = absorb(acc, q->node, q->chunk);
            free(q);
        }
        pthread_mutex_lock(&acc->mu);
        if (rc != PIE_K_OK && acc->rc == PIE_K_OK)
            acc->rc = rc;
    }
    pthread_mutex_unlock(&acc->mu);
    return NULL;
}

int pie__chud_acc_push(pie__chud_acc *acc, const pie__chud_job *job, uint64_t chunk,
                       pie__chud_node *x)
{
    qitem *q = malloc(sizeof *q);
    if (!q) {
        pie__chud_node_clear(x);
        free(x);
        return PIE_K_ENOMEM;
    }
    *q = (qitem){.node = x, .chunk = chunk};
    /* Started here, not before the series: the process backend forks its
     * workers first, and a fork while another thread allocates is unsafe
     * with some allocators (AddressSanitizer's deadlocks in the child). */
    if (acc->want_sqrt && !acc->sq && chunk == 0)
        acc->sq = pie__chud_sqrt_start(job);
    if (acc->threads <= 1 || (acc->defer && chunk < acc->defer_from)) {
        /* One thread: the merges run here, in the caller's thread. */
        acc->job = job;
        int rc = acc->rc;
        if (rc == PIE_K_OK && chunk != acc->next_chunk)
            rc = PIE_K_EINVAL;
        if (rc != PIE_K_OK) {
            item_free(q);
            return rc;
        }
        free(q);
        acc->next_chunk++;
        acc->rc = absorb(acc, x, chunk);
        return acc->rc;
    }
    pthread_mutex_lock(&acc->mu);
    int rc = acc->rc;
    if (rc == PIE_K_OK && (chunk != acc->next_chunk || acc->closed))
        rc = PIE_K_EINVAL;
    if (rc == PIE_K_OK && !acc->started)
        acc->job = job; /* read by the merge thread, which starts after this */
    if (rc == PIE_K_OK && !acc->started && !acc->defer) {
        acc->started = pthread_create(&acc->th, NULL, merger, acc) == 0;
        if (!acc->started)
            rc = PIE_K_ENOMEM;
    }
    if (rc == PIE_K_OK) {
        if (acc->tail)
            acc->tail->next = q;
        else
            acc->head = q;
        acc->tail = q;
        acc->next_chunk++;
        pthread_cond_signal(&acc->cv);
    }
    pthread_mutex_unlock(&acc->mu);
    if (rc != PIE_K_OK)
        item_free(q);
    return rc;
}

/* After the last push: detach a block of chunks from the end of the queue,
 * which holds chunks E - q .. E - 1 in order (E: the first chunk taken so
 * far, C at first). The first time (taken == 0) the last 2^k, 2 <= 2^k <=
 * q / 2, and the merge thread is told to stop after the rest; then the
 * last `taken` (the buddy of what was taken), if all of them are queued.
 * Returns the block's first item (NULL: none taken), its size in *n. */
static qitem *steal(pie__chud_acc *acc, uint64_t taken, uint64_t *n)
{
    *n = 0;
    pthread_mutex_lock(&acc->mu);
    if (!acc->started && !acc->defer && acc->head && acc->rc == PIE_K_OK)
        acc->rc = PIE_K_ENOMEM; /* no thread to merge the queue */
    uint64_t q = 0;
    for (qitem *i = acc->head; i; i = i->next)
        q++;
    uint64_t b = taken;
    if (taken == 0 && q >= 4)
        for (b = 2; 4 * b <= q;)
            b *= 2;
    qitem *first = NULL;
    if ((acc->started || acc->defer) && acc->rc == PIE_K_OK && b > 0 && b <= q) {
        if (b == q) {
            first = acc->head;
            acc->head = acc->tail = NULL;
        } else {
            qitem *prev = acc->head; /* the item before the block */
            for (uint64_t i = 1; i < q - b; i++)
                prev = prev->next;
            first = prev->next;
            prev->next = NULL;
            acc->tail = prev;
        }
        *n = b;
    }
    acc->closed = 1;
    pthread_cond_signal(&acc->cv);
    pthread_mutex_unlock(&acc->mu);
    return first;
}

/* Merge the n chunks of the list `it` (n a power of two, in order) into
 * *out on this thread: the merges the stack would have made of them. The
 * items are consumed. */
static int merge_block(const pie__chud_job *job, qitem *it, uint64_t n, pie__chud_node *out)
{
    pie__chud_node st[STACK_MAX];
    unsigned d = 0;
    int rc = PIE_K_OK;
    pie__par one = pie__par_threads(1);
    uint64_t r = 0;
    for (; it; r++) {
        qitem *q = it;
        it = it->next;
        if (rc != PIE_K_OK || d >= STACK_MAX) {
            rc = rc != PIE_K_OK ? rc : PIE_K_EINVAL;
            item_free(q);
            continue;
        }
        st[d++] = *q->node; /* the integers move */
        free(q->node);
        free(q);
        /* r's trailing ones; the last chunk completes the block (r = n - 1). */
        for (uint64_t c = r; rc == PIE_K_OK && (c & 1); c >>= 1) {
            unsigned before = d;
            rc = merge_top(job, st, &d, &one);
            if (d < before)
                pie__chud_node_clear(&st[d]); /* the merged right node */
        }
    }
    if (rc == PIE_K_OK && (d != 1 || r != n))
        rc = PIE_K_EINVAL; /* n was not the block's size: a bug */
    if (rc == PIE_K_OK) {
        *out = st[0];
        return rc;
    }
    while (d)
        pie__chud_node_clear(&st[--d]);
    return rc;
}

int pie__chud_top(pie__chud_acc *acc, const pie__chud_job *job, const pie__par *par)
{
    if (acc->next_chunk != job->nchunks)
        return PIE_K_EINVAL;
    /* The blocks taken, last chunks first: sizes b, b, 2b, 4b, ... */
    pie__chud_node mine[STACK_MAX];
    unsigned nmine = 0;
    uint64_t taken = 0, n;
    int mrc = PIE_K_OK;
    qitem *block;
    while (mrc == PIE_K_OK && nmine < STACK_MAX && (block = steal(acc, taken, &n)) != NULL) {
        mrc = merge_block(job, block, n, &mine[nmine]);
        if (mrc == PIE_K_OK) {
            nmine++;
            taken += n;
        }
    }
    finish(acc);
    int rc = acc->rc == PIE_K_OK ? mrc : acc->rc;
    if (rc == PIE_K_OK && acc->depth + nmine > STACK_MAX)
        rc = PIE_K_EINVAL;
    while (nmine > 0) { /* pushed in chunk order, after the merge thread's */
        pie__chud_node *m = &mine[--nmine];
        if (rc == PIE_K_OK) {
            pie__chud_node *slot = &acc->node[acc->depth++];
            pie__chud_node_clear(slot);
            *slot = *m;
        } else {
            pie__chud_node_clear(m);
        }
    }
    if (rc == PIE_K_OK)
        acc->stolen += (unsigned)taken;
    if (rc == PIE_K_OK && acc->depth == 0)
        rc = PIE_K_EINVAL;
    while (acc->depth > 1 && rc == PIE_K_OK)
        rc = pop_merge(acc, par);
    if (rc == PIE_K_OK && (acc->node[0].a != 0 || acc->node[0].b != job->nterms))
        rc = PIE_K_EINVAL;
    return rc;
}

void pie__chud_acc_defer(pie__chud_acc *acc, uint64_t from)
{
    acc->defer = 1;
    acc->defer_from = from;
}

unsigned pie__chud_acc_stolen(const pie__chud_acc *acc)
{
    return acc->stolen;
}

pie__chud_node *pie__chud_acc_root(pie__chud_acc *acc)
{
    return acc->depth == 1 ? &acc->node[0] : NULL;
}
