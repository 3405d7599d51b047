/*
 * normalize.c - the `normalize` step: JSON documents with nested arrays
 * into rows (an order with its products into order items).
 *
 *   { "kind": "normalize", "connection": "warehouse",
 *     "from": { "stream": "orders_stream" }, "document": "doc",
 *     "columns": [ { "name": "order_id", "path": "order_id", "type": "integer" },
 *                  { "name": "sku", "path": "products[].sku", "type": "text" } ],
 *     "into": "stg_order_items", "mode": "replace" }
 *
 * `from` is a stream (this run's window of it: stream.c), a table or a
 * query, on the step's connection unless it names its own.  Each source
 * row gives one document: the `document` column parsed as JSON, or, without
 * `document`, an object made of the row's columns.  A default-mode
 * stream's window also gives its deleted rows (stream.c's delete log):
 * their documents are normalized like the others, and every row gets the
 * document's STREAM_ACTION in a column of that name, so a merge load of
 * `into` deletes the rows a deleted document had made.  format/'s normalizer
 * turns each document into rows, which go into `into` (created and grown
 * as the columns say; emptied first unless "mode": "append") in one
 * transaction with the ledger entry store:STORE:run:ID:step:NAME.
 *
 * The source is read to the end into a spool file before the transaction
 * starts, so source and target may be the same PostgreSQL connection (which
 * carries one statement at a time) and memory stays bounded.  An error
 * names the document (its _sluice_file and _sluice_line when the source has
 * them) and the path, and nothing is written.
 */
#include "steps/steps_int.h"
#include "format/format.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NO_TEXT UINT32_MAX

struct norm_spec {
	const char *connection;
	const char *stream, *table, *query, *from_connection;
	const char *document;
	const char *into;
	bool append;
	struct fmt_norm_column *cols;
	struct db_coltype *types;
	size_t ncols;
};

static void spec_free(struct norm_spec *ns)
{
	free(ns->cols);
	free(ns->types);
	memset(ns, 0, sizeof *ns);
}

/* Read the step's keys (validated before).  ERR_INVALID names what is off. */
static int spec_read(const struct project_step *s, struct norm_spec *ns, struct err *e)
{
	memset(ns, 0, sizeof *ns);
	const cJSON *spec = s->spec;
	ns->connection = steps_json_string(spec, "connection");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(spec, "from");
	ns->stream = steps_json_string(from, "stream");
	ns->table = steps_json_string(from, "table");
	ns->query = steps_json_string(from, "query");
	ns->from_connection = steps_json_string(from, "connection");
	ns->document = steps_json_string(spec, "document");
	ns->into = steps_json_string(spec, "into");
	const char *mode = steps_json_string(spec, "mode");
	ns->append = mode && strcmp(mode, "append") == 0;
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(spec, "columns");
	int n = cJSON_GetArraySize(cols);
	if (!ns->connection || !ns->into || n <= 0 ||
	    !!ns->stream + !!ns->table + !!ns->query != 1)
		return err_at(e, ERR_INVALID, s->path_in_file, "normalize step %s: needs "
			      "connection, into, columns and one of from.stream, from.table, "
			      "from.query", s->name);
	ns->cols = xcalloc((size_t)n, sizeof *ns->cols);
	ns->types = xcalloc((size_t)n, sizeof *ns->types);
	for (int i = 0; i < n; i++) {
		const cJSON *c = cJSON_GetArrayItem(cols, i);
		const char *type = steps_json_string(c, "type");
		struct fmt_norm_column *nc = &ns->cols[ns->ncols];
		nc->name = steps_json_string(c, "name");
		nc->path = steps_json_string(c, "path");
		ns->types[ns->ncols] = (struct db_coltype){ DT_TEXT, 0, 0 };
		if (!nc->name || !nc->path ||
		    (type && !db_type_parse(type, &ns->types[ns->ncols])))
			return err_at(e, ERR_INVALID, s->path_in_file, "normalize step %s: "
				      "columns[%d] needs a name, a path and a known type",
				      s->name, i);
		nc->type = pipes_fmt_type(ns->types[ns->ncols]);
		ns->ncols++;
	}
	return 0;
}

