/*
 * test_steps_pg.c - the step kinds against a real PostgreSQL server (its
 * own, started by tests/lib/run-test), and between PostgreSQL and SQLite.
 *
 * What it shows: parameters bound on PostgreSQL next to :: casts and
 * dollar quotes; loads in every mode from SQLite into PostgreSQL and back,
 * and from one PostgreSQL database into another through COPY, with exact
 * contents including awkward values; schema drift done with ALTER TABLE
 * inside the load's transaction; a PostgreSQL-to-PostgreSQL COPY
 * cancelled mid-way leaves nothing; extracts from PostgreSQL into the lake
 * (and on through a pipe into SQLite) and into SQLite staging tables;
 * validate checks on PostgreSQL types.
 */
#include "test_steps_fixture.h"

/* Two databases, for loads from one PostgreSQL database into another. */
static char *conninfo_a, *conninfo_b;
/* The server's data directory: where a COPY TO writes a file that a COPY
 * FROM reads (the path must be absolute, and be this server's own). */
static char *server_dir;

static void suite_setup(void)
{
	conninfo_a = test_pg_suite_database("sluice_steps_a");
	conninfo_b = test_pg_suite_database("sluice_steps_b");
}

/* A fresh public schema in both databases before each test. */
static void setup(void)
{
	struct db *db = test_pg_open_empty(conninfo_a);
	struct err e = { 0 };
	if (!server_dir)
		ck_assert_msg(db_query_value(db, "SELECT current_setting('data_directory')",
					     NULL, 0, &server_dir, &e) == 1, "%s", err_text(&e));
	db_close(db);
	db_close(test_pg_open_empty(conninfo_b));
}

/* The project text with @PG@ for database a, @PG2@ for database b. */
static void fx_open_pg(struct fx *fx, const char *json, const char *const *files)
{
	struct buf b = BUF_INIT;
	for (const char *p = json; *p;) {
		if (strncmp(p, "@PG2@", 5) == 0) {
			buf_puts(&b, conninfo_b);
			p += 5;
		} else if (strncmp(p, "@PG@", 4) == 0) {
			buf_puts(&b, conninfo_a);
			p += 4;
		} else {
			buf_putc(&b, *p++);
		}
	}
	fx_open_files(fx, buf_str(&b), files);
	buf_free(&b);
}

static const char *merge_warehouse(void)
{
	return conninfo_a;
}

static const char *merge_surrogate(void)
{
	return "serial PRIMARY KEY";
}

#include "steps_merge_cases.h"

static const char *pushdown_warehouse(void)
{
	return conninfo_a;
}

/* The same database through another connection of the same role. */
static const char *pushdown_same(void)
{
	static char *same;
	free(same);
	same = xasprintf("%s application_name=sluice_same", conninfo_a);
	return same;
}

static const char *pushdown_touched(void)
{
	return "CREATE TABLE touched (op text);"
		"CREATE FUNCTION note_write() RETURNS trigger AS $$ BEGIN "
		"  INSERT INTO touched VALUES (TG_OP || ' ' || CASE WHEN TG_OP = 'DELETE' "
		"    THEN OLD.id ELSE NEW.id END); RETURN NULL; END $$ LANGUAGE plpgsql;"
		"CREATE TRIGGER t_merge_w AFTER INSERT OR UPDATE OR DELETE ON t_merge "
		"  FOR EACH ROW EXECUTE FUNCTION note_write();";
}

#include "steps_pushdown_cases.h"

static const char *sql_count_warehouse(void)
{
	return conninfo_a;
}

/* SELECT INTO, CREATE MATERIALIZED VIEW, MERGE, INSERT ... RETURNING
 * (whose result has rows, and whose tag counts what it wrote), COPY FROM
 * a server file (written there by a COPY TO, which reads: 0) and from a
 * program, and REFRESH MATERIALIZED VIEW (the view's rows after it). */
static const char *sql_count_dialect(int64_t *rows)
{
	static char *text;
	free(text);
	*rows = 3 + 2 + 3 + 1 + 0 + 3 + 2 + 2;
	text = xasprintf("SELECT x INTO copied FROM src;\n"
	       "CREATE MATERIALIZED VIEW mv AS SELECT x FROM src WHERE x < 3;\n"
	       "MERGE INTO t USING src ON t.x = src.x WHEN MATCHED THEN UPDATE SET x = t.x\n"
	       "  WHEN NOT MATCHED THEN INSERT VALUES (src.x);\n"
	       "INSERT INTO t VALUES (7) RETURNING x;\n"
	       "COPY src TO '%s/sluice_sql_count.csv';\n"
	       "COPY t FROM '%s/sluice_sql_count.csv';\n"
	       "COPY t (x) FROM PROGRAM 'seq 4 5';\n"
	       "REFRESH MATERIALIZED VIEW mv;\n", server_dir, server_dir);
	return text;
}

#include "steps_sql_count_cases.h"

/* The rows COPY ... FROM loads (a server file, a program) are rows out;
 * COPY ... TO's are rows read (it was: COPY's rows were never counted,
 * and a load of 15 rows said "0 rows changed").  COPY ... FROM STDIN is
 * refused in words a user can act on (it said "COPY goes through
 * db_writer_open and db_query_bulk, not db_exec"). */
