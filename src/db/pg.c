/*
 * pg.c - the PostgreSQL backend of the db module (libpq).
 *
 * Queries stream in single-row mode; bulk reads and writes use COPY in
 * text format, whose lines are exactly the canonical values of db.h, so
 * a PostgreSQL-to-PostgreSQL copy hands each line from one connection to
 * the other without looking inside it.  Writers gather lines in a fixed
 * 64 KiB buffer before sending.  Connections are opened with
 * PQconnectdbParams: the user's URL or conninfo goes in whole as "dbname"
 * (expanded by libpq), and the password, read-only mode and time zone ride
 * in separate keywords, so nothing sluice adds ever appears in a string
 * that could be shown.  The PGcancel object is made at connect time so
 * that db_cancel() is a single thread-safe PQcancel call.
 */
#include "db_int.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define COPY_BUFFER (64 * 1024)
/* Closing a cursor early: rows drained before asking the server to stop. */
#define DRAIN_BEFORE_CANCEL 1000

struct pg {
	PGconn *conn;
	PGcancel *cancel;
	bool in_tx;         /* transaction state before the running command */
	char *label;        /* for notices; the connection may change hands
			       (db_replace), so it does not point at its db */
	bool goodbye;       /* the server said it is ending this session */
};

struct pg_cursor {
	struct db_cursor base;
	PGresult *row;      /* the current row (single-row mode) */
	PGresult *pending;  /* a row read ahead by pg_query */
	char *line;         /* the current COPY line (bulk) */
	bool bulk;
};

struct pg_writer {
	struct db_writer base;
	struct buf out;
};

#define PG(db) ((struct pg *)(db)->impl)

/* ---- errors --------------------------------------------------------------------- */

