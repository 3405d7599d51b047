/*
 * test_steps.c - the step kinds on SQLite, run as the engine runs them:
 * a project loaded from a real sluice.json, a control store, real
 * database files and a file lake.
 *
 * What it shows: :name parameters are bound (an injection attempt stays a
 * value) and scripts split safely; sql steps commit with their ledger
 * entry and are skipped when a run is retried; loads append, merge and
 * replace with exact contents, handle schema drift (column added, integer
 * widened to numeric, dropped column kept and reported once) and leave
 * nothing behind when cancelled mid-way; extracts are incremental and a
 * re-run of a planned window rewrites the same lake key; every validate
 * check passes and fails; notify queues, http downloads; backfill mode
 * redirects loads and skips extracts; cache keys follow their inputs;
 * steps_validate reports bad keys at their paths.
 */
#include "test_steps_fixture.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "steps/steps_int.h"

static const char *merge_warehouse(void)
{
	return "sqlite:wh.db";
}

static const char *merge_surrogate(void)
{
	return "integer PRIMARY KEY";
}

#include "steps_merge_cases.h"

static const char *pushdown_warehouse(void)
{
	return "sqlite:wh.db";
}

/* The same file by another path. */
static const char *pushdown_same(void)
{
	return "sqlite:./wh.db";
}

static const char *pushdown_touched(void)
{
	return "CREATE TABLE touched (op text);"
		"CREATE TRIGGER t_merge_i AFTER INSERT ON t_merge BEGIN "
		"  INSERT INTO touched VALUES ('INSERT ' || new.id); END;"
		"CREATE TRIGGER t_merge_u AFTER UPDATE ON t_merge BEGIN "
		"  INSERT INTO touched VALUES ('UPDATE ' || new.id); END;"
		"CREATE TRIGGER t_merge_d AFTER DELETE ON t_merge BEGIN "
		"  INSERT INTO touched VALUES ('DELETE ' || old.id); END;";
}

#include "steps_pushdown_cases.h"

static const char *sql_count_warehouse(void)
{
	return "sqlite:wh.db";
}

/* REPLACE, RETURNING, and CREATE TABLE AS into a quoted temporary and a
 * schema-qualified name. */
static const char *sql_count_dialect(int64_t *rows)
{
	*rows = 1 + 2 + 1 + 3;
	return "REPLACE INTO t VALUES (9);\n"
	       "CREATE TEMP TABLE \"odd \"\"name\"\"\" AS SELECT x FROM src WHERE x < 3;\n"
	       "CREATE TABLE main.q AS SELECT x FROM src WHERE x = 1;\n"
	       "INSERT INTO t SELECT x FROM src RETURNING x;\n";
}

#include "steps_sql_count_cases.h"

/* ---- parameters and splitting -------------------------------------------------- */

struct kv_lookup {
	const char *const *kv;
};

static int kv_param(void *arg, const char *name, const char **value, struct err *e UNUSED)
{
	const struct kv_lookup *l = arg;
	for (size_t i = 0; l->kv[i]; i += 2) {
		if (strcmp(l->kv[i], name) == 0) {
			*value = l->kv[i + 1];
			return 1;
		}
	}
	return 0;
}

START_TEST(params_rewritten_outside_quotes_comments_and_casts)
{
	static const char *const kv[] = { "a", "1", "b", "two", NULL };
	struct kv_lookup l = { kv };
	struct sql_bound b;
	struct err e;
	const char *sql = "SELECT :a, ':a', \"x:a\", -- :a\n :b /* :a /* :a */ :a */, "
			  "x::text, $$ :a $$, $q$ :b $q$, E'\\' :a', arr[1:n], :a";
	ck_assert_int_eq(steps_sql_bind_with(DB_POSTGRES, sql, kv_param, &l, &b, &e), 0);
	ck_assert_str_eq(b.sql, "SELECT $1, ':a', \"x:a\", -- :a\n $2 /* :a /* :a */ :a */, "
			 "x::text, $$ :a $$, $q$ :b $q$, E'\\' :a', arr[1:n], $1");
	ck_assert_int_eq(b.nvalues, 2);
	ck_assert_str_eq(b.values[0], "1");
	ck_assert_str_eq(b.values[1], "two");
	steps_sql_bound_free(&b);

	/* SQLite: no nested comments, no dollar quotes, [brackets] quote */
	ck_assert_int_eq(steps_sql_bind_with(DB_SQLITE, "SELECT [x:a], `:b`, /* :a */ :b", kv_param,
				       &l, &b, &e), 0);
	ck_assert_str_eq(b.sql, "SELECT [x:a], `:b`, /* :a */ $1");
	steps_sql_bound_free(&b);
}
END_TEST

START_TEST(params_unknown_and_positional_refused)
{
	static const char *const kv[] = { "a", "1", NULL };
	struct kv_lookup l = { kv };
	struct sql_bound b;
	struct err e;
	ck_assert_int_eq(steps_sql_bind_with(DB_SQLITE, "SELECT 1\nFROM t WHERE x = :nope", kv_param,
				       &l, &b, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_msg(strstr(e.msg, ":nope") != NULL, "%s", e.msg);
	ck_assert_str_eq(e.where, "line 2, column 18");
	ck_assert_int_eq(steps_sql_bind_with(DB_POSTGRES, "SELECT $1", kv_param, &l, &b, &e), -1);
	ck_assert_msg(strstr(e.msg, ":name") != NULL, "%s", e.msg);
	ck_assert_int_eq(steps_sql_bind_with(DB_SQLITE, "SELECT 'open", kv_param, &l, &b, &e), -1);
	ck_assert_int_eq(e.code, ERR_PARSE);
}
END_TEST

START_TEST(split_respects_quotes_comments_and_trigger_bodies)
{
	struct vec v = VEC_INIT;
	struct err e;
	const char *sql = "CREATE TABLE a(x);\n"
			  "INSERT INTO a VALUES ('x;y'); -- not; a statement\n"
			  "/* ; */\n"
			  "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
			  "  UPDATE a SET x = CASE WHEN 1 THEN 2 END;\n"
			  "  SELECT 1;\n"
			  "END;\n"
			  "SELECT \"a;b\" FROM a;\n"
			  "-- trailing comment only\n";
	ck_assert_int_eq(steps_sql_split(DB_SQLITE, sql, &v, &e), 0);
	ck_assert_int_eq(v.len, 4);
	struct sql_stmt *st = v.items[1];
	ck_assert_str_eq(st->text, "INSERT INTO a VALUES ('x;y')");
	ck_assert_int_eq(st->line, 2);
	st = v.items[2];
	ck_assert_int_eq(st->line, 4);
	ck_assert_msg(str_ends_with(st->text, "SELECT 1;\nEND"), "%s", st->text);
	st = v.items[3];
	ck_assert_str_eq(st->text, "SELECT \"a;b\" FROM a");
	steps_sql_stmts_free(&v);

	/* dollar quotes hold semicolons on PostgreSQL */
	ck_assert_int_eq(steps_sql_split(DB_POSTGRES, "CREATE FUNCTION f() RETURNS int AS $body$ "
				   "BEGIN RETURN 1; END $body$ LANGUAGE plpgsql; SELECT 2",
				   &v, &e), 0);
	ck_assert_int_eq(v.len, 2);
	steps_sql_stmts_free(&v);
}
END_TEST

/* ---- sql steps -------------------------------------------------------------------- */

static const char *const sql_project =
	"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
	"  \"flows\": [ { \"name\": \"f\",\n"
	"    \"params\": { \"who\": { \"type\": \"text\", \"default\": \"nobody\" },\n"
	"                \"n\": { \"type\": \"int\", \"default\": 1 } },\n"
	"    \"steps\": [\n"
	"      { \"name\": \"init\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
	"        \"sql\": \"CREATE TABLE notes (who text, n integer, tag text); CREATE TABLE marks (run integer, ws text, we text)\" },\n"
	"      { \"name\": \"add\", \"kind\": \"sql\", \"connection\": \"wh\", \"file\": \"add.sql\" },\n"
	"      { \"name\": \"bad\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
	"        \"sql\": \"INSERT INTO notes VALUES ('first', 1, NULL); INSERT INTO nosuch VALUES (1)\" },\n"
	"      { \"name\": \"txn\", \"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"BEGIN; SELECT 1; COMMIT\" },\n"
	"      { \"name\": \"window\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
	"        \"sql\": \"INSERT INTO marks VALUES (:run_id, :window_start, :window_end)\" },\n"
	"      { \"name\": \"mode\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
	"        \"sql\": \"INSERT INTO notes (who, n) VALUES ('mode', CAST(:backfill AS integer))\" } ] } ] }\n";

static const char *const sql_files[] = {
	"add.sql",
	"-- two statements, parameters in each\n"
	"INSERT INTO notes (who, n, tag) VALUES (:who, :n, 'it''s :who');\n"
	"UPDATE notes SET n = n + :n WHERE who = :who;\n",
	NULL,
};

START_TEST(sql_binds_parameters_and_keeps_injection_a_value)
{
	struct fx fx;
	fx_open_files(&fx, sql_project, sql_files);
	int64_t run = fx_run(&fx, "f");
	struct step_result r = fx_step(&fx, run, "f", "init", NULL);
	ck_step_ok(r);
	const char *evil = "x'); DROP TABLE notes; --";
	const char *kv[] = { "who", evil, "n", "5", NULL };
	r = fx_step(&fx, run, "f", "add", kv);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 2);
	ck_rows(&fx, "wh", "SELECT who, n, tag FROM notes",
		"x'); DROP TABLE notes; --|10|it's :who\n");
	fx_close(&fx);
}
END_TEST

START_TEST(sql_ledger_skips_a_retried_step)
{
	struct fx fx;
	fx_open_files(&fx, sql_project, sql_files);
	int64_t run = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, run, "f", "init", NULL));
	ck_step_ok(fx_step(&fx, run, "f", "add", NULL));
	/* the same run again (a retry after a later step failed): skipped */
	struct step_result r = fx_step(&fx, run, "f", "add", NULL);
	ck_step_ok(r);
	ck_assert_msg(strstr(r.summary, "already committed") != NULL, "%s", r.summary);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM notes"), 1);
	char *key = xasprintf("SELECT count(*) FROM _sluice_ledger WHERE key = "
			      "'store:%s:run:%lld:step:add' AND store_id = '%s'",
			      store_id(fx.store), (long long)run, store_id(fx.store));
	ck_assert_int_eq(fx_count(&fx, "wh", key), 1);
	free(key);
	/* another run does the work */
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "add", NULL));
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM notes"), 2);
	fx_close(&fx);
}
END_TEST

