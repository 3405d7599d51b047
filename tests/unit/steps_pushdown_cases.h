/*
 * steps_pushdown_cases.h - loads whose source and target are one database
 * reached through two connections, run inside it; and merges that leave
 * unchanged rows alone.  The same cases on SQLite (test_steps.c) and on
 * PostgreSQL (test_steps_pg.c).
 *
 * The file that includes this defines, before it:
 *   pushdown_warehouse()  the URL of the target connection "wh"
 *   pushdown_same()       another URL of the same database ("same": another
 *                         spelling of the path, another application name)
 *   pushdown_touched()    SQL that makes triggers recording each row
 *                         written to t_merge as "OP id" in touched(op)
 *                         (OP: INSERT, UPDATE, DELETE)
 * and registers the cases with pushdown_cases_add.
 *
 * What they show: a load from "same" into "wh" runs as INSERT ... SELECT
 * inside the database (its summary says so, where one from another
 * database says "copied from"), with parameters bound, in every mode (a
 * replace whose source reads the target sees the target's rows, not the
 * table emptied for the new ones);
 * schema drift and the ledger commit with it, and a retried attempt finds
 * the ledger entry; a statement that fails on a row in the middle leaves
 * neither rows, nor the drift's new column, nor a ledger entry, nor a
 * recorded schema change.  A merge writes only the rows that changed and
 * the new ones: the triggers see no write to an unchanged row and no
 * delete at all; a key repeated in the source is refused before anything
 * is written, as it is when the rows are copied.
 */
#ifndef SLUICE_STEPS_PUSHDOWN_CASES_H
#define SLUICE_STEPS_PUSHDOWN_CASES_H

static const char *pushdown_warehouse(void);
static const char *pushdown_same(void);
static const char *pushdown_touched(void);

#define PUSHDOWN_IN_DB "; in the database (INSERT ... SELECT)"

static void pushdown_open(struct fx *fx)
{
	static const char *const json =
		"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" }, \"same\": { \"url\": \"@SAME@\" } },\n"
		"  \"flows\": [ { \"name\": \"f\",\n"
		"    \"params\": { \"min_id\": { \"type\": \"int\", \"default\": 0 } },\n"
		"    \"steps\": [\n"
		"      { \"name\": \"append\", \"kind\": \"load\", \"from\": { \"connection\": \"same\",\n"
		"          \"query\": \"SELECT * FROM orders WHERE id > :min_id\" },\n"
		"        \"connection\": \"wh\", \"table\": \"t_append\" },\n"
		"      { \"name\": \"replace\", \"kind\": \"load\", \"from\": { \"connection\": \"same\",\n"
		"          \"table\": \"orders\" }, \"connection\": \"wh\", \"table\": \"t_replace\",\n"
		"        \"mode\": \"replace\" },\n"
		"      { \"name\": \"merge\", \"kind\": \"load\", \"from\": { \"connection\": \"same\",\n"
		"          \"table\": \"orders\" }, \"connection\": \"wh\", \"table\": \"t_merge\",\n"
		"        \"mode\": \"merge\", \"key\": [\"id\"] },\n"
		"      { \"name\": \"strict\", \"kind\": \"load\", \"from\": { \"connection\": \"same\",\n"
		"          \"table\": \"orders\" }, \"connection\": \"wh\", \"table\": \"t_strict\" },\n"
		"      { \"name\": \"keep\", \"kind\": \"load\", \"from\": { \"connection\": \"same\",\n"
		"          \"query\": \"SELECT * FROM t_replace WHERE qty > 1\" }, \"connection\": \"wh\",\n"
		"        \"table\": \"t_replace\", \"mode\": \"replace\" },\n"
		"      { \"name\": \"keep_one\", \"kind\": \"load\", \"from\": {\n"
		"          \"query\": \"SELECT * FROM t_replace WHERE qty > 3\" }, \"connection\": \"wh\",\n"
		"        \"table\": \"t_replace\", \"mode\": \"replace\" } ] } ] }\n";
	struct buf b = BUF_INIT;
	for (const char *p = json; *p;) {
		if (strncmp(p, "@WH@", 4) == 0) {
			buf_puts(&b, pushdown_warehouse());
			p += 4;
		} else if (strncmp(p, "@SAME@", 6) == 0) {
			buf_puts(&b, pushdown_same());
			p += 6;
		} else {
			buf_putc(&b, *p++);
		}
	}
	fx_open(fx, buf_str(&b));
	buf_free(&b);
}

/* orders(id, item, qty, price, at) in the one database, through "same". */
static void pushdown_orders(struct fx *fx, const char *values)
{
	char *sql = xasprintf("DROP TABLE IF EXISTS orders;"
			      "CREATE TABLE orders (id integer, item text, qty integer, "
			      "  price numeric(10,2), at timestamp);"
			      "INSERT INTO orders VALUES %s;", values);
	fx_exec(fx, "same", sql);
	free(sql);
}

