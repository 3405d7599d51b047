/*
 * test_compare_cases.c - the compare tests, written once for both dialects;
 * included by test_compare.c and test_compare_pg.c, not compiled on its own.
 *
 * test_compare.c (SQLite files) and test_compare_pg.c (a database of its
 * own on the test's PostgreSQL server) define cmp_open(), which returns a
 * fresh empty database, then include this file and add its cases.  Every
 * case builds a current table and a backfill copy with plain SQL, so what
 * is compared is what a user's database would hold.
 */
#ifndef TEST_COMPARE_CASES_C
#define TEST_COMPARE_CASES_C

#include <cjson/cJSON.h>

#include "testutil.h"
#include "db/db.h"
#include "backfill/backfill.h"

static struct db *cmp_open(void);
static void cmp_close(struct db *db);

static void sql(struct db *db, const char *text)
{
	struct err e = { 0 };
	if (db_exec_script(db, text, &e) < 0)
		ck_abort_msg("%s\n-- in --\n%s", err_text(&e), text);
}

static int compare(struct db *db, const char *cur, const char *bf,
		   const char *const *key, size_t nkey, int samples,
		   struct compare_result *r, struct err *e)
{
	struct compare_request req = { cur, bf, key, nkey, samples, false };
	return compare_tables(db, &req, r, e);
}

static const struct compare_column *column(const struct compare_result *r,
					   const char *name)
{
	for (size_t i = 0; i < r->ncolumns; i++)
		if (strcmp(r->columns[i].name, name) == 0)
			return &r->columns[i];
	ck_abort_msg("no column %s in the result", name);
	return NULL;
}

static size_t count_samples(const struct compare_result *r, enum compare_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nsamples; i++)
		n += r->samples[i].kind == k;
	return n;
}

static size_t col_index(const struct compare_result *r, const char *name)
{
	return (size_t)(column(r, name) - r->columns);
}

