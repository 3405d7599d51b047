/*
 * fixture.c - real data for the console's tests and benchmark, written
 * through the store's own API (and db.h for the warehouse and for bulk).
 *
 *   mkfixture fill DIR             the store of the project in DIR: runs in
 *                                  every state with steps, transitions and a
 *                                  validation, task history, object states,
 *                                  load history, a stream mirror, a worker,
 *                                  logs, backfills; and DIR/data/warehouse.db
 *                                  with dim_staff (250 rows) and raw_orders
 *   mkfixture logs DIR N RATE      append N log records at RATE a second
 *                                  (RATE 0: as fast as possible)
 *   mkfixture bulk DIR RUNS LOGS   RUNS finished runs and LOGS log records in
 *                                  big transactions (the benchmark's store)
 *   mkfixture checksum DIR         a digest of every row of the control store
 *                                  and of the warehouse (read-only tests)
 *
 * Times are set relative to now (the store reads the replaceable clock),
 * so the console shows "3m ago"; ids and names are fixed, so screens can be
 * compared.  This builds data; it does not imitate anything.
 */
#include "core/core.h"
#include "db/db.h"
#include "project/project.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static usec_t fake_now;
static usec_t fake_clock(void) { return fake_now; }
#define MIN (60 * USEC_PER_SEC)

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "mkfixture: %s: %s\n", what, e ? err_text(e) : "failed");
	exit(1);
}

static struct err err_;
#define CHECK(call) do { if ((call) < 0) die(#call, &err_); } while (0)

static struct project *load(const char *dir)
{
	char *file = path_join(dir, "sluice.json");
	struct diags d;
	diags_init(&d);
	struct project *p = project_load(file, NULL, &d, &err_);
	if (!p || d.errors)
		die("loading the project", &err_);
	diags_free(&d);
	free(file);
	return p;
}

static struct store *open_store(const struct project *p)
{
	struct store_options opt = { 0 };
	struct store *s = store_open(p->control_url, &opt, &err_);
	if (!s)
		die("opening the store", &err_);
	return s;
}

/* ---- runs ------------------------------------------------------------------- */

struct run_plan {
	const char *flow;
	enum run_trigger trigger;
	const char *detail;
	int ago_min;                 /* created this many minutes ago */
	int took_s;                  /* seconds it ran (0: still running) */
	enum run_state end;
	int64_t rows;
	const char *error;
};

static void step(struct store *s, int64_t run, const char *name, enum step_state st,
		 usec_t start, usec_t end, int64_t rows, const char *error)
{
	struct store_step sp = {
		.run_id = run, .step = (char *)name, .state = st, .attempt = 1,
		.started = start, .ended = end, .rows_in = rows, .rows_out = rows,
		.error = (char *)error,
	};
	CHECK(store_step_put(s, &sp, &err_));
}

