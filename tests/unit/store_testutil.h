/*
 * store_testutil.h - what the control store's two suites share:
 * test_store.c on SQLite and test_store_pg.c on PostgreSQL open the store
 * at url (each suite's setup makes it and sets the store's clock to
 * fake_now), check calls through OK and FAILS, make runs the same way and
 * race the same claimers against each other.
 */
#ifndef SLUICE_STORE_TESTUTIL_H
#define SLUICE_STORE_TESTUTIL_H

#include "testutil.h"

#include <stdatomic.h>

#include "store/store.h"

static char *url;          /* the store of the running test */
static struct err E;

/* The store's clock, so that tests can say what time it is. */
static _Atomic usec_t fake_now;
static inline usec_t fake_clock(void)
{
	return fake_now;
}

#define T0 (INT64_C(1700000000) * USEC_PER_SEC)
#define SEC(n) ((usec_t)(n) * USEC_PER_SEC)

#define OK(call) ck_assert_msg((call) >= 0, "%s: %s", #call, err_text(&E))
#define FAILS(call, want) do {                                              \
		err_clear(&E);                                              \
		ck_assert_msg((call) < 0, "%s should fail", #call);         \
		ck_assert_msg(E.code == (want), "%s: got %s (%s)", #call,   \
			      err_code_name(E.code), err_text(&E));         \
	} while (0)

/* What each test's setup does once it has made the store's url: the
 * clock stopped at T0, no error left over.  store_test_end undoes it. */
static inline void store_test_begin(char *store_url)
{
	url = store_url;
	fake_now = T0;
	clock_set_source(fake_clock);
	err_clear(&E);
}

static inline void store_test_end(void)
{
	clock_set_source(NULL);
	free(url);
	url = NULL;
}

static inline struct store *open_store(void)
{
	struct store *s = store_open(url, NULL, &E);
	ck_assert_msg(s != NULL, "store_open: %s", err_text(&E));
	return s;
}

/* The store's database itself, for what the API does not show. */
static inline struct db *open_raw(void)
{
	struct db *db = db_open(url, NULL, &E);
	ck_assert_msg(db != NULL, "db_open: %s", err_text(&E));
	return db;
}

/* Record the store as migrated to version, as a newer sluice would. */
static inline void store_set_version(int version)
{
	struct db *db = open_raw();
	char *sql = xasprintf("INSERT INTO store_schema (version, applied_at, description) "
			      "VALUES (%d, 1, 'from the future')", version);
	OK(db_exec(db, sql, NULL, 0, NULL, &E));
	free(sql);
	db_close(db);
}

static inline int64_t new_run(struct store *s, const char *flow, enum run_state st)
{
	struct store_run_spec spec = { .flow = flow, .state = st,
				       .trigger = TRIGGER_MANUAL, .max_attempts = 3 };
	int64_t id = 0;
	OK(store_run_create(s, &spec, &id, &E));
	ck_assert_int_gt(id, 0);
	return id;
}

static inline enum run_state state_of(struct store *s, int64_t id)
{
	struct store_run *r = store_run_get(s, id, &E);
	ck_assert_msg(r != NULL, "run %lld: %s", (long long)id, err_text(&E));
	enum run_state st = r->state;
	store_run_free(r);
	return st;
}

/* ---- retention, the same on both backends ----------------------------------------- */

/* A run that finished (COMPLETED) at the store's clock, with 3 transitions. */
static inline int64_t finished_run(struct store *s)
{
	int64_t id = new_run(s, "f", RUN_PENDING);
	OK(store_run_transition(s, id, RUN_RUNNING, NULL, NULL, &E));
	OK(store_run_transition(s, id, RUN_COMPLETED, NULL, NULL, &E));
	return id;
}

static inline int64_t transitions_of(struct store *s, int64_t id)
{
	struct vec v = VEC_INIT;
	OK(store_run_transitions(s, id, &v, &E));
	int64_t n = (int64_t)v.len;
	store_transition_list_free(&v);
	return n;
}

static inline void add_log(struct store *s, usec_t at)
{
	struct log_record rec = { .time = at, .level = LOG_INFO, .message = "m" };
	OK(store_log_append(s, &rec, NULL, &E));
}

