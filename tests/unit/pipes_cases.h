/*
 * pipes_cases.h - pipe tests, run on each backend by test_pipes.c
 * (SQLite) and test_pipes_pg.c (PostgreSQL).  Each takes the backend and
 * builds its own project, lake and warehouse.
 */
#ifndef SLUICE_PIPES_CASES_H
#define SLUICE_PIPES_CASES_H

#include "pipes_fixture.h"

static const char *const TOTESYS[] = {
	"address", "counterparty", "currency", "department", "design", "payment_type",
	"sales_order", "staff",
};

/* The real ToteSys rows through pipes into raw tables: every row, once,
 * with values intact, in inferred tables and in a declared one. */
static void t_totesys(const struct backend *b)
{
	struct buf json = BUF_INIT;
	buf_puts(&json, "{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } }, \"pipes\": [");
	for (size_t i = 0; i < ARRAY_LEN(TOTESYS); i++)
		buf_printf(&json, "%s{ \"name\": \"%s_pipe\", \"path\": \"totesys/%s/\", "
			   "\"pattern\": \"*.json\", \"connection\": \"wh\", \"table\": \"raw_%s\" }",
			   i ? ", " : "", TOTESYS[i], TOTESYS[i], TOTESYS[i]);
	buf_puts(&json, ", { \"name\": \"staff_typed\", \"path\": \"totesys/staff/\", "
		 "\"connection\": \"wh\", \"table\": \"typed_staff\", \"document\": \"doc\", "
		 "\"columns\": [ { \"name\": \"staff_id\", \"type\": \"integer\" }, "
		 "{ \"name\": \"first_name\", \"type\": \"text\" }, "
		 "{ \"name\": \"surname\", \"type\": \"varchar(40)\", \"source\": \"last_name\" }, "
		 "{ \"name\": \"last_updated\", \"type\": \"timestamp\" } ] } ] }");
	struct fx f;
	fx_open(&f, b, json.data);
	buf_free(&json);
	for (size_t i = 0; i < ARRAY_LEN(TOTESYS); i++) {
		char *rel = xasprintf("tests/data/totesys/%s.json", TOTESYS[i]);
		char *path = srcdir_path(rel);
		char *key = xasprintf("totesys/%s/2024/01/01/000000000000.json", TOTESYS[i]);
		fx_put_file(&f, key, path);
		char *pipe = xasprintf("%s_pipe", TOTESYS[i]);
		struct pipe_result res = fx_refresh_ok(&f, pipe);
		int64_t lines = count_lines(path);
		ck_assert_int_eq(res.files_loaded, 1);
		ck_assert_int_eq(res.files_failed, 0);
		ck_assert_int_eq(res.rows_loaded, lines);
		ck_assert_ptr_null(res.first_error);
		char *sql = xasprintf("SELECT count(*) FROM raw_%s", TOTESYS[i]);
		ck_assert_int_eq(fx_int(&f, sql), lines);
		struct store_load *l = fx_load_of(&f, pipe, key);
		ck_assert_int_eq(l->status, LOAD_LOADED);
		ck_assert_int_eq(l->rows_parsed, lines);
		ck_assert_int_eq(l->rows_loaded, lines);
		char sum[65];
		fx_checksum(&f, key, sum);
		ck_assert_str_eq(l->checksum, sum);
		store_load_free(l);
		pipe_result_free(&res);
		free(sql);
		free(pipe);
		free(key);
		free(path);
		free(rel);
	}
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_sales_order"), 11175);
	char *v = fx_text(&f, "SELECT first_name || ' ' || last_name FROM raw_staff "
			  "WHERE staff_id = 1");
	ck_assert_str_eq(v, "Jeremie Franey");
	free(v);
	v = fx_text(&f, "SELECT CAST(unit_price AS TEXT) FROM raw_sales_order "
		    "WHERE sales_order_id = 2");
	ck_assert_str_eq(v, "3.94");
	free(v);
	struct err e = { 0 };
	char *created = NULL;
	ck_assert_int_eq(db_query_value(fx_db(&f), "SELECT created_at FROM raw_sales_order "
					"WHERE sales_order_id = 2", NULL, 0, &created, &e), 1);
	ck_assert_str_eq(created, "2022-11-03 14:20:52.186");
	free(created);
	v = fx_text(&f, "SELECT currency_code FROM raw_currency WHERE currency_id = 2");
	ck_assert_str_eq(v, "USD");
	free(v);
	/* Every row knows its file and line, and ids follow the file's order. */
	ck_assert_int_eq(fx_int(&f, "SELECT count(DISTINCT _sluice_line) FROM "
				"raw_sales_order"), 11175);
	ck_assert_int_eq(fx_int(&f, "SELECT max(_sluice_line) FROM raw_sales_order"), 11175);
	ck_assert_int_eq(fx_int(&f, "SELECT sales_order_id FROM raw_sales_order WHERE "
				"_sluice_line = 1"), 2);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_sales_order a JOIN "
				"raw_sales_order b ON b._sluice_line = a._sluice_line + 1 "
				"WHERE b._sluice_id <> a._sluice_id + 1"), 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(DISTINCT _sluice_file) FROM raw_design"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT max(_sluice_id) - min(_sluice_id) + 1 "
				"FROM raw_design"), 472);
	/* The declared table: the columns as declared, the whole record kept. */
	struct pipe_result res = fx_refresh_ok(&f, "staff_typed");
	ck_assert_int_eq(res.rows_loaded, 20);
	pipe_result_free(&res);
	struct db_table *t = db_describe(fx_db(&f), "typed_staff", &e);
	ck_assert_ptr_nonnull(t);
	const char *want[] = { "_sluice_id", "staff_id", "first_name", "surname",
			       "last_updated", "doc", "_sluice_file", "_sluice_line",
			       "_sluice_loaded_at" };
	ck_assert_int_eq(t->ncolumns, ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		ck_assert_str_eq(t->columns[i].name, want[i]);
	ck_assert_int_eq(t->columns[1].type.type, DT_INT);
	ck_assert_int_eq(t->columns[3].type.precision, 40);
	ck_assert_int_eq(t->columns[4].type.type, DT_TIMESTAMP);
	ck_assert_int_eq(t->columns[5].type.type, DT_JSON);
	db_table_free(t);
	v = fx_text(&f, "SELECT first_name || ' ' || surname FROM typed_staff "
		    "WHERE staff_id = 1");
	ck_assert_str_eq(v, "Jeremie Franey");
	free(v);
	v = fx_text(&f, "SELECT CAST(doc AS TEXT) FROM typed_staff WHERE staff_id = 1");
	ck_assert_msg(strstr(v, "jeremie.franey@terrifictotes.com") != NULL, "doc: %s", v);
	free(v);
	fx_close(&f);
}

