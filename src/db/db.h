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
 * quoted by db_quote_ident; values are always bound, never pasted.  On
 * SQLite a parameter that is exactly a canonical integer ("42", "-7") is
 * bound as an integer and anything else as text, so "$1 > 5" compares
 * numbers as it does on PostgreSQL.
 *
 * How SQLite stores each type (declared type names, affinities, why wide
 * numerics are "numeric_text") is described at the top of typemap.c; values
 * read back in the canonical forms above either way.
 *
 * Threads: a struct db and everything opened from it belong to one thread
 * at a time.  db_cancel() alone may be called from any thread.
 * One thing at a time on a connection: while a cursor or a writer is open
 * on a PostgreSQL connection, or a batched writer (db_writer_batch) on
 * either, other statements on it fail with ERR_INTERNAL (SQLite allows
 * statements while a cursor or an unbatched writer is open).
 * Errors: every fallible call fills a struct err: ERR_DB for the server's
 * complaints, with its message, PostgreSQL's detail in parentheses and
 * "at line L, column C" of the statement where the server gave a position;
 * ERR_READONLY for writes refused by a read-only session; ERR_CANCELLED
 * after db_cancel.  Registered secrets (passwords) are masked in every
 * message.
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

/* A statement waiting for a lock another connection holds (SQLite: the
 * database file's write lock, which one connection at a time has). */
struct db_wait {
	const char *label;       /* the connection ("warehouse") */
	const char *what;        /* "the write lock on wh.db" */
	usec_t waited;           /* so far (all of it when over) */
	bool over;               /* the wait ended: the lock was taken, or... */
	bool gave_up;            /* ...busy_timeout_ms ran out (or a cancel) */
};

struct db_options {
	bool read_only;          /* enforced by the server / SQLite, not by us */
	const char *password;    /* from password_env; never logged */
	int busy_timeout_ms;     /* SQLite: how long a statement waits for a lock
				    another connection holds; 0 = 5000.  A
				    db_cancel ends the wait at once */
	const char *label;       /* connection name for messages ("warehouse") */
	/* PostgreSQL: once connected the label gets " HOST:PORT/DBNAME" as
	 * libpq reports them, so that a connection whose label alone would not
	 * say which server it is (the control store) names it; never the
	 * conninfo, which may hold a password. */
	bool label_names_server;
	/* SQLite: called from the waiting statement's thread once a wait for
	 * a lock has lasted a second, every minute after that, and once more
	 * (over = true) when it ends; NULL = nobody is told. */
	void (*on_wait)(void *arg, const struct db_wait *w);
	void *on_wait_arg;
};

/* URL forms: "sqlite:PATH" (PATH as given; resolve relative paths first),
 * "sqlite::memory:", "postgresql://...", "postgres://...", or a libpq
 * conninfo string ("host=... dbname=...", "service=NAME").
 * SQLite: WAL for files, foreign keys on, busy timeout; read-only opens
 * with SQLITE_OPEN_READONLY and fails with ERR_NOTFOUND if the file is
 * missing.  PostgreSQL: the URL is passed whole to PQconnectdbParams and
 * the password, "-c default_transaction_read_only=on" (added to any
 * options the URL has), TimeZone=UTC and a 10 s connect timeout (unless
 * the URL sets one) go in separate keywords, never into the URL text.
 * The password and any password inside the URL are registered with
 * log_add_secret.  The label defaults to the redacted URL. */
struct db *db_open(const char *url, const struct db_options *opt, struct err *e);
void  db_close(struct db *db);
enum db_kind db_kind(const struct db *db);
const char *db_label(const struct db *db);
bool  db_is_read_only(const struct db *db);
/* A read-only SQLite database in WAL mode whose -shm file is missing and
 * cannot be created (the directory is not ours to write) is opened as an
 * immutable snapshot: what the file held then, without locks, never
 * changing.  True for such a connection; reopen to see later commits. */
bool  db_is_snapshot(const struct db *db);
/* True for a URL db_open would accept; *kind set when non-NULL. */
bool  db_url_valid(const char *url, enum db_kind *kind);
/* The URL with any password replaced by "****", for display.  Caller frees. */
char *db_url_redacted(const char *url);