/* Aged rows of every kind go, young ones stay, transitions go before their
 * runs when asked; a dry run counts exactly what the prune then deletes;
 * a budget of transactions is spent and the rest done on the next call. */
static inline void store_case_retention(void)
{
	struct store *s = open_store();
	fake_now = T0;
	int64_t old_run = finished_run(s);
	for (int i = 0; i < 2500; i++)
		add_log(s, T0 + i);
	struct store_task_entry te = { .task = "t", .state = TASK_SUCCEEDED, .scheduled = T0,
				       .started = T0, .completed = T0 };
	OK(store_task_add(s, &te, NULL, &E));
	fake_now = T0 + SEC(40 * 86400);
	int64_t mid_run = finished_run(s);        /* 40 days younger than old_run */
	int64_t live_run = new_run(s, "f", RUN_PENDING);
	OK(store_run_transition(s, live_run, RUN_RUNNING, NULL, NULL, &E));
	add_log(s, fake_now);
	OK(store_task_add(s, &te, NULL, &E));      /* its times are old: it goes too */
	te.scheduled = te.started = te.completed = fake_now;
	OK(store_task_add(s, &te, NULL, &E));

	fake_now = T0 + SEC(60 * 86400);
	struct store_retention r = { .log_age = SEC(30 * 86400), .run_age = SEC(50 * 86400),
				     .transition_age = SEC(10 * 86400),
				     .task_age = SEC(30 * 86400) };
	struct store_prune_stats want, got = { 0 };
	OK(store_prune_count(s, &r, &want, &E));
	ck_assert_int_eq(want.logs, 2500);
	ck_assert_int_eq(want.runs, 1);
	ck_assert_int_eq(want.transitions, transitions_of(s, mid_run));
	ck_assert_int_eq(want.tasks, 2);

	int budget = 2, rc, stage = 0;
	OK(rc = store_prune_some(s, &r, &stage, &budget, &got, &E));
	ck_assert_int_eq(rc, 1);                  /* two batches of a thousand logs */
	ck_assert_int_eq(budget, 0);
	ck_assert_int_eq(got.logs, 2000);
	ck_assert_int_eq(got.runs, 0);
	do {
		budget = 2;
		OK(rc = store_prune_some(s, &r, &stage, &budget, &got, &E));
	} while (rc == 1);
	ck_assert_int_eq(got.logs, want.logs);
	ck_assert_int_eq(got.runs, want.runs);
	ck_assert_int_eq(got.transitions, want.transitions);
	ck_assert_int_eq(got.tasks, want.tasks);

	ck_assert_ptr_null(store_run_get(s, old_run, &E));
	ck_assert_int_eq(state_of(s, mid_run), RUN_COMPLETED);   /* the run stays */
	ck_assert_int_eq(transitions_of(s, mid_run), 0);        /* its transitions went */
	ck_assert_int_eq(state_of(s, live_run), RUN_RUNNING);
	ck_assert_int_gt(transitions_of(s, live_run), 0);
	struct store_log_filter all = { .limit = 10000 };
	struct vec v = VEC_INIT;
	OK(store_log_query(s, &all, &v, &E));
	ck_assert_int_eq(v.len, 1);                              /* the young record */
	store_log_list_free(&v);
	OK(store_task_list(s, "t", 10, 0, &v, &E));
	ck_assert_int_eq(v.len, 1);
	store_task_list_free(&v);
	OK(store_prune_count(s, &r, &want, &E));                 /* nothing left to do */
	ck_assert_int_eq(want.logs + want.runs + want.transitions + want.tasks, 0);
	store_close(s);
}

