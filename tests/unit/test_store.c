/*
 * test_store.c - the control store on SQLite, in a fresh directory per
 * test: migrations (from an old store, refusing a newer one), read-only
 * refusal, the run state machine, claiming across threads, every kind of
 * history, log paging over 50,000 records and the log sink, leases,
 * heartbeats and expiry on a replaced clock, queues, backfills, change
 * detection and retention.
 */
#include "store_testutil.h"

static char *dir;

static void setup(void)
{
	dir = test_mkdtemp();
	char *path = path_join(dir, ".sluice/control.db");
	store_test_begin(xasprintf("sqlite:%s", path));
	free(path);
}

static void teardown(void)
{
	store_test_end();
	test_rmdir(dir);
}

static struct store *open_ro(void)
{
	struct store_options o = { .read_only = true };
	struct store *s = store_open(url, &o, &E);
	ck_assert_msg(s != NULL, "read-only store_open: %s", err_text(&E));
	return s;
}

/* ---- opening and migrations ------------------------------------------------------- */
START_TEST(open_creates_directory_and_latest_schema)
{
	struct store *s = open_store();
	char *sluice_dir = path_join(dir, ".sluice");
	ck_assert(file_exists(sluice_dir));
	free(sluice_dir);
	int v = 0;
	OK(store_schema_version(s, &v, &E));
	ck_assert_int_eq(v, store_schema_latest());
	ck_assert_str_eq(store_backend(s), "sqlite");
	ck_assert(!store_is_read_only(s));
	int64_t id = new_run(s, "orders_etl", RUN_PENDING);
	ck_identity(s, false, 0);
	char *first = xstrdup(store_id(s));
	store_close(s);

	/* Opening again neither migrates twice nor loses anything. */
	s = open_store();
	ck_assert_int_eq(state_of(s, id), RUN_PENDING);
	ck_assert_str_eq(store_id(s), first);
	store_close(s);

	/* A new store at another place is another store. */
	char *other_url = xasprintf("sqlite:%s/other/control.db", dir);
	s = store_open(other_url, NULL, &E);
	ck_assert_msg(s != NULL, "%s", err_text(&E));
	ck_assert_str_ne(store_id(s), first);
	store_close(s);
	free(other_url);
	free(first);

	struct db *db = open_raw();
	int64_t rows = 0;
	OK(db_query_int(db, "SELECT max(version) FROM store_schema", NULL, 0, &rows, &E));
	ck_assert_int_eq(rows, store_schema_latest());
	char *mode = NULL;
	OK(db_query_value(db, "PRAGMA journal_mode", NULL, 0, &mode, &E));
	ck_assert_str_eq(mode, "wal");
	free(mode);
	db_close(db);
}
END_TEST

START_TEST(old_store_is_migrated_in_place)
{
	OK(store_migrate(url, NULL, 1, &E));
	struct db *db = open_raw();
	int64_t v = 0;
	OK(db_query_int(db, "SELECT max(version) FROM store_schema", NULL, 0, &v, &E));
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(db_table_exists(db, "logs", &E), 0);
	ck_assert_int_eq(db_table_exists(db, "runs", &E), 1);
	/* A run written by the old version. */
	OK(db_exec(db, "INSERT INTO runs (flow, state, trigger_kind, created_at, "
		   "updated_at) VALUES ('legacy_flow', 'COMPLETED', 'manual', 5, 5)",
		   NULL, 0, NULL, &E));
	db_close(db);

	struct store *s = open_store();
	int version = 0;
	OK(store_schema_version(s, &version, &E));
	ck_assert_int_eq(version, store_schema_latest());
	struct vec runs = VEC_INIT;
	struct store_run_filter f = { .flow = "legacy_flow" };
	OK(store_run_list(s, &f, &runs, &E));
	ck_assert_int_eq(runs.len, 1);
	struct store_run *r = runs.items[0];
	ck_assert_int_eq(r->state, RUN_COMPLETED);
	int64_t old_run = r->id;
	store_run_list_free(&runs);
	/* The later migrations' tables work. */
	struct log_record rec = { .time = T0, .level = LOG_INFO, .message = "after migration" };
	OK(store_log_append(s, &rec, NULL, &E));
	/* It did work before it had an id: its run 1 began without one. */
	ck_identity(s, true, old_run);
	store_close(s);

	/* Going backwards is refused. */
	FAILS(store_migrate(url, NULL, 1, &E), ERR_VERSION);
}
END_TEST

START_TEST(newer_store_is_refused)
{
	store_close(open_store());
	int newer = store_schema_latest() + 3;
	store_set_version(newer);

	ck_assert_ptr_null(store_open(url, NULL, &E));
	ck_assert_int_eq(E.code, ERR_VERSION);
	char *want = xasprintf("control store %s/.sluice/control.db is at schema version %d, "
			       "but this sluice knows only up to %d; upgrade sluice",
			       dir, newer, store_schema_latest());
	ck_assert_str_eq(E.msg, want);
	free(want);

	struct store_options ro = { .read_only = true };
	ck_assert_ptr_null(store_open(url, &ro, &E));
	ck_assert_int_eq(E.code, ERR_VERSION);
	ck_assert(strstr(E.msg, "upgrade sluice") != NULL);
}
END_TEST

START_TEST(read_only_refuses_every_write)
{
	struct store *w = open_store();
	int64_t id = new_run(w, "orders_etl", RUN_PENDING);
	int64_t bf = 0;
	OK(store_backfill_create(w, "orders_etl", "plan", NULL, "alice", &bf, &E));
	store_close(w);

	struct store *s = open_ro();
	ck_assert(store_is_read_only(s));
	ck_assert_int_eq(state_of(s, id), RUN_PENDING);

	struct store_run_spec spec = { .flow = "f", .state = RUN_PENDING };
	struct store_run *run = NULL;
	struct store_step step = { .run_id = id, .step = "extract", .state = STEP_RUNNING };
	struct store_task_entry te = { .task = "t", .state = TASK_SUCCEEDED };
	struct store_load ld = { .pipe = "p", .file_key = "k", .status = LOAD_LOADED };
	struct store_watermark *wm = NULL;
	struct log_record rec = { .level = LOG_INFO, .message = "x" };
	struct store_schema_change sc = { .connection = "c", .table = "t", .column = "c" };
	struct store_notification *n = NULL;
	struct store_validation val = { .run_id = id, .step = "v", .check = "c" };
	struct store_request *req = NULL;
	struct store_retention keep = { .log_max = 1 };

	FAILS(store_run_create(s, &spec, NULL, &E), ERR_READONLY);
	FAILS(store_run_transition(s, id, RUN_RUNNING, NULL, NULL, &E), ERR_READONLY);
	FAILS(store_run_retry_at(s, id, T0, NULL, NULL, &E), ERR_READONLY);
	FAILS(store_run_set_rows(s, id, 1, 1, &E), ERR_READONLY);
	FAILS(store_run_claim(s, "w1", NULL, &run, &E), ERR_READONLY);
	FAILS(store_run_claim_id(s, id, "w1", &run, &E), ERR_READONLY);
	FAILS(store_flow_limit_set(s, "f", 2, &E), ERR_READONLY);
	FAILS(store_step_put(s, &step, &E), ERR_READONLY);
	FAILS(store_task_add(s, &te, NULL, &E), ERR_READONLY);
	FAILS(store_task_update(s, &te, &E), ERR_READONLY);
	FAILS(store_load_add(s, &ld, NULL, &E), ERR_READONLY);
	FAILS(store_wm_plan(s, "f", "s", "t", id, NULL, "9", &wm, &E), ERR_READONLY);
	FAILS(store_wm_commit_run(s, id, NULL, &E), ERR_READONLY);
	FAILS(store_wm_commit(s, "f", "s", "t", id, &E), ERR_READONLY);
	FAILS(store_wm_clear_run(s, id, NULL, &E), ERR_READONLY);
	FAILS(store_wm_set(s, "f", "s", "t", "1", &E), ERR_READONLY);
	FAILS(store_stream_mirror(s, "st", "1", 0, &E), ERR_READONLY);
	FAILS(store_log_append(s, &rec, NULL, &E), ERR_READONLY);
	FAILS(store_object_set(s, "pipe:p", "PAUSED", NULL, "bob", &E), ERR_READONLY);
	FAILS(store_worker_register(s, "w1", "h", 1, &E), ERR_READONLY);
	FAILS(store_worker_heartbeat(s, "w1", &E), ERR_READONLY);
	FAILS(store_worker_remove(s, "w1", &E), ERR_READONLY);
	FAILS(store_lease_acquire(s, "scheduler", "w1", SEC(10), NULL, &E), ERR_READONLY);
	FAILS(store_lease_release(s, "scheduler", "w1", &E), ERR_READONLY);
	FAILS(store_cache_put(s, "k", "v", 0, 0, &E), ERR_READONLY);
	FAILS(store_cache_delete(s, "k", &E), ERR_READONLY);
	FAILS(store_cache_purge(s, NULL, &E), ERR_READONLY);
	FAILS(store_schema_change_add(s, &sc, &E), ERR_READONLY);
	FAILS(store_notify_enqueue(s, "alerts", "run_failed", "x", NULL, &E), ERR_READONLY);
	FAILS(store_notify_claim(s, &n, &E), ERR_READONLY);
	FAILS(store_notify_sent(s, 1, &E), ERR_READONLY);
	FAILS(store_notify_failed(s, 1, "x", true, 0, &E), ERR_READONLY);
	FAILS(store_validation_add(s, &val, &E), ERR_READONLY);
	FAILS(store_backfill_create(s, "other", "plan", NULL, "bob", NULL, &E), ERR_READONLY);
	FAILS(store_backfill_update(s, bf, &(struct store_backfill_move){
			.step = "suspend", .state = BACKFILL_WORKING, .by = "bob" },
		&E), ERR_READONLY);
	FAILS(store_request_add(s, "refresh", "pipe:p", NULL, "bob", NULL, &E), ERR_READONLY);
	FAILS(store_request_claim(s, "w1", &req, &E), ERR_READONLY);
	FAILS(store_request_complete(s, 1, true, NULL, NULL, &E), ERR_READONLY);
	FAILS(store_prune(s, &keep, NULL, &E), ERR_READONLY);
	ck_assert(strstr(E.msg, "read-only") != NULL);
	ck_assert_int_eq(state_of(s, id), RUN_PENDING);

	/* Reads work, including change detection. */
	struct store_watch watch;
	store_watch_init(&watch);
	unsigned changed = 0;
	OK(store_changed(s, &watch, &changed, &E));
	ck_assert_uint_ne(changed, 0);
	store_close(s);

	struct store_options ro = { .read_only = true };
	ck_assert_ptr_null(store_log_sink_open(url, &ro, &E));
	ck_assert_int_eq(E.code, ERR_READONLY);
}
END_TEST