static void trim_newlines(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* "COPY t, line 17, column unit_price: "ten"" -> "row 17, column unit_price" */
static void copy_where(const char *context, char *where, size_t n)
{
	const char *p = context ? strstr(context, ", line ") : NULL;
	if (!p)
		return;
	char *end;
	long line = strtol(p + 7, &end, 10);
	p = end;
	if (strncmp(p, ", column ", 9) == 0) {
		p += 9;
		size_t len = strcspn(p, ":\n");
		snprintf(where, n, "row %ld, column %.*s", line, (int)len, p);
	} else {
		snprintf(where, n, "row %ld", line);
	}
}

/* SQLSTATEs that say the server cannot write its files, which waiting and
 * retrying will not mend: 53100 disk_full (no space for a table, an index
 * or the WAL) and 58030 io_error.  They are ERR_IO, as SQLite's FULL and
 * IOERR are, so that an engine whose control store hits one stops as it
 * does on SQLite.  The rest of class 53 passes: out_of_memory (53200) and
 * too_many_connections (53300) are the server's moment, which a retry
 * may find over, and configuration_limit_exceeded (53400) is the SQL's. */
static bool cannot_write_files(const char *state)
{
	return strcmp(state, "53100") == 0 || strcmp(state, "58030") == 0;
}

static int pg_error(struct db *db, const PGresult *res, const char *sql, struct err *e)
{
	if (!e)
		return -1;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *position = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	const char *context = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	struct buf m = BUF_INIT;
	if (primary) {
		buf_puts(&m, primary);
	} else {
		char *text = xstrdup(PQerrorMessage(PG(db)->conn));
		trim_newlines(text);
		buf_puts(&m, *text ? text : "the server closed the connection");
		free(text);
	}
	if (detail)
		buf_printf(&m, " (%s)", detail);
	if (position && sql) {
		int line, col;
		db_sql_line_col(sql, atol(position), &line, &col);
		buf_printf(&m, " at line %d, column %d", line, col);
	}
	enum err_code code = ERR_DB;
	if (state && strcmp(state, "57014") == 0)
		code = !atomic_load(&db->cancel_requested) && primary &&
		       strstr(primary, "timeout") ? ERR_TIMEOUT : ERR_CANCELLED;
	else if (state && strcmp(state, "25006") == 0)
		code = ERR_READONLY;
	else if (state && cannot_write_files(state))
		code = ERR_IO;
	if (code == ERR_READONLY && db->read_only)
		buf_puts(&m, " (the connection is read-only)");
	/* As SQLite's FULL, IOERR and READONLY: name the database, so that a
	 * full disk or a read-only database under the control store is not
	 * mistaken for a step's. */
	if (code == ERR_IO || code == ERR_READONLY)
		db_fail(e, code, "%s: %s", db->label, buf_str(&m));
	else
		db_fail(e, code, "%s", buf_str(&m));
	buf_free(&m);
	char where[256] = "";
	copy_where(context, where, sizeof where);
	if (where[0])
		snprintf(e->where, sizeof e->where, "%s", where);
	return -1;
}

/* Drop whatever results are left of the last command. */
static void drain(struct db *db)
{
	PGresult *res;
	while ((res = PQgetResult(PG(db)->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		PQclear(res);
		if (st == PGRES_COPY_IN)
			PQputCopyEnd(PG(db)->conn, "abandoned");
		else if (st == PGRES_COPY_OUT) {
			char *line;
			while (PQgetCopyData(PG(db)->conn, &line, 0) > 0)
				PQfreemem(line);
		}
	}
}

static void note_tx(struct db *db)
{
	PGTransactionStatusType s = PQtransactionStatus(PG(db)->conn);
	if (s != PQTRANS_ACTIVE)
		PG(db)->in_tx = s == PQTRANS_INTRANS || s == PQTRANS_INERROR;
}

/* ---- connections ---------------------------------------------------------------- */

/* Notices, and what the server says outside any command: a server ending
 * the session ("terminating connection due to ...", SQLSTATE class 57P, or
 * a FATAL) says so just before it closes the socket, so the connection is
 * dead from here on, even if the end of the socket has not arrived yet. */
static void notice_received(void *arg, const PGresult *res)
{
	struct pg *pg = arg;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	if ((state && strncmp(state, "57P", 3) == 0) ||
	    (severity && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0)))
		pg->goodbye = true;
	char *m = xstrdup(PQresultErrorMessage(res));
	trim_newlines(m);
	log_debug("%s: %s", pg->label, m);
	free(m);
}

static void pg_free(struct pg *pg)
{
	if (pg->cancel)
		PQfreeCancel(pg->cancel);
	PQfinish(pg->conn);
	free(pg->label);
	free(pg);
}

/* The label with the server and database libpq is connected to
 * ("control store 127.0.0.1:5432/etl"). */
static void label_server(struct db *db, struct pg *pg)
{
	const char *host = PQhost(pg->conn), *port = PQport(pg->conn);
	char *label = xasprintf("%s %s%s%s/%s", db->label, host ? host : "",
				port && *port ? ":" : "", port ? port : "",
				PQdb(pg->conn) ? PQdb(pg->conn) : "");
	free(db->label);
	free(pg->label);
	db->label = label;
	pg->label = xstrdup(label);
}

static int pg_open(struct db *db, const char *url, const struct db_options *opt,
		   struct err *e)
{
	char *perr = NULL;
	PQconninfoOption *parsed = PQconninfoParse(url, &perr);
	if (!parsed) {
		if (perr) {
			trim_newlines(perr);
			db_fail(e, ERR_INVALID, "%s", perr);
			PQfreemem(perr);
		} else {
			err_set(e, ERR_INVALID, "cannot parse the connection string");
		}
		return -1;
	}
	const char *user_options = NULL;
	bool has_timeout = false;
	for (PQconninfoOption *o = parsed; o->keyword; o++) {
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "password") == 0)
			log_add_secret(o->val);
		else if (strcmp(o->keyword, "options") == 0)
			user_options = o->val;
		else if (strcmp(o->keyword, "connect_timeout") == 0)
			has_timeout = true;
	}
	struct buf options = BUF_INIT;
	if (user_options)
		buf_printf(&options, "%s ", user_options);
	buf_puts(&options, "-c TimeZone=UTC");
	if (opt->read_only)
		buf_puts(&options, " -c default_transaction_read_only=on");

	const char *keys[8], *vals[8];
	int n = 0;
	keys[n] = "dbname", vals[n++] = url;
	keys[n] = "options", vals[n++] = buf_str(&options);
	keys[n] = "fallback_application_name", vals[n++] = "sluice";
	keys[n] = "client_encoding", vals[n++] = "UTF8";
	if (!has_timeout)
		keys[n] = "connect_timeout", vals[n++] = "10";
	if (opt->password)
		keys[n] = "password", vals[n++] = opt->password;
	keys[n] = NULL, vals[n] = NULL;

	struct pg *pg = xcalloc(1, sizeof *pg);
	db->impl = pg;
	pg->label = xstrdup(db->label);
	pg->conn = PQconnectdbParams(keys, vals, 1);
	buf_free(&options);
	PQconninfoFree(parsed);
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		pg_error(db, NULL, NULL, e);
		pg_free(pg);
		db->impl = NULL;
		return -1;
	}
	if (opt->label_names_server)
		label_server(db, pg);
	PQsetNoticeReceiver(pg->conn, notice_received, pg);
	pg->cancel = PQgetCancel(pg->conn);
	/* A server too old to report the setting gets it once more, plainly. */
	const char *ro = PQparameterStatus(pg->conn, "default_transaction_read_only");
	if (opt->read_only && (!ro || strcmp(ro, "on") != 0)) {
		PGresult *res = PQexec(pg->conn, "SET default_transaction_read_only = on");
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			pg_error(db, res, NULL, e);
		PQclear(res);
		if (!ok) {
			pg_free(pg);
			db->impl = NULL;
			return -1;
		}
	}
	return 0;
}

