/*
 * ddl.c - introspection, table definitions and the ledger.
 *
 * The DDL sluice issues is plain enough to be one body of SQL for both
 * dialects; only type names differ (db_type_sql), and widening a column,
 * which each backend does its own way.  Nothing here opens a transaction:
 * the caller's transaction decides what commits together, which is how a
 * backfill swaps tables (rename, rename, drop) atomically.
 */
#include "db_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- introspection ----------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int db_list_tables(struct db *db, struct vec *out, struct err *e)
{
	size_t before = out->len;
	if (db->busy)
		return err_set(e, ERR_INTERNAL, "%s: a cursor is still open", db->label);
	if (db->ops->list_tables(db, out, e) < 0) {
		while (out->len > before)
			free(vec_pop(out));
		return -1;
	}
	vec_sort(out, cmp_names);
	return 0;
}

int db_table_exists(struct db *db, const char *table, struct err *e)
{
	return db->ops->table_exists(db, table, e);
}

struct db_table *db_describe(struct db *db, const char *table, struct err *e)
{
	if (db->busy) {
		err_set(e, ERR_INTERNAL, "%s: a cursor is still open", db->label);
		return NULL;
	}
	return db->ops->describe(db, table, e);
}

int db_column_exists(struct db *db, const char *table, const char *column, struct err *e)
{
	struct db_table *t = db_describe(db, table, e);
	if (!t)
		return -1;
	int has = 0;
	for (size_t i = 0; i < t->ncolumns && !has; i++)
		has = strcasecmp(t->columns[i].name, column) == 0;
	db_table_free(t);
	return has;
}

void db_table_free(struct db_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncolumns; i++)
		free(t->columns[i].name);
	free(t->columns);
	free(t->name);
	free(t);
}

int db_row_count(struct db *db, const char *table, int64_t *out, struct err *e)
{
	char *q = db_quote(table);
	char *sql = xasprintf("SELECT count(*) FROM %s", q);
	int rc = db_query_int(db, sql, NULL, 0, out, e);
	free(sql);
	free(q);
	return rc < 0 ? -1 : 0;
}

/* PostgreSQL: the table's oid.  SQLite has no such number that survives a
 * VACUUM, so its CREATE statement, which is kept as it was written, stands
 * in: a table made again by other DDL gets another identity. */
int db_table_identity(struct db *db, const char *table, char **out, struct err *e)
{
	const char *params[] = { table };
	*out = NULL;
	if (db->kind == DB_POSTGRES)
		return db_query_value(db, "SELECT c.oid::text FROM pg_class c "
				      "JOIN pg_namespace n ON n.oid = c.relnamespace "
				      "WHERE n.nspname = current_schema() AND c.relname = $1 "
				      "AND c.relkind IN ('r', 'p')", params, 1, out, e);
	char *sql = NULL;
	int rc = db_query_value(db, "SELECT sql FROM sqlite_master WHERE type = 'table' "
				"AND name = $1 COLLATE NOCASE", params, 1, &sql, e);
	if (rc == 1) {
		char hex[65];
		sha256_hex_of(sql ? sql : "", sql ? strlen(sql) : 0, hex);
		*out = xstrdup(hex);
	}
	free(sql);
	return rc;
}

/* ---- definitions --------------------------------------------------------------- */

/* The identity column is bigserial on PostgreSQL; on SQLite, the table's
 * only primary key column declared "integer" is the rowid, numbered on
 * insert already. */
static void column_sql(struct buf *b, enum db_kind kind, const struct db_column *c,
		       bool identity)
{
	char type[64];
	if (identity && kind == DB_POSTGRES)
		snprintf(type, sizeof type, "bigserial");
	else
		db_type_sql(kind, c->type, type, sizeof type);
	db_buf_quote(b, c->name);
	buf_printf(b, " %s", type);
	if (c->not_null && !identity)
		buf_puts(b, " NOT NULL");
}

/* Two PostgreSQL sessions creating a table of the same name at the same
 * moment can both find none (CREATE TABLE IF NOT EXISTS, or a check and
 * then CREATE), and the loser fails on a unique index of pg_type, or with
 * "already exists", when the winner commits.  A transaction-level
 * advisory lock on the table's qualified name (tables are made in
 * current_schema()), taken before the check, makes the second wait for
 * the first's transaction to end and then see the table.  The lock is
 * the caller's transaction's, or one of its own when there is none. */
static int lock_create(struct db *db, const char *table, struct err *e)
{
	const char *params[] = { table };
	return db_exec(db, "SELECT pg_advisory_xact_lock(hashtext('sluice:create:' || "
		       "current_schema() || '.' || $1))", params, 1, NULL, e);
}

