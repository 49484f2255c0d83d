/** @brief The one picker over the kernel-variant tables, and the public ISA queries. */
#include "variant.h"
#include "cpu.h"

const pie__variant *pie__variant_pick(const pie__variant_table *t, pie_isa want, const char **why)
{
    unsigned have = pie__cpu_features();
    int listed = 0, built = 0;
    for (size_t i = 0; i < t->n; i++) {
        const pie__variant *v = &t->rows[i];
        if (want != PIE_ISA_AUTO && v->isa != want)
            continue;
        listed = 1;
        if (!v->fn)
            continue;
        built = 1;
        if ((have & v->needs) == v->needs)
            return v;
    }
    if (why)
        *why = !listed  ? "not a variant of this workload"
               : !built ? "not built into this library"
                        : "not supported by this CPU (or hidden by PIE_CPU_DISABLE)";
    return NULL;
}

pie_status pie_isa_check(pie_workload workload, pie_isa isa)
{
    const pie__variant_table *t = pie__variants_of(workload);
    if (!t || !pie_isa_name(isa))
        return PIE_EINVAL;
    for (size_t i = 0; isa != PIE_ISA_AUTO && i < t->n && t->rows[i].isa != isa; i++)
        if (i + 1 == t->n)
            return PIE_EINVAL; /* not a variant of this workload */
    return pie__variant_pick(t, isa, NULL) ? PIE_OK : PIE_EUNSUPPORTED;
}

pie_isa pie_isa_best(pie_workload workload)
{
    const pie__variant_table *t = pie__variants_of(workload);
    const pie__variant *v = t ? pie__variant_pick(t, PIE_ISA_AUTO, NULL) : NULL;
    return v ? v->isa : PIE_ISA_SCALAR;
}