START_TEST(read_only_never_creates_or_migrates)
{
	struct store_options ro = { .read_only = true };
	ck_assert_ptr_null(store_open(url, &ro, &E));
	ck_assert_int_eq(E.code, ERR_NOTFOUND);
	ck_assert(strstr(E.msg, "does not exist") != NULL);
	char *sluice_dir = path_join(dir, ".sluice/control.db");
	ck_assert(!file_exists(sluice_dir));
	free(sluice_dir);

	OK(store_migrate(url, NULL, 1, &E));
	ck_assert_ptr_null(store_open(url, &ro, &E));
	ck_assert_int_eq(E.code, ERR_VERSION);
	ck_assert(strstr(E.msg, "is at schema version 1 and needs migrating") != NULL);
	/* Still at version 1: nothing was migrated. */
	struct db *db = open_raw();
	int64_t v = 0;
	OK(db_query_int(db, "SELECT max(version) FROM store_schema", NULL, 0, &v, &E));
	ck_assert_int_eq(v, 1);
	db_close(db);
}
END_TEST

/* ---- the run state machine ----------------------------------------------------------- */

/* The moves DESIGN.md's run model allows, written out independently of
 * the store's own table. */
static const char *const legal[] = {
	"SCHEDULED>LATE", "SCHEDULED>PENDING", "SCHEDULED>RUNNING", "SCHEDULED>CANCELLED",
	"LATE>PENDING", "LATE>RUNNING", "LATE>CANCELLED",
	"PENDING>RUNNING", "PENDING>CANCELLED",
	"PENDING>FAILED",        /* a bad parameter fails the run before it runs */
	"RUNNING>COMPLETED", "RUNNING>CACHED", "RUNNING>FAILED", "RUNNING>RETRYING",
	"RUNNING>CANCELLING", "RUNNING>CANCELLED", "RUNNING>CRASHED",
	"RUNNING>PENDING",       /* a draining worker hands the run back */
	"RETRYING>PENDING", "RETRYING>RUNNING", "RETRYING>FAILED", "RETRYING>CANCELLED",
	"CANCELLING>CANCELLED", "CANCELLING>COMPLETED", "CANCELLING>FAILED",
	"CANCELLING>CRASHED",
	"CRASHED>RETRYING",      /* crash recovery retries the same run in place */
};

static bool is_legal(enum run_state from, enum run_state to)
{
	char key[64];
	snprintf(key, sizeof key, "%s>%s", run_state_name(from), run_state_name(to));
	for (size_t i = 0; i < ARRAY_LEN(legal); i++)
		if (strcmp(legal[i], key) == 0)
			return true;
	return false;
}

/* A fresh run brought to `st` by legal moves. */
static int64_t run_in_state(struct store *s, enum run_state st)
{
	int64_t id = new_run(s, "f", st == RUN_SCHEDULED || st == RUN_LATE
				     ? RUN_SCHEDULED : RUN_PENDING);
	if (st == RUN_SCHEDULED || st == RUN_PENDING)
		return id;
	if (st == RUN_LATE) {
		OK(store_run_transition(s, id, RUN_LATE, "late", NULL, &E));
		return id;
	}
	OK(store_run_transition(s, id, RUN_RUNNING, NULL, NULL, &E));
	if (st != RUN_RUNNING)
		OK(store_run_transition(s, id, st, NULL, NULL, &E));
	return id;
}

static int64_t transition_count(struct store *s, int64_t id)
{
	struct vec v = VEC_INIT;
	OK(store_run_transitions(s, id, &v, &E));
	int64_t n = (int64_t)v.len;
	store_transition_list_free(&v);
	return n;
}

START_TEST(every_run_transition_checked)
{
	struct store *s = open_store();
	int legal_seen = 0;
	for (int from = 0; from < RUN_STATE_COUNT; from++) {
		for (int to = 0; to < RUN_STATE_COUNT; to++) {
			int64_t id = run_in_state(s, from);
			ck_assert_int_eq(state_of(s, id), from);
			int64_t before = transition_count(s, id);
			bool want = is_legal(from, to);
			ck_assert_int_eq(run_transition_allowed(from, to), want);
			err_clear(&E);
			int rc = store_run_transition(s, id, to, "test", NULL, &E);
			if (want) {
				ck_assert_msg(rc == 0, "%s -> %s: %s", run_state_name(from),
					      run_state_name(to), err_text(&E));
				ck_assert_int_eq(state_of(s, id), to);
				ck_assert_int_eq(transition_count(s, id), before + 1);
				legal_seen++;
				continue;
			}
			ck_assert_msg(rc < 0, "%s -> %s was allowed", run_state_name(from),
				      run_state_name(to));
			ck_assert_int_eq(E.code, ERR_CONFLICT);
			char *msg = xasprintf("run %lld: cannot go from %s to %s",
					      (long long)id, run_state_name(from),
					      run_state_name(to));
			ck_assert_str_eq(E.msg, msg);
			free(msg);
			ck_assert_int_eq(state_of(s, id), from);
			ck_assert_int_eq(transition_count(s, id), before);
		}
	}
	ck_assert_int_eq(legal_seen, (int)ARRAY_LEN(legal));
	for (int st = 0; st < RUN_STATE_COUNT; st++) {
		enum run_state back;
		ck_assert(run_state_parse(run_state_name(st), &back));
		ck_assert_int_eq(back, st);
	}
	FAILS(store_run_transition(s, 99999, RUN_RUNNING, NULL, NULL, &E), ERR_NOTFOUND);
	store_close(s);
}
END_TEST

static void move_to_no_state(void *p)
{
	struct store *s = open_store();
	store_run_transition(s, *(int64_t *)p, RUN_STATE_COUNT, "test", NULL, &E);
}

/* No code makes a state outside the enum: asking for one is a bug, and the
 * store stops before it writes anything. */
START_TEST(a_state_outside_the_enum_is_a_bug)
{
	struct store *s = open_store();
	int64_t id = run_in_state(s, RUN_PENDING);
	int64_t before = transition_count(s, id);
	int status;
	char *said = test_child_stderr(move_to_no_state, &id, &status);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "%s", said);
	ck_assert_msg(strstr(said, "BUG at src/store/runs.c:") &&
		      strstr(said, "(unsigned)m->to >= RUN_STATE_COUNT"), "%s", said);
	ck_assert_int_eq(state_of(s, id), RUN_PENDING);
	ck_assert_int_eq(transition_count(s, id), before);
	free(said);
	store_close(s);
}
END_TEST

START_TEST(transitions_recorded_with_time_and_reason)
{
	struct store *s = open_store();
	int64_t id = new_run(s, "orders_etl", RUN_PENDING);
	fake_now = T0 + SEC(1);
	OK(store_run_transition(s, id, RUN_RUNNING, "started by w1", NULL, &E));
	fake_now = T0 + SEC(2);
	OK(store_run_retry_at(s, id, T0 + SEC(12), NULL,
			      "load failed: duplicate key\nDETAIL: Key (id)=(7) exists.", &E));
	struct store_run *r = store_run_get(s, id, &E);
	ck_assert_int_eq(r->state, RUN_RETRYING);
	ck_assert_str_eq(r->error, "load failed: duplicate key");
	ck_assert(strstr(r->error_detail, "Key (id)=(7)") != NULL);
	ck_assert_int_eq(r->next_retry, T0 + SEC(12));
	ck_assert_int_eq(r->attempt, 1);
	store_run_free(r);

	fake_now = T0 + SEC(12);
	OK(store_run_transition(s, id, RUN_RUNNING, "retry 2 of 3", NULL, &E));
	fake_now = T0 + SEC(20);
	OK(store_run_set_rows(s, id, 812, 790, &E));
	OK(store_run_transition(s, id, RUN_COMPLETED, "all steps done", NULL, &E));

	r = store_run_get(s, id, &E);
	ck_assert_int_eq(r->state, RUN_COMPLETED);
	ck_assert_int_eq(r->attempt, 2);
	ck_assert_int_eq(r->started, T0 + SEC(1));
	ck_assert_int_eq(r->ended, T0 + SEC(20));
	ck_assert_int_eq(r->created, T0);
	ck_assert_int_eq(r->next_retry, 0);
	ck_assert_ptr_null(r->error);
	ck_assert_int_eq(r->rows_in, 812);
	ck_assert_int_eq(r->rows_out, 790);
	ck_assert_str_eq(r->reason, "all steps done");
	ck_assert_str_eq(r->params, "{}");
	ck_assert_int_eq(r->trigger, TRIGGER_MANUAL);
	store_run_free(r);

	struct vec t = VEC_INIT;
	OK(store_run_transitions(s, id, &t, &E));
	ck_assert_int_eq(t.len, 5);
	static const struct { int from, to; usec_t at; const char *reason; } want[] = {
		{ -1, RUN_PENDING, 0, "created" },
		{ RUN_PENDING, RUN_RUNNING, 1, "started by w1" },
		{ RUN_RUNNING, RUN_RETRYING, 2, "load failed: duplicate key" },
		{ RUN_RETRYING, RUN_RUNNING, 12, "retry 2 of 3" },
		{ RUN_RUNNING, RUN_COMPLETED, 20, "all steps done" },
	};
	for (size_t i = 0; i < t.len; i++) {
		struct store_transition *tr = t.items[i];
		ck_assert_int_eq(tr->run_id, id);
		ck_assert_int_eq(tr->has_from, want[i].from >= 0);
		if (want[i].from >= 0)
			ck_assert_int_eq(tr->from, want[i].from);
		ck_assert_int_eq(tr->to, want[i].to);
		ck_assert_int_eq(tr->at, T0 + SEC(want[i].at));
		ck_assert_str_eq(tr->reason, want[i].reason);
	}
	store_transition_list_free(&t);
	store_close(s);
}
END_TEST

START_TEST(run_spec_validated)
{
	struct store *s = open_store();
	struct store_run_spec spec = { .flow = NULL, .state = RUN_PENDING };
	FAILS(store_run_create(s, &spec, NULL, &E), ERR_INVALID);
	spec.flow = "f";
	spec.state = RUN_RUNNING;
	FAILS(store_run_create(s, &spec, NULL, &E), ERR_INVALID);
	spec.state = RUN_SCHEDULED;
	spec.trigger = TRIGGER_TASK;
	spec.trigger_detail = "nightly";
	spec.params = "{\"since\":\"2024-01-01\"}";
	spec.environment = "prod";
	spec.scheduled = T0 + SEC(60);
	int64_t id = 0;
	OK(store_run_create(s, &spec, &id, &E));
	struct store_run *r = store_run_get(s, id, &E);
	ck_assert_int_eq(r->trigger, TRIGGER_TASK);
	ck_assert_str_eq(r->trigger_detail, "nightly");
	ck_assert_str_eq(r->params, "{\"since\":\"2024-01-01\"}");
	ck_assert_str_eq(r->environment, "prod");
	ck_assert_int_eq(r->scheduled, T0 + SEC(60));
	ck_assert_int_eq(r->max_attempts, 1);
	store_run_free(r);
	ck_assert_ptr_null(store_run_get(s, id + 1, &E));
	ck_assert_int_eq(E.code, ERR_NOTFOUND);
	store_close(s);
}
END_TEST

