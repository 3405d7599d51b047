/*
 * cache.c - the step cache (a step's recorded result by key, with an
 * expiry) and the record of schema changes seen while loading.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- step cache ----------------------------------------------------------------- */
static void *parse_cache(struct db_cursor *c)
{
	struct store_cache_entry *ce = xcalloc(1, sizeof(*ce));
	ce->key = st_col_str(c, 0);
	ce->value = st_col_str(c, 1);
	ce->run_id = st_col_i64(c, 2);
	ce->created = st_col_i64(c, 3);
	ce->expires = st_col_i64(c, 4);
	return ce;
}

void store_cache_free(struct store_cache_entry *c)
{
	if (!c)
		return;
	free(c->key);
	free(c->value);
	free(c);
}

static void free_cache_v(void *p)
{
	store_cache_free(p);
}

int store_cache_get(struct store *s, const char *key, struct store_cache_entry **out,
		    struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, key);
	st_sqlp_i64(&p, clock_now_us());
	/* Expired entries are invisible at once; store_cache_purge and
	 * store_cache_put delete them later (a read-only store cannot). */
	int rc;
	*out = st_collect_one(st_query(s, "SELECT cache_key, value, run_id, created_at, "
				       "expires_at FROM step_cache WHERE cache_key = $1 "
				       "AND (expires_at = 0 OR expires_at > $2)", &p, e),
			      parse_cache, free_cache_v, &rc, e);
	return rc;
}

static int purge_locked(struct store *s, int64_t *n, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, clock_now_us());
	return st_exec(s, "DELETE FROM step_cache WHERE expires_at > 0 "
		       "AND expires_at <= $1", &p, n, e);
}

int store_cache_put(struct store *s, const char *key, const char *value,
		    int64_t run_id, usec_t ttl, struct err *e)
{
	if (!key || !*key || ttl < 0)
		return err_set(e, ERR_INVALID, "a cache entry needs a key and a "
			       "time to live of 0 (forever) or more");
	usec_t now = clock_now_us();
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, key);
	st_sqlp_str(&p, value);
	st_sqlp_i64_or_null(&p, run_id);
	st_sqlp_i64(&p, now);
	st_sqlp_i64(&p, ttl ? now + ttl : 0);
	if (st_begin(s, e) < 0)
		return -1;
	if (purge_locked(s, NULL, e) < 0 ||
	    st_exec(s, "INSERT INTO step_cache (cache_key, value, run_id, created_at, "
		    "expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (cache_key) "
		    "DO UPDATE SET value = excluded.value, run_id = excluded.run_id, "
		    "created_at = excluded.created_at, expires_at = excluded.expires_at",
		    &p, NULL, e) < 0) {
		st_rollback(s);
		return -1;
	}
	return st_commit(s, STORE_AREA_BIT(STORE_AREA_CACHE), e);
}

int store_cache_delete(struct store *s, const char *key, struct err *e)
{
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, key);
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_CACHE),
			 "DELETE FROM step_cache WHERE cache_key = $1", &p, NULL, e);
}

int store_cache_purge(struct store *s, int64_t *n, struct err *e)
{
	int64_t removed = 0;
	if (st_begin(s, e) < 0)
		return -1;
	if (purge_locked(s, &removed, e) < 0) {
		st_rollback(s);
		return -1;
	}
	if (st_commit(s, removed ? STORE_AREA_BIT(STORE_AREA_CACHE) : 0, e) < 0)
		return -1;
	if (n)
		*n = removed;
	return 0;
}

/* ---- schema changes --------------------------------------------------------------- */
static const char *const change_names[SCHEMA_CHANGE_COUNT] = {
	[SCHEMA_ADDED] = "added", [SCHEMA_WIDENED] = "widened",
	[SCHEMA_DROPPED_IN_SOURCE] = "dropped_in_source",
};

const char *schema_change_name(enum schema_change_kind k)
{
	return (unsigned)k < SCHEMA_CHANGE_COUNT ? change_names[k] : "?";
}

bool schema_change_parse(const char *s, enum schema_change_kind *out)
{
	int v;
	if (!st_enum_parse(change_names, SCHEMA_CHANGE_COUNT, s, &v))
		return false;
	*out = (enum schema_change_kind)v;
	return true;
}

static void *parse_change(struct db_cursor *c)
{
	struct store_schema_change *sc = xcalloc(1, sizeof(*sc));
	sc->id = st_col_i64(c, 0);
	sc->connection = st_col_str(c, 1);
	sc->table = st_col_str(c, 2);
	sc->column = st_col_str(c, 3);
	if (!schema_change_parse(db_cursor_text(c, 4), &sc->kind))
		sc->kind = SCHEMA_ADDED;
	sc->old_type = st_col_str(c, 5);
	sc->new_type = st_col_str(c, 6);
	sc->run_id = st_col_i64(c, 7);
	sc->at = st_col_i64(c, 8);
	return sc;
}

static void free_change_v(void *p)
{
	struct store_schema_change *sc = p;
	free(sc->connection);
	free(sc->table);
	free(sc->column);
	free(sc->old_type);
	free(sc->new_type);
	free(sc);
}

void store_schema_change_list_free(struct vec *v)
{
	vec_free_all(v, free_change_v);
}

int store_schema_change_add(struct store *s, const struct store_schema_change *c,
			    struct err *e)
{
	if (!c || !c->connection || !c->table || !c->column ||
	    (unsigned)c->kind >= SCHEMA_CHANGE_COUNT)
		return err_set(e, ERR_INVALID, "a schema change needs connection, "
			       "table, column and kind");
	struct sqlp p = SQLP_INIT;
	st_sqlp_str(&p, c->connection);
	st_sqlp_str(&p, c->table);
	st_sqlp_str(&p, c->column);
	st_sqlp_str(&p, schema_change_name(c->kind));
	st_sqlp_str(&p, c->old_type);
	st_sqlp_str(&p, c->new_type);
	st_sqlp_i64_or_null(&p, c->run_id);
	st_sqlp_i64(&p, c->at ? c->at : clock_now_us());
	return st_write1(s, STORE_AREA_BIT(STORE_AREA_SCHEMA),
			 "INSERT INTO schema_changes (connection, tbl, col, kind, "
			 "old_type, new_type, run_id, at) VALUES ($1, $2, $3, $4, $5, "
			 "$6, $7, $8)", &p, NULL, e);
}

int store_schema_change_list(struct store *s, const char *connection,
			     const char *table, int limit, struct vec *out,
			     struct err *e)
{
	struct sqlp p = SQLP_INIT;
	struct buf sql = BUF_INIT;
	buf_puts(&sql, "SELECT id, connection, tbl, col, kind, old_type, new_type, "
		 "run_id, at FROM schema_changes WHERE 1 = 1");
	if (connection)
		buf_printf(&sql, " AND connection = $%d", st_sqlp_str(&p, connection));
	if (table)
		buf_printf(&sql, " AND tbl = $%d", st_sqlp_str(&p, table));
	buf_printf(&sql, " ORDER BY id DESC LIMIT %d", st_clamp_limit(limit, 100, 10000));
	int rc = st_collect(st_query(s, buf_str(&sql), &p, e), parse_change,
			    free_change_v, out, e);
	buf_free(&sql);
	return rc;
}