static void pg_close(struct db *db)
{
	struct pg *pg = PG(db);
	if (!pg)
		return;
	pg_free(pg);
	db->impl = NULL;
}

static void pg_cancel(struct db *db)
{
	char errbuf[256];
	if (PG(db) && PG(db)->cancel)
		PQcancel(PG(db)->cancel, errbuf, sizeof errbuf);
}

static bool pg_alive(struct db *db, bool round_trip)
{
	PGconn *conn = PG(db)->conn;
	if (db->busy || db->copying)
		return true;        /* in use: its owner finds out */
	if (PQstatus(conn) != CONNECTION_OK)
		return false;
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		return true;
	/* Reading what arrived (never waiting) finds the end of a connection
	 * the server closed: libpq marks it bad.  A server going away sends a
	 * last message first ("terminating connection ..."), and a read that
	 * gets data stops there, so the end shows on the second read, if it
	 * has arrived; the message itself is enough (notice_received). */
	for (int i = 0; i < 2; i++) {
		if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK)
			return false;
		PQisBusy(conn);     /* hands such a message to notice_received */
		if (PG(db)->goodbye)
			return false;
	}
	if (!round_trip)
		return PQstatus(conn) == CONNECTION_OK;
	PGresult *res = PQexec(conn, "");
	bool ok = PQresultStatus(res) == PGRES_EMPTY_QUERY;
	PQclear(res);
	return ok && PQstatus(conn) == CONNECTION_OK;
}

static int pg_socket(struct db *db)
{
	return PQstatus(PG(db)->conn) == CONNECTION_OK ? PQsocket(PG(db)->conn) : -1;
}

static int pg_notifications(struct db *db, void (*fn)(void *arg, const char *payload),
			    void *arg, struct err *e)
{
	PGconn *conn = PG(db)->conn;
	if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK)
		return err_set(e, ERR_DB, "%s: connection lost: %s", PG(db)->label,
			       PQerrorMessage(conn));
	int n = 0;
	PGnotify *nf;
	while ((nf = PQnotifies(conn))) {
		if (fn)
			fn(arg, nf->extra);
		PQfreemem(nf);
		n++;
	}
	return n;
}