START_TEST(pg_sql_counts_the_rows_copy_from_loads)
{
	static const char *const json =
		"{ \"connections\": { \"pg\": { \"url\": \"@PG@\" } },\n"
		"  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
		"    { \"name\": \"copy\", \"kind\": \"sql\", \"connection\": \"pg\", \"file\": \"copy.sql\" },\n"
		"    { \"name\": \"stdin\", \"kind\": \"sql\", \"connection\": \"pg\",\n"
		"      \"sql\": \"DELETE FROM dst;\\nCOPY dst FROM STDIN\" } ] } ] }\n";
	char *copy = xasprintf(
		"COPY src TO '%s/sluice_copy_case.csv' WITH (FORMAT csv);\n"
		"/* a comment first */ copy public.dst FROM 'sluice_copy_case.csv' WITH (FORMAT csv);\n"
		"COPY dst (\"x\") FROM PROGRAM 'seq 101 105';\n"
		"COPY (SELECT x FROM dst) TO '%s/sluice_copy_case_out.csv';\n",
		server_dir, server_dir);
	const char *files[] = { "copy.sql", copy, NULL };
	struct fx fx;
	fx_open_pg(&fx, json, files);
	free(copy);
	fx_exec(&fx, "pg", "CREATE TABLE src (x integer); CREATE TABLE dst (x integer);"
		"INSERT INTO src SELECT generate_series(1, 10)");
	struct step_result r = fx_step(&fx, fx_run(&fx, "f"), "f", "copy", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 15);
	ck_assert_str_eq(r.summary, "4 statements, 15 rows changed");
	ck_assert_int_eq(fx_count(&fx, "pg", "SELECT count(*) FROM dst"), 15);
	/* FROM STDIN has no one to send it rows: a clear error, nothing kept */
	r = fx_step(&fx, fx_run(&fx, "f"), "f", "stdin", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(r.e.msg, "statement at line 2: COPY ... FROM STDIN") &&
		      strstr(r.e.msg, "a file on the server"), "%s", r.e.msg);
	ck_assert_int_eq(fx_count(&fx, "pg", "SELECT count(*) FROM dst"), 15);
	fx_close(&fx);
}
END_TEST

/* A refresh's rows out are the rows its view holds after it, and the
 * summary says which view they are (it was 0: the tag has no count). */
START_TEST(pg_sql_counts_a_refreshed_view_and_names_it)
{
	static const char *const json =
		"{ \"connections\": { \"pg\": { \"url\": \"@PG@\" } },\n"
		"  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
		"    { \"name\": \"refresh\", \"kind\": \"sql\", \"connection\": \"pg\", \"file\": \"r.sql\" },\n"
		"    { \"name\": \"loose\", \"kind\": \"sql\", \"connection\": \"pg\",\n"
		"      \"transaction\": false, \"sql\": \"REFRESH MATERIALIZED VIEW big\" },\n"
		"    { \"name\": \"empty\", \"kind\": \"sql\", \"connection\": \"pg\",\n"
		"      \"sql\": \"REFRESH MATERIALIZED VIEW big WITH NO DATA\" } ] } ] }\n";
	static const char *const files[] = {
		"r.sql",
		"REFRESH MATERIALIZED VIEW big;\n"
		"refresh materialized view concurrently public.\"Small\";\n",
		NULL,
	};
	struct fx fx;
	fx_open_pg(&fx, json, files);
	fx_exec(&fx, "pg", "CREATE TABLE src (x integer);"
		"INSERT INTO src SELECT generate_series(1, 10);"
		"CREATE MATERIALIZED VIEW big AS SELECT x FROM src WHERE x > 3 WITH NO DATA;"
		"CREATE MATERIALIZED VIEW \"Small\" AS SELECT x FROM src WHERE x <= 3;"
		"CREATE UNIQUE INDEX small_x ON \"Small\" (x);"
		"INSERT INTO src VALUES (0)");
	struct step_result r = fx_step(&fx, fx_run(&fx, "f"), "f", "refresh", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 7 + 4);
	ck_assert_str_eq(r.summary, "2 statements, 11 rows changed; refreshed view big: "
			 "7 rows; refreshed view public.\"Small\": 4 rows");
	fx_exec(&fx, "pg", "INSERT INTO src VALUES (11)");
	r = fx_step(&fx, fx_run(&fx, "f"), "f", "loose", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 8);
	/* WITH NO DATA empties the view: nothing to count, nothing read */
	r = fx_step(&fx, fx_run(&fx, "f"), "f", "empty", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 0);
	ck_assert_str_eq(r.summary, "1 statement, 0 rows changed; refreshed view big: 0 rows");
	fx_close(&fx);
}
END_TEST

/* ---- sql ---------------------------------------------------------------------------- */

static const char *const sql_project =
	"{ \"connections\": { \"pg\": { \"url\": \"@PG@\" } },\n"
	"  \"flows\": [ { \"name\": \"f\",\n"
	"    \"params\": { \"day\": { \"type\": \"date\", \"default\": \"2026-02-03\" },\n"
	"                \"who\": { \"type\": \"text\", \"default\": \"x\" } },\n"
	"    \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"pg\", \"file\": \"s.sql\" } ] } ] }\n";

static const char *const sql_files[] = {
	"s.sql",
	"CREATE TABLE t (d date, s text, n int);\n"
	"CREATE FUNCTION twice(x int) RETURNS int AS $$\n"
	"BEGIN\n"
	"  RETURN x * 2; -- a ; inside the body\n"
	"END $$ LANGUAGE plpgsql;\n"
	"INSERT INTO t VALUES (:day::date + 1, :who, twice(length(:who)::int));\n"
	"INSERT INTO t SELECT d, $tag$ :who $tag$ || E'\\':day', n FROM t;\n",
	NULL,
};

