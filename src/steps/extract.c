/*
 * extract.c - the `extract` step: incremental reads of source tables by a
 * watermark column, into the lake or into staging tables.
 *
 *   { "kind": "extract", "connection": "source", "tables": ["sales_order", "staff"],
 *     "watermark": "last_updated", "format": "ndjson" }
 *
 * Each table's window is (start, end]: start is the last committed
 * watermark, end the run's start (for temporal and text watermarks) or
 * the column's current maximum (for numbers).  The window is planned in
 * the control store before anything is read (store_wm_plan), so a retried
 * or recovered attempt of the run gets the same window back and writes
 * the same rows to the same place:
 *
 *   into the lake: one file per table and window (NDJSON or CSV through
 *   format/'s writers), key PREFIX TABLE/YYYY/MM/DD/HHMMSSffffff.EXT with
 *   the window's end as the time, written atomically (a rerun replaces it
 *   whole).  The file is the durable
 *   result, so the table's watermark commits as soon as its file is
 *   written; an empty window writes no file.
 *
 *   into staging tables ("to": { "connection", "table_prefix" }): the
 *   window's rows replace the staging table's, with the ledger entry
 *   store:STORE:run:ID:step:NAME:TABLE, in one transaction.  The
 *   watermark waits for the run: the engine commits the run's windows
 *   when it completes (store_wm_commit_run).  A run that fails leaves its
 *   window uncommitted, and the next run's window reaches back over it,
 *   so the staging table never loses rows that a later step did not get
 *   to load.
 *
 * Reads are range scans on the watermark: sluice never alters a source it
 * only reads, so it does not create the index, but warns (once per
 * process and table) when none exists, because without one even an empty
 * window reads the whole table.  Nothing counts the table's rows.
 */
#include "steps/steps_int.h"
#include "format/format.h"
#include "lake/lake.h"
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CANCEL_CHECK_ROWS 1024

struct extract_table {
	const char *table;
	const char *watermark;
	const cJSON *columns;      /* array of names, or NULL for all */
};

/* ---- validation ---------------------------------------------------------------- */

static size_t validate_tables(const struct project *p, const struct project_step *s,
			      struct diags *d)
{
	const cJSON *tables = cJSON_GetObjectItemCaseSensitive(s->spec, "tables");
	if (!cJSON_IsArray(tables) || cJSON_GetArraySize(tables) == 0) {
		spec_bad_member(p, s, "tables", tables, "expected a non-empty array of tables",
				d);
		return 1;
	}
	char *path = spec_path(s, "tables");
	size_t errors = 0;
	size_t i = 0;
	const cJSON *t;
	cJSON_ArrayForEach(t, tables) {
		char *tp = xasprintf("%s[%zu]", path, i++);
		if (cJSON_IsString(t) && *t->valuestring) {
			free(tp);
			continue;
		}
		if (!cJSON_IsObject(t) || !sj_string(t, "table")) {
			project_diag(p, d, DIAG_ERROR, tp, "expected a table name or "
				     "{ \"table\", \"watermark\", \"columns\" }");
			errors++;
		} else {
			const cJSON *item;
			cJSON_ArrayForEach(item, t) {
				const char *k = item->string;
				char *kp = xasprintf("%s.%s", tp, k);
				if (strcmp(k, "table") && strcmp(k, "watermark") &&
				    strcmp(k, "columns")) {
					project_diag(p, d, DIAG_ERROR, kp, "unknown key \"%s\"", k);
					errors++;
				} else if (!strcmp(k, "columns") ? !cJSON_IsArray(item) ||
					   cJSON_GetArraySize(item) == 0 : !cJSON_IsString(item)) {
					project_diag(p, d, DIAG_ERROR, kp, "expected %s",
						     strcmp(k, "columns") ? "a string" :
						     "a non-empty array of column names");
					errors++;
				}
				free(kp);
			}
		}
		free(tp);
	}
	free(path);
	return errors;
}

