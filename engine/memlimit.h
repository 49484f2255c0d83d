/** @brief How much memory a run may use: MemAvailable, the memory cgroup's limit, RLIMIT_AS. */
#ifndef PIE_MEMLIMIT_H
#define PIE_MEMLIMIT_H

#include <stdint.h>

typedef struct pie__mem_limits {
    uint64_t mem_available; /* /proc/meminfo MemAvailable; 0: unknown */
    uint64_t cgroup_room;   /* the memory cgroup's limit minus its use; UINT64_MAX: no limit */
    uint64_t as_room;       /* RLIMIT_AS minus this process's address space; UINT64_MAX: none */
} pie__mem_limits;

/* Read the three limits of this process now. */
void pie__mem_limits_read(pie__mem_limits *m);

/* The least of MemAvailable and the cgroup's room; 0 when neither is known. */
uint64_t pie__mem_available(const pie__mem_limits *m);

/* The room left under the memory limits of the cgroup that `proc_cgroup`
 * (a file in the format of /proc/self/cgroup) names, with the cgroup
 * file systems mounted at `root` (/sys/fs/cgroup): cgroup v2 memory.max
 * and memory.current of the group and each ancestor; v1
 * memory.stat's hierarchical_memory_limit (or memory.limit_in_bytes) and
 * memory.usage_in_bytes. Reclaimable page cache (inactive_file) does not
 * count as used. UINT64_MAX when no limit is set or found. Parameters for
 * tests, which build a fake tree. */
uint64_t pie__mem_cgroup_room(const char *proc_cgroup, const char *root);

#endif
