/*
 * test_backfill_cases.c - the backfill procedure, written once for both
 * dialects; included by test_backfill.c (a SQLite warehouse) and
 * test_backfill_pg.c (a PostgreSQL warehouse), not compiled on its own.
 *
 * Each case writes a real project (sluice.json) into a temporary directory
 * with a control store beside it, builds the current tables by running the
 * flow through the engine, then walks a backfill through the library
 * (steps.h) with no engine lent, so the rebuild runs the flow's steps in
 * this process.  The including file defines wh_url() (the warehouse
 * connection), wh_reset() (empty it) and slow_sql (a statement that takes
 * a second or two, for the interruption case).
 */
#ifndef TEST_BACKFILL_CASES_C
#define TEST_BACKFILL_CASES_C

#include <cjson/cJSON.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "testutil.h"
#include "backfill/backfill.h"
#include "db/db.h"
#include "engine/engine.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"

/* Defined by the including file. */
static const char *wh_url(void);
static void wh_reset(const char *dir);
/* SQL counting the indexes on a table, and those whose name starts so. */
static const char *wh_indexes_on(const char *table);
static const char *wh_indexes_named(const char *prefix);
/* A statement that takes a second or two. */
static const char *slow_sql(void);

#define OK(x) do { if ((x) < 0) ck_abort_msg("%s failed: %s", #x, err_text(&E)); } while (0)

static struct err E;

struct fx {
	const char *key_json;
	char *dir;
	char *file;
	char *control;
	struct project *p;
	struct store *store;
	struct store_options sopt;
	struct backfill_env env;
	struct db *wh;
};

static const char *const QUERY_V1 = "SELECT id, customer, amount FROM raw_orders";
static const char *const QUERY_V2 =
	"SELECT id, customer, amount, amount * 2 AS amount_doubled FROM raw_orders";

/* The project: one flow loading a query into fact_orders, a validate step,
 * two tasks (one started, one declared suspended) and a channel that
 * wants backfill_waiting.  `extra` goes into the flow's steps. */
static void write_project(struct fx *fx, const char *query, const char *extra,
			  const char *key_json)
{
	char *json = xasprintf(
		"{\n"
		"  \"project\": \"bf\",\n"
		"  \"control\": \"sqlite:%s\",\n"
		"  \"connections\": { \"warehouse\": { \"url\": \"%s\" } },\n"
		"  \"tasks\": [\n"
		"    { \"name\": \"every_minute\", \"schedule\": \"every 1 minute\", \"flow\": \"orders\" },\n"
		"    { \"name\": \"nightly\", \"schedule\": \"0 2 * * *\", \"flow\": \"orders\", \"suspended\": true },\n"
		"    { \"name\": \"hourly\", \"schedule\": \"every 1 hour\", \"flow\": \"orders\" },\n"
		"    { \"name\": \"other\", \"schedule\": \"every 1 hour\", \"flow\": \"other\" } ],\n"
		"  \"notifications\": { \"ops\": { \"slack_webhook_env\": \"BF_TEST_HOOK\", \"on\": [\"backfill_waiting\"] } },\n"
		"  \"flows\": [\n"
		"    { \"name\": \"orders\", \"steps\": [ %s\n"
		"      { \"name\": \"load\", \"kind\": \"load\", \"connection\": \"warehouse\",\n"
		"        \"from\": { \"query\": \"%s\" }, \"table\": \"fact_orders\", \"mode\": \"%s\"%s },\n"
		"      { \"name\": \"check\", \"kind\": \"validate\", \"connection\": \"warehouse\",\n"
		"        \"table\": \"fact_orders\", \"needs\": [\"load\"],\n"
		"        \"checks\": [ { \"type\": \"row_count\", \"min\": 1 },\n"
		"                    { \"type\": \"not_null\", \"columns\": [\"id\"] } ] } ] },\n"
		"    { \"name\": \"other\", \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\",\n"
		"        \"connection\": \"warehouse\", \"sql\": \"SELECT 1\" } ] } ],\n"
		"  \"tables\": { \"fact_orders\": { \"connection\": \"warehouse\", \"kind\": \"fact\"%s } }\n"
		"}\n", fx->control, wh_url(), extra ? extra : "", query,
		key_json && strcmp(key_json, "note") != 0 ? "merge" : "replace",
		key_json && strcmp(key_json, "note") != 0 ? key_json : "",
		key_json && strcmp(key_json, "note") == 0 ? ", \"key\": [\"id\"]" : "");
	test_write_file(fx->dir, "sluice.json", json);
	free(json);
}

