/*
 * engine_testutil.h - fixtures shared by the engine's Check programs: a
 * real project written to a temporary directory and loaded by the project
 * loader, its control store, an engine (workers = -1: the test drives it
 * with engine_work_once and engine_scheduler_tick), a fake clock, and
 * small helpers to read SQLite files and run records.
 */
#ifndef SLUICE_ENGINE_TESTUTIL_H
#define SLUICE_ENGINE_TESTUTIL_H

#include <stdarg.h>
#include <sys/wait.h>

#include "db/db.h"
#include "engine/engine.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"

static struct err E;
#define OK(call) ck_assert_msg((call) == 0, "%s: %s", #call, E.msg)

/* 2026-03-02 12:00:00 UTC: on a minute, an hour and a day. */
#define T0 (INT64_C(1772452800) * USEC_PER_SEC)

static usec_t fake_now;
static usec_t fake_clock(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}
static inline void fake_clock_set(usec_t t)
{
	__atomic_store_n(&fake_now, t, __ATOMIC_SEQ_CST);
	clock_set_source(fake_clock);
}
static inline void fake_clock_off(void)
{
	clock_set_source(NULL);
}

struct fixture {
	char *dir;
	char *url;
	struct project *p;
	struct store *store;
	struct engine *eng;
	char buf[4096];
};

static inline struct project *fx_load(const char *dir, const char *json)
{
	test_write_file(dir, "sluice.json", json);
	char *file = path_join(dir, "sluice.json");
	struct diags d;
	diags_init(&d);
	struct project *p = project_load(file, NULL, &d, &E);
	ck_assert_msg(p != NULL, "project: %s", E.msg);
	if (d.errors == 0)
		steps_validate(p, &d);
	for (size_t i = 0; i < d.items.len; i++) {
		char *line = diag_format(d.items.items[i]);
		if (((struct diag *)d.items.items[i])->severity == DIAG_ERROR)
			fprintf(stderr, "%s\n", line);
		free(line);
	}
	ck_assert_msg(d.errors == 0, "the test project has errors");
	diags_free(&d);
	free(file);
	return p;
}

static inline struct engine *fx_engine(struct fixture *fx)
{
	struct engine_options opt = {
		.store_url = fx->url, .workers = -1, .no_scheduler = true,
		.no_notifier = true, .no_log_sink = true,
	};
	struct engine *eng = engine_new(fx->p, &opt, &E);
	ck_assert_msg(eng != NULL, "engine: %s", E.msg);
	return eng;
}

/* `extra` files: NULL-terminated name, text pairs.  The control store is
 * `control_url`, or SQLite in the project directory when NULL. */
static inline struct fixture *fx_open_at(const char *json, const char *const *extra,
					 const char *control_url)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	fx->dir = test_mkdtemp();
	for (size_t i = 0; extra && extra[i]; i += 2)
		test_write_file(fx->dir, extra[i], extra[i + 1]);
	fx->p = fx_load(fx->dir, json);
	fx->url = control_url ? xstrdup(control_url)
			      : xasprintf("sqlite:%s/control.db", fx->dir);
	fx->store = store_open(fx->url, NULL, &E);
	ck_assert_msg(fx->store != NULL, "store: %s", E.msg);
	fx->eng = fx_engine(fx);
	return fx;
}

static inline struct fixture *fx_open(const char *json, const char *const *extra)
{
	return fx_open_at(json, extra, NULL);
}

static inline void fx_close_engine(struct fixture *fx)
{
	engine_free(fx->eng);
	fx->eng = NULL;
}

static inline void fx_close(struct fixture *fx)
{
	engine_free(fx->eng);
	store_close(fx->store);
	project_free(fx->p);
	free(fx->url);
	test_rmdir(fx->dir);
	free(fx);
}

/* Only the supervisor thread: timeouts and cancellation. */
static inline void fx_start_supervisor(struct fixture *fx)
{
	OK(engine_start(fx->eng, &E));
}

