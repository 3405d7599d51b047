/*
 * watermarks.c - extract watermarks and their planned windows, and the
 * display mirror of stream offsets.
 *
 * Exactly once for extracts (doc/architecture.md): a run plans its window
 * (committed, end] here before it reads the source; if it is retried or
 * recovered it asks again and gets the same window back, so it rewrites
 * the same lake keys instead of reading a different range.  The
 * watermark moves to `end` only when the window commits: with its lake
 * file (store_wm_commit) or with the run (store_wm_commit_run).
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define WM_COLS "flow, step, tbl, committed, committed_at, committed_run, pending, " \
	"pending_start, pending_end, pending_run, planned_at"

static void *parse_wm(struct db_cursor *c)
{
	struct store_watermark *w = xcalloc(1, sizeof(*w));
	w->flow = st_col_str(c, 0);
	w->step = st_col_str(c, 1);
	w->table = st_col_str(c, 2);
	w->committed = st_col_str(c, 3);
	w->committed_at = st_col_i64(c, 4);
	w->committed_run = st_col_i64(c, 5);
	w->pending = st_col_bool(c, 6);
	w->pending_start = st_col_str(c, 7);
	w->pending_end = st_col_str(c, 8);
	w->pending_run = st_col_i64(c, 9);
	w->planned_at = st_col_i64(c, 10);
	return w;
}

void store_wm_free(struct store_watermark *w)
{
	if (!w)
		return;
	free(w->flow);
	free(w->step);
	free(w->table);
	free(w->committed);
	free(w->pending_start);
	free(w->pending_end);
	free(w);
}

static void free_wm_v(void *p)
{
	store_wm_free(p);
}

void store_wm_list_free(struct vec *v)
{
	vec_free_all(v, free_wm_v);
}

static int wm_read(struct store *s, const char *flow, const char *step,
		   const char *table, bool lock, struct store_watermark **out,
		   struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, flow);
	st_sqlp_str(&p, step);
	st_sqlp_str(&p, table);
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT " WM_COLS " FROM watermarks "
		 "WHERE flow = $1 AND step = $2 AND tbl = $3%s",
		 lock ? s->d->lock_row : "");
	int rc;
	*out = st_collect_one(st_query(s, sql, &p, e),
			      parse_wm, free_wm_v, &rc, e);
	return rc;
}

int store_wm_get(struct store *s, const char *flow, const char *step,
		 const char *table, struct store_watermark **out, struct err *e)
{
	return wm_read(s, flow, step, table, false, out, e);
}

/* A window left by another run blocks planning only while that run can
 * still come back to it. */
static int check_other_planner(struct store *s, const struct store_watermark *w,
			       struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, w->pending_run);
	struct db_cursor *c = st_query(s, "SELECT state FROM runs WHERE id = $1", &p, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	enum run_state st = RUN_FAILED;
	if (rc == 1 && run_state_parse(db_cursor_text(c, 0), &st) &&
	    !run_state_is_terminal(st))
		rc = err_set(e, ERR_CONFLICT, "watermark %s.%s.%s: window (%s, %s] is "
			     "planned by run %lld, which is %s", w->flow, w->step,
			     w->table, w->pending_start ? w->pending_start : "start",
			     w->pending_end ? w->pending_end : "?",
			     (long long)w->pending_run, run_state_name(st));
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

static int plan_locked(struct store *s, const char *flow, const char *step,
		       const char *table, int64_t run_id, const char *start,
		       const char *end, struct store_watermark **out, struct err *e)
{
	char *key = xasprintf("sluice.wm:%s/%s/%s", flow, step, table);
	int rc = st_lock_key(s, key, e);
	free(key);
	struct store_watermark *cur = NULL;
	if (rc == 0)
		rc = wm_read(s, flow, step, table, true, &cur, e);
	if (rc < 0)
		return -1;
	if (cur && cur->pending && cur->pending_run == run_id) {
		*out = cur;            /* the same run asking again */
		return 0;
	}
	if (cur && cur->pending && check_other_planner(s, cur, e) < 0) {
		store_wm_free(cur);
		return -1;
	}
	/* `end` was found above `start`: planned over another start, the
	 * window could run backwards and take rows a second time. */
	if (!str_eq(cur ? cur->committed : NULL, start)) {
		err_set(e, ERR_CONFLICT, "watermark %s.%s.%s moved from %s to %s while run "
			"%lld planned its window", flow, step, table, start ? start : "start",
			cur && cur->committed ? cur->committed : "start", (long long)run_id);
		store_wm_free(cur);
		return -1;
	}
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, flow);
	st_sqlp_str(&p, step);
	st_sqlp_str(&p, table);
	st_sqlp_str(&p, cur ? cur->committed : NULL);
	st_sqlp_str(&p, end);
	st_sqlp_i64(&p, run_id);
	st_sqlp_i64(&p, clock_now_us());
	rc = st_exec(s, "INSERT INTO watermarks (flow, step, tbl, pending, pending_start, "
		     "pending_end, pending_run, planned_at) VALUES ($1, $2, $3, 1, $4, "
		     "$5, $6, $7) ON CONFLICT (flow, step, tbl) DO UPDATE SET pending = 1, "
		     "pending_start = excluded.pending_start, pending_end = excluded.pending_end, "
		     "pending_run = excluded.pending_run, planned_at = excluded.planned_at",
		     &p, NULL, e);
	store_wm_free(cur);
	if (rc < 0)
		return -1;
	return wm_read(s, flow, step, table, false, out, e) == 1 ? 0 : -1;
}

