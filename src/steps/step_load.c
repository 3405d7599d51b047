/*
 * load.c - the `load` step: rows from a table or query into a target table.
 *
 *   { "kind": "load", "from": { "connection": "warehouse", "table": "stg_orders" },
 *     "connection": "warehouse", "table": "fact_sales_order",
 *     "mode": "merge", "key": ["sales_order_id"], "consumes": ["orders_stream"] }
 *
 * `from` is a table, a query or a SQL file holding a query (:name
 * parameters bound), on any connection.  Everything the step writes
 * commits in one transaction on the target: the schema drift (drift.c),
 * the rows, the stream offsets it consumes and its ledger entry.  A
 * cancel (checked between batches, and interrupting the running statement
 * through step_conns_cancel) or any error rolls all of it back, so no row
 * is ever left behind by a load that did not finish.
 *
 * Modes:
 *   append   insert the rows
 *   merge    update the target's rows whose key is among the source's (in
 *            place, where their values differ) and insert the others
 *            (merge.c); the source rows are first staged in a scratch
 *            table in the target's database (created and dropped inside
 *            the transaction), so every statement sees the same rows.  A
 *            NULL or repeated key is refused, unless "latest_by" names the
 *            columns that order a key's rows: then the latest is taken
 *   replace  empty the target (TRUNCATE on PostgreSQL, DELETE on SQLite)
 *            and insert, in one transaction: readers see the old rows
 *            until the new ones commit, never an empty table
 *
 * How rows travel: when the source's connection reaches the target's
 * database (the same connection, or db_same_database says so),
 * INSERT ... SELECT on the target connection, inside the database and the
 * load's transaction; from PostgreSQL, COPY (query) TO STDOUT, whose lines
 * go unchanged into COPY FROM STDIN when the target is PostgreSQL too; from
 * SQLite, a streaming cursor into the target's writer.  Memory stays
 * bounded whatever the row count.  The summary names the path taken.
 *
 * A load of a partitioned flow may name the target's column that holds the
 * partition ("partition_column"): a run with a partition key then replaces
 * that partition's rows (dbt's insert_overwrite), deleting the target's
 * rows in the partition's range in the load's own transaction before the
 * mode's work, so that a row the partition no longer produces goes and a
 * failed load leaves the old rows.  A source row outside the range fails
 * the load: it would land in a partition nobody replaces.
 *
 * In backfill mode the target is TABLE_backfill and consumed streams are
 * left where they are.
 */
#include "steps/steps_int.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#define CANCEL_CHECK_ROWS 1024

enum load_mode { LOAD_APPEND, LOAD_MERGE, LOAD_REPLACE };

struct load_spec {
	const char *connection, *table;
	enum load_mode mode;
	const char *from_connection, *from_table, *from_query, *from_file;
	struct vec key;          /* const char *, borrowed from the JSON */
	struct vec latest_by;    /* merge: the columns that order a key's rows */
	struct vec consumes;
	const char *partition_column;   /* NULL: the load merges or appends only */
};

/* The source as the target will see it. */
struct source {
	struct sql_bound q;      /* the query, parameters bound */
	int ncols;
	char **names;
	struct db_coltype *types;
	bool *guessed;
};

static bool parse_mode(const char *s, enum load_mode *out)
{
	if (!s || strcmp(s, "append") == 0)
		*out = LOAD_APPEND;
	else if (strcmp(s, "merge") == 0)
		*out = LOAD_MERGE;
	else if (strcmp(s, "replace") == 0)
		*out = LOAD_REPLACE;
	else
		return false;
	return true;
}

static void spec_read(const cJSON *spec, struct load_spec *ls)
{
	memset(ls, 0, sizeof *ls);
	ls->connection = steps_json_string(spec, "connection");
	ls->table = steps_json_string(spec, "table");
	parse_mode(steps_json_string(spec, "mode"), &ls->mode);
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(spec, "from");
	ls->from_connection = steps_json_string(from, "connection");
	if (!ls->from_connection)
		ls->from_connection = ls->connection;
	ls->from_table = steps_json_string(from, "table");
	ls->from_query = steps_json_string(from, "query");
	ls->from_file = steps_json_string(from, "file");
	steps_json_strings(spec, "key", &ls->key);
	steps_json_strings(spec, "latest_by", &ls->latest_by);
	steps_json_strings(spec, "consumes", &ls->consumes);
	ls->partition_column = steps_json_string(spec, "partition_column");
}

static void spec_done(struct load_spec *ls)
{
	vec_free(&ls->key);
	vec_free(&ls->latest_by);
	vec_free(&ls->consumes);
}

/* ---- validation -------------------------------------------------------------- */

/* Where the source is read: from.connection, else the step's. */
static const char *source_connection(const struct project_step *s)
{
	const char *c = steps_json_string(cJSON_GetObjectItemCaseSensitive(s->spec, "from"),
					  "connection");
	return c ? c : steps_json_string(s->spec, "connection");
}

