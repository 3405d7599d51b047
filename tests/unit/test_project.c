/*
 * test_project.c - loading sluice.json: the model, every diagnostic with
 * its line, column and key path, environments, secrets, schedules (cron
 * and time zones, across daylight-saving changes), conditions and
 * parameter checks.
 *
 * Fixture projects live in tests/data/projects/; projects that only make
 * sense next to one assertion are written inline into a temp directory.
 */
#include "testutil.h"
#include "project/project.h"

#include <pthread.h>
#include <sys/stat.h>

/* ---- helpers ---------------------------------------------------------------- */

static char *fixture_dir(const char *name)
{
	const char *src = getenv("SLUICE_SRCDIR");
	char *rel = xasprintf("tests/data/projects/%s", name);
	char *dir = path_join(src && *src ? src : "..", rel);
	free(rel);
	return dir;
}

/* Load DIR/sluice.json as "sluice.json" (so messages name it that way). */
static struct project *load_in(const char *dir, const char *env, struct diags *d,
			       struct err *e)
{
	char old[4096];
	ck_assert_ptr_nonnull(getcwd(old, sizeof old));
	ck_assert_msg(chdir(dir) == 0, "cannot enter %s", dir);
	diags_init(d);
	err_clear(e);
	struct project *p = project_load("sluice.json", env, d, e);
	ck_assert_int_eq(chdir(old), 0);
	diags_sort(d);
	return p;
}

static struct project *load_fixture(const char *name, const char *env, struct diags *d)
{
	char *dir = fixture_dir(name);
	struct err e;
	struct project *p = load_in(dir, env, d, &e);
	ck_assert_msg(p != NULL, "%s: %s", name, err_text(&e));
	free(dir);
	return p;
}

/* Write `json` as sluice.json in a fresh directory with the given mode. */
static char *write_project(const char *json, int mode)
{
	char *dir = test_mkdtemp();
	test_write_file(dir, "sluice.json", json);
	char *file = path_join(dir, "sluice.json");
	chmod(file, (mode_t)mode);
	free(file);
	return dir;
}

static char *all_diags(const struct diags *d)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d->items.len; i++) {
		char *s = diag_format(d->items.items[i]);
		buf_printf(&b, "%s\n", s);
		free(s);
	}
	return buf_detach(&b);
}

static void assert_diags(const struct diags *d, const char *const *expected, size_t n)
{
	char *text = all_diags(d);
	ck_assert_msg(d->items.len == n, "expected %zu diagnostics, got %zu:\n%s",
		      n, d->items.len, text ? text : "");
	for (size_t i = 0; i < n; i++) {
		char *s = diag_format(d->items.items[i]);
		ck_assert_msg(strcmp(s, expected[i]) == 0, "diagnostic %zu:\n  got  %s\n  want %s",
			      i, s, expected[i]);
		free(s);
	}
	free(text);
}

/* True when some diagnostic's formatted text contains `needle`. */
static bool has_diag(const struct diags *d, const char *needle)
{
	char *text = all_diags(d);
	bool found = text && strstr(text, needle);
	free(text);
	return found;
}

static usec_t at(const char *iso)
{
	usec_t t;
	ck_assert_msg(time_parse_iso(iso, &t), "bad time %s", iso);
	return t;
}

static const char *iso(usec_t t)
{
	static char out[32];
	time_format_iso(t, out);
	return out;
}

#define ck_assert_time(got, want) ck_assert_str_eq(iso(got), iso(at(want)))

/* ---- the valid project --------------------------------------------------------- */

START_TEST(full_project_loads_without_problems)
{
	struct diags d;
	struct project *p = load_fixture("full", NULL, &d);
	char *text = all_diags(&d);
	ck_assert_msg(d.errors == 0 && d.warnings == 0, "%s", text ? text : "");
	free(text);
	char *dir = fixture_dir("full");
	char *real = realpath(dir, NULL);

	ck_assert_str_eq(p->name, "totesys demo");
	ck_assert_str_eq(p->env.name, "default");
	ck_assert(!p->env.read_only && !p->env.production);
	ck_assert_int_eq(p->nenv_names, 2);
	ck_assert_str_eq(p->env_names[0], "prod");
	ck_assert_str_eq(p->env_names[1], "audit");

	char *want = xasprintf("sqlite:%s/.sluice/control.db", real);
	ck_assert_str_eq(p->control_url, want);
	free(want);
	want = xasprintf("file:%s/lake", real);
	ck_assert_str_eq(p->lake.url, want);
	free(want);
	ck_assert_str_eq(p->lake.region, "us-east-1");

	ck_assert_int_eq(p->nconnections, 2);
	const struct project_connection *src = project_connection(p, "source");
	ck_assert_ptr_nonnull(src);
	want = xasprintf("sqlite:%s/data/source.db", real);
	ck_assert_str_eq(src->url, want);
	free(want);
	ck_assert_int_eq(src->kind, CONN_SQLITE);
	ck_assert(src->read_only);
	ck_assert_ptr_null(src->password_env);
	ck_assert_str_eq(src->path, "connections.source");
	ck_assert(!project_connection(p, "warehouse")->read_only);
	ck_assert_ptr_null(project_connection(p, "nope"));

	ck_assert_int_eq(p->npipes, 1);
	const struct project_pipe *pipe = project_pipe(p, "orders_pipe");
	ck_assert_str_eq(pipe->path, "orders/");
	ck_assert_str_eq(pipe->pattern, "*.json");
	ck_assert_int_eq(pipe->format, FORMAT_NDJSON);
	ck_assert_str_eq(pipe->connection, "warehouse");
	ck_assert_str_eq(pipe->table, "raw_orders");
	ck_assert_str_eq(pipe->document, "doc");
	ck_assert_int_eq(pipe->on_error, ON_ERROR_SKIP_FILE);
	ck_assert_int_eq(pipe->poll, 10 * USEC_PER_SEC);
	ck_assert_int_eq(pipe->csv_delimiter, ',');
	ck_assert_int_eq(pipe->ncolumns, 0);

	const struct project_stream *st = project_stream(p, "orders_stream");
	ck_assert_int_eq(st->mode, STREAM_APPEND_ONLY);
	ck_assert_str_eq(st->offset_column, "_sluice_id");
	ck_assert_str_eq(st->watermark_column, "last_updated");
	ck_assert_str_eq(st->table, "raw_orders");

	ck_assert_int_eq(p->ntasks, 5);
	const struct project_task *t = project_task(p, "ingest");
	ck_assert_int_eq(t->schedule.kind, SCHEDULE_INTERVAL);
	ck_assert_int_eq(t->schedule.interval, 300 * USEC_PER_SEC);
	ck_assert_str_eq(t->schedule.text, "every 5 minutes");
	ck_assert_str_eq(t->flow, "totesys_ingest");
	ck_assert_int_eq(t->max_failures, 10);
	ck_assert(!t->allow_overlap && !t->start_suspended);

	t = project_task(p, "nightly");
	ck_assert_int_eq(t->schedule.kind, SCHEDULE_CRON);
	ck_assert_str_eq(t->schedule.timezone, "Europe/London");
	ck_assert(t->schedule.cron.minutes == UINT64_C(1) << 30);
	ck_assert(t->schedule.cron.hours == 1u << 2);
	ck_assert_int_eq(t->nparams, 2);
	ck_assert_str_eq(t->params[0].key, "full");
	ck_assert_str_eq(t->params[0].value, "false");
	ck_assert_str_eq(t->params[1].value, "2024-01-01");

	t = project_task(p, "after_ingest");
	ck_assert_int_eq(t->schedule.kind, SCHEDULE_NONE);
	ck_assert_int_eq(t->nafter, 1);
	ck_assert_str_eq(t->after[0], "ingest");
	ck_assert_int_eq(t->max_failures, 3);

	t = project_task(p, "orders_on_data");
	ck_assert_ptr_nonnull(t->when);
	ck_assert_int_eq(t->when->op, COND_AND);
	ck_assert_int_eq(t->when->left->op, COND_GT);
	ck_assert_str_eq(t->when->left->left->arg, "orders_stream");
	ck_assert_int_eq(t->when->right->op, COND_NOT);

	t = project_task(p, "vacuum");
	want = xasprintf("%s/sql/vacuum.sql", real);
	ck_assert_str_eq(t->sql_file, want);
	free(want);
	ck_assert_str_eq(t->connection, "warehouse");
	ck_assert_ptr_null(t->flow);
	ck_assert(t->start_suspended);
	ck_assert_int_eq(t->schedule.cron.weekdays, 1);

	ck_assert_int_eq(p->nflows, 3);
	const struct project_flow *f = project_flow(p, "totesys_ingest");
	ck_assert_int_eq(f->retries.count, 2);
	ck_assert(f->retries.exponential);
	ck_assert_int_eq(f->retries.delay, 10 * USEC_PER_SEC);
	ck_assert_int_eq(f->retries.max_delay, 300 * USEC_PER_SEC);
	ck_assert(f->retries.jitter > 0.099 && f->retries.jitter < 0.101);
	ck_assert_int_eq(f->timeout, 1800 * USEC_PER_SEC);
	ck_assert_int_eq(f->concurrency, 1);
	ck_assert_int_eq(f->on_limit, CONCURRENCY_WAIT);
	ck_assert_int_eq(f->nsteps, 2);
	ck_assert_int_eq(f->steps[0].kind, STEP_EXTRACT);
	ck_assert_int_eq(f->steps[1].kind, STEP_HTTP);
	ck_assert_int_eq(f->steps[1].timeout, 60 * USEC_PER_SEC);
	ck_assert_str_eq(f->steps[1].path_in_file, "flows[0].steps[1]");
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(f->steps[0].spec, "tables")));

	f = project_flow(p, "totesys_warehouse");
	ck_assert_int_eq(f->nparams, 3);
	ck_assert_int_eq(f->params[0].type, PARAM_BOOL);
	ck_assert_str_eq(f->params[0].default_value, "false");
	ck_assert_str_eq(f->params[0].description, "rebuild everything");
	ck_assert_int_eq(f->params[1].type, PARAM_DATE);
	ck_assert_int_eq(f->params[2].type, PARAM_INT);
	ck_assert_str_eq(f->params[2].default_value, "1000");
	ck_assert_int_eq(f->on_limit, CONCURRENCY_REFUSE);
	ck_assert_int_eq(f->nnotify, 1);
	ck_assert_str_eq(f->notify[0], "alerts");
	const struct project_step *s = project_step(f, "dim_staff");
	ck_assert_int_eq(s->kind, STEP_LOAD);
	ck_assert_int_eq(s->nneeds, 1);
	ck_assert_str_eq(s->needs[0], "stage");
	ck_assert_int_eq(s->cache_expire, 3600 * USEC_PER_SEC);
	s = project_step(f, "facts");
	ck_assert(s->has_retries);
	ck_assert_int_eq(s->retries.count, 5);
	ck_assert_int_eq(s->retries.delay, 10 * USEC_PER_SEC);   /* the flow's */

	f = project_flow(p, "orders_etl");
	ck_assert(f->params[0].has_default);
	ck_assert_ptr_null(f->params[0].default_value);
	ck_assert_int_eq(f->params[0].type, PARAM_TIMESTAMP);
	ck_assert_int_eq(f->nnotify, 1);
	static const enum step_kind kinds[] = {
		STEP_INGEST, STEP_NORMALIZE, STEP_SQL, STEP_VALIDATE, STEP_LOAD, STEP_NOTIFY,
	};
	ck_assert_int_eq(f->nsteps, 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_int_eq(f->steps[i].kind, kinds[i]);
	ck_assert(!f->steps[0].has_retries);
	ck_assert_int_eq(f->steps[0].retries.count, 1);

	ck_assert_int_eq(p->nchannels, 2);
	ck_assert_int_eq(project_channel(p, "alerts")->events,
			 NOTIFY_RUN_FAILED | NOTIFY_TASK_SUSPENDED);
	ck_assert_str_eq(project_channel(p, "alerts")->webhook_env, "SLACK_WEBHOOK_URL");
	ck_assert_int_eq(project_channel(p, "ops")->events, NOTIFY_ALL_EVENTS);

	ck_assert_int_eq(p->ntables, 3);
	const struct project_table *tb = project_table(p, "dim_staff");
	ck_assert_int_eq(tb->kind, TABLE_DIMENSION);
	ck_assert_str_eq(tb->connection, "warehouse");
	ck_assert_int_eq(tb->nkey, 1);
	ck_assert_str_eq(tb->key[0], "staff_id");
	ck_assert_int_eq(tb->ncolumn_notes, 2);
	ck_assert_str_eq(tb->column_notes[0].value, "the department's city");

	char *rel = project_path(p, "sql/stage.sql");
	want = xasprintf("%s/sql/stage.sql", real);
	ck_assert_str_eq(rel, want);
	free(rel);
	free(want);
	free(real);
	free(dir);
	project_free(p);
	diags_free(&d);
}
END_TEST

