/*
 * backfill_swap.c - approve and discard: what a backfill does to tables.
 *
 * Approve swaps per connection, in one transaction: for each target, drop
 * TABLE_old, rename TABLE to TABLE_old and TABLE_backfill to TABLE, and
 * carry index names along (a load creates its indexes by name "IF NOT
 * EXISTS": an index named TABLE_backfill_* left on TABLE would keep the
 * next backfill's table from getting its own).  Both dialects roll DDL
 * back, so a reader sees the old tables or the new ones, never a missing
 * one: PostgreSQL makes a reader wait for the renaming transaction and
 * then looks the name up again; SQLite readers in WAL keep their snapshot
 * until their next statement.  The ledger entry
 * "store:STORE:backfill:ID:swap" commits with the swap, so a rerun after
 * a crash knows which connections are done.  Discard drops the
 * TABLE_backfill tables and nothing else.
 *
 * Before a rebuild each existing target is copied in shape (columns,
 * types, keys, defaults, indexes; no rows) to TABLE_backfill, so the
 * rebuilt table is the same table with new contents: a column the load
 * does not write (a serial key made by a schema step, say) is kept, and a
 * column the transform gained is added by the load's schema drift as it
 * would be on TABLE.
 */
#include "backfill/backfill_int.h"
#include "db/db.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Drop every TABLE_backfill, one transaction per connection. */
int backfill_drop_tables(struct bf *b, cJSON *dropped, struct err *e)
{
	struct target *t;
	size_t n = backfill_targets(b->rec, &t);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct db *db = step_conns_get(backfill_conns(b), t[i].connection, e);
		if (!db) {
			rc = -1;
			break;
		}
		int ex = db_table_exists(db, t[i].backfill, e);
		if (ex < 0 || (ex == 1 && db_drop_table(db, t[i].backfill, true, e) < 0)) {
			rc = -1;
			break;
		}
		if (ex == 1 && dropped)
			cJSON_AddItemToArray(dropped, cJSON_CreateString(t[i].backfill));
	}
	backfill_targets_free(t, n);
	return rc;
}

static int list_indexes(struct db *db, const char *table, struct vec *names, struct err *e)
{
	const char *params[] = { table };
	/* PostgreSQL: its indexes and the sequences it owns (serial columns) */
	const char *sql = db_kind(db) == DB_POSTGRES
		? "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
		  "WHERE i.indrelid = to_regclass(quote_ident($1)) "
		  "UNION SELECT s.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
		  "AND s.relkind = 'S' WHERE d.classid = 'pg_class'::regclass "
		  "AND d.refobjid = to_regclass(quote_ident($1)) AND d.deptype IN ('a', 'i') "
		  "ORDER BY 1"
		: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 "
		  "AND sql IS NOT NULL ORDER BY 1";
	struct db_cursor *c = db_query(db, sql, params, 1, e);
	if (!c)
		return -1;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1)
		vec_push(names, xstrdup(db_cursor_text(c, 0)));
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

static int relation_exists(struct db *db, const char *name, struct err *e)
{
	const char *params[] = { name };
	int64_t n = 0;
	const char *sql = db_kind(db) == DB_POSTGRES
		? "SELECT count(*) FROM pg_class WHERE oid = to_regclass(quote_ident($1))"
		: "SELECT count(*) FROM sqlite_master WHERE name = $1";
	if (db_query_int(db, sql, params, 1, &n, e) < 0)
		return -1;
	return n > 0;
}

/* SQLite has no ALTER INDEX: the index is made again under its new name
 * from its columns (an index on expressions or a partial one keeps its
 * name). */
