/*
 * stream_deletes.c - the delete log of default-mode streams.
 *
 * A watermark finds inserted and updated rows, never deleted ones: they
 * are gone from the table.  So the first window a default-mode stream
 * fixes installs, in the stream's database, an AFTER DELETE trigger on its
 * table that writes each deleted row, whole, as JSON into
 * _sluice_stream_deletes (a monotonic id, the table, the row, when).  A
 * window then also covers the log's ids in (offset, upper], and readers
 * of the window get those rows back with _sluice_action = 'DELETE'.
 *
 * Monotonic and committed in order: on SQLite writers are serialised; on
 * PostgreSQL the trigger takes a transaction-scoped advisory lock before
 * it takes an id, so an id is never committed after a larger one a window
 * has already passed (which would lose that delete for good).
 *
 * Deletes before the stream's first window are not in the log: capture
 * starts there.  On SQLite the trigger names the table's columns, so each
 * window makes it again when the table's columns changed since (deletes
 * between the change and that window log the columns as they were);
 * PostgreSQL's keeps the whole row (row_to_json), and a TRUNCATE, which
 * fires no row trigger, logs every row the table has first (a statement
 * trigger), so emptying a captured table loses no delete on either.
 *
 * The log is pruned when an offset advances (stream_store.c): ids that
 * every offset following the table is past are read by nobody again.
 */
#include "pipes/stream_int.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#define DELETES "_sluice_stream_deletes"
#define PG_LOCK_KEY "7243171"     /* the advisory lock of the delete log */
#define PG_PRUNE_KEY "7243172"    /* one pruning transaction at a time */

/* 'text' as a SQL literal. */
static void put_literal(struct buf *b, const char *text)
{
	buf_putc(b, '\'');
	for (const char *p = text; *p; p++) {
		if (*p == '\'')
			buf_putc(b, '\'');
		buf_putc(b, *p);
	}
	buf_putc(b, '\'');
}

static char *trigger_name(const char *table)
{
	char hex[65];
	sha256_hex_of(table, strlen(table), hex);
	return xasprintf("_sluice_deletes_%.16s", hex);
}

/* PostgreSQL's TRUNCATE fires no row trigger: a statement trigger before it
 * logs every row the table still has. */
static char *truncate_trigger_name(const char *trig)
{
	return xasprintf("%s_truncate", trig);
}

static int create_log(struct db *db, struct err *e)
{
	const char *sql = db_kind(db) == DB_POSTGRES
		? "CREATE TABLE IF NOT EXISTS " DELETES " (id bigint GENERATED ALWAYS AS "
		  "IDENTITY PRIMARY KEY, table_name text NOT NULL, row_data text NOT NULL, "
		  "deleted_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)"
		: "CREATE TABLE IF NOT EXISTS " DELETES " (id INTEGER PRIMARY KEY "
		  "AUTOINCREMENT, table_name text NOT NULL, row_data text NOT NULL, "
		  "deleted_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)";
	return db_exec(db, sql, NULL, 0, NULL, e);
}

/* The text the SQLite trigger logs column `name` with. */
static void sqlite_column_pair(struct buf *b, struct db *db, const char *name)
{
	char *qc = db_quote_ident(db, name);
	put_literal(b, name);
	buf_printf(b, ", OLD.%s", qc);
	free(qc);
}

/* Must the trigger be made (again)?  When there is none; on PostgreSQL
 * when the TRUNCATE one is missing too; on SQLite when it does not log
 * every column the table has now (a column added or renamed since it was
 * made would be logged as NULL, and a renamed key would delete nothing). */
static int trigger_needed(struct db *db, const char *name, const struct db_table *t,
			  bool *needed, struct err *e)
{
	char *truncate = truncate_trigger_name(name);
	const char *params[] = { name, truncate };
	char *sql = NULL;
	bool pg = db_kind(db) == DB_POSTGRES;
	int rc = db_query_value(db, pg
				? "SELECT 'made' FROM pg_trigger WHERE tgname = $1 AND EXISTS "
				  "(SELECT 1 FROM pg_trigger WHERE tgname = $2)"
				: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $1",
				params, pg ? 2 : 1, &sql, e);
	free(truncate);
	*needed = rc != 1 || !sql;
	for (size_t i = 0; !*needed && !pg && i < t->ncolumns; i++) {
		struct buf pair = BUF_INIT;
		sqlite_column_pair(&pair, db, t->columns[i].name);
		*needed = !strstr(sql, buf_str(&pair));
		buf_free(&pair);
	}
	free(sql);
	return rc < 0 ? -1 : 0;
}

