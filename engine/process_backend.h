/** @brief Process backend internals shared by its files. */
#ifndef PIE_PROCESS_BACKEND_H
#define PIE_PROCESS_BACKEND_H

/* Exit codes a worker uses to tell the parent why it stopped (the reaper
 * turns them back into words). */
enum { PIE_PROC_EXIT_PROTOCOL = 70, PIE_PROC_EXIT_SEND = 71, PIE_PROC_EXIT_NOMEM = 72 };

#endif