static int64_t make_run(struct store *s, usec_t now, const struct run_plan *rp)
{
	usec_t created = now - rp->ago_min * MIN;
	fake_now = created;
	struct store_run_spec spec = {
		.flow = rp->flow, .state = RUN_PENDING, .trigger = rp->trigger,
		.trigger_detail = rp->detail, .max_attempts = 2, .reason = "submitted",
		.params = str_eq(rp->flow, "totesys_warehouse")
			? "{\"full\":\"false\",\"since\":\"2020-01-01\",\"label\":\"fixture\"}"
			: "{\"batch\":\"500\"}",
	};
	int64_t id;
	CHECK(store_run_create(s, &spec, &id, &err_));
	if (rp->end == RUN_PENDING)
		return id;
	if (rp->end == RUN_CANCELLED && rp->took_s == 0) {
		CHECK(store_run_transition(s, id, RUN_CANCELLED, "cancelled by alice@ops", NULL, &err_));
		return id;
	}
	fake_now = created + 2 * USEC_PER_SEC;
	struct store_run *claimed = NULL;
	CHECK(store_run_claim_id(s, id, "fixture-host:1:1", &claimed, &err_));
	store_run_free(claimed);
	usec_t start = fake_now;
	const char *first = str_eq(rp->flow, "orders_etl") ? "stage" : "dims";
	usec_t end = rp->took_s ? start + rp->took_s * USEC_PER_SEC : 0;
	if (str_eq(rp->flow, "orders_etl")) {
		step(s, id, "stage", STEP_COMPLETED, start, start + (end ? (end - start) / 3 : 5 * USEC_PER_SEC),
		     rp->rows, NULL);
		step(s, id, "publish", end ? (rp->end == RUN_COMPLETED ? STEP_COMPLETED
					      : rp->end == RUN_CANCELLED ? STEP_CANCELLED
					      : STEP_FAILED) : STEP_RUNNING,
		     start + 5 * USEC_PER_SEC, end, end ? rp->rows : 0,
		     rp->end == RUN_FAILED ? rp->error : NULL);
	} else {
		step(s, id, first, rp->end == RUN_COMPLETED ? STEP_COMPLETED : STEP_FAILED,
		     start, end, rp->rows, rp->error);
	}
	if (!end) {
		CHECK(store_run_set_rows(s, id, rp->rows, rp->rows / 2, &err_));
		return id;
	}
	fake_now = end;
	CHECK(store_run_set_rows(s, id, rp->rows, rp->rows, &err_));
	const char *reason = rp->end == RUN_COMPLETED ? "every step completed"
			     : rp->end == RUN_CANCELLED ? "cancelled by alice@ops"
			     : "step failed";
	if (rp->end == RUN_CANCELLED)
		CHECK(store_run_transition(s, id, RUN_CANCELLING, "cancel requested by alice@ops",
					   NULL, &err_));
	CHECK(store_run_transition(s, id, rp->end, reason, rp->error, &err_));
	return id;
}

static const struct run_plan runs[] = {
	{ "orders_etl", TRIGGER_TASK, "hourly", 180, 42, RUN_COMPLETED, 1200, NULL },
	{ "orders_etl", TRIGGER_TASK, "on_orders", 29, 20, RUN_COMPLETED, 100, NULL },
	{ "orders_etl", TRIGGER_TASK, "on_orders", 26, 20, RUN_COMPLETED, 200, NULL },
	{ "orders_etl", TRIGGER_TASK, "on_orders", 23, 20, RUN_COMPLETED, 300, NULL },
	{ "orders_etl", TRIGGER_TASK, "on_orders", 20, 20, RUN_COMPLETED, 400, NULL },
	{ "orders_etl", TRIGGER_TASK, "on_orders", 17, 20, RUN_COMPLETED, 500, NULL },
	{ "totesys_warehouse", TRIGGER_MANUAL, NULL, 15, 8, RUN_FAILED, 0,
	  "dims: no such table: stg_staff\nSQL: SELECT * FROM stg_staff\nat line 1, column 15" },
	{ "orders_etl", TRIGGER_TASK, "on_orders", 14, 20, RUN_COMPLETED, 600, NULL },
	{ "orders_etl", TRIGGER_TASK, "on_orders", 11, 20, RUN_COMPLETED, 700, NULL },
	{ "orders_etl", TRIGGER_MANUAL, NULL, 10, 30, RUN_CANCELLED, 50, NULL },
	{ "orders_etl", TRIGGER_TASK, "on_orders", 8, 20, RUN_COMPLETED, 800, NULL },
	{ "orders_etl", TRIGGER_TASK, "on_orders", 5, 20, RUN_COMPLETED, 900, NULL },
	{ "orders_etl", TRIGGER_COMMAND_LINE, NULL, 2, 0, RUN_RUNNING, 321, NULL },
	{ "totesys_warehouse", TRIGGER_MANUAL, NULL, 1, 0, RUN_PENDING, 0, NULL },
};

/* ---- the rest ------------------------------------------------------------------ */

