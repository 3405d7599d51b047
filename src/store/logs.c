/*
 * logs.c - structured log records in the control store, and the windowed
 * queries a console pages through.  Paging is by id (keyset), never by
 * offset, so the newest page and any page around a position cost the same
 * over a million records.  The sink that feeds this table from core's
 * logging lives in logsink.c.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

char *st_log_fields_json(const struct log_field *fields, size_t n)
{
	if (n == 0)
		return NULL;
	struct buf b = BUF_INIT;
	buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, ',');
		st_json_quote(&b, fields[i].key);
		buf_putc(&b, ':');
		st_json_quote(&b, fields[i].value);
	}
	buf_putc(&b, '}');
	return buf_detach(&b);
}

int st_log_insert(struct store *s, const struct store_log *l, int64_t *id,
		  struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, l->time);
	st_sqlp_i64(&p, l->level);
	st_sqlp_i64_or_null(&p, l->run_id);
	st_sqlp_str(&p, l->step);
	st_sqlp_str(&p, l->object);
	st_sqlp_str(&p, l->message ? l->message : "");
	st_sqlp_str(&p, l->fields);
	const char *sql = "INSERT INTO logs (at, level, run_id, step, object, message, "
			  "fields) VALUES ($1, $2, $3, $4, $5, $6, $7)";
	if (!id)
		return st_exec(s, sql, &p, NULL, e);
	char *returning = xasprintf("%s RETURNING id", sql);
	int rc = st_query_i64(s, returning, &p, id, e);
	free(returning);
	return rc == 1 ? 0 : -1;
}

int store_log_append(struct store *s, const struct log_record *rec, int64_t *id,
		     struct err *e)
{
	if (!rec)
		return err_set(e, ERR_INVALID, "no log record");
	struct store_log l = {
		.time = rec->time ? rec->time : clock_now_us(),
		.level = rec->level, .run_id = rec->run_id,
		.step = (char *)rec->step, .object = (char *)rec->object,
		.message = (char *)rec->message,
		.fields = st_log_fields_json(rec->fields, rec->nfields),
	};
	int rc = st_begin(s, e);
	if (rc == 0 && st_log_insert(s, &l, id, e) < 0) {
		st_rollback(s);
		rc = -1;
	}
	if (rc == 0)
		rc = st_commit(s, STORE_AREA_BIT(STORE_AREA_LOGS), e);
	free(l.fields);
	return rc;
}

static void *parse_log(struct db_cursor *c)
{
	struct store_log *l = xcalloc(1, sizeof(*l));
	l->id = st_col_i64(c, 0);
	l->time = st_col_i64(c, 1);
	int64_t level = st_col_i64(c, 2);
	l->level = level >= LOG_DEBUG && level <= LOG_ERROR ? (enum log_level)level
							     : LOG_INFO;
	l->run_id = st_col_i64(c, 3);
	l->step = st_col_str(c, 4);
	l->object = st_col_str(c, 5);
	l->message = st_col_str(c, 6);
	l->fields = st_col_str(c, 7);
	return l;
}

static void free_log_v(void *p)
{
	struct store_log *l = p;
	free(l->step);
	free(l->object);
	free(l->message);
	free(l->fields);
	free(l);
}

void store_log_list_free(struct vec *v)
{
	vec_free_all(v, free_log_v);
}

static void log_where(struct store *s, struct buf *sql, struct sqlp *p,
		      const struct store_log_filter *f)
{
	buf_puts(sql, " WHERE 1 = 1");
	if (f->run_id)
		buf_printf(sql, " AND run_id = $%d", st_sqlp_i64(p, f->run_id));
	if (f->step)
		buf_printf(sql, " AND step = $%d", st_sqlp_str(p, f->step));
	if (f->object)
		buf_printf(sql, " AND object = $%d", st_sqlp_str(p, f->object));
	if (f->min_level > LOG_DEBUG)
		buf_printf(sql, " AND level >= %d", (int)f->min_level);
	if (f->search && *f->search) {
		buf_printf(sql, " AND %s(lower(message), lower(CAST($%d AS TEXT))) > 0",
			   s->d->instr, st_sqlp_str(p, f->search));
	}
	if (f->after_id > 0)
		buf_printf(sql, " AND id > $%d", st_sqlp_i64(p, f->after_id));
	if (f->before_id > 0)
		buf_printf(sql, " AND id < $%d", st_sqlp_i64(p, f->before_id));
}

int store_log_query(struct store *s, const struct store_log_filter *f,
		    struct vec *out, struct err *e)
{
	static const struct store_log_filter all;
	if (!f)
		f = &all;
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT id, at, level, run_id, step, object, message, fields "
		 "FROM logs");
	log_where(s, &sql, &p, f);
	/* After an id: the next records up.  Otherwise the records just
	 * below the bound (or the newest), fetched downwards and turned
	 * round, so the caller always reads in id order. */
	bool ascending = f->after_id > 0 || (f->from_oldest && f->before_id <= 0);
	buf_printf(&sql, " ORDER BY id %s LIMIT %d", ascending ? "ASC" : "DESC",
		   st_clamp_limit(f->limit, 200, 10000));
	size_t start = out->len;
	int rc = st_collect(st_query(s, buf_str(&sql), &p, e), parse_log, free_log_v,
			    out, e);
	buf_free(&sql);
	if (rc == 0 && !ascending) {
		for (size_t i = start, j = out->len; i + 1 < j; i++, j--) {
			void *t = out->items[i];
			out->items[i] = out->items[j - 1];
			out->items[j - 1] = t;
		}
	}
	return rc;
}

int store_log_last_id(struct store *s, int64_t *id, struct err *e)
{
	*id = 0;
	return st_query_i64(s, "SELECT max(id) FROM logs", NULL, id, e) < 0 ? -1 : 0;
}
