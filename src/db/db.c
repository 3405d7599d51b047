/*
 * db.c - the public face of the db module: connections, statements,
 * cursors, transactions and writers, dispatched to a backend.
 *
 * Everything dialect-neutral lives here (URL recognition and redaction,
 * identifier quoting, one-value queries, the row/column bookkeeping of
 * cursors and writers, error text with secrets masked); sqlite.c and
 * pg.c do only what their library makes different.
 */
#include "db_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- URLs ---------------------------------------------------------------- */

static bool is_sqlite_url(const char *url)
{
	return str_starts_with(url, "sqlite:") && url[7] != '\0';
}

static bool is_pg_url(const char *url)
{
	if (str_starts_with(url, "postgresql://") || str_starts_with(url, "postgres://"))
		return true;
	/* A libpq conninfo is a list of keyword=value pairs. */
	const char *eq = strchr(url, '=');
	if (!eq || eq == url)
		return false;
	for (const char *p = url; p < eq; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && !isspace((unsigned char)*p))
			return false;
	}
	return true;
}

bool db_url_valid(const char *url, enum db_kind *kind)
{
	if (!url)
		return false;
	if (is_sqlite_url(url)) {
		if (kind)
			*kind = DB_SQLITE;
		return true;
	}
	if (is_pg_url(url)) {
		if (kind)
			*kind = DB_POSTGRES;
		return true;
	}
	return false;
}

/* postgresql://user:secret@host/db -> postgresql://user:****@host/db */
static void redact_uri(struct buf *out, const char *url)
{
	const char *auth = strstr(url, "://") + 3;
	const char *end = auth + strcspn(auth, "/?#");
	const char *at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;    /* the last @ ends the user info */
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon) {
		buf_append(out, url, (size_t)(colon + 1 - url));
		buf_puts(out, "****");
		url = at;
	}
	/* A password may also ride in the query string. */
	const char *q = strchr(url, '?');
	if (!q) {
		buf_puts(out, url);
		return;
	}
	buf_append(out, url, (size_t)(q - url));
	const char *p = q;
	while (*p) {
		char sep = *p++;
		buf_putc(out, sep);
		size_t n = strcspn(p, "&#");
		if (strncasecmp(p, "password=", 9) == 0) {
			buf_puts(out, "password=****");
		} else {
			buf_append(out, p, n);
		}
		p += n;
		if (*p == '#') {
			buf_puts(out, p);
			break;
		}
	}
}

/* host=h password='s e' dbname=d -> host=h password=**** dbname=d */
static void redact_conninfo(struct buf *out, const char *s)
{
	const char *p = s;
	while (*p) {
		if (isspace((unsigned char)*p)) {
			buf_putc(out, *p++);
			continue;
		}
		const char *key = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		size_t klen = (size_t)(p - key);
		buf_append(out, key, klen);
		while (isspace((unsigned char)*p))
			buf_putc(out, *p++);
		if (*p != '=')
			continue;
		buf_putc(out, *p++);
		while (isspace((unsigned char)*p))
			buf_putc(out, *p++);
		const char *val = p;
		if (*p == '\'') {
			p++;
			while (*p && *p != '\'') {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
			if (*p)
				p++;
		} else {
			while (*p && !isspace((unsigned char)*p)) {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
		}
		if (klen == 8 && strncasecmp(key, "password", 8) == 0)
			buf_puts(out, "****");
		else
			buf_append(out, val, (size_t)(p - val));
	}
}

char *db_url_redacted(const char *url)
{
	struct buf b = BUF_INIT;
	if (!url)
		return xstrdup("");
	if (str_starts_with(url, "postgresql://") || str_starts_with(url, "postgres://"))
		redact_uri(&b, url);
	else if (is_sqlite_url(url))
		buf_puts(&b, url);
	else
		redact_conninfo(&b, url);
	char *masked = log_mask(buf_str(&b));
	buf_free(&b);
	return masked;
}

/* ---- errors ------------------------------------------------------------- */

int db_fail(struct err *e, enum err_code code, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	char *masked = log_mask(raw);
	err_set(e, code, "%s", masked);
	free(masked);
	free(raw);
	return -1;
}

static int fail_row(struct db_writer *w, struct err *e, int64_t row, int col,
		    enum err_code code, const char *fmt, va_list ap) PRINTF_LIKE(6, 0);
static int fail_row(struct db_writer *w, struct err *e, int64_t row, int col,
		    enum err_code code, const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	char *raw = xvasprintf(fmt, ap);
	char *masked = log_mask(raw);
	char where[256];
	if (col >= 0 && col < w->ncols)
		snprintf(where, sizeof where, "row %lld, column %s", (long long)row,
			 w->columns[col]);
	else
		snprintf(where, sizeof where, "row %lld", (long long)row);
	err_at(e, code, where, "%s", masked);
	free(masked);
	free(raw);
	return -1;
}

int db_fail_row(struct db_writer *w, struct err *e, int col, enum err_code code,
		const char *fmt, ...)
{
	w->failed = true;
	va_list ap;
	va_start(ap, fmt);
	fail_row(w, e, w->rows + 1, col, code, fmt, ap);
	va_end(ap);
	return -1;
}

int db_fail_row_at(struct db_writer *w, struct err *e, int64_t row, int col,
		   enum err_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_row(w, e, row, col, code, fmt, ap);
	va_end(ap);
	return -1;
}

const char *db_sql_skip_blank(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			p = end ? end + 2 : p + strlen(p);
		} else {
			return p;
		}
	}
}

