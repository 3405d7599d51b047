/*
 * prune.c - retention: old logs, finished runs, task history, sent
 * notifications, completed requests and expired cache entries are deleted
 * in batches, one short transaction each, so a large prune never holds
 * the store's write lock long enough for a console or worker to notice.
 * On SQLite it ends by refreshing the planner's statistics.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define BATCH 5000
#define RUN_BATCH 500

/* Repeat `sql` (a DELETE of at most BATCH rows, $1 bound to `arg`) until
 * it deletes fewer than BATCH. */
static int delete_batches(struct store *s, unsigned areas, const char *sql,
			  int64_t arg, int64_t *total, struct err *e)
{
	for (;;) {
		struct sqlp p = SQLP_INIT;
		sqlp_i64(&p, arg);
		int64_t n = 0;
		if (st_write1(s, areas, sql, &p, &n, e) < 0)
			return -1;
		*total += n;
		if (n < BATCH)
			return 0;
	}
}

static int prune_logs(struct store *s, const struct store_retention *r,
		      int64_t *total, struct err *e)
{
	unsigned area = STORE_AREA_BIT(STORE_AREA_LOGS);
	const char *by_id = "DELETE FROM logs WHERE id IN (SELECT id FROM logs "
			    "WHERE id <= $1 ORDER BY id LIMIT 5000)";
	if (r->log_age > 0) {
		struct sqlp p = SQLP_INIT;
		sqlp_i64(&p, clock_now_us() - r->log_age);
		int64_t cut = 0;
		if (st_query_i64(s, "SELECT max(id) FROM logs WHERE at < $1", &p, &cut, e) < 0)
			return -1;
		if (cut > 0 && delete_batches(s, area, by_id, cut, total, e) < 0)
			return -1;
	}
	if (r->log_max > 0) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT id FROM logs ORDER BY id DESC "
			 "LIMIT 1 OFFSET %lld", (long long)r->log_max);
		int64_t cut = 0;
		if (st_query_i64(s, sql, NULL, &cut, e) < 0)
			return -1;
		if (cut > 0 && delete_batches(s, area, by_id, cut, total, e) < 0)
			return -1;
	}
	return 0;
}

/* Finished runs, with everything hanging off them, a batch at a time. */
static int prune_runs(struct store *s, usec_t age, int64_t *total, struct err *e)
{
	static const char *const children[] = {
		"step_runs", "run_transitions", "validation_results",
	};
	for (;;) {
		if (st_begin(s, e) < 0)
			return -1;
		struct sqlp p = SQLP_INIT;
		sqlp_i64(&p, clock_now_us() - age);
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT id FROM runs WHERE state IN "
			 "('COMPLETED', 'CACHED', 'FAILED', 'CANCELLED', 'CRASHED') "
			 "AND ended_at < $1 ORDER BY id LIMIT %d", RUN_BATCH);
		struct db_cursor *c = st_query(s, sql, &p, e);
		if (!c) {
			st_rollback(s);
			return -1;
		}
		/* Ids we just read, pasted as numbers: no input reaches the SQL. */
		struct buf ids = BUF_INIT;
		int n = 0, rc;
		while ((rc = db_cursor_next(c, e)) == 1)
			buf_printf(&ids, "%s%lld", n++ ? ", " : "", (long long)col_i64(c, 0));
		db_cursor_close(c);
		for (size_t i = 0; rc == 0 && n > 0 && i <= ARRAY_LEN(children); i++) {
			const char *table = i < ARRAY_LEN(children) ? children[i] : "runs";
			char *del = xasprintf("DELETE FROM %s WHERE %s IN (%s)", table,
					      i < ARRAY_LEN(children) ? "run_id" : "id",
					      buf_str(&ids));
			rc = st_exec(s, del, NULL, NULL, e);
			free(del);
		}
		buf_free(&ids);
		if (rc < 0) {
			st_rollback(s);
			return -1;
		}
		if (st_commit(s, n ? STORE_AREA_BIT(STORE_AREA_RUNS) : 0, e) < 0)
			return -1;
		*total += n;
		if (n < RUN_BATCH)
			return 0;
	}
}

int store_prune(struct store *s, const struct store_retention *r,
		struct store_prune_stats *stats, struct err *e)
{
	struct store_prune_stats st = { 0 };
	if (st_writable(s, e) < 0)
		return -1;
	if (!r) {
		static const struct store_retention keep;
		r = &keep;
	}
	usec_t now = clock_now_us();
	int rc = prune_logs(s, r, &st.logs, e);
	if (rc == 0 && r->run_age > 0)
		rc = prune_runs(s, r->run_age, &st.runs, e);
	if (rc == 0 && r->task_age > 0)
		rc = delete_batches(s, STORE_AREA_BIT(STORE_AREA_TASKS),
				    "DELETE FROM task_history WHERE id IN (SELECT id "
				    "FROM task_history WHERE state IN ('SUCCEEDED', "
				    "'FAILED', 'SKIPPED', 'CANCELLED') AND COALESCE("
				    "completed_at, started_at, scheduled_at, 0) < "
				    "CAST($1 AS BIGINT) ORDER BY id LIMIT 5000)",
				    now - r->task_age, &st.tasks, e);
	if (rc == 0 && r->notify_age > 0)
		rc = delete_batches(s, STORE_AREA_BIT(STORE_AREA_NOTIFY),
				    "DELETE FROM notifications WHERE id IN (SELECT id "
				    "FROM notifications WHERE state IN ('SENT', 'FAILED') "
				    "AND created_at < $1 ORDER BY id LIMIT 5000)",
				    now - r->notify_age, &st.notifications, e);
	if (rc == 0 && r->request_age > 0)
		rc = delete_batches(s, STORE_AREA_BIT(STORE_AREA_REQUESTS),
				    "DELETE FROM requests WHERE id IN (SELECT id "
				    "FROM requests WHERE state IN ('DONE', 'FAILED') "
				    "AND completed_at < $1 ORDER BY id LIMIT 5000)",
				    now - r->request_age, &st.requests, e);
	if (rc == 0)
		rc = store_cache_purge(s, &st.cache, e);
	if (rc == 0 && s->d->analyze)
		rc = db_exec_script(s->db, s->d->analyze, e);
	if (stats)
		*stats = st;
	return rc;
}
