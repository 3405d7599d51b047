/*
 * validate.c - the `validate` step: data checks on a table.
 *
 *   { "kind": "validate", "connection": "warehouse", "table": "stg_order_items",
 *     "checks": [ { "type": "not_null", "columns": ["order_id"] },
 *                 { "type": "unique", "columns": ["order_id", "sku"], "severity": "warn" } ] }
 *
 * Check types: row_count {min, max}; not_null {columns}; unique {columns}
 * (rows with a NULL in the key are not compared, as a unique constraint
 * would not); accepted_values {column, values} (compared as text, NULLs
 * pass); referential {column, references "table.column"} (NULLs pass);
 * custom {name, sql}: a query returning the violating rows, with :name
 * parameters bound, {{table:NAME}} and {{stream:NAME}} (the run's window,
 * read, not consumed) expanded.
 *
 * Every check runs in the database: one count of the violations and, when
 * there are some, up to five of them as text.  Each result goes to the
 * control store (shown with the run); a failed check of severity "error"
 * (the default) fails the step with a message naming every failed check,
 * one of severity "warn" is logged and the step goes on.  In backfill
 * mode a table that the flow loads is checked as TABLE_backfill.
 */
#include "steps/steps_int.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_ROWS 5
#define SAMPLE_VALUE_MAX 80

enum check_type { CK_ROW_COUNT, CK_NOT_NULL, CK_UNIQUE, CK_ACCEPTED, CK_REFERENTIAL,
		  CK_CUSTOM, CK_TYPE_COUNT };

static const char *const check_names[CK_TYPE_COUNT] = {
	"row_count", "not_null", "unique", "accepted_values", "referential", "custom",
};

/* Keys each check type takes besides "type", "severity" and "name". */
static const char *const check_keys[CK_TYPE_COUNT][3] = {
	{ "min", "max", NULL },
	{ "columns", NULL, NULL },
	{ "columns", NULL, NULL },
	{ "column", "values", NULL },
	{ "column", "references", NULL },
	{ "sql", NULL, NULL },
};

static bool parse_type(const char *s, enum check_type *out)
{
	for (int i = 0; s && i < CK_TYPE_COUNT; i++) {
		if (strcmp(s, check_names[i]) == 0) {
			*out = (enum check_type)i;
			return true;
		}
	}
	return false;
}

/* ---- validation of the step's keys ---------------------------------------------- */

static size_t diag_at(const struct project *p, struct diags *d, const char *base,
		      const char *key, const char *msg)
{
	char *path = key ? xasprintf("%s.%s", base, key) : xstrdup(base);
	project_diag(p, d, DIAG_ERROR, path, "%s", msg);
	free(path);
	return 1;
}

static bool string_list(const cJSON *item)
{
	if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) == 0)
		return false;
	const cJSON *el;
	cJSON_ArrayForEach(el, item)
		if (!cJSON_IsString(el) || !*el->valuestring)
			return false;
	return true;
}

/* A custom check's SQL: its {{table:}} and {{stream:}} references, and
 * the tables this flow loads that it names bare. */
static size_t check_custom_sql(const struct project *p, const struct project_flow *f,
			       const struct project_step *s, size_t index, const char *sql,
			       struct diags *d)
{
	char *key = xasprintf("checks[%zu].sql", index);
	size_t errors = steps_check_refs(p, f, s, key, steps_json_string(s->spec, "connection"),
					 sql, d);
	free(key);
	return errors;
}

