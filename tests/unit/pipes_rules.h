/*
 * pipes_rules.h - which files a refresh tries and what it records, on each
 * backend (test_pipes.c, test_pipes_pg.c): a failed file fixed to the
 * same size, a loaded file changed under its name, two refreshes at once,
 * skip_file_N, skip_file_N%, abort_statement, and an ingest step whose
 * files are rejected (by its run or before it) or whose pipe is paused.
 */
#ifndef SLUICE_PIPES_RULES_H
#define SLUICE_PIPES_RULES_H

#include "pipes_cases.h"

#include <pthread.h>

static const char *const RULES_PROJECT =
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },"
	"  \"notifications\": { \"ops\": { \"slack_webhook_env\": \"OPS_HOOK\","
	"                                \"on\": [\"pipe_file_failed\"] } },"
	"  \"pipes\": ["
	"    { \"name\": \"orders\", \"path\": \"orders/\", \"pattern\": \"*.ndjson\","
	"      \"connection\": \"wh\", \"table\": \"raw_orders\" },"
	"    { \"name\": \"n2\", \"path\": \"n/\", \"connection\": \"wh\","
	"      \"table\": \"raw_n2\", \"on_error\": \"skip_file_2\" },"
	"    { \"name\": \"p25\", \"path\": \"n/\", \"connection\": \"wh\","
	"      \"table\": \"raw_p25\", \"on_error\": \"skip_file_25%\" },"
	"    { \"name\": \"stmt\", \"path\": \"orders/\", \"pattern\": \"*.ndjson\","
	"      \"connection\": \"wh\", \"table\": \"raw_stmt\", \"on_error\": \"abort_statement\" } ],"
	"  \"flows\": [ { \"name\": \"etl\", \"steps\": ["
	"      { \"name\": \"ingest\", \"kind\": \"ingest\", \"pipe\": \"orders\" } ] },"
	"    { \"name\": \"lenient\", \"steps\": ["
	"      { \"name\": \"ingest\", \"kind\": \"ingest\", \"pipe\": \"orders\","
	"        \"on_reject\": \"warn\" } ] },"
	"    { \"name\": \"n2_etl\", \"steps\": ["
	"      { \"name\": \"ingest\", \"kind\": \"ingest\", \"pipe\": \"n2\" } ] },"
	"    { \"name\": \"stmt_etl\", \"steps\": ["
	"      { \"name\": \"ingest\", \"kind\": \"ingest\", \"pipe\": \"stmt\" } ] } ] }";

/* BAD with its bad value made good, byte for byte the same length. */
#define BAD_FIXED "{\"id\": 10, \"item\": \"x\"}\n{\"id\": 11, \"item\": 1}\n{\"id\": 12, \"item\": \"z\"}\n"

/* A failed file fixed to exactly its old size loads on the next refresh:
 * the checksum decides, not the size. */
static void t_fixed_same_size(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, RULES_PROJECT);
	ck_assert_uint_eq(strlen(BAD), strlen(BAD_FIXED));
	fx_put(&f, "orders/b.ndjson", BAD);
	struct pipe_result r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.files_failed, 1);
	pipe_result_free(&r);
	/* unchanged, it is neither tried nor recorded again */
	r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.files_failed, 0);
	ck_assert_int_eq(r.files_skipped, 0);
	pipe_result_free(&r);
	ck_assert_uint_eq(fx_attempts(&f, "orders", "orders/b.ndjson"), 1);
	fx_put(&f, "orders/b.ndjson", BAD_FIXED);
	r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(r.files_skipped, 0);
	ck_assert_int_eq(r.rows_loaded, 3);
	pipe_result_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 3);
	struct store_load *l = fx_load_of(&f, "orders", "orders/b.ndjson");
	ck_assert_int_eq(l->status, LOAD_LOADED);
	char sum[65];
	fx_checksum(&f, "orders/b.ndjson", sum);
	ck_assert_str_eq(l->checksum, sum);
	store_load_free(l);
	fx_close(&f);
}