static const char *const ORDERS_PROJECT =
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },"
	"  \"pipes\": ["
	"    { \"name\": \"orders\", \"path\": \"orders/\", \"pattern\": \"*.ndjson\","
	"      \"connection\": \"wh\", \"table\": \"raw_orders\", \"on_error\": \"skip_file\" },"
	"    { \"name\": \"orders_c\", \"path\": \"orders/\", \"pattern\": \"*.ndjson\","
	"      \"connection\": \"wh\", \"table\": \"raw_orders_c\", \"on_error\": \"continue\" },"
	"    { \"name\": \"orders_a\", \"path\": \"orders/\", \"pattern\": \"*.ndjson\","
	"      \"connection\": \"wh\", \"table\": \"raw_orders_a\", \"on_error\": \"abort\" },"
	"    { \"name\": \"typed\", \"path\": \"typed/\", \"connection\": \"wh\","
	"      \"table\": \"raw_typed\", \"on_error\": \"continue\","
	"      \"columns\": [ { \"name\": \"id\", \"type\": \"integer\" },"
	"                   { \"name\": \"amount\", \"type\": \"numeric(5,2)\" } ] } ] }";

#define GOOD1 "{\"id\": 1, \"item\": \"a\"}\n{\"id\": 2, \"item\": \"b\"}\n"
#define GOOD2 "{\"id\": 3, \"item\": \"c\"}\n"
#define BAD   "{\"id\": 10, \"item\": \"x\"}\n{\"id\": 11, \"item\": x}\n{\"id\": 12, \"item\": \"z\"}\n"

/* Loading the same prefix twice loads each file once; a new file alone
 * loads on the next refresh. */
static void t_twice(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	fx_put(&f, "orders/2024/01/01/000000000001.ndjson", GOOD1);
	fx_put(&f, "orders/2024/01/01/000000000002.ndjson", GOOD2);
	ck_assert_int_eq(fx_pending(&f, "orders"), 2);
	struct pipe_result r1 = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r1.files_seen, 2);
	ck_assert_int_eq(r1.files_loaded, 2);
	ck_assert_int_eq(r1.rows_loaded, 3);
	ck_assert_int_eq(fx_pending(&f, "orders"), 0);
	struct pipe_result r2 = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r2.files_loaded, 0);
	ck_assert_int_eq(r2.files_skipped, 2);
	ck_assert_int_eq(r2.rows_loaded, 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(DISTINCT id) FROM raw_orders"), 3);
	fx_put(&f, "orders/2024/01/02/000000000003.ndjson", "{\"id\": 4, \"item\": \"d\"}\n");
	ck_assert_int_eq(fx_pending(&f, "orders"), 1);
	struct pipe_result r3 = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r3.files_loaded, 1);
	ck_assert_int_eq(r3.files_skipped, 2);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 4);
	/* The pattern is a glob on the last part of the key. */
	fx_put(&f, "orders/2024/01/02/notes.txt", "not an order\n");
	ck_assert_int_eq(fx_pending(&f, "orders"), 0);
	pipe_result_free(&r1);
	pipe_result_free(&r2);
	pipe_result_free(&r3);
	fx_close(&f);
}

/* The process died after a file's rows and ledger entry committed but
 * before its load history was written: the next refresh writes the history
 * from the ledger and loads nothing again.  (A second control store that
 * has never seen the pipe stands for the lost history.) */
