/*
 * test_store_pg.c - the control store on a real PostgreSQL server (started
 * for this test by tests/lib/run-test): migrations, read-only, the run
 * state machine, claiming with FOR UPDATE SKIP LOCKED across connections
 * and threads, and every other part of the API once, since PostgreSQL is
 * where the dialect differences and parameter typing bite.  Each test
 * works in a database of its own.
 */
#include "store_testutil.h"

static void setup(void)
{
	static int counter;
	char name[64];
	snprintf(name, sizeof name, "store_%d_%d", (int)getpid(), ++counter);
	char *conninfo = test_pg_database(name, &E);
	ck_assert_msg(conninfo != NULL, "%s", err_text(&E));
	store_test_begin(conninfo);
}

/* The control store's disk fills (its tables in a tablespace on a small
 * tmpfs, the rest of it taken by a filler table): the write that finds no
 * room fails with ERR_IO naming the control store, which is what stops an
 * engine (engine_fault; tests/integration/disk_full.sh shows it on
 * SQLite), where it was ERR_DB, an ordinary error of one run. */
START_TEST(pg_a_full_disk_is_an_io_error)
{
	struct db *db = open_raw();
	char mnt[64];
	if (!test_pg_tiny_tablespace(db, "store_tiny", 16, mnt)) {
		db_close(db);
		return;
	}
	OK(db_exec(db, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_tablespace "
		   "= store_tiny', current_database()); END $$", NULL, 0, NULL, &E));
	struct store *s = open_store();       /* its tables go to store_tiny */
	struct err fill;
	test_pg_tiny_fill(db, "store_tiny", "filler", &fill);
	ck_assert_msg(strstr(fill.msg, "No space left on device"), "%s", err_text(&fill));
	struct store_run_spec spec = { .flow = "f", .state = RUN_PENDING };
	int64_t id = 0;
	int rc = 0, runs = 0;
	for (; runs < 10000 && rc == 0; runs++)
		rc = store_run_create(s, &spec, &id, &E);
	ck_assert_msg(rc < 0, "%d runs recorded on a full disk", runs);
	ck_assert_msg(E.code == ERR_IO, "code %d: %s", E.code, err_text(&E));
	ck_assert_msg(strstr(E.msg, "control store") && strstr(E.msg, "No space left on device"),
		      "%s", err_text(&E));
	store_close(s);
	db_close(db);
	test_pg_tiny_unmount(mnt);
}
END_TEST

START_TEST(pg_heartbeat_counts_what_waits)
{
	store_case_heartbeat_counts();
}
END_TEST

START_TEST(pg_migrations_forward_and_refusal)
{
	OK(store_migrate(url, NULL, 1, &E));
	struct db *db = open_raw();
	OK(db_exec(db, "INSERT INTO runs (flow, state, trigger_kind, created_at, updated_at) "
		   "VALUES ('legacy', 'FAILED', 'task', 1, 1)", NULL, 0, NULL, &E));
	ck_assert_int_eq(db_table_exists(db, "logs", &E), 0);
	db_close(db);

	struct store_options ro = { .read_only = true };
	ck_assert_ptr_null(store_open(url, &ro, &E));
	ck_assert_int_eq(E.code, ERR_VERSION);

	struct store *s = open_store();
	ck_assert_str_eq(store_backend(s), "postgresql");
	int v = 0;
	OK(store_schema_version(s, &v, &E));
	ck_assert_int_eq(v, store_schema_latest());
	struct vec runs = VEC_INIT;
	struct store_run_filter f = { .flow = "legacy" };
	OK(store_run_list(s, &f, &runs, &E));
	ck_assert_int_eq(runs.len, 1);
	ck_assert_int_eq(((struct store_run *)runs.items[0])->trigger, TRIGGER_TASK);
	ck_identity(s, true, ((struct store_run *)runs.items[0])->id);
	store_run_list_free(&runs);
	store_close(s);

	store_set_version(store_schema_latest() + 2);
	ck_assert_ptr_null(store_open(url, NULL, &E));
	ck_assert_int_eq(E.code, ERR_VERSION);
	char *want = xasprintf("is at schema version %d, but this sluice knows only up to "
			       "%d; upgrade sluice", store_schema_latest() + 2,
			       store_schema_latest());
	ck_assert_msg(strstr(E.msg, want) != NULL, "%s", E.msg);
	free(want);
}
END_TEST