START_TEST(environment_overrides_merge_per_key)
{
	struct diags d;
	struct project *p = load_fixture("full", "prod", &d);
	ck_assert_int_eq(d.errors, 0);
	ck_assert_str_eq(p->env.name, "prod");
	ck_assert(p->env.production);
	ck_assert(!p->env.read_only);
	ck_assert_str_eq(p->control_url, "postgresql://sluice@ops.internal/sluice");
	const struct project_connection *wh = project_connection(p, "warehouse");
	ck_assert_str_eq(wh->url, "service=prod_wh");
	ck_assert_int_eq(wh->kind, CONN_POSTGRES);
	ck_assert_str_eq(wh->password_env, "WAREHOUSE_PASSWORD");
	/* Only the keys the environment names change. */
	const struct project_connection *src = project_connection(p, "source");
	ck_assert(str_ends_with(src->url, "/data/source.db"));
	ck_assert(!src->read_only);
	ck_assert_str_eq(p->lake.url, "s3://acme-lake/totesys");
	ck_assert_str_eq(p->lake.region, "eu-west-2");
	ck_assert_str_eq(p->lake.access_key_env, "LAKE_KEY");
	ck_assert_str_eq(p->lake.secret_key_env, "LAKE_SECRET");
	project_free(p);
	diags_free(&d);

	p = load_fixture("full", "audit", &d);
	ck_assert_int_eq(d.errors, 0);
	ck_assert(p->env.read_only);
	ck_assert(!p->env.production);
	ck_assert(str_starts_with(project_connection(p, "warehouse")->url, "sqlite:/"));
	project_free(p);
	diags_free(&d);
}
END_TEST

START_TEST(unknown_environment_lists_the_known_ones)
{
	struct diags d;
	struct project *p = load_fixture("full", "staging", &d);
	static const char *const want[] = {
		"sluice.json:121:19: environments: unknown environment \"staging\" "
		"(known: prod, audit)",
	};
	assert_diags(&d, want, 1);
	project_free(p);
	diags_free(&d);

	p = load_fixture("full", "prd", &d);
	static const char *const close[] = {
		"sluice.json:121:19: environments: unknown environment \"prd\" "
		"(did you mean \"prod\"? known: prod, audit)",
	};
	assert_diags(&d, close, 1);
	project_free(p);
	diags_free(&d);
}
END_TEST

/* ---- mistakes ------------------------------------------------------------------ */

START_TEST(five_mistakes_are_all_reported_in_file_order)
{
	struct diags d;
	struct project *p = load_fixture("five-mistakes", NULL, &d);
	static const char *const want[] = {
		"sluice.json:4:27: connections.warehouse.url: a password in the URL is not "
		"allowed: passwords never live in the project file (use password_env, "
		"~/.pgpass, PGPASSWORD or a service file)",
		"sluice.json:7:46: streams[0].connection: unknown connection \"wharehouse\" "
		"(did you mean \"warehouse\"?)",
		"sluice.json:10:37: tasks[0].schedule: minute field \"61\": 61 is out of "
		"range (0-59)",
		"sluice.json:11:64: tasks[1].timezone: unknown time zone \"Europe/Londn\" "
		"(IANA names such as \"Europe/London\", as found in /usr/share/zoneinfo)",
		"sluice.json:14:44: tasks[2].when: expected a number, a function call or "
		"\"(\", found \">\"",
		"sluice.json:18:7: flows[0].descripton: unknown key \"descripton\" "
		"(did you mean \"description\"?)",
		"sluice.json:19:56: flows[0].params.batch.default: parameter \"batch\": "
		"\"ten\" is not an integer (expected a whole number such as 42 or -7)",
		"sluice.json:22:35: flows[0].steps[1].kind: unknown kind \"lod\" (expected "
		"extract, ingest, normalize, sql, validate, load, http, notify)",
		"sluice.json:22:52: flows[0].steps[1].needs[0]: cycle in needs: "
		"transform -> load -> transform",
	};
	unsetenv("TZDIR");
	assert_diags(&d, want, ARRAY_LEN(want));
	ck_assert_int_eq(d.errors, ARRAY_LEN(want));
	ck_assert(!has_diag(&d, "hunter2"));
	/* The model is still there, for whatever can be shown. */
	ck_assert_int_eq(p->nflows, 1);
	ck_assert_int_eq(p->flows[0].steps[1].kind, STEP_KIND_COUNT);
	project_free(p);
	diags_free(&d);
}
END_TEST

START_TEST(references_graphs_and_files_are_checked)
{
	char *dir = write_project(
		"{\n"
		"  \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"tasks\": [\n"
		"    { \"name\": \"a\", \"after\": [\"c\"], \"flow\": \"f\" },\n"
		"    { \"name\": \"b\", \"after\": [\"a\"], \"flow\": \"f\", \"params\": { \"n\": 5 } },\n"
		"    { \"name\": \"c\", \"after\": [\"b\", \"zz\"], \"flow\": \"fx\" },\n"
		"    { \"name\": \"a\", \"schedule\": \"@daily\", \"sql\": \"missing.sql\", \"connection\": \"wh\" },\n"
		"    { \"name\": \"d\", \"schedule\": \"every 5 fortnights\" },\n"
		"    { \"name\": \"e\", \"schedule\": \"0 0 30 2 *\", \"flow\": \"f\", \"sql\": \"x.sql\" },\n"
		"    { \"name\": \"g\", \"schedule\": \"5m\", \"flow\": \"f\", \"params\": { \"when\": \"2024-02-30\", \"nope\": 1 } }\n"
		"  ],\n"
		"  \"flows\": [ { \"name\": \"f\", \"notify\": [\"alertz\"],\n"
		"      \"params\": { \"when\": { \"type\": \"date\" }, \"n\": { \"type\": \"int\", \"default\": 1 } },\n"
		"      \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wx\", \"needs\": \"s\" },\n"
		"                 { \"name\": \"s\", \"kind\": \"http\", \"timeout\": \"0s\", \"retries\": { \"count\": -1, \"jitter\": 2 } } ] } ],\n"
		"  \"notifications\": { \"alerts\": { \"slack_webhook_env\": \"HOOK\", \"on\": [\"run_failed\", \"run_faild\"] } }\n"
		"}\n", 0600);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	ck_assert_ptr_nonnull(p);
	char *real = realpath(dir, NULL);
	char *missing = xasprintf("sluice.json:7:49: tasks[3].sql: no such file \"missing.sql\" "
				  "(looked for %s/missing.sql)", real);
	char *x_sql = xasprintf("sluice.json:9:66: tasks[5].sql: no such file \"x.sql\" "
				"(looked for %s/x.sql)", real);
	const char *const want[] = {
		"sluice.json:4:5: tasks[0]: missing required parameter \"when\" of flow \"f\" "
		"(it has no default)",
		"sluice.json:5:30: tasks[1].after[0]: cycle in after: a -> c -> b -> a",
		"sluice.json:5:59: tasks[1].params: missing required parameter \"when\" of "
		"flow \"f\" (it has no default)",
		"sluice.json:6:35: tasks[2].after[1]: unknown task \"zz\" (known: a, b, c, d, e, g)",
		"sluice.json:6:50: tasks[2].flow: unknown flow \"fx\" (did you mean \"f\"?)",
		"sluice.json:7:15: tasks[3].name: another task is already named \"a\"",
		missing,
		"sluice.json:8:5: tasks[4]: a task runs a flow (\"flow\") or a SQL file (\"sql\" "
		"with \"connection\"); this one has neither",
		"sluice.json:8:32: tasks[4].schedule: \"every 5 fortnights\" is not an interval "
		"(expected \"every\" with a number and a unit: ms, s, m, h or d, as in "
		"\"every 5 minutes\")",
		"sluice.json:9:5: tasks[5]: missing required parameter \"when\" of flow \"f\" "
		"(it has no default)",
		"sluice.json:9:5: tasks[5]: missing required key \"connection\" (the SQL file "
		"runs on it)",
		"sluice.json:9:32: tasks[5].schedule: never fires: none of the chosen months has "
		"the chosen day of the month",
		x_sql,
		"sluice.json:9:66: tasks[5].sql: a task runs a flow or a SQL file, not both",
		"sluice.json:10:71: tasks[6].params.when: parameter \"when\": \"2024-02-30\" is "
		"not a date (expected a day as YYYY-MM-DD)",
		"sluice.json:10:93: tasks[6].params.nope: unknown parameter \"nope\" (known: "
		"when, n)",
		"sluice.json:12:40: flows[0].notify[0]: unknown notification channel \"alertz\" "
		"(did you mean \"alerts\"?)",
		"sluice.json:14:62: flows[0].steps[0].connection: unknown connection \"wx\" "
		"(did you mean \"wh\"?)",
		"sluice.json:14:77: flows[0].steps[0].needs: cycle in needs: s -> s",
		"sluice.json:15:28: flows[0].steps[1].name: another step of this flow is "
		"already named \"s\"",
		"sluice.json:15:60: flows[0].steps[1].timeout: timeout must be more than 0",
		"sluice.json:15:88: flows[0].steps[1].retries.count: retries are counted from "
		"0 to 1000, not -1",
		"sluice.json:15:102: flows[0].steps[1].retries.jitter: jitter is a fraction "
		"from 0 to 1, not 2",
		"sluice.json:16:84: notifications.alerts.on[1]: unknown event \"run_faild\" "
		"(expected run_failed, task_suspended, backfill_waiting, pipe_file_failed, "
		"run_crashed, worker_lost, late_run)",
	};
	assert_diags(&d, want, ARRAY_LEN(want));
	free(missing);
	free(x_sql);
	free(real);
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

START_TEST(json_syntax_errors_point_at_the_mistake)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
		{ "{\n  \"project\": \"x\",\n  \"flows\": [],\n}\n",
		  "sluice.json:3:14: trailing comma: JSON allows no \",\" before \"}\"" },
		{ "{\n  \"project\": \"x\"\n  \"flows\": []\n}\n",
		  "sluice.json:2:17: missing \",\" after this member" },
		{ "{\n  \"flows\": [\n    { \"name\": \"f\" }\n",
		  "sluice.json:4:1: unexpected end of the file: the array opened at 2:12 is "
		  "not closed" },
		{ "{ \"version\": 1, \"project\": 'x' }",
		  "sluice.json:1:28: strings need double quotes, not single quotes" },
		{ "", "sluice.json:1:1: the file is empty; a project is a JSON object { ... }" },
		{ "{ \"a\": \"\\q\" }",
		  "sluice.json:1:9: invalid escape \"\\q\" in a string (a backslash is written \\\\)" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *dir = write_project(cases[i].json, 0600);
		struct diags d;
		struct err e;
		struct project *p = load_in(dir, NULL, &d, &e);
		ck_assert_ptr_null(p);
		ck_assert_int_eq(e.code, ERR_PARSE);
		assert_diags(&d, &cases[i].want, 1);
		diags_free(&d);
		test_rmdir(dir);
	}
}
END_TEST

