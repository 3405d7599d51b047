/*
 * steps_merge_cases.h - the load step's merge, the same cases on SQLite
 * (test_steps.c) and on PostgreSQL (test_steps_pg.c).
 *
 * The file that includes this defines, before it:
 *   merge_warehouse()   the URL of the merge's target connection "wh"
 *   merge_surrogate()   the declared type of a surrogate key the database
 *                       numbers itself ("integer PRIMARY KEY", "serial ...")
 * and registers the cases with merge_cases_add.  The source is always a
 * SQLite file beside the project ("src"), the target that warehouse.
 *
 * What they show: a merge refuses a key on more than one source row and a
 * NULL key, naming them and their counts, and leaves the target exactly
 * as it was (columns the same load would have added included); it updates
 * matched rows in place, only where something changed, so columns only
 * the target has (a surrogate key, an audit column) keep their values; a
 * declared "latest_by" takes each key's latest row, and refuses different
 * rows tied at the latest.
 */
#ifndef SLUICE_STEPS_MERGE_CASES_H
#define SLUICE_STEPS_MERGE_CASES_H

static const char *merge_warehouse(void);
static const char *merge_surrogate(void);

/* The project with the warehouse's URL in place of @WH@; with_latest adds
 * the step that says "latest_by" (a project with it is refused whole by a
 * sluice that does not know the key, so the other cases keep without). */
static void merge_open(struct fx *fx, bool with_latest)
{
	static const char *const json =
		"{ \"connections\": { \"src\": { \"url\": \"sqlite:src.db\" },\n"
		"                   \"wh\": { \"url\": \"@WH@\" } },\n"
		"  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
		"      { \"name\": \"merge\", \"kind\": \"load\", \"from\": { \"connection\": \"src\",\n"
		"          \"table\": \"orders\" },\n"
		"        \"connection\": \"wh\", \"table\": \"t\", \"mode\": \"merge\", \"key\": [\"id\"] },\n"
		"      { \"name\": \"pair\", \"kind\": \"load\", \"from\": { \"connection\": \"src\",\n"
		"          \"query\": \"SELECT id, part, qty FROM orders\" },\n"
		"        \"connection\": \"wh\", \"table\": \"t_pair\", \"mode\": \"merge\",\n"
		"        \"key\": [\"id\", \"part\"] }@LATEST@ ] } ] }\n";
	static const char *const latest =
		",\n      { \"name\": \"latest\", \"kind\": \"load\", \"from\": { \"connection\": \"src\",\n"
		"          \"table\": \"orders\" },\n"
		"        \"connection\": \"wh\", \"table\": \"t_latest\", \"mode\": \"merge\", \"key\": [\"id\"],\n"
		"        \"latest_by\": \"last_updated\" }";
	struct buf b = BUF_INIT;
	const char *at = strstr(json, "@WH@"), *at2 = strstr(json, "@LATEST@");
	buf_append(&b, json, (size_t)(at - json));
	buf_puts(&b, merge_warehouse());
	buf_append(&b, at + 4, (size_t)(at2 - at - 4));
	if (with_latest)
		buf_puts(&b, latest);
	buf_puts(&b, at2 + 8);
	fx_open(fx, buf_str(&b));
	buf_free(&b);
}

/* The source: orders(id, part, qty, last_updated) with these rows. */
static void merge_source(struct fx *fx, const char *values)
{
	char *sql = xasprintf("DROP TABLE IF EXISTS orders;"
			      "CREATE TABLE orders (id integer, part text, qty integer, "
			      "  last_updated timestamp);"
			      "INSERT INTO orders VALUES %s;", values);
	fx_exec(fx, "src", sql);
	free(sql);
}

/* (qty as a whole number: the backends print a decimal differently) */
static const char *const merge_t_rows =
	"SELECT sk, id, part, CAST(qty AS integer), audit FROM t ORDER BY id";

/* t as a table of the warehouse's own: a surrogate key numbered by the
 * database and an audit column, neither in the source, and qty a decimal
 * where the source has whole numbers (3 and 3 are the same value). */
