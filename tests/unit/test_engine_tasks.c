/*
 * test_engine_tasks.c - the scheduler on a fake clock: interval and cron
 * schedules (with a time zone), `when` conditions over a real stream,
 * overlap skipping, auto-suspension, task graphs, a missed tick running
 * once, SQL-file tasks, one scheduler at a time, operator requests, and
 * pipe polling.
 * No sleeps: every tick is engine_scheduler_tick at a chosen instant.
 */
#include "testutil.h"
#include "engine_testutil.h"

static char *sched_control(const char *db)
{
	(void)db;
	return NULL;                /* SQLite beside the project */
}
#include "schedule_cases.h"

#define MIN (60 * USEC_PER_SEC)

static void tick(struct fixture *fx, usec_t t)
{
	fake_clock_set(t);
	err_clear(&E);
	ck_assert_msg(engine_scheduler_tick(fx->eng, t, &E) == 0, "tick: %s", E.msg);
}

/* History of a task, newest first. */
static size_t history(struct fixture *fx, const char *task, struct vec *out)
{
	OK(store_task_list(fx->store, task, 100, 0, out, &E));
	return out->len;
}

static size_t history_count(struct fixture *fx, const char *task)
{
	struct vec h = VEC_INIT;
	size_t n = history(fx, task, &h);
	store_task_list_free(&h);
	return n;
}

static struct store_task_entry *newest(struct fixture *fx, const char *task)
{
	struct vec h = VEC_INIT;
	history(fx, task, &h);
	ck_assert_msg(h.len > 0, "task %s has no history", task);
	struct store_task_entry *t = h.items[0];
	h.items[0] = NULL;
	for (size_t i = 1; i < h.len; i++)
		store_task_free(h.items[i]);
	vec_free(&h);
	return t;
}

static void assert_newest(struct fixture *fx, const char *task, const char *state,
			  usec_t scheduled)
{
	struct store_task_entry *t = newest(fx, task);
	ck_assert_msg(strcmp(task_state_name(t->state), state) == 0,
		      "task %s: %s (%s), expected %s", task, task_state_name(t->state),
		      t->error ? t->error : "", state);
	if (scheduled)
		ck_assert_int_eq(t->scheduled, scheduled);
	store_task_free(t);
}

#define CONN "\"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
#define OKFLOW(name) "{ \"name\": \"" name "\", \"steps\": [ { \"name\": \"s\", " \
	"\"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"CREATE TABLE IF NOT EXISTS " \
	name "_done(x int); INSERT INTO " name "_done VALUES (1)\" } ] }"
#define BADFLOW(name) "{ \"name\": \"" name "\", \"steps\": [ { \"name\": \"s\", " \
	"\"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"SELECT * FROM nowhere\" } ] }"

