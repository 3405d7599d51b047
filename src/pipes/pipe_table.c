/*
 * pipe_table.c - a pipe's raw table: created from the declared shape or
 * from the first records, grown as new keys and wider values appear.
 *
 * Every raw table has _sluice_id (increasing and never reused, so
 * append-only streams can follow it: AUTOINCREMENT on SQLite, an identity
 * on PostgreSQL), _sluice_file and _sluice_line (where each row came from)
 * and _sluice_loaded_at.  A forced reload finds a file's earlier rows by
 * the _sluice_id range its ledger entry records (pipe_load.c), through the
 * primary key, so the table needs no index on _sluice_file: keeping one
 * cost a third of a load's time.  Tables made before kept that index, and
 * keep it.  All DDL here runs in the caller's transaction, so a file that
 * fails takes the table changes it caused with it.
 */
#include "pipes/pipe_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void pipe_raw_table_init(struct raw_table *t, const char *name)
{
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
}

static void cols_clear(struct raw_table *t)
{
	for (size_t i = 0; i < t->ncols; i++)
		free(t->cols[i].name);
	t->ncols = 0;
}

void pipe_raw_table_free(struct raw_table *t)
{
	cols_clear(t);
	free(t->cols);
	free(t->name);
	memset(t, 0, sizeof *t);
}

static void cols_push(struct raw_table *t, const char *name, struct db_coltype type)
{
	if (t->ncols == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cols = xrealloc(t->cols, t->cap * sizeof *t->cols);
	}
	t->cols[t->ncols].name = xstrdup(name);
	t->cols[t->ncols].type = type;
	t->ncols++;
}

static bool is_meta(const char *name)
{
	return strcmp(name, PIPE_COL_ID) == 0 || strcmp(name, PIPE_COL_FILE) == 0 ||
	       strcmp(name, PIPE_COL_LINE) == 0 || strcmp(name, PIPE_COL_LOADED_AT) == 0;
}

int pipe_raw_table_read(struct db *db, struct raw_table *t, struct err *e)
{
	cols_clear(t);
	t->exists = false;
	struct err de = { 0 };
	struct db_table *d = db_describe(db, t->name, &de);
	if (!d) {
		if (de.code == ERR_NOTFOUND)
			return 0;
		*e = de;
		return -1;
	}
	int meta = 0;
	for (size_t i = 0; i < d->ncolumns; i++) {
		if (is_meta(d->columns[i].name))
			meta++;
		else
			cols_push(t, d->columns[i].name, d->columns[i].type);
	}
	db_table_free(d);
	if (meta != 4) {
		cols_clear(t);
		return err_set(e, ERR_INVALID, "table %s exists but was not made by a pipe "
			       "(it lacks the columns %s, %s, %s and %s); a pipe loads only "
			       "into a table it creates: drop or rename it, or point the pipe "
			       "at another table", t->name, PIPE_COL_ID, PIPE_COL_FILE,
			       PIPE_COL_LINE, PIPE_COL_LOADED_AT);
	}
	t->exists = true;
	return 0;
}

