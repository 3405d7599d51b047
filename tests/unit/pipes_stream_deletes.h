/*
 * pipes_stream_deletes.h - default-mode streams record deletes (issue 14):
 * rows deleted from a stream's table come back in the next window with
 * _sluice_action = 'DELETE' (the others INSERT or UPDATE), a merge load
 * consuming the stream deletes their keys from its target exactly once,
 * a load that cannot carry them refuses, and append_only streams are as
 * they were.  Run on SQLite by test_pipes.c and on PostgreSQL by
 * test_pipes_pg.c.
 */
#ifndef SLUICE_PIPES_STREAM_DELETES_H
#define SLUICE_PIPES_STREAM_DELETES_H

#include "pipes_fixture.h"

static const char *const DELETES_PROJECT =
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },"
	"  \"streams\": ["
	"    { \"name\": \"items_changes\", \"connection\": \"wh\", \"table\": \"src_items\","
	"      \"mode\": \"default\", \"offset_column\": \"id\" },"
	"    { \"name\": \"log_stream\", \"connection\": \"wh\", \"table\": \"src_log\","
	"      \"offset_column\": \"id\" } ],"
	"  \"flows\": ["
	"    { \"name\": \"items\", \"steps\": ["
	"      { \"name\": \"seen\", \"kind\": \"sql\", \"connection\": \"wh\","
	"        \"sql\": \"CREATE TABLE IF NOT EXISTS seen (run_id integer, id integer, action text);"
	"                 INSERT INTO seen SELECT :run_id, c.id, c._sluice_action"
	"                 FROM {{stream:items_changes}} AS c\" },"
	"      { \"name\": \"load\", \"kind\": \"load\", \"connection\": \"wh\", \"needs\": [\"seen\"],"
	"        \"from\": { \"query\": \"SELECT c.id, c.name, c._sluice_action FROM"
	"                    {{stream:items_changes}} AS c\" },"
	"        \"table\": \"dim_items\", \"mode\": \"merge\", \"key\": [\"id\"],"
	"        \"consumes\": [\"items_changes\"] } ] },"
	"    { \"name\": \"blind\", \"steps\": ["
	"      { \"name\": \"load\", \"kind\": \"load\", \"connection\": \"wh\","
	"        \"from\": { \"query\": \"SELECT c.id, c.name FROM {{stream:items_changes}} AS c\" },"
	"        \"table\": \"dim_items\", \"mode\": \"merge\", \"key\": [\"id\"],"
	"        \"consumes\": [\"items_changes\"] } ] },"
	"    { \"name\": \"log\", \"steps\": ["
	"      { \"name\": \"load\", \"kind\": \"load\", \"connection\": \"wh\","
	"        \"from\": { \"query\": \"SELECT * FROM {{stream:log_stream}} AS l\" },"
	"        \"table\": \"log_copy\", \"mode\": \"append\","
	"        \"consumes\": [\"log_stream\"] } ] } ] }";

static int64_t deletes_pending(struct fx *f, const char *stream)
{
	int64_t n = -1;
	struct err e = { 0 };
	ck_assert_msg(stream_pending_rows(project_stream(f->p, stream), f->conns, f->store,
					  &n, &e) == 0, "%s", err_text(&e));
	return n;
}

static int64_t deletes_run(struct fx *f, const char *flow, const char *const *steps)
{
	struct run r;
	int64_t id = fx_new_run(f, flow);
	run_init(&r, f, flow, id, NULL);
	for (; *steps; steps++)
		run_step_ok(&r, *steps);
	run_free(&r);
	return id;
}

static const char *const ITEMS_STEPS[] = { "seen", "load", NULL };

/* Rows of run `run`'s window as the sql step saw them. */
static int64_t seen(struct fx *f, int64_t run, const char *where)
{
	char *sql = xasprintf("SELECT count(*) FROM seen WHERE run_id = %lld AND %s",
			      (long long)run, where);
	int64_t n = fx_int(f, sql);
	free(sql);
	return n;
}

