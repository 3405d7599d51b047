/*
 * test_compare_pg.c - the compare cases of test_compare_cases.c on a real
 * PostgreSQL server (a database of its own, emptied before each case).
 */
#include "test_compare_cases.c"

static char *conninfo;

static struct db *cmp_open(void)
{
	return test_pg_open_empty(conninfo);
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

/* PostgreSQL against SQLite: canonical text on both sides, decimals
 * normalised (PostgreSQL prints 1.50 where SQLite keeps 1.5). */
START_TEST(across_postgresql_and_sqlite)
{
	struct db *pg = cmp_open();
	char *dir = test_mkdtemp();
	struct db *lite = test_sqlite_open(dir, "lite.db");
	struct err e = { 0 };
	make_orders(pg, "orders", 3000);
	make_orders(lite, "orders", 3000);
	sql(lite, "UPDATE orders SET name = 'renamed' WHERE id IN (10, 20, 30);"
		  "DELETE FROM orders WHERE id = 3000;");
	sql(pg, "CREATE TABLE t (code text primary key, n numeric(10,2));"
		"INSERT INTO t VALUES ('B', 1.50), ('a', 2), ('c', NULL);");
	sql(lite, "CREATE TABLE t (code text primary key, n numeric(10,2));"
		  "INSERT INTO t VALUES ('B', 1.5), ('a', 2.0), ('c', 3), ('d', 4);");
	struct compare_request req = { "orders", "orders", KEY_ID, 1, 5, false };
	struct compare_result r;
	ck_assert_msg(compare_tables_across(pg, lite, &req, &r, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(r.rows_current, 3000);
	ck_assert_int_eq(r.rows_backfill, 2999);
	ck_assert_int_eq(r.only_current, 1);
	ck_assert_int_eq(r.only_backfill, 0);
	ck_assert_int_eq(r.changed, 3);
	ck_assert_int_eq(column(&r, "name")->changed, 3);
	ck_assert_int_eq(column(&r, "price")->changed, 0);
	ck_assert_int_eq(column(&r, "note")->changed, 0);
	compare_result_free(&r);
	const char *key[] = { "code" };
	struct compare_request treq = { "t", "t", key, 1, 5, false };
	ck_assert_msg(compare_tables_across(pg, lite, &treq, &r, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(r.changed, 1);              /* c: NULL -> 3 */
	ck_assert_int_eq(r.only_backfill, 1);        /* d */
	ck_assert_int_eq(r.unchanged, 2);            /* B and a, bytewise order */
	compare_result_free(&r);
	db_close(lite);
	test_rmdir(dir);
	cmp_close(pg);
}
END_TEST

static Suite *compare_pg_suite(void)
{
	conninfo = test_pg_suite_database("sluice_compare_test");
	Suite *s = suite_create("compare_pg");
	TCase *tc = tcase_create("postgresql");
	tcase_set_timeout(tc, 60);
	add_compare_cases(tc);
	tcase_add_test(tc, cross_family_types_compare_as_text);
	tcase_add_test(tc, across_postgresql_and_sqlite);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(compare_pg_suite)
