/*
 * pipes_streams.h - streams, and the ingest and normalize steps, on each
 * backend: pending counts, windows fixed at the first read, offsets that
 * move only with a committed consuming load, default-mode updates with the
 * tie-breaker, backfill reads; and the orders flow of the demo (pipe,
 * stream, normalize, load) run step by step through steps_run.
 */
#ifndef SLUICE_PIPES_STREAMS_H
#define SLUICE_PIPES_STREAMS_H

#include "pipes_fixture.h"

static const char *const STREAMS_PROJECT =
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },"
	"  \"pipes\": [ { \"name\": \"orders_pipe\", \"path\": \"orders/\","
	"    \"connection\": \"wh\", \"table\": \"raw_orders\", \"document\": \"doc\" } ],"
	"  \"streams\": ["
	"    { \"name\": \"orders_stream\", \"connection\": \"wh\", \"table\": \"raw_orders\" },"
	"    { \"name\": \"items_changes\", \"connection\": \"wh\", \"table\": \"src_items\","
	"      \"mode\": \"default\", \"watermark_column\": \"last_updated\","
	"      \"offset_column\": \"id\" } ],"
	"  \"flows\": ["
	"    { \"name\": \"orders_etl\", \"steps\": ["
	"      { \"name\": \"ingest\", \"kind\": \"ingest\", \"pipe\": \"orders_pipe\" },"
	"      { \"name\": \"items\", \"kind\": \"normalize\", \"needs\": [\"ingest\"],"
	"        \"connection\": \"wh\", \"from\": { \"stream\": \"orders_stream\" },"
	"        \"document\": \"doc\", \"into\": \"stg_order_items\","
	"        \"columns\": ["
	"          { \"name\": \"order_id\", \"path\": \"order_id\", \"type\": \"integer\" },"
	"          { \"name\": \"customer\", \"path\": \"customer.name\", \"type\": \"text\" },"
	"          { \"name\": \"sku\", \"path\": \"products[].sku\", \"type\": \"text\" },"
	"          { \"name\": \"quantity\", \"path\": \"products[].quantity\", \"type\": \"integer\" } ] },"
	"      { \"name\": \"load\", \"kind\": \"load\", \"needs\": [\"items\"],"
	"        \"connection\": \"wh\", \"from\": { \"table\": \"stg_order_items\" },"
	"        \"table\": \"fact_order_items\", \"mode\": \"append\","
	"        \"consumes\": [\"orders_stream\"] } ] },"
	"    { \"name\": \"broken_etl\", \"steps\": ["
	"      { \"name\": \"items\", \"kind\": \"normalize\", \"connection\": \"wh\","
	"        \"from\": { \"stream\": \"orders_stream\" }, \"document\": \"doc\","
	"        \"into\": \"stg_broken\", \"columns\": ["
	"          { \"name\": \"order_id\", \"path\": \"order_id\", \"type\": \"integer\" },"
	"          { \"name\": \"sku\", \"path\": \"products[].sku\" } ] },"
	"      { \"name\": \"load\", \"kind\": \"load\", \"needs\": [\"items\"],"
	"        \"connection\": \"wh\", \"from\": { \"query\": \"SELECT order_id, sku, "
	"          1 / 0 AS boom FROM stg_broken WHERE no_such_column = 1\" },"
	"        \"table\": \"fact_order_items\", \"mode\": \"append\","
	"        \"consumes\": [\"orders_stream\"] } ] },"
	"    { \"name\": \"raw_copy\", \"steps\": ["
	"      { \"name\": \"items\", \"kind\": \"normalize\", \"connection\": \"wh\","
	"        \"from\": { \"table\": \"raw_orders\" }, \"document\": \"doc\","
	"        \"into\": \"all_items\", \"mode\": \"append\", \"columns\": ["
	"          { \"name\": \"order_id\", \"path\": \"order_id\", \"type\": \"integer\" },"
	"          { \"name\": \"sku\", \"path\": \"products[].sku\" } ] } ] },"
	"    { \"name\": \"columns_norm\", \"steps\": ["
	"      { \"name\": \"tags\", \"kind\": \"normalize\", \"connection\": \"wh\","
	"        \"from\": { \"table\": \"src_docs\" }, \"into\": \"doc_tags\","
	"        \"columns\": ["
	"          { \"name\": \"id\", \"path\": \"id\", \"type\": \"integer\" },"
	"          { \"name\": \"name\", \"path\": \"name\" },"
	"          { \"name\": \"price\", \"path\": \"price\", \"type\": \"numeric(6,2)\" },"
	"          { \"name\": \"tag\", \"path\": \"tags[]\" } ] } ] } ] }";