START_TEST(interval_task_fires_on_its_tick)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN
		"\"flows\": [ " OKFLOW("f") " ],\n"
		"\"tasks\": [ { \"name\": \"every\", \"schedule\": \"every 1 minute\", "
		"\"flow\": \"f\" } ] }\n", NULL);
	tick(fx, T0);
	tick(fx, T0 + MIN - 1);
	ck_assert_int_eq(history_count(fx, "every"), 0);
	tick(fx, T0 + MIN);
	struct store_task_entry *t = newest(fx, "every");
	ck_assert_str_eq(task_state_name(t->state), "EXECUTING");
	ck_assert_int_eq(t->scheduled, T0 + MIN);
	ck_assert_int_eq(t->started, T0 + MIN);
	int64_t run = t->run_id;
	store_task_free(t);
	struct store_run *r = store_run_get(fx->store, run, &E);
	ck_assert_int_eq(r->trigger, TRIGGER_TASK);
	ck_assert_str_eq(r->trigger_detail, "every");
	store_run_free(r);
	tick(fx, T0 + MIN + 1);                 /* still running: nothing new */
	ck_assert_int_eq(history_count(fx, "every"), 1);
	fake_clock_set(T0 + MIN + 2 * USEC_PER_SEC);
	ck_assert_int_eq(fx_work(fx), 1);
	tick(fx, T0 + MIN + 3 * USEC_PER_SEC);
	t = newest(fx, "every");
	ck_assert_str_eq(task_state_name(t->state), "SUCCEEDED");
	ck_assert_int_eq(t->completed, T0 + MIN + 2 * USEC_PER_SEC);
	ck_assert_int_eq(t->run_id, run);
	store_task_free(t);
	tick(fx, T0 + 2 * MIN);
	ck_assert_int_eq(history_count(fx, "every"), 2);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(cron_tasks_follow_their_time_zone)
{
	fake_clock_set(T0);     /* 12:00 UTC = 07:00 in New York (EST) */
	struct fixture *fx = fx_open("{ " CONN
		"\"flows\": [ " OKFLOW("f") " ],\n"
		"\"tasks\": [ { \"name\": \"ny\", \"schedule\": \"30 7 * * *\", "
		"\"timezone\": \"America/New_York\", \"flow\": \"f\" },\n"
		"  { \"name\": \"five\", \"schedule\": \"*/5 * * * *\", \"flow\": \"f\", "
		"\"overlap\": true } ] }\n", NULL);
	OK(store_flow_limit_set(fx->store, "f", 0, &E));
	tick(fx, T0);
	tick(fx, T0 + 5 * MIN - 1);
	ck_assert_int_eq(history_count(fx, "five"), 0);
	tick(fx, T0 + 5 * MIN);
	assert_newest(fx, "five", "EXECUTING", T0 + 5 * MIN);
	tick(fx, T0 + 30 * MIN - 1);
	ck_assert_int_eq(history_count(fx, "ny"), 0);
	tick(fx, T0 + 30 * MIN);
	assert_newest(fx, "ny", "EXECUTING", T0 + 30 * MIN);    /* 07:30 EST = 12:30 UTC */
	ck_assert_int_eq(history_count(fx, "ny"), 1);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(when_condition_is_evaluated_and_recorded)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN
		"\"streams\": [ { \"name\": \"s\", \"connection\": \"wh\", \"table\": \"raw\" } ],\n"
		"\"flows\": [ " OKFLOW("f") ", " OKFLOW("g") " ],\n"
		"\"tasks\": [ { \"name\": \"busy\", \"schedule\": \"every 1 minute\", "
		"\"when\": \"stream_rows(s) > 2\", \"flow\": \"f\" },\n"
		"  { \"name\": \"any\", \"schedule\": \"every 1 minute\", "
		"\"when\": \"stream_has_data(s)\", \"flow\": \"g\" } ] }\n", NULL);
	fx_exec(fx, "wh.db", "CREATE TABLE raw(_sluice_id integer primary key, v text); "
		"INSERT INTO raw(v) VALUES ('a')");
	tick(fx, T0);
	tick(fx, T0 + MIN);
	struct store_task_entry *t = newest(fx, "busy");
	ck_assert_str_eq(task_state_name(t->state), "SKIPPED");
	ck_assert_int_eq(t->run_id, 0);
	ck_assert_msg(t->condition && strstr(t->condition, "stream_rows(s) = 1") &&
		      strstr(t->condition, ": false"), "%s", t->condition);
	store_task_free(t);
	t = newest(fx, "any");
	ck_assert_str_eq(task_state_name(t->state), "EXECUTING");
	ck_assert_msg(strstr(t->condition, "stream_has_data(s) = 1") &&
		      strstr(t->condition, ": true"), "%s", t->condition);
	store_task_free(t);
	fx_exec(fx, "wh.db", "INSERT INTO raw(v) VALUES ('b'), ('c'), ('d')");
	tick(fx, T0 + 2 * MIN);
	t = newest(fx, "busy");
	ck_assert_str_eq(task_state_name(t->state), "EXECUTING");
	ck_assert(t->run_id > 0);
	ck_assert_msg(strstr(t->condition, "stream_rows(s) = 4") &&
		      strstr(t->condition, ": true"), "%s", t->condition);
	store_task_free(t);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

/* A stream over a table that does not exist yet (nothing loaded it) has
 * no data: the task skips, saying why, and does not fail.  A condition
 * that cannot be evaluated fails the task and counts toward max_failures. */
