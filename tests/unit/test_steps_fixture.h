/*
 * test_steps_fixture.h - what the steps tests share: a project written to
 * a temporary directory and loaded by the real loader, a control store
 * beside it, the worker's connections, the lake, and a way to run one
 * step of a flow as the engine would (a run in the store, a step context,
 * the flow's parameters with their defaults), plus small query helpers
 * for asserting exact table contents.
 */
#ifndef SLUICE_TEST_STEPS_FIXTURE_H
#define SLUICE_TEST_STEPS_FIXTURE_H

#include "testutil.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <time.h>

#include "db/db.h"
#include "lake/lake.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"

struct fx {
	char *dir;
	struct project *p;
	struct store *store;
	struct step_conns *conns;
	struct lake *lake;
	atomic_bool cancel;
	usec_t run_start;          /* the next run's start */
	bool backfill;
};

/* The store's clock follows the runs' start times, as it would in life
 * (a run's start is when the store saw it start). */
static usec_t fx_now;
static inline usec_t fx_clock(void)
{
	return fx_now;
}

struct step_result {
	int rc;
	struct err e;
	int64_t rows_in, rows_out;
	bool skipped;
	char summary[512];
};

/* Write the project (every "@DIR@" replaced by the directory) and the
 * files beside it (name, content, ..., NULL), load it, check it (loader
 * and steps_validate) and open what a worker has. */
