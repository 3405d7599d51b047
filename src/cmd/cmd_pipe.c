/*
 * cmd_pipe.c - the pipe and stream commands:
 *
 *   pipe refresh PIPE [--force] [--file KEY]   load new files now, here
 *   pipe pause PIPE [--reason TEXT]            stop loading (store object state)
 *   pipe resume PIPE
 *   pipe validate PIPE [--file KEY] [--json]   every error in the pending files, no load
 *   show pipes [--json]                        state, pending files, last load, last error
 *   show streams [--json]                      offset, pending rows, has data
 *   show loads PIPE [--json] [--page N] [--limit N]   load history, newest first
 *
 * A refresh runs in this process (pipes/pipe.c does the work, each file in
 * its own transaction), so it works with no engine running; it is safe to
 * run beside an engine that polls the same pipe.  The --json forms have
 * stable keys; times are ISO 8601 UTC or null.
 */
#include "cmd/cmd_int.h"
#include "notify/notify.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"
#include "lake/lake.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers -------------------------------------------------------------- */

static const struct project_pipe *pipe_arg(struct cmd_ctx *ctx, const struct cmd_args *args,
					   int *rc, struct err *e)
{
	const char *name = args->positional.items[0];
	const struct project_pipe *pipe = project_pipe(ctx->project, name);
	if (!pipe) {
		struct buf names = BUF_INIT;
		for (size_t i = 0; i < ctx->project->npipes; i++)
			buf_printf(&names, "%s%s", i ? ", " : "", ctx->project->pipes[i].name);
		err_set(e, ERR_NOTFOUND, "no pipe named %s (pipes: %s)", name,
			names.len ? names.data : "none");
		buf_free(&names);
		*rc = EXIT_FAILED;
	}
	return pipe;
}

static void short_time(usec_t t, char *out, size_t n)
{
	char s[24];
	if (!t) {
		snprintf(out, n, "-");
		return;
	}
	time_format_short(t, s);
	snprintf(out, n, "%s", s);
}

/* The end of a show command: the JSON array, the table, or "no WHAT in
 * FILE" when the project declares none (n).  Frees both. */
static void print_listing(struct cmd_ctx *ctx, const char *what, size_t n, bool json,
			  cJSON *arr, struct cmd_table *t)
{
	if (json)
		cmd_json_print(ctx->out, arr);
	else if (n || t->format == CMD_FORMAT_CSV)
		cmd_table_print(ctx->out, t);
	else
		fprintf(ctx->out, "no %s in %s\n", what, ctx->project->file);
	cJSON_Delete(arr);
	cmd_table_free(t);
}

/* The lake and data connections a command needs, opened on demand. */
struct work {
	struct lake *lake;
	struct step_conns *conns;
};

static int work_open(struct cmd_ctx *ctx, struct work *w, bool lake, struct err *e)
{
	memset(w, 0, sizeof *w);
	if (lake && !(w->lake = steps_open_lake(ctx->project, e)))
		return -1;
	w->conns = step_conns_new(ctx->project, ctx->read_only);
	return 0;
}

static void work_close(struct work *w)
{
	step_conns_free(w->conns);
	lake_close(w->lake);
}

/* ---- pipe refresh ------------------------------------------------------------------ */

/* The files this refresh rejected or loaded in part: the newest n of them
 * in the history. */
static void print_rejected(struct cmd_ctx *ctx, const struct project_pipe *pipe, int n)
{
	struct vec v = VEC_INIT;
	unsigned mask = (1u << LOAD_FAILED) | (1u << LOAD_PARTIALLY_LOADED);
	if (store_load_list(ctx->store, pipe->name, mask, n, 0, &v, NULL) < 0)
		return;
	for (size_t i = v.len; i-- > 0;) {
		const struct store_load *l = v.items[i];
		fprintf(ctx->out, "  %-16s %s", load_status_name(l->status), l->file_key);
		if (l->first_error_line)
			fprintf(ctx->out, ":%lld:%lld", (long long)l->first_error_line,
				(long long)l->first_error_column);
		fprintf(ctx->out, ": %s%s%s (%lld error%s)\n",
			l->first_error_column_name ? l->first_error_column_name : "",
			l->first_error_column_name ? ": " : "",
			l->first_error ? l->first_error : "", (long long)l->error_count,
			l->error_count == 1 ? "" : "s");
	}
	store_load_list_free(&v);
}

