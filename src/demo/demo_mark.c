/*
 * demo_mark.c - which tables in a database the demo made: the _sluice_demo
 * table, written in the transaction that creates them.
 *
 * `init --demo --force` replaces tables and `demo simulate` writes rows, so
 * both must tell the demo's own tables from a user's tables of the same
 * names (a real ToteSys database has exactly the demo's source tables).
 * A name is the demo's when _sluice_demo has a row for it in the same role
 * and, for a row that pins an identity, the table is still that very
 * table (db_table_identity): a source table the user dropped and made again
 * with data of their own is theirs, mark or no mark.  The warehouse's rows
 * pin nothing, because the demo's flows make most of those tables later,
 * re-create the staging tables on every run and widen columns as the data
 * drifts; there the mark claims the name.
 *
 * A table, not comments on the tables: SQLite has no comments, and the
 * warehouse tables the flows make later need a claim before they exist.
 */
#include "demo/demo_int.h"

#include <stdlib.h>
#include <string.h>

static const char *role_name(enum demo_role role)
{
	return role == DEMO_ROLE_SOURCE ? "source" : "warehouse";
}

void demo_census_free(struct demo_census *c)
{
	vec_free_all(&c->ours, free);
	vec_free_all(&c->foreign, free);
	vec_free_all(&c->absent, free);
}

/* 1 when the mark claims the existing table `name` for `role`. */
static int marked_ours(struct db *db, enum demo_role role, const char *name,
		       struct err *e)
{
	const char *params[] = { name, role_name(role) };
	struct db_cursor *c = db_query(db, "SELECT instance FROM " DEMO_MARK_TABLE
				       " WHERE name = $1 AND role = $2", params, 2, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	char *pinned = rc == 1 && db_cursor_text(c, 0) ? xstrdup(db_cursor_text(c, 0)) : NULL;
	db_cursor_close(c);
	if (rc <= 0 || !pinned)
		return rc;
	char *now = NULL;
	rc = db_table_identity(db, name, &now, e);
	if (rc == 1)
		rc = strcmp(pinned, now) == 0;
	free(pinned);
	free(now);
	return rc;
}

int demo_census_take(struct db *db, enum demo_role role, const char *const *names,
		     size_t n, struct demo_census *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	int marks = db_table_exists(db, DEMO_MARK_TABLE, e);
	for (size_t i = 0; i < n && marks >= 0; i++) {
		int exists = db_table_exists(db, names[i], e);
		int ours = exists == 1 && marks == 1 ? marked_ours(db, role, names[i], e) : 0;
		if (exists < 0 || ours < 0) {
			marks = -1;
			break;
		}
		vec_push(!exists ? &out->absent : ours ? &out->ours : &out->foreign,
			 xstrdup(names[i]));
	}
	if (marks < 0) {
		demo_census_free(out);
		return -1;
	}
	return 0;
}

char *demo_names_join(const struct vec *names)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < names->len; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", (const char *)names->items[i]);
	return buf_detach(&b);
}

static int ensure_mark_table(struct db *db, struct err *e)
{
	struct db_column cols[] = {
		{ "name", { DT_TEXT, 0, 0 }, true, true },
		{ "role", { DT_TEXT, 0, 0 }, true, false },
		{ "instance", { DT_TEXT, 0, 0 }, false, false },
		{ "marked_at", { DT_TIMESTAMP, 0, 0 }, true, false },
	};
	struct db_table def = { DEMO_MARK_TABLE, cols, ARRAY_LEN(cols) };
	return db_create_table(db, &def, true, e);
}

int demo_mark(struct db *db, enum demo_role role, const char *const *names, size_t n,
	      bool pin, struct err *e)
{
	if (ensure_mark_table(db, e) < 0)
		return -1;
	char when[32];
	demo_format_timestamp(clock_now_us(), when);
	for (size_t i = 0; i < n; i++) {
		char *instance = NULL;
		if (pin && db_table_identity(db, names[i], &instance, e) != 1) {
			if (e->code == ERR_OK)
				err_set(e, ERR_INTERNAL, "%s: no table %s to mark", db_label(db),
					names[i]);
			return -1;
		}
		const char *params[] = { names[i], role_name(role), instance, when };
		int rc = db_exec(db, "INSERT INTO " DEMO_MARK_TABLE " (name, role, instance, "
				 "marked_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE "
				 "SET role = excluded.role, instance = excluded.instance, "
				 "marked_at = excluded.marked_at", params, 4, NULL, e);
		free(instance);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int demo_drop_ours(struct db *db, const struct vec *ours, struct err *e)
{
	for (size_t i = 0; i < ours->len; i++) {
		const char *params[] = { ours->items[i] };
		if (db_drop_table(db, ours->items[i], false, e) < 0 ||
		    db_exec(db, "DELETE FROM " DEMO_MARK_TABLE " WHERE name = $1", params, 1,
			    NULL, e) < 0)
			return -1;
	}
	return 0;
}
