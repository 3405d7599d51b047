/*
 * test_engine.c - the job engine on real SQLite databases: runs and their
 * transitions, parameters, retries, timeouts, cancellation, caching,
 * concurrency limits, crash recovery, draining, events and requests.
 * Tasks and schedules are in test_engine_tasks.c.
 *
 * Each test writes a real project (sluice.json) into a temporary
 * directory, loads it with the project loader and runs flows of real `sql`
 * steps against SQLite files.  Time-based behaviour uses the injectable
 * clock; engine_work_once drives runs on the test's thread, and the
 * supervisor thread (engine_start with workers = -1) is started where
 * timeouts and cancellation need it.
 */
#include "testutil.h"
#include "engine_testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

/* ---- a run, start to finish ---------------------------------------------------------- */
#define FLOW_ABC \
	"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n" \
	"  \"flows\": [ { \"name\": \"abc\",\n" \
	"    \"params\": { \"n\": { \"type\": \"int\", \"default\": 7 },\n" \
	"                  \"tag\": { \"type\": \"text\" } },\n" \
	"    \"steps\": [\n" \
	"     { \"name\": \"a\", \"kind\": \"sql\", \"connection\": \"wh\",\n" \
	"       \"sql\": \"CREATE TABLE IF NOT EXISTS t(x int, tag text); INSERT INTO t VALUES (:n, :tag)\" },\n" \
	"     { \"name\": \"b\", \"kind\": \"sql\", \"connection\": \"wh\", \"needs\": [\"a\"],\n" \
	"       \"sql\": \"INSERT INTO t VALUES (2, 'b')\" },\n" \
	"     { \"name\": \"c\", \"kind\": \"sql\", \"connection\": \"wh\", \"needs\": [\"a\"],\n" \
	"       \"sql\": \"INSERT INTO t VALUES (3, 'c')\" } ] } ] }\n"

START_TEST(run_completes_with_its_record)
{
	struct fixture *fx = fx_open(FLOW_ABC, NULL);
	int64_t id = fx_submit(fx, "abc", "tag", "hello", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(run_state_name(r->state), "COMPLETED");
	ck_assert_int_eq(r->attempt, 1);
	ck_assert_int_eq(r->rows_out, 3);
	ck_assert(r->started > 0 && r->ended >= r->started);
	ck_assert_str_eq(r->params, "{\"n\":7,\"tag\":\"hello\"}");
	store_run_free(r);
	fx_assert_transitions(fx, id, "PENDING RUNNING COMPLETED");
	struct vec steps = VEC_INIT;
	OK(store_step_list(fx->store, id, &steps, &E));
	ck_assert_int_eq(steps.len, 3);
	for (size_t i = 0; i < steps.len; i++) {
		struct store_step *st = steps.items[i];
		ck_assert_str_eq(step_state_name(st->state), "COMPLETED");
		ck_assert_int_eq(st->rows_out, 1);
		ck_assert(st->ended >= st->started && st->started > 0);
	}
	store_step_list_free(&steps);
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT group_concat(x || tag, ',') FROM "
				"(SELECT * FROM t ORDER BY x)"), "2b,3c,7hello");
	ck_assert_int_eq(fx_work(fx), 0);        /* nothing else is due */
	fx_close(fx);
}
END_TEST

START_TEST(bad_parameters_fail_the_run_in_pending)
{
	struct fixture *fx = fx_open(FLOW_ABC, NULL);
	static const char *const cases[][4] = {
		{ "n", "twelve", "tag", "parameter \"n\"" },     /* wrong type */
		{ "tag", "x", "colour", "no parameter \"colour\"" },  /* unknown */
		{ "n", "1", NULL, "parameter \"tag\"" },          /* required, missing */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct project_kv kv[2] = { { (char *)cases[i][0], (char *)cases[i][1] },
					    { (char *)cases[i][2], (char *)"v" } };
		struct engine_run_request req = { .flow = "abc", .params = kv,
						  .nparams = cases[i][2] ? 2 : 1 };
		int64_t id = 0;
		err_clear(&E);
		ck_assert_int_eq(engine_submit(fx->store, fx->p, &req, &id, &E), -1);
		ck_assert_int_eq(E.code, ERR_INVALID);
		ck_assert_msg(strstr(E.msg, cases[i][3]), "%s", E.msg);
		ck_assert(id > 0);
		struct store_run *r = store_run_get(fx->store, id, &E);
		ck_assert_str_eq(run_state_name(r->state), "FAILED");
		ck_assert_msg(r->error && strstr(r->error, cases[i][3]), "%s", r->error);
		ck_assert_int_eq(r->started, 0);
		store_run_free(r);
		fx_assert_transitions(fx, id, "PENDING FAILED");
	}
	ck_assert_int_eq(fx_work(fx), 0);
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM sqlite_master "
				"WHERE name = 't'"), "0");
	/* An unknown flow creates nothing. */
	struct engine_run_request req = { .flow = "nope" };
	int64_t id = 0;
	ck_assert_int_eq(engine_submit(fx->store, fx->p, &req, &id, &E), -1);
	ck_assert_int_eq(E.code, ERR_NOTFOUND);
	ck_assert_int_eq(id, 0);
	fx_close(fx);
}
END_TEST