static int create_serialized(struct db *db, const char *table, const char *sql,
			     struct err *e)
{
	bool own = !db_in_transaction(db);
	if (own && db_begin(db, e) < 0)
		return -1;
	int rc = lock_create(db, table, e);
	if (rc == 0)
		rc = db_exec(db, sql, NULL, 0, NULL, e);
	if (own) {
		if (rc == 0)
			rc = db_commit(db, e);
		else
			db_rollback(db);
	}
	return rc;
}

int db_table_sql(enum db_kind kind, const struct db_table *def, bool if_not_exists,
		 const char *identity, struct buf *out, struct err *e)
{
	if (def->ncolumns == 0)
		return err_set(e, ERR_INVALID, "table %s has no columns", def->name);
	int npk = 0;
	bool identity_found = false;
	for (size_t i = 0; i < def->ncolumns; i++) {
		npk += def->columns[i].primary_key;
		if (identity && strcmp(def->columns[i].name, identity) == 0)
			identity_found = def->columns[i].primary_key &&
					 def->columns[i].type.type == DT_INT;
	}
	if (identity && (!identity_found || npk != 1))
		return err_set(e, ERR_INVALID, "table %s: the identity column %s must be its "
			       "only primary key column, an integer", def->name, identity);
	buf_printf(out, "CREATE TABLE %s", if_not_exists ? "IF NOT EXISTS " : "");
	db_buf_quote(out, def->name);
	buf_puts(out, " (\n");
	for (size_t i = 0; i < def->ncolumns; i++) {
		const struct db_column *c = &def->columns[i];
		buf_puts(out, i ? ",\n\t" : "\t");
		column_sql(out, kind, c, identity && strcmp(c->name, identity) == 0);
	}
	if (npk) {
		buf_puts(out, ",\n\tPRIMARY KEY (");
		int k = 0;
		for (size_t i = 0; i < def->ncolumns; i++) {
			if (!def->columns[i].primary_key)
				continue;
			if (k++)
				buf_puts(out, ", ");
			db_buf_quote(out, def->columns[i].name);
		}
		buf_puts(out, ")");
	}
	buf_puts(out, "\n)");
	return 0;
}

int db_create_table(struct db *db, const struct db_table *def, bool if_not_exists,
		    struct err *e)
{
	struct buf b = BUF_INIT;
	int rc = db_table_sql(db->kind, def, if_not_exists, NULL, &b, e);
	if (rc < 0) {
		buf_free(&b);
		return -1;
	}
	rc = if_not_exists && db->kind == DB_POSTGRES
		 ? create_serialized(db, def->name, buf_str(&b), e)
		 : db_exec(db, buf_str(&b), NULL, 0, NULL, e);
	buf_free(&b);
	if (rc < 0)
		err_prefix(e, "creating table %s: ", def->name);
	return rc;
}

int db_create_table_once(struct db *db, const struct db_table *def, struct err *e)
{
	if (db->kind != DB_POSTGRES) {
		/* In a transaction (BEGIN IMMEDIATE) SQLite's writers take
		 * turns on the file: no one can make the table between the
		 * check and the CREATE. */
		int exists = db_table_exists(db, def->name, e);
		if (exists != 0)
			return exists < 0 ? -1 : 0;
		return db_create_table(db, def, false, e) < 0 ? -1 : 1;
	}
	bool own = !db_in_transaction(db);
	if (own && db_begin(db, e) < 0)
		return -1;
	int made = -1;
	int exists = lock_create(db, def->name, e) < 0 ? -1 : db_table_exists(db, def->name, e);
	if (exists < 0)
		err_prefix(e, "creating table %s: ", def->name);
	else if (exists)
		made = 0;
	else if (db_create_table(db, def, false, e) == 0)
		made = 1;
	if (own) {
		if (made >= 0 && db_commit(db, e) < 0)
			made = -1;
		else if (made < 0)
			db_rollback(db);
	}
	return made;
}

int db_add_column(struct db *db, const char *table, const struct db_column *col,
		  struct err *e)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "ALTER TABLE ");
	db_buf_quote(&b, table);
	buf_puts(&b, " ADD COLUMN ");
	column_sql(&b, db->kind, col, false);
	int rc = db_exec(db, buf_str(&b), NULL, 0, NULL, e);
	buf_free(&b);
	if (rc < 0)
		err_prefix(e, "adding column %s to %s: ", col->name, table);
	return rc;
}

static bool same_coltype(struct db_coltype a, struct db_coltype b)
{
	return a.type == b.type && a.precision == b.precision && a.scale == b.scale;
}