START_TEST(pg_metrics_history_read_as_a_tail)
{
	check_metrics_tail();
}
END_TEST

START_TEST(pg_audit_in_the_action_transaction)
{
	check_audit_in_the_action_transaction();
}
END_TEST

START_TEST(pg_step_defs_once_per_text)
{
	check_step_defs_once_per_text();
}
END_TEST

START_TEST(pg_rows_deleted_from_version_13)
{
	check_rows_deleted_from_version_13();
}
END_TEST

START_TEST(pg_load_attempts_one_row_each)
{
	check_load_attempts();
}
END_TEST

START_TEST(pg_read_only)
{
	struct store *w = open_store();
	int64_t id = new_run(w, "f", RUN_PENDING);
	store_close(w);
	struct store_options ro = { .read_only = true };
	struct store *s = store_open(url, &ro, &E);
	ck_assert_msg(s != NULL, "%s", err_text(&E));
	ck_assert_int_eq(state_of(s, id), RUN_PENDING);
	struct store_run *r = NULL;
	FAILS(store_run_transition(s, id, RUN_RUNNING, NULL, NULL, &E), ERR_READONLY);
	FAILS(store_run_claim(s, "w1", NULL, &r, &E), ERR_READONLY);
	FAILS(store_object_set(s, "pipe:p", "PAUSED", NULL, "x", &E), ERR_READONLY);
	struct log_record rec = { .level = LOG_INFO, .message = "x" };
	FAILS(store_log_append(s, &rec, NULL, &E), ERR_READONLY);
	struct store_watch watch;
	store_watch_init(&watch);
	unsigned changed = 0;
	OK(store_changed(s, &watch, &changed, &E));
	ck_assert_uint_eq(changed, (1u << STORE_AREA_COUNT) - 1);
	store_close(s);
}
END_TEST