static void merge_target(struct fx *fx)
{
	char *sql = xasprintf("CREATE TABLE t (sk %s, id integer, part text, qty numeric(12,3), "
			      "last_updated timestamp, audit text)", merge_surrogate());
	fx_exec(fx, "wh", sql);
	free(sql);
}

/* Scratch tables of merges left in the warehouse. */
static size_t merge_scratch_tables(struct fx *fx)
{
	struct vec names = VEC_INIT;
	struct err e;
	ck_assert_msg(db_list_tables(fx_db(fx, "wh"), &names, &e) == 0, "%s", err_text(&e));
	size_t n = 0;
	for (size_t i = 0; i < names.len; i++)
		n += strncmp(names.items[i], "_sluice_stage", 13) == 0;
	vec_free_all(&names, free);
	return n;
}

START_TEST(merge_updates_in_place_and_keeps_target_columns)
{
	struct fx fx;
	merge_open(&fx, false);
	merge_target(&fx);
	merge_source(&fx, "(1, 'a', 3, '2024-01-01 00:00:00'), (2, 'b', 5, '2024-01-01 00:00:00'),"
		     "  (3, 'c', NULL, NULL)");
	struct step_result first = fx_step(&fx, fx_run(&fx, "f"), "f", "merge", NULL);
	ck_step_ok(first);
	fx_exec(&fx, "wh", "UPDATE t SET audit = 'checked'");
	ck_rows(&fx, "wh", merge_t_rows,
		"1|1|a|3|checked\n2|2|b|5|checked\n3|3|c|NULL|checked\n");

	/* one row changed, one new, one as it was, one (3) no longer in the source */
	merge_source(&fx, "(1, 'a', 3, '2024-01-01 00:00:00'), (2, 'b', 7, '2024-02-01 00:00:00'),"
		     "  (4, 'd', 1, '2024-02-01 00:00:00')");
	struct step_result r = fx_step(&fx, fx_run(&fx, "f"), "f", "merge", NULL);
	ck_step_ok(r);
	/* the surrogate keys stay, the audit column too; the new row gets the next */
	ck_rows(&fx, "wh", merge_t_rows,
		"1|1|a|3|checked\n2|2|b|7|checked\n3|3|c|NULL|checked\n4|4|d|1|NULL\n");
	ck_rows(&fx, "wh", "SELECT last_updated FROM t WHERE id = 2", "2024-02-01 00:00:00\n");
	/* and only what changed was written */
	ck_assert_str_eq(first.summary, "merged 3 rows into t: 0 updated, 3 inserted, 0 unchanged; copied from src (row by row)");
	ck_assert_str_eq(r.summary, "merged 3 rows into t: 1 updated, 1 inserted, 1 unchanged; copied from src (row by row)");
	ck_assert_int_eq(r.rows_in, 3);
	ck_assert_int_eq(r.rows_out, 2);

	/* the same source again: nothing to write */
	r = fx_step(&fx, fx_run(&fx, "f"), "f", "merge", NULL);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "merged 3 rows into t: 0 updated, 0 inserted, 3 unchanged; copied from src (row by row)");
	ck_assert_int_eq(r.rows_out, 0);
	/* a value set to NULL is a change too */
	merge_source(&fx, "(1, 'a', NULL, '2024-01-01 00:00:00')");
	r = fx_step(&fx, fx_run(&fx, "f"), "f", "merge", NULL);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "merged 1 rows into t: 1 updated, 0 inserted, 0 unchanged; copied from src (row by row)");
	ck_rows(&fx, "wh", "SELECT sk, qty FROM t WHERE id = 1", "1|NULL\n");
	ck_assert_int_eq(merge_scratch_tables(&fx), 0);
	fx_close(&fx);
}
END_TEST

/* t and the warehouse's ledger as they stand, to compare after a refusal. */
static char *merge_snapshot(struct fx *fx)
{
	char *rows = fx_rows(fx, "wh", "SELECT sk, id, part, qty, last_updated, audit FROM t "
			     "ORDER BY sk");
	char *ledger = fx_rows(fx, "wh", "SELECT key FROM _sluice_ledger ORDER BY key");
	struct err e;
	struct db_table *t = db_describe(fx_db(fx, "wh"), "t", &e);
	ck_assert_msg(t != NULL, "%s", err_text(&e));
	char *all = xasprintf("%s--\n%s--\n%zu columns\n", rows, ledger, t->ncolumns);
	db_table_free(t);
	free(rows);
	free(ledger);
	return all;
}

