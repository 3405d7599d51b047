/*
 * test_compare_pg.c - the compare cases of test_compare_cases.c on a real
 * PostgreSQL server (a database of its own, emptied before each case).
 */
#include "test_compare_cases.c"

static char *conninfo;

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
	db_exec(db, "DROP DATABASE IF EXISTS sluice_compare_test", NULL, 0, NULL, NULL);
	if (db_exec(db, "CREATE DATABASE sluice_compare_test", NULL, 0, NULL, &e) < 0) {
		fprintf(stderr, "create database: %s\n", err_text(&e));
		abort();
	}
	db_close(db);
	conninfo = xasprintf("%s dbname=sluice_compare_test", base);
}

static struct db *cmp_open(void)
{
	ck_assert_msg(conninfo != NULL, "SLUICE_TEST_PG is not set: no PostgreSQL server");
	struct err e = { 0 };
	struct db *db = db_open(conninfo, NULL, &e);
	ck_assert_msg(db != NULL, "%s", err_text(&e));
	sql(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
	return db;
}

static void cmp_close(struct db *db)
{
	db_close(db);
}

/* Types PostgreSQL cannot compare directly are compared as text. */
START_TEST(cross_family_types_compare_as_text)
{
	struct db *db = cmp_open();
	sql(db, "CREATE TABLE j (id bigint primary key, doc json, code integer);"
		"INSERT INTO j VALUES (1, '{\"a\": 1}', 5), (2, '[1,2]', 6);"
		"CREATE TABLE j_backfill (id bigint primary key, doc json, code text);"
		"INSERT INTO j_backfill VALUES (1, '{\"a\": 1}', '5'), (2, '[1,3]', 'six');");
	const char *key[] = { "id" };
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_msg(compare(db, "j", "j_backfill", key, 1, 5, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(column(&r, "doc")->changed, 1);
	ck_assert_int_eq(column(&r, "code")->changed, 1);
	ck_assert_int_eq(r.changed, 1);
	compare_result_free(&r);
	cmp_close(db);
}
END_TEST

static Suite *compare_pg_suite(void)
{
	suite_setup();
	Suite *s = suite_create("compare_pg");
	TCase *tc = tcase_create("postgresql");
	tcase_set_timeout(tc, 60);
	add_compare_cases(tc);
	tcase_add_test(tc, cross_family_types_compare_as_text);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(compare_pg_suite)