static size_t validate_check(const struct project *p, const struct project_flow *f,
			     const struct project_step *s, size_t index, const cJSON *ck,
			     const char *path, struct diags *d)
{
	if (!cJSON_IsObject(ck))
		return diag_at(p, d, path, NULL, "expected a check object { \"type\", ... }");
	enum check_type t;
	const char *type = steps_json_string(ck, "type");
	if (!type)
		return diag_at(p, d, path, NULL, "missing key \"type\"");
	if (!parse_type(type, &t)) {
		char *msg = xasprintf("unknown check type \"%s\" (expected row_count, "
				      "not_null, unique, accepted_values, referential or "
				      "custom)", type);
		diag_at(p, d, path, "type", msg);
		free(msg);
		return 1;
	}
	size_t errors = 0;
	const cJSON *item;
	cJSON_ArrayForEach(item, ck) {
		const char *k = item->string;
		bool ok = !strcmp(k, "type") || !strcmp(k, "severity") || !strcmp(k, "name");
		for (int i = 0; i < 3 && check_keys[t][i] && !ok; i++)
			ok = strcmp(k, check_keys[t][i]) == 0;
		if (!ok) {
			char *msg = xasprintf("unknown key \"%s\" for a %s check", k, type);
			errors += diag_at(p, d, path, k, msg);
			free(msg);
		}
	}
	const char *sev = steps_json_string(ck, "severity");
	const cJSON *sevj = cJSON_GetObjectItemCaseSensitive(ck, "severity");
	if (sevj && (!sev || (strcmp(sev, "error") && strcmp(sev, "warn"))))
		errors += diag_at(p, d, path, "severity", "expected \"error\" or \"warn\"");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(ck, "name");
	if (name && !cJSON_IsString(name))
		errors += diag_at(p, d, path, "name", "expected a string");
	const cJSON *min = cJSON_GetObjectItemCaseSensitive(ck, "min");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(ck, "max");
	const char *col = steps_json_string(ck, "column");
	const char *ref = steps_json_string(ck, "references");
	switch (t) {
	case CK_ROW_COUNT:
		if (!min && !max)
			errors += diag_at(p, d, path, NULL, "a row_count check needs \"min\" "
					  "or \"max\"");
		if (min && (!cJSON_IsNumber(min) || min->valuedouble < 0))
			errors += diag_at(p, d, path, "min", "expected a number of rows");
		if (max && (!cJSON_IsNumber(max) || max->valuedouble < 0))
			errors += diag_at(p, d, path, "max", "expected a number of rows");
		break;
	case CK_NOT_NULL:
	case CK_UNIQUE:
		if (!string_list(cJSON_GetObjectItemCaseSensitive(ck, "columns")))
			errors += diag_at(p, d, path, "columns", "expected a non-empty array "
					  "of column names");
		break;
	case CK_ACCEPTED:
		if (!col)
			errors += diag_at(p, d, path, "column", "expected a column name");
		item = cJSON_GetObjectItemCaseSensitive(ck, "values");
		if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) == 0)
			errors += diag_at(p, d, path, "values", "expected a non-empty array");
		break;
	case CK_REFERENTIAL:
		if (!col)
			errors += diag_at(p, d, path, "column", "expected a column name");
		if (!ref || !strchr(ref, '.') || ref[0] == '.' || ref[strlen(ref) - 1] == '.')
			errors += diag_at(p, d, path, "references", "expected \"table.column\"");
		break;
	case CK_CUSTOM:
		if (!steps_json_string(ck, "name"))
			errors += diag_at(p, d, path, "name", "a custom check needs a name");
		if (!steps_json_string(ck, "sql"))
			errors += diag_at(p, d, path, "sql", "expected the SQL of a query "
					  "returning the violating rows");
		else
			errors += check_custom_sql(p, f, s, index, steps_json_string(ck, "sql"),
						   d);
		break;
	default:
		break;
	}
	return errors;
}

static size_t validate_validate(const struct project *p, const struct project_flow *f,
				const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "connection", "table", "checks", "inputs",
					     NULL };
	size_t before = d->errors;
	spec_unknown_keys(p, s, known, d);
	spec_string(p, s, "connection", true, d);
	spec_string(p, s, "table", true, d);
	struct vec inputs = VEC_INIT;
	spec_strings(p, s, "inputs", false, &inputs, d);
	vec_free_all(&inputs, free);
	const cJSON *checks = cJSON_GetObjectItemCaseSensitive(s->spec, "checks");
	if (!cJSON_IsArray(checks) || cJSON_GetArraySize(checks) == 0) {
		step_spec_bad_member(p, s, "checks", checks, "expected a non-empty array of checks",
				d);
		return d->errors - before;
	}
	char *path = step_spec_path(s, "checks");
	size_t i = 0;
	const cJSON *ck;
	cJSON_ArrayForEach(ck, checks) {
		char *cp = xasprintf("%s[%zu]", path, i);
		validate_check(p, f, s, i++, ck, cp, d);
		free(cp);
	}
	free(path);
	return d->errors - before;
}