int store_wm_plan(struct store *s, const char *flow, const char *step,
		  const char *table, int64_t run_id, const char *start, const char *end,
		  struct store_watermark **out, struct err *e)
{
	*out = NULL;
	if (!flow || !step || !table || run_id <= 0 || !end)
		return err_set(e, ERR_INVALID, "planning a watermark window needs "
			       "flow, step, table, run and an end value");
	if (st_begin(s, e) < 0)
		return -1;
	if (plan_locked(s, flow, step, table, run_id, start, end, out, e) < 0) {
		st_rollback(s);
		return -1;
	}
	if (st_commit(s, STORE_AREA_BIT(STORE_AREA_WATERMARKS), e) < 0) {
		store_wm_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* $1 is the run; $2, when `with_now`, the time. */
static int wm_update_run(struct store *s, const char *sql, int64_t run_id,
			 bool with_now, int *n, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, run_id);
	if (with_now)
		st_sqlp_i64(&p, clock_now_us());
	int64_t affected = 0;
	if (st_write1(s, STORE_AREA_BIT(STORE_AREA_WATERMARKS), sql, &p, &affected, e) < 0)
		return -1;
	if (n)
		*n = (int)affected;
	return 0;
}

/* A planned window's end becomes the committed value, at time AT (a
 * parameter), and the window is gone. */
#define WM_COMMIT_SET(at) "committed = pending_end, committed_at = " at ", " \
	"committed_run = pending_run, pending = 0, pending_start = NULL, " \
	"pending_end = NULL, pending_run = NULL, planned_at = NULL"

int store_wm_commit_run(struct store *s, int64_t run_id, int *n, struct err *e)
{
	return wm_update_run(s, "UPDATE watermarks SET " WM_COMMIT_SET("$2")
			     " WHERE pending = 1 AND pending_run = $1", run_id, true, n, e);
}

int store_wm_commit(struct store *s, const char *flow, const char *step,
		    const char *table, int64_t run_id, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, flow);
	st_sqlp_str(&p, step);
	st_sqlp_str(&p, table);
	st_sqlp_i64(&p, run_id);
	st_sqlp_i64(&p, clock_now_us());
	int64_t n = 0;
	if (st_write1(s, STORE_AREA_BIT(STORE_AREA_WATERMARKS),
		      "UPDATE watermarks SET " WM_COMMIT_SET("$5")
		      " WHERE flow = $1 AND step = $2 AND tbl = $3 AND pending = 1 "
		      "AND pending_run = $4", &p, &n, e) < 0)
		return -1;
	if (n == 0)
		return err_set(e, ERR_CONFLICT, "watermark %s.%s.%s: run %lld has no planned "
			       "window to commit (was the watermark reset meanwhile?)", flow,
			       step, table, (long long)run_id);
	return 0;
}