START_TEST(pg_transitions_and_history)
{
	struct store *s = open_store();
	int64_t id = new_run(s, "orders_etl", RUN_PENDING);
	fake_now = T0 + SEC(1);
	OK(store_run_transition(s, id, RUN_RUNNING, "go", NULL, &E));
	FAILS(store_run_transition(s, id, RUN_SCHEDULED, NULL, NULL, &E), ERR_CONFLICT);
	ck_assert(strstr(E.msg, "cannot go from RUNNING to SCHEDULED") != NULL);
	fake_now = T0 + SEC(2);
	OK(store_run_retry_at(s, id, T0 + SEC(30), NULL, "timeout\nafter 30m", &E));
	fake_now = T0 + SEC(30);
	OK(store_run_transition(s, id, RUN_RUNNING, NULL, NULL, &E));
	OK(store_run_transition(s, id, RUN_CANCELLING, "operator", NULL, &E));
	OK(store_run_transition(s, id, RUN_CANCELLED, "stopped", NULL, &E));
	FAILS(store_run_transition(s, id, RUN_RUNNING, NULL, NULL, &E), ERR_CONFLICT);
	struct store_run *r = store_run_get(s, id, &E);
	ck_assert_int_eq(r->attempt, 2);
	ck_assert_int_eq(r->started, T0 + SEC(1));
	ck_assert_int_eq(r->ended, T0 + SEC(30));
	store_run_free(r);
	struct vec t = VEC_INIT;
	OK(store_run_transitions(s, id, &t, &E));
	ck_assert_int_eq(t.len, 6);
	struct store_transition *tr = t.items[2];
	ck_assert_int_eq(tr->from, RUN_RUNNING);
	ck_assert_int_eq(tr->to, RUN_RETRYING);
	ck_assert_str_eq(tr->reason, "timeout");
	ck_assert_int_eq(tr->at, T0 + SEC(2));
	store_transition_list_free(&t);

	int64_t counts[RUN_STATE_COUNT];
	OK(store_run_counts(s, "orders_etl", T0, counts, &E));
	ck_assert_int_eq(counts[RUN_CANCELLED], 1);
	struct store_run_filter f = { .states = RUN_STATE_BIT(RUN_CANCELLED),
				      .since = T0, .sort = RUN_SORT_UPDATED };
	int64_t n = 0;
	OK(store_run_count(s, &f, &n, &E));
	ck_assert_int_eq(n, 1);

	/* Steps, validation, tasks and loads: one pass each. */
	struct store_step st = { .run_id = id, .step = "load", .state = STEP_COMPLETED,
				 .rows_out = 5, .cached = true, .cache_key = "k" };
	OK(store_step_put(s, &st, &E));
	OK(store_step_put(s, &st, &E));
	OK(store_step_list(s, id, &t, &E));
	ck_assert_int_eq(t.len, 1);
	ck_assert(((struct store_step *)t.items[0])->cached);
	store_step_list_free(&t);
	struct store_validation val = { .run_id = id, .step = "v", .check = "c",
					.passed = false, .violations = 2 };
	OK(store_validation_add(s, &val, &E));
	OK(store_validation_list(s, id, NULL, &t, &E));
	ck_assert_int_eq(t.len, 1);
	store_validation_list_free(&t);

	struct store_task_entry te = { .task = "nightly", .state = TASK_FAILED,
				       .completed = T0 + SEC(5) };
	OK(store_task_add(s, &te, NULL, &E));
	OK(store_task_add(s, &te, NULL, &E));
	int fails = 0;
	OK(store_task_failures(s, "nightly", 0, &fails, &E));
	ck_assert_int_eq(fails, 2);
	OK(store_task_failures(s, "nightly", T0 + SEC(6), &fails, &E));
	ck_assert_int_eq(fails, 0);
	struct store_task_entry *last = NULL;
	ck_assert_int_eq(store_task_last(s, "nightly", &last, &E), 1);
	store_task_free(last);

	struct store_load ld = { .pipe = "p", .file_key = "a.json", .status = LOAD_PARTIALLY_LOADED,
				 .first_error = "bad", .first_error_line = 2 };
	OK(store_load_add(s, &ld, NULL, &E));
	struct store_load *l = NULL;
	ck_assert_int_eq(store_load_get(s, "p", "a.json", &l, &E), 1);
	ck_assert_int_eq(l->first_error_line, 2);
	store_load_free(l);
	int64_t lc[LOAD_STATUS_COUNT];
	OK(store_load_counts(s, "p", lc, &E));
	ck_assert_int_eq(lc[LOAD_PARTIALLY_LOADED], 1);
	OK(store_load_list(s, "p", 1u << LOAD_PARTIALLY_LOADED, 5, 0, &t, &E));
	ck_assert_int_eq(t.len, 1);
	store_load_list_free(&t);
	store_close(s);
}
END_TEST

START_TEST(pg_claim_skips_locked_rows)
{
	clock_set_source(NULL);
	struct store *s = open_store();
	OK(store_flow_limit_set(s, "f", 0, &E));
	int64_t first = new_run(s, "f", RUN_PENDING);
	int64_t second = new_run(s, "f", RUN_PENDING);

	/* Another session holds the oldest run's row: the claim takes the
	 * next one at once instead of waiting. */
	struct db *other = open_raw();
	OK(db_exec(other, "BEGIN", NULL, 0, NULL, &E));
	char *lock = xasprintf("SELECT id FROM runs WHERE id = %lld FOR UPDATE",
			       (long long)first);
	char *got = NULL;
	ck_assert_int_eq(db_query_value(other, lock, NULL, 0, &got, &E), 1);
	free(got);
	free(lock);
	struct store_run *r = NULL;
	ck_assert_int_eq(store_run_claim(s, "w1", NULL, &r, &E), 1);
	ck_assert_int_eq(r->id, second);
	store_run_free(r);
	ck_assert_int_eq(store_run_claim(s, "w1", NULL, &r, &E), 0);
	OK(db_exec(other, "ROLLBACK", NULL, 0, NULL, &E));
	db_close(other);
	ck_assert_int_eq(store_run_claim(s, "w2", NULL, &r, &E), 1);
	ck_assert_int_eq(r->id, first);
	store_run_free(r);
	store_close(s);
}
END_TEST