/* Give fx a control store from before store ids that had run `runs` runs;
 * opening it, the migration gives it an id and says it is that old. */
static void fx_legacy_store(struct fx *fx, int runs)
{
	struct err e;
	store_close(fx->store);
	char *url = xasprintf("sqlite:%s/control-before-ids.db", fx->dir);
	test_store_before_ids(url, runs);
	fx->store = store_open(url, NULL, &e);
	ck_assert_msg(fx->store != NULL, "%s", err_text(&e));
	free(url);
}

/* An entry as a sluice from before store ids wrote it. */
static void put_old_entry(struct fx *fx, const char *key, int64_t run)
{
	struct err e;
	struct db *wh = fx_db(fx, "wh");
	ck_assert_int_eq(db_ledger_ensure(wh, &e), 0);
	ck_assert_msg(db_ledger_put(wh, key, NULL, run, "old", &e) == 0, "%s", err_text(&e));
}

/* Entries written before control stores had ids: the store that is that
 * old takes its own runs' entries (the run was in flight when sluice was
 * upgraded), and claims the database's entries without an id; a store
 * made with an id never takes them; and when another store's entries were
 * there first, sluice cannot tell and says how to settle it. */
START_TEST(ledger_entries_from_before_store_ids)
{
	struct fx fx;
	fx_open_files(&fx, sql_project, sql_files);
	/* a store made with an id: an old entry for "its" run 1 is not its */
	int64_t run = fx_run(&fx, "f");
	ck_assert(!store_identity(fx.store)->legacy);
	ck_step_ok(fx_step(&fx, run, "f", "init", NULL));
	put_old_entry(&fx, "run:1:step:add", 1);
	struct step_result r = fx_step(&fx, run, "f", "add", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM notes"), 1);

	/* a store from before ids, whose run 1 was in flight: its old entry
	 * is its own, so the step is not done again */
	fx_legacy_store(&fx, 1);
	const struct store_identity *id = store_identity(fx.store);
	ck_assert(id->legacy);
	ck_assert_int_eq(id->legacy_runs_upto, 1);
	fx_exec(&fx, "wh", "DELETE FROM _sluice_ledger; DELETE FROM notes");
	put_old_entry(&fx, "run:1:step:add", 1);
	r = fx_step(&fx, 1, "f", "add", NULL);
	ck_step_ok(r);
	ck_assert_msg(strstr(r.summary, "already committed") != NULL, "%s", r.summary);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM notes"), 0);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM _sluice_ledger WHERE "
				  "key = 'legacy-owner'"), 1);
	/* its runs after the upgrade never take an old entry */
	run = fx_run(&fx, "f");
	ck_assert_int_gt(run, 1);
	char *key = xasprintf("run:%lld:step:add", (long long)run);
	put_old_entry(&fx, key, run);
	free(key);
	ck_step_ok(fx_step(&fx, run, "f", "add", NULL));
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM notes"), 1);

	/* another store's entries there before this one claimed the old
	 * ones: the step neither runs nor is skipped */
	fx_exec(&fx, "wh", "DELETE FROM _sluice_ledger; DELETE FROM notes");
	put_old_entry(&fx, "run:1:step:add", 1);
	struct err e;
	ck_assert_int_eq(db_ledger_put(fx_db(&fx, "wh"), "store:other:run:1:step:add", "other",
				       1, NULL, &e), 0);
	r = fx_step(&fx, 1, "f", "add", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_int_eq(r.e.code, ERR_CONFLICT);
	ck_assert_msg(strstr(r.e.msg, "cannot tell") && strstr(r.e.msg, "UPDATE _sluice_ledger"),
		      "%s", r.e.msg);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM notes"), 0);
	fx_close(&fx);
}
END_TEST

START_TEST(sql_failure_rolls_back_every_statement)
{
	struct fx fx;
	fx_open_files(&fx, sql_project, sql_files);
	int64_t run = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, run, "f", "init", NULL));
	struct step_result r = fx_step(&fx, run, "f", "bad", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(r.e.msg, "nosuch") && strstr(r.e.msg, "statement at line 1"),
		      "%s", r.e.msg);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM notes"), 0);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM _sluice_ledger WHERE "
				  "key LIKE '%step:bad'"), 0);
	ck_assert(!db_in_transaction(fx_db(&fx, "wh")));
	r = fx_step(&fx, run, "f", "txn", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(r.e.msg, "BEGIN") && strstr(r.e.msg, "\"transaction\": false"),
		      "%s", r.e.msg);
	fx_close(&fx);
}
END_TEST

START_TEST(sql_window_parameters_follow_completed_runs)
{
	struct fx fx;
	fx_open_files(&fx, sql_project, sql_files);
	int64_t r1 = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, r1, "f", "init", NULL));
	ck_step_ok(fx_step(&fx, r1, "f", "window", NULL));
	fx_finish(&fx, r1, RUN_COMPLETED);
	struct store_run *run1 = store_run_get(fx.store, r1, NULL);
	char started[32];
	steps_format_ts(run1->started, started);
	store_run_free(run1);
	/* a failed run in between does not move the window's start */
	int64_t r2 = fx_run(&fx, "f");
	fx_finish(&fx, r2, RUN_FAILED);
	fx.run_start += 3600 * USEC_PER_SEC;
	int64_t r3 = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, r3, "f", "window", NULL));
	char *expect = xasprintf("%lld|NULL|2026-03-01 10:00:00.000000\n"
				 "%lld|%s|2026-03-01 11:00:00.000000\n",
				 (long long)r1, (long long)r3, started);
	ck_rows(&fx, "wh", "SELECT run, ws, we FROM marks ORDER BY run", expect);
	free(expect);
	fx_close(&fx);
}
END_TEST

/* SQL that keeps its own incremental bookkeeping (the demo's stage) tells a
 * backfill's rebuild from an ordinary run by :backfill. */
START_TEST(sql_backfill_parameter_says_which_run)
{
	struct fx fx;
	fx_open_files(&fx, sql_project, sql_files);
	int64_t run = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, run, "f", "init", NULL));
	ck_step_ok(fx_step(&fx, run, "f", "mode", NULL));
	fx.backfill = true;
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "mode", NULL));
	ck_rows(&fx, "wh", "SELECT n FROM notes WHERE who = 'mode' ORDER BY n", "0\n1\n");
	fx_close(&fx);
}
END_TEST

/* ---- loads --------------------------------------------------------------------------- */

static const char *const load_project =
	"{ \"connections\": { \"src\": { \"url\": \"sqlite:src.db\" },\n"
	"                   \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
	"  \"flows\": [ { \"name\": \"f\",\n"
	"    \"params\": { \"min_id\": { \"type\": \"int\", \"default\": 0 } },\n"
	"    \"steps\": [\n"
	"      { \"name\": \"append\", \"kind\": \"load\", \"from\": { \"connection\": \"src\", \"table\": \"orders\" },\n"
	"        \"connection\": \"wh\", \"table\": \"t_append\" },\n"
	"      { \"name\": \"merge\", \"kind\": \"load\", \"from\": { \"connection\": \"src\", \"table\": \"orders\" },\n"
	"        \"connection\": \"wh\", \"table\": \"t_merge\", \"mode\": \"merge\", \"key\": [\"id\"] },\n"
	"      { \"name\": \"replace\", \"kind\": \"load\", \"from\": { \"connection\": \"src\",\n"
	"          \"query\": \"SELECT id, qty * 2 AS qty2 FROM orders WHERE id > :min_id;\" },\n"
	"        \"connection\": \"wh\", \"table\": \"t_replace\", \"mode\": \"replace\" },\n"
	"      { \"name\": \"local\", \"kind\": \"load\", \"from\": { \"file\": \"pick.sql\" },\n"
	"        \"connection\": \"wh\", \"table\": \"t_local\", \"mode\": \"merge\", \"key\": [\"id\", \"part\"] },\n"
	"      { \"name\": \"big\", \"kind\": \"load\", \"from\": { \"connection\": \"src\",\n"
	"          \"query\": \"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000000) SELECT i AS id, 'row ' || i AS label FROM n\" },\n"
	"        \"connection\": \"wh\", \"table\": \"t_big\" } ] } ] }\n";

