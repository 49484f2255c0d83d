/** @brief Results the library allocates, all released by one call, pie_result_free. */
#include "engine.h"

#include <stddef.h>
#include <stdlib.h>

/* A hidden header before every result: how to free what the result points
 * to. The union keeps the result itself maximally aligned. */
typedef union header {
    void (*destroy)(void *result);
    max_align_t align;
} header;

void *pie__result_new(size_t size, void (*destroy)(void *result))
{
    header *h = calloc(1, sizeof(header) + size);
    if (!h)
        return NULL;
    h->destroy = destroy;
    return h + 1;
}

void pie_result_free(const void *result)
{
    if (!result)
        return;
    header *h = (header *)result - 1;
    if (h->destroy)
        h->destroy((void *)(h + 1));
    free(h);
}