int store_wm_clear_run(struct store *s, int64_t run_id, int *n, struct err *e)
{
	return wm_update_run(s, "UPDATE watermarks SET pending = 0 "
			     "WHERE pending = 1 AND pending_run = $1", run_id, false, n, e);
}

int store_wm_adopt(struct store *s, const char *flow, const char *step,
		   const char *table, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, flow);
	st_sqlp_str(&p, step);
	st_sqlp_str(&p, table);
	st_sqlp_i64(&p, clock_now_us());
	int64_t n = 0;
	if (st_write1(s, STORE_AREA_BIT(STORE_AREA_WATERMARKS),
		      "UPDATE watermarks SET " WM_COMMIT_SET("$4")
		      " WHERE flow = $1 AND step = $2 AND tbl = $3 AND pending_end IS NOT NULL "
		      "AND (pending_start = committed OR "
		      "(pending_start IS NULL AND committed IS NULL)) "
		      "AND (pending = 0 OR NOT EXISTS (SELECT 1 FROM runs r "
		      "WHERE r.id = watermarks.pending_run AND r.ended_at IS NULL))",
		      &p, &n, e) < 0)
		return -1;
	return n > 0;
}

int store_wm_set(struct store *s, const char *flow, const char *step,
		 const char *table, const char *value, struct err *e)
{
	if (!flow || !step || !table)
		return err_set(e, ERR_INVALID, "a watermark needs flow, step and table");
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, flow);
	st_sqlp_str(&p, step);
	st_sqlp_str(&p, table);
	st_sqlp_str(&p, value);
	st_sqlp_i64(&p, clock_now_us());
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_WATERMARKS),
			 "INSERT INTO watermarks (flow, step, tbl, committed, committed_at) "
			 "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (flow, step, tbl) DO UPDATE "
			 "SET committed = excluded.committed, committed_at = excluded.committed_at, "
			 "committed_run = NULL, pending = 0, pending_start = NULL, "
			 "pending_end = NULL, pending_run = NULL, planned_at = NULL",
			 &p, NULL, e);
}

int store_wm_list(struct store *s, const char *flow, struct vec *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT " WM_COLS " FROM watermarks");
	if (flow)
		buf_printf(&sql, " WHERE flow = $%d", st_sqlp_str(&p, flow));
	buf_puts(&sql, " ORDER BY flow, step, tbl");
	int rc = st_collect(st_query(s, buf_str(&sql), &p, e), parse_wm, free_wm_v, out, e);
	buf_free(&sql);
	return rc;
}

/* ---- stream offset mirror ---------------------------------------------------------- */
static void *parse_stream(struct db_cursor *c)
{
	struct store_stream_offset *o = xcalloc(1, sizeof(*o));
	o->stream = st_col_str(c, 0);
	o->offset = st_col_str(c, 1);
	o->pending_rows = st_col_i64(c, 2);
	o->updated = st_col_i64(c, 3);
	return o;
}

static void free_stream_v(void *p)
{
	struct store_stream_offset *o = p;
	free(o->stream);
	free(o->offset);
	free(o);
}

void store_stream_list_free(struct vec *v)
{
	vec_free_all(v, free_stream_v);
}

int store_stream_mirror(struct store *s, const char *stream, const char *offset,
			int64_t pending_rows, struct err *e)
{
	if (!stream)
		return err_set(e, ERR_INVALID, "a stream offset needs a stream name");
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, stream);
	st_sqlp_str(&p, offset);
	st_sqlp_i64(&p, pending_rows);
	st_sqlp_i64(&p, clock_now_us());
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_WATERMARKS),
			 "INSERT INTO stream_offsets (stream, stream_offset, pending_rows, "
			 "updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (stream) DO UPDATE "
			 "SET stream_offset = excluded.stream_offset, "
			 "pending_rows = excluded.pending_rows, updated_at = excluded.updated_at",
			 &p, NULL, e);
}

int store_stream_list(struct store *s, struct vec *out, struct err *e)
{
	return st_collect(st_query(s, "SELECT stream, stream_offset, pending_rows, "
				   "updated_at FROM stream_offsets ORDER BY stream", NULL, e),
			  parse_stream, free_stream_v, out, e);
}