/* Fill t with n rows: id, name, qty, price, note (NULL every 7th row). */
static void make_orders(struct db *db, const char *table, int n)
{
	char *ddl = xasprintf("CREATE TABLE %s (id integer primary key, name text, "
			      "qty integer, price numeric(10,2), note text);", table);
	sql(db, ddl);
	free(ddl);
	struct err e = { 0 };
	ck_assert_int_eq(db_begin(db, &e), 0);
	const char *cols[] = { "id", "name", "qty", "price", "note" };
	struct db_writer *w = db_writer_open(db, table, cols, 5, &e);
	ck_assert_msg(w != NULL, "%s", err_text(&e));
	for (int i = 1; i <= n; i++) {
		char id[16], name[32], qty[16], price[32], note[32];
		snprintf(id, sizeof id, "%d", i);
		snprintf(name, sizeof name, "order %d", i);
		snprintf(qty, sizeof qty, "%d", i % 10);
		snprintf(price, sizeof price, "%d.%02d", i % 100, i % 97);
		snprintf(note, sizeof note, "note %d", i % 13);
		const char *vals[] = { id, name, qty, price, i % 7 ? note : NULL };
		ck_assert_msg(db_writer_row(w, vals, &e) == 0, "%s", err_text(&e));
	}
	ck_assert_msg(db_writer_close(w, NULL, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(db_commit(db, &e), 0);
}

static void copy_table(struct db *db, const char *from, const char *to)
{
	char *s = xasprintf("CREATE TABLE %s (id integer primary key, name text, "
			    "qty integer, price numeric(10,2), note text);"
			    "INSERT INTO %s SELECT id, name, qty, price, note FROM %s;",
			    to, to, from);
	sql(db, s);
	free(s);
}

static const char *const KEY_ID[] = { "id" };

START_TEST(identical_tables_score_zero)
{
	struct db *db = cmp_open();
	make_orders(db, "orders", 500);
	copy_table(db, "orders", "orders_backfill");
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_msg(compare(db, "orders", "orders_backfill", KEY_ID, 1, 0, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(r.rows_current, 500);
	ck_assert_int_eq(r.rows_backfill, 500);
	ck_assert_int_eq(r.only_current, 0);
	ck_assert_int_eq(r.only_backfill, 0);
	ck_assert_int_eq(r.changed, 0);
	ck_assert_int_eq(r.unchanged, 500);
	ck_assert(r.score == 0.0);
	ck_assert(compare_result_identical(&r));
	ck_assert_uint_eq(r.nsamples, 0);
	for (size_t i = 0; i < r.ncolumns; i++)
		ck_assert_int_eq(r.columns[i].changed, 0);
	compare_result_free(&r);
	cmp_close(db);
}
END_TEST

/* The case a backfill exists for: a transform gained a column. */
START_TEST(added_column_changes_every_row_and_nothing_else)
{
	struct db *db = cmp_open();
	make_orders(db, "orders", 300);
	sql(db, "CREATE TABLE orders_backfill (id integer primary key, name text, "
		"qty integer, price numeric(10,2), note text, total numeric(12,2));"
		"INSERT INTO orders_backfill SELECT id, name, qty, price, note, "
		"qty * price FROM orders;");
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_msg(compare(db, "orders", "orders_backfill", KEY_ID, 1, 3, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(r.changed, 300);
	ck_assert_int_eq(r.unchanged, 0);
	ck_assert_int_eq(r.only_current, 0);
	ck_assert_int_eq(r.only_backfill, 0);
	ck_assert_int_eq(column(&r, "total")->changed, 300);
	ck_assert_ptr_null(column(&r, "total")->type_current);
	ck_assert_ptr_nonnull(column(&r, "total")->type_backfill);
	ck_assert_int_eq(column(&r, "name")->changed, 0);
	ck_assert_int_eq(column(&r, "qty")->changed, 0);
	ck_assert_int_eq(column(&r, "price")->changed, 0);
	ck_assert_int_eq(column(&r, "note")->changed, 0);
	ck_assert(r.score == 1.0);
	ck_assert(!compare_result_identical(&r));
	/* the first and the last changed row by key (one changed column
	 * adds no handle of its own) */
	ck_assert_uint_eq(count_samples(&r, COMPARE_CHANGED), 2);
	size_t total = col_index(&r, "total"), name = col_index(&r, "name");
	for (size_t i = 0; i < r.nsamples; i++) {
		const struct compare_sample *s = &r.samples[i];
		ck_assert(s->differs[total]);
		ck_assert(!s->differs[name]);
		ck_assert_ptr_null(s->current[total]);
		ck_assert_ptr_nonnull(s->backfill[total]);
		ck_assert_str_eq(s->current[name], s->backfill[name]);
	}
	cJSON *j = compare_result_json(&r);
	cJSON *cols = cJSON_GetObjectItem(j, "columns");
	cJSON *last = cJSON_GetArrayItem(cols, cJSON_GetArraySize(cols) - 1);
	ck_assert_str_eq(cJSON_GetObjectItem(last, "name")->valuestring, "total");
	ck_assert_str_eq(cJSON_GetObjectItem(last, "status")->valuestring, "added");
	cJSON *ch = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "samples"), "changed");
	ck_assert_int_eq(cJSON_GetArraySize(ch), 2);
	cJSON *first = cJSON_GetArrayItem(ch, 0);
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(first, "changed"), 0)
			 ->valuestring, "total");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "backfill"),
						   "total")) == 0);
	ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "current"),
					       "total"));
	cJSON_Delete(j);
	compare_result_free(&r);
	cmp_close(db);
}
END_TEST

