/*
 * db.h - data connections: one API over SQLite and PostgreSQL.
 *
 * Everything that reads or writes a user's data (and the control store,
 * which is built on this layer) goes through here.  Values cross the API
 * as text in PostgreSQL's canonical text form, or NULL for SQL NULL; that
 * is lossless for every type sluice maps (see enum db_type) and is exactly
 * what COPY speaks, so the bulk paths need no conversion.
 *
 * Canonical text forms:
 *   DT_INT        "-42"                   DT_BOOL       "t" / "f"
 *   DT_NUMERIC    "3.94" (no exponent)    DT_FLOAT      "2.5e-07"
 *   DT_DATE       "2022-11-03"            DT_TIME       "14:20:49.962"
 *   DT_TIMESTAMP  "2022-11-03 14:20:49.962" (UTC, no zone)
 *   DT_TEXT, DT_JSON  the string itself
 *
 * Placeholders are $1..$N in both dialects.  Identifiers are always
 * quoted by db_quote_ident; values are always bound, never pasted.
 *
 * Threads: a struct db and everything opened from it belong to one thread
 * at a time.  db_cancel() alone may be called from any thread.
 * Errors: every fallible call fills a struct err (code ERR_DB for the
 * server's complaints, with its message and, where given, the detail).
 */
#ifndef SLUICE_DB_H
#define SLUICE_DB_H

#include "core/core.h"

enum db_kind { DB_SQLITE, DB_POSTGRES };

enum db_type {
	DT_TEXT,        /* text, varchar(n), char(n) */
	DT_INT,         /* smallint, integer, bigint: carried as 64-bit */
	DT_NUMERIC,     /* numeric(p,s); precision 0 = unconstrained */
	DT_FLOAT,       /* real, double precision */
	DT_BOOL,
	DT_DATE,
	DT_TIME,
	DT_TIMESTAMP,   /* without time zone; sluice stores UTC */
	DT_JSON,        /* json/jsonb on PostgreSQL, text on SQLite */
};

struct db_coltype {
	enum db_type type;
	int precision;  /* numeric precision, or varchar length; 0 = none */
	int scale;      /* numeric scale */
};

struct db_column {
	char *name;
	struct db_coltype type;
	bool not_null;
	bool primary_key;
};

struct db_table {
	char  *name;
	struct db_column *columns;
	size_t ncolumns;
};

struct db;
struct db_cursor;
struct db_writer;

struct db_options {
	bool read_only;          /* enforced by the server / SQLite, not by us */
	const char *password;    /* from password_env; never logged */
	int busy_timeout_ms;     /* SQLite: wait for locks; 0 = 5000 */
	const char *label;       /* connection name for messages ("warehouse") */
};

/* URL forms: "sqlite:PATH" (PATH as given; resolve relative paths first),
 * "sqlite::memory:", "postgresql://...", "postgres://...", or a libpq
 * conninfo string ("host=... dbname=...", "service=NAME"). */
struct db *db_open(const char *url, const struct db_options *opt, struct err *e);
void  db_close(struct db *db);
enum db_kind db_kind(const struct db *db);
const char *db_label(const struct db *db);
bool  db_is_read_only(const struct db *db);
/* True for a URL db_open would accept; *kind set when non-NULL. */
bool  db_url_valid(const char *url, enum db_kind *kind);
/* The URL with any password replaced by "****", for display.  Caller frees. */
char *db_url_redacted(const char *url);

/* Ask the statement running on `db` to stop; it fails with ERR_CANCELLED.
 * Safe from any thread and from a signal handler's deferred work. */
void  db_cancel(struct db *db);

/* ---- statements -------------------------------------------------------- */
int   db_exec(struct db *db, const char *sql, const char *const *params,
	      int nparams, int64_t *affected, struct err *e);
/* Several statements, no parameters (a SQL file). */
int   db_exec_script(struct db *db, const char *sql, struct err *e);

/* A streaming cursor: rows arrive one at a time and are never all held in
 * memory (PostgreSQL single-row mode, SQLite stepping). */
struct db_cursor *db_query(struct db *db, const char *sql,
			   const char *const *params, int nparams, struct err *e);
/* The same, through COPY (query) TO STDOUT on PostgreSQL: the bulk read. */
struct db_cursor *db_query_bulk(struct db *db, const char *sql, struct err *e);
/* 1: a row is ready; 0: no more rows; -1: error. */
int   db_cursor_next(struct db_cursor *c, struct err *e);
int   db_cursor_ncols(const struct db_cursor *c);
const char *db_cursor_name(const struct db_cursor *c, int col);
struct db_coltype db_cursor_type(const struct db_cursor *c, int col);
/* NULL for SQL NULL.  Valid until the next db_cursor_next. */
const char *db_cursor_text(const struct db_cursor *c, int col);
size_t db_cursor_len(const struct db_cursor *c, int col);
void  db_cursor_close(struct db_cursor *c);