START_TEST(run_listing_filters_pages_and_counts)
{
	struct store *s = open_store();
	/* 300 runs over three flows and several states. */
	for (int i = 0; i < 300; i++) {
		fake_now = T0 + SEC(i);
		const char *flow = i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c";
		int64_t id = new_run(s, flow, RUN_PENDING);
		if (i % 5 == 0)
			continue;
		OK(store_run_transition(s, id, RUN_RUNNING, NULL, NULL, &E));
		if (i % 5 == 1)
			OK(store_run_transition(s, id, RUN_FAILED, NULL, "boom", &E));
		else if (i % 5 != 2)
			OK(store_run_transition(s, id, RUN_COMPLETED, NULL, NULL, &E));
	}
	int64_t counts[RUN_STATE_COUNT];
	OK(store_run_counts(s, NULL, 0, counts, &E));
	ck_assert_int_eq(counts[RUN_PENDING], 60);
	ck_assert_int_eq(counts[RUN_FAILED], 60);
	ck_assert_int_eq(counts[RUN_RUNNING], 60);
	ck_assert_int_eq(counts[RUN_COMPLETED], 120);
	ck_assert_int_eq(counts[RUN_CRASHED], 0);
	OK(store_run_counts(s, "a", T0 + SEC(150), counts, &E));
	int64_t total = 0;
	for (int i = 0; i < RUN_STATE_COUNT; i++)
		total += counts[i];
	ck_assert_int_eq(total, 50);

	/* Flow b, failed or running, newest first, pages of 7. */
	struct store_run_filter f = { .flow = "b",
		.states = RUN_STATE_BIT(RUN_FAILED) | RUN_STATE_BIT(RUN_RUNNING), .limit = 7 };
	int64_t n = 0;
	OK(store_run_count(s, &f, &n, &E));
	int64_t expect = 0;
	for (int i = 0; i < 300; i++)
		if (i % 3 == 1 && (i % 5 == 1 || i % 5 == 2))
			expect++;
	ck_assert_int_eq(n, expect);
	int64_t seen = 0, last_id = INT64_MAX;
	for (f.offset = 0;; f.offset += 7) {
		struct vec page = VEC_INIT;
		OK(store_run_list(s, &f, &page, &E));
		for (size_t i = 0; i < page.len; i++) {
			struct store_run *r = page.items[i];
			ck_assert_str_eq(r->flow, "b");
			ck_assert(r->state == RUN_FAILED || r->state == RUN_RUNNING);
			ck_assert_int_lt(r->id, last_id);
			last_id = r->id;
			seen++;
		}
		size_t got = page.len;
		store_run_list_free(&page);
		if (got < 7)
			break;
	}
	ck_assert_int_eq(seen, expect);

	struct store_run_filter oldest = { .sort = RUN_SORT_OLDEST, .limit = 3,
					   .since = T0 + SEC(100) };
	struct vec v = VEC_INIT;
	OK(store_run_list(s, &oldest, &v, &E));
	ck_assert_int_eq(v.len, 3);
	ck_assert_int_eq(((struct store_run *)v.items[0])->created, T0 + SEC(100));
	store_run_list_free(&v);
	store_close(s);
}
END_TEST

/* ---- claiming -------------------------------------------------------------------------- */
START_TEST(claim_takes_due_runs_within_limits)
{
	struct store *s = open_store();
	struct store_run *r = NULL;
	ck_assert_int_eq(store_run_claim(s, "w1", NULL, &r, &E), 0);

	/* Scheduled a minute ahead: not yet. */
	struct store_run_spec later = { .flow = "hourly", .state = RUN_SCHEDULED,
					.scheduled = T0 + SEC(60) };
	int64_t sched = 0;
	OK(store_run_create(s, &later, &sched, &E));
	ck_assert_int_eq(store_run_claim(s, "w1", NULL, &r, &E), 0);

	int64_t a1 = new_run(s, "a", RUN_PENDING);
	int64_t a2 = new_run(s, "a", RUN_PENDING);
	int64_t b1 = new_run(s, "b", RUN_PENDING);

	ck_assert_int_eq(store_run_claim(s, "w1", NULL, &r, &E), 1);
	ck_assert_int_eq(r->id, a1);
	ck_assert_int_eq(r->state, RUN_RUNNING);
	ck_assert_str_eq(r->worker, "w1");
	ck_assert_int_eq(r->started, T0);
	store_run_free(r);
	/* Flow a is at its default limit of 1: b comes next, then nothing. */
	ck_assert_int_eq(store_run_claim(s, "w2", NULL, &r, &E), 1);
	ck_assert_int_eq(r->id, b1);
	store_run_free(r);
	ck_assert_int_eq(store_run_claim(s, "w2", NULL, &r, &E), 0);
	ck_assert_ptr_null(r);

	/* Raising the limit lets a2 go. */
	OK(store_flow_limit_set(s, "a", 2, &E));
	int lim = 0;
	ck_assert_int_eq(store_flow_limit_get(s, "a", &lim, &E), 1);
	ck_assert_int_eq(lim, 2);
	ck_assert_int_eq(store_flow_limit_get(s, "zzz", &lim, &E), 0);
	ck_assert_int_eq(store_run_claim(s, "w2", "b", &r, &E), 0);
	ck_assert_int_eq(store_run_claim(s, "w2", "a", &r, &E), 1);
	ck_assert_int_eq(r->id, a2);
	store_run_free(r);

	/* The scheduled run becomes due when its time comes. */
	fake_now = T0 + SEC(60);
	ck_assert_int_eq(store_run_claim(s, "w3", NULL, &r, &E), 1);
	ck_assert_int_eq(r->id, sched);
	store_run_free(r);

	/* A retry waits for its time, and counts an attempt when claimed. */
	OK(store_run_retry_at(s, b1, T0 + SEC(90), "retry", "boom", &E));
	ck_assert_int_eq(store_run_claim(s, "w1", "b", &r, &E), 0);
	fake_now = T0 + SEC(90);
	ck_assert_int_eq(store_run_claim(s, "w1", "b", &r, &E), 1);
	ck_assert_int_eq(r->id, b1);
	ck_assert_int_eq(r->attempt, 2);
	store_run_free(r);

	/* Unlimited flows. */
	OK(store_flow_limit_set(s, "bulk", 0, &E));
	for (int i = 0; i < 5; i++)
		new_run(s, "bulk", RUN_PENDING);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(store_run_claim(s, "w9", "bulk", &r, &E), 1);
		store_run_free(r);
	}

	FAILS(store_run_claim_id(s, a1, "w1", &r, &E), ERR_CONFLICT);
	ck_assert(strstr(E.msg, "is RUNNING") != NULL);
	int64_t c1 = new_run(s, "a", RUN_PENDING);
	OK(store_run_claim_id(s, c1, "console", &r, &E));
	ck_assert_str_eq(r->worker, "console");
	store_run_free(r);
	store_close(s);
}
END_TEST

/* Work pools: a worker takes only its pools' runs; one with no pool only
 * runs without one.  A request for one worker goes to that worker alone. */
START_TEST(claims_follow_pools)
{
	struct store *s = open_store();
	OK(store_flow_limit_set(s, "f", 0, &E));
	struct store_run_spec in_a = { .flow = "f", .state = RUN_PENDING, .pool = "A" };
	struct store_run_spec in_b = { .flow = "f", .state = RUN_PENDING, .pool = "B" };
	int64_t a = 0, b = 0;
	OK(store_run_create(s, &in_a, &a, &E));
	OK(store_run_create(s, &in_b, &b, &E));
	int64_t none = new_run(s, "f", RUN_PENDING);
	struct store_run *r = NULL;
	const char *pools_c[] = { "C" }, *pools_ba[] = { "B", "A" };
	ck_assert_int_eq(store_run_claim_pools(s, "wc", NULL, pools_c, 1, &r, &E), 0);
	ck_assert_int_eq(store_run_claim(s, "w0", NULL, &r, &E), 1);
	ck_assert_int_eq(r->id, none);
	ck_assert_ptr_null(r->pool);
	store_run_free(r);
	ck_assert_int_eq(store_run_claim(s, "w0", NULL, &r, &E), 0);
	ck_assert_int_eq(store_run_claim_pools(s, "wab", NULL, pools_ba, 2, &r, &E), 1);
	ck_assert_int_eq(r->id, a);
	ck_assert_str_eq(r->pool, "A");
	store_run_free(r);
	ck_assert_int_eq(store_run_claim_pools(s, "wab", NULL, pools_ba, 2, &r, &E), 1);
	ck_assert_int_eq(r->id, b);
	store_run_free(r);

	OK(store_worker_register_pools(s, "wab", "h", 1, "B,A", &E));
	struct vec ws = VEC_INIT;
	OK(store_worker_list(s, &ws, &E));
	ck_assert_int_eq(ws.len, 1);
	ck_assert_str_eq(((struct store_worker *)ws.items[0])->pools, "B,A");
	ck_assert_int_eq(((struct store_worker *)ws.items[0])->in_flight, 2);
	store_worker_list_free(&ws);

	OK(store_request_add(s, "drain", "worker:wab", NULL, "op", NULL, &E));
	struct store_request *rq = NULL;
	ck_assert_int_eq(store_request_claim(s, "w0", &rq, &E), 0);
	ck_assert_int_eq(store_request_claim_target(s, "w0", "worker:w0", &rq, &E), 0);
	ck_assert_int_eq(store_request_claim_target(s, "wab", "worker:wab", &rq, &E), 1);
	ck_assert_str_eq(rq->kind, "drain");
	store_request_free(rq);
	store_close(s);
}
END_TEST

START_TEST(heartbeat_counts_what_waits)
{
	store_case_heartbeat_counts();
}
END_TEST

/* Several reads in one transaction see one snapshot and end cleanly, also
 * after a read inside failed. */
START_TEST(read_transaction_wraps_reads)
{
	struct store *s = open_store();
	new_run(s, "f", RUN_PENDING);
	OK(store_read_begin(s, &E));
	struct vec runs = VEC_INIT;
	struct store_run_filter f = { .limit = 10 };
	OK(store_run_list(s, &f, &runs, &E));
	ck_assert_int_eq(runs.len, 1);
	store_run_list_free(&runs);
	store_read_end(s);
	/* writes go on after it */
	new_run(s, "f", RUN_PENDING);
	OK(store_run_list(s, &f, &runs, &E));
	ck_assert_int_eq(runs.len, 2);
	store_run_list_free(&runs);
	store_close(s);
}
END_TEST

