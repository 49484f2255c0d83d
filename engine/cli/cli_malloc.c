/** @brief The pie command's allocator settings: large blocks kept for reuse instead of being
 * returned to the kernel after every use. */
#include "cli_main.h"

#include <stdlib.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

/*
 * pie digits allocates and frees integers of megabytes all the time (the
 * products of the top merges, the division's and the conversion's
 * temporaries). glibc serves a block above its mmap threshold (128 KiB at
 * first, raised as such blocks are freed) with a fresh mapping and unmaps
 * it on free, and trims the heap's top beyond 128 KiB: each new block is
 * then faulted in again, page by page, zeroed by the kernel. Fixing the
 * threshold at glibc's largest (32 MiB, 4 Mi longs) and the trim at 1 GiB
 * keeps those blocks in the heap for the next use: at 10^7 digits the
 * system time falls from about 0.15 s to about 0.01 s and the run is about
 * 3% faster, at 10^8 about 2%, for 4% more peak memory (docs/digits.md).
 * Blocks above 32 MiB (the top levels from about 10^8 digits) are still
 * mapped, so a long run's peak does not stay held.
 *
 * This is the command's choice, not the library's: a program using libpie
 * keeps its own allocator settings. A user's GLIBC_TUNABLES that sets the
 * malloc thresholds wins.
 */
void pie_cli_tune_malloc(void)
{
#ifdef __GLIBC__
    const char *t = getenv("GLIBC_TUNABLES");
    if (t && (strstr(t, "glibc.malloc.mmap_threshold") || strstr(t, "glibc.malloc.trim_threshold")))
        return;
    mallopt(M_MMAP_THRESHOLD, (int)(sizeof(long) << 22));
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}