START_TEST(pg_claims_exclusive_across_connections)
{
	clock_set_source(NULL);
	struct store *s = open_store();
	OK(store_flow_limit_set(s, "many", 0, &E));
	enum { N = 200, THREADS = 4 };
	for (int i = 0; i < N; i++)
		new_run(s, "many", RUN_PENDING);
	struct claimer c[THREADS] = {
		{ .worker = "w1" }, { .worker = "w2" }, { .worker = "w3" }, { .worker = "w4" },
	};
	run_claimers(c, THREADS);
	ck_claimed_once(c, THREADS, N);
	claimers_free(c, THREADS);

	/* The per-flow limit holds under the race. */
	OK(store_flow_limit_set(s, "pair", 2, &E));
	for (int i = 0; i < 10; i++)
		new_run(s, "pair", RUN_PENDING);
	struct claimer d[THREADS] = {
		{ .worker = "w1", .flow = "pair", .max = 3 },
		{ .worker = "w2", .flow = "pair", .max = 3 },
		{ .worker = "w3", .flow = "pair", .max = 3 },
		{ .worker = "w4", .flow = "pair", .max = 3 },
	};
	run_claimers(d, THREADS);
	size_t total = 0;
	for (int i = 0; i < THREADS; i++) {
		ck_assert_msg(d[i].error[0] == 0, "%s: %s", d[i].worker, d[i].error);
		total += d[i].ids.len;
	}
	ck_assert_int_eq(total, 2);
	claimers_free(d, THREADS);
	int64_t counts[RUN_STATE_COUNT];
	OK(store_run_counts(s, "pair", 0, counts, &E));
	ck_assert_int_eq(counts[RUN_RUNNING], 2);
	ck_assert_int_eq(counts[RUN_PENDING], 8);
	store_close(s);
}
END_TEST