START_TEST(claims_are_exclusive_across_threads)
{
	clock_set_source(NULL);
	struct store *s = open_store();
	OK(store_flow_limit_set(s, "many", 0, &E));
	enum { N = 300 };
	for (int i = 0; i < N; i++)
		new_run(s, "many", RUN_PENDING);
	struct claimer c[2] = { { .worker = "w1" }, { .worker = "w2" } };
	run_claimers(c, 2);
	ck_claimed_once(c, 2, N);
	claimers_free(c, 2);

	/* A flow limited to one run: two claimers, one wins. */
	for (int i = 0; i < 4; i++)
		new_run(s, "single", RUN_PENDING);
	struct claimer d[2] = { { .worker = "w1", .flow = "single", .max = 3 },
				{ .worker = "w2", .flow = "single", .max = 3 } };
	run_claimers(d, 2);
	ck_assert_str_eq(d[0].error, "");
	ck_assert_str_eq(d[1].error, "");
	ck_assert_int_eq(d[0].ids.len + d[1].ids.len, 1);
	claimers_free(d, 2);
	store_close(s);
}
END_TEST

/* ---- steps, validation ------------------------------------------------------------------ */
START_TEST(step_runs_and_validation_results)
{
	struct store *s = open_store();
	int64_t id = new_run(s, "orders_etl", RUN_PENDING);
	struct store_step st = { .run_id = id, .step = "extract", .state = STEP_RUNNING,
				 .started = T0 + SEC(1) };
	OK(store_step_put(s, &st, &E));
	st.state = STEP_COMPLETED;
	st.ended = T0 + SEC(5);
	st.rows_in = 10;
	st.rows_out = 10;
	OK(store_step_put(s, &st, &E));
	struct store_step load = { .run_id = id, .step = "load", .state = STEP_FAILED,
				   .attempt = 2, .started = T0 + SEC(6),
				   .error = "duplicate key\nfull detail" };
	OK(store_step_put(s, &load, &E));
	struct store_step cached = { .run_id = id, .step = "normalize", .state = STEP_CACHED,
				     .cached = true, .cache_key = "abc123", .started = T0 + SEC(5) };
	OK(store_step_put(s, &cached, &E));
	struct store_step waiting = { .run_id = id, .step = "notify", .state = STEP_PENDING };
	OK(store_step_put(s, &waiting, &E));

	struct vec v = VEC_INIT;
	OK(store_step_list(s, id, &v, &E));
	ck_assert_int_eq(v.len, 4);
	const char *order[] = { "extract", "normalize", "load", "notify" };
	for (size_t i = 0; i < v.len; i++)
		ck_assert_str_eq(((struct store_step *)v.items[i])->step, order[i]);
	struct store_step *e0 = v.items[0];
	ck_assert_int_eq(e0->state, STEP_COMPLETED);
	ck_assert_int_eq(e0->rows_out, 10);
	ck_assert_int_eq(e0->ended, T0 + SEC(5));
	struct store_step *l = v.items[2];
	ck_assert_str_eq(l->error, "duplicate key");
	ck_assert_str_eq(l->error_detail, "duplicate key\nfull detail");
	ck_assert_int_eq(l->attempt, 2);
	ck_assert(((struct store_step *)v.items[1])->cached);
	ck_assert_str_eq(((struct store_step *)v.items[1])->cache_key, "abc123");
	store_step_list_free(&v);

	struct store_step *one = NULL;
	ck_assert_int_eq(store_step_get(s, id, "load", &one, &E), 1);
	ck_assert_int_eq(one->state, STEP_FAILED);
	store_step_free(one);
	ck_assert_int_eq(store_step_get(s, id, "nope", &one, &E), 0);
	struct store_step orphan = { .run_id = id + 100, .step = "x", .state = STEP_RUNNING };
	FAILS(store_step_put(s, &orphan, &E), ERR_NOTFOUND);

	struct store_validation checks[] = {
		{ .run_id = id, .step = "validate", .check = "orders_not_null",
		  .severity = SEVERITY_ERROR, .passed = true },
		{ .run_id = id, .step = "validate", .check = "unit_price_positive",
		  .severity = SEVERITY_WARN, .passed = false, .violations = 3,
		  .sample = "order 7: -1.00" },
	};
	for (size_t i = 0; i < ARRAY_LEN(checks); i++)
		OK(store_validation_add(s, &checks[i], &E));
	OK(store_validation_list(s, id, "validate", &v, &E));
	ck_assert_int_eq(v.len, 2);
	struct store_validation *bad = v.items[1];
	ck_assert_str_eq(bad->check, "unit_price_positive");
	ck_assert(!bad->passed);
	ck_assert_int_eq(bad->severity, SEVERITY_WARN);
	ck_assert_int_eq(bad->violations, 3);
	ck_assert_str_eq(bad->sample, "order 7: -1.00");
	ck_assert(((struct store_validation *)v.items[0])->passed);
	ck_assert_int_eq(((struct store_validation *)v.items[0])->severity, SEVERITY_ERROR);
	store_validation_list_free(&v);
	store_close(s);
}
END_TEST

/* ---- task history ------------------------------------------------------------------- */
static void task_entry(struct store *s, const char *task, enum task_state st, usec_t at)
{
	struct store_task_entry t = { .task = (char *)task, .state = st, .scheduled = at,
				      .started = at, .completed = at + SEC(1),
				      .error = st == TASK_FAILED ? "boom" : NULL };
	OK(store_task_add(s, &t, NULL, &E));
}

START_TEST(task_history_and_failure_counts)
{
	struct store *s = open_store();
	int n = -1;
	OK(store_task_failures(s, "nightly", 0, &n, &E));
	ck_assert_int_eq(n, 0);

	task_entry(s, "nightly", TASK_FAILED, T0);
	task_entry(s, "nightly", TASK_SUCCEEDED, T0 + SEC(10));
	task_entry(s, "nightly", TASK_FAILED, T0 + SEC(20));
	task_entry(s, "nightly", TASK_SKIPPED, T0 + SEC(30));
	task_entry(s, "nightly", TASK_FAILED, T0 + SEC(40));
	task_entry(s, "other", TASK_FAILED, T0 + SEC(45));
	task_entry(s, "nightly", TASK_FAILED, T0 + SEC(50));
	OK(store_task_failures(s, "nightly", 0, &n, &E));
	ck_assert_int_eq(n, 3);
	/* Resumed at 45s: only what failed since counts. */
	OK(store_task_failures(s, "nightly", T0 + SEC(45), &n, &E));
	ck_assert_int_eq(n, 1);

	/* A tick in flight, updated when it ends. */
	struct store_task_entry t = { .task = "nightly", .state = TASK_EXECUTING,
				      .scheduled = T0 + SEC(60), .started = T0 + SEC(60),
				      .condition = "stream_rows(orders_stream) = 812 > 500: true" };
	OK(store_task_add(s, &t, &t.id, &E));
	struct store_task_entry *last = NULL;
	ck_assert_int_eq(store_task_last(s, "nightly", &last, &E), 1);
	ck_assert_int_eq(last->state, TASK_FAILED);
	ck_assert_int_eq(last->started, T0 + SEC(50));
	store_task_free(last);
	t.state = TASK_SUCCEEDED;
	t.completed = T0 + SEC(70);
	t.run_id = 42;
	OK(store_task_update(s, &t, &E));
	ck_assert_int_eq(store_task_last(s, "nightly", &last, &E), 1);
	ck_assert_int_eq(last->state, TASK_SUCCEEDED);
	ck_assert_int_eq(last->run_id, 42);
	ck_assert_str_eq(last->condition, "stream_rows(orders_stream) = 812 > 500: true");
	store_task_free(last);
	OK(store_task_failures(s, "nightly", 0, &n, &E));
	ck_assert_int_eq(n, 0);

	struct vec v = VEC_INIT;
	OK(store_task_list(s, "nightly", 2, 1, &v, &E));
	ck_assert_int_eq(v.len, 2);
	ck_assert_int_eq(((struct store_task_entry *)v.items[0])->scheduled, T0 + SEC(50));
	ck_assert_int_eq(((struct store_task_entry *)v.items[1])->scheduled, T0 + SEC(40));
	ck_assert_str_eq(((struct store_task_entry *)v.items[1])->error, "boom");
	store_task_list_free(&v);
	ck_assert_int_eq(store_task_last(s, "never", &last, &E), 0);
	t.id = 9999;
	FAILS(store_task_update(s, &t, &E), ERR_NOTFOUND);
	store_close(s);
}
END_TEST

/* ---- load history ------------------------------------------------------------------------- */
START_TEST(metrics_history_read_as_a_tail)
{
	check_metrics_tail();
}
END_TEST

START_TEST(audit_in_the_action_transaction)
{
	check_audit_in_the_action_transaction();
}
END_TEST

START_TEST(step_defs_once_per_text)
{
	check_step_defs_once_per_text();
}
END_TEST

START_TEST(rows_deleted_from_version_13)
{
	check_rows_deleted_from_version_13();
}
END_TEST

START_TEST(load_attempts_one_row_each)
{
	check_load_attempts();
}
END_TEST

START_TEST(load_history_by_key_and_pipe)
{
	struct store *s = open_store();
	struct store_load failed = {
		.pipe = "orders_pipe", .file_key = "orders/2024/01/02/000001.json",
		.size = 2048, .checksum = "ab12", .rows_parsed = 3, .rows_loaded = 0,
		.error_count = 1, .first_error = "expected number", .first_error_line = 4,
		.first_error_column = 17, .first_error_column_name = "unit_price",
		.status = LOAD_FAILED, .run_id = 7,
	};
	OK(store_load_add(s, &failed, NULL, &E));
	for (int i = 2; i <= 30; i++) {
		char key[64];
		snprintf(key, sizeof key, "orders/2024/01/02/%06d.json", i);
		struct store_load ok = { .pipe = "orders_pipe", .file_key = key, .size = i,
					 .rows_parsed = 10, .rows_loaded = 10,
					 .status = i % 10 == 0 ? LOAD_PARTIALLY_LOADED : LOAD_LOADED,
					 .loaded = T0 + SEC(i) };
		OK(store_load_add(s, &ok, NULL, &E));
	}
	struct store_load other = { .pipe = "other", .file_key = "x", .status = LOAD_LOADED };
	OK(store_load_add(s, &other, NULL, &E));

	struct store_load *l = NULL;
	ck_assert_int_eq(store_load_get(s, "orders_pipe", "orders/2024/01/02/000001.json",
					&l, &E), 1);
	ck_assert_int_eq(l->status, LOAD_FAILED);
	ck_assert_str_eq(l->first_error, "expected number");
	ck_assert_int_eq(l->first_error_line, 4);
	ck_assert_int_eq(l->first_error_column, 17);
	ck_assert_str_eq(l->first_error_column_name, "unit_price");
	ck_assert_int_eq(l->run_id, 7);
	ck_assert_int_eq(l->loaded, T0);
	store_load_free(l);
	ck_assert_int_eq(store_load_get(s, "orders_pipe", "nope", &l, &E), 0);
	ck_assert_int_eq(store_load_get(s, "other", "orders/2024/01/02/000001.json", &l, &E), 0);

	/* A forced reload: the newest attempt answers. */
	failed.status = LOAD_LOADED;
	failed.rows_loaded = 3;
	failed.error_count = 0;
	failed.first_error = NULL;
	OK(store_load_add(s, &failed, NULL, &E));
	ck_assert_int_eq(store_load_get(s, "orders_pipe", "orders/2024/01/02/000001.json",
					&l, &E), 1);
	ck_assert_int_eq(l->status, LOAD_LOADED);
	ck_assert_ptr_null(l->first_error);
	store_load_free(l);

	int64_t counts[LOAD_STATUS_COUNT];
	OK(store_load_counts(s, "orders_pipe", counts, &E));
	ck_assert_int_eq(counts[LOAD_LOADED], 27);
	ck_assert_int_eq(counts[LOAD_FAILED], 1);
	ck_assert_int_eq(counts[LOAD_PARTIALLY_LOADED], 3);

	struct vec v = VEC_INIT;
	OK(store_load_list(s, "orders_pipe", 0, 10, 0, &v, &E));
	ck_assert_int_eq(v.len, 10);
	ck_assert_str_eq(((struct store_load *)v.items[0])->file_key,
			 "orders/2024/01/02/000001.json");
	ck_assert_str_eq(((struct store_load *)v.items[1])->file_key,
			 "orders/2024/01/02/000030.json");
	store_load_list_free(&v);
	OK(store_load_list(s, "orders_pipe", 0, 10, 30, &v, &E));
	ck_assert_int_eq(v.len, 1);
	store_load_list_free(&v);
	OK(store_load_list(s, "orders_pipe", 1u << LOAD_PARTIALLY_LOADED, 0, 0, &v, &E));
	ck_assert_int_eq(v.len, 3);
	store_load_list_free(&v);
	store_close(s);
}
END_TEST