static inline bool present_in(const char *key, void *arg)
{
	for (const char *const *k = arg; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

static inline void add_load(struct store *s, const char *pipe, const char *key,
			    enum load_status st, usec_t at)
{
	struct store_load l = { .pipe = (char *)pipe, .file_key = (char *)key, .status = st,
				.loaded = at };
	OK(store_load_add(s, &l, NULL, &E));
}

/* Load history guards exactly-once: the newest record of a file still in
 * the lake stays however old; records of files gone, and records a newer
 * one of the same file supersedes, go once old enough; young ones stay. */
static inline void store_case_load_history_retention(void)
{
	struct store *s = open_store();
	static const char *const lake[] = { "o/kept.json", "o/retried.json", "o/young.json",
					    "o/failed.json", NULL };
	add_load(s, "p", "o/kept.json", LOAD_LOADED, T0);
	add_load(s, "p", "o/gone.json", LOAD_LOADED, T0);
	add_load(s, "p", "o/retried.json", LOAD_FAILED, T0);
	add_load(s, "p", "o/retried.json", LOAD_LOADED, T0 + SEC(1));
	add_load(s, "p", "o/failed.json", LOAD_FAILED, T0);
	add_load(s, "p", "o/young.json", LOAD_LOADED, T0 + SEC(80 * 86400));
	add_load(s, "other", "o/gone.json", LOAD_LOADED, T0);
	fake_now = T0 + SEC(100 * 86400);
	usec_t before = fake_now - SEC(30 * 86400);

	int64_t after = 0, n = 0;
	int budget = 10;
	OK(store_load_prune(s, "p", before, present_in, (void *)lake, true, &after, &budget,
			    &n, &E));
	ck_assert_int_eq(n, 2);       /* gone.json, and retried.json's failed attempt */
	after = 0;
	n = 0;
	budget = 10;
	OK(store_load_prune(s, "p", before, present_in, (void *)lake, false, &after, &budget,
			    &n, &E));
	ck_assert_int_eq(n, 2);
	struct store_load *l = NULL;
	static const char *const stay[] = { "o/kept.json", "o/retried.json", "o/failed.json",
					    "o/young.json" };
	for (size_t i = 0; i < ARRAY_LEN(stay); i++) {
		ck_assert_msg(store_load_get(s, "p", stay[i], &l, &E) == 1, "%s", stay[i]);
		store_load_free(l);
	}
	ck_assert_int_eq(store_load_get(s, "p", "o/retried.json", &l, &E), 1);
	ck_assert_int_eq(l->status, LOAD_LOADED);
	store_load_free(l);
	ck_assert_int_eq(store_load_get(s, "p", "o/gone.json", &l, &E), 0);
	ck_assert_int_eq(store_load_get(s, "other", "o/gone.json", &l, &E), 1);  /* its own pipe */
	store_load_free(l);
	int64_t counts[LOAD_STATUS_COUNT];
	OK(store_load_counts(s, "p", counts, &E));
	ck_assert_int_eq(counts[LOAD_LOADED] + counts[LOAD_FAILED], 4);
	store_close(s);
}

/* ---- claiming from several workers at once ------------------------------------ */

/* A worker with a store of its own, claiming runs on its own thread. */
struct claimer {
	const char *worker;
	const char *flow;
	int max;                 /* claims to try; 0 = until none */
	struct vec ids;          /* claimed run ids, as intptr_t */
	char error[512];
};

static inline void *claim_loop(void *arg)
{
	struct claimer *c = arg;
	struct err e = { 0 };
	struct store *s = store_open(url, NULL, &e);
	if (!s) {
		snprintf(c->error, sizeof c->error, "%s", err_text(&e));
		return NULL;
	}
	for (int i = 0; c->max == 0 || i < c->max; i++) {
		struct store_run *r = NULL;
		int rc = store_run_claim(s, c->worker, c->flow, &r, &e);
		if (rc < 0) {
			snprintf(c->error, sizeof c->error, "%s", err_text(&e));
			break;
		}
		if (rc == 0)
			break;
		if (!str_eq(r->worker, c->worker))
			snprintf(c->error, sizeof c->error, "run %lld owned by %s",
				 (long long)r->id, r->worker);
		vec_push(&c->ids, (void *)(intptr_t)r->id);
		store_run_free(r);
	}
	store_close(s);
	return NULL;
}

enum { MAX_CLAIMERS = 8 };

/* Start the n claimers together and wait until each has stopped. */
static inline void run_claimers(struct claimer *c, int n)
{
	pthread_t th[MAX_CLAIMERS];
	ck_assert_int_le(n, MAX_CLAIMERS);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, claim_loop, &c[i]), 0);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
}