const char *db_sql_keyword(const char *p, const char *word)
{
	size_t n = strlen(word);
	if (strncasecmp(p, word, n) != 0 || isalnum((unsigned char)p[n]) || p[n] == '_')
		return NULL;
	return db_sql_skip_blank(p + n);
}

/* Past one name, quoted or bare. */
static const char *name_part_end(const char *p)
{
	if (*p == '"' || *p == '`' || *p == '[') {
		char close = *p == '[' ? ']' : *p;
		for (p++; *p; p++) {
			if (*p != close)
				continue;
			if (close != ']' && p[1] == close) {
				p++;        /* a doubled quote is one in the name */
				continue;
			}
			return p + 1;
		}
		return NULL;
	}
	const char *start = p;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || (unsigned char)*p >= 0x80)
		p++;
	return p > start ? p : NULL;
}

const char *db_sql_name_end(const char *p)
{
	const char *end = name_part_end(p);
	if (end && *db_sql_skip_blank(end) == '.')
		end = name_part_end(db_sql_skip_blank(db_sql_skip_blank(end) + 1));
	return end;
}

bool db_sql_copies_in(const char *sql)
{
	const char *p = db_sql_keyword(db_sql_skip_blank(sql), "COPY");
	if (!p)
		return false;
	const char *q = db_sql_keyword(p, "BINARY");   /* the old spelling */
	p = q ? q : p;
	if (!(p = db_sql_name_end(p)))
		return false;              /* COPY (query) TO: a query reads */
	p = db_sql_skip_blank(p);
	if (*p == '(') {
		do
			p = db_sql_skip_blank(p + 1);
		while ((p = name_part_end(p)) && *(p = db_sql_skip_blank(p)) == ',');
		if (!p || *p != ')')
			return false;
		p = db_sql_skip_blank(p + 1);
	}
	return db_sql_keyword(p, "FROM") != NULL;
}

char *db_sql_refreshed_view(const char *sql, bool *populated)
{
	const char *p = db_sql_keyword(db_sql_skip_blank(sql), "REFRESH");
	if (!p || !(p = db_sql_keyword(p, "MATERIALIZED")) || !(p = db_sql_keyword(p, "VIEW")))
		return NULL;
	const char *q = db_sql_keyword(p, "CONCURRENTLY");
	p = q ? q : p;
	const char *end = db_sql_name_end(p);
	if (!end)
		return NULL;
	if (populated)
		*populated = !((q = db_sql_keyword(db_sql_skip_blank(end), "WITH")) &&
			       db_sql_keyword(q, "NO"));
	return xstrndup(p, (size_t)(end - p));
}