/* ---- validation -------------------------------------------------------------- */

static size_t validate_from(const struct project *p, const struct project_step *s,
			    struct diags *d)
{
	static const char *const known[] = { "stream", "table", "query", "connection", NULL };
	char *path = spec_path_key(s->path_in_file, "from");
	const cJSON *from = spec_at_object(p, s->spec, s->path_in_file, "from", true, d);
	size_t before = d->errors;
	if (from) {
		spec_at_unknown_keys(p, from, path, known, d);
		const char *stream = spec_at_string(p, from, path, "stream", false, d);
		const char *table = spec_at_string(p, from, path, "table", false, d);
		const char *query = spec_at_string(p, from, path, "query", false, d);
		const char *conn = spec_at_string(p, from, path, "connection", false, d);
		if (!!stream + !!table + !!query != 1)
			project_diag(p, d, DIAG_ERROR, path, "give exactly one of \"stream\", "
				     "\"table\" or \"query\"");
		if (stream && !project_stream(p, stream)) {
			char *sp = spec_path_key(path, "stream");
			project_diag(p, d, DIAG_ERROR, sp, "no stream named \"%s\"", stream);
			free(sp);
		}
		if (stream && conn) {
			char *cp = spec_path_key(path, "connection");
			project_diag(p, d, DIAG_ERROR, cp, "a stream is read on its own "
				     "connection; leave \"connection\" out");
			free(cp);
		}
		if (conn && !project_connection(p, conn)) {
			char *cp = spec_path_key(path, "connection");
			project_diag(p, d, DIAG_ERROR, cp, "no connection named \"%s\"", conn);
			free(cp);
		}
	}
	free(path);
	return d->errors - before;
}

static void validate_columns(const struct project *p, const struct project_step *s,
			     struct diags *d)
{
	static const char *const known[] = { "name", "path", "type", NULL };
	const cJSON *cols = spec_at_array(p, s->spec, s->path_in_file, "columns", true, d);
	if (!cols)
		return;
	char *path = spec_path_key(s->path_in_file, "columns");
	int n = cJSON_GetArraySize(cols);
	if (n == 0)
		project_diag(p, d, DIAG_ERROR, path, "declare at least one column");
	struct fmt_norm_column *nc = xcalloc((size_t)n + 1, sizeof *nc);
	size_t good = 0;
	for (int i = 0; i < n; i++) {
		const cJSON *c = cJSON_GetArrayItem(cols, i);
		char *ip = spec_path_index(path, (size_t)i);
		if (!cJSON_IsObject(c)) {
			project_diag(p, d, DIAG_ERROR, ip, "expected an object { \"name\", "
				     "\"path\", \"type\" }");
			free(ip);
			continue;
		}
		spec_at_unknown_keys(p, c, ip, known, d);
		const char *name = spec_at_string(p, c, ip, "name", true, d);
		const char *cpath = spec_at_string(p, c, ip, "path", true, d);
		if (name) {
			char *np = spec_path_key(ip, "name");
			project_check_pg_name(p, d, steps_json_string(s->spec, "connection"), np,
					      "column", name);
			free(np);
		}
		const char *type = spec_at_string(p, c, ip, "type", false, d);
		struct db_coltype t;
		if (type && !db_type_parse(type, &t)) {
			char *tp = spec_path_key(ip, "type");
			project_diag(p, d, DIAG_ERROR, tp, "unknown type \"%s\"", type);
			free(tp);
		}
		if (name && cpath) {
			nc[good].name = name;
			nc[good].path = cpath;
			nc[good].type = FT_TEXT;
			/* each path alone first, so a bad one is reported at itself */
			struct err pe;
			err_clear(&pe);
			struct fmt_norm *one = fmt_norm_new(&nc[good], 1, &pe);
			if (one) {
				good++;
			} else {
				char *pp = spec_path_key(ip, "path");
				project_diag(p, d, DIAG_ERROR, pp, "%s", pe.msg);
				free(pp);
			}
			fmt_norm_free(one);
		}
		free(ip);
	}
	struct err e;
	err_clear(&e);
	struct fmt_norm *norm = good == (size_t)n && n > 0 ? fmt_norm_new(nc, good, &e) : NULL;
	if (good == (size_t)n && n > 0 && !norm)
		project_diag(p, d, DIAG_ERROR, path, "%s", e.msg);
	fmt_norm_free(norm);
	free(nc);
	free(path);
}