/* ---- running ------------------------------------------------------------------------ */

/* One check as it will run. */
struct check_run {
	enum check_type type;
	char *name;               /* "not_null(order_id, sku)" or the given name */
	enum check_severity severity;
	char *count_sql;          /* SELECT count(*) ... : the violations */
	char *sample_sql;         /* up to SAMPLE_ROWS violating rows */
	struct sql_bound bound;   /* parameters of both */
	int64_t min, max;         /* row_count; -1 = none */
};

static void check_run_free(struct check_run *cr)
{
	free(cr->name);
	free(cr->count_sql);
	free(cr->sample_sql);
	steps_sql_bound_free(&cr->bound);
}

static char *quoted_list(const struct db *db, const cJSON *arr, const char *prefix)
{
	struct buf b = BUF_INIT;
	const cJSON *el;
	int i = 0;
	cJSON_ArrayForEach(el, arr) {
		char *q = db_quote_ident(db, el->valuestring);
		buf_printf(&b, "%s%s%s", i++ ? ", " : "", prefix ? prefix : "", q);
		free(q);
	}
	return buf_detach(&b);
}

static char *plain_list(const cJSON *arr)
{
	struct buf b = BUF_INIT;
	const cJSON *el;
	int i = 0;
	cJSON_ArrayForEach(el, arr)
		buf_printf(&b, "%s%s", i++ ? ", " : "", el->valuestring);
	return buf_detach(&b);
}

static void null_conditions(struct buf *b, const struct db *db, const cJSON *cols,
			    const char *op, const char *joiner)
{
	const cJSON *el;
	int i = 0;
	cJSON_ArrayForEach(el, cols) {
		char *q = db_quote_ident(db, el->valuestring);
		buf_printf(b, "%s%s %s", i++ ? joiner : "", q, op);
		free(q);
	}
}

static void plan_accepted(struct db *db, const cJSON *ck, const char *qt,
			  struct check_run *cr)
{
	char *qc = db_quote_ident(db, steps_json_string(ck, "column"));
	struct buf in = BUF_INIT;
	const cJSON *el;
	int n = 0;
	cJSON_ArrayForEach(el, cJSON_GetObjectItemCaseSensitive(ck, "values")) {
		buf_printf(&in, "%s$%d", n ? ", " : "", n + 1);
		n++;
	}
	cr->bound.values = xcalloc((size_t)n + 1, sizeof *cr->bound.values);
	cJSON_ArrayForEach(el, cJSON_GetObjectItemCaseSensitive(ck, "values")) {
		char *v = steps_json_scalar_text(el);
		if (!v)
			v = xstrdup("");
		cr->bound.values[cr->bound.nvalues++] = v;
	}
	char *where = xasprintf("%s IS NOT NULL AND CAST(%s AS TEXT) NOT IN (%s)", qc, qc,
				buf_str(&in));
	cr->count_sql = xasprintf("SELECT count(*) FROM %s WHERE %s", qt, where);
	cr->sample_sql = xasprintf("SELECT * FROM %s WHERE %s LIMIT %d", qt, where,
				   SAMPLE_ROWS);
	free(where);
	buf_free(&in);
	free(qc);
}