/* The notifications queued for channel ops, newest first, as one text. */
static char *fx_notifications(struct fx *f)
{
	struct vec v = VEC_INIT;
	struct err e = { 0 };
	ck_assert_msg(store_notify_list(f->store, 0, 100, &v, &e) == 0, "%s", err_text(&e));
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < v.len; i++) {
		const struct store_notification *n = v.items[i];
		ck_assert_str_eq(n->channel, "ops");
		buf_printf(&b, "%s\n", n->text);
	}
	store_notify_list_free(&v);
	return buf_detach(&b);
}

/* A loaded file whose content changes under its name is not reloaded
 * (Snowpipe's rule) but reported, once per new content: in the pipe's
 * status (with the command that reloads it) and as a notification.  The
 * forced reload of that one file takes the new content and clears it. */
static void t_changed_loaded(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, RULES_PROJECT);
	const struct project_pipe *pipe = project_pipe(f.p, "orders");
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/c.ndjson", GOOD2);
	struct pipe_result r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.files_loaded, 2);
	pipe_result_free(&r);
	/* same size, other content */
	fx_put(&f, "orders/a.ndjson", "{\"id\": 7, \"item\": \"q\"}\n{\"id\": 8, \"item\": \"r\"}\n");
	for (int i = 0; i < 2; i++) {
		r = fx_refresh_ok(&f, "orders");
		ck_assert_int_eq(r.files_loaded, 0);
		ck_assert_int_eq(r.files_skipped, 2);
		ck_assert_int_eq(r.files_changed, 1);
		pipe_result_free(&r);
	}
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders WHERE id IN (7, 8)"), 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 3);
	struct pipe_status st;
	struct err e = { 0 };
	ck_assert_int_eq(pipe_status(f.p, pipe, f.store, f.conns, f.lake, &st, &e), 0);
	ck_assert_int_eq(st.changed_files, 1);
	ck_assert_str_eq(st.changed_file, "orders/a.ndjson");
	char *w = pipe_changed_warning(pipe, &st);
	ck_assert_msg(w && strstr(w, "sluice pipe refresh orders --force --file orders/a.ndjson"),
		      "%s", w ? w : "(none)");
	free(w);
	pipe_status_free(&st);
	char *sent = fx_notifications(&f);
	ck_assert_msg(strstr(sent, "orders/a.ndjson changed in the lake") &&
		      strstr(sent, "--force --file orders/a.ndjson"), "%s", sent);
	ck_assert_ptr_null(strstr(strstr(sent, "changed in the lake") + 1,
				  "changed in the lake"));     /* told once */
	free(sent);
	/* The operator reloads it. */
	struct err fe = { 0 };
	ck_assert_msg(fx_refresh(&f, "orders", true, "orders/a.ndjson", &r, &fe) == 0, "%s",
		      err_text(&fe));
	ck_assert_int_eq(r.files_loaded, 1);
	pipe_result_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders WHERE id IN (7, 8)"), 2);
	ck_assert_int_eq(pipe_status(f.p, pipe, f.store, f.conns, f.lake, &st, &e), 0);
	ck_assert_int_eq(st.changed_files, 0);
	ck_assert_ptr_null(pipe_changed_warning(pipe, &st));
	pipe_status_free(&st);
	/* Another size is a change too. */
	fx_put(&f, "orders/c.ndjson", GOOD1);
	r = fx_refresh_ok(&f, "orders");
	ck_assert_int_eq(r.files_changed, 1);
	ck_assert_int_eq(r.rows_loaded, 0);
	pipe_result_free(&r);
	fx_close(&f);
}

/* ---- two refreshes at once ------------------------------------------------------ */

struct racer {
	struct fx *f;
	pthread_barrier_t *start;
	struct pipe_result res;
	int rc;
	struct err e;
};

/* One refresh as another process would make it: its own control store
 * handle and data connections. */
static void *race(void *arg)
{
	struct racer *rc = arg;
	struct err e = { 0 };
	struct store *store = store_open(rc->f->p->control_url, NULL, &e);
	struct step_conns *conns = step_conns_new(rc->f->p, false);
	atomic_bool cancel = false;
	struct pipe_request req = { 0 };
	pthread_barrier_wait(rc->start);
	struct pipe_env env = { rc->f->p, store, conns, rc->f->lake, &cancel };
	rc->rc = store ? pipe_refresh(&env, project_pipe(rc->f->p, "orders"), &req, &rc->res,
				      &rc->e) : -1;
	if (!store)
		rc->e = e;
	step_conns_free(conns);
	store_close(store);
	return NULL;
}

