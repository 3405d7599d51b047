/*
 * pipe_int.h - shared by the pipe files of pipes/: pipe.c (which files a
 * refresh tries), pipe_state.c (states and status), pipe_load.c (one file
 * into the table in one transaction), pipe_table.c (the raw table:
 * creation, columns, drift), pipe_after.c and pipe_validate.c.  The
 * stream files do not include it.
 */
#ifndef SLUICE_PIPE_INT_H
#define SLUICE_PIPE_INT_H

#include "pipes/pipes.h"
#include "project/project.h"
#include "db/db.h"
#include "store/store.h"
#include "lake/lake.h"
#include "format/format.h"

/* The columns every raw table has besides its data. */
#define PIPE_COL_ID        "_sluice_id"
#define PIPE_COL_FILE      "_sluice_file"
#define PIPE_COL_LINE      "_sluice_line"
#define PIPE_COL_LOADED_AT "_sluice_loaded_at"

/* ---- states (pipe_state.c) ------------------------------------------------------ */
/* "pipe:NAME", the pipe's store object; caller frees. */
char *pipe_object_name(const struct project_pipe *pipe);
/* "KEY:LINE:COL: message" of an attempt's first error, or NULL; caller frees. */
char *pipe_error_text(const struct store_load *h);
/* STOPPED_ON_ERROR with `error` (the bad file's first error) as its reason. */
int  pipe_stop_on_error(struct store *store, const struct project_pipe *pipe,
			const char *error, struct err *e);
/* 1 when the table is gone although files were loaded into it (*why says
 * so; may be NULL): the pipe stops rather than start a new, silently
 * incomplete table.  0 when not, -1 on error. */
int  pipe_table_missing(struct db *db, struct store *store, const struct project_pipe *pipe,
			char **why, struct err *e);

/* ---- the raw table (pipe_table.c) ------------------------------------------ */
struct raw_col {
	char *name;
	struct db_coltype type;
};

/* What the database says the table is: its data columns (the _sluice_*
 * ones left out) in order. */
struct raw_table {
	char *name;
	bool exists;
	struct raw_col *cols;
	size_t ncols, cap;
};

void pipe_raw_table_init(struct raw_table *t, const char *name);
void pipe_raw_table_free(struct raw_table *t);
/* Describe the table into t (t->exists false when missing).  A table that
 * exists without the _sluice_* columns is ERR_INVALID: a pipe does not
 * write into tables it did not make. */
int  pipe_raw_table_read(struct db *db, struct raw_table *t, struct err *e);
/* The data column named `name`, or -1.  SQLite compares names without
 * regard to ASCII case, as SQLite does. */
int  pipe_raw_table_find(const struct db *db, const struct raw_table *t, const char *name);
/* CREATE TABLE with _sluice_id (INTEGER PRIMARY KEY AUTOINCREMENT on
 * SQLite, bigint identity on PostgreSQL), the data columns and the other
 * _sluice_* columns; in the caller's transaction.  Fills t. */
int  pipe_raw_table_create(struct db *db, struct raw_table *t, const struct raw_col *cols,
		      size_t n, struct err *e);
/* ALTER TABLE ADD COLUMN, remembered in t. */
int  pipe_raw_table_add(struct db *db, struct raw_table *t, const char *name,
		   struct db_coltype type, struct err *e);
/* Widen column i to hold `to` as well; *changed when its type changed. */
int  pipe_raw_table_widen(struct db *db, struct raw_table *t, size_t i, struct db_coltype to,
		     bool *changed, struct err *e);

/* The declared columns of a pipe as raw columns (types parsed; "text" when
 * the project gives none), with the document column last.  ERR_INVALID for
 * a type db_type_parse does not know.  Free with pipe_raw_cols_free. */
int  pipe_declared_columns(const struct project_pipe *pipe, struct raw_col **out,
			   size_t *n, struct err *e);
void pipe_raw_cols_free(struct raw_col *cols, size_t n);
/* A reader of one of the pipe's files: its format, CSV options and the
 * declared columns (decl: pipe_declared_columns, the document last and not
 * read) typed, errors located at `key`. */
struct fmt_reader *pipe_reader_new(const struct project_pipe *pipe, const struct raw_col *decl,
				   const char *key, fmt_read_fn read, void *arg, struct err *e);
/* Why a typed value does not fit its declared column (numeric(p,s) digits,
 * varchar(n) characters), in why; NULL when it fits. */
const char *pipe_value_too_big(struct db_coltype t, const char *v, char *why, size_t n);
/* True when the pipe says its table's shape (columns or document). */
bool pipe_has_shape(const struct project_pipe *pipe);

/* hist.loaded_by of a file adopted from an entry without a store id. */
#define PIPE_LOADED_BY_UNKNOWN "unknown"

/* ---- one file (pipe_load.c) ---------------------------------------------------- */
struct pipe_load {
	/* in */
	const struct project_pipe *pipe;
	struct db *db;
	struct lake *lake;
	const char *key;
	usec_t mtime;                 /* the file's time in the listing (0 unknown) */
	int64_t after;                /* the history row the refresh decided on, or 0 */
	int64_t run_id;
	const char *store_id;         /* the control store loading it */
	bool force;                   /* replace the file's earlier rows */
	bool in_txn;                  /* abort_statement: the caller began the
					 transaction and commits or rolls it back */
	atomic_bool *cancel;
	/* out */
	struct store_load hist;       /* the load history row (strings owned) */
	bool committed;               /* rows and ledger entry committed now (in_txn:
					 written, to commit with the caller's) */
	bool reconciled;              /* committed before: hist rebuilt from the ledger */
	bool adopted;                 /* ... by another control store (hist.loaded_by) */
	bool bad;                     /* the file had bad records */
	struct vec changes;           /* struct store_schema_change *, committed */
};

/* Load one file.  Returns 0 when the file's outcome is settled (loaded,
 * partly loaded, rejected, or found committed before), with L->hist
 * describing it; -1 when the refresh itself cannot go on (the lake, the
 * database, cancellation), with nothing committed for this file. */
int  pipe_load_file(struct pipe_load *L, struct err *e);
void pipe_load_free(struct pipe_load *L);

/* The keys (copies, in key order) of the files pipe_pending counts. */
int  pipe_pending_keys(const struct project_pipe *pipe, struct store *store,
		       struct lake *lake, struct vec *keys, struct err *e);

/* purge or archive (pipe_after.c) a file loaded with this checksum;
 * *moved_to is the archive key (caller frees) or NULL.  -1 leaves the file
 * where it was. */
int  pipe_after_load(struct lake *lake, const struct project_pipe *pipe, const char *key,
		     const char *checksum, char **moved_to, struct err *e);

/* The ledger key of a file: "pipe:NAME:KEY"; caller frees.  Unlike a
 * step's, the key does not name the store: the entry states that the
 * file's rows are in the pipe's table, whichever store loaded them. */
char *pipe_ledger_key(const struct project_pipe *pipe, const char *key);
/* Rebuild a history row from a ledger entry's info; false if unreadable. */
bool pipe_ledger_history(const struct project_pipe *pipe, const char *key,
			 const char *info, struct store_load *out);

#endif