static void t_reconcile(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", BAD);
	fx_put(&f, "orders/c.ndjson", GOOD2);
	struct pipe_result r1 = fx_refresh_ok(&f, "orders_c");
	ck_assert_int_eq(r1.files_loaded, 2);
	ck_assert_int_eq(r1.files_partial, 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders_c"), 5);
	char *first = xstrdup(store_id(f.store));
	fx_new_store(&f, 0);
	struct pipe_result r2 = fx_refresh_ok(&f, "orders_c");
	ck_assert_int_eq(r2.files_reconciled, 3);
	ck_assert_int_eq(r2.files_adopted, 3);
	ck_assert_int_eq(r2.files_loaded, 0);
	ck_assert_int_eq(r2.rows_loaded, 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders_c"), 5);
	struct store_load *l = fx_load_of(&f, "orders_c", "orders/b.ndjson");
	ck_assert_str_eq(l->loaded_by, first);
	free(first);
	ck_assert_int_eq(l->status, LOAD_PARTIALLY_LOADED);
	ck_assert_int_eq(l->rows_loaded, 2);
	ck_assert_int_eq(l->error_count, 1);
	ck_assert_int_eq(l->first_error_line, 2);
	char sum[65];
	fx_checksum(&f, "orders/b.ndjson", sum);
	ck_assert_str_eq(l->checksum, sum);
	store_load_free(l);
	struct pipe_result r3 = fx_refresh_ok(&f, "orders_c");
	ck_assert_int_eq(r3.files_skipped, 3);
	ck_assert_int_eq(r3.files_reconciled, 0);
	pipe_result_free(&r1);
	pipe_result_free(&r2);
	pipe_result_free(&r3);

	/* Entries from before store ids: a file that is the one its entry
	 * describes is adopted; another under its name is neither loaded nor
	 * skipped. */
	fx_exec(&f, "UPDATE _sluice_ledger SET store_id = NULL");
	fx_new_store(&f, 0);
	fx_put(&f, "orders/c.ndjson", GOOD1);
	struct pipe_result r4;
	struct err e = { 0 };
	ck_assert_int_eq(fx_refresh(&f, "orders_c", false, NULL, &r4, &e), 0);
	ck_assert_int_eq(r4.files_adopted, 2);
	ck_assert_int_eq(r4.files_failed, 1);
	ck_assert_int_eq(r4.files_loaded, 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders_c"), 5);
	l = fx_load_of(&f, "orders_c", "orders/a.ndjson");
	ck_assert_str_eq(l->loaded_by, "unknown");
	store_load_free(l);
	l = fx_load_of(&f, "orders_c", "orders/c.ndjson");
	ck_assert_int_eq(l->status, LOAD_FAILED);
	ck_assert_ptr_null(l->loaded_by);
	ck_assert_msg(strstr(l->first_error, "this file differs") &&
		      strstr(l->first_error, "--force --file orders/c.ndjson"), "%s",
		      l->first_error);
	store_load_free(l);
	pipe_result_free(&r4);
	fx_close(&f);
}

/* skip_file: a file with a bad record loads nothing and keeps its first
 * error; the good file beside it loads; the bad file is left as it was and
 * is not tried again until it changes. */
static void t_skip_file(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", BAD);
	char before[65], after[65];
	fx_checksum(&f, "orders/b.ndjson", before);
	struct pipe_result r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(r.files_failed, 1);
	ck_assert_ptr_nonnull(r.first_error);
	ck_assert_msg(str_starts_with(r.first_error, "orders/b.ndjson:2:"), "%s", r.first_error);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 2);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders WHERE id >= 10"), 0);
	struct store_load *l = fx_load_of(&f, "orders", "orders/b.ndjson");
	ck_assert_int_eq(l->status, LOAD_FAILED);
	ck_assert_int_eq(l->rows_loaded, 0);
	ck_assert_int_eq(l->rows_parsed, 3);
	ck_assert_int_eq(l->error_count, 1);
	ck_assert_int_eq(l->first_error_line, 2);
	ck_assert_int_eq(l->first_error_column, 20);
	ck_assert_str_eq(l->first_error_column_name, "item");
	ck_assert_ptr_nonnull(strstr(l->first_error, "invalid literal"));
	ck_assert_str_eq(l->checksum, before);
	store_load_free(l);
	fx_checksum(&f, "orders/b.ndjson", after);
	ck_assert_str_eq(before, after);
	pipe_result_free(&r);
	/* Not retried while unchanged, nor counted pending. */
	ck_assert_int_eq(fx_pending(&f, "orders"), 0);
	r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.files_failed, 0);
	ck_assert_int_eq(r.files_loaded, 0);
	pipe_result_free(&r);
	/* Fixed (replaced by a corrected file), it loads. */
	fx_put(&f, "orders/b.ndjson", "{\"id\": 10, \"item\": \"x\"}\n{\"id\": 11, \"item\": \"y\"}\n"
	       "{\"id\": 12, \"item\": \"z\"}\n");
	ck_assert_int_eq(fx_pending(&f, "orders"), 1);
	r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 5);
	pipe_result_free(&r);
	fx_close(&f);
}

/* continue: the good records of a bad file load, the file is
 * PARTIALLY_LOADED with its error count; a file with no good record is
 * LOAD_FAILED.  Values that do not fit a declared column are bad records
 * too, named by line and column. */
