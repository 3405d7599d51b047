/*
 * test_compare.c - compare on SQLite: counts per kind and per column, the
 * samples, keys that need care, and the refusals (see test_compare_cases.c;
 * test_compare_pg.c runs the same cases on PostgreSQL).
 */
#include "test_compare_cases.c"

static char *dir;

static struct db *cmp_open(void)
{
	dir = test_mkdtemp();
	char *url = xasprintf("sqlite:%s/w.db", dir);
	struct err e = { 0 };
	struct db *db = db_open(url, NULL, &e);
	ck_assert_msg(db != NULL, "%s", err_text(&e));
	free(url);
	return db;
}

static void cmp_close(struct db *db)
{
	db_close(db);
	test_rmdir(dir);
	dir = NULL;
}

static Suite *compare_suite(void)
{
	Suite *s = suite_create("compare");
	TCase *tc = tcase_create("sqlite");
	tcase_set_timeout(tc, 60);
	add_compare_cases(tc);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(compare_suite)