/* ---- retries ------------------------------------------------------------------------------ */
/* The statement fails until the attempts table holds 3 rows: the first
 * INSERT commits on its own (no transaction), the CHECK fails the second. */
#define FLOW_FLAKY(retries) \
	"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n" \
	"  \"flows\": [ { \"name\": \"flaky\", " retries ",\n" \
	"    \"steps\": [\n" \
	"     { \"name\": \"setup\", \"kind\": \"sql\", \"connection\": \"wh\",\n" \
	"       \"sql\": \"CREATE TABLE IF NOT EXISTS attempts(x int); CREATE TABLE IF NOT EXISTS guard(n int CHECK (n >= 3))\" },\n" \
	"     { \"name\": \"try\", \"kind\": \"sql\", \"connection\": \"wh\", \"needs\": [\"setup\"],\n" \
	"       \"transaction\": false,\n" \
	"       \"sql\": \"INSERT INTO attempts VALUES (1); INSERT INTO guard SELECT count(*) FROM attempts\" },\n" \
	"     { \"name\": \"after\", \"kind\": \"sql\", \"connection\": \"wh\", \"needs\": [\"try\"],\n" \
	"       \"sql\": \"CREATE TABLE IF NOT EXISTS done(x int)\" } ] } ] }\n"

START_TEST(retries_with_exponential_backoff_then_succeeds)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open(FLOW_FLAKY("\"retries\": { \"count\": 2, \"delay\": \"10s\", "
						"\"backoff\": \"exponential\" }"), NULL);
	int64_t id = fx_submit(fx, "flaky", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "RETRYING");
	ck_assert_int_eq(r->next_retry, T0 + 10 * USEC_PER_SEC);
	ck_assert_msg(strstr(r->error, "CHECK"), "%s", r->error);
	ck_assert_int_eq(r->max_attempts, 3);
	store_run_free(r);
	/* The step that never ran is recorded SKIPPED for this attempt. */
	ck_assert_str_eq(fx_step_state(fx, id, "after"), "SKIPPED");

	fake_clock_set(T0 + 9 * USEC_PER_SEC);
	ck_assert_int_eq(fx_work(fx), 0);        /* not due yet */
	fake_clock_set(T0 + 10 * USEC_PER_SEC);
	ck_assert_int_eq(fx_work(fx), 1);        /* attempt 2 fails too */
	r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "RETRYING");
	ck_assert_int_eq(r->attempt, 2);
	/* exponential: 10 s * 2^(2-1) */
	ck_assert_int_eq(r->next_retry, T0 + 30 * USEC_PER_SEC);
	store_run_free(r);
	fake_clock_set(T0 + 29 * USEC_PER_SEC);
	ck_assert_int_eq(fx_work(fx), 0);
	fake_clock_set(T0 + 30 * USEC_PER_SEC);
	ck_assert_int_eq(fx_work(fx), 1);
	r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "COMPLETED");
	ck_assert_int_eq(r->attempt, 3);
	ck_assert_ptr_null(r->error);
	store_run_free(r);
	fx_assert_transitions(fx, id, "PENDING RUNNING RETRYING RUNNING RETRYING RUNNING COMPLETED");
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM attempts"), "3");
	ck_assert_str_eq(fx_step_state(fx, id, "after"), "COMPLETED");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(out_of_retries_fails_and_notifies)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open(
		"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"notifications\": { \"ops\": { \"slack_webhook_env\": \"TEST_HOOK\", "
		"\"on\": [\"task_suspended\"] },\n"
		"                     \"all\": { \"slack_webhook_env\": \"TEST_HOOK\" } },\n"
		"  \"flows\": [ { \"name\": \"bad\", \"notify\": [\"ops\"],\n"
		"    \"retries\": { \"count\": 1, \"delay\": \"5s\" },\n"
		"    \"steps\": [ { \"name\": \"boom\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"                   \"sql\": \"SELECT * FROM no_such_table\" },\n"
		"                 { \"name\": \"later\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"                   \"needs\": [\"boom\"], \"sql\": \"SELECT 1\" } ] } ] }\n", NULL);
	int64_t id = fx_submit(fx, "bad", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	fake_clock_set(T0 + 5 * USEC_PER_SEC);
	ck_assert_int_eq(fx_work(fx), 1);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "FAILED");
	ck_assert_msg(strstr(r->error, "no_such_table"), "%s", r->error);
	ck_assert_str_eq(r->reason, "step boom failed");
	store_run_free(r);
	fx_assert_transitions(fx, id, "PENDING RUNNING RETRYING RUNNING FAILED");
	ck_assert_str_eq(fx_step_state(fx, id, "boom"), "FAILED");
	ck_assert_str_eq(fx_step_state(fx, id, "later"), "SKIPPED");
	/* "ops" because the flow names it; "all" because it takes every event. */
	struct vec q = VEC_INIT;
	OK(store_notify_list(fx->store, 0, 10, &q, &E));
	ck_assert_int_eq(q.len, 2);
	for (size_t i = 0; i < q.len; i++) {
		struct store_notification *n = q.items[i];
		ck_assert_str_eq(n->event, "run_failed");
		ck_assert_msg(strstr(n->text, "bad") && strstr(n->text, "FAILED"), "%s", n->text);
	}
	store_notify_list_free(&q);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(step_retries_override_the_flow)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open(
		"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"flows\": [ { \"name\": \"f\", \"retries\": { \"count\": 5, \"delay\": \"1h\" },\n"
		"    \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"                   \"retries\": { \"count\": 1, \"delay\": \"2s\" },\n"
		"                   \"sql\": \"SELECT * FROM missing\" } ] } ] }\n", NULL);
	int64_t id = fx_submit(fx, "f", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "RETRYING");
	ck_assert_int_eq(r->next_retry, T0 + 2 * USEC_PER_SEC);   /* the step's delay */
	store_run_free(r);
	fake_clock_set(T0 + 2 * USEC_PER_SEC);
	ck_assert_int_eq(fx_work(fx), 1);
	r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "FAILED");    /* the step's count */
	store_run_free(r);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