static const char *const load_files[] = {
	"pick.sql", "SELECT id, part, note FROM parts WHERE id >= :min_id\n", NULL,
};

static void make_orders(struct fx *fx)
{
	fx_exec(fx, "src", "CREATE TABLE orders (id integer PRIMARY KEY, item text, qty integer);"
		"INSERT INTO orders VALUES (1, 'tote', 3), (2, 'bag', 5), (3, 'tin', NULL);");
}

START_TEST(load_append_merge_replace_across_connections)
{
	struct fx fx;
	fx_open_files(&fx, load_project, load_files);
	make_orders(&fx);
	int64_t run = fx_run(&fx, "f");
	struct step_result r = fx_step(&fx, run, "f", "append", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 3);
	ck_step_ok(fx_step(&fx, run, "f", "merge", NULL));
	ck_step_ok(fx_step(&fx, run, "f", "replace", NULL));
	ck_rows(&fx, "wh", "SELECT id, item, qty FROM t_append ORDER BY id",
		"1|tote|3\n2|bag|5\n3|tin|NULL\n");
	ck_rows(&fx, "wh", "SELECT id, qty2 FROM t_replace ORDER BY id", "1|6\n2|10\n3|NULL\n");

	/* the source changes: one row updated, one new, one gone */
	fx_exec(&fx, "src", "UPDATE orders SET qty = 7 WHERE id = 2; DELETE FROM orders WHERE id = 3;"
		"INSERT INTO orders VALUES (4, 'box', 1);");
	run = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, run, "f", "append", NULL));
	r = fx_step(&fx, run, "f", "merge", NULL);
	ck_step_ok(r);
	ck_assert_str_eq(r.summary, "merged 3 rows into t_merge: 1 updated, 1 inserted, 1 unchanged; copied from src (row by row)");
	const char *kv[] = { "min_id", "1", NULL };
	ck_step_ok(fx_step(&fx, run, "f", "replace", kv));
	ck_rows(&fx, "wh", "SELECT id, item, qty FROM t_append ORDER BY id, qty",
		"1|tote|3\n1|tote|3\n2|bag|5\n2|bag|7\n3|tin|NULL\n4|box|1\n");
	/* merge: keys present replaced, absent kept, new added */
	ck_rows(&fx, "wh", "SELECT id, item, qty FROM t_merge ORDER BY id",
		"1|tote|3\n2|bag|7\n3|tin|NULL\n4|box|1\n");
	ck_rows(&fx, "wh", "SELECT id, qty2 FROM t_replace ORDER BY id", "2|14\n4|2\n");
	/* the scratch table of the merge is gone */
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM sqlite_master WHERE "
				  "name LIKE '_sluice_stage%'"), 0);
	fx_close(&fx);
}
END_TEST

START_TEST(load_within_one_connection_and_from_a_file)
{
	struct fx fx;
	fx_open_files(&fx, load_project, load_files);
	fx_exec(&fx, "wh", "CREATE TABLE parts (id integer, part text, note text);"
		"INSERT INTO parts VALUES (1, 'a', 'one'), (1, 'b', 'two'), (2, 'a', 'three');");
	int64_t run = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, run, "f", "local", NULL));
	fx_exec(&fx, "wh", "UPDATE parts SET note = 'TWO' WHERE part = 'b';"
		"INSERT INTO parts VALUES (3, 'c', 'four')");
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "local", NULL));
	ck_rows(&fx, "wh", "SELECT id, part, note FROM t_local ORDER BY id, part",
		"1|a|one\n1|b|TWO\n2|a|three\n3|c|four\n");
	fx_close(&fx);
}
END_TEST

START_TEST(load_ledger_skips_a_retried_load)
{
	struct fx fx;
	fx_open_files(&fx, load_project, load_files);
	make_orders(&fx);
	int64_t run = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, run, "f", "append", NULL));
	struct step_result r = fx_step(&fx, run, "f", "append", NULL);
	ck_step_ok(r);
	/* nothing written again, but the rows the first attempt committed
	 * still count for the run */
	ck_assert_int_eq(r.rows_out, 3);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM t_append"), 3);
	fx_close(&fx);
}
END_TEST

START_TEST(load_schema_drift_adds_widens_and_reports)
{
	struct fx fx;
	fx_open_files(&fx, load_project, load_files);
	fx_exec(&fx, "src", "CREATE TABLE orders (id integer, item text, qty integer, note text);"
		"INSERT INTO orders VALUES (1, 'tote', 3, 'n1');");
	int64_t run = fx_run(&fx, "f");
	ck_step_ok(fx_step(&fx, run, "f", "append", NULL));
	/* the source grows a column, widens qty, loses note */
	fx_exec(&fx, "src", "DROP TABLE orders;"
		"CREATE TABLE orders (id integer, item text, qty numeric(12,3), colour text);"
		"INSERT INTO orders VALUES (2, 'bag', 2.5, 'red');");
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "append", NULL));
	ck_rows(&fx, "wh", "SELECT id, item, qty, note, colour FROM t_append ORDER BY id",
		"1|tote|3.000|n1|NULL\n2|bag|2.500|NULL|red\n");
	struct err e;
	struct db_table *t = db_describe(fx_db(&fx, "wh"), "t_append", &e);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->columns[2].type.type, DT_NUMERIC);
	db_table_free(t);
	struct vec changes = VEC_INIT;
	ck_assert_int_eq(store_schema_change_list(fx.store, "wh", "t_append", 10, &changes, &e), 0);
	ck_assert_int_eq(changes.len, 3);
	bool added = false, widened = false, dropped = false;
	for (size_t i = 0; i < changes.len; i++) {
		struct store_schema_change *c = changes.items[i];
		added |= c->kind == SCHEMA_ADDED && !strcmp(c->column, "colour");
		widened |= c->kind == SCHEMA_WIDENED && !strcmp(c->column, "qty") &&
			   strstr(c->new_type, "numeric") != NULL;
		dropped |= c->kind == SCHEMA_DROPPED_IN_SOURCE && !strcmp(c->column, "note");
	}
	ck_assert(added && widened && dropped);
	store_schema_change_list_free(&changes);
	/* a third load reports nothing new */
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "append", NULL));
	ck_schema_changes(&fx, "wh", "t_append", 3);
	fx_close(&fx);
}
END_TEST

START_TEST(load_cancelled_midway_leaves_no_rows)
{
	struct fx fx;
	fx_open_files(&fx, load_project, load_files);
	int64_t run = fx_run(&fx, "f");
	/* both connections open before the canceller starts */
	fx_db(&fx, "src");
	fx_db(&fx, "wh");
	fx_step_cancelled(&fx, run, "f", "big", 300);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM sqlite_master WHERE name = "
				  "'t_big'"), 0);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM _sluice_ledger"), 0);
	fx_close(&fx);
}
END_TEST

START_TEST(backfill_loads_into_backfill_tables_and_skips_extracts)
{
	struct fx fx;
	fx_open_files(&fx, load_project, load_files);
	make_orders(&fx);
	fx.backfill = true;
	ck_step_ok(fx_step(&fx, fx_run(&fx, "f"), "f", "append", NULL));
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM t_append_backfill"), 3);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM sqlite_master WHERE name = "
				  "'t_append'"), 0);
	fx_close(&fx);
}
END_TEST

/* ---- extract ------------------------------------------------------------------------------ */

static const char *const extract_project =
	"{ \"connections\": { \"src\": { \"url\": \"sqlite:src.db\" },\n"
	"                   \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
	"  \"lake\": { \"url\": \"file:lake\" },\n"
	"  \"flows\": [ { \"name\": \"ingest\", \"steps\": [\n"
	"      { \"name\": \"extract\", \"kind\": \"extract\", \"lag\": \"0s\", \"connection\": \"src\",\n"
	"        \"tables\": [\"staff\", { \"table\": \"dept\", \"columns\": [\"id\", \"name\"] }] },\n"
	"      { \"name\": \"as_csv\", \"kind\": \"extract\", \"lag\": \"0s\", \"connection\": \"src\", \"format\": \"csv\",\n"
	"        \"prefix\": \"csv\", \"tables\": [\"staff\"] },\n"
	"      { \"name\": \"stage\", \"kind\": \"extract\", \"lag\": \"0s\", \"connection\": \"src\",\n"
	"        \"to\": { \"connection\": \"wh\", \"table_prefix\": \"stg_\" }, \"tables\": [\"staff\"] } ] } ] }\n";

static void make_staff(struct fx *fx)
{
	fx_exec(fx, "src",
		"CREATE TABLE staff (id integer PRIMARY KEY, name text, salary numeric(10,2), "
		"  active boolean, last_updated timestamp);"
		"CREATE INDEX staff_lu ON staff (last_updated);"
		"INSERT INTO staff VALUES (1, 'Jeremie \"JF\" Franey', 100.5, 1, '2026-02-01 09:00:00'),"
		"  (2, 'Deron, Beier', 200, 0, '2026-02-02 09:00:00'),"
		"  (3, 'in the future', 1, 1, '2026-12-01 00:00:00');"
		"CREATE TABLE dept (id integer, name text, secret text, last_updated timestamp);"
		"INSERT INTO dept VALUES (1, 'Sales', 's', '2026-01-01 00:00:00');");
}

