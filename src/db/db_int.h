/*
 * db_int.h - what the files of the db module share, and nothing else sees.
 *
 * db.c owns the public entry points and dispatches to a backend through a
 * small table of operations (sqlite.c, pg.c), in the manner of tig's view
 * tables: adding a backend touches only its own file and the table list.
 * Cursors and writers have a common head that db.c reads directly, so the
 * accessors (db_cursor_text, ...) cost no indirect call per value.
 */
#ifndef SLUICE_DB_INT_H
#define SLUICE_DB_INT_H

#include <stdatomic.h>

#include "db.h"

struct db_ops {
	int  (*open)(struct db *db, const char *url, const struct db_options *opt,
		     struct err *e);
	void (*close)(struct db *db);
	void (*cancel)(struct db *db);
	bool (*alive)(struct db *db, bool round_trip);   /* NULL: always */
	int  (*socket)(struct db *db);                   /* NULL: none */
	int  (*notifications)(struct db *db, void (*fn)(void *arg, const char *payload),
			      void *arg, struct err *e);  /* NULL: none */
	/* written (may be NULL): see db_exec_written */
	int  (*exec)(struct db *db, const char *sql, const char *const *params,
		     int nparams, int64_t *affected, int64_t *written, struct err *e);
	int  (*exec_script)(struct db *db, const char *sql, struct err *e);
	struct db_cursor *(*query)(struct db *db, const char *sql,
				   const char *const *params, int nparams,
				   struct err *e);
	struct db_cursor *(*query_bulk)(struct db *db, const char *sql, struct err *e);
	int  (*cursor_next)(struct db_cursor *c, struct err *e);
	void (*cursor_close)(struct db_cursor *c);
	bool (*in_transaction)(const struct db *db);
	bool (*tx_failed)(const struct db *db);
	const char *(*begin_sql)(const struct db *db);
	struct db_writer *(*writer_open)(struct db *db, const char *table,
					 const char *const *columns, int ncols,
					 const struct db_table *def, struct err *e);
	int  (*writer_row)(struct db_writer *w, const char *const *values,
			   struct err *e);
	void (*writer_batch)(struct db_writer *w);     /* may be NULL */
	int  (*writer_copy_line)(struct db_writer *w, const char *line, size_t len,
				 struct err *e);
	int  (*writer_close)(struct db_writer *w, int64_t *rows, struct err *e);
	void (*writer_abort)(struct db_writer *w);
	int  (*list_tables)(struct db *db, struct vec *out, struct err *e);
	int  (*table_exists)(struct db *db, const char *table, struct err *e);
	struct db_table *(*describe)(struct db *db, const char *table, struct err *e);
	int  (*widen_column)(struct db *db, const char *table, const char *column,
			     struct db_coltype from, struct db_coltype to,
			     struct err *e);
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

struct db {
	const struct db_ops *ops;
	enum db_kind kind;
	char *label;            /* "warehouse", or the redacted URL */
	bool read_only;
	bool snapshot;          /* SQLite: opened immutable (see sqlite.c) */
	atomic_bool cancel_requested;
	struct db_cursor *busy; /* PostgreSQL: the cursor that owns the wire */
	bool copying;           /* a writer owns the connection: PostgreSQL's
				   COPY, or a batched SQLite writer's thread */
	void *impl;             /* the backend's connection state */
};

/* The head of every cursor; a backend allocates a larger struct that
 * starts with this one. */
struct db_cursor {
	struct db *db;
	int ncols;
	char **names;
	struct db_coltype *types;
	const char **vals;      /* current row; NULL = SQL NULL */
	size_t *lens;
	bool done;
};

/* The head of every writer, likewise. */
struct db_writer {
	struct db *db;
	char *table;
	int ncols;
	char **columns;
	struct db_coltype *types;  /* the target columns' declared types */
	int64_t rows;              /* rows accepted so far */
	bool failed;
};

/* ---- shared helpers (db.c) ------------------------------------------- */
void db_cursor_init(struct db_cursor *c, struct db *db, int ncols);
void db_cursor_free_head(struct db_cursor *c);
void db_writer_init(struct db_writer *w, struct db *db, const char *table,
		    const char *const *columns, int ncols, const struct db_table *def);
void db_writer_free_head(struct db_writer *w);
/* An error with every registered secret masked out of the message. */
int  db_fail(struct err *e, enum err_code code, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* "row 17, column unit_price" into w's error, for the row being written
 * (w->rows + 1, and the writer is marked failed), or for a given row
 * (1-based) with db_fail_row_at, which only writes the error (a batched
 * SQLite writer's thread calls it; the caller marks the writer failed).
 * A column < 0 names the row alone. */
int  db_fail_row(struct db_writer *w, struct err *e, int col, enum err_code code,
		 const char *fmt, ...) PRINTF_LIKE(5, 6);
int  db_fail_row_at(struct db_writer *w, struct err *e, int64_t row, int col,
		    enum err_code code, const char *fmt, ...) PRINTF_LIKE(6, 7);
/* The first column of every row of c, copied onto out; c is closed (NULL
 * c: -1, its error already set).  The backends' list_tables. */
int  db_collect_first_column(struct db_cursor *c, struct vec *out, struct err *e);
/* The backends' describe: a catalogue query with a row per column, name
 * and type first; read_flags sets not_null and primary_key from the row's
 * other values.  c is closed; a table without rows is ERR_NOTFOUND. */
struct db_table *db_table_from_catalogue(struct db_cursor *c, const char *table,
					 void (*read_flags)(struct db_column *col,
							    const char *const *vals),
					 struct err *e);
/* Past keyword `word` (any case, a whole word) and the blanks after it,
 * or NULL when the text does not go on with it. */
const char *db_sql_keyword(const char *p, const char *word);
/* Past one name, quoted or bare, schema-qualified or not; NULL if none. */
const char *db_sql_name_end(const char *p);
/* Is sql COPY table [(columns)] FROM ..., which writes rows?  COPY's tag
 * ("COPY n") is the same for the rows COPY ... TO reads. */
bool db_sql_copies_in(const char *sql);
/* Line and column (1-based) of a 1-based character position in sql. */
void db_sql_line_col(const char *sql, long pos, int *line, int *col);
/* Quote an identifier without a connection (both dialects agree). */
char *db_quote(const char *name);
void  db_buf_quote(struct buf *b, const char *name);
/* "table" ("col1", "col2", ...): the head of a COPY, INSERT or CREATE INDEX. */
void  db_buf_quote_columns(struct buf *b, const char *table,
			   const char *const *columns, int ncols);

/* ---- COPY text format (copy.c) --------------------------------------- */
/* Append one field, escaped; NULL appends \N. */
void db_copy_escape(struct buf *b, const char *s, size_t len);
/* Split one COPY line (without or with its trailing newline) in place into
 * at most `max` fields, unescaping them and NUL-terminating each (so
 * line[len] must be writable); NULL fields get vals[i] = NULL.  Returns
 * the number of fields found, or -1 when there are more than max. */
int  db_copy_split(char *line, size_t len, const char **vals, size_t *lens, int max);

/* ---- PostgreSQL bulk read (pg.c) ------------------------------------- */
/* Run COPY (sql) TO STDOUT and hand each line (with its newline) to fn. */
int  db_pg_copy_out(struct db *db, const char *sql,
		    int (*fn)(void *arg, const char *line, size_t len, struct err *e),
		    void *arg, struct err *e);

/* ---- SQLite column widening (sqlite_widen.c) ------------------------- */
int  db_sqlite_widen_column(struct db *db, const char *table, const char *column,
			    struct db_coltype from, struct db_coltype to, struct err *e);

/* ---- value forms (typemap.c) ------------------------------------------- */
/* PostgreSQL's float8 output: shortest text that reads back exactly. */
void db_format_double(double d, char *out, size_t n);
/* Parse a boolean the way PostgreSQL does; false if not a boolean. */
bool db_parse_bool(const char *s, bool *out);
/* A numeric literal rewritten canonically (no exponent, no leading zeros,
 * rounded half away from zero to `scale` when scale >= 0); false when s is
 * not a number or needs more than max_int_digits before the point (pass
 * -1 for no limit).  "NaN" passes through. */
bool db_numeric_canon(const char *s, int scale, int max_int_digits, struct buf *out);
/* A double rendered with exactly `scale` decimals. */
void db_format_fixed(double d, int scale, char *out, size_t n);
/* Timestamps and times rewritten in the canonical form ("T" -> " ", zone
 * folded into UTC, trailing zeros of the fraction dropped); false if junk. */
bool db_timestamp_canon(const char *s, char *out, size_t n);
bool db_date_canon(const char *s, char *out, size_t n);
bool db_time_canon(const char *s, char *out, size_t n);
/* Whether SQLite should keep this numeric column as exact text (see the
 * note in typemap.c). */
bool db_numeric_as_text(struct db_coltype t);

#endif
