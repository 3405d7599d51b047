/*
 * task_history.c - task history: one row per tick of a task (scheduled,
 * executing, and how it ended), the last result and the count of
 * consecutive failures that drives auto-suspension.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const task_names[TASK_STATE_COUNT] = {
	[TASK_SCHEDULED] = "SCHEDULED", [TASK_EXECUTING] = "EXECUTING",
	[TASK_SUCCEEDED] = "SUCCEEDED", [TASK_FAILED] = "FAILED",
	[TASK_SKIPPED] = "SKIPPED", [TASK_CANCELLED] = "CANCELLED",
	[TASK_MISSED] = "MISSED",
};

const char *task_state_name(enum task_state st)
{
	return (unsigned)st < TASK_STATE_COUNT ? task_names[st] : "?";
}

bool task_state_parse(const char *s, enum task_state *out)
{
	int v;
	if (!st_enum_parse(task_names, TASK_STATE_COUNT, s, &v))
		return false;
	*out = (enum task_state)v;
	return true;
}

#define TASK_COLS "id, task, scheduled_at, started_at, completed_at, state, " \
	"condition_result, error, run_id"

static void *parse_task(struct db_cursor *c)
{
	struct store_task_entry *t = xcalloc(1, sizeof(*t));
	t->id = st_col_i64(c, 0);
	t->task = st_col_str(c, 1);
	t->scheduled = st_col_i64(c, 2);
	t->started = st_col_i64(c, 3);
	t->completed = st_col_i64(c, 4);
	if (!task_state_parse(db_cursor_text(c, 5), &t->state))
		t->state = TASK_FAILED;
	t->condition = st_col_str(c, 6);
	t->error = st_col_str(c, 7);
	t->run_id = st_col_i64(c, 8);
	return t;
}

void store_task_free(struct store_task_entry *t)
{
	if (!t)
		return;
	free(t->task);
	free(t->condition);
	free(t->error);
	free(t);
}

static void free_task_v(void *p)
{
	store_task_free(p);
}

void store_task_list_free(struct vec *v)
{
	vec_free_all(v, free_task_v);
}

static int task_params(struct sqlp *p, const struct store_task_entry *t, struct err *e)
{
	if (!t || !t->task || !*t->task || (unsigned)t->state >= TASK_STATE_COUNT)
		return err_set(e, ERR_INVALID, "a task history entry needs a task "
			       "name and a state");
	st_sqlp_str(p, t->task);
	st_sqlp_i64_or_null(p, t->scheduled);
	st_sqlp_i64_or_null(p, t->started);
	st_sqlp_i64_or_null(p, t->completed);
	st_sqlp_str(p, task_state_name(t->state));
	st_sqlp_str(p, t->condition);
	st_sqlp_str(p, t->error);
	st_sqlp_i64_or_null(p, t->run_id);
	return 0;
}

int store_task_add(struct store *s, const struct store_task_entry *t, int64_t *id,
		   struct err *e)
{
	struct sqlp p = SQLP_INIT;
	if (task_params(&p, t, e) < 0)
		return -1;
	return st_insert_id(s, STORE_AREA_BIT(STORE_AREA_TASKS),
			    "INSERT INTO task_history (task, scheduled_at, started_at, "
			    "completed_at, state, condition_result, error, run_id) "
			    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id", &p, id, e);
}

int store_task_update(struct store *s, const struct store_task_entry *t,
		      struct err *e)
{
	struct sqlp p = SQLP_INIT;
	if (task_params(&p, t, e) < 0)
		return -1;
	st_sqlp_i64(&p, t->id);
	int64_t n = 0;
	if (st_write1(s, STORE_AREA_BIT(STORE_AREA_TASKS),
		      "UPDATE task_history SET task = $1, scheduled_at = $2, "
		      "started_at = $3, completed_at = $4, state = $5, "
		      "condition_result = $6, error = $7, run_id = $8 WHERE id = $9",
		      &p, &n, e) < 0)
		return -1;
	if (n == 0)
		return err_set(e, ERR_NOTFOUND, "no task history entry %lld",
			       (long long)t->id);
	return 0;
}

int store_task_list(struct store *s, const char *task, int limit, int offset,
		    struct vec *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT " TASK_COLS " FROM task_history");
	if (task)
		buf_printf(&sql, " WHERE task = $%d", st_sqlp_str(&p, task));
	buf_printf(&sql, " ORDER BY id DESC LIMIT %d OFFSET %d",
		   st_clamp_limit(limit, 100, 10000), offset > 0 ? offset : 0);
	int rc = st_collect(st_query(s, buf_str(&sql), &p, e), parse_task, free_task_v,
			    out, e);
	buf_free(&sql);
	return rc;
}

int store_task_last(struct store *s, const char *task, struct store_task_entry **out,
		    struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, task);
	int rc;
	*out = st_collect_one(st_query(s, "SELECT " TASK_COLS " FROM task_history "
				       "WHERE task = $1 AND state IN ('SUCCEEDED', "
				       "'FAILED', 'SKIPPED', 'CANCELLED', 'MISSED') "
				       "ORDER BY id DESC LIMIT 1", &p, e),
			      parse_task, free_task_v, &rc, e);
	return rc;
}

int store_task_failures(struct store *s, const char *task, usec_t since, int *count,
			struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, task);
	st_sqlp_i64(&p, since);
	int64_t n = 0;
	if (st_query_i64(s, "SELECT count(*) FROM task_history WHERE task = $1 "
			 "AND state = 'FAILED' "
			 "AND COALESCE(completed_at, started_at, scheduled_at, 0) >= CAST($2 AS BIGINT) "
			 "AND id > COALESCE((SELECT max(id) FROM task_history "
			 "WHERE task = $1 AND state = 'SUCCEEDED'), 0)", &p, &n, e) < 0)
		return -1;
	*count = (int)n;
	return 0;
}
