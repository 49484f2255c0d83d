/** @brief Checks of computed digits: against MPFR's pi, and against BBP digit extraction. */
#include "digits_verify.h"

#include <mpfr.h>
#include <stdio.h>
#include <string.h>

/* Compare with MPFR: pi lies in [lo, nextabove(lo)] where lo is pi rounded
 * down; when both ends truncate to the same digits, those are pi's. */
static pie_status verify_mpfr(pie_ctx *ctx, const pie__bbp_job *job, const char *text,
                              pie_digits_result *res)
{
    uint64_t D = job->digits;
    mpfr_prec_t prec = (mpfr_prec_t)(job->prec + 64);
    for (int round = 0; round < 8; round++, prec += 64) {
        mpfr_t lo, hi;
        mpfr_inits2(prec, lo, hi, (mpfr_ptr)0);
        mpfr_const_pi(lo, MPFR_RNDD);
        mpfr_set(hi, lo, MPFR_RNDN);
        mpfr_nextabove(hi);
        mpfr_exp_t e1, e2;
        char *s1 = mpfr_get_str(NULL, &e1, (int)job->base, D + 1, lo, MPFR_RNDZ);
        char *s2 = mpfr_get_str(NULL, &e2, (int)job->base, D + 1, hi, MPFR_RNDZ);
        mpfr_clears(lo, hi, (mpfr_ptr)0);
        if (pie__cancelled(ctx)) { /* MPFR cannot be stopped midway: look after each try */
            if (s1)
                mpfr_free_str(s1);
            if (s2)
                mpfr_free_str(s2);
            return pie__fail(ctx, PIE_ECANCELED, "cancelled during the verification");
        }
        int certain = s1 && s2 && e1 == 1 && e2 == 1 && strcmp(s1, s2) == 0;
        int equal = certain && s1[0] == text[0];
        for (uint64_t i = 1; equal && i <= D; i++) {
            char c = s1[i];
            if (c >= 'a' && c <= 'f')
                c = (char)(c - 'a' + 'A');
            equal = c == text[i + 1];
        }
        if (s1)
            mpfr_free_str(s1);
        if (s2)
            mpfr_free_str(s2);
        if (!certain)
            continue;
        if (!equal) {
            snprintf(res->verify_note, sizeof res->verify_note,
                     "MISMATCH with mpfr_const_pi (MPFR %s) in %llu digits", mpfr_get_version(),
                     (unsigned long long)D);
            return pie__fail(ctx, PIE_EVERIFY, "%s", res->verify_note);
        }
        res->verified = 1;
        snprintf(res->verify_note, sizeof res->verify_note,
                 "all %llu digits equal mpfr_const_pi (MPFR %s, AGM)", (unsigned long long)D,
                 mpfr_get_version());
        return PIE_OK;
    }
    snprintf(res->verify_note, sizeof res->verify_note,
             "not verified: MPFR's bracket did not fix the last digit");
    return PIE_OK;
}

/* Hex digits at a position by digit extraction, into out (count + 1 bytes). */
static pie_status extract_hex(pie_ctx *ctx, uint64_t pos, unsigned count, char *out)
{
    pie_hex_options ho;
    pie_hex_options_init(&ho);
    ho.position = pos;
    ho.count = count;
    /* The extraction is part of the "verify" phase: its chunks are not
     * reported as a phase of their own. */
    pie__progress_hook hook = ctx->progress;
    ctx->progress = NULL;
    pie_hex_result *hr;
    pie_status st = pie_hex_run(ctx, &ho, &hr);
    ctx->progress = hook;
    ctx->phase = "verify";
    if (st == PIE_OK)
        memcpy(out, hr->hex, count + 1);
    pie_result_free(hr);
    return st;
}

/* Base 16: the last (up to 8) hex digits again, by BBP digit extraction at
 * their positions (pie_hex_run, which itself checks two formulas). */
static pie_status verify_hex_tail(pie_ctx *ctx, const pie__bbp_job *job, const char *text,
                                  pie_digits_result *res)
{
    unsigned count = job->digits < 8 ? (unsigned)job->digits : 8u;
    uint64_t pos = job->digits - count + 1;
    size_t n = strlen(res->verify_note);
    if (pos > PIE_HEX_MAX_POSITION)
        return PIE_OK;
    char hex[9];
    pie_status st = extract_hex(ctx, pos, count, hex);
    if (st != PIE_OK)
        return st;
    if (memcmp(text + 2 + (pos - 1), hex, count) != 0) {
        snprintf(res->verify_note + n, sizeof res->verify_note - n,
                 "%sMISMATCH: hex digits %llu..%llu are %.*s here, %s by digit extraction",
                 n ? "; " : "", (unsigned long long)pos, (unsigned long long)job->digits,
                 (int)count, text + 2 + (pos - 1), hex);
        res->verified = 0;
        return pie__fail(ctx, PIE_EVERIFY, "%s", res->verify_note);
    }
    snprintf(res->verify_note + n, sizeof res->verify_note - n,
             "%shex digits %llu..%llu (%s) equal BBP digit extraction", n ? "; " : "",
             (unsigned long long)pos, (unsigned long long)job->digits, hex);
    res->verified = 1;
    return PIE_OK;
}