/* Warnings logged while a test runs, one a line. */
static struct buf warnings;

static void keep_warnings(const struct log_record *rec, void *arg UNUSED)
{
	if (rec->level >= LOG_WARN)
		buf_printf(&warnings, "%s %s\n", rec->object ? rec->object : "-", rec->message);
}

START_TEST(extract_is_incremental_and_writes_one_file_per_window)
{
	struct fx fx;
	fx_open(&fx, extract_project);
	make_staff(&fx);
	int sink = log_add_sink(LOG_WARN, keep_warnings, NULL);
	int64_t r1 = fx_run(&fx, "ingest");
	struct step_result r = fx_step(&fx, r1, "ingest", "extract", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 3);
	/* dept has no index on its watermark, staff has one; staff's row
	 * stamped months ahead of the clock is waited for, and said so */
	ck_assert_msg(strstr(buf_str(&warnings), "table:dept no index on dept.last_updated") &&
		      !strstr(buf_str(&warnings), "no index on staff") &&
		      strstr(buf_str(&warnings), "table:staff staff: the newest last_updated "
			     "(2026-12-01 00:00:00.000) is ahead of the source's clock"),
		      "%s", buf_str(&warnings));
	log_remove_sink(sink);
	/* keyed by the window's end: the newest watermark read */
	char *keys = fx_lake_keys(&fx, "");
	ck_assert_str_eq(keys, "dept/2026/01/01/000000000000.ndjson\n"
			 "staff/2026/02/02/090000000000.ndjson\n");
	free(keys);
	char *text = fx_lake_read(&fx, "staff/2026/02/02/090000000000.ndjson");
	ck_assert_str_eq(text,
		"{\"id\":1,\"name\":\"Jeremie \\\"JF\\\" Franey\",\"salary\":100.50,"
		"\"active\":true,\"last_updated\":\"2026-02-01 09:00:00\"}\n"
		"{\"id\":2,\"name\":\"Deron, Beier\",\"salary\":200.00,"
		"\"active\":false,\"last_updated\":\"2026-02-02 09:00:00\"}\n");
	free(text);
	text = fx_lake_read(&fx, "dept/2026/01/01/000000000000.ndjson");
	ck_assert_str_eq(text, "{\"id\":1,\"name\":\"Sales\"}\n");
	free(text);
	fx_finish(&fx, r1, RUN_COMPLETED);

	/* an hour later: one update, one new row; the dept has nothing new */
	fx_exec(&fx, "src", "UPDATE staff SET salary = 300, last_updated = '2026-03-01 10:30:00' "
		"WHERE id = 2; INSERT INTO staff VALUES (4, 'new', 5, 1, '2026-03-01 10:45:00')");
	fx.run_start += 3600 * USEC_PER_SEC;
	int64_t r2 = fx_run(&fx, "ingest");
	r = fx_step(&fx, r2, "ingest", "extract", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 2);
	text = fx_lake_read(&fx, "staff/2026/03/01/104500000000.ndjson");
	ck_assert_msg(strstr(text, "\"id\":2") && strstr(text, "\"id\":4") &&
		      !strstr(text, "\"id\":1"), "%s", text);
	free(text);
	keys = fx_lake_keys(&fx, "dept/");
	ck_assert_str_eq(keys, "dept/2026/01/01/000000000000.ndjson\n");
	free(keys);

	/* CSV */
	fx.run_start += 60 * USEC_PER_SEC;
	ck_step_ok(fx_step(&fx, fx_run(&fx, "ingest"), "ingest", "as_csv", NULL));
	text = fx_lake_read(&fx, "csv/staff/2026/03/01/104500000000.csv");
	ck_assert_str_eq(text, "id,name,salary,active,last_updated\r\n"
			 "1,\"Jeremie \"\"JF\"\" Franey\",100.50,t,2026-02-01 09:00:00\r\n"
			 "2,\"Deron, Beier\",300.00,f,2026-03-01 10:30:00\r\n"
			 "4,new,5.00,t,2026-03-01 10:45:00\r\n");
	free(text);
	fx_close(&fx);
}
END_TEST

/* A row stamped just before the source's clock (on SQLite, this host's)
 * may belong to a transaction that has not committed yet: the window
 * stops `lag` (default 2s) earlier and leaves such rows to the next run,
 * which takes them exactly once. */
static const char *const lag_project =
	"{ \"connections\": { \"src\": { \"url\": \"sqlite:src.db\" } },\n"
	"  \"lake\": { \"url\": \"file:lake\" },\n"
	"  \"flows\": [ { \"name\": \"ingest\", \"steps\": [\n"
	"      { \"name\": \"extract\", \"kind\": \"extract\", \"connection\": \"src\",\n"
	"        \"tables\": [\"staff\"] } ] } ] }\n";

START_TEST(extract_leaves_the_last_seconds_to_the_next_run)
{
	struct fx fx;
	fx_open(&fx, lag_project);          /* runs start at 2026-03-01 10:00:00 */
	fx_exec(&fx, "src",
		"CREATE TABLE staff (id integer PRIMARY KEY, name text, last_updated timestamp);"
		"CREATE INDEX staff_lu ON staff (last_updated);"
		"INSERT INTO staff VALUES (1, 'old', '2026-03-01 09:00:00'),"
		"  (2, 'just now', '2026-03-01 09:59:59.500')");
	int64_t r1 = fx_run(&fx, "ingest");
	struct step_result r = fx_step(&fx, r1, "ingest", "extract", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 1);
	char *keys = fx_lake_keys(&fx, "");
	ck_assert_str_eq(keys, "staff/2026/03/01/090000000000.ndjson\n");
	free(keys);
	fx_finish(&fx, r1, RUN_COMPLETED);

	fx.run_start += 60 * USEC_PER_SEC;
	int64_t r2 = fx_run(&fx, "ingest");
	r = fx_step(&fx, r2, "ingest", "extract", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 1);
	char *text = fx_lake_read(&fx, "staff/2026/03/01/095959500000.ndjson");
	ck_assert_msg(strstr(text, "\"id\":2") && !strstr(text, "\"id\":1"), "%s", text);
	free(text);
	fx_finish(&fx, r2, RUN_COMPLETED);
	fx_close(&fx);
}
END_TEST

START_TEST(extract_rerun_of_a_planned_window_rewrites_the_same_key)
{
	struct fx fx;
	fx_open(&fx, extract_project);
	make_staff(&fx);
	int64_t run = fx_run(&fx, "ingest");
	/* an earlier attempt planned the window and died before writing */
	struct store_watermark *w = NULL;
	struct err e;
	ck_assert_int_eq(store_wm_plan(fx.store, "ingest", "extract", "staff", run, NULL,
				       "2026-03-01 10:00:00.000000", &w, &e), 0);
	store_wm_free(w);
	/* the recovered attempt starts later, but extracts the planned window */
	fx.run_start += 7 * 60 * USEC_PER_SEC;
	fx_exec(&fx, "src", "INSERT INTO staff VALUES (5, 'late', 1, 1, '2026-03-01 10:05:00')");
	ck_step_ok(fx_step(&fx, run, "ingest", "extract", NULL));
	char *keys = fx_lake_keys(&fx, "staff/");
	ck_assert_str_eq(keys, "staff/2026/03/01/100000000000.ndjson\n");
	free(keys);
	char *first = fx_lake_read(&fx, "staff/2026/03/01/100000000000.ndjson");
	ck_assert_msg(!strstr(first, "late"), "%s", first);
	/* and once more with the window put back: same key, same rows */
	ck_assert_int_eq(store_wm_set(fx.store, "ingest", "extract", "staff", NULL, &e), 0);
	ck_assert_int_eq(store_wm_plan(fx.store, "ingest", "extract", "staff", run, NULL,
				       "2026-03-01 10:00:00.000000", &w, &e), 0);
	store_wm_free(w);
	ck_step_ok(fx_step(&fx, run, "ingest", "extract", NULL));
	keys = fx_lake_keys(&fx, "staff/");
	ck_assert_str_eq(keys, "staff/2026/03/01/100000000000.ndjson\n");
	free(keys);
	char *second = fx_lake_read(&fx, "staff/2026/03/01/100000000000.ndjson");
	ck_assert_str_eq(first, second);
	free(first);
	free(second);
	fx_close(&fx);
}
END_TEST

/* A run wrote its window's file and lost the commit (the control store
 * went, the engine died), and had no retry left: the engine cleared the
 * window.  The next run takes that file as the window's result instead of
 * extracting its rows into a second file that a pipe would load again;
 * without the file, it extracts the window again. */