/* src_items with rows 1..n ('a', 'b', 'c'), all updated at one time. */
static void make_src_items(struct fx *f, int n)
{
	fx_exec(f, "CREATE TABLE src_items (id integer PRIMARY KEY, name text, "
		"last_updated timestamp)");
	static const char *const rows[] = { "(1, 'a', '2024-01-01 10:00:00')",
					    "(2, 'b', '2024-01-01 10:00:00')",
					    "(3, 'c', '2024-01-01 10:00:00')" };
	for (int i = 0; i < n && i < 3; i++) {
		char *sql = xasprintf("INSERT INTO src_items VALUES %s", rows[i]);
		fx_exec(f, sql);
		free(sql);
	}
}

/* Deleted rows reach the next window as DELETE, beside an UPDATE and an
 * INSERT; the consuming merge deletes their keys from its target, and a
 * later run does not delete them again. */
static void t_stream_deletes(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, DELETES_PROJECT);
	make_src_items(&f, 3);
	int64_t run = deletes_run(&f, "items", ITEMS_STEPS);
	ck_assert_int_eq(seen(&f, run, "action = 'INSERT'"), 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 3);

	fx_exec(&f, "DELETE FROM src_items WHERE id = 2");
	fx_exec(&f, "UPDATE src_items SET name = 'a2', last_updated = '2024-01-02 09:00:00' "
		"WHERE id = 1");
	fx_exec(&f, "INSERT INTO src_items VALUES (4, 'd', '2024-01-03 10:00:00')");
	ck_assert_int_eq(deletes_pending(&f, "items_changes"), 3);
	run = deletes_run(&f, "items", ITEMS_STEPS);
	ck_assert_int_eq(seen(&f, run, "1 = 1"), 3);
	ck_assert_int_eq(seen(&f, run, "id = 1 AND action = 'UPDATE'"), 1);
	ck_assert_int_eq(seen(&f, run, "id = 4 AND action = 'INSERT'"), 1);
	ck_assert_int_eq(seen(&f, run, "id = 2 AND action = 'DELETE'"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items WHERE id = 2"), 0);
	char *name = fx_text(&f, "SELECT name FROM dim_items WHERE id = 1");
	ck_assert_str_eq(name, "a2");
	free(name);
	ck_assert_int_eq(deletes_pending(&f, "items_changes"), 0);

	/* Consumed once: a row put back in the target by hand stays. */
	fx_exec(&f, "INSERT INTO dim_items (id, name) VALUES (2, 'back')");
	run = deletes_run(&f, "items", ITEMS_STEPS);
	ck_assert_int_eq(seen(&f, run, "1 = 1"), 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items WHERE id = 2"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 4);

	/* Deleted and inserted again in one window: the row the table holds. */
	fx_exec(&f, "DELETE FROM src_items WHERE id = 3");
	fx_exec(&f, "INSERT INTO src_items VALUES (3, 'c2', '2024-01-04 10:00:00')");
	deletes_run(&f, "items", ITEMS_STEPS);
	name = fx_text(&f, "SELECT name FROM dim_items WHERE id = 3");
	ck_assert_str_eq(name, "c2");
	free(name);
	fx_close(&f);
}

/* A load whose source cannot carry the deletes refuses to consume the
 * stream, names it, and leaves the offset and its target as they were. */
static void t_stream_deletes_refused(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, DELETES_PROJECT);
	make_src_items(&f, 2);
	static const char *const blind[] = { "load", NULL };
	deletes_run(&f, "blind", blind);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 2);
	fx_exec(&f, "DELETE FROM src_items WHERE id = 2");
	struct run r;
	run_init(&r, &f, "blind", fx_new_run(&f, "blind"), NULL);
	struct err e = { 0 };
	ck_assert_int_eq(run_step(&r, "load", &e), -1);
	ck_assert_msg(strstr(err_text(&e), "stream items_changes") &&
		      strstr(err_text(&e), "1 deleted row") &&
		      strstr(err_text(&e), "_sluice_action"), "%s", err_text(&e));
	run_free(&r);
	ck_assert_int_eq(deletes_pending(&f, "items_changes"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 2);
	/* the flow that carries them applies them */
	deletes_run(&f, "items", ITEMS_STEPS);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items WHERE id = 2"), 0);
	fx_close(&f);
}

/* A retried attempt of a run (a new process: no shared state) takes the
 * deletes its first attempt's window held, and no later ones. */
static void t_stream_deletes_retry(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, DELETES_PROJECT);
	make_src_items(&f, 3);
	deletes_run(&f, "items", ITEMS_STEPS);
	fx_exec(&f, "DELETE FROM src_items WHERE id = 1");
	int64_t id = fx_new_run(&f, "items");
	struct run r;
	run_init(&r, &f, "items", id, NULL);
	run_step_ok(&r, "seen");      /* fixes the window: the delete of 1 */
	run_free(&r);
	fx_exec(&f, "DELETE FROM src_items WHERE id = 2");
	run_init(&r, &f, "items", id, NULL);
	run_step_ok(&r, "load");
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items WHERE id = 1"), 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items WHERE id = 2"), 1);
	ck_assert_int_eq(deletes_pending(&f, "items_changes"), 1);
	deletes_run(&f, "items", ITEMS_STEPS);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 1);
	fx_close(&f);
}