/* Three orders, five items. */
#define ORDERS_1 \
	"{\"order_id\": 1, \"customer\": {\"name\": \"Ada\"}, \"products\": " \
	"[{\"sku\": \"A\", \"quantity\": 1}, {\"sku\": \"B\", \"quantity\": 2}]}\n" \
	"{\"order_id\": 2, \"customer\": {\"name\": \"Bob\"}, \"products\": " \
	"[{\"sku\": \"C\", \"quantity\": 3}]}\n" \
	"{\"order_id\": 3, \"customer\": {\"name\": \"Cy\"}, \"products\": " \
	"[{\"sku\": \"A\", \"quantity\": 1}, {\"sku\": \"D\", \"quantity\": 4}]}\n"
/* Two orders, three items. */
#define ORDERS_2 \
	"{\"order_id\": 4, \"customer\": {\"name\": \"Di\"}, \"products\": " \
	"[{\"sku\": \"E\", \"quantity\": 5}]}\n" \
	"{\"order_id\": 5, \"customer\": null, \"products\": " \
	"[{\"sku\": \"F\", \"quantity\": 6}, {\"sku\": \"G\", \"quantity\": 7}]}\n"

static int64_t pending_rows(struct fx *f, const char *stream)
{
	int64_t n = -1;
	struct err e = { 0 };
	ck_assert_msg(stream_pending_rows(project_stream(f->p, stream), f->conns, f->store, &n, &e) == 0,
		      "%s", err_text(&e));
	bool has = false;
	ck_assert_msg(stream_has_data(project_stream(f->p, stream), f->conns, f->store, &has, &e) == 0,
		      "%s", err_text(&e));
	ck_assert(has == (n > 0));
	return n;
}

/* Rows a step of this run would read from the stream, and their sum of
 * `col` (to tell which rows). */
static int64_t window_rows(struct run *r, const char *stream, const char *col, int64_t *sum)
{
	struct stream_query q;
	struct err e = { 0 };
	struct stream_reader rd = steps_stream_reader(&r->ctx);
	ck_assert_msg(stream_query(&rd, project_stream(r->ctx.project, stream), NULL, &q,
				   &e) == 0, "%s", err_text(&e));
	struct db_cursor *c = db_query(q.db, q.sql, (const char *const *)q.params, q.nparams, &e);
	ck_assert_msg(c != NULL, "%s: %s", q.sql, err_text(&e));
	int k = -1;
	for (int i = 0; i < db_cursor_ncols(c); i++)
		if (strcmp(db_cursor_name(c, i), col) == 0)
			k = i;
	ck_assert_int_ge(k, 0);
	int64_t n = 0, s = 0, v;
	while (db_cursor_next(c, &e) == 1) {
		n++;
		if (str_to_i64(db_cursor_text(c, k), &v))
			s += v;
	}
	db_cursor_close(c);
	stream_query_free(&q);
	if (sum)
		*sum = s;
	return n;
}

static int consume(struct run *r, struct db *db, const char *stream, bool commit,
		   struct err *e)
{
	ck_assert_int_eq(db_begin(db, e), 0);
	struct stream_reader rd = steps_stream_reader(&r->ctx);
	if (stream_commit_consumed(&rd, db, stream, e) < 0) {
		db_rollback(db);
		return -1;
	}
	if (!commit) {
		db_rollback(db);
		return 0;
	}
	return db_commit(db, e);
}

/* append_only: pending counts, the window fixed at the first read, the
 * offset moved only by a committed consume, the window kept for a retried
 * attempt, backfill reads. */