static void sqlite_trigger(struct buf *b, struct db *db, const char *trig,
			   const struct db_table *t, const char *table)
{
	char *qt = db_quote_ident(db, table), *qtrig = db_quote_ident(db, trig);
	buf_printf(b, "CREATE TRIGGER IF NOT EXISTS %s AFTER DELETE ON %s BEGIN INSERT INTO "
		   DELETES " (table_name, row_data) VALUES (", qtrig, qt);
	put_literal(b, table);
	buf_puts(b, ", json_object(");
	for (size_t i = 0; i < t->ncolumns; i++) {
		buf_puts(b, i ? ", " : "");
		sqlite_column_pair(b, db, t->columns[i].name);
	}
	buf_puts(b, ")); END");
	free(qt);
	free(qtrig);
}

static int pg_functions(struct db *db, struct err *e)
{
	if (db_exec(db, "CREATE OR REPLACE FUNCTION _sluice_stream_log_delete() RETURNS "
		    "trigger LANGUAGE plpgsql AS $f$ BEGIN PERFORM pg_advisory_xact_lock("
		    PG_LOCK_KEY "); INSERT INTO " DELETES " (table_name, row_data) VALUES "
		    "(TG_ARGV[0], row_to_json(OLD)::text); RETURN NULL; END $f$",
		    NULL, 0, NULL, e) < 0)
		return -1;
	return db_exec(db, "CREATE OR REPLACE FUNCTION _sluice_stream_log_truncate() RETURNS "
		       "trigger LANGUAGE plpgsql AS $f$ BEGIN PERFORM pg_advisory_xact_lock("
		       PG_LOCK_KEY "); EXECUTE format('INSERT INTO " DELETES " (table_name, "
		       "row_data) SELECT %L, row_to_json(t)::text FROM %s AS t', TG_ARGV[0], "
		       "TG_RELID::regclass); RETURN NULL; END $f$", NULL, 0, NULL, e);
}

/* The row trigger and the TRUNCATE one (made again: a table captured
 * before the TRUNCATE trigger existed has only the first). */
static int pg_trigger(struct db *db, const char *trig, const char *table, struct err *e)
{
	if (pg_functions(db, e) < 0)
		return -1;
	char *trunc = truncate_trigger_name(trig);
	char *qt = db_quote_ident(db, table), *qtrig = db_quote_ident(db, trig);
	char *qtrunc = db_quote_ident(db, trunc);
	struct buf row = BUF_INIT, stmt = BUF_INIT;
	buf_printf(&row, "CREATE TRIGGER %s AFTER DELETE ON %s FOR EACH ROW EXECUTE FUNCTION "
		   "_sluice_stream_log_delete(", qtrig, qt);
	put_literal(&row, table);
	buf_putc(&row, ')');
	buf_printf(&stmt, "CREATE TRIGGER %s BEFORE TRUNCATE ON %s FOR EACH STATEMENT "
		   "EXECUTE FUNCTION _sluice_stream_log_truncate(", qtrunc, qt);
	put_literal(&stmt, table);
	buf_putc(&stmt, ')');
	char *drop_row = xasprintf("DROP TRIGGER IF EXISTS %s ON %s", qtrig, qt);
	char *drop_stmt = xasprintf("DROP TRIGGER IF EXISTS %s ON %s", qtrunc, qt);
	const char *steps[] = { drop_row, drop_stmt, buf_str(&row), buf_str(&stmt) };
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < ARRAY_LEN(steps); i++)
		rc = db_exec(db, steps[i], NULL, 0, NULL, e);
	free(drop_row);
	free(drop_stmt);
	buf_free(&row);
	buf_free(&stmt);
	free(qtrunc);
	free(qt);
	free(qtrig);
	free(trunc);
	return rc;
}