/* ---- watermarks --------------------------------------------------------------------------- */
START_TEST(watermark_windows_plan_commit_and_clear)
{
	struct store *s = open_store();
	int64_t r1 = new_run(s, "ingest", RUN_PENDING);
	OK(store_run_transition(s, r1, RUN_RUNNING, NULL, NULL, &E));
	struct store_watermark *w = NULL;
	ck_assert_int_eq(store_wm_get(s, "ingest", "extract", "sales_order", &w, &E), 0);

	OK(store_wm_plan(s, "ingest", "extract", "sales_order", r1, NULL,
			 "2024-01-01 10:00:00", &w, &E));
	ck_assert(w->pending);
	ck_assert_ptr_null(w->pending_start);
	ck_assert_str_eq(w->pending_end, "2024-01-01 10:00:00");
	ck_assert_int_eq(w->pending_run, r1);
	ck_assert_ptr_null(w->committed);
	store_wm_free(w);

	/* The same run, retried, gets the same window whatever end it asks. */
	OK(store_wm_plan(s, "ingest", "extract", "sales_order", r1, NULL,
			 "2024-01-01 11:30:00", &w, &E));
	ck_assert_str_eq(w->pending_end, "2024-01-01 10:00:00");
	store_wm_free(w);

	/* Another live run cannot take it. */
	int64_t r2 = new_run(s, "ingest", RUN_PENDING);
	FAILS(store_wm_plan(s, "ingest", "extract", "sales_order", r2, NULL, "2024-01-02", &w,
			    &E), ERR_CONFLICT);
	ck_assert(strstr(E.msg, "planned by run") != NULL);

	OK(store_wm_plan(s, "ingest", "extract", "staff", r1, NULL, "2024-01-01 10:00:00", &w,
			 &E));
	store_wm_free(w);
	int n = 0;
	fake_now = T0 + SEC(5);
	OK(store_wm_commit_run(s, r1, &n, &E));
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(store_wm_get(s, "ingest", "extract", "sales_order", &w, &E), 1);
	ck_assert(!w->pending);
	ck_assert_str_eq(w->committed, "2024-01-01 10:00:00");
	ck_assert_int_eq(w->committed_run, r1);
	ck_assert_int_eq(w->committed_at, T0 + SEC(5));
	store_wm_free(w);
	OK(store_wm_commit_run(s, r1, &n, &E));
	ck_assert_int_eq(n, 0);

	/* The next window starts where the last one committed; an end found
	 * above another start is refused (the watermark moved meanwhile). */
	FAILS(store_wm_plan(s, "ingest", "extract", "sales_order", r2, NULL,
			    "2024-01-01 12:00:00", &w, &E), ERR_CONFLICT);
	ck_assert_msg(strstr(E.msg, "moved from start to 2024-01-01 10:00:00"), "%s", E.msg);
	OK(store_wm_plan(s, "ingest", "extract", "sales_order", r2, "2024-01-01 10:00:00",
			 "2024-01-01 12:00:00", &w, &E));
	ck_assert_str_eq(w->pending_start, "2024-01-01 10:00:00");
	store_wm_free(w);
	OK(store_wm_clear_run(s, r2, &n, &E));
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(store_wm_get(s, "ingest", "extract", "sales_order", &w, &E), 1);
	ck_assert(!w->pending);
	ck_assert_str_eq(w->committed, "2024-01-01 10:00:00");
	store_wm_free(w);

	/* A window left by a run that died is replaced. */
	int64_t r3 = run_in_state(s, RUN_RUNNING);
	OK(store_wm_plan(s, "ingest", "extract", "sales_order", r3, "2024-01-01 10:00:00",
			 "2024-01-01 13:00:00", &w, &E));
	store_wm_free(w);
	OK(store_run_transition(s, r3, RUN_CRASHED, "worker lost", NULL, &E));
	int64_t r4 = new_run(s, "ingest", RUN_PENDING);
	OK(store_wm_plan(s, "ingest", "extract", "sales_order", r4, "2024-01-01 10:00:00",
			 "2024-01-01 14:00:00", &w, &E));
	ck_assert_int_eq(w->pending_run, r4);
	ck_assert_str_eq(w->pending_end, "2024-01-01 14:00:00");
	store_wm_free(w);

	/* One table's window commits alone (a lake file), naming its run. */
	fake_now = T0 + SEC(9);
	OK(store_wm_commit(s, "ingest", "extract", "sales_order", r4, &E));
	ck_assert_int_eq(store_wm_get(s, "ingest", "extract", "sales_order", &w, &E), 1);
	ck_assert(!w->pending);
	ck_assert_str_eq(w->committed, "2024-01-01 14:00:00");
	ck_assert_int_eq(w->committed_run, r4);
	ck_assert_int_eq(w->committed_at, T0 + SEC(9));
	store_wm_free(w);
	FAILS(store_wm_commit(s, "ingest", "extract", "sales_order", r4, &E), ERR_CONFLICT);

	/* An operator's reset drops the pending window. */
	OK(store_wm_set(s, "ingest", "extract", "sales_order", NULL, &E));
	ck_assert_int_eq(store_wm_get(s, "ingest", "extract", "sales_order", &w, &E), 1);
	ck_assert(!w->pending);
	ck_assert_ptr_null(w->committed);
	store_wm_free(w);

	struct vec v = VEC_INIT;
	OK(store_wm_list(s, "ingest", &v, &E));
	ck_assert_int_eq(v.len, 2);
	ck_assert_str_eq(((struct store_watermark *)v.items[0])->table, "sales_order");
	ck_assert_str_eq(((struct store_watermark *)v.items[1])->table, "staff");
	store_wm_list_free(&v);

	OK(store_stream_mirror(s, "orders_stream", "1042", 17, &E));
	OK(store_stream_mirror(s, "orders_stream", "1100", 0, &E));
	OK(store_stream_list(s, &v, &E));
	ck_assert_int_eq(v.len, 1);
	ck_assert_str_eq(((struct store_stream_offset *)v.items[0])->offset, "1100");
	store_stream_list_free(&v);
	store_close(s);
}
END_TEST

/* ---- logs ----------------------------------------------------------------------------------- */
enum { NLOGS = 50000 };

/* Record i: level i % 4, run i % 10 (0 = none), "needle" in every 97th. */
static void emit_record(int i)
{
	struct log_field f[] = { { "i", NULL }, { "quote", "a \"b\"\n" } };
	char num[16];
	snprintf(num, sizeof num, "%d", i);
	f[0].value = num;
	log_emit((enum log_level)(i % 4), i % 10, i % 10 ? "load" : NULL,
		 i % 3 == 0 ? "pipe:orders_pipe" : NULL, f, 2,
		 "record %d%s", i, i % 97 == 0 ? " has a NeedLe in it" : "");
}

static bool matches(int i, int64_t run, enum log_level min, bool needle)
{
	if (run && i % 10 != run)
		return false;
	if (i % 4 < (int)min)
		return false;
	if (needle && i % 97 != 0)
		return false;
	return true;
}

static int record_no(const struct store_log *l)
{
	int i = -1;
	sscanf(l->message, "record %d", &i);
	return i;
}

static void page_both_ways(struct store *s, int64_t run, enum log_level min,
			   const char *search)
{
	int expect = 0;
	for (int i = 0; i < NLOGS; i++)
		expect += matches(i, run, min, search != NULL);
	/* Forwards from the start. */
	struct store_log_filter f = { .run_id = run, .min_level = min, .search = search,
				      .from_oldest = true, .limit = 700 };
	int seen = 0, prev = -1;
	int64_t after = 0;
	for (;;) {
		struct vec v = VEC_INIT;
		f.after_id = after;
		f.before_id = 0;
		OK(store_log_query(s, &f, &v, &E));
		for (size_t j = 0; j < v.len; j++) {
			struct store_log *l = v.items[j];
			int i = record_no(l);
			ck_assert_msg(i > prev, "record %d after %d", i, prev);
			ck_assert(matches(i, run, min, search != NULL));
			ck_assert_int_gt(l->id, after);
			after = l->id;
			prev = i;
			seen++;
		}
		size_t got = v.len;
		store_log_list_free(&v);
		if (got == 0)
			break;
	}
	ck_assert_int_eq(seen, expect);
	/* Backwards from the newest. */
	seen = 0;
	prev = NLOGS;
	int64_t before = 0;
	for (;;) {
		struct vec v = VEC_INIT;
		f.after_id = 0;
		f.from_oldest = false;
		f.before_id = before;
		OK(store_log_query(s, &f, &v, &E));
		if (v.len == 0) {
			store_log_list_free(&v);
			break;
		}
		/* Each page reads upwards; pages come downwards. */
		for (size_t j = v.len; j-- > 0;) {
			struct store_log *l = v.items[j];
			int i = record_no(l);
			ck_assert_msg(i < prev, "record %d before %d", i, prev);
			if (j + 1 < v.len)
				ck_assert_int_lt(l->id, ((struct store_log *)v.items[j + 1])->id);
			prev = i;
			seen++;
		}
		before = ((struct store_log *)v.items[0])->id;
		store_log_list_free(&v);
	}
	ck_assert_int_eq(seen, expect);
}