/* Two refreshes of one pipe at once (two processes, or the engine's poll
 * and a command): every row once, every file loaded by one of them, and
 * every file once in the load history (written by whichever got there
 * first: the one that loaded it, or the one that found it in the ledger
 * after waiting for the table). */
static void t_concurrent(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, RULES_PROJECT);
	enum { FILES = 3, ROWS = 20000 };
	for (int i = 0; i < FILES; i++) {
		char *text = orders_text(i * ROWS + 1, (i + 1) * ROWS, 0, 0);
		char *key = xasprintf("orders/%d.ndjson", i);
		fx_put(&f, key, text);
		free(key);
		free(text);
	}
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct racer rc[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		memset(&rc[i], 0, sizeof rc[i]);
		rc[i].f = &f;
		rc[i].start = &start;
		ck_assert_int_eq(pthread_create(&th[i], NULL, race, &rc[i]), 0);
	}
	int loaded = 0;
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(rc[i].rc == 0, "refresh %d: %s", i, err_text(&rc[i].e));
		loaded += rc[i].res.files_loaded;
		pipe_result_free(&rc[i].res);
	}
	pthread_barrier_destroy(&start);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), FILES * ROWS);
	ck_assert_int_eq(fx_int(&f, "SELECT count(DISTINCT id) FROM raw_orders"), FILES * ROWS);
	ck_assert_int_eq(loaded, FILES);
	struct vec v = VEC_INIT;
	struct err e = { 0 };
	ck_assert_int_eq(store_load_list(f.store, "orders", 0, 100, 0, &v, &e), 0);
	ck_assert_uint_eq(v.len, FILES);
	for (size_t i = 0; i < v.len; i++)
		ck_assert_int_eq(((struct store_load *)v.items[i])->status, LOAD_LOADED);
	store_load_list_free(&v);
	/* A forced reload is an attempt of its own. */
	struct pipe_result r;
	ck_assert_msg(fx_refresh(&f, "orders", true, "orders/0.ndjson", &r, &e) == 0, "%s",
		      err_text(&e));
	pipe_result_free(&r);
	ck_assert_uint_eq(fx_attempts(&f, "orders", "orders/0.ndjson"), 2);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), FILES * ROWS);
	fx_close(&f);
}

/* ---- skip_file_N, skip_file_N%, abort_statement --------------------------------- */

/* NDJSON with `good` good records and `bad` bad ones, the bad ones first. */
static char *mixed_text(int first_id, int good, int bad)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < bad; i++)
		buf_printf(&b, "{\"id\": %d, \"item\": oops}\n", first_id + i);
	for (int i = 0; i < good; i++)
		buf_printf(&b, "{\"id\": %d, \"item\": \"ok\"}\n", first_id + bad + i);
	return buf_detach(&b);
}

/* skip_file_2 keeps a file with one bad record (its good ones, as
 * PARTIALLY_LOADED) and skips one with two; skip_file_25% skips a file
 * whose bad records are 25% of it or more. */
static void t_skip_file_n(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, RULES_PROJECT);
	const struct { const char *key; int good, bad; } files[] = {
		{ "n/1.ndjson", 4, 1 },         /* 20% */
		{ "n/2.ndjson", 2, 2 },         /* 50% */
		{ "n/3.ndjson", 3, 1 },         /* 25% */
	};
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		char *text = mixed_text((int)i * 100, files[i].good, files[i].bad);
		fx_put(&f, files[i].key, text);
		free(text);
	}
	const struct { const char *pipe; enum load_status want[3]; int64_t rows; } pipes[] = {
		{ "n2", { LOAD_PARTIALLY_LOADED, LOAD_FAILED, LOAD_PARTIALLY_LOADED }, 4 + 3 },
		{ "p25", { LOAD_PARTIALLY_LOADED, LOAD_FAILED, LOAD_FAILED }, 4 },
	};
	for (size_t p = 0; p < ARRAY_LEN(pipes); p++) {
		struct pipe_result r = fx_refresh_ok(&f, pipes[p].pipe);
		ck_assert_int_eq(r.rows_loaded, pipes[p].rows);
		pipe_result_free(&r);
		for (size_t i = 0; i < ARRAY_LEN(files); i++) {
			struct store_load *l = fx_load_of(&f, pipes[p].pipe, files[i].key);
			ck_assert_msg(l->status == pipes[p].want[i], "%s %s: %s", pipes[p].pipe,
				      files[i].key, load_status_name(l->status));
			ck_assert_int_eq(l->error_count, files[i].bad);
			ck_assert_int_eq(l->rows_loaded, l->status == LOAD_FAILED ? 0 :
					 files[i].good);
			ck_assert_int_eq(l->first_error_line, 1);
			store_load_free(l);
		}
		char *sql = xasprintf("SELECT count(*) FROM raw_%s", pipes[p].pipe);
		ck_assert_int_eq(fx_int(&f, sql), pipes[p].rows);
		free(sql);
	}
	fx_close(&f);
}

