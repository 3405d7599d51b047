/*
 * cmd_tables.c - `sluice show tables [--json]`: the table catalogue.
 *
 * Every table the project touches, gathered from the project file (pipes'
 * raw tables, what each flow step reads and writes, the notes under
 * "tables") and from the connections themselves (TABLE_backfill and
 * TABLE_old beside a known table), with its kind, description, row
 * count, columns and types, last load, the flows that read and write it,
 * and the schema changes seen.
 *
 * Kinds come from the notes; without one, from what the project does
 * with the table (a pipe's table is raw, an extract's staging table and a
 * normalize step's output are staging) or from its name (dim_, fact_,
 * stg_, tmp_, _backfill, _old).  Connections are opened read-only: the
 * catalogue never writes.  A connection that cannot be reached leaves its
 * tables listed with the problem instead of failing the whole command.
 */
#include "cmd/cmd_int.h"
#include "db/db.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

struct cat_table {
	char *connection;
	char *name;
	enum table_kind kind;
	bool kind_noted;
	const struct project_table *note;
	struct vec writers, readers;      /* char *: "flow", "pipe:NAME" */
	struct vec load_steps;            /* char *: "FLOW\tSTEP" that write it */
	const char *pipe;                 /* the pipe loading it, or NULL */
	/* from the database */
	bool exists;
	int64_t rows;
	struct db_table *def;
	char *problem;
	/* from the store */
	usec_t last_load;
	char *last_load_by;
	struct vec changes;               /* struct store_schema_change * */
};

struct catalogue {
	struct vec tables;                /* struct cat_table * */
};

static void cat_table_free(void *p)
{
	struct cat_table *t = p;
	free(t->connection);
	free(t->name);
	vec_free_all(&t->writers, free);
	vec_free_all(&t->readers, free);
	vec_free_all(&t->load_steps, free);
	db_table_free(t->def);
	free(t->problem);
	free(t->last_load_by);
	store_schema_change_list_free(&t->changes);
	free(t);
}

static enum table_kind kind_from_name(const char *name)
{
	if (str_ends_with(name, "_backfill"))
		return TABLE_BACKFILL;
	if (str_ends_with(name, "_old"))
		return TABLE_OLD;
	if (str_starts_with(name, "dim_"))
		return TABLE_DIMENSION;
	if (str_starts_with(name, "fact_"))
		return TABLE_FACT;
	if (str_starts_with(name, "stg_") || str_starts_with(name, "staging_"))
		return TABLE_STAGING;
	if (str_starts_with(name, "tmp_") || str_starts_with(name, "temp_"))
		return TABLE_TEMP;
	if (str_starts_with(name, "raw_"))
		return TABLE_RAW;
	return TABLE_OTHER;
}

static struct cat_table *cat_find(struct catalogue *c, const char *conn, const char *name)
{
	for (size_t i = 0; i < c->tables.len; i++) {
		struct cat_table *t = c->tables.items[i];
		if (strcmp(t->name, name) == 0 && str_eq(t->connection, conn))
			return t;
	}
	return NULL;
}

/* The table's entry, made on first mention.  `kind` is a hint that wins
 * over the name but not over a note. */
static struct cat_table *cat_get(struct catalogue *c, const char *conn, const char *name,
				 enum table_kind kind)
{
	struct cat_table *t = cat_find(c, conn, name);
	if (!t) {
		t = xcalloc(1, sizeof *t);
		t->connection = xstrdup(conn);
		t->name = xstrdup(name);
		t->kind = kind_from_name(name);
		t->rows = -1;
		vec_push(&c->tables, t);
	}
	if (!t->kind_noted && kind != TABLE_OTHER)
		t->kind = kind;
	return t;
}

static void add_unique(struct vec *v, const char *s)
{
	for (size_t i = 0; i < v->len; i++)
		if (strcmp(v->items[i], s) == 0)
			return;
	vec_push(v, xstrdup(s));
}

/* ---- what the project says ------------------------------------------------------ */

static void note_reads(struct catalogue *c, const char *conn, const char *table,
		       const char *flow)
{
	if (conn && table)
		add_unique(&cat_get(c, conn, table, TABLE_OTHER)->readers, flow);
}

static void note_writes(struct catalogue *c, const char *conn, const char *table,
			enum table_kind kind, const char *flow, const char *step)
{
	if (!conn || !table)
		return;
	struct cat_table *t = cat_get(c, conn, table, kind);
	add_unique(&t->writers, flow);
	char *fs = xasprintf("%s\t%s", flow, step);
	add_unique(&t->load_steps, fs);
	free(fs);
}