START_TEST(log_paging_both_ways_with_filters)
{
	clock_set_source(NULL);
	struct store *s = open_store();
	struct store_log_sink *ls = store_log_sink_open(url, NULL, &E);
	ck_assert_msg(ls != NULL, "%s", err_text(&E));
	int sink = log_add_sink(LOG_DEBUG, store_log_sink_fn(), ls);
	ck_assert_int_ge(sink, 0);
	for (int i = 0; i < NLOGS; i++) {
		emit_record(i);
		if (i % 5000 == 4999)
			store_log_sink_flush(ls);   /* stay within the queue */
	}
	store_log_sink_flush(ls);
	log_remove_sink(sink);
	ck_assert_int_eq(store_log_sink_dropped(ls), 0);
	struct err se;
	store_log_sink_error(ls, &se);
	ck_assert_msg(se.code == ERR_OK, "sink: %s", err_text(&se));
	store_log_sink_close(ls);

	int64_t last = 0;
	OK(store_log_last_id(s, &last, &E));
	ck_assert_int_eq(last, NLOGS);

	/* The newest page, in id order. */
	struct vec v = VEC_INIT;
	struct store_log_filter newest = { .limit = 5 };
	OK(store_log_query(s, &newest, &v, &E));
	ck_assert_int_eq(v.len, 5);
	for (size_t j = 0; j < 5; j++)
		ck_assert_int_eq(record_no(v.items[j]), NLOGS - 5 + (int)j);
	struct store_log *l = v.items[4];
	int i = NLOGS - 1;
	ck_assert_int_eq(l->level, (enum log_level)(i % 4));
	ck_assert_int_eq(l->run_id, i % 10);
	ck_assert_str_eq(l->step, "load");
	ck_assert_ptr_null(l->object);
	char *fields = xasprintf("{\"i\":\"%d\",\"quote\":\"a \\\"b\\\"\\n\"}", i);
	ck_assert_str_eq(l->fields, fields);
	free(fields);
	store_log_list_free(&v);

	page_both_ways(s, 0, LOG_DEBUG, NULL);
	page_both_ways(s, 7, LOG_DEBUG, NULL);
	page_both_ways(s, 0, LOG_WARN, NULL);
	page_both_ways(s, 3, LOG_INFO, "needle");

	/* Object filter, and a window between two ids. */
	struct store_log_filter obj = { .object = "pipe:orders_pipe", .after_id = 100,
					.before_id = 200, .limit = 1000 };
	OK(store_log_query(s, &obj, &v, &E));
	int expect = 0;
	for (int k = 100; k < 199; k++)   /* ids 101..199 are records 100..198 */
		expect += k % 3 == 0;
	ck_assert_int_eq(v.len, expect);
	for (size_t j = 0; j < v.len; j++)
		ck_assert_str_eq(((struct store_log *)v.items[j])->object, "pipe:orders_pipe");
	store_log_list_free(&v);
	store_close(s);
}
END_TEST

START_TEST(log_sink_drops_when_the_store_is_stuck_and_says_so)
{
	clock_set_source(NULL);
	store_close(open_store());
	struct store_options slow = { .busy_timeout_ms = 60000 };
	struct store_log_sink *ls = store_log_sink_open(url, &slow, &E);
	ck_assert_msg(ls != NULL, "%s", err_text(&E));
	int sink = log_add_sink(LOG_DEBUG, store_log_sink_fn(), ls);

	/* Another connection holds the write lock: the writer waits, the
	 * queue fills, logging threads do not wait. */
	struct db *blocker = open_raw();
	OK(db_exec(blocker, "BEGIN IMMEDIATE", NULL, 0, NULL, &E));
	enum { EMITTED = 12000 };
	for (int i = 0; i < EMITTED; i++)
		log_info("stuck %d", i);
	uint64_t dropped = store_log_sink_dropped(ls);
	ck_assert_uint_ge(dropped, EMITTED - 10000 - 500);
	OK(db_exec(blocker, "COMMIT", NULL, 0, NULL, &E));
	db_close(blocker);

	store_log_sink_flush(ls);
	log_remove_sink(sink);
	ck_assert_uint_eq(store_log_sink_dropped(ls), dropped);
	store_log_sink_close(ls);

	struct store *s = open_store();
	/* Every record that was not dropped is stored, each once. */
	struct db *check = open_raw();
	int64_t kept = 0, distinct = 0;
	OK(db_query_int(check, "SELECT count(*) FROM logs WHERE message LIKE 'stuck %'",
			NULL, 0, &kept, &E));
	OK(db_query_int(check, "SELECT count(DISTINCT message) FROM logs "
			"WHERE message LIKE 'stuck %'", NULL, 0, &distinct, &E));
	db_close(check);
	ck_assert_int_eq(kept, EMITTED - (int64_t)dropped);
	ck_assert_int_eq(distinct, kept);
	struct vec v = VEC_INIT;
	struct store_log_filter warn = { .min_level = LOG_WARN, .search = "were dropped" };
	OK(store_log_query(s, &warn, &v, &E));
	/* Said once as the writer catches up, or in parts when more records
	 * were dropped while it was catching up: the parts add up. */
	ck_assert_uint_ge(v.len, 1);
	uint64_t reported = 0;
	for (size_t i = 0; i < v.len; i++) {
		const char *m = ((struct store_log *)v.items[i])->message;
		unsigned long long n = 0;
		char rest[128] = "";
		ck_assert_msg(sscanf(m, "%llu %127[^\n]", &n, rest) == 2, "%s", m);
		ck_assert_str_eq(rest, "log records were dropped: the control store could "
				 "not keep up");
		reported += n;
	}
	ck_assert_uint_eq(reported, dropped);
	store_log_list_free(&v);
	store_close(s);
}
END_TEST

/* ---- object states, workers, leases ---------------------------------------------------- */
START_TEST(object_states_with_who_and_when)
{
	struct store *s = open_store();
	OK(store_object_set(s, "pipe:orders_pipe", "PAUSED", "bad files upstream",
			    "alice@bastion", &E));
	fake_now = T0 + SEC(30);
	OK(store_object_set(s, "task:nightly", "SUSPENDED", NULL, "bob", &E));
	OK(store_object_set(s, "pipe:clicks", "RUNNING", NULL, "engine", &E));
	struct store_object_state *o = NULL;
	ck_assert_int_eq(store_object_get(s, "pipe:orders_pipe", &o, &E), 1);
	ck_assert_str_eq(o->state, "PAUSED");
	ck_assert_str_eq(o->reason, "bad files upstream");
	ck_assert_str_eq(o->changed_by, "alice@bastion");
	ck_assert_int_eq(o->changed, T0);
	store_object_free(o);
	fake_now = T0 + SEC(60);
	OK(store_object_set(s, "pipe:orders_pipe", "RUNNING", "fixed", "carol", &E));
	ck_assert_int_eq(store_object_get(s, "pipe:orders_pipe", &o, &E), 1);
	ck_assert_str_eq(o->state, "RUNNING");
	ck_assert_str_eq(o->changed_by, "carol");
	ck_assert_int_eq(o->changed, T0 + SEC(60));
	store_object_free(o);
	ck_assert_int_eq(store_object_get(s, "pipe:nope", &o, &E), 0);

	struct vec v = VEC_INIT;
	OK(store_object_list(s, "pipe:", &v, &E));
	ck_assert_int_eq(v.len, 2);
	ck_assert_str_eq(((struct store_object_state *)v.items[0])->object, "pipe:clicks");
	store_object_list_free(&v);
	OK(store_object_list(s, NULL, &v, &E));
	ck_assert_int_eq(v.len, 3);
	store_object_list_free(&v);
	store_close(s);
}
END_TEST

START_TEST(stale_heartbeats_find_orphaned_runs)
{
	struct store *s = open_store();
	OK(store_flow_limit_set(s, "f", 0, &E));
	OK(store_worker_register(s, "w1", "host-a", 101, &E));
	OK(store_worker_register(s, "w2", "host-b", 202, &E));
	struct store_run *r = NULL;
	int64_t runs[4];
	for (int i = 0; i < 4; i++) {
		runs[i] = new_run(s, "f", RUN_PENDING);
		OK(store_run_claim(s, i % 2 ? "w2" : "w1", NULL, &r, &E));
		store_run_free(r);
	}
	/* runs[2] (w1) finishes; runs[3] (w2) is being cancelled. */
	OK(store_run_transition(s, runs[2], RUN_COMPLETED, NULL, NULL, &E));
	OK(store_run_transition(s, runs[3], RUN_CANCELLING, NULL, NULL, &E));

	fake_now = T0 + SEC(20);
	OK(store_worker_heartbeat(s, "w2", &E));
	struct vec v = VEC_INIT;
	OK(store_runs_orphaned(s, SEC(15), &v, &E));
	ck_assert_int_eq(v.len, 1);
	ck_assert_int_eq(((struct store_run *)v.items[0])->id, runs[0]);
	store_run_list_free(&v);
	OK(store_runs_orphaned(s, SEC(30), &v, &E));
	ck_assert_int_eq(v.len, 0);

	OK(store_worker_list(s, &v, &E));
	ck_assert_int_eq(v.len, 2);
	struct store_worker *w = v.items[1];
	ck_assert_str_eq(w->id, "w2");
	ck_assert_str_eq(w->host, "host-b");
	ck_assert_int_eq(w->pid, 202);
	ck_assert_int_eq(w->started, T0);
	ck_assert_int_eq(w->heartbeat, T0 + SEC(20));
	store_worker_list_free(&v);

	/* A worker that is gone from the table orphans its runs at once. */
	OK(store_worker_remove(s, "w2", &E));
	OK(store_runs_orphaned(s, SEC(30), &v, &E));
	ck_assert_int_eq(v.len, 2);
	ck_assert_int_eq(((struct store_run *)v.items[0])->id, runs[1]);
	ck_assert_int_eq(((struct store_run *)v.items[1])->id, runs[3]);
	store_run_list_free(&v);
	FAILS(store_worker_heartbeat(s, "w2", &E), ERR_NOTFOUND);
	store_close(s);
}
END_TEST

START_TEST(leases_are_exclusive_and_lapse)
{
	struct store *s = open_store();
	char *holder = NULL;
	ck_assert_int_eq(store_lease_acquire(s, "scheduler", "w1", SEC(30), &holder, &E), 1);
	ck_assert_int_eq(store_lease_acquire(s, "scheduler", "w2", SEC(30), &holder, &E), 0);
	ck_assert_str_eq(holder, "w1");
	free(holder);
	fake_now = T0 + SEC(20);
	ck_assert_int_eq(store_lease_acquire(s, "scheduler", "w1", SEC(30), NULL, &E), 1);
	fake_now = T0 + SEC(45);
	ck_assert_int_eq(store_lease_acquire(s, "scheduler", "w2", SEC(30), NULL, &E), 0);
	fake_now = T0 + SEC(51);
	ck_assert_int_eq(store_lease_acquire(s, "scheduler", "w2", SEC(30), NULL, &E), 1);
	OK(store_lease_release(s, "scheduler", "w1", &E));   /* not w1's: no effect */
	ck_assert_int_eq(store_lease_acquire(s, "scheduler", "w1", SEC(30), NULL, &E), 0);
	OK(store_lease_release(s, "scheduler", "w2", &E));
	ck_assert_int_eq(store_lease_acquire(s, "scheduler", "w1", SEC(30), NULL, &E), 1);
	store_close(s);
}
END_TEST