static void load_project(struct fx *fx)
{
	project_free(fx->p);
	struct diags d;
	diags_init(&d);
	fx->p = project_load(fx->file, NULL, &d, &E);
	ck_assert_msg(fx->p != NULL, "%s", err_text(&E));
	steps_validate(fx->p, &d);
	for (size_t i = 0; i < d.items.len; i++) {
		char *line = diag_format(d.items.items[i]);
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	ck_assert_int_eq(d.errors, 0);
	diags_free(&d);
	fx->env.project = fx->p;
}

static void fx_sql(struct fx *fx, const char *sql)
{
	if (db_exec_script(fx->wh, sql, &E) < 0)
		ck_abort_msg("%s\n-- in --\n%s", err_text(&E), sql);
}

static int64_t fx_count(struct fx *fx, const char *sql)
{
	int64_t n = -1;
	ck_assert_msg(db_query_int(fx->wh, sql, NULL, 0, &n, &E) == 1, "%s: %s", sql,
		      err_text(&E));
	return n;
}

static bool fx_exists(struct fx *fx, const char *table)
{
	int rc = db_table_exists(fx->wh, table, &E);
	ck_assert_int_ge(rc, 0);
	return rc == 1;
}

static void raw_rows(struct fx *fx, int n)
{
	fx_sql(fx, "CREATE TABLE raw_orders (id integer primary key, customer text, "
		   "amount numeric(10,2))");
	char *sql = xasprintf("INSERT INTO raw_orders SELECT g, 'customer ' || (g %% 7), "
			      "g * 1.5 FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL "
			      "SELECT g + 1 FROM s WHERE g < %d) SELECT g FROM s) x", n);
	fx_sql(fx, sql);
	free(sql);
}

/* Run a flow the ordinary way (trigger manual) through the engine, with
 * these parameters; its run, COMPLETED (caller frees). */
static struct store_run *run_flow_with(struct fx *fx, const char *flow,
				       const struct project_kv *params, size_t nparams)
{
	struct engine_options opt = { .store_url = fx->control, .workers = -1,
				      .no_scheduler = true, .no_notifier = true,
				      .no_log_sink = true };
	struct engine *eng = engine_new(fx->p, &opt, &E);
	ck_assert_msg(eng != NULL, "%s", err_text(&E));
	struct engine_run_request req = { .flow = flow, .params = params, .nparams = nparams,
					  .trigger = TRIGGER_MANUAL };
	int64_t id = 0;
	OK(engine_submit(fx->store, fx->p, &req, &id, &E));
	int rc;
	while ((rc = engine_work_once(eng, &E)) == 1)
		;
	ck_assert_msg(rc == 0, "%s", err_text(&E));
	engine_free(eng);
	struct store_run *r = store_run_get(fx->store, id, &E);
	ck_assert_msg(r && r->state == RUN_COMPLETED, "run %lld: %s", (long long)id,
		      r && r->error ? r->error : "not completed");
	return r;
}

static void run_flow(struct fx *fx, const char *flow)
{
	store_run_free(run_flow_with(fx, flow, NULL, 0));
}

static struct fx *fx_new(const char *query, const char *extra, const char *key_json)
{
	struct fx *fx = xcalloc(1, sizeof *fx);
	fx->key_json = key_json;
	fx->dir = test_mkdtemp();
	fx->file = path_join(fx->dir, "sluice.json");
	char *cpath = path_join(fx->dir, "control.db");
	fx->control = xasprintf("sqlite:%s", cpath);
	free(cpath);
	wh_reset(fx->dir);
	write_project(fx, query, extra, key_json);
	load_project(fx);
	fx->store = store_open(fx->control, &fx->sopt, &E);
	ck_assert_msg(fx->store != NULL, "%s", err_text(&E));
	fx->env = (struct backfill_env){
		.project = fx->p, .store = fx->store, .store_url = fx->control,
		.store_opt = &fx->sopt, .by = "tester@test",
	};
	fx->wh = db_open(wh_url(), NULL, &E);
	ck_assert_msg(fx->wh != NULL, "%s", err_text(&E));
	return fx;
}

static void fx_free(struct fx *fx)
{
	db_close(fx->wh);
	store_close(fx->store);
	project_free(fx->p);
	free(fx->file);
	free(fx->control);
	test_rmdir(fx->dir);
	free(fx);
}

/* Change the project under the backfill, as an operator editing the
 * transform would. */
static void fx_edit(struct fx *fx, const char *query, const char *extra)
{
	write_project(fx, query, extra, fx->key_json);
	load_project(fx);
}

static cJSON *status(struct fx *fx)
{
	cJSON *st = backfill_status(&fx->env, "orders", &E);
	ck_assert_msg(st != NULL, "%s", err_text(&E));
	return st;
}

static const char *sget(const cJSON *o, const char *path)
{
	/* "a.b.c" through objects */
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	const cJSON *cur = o;
	for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
		cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
	return cJSON_IsString(cur) ? cur->valuestring : NULL;
}

static double nget(const cJSON *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	const cJSON *cur = o;
	for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
		cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
	ck_assert_msg(cJSON_IsNumber(cur), "%s is not a number", path);
	return cur->valuedouble;
}

static void expect_at(struct fx *fx, const char *step, const char *state)
{
	cJSON *st = status(fx);
	ck_assert_str_eq(sget(st, "step"), step);
	ck_assert_str_eq(sget(st, "state"), state);
	cJSON_Delete(st);
}

static char *task_word(struct fx *fx, const char *task)
{
	char *object = xasprintf("task:%s", task);
	struct store_object_state *o = NULL;
	int rc = store_object_get(fx->store, object, &o, &E);
	free(object);
	ck_assert_int_ge(rc, 0);
	char *w = xstrdup(rc == 1 ? o->state : "unset");
	store_object_free(o);
	return w;
}

static void expect_task(struct fx *fx, const char *task, const char *word)
{
	char *w = task_word(fx, task);
	ck_assert_msg(strcmp(w, word) == 0, "task %s is %s, expected %s", task, w, word);
	free(w);
}

static const cJSON *compared_table(const cJSON *st)
{
	const cJSON *tables = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(st, "compare"), "tables");
	ck_assert_int_eq(cJSON_GetArraySize(tables), 1);
	return cJSON_GetArrayItem(tables, 0);
}