START_TEST(pushdown_loads_inside_the_database)
{
	struct fx fx;
	pushdown_open(&fx);
	pushdown_orders(&fx, "(1, 'tote', 3, 1.50, '2024-01-01 10:00:00'),"
			"(2, 'bag', 5, 2.25, '2024-01-02 10:00:00'), (3, 'tin', NULL, NULL, NULL)");
	int64_t run = fx_run(&fx, "f");
	const char *kv[] = { "min_id", "1", NULL };
	struct step_result r = fx_step(&fx, run, "f", "append", kv);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "appended 2 rows to t_append" PUSHDOWN_IN_DB);
	ck_assert_int_eq(r.rows_out, 2);
	ck_rows(&fx, "wh", "SELECT id, item, qty, CAST(price * 100 AS integer) FROM t_append "
		"ORDER BY id", "2|bag|5|225\n3|tin|NULL|NULL\n");
	/* the ledger entry committed with the rows: the retried attempt skips */
	r = fx_step(&fx, run, "f", "append", kv);
	ck_step_ok(r);
	ck_assert_msg(strstr(r.summary, "already committed"), "%s", r.summary);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM t_append"), 2);

	r = fx_step(&fx, run, "f", "replace", NULL);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "replaced with 3 rows in t_replace" PUSHDOWN_IN_DB);
	r = fx_step(&fx, run, "f", "merge", NULL);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "merged 3 rows into t_merge: 0 updated, 3 inserted, "
			 "0 unchanged" PUSHDOWN_IN_DB);
	fx_finish(&fx, run, RUN_COMPLETED);

	/* one row changed, one new, one as it was */
	pushdown_orders(&fx, "(1, 'tote', 3, 1.50, '2024-01-01 10:00:00'),"
			"(2, 'bag', 7, 2.25, '2024-01-02 10:00:00'), (4, 'box', 1, 9.99, NULL)");
	run = fx_run(&fx, "f");
	r = fx_step(&fx, run, "f", "merge", NULL);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "merged 3 rows into t_merge: 1 updated, 1 inserted, "
			 "1 unchanged" PUSHDOWN_IN_DB);
	ck_rows(&fx, "wh", "SELECT id, item, qty FROM t_merge ORDER BY id",
		"1|tote|3\n2|bag|7\n3|tin|NULL\n4|box|1\n");
	r = fx_step(&fx, run, "f", "replace", NULL);
	ck_step_ok(r);
	ck_rows(&fx, "wh", "SELECT id, qty FROM t_replace ORDER BY id", "1|3\n2|7\n4|1\n");
	/* a replace whose source reads the target itself sees the rows the
	 * table had, not the table emptied for the new ones */
	r = fx_step(&fx, run, "f", "keep", NULL);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "replaced with 2 rows in t_replace" PUSHDOWN_IN_DB);
	ck_rows(&fx, "wh", "SELECT id, qty FROM t_replace ORDER BY id", "1|3\n2|7\n");
	/* the same through the target's own connection */
	r = fx_step(&fx, run, "f", "keep_one", NULL);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "replaced with 1 rows in t_replace" PUSHDOWN_IN_DB);
	ck_rows(&fx, "wh", "SELECT id, qty FROM t_replace ORDER BY id", "2|7\n");
	fx_finish(&fx, run, RUN_COMPLETED);
	fx_close(&fx);
}
END_TEST

/* t_strict and what the warehouse says about it, to compare after a
 * failed load. */
static char *pushdown_strict_state(struct fx *fx)
{
	char *rows = fx_rows(fx, "wh", "SELECT * FROM t_strict ORDER BY id");
	char *ledger = fx_rows(fx, "wh", "SELECT key FROM _sluice_ledger ORDER BY key");
	struct err e;
	struct db_table *t = db_describe(fx_db(fx, "wh"), "t_strict", &e);
	ck_assert_msg(t != NULL, "%s", err_text(&e));
	char *all = xasprintf("%s--\n%s--\n%zu columns\n", rows, ledger, t->ncolumns);
	db_table_free(t);
	free(rows);
	free(ledger);
	return all;
}

