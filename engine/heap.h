/** @brief Freed heap memory handed back to the system between the phases of a large run. */
#ifndef PIE_HEAP_H
#define PIE_HEAP_H

/* Return the free memory of every malloc arena to the system (glibc's
 * malloc_trim; nothing elsewhere). */
void pie__trim_heap(void);

#endif
