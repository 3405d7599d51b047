/*
 * step_kinds.c - the kind table and what every step kind shares: validation
 * and running by kind, cache keys, the state shared by a run's steps, and
 * logging with the run and step attached (the ledger helpers that make a
 * step's writes exactly-once are in ledger.c).
 *
 * The engine calls steps_run and never looks inside a kind; a kind lives
 * in its own file with a static operations table (struct step_ops).
 */
#include "steps/steps_int.h"
#include "store/store.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct step_ops *const kinds[STEP_KIND_COUNT] = {
	[STEP_EXTRACT] = &step_extract_ops,
	[STEP_INGEST] = &step_ingest_ops,
	[STEP_NORMALIZE] = &step_normalize_ops,
	[STEP_SQL] = &step_sql_ops,
	[STEP_VALIDATE] = &step_validate_ops,
	[STEP_LOAD] = &step_load_ops,
	[STEP_HTTP] = &step_http_ops,
	[STEP_NOTIFY] = &step_notify_ops,
};

static const struct step_ops *kind_ops(enum step_kind k)
{
	return (unsigned)k < STEP_KIND_COUNT ? kinds[k] : NULL;
}

/* Kinds whose effects reach outside the tables a backfill rebuilds: in
 * backfill mode they are recorded as skipped. */
static bool skipped_in_backfill(enum step_kind k)
{
	return k == STEP_EXTRACT || k == STEP_INGEST || k == STEP_HTTP || k == STEP_NOTIFY;
}

/* ---- validation ------------------------------------------------------------ */

/* The first table a step writes for later steps of its run to read (an
 * extract's staging table, a normalize step's `into`), or NULL. */
static char *staging_table(const struct project_step *s)
{
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(s->spec, "to");
	if (s->kind == STEP_NORMALIZE && steps_json_string(s->spec, "into"))
		return xstrdup(steps_json_string(s->spec, "into"));
	if (s->kind != STEP_EXTRACT || !cJSON_IsObject(to))
		return NULL;
	const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s->spec,
										"tables"), 0);
	const char *table = cJSON_IsString(item) ? item->valuestring : steps_json_string(item, "table");
	const char *prefix = steps_json_string(to, "table_prefix");
	return table ? xasprintf("%s%s", prefix ? prefix : "", table) : NULL;
}

/* Staging tables have fixed names, so every run of a flow shares them:
 * two runs at once (concurrency above 1, or unlimited) can each load what
 * the other staged. */
static void warn_shared_staging(const struct project *p, const struct project_flow *flow,
				struct diags *d)
{
	if (flow->concurrency == 1)
		return;
	for (size_t i = 0; i < flow->nsteps; i++) {
		char *table = staging_table(&flow->steps[i]);
		if (!table)
			continue;
		char *path = xasprintf("%s.concurrency", flow->path_in_file ? flow->path_in_file
							     : flow->name);
		char limit[32];
		snprintf(limit, sizeof limit, "%d", flow->concurrency);
		project_diag(p, d, DIAG_WARNING, path, "flow %s may run %s at a time, but "
			     "step %s writes the staging table %s, which every run of the "
			     "flow shares: two runs at once can load each other's rows; "
			     "keep concurrency at 1", flow->name, flow->concurrency ? limit
			     : "any number of runs", flow->steps[i].name, table);
		free(path);
		free(table);
		return;
	}
}

size_t steps_validate(const struct project *p, struct diags *d)
{
	size_t errors = 0;
	for (size_t f = 0; f < p->nflows; f++) {
		const struct project_flow *flow = &p->flows[f];
		for (size_t i = 0; i < flow->nsteps; i++) {
			const struct project_step *s = &flow->steps[i];
			const struct step_ops *ops = kind_ops(s->kind);
			if (ops && ops->validate)
				errors += ops->validate(p, flow, s, d);
		}
		warn_shared_staging(p, flow, d);
	}
	return errors;
}

char *step_spec_path(const struct project_step *s, const char *key)
{
	return xasprintf("%s.%s", s->path_in_file ? s->path_in_file : s->name, key);
}

void step_spec_bad_member(const struct project *p, const struct project_step *s,
		     const char *key, const cJSON *v, const char *expected,
		     struct diags *d)
{
	if (!v) {
		project_diag(p, d, DIAG_ERROR, s->path_in_file, "missing key \"%s\"", key);
		return;
	}
	char *path = step_spec_path(s, key);
	project_diag(p, d, DIAG_ERROR, path, "%s", expected);
	free(path);
}

