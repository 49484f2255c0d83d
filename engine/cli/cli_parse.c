/** @brief Strict parsing of the command line's numbers: counts, workers, seeds, seconds. */
#include "cli_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_why(char *why, size_t len, const char *msg)
{
    if (why && len)
        snprintf(why, len, "%s", msg);
}

int pie_cli_parse_count(const char *s, uint64_t max, uint64_t *out, char *why, size_t whylen)
{
    /* Grammar: digits [ "." digits ] [ ("e"|"E") digits ], with "_" allowed
     * between digits of the mantissa. Evaluated exactly in integers: the
     * value is M * 10^(E - F) where F is the number of fraction digits. */
    if (!s || !*s)
        return set_why(why, whylen, "is empty"), -1;
    if (*s == '-')
        return set_why(why, whylen, "is negative"), -1;
    if (*s == '+')
        return set_why(why, whylen, "must not have a sign"), -1;
    char digits[64];
    size_t nd = 0;
    int frac = 0, in_frac = 0, any = 0, prev_digit = 0;
    const char *p = s;
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (isdigit((unsigned char)*p)) {
            if (nd == 0 && *p == '0' && !in_frac) { /* skip leading zeros */
                any = prev_digit = 1;
                continue;
            }
            if (nd >= sizeof digits - 1)
                return set_why(why, whylen, "has too many digits"), -1;
            digits[nd++] = *p;
            frac += in_frac;
            any = prev_digit = 1;
        } else if (*p == '_' && prev_digit && isdigit((unsigned char)p[1])) {
            prev_digit = 0;
        } else if (*p == '.' && !in_frac) {
            in_frac = 1;
            prev_digit = 0;
        } else {
            return set_why(why, whylen, "is not a number"), -1;
        }
    }
    if (!any)
        return set_why(why, whylen, "is not a number"), -1;
    long exp = 0;
    if (*p) {
        p++;
        if (*p == '+')
            p++;
        int neg = *p == '-';
        if (neg)
            p++;
        if (!isdigit((unsigned char)*p))
            return set_why(why, whylen, "has a malformed exponent"), -1;
        for (; isdigit((unsigned char)*p); p++) {
            exp = exp * 10 + (*p - '0');
            if (exp > 1000)
                return set_why(why, whylen, "is out of range"), -1;
        }
        if (*p)
            return set_why(why, whylen, "is not a number"), -1;
        if (neg)
            exp = -exp;
    }
    /* Drop trailing zeros of the mantissa into the exponent. */
    long e10 = exp - frac;
    while (nd > 0 && digits[nd - 1] == '0') {
        nd--;
        e10++;
    }
    if (nd == 0)
        return set_why(why, whylen, "must be positive"), -1;
    if (e10 < 0)
        return set_why(why, whylen, "is not a whole number"), -1;
    uint64_t v = 0;
    for (size_t i = 0; i < nd; i++) {
        unsigned d = (unsigned)(digits[i] - '0');
        if (d > max || v > (max - d) / 10)
            return set_why(why, whylen, "is too large"), -1;
        v = v * 10 + d;
    }
    for (long i = 0; i < e10; i++) {
        if (v > max / 10)
            return set_why(why, whylen, "is too large"), -1;
        v *= 10;
    }
    *out = v;
    return 0;
}

int pie_cli_parse_workers(const char *s, unsigned *out, char *why, size_t whylen)
{
    if (s && strcmp(s, "auto") == 0) {
        *out = 0;
        return 0;
    }
    if (!s || !*s)
        return set_why(why, whylen, "is empty"), -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return set_why(why, whylen, "must be a positive integer or 'auto'"), -1;
    errno = 0;
    unsigned long v = strtoul(s, NULL, 10);
    if (v == 0)
        return set_why(why, whylen, "must be at least 1"), -1;
    if (errno || v > PIE_MAX_WORKERS) {
        char msg[64];
        snprintf(msg, sizeof msg, "must be at most %u", PIE_MAX_WORKERS);
        return set_why(why, whylen, msg), -1;
    }
    *out = (unsigned)v;
    return 0;
}

int pie_cli_parse_u64(const char *s, uint64_t *out, char *why, size_t whylen)
{
    if (!s || !*s)
        return set_why(why, whylen, "is empty"), -1;
    int base = 10;
    const char *p = s;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p)
        return set_why(why, whylen, "is not a number"), -1;
    for (const char *q = p; *q; q++)
        if (base == 10 ? !isdigit((unsigned char)*q) : !isxdigit((unsigned char)*q))
            return set_why(why, whylen, "must be an unsigned 64-bit integer"), -1;
    errno = 0;
    unsigned long long v = strtoull(p, NULL, base);
    if (errno == ERANGE)
        return set_why(why, whylen, "does not fit in 64 bits"), -1;
    *out = v;
    return 0;
}

int pie_cli_parse_seconds(const char *s, double max, double *out, char *why, size_t whylen)
{
    if (!s || !*s)
        return set_why(why, whylen, "is empty"), -1;
    if (*s == '-')
        return set_why(why, whylen, "is negative"), -1;
    size_t digits = 0, dots = 0;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (*p == '.' && dots == 0)
            dots++;
        else
            return set_why(why, whylen, "is not a number of seconds"), -1;
    }
    if (digits == 0 || digits > 30)
        return set_why(why, whylen, "is not a number of seconds"), -1;
    double v = strtod(s, NULL);
    if (!(v > 0.0))
        return set_why(why, whylen, "must be positive"), -1;
    if (v > max) {
        char msg[64];
        snprintf(msg, sizeof msg, "must be at most %g", max);
        return set_why(why, whylen, msg), -1;
    }
    *out = v;
    return 0;
}

const char *pie_cli_thousands(uint64_t v, char *buf, size_t len)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 1 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 2 < len)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}