static inline void fx_open_files(struct fx *fx, const char *json, const char *const *files)
{
	memset(fx, 0, sizeof *fx);
	fx->dir = test_mkdtemp();
	for (size_t i = 0; files && files[i]; i += 2)
		test_write_file(fx->dir, files[i], files[i + 1]);
	struct buf b = BUF_INIT;
	for (const char *p = json; *p;) {
		if (strncmp(p, "@DIR@", 5) == 0) {
			buf_puts(&b, fx->dir);
			p += 5;
		} else {
			buf_putc(&b, *p++);
		}
	}
	test_write_file(fx->dir, "sluice.json", buf_str(&b));
	buf_free(&b);
	char *lakedir = path_join(fx->dir, "lake");
	mkdir_p(lakedir, 0755, NULL);
	free(lakedir);
	char *file = path_join(fx->dir, "sluice.json");
	struct diags d;
	struct err e;
	diags_init(&d);
	fx->p = project_load(file, NULL, &d, &e);
	ck_assert_msg(fx->p != NULL, "project_load: %s", err_text(&e));
	steps_validate(fx->p, &d);
	for (size_t i = 0; i < d.items.len; i++) {
		char *line = diag_format(d.items.items[i]);
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	ck_assert_msg(d.errors == 0, "the test project has %zu errors", d.errors);
	diags_free(&d);
	free(file);
	char *url = xasprintf("sqlite:%s/control.db", fx->dir);
	fx->store = store_open(url, NULL, &e);
	ck_assert_msg(fx->store != NULL, "store_open: %s", err_text(&e));
	free(url);
	fx->conns = step_conns_new(fx->p, false);
	fx->lake = steps_open_lake(fx->p, &e);
	ck_assert_msg(fx->lake != NULL, "lake: %s", err_text(&e));
	atomic_init(&fx->cancel, false);
	time_parse_iso("2026-03-01T10:00:00Z", &fx->run_start);
	fx_now = fx->run_start;
	clock_set_source(fx_clock);
}

static inline void fx_open(struct fx *fx, const char *json)
{
	fx_open_files(fx, json, NULL);
}

static inline void fx_close(struct fx *fx)
{
	step_conns_free(fx->conns);
	lake_close(fx->lake);
	store_close(fx->store);
	project_free(fx->p);
	test_rmdir(fx->dir);
	memset(fx, 0, sizeof *fx);
	clock_set_source(NULL);
}

/* A run of `flow`, RUNNING, as the engine would have it. */
static inline int64_t fx_run(struct fx *fx, const char *flow)
{
	struct err e;
	struct store_run_spec spec = { .flow = flow, .state = RUN_PENDING };
	int64_t id = 0;
	fx_now = fx->run_start;
	ck_assert_msg(store_run_create(fx->store, &spec, &id, &e) == 0, "run: %s", err_text(&e));
	ck_assert_msg(store_run_transition(fx->store, id, RUN_RUNNING, "test", NULL, &e) == 0,
		      "running: %s", err_text(&e));
	return id;
}

static inline void fx_finish(struct fx *fx, int64_t run, enum run_state st)
{
	struct err e;
	ck_assert_msg(store_run_transition(fx->store, run, st, "test", NULL, &e) == 0,
		      "finish: %s", err_text(&e));
}

/* Run step `step` of `flow` in run `run`; `kv` overrides parameters
 * ("name", "value", ..., NULL). */
static inline struct step_result fx_step_in(struct fx *fx, int64_t run,
					    struct run_shared *shared, const char *flow,
					    const char *step, const char *const *kv)
{
	struct step_result r;
	memset(&r, 0, sizeof r);
	const struct project_flow *f = project_flow(fx->p, flow);
	ck_assert_msg(f != NULL, "no flow %s", flow);
	const struct project_step *s = project_step(f, step);
	ck_assert_msg(s != NULL, "no step %s", step);
	struct project_kv *params = xcalloc(f->nparams + 1, sizeof *params);
	for (size_t i = 0; i < f->nparams; i++) {
		params[i].key = f->params[i].name;
		params[i].value = f->params[i].default_value;
		for (size_t k = 0; kv && kv[k]; k += 2)
			if (strcmp(kv[k], f->params[i].name) == 0)
				params[i].value = (char *)kv[k + 1];
	}
	struct step_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.project = fx->p;
	ctx.flow = f;
	ctx.step = s;
	ctx.run_id = run;
	ctx.attempt = 1;
	ctx.run_start = fx->run_start;
	ctx.params = params;
	ctx.nparams = f->nparams;
	ctx.backfill = fx->backfill;
	ctx.store = fx->store;
	ctx.conns = fx->conns;
	ctx.lake = fx->lake;
	ctx.shared = shared;
	ctx.cancel = &fx->cancel;
	err_clear(&r.e);
	r.rc = steps_run(&ctx, &r.e);
	r.rows_in = ctx.rows_in;
	r.rows_out = ctx.rows_out;
	r.skipped = ctx.skipped;
	snprintf(r.summary, sizeof r.summary, "%s", ctx.summary ? ctx.summary : "");
	free(ctx.summary);
	free(params);
	return r;
}

static inline struct step_result fx_step(struct fx *fx, int64_t run, const char *flow,
					 const char *step, const char *const *kv)
{
	struct run_shared *rs = run_shared_new();
	struct step_result r = fx_step_in(fx, run, rs, flow, step, kv);
	run_shared_free(rs);
	return r;
}

/* A new run of `flow` that runs `step` and completes. */
static inline struct step_result fx_run_step(struct fx *fx, const char *flow,
					     const char *step)
{
	int64_t run = fx_run(fx, flow);
	struct step_result r = fx_step(fx, run, flow, step, NULL);
	ck_assert_msg(r.rc == 0, "%s: %s", step, err_text(&r.e));
	fx_finish(fx, run, RUN_COMPLETED);
	return r;
}

/* The store holds n schema changes of conn's table (drift loads record them). */
static inline void ck_schema_changes(struct fx *fx, const char *conn, const char *table,
				     size_t n)
{
	struct vec v = VEC_INIT;
	struct err e;
	ck_assert_msg(store_schema_change_list(fx->store, conn, table, 10, &v, &e) == 0, "%s",
		      err_text(&e));
	ck_assert_uint_eq(v.len, n);
	store_schema_change_list_free(&v);
}

/* Cancel what fx is running the way the engine does, for test_later to
 * call from another thread: the flag, then interrupt the statement. */
static inline void fx_cancel(void *arg)
{
	struct fx *fx = arg;
	atomic_store(&fx->cancel, true);
	step_conns_cancel(fx->conns);
}

/* Run a step that fx_cancel stops after delay_ms: it must end cancelled.
 * Returns how long it ran.  The connections the cancel is to reach must
 * be open before (fx_db), as a worker's are. */
static inline usec_t fx_step_cancelled(struct fx *fx, int64_t run, const char *flow,
				       const char *step, int delay_ms)
{
	struct test_later cancel;
	test_later_start(&cancel, delay_ms, fx_cancel, fx);
	usec_t t0 = clock_monotonic_us();
	struct step_result r = fx_step(fx, run, flow, step, NULL);
	usec_t took = clock_monotonic_us() - t0;
	test_later_join(&cancel);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_msg(r.e.code == ERR_CANCELLED, "%s: %s", err_code_name(r.e.code),
		      err_text(&r.e));
	atomic_store(&fx->cancel, false);
	return took;
}

#define ck_step_ok(expr)                                                        \
	do {                                                                    \
		struct step_result r_ = (expr);                                 \
		ck_assert_msg(r_.rc == 0, "step failed: %s", err_text(&r_.e));  \
	} while (0)

static inline struct db *fx_db(struct fx *fx, const char *conn)
{
	struct err e;
	struct db *db = step_conns_get(fx->conns, conn, &e);
	ck_assert_msg(db != NULL, "%s: %s", conn, err_text(&e));
	return db;
}

static inline void fx_exec(struct fx *fx, const char *conn, const char *sql)
{
	struct err e;
	ck_assert_msg(db_exec_script(fx_db(fx, conn), sql, &e) == 0, "%s: %s", sql,
		      err_text(&e));
}

/* Every row of a query as "a|b|c" lines ("NULL" for SQL NULL).  Caller frees. */
static inline char *fx_rows(struct fx *fx, const char *conn, const char *sql)
{
	struct err e;
	struct db_cursor *c = db_query(fx_db(fx, conn), sql, NULL, 0, &e);
	ck_assert_msg(c != NULL, "%s: %s", sql, err_text(&e));
	struct buf b = BUF_INIT;
	int rc;
	while ((rc = db_cursor_next(c, &e)) == 1) {
		for (int i = 0; i < db_cursor_ncols(c); i++) {
			const char *v = db_cursor_text(c, i);
			buf_printf(&b, "%s%s", i ? "|" : "", v ? v : "NULL");
		}
		buf_putc(&b, '\n');
	}
	ck_assert_msg(rc == 0, "%s: %s", sql, err_text(&e));
	db_cursor_close(c);
	return b.data ? buf_detach(&b) : xstrdup("");
}

#define ck_rows(fx, conn, sql, expected)                                        \
	do {                                                                    \
		char *got_ = fx_rows((fx), (conn), (sql));                      \
		ck_assert_msg(strcmp(got_, (expected)) == 0,                    \
			      "%s\n--- got ---\n%s--- expected ---\n%s", (sql), \
			      got_, (expected));                                \
		free(got_);                                                     \
	} while (0)

static inline int64_t fx_count(struct fx *fx, const char *conn, const char *sql)
{
	struct err e;
	int64_t n = -1;
	ck_assert_msg(db_query_int(fx_db(fx, conn), sql, NULL, 0, &n, &e) >= 0, "%s: %s",
		      sql, err_text(&e));
	return n;
}

/* Every key under prefix in the lake, one a line. */
static inline char *fx_lake_keys(struct fx *fx, const char *prefix)
{
	struct lake_listing l;
	struct err e;
	memset(&l, 0, sizeof l);
	ck_assert_msg(lake_list(fx->lake, prefix, &l, &e) == 0, "list: %s", err_text(&e));
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < l.len; i++)
		buf_printf(&b, "%s\n", l.entries[i].key);
	lake_listing_free(&l);
	return b.data ? buf_detach(&b) : xstrdup("");
}

