/*
 * pipes_stream_steps.h - streams for every step (issue 14): a `sql` step
 * and a `load` step's query read the run's window of a stream through
 * {{stream:NAME}}.  Run on SQLite by test_pipes.c and on PostgreSQL by
 * test_pipes_pg.c.
 */
#ifndef SLUICE_PIPES_STREAM_STEPS_H
#define SLUICE_PIPES_STREAM_STEPS_H

#include "pipes_fixture.h"

/* Sales files into raw_sales, and a stream of it. */
#define SALES_PIPE_AND_STREAM \
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } }," \
	"  \"pipes\": [ { \"name\": \"sales\", \"path\": \"sales/\", \"format\": \"csv\"," \
	"    \"connection\": \"wh\", \"table\": \"raw_sales\"," \
	"    \"columns\": [ { \"name\": \"id\", \"type\": \"integer\" }," \
	"                 { \"name\": \"amount\", \"type\": \"numeric(8,2)\" } ] } ]," \
	"  \"streams\": [ { \"name\": \"sales_stream\", \"connection\": \"wh\"," \
	"                   \"table\": \"raw_sales\" } ],"

static const char *const STREAM_SQL_PROJECT =
	SALES_PIPE_AND_STREAM
	"  \"flows\": [ { \"name\": \"totals\", \"steps\": ["
	"    { \"name\": \"ingest\", \"kind\": \"ingest\", \"pipe\": \"sales\" },"
	"    { \"name\": \"tally\", \"kind\": \"sql\", \"connection\": \"wh\", \"needs\": [\"ingest\"],"
	"      \"sql\": \"CREATE TABLE IF NOT EXISTS tally (run_id integer, n integer, total numeric(10,2));"
	"               INSERT INTO tally SELECT :run_id, count(*), sum(s.amount)"
	"               FROM {{stream:sales_stream}} AS s\" },"
	"    { \"name\": \"load\", \"kind\": \"load\", \"connection\": \"wh\", \"needs\": [\"tally\"],"
	"      \"from\": { \"query\": \"SELECT s.id, s.amount, :run_id AS run FROM"
	"                  {{stream:sales_stream}} AS s WHERE s.amount > 1\" },"
	"      \"table\": \"fact_sales\", \"mode\": \"append\","
	"      \"consumes\": [\"sales_stream\"] } ] } ] }";

static void stream_sql_run(struct fx *f)
{
	struct run r;
	run_init(&r, f, "totals", fx_new_run(f, "totals"), NULL);
	run_step_ok(&r, "ingest");
	run_step_ok(&r, "tally");
	run_step_ok(&r, "load");
	run_free(&r);
}

/* Each run's sql step counts only its window; the load reads the same
 * window (with a :run_id of its own beside the window's parameters) and
 * consumes it, so the next run sees only the new rows. */
static void t_stream_in_sql(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, STREAM_SQL_PROJECT);
	fx_put(&f, "sales/1.csv", "id,amount\n1,10.00\n2,0.50\n3,7.25\n");
	stream_sql_run(&f);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM tally"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT n FROM tally"), 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM fact_sales"), 2);
	fx_put(&f, "sales/2.csv", "id,amount\n4,100.00\n5,3.00\n");
	stream_sql_run(&f);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM tally"), 2);
	ck_assert_int_eq(fx_int(&f, "SELECT n FROM tally ORDER BY run_id DESC LIMIT 1"), 2);
	ck_assert_int_eq(fx_int(&f, "SELECT CAST(total AS INTEGER) FROM tally "
				"ORDER BY run_id DESC LIMIT 1"), 103);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM fact_sales"), 4);
	ck_assert_int_eq(fx_int(&f, "SELECT count(DISTINCT run) FROM fact_sales"), 2);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM fact_sales WHERE id = 4"), 1);
	/* nothing new: the window is empty, and the tally says so */
	stream_sql_run(&f);
	ck_assert_int_eq(fx_int(&f, "SELECT n FROM tally ORDER BY run_id DESC LIMIT 1"), 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM fact_sales"), 4);
	fx_close(&f);
}