/* append_only: no action column, and deletes are not captured. */
static void t_stream_append_unchanged(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, DELETES_PROJECT);
	fx_exec(&f, "CREATE TABLE src_log (id integer PRIMARY KEY, msg text)");
	fx_exec(&f, "INSERT INTO src_log VALUES (1, 'x'), (2, 'y')");
	static const char *const log[] = { "load", NULL };
	deletes_run(&f, "log", log);
	fx_exec(&f, "DELETE FROM src_log WHERE id = 1");
	fx_exec(&f, "INSERT INTO src_log VALUES (3, 'z')");
	ck_assert_int_eq(deletes_pending(&f, "log_stream"), 1);
	deletes_run(&f, "log", log);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM log_copy"), 3);
	struct err e = { 0 };
	struct db_table *t = db_describe(fx_db(&f), "log_copy", &e);
	ck_assert_msg(t != NULL, "%s", err_text(&e));
	ck_assert_int_eq((int)t->ncolumns, 2);
	db_table_free(t);
	fx_close(&f);
}

/* ---- pruning the delete log ------------------------------------------------ */

/* Two default streams over src_items, each consumed into its own target. */
static const char *const TWO_READERS_HEAD =
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },"
	"  \"streams\": ["
	"    { \"name\": \"a_changes\", \"connection\": \"wh\", \"table\": \"src_items\","
	"      \"mode\": \"default\", \"offset_column\": \"id\" }";
static const char *const TWO_READERS_FLOWS =
	"  ], \"flows\": ["
	"    { \"name\": \"fa\", \"steps\": ["
	"      { \"name\": \"load\", \"kind\": \"load\", \"connection\": \"wh\","
	"        \"from\": { \"query\": \"SELECT c.id, c.name, c._sluice_action FROM"
	"                    {{stream:a_changes}} AS c\" },"
	"        \"table\": \"dim_a\", \"mode\": \"merge\", \"key\": [\"id\"],"
	"        \"consumes\": [\"a_changes\"] } ] }";
static const char *const B_STREAM =
	", { \"name\": \"b_changes\", \"connection\": \"wh\", \"table\": \"src_items\","
	"    \"mode\": \"default\", \"offset_column\": \"id\" }";