static void plan_referential(struct step_ctx *ctx, struct db *db, const cJSON *ck,
			     const char *qt, struct check_run *cr)
{
	const char *ref = steps_json_string(ck, "references");
	const char *dot = strrchr(ref, '.');
	char *rtable_name = xstrndup(ref, (size_t)(dot - ref));
	char *rtable = step_read_table(ctx, steps_json_string(ctx->step->spec, "connection"),
				     rtable_name);
	char *qc = db_quote_ident(db, steps_json_string(ck, "column"));
	char *qr = db_quote_ident(db, rtable), *qrc = db_quote_ident(db, dot + 1);
	char *where = xasprintf("sluice_t.%s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s "
				"sluice_r WHERE sluice_r.%s = sluice_t.%s)", qc, qr, qrc, qc);
	cr->count_sql = xasprintf("SELECT count(*) FROM %s sluice_t WHERE %s", qt, where);
	cr->sample_sql = xasprintf("SELECT sluice_t.* FROM %s sluice_t WHERE %s LIMIT %d",
				   qt, where, SAMPLE_ROWS);
	free(where);
	free(qc);
	free(qr);
	free(qrc);
	free(rtable);
	free(rtable_name);
}

static char *default_name(enum check_type t, const cJSON *ck)
{
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(ck, "columns");
	switch (t) {
	case CK_NOT_NULL:
	case CK_UNIQUE: {
		char *list = plain_list(cols);
		char *n = xasprintf("%s(%s)", check_names[t], list);
		free(list);
		return n;
	}
	case CK_ACCEPTED:
		return xasprintf("accepted_values(%s)", steps_json_string(ck, "column"));
	case CK_REFERENTIAL:
		return xasprintf("referential(%s -> %s)", steps_json_string(ck, "column"),
				 steps_json_string(ck, "references"));
	default:
		return xstrdup(check_names[t]);
	}
}

static int plan_check(struct step_ctx *ctx, struct db *db, const char *table,
		      const cJSON *ck, struct check_run *cr, struct err *e)
{
	memset(cr, 0, sizeof *cr);
	parse_type(steps_json_string(ck, "type"), &cr->type);
	const char *sev = steps_json_string(ck, "severity");
	cr->severity = sev && strcmp(sev, "warn") == 0 ? SEVERITY_WARN : SEVERITY_ERROR;
	const char *name = steps_json_string(ck, "name");
	cr->name = name ? xstrdup(name) : default_name(cr->type, ck);
	cr->min = cr->max = -1;
	char *qt = db_quote_ident(db, table);
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(ck, "columns");
	struct buf w = BUF_INIT;
	int rc = 0;
	switch (cr->type) {
	case CK_ROW_COUNT: {
		const cJSON *min = cJSON_GetObjectItemCaseSensitive(ck, "min");
		const cJSON *max = cJSON_GetObjectItemCaseSensitive(ck, "max");
		cr->min = cJSON_IsNumber(min) ? (int64_t)min->valuedouble : -1;
		cr->max = cJSON_IsNumber(max) ? (int64_t)max->valuedouble : -1;
		cr->count_sql = xasprintf("SELECT count(*) FROM %s", qt);
		break;
	}
	case CK_NOT_NULL:
		null_conditions(&w, db, cols, "IS NULL", " OR ");
		cr->count_sql = xasprintf("SELECT count(*) FROM %s WHERE %s", qt, buf_str(&w));
		cr->sample_sql = xasprintf("SELECT * FROM %s WHERE %s LIMIT %d", qt,
					   buf_str(&w), SAMPLE_ROWS);
		break;
	case CK_UNIQUE: {
		char *list = quoted_list(db, cols, NULL);
		null_conditions(&w, db, cols, "IS NOT NULL", " AND ");
		char *dups = xasprintf("SELECT %s, count(*) AS copies FROM %s WHERE %s "
				       "GROUP BY %s HAVING count(*) > 1", list, qt,
				       buf_str(&w), list);
		cr->count_sql = xasprintf("SELECT count(*) FROM (%s) AS sluice_d", dups);
		cr->sample_sql = xasprintf("%s LIMIT %d", dups, SAMPLE_ROWS);
		free(dups);
		free(list);
		break;
	}
	case CK_ACCEPTED:
		plan_accepted(db, ck, qt, cr);
		break;
	case CK_REFERENTIAL:
		plan_referential(ctx, db, ck, qt, cr);
		break;
	case CK_CUSTOM: {
		char *text = xstrdup(steps_json_string(ck, "sql"));
		size_t n = strlen(text);
		while (n > 0 && strchr("; \t\r\n", text[n - 1]))
			text[--n] = '\0';
		const char *conn = steps_json_string(ctx->step->spec, "connection");
		rc = steps_bind_sql(ctx, db_kind(db), text, &cr->bound, e);
		if (rc == 0)
			rc = steps_expand_refs(ctx, db, conn, &cr->bound, e);
		if (rc == 0) {
			cr->count_sql = xasprintf("SELECT count(*) FROM (%s) AS sluice_v",
						  cr->bound.sql);
			cr->sample_sql = xasprintf("SELECT * FROM (%s) AS sluice_v LIMIT %d",
						   cr->bound.sql, SAMPLE_ROWS);
		}
		free(text);
		break;
	}
	default:
		break;
	}
	buf_free(&w);
	free(qt);
	return rc;
}

