/*
 * store_int.h - what the files of the control store share: the struct
 * behind the handle, the per-dialect table, bound-parameter lists,
 * transactions that bump the change counters, and column readers.
 * Nothing outside src/store includes this.  Functions declared here carry
 * the store's short prefix st_ (store_ is for store.h), so that what the
 * library exports says whose it is.
 */
#ifndef SLUICE_STORE_INT_H
#define SLUICE_STORE_INT_H

#include "db/db.h"
#include "store/store.h"

/* The few places where SQLite and PostgreSQL need different SQL. */
struct store_dialect {
	const char *name;          /* "sqlite", "postgresql" */
	const char *identity;      /* replaces {ID} in migrations */
	const char *begin_write;   /* a transaction that will write */
	const char *begin_read;    /* several reads on one snapshot */
	const char *lock_row;      /* appended to SELECT ... to lock rows read */
	const char *skip_locked;   /* appended to a claiming SELECT */
	/* Serialise a critical section on $1 until commit; NULL when
	 * begin_write already serialises every writer (SQLite). */
	const char *lock_key;
	const char *lock_migrate;  /* the same for migrations (no parameter) */
	const char *instr;         /* position of a substring: f(haystack, needle) */
	const char *analyze;       /* refresh planner statistics; NULL = the server does */
};

extern const struct store_dialect store_sqlite_dialect;

/* How many runs of these pools a claim would take now (runs.c; counted up
 * to 100), for the heartbeat (object_states.c). */
int st_runs_claimable(struct store *s, const char *const *pools, size_t npools,
		      int64_t *n, struct err *e);
/* How many notifications a sender would take now (notifyq.c). */
int st_notify_due(struct store *s, int64_t *n, struct err *e);
extern const struct store_dialect store_pg_dialect;

/* What a SQLite store's files look like: a snapshot is opened again when
 * this changes. */
struct store_files {
	int64_t ino, size, mtime_ns, wal_size, wal_mtime_ns;
	bool shm;
};

struct store {
	struct db *db;
	char *url;                 /* redacted, for messages */
	const struct store_dialect *d;
	bool read_only;
	int64_t own_commits;       /* write transactions committed here */
	struct store_identity id;  /* read at open (identity.c) */
	/* reconnecting (link.c) */
	char *conn_url;            /* as given */
	char *password;            /* the options' password, or NULL */
	int busy_timeout_ms;
	struct store_link *link;
	bool own_link;             /* opened without one: freed with the handle */
	usec_t opened;             /* monotonic: when the connection was made */
	bool in_tx;                /* between st_begin and commit or rollback */
	bool lost;                 /* the last failure: the server was out of reach */
	int poke_fd;               /* SQLite: to the event socket, or -1 (evsock.c) */
	usec_t poke_retry_at;      /* monotonic: no server there before */
	char *path;                /* SQLite: the file; else NULL */
	bool snapshot;             /* SQLite read as an immutable snapshot */
	struct store_files files;  /* when it was opened */
	struct store_audit *audit; /* announced, written by the next commit */
};

/* ---- schema (schema.c) ------------------------------------------------------ */
struct store_migration {
	int version;               /* ascending; a number reserved for another
				      branch may be skipped until it merges */
	const char *description;
	const char *sql;           /* statements; {ID} = identity column */
	/* More work in the migration's transaction, after its SQL; NULL = none. */
	int (*after)(struct store *s, struct err *e);
};
extern const struct store_migration store_migrations[];
extern const int store_nmigrations;

/* ---- identity (identity.c) ---------------------------------------------------- */
/* Migration 5: make the store's id.  A store that already holds runs, load
 * history, watermarks or stream offsets is older than identities: its
 * records in data databases carry no id, and it may adopt them. */
int   store_identity_create(struct store *s, struct err *e);
/* Read the identity into s->id (after migrating, or a read-only open). */
int   store_identity_load(struct store *s, struct err *e);
void  store_identity_clear(struct store_identity *id);

/* ---- bound parameters ----------------------------------------------------- */
#define SQLP_MAX 32

struct sqlp {
	const char *v[SQLP_MAX];
	char num[SQLP_MAX][24];
	int n;
};
#define SQLP_INIT { .n = 0 }

/* Each returns the placeholder number ($N) of the value just added. */
int   st_sqlp_str(struct sqlp *p, const char *s);
int   st_sqlp_i64(struct sqlp *p, int64_t x);
int   st_sqlp_i64_or_null(struct sqlp *p, int64_t x);   /* 0 binds NULL */

