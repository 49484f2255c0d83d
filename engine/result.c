/** @brief Results the library allocates, all released by one call, pie_result_free. */
#include "engine.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A hidden header before every result: how to free what the result points
 * to. The union keeps the result itself maximally aligned. */
typedef union header {
    struct {
        void (*destroy)(void *result);
        char *text; /* strings the result points to (pie__result_keep) */
    } h;
    max_align_t align;
} header;

void *pie__result_new(size_t size, void (*destroy)(void *result))
{
    header *h = calloc(1, sizeof(header) + size);
    if (!h)
        return NULL;
    h->h.destroy = destroy;
    return h + 1;
}

void pie_result_free(const void *result)
{
    if (!result)
        return;
    header *h = (header *)result - 1;
    if (h->h.destroy)
        h->h.destroy((void *)(h + 1));
    free(h->h.text);
    free(h);
}

const char *pie__result_keep(void *result, const char *a, const char *b, const char **b_copy)
{
    header *h = (header *)result - 1;
    size_t la = strlen(a), lb = strlen(b);
    char *t = malloc(la + lb + 2);
    if (!t) {
        *b_copy = "";
        return "";
    }
    memcpy(t, a, la + 1);
    memcpy(t + la + 1, b, lb + 1);
    free(h->h.text);
    h->h.text = t;
    *b_copy = t + la + 1;
    return t;
}