static void tasks(struct store *s, usec_t now)
{
	for (int i = 0; i < 3; i++) {
		fake_now = now - (180 - 60 * i) * MIN;
		struct store_task_entry te = {
			.task = "hourly", .scheduled = fake_now, .started = fake_now,
			.completed = fake_now + 42 * USEC_PER_SEC, .state = TASK_SUCCEEDED,
			.run_id = i == 0 ? 1 : 0,
		};
		CHECK(store_task_add(s, &te, NULL, &err_));
	}
	fake_now = now - 15 * MIN;
	struct store_task_entry nf = {
		.task = "nightly", .scheduled = fake_now, .started = fake_now,
		.completed = fake_now + 8 * USEC_PER_SEC, .state = TASK_FAILED,
		.error = "run 7 failed: dims: no such table: stg_staff", .run_id = 7,
	};
	CHECK(store_task_add(s, &nf, NULL, &err_));
	fake_now = now - 4 * MIN;
	struct store_task_entry sk = {
		.task = "on_orders", .scheduled = fake_now, .completed = fake_now,
		.state = TASK_SKIPPED,
		.condition = "stream_rows(orders_stream) = 12 > 100: false",
	};
	CHECK(store_task_add(s, &sk, NULL, &err_));
	fake_now = now - 3 * MIN;
	CHECK(store_object_set(s, "task:on_orders", "SUSPENDED", "noisy while we look",
			       "alice@ops", &err_));
	CHECK(store_object_set(s, "pipe:returns_pipe", "PAUSED", "supplier sends bad csv",
			       "bob@ops", &err_));
}

static void loads(struct store *s, usec_t now)
{
	static const struct { int ago; const char *key; enum load_status st; int64_t rows;
			      const char *err; } l[] = {
		{ 25, "orders/2026/11/21/120501000000.json", LOAD_LOADED, 10, NULL },
		{ 12, "orders/2026/11/21/121801000000.json", LOAD_LOADED, 20, NULL },
		{ 8, "orders/2026/11/21/122201000000.json", LOAD_FAILED, 0,
		  "unexpected end of JSON input" },
		{ 5, "orders/2026/11/21/122501000000.json", LOAD_LOADED, 30, NULL },
	};
	for (size_t i = 0; i < ARRAY_LEN(l); i++) {
		fake_now = now - l[i].ago * MIN;
		struct store_load ld = {
			.pipe = "orders_pipe", .file_key = (char *)l[i].key, .size = 2048,
			.checksum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			.rows_parsed = l[i].rows + (l[i].err ? 2 : 0), .rows_loaded = l[i].rows,
			.error_count = l[i].err ? 1 : 0, .first_error = (char *)l[i].err,
			.first_error_line = l[i].err ? 3 : 0, .first_error_column = l[i].err ? 17 : 0,
			.status = l[i].st, .loaded = fake_now,
		};
		CHECK(store_load_add(s, &ld, NULL, &err_));
	}
	fake_now = now - 1 * MIN;
	CHECK(store_stream_mirror(s, "orders_stream", "60", 12, &err_));
}

static void logs(struct store *s, usec_t now)
{
	static const char *const msgs[] = {
		"claimed run", "step stage started", "step stage committed 120 rows",
		"step publish started", "file loaded", "condition false: skipped",
		"retrying in 10s", "heartbeat",
	};
	for (int i = 0; i < 60; i++) {
		fake_now = now - (60 - i) * 30 * USEC_PER_SEC;
		struct log_field f[] = { { "rows", "120" }, { "file", "orders/x.json" } };
		struct log_record rec = {
			.time = fake_now,
			.level = i % 15 == 14 ? LOG_ERROR : i % 7 == 6 ? LOG_WARN
				 : i % 3 == 0 ? LOG_DEBUG : LOG_INFO,
			.run_id = i % 4 == 0 ? 0 : 1 + i % 14,
			.step = i % 4 == 1 ? "stage" : NULL,
			.object = i % 5 == 0 ? "pipe:orders_pipe" : i % 5 == 1 ? "task:hourly" : NULL,
			.message = msgs[i % ARRAY_LEN(msgs)],
			.fields = i % 2 ? f : NULL, .nfields = i % 2 ? 2 : 0,
		};
		char *msg = xasprintf("%s (%d)", rec.message, i + 1);
		rec.message = msg;
		CHECK(store_log_append(s, &rec, NULL, &err_));
		free(msg);
	}
	fake_now = now - 20 * USEC_PER_SEC;
	struct log_record needle = { .time = fake_now, .level = LOG_ERROR, .run_id = 7,
				     .step = "dims", .message = "no such table: stg_staff" };
	CHECK(store_log_append(s, &needle, NULL, &err_));
}