static int64_t column_changed(const cJSON *t, const char *name)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t, "columns"))
		if (strcmp(sget(c, "name"), name) == 0)
			return (int64_t)nget(c, "changed");
	ck_abort_msg("no column %s", name);
	return -1;
}

static void start_and_walk_to_compare(struct fx *fx)
{
	int64_t id = 0;
	OK(backfill_start(&fx->env, "orders", NULL, 0, &id, &E));
	ck_assert_int_gt(id, 0);
	expect_at(fx, "plan", "WAITING");
	OK(backfill_next(&fx->env, "orders", 0, &E));
	expect_at(fx, "suspend", "WAITING");
	OK(backfill_next(&fx->env, "orders", 0, &E));
	expect_at(fx, "rebuild", "WAITING");
	OK(backfill_next(&fx->env, "orders", 0, &E));
	expect_at(fx, "validate", "WAITING");
	OK(backfill_next(&fx->env, "orders", 0, &E));
	expect_at(fx, "compare", "WAITING");
}

/* ---- the cases -------------------------------------------------------------------------- */

START_TEST(added_column_changes_every_row_then_swaps_in)
{
	struct fx *fx = fx_new(QUERY_V1, NULL, ", \"key\": [\"id\"]");
	raw_rows(fx, 250);
	run_flow(fx, "orders");
	ck_assert_int_eq(fx_count(fx, "SELECT count(*) FROM fact_orders"), 250);
	fx_edit(fx, QUERY_V2, NULL);

	cJSON *plan = backfill_plan(&fx->env, "orders", NULL, 0, &E);
	ck_assert_msg(plan != NULL, "%s", err_text(&E));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(plan, "problems")), 0);
	ck_assert_int_eq((int64_t)nget(plan, "rows_planned"), 250);
	const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(plan, "targets"), 0);
	ck_assert_str_eq(sget(t0, "table"), "fact_orders");
	ck_assert_str_eq(sget(t0, "backfill_table"), "fact_orders_backfill");
	ck_assert_str_eq(sget(t0, "key_from"), "load step");
	cJSON_Delete(plan);

	start_and_walk_to_compare(fx);
	expect_task(fx, "every_minute", "SUSPENDED");
	expect_task(fx, "hourly", "SUSPENDED");
	expect_task(fx, "nightly", "unset");          /* declared suspended: left alone */
	expect_task(fx, "other", "unset");            /* another flow's */
	ck_assert(fx_exists(fx, "fact_orders_backfill"));

	cJSON *st = status(fx);
	const cJSON *t = compared_table(st);
	ck_assert_int_eq((int64_t)nget(t, "rows_current"), 250);
	ck_assert_int_eq((int64_t)nget(t, "rows_backfill"), 250);
	ck_assert_int_eq((int64_t)nget(t, "changed"), 250);
	ck_assert_int_eq((int64_t)nget(t, "only_current"), 0);
	ck_assert_int_eq((int64_t)nget(t, "only_backfill"), 0);
	ck_assert_int_eq((int64_t)nget(t, "unchanged"), 0);
	ck_assert_int_eq(column_changed(t, "amount_doubled"), 250);
	ck_assert_int_eq(column_changed(t, "customer"), 0);
	ck_assert_int_eq(column_changed(t, "amount"), 0);
	ck_assert(nget(t, "score") == 1.0);
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(
				 cJSON_GetObjectItem(t, "samples"), "changed")), 1);
	/* the rebuild's progress: every planned row read, every step done */
	ck_assert(nget(st, "rebuild.fraction") == 1.0);
	ck_assert_int_eq((int64_t)nget(st, "rebuild.rows_read"), 250);
	ck_assert_int_eq((int64_t)nget(st, "rebuild.rows_planned"), 250);
	ck_assert_str_eq(sget(st, "rebuild.run_state"), "COMPLETED");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "validation"),
						   "passed")));
	const cJSON *acts = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "next"), "actions");
	ck_assert_str_eq(cJSON_GetArrayItem(acts, 0)->valuestring, "approve");
	ck_assert_str_eq(cJSON_GetArrayItem(acts, 1)->valuestring, "discard");
	cJSON_Delete(st);

	/* a notification waits for the channel that wants it */
	struct vec notes = VEC_INIT;
	OK(store_notify_list(fx->store, 0, 10, &notes, &E));
	ck_assert_uint_eq(notes.len, 1);
	struct store_notification *n = notes.items[0];
	ck_assert_str_eq(n->event, "backfill_waiting");
	ck_assert_str_eq(n->channel, "ops");
	ck_assert_msg(strstr(n->text, "fact_orders: 250 changed"), "%s", n->text);
	store_notify_list_free(&notes);

	/* next does not approve */
	ck_assert_int_eq(backfill_next(&fx->env, "orders", 0, &E), -1);
	ck_assert_int_eq(E.code, ERR_CONFLICT);
	ck_assert_msg(strstr(E.msg, "waits for approval"), "%s", E.msg);

	OK(backfill_approve(&fx->env, "orders", false, &E));
	expect_at(fx, "approve", "WAITING");
	ck_assert(!fx_exists(fx, "fact_orders_backfill"));
	ck_assert_int_eq(fx_count(fx, "SELECT count(amount_doubled) FROM fact_orders"), 250);
	ck_assert_int_eq(fx_count(fx, "SELECT count(*) FROM fact_orders_old"), 250);
	ck_assert_int_eq(backfill_discard(&fx->env, "orders", &E), -1);
	ck_assert_int_eq(E.code, ERR_CONFLICT);

	OK(backfill_next(&fx->env, "orders", 0, &E));
	expect_at(fx, "resume", "COMPLETED");
	expect_task(fx, "every_minute", "STARTED");
	expect_task(fx, "hourly", "STARTED");
	expect_task(fx, "nightly", "unset");
	ck_assert_int_eq(backfill_next(&fx->env, "orders", 0, &E), -1);
	ck_assert_int_eq(E.code, ERR_NOTFOUND);

	/* the flow goes on loading into the swapped table, column and all */
	fx_sql(fx, "INSERT INTO raw_orders VALUES (251, 'late', 10)");
	run_flow(fx, "orders");
	ck_assert_int_eq(fx_count(fx, "SELECT count(*) FROM fact_orders WHERE "
				  "amount_doubled = 20"), 1);
	fx_free(fx);
}
END_TEST