/* Up to SAMPLE_ROWS rows as "col=value, col=value" lines. */
static int sample_rows(struct db *db, const struct check_run *cr, char **out,
		       struct err *e)
{
	*out = NULL;
	if (!cr->sample_sql)
		return 0;
	struct db_cursor *c = db_query(db, cr->sample_sql,
				       (const char *const *)cr->bound.values,
				       cr->bound.nvalues, e);
	if (!c)
		return -1;
	struct buf b = BUF_INIT;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		if (b.len)
			buf_putc(&b, '\n');
		for (int i = 0; i < db_cursor_ncols(c); i++) {
			const char *v = db_cursor_text(c, i);
			size_t len = db_cursor_len(c, i);
			buf_printf(&b, "%s%s=", i ? ", " : "", db_cursor_name(c, i));
			if (!v)
				buf_puts(&b, "NULL");
			else if (len > SAMPLE_VALUE_MAX)
				buf_printf(&b, "%.*s...", SAMPLE_VALUE_MAX, v);
			else
				buf_append(&b, v, len);
		}
	}
	db_cursor_close(c);
	if (rc < 0) {
		buf_free(&b);
		return -1;
	}
	*out = b.len ? buf_detach(&b) : NULL;
	buf_free(&b);
	return 0;
}

/* Run one check; *violations and *sample (caller frees) say what it found. */
static int run_check(struct db *db, struct check_run *cr, bool *passed,
		     int64_t *violations, char **sample, struct err *e)
{
	*sample = NULL;
	int64_t n = 0;
	if (db_query_int(db, cr->count_sql, (const char *const *)cr->bound.values,
			 cr->bound.nvalues, &n, e) < 0)
		return -1;
	if (cr->type == CK_ROW_COUNT) {
		*passed = (cr->min < 0 || n >= cr->min) && (cr->max < 0 || n <= cr->max);
		*violations = *passed ? 0 : 1;
		if (*passed)
			return 0;
		if (cr->min >= 0 && cr->max >= 0)
			*sample = xasprintf("%lld rows; expected %lld to %lld", (long long)n,
					    (long long)cr->min, (long long)cr->max);
		else if (cr->min >= 0)
			*sample = xasprintf("%lld rows; expected at least %lld", (long long)n,
					    (long long)cr->min);
		else
			*sample = xasprintf("%lld rows; expected at most %lld", (long long)n,
					    (long long)cr->max);
		return 0;
	}
	*violations = n;
	*passed = n == 0;
	return *passed ? 0 : sample_rows(db, cr, sample, e);
}

static const char *violation_unit(enum check_type t, int64_t n)
{
	if (t == CK_UNIQUE)
		return n == 1 ? "duplicated key" : "duplicated keys";
	return n == 1 ? "row" : "rows";
}

/* The step's connection and the table its checks read (caller frees). */
static int open_checked_table(struct step_ctx *ctx, struct db **db, char **table,
			      struct err *e)
{
	const cJSON *spec = ctx->step->spec;
	const char *conn = steps_json_string(spec, "connection");
	*db = step_db(ctx, conn, e);
	if (!*db)
		return -1;
	*table = step_read_table(ctx, conn, steps_json_string(spec, "table"));
	return 0;
}