START_TEST(pg_watermarks_objects_workers_leases_cache)
{
	struct store *s = open_store();
	int64_t r1 = new_run(s, "ingest", RUN_PENDING);
	struct store_watermark *w = NULL;
	OK(store_wm_plan(s, "ingest", "extract", "staff", r1, NULL, "2024-01-01 00:00:00", &w,
			 &E));
	store_wm_free(w);
	OK(store_wm_plan(s, "ingest", "extract", "staff", r1, NULL, "2030-01-01", &w, &E));
	ck_assert_str_eq(w->pending_end, "2024-01-01 00:00:00");
	store_wm_free(w);
	int64_t r2 = new_run(s, "ingest", RUN_PENDING);
	FAILS(store_wm_plan(s, "ingest", "extract", "staff", r2, NULL, "2030-01-01", &w, &E),
	      ERR_CONFLICT);
	int n = 0;
	OK(store_wm_commit_run(s, r1, &n, &E));
	ck_assert_int_eq(n, 1);
	FAILS(store_wm_plan(s, "ingest", "extract", "staff", r2, NULL, "2024-02-01", &w, &E),
	      ERR_CONFLICT);
	OK(store_wm_plan(s, "ingest", "extract", "staff", r2, "2024-01-01 00:00:00",
			 "2024-02-01", &w, &E));
	ck_assert_str_eq(w->pending_start, "2024-01-01 00:00:00");
	store_wm_free(w);
	OK(store_wm_commit(s, "ingest", "extract", "staff", r2, &E));
	ck_assert_int_eq(store_wm_get(s, "ingest", "extract", "staff", &w, &E), 1);
	ck_assert_int_eq(w->committed_run, r2);
	store_wm_free(w);
	FAILS(store_wm_commit(s, "ingest", "extract", "staff", r2, &E), ERR_CONFLICT);
	OK(store_wm_clear_run(s, r2, &n, &E));
	ck_assert_int_eq(n, 0);
	OK(store_wm_set(s, "ingest", "extract", "staff", "42", &E));
	ck_assert_int_eq(store_wm_get(s, "ingest", "extract", "staff", &w, &E), 1);
	ck_assert_str_eq(w->committed, "42");
	store_wm_free(w);
	struct vec v = VEC_INIT;
	OK(store_wm_list(s, NULL, &v, &E));
	ck_assert_int_eq(v.len, 1);
	store_wm_list_free(&v);
	OK(store_stream_mirror(s, "orders_stream", "17", 3, &E));
	OK(store_stream_list(s, &v, &E));
	ck_assert_int_eq(v.len, 1);
	store_stream_list_free(&v);

	OK(store_object_set(s, "pipe:a", "PAUSED", "why", "alice", &E));
	OK(store_object_set(s, "task:b", "SUSPENDED", NULL, "bob", &E));
	OK(store_object_list(s, "pipe:", &v, &E));
	ck_assert_int_eq(v.len, 1);
	store_object_list_free(&v);

	OK(store_worker_register(s, "w1", "h1", 1, &E));
	OK(store_flow_limit_set(s, "ingest", 0, &E));
	struct store_run *r = NULL;
	ck_assert_int_eq(store_run_claim(s, "w1", NULL, &r, &E), 1);
	store_run_free(r);
	fake_now = T0 + SEC(60);
	OK(store_runs_orphaned(s, SEC(30), &v, &E));
	ck_assert_int_eq(v.len, 1);
	store_run_list_free(&v);
	OK(store_worker_heartbeat(s, "w1", &E));
	OK(store_runs_orphaned(s, SEC(30), &v, &E));
	ck_assert_int_eq(v.len, 0);

	char *holder = NULL;
	ck_assert_int_eq(store_lease_acquire(s, "scheduler", "w1", SEC(10), &holder, &E), 1);
	ck_assert_int_eq(store_lease_acquire(s, "scheduler", "w2", SEC(10), &holder, &E), 0);
	ck_assert_str_eq(holder, "w1");
	free(holder);
	fake_now = T0 + SEC(71);
	ck_assert_int_eq(store_lease_acquire(s, "scheduler", "w2", SEC(10), NULL, &E), 1);

	OK(store_cache_put(s, "k", "v", 0, SEC(5), &E));
	struct store_cache_entry *c = NULL;
	ck_assert_int_eq(store_cache_get(s, "k", &c, &E), 1);
	store_cache_free(c);
	fake_now = T0 + SEC(76);
	ck_assert_int_eq(store_cache_get(s, "k", &c, &E), 0);
	int64_t purged = 0;
	OK(store_cache_purge(s, &purged, &E));
	ck_assert_int_eq(purged, 1);

	struct store_schema_change sc = { .connection = "wh", .table = "t", .column = "c",
					  .kind = SCHEMA_WIDENED, .old_type = "integer",
					  .new_type = "bigint" };
	OK(store_schema_change_add(s, &sc, &E));
	OK(store_schema_change_list(s, "wh", NULL, 10, &v, &E));
	ck_assert_int_eq(v.len, 1);
	store_schema_change_list_free(&v);
	store_close(s);
}
END_TEST

