/*
 * prune.c - retention: old logs, finished runs (and, sooner, their
 * transitions), task history, sent notifications, completed requests,
 * expired cache entries and the load history of files gone from the lake
 * are deleted in batches, one short transaction each, so that pruning
 * never holds the store's write lock long enough for a console or worker
 * to notice.  A caller with other work to do (the engine's scheduler)
 * passes a budget of batches and comes back for the rest; a dry run counts
 * what would go with the same conditions.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define BATCH 1000
#define RUN_BATCH 200
#define FINISHED "('COMPLETED', 'CACHED', 'FAILED', 'CANCELLED', 'CRASHED')"

/* ---- kinds pruned row by row ------------------------------------------------ */

/* Rows of one table that may go: `where` holds for them, with $1 (and $2
 * when it has two) the kind's cuts. */
struct rows_kind {
	const char *table;
	const char *where;
	int ncuts;
	enum store_area area;
};

static const struct rows_kind logs_kind = {
	"logs", "(at < $1 OR id <= $2)", 2, STORE_AREA_LOGS,
};
static const struct rows_kind tasks_kind = {
	"task_history", "state IN ('SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED') AND "
	"COALESCE(completed_at, started_at, scheduled_at, 0) < CAST($1 AS BIGINT)", 1,
	STORE_AREA_TASKS,
};
static const struct rows_kind notify_kind = {
	"notifications", "state IN ('SENT', 'FAILED') AND created_at < $1", 1,
	STORE_AREA_NOTIFY,
};
static const struct rows_kind requests_kind = {
	"requests", "state IN ('DONE', 'FAILED') AND completed_at < $1", 1,
	STORE_AREA_REQUESTS,
};

/* Take one transaction from the budget; false when none is left. */
static bool spend(int *budget)
{
	if (*budget <= 0)
		return false;
	(*budget)--;
	return true;
}

static void bind_cuts(struct sqlp *p, int64_t a, int64_t b)
{
	st_sqlp_i64(p, a);
	st_sqlp_i64(p, b);
}

static void bind_kind(struct sqlp *p, const struct rows_kind *k, int64_t a, int64_t b)
{
	st_sqlp_i64(p, a);
	if (k->ncuts > 1)
		st_sqlp_i64(p, b);
}

static int rows_count(struct store *s, const struct rows_kind *k, int64_t a, int64_t b,
		      int64_t *n, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	bind_kind(&p, k, a, b);
	char *sql = xasprintf("SELECT count(*) FROM %s WHERE %s", k->table, k->where);
	int rc = st_query_i64(s, sql, &p, n, e);
	free(sql);
	return rc < 0 ? -1 : 0;
}

/* Batches until none is full or the budget is spent: 1 when it was spent
 * (there may be more), 0 done. */
static int rows_delete(struct store *s, const struct rows_kind *k, int64_t a, int64_t b,
		       int *budget, int64_t *total, struct err *e)
{
	char *sql = xasprintf("DELETE FROM %s WHERE id IN (SELECT id FROM %s WHERE %s "
			      "ORDER BY id LIMIT %d)", k->table, k->table, k->where, BATCH);
	int rc = 0;
	for (;;) {
		if (!spend(budget)) {
			rc = 1;
			break;
		}
		struct sqlp p = SQLP_INIT;
		bind_kind(&p, k, a, b);
		int64_t n = 0;
		if (st_write1(s, STORE_AREA_BIT(k->area), sql, &p, &n, e) < 0) {
			rc = -1;
			break;
		}
		*total += n;
		if (n < BATCH)
			break;
	}
	free(sql);
	return rc;
}

/* The logs' two cuts: older than the age, and beyond the newest log_max
 * (the id at and below which records go; 0 none). */
static int log_cuts(struct store *s, const struct store_retention *r, int64_t *age_cut,
		    int64_t *id_cut, struct err *e)
{
	*age_cut = r->log_age > 0 ? clock_now_us() - r->log_age : 0;
	*id_cut = 0;
	if (r->log_max <= 0)
		return 0;
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT id FROM logs ORDER BY id DESC LIMIT 1 OFFSET %lld",
		 (long long)r->log_max);
	return st_query_i64(s, sql, NULL, id_cut, e) < 0 ? -1 : 0;
}