/* ---- running ------------------------------------------------------------------ */

int step_check_cancel(const struct step_ctx *ctx, struct err *e)
{
	if (ctx->cancel && atomic_load(ctx->cancel))
		return err_set(e, ERR_CANCELLED, "step %s cancelled", ctx->step->name);
	return 0;
}

int step_end_transaction(const struct step_ctx *ctx, struct db *db, int rc,
			 struct err *e)
{
	if (rc == 0)
		rc = step_check_cancel(ctx, e);
	if (rc == 0)
		rc = db_commit(db, e);
	if (rc < 0)
		db_rollback(db);
	return rc;
}

int steps_run(struct step_ctx *ctx, struct err *e)
{
	const struct project_step *s = ctx->step;
	const struct step_ops *ops = kind_ops(s->kind);
	const char *kind = step_kind_name(s->kind);
	ctx->rows_in = ctx->rows_out = ctx->rows_deleted = 0;
	ctx->skipped = false;
	if (!ops || !ops->run)
		return err_set(e, ERR_INTERNAL, "step %s: the %s step kind is not part of "
			       "this build", s->name, kind);
	if (ctx->backfill && skipped_in_backfill(s->kind)) {
		ctx->skipped = true;
		step_summary(ctx, "skipped: %s steps do not run in a backfill", kind);
		step_log(ctx, LOG_INFO, NULL, "%s step skipped (backfill)", kind);
		return 0;
	}
	if (step_check_cancel(ctx, e) < 0)
		return -1;
	usec_t t0 = clock_monotonic_us();
	step_log(ctx, LOG_DEBUG, NULL, "%s step started", kind);
	int rc = ops->run(ctx, e);
	char took[32];
	duration_format(clock_monotonic_us() - t0, took, sizeof took);
	if (rc < 0) {
		step_conns_reset(ctx->conns);
		if (ctx->cancel && atomic_load(ctx->cancel) && e && e->code != ERR_CANCELLED) {
			/* Whatever the interrupted statement said, the cause is the
			 * cancel; keep its text as the detail. */
			char *was = xstrdup(err_text(e));
			err_set(e, ERR_CANCELLED, "step %s cancelled (%s)", s->name, was);
			free(was);
		}
		step_log(ctx, e && e->code == ERR_CANCELLED ? LOG_WARN : LOG_ERROR, NULL,
			 "%s step failed after %s: %s", kind, took, e ? err_text(e) : "error");
		return -1;
	}
	step_log(ctx, LOG_INFO, NULL, "%s step done in %s: %lld rows in, %lld rows out%s%s",
		 kind, took, (long long)ctx->rows_in, (long long)ctx->rows_out,
		 ctx->summary ? "; " : "", ctx->summary ? ctx->summary : "");
	return 0;
}

/* ---- cache keys ------------------------------------------------------------------ */

char *steps_cache_key(struct step_ctx *ctx, struct err *e)
{
	err_clear(e);
	const struct step_ops *ops = kind_ops(ctx->step->kind);
	if (!ops || !ops->cache_inputs)
		return NULL;
	struct buf key = BUF_INIT;
	buf_printf(&key, "sluice step cache 1\nflow %s\nstep %s\nbackfill %d\n",
		   ctx->flow->name, ctx->step->name, ctx->backfill);
	char *def = ctx->step->spec ? cJSON_PrintUnformatted(ctx->step->spec) : NULL;
	buf_printf(&key, "definition %s\n", def ? def : "{}");
	cJSON_free(def);
	for (size_t i = 0; i < ctx->nparams; i++) {
		const char *v = ctx->params[i].value;
		buf_printf(&key, "param %zu %s %s%s\n", strlen(ctx->params[i].key),
			   ctx->params[i].key, v ? "=" : "null", v ? v : "");
	}
	if (ops->cache_inputs(ctx, &key, e) < 0) {
		buf_free(&key);
		return NULL;
	}
	char hex[65];
	sha256_hex_of(key.data, key.len, hex);
	buf_free(&key);
	return xstrdup(hex);
}

