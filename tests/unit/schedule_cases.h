/*
 * schedule_cases.h - schedules that know what they missed, written once
 * and registered by test_engine_tasks.c (SQLite control store) and
 * test_engine_pg.c (PostgreSQL): a flow's late_after, a scheduled run
 * nobody marked LATE (no scheduler ran) going through LATE when claimed,
 * a task's catchup (all, latest, none) after an outage of five ticks, the
 * MISSED entries in its history, and parameters stored in their declared
 * types.
 *
 * The includer defines sched_control(name): the control store's URL for
 * a test (NULL: SQLite in the project's directory), and includes
 * engine_testutil.h first.  No sleeps: the clock is fake.
 */
#ifndef SLUICE_SCHEDULE_CASES_H
#define SLUICE_SCHEDULE_CASES_H

#define SC_MIN (60 * USEC_PER_SEC)
#define SC_CONN "\"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
/* Records each run's tick parameter in wh.db's table ticks. */
#define SC_TICK_FLOW \
	"{ \"name\": \"part\", \"concurrency\": 10,\n" \
	"  \"params\": { \"at\": { \"type\": \"timestamp\" },\n" \
	"              \"day\": { \"type\": \"date\", \"default\": \"2000-01-01\" } },\n" \
	"  \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\",\n" \
	"    \"sql\": \"CREATE TABLE IF NOT EXISTS ticks(at text, run int); " \
	"INSERT INTO ticks VALUES (:at, :run_id)\" } ] }"

static struct fixture *sc_open(const char *db, const char *json)
{
	char *url = sched_control(db);
	struct fixture *fx = fx_open_at(json, NULL, url);
	free(url);
	return fx;
}

static void sc_tick(struct fixture *fx, usec_t t)
{
	fake_clock_set(t);
	err_clear(&E);
	ck_assert_msg(engine_scheduler_tick(fx->eng, t, &E) == 0, "tick: %s", E.msg);
}

/* The task's history, oldest first, as "STATE@MINUTE" words (minutes
 * after T0), and the entries' runs in *runs when non-NULL. */
static const char *sc_history(struct fixture *fx, const char *task, struct vec *runs)
{
	struct vec h = VEC_INIT;
	OK(store_task_list(fx->store, task, 1000, 0, &h, &E));
	struct buf b = BUF_INIT;
	for (size_t i = h.len; i-- > 0;) {
		const struct store_task_entry *t = h.items[i];
		buf_printf(&b, "%s%s@%lld", b.len ? " " : "", task_state_name(t->state),
			   (long long)((t->scheduled - T0) / SC_MIN));
		if (runs && t->run_id)
			vec_push(runs, (void *)(intptr_t)t->run_id);
	}
	snprintf(fx->buf, sizeof fx->buf, "%s", buf_str(&b));
	buf_free(&b);
	store_task_list_free(&h);
	return fx->buf;
}

/* The first MISSED entry's reason. */
static char *sc_missed_reason(struct fixture *fx, const char *task)
{
	struct vec h = VEC_INIT;
	OK(store_task_list(fx->store, task, 1000, 0, &h, &E));
	char *why = NULL;
	for (size_t i = 0; i < h.len; i++) {
		const struct store_task_entry *t = h.items[i];
		if (t->state == TASK_MISSED) {
			free(why);
			why = xstrdup(t->error ? t->error : "");
		}
	}
	store_task_list_free(&h);
	ck_assert_msg(why != NULL, "task %s has no MISSED entry", task);
	return why;
}

/* The task fires at T0 + MIN, then no engine runs for five ticks; a new
 * one takes over half a minute after the fifth. */
static void sc_outage(struct fixture *fx, const char *const *tasks, size_t ntasks)
{
	sc_tick(fx, T0);
	sc_tick(fx, T0 + SC_MIN);
	while (fx_work(fx) > 0)
		;
	sc_tick(fx, T0 + SC_MIN + 1);
	for (size_t i = 0; i < ntasks; i++)
		ck_assert_str_eq(sc_history(fx, tasks[i], NULL), "SUCCEEDED@1");
	fx_close_engine(fx);
	fake_clock_set(T0 + 6 * SC_MIN + 30 * USEC_PER_SEC);
	fx->eng = fx_engine(fx);
	sc_tick(fx, T0 + 6 * SC_MIN + 30 * USEC_PER_SEC);
}

