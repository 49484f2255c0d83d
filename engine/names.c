/** @brief Version, status strings and instruction-set names. */
#include "engine.h"

#include <strings.h>

const char *pie_version(void)
{
    return PIE_VERSION_STRING;
}

unsigned pie_version_number(void)
{
    return PIE_VERSION_NUMBER;
}

static const struct {
    const char *name;
    const char *text;
} status_table[] = {
    [PIE_OK] = {"OK", "success"},
    [PIE_EINVAL] = {"EINVAL", "invalid argument"},
    [PIE_ENOMEM] = {"ENOMEM", "not enough memory"},
    [PIE_EUNSUPPORTED] = {"EUNSUPPORTED", "not supported by this build or CPU"},
    [PIE_ESYSTEM] = {"ESYSTEM", "an operating-system call failed"},
    [PIE_EWORKER] = {"EWORKER", "a chunk failed on every retry"},
    [PIE_ECORRUPT] = {"ECORRUPT", "data failed its integrity check"},
    [PIE_ECANCELED] = {"ECANCELED", "cancelled"},
    [PIE_EIO] = {"EIO", "input/output error"},
    [PIE_EVERIFY] = {"EVERIFY", "result failed its independent check"},
};

#define NSTATUS (sizeof status_table / sizeof status_table[0])

const char *pie_strerror(pie_status status)
{
    if ((unsigned)status < NSTATUS && status_table[status].text)
        return status_table[status].text;
    return "unknown status";
}

const char *pie_status_name(pie_status status)
{
    if ((unsigned)status < NSTATUS && status_table[status].name)
        return status_table[status].name;
    return "UNKNOWN";
}

static const char *const isa_names[] = {
    [PIE_ISA_AUTO] = "auto",     [PIE_ISA_SCALAR] = "scalar", [PIE_ISA_AVX2] = "avx2",
    [PIE_ISA_AVX512] = "avx512", [PIE_ISA_AESNI] = "aesni",
};

_Static_assert(sizeof isa_names / sizeof isa_names[0] == PIE_ISA_COUNT, "one name per ISA");

const char *pie_isa_name(pie_isa isa)
{
    return (unsigned)isa < PIE_ISA_COUNT ? isa_names[isa] : NULL;
}

pie_status pie_isa_from_name(const char *name, pie_isa *out)
{
    for (unsigned i = 0; name && out && i < PIE_ISA_COUNT; i++) {
        if (strcasecmp(name, isa_names[i]) == 0) {
            *out = (pie_isa)i;
            return PIE_OK;
        }
    }
    return PIE_EINVAL;
}

pie_status pie__from_kernel(int kstatus)
{
    switch (kstatus) {
    case PIE_K_OK:
        return PIE_OK;
    case PIE_K_ENOMEM:
        return PIE_ENOMEM;
    case PIE_K_ECORRUPT:
        return PIE_ECORRUPT;
    default:
        return PIE_EINVAL;
    }
}
