/*
 * extract.c - the `extract` step: incremental reads of source tables by a
 * watermark column, into the lake or into staging tables.
 *
 *   { "kind": "extract", "connection": "source", "tables": ["sales_order", "staff"],
 *     "watermark": "last_updated", "format": "ndjson" }
 *
 * Each table's window is (start, end]: start is the last committed
 * watermark, end the newest watermark the table holds up to the source's
 * own clock less the lag (extract_window.c says why and how).  The window
 * is planned in the control store before anything is read
 * (store_wm_plan), so a retried or recovered attempt of the run gets the
 * same window back and writes the same rows to the same place:
 *
 *   into the lake: one file per table and window (NDJSON or CSV through
 *   format/'s writers, gzip-compressed with "compression": "gzip", the key
 *   then ending .EXT.gz), key PREFIX TABLE/YYYY/MM/DD/HHMMSSffffff.EXT with
 *   the window's end as the time, written atomically (a rerun replaces it
 *   whole).  The file is the durable result, so the table's watermark
 *   commits as soon as its file is written (store_wm_commit); nothing new,
 *   no window, no file.
 *
 *   into staging tables ("to": { "connection", "table_prefix" }): the
 *   window's rows replace the staging table's, with the ledger entry
 *   store:STORE:run:ID:step:NAME:TABLE, in one transaction (nothing new
 *   empties it).  The watermark waits for the run: the engine commits the
 *   run's windows when it completes (store_wm_commit_run).  A run that
 *   fails leaves its window uncommitted, and the next run's window reaches
 *   back over it, so the staging table never loses rows that a later step
 *   did not get to load.
 *
 * Rows whose watermark no window can take (NULL; on SQLite not a time)
 * are counted in the summary and warned about on every run.
 *
 * Reads are range scans on the watermark: sluice never alters a source it
 * only reads, so it does not create the index, but warns (once per
 * process and table) when none exists, because without one even an empty
 * window reads the whole table.  Nothing counts the table's rows.
 */
#include "steps/extract_int.h"
#include "format/format.h"
#include "lake/lake.h"

#include <stdlib.h>
#include <string.h>

#define CANCEL_CHECK_ROWS 1024
#define EXTRACT_MAX_ROW_GROUP 10000000   /* rows a Parquet row group holds in memory */

/* ---- validation ---------------------------------------------------------------- */

/* A "timezone" at `path`: an IANA zone this host has. */
static size_t validate_timezone(const struct project *p, const char *path, const cJSON *tz,
				struct diags *d)
{
	if (!tz || tz_valid(tz->valuestring))
		return 0;
	project_diag(p, d, DIAG_ERROR, path, "unknown time zone \"%.64s\" (IANA names such "
		     "as \"America/New_York\", as found in %s)", tz->valuestring, env_tzdir());
	return 1;
}