/* No claimer failed, and between them they claimed each of the runs 1 to
 * nruns exactly once. */
static inline void ck_claimed_once(const struct claimer *c, int n, int nruns)
{
	char *owner = xcalloc((size_t)nruns + 1, 1);
	size_t total = 0;
	for (int i = 0; i < n; i++) {
		ck_assert_msg(c[i].error[0] == 0, "%s: %s", c[i].worker, c[i].error);
		for (size_t j = 0; j < c[i].ids.len; j++) {
			intptr_t id = (intptr_t)c[i].ids.items[j];
			ck_assert(id >= 1 && id <= nruns);
			ck_assert_msg(owner[id] == 0, "run %ld claimed twice", (long)id);
			owner[id] = 1;
		}
		total += c[i].ids.len;
	}
	ck_assert_int_eq(total, nruns);
	free(owner);
}

static inline void claimers_free(struct claimer *c, int n)
{
	for (int i = 0; i < n; i++)
		vec_free(&c[i].ids);
}

/* Load attempts, the same on both backends: one row per attempt (a
 * second row for the same committed generation or the same failed
 * decision is not added; forced failures and NULL keys always are), what
 * a later look at a file found, loaded files changed since, and the files
 * a run left rejected. */
static inline void check_load_attempts(void)
{
	struct store *s = open_store();
	int64_t id = -1, first = 0;
	struct store_load gen1 = { .pipe = "p", .file_key = "a", .size = 10, .checksum = "c1",
				   .status = LOAD_LOADED, .run_id = 3, .attempt = "gen:1",
				   .mtime = T0 - SEC(60) };
	OK(store_load_add(s, &gen1, &first, &E));
	ck_assert_int_gt(first, 0);
	OK(store_load_add(s, &gen1, &id, &E));          /* the same commit again */
	ck_assert_int_eq(id, 0);
	struct store_load gen2 = gen1;
	gen2.attempt = "gen:2";
	OK(store_load_add(s, &gen2, &id, &E));
	ck_assert_int_gt(id, first);
	struct store_load failed = { .pipe = "p", .file_key = "b", .checksum = "f1",
				     .status = LOAD_FAILED, .run_id = 3, .attempt = "after:0" };
	OK(store_load_add(s, &failed, &id, &E));
	ck_assert_int_gt(id, 0);
	OK(store_load_add(s, &failed, &id, &E));
	ck_assert_int_eq(id, 0);
	failed.attempt = NULL;                          /* forced: its own record */
	failed.run_id = 4;
	OK(store_load_add(s, &failed, &id, &E));
	OK(store_load_add(s, &failed, &id, &E));
	ck_assert_int_gt(id, 0);
	int64_t counts[LOAD_STATUS_COUNT];
	OK(store_load_counts(s, "p", counts, &E));
	ck_assert_int_eq(counts[LOAD_LOADED], 2);
	ck_assert_int_eq(counts[LOAD_FAILED], 3);

	struct store_load *l = NULL;
	ck_assert_int_eq(store_load_get(s, "p", "a", &l, &E), 1);
	ck_assert_str_eq(l->attempt, "gen:2");
	ck_assert_int_eq(l->mtime, T0 - SEC(60));
	ck_assert_ptr_null(l->seen_checksum);
	int64_t newest_a = l->id;
	store_load_free(l);
	struct vec v = VEC_INIT;
	OK(store_load_changed(s, "p", 10, &v, &E));
	ck_assert_int_eq(v.len, 0);
	/* Looked at again: the same content, then another. */
	bool news = false;
	OK(store_load_seen(s, newest_a, 10, T0 - SEC(5), "c1", &news, &E));
	ck_assert(news);
	OK(store_load_changed(s, "p", 10, &v, &E));
	ck_assert_int_eq(v.len, 0);
	OK(store_load_seen(s, newest_a, 12, T0 - SEC(2), "c2", &news, &E));
	ck_assert(news);
	OK(store_load_seen(s, newest_a, 12, T0 - SEC(1), "c2", &news, &E));
	ck_assert(!news);                               /* the same, seen again */
	OK(store_load_changed(s, "p", 10, &v, &E));
	ck_assert_int_eq(v.len, 1);
	l = v.items[0];
	ck_assert_str_eq(l->file_key, "a");
	ck_assert_str_eq(l->seen_checksum, "c2");
	ck_assert_int_eq(l->seen_size, 12);
	ck_assert_int_eq(l->seen_mtime, T0 - SEC(1));
	ck_assert_int_eq(l->seen_at, T0);
	store_load_list_free(&v);
	/* A newer attempt (the forced reload) is what counts. */
	struct store_load gen3 = gen1;
	gen3.attempt = "gen:3";
	gen3.checksum = "c2";
	OK(store_load_add(s, &gen3, &id, &E));
	OK(store_load_changed(s, "p", 10, &v, &E));
	ck_assert_int_eq(v.len, 0);
	store_close(s);
}

