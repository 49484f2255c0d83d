/** @brief Ordered reduction: partials arrive in any order, merge in chunk order as the prefix
 * fills. */
#include "engine.h"

#include <stdlib.h>

struct pie__pending {
    uint64_t chunk;
    pie_kbuf partial;
    pie__pending *next;
};

void pie__reorder_init(pie__reorder *r, const pie__task *task)
{
    r->task = task;
    r->next = 0;
    r->head = NULL;
    r->npending = 0;
}

static pie_status merge_one(pie__reorder *r, uint64_t chunk, pie_kbuf *partial)
{
    const pie__task *t = r->task;
    int k = t->ops->merge(t->acc, t->job, chunk, partial->data, partial->len);
    pie_kbuf_free(partial);
    if (k != PIE_K_OK)
        return pie__from_kernel(k);
    r->next++;
    return PIE_OK;
}

pie_status pie__reorder_put(pie__reorder *r, uint64_t chunk, pie_kbuf *partial)
{
    if (chunk < r->next || chunk >= r->task->nchunks) {
        pie_kbuf_free(partial); /* a duplicate or impossible chunk id */
        return PIE_ECORRUPT;
    }
    if (chunk == r->next) {
        pie_status st = merge_one(r, chunk, partial);
        while (st == PIE_OK && r->head && r->head->chunk == r->next) {
            pie__pending *p = r->head;
            r->head = p->next;
            r->npending--;
            st = merge_one(r, p->chunk, &p->partial);
            free(p);
        }
        return st;
    }
    /* Out of order: keep it, sorted, until its predecessors arrive. The list
     * stays short because chunks are handed out in increasing order. */
    pie__pending **pp = &r->head;
    while (*pp && (*pp)->chunk < chunk)
        pp = &(*pp)->next;
    if (*pp && (*pp)->chunk == chunk) {
        pie_kbuf_free(partial);
        return PIE_ECORRUPT;
    }
    pie__pending *p = malloc(sizeof *p);
    if (!p) {
        pie_kbuf_free(partial);
        return PIE_ENOMEM;
    }
    p->chunk = chunk;
    p->partial = *partial;
    *partial = (pie_kbuf){0};
    p->next = *pp;
    *pp = p;
    r->npending++;
    return PIE_OK;
}

void pie__reorder_free(pie__reorder *r)
{
    while (r->head) {
        pie__pending *p = r->head;
        r->head = p->next;
        pie_kbuf_free(&p->partial);
        free(p);
    }
    r->npending = 0;
}