static int exec_refresh(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	int rc = EXIT_OK;
	const struct project_pipe *pipe = pipe_arg(ctx, args, &rc, e);
	struct pipe_request req = { .force = cmd_opt_flag(args, "--force"),
				    .only_key = cmd_opt_value(args, "--file") };
	struct work w;
	if (!pipe || work_open(ctx, &w, true, e) < 0) {
		return pipe ? EXIT_FAILED : rc;
	}
	atomic_bool cancel = false;
	struct pipe_result res;
	struct pipe_env env = { ctx->project, ctx->store, w.conns, w.lake, &cancel };
	int refreshed = pipe_refresh(&env, pipe, &req, &res, e);
	if (refreshed == 0 && res.state == PIPE_PAUSED) {
		err_set(e, ERR_CONFLICT, "pipe %s is paused; nothing was loaded (resume it "
			"with 'pipe resume %s', or refresh with --force)", pipe->name, pipe->name);
		rc = EXIT_FAILED;
	} else {
		fprintf(ctx->out, "pipe %s: %d file%s loaded, %d partly loaded, %d rejected, "
			"%d loaded before; %lld row%s loaded of %lld read\n", pipe->name,
			res.files_loaded, res.files_loaded == 1 ? "" : "s", res.files_partial,
			res.files_failed, res.files_skipped, (long long)res.rows_loaded,
			res.rows_loaded == 1 ? "" : "s", (long long)res.rows_parsed);
		int own = res.files_reconciled - res.files_adopted;
		if (own)
			fprintf(ctx->out, "  %d file%s committed before (by a refresh that was "
				"killed, or one running at the same time) had no load history; "
				"recorded now, not reloaded\n", own, own == 1 ? "" : "s");
		if (res.files_adopted)
			fprintf(ctx->out, "  %d file%s had been loaded into %s by another control "
				"store; recorded as loaded by it, not reloaded (see show loads %s)\n",
				res.files_adopted, res.files_adopted == 1 ? "" : "s", pipe->table,
				pipe->name);
		if (res.files_changed)
			fprintf(ctx->out, "  %d file%s loaded before changed in the lake since "
				"and %s not reloaded ('show pipes' names %s; 'pipe refresh %s "
				"--force --file KEY' reloads one)\n", res.files_changed,
				res.files_changed == 1 ? "" : "s",
				res.files_changed == 1 ? "was" : "were",
				res.files_changed == 1 ? "it" : "them", pipe->name);
		if (req.force && res.state == PIPE_STOPPED_ON_ERROR)
			fprintf(ctx->out, "  pipe %s stays STOPPED_ON_ERROR until 'pipe resume "
				"%s'\n", pipe->name, pipe->name);
		if (res.files_failed || res.files_partial)
			print_rejected(ctx, pipe, res.files_failed + res.files_partial);
		if (refreshed < 0)
			rc = EXIT_FAILED;
		else if (res.files_failed || res.files_partial) {
			err_set(e, ERR_INVALID, "pipe %s: %d file%s had bad records: %s",
				pipe->name, res.files_failed + res.files_partial,
				res.files_failed + res.files_partial == 1 ? "" : "s",
				res.first_error ? res.first_error : "see 'show loads'");
			rc = EXIT_FAILED;
		}
	}
	pipe_result_free(&res);
	work_close(&w);
	/* What the refresh queued goes now: an engine may not be there to send
	 * it (and when one is, a message is claimed by one sender only). */
	struct err ne;
	if (ctx->project->nchannels &&
	    notify_send_due(ctx->store, ctx->project, 20, NULL, &ne) < 0)
		fprintf(ctx->errout, "sluice: notifications: %s\n", err_text(&ne));
	return rc;
}

/* ---- pipe validate ------------------------------------------------------------------ */

static cJSON *validation_json(const struct project_pipe *pipe, const struct pipe_validation *v)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "pipe", pipe->name);
	cJSON_AddNumberToObject(doc, "files", v->files);
	cJSON_AddNumberToObject(doc, "records", (double)v->records);
	cJSON_AddNumberToObject(doc, "errors", (double)v->errors);
	cJSON_AddBoolToObject(doc, "truncated", (int64_t)v->problems.len < v->errors);
	cJSON *arr = cJSON_AddArrayToObject(doc, "problems");
	for (size_t i = 0; i < v->problems.len; i++) {
		const struct pipe_problem *p = v->problems.items[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "file", p->key);
		cJSON_AddNumberToObject(o, "line", (double)p->line);
		cJSON_AddNumberToObject(o, "column", p->col);
		cmd_json_add_str(o, "column_name", p->column);
		cJSON_AddStringToObject(o, "message", p->message);
		cJSON_AddBoolToObject(o, "fatal", p->fatal);
		cJSON_AddItemToArray(arr, o);
	}
	return doc;
}