static const char *const STREAM_CHECK_PROJECT =
	SALES_PIPE_AND_STREAM
	"  \"flows\": [ { \"name\": \"guarded\", \"steps\": ["
	"    { \"name\": \"ingest\", \"kind\": \"ingest\", \"pipe\": \"sales\" },"
	"    { \"name\": \"guard\", \"kind\": \"validate\", \"connection\": \"wh\","
	"      \"needs\": [\"ingest\"], \"table\": \"raw_sales\", \"checks\": ["
	"        { \"type\": \"custom\", \"name\": \"no refund in the window\","
	"          \"sql\": \"SELECT * FROM {{stream:sales_stream}} AS s WHERE s.amount < 0\" } ] },"
	"    { \"name\": \"load\", \"kind\": \"load\", \"connection\": \"wh\", \"needs\": [\"guard\"],"
	"      \"from\": { \"query\": \"SELECT s.id, s.amount FROM {{stream:sales_stream}} AS s\" },"
	"      \"table\": \"fact_sales\", \"mode\": \"append\","
	"      \"consumes\": [\"sales_stream\"] } ] } ] }";

/* A custom check reads the run's window of a stream: a window with a
 * negative amount fails the step, naming the check; the window is left
 * for the step that consumes it, and a later window without one passes
 * although the table still holds the old negative row. */
static void t_stream_in_custom_check(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, STREAM_CHECK_PROJECT);
	fx_put(&f, "sales/1.csv", "id,amount\n1,10.00\n2,-3.00\n");
	struct run r;
	run_init(&r, &f, "guarded", fx_new_run(&f, "guarded"), NULL);
	run_step_ok(&r, "ingest");
	struct err e = { 0 };
	ck_assert_int_lt(run_step(&r, "guard", &e), 0);
	ck_assert_msg(strstr(err_text(&e), "no refund in the window") != NULL, "%s",
		      err_text(&e));
	run_free(&r);
	/* The operator lets the refund through: the load consumes the window. */
	run_init(&r, &f, "guarded", fx_new_run(&f, "guarded"), NULL);
	run_step_ok(&r, "load");
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM fact_sales"), 2);
	fx_put(&f, "sales/2.csv", "id,amount\n3,4.00\n");
	run_init(&r, &f, "guarded", fx_new_run(&f, "guarded"), NULL);
	run_step_ok(&r, "ingest");
	run_step_ok(&r, "guard");
	run_step_ok(&r, "load");
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM fact_sales"), 3);
	fx_close(&f);
}

/* sluice check: a reference to no stream, or to a stream on another
 * connection, is an error at the step's key. */
static void t_stream_ref_checked(const struct backend *b)
{
	(void)b;
	char *dir = test_mkdtemp();
	test_write_file(dir, "sluice.json",
		"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" },"
		"                   \"other\": { \"url\": \"sqlite:o.db\" } },"
		"  \"streams\": [ { \"name\": \"s1\", \"connection\": \"other\", \"table\": \"t\" } ],"
		"  \"flows\": [ { \"name\": \"f\", \"steps\": ["
		"    { \"name\": \"a\", \"kind\": \"sql\", \"connection\": \"wh\","
		"      \"sql\": \"SELECT 1;\\nSELECT * FROM {{stream:nope}} AS x\" },"
		"    { \"name\": \"b\", \"kind\": \"load\", \"connection\": \"wh\","
		"      \"from\": { \"query\": \"SELECT * FROM {{stream:s1}} AS x\" },"
		"      \"table\": \"t2\" },"
		"    { \"name\": \"c\", \"kind\": \"validate\", \"connection\": \"wh\","
		"      \"table\": \"t\", \"checks\": [ { \"type\": \"custom\", \"name\": \"k\","
		"        \"sql\": \"SELECT * FROM {{stream:gone}} AS x\" } ] } ] } ] }");
	char *file = path_join(dir, "sluice.json");
	struct diags d;
	diags_init(&d);
	struct err e = { 0 };
	struct project *p = project_load(file, NULL, &d, &e);
	ck_assert_msg(p != NULL, "%s", err_text(&e));
	steps_validate(p, &d);
	struct buf all = BUF_INIT;
	for (size_t i = 0; i < d.items.len; i++) {
		char *line = diag_format(d.items.items[i]);
		buf_printf(&all, "%s\n", line);
		free(line);
	}
	const char *text = buf_str(&all);
	ck_assert_msg(strstr(text, "flows[0].steps[0].sql: line 2: {{stream:nope}}: no stream "
			     "named \"nope\"") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "flows[0].steps[1].from.query: line 1: {{stream:s1}}: the "
			     "stream is on connection \"other\", this SQL runs on \"wh\"") != NULL,
		      "%s", text);
	ck_assert_msg(strstr(text, "flows[0].steps[2].checks[0].sql: line 1: {{stream:gone}}: "
			     "no stream named \"gone\"") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "sluice.json:1:") != NULL, "positions: %s", text);
	buf_free(&all);
	project_free(p);
	diags_free(&d);
	free(file);
	test_rmdir(dir);
}