START_TEST(a_stream_without_its_table_has_no_data_and_broken_conditions_suspend)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN
		"\"streams\": [ { \"name\": \"s\", \"connection\": \"wh\", \"table\": \"raw\" },\n"
		"  { \"name\": \"b\", \"connection\": \"wh\", \"table\": \"noid\" } ],\n"
		"\"flows\": [ " OKFLOW("f") ", " OKFLOW("g") " ],\n"
		"\"tasks\": [ { \"name\": \"early\", \"schedule\": \"every 1 minute\", "
		"\"when\": \"stream_has_data(s)\", \"flow\": \"f\", \"max_failures\": 2 },\n"
		"  { \"name\": \"broken\", \"schedule\": \"every 1 minute\", "
		"\"when\": \"stream_rows(b) > 0\", \"flow\": \"g\", \"max_failures\": 2 } ] }\n",
		NULL);
	fx_exec(fx, "wh.db", "CREATE TABLE noid(v text)");   /* no offset column */
	tick(fx, T0);
	for (int i = 1; i <= 2; i++)
		tick(fx, T0 + i * MIN);
	struct store_task_entry *t = newest(fx, "early");
	ck_assert_msg(t->state == TASK_SKIPPED, "%s: %s (%s)", task_state_name(t->state),
		      t->error ? t->error : "", t->condition ? t->condition : "");
	ck_assert_msg(t->condition && strstr(t->condition, "stream_has_data(s) = 0 (table raw "
					     "does not exist yet)"), "%s", t->condition);
	store_task_free(t);
	char *st = engine_task_state(fx->store, fx->p, "early", NULL, &E);
	ck_assert_str_ne(st, "FAILED_AND_AUTO_SUSPENDED");
	free(st);
	t = newest(fx, "broken");
	ck_assert_str_eq(task_state_name(t->state), "FAILED");
	store_task_free(t);
	st = engine_task_state(fx->store, fx->p, "broken", NULL, &E);
	ck_assert_str_eq(st, "FAILED_AND_AUTO_SUSPENDED");
	free(st);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(a_tick_during_a_run_is_skipped)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN
		"\"flows\": [ " OKFLOW("f") ", " OKFLOW("g") " ],\n"
		"\"tasks\": [ { \"name\": \"once\", \"schedule\": \"every 1 minute\", \"flow\": \"f\" },\n"
		"  { \"name\": \"many\", \"schedule\": \"every 1 minute\", \"flow\": \"g\", "
		"\"overlap\": true } ] }\n", NULL);
	OK(store_flow_limit_set(fx->store, "g", 0, &E));
	tick(fx, T0);
	tick(fx, T0 + MIN);
	tick(fx, T0 + 2 * MIN);                 /* nothing ran in between */
	struct vec h = VEC_INIT;
	ck_assert_int_eq(history(fx, "once", &h), 2);
	struct store_task_entry *skipped = h.items[0], *first = h.items[1];
	ck_assert_str_eq(task_state_name(skipped->state), "SKIPPED");
	ck_assert_int_eq(skipped->scheduled, T0 + 2 * MIN);
	ck_assert_msg(strstr(skipped->error, "still going"), "%s", skipped->error);
	ck_assert_str_eq(task_state_name(first->state), "EXECUTING");
	store_task_list_free(&h);
	ck_assert_int_eq(history_count(fx, "many"), 2);  /* overlap allowed */
	assert_newest(fx, "many", "EXECUTING", T0 + 2 * MIN);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

/* A task whose trouble a channel heard of (auto-suspended) and which then
 * succeeds sends that channel one recovery message, and only that one; a
 * channel that heard nothing hears nothing. */
