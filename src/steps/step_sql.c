/*
 * sql.c - the `sql` step: a SQL file or inline text run on a connection.
 *
 *   { "kind": "sql", "connection": "warehouse", "file": "sql/dims.sql" }
 *   { "kind": "sql", "connection": "warehouse", "sql": "DELETE FROM t WHERE d < :since" }
 *
 * The text is split into statements (params.c), each statement's :name
 * parameters are bound, and all of them run in one transaction together
 * with the ledger entry store:STORE:run:ID:step:NAME, so a retried or
 * recovered run that finds the entry skips the step instead of running
 * it twice.
 *
 * "transaction": false runs the statements one by one in autocommit (for
 * what cannot run in a transaction: VACUUM, CREATE INDEX CONCURRENTLY);
 * the ledger entry is written after the last one, so a crash part-way
 * runs the whole text again.  "inputs": ["raw_staff", "raw_sales_order.last_updated"]
 * names the tables the result depends on (for the step cache: their row
 * counts and the named column's maximum), "outputs" the tables it writes;
 * both also feed the table catalogue's lineage.  {{stream:NAME}} reads
 * the stream's window of this run (step_stream_sql.c).
 */
#include "steps/steps_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- validation ------------------------------------------------------------- */

struct check_lookup {
	const struct project_flow *flow;
};

static int flow_param(void *arg, const char *name, const char **value,
		      struct err *e UNUSED)
{
	const struct check_lookup *l = arg;
	*value = NULL;
	for (size_t i = 0; i < l->flow->nparams; i++)
		if (strcmp(l->flow->params[i].name, name) == 0)
			return 1;
	return strcmp(name, "run_id") == 0 || strcmp(name, "window_start") == 0 ||
	       strcmp(name, "window_end") == 0 || strcmp(name, "backfill") == 0;
}

/* Check that a step's SQL splits and names only known parameters. */
static size_t check_sql_text(const struct project *p, const struct project_flow *f,
			     const struct project_step *s, const char *key,
			     const char *conn, const char *text, struct diags *d)
{
	enum db_kind kind = steps_connection_kind(p, conn);
	struct err e;
	err_clear(&e);
	struct vec stmts = VEC_INIT;
	size_t errors = 0;
	char *path = step_spec_path(s, key);
	if (steps_sql_split(kind, text, &stmts, &e) < 0) {
		project_diag(p, d, DIAG_ERROR, path, "%s", err_text(&e));
		free(path);
		return 1;
	}
	struct check_lookup l = { f };
	for (size_t i = 0; i < stmts.len; i++) {
		struct sql_stmt *st = stmts.items[i];
		struct sql_bound b;
		if (steps_sql_bind_with(kind, st->text, flow_param, &l, &b, &e) < 0) {
			project_diag(p, d, DIAG_ERROR, path, "statement at line %d: %s",
				     st->line, e.msg);
			errors++;
			continue;
		}
		steps_sql_bound_free(&b);
	}
	steps_sql_stmts_free(&stmts);
	free(path);
	return errors + steps_check_refs(p, f, s, key, conn, text, d);
}

static size_t validate_text(const struct project *p, const struct project_flow *f,
			    const struct project_step *s, const char *conn, struct diags *d)
{
	const char *file = spec_string(p, s, "file", false, d);
	const char *sql = spec_string(p, s, "sql", false, d);
	if (!file && !sql) {
		project_diag(p, d, DIAG_ERROR, s->path_in_file,
			     "a sql step needs \"file\" or \"sql\"");
		return 1;
	}
	if (file && sql) {
		char *path = step_spec_path(s, "sql");
		project_diag(p, d, DIAG_ERROR, path, "give \"file\" or \"sql\", not both");
		free(path);
		return 1;
	}
	if (sql)
		return check_sql_text(p, f, s, "sql", conn, sql, d);
	struct err e;
	char *text = step_read_sql_file(p, file, &e);
	if (!text) {
		char *path = step_spec_path(s, "file");
		project_diag(p, d, DIAG_ERROR, path, "%s", e.msg);
		free(path);
		return 1;
	}
	size_t n = check_sql_text(p, f, s, "file", conn, text, d);
	free(text);
	return n;
}

static size_t sql_validate(const struct project *p, const struct project_flow *f,
			   const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "connection", "file", "sql", "transaction",
					     "inputs", "outputs", NULL };
	size_t before = d->errors;
	spec_unknown_keys(p, s, known, d);
	const char *conn = spec_string(p, s, "connection", true, d);
	spec_bool(p, s, "transaction", true, d);
	struct vec inputs = VEC_INIT;
	spec_strings(p, s, "inputs", false, &inputs, d);
	spec_strings(p, s, "outputs", false, &inputs, d);
	vec_free_all(&inputs, free);
	validate_text(p, f, s, conn, d);
	return d->errors - before;
}

/* ---- running ------------------------------------------------------------------ */

static char *step_text(struct step_ctx *ctx, const char **name, struct err *e)
{
	const char *file = steps_json_string(ctx->step->spec, "file");
	if (file) {
		*name = file;
		return step_read_sql_file(ctx->project, file, e);
	}
	*name = "sql";
	return xstrdup(steps_json_string(ctx->step->spec, "sql"));
}

/* Does stmt start with one of the NULL-terminated keywords? */
static bool starts_with_keyword(const char *stmt, const char *const *words)
{
	char first[16];
	steps_sql_first_word(stmt, first, sizeof first);
	for (const char *const *w = words; *w; w++)
		if (strcmp(first, *w) == 0)
			return true;
	return false;
}

