/*
 * metric_reads.c - what a worker's /metrics reports, read from the store so
 * that every worker on a shared store reports the same numbers.
 *
 * History (final run transitions with their runs' durations, rows and
 * steps; pipe load attempts) only grows, and scanning all of it on every
 * scrape costs seconds at 100,000 runs, so it is read as a tail: rows with
 * an id above the last "settled" one, added to the totals kept in struct
 * store_metrics.  Ids are not committed in order on PostgreSQL (a
 * transaction holding a lower id may commit after a higher one), so the
 * reader settles an id only once its row is older than TAIL_SETTLE, and
 * remembers the ids above it that it has counted.  A row committed more
 * than TAIL_SETTLE after its time stamp would be missed; store
 * transactions last milliseconds.  Everything else is a snapshot read on
 * each call.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

const double store_duration_buckets[STORE_DURATION_BUCKETS] = {
	0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600,
};

#define TAIL_SETTLE (60 * USEC_PER_SEC)
#define FINAL_STATES "('COMPLETED', 'CACHED', 'FAILED', 'CANCELLED', 'CRASHED')"
#define ENDED_STATES "('COMPLETED', 'CACHED', 'FAILED', 'CANCELLED')"

static void metric_free(void *p)
{
	struct store_metric *m = p;
	if (!m)
		return;
	free(m->label[0]);
	free(m->label[1]);
	free(m);
}

/* Rows of (label, [label,] value) into `out`. */
static int read_counts(struct store *s, const char *sql, int nlabels, struct vec *out,
		       struct err *e)
{
	struct db_cursor *c = st_query(s, sql, NULL, e);
	if (!c)
		return -1;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		struct store_metric *m = xcalloc(1, sizeof *m);
		for (int i = 0; i < nlabels; i++)
			m->label[i] = st_col_str(c, i);
		m->value = st_col_i64(c, nlabels);
		vec_push(out, m);
	}
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

struct store_metric *store_metric_series(struct vec *v, const char *a, const char *b)
{
	for (size_t i = 0; i < v->len; i++) {
		struct store_metric *m = v->items[i];
		if (str_eq(m->label[0], a) && str_eq(m->label[1], b))
			return m;
	}
	struct store_metric *m = xcalloc(1, sizeof *m);
	m->label[0] = a ? xstrdup(a) : NULL;
	m->label[1] = b ? xstrdup(b) : NULL;
	vec_push(v, m);
	return m;
}

static void observe(struct store_metric *m, usec_t d)
{
	if (d < 0)
		d = 0;
	m->value++;
	m->sum += (double)d / USEC_PER_SEC;
	for (int i = 0; i < STORE_DURATION_BUCKETS; i++)
		if (d <= (usec_t)(store_duration_buckets[i] * USEC_PER_SEC))
			m->le[i]++;
}

/* ---- tails ------------------------------------------------------------------------------ */
/* Among the first n ids: those counted by earlier reads. */
static bool tail_counted(const struct store_tail *t, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (t->ids[i] == id)
			return true;
	return false;
}

static void tail_add(struct store_tail *t, int64_t id)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->ids = xrealloc(t->ids, t->cap * sizeof *t->ids);
	}
	t->ids[t->n++] = id;
}

/* Settle up to `settled`: forget the ids at or below it. */
static void tail_settle(struct store_tail *t, int64_t settled)
{
	if (settled <= t->settled)
		return;
	t->settled = settled;
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->ids[i] > settled)
			t->ids[k++] = t->ids[i];
	t->n = k;
}

/* Rows of `sql` (first column the id, second its time stamp, $1 the
 * settled id) not counted yet go to `count`; rows sharing an id are one
 * event, counted together. */
static int read_tail(struct store *s, struct store_tail *t, const char *sql,
		     void (*count)(struct store_metrics *m, struct db_cursor *c),
		     struct store_metrics *m, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, t->settled);
	struct db_cursor *c = st_query(s, sql, &p, e);
	if (!c)
		return -1;
	usec_t cutoff = clock_now_us() - TAIL_SETTLE;
	int64_t settled = t->settled, current = 0;
	size_t earlier = t->n;    /* only these can have been counted before */
	bool counting = false;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		int64_t id = st_col_i64(c, 0);
		bool old = st_col_i64(c, 1) < cutoff;
		if (id != current) {
			current = id;
			counting = !tail_counted(t, earlier, id);
			/* an old row is settled below: no need to remember it */
			if (counting && !old)
				tail_add(t, id);
		}
		if (counting)
			count(m, c);
		if (old && id > settled)
			settled = id;
	}
	db_cursor_close(c);
	/* after an error too: what was counted stays counted, the rest is
	 * read again next time */
	tail_settle(t, settled);
	return rc < 0 ? -1 : 0;
}

/* t.id, t.at, flow, state, duration, rows written */
static void count_run(struct store_metrics *m, struct db_cursor *c)
{
	const char *flow = db_cursor_text(c, 2), *state = db_cursor_text(c, 3);
	store_metric_series(&m->runs_ended, flow, state)->value++;
	if (str_eq(state, "CRASHED"))
		return;     /* retried in place, or ended by recovery: no duration */
	if (db_cursor_text(c, 4))
		observe(store_metric_series(&m->run_seconds, flow, NULL), st_col_i64(c, 4));
	store_metric_series(&m->flow_rows, flow, NULL)->value += st_col_i64(c, 5);
}

