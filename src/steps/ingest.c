/*
 * ingest.c - the `ingest` step: run a pipe now, inside the run.
 *
 *   { "name": "ingest", "kind": "ingest", "pipe": "orders_pipe",
 *     "on_reject": "fail" }
 *
 * The pipe does the work (pipe.c): each new file loads in its own
 * transaction with its ledger entry, so a retried run loads only what the
 * failed attempt did not.  A rejected file (LOAD_FAILED, or
 * PARTIALLY_LOADED: records of it were left out) fails the step once the
 * pipe has loaded what it could, naming the files and the first error, so
 * that nothing downstream runs on incomplete data; `on_reject: warn`
 * accepts them: the step completes, with a WARN log and a WARN result in
 * the run detail.  Rejected means: still in the lake and not loaded
 * since, whoever rejected it.  Not only this run: a refresh does not try
 * an unchanged bad file again, so a file rejected by an earlier attempt,
 * the engine's poll or a `pipe refresh` would otherwise leave the run
 * green on data it did not load.  An abort pipe's bad file, a paused or
 * stopped pipe (it loads nothing) and any database or lake error fail the
 * step too.  In a backfill steps_run skips the step (raw tables are the
 * history a backfill rebuilds from, not its output).
 */
#include "steps/steps_int.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#define SHOWN_FILES 5           /* rejected files named in the error */

static size_t ingest_validate(const struct project *p, const struct project_flow *f,
			      const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "pipe", "on_reject", NULL };
	(void)f;
	size_t before = d->errors;
	spec_unknown_keys(p, s, known, d);
	const char *name = spec_string(p, s, "pipe", true, d);
	if (name && !project_pipe(p, name)) {
		char *path = spec_path_key(s->path_in_file, "pipe");
		project_diag(p, d, DIAG_ERROR, path, "no pipe named \"%s\"", name);
		free(path);
	}
	const char *on_reject = spec_string(p, s, "on_reject", false, d);
	if (on_reject && !str_eq(on_reject, "fail") && !str_eq(on_reject, "warn")) {
		char *path = spec_path_key(s->path_in_file, "on_reject");
		project_diag(p, d, DIAG_ERROR, path, "unknown on_reject \"%.64s\" (expected "
			     "fail or warn)", on_reject);
		free(path);
	}
	return d->errors - before;
}

/* "KEY (LOAD_FAILED) in run 3, KEY (PARTIALLY_LOADED), ... and N more;
 * first error KEY:LINE:COL: message" of the rejected files: who rejected
 * each when it was not this run. */
static char *rejected_text(const struct vec *rejected, int64_t run_id)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < rejected->len && i < SHOWN_FILES; i++) {
		const struct store_load *l = rejected->items[i];
		buf_printf(&b, "%s%s (%s)", i ? ", " : "", l->file_key,
			   load_status_name(l->status));
		if (l->run_id > 0 && l->run_id != run_id)
			buf_printf(&b, " in run %lld", (long long)l->run_id);
		else if (l->run_id <= 0)
			buf_puts(&b, " by a refresh outside any run");
	}
	if (rejected->len > SHOWN_FILES)
		buf_printf(&b, " and %zu more", rejected->len - SHOWN_FILES);
	const struct store_load *first = rejected->items[0];
	if (first->first_error) {
		buf_printf(&b, "; first error %s", first->file_key);
		if (first->first_error_line > 0)
			buf_printf(&b, ":%lld:%lld", (long long)first->first_error_line,
				   (long long)first->first_error_column);
		buf_printf(&b, ": %s%s%s", first->first_error_column_name ?
			   first->first_error_column_name : "",
			   first->first_error_column_name ? ": " : "", first->first_error);
	}
	return buf_detach(&b);
}