void db_sql_line_col(const char *sql, long pos, int *line, int *col)
{
	/* PostgreSQL counts characters, not bytes. */
	int l = 1, c = 1;
	long n = 1;
	for (const unsigned char *p = (const unsigned char *)sql; *p && n < pos; p++) {
		if ((*p & 0xC0) == 0x80)
			continue;
		n++;
		if (*p == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* ---- connections ---------------------------------------------------------- */

struct db *db_open(const char *url, const struct db_options *opt, struct err *e)
{
	static const struct db_options defaults;
	enum db_kind kind;
	if (!opt)
		opt = &defaults;
	if (!db_url_valid(url, &kind)) {
		char *shown = db_url_redacted(url);
		err_set(e, ERR_INVALID, "not a database URL: \"%s\" (expected sqlite:PATH, "
			"postgresql://... or a libpq conninfo)", shown);
		free(shown);
		return NULL;
	}
	if (opt->password)
		log_add_secret(opt->password);
	struct db *db = xcalloc(1, sizeof *db);
	db->kind = kind;
	db->ops = kind == DB_SQLITE ? &db_sqlite_ops : &db_pg_ops;
	db->read_only = opt->read_only;
	db->label = opt->label ? xstrdup(opt->label) : db_url_redacted(url);
	atomic_init(&db->cancel_requested, false);
	if (db->ops->open(db, url, opt, e) < 0) {
		/* Some errors name the connection already ("warehouse: database
		 * or disk is full"). */
		size_t n = strlen(db->label);
		if (e && strncmp(e->msg, db->label, n) == 0 && e->msg[n] == ':')
			err_prefix(e, "cannot open ");
		else
			err_prefix(e, "cannot open %s: ", db->label);
		free(db->label);
		free(db);
		return NULL;
	}
	return db;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->busy)
		db_cursor_close(db->busy);
	db->ops->close(db);
	free(db->label);
	free(db);
}

enum db_kind db_kind(const struct db *db)
{
	return db->kind;
}

const char *db_label(const struct db *db)
{
	return db->label;
}

bool db_is_read_only(const struct db *db)
{
	return db->read_only;
}

bool db_alive(struct db *db, bool round_trip)
{
	if (!db->ops->alive)
		return true;
	return db->ops->alive(db, round_trip && !db->busy && !db->copying);
}

void db_replace(struct db *db, struct db *fresh)
{
	void *old = db->impl;
	db->impl = fresh->impl;
	fresh->impl = old;
	db_close(fresh);
}

bool db_is_snapshot(const struct db *db)
{
	return db->snapshot;
}

int db_socket(struct db *db)
{
	return db->ops->socket ? db->ops->socket(db) : -1;
}

int db_notifications(struct db *db, void (*fn)(void *arg, const char *payload),
		     void *arg, struct err *e)
{
	if (!db->ops->notifications)
		return 0;
	return db->ops->notifications(db, fn, arg, e);
}

void db_cancel(struct db *db)
{
	atomic_store(&db->cancel_requested, true);
	db->ops->cancel(db);
}

/* ---- statements -------------------------------------------------------------- */

static int check_idle(struct db *db, struct err *e)
{
	if (db->busy)
		return err_set(e, ERR_INTERNAL, "%s: a cursor is still open on this "
			       "connection; close it before the next statement", db->label);
	if (db->copying)
		return err_set(e, ERR_INTERNAL, "%s: a writer owns this connection (a "
			       "COPY, or batched rows); close it before the next statement",
			       db->label);
	atomic_store(&db->cancel_requested, false);
	return 0;
}

int db_exec(struct db *db, const char *sql, const char *const *params,
	    int nparams, int64_t *affected, struct err *e)
{
	if (affected)
		*affected = 0;
	if (check_idle(db, e) < 0)
		return -1;
	return db->ops->exec(db, sql, params, nparams, affected, NULL, e);
}

/* A refresh's command tag has no count: its rows are those the view
 * holds now, read in the same transaction.  WITH NO DATA empties it. */
static int count_refreshed(struct db *db, const char *sql, int64_t *written,
			   struct err *e)
{
	bool populated = false;
	char *view = db_sql_refreshed_view(sql, &populated);
	if (!view || !populated) {
		free(view);
		return 0;
	}
	char *count = xasprintf("SELECT count(*) FROM %s", view);
	int rc = db_query_int(db, count, NULL, 0, written, e);
	free(count);
	if (rc < 0)
		err_prefix(e, "counting the rows of refreshed view %s: ", view);
	free(view);
	return rc < 0 ? -1 : 0;
}

int db_exec_written(struct db *db, const char *sql, const char *const *params,
		    int nparams, int64_t *written, struct err *e)
{
	*written = 0;
	if (check_idle(db, e) < 0)
		return -1;
	if (db->ops->exec(db, sql, params, nparams, NULL, written, e) < 0)
		return -1;
	return count_refreshed(db, sql, written, e);
}

int db_exec_script(struct db *db, const char *sql, struct err *e)
{
	if (check_idle(db, e) < 0)
		return -1;
	return db->ops->exec_script(db, sql, e);
}

struct db_cursor *db_query(struct db *db, const char *sql,
			   const char *const *params, int nparams, struct err *e)
{
	if (check_idle(db, e) < 0)
		return NULL;
	return db->ops->query(db, sql, params, nparams, e);
}

struct db_cursor *db_query_bulk(struct db *db, const char *sql, struct err *e)
{
	if (check_idle(db, e) < 0)
		return NULL;
	return db->ops->query_bulk(db, sql, e);
}

void db_cursor_init(struct db_cursor *c, struct db *db, int ncols)
{
	c->db = db;
	c->ncols = ncols;
	c->names = xcalloc((size_t)ncols + 1, sizeof *c->names);
	c->types = xcalloc((size_t)ncols + 1, sizeof *c->types);
	c->vals = xcalloc((size_t)ncols + 1, sizeof *c->vals);
	c->lens = xcalloc((size_t)ncols + 1, sizeof *c->lens);
}

void db_cursor_free_head(struct db_cursor *c)
{
	for (int i = 0; i < c->ncols; i++)
		free(c->names[i]);
	free(c->names);
	free(c->types);
	free(c->vals);
	free(c->lens);
}

int db_cursor_next(struct db_cursor *c, struct err *e)
{
	if (c->done)
		return 0;
	int rc = c->db->ops->cursor_next(c, e);
	if (rc <= 0)
		c->done = true;
	return rc;
}

int db_cursor_ncols(const struct db_cursor *c)
{
	return c->ncols;
}

const char *db_cursor_name(const struct db_cursor *c, int col)
{
	return col >= 0 && col < c->ncols ? c->names[col] : NULL;
}

struct db_coltype db_cursor_type(const struct db_cursor *c, int col)
{
	if (col < 0 || col >= c->ncols)
		return (struct db_coltype){ DT_TEXT, 0, 0 };
	return c->types[col];
}

const char *db_cursor_text(const struct db_cursor *c, int col)
{
	return col >= 0 && col < c->ncols ? c->vals[col] : NULL;
}

size_t db_cursor_len(const struct db_cursor *c, int col)
{
	return col >= 0 && col < c->ncols && c->vals[col] ? c->lens[col] : 0;
}

void db_cursor_close(struct db_cursor *c)
{
	if (!c)
		return;
	c->db->ops->cursor_close(c);
}

int db_collect_first_column(struct db_cursor *c, struct vec *out, struct err *e)
{
	if (!c)
		return -1;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1)
		vec_push(out, xstrdup(c->vals[0]));
	db_cursor_close(c);
	return rc;
}

struct db_table *db_table_from_catalogue(struct db_cursor *c, const char *table,
					 void (*read_flags)(struct db_column *col,
							    const char *const *vals),
					 struct err *e)
{
	if (!c)
		return NULL;
	struct db_table *t = xcalloc(1, sizeof *t);
	t->name = xstrdup(table);
	size_t cap = 0;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		if (t->ncolumns == cap) {
			cap = cap ? cap * 2 : 8;
			t->columns = xrealloc(t->columns, cap * sizeof *t->columns);
		}
		struct db_column *col = &t->columns[t->ncolumns++];
		memset(col, 0, sizeof *col);
		col->name = xstrdup(c->vals[0]);
		if (!db_type_parse(c->vals[1], &col->type))
			col->type = (struct db_coltype){ DT_TEXT, 0, 0 };
		read_flags(col, c->vals);
	}
	struct db *db = c->db;
	db_cursor_close(c);
	if (rc < 0 || t->ncolumns == 0) {
		if (rc == 0)
			err_set(e, ERR_NOTFOUND, "no table %s in %s", table, db->label);
		db_table_free(t);
		return NULL;
	}
	return t;
}

