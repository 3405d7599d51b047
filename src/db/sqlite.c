/*
 * sqlite.c - the SQLite backend of the db module.
 *
 * Statements are prepared and stepped; parameters are named "$1".."$N" so
 * SQL text is the same as on PostgreSQL.  Values are turned into the
 * canonical text forms of db.h on the way out (booleans stored as 1/0 come
 * out "t"/"f", narrow numerics stored as doubles come out with their
 * declared scale), and writers turn canonical text into the storage that
 * typemap.c describes on the way in.  Files are opened in WAL mode with
 * foreign keys on; read-only sessions are opened with SQLITE_OPEN_READONLY
 * so that SQLite itself refuses writes.  A statement that finds the file
 * locked by another connection waits in our own busy handler: up to
 * busy_timeout_ms, ended by a cancel, telling on_wait what it waits for.
 *
 * Readers who may not write the directory: SQLite reads a WAL database
 * only through its -wal and -shm files, and cannot create them for such a
 * user.  So writers keep them when they close (SQLITE_FCNTL_PERSIST_WAL,
 * the WAL emptied), and a read-only open that finds no -shm (no writer
 * has ever kept one: an older sluice, or the sqlite3 shell) and cannot
 * make one reads the file as an immutable snapshot instead, which
 * db_is_snapshot() says; the caller decides when to open it again.
 */
#include "db_int.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* One connection: SQLite's handle, and the wait for a lock another
 * connection holds, which our own busy handler runs (SQLite's would
 * neither notice a cancel nor say what it waits for). */
struct lite_conn {
	sqlite3 *h;
	char *path;              /* as opened, for messages */
	int timeout_ms;          /* how long a statement waits for the lock */
	void (*on_wait)(void *arg, const struct db_wait *w);
	void *on_wait_arg;
	usec_t wait_start;       /* monotonic: when the current wait began */
	usec_t told_at;          /* on_wait's last call in this wait; 0 = none */
	bool gave_up;            /* the last wait ended without the lock */
};

static inline sqlite3 *lite_handle(const struct db *db)
{
	return db->impl ? ((struct lite_conn *)db->impl)->h : NULL;
}

/* How a result column's values are turned into canonical text. */
enum conv {
	CONV_PLAIN,     /* as SQLite renders it; reals in float form */
	CONV_BOOL,      /* 1/0 -> t/f */
	CONV_SCALED,    /* numeric(p,s): numbers rendered with s decimals */
	CONV_GUESS,     /* no declared type: take the first value's class */
};

struct lite_cursor {
	struct db_cursor base;
	sqlite3_stmt *st;
	enum conv *conv;
	struct buf *scratch;    /* per column, for values we reformat */
	bool first;
};

/* ---- errors ---------------------------------------------------------------- */

static int lite_error(struct db *db, int rc, const char *sql, struct err *e)
{
	sqlite3 *h = lite_handle(db);
	const char *msg = h ? sqlite3_errmsg(h) : sqlite3_errstr(rc);
	int prim = rc & 0xff;
	if (prim == SQLITE_INTERRUPT)
		return db_fail(e, ERR_CANCELLED, "%s: statement cancelled", db->label);
	if (prim == SQLITE_BUSY && atomic_load(&db->cancel_requested))
		return db_fail(e, ERR_CANCELLED, "%s: statement cancelled while waiting "
			       "for a lock", db->label);
	struct lite_conn *lc = db->impl;
	if (prim == SQLITE_BUSY && lc && lc->gave_up) {
		char limit[32];
		duration_format((usec_t)lc->timeout_ms * USEC_PER_MSEC, limit, sizeof limit);
		return db_fail(e, ERR_TIMEOUT, "%s: %s: gave up waiting for the write lock "
			       "on %s after %s (another connection held it)", db->label,
			       msg, lc->path, limit);
	}
	if (prim == SQLITE_READONLY)
		return db_fail(e, ERR_READONLY, "%s: %s%s", db->label, msg,
			       db->read_only ? " (the connection is read-only)" : "");
	/* The file system failed, not the SQL: name the database, so that a
	 * full disk under the control store is not mistaken for a step's. */
	if (prim == SQLITE_FULL || prim == SQLITE_IOERR)
		return db_fail(e, ERR_IO, "%s: %s", db->label, msg);
#if SQLITE_VERSION_NUMBER >= 3038000
	int off = h && sql ? sqlite3_error_offset(h) : -1;
#else
	int off = -1;
#endif
	if (off >= 0) {
		int line, col;
		/* db_sql_line_col counts characters from 1 */
		long chars = 1;
		for (int i = 0; i < off && sql[i]; i++)
			if (((unsigned char)sql[i] & 0xC0) != 0x80)
				chars++;
		db_sql_line_col(sql, chars, &line, &col);
		return db_fail(e, ERR_DB, "%s (at line %d, column %d)", msg, line, col);
	}
	return db_fail(e, ERR_DB, "%s", msg);
}

/* ---- waiting for the write lock -------------------------------------------- */

#define WAIT_TELL_FIRST (1 * USEC_PER_SEC)
#define WAIT_TELL_EVERY (60 * USEC_PER_SEC)

static void tell_wait(struct db *db, struct lite_conn *lc, usec_t now, bool over)
{
	lc->told_at = now;
	if (!lc->on_wait)
		return;
	char *what = xasprintf("the write lock on %s", lc->path);
	struct db_wait w = { .label = db->label, .what = what,
			     .waited = now - lc->wait_start, .over = over,
			     .gave_up = lc->gave_up };
	lc->on_wait(lc->on_wait_arg, &w);
	free(what);
}

/* SQLite's busy handler: another connection holds the lock.  Sleep a
 * little (backing off to 100 ms, so a cancel is noticed within that), say
 * so after a second and every minute, give up after timeout_ms. */