static const char *const B_FLOW =
	", { \"name\": \"fb\", \"steps\": ["
	"    { \"name\": \"load\", \"kind\": \"load\", \"connection\": \"wh\","
	"      \"from\": { \"query\": \"SELECT c.id, c.name, c._sluice_action FROM"
	"                  {{stream:b_changes}} AS c\" },"
	"      \"table\": \"dim_b\", \"mode\": \"merge\", \"key\": [\"id\"],"
	"      \"consumes\": [\"b_changes\"] } ] }";

/* The two-reader project, with stream b and its flow or without them. */
static char *two_readers(bool with_b)
{
	return xasprintf("%s%s%s%s ] }", TWO_READERS_HEAD, with_b ? B_STREAM : "",
			 TWO_READERS_FLOWS, with_b ? B_FLOW : "");
}

static const char *const LOAD_STEP[] = { "load", NULL };

static int64_t delete_log_rows(struct fx *f)
{
	return fx_int(f, "SELECT count(*) FROM _sluice_stream_deletes");
}

/* Once the only stream over a table has consumed its deletes, the log
 * holds none of them: it does not grow with every delete ever made. */
static void t_stream_deletes_pruned(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, DELETES_PROJECT);
	make_src_items(&f, 3);
	deletes_run(&f, "items", ITEMS_STEPS);
	fx_exec(&f, "DELETE FROM src_items WHERE id IN (1, 2)");
	ck_assert_int_eq(delete_log_rows(&f), 2);
	deletes_run(&f, "items", ITEMS_STEPS);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 1);
	ck_assert_int_eq(delete_log_rows(&f), 0);
	fx_exec(&f, "DELETE FROM src_items WHERE id = 3");
	ck_assert_int_eq(deletes_pending(&f, "items_changes"), 1);
	deletes_run(&f, "items", ITEMS_STEPS);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 0);
	ck_assert_int_eq(delete_log_rows(&f), 0);
	ck_assert_int_eq(deletes_pending(&f, "items_changes"), 0);
	fx_close(&f);
}

/* Both streams read src_items (rows 1..3), then row 1 is deleted and only
 * stream a reads the delete. */
static void two_readers_one_ahead(struct fx *f, const struct backend *b)
{
	char *json = two_readers(true);
	fx_open(f, b, json);
	free(json);
	make_src_items(f, 3);
	deletes_run(f, "fa", LOAD_STEP);
	deletes_run(f, "fb", LOAD_STEP);
	fx_exec(f, "DELETE FROM src_items WHERE id = 1");
	deletes_run(f, "fa", LOAD_STEP);
	ck_assert_int_eq(delete_log_rows(f), 1);        /* b has not read it */
}

/* Two streams over one table: the log keeps what the slower one has not
 * read, the slower one still applies those deletes, and then they go. */
static void t_stream_deletes_two_readers(const struct backend *b)
{
	struct fx f;
	two_readers_one_ahead(&f, b);
	deletes_run(&f, "fb", LOAD_STEP);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_b WHERE id = 1"), 0);
	ck_assert_int_eq(delete_log_rows(&f), 0);

	fx_exec(&f, "DELETE FROM src_items WHERE id = 2");
	deletes_run(&f, "fa", LOAD_STEP);
	fx_exec(&f, "DELETE FROM src_items WHERE id = 3");
	deletes_run(&f, "fa", LOAD_STEP);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_a"), 0);
	ck_assert_int_eq(delete_log_rows(&f), 2);       /* b has read neither */
	ck_assert_int_eq(deletes_pending(&f, "b_changes"), 2);
	deletes_run(&f, "fb", LOAD_STEP);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_b"), 0);
	ck_assert_int_eq(delete_log_rows(&f), 0);
	fx_close(&f);
}

/* A stream taken out of the project no longer holds the log: the next
 * consuming load of the other stream prunes past where it stopped, and
 * its offset goes with it. */