static void merge_refused(struct fx *fx, const char *step, const char *const *expect)
{
	char *before = merge_snapshot(fx);
	struct step_result r = fx_step(fx, fx_run(fx, "f"), "f", step, NULL);
	ck_assert_msg(r.rc == -1, "the merge went through: %s", r.summary);
	ck_assert_int_eq(r.e.code, ERR_INVALID);
	for (size_t i = 0; expect[i]; i++)
		ck_assert_msg(strstr(r.e.msg, expect[i]), "no \"%s\" in: %s", expect[i],
			      err_text(&r.e));
	ck_assert_int_eq(r.rows_out, 0);
	char *after = merge_snapshot(fx);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
}

START_TEST(merge_refuses_repeated_keys_and_changes_nothing)
{
	struct fx fx;
	merge_open(&fx, false);
	merge_target(&fx);
	merge_source(&fx, "(1, 'a', 3, NULL), (2, 'b', 5, NULL)");
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "merge", NULL));
	/* 2 twice and 5 three times, among good rows and a column the target
	 * lacks: the merge refuses before it writes anything */
	fx_exec(&fx, "src", "DROP TABLE orders;"
		"CREATE TABLE orders (id integer, part text, qty integer, last_updated timestamp, "
		"  colour text);"
		"INSERT INTO orders VALUES (1, 'a', 4, NULL, 'red'), (2, 'b', 6, NULL, 'red'),"
		"  (2, 'b', 7, NULL, 'blue'), (5, 'e', 1, NULL, NULL), (5, 'e', 2, NULL, NULL),"
		"  (5, 'e', 2, NULL, NULL), (6, 'f', 1, NULL, NULL)");
	const char *const expect[] = {
		"keys repeat in the source (orders): 2 keys with 5 rows in all: "
		"id=5 (3 rows), id=2 (2 rows); a merge needs one row per key", "\"latest_by\"",
		NULL,
	};
	merge_refused(&fx, "merge", expect);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM t"), 2);

	/* a key of two columns is named with both */
	merge_source(&fx, "(1, 'a', 1, NULL), (1, 'b', 1, NULL), (1, 'a', 2, NULL)");
	struct step_result r = fx_step(&fx, fx_run(&fx, "f"), "f", "pair", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(r.e.msg, "keys repeat in the source (from.query): 1 key "
			     "with 2 rows in all: (id=1, part=a) (2 rows)"), "%s", err_text(&r.e));

	/* once the source is unique the merge goes through */
	merge_source(&fx, "(1, 'a', 4, NULL), (2, 'b', 7, NULL), (5, 'e', 2, NULL)");
	r = fx_step(&fx, fx_run(&fx, "f"), "f", "merge", NULL);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "merged 3 rows into t: 2 updated, 1 inserted, 0 unchanged; copied from src (row by row)");
	ck_rows(&fx, "wh", "SELECT id, CAST(qty AS integer) FROM t ORDER BY id", "1|4\n2|7\n5|2\n");
	fx_close(&fx);
}
END_TEST

