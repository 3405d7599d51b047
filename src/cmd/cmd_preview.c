/*
 * cmd_preview.c - `show table NAME [--limit N] [--offset N] [--json]`: one
 * page of a table's rows with its columns and their types.
 *
 * The console's table preview reads its pages through this command (the
 * console never opens a data connection itself); at the shell it prints
 * an aligned page.  The table is found where the project says it lives:
 * its `tables` entry, else the pipe or stream that names it, else the
 * first connection that has it.  The connection is opened read-only:
 * previewing can never write.  Rows come in primary-key order when the
 * table has one, so pages do not overlap or skip; one row more than asked
 * is read to tell whether another page follows, and nothing more is held.
 */
#include "cmd/cmd_int.h"
#include "db/db.h"
#include "project/project.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define PREVIEW_DEFAULT 100
#define PREVIEW_MAX     1000

static struct db *open_conn(const struct project_connection *pc, struct err *e)
{
	struct db_options opt = {
		.read_only = true,
		.password = pc->password_env ? getenv(pc->password_env) : NULL,
		.label = pc->name,
	};
	return db_open(pc->url, &opt, e);
}

/* The connection holding `table`: declared, a pipe's, a stream's, or the
 * first that has it.  Returns the open connection (caller closes). */
static struct db *find_table(const struct project *p, const char *table,
			     const char **conn_name, struct err *e)
{
	const char *named = NULL;
	const struct project_table *pt = project_table(p, table);
	if (pt)
		named = pt->connection;
	for (size_t i = 0; !named && i < p->npipes; i++)
		if (str_eq(p->pipes[i].table, table))
			named = p->pipes[i].connection;
	for (size_t i = 0; !named && i < p->nstreams; i++)
		if (str_eq(p->streams[i].table, table))
			named = p->streams[i].connection;
	if (named) {
		const struct project_connection *pc = project_connection(p, named);
		if (!pc)
			return err_set(e, ERR_NOTFOUND, "table %s: no connection \"%s\" in the "
				       "project", table, named), NULL;
		*conn_name = pc->name;
		return open_conn(pc, e);
	}
	for (size_t i = 0; i < p->nconnections; i++) {
		struct err ce;
		err_clear(&ce);
		struct db *db = open_conn(&p->connections[i], &ce);
		if (!db)
			continue;
		if (db_table_exists(db, table, &ce) == 1) {
			*conn_name = p->connections[i].name;
			return db;
		}
		db_close(db);
	}
	return err_set(e, ERR_NOTFOUND, "no table \"%s\" in any connection of the project",
		       table), NULL;
}

static char *page_sql(struct db *db, const struct db_table *t)
{
	struct buf sql = BUF_INIT;
	char *name = db_quote_ident(db, t->name);
	buf_printf(&sql, "SELECT * FROM %s", name);
	free(name);
	bool first = true;
	for (size_t i = 0; i < t->ncolumns; i++) {
		if (!t->columns[i].primary_key)
			continue;
		char *col = db_quote_ident(db, t->columns[i].name);
		buf_printf(&sql, "%s%s", first ? " ORDER BY " : ", ", col);
		free(col);
		first = false;
	}
	buf_puts(&sql, " LIMIT $1 OFFSET $2");
	return buf_detach(&sql);
}

static void type_text(struct db *db, const struct db_column *c, char *out, size_t n)
{
	db_type_sql(db_kind(db), c->type, out, n);
}

/* What the store and the project say about the table beside its rows:
 * the project's note on each column, and the schema changes seen. */
struct about {
	const struct project_table *note;   /* its "tables" entry, or NULL */
	struct vec changes;                 /* struct store_schema_change * */
	char *changes_error;                /* the store could not be read */
};

/* The changes are read when a store can be opened; without one the page
 * is still shown, and says the changes were not read. */
static void about_read(struct about *a, struct cmd_ctx *ctx, const char *conn,
		       const char *table)
{
	a->note = project_table(ctx->project, table);
	struct err e;
	err_clear(&e);
	if (cmd_ctx_store(ctx, &e) < 0 ||
	    store_schema_change_list(ctx->store, conn, table, 100, &a->changes, &e) < 0)
		a->changes_error = xstrdup(err_text(&e));
}

static void about_free(struct about *a)
{
	store_schema_change_list_free(&a->changes);
	free(a->changes_error);
}