void pie__digits_window(const pie__bbp_job *job, const mpz_t x, pie__series_window *w)
{
    w->count = 0;
    uint64_t top = job->prec > 12 ? (job->prec - 12) / 4 : 0; /* last usable position */
    unsigned count = top < 8 ? (unsigned)top : 8u;
    if (count == 0)
        return;
    uint64_t pos = top - count + 1, shift = job->prec - 4 * top;
    mpz_t lo, hi;
    mpz_inits(lo, hi, NULL);
    mpz_sub_ui(lo, x, 3);
    mpz_add_ui(hi, x, 3);
    mpz_fdiv_q_2exp(lo, lo, shift);
    mpz_fdiv_q_2exp(hi, hi, shift);
    mpz_fdiv_r_2exp(lo, lo, 4 * count);
    mpz_fdiv_r_2exp(hi, hi, 4 * count);
    if (mpz_cmp(lo, hi) == 0) {
        unsigned long v = mpz_get_ui(lo);
        for (unsigned i = 0; i < count; i++)
            w->hex[i] = "0123456789ABCDEF"[(v >> (4 * (count - 1 - i))) & 15];
        w->hex[count] = 0;
        w->pos = pos;
        w->count = count;
    }
    mpz_clears(lo, hi, NULL);
}

static pie_status verify_window(pie_ctx *ctx, const pie__series_window *w, pie_digits_result *res)
{
    size_t n = strlen(res->verify_note);
    if (w->count == 0 || w->pos > PIE_HEX_MAX_POSITION)
        return PIE_OK;
    char hex[sizeof w->hex];
    pie_status st = extract_hex(ctx, w->pos, w->count, hex);
    if (st != PIE_OK)
        return st;
    if (strcmp(hex, w->hex) != 0) {
        snprintf(res->verify_note + n, sizeof res->verify_note - n,
                 "%sMISMATCH: the series gives hex digits %s at %llu, digit extraction %s",
                 n ? "; " : "", w->hex, (unsigned long long)w->pos, hex);
        res->verified = 0;
        return pie__fail(ctx, PIE_EVERIFY, "%s", res->verify_note);
    }
    snprintf(res->verify_note + n, sizeof res->verify_note - n,
             "%sseries value: hex digits %llu..%llu (%s) equal BBP digit extraction", n ? "; " : "",
             (unsigned long long)w->pos, (unsigned long long)(w->pos + w->count - 1), w->hex);
    res->verified = 1;
    return PIE_OK;
}

pie_status pie__digits_verify(pie_ctx *ctx, const pie__bbp_job *job, const char *text,
                              const pie__series_window *w, pie_digits_result *res)
{
    pie_status st = PIE_OK;
    if (job->digits <= PIE_DIGITS_VERIFY_MPFR_MAX)
        st = verify_mpfr(ctx, job, text, res);
    else
        snprintf(res->verify_note, sizeof res->verify_note, "no MPFR comparison beyond %llu digits",
                 (unsigned long long)PIE_DIGITS_VERIFY_MPFR_MAX);
    if (st == PIE_OK && job->base == 16)
        st = verify_hex_tail(ctx, job, text, res);
    else if (st == PIE_OK)
        st = verify_window(ctx, w, res);
    return st;
}

pie_status pie__digits_verify_binary_first(pie_ctx *ctx, const pie__bbp_job *job, const char *text,
                                           const pie__series_window *w, pie_digits_result *res)
{
    /* The note so far (the radix conversion's check) goes last. */
    char before[sizeof res->verify_note], window[sizeof res->verify_note];
    snprintf(before, sizeof before, "%s", res->verify_note);
    res->verify_note[0] = 0;
    pie_status st = verify_window(ctx, w, res);
    if (st != PIE_OK)
        return st;
    snprintf(window, sizeof window, "%s", res->verify_note);
    int window_ok = res->verified;
    if (job->digits <= PIE_DIGITS_VERIFY_MPFR_MAX)
        st = verify_mpfr(ctx, job, text, res);
    else
        snprintf(res->verify_note, sizeof res->verify_note, "no MPFR comparison beyond %llu digits",
                 (unsigned long long)PIE_DIGITS_VERIFY_MPFR_MAX);
    if (st != PIE_OK)
        return st;
    res->verified = res->verified || window_ok;
    size_t n = strlen(res->verify_note);
    snprintf(res->verify_note + n, sizeof res->verify_note - n, "%s%s%s%s", window[0] ? "; " : "",
             window, before[0] ? "; " : "", before);
    return PIE_OK;
}
