/** @brief SHA-256 (FIPS 180-4), incremental, with a lower-case hex digest. */
#ifndef PIE_SHA256_H
#define PIE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct pie__sha256 {
    uint32_t h[8];
    uint64_t bytes;
    unsigned char block[64];
    size_t fill;
} pie__sha256;

void pie__sha256_init(pie__sha256 *s);
void pie__sha256_update(pie__sha256 *s, const void *data, size_t n);
/* Pad, finish and write the digest as 64 hex digits and a NUL; s is spent. */
void pie__sha256_hex(pie__sha256 *s, char out[65]);

#endif