static void validation_table(struct cmd_ctx *ctx, const struct cmd_args *args,
			     const struct pipe_validation *v)
{
	struct cmd_table t = { .ncols = 5, .format = args->format };
	cmd_table_add(&t, "FILE", "LINE", "COLUMN", "COLUMN NAME", "ERROR");
	for (size_t i = 0; i < v->problems.len; i++) {
		const struct pipe_problem *p = v->problems.items[i];
		char line[24], col[16];
		snprintf(line, sizeof line, "%ld", p->line);
		snprintf(col, sizeof col, "%d", p->col);
		char *msg = xasprintf("%s%s", p->message, p->fatal ? " (the rest of the file "
				      "cannot be read)" : "");
		cmd_table_add(&t, p->key, line, col, p->column ? p->column : "-", msg);
		free(msg);
	}
	if (v->problems.len || args->format == CMD_FORMAT_CSV)
		cmd_table_print(ctx->out, &t);
	cmd_table_free(&t);
}

static int exec_validate(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	int rc = EXIT_OK;
	const struct project_pipe *pipe = pipe_arg(ctx, args, &rc, e);
	struct work w;
	if (!pipe || work_open(ctx, &w, true, e) < 0)
		return pipe ? EXIT_FAILED : rc;
	atomic_bool cancel = false;
	struct pipe_validation v;
	if (pipe_validate(pipe, ctx->store, w.lake, cmd_opt_value(args, "--file"), &cancel, &v,
			  e) < 0) {
		pipe_validation_free(&v);
		work_close(&w);
		return EXIT_FAILED;
	}
	if (args->format == CMD_FORMAT_JSON) {
		cJSON *doc = validation_json(pipe, &v);
		cmd_json_print(ctx->out, doc);
		cJSON_Delete(doc);
	} else {
		validation_table(ctx, args, &v);
		fprintf(args->format == CMD_FORMAT_CSV ? ctx->errout : ctx->out,
			"pipe %s: %d file%s, %lld record%s read, %lld error%s%s; nothing was "
			"loaded\n", pipe->name, v.files, v.files == 1 ? "" : "s",
			(long long)v.records, v.records == 1 ? "" : "s", (long long)v.errors,
			v.errors == 1 ? "" : "s",
			(int64_t)v.problems.len < v.errors ? " (the first ones listed)" : "");
	}
	if (v.errors) {
		err_set(e, ERR_INVALID, "pipe %s: %lld error%s in its pending files", pipe->name,
			(long long)v.errors, v.errors == 1 ? "" : "s");
		rc = EXIT_FAILED;
	}
	pipe_validation_free(&v);
	work_close(&w);
	return rc;
}

/* ---- pipe pause / resume ---------------------------------------------------------------- */

static int exec_switch(struct cmd_ctx *ctx, const struct cmd_args *args, bool pause,
		       struct err *e)
{
	int rc = EXIT_OK;
	const struct project_pipe *pipe = pipe_arg(ctx, args, &rc, e);
	bool changed = false;
	enum pipe_state was = PIPE_RUNNING;
	char *why = NULL;
	if (pipe && pipe_stored_state(ctx->store, pipe, &was, &why, e) < 0) {
		rc = EXIT_FAILED;
	} else if (pipe) {
		int r = pause ? pipe_pause(ctx->store, pipe, ctx->user,
					   cmd_opt_value(args, "--reason"), &changed, e)
			      : pipe_resume(ctx->store, pipe, ctx->user, &changed, e);
		if (r < 0)
			rc = EXIT_FAILED;
		else
			fprintf(ctx->out, "pipe %s %s%s\n", pipe->name, changed ? "" : "was already ",
				pause ? "paused" : "running");
		if (r == 0 && !pause && was == PIPE_STOPPED_ON_ERROR)
			fprintf(ctx->out, "  it was %s\n", why);
	}
	free(why);
	return rc;
}

static int exec_pause(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	return exec_switch(ctx, args, true, e);
}