static bool pg_in_transaction(const struct db *db)
{
	PGTransactionStatusType s = PQtransactionStatus(PG(db)->conn);
	if (s == PQTRANS_ACTIVE)
		return PG(db)->in_tx;
	return s == PQTRANS_INTRANS || s == PQTRANS_INERROR;
}

static bool pg_tx_failed(const struct db *db)
{
	return PQtransactionStatus(PG(db)->conn) == PQTRANS_INERROR;
}

static const char *pg_begin_sql(const struct db *db UNUSED)
{
	return "BEGIN";
}

/* ---- statements --------------------------------------------------------------------- */

/* The rows a command wrote, from its tag: "INSERT 0 3", "UPDATE 2",
 * "DELETE 1", "MERGE 4", with or without RETURNING; "SELECT 3" is
 * CREATE TABLE AS, SELECT INTO or CREATE MATERIALIZED VIEW when it
 * returned no rows itself (a query's tag is "SELECT n" too); "COPY 3" is
 * COPY ... FROM's when the text says FROM (COPY ... TO's is rows read). */
static int64_t rows_written(PGresult *res, const char *sql)
{
	static const char *const writes[] = { "INSERT ", "UPDATE ", "DELETE ", "MERGE ", NULL };
	const char *tag = PQcmdStatus(res);
	int64_t n = 0;
	if (!tag || !str_to_i64(PQcmdTuples(res), &n))
		return 0;
	for (const char *const *w = writes; *w; w++)
		if (strncmp(tag, *w, strlen(*w)) == 0)
			return n;
	if (strncmp(tag, "SELECT ", 7) == 0 && PQresultStatus(res) == PGRES_COMMAND_OK)
		return n;
	if (strncmp(tag, "COPY ", 5) == 0 && db_sql_copies_in(sql))
		return n;
	return 0;
}

static int pg_exec(struct db *db, const char *sql, const char *const *params,
		   int nparams, int64_t *affected, int64_t *written, struct err *e)
{
	PGresult *res = PQexecParams(PG(db)->conn, sql, nparams, NULL,
				     (const char *const *)params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (affected)
			str_to_i64(PQcmdTuples(res), affected);
		if (written)
			*written = rows_written(res, sql);
	} else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
		/* Also what a sql step says of a COPY in its text. */
		rc = err_set(e, ERR_INVALID, "COPY ... FROM STDIN and COPY ... TO STDOUT "
			     "need a client sending or taking the rows, and a statement "
			     "has none: COPY from or to a file on the server, or a "
			     "PROGRAM, instead");
	} else {
		rc = pg_error(db, res, sql, e);
	}
	PQclear(res);
	drain(db);
	note_tx(db);
	return rc;
}