/* ---- cache, schema changes ------------------------------------------------------------------ */
START_TEST(cache_entries_expire)
{
	struct store *s = open_store();
	OK(store_cache_put(s, "step:abc", "{\"rows\":10}", 5, SEC(60), &E));
	OK(store_cache_put(s, "step:forever", "{}", 6, 0, &E));
	struct store_cache_entry *c = NULL;
	fake_now = T0 + SEC(59);
	ck_assert_int_eq(store_cache_get(s, "step:abc", &c, &E), 1);
	ck_assert_str_eq(c->value, "{\"rows\":10}");
	ck_assert_int_eq(c->run_id, 5);
	ck_assert_int_eq(c->expires, T0 + SEC(60));
	store_cache_free(c);
	fake_now = T0 + SEC(60);
	ck_assert_int_eq(store_cache_get(s, "step:abc", &c, &E), 0);
	ck_assert_ptr_null(c);
	fake_now = T0 + SEC(86400 * 365);
	ck_assert_int_eq(store_cache_get(s, "step:forever", &c, &E), 1);
	store_cache_free(c);
	int64_t n = 0;
	OK(store_cache_purge(s, &n, &E));
	ck_assert_int_eq(n, 1);
	OK(store_cache_purge(s, &n, &E));
	ck_assert_int_eq(n, 0);
	/* Replacing renews. */
	OK(store_cache_put(s, "step:abc", "{\"rows\":11}", 7, SEC(10), &E));
	ck_assert_int_eq(store_cache_get(s, "step:abc", &c, &E), 1);
	ck_assert_str_eq(c->value, "{\"rows\":11}");
	store_cache_free(c);
	OK(store_cache_delete(s, "step:abc", &E));
	ck_assert_int_eq(store_cache_get(s, "step:abc", &c, &E), 0);
	store_close(s);
}
END_TEST

START_TEST(schema_changes_recorded)
{
	struct store *s = open_store();
	struct store_schema_change c1 = { .connection = "warehouse", .table = "raw_orders",
		.column = "discount", .kind = SCHEMA_ADDED, .new_type = "numeric(10,2)",
		.run_id = 3 };
	struct store_schema_change c2 = { .connection = "warehouse", .table = "raw_orders",
		.column = "units", .kind = SCHEMA_WIDENED, .old_type = "integer",
		.new_type = "bigint", .run_id = 4 };
	struct store_schema_change c3 = { .connection = "source", .table = "staff",
		.column = "fax", .kind = SCHEMA_DROPPED_IN_SOURCE, .old_type = "text" };
	OK(store_schema_change_add(s, &c1, &E));
	OK(store_schema_change_add(s, &c2, &E));
	OK(store_schema_change_add(s, &c3, &E));
	struct vec v = VEC_INIT;
	OK(store_schema_change_list(s, "warehouse", "raw_orders", 0, &v, &E));
	ck_assert_int_eq(v.len, 2);
	struct store_schema_change *w = v.items[0];
	ck_assert_str_eq(w->column, "units");
	ck_assert_int_eq(w->kind, SCHEMA_WIDENED);
	ck_assert_str_eq(w->old_type, "integer");
	ck_assert_str_eq(w->new_type, "bigint");
	ck_assert_int_eq(w->at, T0);
	store_schema_change_list_free(&v);
	OK(store_schema_change_list(s, NULL, NULL, 0, &v, &E));
	ck_assert_int_eq(v.len, 3);
	ck_assert_int_eq(((struct store_schema_change *)v.items[0])->kind,
			 SCHEMA_DROPPED_IN_SOURCE);
	store_schema_change_list_free(&v);
	ck_assert_str_eq(schema_change_name(SCHEMA_DROPPED_IN_SOURCE), "dropped_in_source");
	store_close(s);
}
END_TEST

/* ---- notification queue -------------------------------------------------------------------- */
START_TEST(notification_retry_schedule)
{
	struct store *s = open_store();
	int64_t id = 0;
	OK(store_notify_enqueue(s, "alerts", "run_failed", "orders_etl run 12 failed",
				&id, &E));
	struct store_notification *n = NULL;
	usec_t now = T0;
	usec_t expect_delay[] = { 10, 20, 40, 80, 160, 320, 640 };
	for (int attempt = 1; attempt <= STORE_NOTIFY_MAX_ATTEMPTS; attempt++) {
		ck_assert_int_eq(store_notify_claim(s, &n, &E), 1);
		ck_assert_int_eq(n->id, id);
		ck_assert_int_eq(n->attempts, attempt);
		ck_assert_int_eq(n->state, NOTIFY_SENDING);
		ck_assert_str_eq(n->text, "orders_etl run 12 failed");
		store_notify_free(n);
		/* Claimed: nobody else gets it. */
		ck_assert_int_eq(store_notify_claim(s, &n, &E), 0);
		OK(store_notify_failed(s, id, "HTTP 503", true, 0, &E));
		ck_assert_int_eq(store_notify_get(s, id, &n, &E), 1);
		if (attempt == STORE_NOTIFY_MAX_ATTEMPTS) {
			ck_assert_int_eq(n->state, NOTIFY_FAILED);
			store_notify_free(n);
			break;
		}
		ck_assert_int_eq(n->state, NOTIFY_PENDING);
		ck_assert_int_eq(n->next_attempt, now + SEC(expect_delay[attempt - 1]));
		ck_assert_str_eq(n->last_error, "HTTP 503");
		store_notify_free(n);
		/* Not due a moment early. */
		fake_now = now + SEC(expect_delay[attempt - 1]) - 1;
		ck_assert_int_eq(store_notify_claim(s, &n, &E), 0);
		now = fake_now = now + SEC(expect_delay[attempt - 1]);
	}
	ck_assert_int_eq(store_notify_claim(s, &n, &E), 0);

	/* Retry-After longer than the backoff wins; a permanent failure ends it. */
	int64_t id2 = 0, id3 = 0;
	OK(store_notify_enqueue(s, "alerts", "task_suspended", "nightly suspended", &id2, &E));
	ck_assert_int_eq(store_notify_claim(s, &n, &E), 1);
	store_notify_free(n);
	OK(store_notify_failed(s, id2, "HTTP 429", true, SEC(120), &E));
	ck_assert_int_eq(store_notify_get(s, id2, &n, &E), 1);
	ck_assert_int_eq(n->next_attempt, fake_now + SEC(120));
	store_notify_free(n);
	OK(store_notify_enqueue(s, "alerts", "pipe_file_failed", "bad file", &id3, &E));
	ck_assert_int_eq(store_notify_claim(s, &n, &E), 1);
	ck_assert_int_eq(n->id, id3);
	store_notify_free(n);
	OK(store_notify_failed(s, id3, "HTTP 404: no such webhook", false, 0, &E));
	ck_assert_int_eq(store_notify_get(s, id3, &n, &E), 1);
	ck_assert_int_eq(n->state, NOTIFY_FAILED);
	store_notify_free(n);

	/* A sender that died holding a claim: reclaimable after five minutes. */
	fake_now += SEC(120);
	ck_assert_int_eq(store_notify_claim(s, &n, &E), 1);
	ck_assert_int_eq(n->id, id2);
	store_notify_free(n);
	fake_now += SEC(299);
	ck_assert_int_eq(store_notify_claim(s, &n, &E), 0);
	fake_now += SEC(1);
	ck_assert_int_eq(store_notify_claim(s, &n, &E), 1);
	ck_assert_int_eq(n->attempts, 3);   /* 429, then the claim that died, then this */
	store_notify_free(n);
	OK(store_notify_sent(s, id2, &E));
	FAILS(store_notify_sent(s, id2, &E), ERR_CONFLICT);
	FAILS(store_notify_failed(s, id3, "again", true, 0, &E), ERR_CONFLICT);
	ck_assert_int_eq(store_notify_get(s, id2, &n, &E), 1);
	ck_assert_int_eq(n->state, NOTIFY_SENT);
	ck_assert_int_eq(n->sent, fake_now);
	store_notify_free(n);

	struct vec v = VEC_INIT;
	OK(store_notify_list(s, 1u << NOTIFY_FAILED, 0, &v, &E));
	ck_assert_int_eq(v.len, 2);
	store_notify_list_free(&v);
	store_close(s);
}
END_TEST

/* ---- backfills and requests ------------------------------------------------------------------ */
START_TEST(one_active_backfill_per_flow)
{
	struct store *s = open_store();
	int64_t b1 = 0;
	OK(store_backfill_create(s, "warehouse", "plan", "{\"tables\":[\"fact_sales_order\"]}",
				 "alice", &b1, &E));
	FAILS(store_backfill_create(s, "warehouse", "plan", NULL, "bob", NULL, &E), ERR_CONFLICT);
	char *want = xasprintf("flow warehouse already has backfill %lld (step plan, WAITING)",
			       (long long)b1);
	ck_assert_str_eq(E.msg, want);
	free(want);
	int64_t other = 0;
	OK(store_backfill_create(s, "orders_etl", "plan", NULL, "bob", &other, &E));

	fake_now = T0 + SEC(10);
	OK(store_backfill_update(s, b1, &(struct store_backfill_move){
			.step = "rebuild", .state = BACKFILL_WORKING, .by = "bob",
			.note = "approved the plan" },
		&E));
	fake_now = T0 + SEC(20);
	OK(store_backfill_update(s, b1, &(struct store_backfill_move){
			.step = "compare", .state = BACKFILL_WAITING,
			.compare_json = "{\"changed\":12}", .by = "engine" },
		&E));
	struct store_backfill *b = NULL;
	ck_assert_int_eq(store_backfill_active(s, "warehouse", &b, &E), 1);
	ck_assert_int_eq(b->id, b1);
	ck_assert_str_eq(b->step, "compare");
	ck_assert_str_eq(b->plan, "{\"tables\":[\"fact_sales_order\"]}");
	ck_assert_str_eq(b->compare, "{\"changed\":12}");
	ck_assert_str_eq(b->created_by, "alice");
	store_backfill_free(b);

	/* The database itself refuses a second active one. */
	struct db *db = open_raw();
	err_clear(&E);
	ck_assert_int_lt(db_exec(db, "INSERT INTO backfills (flow, step, state, active, "
				 "created_at, updated_at) VALUES ('warehouse', 'plan', "
				 "'WAITING', 1, 1, 1)", NULL, 0, NULL, &E), 0);
	ck_assert_int_eq(E.code, ERR_DB);
	db_close(db);

	fake_now = T0 + SEC(30);
	OK(store_backfill_update(s, b1, &(struct store_backfill_move){
			.step = "resume", .state = BACKFILL_COMPLETED, .by = "carol",
			.note = "swapped" },
		&E));
	FAILS(store_backfill_update(s, b1, &(struct store_backfill_move){
			.step = "resume", .state = BACKFILL_WORKING, .by = "carol" },
		&E), ERR_CONFLICT);
	ck_assert_int_eq(store_backfill_active(s, "warehouse", &b, &E), 0);
	b = store_backfill_get(s, b1, &E);
	ck_assert_int_eq(b->state, BACKFILL_COMPLETED);
	ck_assert_int_eq(b->ended, T0 + SEC(30));
	store_backfill_free(b);
	/* Now a new one may start. */
	int64_t b2 = 0;
	OK(store_backfill_create(s, "warehouse", "plan", NULL, "dave", &b2, &E));
	ck_assert_int_gt(b2, b1);

	struct vec v = VEC_INIT;
	OK(store_backfill_history(s, b1, &v, &E));
	ck_assert_int_eq(v.len, 4);
	struct { const char *step, *by; usec_t at; enum backfill_state st; } want_ev[] = {
		{ "plan", "alice", T0, BACKFILL_WAITING },
		{ "rebuild", "bob", T0 + SEC(10), BACKFILL_WORKING },
		{ "compare", "engine", T0 + SEC(20), BACKFILL_WAITING },
		{ "resume", "carol", T0 + SEC(30), BACKFILL_COMPLETED },
	};
	for (size_t i = 0; i < v.len; i++) {
		struct store_backfill_event *ev = v.items[i];
		ck_assert_str_eq(ev->step, want_ev[i].step);
		ck_assert_str_eq(ev->by, want_ev[i].by);
		ck_assert_int_eq(ev->at, want_ev[i].at);
		ck_assert_int_eq(ev->state, want_ev[i].st);
	}
	ck_assert_str_eq(((struct store_backfill_event *)v.items[1])->note, "approved the plan");
	store_backfill_history_free(&v);
	OK(store_backfill_list(s, "warehouse", 0, &v, &E));
	ck_assert_int_eq(v.len, 2);
	store_backfill_list_free(&v);
	store_close(s);
}
END_TEST