static bool is_transaction_control(const char *stmt)
{
	static const char *const words[] = { "BEGIN", "COMMIT", "END", "ROLLBACK",
					     "START", "VACUUM", NULL };
	return starts_with_keyword(stmt, words);
}

/* The summary names each refreshed view (its rows are the view's, not
 * rows a statement changed one by one), the first few of them. */
struct refreshes {
	struct buf text;
	size_t n;
};

enum { REFRESHES_NAMED = 3 };

static void note_refresh(struct refreshes *r, const char *sql, int64_t rows)
{
	char *view = db_sql_refreshed_view(sql, NULL);
	if (!view)
		return;
	if (r->n++ < REFRESHES_NAMED)
		buf_printf(&r->text, "; refreshed view %s: %lld row%s", view,
			   (long long)rows, rows == 1 ? "" : "s");
	free(view);
}

static int run_statements(struct step_ctx *ctx, struct db *db, const char *name,
			  struct vec *stmts, struct refreshes *refreshed, struct err *e)
{
	for (size_t i = 0; i < stmts->len; i++) {
		struct sql_stmt *st = stmts->items[i];
		if (step_check_cancel(ctx, e) < 0)
			return -1;
		struct sql_bound b;
		int64_t written = 0;
		const char *conn = steps_json_string(ctx->step->spec, "connection");
		int rc = steps_bind_sql(ctx, db_kind(db), st->text, &b, e);
		if (rc == 0 && steps_expand_refs(ctx, db, conn, &b, e) < 0) {
			steps_sql_bound_free(&b);
			rc = -1;
		}
		if (rc == 0) {
			rc = db_exec_written(db, b.sql, (const char *const *)b.values,
					     b.nvalues, &written, e);
			if (rc == 0)
				note_refresh(refreshed, b.sql, written);
			steps_sql_bound_free(&b);
		}
		if (rc < 0) {
			err_prefix(e, "%s, statement at line %d: ", name, st->line);
			return -1;
		}
		ctx->rows_out += written;
	}
	return 0;
}

static int sql_run(struct step_ctx *ctx, struct err *e)
{
	const cJSON *spec = ctx->step->spec;
	bool tx = steps_json_bool(spec, "transaction", true);
	struct db *db = step_db(ctx, steps_json_string(spec, "connection"), e);
	if (!db)
		return -1;
	const char *name;
	char *text = step_text(ctx, &name, e);
	if (!text)
		return -1;
	struct vec stmts = VEC_INIT;
	int rc = steps_sql_split(db_kind(db), text, &stmts, e);
	free(text);
	if (rc < 0) {
		err_prefix(e, "%s: ", name);
		return -1;
	}
	for (size_t i = 0; tx && i < stmts.len; i++) {
		struct sql_stmt *st = stmts.items[i];
		if (is_transaction_control(st->text)) {
			char first[16];
			int line = st->line;
			steps_sql_first_word(st->text, first, sizeof first);
			steps_sql_stmts_free(&stmts);
			return err_set(e, ERR_INVALID, "%s, statement at line %d: %s: a sql "
				       "step runs its statements in one transaction of its own; "
				       "remove the transaction control, or set \"transaction\": "
				       "false", name, line, first);
		}
	}
	rc = step_ledger_done(ctx, db, NULL, e);
	if (rc != 0) {
		steps_sql_stmts_free(&stmts);
		if (rc == 1)
			step_summary(ctx, "already committed by an earlier attempt");
		return rc < 0 ? -1 : 0;
	}
	if (tx && db_begin(db, e) < 0) {
		steps_sql_stmts_free(&stmts);
		return -1;
	}
	struct refreshes refreshed = { BUF_INIT, 0 };
	rc = run_statements(ctx, db, name, &stmts, &refreshed, e);
	if (rc == 0 && !db_is_read_only(db))
		rc = step_ledger_put(ctx, db, NULL, ctx->rows_in, ctx->rows_out, name, e);
	if (tx)
		rc = step_end_transaction(ctx, db, rc, e);
	if (refreshed.n > REFRESHES_NAMED)
		buf_printf(&refreshed.text, "; %zu more views refreshed",
			   refreshed.n - REFRESHES_NAMED);
	if (rc == 0)
		step_summary(ctx, "%zu statement%s, %lld row%s changed%s", stmts.len,
			     stmts.len == 1 ? "" : "s", (long long)ctx->rows_out,
			     ctx->rows_out == 1 ? "" : "s", buf_str(&refreshed.text));
	buf_free(&refreshed.text);
	steps_sql_stmts_free(&stmts);
	return rc;
}

static int sql_cache_inputs(struct step_ctx *ctx, struct buf *key, struct err *e)
{
	const char *name;
	char *text = step_text(ctx, &name, e);
	if (!text)
		return -1;
	char hex[65];
	sha256_hex_of(text, strlen(text), hex);
	buf_printf(key, "text %s\n", hex);
	int streams = steps_cache_streams(ctx, text, key, e);
	free(text);
	if (streams < 0)
		return -1;
	struct vec inputs = VEC_INIT;
	steps_json_strings(ctx->step->spec, "inputs", &inputs);
	int rc = 0;
	if (inputs.len) {
		struct db *db = step_db(ctx, steps_json_string(ctx->step->spec, "connection"), e);
		rc = db ? steps_cache_tables(ctx, db, &inputs, key, e) : -1;
	}
	vec_free(&inputs);
	return rc;
}

const struct step_ops step_sql_ops = {
	.kind = STEP_SQL,
	.validate = sql_validate,
	.run = sql_run,
	.cache_inputs = sql_cache_inputs,
};