static int exec_resume(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	return exec_switch(ctx, args, false, e);
}

/* ---- show pipes ---------------------------------------------------------------------------- */

static cJSON *pipe_json(const struct project_pipe *pipe, const struct pipe_status *st,
			const char *problem)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", pipe->name);
	cJSON_AddStringToObject(o, "state", pipe_state_name(st->state));
	cmd_json_add_str(o, "state_reason", st->state_reason);
	cJSON_AddStringToObject(o, "path", pipe->path);
	cJSON_AddStringToObject(o, "pattern", pipe->pattern ? pipe->pattern : "*");
	cmd_json_add_str(o, "pattern_regex", pipe->pattern_regex);
	cJSON_AddStringToObject(o, "format", pipe_format_name(pipe->format));
	cJSON_AddStringToObject(o, "connection", pipe->connection);
	cJSON_AddStringToObject(o, "table", pipe->table);
	char on_error[32];
	cJSON_AddStringToObject(o, "on_error", pipe_on_error_text(pipe, on_error));
	if (st->pending >= 0)
		cJSON_AddNumberToObject(o, "pending_files", (double)st->pending);
	else
		cJSON_AddNullToObject(o, "pending_files");
	cmd_json_add_str(o, "last_file", st->last_file);
	cmd_json_add_time(o, "last_loaded_at", st->last_loaded);
	cmd_json_add_str(o, "last_error", st->last_error);
	cmd_json_add_time(o, "last_error_at", st->last_error_at);
	cJSON_AddNumberToObject(o, "files_loaded", (double)st->files_loaded);
	cJSON_AddNumberToObject(o, "files_partially_loaded", (double)st->files_partial);
	cJSON_AddNumberToObject(o, "files_failed", (double)st->files_failed);
	cJSON_AddNumberToObject(o, "changed_files", (double)st->changed_files);
	cmd_json_add_str(o, "changed_file", st->changed_file);
	char *warning = pipe_changed_warning(pipe, st);
	cmd_json_add_str(o, "warning", warning);
	free(warning);
	cmd_json_add_str(o, "error", problem);
	return o;
}

static int exec_show_pipes(struct cmd_ctx *ctx, const struct cmd_args *args,
			   struct err *e)
{
	bool json = args->format == CMD_FORMAT_JSON;
	struct work w;
	if (work_open(ctx, &w, true, e) < 0)
		return EXIT_FAILED;
	cJSON *arr = cJSON_CreateArray();
	struct cmd_table t = { .ncols = 7, .format = args->format };
	cmd_table_add(&t, "NAME", "STATE", "TABLE", "PENDING", "LAST FILE", "LAST LOADED",
		  "LAST ERROR");
	int rc = EXIT_OK;
	struct buf warnings = BUF_INIT;
	for (size_t i = 0; i < ctx->project->npipes; i++) {
		const struct project_pipe *pipe = &ctx->project->pipes[i];
		struct pipe_status st;
		struct err pe = { 0 };
		char *problem = NULL;
		if (pipe_status(ctx->project, pipe, ctx->store, w.conns, w.lake, &st, &pe) < 0) {
			problem = xstrdup(err_text(&pe));
			rc = EXIT_FAILED;
		}
		char pending[24], when[32];
		snprintf(pending, sizeof pending, st.pending >= 0 ? "%lld" : "?",
			 (long long)st.pending);
		short_time(st.last_loaded, when, sizeof when);
		const char *err_shown = problem ? problem : st.state_reason && st.state !=
					PIPE_PAUSED ? st.state_reason : st.last_error;
		if (json)
			cJSON_AddItemToArray(arr, pipe_json(pipe, &st, problem));
		else
			cmd_table_add(&t, pipe->name, pipe_state_name(st.state), pipe->table, pending,
				  st.last_file, when, err_shown);
		char *warning = pipe_changed_warning(pipe, &st);
		if (warning)
			buf_printf(&warnings, "warning: %s\n", warning);
		free(warning);
		pipe_status_free(&st);
		free(problem);
	}
	print_listing(ctx, "pipes", ctx->project->npipes, json, arr, &t);
	if (!json && warnings.len)   /* under the table; beside CSV, not in it */
		fputs(buf_str(&warnings),
		      args->format == CMD_FORMAT_CSV ? ctx->errout : ctx->out);
	buf_free(&warnings);
	if (rc != EXIT_OK)
		err_set(e, ERR_INVALID, "some pipes could not be read (see the error column)");
	work_close(&w);
	return rc;
}