static const char *const NESTED_PROJECT =
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },"
	"  \"pipes\": [ { \"name\": \"orders\", \"path\": \"orders/\","
	"    \"connection\": \"wh\", \"table\": \"raw_orders\", \"document\": \"doc\" } ],"
	"  \"streams\": [ { \"name\": \"orders_stream\", \"connection\": \"wh\","
	"                   \"table\": \"raw_orders\" } ],"
	"  \"flows\": [ { \"name\": \"tags\", \"steps\": ["
	"    { \"name\": \"ingest\", \"kind\": \"ingest\", \"pipe\": \"orders\" },"
	"    { \"name\": \"inner\", \"kind\": \"normalize\", \"connection\": \"wh\","
	"      \"needs\": [\"ingest\"], \"from\": { \"stream\": \"orders_stream\" },"
	"      \"document\": \"doc\", \"into\": \"item_tags\", \"columns\": ["
	"        { \"name\": \"order_id\", \"path\": \"id\", \"type\": \"integer\" },"
	"        { \"name\": \"sku\", \"path\": \"items[].sku\" },"
	"        { \"name\": \"qty\", \"path\": \"items[].qty\", \"type\": \"integer\" },"
	"        { \"name\": \"tag\", \"path\": \"items[].tags[]\" } ] },"
	"    { \"name\": \"outer\", \"kind\": \"normalize\", \"connection\": \"wh\","
	"      \"needs\": [\"ingest\"], \"from\": { \"stream\": \"orders_stream\" },"
	"      \"document\": \"doc\", \"into\": \"item_tags_outer\", \"outer\": true,"
	"      \"columns\": ["
	"        { \"name\": \"order_id\", \"path\": \"id\", \"type\": \"integer\" },"
	"        { \"name\": \"sku\", \"path\": \"items[].sku\" },"
	"        { \"name\": \"qty\", \"path\": \"items[].qty\", \"type\": \"integer\" },"
	"        { \"name\": \"tag\", \"path\": \"items[].tags[]\" } ] } ] } ] }";

/* normalize follows items[].tags[]; with outer: true an order without
 * items (empty or missing) and an item without tags keep one row each,
 * with NULLs for what is missing. */
static void t_normalize_nested_outer(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, NESTED_PROJECT);
	fx_put(&f, "orders/1.ndjson",
	       "{\"id\": 1, \"items\": [{\"sku\": \"A\", \"qty\": 2, \"tags\": [\"red\", \"big\"]},"
	       " {\"sku\": \"B\", \"qty\": 1, \"tags\": []}, {\"sku\": \"C\", \"qty\": 5}]}\n"
	       "{\"id\": 2, \"items\": []}\n"
	       "{\"id\": 3}\n"
	       "{\"id\": 4, \"items\": [{\"sku\": \"D\", \"qty\": 1, \"tags\": [\"new\"]}]}\n");
	struct run r;
	run_init(&r, &f, "tags", fx_new_run(&f, "tags"), NULL);
	run_step_ok(&r, "ingest");
	run_step_ok(&r, "inner");
	ck_assert_int_eq(r.ctx.rows_out, 3);
	run_step_ok(&r, "outer");
	ck_assert_int_eq(r.ctx.rows_out, 7);
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM item_tags"), 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM item_tags WHERE order_id = 1 AND "
				"sku = 'A' AND qty = 2 AND tag IN ('red', 'big')"), 2);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM item_tags WHERE sku = 'D' AND "
				"tag = 'new'"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM item_tags_outer"), 7);
	/* items without tags: the item's fields, tag NULL */
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM item_tags_outer WHERE tag IS NULL "
				"AND sku IN ('B', 'C') AND order_id = 1"), 2);
	ck_assert_int_eq(fx_int(&f, "SELECT qty FROM item_tags_outer WHERE sku = 'C'"), 5);
	/* orders without items: the order, everything else NULL */
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM item_tags_outer WHERE order_id IN "
				"(2, 3) AND sku IS NULL AND qty IS NULL AND tag IS NULL"), 2);
	fx_close(&f);
}

#endif
