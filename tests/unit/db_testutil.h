/*
 * db_testutil.h - what the db module's two suites share: test_db.c on
 * SQLite and test_db_pg.c on PostgreSQL (and between the two) run
 * statements through the same helpers and round-trip the same values at
 * the edges of every type, so that a value one backend keeps and the
 * other loses shows up as a difference between the suites.
 */
#ifndef SLUICE_DB_TESTUTIL_H
#define SLUICE_DB_TESTUTIL_H

#include "testutil.h"

static inline void exec_ok(struct db *db, const char *sql)
{
	struct err e;
	ck_assert_msg(db_exec_script(db, sql, &e) == 0, "%s: %s", sql, err_text(&e));
}

/* The first value of a query, as text ("<null>" for NULL); caller frees. */
static inline char *value_of(struct db *db, const char *sql)
{
	struct err e;
	char *v = NULL;
	int rc = db_query_value(db, sql, NULL, 0, &v, &e);
	ck_assert_msg(rc == 1, "%s: rc %d %s", sql, rc, err_text(&e));
	return v ? v : xstrdup("<null>");
}

#define ck_value(db, sql, expected)                                  \
	do {                                                         \
		char *v_ = value_of(db, sql);                        \
		ck_assert_str_eq(v_, expected);                      \
		free(v_);                                            \
	} while (0)

/* For test_later: interrupt the statement db is running. */
static inline void cancel_db(void *db)
{
	db_cancel(db);
}

/* ---- what both backends promise ---------------------------------------------- */

/* db is a read-only session and table (one integer column x) holds one
 * row: it reads, in a transaction too, and refuses statements that write
 * and the ledger as read-only.  (A writer is refused when it opens on
 * PostgreSQL only, so test_db_pg.c checks that itself.) */
static inline void ck_read_only(struct db *db, const char *table)
{
	struct err e;
	char *count = xasprintf("SELECT count(*) FROM %s", table);
	char *insert = xasprintf("INSERT INTO %s VALUES (2)", table);
	ck_assert(db_is_read_only(db));
	ck_value(db, count, "1");
	ck_assert_int_eq(db_exec(db, insert, NULL, 0, NULL, &e), -1);
	ck_assert_int_eq(e.code, ERR_READONLY);
	ck_assert_msg(strstr(e.msg, "read-only"), "%s", e.msg);
	ck_assert_int_eq(db_exec_script(db, "CREATE TABLE ro_new (y integer)", &e), -1);
	ck_assert_int_eq(e.code, ERR_READONLY);
	ck_assert_int_eq(db_ledger_ensure(db, &e), -1);
	ck_assert_int_eq(db_begin(db, &e), 0);   /* reading in a transaction is fine */
	ck_value(db, count, "1");
	ck_assert_int_eq(db_commit(db, &e), 0);
	free(insert);
	free(count);
}

/* The ledger on db, where it does not exist yet: made once however often
 * it is asked for, and the entry for key (run_id, info) put in a
 * transaction that writes data lasts only if that transaction commits. */
static inline void ck_ledger_commits(struct db *db, const char *key, int64_t run_id,
				     const char *info)
{
	struct err e;
	struct db_ledger_entry got;
	ck_assert_int_eq(db_ledger_ensure(db, &e), 0);
	ck_assert_int_eq(db_ledger_ensure(db, &e), 0);
	ck_assert_int_eq(db_ledger_get(db, key, &got, &e), 0);
	exec_ok(db, "DROP TABLE IF EXISTS raw; CREATE TABLE raw (x integer)");
	for (int commit = 0; commit <= 1; commit++) {
		ck_assert_int_eq(db_begin(db, &e), 0);
		exec_ok(db, "INSERT INTO raw VALUES (1)");
		ck_assert_int_eq(db_ledger_put(db, key, "store-a", run_id, info, &e), 0);
		if (commit) {
			ck_assert_int_eq(db_commit(db, &e), 0);
		} else {
			db_rollback(db);
			ck_assert_int_eq(db_ledger_get(db, key, &got, &e), 0);
		}
	}
	ck_assert_int_eq(db_ledger_get(db, key, &got, &e), 1);
	ck_assert_str_eq(got.info, info);
	ck_assert_str_eq(got.store_id, "store-a");
	ck_assert_int_eq(got.run_id, run_id);
	db_ledger_entry_free(&got);
}

/* A ledger from before control store ids gets the store_id column, its
 * entries none; the first store to ask while the ledger holds no other
 * store's entries may take them, and no other store after it; a store
 * that finds another's entries there first may not. */