static void print_about(FILE *fp, const struct db_table *t, const struct about *a)
{
	struct cmd_table notes = { .ncols = 2 };
	cmd_table_add(&notes, "COLUMN", "NOTE");
	for (size_t i = 0; i < t->ncolumns; i++)
		if (cmd_column_note(a->note, t->columns[i].name))
			cmd_table_add(&notes, t->columns[i].name, cmd_column_note(a->note, t->columns[i].name));
	if (notes.cells.len > notes.ncols) {
		fputc('\n', fp);
		cmd_table_print(fp, &notes);
	} else {
		cmd_table_free(&notes);
	}
	if (a->changes_error)
		fprintf(fp, "\n(schema changes not read: %s)\n", a->changes_error);
	else if (a->changes.len) {
		fprintf(fp, "\n%zu schema change%s, newest first:\n", a->changes.len,
			a->changes.len == 1 ? "" : "s");
		cmd_schema_changes_print(fp, CMD_FORMAT_TABLE, &a->changes);
	}
}

static void print_json(FILE *fp, struct db *db, const char *conn, const struct db_table *t,
		       const struct about *a, int64_t offset, int64_t limit, bool more,
		       cJSON *rows)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "table", t->name);
	cJSON_AddStringToObject(root, "connection", conn);
	cJSON *cols = cJSON_AddArrayToObject(root, "columns");
	for (size_t i = 0; i < t->ncolumns; i++) {
		char type[64];
		type_text(db, &t->columns[i], type, sizeof type);
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", t->columns[i].name);
		cJSON_AddStringToObject(c, "type", type);
		cJSON_AddBoolToObject(c, "not_null", t->columns[i].not_null);
		cJSON_AddBoolToObject(c, "primary_key", t->columns[i].primary_key);
		cmd_json_add_str(c, "description", cmd_column_note(a->note, t->columns[i].name));
		cJSON_AddItemToArray(cols, c);
	}
	cJSON_AddNumberToObject(root, "offset", (double)offset);
	cJSON_AddNumberToObject(root, "limit", (double)limit);
	cJSON_AddBoolToObject(root, "more", more);
	cJSON_AddItemToObject(root, "rows", rows);
	if (a->changes_error)
		cJSON_AddNullToObject(root, "schema_changes");
	else
		cJSON_AddItemToObject(root, "schema_changes", cmd_schema_changes_json(&a->changes));
	cmd_json_add_str(root, "schema_changes_error", a->changes_error);
	cmd_json_print(fp, root);
	cJSON_Delete(root);
}

static int cell_width(const char *s)
{
	int w = s ? utf8_width(s) : 4;
	return w > 40 ? 40 : w;
}

static void print_text(FILE *fp, struct db *db, const struct db_table *t, int64_t offset,
		       bool more, cJSON *rows)
{
	size_t n = t->ncolumns;
	int *w = xcalloc(n ? n : 1, sizeof *w);
	char (*types)[64] = xcalloc(n ? n : 1, sizeof *types);
	for (size_t i = 0; i < n; i++) {
		type_text(db, &t->columns[i], types[i], sizeof types[i]);
		w[i] = cell_width(t->columns[i].name);
		if (cell_width(types[i]) > w[i])
			w[i] = cell_width(types[i]);
	}
	for (cJSON *r = rows->child; r; r = r->next) {
		size_t i = 0;
		for (cJSON *c = r->child; c && i < n; c = c->next, i++) {
			int cw = cell_width(cJSON_IsString(c) ? c->valuestring : NULL);
			if (cw > w[i])
				w[i] = cw;
		}
	}
	for (int line = 0; line < 2; line++) {
		for (size_t i = 0; i < n; i++)
			fprintf(fp, "%s%-*.*s", i ? "  " : "", w[i], w[i],
				line ? types[i] : t->columns[i].name);
		fputc('\n', fp);
	}
	int64_t count = 0;
	for (cJSON *r = rows->child; r; r = r->next, count++) {
		size_t i = 0;
		for (cJSON *c = r->child; c && i < n; c = c->next, i++) {
			const char *v = cJSON_IsString(c) ? c->valuestring : "NULL";
			fprintf(fp, "%s%-*.*s", i ? "  " : "", w[i], w[i], v);
		}
		fputc('\n', fp);
	}
	fprintf(fp, "(rows %lld-%lld%s)\n", (long long)(count ? offset + 1 : offset),
		(long long)(offset + count), more ? "; more follow: --offset" : "");
	free(w);
	free(types);
}

/* The page's rows under a header of column names; NULL an empty field. */
static void print_csv(FILE *fp, const struct db_table *t, cJSON *rows)
{
	struct cmd_table out = { .ncols = t->ncolumns, .format = CMD_FORMAT_CSV };
	for (size_t i = 0; i < t->ncolumns; i++)
		cmd_table_push(&out, t->columns[i].name);
	for (cJSON *r = rows->child; r; r = r->next) {
		size_t i = 0;
		for (cJSON *c = r->child; c && i < t->ncolumns; c = c->next, i++)
			cmd_table_push(&out, cJSON_IsString(c) ? c->valuestring : NULL);
		for (; i < t->ncolumns; i++)
			cmd_table_push(&out, NULL);
	}
	if (t->ncolumns)
		cmd_table_print(fp, &out);
}