/* ---- show streams -------------------------------------------------------------------------- */

static cJSON *stream_json(const struct project_stream *s, const struct stream_status *st,
			  const char *problem)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "name", s->name);
	cJSON_AddStringToObject(j, "connection", s->connection);
	cJSON_AddStringToObject(j, "table", s->table);
	cJSON_AddStringToObject(j, "mode", stream_mode_name(s->mode));
	cmd_json_add_str(j, "offset", st->offset);
	cmd_json_add_time(j, "offset_updated_at", st->offset_updated);
	if (problem) {
		cJSON_AddNullToObject(j, "pending_rows");
		cJSON_AddNullToObject(j, "has_data");
	} else {
		cJSON_AddNumberToObject(j, "pending_rows", (double)st->pending);
		cJSON_AddBoolToObject(j, "has_data", st->has_data);
	}
	cmd_json_add_str(j, "error", problem);
	return j;
}

static int exec_show_streams(struct cmd_ctx *ctx, const struct cmd_args *args,
			     struct err *e)
{
	bool json = args->format == CMD_FORMAT_JSON;
	struct work w;
	work_open(ctx, &w, false, e);
	cJSON *arr = cJSON_CreateArray();
	struct cmd_table t = { .ncols = 7, .format = args->format };
	cmd_table_add(&t, "NAME", "TABLE", "MODE", "OFFSET", "PENDING", "HAS DATA", "ERROR");
	int rc = EXIT_OK;
	for (size_t i = 0; i < ctx->project->nstreams; i++) {
		const struct project_stream *s = &ctx->project->streams[i];
		struct stream_status st;
		struct err se = { 0 };
		char *problem = NULL;
		if (stream_status(s, w.conns, ctx->store, &st, &se) < 0) {
			problem = xstrdup(err_text(&se));
			rc = EXIT_FAILED;
		}
		if (json) {
			cJSON_AddItemToArray(arr, stream_json(s, &st, problem));
		} else {
			char pending[24];
			snprintf(pending, sizeof pending, problem ? "?" : "%lld",
				 (long long)st.pending);
			cmd_table_add(&t, s->name, s->table, stream_mode_name(s->mode),
				  st.offset ? st.offset : "start", pending,
				  problem ? "?" : st.has_data ? "yes" : "no", problem);
		}
		if (!problem && !ctx->read_only)
			store_stream_mirror(ctx->store, s->name, st.offset, st.pending, NULL);
		stream_status_free(&st);
		free(problem);
	}
	print_listing(ctx, "streams", ctx->project->nstreams, json, arr, &t);
	if (rc != EXIT_OK)
		err_set(e, ERR_INVALID, "some streams could not be read (see the error column)");
	work_close(&w);
	return rc;
}

/* ---- show loads ---------------------------------------------------------------------------- */

static cJSON *load_json(const struct store_load *l)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "file", l->file_key);
	cJSON_AddStringToObject(o, "status", load_status_name(l->status));
	cmd_json_add_time(o, "loaded_at", l->loaded);
	cJSON_AddNumberToObject(o, "size", (double)l->size);
	cmd_json_add_str(o, "checksum", l->checksum);
	cJSON_AddNumberToObject(o, "rows_parsed", (double)l->rows_parsed);
	cJSON_AddNumberToObject(o, "rows_loaded", (double)l->rows_loaded);
	cJSON_AddNumberToObject(o, "error_count", (double)l->error_count);
	if (l->first_error) {
		cJSON *fe = cJSON_AddObjectToObject(o, "first_error");
		cJSON_AddStringToObject(fe, "message", l->first_error);
		cJSON_AddNumberToObject(fe, "line", (double)l->first_error_line);
		cJSON_AddNumberToObject(fe, "column", (double)l->first_error_column);
		cmd_json_add_str(fe, "column_name", l->first_error_column_name);
	} else {
		cJSON_AddNullToObject(o, "first_error");
	}
	if (l->run_id)
		cJSON_AddNumberToObject(o, "run_id", (double)l->run_id);
	else
		cJSON_AddNullToObject(o, "run_id");
	cmd_json_add_str(o, "loaded_by", l->loaded_by);
	return o;
}

