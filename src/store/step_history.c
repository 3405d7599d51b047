/*
 * step_history.c - what happened to each step of a run (one row per run and
 * step, rewritten as the step moves on), and the results of a validate
 * step's checks.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const step_names[STEP_STATE_COUNT] = {
	[STEP_PENDING] = "PENDING", [STEP_RUNNING] = "RUNNING",
	[STEP_COMPLETED] = "COMPLETED", [STEP_CACHED] = "CACHED",
	[STEP_FAILED] = "FAILED", [STEP_SKIPPED] = "SKIPPED",
	[STEP_CANCELLED] = "CANCELLED",
};

const char *step_state_name(enum step_state st)
{
	return (unsigned)st < STEP_STATE_COUNT ? step_names[st] : "?";
}

bool step_state_parse(const char *s, enum step_state *out)
{
	int v;
	if (!st_enum_parse(step_names, STEP_STATE_COUNT, s, &v))
		return false;
	*out = (enum step_state)v;
	return true;
}

#define STEP_DATA_COLS "run_id, step, state, attempt, started_at, ended_at, " \
	"rows_in, rows_out, error, error_detail, cached, cache_key, detail"
#define STEP_COLS "id, " STEP_DATA_COLS

static void *parse_step(struct db_cursor *c)
{
	struct store_step *st = xcalloc(1, sizeof(*st));
	st->id = st_col_i64(c, 0);
	st->run_id = st_col_i64(c, 1);
	st->step = st_col_str(c, 2);
	if (!step_state_parse(db_cursor_text(c, 3), &st->state))
		st->state = STEP_FAILED;
	st->attempt = (int)st_col_i64(c, 4);
	st->started = st_col_i64(c, 5);
	st->ended = st_col_i64(c, 6);
	st->rows_in = st_col_i64(c, 7);
	st->rows_out = st_col_i64(c, 8);
	st->error = st_col_str(c, 9);
	st->error_detail = st_col_str(c, 10);
	st->cached = st_col_bool(c, 11);
	st->cache_key = st_col_str(c, 12);
	st->detail = st_col_str(c, 13);
	return st;
}

void store_step_free(struct store_step *st)
{
	if (!st)
		return;
	free(st->step);
	free(st->error);
	free(st->error_detail);
	free(st->cache_key);
	free(st->detail);
	free(st);
}

static void free_step_v(void *p)
{
	store_step_free(p);
}

void store_step_list_free(struct vec *v)
{
	vec_free_all(v, free_step_v);
}

int store_step_put(struct store *s, const struct store_step *st, struct err *e)
{
	if (!st || !st->step || !*st->step || (unsigned)st->state >= STEP_STATE_COUNT)
		return err_set(e, ERR_INVALID, "a step run needs a step name and a state");
	char *line = st_first_line(st->error);
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, st->run_id);
	st_sqlp_str(&p, st->step);
	st_sqlp_str(&p, step_state_name(st->state));
	st_sqlp_i64(&p, st->attempt > 0 ? st->attempt : 1);
	st_sqlp_i64_or_null(&p, st->started);
	st_sqlp_i64_or_null(&p, st->ended);
	st_sqlp_i64(&p, st->rows_in);
	st_sqlp_i64(&p, st->rows_out);
	st_sqlp_str(&p, line);
	st_sqlp_str(&p, st->error_detail ? st->error_detail : st->error);
	st_sqlp_i64(&p, st->cached ? 1 : 0);
	st_sqlp_str(&p, st->cache_key);
	st_sqlp_str(&p, st->detail);

	int rc = st_begin(s, e);
	int64_t exists = 0;
	if (rc == 0) {
		struct sqlp q = SQLP_INIT;
		st_sqlp_i64(&q, st->run_id);
		rc = st_query_i64(s, "SELECT 1 FROM runs WHERE id = $1", &q, &exists, e);
		if (rc == 0)
			rc = err_set(e, ERR_NOTFOUND, "no run %lld for step %s",
				     (long long)st->run_id, st->step);
		if (rc == 1)
			rc = st_exec(s, "INSERT INTO step_runs (" STEP_DATA_COLS ") VALUES "
				     "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
				     "ON CONFLICT (run_id, step) DO UPDATE SET "
				     "state = excluded.state, attempt = excluded.attempt, "
				     "started_at = excluded.started_at, ended_at = excluded.ended_at, "
				     "rows_in = excluded.rows_in, rows_out = excluded.rows_out, "
				     "error = excluded.error, error_detail = excluded.error_detail, "
				     "cached = excluded.cached, cache_key = excluded.cache_key, "
				     "detail = excluded.detail",
				     &p, NULL, e);
		if (rc < 0)
			st_rollback(s);
		else
			rc = st_commit(s, STORE_AREA_BIT(STORE_AREA_RUNS), e);
	}
	free(line);
	return rc;
}

int store_step_set_detail(struct store *s, int64_t run_id, const char *step,
			  const char *detail, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, detail);
	st_sqlp_i64(&p, run_id);
	st_sqlp_str(&p, step);
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_RUNS),
			 "UPDATE step_runs SET detail = $1 WHERE run_id = $2 AND step = $3 "
			 "AND state = 'RUNNING'", &p, NULL, e);
}

int store_step_get(struct store *s, int64_t run_id, const char *step,
		   struct store_step **out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, run_id);
	st_sqlp_str(&p, step);
	int rc;
	*out = st_collect_one(st_query(s, "SELECT " STEP_COLS " FROM step_runs "
				       "WHERE run_id = $1 AND step = $2", &p, e),
			      parse_step, free_step_v, &rc, e);
	return rc;
}

int store_step_list(struct store *s, int64_t run_id, struct vec *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, run_id);
	return st_collect(st_query(s, "SELECT " STEP_COLS " FROM step_runs "
				   "WHERE run_id = $1 ORDER BY CASE WHEN started_at IS NULL "
				   "THEN 1 ELSE 0 END, started_at, step", &p, e),
			  parse_step, free_step_v, out, e);
}

/* ---- validation results --------------------------------------------------------- */
static void *parse_validation(struct db_cursor *c)
{
	struct store_validation *v = xcalloc(1, sizeof(*v));
	v->id = st_col_i64(c, 0);
	v->run_id = st_col_i64(c, 1);
	v->step = st_col_str(c, 2);
	v->check = st_col_str(c, 3);
	v->severity = str_eq(db_cursor_text(c, 4), "error") ? SEVERITY_ERROR
							     : SEVERITY_WARN;
	v->passed = st_col_bool(c, 5);
	v->violations = st_col_i64(c, 6);
	v->sample = st_col_str(c, 7);
	v->at = st_col_i64(c, 8);
	return v;
}