static void t_stream_append(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, STREAMS_PROJECT);
	struct db *wh = fx_db(&f);
	struct err e = { 0 };
	fx_put(&f, "orders/1.ndjson", ORDERS_1);
	struct pipe_result pr = fx_refresh_ok(&f, "orders_pipe");
	pipe_result_free(&pr);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 3);

	int64_t run1 = fx_new_run(&f, "orders_etl");
	struct run r;
	run_init(&r, &f, "orders_etl", run1, NULL);
	r.ctx.step = project_step(r.ctx.flow, "items");
	ck_assert_int_eq(window_rows(&r, "orders_stream", "_sluice_id", NULL), 3);
	/* More rows arrive; this run's window does not move. */
	fx_put(&f, "orders/2.ndjson", ORDERS_2);
	pr = fx_refresh_ok(&f, "orders_pipe");
	pipe_result_free(&pr);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 5);
	ck_assert_int_eq(window_rows(&r, "orders_stream", "_sluice_id", NULL), 3);
	/* A consume that rolls back leaves the offset. */
	ck_assert_int_eq(consume(&r, wh, "orders_stream", false, &e), 0);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 5);
	/* Not on another connection, not outside a transaction. */
	struct db *other = db_open(f.wh_url, NULL, &e);
	ck_assert_msg(other != NULL, "%s", err_text(&e));
	ck_assert_int_eq(db_begin(other, &e), 0);
	struct stream_reader rd = steps_stream_reader(&r.ctx);
	ck_assert_int_eq(stream_commit_consumed(&rd, other, "orders_stream", &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	db_rollback(other);
	db_close(other);
	ck_assert_int_eq(stream_commit_consumed(&rd, wh, "orders_stream", &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	/* The committed consume moves it to the window's end. */
	ck_assert_msg(consume(&r, wh, "orders_stream", true, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 2);
	struct stream_status st;
	ck_assert_int_eq(stream_status(project_stream(f.p, "orders_stream"), f.conns, f.store, &st, &e), 0);
	ck_assert_int_eq(st.pending, 2);
	ck_assert(st.has_data);
	ck_assert_int_eq(st.offset_run, run1);
	char *max3 = fx_text(&f, "SELECT CAST(max(_sluice_id) AS TEXT) FROM raw_orders "
			     "WHERE _sluice_file = 'orders/1.ndjson'");
	ck_assert_str_eq(st.offset, max3);
	free(max3);
	stream_status_free(&st);
	run_free(&r);

	/* Run 2 reads the next two; its retried attempt (fresh shared state,
	 * same run) reads exactly them even after a third file arrives. */
	int64_t run2 = fx_new_run(&f, "orders_etl");
	run_init(&r, &f, "orders_etl", run2, NULL);
	r.ctx.step = project_step(r.ctx.flow, "items");
	ck_assert_int_eq(window_rows(&r, "orders_stream", "_sluice_id", NULL), 2);
	run_free(&r);
	fx_put(&f, "orders/3.ndjson", "{\"order_id\": 6, \"products\": []}\n");
	pr = fx_refresh_ok(&f, "orders_pipe");
	pipe_result_free(&pr);
	run_init(&r, &f, "orders_etl", run2, NULL);
	r.ctx.attempt = 2;
	r.ctx.step = project_step(r.ctx.flow, "load");
	ck_assert_int_eq(window_rows(&r, "orders_stream", "_sluice_id", NULL), 2);
	ck_assert_msg(consume(&r, wh, "orders_stream", true, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 1);
	run_free(&r);

	/* A run that read nothing consumes nothing. */
	int64_t run3 = fx_new_run(&f, "orders_etl");
	run_init(&r, &f, "orders_etl", run3, NULL);
	r.ctx.step = project_step(r.ctx.flow, "load");
	ck_assert_int_eq(consume(&r, wh, "orders_stream", true, &e), 0);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 1);
	/* Backfill reads all history and moves nothing. */
	r.ctx.backfill = true;
	ck_assert_int_eq(window_rows(&r, "orders_stream", "_sluice_id", NULL), 6);
	ck_assert_int_eq(consume(&r, wh, "orders_stream", true, &e), 0);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 1);
	run_free(&r);
	fx_close(&f);
}

/* The stream tables and ledger as a sluice from before store ids left
 * them: no store_id anywhere. */
static void make_stream_tables_old(struct fx *f)
{
	fx_exec(f, "UPDATE _sluice_ledger SET store_id = NULL");
	fx_exec(f, "ALTER TABLE _sluice_stream_offsets RENAME TO offsets_now");
	fx_exec(f, "CREATE TABLE _sluice_stream_offsets (stream text PRIMARY KEY, position "
		"text, tiebreak text, run_id bigint NOT NULL, updated_at timestamp NOT NULL)");
	fx_exec(f, "INSERT INTO _sluice_stream_offsets SELECT stream, position, tiebreak, "
		"run_id, updated_at FROM offsets_now");
	fx_exec(f, "DROP TABLE offsets_now");
	fx_exec(f, "DROP TABLE _sluice_stream_windows");
	fx_exec(f, "CREATE TABLE _sluice_stream_windows (stream text, run_id bigint, "
		"lower_position text, lower_tiebreak text, upper_position text, "
		"upper_tiebreak text, fixed_at timestamp NOT NULL, PRIMARY KEY (stream, run_id))");
}

/* An offset from before store ids: a store made with an id cannot tell
 * whether its project consumed those rows and says how to settle it; the
 * store that is that old continues from it, and the offset becomes its
 * own (with store_id in the rebuilt table) when its load commits. */
static void t_stream_before_ids(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, STREAMS_PROJECT);
	struct db *wh = fx_db(&f);
	struct err e = { 0 };
	fx_put(&f, "orders/1.ndjson", ORDERS_1);
	struct pipe_result pr = fx_refresh_ok(&f, "orders_pipe");
	pipe_result_free(&pr);
	struct run r;
	run_init(&r, &f, "orders_etl", fx_new_run(&f, "orders_etl"), NULL);
	r.ctx.step = project_step(r.ctx.flow, "load");
	ck_assert_int_eq(window_rows(&r, "orders_stream", "_sluice_id", NULL), 3);
	ck_assert_msg(consume(&r, wh, "orders_stream", true, &e) == 0, "%s", err_text(&e));
	run_free(&r);
	make_stream_tables_old(&f);

	fx_new_store(&f, 0);
	int64_t n = -1;
	ck_assert_int_eq(stream_pending_rows(project_stream(f.p, "orders_stream"), f.conns,
					     f.store, &n, &e), -1);
	ck_assert_int_eq(e.code, ERR_CONFLICT);
	ck_assert_msg(strstr(e.msg, "written before control stores had ids") &&
		      strstr(e.msg, "UPDATE _sluice_stream_offsets SET store_id"), "%s", e.msg);

	fx_new_store(&f, 2);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 0);
	fx_put(&f, "orders/2.ndjson", ORDERS_2);
	pr = fx_refresh_ok(&f, "orders_pipe");
	ck_assert_int_eq(pr.files_adopted, 1);
	ck_assert_int_eq(pr.files_loaded, 1);
	pipe_result_free(&pr);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 2);
	run_init(&r, &f, "orders_etl", fx_new_run(&f, "orders_etl"), NULL);
	ck_assert_int_gt(r.ctx.run_id, 2);
	r.ctx.step = project_step(r.ctx.flow, "load");
	ck_assert_int_eq(window_rows(&r, "orders_stream", "_sluice_id", NULL), 2);
	ck_assert_msg(consume(&r, wh, "orders_stream", true, &e) == 0, "%s", err_text(&e));
	run_free(&r);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 0);
	char *own = xasprintf("SELECT count(*) FROM _sluice_stream_offsets WHERE store_id = '%s'",
			      store_id(f.store));
	ck_assert_int_eq(fx_int(&f, own), 1);
	free(own);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM _sluice_stream_offsets"), 1);
	fx_close(&f);
}