static int validate_run(struct step_ctx *ctx, struct err *e)
{
	const cJSON *spec = ctx->step->spec;
	struct db *db;
	char *table;
	if (open_checked_table(ctx, &db, &table, e) < 0)
		return -1;
	char *object = xasprintf("table:%s", table);
	struct buf failed = BUF_INIT;
	int nchecks = 0, nfailed = 0, nwarned = 0, rc = 0;
	const cJSON *ck;
	cJSON_ArrayForEach(ck, cJSON_GetObjectItemCaseSensitive(spec, "checks")) {
		struct check_run cr;
		bool passed = false;
		int64_t violations = 0;
		char *sample = NULL;
		memset(&cr, 0, sizeof cr);
		nchecks++;
		rc = step_check_cancel(ctx, e);
		if (rc == 0)
			rc = plan_check(ctx, db, table, ck, &cr, e);
		if (rc == 0)
			rc = run_check(db, &cr, &passed, &violations, &sample, e);
		if (rc == 0 && ctx->store) {
			struct store_validation v = { 0, ctx->run_id, (char *)ctx->step->name,
						      cr.name, cr.severity, passed, violations,
						      sample, clock_now_us() };
			rc = store_validation_add(ctx->store, &v, e);
		}
		if (rc == 0 && !passed) {
			const char *what = cr.type == CK_ROW_COUNT ? sample :
					   violation_unit(cr.type, violations);
			char count[32] = "";
			if (cr.type != CK_ROW_COUNT)
				snprintf(count, sizeof count, "%lld ", (long long)violations);
			if (cr.severity == SEVERITY_ERROR) {
				nfailed++;
				buf_printf(&failed, "%s%s: %s%s", failed.len ? "; " : "",
					   cr.name, count, what);
			} else {
				nwarned++;
			}
			step_log(ctx, cr.severity == SEVERITY_ERROR ? LOG_ERROR : LOG_WARN,
				 object, "check %s failed on %s: %s%s", cr.name, table, count,
				 what);
		} else if (rc < 0) {
			err_prefix(e, "check %s: ", cr.name ? cr.name : "?");
		}
		free(sample);
		check_run_free(&cr);
		if (rc < 0)
			break;
	}
	if (rc == 0 && nfailed)
		rc = err_set(e, ERR_INVALID, "%d of %d check%s failed on %s: %s", nfailed,
			     nchecks, nchecks == 1 ? "" : "s", table, buf_str(&failed));
	if (rc == 0 && nwarned)
		step_summary(ctx, "%d check%s on %s: %d passed, %d warned", nchecks,
			     nchecks == 1 ? "" : "s", table, nchecks - nwarned, nwarned);
	else if (rc == 0)
		step_summary(ctx, "%d check%s on %s: all passed", nchecks,
			     nchecks == 1 ? "" : "s", table);
	buf_free(&failed);
	free(object);
	free(table);
	return rc;
}

static int validate_cache_inputs(struct step_ctx *ctx, struct buf *key, struct err *e)
{
	struct db *db;
	char *table;
	if (open_checked_table(ctx, &db, &table, e) < 0)
		return -1;
	struct vec inputs = VEC_INIT;
	vec_push(&inputs, table);
	steps_json_strings(ctx->step->spec, "inputs", &inputs);
	int rc = steps_cache_tables(ctx, db, &inputs, key, e);
	vec_free(&inputs);
	free(table);
	return rc;
}

const struct step_ops step_validate_ops = {
	.kind = STEP_VALIDATE,
	.validate = validate_validate,
	.run = validate_run,
	.cache_inputs = validate_cache_inputs,
};

cJSON *steps_check_json(const struct store_validation *v)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "step", v->step);
	cJSON_AddStringToObject(c, "check", v->check);
	cJSON_AddStringToObject(c, "severity", v->severity == SEVERITY_ERROR ? "error" : "warn");
	cJSON_AddBoolToObject(c, "passed", v->passed);
	cJSON_AddNumberToObject(c, "violations", (double)v->violations);
	if (v->sample)
		cJSON_AddStringToObject(c, "sample", v->sample);
	else
		cJSON_AddNullToObject(c, "sample");
	return c;
}