static int sqlite_rename_index(struct db *db, const char *table, const char *from,
			       const char *to, struct err *e)
{
	const char *params[] = { from };
	int64_t uniq = 0, partial = 0;
	struct db_cursor *c = db_query(db, "SELECT \"unique\", partial FROM "
				       "pragma_index_list($1) WHERE name = $2",
				       (const char *[]){ table, from }, 2, e);
	if (!c)
		return -1;
	if (db_cursor_next(c, e) == 1) {
		str_to_i64(db_cursor_text(c, 0), &uniq);
		str_to_i64(db_cursor_text(c, 1), &partial);
	}
	db_cursor_close(c);
	if (partial)
		return 0;
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "CREATE %sINDEX ", uniq ? "UNIQUE " : "");
	char *q = db_quote_ident(db, to), *qt = db_quote_ident(db, table);
	buf_printf(&sql, "%s ON %s (", q, qt);
	free(q);
	free(qt);
	c = db_query(db, "SELECT name, \"desc\", coll FROM pragma_index_xinfo($1) "
		     "WHERE key ORDER BY seqno", params, 1, e);
	if (!c) {
		buf_free(&sql);
		return -1;
	}
	int rc, n = 0;
	bool expr = false;
	while ((rc = db_cursor_next(c, e)) == 1) {
		const char *name = db_cursor_text(c, 0);
		if (!name) {
			expr = true;
			continue;
		}
		char *qn = db_quote_ident(db, name);
		buf_printf(&sql, "%s%s COLLATE %s%s", n++ ? ", " : "", qn,
			   db_cursor_text(c, 2), str_eq(db_cursor_text(c, 1), "1") ? " DESC" : "");
		free(qn);
	}
	db_cursor_close(c);
	buf_puts(&sql, ")");
	if (rc == 0 && !expr && n > 0) {
		char *qf = db_quote_ident(db, from);
		char *drop = xasprintf("DROP INDEX %s", qf);
		free(qf);
		rc = db_exec(db, drop, NULL, 0, NULL, e);
		free(drop);
		if (rc == 0)
			rc = db_exec(db, buf_str(&sql), NULL, 0, NULL, e);
	}
	buf_free(&sql);
	return rc < 0 ? -1 : 0;
}

/* Indexes of `table` named "<from_prefix>_rest" become "<to_prefix>_rest";
 * to_prefix NULL drops them (SQLite's TABLE_old keeps no indexes: making
 * them again would cost a build for a copy kept only in case). */
static int carry_indexes(struct db *db, const char *table, const char *from_prefix,
			 const char *to_prefix, struct err *e)
{
	struct vec names = VEC_INIT;
	if (list_indexes(db, table, &names, e) < 0)
		return -1;
	size_t fl = strlen(from_prefix);
	int rc = 0;
	for (size_t i = 0; i < names.len && rc == 0; i++) {
		const char *name = names.items[i];
		if (strncmp(name, from_prefix, fl) != 0 || name[fl] != '_')
			continue;
		if (to_prefix && str_starts_with(name + fl, BACKFILL_OLD_SUFFIX "_") &&
		    strcmp(to_prefix, from_prefix) != 0 && !str_starts_with(to_prefix, from_prefix))
			continue;
		char *qn = db_quote_ident(db, name);
		if (!to_prefix) {
			char *sql = xasprintf("DROP INDEX %s", qn);
			rc = db_exec(db, sql, NULL, 0, NULL, e);
			free(sql);
			free(qn);
			continue;
		}
		char *to = xasprintf("%s%s", to_prefix, name + fl);
		int taken = strlen(to) > 63 && db_kind(db) == DB_POSTGRES ? 1
			    : relation_exists(db, to, e);
		if (taken < 0) {
			rc = -1;
		} else if (!taken && db_kind(db) == DB_POSTGRES) {
			char *qto = db_quote_ident(db, to);
			/* ALTER TABLE renames any relation: indexes and sequences */
			char *sql = xasprintf("ALTER TABLE %s RENAME TO %s", qn, qto);
			rc = db_exec(db, sql, NULL, 0, NULL, e);
			free(sql);
			free(qto);
		} else if (!taken) {
			rc = sqlite_rename_index(db, table, name, to, e);
		}
		free(to);
		free(qn);
	}
	vec_free_all(&names, free);
	return rc;
}

static int adopt_sequences(struct db *db, const char *table, struct err *e);