static size_t validate_from(const struct project *p, const struct project_step *s,
			    struct diags *d)
{
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(s->spec, "from");
	if (!cJSON_IsObject(from)) {
		step_spec_bad_member(p, s, "from", from, "expected an object { \"connection\", "
				"\"table\" | \"query\" | \"file\" }", d);
		return 1;
	}
	char *path = step_spec_path(s, "from");
	size_t errors = 0;
	int sources = 0;
	const cJSON *item;
	cJSON_ArrayForEach(item, from) {
		const char *k = item->string;
		char *kp = xasprintf("%s.%s", path, k);
		if (strcmp(k, "connection") && strcmp(k, "table") && strcmp(k, "query") &&
		    strcmp(k, "file")) {
			project_diag(p, d, DIAG_ERROR, kp, "unknown key \"%s\" (expected "
				     "connection, table, query or file)", k);
			errors++;
		} else if (!cJSON_IsString(item) || !*item->valuestring) {
			project_diag(p, d, DIAG_ERROR, kp, "expected a non-empty string");
			errors++;
		} else if (strcmp(k, "connection")) {
			sources++;
		}
		free(kp);
	}
	if (sources != 1) {
		project_diag(p, d, DIAG_ERROR, path, "give exactly one of \"table\", "
			     "\"query\" or \"file\"");
		errors++;
	}
	const char *conn = steps_json_string(from, "connection");
	if (conn && !project_connection(p, conn)) {
		char *kp = xasprintf("%s.connection", path);
		project_diag(p, d, DIAG_ERROR, kp, "unknown connection \"%s\"", conn);
		free(kp);
		errors++;
	}
	const char *file = steps_json_string(from, "file");
	if (file) {
		struct err e;
		char *text = step_read_sql_file(p, file, &e);
		if (!text) {
			char *kp = xasprintf("%s.file", path);
			project_diag(p, d, DIAG_ERROR, kp, "%s", e.msg);
			free(kp);
			errors++;
		}
		if (text)
			errors += steps_check_refs(p, NULL, s, "from.file", source_connection(s),
						   text, d);
		free(text);
	}
	const char *query = steps_json_string(from, "query");
	if (query)
		errors += steps_check_refs(p, NULL, s, "from.query", source_connection(s), query,
					   d);
	free(path);
	return errors;
}

static size_t validate_consumes(const struct project *p, const struct project_step *s,
				const char *conn, struct diags *d)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(s->spec, "consumes");
	size_t errors = 0, i = 0;
	const cJSON *item;
	cJSON_ArrayForEach(item, list) {
		char *path = xasprintf("%s.consumes[%zu]", s->path_in_file, i++);
		const struct project_stream *st =
			cJSON_IsString(item) ? project_stream(p, item->valuestring) : NULL;
		if (!cJSON_IsString(item)) {
			project_diag(p, d, DIAG_ERROR, path, "expected a stream name");
			errors++;
		} else if (!st) {
			project_diag(p, d, DIAG_ERROR, path, "unknown stream \"%s\"",
				     item->valuestring);
			errors++;
		} else if (conn && strcmp(st->connection, conn) != 0) {
			project_diag(p, d, DIAG_ERROR, path, "stream %s is on connection %s "
				     "but this load writes to %s: a stream's offset can only "
				     "advance in the load's own transaction, on the same "
				     "connection", st->name, st->connection, conn);
			errors++;
		}
		free(path);
	}
	return errors;
}

/* "latest_by": a column name or a list of them, for a merge, none of them
 * a key column (a key's rows all have the same key). */
static void validate_latest_by(const struct project *p, const struct project_step *s,
			       enum load_mode m, const struct vec *key, struct diags *d)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->spec, "latest_by");
	if (!v)
		return;
	char *path = step_spec_path(s, "latest_by");
	struct vec cols = VEC_INIT;
	spec_strings(p, s, "latest_by", false, &cols, d);
	if (m != LOAD_MERGE)
		project_diag(p, d, DIAG_ERROR, path, "\"latest_by\" applies to mode merge "
			     "only (it picks the latest of a key's source rows)");
	else if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0)
		project_diag(p, d, DIAG_ERROR, path, "expected a column name or a non-empty "
			     "array of them");
	for (size_t i = 0; m == LOAD_MERGE && i < cols.len; i++) {
		const char *c = cols.items[i];
		char *ip = cJSON_IsArray(v) ? xasprintf("%s[%zu]", path, i) : xstrdup(path);
		bool in_key = false;
		for (size_t k = 0; k < key->len && !in_key; k++)
			in_key = strcmp(key->items[k], c) == 0;
		if (!*c)
			project_diag(p, d, DIAG_ERROR, ip, "expected a column name");
		else if (in_key)
			project_diag(p, d, DIAG_ERROR, ip, "%s is a key column: every row of a "
				     "key has the same %s, so it cannot tell which is the latest",
				     c, c);
		free(ip);
	}
	vec_free_all(&cols, free);
	free(path);
}

/* "partition_column": only in a partitioned flow, and not with replace
 * (which empties the whole table anyway). */
static void validate_partition_column(const struct project *p, const struct project_flow *f,
				      const struct project_step *s, enum load_mode m,
				      struct diags *d)
{
	if (!cJSON_GetObjectItemCaseSensitive(s->spec, "partition_column"))
		return;
	const char *col = spec_string(p, s, "partition_column", false, d);
	char *path = step_spec_path(s, "partition_column");
	if (col && !*col)
		project_diag(p, d, DIAG_ERROR, path, "expected a column name");
	else if (col && !f->partition)
		project_diag(p, d, DIAG_ERROR, path, "flow %s has no \"partition\": a load "
			     "replaces a partition's rows only in a partitioned flow's runs",
			     f->name);
	else if (col && m == LOAD_REPLACE)
		project_diag(p, d, DIAG_ERROR, path, "mode replace empties the whole table; "
			     "a partition's rows are replaced with mode append or merge");
	free(path);
}

