/*
 * steps_sql_count_cases.h - what a `sql` step counts as its rows out, the
 * same cases on SQLite (test_steps.c) and on PostgreSQL (test_steps_pg.c).
 *
 * The file that includes this defines, before it:
 *   sql_count_warehouse()  the URL of the step's connection "wh"
 *   sql_count_dialect()    statements only its dialect has, appended to
 *                          the shared ones, and the rows they write
 * and registers the cases with sql_count_cases_add.
 *
 * What they show: a CREATE TABLE AS of 3 rows is 3 rows out (it was 0:
 * only statements starting with INSERT, UPDATE, DELETE, MERGE or REPLACE
 * were counted); a script's count is every statement's rows written,
 * including INSERT after WITH, and nothing for DDL, a query's rows or a
 * CREATE TABLE AS that found its table there already.
 */
#ifndef SLUICE_STEPS_SQL_COUNT_CASES_H
#define SLUICE_STEPS_SQL_COUNT_CASES_H

static const char *sql_count_warehouse(void);
static const char *sql_count_dialect(int64_t *rows);

/* Written by each statement: 3, 0, 0, 3, 2, 3, 2, 0, 0. */
#define SQL_COUNT_SHARED \
	"CREATE TABLE src AS SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3;\n" \
	"CREATE TABLE IF NOT EXISTS src AS SELECT 1 AS x;\n" \
	"CREATE TABLE t (x integer);\n" \
	"INSERT INTO t SELECT x FROM src;\n" \
	"WITH big AS (SELECT x FROM src WHERE x > 1) INSERT INTO t SELECT x * 10 FROM big;\n" \
	"UPDATE t SET x = x + 1 WHERE x < 10;\n" \
	"DELETE FROM t WHERE x >= 20;\n" \
	"SELECT x FROM t;\n" \
	"CREATE INDEX t_x ON t (x);\n"
#define SQL_COUNT_SHARED_ROWS 13

static void sql_count_open(struct fx *fx)
{
	static const char *const json =
		"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },\n"
		"  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
		"      { \"name\": \"ctas\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"        \"sql\": \"CREATE TABLE three AS SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3\" },\n"
		"      { \"name\": \"script\", \"kind\": \"sql\", \"connection\": \"wh\", \"file\": \"s.sql\" },\n"
		"      { \"name\": \"loose\", \"kind\": \"sql\", \"connection\": \"wh\", \"transaction\": false,\n"
		"        \"sql\": \"CREATE TABLE loose AS SELECT x FROM three_x; INSERT INTO loose SELECT x FROM loose\" }\n"
		"  ] } ] }\n";
	int64_t extra = 0;
	char *script = xasprintf("%s%s", SQL_COUNT_SHARED, sql_count_dialect(&extra));
	const char *files[] = { "s.sql", script, NULL };
	const char *at = strstr(json, "@WH@");
	char *text = xasprintf("%.*s%s%s", (int)(at - json), json, sql_count_warehouse(), at + 4);
	fx_open_files(fx, text, files);
	free(text);
	free(script);
}

START_TEST(sql_counts_the_rows_of_create_table_as)
{
	struct fx fx;
	sql_count_open(&fx);
	struct step_result r = fx_step(&fx, fx_run(&fx, "f"), "f", "ctas", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 3);
	ck_assert_str_eq(r.summary, "1 statement, 3 rows changed");
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM three"), 3);
	/* without a transaction, statement by statement, the same count */
	fx_exec(&fx, "wh", "CREATE TABLE three_x (x integer); INSERT INTO three_x VALUES (1), (2)");
	r = fx_step(&fx, fx_run(&fx, "f"), "f", "loose", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 4);
	fx_close(&fx);
}
END_TEST

START_TEST(sql_counts_every_statement_that_writes_rows)
{
	struct fx fx;
	sql_count_open(&fx);
	int64_t extra = 0;
	sql_count_dialect(&extra);
	struct step_result r = fx_step(&fx, fx_run(&fx, "f"), "f", "script", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, SQL_COUNT_SHARED_ROWS + extra);
	ck_rows(&fx, "wh", "SELECT x FROM src ORDER BY x", "1\n2\n3\n");
	fx_close(&fx);
}
END_TEST

static void sql_count_cases_add(TCase *tc)
{
	tcase_add_test(tc, sql_counts_the_rows_of_create_table_as);
	tcase_add_test(tc, sql_counts_every_statement_that_writes_rows);
}

#endif