int steps_cache_tables(struct step_ctx *ctx UNUSED, struct db *db, const struct vec *inputs,
		       struct buf *key, struct err *e)
{
	for (size_t i = 0; i < inputs->len; i++) {
		const char *input = inputs->items[i];
		const char *dot = strchr(input, '.');
		char *table = dot ? xstrndup(input, (size_t)(dot - input)) : xstrdup(input);
		char *qt = db_quote_ident(db, table);
		char *sql;
		if (dot) {
			char *qc = db_quote_ident(db, dot + 1);
			sql = xasprintf("SELECT count(*), max(%s) FROM %s", qc, qt);
			free(qc);
		} else {
			sql = xasprintf("SELECT count(*), NULL FROM %s", qt);
		}
		struct db_cursor *c = db_query(db, sql, NULL, 0, e);
		int rc = c ? db_cursor_next(c, e) : -1;
		if (rc == 1) {
			const char *n = db_cursor_text(c, 0), *m = db_cursor_text(c, 1);
			buf_printf(key, "input %s rows %s max %s\n", input, n ? n : "0",
				   m ? m : "null");
		}
		db_cursor_close(c);
		free(sql);
		free(qt);
		free(table);
		if (rc < 0) {
			err_prefix(e, "cache input %s: ", input);
			return -1;
		}
	}
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------ */

struct stream_reader steps_stream_reader(const struct step_ctx *ctx)
{
	return (struct stream_reader){
		.project = ctx->project,
		.store = ctx->store,
		.conns = ctx->conns,
		.shared = ctx->shared,
		.run_id = ctx->run_id,
		.step = ctx->step ? ctx->step->name : NULL,
		.consumer = ctx->step ? steps_json_string(ctx->step->spec, "table") : NULL,
		.backfill = ctx->backfill,
	};
}

struct db *step_db(struct step_ctx *ctx, const char *name, struct err *e)
{
	struct db *db = step_conns_get(ctx->conns, name, e);
	if (!db)
		err_prefix(e, "step %s: ", ctx->step->name);
	return db;
}

void step_log(const struct step_ctx *ctx, enum log_level level, const char *object,
	      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	log_emit(level, ctx->run_id, ctx->step ? ctx->step->name : NULL, object, NULL, 0,
		 "%s", msg);
	free(msg);
}

void step_summary(struct step_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(ctx->summary);
	ctx->summary = xvasprintf(fmt, ap);
	va_end(ap);
}

char *step_target_table(const struct step_ctx *ctx, const char *table)
{
	return ctx->backfill ? xasprintf("%s_backfill", table) : xstrdup(table);
}

enum db_kind steps_connection_kind(const struct project *p, const char *conn)
{
	const struct project_connection *pc = conn ? project_connection(p, conn) : NULL;
	return pc && pc->kind == CONN_POSTGRES ? DB_POSTGRES : DB_SQLITE;
}

char *step_read_table(const struct step_ctx *ctx, const char *conn, const char *table)
{
	if (ctx->backfill && ctx->flow && steps_flow_loads_table(ctx->flow, conn, table))
		return xasprintf("%s_backfill", table);
	return xstrdup(table);
}

static void use(struct vec *out, const char *conn, const char *table, bool writes,
		int kind)
{
	if (!table)
		return;
	struct steps_table_use *u = xcalloc(1, sizeof *u);
	u->connection = conn ? xstrdup(conn) : NULL;
	u->table = xstrdup(table);
	u->writes = writes;
	u->kind = kind;
	vec_push(out, u);
}

static void extract_uses(const cJSON *spec, const char *conn, struct vec *out)
{
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(spec, "to"), *item;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(spec, "tables")) {
		const char *t = cJSON_IsString(item) ? item->valuestring
			: steps_json_string(item, "table");
		use(out, conn, t, false, TABLE_OTHER);
		if (t && cJSON_IsObject(to)) {
			const char *prefix = steps_json_string(to, "table_prefix");
			char *staging = xasprintf("%s%s", prefix ? prefix : "", t);
			use(out, steps_json_string(to, "connection"), staging, true,
			    TABLE_STAGING);
			free(staging);
		}
	}
}

static void sql_uses(const struct project *p, const struct project_step *s,
		     const char *conn, struct vec *out)
{
	const cJSON *spec = s->spec, *item;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(spec, "inputs")) {
		if (!cJSON_IsString(item))
			continue;
		char *t = xstrndup(item->valuestring, strcspn(item->valuestring, "."));
		use(out, conn, t, false, TABLE_OTHER);
		free(t);
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(spec, "outputs"))
		if (cJSON_IsString(item))
			use(out, conn, item->valuestring, true, TABLE_OTHER);
	if (s->kind != STEP_NORMALIZE)
		return;
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(spec, "from");
	use(out, conn, steps_json_string(spec, "into"), true, TABLE_STAGING);
	use(out, conn, steps_json_string(from, "table"), false, TABLE_OTHER);
	const char *stream = steps_json_string(from, "stream");
	const struct project_stream *st = stream ? project_stream(p, stream) : NULL;
	if (st)
		use(out, st->connection, st->table, false, TABLE_OTHER);
}