START_TEST(pg_sql_binds_next_to_casts_and_dollar_quotes)
{
	struct fx fx;
	fx_open_pg(&fx, sql_project, sql_files);
	const char *kv[] = { "who", "'); DROP TABLE t; --", NULL };
	struct step_result r = fx_step(&fx, fx_run(&fx, "f"), "f", "s", kv);
	ck_assert_msg(r.rc == 0, "%s", err_text(&r.e));
	ck_rows(&fx, "pg", "SELECT d, s, n FROM t ORDER BY s",
		"2026-02-04| :who ':day|40\n"
		"2026-02-04|'); DROP TABLE t; --|40\n");
	fx_close(&fx);
}
END_TEST

/* ---- loads between PostgreSQL and SQLite ------------------------------------------------ */

static const char *const load_project =
	"{ \"connections\": { \"pg\": { \"url\": \"@PG@\" }, \"pg2\": { \"url\": \"@PG2@\" },\n"
	"                   \"lite\": { \"url\": \"sqlite:lite.db\" } },\n"
	"  \"flows\": [ { \"name\": \"f\", \"params\": { \"min\": { \"type\": \"int\", \"default\": 0 } },\n"
	"    \"steps\": [\n"
	"      { \"name\": \"to_pg\", \"kind\": \"load\", \"from\": { \"connection\": \"lite\", \"table\": \"src\" },\n"
	"        \"connection\": \"pg\", \"table\": \"t\", \"mode\": \"merge\", \"key\": [\"id\"] },\n"
	"      { \"name\": \"to_pg_append\", \"kind\": \"load\", \"from\": { \"connection\": \"lite\", \"table\": \"src\" },\n"
	"        \"connection\": \"pg\", \"table\": \"t_append\" },\n"
	"      { \"name\": \"to_pg_replace\", \"kind\": \"load\", \"from\": { \"connection\": \"lite\", \"table\": \"src\" },\n"
	"        \"connection\": \"pg\", \"table\": \"t_replace\", \"mode\": \"replace\" },\n"
	"      { \"name\": \"to_lite\", \"kind\": \"load\", \"from\": { \"connection\": \"pg\", \"table\": \"t\" },\n"
	"        \"connection\": \"lite\", \"table\": \"back\", \"mode\": \"replace\" },\n"
	"      { \"name\": \"to_lite_merge\", \"kind\": \"load\", \"from\": { \"connection\": \"pg\",\n"
	"          \"query\": \"SELECT id, amount, note FROM t WHERE id > :min\" },\n"
	"        \"connection\": \"lite\", \"table\": \"back_merge\", \"mode\": \"merge\", \"key\": [\"id\"] },\n"
	"      { \"name\": \"pg_pg\", \"kind\": \"load\", \"from\": { \"connection\": \"pg\",\n"
	"          \"query\": \"SELECT id, amount, at, note FROM t\" },\n"
	"        \"connection\": \"pg2\", \"table\": \"copy\", \"mode\": \"append\" },\n"
	"      { \"name\": \"pg_pg_params\", \"kind\": \"load\", \"from\": { \"connection\": \"pg\",\n"
	"          \"query\": \"SELECT id, amount, at, note FROM t WHERE id > :min\" },\n"
	"        \"connection\": \"pg2\", \"table\": \"copy_merge\", \"mode\": \"merge\", \"key\": [\"id\"] },\n"
	"      { \"name\": \"big\", \"kind\": \"load\", \"from\": { \"connection\": \"pg\",\n"
	"          \"query\": \"SELECT g AS id, md5(g::text) AS label FROM generate_series(1, 100000000) g\" },\n"
	"        \"connection\": \"pg2\", \"table\": \"big\" } ] } ] }\n";

static void make_src(struct fx *fx)
{
	fx_exec(fx, "lite",
		"CREATE TABLE src (id integer PRIMARY KEY, amount numeric(10,2), at timestamp, "
		"  ok boolean, note text);"
		"INSERT INTO src VALUES (1, 3.5, '2022-11-03 14:20:49.962', 1, 'tab\there'),"
		"  (2, -0.25, '2022-11-04 00:00:00', 0, 'line\nbreak \\ back'),"
		"  (3, NULL, NULL, NULL, NULL);");
}

static const char *const expect_t =
	"1|3.50|2022-11-03 14:20:49.962|t|tab\there\n"
	"2|-0.25|2022-11-04 00:00:00|f|line\nbreak \\ back\n"
	"3|NULL|NULL|NULL|NULL\n";

START_TEST(pg_load_from_sqlite_and_back_in_every_mode)
{
	struct fx fx;
	fx_open_pg(&fx, load_project, NULL);
	make_src(&fx);
	int64_t run = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, run, "f", "to_pg", NULL));
	ck_step_ok(fx_step(&fx, run, "f", "to_pg_append", NULL));
	ck_step_ok(fx_step(&fx, run, "f", "to_pg_replace", NULL));
	ck_rows(&fx, "pg", "SELECT id, amount, at, ok, note FROM t ORDER BY id", expect_t);
	/* the target took the source's types */
	ck_rows(&fx, "pg", "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
		"attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum",
		"bigint\nnumeric(10,2)\ntimestamp without time zone\nboolean\ntext\n");
	ck_step_ok(fx_step(&fx, run, "f", "to_lite", NULL));
	ck_rows(&fx, "lite", "SELECT id, amount, at, ok, note FROM back ORDER BY id", expect_t);

	fx_exec(&fx, "lite", "UPDATE src SET amount = 99.99 WHERE id = 1;"
		"INSERT INTO src VALUES (4, 1, '2023-01-01 00:00:00', 1, 'four')");
	run = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, run, "f", "to_pg", NULL));
	ck_step_ok(fx_step(&fx, run, "f", "to_pg_append", NULL));
	ck_step_ok(fx_step(&fx, run, "f", "to_pg_replace", NULL));
	ck_rows(&fx, "pg", "SELECT id, amount FROM t ORDER BY id", "1|99.99\n2|-0.25\n3|NULL\n4|1.00\n");
	ck_assert_int_eq(fx_count(&fx, "pg", "SELECT count(*) FROM t_append"), 7);
	ck_rows(&fx, "pg", "SELECT id, amount FROM t_replace ORDER BY id",
		"1|99.99\n2|-0.25\n3|NULL\n4|1.00\n");
	const char *kv[] = { "min", "2", NULL };
	ck_step_ok(fx_step(&fx, run, "f", "to_lite", NULL));
	ck_step_ok(fx_step(&fx, run, "f", "to_lite_merge", kv));
	ck_rows(&fx, "lite", "SELECT id, amount FROM back ORDER BY id",
		"1|99.99\n2|-0.25\n3|NULL\n4|1.00\n");
	ck_rows(&fx, "lite", "SELECT id, amount, note FROM back_merge ORDER BY id",
		"3|NULL|NULL\n4|1.00|four\n");
	fx_close(&fx);
}
END_TEST