static int lite_busy(void *arg, int count)
{
	struct db *db = arg;
	struct lite_conn *lc = db->impl;
	usec_t now = clock_monotonic_us();
	if (count == 0) {
		lc->wait_start = now;
		lc->told_at = 0;
		lc->gave_up = false;
	}
	usec_t waited = now - lc->wait_start;
	if (atomic_load(&db->cancel_requested) ||
	    waited >= (usec_t)lc->timeout_ms * USEC_PER_MSEC) {
		lc->gave_up = true;
		return 0;
	}
	if (waited >= WAIT_TELL_FIRST &&
	    (!lc->told_at || now - lc->told_at >= WAIT_TELL_EVERY))
		tell_wait(db, lc, now, false);
	static const int backoff_ms[] = { 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 };
	int ms = count < (int)ARRAY_LEN(backoff_ms) ? backoff_ms[count] : 100;
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
	return 1;
}

/* After a statement: the end of any wait it said it had. */
static void wait_done(struct db *db)
{
	struct lite_conn *lc = db->impl;
	if (lc->told_at) {
		tell_wait(db, lc, clock_monotonic_us(), true);
		lc->told_at = 0;
	}
}

static int lite_step(struct db *db, sqlite3_stmt *st)
{
	((struct lite_conn *)db->impl)->gave_up = false;
	int rc = sqlite3_step(st);
	wait_done(db);
	return rc;
}

/* ---- connections ---------------------------------------------------------- */

static int lite_pragma(struct db *db, const char *sql, struct err *e)
{
	int rc = sqlite3_exec(lite_handle(db), sql, NULL, NULL, NULL);
	wait_done(db);
	return rc == SQLITE_OK ? 0 : lite_error(db, rc, NULL, e);
}

/* sluice_float_text(x): a real in PostgreSQL's float8 text form, for
 * turning stored doubles into text without losing digits. */
static void float_text_fn(sqlite3_context *ctx, int argc UNUSED, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	char out[64];
	db_format_double(sqlite3_value_double(argv[0]), out, sizeof out);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* The WAL's files outlive the last connection (the WAL emptied on close),
 * so that a user who may only read the directory can still read the
 * database later: SQLite cannot create them for that user. */
static int keep_wal_files(struct db *db, struct err *e)
{
	int on = 1;
	sqlite3_file_control(lite_handle(db), "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	return lite_pragma(db, "PRAGMA journal_size_limit = 67108864", e);
}

/* "file:PATH?immutable=1", with what a URI would misread escaped. */
static char *immutable_uri(const char *path)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "file:");
	for (const char *c = path; *c; c++) {
		if (*c == '?' || *c == '#' || *c == '%')
			buf_printf(&b, "%%%02X", (unsigned char)*c);
		else
			buf_putc(&b, *c);
	}
	buf_puts(&b, "?immutable=1");
	return buf_detach(&b);
}

static int open_handle(struct db *db, const char *name, int flags, bool memory,
		       const struct db_options *opt, struct err *e);

static void lite_close(struct db *db);

/* A file not yet in WAL mode while another connection writes it: the
 * switch needs the lock SQLite will not wait for (it would deadlock), so
 * go on in the file's own mode and switch on a later open. */
static int wal_mode(struct db *db, struct err *e)
{
	int rc = sqlite3_exec(lite_handle(db), "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	wait_done(db);
	if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY)
		return 0;
	return lite_error(db, rc, NULL, e);
}

static int lite_open(struct db *db, const char *url, const struct db_options *opt,
		     struct err *e)
{
	const char *path = url + strlen("sqlite:");
	bool memory = strcmp(path, ":memory:") == 0;
	int flags = opt->read_only ? SQLITE_OPEN_READONLY
				   : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (opt->read_only && !memory && !file_exists(path))
		return err_set(e, ERR_NOTFOUND, "no database file %s", path);
	if (open_handle(db, path, flags, memory, opt, e) == 0)
		return 0;
	if (!opt->read_only || memory)
		return -1;
	/* No -shm, and none could be made: read what the file holds now. */
	char *shm = xasprintf("%s-shm", path);
	bool no_shm = !file_exists(shm);
	free(shm);
	if (!no_shm)
		return -1;
	struct err first = *e;
	char *uri = immutable_uri(path);
	err_clear(e);
	int rc = open_handle(db, uri, flags | SQLITE_OPEN_URI, memory, opt, e);
	free(uri);
	if (rc < 0)
		*e = first;
	db->snapshot = rc == 0;
	return rc;
}

/* Open `name`, set the connection up and touch the schema; -1 with the
 * handle closed on failure. */
static int open_handle(struct db *db, const char *name, int flags, bool memory,
		       const struct db_options *opt, struct err *e)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open_v2(name, &h, flags, NULL);
	if (rc != SQLITE_OK) {
		/* "unable to open database file" says nothing of why: add the
		 * system's reason (permission denied, no such directory). */
		int sys = h ? sqlite3_system_errno(h) : 0;
		err_set(e, ERR_DB, "%s%s%s", h ? sqlite3_errmsg(h) : sqlite3_errstr(rc),
			sys ? ": " : "", sys ? strerror(sys) : "");
		sqlite3_close(h);
		return -1;
	}
	struct lite_conn *lc = xcalloc(1, sizeof *lc);
	lc->h = h;
	lc->path = xstrdup(name);
	lc->timeout_ms = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 5000;
	lc->on_wait = opt->on_wait;
	lc->on_wait_arg = opt->on_wait_arg;
	db->impl = lc;
	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_handler(h, lite_busy, db);
	sqlite3_create_function(h, "sluice_float_text", 1,
				SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				float_text_fn, NULL, NULL);
	if (lite_pragma(db, "PRAGMA foreign_keys = ON", e) < 0)
		goto fail;
	if (!memory && !opt->read_only && (wal_mode(db, e) < 0 || keep_wal_files(db, e) < 0))
		goto fail;
	/* Touch the schema now, so a file that is not a database fails here. */
	if (lite_pragma(db, "SELECT count(*) FROM sqlite_master", e) < 0)
		goto fail;
	return 0;