/* Rows of a default-mode stream carry their document's action; appended
 * run after run, a merge of `into` would delete a key and put it back from
 * an earlier run's INSERT row. */
static void warn_appended_deletes(const struct project *p, const struct project_step *s,
				  const char *mode, struct diags *d)
{
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(s->spec, "from");
	const char *name = steps_json_string(from, "stream");
	const struct project_stream *st = name ? project_stream(p, name) : NULL;
	if (!st || st->mode != STREAM_DEFAULT || !mode || strcmp(mode, "append") != 0)
		return;
	char *mp = spec_path_key(s->path_in_file, "mode");
	project_diag(p, d, DIAG_WARNING, mp, "stream %s is in default mode, so its deleted "
		     "rows come as " STREAM_ACTION " 'DELETE' rows; appended run after run, a "
		     "merge of the table would delete a key and put it back from an earlier "
		     "run's row: leave mode as \"replace\"", name);
	free(mp);
}

static size_t normalize_validate(const struct project *p, const struct project_flow *f,
				 const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "connection", "from", "document", "columns",
					     "into", "mode", "outer", NULL };
	(void)f;
	size_t before = d->errors;
	spec_unknown_keys(p, s, known, d);
	const char *conn = spec_string(p, s, "connection", true, d);
	if (conn && !project_connection(p, conn)) {
		char *cp = spec_path_key(s->path_in_file, "connection");
		project_diag(p, d, DIAG_ERROR, cp, "no connection named \"%s\"", conn);
		free(cp);
	}
	validate_from(p, s, d);
	spec_string(p, s, "document", false, d);
	spec_string(p, s, "into", true, d);
	const char *mode = spec_string(p, s, "mode", false, d);
	if (mode && strcmp(mode, "replace") != 0 && strcmp(mode, "append") != 0) {
		char *mp = spec_path_key(s->path_in_file, "mode");
		project_diag(p, d, DIAG_ERROR, mp, "mode is \"replace\" (the default) or "
			     "\"append\", not \"%s\"", mode);
		free(mp);
	}
	warn_appended_deletes(p, s, mode, d);
	spec_bool(p, s, "outer", false, d);
	validate_columns(p, s, d);
	return d->errors - before;
}

/* ---- the spool --------------------------------------------------------------------
 * Records of (file, line, document, action), each text length-prefixed
 * (NO_TEXT for NULL), in an unnamed temporary file. */

struct spool {
	FILE *fp;
	int64_t docs;
};

static int spool_text(struct spool *sp, const char *s, size_t len)
{
	uint32_t n = s ? (uint32_t)len : NO_TEXT;
	if (fwrite(&n, sizeof n, 1, sp->fp) != 1 || (s && len && fwrite(s, 1, len, sp->fp) != len))
		return -1;
	return 0;
}

static int spool_put(struct spool *sp, const char *file, int64_t line, const char *doc,
		     size_t len, const char *action, struct err *e)
{
	if (len >= NO_TEXT)
		return err_set(e, ERR_INVALID, "a document of %zu bytes is too large", len);
	if (spool_text(sp, file, file ? strlen(file) : 0) < 0 ||
	    fwrite(&line, sizeof line, 1, sp->fp) != 1 || spool_text(sp, doc, len) < 0 ||
	    spool_text(sp, action, action ? strlen(action) : 0) < 0)
		return err_set(e, ERR_IO, "writing the spool file: %s", strerror(errno));
	sp->docs++;
	return 0;
}