/* The store's identity: a version 4 UUID, the same at every open
 * (read-only ones too); `legacy` when the store held work before it had
 * an id, with its runs up to `upto` begun without one. */
static inline void ck_identity(struct store *s, bool legacy, int64_t upto)
{
	const struct store_identity *id = store_identity(s);
	ck_assert_ptr_nonnull(id->id);
	ck_assert_uint_eq(strlen(id->id), 36);
	ck_assert_int_eq(id->id[14], '4');
	ck_assert(id->legacy == legacy);
	ck_assert_int_eq(id->legacy_runs_upto, upto);
	struct store_options ro = { .read_only = true };
	struct store *again = store_open(url, &ro, &E);
	ck_assert_msg(again != NULL, "%s", err_text(&E));
	ck_assert_str_eq(store_id(again), id->id);
	ck_assert(store_identity(again)->legacy == legacy);
	store_close(again);
}

/* ---- metrics -------------------------------------------------------------------------------- */
static inline int64_t metric_value(const struct vec *v, const char *a, const char *b)
{
	for (size_t i = 0; i < v->len; i++) {
		const struct store_metric *x = v->items[i];
		if (str_eq(x->label[0], a) && str_eq(x->label[1], b))
			return x->value;
	}
	return 0;
}

/* A run of flow f through RUNNING to `to`, with one step of `secs` s. */
static inline void metrics_run(struct store *s, enum run_state to, int secs)
{
	int64_t id = new_run(s, "f", RUN_PENDING);
	OK(store_run_transition(s, id, RUN_RUNNING, NULL, NULL, &E));
	struct store_step st = { .run_id = id, .step = "s", .state = STEP_COMPLETED,
				 .attempt = 1, .started = fake_now, .ended = fake_now + SEC(secs) };
	OK(store_step_put(s, &st, &E));
	OK(store_run_set_rows(s, id, 0, 10, &E));
	fake_now += SEC(secs);
	OK(store_run_transition(s, id, to, NULL, NULL, &E));
}

/* History is read as a tail: every read adds exactly what is new, whether
 * the rows are recent (remembered by id) or old enough to be settled. */