static size_t validate_to(const struct project *p, const struct project_step *s,
			  struct diags *d)
{
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(s->spec, "to");
	char *path = spec_path(s, "to");
	size_t errors = 0;
	if (!to || (cJSON_IsString(to) && strcmp(to->valuestring, "lake") == 0)) {
		free(path);
		return 0;
	}
	if (!cJSON_IsObject(to) || !sj_string(to, "connection")) {
		project_diag(p, d, DIAG_ERROR, path, "expected \"lake\" or { \"connection\", "
			     "\"table_prefix\" }");
		errors++;
	} else {
		const cJSON *item;
		cJSON_ArrayForEach(item, to) {
			if (strcmp(item->string, "connection") &&
			    strcmp(item->string, "table_prefix")) {
				char *kp = xasprintf("%s.%s", path, item->string);
				project_diag(p, d, DIAG_ERROR, kp, "unknown key \"%s\"",
					     item->string);
				free(kp);
				errors++;
			}
		}
		const char *conn = sj_string(to, "connection");
		if (!project_connection(p, conn)) {
			char *kp = xasprintf("%s.connection", path);
			project_diag(p, d, DIAG_ERROR, kp, "unknown connection \"%s\"", conn);
			free(kp);
			errors++;
		}
	}
	free(path);
	return errors;
}

static size_t extract_validate(const struct project *p, const struct project_flow *f UNUSED,
			       const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "connection", "tables", "watermark", "format",
					     "to", "prefix", "lag", NULL };
	size_t before = d->errors;
	spec_unknown_keys(p, s, known, d);
	spec_string(p, s, "connection", true, d);
	spec_string(p, s, "watermark", false, d);
	const char *lag = spec_string(p, s, "lag", false, d);
	usec_t lag_us;
	if (lag && !duration_parse(lag, &lag_us)) {
		char *path = spec_path(s, "lag");
		project_diag(p, d, DIAG_ERROR, path, "\"%s\" is not a duration (for example "
			     "\"2s\" or \"1 minute\")", lag);
		free(path);
	}
	const char *format = spec_string(p, s, "format", false, d);
	if (format && strcmp(format, "ndjson") && strcmp(format, "csv")) {
		char *path = spec_path(s, "format");
		project_diag(p, d, DIAG_ERROR, path, "unknown format \"%s\" (expected ndjson "
			     "or csv)", format);
		free(path);
	}
	const char *prefix = spec_string(p, s, "prefix", false, d);
	struct err e;
	size_t plen = prefix ? strlen(prefix) : 0;
	while (plen > 0 && prefix[plen - 1] == '/')
		plen--;
	if (prefix && plen && lake_key_check(prefix, plen, &e) < 0) {
		char *path = spec_path(s, "prefix");
		project_diag(p, d, DIAG_ERROR, path, "not a lake prefix: %s", e.msg);
		free(path);
	}
	validate_tables(p, s, d);
	validate_to(p, s, d);
	return d->errors - before;
}

/* ---- encoding rows ------------------------------------------------------------------ */

static bool json_number(const char *s)
{
	/* canonical numbers are JSON numbers, except NaN and the infinities */
	const char *p = s + (*s == '-');
	return *p >= '0' && *p <= '9';
}

/* The cursor's current row as format fields (names and values borrowed). */
static void row_fields(struct db_cursor *c, struct fmt_field *f)
{
	for (int i = 0; i < db_cursor_ncols(c); i++) {
		const char *v = db_cursor_text(c, i);
		enum db_type t = db_cursor_type(c, i).type;
		f[i].name = db_cursor_name(c, i);
		f[i].value = v;
		f[i].len = db_cursor_len(c, i);
		if (!v)
			f[i].kind = FK_NULL;
		else if ((t == DT_INT || t == DT_NUMERIC || t == DT_FLOAT) && json_number(v))
			f[i].kind = FK_NUMBER;
		else if (t == DT_BOOL && f[i].len == 1 && (v[0] == 't' || v[0] == 'f'))
			f[i].kind = FK_BOOL;
		else
			f[i].kind = FK_STRING;
	}
}

static int lake_sink(void *arg, const void *data, size_t n, struct err *e)
{
	return lake_write(arg, data, n, e);
}

/* ---- the window ---------------------------------------------------------------------- */

/* Warn once per process about a watermark without an index. */
static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vec warned = VEC_INIT;

static bool first_warning(const char *what)
{
	bool first = true;
	pthread_mutex_lock(&warned_lock);
	for (size_t i = 0; i < warned.len && first; i++)
		first = strcmp(warned.items[i], what) != 0;
	if (first)
		vec_push(&warned, xstrdup(what));
	pthread_mutex_unlock(&warned_lock);
	return first;
}