/* abort_statement: the refresh is one transaction, so one bad file keeps
 * every file of that refresh out; the bad file alone is on record and the
 * pipe stops.  Resumed, the others load (the unchanged bad file is
 * skipped).  Without a bad file, every file commits together. */
static void t_abort_statement(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, RULES_PROJECT);
	const struct project_pipe *pipe = project_pipe(f.p, "stmt");
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", BAD);
	fx_put(&f, "orders/c.ndjson", GOOD2);
	struct pipe_result r;
	struct err e = { 0 };
	ck_assert_int_eq(fx_refresh(&f, "stmt", false, NULL, &r, &e), -1);
	ck_assert_int_eq(e.code, ERR_PARSE);
	ck_assert_msg(str_starts_with(e.where, "orders/b.ndjson:2:"), "%s", e.where);
	ck_assert_msg(strstr(e.msg, "nothing of this refresh was loaded"), "%s", e.msg);
	ck_assert_int_eq(r.files_loaded, 0);
	ck_assert_int_eq(r.files_failed, 1);
	ck_assert_int_eq(r.rows_loaded, 0);
	ck_assert_int_eq(r.state, PIPE_STOPPED_ON_ERROR);
	pipe_result_free(&r);
	ck_assert_int_eq(db_table_exists(fx_db(&f), "raw_stmt", &e), 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM _sluice_ledger WHERE key LIKE "
				"'pipe:stmt:%'"), 0);
	ck_assert_uint_eq(fx_attempts(&f, "stmt", "orders/a.ndjson"), 0);
	ck_assert_uint_eq(fx_attempts(&f, "stmt", "orders/b.ndjson"), 1);
	ck_assert_int_eq(fx_state(&f, "stmt", NULL), PIPE_STOPPED_ON_ERROR);
	bool changed;
	ck_assert_int_eq(pipe_resume(f.store, pipe, "bob", &changed, &e), 0);
	r = fx_refresh_ok(&f, "stmt");
	ck_assert_int_eq(r.files_loaded, 2);
	ck_assert_int_eq(r.rows_loaded, 3);
	pipe_result_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_stmt"), 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM _sluice_ledger WHERE key LIKE "
				"'pipe:stmt:%'"), 2);
	fx_put(&f, "orders/d.ndjson", GOOD1);
	fx_put(&f, "orders/e.ndjson", GOOD2);
	r = fx_refresh_ok(&f, "stmt");
	ck_assert_int_eq(r.files_loaded, 2);
	pipe_result_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_stmt"), 6);
	fx_close(&f);
}

/* ---- ingest and rejected files ---------------------------------------------------- */

/* A step that ingests through a pipe fails when the pipe rejects a file,
 * naming it and its first error (the good files are loaded), and a retried
 * attempt of the run, which does not try the unchanged file again, fails
 * too.  on_reject: warn completes, with the rejection in the run's
 * validation results as a warning. */