START_TEST(recovered_task_tells_the_channels_that_heard)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN
		"\"notifications\": { \"ops\": { \"slack_webhook_env\": \"TEST_HOOK\", "
		"\"on\": [\"task_suspended\"] },\n"
		"  \"quiet\": { \"slack_webhook_env\": \"TEST_HOOK2\", "
		"\"on\": [\"late_run\"] } },\n"
		"\"flows\": [ { \"name\": \"flip\", \"steps\": [ { \"name\": \"s\", "
		"\"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"SELECT * FROM later\" } ] } ],\n"
		"\"tasks\": [ { \"name\": \"t\", \"schedule\": \"every 1 minute\", \"flow\": \"flip\", "
		"\"max_failures\": 1 } ] }\n", NULL);
	tick(fx, T0);
	tick(fx, T0 + MIN);
	ck_assert_int_eq(fx_work(fx), 1);
	tick(fx, T0 + MIN + 1);
	assert_newest(fx, "t", "FAILED", T0 + MIN);
	struct vec q = VEC_INIT;
	OK(store_notify_list(fx->store, 0, 10, &q, &E));
	ck_assert_int_eq(q.len, 1);                     /* the suspension, to ops */
	store_notify_list_free(&q);
	fx_exec(fx, "wh.db", "CREATE TABLE later(x int)");
	OK(engine_task_set(fx->store, fx->p, "t", true, "tester", &E));
	tick(fx, T0 + MIN + 30 * USEC_PER_SEC);
	tick(fx, T0 + 2 * MIN);
	ck_assert_int_eq(fx_work(fx), 1);
	tick(fx, T0 + 2 * MIN + 1);
	assert_newest(fx, "t", "SUCCEEDED", T0 + 2 * MIN);
	tick(fx, T0 + 3 * MIN);                         /* another success: no second one */
	ck_assert_int_eq(fx_work(fx), 1);
	tick(fx, T0 + 3 * MIN + 1);
	OK(store_notify_list(fx->store, 0, 10, &q, &E));
	size_t recoveries = 0;
	for (size_t i = 0; i < q.len; i++) {
		struct store_notification *n = q.items[i];
		if (strcmp(n->event, "recovered"))
			continue;
		recoveries++;
		ck_assert_str_eq(n->channel, "ops");
		ck_assert_str_eq(n->object, "task:t");
		ck_assert_msg(strstr(n->text, "task t is healthy again"), "%s", n->text);
	}
	ck_assert_int_eq(recoveries, 1);
	store_notify_list_free(&q);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(consecutive_failures_auto_suspend)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN
		"\"notifications\": { \"ops\": { \"slack_webhook_env\": \"TEST_HOOK\", "
		"\"on\": [\"task_suspended\"] } },\n"
		"\"flows\": [ " BADFLOW("bad") " ],\n"
		"\"tasks\": [ { \"name\": \"t\", \"schedule\": \"every 1 minute\", \"flow\": \"bad\", "
		"\"max_failures\": 2 } ] }\n", NULL);
	tick(fx, T0);
	for (int i = 1; i <= 2; i++) {
		tick(fx, T0 + i * MIN);
		ck_assert_int_eq(fx_work(fx), 1);
		tick(fx, T0 + i * MIN + 1);
		assert_newest(fx, "t", "FAILED", T0 + i * MIN);
	}
	char *st = engine_task_state(fx->store, fx->p, "t", NULL, &E);
	ck_assert_str_eq(st, "FAILED_AND_AUTO_SUSPENDED");
	free(st);
	struct vec q = VEC_INIT;
	OK(store_notify_list(fx->store, 0, 10, &q, &E));
	ck_assert_int_eq(q.len, 1);
	struct store_notification *n = q.items[0];
	ck_assert_str_eq(n->event, "task_suspended");
	ck_assert_str_eq(n->channel, "ops");
	ck_assert_msg(strstr(n->text, "Task t") && strstr(n->text, "2 consecutive"), "%s",
		      n->text);
	store_notify_list_free(&q);
	tick(fx, T0 + 3 * MIN);
	ck_assert_int_eq(history_count(fx, "t"), 2);     /* suspended: no tick */
	/* Resumed: failures count afresh; missed ticks do not run. */
	OK(engine_task_set(fx->store, fx->p, "t", true, "tester", &E));
	tick(fx, T0 + 3 * MIN + 30 * USEC_PER_SEC);
	ck_assert_int_eq(history_count(fx, "t"), 2);
	tick(fx, T0 + 4 * MIN);
	ck_assert_int_eq(fx_work(fx), 1);
	tick(fx, T0 + 4 * MIN + 1);
	st = engine_task_state(fx->store, fx->p, "t", NULL, &E);
	ck_assert_str_eq(st, "STARTED");
	free(st);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(after_builds_a_task_graph)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN
		"\"flows\": [ " OKFLOW("fa") ", " OKFLOW("fb") ", " OKFLOW("fc") ", "
		BADFLOW("fx") " ],\n"
		"\"tasks\": [ { \"name\": \"a\", \"schedule\": \"every 1 minute\", \"flow\": \"fa\" },\n"
		"  { \"name\": \"b\", \"after\": [\"a\"], \"flow\": \"fb\" },\n"
		"  { \"name\": \"c\", \"after\": [\"b\"], \"flow\": \"fc\" },\n"
		"  { \"name\": \"x\", \"schedule\": \"every 1 minute\", \"flow\": \"fx\" },\n"
		"  { \"name\": \"y\", \"after\": [\"x\"], \"flow\": \"fa\" } ] }\n", NULL);
	tick(fx, T0);
	tick(fx, T0 + MIN);
	ck_assert_int_eq(history_count(fx, "b"), 0);
	while (fx_work(fx) == 1)                /* a's run and x's run */
		;
	tick(fx, T0 + MIN + 1);
	assert_newest(fx, "a", "SUCCEEDED", 0);
	assert_newest(fx, "b", "EXECUTING", 0);
	assert_newest(fx, "x", "FAILED", 0);
	ck_assert_int_eq(history_count(fx, "y"), 0);     /* x failed: y does not run */
	ck_assert_int_eq(history_count(fx, "c"), 0);
	ck_assert_int_eq(fx_work(fx), 1);
	tick(fx, T0 + MIN + 2);
	assert_newest(fx, "b", "SUCCEEDED", 0);
	assert_newest(fx, "c", "EXECUTING", 0);
	ck_assert_int_eq(fx_work(fx), 1);
	tick(fx, T0 + MIN + 3);
	assert_newest(fx, "c", "SUCCEEDED", 0);
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM fc_done"), "1");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(missed_ticks_run_once)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN
		"\"flows\": [ " OKFLOW("f") " ],\n"
		"\"tasks\": [ { \"name\": \"m\", \"schedule\": \"every 1 minute\", \"flow\": \"f\" } ] }\n",
		NULL);
	tick(fx, T0);
	tick(fx, T0 + MIN);
	ck_assert_int_eq(fx_work(fx), 1);
	tick(fx, T0 + MIN + 1);
	assert_newest(fx, "m", "SUCCEEDED", T0 + MIN);
	/* The engine is down for ten minutes, then a new one starts. */
	fx_close_engine(fx);
	fake_clock_set(T0 + 11 * MIN + 30 * USEC_PER_SEC);
	fx->eng = fx_engine(fx);
	tick(fx, T0 + 11 * MIN + 30 * USEC_PER_SEC);
	/* The nine older ones are recorded MISSED (catchup latest). */
	ck_assert_int_eq(history_count(fx, "m"), 11);
	assert_newest(fx, "m", "EXECUTING", T0 + 11 * MIN);   /* the latest missed tick */
	ck_assert_int_eq(fx_work(fx), 1);
	tick(fx, T0 + 11 * MIN + 40 * USEC_PER_SEC);
	ck_assert_int_eq(history_count(fx, "m"), 11);
	tick(fx, T0 + 12 * MIN);
	ck_assert_int_eq(history_count(fx, "m"), 12);
	assert_newest(fx, "m", "EXECUTING", T0 + 12 * MIN);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(sql_file_task_runs_on_a_worker)
{
	fake_clock_set(T0);
	static const char *const files[] = {
		"sql/bump.sql", "CREATE TABLE IF NOT EXISTS bumps(x int);\nINSERT INTO bumps VALUES (1);\n",
		"sql/bad.sql", "INSERT INTO bumps VALUES (1);\nSELECT * FROM nowhere;\n",
		NULL };
	struct fixture *fx = fx_open("{ " CONN
		"\"tasks\": [ { \"name\": \"bump\", \"schedule\": \"every 1 minute\", "
		"\"sql\": \"sql/bump.sql\", \"connection\": \"wh\" },\n"
		"  { \"name\": \"bad\", \"schedule\": \"every 2 minutes\", "
		"\"sql\": \"sql/bad.sql\", \"connection\": \"wh\" } ] }\n", files);
	tick(fx, T0);
	tick(fx, T0 + MIN);
	assert_newest(fx, "bump", "EXECUTING", T0 + MIN);
	ck_assert_int_eq(fx_work(fx), 1);
	assert_newest(fx, "bump", "SUCCEEDED", T0 + MIN);
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM bumps"), "1");
	tick(fx, T0 + 2 * MIN);
	while (fx_work(fx) == 1)
		;
	assert_newest(fx, "bad", "FAILED", T0 + 2 * MIN);
	struct store_task_entry *t = newest(fx, "bad");
	ck_assert_msg(strstr(t->error, "nowhere"), "%s", t->error);
	store_task_free(t);
	/* The failed file rolled back whole: only bump's second run added a row. */
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM bumps"), "2");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(one_scheduler_at_a_time)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN
		"\"flows\": [ " OKFLOW("f") " ],\n"
		"\"tasks\": [ { \"name\": \"m\", \"schedule\": \"every 1 minute\", \"flow\": \"f\", "
		"\"overlap\": true } ] }\n", NULL);
	OK(store_flow_limit_set(fx->store, "f", 0, &E));
	struct engine *other = fx_engine(fx);
	tick(fx, T0);
	OK(engine_scheduler_tick(other, T0, &E));
	tick(fx, T0 + MIN);
	OK(engine_scheduler_tick(other, T0 + MIN, &E));
	ck_assert_int_eq(history_count(fx, "m"), 1);    /* the other one waited */
	/* The holder goes quiet; its lease lapses; the other takes over. */
	fake_clock_set(T0 + MIN + 20 * USEC_PER_SEC);
	OK(engine_scheduler_tick(other, T0 + MIN + 20 * USEC_PER_SEC, &E));
	fake_clock_set(T0 + 2 * MIN);
	OK(engine_scheduler_tick(other, T0 + 2 * MIN, &E));
	ck_assert_int_eq(history_count(fx, "m"), 2);
	assert_newest(fx, "m", "EXECUTING", T0 + 2 * MIN);
	tick(fx, T0 + 2 * MIN);                          /* the first one yields */
	ck_assert_int_eq(history_count(fx, "m"), 2);
	engine_free(other);
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(requests_are_carried_out)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN
		"\"flows\": [ " OKFLOW("f") ", " OKFLOW("g") " ],\n"
		"\"tasks\": [ { \"name\": \"t\", \"schedule\": \"0 3 * * *\", \"flow\": \"f\", "
		"\"suspended\": true } ] }\n", NULL);
	int64_t queued = fx_submit(fx, "g", NULL);
	int64_t r1, r2, r3;
	char *target = xasprintf("run:%lld", (long long)queued);
	OK(store_request_add(fx->store, ENGINE_REQ_EXECUTE, "task:t", NULL, "tester", &r1, &E));
	OK(store_request_add(fx->store, ENGINE_REQ_CANCEL, target, NULL, "tester", &r2, &E));
	OK(store_request_add(fx->store, "dance", "task:t", NULL, "tester", &r3, &E));
	free(target);
	tick(fx, T0);
	struct store_request *rq = store_request_get(fx->store, r1, &E);
	ck_assert_int_eq(rq->state, REQUEST_DONE);
	ck_assert_msg(rq->result && strstr(rq->result, "\"run\""), "%s", rq->result);
	store_request_free(rq);
	assert_newest(fx, "t", "EXECUTING", 0);          /* even though suspended */
	rq = store_request_get(fx->store, r2, &E);
	ck_assert_int_eq(rq->state, REQUEST_DONE);
	store_request_free(rq);
	fx_assert_state(fx, queued, "CANCELLED");
	rq = store_request_get(fx->store, r3, &E);
	ck_assert_int_eq(rq->state, REQUEST_FAILED);
	ck_assert_str_eq(rq->error, "unknown request");
	store_request_free(rq);
	fx_close(fx);
	fake_clock_off();
}
END_TEST