static int watermark_indexed(struct db *db, const char *table, const char *column,
			     bool *indexed, struct err *e)
{
	const char *params[] = { table, column };
	int64_t n = 0;
	const char *sql = db_kind(db) == DB_POSTGRES ?
		"SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
		"JOIN pg_namespace ns ON ns.oid = c.relnamespace "
		"JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
		"WHERE ns.nspname = current_schema() AND c.relname = $1 AND a.attname = $2" :
		"SELECT (SELECT count(*) FROM pragma_index_list($1) AS il, "
		"pragma_index_info(il.name) AS ii WHERE ii.seqno = 0 AND ii.name = $2 "
		"COLLATE NOCASE) + (SELECT count(*) FROM pragma_table_info($1) "
		"WHERE pk = 1 AND name = $2 COLLATE NOCASE AND upper(type) = 'INTEGER')";
	if (db_query_int(db, sql, params, 2, &n, e) < 0)
		return -1;
	*indexed = n > 0;
	return 0;
}

/* How far behind the run's start a temporal window ends.  A row stamped
 * at T by a transaction that commits a moment later would be missed by an
 * extract that read up to T before the commit; ending the window `lag`
 * earlier leaves such rows for the next run instead of losing them. */
#define DEFAULT_LAG (2 * USEC_PER_SEC)

static usec_t window_lag(const struct project_step *step)
{
	const char *text = sj_string(step->spec, "lag");
	usec_t lag;
	return text && duration_parse(text, &lag) ? lag : DEFAULT_LAG;
}

/* The window's end for this run: the run's start (less the lag) as a timestamp for
 * temporal and text columns (written the way the column writes its own
 * values when it keeps them as text with a 'T'), the current maximum for
 * numbers.  *end NULL: an empty numeric column, nothing to extract. */
static int window_end(struct step_ctx *ctx, struct db *db, const char *table,
		      const char *column, struct db_coltype type, char **end,
		      struct err *e)
{
	*end = NULL;
	char *qt = db_quote_ident(db, table), *qc = db_quote_ident(db, column);
	char *sql = xasprintf("SELECT max(%s) FROM %s", qc, qt);
	char *max = NULL;
	int rc = 0;
	bool number = type.type == DT_INT || type.type == DT_NUMERIC || type.type == DT_FLOAT;
	if (number || type.type == DT_TEXT || db_kind(db) == DB_SQLITE)
		rc = db_query_value(db, sql, NULL, 0, &max, e) < 0 ? -1 : 0;
	free(sql);
	free(qt);
	free(qc);
	if (rc < 0)
		return -1;
	if (number) {
		*end = max;
		return 0;
	}
	char ts[32];
	steps_format_ts(ctx->run_start - window_lag(ctx->step), ts);
	if (max && strlen(max) > 10 && max[10] == 'T')
		ts[10] = 'T';
	free(max);
	*end = xstrdup(ts);
	return 0;
}

static struct db_coltype column_type(const struct db_table *t, const char *column,
				     bool *found)
{
	*found = false;
	for (size_t i = 0; i < t->ncolumns; i++) {
		if (strcasecmp(t->columns[i].name, column) == 0) {
			*found = true;
			return t->columns[i].type;
		}
	}
	return (struct db_coltype){ DT_TEXT, 0, 0 };
}

/* SELECT cols FROM t WHERE wm > $1 AND wm <= $2 ORDER BY wm */
static char *window_query(struct db *db, const struct extract_table *xt,
			  const struct store_watermark *w, const char **params, int *nparams)
{
	char *qt = db_quote_ident(db, xt->table), *qc = db_quote_ident(db, xt->watermark);
	struct buf b = BUF_INIT;
	buf_puts(&b, "SELECT ");
	if (xt->columns) {
		const cJSON *el;
		int i = 0;
		cJSON_ArrayForEach(el, xt->columns) {
			char *q = db_quote_ident(db, el->valuestring);
			buf_printf(&b, "%s%s", i++ ? ", " : "", q);
			free(q);
		}
	} else {
		buf_puts(&b, "*");
	}
	*nparams = 0;
	if (w->pending_start) {
		params[(*nparams)++] = w->pending_start;
		buf_printf(&b, " FROM %s WHERE %s > $1 AND %s <= $2 ORDER BY %s", qt, qc, qc, qc);
	} else {
		buf_printf(&b, " FROM %s WHERE %s <= $1 ORDER BY %s", qt, qc, qc);
	}
	params[(*nparams)++] = w->pending_end;
	free(qt);
	free(qc);
	return buf_detach(&b);
}