static void gather_step(struct catalogue *c, const struct project *p,
			const struct project_flow *f, const struct project_step *s)
{
	struct vec uses = VEC_INIT;
	steps_table_uses(p, s, &uses);
	for (size_t i = 0; i < uses.len; i++) {
		const struct steps_table_use *u = uses.items[i];
		if (!u->writes)
			note_reads(c, u->connection, u->table, f->name);
		else if (u->kind == TABLE_RAW && u->connection)
			add_unique(&cat_get(c, u->connection, u->table, TABLE_RAW)->writers,
				   f->name);
		else
			note_writes(c, u->connection, u->table, u->kind, f->name, s->name);
	}
	steps_table_uses_free(&uses);
}

static void gather_project(struct catalogue *c, const struct project *p)
{
	for (size_t i = 0; i < p->ntables; i++) {
		const struct project_table *pt = &p->tables[i];
		struct cat_table *t = cat_get(c, pt->connection, pt->name, TABLE_OTHER);
		t->kind = pt->kind;
		t->kind_noted = true;
		t->note = pt;
	}
	for (size_t i = 0; i < p->npipes; i++) {
		const struct project_pipe *pipe = &p->pipes[i];
		struct cat_table *t = cat_get(c, pipe->connection, pipe->table, TABLE_RAW);
		char *w = xasprintf("pipe:%s", pipe->name);
		add_unique(&t->writers, w);
		free(w);
		t->pipe = pipe->name;
	}
	for (size_t f = 0; f < p->nflows; f++)
		for (size_t s = 0; s < p->flows[f].nsteps; s++)
			gather_step(c, p, &p->flows[f], &p->flows[f].steps[s]);
}

/* ---- what the databases say ------------------------------------------------------- */

/* TABLE_backfill and TABLE_old beside tables the project knows. */
static void gather_rebuilds(struct catalogue *c, struct step_conns *conns, const char *conn)
{
	struct err e;
	struct db *db = step_conns_get(conns, conn, &e);
	struct vec names = VEC_INIT;
	if (!db || db_list_tables(db, &names, &e) < 0)
		return;
	size_t known = c->tables.len;
	for (size_t i = 0; i < names.len; i++) {
		const char *n = names.items[i];
		enum table_kind k = str_ends_with(n, "_backfill") ? TABLE_BACKFILL :
				    str_ends_with(n, "_old") ? TABLE_OLD : TABLE_OTHER;
		if (k == TABLE_OTHER)
			continue;
		size_t base = strlen(n) - (k == TABLE_BACKFILL ? 9 : 4);
		for (size_t j = 0; j < known; j++) {
			struct cat_table *t = c->tables.items[j];
			if (str_eq(t->connection, conn) && strlen(t->name) == base &&
			    strncmp(t->name, n, base) == 0) {
				cat_get(c, conn, n, k);
				break;
			}
		}
	}
	vec_free_all(&names, free);
}

static void inspect(struct cat_table *t, const struct project *p, struct step_conns *conns)
{
	struct err e;
	err_clear(&e);
	if (!t->connection) {
		t->problem = xstrdup("no connection named in its note");
		return;
	}
	struct db *db = step_conns_get(conns, t->connection, &e);
	if (!db && e.code == ERR_NOTFOUND && project_connection(p, t->connection))
		return;       /* a SQLite file not made yet: nothing is created */
	int exists = db ? db_table_exists(db, t->name, &e) : -1;
	if (exists == 1) {
		t->exists = true;
		t->def = db_describe(db, t->name, &e);
		if (t->def && db_row_count(db, t->name, &t->rows, &e) == 0)
			return;
	}
	if (exists != 0)
		t->problem = xstrdup(err_text(&e));
}

/* ---- what the store says ----------------------------------------------------------- */

static void last_load(struct cat_table *t, struct store *st)
{
	if (t->pipe) {
		struct vec v = VEC_INIT;
		unsigned mask = (1u << LOAD_LOADED) | (1u << LOAD_PARTIALLY_LOADED);
		if (store_load_list(st, t->pipe, mask, 1, 0, &v, NULL) == 0 && v.len) {
			const struct store_load *l = v.items[0];
			t->last_load = l->loaded;
			t->last_load_by = xasprintf("pipe %s", t->pipe);
		}
		store_load_list_free(&v);
	}
	for (size_t i = 0; i < t->load_steps.len; i++) {
		const char *fs = t->load_steps.items[i];
		char *flow = xstrndup(fs, strcspn(fs, "\t"));
		const char *step = fs + strlen(flow) + 1;
		struct store_run_filter f = { .flow = flow, .limit = 20,
					      .states = RUN_STATE_BIT(RUN_COMPLETED) |
							RUN_STATE_BIT(RUN_RUNNING) |
							RUN_STATE_BIT(RUN_FAILED) |
							RUN_STATE_BIT(RUN_RETRYING) |
							RUN_STATE_BIT(RUN_CANCELLED) };
		struct vec runs = VEC_INIT;
		if (store_run_list(st, &f, &runs, NULL) == 0) {
			/* newest first: the first completed step is the last load */
			bool found = false;
			for (size_t r = 0; r < runs.len && !found; r++) {
				const struct store_run *run = runs.items[r];
				struct store_step *ss = NULL;
				if (store_step_get(st, run->id, step, &ss, NULL) == 1 &&
				    ss->state == STEP_COMPLETED) {
					found = true;
					if (ss->ended > t->last_load) {
						t->last_load = ss->ended;
						free(t->last_load_by);
						t->last_load_by = xasprintf("%s.%s run %lld", flow,
									    step, (long long)run->id);
					}
				}
				store_step_free(ss);
			}
		}
		store_run_list_free(&runs);
		free(flow);
	}
	if (t->connection)
		store_schema_change_list(st, t->connection, t->name, 50, &t->changes, NULL);
}