/* ---- timeouts and cancellation ------------------------------------------------------------- */
/* A statement that never ends on its own: only an interrupt stops it. */
#define ENDLESS "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) " \
		"SELECT count(*) FROM c"

START_TEST(step_timeout_cancels_the_statement)
{
	struct fixture *fx = fx_open(
		"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"flows\": [ { \"name\": \"slow\",\n"
		"    \"steps\": [ { \"name\": \"spin\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"                   \"timeout\": \"300ms\", \"sql\": \"" ENDLESS "\" } ] } ] }\n", NULL);
	fx_start_supervisor(fx);
	int64_t id = fx_submit(fx, "slow", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "FAILED");
	ck_assert_msg(strstr(r->error, "step spin timed out after 300ms"), "%s", r->error);
	store_run_free(r);
	ck_assert_str_eq(fx_step_state(fx, id, "spin"), "FAILED");
	fx_close(fx);
}
END_TEST

START_TEST(run_timeout_fails_the_run)
{
	struct fixture *fx = fx_open(
		"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"flows\": [ { \"name\": \"slow\", \"timeout\": \"300ms\",\n"
		"    \"steps\": [ { \"name\": \"spin\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"                   \"sql\": \"" ENDLESS "\" } ] } ] }\n", NULL);
	fx_start_supervisor(fx);
	int64_t id = fx_submit(fx, "slow", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "FAILED");
	ck_assert_msg(strstr(r->error, "run timed out after 300ms"), "%s", r->error);
	store_run_free(r);
	fx_close(fx);
}
END_TEST

struct canceller {
	const char *url;
	int64_t run;
	bool saw_running;
};

/* Another "process": its own store handle; waits for the step to run,
 * then asks for the cancel the way `sluice cancel` does. */
static void *cancel_when_running(void *arg)
{
	struct canceller *c = arg;
	struct err e;
	struct store *s = store_open(c->url, NULL, &e);
	for (int i = 0; i < 500 && s; i++) {
		struct store_step *st = NULL;
		if (store_step_get(s, c->run, "load", &st, &e) == 1 &&
		    st->state == STEP_RUNNING) {
			store_step_free(st);
			c->saw_running = true;
			engine_cancel(s, c->run, "tester", &e);
			break;
		}
		store_step_free(st);
		usleep(10000);
	}
	store_close(s);
	return NULL;
}