static void t_continue(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", BAD);
	fx_put(&f, "orders/c.ndjson", "{\"id\": 20\n[1]\n");
	struct pipe_result r = fx_refresh_ok(&f, "orders_c");
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(r.files_partial, 1);
	ck_assert_int_eq(r.files_failed, 1);
	ck_assert_int_eq(r.rows_loaded, 4);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders_c"), 4);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders_c WHERE id IN (10, 12)"), 2);
	struct store_load *l = fx_load_of(&f, "orders_c", "orders/b.ndjson");
	ck_assert_int_eq(l->status, LOAD_PARTIALLY_LOADED);
	ck_assert_int_eq(l->rows_loaded, 2);
	ck_assert_int_eq(l->error_count, 1);
	ck_assert_int_eq(l->first_error_line, 2);
	store_load_free(l);
	l = fx_load_of(&f, "orders_c", "orders/c.ndjson");
	ck_assert_int_eq(l->status, LOAD_FAILED);
	ck_assert_int_eq(l->error_count, 2);
	ck_assert_int_eq(l->rows_loaded, 0);
	store_load_free(l);
	pipe_result_free(&r);
	/* Declared columns: a value that does not fit is a bad record. */
	fx_put(&f, "typed/t.ndjson", "{\"id\": 1, \"amount\": 12.5}\n"
	       "{\"id\": \"one\", \"amount\": 1}\n{\"id\": 3, \"amount\": 1234.5}\n"
	       "{\"id\": 4, \"amount\": 999.99}\n");
	r = fx_refresh_ok(&f, "typed");
	ck_assert_int_eq(r.files_partial, 1);
	ck_assert_int_eq(r.rows_loaded, 2);
	l = fx_load_of(&f, "typed", "typed/t.ndjson");
	ck_assert_int_eq(l->error_count, 2);
	ck_assert_int_eq(l->first_error_line, 2);
	ck_assert_str_eq(l->first_error_column_name, "id");
	ck_assert_ptr_nonnull(strstr(l->first_error, "expected an integer"));
	store_load_free(l);
	ck_assert_int_eq(fx_int(&f, "SELECT sum(id) FROM raw_typed"), 5);
	pipe_result_free(&r);
	fx_close(&f);
}

/* The attempts on record for one file of a pipe. */
static size_t fx_attempts(struct fx *f, const char *pipe, const char *key)
{
	struct vec v = VEC_INIT;
	struct err e = { 0 };
	ck_assert_msg(store_load_list(f->store, pipe, 0, 1000, 0, &v, &e) == 0, "%s",
		      err_text(&e));
	size_t n = 0;
	for (size_t i = 0; i < v.len; i++)
		n += strcmp(((struct store_load *)v.items[i])->file_key, key) == 0;
	store_load_list_free(&v);
	return n;
}

static enum pipe_state fx_state(struct fx *f, const char *pipe, char **reason)
{
	struct pipe_status st;
	struct err e = { 0 };
	ck_assert_msg(pipe_status(f->p, project_pipe(f->p, pipe), f->store, f->conns, f->lake,
				  &st, &e) == 0, "%s", err_text(&e));
	enum pipe_state s = st.state;
	if (reason)
		*reason = st.state_reason ? xstrdup(st.state_reason) : NULL;
	pipe_status_free(&st);
	return s;
}

/* abort: the refresh stops at the first bad file with its error; files
 * before it load, files after it wait.  The pipe is STOPPED_ON_ERROR, with
 * the error, until resumed: refreshes load nothing and fail saying so, and
 * the bad file is neither read nor recorded again.  Fixed, it still waits
 * for the resume; once resumed, the fixed file and the rest load.  Resumed
 * without a fix, the unchanged bad file is skipped and the rest load. */
