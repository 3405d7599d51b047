/*
 * audit.c - the operators' actions: who started, cancelled, retried,
 * approved, discarded, suspended, resumed or forced what, when, and from
 * which user and host.
 *
 * An action is announced before it is taken (store_audit_next) and its
 * row is written by the next commit on the same handle, inside that
 * transaction (st_audit_write from st_commit): the record and the change
 * it records stand or fall together.  A rollback, or an action that ends
 * without writing, forgets it (store_audit_drop).
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static void audit_free(struct store_audit *a)
{
	free(a->action);
	free(a->object);
	free(a->user);
	free(a->host);
	free(a->via);
	free(a->command);
	free(a);
}

void store_audit_drop(struct store *s)
{
	if (s->audit)
		audit_free(s->audit);
	s->audit = NULL;
}

void store_audit_next(struct store *s, const char *action, const char *object,
		      const char *by, const char *via, const char *command)
{
	store_audit_drop(s);
	struct store_audit *a = xcalloc(1, sizeof *a);
	a->action = xstrdup(action);
	a->object = xstrdup(object);
	/* "alice@bastion": the user, and the host the action came from */
	const char *at = by ? strrchr(by, '@') : NULL;
	a->user = at ? xasprintf("%.*s", (int)(at - by), by) : xstrdup(by ? by : "?");
	a->host = xstrdup(at ? at + 1 : "?");
	a->via = xstrdup(via);
	a->command = command ? log_mask(command) : NULL;
	s->audit = a;
}

int st_audit_write(struct store *s, struct err *e)
{
	struct store_audit *a = s->audit;
	if (!a)
		return 0;
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, clock_now_us());
	st_sqlp_str(&p, a->action);
	st_sqlp_str(&p, a->object);
	st_sqlp_str(&p, a->user);
	st_sqlp_str(&p, a->host);
	st_sqlp_str(&p, a->via);
	st_sqlp_str(&p, a->command);
	int rc = st_exec(s, "INSERT INTO audit (at, action, object, by_user, by_host, via, "
			 "command) VALUES ($1, $2, $3, $4, $5, $6, $7)", &p, NULL, e);
	store_audit_drop(s);     /* one action, one row */
	return rc;
}

static void *parse_audit(struct db_cursor *c)
{
	struct store_audit *a = xcalloc(1, sizeof *a);
	a->id = st_col_i64(c, 0);
	a->at = st_col_i64(c, 1);
	a->action = st_col_str(c, 2);
	a->object = st_col_str(c, 3);
	a->user = st_col_str(c, 4);
	a->host = st_col_str(c, 5);
	a->via = st_col_str(c, 6);
	a->command = st_col_str(c, 7);
	return a;
}

static void free_audit_v(void *p)
{
	audit_free(p);
}

void store_audit_list_free(struct vec *v)
{
	vec_free_all(v, free_audit_v);
}

int store_audit_list(struct store *s, int limit, struct vec *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, st_clamp_limit(limit, 100, 10000));
	return st_collect(st_query(s, "SELECT id, at, action, object, by_user, by_host, via, "
				   "command FROM audit ORDER BY id DESC LIMIT "
				   "CAST($1 AS BIGINT)", &p, e),
			  parse_audit, free_audit_v, out, e);
}