/* What cJSON used to take without a word: a \u0000 that cut the string
 * short, bytes that are not UTF-8, a raw tab inside a string; and an
 * unpaired surrogate, which it refused as a bare "JSON syntax error". */
START_TEST(json_strictness_is_precise)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
		{ "{ \"project\": \"a\\u0000b\" }",
		  "sluice.json:1:16: \\u0000 is not allowed in a string (it would end the text "
		  "there)" },
		{ "{ \"project\": \"caf\xe9\" }",
		  "sluice.json:1:18: invalid UTF-8 byte 0xe9 in a string (a project file is UTF-8)" },
		{ "{ \"project\": \"a\tb\" }",
		  "sluice.json:1:16: control character 0x09 inside a string (write it as an escape "
		  "such as \\t)" },
		{ "{ \"project\": \"\\ud800\" }",
		  "sluice.json:1:15: unpaired surrogate \\ud800 in a string (a character above "
		  "U+FFFF is written as a pair such as \\ud83d\\ude00)" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *dir = write_project(cases[i].json, 0600);
		struct diags d;
		struct err e;
		struct project *p = load_in(dir, NULL, &d, &e);
		ck_assert_msg(p == NULL, "accepted: %s", cases[i].json);
		ck_assert_int_eq(e.code, ERR_PARSE);
		assert_diags(&d, &cases[i].want, 1);
		diags_free(&d);
		test_rmdir(dir);
	}
}
END_TEST

START_TEST(unreadable_file_is_an_io_error)
{
	struct diags d;
	diags_init(&d);
	struct err e;
	err_clear(&e);
	ck_assert_ptr_null(project_load("/nonexistent/sluice.json", NULL, &d, &e));
	ck_assert_int_eq(e.code, ERR_IO);
	ck_assert_int_eq(d.items.len, 0);
	diags_free(&d);
}
END_TEST

START_TEST(wrong_types_and_unknown_keys_everywhere)
{
	char *dir = write_project(
		"{\n"
		"  \"projekt\": \"x\",\n"
		"  \"version\": 2,\n"
		"  \"connections\": { \"wh\": { \"url\": 5, \"read_only\": \"yes\" },\n"
		"                   \"bad name\": { \"url\": \"mysql://x\" } },\n"
		"  \"lake\": { \"url\": \"ftp://x\" },\n"
		"  \"pipes\": [ { \"name\": \"p\", \"path\": \"/abs\", \"connection\": \"wh\",\n"
		"               \"table\": \"t\", \"format\": \"xml\", \"poll\": 10 } ],\n"
		"  \"streams\": \"nope\",\n"
		"  \"flows\": [ { \"name\": \"f\", \"steps\": [] } ],\n"
		"  \"tables\": { \"t\": { \"connection\": \"wh\", \"kind\": \"dim\" } },\n"
		"  \"environments\": { \"prod\": { \"connections\": { \"whx\": {} } } }\n"
		"}\n", 0600);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	static const char *const want[] = {
		"sluice.json:2:3: projekt: unknown key \"projekt\" (did you mean \"project\"?)",
		"sluice.json:3:14: version: this sluice reads version 1 of the project file, "
		"not version 2",
		"sluice.json:4:35: connections.wh.url: expected a string, found a number",
		"sluice.json:4:51: connections.wh.read_only: expected true or false, found a string",
		"sluice.json:5:32: connections.bad name: \"bad name\" is not a valid name "
		"(letters, digits and _, not starting with a digit)",
		"sluice.json:5:41: connections.bad name.url: unsupported connection URL scheme "
		"\"mysql\" (expected sqlite:, postgresql:// or postgres://)",
		"sluice.json:6:20: lake.url: not a lake URL (expected file:DIR, "
		"s3://BUCKET/PREFIX, or an http:// or https:// URL)",
		"sluice.json:7:37: pipes[0].path: a pipe's path is a prefix inside the lake "
		"(\"orders/\"), not an absolute path, a URL, or one with \"..\"",
		"sluice.json:8:40: pipes[0].format: unknown format \"xml\" (expected ndjson, "
		"json, csv, parquet)",
		"sluice.json:8:55: pipes[0].poll: expected a duration such as \"10s\", found "
		"a number",
		"sluice.json:9:14: streams: expected an array, found a string",
		"sluice.json:10:38: flows[0].steps: a flow needs at least one step",
		"sluice.json:11:50: tables.t.kind: unknown kind \"dim\" (expected raw, staging, "
		"temp, dimension, fact, backfill, old)",
		"sluice.json:12:48: environments.prod.connections.whx: unknown connection "
		"\"whx\" (did you mean \"wh\"?); an environment overrides connections "
		"declared in \"connections\"",
	};
	assert_diags(&d, want, ARRAY_LEN(want));
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

/* A flow's partition: what it may name, and the periods it steps through. */
START_TEST(partitions_are_checked_and_stepped)
{
	char *dir = write_project(
		"{ \"project\": \"x\",\n"
		"  \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"flows\": [\n"
		"    { \"name\": \"a\", \"params\": { \"n\": { \"type\": \"int\" } },\n"
		"      \"partition\": { \"param\": \"n\", \"grain\": \"day\" },\n"
		"      \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"SELECT 1\" } ] },\n"
		"    { \"name\": \"b\", \"params\": { \"d\": { \"type\": \"date\" } },\n"
		"      \"partition\": { \"param\": \"d\", \"grain\": \"hour\", \"start\": \"2024-02-30\" },\n"
		"      \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"SELECT 1\" } ] },\n"
		"    { \"name\": \"c\", \"partition\": { \"param\": \"zz\", \"grain\": \"week\" },\n"
		"      \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"SELECT 1\" } ] } ] }\n",
		0600);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	ck_assert(has_diag(&d, "flows[0].partition.param: parameter \"n\" is int: a partition "
			   "is a date or timestamp parameter"));
	ck_assert(has_diag(&d, "flows[1].partition.grain: an hourly partition needs a timestamp "
			   "parameter; \"d\" is a date"));
	ck_assert(has_diag(&d, "flows[1].partition.start: \"2024-02-30\" is not a date"));
	ck_assert(has_diag(&d, "flows[2].partition.param: flow c has no parameter \"zz\""));
	ck_assert(has_diag(&d, "flows[2].partition.grain: unknown grain \"week\""));
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);

	struct project_partition month = { .param = "m", .type = PARAM_DATE,
					   .grain = GRAIN_MONTH };
	usec_t t;
	char key[PARTITION_KEY_MAX], value[PARTITION_KEY_MAX];
	ck_assert(partition_floor(&month, "2024-12-17", &t));
	partition_key(&month, t, key);
	ck_assert_str_eq(key, "2024-12");
	partition_key(&month, partition_next(&month, t), key);
	ck_assert_str_eq(key, "2025-01");
	partition_value(&month, partition_next(&month, t), value);
	ck_assert_str_eq(value, "2025-01-01");
	ck_assert(partition_floor(&month, "2024-02", &t));      /* a key reads back */
	partition_key(&month, t, key);
	ck_assert_str_eq(key, "2024-02");
	struct project_partition hour = { .param = "h", .type = PARAM_TIMESTAMP,
					  .grain = GRAIN_HOUR };
	ck_assert(partition_floor(&hour, "2024-03-31 23:59:59", &t));
	partition_key(&hour, partition_next(&hour, t), key);
	ck_assert_str_eq(key, "2024-04-01T00");
	partition_value(&hour, t, value);
	ck_assert_str_eq(value, "2024-03-31 23:00:00");
	ck_assert(partition_floor(&hour, "2024-03-31T23", &t));
	ck_assert(!partition_floor(&hour, "2024-02-30", &t));
	ck_assert(!partition_floor(&hour, "yesterday", &t));
	struct project_flow f = { .name = "f", .partition = &hour };
	char *k = project_partition_of(&f, "{\"h\":\"2024-03-31 05:30:00\",\"x\":1}");
	ck_assert_str_eq(k, "2024-03-31T05");
	free(k);
	ck_assert_ptr_null(project_partition_of(&f, "{\"h\":null}"));
}
END_TEST