/* ---- runs and their transitions ---------------------------------------------- */

/* Ids of finished runs ended before `cut` (and not before `floor`), at most
 * RUN_BATCH, as a list to paste into SQL ("1, 2, 3"); *n how many.  With
 * `with_transitions`, only runs that still have transitions. */
static int run_batch(struct store *s, int64_t cut, int64_t floor, bool with_transitions,
		     struct buf *ids, int *n, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	bind_cuts(&p, cut, floor);
	char sql[400];
	snprintf(sql, sizeof sql, "SELECT id FROM runs WHERE state IN " FINISHED " AND "
		 "ended_at < $1 AND ended_at >= $2%s ORDER BY id LIMIT %d",
		 with_transitions ? " AND EXISTS (SELECT 1 FROM run_transitions t "
				    "WHERE t.run_id = runs.id)" : "", RUN_BATCH);
	struct db_cursor *c = st_query(s, sql, &p, e);
	if (!c)
		return -1;
	/* Ids we just read, pasted as numbers: no input reaches the SQL. */
	int rc;
	*n = 0;
	while ((rc = db_cursor_next(c, e)) == 1)
		buf_printf(ids, "%s%lld", (*n)++ ? ", " : "", (long long)st_col_i64(c, 0));
	db_cursor_close(c);
	return rc;
}

/* One batch of finished runs ended in [floor, cut): with `whole` the runs
 * go with everything hanging off them, else only their transitions.  *n
 * runs, *rows transitions. */
static int delete_run_batch(struct store *s, int64_t cut, int64_t floor, bool whole,
			    int *n, int64_t *rows, struct err *e)
{
	static const char *const whole_tables[] = {
		"step_runs", "run_step_defs", "run_transitions", "validation_results", "runs",
	};
	static const char *const transitions_only[] = { "run_transitions" };
	const char *const *tables = whole ? whole_tables : transitions_only;
	size_t ntables = whole ? ARRAY_LEN(whole_tables) : 1;
	if (st_begin(s, e) < 0)
		return -1;
	struct buf ids = BUF_INIT;
	int rc = run_batch(s, cut, floor, !whole, &ids, n, e);
	*rows = 0;
	for (size_t i = 0; rc == 0 && *n > 0 && i < ntables; i++) {
		bool runs = strcmp(tables[i], "runs") == 0;
		char *del = xasprintf("DELETE FROM %s WHERE %s IN (%s)", tables[i],
				      runs ? "id" : "run_id", buf_str(&ids));
		rc = st_exec(s, del, NULL, strcmp(tables[i], "run_transitions") ? NULL : rows, e);
		free(del);
	}
	/* the texts no run names any more */
	if (rc == 0 && whole && *n > 0)
		rc = st_exec(s, "DELETE FROM step_defs WHERE NOT EXISTS (SELECT 1 FROM "
			     "run_step_defs r WHERE r.hash = step_defs.hash)", NULL, NULL, e);
	buf_free(&ids);
	if (rc < 0) {
		st_rollback(s);
		return -1;
	}
	return st_commit(s, *n ? STORE_AREA_BIT(STORE_AREA_RUNS) : 0, e);
}

/* Batches of delete_run_batch within the budget; *total counts runs when
 * `whole`, else transitions.  1 the budget ran out, 0 done. */
static int prune_run_batches(struct store *s, int64_t cut, int64_t floor, bool whole,
			     int *budget, int64_t *total, struct err *e)
{
	for (;;) {
		if (!spend(budget))
			return 1;
		int n;
		int64_t rows;
		if (delete_run_batch(s, cut, floor, whole, &n, &rows, e) < 0)
			return -1;
		*total += whole ? n : rows;
		if (n < RUN_BATCH)
			return 0;
	}
}

/* Transitions of runs that ended before the transitions' cut but after the
 * runs' own (older runs go whole). */
