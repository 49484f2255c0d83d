/** @brief The machine's topology from hwloc (packages, NUMA nodes, cores, SMT, caches, core
 * kinds), probed once; without hwloc, the affinity mask alone. */
#include "placement.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if PIE_HAVE_HWLOC
#include <hwloc.h>
#endif

static pie__cpu_map map;
static pthread_once_t map_once = PTHREAD_ONCE_INIT;
#if PIE_HAVE_HWLOC
static hwloc_topology_t topo; /* loaded once, kept for pie_topology_get */
#endif

/* Without hwloc: each CPU of the affinity mask is a core of one node. */
static void map_from_mask(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        CPU_SET(0, &set);
    pie__pu *pu = calloc(CPU_SETSIZE, sizeof *pu);
    if (!pu)
        return;
    unsigned n = 0;
    for (unsigned c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            pu[n] = (pie__pu){.cpu = c, .core = n, .core_in_node = n}, n++;
    map = (pie__cpu_map){.pu = pu, .n = n, .from_hwloc = 0};
}

#if PIE_HAVE_HWLOC
/* The node a PU belongs to: its NUMA node, else its package, else 0. */
static unsigned node_of(hwloc_obj_t pu)
{
    unsigned nn = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    for (unsigned i = 0; nn > 1 && i < nn; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i);
        if (hwloc_bitmap_isset(o->cpuset, pu->os_index))
            return i;
    }
    hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, pu);
    return pkg ? pkg->logical_index : 0;
}

static int map_from_hwloc(void)
{
    if (hwloc_topology_init(&topo) != 0)
        return -1;
    if (hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        return -1;
    }
    unsigned npu = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    pie__pu *pu = calloc(npu ? npu : 1, sizeof *pu);
    if (!pu || npu == 0) {
        free(pu);
        hwloc_topology_destroy(topo);
        return -1;
    }
    unsigned ncores = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    unsigned *seen_in_node = calloc(npu + 1, sizeof *seen_in_node);
    for (unsigned i = 0; i < npu; i++) {
        hwloc_obj_t p = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i);
        hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, p);
        pie__pu *u = &pu[i];
        u->cpu = p->os_index;
        u->core = core ? core->logical_index : (ncores ? 0 : i);
        u->smt = 0;
        for (unsigned j = 0; j < i; j++)
            u->smt += pu[j].core == u->core && core;
        u->node = node_of(p);
        if (u->smt == 0 && seen_in_node && u->node < npu)
            u->core_in_node = seen_in_node[u->node]++;
        else
            for (unsigned j = 0; j < i; j++)
                if (pu[j].core == u->core)
                    u->core_in_node = pu[j].core_in_node;
    }
    free(seen_in_node);
    map = (pie__cpu_map){.pu = pu, .n = npu, .from_hwloc = 1};
    return 0;
}
#endif

static void build_map(void)
{
#if PIE_HAVE_HWLOC
    if (map_from_hwloc() == 0)
        return;
#endif
    map_from_mask();
}

const pie__cpu_map *pie__cpu_map_get(void)
{
    pthread_once(&map_once, build_map);
    return &map;
}

/* ------------------------------------------------------------------------ */
/* pie_topology                                                             */

typedef struct topo_box {
    pie_topology t;
    char source[32];
    char kinds[256];
    char *cpu_list, *core_list, *node_list;
} topo_box;

static void topo_free(void *p)
{
    topo_box *b = p;
    free(b->cpu_list);
    free(b->core_list);
    free(b->node_list);
}

/* Append a CPU to a list, writing runs as ranges ("0-3,8"). */
typedef struct list {
    char *s;
    size_t len, cap;
    long first, last; /* the open run; -1: none */
} list;

static void list_put(list *l, const char *text)
{
    size_t n = strlen(text);
    if (l->len + n + 1 > l->cap) {
        size_t cap = (l->cap + n + 1) * 2;
        char *s = realloc(l->s, cap);
        if (!s)
            return;
        l->s = s;
        l->cap = cap;
    }
    memcpy(l->s + l->len, text, n + 1);
    l->len += n;
}

static void list_flush(list *l, const char *sep)
{
    char buf[48];
    if (l->first < 0)
        return;
    if (l->first == l->last)
        snprintf(buf, sizeof buf, "%s%ld", l->len ? sep : "", l->first);
    else
        snprintf(buf, sizeof buf, "%s%ld-%ld", l->len ? sep : "", l->first, l->last);
    list_put(l, buf);
    l->first = l->last = -1;
}

static void list_cpu(list *l, unsigned cpu, const char *sep)
{
    if (l->first >= 0 && (long)cpu == l->last + 1) {
        l->last = cpu;
        return;
    }
    list_flush(l, sep);
    l->first = l->last = cpu;
}

/* The CPUs of the map this process may run on. */
static int allowed(const pie__pu *u, const cpu_set_t *mask)
{
    return u->cpu < CPU_SETSIZE && CPU_ISSET(u->cpu, mask);
}