static int pg_exec_script(struct db *db, const char *sql, struct err *e)
{
	/* The simple query protocol runs several statements in one go. */
	if (!PQsendQuery(PG(db)->conn, sql))
		return pg_error(db, NULL, NULL, e);
	int rc = 0;
	PGresult *res;
	while ((res = PQgetResult(PG(db)->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (rc == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
		    st != PGRES_EMPTY_QUERY)
			rc = st == PGRES_COPY_IN || st == PGRES_COPY_OUT ?
				err_set(e, ERR_INVALID, "a script cannot COPY from or to "
					"the client") :
				pg_error(db, res, sql, e);
		if (st == PGRES_COPY_IN)
			PQputCopyEnd(PG(db)->conn, "not supported in a script");
		PQclear(res);
	}
	note_tx(db);
	return rc;
}

/* ---- cursors ---------------------------------------------------------------------------- */

static struct db_coltype oid_type(Oid oid, int mod)
{
	struct db_coltype t = { DT_TEXT, 0, 0 };
	switch (oid) {
	case 16: t.type = DT_BOOL; break;
	case 20: case 21: case 23: case 26: t.type = DT_INT; break;
	case 700: case 701: t.type = DT_FLOAT; break;
	case 1700:
		t.type = DT_NUMERIC;
		if (mod >= 4) {
			t.precision = ((mod - 4) >> 16) & 0xffff;
			t.scale = (mod - 4) & 0xffff;
		}
		break;
	case 1043: case 1042:
		if (mod >= 4)
			t.precision = mod - 4;
		break;
	case 1082: t.type = DT_DATE; break;
	case 1083: case 1266: t.type = DT_TIME; break;
	case 1114: case 1184: t.type = DT_TIMESTAMP; break;
	case 114: case 3802: t.type = DT_JSON; break;
	default: break;
	}
	return t;
}

static struct pg_cursor *cursor_new(struct db *db, const PGresult *shape, bool bulk)
{
	struct pg_cursor *c = xcalloc(1, sizeof *c);
	int n = shape ? PQnfields(shape) : 0;
	db_cursor_init(&c->base, db, n);
	c->bulk = bulk;
	for (int i = 0; i < n; i++) {
		c->base.names[i] = xstrdup(PQfname(shape, i));
		c->base.types[i] = oid_type(PQftype(shape, i), PQfmod(shape, i));
	}
	db->busy = &c->base;
	return c;
}

static struct db_cursor *pg_query(struct db *db, const char *sql,
				  const char *const *params, int nparams, struct err *e)
{
	PGconn *conn = PG(db)->conn;
	if (!PQsendQueryParams(conn, sql, nparams, NULL, (const char *const *)params,
			       NULL, NULL, 0) || !PQsetSingleRowMode(conn)) {
		pg_error(db, NULL, sql, e);
		drain(db);
		return NULL;
	}
	/* The first result says what the columns are, or what went wrong. */
	PGresult *res = PQgetResult(conn);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT)
			err_set(e, ERR_INVALID, "COPY goes through db_query_bulk");
		else
			pg_error(db, res, sql, e);
		PQclear(res);
		drain(db);
		note_tx(db);
		return NULL;
	}
	struct pg_cursor *c = cursor_new(db, res, false);
	if (st == PGRES_SINGLE_TUPLE) {
		c->pending = res;
	} else {
		PQclear(res);
		drain(db);
		c->base.done = true;
		db->busy = NULL;
		note_tx(db);
	}
	return &c->base;
}

/* Strip what would break "COPY (sql) TO STDOUT": trailing blanks and ';'. */
static char *copy_sql(const char *sql)
{
	size_t n = strlen(sql);
	while (n > 0 && (sql[n - 1] == ';' || sql[n - 1] == ' ' || sql[n - 1] == '\n' ||
			 sql[n - 1] == '\t' || sql[n - 1] == '\r'))
		n--;
	return xasprintf("COPY (%.*s) TO STDOUT", (int)n, sql);
}

static int start_copy_out(struct db *db, const char *sql, struct err *e)
{
	char *copy = copy_sql(sql);
	PGresult *res = PQexec(PG(db)->conn, copy);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		rc = pg_error(db, res, NULL, e);
		if (e && PQresultStatus(res) == PGRES_COMMAND_OK)
			rc = err_set(e, ERR_INVALID, "not a query: %s", sql);
	}
	PQclear(res);
	free(copy);
	if (rc < 0) {
		drain(db);
		note_tx(db);
	}
	return rc;
}

static struct db_cursor *pg_query_bulk(struct db *db, const char *sql, struct err *e)
{
	/* COPY says nothing about columns; describing the query first does. */
	PGconn *conn = PG(db)->conn;
	PGresult *res = PQprepare(conn, "", sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_error(db, res, sql, e);
		PQclear(res);
		note_tx(db);
		return NULL;
	}
	PQclear(res);
	PGresult *shape = PQdescribePrepared(conn, "");
	if (PQresultStatus(shape) != PGRES_COMMAND_OK) {
		pg_error(db, shape, sql, e);
		PQclear(shape);
		return NULL;
	}
	if (start_copy_out(db, sql, e) < 0) {
		PQclear(shape);
		return NULL;
	}
	struct pg_cursor *c = cursor_new(db, shape, true);
	PQclear(shape);
	return &c->base;
}