static size_t validate_tables(const struct project *p, const struct project_step *s,
			      struct diags *d)
{
	const cJSON *tables = cJSON_GetObjectItemCaseSensitive(s->spec, "tables");
	if (!cJSON_IsArray(tables) || cJSON_GetArraySize(tables) == 0) {
		step_spec_bad_member(p, s, "tables", tables, "expected a non-empty array of tables",
				d);
		return 1;
	}
	char *path = step_spec_path(s, "tables");
	size_t errors = 0;
	size_t i = 0;
	const cJSON *t;
	cJSON_ArrayForEach(t, tables) {
		char *tp = xasprintf("%s[%zu]", path, i++);
		if (cJSON_IsString(t) && *t->valuestring) {
			free(tp);
			continue;
		}
		if (!cJSON_IsObject(t) || !steps_json_string(t, "table")) {
			project_diag(p, d, DIAG_ERROR, tp, "expected a table name or "
				     "{ \"table\", \"watermark\", \"columns\", \"timezone\" }");
			errors++;
		} else {
			const cJSON *item;
			cJSON_ArrayForEach(item, t) {
				const char *k = item->string;
				char *kp = xasprintf("%s.%s", tp, k);
				if (strcmp(k, "table") && strcmp(k, "watermark") &&
				    strcmp(k, "columns") && strcmp(k, "timezone")) {
					project_diag(p, d, DIAG_ERROR, kp, "unknown key \"%s\"", k);
					errors++;
				} else if (!strcmp(k, "columns") ? !cJSON_IsArray(item) ||
					   cJSON_GetArraySize(item) == 0 : !cJSON_IsString(item)) {
					project_diag(p, d, DIAG_ERROR, kp, "expected %s",
						     strcmp(k, "columns") ? "a string" :
						     "a non-empty array of column names");
					errors++;
				} else if (!strcmp(k, "timezone")) {
					errors += validate_timezone(p, kp, item, d);
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
	char *path = step_spec_path(s, "to");
	size_t errors = 0;
	if (!to || (cJSON_IsString(to) && strcmp(to->valuestring, "lake") == 0)) {
		free(path);
		return 0;
	}
	if (!cJSON_IsObject(to) || !steps_json_string(to, "connection")) {
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
		const char *conn = steps_json_string(to, "connection");
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

/* row_group_rows belongs to Parquet files; compression is Parquet's page
 * codec (none, gzip, zstd) or a text file's gzip. */
static void validate_parquet_keys(const struct project *p, const struct project_step *s,
				  const char *format, struct diags *d)
{
	bool parquet = format && !strcmp(format, "parquet");
	if (cJSON_GetObjectItemCaseSensitive(s->spec, "row_group_rows")) {
		char *path = step_spec_path(s, "row_group_rows");
		int64_t n = spec_int(p, s, "row_group_rows", -1, d);
		if (!parquet)
			project_diag(p, d, DIAG_ERROR, path, "row_group_rows applies to "
				     "\"format\": \"parquet\"");
		else if (n < 1 || n > EXTRACT_MAX_ROW_GROUP)
			project_diag(p, d, DIAG_ERROR, path, "the rows in a row group are a whole "
				     "number from 1 to %d", EXTRACT_MAX_ROW_GROUP);
		free(path);
	}
	const char *comp = spec_string(p, s, "compression", false, d);
	enum fmt_compression c;
	if (comp) {
		char *path = step_spec_path(s, "compression");
		if (!fmt_compression_parse(comp, &c))
			project_diag(p, d, DIAG_ERROR, path, "unknown compression \"%s\" "
				     "(expected none, gzip or zstd)", comp);
		else if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(s->spec, "to")))
			project_diag(p, d, DIAG_ERROR, path, "compression applies to lake files; "
				     "this extract writes staging tables (\"to\")");
		else if (!parquet && c == FMT_COMPRESSION_ZSTD)
			project_diag(p, d, DIAG_ERROR, path, "zstd compresses Parquet pages; "
				     "NDJSON and CSV files are compressed with \"gzip\"");
		free(path);
	}
}

static size_t extract_validate(const struct project *p, const struct project_flow *f UNUSED,
			       const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "connection", "tables", "watermark", "format",
					     "to", "prefix", "lag", "timezone", "row_group_rows",
					     "compression", NULL };
	size_t before = d->errors;
	spec_unknown_keys(p, s, known, d);
	spec_string(p, s, "connection", true, d);
	spec_string(p, s, "watermark", false, d);
	if (spec_string(p, s, "timezone", false, d)) {
		char *path = step_spec_path(s, "timezone");
		validate_timezone(p, path, cJSON_GetObjectItemCaseSensitive(s->spec, "timezone"),
				  d);
		free(path);
	}
	const char *lag = spec_string(p, s, "lag", false, d);
	usec_t lag_us;
	if (lag && !duration_parse(lag, &lag_us)) {
		char *path = step_spec_path(s, "lag");
		project_diag(p, d, DIAG_ERROR, path, "\"%s\" is not a duration (for example "
			     "\"2s\" or \"1 minute\")", lag);
		free(path);
	}
	const char *format = spec_string(p, s, "format", false, d);
	if (format && strcmp(format, "ndjson") && strcmp(format, "csv") &&
	    strcmp(format, "parquet")) {
		char *path = step_spec_path(s, "format");
		project_diag(p, d, DIAG_ERROR, path, "unknown format \"%s\" (expected ndjson, "
			     "csv or parquet)", format);
		free(path);
	}
	validate_parquet_keys(p, s, format, d);
	const char *prefix = spec_string(p, s, "prefix", false, d);
	struct err e;
	size_t plen = prefix ? strlen(prefix) : 0;
	while (plen > 0 && prefix[plen - 1] == '/')
		plen--;
	if (prefix && plen && lake_key_check(prefix, plen, &e) < 0) {
		char *path = step_spec_path(s, "prefix");
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

/* How each column of the cursor is stored in Parquet, from its type as
 * the first row shows it. */
static struct fmt_out_column *parquet_columns(struct db_cursor *c)
{
	int n = db_cursor_ncols(c);
	struct fmt_out_column *o = xcalloc((size_t)n + 1, sizeof *o);
	for (int i = 0; i < n; i++) {
		struct db_coltype t = db_cursor_type(c, i);
		o[i].precision = t.precision;
		o[i].scale = t.scale;
		switch (t.type) {
		case DT_INT: o[i].type = FPQ_INT; break;
		case DT_FLOAT: o[i].type = FPQ_DOUBLE; break;
		case DT_NUMERIC: o[i].type = FPQ_DECIMAL; break;
		case DT_BOOL: o[i].type = FPQ_BOOL; break;
		case DT_DATE: o[i].type = FPQ_DATE; break;
		case DT_TIME: o[i].type = FPQ_TIME; break;
		case DT_TIMESTAMP: o[i].type = FPQ_TIMESTAMP; break;
		case DT_JSON: o[i].type = FPQ_JSON; break;
		case DT_TEXT: o[i].type = FPQ_TEXT; break;
		}
	}
	return o;
}

static enum fmt_format window_format(const cJSON *spec)
{
	enum fmt_format fmt = FMT_NDJSON;
	const char *format = steps_json_string(spec, "format");
	if (format)
		fmt_format_parse(format, &fmt);
	return fmt;
}

static enum fmt_compression window_compression(const cJSON *spec)
{
	enum fmt_compression c = FMT_COMPRESSION_NONE;
	const char *comp = steps_json_string(spec, "compression");
	if (comp)
		fmt_compression_parse(comp, &c);
	return c;
}

/* A window file's extension: the format's, and ".gz" for a gzip text
 * file (Parquet compresses inside the file).  Caller frees. */
static char *window_ext(const cJSON *spec)
{
	enum fmt_format fmt = window_format(spec);
	bool gzip = fmt != FMT_PARQUET && window_compression(spec) == FMT_COMPRESSION_GZIP;
	return xasprintf("%s%s", fmt_format_name(fmt), gzip ? ".gz" : "");
}

static void writer_options(const cJSON *spec, enum fmt_format fmt, struct db_cursor *c,
			   struct fmt_writer_opts *wo)
{
	memset(wo, 0, sizeof *wo);
	wo->format = fmt;
	wo->delimiter = ',';
	wo->crlf = true;
	wo->compression = window_compression(spec);
	if (fmt != FMT_PARQUET)
		return;
	wo->columns = parquet_columns(c);
	wo->ncolumns = (size_t)db_cursor_ncols(c);
	const cJSON *rg = cJSON_GetObjectItemCaseSensitive(spec, "row_group_rows");
	if (cJSON_IsNumber(rg) && rg->valuedouble >= 1)
		wo->row_group_rows = (size_t)rg->valuedouble;
}

static int lake_sink(void *arg, const void *data, size_t n, struct err *e)
{
	return lake_write(arg, data, n, e);
}

/* ---- into the lake ---------------------------------------------------------------------- */

/* The window's rows into one lake file; no rows, no file. */
static int window_to_lake(struct step_ctx *ctx, const struct load_query *q, const char *key,
			  enum fmt_format fmt, int64_t *rows, struct err *e)
{
	*rows = 0;
	struct db_cursor *c = db_query(q->db, q->sql, q->params, q->nparams, e);
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
	struct fmt_writer_opts wo;
	writer_options(ctx->step->spec, fmt, c, &wo);
	struct fmt_writer *fw = fmt_writer_new(&wo, lake_sink, lw, e);
	free((void *)wo.columns);
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
	/* Never over a file that is there: another environment or project
	 * writing this lake would lose its rows to ours.  The same bytes are
	 * this window written before (a retried attempt). */
	if (lake_write_commit_new(lw, e) < 0) {
		if (e && e->code == ERR_CONFLICT) {
			char *why = xstrdup(e->msg);
			err_set(e, ERR_CONFLICT, "%s: another environment or project extracts "
				"into this lake, it holds the files of an earlier control store "
				"(a new .sluice/), or the source changed since an earlier attempt "
				"wrote the file; move it away to extract the window again", why);
			free(why);
		}
		return -1;
	}
	*rows = n;
	return 0;
}

/* ---- into a staging table ------------------------------------------------------------- */

static int window_to_staging(struct step_ctx *ctx, const struct load_query *q,
			     const cJSON *to, const char *table, int64_t *rows, struct err *e)
{
	const char *conn = steps_json_string(to, "connection");
	const char *prefix = steps_json_string(to, "table_prefix");
	struct db *tdb = step_db(ctx, conn, e);
	if (!tdb)
		return -1;
	char *staging = xasprintf("%s%s", prefix ? prefix : "", table);
	struct load_into li = { .db = tdb, .connection = conn, .table = staging,
				.replace = true };
	struct vec changes = VEC_INIT;
	int rc = db_begin(tdb, e);
	if (rc == 0)
		rc = step_load_query_into(ctx, q, &li, &changes, rows, e);
	if (rc == 0)
		rc = step_ledger_put(ctx, tdb, table, *rows, *rows, staging, e);
	rc = step_end_transaction(ctx, tdb, rc, e);
	if (rc < 0)
		err_prefix(e, "staging %s: ", staging);
	else
		rc = step_drift_commit(ctx, &changes, e);
	step_drift_changes_free(&changes);
	free(staging);
	return rc;
}

/* ---- the step ----------------------------------------------------------------------------- */

static void table_entry(const cJSON *spec, const cJSON *item, struct extract_table *xt)
{
	const char *wm = steps_json_string(spec, "watermark");
	memset(xt, 0, sizeof *xt);
	xt->timezone = steps_json_string(spec, "timezone");
	if (cJSON_IsString(item)) {
		xt->table = item->valuestring;
	} else {
		xt->table = steps_json_string(item, "table");
		xt->columns = cJSON_GetObjectItemCaseSensitive(item, "columns");
		if (steps_json_string(item, "watermark"))
			wm = steps_json_string(item, "watermark");
		if (steps_json_string(item, "timezone"))
			xt->timezone = steps_json_string(item, "timezone");
	}
	xt->watermark = wm ? wm : "last_updated";
}

/* A run that ended may have written its window's lake file and lost the
 * commit after it (the control store went, the engine died, the run had
 * no retry left).  Extracting from the committed value again would write
 * those rows into a second file, and a pipe would load them twice: when
 * the file is there, it is the window's result.  1 adopted, 0 not, -1
 * error. */
static int adopt_written_window(struct step_ctx *ctx, const struct extract_table *xt,
				const struct wm_frame *f, const struct store_watermark *cur,
				struct err *e)
{
	if (!cur || !cur->pending_end || cur->pending_run == ctx->run_id ||
	    !str_eq(cur->pending_start, cur->committed))
		return 0;
	char *ext = window_ext(ctx->step->spec);
	char *key = lake_key_make(steps_json_string(ctx->step->spec, "prefix"), xt->table,
				  step_wm_key_time(f, cur), ext);
	free(ext);
	struct lake_entry ent = { 0 };
	struct err le;
	int rc = lake_stat(ctx->lake, key, &ent, &le);
	lake_entry_free(&ent);
	if (rc == 0)
		rc = store_wm_adopt(ctx->store, ctx->flow->name, ctx->step->name, xt->table, e);
	else if (le.code == ERR_NOTFOUND)
		rc = 0;
	else if (e)
		*e = le;
	if (rc == 1) {
		char *object = xasprintf("table:%s", xt->table);
		step_log(ctx, LOG_WARN, object, "%s: run %lld wrote the window (%s, %s] to %s "
			 "but did not commit it; that file is the window's result, so the "
			 "extract goes on after it instead of extracting those rows again",
			 xt->table, (long long)cur->pending_run,
			 cur->pending_start ? cur->pending_start : "start", cur->pending_end, key);
		free(object);
	}
	free(key);
	return rc;
}

/* This run's window for the table: the one it planned before (a retried
 * or recovered attempt), or a new one after the committed watermark.
 * *w NULL: nothing new. */
static int plan_window(struct step_ctx *ctx, struct db *db, const struct extract_table *xt,
		       const struct wm_frame *f, struct store_watermark **w, struct err *e)
{
	*w = NULL;
	struct store_watermark *cur = NULL;
	if (store_wm_get(ctx->store, ctx->flow->name, ctx->step->name, xt->table, &cur,
			 e) < 0)
		return -1;
	if (cur && cur->pending && cur->pending_run == ctx->run_id) {
		*w = cur;
		return 0;
	}
	bool staging = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(ctx->step->spec, "to"));
	int adopted = staging ? 0 : adopt_written_window(ctx, xt, f, cur, e);
	if (adopted != 0) {
		store_wm_free(cur);
		cur = NULL;
		if (adopted < 0 || store_wm_get(ctx->store, ctx->flow->name, ctx->step->name,
						xt->table, &cur, e) < 0)
			return -1;
	}
	char *start = cur && cur->committed ? xstrdup(cur->committed) : NULL;
	store_wm_free(cur);
	char *end = NULL;
	int rc = step_wm_window_end(ctx, db, f, start, &end, e);
	if (rc == 0 && end)
		rc = store_wm_plan(ctx->store, ctx->flow->name, ctx->step->name, xt->table,
				   ctx->run_id, start, end, w, e);
	free(start);
	free(end);
	return rc;
}

/* Rows no window takes are said, every run: they are data left behind. */
static int report_unextractable(struct step_ctx *ctx, struct db *db,
				const struct extract_table *xt, const struct wm_frame *f,
				const struct store_watermark *w, int64_t *skipped,
				struct err *e)
{
	if (step_wm_unextractable(db, f, w, skipped, e) < 0)
		return -1;
	if (*skipped) {
		char *object = xasprintf("table:%s", xt->table);
		step_log(ctx, LOG_WARN, object, "%s: %lld row%s with no usable %s (NULL%s) "
			 "cannot be extracted", xt->table, (long long)*skipped,
			 *skipped == 1 ? "" : "s", xt->watermark, f->lite ? " or not a time" : "");
		free(object);
	}
	return 0;
}

static int extract_window(struct step_ctx *ctx, struct db *db, const struct extract_table *xt,
			  const struct wm_frame *f, const struct store_watermark *w,
			  int64_t *rows, char **where, struct err *e)
{
	const cJSON *spec = ctx->step->spec;
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(spec, "to");
	struct wm_params p;
	char *sql = step_wm_window_query(db, xt, f, w, &p);
	struct load_query q = { db, sql, p.v, p.n };
	int rc;
	if (cJSON_IsObject(to)) {
		rc = window_to_staging(ctx, &q, to, xt->table, rows, e);
		free(sql);
		return rc;
	}
	char *ext = window_ext(spec);
	char *key = lake_key_make(steps_json_string(spec, "prefix"), xt->table, step_wm_key_time(f, w),
				  ext);
	free(ext);
	rc = window_to_lake(ctx, &q, key, window_format(spec), rows, e);
	/* The file is the result: the window is done. */
	if (rc == 0)
		rc = store_wm_commit(ctx->store, ctx->flow->name, ctx->step->name, xt->table,
				     ctx->run_id, e);
	if (rc == 0 && *rows)
		*where = key;
	else
		free(key);
	free(sql);
	return rc;
}

/* Did an earlier attempt of this run stage the table?  1 yes, 0 no, -1
 * error.  Asked before planning: that attempt may have found nothing new
 * and planned no window, and a window planned now would commit with the
 * run while its rows were never staged. */
static int staged_before(struct step_ctx *ctx, const struct extract_table *xt,
			 struct err *e)
{
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(ctx->step->spec, "to");
	if (!cJSON_IsObject(to))
		return 0;
	struct db *tdb = step_db(ctx, steps_json_string(to, "connection"), e);
	return tdb ? step_ledger_done(ctx, tdb, xt->table, e) : -1;
}

static int extract_table(struct step_ctx *ctx, struct db *db, const struct extract_table *xt,
			 int64_t *rows, int64_t *skipped, char **where, struct err *e)
{
	*rows = *skipped = 0;
	*where = NULL;
	struct wm_frame f;
	struct store_watermark *w = NULL;
	int rc = staged_before(ctx, xt, e);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = step_wm_frame_open(ctx, db, xt, &f, e);
	if (rc == 0)
		rc = plan_window(ctx, db, xt, &f, &w, e);
	if (rc == 0)
		rc = report_unextractable(ctx, db, xt, &f, w, skipped, e);
	/* Nothing new: no lake file, but an empty staging table, so that the
	 * steps after it do not load the last run's rows again. */
	bool staging = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(ctx->step->spec, "to"));
	if (rc == 0 && (w || staging))
		rc = extract_window(ctx, db, xt, &f, w, rows, where, e);
	if (rc < 0)
		err_prefix(e, "extracting %s: ", xt->table);
	store_wm_free(w);
	step_wm_frame_free(&f);
	return rc;
}

static int extract_run(struct step_ctx *ctx, struct err *e)
{
	const cJSON *spec = ctx->step->spec;
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(spec, "to");
	if (!cJSON_IsObject(to) && !ctx->lake)
		return err_set(e, ERR_INVALID, "step %s: the project has no lake",
			       ctx->step->name);
	struct db *db = step_db(ctx, steps_json_string(spec, "connection"), e);
	if (!db)
		return -1;
	int ntables = 0, nfiles = 0, rc = 0;
	int64_t skipped = 0;
	const cJSON *item;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(spec, "tables")) {
		struct extract_table xt;
		table_entry(spec, item, &xt);
		int64_t rows = 0, left = 0;
		char *key = NULL;
		rc = step_check_cancel(ctx, e);
		if (rc == 0)
			rc = extract_table(ctx, db, &xt, &rows, &left, &key, e);
		if (rc < 0)
			break;
		ntables++;
		skipped += left;
		ctx->rows_in += rows;
		ctx->rows_out += rows;
		if (key) {
			nfiles++;
			step_log(ctx, LOG_INFO, NULL, "%s: %lld rows into %s", xt.table,
				 (long long)rows, key);
			free(key);
		}
	}
	char left[64] = "";
	if (skipped)
		snprintf(left, sizeof left, "; %lld row%s without a usable watermark",
			 (long long)skipped, skipped == 1 ? "" : "s");
	if (rc == 0)
		step_summary(ctx, "%d table%s, %lld new rows%s%s", ntables,
			     ntables == 1 ? "" : "s", (long long)ctx->rows_out,
			     cJSON_IsObject(to) ? "" : nfiles ? ", written to the lake" :
			     ", nothing new", left);
	return rc;
}

/* ---- watermarks for display ------------------------------------------------------------- */

static void add_row(struct vec *out, const char *flow, const char *step, const char *table,
		    struct store_watermark *wm, bool declared)
{
	struct steps_watermark *r = xcalloc(1, sizeof *r);
	*r = (struct steps_watermark){ flow, step, table, wm, declared };
	vec_push(out, r);
}

/* The store's row for (flow, step, table), taken out of `held`. */
static struct store_watermark *take(struct vec *held, const char *flow, const char *step,
				    const char *table)
{
	for (size_t i = 0; i < held->len; i++) {
		struct store_watermark *w = held->items[i];
		if (w && str_eq(w->flow, flow) && str_eq(w->step, step) &&
		    str_eq(w->table, table)) {
			held->items[i] = NULL;
			return w;
		}
	}
	return NULL;
}

int steps_watermarks(const struct project *p, struct store *s, const char *flow,
		     struct vec *out, struct err *e)
{
	struct vec held = VEC_INIT;
	if (store_wm_list(s, flow, &held, e) < 0)
		return -1;
	for (size_t i = 0; i < p->nflows; i++) {
		const struct project_flow *f = &p->flows[i];
		if (flow && !str_eq(flow, f->name))
			continue;
		for (size_t k = 0; k < f->nsteps; k++) {
			const struct project_step *st = &f->steps[k];
			if (st->kind != STEP_EXTRACT)
				continue;
			const cJSON *item;
			cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(st->spec,
										   "tables")) {
				struct extract_table xt;
				table_entry(st->spec, item, &xt);
				if (xt.table)
					add_row(out, f->name, st->name, xt.table,
						take(&held, f->name, st->name, xt.table), true);
			}
		}
	}
	for (size_t i = 0; i < held.len; i++) {
		struct store_watermark *w = held.items[i];
		if (w)
			add_row(out, w->flow, w->step, w->table, w, false);
	}
	vec_free(&held);
	return 0;
}

static void free_row(void *p)
{
	struct steps_watermark *r = p;
	store_wm_free(r->wm);
	free(r);
}

void steps_watermarks_free(struct vec *v)
{
	vec_free_all(v, free_row);
}

const struct step_ops step_extract_ops = {
	.kind = STEP_EXTRACT,
	.validate = extract_validate,
	.run = extract_run,
	.cache_inputs = NULL,
};