START_TEST(pipes_are_polled_unless_paused)
{
	fake_clock_set(T0);
	static const char *const files[] = {
		"lake/orders/2026/03/02/120000000000.json", "{\"id\": 1}\n{\"id\": 2}\n",
		NULL };
	struct fixture *fx = fx_open("{ " CONN
		"\"lake\": { \"url\": \"file:lake\" },\n"
		"\"pipes\": [ { \"name\": \"orders\", \"path\": \"orders/\", \"format\": \"ndjson\",\n"
		"  \"connection\": \"wh\", \"table\": \"raw_orders\", \"document\": \"doc\", "
		"\"poll\": \"10s\" } ] }\n", files);
	tick(fx, T0);
	ck_assert_int_eq(fx_work(fx), 1);               /* the refresh job */
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM raw_orders"), "2");
	test_write_file(fx->dir, "lake/orders/2026/03/02/120005000000.json", "{\"id\": 3}\n");
	tick(fx, T0 + 5 * USEC_PER_SEC);                 /* before the poll interval */
	ck_assert_int_eq(fx_work(fx), 0);
	tick(fx, T0 + 10 * USEC_PER_SEC);
	ck_assert_int_eq(fx_work(fx), 1);
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM raw_orders"), "3");
	/* Paused: the engine leaves it alone ... */
	OK(store_object_set(fx->store, "pipe:orders", "PAUSED", "test", "tester", &E));
	test_write_file(fx->dir, "lake/orders/2026/03/02/120020000000.json", "{\"id\": 4}\n");
	tick(fx, T0 + 20 * USEC_PER_SEC);
	ck_assert_int_eq(fx_work(fx), 0);
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM raw_orders"), "3");
	/* ... but an operator's forced refresh loads. */
	int64_t rq_id = 0;
	OK(store_request_add(fx->store, ENGINE_REQ_REFRESH, "pipe:orders", "{\"force\":true}",
			     "tester", &rq_id, &E));
	tick(fx, T0 + 21 * USEC_PER_SEC);
	ck_assert_int_eq(fx_work(fx), 1);
	struct store_request *rq = store_request_get(fx->store, rq_id, &E);
	ck_assert_int_eq(rq->state, REQUEST_DONE);
	ck_assert_msg(rq->result && strstr(rq->result, "loaded"), "%s", rq->result);
	store_request_free(rq);
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(DISTINCT doc) FROM raw_orders"), "4");
	fx_close(fx);
	fake_clock_off();
}
END_TEST