static inline char *fx_lake_read(struct fx *fx, const char *key)
{
	char *path = xasprintf("%s/lake/%s", fx->dir, key);
	struct err e;
	char *text = file_read_all(path, NULL, &e);
	ck_assert_msg(text != NULL, "%s: %s", key, err_text(&e));
	free(path);
	return text;
}

/* The "id" of every record in every NDJSON file under prefix, ascending,
 * space-separated: a row extracted twice shows twice, a missed one not. */
static inline int fx_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static inline char *fx_lake_ids(struct fx *fx, const char *prefix)
{
	struct lake_listing l;
	struct err e;
	memset(&l, 0, sizeof l);
	ck_assert_msg(lake_list(fx->lake, prefix, &l, &e) == 0, "list: %s", err_text(&e));
	int64_t ids[256];
	size_t n = 0;
	for (size_t i = 0; i < l.len; i++) {
		char *text = fx_lake_read(fx, l.entries[i].key);
		char *save = NULL;
		for (char *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			cJSON *rec = cJSON_Parse(line);
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
			ck_assert_msg(cJSON_IsNumber(id) && n < ARRAY_LEN(ids), "%s", line);
			ids[n++] = (int64_t)id->valuedouble;
			cJSON_Delete(rec);
		}
		free(text);
	}
	lake_listing_free(&l);
	qsort(ids, n, sizeof ids[0], fx_cmp_i64);
	struct buf b = BUF_INIT;
	buf_puts(&b, "");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%lld", i ? " " : "", (long long)ids[i]);
	return buf_detach(&b);
}

#define ck_lake_ids(fx, prefix, expected)                                       \
	do {                                                                    \
		char *got_ = fx_lake_ids((fx), (prefix));                       \
		ck_assert_msg(strcmp(got_, (expected)) == 0, "ids under %s: %s, "  \
			      "expected %s", (prefix), got_, (expected));       \
		free(got_);                                                     \
	} while (0)

/* The wall clock, not the fixture's: for sources whose own clock writes
 * the rows (a column default). */
static inline usec_t fx_real_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

#endif