static void t_abort(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	const struct project_pipe *pipe = project_pipe(f.p, "orders_a");
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", BAD);
	fx_put(&f, "orders/c.ndjson", GOOD2);
	struct pipe_result r;
	struct err e = { 0 };
	ck_assert_int_eq(fx_refresh(&f, "orders_a", false, NULL, &r, &e), -1);
	ck_assert_int_eq(e.code, ERR_PARSE);
	ck_assert_msg(str_starts_with(e.where, "orders/b.ndjson:2:"), "%s", e.where);
	ck_assert_ptr_nonnull(strstr(e.msg, "abort"));
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(r.files_failed, 1);
	ck_assert_int_eq(r.state, PIPE_STOPPED_ON_ERROR);
	pipe_result_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders_a"), 2);
	char *reason = NULL;
	ck_assert_int_eq(fx_state(&f, "orders_a", &reason), PIPE_STOPPED_ON_ERROR);
	ck_assert_msg(reason && strstr(reason, "orders/b.ndjson:2:") &&
		      strstr(reason, "pipe resume orders_a"), "%s", reason ? reason : "(none)");
	free(reason);
	ck_assert_int_eq(fx_pending(&f, "orders_a"), 1);        /* c; b is unchanged */
	/* Every later refresh: nothing loaded, nothing recorded, an error. */
	for (int i = 0; i < 3; i++) {
		err_clear(&e);
		ck_assert_int_eq(fx_refresh(&f, "orders_a", false, NULL, &r, &e), -1);
		ck_assert_int_eq(e.code, ERR_CONFLICT);
		ck_assert_msg(strstr(e.msg, "STOPPED_ON_ERROR") && strstr(e.msg, "orders/b.ndjson"),
			      "%s", e.msg);
		ck_assert_int_eq(r.state, PIPE_STOPPED_ON_ERROR);
		ck_assert_int_eq(r.files_seen, 0);
		pipe_result_free(&r);
	}
	ck_assert_uint_eq(fx_attempts(&f, "orders_a", "orders/b.ndjson"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders_a"), 2);
	/* Fixed, it waits for the operator; resumed, b and c load. */
	fx_put(&f, "orders/b.ndjson", "{\"id\": 10, \"item\": \"x\"}\n");
	err_clear(&e);
	ck_assert_int_eq(fx_refresh(&f, "orders_a", false, NULL, &r, &e), -1);
	pipe_result_free(&r);
	bool changed = false;
	ck_assert_int_eq(pipe_resume(f.store, pipe, "alice", &changed, &e), 0);
	ck_assert(changed);
	ck_assert_int_eq(fx_state(&f, "orders_a", NULL), PIPE_RUNNING);
	r = fx_refresh_ok(&f, "orders_a");
	ck_assert_int_eq(r.files_loaded, 2);
	pipe_result_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders_a"), 4);
	ck_assert_int_eq(fx_pending(&f, "orders_a"), 0);
	/* A new bad file stops it again; resumed unfixed, the file is skipped
	 * (on record as LOAD_FAILED) and the files after it load. */
	fx_put(&f, "orders/d.ndjson", BAD);
	fx_put(&f, "orders/e.ndjson", "{\"id\": 20, \"item\": \"e\"}\n");
	err_clear(&e);
	ck_assert_int_eq(fx_refresh(&f, "orders_a", false, NULL, &r, &e), -1);
	ck_assert_int_eq(r.files_failed, 1);
	pipe_result_free(&r);
	ck_assert_int_eq(pipe_resume(f.store, pipe, "alice", &changed, &e), 0);
	r = fx_refresh_ok(&f, "orders_a");
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(r.files_failed, 0);
	pipe_result_free(&r);
	ck_assert_uint_eq(fx_attempts(&f, "orders_a", "orders/d.ndjson"), 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders_a WHERE id = 20"), 1);
	ck_assert_int_eq(fx_state(&f, "orders_a", NULL), PIPE_RUNNING);
	fx_close(&f);
}

/* Forcing one file reloads it alone and replaces its rows. */
static void t_force_one(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", GOOD2);
	struct pipe_result r = fx_refresh_ok(&f, "orders");
	pipe_result_free(&r);
	int64_t max_before = fx_int(&f, "SELECT max(_sluice_id) FROM raw_orders");
	struct err e = { 0 };
	ck_assert_msg(fx_refresh(&f, "orders", true, "orders/a.ndjson", &r, &e) == 0, "%s",
		      err_text(&e));
	ck_assert_int_eq(r.files_seen, 1);
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(r.rows_loaded, 2);
	pipe_result_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(DISTINCT id) FROM raw_orders"), 3);
	char *sql = xasprintf("SELECT count(*) FROM raw_orders WHERE _sluice_id > %lld",
			      (long long)max_before);
	ck_assert_int_eq(fx_int(&f, sql), 2);
	free(sql);
	struct vec v = VEC_INIT;
	ck_assert_int_eq(store_load_list(f.store, "orders", 0, 10, 0, &v, &e), 0);
	ck_assert_int_eq(v.len, 3);
	ck_assert_str_eq(((struct store_load *)v.items[0])->file_key, "orders/a.ndjson");
	store_load_list_free(&v);
	/* A key the pipe does not have is an error, not a silent no-op. */
	err_clear(&e);
	ck_assert_int_eq(fx_refresh(&f, "orders", true, "orders/zz.ndjson", &r, &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	pipe_result_free(&r);
	fx_close(&f);
}

static const char *const TWO_PIPES_PROJECT =
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },"
	"  \"pipes\": ["
	"    { \"name\": \"one\", \"path\": \"orders/\", \"connection\": \"wh\","
	"      \"table\": \"raw_orders\" },"
	"    { \"name\": \"two\", \"path\": \"orders/\", \"connection\": \"wh\","
	"      \"table\": \"raw_orders\" },"
	"    { \"name\": \"solo\", \"path\": \"orders/\", \"connection\": \"wh\","
	"      \"table\": \"raw_solo\" } ] }";

static void force_file(struct fx *f, const char *pipe, const char *key)
{
	struct pipe_result r;
	struct err e = { 0 };
	ck_assert_msg(fx_refresh(f, pipe, true, key, &r, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(r.files_loaded, 1);
	pipe_result_free(&r);
}

/* Rewrite a file's ledger entry as a sluice that kept no _sluice_id
 * ranges wrote it. */
static void drop_ledger_range(struct fx *f, const char *lkey)
{
	const char *params[] = { lkey };
	char *info = NULL;
	struct err e = { 0 };
	ck_assert_int_eq(db_query_value(fx_db(f), "SELECT info FROM _sluice_ledger WHERE "
					"key = $1", params, 1, &info, &e), 1);
	cJSON *o = cJSON_Parse(info);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(o, "first_id"));
	cJSON_DeleteItemFromObject(o, "first_id");
	cJSON_DeleteItemFromObject(o, "last_id");
	char *old = cJSON_PrintUnformatted(o);
	const char *up[] = { old, lkey };
	ck_assert_int_eq(db_exec(fx_db(f), "UPDATE _sluice_ledger SET info = $1 WHERE key = $2",
				 up, 2, NULL, &e), 0);
	cJSON_free(old);
	cJSON_Delete(o);
	free(info);
}

/* A forced reload replaces exactly the rows the file's last load left,
 * found by the _sluice_id range its ledger entry records (a raw table
 * has no index on _sluice_file): not another file's rows, nor another
 * pipe's copy of the same file.  Reloading the newest rows gives ids above
 * every id used before, never the freed ones (append-only streams rely
 * on it).  An entry from before ranges were kept still replaces them. */
static void t_force_range(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, TWO_PIPES_PROJECT);
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", GOOD2);
	struct pipe_result r = fx_refresh_ok(&f, "one");
	pipe_result_free(&r);
	r = fx_refresh_ok(&f, "two");
	pipe_result_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 6);
	ck_assert_int_eq(fx_int(&f, "SELECT max(_sluice_id) FROM raw_orders"), 6);
	/* two's b holds the largest id: its reload takes 7, not 6 again */
	force_file(&f, "two", "orders/b.ndjson");
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 6);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders WHERE _sluice_id = 6"), 0);
	ck_assert_int_eq(fx_int(&f, "SELECT _sluice_id FROM raw_orders WHERE id = 3 AND "
				"_sluice_id > 3"), 7);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders WHERE id = 3"), 2);
	/* one's a: its own two rows replaced, two's copy of a left alone */
	force_file(&f, "one", "orders/a.ndjson");
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 6);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders WHERE _sluice_id <= 2"), 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders WHERE id = 1"), 2);
	ck_assert_int_eq(fx_int(&f, "SELECT min(_sluice_id) FROM raw_orders WHERE id = 1"), 4);
	/* an entry without a range: the rows are found by the file's name */
	r = fx_refresh_ok(&f, "solo");
	pipe_result_free(&r);
	drop_ledger_range(&f, "pipe:solo:orders/b.ndjson");
	force_file(&f, "solo", "orders/b.ndjson");
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_solo"), 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_solo WHERE id = 3"), 1);
	/* and the entry written now has its range again */
	char *info = fx_text(&f, "SELECT info FROM _sluice_ledger WHERE "
			     "key = 'pipe:solo:orders/b.ndjson'");
	ck_assert_msg(strstr(info, "\"first_id\"") && strstr(info, "\"last_id\""), "%s", info);
	free(info);
	fx_close(&f);
}