static void t_stream_deletes_removed_reader(const struct backend *b)
{
	struct fx f;
	two_readers_one_ahead(&f, b);

	step_conns_free(f.conns);
	project_free(f.p);
	char *json = two_readers(false);
	fx_load(&f, json);
	free(json);
	f.conns = step_conns_new(f.p, false);
	fx_exec(&f, "DELETE FROM src_items WHERE id = 2");
	deletes_run(&f, "fa", LOAD_STEP);
	ck_assert_int_eq(delete_log_rows(&f), 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM _sluice_stream_offsets "
			 "WHERE stream = 'b_changes'"), 0);
	fx_close(&f);
}

/* SQLite's trigger names the table's columns: a column added after the
 * trigger was made is in the rows logged after the next window. */
static void t_stream_deletes_new_column(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, DELETES_PROJECT);
	make_src_items(&f, 3);
	deletes_run(&f, "items", ITEMS_STEPS);
	fx_exec(&f, "ALTER TABLE src_items ADD COLUMN note text");
	fx_exec(&f, "UPDATE src_items SET note = 'kept', last_updated = '2024-01-02 10:00:00'");
	deletes_run(&f, "items", ITEMS_STEPS);
	fx_exec(&f, "DELETE FROM src_items WHERE id = 2");
	char *note = fx_text(&f, b == &PG_BACKEND
			     ? "SELECT row_data::json->>'note' FROM _sluice_stream_deletes"
			     : "SELECT json_extract(row_data, '$.note') FROM _sluice_stream_deletes");
	ck_assert_msg(note && strcmp(note, "kept") == 0, "logged note: %s", note ? note : "NULL");
	free(note);
	deletes_run(&f, "items", ITEMS_STEPS);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items WHERE id = 2"), 0);
	fx_close(&f);
}

/* ---- normalize carries deletes ------------------------------------------------ */

static const char *const NORMALIZE_DELETES_PROJECT =
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },"
	"  \"streams\": ["
	"    { \"name\": \"orders_changes\", \"connection\": \"wh\", \"table\": \"src_orders\","
	"      \"mode\": \"default\", \"offset_column\": \"id\" } ],"
	"  \"flows\": ["
	"    { \"name\": \"orders\", \"steps\": ["
	"      { \"name\": \"items\", \"kind\": \"normalize\", \"connection\": \"wh\","
	"        \"from\": { \"stream\": \"orders_changes\" }, \"document\": \"doc\","
	"        \"into\": \"stg_order_items\", \"columns\": ["
	"          { \"name\": \"order_id\", \"path\": \"id\", \"type\": \"integer\" },"
	"          { \"name\": \"sku\", \"path\": \"items[].sku\" },"
	"          { \"name\": \"qty\", \"path\": \"items[].qty\", \"type\": \"integer\" } ] },"
	"      { \"name\": \"load\", \"kind\": \"load\", \"connection\": \"wh\","
	"        \"needs\": [\"items\"], \"from\": { \"table\": \"stg_order_items\" },"
	"        \"table\": \"order_items\", \"mode\": \"merge\", \"key\": [\"order_id\", \"sku\"],"
	"        \"consumes\": [\"orders_changes\"] } ] } ] }";

/* Run the orders flow; the summaries of its two steps. */
static void normalize_run_flow(struct fx *f, char **items, char **load)
{
	struct run r;
	run_init(&r, f, "orders", fx_new_run(f, "orders"), NULL);
	run_step_ok(&r, "items");
	*items = xstrdup(r.ctx.summary);
	run_step_ok(&r, "load");
	*load = xstrdup(r.ctx.summary);
	run_free(&r);
}

/* An order deleted at the source takes its items out of the merged
 * target: normalize turns the deleted document into rows marked DELETE,
 * the merge deletes their keys, and both steps say how many. */