START_TEST(merge_refuses_null_keys_and_changes_nothing)
{
	struct fx fx;
	merge_open(&fx, false);
	merge_target(&fx);
	merge_source(&fx, "(1, 'a', 3, NULL)");
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "merge", NULL));
	merge_source(&fx, "(1, 'a', 4, NULL), (NULL, 'x', 1, NULL), (NULL, 'y', 2, NULL)");
	const char *const expect[] = { "merge key is NULL in the source (orders): id in 2 rows",
				       NULL };
	/* refused on every run: rows without a key never pile up */
	merge_refused(&fx, "merge", expect);
	merge_refused(&fx, "merge", expect);
	ck_rows(&fx, "wh", "SELECT id, CAST(qty AS integer) FROM t", "1|3\n");
	/* a deleted row without a key (a key column renamed while deletes
	 * waited in a stream's log) would delete nothing: refused as well,
	 * before any delete, not dropped on the way */
	fx_exec(&fx, "src", "DROP TABLE orders;"
		"CREATE TABLE orders (id integer, part text, qty integer, last_updated timestamp,"
		"  _sluice_action text);"
		"INSERT INTO orders VALUES (1, 'a', 3, NULL, 'DELETE'), (NULL, 'a', 3, NULL, 'DELETE');");
	const char *const expect_deleted[] = {
		"merge key is NULL in the source (orders): id in 1 row", NULL };
	merge_refused(&fx, "merge", expect_deleted);
	ck_rows(&fx, "wh", "SELECT id, CAST(qty AS integer) FROM t", "1|3\n");
	/* each column of a key is counted */
	merge_source(&fx, "(NULL, 'a', 1, NULL), (1, NULL, 1, NULL), (NULL, NULL, 1, NULL)");
	struct step_result r = fx_step(&fx, fx_run(&fx, "f"), "f", "pair", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(r.e.msg, "merge key is NULL in the source (from.query): id in 2 rows, "
			     "part in 2 rows"), "%s", err_text(&r.e));
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM _sluice_ledger WHERE key LIKE "
				  "'%:pair'"), 0);
	fx_close(&fx);
}
END_TEST

START_TEST(merge_takes_the_latest_row_of_a_key_by_latest_by)
{
	struct fx fx;
	merge_open(&fx, true);
	/* three versions of 1, the latest not last; a NULL time is the oldest;
	 * 3 twice exactly the same */
	merge_source(&fx, "(1, 'v1', 1, '2024-01-01 00:00:00'), (1, 'v3', 3, '2024-03-01 00:00:00'),"
		     "  (1, 'v2', 2, '2024-02-01 00:00:00'), (2, 'old', 9, NULL),"
		     "  (2, 'new', 8, '2024-01-01 00:00:00'), (3, 'same', 1, '2024-01-01 00:00:00'),"
		     "  (3, 'same', 1, '2024-01-01 00:00:00')");
	struct step_result r = fx_step(&fx, fx_run(&fx, "f"), "f", "latest", NULL);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "merged 3 rows into t_latest: 0 updated, 3 inserted, "
			 "0 unchanged; 4 older rows of a key passed over; copied from src (row by row)");
	ck_assert_int_eq(r.rows_in, 7);
	ck_rows(&fx, "wh", "SELECT id, part, qty, last_updated FROM t_latest ORDER BY id",
		"1|v3|3|2024-03-01 00:00:00\n2|new|8|2024-01-01 00:00:00\n"
		"3|same|1|2024-01-01 00:00:00\n");

	/* two different rows at a key's latest time: which is the latest? */
	merge_source(&fx, "(1, 'x', 4, '2024-04-01 00:00:00'), (1, 'y', 5, '2024-04-01 00:00:00'),"
		     "  (1, 'z', 5, '2024-01-01 00:00:00')");
	char *before = fx_rows(&fx, "wh", "SELECT * FROM t_latest ORDER BY id");
	r = fx_step(&fx, fx_run(&fx, "f"), "f", "latest", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(r.e.msg, "different rows tie at the latest last_updated of their "
			     "key in the source (orders): 1 key with 2 rows in all: id=1 (2 rows); "
			     "\"latest_by\" cannot pick one of them"), "%s", err_text(&r.e));
	ck_assert_int_eq(merge_scratch_tables(&fx), 0);
	ck_rows(&fx, "wh", "SELECT * FROM t_latest ORDER BY id", before);
	free(before);
	fx_close(&fx);
}
END_TEST

static void merge_cases_add(TCase *tc)
{
	tcase_add_test(tc, merge_updates_in_place_and_keeps_target_columns);
	tcase_add_test(tc, merge_refuses_repeated_keys_and_changes_nothing);
	tcase_add_test(tc, merge_refuses_null_keys_and_changes_nothing);
	tcase_add_test(tc, merge_takes_the_latest_row_of_a_key_by_latest_by);
}

#endif
