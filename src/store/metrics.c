/*
 * metrics.c - what a worker's /metrics reports, read from the store in a
 * handful of aggregate queries, so every worker on a shared store reports
 * the same numbers.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

const double store_duration_buckets[STORE_DURATION_BUCKETS] = {
	0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600,
};

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
			m->label[i] = col_str(c, i);
		m->value = col_i64(c, nlabels);
		vec_push(out, m);
	}
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

/* A histogram per group: `groups` are the label columns (1 or 2), `from`
 * the rest of the query, with `d` the duration in microseconds.  Buckets
 * are counted by the database, so only one row per group comes back. */
static int read_histograms(struct store *s, const char *groups, int nlabels,
			   const char *duration, const char *from, struct vec *out,
			   struct err *e)
{
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "SELECT %s, count(*), sum(%s)", groups, duration);
	for (int i = 0; i < STORE_DURATION_BUCKETS; i++)
		buf_printf(&sql, ", sum(CASE WHEN %s <= %lld THEN 1 ELSE 0 END)", duration,
			   (long long)(store_duration_buckets[i] * USEC_PER_SEC));
	buf_printf(&sql, " %s GROUP BY %s ORDER BY %s", from, groups, groups);
	struct db_cursor *c = st_query(s, buf_str(&sql), NULL, e);
	buf_free(&sql);
	if (!c)
		return -1;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		struct store_metric *m = xcalloc(1, sizeof *m);
		for (int i = 0; i < nlabels; i++)
			m->label[i] = col_str(c, i);
		m->value = col_i64(c, nlabels);
		m->sum = (double)col_i64(c, nlabels + 1) / USEC_PER_SEC;
		for (int i = 0; i < STORE_DURATION_BUCKETS; i++)
			m->le[i] = col_i64(c, nlabels + 2 + i);
		vec_push(out, m);
	}
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
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
				counts[i] = col_i64(c, 1);
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
	memset(m, 0, sizeof *m);
	/* Entries into a final state, not runs by their state now: a crashed
	 * run retried in place leaves CRASHED, and a counter must not fall. */
	int rc = read_counts(s, "SELECT r.flow, t.to_state, count(*) FROM run_transitions t "
			     "JOIN runs r ON r.id = t.run_id WHERE t.to_state IN "
			     "('COMPLETED', 'CACHED', 'FAILED', 'CANCELLED', 'CRASHED') "
			     "GROUP BY r.flow, t.to_state ORDER BY r.flow, t.to_state",
			     2, &m->runs_ended, e);
	if (rc == 0)
		rc = store_run_counts(s, NULL, 0, m->runs_now, e);
	if (rc == 0)
		rc = read_histograms(s, "flow", 1, "(ended_at - started_at)",
				     "FROM runs WHERE started_at IS NOT NULL AND ended_at IS "
				     "NOT NULL AND state IN ('COMPLETED', 'CACHED', 'FAILED', "
				     "'CANCELLED')", &m->run_seconds, e);
	if (rc == 0)
		rc = read_histograms(s, "r.flow, sr.step", 2, "(sr.ended_at - sr.started_at)",
				     "FROM step_runs sr JOIN runs r ON r.id = sr.run_id "
				     "WHERE sr.started_at IS NOT NULL AND sr.ended_at IS NOT NULL",
				     &m->step_seconds, e);
	if (rc == 0)
		rc = read_counts(s, "SELECT flow, sum(rows_out) FROM runs GROUP BY flow "
				 "ORDER BY flow", 1, &m->flow_rows, e);
	if (rc == 0)
		rc = read_counts(s, "SELECT pipe, sum(rows_loaded) FROM load_history "
				 "GROUP BY pipe ORDER BY pipe", 1, &m->pipe_rows, e);
	if (rc == 0)
		rc = read_counts(s, "SELECT pipe, status, count(*) FROM load_history "
				 "GROUP BY pipe, status ORDER BY pipe, status", 2,
				 &m->pipe_files, e);
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
	if (rc < 0) {
		err_prefix(e, "reading metrics: ");
		store_metrics_free(m);
	}
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
}