void steps_table_uses(const struct project *p, const struct project_step *s,
		      struct vec *out)
{
	const cJSON *spec = s->spec;
	const char *conn = steps_json_string(spec, "connection");
	switch (s->kind) {
	case STEP_LOAD: {
		const cJSON *from = cJSON_GetObjectItemCaseSensitive(spec, "from");
		const char *fc = steps_json_string(from, "connection");
		use(out, conn, steps_json_string(spec, "table"), true, TABLE_OTHER);
		use(out, fc ? fc : conn, steps_json_string(from, "table"), false, TABLE_OTHER);
		break;
	}
	case STEP_EXTRACT:
		extract_uses(spec, conn, out);
		break;
	case STEP_VALIDATE:
		use(out, conn, steps_json_string(spec, "table"), false, TABLE_OTHER);
		break;
	case STEP_SQL:
	case STEP_NORMALIZE:
		sql_uses(p, s, conn, out);
		break;
	case STEP_INGEST: {
		const char *name = steps_json_string(spec, "pipe");
		const struct project_pipe *pipe = name ? project_pipe(p, name) : NULL;
		if (pipe)
			use(out, pipe->connection, pipe->table, true, TABLE_RAW);
		break;
	}
	default:
		break;
	}
}

static void use_free(void *p)
{
	struct steps_table_use *u = p;
	free(u->connection);
	free(u->table);
	free(u);
}

void steps_table_uses_free(struct vec *uses)
{
	vec_free_all(uses, use_free);
}

bool steps_flow_loads_table(const struct project_flow *flow, const char *connection,
		      const char *table)
{
	for (size_t i = 0; i < flow->nsteps; i++) {
		const struct project_step *s = &flow->steps[i];
		if (s->kind != STEP_LOAD)
			continue;
		const char *c = steps_json_string(s->spec, "connection");
		const char *t = steps_json_string(s->spec, "table");
		if (str_eq(c, connection) && str_eq(t, table))
			return true;
	}
	return false;
}

void steps_format_ts(usec_t t, char out[32])
{
	struct tm tm;
	long us;
	time_split_utc(t, &tm, &us);
	/* years past 9999 do not fit the canonical form; clamp like the store */
	int year = tm.tm_year + 1900;
	if (year > 9999)
		year = 9999;
	if (year < 0)
		year = 0;
	snprintf(out, 32, "%04d-%02d-%02d %02d:%02d:%02d.%06lu", year,
		 (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100,
		 tm.tm_min % 100, tm.tm_sec % 100, (unsigned long)us % 1000000);
}

char *step_read_sql_file(const struct project *p, const char *file, struct err *e)
{
	char *path = path_join(p->dir ? p->dir : ".", file);
	char *text = file_read_all(path, NULL, e);
	if (!text)
		err_prefix(e, "SQL file %s: ", file);
	free(path);
	return text;
}

/* ---- the step's JSON ------------------------------------------------------------------ */

const char *steps_json_string(const cJSON *obj, const char *key)
{
	const cJSON *item = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	return cJSON_IsString(item) ? item->valuestring : NULL;
}

bool steps_json_bool(const cJSON *obj, const char *key, bool fallback)
{
	const cJSON *item = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	return cJSON_IsBool(item) ? cJSON_IsTrue(item) : fallback;
}

void steps_json_strings(const cJSON *obj, const char *key, struct vec *out)
{
	const cJSON *item = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	if (cJSON_IsString(item)) {
		vec_push(out, item->valuestring);
		return;
	}
	const cJSON *el;
	cJSON_ArrayForEach(el, item) {
		if (cJSON_IsString(el))
			vec_push(out, el->valuestring);
	}
}

char *steps_json_scalar_text(const cJSON *item)
{
	if (!item || cJSON_IsNull(item))
		return NULL;
	if (cJSON_IsString(item))
		return xstrdup(item->valuestring);
	if (cJSON_IsBool(item))
		return xstrdup(cJSON_IsTrue(item) ? "true" : "false");
	char *s = cJSON_PrintUnformatted(item);
	char *copy = xstrdup(s);
	cJSON_free(s);
	return copy;
}
