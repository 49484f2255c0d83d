/** @brief Freed heap memory handed back to the system between the phases of a large run. */
#include "heap.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

/*
 * GMP allocates its temporaries with malloc. Blocks below glibc's mmap
 * threshold (which grows up to 32 MiB with the blocks it sees) come from
 * the arenas, one per thread that allocates, and stay there once freed. The
 * Chudnovsky digits call this between the series, the division and the
 * conversion, so that each phase's peak does not sit on the last one's free
 * blocks (at 3e7 digits the parent's peak fell from 354-363 to 347 MiB).
 * malloc_trim gives every arena's free pages back; it walks the free lists,
 * milliseconds.
 */
void pie__trim_heap(void)
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