static const char compare_json[] =
	"{\"tables\":[{\"table\":\"dim_staff\",\"backfill_table\":\"dim_staff_backfill\","
	"\"key\":[\"staff_id\"],\"rows_current\":250,\"rows_backfill\":252,"
	"\"only_current\":1,\"only_backfill\":3,\"changed\":12,\"unchanged\":237,"
	"\"score\":0.062,\"identical\":false,\"connection\":\"warehouse\","
	"\"columns\":[{\"name\":\"email_address\",\"key\":false,\"changed\":10,"
	"\"status\":\"same\"},{\"name\":\"department\",\"key\":false,\"changed\":2,"
	"\"status\":\"same\"},{\"name\":\"first_name\",\"key\":false,\"changed\":0,"
	"\"status\":\"same\"},{\"name\":\"customer_billing_address_line_1\",\"key\":false,"
	"\"changed\":1,\"status\":\"same\"},{\"name\":\"customer_billing_address_line_2\","
	"\"key\":false,\"changed\":0,\"status\":\"same\"}],"
	"\"samples\":{\"only_current\":[],\"only_backfill\":[],\"changed\":[{"
	"\"key\":{\"staff_id\":\"7\"},\"changed\":[\"email_address\"],"
	"\"current\":{\"staff_id\":\"7\",\"email_address\":\"Jeremie.Franey@terrifictotes.com\","
	"\"department\":\"Purchasing\"},"
	"\"backfill\":{\"staff_id\":\"7\",\"email_address\":\"jeremie.franey@terrifictotes.com\","
	"\"department\":\"Purchasing\"}}]}}],\"score\":0.062,\"identical\":false}";

static void backfills(struct store *s, usec_t now)
{
	int64_t old, id;
	fake_now = now - 3 * 24 * 60 * MIN;
	CHECK(store_backfill_create(s, "orders_etl", "plan", "{\"tables\":[\"raw_orders\"]}",
				    "bob@ops", &old, &err_));
	CHECK(store_backfill_update(s, old, &(struct store_backfill_move){
			.step = "plan", .state = BACKFILL_DISCARDED, .by = "bob@ops",
			.note = "not needed after all" },
		&err_));
	static const char *const steps[] = { "plan", "suspend", "rebuild", "validate", "compare" };
	fake_now = now - 50 * MIN;
	CHECK(store_backfill_create(s, "totesys_warehouse", "plan",
				    "{\"tables\":[\"dim_staff\"],\"rows_to_read\":250,"
				    "\"suspend\":[\"nightly\"]}", "alice@ops", &id, &err_));
	for (size_t i = 1; i < ARRAY_LEN(steps); i++) {
		fake_now = now - (50 - 8 * (int)i) * MIN;
		CHECK(store_backfill_update(s, id, &(struct store_backfill_move){
				.step = steps[i], .state = BACKFILL_WAITING,
				.compare_json = i == 4 ? compare_json : NULL,
				.by = "alice@ops",
				.note = i == 4 ? "12 rows differ" : NULL },
			&err_));
	}
}

static void warehouse(const char *dir)
{
	char *data = path_join(dir, "data");
	CHECK(mkdir_p(data, 0755, &err_));
	char *url = xasprintf("sqlite:%s/warehouse.db", data);
	struct db_options opt = { 0 };
	struct db *db = db_open(url, &opt, &err_);
	if (!db)
		die("opening the warehouse", &err_);
	CHECK(db_exec_script(db,
		"DROP TABLE IF EXISTS dim_staff; DROP TABLE IF EXISTS raw_orders;"
		"CREATE TABLE dim_staff (staff_id integer PRIMARY KEY, first_name text,"
		" last_name text, department text, email_address text);"
		"CREATE TABLE raw_orders (_sluice_id integer PRIMARY KEY, doc text);", &err_));
	static const char *const first[] = { "Jeremie", "Deron", "Jeanette", "Ana",
					     "Magdalena", "Korey", "Raphael", "Oswaldo" };
	static const char *const dept[] = { "Sales", "Purchasing", "Production", "Dispatch",
					    "Finance", "Facilities", "Communications", "HR" };
	CHECK(db_begin(db, &err_));
	for (int i = 1; i <= 250; i++) {
		char id[16], last[32], email[96];
		snprintf(id, sizeof id, "%d", i);
		snprintf(last, sizeof last, "Surname%03d", i);
		snprintf(email, sizeof email, "%s.%s@terrifictotes.com", first[i % 8], last);
		const char *p[] = { id, first[i % 8], last, dept[i % 8], email };
		CHECK(db_exec(db, "INSERT INTO dim_staff VALUES ($1, $2, $3, $4, $5)", p, 5,
			      NULL, &err_));
	}
	for (int i = 1; i <= 60; i++) {
		char id[16], doc[128];
		snprintf(id, sizeof id, "%d", i);
		snprintf(doc, sizeof doc, "{\"order_id\": %d, \"products\": [{\"sku\": \"T-%d\"}]}",
			 1000 + i, i);
		const char *p[] = { id, doc };
		CHECK(db_exec(db, "INSERT INTO raw_orders VALUES ($1, $2)", p, 2, NULL, &err_));
	}
	CHECK(db_commit(db, &err_));
	db_close(db);
	free(url);
	char *src = xasprintf("sqlite:%s/source.db", data);
	db = db_open(src, &opt, &err_);
	if (!db)
		die("creating the source", &err_);
	db_close(db);
	free(src);
	free(data);
}