static void t_ingest_rejects(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, RULES_PROJECT);
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", BAD);
	int64_t run = fx_new_run(&f, "etl");
	for (int attempt = 1; attempt <= 2; attempt++) {
		struct run r;
		run_init(&r, &f, "etl", run, NULL);
		r.ctx.attempt = attempt;
		struct err e = { 0 };
		ck_assert_int_eq(run_step(&r, "ingest", &e), -1);
		ck_assert_msg(strstr(e.msg, "orders/b.ndjson (LOAD_FAILED)") &&
			      strstr(e.msg, "orders/b.ndjson:2:20") &&
			      strstr(e.msg, "on_reject"), "attempt %d: %s", attempt, e.msg);
		run_free(&r);
	}
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 2);
	/* The file fixed, a new run loads it and completes. */
	fx_put(&f, "orders/b.ndjson", BAD_FIXED);
	struct run r;
	run_init(&r, &f, "etl", fx_new_run(&f, "etl"), NULL);
	run_step_ok(&r, "ingest");
	run_free(&r);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 5);
	/* warn: completes, and says so where the run is looked at */
	fx_put(&f, "orders/c.ndjson", "{\"id\": 30\n");
	int64_t lenient = fx_new_run(&f, "lenient");
	run_init(&r, &f, "lenient", lenient, NULL);
	run_step_ok(&r, "ingest");
	run_free(&r);
	struct vec v = VEC_INIT;
	struct err e = { 0 };
	ck_assert_int_eq(store_validation_list(f.store, lenient, "ingest", &v, &e), 0);
	ck_assert_uint_eq(v.len, 1);
	const struct store_validation *val = v.items[0];
	ck_assert_int_eq(val->severity, SEVERITY_WARN);
	ck_assert(!val->passed);
	ck_assert_int_eq(val->violations, 1);
	ck_assert_msg(strstr(val->sample, "orders/c.ndjson (LOAD_FAILED)"), "%s", val->sample);
	store_validation_list_free(&v);
	fx_close(&f);
}

/* Run one ingest step of `flow` in a new run: its result, its error in e. */
static int ingest_in_new_run(struct fx *f, const char *flow, int64_t *run_id,
			     int64_t *rows_out, struct err *e)
{
	struct run r;
	int64_t id = fx_new_run(f, flow);
	if (run_id)
		*run_id = id;
	run_init(&r, f, flow, id, NULL);
	int rc = run_step(&r, "ingest", e);
	if (rows_out)
		*rows_out = r.ctx.rows_out;
	run_free(&r);
	return rc;
}

static void lake_remove(struct fx *f, const char *key)
{
	struct err e = { 0 };
	ck_assert_msg(lake_delete(f->lake, key, &e) == 0, "%s: %s", key, err_text(&e));
}

/* Files rejected before the run (by the engine's poll, `pipe refresh` or
 * an earlier run) fail an ingest step too, although its refresh does not
 * try them again: a run must not be green on data it did not load.  The
 * error names who rejected them and how to clear them; removed from the
 * lake, or fixed and reloaded, they no longer count. */