START_TEST(cancel_mid_load_leaves_no_rows)
{
	struct fixture *fx = fx_open(
		"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"flows\": [ { \"name\": \"load\",\n"
		"    \"steps\": [ { \"name\": \"setup\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"                   \"sql\": \"CREATE TABLE target(x int)\" },\n"
		"                 { \"name\": \"load\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"                   \"needs\": [\"setup\"], \"sql\": \"WITH RECURSIVE n(i) AS "
		"(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO target "
		"SELECT i FROM n; " ENDLESS "\" },\n"
		"                 { \"name\": \"after\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"                   \"needs\": [\"load\"], \"sql\": \"SELECT 1\" } ] } ] }\n", NULL);
	fx_start_supervisor(fx);
	int64_t id = fx_submit(fx, "load", NULL);
	struct canceller c = { .url = fx->url, .run = id };
	pthread_t th;
	pthread_create(&th, NULL, cancel_when_running, &c);
	ck_assert_int_eq(fx_work(fx), 1);
	pthread_join(th, NULL);
	ck_assert(c.saw_running);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "CANCELLED");
	store_run_free(r);
	fx_assert_transitions(fx, id, "PENDING RUNNING CANCELLING CANCELLED");
	ck_assert_str_eq(fx_step_state(fx, id, "load"), "CANCELLED");
	ck_assert_str_eq(fx_step_state(fx, id, "after"), "CANCELLED");
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM target"), "0");
	/* A finished run cannot be cancelled; a queued one is cancelled at once. */
	ck_assert_int_eq(engine_cancel(fx->store, id, "tester", &E), -1);
	ck_assert_int_eq(E.code, ERR_CONFLICT);
	int64_t queued = fx_submit(fx, "load", NULL);
	OK(engine_cancel(fx->store, queued, "tester", &E));
	fx_assert_transitions(fx, queued, "PENDING CANCELLED");
	ck_assert_int_eq(fx_work(fx), 0);
	fx_close(fx);
}
END_TEST

/* ---- caching ------------------------------------------------------------------------------------- */
START_TEST(cached_within_expiry_not_after)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open(
		"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"flows\": [ { \"name\": \"agg\", \"params\": { \"d\": { \"default\": \"x\" } },\n"
		"    \"steps\": [ { \"name\": \"sum\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"                   \"cache\": \"1h\", \"inputs\": [\"src\"],\n"
		"                   \"sql\": \"INSERT INTO out SELECT count(*) FROM src\" } ] } ] }\n",
		NULL);
	fx_exec(fx, "wh.db", "CREATE TABLE src(x int); INSERT INTO src VALUES (1), (2); "
		"CREATE TABLE out(n int)");
	int64_t a = fx_submit(fx, "agg", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, a, "COMPLETED");
	fake_clock_set(T0 + 30 * 60 * USEC_PER_SEC);
	int64_t b = fx_submit(fx, "agg", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, b, "CACHED");
	ck_assert_str_eq(fx_step_state(fx, b, "sum"), "CACHED");
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM out"), "1");
	/* Another parameter value is another key. */
	int64_t c = fx_submit(fx, "agg", "d", "y", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, c, "COMPLETED");
	/* Changed input is another key. */
	fx_exec(fx, "wh.db", "INSERT INTO src VALUES (3)");
	int64_t d = fx_submit(fx, "agg", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, d, "COMPLETED");
	/* Past the expiry: runs again. */
	fake_clock_set(T0 + 30 * 60 * USEC_PER_SEC + 61 * 60 * USEC_PER_SEC);
	int64_t e2 = fx_submit(fx, "agg", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, e2, "COMPLETED");
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM out"), "4");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

/* ---- concurrency limits --------------------------------------------------------------------------- */
#define FLOW_LIMITED(policy) \
	"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n" \
	"  \"flows\": [ { \"name\": \"one\", \"on_limit\": \"" policy "\",\n" \
	"    \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\",\n" \
	"                   \"sql\": \"SELECT 1\" } ] },\n" \
	"   { \"name\": \"other\", \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\",\n" \
	"     \"connection\": \"wh\", \"sql\": \"SELECT 1\" } ] } ] }\n"