int pipe_raw_table_find(const struct db *db, const struct raw_table *t, const char *name)
{
	bool nocase = db_kind(db) == DB_SQLITE;
	for (size_t i = 0; i < t->ncols; i++) {
		if (nocase ? strcasecmp(t->cols[i].name, name) == 0
			   : strcmp(t->cols[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

static void column_def(struct buf *b, struct db *db, const char *name, struct db_coltype type,
		       bool not_null)
{
	char tname[64];
	db_type_sql(db_kind(db), type, tname, sizeof tname);
	char *q = db_quote_ident(db, name);
	buf_printf(b, ",\n\t%s %s%s", q, tname, not_null ? " NOT NULL" : "");
	free(q);
}

int pipe_raw_table_create(struct db *db, struct raw_table *t, const struct raw_col *cols,
		     size_t n, struct err *e)
{
	struct buf b = BUF_INIT;
	char *qt = db_quote_ident(db, t->name);
	char *qid = db_quote_ident(db, PIPE_COL_ID);
	buf_printf(&b, "CREATE TABLE %s (\n\t%s %s", qt, qid,
		   db_kind(db) == DB_SQLITE ? "INTEGER PRIMARY KEY AUTOINCREMENT"
					    : "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY");
	for (size_t i = 0; i < n; i++)
		column_def(&b, db, cols[i].name, cols[i].type, false);
	column_def(&b, db, PIPE_COL_FILE, (struct db_coltype){ DT_TEXT, 0, 0 }, true);
	column_def(&b, db, PIPE_COL_LINE, (struct db_coltype){ DT_INT, 0, 0 }, true);
	column_def(&b, db, PIPE_COL_LOADED_AT, (struct db_coltype){ DT_TIMESTAMP, 0, 0 }, true);
	buf_puts(&b, "\n)");
	int rc = db_exec(db, buf_str(&b), NULL, 0, NULL, e);
	buf_free(&b);
	free(qt);
	free(qid);
	if (rc < 0) {
		err_prefix(e, "creating table %s: ", t->name);
		return -1;
	}
	cols_clear(t);
	for (size_t i = 0; i < n; i++)
		cols_push(t, cols[i].name, cols[i].type);
	t->exists = true;
	return 0;
}

int pipe_raw_table_add(struct db *db, struct raw_table *t, const char *name,
		  struct db_coltype type, struct err *e)
{
	struct db_column col = { (char *)name, type, false, false };
	if (db_add_column(db, t->name, &col, e) < 0)
		return -1;
	cols_push(t, name, type);
	return 0;
}

int pipe_raw_table_widen(struct db *db, struct raw_table *t, size_t i, struct db_coltype to,
		    bool *changed, struct err *e)
{
	bool widened = false;
	struct db_coltype target = db_type_widen(t->cols[i].type, to, &widened);
	*changed = false;
	if (!widened)
		return 0;
	if (db_widen_column(db, t->name, t->cols[i].name, target, e) < 0)
		return -1;
	t->cols[i].type = target;
	*changed = true;
	return 0;
}

/* ---- the declared shape --------------------------------------------------------- */

bool pipe_has_shape(const struct project_pipe *pipe)
{
	return pipe->ncolumns > 0 || (pipe->document && *pipe->document);
}

void pipe_raw_cols_free(struct raw_col *cols, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cols[i].name);
	free(cols);
}

int pipe_declared_columns(const struct project_pipe *pipe, struct raw_col **out,
			  size_t *n, struct err *e)
{
	bool doc = pipe->document && *pipe->document;
	struct raw_col *cols = xcalloc(pipe->ncolumns + 1, sizeof *cols);
	size_t k = 0;
	for (size_t i = 0; i < pipe->ncolumns; i++) {
		const struct project_column *c = &pipe->columns[i];
		struct db_coltype type = { DT_TEXT, 0, 0 };
		if (c->type && *c->type && !db_type_parse(c->type, &type)) {
			pipe_raw_cols_free(cols, k);
			return err_at(e, ERR_INVALID, pipe->path_in_file,
				      "pipe %s: column %s: unknown type \"%s\"", pipe->name,
				      c->name, c->type);
		}
		cols[k].name = xstrdup(c->name);
		cols[k++].type = type;
	}
	if (doc) {
		cols[k].name = xstrdup(pipe->document);
		cols[k++].type = (struct db_coltype){ DT_JSON, 0, 0 };
	}
	*out = cols;
	*n = k;
	return 0;
}

enum fmt_type pipes_fmt_type(struct db_coltype t)
{
	switch (t.type) {
	case DT_INT: return FT_INT;
	case DT_NUMERIC:
	case DT_FLOAT: return FT_NUMERIC;
	case DT_BOOL: return FT_BOOL;
	case DT_DATE: return FT_DATE;
	case DT_TIME: return FT_TIME;
	case DT_TIMESTAMP: return FT_TIMESTAMP;
	case DT_JSON: return FT_JSON;
	case DT_TEXT: break;
	}
	return FT_TEXT;
}

struct fmt_csv_opts pipes_csv_opts(const struct project_pipe *pipe)
{
	return (struct fmt_csv_opts){
		.skip_header = (size_t)pipe->skip_header,
		.no_header = pipe->csv_no_header,
		.null_if = (const char *const *)pipe->null_if,
		.nnull_if = pipe->nnull_if,
		.quote = pipe->csv_quote,
		.no_quote = pipe->csv_no_quote,
		.escape = pipe->csv_escape,
		.encoding = pipe->encoding == PIPE_LATIN1 ? FMT_LATIN1 : FMT_UTF8,
		.trim_space = pipe->trim_space,
		.empty_is_text = pipe->empty_field_as_text,
	};
}

static enum fmt_format fmt_format_of(enum pipe_format f)
{
	return f == FORMAT_CSV ? FMT_CSV : f == FORMAT_JSON ? FMT_JSON
		: f == FORMAT_PARQUET ? FMT_PARQUET : FMT_NDJSON;
}

struct fmt_reader *pipe_reader_new(const struct project_pipe *pipe, const struct raw_col *decl,
				   const char *key, fmt_read_fn read, void *arg, struct err *e)
{
	size_t n = pipe->ncolumns;
	struct fmt_column *cols = n ? xcalloc(n, sizeof *cols) : NULL;
	for (size_t i = 0; i < n; i++) {
		cols[i].name = pipe->columns[i].name;
		cols[i].source = pipe->columns[i].source;
		cols[i].type = pipes_fmt_type(decl[i].type);
	}
	struct fmt_reader_opts o = {
		.format = fmt_format_of(pipe->format),
		.source = key,
		.delimiter = pipe->csv_delimiter,
		.csv = pipes_csv_opts(pipe),
		.columns = cols,
		.ncolumns = n,
		.compression = fmt_compression_of_name(key),
	};
	struct fmt_reader *r = fmt_reader_new(&o, read, arg, e);
	free(cols);
	return r;
}

/* numeric(p,s) holds p - s digits before the point; varchar(n) n characters.
 * The reader has checked the rest of the type; these two depend on the
 * table's declaration. */
const char *pipe_value_too_big(struct db_coltype t, const char *v, char *why, size_t n)
{
	if (t.type == DT_NUMERIC && t.precision > 0) {
		const char *p = v + (*v == '-' || *v == '+');
		while (*p == '0' && p[1] && p[1] != '.')
			p++;
		size_t digits = strspn(p, "0123456789");
		if (digits == 1 && *p == '0')
			digits = 0;
		if ((int)digits > t.precision - t.scale) {
			snprintf(why, n, "%s does not fit numeric(%d,%d) (at most %d digits "
				 "before the point)", v, t.precision, t.scale,
				 t.precision - t.scale);
			return why;
		}
	} else if (t.type == DT_TEXT && t.precision > 0 && utf8_width(v) > t.precision) {
		snprintf(why, n, "text of %d characters does not fit varchar(%d)",
			 utf8_width(v), t.precision);
		return why;
	}
	return NULL;
}