static inline void ck_ledger_owners(struct db *db, const char *old_ddl)
{
	struct err e;
	struct db_ledger_entry got;
	char *other = NULL;
	db_drop_table(db, "_sluice_ledger", true, NULL);
	exec_ok(db, old_ddl);
	exec_ok(db, "INSERT INTO _sluice_ledger (key, run_id, committed_at, info) "
		"VALUES ('run:1:step:load', 1, '2024-01-01 00:00:00', 'old')");
	ck_assert_int_eq(db_ledger_ensure(db, &e), 0);
	ck_assert_int_eq(db_ledger_get(db, "run:1:step:load", &got, &e), 1);
	ck_assert_ptr_null(got.store_id);
	ck_assert_str_eq(got.info, "old");
	db_ledger_entry_free(&got);
	ck_assert_int_eq(db_ledger_claim_legacy(db, "store-a", &other, &e), 1);
	ck_assert_int_eq(db_ledger_claim_legacy(db, "store-a", &other, &e), 1);
	ck_assert_int_eq(db_ledger_claim_legacy(db, "store-b", &other, &e), 0);
	ck_assert_str_eq(other, "store-a");
	free(other);
	/* another store's entry seen before anyone claimed them */
	exec_ok(db, "DELETE FROM _sluice_ledger WHERE key = 'legacy-owner'");
	ck_assert_int_eq(db_ledger_put(db, "store:store-b:run:1:step:load", "store-b", 1,
				       NULL, &e), 0);
	ck_assert_int_eq(db_ledger_claim_legacy(db, "store-a", &other, &e), 0);
	ck_assert_str_eq(other, "store-b");
	free(other);
	ck_assert_int_eq(db_ledger_get(db, "legacy-owner", &got, &e), 0);
}

/* ---- the type map ------------------------------------------------------------ */

/* One column of each type, in this order. */
static const char *const type_cols[] = { "i", "n", "big", "f", "b", "d", "tm", "ts", "s", "j" };

static struct db_column typed_cols[] = {
	{ "i", { DT_INT, 0, 0 }, false, false },
	{ "n", { DT_NUMERIC, 10, 2 }, false, false },
	{ "big", { DT_NUMERIC, 20, 10 }, false, false },
	{ "f", { DT_FLOAT, 0, 0 }, false, false },
	{ "b", { DT_BOOL, 0, 0 }, false, false },
	{ "d", { DT_DATE, 0, 0 }, false, false },
	{ "tm", { DT_TIME, 0, 0 }, false, false },
	{ "ts", { DT_TIMESTAMP, 0, 0 }, false, false },
	{ "s", { DT_TEXT, 0, 0 }, false, false },
	{ "j", { DT_JSON, 0, 0 }, false, false },
};

/* Rows of type_cols with values at each type's edges, written as both
 * backends give them back, and a row of NULLs.  A macro rather than an
 * array so that a suite can add rows of its own to its table of them. */
#define EDGE_ROWS                                                                              \
	{ "9223372036854775807", "12345678.91", "1234567890.1234567891", "2.5e-07", "t",       \
	  "2022-11-03", "14:20:49.962", "2022-11-03 14:20:49.962", "tab\there",               \
	  "{\"a\": [1, 2.50]}" },                                                              \
	{ "-9223372036854775808", "-0.05", "-9999999999.9999999999",                           \
	  "-1.7976931348623157e+308", "f", "1970-01-01", "00:00:00",                           \
	  "1999-12-31 23:59:59.999999", "new\nline\\back", "1.50" },                           \
	{ "0", "3.90", "0.0000000001", "0.1", "t", "2024-02-29", "23:59:59.000001",            \
	  "2000-01-01 00:00:00", "", "[]" },                                                   \
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },                        \
	{ "42", "0.00", "7.0000000000", "123456.789", "f", "0001-01-01", "12:00:00",           \
	  "2262-04-11 23:47:16.854775", "unicode: żółć ✓ \xf0\x9f\x98\x80", "\"\\\\N\"" }

/* The next row of c holds want (one value per type_cols, NULL for SQL
 * NULL) as text; what and r name the row in a failure. */
static inline void ck_typed_row(struct db_cursor *c, const char *const *want, const char *what,
				size_t r)
{
	struct err e = { 0 };
	ck_assert_msg(db_cursor_next(c, &e) == 1, "%s row %zu: %s", what, r, err_text(&e));
	for (size_t i = 0; i < ARRAY_LEN(type_cols); i++) {
		const char *got = db_cursor_text(c, (int)i);
		if (!want[i])
			ck_assert_msg(!got, "%s row %zu %s: got [%s]", what, r, type_cols[i], got);
		else
			ck_assert_msg(got && strcmp(got, want[i]) == 0,
				      "%s row %zu %s: want [%s] got [%s]", what, r, type_cols[i],
				      want[i], got ? got : "NULL");
	}
}

#endif