START_TEST(limit_wait_queues)
{
	struct fixture *fx = fx_open(FLOW_LIMITED("wait"), NULL);
	int limit = -1;
	ck_assert_int_eq(store_flow_limit_get(fx->store, "one", &limit, &E), 1);
	ck_assert_int_eq(limit, 1);
	int64_t a = fx_submit(fx, "one", NULL);
	int64_t b = fx_submit(fx, "one", NULL);
	/* Another worker holds run a. */
	struct store_run *held = NULL;
	OK(store_worker_register(fx->store, "elsewhere", "h", 1, &E));
	ck_assert_int_eq(store_run_claim_id(fx->store, a, "elsewhere", &held, &E), 0);
	store_run_free(held);
	ck_assert_int_eq(fx_work(fx), 0);         /* b waits */
	fx_assert_state(fx, b, "PENDING");
	int64_t o = fx_submit(fx, "other", NULL);
	ck_assert_int_eq(fx_work(fx), 1);         /* other flows are not held up */
	fx_assert_state(fx, o, "COMPLETED");
	OK(store_run_transition(fx->store, a, RUN_COMPLETED, "done elsewhere", NULL, &E));
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, b, "COMPLETED");
	fx_close(fx);
}
END_TEST

START_TEST(limit_refuse_refuses)
{
	struct fixture *fx = fx_open(FLOW_LIMITED("refuse"), NULL);
	int64_t a = fx_submit(fx, "one", NULL);
	struct engine_run_request req = { .flow = "one" };
	int64_t b = 0;
	ck_assert_int_eq(engine_submit(fx->store, fx->p, &req, &b, &E), -1);
	ck_assert_int_eq(E.code, ERR_CONFLICT);
	ck_assert_msg(strstr(E.msg, "concurrency limit") && strstr(E.msg, "refuse") &&
		      strstr(E.msg, "PENDING"), "%s", E.msg);
	ck_assert_int_eq(b, 0);
	struct store_run_filter f = { .flow = "one" };
	int64_t n = 0;
	OK(store_run_count(fx->store, &f, &n, &E));
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, a, "COMPLETED");
	b = fx_submit(fx, "one", NULL);            /* room again */
	ck_assert(b > a);
	fx_close(fx);
}
END_TEST

/* ---- crash recovery ---------------------------------------------------------------------------- */
#define FLOW_RECOVER(count) \
	"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n" \
	"  \"flows\": [ { \"name\": \"r\", \"retries\": { \"count\": " count " },\n" \
	"    \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\",\n" \
	"                   \"sql\": \"CREATE TABLE IF NOT EXISTS t(x int); INSERT INTO t VALUES (1)\" } ] } ] }\n"

START_TEST(crashed_run_is_retried_in_place)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open(FLOW_RECOVER("1"), NULL);
	int64_t id = fx_submit(fx, "r", NULL);
	/* A worker on another host claims it, then goes silent. */
	OK(store_worker_register(fx->store, "gone", "elsewhere.example", 4242, &E));
	struct store_run *held = NULL;
	ck_assert_int_eq(store_run_claim_id(fx->store, id, "gone", &held, &E), 0);
	store_run_free(held);
	OK(engine_recover(fx->eng, &E));
	fx_assert_state(fx, id, "RUNNING");         /* within the lease */
	fake_clock_set(T0 + 31 * USEC_PER_SEC);
	OK(engine_recover(fx->eng, &E));
	fx_assert_transitions(fx, id, "PENDING RUNNING CRASHED RETRYING");
	ck_assert_str_eq(fx_reason(fx, id, RUN_CRASHED),
			 "worker gone lost: no heartbeat for 31s");
	ck_assert_int_eq(fx_work(fx), 1);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "COMPLETED");
	ck_assert_int_eq(r->attempt, 2);
	store_run_free(r);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

/* The store recorded a claim by this very engine, whose reply was lost
 * (the connection broke as the commit went through): the engine never ran
 * it, and its heartbeat is fresh, so nobody else would ever recover it.
 * After a lease without a change it is recovered like any crashed run. */