START_TEST(pg_to_pg_copies_lines_and_merges)
{
	struct fx fx;
	fx_open_pg(&fx, load_project, NULL);
	make_src(&fx);
	int64_t run = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, run, "f", "to_pg", NULL));
	struct step_result r = fx_step(&fx, run, "f", "pg_pg", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 3);
	/* another database on the same server is not the same database */
	ck_assert_str_eq(r.summary, "appended 3 rows to copy; copied from pg (COPY)");
	ck_rows(&fx, "pg2", "SELECT id, amount, at, note FROM copy ORDER BY id",
		"1|3.50|2022-11-03 14:20:49.962|tab\there\n"
		"2|-0.25|2022-11-04 00:00:00|line\nbreak \\ back\n"
		"3|NULL|NULL|NULL\n");
	const char *kv[] = { "min", "1", NULL };
	ck_step_ok(fx_step(&fx, run, "f", "pg_pg_params", kv));
	fx_exec(&fx, "pg", "UPDATE t SET note = 'changed' WHERE id = 3");
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "pg_pg_params", kv));
	ck_rows(&fx, "pg2", "SELECT id, note FROM copy_merge ORDER BY id",
		"2|line\nbreak \\ back\n3|changed\n");
	fx_close(&fx);
}
END_TEST

/* Two runs' first loads of the same new table at the same moment: each
 * from its own project and control store, released together from a lock
 * this test holds on the ledger, which both read first.  Before, both
 * found no table, both ran CREATE TABLE, and the second failed on
 * pg_type's unique index when the first committed. */
struct racing_load {
	struct fx *fx;
	struct step_result r;
};

static void *racing_load_main(void *arg)
{
	struct racing_load *l = arg;
	l->r = fx_step(l->fx, fx_run(l->fx, "f"), "f", "to_pg_append", NULL);
	return NULL;
}

/* Wait (up to 20 s) until n sessions wait for a lock on table. */
static void wait_for_waiters(struct db *db, const char *table, int64_t n)
{
	struct err e;
	const char *params[] = { table };
	int64_t waiting = 0;
	for (int i = 0; i < 2000 && waiting < n; i++) {
		ck_assert_msg(db_query_int(db, "SELECT count(*) FROM pg_locks WHERE NOT granted "
					   "AND relation = $1::regclass", params, 1, &waiting,
					   &e) == 1, "%s", err_text(&e));
		if (waiting < n)
			usleep(10000);
	}
	ck_assert_int_eq(waiting, n);
}

START_TEST(pg_first_loads_of_one_table_at_once_both_land)
{
	struct fx fx[2];
	for (int i = 0; i < 2; i++) {
		fx_open_pg(&fx[i], load_project, NULL);
		fx_exec(&fx[i], "lite", i == 0
			? "CREATE TABLE src (id integer, note text);"
			  "INSERT INTO src VALUES (1, 'a1'), (2, 'a2'), (3, 'a3');"
			: "CREATE TABLE src (id integer, note text);"
			  "INSERT INTO src VALUES (4, 'b4'), (5, 'b5'), (6, 'b6');");
	}
	struct err e;
	struct db *gate = db_open(conninfo_a, NULL, &e);
	ck_assert_msg(gate != NULL, "%s", err_text(&e));
	ck_assert_msg(db_ledger_ensure(gate, &e) == 0, "%s", err_text(&e));
	for (int round = 0; round < 5; round++) {
		ck_assert_msg(db_exec_script(gate, "DROP TABLE IF EXISTS t_append; BEGIN; "
					     "LOCK TABLE _sluice_ledger IN ACCESS EXCLUSIVE MODE",
					     &e) == 0, "%s", err_text(&e));
		struct racing_load l[2] = { { &fx[0], { 0 } }, { &fx[1], { 0 } } };
		pthread_t t[2];
		for (int i = 0; i < 2; i++)
			ck_assert_int_eq(pthread_create(&t[i], NULL, racing_load_main, &l[i]), 0);
		wait_for_waiters(gate, "_sluice_ledger", 2);
		ck_assert_msg(db_commit(gate, &e) == 0, "%s", err_text(&e));
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; i < 2; i++) {
			ck_assert_msg(l[i].r.rc == 0, "round %d, load %d: %s", round, i,
				      err_text(&l[i].r.e));
			ck_assert_int_eq(l[i].r.rows_out, 3);
		}
		ck_rows(&fx[0], "pg", "SELECT id, note FROM t_append ORDER BY id",
			"1|a1\n2|a2\n3|a3\n4|b4\n5|b5\n6|b6\n");
	}
	db_close(gate);
	for (int i = 0; i < 2; i++)
		fx_close(&fx[i]);
}
END_TEST

