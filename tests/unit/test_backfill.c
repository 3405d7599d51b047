/*
 * test_backfill.c - the backfill procedure on a SQLite warehouse (see
 * test_backfill_cases.c; test_backfill_pg.c runs the same cases on
 * PostgreSQL).
 */
#include "test_backfill_cases.c"

static char *wh;
static char sqlbuf[256];

static const char *slow_sql(void)
{
	return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE "
	       "x < 6000000) SELECT count(*) FROM c";
}

static const char *wh_url(void)
{
	return wh;
}

static void wh_reset(const char *dir)
{
	free(wh);
	wh = xasprintf("sqlite:%s/wh.db", dir);
}

static const char *wh_indexes_on(const char *table)
{
	snprintf(sqlbuf, sizeof sqlbuf, "SELECT count(*) FROM sqlite_master WHERE "
		 "type = 'index' AND sql IS NOT NULL AND tbl_name = '%s'", table);
	return sqlbuf;
}

static const char *wh_indexes_named(const char *prefix)
{
	snprintf(sqlbuf, sizeof sqlbuf, "SELECT count(*) FROM sqlite_master WHERE "
		 "type = 'index' AND name LIKE '%s%%'", prefix);
	return sqlbuf;
}

static Suite *backfill_suite(void)
{
	Suite *s = suite_create("backfill");
	TCase *tc = tcase_create("sqlite");
	tcase_set_timeout(tc, 120);
	add_backfill_cases(tc);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(backfill_suite)
