/** @brief `pie cpu-info`: CPU features, the topology (hwloc) and the kernels each workload can
 * run; --json. */
#include "cli_main.h"
#include "cli_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
    "Usage: pie cpu-info [--json]\n"
    "List the CPU features pie uses, the machine's topology (packages, NUMA nodes,\n"
    "cores, hardware threads, caches, core kinds; from hwloc) and the kernels each\n"
    "workload can run.\n"
    "\n"
    "  --json   one JSON object on stdout\n";

static void size_text(uint64_t b, char *buf, size_t len)
{
    if (!b)
        snprintf(buf, len, "unknown");
    else if (b >= (1u << 20) && b % (1u << 20) == 0)
        snprintf(buf, len, "%" PRIu64 " MiB", b >> 20);
    else
        snprintf(buf, len, "%" PRIu64 " KiB", b >> 10);
}

static void print_topology(const pie_topology *t)
{
    if (!t) {
        puts("topology  unavailable (out of memory)");
        return;
    }
    if (!t->from_hwloc) {
        printf("topology  unavailable (pie built without hwloc): %u CPUs, each counted as a "
               "core\n",
               t->cpus);
        return;
    }
    char l1[32], l2[32], l3[32];
    size_text(t->l1d_bytes, l1, sizeof l1);
    size_text(t->l2_bytes, l2, sizeof l2);
    size_text(t->l3_bytes, l3, sizeof l3);
    printf("topology  %u package%s, %u NUMA node%s, %u core%s, %u thread%s per core (%s)\n",
           t->packages, t->packages == 1 ? "" : "s", t->numa_nodes, t->numa_nodes == 1 ? "" : "s",
           t->cores, t->cores == 1 ? "" : "s", t->threads_per_core,
           t->threads_per_core == 1 ? "" : "s", t->source);
    printf("caches    L1d %s, L2 %s x %u, L3 %s x %u\n", l1, l2, t->l2_count, l3, t->l3_count);
    printf("cpu list  %s\n", t->cpu_list);
    printf("cores     %s\n", t->core_list);
    printf("nodes     %s\n", t->node_list);
    if (t->cpu_kinds > 1)
        printf("kinds     %s (hybrid)\n", t->kinds);
}

static void json_topology(FILE *f, const pie_topology *t)
{
    fputs("{\"available\":", f);
    fputs(t && t->from_hwloc ? "true" : "false", f);
    if (!t) {
        fputc('}', f);
        return;
    }
    fputs(",\"source\":", f);
    pie_cli_json_string(f, t->source);
    fprintf(f,
            ",\"cpus\":%u,\"cores\":%u,\"packages\":%u,\"numa_nodes\":%u,\"threads_per_core\":%u"
            ",\"l1d_bytes\":%" PRIu64 ",\"l2_bytes\":%" PRIu64 ",\"l2_count\":%u"
            ",\"l3_bytes\":%" PRIu64 ",\"l3_count\":%u,\"cpu_kinds\":%u,\"kinds\":",
            t->cpus, t->cores, t->packages, t->numa_nodes, t->threads_per_core, t->l1d_bytes,
            t->l2_bytes, t->l2_count, t->l3_bytes, t->l3_count, t->cpu_kinds);
    pie_cli_json_string(f, t->kinds);
    fputs(",\"cpu_list\":", f);
    pie_cli_json_string(f, t->cpu_list);
    fputs(",\"core_list\":", f);
    pie_cli_json_string(f, t->core_list);
    fputs(",\"node_list\":", f);
    pie_cli_json_string(f, t->node_list);
    fputc('}', f);
}

static void print_json(const pie_topology *t)
{
    FILE *f = stdout;
    fprintf(f, "{\"cpus\":%u,\"features\":", pie_online_cpus());
    pie_cli_json_string(f, pie_cpu_features());
    fputs(",\"disabled\":", f);
    pie_cli_json_string(f, pie_cpu_features_disabled());
    fputs(",\"topology\":", f);
    json_topology(f, t);
    fputs(",\"workloads\":{", f);
    for (int w = 0; pie_workload_name((pie_workload)w); w++) {
        fprintf(f, "%s", w ? "," : "");
        pie_cli_json_string(f, pie_workload_name((pie_workload)w));
        fputs(":{\"auto\":", f);
        pie_cli_json_string(f, pie_isa_name(pie_isa_best((pie_workload)w)));
        fputs(",\"kernels\":{", f);
        int first = 1;
        for (int i = PIE_ISA_SCALAR; i < PIE_ISA_COUNT; i++) {
            pie_status st = pie_isa_check((pie_workload)w, (pie_isa)i);
            if (st == PIE_EINVAL)
                continue;
            fputs(first ? "" : ",", f);
            first = 0;
            pie_cli_json_string(f, pie_isa_name((pie_isa)i));
            fputs(st == PIE_OK ? ":true" : ":false", f);
        }
        fputs("}}", f);
    }
    fputs("},\"backends\":{", f);
    for (int b = 0; b < PIE_BACKEND_COUNT; b++) {
        fputs(b ? "," : "", f);
        pie_cli_json_string(f, pie_backend_name((pie_backend)b));
        fputs(pie_backend_available((pie_backend)b) == PIE_OK ? ":true" : ":false", f);
    }
    fputs("},\"version\":", f);
    pie_cli_json_string(f, pie_version());
    fputs("}\n", f);
}

static void print_human(const pie_topology *t)
{
    printf("cpus      %u (this process's affinity mask)\n", pie_online_cpus());
    print_topology(t);
    printf("features  %s\n", pie_cpu_features());
    const char *off = pie_cpu_features_disabled();
    if (off[0])
        printf("disabled  %s (PIE_CPU_DISABLE)\n", off);
    /* Per workload: its kernel variants, "(no)" where this CPU or build lacks one. */
    for (int w = 0; pie_workload_name((pie_workload)w); w++) {
        printf("%-9s", pie_workload_name((pie_workload)w));
        for (int i = PIE_ISA_SCALAR; i < PIE_ISA_COUNT; i++) {
            pie_status st = pie_isa_check((pie_workload)w, (pie_isa)i);
            if (st != PIE_EINVAL)
                printf(" %s%s", pie_isa_name((pie_isa)i), st == PIE_OK ? "" : "(no)");
        }
        printf("; auto = %s\n", pie_isa_name(pie_isa_best((pie_workload)w)));
    }
    printf("backends ");
    for (int b = 0; b < PIE_BACKEND_COUNT; b++)
        printf(" %s%s", pie_backend_name((pie_backend)b),
               pie_backend_available((pie_backend)b) == PIE_OK ? "" : "(no)");
    printf("\nversion   %s\n", pie_version());
}

int pie_cli_cpu_info(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return PIE_EXIT_OK;
        }
        if (strcmp(argv[i], "--json") == 0 && !json)
            json = 1;
        else
            return pie_cli_usage("cpu-info", "unexpected argument '%s'", argv[i]);
    }
    pie_topology *t = NULL;
    pie_topology_get(&t);
    if (json)
        print_json(t);
    else
        print_human(t);
    pie_result_free(t);
    return PIE_EXIT_OK; /* main's close_stdout reports a failed write, with its cause */
}