/* Whether the connection can still be used.  False when the server closed
 * it (a restart, a crash, an administrator's pg_terminate_backend) or the
 * network dropped it; SQLite is always alive.  Cheap: it reads, without
 * waiting, whatever the server sent meanwhile (a server going away says
 * goodbye and closes the socket, which marks the connection dead).  With
 * `round_trip` it also asks the server (one empty query), which finds a
 * connection that went silent; that waits for the server, so do it only
 * for a connection that sat idle.  A connection in a transaction, or with
 * a cursor or writer open, is not probed: true unless already known dead
 * (its next statement reports a broken connection itself). */
bool  db_alive(struct db *db, bool round_trip);

/* Give `db` the connection of `fresh` (a new connection to the same
 * database, opened with the same options) in place of its own, which is
 * closed; `fresh` is freed.  `db` keeps its identity, so every pointer to
 * it now reaches the new connection: this is how a connection found dead
 * is replaced while others hold it.  Neither may have a cursor or writer
 * open; db_cancel on either must not run meanwhile (the caller
 * serialises). */
void  db_replace(struct db *db, struct db *fresh);

/* Ask the statement running on `db` to stop; it fails with ERR_CANCELLED.
 * Safe from any thread and from a signal handler's deferred work (PQcancel
 * on a PGcancel made at connect time; sqlite3_interrupt), but not
 * concurrently with db_close.  A cancel that arrives between statements
 * is lost, not kept for the next one. */
void  db_cancel(struct db *db);

/* Notifications (PostgreSQL LISTEN/NOTIFY): the connection's socket, to
 * poll for what the server sends while nothing runs (-1 on SQLite or a
 * closed connection), and reading what arrived without waiting: fn is
 * called with each notification's payload; returns how many there were,
 * or -1 when the connection is gone. */
int   db_socket(struct db *db);
int   db_notifications(struct db *db, void (*fn)(void *arg, const char *payload),
		       void *arg, struct err *e);

/* ---- statements -------------------------------------------------------- */
/* One statement.  *affected (may be NULL) gets the rows it changed (or
 * returned, for a query).  Using $k with k > nparams is an error. */
int   db_exec(struct db *db, const char *sql, const char *const *params,
	      int nparams, int64_t *affected, struct err *e);
/* One statement, counting the rows it wrote into tables, alike on both
 * dialects: those it inserted, updated, deleted or merged (whatever the
 * statement starts with: WITH, EXECUTE), and those it put into a table
 * it made (CREATE TABLE AS, SELECT INTO, CREATE MATERIALIZED VIEW), the
 * rows COPY ... FROM (a server file or program) loaded, and the rows a
 * materialized view holds after REFRESH MATERIALIZED VIEW (counted in
 * the view, after the statement, in the same transaction).
 * Anything else writes 0: a query's rows are read (COPY ... TO too), DDL
 * writes none, and a trigger's rows are not the statement's.
 * PostgreSQL's count is its command tag's; SQLite, which counts no rows
 * of CREATE TABLE AS, counts the table it made. */
int   db_exec_written(struct db *db, const char *sql, const char *const *params,
		      int nparams, int64_t *written, struct err *e);
/* Several statements, no parameters (a SQL file).  Stops at the first
 * error, whose message names the line of the statement that failed. */
int   db_exec_script(struct db *db, const char *sql, struct err *e);

/* A streaming cursor: rows arrive one at a time and are never all held in
 * memory (PostgreSQL single-row mode, SQLite stepping).  On PostgreSQL an
 * error in the statement is reported here, one found while producing rows
 * by db_cursor_next.  Closing early is cheap: a long remainder is
 * cancelled rather than read. */
struct db_cursor *db_query(struct db *db, const char *sql,
			   const char *const *params, int nparams, struct err *e);
/* The same, through COPY (query) TO STDOUT on PostgreSQL: the bulk read
 * (the query is described first so names and types are known).  On
 * SQLite it is db_query.  No parameters; a trailing ';' is allowed. */
struct db_cursor *db_query_bulk(struct db *db, const char *sql, struct err *e);
/* 1: a row is ready; 0: no more rows; -1: error. */
int   db_cursor_next(struct db_cursor *c, struct err *e);
int   db_cursor_ncols(const struct db_cursor *c);
const char *db_cursor_name(const struct db_cursor *c, int col);
/* The column's type: the declared type on SQLite, or for an expression
 * the storage class of its first value (DT_TEXT until a row is read). */
struct db_coltype db_cursor_type(const struct db_cursor *c, int col);
/* NULL for SQL NULL.  Valid until the next db_cursor_next. */
const char *db_cursor_text(const struct db_cursor *c, int col);
size_t db_cursor_len(const struct db_cursor *c, int col);
void  db_cursor_close(struct db_cursor *c);