START_TEST(pg_schema_drift_alters_inside_the_load)
{
	struct fx fx;
	fx_open_pg(&fx, load_project, NULL);
	fx_exec(&fx, "lite", "CREATE TABLE src (id integer, amount integer, gone text);"
		"INSERT INTO src VALUES (1, 5, 'g');");
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "to_pg_append", NULL));
	fx_exec(&fx, "lite", "DROP TABLE src; CREATE TABLE src (id integer, amount numeric(8,3), "
		"extra text); INSERT INTO src VALUES (2, 1.125, 'x');");
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "to_pg_append", NULL));
	ck_rows(&fx, "pg", "SELECT id, amount, gone, extra FROM t_append ORDER BY id",
		"1|5.000|g|NULL\n2|1.125|NULL|x\n");
	ck_rows(&fx, "pg", "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
		"attrelid = 't_append'::regclass AND attname = 'amount'", "numeric(22,3)\n");
	ck_schema_changes(&fx, "pg", "t_append", 3);
	/* a load that fails rolls the drift back with it */
	fx_exec(&fx, "lite", "DROP TABLE src; CREATE TABLE src (id text, more text);"
		"INSERT INTO src VALUES ('not a number', 'm');");
	struct step_result r = fx_step(&fx, fx_run(&fx, "f"), "f", "to_pg_append", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(r.e.msg, "not a number"), "%s", err_text(&r.e));
	ck_assert_int_eq(fx_count(&fx, "pg", "SELECT count(*) FROM pg_attribute WHERE "
				  "attrelid = 't_append'::regclass AND attname = 'more'"), 0);
	ck_schema_changes(&fx, "pg", "t_append", 3);
	fx_close(&fx);
}
END_TEST

START_TEST(pg_to_pg_cancelled_midway_leaves_nothing)
{
	struct fx fx;
	fx_open_pg(&fx, load_project, NULL);
	int64_t run = fx_run(&fx, "f");
	fx_db(&fx, "pg");
	fx_db(&fx, "pg2");
	usec_t took = fx_step_cancelled(&fx, run, "f", "big", 500);
	/* it stopped at the cancel, not at the end of 100 million rows */
	ck_assert_msg(took < 30 * USEC_PER_SEC, "took %lld us", (long long)took);
	ck_assert_int_eq(fx_count(&fx, "pg2", "SELECT count(*) FROM pg_class WHERE relname = 'big'"),
			 0);
	/* the connections work afterwards */
	ck_assert_int_eq(fx_count(&fx, "pg2", "SELECT 1"), 1);
	fx_close(&fx);
}
END_TEST

/* ---- extract from PostgreSQL -------------------------------------------------------------- */

static const char *const extract_project =
	"{ \"connections\": { \"pg\": { \"url\": \"@PG@\" }, \"lite\": { \"url\": \"sqlite:lite.db\" } },\n"
	"  \"lake\": { \"url\": \"file:lake\" },\n"
	"  \"pipes\": [ { \"name\": \"so_pipe\", \"path\": \"so/\", \"connection\": \"lite\", \"table\": \"raw_so\" } ],\n"
	"  \"flows\": [ { \"name\": \"x\", \"steps\": [\n"
	"      { \"name\": \"lake\", \"kind\": \"extract\", \"lag\": \"0s\", \"connection\": \"pg\", \"tables\": [\"so\"] },\n"
	"      { \"name\": \"ingest\", \"kind\": \"ingest\", \"pipe\": \"so_pipe\", \"needs\": [\"lake\"] },\n"
	"      { \"name\": \"stage\", \"kind\": \"extract\", \"lag\": \"0s\", \"connection\": \"pg\", \"tables\": [\"so\"],\n"
	"        \"to\": { \"connection\": \"lite\", \"table_prefix\": \"stg_\" } },\n"
	"      { \"name\": \"check\", \"kind\": \"validate\", \"connection\": \"pg\", \"table\": \"so\",\n"
	"        \"checks\": [ { \"type\": \"accepted_values\", \"column\": \"price\", \"values\": [1.5, \"2.00\"] },\n"
	"          { \"type\": \"unique\", \"columns\": [\"id\", \"flag\"] } ] } ] } ] }\n";

START_TEST(pg_extract_to_lake_and_to_sqlite_staging)
{
	struct fx fx;
	fx_open_pg(&fx, extract_project, NULL);
	fx_exec(&fx, "pg", "CREATE TABLE so (id int PRIMARY KEY, price numeric(10,2), flag bool, "
		"doc jsonb, last_updated timestamp);"
		"CREATE INDEX ON so (last_updated);"
		"INSERT INTO so VALUES (1, 1.5, true, '{\"a\": [1, 2]}', '2026-02-01 00:00:00'),"
		"  (2, 2, false, NULL, '2026-02-28 23:59:59.999999'),"
		"  (3, 9, NULL, NULL, localtimestamp + interval '1 hour')");
	int64_t r1 = fx_run(&fx, "x");
	struct step_result r = fx_step(&fx, r1, "x", "lake", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 2);     /* not the row ahead of the server's clock */
	char *text = fx_lake_read(&fx, "so/2026/02/28/235959999999.ndjson");
	ck_assert_str_eq(text,
		"{\"id\":1,\"price\":1.50,\"flag\":true,\"doc\":\"{\\\"a\\\": [1, 2]}\","
		"\"last_updated\":\"2026-02-01 00:00:00\"}\n"
		"{\"id\":2,\"price\":2.00,\"flag\":false,\"doc\":null,"
		"\"last_updated\":\"2026-02-28 23:59:59.999999\"}\n");
	free(text);
	/* ... and on through a pipe into SQLite */
	r = fx_step(&fx, r1, "x", "ingest", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 2);
	ck_rows(&fx, "lite", "SELECT id, price, flag, doc, last_updated FROM raw_so ORDER BY id",
		"1|1.50|t|{\"a\": [1, 2]}|2026-02-01 00:00:00\n"
		"2|2.00|f|NULL|2026-02-28 23:59:59.999999\n");
	ck_step_ok(fx_step(&fx, r1, "x", "stage", NULL));
	ck_rows(&fx, "lite", "SELECT id, price, flag, doc, last_updated FROM stg_so ORDER BY id",
		"1|1.50|t|{\"a\": [1, 2]}|2026-02-01 00:00:00\n"
		"2|2.00|f|NULL|2026-02-28 23:59:59.999999\n");
	/* validate on PostgreSQL types: numeric compared as text */
	r = fx_step(&fx, r1, "x", "check", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(r.e.msg, "accepted_values(price): 2 rows") &&
		      !strstr(r.e.msg, "unique"), "%s", err_text(&r.e));
	fx_close(&fx);
}
END_TEST