START_TEST(requests_queue)
{
	struct store *s = open_store();
	int64_t r1 = 0, r2 = 0;
	OK(store_request_add(s, "refresh", "pipe:orders_pipe", "{\"force\":true}",
			     "alice@bastion", &r1, &E));
	OK(store_request_add(s, "cancel", "run:12", NULL, "bob", &r2, &E));
	struct store_request *r = NULL;
	ck_assert_int_eq(store_request_claim(s, "engine-1", &r, &E), 1);
	ck_assert_int_eq(r->id, r1);
	ck_assert_str_eq(r->kind, "refresh");
	ck_assert_str_eq(r->target, "pipe:orders_pipe");
	ck_assert_str_eq(r->args, "{\"force\":true}");
	ck_assert_int_eq(r->state, REQUEST_CLAIMED);
	ck_assert_str_eq(r->claimed_by, "engine-1");
	store_request_free(r);
	ck_assert_int_eq(store_request_claim(s, "engine-2", &r, &E), 1);
	ck_assert_int_eq(r->id, r2);
	store_request_free(r);
	ck_assert_int_eq(store_request_claim(s, "engine-2", &r, &E), 0);

	OK(store_request_complete(s, r1, true, "3 files queued", NULL, &E));
	OK(store_request_complete(s, r2, false, NULL, "run 12 already finished", &E));
	FAILS(store_request_complete(s, r1, true, NULL, NULL, &E), ERR_CONFLICT);
	r = store_request_get(s, r1, &E);
	ck_assert_int_eq(r->state, REQUEST_DONE);
	ck_assert_str_eq(r->result, "3 files queued");
	store_request_free(r);
	r = store_request_get(s, r2, &E);
	ck_assert_int_eq(r->state, REQUEST_FAILED);
	ck_assert_str_eq(r->error, "run 12 already finished");
	store_request_free(r);
	ck_assert_ptr_null(store_request_get(s, 999, &E));
	ck_assert_int_eq(E.code, ERR_NOTFOUND);
	struct vec v = VEC_INIT;
	OK(store_request_list(s, 0, &v, &E));
	ck_assert_int_eq(v.len, 2);
	store_request_list_free(&v);
	store_close(s);
}
END_TEST

/* ---- change detection, retention ---------------------------------------------------------- */
START_TEST(change_detection_across_connections)
{
	struct store *a = open_store();
	struct store *b = open_store();
	struct store_watch w;
	store_watch_init(&w);
	unsigned changed = 0;
	OK(store_changed(b, &w, &changed, &E));
	ck_assert_uint_eq(changed, (1u << STORE_AREA_COUNT) - 1);
	OK(store_changed(b, &w, &changed, &E));
	ck_assert_uint_eq(changed, 0);

	new_run(a, "f", RUN_PENDING);
	OK(store_changed(b, &w, &changed, &E));
	ck_assert_uint_eq(changed, STORE_AREA_BIT(STORE_AREA_RUNS));
	OK(store_changed(b, &w, &changed, &E));
	ck_assert_uint_eq(changed, 0);

	struct log_record rec = { .level = LOG_INFO, .message = "hello" };
	OK(store_log_append(a, &rec, NULL, &E));
	OK(store_object_set(a, "pipe:p", "PAUSED", NULL, "x", &E));
	OK(store_changed(b, &w, &changed, &E));
	ck_assert_uint_eq(changed, STORE_AREA_BIT(STORE_AREA_LOGS) |
				   STORE_AREA_BIT(STORE_AREA_OBJECTS));

	/* b's own writes show too. */
	OK(store_worker_register(b, "w1", "h", 1, &E));
	OK(store_changed(b, &w, &changed, &E));
	ck_assert_uint_eq(changed, STORE_AREA_BIT(STORE_AREA_WORKERS));

	/* A read-only connection sees them as well. */
	struct store *ro = open_ro();
	struct store_watch w2;
	store_watch_init(&w2);
	OK(store_changed(ro, &w2, &changed, &E));
	OK(store_request_add(a, "refresh", "pipe:p", NULL, "x", NULL, &E));
	OK(store_changed(ro, &w2, &changed, &E));
	ck_assert_uint_eq(changed, STORE_AREA_BIT(STORE_AREA_REQUESTS));
	store_close(ro);
	store_close(a);
	store_close(b);
}
END_TEST

START_TEST(prune_by_age_and_count)
{
	struct store *s = open_store();
	for (int i = 0; i < 12000; i++) {
		fake_now = T0 + SEC(i);
		struct log_record rec = { .time = fake_now, .level = LOG_INFO, .message = "m" };
		OK(store_log_append(s, &rec, NULL, &E));
	}
	int64_t old_run = run_in_state(s, RUN_COMPLETED);
	struct store_step st = { .run_id = old_run, .step = "x", .state = STEP_COMPLETED };
	OK(store_step_put(s, &st, &E));
	int64_t live_run = run_in_state(s, RUN_RUNNING);
	task_entry(s, "t", TASK_SUCCEEDED, fake_now);

	fake_now = T0 + SEC(12000 + 86400);
	int64_t recent = run_in_state(s, RUN_FAILED);
	struct store_retention r = { .log_age = SEC(86400 + 2000), .run_age = SEC(3600),
				     .task_age = SEC(3600) };
	struct store_prune_stats stats;
	OK(store_prune(s, &r, &stats, &E));
	/* Logs stamped before now - age: seconds 0..9999 of the 12,000. */
	ck_assert_int_eq(stats.logs, 10000);
	ck_assert_int_eq(stats.runs, 1);
	ck_assert_int_eq(stats.tasks, 1);
	ck_assert_ptr_null(store_run_get(s, old_run, &E));
	ck_assert_int_eq(state_of(s, live_run), RUN_RUNNING);
	ck_assert_int_eq(state_of(s, recent), RUN_FAILED);
	struct store_step *gone = NULL;
	ck_assert_int_eq(store_step_get(s, old_run, "x", &gone, &E), 0);
	ck_assert_int_eq(transition_count(s, old_run), 0);

	struct store_retention bycount = { .log_max = 500 };
	OK(store_prune(s, &bycount, &stats, &E));
	ck_assert_int_eq(stats.logs, 1500);
	struct vec v = VEC_INIT;
	struct store_log_filter all = { .after_id = 0, .limit = 10000 };
	all.after_id = 1;
	OK(store_log_query(s, &all, &v, &E));
	ck_assert_int_eq(v.len, 500);
	ck_assert_int_eq(((struct store_log *)v.items[0])->id, 11501);
	store_log_list_free(&v);
	store_close(s);
}
END_TEST

START_TEST(retention_kinds_budgets_and_dry_runs)
{
	store_case_retention();
}
END_TEST

START_TEST(load_history_kept_while_its_files_are_seen)
{
	store_case_load_history_retention();
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("sqlite");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, open_creates_directory_and_latest_schema);
	tcase_add_test(tc, old_store_is_migrated_in_place);
	tcase_add_test(tc, newer_store_is_refused);
	tcase_add_test(tc, read_only_refuses_every_write);
	tcase_add_test(tc, read_only_never_creates_or_migrates);
	tcase_add_test(tc, every_run_transition_checked);
	tcase_add_test(tc, transitions_recorded_with_time_and_reason);
	tcase_add_test(tc, run_spec_validated);
	tcase_add_test(tc, a_state_outside_the_enum_is_a_bug);
	tcase_add_test(tc, run_listing_filters_pages_and_counts);
	tcase_add_test(tc, claim_takes_due_runs_within_limits);
	tcase_add_test(tc, claims_follow_pools);
	tcase_add_test(tc, heartbeat_counts_what_waits);
	tcase_add_test(tc, read_transaction_wraps_reads);
	tcase_add_test(tc, claims_are_exclusive_across_threads);
	tcase_add_test(tc, step_runs_and_validation_results);
	tcase_add_test(tc, task_history_and_failure_counts);
	tcase_add_test(tc, load_history_by_key_and_pipe);
	tcase_add_test(tc, load_attempts_one_row_each);
	tcase_add_test(tc, metrics_history_read_as_a_tail);
	tcase_add_test(tc, watermark_windows_plan_commit_and_clear);
	tcase_add_test(tc, log_paging_both_ways_with_filters);
	tcase_add_test(tc, log_sink_drops_when_the_store_is_stuck_and_says_so);
	tcase_add_test(tc, object_states_with_who_and_when);
	tcase_add_test(tc, stale_heartbeats_find_orphaned_runs);
	tcase_add_test(tc, leases_are_exclusive_and_lapse);
	tcase_add_test(tc, cache_entries_expire);
	tcase_add_test(tc, schema_changes_recorded);
	tcase_add_test(tc, notification_retry_schedule);
	tcase_add_test(tc, one_active_backfill_per_flow);
	tcase_add_test(tc, requests_queue);
	tcase_add_test(tc, change_detection_across_connections);
	tcase_add_test(tc, prune_by_age_and_count);
	tcase_add_test(tc, retention_kinds_budgets_and_dry_runs);
	tcase_add_test(tc, load_history_kept_while_its_files_are_seen);
	tcase_add_test(tc, audit_in_the_action_transaction);
	tcase_add_test(tc, step_defs_once_per_text);
	tcase_add_test(tc, rows_deleted_from_version_13);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(store_suite)