fail:
	lite_close(db);
	return -1;
}

static void lite_close(struct db *db)
{
	struct lite_conn *lc = db->impl;
	if (!lc)
		return;
	sqlite3_close_v2(lc->h);
	free(lc->path);
	free(lc);
	db->impl = NULL;
}

static void lite_cancel(struct db *db)
{
	sqlite3_interrupt(lite_handle(db));
}

static bool lite_in_transaction(const struct db *db)
{
	return !sqlite3_get_autocommit(lite_handle(db));
}

static bool lite_tx_failed(const struct db *db UNUSED)
{
	return false;    /* SQLite keeps a transaction usable after an error */
}

static const char *lite_begin_sql(const struct db *db)
{
	/* Take the write lock up front: a deferred transaction that writes
	 * later can fail with SQLITE_BUSY without waiting at all. */
	return db->read_only ? "BEGIN" : "BEGIN IMMEDIATE";
}

/* ---- statements ----------------------------------------------------------- */

/* "42", "-7": exactly what %lld prints, so binding it as an integer
 * loses nothing even if the column turns out to be text. */
static bool canonical_int(const char *s, int64_t *out)
{
	const char *p = s + (*s == '-');
	if (!isdigit((unsigned char)*p) || (*p == '0' && p[1]) || (*s == '-' && *p == '0'))
		return false;
	return strlen(p) <= 19 && str_to_i64(s, out);
}

static int lite_prepare(struct db *db, const char *sql, sqlite3_stmt **st,
			bool one_statement, struct err *e)
{
	const char *tail = NULL;
	int rc = sqlite3_prepare_v2(lite_handle(db), sql, -1, st, &tail);
	if (rc != SQLITE_OK)
		return lite_error(db, rc, sql, e);
	if (!*st)
		return db_fail(e, ERR_INVALID, "empty statement");
	if (one_statement && tail) {
		while (isspace((unsigned char)*tail) || *tail == ';')
			tail++;
		if (*tail) {
			sqlite3_finalize(*st);
			*st = NULL;
			return db_fail(e, ERR_INVALID, "several statements given where one "
				       "was expected (use a script)");
		}
	}
	return 0;
}

static int lite_bind(struct db *db, sqlite3_stmt *st, const char *const *params,
		     int nparams, struct err *e)
{
	int count = sqlite3_bind_parameter_count(st);
	for (int i = 1; i <= count; i++) {
		const char *name = sqlite3_bind_parameter_name(st, i);
		char *end;
		long k = name && name[0] == '$' ? strtol(name + 1, &end, 10) : 0;
		if (!name || k < 1 || *end)
			return db_fail(e, ERR_INVALID, "parameter %s: use $1..$N",
				       name ? name : "?");
		if (k > nparams)
			return db_fail(e, ERR_INVALID, "statement uses $%ld but %d "
				       "parameter%s given", k, nparams, nparams == 1 ? " was" : "s were");
		const char *v = params[k - 1];
		int64_t iv;
		int rc;
		if (!v)
			rc = sqlite3_bind_null(st, i);
		else if (canonical_int(v, &iv))
			rc = sqlite3_bind_int64(st, i, iv);
		else
			rc = sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
		if (rc != SQLITE_OK)
			return lite_error(db, rc, NULL, e);
	}
	return 0;
}

/* ---- rows a statement wrote ---------------------------------------------------- */

/* The 64-bit counters came with SQLite 3.37; configure asks for 3.35. */
#if SQLITE_VERSION_NUMBER >= 3037000
#define lite_changes sqlite3_changes64
#define lite_total_changes sqlite3_total_changes64
#else
#define lite_changes sqlite3_changes
#define lite_total_changes sqlite3_total_changes
#endif

/* If sql is CREATE [TEMP] TABLE [IF NOT EXISTS] NAME AS ..., the text of
 * NAME (schema-qualified or not, as written), which SQLite reads again in
 * a query of the table.  SQLite counts no changes for the rows such a
 * statement writes, so they are counted in the table. */
static char *ctas_table(const char *sql)
{
	const char *p = db_sql_keyword(db_sql_skip_blank(sql), "CREATE");
	if (!p)
		return NULL;
	const char *q = db_sql_keyword(p, "TEMP");
	p = q ? q : (q = db_sql_keyword(p, "TEMPORARY")) ? q : p;
	if (!(p = db_sql_keyword(p, "TABLE")))
		return NULL;
	if ((q = db_sql_keyword(p, "IF")) && (q = db_sql_keyword(q, "NOT")) &&
	    (q = db_sql_keyword(q, "EXISTS")))
		p = q;
	const char *start = p, *end = db_sql_name_end(p);
	if (!end || !db_sql_keyword(db_sql_skip_blank(end), "AS"))
		return NULL;
	return xasprintf("SELECT count(*) FROM %.*s", (int)(end - start), start);
}

