/*
 * test_engine_pg.c - the engine with a PostgreSQL control store, the way a
 * team runs several workers: runs drained by two engines at once (each run
 * claimed exactly once, FOR UPDATE SKIP LOCKED), the flow limit held
 * across engines, crash recovery, and one scheduler at a time.
 * The data connection stays SQLite; the control store is what differs,
 * except in the last tests: a server that restarts under a running
 * engine, the control store's and a warehouse's (the restart as clients
 * see it: every connection cut by the server, and for a while no new one
 * let in; tests/integration/faults_pg.sh restarts real servers).
 */
#include "testutil.h"
#include "engine_testutil.h"
#include "engine/engine_int.h"      /* the retention tick, called alone */

static char *control_url(const char *db)
{
	char *url = test_pg_database(db, &E);
	ck_assert_msg(url != NULL, "%s", err_text(&E));
	return url;
}

static char *sched_control(const char *db)
{
	return control_url(db);
}
#include "schedule_cases.h"

#define FLOWS \
	"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n" \
	"  \"flows\": [ { \"name\": \"many\", \"concurrency\": 8,\n" \
	"    \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\",\n" \
	"       \"sql\": \"CREATE TABLE IF NOT EXISTS t(run int); INSERT INTO t VALUES (:run_id)\" } ] },\n" \
	"   { \"name\": \"single\", \"retries\": { \"count\": 1 },\n" \
	"    \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\",\n" \
	"       \"sql\": \"CREATE TABLE IF NOT EXISTS u(run int); INSERT INTO u VALUES (:run_id)\" } ] } ],\n" \
	"  \"tasks\": [ { \"name\": \"m\", \"schedule\": \"every 1 minute\", \"flow\": \"single\" } ] }\n"

static struct engine *worker_engine(struct fixture *fx, int workers)
{
	struct engine_options opt = { .store_url = fx->url, .workers = workers,
				      .no_scheduler = true, .no_notifier = true,
				      .no_log_sink = true, .poll = 10 * USEC_PER_MSEC };
	struct engine *eng = engine_new(fx->p, &opt, &E);
	ck_assert_msg(eng != NULL, "%s", E.msg);
	return eng;
}

START_TEST(two_engines_drain_runs_exactly_once)
{
	char *url = control_url("sluice_engine_two");
	struct fixture *fx = fx_open_at(FLOWS, NULL, url);
	fx_close_engine(fx);
	int64_t ids[40];
	for (int i = 0; i < 40; i++)
		ids[i] = fx_submit(fx, "many", NULL);
	struct engine *a = worker_engine(fx, 2), *b = worker_engine(fx, 2);
	OK(engine_start(a, &E));
	OK(engine_start(b, &E));
	for (int i = 0; i < 40; i++)
		ck_assert(fx_wait_state(fx, ids[i], "COMPLETED", 30000));
	OK(engine_stop(a, USEC_PER_SEC, &E));
	OK(engine_stop(b, USEC_PER_SEC, &E));
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM t"), "40");
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(DISTINCT run) FROM t"), "40");
	for (int i = 0; i < 40; i++)
		fx_assert_transitions(fx, ids[i], "PENDING RUNNING COMPLETED");
	engine_free(a);
	engine_free(b);
	fx_close(fx);
	free(url);
}
END_TEST

START_TEST(recovery_and_the_scheduler_lease_on_postgres)
{
	fake_clock_set(T0);
	char *url = control_url("sluice_engine_lease");
	struct fixture *fx = fx_open_at(FLOWS, NULL, url);
	/* A worker elsewhere claims a run and dies. */
	int64_t id = fx_submit(fx, "single", NULL);
	OK(store_worker_register(fx->store, "gone", "elsewhere.example", 1, &E));
	struct store_run *held = NULL;
	ck_assert_int_eq(store_run_claim_id(fx->store, id, "gone", &held, &E), 0);
	store_run_free(held);
	fake_clock_set(T0 + 34 * USEC_PER_SEC);
	OK(engine_recover(fx->eng, &E));
	ck_assert_str_eq(fx_reason(fx, id, RUN_CRASHED), "worker gone lost: no heartbeat for 34s");
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_transitions(fx, id, "PENDING RUNNING CRASHED RETRYING RUNNING COMPLETED");
	/* Two schedulers: only the lease holder fires the task. */
	struct engine *other = fx_engine(fx);
	usec_t t = T0 + 60 * USEC_PER_SEC;
	fake_clock_set(t - USEC_PER_SEC);
	OK(engine_scheduler_tick(fx->eng, t - USEC_PER_SEC, &E));
	OK(engine_scheduler_tick(other, t - USEC_PER_SEC, &E));
	fake_clock_set(t);
	OK(engine_scheduler_tick(fx->eng, t, &E));
	OK(engine_scheduler_tick(other, t, &E));
	struct vec h = VEC_INIT;
	OK(store_task_list(fx->store, "m", 10, 0, &h, &E));
	ck_assert_int_eq(h.len, 1);
	store_task_list_free(&h);
	engine_free(other);
	fx_close(fx);
	free(url);
	fake_clock_off();
}
END_TEST

