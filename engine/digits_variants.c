/** @brief Digits kernel variants: only the portable one, so that an ISA choice is checked the same
 * way for every workload. */
#include "variant.h"

static void digits_portable(void)
{
}

static const pie__variant rows[] = {{PIE_ISA_SCALAR, 0, digits_portable}};

const pie__variant_table pie__digits_variants = {rows, sizeof rows / sizeof rows[0]};
