/** @brief Checks of computed digits: against MPFR's pi, and against BBP digit extraction. */
#ifndef PIE_DIGITS_VERIFY_H
#define PIE_DIGITS_VERIFY_H

#include "bbp_series.h"
#include "engine.h"

/* The series' own value, X ~ pi 2^W, read in hex far above its error: the
 * digits at positions pos .. pos+count-1 after the hex point, when X-3 and
 * X+3 agree on them (count 0 otherwise). Base 10 output never shows these
 * digits, so this checks the series independently of the radix conversion. */
typedef struct pie__series_window {
    uint64_t pos;
    unsigned count;
    char hex[9];
} pie__series_window;

/* Read the window from X (pie__bbp_fixed's value). */
void pie__digits_window(const pie__bbp_job *job, const mpz_t x, pie__series_window *w);

/* Check text ("3." and the job's digits): against mpfr_const_pi up to
 * PIE_DIGITS_VERIFY_MPFR_MAX digits, then the last hex digits (base 16) or
 * the window (base 10) against pie_hex_run. Fills res->verified and
 * res->verify_note; PIE_EVERIFY on a mismatch. */
pie_status pie__digits_verify(pie_ctx *ctx, const pie__bbp_job *job, const char *text,
                              const pie__series_window *w, pie_digits_result *res);

/* The same checks, the binary value's window first (both bases), then MPFR;
 * the note res already holds is kept at the end. */
pie_status pie__digits_verify_binary_first(pie_ctx *ctx, const pie__bbp_job *job, const char *text,
                                           const pie__series_window *w, pie_digits_result *res);

#endif
