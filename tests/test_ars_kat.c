/** @brief Known-answer tests: pie's portable ARS-5 and Monte Carlo mapping against Random123's
 * reference. */
#include "ars.h"
#include "cpu.h"
#include "mc_kernel.h"
#include "r123_ref.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

/* Produced by Random123 1.14's ars4x32_R(5, ctr, key) (AES-NI). */
static const uint32_t kat[][3][4] = {
    {{0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u},
     {0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u},
     {0x7ecce06fu, 0x7cdc3bcau, 0x15513c87u, 0x29d24c9bu}},
    {{0x00000001u, 0x00000000u, 0x00000000u, 0x00000000u},
     {0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u},
     {0x3b424772u, 0x84da4a94u, 0xbb5dbd82u, 0xcb1c3db8u}},
    {{0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u},
     {0x00000001u, 0x00000000u, 0x00000000u, 0x00000000u},
     {0x9920b2f2u, 0x1c9a2e7eu, 0x05ccf378u, 0x89820f38u}},
    {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
     {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
     {0x524f3d4cu, 0x870acd82u, 0x835b5954u, 0x915b1320u}},
    {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
     {0xa4093822u, 0x299f31d0u, 0x082efa98u, 0xec4e6c89u},
     {0x9150862du, 0x525af535u, 0x6612f4fau, 0xe2a60648u}},
    {{0x075bcd15u, 0x00000000u, 0x00000000u, 0x00000000u},
     {0x0000002au, 0x00000000u, 0x00000000u, 0x00000000u},
     {0xc0de2ab2u, 0x6e94cc4bu, 0x2811a9eau, 0x08ed52beu}},
};

int main(void)
{
    test_begin("test_ars_kat");
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        uint32_t out[4];
        pie__ars5_soft(kat[i][0], kat[i][1], out);
        for (int w = 0; w < 4; w++)
            CHECKF(out[w] == kat[i][2][w], "portable ARS-5 known-answer vector");
    }
    /* Inside-test edge cases: the lattice boundary is exact. */
    CHECKF(pie_mc_inside(0, 0) == 1, "origin cell inside");
    CHECKF(pie_mc_inside(0xffffffffu, 0) == 1, "(2^32-1)^2 + 1 < 2^64");
    CHECKF(pie_mc_inside(0xffffffffu, 0xffffffffu) == 0, "far corner outside");
    CHECKF(pie_mc_inside(0xb504f333u, 0xb504f333u) == 1, "just inside the diagonal");
    CHECKF(pie_mc_inside(0xb504f335u, 0xb504f335u) == 0, "just outside the diagonal");

    if (!(pie__cpu_features() & PIE_CPU_AES)) {
        printf("no AES-NI on this CPU: live comparison with Random123 skipped\n");
    } else {
        for (int t = 0; t < 200000; t++) {
            uint32_t c[4], k[4], a[4], b[4];
            for (int w = 0; w < 4; w++) {
                c[w] = (uint32_t)test_rand();
                k[w] = (uint32_t)test_rand();
            }
            pie__ars5_soft(c, k, a);
            r123_ars5(c, k, b);
            for (int w = 0; w < 4; w++)
                CHECKF(a[w] == b[w], "portable ARS-5 == Random123 ars4x32_R(5)");
            if (test_failures())
                break;
        }
        for (int t = 0; t < 40 && !test_failures(); t++) {
            uint64_t sd = t < 2 ? (uint64_t)t : test_rand();
            uint64_t first = t % 3 == 0 ? 0 : test_rand() >> (t % 5 == 0 ? 1 : 20);
            uint64_t count = 1 + test_rand() % 5000;
            CHECKF(pie__mc_count_scalar(sd, first, count) == r123_mc_count(sd, first, count),
                   "scalar Monte Carlo count == mapping rebuilt on Random123");
        }
    }
    return test_finish();
}
