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
	db_close(test_pg_open_empty(conninfo));
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

static Suite *backfill_pg_suite(void)
{
	conninfo = test_pg_suite_database("sluice_backfill_test");
	Suite *s = suite_create("backfill_pg");
	TCase *tc = tcase_create("postgresql");
	tcase_set_timeout(tc, 120);
	add_backfill_cases(tc);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(backfill_pg_suite)