static void t_normalize_carries_deletes(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, NORMALIZE_DELETES_PROJECT);
	fx_exec(&f, "CREATE TABLE src_orders (id integer PRIMARY KEY, doc text, "
		"last_updated timestamp)");
	fx_exec(&f, "INSERT INTO src_orders VALUES (1, '{\"id\": 1, \"items\": [{\"sku\": \"A\", "
		"\"qty\": 2}, {\"sku\": \"B\", \"qty\": 1}]}', '2024-01-01 10:00:00'), "
		"(2, '{\"id\": 2, \"items\": [{\"sku\": \"C\", \"qty\": 5}]}', "
		"'2024-01-01 10:00:00')");
	char *items, *load;
	normalize_run_flow(&f, &items, &load);
	free(items);
	free(load);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM order_items"), 3);

	fx_exec(&f, "DELETE FROM src_orders WHERE id = 1");
	fx_exec(&f, "UPDATE src_orders SET doc = '{\"id\": 2, \"items\": [{\"sku\": \"C\", "
		"\"qty\": 6}]}', last_updated = '2024-01-02 10:00:00' WHERE id = 2");
	normalize_run_flow(&f, &items, &load);
	ck_assert_msg(strstr(items, "2 documents (1 deleted, giving 2 _sluice_action DELETE "
			     "rows)"), "%s", items);
	ck_assert_msg(strstr(load, "; 2 deleted"), "%s", load);
	free(items);
	free(load);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM order_items"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT qty FROM order_items WHERE order_id = 2 AND "
				"sku = 'C'"), 6);
	ck_assert_int_eq(deletes_pending(&f, "orders_changes"), 0);
	ck_assert_int_eq(delete_log_rows(&f), 0);
	fx_close(&f);
}

/* A backfill that reads a default stream starts capturing its deletes: a
 * row deleted after the backfill read it (and after its table was swapped
 * in) is deleted by the stream's first window. */
static void t_stream_deletes_after_backfill(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, DELETES_PROJECT);
	make_src_items(&f, 3);
	struct run r;
	run_init(&r, &f, "items", fx_new_run(&f, "items"), NULL);
	r.ctx.backfill = true;
	run_step_ok(&r, "seen");
	run_step_ok(&r, "load");
	run_free(&r);
	fx_exec(&f, "ALTER TABLE dim_items_backfill RENAME TO dim_items");   /* the swap */
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 3);
	fx_exec(&f, "DELETE FROM src_items WHERE id = 2");
	deletes_run(&f, "items", ITEMS_STEPS);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items WHERE id = 2"), 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 2);
	fx_close(&f);
}

/* Emptying the table (TRUNCATE on PostgreSQL, which fires no row trigger;
 * DELETE on SQLite, which has no TRUNCATE) and filling it again: the rows
 * not put back are deleted from the target. */
static void t_stream_deletes_truncate(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, DELETES_PROJECT);
	make_src_items(&f, 3);
	deletes_run(&f, "items", ITEMS_STEPS);
	if (b == &PG_BACKEND) {
		/* A table captured before the TRUNCATE trigger existed gets it at
		 * its next window. */
		fx_exec(&f, "DO $$ DECLARE n text; BEGIN SELECT tgname INTO STRICT n FROM "
			"pg_trigger WHERE tgname LIKE '%truncate'; EXECUTE format('DROP TRIGGER "
			"%I ON src_items', n); END $$");
		deletes_run(&f, "items", ITEMS_STEPS);
	}
	fx_exec(&f, b == &PG_BACKEND ? "TRUNCATE src_items" : "DELETE FROM src_items");
	fx_exec(&f, "INSERT INTO src_items VALUES (3, 'c2', '2024-01-02 10:00:00')");
	ck_assert_int_eq(deletes_pending(&f, "items_changes"), 4);
	deletes_run(&f, "items", ITEMS_STEPS);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM dim_items"), 1);
	char *name = fx_text(&f, "SELECT name FROM dim_items WHERE id = 3");
	ck_assert_str_eq(name, "c2");
	free(name);
	fx_close(&f);
}

#endif