/* Counts and lists over the allowed CPUs. */
static void fill_counts(topo_box *b, const pie__cpu_map *m, const cpu_set_t *mask)
{
    pie_topology *t = &b->t;
    list cpus = {.first = -1, .last = -1}, cores = {.first = -1, .last = -1},
         nodes = {.first = -1, .last = -1};
    unsigned maxcore = 0, maxnode = 0;
    for (unsigned i = 0; i < m->n; i++) {
        maxcore = m->pu[i].core > maxcore ? m->pu[i].core : maxcore;
        maxnode = m->pu[i].node > maxnode ? m->pu[i].node : maxnode;
    }
    unsigned *per_core = calloc(maxcore + 1, sizeof *per_core);
    unsigned *per_node = calloc(maxnode + 1, sizeof *per_node);
    for (unsigned i = 0; per_core && per_node && i < m->n; i++) {
        const pie__pu *u = &m->pu[i];
        if (!allowed(u, mask))
            continue;
        t->cpus++;
        list_cpu(&cpus, u->cpu, ",");
        t->cores += per_core[u->core]++ == 0;
        if (per_core[u->core] > t->threads_per_core)
            t->threads_per_core = per_core[u->core];
        per_node[u->node]++;
        /* Cores as groups: siblings joined by commas, cores by spaces. */
        char buf[24];
        int new_core = i == 0 || m->pu[i - 1].core != u->core || !allowed(&m->pu[i - 1], mask);
        snprintf(buf, sizeof buf, "%s%u", new_core ? (cores.len ? " " : "") : ",", u->cpu);
        list_put(&cores, buf);
    }
    list_flush(&cpus, ",");
    for (unsigned nd = 0; per_node && nd <= maxnode; nd++) {
        if (!per_node[nd])
            continue;
        if (nodes.len)
            list_put(&nodes, " ");
        list sub = {.first = -1, .last = -1};
        for (unsigned i = 0; i < m->n; i++)
            if (m->pu[i].node == nd && allowed(&m->pu[i], mask))
                list_cpu(&sub, m->pu[i].cpu, ",");
        list_flush(&sub, ",");
        list_put(&nodes, sub.s ? sub.s : "");
        free(sub.s);
    }
    free(per_core);
    free(per_node);
    b->cpu_list = cpus.s;
    b->core_list = cores.s;
    b->node_list = nodes.s;
}

#if PIE_HAVE_HWLOC
static unsigned count_allowed(hwloc_obj_type_t type, const cpu_set_t *mask, hwloc_obj_t *first)
{
    unsigned n = 0;
    *first = NULL;
    int total = hwloc_get_nbobjs_by_type(topo, type);
    for (int i = 0; i < total; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, (unsigned)i);
        int any = 0;
        for (unsigned c = 0; c < CPU_SETSIZE && !any; c++)
            any = CPU_ISSET(c, mask) && o->cpuset && hwloc_bitmap_isset(o->cpuset, c);
        if (any && !n++)
            *first = o;
    }
    return n;
}

static void fill_hwloc(topo_box *b, const cpu_set_t *mask)
{
    pie_topology *t = &b->t;
#ifdef HWLOC_VERSION
    snprintf(b->source, sizeof b->source, "hwloc %s", HWLOC_VERSION);
#else
    unsigned v = hwloc_get_api_version();
    snprintf(b->source, sizeof b->source, "hwloc API %u.%u", v >> 16, (v >> 8) & 0xff);
#endif
    hwloc_obj_t o;
    t->packages = count_allowed(HWLOC_OBJ_PACKAGE, mask, &o);
    t->numa_nodes = count_allowed(HWLOC_OBJ_NUMANODE, mask, &o);
    if (count_allowed(HWLOC_OBJ_L1CACHE, mask, &o) && o)
        t->l1d_bytes = o->attr->cache.size;
    if ((t->l2_count = count_allowed(HWLOC_OBJ_L2CACHE, mask, &o)) && o)
        t->l2_bytes = o->attr->cache.size;
    if ((t->l3_count = count_allowed(HWLOC_OBJ_L3CACHE, mask, &o)) && o)
        t->l3_bytes = o->attr->cache.size;
    int nk = hwloc_cpukinds_get_nr(topo, 0);
    t->cpu_kinds = nk > 0 ? (unsigned)nk : 1;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    size_t used = 0;
    for (int k = 0; nk > 1 && set && k < nk; k++) {
        int eff = -1;
        unsigned ninfo = 0;
        struct hwloc_info_s *info = NULL;
        if (hwloc_cpukinds_get_info(topo, (unsigned)k, set, &eff, &ninfo, &info, 0) != 0)
            continue;
        const char *name = "kind";
        for (unsigned i = 0; i < ninfo; i++)
            if (strcmp(info[i].name, "CoreType") == 0)
                name = info[i].value;
        char cpus[128];
        hwloc_bitmap_list_snprintf(cpus, sizeof cpus, set);
        used +=
            (size_t)snprintf(b->kinds + used, used < sizeof b->kinds ? sizeof b->kinds - used : 0,
                             "%s%s:%s", used ? " " : "", name, cpus);
        if (used >= sizeof b->kinds)
            break;
    }
    hwloc_bitmap_free(set);
}
#endif

pie_status pie_topology_get(pie_topology **out)
{
    if (!out)
        return PIE_EINVAL;
    *out = NULL;
    const pie__cpu_map *m = pie__cpu_map_get();
    topo_box *b = pie__result_new(sizeof *b, topo_free);
    if (!b)
        return PIE_ENOMEM;
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof mask, &mask) != 0)
        CPU_ZERO(&mask);
    fill_counts(b, m, &mask);
    pie_topology *t = &b->t;
    t->from_hwloc = m->from_hwloc;
    snprintf(b->source, sizeof b->source, "unavailable");
    t->packages = 1;
#if PIE_HAVE_HWLOC
    if (m->from_hwloc)
        fill_hwloc(b, &mask);
#endif
    t->source = b->source;
    t->kinds = b->kinds;
    t->cpu_list = b->cpu_list ? b->cpu_list : "";
    t->core_list = b->core_list ? b->core_list : "";
    t->node_list = b->node_list ? b->node_list : "";
    *out = t;
    return PIE_OK;
}