START_TEST(a_claim_whose_reply_was_lost_is_recovered)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open(FLOW_RECOVER("1"), NULL);
	int64_t id = fx_submit(fx, "r", NULL);
	struct store_run *held = NULL;
	ck_assert_int_eq(store_run_claim_id(fx->store, id, engine_worker_id(fx->eng),
					    &held, &E), 0);
	store_run_free(held);
	OK(engine_recover(fx->eng, &E));
	fx_assert_state(fx, id, "RUNNING");          /* it may be starting now */
	fake_clock_set(T0 + 31 * USEC_PER_SEC);
	OK(engine_recover(fx->eng, &E));
	fx_assert_transitions(fx, id, "PENDING RUNNING CRASHED RETRYING");
	ck_assert_msg(strstr(fx_reason(fx, id, RUN_CRASHED), "is alive but not running it"),
		      "%s", fx->buf);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, id, "COMPLETED");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(crashed_run_without_retries_stays_crashed)
{
	/* With a channel: what it hears. */
	struct fixture *fx = fx_open(
		"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"notifications\": { \"ops\": { \"slack_webhook_env\": \"H\" } },\n"
		"  \"flows\": [ { \"name\": \"r\", \"steps\": [ { \"name\": \"s\", "
		"\"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"SELECT 1\" } ] } ] }\n",
		NULL);
	int64_t id = fx_submit(fx, "r", NULL);
	/* A worker process on this host that no longer exists: recovered at once. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	char host[256] = "localhost";
	gethostname(host, sizeof host - 1);
	OK(store_worker_register(fx->store, "dead", host, pid, &E));
	struct store_run *held = NULL;
	ck_assert_int_eq(store_run_claim_id(fx->store, id, "dead", &held, &E), 0);
	store_run_free(held);
	OK(engine_recover(fx->eng, &E));
	fx_assert_transitions(fx, id, "PENDING RUNNING CRASHED");
	/* Seen gone at once: the reason says so, not "no heartbeat". */
	char want[128];
	snprintf(want, sizeof want, "worker dead exited (pid %d gone)", (int)pid);
	ck_assert_str_eq(fx_reason(fx, id, RUN_CRASHED), want);
	ck_assert_int_eq(fx_work(fx), 0);
	/* Two alerts: the run crashed, and its worker was lost. */
	struct vec q = VEC_INIT;
	OK(store_notify_list(fx->store, 0, 10, &q, &E));
	ck_assert_int_eq(q.len, 2);
	const struct store_notification *crashed = q.items[0], *lost = q.items[1];
	ck_assert_str_eq(crashed->event, "run_crashed");
	ck_assert_str_eq(crashed->object, "flow:r");
	ck_assert_str_eq(lost->event, "worker_lost");
	ck_assert_str_eq(lost->object, "worker:dead");
	ck_assert_msg(crashed->detail && strstr(crashed->detail, "\"state\":\"CRASHED\""),
		      "%s", crashed->detail);
	store_notify_list_free(&q);
	fx_close(fx);
}
END_TEST

/* ---- stopping ------------------------------------------------------------------------------------- */
/* A one-worker engine of its own (the fixture's is closed) driving a new
 * run of `flow`, which is RUNNING when this returns. */
static struct engine *engine_running(struct fixture *fx, const char *flow, int64_t *id)
{
	fx_close_engine(fx);
	struct engine_options opt = { .store_url = fx->url, .workers = 1,
				      .no_scheduler = true, .no_notifier = true,
				      .no_log_sink = true, .poll = 20 * USEC_PER_MSEC };
	struct engine *eng = engine_new(fx->p, &opt, &E);
	ck_assert_msg(eng != NULL, "%s", E.msg);
	*id = fx_submit(fx, flow, NULL);
	OK(engine_start(eng, &E));
	ck_assert(fx_wait_state(fx, *id, "RUNNING", 5000));
	return eng;
}

START_TEST(stop_after_grace_sends_the_run_back)
{
	struct fixture *fx = fx_open(
		"{ \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"flows\": [ { \"name\": \"slow\",\n"
		"    \"steps\": [ { \"name\": \"spin\", \"kind\": \"sql\", \"connection\": \"wh\",\n"
		"                   \"sql\": \"" ENDLESS "\" } ] } ] }\n", NULL);
	int64_t id;
	struct engine *eng = engine_running(fx, "slow", &id);
	usleep(100 * 1000);
	usec_t t = clock_monotonic_us();
	ck_assert_int_eq(engine_stop(eng, 300 * USEC_PER_MSEC, &E), -1);
	ck_assert_int_eq(E.code, ERR_TIMEOUT);
	ck_assert(clock_monotonic_us() - t < 5 * USEC_PER_SEC);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "PENDING");     /* handed back */
	ck_assert_msg(str_starts_with(r->reason, "handed back by draining worker "),
		      "%s", r->reason);
	ck_assert_int_eq(r->attempt, 1);
	store_run_free(r);
	struct vec ws = VEC_INIT;
	OK(store_worker_list(fx->store, &ws, &E));
	ck_assert_int_eq(ws.len, 0);                  /* unregistered */
	store_worker_list_free(&ws);
	engine_free(eng);
	fx_close(fx);
}
END_TEST

