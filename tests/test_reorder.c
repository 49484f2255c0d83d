/** @brief Ordered reduction: partials put in any order are merged strictly in chunk order. */
#include "engine.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

/* A deliberately non-commutative merge: acc = acc * 1000003 + chunk-byte. */
static int merge(void *acc, const void *job, uint64_t chunk, const unsigned char *p, size_t len)
{
    (void)job;
    if (len != 1 || p[0] != (unsigned char)(chunk * 13))
        return PIE_K_ECORRUPT;
    *(uint64_t *)acc = *(uint64_t *)acc * 1000003u + p[0];
    return PIE_K_OK;
}

static const pie_kernel_ops ops = {.name = "order", .merge = merge};

static uint64_t expected(uint64_t n)
{
    uint64_t a = 0;
    for (uint64_t c = 0; c < n; c++)
        a = a * 1000003u + (unsigned char)(c * 13);
    return a;
}

int main(void)
{
    test_begin("test_reorder");
    for (int trial = 0; trial < 200; trial++) {
        uint64_t n = 1 + test_rand() % 300;
        uint64_t *perm = malloc(n * sizeof *perm);
        for (uint64_t i = 0; i < n; i++)
            perm[i] = i;
        for (uint64_t i = n - 1; i > 0; i--) { /* shuffle */
            uint64_t j = test_rand() % (i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        uint64_t acc = 0;
        pie__task task = {.ops = &ops, .acc = &acc, .nchunks = n};
        pie__reorder r;
        pie__reorder_init(&r, &task);
        for (uint64_t i = 0; i < n; i++) {
            pie_kbuf b = {0};
            unsigned char v = (unsigned char)(perm[i] * 13);
            pie_kbuf_append(&b, &v, 1);
            CHECKF(pie__reorder_put(&r, perm[i], &b) == PIE_OK, "put chunk %llu of %llu",
                   (unsigned long long)perm[i], (unsigned long long)n);
        }
        CHECKF(acc == expected(n) && r.next == n && r.npending == 0, "trial %d, %llu chunks", trial,
               (unsigned long long)n);
        /* Duplicates and out-of-range ids are refused. */
        pie_kbuf b = {0};
        pie_kbuf_append(&b, "x", 1);
        CHECK(pie__reorder_put(&r, 0, &b) == PIE_ECORRUPT);
        pie__reorder_free(&r);
        free(perm);
    }
    return test_finish();
}