static void free_validation_v(void *p)
{
	struct store_validation *v = p;
	free(v->step);
	free(v->check);
	free(v->sample);
	free(v);
}

void store_validation_list_free(struct vec *v)
{
	vec_free_all(v, free_validation_v);
}

int store_validation_add(struct store *s, const struct store_validation *v,
			 struct err *e)
{
	if (!v || !v->step || !v->check)
		return err_set(e, ERR_INVALID, "a validation result needs a step "
			       "and a check name");
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, v->run_id);
	st_sqlp_str(&p, v->step);
	st_sqlp_str(&p, v->check);
	st_sqlp_str(&p, v->severity == SEVERITY_ERROR ? "error" : "warn");
	st_sqlp_i64(&p, v->passed ? 1 : 0);
	st_sqlp_i64(&p, v->violations);
	st_sqlp_str(&p, v->sample);
	st_sqlp_i64(&p, v->at ? v->at : clock_now_us());
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_RUNS),
			 "INSERT INTO validation_results (run_id, step, check_name, "
			 "severity, passed, violations, sample, at) "
			 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", &p, NULL, e);
}

int store_validation_list(struct store *s, int64_t run_id, const char *step,
			  struct vec *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "SELECT id, run_id, step, check_name, severity, passed, "
		   "violations, sample, at FROM validation_results WHERE run_id = $%d",
		   st_sqlp_i64(&p, run_id));
	if (step)
		buf_printf(&sql, " AND step = $%d", st_sqlp_str(&p, step));
	buf_puts(&sql, " ORDER BY id");
	int rc = st_collect(st_query(s, buf_str(&sql), &p, e), parse_validation,
			    free_validation_v, out, e);
	buf_free(&sql);
	return rc;
}