/* t.id, t.at, flow, step, duration */
static void count_step(struct store_metrics *m, struct db_cursor *c)
{
	observe(store_metric_series(&m->step_seconds, db_cursor_text(c, 2), db_cursor_text(c, 3)),
		st_col_i64(c, 4));
}

/* id, loaded_at, pipe, status, rows loaded */
static void count_load(struct store_metrics *m, struct db_cursor *c)
{
	const char *pipe = db_cursor_text(c, 2);
	store_metric_series(&m->pipe_rows, pipe, NULL)->value += st_col_i64(c, 4);
	store_metric_series(&m->pipe_files, pipe, db_cursor_text(c, 3))->value++;
}

static int read_history(struct store *s, struct store_metrics *m, struct err *e)
{
	/* A run's steps and totals are final when it reaches a final state. */
	int rc = read_tail(s, &m->run_tail,
			   "SELECT t.id, t.at, r.flow, t.to_state, r.ended_at - r.started_at, "
			   "r.rows_out FROM run_transitions t JOIN runs r ON r.id = t.run_id "
			   "WHERE t.id > $1 AND t.to_state IN " FINAL_STATES " ORDER BY t.id",
			   count_run, m, e);
	if (rc == 0)
		rc = read_tail(s, &m->step_tail,
			       "SELECT t.id, t.at, r.flow, sr.step, sr.ended_at - sr.started_at "
			       "FROM run_transitions t JOIN runs r ON r.id = t.run_id "
			       "JOIN step_runs sr ON sr.run_id = t.run_id "
			       "WHERE t.id > $1 AND t.to_state IN " ENDED_STATES
			       " AND sr.started_at IS NOT NULL AND sr.ended_at IS NOT NULL "
			       "ORDER BY t.id", count_step, m, e);
	if (rc == 0)
		rc = read_tail(s, &m->load_tail,
			       "SELECT id, loaded_at, pipe, status, rows_loaded FROM load_history "
			       "WHERE id > $1 ORDER BY id", count_load, m, e);
	return rc;
}

static int read_notifications(struct store *s, int64_t counts[NOTIFY_STATE_COUNT],
			      struct err *e)
{
	for (int i = 0; i < NOTIFY_STATE_COUNT; i++)
		counts[i] = 0;
	struct db_cursor *c = st_query(s, "SELECT state, count(*) FROM notifications "
				       "GROUP BY state", NULL, e);
	if (!c)
		return -1;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1)
		for (int i = 0; i < NOTIFY_STATE_COUNT; i++)
			if (str_eq(db_cursor_text(c, 0), notify_state_name(i)))
				counts[i] = st_col_i64(c, 1);
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

/* The store's own tables: pages on SQLite (the WAL is not counted), the
 * tables with their indexes and TOAST in the store's schema on PostgreSQL
 * (the store may share its database with other things). */
static int read_size(struct store *s, int64_t *bytes, struct err *e)
{
	const char *sql = str_eq(s->d->name, "sqlite")
		? "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
		: "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
		  "JOIN pg_namespace n ON n.oid = c.relnamespace "
		  "WHERE c.relkind = 'r' AND n.nspname = current_schema()";
	*bytes = -1;
	return st_query_i64(s, sql, NULL, bytes, e) < 0 ? -1 : 0;
}

int store_metrics_read(struct store *s, struct store_metrics *m, struct err *e)
{
	vec_free_all(&m->stream_pending, metric_free);
	vec_free_all(&m->task_failures, metric_free);
	store_worker_list_free(&m->workers);
	int rc = read_history(s, m, e);
	if (rc == 0)
		rc = store_run_counts(s, NULL, 0, m->runs_now, e);
	if (rc == 0)
		rc = read_counts(s, "SELECT stream, pending_rows FROM stream_offsets "
				 "WHERE pending_rows >= 0 ORDER BY stream", 1,
				 &m->stream_pending, e);
	if (rc == 0)
		rc = read_counts(s, "SELECT task, count(*) FROM task_history "
				 "WHERE state = 'FAILED' GROUP BY task ORDER BY task", 1,
				 &m->task_failures, e);
	if (rc == 0)
		rc = read_notifications(s, m->notifications, e);
	if (rc == 0)
		rc = read_size(s, &m->size_bytes, e);
	if (rc == 0)
		rc = store_worker_list(s, &m->workers, e);
	if (rc < 0)
		err_prefix(e, "reading metrics: ");
	return rc;
}

void store_metrics_free(struct store_metrics *m)
{
	vec_free_all(&m->runs_ended, metric_free);
	vec_free_all(&m->run_seconds, metric_free);
	vec_free_all(&m->step_seconds, metric_free);
	vec_free_all(&m->flow_rows, metric_free);
	vec_free_all(&m->pipe_rows, metric_free);
	vec_free_all(&m->pipe_files, metric_free);
	vec_free_all(&m->stream_pending, metric_free);
	vec_free_all(&m->task_failures, metric_free);
	store_worker_list_free(&m->workers);
	free(m->run_tail.ids);
	free(m->step_tail.ids);
	free(m->load_tail.ids);
	memset(m, 0, sizeof *m);
}