static inline void check_metrics_tail(void)
{
	struct store *s = open_store();
	struct store_metrics m = { 0 };
	metrics_run(s, RUN_COMPLETED, 2);
	OK(store_metrics_read(s, &m, &E));
	OK(store_metrics_read(s, &m, &E));             /* nothing new: nothing added */
	ck_assert_int_eq(metric_value(&m.runs_ended, "f", "COMPLETED"), 1);
	ck_assert_int_eq(metric_value(&m.run_seconds, "f", NULL), 1);
	ck_assert_int_eq(metric_value(&m.step_seconds, "f", "s"), 1);
	ck_assert_int_eq(metric_value(&m.flow_rows, "f", NULL), 10);
	const struct store_metric *h = m.run_seconds.items[0];
	ck_assert(h->le[1] == 0 && h->le[3] == 1);    /* 2 s: above 0.5, within 5 */
	ck_assert(h->sum > 1.99 && h->sum < 2.01);

	metrics_run(s, RUN_FAILED, 1);
	int64_t crashed = new_run(s, "f", RUN_PENDING);
	OK(store_run_transition(s, crashed, RUN_RUNNING, NULL, NULL, &E));
	OK(store_run_transition(s, crashed, RUN_CRASHED, NULL, NULL, &E));
	struct store_load l = { .pipe = "p", .file_key = "a", .status = LOAD_LOADED,
				.rows_loaded = 7, .attempt = "gen:1" };
	OK(store_load_add(s, &l, NULL, &E));
	OK(store_metrics_read(s, &m, &E));
	fake_now += SEC(120);                          /* all of it settles */
	OK(store_metrics_read(s, &m, &E));
	OK(store_metrics_read(s, &m, &E));
	ck_assert_int_eq(m.run_tail.n, 0);
	ck_assert_int_eq(metric_value(&m.runs_ended, "f", "COMPLETED"), 1);
	ck_assert_int_eq(metric_value(&m.runs_ended, "f", "FAILED"), 1);
	ck_assert_int_eq(metric_value(&m.runs_ended, "f", "CRASHED"), 1);
	ck_assert_int_eq(metric_value(&m.run_seconds, "f", NULL), 2);  /* not the crash */
	ck_assert_int_eq(metric_value(&m.step_seconds, "f", "s"), 2);
	ck_assert_int_eq(metric_value(&m.pipe_rows, "p", NULL), 7);
	ck_assert_int_eq(metric_value(&m.pipe_files, "p", "LOADED"), 1);

	/* crash recovery retries it in place and it completes: one more
	 * COMPLETED, and CRASHED stays 1 */
	OK(store_run_transition(s, crashed, RUN_RETRYING, NULL, NULL, &E));
	OK(store_run_transition(s, crashed, RUN_RUNNING, NULL, NULL, &E));
	OK(store_run_transition(s, crashed, RUN_COMPLETED, NULL, NULL, &E));
	OK(store_metrics_read(s, &m, &E));
	ck_assert_int_eq(metric_value(&m.runs_ended, "f", "COMPLETED"), 2);
	ck_assert_int_eq(metric_value(&m.runs_ended, "f", "CRASHED"), 1);
	ck_assert_int_eq(m.runs_now[RUN_RUNNING], 0);
	ck_assert_int_eq(m.workers.len, 0);
	ck_assert_int_gt(m.size_bytes, 0);
	store_metrics_free(&m);
	store_close(s);
}

/* The heartbeat counts, in its own transaction, what an idle engine would
 * otherwise poll for: requests for it and for the scheduler, due
 * notifications, runs its pools would claim now. */
static inline void store_case_heartbeat_counts(void)
{
	struct store *s = open_store();
	OK(store_flow_limit_set(s, "f", 1, &E));
	OK(store_worker_register_pools(s, "wa", "h", 1, "A", &E));
	const char *pools_a[] = { "A" };
	struct store_beat b = { 0 };
	OK(store_worker_beat(s, "wa", pools_a, 1, &b, &E));
	ck_assert_int_eq(b.for_me + b.requests + b.notify_due + b.claimable, 0);

	struct store_run_spec in_a = { .flow = "f", .state = RUN_PENDING, .pool = "A" };
	int64_t a = 0;
	OK(store_run_create(s, &in_a, &a, &E));
	new_run(s, "f", RUN_PENDING);            /* no pool: not for wa */
	OK(store_request_add(s, "drain", "worker:wa", NULL, "op", NULL, &E));
	OK(store_request_add(s, "refresh", "pipe:p", NULL, "op", NULL, &E));
	OK(store_request_add(s, "refresh", "pipe:q", NULL, "op", NULL, &E));
	OK(store_notify_enqueue(s, "alerts", "run_failed", "x", NULL, &E));
	OK(store_worker_beat(s, "wa", pools_a, 1, &b, &E));
	ck_assert_int_eq(b.for_me, 1);
	ck_assert_int_eq(b.requests, 2);
	ck_assert_int_eq(b.notify_due, 1);
	ck_assert_int_eq(b.claimable, 1);

	/* A flow at its limit has nothing to claim. */
	struct store_run *r = NULL;
	ck_assert_int_eq(store_run_claim_pools(s, "wa", NULL, pools_a, 1, &r, &E), 1);
	store_run_free(r);
	struct store_run_spec again = { .flow = "f", .state = RUN_PENDING, .pool = "A" };
	OK(store_run_create(s, &again, &a, &E));
	OK(store_worker_beat(s, "wa", pools_a, 1, &b, &E));
	ck_assert_int_eq(b.claimable, 0);
	FAILS(store_worker_beat(s, "nobody", NULL, 0, &b, &E), ERR_NOTFOUND);
	store_close(s);
}