static void t_ingest_earlier_rejects(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, RULES_PROJECT);
	fx_put(&f, "orders/a.ndjson", GOOD1);
	fx_put(&f, "orders/b.ndjson", BAD);
	struct pipe_result pr = fx_refresh_ok(&f, "orders");   /* the engine's poll */
	ck_assert_int_eq(pr.files_failed, 1);
	pipe_result_free(&pr);
	fx_put(&f, "orders/c.ndjson", GOOD2);
	struct err e = { 0 };
	int64_t rows = 0, run = 0;
	ck_assert_int_eq(ingest_in_new_run(&f, "etl", &run, &rows, &e), -1);
	ck_assert_msg(strstr(e.msg, "orders/b.ndjson (LOAD_FAILED) by a refresh outside any "
			     "run") && strstr(e.msg, "orders/b.ndjson:2:20") &&
		      strstr(e.msg, "'sluice pipe refresh orders --force --file KEY'") &&
		      strstr(e.msg, "remove it from the lake"), "%s", e.msg);
	ck_assert_int_eq(rows, 1);              /* c, loaded all the same */
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 3);
	/* on_reject: warn accepts it, and says so */
	int64_t lenient = 0;
	ck_assert_int_eq(ingest_in_new_run(&f, "lenient", &lenient, NULL, &e), 0);
	struct vec v = VEC_INIT;
	ck_assert_int_eq(store_validation_list(f.store, lenient, "ingest", &v, &e), 0);
	ck_assert_uint_eq(v.len, 1);
	const struct store_validation *val = v.items[0];
	ck_assert_int_eq(val->severity, SEVERITY_WARN);
	ck_assert_msg(strstr(val->sample, "orders/b.ndjson (LOAD_FAILED)"), "%s", val->sample);
	store_validation_list_free(&v);
	/* A file one run rejected fails the next run too, naming the run. */
	fx_put(&f, "orders/d.ndjson", "{\"id\": 40\n");
	ck_assert_int_eq(ingest_in_new_run(&f, "etl", &run, NULL, &e), -1);
	ck_assert_int_eq(ingest_in_new_run(&f, "etl", NULL, &rows, &e), -1);
	char *want = xasprintf("orders/d.ndjson (LOAD_FAILED) in run %lld", (long long)run);
	ck_assert_msg(strstr(e.msg, "pipe orders rejected 2 files") && strstr(e.msg, want),
		      "%s", e.msg);
	free(want);
	ck_assert_int_eq(rows, 0);
	/* Removed from the lake, they no longer count. */
	lake_remove(&f, "orders/b.ndjson");
	lake_remove(&f, "orders/d.ndjson");
	ck_assert_msg(ingest_in_new_run(&f, "etl", NULL, NULL, &e) == 0, "%s", e.msg);
	/* A PARTIALLY_LOADED file (records of it left out) fails a later run,
	 * until the fixed file is reloaded. */
	char *text = mixed_text(0, 3, 1);
	fx_put(&f, "n/1.ndjson", text);
	free(text);
	pr = fx_refresh_ok(&f, "n2");
	ck_assert_int_eq(pr.files_partial, 1);
	pipe_result_free(&pr);
	ck_assert_int_eq(ingest_in_new_run(&f, "n2_etl", NULL, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "n/1.ndjson (PARTIALLY_LOADED) by a refresh outside any "
			     "run"), "%s", e.msg);
	text = mixed_text(0, 4, 0);
	fx_put(&f, "n/1.ndjson", text);
	free(text);
	force_file(&f, "n2", "n/1.ndjson");
	ck_assert_msg(ingest_in_new_run(&f, "n2_etl", NULL, NULL, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_n2"), 4);
	fx_close(&f);
}

/* An ingest step on a paused pipe loads nothing, so it fails, saying who
 * paused the pipe and why, and how to resume it; resumed, a run loads.  A
 * stopped pipe (its table dropped, or on_error abort met a bad file) fails
 * the step too, saying why. */
static void t_ingest_paused(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, RULES_PROJECT);
	const struct project_pipe *pipe = project_pipe(f.p, "orders");
	fx_put(&f, "orders/a.ndjson", GOOD1);
	struct err e = { 0 };
	ck_assert_int_eq(pipe_pause(f.store, pipe, "alice@bastion", "fixing the source", NULL,
				    &e), 0);
	ck_assert_int_eq(ingest_in_new_run(&f, "etl", NULL, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "pipe orders is PAUSED") &&
		      strstr(e.msg, "alice@bastion: fixing the source") &&
		      strstr(e.msg, "'sluice pipe resume orders'"), "%s", e.msg);
	ck_assert_int_eq(db_table_exists(fx_db(&f), "raw_orders", &e), 0);
	ck_assert_int_eq(pipe_resume(f.store, pipe, "bob", NULL, &e), 0);
	ck_assert_msg(ingest_in_new_run(&f, "etl", NULL, NULL, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_orders"), 2);
	fx_exec(&f, "DROP TABLE raw_orders");
	ck_assert_int_eq(ingest_in_new_run(&f, "etl", NULL, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "pipe orders is stopped: table raw_orders on connection wh "
			     "is missing"), "%s", e.msg);
	fx_put(&f, "orders/b.ndjson", BAD);
	ck_assert_int_eq(ingest_in_new_run(&f, "stmt_etl", NULL, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "pipe stmt stopped (on_error abort_statement)"), "%s", e.msg);
	ck_assert_int_eq(ingest_in_new_run(&f, "stmt_etl", NULL, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "pipe stmt is STOPPED_ON_ERROR") &&
		      strstr(e.msg, "'pipe resume stmt'"), "%s", e.msg);
	fx_close(&f);
}

#endif
