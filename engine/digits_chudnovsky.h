/** @brief The Chudnovsky digits driver: series on the backend, top merges, root, quotient, text. */
#ifndef PIE_DIGITS_CHUDNOVSKY_H
#define PIE_DIGITS_CHUDNOVSKY_H

#include "bbp_series.h"
#include "digits_verify.h"
#include "engine.h"

/* `view` is the BBP job of the same digits, base and guard: the Chudnovsky
 * job uses the same working precision W, so the checks written for the BBP
 * series (its floor, its hex window, the verification) read it unchanged. */

/* The series task on the backend (engine/digits.c, for both algorithms):
 * the phase "series", then res's workers, placement, chunk counts and
 * workers' peak from the run. */
pie_status pie__digits_run_series(pie_ctx *ctx, const pie__task *task, pie_digits_result *res);

/* Estimated peak memory, all processes, with the big operations where
 * big_ops says. */
uint64_t pie__chud_estimate(const pie_ctx *ctx, const pie__bbp_job *view,
                            pie_digits_big_ops big_ops);

/* One attempt at the view's guard: PIE_OK with *text set, or a failure;
 * *retry set when the last digit was not certain. The big operations after
 * the series where big_ops says. Fills the series window w from the binary
 * value and res's timings, terms, counts and big_ops_name. A forking
 * backend's workers are reaped here, except after a success: then they are
 * only let go, and the caller reaps them with pie__proc_session_end. */
pie_status pie__chud_attempt(pie_ctx *ctx, const pie__bbp_job *view, pie_digits_big_ops big_ops,
                             pie_digits_result *res, char **text, int *retry,
                             pie__series_window *w);

/* After the digits are out: remove the checkpoint the attempt at view's
 * guard kept (its series), if the context has a checkpoint directory. */
void pie__chud_drop_checkpoint(pie_ctx *ctx, const pie__bbp_job *view);

#endif