START_TEST(pg_logs_queues_backfills_changes_prune)
{
	clock_set_source(NULL);
	struct store *s = open_store();
	struct store *b = open_store();
	struct store_watch watch;
	store_watch_init(&watch);
	unsigned changed = 0;
	OK(store_changed(b, &watch, &changed, &E));

	struct store_log_sink *ls = store_log_sink_open(url, NULL, &E);
	ck_assert_msg(ls != NULL, "%s", err_text(&E));
	int sink = log_add_sink(LOG_DEBUG, store_log_sink_fn(), ls);
	for (int i = 0; i < 3000; i++) {
		struct log_field f = { "n", "1" };
		log_emit((enum log_level)(i % 4), i % 5, NULL, i % 2 ? "pipe:p" : NULL, &f, 1,
			 "line %d%s", i, i % 100 == 0 ? " WITH Needle" : "");
	}
	store_log_sink_flush(ls);
	log_remove_sink(sink);
	struct err se;
	store_log_sink_error(ls, &se);
	ck_assert_msg(se.code == ERR_OK, "%s", err_text(&se));
	store_log_sink_close(ls);
	OK(store_changed(b, &watch, &changed, &E));
	ck_assert_uint_eq(changed, STORE_AREA_BIT(STORE_AREA_LOGS));

	struct store_log_filter f = { .search = "needle", .min_level = LOG_DEBUG, .limit = 7 };
	struct vec v = VEC_INIT;
	int seen = 0;
	int64_t before = 0;
	for (;;) {
		f.before_id = before;
		OK(store_log_query(s, &f, &v, &E));
		if (v.len == 0)
			break;
		seen += (int)v.len;
		before = ((struct store_log *)v.items[0])->id;
		store_log_list_free(&v);
	}
	store_log_list_free(&v);
	ck_assert_int_eq(seen, 30);
	struct store_log_filter g = { .run_id = 3, .object = "pipe:p", .min_level = LOG_WARN,
				      .after_id = 0, .limit = 10000 };
	OK(store_log_query(s, &g, &v, &E));
	int expect = 0;
	for (int i = 0; i < 3000; i++)
		expect += i % 5 == 3 && i % 2 && i % 4 >= LOG_WARN;
	ck_assert_int_eq(v.len, expect);
	ck_assert_str_eq(((struct store_log *)v.items[0])->fields, "{\"n\":\"1\"}");
	store_log_list_free(&v);

	int64_t nid = 0;
	OK(store_notify_enqueue(s, "alerts", "run_failed", "x", &nid, &E));
	struct store_notification *n = NULL;
	ck_assert_int_eq(store_notify_claim(s, &n, &E), 1);
	store_notify_free(n);
	ck_assert_int_eq(store_notify_claim(b, &n, &E), 0);
	OK(store_notify_failed(s, nid, "HTTP 500", true, 0, &E));
	OK(store_notify_list(s, 1u << NOTIFY_PENDING, 10, &v, &E));
	ck_assert_int_eq(v.len, 1);
	store_notify_list_free(&v);

	int64_t bf = 0;
	OK(store_backfill_create(s, "wh", "plan", "{}", "alice", &bf, &E));
	FAILS(store_backfill_create(b, "wh", "plan", "{}", "bob", NULL, &E), ERR_CONFLICT);
	OK(store_backfill_update(s, bf, &(struct store_backfill_move){
			.step = "compare", .state = BACKFILL_WAITING,
			.compare_json = "{\"x\":1}", .by = "engine" },
		&E));
	OK(store_backfill_update(s, bf, &(struct store_backfill_move){
			.step = "discard", .state = BACKFILL_DISCARDED, .by = "bob",
			.note = "not needed" },
		&E));
	OK(store_backfill_create(b, "wh", "plan", "{}", "bob", NULL, &E));
	OK(store_backfill_history(s, bf, &v, &E));
	ck_assert_int_eq(v.len, 3);
	store_backfill_history_free(&v);

	int64_t rq = 0;
	OK(store_request_add(b, "cancel", "run:1", NULL, "carol", &rq, &E));
	struct store_request *r = NULL;
	ck_assert_int_eq(store_request_claim(s, "engine", &r, &E), 1);
	store_request_free(r);
	ck_assert_int_eq(store_request_claim(b, "engine2", &r, &E), 0);
	OK(store_request_complete(s, rq, true, "ok", NULL, &E));
	OK(store_request_list(b, 5, &v, &E));
	ck_assert_int_eq(v.len, 1);
	ck_assert_int_eq(((struct store_request *)v.items[0])->state, REQUEST_DONE);
	store_request_list_free(&v);

	OK(store_changed(b, &watch, &changed, &E));
	ck_assert_uint_eq(changed, STORE_AREA_BIT(STORE_AREA_NOTIFY) |
				   STORE_AREA_BIT(STORE_AREA_BACKFILLS) |
				   STORE_AREA_BIT(STORE_AREA_REQUESTS));

	struct store_retention keep = { .log_max = 100, .notify_age = 1, .request_age = 1 };
	struct store_prune_stats stats;
	OK(store_prune(s, &keep, &stats, &E));
	ck_assert_int_eq(stats.logs, 2900);
	ck_assert_int_eq(stats.requests, 1);
	ck_assert_int_eq(stats.notifications, 0);
	store_close(b);
	store_close(s);
}
END_TEST

/* The server restarts under two handles that share a link (an engine's
 * threads): the next statement reconnects by itself; while the server
 * stays away, calls fail at once naming the control store, one handle at a
 * time tries again, and the loss and the return are each said once. */