START_TEST(extract_takes_a_written_window_whose_commit_was_lost)
{
	struct fx fx;
	fx_open(&fx, extract_project);
	make_staff(&fx);
	struct err e;
	int64_t r1 = fx_run(&fx, "ingest");
	ck_step_ok(fx_step(&fx, r1, "ingest", "extract", NULL));
	fx_finish(&fx, r1, RUN_COMPLETED);
	struct store_watermark *w = NULL;
	ck_assert_int_eq(store_wm_get(fx.store, "ingest", "extract", "staff", &w, &e), 1);
	char *w1 = xstrdup(w->committed);
	store_wm_free(w);

	fx_exec(&fx, "src", "INSERT INTO staff VALUES (6, 'six', 6, 1, '2026-03-01 10:20:00')");
	fx.run_start += 3600 * USEC_PER_SEC;
	int64_t r2 = fx_run(&fx, "ingest");
	ck_step_ok(fx_step(&fx, r2, "ingest", "extract", NULL));
	char *written = fx_lake_keys(&fx, "staff/");
	/* ... as if its commit was lost: the window back to pending, then
	 * cleared by the failed run's end */
	ck_assert_int_eq(store_wm_get(fx.store, "ingest", "extract", "staff", &w, &e), 1);
	char *w2 = xstrdup(w->committed);
	store_wm_free(w);
	ck_assert_int_eq(store_wm_set(fx.store, "ingest", "extract", "staff", w1, &e), 0);
	ck_assert_int_eq(store_wm_plan(fx.store, "ingest", "extract", "staff", r2, w1, w2,
				       &w, &e), 0);
	store_wm_free(w);
	ck_assert_int_eq(store_wm_clear_run(fx.store, r2, NULL, &e), 0);
	fx_finish(&fx, r2, RUN_FAILED);

	fx_exec(&fx, "src", "INSERT INTO staff VALUES (7, 'seven', 7, 1, '2026-03-01 11:20:00')");
	fx.run_start += 3600 * USEC_PER_SEC;
	int64_t r3 = fx_run(&fx, "ingest");
	struct step_result r = fx_step(&fx, r3, "ingest", "extract", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 1);                /* only seven */
	char *keys = fx_lake_keys(&fx, "staff/");
	ck_assert_int_eq((int)strlen(keys) - (int)strlen(written),
			 (int)strlen("staff/2026/03/01/112000000000.ndjson\n"));
	ck_assert_int_eq(store_wm_get(fx.store, "ingest", "extract", "staff", &w, &e), 1);
	ck_assert_int_eq(w->committed_run, r3);
	store_wm_free(w);
	fx_finish(&fx, r3, RUN_COMPLETED);
	free(keys);

	/* No file for the lost window: extracted again, from its start. */
	fx_exec(&fx, "src", "INSERT INTO staff VALUES (8, 'eight', 8, 1, '2026-03-01 12:20:00')");
	fx.run_start += 3600 * USEC_PER_SEC;
	int64_t r4 = fx_run(&fx, "ingest");
	ck_assert_int_eq(store_wm_get(fx.store, "ingest", "extract", "staff", &w, &e), 1);
	char *w3 = xstrdup(w->committed);
	store_wm_free(w);
	ck_assert_int_eq(store_wm_plan(fx.store, "ingest", "extract", "staff", r4, w3,
				       "2026-03-01 12:30:00.000000", &w, &e), 0);
	store_wm_free(w);
	ck_assert_int_eq(store_wm_clear_run(fx.store, r4, NULL, &e), 0);
	fx_finish(&fx, r4, RUN_FAILED);
	int64_t r5 = fx_run(&fx, "ingest");
	r = fx_step(&fx, r5, "ingest", "extract", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 1);                /* eight, once */
	fx_finish(&fx, r5, RUN_COMPLETED);
	free(w1);
	free(w2);
	free(w3);
	free(written);
	fx_close(&fx);
}
END_TEST

START_TEST(extract_to_staging_waits_for_the_run)
{
	struct fx fx;
	fx_open(&fx, extract_project);
	make_staff(&fx);
	int64_t r1 = fx_run(&fx, "ingest");
	ck_step_ok(fx_step(&fx, r1, "ingest", "stage", NULL));
	ck_rows(&fx, "wh", "SELECT id, salary FROM stg_staff ORDER BY id", "1|100.50\n2|200.00\n");
	/* the run fails: the engine drops its window, the next run covers it again */
	struct err e;
	ck_assert_int_eq(store_wm_clear_run(fx.store, r1, NULL, &e), 0);
	fx_finish(&fx, r1, RUN_FAILED);
	fx_exec(&fx, "src", "INSERT INTO staff VALUES (6, 'six', 6, 1, '2026-03-01 10:20:00')");
	fx.run_start += 3600 * USEC_PER_SEC;
	int64_t r2 = fx_run(&fx, "ingest");
	ck_step_ok(fx_step(&fx, r2, "ingest", "stage", NULL));
	ck_rows(&fx, "wh", "SELECT id FROM stg_staff ORDER BY id", "1\n2\n6\n");
	/* what the engine does when a run completes */
	ck_assert_int_eq(store_wm_commit_run(fx.store, r2, NULL, &e), 0);
	fx_finish(&fx, r2, RUN_COMPLETED);
	/* committed: the next run has nothing new */
	fx.run_start += 3600 * USEC_PER_SEC;
	struct step_result r = fx_step(&fx, fx_run(&fx, "ingest"), "ingest", "stage", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 0);
	ck_assert_int_eq(fx_count(&fx, "wh", "SELECT count(*) FROM stg_staff"), 0);
	fx_close(&fx);
}
END_TEST

/* An attempt that found nothing new staged an empty table (and its ledger
 * entry) and planned no window.  Rows arriving before the run is retried
 * must not be planned into a window that commits with the run: the
 * retried attempt skips the table, so they would never be staged. */
START_TEST(extract_to_staging_retry_after_nothing_new_plans_nothing)
{
	struct fx fx;
	fx_open(&fx, extract_project);
	make_staff(&fx);
	int64_t r1 = fx_run(&fx, "ingest");
	ck_step_ok(fx_step(&fx, r1, "ingest", "stage", NULL));
	struct err e;
	ck_assert_int_eq(store_wm_commit_run(fx.store, r1, NULL, &e), 0);
	fx_finish(&fx, r1, RUN_COMPLETED);

	fx.run_start += 3600 * USEC_PER_SEC;
	int64_t r2 = fx_run(&fx, "ingest");
	struct step_result r = fx_step(&fx, r2, "ingest", "stage", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 0);
	/* a row arrives; a later step fails and the run is retried */
	fx_exec(&fx, "src", "INSERT INTO staff VALUES (7, 'seven', 7, 1, '2026-03-01 10:30:00')");
	fx.run_start += 60 * USEC_PER_SEC;
	ck_step_ok(fx_step(&fx, r2, "ingest", "stage", NULL));
	ck_assert_int_eq(store_wm_commit_run(fx.store, r2, NULL, &e), 0);
	fx_finish(&fx, r2, RUN_COMPLETED);

	fx.run_start += 3600 * USEC_PER_SEC;
	r = fx_step(&fx, fx_run(&fx, "ingest"), "ingest", "stage", NULL);
	ck_step_ok(r);
	ck_rows(&fx, "wh", "SELECT id FROM stg_staff", "7\n");
	fx_close(&fx);
}
END_TEST

/* A source that writes naive local time behind UTC (New York's, on March
 * 1st 2026 five hours behind).  Declared, the window stops at that zone's
 * wall clock less the lag; not declared, it still starts where the rows
 * read ended, so nothing newer is ever behind it.  (Before, the window
 * ended at this host's UTC clock and row 2 was never read.) */
static const char *const local_time_project =
	"{ \"connections\": { \"src\": { \"url\": \"sqlite:src.db\" } },\n"
	"  \"lake\": { \"url\": \"file:lake\" },\n"
	"  \"flows\": [ { \"name\": \"ny\", \"steps\": [\n"
	"      { \"name\": \"declared\", \"kind\": \"extract\", \"connection\": \"src\", \"prefix\": \"declared\",\n"
	"        \"tables\": [ { \"table\": \"orders\", \"timezone\": \"America/New_York\" } ] },\n"
	"      { \"name\": \"plain\", \"kind\": \"extract\", \"connection\": \"src\", \"prefix\": \"plain\",\n"
	"        \"tables\": [\"orders\"] } ] } ] }\n";

START_TEST(extract_reads_naive_local_time_behind_utc)
{
	struct fx fx;
	fx_open(&fx, local_time_project);          /* runs start at 10:00 UTC, 05:00 there */
	fx_exec(&fx, "src", "CREATE TABLE orders (id integer PRIMARY KEY, last_updated timestamp);"
		"CREATE INDEX orders_lu ON orders (last_updated);"
		"INSERT INTO orders VALUES (1, '2026-03-01 04:00:00')");
	int64_t r1 = fx_run(&fx, "ny");
	ck_step_ok(fx_step(&fx, r1, "ny", "declared", NULL));
	ck_step_ok(fx_step(&fx, r1, "ny", "plain", NULL));
	fx_finish(&fx, r1, RUN_COMPLETED);
	/* the declared zone puts the key in UTC */
	char *keys = fx_lake_keys(&fx, "declared/");
	ck_assert_str_eq(keys, "declared/orders/2026/03/01/090000000000.ndjson\n");
	free(keys);

	/* half an hour later there; one row stamped half a second ago */
	fx_exec(&fx, "src", "INSERT INTO orders VALUES (2, '2026-03-01 05:30:00'),"
		"  (3, '2026-03-01 05:59:59.500')");
	fx.run_start += 3600 * USEC_PER_SEC;
	int64_t r2 = fx_run(&fx, "ny");
	struct step_result r = fx_step(&fx, r2, "ny", "declared", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 1);           /* row 3 is within the lag */
	ck_step_ok(fx_step(&fx, r2, "ny", "plain", NULL));
	fx_finish(&fx, r2, RUN_COMPLETED);
	ck_lake_ids(&fx, "declared/", "1 2");
	ck_lake_ids(&fx, "plain/", "1 2 3");

	fx.run_start += 60 * USEC_PER_SEC;
	int64_t r3 = fx_run(&fx, "ny");
	ck_step_ok(fx_step(&fx, r3, "ny", "declared", NULL));
	r = fx_step(&fx, r3, "ny", "plain", NULL);
	ck_step_ok(r);
	ck_assert_int_eq(r.rows_out, 0);
	ck_lake_ids(&fx, "declared/", "1 2 3");
	ck_lake_ids(&fx, "plain/", "1 2 3");
	fx_close(&fx);
}
END_TEST