static int swap_one(struct db *db, const struct target *t, cJSON *done, struct err *e)
{
	if (db_table_exists(db, t->backfill, e) != 1)
		return e->code ? -1 : err_set(e, ERR_NOTFOUND, "%s is missing on %s: nothing "
					      "to swap in", t->backfill, t->connection);
	if (db_drop_table(db, t->old, true, e) < 0)
		return -1;
	int ex = db_table_exists(db, t->table, e);
	if (ex < 0)
		return -1;
	if (ex == 1) {
		if (db_rename_table(db, t->table, t->old, e) < 0)
			return -1;
		if (carry_indexes(db, t->old, t->table, db_kind(db) == DB_POSTGRES
				  ? t->old : NULL, e) < 0)
			return -1;
	}
	if (db_rename_table(db, t->backfill, t->table, e) < 0 ||
	    carry_indexes(db, t->table, t->backfill, t->table, e) < 0 ||
	    (db_kind(db) == DB_POSTGRES && adopt_sequences(db, t->table, e) < 0))
		return -1;
	cJSON *o = cJSON_CreateObject();
	jset_str(o, "table", t->table);
	jset_str(o, "connection", t->connection);
	jset_str(o, "old_table", ex == 1 ? t->old : NULL);
	cJSON_AddItemToArray(done, o);
	return 0;
}

/* SQLite rewrites references to a renamed table in views, triggers and
 * other tables' foreign keys; a swap must leave them naming TABLE. */
static void sqlite_plain_renames(struct db *db, bool on)
{
	if (db_kind(db) != DB_SQLITE)
		return;
	db_exec(db, on ? "PRAGMA legacy_alter_table = ON" : "PRAGMA legacy_alter_table = OFF",
		NULL, 0, NULL, NULL);
	db_exec(db, on ? "PRAGMA foreign_keys = OFF" : "PRAGMA foreign_keys = ON",
		NULL, 0, NULL, NULL);
}

/* The swap's entry: this store's own ("store:ID:backfill:N:swap"), or one
 * from before store ids ("backfill:N:swap") when this store is that old,
 * the backfill began before it had an id, and it may take the database's
 * entries without an id.  1 found (*info set), 0 none, -1 error. */
static int swap_entry(struct bf *b, struct db *db, const char *key, char **info,
		      struct err *e)
{
	struct db_ledger_entry en;
	int rc = db_ledger_get(db, key, &en, e);
	const struct store_identity *id = store_identity(b->env->store);
	if (rc == 0 && id->legacy && b->row->created < id->created) {
		char old[64];
		snprintf(old, sizeof old, "backfill:%lld:swap", (long long)b->row->id);
		rc = db_ledger_get(db, old, &en, e);
		char *other = NULL;
		if (rc == 1 && !en.store_id)
			rc = db_ledger_claim_legacy(db, id->id, &other, e);
		if (rc == 0 && other) {
			rc = err_set(e, ERR_CONFLICT, "the ledger has an entry %s without a "
				     "control store id and records of control store %s: "
				     "sluice cannot tell whether this backfill swapped; look "
				     "at the tables, then delete the entry or set its "
				     "store_id to %s", old, other, id->id);
		}
		free(other);
	}
	*info = rc == 1 ? xstrdup(en.info) : NULL;
	db_ledger_entry_free(&en);
	return rc;
}

static int swap_connection(struct bf *b, const char *conn, const struct target *t,
			   size_t n, int64_t run_id, cJSON *done, struct err *e)
{
	struct db *db = step_conns_get(backfill_conns(b), conn, e);
	if (!db || db_ledger_ensure(db, e) < 0)
		return -1;
	const char *owner = store_id(b->env->store);
	char *key = xasprintf("store:%s:backfill:%lld:swap", owner, (long long)b->row->id);
	char *info = NULL;
	int rc = swap_entry(b, db, key, &info, e);
	if (rc != 0) {
		if (rc == 1) {
			cJSON *prev = cJSON_Parse(info);
			cJSON *o;
			cJSON_ArrayForEach(o, prev)
				cJSON_AddItemToArray(done, cJSON_Duplicate(o, true));
			cJSON_Delete(prev);
			backfill_say(b, "%s: swapped already", conn);
		}
		free(info);
		free(key);
		return rc < 0 ? -1 : 0;
	}
	cJSON *mine = cJSON_CreateArray();
	sqlite_plain_renames(db, true);
	rc = db_begin(db, e);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (str_eq(t[i].connection, conn))
			rc = swap_one(db, &t[i], mine, e);
	if (rc == 0) {
		char *text = cJSON_PrintUnformatted(mine);
		rc = db_ledger_put(db, key, owner, run_id, text, e);
		free(text);
	}
	if (rc == 0)
		rc = db_commit(db, e);
	if (rc < 0)
		db_rollback(db);
	sqlite_plain_renames(db, false);
	if (rc == 0) {
		cJSON *o;
		cJSON_ArrayForEach(o, mine) {
			const char *old = steps_json_string(o, "old_table");
			backfill_say(b, "%s: %s swapped in (the previous table kept as %s)", conn,
				     steps_json_string(o, "table"), old ? old : "nothing");
			cJSON_AddItemToArray(done, cJSON_Duplicate(o, true));
		}
	}
	cJSON_Delete(mine);
	free(key);
	if (rc < 0)
		err_prefix(e, "swapping on %s (nothing changed there): ", conn);
	return rc;
}