/* NDJSON orders with ids from..to, the id at line `dup_line` (1-based; 0
 * for none) replaced by `dup_id`.  Caller frees. */
static char *orders_text(int from, int to, int dup_line, int dup_id)
{
	struct buf b = BUF_INIT;
	for (int id = from; id <= to; id++)
		buf_printf(&b, "{\"id\": %d, \"item\": \"i%d\"}\n",
			   id - from + 1 == dup_line ? dup_id : id, id);
	return buf_detach(&b);
}

/* A row the database refuses (here a unique index someone added to the
 * raw table) fails its file, wherever in the file it is and whenever the
 * database says so (PostgreSQL at the end of the COPY, SQLite when the
 * row's batch goes in): nothing of the file is kept, its load history
 * says why, and the refresh goes on with the next file. */
static void t_refused_row(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	char *text = orders_text(1, 200, 0, 0);
	fx_put(&f, "orders/a.ndjson", text);
	free(text);
	struct pipe_result r = fx_refresh_ok(&f, "orders");
	pipe_result_free(&r);
	fx_exec(&f, "CREATE UNIQUE INDEX raw_orders_id ON raw_orders (id)");
	text = orders_text(201, 2200, 10, 5);           /* early in a long file */
	fx_put(&f, "orders/b.ndjson", text);
	free(text);
	text = orders_text(2201, 2400, 200, 2201);      /* its last line */
	fx_put(&f, "orders/c.ndjson", text);
	free(text);
	text = orders_text(2401, 2410, 0, 0);
	fx_put(&f, "orders/d.ndjson", text);
	free(text);
	r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.files_failed, 2);
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(r.rows_loaded, 10);
	pipe_result_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 210);
	const char *keys[] = { "orders/b.ndjson", "orders/c.ndjson" };
	const int64_t parsed[] = { 2000, 200 };
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		struct store_load *l = fx_load_of(&f, "orders", keys[i]);
		ck_assert_int_eq(l->status, LOAD_FAILED);
		ck_assert_int_eq(l->rows_loaded, 0);
		ck_assert_int_eq(l->rows_parsed, parsed[i]);
		ck_assert_msg(l->first_error && strstr(l->first_error, "row ") &&
			      (strstr(l->first_error, "UNIQUE") ||
			       strstr(l->first_error, "duplicate key")),
			      "%s: %s", keys[i], l->first_error ? l->first_error : "(none)");
		store_load_free(l);
	}
	fx_close(&f);
}

