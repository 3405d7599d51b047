/*
 * loads.c - a pipe's load history: one row per attempt to load a file,
 * with what was parsed and loaded and the first error (message, line,
 * column, column name).  The data database's ledger is the truth about
 * what was committed; this is the operator's record and the pipe's quick
 * answer to "seen this file before?".
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[LOAD_STATUS_COUNT] = {
	[LOAD_LOADED] = "LOADED", [LOAD_FAILED] = "LOAD_FAILED",
	[LOAD_PARTIALLY_LOADED] = "PARTIALLY_LOADED",
};

const char *load_status_name(enum load_status st)
{
	return (unsigned)st < LOAD_STATUS_COUNT ? status_names[st] : "?";
}

bool load_status_parse(const char *s, enum load_status *out)
{
	int v;
	if (!enum_parse(status_names, LOAD_STATUS_COUNT, s, &v))
		return false;
	*out = (enum load_status)v;
	return true;
}

#define LOAD_COLS "id, pipe, file_key, size, checksum, rows_parsed, rows_loaded, " \
	"error_count, first_error, first_error_line, first_error_column, " \
	"first_error_column_name, status, loaded_at, run_id, loaded_by"

static void *parse_load(struct db_cursor *c)
{
	struct store_load *l = xcalloc(1, sizeof(*l));
	l->id = col_i64(c, 0);
	l->pipe = col_str(c, 1);
	l->file_key = col_str(c, 2);
	l->size = col_i64(c, 3);
	l->checksum = col_str(c, 4);
	l->rows_parsed = col_i64(c, 5);
	l->rows_loaded = col_i64(c, 6);
	l->error_count = col_i64(c, 7);
	l->first_error = col_str(c, 8);
	l->first_error_line = col_i64(c, 9);
	l->first_error_column = col_i64(c, 10);
	l->first_error_column_name = col_str(c, 11);
	if (!load_status_parse(db_cursor_text(c, 12), &l->status))
		l->status = LOAD_FAILED;
	l->loaded = col_i64(c, 13);
	l->run_id = col_i64(c, 14);
	l->loaded_by = col_str(c, 15);
	return l;
}

void store_load_free(struct store_load *l)
{
	if (!l)
		return;
	free(l->pipe);
	free(l->file_key);
	free(l->checksum);
	free(l->first_error);
	free(l->first_error_column_name);
	free(l->loaded_by);
	free(l);
}

static void free_load_v(void *p)
{
	store_load_free(p);
}

void store_load_list_free(struct vec *v)
{
	vec_free_all(v, free_load_v);
}

int store_load_add(struct store *s, const struct store_load *l, int64_t *id,
		   struct err *e)
{
	if (!l || !l->pipe || !l->file_key || (unsigned)l->status >= LOAD_STATUS_COUNT)
		return err_set(e, ERR_INVALID, "a load history entry needs a pipe, "
			       "a file key and a status");
	struct sqlp p = SQLP_INIT;
	sqlp_str(&p, l->pipe);
	sqlp_str(&p, l->file_key);
	sqlp_i64(&p, l->size);
	sqlp_str(&p, l->checksum);
	sqlp_i64(&p, l->rows_parsed);
	sqlp_i64(&p, l->rows_loaded);
	sqlp_i64(&p, l->error_count);
	sqlp_str(&p, l->first_error);
	sqlp_i64_or_null(&p, l->first_error_line);
	sqlp_i64_or_null(&p, l->first_error_column);
	sqlp_str(&p, l->first_error_column_name);
	sqlp_str(&p, load_status_name(l->status));
	sqlp_i64(&p, l->loaded ? l->loaded : clock_now_us());
	sqlp_i64_or_null(&p, l->run_id);
	sqlp_str(&p, l->loaded_by);
	return st_insert_id(s, STORE_AREA_BIT(STORE_AREA_PIPES),
			    "INSERT INTO load_history (pipe, file_key, size, checksum, "
			    "rows_parsed, rows_loaded, error_count, first_error, "
			    "first_error_line, first_error_column, first_error_column_name, "
			    "status, loaded_at, run_id, loaded_by) VALUES ($1, $2, $3, $4, $5, "
			    "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id", &p,
			    id, e);
}

int store_load_get(struct store *s, const char *pipe, const char *file_key,
		   struct store_load **out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	sqlp_str(&p, pipe);
	sqlp_str(&p, file_key);
	int rc;
	*out = st_collect_one(st_query(s, "SELECT " LOAD_COLS " FROM load_history "
				       "WHERE pipe = $1 AND file_key = $2 "
				       "ORDER BY id DESC LIMIT 1", &p, e),
			      parse_load, free_load_v, &rc, e);
	return rc;
}

int store_load_list(struct store *s, const char *pipe, unsigned status_mask,
		    int limit, int offset, struct vec *out, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT " LOAD_COLS " FROM load_history WHERE 1 = 1");
	if (pipe)
		buf_printf(&sql, " AND pipe = $%d", sqlp_str(&p, pipe));
	if (status_mask & ((1u << LOAD_STATUS_COUNT) - 1)) {
		const char *sep = "";
		buf_puts(&sql, " AND status IN (");
		for (int i = 0; i < LOAD_STATUS_COUNT; i++) {
			if (status_mask & (1u << i)) {
				buf_printf(&sql, "%s'%s'", sep, status_names[i]);
				sep = ", ";
			}
		}
		buf_putc(&sql, ')');
	}
	buf_printf(&sql, " ORDER BY id DESC LIMIT %d OFFSET %d",
		   clamp_limit(limit, 100, 10000), offset > 0 ? offset : 0);
	int rc = st_collect(st_query(s, buf_str(&sql), &p, e), parse_load, free_load_v,
			    out, e);
	buf_free(&sql);
	return rc;
}

int store_load_counts(struct store *s, const char *pipe,
		      int64_t counts[LOAD_STATUS_COUNT], struct err *e)
{
	struct sqlp p = SQLP_INIT;
	sqlp_str(&p, pipe);
	for (int i = 0; i < LOAD_STATUS_COUNT; i++)
		counts[i] = 0;
	struct db_cursor *c = st_query(s, "SELECT status, count(*) FROM load_history "
				       "WHERE pipe = $1 GROUP BY status", &p, e);
	if (!c)
		return -1;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		enum load_status st;
		if (load_status_parse(db_cursor_text(c, 0), &st))
			counts[st] = col_i64(c, 1);
	}
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}
