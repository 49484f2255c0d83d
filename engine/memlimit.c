/** @brief How much memory a run may use: MemAvailable, the memory cgroup's limit, RLIMIT_AS. */
#include "memlimit.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * MemAvailable alone is the host's view: under a memory cgroup (a container,
 * a systemd unit, a batch job) the kernel's OOM killer strikes at the
 * group's limit, and under `ulimit -v` (RLIMIT_AS) an allocation fails at
 * the process's own limit, long before MemAvailable runs out. The digits
 * workload checks its estimate against all three (engine/digits.c).
 */

/* cgroup v1 writes "no limit" as the largest page-counter value (about 2^63). */
#define V1_UNLIMITED (UINT64_C(1) << 62)

/* The number in dir/name; 0 when the file is missing, not a number ("max"). */
static int read_u64(const char *dir, const char *name, uint64_t *v)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    unsigned long long x;
    int ok = fscanf(f, "%llu", &x) == 1;
    fclose(f);
    if (ok)
        *v = x;
    return ok;
}

/* The value of `key` in dir/memory.stat ("key value" lines); 0 if absent. */
static uint64_t stat_value(const char *dir, const char *key)
{
    char path[4300], line[256];
    snprintf(path, sizeof path, "%s/memory.stat", dir);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = strlen(key);
    unsigned long long v = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ' ' && sscanf(line + n, "%llu", &v) == 1)
            break;
    fclose(f);
    return v;
}

static uint64_t room(uint64_t limit, uint64_t used, uint64_t reclaimable)
{
    used = used > reclaimable ? used - reclaimable : 0;
    return limit > used ? limit - used : 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* cgroup v2: the group and every ancestor may have a memory.max. */
static uint64_t v2_room(const char *root, const char *path)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s%s", root, path);
    uint64_t best = UINT64_MAX;
    for (;;) {
        uint64_t max, cur;
        size_t n = strlen(dir);
        while (n > strlen(root) && dir[n - 1] == '/')
            dir[--n] = '\0';
        if (is_dir(dir) && read_u64(dir, "memory.max", &max) &&
            read_u64(dir, "memory.current", &cur)) {
            uint64_t r = room(max, cur, stat_value(dir, "inactive_file"));
            if (r < best)
                best = r;
        }
        char *slash = strrchr(dir, '/');
        if (n <= strlen(root) || !slash || slash < dir + strlen(root))
            return best;
        *slash = '\0';
    }
}

/* cgroup v1: the nearest existing group (a container may see only its own
 * part of the path) gives its hierarchical limit, ancestors included. */
static uint64_t v1_room(const char *root, const char *path)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/memory%s", root, path);
    size_t base = strlen(root) + strlen("/memory");
    for (;;) {
        if (is_dir(dir)) {
            uint64_t limit = stat_value(dir, "hierarchical_memory_limit"), lim2, used;
            if (read_u64(dir, "memory.limit_in_bytes", &lim2) && (limit == 0 || lim2 < limit))
                limit = lim2;
            if (limit == 0 || limit >= V1_UNLIMITED ||
                !read_u64(dir, "memory.usage_in_bytes", &used))
                return UINT64_MAX;
            return room(limit, used, stat_value(dir, "total_inactive_file"));
        }
        char *slash = strrchr(dir, '/');
        if (!slash || slash < dir + base)
            return UINT64_MAX;
        *slash = '\0';
    }
}

/* Whether the comma-separated controller list `list` (of length n) names memory. */
static int names_memory(const char *list, size_t n)
{
    for (size_t i = 0; i + 6 <= n; i++)
        if (strncmp(list + i, "memory", 6) == 0 && (i == 0 || list[i - 1] == ',') &&
            (i + 6 == n || list[i + 6] == ','))
            return 1;
    return 0;
}

uint64_t pie__mem_cgroup_room(const char *proc_cgroup, const char *root)
{
    FILE *f = fopen(proc_cgroup, "re");
    if (!f)
        return UINT64_MAX;
    uint64_t best = UINT64_MAX;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || c2[1] != '/')
            continue;
        uint64_t r = UINT64_MAX;
        if (strncmp(line, "0:", 2) == 0 && c2 == c1 + 1)
            r = v2_room(root, c2 + 1);
        else if (names_memory(c1 + 1, (size_t)(c2 - c1 - 1)))
            r = v1_room(root, c2 + 1);
        if (r < best)
            best = r;
    }
    fclose(f);
    return best;
}

static uint64_t meminfo_available(void)
{
    FILE *f = fopen("/proc/meminfo", "re");
    if (!f)
        return 0;
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return (uint64_t)kib * 1024u;
}

/* RLIMIT_AS minus the address space this process already has (VmSize). */
static uint64_t address_space_room(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    unsigned long long pages = 0;
    FILE *f = fopen("/proc/self/statm", "re");
    if (f) {
        if (fscanf(f, "%llu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    uint64_t used = (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
    return (uint64_t)rl.rlim_cur > used ? (uint64_t)rl.rlim_cur - used : 0;
}

void pie__mem_limits_read(pie__mem_limits *m)
{
    m->mem_available = meminfo_available();
    m->cgroup_room = pie__mem_cgroup_room("/proc/self/cgroup", "/sys/fs/cgroup");
    m->as_room = address_space_room();
}

uint64_t pie__mem_available(const pie__mem_limits *m)
{
    if (m->cgroup_room == UINT64_MAX)
        return m->mem_available;
    if (m->mem_available == 0 || m->cgroup_room < m->mem_available)
        return m->cgroup_room;
    return m->mem_available;
}