/* Runs of the flow that could write a target while it is swapped, or that
 * wrote one after the rebuild began (their rows are not in the backfill). */
int backfill_runs_in_the_way(struct bf *b, bool force, struct err *e)
{
	usec_t since = 0;
	const char *started = steps_json_string(jobj(b->rec, "rebuild"), "started");
	if (started)
		time_parse_iso(started, &since);
	struct store_run_filter rf = { .flow = b->row->flow, .since = since, .limit = 50 };
	struct vec runs = VEC_INIT;
	if (store_run_list(b->env->store, &rf, &runs, e) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < runs.len && rc == 0; i++) {
		struct store_run *r = runs.items[i];
		if (r->trigger == TRIGGER_BACKFILL)
			continue;
		if (!run_state_is_terminal(r->state))
			rc = err_set(e, ERR_CONFLICT, "run %lld of flow %s is %s: wait until it "
				     "ends (or cancel it), then approve", (long long)r->id,
				     r->flow, run_state_name(r->state));
		else if ((r->state == RUN_COMPLETED || r->state == RUN_CACHED) && !force)
			rc = err_set(e, ERR_CONFLICT, "run %lld of flow %s completed after the "
				     "rebuild began: what it loaded is not in the backfill tables; "
				     "discard and start again, or approve with --force to lose it",
				     (long long)r->id, r->flow);
	}
	store_run_list_free(&runs);
	return rc;
}

int backfill_step_approve(struct bf *b, struct err *e)
{
	struct target *t;
	size_t n = backfill_targets(b->rec, &t);
	cJSON *done = cJSON_CreateArray();
	int64_t run_id = jint(jobj(b->rec, "rebuild"), "run_id");
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		bool first = true;
		for (size_t k = 0; k < i; k++)
			first &= !str_eq(t[k].connection, t[i].connection);
		if (first)
			rc = swap_connection(b, t[i].connection, t, n, run_id, done, e);
	}
	backfill_targets_free(t, n);
	cJSON *sw = jobj(b->rec, "swap");
	jset(sw, "tables", done);
	if (rc < 0)
		return -1;
	jset_time(sw, "at", clock_now_us());
	return backfill_move(b, "approve", BACKFILL_WAITING, NULL, NULL, "swapped", e);
}

int backfill_step_discard(struct bf *b, struct err *e)
{
	cJSON *dropped = cJSON_CreateArray();
	jset(jobj(b->rec, "discard"), "dropped", dropped);
	if (backfill_drop_tables(b, dropped, e) < 0)
		return -1;
	const cJSON *v;
	cJSON_ArrayForEach(v, dropped)
		backfill_say(b, "dropped %s", v->valuestring);
	jset_time(jobj(b->rec, "discard"), "at", clock_now_us());
	return backfill_move(b, "discard", BACKFILL_WAITING, NULL, NULL, "backfill tables dropped", e);
}

/* ---- the empty copy a rebuild loads into ------------------------------------------------- */

/* One token of SQLite DDL: a quoted identifier ("..", [..], `..`) or a
 * bare word; *p moves past it and the blanks after it. */
static const char *ddl_token(const char *p, size_t *len)
{
	const char *start = p;
	if (*p == '"' || *p == '`' || *p == '[') {
		char close = *p == '[' ? ']' : *p;
		for (p++; *p; p++)
			if (*p == close && !(close != ']' && p[1] == close))
				break;
			else if (*p == close)
				p++;
		if (*p)
			p++;
	} else {
		while (*p && !strchr(" \t\r\n(", *p))
			p++;
	}
	*len = (size_t)(p - start);
	while (*p && strchr(" \t\r\n", *p))
		p++;
	return p;
}