/* ---- output ------------------------------------------------------------------------- */

static int cmp_tables(const void *a, const void *b)
{
	const struct cat_table *x = *(const struct cat_table *const *)a;
	const struct cat_table *y = *(const struct cat_table *const *)b;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	int c = strcmp(x->connection ? x->connection : "", y->connection ? y->connection : "");
	return c ? c : strcmp(x->name, y->name);
}

static const char *description(const struct cat_table *t)
{
	return t->note && t->note->description ? t->note->description : NULL;
}

const char *cmd_column_note(const struct project_table *note, const char *column)
{
	for (size_t i = 0; note && i < note->ncolumn_notes; i++)
		if (strcmp(note->column_notes[i].key, column) == 0)
			return note->column_notes[i].value;
	return NULL;
}

static cJSON *string_array(const struct vec *v)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < v->len; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->items[i]));
	return a;
}

static cJSON *table_json(const struct cat_table *t, enum db_kind kind)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", t->name);
	cmd_json_add_str(o, "connection", t->connection);
	cJSON_AddStringToObject(o, "kind", table_kind_name(t->kind));
	cmd_json_add_str(o, "description", description(t));
	cJSON_AddBoolToObject(o, "exists", t->exists);
	if (t->rows >= 0)
		cJSON_AddNumberToObject(o, "rows", (double)t->rows);
	else
		cJSON_AddNullToObject(o, "rows");
	cJSON *cols = cJSON_AddArrayToObject(o, "columns");
	for (size_t i = 0; t->def && i < t->def->ncolumns; i++) {
		const struct db_column *dc = &t->def->columns[i];
		char type[64];
		db_type_sql(kind, dc->type, type, sizeof type);
		cJSON *co = cJSON_CreateObject();
		cJSON_AddStringToObject(co, "name", dc->name);
		cJSON_AddStringToObject(co, "type", type);
		cJSON_AddBoolToObject(co, "not_null", dc->not_null);
		cJSON_AddBoolToObject(co, "primary_key", dc->primary_key);
		cmd_json_add_str(co, "description", cmd_column_note(t->note, dc->name));
		cJSON_AddItemToArray(cols, co);
	}
	if (t->note && t->note->nkey) {
		cJSON *k = cJSON_AddArrayToObject(o, "key");
		for (size_t i = 0; i < t->note->nkey; i++)
			cJSON_AddItemToArray(k, cJSON_CreateString(t->note->key[i]));
	}
	cJSON *ll = cJSON_AddObjectToObject(o, "last_load");
	cmd_json_add_time(ll, "at", t->last_load);
	cmd_json_add_str(ll, "by", t->last_load_by);
	cJSON_AddItemToObject(o, "written_by", string_array(&t->writers));
	cJSON_AddItemToObject(o, "read_by", string_array(&t->readers));
	cJSON_AddItemToObject(o, "schema_changes", cmd_schema_changes_json(&t->changes));
	cmd_json_add_str(o, "error", t->problem);
	return o;
}

cJSON *cmd_schema_changes_json(const struct vec *changes)
{
	cJSON *ch = cJSON_CreateArray();
	for (size_t i = 0; i < changes->len; i++) {
		const struct store_schema_change *sc = changes->items[i];
		cJSON *co = cJSON_CreateObject();
		cJSON_AddStringToObject(co, "column", sc->column);
		cJSON_AddStringToObject(co, "change", schema_change_name(sc->kind));
		cmd_json_add_str(co, "old_type", sc->old_type);
		cmd_json_add_str(co, "new_type", sc->new_type);
		cJSON_AddNumberToObject(co, "run", (double)sc->run_id);
		cmd_json_add_time(co, "at", sc->at);
		cJSON_AddItemToArray(ch, co);
	}
	return ch;
}

