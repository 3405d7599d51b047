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
	return test_sqlite_open(dir, "w.db");
}

static void cmp_close(struct db *db)
{
	db_close(db);
	test_rmdir(dir);
	dir = NULL;
}

/* Two databases: the tables are merged in key order in this process. */
START_TEST(across_two_sqlite_files)
{
	struct db *a = cmp_open();
	struct db *b = test_sqlite_open(dir, "other.db");
	struct err e = { 0 };
	make_orders(a, "orders", 2000);
	make_orders(b, "orders_backfill", 2000);
	sql(b, "UPDATE orders_backfill SET qty = qty + 100 WHERE id % 100 = 5;"
	       "UPDATE orders_backfill SET price = NULL WHERE id IN (17, 18);"
	       "DELETE FROM orders_backfill WHERE id IN (2, 400, 1999);"
	       "INSERT INTO orders_backfill (id, name) VALUES (5000, 'new'), (5001, 'new');");
	/* the same data compared inside one database gives the same answer */
	sql(a, "CREATE TABLE orders_backfill (id integer primary key, name text, qty integer, "
	       "price numeric(10,2), note text);");
	char *attach = xasprintf("ATTACH DATABASE '%s/other.db' AS o; INSERT INTO "
				 "orders_backfill SELECT * FROM o.orders_backfill; DETACH o;", dir);
	sql(a, attach);
	free(attach);
	struct compare_request req = { "orders", "orders_backfill", KEY_ID, 1, 5, false };
	struct compare_result in, across;
	ck_assert_msg(compare_tables(a, &req, &in, &e) == 0, "%s", err_text(&e));
	ck_assert_msg(compare_tables_across(a, b, &req, &across, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(across.rows_current, 2000);
	ck_assert_int_eq(across.rows_backfill, 1999);
	ck_assert_int_eq(across.only_current, 3);
	ck_assert_int_eq(across.only_backfill, 2);
	ck_assert_int_eq(across.changed, 22);
	ck_assert_int_eq(across.unchanged, in.unchanged);
	for (size_t i = 0; i < in.ncolumns; i++)
		ck_assert_int_eq(across.columns[i].changed, in.columns[i].changed);
	ck_assert_uint_eq(count_samples(&across, COMPARE_ONLY_BACKFILL), 2);
	ck_assert_uint_le(count_samples(&across, COMPARE_CHANGED), 5);
	compare_result_free(&in);
	compare_result_free(&across);
	/* a key met twice is refused */
	sql(b, "CREATE TABLE dup (id integer, v text); INSERT INTO dup VALUES (1, 'a'), (1, 'b');");
	sql(a, "CREATE TABLE dup (id integer, v text); INSERT INTO dup VALUES (1, 'a');");
	struct compare_request dreq = { "dup", "dup", KEY_ID, 1, 5, false };
	ck_assert_int_eq(compare_tables_across(a, b, &dreq, &across, &e), -1);
	ck_assert_msg(strstr(e.msg, "not unique"), "%s", e.msg);
	db_close(b);
	cmp_close(a);
}
END_TEST

static Suite *compare_suite(void)
{
	Suite *s = suite_create("compare");
	TCase *tc = tcase_create("sqlite");
	tcase_set_timeout(tc, 60);
	add_compare_cases(tc);
	tcase_add_test(tc, across_two_sqlite_files);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(compare_suite)