static size_t load_validate(const struct project *p, const struct project_flow *f,
			    const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "from", "connection", "table", "mode", "key",
					     "latest_by", "consumes", "inputs",
					     "partition_column", NULL };
	size_t before = d->errors;
	spec_unknown_keys(p, s, known, d);
	const char *conn = spec_string(p, s, "connection", true, d);
	spec_string(p, s, "table", true, d);
	validate_from(p, s, d);
	const char *mode = spec_string(p, s, "mode", false, d);
	enum load_mode m = LOAD_APPEND;
	if (mode && !parse_mode(mode, &m)) {
		char *path = step_spec_path(s, "mode");
		project_diag(p, d, DIAG_ERROR, path, "unknown mode \"%s\" (expected append, "
			     "merge or replace)", mode);
		free(path);
	}
	struct vec key = VEC_INIT;
	spec_strings(p, s, "key", false, &key, d);
	if (m == LOAD_MERGE && key.len == 0)
		project_diag(p, d, DIAG_ERROR, s->path_in_file, "mode merge needs \"key\": "
			     "the columns that identify a row");
	validate_latest_by(p, s, m, &key, d);
	validate_partition_column(p, f, s, m, d);
	vec_free_all(&key, free);
	struct vec inputs = VEC_INIT;
	spec_strings(p, s, "inputs", false, &inputs, d);
	vec_free_all(&inputs, free);
	validate_consumes(p, s, conn, d);
	return d->errors - before;
}

/* ---- the source ------------------------------------------------------------------ */

static void source_free(struct source *src)
{
	steps_sql_bound_free(&src->q);
	for (int i = 0; i < src->ncols; i++)
		free(src->names[i]);
	free(src->names);
	free(src->types);
	free(src->guessed);
	memset(src, 0, sizeof *src);
}

static void source_columns(struct source *src, int n)
{
	src->ncols = n;
	src->names = xcalloc((size_t)n + 1, sizeof *src->names);
	src->types = xcalloc((size_t)n + 1, sizeof *src->types);
	src->guessed = xcalloc((size_t)n + 1, sizeof *src->guessed);
}

/* The query text of the source, parameters bound. */
static int source_query(struct step_ctx *ctx, struct db *sdb, const struct load_spec *ls,
			struct source *src, struct err *e)
{
	if (ls->from_table) {
		char *q = db_quote_ident(sdb, ls->from_table);
		src->q.sql = xasprintf("SELECT * FROM %s", q);
		free(q);
		return 0;
	}
	char *text = ls->from_file ? step_read_sql_file(ctx->project, ls->from_file, e)
				   : xstrdup(ls->from_query);
	if (!text)
		return -1;
	/* A trailing ';' would end the subquery it is wrapped in. */
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == ';' || text[n - 1] == ' ' || text[n - 1] == '\n' ||
			 text[n - 1] == '\t' || text[n - 1] == '\r'))
		text[--n] = '\0';
	int rc = steps_bind_sql(ctx, db_kind(sdb), text, &src->q, e);
	if (rc == 0)
		rc = steps_expand_refs(ctx, sdb, ls->from_connection, &src->q, e);
	if (rc < 0)
		err_prefix(e, "%s: ", ls->from_file ? ls->from_file : "from.query");
	free(text);
	return rc;
}

/* Columns and types: declared ones for a table; for a query, what the
 * server says (PostgreSQL) or, on SQLite, declared types where the column
 * comes straight from a table and a guess from the first row elsewhere. */
