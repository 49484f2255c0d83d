/** @brief libFuzzer target: the CLI's strict argument parsers (counts, workers, seeds, seconds). */
#include "cli_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The input as one NUL-terminated argument (the shell cannot pass a NUL). */
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char why[96];
    static const uint64_t maxes[] = {UINT64_C(1) << 63, UINT64_C(1000000000000), 1000, 1,
                                     UINT64_MAX};
    for (size_t i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
        uint64_t v = 0;
        why[0] = '\0';
        int rc = pie_cli_parse_count(s, maxes[i], &v, why, sizeof why);
        if (rc == 0 && (v == 0 || v > maxes[i]))
            abort(); /* accepted a value outside [1, max] */
        if (rc != 0 && why[0] == '\0')
            abort(); /* refused without saying why */
    }
    unsigned w = 0;
    if (pie_cli_parse_workers(s, &w, why, sizeof why) == 0 && w > PIE_MAX_WORKERS)
        abort();
    uint64_t u;
    (void)pie_cli_parse_u64(s, &u, why, sizeof why);
    double sec = 0;
    if (pie_cli_parse_seconds(s, 1e6, &sec, why, sizeof why) == 0 && !(sec > 0 && sec <= 1e6))
        abort();
    free(s);
    return 0;
}