START_TEST(catchup_all_runs_every_missed_tick_with_its_time)
{
	fake_clock_set(T0);
	struct fixture *fx = sc_open("sluice_sched_all", "{ " SC_CONN
		"\"flows\": [ " SC_TICK_FLOW " ],\n"
		"\"tasks\": [ { \"name\": \"hourly\", \"schedule\": \"every 1 minute\", "
		"\"flow\": \"part\", \"catchup\": \"all\", \"tick_param\": \"at\" } ] }\n");
	OK(store_flow_limit_set(fx->store, "part", 0, &E));
	const char *tasks[] = { "hourly" };
	sc_outage(fx, tasks, 1);
	struct vec runs = VEC_INIT;
	ck_assert_str_eq(sc_history(fx, "hourly", &runs),
			 "SUCCEEDED@1 EXECUTING@2 EXECUTING@3 EXECUTING@4 EXECUTING@5 "
			 "EXECUTING@6");
	ck_assert_int_eq(runs.len, 6);
	/* Each run has its own tick as its parameter, typed in the store. */
	for (size_t i = 1; i < runs.len; i++) {
		struct store_run *r = store_run_get(fx->store, (int64_t)(intptr_t)runs.items[i], &E);
		ck_assert_ptr_nonnull(r);
		char iso[32], want[96];
		time_format_iso(T0 + (usec_t)(i + 1) * SC_MIN, iso);
		snprintf(want, sizeof want, "{\"at\":\"%s\",\"day\":\"2000-01-01\"}", iso);
		ck_assert_str_eq(r->params, want);
		ck_assert_msg(strstr(r->reason, "catch-up of the tick at"), "%s", r->reason);
		store_run_free(r);
	}
	vec_free(&runs);
	int done = 0, n;
	while ((n = fx_work(fx)) > 0)
		done += n;
	ck_assert_int_eq(done, 5);
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT group_concat(substr(at, 15, 2), ',') "
				"FROM (SELECT at FROM ticks ORDER BY at)"), "01,02,03,04,05,06");
	sc_tick(fx, T0 + 6 * SC_MIN + 40 * USEC_PER_SEC);
	ck_assert_str_eq(sc_history(fx, "hourly", NULL),
			 "SUCCEEDED@1 SUCCEEDED@2 SUCCEEDED@3 SUCCEEDED@4 SUCCEEDED@5 "
			 "SUCCEEDED@6");
	/* Back on the schedule: the next tick fires once. */
	sc_tick(fx, T0 + 7 * SC_MIN);
	ck_assert_str_eq(sc_history(fx, "hourly", NULL),
			 "SUCCEEDED@1 SUCCEEDED@2 SUCCEEDED@3 SUCCEEDED@4 SUCCEEDED@5 "
			 "SUCCEEDED@6 EXECUTING@7");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(catchup_latest_and_none_record_the_missed_ticks)
{
	fake_clock_set(T0);
	struct fixture *fx = sc_open("sluice_sched_latest", "{ " SC_CONN
		"\"flows\": [ " SC_TICK_FLOW " ],\n"
		"\"tasks\": [ { \"name\": \"latest\", \"schedule\": \"every 1 minute\", "
		"\"flow\": \"part\", \"catchup\": \"latest\", \"tick_param\": \"at\" },\n"
		"  { \"name\": \"none\", \"schedule\": \"every 1 minute\", "
		"\"flow\": \"part\", \"catchup\": \"none\", \"tick_param\": \"at\" },\n"
		"  { \"name\": \"dflt\", \"schedule\": \"every 1 minute\", "
		"\"flow\": \"part\", \"tick_param\": \"at\" } ] }\n");
	OK(store_flow_limit_set(fx->store, "part", 0, &E));
	const char *tasks[] = { "latest", "none", "dflt" };
	sc_outage(fx, tasks, 3);
	ck_assert_str_eq(sc_history(fx, "latest", NULL),
			 "SUCCEEDED@1 MISSED@2 MISSED@3 MISSED@4 MISSED@5 EXECUTING@6");
	ck_assert_str_eq(sc_history(fx, "dflt", NULL),
			 "SUCCEEDED@1 MISSED@2 MISSED@3 MISSED@4 MISSED@5 EXECUTING@6");
	ck_assert_str_eq(sc_history(fx, "none", NULL),
			 "SUCCEEDED@1 MISSED@2 MISSED@3 MISSED@4 MISSED@5 MISSED@6");
	char *why = sc_missed_reason(fx, "none");
	ck_assert_msg(strstr(why, "no scheduler ran at its time") &&
		      strstr(why, "catchup none"), "%s", why);
	free(why);
	why = sc_missed_reason(fx, "latest");
	ck_assert_msg(strstr(why, "catchup latest fires only the newest"), "%s", why);
	free(why);
	int done = 0, n;
	while ((n = fx_work(fx)) > 0)
		done += n;
	ck_assert_int_eq(done, 2);                    /* latest's and dflt's */
	/* A new engine taking over again finds nothing more to catch up. */
	fx_close_engine(fx);
	fx->eng = fx_engine(fx);
	sc_tick(fx, T0 + 6 * SC_MIN + 40 * USEC_PER_SEC);
	ck_assert_str_eq(sc_history(fx, "none", NULL),
			 "SUCCEEDED@1 MISSED@2 MISSED@3 MISSED@4 MISSED@5 MISSED@6");
	sc_tick(fx, T0 + 7 * SC_MIN);
	ck_assert_str_eq(sc_history(fx, "none", NULL),
			 "SUCCEEDED@1 MISSED@2 MISSED@3 MISSED@4 MISSED@5 MISSED@6 "
			 "EXECUTING@7");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(a_run_nobody_marked_late_goes_through_late_when_claimed)
{
	fake_clock_set(T0);
	struct fixture *fx = sc_open("sluice_sched_late", "{ " SC_CONN
		"\"flows\": [ { \"name\": \"f\", \"late_after\": \"5s\", \"steps\": [ "
		"{ \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\", "
		"\"sql\": \"SELECT 1\" } ] } ] }\n");
	struct engine_run_request req = { .flow = "f", .scheduled = T0 + SC_MIN };
	int64_t id = 0;
	OK(engine_submit(fx->store, fx->p, &req, &id, &E));
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_int_eq(r->late_at, T0 + SC_MIN + 5 * USEC_PER_SEC);
	ck_assert_int_eq(store_run_shown_state(r, T0 + SC_MIN + 4 * USEC_PER_SEC), RUN_SCHEDULED);
	/* No scheduler has run: the store still says SCHEDULED, an operator
	 * is shown LATE, and a LATE filter finds it. */
	ck_assert_int_eq(store_run_shown_state(r, T0 + SC_MIN + 6 * USEC_PER_SEC), RUN_LATE);
	store_run_free(r);
	fake_clock_set(T0 + SC_MIN + 6 * USEC_PER_SEC);
	struct store_run_filter f = { .states = RUN_STATE_BIT(RUN_LATE) };
	int64_t count = 0;
	OK(store_run_count(fx->store, &f, &count, &E));
	ck_assert_int_eq(count, 1);
	f.states = RUN_STATE_BIT(RUN_SCHEDULED);
	OK(store_run_count(fx->store, &f, &count, &E));
	ck_assert_int_eq(count, 0);
	/* An engine comes: the run goes through LATE on its way to RUNNING. */
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_transitions(fx, id, "SCHEDULED LATE RUNNING COMPLETED");
	ck_assert_msg(strstr(fx_reason(fx, id, RUN_LATE), "late_after"), "%s",
		      fx_reason(fx, id, RUN_LATE));
	/* The scheduler marks one on time when it runs: within late_after. */
	req.scheduled = T0 + 2 * SC_MIN;
	OK(engine_submit(fx->store, fx->p, &req, &id, &E));
	sc_tick(fx, T0 + 2 * SC_MIN + 4 * USEC_PER_SEC);
	fx_assert_state(fx, id, "SCHEDULED");
	sc_tick(fx, T0 + 2 * SC_MIN + 5 * USEC_PER_SEC);
	fx_assert_state(fx, id, "LATE");
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_transitions(fx, id, "SCHEDULED LATE RUNNING COMPLETED");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

START_TEST(params_keep_their_declared_types)
{
	fake_clock_set(T0);
	struct fixture *fx = sc_open("sluice_sched_params", "{ " SC_CONN
		"\"flows\": [ { \"name\": \"typed\", \"params\": {\n"
		"  \"n\": { \"type\": \"int\" }, \"x\": { \"type\": \"numeric\" },\n"
		"  \"ok\": { \"type\": \"bool\" }, \"d\": { \"type\": \"date\" },\n"
		"  \"s\": { \"type\": \"text\", \"default\": \"42\" },\n"
		"  \"z\": { \"type\": \"int\", \"default\": null } },\n"
		"  \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\", "
		"\"sql\": \"CREATE TABLE typed AS SELECT CAST(:n AS text) AS n, "
		"CAST(:x AS text) AS x, CAST(:ok AS text) AS ok, CAST(:z AS text) AS z\" } ] } ] }\n");
	int64_t id = fx_submit(fx, "typed", "n", "9223372036854775807", "x", "+007.50",
			       "ok", "true", "d", "2026-03-02", NULL);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_str_eq(r->params, "{\"n\":9223372036854775807,\"x\":7.50,\"ok\":true,"
			 "\"d\":\"2026-03-02\",\"s\":\"42\",\"z\":null}");
	store_run_free(r);
	ck_assert_int_eq(fx_work(fx), 1);
	fx_assert_state(fx, id, "COMPLETED");
	/* The steps get them back as written, through no double. */
	ck_assert_str_eq(fx_sql(fx, "wh.db", "SELECT n || ' ' || x || ' ' || ok || ' ' || "
				"coalesce(z, 'null') FROM typed"),
			 "9223372036854775807 7.50 true null");
	fx_close(fx);
	fake_clock_off();
}
END_TEST

static void schedule_cases_add(TCase *tc)
{
	tcase_add_test(tc, catchup_all_runs_every_missed_tick_with_its_time);
	tcase_add_test(tc, catchup_latest_and_none_record_the_missed_ticks);
	tcase_add_test(tc, a_run_nobody_marked_late_goes_through_late_when_claimed);
	tcase_add_test(tc, params_keep_their_declared_types);
}

#endif