/* The control store goes away under a running engine (worker, scheduler,
 * supervisor, log sink and notifier each with a handle) and comes back:
 * the engine takes work again at once, says it lost the store once and
 * found it again once (not once a second, not once a thread), and the log
 * records of the outage reach the store afterwards. */
START_TEST(an_engine_outlives_its_control_store_going_away)
{
	char *url = control_url("sluice_engine_lost");
	struct fixture *fx = fx_open_at(FLOWS, NULL, url);
	fx_close_engine(fx);
	struct engine_options opt = { .store_url = fx->url, .workers = 1,
				      .poll = 10 * USEC_PER_MSEC };
	struct engine *eng = engine_new(fx->p, &opt, &E);
	ck_assert_msg(eng != NULL, "%s", E.msg);
	OK(engine_start(eng, &E));
	int64_t before = fx_submit(fx, "many", NULL);
	ck_assert(fx_wait_state(fx, before, "COMPLETED", 10000));
	store_close(fx->store);             /* only the engine's handles now */
	struct test_log log;
	test_log_start(&log, LOG_INFO);

	test_pg_cut(url, true);
	log_emit(LOG_INFO, 0, NULL, NULL, NULL, 0, "said during the outage");
	usleep(2500 * 1000);
	ck_assert(engine_store_down_for(eng) > 0);
	test_pg_let_in(url);

	fx->store = store_open(url, NULL, &E);
	ck_assert_msg(fx->store != NULL, "%s", E.msg);
	int64_t after = fx_submit(fx, "many", NULL);
	ck_assert_msg(fx_wait_state(fx, after, "COMPLETED", 10000), "%s",
		      test_log_text(&log));
	for (int i = 0; i < 100 && engine_store_down_for(eng); i++)
		usleep(50 * 1000);
	ck_assert_int_eq(engine_store_down_for(eng), 0);
	ck_assert_msg(test_log_count(&log, " lost: ") == 1 &&
		      test_log_count(&log, " is back ") == 1 &&
		      test_log_count(&log, "control store") == 2, "%s", test_log_text(&log));
	struct db *db = db_open(url, NULL, &E);
	ck_assert_msg(db != NULL, "%s", E.msg);
	int64_t kept = 0;
	for (int i = 0; i < 100 && kept == 0; i++) {
		ck_assert_int_ge(db_query_int(db, "SELECT count(*) FROM logs WHERE message = "
					      "'said during the outage'", NULL, 0, &kept, &E), 0);
		usleep(50 * 1000);
	}
	ck_assert_int_eq(kept, 1);
	db_close(db);
	test_log_stop(&log);
	OK(engine_stop(eng, USEC_PER_SEC, &E));
	engine_free(eng);
	fx_close(fx);
	free(url);
}
END_TEST

/* A retention pass that meets a lost control store says nothing (the
 * link said it once for every thread) and starts again as soon as the
 * store is back, not an interval later. */
START_TEST(retention_is_quiet_while_the_store_is_away)
{
	char *url = control_url("sluice_engine_prune_lost");
	struct fixture *fx = fx_open_at(FLOWS, NULL, url);
	struct store *s = store_open(url, NULL, &E);
	ck_assert_msg(s != NULL, "%s", E.msg);
	test_pg_cut(url, true);
	int64_t n = 0;
	struct store_run_filter f = { 0 };
	ck_assert_int_lt(store_run_count(s, &f, &n, &E), 0);
	ck_assert(store_lost(s));
	struct test_log log;
	test_log_start(&log, LOG_INFO);
	struct prune_pass pp = { 0 };
	usec_t now = clock_now_us(), next_due = now;
	engine_retention_tick(fx->eng, &pp, s, &next_due, now);
	ck_assert_msg(test_log_count(&log, "pruning") == 0, "%s", test_log_text(&log));
	ck_assert(!pp.active);
	ck_assert_int_le(next_due, now);
	test_log_stop(&log);
	test_pg_let_in(url);
	store_close(s);
	fx_close(fx);
	free(url);
}
END_TEST

