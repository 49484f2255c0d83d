/** @brief The workload table: each workload's name and kernel-variant table. */
#include "variant.h"

#include <strings.h>

/* Adding a workload: its enum value in pie.h, a row here, its run function
 * and variant table in their own files. */
static const struct {
    const char *name;
    const pie__variant_table *variants;
} workloads[] = {
    [PIE_WORKLOAD_MC] = {"mc", &pie__mc_variants},
    [PIE_WORKLOAD_HEX] = {"hex", &pie__hex_variants},
    [PIE_WORKLOAD_DIGITS] = {"digits", &pie__digits_variants},
};

_Static_assert(sizeof workloads / sizeof workloads[0] == PIE_WORKLOAD_COUNT,
               "one row per workload");

const char *pie_workload_name(pie_workload workload)
{
    return (unsigned)workload < PIE_WORKLOAD_COUNT ? workloads[workload].name : NULL;
}

pie_status pie_workload_from_name(const char *name, pie_workload *out)
{
    for (unsigned i = 0; name && out && i < PIE_WORKLOAD_COUNT; i++) {
        if (strcasecmp(name, workloads[i].name) == 0) {
            *out = (pie_workload)i;
            return PIE_OK;
        }
    }
    return PIE_EINVAL;
}

const pie__variant_table *pie__variants_of(pie_workload workload)
{
    return (unsigned)workload < PIE_WORKLOAD_COUNT ? workloads[workload].variants : NULL;
}