/* One value from the first row.  Return 1 found, 0 no row, -1 error.
 * *out is NULL for SQL NULL; caller frees. */
int   db_query_value(struct db *db, const char *sql, const char *const *params,
		     int nparams, char **out, struct err *e);
int   db_query_int(struct db *db, const char *sql, const char *const *params,
		   int nparams, int64_t *out, struct err *e);

/* ---- transactions -------------------------------------------------------- */
int   db_begin(struct db *db, struct err *e);
int   db_commit(struct db *db, struct err *e);
void  db_rollback(struct db *db);             /* best effort; never fails loudly */
bool  db_in_transaction(const struct db *db);

/* ---- bulk write -------------------------------------------------------------
 * PostgreSQL: COPY table (cols) FROM STDIN in text format, buffered in a
 * fixed-size buffer.  SQLite: one prepared INSERT, stepped per row.  The
 * caller owns the transaction (db_begin before, db_commit after), so a
 * load and its ledger entry commit together. */
struct db_writer *db_writer_open(struct db *db, const char *table,
				 const char *const *columns, int ncols,
				 struct err *e);
/* values[i] NULL = SQL NULL.  Errors name the row and column. */
int   db_writer_row(struct db_writer *w, const char *const *values, struct err *e);
/* A row already in COPY text format ("a\tb\\N\n"): the PostgreSQL-to-
 * PostgreSQL fast path.  On SQLite it is parsed and inserted. */
int   db_writer_copy_line(struct db_writer *w, const char *line, size_t len,
			  struct err *e);
int   db_writer_close(struct db_writer *w, int64_t *rows, struct err *e);
void  db_writer_abort(struct db_writer *w);   /* the transaction must roll back */

/* Pass a query's rows straight into a writer: COPY TO piped into COPY FROM
 * when both ends are PostgreSQL, cursor-to-writer otherwise. */
int   db_copy_query(struct db *from, const char *sql, struct db_writer *to,
		    int64_t *rows, struct err *e);

/* ---- introspection and DDL ---------------------------------------------- */
/* Table names in the default schema, sorted; strings owned by `out`. */
int   db_list_tables(struct db *db, struct vec *out, struct err *e);
/* 1 exists, 0 does not, -1 error. */
int   db_table_exists(struct db *db, const char *table, struct err *e);
/* Columns in order with types, NOT NULL and primary key.  ERR_NOTFOUND if
 * missing.  Free with db_table_free. */
struct db_table *db_describe(struct db *db, const char *table, struct err *e);
void  db_table_free(struct db_table *t);
int   db_row_count(struct db *db, const char *table, int64_t *out, struct err *e);
int   db_create_table(struct db *db, const struct db_table *def,
		      bool if_not_exists, struct err *e);
int   db_add_column(struct db *db, const char *table, const struct db_column *col,
		    struct err *e);
/* Widen a column's type in place (PostgreSQL ALTER ... TYPE; SQLite keeps
 * its dynamic typing and rewrites the declared type). */
int   db_widen_column(struct db *db, const char *table, const char *column,
		      struct db_coltype to, struct err *e);
int   db_rename_table(struct db *db, const char *from, const char *to, struct err *e);
int   db_drop_table(struct db *db, const char *table, bool if_exists, struct err *e);
int   db_create_index(struct db *db, const char *table, const char *const *columns,
		      int ncols, bool unique, struct err *e);

/* ---- names and types --------------------------------------------------------- */
/* "name" with embedded quotes doubled; caller frees. */
char *db_quote_ident(const struct db *db, const char *name);
/* Dialect spelling of a type ("numeric(10,2)", "timestamp", "INTEGER"). */
void  db_type_sql(enum db_kind kind, struct db_coltype t, char *out, size_t n);
/* Parse a declared SQL type of either dialect; false if unknown. */
bool  db_type_parse(const char *decl, struct db_coltype *out);
const char *db_type_name(enum db_type t);          /* "numeric" */
/* The narrowest type holding both; sets *widened when `to` != `from`. */
struct db_coltype db_type_widen(struct db_coltype from, struct db_coltype to,
				bool *widened);
/* The type a text value fits best (for schema inference on raw loads). */
struct db_coltype db_type_infer(const char *text);

/* ---- the ledger ---------------------------------------------------------------
 * Every database sluice writes to holds a small table, _sluice_ledger, that
 * records what has been committed there (a pipe's file, a run's step, a
 * watermark) in the same transaction as the data itself.  It is the truth
 * for exactly-once: after a crash the control store is reconciled from it,
 * never the other way round. */
int   db_ledger_ensure(struct db *db, struct err *e);
/* 1 found (*info set, caller frees; may be NULL), 0 absent, -1 error. */
int   db_ledger_get(struct db *db, const char *key, char **info, struct err *e);
/* Insert or replace; call inside the transaction that commits the data. */
int   db_ledger_put(struct db *db, const char *key, int64_t run_id,
		    const char *info, struct err *e);
int   db_ledger_delete(struct db *db, const char *key, struct err *e);

#endif