static int spool_read_text(struct spool *sp, struct buf *b, bool *null)
{
	uint32_t n;
	if (fread(&n, sizeof n, 1, sp->fp) != 1)
		return -1;
	buf_reset(b);
	*null = n == NO_TEXT;
	if (*null)
		return 0;
	buf_reserve(b, (size_t)n + 1);
	if (n && fread(b->data, 1, n, sp->fp) != n)
		return -1;
	b->len = n;
	b->data[n] = '\0';
	return 0;
}

/* A record read back. */
struct spooled {
	struct buf file, doc, action;
	bool file_null, doc_null, action_null;
	int64_t line;
};

static void spooled_free(struct spooled *r)
{
	buf_free(&r->file);
	buf_free(&r->doc);
	buf_free(&r->action);
}

/* 1 a record, 0 the end, -1 error. */
static int spool_get(struct spool *sp, struct spooled *r, struct err *e)
{
	int c = fgetc(sp->fp);
	if (c == EOF)
		return 0;
	ungetc(c, sp->fp);
	if (spool_read_text(sp, &r->file, &r->file_null) < 0 ||
	    fread(&r->line, sizeof r->line, 1, sp->fp) != 1 ||
	    spool_read_text(sp, &r->doc, &r->doc_null) < 0 ||
	    spool_read_text(sp, &r->action, &r->action_null) < 0)
		return err_set(e, ERR_IO, "reading the spool file back: %s",
			       ferror(sp->fp) ? strerror(errno) : "truncated");
	return 1;
}

/* ---- reading the source -------------------------------------------------------------- */

struct source {
	struct db *db;
	char *sql;
	char **params;
	int nparams;
	char *label;               /* "stream orders_stream", "table raw_orders", "query" */
	bool actions;              /* a default-mode stream: rows carry STREAM_ACTION */
	struct stream_query sq;    /* when from a stream */
	struct sql_bound bound;    /* when from a query */
};

static void source_free(struct source *src)
{
	if (src->sq.sql)
		stream_query_free(&src->sq);
	if (src->bound.sql)
		steps_sql_bound_free(&src->bound);
	free(src->sql);
	free(src->label);
	memset(src, 0, sizeof *src);
}

static int source_open(struct step_ctx *ctx, const struct norm_spec *ns, struct source *src,
		       struct err *e)
{
	memset(src, 0, sizeof *src);
	if (ns->stream) {
		const struct project_stream *s = project_stream(ctx->project, ns->stream);
		if (!s)
			return err_set(e, ERR_NOTFOUND, "no stream named %s", ns->stream);
		struct stream_reader r = steps_stream_reader(ctx);
		/* A default-mode stream's deleted rows come too, as 'DELETE'
		 * documents, so the rows made of them can delete downstream. */
		src->actions = s->mode == STREAM_DEFAULT;
		if ((src->actions ? stream_window_select(&r, s, 1, &src->sq, e)
				  : stream_query(&r, s, NULL, &src->sq, e)) < 0)
			return -1;
		src->db = src->sq.db;
		src->params = src->sq.params;
		src->nparams = src->sq.nparams;
		src->sql = xstrdup(src->sq.sql);
		src->label = xasprintf("stream %s", s->name);
		return 0;
	}
	src->db = step_db(ctx, ns->from_connection ? ns->from_connection : ns->connection, e);
	if (!src->db)
		return -1;
	if (ns->table) {
		char *qt = db_quote_ident(src->db, ns->table);
		int has_id = 0;
		struct db_table *t = db_describe(src->db, ns->table, e);
		if (!t) {
			free(qt);
			return -1;
		}
		for (size_t i = 0; i < t->ncolumns; i++)
			has_id |= strcmp(t->columns[i].name, "_sluice_id") == 0;
		db_table_free(t);
		src->sql = xasprintf("SELECT * FROM %s%s", qt,
				     has_id ? " ORDER BY \"_sluice_id\"" : "");
		free(qt);
		src->label = xasprintf("table %s", ns->table);
		return 0;
	}
	if (steps_bind_sql(ctx, db_kind(src->db), ns->query, &src->bound, e) < 0)
		return -1;
	src->sql = xstrdup(src->bound.sql);
	src->params = src->bound.values;
	src->nparams = src->bound.nvalues;
	src->label = xstrdup("query");
	return 0;
}