START_TEST(no_change_reports_identical_and_swaps_an_equal_table)
{
	struct fx *fx = fx_new(QUERY_V1, NULL, "note");   /* key from the table note */
	raw_rows(fx, 120);
	run_flow(fx, "orders");
	start_and_walk_to_compare(fx);
	cJSON *st = status(fx);
	const cJSON *t = compared_table(st);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(t, "identical")));
	ck_assert(nget(t, "score") == 0.0);
	ck_assert_int_eq((int64_t)nget(t, "unchanged"), 120);
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "plan"),
			"targets"), 0), "key"), 0)->valuestring, "id");
	cJSON_Delete(st);
	OK(backfill_approve(&fx->env, "orders", false, &E));
	/* the swapped-in table equals the one it replaced */
	const char *key[] = { "id" };
	struct compare_request req = { "fact_orders", "fact_orders_old", key, 1, 0, false };
	struct compare_result r;
	OK(compare_tables(fx->wh, &req, &r, &E));
	ck_assert(compare_result_identical(&r));
	ck_assert_int_eq(r.rows_current, 120);
	compare_result_free(&r);
	OK(backfill_next(&fx->env, "orders", 0, &E));
	expect_at(fx, "resume", "COMPLETED");
	fx_free(fx);
}
END_TEST

START_TEST(discard_leaves_the_current_table_untouched)
{
	struct fx *fx = fx_new(QUERY_V1, NULL, ", \"key\": [\"id\"]");
	raw_rows(fx, 80);
	run_flow(fx, "orders");
	fx_sql(fx, "CREATE TABLE snapshot AS SELECT * FROM fact_orders");
	fx_edit(fx, "SELECT id, upper(customer) AS customer, amount FROM raw_orders "
		"WHERE id > 10", NULL);
	start_and_walk_to_compare(fx);
	cJSON *st = status(fx);
	const cJSON *t = compared_table(st);
	ck_assert_int_eq((int64_t)nget(t, "only_current"), 10);
	ck_assert_int_eq((int64_t)nget(t, "changed"), 70);
	ck_assert_int_eq(column_changed(t, "customer"), 70);
	cJSON_Delete(st);
	OK(backfill_discard(&fx->env, "orders", &E));
	expect_at(fx, "discard", "WAITING");
	ck_assert(!fx_exists(fx, "fact_orders_backfill"));
	ck_assert(!fx_exists(fx, "fact_orders_old"));
	const char *key[] = { "id" };
	struct compare_request req = { "fact_orders", "snapshot", key, 1, 0, false };
	struct compare_result r;
	OK(compare_tables(fx->wh, &req, &r, &E));
	ck_assert(compare_result_identical(&r));
	compare_result_free(&r);
	/* a discarded backfill cannot be approved */
	ck_assert_int_eq(backfill_approve(&fx->env, "orders", false, &E), -1);
	ck_assert_int_eq(E.code, ERR_CONFLICT);
	OK(backfill_next(&fx->env, "orders", 0, &E));
	expect_at(fx, "resume", "DISCARDED");
	expect_task(fx, "every_minute", "STARTED");
	fx_free(fx);
}
END_TEST

/* Resume restores exactly the tasks the backfill suspended, and leaves a
 * task someone else changed meanwhile as that someone left it. */