static void load_row(struct cmd_table *t, const struct store_load *l)
{
	char when[32], rows[48], errs[24], size[24], run[24];
	short_time(l->loaded, when, sizeof when);
	snprintf(rows, sizeof rows, "%lld/%lld", (long long)l->rows_loaded,
		 (long long)l->rows_parsed);
	snprintf(errs, sizeof errs, "%lld", (long long)l->error_count);
	snprintf(size, sizeof size, "%lld", (long long)l->size);
	snprintf(run, sizeof run, l->run_id ? "%lld" : "-", (long long)l->run_id);
	char *first = NULL;
	if (l->first_error)
		first = xasprintf("%lld:%lld %s%s%s", (long long)l->first_error_line,
				  (long long)l->first_error_column,
				  l->first_error_column_name ? l->first_error_column_name : "",
				  l->first_error_column_name ? ": " : "", l->first_error);
	char sum[16], status[48];
	snprintf(sum, sizeof sum, "%.12s", l->checksum ? l->checksum : "-");
	/* Another control store's load, adopted: whose. */
	snprintf(status, sizeof status, l->loaded_by ? "%s (by %.8s)" : "%s",
		 load_status_name(l->status), l->loaded_by);
	cmd_table_add(t, when, l->file_key, status, rows, errs, size, sum, run, first);
	free(first);
}

static int exec_show_loads(struct cmd_ctx *ctx, const struct cmd_args *args,
			   struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int rc = EXIT_OK;
	const struct project_pipe *pipe = pipe_arg(ctx, args, &rc, e);
	int64_t limit = 50, page = 1;
	const char *lv = cmd_opt_value(args, "--limit"), *pv = cmd_opt_value(args, "--page");
	bool json = args->format == CMD_FORMAT_JSON;
	if (pipe && ((lv && (!str_to_i64(lv, &limit) || limit < 1 || limit > 10000)) ||
		     (pv && (!str_to_i64(pv, &page) || page < 1))))
		rc = cmd_usage_error(self, e, "--limit takes 1..10000 and --page a page "
				     "number from 1");
	if (!pipe || rc != EXIT_OK)
		return rc;
	int64_t counts[LOAD_STATUS_COUNT];
	struct vec v = VEC_INIT;
	if (store_load_counts(ctx->store, pipe->name, counts, e) < 0 ||
	    store_load_list(ctx->store, pipe->name, 0, (int)limit, (int)((page - 1) * limit),
			    &v, e) < 0)
		return EXIT_FAILED;
	int64_t total = counts[LOAD_LOADED] + counts[LOAD_FAILED] +
			counts[LOAD_PARTIALLY_LOADED];
	int64_t pages = (total + limit - 1) / limit;
	if (json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "pipe", pipe->name);
		cJSON_AddNumberToObject(doc, "total", (double)total);
		cJSON_AddNumberToObject(doc, "page", (double)page);
		cJSON_AddNumberToObject(doc, "pages", (double)pages);
		cJSON_AddNumberToObject(doc, "limit", (double)limit);
		cJSON *arr = cJSON_AddArrayToObject(doc, "loads");
		for (size_t i = 0; i < v.len; i++)
			cJSON_AddItemToArray(arr, load_json(v.items[i]));
		cmd_json_print(ctx->out, doc);
		cJSON_Delete(doc);
	} else if (total == 0 && args->format != CMD_FORMAT_CSV) {
		fprintf(ctx->out, "pipe %s has loaded nothing yet\n", pipe->name);
	} else {
		struct cmd_table t = { .ncols = 9, .format = args->format };
		cmd_table_add(&t, "LOADED AT", "FILE", "STATUS", "ROWS", "ERRORS", "BYTES", "CHECKSUM",
			  "RUN", "FIRST ERROR");
		for (size_t i = 0; i < v.len; i++)
			load_row(&t, v.items[i]);
		cmd_table_print(ctx->out, &t);
		fprintf(args->format == CMD_FORMAT_CSV ? ctx->errout : ctx->out,
			"page %lld of %lld (%lld load%s, newest first)\n",
			(long long)page, (long long)(pages ? pages : 1), (long long)total,
			total == 1 ? "" : "s");
	}
	store_load_list_free(&v);
	return EXIT_OK;
}