/* The audit: an announced action is written by the commit that takes it,
 * in its transaction; a rollback, or an action that wrote nothing, leaves
 * no record; the next unannounced write is not audited. */
static inline void check_audit_in_the_action_transaction(void)
{
	struct store *s = open_store();
	store_audit_next(s, "suspend", "task t1", "alice@bastion", "console",
			 "task suspend t1");
	OK(store_object_set(s, "task:t1", "SUSPENDED", NULL, "alice@bastion", &E));
	OK(store_object_set(s, "task:t2", "SUSPENDED", NULL, "bob@ops", &E));
	/* announced, then refused: the write fails and nothing is recorded */
	store_audit_next(s, "suspend", "task", "alice@bastion", "console", NULL);
	FAILS(store_object_set(s, "", "SUSPENDED", NULL, "alice@bastion", &E), ERR_INVALID);
	store_audit_drop(s);
	/* announced, then rolled back by a failed statement */
	store_audit_next(s, "cancel", "run 999", "alice@bastion", "console", "cancel 999");
	FAILS(store_run_transition(s, 999, RUN_CANCELLED, "asked", NULL, &E), ERR_NOTFOUND);
	OK(store_object_set(s, "task:t3", "SUSPENDED", NULL, "carol@ops", &E));
	struct vec rows = VEC_INIT;
	OK(store_audit_list(s, 0, &rows, &E));
	ck_assert_int_eq(rows.len, 1);
	const struct store_audit *a = rows.items[0];
	ck_assert_str_eq(a->action, "suspend");
	ck_assert_str_eq(a->object, "task t1");
	ck_assert_str_eq(a->user, "alice");
	ck_assert_str_eq(a->host, "bastion");
	ck_assert_str_eq(a->via, "console");
	ck_assert_str_eq(a->command, "task suspend t1");
	ck_assert_int_gt(a->at, 0);
	store_audit_list_free(&rows);
	store_close(s);
}

/* Rows of a table of the store's own database. */
static inline int64_t rows_in(const char *table)
{
	struct db *db = open_raw();
	char *sql = xasprintf("SELECT count(*) FROM %s", table);
	int64_t n = -1;
	OK(db_query_int(db, sql, NULL, 0, &n, &E));
	free(sql);
	db_close(db);
	return n;
}

/* Step definitions: a run keeps each step's text and its SHA-256; a text
 * is stored once however many runs used it; a later attempt's put
 * replaces the run's; retention takes a run's definitions with it and a
 * text no run names any more. */