/* "CREATE [UNIQUE] INDEX|TABLE [IF NOT EXISTS] name [ON table]" + rest:
 * the text after the name (tables) or after the table (indexes). */
static const char *ddl_rest(const char *sql, bool index)
{
	size_t n;
	const char *p = sql;
	while (*p && strchr(" \t\r\n", *p))
		p++;
	for (int words = 0; *p; words++) {
		const char *tok = p;
		p = ddl_token(p, &n);
		if (n == 2 && strncasecmp(tok, "IF", 2) == 0) {
			p = ddl_token(ddl_token(p, &n), &n);    /* NOT EXISTS */
			continue;
		}
		if ((n == 5 && strncasecmp(tok, "TABLE", 5) == 0) ||
		    (n == 5 && strncasecmp(tok, "INDEX", 5) == 0)) {
			p = ddl_token(p, &n);                    /* the name */
			if (index) {
				p = ddl_token(p, &n);            /* ON */
				p = ddl_token(p, &n);            /* the table */
			}
			return p;
		}
		if (words > 3)
			break;
	}
	return NULL;
}

static int copy_shape_sqlite(struct db *db, const struct target *t, struct err *e)
{
	const char *params[] = { t->table };
	struct db_cursor *c = db_query(db, "SELECT type, name, sql FROM sqlite_master WHERE "
				       "tbl_name = $1 AND sql IS NOT NULL AND type IN "
				       "('table', 'index') ORDER BY type = 'index', name", params,
				       1, e);
	if (!c)
		return -1;
	struct vec stmts = VEC_INIT;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		bool index = str_eq(db_cursor_text(c, 0), "index");
		const char *name = db_cursor_text(c, 1), *sql = db_cursor_text(c, 2);
		const char *rest = ddl_rest(sql, index);
		if (!rest)
			continue;
		char *qt = db_quote_ident(db, t->backfill);
		if (index) {
			size_t tl = strlen(t->table);
			char *iname = strncmp(name, t->table, tl) == 0 && name[tl] == '_'
				? xasprintf("%s%s", t->backfill, name + tl)
				: xasprintf("%s_%s", t->backfill, name);
			char *qi = db_quote_ident(db, iname);
			bool uniq = strncasecmp(sql, "CREATE UNIQUE", 13) == 0;
			vec_push(&stmts, xasprintf("CREATE %sINDEX %s ON %s %s", uniq ? "UNIQUE " : "",
						   qi, qt, rest));
			free(qi);
			free(iname);
		} else {
			vec_push(&stmts, xasprintf("CREATE TABLE %s %s", qt, rest));
		}
		free(qt);
	}
	db_cursor_close(c);
	for (size_t i = 0; i < stmts.len && rc == 0; i++)
		rc = db_exec(db, stmts.items[i], NULL, 0, NULL, e);
	vec_free_all(&stmts, free);
	return rc < 0 ? -1 : 0;
}

/* Columns of `table` whose default draws from a sequence: (sequence,
 * column) pairs pushed onto `out`. */
static int sequence_defaults(struct db *db, const char *table, struct vec *out,
			     struct err *e)
{
	const char *params[] = { table };
	struct db_cursor *c = db_query(db,
		"SELECT s.relname, a.attname FROM pg_attrdef ad "
		"JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum "
		"JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid "
		"AND d.refclassid = 'pg_class'::regclass "
		"JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S' "
		"WHERE ad.adrelid = to_regclass(quote_ident($1))", params, 1, e);
	if (!c)
		return -1;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		vec_push(out, xstrdup(db_cursor_text(c, 0)));
		vec_push(out, xstrdup(db_cursor_text(c, 1)));
	}
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

/* A serial column of the copy would draw from TABLE's own sequence and
 * number the rebuilt rows after the current ones; it gets a sequence of
 * its own, from the start, as a first build would (SQLite's rowid does
 * the same by itself). */