void cmd_schema_changes_print(FILE *fp, enum cmd_format format, const struct vec *changes)
{
	struct cmd_table tt = { .ncols = 6, .format = format };
	cmd_table_add(&tt, "AT", "COLUMN", "CHANGE", "OLD TYPE", "NEW TYPE", "RUN");
	for (size_t i = 0; i < changes->len; i++) {
		const struct store_schema_change *sc = changes->items[i];
		char when[24], run[24];
		time_format_short(sc->at, when);
		snprintf(run, sizeof run, "%lld", (long long)sc->run_id);
		cmd_table_add(&tt, when, sc->column, schema_change_name(sc->kind), sc->old_type,
			      sc->new_type, run);
	}
	cmd_table_print(fp, &tt);
}

/* The catalogue as a text table. */
static void print_text(FILE *fp, enum cmd_format format, struct catalogue *c)
{
	struct cmd_table tt = { .ncols = 8, .format = format };
	cmd_table_add(&tt, "TABLE", "KIND", "CONNECTION", "ROWS", "LAST LOAD", "WRITTEN BY",
		      "READ BY", "DESCRIPTION");
	for (size_t i = 0; i < c->tables.len; i++) {
		const struct cat_table *t = c->tables.items[i];
		char when[24] = "-";
		if (t->last_load)
			time_format_short(t->last_load, when);
		struct buf w = BUF_INIT, r = BUF_INIT, d = BUF_INIT;
		for (size_t k = 0; k < t->writers.len; k++)
			buf_printf(&w, "%s%s", k ? "," : "", (char *)t->writers.items[k]);
		for (size_t k = 0; k < t->readers.len; k++)
			buf_printf(&r, "%s%s", k ? "," : "", (char *)t->readers.items[k]);
		if (t->problem)
			buf_printf(&d, "(%s) ", t->problem);
		else if (!t->exists)
			buf_puts(&d, "(not created yet) ");
		if (t->changes.len)
			buf_printf(&d, "[%zu schema change%s] ", t->changes.len,
				   t->changes.len == 1 ? "" : "s");
		if (description(t))
			buf_puts(&d, description(t));
		while (d.len && d.data[d.len - 1] == ' ')
			d.data[--d.len] = '\0';
		char rows[24];
		snprintf(rows, sizeof rows, t->rows >= 0 ? "%lld" : "?", (long long)t->rows);
		cmd_table_add(&tt, t->name, table_kind_name(t->kind), t->connection, rows, when,
			      w.len ? buf_str(&w) : NULL, r.len ? buf_str(&r) : NULL,
			      d.len ? buf_str(&d) : "");
		buf_free(&w);
		buf_free(&r);
		buf_free(&d);
	}
	cmd_table_print(fp, &tt);
}

static int exec_show_tables(struct cmd_ctx *ctx, const struct cmd_args *args,
			    struct err *e)
{
	bool json = args->format == CMD_FORMAT_JSON;
	const struct project *p = ctx->project;
	struct catalogue c = { VEC_INIT };
	gather_project(&c, p);
	struct step_conns *conns = step_conns_new(p, true);
	for (size_t i = 0; i < p->nconnections; i++)
		gather_rebuilds(&c, conns, p->connections[i].name);
	bool problems = false;
	for (size_t i = 0; i < c.tables.len; i++) {
		struct cat_table *t = c.tables.items[i];
		inspect(t, p, conns);
		last_load(t, ctx->store);
		problems |= t->problem != NULL;
	}
	step_conns_free(conns);
	vec_sort(&c.tables, cmp_tables);
	if (json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < c.tables.len; i++) {
			const struct cat_table *t = c.tables.items[i];
			cJSON_AddItemToArray(arr, table_json(t, steps_connection_kind(p, t->connection)));
		}
		cmd_json_print(ctx->out, arr);
		cJSON_Delete(arr);
	} else if (c.tables.len || args->format == CMD_FORMAT_CSV) {
		print_text(ctx->out, args->format, &c);
	} else {
		fprintf(ctx->out, "no tables in %s\n", p->file);
	}
	vec_free_all(&c.tables, cat_table_free);
	if (problems) {
		err_set(e, ERR_INVALID, "some tables could not be read (see %s)",
			json ? "\"error\"" : "the description column");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

const struct cmd_entry cmd_tables_entries[] = {
	{ .name = "show tables", .usage = "[--json]",
	  .summary = "the table catalogue: every table the project touches",
	  .help = "Each table with its kind (raw, staging, temp, dimension, fact, backfill, old),\n"
	  "connection, row count, last load, the flows (and pipes) that write and read\n"
	  "it, schema changes seen and the description from the project's \"tables\"\n"
	  "notes.  --json adds columns and types, keys and every schema change.\n"
	  "Connections are opened read-only.  Exit status 1 when a table could not be\n"
	  "read (its connection is down, say); the others are still listed.",
	  .flags = CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .exec = exec_show_tables },
	{ .name = NULL },
};