static size_t logs_in_store(struct fixture *fx)
{
	struct store_log_filter all = { .limit = 10000 };
	struct vec v = VEC_INIT;
	OK(store_log_query(fx->store, &all, &v, &E));
	size_t n = v.len;
	store_log_list_free(&v);
	return n;
}

#define DAY (86400 * USEC_PER_SEC)

/* The lease holder applies the project's retention on its own, a few
 * batches a tick; another engine does not.  The load history of a file
 * still in the lake stays however old (the pipe does not load it again);
 * that of a file gone goes. */
START_TEST(retention_is_applied_by_the_lease_holder)
{
	fake_clock_set(T0);
	static const char *const files[] = {
		"lake/orders/2026/03/02/120000000000.json", "{\"id\": 1}\n",
		"lake/orders/2026/03/02/120001000000.json", "{\"id\": 2}\n",
		NULL };
	struct fixture *fx = fx_open("{ " CONN
		"\"lake\": { \"url\": \"file:lake\" },\n"
		"\"pipes\": [ { \"name\": \"orders\", \"path\": \"orders/\", \"format\": \"ndjson\",\n"
		"  \"connection\": \"wh\", \"table\": \"raw_orders\", \"document\": \"doc\", "
		"\"poll\": \"10s\" } ],\n"
		"\"flows\": [ " OKFLOW("f") " ],\n"
		"\"retention\": { \"logs\": \"7d\", \"runs\": \"30d\", \"load_history\": \"30d\", "
		"\"every\": \"60d\" } }\n", files);
	for (int i = 0; i < 5; i++)                      /* the lease, a first pass */
		tick(fx, T0 + i);
	ck_assert_int_eq(fx_work(fx), 1);                /* a refresh */
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM raw_orders"), "2");
	int64_t run = fx_submit(fx, "f", NULL);
	ck_assert_int_eq(fx_work(fx), 1);
	for (int i = 0; i < 5; i++) {
		struct log_record rec = { .time = T0, .level = LOG_INFO, .message = "old" };
		OK(store_log_append(fx->store, &rec, NULL, &E));
	}
	char *gone = path_join(fx->dir, "lake/orders/2026/03/02/120001000000.json");
	ck_assert_int_eq(unlink(gone), 0);
	free(gone);

	/* Forty days on: the holder's next pass is not due, and another
	 * engine, not holding the lease, leaves everything alone. */
	struct engine *other = fx_engine(fx);
	usec_t t = T0 + 40 * DAY;
	tick(fx, t);
	fake_clock_set(t + 1);
	OK(engine_scheduler_tick(other, t + 1, &E));
	ck_assert_int_eq(logs_in_store(fx), 5);
	struct store_run *r = store_run_get(fx->store, run, &E);
	ck_assert_ptr_nonnull(r);
	store_run_free(r);
	engine_free(other);

	/* Its pass is due: a few ticks take it to the end. */
	t = T0 + 61 * DAY;
	struct log_record young = { .time = t - DAY, .level = LOG_INFO, .message = "young" };
	OK(store_log_append(fx->store, &young, NULL, &E));
	for (int i = 0; i < 10; i++) {
		tick(fx, t + i * USEC_PER_SEC);
		while (fx_work(fx) > 0)                  /* pipe polls load nothing */
			;
	}
	ck_assert_int_eq(logs_in_store(fx), 1);
	ck_assert_ptr_null(store_run_get(fx->store, run, &E));
	struct store_load *l = NULL;
	ck_assert_int_eq(store_load_get(fx->store, "orders",
					"orders/2026/03/02/120000000000.json", &l, &E), 1);
	store_load_free(l);
	ck_assert_int_eq(store_load_get(fx->store, "orders",
					"orders/2026/03/02/120001000000.json", &l, &E), 0);
	/* The kept record does its job: a refresh does not load the file again. */
	OK(store_request_add(fx->store, ENGINE_REQ_REFRESH, "pipe:orders", NULL, "tester",
			     NULL, &E));
	tick(fx, t + 20 * USEC_PER_SEC);
	ck_assert_int_ge(fx_work(fx), 1);
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT count(*) FROM raw_orders"), "2");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(scheduled_runs_start_on_time_or_go_late)
{
	fake_clock_set(T0);
	struct fixture *fx = fx_open("{ " CONN "\"flows\": [ " OKFLOW("f") " ],\n"
				     "  \"notifications\": { \"ops\": { \"slack_webhook_env\": "
				     "\"OPS_HOOK\" } } }\n", NULL);
	OK(store_flow_limit_set(fx->store, "f", 0, &E));
	struct engine_run_request req = { .flow = "f", .scheduled = T0 + MIN };
	int64_t on_time = 0, late = 0;
	OK(engine_submit(fx->store, fx->p, &req, &on_time, &E));
	fx_assert_state(fx, on_time, "SCHEDULED");
	ck_assert_int_eq(fx_work(fx), 0);                /* not yet */
	fake_clock_set(T0 + MIN);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_transitions(fx, on_time, "SCHEDULED RUNNING COMPLETED");
	/* Nobody takes this one for more than a minute: LATE, then it runs. */
	req.scheduled = T0 + 2 * MIN;
	OK(engine_submit(fx->store, fx->p, &req, &late, &E));
	tick(fx, T0 + 2 * MIN + 30 * USEC_PER_SEC);
	fx_assert_state(fx, late, "SCHEDULED");
	tick(fx, T0 + 3 * MIN + USEC_PER_SEC);
	fx_assert_state(fx, late, "LATE");
	/* ... and the channels hear of it. */
	struct vec q = VEC_INIT;
	OK(store_notify_list(fx->store, 0, 10, &q, &E));
	ck_assert_int_eq(q.len, 1);
	const struct store_notification *n = q.items[0];
	ck_assert_str_eq(n->event, "late_run");
	ck_assert_str_eq(n->object, "flow:f");
	ck_assert_msg(strstr(n->text, "is LATE"), "%s", n->text);
	store_notify_list_free(&q);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_transitions(fx, late, "SCHEDULED LATE RUNNING COMPLETED");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

static Suite *tasks_suite(void)
{
	Suite *s = suite_create("engine tasks");
	TCase *tc = tcase_create("tasks");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, interval_task_fires_on_its_tick);
	tcase_add_test(tc, cron_tasks_follow_their_time_zone);
	tcase_add_test(tc, when_condition_is_evaluated_and_recorded);
	tcase_add_test(tc, a_stream_without_its_table_has_no_data_and_broken_conditions_suspend);
	tcase_add_test(tc, a_tick_during_a_run_is_skipped);
	tcase_add_test(tc, consecutive_failures_auto_suspend);
	tcase_add_test(tc, recovered_task_tells_the_channels_that_heard);
	tcase_add_test(tc, after_builds_a_task_graph);
	tcase_add_test(tc, missed_ticks_run_once);
	tcase_add_test(tc, sql_file_task_runs_on_a_worker);
	tcase_add_test(tc, one_scheduler_at_a_time);
	tcase_add_test(tc, requests_are_carried_out);
	tcase_add_test(tc, pipes_are_polled_unless_paused);
	tcase_add_test(tc, retention_is_applied_by_the_lease_holder);
	tcase_add_test(tc, scheduled_runs_start_on_time_or_go_late);
	schedule_cases_add(tc);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(tasks_suite)