/* One value from the first row.  Return 1 found, 0 no row, -1 error.
 * *out is NULL for SQL NULL; caller frees.  db_query_int also accepts an
 * integral real ("12.0", what SQLite's sum() may give). */
int   db_query_value(struct db *db, const char *sql, const char *const *params,
		     int nparams, char **out, struct err *e);
int   db_query_int(struct db *db, const char *sql, const char *const *params,
		   int nparams, int64_t *out, struct err *e);

/* ---- transactions --------------------------------------------------------
 * SQLite begins with BEGIN IMMEDIATE (plain BEGIN when read-only), so a
 * writer waits for the lock up to the busy timeout at db_begin instead of
 * failing at its first write.  db_commit of a PostgreSQL transaction in
 * which a statement failed rolls it back and returns ERR_DB (PostgreSQL
 * itself would answer COMMIT with a quiet ROLLBACK).  When db_commit
 * fails otherwise, the transaction may still be open: call db_rollback.
 * db_rollback closes an open cursor first; abort an open writer before. */
int   db_begin(struct db *db, struct err *e);
int   db_commit(struct db *db, struct err *e);
void  db_rollback(struct db *db);             /* best effort; never fails loudly */
bool  db_in_transaction(const struct db *db);

/* ---- bulk write -------------------------------------------------------------
 * PostgreSQL: COPY table (cols) FROM STDIN in text format, buffered in a
 * fixed-size buffer.  SQLite: one prepared INSERT, stepped per row (or a
 * multi-row INSERT per batch of rows, see db_writer_batch).  The
 * caller owns the transaction (db_begin before, db_commit after), so a
 * load and its ledger entry commit together.
 *
 * Opening describes the table: a missing table or column is ERR_NOTFOUND.
 * Errors name the row (1-based, counted from the writer's first row) and
 * column in err.where, e.g. "row 17, column unit_price".  SQLite checks
 * each value against its column's type as PostgreSQL would (integers,
 * numbers and numeric overflow, booleans, dates, times, timestamps,
 * varchar length) and reports at db_writer_row; PostgreSQL reports a bad
 * value when the COPY ends, at db_writer_close, with the row and column
 * the server names.  After an error the writer only accepts
 * db_writer_abort.  Close and abort free the writer. */
struct db_writer *db_writer_open(struct db *db, const char *table,
				 const char *const *columns, int ncols,
				 struct err *e);
/* values[i] NULL = SQL NULL. */
int   db_writer_row(struct db_writer *w, const char *const *values, struct err *e);
/* Let the writer trade the moment of an error for speed: on SQLite rows
 * are then checked and converted at db_writer_row as always (a bad value
 * is still reported there, naming its row and column), but inserted
 * several at a time in one statement, on a thread of the writer's own
 * while the caller goes on with the next rows; so what only the database
 * finds (a constraint, a full disk) may be reported by a later
 * db_writer_row or by db_writer_close, with the row it concerns in
 * err.where as "row N" when it is that row's fault, and the rows are in
 * the table once db_writer_close returns.  The writer owns the connection
 * until it is closed or aborted (other statements fail, as during a
 * COPY).  That is how PostgreSQL's COPY works anyway, so on PostgreSQL
 * this does nothing.  Call it right after opening. */
void  db_writer_batch(struct db_writer *w);
/* A row already in COPY text format ("a\tb\\N\n"): the PostgreSQL-to-
 * PostgreSQL fast path, appended to the COPY buffer untouched.  On SQLite
 * it is parsed and inserted. */
int   db_writer_copy_line(struct db_writer *w, const char *line, size_t len,
			  struct err *e);
/* *rows: rows written (PostgreSQL: as the server counted them). */
int   db_writer_close(struct db_writer *w, int64_t *rows, struct err *e);
void  db_writer_abort(struct db_writer *w);   /* the transaction must roll back */

/* Pass a query's rows straight into a writer: COPY TO piped into COPY FROM
 * when both ends are PostgreSQL, cursor-to-writer otherwise.  The query's
 * columns must match the writer's in number and order.  `from` and the
 * writer's connection must differ when `from` is PostgreSQL.  *rows: rows
 * passed in this call.  On error the writer must be aborted. */
int   db_copy_query(struct db *from, const char *sql, struct db_writer *to,
		    int64_t *rows, struct err *e);