int db_query_value(struct db *db, const char *sql, const char *const *params,
		   int nparams, char **out, struct err *e)
{
	*out = NULL;
	struct db_cursor *c = db_query(db, sql, params, nparams, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	if (rc == 1) {
		if (c->ncols < 1) {
			rc = err_set(e, ERR_INVALID, "query returned no columns");
		} else {
			const char *v = c->vals[0];
			*out = v ? xstrndup(v, c->lens[0]) : NULL;
		}
	}
	db_cursor_close(c);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int db_query_int(struct db *db, const char *sql, const char *const *params,
		 int nparams, int64_t *out, struct err *e)
{
	char *v = NULL;
	*out = 0;
	int rc = db_query_value(db, sql, params, nparams, &v, e);
	if (rc == 1 && v) {
		if (!str_to_i64(v, out)) {
			/* count(*) and friends are integers; sums may come as "12.0". */
			double d;
			char *end;
			d = strtod(v, &end);
			if (*end || d != (double)(int64_t)d)
				rc = err_set(e, ERR_INVALID, "expected an integer, got \"%s\"", v);
			else
				*out = (int64_t)d;
		}
	}
	free(v);
	return rc;
}

/* ---- transactions --------------------------------------------------------------- */

int db_begin(struct db *db, struct err *e)
{
	if (db_in_transaction(db))
		return err_set(e, ERR_INTERNAL, "%s: a transaction is already open", db->label);
	return db_exec(db, db->ops->begin_sql(db), NULL, 0, NULL, e);
}

int db_commit(struct db *db, struct err *e)
{
	if (!db_in_transaction(db))
		return err_set(e, ERR_INTERNAL, "%s: commit without a transaction", db->label);
	/* PostgreSQL would answer COMMIT of a failed transaction with a
	 * quiet ROLLBACK; say so instead. */
	if (db->ops->tx_failed(db)) {
		db_rollback(db);
		return err_set(e, ERR_DB, "%s: a statement in the transaction failed; "
			       "it was rolled back", db->label);
	}
	return db_exec(db, "COMMIT", NULL, 0, NULL, e);
}

void db_rollback(struct db *db)
{
	if (db->busy)
		db_cursor_close(db->busy);
	if (db->copying)
		return;    /* the writer's abort comes first (a COPY ends with it) */
	if (db_in_transaction(db))
		db->ops->exec(db, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
}

bool db_in_transaction(const struct db *db)
{
	return db->ops->in_transaction(db);
}

/* ---- writers ------------------------------------------------------------------------ */

void db_writer_init(struct db_writer *w, struct db *db, const char *table,
		    const char *const *columns, int ncols, const struct db_table *def)
{
	w->db = db;
	w->table = xstrdup(table);
	w->ncols = ncols;
	w->columns = xcalloc((size_t)ncols + 1, sizeof *w->columns);
	w->types = xcalloc((size_t)ncols + 1, sizeof *w->types);
	for (int i = 0; i < ncols; i++) {
		w->columns[i] = xstrdup(columns[i]);
		w->types[i] = (struct db_coltype){ DT_TEXT, 0, 0 };
		for (size_t j = 0; def && j < def->ncolumns; j++) {
			if (strcmp(def->columns[j].name, columns[i]) == 0 ||
			    (db->kind == DB_SQLITE &&
			     strcasecmp(def->columns[j].name, columns[i]) == 0)) {
				w->types[i] = def->columns[j].type;
				break;
			}
		}
	}
}

void db_writer_free_head(struct db_writer *w)
{
	for (int i = 0; i < w->ncols; i++)
		free(w->columns[i]);
	free(w->columns);
	free(w->types);
	free(w->table);
}

static bool has_column(const struct db *db, const struct db_table *t, const char *name)
{
	for (size_t j = 0; j < t->ncolumns; j++) {
		if (strcmp(t->columns[j].name, name) == 0)
			return true;
		if (db->kind == DB_SQLITE && strcasecmp(t->columns[j].name, name) == 0)
			return true;
	}
	return false;
}

struct db_writer *db_writer_open(struct db *db, const char *table,
				 const char *const *columns, int ncols,
				 struct err *e)
{
	if (check_idle(db, e) < 0)
		return NULL;
	if (ncols < 1) {
		err_set(e, ERR_INVALID, "writing %s: no columns given", table);
		return NULL;
	}
	struct db_table *def = db->ops->describe(db, table, e);
	if (!def)
		return NULL;
	for (int i = 0; i < ncols; i++) {
		if (!has_column(db, def, columns[i])) {
			err_at(e, ERR_NOTFOUND, columns[i], "table %s has no column %s",
			       table, columns[i]);
			db_table_free(def);
			return NULL;
		}
	}
	struct db_writer *w = db->ops->writer_open(db, table, columns, ncols, def, e);
	db_table_free(def);
	return w;
}

int db_writer_row(struct db_writer *w, const char *const *values, struct err *e)
{
	if (w->failed)
		return err_set(e, ERR_INTERNAL, "writing %s: the writer already failed", w->table);
	if (w->db->ops->writer_row(w, values, e) < 0) {
		w->failed = true;
		return -1;
	}
	w->rows++;
	return 0;
}

void db_writer_batch(struct db_writer *w)
{
	if (w->db->ops->writer_batch)
		w->db->ops->writer_batch(w);
}

int db_writer_copy_line(struct db_writer *w, const char *line, size_t len,
			struct err *e)
{
	if (w->failed)
		return err_set(e, ERR_INTERNAL, "writing %s: the writer already failed", w->table);
	if (w->db->ops->writer_copy_line(w, line, len, e) < 0) {
		w->failed = true;
		return -1;
	}
	w->rows++;
	return 0;
}

int db_writer_close(struct db_writer *w, int64_t *rows, struct err *e)
{
	if (rows)
		*rows = 0;
	if (w->failed) {
		db_writer_abort(w);
		return err_set(e, ERR_INTERNAL, "writing: the writer already failed");
	}
	/* writer_close frees w; PostgreSQL's count is the server's own. */
	int64_t n = w->rows;
	int rc = w->db->ops->writer_close(w, &n, e);
	if (rc == 0 && rows)
		*rows = n;
	return rc;
}

void db_writer_abort(struct db_writer *w)
{
	if (w)
		w->db->ops->writer_abort(w);
}

/* ---- names ---------------------------------------------------------------------- */

void db_buf_quote(struct buf *b, const char *name)
{
	buf_putc(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			buf_putc(b, '"');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

void db_buf_quote_columns(struct buf *b, const char *table,
			  const char *const *columns, int ncols)
{
	db_buf_quote(b, table);
	buf_puts(b, " (");
	for (int i = 0; i < ncols; i++) {
		if (i)
			buf_puts(b, ", ");
		db_buf_quote(b, columns[i]);
	}
	buf_putc(b, ')');
}

char *db_quote(const char *name)
{
	struct buf b = BUF_INIT;
	db_buf_quote(&b, name);
	return buf_detach(&b);
}

char *db_quote_ident(const struct db *db UNUSED, const char *name)
{
	return db_quote(name);
}