/* default mode: updates come back through the watermark, and rows that
 * share the offset's watermark but come after it are not lost. */
static void t_stream_default(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, STREAMS_PROJECT);
	struct db *wh = fx_db(&f);
	struct err e = { 0 };
	fx_exec(&f, "CREATE TABLE src_items (id integer PRIMARY KEY, name text, "
		"last_updated timestamp)");
	fx_exec(&f, "INSERT INTO src_items VALUES (1, 'a', '2024-01-01 10:00:00'), "
		"(2, 'b', '2024-01-01 10:00:00'), (3, 'c', '2024-01-01 10:00:00'), "
		"(9, 'n', NULL)");
	ck_assert_int_eq(pending_rows(&f, "items_changes"), 3);
	struct run r;
	run_init(&r, &f, "orders_etl", fx_new_run(&f, "orders_etl"), NULL);
	r.ctx.step = project_step(r.ctx.flow, "items");
	int64_t sum;
	ck_assert_int_eq(window_rows(&r, "items_changes", "id", &sum), 3);
	ck_assert_int_eq(sum, 6);
	ck_assert_msg(consume(&r, wh, "items_changes", true, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(pending_rows(&f, "items_changes"), 0);
	run_free(&r);
	/* Same timestamp as the offset, later id: pending (the tie-breaker). */
	fx_exec(&f, "INSERT INTO src_items VALUES (4, 'd', '2024-01-01 10:00:00')");
	ck_assert_int_eq(pending_rows(&f, "items_changes"), 1);
	/* An update moves a row's watermark forward: pending again. */
	fx_exec(&f, "UPDATE src_items SET name = 'a2', last_updated = '2024-01-02 09:00:00' "
		"WHERE id = 1");
	ck_assert_int_eq(pending_rows(&f, "items_changes"), 2);
	run_init(&r, &f, "orders_etl", fx_new_run(&f, "orders_etl"), NULL);
	r.ctx.step = project_step(r.ctx.flow, "items");
	ck_assert_int_eq(window_rows(&r, "items_changes", "id", &sum), 2);
	ck_assert_int_eq(sum, 5);
	ck_assert_msg(consume(&r, wh, "items_changes", true, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(pending_rows(&f, "items_changes"), 0);
	struct stream_status st;
	ck_assert_int_eq(stream_status(project_stream(f.p, "items_changes"), f.conns, f.store, &st, &e), 0);
	ck_assert_msg(st.offset && strstr(st.offset, "2024-01-02 09:00:00") &&
		      str_ends_with(st.offset, "/ 1"), "offset %s", st.offset);
	stream_status_free(&st);
	run_free(&r);
	fx_close(&f);
}

/* The demo's orders flow, step by step: ingest, normalize the stream's
 * window into order items, load them consuming the stream.  A second file
 * then flows through alone; a load that fails leaves the offset. */
static void t_orders_flow(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, STREAMS_PROJECT);
	fx_put(&f, "orders/2024/01/01/000000000001.ndjson", ORDERS_1);
	struct run r;
	run_init(&r, &f, "orders_etl", fx_new_run(&f, "orders_etl"), NULL);
	run_step_ok(&r, "ingest");
	ck_assert_int_eq(r.ctx.rows_in, 3);
	ck_assert_int_eq(r.ctx.rows_out, 3);
	run_step_ok(&r, "items");
	ck_assert_int_eq(r.ctx.rows_in, 3);
	ck_assert_int_eq(r.ctx.rows_out, 5);
	run_step_ok(&r, "load");
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM fact_order_items"), 5);
	ck_assert_int_eq(fx_int(&f, "SELECT sum(quantity) FROM fact_order_items"), 11);
	char *v = fx_text(&f, "SELECT customer FROM fact_order_items WHERE sku = 'C'");
	ck_assert_str_eq(v, "Bob");
	free(v);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 0);

	fx_put(&f, "orders/2024/01/02/000000000001.ndjson", ORDERS_2);
	run_init(&r, &f, "orders_etl", fx_new_run(&f, "orders_etl"), NULL);
	run_step_ok(&r, "ingest");
	run_step_ok(&r, "items");
	ck_assert_int_eq(r.ctx.rows_out, 3);
	/* replace: the staging table holds this run's items only */
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM stg_order_items"), 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM stg_order_items WHERE customer "
				"IS NULL"), 2);
	/* Retrying the committed step does not write again. */
	struct run again;
	run_init(&again, &f, "orders_etl", r.ctx.run_id, NULL);
	run_step_ok(&again, "items");
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM stg_order_items"), 3);
	run_free(&again);
	run_step_ok(&r, "load");
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM fact_order_items"), 8);
	ck_assert_int_eq(fx_int(&f, "SELECT count(DISTINCT order_id) FROM fact_order_items"), 5);

	/* A load that fails: the offset stays, the fact table too. */
	fx_put(&f, "orders/2024/01/03/000000000001.ndjson", "{\"order_id\": 7, \"products\": "
	       "[{\"sku\": \"H\", \"quantity\": 1}]}\n");
	struct pipe_result pr = fx_refresh_ok(&f, "orders_pipe");
	pipe_result_free(&pr);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 1);
	run_init(&r, &f, "broken_etl", fx_new_run(&f, "broken_etl"), NULL);
	run_step_ok(&r, "items");
	struct err e = { 0 };
	ck_assert_int_eq(run_step(&r, "load", &e), -1);
	run_free(&r);
	ck_assert_int_eq(pending_rows(&f, "orders_stream"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM fact_order_items"), 8);
	fx_close(&f);
}

/* A document that does not fit: the step fails naming the document (file
 * and line) and the path, and writes nothing. */
static void t_normalize_error(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, STREAMS_PROJECT);
	fx_put(&f, "orders/1.ndjson", ORDERS_1);
	struct run r;
	run_init(&r, &f, "orders_etl", fx_new_run(&f, "orders_etl"), NULL);
	run_step_ok(&r, "ingest");
	run_step_ok(&r, "items");
	run_free(&r);
	fx_put(&f, "orders/2.ndjson", "{\"order_id\": 8, \"products\": [{\"sku\": \"A\", "
	       "\"quantity\": 1}]}\n{\"order_id\": 9, \"products\": [{\"sku\": \"B\", "
	       "\"quantity\": 2}, {\"sku\": \"C\", \"quantity\": \"lots\"}]}\n");
	run_init(&r, &f, "orders_etl", fx_new_run(&f, "orders_etl"), NULL);
	run_step_ok(&r, "ingest");
	struct err e = { 0 };
	ck_assert_int_eq(run_step(&r, "items", &e), -1);
	ck_assert_msg(strstr(err_text(&e), "orders/2.ndjson:2") != NULL, "%s", err_text(&e));
	ck_assert_msg(strstr(err_text(&e), "products[1].quantity") != NULL, "%s", err_text(&e));
	ck_assert_msg(strstr(err_text(&e), "lots") != NULL, "%s", err_text(&e));
	run_free(&r);
	/* The staging table still holds the last good run's items. */
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM stg_order_items"), 5);
	fx_close(&f);
}