START_TEST(pipes_streams_and_tables_agree)
{
	char *dir = write_project(
		"{\n"
		"  \"connections\": { \"src\": { \"url\": \"sqlite:src.db\" },\n"
		"                   \"wh\": { \"url\": \"postgres://etl@db/wh\" } },\n"
		"  \"pipes\": [\n"
		"    { \"name\": \"csv_in\", \"path\": \"rates/\", \"format\": \"csv\", \"csv_delimiter\": \";\",\n"
		"      \"connection\": \"wh\", \"table\": \"raw_rates\", \"on_error\": \"continue\",\n"
		"      \"columns\": [ { \"name\": \"code\" }, { \"name\": \"rate\", \"type\": \"numeric(10,4)\", \"source\": \"Rate\" },\n"
		"                   { \"name\": \"code\" } ] },\n"
		"    { \"name\": \"json_in\", \"path\": \"x/\", \"csv_delimiter\": \"\\t\", \"connection\": \"src\", \"table\": \"raw_rates\" }\n"
		"  ],\n"
		"  \"streams\": [\n"
		"    { \"name\": \"rates\", \"connection\": \"wh\", \"table\": \"raw_rates\", \"mode\": \"default\",\n"
		"      \"watermark_column\": \"loaded_at\" },\n"
		"    { \"name\": \"orders\", \"connection\": \"src\", \"table\": \"raw_rates\" }\n"
		"  ],\n"
		"  \"tables\": { \"raw_rates\": { \"connection\": \"wh\", \"kind\": \"raw\" },\n"
		"              \"other\": { \"connection\": \"dw\" } }\n"
		"}\n", 0600);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	static const char *const want[] = {
		"sluice.json:8:30: pipes[0].columns[2].name: column \"code\" is declared twice",
		"sluice.json:9:57: warning: pipes[1].csv_delimiter: csv_delimiter has no effect "
		"with format ndjson",
		"sluice.json:9:77: pipes[1].connection: table \"raw_rates\" is on connection "
		"\"wh\" (tables.raw_rates), not \"src\"",
		"sluice.json:14:39: streams[1].connection: table \"raw_rates\" is on connection "
		"\"wh\" (tables.raw_rates), not \"src\"",
		"sluice.json:17:40: tables.other.connection: unknown connection \"dw\" "
		"(known: src, wh)",
	};
	assert_diags(&d, want, ARRAY_LEN(want));
	const struct project_pipe *x = project_pipe(p, "csv_in");
	ck_assert_int_eq(x->format, FORMAT_CSV);
	ck_assert_int_eq(x->csv_delimiter, ';');
	ck_assert_int_eq(x->on_error, ON_ERROR_CONTINUE);
	ck_assert_int_eq(x->poll, 30 * USEC_PER_SEC);
	ck_assert_ptr_null(x->document);
	ck_assert_int_eq(x->ncolumns, 3);
	ck_assert_str_eq(x->columns[0].type, "text");
	ck_assert_str_eq(x->columns[0].source, "code");
	ck_assert_str_eq(x->columns[1].type, "numeric(10,4)");
	ck_assert_str_eq(x->columns[1].source, "Rate");
	ck_assert_int_eq(project_pipe(p, "json_in")->csv_delimiter, '\t');
	const struct project_stream *st = project_stream(p, "rates");
	ck_assert_int_eq(st->mode, STREAM_DEFAULT);
	ck_assert_str_eq(st->watermark_column, "loaded_at");
	ck_assert_int_eq(project_connection(p, "wh")->kind, CONN_POSTGRES);
	ck_assert_str_eq(project_connection(p, "wh")->url, "postgres://etl@db/wh");
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

/* The COPY options of issue 14: good values are read, and each bad one is
 * reported at its value (FILE:LINE:COL) with its key path. */
START_TEST(pipe_copy_options_checked)
{
	char *dir = write_project(
		"{\n"
		"  \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"pipes\": [\n"
		"    { \"name\": \"good\", \"path\": \"in/\", \"format\": \"csv\", \"connection\": \"wh\",\n"
		"      \"table\": \"t\", \"skip_header\": 1, \"null_if\": [\"NULL\", \"\"], \"quote\": \"\",\n"
		"      \"escape\": \"\\\\\", \"encoding\": \"latin-1\", \"trim_space\": true,\n"
		"      \"empty_field_as_null\": false, \"pattern_regex\": \"[0-9]+/.*[.]csv\",\n"
		"      \"archive\": \"done/in\" },\n"
		"    { \"name\": \"bad\", \"path\": \"b/\", \"format\": \"csv\", \"connection\": \"wh\",\n"
		"      \"table\": \"t2\", \"skip_header\": -1, \"header\": false, \"null_if\": [1],\n"
		"      \"quote\": \",\", \"escape\": \"ab\", \"encoding\": \"ebcdic\",\n"
		"      \"trim_space\": \"yes\", \"pattern_regex\": \"(\", \"purge\": true },\n"
		"    { \"name\": \"bad2\", \"path\": \"c/\", \"connection\": \"wh\", \"table\": \"t3\",\n"
		"      \"pattern\": \"*.json\", \"pattern_regex\": \".*\", \"purge\": true,\n"
		"      \"archive\": \"c/old/\", \"quote\": \"'\" },\n"
		"    { \"name\": \"bad3\", \"path\": \"d/\", \"connection\": \"wh\", \"table\": \"t4\",\n"
		"      \"archive\": \"d/old\", \"purge\": false, \"empty_field_as_null\": 0 }\n"
		"  ]\n"
		"}\n", 0600);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	static const char *const want[] = {
		"sluice.json:10:37: pipes[1].skip_header: skip_header is a number of lines from 0 "
		"to 1000000, not -1",
		"sluice.json:10:51: pipes[1].header: a file without a header row needs \"columns\" "
		"(its fields, in order)",
		"sluice.json:10:70: pipes[1].null_if[0]: expected a string, found a number",
		"sluice.json:11:16: pipes[1].quote: the quote is one ASCII character other than a "
		"line break and the delimiter \",\" (or \"\" for none), not \",\"",
		"sluice.json:11:31: pipes[1].escape: the escape is one ASCII character other than a "
		"line break and the delimiter \",\" (or \"\" for none), not \"ab\"",
		"sluice.json:11:49: pipes[1].encoding: unknown encoding \"ebcdic\" (expected utf-8, "
		"latin-1)",
		"sluice.json:12:21: pipes[1].trim_space: expected true or false, found a string",
		"sluice.json:12:45: pipes[1].pattern_regex: not a POSIX extended regular expression: "
		"Unmatched ( or \\(",
		"sluice.json:14:45: pipes[2].pattern_regex: a pipe has \"pattern\" (a glob) or "
		"\"pattern_regex\", not both",
		"sluice.json:15:18: pipes[2].archive: a pipe has \"purge\" or \"archive\", not both",
		"sluice.json:15:37: warning: pipes[2].quote: quote has no effect with format ndjson",
		"sluice.json:17:18: pipes[3].archive: the archive \"d/old\" and the pipe's path "
		"\"d/\" overlap: archived files would be seen by the pipe",
		"sluice.json:17:66: pipes[3].empty_field_as_null: expected true or false, found a "
		"number",
		"sluice.json:17:66: warning: pipes[3].empty_field_as_null: empty_field_as_null has no "
		"effect with format ndjson",
	};
	assert_diags(&d, want, ARRAY_LEN(want));
	const struct project_pipe *x = project_pipe(p, "good");
	ck_assert_int_eq(x->skip_header, 1);
	ck_assert_int_eq(x->nnull_if, 2);
	ck_assert_str_eq(x->null_if[1], "");
	ck_assert(x->csv_no_quote);
	ck_assert_int_eq(x->csv_escape, '\\');
	ck_assert_int_eq(x->encoding, PIPE_LATIN1);
	ck_assert(x->trim_space && x->empty_field_as_text && !x->csv_no_header);
	ck_assert_str_eq(x->pattern_regex, "[0-9]+/.*[.]csv");
	ck_assert_str_eq(x->archive, "done/in/");
	ck_assert(!x->purge);
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

/* Every on_error Snowflake's COPY has, with N read and checked, and a bad
 * one reported at its value with its key path. */
START_TEST(pipe_on_error_forms)
{
	char *dir = write_project(
		"{\n"
		"  \"connections\": { \"wh\": { \"url\": \"sqlite:wh.db\" } },\n"
		"  \"pipes\": [\n"
		"    { \"name\": \"n\", \"path\": \"a/\", \"connection\": \"wh\", \"table\": \"t1\", \"on_error\": \"skip_file_3\" },\n"
		"    { \"name\": \"p\", \"path\": \"a/\", \"connection\": \"wh\", \"table\": \"t2\", \"on_error\": \"skip_file_10%\" },\n"
		"    { \"name\": \"s\", \"path\": \"a/\", \"connection\": \"wh\", \"table\": \"t3\", \"on_error\": \"abort_statement\" },\n"
		"    { \"name\": \"x\", \"path\": \"a/\", \"connection\": \"wh\", \"table\": \"t4\", \"on_error\": \"skip_file_%\" },\n"
		"    { \"name\": \"y\", \"path\": \"a/\", \"connection\": \"wh\", \"table\": \"t5\", \"on_error\": \"skip_file_101%\" },\n"
		"    { \"name\": \"z\", \"path\": \"a/\", \"connection\": \"wh\", \"table\": \"t6\", \"on_error\": 3 }\n"
		"  ]\n"
		"}\n", 0600);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	static const char *const want[] = {
		"sluice.json:7:81: pipes[3].on_error: unknown on_error \"skip_file_%\" (expected "
		"skip_file, skip_file_N, skip_file_N%, continue, abort or abort_statement)",
		"sluice.json:8:81: pipes[4].on_error: skip_file_101%: N is the number (in percent "
		"of the file's records) of bad records at which a file is skipped, from 1 to 100, "
		"not 101",
		"sluice.json:9:81: pipes[5].on_error: expected a string, found a number",
	};
	assert_diags(&d, want, ARRAY_LEN(want));
	char text[32];
	const struct project_pipe *x = project_pipe(p, "n");
	ck_assert_int_eq(x->on_error, ON_ERROR_SKIP_FILE_N);
	ck_assert_int_eq(x->on_error_limit, 3);
	ck_assert_str_eq(pipe_on_error_text(x, text), "skip_file_3");
	x = project_pipe(p, "p");
	ck_assert_int_eq(x->on_error, ON_ERROR_SKIP_FILE_PERCENT);
	ck_assert_int_eq(x->on_error_limit, 10);
	ck_assert_str_eq(pipe_on_error_text(x, text), "skip_file_10%");
	x = project_pipe(p, "s");
	ck_assert_int_eq(x->on_error, ON_ERROR_ABORT_STATEMENT);
	ck_assert_str_eq(pipe_on_error_text(x, text), "abort_statement");
	ck_assert_int_eq(project_pipe(p, "z")->on_error, ON_ERROR_SKIP_FILE);
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

/* A key written again is reported where it is written again (not at the
 * first one), every time, inside objects of any size; the model keeps the
 * first.  The big object is what made the check quadratic. */
START_TEST(repeated_keys_are_reported_where_they_are_repeated)
{
	struct buf json = BUF_INIT;
	buf_puts(&json, "{\n"
		 "  \"project\": \"first\",\n"
		 "  \"connections\": { \"wh\": { \"url\": \"sqlite:a.db\" },\n"
		 "                   \"wh\": { \"url\": \"sqlite:b.db\" } },\n"
		 "  \"tables\": {\n");
	for (int i = 0; i < 3000; i++)
		buf_printf(&json, "    \"t%d\": { \"kind\": \"raw\" },\n", i);
	buf_puts(&json, "    \"t7\": { \"kind\": \"fact\" },\n"
		 "    \"t7\": { \"kind\": \"nonsense\" } },\n"
		 "  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
		 "    { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"SELECT 1\" },\n"
		 "    { \"name\": \"s\", \"kind\": \"sql\", \"connection\": \"wh\", \"sql\": \"SELECT 2\",\n"
		 "      \"needs\": [\"s\"] } ] } ],\n"
		 "  \"project\": \"second\"\n"
		 "}\n");
	char *dir = write_project(buf_str(&json), 0600);
	buf_free(&json);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	ck_assert_ptr_nonnull(p);
	static const char *const want[] = {
		"sluice.json:4:20: connections.wh: duplicate key \"wh\" (the first one is used)",
		"sluice.json:3006:5: tables.t7: duplicate key \"t7\" (the first one is used)",
		"sluice.json:3007:5: tables.t7: duplicate key \"t7\" (the first one is used)",
		"sluice.json:3010:15: flows[0].steps[1].name: another step of this flow is "
		"already named \"s\"",
		"sluice.json:3012:3: project: duplicate key \"project\" (the first one is used)",
	};
	assert_diags(&d, want, ARRAY_LEN(want));
	ck_assert_str_eq(p->name, "first");
	ck_assert_str_eq(project_connection(p, "wh")->url + strlen(project_connection(p, "wh")->url)
			 - strlen("a.db"), "a.db");
	ck_assert_uint_eq(p->ntables, 3000);
	ck_assert_int_eq(project_table(p, "t7")->kind, TABLE_RAW);
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

/* ---- step specs, for steps/ ----------------------------------------------------- */

START_TEST(spec_helpers_report_at_the_step_key)
{
	struct diags d;
	struct project *p = load_fixture("full", NULL, &d);
	const struct project_flow *f = project_flow(p, "orders_etl");
	const struct project_step *tell = project_step(f, "tell");
	const struct project_step *check = project_step(f, "check");
	ck_assert_str_eq(spec_string(p, tell, "channel", true, &d), "alerts");
	ck_assert_ptr_null(spec_string(p, tell, "absent", false, &d));
	ck_assert(spec_bool(p, tell, "absent", true, &d));
	ck_assert_int_eq(spec_int(p, tell, "absent", 7, &d), 7);
	struct vec v = VEC_INIT;
	spec_strings(p, project_step(f, "load"), "consumes", true, &v, &d);
	ck_assert_int_eq(v.len, 1);
	ck_assert_str_eq(v.items[0], "orders_stream");
	vec_free_all(&v, free);
	static const char *const known[] = { "channel", "message", NULL };
	spec_unknown_keys(p, tell, known, &d);
	ck_assert_int_eq(d.items.len, 0);

	const cJSON *checks = spec_at_array(p, check->spec, check->path_in_file, "checks",
					    true, &d);
	char *cp = spec_path_key(check->path_in_file, "checks");
	char *c0 = spec_path_index(cp, 0);
	ck_assert_str_eq(c0, "flows[2].steps[3].checks[0]");
	ck_assert_int_eq(spec_at_int(p, cJSON_GetArrayItem(checks, 0), c0, "min", 0, &d), 1);
	ck_assert_int_eq(d.items.len, 0);

	/* Now the mistakes steps/ would report. */
	spec_int(p, tell, "message", 0, &d);
	spec_string(p, tell, "url", true, &d);
	static const char *const only_channel[] = { "channel", NULL };
	spec_unknown_keys(p, tell, only_channel, &d);
	spec_at_string(p, cJSON_GetArrayItem(checks, 1), "x", "columns", false, &d);
	diags_sort(&d);
	/* A wrong type is shown at the value, an unknown key at the key, a
	 * missing key at the object, and a path not in the file at the top. */
	static const char *const want[] = {
		"sluice.json:1:1: x.columns: expected a string, found an array",
		"sluice.json:99:9: flows[2].steps[5]: missing required key \"url\"",
		"sluice.json:100:11: flows[2].steps[5].message: unknown key \"message\" "
		"(expected name, kind, needs, timeout, retries, cache, channel)",
		"sluice.json:100:22: flows[2].steps[5].message: expected an integer, found a "
		"string",
	};
	assert_diags(&d, want, ARRAY_LEN(want));
	free(cp);
	free(c0);
	project_free(p);
	diags_free(&d);
}
END_TEST

/* ---- secrets -------------------------------------------------------------------- */

static const char secret_project[] =
	"{\n"
	"  \"connections\": {\n"
	"    \"wh\": { \"url\": \"host=db dbname=wh passfile=/home/etl/.pgpass\" }\n"
	"  },\n"
	"  \"lake\": { \"url\": \"s3://acme-lake/x\", \"access_key_env\": \"AKIAIOSFODNN7EXAMPLE\" },\n"
	"  \"flows\": [ { \"name\": \"f\", \"steps\": [\n"
	"    { \"name\": \"get\", \"kind\": \"http\",\n"
	"      \"url\": \"https://hooks.slack.com/services/T0/B0/sEcReTwEbHoOk\", \"to\": \"x/\" },\n"
	"    { \"name\": \"say\", \"kind\": \"notify\", \"channel\": \"c\",\n"
	"      \"api_token\": \"tok-4242-sekrit\", \"message\": \"hi\" } ] } ],\n"
	"  \"notifications\": { \"c\": { \"slack_webhook_env\": \"HOOK\" } }\n"
	"}\n";

START_TEST(world_readable_secrets_draw_warnings_without_the_secret)
{
	char *dir = write_project(secret_project, 0644);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	ck_assert_int_eq(d.errors, 0);
	ck_assert_int_eq(d.warnings, 4);
	ck_assert(has_diag(&d, "sluice.json:3:20: warning: connections.wh.url: names a "
			   "password file, and sluice.json is readable by every user"));
	ck_assert(has_diag(&d, "sluice.json:5:58: warning: lake.access_key_env: holds what "
			   "looks like an AWS access key id"));
	ck_assert(has_diag(&d, "sluice.json:8:14: warning: flows[0].steps[0].url: holds a "
			   "Slack webhook URL"));
	ck_assert(has_diag(&d, "sluice.json:10:20: warning: flows[0].steps[1].api_token: "
			   "looks like a secret"));
	ck_assert(!has_diag(&d, "AKIAIOSFODNN7EXAMPLE"));
	ck_assert(!has_diag(&d, "sEcReTwEbHoOk"));
	ck_assert(!has_diag(&d, "tok-4242-sekrit"));
	ck_assert(!has_diag(&d, "/home/etl/.pgpass"));
	project_free(p);
	diags_free(&d);

	/* The same file, private to its owner: nothing to warn about. */
	char *file = path_join(dir, "sluice.json");
	chmod(file, 0600);
	free(file);
	p = load_in(dir, NULL, &d, &e);
	ck_assert_int_eq(d.items.len, 0);
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

START_TEST(passwords_in_urls_are_errors_that_hide_the_password)
{
	char *dir = write_project(
		"{ \"connections\": {\n"
		"  \"a\": { \"url\": \"postgresql://etl:pw-a-1234@db/x\" },\n"
		"  \"b\": { \"url\": \"host=db password='pw b 1234' dbname=x\" },\n"
		"  \"c\": { \"url\": \"postgres://db/x?sslmode=require&password=pw-c-1234\" },\n"
		"  \"d\": { \"url\": \"postgresql://etl@db/x\", \"password_env\": \"WH-PW\" }\n"
		"} }\n", 0600);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	ck_assert_int_eq(d.errors, 4);
	ck_assert(has_diag(&d, "sluice.json:2:17: connections.a.url: a password in the URL "
			   "is not allowed"));
	ck_assert(has_diag(&d, "sluice.json:3:17: connections.b.url: a password in the "
			   "connection string is not allowed"));
	ck_assert(has_diag(&d, "sluice.json:4:17: connections.c.url: a password in the "
			   "connection string is not allowed"));
	ck_assert(has_diag(&d, "connections.d.password_env: \"WH-PW\" is not an environment "
			   "variable name"));
	ck_assert(!has_diag(&d, "1234"));
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

/* ---- cron ------------------------------------------------------------------------- */

START_TEST(cron_fields_in_every_form)
{
	struct cron c;
	struct err e;
	ck_assert_int_eq(cron_parse("*/15 0-6,18 1,15 JAN-MAR,dec MON-FRI", &c, &e), 0);
	ck_assert(c.minutes == (UINT64_C(1) << 0 | UINT64_C(1) << 15 | UINT64_C(1) << 30 |
				UINT64_C(1) << 45));
	ck_assert_int_eq(c.hours, 0x7f | 1u << 18);
	ck_assert_int_eq(c.days, 1u << 1 | 1u << 15);
	ck_assert_int_eq(c.months, 1u << 1 | 1u << 2 | 1u << 3 | 1u << 12);
	ck_assert_int_eq(c.weekdays, 0x3e);
	ck_assert(!c.any_day && !c.any_weekday);

	ck_assert_int_eq(cron_parse("5/20 */6 1-10/3 * *", &c, &e), 0);
	ck_assert(c.minutes == (UINT64_C(1) << 5 | UINT64_C(1) << 25 | UINT64_C(1) << 45));
	ck_assert_int_eq(c.hours, 1u << 0 | 1u << 6 | 1u << 12 | 1u << 18);
	ck_assert_int_eq(c.days, 1u << 1 | 1u << 4 | 1u << 7 | 1u << 10);
	ck_assert(!c.any_day && c.any_weekday);

	/* Sunday is 0, 7 or SUN; as the end of a range too. */
	uint8_t sunday[3];
	const char *forms[] = { "0 0 * * 0", "0 0 * * 7", "0 0 * * sun" };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(cron_parse(forms[i], &c, &e), 0);
		sunday[i] = c.weekdays;
	}
	ck_assert_int_eq(sunday[0], 1);
	ck_assert_int_eq(sunday[1], 1);
	ck_assert_int_eq(sunday[2], 1);
	ck_assert_int_eq(cron_parse("0 0 * * 5-7", &c, &e), 0);
	ck_assert_int_eq(c.weekdays, 1 | 1 << 5 | 1 << 6);
	ck_assert_int_eq(cron_parse("0 0 * * SAT-SUN", &c, &e), 0);
	ck_assert_int_eq(c.weekdays, 1 | 1 << 6);
	ck_assert_int_eq(cron_parse("@weekly", &c, &e), 0);
	ck_assert_int_eq(c.weekdays, 1);
	ck_assert(c.minutes == 1 && c.hours == 1);

	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "60 * * * *", "minute field \"60\": 60 is out of range (0-59)" },
		{ "* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), "
			     "found 4" },
		{ "* * * * MON-", "day-of-week field \"MON-\": expected a number at the end" },
		{ "5-1 * * * *", "minute field \"5-1\": range 5-1 goes backwards" },
		{ "*/0 * * * *", "minute field \"*/0\": step 0 is out of range (1-59)" },
		{ "0 0 * FOO *", "month field \"FOO\": unknown name \"FOO\" (expected JAN..DEC)" },
		{ "0 0 0 * *", "day-of-month field \"0\": 0 is out of range (1-31)" },
		{ "0 0 1,,2 * *", "day-of-month field \"1,,2\": empty item in the list" },
		{ "0 0 30 2 *", "never fires: none of the chosen months has the chosen day of "
				"the month" },
		{ "@sometimes", "unknown schedule \"@sometimes\" (expected @yearly, @monthly, "
				"@weekly, @daily, @hourly or five cron fields)" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err_clear(&e);
		ck_assert_int_eq(cron_parse(bad[i].text, &c, &e), -1);
		ck_assert_int_eq(e.code, ERR_PARSE);
		ck_assert_str_eq(e.msg, bad[i].msg);
	}
	/* Both day fields restricted: either may match, so Feb 30 or a Monday fires. */
	ck_assert_int_eq(cron_parse("0 0 30 2 MON", &c, &e), 0);
}
END_TEST

static usec_t next_of(const char *text, const char *tz, const char *after)
{
	struct schedule s = { 0 };
	struct err e;
	ck_assert_msg(schedule_parse(text, &s, &e) == 0, "%s: %s", text, err_text(&e));
	s.timezone = tz ? xstrdup(tz) : NULL;
	usec_t t = schedule_next(&s, at(after));
	schedule_free(&s);
	return t;
}

START_TEST(cron_day_of_month_and_weekday_or_rule)
{
	/* 2024-09-01 is a Sunday.  "13 and Fridays": both restricted, so OR. */
	struct schedule s = { 0 };
	struct err e;
	ck_assert_int_eq(schedule_parse("0 0 13 * FRI", &s, &e), 0);
	static const char *const want[] = {
		"2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z",
		"2024-09-27T00:00:00Z", "2024-10-04T00:00:00Z", "2024-10-11T00:00:00Z",
		"2024-10-13T00:00:00Z", "2024-10-18T00:00:00Z",
	};
	usec_t t = at("2024-09-01T00:00:00Z");
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		t = schedule_next(&s, t);
		ck_assert_time(t, want[i]);
	}
	schedule_free(&s);
	/* A day field starting with "*" is unrestricted for the rule: AND. */
	ck_assert_time(next_of("0 0 */2 * FRI", NULL, "2024-09-01T00:00:00Z"),
		       "2024-09-13T00:00:00Z");
	ck_assert_time(next_of("0 0 */2 * FRI", NULL, "2024-09-13T00:00:00Z"),
		       "2024-09-27T00:00:00Z");
	ck_assert_time(next_of("0 0 * * FRI", NULL, "2024-09-01T00:00:00Z"),
		       "2024-09-06T00:00:00Z");
}
END_TEST

START_TEST(schedule_next_in_utc)
{
	ck_assert_time(next_of("*/5 * * * *", NULL, "2025-01-10T12:03:10Z"),
		       "2025-01-10T12:05:00Z");
	/* Strictly after: a tick exactly at `after` is not next. */
	ck_assert_time(next_of("*/5 * * * *", NULL, "2025-01-10T12:05:00Z"),
		       "2025-01-10T12:10:00Z");
	ck_assert_time(next_of("30 2 * * *", "UTC", "2025-01-10T02:30:00Z"),
		       "2025-01-11T02:30:00Z");
	ck_assert_time(next_of("0 0 31 * *", NULL, "2024-04-01T00:00:00Z"),
		       "2024-05-31T00:00:00Z");
	ck_assert_time(next_of("59 23 31 12 *", NULL, "2024-12-31T23:59:00Z"),
		       "2025-12-31T23:59:00Z");
	/* Leap day, skipping 2100 (not a leap year). */
	ck_assert_time(next_of("0 12 29 2 *", NULL, "2025-03-01T00:00:00Z"),
		       "2028-02-29T12:00:00Z");
	ck_assert_time(next_of("0 12 29 2 *", NULL, "2096-03-01T00:00:00Z"),
		       "2104-02-29T12:00:00Z");
	/* Intervals are multiples since the epoch. */
	ck_assert_time(next_of("every 5 minutes", NULL, "2025-01-10T12:03:10Z"),
		       "2025-01-10T12:05:00Z");
	usec_t t = next_of("every 7 minutes", NULL, "2025-01-10T12:03:10Z");
	ck_assert_int_eq(t % (7 * 60 * USEC_PER_SEC), 0);
	ck_assert(t > at("2025-01-10T12:03:10Z") &&
		  t <= at("2025-01-10T12:03:10Z") + 7 * 60 * USEC_PER_SEC);
	struct schedule none = { 0 };
	ck_assert_int_eq(schedule_next(&none, at("2025-01-10T00:00:00Z")), 0);
	/* Found by tests/fuzz (cron): an interval whose next multiple is past
	 * 64-bit microseconds has no next tick; it used to wrap into the past. */
	struct schedule late = { 0 };
	ck_assert_int_eq(schedule_parse("every 7777797777777777742us", &late, NULL), 0);
	usec_t first = schedule_next(&late, at("2025-01-10T00:00:00Z"));
	ck_assert(first > INT64_MAX / 2);
	ck_assert_int_eq(schedule_next(&late, first), 0);
	schedule_free(&late);
	ck_assert_int_eq(schedule_parse("0 0 1 1 *", &late, NULL), 0);
	ck_assert_int_eq(schedule_next(&late, INT64_MAX - 1), 0);
	schedule_free(&late);
	struct schedule s = { 0 };
	struct err e;
	ck_assert_int_eq(schedule_parse("every 0s", &s, &e), -1);
	ck_assert_str_eq(e.msg, "an interval must be at least 1s");
	ck_assert_int_eq(schedule_parse("5 minutess", &s, &e), -1);
	ck_assert_str_eq(e.msg, "\"5 minutess\" is neither an interval (\"every 5 minutes\") "
			 "nor a cron line (minute hour day-of-month month day-of-week)");
}
END_TEST

/* The wall clock an extract of naive local times may read up to: New
 * York's clocks go back from 02:00 EDT to 01:00 EST at 06:00 UTC on
 * 2026-11-01, so 01:00-02:00 happens twice; while its first pass is on,
 * the settled wall time stays just before 01:00. */
START_TEST(time_zone_wall_settled_before_a_repeated_hour)
{
	usec_t wall;
	ck_assert(tz_wall_settled("America/New_York", at("2026-07-01T12:00:00Z"), &wall));
	ck_assert_int_eq(wall, at("2026-07-01T08:00:00Z"));
	ck_assert(tz_wall_settled("America/New_York", at("2026-11-01T04:59:59Z"), &wall));
	ck_assert_int_eq(wall, at("2026-11-01T00:59:59Z"));
	ck_assert(tz_wall_settled("America/New_York", at("2026-11-01T05:00:00Z"), &wall));
	ck_assert_int_eq(wall, at("2026-11-01T01:00:00Z") - 1);
	ck_assert(tz_wall_settled("America/New_York", at("2026-11-01T05:59:59Z"), &wall));
	ck_assert_int_eq(wall, at("2026-11-01T01:00:00Z") - 1);
	/* the second pass: walls only go up from here */
	ck_assert(tz_wall_settled("America/New_York", at("2026-11-01T06:00:00Z"), &wall));
	ck_assert_int_eq(wall, at("2026-11-01T01:00:00Z"));
	ck_assert(tz_wall_settled("America/New_York", at("2026-11-01T06:30:00Z"), &wall));
	ck_assert_int_eq(wall, at("2026-11-01T01:30:00Z"));
	/* spring forward skips walls, repeats none */
	ck_assert(tz_wall_settled("America/New_York", at("2026-03-08T06:59:59Z"), &wall));
	ck_assert_int_eq(wall, at("2026-03-08T01:59:59Z"));
	ck_assert(tz_wall_settled("UTC", at("2026-11-01T05:30:00Z"), &wall));
	ck_assert_int_eq(wall, at("2026-11-01T05:30:00Z"));
	ck_assert(!tz_wall_settled("Mars/Olympus", 0, &wall));
}
END_TEST

START_TEST(time_zone_offsets_from_tzif)
{
	long off;
	ck_assert(tz_offset("Europe/London", at("2025-01-15T12:00:00Z"), &off));
	ck_assert_int_eq(off, 0);
	ck_assert(tz_offset("Europe/London", at("2025-07-15T12:00:00Z"), &off));
	ck_assert_int_eq(off, 3600);
	/* The change itself: 01:00 UTC on the last Sunday of March. */
	ck_assert(tz_offset("Europe/London", at("2025-03-30T00:59:59Z"), &off));
	ck_assert_int_eq(off, 0);
	ck_assert(tz_offset("Europe/London", at("2025-03-30T01:00:00Z"), &off));
	ck_assert_int_eq(off, 3600);
	ck_assert(tz_offset("Europe/London", at("2025-10-26T00:59:59Z"), &off));
	ck_assert_int_eq(off, 3600);
	ck_assert(tz_offset("Europe/London", at("2025-10-26T01:00:00Z"), &off));
	ck_assert_int_eq(off, 0);
	/* Past the table: the footer's POSIX rule. */
	ck_assert(tz_offset("Europe/London", at("2100-07-01T00:00:00Z"), &off));
	ck_assert_int_eq(off, 3600);
	ck_assert(tz_offset("Europe/London", at("2100-12-01T00:00:00Z"), &off));
	ck_assert_int_eq(off, 0);
	ck_assert(tz_offset("America/New_York", at("2090-03-12T06:59:59Z"), &off));
	ck_assert_int_eq(off, -5 * 3600);
	ck_assert(tz_offset("America/New_York", at("2090-03-12T07:00:00Z"), &off));
	ck_assert_int_eq(off, -4 * 3600);
	/* Southern hemisphere: summer time across the new year. */
	ck_assert(tz_offset("Australia/Sydney", at("2099-01-15T00:00:00Z"), &off));
	ck_assert_int_eq(off, 11 * 3600);
	ck_assert(tz_offset("Australia/Sydney", at("2099-07-15T00:00:00Z"), &off));
	ck_assert_int_eq(off, 10 * 3600);
	ck_assert(tz_offset("Asia/Kolkata", at("2025-07-15T00:00:00Z"), &off));
	ck_assert_int_eq(off, 19800);
	ck_assert(tz_offset("UTC", at("2025-07-15T00:00:00Z"), &off));
	ck_assert_int_eq(off, 0);
	ck_assert(tz_offset(NULL, at("2025-07-15T00:00:00Z"), &off));
	ck_assert_int_eq(off, 0);

	ck_assert(tz_valid("Europe/London"));
	ck_assert(!tz_valid("Europe/Londn"));
	ck_assert(!tz_valid("../../etc/passwd"));
	ck_assert(!tz_valid("/etc/localtime"));
	ck_assert(!tz_valid(""));
	ck_assert(!tz_valid("zone.tab"));
}
END_TEST

START_TEST(schedule_next_across_london_daylight_saving)
{
	const char *L = "Europe/London";
	/* Winter, then summer time: 02:30 on the wall either side of March 30. */
	ck_assert_time(next_of("30 2 * * *", L, "2025-03-28T12:00:00Z"), "2025-03-29T02:30:00Z");
	ck_assert_time(next_of("30 2 * * *", L, "2025-03-29T12:00:00Z"), "2025-03-30T01:30:00Z");
	/* 01:30 does not exist on March 30: it fires as the gap ends (02:00 BST). */
	ck_assert_time(next_of("30 1 * * *", L, "2025-03-29T12:00:00Z"), "2025-03-30T01:00:00Z");
	ck_assert_time(next_of("30 1 * * *", L, "2025-03-30T01:00:00Z"), "2025-03-31T00:30:00Z");
	/* A frequent job goes straight through the gap, once. */
	ck_assert_time(next_of("*/30 * * * *", L, "2025-03-30T00:45:00Z"), "2025-03-30T01:00:00Z");
	ck_assert_time(next_of("*/30 * * * *", L, "2025-03-30T01:00:00Z"), "2025-03-30T01:30:00Z");
	ck_assert_time(next_of("*/15 1 * * *", L, "2025-03-30T00:00:00Z"), "2025-03-30T01:00:00Z");
	ck_assert_time(next_of("*/15 1 * * *", L, "2025-03-30T01:00:00Z"), "2025-03-31T00:00:00Z");

	/* October 26: 01:00-02:00 happens twice.  A fixed-hour job fires once. */
	ck_assert_time(next_of("30 1 * * *", L, "2025-10-25T12:00:00Z"), "2025-10-26T00:30:00Z");
	ck_assert_time(next_of("30 1 * * *", L, "2025-10-26T00:30:00Z"), "2025-10-27T01:30:00Z");
	ck_assert_time(next_of("30 1 * * *", L, "2025-10-26T01:10:00Z"), "2025-10-27T01:30:00Z");
	/* An every-hour job keeps its pace through the repeated hour. */
	static const char *const pace[] = {
		"2025-10-26T00:30:00Z", "2025-10-26T01:00:00Z", "2025-10-26T01:30:00Z",
		"2025-10-26T02:00:00Z",
	};
	usec_t t = at("2025-10-26T00:00:00Z");
	struct schedule s = { 0 };
	struct err e;
	ck_assert_int_eq(schedule_parse("*/30 * * * *", &s, &e), 0);
	s.timezone = xstrdup(L);
	for (size_t i = 0; i < ARRAY_LEN(pace); i++) {
		t = schedule_next(&s, t);
		ck_assert_time(t, pace[i]);
	}
	schedule_free(&s);
	/* Summer: 02:30 BST is 01:30 UTC; winter again after. */
	ck_assert_time(next_of("30 2 * * *", L, "2025-10-25T12:00:00Z"), "2025-10-26T02:30:00Z");
	ck_assert_time(next_of("30 2 * * *", L, "2025-07-01T12:00:00Z"), "2025-07-02T01:30:00Z");
	/* Far beyond the zone file's table. */
	ck_assert_time(next_of("0 9 1 7 *", L, "2100-01-01T00:00:00Z"), "2100-07-01T08:00:00Z");
	ck_assert_int_eq(next_of("0 9 * * *", "No/Such_Zone", "2025-01-01T00:00:00Z"), 0);
}
END_TEST

static void *offsets_in_thread(void *arg)
{
	const char *zones[] = { "Europe/Paris", "America/Chicago", "Asia/Tokyo",
				"Europe/London" };
	const char *zone = zones[(size_t)arg % 4];
	long sum = 0, off;
	for (int i = 0; i < 2000; i++)
		if (tz_offset(zone, (usec_t)i * 86400 * USEC_PER_SEC * 20, &off))
			sum += 1;
	return (void *)sum;
}

START_TEST(time_zones_load_safely_from_many_threads)
{
	pthread_t th[8];
	for (size_t i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, offsets_in_thread, (void *)i);
	for (size_t i = 0; i < 8; i++) {
		void *r;
		pthread_join(th[i], &r);
		ck_assert_int_eq((long)r, 2000);
	}
}
END_TEST

/* ---- conditions ---------------------------------------------------------------- */

START_TEST(cond_parse_errors_have_positions)
{
	static const struct {
		const char *text;
		size_t pos;
		const char *where, *msg;
	} bad[] = {
		{ "stream_rows(orders_stream) >> 0", 28, "column 29",
		  "expected a number, a function call or \"(\", found \">\"" },
		{ "stream_rows(orders_stream", 25, "column 26",
		  "expected \")\" after the stream name, found the end" },
		{ "", 0, "column 1", "the condition is empty" },
		{ "(stream_has_data(s) or 1", 0, "column 1", "this \"(\" is never closed" },
		{ "stream_rows(s) = 5", 15, "column 16",
		  "\"=\" is not an operator; use \"==\" to compare" },
		{ "stream_row(s) > 0", 0, "column 1",
		  "unknown function \"stream_row\" (did you mean \"stream_rows\"?)" },
		{ "count(s) > 0", 0, "column 1",
		  "unknown function \"count\" (expected stream_has_data or stream_rows)" },
		{ "1 < 2 < 3", 6, "column 7", "comparisons do not chain; join them with \"and\"" },
		{ "stream_has_data(a) && stream_has_data(b)", 19, "column 20",
		  "unexpected \"&&\" after the condition; use \"and\"" },
		{ "orders > 5", 0, "column 1",
		  "\"orders\" is not a number or a function call (stream_has_data(STREAM), "
		  "stream_rows(STREAM))" },
		{ "stream_rows() > 1", 12, "column 13", "expected a stream name, found \")\"" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct err e;
		size_t pos = 999;
		ck_assert_ptr_null(cond_parse(bad[i].text, &pos, &e));
		ck_assert_int_eq(e.code, ERR_PARSE);
		ck_assert_msg(pos == bad[i].pos, "%s: pos %zu", bad[i].text, pos);
		ck_assert_str_eq(e.where, bad[i].where);
		ck_assert_str_eq(e.msg, bad[i].msg);
	}
}
END_TEST

struct fake_streams {
	int calls;
	bool fail;
};

static int fake_call(const char *func, const char *arg, double *out, void *ctx,
		     struct err *e)
{
	struct fake_streams *fs = ctx;
	fs->calls++;
	if (fs->fail)
		return err_set(e, ERR_DB, "stream %s: no such table", arg);
	double rows = strcmp(arg, "big") == 0 ? 600 : 0;
	*out = strcmp(func, "stream_rows") == 0 ? rows : rows > 0;
	return 0;
}

static double eval_text(const char *text, struct fake_streams *fs)
{
	struct err e;
	struct cond *c = cond_parse(text, NULL, &e);
	ck_assert_msg(c != NULL, "%s: %s", text, err_text(&e));
	double v = -1;
	ck_assert_int_eq(cond_eval(c, fake_call, fs, &v, &e), 0);
	cond_free(c);
	return v;
}

START_TEST(cond_evaluates_and_stops_early)
{
	struct fake_streams fs = { 0, false };
	ck_assert(eval_text("stream_rows(big) > 500", &fs) == 1);
	ck_assert(eval_text("stream_rows(empty) > 500", &fs) == 0);
	ck_assert(eval_text("stream_has_data(big) and not stream_has_data(empty)", &fs) == 1);
	ck_assert(eval_text("(stream_rows(big) >= 600) == 1", &fs) == 1);
	ck_assert(eval_text("stream_rows(big) != 600 or 2.5 <= 2", &fs) == 0);
	fs.calls = 0;
	ck_assert(eval_text("stream_has_data(big) or stream_has_data(other)", &fs) == 1);
	ck_assert_int_eq(fs.calls, 1);
	fs.calls = 0;
	ck_assert(eval_text("stream_has_data(empty) and stream_rows(other) > 1", &fs) == 0);
	ck_assert_int_eq(fs.calls, 1);

	fs.fail = true;
	struct err e;
	struct cond *c = cond_parse("stream_rows(gone) > 0", NULL, &e);
	double v;
	ck_assert_int_eq(cond_eval(c, fake_call, &fs, &v, &e), -1);
	ck_assert_str_eq(e.msg, "stream gone: no such table");
	cond_free(c);
}
END_TEST

START_TEST(when_errors_point_into_the_string)
{
	char *dir = write_project(
		"{ \"streams\": [ { \"name\": \"orders\", \"connection\": \"w\", \"table\": \"t\" } ],\n"
		"  \"connections\": { \"w\": { \"url\": \"sqlite:w.db\" } },\n"
		"  \"flows\": [ { \"name\": \"f\", \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\" } ] } ],\n"
		"  \"tasks\": [ { \"name\": \"t\", \"schedule\": \"every 1m\", \"flow\": \"f\",\n"
		"    \"when\": \"stream_rows(orders) > 0 or stream_has_data(orderz)\" } ] }\n", 0600);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	static const char *const want[] = {
		"sluice.json:5:57: tasks[0].when: stream_has_data: unknown stream \"orderz\" "
		"(did you mean \"orders\"?)",
	};
	assert_diags(&d, want, 1);
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

/* Schedules (issue 15): each mistake in late_after, catchup or tick_param
 * is reported where it is; nothing is guessed. */
START_TEST(late_after_catchup_and_tick_param_are_checked)
{
	char *dir = write_project(
		"{ \"connections\": { \"w\": { \"url\": \"sqlite:w.db\" } },\n"
		"  \"flows\": [ { \"name\": \"f\", \"late_after\": \"0s\",\n"
		"    \"params\": { \"day\": { \"type\": \"date\" }, \"n\": { \"type\": \"int\" } },\n"
		"    \"steps\": [ { \"name\": \"s\", \"kind\": \"sql\" } ] } ],\n"
		"  \"tasks\": [ { \"name\": \"a\", \"schedule\": \"every 1m\", \"flow\": \"f\",\n"
		"    \"catchup\": \"sometimes\", \"tick_param\": \"dya\", \"params\": { \"n\": 1 } },\n"
		"    { \"name\": \"b\", \"schedule\": \"every 1m\", \"flow\": \"f\",\n"
		"      \"tick_param\": \"n\", \"params\": { \"day\": \"2026-01-01\" } },\n"
		"    { \"name\": \"c\", \"schedule\": \"every 1m\", \"flow\": \"f\",\n"
		"      \"tick_param\": \"day\", \"params\": { \"day\": \"2026-01-01\", \"n\": 2 } } ] }\n",
		0600);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	static const char *const want[] = {
		"sluice.json:2:43: flows[0].late_after: late_after must be more than 0",
		"sluice.json:6:16: tasks[0].catchup: unknown catchup \"sometimes\" (expected latest, "
		"none, all)",
		"sluice.json:6:43: tasks[0].tick_param: unknown parameter \"dya\" (did you mean \"day\"?)",
		"sluice.json:6:60: tasks[0].params: missing required parameter \"day\" of flow \"f\" "
		"(it has no default)",
		"sluice.json:8:21: tasks[1].tick_param: tick_param \"n\" is a parameter of type int; "
		"the tick's time goes into a date, timestamp or text parameter",
		"sluice.json:10:47: tasks[2].params.day: \"day\" is the task's tick_param: each run's "
		"tick time is its value",
	};
	assert_diags(&d, want, ARRAY_LEN(want));
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

/* ---- parameters ------------------------------------------------------------------- */

START_TEST(param_check_names_the_parameter)
{
	static const struct {
		enum param_type type;
		const char *value;
		const char *msg;   /* NULL: valid */
	} cases[] = {
		{ PARAM_INT, "42", NULL }, { PARAM_INT, "-7", NULL },
		{ PARAM_INT, "4.2", "parameter \"p\": \"4.2\" is not an integer (expected a "
				    "whole number such as 42 or -7)" },
		{ PARAM_INT, " 4", "parameter \"p\": \" 4\" is not an integer (expected a "
				   "whole number such as 42 or -7)" },
		{ PARAM_INT, "99999999999999999999", "parameter \"p\": \"99999999999999999999\" "
						     "is not an integer (out of the 64-bit range)" },
		{ PARAM_NUMERIC, "12.50", NULL }, { PARAM_NUMERIC, "-1e3", NULL },
		{ PARAM_NUMERIC, ".5", NULL },
		{ PARAM_NUMERIC, "1.2.3", "parameter \"p\": \"1.2.3\" is not a number "
					  "(expected a number such as 12.50)" },
		{ PARAM_NUMERIC, "nan", "parameter \"p\": \"nan\" is not a number (expected "
					"a number such as 12.50)" },
		{ PARAM_BOOL, "true", NULL }, { PARAM_BOOL, "false", NULL },
		{ PARAM_BOOL, "yes", "parameter \"p\": \"yes\" is not a boolean (expected "
				     "true or false)" },
		{ PARAM_DATE, "2024-02-29", NULL },
		{ PARAM_DATE, "2023-02-29", "parameter \"p\": \"2023-02-29\" is not a date "
					    "(expected a day as YYYY-MM-DD)" },
		{ PARAM_DATE, "2024-1-05", "parameter \"p\": \"2024-1-05\" is not a date "
					   "(expected a day as YYYY-MM-DD)" },
		{ PARAM_TIMESTAMP, "2024-03-01", NULL },
		{ PARAM_TIMESTAMP, "2024-03-01T10:20:30.5+01:00", NULL },
		{ PARAM_TIMESTAMP, "2024-03-01 10:20Z", NULL },
		{ PARAM_TIMESTAMP, "2024-13-01T00:00", "parameter \"p\": \"2024-13-01T00:00\" "
			"is not a timestamp (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], "
			"optionally with Z or +HH:MM)" },
		{ PARAM_TIMESTAMP, "2024-04-31T00:00", "parameter \"p\": \"2024-04-31T00:00\" "
			"is not a timestamp (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], "
			"optionally with Z or +HH:MM)" },
		{ PARAM_TEXT, "anything at all", NULL },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct project_param prm = { .name = "p", .type = cases[i].type };
		struct err e;
		err_clear(&e);
		int rc = param_check(&prm, cases[i].value, &e);
		if (!cases[i].msg) {
			ck_assert_msg(rc == 0, "%s: %s", cases[i].value, err_text(&e));
		} else {
			ck_assert_int_eq(rc, -1);
			ck_assert_int_eq(e.code, ERR_INVALID);
			ck_assert_str_eq(e.msg, cases[i].msg);
		}
	}
	struct project_param prm = { .name = "p", .type = PARAM_INT };
	ck_assert_int_eq(param_check(&prm, NULL, NULL), 0);
}
END_TEST

START_TEST(names_of_enumerations)
{
	enum step_kind k;
	ck_assert(step_kind_parse("normalize", &k));
	ck_assert_int_eq(k, STEP_NORMALIZE);
	ck_assert(!step_kind_parse("lod", &k));
	ck_assert_str_eq(step_kind_name(STEP_NOTIFY), "notify");
	ck_assert_str_eq(step_kind_name(STEP_KIND_COUNT), "?");
	ck_assert_str_eq(param_type_name(PARAM_TIMESTAMP), "timestamp");
	ck_assert_str_eq(table_kind_name(TABLE_BACKFILL), "backfill");
	ck_assert_str_eq(pipe_format_name(FORMAT_CSV), "csv");
	ck_assert_str_eq(on_error_name(ON_ERROR_CONTINUE), "continue");
	ck_assert_str_eq(stream_mode_name(STREAM_DEFAULT), "default");
	ck_assert_str_eq(connection_kind_name(CONN_POSTGRES), "postgres");
	ck_assert_str_eq(notify_event_name(NOTIFY_PIPE_FILE_FAILED), "pipe_file_failed");
}
END_TEST

/* Channels of three kinds and routing rules: what goes where, and every
 * mistake reported where it is. */
START_TEST(routing_rules_pick_channels_and_mistakes_are_placed)
{
	char *dir = write_project(
		"{ \"notifications\": {\n"
		"    \"mail\": { \"smtp_url\": \"smtp://mx:25\", \"from\": \"s@x\", \"to\": [\"o@x\"] },\n"
		"    \"chat\": { \"slack_webhook_env\": \"SLACK\" },\n"
		"    \"hook\": { \"webhook_url_env\": \"HOOK\", \"secret_env\": \"KEY\" } },\n"
		"  \"routing\": { \"window\": \"5m\", \"rules\": [\n"
		"    { \"events\": [\"pipe_file_failed\"], \"pipes\": [\"ord*\"], \"channels\": [\"mail\"] },\n"
		"    { \"flows\": [\"nightly_*\"], \"min_severity\": \"error\", \"channels\": [\"chat\", \"hook\"] } ] } }\n",
		0600);
	struct diags d;
	struct err e;
	struct project *p = load_in(dir, NULL, &d, &e);
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(d.items.len == 0, "%s", all_diags(&d));
	ck_assert_int_eq(project_channel(p, "mail")->kind, CHANNEL_EMAIL);
	ck_assert_int_eq(project_channel(p, "hook")->kind, CHANNEL_WEBHOOK);
	ck_assert_str_eq(project_channel(p, "hook")->secret_env, "KEY");
	ck_assert_int_eq(p->notify_window, 5 * 60 * USEC_PER_SEC);
	/* mail = bit 0, chat = 1, hook = 2 */
	ck_assert_int_eq(project_route(p, NOTIFY_PIPE_FILE_FAILED, "pipe:orders"), 1);
	ck_assert_int_eq(project_route(p, NOTIFY_PIPE_FILE_FAILED, "pipe:refunds"), 0);
	ck_assert_int_eq(project_route(p, NOTIFY_RUN_FAILED, "flow:nightly_sales"), 6);
	ck_assert_int_eq(project_route(p, NOTIFY_RUN_FAILED, "flow:hourly"), 0);
	/* backfill_waiting is info: under the rule's min_severity */
	ck_assert_int_eq(project_route(p, NOTIFY_BACKFILL_WAITING, "flow:nightly_sales"), 0);
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);

	dir = write_project(
		"{ \"notifications\": {\n"
		"    \"mail\": { \"smtp_url\": \"smtp://u:pw@mx:25\", \"from\": \"s@x\" },\n"
		"    \"both\": { \"slack_webhook_env\": \"A\", \"webhook_url_env\": \"B\" } },\n"
		"  \"routing\": { \"rules\": [\n"
		"    { \"events\": [\"run_faild\"], \"min_severity\": \"loud\", \"channels\": [\"mial\"] } ] } }\n",
		0600);
	p = load_in(dir, NULL, &d, &e);
	ck_assert_ptr_nonnull(p);
	const char *const want[] = {
		"sluice.json:2:13: notifications.mail.to: an email channel needs at least one "
		"address in \"to\"",
		"sluice.json:2:27: notifications.mail.smtp_url: the URL holds credentials; name "
		"the variables that hold them with username_env and password_env",
		"sluice.json:3:5: notifications.both: a channel needs exactly one of "
		"slack_webhook_env (Slack), webhook_url_env (webhook), smtp_url or smtp_url_env "
		"(email)",
		"sluice.json:5:18: routing.rules[0].events[0]: unknown event \"run_faild\" "
		"(expected run_failed, task_suspended, backfill_waiting, pipe_file_failed, "
		"run_crashed, worker_lost, late_run)",
		"sluice.json:5:48: routing.rules[0].min_severity: unknown min_severity \"loud\" "
		"(expected info, warning, error)",
		"sluice.json:5:69: routing.rules[0].channels[0]: unknown notification channel "
		"\"mial\" (did you mean \"mail\"?)",
	};
	assert_diags(&d, want, ARRAY_LEN(want));
	project_free(p);
	diags_free(&d);
	test_rmdir(dir);
}
END_TEST

static Suite *project_suite(void)
{
	Suite *s = suite_create("project");
	TCase *tc = tcase_create("load");
	tcase_add_test(tc, full_project_loads_without_problems);
	tcase_add_test(tc, environment_overrides_merge_per_key);
	tcase_add_test(tc, unknown_environment_lists_the_known_ones);
	tcase_add_test(tc, five_mistakes_are_all_reported_in_file_order);
	tcase_add_test(tc, references_graphs_and_files_are_checked);
	tcase_add_test(tc, routing_rules_pick_channels_and_mistakes_are_placed);
	tcase_add_test(tc, json_syntax_errors_point_at_the_mistake);
	tcase_add_test(tc, json_strictness_is_precise);
	tcase_add_test(tc, unreadable_file_is_an_io_error);
	tcase_add_test(tc, wrong_types_and_unknown_keys_everywhere);
	tcase_add_test(tc, pipes_streams_and_tables_agree);
	tcase_add_test(tc, pipe_copy_options_checked);
	tcase_add_test(tc, pipe_on_error_forms);
	tcase_add_test(tc, partitions_are_checked_and_stepped);
	tcase_add_test(tc, repeated_keys_are_reported_where_they_are_repeated);
	tcase_add_test(tc, spec_helpers_report_at_the_step_key);
	tcase_add_test(tc, world_readable_secrets_draw_warnings_without_the_secret);
	tcase_add_test(tc, passwords_in_urls_are_errors_that_hide_the_password);
	tcase_add_test(tc, when_errors_point_into_the_string);
	tcase_add_test(tc, late_after_catchup_and_tick_param_are_checked);
	suite_add_tcase(s, tc);

	TCase *sched = tcase_create("schedules");
	tcase_add_test(sched, cron_fields_in_every_form);
	tcase_add_test(sched, cron_day_of_month_and_weekday_or_rule);
	tcase_add_test(sched, schedule_next_in_utc);
	tcase_add_test(sched, time_zone_offsets_from_tzif);
	tcase_add_test(sched, time_zone_wall_settled_before_a_repeated_hour);
	tcase_add_test(sched, schedule_next_across_london_daylight_saving);
	tcase_add_test(sched, time_zones_load_safely_from_many_threads);
	suite_add_tcase(s, sched);

	TCase *misc = tcase_create("conditions and parameters");
	tcase_add_test(misc, cond_parse_errors_have_positions);
	tcase_add_test(misc, cond_evaluates_and_stops_early);
	tcase_add_test(misc, param_check_names_the_parameter);
	tcase_add_test(misc, names_of_enumerations);
	suite_add_tcase(s, misc);
	return s;
}

TEST_MAIN(project_suite)