/* Pause and resume, with the counts and state an operator sees. */
static void t_pause(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	const struct project_pipe *pipe = project_pipe(f.p, "orders");
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", GOOD2);
	bool changed = false;
	struct err e = { 0 };
	ck_assert_int_eq(pipe_pause(f.store, pipe, "alice@bastion", "fixing the source",
				    &changed, &e), 0);
	ck_assert(changed);
	ck_assert_int_eq(pipe_pause(f.store, pipe, "alice@bastion", NULL, &changed, &e), 0);
	ck_assert(!changed);
	struct pipe_status st;
	ck_assert_int_eq(pipe_status(f.p, pipe, f.store, f.conns, f.lake, &st, &e), 0);
	ck_assert_int_eq(st.state, PIPE_PAUSED);
	ck_assert_ptr_nonnull(strstr(st.state_reason, "alice@bastion"));
	ck_assert_ptr_nonnull(strstr(st.state_reason, "fixing the source"));
	ck_assert_int_eq(st.pending, 2);
	ck_assert_ptr_null(st.last_file);
	pipe_status_free(&st);
	struct pipe_result r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.state, PIPE_PAUSED);
	ck_assert_int_eq(r.files_loaded, 0);
	pipe_result_free(&r);
	ck_assert_int_eq(db_table_exists(fx_db(&f), "raw_orders", &e), 0);
	ck_assert_int_eq(pipe_resume(f.store, pipe, "bob", &changed, &e), 0);
	ck_assert(changed);
	r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.state, PIPE_RUNNING);
	ck_assert_int_eq(r.files_loaded, 2);
	pipe_result_free(&r);
	ck_assert_int_eq(pipe_status(f.p, pipe, f.store, f.conns, f.lake, &st, &e), 0);
	ck_assert_int_eq(st.state, PIPE_RUNNING);
	ck_assert_int_eq(st.pending, 0);
	ck_assert_str_eq(st.last_file, "orders/b.ndjson");
	ck_assert(st.last_loaded > 0);
	ck_assert_int_eq(st.files_loaded, 2);
	ck_assert_ptr_null(st.last_error);
	pipe_status_free(&st);
	fx_put(&f, "orders/c.ndjson", BAD);
	r = fx_refresh_ok(&f, "orders");
	pipe_result_free(&r);
	ck_assert_int_eq(pipe_status(f.p, pipe, f.store, f.conns, f.lake, &st, &e), 0);
	ck_assert_int_eq(st.files_failed, 1);
	ck_assert_msg(st.last_error && str_starts_with(st.last_error, "orders/c.ndjson:2:"),
		      "%s", st.last_error);
	pipe_status_free(&st);
	fx_close(&f);
}