static bool parse_count(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return str_to_i64(s, out) && *out >= min && *out <= max;
}

static int exec_show_table(struct cmd_ctx *ctx, const struct cmd_args *args,
			   struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int rc = EXIT_USAGE;
	int64_t limit = PREVIEW_DEFAULT, offset = 0;
	const char *lv = cmd_opt_value(args, "--limit"), *ov = cmd_opt_value(args, "--offset");
	if (lv && !parse_count(lv, 1, PREVIEW_MAX, &limit)) {
		rc = cmd_usage_error(self, e, "--limit: expected a number from 1 to %d, not '%s'",
				     PREVIEW_MAX, lv);
		goto out;
	}
	if (ov && !parse_count(ov, 0, INT64_MAX / 2, &offset)) {
		rc = cmd_usage_error(self, e, "--offset: expected a number from 0, not '%s'", ov);
		goto out;
	}
	const char *table = args->positional.items[0], *conn = NULL;
	rc = EXIT_FAILED;
	struct db *db = find_table(ctx->project, table, &conn, e);
	if (!db)
		goto out;
	struct db_table *t = db_describe(db, table, e);
	if (!t) {
		err_prefix(e, "connection %s: ", conn);
		db_close(db);
		goto out;
	}
	char *sql = page_sql(db, t);
	char lim[32], off[32];
	snprintf(lim, sizeof lim, "%lld", (long long)(limit + 1));
	snprintf(off, sizeof off, "%lld", (long long)offset);
	const char *params[] = { lim, off };
	struct db_cursor *c = db_query(db, sql, params, 2, e);
	free(sql);
	cJSON *rows = cJSON_CreateArray();
	bool more = false;
	int got = 0;
	while (c && (got = db_cursor_next(c, e)) == 1) {
		if (cJSON_GetArraySize(rows) == limit) {
			more = true;
			break;
		}
		cJSON *row = cJSON_CreateArray();
		for (int i = 0; i < db_cursor_ncols(c); i++) {
			const char *v = db_cursor_text(c, i);
			cJSON_AddItemToArray(row, v ? cJSON_CreateString(v) : cJSON_CreateNull());
		}
		cJSON_AddItemToArray(rows, row);
	}
	db_cursor_close(c);
	if (!c || got < 0) {
		cJSON_Delete(rows);
		db_table_free(t);
		db_close(db);
		goto out;
	}
	struct about about = { .changes = VEC_INIT };
	if (args->format == CMD_FORMAT_JSON) {
		about_read(&about, ctx, conn, t->name);
		print_json(ctx->out, db, conn, t, &about, offset, limit, more, rows);
	} else if (args->format == CMD_FORMAT_CSV) {
		print_csv(ctx->out, t, rows);
		cJSON_Delete(rows);
	} else {
		about_read(&about, ctx, conn, t->name);
		print_text(ctx->out, db, t, offset, more, rows);
		print_about(ctx->out, t, &about);
		cJSON_Delete(rows);
	}
	about_free(&about);
	db_table_free(t);
	db_close(db);
	rc = EXIT_OK;
out:
	return rc;
}

const struct cmd_entry cmd_preview_entries[] = {
	{ .name = "show table", .usage = "TABLE [--limit N] [--offset N] [--json]",
	  .summary = "a page of a table's rows, with its columns and types",
	  .help = "Reads at most --limit rows (default 100, at most 1000) from --offset on,\n"
	  "in primary-key order when the table has one, through a read-only\n"
	  "connection.  Below them: each column's note from the project's \"tables\"\n"
	  "entry, and the table's schema changes from the control store (when, column,\n"
	  "change, old and new type, run).  --json prints {table, connection, columns: [{name,\n"
	  "type, not_null, primary_key, description}], offset, limit, more, rows:\n"
	  "[[text or null ...]], schema_changes: [{column, change, old_type, new_type,\n"
	  "run, at}], schema_changes_error}.\n"
	  "--format csv prints the rows under a header of column names (NULL is an\n"
	  "empty field).",
	  .flags = CMD_NEEDS_PROJECT, .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .options = {
		{ "--limit", NULL, CMD_KIND_NUMBER },
		{ "--offset", NULL, CMD_KIND_NUMBER },
	  },
	  .args = { 1, 1, { CMD_KIND_TABLE } },
	  .exec = exec_show_table },
	{ .name = NULL },
};
