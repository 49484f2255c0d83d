/** @brief libFuzzer target: the checkpoint reader (header, fingerprint, frames, resync). */
#include "checkpoint.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The seeds in corpus/checkpoint carry this fingerprint. */
#define FUZZ_FINGERPRINT "pie-fuzz"
#define FUZZ_CHUNKS 64u
#define FUZZ_BOUND 256u

typedef struct seen {
    const uint8_t *buf;
    size_t size;
    uint64_t frames;
} seen;

static uint64_t bound(void *user, uint64_t chunk)
{
    (void)user;
    if (chunk >= FUZZ_CHUNKS)
        abort(); /* the reader must check the range before asking */
    return FUZZ_BOUND;
}

static int on_chunk(void *user, uint64_t chunk, const unsigned char *p, size_t len)
{
    seen *s = user;
    /* Every reported partial lies inside the image and within bounds. */
    if (chunk >= FUZZ_CHUNKS || len > FUZZ_BOUND || p < s->buf || p + len > s->buf + s->size)
        abort();
    volatile unsigned char sink = 0;
    for (size_t i = 0; i < len; i++)
        sink ^= p[i];
    (void)sink;
    s->frames++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seen s = {data, size, 0};
    pie__ckpt_scan scan;
    pie__ckpt_scan_image(data, size, FUZZ_FINGERPRINT, FUZZ_CHUNKS, bound, on_chunk, &s, &scan);
    if (scan.frames_ok != s.frames || (scan.header != 1 && s.frames != 0))
        abort();
    return 0;
}