/* Does the count prepare, that is, is there such a table? */
static bool can_count(struct db *db, const char *count_sql)
{
	sqlite3_stmt *st = NULL;
	bool ok = sqlite3_prepare_v2(lite_handle(db), count_sql, -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	return ok;
}

/* -1: no such table (or not one to count), else its rows. */
static int64_t count_rows(struct db *db, const char *count_sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(lite_handle(db), count_sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (st && lite_step(db, st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int lite_exec(struct db *db, const char *sql, const char *const *params,
		     int nparams, int64_t *affected, int64_t *written, struct err *e)
{
	sqlite3_stmt *st;
	if (lite_prepare(db, sql, &st, true, e) < 0)
		return -1;
	if (lite_bind(db, st, params, nparams, e) < 0) {
		sqlite3_finalize(st);
		return -1;
	}
	/* A table that exists already is not made (IF NOT EXISTS) or the
	 * statement fails: either way it writes nothing to count. */
	char *ctas = written ? ctas_table(sql) : NULL;
	if (ctas && can_count(db, ctas)) {
		free(ctas);
		ctas = NULL;
	}
	sqlite3 *h = lite_handle(db);
	int64_t before = lite_total_changes(h);
	int rc;
	while ((rc = lite_step(db, st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		lite_error(db, rc, sql, e);
		sqlite3_finalize(st);
		free(ctas);
		return -1;
	}
	sqlite3_finalize(st);
	if (affected)
		*affected = sqlite3_changes(h);
	/* changes() keeps the last INSERT, UPDATE or DELETE's count through
	 * other statements; the total moves only when one ran. */
	if (written && lite_total_changes(h) != before)
		*written = lite_changes(h);
	if (ctas) {
		int64_t n = count_rows(db, ctas);
		*written = n > 0 ? n : 0;
		free(ctas);
	}
	return 0;
}

static int lite_exec_script(struct db *db, const char *sql, struct err *e)
{
	const char *p = sql;
	while (*p) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(lite_handle(db), p, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			lite_error(db, rc, NULL, e);
			goto fail;
		}
		if (!st)
			break;     /* only blanks and comments left */
		while ((rc = lite_step(db, st)) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			lite_error(db, rc, NULL, e);
			goto fail;
		}
		p = tail;
	}
	return 0;
fail:
	if (e && e->code != ERR_CANCELLED) {
		/* Say which statement of the script: its first line. */
		while (isspace((unsigned char)*p))
			p++;
		int line, col;
		long chars = 1;
		for (const char *q = sql; q < p; q++)
			if (((unsigned char)*q & 0xC0) != 0x80)
				chars++;
		db_sql_line_col(sql, chars, &line, &col);
		char *msg = xstrdup(e->msg);
		snprintf(e->msg, sizeof e->msg, "%s (in the statement at line %d)", msg, line);
		free(msg);
	}
	return -1;
}

/* ---- cursors --------------------------------------------------------------------- */

static enum conv conv_for(const char *decl, struct db_coltype *type)
{
	if (!decl || !*decl) {
		*type = (struct db_coltype){ DT_TEXT, 0, 0 };
		return CONV_GUESS;
	}
	if (!db_type_parse(decl, type))
		*type = (struct db_coltype){ DT_TEXT, 0, 0 };
	if (type->type == DT_BOOL)
		return CONV_BOOL;
	if (type->type == DT_NUMERIC && type->scale > 0)
		return CONV_SCALED;
	return CONV_PLAIN;
}

static struct lite_cursor *cursor_new(struct db *db, sqlite3_stmt *st)
{
	struct lite_cursor *c = xcalloc(1, sizeof *c);
	int n = sqlite3_column_count(st);
	db_cursor_init(&c->base, db, n);
	c->st = st;
	c->first = true;
	c->conv = xcalloc((size_t)n + 1, sizeof *c->conv);
	c->scratch = xcalloc((size_t)n + 1, sizeof *c->scratch);
	for (int i = 0; i < n; i++) {
		c->base.names[i] = xstrdup(sqlite3_column_name(st, i));
		c->conv[i] = conv_for(sqlite3_column_decltype(st, i), &c->base.types[i]);
	}
	return c;
}

static struct db_cursor *lite_query(struct db *db, const char *sql,
				    const char *const *params, int nparams,
				    struct err *e)
{
	sqlite3_stmt *st;
	if (lite_prepare(db, sql, &st, true, e) < 0)
		return NULL;
	if (lite_bind(db, st, params, nparams, e) < 0) {
		sqlite3_finalize(st);
		return NULL;
	}
	return &cursor_new(db, st)->base;
}

static struct db_cursor *lite_query_bulk(struct db *db, const char *sql, struct err *e)
{
	/* Stepping a statement is already SQLite's fastest read. */
	return lite_query(db, sql, NULL, 0, e);
}

static void guess_type(struct lite_cursor *c, int i)
{
	switch (sqlite3_column_type(c->st, i)) {
	case SQLITE_INTEGER:
		c->base.types[i].type = DT_INT;
		break;
	case SQLITE_FLOAT:
		c->base.types[i].type = DT_FLOAT;
		break;
	default:
		break;
	}
}

static const char *scaled_value(struct lite_cursor *c, int i, int type, size_t *len)
{
	char tmp[400];
	int scale = c->base.types[i].scale;
	if (type == SQLITE_INTEGER)
		snprintf(tmp, sizeof tmp, "%lld.%0*d", (long long)sqlite3_column_int64(c->st, i),
			 scale, 0);
	else
		db_format_fixed(sqlite3_column_double(c->st, i), scale, tmp, sizeof tmp);
	buf_reset(&c->scratch[i]);
	buf_puts(&c->scratch[i], tmp);
	*len = c->scratch[i].len;
	return c->scratch[i].data;
}

static const char *bool_value(struct lite_cursor *c, int i, int type, size_t *len)
{
	const char *text = (const char *)sqlite3_column_text(c->st, i);
	bool b;
	*len = 1;
	if (type == SQLITE_INTEGER || type == SQLITE_FLOAT)
		return sqlite3_column_double(c->st, i) != 0 ? "t" : "f";
	if (text && db_parse_bool(text, &b))
		return b ? "t" : "f";
	*len = (size_t)sqlite3_column_bytes(c->st, i);
	return text;
}

static void fill_value(struct lite_cursor *c, int i)
{
	int type = sqlite3_column_type(c->st, i);
	size_t len = 0;
	const char *v = NULL;
	if (type == SQLITE_NULL) {
		c->base.vals[i] = NULL;
		c->base.lens[i] = 0;
		return;
	}
	if (c->conv[i] == CONV_BOOL) {
		v = bool_value(c, i, type, &len);
	} else if (c->conv[i] == CONV_SCALED &&
		   (type == SQLITE_INTEGER || type == SQLITE_FLOAT)) {
		v = scaled_value(c, i, type, &len);
	} else if (type == SQLITE_FLOAT) {
		char tmp[64];
		db_format_double(sqlite3_column_double(c->st, i), tmp, sizeof tmp);
		buf_reset(&c->scratch[i]);
		buf_puts(&c->scratch[i], tmp);
		v = c->scratch[i].data;
		len = c->scratch[i].len;
	} else if (type == SQLITE_BLOB) {
		v = sqlite3_column_blob(c->st, i);
		len = (size_t)sqlite3_column_bytes(c->st, i);
		if (!v)
			v = "";
	} else {
		v = (const char *)sqlite3_column_text(c->st, i);
		len = (size_t)sqlite3_column_bytes(c->st, i);
	}
	c->base.vals[i] = v;
	c->base.lens[i] = len;
}

static int lite_cursor_next(struct db_cursor *base, struct err *e)
{
	struct lite_cursor *c = (struct lite_cursor *)base;
	int rc = lite_step(base->db, c->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return lite_error(base->db, rc, NULL, e);
	for (int i = 0; i < base->ncols; i++) {
		if (c->first && c->conv[i] == CONV_GUESS)
			guess_type(c, i);
		fill_value(c, i);
	}
	c->first = false;
	return 1;
}

static void lite_cursor_close(struct db_cursor *base)
{
	struct lite_cursor *c = (struct lite_cursor *)base;
	sqlite3_finalize(c->st);
	for (int i = 0; i < base->ncols; i++)
		buf_free(&c->scratch[i]);
	free(c->scratch);
	free(c->conv);
	db_cursor_free_head(base);
	free(c);
}

/* ---- writers -------------------------------------------------------------------
 *
 * A row's values are checked and converted when db_writer_row gets them
 * (so a bad value is reported at its row), into cells: an integer, a
 * double, or text kept in an arena beside them.  An unbatched writer
 * inserts the row at once.  A batched one (db_writer_batch) inserts
 * `batch` rows (64, or fewer for wide tables) with one multi-row INSERT:
 * one statement run per batch instead of per row (for an AUTOINCREMENT
 * table that is also one read and one write of sqlite_sequence per
 * batch).  Text is bound SQLITE_STATIC from the arena, which stays put
 * until the rows are in.  When a batch fails because of a row (a
 * constraint), SQLite has undone the whole statement; its rows are then
 * inserted one by one, so the error names the row it is about, as an
 * unbatched writer would.
 *
 * A batched writer inserts on a thread of its own, so that the caller
 * reads and converts the next rows while SQLite stores the last ones: two
 * sets of held rows (BATCHES_HELD batches each, or 1 MiB of text) take
 * turns, one filling, one being inserted.  The thread is the only user of
 * the connection while it works (the writer owns the connection: other
 * statements are refused until it is closed, as during a PostgreSQL
 * COPY), and hands back the outcome, which the next hand-over or the
 * close reports.  The last rows are inserted by the close itself.
 */

#define BATCH_ROWS 64                  /* rows per multi-row INSERT */
#define BATCHES_HELD 8                 /* statements' worth handed over at once */
#define ARENA_FLUSH (1024 * 1024)      /* held text that sends the rows early */

struct lite_cell {
	int type;               /* SQLITE_NULL, _INTEGER, _FLOAT or _TEXT */
	union {
		int64_t i;
		double d;
		struct {
			size_t off, len;   /* in the arena */
		} t;
	} u;
};

/* Rows checked and converted, waiting to be inserted. */
struct lite_rows {
	struct lite_cell *cells;   /* cap x ncols */
	struct buf arena;          /* their text */
	int n;                     /* rows held */
	int64_t first;             /* the row number (1-based) of the first */
};

struct lite_writer {
	struct db_writer base;
	sqlite3_stmt *st;       /* one row */
	sqlite3_stmt *many;     /* `batch` rows */
	int batch;              /* rows per statement; 1 = unbatched */
	int cap;                /* rows held before inserting them */
	struct lite_rows held[2];  /* the one filling, and the one being inserted */
	int filling;
	struct buf line;        /* a copy line being split */
	struct buf canon;       /* a value being made canonical */
	const char **vals;
	size_t *lens;

	/* the inserting thread (batched writers, from the first batch) */
	bool started;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lite_rows *flying;  /* handed to the thread; NULL when it is idle */
	bool quit;
	int flown_rc;              /* the outcome of the last batch it inserted */
	struct err flown_err;
};

static void rows_init(struct lite_rows *h, int cap, int ncols)
{
	memset(h, 0, sizeof *h);
	h->cells = xcalloc((size_t)cap * (size_t)ncols, sizeof *h->cells);
}

static void rows_free(struct lite_rows *h)
{
	free(h->cells);
	buf_free(&h->arena);
}

static void stop_thread(struct lite_writer *w);

static void lite_writer_free(struct lite_writer *w)
{
	stop_thread(w);
	if (w->batch > 1)
		w->base.db->copying = false;
	sqlite3_finalize(w->st);
	sqlite3_finalize(w->many);
	rows_free(&w->held[0]);
	rows_free(&w->held[1]);
	buf_free(&w->line);
	buf_free(&w->canon);
	free(w->vals);
	free(w->lens);
	db_writer_free_head(&w->base);
	free(w);
}

/* INSERT INTO table (columns) VALUES (?, ...) repeated `rows` times. */
static char *insert_sql(const char *table, const char *const *columns, int ncols, int rows)
{
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "INSERT INTO ");
	db_buf_quote_columns(&sql, table, columns, ncols);
	buf_puts(&sql, " VALUES ");
	for (int r = 0; r < rows; r++) {
		buf_puts(&sql, r ? ", (" : "(");
		for (int i = 0; i < ncols; i++)
			buf_puts(&sql, i ? ", ?" : "?");
		buf_putc(&sql, ')');
	}
	return buf_detach(&sql);
}

static struct db_writer *lite_writer_open(struct db *db, const char *table,
					  const char *const *columns, int ncols,
					  const struct db_table *def, struct err *e)
{
	char *sql = insert_sql(table, columns, ncols, 1);
	sqlite3_stmt *st;
	int rc = lite_prepare(db, sql, &st, true, e);
	free(sql);
	if (rc < 0)
		return NULL;
	struct lite_writer *w = xcalloc(1, sizeof *w);
	db_writer_init(&w->base, db, table, columns, ncols, def);
	w->st = st;
	w->batch = w->cap = 1;
	rows_init(&w->held[0], 1, ncols);
	rows_init(&w->held[1], 1, ncols);
	w->vals = xcalloc((size_t)ncols + 1, sizeof *w->vals);
	w->lens = xcalloc((size_t)ncols + 1, sizeof *w->lens);
	return &w->base;
}

static void lite_writer_batch(struct db_writer *base)
{
	struct lite_writer *w = (struct lite_writer *)base;
	int limit = sqlite3_limit(lite_handle(base->db), SQLITE_LIMIT_VARIABLE_NUMBER, -1);
	int rows = limit / base->ncols;
	if (rows > BATCH_ROWS)
		rows = BATCH_ROWS;
	if (w->batch > 1 || w->held[w->filling].n || base->rows || rows < 2)
		return;
	char *sql = insert_sql(base->table, (const char *const *)base->columns, base->ncols,
			       rows);
	int rc = lite_prepare(base->db, sql, &w->many, true, NULL);
	free(sql);
	if (rc < 0)
		return;             /* stay unbatched */
	w->batch = rows;
	w->cap = rows * BATCHES_HELD;
	for (int k = 0; k < 2; k++) {
		rows_free(&w->held[k]);
		rows_init(&w->held[k], w->cap, base->ncols);
	}
	base->db->copying = true;
}

/* ---- values into cells ---- */

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static bool all_digits_n(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* An int64 written plainly ("-42", "007"): what strtoll would read, without
 * its cost.  Anything else (signs, blanks, 19 digits) goes to str_to_i64. */
static bool parse_int(const char *s, size_t len, int64_t *out)
{
	size_t neg = len > 0 && s[0] == '-';
	if (len - neg < 1 || len - neg > 18 || !all_digits_n(s + neg, len - neg))
		return str_to_i64(s, out);
	int64_t v = 0;
	for (size_t i = neg; i < len; i++)
		v = v * 10 + (s[i] - '0');
	*out = neg ? -v : v;
	return true;
}

/* Canonical text of a date, time or timestamp, appended to out. */
static bool temporal_canon(enum db_type t, const char *v, struct buf *out)
{
	char tmp[64];
	bool ok = t == DT_DATE ? db_date_canon(v, tmp, sizeof tmp) :
		  t == DT_TIME ? db_time_canon(v, tmp, sizeof tmp) :
				 db_timestamp_canon(v, tmp, sizeof tmp);
	if (ok)
		buf_puts(out, tmp);
	return ok;
}

static int numeric_canon(struct lite_writer *w, int i, const char *v, struct buf *arena,
			 struct err *e)
{
	struct db_coltype t = w->base.types[i];
	int scale = t.precision > 0 ? t.scale : -1;
	int maxint = t.precision > 0 ? t.precision - t.scale : -1;
	if (!db_numeric_canon(v, scale, maxint, &w->canon)) {
		if (db_numeric_canon(v, -1, -1, &w->canon))
			return db_fail_row(&w->base, e, i, ERR_INVALID, "numeric field "
					   "overflow: %s does not fit numeric(%d,%d)", v,
					   t.precision, t.scale);
		return db_fail_row(&w->base, e, i, ERR_PARSE, "invalid number \"%s\"", v);
	}
	buf_append(arena, w->canon.data, w->canon.len);
	return 0;
}

static int float_cell(struct lite_writer *w, int i, const char *v, struct buf *arena,
		      struct lite_cell *c, struct err *e)
{
	char *end;
	double d = strtod(v, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (end == v || *end)
		return db_fail_row(&w->base, e, i, ERR_PARSE, "invalid number \"%s\"", v);
	if (isnan(d)) {     /* SQLite would store a NaN as NULL */
		c->type = SQLITE_TEXT;
		c->u.t.off = arena->len;
		c->u.t.len = 3;
		buf_append(arena, "NaN", 3);
		return 0;
	}
	c->type = SQLITE_FLOAT;
	c->u.d = d;
	return 0;
}

/* Check and convert value i of a row into its cell, in the storage its
 * column's type calls for.  -1 when the value is refused (e set). */
static int fill_cell(struct lite_writer *w, int i, const char *v, size_t len,
		     struct buf *arena, struct lite_cell *c, struct err *e)
{
	struct db_coltype t = w->base.types[i];
	bool b;
	if (!v) {
		c->type = SQLITE_NULL;
		return 0;
	}
	size_t at = arena->len;
	switch (t.type) {
	case DT_INT:
		if (!parse_int(v, len, &c->u.i))
			return db_fail_row(&w->base, e, i, ERR_PARSE, "invalid integer \"%s\"", v);
		c->type = SQLITE_INTEGER;
		return 0;
	case DT_FLOAT:
		return float_cell(w, i, v, arena, c, e);
	case DT_BOOL:
		if (!db_parse_bool(v, &b))
			return db_fail_row(&w->base, e, i, ERR_PARSE, "invalid boolean \"%s\"", v);
		c->type = SQLITE_INTEGER;
		c->u.i = b;
		return 0;
	case DT_NUMERIC:
		if (numeric_canon(w, i, v, arena, e) < 0)
			return -1;
		break;
	case DT_DATE:
	case DT_TIME:
	case DT_TIMESTAMP:
		if (!temporal_canon(t.type, v, arena))
			return db_fail_row(&w->base, e, i, ERR_PARSE, "invalid %s \"%s\"",
					   db_type_name(t.type), v);
		break;
	case DT_TEXT:
		if (t.precision > 0 && utf8_chars(v) > (size_t)t.precision)
			return db_fail_row(&w->base, e, i, ERR_INVALID, "value too long for "
					   "varchar(%d) (%zu characters)", t.precision,
					   utf8_chars(v));
		/* fall through */
	case DT_JSON:
		buf_append(arena, v, len);
		break;
	}
	c->type = SQLITE_TEXT;
	c->u.t.off = at;
	c->u.t.len = arena->len - at;
	return 0;
}

/* ---- cells into the table ---- */

/* Bind a row's cells from parameter `param` on; an SQLite code, with the
 * column that failed in *col. */
static int bind_cells(struct lite_writer *w, sqlite3_stmt *st, int param,
		      const struct lite_rows *h, const struct lite_cell *c, int *col)
{
	for (int i = 0; i < w->base.ncols; i++, param++) {
		*col = i;
		int rc;
		switch (c[i].type) {
		case SQLITE_INTEGER:
			rc = sqlite3_bind_int64(st, param, c[i].u.i);
			break;
		case SQLITE_FLOAT:
			rc = sqlite3_bind_double(st, param, c[i].u.d);
			break;
		case SQLITE_TEXT:
			rc = sqlite3_bind_text(st, param, h->arena.data + c[i].u.t.off,
					       (int)c[i].u.t.len, SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(st, param);
			break;
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* Run st once its values are bound (rc: how the binding went); an SQLite
 * code, with the error in *inner when it is not SQLITE_OK. */
static int run(struct lite_writer *w, sqlite3_stmt *st, int rc, struct err *inner)
{
	if (rc == SQLITE_OK) {
		rc = lite_step(w->base.db, st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		lite_error(w->base.db, rc, NULL, inner);
	sqlite3_reset(st);
	return rc;
}

/* Rows [from, to) one at a time; an error names its row. */
static int insert_each(struct lite_writer *w, const struct lite_rows *h, int from, int to,
		       struct err *e)
{
	int n = w->base.ncols;
	for (int r = from; r < to; r++) {
		struct err inner;
		const struct lite_cell *c = h->cells + (size_t)r * (size_t)n;
		int col = -1;
		int brc = bind_cells(w, w->st, 1, h, c, &col);
		if (run(w, w->st, brc, &inner) != SQLITE_OK)
			return db_fail_row_at(&w->base, e, h->first + r, brc ? col : -1,
					      inner.code, "%s", inner.msg);
	}
	return 0;
}

/* Errors a row can cause, as opposed to the database or the session. */
static bool row_error(int rc)
{
	int prim = rc & 0xff;
	return prim == SQLITE_CONSTRAINT || prim == SQLITE_TOOBIG || prim == SQLITE_MISMATCH ||
	       prim == SQLITE_RANGE;
}

/* Rows [from, from + batch) with one statement. */
static int insert_batch(struct lite_writer *w, const struct lite_rows *h, int from,
			struct err *e)
{
	int brc = SQLITE_OK, col, n = w->base.ncols;
	for (int r = 0; r < w->batch && brc == SQLITE_OK; r++)
		brc = bind_cells(w, w->many, 1 + r * n, h,
				 h->cells + (size_t)(from + r) * (size_t)n, &col);
	struct err inner;
	brc = run(w, w->many, brc, &inner);
	if (brc == SQLITE_OK)
		return 0;
	if (!row_error(brc)) {
		if (e)
			*e = inner;
		return -1;
	}
	/* SQLite undid the statement: find the row, inserting those before */
	return insert_each(w, h, from, from + w->batch, e);
}

/* Insert the held rows: full batches a statement each, the rest one by
 * one.  Runs on the inserting thread for a batched writer; touches only
 * h, the statements and the connection. */
static int insert_rows(struct lite_writer *w, const struct lite_rows *h, struct err *e)
{
	int r = 0;
	for (; w->batch > 1 && r + w->batch <= h->n; r += w->batch)
		if (insert_batch(w, h, r, e) < 0)
			return -1;
	return insert_each(w, h, r, h->n, e);
}

static void *inserter(void *arg)
{
	struct lite_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->flying && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->flying)
			break;
		const struct lite_rows *h = w->flying;
		pthread_mutex_unlock(&w->mu);
		struct err e;
		err_clear(&e);
		int rc = insert_rows(w, h, &e);
		pthread_mutex_lock(&w->mu);
		w->flown_rc = rc;
		if (rc < 0)
			w->flown_err = e;
		w->flying = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Wait until the thread has no batch; the last batch's outcome. */
static int landed(struct lite_writer *w, struct err *e)
{
	if (!w->started)
		return 0;
	pthread_mutex_lock(&w->mu);
	while (w->flying)
		pthread_cond_wait(&w->cv, &w->mu);
	int rc = w->flown_rc;
	if (rc < 0 && e)
		*e = w->flown_err;
	w->flown_rc = 0;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

static void stop_thread(struct lite_writer *w)
{
	if (!w->started)
		return;
	landed(w, NULL);
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	w->started = false;
}

static bool start_thread(struct lite_writer *w)
{
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		return false;
	if (pthread_cond_init(&w->cv, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		return false;
	}
	if (pthread_create(&w->thread, NULL, inserter, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		return false;
	}
	w->started = true;
	return true;
}

/* The filling rows go in: handed to the thread, which by then has finished
 * the batch before (whose failure is reported now), or inserted here when
 * the writer is unbatched or no thread could be started. */
static int send(struct lite_writer *w, struct err *e)
{
	struct lite_rows *h = &w->held[w->filling];
	int rc = landed(w, e);
	if (rc == 0 && w->batch > 1 && (w->started || start_thread(w))) {
		pthread_mutex_lock(&w->mu);
		w->flying = h;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		w->filling ^= 1;
		h = &w->held[w->filling];
	} else if (rc == 0) {
		rc = insert_rows(w, h, e);
	}
	h->n = 0;
	buf_reset(&h->arena);
	return rc;
}

static int add_row(struct lite_writer *w, const char *const *values, const size_t *lens,
		   struct err *e)
{
	struct lite_rows *h = &w->held[w->filling];
	if (h->n == 0)
		h->first = w->base.rows + 1;
	struct lite_cell *c = h->cells + (size_t)h->n * (size_t)w->base.ncols;
	for (int i = 0; i < w->base.ncols; i++) {
		const char *v = values[i];
		size_t len = v ? (lens ? lens[i] : strlen(v)) : 0;
		if (fill_cell(w, i, v, len, &h->arena, &c[i], e) < 0)
			return -1;
	}
	h->n++;
	if (h->n == w->cap || h->arena.len >= ARENA_FLUSH)
		return send(w, e);
	return 0;
}

static int lite_writer_row(struct db_writer *base, const char *const *values,
			   struct err *e)
{
	return add_row((struct lite_writer *)base, values, NULL, e);
}

static int lite_writer_copy_line(struct db_writer *base, const char *line, size_t len,
				 struct err *e)
{
	struct lite_writer *w = (struct lite_writer *)base;
	buf_reset(&w->line);
	buf_append(&w->line, line, len);
	int n = db_copy_split(w->line.data, w->line.len, w->vals, w->lens, base->ncols);
	if (n < 0)
		return db_fail_row(base, e, -1, ERR_PARSE, "expected %d fields, found more",
				   base->ncols);
	if (n != base->ncols)
		return db_fail_row(base, e, -1, ERR_PARSE, "expected %d fields, found %d",
				   base->ncols, n);
	return add_row(w, w->vals, w->lens, e);
}

/* The last rows go in here, once the thread has landed its batch. */
static int lite_writer_close(struct db_writer *base, int64_t *rows UNUSED, struct err *e)
{
	struct lite_writer *w = (struct lite_writer *)base;
	int rc = landed(w, e);
	if (rc == 0)
		rc = insert_rows(w, &w->held[w->filling], e);
	lite_writer_free(w);
	return rc;
}

static void lite_writer_abort(struct db_writer *base)
{
	lite_writer_free((struct lite_writer *)base);
}

/* ---- introspection ----------------------------------------------------------- */

static int lite_list_tables(struct db *db, struct vec *out, struct err *e)
{
	struct db_cursor *c = lite_query(db, "SELECT name FROM sqlite_master "
					 "WHERE type IN ('table', 'view') "
					 "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", NULL, 0, e);
	return db_collect_first_column(c, out, e);
}

static int lite_table_exists(struct db *db, const char *table, struct err *e)
{
	const char *params[] = { table };
	int64_t n;
	/* SQLite compares names without regard to ASCII case. */
	if (db_query_int(db, "SELECT count(*) FROM sqlite_master WHERE type IN "
			 "('table', 'view') AND name = $1 COLLATE NOCASE",
			 params, 1, &n, e) < 0)
		return -1;
	return n > 0;
}

/* table_info's "notnull" and "pk" (the key's position, 0 when not in it). */
static void lite_column_flags(struct db_column *col, const char *const *vals)
{
	col->primary_key = vals[3] && strcmp(vals[3], "0") != 0;
	/* A primary key is NOT NULL on PostgreSQL; say the same here. */
	col->not_null = (vals[2] && strcmp(vals[2], "0") != 0) || col->primary_key;
}

static struct db_table *lite_describe(struct db *db, const char *table, struct err *e)
{
	const char *params[] = { table };
	struct db_cursor *c = lite_query(db, "SELECT name, type, \"notnull\", pk "
					 "FROM pragma_table_info($1) ORDER BY cid",
					 params, 1, e);
	return db_table_from_catalogue(c, table, lite_column_flags, e);
}

const struct db_ops db_sqlite_ops = {
	.open = lite_open,
	.close = lite_close,
	.cancel = lite_cancel,
	.exec = lite_exec,
	.exec_script = lite_exec_script,
	.query = lite_query,
	.query_bulk = lite_query_bulk,
	.cursor_next = lite_cursor_next,
	.cursor_close = lite_cursor_close,
	.in_transaction = lite_in_transaction,
	.tx_failed = lite_tx_failed,
	.begin_sql = lite_begin_sql,
	.writer_open = lite_writer_open,
	.writer_row = lite_writer_row,
	.writer_batch = lite_writer_batch,
	.writer_copy_line = lite_writer_copy_line,
	.writer_close = lite_writer_close,
	.writer_abort = lite_writer_abort,
	.list_tables = lite_list_tables,
	.table_exists = lite_table_exists,
	.describe = lite_describe,
	.widen_column = db_sqlite_widen_column,
};