/* ---- timestamps with a UTC offset, the same on both backends ------------------------------ */

/* The same NDJSON and CSV files through pipes into raw tables on SQLite
 * and on PostgreSQL, with inferred and with declared columns. */
static const char *const offsets_project =
	"{ \"connections\": { \"pg\": { \"url\": \"@PG@\" }, \"lite\": { \"url\": \"sqlite:lite.db\" } },\n"
	"  \"lake\": { \"url\": \"file:lake\" },\n"
	"  \"pipes\": [\n"
	"    { \"name\": \"nd_lite\", \"path\": \"nd/\", \"connection\": \"lite\", \"table\": \"raw_nd\" },\n"
	"    { \"name\": \"nd_pg\", \"path\": \"nd/\", \"connection\": \"pg\", \"table\": \"raw_nd\" },\n"
	"    { \"name\": \"csv_lite\", \"path\": \"csv/\", \"format\": \"csv\", \"connection\": \"lite\",\n"
	"      \"table\": \"raw_csv\" },\n"
	"    { \"name\": \"csv_pg\", \"path\": \"csv/\", \"format\": \"csv\", \"connection\": \"pg\",\n"
	"      \"table\": \"raw_csv\" },\n"
	"    { \"name\": \"decl_lite\", \"path\": \"nd/\", \"connection\": \"lite\", \"table\": \"raw_decl\",\n"
	"      \"columns\": [ { \"name\": \"id\", \"type\": \"integer\" }, { \"name\": \"at\", \"type\": \"timestamp\" } ] },\n"
	"    { \"name\": \"decl_pg\", \"path\": \"nd/\", \"connection\": \"pg\", \"table\": \"raw_decl\",\n"
	"      \"columns\": [ { \"name\": \"id\", \"type\": \"integer\" }, { \"name\": \"at\", \"type\": \"timestamp\" } ] } ],\n"
	"  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
	"      { \"name\": \"nd_lite\", \"kind\": \"ingest\", \"pipe\": \"nd_lite\" },\n"
	"      { \"name\": \"nd_pg\", \"kind\": \"ingest\", \"pipe\": \"nd_pg\" },\n"
	"      { \"name\": \"csv_lite\", \"kind\": \"ingest\", \"pipe\": \"csv_lite\" },\n"
	"      { \"name\": \"csv_pg\", \"kind\": \"ingest\", \"pipe\": \"csv_pg\" },\n"
	"      { \"name\": \"decl_lite\", \"kind\": \"ingest\", \"pipe\": \"decl_lite\" },\n"
	"      { \"name\": \"decl_pg\", \"kind\": \"ingest\", \"pipe\": \"decl_pg\" } ] } ] }\n";

static const char *const offsets_files[] = {
	"lake/nd/2024/06/01/000000000000.ndjson",
	"{\"id\": 1, \"at\": \"2024-06-01T12:00:00+05:30\"}\n"
	"{\"id\": 2, \"at\": \"2024-06-01T12:00:00Z\"}\n"
	"{\"id\": 3, \"at\": \"2024-06-01 12:00:00\"}\n"
	"{\"id\": 4, \"at\": \"2024-06-01T23:30:00.25-04:00\"}\n"
	"{\"id\": 5, \"at\": \"2024-06-01T00:15:00+01\"}\n",
	"lake/csv/2024/06/01/000000000000.csv",
	"id,at\n"
	"1,2024-06-01T12:00:00+05:30\n"
	"2,2024-06-01T12:00:00Z\n"
	"3,2024-06-01 12:00:00\n"
	"4,2024-06-01T23:30:00.25-04:00\n"
	"5,2024-06-01T00:15:00+01\n",
	NULL,
};

/* Every row as the instant in UTC, both backends alike. */
static const char *const offsets_utc =
	"1|2024-06-01 06:30:00\n"
	"2|2024-06-01 12:00:00\n"
	"3|2024-06-01 12:00:00\n"
	"4|2024-06-02 03:30:00.25\n"
	"5|2024-05-31 23:15:00\n";