/* Rows stamped by a clock 30 s slow (a column default): a row written
 * after a run has read is stamped below that run's clock, but above the
 * newest row it read, where the next window starts. */
static const char *const slow_clock_project =
	"{ \"connections\": { \"src\": { \"url\": \"sqlite:src.db\" } },\n"
	"  \"lake\": { \"url\": \"file:lake\" },\n"
	"  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
	"      { \"name\": \"extract\", \"kind\": \"extract\", \"connection\": \"src\",\n"
	"        \"tables\": [\"events\"] } ] } ] }\n";

START_TEST(extract_catches_rows_from_a_slow_clock)
{
	struct fx fx;
	fx_open(&fx, slow_clock_project);
	fx_exec(&fx, "src", "CREATE TABLE events (id integer PRIMARY KEY, last_updated text "
		"DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now', '-30 seconds')));"
		"CREATE INDEX events_lu ON events (last_updated);"
		"INSERT INTO events (id) VALUES (1)");
	fx.run_start = fx_real_now();
	fx_run_step(&fx, "f", "extract");
	ck_lake_ids(&fx, "", "1");
	fx_exec(&fx, "src", "INSERT INTO events (id) VALUES (2)");
	fx.run_start = fx_real_now();
	fx_run_step(&fx, "f", "extract");
	ck_lake_ids(&fx, "", "1 2");
	fx_close(&fx);
}
END_TEST

/* A transaction stamps its row, then commits after a newer row has
 * committed and after a run has read: the lag keeps the newer row out of
 * that run, so the next window starts below the late one. */
START_TEST(extract_takes_a_late_commit_once)
{
	struct fx fx;
	fx_open(&fx, slow_clock_project);          /* runs start at 10:00:00 */
	fx_exec(&fx, "src", "CREATE TABLE events (id integer PRIMARY KEY, last_updated timestamp);"
		"CREATE INDEX events_lu ON events (last_updated);"
		"INSERT INTO events VALUES (1, '2026-03-01 09:00:00'),"
		"  (3, '2026-03-01 09:59:59.500')");
	char *url = xasprintf("sqlite:%s/src.db", fx.dir);
	struct err e;
	struct db *writer = db_open(url, NULL, &e);
	ck_assert_msg(writer != NULL, "%s", err_text(&e));
	free(url);
	ck_assert_int_eq(db_begin(writer, &e), 0);
	ck_assert_int_eq(db_exec(writer, "INSERT INTO events VALUES (2, '2026-03-01 09:59:59')",
				 NULL, 0, NULL, &e), 0);
	fx_run_step(&fx, "f", "extract");
	ck_lake_ids(&fx, "", "1");
	ck_assert_int_eq(db_commit(writer, &e), 0);
	db_close(writer);
	fx.run_start += 60 * USEC_PER_SEC;
	fx_run_step(&fx, "f", "extract");
	ck_lake_ids(&fx, "", "1 2 3");
	fx_close(&fx);
}
END_TEST

/* SQLite keeps times as text: 'T' or ' ', a 'Z' or an offset, fractions.
 * As text '2024-01-01T10:00' sorts after '2024-01-01 11:00', and rows were
 * skipped; compared as times, each is read once, in its window.  Rows no
 * window can take are counted, not passed over in silence. */
static const char *const mixed_text_project =
	"{ \"connections\": { \"src\": { \"url\": \"sqlite:src.db\" } },\n"
	"  \"lake\": { \"url\": \"file:lake\" },\n"
	"  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
	"      { \"name\": \"extract\", \"kind\": \"extract\", \"lag\": \"0s\", \"connection\": \"src\",\n"
	"        \"tables\": [\"events\"] } ] } ] }\n";

START_TEST(extract_compares_sqlite_text_as_times)
{
	struct fx fx;
	fx_open(&fx, mixed_text_project);
	fx_exec(&fx, "src", "CREATE TABLE events (id integer PRIMARY KEY, last_updated text);"
		"CREATE INDEX events_lu ON events (last_updated);"
		"INSERT INTO events VALUES (1, '2024-01-01T10:00:00'), (2, '2024-01-01 11:00:00'),"
		"  (3, '2024-01-01T12:00:00Z'), (4, '2024-01-01 12:30:00.250'),"
		"  (5, '2024-01-01T13:00:00+01:00'), (6, 'n/a'), (7, NULL), (10, 1704103200)");
	ck_assert(time_parse_iso("2024-01-01T11:30:00Z", &fx.run_start));
	struct step_result r = fx_run_step(&fx, "f", "extract");
	ck_assert_msg(strstr(r.summary, "3 rows without a usable watermark"), "%s", r.summary);
	ck_lake_ids(&fx, "", "1 2");

	fx_exec(&fx, "src", "INSERT INTO events VALUES (8, '2024-01-01 12:40:00'),"
		"  (9, '2024-01-01T12:10:00.5Z')");
	ck_assert(time_parse_iso("2024-01-01T12:45:00Z", &fx.run_start));
	fx_run_step(&fx, "f", "extract");
	ck_lake_ids(&fx, "", "1 2 3 4 5 8 9");
	/* the file keeps the values as the source wrote them */
	char *text = fx_lake_read(&fx, "events/2024/01/01/124000000000.ndjson");
	ck_assert_msg(strstr(text, "\"2024-01-01T13:00:00+01:00\"") &&
		      strstr(text, "\"2024-01-01T12:10:00.5Z\""), "%s", text);
	free(text);

	ck_assert(time_parse_iso("2024-01-01T14:00:00Z", &fx.run_start));
	ck_assert_int_eq(fx_run_step(&fx, "f", "extract").rows_out, 0);
	ck_lake_ids(&fx, "", "1 2 3 4 5 8 9");
	fx_close(&fx);
}
END_TEST

/* A date watermark: today is not over, so the window ends with yesterday
 * (before, today's rows written after a run were behind its watermark). */
START_TEST(extract_by_date_waits_for_the_day_to_end)
{
	struct fx fx;
	fx_open(&fx, mixed_text_project);          /* 2026-03-01 10:00 */
	fx_exec(&fx, "src", "CREATE TABLE events (id integer PRIMARY KEY, last_updated date);"
		"INSERT INTO events VALUES (1, '2026-02-28'), (2, '2026-03-01')");
	fx_run_step(&fx, "f", "extract");
	ck_lake_ids(&fx, "", "1");
	fx_exec(&fx, "src", "INSERT INTO events VALUES (3, '2026-03-01')");
	fx.run_start += 14 * 3600 * USEC_PER_SEC;
	fx_run_step(&fx, "f", "extract");
	ck_lake_ids(&fx, "", "1 2 3");
	fx_close(&fx);
}
END_TEST

/* ---- validate ----------------------------------------------------------------------------- */

static const char *const validate_project =
	"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
	"  \"flows\": [ { \"name\": \"v\", \"params\": { \"limit\": { \"type\": \"int\", \"default\": 10 } },\n"
	"    \"steps\": [\n"
	"      { \"name\": \"good\", \"kind\": \"validate\", \"connection\": \"wh\", \"table\": \"items\",\n"
	"        \"checks\": [ { \"type\": \"row_count\", \"min\": 1, \"max\": 10 },\n"
	"          { \"type\": \"not_null\", \"columns\": [\"id\"] },\n"
	"          { \"type\": \"unique\", \"columns\": [\"id\"] },\n"
	"          { \"type\": \"accepted_values\", \"column\": \"cur\", \"values\": [\"GBP\", \"EUR\", \"USD\"] },\n"
	"          { \"type\": \"referential\", \"column\": \"staff\", \"references\": \"staff.id\" },\n"
	"          { \"type\": \"custom\", \"name\": \"no big qty\", \"sql\": \"SELECT * FROM items WHERE qty > :limit\" } ] },\n"
	"      { \"name\": \"bad\", \"kind\": \"validate\", \"connection\": \"wh\", \"table\": \"items\",\n"
	"        \"checks\": [ { \"type\": \"row_count\", \"min\": 100 },\n"
	"          { \"type\": \"not_null\", \"columns\": [\"id\", \"cur\"] },\n"
	"          { \"type\": \"unique\", \"columns\": [\"staff\"] },\n"
	"          { \"type\": \"accepted_values\", \"column\": \"cur\", \"values\": [\"GBP\"] },\n"
	"          { \"type\": \"referential\", \"column\": \"qty\", \"references\": \"staff.id\", \"severity\": \"warn\" },\n"
	"          { \"type\": \"custom\", \"name\": \"qty small\", \"sql\": \"SELECT id, qty FROM items WHERE qty > 1\" } ] },\n"
	"      { \"name\": \"warn_only\", \"kind\": \"validate\", \"connection\": \"wh\", \"table\": \"items\",\n"
	"        \"checks\": [ { \"type\": \"row_count\", \"max\": 1, \"severity\": \"warn\" } ] } ] } ] }\n";