int db_widen_column(struct db *db, const char *table, const char *column,
		    struct db_coltype to, struct err *e)
{
	struct db_table *t = db_describe(db, table, e);
	if (!t)
		return -1;
	const struct db_column *col = NULL;
	for (size_t i = 0; i < t->ncolumns; i++) {
		if (strcmp(t->columns[i].name, column) == 0)
			col = &t->columns[i];
	}
	if (!col) {
		db_table_free(t);
		return err_set(e, ERR_NOTFOUND, "table %s has no column %s", table, column);
	}
	struct db_coltype from = col->type;
	db_table_free(t);
	bool widened;
	struct db_coltype target = db_type_widen(from, to, &widened);
	if (!widened || same_coltype(target, from))
		return 0;
	int rc = db->ops->widen_column(db, table, column, from, target, e);
	if (rc < 0) {
		char a[64], b[64];
		db_type_sql(db->kind, from, a, sizeof a);
		db_type_sql(db->kind, target, b, sizeof b);
		err_prefix(e, "widening %s.%s from %s to %s: ", table, column, a, b);
	}
	return rc;
}

int db_rename_table(struct db *db, const char *from, const char *to, struct err *e)
{
	char *qf = db_quote(from), *qt = db_quote(to);
	char *sql = xasprintf("ALTER TABLE %s RENAME TO %s", qf, qt);
	int rc = db_exec(db, sql, NULL, 0, NULL, e);
	if (rc < 0)
		err_prefix(e, "renaming %s to %s: ", from, to);
	free(sql);
	free(qf);
	free(qt);
	return rc;
}

int db_drop_table(struct db *db, const char *table, bool if_exists, struct err *e)
{
	char *q = db_quote(table);
	char *sql = xasprintf("DROP TABLE %s%s", if_exists ? "IF EXISTS " : "", q);
	int rc = db_exec(db, sql, NULL, 0, NULL, e);
	if (rc < 0)
		err_prefix(e, "dropping %s: ", table);
	free(sql);
	free(q);
	return rc;
}

int db_index_sql(const char *table, const char *const *columns, int ncols, bool unique,
		 struct buf *out, struct err *e)
{
	if (ncols < 1)
		return err_set(e, ERR_INVALID, "index on %s: no columns", table);
	/* Named after table and columns; PostgreSQL keeps 63 bytes of a name,
	 * so long ones end in a hash that keeps them apart. */
	struct buf name = BUF_INIT;
	buf_puts(&name, table);
	for (int i = 0; i < ncols; i++)
		buf_printf(&name, "_%s", columns[i]);
	buf_puts(&name, unique ? "_key" : "_idx");
	if (name.len > 63) {
		char hex[65];
		sha256_hex_of(name.data, name.len, hex);
		name.len = 54;
		name.data[54] = '\0';
		buf_printf(&name, "_%.8s", hex);
	}
	buf_printf(out, "CREATE %sINDEX IF NOT EXISTS ", unique ? "UNIQUE " : "");
	db_buf_quote(out, buf_str(&name));
	buf_puts(out, " ON ");
	db_buf_quote_columns(out, table, columns, ncols);
	buf_free(&name);
	return 0;
}

int db_create_index(struct db *db, const char *table, const char *const *columns,
		    int ncols, bool unique, struct err *e)
{
	struct buf b = BUF_INIT;
	int rc = db_index_sql(table, columns, ncols, unique, &b, e);
	if (rc == 0)
		rc = db_exec(db, buf_str(&b), NULL, 0, NULL, e);
	if (rc < 0 && ncols >= 1)
		err_prefix(e, "creating index on %s: ", table);
	buf_free(&b);
	return rc;
}

/* ---- the ledger ------------------------------------------------------------------- */

#define LEDGER "_sluice_ledger"
#define LEGACY_OWNER "legacy-owner"

/* committed_at: UTC from the replaceable clock, "2026-11-21 13:05:09.123456". */
static void ledger_now(char out[32])
{
	time_format_iso(clock_now_us(), out);    /* 2026-11-21T13:05:09.123456Z */
	out[10] = ' ';
	out[26] = '\0';
}

static int ledger_create(struct db *db, struct err *e)
{
	struct db_column cols[] = {
		{ "key", { DT_TEXT, 0, 0 }, true, true },
		{ "run_id", { DT_INT, 0, 0 }, true, false },
		{ "committed_at", { DT_TIMESTAMP, 0, 0 }, true, false },
		{ "info", { DT_TEXT, 0, 0 }, false, false },
		{ "store_id", { DT_TEXT, 0, 0 }, false, false },
	};
	struct db_table def = { LEDGER, cols, ARRAY_LEN(cols) };
	return db_create_table(db, &def, true, e);
}

static bool has_store_id(const struct db_table *t)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].name, "store_id") == 0)
			return true;
	return false;
}