START_TEST(counts_each_kind_and_each_column)
{
	struct db *db = cmp_open();
	make_orders(db, "orders", 1000);
	copy_table(db, "orders", "orders_backfill");
	/* 10 rows with a new qty, 4 of them also a new name; 2 prices that
	 * become NULL; 1 note from NULL to text; 5 rows gone; 3 new. */
	sql(db, "UPDATE orders_backfill SET qty = qty + 100 WHERE id % 100 = 5;"
		"UPDATE orders_backfill SET name = 'renamed' WHERE id IN (105, 305, 505, 705);"
		"UPDATE orders_backfill SET price = NULL WHERE id IN (17, 18);"
		"UPDATE orders_backfill SET note = 'was null' WHERE id = 7;"
		"DELETE FROM orders_backfill WHERE id IN (2, 400, 401, 402, 999);"
		"INSERT INTO orders_backfill (id, name, qty, price, note) VALUES "
		"(1001, 'new', 1, 1.00, NULL), (1002, 'new', 2, 2.00, NULL), "
		"(1003, 'new', 3, 3.00, 'x');");
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_msg(compare(db, "orders", "orders_backfill", KEY_ID, 1, 5, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(r.rows_current, 1000);
	ck_assert_int_eq(r.rows_backfill, 998);
	ck_assert_int_eq(r.only_current, 5);
	ck_assert_int_eq(r.only_backfill, 3);
	ck_assert_int_eq(r.changed, 13);
	ck_assert_int_eq(r.unchanged, 1000 - 5 - 13);
	ck_assert_int_eq(column(&r, "qty")->changed, 10);
	ck_assert_int_eq(column(&r, "name")->changed, 4);
	ck_assert_int_eq(column(&r, "price")->changed, 2);
	ck_assert_int_eq(column(&r, "note")->changed, 1);
	ck_assert_int_eq(column(&r, "id")->changed, 0);
	ck_assert(column(&r, "id")->key);
	ck_assert(r.score > 0.0209 && r.score < 0.0211);   /* 21 / 1000 */
	/* samples: the first and last of each kind at least, each kind capped */
	ck_assert_uint_ge(count_samples(&r, COMPARE_ONLY_CURRENT), 2);
	ck_assert_uint_le(count_samples(&r, COMPARE_ONLY_CURRENT), 5);
	ck_assert_uint_eq(count_samples(&r, COMPARE_ONLY_BACKFILL), 2);
	ck_assert_uint_ge(count_samples(&r, COMPARE_CHANGED), 2);
	ck_assert_uint_le(count_samples(&r, COMPARE_CHANGED), 5);
	/* every changed column is shown in some changed sample */
	const char *changed_cols[] = { "qty", "name", "price", "note" };
	for (size_t c = 0; c < 4; c++) {
		size_t ci = col_index(&r, changed_cols[c]);
		bool shown = false;
		for (size_t i = 0; i < r.nsamples; i++)
			if (r.samples[i].kind == COMPARE_CHANGED && r.samples[i].differs[ci])
				shown = true;
		ck_assert_msg(shown, "no sample shows column %s", changed_cols[c]);
	}
	size_t id = col_index(&r, "id"), price = col_index(&r, "price");
	for (size_t i = 0; i < r.nsamples; i++) {
		const struct compare_sample *s = &r.samples[i];
		if (s->kind == COMPARE_ONLY_CURRENT) {
			ck_assert_ptr_null(s->backfill);
			const char *v = s->current[id];
			ck_assert(strcmp(v, "2") == 0 || strcmp(v, "400") == 0 ||
				  strcmp(v, "401") == 0 || strcmp(v, "402") == 0 ||
				  strcmp(v, "999") == 0);
		} else if (s->kind == COMPARE_ONLY_BACKFILL) {
			ck_assert_ptr_null(s->current);
			ck_assert(strcmp(s->backfill[id], "1001") == 0 ||
				  strcmp(s->backfill[id], "1003") == 0);
		} else if (s->differs[price]) {
			ck_assert_ptr_null(s->backfill[price]);
			ck_assert_ptr_nonnull(s->current[price]);
		}
	}
	compare_result_free(&r);
	cmp_close(db);
}
END_TEST

START_TEST(composite_key)
{
	struct db *db = cmp_open();
	sql(db, "CREATE TABLE items (order_id integer not null, line integer not null, "
		"sku text, quantity integer, PRIMARY KEY (order_id, line));"
		"INSERT INTO items VALUES (1, 1, 'a', 1), (1, 2, 'b', 2), (2, 1, 'c', 3), "
		"(2, 2, 'd', 4), (3, 1, 'e', 5);"
		"CREATE TABLE items_backfill (order_id integer not null, line integer not null, "
		"sku text, quantity integer, PRIMARY KEY (order_id, line));"
		"INSERT INTO items_backfill VALUES (1, 1, 'a', 1), (1, 2, 'b', 20), "
		"(2, 1, 'c', 3), (3, 1, 'e', 5), (3, 2, 'f', 6);");
	const char *key[] = { "order_id", "line" };
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_msg(compare(db, "items", "items_backfill", key, 2, 5, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(r.changed, 1);
	ck_assert_int_eq(r.only_current, 1);
	ck_assert_int_eq(r.only_backfill, 1);
	ck_assert_int_eq(r.unchanged, 3);
	ck_assert_int_eq(column(&r, "quantity")->changed, 1);
	ck_assert_uint_eq(count_samples(&r, COMPARE_CHANGED), 1);
	ck_assert_uint_eq(count_samples(&r, COMPARE_ONLY_CURRENT), 1);
	ck_assert_uint_eq(count_samples(&r, COMPARE_ONLY_BACKFILL), 1);
	size_t line = col_index(&r, "line"), oid = col_index(&r, "order_id");
	for (size_t i = 0; i < r.nsamples; i++) {
		const struct compare_sample *s = &r.samples[i];
		char **row = s->current ? s->current : s->backfill;
		if (s->kind == COMPARE_CHANGED) {
			ck_assert_str_eq(row[oid], "1");
			ck_assert_str_eq(row[line], "2");
		} else if (s->kind == COMPARE_ONLY_CURRENT) {
			ck_assert_str_eq(row[oid], "2");
			ck_assert_str_eq(row[line], "2");
		} else {
			ck_assert_str_eq(row[oid], "3");
			ck_assert_str_eq(row[line], "2");
		}
	}
	compare_result_free(&r);
	cmp_close(db);
}
END_TEST

/* A key column without NOT NULL: rows are told apart by their address, and
 * a NULL key matches nothing (it is on its own side). */
START_TEST(nullable_key_without_index)
{
	struct db *db = cmp_open();
	sql(db, "CREATE TABLE d (code text, label text);"
		"INSERT INTO d VALUES ('a', 'x'), ('b', 'y'), (NULL, 'z');"
		"CREATE TABLE d_backfill (code text, label text);"
		"INSERT INTO d_backfill VALUES ('a', 'x'), ('b', 'Y'), (NULL, 'z');");
	const char *key[] = { "code" };
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_msg(compare(db, "d", "d_backfill", key, 1, 5, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(r.rows_current, 3);
	ck_assert_int_eq(r.changed, 1);
	ck_assert_int_eq(r.only_current, 1);
	ck_assert_int_eq(r.only_backfill, 1);
	ck_assert_int_eq(r.unchanged, 1);
	ck_assert_int_eq(column(&r, "label")->changed, 1);
	compare_result_free(&r);
	cmp_close(db);
}
END_TEST

START_TEST(repeated_key_is_refused)
{
	struct db *db = cmp_open();
	sql(db, "CREATE TABLE f (id integer, v text);"
		"INSERT INTO f VALUES (1, 'a'), (2, 'b'), (2, 'c'), (NULL, 'n'), (NULL, 'm');"
		"CREATE TABLE f_backfill (id integer, v text);"
		"INSERT INTO f_backfill VALUES (1, 'a'), (2, 'b');");
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_int_eq(compare(db, "f", "f_backfill", KEY_ID, 1, 5, &r, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_msg(strstr(e.msg, "not unique in f") && strstr(e.msg, "(2)") &&
		      strstr(e.msg, "2 times"), "%s", e.msg);
	ck_assert_ptr_null(r.columns);
	/* NULL keys repeat harmlessly: they never match */
	sql(db, "DELETE FROM f WHERE v = 'c';");
	ck_assert_msg(compare(db, "f", "f_backfill", KEY_ID, 1, 5, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(r.only_current, 2);
	compare_result_free(&r);
	/* a unique index proves it without a scan; the result is the same */
	sql(db, "DELETE FROM f WHERE id IS NULL; CREATE UNIQUE INDEX f_id ON f (id);"
		"CREATE UNIQUE INDEX f_backfill_id ON f_backfill (id);");
	ck_assert_msg(compare(db, "f", "f_backfill", KEY_ID, 1, 5, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert(compare_result_identical(&r));
	compare_result_free(&r);
	cmp_close(db);
}
END_TEST

START_TEST(missing_table_or_key_column)
{
	struct db *db = cmp_open();
	make_orders(db, "orders", 3);
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_int_eq(compare(db, "orders", "orders_backfill", KEY_ID, 1, 5, &r, &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_msg(strstr(e.msg, "orders_backfill"), "%s", e.msg);
	copy_table(db, "orders", "orders_backfill");
	const char *bad[] = { "order_no" };
	ck_assert_int_eq(compare(db, "orders", "orders_backfill", bad, 1, 5, &r, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_msg(strstr(e.msg, "key column order_no is not in table orders"),
		      "%s", e.msg);
	ck_assert_int_eq(compare(db, "orders", "orders_backfill", KEY_ID, 0, 5, &r, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	cmp_close(db);
}
END_TEST

/* A widened column with equal values is no change; a dropped column is
 * a change where current had a value. */
START_TEST(widened_and_dropped_columns)
{
	struct db *db = cmp_open();
	sql(db, "CREATE TABLE w (id integer primary key, amount integer, legacy text);"
		"INSERT INTO w VALUES (1, 10, 'x'), (2, 20, NULL), (3, 30, 'z');"
		"CREATE TABLE w_backfill (id integer primary key, amount numeric(12,2));"
		"INSERT INTO w_backfill VALUES (1, 10), (2, 20.5), (3, 30);");
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_msg(compare(db, "w", "w_backfill", KEY_ID, 1, 5, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(column(&r, "amount")->changed, 1);
	ck_assert_int_eq(column(&r, "legacy")->changed, 2);
	ck_assert_ptr_null(column(&r, "legacy")->type_backfill);
	ck_assert_int_eq(r.changed, 3);
	cJSON *j = compare_result_json(&r);
	cJSON *cols = cJSON_GetObjectItem(j, "columns");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(cols, 1), "status")
			 ->valuestring, "retyped");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(cols, 2), "status")
			 ->valuestring, "dropped");
	cJSON_Delete(j);
	compare_result_free(&r);
	cmp_close(db);
}
END_TEST

/* Names that need quoting, and empty tables. */
START_TEST(quoted_names_and_empty_tables)
{
	struct db *db = cmp_open();
	sql(db, "CREATE TABLE \"Odd Table\" (\"Key Col\" integer primary key, \"a\"\"b\" text);"
		"CREATE TABLE \"Odd Table_backfill\" (\"Key Col\" integer primary key, "
		"\"a\"\"b\" text);");
	const char *key[] = { "Key Col" };
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_msg(compare(db, "Odd Table", "Odd Table_backfill", key, 1, 5, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(r.rows_current, 0);
	ck_assert(r.score == 0.0);
	ck_assert(compare_result_identical(&r));
	compare_result_free(&r);
	sql(db, "INSERT INTO \"Odd Table_backfill\" VALUES (1, 'q');");
	ck_assert_msg(compare(db, "Odd Table", "Odd Table_backfill", key, 1, 5, &r, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(r.only_backfill, 1);
	ck_assert(r.score == 1.0);
	ck_assert_uint_eq(count_samples(&r, COMPARE_ONLY_BACKFILL), 1);
	ck_assert_str_eq(r.samples[0].backfill[1], "q");
	compare_result_free(&r);
	cmp_close(db);
}
END_TEST

/* Columns named like the words the comparison's own SQL uses for its
 * groups and counts (cn, bn, n, minc, d1 ...) are compared as columns. */
START_TEST(columns_named_like_the_comparison_s_own_words)
{
	struct db *db = cmp_open();
	sql(db, "CREATE TABLE w (id integer primary key, cn integer, bn integer, n text, "
		"minc integer, d1 integer);"
		"CREATE TABLE w_backfill (id integer primary key, cn integer, bn integer, n text, "
		"minc integer, d1 integer);"
		"INSERT INTO w VALUES (1, 1, 1, 'a', 1, 1), (2, 2, 2, 'b', 2, 2), (3, 3, 3, 'c', 3, 3);"
		"INSERT INTO w_backfill VALUES (1, 1, 1, 'a', 1, 1), (2, 2, 9, 'b', 2, 2), "
		"(4, 4, 4, 'd', 4, 4);");
	struct compare_result r;
	struct err e = { 0 };
	ck_assert_msg(compare(db, "w", "w_backfill", KEY_ID, 1, 5, &r, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(r.rows_current, 3);
	ck_assert_int_eq(r.rows_backfill, 3);
	ck_assert_int_eq(r.only_current, 1);
	ck_assert_int_eq(r.only_backfill, 1);
	ck_assert_int_eq(r.changed, 1);
	ck_assert_int_eq(r.unchanged, 1);
	ck_assert_int_eq(column(&r, "bn")->changed, 1);
	ck_assert_int_eq(column(&r, "cn")->changed, 0);
	ck_assert_int_eq(column(&r, "n")->changed, 0);
	ck_assert_uint_eq(count_samples(&r, COMPARE_CHANGED), 1);
	ck_assert_uint_eq(count_samples(&r, COMPARE_ONLY_CURRENT), 1);
	ck_assert_uint_eq(count_samples(&r, COMPARE_ONLY_BACKFILL), 1);
	compare_result_free(&r);
	cmp_close(db);
}
END_TEST

static void add_compare_cases(TCase *tc)
{
	tcase_add_test(tc, identical_tables_score_zero);
	tcase_add_test(tc, added_column_changes_every_row_and_nothing_else);
	tcase_add_test(tc, counts_each_kind_and_each_column);
	tcase_add_test(tc, composite_key);
	tcase_add_test(tc, nullable_key_without_index);
	tcase_add_test(tc, repeated_key_is_refused);
	tcase_add_test(tc, missing_table_or_key_column);
	tcase_add_test(tc, widened_and_dropped_columns);
	tcase_add_test(tc, quoted_names_and_empty_tables);
	tcase_add_test(tc, columns_named_like_the_comparison_s_own_words);
}

#endif