START_TEST(validate_checks_pass_fail_and_are_recorded)
{
	struct fx fx;
	fx_open(&fx, validate_project);
	fx_exec(&fx, "wh", "CREATE TABLE staff (id integer); INSERT INTO staff VALUES (1), (2);"
		"CREATE TABLE items (id integer, cur text, staff integer, qty integer);"
		"INSERT INTO items VALUES (1, 'GBP', 1, 1), (2, 'EUR', 2, 5), (3, NULL, 2, 7);");
	int64_t run = fx_run(&fx, "v");
	struct step_result r = fx_step(&fx, run, "v", "good", NULL);
	ck_step_ok(r);
	ck_assert_msg(strstr(r.summary, "6 checks") && strstr(r.summary, "all passed"), "%s",
		      r.summary);
	r = fx_step(&fx, run, "v", "bad", NULL);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_int_eq(r.e.code, ERR_INVALID);
	ck_assert_msg(strstr(r.e.msg, "5 of 6 checks failed"), "%s", r.e.msg);
	ck_assert_msg(strstr(r.e.msg, "row_count: 3 rows; expected at least 100") &&
		      strstr(r.e.msg, "not_null(id, cur): 1 row") &&
		      strstr(r.e.msg, "unique(staff): 1 duplicated key") &&
		      strstr(r.e.msg, "accepted_values(cur): 1 row") &&
		      strstr(r.e.msg, "qty small: 2 rows") &&
		      !strstr(r.e.msg, "referential"), "%s", r.e.msg);
	struct vec v = VEC_INIT;
	struct err e;
	ck_assert_int_eq(store_validation_list(fx.store, run, "bad", &v, &e), 0);
	ck_assert_int_eq(v.len, 6);
	struct store_validation *nn = v.items[1], *uq = v.items[2], *ref = v.items[4],
				*cu = v.items[5];
	ck_assert(!nn->passed);
	ck_assert_str_eq(nn->sample, "id=3, cur=NULL, staff=2, qty=7");
	ck_assert_str_eq(uq->sample, "staff=2, copies=2");
	ck_assert_int_eq(ref->severity, SEVERITY_WARN);
	ck_assert_int_eq(ref->violations, 2);      /* qty 5 and 7 are no staff ids */
	ck_assert_str_eq(cu->sample, "id=2, qty=5\nid=3, qty=7");
	store_validation_list_free(&v);
	ck_assert_int_eq(store_validation_list(fx.store, run, "good", &v, &e), 0);
	ck_assert_int_eq(v.len, 6);
	for (size_t i = 0; i < v.len; i++) {
		struct store_validation *x = v.items[i];
		ck_assert_msg(x->passed && x->violations == 0 && !x->sample, "%s", x->check);
	}
	store_validation_list_free(&v);
	/* a failed warn check does not fail the step */
	r = fx_step(&fx, run, "v", "warn_only", NULL);
	ck_step_ok(r);
	ck_assert_msg(strstr(r.summary, "1 warned"), "%s", r.summary);
	fx_close(&fx);
}
END_TEST

/* ---- notify and http ------------------------------------------------------------------------ */

static const char *const misc_project =
	"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
	"  \"lake\": { \"url\": \"file:lake\" },\n"
	"  \"notifications\": { \"alerts\": { \"slack_webhook_env\": \"SLUICE_TEST_HOOK\" } },\n"
	"  \"flows\": [ { \"name\": \"m\", \"params\": { \"since\": { \"type\": \"date\", \"default\": \"2026-01-01\" } },\n"
	"    \"steps\": [\n"
	"      { \"name\": \"tell\", \"kind\": \"notify\", \"channel\": \"alerts\",\n"
	"        \"message\": \"orders since :since loaded (run :run_id); ratio: 3:1\" },\n"
	"      { \"name\": \"fetch\", \"kind\": \"http\", \"url_env\": \"SLUICE_TEST_URL\", \"to\": \"rates/\",\n"
	"        \"headers\": [ { \"name\": \"Authorization\", \"value_env\": \"SLUICE_TEST_AUTH\" },\n"
	"                     { \"name\": \"Accept\", \"value\": \"application/json\" } ] },\n"
	"      { \"name\": \"extract\", \"kind\": \"extract\", \"lag\": \"0s\", \"connection\": \"wh\", \"tables\": [\"x\"] } ] } ] }\n";

START_TEST(notify_queues_the_message)
{
	struct fx fx;
	fx_open(&fx, misc_project);
	int64_t run = fx_run(&fx, "m");
	ck_step_ok(fx_step(&fx, run, "m", "tell", NULL));
	struct vec v = VEC_INIT;
	struct err e;
	ck_assert_int_eq(store_notify_list(fx.store, 0, 10, &v, &e), 0);
	ck_assert_int_eq(v.len, 1);
	struct store_notification *n = v.items[0];
	ck_assert_str_eq(n->channel, "alerts");
	char *expect = xasprintf("orders since 2026-01-01 loaded (run %lld); ratio: 3:1 "
				 "(flow m, run %lld)", (long long)run, (long long)run);
	ck_assert_str_eq(n->text, expect);
	free(expect);
	ck_assert_int_eq(n->state, NOTIFY_PENDING);
	store_notify_list_free(&v);
	/* backfill mode sends nothing */
	fx.backfill = true;
	struct step_result r = fx_step(&fx, fx_run(&fx, "m"), "m", "tell", NULL);
	ck_step_ok(r);
	ck_assert(r.skipped);
	r = fx_step(&fx, fx_run(&fx, "m"), "m", "extract", NULL);
	ck_step_ok(r);
	ck_assert(r.skipped);
	ck_assert_int_eq(store_notify_list(fx.store, 0, 10, &v, &e), 0);
	ck_assert_int_eq(v.len, 1);
	store_notify_list_free(&v);
	fx_close(&fx);
}
END_TEST

/* A one-shot HTTP server in a child: answers one request with `body`
 * when the Authorization header is right, 403 otherwise. */
static pid_t serve_once(const char *body, int *port)
{
	int s = test_listen_loopback(port);
	pid_t pid = fork();
	if (pid == 0) {
		int c = accept(s, NULL, NULL);
		char req[4096];
		ssize_t n = read(c, req, sizeof req - 1);
		req[n > 0 ? n : 0] = '\0';
		bool ok = strstr(req, "Authorization: Bearer s3cr3t-token") != NULL;
		char *resp = ok ? xasprintf("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
					    "Connection: close\r\n\r\n%s", strlen(body), body)
				: xstrdup("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
					  "Connection: close\r\n\r\n");
		ssize_t w = write(c, resp, strlen(resp));
		(void)w;
		close(c);
		_exit(0);
	}
	close(s);
	return pid;
}

START_TEST(http_downloads_into_the_lake_with_secrets_hidden)
{
	struct fx fx;
	fx_open(&fx, misc_project);
	int port;
	pid_t pid = serve_once("{\"GBP\": 1}\n", &port);
	char *url = xasprintf("http://127.0.0.1:%d/v1/rates.json?key=abc", port);
	setenv("SLUICE_TEST_URL", url, 1);
	setenv("SLUICE_TEST_AUTH", "Bearer s3cr3t-token", 1);
	struct step_result r = fx_step(&fx, fx_run(&fx, "m"), "m", "fetch", NULL);
	waitpid(pid, NULL, 0);
	ck_step_ok(r);
	char *text = fx_lake_read(&fx, "rates/2026/03/01/100000000000.json");
	ck_assert_str_eq(text, "{\"GBP\": 1}\n");
	free(text);
	/* a refused download names no secret */
	pid = serve_once("", &port);
	free(url);
	url = xasprintf("http://127.0.0.1:%d/v1/rates.json", port);
	setenv("SLUICE_TEST_URL", url, 1);
	setenv("SLUICE_TEST_AUTH", "Bearer wrong-token-value", 1);
	r = fx_step(&fx, fx_run(&fx, "m"), "m", "fetch", NULL);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(strstr(r.e.msg, "403") && !strstr(err_text(&r.e), "wrong-token-value"),
		      "%s", err_text(&r.e));
	free(url);
	unsetenv("SLUICE_TEST_URL");
	unsetenv("SLUICE_TEST_AUTH");
	fx_close(&fx);
}
END_TEST

/* ---- cache keys ---------------------------------------------------------------------------- */

static char *cache_key(struct fx *fx, int64_t run, const char *flow, const char *step,
		       const char *const *kv, struct err *e)
{
	const struct project_flow *f = project_flow(fx->p, flow);
	struct project_kv params[4];
	memset(params, 0, sizeof params);
	for (size_t i = 0; i < f->nparams && i < 4; i++) {
		params[i].key = f->params[i].name;
		params[i].value = kv ? (char *)kv[1] : f->params[i].default_value;
	}
	struct step_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.project = fx->p;
	ctx.flow = f;
	ctx.step = project_step(f, step);
	ctx.run_id = run;
	ctx.run_start = fx->run_start;
	ctx.params = params;
	ctx.nparams = f->nparams;
	ctx.store = fx->store;
	ctx.conns = fx->conns;
	ctx.cancel = &fx->cancel;
	return steps_cache_key(&ctx, e);
}