/* A warehouse on PostgreSQL, its database made afresh: the project. */
static char *warehouse_project(const char *db, const char *rest, char **wh)
{
	*wh = control_url(db);
	return xasprintf("{ \"connections\": { \"wh\": { \"url\": \"%s\" } },\n%s }\n",
			 *wh, rest);
}

/* A pooled connection the server dropped (it restarted since the last
 * run) is reopened before the step gets it: the run's first attempt
 * works, it does not fail in a millisecond and use up a retry. */
START_TEST(a_restarted_warehouse_is_not_the_next_steps_failure)
{
	char *wh;
	char *json = warehouse_project("sluice_engine_pool",
		"  \"flows\": [ { \"name\": \"once\",\n"
		"    \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"       \"sql\": \"CREATE TABLE IF NOT EXISTS t(run int); INSERT INTO t VALUES (:run_id)\" } ] } ]",
		&wh);
	struct fixture *fx = fx_open(json, NULL);
	int64_t first = fx_submit(fx, "once", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, first, "COMPLETED");
	test_pg_cut(wh, false);
	int64_t second = fx_submit(fx, "once", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, second, "COMPLETED");
	fx_assert_transitions(fx, second, "PENDING RUNNING COMPLETED");
	struct db *db = db_open(wh, NULL, &E);
	int64_t n = 0;
	ck_assert_int_ge(db_query_int(db, "SELECT count(*) FROM t", NULL, 0, &n, &E), 0);
	ck_assert_int_eq(n, 2);
	db_close(db);
	fx_close(fx);
	free(json);
	free(wh);
}
END_TEST

/* The scheduler's own connections for task conditions: after the
 * warehouse restarted, the next tick evaluates the condition on a new
 * connection instead of failing on the dead one, tick after tick. */
START_TEST(a_task_condition_reopens_a_connection_the_server_dropped)
{
	fake_clock_set(T0);
	char *wh;
	char *json = warehouse_project("sluice_engine_cond",
		"  \"streams\": [ { \"name\": \"s\", \"connection\": \"wh\", \"table\": \"raw\" } ],\n"
		"  \"tasks\": [ { \"name\": \"t\", \"schedule\": \"every 1 minute\", \"overlap\": true,\n"
		"               \"when\": \"stream_rows(s) > 0\", \"flow\": \"f\" } ],\n"
		"  \"flows\": [ { \"name\": \"f\", \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\",\n"
		"       \"connection\": \"wh\", \"sql\": \"SELECT 1\" } ] } ]", &wh);
	struct db *db = db_open(wh, NULL, &E);
	ck_assert_msg(db && db_exec_script(db, "CREATE TABLE raw(_sluice_id bigserial, v int); "
					   "INSERT INTO raw (v) VALUES (1)", &E) == 0, "%s", E.msg);
	db_close(db);
	struct fixture *fx = fx_open(json, NULL);
	for (int minute = 0; minute <= 3; minute++) {
		if (minute == 2)
			test_pg_cut(wh, false);
		usec_t t = T0 + minute * 60 * USEC_PER_SEC;
		fake_clock_set(t);
		OK(engine_scheduler_tick(fx->eng, t, &E));
	}
	struct vec h = VEC_INIT;
	OK(store_task_list(fx->store, "t", 10, 0, &h, &E));
	ck_assert_int_eq(h.len, 3);
	for (size_t i = 0; i < h.len; i++) {
		const struct store_task_entry *te = h.items[i];
		ck_assert_msg(te->state == TASK_EXECUTING && te->condition &&
			      strstr(te->condition, "stream_rows(s) = 1]: true"),
			      "tick %zu: %s (%s) %s", i, task_state_name(te->state),
			      te->condition ? te->condition : "", te->error ? te->error : "");
	}
	store_task_list_free(&h);
	fx_close(fx);
	free(json);
	free(wh);
	fake_clock_off();
}
END_TEST

static Suite *engine_pg_suite(void)
{
	Suite *s = suite_create("engine (postgresql control store)");
	TCase *tc = tcase_create("pg");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, two_engines_drain_runs_exactly_once);
	tcase_add_test(tc, recovery_and_the_scheduler_lease_on_postgres);
	tcase_add_test(tc, an_engine_outlives_its_control_store_going_away);
	tcase_add_test(tc, retention_is_quiet_while_the_store_is_away);
	tcase_add_test(tc, a_restarted_warehouse_is_not_the_next_steps_failure);
	tcase_add_test(tc, a_task_condition_reopens_a_connection_the_server_dropped);
	schedule_cases_add(tc);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(engine_pg_suite)