const struct cmd_entry cmd_pipe_entries[] = {
	{ .name = "pipe refresh", .usage = "PIPE [--force] [--file KEY]",
	  .summary = "load a pipe's new files now",
	  .help = "Loads every new file under the pipe's path into its table, each file in one\n"
	  "transaction with its ledger entry, and records the load history.  Files\n"
	  "loaded before are skipped; --force reloads them (a reloaded file's earlier\n"
	  "rows are replaced, never duplicated), and --file KEY restricts the refresh\n"
	  "to one file: '--force --file KEY' reloads a file that changed in the lake\n"
	  "after it was loaded.  A rejected file is never moved or changed; it is\n"
	  "tried again when its content changes.  A pipe STOPPED_ON_ERROR (on_error\n"
	  "abort) loads nothing until 'pipe resume', except with --force.\n"
	  "Exit status: 0 all files loaded, 1 a file had bad records or the refresh failed.",
	  .flags = CMD_MUTATES | CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .options = {
		{ "--force", "-f" },
		{ "--file", NULL, CMD_KIND_FILE },
	  },
	  .args = { 1, 1, { CMD_KIND_PIPE } },
	  .exec = exec_refresh,
	  .audit = { "force", "pipe", "--force" } },
	{ .name = "pipe pause", .usage = "PIPE [--reason TEXT]",
	  .summary = "stop a pipe loading until resumed",
	  .flags = CMD_MUTATES | CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .options = { { "--reason", NULL, CMD_KIND_TEXT } },
	  .args = { 1, 1, { CMD_KIND_PIPE } },
	  .exec = exec_pause,
	  .audit = { "pause", "pipe" } },
	{ .name = "pipe resume", .usage = "PIPE",
	  .summary = "let a paused or stopped pipe load again",
	  .help = "Resumes a PAUSED pipe, or one STOPPED_ON_ERROR by on_error abort.  After\n"
	  "that, a failed file is tried again only once its content changed (or with\n"
	  "'pipe refresh PIPE --force --file KEY').",
	  .flags = CMD_MUTATES | CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_PIPE } },
	  .exec = exec_resume,
	  .audit = { "resume", "pipe" } },
	{ .name = "pipe validate", .usage = "PIPE [--file KEY] [--json]",
	  .summary = "list every error in a pipe's pending files, loading nothing",
	  .help = "Reads the files a refresh would load (or the one file --file KEY, whatever\n"
	  "its state) with the pipe's format, CSV options and declared column types,\n"
	  "and lists every bad record: file, line, column, column name and error, as\n"
	  "Snowflake's VALIDATION_MODE does.  Nothing is loaded or recorded.\n"
	  "Exit status: 0 no errors, 1 errors found or the files could not be read.",
	  .flags = CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .options = { { "--file", NULL, CMD_KIND_FILE } },
	  .args = { 1, 1, { CMD_KIND_PIPE } },
	  .exec = exec_validate },
	{ .name = "show pipes", .usage = "[--json]",
	  .summary = "pipes: state, pending files, last load and last error",
	  .help = "States: RUNNING, PAUSED, STOPPED_MISSING_TABLE (the table was dropped after\n"
	  "files were loaded into it), STOPPED_MISSING_PATH (the lake or the pipe's\n"
	  "directory does not exist), STOPPED_ON_ERROR (on_error abort met a bad\n"
	  "file; until 'pipe resume').  Files loaded before that changed in the lake\n"
	  "since are not reloaded: a warning under the table names them.",
	  .flags = CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .exec = exec_show_pipes },
	{ .name = "show streams", .usage = "[--json]",
	  .summary = "streams: offset, pending rows, whether they have data",
	  .flags = CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .exec = exec_show_streams },
	{ .name = "show loads", .usage = "PIPE [--json] [--page N]",
	  .summary = "a pipe's load history, newest first",
	  .help = "Each attempt to load a file: when, the file, LOADED / PARTIALLY_LOADED /\n"
	  "LOAD_FAILED, rows loaded of rows read, errors, size, checksum, run, and\n"
	  "the first error with its line, column and column name.  A file another\n"
	  "control store loaded, found in the ledger, shows LOADED (by ID).  Pages\n"
	  "hold 50 loads; --limit N (-n N) changes that, up to 10000.",
	  .flags = CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .options = {
		{ "--limit", "-n", CMD_KIND_NUMBER },
		{ "--page", NULL, CMD_KIND_NUMBER },
	  },
	  .args = { 1, 1, { CMD_KIND_PIPE } },
	  .exec = exec_show_loads },
	{ .name = NULL },
};
