/*
 * ingest.c - the `ingest` step: run a pipe now, inside the run.
 *
 *   { "name": "ingest", "kind": "ingest", "pipe": "orders_pipe" }
 *
 * The pipe does the work (pipe.c): each new file loads in its own
 * transaction with its ledger entry, so a retried run loads only what the
 * failed attempt did not.  Rejected files do not fail the step (they are
 * on record, as Snowflake's COPY with skip_file); an abort pipe's bad file,
 * a stopped pipe and any database or lake error do.  A paused pipe loads
 * nothing and the step says so.  In a backfill steps_run skips the step
 * (raw tables are the history a backfill rebuilds from, not its output).
 */
#include "steps/steps_int.h"

#include <stdlib.h>
#include <string.h>

static size_t ingest_validate(const struct project *p, const struct project_flow *f,
			      const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "pipe", NULL };
	(void)f;
	size_t before = d->errors;
	spec_unknown_keys(p, s, known, d);
	const char *name = spec_string(p, s, "pipe", true, d);
	if (name && !project_pipe(p, name)) {
		char *path = spec_path_key(s->path_in_file, "pipe");
		project_diag(p, d, DIAG_ERROR, path, "no pipe named \"%s\"", name);
		free(path);
	}
	return d->errors - before;
}

static int ingest_run(struct step_ctx *ctx, struct err *e)
{
	const char *name = sj_string(ctx->step->spec, "pipe");
	const struct project_pipe *pipe = name ? project_pipe(ctx->project, name) : NULL;
	if (!pipe)
		return err_set(e, ERR_NOTFOUND, "step %s: no pipe named %s", ctx->step->name,
			       name ? name : "(none)");
	struct pipe_request req = { .run_id = ctx->run_id };
	struct pipe_result res;
	int rc = pipe_refresh(ctx->project, pipe, &req, ctx->store, ctx->conns, ctx->lake,
			      ctx->cancel, &res, e);
	ctx->rows_in = res.rows_parsed;
	ctx->rows_out = res.rows_loaded;
	if (rc < 0) {
		pipe_result_free(&res);
		return -1;
	}
	if (res.state == PIPE_PAUSED) {
		step_summary(ctx, "pipe %s is paused: nothing loaded", pipe->name);
	} else {
		step_summary(ctx, "pipe %s: %d file%s loaded, %d partly, %d rejected, "
			     "%lld row%s%s%s", pipe->name, res.files_loaded,
			     res.files_loaded == 1 ? "" : "s", res.files_partial,
			     res.files_failed, (long long)res.rows_loaded,
			     res.rows_loaded == 1 ? "" : "s",
			     res.first_error ? "; first error " : "",
			     res.first_error ? res.first_error : "");
	}
	pipe_result_free(&res);
	return 0;
}

const struct step_ops step_ingest_ops = {
	.kind = STEP_INGEST,
	.validate = ingest_validate,
	.run = ingest_run,
	.cache_inputs = NULL,
};