static inline void check_step_defs_once_per_text(void)
{
	struct store *s = open_store();
	const char *sql_v1 = "DELETE FROM stg;\nINSERT INTO stg SELECT 1;\n";
	struct store_step_def defs[] = {
		{ .step = "stage", .text = "{\"kind\": \"sql\"}\n" },
		{ .step = "transform", .file = "sql/t.sql", .text = (char *)sql_v1 },
	};
	int64_t runs[3];
	for (int i = 0; i < 3; i++) {
		runs[i] = finished_run(s);
		OK(store_run_defs_put(s, runs[i], defs, 2, &E));
	}
	ck_assert_int_eq(rows_in("step_defs"), 2);          /* not six */
	ck_assert_int_eq(rows_in("run_step_defs"), 6);
	struct store_step_def got;
	ck_assert_int_eq(store_run_def_get(s, runs[1], "transform", &got, &E), 1);
	ck_assert_str_eq(got.text, sql_v1);
	ck_assert_str_eq(got.file, "sql/t.sql");
	char want[65];
	sha256_hex_of(sql_v1, strlen(sql_v1), want);
	ck_assert_str_eq(got.hash, want);
	store_step_def_clear(&got);
	ck_assert_int_eq(store_run_def_get(s, runs[1], "nope", &got, &E), 0);
	ck_assert_int_eq(store_run_def_get(s, 999, "transform", &got, &E), 0);
	/* the run's next attempt ran another text: it replaces the first */
	struct store_step_def v2 = { .step = "transform", .file = "sql/t.sql",
				     .text = "SELECT 2;\n" };
	OK(store_run_defs_put(s, runs[2], &v2, 1, &E));
	ck_assert_int_eq(store_run_def_get(s, runs[2], "transform", &got, &E), 1);
	ck_assert_str_eq(got.text, "SELECT 2;\n");
	store_step_def_clear(&got);
	ck_assert_int_eq(store_run_def_get(s, runs[2], "stage", &got, &E), 0);
	ck_assert_int_eq(rows_in("step_defs"), 3);
	/* runs 0 and 1 age out; "SELECT 2" stays with run 2, the others go */
	fake_now += SEC(100 * 86400);
	int64_t young = finished_run(s);
	OK(store_run_defs_put(s, young, &v2, 1, &E));
	fake_now += SEC(10 * 86400);
	struct store_retention r = { .run_age = SEC(50 * 86400) };
	OK(store_prune(s, &r, NULL, &E));
	ck_assert_int_eq(rows_in("run_step_defs"), 1);
	ck_assert_int_eq(rows_in("step_defs"), 1);
	ck_assert_int_eq(store_run_def_get(s, young, "transform", &got, &E), 1);
	ck_assert_str_eq(got.text, "SELECT 2;\n");
	store_step_def_clear(&got);
	store_close(s);
}

/* Rows a run's partition replacement deleted (migration 14): a run of a
 * store at version 13 never counted them and reads as not recorded (-1,
 * shown as null), a run made now starts at 0 and keeps what it is given. */
static inline void check_rows_deleted_from_version_13(void)
{
	OK(store_migrate(url, NULL, 13, &E));
	struct db *db = open_raw();
	OK(db_exec(db, "INSERT INTO runs (flow, state, trigger_kind, trigger_detail, "
		   "created_at, updated_at, rows_in, rows_out, partition_key) VALUES "
		   "('daily', 'COMPLETED', 'backfill', '1', 5, 5, 480, 480, '2024-01-05')",
		   NULL, 0, NULL, &E));
	OK(db_exec(db, "INSERT INTO backfills (flow, step, state, active, plan, created_at, "
		   "updated_at) VALUES ('daily', 'compare', 'WAITING', 1, "
		   "'{\"partitions\":[{\"key\":\"2024-01-05\",\"run_id\":1,\"rows_out\":480}]}', "
		   "5, 5)", NULL, 0, NULL, &E));
	db_close(db);

	struct store *s = open_store();
	int version = 0;
	OK(store_schema_version(s, &version, &E));
	ck_assert_int_eq(version, store_schema_latest());
	struct vec runs = VEC_INIT;
	struct store_run_filter f = { .flow = "daily" };
	OK(store_run_list(s, &f, &runs, &E));
	ck_assert_int_eq(runs.len, 1);
	struct store_run *old = runs.items[0];
	ck_assert_int_eq(old->rows_out, 480);
	ck_assert_int_eq(old->rows_deleted, -1);
	int64_t old_id = old->id;
	store_run_list_free(&runs);
	struct store_backfill *bf = NULL;
	ck_assert_int_eq(store_backfill_active(s, "daily", &bf, &E), 1);
	ck_assert(strstr(bf->plan, "\"rows_out\":480") != NULL);
	store_backfill_free(bf);

	int64_t id = new_run(s, "daily", RUN_PENDING);
	struct store_run *r = store_run_get(s, id, &E);
	ck_assert_int_eq(r->rows_deleted, 0);
	store_run_free(r);
	OK(store_run_set_deleted(s, id, 500, &E));
	OK(store_run_set_deleted(s, old_id, 7, &E));
	r = store_run_get(s, id, &E);
	ck_assert_int_eq(r->rows_deleted, 500);
	store_run_free(r);
	r = store_run_get(s, old_id, &E);
	ck_assert_int_eq(r->rows_deleted, 7);
	store_run_free(r);
	FAILS(store_run_set_deleted(s, 999, 1, &E), ERR_NOTFOUND);
	store_close(s);
}

#endif
