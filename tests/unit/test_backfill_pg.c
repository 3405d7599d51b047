/*
 * test_backfill_pg.c - the backfill cases of test_backfill_cases.c with a
 * PostgreSQL warehouse (a database of its own on the test's server, its
 * schema emptied before each case; the control store stays SQLite).
 */
#include "test_backfill_cases.c"

static char *conninfo;
static char sqlbuf[256];

static const char *slow_sql(void)
{
	return "SELECT pg_sleep(1.5)";
}

static const char *wh_url(void)
{
	return conninfo;
}

static void wh_reset(const char *dir)
{
	(void)dir;
	ck_assert_msg(conninfo != NULL, "SLUICE_TEST_PG is not set: no PostgreSQL server");
	struct err e = { 0 };
	struct db *db = db_open(conninfo, NULL, &e);
	ck_assert_msg(db != NULL, "%s", err_text(&e));
	ck_assert_msg(db_exec_script(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
				     &e) == 0, "%s", err_text(&e));
	db_close(db);
}

static const char *wh_indexes_on(const char *table)
{
	snprintf(sqlbuf, sizeof sqlbuf, "SELECT count(*) FROM pg_indexes WHERE "
		 "schemaname = 'public' AND tablename = '%s'", table);
	return sqlbuf;
}

static const char *wh_indexes_named(const char *prefix)
{
	snprintf(sqlbuf, sizeof sqlbuf, "SELECT count(*) FROM pg_indexes WHERE "
		 "schemaname = 'public' AND indexname LIKE '%s%%'", prefix);
	return sqlbuf;
}

static void suite_setup(void)
{
	const char *base = test_pg_conninfo();
	if (!base)
		return;
	struct err e = { 0 };
	struct db *db = db_open(base, NULL, &e);
	if (!db) {
		fprintf(stderr, "cannot connect: %s\n", err_text(&e));
		abort();
	}
	db_exec(db, "DROP DATABASE IF EXISTS sluice_backfill_test", NULL, 0, NULL, NULL);
	if (db_exec(db, "CREATE DATABASE sluice_backfill_test", NULL, 0, NULL, &e) < 0) {
		fprintf(stderr, "create database: %s\n", err_text(&e));
		abort();
	}
	db_close(db);
	conninfo = xasprintf("%s dbname=sluice_backfill_test", base);
}

static Suite *backfill_pg_suite(void)
{
	suite_setup();
	Suite *s = suite_create("backfill_pg");
	TCase *tc = tcase_create("postgresql");
	tcase_set_timeout(tc, 120);
	add_backfill_cases(tc);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(backfill_pg_suite)