int stream_deletes_capture(struct db *db, const char *table, const struct db_table *t,
			   struct err *e)
{
	char *trig = trigger_name(table);
	bool needed = false;
	int rc = trigger_needed(db, trig, t, &needed, e);
	if (rc == 0 && needed) {
		bool own = !db_in_transaction(db);
		rc = own ? db_begin(db, e) : 0;
		if (rc == 0)
			rc = create_log(db, e);
		/* Look again inside the transaction: another session may have. */
		if (rc == 0)
			rc = trigger_needed(db, trig, t, &needed, e);
		if (rc == 0 && needed && db_kind(db) == DB_POSTGRES) {
			rc = pg_trigger(db, trig, table, e);
		} else if (rc == 0 && needed) {
			char *qtrig = db_quote_ident(db, trig);
			char *drop = xasprintf("DROP TRIGGER IF EXISTS %s", qtrig);
			struct buf b = BUF_INIT;
			sqlite_trigger(&b, db, trig, t, table);
			rc = db_exec(db, drop, NULL, 0, NULL, e);
			if (rc == 0)
				rc = db_exec(db, buf_str(&b), NULL, 0, NULL, e);
			buf_free(&b);
			free(drop);
			free(qtrig);
		}
		if (own)
			rc = rc == 0 ? db_commit(db, e) : (db_rollback(db), -1);
		if (rc < 0)
			err_prefix(e, "capturing deletes of %s: ", table);
	}
	free(trig);
	return rc;
}

static int log_exists(struct db *db, bool *yes, struct err *e)
{
	struct err de = { 0 };
	struct db_table *t = db_describe(db, DELETES, &de);
	*yes = t != NULL;
	db_table_free(t);
	if (!t && de.code != ERR_NOTFOUND) {
		*e = de;
		return -1;
	}
	return 0;
}

int stream_deletes_newest(struct db *db, const char *table, char **id, struct err *e)
{
	*id = NULL;
	bool has;
	if (log_exists(db, &has, e) < 0)
		return -1;
	if (!has)
		return 0;
	const char *params[] = { table };
	int rc = db_query_value(db, "SELECT CAST(max(id) AS TEXT) FROM " DELETES
				" WHERE table_name = $1", params, 1, id, e);
	return rc < 0 ? -1 : 0;
}

int stream_deletes_count(struct db *db, const char *table, const char *after,
			 const char *upto, int64_t *n, struct err *e)
{
	*n = 0;
	bool has;
	if (log_exists(db, &has, e) < 0)
		return -1;
	if (!has)
		return 0;
	const char *params[] = { table, after ? after : "0", upto };
	return db_query_int(db, upto
			    ? "SELECT count(*) FROM " DELETES " WHERE table_name = $1 AND "
			      "id > CAST($2 AS bigint) AND id <= CAST($3 AS bigint)"
			    : "SELECT count(*) FROM " DELETES " WHERE table_name = $1 AND "
			      "id > CAST($2 AS bigint)", params, upto ? 3 : 2, n, e) < 0 ? -1 : 0;
}

int stream_deletes_prune(struct db *db, const char *table, const char *upto,
			 struct err *e)
{
	bool has;
	if (log_exists(db, &has, e) < 0)
		return -1;
	if (!has)
		return 0;
	/* Two loads pruning overlapping ids could deadlock on the rows; one
	 * prunes, the other leaves them for the next load (fewer is safe). */
	if (db_kind(db) == DB_POSTGRES) {
		char *got = NULL;
		int rc = db_query_value(db, "SELECT CASE WHEN pg_try_advisory_xact_lock("
					PG_PRUNE_KEY ") THEN 'yes' END", NULL, 0, &got, e);
		bool mine = rc == 1 && got;
		free(got);
		if (rc < 0 || !mine)
			return rc < 0 ? -1 : 0;
	}
	const char *params[] = { table, upto };
	return db_exec(db, "DELETE FROM " DELETES " WHERE table_name = $1 AND id <= "
		       "CAST($2 AS bigint)", params, 2, NULL, e) < 0 ? -1 : 0;
}

void stream_deletes_select(struct buf *b, struct db *db, const struct db_table *t,
			   const char *table, int p_table, int p_after, int p_upto)
{
	buf_puts(b, "SELECT ");
	if (db_kind(db) == DB_POSTGRES) {
		char *qt = db_quote_ident(db, table);
		buf_printf(b, "(json_populate_record(NULL::%s, d.row_data::json)).*", qt);
		free(qt);
	} else {
		for (size_t i = 0; i < t->ncolumns; i++) {
			char *qc = db_quote_ident(db, t->columns[i].name);
			char *path = xasprintf("$.%s", qc);
			buf_printf(b, "%sjson_extract(d.row_data, ", i ? ", " : "");
			put_literal(b, path);
			buf_printf(b, ") AS %s", qc);
			free(path);
			free(qc);
		}
	}
	buf_printf(b, ", 'DELETE' AS " STREAM_ACTION " FROM " DELETES " AS d WHERE "
		   "d.table_name = $%d AND d.id > CAST($%d AS bigint) AND d.id <= "
		   "CAST($%d AS bigint)", p_table, p_after, p_upto);
}
