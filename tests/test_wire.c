/** @brief Wire format: round trip, and corrupt, truncated, oversized and foreign frames rejected.
 */
#include "sysio.h"
#include "test_util.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uint64_t bound_1k(void *u, uint16_t type, uint64_t chunk)
{
    (void)u;
    (void)type;
    (void)chunk;
    return 1024;
}

/* Write `n` raw bytes into a pipe, close it, and read one frame back. */
static int read_back(const unsigned char *bytes, size_t n, pie__frame_reader *r)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pie__write_all(p[1], bytes, n);
    close(p[1]);
    int rc = pie__frame_read(p[0], r, bound_1k, NULL);
    close(p[0]);
    return rc;
}

static size_t make_frame(unsigned char *buf, uint16_t type, uint64_t chunk, const char *payload)
{
    size_t len = strlen(payload);
    pie__wire_header(buf, type, chunk, payload, len);
    memcpy(buf + PIE_WIRE_HEADER, payload, len);
    return PIE_WIRE_HEADER + len;
}

int main(void)
{
    test_begin("test_wire");
    unsigned char buf[4096];
    pie__frame_reader r = {0};

    /* CRC-32C check value from RFC 3720 / iSCSI: "123456789" -> 0xE3069283. */
    CHECKF(pie__crc32c(0, "123456789", 9) == 0xE3069283u, "CRC-32C check value");
    unsigned char big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7);
    CHECKF(pie__crc32c(pie__crc32c(0, big, 300), big + 300, 700) == pie__crc32c(0, big, 1000),
           "CRC chaining (software and SSE4.2 paths agree)");

    size_t n = make_frame(buf, PIE_FRAME_PARTIAL, 0x0123456789abcdefULL, "hello partial");
    CHECKF(read_back(buf, n, &r) == PIE_WIRE_OK, "round trip");
    CHECKF(r.h.type == PIE_FRAME_PARTIAL && r.h.chunk == 0x0123456789abcdefULL, "header fields");
    CHECKF(r.payload.len == 13 && memcmp(r.payload.data, "hello partial", 13) == 0, "payload");
    pie__frame_reader_reset(&r);

    /* Two frames back to back, then a clean EOF. */
    int p[2];
    CHECKF(pipe(p) == 0, "pipe");
    size_t n1 = make_frame(buf, PIE_FRAME_PARTIAL, 1, "a");
    size_t n2 = make_frame(buf + n1, PIE_FRAME_CHUNK, 2, "");
    pie__write_all(p[1], buf, n1 + n2);
    close(p[1]);
    CHECKF(pie__frame_read(p[0], &r, bound_1k, NULL) == PIE_WIRE_OK && r.h.chunk == 1, "first");
    pie__frame_reader_reset(&r);
    CHECKF(pie__frame_read(p[0], &r, bound_1k, NULL) == PIE_WIRE_OK && r.h.chunk == 2, "second");
    pie__frame_reader_reset(&r);
    CHECKF(pie__frame_read(p[0], &r, bound_1k, NULL) == PIE_WIRE_EOF, "clean EOF");
    close(p[0]);

    /* Every single-bit flip anywhere in the frame is caught. */
    n = make_frame(buf, PIE_FRAME_PARTIAL, 7, "payload bytes under test");
    int missed = 0;
    for (size_t bit = 0; bit < n * 8; bit++) {
        unsigned char copy[256];
        memcpy(copy, buf, n);
        copy[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        pie__frame_reader_reset(&r);
        int rc = read_back(copy, n, &r);
        /* A flipped length bit may make the frame look longer (truncated) or
         * shorter (bad CRC): anything but OK is a detection. */
        if (rc == PIE_WIRE_OK)
            missed++;
    }
    CHECKF(missed == 0, "every bit flip detected");

    /* Truncation at every length is detected, never delivered. */
    int truncated_ok = 1;
    for (size_t cut = 1; cut < n; cut++) {
        pie__frame_reader_reset(&r);
        if (read_back(buf, cut, &r) != PIE_WIRE_TRUNCATED)
            truncated_ok = 0;
    }
    CHECKF(truncated_ok, "EOF mid-frame reported as truncated");

    /* Oversized: a valid frame longer than the receiver's bound. */
    static unsigned char huge[2048 + PIE_WIRE_HEADER];
    memset(huge + PIE_WIRE_HEADER, 'x', 2048);
    pie__wire_header(huge, PIE_FRAME_PARTIAL, 1, huge + PIE_WIRE_HEADER, 2048);
    pie__frame_reader_reset(&r);
    CHECKF(read_back(huge, sizeof huge, &r) == PIE_WIRE_OVERSIZED, "oversized frame rejected");
    /* A forged 2^62 length must not be allocated. */
    unsigned char forged[PIE_WIRE_HEADER];
    pie__wire_header(forged, PIE_FRAME_PARTIAL, 1, "", 0);
    pie_kput_u64(forged + 16, (uint64_t)1 << 62);
    pie__frame_reader_reset(&r);
    CHECKF(read_back(forged, sizeof forged, &r) == PIE_WIRE_OVERSIZED, "forged length rejected");

    /* Foreign data: wrong magic, version, type, reserved. */
    const size_t offs[] = {0, 4, 6, 24};
    for (size_t i = 0; i < 4; i++) {
        n = make_frame(buf, PIE_FRAME_PARTIAL, 1, "x");
        buf[offs[i]] ^= 0x40;
        pie__frame_reader_reset(&r);
        CHECKF(read_back(buf, n, &r) == PIE_WIRE_BAD_HEADER, "foreign header rejected");
    }

    /* Non-blocking reader: a frame arriving in pieces. */
    CHECKF(pipe(p) == 0, "pipe");
    pie__set_nonblock(p[0], 1);
    n = make_frame(buf, PIE_FRAME_PARTIAL, 9, "split across writes");
    pie__frame_reader_reset(&r);
    int again = 0;
    for (size_t i = 0; i < n; i++) {
        pie__write_all(p[1], buf + i, 1);
        int rc = pie__frame_read(p[0], &r, bound_1k, NULL);
        if (i + 1 < n)
            again += rc == PIE_WIRE_AGAIN;
        else
            CHECKF(rc == PIE_WIRE_OK && r.h.chunk == 9, "assembled from single bytes");
    }
    CHECKF(again == (int)n - 1, "AGAIN until complete");
    close(p[0]);
    close(p[1]);

    /* Writing to a pipe with no reader is EPIPE, not a dead process. */
    CHECKF(pipe(p) == 0, "pipe");
    close(p[0]);
    errno = 0;
    CHECKF(pie__wire_send(p[1], PIE_FRAME_CHUNK, 1, NULL, 0) == -1 && errno == EPIPE, "EPIPE");
    close(p[1]);

    pie__frame_reader_free(&r);
    return test_finish();
}