/* A row of columns as a JSON object: numbers stay numbers, JSON stays
 * JSON, the rest are strings; sluice's own columns are left out. */
static cJSON *row_object(struct db_cursor *c)
{
	cJSON *o = cJSON_CreateObject();
	for (int i = 0; i < db_cursor_ncols(c); i++) {
		const char *name = db_cursor_name(c, i);
		const char *v = db_cursor_text(c, i);
		if (str_starts_with(name, "_sluice_"))
			continue;
		enum db_type t = db_cursor_type(c, i).type;
		cJSON *item = NULL;
		if (!v) {
			item = cJSON_CreateNull();
		} else if (t == DT_BOOL) {
			item = cJSON_CreateBool(strcmp(v, "t") == 0 || strcmp(v, "true") == 0);
		} else if (t == DT_INT || t == DT_NUMERIC || t == DT_FLOAT || t == DT_JSON) {
			item = fmt_json_parse(v, db_cursor_len(c, i), NULL, NULL);
		}
		if (!item)
			item = cJSON_CreateString(v);
		cJSON_AddItemToObject(o, name, item);
	}
	return o;
}

static int find_col(struct db_cursor *c, const char *name)
{
	for (int i = 0; i < db_cursor_ncols(c); i++)
		if (strcmp(db_cursor_name(c, i), name) == 0)
			return i;
	return -1;
}