START_TEST(pg_offset_timestamps_store_the_same_instant_as_sqlite)
{
	struct fx fx;
	fx_open_pg(&fx, offsets_project, offsets_files);
	int64_t run = fx_run(&fx, "f");
	static const char *const steps[] = { "nd_lite", "nd_pg", "csv_lite", "csv_pg",
					     "decl_lite", "decl_pg" };
	for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
		struct step_result r = fx_step(&fx, run, "f", steps[i], NULL);
		ck_assert_msg(r.rc == 0, "%s: %s", steps[i], err_text(&r.e));
		ck_assert_msg(r.rows_out == 5, "%s: %lld rows", steps[i], (long long)r.rows_out);
	}
	static const char *const tables[] = { "raw_nd", "raw_csv", "raw_decl" };
	for (size_t i = 0; i < ARRAY_LEN(tables); i++) {
		char *sql = xasprintf("SELECT id, at FROM %s ORDER BY id", tables[i]);
		char *lite = fx_rows(&fx, "lite", sql), *pg = fx_rows(&fx, "pg", sql);
		ck_assert_msg(strcmp(lite, offsets_utc) == 0, "SQLite %s:\n%s", tables[i], lite);
		ck_assert_msg(strcmp(pg, offsets_utc) == 0, "PostgreSQL %s:\n%s", tables[i], pg);
		free(lite);
		free(pg);
		free(sql);
	}
	/* the column holds instants, not text */
	ck_rows(&fx, "pg", "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
		"attrelid = 'raw_nd'::regclass AND attname = 'at'", "timestamp without time zone\n");
	fx_close(&fx);
}
END_TEST

/* ---- where an extract's window ends, on the server's own clock ------------------ */

/* The project text with @PG@ as a role of its own, when a test needs
 * one that sees less than the owner does. */
static const char *const window_project =
	"{ \"connections\": { \"pg\": { \"url\": \"@PG@\" },\n"
	"                   \"reader\": { \"url\": \"@PG@ user=reader\" } },\n"
	"  \"lake\": { \"url\": \"file:lake\" },\n"
	"  \"flows\": [ { \"name\": \"w\", \"steps\": [\n"
	"      { \"name\": \"declared\", \"kind\": \"extract\", \"lag\": \"0s\", \"connection\": \"pg\",\n"
	"        \"prefix\": \"declared\", \"tables\": [ { \"table\": \"t\", \"timezone\": \"America/New_York\" } ] },\n"
	"      { \"name\": \"plain\", \"kind\": \"extract\", \"lag\": \"0s\", \"connection\": \"pg\",\n"
	"        \"prefix\": \"plain\", \"tables\": [\"t\"] },\n"
	"      { \"name\": \"lagged\", \"kind\": \"extract\", \"connection\": \"pg\",\n"
	"        \"prefix\": \"lagged\", \"tables\": [\"t\"] },\n"
	"      { \"name\": \"blind\", \"kind\": \"extract\", \"lag\": \"0s\", \"connection\": \"reader\",\n"
	"        \"prefix\": \"blind\", \"tables\": [\"t\"] } ] } ] }\n";

/* Run each of `steps` (NULL-terminated) of flow w in a new run started now. */
static void run_steps(struct fx *fx, const char *const *steps)
{
	for (size_t i = 0; steps[i]; i++) {
		fx->run_start = fx_real_now();
		fx_run_step(fx, "w", steps[i]);
	}
}

/* The server writes New York's wall clock into a naive column (the
 * report: `now() at time zone 'America/New_York'` on a UTC server).
 * Before, the window ended at this host's UTC clock and the second row,
 * five hours behind it, was never read. */
START_TEST(pg_extract_reads_naive_local_time_behind_utc)
{
	struct fx fx;
	fx_open_pg(&fx, window_project, NULL);
	fx_exec(&fx, "pg", "CREATE TABLE t (id int PRIMARY KEY, last_updated timestamp "
		"DEFAULT (now() AT TIME ZONE 'America/New_York'));"
		"CREATE INDEX ON t (last_updated); INSERT INTO t (id) VALUES (1)");
	static const char *const both[] = { "declared", "plain", NULL };
	run_steps(&fx, both);
	fx_exec(&fx, "pg", "INSERT INTO t (id) VALUES (2)");
	run_steps(&fx, both);
	fx_exec(&fx, "pg", "INSERT INTO t (id) VALUES (3)");
	run_steps(&fx, both);
	ck_lake_ids(&fx, "declared/", "1 2 3");
	ck_lake_ids(&fx, "plain/", "1 2 3");
	fx_close(&fx);
}
END_TEST

/* Rows stamped by a clock 30 s slow (a column default), read with the
 * default lag: each row once, however the runs and the writes interleave. */
START_TEST(pg_extract_catches_rows_from_a_slow_clock)
{
	struct fx fx;
	fx_open_pg(&fx, window_project, NULL);
	fx_exec(&fx, "pg", "CREATE TABLE t (id int PRIMARY KEY, last_updated timestamptz "
		"DEFAULT now() - interval '30 seconds');"
		"CREATE INDEX ON t (last_updated); INSERT INTO t (id) VALUES (1)");
	static const char *const lagged[] = { "lagged", NULL };
	run_steps(&fx, lagged);
	ck_lake_ids(&fx, "lagged/", "1");
	fx_exec(&fx, "pg", "INSERT INTO t (id) VALUES (2)");
	run_steps(&fx, lagged);
	fx_exec(&fx, "pg", "INSERT INTO t (id) VALUES (3)");
	run_steps(&fx, lagged);
	ck_lake_ids(&fx, "lagged/", "1 2 3");
	fx_close(&fx);
}
END_TEST

/* A transaction stamps its row (now(), its start) and stays open while a
 * newer row commits and a run reads, longer than the lag (0 s here): the
 * window stops before the open transaction began, so the late row is
 * read by the run after its commit, and the newer one once, with it. */