static int cmd_fill(const char *dir)
{
	struct project *p = load(dir);
	warehouse(dir);
	/* half a minute back: "5m ago" stays "5m ago" while a test looks */
	usec_t real = clock_now_us(), now = real - 30 * USEC_PER_SEC;
	clock_set_source(fake_clock);
	struct store *s = open_store(p);
	for (size_t i = 0; i < ARRAY_LEN(runs); i++)
		make_run(s, now, &runs[i]);
	fake_now = now - 15 * MIN;
	struct store_validation val = {
		.run_id = 7, .step = "dims", .check = "row_count >= 1", .severity = SEVERITY_ERROR,
		.passed = false, .violations = 1, .sample = "stg_staff: 0 rows", .at = fake_now,
	};
	CHECK(store_validation_add(s, &val, &err_));
	tasks(s, now);
	loads(s, now);
	backfills(s, now);
	fake_now = real - 2 * USEC_PER_SEC;
	CHECK(store_worker_register(s, "fixture-host:1:1", "fixture-host", 1, &err_));
	logs(s, now);
	store_close(s);
	clock_set_source(NULL);
	project_free(p);
	return 0;
}

static int cmd_logs(const char *dir, long n, long rate)
{
	struct project *p = load(dir);
	struct store *s = open_store(p);
	for (long i = 0; i < n; i++) {
		char msg[96];
		snprintf(msg, sizeof msg, "live record %ld of %ld", i + 1, n);
		struct log_record rec = { .time = clock_now_us(),
					  .level = i % 10 == 9 ? LOG_WARN : LOG_INFO,
					  .run_id = 14, .step = "publish", .message = msg };
		CHECK(store_log_append(s, &rec, NULL, &err_));
		if (rate > 0)
			usleep((useconds_t)(1000000 / rate));
	}
	store_close(s);
	project_free(p);
	return 0;
}

/* Bulk: rows straight into the store's tables through db.h, many per
 * transaction, then the change counters bumped so consoles notice. */
