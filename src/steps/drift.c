/*
 * drift.c - schema drift: keeping a target table in step with its source.
 *
 * Sources change shape: a column appears, a whole-number column starts
 * carrying fractions, a column disappears.  Before a load writes a row,
 * step_drift_apply brings the target in line, inside the load's transaction
 * (so a load that fails leaves the target's shape as it was, on
 * PostgreSQL; SQLite's DDL is transactional too):
 *
 *   new in the source      added to the target (rows loaded before: NULL)
 *   wider in the source    widened in place (db_widen_column), within a
 *                          family: integer -> numeric -> floating point,
 *                          varchar(n) -> longer/text, date -> timestamp
 *   gone from the source   kept; filled NULL from now on; reported once
 *
 * A type from another family (a timestamp column fed text) is not a
 * widening: the writer converts each value to the target's type and a
 * value that does not fit fails the load with its row and column, which
 * loses nothing.  Primary key columns the source lacks are the target's
 * own (serial keys) and never reported.  Every change is recorded in the
 * control store (schema changes) and logged with object "table:NAME",
 * after the load commits (step_drift_commit), so a rolled-back load leaves no
 * record of changes that were rolled back with it.
 */
#include "steps/steps_int.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool same_name(const struct db *db, const char *a, const char *b)
{
	return db_kind(db) == DB_SQLITE ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static int family(enum db_type t)
{
	switch (t) {
	case DT_INT: case DT_NUMERIC: case DT_FLOAT: return 1;
	case DT_TEXT: return 2;
	case DT_DATE: case DT_TIMESTAMP: return 3;
	default: return 0;
	}
}

static int record(struct step_ctx *ctx, struct vec *changes, const char *connection,
		  const char *table, const char *column, enum schema_change_kind kind,
		  const char *old_type, const char *new_type)
{
	struct store_schema_change *c = xcalloc(1, sizeof *c);
	c->connection = xstrdup(connection);
	c->table = xstrdup(table);
	c->column = xstrdup(column);
	c->kind = kind;
	c->old_type = xstrdup(old_type);
	c->new_type = xstrdup(new_type);
	c->run_id = ctx->run_id;
	vec_push(changes, c);
	return 0;
}

void step_drift_changes_free(struct vec *changes)
{
	store_schema_change_list_free(changes);
}

int step_drift_commit(struct step_ctx *ctx, struct vec *changes, struct err *e)
{
	int rc = 0;
	for (size_t i = 0; i < changes->len; i++) {
		struct store_schema_change *c = changes->items[i];
		char *object = xasprintf("table:%s", c->table);
		switch (c->kind) {
		case SCHEMA_ADDED:
			step_log(ctx, LOG_WARN, object, "schema drift: new source column %s "
				 "(%s) added to %s", c->column, c->new_type, c->table);
			break;
		case SCHEMA_WIDENED:
			step_log(ctx, LOG_WARN, object, "schema drift: %s.%s widened from %s "
				 "to %s", c->table, c->column, c->old_type, c->new_type);
			break;
		default:
			step_log(ctx, LOG_WARN, object, "schema drift: column %s.%s is no "
				 "longer in the source; it is kept and new rows leave it NULL",
				 c->table, c->column);
			break;
		}
		free(object);
		c->at = clock_now_us();
		if (rc == 0 && ctx->store && store_schema_change_add(ctx->store, c, e) < 0)
			rc = -1;
	}
	step_drift_changes_free(changes);
	return rc;
}

/* 1 made, 0 made meanwhile by another run (whose first load of the same
 * table got there first: db_create_table_once), -1 error. */
static int create_target(struct step_ctx *ctx, struct db *db, const char *table,
			 const struct drift_source *src, const char *const *key, int nkey,
			 struct err *e)
{
	struct db_column *cols = xcalloc((size_t)src->ncols, sizeof *cols);
	for (int i = 0; i < src->ncols; i++) {
		cols[i].name = (char *)src->names[i];
		cols[i].type = src->types[i];
	}
	struct db_table def = { (char *)table, cols, (size_t)src->ncols };
	int made = db_create_table_once(db, &def, e);
	free(cols);
	if (made <= 0)
		return made;
	int rc = nkey > 0 ? db_create_index(db, table, key, nkey, false, e) : 0;
	if (rc == 0) {
		char *object = xasprintf("table:%s", table);
		step_log(ctx, LOG_INFO, object, "created %s in %s with the source's %d "
			 "column%s", table, db_label(db), src->ncols, src->ncols == 1 ? "" : "s");
		free(object);
	}
	return rc < 0 ? -1 : 1;
}

/* Was `column` last reported as dropped in the source already? */
static int reported_dropped(struct step_ctx *ctx, const char *connection,
			    const char *table, const char *column, struct err *e)
{
	if (!ctx->store)
		return 0;
	struct vec v = VEC_INIT;
	if (store_schema_change_list(ctx->store, connection, table, 1000, &v, e) < 0)
		return -1;
	int found = 0;
	for (size_t i = 0; i < v.len; i++) {
		const struct store_schema_change *c = v.items[i];
		if (strcmp(c->column, column) == 0) {   /* newest first */
			found = c->kind == SCHEMA_DROPPED_IN_SOURCE;
			break;
		}
	}
	store_schema_change_list_free(&v);
	return found;
}

static int add_column(struct step_ctx *ctx, struct db *db, struct vec *changes,
		      const char *connection, const char *table, const char *name,
		      struct db_coltype type, struct err *e)
{
	struct db_column col = { (char *)name, type, false, false };
	if (db_add_column(db, table, &col, e) < 0)
		return -1;
	char ts[64];
	db_type_sql(db_kind(db), type, ts, sizeof ts);
	return record(ctx, changes, connection, table, name, SCHEMA_ADDED, NULL, ts);
}

static int widen_column(struct step_ctx *ctx, struct db *db, struct vec *changes,
			const char *connection, const char *table,
			const struct db_column *col, struct db_coltype source, struct err *e)
{
	if (family(col->type.type) == 0 || family(col->type.type) != family(source.type))
		return 0;
	bool widened = false;
	struct db_coltype to = db_type_widen(col->type, source, &widened);
	if (!widened)
		return 0;
	if (db_widen_column(db, table, col->name, source, e) < 0)
		return -1;
	char from_s[64], to_s[64];
	db_type_sql(db_kind(db), col->type, from_s, sizeof from_s);
	db_type_sql(db_kind(db), to, to_s, sizeof to_s);
	return record(ctx, changes, connection, table, col->name, SCHEMA_WIDENED,
		      from_s, to_s);
}

static int note_missing(struct step_ctx *ctx, const struct db *db, struct vec *changes,
			const char *connection, const char *table,
			const struct db_column *col, struct err *e)
{
	int seen = reported_dropped(ctx, connection, table, col->name, e);
	if (seen != 0)
		return seen < 0 ? -1 : 0;
	char ts[64];
	db_type_sql(db_kind(db), col->type, ts, sizeof ts);
	return record(ctx, changes, connection, table, col->name,
		      SCHEMA_DROPPED_IN_SOURCE, ts, NULL);
}

int step_drift_apply(struct step_ctx *ctx, const struct drift_target *to,
		     const struct drift_source *src, struct vec *changes, bool *created,
		     struct err *e)
{
	struct db *db = to->db;
	const char *connection = to->connection, *table = to->table;
	*created = false;
	int exists = db_table_exists(db, table, e);
	if (exists < 0)
		return -1;
	if (!exists) {
		int made = create_target(ctx, db, table, src, to->key, to->nkey, e);
		if (made != 0) {
			*created = made > 0;
			return made < 0 ? -1 : 0;
		}
		/* another run made it meanwhile: load into it as into any */
	}
	struct db_table *t = db_describe(db, table, e);
	if (!t)
		return -1;
	int rc = 0;
	for (int i = 0; rc == 0 && i < src->ncols; i++) {
		const struct db_column *col = NULL;
		for (size_t j = 0; j < t->ncolumns && !col; j++)
			if (same_name(db, t->columns[j].name, src->names[i]))
				col = &t->columns[j];
		if (!col)
			rc = add_column(ctx, db, changes, connection, table, src->names[i],
					src->types[i], e);
		else if (!(src->guessed && src->guessed[i]))
			rc = widen_column(ctx, db, changes, connection, table, col,
					  src->types[i], e);
	}
	for (size_t j = 0; rc == 0 && j < t->ncolumns; j++) {
		const struct db_column *col = &t->columns[j];
		bool in_source = false;
		for (int i = 0; i < src->ncols && !in_source; i++)
			in_source = same_name(db, col->name, src->names[i]);
		if (!in_source && !col->primary_key)
			rc = note_missing(ctx, db, changes, connection, table, col, e);
	}
	if (rc < 0)
		err_prefix(e, "schema drift on %s: ", table);
	db_table_free(t);
	return rc;
}