START_TEST(pushdown_drift_commits_with_the_rows_and_a_failure_leaves_nothing)
{
	struct fx fx;
	pushdown_open(&fx);
	pushdown_orders(&fx, "(1, 'tote', 3, 1.50, NULL)");
	struct step_result r = fx_run_step(&fx, "f", "append");
	ck_assert_str_eq(r.summary, "appended 1 rows to t_append" PUSHDOWN_IN_DB);
	ck_schema_changes(&fx, "wh", "t_append", 0);

	/* drift: a new column, added in the load's transaction */
	fx_exec(&fx, "same", "ALTER TABLE orders ADD COLUMN colour text;"
		"INSERT INTO orders VALUES (2, 'bag', 5, 2.25, NULL, 'red')");
	r = fx_run_step(&fx, "f", "append");
	ck_assert_str_eq(r.summary, "appended 2 rows to t_append" PUSHDOWN_IN_DB);
	ck_rows(&fx, "wh", "SELECT id, colour FROM t_append ORDER BY id, colour",
		"1|NULL\n1|NULL\n2|red\n");
	ck_schema_changes(&fx, "wh", "t_append", 1);       /* colour added */

	/* a target that refuses one row in the middle of the statement, and a
	 * source with a column the target lacks: nothing of the load stays */
	fx_exec(&fx, "wh", "CREATE TABLE t_strict (id integer, item text, qty integer "
		"CHECK (qty < 100), price numeric(10,2), at timestamp);"
		"INSERT INTO t_strict VALUES (0, 'old', 1, NULL, NULL)");
	fx_exec(&fx, "same", "INSERT INTO orders VALUES (3, 'tin', 500, NULL, NULL, 'blue'),"
		"(4, 'box', 1, NULL, NULL, 'green')");
	char *before = pushdown_strict_state(&fx);
	int64_t run = fx_run(&fx, "f");
	r = fx_step(&fx, run, "f", "strict", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(err_text(&r.e), "loading t_strict: ") &&
		      (strstr(err_text(&r.e), "CHECK constraint") ||
		       strstr(err_text(&r.e), "check constraint")), "%s", err_text(&r.e));
	ck_assert_int_eq(r.rows_out, 0);
	char *after = pushdown_strict_state(&fx);
	ck_assert_str_eq(after, before);
	ck_schema_changes(&fx, "wh", "t_strict", 0);
	free(before);
	free(after);
	fx_close(&fx);
}
END_TEST

/* Every write the triggers saw on t_merge, sorted. */
static char *pushdown_touched_rows(struct fx *fx)
{
	return fx_rows(fx, "wh", "SELECT op FROM touched ORDER BY op");
}

START_TEST(merge_writes_only_changed_and_new_rows)
{
	struct fx fx;
	pushdown_open(&fx);
	pushdown_orders(&fx, "(1, 'tote', 3, 1.50, '2024-01-01 10:00:00'),"
			"(2, 'bag', 5, 2.25, '2024-01-02 10:00:00'), (3, 'tin', NULL, NULL, NULL),"
			"(4, 'box', 1, 9.99, '2024-01-04 10:00:00')");
	ck_step_ok(fx_run_step(&fx, "f", "merge"));
	fx_exec(&fx, "wh", pushdown_touched());

	/* the same rows again: nothing is written */
	struct step_result r = fx_run_step(&fx, "f", "merge");
	ck_assert_str_eq(r.summary, "merged 4 rows into t_merge: 0 updated, 0 inserted, "
			 "4 unchanged" PUSHDOWN_IN_DB);
	char *seen = pushdown_touched_rows(&fx);
	ck_assert_str_eq(seen, "");
	free(seen);

	/* one value changed (2), one set to NULL (4), one new (5): those three
	 * are written, 1 and 3 are not, and nothing is deleted */
	fx_exec(&fx, "same", "UPDATE orders SET qty = 6 WHERE id = 2;"
		"UPDATE orders SET at = NULL WHERE id = 4;"
		"INSERT INTO orders VALUES (5, 'cup', 2, 0.50, '2024-01-05 10:00:00')");
	r = fx_run_step(&fx, "f", "merge");
	ck_assert_str_eq(r.summary, "merged 5 rows into t_merge: 2 updated, 1 inserted, "
			 "2 unchanged" PUSHDOWN_IN_DB);
	seen = pushdown_touched_rows(&fx);
	ck_assert_str_eq(seen, "INSERT 5\nUPDATE 2\nUPDATE 4\n");
	free(seen);
	ck_rows(&fx, "wh", "SELECT id, qty, at FROM t_merge WHERE id IN (2, 4) ORDER BY id",
		"2|6|2024-01-02 10:00:00\n4|1|NULL\n");

	/* a key twice in the source is refused in the database too, before
	 * anything is written */
	fx_exec(&fx, "wh", "DELETE FROM touched");
	fx_exec(&fx, "same", "INSERT INTO orders VALUES (1, 'tote', 9, 1.50, NULL)");
	char *before = fx_rows(&fx, "wh", "SELECT * FROM t_merge ORDER BY id");
	r = fx_step(&fx, fx_run(&fx, "f"), "f", "merge", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(r.e.msg, "keys repeat in the source (orders): 1 key with 2 rows in "
			     "all: id=1 (2 rows)"), "%s", err_text(&r.e));
	ck_rows(&fx, "wh", "SELECT * FROM t_merge ORDER BY id", before);
	free(before);
	seen = pushdown_touched_rows(&fx);
	ck_assert_str_eq(seen, "");
	free(seen);
	fx_close(&fx);
}
END_TEST

static void pushdown_cases_add(TCase *tc)
{
	tcase_add_test(tc, pushdown_loads_inside_the_database);
	tcase_add_test(tc, pushdown_drift_commits_with_the_rows_and_a_failure_leaves_nothing);
	tcase_add_test(tc, merge_writes_only_changed_and_new_rows);
}

#endif