static int own_sequences(struct db *db, const struct target *t, struct err *e)
{
	struct vec pairs = VEC_INIT;
	if (sequence_defaults(db, t->backfill, &pairs, e) < 0)
		return -1;
	int rc = 0;
	char *qt = db_quote_ident(db, t->backfill);
	for (size_t i = 0; i + 1 < pairs.len && rc == 0; i += 2) {
		const char *col = pairs.items[i + 1];
		char *name = xasprintf("%s_%s_seq", t->backfill, col);
		if (strlen(name) > 63 || str_starts_with(pairs.items[i], t->backfill)) {
			free(name);
			continue;      /* too long a name, or its own already (identity) */
		}
		char *qs = db_quote_ident(db, name), *qc = db_quote_ident(db, col);
		struct buf lit = BUF_INIT;
		buf_putc(&lit, '\'');
		for (const char *p = qs; *p; p++) {
			if (*p == '\'')
				buf_putc(&lit, '\'');
			buf_putc(&lit, *p);
		}
		buf_putc(&lit, '\'');
		char *mk = xasprintf("CREATE SEQUENCE %s OWNED BY %s.%s", qs, qt, qc);
		char *def = xasprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT nextval(%s::regclass)",
				      qt, qc, buf_str(&lit));
		rc = db_exec(db, mk, NULL, 0, NULL, e);
		if (rc == 0)
			rc = db_exec(db, def, NULL, 0, NULL, e);
		free(mk);
		free(def);
		buf_free(&lit);
		free(qs);
		free(qc);
		free(name);
	}
	free(qt);
	vec_free_all(&pairs, free);
	return rc;
}

static int copy_shape(struct db *db, const struct target *t, struct err *e)
{
	if (db_kind(db) == DB_SQLITE)
		return copy_shape_sqlite(db, t, e);
	char *qb = db_quote_ident(db, t->backfill), *qt = db_quote_ident(db, t->table);
	char *sql = xasprintf("CREATE TABLE %s (LIKE %s INCLUDING ALL)", qb, qt);
	int rc = db_exec(db, sql, NULL, 0, NULL, e);
	free(sql);
	free(qb);
	free(qt);
	return rc < 0 ? -1 : own_sequences(db, t, e);
}

/* The rows too, in the copy's own transaction. */
static int copy_rows(struct db *db, const struct target *t, struct err *e)
{
	char *qb = db_quote_ident(db, t->backfill), *qt = db_quote_ident(db, t->table);
	char *sql = xasprintf("INSERT INTO %s %sSELECT * FROM %s", qb,
			      db_kind(db) == DB_SQLITE ? "" : "OVERRIDING SYSTEM VALUE ", qt);
	int rc = db_exec(db, sql, NULL, 0, NULL, e);
	free(sql);
	free(qb);
	free(qt);
	return rc < 0 ? -1 : 0;
}

int backfill_prepare_targets(struct bf *b, bool with_rows, struct err *e)
{
	struct target *t;
	size_t n = backfill_targets(b->rec, &t);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct db *db = step_conns_get(backfill_conns(b), t[i].connection, e);
		int ex = db ? db_table_exists(db, t[i].table, e) : -1;
		if (ex < 0) {
			rc = -1;
		} else if (ex == 1) {
			rc = db_begin(db, e);
			if (rc == 0 && (copy_shape(db, &t[i], e) < 0 ||
					(with_rows && copy_rows(db, &t[i], e) < 0) ||
					db_commit(db, e) < 0)) {
				db_rollback(db);
				rc = -1;
			}
			if (rc < 0)
				err_prefix(e, "copying the shape of %s to %s: ", t[i].table,
					   t[i].backfill);
		}
	}
	backfill_targets_free(t, n);
	return rc;
}

/* PostgreSQL: a serial column's sequence belongs to the table it was made
 * for; once the copy is TABLE, it takes the sequences its defaults use, so
 * dropping TABLE_old later leaves them be. */
static int adopt_sequences(struct db *db, const char *table, struct err *e)
{
	struct vec pairs = VEC_INIT;
	if (sequence_defaults(db, table, &pairs, e) < 0)
		return -1;
	int rc = 0;
	char *qt = db_quote_ident(db, table);
	for (size_t i = 0; i + 1 < pairs.len && rc == 0; i += 2) {
		char *qs = db_quote_ident(db, pairs.items[i]);
		char *qc = db_quote_ident(db, pairs.items[i + 1]);
		char *sql = xasprintf("ALTER SEQUENCE %s OWNED BY %s.%s", qs, qt, qc);
		rc = db_exec(db, sql, NULL, 0, NULL, e);
		free(sql);
		free(qs);
		free(qc);
	}
	free(qt);
	vec_free_all(&pairs, free);
	return rc;
}