/* ---- introspection and DDL ---------------------------------------------- */
/* Table and view names in the default schema (current_schema() on
 * PostgreSQL), sorted bytewise; SQLite's own sqlite_* tables left out,
 * sluice's _sluice_* tables included.  Strings owned by `out`. */
int   db_list_tables(struct db *db, struct vec *out, struct err *e);
/* 1 exists, 0 does not, -1 error. */
int   db_table_exists(struct db *db, const char *table, struct err *e);
/* Columns in order with types, NOT NULL and primary key.  ERR_NOTFOUND if
 * missing.  Free with db_table_free.  A type db_type_parse does not know
 * is reported as DT_TEXT; primary key columns are reported NOT NULL on
 * both dialects.  SQLite matches names without regard to ASCII case, as
 * SQLite itself does. */
struct db_table *db_describe(struct db *db, const char *table, struct err *e);
/* 1 the table has the column (names compared without regard to ASCII
 * case), 0 it has not, -1 error (ERR_NOTFOUND: no such table). */
int   db_column_exists(struct db *db, const char *table, const char *column,
		       struct err *e);
void  db_table_free(struct db_table *t);
int   db_row_count(struct db *db, const char *table, int64_t *out, struct err *e);
/* Text naming this very table rather than its name, so that a table dropped
 * and made again (by other DDL, on SQLite) is told from the one before:
 * PostgreSQL's oid, a hash of SQLite's CREATE statement.  1 found (*out
 * set; caller frees), 0 no such table, -1 error. */
int   db_table_identity(struct db *db, const char *table, char **out, struct err *e);
/* DDL runs in the caller's transaction when there is one (both dialects
 * roll DDL back), so a rename-rename-drop swap is all or nothing. */
int   db_create_table(struct db *db, const struct db_table *def,
		      bool if_not_exists, struct err *e);
/* Make def unless a table of its name exists, safely when another
 * session may make it at the same moment (two runs' first loads): 1 made,
 * 0 there already (made by another meanwhile, perhaps: describe it),
 * -1 error.  On PostgreSQL the check and CREATE hold a transaction-level
 * lock on the name, the caller's transaction's (or one of its own), so
 * the other waits until this transaction ends and then finds the table. */
int   db_create_table_once(struct db *db, const struct db_table *def, struct err *e);
int   db_add_column(struct db *db, const char *table, const struct db_column *col,
		    struct err *e);
/* Widen a column's type in place to db_type_widen(current, to): never
 * narrower than it was, and nothing happens when that is the current
 * type.  PostgreSQL: ALTER ... TYPE ... USING.  SQLite: the declared type
 * is rewritten in sqlite_master (SQLite's documented procedure for
 * changes that leave the file format alone), then stored values are
 * brought to the new storage (dates get " 00:00:00", booleans become
 * 'true'/'false' text, ...), all inside a savepoint.  SQLite refuses to
 * change an INTEGER PRIMARY KEY (it is the rowid): ERR_INVALID. */
int   db_widen_column(struct db *db, const char *table, const char *column,
		      struct db_coltype to, struct err *e);
int   db_rename_table(struct db *db, const char *from, const char *to, struct err *e);
int   db_drop_table(struct db *db, const char *table, bool if_exists, struct err *e);
int   db_create_index(struct db *db, const char *table, const char *const *columns,
		      int ncols, bool unique, struct err *e);
/* The statements db_create_table and db_create_index run, as text in
 * kind's dialect (appended to out), for SQL files that must say the same
 * on either dialect.  identity (NULL: none) names a column numbered on
 * insert when it is given no value: def's only primary key column, an
 * integer; PostgreSQL's bigserial, SQLite's rowid.  ERR_INVALID for a
 * table with no columns, an index with none, or another identity. */
int   db_table_sql(enum db_kind kind, const struct db_table *def, bool if_not_exists,
		   const char *identity, struct buf *out, struct err *e);
int   db_index_sql(const char *table, const char *const *columns, int ncols, bool unique,
		   struct buf *out, struct err *e);

/* Do a and b reach the same database, so that a statement run on b reads
 * what the same statement would read on a?  SQLite: the same file.
 * PostgreSQL: the same server and database (b's server shows a's session),
 * the same role and the same search_path.  1 yes; 0 no, with *why
 * (caller frees) saying what differs; -1 error.  On PostgreSQL, call it
 * before b's transaction reads pg_stat_activity (a transaction keeps its
 * first view of it), e.g. outside one. */
int   db_same_database(struct db *a, struct db *b, char **why, struct err *e);