/* STOPPED_MISSING_PATH and STOPPED_MISSING_TABLE, and how each clears. */
static void t_states(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	const struct project_pipe *pipe = project_pipe(f.p, "orders");
	struct pipe_status st;
	struct pipe_result r;
	struct err e = { 0 };
	ck_assert_int_eq(pipe_status(f.p, pipe, f.store, f.conns, f.lake, &st, &e), 0);
	ck_assert_int_eq(st.state, PIPE_STOPPED_MISSING_PATH);
	ck_assert_ptr_nonnull(strstr(st.state_reason, "orders/"));
	pipe_status_free(&st);
	ck_assert_int_eq(fx_refresh(&f, "orders", false, NULL, &r, &e), -1);
	ck_assert_int_eq(r.state, PIPE_STOPPED_MISSING_PATH);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	pipe_result_free(&r);
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", GOOD2);
	r = fx_refresh_ok(&f, "orders");
	pipe_result_free(&r);
	ck_assert_int_eq(pipe_status(f.p, pipe, f.store, f.conns, f.lake, &st, &e), 0);
	ck_assert_int_eq(st.state, PIPE_RUNNING);
	pipe_status_free(&st);
	/* Someone drops the table: the pipe stops instead of starting over. */
	fx_exec(&f, "DROP TABLE raw_orders");
	ck_assert_int_eq(pipe_status(f.p, pipe, f.store, f.conns, f.lake, &st, &e), 0);
	ck_assert_int_eq(st.state, PIPE_STOPPED_MISSING_TABLE);
	ck_assert_ptr_nonnull(strstr(st.state_reason, "raw_orders"));
	pipe_status_free(&st);
	fx_put(&f, "orders/c.ndjson", "{\"id\": 5, \"item\": \"e\"}\n");
	err_clear(&e);
	ck_assert_int_eq(fx_refresh(&f, "orders", false, NULL, &r, &e), -1);
	ck_assert_int_eq(r.state, PIPE_STOPPED_MISSING_TABLE);
	ck_assert_ptr_nonnull(strstr(e.msg, "--force"));
	pipe_result_free(&r);
	/* --force re-creates it and reloads every file, once. */
	err_clear(&e);
	ck_assert_msg(fx_refresh(&f, "orders", true, NULL, &r, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(r.files_loaded, 3);
	pipe_result_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 4);
	ck_assert_int_eq(fx_int(&f, "SELECT count(DISTINCT id) FROM raw_orders"), 4);
	ck_assert_int_eq(pipe_status(f.p, pipe, f.store, f.conns, f.lake, &st, &e), 0);
	ck_assert_int_eq(st.state, PIPE_RUNNING);
	pipe_status_free(&st);
	/* The lake itself gone. */
	char *lake = path_join(f.dir, "lake");
	char *moved = path_join(f.dir, "lake.away");
	ck_assert_int_eq(rename(lake, moved), 0);
	ck_assert_int_eq(pipe_status(f.p, pipe, f.store, f.conns, f.lake, &st, &e), 0);
	ck_assert_int_eq(st.state, PIPE_STOPPED_MISSING_PATH);
	ck_assert_int_eq(st.pending, -1);
	pipe_status_free(&st);
	ck_assert_int_eq(rename(moved, lake), 0);
	free(lake);
	free(moved);
	fx_close(&f);
}

/* Without declared columns the table follows the data: new keys become
 * columns, wider values widen them, and each change is on record. */
static void t_drift(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	fx_put(&f, "orders/1.ndjson", "{\"id\": 1, \"qty\": 2}\n");
	struct pipe_result r = fx_refresh_ok(&f, "orders");
	pipe_result_free(&r);
	fx_put(&f, "orders/2.ndjson", "{\"id\": 2, \"qty\": 2.5, \"note\": \"half\", "
	       "\"tags\": [\"a\"], \"code\": \"007\"}\n");
	r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.rows_loaded, 1);
	pipe_result_free(&r);
	struct err e = { 0 };
	struct db_table *t = db_describe(fx_db(&f), "raw_orders", &e);
	ck_assert_ptr_nonnull(t);
	int qty = -1, note = -1, tags = -1, code = -1;
	for (size_t i = 0; i < t->ncolumns; i++) {
		if (strcmp(t->columns[i].name, "qty") == 0) qty = (int)i;
		if (strcmp(t->columns[i].name, "note") == 0) note = (int)i;
		if (strcmp(t->columns[i].name, "tags") == 0) tags = (int)i;
		if (strcmp(t->columns[i].name, "code") == 0) code = (int)i;
	}
	ck_assert_int_ge(qty, 0);
	ck_assert_int_ge(note, 0);
	ck_assert_int_eq(t->columns[qty].type.type, DT_NUMERIC);
	ck_assert_int_eq(t->columns[tags].type.type, DT_JSON);
	ck_assert_int_eq(t->columns[code].type.type, DT_TEXT);
	db_table_free(t);
	char *v = fx_text(&f, "SELECT CAST(qty AS TEXT) FROM raw_orders WHERE id = 1");
	ck_assert_msg(strcmp(v, "2") == 0 || strcmp(v, "2.0") == 0, "qty %s", v);
	free(v);
	v = fx_text(&f, "SELECT code FROM raw_orders WHERE id = 2");
	ck_assert_str_eq(v, "007");
	free(v);
	struct vec ch = VEC_INIT;
	ck_assert_int_eq(store_schema_change_list(f.store, "wh", "raw_orders", 100, &ch, &e), 0);
	int added = 0, widened = 0;
	for (size_t i = 0; i < ch.len; i++) {
		struct store_schema_change *c = ch.items[i];
		added += c->kind == SCHEMA_ADDED;
		if (c->kind == SCHEMA_WIDENED) {
			widened++;
			ck_assert_str_eq(c->column, "qty");
		}
	}
	ck_assert_int_eq(added, 2 + 3);   /* id, qty; then note, tags, code */
	ck_assert_int_eq(widened, 1);
	store_schema_change_list_free(&ch);
	/* Keys that differ only in case: two columns on PostgreSQL; one on
	 * SQLite, which matches names without regard to case, so the record
	 * is refused rather than one value silently dropped. */
	fx_put(&f, "orders/3.ndjson", "{\"id\": 3, \"Note\": \"big\", \"note\": \"small\"}\n");
	r = fx_refresh_ok(&f, "orders");
	pipe_result_free(&r);
	struct store_load *l = fx_load_of(&f, "orders", "orders/3.ndjson");
	if (strcmp(b->name, "sqlite") == 0) {
		ck_assert_int_eq(l->status, LOAD_FAILED);
		ck_assert_ptr_nonnull(strstr(l->first_error, "name the same column"));
	} else {
		ck_assert_int_eq(l->status, LOAD_LOADED);
		v = fx_text(&f, "SELECT \"Note\" || note FROM raw_orders WHERE id = 3");
		ck_assert_str_eq(v, "bigsmall");
		free(v);
	}
	store_load_free(l);
	fx_close(&f);
}

/* A cancelled refresh commits nothing from the file it was loading. */
static void t_cancel(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, ORDERS_PROJECT);
	fx_put(&f, "orders/a.ndjson", GOOD1);
	atomic_store(&f.cancel, true);
	struct pipe_result r;
	struct err e = { 0 };
	ck_assert_int_eq(fx_refresh(&f, "orders", false, NULL, &r, &e), -1);
	ck_assert_int_eq(e.code, ERR_CANCELLED);
	pipe_result_free(&r);
	ck_assert_int_eq(db_table_exists(fx_db(&f), "raw_orders", &e), 0);
	struct store_load *l = NULL;
	ck_assert_int_eq(store_load_get(f.store, "orders", "orders/a.ndjson", &l, &e), 0);
	atomic_store(&f.cancel, false);
	r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.rows_loaded, 2);
	pipe_result_free(&r);
	fx_close(&f);
}

#endif