static void transition_cuts(const struct store_retention *r, int64_t *cut, int64_t *floor)
{
	usec_t now = clock_now_us();
	*cut = now - r->transition_age;
	*floor = r->run_age > 0 && r->run_age > r->transition_age ? now - r->run_age : 0;
}

/* ---- the passes ------------------------------------------------------------------ */

static bool transitions_apply(const struct store_retention *r)
{
	return r->transition_age > 0 && (r->run_age <= 0 || r->transition_age < r->run_age);
}

enum stage { ST_LOGS, ST_RUNS, ST_TRANSITIONS, ST_TASKS, ST_NOTIFY, ST_REQUESTS,
	     ST_CACHE, ST_DONE };

/* One kind: 1 the budget ran out, 0 done with it, -1 error. */
static int prune_stage(struct store *s, const struct store_retention *r, enum stage st,
		       int *budget, struct store_prune_stats *stats, struct err *e)
{
	usec_t now = clock_now_us();
	int64_t a, b, n = 0;
	int rc;
	switch (st) {
	case ST_LOGS:
		if (log_cuts(s, r, &a, &b, e) < 0)
			return -1;
		return a || b ? rows_delete(s, &logs_kind, a, b, budget, &stats->logs, e) : 0;
	case ST_RUNS:
		return r->run_age > 0 ? prune_run_batches(s, now - r->run_age, 0, true, budget,
							  &stats->runs, e) : 0;
	case ST_TRANSITIONS:
		if (!transitions_apply(r))
			return 0;
		transition_cuts(r, &a, &b);
		return prune_run_batches(s, a, b, false, budget, &stats->transitions, e);
	case ST_TASKS:
		return r->task_age > 0 ? rows_delete(s, &tasks_kind, now - r->task_age, 0,
						     budget, &stats->tasks, e) : 0;
	case ST_NOTIFY:
		return r->notify_age > 0 ? rows_delete(s, &notify_kind, now - r->notify_age, 0,
						       budget, &stats->notifications, e) : 0;
	case ST_REQUESTS:
		return r->request_age > 0 ? rows_delete(s, &requests_kind, now - r->request_age,
							0, budget, &stats->requests, e) : 0;
	case ST_CACHE:
		rc = store_cache_purge(s, &n, e);
		stats->cache += n;
		return rc;
	case ST_DONE:
		break;
	}
	return 0;
}