/* Submit a run of `flow` with KEY, VALUE ... NULL parameters. */
static inline int64_t fx_submit(struct fixture *fx, const char *flow, ...)
{
	struct project_kv kv[8];
	size_t n = 0;
	va_list ap;
	va_start(ap, flow);
	const char *k;
	while ((k = va_arg(ap, const char *)) && n < 8) {
		kv[n].key = (char *)k;
		kv[n].value = va_arg(ap, char *);
		n++;
	}
	va_end(ap);
	struct engine_run_request req = { .flow = flow, .params = kv, .nparams = n,
					  .trigger = TRIGGER_MANUAL };
	int64_t id = 0;
	OK(engine_submit(fx->store, fx->p, &req, &id, &E));
	return id;
}

static inline int fx_work(struct fixture *fx)
{
	err_clear(&E);
	int rc = engine_work_once(fx->eng, &E);
	ck_assert_msg(rc >= 0, "work: %s", E.msg);
	return rc;
}

static inline struct db *fx_db(struct fixture *fx, const char *file)
{
	char *url = xasprintf("sqlite:%s/%s", fx->dir, file);
	struct db *db = db_open(url, NULL, &E);
	free(url);
	ck_assert_msg(db != NULL, "%s", E.msg);
	return db;
}

/* The first column of the first row, as text ("NULL" for none). */
static inline const char *fx_sql(struct fixture *fx, const char *file, const char *sql)
{
	struct db *db = fx_db(fx, file);
	char *v = NULL;
	ck_assert_msg(db_query_value(db, sql, NULL, 0, &v, &E) >= 0, "%s: %s", sql, E.msg);
	snprintf(fx->buf, sizeof fx->buf, "%s", v ? v : "NULL");
	free(v);
	db_close(db);
	return fx->buf;
}

static inline void fx_exec(struct fixture *fx, const char *file, const char *sql)
{
	struct db *db = fx_db(fx, file);
	ck_assert_msg(db_exec_script(db, sql, &E) == 0, "%s: %s", sql, E.msg);
	db_close(db);
}

static inline void fx_assert_state(struct fixture *fx, int64_t id, const char *state)
{
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_msg(r != NULL, "%s", E.msg);
	ck_assert_msg(strcmp(run_state_name(r->state), state) == 0,
		      "run %lld is %s (%s), expected %s", (long long)id,
		      run_state_name(r->state), r->error ? r->error : "", state);
	store_run_free(r);
}

/* "PENDING RUNNING COMPLETED": the `to` of every transition, in order. */
static inline void fx_assert_transitions(struct fixture *fx, int64_t id, const char *want)
{
	struct vec v = VEC_INIT;
	OK(store_run_transitions(fx->store, id, &v, &E));
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < v.len; i++) {
		const struct store_transition *t = v.items[i];
		buf_printf(&b, "%s%s", i ? " " : "", run_state_name(t->to));
	}
	ck_assert_msg(strcmp(buf_str(&b), want) == 0, "run %lld: transitions '%s', "
		      "expected '%s'", (long long)id, buf_str(&b), want);
	buf_free(&b);
	store_transition_list_free(&v);
}

/* The reason of the run's last transition to `to` ("" when none). */
static inline const char *fx_reason(struct fixture *fx, int64_t id, enum run_state to)
{
	struct vec v = VEC_INIT;
	OK(store_run_transitions(fx->store, id, &v, &E));
	fx->buf[0] = '\0';
	for (size_t i = 0; i < v.len; i++) {
		const struct store_transition *t = v.items[i];
		if (t->to == to)
			snprintf(fx->buf, sizeof fx->buf, "%s", t->reason ? t->reason : "");
	}
	store_transition_list_free(&v);
	return fx->buf;
}

static inline const char *fx_step_state(struct fixture *fx, int64_t id, const char *step)
{
	struct store_step *st = NULL;
	int rc = store_step_get(fx->store, id, step, &st, &E);
	ck_assert_msg(rc >= 0, "%s", E.msg);
	snprintf(fx->buf, sizeof fx->buf, "%s", rc == 1 ? step_state_name(st->state) : "none");
	store_step_free(st);
	return fx->buf;
}

static inline bool fx_wait_state(struct fixture *fx, int64_t id, const char *state, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		struct store_run *r = store_run_get(fx->store, id, &E);
		bool ok = r && strcmp(run_state_name(r->state), state) == 0;
		store_run_free(r);
		if (ok)
			return true;
		usleep(10000);
	}
	return false;
}

#endif