/* ---- the connection (link.c) ------------------------------------------------ */
/* The connection as store_open makes it (the caller sets up the rest). */
struct db *st_connect(const char *url, const struct store_options *opt, struct err *e);
/* Before a statement: a connection the server dropped is replaced, unless
 * a transaction was open on it (then the statement fails). */
int   st_ready(struct store *s, struct err *e);
/* After a failed statement: when the connection broke under it, mark the
 * handle lost and say it was the control store's. */
void  st_failed(struct store *s, struct err *e);

/* ---- statements ------------------------------------------------------------ */
int   st_exec(struct store *s, const char *sql, const struct sqlp *p,
	      int64_t *affected, struct err *e);
struct db_cursor *st_query(struct store *s, const char *sql, const struct sqlp *p,
			   struct err *e);
/* First column of the first row: 1 found, 0 no row, -1 error; NULL -> 0. */
int   st_query_i64(struct store *s, const char *sql, const struct sqlp *p,
		   int64_t *out, struct err *e);
/* A statement whose rows, if any, are not wanted (SELECT pg_advisory...). */
int   st_run(struct store *s, const char *sql, const struct sqlp *p, struct err *e);
/* Rows of a cursor turned into structs by `parse` and pushed on `out`;
 * the cursor is closed.  On error `out` is left as it was. */
int   st_collect(struct db_cursor *c, void *(*parse)(struct db_cursor *c),
		 void (*free_item)(void *), struct vec *out, struct err *e);
/* The first row of a cursor as st_collect would make it, or NULL; *rc is
 * 1 found, 0 no row, -1 error.  Any further rows are freed. */
void *st_collect_one(struct db_cursor *c, void *(*parse)(struct db_cursor *c),
		     void (*free_item)(void *), int *rc, struct err *e);

/* ---- transactions ------------------------------------------------------------ */
/* ERR_READONLY when the store is read-only. */
int   st_writable(struct store *s, struct err *e);
/* st_writable + the dialect's write transaction. */
int   st_begin(struct store *s, struct err *e);
/* Bump the counters of `areas` (STORE_AREA_BIT mask) and commit. */
int   st_commit(struct store *s, unsigned areas, struct err *e);
/* The same, counting the change but waking no listener: for writes made
 * every few seconds (heartbeats, lease renewals) that nobody waits on. */
int   st_commit_quietly(struct store *s, unsigned areas, struct err *e);
void  st_rollback(struct store *s);
/* st_begin, one statement, st_commit. */
int   st_write1(struct store *s, unsigned areas, const char *sql,
		const struct sqlp *p, int64_t *affected, struct err *e);
/* st_begin, one INSERT ... RETURNING id, st_commit; the new id in *id
 * when id is non-NULL. */
int   st_insert_id(struct store *s, unsigned areas, const char *sql,
		   const struct sqlp *p, int64_t *id, struct err *e);
/* The dialect's per-key lock (a no-op on SQLite). */
int   st_lock_key(struct store *s, const char *key, struct err *e);

/* ---- columns ------------------------------------------------------------------ */
char   *st_col_str(struct db_cursor *c, int i);        /* owned copy or NULL */
int64_t st_col_i64(struct db_cursor *c, int i);        /* NULL -> 0 */
bool    st_col_bool(struct db_cursor *c, int i);

/* First line of `text`, owned; NULL in, NULL out. */
char *st_first_line(const char *text);
/* Clamp a caller's limit to [1, max] with a default for 0. */
int   st_clamp_limit(int limit, int dflt, int max);
/* Append `s` as a JSON string literal. */
void  st_json_quote(struct buf *b, const char *s);

/* ---- audit (audit.c) ------------------------------------------------------------ */
/* The announced action's row, in the transaction about to commit. */
int   st_audit_write(struct store *s, struct err *e);

/* ---- logs (logs.c) ------------------------------------------------------------ */
/* {"k":"v",...} or NULL when there are no fields. */
char *st_log_fields_json(const struct log_field *fields, size_t n);
/* One INSERT inside the caller's transaction; *id when non-NULL. */
int   st_log_insert(struct store *s, const struct store_log *l, int64_t *id,
		    struct err *e);

/* Enum <-> name through a table of names, case-insensitive parse. */
bool  st_enum_parse(const char *const *names, int n, const char *s, int *out);

/* ---- events on SQLite (evsock.c) ------------------------------------------- */
/* A client of the event socket of "sqlite:PATH", its role sent ('P' poke,
 * 'S' subscribe); -1 when nobody serves it. */
int   st_evsock_connect(const char *url, char role);
/* After a commit: tell the socket's server, if there is one; never waits. */
void  st_poke(struct store *s);
void  st_poke_close(struct store *s);

#endif