START_TEST(pg_a_lost_server_is_reconnected_and_said_once)
{
	clock_set_source(NULL);
	struct test_log log;
	test_log_start(&log, LOG_INFO);
	struct store_link *link = store_link_new();
	struct store_options opt = { .link = link };
	struct store *a = store_open(url, &opt, &E);
	ck_assert_msg(a != NULL, "%s", err_text(&E));
	struct store *b = store_open(url, &opt, &E);
	ck_assert_msg(b != NULL, "%s", err_text(&E));
	OK(store_worker_register(a, "w", "host", 1, &E));

	/* Back before anyone noticed: the next call of each just works. */
	test_pg_cut(url, false);
	OK(store_worker_heartbeat(a, "w", &E));
	OK(store_worker_heartbeat(b, "w", &E));
	ck_assert_int_eq(test_log_count(&log, "the connection was lost"), 1);

	/* Away for a while. */
	test_pg_cut(url, true);
	for (int i = 0; i < 20; i++) {
		struct store *s = i % 2 ? a : b;
		ck_assert_int_lt(store_worker_heartbeat(s, "w", &E), 0);
		ck_assert_msg(strstr(E.msg, "control store host=") &&
			      strstr(E.msg, "unreachable"), "%s", E.msg);
		ck_assert(store_lost(s));
		usleep(50 * 1000);
	}
	ck_assert(store_link_down_for(link) >= 900 * USEC_PER_MSEC);
	test_pg_let_in(url);
	bool back = false;
	for (int i = 0; i < 100 && !back; i++) {
		back = store_worker_heartbeat(a, "w", &E) == 0;
		if (!back)
			usleep(50 * 1000);
	}
	ck_assert_msg(back, "%s", err_text(&E));
	ck_assert_int_eq(store_link_down_for(link), 0);
	OK(store_worker_heartbeat(b, "w", &E));
	ck_assert(!store_lost(a) && !store_lost(b));
	ck_assert_msg(test_log_count(&log, " lost: ") == 1 &&
		      test_log_count(&log, " is back ") == 1 &&
		      test_log_count(&log, "control store") == 3, "%s", test_log_text(&log));
	test_log_stop(&log);
	store_close(a);
	store_close(b);
	store_link_free(link);
}
END_TEST

START_TEST(pg_retention_kinds_budgets_and_dry_runs)
{
	store_case_retention();
}
END_TEST

START_TEST(pg_load_history_kept_while_its_files_are_seen)
{
	store_case_load_history_retention();
}
END_TEST

static Suite *store_pg_suite(void)
{
	Suite *s = suite_create("store_pg");
	TCase *tc = tcase_create("postgresql");
	tcase_add_checked_fixture(tc, setup, store_test_end);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pg_migrations_forward_and_refusal);
	tcase_add_test(tc, pg_read_only);
	tcase_add_test(tc, pg_load_attempts_one_row_each);
	tcase_add_test(tc, pg_audit_in_the_action_transaction);
	tcase_add_test(tc, pg_step_defs_once_per_text);
	tcase_add_test(tc, pg_rows_deleted_from_version_13);
	tcase_add_test(tc, pg_transitions_and_history);
	tcase_add_test(tc, pg_claim_skips_locked_rows);
	tcase_add_test(tc, pg_claims_exclusive_across_connections);
	tcase_add_test(tc, pg_watermarks_objects_workers_leases_cache);
	tcase_add_test(tc, pg_logs_queues_backfills_changes_prune);
	tcase_add_test(tc, pg_a_lost_server_is_reconnected_and_said_once);
	tcase_add_test(tc, pg_metrics_history_read_as_a_tail);
	tcase_add_test(tc, pg_retention_kinds_budgets_and_dry_runs);
	tcase_add_test(tc, pg_load_history_kept_while_its_files_are_seen);
	tcase_add_test(tc, pg_heartbeat_counts_what_waits);
	tcase_add_test(tc, pg_a_full_disk_is_an_io_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (!test_pg_conninfo()) {
		fprintf(stderr, "SKIP: SLUICE_TEST_PG is not set; run this test through "
			"make check (tests/lib/run-test starts a PostgreSQL server)\n");
		return 77;
	}
	SRunner *sr = srunner_create(store_pg_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