/* ---- into the lake ---------------------------------------------------------------------- */

/* The window's rows into one lake file; no rows, no file. */
static int window_to_lake(struct step_ctx *ctx, struct db *db, const char *sql,
			  const char *const *params, int nparams, const char *key,
			  enum fmt_format fmt, int64_t *rows, struct err *e)
{
	*rows = 0;
	struct db_cursor *c = db_query(db, sql, params, nparams, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	if (rc <= 0) {
		db_cursor_close(c);
		return rc;
	}
	struct lake_writer *lw = lake_write_open(ctx->lake, key, e);
	if (!lw) {
		db_cursor_close(c);
		return -1;
	}
	struct fmt_writer_opts wo = { fmt, ',', true };
	struct fmt_writer *fw = fmt_writer_new(&wo, lake_sink, lw, e);
	int ncols = db_cursor_ncols(c);
	struct fmt_field *fields = xcalloc((size_t)ncols + 1, sizeof *fields);
	int64_t n = 0;
	if (!fw)
		rc = -1;
	while (rc == 1) {
		row_fields(c, fields);
		if (fmt_writer_row(fw, fields, (size_t)ncols, e) < 0) {
			err_prefix(e, "%s: ", key);
			rc = -1;
			break;
		}
		if (++n % CANCEL_CHECK_ROWS == 0 && step_check_cancel(ctx, e) < 0) {
			rc = -1;
			break;
		}
		rc = db_cursor_next(c, e);
	}
	db_cursor_close(c);
	free(fields);
	if (rc == 0)
		rc = fmt_writer_finish(fw, e);
	if (rc == 0)
		rc = step_check_cancel(ctx, e);
	fmt_writer_free(fw);
	if (rc < 0) {
		lake_write_abort(lw);
		return -1;
	}
	if (lake_write_commit(lw, e) < 0)
		return -1;
	*rows = n;
	return 0;
}

/* ---- into a staging table ------------------------------------------------------------- */

static int window_to_staging(struct step_ctx *ctx, struct db *sdb, const char *sql,
			     const char *const *params, int nparams, const cJSON *to,
			     const char *table, int64_t *rows, struct err *e)
{
	const char *conn = sj_string(to, "connection");
	const char *prefix = sj_string(to, "table_prefix");
	struct db *tdb = step_db(ctx, conn, e);
	if (!tdb)
		return -1;
	int rc = step_ledger_done(ctx, tdb, table, e);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	char *staging = xasprintf("%s%s", prefix ? prefix : "", table);
	struct load_into li = { conn, staging, true, NULL, 0 };
	struct vec changes = VEC_INIT;
	rc = db_begin(tdb, e);
	if (rc == 0)
		rc = load_query_into(ctx, sdb, sql, params, nparams, tdb, &li, &changes,
				     rows, e);
	if (rc == 0)
		rc = step_ledger_put(ctx, tdb, table, *rows, *rows, staging, e);
	rc = step_end_transaction(ctx, tdb, rc, e);
	if (rc < 0)
		err_prefix(e, "staging %s: ", staging);
	else
		rc = drift_commit(ctx, &changes, e);
	drift_changes_free(&changes);
	free(staging);
	return rc;
}

/* ---- the step ----------------------------------------------------------------------------- */

static void table_entry(const cJSON *spec, const cJSON *item, struct extract_table *xt)
{
	const char *wm = sj_string(spec, "watermark");
	memset(xt, 0, sizeof *xt);
	if (cJSON_IsString(item)) {
		xt->table = item->valuestring;
	} else {
		xt->table = sj_string(item, "table");
		xt->columns = cJSON_GetObjectItemCaseSensitive(item, "columns");
		if (sj_string(item, "watermark"))
			wm = sj_string(item, "watermark");
	}
	xt->watermark = wm ? wm : "last_updated";
}

static int check_source(struct step_ctx *ctx, struct db *db, const struct extract_table *xt,
			struct db_coltype *type, struct err *e)
{
	struct db_table *t = db_describe(db, xt->table, e);
	if (!t)
		return -1;
	bool found;
	*type = column_type(t, xt->watermark, &found);
	db_table_free(t);
	if (!found)
		return err_set(e, ERR_NOTFOUND, "table %s in %s has no watermark column %s",
			       xt->table, db_label(db), xt->watermark);
	bool indexed = true;
	if (watermark_indexed(db, xt->table, xt->watermark, &indexed, e) < 0)
		return -1;
	char *what = xasprintf("%s.%s.%s", db_label(db), xt->table, xt->watermark);
	if (!indexed && first_warning(what)) {
		char *object = xasprintf("table:%s", xt->table);
		step_log(ctx, LOG_WARN, object, "no index on %s.%s in %s: every extract "
			 "reads the whole table; create one on the source (sluice does not "
			 "change a source it reads)", xt->table, xt->watermark, db_label(db));
		free(object);
	}
	free(what);
	return 0;
}

static int extract_table(struct step_ctx *ctx, struct db *db, const struct extract_table *xt,
			 int64_t *rows, char **where, struct err *e)
{
	const cJSON *spec = ctx->step->spec;
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(spec, "to");
	bool to_lake = !cJSON_IsObject(to);
	*rows = 0;
	*where = NULL;
	struct db_coltype type;
	char *end = NULL;
	if (check_source(ctx, db, xt, &type, e) < 0 ||
	    window_end(ctx, db, xt->table, xt->watermark, type, &end, e) < 0)
		return -1;
	struct store_watermark *w = NULL;
	int rc = 0;
	if (end)
		rc = store_wm_plan(ctx->store, ctx->flow->name, ctx->step->name, xt->table,
				   ctx->run_id, end, &w, e);
	free(end);
	if (rc < 0 || !w)
		return rc;
	const char *params[2];
	int nparams;
	char *sql = window_query(db, xt, w, params, &nparams);
	if (to_lake) {
		const char *format = sj_string(spec, "format");
		enum fmt_format fmt = format && !strcmp(format, "csv") ? FMT_CSV : FMT_NDJSON;
		usec_t t = 0;
		if (!time_parse_iso(w->pending_end, &t))
			t = w->planned_at;
		char *key = lake_key_make(sj_string(spec, "prefix"), xt->table, t,
					  fmt_format_name(fmt));
		rc = window_to_lake(ctx, db, sql, params, nparams, key, fmt, rows, e);
		/* The file is the result: the window is done. */
		if (rc == 0)
			rc = store_wm_set(ctx->store, ctx->flow->name, ctx->step->name,
					  xt->table, w->pending_end, e);
		if (rc == 0 && *rows)
			*where = key;
		else
			free(key);
	} else {
		rc = window_to_staging(ctx, db, sql, params, nparams, to, xt->table, rows, e);
	}
	if (rc < 0)
		err_prefix(e, "extracting %s: ", xt->table);
	free(sql);
	store_wm_free(w);
	return rc;
}

static int extract_run(struct step_ctx *ctx, struct err *e)
{
	const cJSON *spec = ctx->step->spec;
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(spec, "to");
	if (!cJSON_IsObject(to) && !ctx->lake)
		return err_set(e, ERR_INVALID, "step %s: the project has no lake",
			       ctx->step->name);
	struct db *db = step_db(ctx, sj_string(spec, "connection"), e);
	if (!db)
		return -1;
	int ntables = 0, nfiles = 0, rc = 0;
	const cJSON *item;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(spec, "tables")) {
		struct extract_table xt;
		table_entry(spec, item, &xt);
		int64_t rows = 0;
		char *key = NULL;
		rc = step_check_cancel(ctx, e);
		if (rc == 0)
			rc = extract_table(ctx, db, &xt, &rows, &key, e);
		if (rc < 0)
			break;
		ntables++;
		ctx->rows_in += rows;
		ctx->rows_out += rows;
		if (key) {
			nfiles++;
			step_log(ctx, LOG_INFO, NULL, "%s: %lld rows into %s", xt.table,
				 (long long)rows, key);
			free(key);
		}
	}
	if (rc == 0)
		step_summary(ctx, "%d table%s, %lld new rows%s", ntables, ntables == 1 ? "" : "s",
			     (long long)ctx->rows_out, cJSON_IsObject(to) ? "" :
			     nfiles ? ", written to the lake" : ", nothing new");
	return rc;
}

const struct step_ops step_extract_ops = {
	.kind = STEP_EXTRACT,
	.validate = extract_validate,
	.run = extract_run,
	.cache_inputs = NULL,
};
