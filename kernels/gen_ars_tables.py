#!/usr/bin/env python3
"""Generate kernels/ars_tables.h: the AES S-box and round T-tables, from GF(2^8) arithmetic."""


def xtime(a):
    a <<= 1
    return (a ^ 0x11B) & 0xFF if a & 0x100 else a


def gmul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a = xtime(a)
        b >>= 1
    return r


def rotl8(x, s):
    return ((x << s) | (x >> (8 - s))) & 0xFF


def main():
    inv = [0] * 256
    for a in range(1, 256):
        inv[a] = next(b for b in range(1, 256) if gmul(a, b) == 1)
    sbox = []
    for a in range(256):
        b = inv[a]
        sbox.append(b ^ rotl8(b, 1) ^ rotl8(b, 2) ^ rotl8(b, 3) ^ rotl8(b, 4) ^ 0x63)
    assert sbox[0] == 0x63 and sbox[1] == 0x7C and sbox[0x53] == 0xED  # FIPS-197 values
    te = [[0] * 256 for _ in range(4)]
    for x in range(256):
        s = sbox[x]
        t0 = gmul(s, 2) | (s << 8) | (s << 16) | (gmul(s, 3) << 24)  # MixColumns column
        for r in range(4):
            te[r][x] = ((t0 << (8 * r)) | (t0 >> (32 - 8 * r))) & 0xFFFFFFFF
    out = ["/** @brief AES S-box and round tables (generated from GF(2^8) arithmetic by "
           "kernels/gen_ars_tables.py). */",
           "#ifndef PIE_ARS_TABLES_H", "#define PIE_ARS_TABLES_H", "#include <stdint.h>", "",
           "static const uint8_t pie__aes_sbox[256] = {"]
    for i in range(0, 256, 16):
        out.append("    " + ", ".join("0x%02x" % v for v in sbox[i:i + 16]) + ",")
    out.append("};")
    for r in range(4):
        out.append("static const uint32_t pie__aes_te%d[256] = {" % r)
        for i in range(0, 256, 8):
            out.append("    " + ", ".join("0x%08xu" % v for v in te[r][i:i + 8]) + ",")
        out.append("};")
    out += ["#endif", ""]
    print("\n".join(out), end="")


if __name__ == "__main__":
    main()
