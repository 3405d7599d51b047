/*
 * test_engine_pg.c - the engine with a PostgreSQL control store, the way a
 * team runs several workers: runs drained by two engines at once (each run
 * claimed exactly once, FOR UPDATE SKIP LOCKED), the flow limit held
 * across engines, crash recovery, and one scheduler at a time.
 * The data connection stays SQLite; the control store is what differs.
 */
#include "testutil.h"
#include "engine_testutil.h"

static char *control_url(const char *db)
{
	char *url = test_pg_database(db, &E);
	ck_assert_msg(url != NULL, "%s", err_text(&E));
	return url;
}

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
	fake_clock_set(T0 + 31 * USEC_PER_SEC);
	OK(engine_recover(fx->eng, &E));
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

static Suite *engine_pg_suite(void)
{
	Suite *s = suite_create("engine (postgresql control store)");
	TCase *tc = tcase_create("pg");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, two_engines_drain_runs_exactly_once);
	tcase_add_test(tc, recovery_and_the_scheduler_lease_on_postgres);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(engine_pg_suite)