START_TEST(cache_keys_follow_definition_inputs_and_parameters)
{
	struct fx fx;
	fx_open_files(&fx, load_project, load_files);
	make_orders(&fx);
	struct err e;
	char *k1 = cache_key(&fx, 1, "f", "append", NULL, &e);
	char *k2 = cache_key(&fx, 2, "f", "append", NULL, &e);
	ck_assert_ptr_nonnull(k1);
	ck_assert_str_eq(k1, k2);                 /* another run, same inputs */
	fx_exec(&fx, "src", "INSERT INTO orders VALUES (9, 'new', 1)");
	char *k3 = cache_key(&fx, 3, "f", "append", NULL, &e);
	ck_assert_str_ne(k1, k3);                 /* the source changed */
	const char *kv[] = { "min_id", "2" };
	char *q1 = cache_key(&fx, 3, "f", "replace", NULL, &e);
	char *q2 = cache_key(&fx, 3, "f", "replace", kv, &e);
	ck_assert_str_ne(q1, q2);                 /* another parameter value */
	free(k1);
	free(k2);
	free(k3);
	free(q1);
	free(q2);
	fx_close(&fx);
	fx_open(&fx, misc_project);
	e.code = ERR_IO;
	ck_assert_ptr_null(cache_key(&fx, 1, "m", "tell", NULL, &e));
	ck_assert_int_eq(e.code, ERR_OK);         /* never cached, not an error */
	fx_close(&fx);
}
END_TEST

/* ---- steps_validate ---------------------------------------------------------------------------- */

START_TEST(validate_reports_bad_step_keys_at_their_paths)
{
	char *dir = test_mkdtemp();
	test_write_file(dir, "sluice.json",
		"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" },\n"
		"                   \"other\": { \"url\": \"sqlite:o.db\" } },\n"
		"  \"streams\": [ { \"name\": \"s\", \"connection\": \"other\", \"table\": \"raw\" } ],\n"
		"  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
		"    { \"name\": \"a\", \"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"SELECT :nope\", \"tabel\": 1 },\n"
		"    { \"name\": \"b\", \"kind\": \"load\", \"connection\": \"wh\", \"table\": \"t\",\n"
		"      \"from\": { \"table\": \"x\", \"query\": \"SELECT 1\" }, \"mode\": \"merge\", \"consumes\": [\"s\"] },\n"
		"    { \"name\": \"c\", \"kind\": \"validate\", \"connection\": \"wh\", \"table\": \"t\",\n"
		"      \"checks\": [ { \"type\": \"uniq\" }, { \"type\": \"referential\", \"column\": \"x\", \"references\": \"t\" } ] },\n"
		"    { \"name\": \"d\", \"kind\": \"notify\", \"channel\": \"nowhere\", \"message\": \"hi\" },\n"
		"    { \"name\": \"e\", \"kind\": \"extract\", \"connection\": \"wh\", \"tables\": [], \"format\": \"xml\" },\n"
		"    { \"name\": \"g\", \"kind\": \"load\", \"connection\": \"wh\", \"table\": \"t\", \"from\": { \"table\": \"x\" },\n"
		"      \"latest_by\": \"at\" },\n"
		"    { \"name\": \"h\", \"kind\": \"load\", \"connection\": \"wh\", \"table\": \"t\", \"from\": { \"table\": \"x\" },\n"
		"      \"mode\": \"merge\", \"key\": [\"id\"], \"latest_by\": [\"at\", \"id\"] },\n"
		"    { \"name\": \"i\", \"kind\": \"load\", \"connection\": \"wh\", \"table\": \"t\", \"from\": { \"table\": \"x\" },\n"
		"      \"mode\": \"merge\", \"key\": [\"id\"], \"latest_by\": 7 },\n"
		"    { \"name\": \"j\", \"kind\": \"extract\", \"connection\": \"wh\", \"timezone\": \"America/Nowhere\",\n"
		"      \"tables\": [ { \"table\": \"x\", \"timezone\": \"Mars/Olympus\" } ] }\n"
		"  ] } ] }\n");
	char *file = path_join(dir, "sluice.json");
	struct diags d;
	struct err e;
	diags_init(&d);
	struct project *p = project_load(file, NULL, &d, &e);
	ck_assert_ptr_nonnull(p);
	size_t before = d.errors;
	size_t n = steps_validate(p, &d);
	ck_assert_int_eq(n, d.errors - before);
	diags_sort(&d);
	struct buf all = BUF_INIT;
	for (size_t i = 0; i < d.items.len; i++) {
		char *line = diag_format(d.items.items[i]);
		buf_printf(&all, "%s\n", line);
		free(line);
	}
	const char *text = buf_str(&all);
	const char *expect[] = {
		"flows[0].steps[0].tabel: ",
		"flows[0].steps[0].sql: statement at line 1: unknown parameter :nope",
		"flows[0].steps[1].from: give exactly one of",
		"flows[0].steps[1]: mode merge needs \"key\"",
		"flows[0].steps[1].consumes[0]: stream s is on connection other",
		"flows[0].steps[2].checks[0].type: unknown check type \"uniq\"",
		"flows[0].steps[2].checks[1].references: expected \"table.column\"",
		"flows[0].steps[3].channel: unknown notification channel \"nowhere\"",
		"flows[0].steps[4].tables: expected a non-empty array",
		"flows[0].steps[4].format: unknown format \"xml\"",
		"sluice.json:13:20: flows[0].steps[5].latest_by: \"latest_by\" applies to mode merge only",
		"sluice.json:15:59: flows[0].steps[6].latest_by[1]: id is a key column",
		"sluice.json:17:52: flows[0].steps[7].latest_by: expected an array of strings",
		"sluice.json:18:71: flows[0].steps[8].timezone: unknown time zone \"America/Nowhere\"",
		"sluice.json:19:47: flows[0].steps[8].tables[0].timezone: unknown time zone "
		"\"Mars/Olympus\" (IANA names such as \"America/New_York\"",
	};
	for (size_t i = 0; i < ARRAY_LEN(expect); i++)
		ck_assert_msg(strstr(text, expect[i]) != NULL, "missing \"%s\" in:\n%s",
			      expect[i], text);
	buf_free(&all);
	project_free(p);
	diags_free(&d);
	free(file);
	test_rmdir(dir);
}
END_TEST

static Suite *steps_suite(void)
{
	Suite *s = suite_create("steps");
	TCase *tc = tcase_create("sqlite");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, params_rewritten_outside_quotes_comments_and_casts);
	tcase_add_test(tc, params_unknown_and_positional_refused);
	tcase_add_test(tc, split_respects_quotes_comments_and_trigger_bodies);
	tcase_add_test(tc, sql_binds_parameters_and_keeps_injection_a_value);
	tcase_add_test(tc, sql_ledger_skips_a_retried_step);
	tcase_add_test(tc, ledger_entries_from_before_store_ids);
	tcase_add_test(tc, sql_failure_rolls_back_every_statement);
	tcase_add_test(tc, sql_window_parameters_follow_completed_runs);
	tcase_add_test(tc, sql_backfill_parameter_says_which_run);
	tcase_add_test(tc, load_append_merge_replace_across_connections);
	merge_cases_add(tc);
	pushdown_cases_add(tc);
	sql_count_cases_add(tc);
	tcase_add_test(tc, load_within_one_connection_and_from_a_file);
	tcase_add_test(tc, load_ledger_skips_a_retried_load);
	tcase_add_test(tc, load_schema_drift_adds_widens_and_reports);
	tcase_add_test(tc, load_cancelled_midway_leaves_no_rows);
	tcase_add_test(tc, backfill_loads_into_backfill_tables_and_skips_extracts);
	tcase_add_test(tc, extract_is_incremental_and_writes_one_file_per_window);
	tcase_add_test(tc, extract_leaves_the_last_seconds_to_the_next_run);
	tcase_add_test(tc, extract_rerun_of_a_planned_window_rewrites_the_same_key);
	tcase_add_test(tc, extract_takes_a_written_window_whose_commit_was_lost);
	tcase_add_test(tc, extract_to_staging_waits_for_the_run);
	tcase_add_test(tc, extract_to_staging_retry_after_nothing_new_plans_nothing);
	tcase_add_test(tc, extract_reads_naive_local_time_behind_utc);
	tcase_add_test(tc, extract_catches_rows_from_a_slow_clock);
	tcase_add_test(tc, extract_takes_a_late_commit_once);
	tcase_add_test(tc, extract_compares_sqlite_text_as_times);
	tcase_add_test(tc, extract_by_date_waits_for_the_day_to_end);
	tcase_add_test(tc, validate_checks_pass_fail_and_are_recorded);
	tcase_add_test(tc, notify_queues_the_message);
	tcase_add_test(tc, http_downloads_into_the_lake_with_secrets_hidden);
	tcase_add_test(tc, cache_keys_follow_definition_inputs_and_parameters);
	tcase_add_test(tc, validate_reports_bad_step_keys_at_their_paths);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(steps_suite)