int db_ledger_ensure(struct db *db, struct err *e)
{
	struct err de = { 0 };
	struct db_table *t = db_describe(db, LEDGER, &de);
	if (!t && de.code != ERR_NOTFOUND) {
		*e = de;
		return -1;
	}
	if (!t)
		return ledger_create(db, e);
	bool ready = has_store_id(t);
	db_table_free(t);
	if (ready)
		return 0;
	/* A ledger from before store ids: its entries keep a NULL store_id.
	 * Two sessions may add the column at once; the loser finds it there. */
	struct db_column col = { "store_id", { DT_TEXT, 0, 0 }, false, false };
	if (db_add_column(db, LEDGER, &col, e) == 0)
		return 0;
	t = db_describe(db, LEDGER, NULL);
	ready = t && has_store_id(t);
	db_table_free(t);
	return ready ? (err_clear(e), 0) : -1;
}

int db_ledger_get(struct db *db, const char *key, struct db_ledger_entry *out,
		  struct err *e)
{
	const char *params[] = { key };
	memset(out, 0, sizeof *out);
	struct db_cursor *c = db_query(db, "SELECT info, store_id, run_id FROM " LEDGER
				       " WHERE key = $1", params, 1, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	if (rc == 1) {
		if (c->vals[0])
			out->info = xstrndup(c->vals[0], c->lens[0]);
		if (c->vals[1])
			out->store_id = xstrndup(c->vals[1], c->lens[1]);
		if (!c->vals[2] || !str_to_i64(c->vals[2], &out->run_id))
			out->run_id = 0;
	}
	db_cursor_close(c);
	return rc;
}

void db_ledger_entry_free(struct db_ledger_entry *en)
{
	free(en->store_id);
	free(en->info);
	memset(en, 0, sizeof *en);
}

int db_ledger_put(struct db *db, const char *key, const char *store_id, int64_t run_id,
		  const char *info, struct err *e)
{
	char id[32], when[32];
	snprintf(id, sizeof id, "%lld", (long long)run_id);
	ledger_now(when);
	const char *params[] = { key, id, when, info, store_id };
	return db_exec(db, "INSERT INTO " LEDGER " (key, run_id, committed_at, info, store_id) "
		       "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO UPDATE SET "
		       "run_id = excluded.run_id, committed_at = excluded.committed_at, "
		       "info = excluded.info, store_id = excluded.store_id", params, 5, NULL, e);
}

int db_ledger_delete(struct db *db, const char *key, struct err *e)
{
	const char *params[] = { key };
	return db_exec(db, "DELETE FROM " LEDGER " WHERE key = $1", params, 1, NULL, e);
}

/* Another store's id among the entries, or NULL. */
static int other_store(struct db *db, const char *store_id, char **other, struct err *e)
{
	const char *params[] = { store_id };
	int rc = db_query_value(db, "SELECT store_id FROM " LEDGER " WHERE store_id IS NOT "
				"NULL AND store_id <> $1 LIMIT 1", params, 1, other, e);
	return rc < 0 ? -1 : 0;
}

int db_ledger_claim_legacy(struct db *db, const char *store_id, char **other,
			   struct err *e)
{
	*other = NULL;
	if (db_ledger_ensure(db, e) < 0)
		return -1;
	struct db_ledger_entry claim;
	int rc = db_ledger_get(db, LEGACY_OWNER, &claim, e);
	if (rc == 0 && !db_is_read_only(db)) {
		if (other_store(db, store_id, other, e) < 0)
			return -1;
		if (*other)
			return 0;
		/* The claim and the look that allowed it in one transaction,
		 * so that two stores asking at once cannot both win. */
		char when[32];
		ledger_now(when);
		const char *ins[] = { LEGACY_OWNER, when, store_id };
		if (db_begin(db, e) < 0)
			return -1;
		rc = other_store(db, store_id, other, e);
		if (rc == 0 && !*other)
			rc = db_exec(db, "INSERT INTO " LEDGER " (key, run_id, committed_at, "
				     "info, store_id) VALUES ($1, 0, $2, 'entries without a "
				     "store id are this store''s', $3) ON CONFLICT (key) DO "
				     "NOTHING", ins, 3, NULL, e);
		if (rc < 0) {
			db_rollback(db);
			return -1;
		}
		if (db_commit(db, e) < 0) {
			db_rollback(db);
			return -1;
		}
		if (*other)
			return 0;
		rc = db_ledger_get(db, LEGACY_OWNER, &claim, e);
	}
	if (rc < 0)
		return -1;
	if (rc == 0)
		return 0;       /* read-only, nobody claimed them: not ours to take */
	bool mine = str_eq(claim.store_id, store_id);
	if (!mine)
		*other = xstrdup(claim.store_id ? claim.store_id : "?");
	db_ledger_entry_free(&claim);
	return mine ? 1 : 0;
}