/* An HTTP server in a child that takes a connection and says nothing for
 * `secs` seconds: a download that no cancel can stop (curl is not told). */
static pid_t serve_silence(int secs, int *port)
{
	int s = test_listen_loopback(port);
	pid_t pid = fork();
	if (pid == 0) {
		int c = accept(s, NULL, NULL);
		sleep((unsigned)secs);
		close(c);
		_exit(0);
	}
	close(s);
	return pid;
}

/* Operators who will not wait (a third signal) get every run handed
 * back at once, even one whose step does not stop when cancelled; the
 * engine's threads are left behind for the process to end. */
START_TEST(stop_hands_back_a_run_whose_step_will_not_stop)
{
	int port;
	pid_t server = serve_silence(20, &port);
	char *json = xasprintf(
		"{ \"lake\": { \"url\": \"file:lake\" },\n"
		"  \"flows\": [ { \"name\": \"fetch\",\n"
		"    \"steps\": [ { \"name\": \"get\", \"kind\": \"http\",\n"
		"                   \"url\": \"http://127.0.0.1:%d/rates.json\",\n"
		"                   \"to\": \"rates/\" } ] } ] }\n", port);
	struct fixture *fx = fx_open(json, NULL);
	free(json);
	int64_t id;
	struct engine *eng = engine_running(fx, "fetch", &id);
	usleep(200 * 1000);
	engine_hurry(eng);
	engine_hurry(eng);
	usec_t t = clock_monotonic_us();
	ck_assert_int_eq(engine_stop(eng, 60 * USEC_PER_SEC, &E), -1);
	ck_assert_int_eq(E.code, ERR_TIMEOUT);
	ck_assert(clock_monotonic_us() - t < 3 * USEC_PER_SEC);
	ck_assert(engine_left_behind(eng));
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "PENDING");
	ck_assert_msg(strstr(r->reason, "handed back by draining worker ") &&
		      strstr(r->reason, "its step did not stop in time"), "%s", r->reason);
	ck_assert_int_eq(r->attempt, 1);
	store_run_free(r);
	struct vec ws = VEC_INIT;
	OK(store_worker_list(fx->store, &ws, &E));
	ck_assert_int_eq(ws.len, 0);
	store_worker_list_free(&ws);
	kill(server, SIGKILL);      /* the download fails; its thread ends */
	waitpid(server, NULL, 0);
	engine_free(eng);
	r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(run_state_name(r->state), "PENDING");   /* still */
	store_run_free(r);
	fx_close(fx);
}
END_TEST

START_TEST(workers_run_queued_runs_in_parallel)
{
	struct fixture *fx = fx_open(
		"{ \"connections\": { \"a\": { \"url\": \"sqlite:a.db\" },\n"
		"                     \"b\": { \"url\": \"sqlite:b.db\" } },\n"
		"  \"flows\": [ { \"name\": \"two\",\n"
		"    \"steps\": [ { \"name\": \"x\", \"kind\": \"sql\", \"connection\": \"a\",\n"
		"                   \"sql\": \"CREATE TABLE IF NOT EXISTS t(x int); INSERT INTO t VALUES (1)\" },\n"
		"                 { \"name\": \"y\", \"kind\": \"sql\", \"connection\": \"b\",\n"
		"                   \"sql\": \"CREATE TABLE IF NOT EXISTS t(x int); INSERT INTO t VALUES (1)\" },\n"
		"                 { \"name\": \"z\", \"kind\": \"sql\", \"connection\": \"a\",\n"
		"                   \"needs\": [\"x\", \"y\"], \"sql\": \"INSERT INTO t VALUES (2)\" } ] } ] }\n",
		NULL);
	fx_close_engine(fx);
	OK(store_flow_limit_set(fx->store, "two", 0, &E));
	struct engine_options opt = { .store_url = fx->url, .workers = 3,
				      .no_scheduler = true, .no_notifier = true,
				      .no_log_sink = true, .poll = 10 * USEC_PER_MSEC };
	struct engine *eng = engine_new(fx->p, &opt, &E);
	ck_assert_msg(eng != NULL, "%s", E.msg);
	OK(store_flow_limit_set(fx->store, "two", 0, &E));
	int64_t ids[6];
	for (int i = 0; i < 6; i++)
		ids[i] = fx_submit(fx, "two", NULL);
	OK(engine_start(eng, &E));
	for (int i = 0; i < 6; i++)
		ck_assert(fx_wait_state(fx, ids[i], "COMPLETED", 10000));
	OK(engine_stop(eng, USEC_PER_SEC, &E));
	engine_free(eng);
	ck_assert_str_eq(fx_sql(fx, "a.db", "SELECT count(*) FROM t"), "12");
	ck_assert_str_eq(fx_sql(fx, "b.db", "SELECT count(*) FROM t"), "6");
	fx_close(fx);
}
END_TEST