START_TEST(pg_extract_waits_for_a_transaction_open_longer_than_the_lag)
{
	struct fx fx;
	fx_open_pg(&fx, window_project, NULL);
	fx_exec(&fx, "pg", "CREATE TABLE t (id int PRIMARY KEY, last_updated timestamptz "
		"DEFAULT now()); CREATE INDEX ON t (last_updated); INSERT INTO t (id) VALUES (1)");
	struct err e;
	struct db *late = db_open(conninfo_a, NULL, &e);
	ck_assert_msg(late != NULL, "%s", err_text(&e));
	ck_assert_int_eq(db_begin(late, &e), 0);
	ck_assert_msg(db_exec(late, "INSERT INTO t (id) VALUES (2)", NULL, 0, NULL, &e) == 0,
		      "%s", err_text(&e));
	fx_exec(&fx, "pg", "INSERT INTO t (id) VALUES (3)");
	static const char *const plain[] = { "plain", NULL };
	run_steps(&fx, plain);
	ck_lake_ids(&fx, "plain/", "1");
	ck_assert_int_eq(db_commit(late, &e), 0);
	db_close(late);
	run_steps(&fx, plain);
	ck_lake_ids(&fx, "plain/", "1 2 3");
	fx_close(&fx);
}
END_TEST

/* Warnings logged while a test runs, one a line. */
static struct buf warnings;

static void keep_warnings(const struct log_record *rec, void *arg UNUSED)
{
	if (rec->level >= LOG_WARN)
		buf_printf(&warnings, "%s\n", rec->message);
}

/* A role that cannot see other sessions' transactions cannot wait for
 * them: it says so, and the lag alone is what protects it. */
START_TEST(pg_extract_says_when_it_cannot_see_open_transactions)
{
	struct fx fx;
	fx_open_pg(&fx, window_project, NULL);
	fx_exec(&fx, "pg", "DO $$ BEGIN CREATE ROLE reader LOGIN; EXCEPTION WHEN "
		"duplicate_object THEN NULL; END $$;"
		"GRANT USAGE ON SCHEMA public TO reader;"
		"CREATE TABLE t (id int PRIMARY KEY, last_updated timestamptz DEFAULT now());"
		"CREATE INDEX ON t (last_updated); GRANT SELECT ON t TO reader;"
		"INSERT INTO t (id) VALUES (1)");
	buf_free(&warnings);
	int sink = log_add_sink(LOG_WARN, keep_warnings, NULL);
	static const char *const blind[] = { "blind", NULL };
	run_steps(&fx, blind);
	log_remove_sink(sink);
	ck_assert_msg(strstr(buf_str(&warnings), "are not visible to this role (grant it "
			     "pg_read_all_stats)"), "%s", buf_str(&warnings));
	ck_lake_ids(&fx, "blind/", "1");
	buf_free(&warnings);
	fx_close(&fx);
}
END_TEST

/* The same database as another role is not taken for the target's: the
 * statement would run with the target role's privileges, so the rows are
 * copied, read as the source's role. */
START_TEST(pg_same_database_as_another_role_is_copied)
{
	static const char *const json =
		"{ \"connections\": { \"wh\": { \"url\": \"@PG@\" },\n"
		"                   \"reader\": { \"url\": \"@PG@ user=reader\" } },\n"
		"  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
		"      { \"name\": \"l\", \"kind\": \"load\", \"from\": { \"connection\": \"reader\",\n"
		"          \"table\": \"orders\" }, \"connection\": \"wh\", \"table\": \"t\" } ] } ] }\n";
	struct fx fx;
	fx_open_pg(&fx, json, NULL);
	fx_exec(&fx, "wh", "DO $$ BEGIN CREATE ROLE reader LOGIN; EXCEPTION WHEN "
		"duplicate_object THEN NULL; END $$;"
		"GRANT USAGE ON SCHEMA public TO reader;"
		"CREATE TABLE orders (id int, item text); GRANT SELECT ON orders TO reader;"
		"INSERT INTO orders VALUES (1, 'tote'), (2, 'bag')");
	struct step_result r = fx_run_step(&fx, "f", "l");
	ck_assert_str_eq(r.summary, "appended 2 rows to t; copied from reader (COPY)");
	ck_rows(&fx, "wh", "SELECT id, item FROM t ORDER BY id", "1|tote\n2|bag\n");
	fx_close(&fx);
}
END_TEST

static Suite *steps_pg_suite(void)
{
	Suite *s = suite_create("steps_pg");
	TCase *tc = tcase_create("postgresql");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, suite_setup, NULL);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, pg_sql_binds_next_to_casts_and_dollar_quotes);
	tcase_add_test(tc, pg_load_from_sqlite_and_back_in_every_mode);
	tcase_add_test(tc, pg_to_pg_copies_lines_and_merges);
	tcase_add_test(tc, pg_schema_drift_alters_inside_the_load);
	tcase_add_test(tc, pg_to_pg_cancelled_midway_leaves_nothing);
	tcase_add_test(tc, pg_extract_to_lake_and_to_sqlite_staging);
	tcase_add_test(tc, pg_offset_timestamps_store_the_same_instant_as_sqlite);
	merge_cases_add(tc);
	pushdown_cases_add(tc);
	tcase_add_test(tc, pg_first_loads_of_one_table_at_once_both_land);
	sql_count_cases_add(tc);
	tcase_add_test(tc, pg_sql_counts_the_rows_copy_from_loads);
	tcase_add_test(tc, pg_sql_counts_a_refreshed_view_and_names_it);
	tcase_add_test(tc, pg_same_database_as_another_role_is_copied);
	tcase_add_test(tc, pg_extract_reads_naive_local_time_behind_utc);
	tcase_add_test(tc, pg_extract_catches_rows_from_a_slow_clock);
	tcase_add_test(tc, pg_extract_waits_for_a_transaction_open_longer_than_the_lag);
	tcase_add_test(tc, pg_extract_says_when_it_cannot_see_open_transactions);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(steps_pg_suite)