static int cmd_bulk(const char *dir, long nruns, long nlogs)
{
	struct project *p = load(dir);
	store_close(open_store(p));       /* create and migrate */
	struct db_options opt = { 0 };
	struct db *db = db_open(p->control_url, &opt, &err_);
	if (!db)
		die("opening the store's database", &err_);
	usec_t now = clock_now_us();
	static const char *const flows[] = { "orders_etl", "totesys_warehouse" };
	CHECK(db_begin(db, &err_));
	static const char *const rcols[] = { "flow", "params", "state", "trigger_kind",
		"attempt", "max_attempts", "created_at", "started_at", "ended_at",
		"updated_at", "rows_in", "rows_out", "error" };
	struct db_writer *w = db_writer_open(db, "runs", rcols, 13, &err_);
	if (!w)
		die("writing runs", &err_);
	for (long i = 0; i < nruns; i++) {
		usec_t created = now - (nruns - i) * 30 * USEC_PER_SEC;
		bool failed = i % 50 == 49;
		char c[24], st[24], en[24], rows[24];
		snprintf(c, sizeof c, "%lld", (long long)created);
		snprintf(st, sizeof st, "%lld", (long long)(created + USEC_PER_SEC));
		snprintf(en, sizeof en, "%lld", (long long)(created + 21 * USEC_PER_SEC));
		snprintf(rows, sizeof rows, "%ld", 100 + i % 900);
		const char *v[] = { flows[i % 2], "{}", run_state_name(failed ? RUN_FAILED
									      : RUN_COMPLETED),
				    run_trigger_name(TRIGGER_TASK), "1", "1", c, st, en, en, rows,
				    rows, failed ? "step publish: connection reset by peer" : NULL };
		CHECK(db_writer_row(w, v, &err_));
	}
	CHECK(db_writer_close(w, NULL, &err_));
	CHECK(db_commit(db, &err_));
	static const char *const lcols[] = { "at", "level", "run_id", "step", "object",
					     "message", "fields" };
	for (long done = 0; done < nlogs;) {
		CHECK(db_begin(db, &err_));
		w = db_writer_open(db, "logs", lcols, 7, &err_);
		if (!w)
			die("writing logs", &err_);
		for (long k = 0; k < 100000 && done < nlogs; k++, done++) {
			char at[24], lvl[4], run[24], msg[96];
			snprintf(at, sizeof at, "%lld", (long long)(now - (nlogs - done) * 1000));
			snprintf(lvl, sizeof lvl, "%d", done % 20 == 19 ? LOG_WARN : LOG_INFO);
			snprintf(run, sizeof run, "%ld", 1 + done % (nruns ? nruns : 1));
			snprintf(msg, sizeof msg, "step publish committed %ld rows (record %ld)",
				 done % 997, done + 1);
			const char *v[] = { at, lvl, run, "publish", "task:hourly", msg,
					    "{\"rows\":\"120\"}" };
			CHECK(db_writer_row(w, v, &err_));
		}
		CHECK(db_writer_close(w, NULL, &err_));
		CHECK(db_commit(db, &err_));
	}
	CHECK(db_exec(db, "UPDATE store_changes SET n = n + 1", NULL, 0, NULL, &err_));
	db_close(db);
	project_free(p);
	return 0;
}

/* Every row of every table, in order, hashed. */
static void digest_db(const char *url, struct sha256 *h)
{
	struct db_options opt = { .read_only = true };
	struct db *db = db_open(url, &opt, &err_);
	if (!db)
		die(url, &err_);
	struct vec tables = VEC_INIT;
	CHECK(db_list_tables(db, &tables, &err_));
	for (size_t i = 0; i < tables.len; i++) {
		char *q = db_quote_ident(db, tables.items[i]);
		char *sql = xasprintf("SELECT * FROM %s ORDER BY 1", q);
		struct db_cursor *c = db_query(db, sql, NULL, 0, &err_);
		if (!c)
			die(sql, &err_);
		sha256_update(h, tables.items[i], strlen(tables.items[i]));
		int rc;
		while ((rc = db_cursor_next(c, &err_)) == 1)
			for (int k = 0; k < db_cursor_ncols(c); k++) {
				const char *v = db_cursor_text(c, k);
				sha256_update(h, v ? v : "\x01NULL", v ? strlen(v) + 1 : 6);
			}
		if (rc < 0)
			die(sql, &err_);
		db_cursor_close(c);
		free(sql);
		free(q);
	}
	vec_free_all(&tables, free);
	db_close(db);
}

static int cmd_checksum(const char *dir)
{
	struct project *p = load(dir);
	struct sha256 h;
	sha256_init(&h);
	digest_db(p->control_url, &h);
	digest_db(project_connection(p, "warehouse")->url, &h);
	uint8_t dg[32];
	char hex[65];
	sha256_final(&h, dg);
	sha256_hex(dg, hex);
	printf("%s\n", hex);
	project_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && str_eq(argv[1], "fill"))
		return cmd_fill(argv[2]);
	if (argc >= 5 && str_eq(argv[1], "logs"))
		return cmd_logs(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc >= 5 && str_eq(argv[1], "bulk"))
		return cmd_bulk(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc >= 3 && str_eq(argv[1], "checksum"))
		return cmd_checksum(argv[2]);
	fprintf(stderr, "usage: mkfixture fill|checksum DIR | logs DIR N RATE | "
		"bulk DIR RUNS LOGS\n");
	return 2;
}