/* ---- events ------------------------------------------------------------------------------------------ */
START_TEST(events_reach_the_queue_and_overflow_to_resync)
{
	struct fixture *fx = fx_open(FLOW_ABC, NULL);
	int fd = engine_event_fd(fx->eng);
	ck_assert(fd >= 0);
	struct engine_event evs[64];
	while (engine_events_drain(fx->eng, evs, 64) > 0)
		;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	int64_t id = fx_submit(fx, "abc", "tag", "t", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	bool running = false, completed = false, step = false;
	size_t n;
	while ((n = engine_events_drain(fx->eng, evs, 64)) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (evs[i].kind == ENGINE_EV_RUN && evs[i].run_id == id) {
				running |= evs[i].state == RUN_RUNNING;
				completed |= evs[i].state == RUN_COMPLETED;
			}
			step |= evs[i].kind == ENGINE_EV_STEP && evs[i].run_id == id;
		}
	}
	ck_assert(running && completed && step);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	/* Flood it: the engine never blocks; the reader is told to resync. */
	for (int i = 0; i < ENGINE_EVENT_QUEUE + 100; i++)
		log_info("flood %d", i);
	n = engine_events_drain(fx->eng, evs, 64);
	ck_assert(n >= 1);
	ck_assert_int_eq(evs[0].kind, ENGINE_EV_RESYNC);
	while (engine_events_drain(fx->eng, evs, 64) > 0)
		;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	fx_close(fx);
}
END_TEST

/* ---- retry of a finished run ----------------------------------------------------------------------- */
START_TEST(retry_makes_a_child_run)
{
	struct fixture *fx = fx_open(FLOW_ABC, NULL);
	int64_t id = fx_submit(fx, "abc", "tag", "z", "n", "5", NULL);
	int64_t child = 0;
	ck_assert_int_eq(engine_retry(fx->store, fx->p, id, NULL, &child, &E), -1);
	ck_assert_int_eq(E.code, ERR_CONFLICT);              /* not finished */
	ck_assert_int_eq(fx_work(fx), 1);
	OK(engine_retry(fx->store, fx->p, id, NULL, &child, &E));
	struct store_run *r = store_run_get(fx->store, child, &E);
	ck_assert_int_eq(r->parent_run, id);
	ck_assert_int_eq(r->trigger, TRIGGER_RETRY);
	ck_assert_str_eq(r->params, "{\"n\":5,\"tag\":\"z\"}");
	store_run_free(r);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, child, "COMPLETED");
	fx_close(fx);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("runs");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, run_completes_with_its_record);
	tcase_add_test(tc, bad_parameters_fail_the_run_in_pending);
	tcase_add_test(tc, retries_with_exponential_backoff_then_succeeds);
	tcase_add_test(tc, out_of_retries_fails_and_notifies);
	tcase_add_test(tc, step_retries_override_the_flow);
	tcase_add_test(tc, step_timeout_cancels_the_statement);
	tcase_add_test(tc, run_timeout_fails_the_run);
	tcase_add_test(tc, cancel_mid_load_leaves_no_rows);
	tcase_add_test(tc, cached_within_expiry_not_after);
	tcase_add_test(tc, limit_wait_queues);
	tcase_add_test(tc, limit_refuse_refuses);
	tcase_add_test(tc, crashed_run_is_retried_in_place);
	tcase_add_test(tc, crashed_run_without_retries_stays_crashed);
	tcase_add_test(tc, a_claim_whose_reply_was_lost_is_recovered);
	tcase_add_test(tc, stop_after_grace_sends_the_run_back);
	tcase_add_test(tc, stop_hands_back_a_run_whose_step_will_not_stop);
	tcase_add_test(tc, workers_run_queued_runs_in_parallel);
	tcase_add_test(tc, events_reach_the_queue_and_overflow_to_resync);
	tcase_add_test(tc, retry_makes_a_child_run);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(engine_suite)