static void fill_row(struct pg_cursor *c)
{
	for (int i = 0; i < c->base.ncols; i++) {
		if (PQgetisnull(c->row, 0, i)) {
			c->base.vals[i] = NULL;
			c->base.lens[i] = 0;
		} else {
			c->base.vals[i] = PQgetvalue(c->row, 0, i);
			c->base.lens[i] = (size_t)PQgetlength(c->row, 0, i);
		}
	}
}

static int finish(struct pg_cursor *c, struct err *e)
{
	struct db *db = c->base.db;
	int rc = 0;
	PGresult *res;
	while ((res = PQgetResult(PG(db)->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (rc == 0 && st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
			rc = pg_error(db, res, NULL, e);
		PQclear(res);
	}
	db->busy = NULL;
	note_tx(db);
	return rc;
}

static int next_bulk(struct pg_cursor *c, struct err *e)
{
	struct db *db = c->base.db;
	if (c->line) {
		PQfreemem(c->line);
		c->line = NULL;
	}
	int n = PQgetCopyData(PG(db)->conn, &c->line, 0);
	if (n > 0) {
		int got = db_copy_split(c->line, (size_t)n, c->base.vals, c->base.lens,
					c->base.ncols);
		if (got != c->base.ncols)
			return err_set(e, ERR_INTERNAL, "COPY line has %d fields, expected %d",
				       got, c->base.ncols);
		return 1;
	}
	if (n == -2) {
		pg_error(db, NULL, NULL, e);
		finish(c, NULL);
		return -1;
	}
	return finish(c, e) < 0 ? -1 : 0;
}

static int pg_cursor_next(struct db_cursor *base, struct err *e)
{
	struct pg_cursor *c = (struct pg_cursor *)base;
	if (c->bulk)
		return next_bulk(c, e);
	PQclear(c->row);
	c->row = NULL;
	PGresult *res = c->pending;
	c->pending = NULL;
	if (!res)
		res = PQgetResult(PG(base->db)->conn);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_TUPLES_OK;
	if (st == PGRES_SINGLE_TUPLE) {
		c->row = res;
		fill_row(c);
		return 1;
	}
	int rc = 0;
	if (res && st != PGRES_TUPLES_OK)
		rc = pg_error(base->db, res, NULL, e);
	PQclear(res);
	return finish(c, rc < 0 ? NULL : e) < 0 || rc < 0 ? -1 : 0;
}

/* Closing before the end: read on, and if the rest is long, ask the
 * server to stop sending it. */
static void abandon(struct pg_cursor *c)
{
	struct db *db = c->base.db;
	bool was = atomic_load(&db->cancel_requested);
	for (long n = 0;; n++) {
		if (n == DRAIN_BEFORE_CANCEL)
			pg_cancel(db);
		int rc = c->base.db->ops->cursor_next(&c->base, NULL);
		if (rc <= 0)
			break;
	}
	atomic_store(&db->cancel_requested, was);
}

static void pg_cursor_close(struct db_cursor *base)
{
	struct pg_cursor *c = (struct pg_cursor *)base;
	if (base->db->busy == base)
		abandon(c);
	PQclear(c->pending);
	PQclear(c->row);
	if (c->line)
		PQfreemem(c->line);
	db_cursor_free_head(base);
	free(c);
}

int db_pg_copy_out(struct db *db, const char *sql,
		   int (*fn)(void *arg, const char *line, size_t len, struct err *e),
		   void *arg, struct err *e)
{
	if (db->busy || db->copying)
		return err_set(e, ERR_INTERNAL, "%s: another statement is in progress",
			       db->label);
	atomic_store(&db->cancel_requested, false);
	if (start_copy_out(db, sql, e) < 0)
		return -1;
	PGconn *conn = PG(db)->conn;
	char *line = NULL;
	int n, rc = 0;
	while ((n = PQgetCopyData(conn, &line, 0)) > 0) {
		rc = fn(arg, line, (size_t)n, e);
		PQfreemem(line);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		/* The writer refused a row: stop the sender, keep its error. */
		pg_cancel(db);
		while ((n = PQgetCopyData(conn, &line, 0)) > 0)
			PQfreemem(line);
		drain(db);
		note_tx(db);
		return -1;
	}
	if (n == -2)
		rc = pg_error(db, NULL, NULL, e);
	PGresult *res;
	while ((res = PQgetResult(conn)) != NULL) {
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = pg_error(db, res, sql, e);
		PQclear(res);
	}
	note_tx(db);
	return rc;
}

/* ---- writers ---------------------------------------------------------------------------------- */

static struct db_writer *pg_writer_open(struct db *db, const char *table,
					const char *const *columns, int ncols,
					const struct db_table *def, struct err *e)
{
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "COPY ");
	db_buf_quote_columns(&sql, table, columns, ncols);
	buf_puts(&sql, " FROM STDIN");
	PGresult *res = PQexec(PG(db)->conn, buf_str(&sql));
	bool ok = PQresultStatus(res) == PGRES_COPY_IN;
	if (!ok)
		pg_error(db, res, buf_str(&sql), e);
	PQclear(res);
	buf_free(&sql);
	if (!ok) {
		drain(db);
		note_tx(db);
		return NULL;
	}
	struct pg_writer *w = xcalloc(1, sizeof *w);
	db_writer_init(&w->base, db, table, columns, ncols, def);
	buf_reserve(&w->out, COPY_BUFFER + 1024);
	db->copying = true;
	return &w->base;
}

static int flush(struct pg_writer *w, struct err *e)
{
	if (w->out.len == 0)
		return 0;
	if (PQputCopyData(PG(w->base.db)->conn, w->out.data, (int)w->out.len) != 1)
		return pg_error(w->base.db, NULL, NULL, e);
	buf_reset(&w->out);
	return 0;
}

/* A timestamp written with a zone ("2024-06-01T12:00:00+05:30", "...Z"):
 * PostgreSQL reads it into a timestamp without time zone by dropping the
 * zone, which would store another instant than SQLite's writer does.  The
 * zone is folded into UTC here instead (what the session's UTC makes of it
 * in a timestamptz column too).  Anything else goes as it is, for the
 * server to accept or refuse. */
static const char *timestamp_in_utc(const char *v, char *tmp, size_t n)
{
	if (strnlen(v, 11) < 11 || !strpbrk(v + 10, "Zz+-"))
		return v;
	return db_timestamp_canon(v, tmp, n) ? tmp : v;
}

static int pg_writer_row(struct db_writer *base, const char *const *values,
			 struct err *e)
{
	struct pg_writer *w = (struct pg_writer *)base;
	char utc[64];
	for (int i = 0; i < base->ncols; i++) {
		if (i)
			buf_putc(&w->out, '\t');
		const char *v = values[i];
		if (v && base->types[i].type == DT_TIMESTAMP)
			v = timestamp_in_utc(v, utc, sizeof utc);
		db_copy_escape(&w->out, v, v ? strlen(v) : 0);
	}
	buf_putc(&w->out, '\n');
	return w->out.len >= COPY_BUFFER ? flush(w, e) : 0;
}

static int pg_writer_copy_line(struct db_writer *base, const char *line, size_t len,
			       struct err *e)
{
	struct pg_writer *w = (struct pg_writer *)base;
	if (w->out.len + len > COPY_BUFFER && flush(w, e) < 0)
		return -1;
	buf_append(&w->out, line, len);
	if (len == 0 || line[len - 1] != '\n')
		buf_putc(&w->out, '\n');
	return 0;
}

static void writer_free(struct pg_writer *w)
{
	w->base.db->copying = false;
	buf_free(&w->out);
	db_writer_free_head(&w->base);
	free(w);
}

static int pg_writer_close(struct db_writer *base, int64_t *rows, struct err *e)
{
	struct pg_writer *w = (struct pg_writer *)base;
	struct db *db = base->db;
	int rc = flush(w, e);
	if (PQputCopyEnd(PG(db)->conn, rc < 0 ? "client error" : NULL) != 1 && rc == 0)
		rc = pg_error(db, NULL, NULL, e);
	PGresult *res;
	while ((res = PQgetResult(PG(db)->conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			str_to_i64(PQcmdTuples(res), rows);
		else if (rc == 0)
			rc = pg_error(db, res, NULL, e);
		PQclear(res);
	}
	note_tx(db);
	writer_free(w);
	return rc;
}

static void pg_writer_abort(struct db_writer *base)
{
	struct pg_writer *w = (struct pg_writer *)base;
	struct db *db = base->db;
	/* Ending COPY with an error message makes the server discard it all. */
	PQputCopyEnd(PG(db)->conn, "aborted by sluice");
	drain(db);
	note_tx(db);
	writer_free(w);
}

/* ---- introspection ---------------------------------------------------------------------------- */

static int pg_list_tables(struct db *db, struct vec *out, struct err *e)
{
	struct db_cursor *c = pg_query(db, "SELECT c.relname FROM pg_class c "
				       "JOIN pg_namespace n ON n.oid = c.relnamespace "
				       "WHERE n.nspname = current_schema() "
				       "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')", NULL, 0, e);
	return db_collect_first_column(c, out, e);
}

static int pg_table_exists(struct db *db, const char *table, struct err *e)
{
	const char *params[] = { table };
	int64_t n;
	if (db_query_int(db, "SELECT count(*) FROM pg_class c "
			 "JOIN pg_namespace n ON n.oid = c.relnamespace "
			 "WHERE n.nspname = current_schema() AND c.relname = $1 "
			 "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')", params, 1, &n, e) < 0)
		return -1;
	return n > 0;
}

/* attnotnull and "is in the primary key", as PostgreSQL's booleans. */
static void pg_column_flags(struct db_column *col, const char *const *vals)
{
	col->not_null = strcmp(vals[2], "t") == 0;
	col->primary_key = strcmp(vals[3], "t") == 0;
}

static struct db_table *pg_describe(struct db *db, const char *table, struct err *e)
{
	const char *params[] = { table };
	struct db_cursor *c = pg_query(db,
		"SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
		"EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid "
		"AND i.indisprimary AND a.attnum = ANY (i.indkey)) "
		"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
		"JOIN pg_attribute a ON a.attrelid = c.oid "
		"WHERE n.nspname = current_schema() AND c.relname = $1 "
		"AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
		"AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", params, 1, e);
	return db_table_from_catalogue(c, table, pg_column_flags, e);
}

static int pg_widen_column(struct db *db, const char *table, const char *column,
			   struct db_coltype from UNUSED, struct db_coltype to,
			   struct err *e)
{
	char type[64];
	db_type_sql(DB_POSTGRES, to, type, sizeof type);
	char *qt = db_quote(table), *qc = db_quote(column);
	char *sql = xasprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s",
			      qt, qc, type, qc, type);
	int rc = pg_exec(db, sql, NULL, 0, NULL, NULL, e);
	free(sql);
	free(qt);
	free(qc);
	return rc;
}

const struct db_ops db_pg_ops = {
	.open = pg_open,
	.close = pg_close,
	.cancel = pg_cancel,
	.alive = pg_alive,
	.socket = pg_socket,
	.notifications = pg_notifications,
	.exec = pg_exec,
	.exec_script = pg_exec_script,
	.query = pg_query,
	.query_bulk = pg_query_bulk,
	.cursor_next = pg_cursor_next,
	.cursor_close = pg_cursor_close,
	.in_transaction = pg_in_transaction,
	.tx_failed = pg_tx_failed,
	.begin_sql = pg_begin_sql,
	.writer_open = pg_writer_open,
	.writer_row = pg_writer_row,
	.writer_copy_line = pg_writer_copy_line,
	.writer_close = pg_writer_close,
	.writer_abort = pg_writer_abort,
	.list_tables = pg_list_tables,
	.table_exists = pg_table_exists,
	.describe = pg_describe,
	.widen_column = pg_widen_column,
};