static int source_shape(struct db *sdb, const struct load_spec *ls, struct source *src,
			struct err *e)
{
	if (ls->from_table) {
		struct db_table *t = db_describe(sdb, ls->from_table, e);
		if (!t)
			return -1;
		source_columns(src, (int)t->ncolumns);
		for (size_t i = 0; i < t->ncolumns; i++) {
			src->names[i] = xstrdup(t->columns[i].name);
			src->types[i] = t->columns[i].type;
		}
		db_table_free(t);
		return 0;
	}
	bool lite = db_kind(sdb) == DB_SQLITE;
	char *sql = xasprintf("SELECT * FROM (%s) AS sluice_source LIMIT %d",
			      src->q.sql, lite ? 1 : 0);
	struct db_cursor *c = db_query(sdb, sql, (const char *const *)src->q.values,
				       src->q.nvalues, e);
	free(sql);
	if (!c)
		return -1;
	int n = db_cursor_ncols(c);
	source_columns(src, n);
	for (int i = 0; i < n; i++) {
		struct db_coltype t = db_cursor_type(c, i);
		src->guessed[i] = lite && t.type == DT_TEXT && t.precision == 0;
	}
	int rc = lite ? db_cursor_next(c, e) : 0;
	for (int i = 0; i < n; i++) {
		src->names[i] = xstrdup(db_cursor_name(c, i));
		src->types[i] = db_cursor_type(c, i);
	}
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

/* ---- moving rows ------------------------------------------------------------------ */

static void column_list(struct buf *b, const struct db *db, const struct source *src,
			const char *prefix)
{
	for (int i = 0; i < src->ncols; i++) {
		char *q = db_quote_ident(db, src->names[i]);
		buf_printf(b, "%s%s%s", i ? ", " : "", prefix ? prefix : "", q);
		free(q);
	}
}

/* INSERT INTO table (cols) SELECT cols FROM (query): one connection. */
static int insert_select(struct db *db, const char *table, const struct source *src,
			 const char *from_sql, const char *const *values, int nvalues,
			 int64_t *rows, struct err *e)
{
	struct buf b = BUF_INIT;
	char *qt = db_quote_ident(db, table);
	buf_printf(&b, "INSERT INTO %s (", qt);
	column_list(&b, db, src, NULL);
	buf_puts(&b, ") SELECT ");
	column_list(&b, db, src, "sluice_source.");
	buf_printf(&b, " FROM (%s) AS sluice_source", from_sql);
	int rc = db_exec(db, buf_str(&b), values, nvalues, rows, e);
	buf_free(&b);
	free(qt);
	return rc;
}

/* Rows from a cursor into a writer, looking at the cancel flag as it goes. */
static int cursor_into_writer(struct step_ctx *ctx, struct db_cursor *c,
			      struct db_writer *w, int64_t *rows, struct err *e)
{
	int rc;
	int64_t n = 0;
	int ncols = db_cursor_ncols(c);
	const char **vals = xcalloc((size_t)ncols + 1, sizeof *vals);
	while ((rc = db_cursor_next(c, e)) == 1) {
		for (int i = 0; i < ncols; i++)
			vals[i] = db_cursor_text(c, i);
		if (db_writer_row(w, vals, e) < 0 ||
		    (++n % CANCEL_CHECK_ROWS == 0 && step_check_cancel(ctx, e) < 0)) {
			rc = -1;
			break;
		}
	}
	free(vals);
	*rows = n;
	return rc;
}

/* The source's rows into `table` on the target connection, which is not
 * the source's. */
static int copy_across(struct step_ctx *ctx, struct db *sdb, struct db *tdb,
		       const char *table, const struct source *src, int64_t *rows,
		       struct err *e)
{
	struct db_writer *w = db_writer_open(tdb, table, (const char *const *)src->names,
					     src->ncols, e);
	if (!w)
		return -1;
	int rc;
	if (db_kind(sdb) == DB_POSTGRES && src->q.nvalues == 0) {
		/* COPY out, lines passed on as they are */
		rc = db_copy_query(sdb, src->q.sql, w, rows, e);
	} else {
		/* SQLite, or a PostgreSQL query with parameters (COPY takes
		 * none): a streaming cursor */
		struct db_cursor *c = db_query(sdb, src->q.sql,
					       (const char *const *)src->q.values,
					       src->q.nvalues, e);
		rc = c ? cursor_into_writer(ctx, c, w, rows, e) : -1;
		db_cursor_close(c);
	}
	if (rc < 0) {
		db_writer_abort(w);
		return -1;
	}
	return db_writer_close(w, NULL, e);
}

/* How a load's rows travel: inside the database when the source's query
 * can run on the target's connection, else out of the source and into the
 * target through sluice. */
enum load_path { PATH_IN_DATABASE, PATH_COPY, PATH_ROWS };

/* The path for this source and target.  Two connections that reach one
 * database (db_same_database) take the in-database path as one connection
 * does: the rows never leave the server.  Asked before the target's
 * transaction begins (PostgreSQL's answer reads pg_stat_activity, which a
 * transaction sees once).  When the probe itself fails, the rows are
 * copied: that path works whatever the answer would have been. */
static enum load_path choose_path(struct step_ctx *ctx, struct db *sdb, struct db *tdb,
				  const struct source *src)
{
	char *why = NULL;
	struct err pe;
	int same = db_same_database(sdb, tdb, &why, &pe);
	enum load_path path = PATH_IN_DATABASE;
	if (same != 1)
		path = db_kind(sdb) == DB_POSTGRES && src->q.nvalues == 0 ? PATH_COPY
									  : PATH_ROWS;
	if (same < 0)
		step_log(ctx, LOG_WARN, NULL, "cannot tell whether %s and %s are one database "
			 "(%s): the rows are copied between them", db_label(sdb), db_label(tdb),
			 err_text(&pe));
	else if (same == 0 && db_kind(sdb) == db_kind(tdb))
		step_log(ctx, LOG_DEBUG, NULL, "rows copied from %s to %s: %s", db_label(sdb),
			 db_label(tdb), why);
	free(why);
	return path;
}

/* What the path was, for the step's summary and log. */
static char *path_note(enum load_path path, const struct db *sdb)
{
	if (path == PATH_IN_DATABASE)
		return xstrdup("in the database (INSERT ... SELECT)");
	return xasprintf("copied from %s (%s)", db_label(sdb),
			 path == PATH_COPY ? "COPY" : "row by row");
}

/* The source's rows into `table` along `path`. */
static int move_rows(struct step_ctx *ctx, struct db *sdb, struct db *tdb,
		     enum load_path path, const char *table, const struct source *src,
		     int64_t *rows, struct err *e)
{
	if (path == PATH_IN_DATABASE)
		return insert_select(tdb, table, src, src->q.sql,
				     (const char *const *)src->q.values, src->q.nvalues,
				     rows, e);
	return copy_across(ctx, sdb, tdb, table, src, rows, e);
}

static int empty_table(struct db *db, const char *table, struct err *e)
{
	char *qt = db_quote_ident(db, table);
	char *sql = xasprintf(db_kind(db) == DB_POSTGRES ? "TRUNCATE %s" : "DELETE FROM %s",
			      qt);
	int rc = db_exec(db, sql, NULL, 0, NULL, e);
	free(sql);
	free(qt);
	return rc;
}

/* What a source is called in messages. */
static const char *source_name(const struct load_spec *ls)
{
	return ls->from_table ? ls->from_table : ls->from_file ? ls->from_file : "from.query";
}

/* One load in progress: the step, its spec, its source's rows and where
 * they go (`target`: the table, or TABLE_backfill). */
struct load_job {
	struct step_ctx *ctx;
	const struct load_spec *ls;
	struct db *sdb, *tdb;
	enum load_path path;
	const char *target;
	const struct source *src;
};

/* The source's columns as a table's (names borrowed); caller frees. */
static struct db_column *source_column_defs(const struct source *src)
{
	struct db_column *cols = xcalloc((size_t)src->ncols + 1, sizeof *cols);
	for (int i = 0; i < src->ncols; i++) {
		cols[i].name = src->names[i];
		cols[i].type = src->types[i];
	}
	return cols;
}

/* The scratch table a load stages its rows in, named after the control
 * store, the run and the step: run ids start at 1 in every store, and two
 * projects loading into one warehouse must not meet in one stage. */
static int stage_create(const struct load_job *j, struct merge *m, struct err *e)
{
	const char *store = j->ctx->store ? store_id(j->ctx->store) : NULL;
	char *seed = xasprintf("%s:%lld:%s", store ? store : "", (long long)j->ctx->run_id,
			       j->ctx->step->name);
	int rc = step_merge_stage(m, seed, e);
	free(seed);
	return rc;
}

/* Replace inside the database: the source's rows into a scratch table
 * first, then the target emptied and filled from it.  Emptying first, as
 * the copy path does, would let a source that reads the target itself (a
 * query keeping some of its rows) find it empty inside the transaction and
 * replace the table with nothing. */
static int replace_in_database(const struct load_job *j, int64_t *rows, struct err *e)
{
	const struct source *src = j->src;
	struct db *tdb = j->tdb;
	struct db_column *cols = source_column_defs(src);
	struct merge m = { .db = tdb, .table = j->target, .cols = cols, .ncols = src->ncols };
	int64_t staged = 0;
	int rc = stage_create(j, &m, e);
	if (rc == 0)
		rc = insert_select(tdb, m.stage, src, src->q.sql,
				   (const char *const *)src->q.values, src->q.nvalues, &staged, e);
	if (rc == 0)
		rc = empty_table(tdb, j->target, e);
	if (rc == 0) {
		char *qs = db_quote_ident(tdb, m.stage);
		char *from = xasprintf("SELECT * FROM %s", qs);
		rc = insert_select(tdb, j->target, src, from, NULL, 0, rows, e);
		free(from);
		free(qs);
	}
	if (rc == 0)
		rc = db_drop_table(tdb, m.stage, false, e);
	free(cols);
	return rc;
}

/* Merge: stage the source's rows beside the target, then merge.c. */
static int merge_rows(const struct load_job *j, struct merge *m, struct err *e)
{
	struct step_ctx *ctx = j->ctx;
	struct db *sdb = j->sdb, *tdb = j->tdb;
	const char *table = j->target;
	const struct load_spec *ls = j->ls;
	const struct source *src = j->src;
	struct db_column *cols = source_column_defs(src);
	*m = (struct merge){
		.db = tdb, .table = table, .source_name = source_name(ls),
		.cols = cols, .ncols = src->ncols,
		.key = (const char *const *)ls->key.items, .nkey = (int)ls->key.len,
		.latest_by = (const char *const *)ls->latest_by.items,
		.nlatest = (int)ls->latest_by.len,
	};
	int rc = stage_create(j, m, e);
	if (rc == 0)
		rc = move_rows(ctx, sdb, tdb, j->path, m->stage, src, &m->staged, e);
	if (rc == 0)
		rc = step_check_cancel(ctx, e);
	if (rc == 0)
		rc = step_merge_apply(m, e);
	free(cols);
	m->cols = NULL;
	return rc;
}

/* ---- a query into a table (also for extract's staging tables) ------------------------ */

int step_load_query_into(struct step_ctx *ctx, const struct load_query *q,
			 const struct load_into *li, struct vec *changes, int64_t *rows,
			 struct err *e)
{
	struct db *sdb = q->db, *tdb = li->db;
	struct source src;
	memset(&src, 0, sizeof src);
	src.q.sql = xstrdup(q->sql);
	src.q.nvalues = q->nparams;
	src.q.values = xcalloc((size_t)q->nparams + 1, sizeof *src.q.values);
	for (int i = 0; i < q->nparams; i++)
		src.q.values[i] = xstrdup(q->params[i]);
	struct load_spec ls;
	memset(&ls, 0, sizeof ls);
	int rc = source_shape(sdb, &ls, &src, e);
	struct drift_source ds = { (const char *const *)src.names, src.types,
				   src.guessed, src.ncols };
	bool created = false;
	if (rc == 0)
		rc = step_drift_apply(ctx, &(struct drift_target){ tdb, li->connection, li->table,
							       li->key, li->nkey },
				      &ds, changes, &created, e);
	if (rc == 0 && li->replace && !created)
		rc = empty_table(tdb, li->table, e);
	if (rc == 0)
		rc = move_rows(ctx, sdb, tdb, choose_path(ctx, sdb, tdb, &src), li->table, &src,
			       rows, e);
	source_free(&src);
	return rc;
}

/* ---- the step ------------------------------------------------------------------------ */

/* Fix the window of every consumed stream before reading, so the offset
 * moves to what this run could see and no further. */
static int fix_streams(struct step_ctx *ctx, const struct load_spec *ls, struct err *e)
{
	if (ctx->backfill || ls->consumes.len == 0)
		return 0;
	for (size_t i = 0; i < ls->consumes.len; i++) {
		const struct project_stream *st = project_stream(ctx->project,
								 ls->consumes.items[i]);
		if (!st)
			return err_set(e, ERR_NOTFOUND, "no stream named %s",
				       (const char *)ls->consumes.items[i]);
		struct stream_reader r = steps_stream_reader(ctx);
		if (stream_fix_window(&r, st, NULL, e) < 0)
			return -1;
	}
	return 0;
}

static int source_column(const struct source *src, const char *name)
{
	for (int i = 0; i < src->ncols; i++)
		if (strcmp(src->names[i], name) == 0)
			return i;
	return -1;
}

/* A consumed default-mode stream whose window holds deleted rows: only a
 * source that carries them (the action column of {{stream:NAME}}) into a
 * merge (which deletes their keys) or an append (which keeps them as rows
 * of a change log) may consume it; anything else would move the offset
 * past deletes that reached nothing. */
static int refuse_lost_deletes(struct step_ctx *ctx, const struct load_spec *ls,
			       const struct source *src, struct err *e)
{
	if (ctx->backfill)
		return 0;
	bool carried = source_column(src, STREAM_ACTION) >= 0 && ls->mode != LOAD_REPLACE;
	struct stream_reader r = steps_stream_reader(ctx);
	for (size_t i = 0; !carried && i < ls->consumes.len; i++) {
		const struct project_stream *st = project_stream(ctx->project,
								 ls->consumes.items[i]);
		int64_t n = 0;
		if (st && stream_window_deletes(&r, st, &n, e) < 0)
			return -1;
		if (n > 0)
			return err_set(e, ERR_INVALID, "stream %s: this run's window holds %lld "
				       "deleted row%s, and this load's source has no "
				       STREAM_ACTION " column to carry them%s, so consuming "
				       "the stream would lose them; select %s from "
				       "{{stream:%s}} in a merge load (which deletes their keys "
				       "from the target) or an append load", st->name,
				       (long long)n, n == 1 ? "" : "s",
				       ls->mode == LOAD_REPLACE ? " (a replace load cannot)" : "",
				       STREAM_ACTION, st->name);
	}
	return 0;
}

static int commit_streams(struct step_ctx *ctx, struct db *tdb, const struct load_spec *ls,
			  struct err *e)
{
	if (ctx->backfill || ls->consumes.len == 0)
		return 0;
	struct stream_reader r = steps_stream_reader(ctx);
	for (size_t i = 0; i < ls->consumes.len; i++)
		if (stream_commit_consumed(&r, tdb, ls->consumes.items[i], e) < 0)
			return -1;
	return 0;
}

/* ---- replacing a partition ------------------------------------------------------------ */

/* The partition a run replaces: the target's column and the range of its
 * values (the partition's first value and the next partition's), compared
 * as text, as the backfill's per-partition counts compare them, so that a
 * date and a timestamp column behave alike on both dialects. */
struct part_range {
	const char *column;
	char key[PARTITION_KEY_MAX], lo[PARTITION_KEY_MAX], hi[PARTITION_KEY_MAX];
	int64_t deleted;
};

/* Does this run replace a partition?  Only a load that names its column,
 * in a run whose partition parameter names a partition. */
static bool partition_range(const struct step_ctx *ctx, const struct load_spec *ls,
			    struct part_range *r)
{
	const struct project_partition *pt = ctx->flow ? ctx->flow->partition : NULL;
	memset(r, 0, sizeof *r);
	if (!ls->partition_column || !pt)
		return false;
	const char *value = NULL;
	for (size_t i = 0; i < ctx->nparams; i++)
		if (str_eq(ctx->params[i].key, pt->param))
			value = ctx->params[i].value;
	usec_t start;
	if (!value || !partition_floor(pt, value, &start))
		return false;
	r->column = ls->partition_column;
	partition_key(pt, start, r->key);
	partition_value(pt, start, r->lo);
	partition_value(pt, partition_next(pt, start), r->hi);
	return true;
}

/* "sluice.json:12:34" of the step's partition_column, for errors. */
static void partition_column_where(const struct step_ctx *ctx, struct err *e)
{
	char *path = step_spec_path(ctx->step, "partition_column");
	project_where(ctx->project, path, e->where, sizeof e->where);
	free(path);
}

char *steps_partition_condition(struct db *db, const char *column)
{
	char *qc = db_quote_ident(db, column);
	char *cond = xasprintf("CAST(%s AS TEXT) >= $1 AND CAST(%s AS TEXT) < $2", qc, qc);
	free(qc);
	return cond;
}

int steps_partition_rows(struct db *db, const char *table, const char *column,
			 const char *lo, const char *hi, int64_t *rows, struct err *e)
{
	char *qt = db_quote_ident(db, table);
	char *cond = steps_partition_condition(db, column);
	char *sql = xasprintf("SELECT count(*) FROM %s WHERE %s", qt, cond);
	const char *params[] = { lo, hi };
	*rows = 0;
	int rc = db_query_int(db, sql, params, 2, rows, e);
	free(sql);
	free(cond);
	free(qt);
	return rc;
}

/* Inside the load's transaction, before the rows: the partition's rows go. */
static int partition_delete(const struct load_job *j, struct part_range *r, struct err *e)
{
	struct db *tdb = j->tdb;
	int has = db_column_exists(tdb, j->target, r->column, e);
	if (has < 0)
		return -1;
	if (!has) {
		err_set(e, ERR_INVALID, "partition_column: table %s has no column \"%s\" to "
			"replace partition %s by", j->target, r->column, r->key);
		partition_column_where(j->ctx, e);
		return -1;
	}
	char *qt = db_quote_ident(tdb, j->target);
	int rc = 0;
	/* Before the first write: a merge takes this lock later, and two loads
	 * holding ROW EXCLUSIVE from their deletes would deadlock upgrading. */
	if (db_kind(tdb) == DB_POSTGRES) {
		char *lock = xasprintf("LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE", qt);
		rc = db_exec(tdb, lock, NULL, 0, NULL, e);
		free(lock);
	}
	char *cond = steps_partition_condition(tdb, r->column);
	char *sql = xasprintf("DELETE FROM %s WHERE %s", qt, cond);
	const char *params[] = { r->lo, r->hi };
	if (rc == 0)
		rc = db_exec(tdb, sql, params, 2, &r->deleted, e);
	free(sql);
	free(cond);
	free(qt);
	return rc;
}

/* After the rows: every row the load wrote must be in the partition (the
 * range was emptied, so it holds exactly the rows written). */
static int partition_check(const struct load_job *j, const struct part_range *r,
			   int64_t written, struct err *e)
{
	int64_t inside = 0;
	if (steps_partition_rows(j->tdb, j->target, r->column, r->lo, r->hi, &inside, e) < 0)
		return -1;
	if (inside >= written)
		return 0;
	err_set(e, ERR_INVALID, "%lld of the %lld rows loaded have a %s outside partition %s "
		"(from %s to before %s): a partition's run may load only its own partition's "
		"rows; filter the source by the partition's parameter",
		(long long)(written - inside), (long long)written, r->column, r->key, r->lo,
		r->hi);
	partition_column_where(j->ctx, e);
	return -1;
}

/* Inside the open transaction: shape the target, move the rows, advance
 * the streams, write the ledger. */
static int load_in_transaction(const struct load_job *j, struct vec *changes,
			       struct merge *merged, struct part_range *part, struct err *e)
{
	struct step_ctx *ctx = j->ctx;
	struct db *sdb = j->sdb, *tdb = j->tdb;
	const struct load_spec *ls = j->ls;
	const char *target = j->target;
	const struct source *src = j->src;
	struct drift_source ds = { (const char *const *)src->names, src->types,
				   src->guessed, src->ncols };
	/* A merge applies a stream's action column; the target does not get it. */
	int action = ls->mode == LOAD_MERGE ? source_column(src, STREAM_ACTION) : -1;
	char **names = NULL;
	struct db_coltype *types = NULL;
	bool *guessed = NULL;
	if (action >= 0) {
		names = xcalloc((size_t)src->ncols, sizeof *names);
		types = xcalloc((size_t)src->ncols, sizeof *types);
		guessed = xcalloc((size_t)src->ncols, sizeof *guessed);
		int k = 0;
		for (int i = 0; i < src->ncols; i++) {
			if (i == action)
				continue;
			names[k] = src->names[i];
			types[k] = src->types[i];
			guessed[k++] = src->guessed[i];
		}
		ds = (struct drift_source){ (const char *const *)names, types, guessed, k };
	}
	struct drift_target to = { tdb, ls->connection, target,
				   (const char *const *)ls->key.items, (int)ls->key.len };
	bool created = false;
	int drifted = step_drift_apply(ctx, &to, &ds, changes, &created, e);
	free(names);
	free(types);
	free(guessed);
	if (drifted < 0)
		return -1;
	int64_t rows = 0;
	int rc = 0;
	bool staged_replace = ls->mode == LOAD_REPLACE && !created &&
			      j->path == PATH_IN_DATABASE;
	if (ls->mode == LOAD_REPLACE && !created && !staged_replace)
		rc = empty_table(tdb, target, e);
	if (rc == 0 && part->column)
		rc = partition_delete(j, part, e);   /* never with replace: validated */
	if (staged_replace) {
		rc = replace_in_database(j, &rows, e);
		ctx->rows_in = rows;
	} else if (rc == 0 && ls->mode == LOAD_MERGE) {
		rc = merge_rows(j, merged, e);
		rows = merged->updated + merged->inserted;
		ctx->rows_in = merged->staged;
	} else if (rc == 0) {
		rc = move_rows(ctx, sdb, tdb, j->path, target, src, &rows, e);
		ctx->rows_in = rows;
	}
	if (rc == 0 && part->column)
		rc = partition_check(j, part, ls->mode == LOAD_MERGE
				     ? merged->staged - merged->superseded - merged->deleted : rows,
				     e);
	if (rc < 0)
		return -1;
	ctx->rows_out = rows;
	ctx->rows_deleted = part->deleted;
	if (step_check_cancel(ctx, e) < 0 || commit_streams(ctx, tdb, ls, e) < 0)
		return -1;
	return step_ledger_put(ctx, tdb, NULL, rows, rows, target, e);
}

/* "merged 120 rows into t: 3 updated, 2 inserted, 115 unchanged", the
 * rows latest_by passed over and how the source's rows were staged. */
static void merge_summary(struct step_ctx *ctx, const char *target, const struct merge *m,
			  const char *note)
{
	int64_t taken = m->staged - m->superseded;
	int64_t unchanged = taken - m->updated - m->inserted;
	char older[96] = "";
	if (m->superseded > 0)
		snprintf(older, sizeof older, "; %lld older row%s of a key passed over",
			 (long long)m->superseded, m->superseded == 1 ? "" : "s");
	char deleted[64] = "";
	if (m->deleted > 0)
		snprintf(deleted, sizeof deleted, "; %lld deleted", (long long)m->deleted);
	step_summary(ctx, "merged %lld rows into %s: %lld updated, %lld inserted, %lld "
		     "unchanged%s%s; %s", (long long)taken, target, (long long)m->updated,
		     (long long)m->inserted, (long long)(unchanged > 0 ? unchanged : 0), older,
		     deleted, note);
}

static const char *mode_name(enum load_mode m)
{
	return m == LOAD_MERGE ? "merged" : m == LOAD_REPLACE ? "replaced with" : "appended";
}

static int load_run(struct step_ctx *ctx, struct err *e)
{
	struct load_spec ls;
	spec_read(ctx->step->spec, &ls);
	struct source src;
	memset(&src, 0, sizeof src);
	struct vec changes = VEC_INIT;
	char *target = step_target_table(ctx, ls.table);
	int rc = -1;
	struct db *tdb = step_db(ctx, ls.connection, e);
	struct db *sdb = tdb ? step_db(ctx, ls.from_connection, e) : NULL;
	if (!sdb)
		goto out;
	rc = step_ledger_done(ctx, tdb, NULL, e);
	if (rc != 0) {
		if (rc == 1)
			step_summary(ctx, "already committed by an earlier attempt (%lld rows)",
				     (long long)ctx->rows_out);
		rc = rc < 0 ? -1 : 0;
		goto out;
	}
	rc = -1;
	if (fix_streams(ctx, &ls, e) < 0 || source_query(ctx, sdb, &ls, &src, e) < 0 ||
	    source_shape(sdb, &ls, &src, e) < 0 || refuse_lost_deletes(ctx, &ls, &src, e) < 0)
		goto out;
	enum load_path path = choose_path(ctx, sdb, tdb, &src);
	if (step_check_cancel(ctx, e) < 0 || db_begin(tdb, e) < 0)
		goto out;
	struct merge merged;
	memset(&merged, 0, sizeof merged);
	struct load_job job = { ctx, &ls, sdb, tdb, path, target, &src };
	struct part_range part;
	partition_range(ctx, &ls, &part);
	rc = load_in_transaction(&job, &changes, &merged, &part, e);
	rc = step_end_transaction(ctx, tdb, rc, e);
	if (rc < 0) {
		ctx->rows_in = ctx->rows_out = ctx->rows_deleted = 0;
		err_prefix(e, "loading %s: ", target);
		goto out;
	}
	rc = step_drift_commit(ctx, &changes, e);
	char *how = path_note(path, sdb);
	char *note = part.column ? xasprintf("%s; partition %s replaced: %lld row%s deleted "
					     "first", how, part.key, (long long)part.deleted,
					     part.deleted == 1 ? "" : "s")
				 : xstrdup(how);
	free(how);
	if (ls.mode == LOAD_MERGE)
		merge_summary(ctx, target, &merged, note);
	else
		step_summary(ctx, "%s %lld rows %s %s; %s", mode_name(ls.mode),
			     (long long)ctx->rows_out, ls.mode == LOAD_REPLACE ? "in" : "to",
			     target, note);
	free(note);
out:
	step_drift_changes_free(&changes);
	source_free(&src);
	free(target);
	spec_done(&ls);
	return rc;
}

static int load_cache_inputs(struct step_ctx *ctx, struct buf *key, struct err *e)
{
	struct load_spec ls;
	spec_read(ctx->step->spec, &ls);
	struct vec inputs = VEC_INIT;
	steps_json_strings(ctx->step->spec, "inputs", &inputs);
	struct source src;
	memset(&src, 0, sizeof src);
	int rc = -1;
	struct db *sdb = step_db(ctx, ls.from_connection, e);
	if (!sdb)
		goto out;
	if (inputs.len == 0 && ls.from_table)
		vec_push(&inputs, (void *)ls.from_table);
	/* a {{stream:NAME}} window is an input whatever else is */
	if (ls.from_query && steps_cache_streams(ctx, ls.from_query, key, e) < 0)
		goto out;
	if (inputs.len) {
		rc = steps_cache_tables(ctx, sdb, &inputs, key, e);
		goto out;
	}
	if (source_query(ctx, sdb, &ls, &src, e) < 0)
		goto out;
	char *sql = xasprintf("SELECT count(*) FROM (%s) AS sluice_source", src.q.sql);
	int64_t n = 0;
	rc = db_query_int(sdb, sql, (const char *const *)src.q.values, src.q.nvalues, &n, e);
	free(sql);
	if (rc >= 0) {
		buf_printf(key, "source rows %lld\n", (long long)n);
		rc = 0;
	}
	if (ls.from_file) {
		char *text = step_read_sql_file(ctx->project, ls.from_file, e);
		if (!text) {
			rc = -1;
			goto out;
		}
		char hex[65];
		sha256_hex_of(text, strlen(text), hex);
		buf_printf(key, "file %s\n", hex);
		if (steps_cache_streams(ctx, text, key, e) < 0)
			rc = -1;
		free(text);
	}
out:
	source_free(&src);
	vec_free(&inputs);
	spec_done(&ls);
	return rc;
}

const struct step_ops step_load_ops = {
	.kind = STEP_LOAD,
	.validate = load_validate,
	.run = load_run,
	.cache_inputs = load_cache_inputs,
};