START_TEST(resume_restores_exactly_what_was_suspended)
{
	struct fx *fx = fx_new(QUERY_V1, NULL, ", \"key\": [\"id\"]");
	raw_rows(fx, 10);
	run_flow(fx, "orders");
	int64_t id;
	OK(backfill_start(&fx->env, "orders", NULL, 0, &id, &E));
	OK(backfill_next(&fx->env, "orders", 0, &E));     /* suspend */
	expect_task(fx, "hourly", "SUSPENDED");
	OK(store_object_set(fx->store, "task:hourly", "SUSPENDED", "maintenance window",
			    "bob@ops", &E));
	OK(backfill_discard(&fx->env, "orders", &E));
	OK(backfill_next(&fx->env, "orders", 0, &E));     /* resume */
	expect_task(fx, "every_minute", "STARTED");
	expect_task(fx, "hourly", "SUSPENDED");
	expect_task(fx, "nightly", "unset");
	cJSON *st = status(fx);
	const cJSON *left = cJSON_GetObjectItem(st, "left_alone");
	ck_assert_int_eq(cJSON_GetArraySize(left), 1);
	ck_assert_str_eq(sget(cJSON_GetArrayItem(left, 0), "task"), "hourly");
	ck_assert_str_eq(sget(cJSON_GetArrayItem(left, 0), "changed_by"), "bob@ops");
	const cJSON *resumed = cJSON_GetObjectItem(st, "resumed");
	ck_assert_int_eq(cJSON_GetArraySize(resumed), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(resumed, 0)->valuestring, "every_minute");
	/* who moved it, and when, step by step */
	const cJSON *hist = cJSON_GetObjectItem(st, "history");
	ck_assert_int_ge(cJSON_GetArraySize(hist), 6);
	ck_assert_str_eq(sget(cJSON_GetArrayItem(hist, 0), "by"), "tester@test");
	ck_assert_str_eq(sget(cJSON_GetArrayItem(hist, 0), "step"), "plan");
	ck_assert_ptr_nonnull(sget(cJSON_GetArrayItem(hist, 0), "at"));
	cJSON_Delete(st);
	fx_free(fx);
}
END_TEST

START_TEST(one_backfill_per_flow_and_clear_refusals)
{
	struct fx *fx = fx_new(QUERY_V1, NULL, ", \"key\": [\"id\"]");
	raw_rows(fx, 5);
	run_flow(fx, "orders");
	int64_t id;
	OK(backfill_start(&fx->env, "orders", NULL, 0, &id, &E));
	ck_assert_int_eq(backfill_start(&fx->env, "orders", NULL, 0, &id, &E), -1);
	ck_assert_int_eq(E.code, ERR_CONFLICT);
	ck_assert_msg(strstr(E.msg, "flow orders already has backfill") &&
		      strstr(E.msg, "step plan, WAITING"), "%s", E.msg);
	ck_assert_int_eq(backfill_approve(&fx->env, "orders", false, &E), -1);
	ck_assert_int_eq(E.code, ERR_CONFLICT);
	ck_assert_msg(strstr(E.msg, "approving comes after compare"), "%s", E.msg);
	ck_assert_int_eq(backfill_next(&fx->env, "other", 0, &E), -1);
	ck_assert_int_eq(E.code, ERR_NOTFOUND);
	ck_assert_int_eq(backfill_next(&fx->env, "nope", 0, &E), -1);
	ck_assert_int_eq(E.code, ERR_NOTFOUND);
	/* a flow that loads nothing, and a bad parameter, are refused */
	ck_assert_int_eq(backfill_start(&fx->env, "other", NULL, 0, &id, &E), -1);
	ck_assert_int_eq(E.code, ERR_INVALID);
	ck_assert_msg(strstr(E.msg, "no load step"), "%s", E.msg);
	struct project_kv bad = { "limit", "3" };
	cJSON *plan = backfill_plan(&fx->env, "orders", &bad, 1, &E);
	ck_assert_msg(plan != NULL, "%s", err_text(&E));
	const cJSON *problems = cJSON_GetObjectItem(plan, "problems");
	ck_assert_int_eq(cJSON_GetArraySize(problems), 1);
	ck_assert_msg(strstr(cJSON_GetArrayItem(problems, 0)->valuestring,
			     "no parameter \"limit\""), "%s",
		      cJSON_GetArrayItem(problems, 0)->valuestring);
	cJSON_Delete(plan);
	fx_free(fx);
}
END_TEST

START_TEST(a_target_without_key_is_refused)
{
	struct fx *fx = fx_new(QUERY_V1, NULL, NULL);
	raw_rows(fx, 5);
	int64_t id;
	ck_assert_int_eq(backfill_start(&fx->env, "orders", NULL, 0, &id, &E), -1);
	ck_assert_int_eq(E.code, ERR_INVALID);
	ck_assert_msg(strstr(E.msg, "table fact_orders (load step load) has no key") &&
		      strstr(E.msg, "tables.fact_orders.key"), "%s", E.msg);
	struct vec v = VEC_INIT;
	OK(store_backfill_list(fx->store, NULL, 10, &v, &E));
	ck_assert_uint_eq(v.len, 0);
	store_backfill_list_free(&v);
	fx_free(fx);
}
END_TEST