/* ---- names and types --------------------------------------------------------- */
/* "name" with embedded quotes doubled (what PQescapeIdentifier does, and
 * SQLite's rule too); caller frees.  A name is one identifier in the
 * default schema: "a.b" is a table named a.b. */
char *db_quote_ident(const struct db *db, const char *name);
/* Past the blanks and comments (-- to the line's end, slash-star to
 * star-slash) at p, in SQL text of either dialect. */
const char *db_sql_skip_blank(const char *p);
/* If sql is REFRESH MATERIALIZED VIEW [CONCURRENTLY] NAME, NAME as
 * written (caller frees), and *populated (may be NULL) false for WITH NO
 * DATA; else NULL. */
char *db_sql_refreshed_view(const char *sql, bool *populated);
/* Dialect spelling of a type: PostgreSQL "bigint", "numeric(10,2)",
 * "double precision", "jsonb"...; SQLite "integer", "numeric(10,2)" up to
 * 15 digits and "numeric_text(20,10)" beyond, "json_text" (typemap.c). */
void  db_type_sql(enum db_kind kind, struct db_coltype t, char *out, size_t n);
/* Parse a declared SQL type of either dialect (PostgreSQL's format_type
 * spellings included); false if unknown. */
bool  db_type_parse(const char *decl, struct db_coltype *out);
const char *db_type_name(enum db_type t);          /* "numeric" */
/* The narrowest type holding both; sets *widened when the result differs
 * from `from`.  Rules: equal types stay; INT < NUMERIC < FLOAT (INT counts
 * as numeric(19,0); numerics keep the larger integer digits and the larger
 * scale; an unconstrained numeric absorbs any; FLOAT is approximate);
 * varchar(n) grows to the longer, text absorbs it; DATE with TIMESTAMP is
 * TIMESTAMP; anything else together is TEXT. */
struct db_coltype db_type_widen(struct db_coltype from, struct db_coltype to,
				bool *widened);
/* The type a text value fits best (for schema inference on raw loads):
 * INT for int64 integers, NUMERIC(p,s) for decimals and larger integers,
 * FLOAT for exponents, BOOL for t/f/true/false, DATE, TIME, TIMESTAMP for
 * ISO forms, JSON for {...} and [...], TEXT otherwise (and for "" and
 * NULL: callers skip NULLs). */
struct db_coltype db_type_infer(const char *text);

/* ---- the ledger ---------------------------------------------------------------
 * Every database sluice writes to holds a small table, _sluice_ledger, that
 * records what has been committed there (a pipe's file, a run's step, a
 * watermark) in the same transaction as the data itself.  It is the truth
 * for exactly-once: after a crash the control store is reconciled from it,
 * never the other way round.
 *
 * Each entry names the control store that wrote it (store_id), so that
 * several stores can share a database without taking each other's
 * entries; the keys say whether an entry is one store's own (they contain
 * the store's id) or a fact any store may read (a pipe's file: its rows
 * are in the table whoever loaded them).  Entries written before stores
 * had ids have a NULL store_id. */
struct db_ledger_entry {
	char   *store_id;      /* NULL: written before control stores had ids */
	int64_t run_id;
	char   *info;          /* may be NULL */
};
/* Create _sluice_ledger if missing, or give an older one its store_id
 * column (fails on a read-only session only if something is missing). */
int   db_ledger_ensure(struct db *db, struct err *e);
/* 1 found (*out filled; free with db_ledger_entry_free), 0 absent, -1 error. */
int   db_ledger_get(struct db *db, const char *key, struct db_ledger_entry *out,
		    struct err *e);
void  db_ledger_entry_free(struct db_ledger_entry *en);
/* Insert or replace; call inside the transaction that commits the data.
 * The table: key text primary key, run_id, committed_at (UTC, from the
 * replaceable clock), info text, store_id text. */
int   db_ledger_put(struct db *db, const char *key, const char *store_id,
		    int64_t run_id, const char *info, struct err *e);
int   db_ledger_delete(struct db *db, const char *key, struct err *e);
/* May the control store `store_id` take this database's entries without a
 * store id as its own?  Only one store may: the first to ask while no
 * entry of another store is in the ledger, which records its claim (key
 * "legacy-owner").  1 yes; 0 no, with *other (caller frees) naming the
 * store that claimed them or whose entries are there; -1 error. */
int   db_ledger_claim_legacy(struct db *db, const char *store_id, char **other,
			     struct err *e);

#endif