int store_prune_some(struct store *s, const struct store_retention *r, int *stage,
		     int *budget, struct store_prune_stats *stats, struct err *e)
{
	if (st_writable(s, e) < 0)
		return -1;
	for (; *stage < ST_DONE; (*stage)++) {
		int rc = prune_stage(s, r, (enum stage)*stage, budget, stats, e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int store_prune_count(struct store *s, const struct store_retention *r,
		      struct store_prune_stats *stats, struct err *e)
{
	memset(stats, 0, sizeof *stats);
	usec_t now = clock_now_us();
	int64_t a, b;
	if (log_cuts(s, r, &a, &b, e) < 0)
		return -1;
	int rc = (a || b) ? rows_count(s, &logs_kind, a, b, &stats->logs, e) : 0;
	struct sqlp p = SQLP_INIT;
	if (rc == 0 && r->run_age > 0) {
		st_sqlp_i64(&p, now - r->run_age);
		rc = st_query_i64(s, "SELECT count(*) FROM runs WHERE state IN " FINISHED
				  " AND ended_at < $1", &p, &stats->runs, e) < 0 ? -1 : 0;
	}
	if (rc == 0 && transitions_apply(r)) {
		int64_t cut, floor;
		transition_cuts(r, &cut, &floor);
		struct sqlp q = SQLP_INIT;
		bind_cuts(&q, cut, floor);
		rc = st_query_i64(s, "SELECT count(*) FROM run_transitions WHERE run_id IN "
				  "(SELECT id FROM runs WHERE state IN " FINISHED " AND "
				  "ended_at < $1 AND ended_at >= $2)", &q, &stats->transitions,
				  e) < 0 ? -1 : 0;
	}
	if (rc == 0 && r->task_age > 0)
		rc = rows_count(s, &tasks_kind, now - r->task_age, 0, &stats->tasks, e);
	if (rc == 0 && r->notify_age > 0)
		rc = rows_count(s, &notify_kind, now - r->notify_age, 0, &stats->notifications, e);
	if (rc == 0 && r->request_age > 0)
		rc = rows_count(s, &requests_kind, now - r->request_age, 0, &stats->requests, e);
	if (rc == 0) {
		struct sqlp q = SQLP_INIT;
		st_sqlp_i64(&q, now);
		rc = st_query_i64(s, "SELECT count(*) FROM step_cache WHERE expires_at > 0 "
				  "AND expires_at <= $1", &q, &stats->cache, e) < 0 ? -1 : 0;
	}
	return rc;
}

int store_prune(struct store *s, const struct store_retention *r,
		struct store_prune_stats *stats, struct err *e)
{
	static const struct store_retention keep;
	struct store_prune_stats st = { 0 };
	if (!r)
		r = &keep;
	int rc, stage = 0;
	do {
		int budget = 1000;
		rc = store_prune_some(s, r, &stage, &budget, &st, e);
	} while (rc == 1);
	if (rc == 0 && s->d->analyze)
		rc = db_exec_script(s->db, s->d->analyze, e);
	if (stats)
		*stats = st;
	return rc;
}

/* ---- load history --------------------------------------------------------------- */

struct load_row {
	int64_t id;
	char *key;
	bool newest;
};

/* The next rows of the pipe's history older than `cut`, after `after_id`,
 * each with whether it is its file's newest. */
static int load_batch(struct store *s, const char *pipe, int64_t cut, int64_t after_id,
		      struct load_row *rows, int *n, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, pipe);
	st_sqlp_i64(&p, cut);
	st_sqlp_i64(&p, after_id);
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT id, file_key, NOT EXISTS (SELECT 1 FROM "
		 "load_history later WHERE later.pipe = h.pipe AND later.file_key = "
		 "h.file_key AND later.id > h.id) FROM load_history h WHERE pipe = $1 "
		 "AND loaded_at < $2 AND id > $3 ORDER BY id LIMIT %d", BATCH);
	struct db_cursor *c = st_query(s, sql, &p, e);
	if (!c)
		return -1;
	int rc;
	*n = 0;
	while ((rc = db_cursor_next(c, e)) == 1) {
		rows[*n].id = st_col_i64(c, 0);
		rows[*n].key = st_col_str(c, 1);
		rows[*n].newest = st_col_bool(c, 2);
		(*n)++;
	}
	db_cursor_close(c);
	return rc;
}

int store_load_prune(struct store *s, const char *pipe, usec_t before,
		     bool (*present)(const char *key, void *arg), void *arg, bool dry_run,
		     int64_t *after_id, int *budget, int64_t *total, struct err *e)
{
	if (!dry_run && st_writable(s, e) < 0)
		return -1;
	struct load_row *rows = xcalloc(BATCH, sizeof *rows);
	int rc = 0;
	for (;;) {
		if (!spend(budget)) {
			rc = 1;
			break;
		}
		int n = 0;
		if (load_batch(s, pipe, before, *after_id, rows, &n, e) < 0) {
			rc = -1;
			break;
		}
		/* The newest record of a file still in the lake is what keeps the
		 * pipe from loading it again: it stays, however old. */
		struct buf ids = BUF_INIT;
		int gone = 0;
		for (int i = 0; i < n; i++) {
			if (!rows[i].newest || !present(rows[i].key, arg))
				buf_printf(&ids, "%s%lld", gone++ ? ", " : "",
					   (long long)rows[i].id);
			free(rows[i].key);
		}
		if (n)
			*after_id = rows[n - 1].id;
		if (gone && !dry_run) {
			char *del = xasprintf("DELETE FROM load_history WHERE id IN (%s)",
					      buf_str(&ids));
			rc = st_write1(s, STORE_AREA_BIT(STORE_AREA_PIPES), del, NULL, NULL, e);
			free(del);
		}
		buf_free(&ids);
		if (rc < 0)
			break;
		*total += gone;
		if (n < BATCH)
			break;
	}
	free(rows);
	return rc;
}