/* A first build: the table does not exist; every row is new; approving
 * creates it and keeps no TABLE_old. */
START_TEST(first_build_of_a_table)
{
	struct fx *fx = fx_new(QUERY_V1, NULL, ", \"key\": [\"id\"]");
	raw_rows(fx, 30);
	start_and_walk_to_compare(fx);
	cJSON *st = status(fx);
	const cJSON *t = compared_table(st);
	ck_assert_int_eq((int64_t)nget(t, "only_backfill"), 30);
	ck_assert_int_eq((int64_t)nget(t, "rows_current"), 0);
	cJSON_Delete(st);
	OK(backfill_approve(&fx->env, "orders", false, &E));
	ck_assert_int_eq(fx_count(fx, "SELECT count(*) FROM fact_orders"), 30);
	ck_assert(!fx_exists(fx, "fact_orders_old"));
	fx_free(fx);
}
END_TEST

START_TEST(failed_validation_stops_the_procedure)
{
	struct fx *fx = fx_new(QUERY_V1, NULL, ", \"key\": [\"id\"]");
	raw_rows(fx, 20);
	run_flow(fx, "orders");
	/* the new transform loses every row: row_count min 1 fails */
	fx_edit(fx, "SELECT id, customer, amount FROM raw_orders WHERE id < 0", NULL);
	int64_t id;
	OK(backfill_start(&fx->env, "orders", NULL, 0, &id, &E));
	OK(backfill_next(&fx->env, "orders", 0, &E));
	/* the rebuild runs the flow's own validate step, which fails it */
	ck_assert_int_eq(backfill_next(&fx->env, "orders", 0, &E), -1);
	expect_at(fx, "rebuild", "FAILED");
	cJSON *st = status(fx);
	ck_assert_msg(strstr(sget(st, "error"), "check"), "%s", sget(st, "error"));
	ck_assert_str_eq(sget(st, "rebuild.run_state"), "FAILED");
	cJSON_Delete(st);
	OK(backfill_discard(&fx->env, "orders", &E));
	OK(backfill_next(&fx->env, "orders", 0, &E));
	expect_at(fx, "resume", "DISCARDED");
	ck_assert_int_eq(fx_count(fx, "SELECT count(*) FROM fact_orders"), 20);
	fx_free(fx);
}
END_TEST

/* ---- the swap is atomic for a reader --------------------------------------------------------- */
struct reader {
	atomic_bool stop;
	int64_t queries, errors, saw_new;
	char first_error[512];
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct err e = { 0 };
	struct db *db = db_open(wh_url(), NULL, &e);
	if (!db) {
		snprintf(r->first_error, sizeof r->first_error, "%s", err_text(&e));
		r->errors++;
		return NULL;
	}
	while (!atomic_load(&r->stop)) {
		int64_t n = 0;
		if (db_query_int(db, "SELECT count(*) FROM fact_orders", NULL, 0, &n, &e) != 1) {
			if (!r->errors++)
				snprintf(r->first_error, sizeof r->first_error, "%s", err_text(&e));
		} else if (n == 5001) {
			r->saw_new++;
		}
		r->queries++;
	}
	db_close(db);
	return NULL;
}

START_TEST(swap_never_shows_a_missing_table)
{
	struct fx *fx = fx_new(QUERY_V1, NULL, ", \"key\": [\"id\"]");
	raw_rows(fx, 5000);
	run_flow(fx, "orders");
	fx_sql(fx, "INSERT INTO raw_orders VALUES (5001, 'new', 1)");
	start_and_walk_to_compare(fx);
	struct reader r = { 0 };
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, reader_main, &r), 0);
	while (r.queries < 50)
		usleep(1000);
	OK(backfill_approve(&fx->env, "orders", false, &E));
	int64_t at = r.queries;
	while (r.queries < at + 50)
		usleep(1000);
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	ck_assert_msg(r.errors == 0, "%lld of %lld queries failed; first: %s",
		      (long long)r.errors, (long long)r.queries, r.first_error);
	ck_assert_int_gt(r.saw_new, 0);
	/* the index followed its table: the next backfill's table gets its own */
	ck_assert_int_eq(fx_count(fx, wh_indexes_named("fact_orders_backfill")), 0);
	ck_assert_int_ge(fx_count(fx, wh_indexes_on("fact_orders")), 1);
	OK(backfill_next(&fx->env, "orders", 0, &E));
	start_and_walk_to_compare(fx);
	ck_assert_int_ge(fx_count(fx, wh_indexes_on("fact_orders_backfill")), 1);
	OK(backfill_approve(&fx->env, "orders", false, &E));
	ck_assert_int_eq(fx_count(fx, "SELECT count(*) FROM fact_orders_old"), 5001);
	fx_free(fx);
}
END_TEST