/* Read every source row into the spool. */
static int source_spool(struct step_ctx *ctx, const struct norm_spec *ns, struct source *src,
			struct spool *sp, struct err *e)
{
	struct db_cursor *c = db_query(src->db, src->sql, (const char *const *)src->params,
				       src->nparams, e);
	if (!c)
		return -1;
	int rc, doc_col = -1, file_col = find_col(c, "_sluice_file");
	int line_col = find_col(c, "_sluice_line");
	int action_col = src->actions ? find_col(c, STREAM_ACTION) : -1;
	if (ns->document && (doc_col = find_col(c, ns->document)) < 0) {
		db_cursor_close(c);
		return err_set(e, ERR_NOTFOUND, "%s has no column %s (the step's document)",
			       src->label, ns->document);
	}
	struct buf doc = BUF_INIT;
	while ((rc = db_cursor_next(c, e)) == 1) {
		if ((sp->docs % 1024) == 0 && step_check_cancel(ctx, e) < 0) {
			rc = -1;
			break;
		}
		const char *file = file_col >= 0 ? db_cursor_text(c, file_col) : NULL;
		int64_t line = sp->docs + 1;
		if (line_col >= 0 && db_cursor_text(c, line_col))
			str_to_i64(db_cursor_text(c, line_col), &line);
		const char *text;
		size_t len;
		if (doc_col >= 0) {
			text = db_cursor_text(c, doc_col);
			len = text ? db_cursor_len(c, doc_col) : 0;
		} else {
			cJSON *o = row_object(c);
			buf_reset(&doc);
			fmt_json_write(&doc, o);
			cJSON_Delete(o);
			text = buf_str(&doc);
			len = doc.len;
		}
		const char *action = action_col >= 0 ? db_cursor_text(c, action_col) : NULL;
		if (spool_put(sp, file, line, text, len, action, e) < 0) {
			rc = -1;
			break;
		}
	}
	buf_free(&doc);
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

/* ---- writing ------------------------------------------------------------------------- */

struct norm_write {
	struct step_ctx *ctx;
	struct db_writer *w;
	const char **vals;
	bool actions;              /* write the document's action after the columns */
	const char *action;        /* the document's */
	int64_t rows;
	int64_t deleted_docs, delete_rows;
};

static int emit_row(void *arg, const struct fmt_field *fields, size_t n, struct err *e)
{
	struct norm_write *nw = arg;
	for (size_t i = 0; i < n; i++)
		nw->vals[i] = fields[i].kind == FK_NULL ? NULL : fields[i].value;
	if (nw->actions)
		nw->vals[n] = nw->action;
	if (db_writer_row(nw->w, nw->vals, e) < 0)
		return -1;
	nw->rows++;
	if (nw->action && strcmp(nw->action, "DELETE") == 0)
		nw->delete_rows++;
	return 0;
}

/* A document's name in errors: where it came from, or its place. */
static char *doc_name(const struct source *src, const char *file, bool file_null, int64_t line)
{
	if (!file_null)
		return xasprintf("%s:%lld", file, (long long)line);
	return xasprintf("%s, row %lld", src->label, (long long)line);
}

static int normalize_docs(struct step_ctx *ctx, const struct fmt_norm *norm,
			  const struct source *src, struct spool *sp, struct norm_write *nw,
			  struct err *e)
{
	struct spooled r = { BUF_INIT, BUF_INIT, BUF_INIT, false, false, false, 0 };
	int rc;
	rewind(sp->fp);
	while ((rc = spool_get(sp, &r, e)) == 1) {
		ctx->rows_in++;
		if ((ctx->rows_in % 1024) == 0 && step_check_cancel(ctx, e) < 0) {
			rc = -1;
			break;
		}
		nw->action = r.action_null ? NULL : buf_str(&r.action);
		if (nw->action && strcmp(nw->action, "DELETE") == 0)
			nw->deleted_docs++;
		if (r.doc_null)
			continue;
		char *name = doc_name(src, buf_str(&r.file), r.file_null, r.line);
		cJSON *d = fmt_json_parse(buf_str(&r.doc), r.doc.len, name, e);
		long got = d ? fmt_normalize(norm, d, r.file_null ? name : buf_str(&r.file),
					     (long)r.line, emit_row, nw, e) : -1;
		cJSON_Delete(d);
		if (got < 0) {
			if (!e->where[0])
				snprintf(e->where, sizeof e->where, "%s", name);
			free(name);
			rc = -1;
			break;
		}
		free(name);
	}
	spooled_free(&r);
	return rc;
}

/* Everything inside the target's transaction: the table's shape, the
 * emptying, the rows, the ledger entry. */
static int write_into(struct step_ctx *ctx, const struct norm_spec *ns, struct db *db,
		      const struct fmt_norm *norm, const struct source *src,
		      struct spool *sp, struct vec *changes, struct err *e)
{
	char *into = step_target_table(ctx, ns->into);
	size_t ncols = ns->ncols + (src->actions ? 1 : 0);
	const char **names = xcalloc(ncols, sizeof *names);
	struct db_coltype *types = xcalloc(ncols, sizeof *types);
	for (size_t i = 0; i < ns->ncols; i++) {
		names[i] = ns->cols[i].name;
		types[i] = ns->types[i];
	}
	if (src->actions) {
		names[ns->ncols] = STREAM_ACTION;
		types[ns->ncols] = (struct db_coltype){ DT_TEXT, 0, 0 };
	}
	struct drift_source ds = { names, types, NULL, (int)ncols };
	struct norm_write nw = { .ctx = ctx, .vals = xcalloc(ncols, sizeof *nw.vals),
				 .actions = src->actions };
	bool created = false;
	struct drift_target to = { db, ns->connection, into, NULL, 0 };
	int rc = step_drift_apply(ctx, &to, &ds, changes, &created, e);
	if (rc == 0 && !ns->append && !created) {
		char *qt = db_quote_ident(db, into);
		char *sql = xasprintf("DELETE FROM %s", qt);
		rc = db_exec(db, sql, NULL, 0, NULL, e);
		free(sql);
		free(qt);
	}
	if (rc == 0 && !(nw.w = db_writer_open(db, into, names, (int)ncols, e)))
		rc = -1;
	if (rc == 0)
		rc = normalize_docs(ctx, norm, src, sp, &nw, e);
	if (nw.w && rc < 0)
		db_writer_abort(nw.w);
	else if (nw.w && db_writer_close(nw.w, NULL, e) < 0)
		rc = -1;
	ctx->rows_out = nw.rows;
	if (rc == 0)
		rc = step_ledger_put(ctx, db, NULL, ctx->rows_in, ctx->rows_out, into, e);
	char deleted[96] = "";
	if (nw.deleted_docs > 0)
		snprintf(deleted, sizeof deleted, " (%lld deleted, giving %lld " STREAM_ACTION
			 " DELETE row%s)", (long long)nw.deleted_docs, (long long)nw.delete_rows,
			 nw.delete_rows == 1 ? "" : "s");
	if (rc == 0)
		step_summary(ctx, "%lld document%s%s from %s into %lld row%s of %s", (long long)
			     ctx->rows_in, ctx->rows_in == 1 ? "" : "s", deleted, src->label,
			     (long long)nw.rows, nw.rows == 1 ? "" : "s", into);
	free(nw.vals);
	free(types);
	free(names);
	free(into);
	return rc;
}

static int normalize_run(struct step_ctx *ctx, struct err *e)
{
	struct norm_spec ns;
	struct source src;
	struct spool sp = { NULL, 0 };
	struct fmt_norm *norm = NULL;
	struct vec changes = VEC_INIT;
	int rc = -1;
	memset(&src, 0, sizeof src);
	if (spec_read(ctx->step, &ns, e) < 0)
		return -1;
	struct db *db = step_db(ctx, ns.connection, e);
	int done = db ? step_ledger_done(ctx, db, NULL, e) : -1;
	if (done != 0) {
		if (done > 0)
			step_summary(ctx, "committed by an earlier attempt of this run");
		spec_free(&ns);
		return done < 0 ? -1 : 0;
	}
	if (!(norm = fmt_norm_new(ns.cols, ns.ncols, e)) || source_open(ctx, &ns, &src, e) < 0)
		goto out;
	fmt_norm_set_outer(norm, steps_json_bool(ctx->step->spec, "outer", false));
	if (!(sp.fp = tmpfile())) {
		err_set(e, ERR_IO, "cannot make a spool file: %s", strerror(errno));
		goto out;
	}
	if (source_spool(ctx, &ns, &src, &sp, e) < 0)
		goto out;
	if (db_begin(db, e) < 0)
		goto out;
	rc = write_into(ctx, &ns, db, norm, &src, &sp, &changes, e);
	if (rc == 0)
		rc = db_commit(db, e);
	if (rc < 0)
		db_rollback(db);
	else
		rc = step_drift_commit(ctx, &changes, e);
out:
	if (rc < 0)
		err_prefix(e, "step %s: ", ctx->step->name);
	step_drift_changes_free(&changes);
	if (sp.fp)
		fclose(sp.fp);
	source_free(&src);
	fmt_norm_free(norm);
	spec_free(&ns);
	return rc;
}

/* What the result depends on besides the definition: the stream's window
 * (fixed now, so the run reads exactly what the key describes), or the
 * table's row count and newest _sluice_id. */
static int normalize_cache_inputs(struct step_ctx *ctx, struct buf *key, struct err *e)
{
	struct norm_spec ns;
	if (spec_read(ctx->step, &ns, e) < 0)
		return -1;
	int rc = 0;
	if (ns.stream) {
		const struct project_stream *s = project_stream(ctx->project, ns.stream);
		char *window = NULL;
		struct stream_reader r = steps_stream_reader(ctx);
		rc = s ? stream_fix_window(&r, s, &window, e)
		       : err_set(e, ERR_NOTFOUND, "no stream named %s", ns.stream);
		if (rc == 0)
			buf_printf(key, "stream:%s:%s;", ns.stream, window);
		free(window);
	} else if (ns.table) {
		struct db *db = step_db(ctx, ns.from_connection ? ns.from_connection
							 : ns.connection, e);
		struct vec inputs = VEC_INIT;
		vec_push(&inputs, (void *)ns.table);
		rc = db ? steps_cache_tables(ctx, db, &inputs, key, e) : -1;
		vec_free(&inputs);
	}
	spec_free(&ns);
	return rc;
}

const struct step_ops step_normalize_ops = {
	.kind = STEP_NORMALIZE,
	.validate = normalize_validate,
	.run = normalize_run,
	.cache_inputs = normalize_cache_inputs,
};
