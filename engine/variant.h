/** @brief Kernel variants: per workload, a table of (ISA, name, CPU needs, function); one picker.
 */
#ifndef PIE_VARIANT_H
#define PIE_VARIANT_H

#include "pie.h"

#include <stddef.h>

/* Any kernel function, stored as a generic function pointer; each workload
 * casts it back to its own type (ISO C allows the round trip). */
typedef void (*pie__kernel_fn)(void);

/* One row of a workload's variant table. */
typedef struct pie__variant {
    pie_isa isa;
    unsigned needs;    /* PIE_CPU_* bits the CPU must have (cpu.h) */
    pie__kernel_fn fn; /* NULL: the workload has this variant but this build left it out */
} pie__variant;

/* A workload's variants, best first; the last row is the portable one. */
typedef struct pie__variant_table {
    const pie__variant *rows;
    size_t n;
} pie__variant_table;

extern const pie__variant_table pie__mc_variants;
extern const pie__variant_table pie__hex_variants;
extern const pie__variant_table pie__digits_variants;

/* The table of a workload, or NULL for an unknown one. */
const pie__variant_table *pie__variants_of(pie_workload workload);

/* The variant `want` resolves to: for PIE_ISA_AUTO the first row this CPU
 * runs, otherwise the first row of that ISA this CPU runs. NULL when there
 * is none; then *why (if not NULL) says why, in words that complete "the X
 * kernel is ...". */
const pie__variant *pie__variant_pick(const pie__variant_table *t, pie_isa want, const char **why);

#endif