/* ---- interrupted: the process working on a step dies ------------------------------------------ */
START_TEST(a_step_interrupted_by_a_crash_runs_again)
{
	char *extra = xasprintf("{ \"name\": \"slow\", \"kind\": \"sql\", \"connection\": "
				"\"warehouse\", \"sql\": \"%s\" },", slow_sql());
	struct fx *fx = fx_new(QUERY_V1, NULL, ", \"key\": [\"id\"]");
	raw_rows(fx, 40);
	run_flow(fx, "orders");
	fx_edit(fx, QUERY_V2, extra);
	int64_t id;
	OK(backfill_start(&fx->env, "orders", NULL, 0, &id, &E));
	OK(backfill_next(&fx->env, "orders", 0, &E));    /* suspend */
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		/* Another process takes the rebuild, with its own handles. */
		struct err ce = { 0 };
		struct store *s = store_open(fx->control, &fx->sopt, &ce);
		struct backfill_env env = fx->env;
		env.store = s;
		backfill_next(&env, "orders", 0, &ce);
		_exit(0);
	}
	/* Kill it once the rebuild is under way in its slow step. */
	bool working = false;
	for (int i = 0; i < 400 && !working; i++) {
		usleep(25 * 1000);
		cJSON *st = status(fx);
		const cJSON *steps = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "rebuild"),
							 "steps");
		const cJSON *s;
		cJSON_ArrayForEach(s, steps)
			working |= strcmp(sget(s, "step"), "slow") == 0 &&
				   strcmp(sget(s, "state"), "RUNNING") == 0;
		cJSON_Delete(st);
	}
	ck_assert_msg(working, "the child never got to the slow step");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	cJSON *st = status(fx);
	ck_assert_str_eq(sget(st, "state"), "WORKING");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "working"),
						    "alive")));
	int64_t first_run = (int64_t)nget(st, "rebuild.run_id");
	cJSON_Delete(st);
	/* `next` sees the holder is gone, records the interruption, and runs
	 * the rebuild again, to the end. */
	OK(backfill_next(&fx->env, "orders", 0, &E));
	st = status(fx);
	ck_assert_str_eq(sget(st, "step"), "rebuild");
	ck_assert_str_eq(sget(st, "state"), "WAITING");
	ck_assert_int_ne((int64_t)nget(st, "rebuild.run_id"), first_run);
	bool noted = false;
	const cJSON *h;
	cJSON_ArrayForEach(h, cJSON_GetObjectItem(st, "history"))
		noted |= sget(h, "note") && strcmp(sget(h, "note"), "interrupted") == 0;
	ck_assert(noted);
	cJSON_Delete(st);
	struct store_run *old = store_run_get(fx->store, first_run, &E);
	ck_assert_str_eq(run_state_name(old->state), "CRASHED");
	store_run_free(old);
	OK(backfill_next(&fx->env, "orders", 0, &E));   /* validate */
	OK(backfill_next(&fx->env, "orders", 0, &E));   /* compare */
	st = status(fx);
	ck_assert_int_eq(column_changed(compared_table(st), "amount_doubled"), 40);
	cJSON_Delete(st);
	free(extra);
	fx_free(fx);
}
END_TEST

/* A partitioned flow whose load replaces its day: what each partition's
 * replacement deleted is kept with its run and shown beside what it wrote,
 * for runs through the engine and for a backfill's partitions. */
static void write_partitioned_project(struct fx *fx)
{
	char *json = xasprintf(
		"{ \"project\": \"bf\", \"control\": \"sqlite:%s\",\n"
		"  \"connections\": { \"warehouse\": { \"url\": \"%s\" } },\n"
		"  \"flows\": [ { \"name\": \"orders\",\n"
		"    \"params\": { \"day\": { \"type\": \"date\" } },\n"
		"    \"partition\": { \"param\": \"day\", \"grain\": \"day\", \"start\": \"2024-01-01\" },\n"
		"    \"steps\": [ { \"name\": \"load\", \"kind\": \"load\", \"connection\": \"warehouse\",\n"
		"      \"from\": { \"query\": \"SELECT id, day, amount FROM raw_days WHERE day = :day\" },\n"
		"      \"table\": \"fact_days\", \"mode\": \"merge\", \"key\": [\"id\"],\n"
		"      \"partition_column\": \"day\" } ] } ] }\n", fx->control, wh_url());
	test_write_file(fx->dir, "sluice.json", json);
	free(json);
	load_project(fx);
}

/* Run the partition `day` through the engine; its run. */
static struct store_run *run_day(struct fx *fx, const char *day)
{
	struct project_kv kv = { .key = "day", .value = (char *)day };
	return run_flow_with(fx, "orders", &kv, 1);
}

static const cJSON *partition_entry(const cJSON *list, const char *key)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, list)
		if (sget(p, "key") && strcmp(sget(p, "key"), key) == 0)
			return p;
	ck_abort_msg("no partition %s", key);
	return NULL;
}

