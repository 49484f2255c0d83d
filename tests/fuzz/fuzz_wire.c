/** @brief libFuzzer target: the frame decoder (header checks, CRC, incremental reader). */
#include "wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Bound on payloads: the first byte of the input picks one, so the fuzzer
 * reaches both "oversized" and accepted frames. */
static uint64_t bound(void *user, uint16_t type, uint64_t chunk)
{
    (void)type;
    (void)chunk;
    return *(const uint64_t *)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint64_t max = (uint64_t)data[0] * 16;
    data++;
    size--;

    /* The pure checks on the first header. */
    if (size >= PIE_WIRE_HEADER) {
        pie__frame_hdr h;
        if (pie__wire_parse_header(data, max, &h) == PIE_WIRE_OK && h.length <= max &&
            h.length <= size - PIE_WIRE_HEADER)
            (void)pie__wire_check_crc(data, data + PIE_WIRE_HEADER, h.length);
    }

    /* The incremental reader over a descriptor holding the bytes: every
     * frame it accepts must have passed the checks and fit the bound. */
    int fd = memfd_create("fuzz", 0);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    lseek(fd, 0, SEEK_SET);
    pie__frame_reader r;
    memset(&r, 0, sizeof r);
    for (;;) {
        int rc = pie__frame_read(fd, &r, bound, &max);
        if (rc != PIE_WIRE_OK)
            break;
        if (r.h.length > max || r.payload.len != r.h.length)
            abort();
        pie__frame_reader_reset(&r);
    }
    pie__frame_reader_free(&r);
    close(fd);
    return 0;
}