/* From a table, appending: each run adds all documents again; a retried
 * attempt of the same run does not. */
static void t_normalize_table(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, STREAMS_PROJECT);
	fx_put(&f, "orders/1.ndjson", ORDERS_1);
	struct pipe_result pr = fx_refresh_ok(&f, "orders_pipe");
	pipe_result_free(&pr);
	struct run r;
	int64_t id = fx_new_run(&f, "raw_copy");
	run_init(&r, &f, "raw_copy", id, NULL);
	run_step_ok(&r, "items");
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM all_items"), 5);
	run_init(&r, &f, "raw_copy", id, NULL);
	run_step_ok(&r, "items");
	ck_assert_ptr_nonnull(strstr(r.ctx.summary, "earlier attempt"));
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM all_items"), 5);
	run_init(&r, &f, "raw_copy", fx_new_run(&f, "raw_copy"), NULL);
	run_step_ok(&r, "items");
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM all_items"), 10);
	fx_close(&f);
}

/* Without a document column the row's columns make the document: numbers
 * stay numbers and JSON columns are JSON, so arrays in them explode. */
static void t_normalize_columns(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, STREAMS_PROJECT);
	fx_exec(&f, "CREATE TABLE src_docs (id integer, name text, price numeric(6,2), "
		"tags json)");
	fx_exec(&f, "INSERT INTO src_docs VALUES (1, 'a', 2.5, '[\"x\", \"y\"]'), "
		"(2, 'b', 1, '[]'), (3, 'c', NULL, NULL), (4, NULL, 3, '[\"z\"]')");
	struct run r;
	run_init(&r, &f, "columns_norm", fx_new_run(&f, "columns_norm"), NULL);
	run_step_ok(&r, "tags");
	ck_assert_int_eq(r.ctx.rows_in, 4);
	ck_assert_int_eq(r.ctx.rows_out, 3);
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM doc_tags"), 3);
	char *v = fx_text(&f, "SELECT tag FROM doc_tags WHERE id = 1 ORDER BY tag DESC LIMIT 1");
	ck_assert_str_eq(v, "y");
	free(v);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM doc_tags WHERE id = 4 AND name IS NULL "
				"AND tag = 'z'"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM doc_tags WHERE price * 2 = 5"), 2);
	/* The console's mirror of stream offsets is filled from the truth. */
	struct err e = { 0 };
	fx_exec(&f, "CREATE TABLE src_items (id integer, name text, last_updated timestamp)");
	fx_exec(&f, "INSERT INTO src_items VALUES (1, 'a', '2024-01-01 10:00:00')");
	struct pipe_result pr;
	fx_put(&f, "orders/1.ndjson", ORDERS_1);
	pr = fx_refresh_ok(&f, "orders_pipe");
	pipe_result_free(&pr);
	ck_assert_int_eq(stream_mirror_all(f.p, f.conns, f.store, &e), 0);
	struct vec v2 = VEC_INIT;
	ck_assert_int_eq(store_stream_list(f.store, &v2, &e), 0);
	ck_assert_int_eq(v2.len, 2);
	for (size_t i = 0; i < v2.len; i++) {
		struct store_stream_offset *o = v2.items[i];
		ck_assert_int_eq(o->pending_rows, strcmp(o->stream, "orders_stream") == 0 ? 3 : 1);
		ck_assert_ptr_null(o->offset);
	}
	store_stream_list_free(&v2);
	fx_close(&f);
}

#endif