START_TEST(partition_rows_deleted_are_counted)
{
	struct fx *fx = fx_new(QUERY_V1, NULL, NULL);
	write_partitioned_project(fx);
	fx_sql(fx, "CREATE TABLE raw_days (id integer primary key, day date, amount integer);"
		   "INSERT INTO raw_days VALUES (1, '2024-01-01', 10), (2, '2024-01-01', 20), "
		   "(3, '2024-01-01', 30), (4, '2024-01-02', 40), (5, '2024-01-02', 50), "
		   "(6, '2024-01-02', 60), (7, '2024-01-02', 70)");
	/* Through the engine: the first run of a day finds nothing to delete,
	 * the second deletes the day's rows before it writes them again. */
	struct store_run *r = run_day(fx, "2024-01-01");
	ck_assert_int_eq(r->rows_out, 3);
	ck_assert_int_eq(r->rows_deleted, 0);
	store_run_free(r);
	store_run_free(run_day(fx, "2024-01-02"));
	fx_sql(fx, "DELETE FROM raw_days WHERE id = 7");
	r = run_day(fx, "2024-01-02");
	ck_assert_int_eq(r->rows_out, 3);
	ck_assert_int_eq(r->rows_deleted, 4);
	store_run_free(r);

	/* A backfill of both days, here without an engine: each partition
	 * rebuilds its own day (each run with its own parameter), says what
	 * it wrote and what it deleted first, and so does the comparison. */
	fx_sql(fx, "DELETE FROM raw_days WHERE id IN (1, 6)");
	struct backfill_range range = { .from = "2024-01-01", .to = "2024-01-02",
					.reprocess = REPROCESS_ALL, .max_active = 1 };
	int64_t id = 0;
	OK(backfill_start_range(&fx->env, "orders", NULL, 0, &range, &id, &E));
	for (int i = 0; i < 4; i++)                 /* suspend, rebuild, validate, compare */
		OK(backfill_next(&fx->env, "orders", 0, &E));
	expect_at(fx, "compare", "WAITING");
	cJSON *st = status(fx);
	const cJSON *list = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "partitions"), "list");
	const cJSON *d1 = partition_entry(list, "2024-01-01");
	const cJSON *d2 = partition_entry(list, "2024-01-02");
	ck_assert_int_eq((int64_t)nget(d1, "rows_out"), 2);
	ck_assert_int_eq((int64_t)nget(d1, "rows_deleted"), 3);
	ck_assert_int_eq((int64_t)nget(d2, "rows_out"), 2);
	ck_assert_int_eq((int64_t)nget(d2, "rows_deleted"), 3);
	ck_assert_int_eq((int64_t)nget(st, "rebuild.rows_deleted"), 6);
	const cJSON *cmp = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "compare"), "partitions");
	d1 = partition_entry(cmp, "2024-01-01");
	ck_assert_int_eq((int64_t)nget(d1, "rows_written"), 2);
	ck_assert_int_eq((int64_t)nget(d1, "rows_deleted"), 3);
	const cJSON *t2 = cJSON_GetArrayItem(cJSON_GetObjectItem(
		partition_entry(cmp, "2024-01-02"), "tables"), 0);
	ck_assert_int_eq((int64_t)nget(t2, "rows_current"), 3);
	ck_assert_int_eq((int64_t)nget(t2, "rows_backfill"), 2);
	/* The runs themselves carry it too. */
	struct store_run *pr = store_run_get(fx->store, (int64_t)nget(d1, "run_id"), &E);
	cJSON_Delete(st);
	ck_assert(pr != NULL);
	ck_assert_int_eq(pr->rows_deleted, 3);
	store_run_free(pr);

	/* A backfill recorded by an older sluice (a store migrated from
	 * version 13): its partitions' runs and entries never counted the
	 * rows deleted, which is shown as not known (null), not as 0. */
	struct db *ctl = db_open(fx->control, NULL, &E);
	ck_assert_msg(ctl != NULL, "%s", err_text(&E));
	OK(db_exec(ctl, "UPDATE runs SET rows_deleted = NULL", NULL, 0, NULL, &E));
	OK(db_exec(ctl, "UPDATE backfills SET plan = replace(plan, '\"rows_deleted\":', "
		   "'\"rows_deleted_then\":')", NULL, 0, NULL, &E));
	db_close(ctl);
	st = status(fx);
	list = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "partitions"), "list");
	d2 = partition_entry(list, "2024-01-02");
	ck_assert_int_eq((int64_t)nget(d2, "rows_out"), 2);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d2, "rows_deleted")));
	cJSON_Delete(st);
	fx_free(fx);
}
END_TEST

static void add_backfill_cases(TCase *tc)
{
	tcase_add_test(tc, added_column_changes_every_row_then_swaps_in);
	tcase_add_test(tc, no_change_reports_identical_and_swaps_an_equal_table);
	tcase_add_test(tc, discard_leaves_the_current_table_untouched);
	tcase_add_test(tc, resume_restores_exactly_what_was_suspended);
	tcase_add_test(tc, one_backfill_per_flow_and_clear_refusals);
	tcase_add_test(tc, a_target_without_key_is_refused);
	tcase_add_test(tc, first_build_of_a_table);
	tcase_add_test(tc, failed_validation_stops_the_procedure);
	tcase_add_test(tc, swap_never_shows_a_missing_table);
	tcase_add_test(tc, a_step_interrupted_by_a_crash_runs_again);
	tcase_add_test(tc, partition_rows_deleted_are_counted);
}

#endif