/* The pipe's rejected files: fail the step, or warn and go on. */
static int judge_rejected(struct step_ctx *ctx, const struct project_pipe *pipe,
			  struct err *e)
{
	struct vec rejected = VEC_INIT;
	if (pipe_rejected(pipe, ctx->store, ctx->lake, &rejected, e) < 0)
		return -1;
	if (!rejected.len)
		return 0;
	bool warn = str_eq(steps_json_string(ctx->step->spec, "on_reject"), "warn");
	char *what = rejected_text(&rejected, ctx->run_id);
	char *check = xasprintf("pipe %s rejected files", pipe->name);
	struct store_validation v = { 0, ctx->run_id, (char *)ctx->step->name, check,
				      warn ? SEVERITY_WARN : SEVERITY_ERROR, false,
				      (int64_t)rejected.len, what, clock_now_us() };
	int rc = store_validation_add(ctx->store, &v, e);
	size_t n = rejected.len;
	if (rc == 0 && warn) {
		char *obj = xasprintf("pipe:%s", pipe->name);
		step_log(ctx, LOG_WARN, obj, "pipe %s rejected %zu file%s (on_reject: warn, "
			 "the step goes on): %s", pipe->name, n, n == 1 ? "" : "s", what);
		free(obj);
	} else if (rc == 0) {
		rc = err_set(e, ERR_INVALID, "pipe %s rejected %zu file%s: %s "
			     "(the step fails so that nothing runs on incomplete data; fix "
			     "the file: a LOAD_FAILED one then loads on the next refresh, a "
			     "PARTIALLY_LOADED one with 'sluice pipe refresh %s --force --file "
			     "KEY'; or remove it from the lake; or set \"on_reject\": \"warn\" "
			     "on the step to accept rejections)", pipe->name, n,
			     n == 1 ? "" : "s", what, pipe->name);
	}
	free(check);
	free(what);
	store_load_list_free(&rejected);
	return rc;
}

/* A paused pipe loads nothing: a step that completed would be a green
 * run on data it never loaded.  Pausing stops a pipe's loads, a flow's
 * included, until the operator resumes it. */
static int paused(struct step_ctx *ctx, const struct project_pipe *pipe, struct err *e)
{
	enum pipe_state st;
	char *reason = NULL;
	if (pipe_stored_state(ctx->store, pipe, &st, &reason, e) < 0)
		return -1;
	int rc = err_set(e, ERR_CONFLICT, "pipe %s is PAUSED%s%s%s: the step loads nothing "
			 "while it is; resume it with 'sluice pipe resume %s' and run the "
			 "flow again", pipe->name, reason ? " (" : "", reason ? reason : "",
			 reason ? ")" : "", pipe->name);
	free(reason);
	return rc;
}

static int ingest_run(struct step_ctx *ctx, struct err *e)
{
	const char *name = steps_json_string(ctx->step->spec, "pipe");
	const struct project_pipe *pipe = name ? project_pipe(ctx->project, name) : NULL;
	if (!pipe)
		return err_set(e, ERR_NOTFOUND, "step %s: no pipe named %s", ctx->step->name,
			       name ? name : "(none)");
	struct pipe_request req = { .run_id = ctx->run_id };
	struct pipe_result res;
	struct pipe_env env = { ctx->project, ctx->store, ctx->conns, ctx->lake, ctx->cancel };
	int rc = pipe_refresh(&env, pipe, &req, &res, e);
	ctx->rows_in = res.rows_parsed;
	ctx->rows_out = res.rows_loaded;
	if (rc < 0) {
		pipe_result_free(&res);
		return -1;
	}
	if (res.state == PIPE_PAUSED) {
		pipe_result_free(&res);
		return paused(ctx, pipe, e);
	}
	step_summary(ctx, "pipe %s: %d file%s loaded, %d partly, %d rejected, %lld row%s%s%s",
		     pipe->name, res.files_loaded, res.files_loaded == 1 ? "" : "s",
		     res.files_partial, res.files_failed, (long long)res.rows_loaded,
		     res.rows_loaded == 1 ? "" : "s", res.first_error ? "; first error " : "",
		     res.first_error ? res.first_error : "");
	pipe_result_free(&res);
	return judge_rejected(ctx, pipe, e);
}

const struct step_ops step_ingest_ops = {
	.kind = STEP_INGEST,
	.validate = ingest_validate,
	.run = ingest_run,
	.cache_inputs = NULL,
};
