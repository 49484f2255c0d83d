/** @brief The wire: framed messages (magic, version, type, chunk id, length, CRC-32C) and their
 * reader. */
#ifndef PIE_WIRE_H
#define PIE_WIRE_H

#include "pie_kernel.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Frame layout, all integers little-endian:
 *   0  u32 magic  "PIE!" (0x21454950)
 *   4  u16 version (1)
 *   6  u16 type    (PIE_FRAME_*)
 *   8  u64 chunk id
 *  16  u64 payload length
 *  24  u32 reserved, must be zero
 *  28  u32 CRC-32C of bytes 0..27 followed by the payload
 *  32  payload
 * Nothing in a frame is trusted before its checks pass: a bad magic,
 * version, type, reserved field, a length above the receiver's bound, a bad
 * CRC, or EOF before the frame is complete are all errors.
 */

#define PIE_WIRE_MAGIC 0x21454950u
#define PIE_WIRE_VERSION 1u
#define PIE_WIRE_HEADER 32u

enum {
    PIE_FRAME_CHUNK = 1,   /* parent -> worker: run this chunk (no payload) */
    PIE_FRAME_PARTIAL = 2, /* worker -> parent: the chunk's partial */
    PIE_FRAME_FAILED = 3   /* worker -> parent: the kernel failed; payload = u32 status */
};

typedef struct pie__frame_hdr {
    uint16_t type;
    uint64_t chunk;
    uint64_t length;
    uint32_t crc;
} pie__frame_hdr;

/* Results of decoding and reading. */
enum {
    PIE_WIRE_OK = 0,
    PIE_WIRE_AGAIN = 1,      /* non-blocking reader: no more bytes for now */
    PIE_WIRE_EOF = 2,        /* clean EOF at a frame boundary */
    PIE_WIRE_TRUNCATED = 3,  /* EOF in the middle of a frame */
    PIE_WIRE_BAD_HEADER = 4, /* magic, version, type or reserved field wrong */
    PIE_WIRE_OVERSIZED = 5,  /* length above the receiver's bound */
    PIE_WIRE_BAD_CRC = 6,
    PIE_WIRE_IO = 7, /* read() failed; errno is set */
    PIE_WIRE_NOMEM = 8
};

const char *pie__wire_result_name(int result);

uint32_t pie__crc32c(uint32_t crc, const void *data, size_t n);

/* Fill the 32-byte header for a frame carrying `payload`. */
void pie__wire_header(unsigned char hdr[PIE_WIRE_HEADER], uint16_t type, uint64_t chunk,
                      const void *payload, uint64_t len);
/* Validate a header (everything except the CRC, which needs the payload). */
int pie__wire_parse_header(const unsigned char hdr[PIE_WIRE_HEADER], uint64_t max_len,
                           pie__frame_hdr *out);
/* Check the CRC of a parsed header against its payload. */
int pie__wire_check_crc(const unsigned char hdr[PIE_WIRE_HEADER], const void *payload,
                        uint64_t len);

/* Write one whole frame; 0 or -1 with errno (EPIPE when the reader is gone). */
int pie__wire_send(int fd, uint16_t type, uint64_t chunk, const void *payload, uint64_t len);

/* Incremental frame reader: works on blocking and non-blocking descriptors. */
typedef struct pie__frame_reader {
    unsigned char hdr[PIE_WIRE_HEADER];
    size_t hdr_got;
    int have_hdr;
    pie__frame_hdr h;
    pie_kbuf payload; /* the payload of the frame being read */
} pie__frame_reader;

/* Read until a whole frame is in `r` (PIE_WIRE_OK: r->h and r->payload hold
 * it; the caller takes r->payload and calls pie__frame_reader_reset), or
 * until the descriptor has nothing more (PIE_WIRE_AGAIN), or an error. The
 * bound for the payload length comes from `max_len(chunk)` through a callback
 * so that each chunk can have its own. */
typedef uint64_t (*pie__max_len_fn)(void *user, uint16_t type, uint64_t chunk);
int pie__frame_read(int fd, pie__frame_reader *r, pie__max_len_fn max_len, void *user);
void pie__frame_reader_reset(pie__frame_reader *r);
void pie__frame_reader_free(pie__frame_reader *r);

#endif
