/*
 * pipe_load.c - one lake file into a pipe's raw table, in one transaction
 * with its ledger entry.
 *
 * The file is streamed: read from the lake in chunks (hashed on the way for
 * the checksum), parsed one record at a time by format/, and written
 * through a db writer, so memory stays bounded whatever the file's size.
 * The transaction holds the rows, any table changes they caused (created
 * table, new or widened columns), the forced reload's delete of the file's
 * earlier rows, and the ledger entry "pipe:NAME:KEY": all commit or none.
 *
 * on_error, as Snowflake's COPY: skip_file and abort roll back at the first
 * bad record (the rest is still read, to count errors and finish the
 * checksum; abort stops reading there); continue skips bad records and
 * commits the good ones; skip_file_N goes on as continue until the Nth bad
 * record, then as skip_file; skip_file_N% as continue, and at the end
 * keeps nothing when at least N percent of the records were bad.
 * abort_statement stops as abort, and its refresh is one transaction
 * (in_txn: pipe.c begins it and ends it).  The file itself is only ever
 * read.
 */
#include "pipes/pipe_int.h"
#include "format/format.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define CANCEL_EVERY 1024      /* records between looks at the cancel flag */

struct loader {
	struct pipe_load *L;
	const struct project_pipe *pipe;
	struct db *db;
	struct raw_table table;
	bool declared;              /* the pipe says the table's shape */
	struct raw_col *decl;       /* declared columns, the document last */
	size_t ndecl;
	bool has_doc;

	struct fmt_reader *reader;
	struct lake_reader *lr;
	struct sha256 sha;
	int64_t bytes;

	struct db_writer *w;
	int nw;                     /* writer columns: data, then file, line, loaded_at */
	const char **vals;
	const char **filled;        /* inferred: the key that gave each column */
	int *decl_col;              /* declared: the table column of each declared one */
	int64_t written;            /* rows in writers closed so far */
	struct buf doc;
	char line_text[24];
	char loaded_at[32];
	bool writing;               /* the transaction is open and takes rows */

	int64_t generation;         /* of this load: one more than the ledger's */
	int64_t id_before;          /* max(_sluice_id) before this file's rows */
	int64_t id_last;            /* and after them */
	int64_t parsed, good, errors;
	bool has_first;
	struct fmt_error first;
};

/* ---- reading ------------------------------------------------------------------- */

static ssize_t read_lake(void *arg, void *buf, size_t n, struct err *e)
{
	struct loader *ld = arg;
	ssize_t got = lake_read(ld->lr, buf, n, e);
	if (got > 0) {
		sha256_update(&ld->sha, buf, (size_t)got);
		ld->bytes += got;
	}
	return got;
}

/* Read what the parser left unread, so the checksum covers the whole file. */
static int drain(struct loader *ld, struct err *e)
{
	char chunk[65536];
	ssize_t got;
	while ((got = read_lake(ld, chunk, sizeof chunk, e)) > 0)
		;
	return got < 0 ? -1 : 0;
}

static int open_reader(struct loader *ld, struct err *e)
{
	ld->reader = pipe_reader_new(ld->pipe, ld->decl, ld->L->key, read_lake, ld, e);
	return ld->reader ? 0 : -1;
}

/* ---- bad records ------------------------------------------------------------------ */

/* Keep nothing of this file.  In the caller's transaction (in_txn) the
 * caller rolls back: a bad file ends an abort_statement refresh. */
static void stop_writing(struct loader *ld)
{
	if (ld->w) {
		db_writer_abort(ld->w);
		ld->w = NULL;
	}
	if (ld->writing) {
		if (!ld->L->in_txn)
			db_rollback(ld->db);
		ld->writing = false;
	}
}

static bool aborts(const struct project_pipe *pipe)
{
	return pipe->on_error == ON_ERROR_ABORT || pipe->on_error == ON_ERROR_ABORT_STATEMENT;
}

/* Whether the bad records so far mean the file is skipped, whatever
 * follows. */
static bool skipped_now(const struct loader *ld)
{
	switch (ld->pipe->on_error) {
	case ON_ERROR_CONTINUE:
	case ON_ERROR_SKIP_FILE_PERCENT:
		return false;
	case ON_ERROR_SKIP_FILE_N:
		return ld->errors >= ld->pipe->on_error_limit;
	case ON_ERROR_SKIP_FILE:
	case ON_ERROR_ABORT:
	case ON_ERROR_ABORT_STATEMENT:
		break;
	}
	return true;
}

/* skip_file_N%: at least N percent of the file's records were bad. */
static bool skipped_at_end(const struct loader *ld)
{
	if (ld->pipe->on_error != ON_ERROR_SKIP_FILE_PERCENT || ld->errors == 0)
		return false;
	int64_t records = ld->parsed > ld->errors ? ld->parsed : ld->errors;
	return ld->errors * 100 >= (int64_t)ld->pipe->on_error_limit * records;
}

static void bad_record(struct loader *ld, const struct fmt_error *fe)
{
	ld->errors++;
	if (!ld->has_first) {
		ld->first = *fe;
		ld->has_first = true;
	}
	if (skipped_now(ld))
		stop_writing(ld);
}

static void record_error(struct loader *ld, const struct fmt_record *rec, const char *column,
			 const char *fmt, ...) PRINTF_LIKE(4, 5);
static void record_error(struct loader *ld, const struct fmt_record *rec, const char *column,
			 const char *fmt, ...)
{
	struct fmt_error fe;
	memset(&fe, 0, sizeof fe);
	fe.line = rec->line;
	fe.col = rec->col;
	snprintf(fe.column, sizeof fe.column, "%s", column ? column : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fe.message, sizeof fe.message, fmt, ap);
	va_end(ap);
	bad_record(ld, &fe);
}

/* ---- the writer ------------------------------------------------------------------- */

static int open_writer(struct loader *ld, struct err *e)
{
	int n = (int)ld->table.ncols + 3;
	const char **names = xcalloc((size_t)n, sizeof *names);
	for (size_t i = 0; i < ld->table.ncols; i++)
		names[i] = ld->table.cols[i].name;
	names[n - 3] = PIPE_COL_FILE;
	names[n - 2] = PIPE_COL_LINE;
	names[n - 1] = PIPE_COL_LOADED_AT;
	ld->w = db_writer_open(ld->db, ld->table.name, names, n, e);
	free(names);
	if (!ld->w)
		return -1;
	/* Errors the database finds come at a later row or at the close, where
	 * they still name their row: either way the file's load stops. */
	db_writer_batch(ld->w);
	ld->nw = n;
	free(ld->vals);
	free(ld->filled);
	ld->vals = xcalloc((size_t)n, sizeof *ld->vals);
	ld->filled = xcalloc((size_t)n, sizeof *ld->filled);
	if (ld->declared) {
		free(ld->decl_col);
		ld->decl_col = xcalloc(ld->ndecl + 1, sizeof *ld->decl_col);
		for (size_t i = 0; i < ld->ndecl; i++)
			ld->decl_col[i] = pipe_raw_table_find(ld->db, &ld->table, ld->decl[i].name);
	}
	return 0;
}

static int close_writer(struct loader *ld, struct err *e)
{
	if (!ld->w)
		return 0;
	int64_t rows = 0;
	struct db_writer *w = ld->w;
	ld->w = NULL;
	if (db_writer_close(w, &rows, e) < 0)
		return -1;
	ld->written += rows;
	return 0;
}

static void remember_change(struct loader *ld, const char *column, enum schema_change_kind kind,
			    const struct db_coltype *from, struct db_coltype to)
{
	struct store_schema_change *c = xcalloc(1, sizeof *c);
	char tname[64];
	c->connection = xstrdup(ld->pipe->connection);
	c->table = xstrdup(ld->table.name);
	c->column = xstrdup(column);
	c->kind = kind;
	if (from) {
		db_type_sql(db_kind(ld->db), *from, tname, sizeof tname);
		c->old_type = xstrdup(tname);
	}
	db_type_sql(db_kind(ld->db), to, tname, sizeof tname);
	c->new_type = xstrdup(tname);
	c->run_id = ld->L->run_id;
	vec_push(&ld->L->changes, c);
}

/* Write one row: the values already in ld->vals[0 .. ncols), then where it
 * came from. */
static int write_row(struct loader *ld, const struct fmt_record *rec, struct err *e)
{
	/* the line number as text, without printf's cost on every row */
	char *p = ld->line_text + sizeof ld->line_text;
	unsigned long line = rec->line > 0 ? (unsigned long)rec->line : 0;
	*--p = '\0';
	do
		*--p = (char)('0' + line % 10);
	while ((line /= 10) > 0);
	ld->vals[ld->nw - 3] = ld->L->key;
	ld->vals[ld->nw - 2] = p;
	ld->vals[ld->nw - 1] = ld->loaded_at;
	if (db_writer_row(ld->w, ld->vals, e) < 0)
		return -1;
	ld->good++;
	return 0;
}

/* ---- declared shape ----------------------------------------------------------------- */

static int declared_row(struct loader *ld, const struct fmt_record *rec, struct err *e)
{
	for (size_t i = 0; i < ld->table.ncols; i++)
		ld->vals[i] = NULL;
	size_t nfields = ld->pipe->ncolumns;
	for (size_t i = 0; i < nfields && i < rec->nfields; i++) {
		const struct fmt_field *f = &rec->fields[i];
		int col = ld->decl_col[i];
		char why[256];
		if (f->value && pipe_value_too_big(ld->decl[i].type, f->value, why, sizeof why)) {
			record_error(ld, rec, ld->decl[i].name, "column \"%s\": %s",
				     ld->decl[i].name, why);
			return 0;
		}
		ld->vals[col] = f->value;
	}
	if (ld->has_doc) {
		buf_reset(&ld->doc);
		fmt_json_write(&ld->doc, fmt_reader_json(ld->reader));
		ld->vals[ld->decl_col[ld->ndecl - 1]] = buf_str(&ld->doc);
	}
	return write_row(ld, rec, e);
}

/* Make sure the table has every declared column (a column declared since
 * the table was made is added). */
static int declared_table(struct loader *ld, struct err *e)
{
	if (!ld->table.exists)
		return pipe_raw_table_create(ld->db, &ld->table, ld->decl, ld->ndecl, e);
	for (size_t i = 0; i < ld->ndecl; i++) {
		if (pipe_raw_table_find(ld->db, &ld->table, ld->decl[i].name) >= 0)
			continue;
		if (pipe_raw_table_add(ld->db, &ld->table, ld->decl[i].name, ld->decl[i].type, e) < 0)
			return -1;
		remember_change(ld, ld->decl[i].name, SCHEMA_ADDED, NULL, ld->decl[i].type);
	}
	return 0;
}

/* ---- inferred shape ------------------------------------------------------------------ */

/* The type a value suggests.  JSON strings stay text unless they are dates
 * or times (a string "01234" is a code, not a number); CSV has only text,
 * so its values are read for numbers too, except integers with a leading
 * zero. */
static struct db_coltype infer(const struct loader *ld, const struct fmt_field *f)
{
	struct db_coltype text = { DT_TEXT, 0, 0 };
	switch (f->kind) {
	case FK_NULL:
		return text;
	case FK_NUMBER:
		return db_type_infer(f->value);
	case FK_BOOL:
		return (struct db_coltype){ DT_BOOL, 0, 0 };
	case FK_OBJECT:
	case FK_ARRAY:
		return (struct db_coltype){ DT_JSON, 0, 0 };
	case FK_STRING:
		break;
	}
	struct db_coltype t = db_type_infer(f->value);
	if (t.type == DT_DATE || t.type == DT_TIME || t.type == DT_TIMESTAMP)
		return t;
	if (ld->pipe->format != FORMAT_CSV)
		return text;
	const char *p = f->value + (f->value[0] == '-');
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return text;
	return t.type == DT_JSON || t.type == DT_BOOL ? text : t;
}

static const char *bad_column_name(const char *name)
{
	if (!*name)
		return "an empty key cannot name a column";
	if (strlen(name) > 63)
		return "a key longer than 63 bytes cannot name a column";
	if (str_starts_with(name, "_sluice_"))
		return "keys starting with _sluice_ are reserved for sluice's own columns";
	return NULL;
}

/* The table a record's first good row creates: its keys, typed by their
 * values (a key that is null everywhere in it waits for a value). */
static int create_inferred(struct loader *ld, const struct fmt_record *rec, struct err *e)
{
	struct raw_col *cols = xcalloc(rec->nfields + 1, sizeof *cols);
	size_t n = 0;
	struct raw_table probe = { .cols = cols };
	for (size_t i = 0; i < rec->nfields; i++) {
		if (rec->fields[i].kind == FK_NULL)
			continue;
		probe.ncols = n;
		if (pipe_raw_table_find(ld->db, &probe, rec->fields[i].name) >= 0)
			continue;       /* same name on SQLite: inferred_row says so */
		cols[n].name = (char *)rec->fields[i].name;
		cols[n++].type = infer(ld, &rec->fields[i]);
	}
	int rc = pipe_raw_table_create(ld->db, &ld->table, cols, n, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		remember_change(ld, cols[i].name, SCHEMA_ADDED, NULL, cols[i].type);
	free(cols);
	return rc;
}

/* Add a column for a new key, or widen one for a wider value. */
static int grow_column(struct loader *ld, const struct fmt_field *f, struct err *e)
{
	struct db_coltype t = infer(ld, f);
	int col = pipe_raw_table_find(ld->db, &ld->table, f->name);
	bool widened = false;
	if (col >= 0)
		db_type_widen(ld->table.cols[col].type, t, &widened);
	if (col >= 0 && !widened)
		return 0;
	if (close_writer(ld, e) < 0)
		return -1;
	if (col < 0) {
		if (pipe_raw_table_add(ld->db, &ld->table, f->name, t, e) < 0)
			return -1;
		remember_change(ld, f->name, SCHEMA_ADDED, NULL, t);
		return 0;
	}
	struct db_coltype from = ld->table.cols[col].type;
	bool changed;
	if (pipe_raw_table_widen(ld->db, &ld->table, (size_t)col, t, &changed, e) < 0)
		return -1;
	if (changed)
		remember_change(ld, f->name, SCHEMA_WIDENED, &from, ld->table.cols[col].type);
	return 0;
}

/* Bring the table to the record's shape: create it, add columns for new
 * keys, widen columns for wider values.  Returns 1 when the record cannot
 * be stored (recorded as a bad record), 0 when ready, -1 on error. */
static int fit_record(struct loader *ld, const struct fmt_record *rec, struct err *e)
{
	for (size_t i = 0; i < rec->nfields; i++) {
		const char *why = bad_column_name(rec->fields[i].name);
		if (why) {
			record_error(ld, rec, rec->fields[i].name, "key \"%s\": %s",
				     rec->fields[i].name, why);
			return 1;
		}
	}
	if (!ld->table.exists)
		return create_inferred(ld, rec, e) < 0 ? -1 : 0;
	for (size_t i = 0; i < rec->nfields; i++)
		if (rec->fields[i].kind != FK_NULL && grow_column(ld, &rec->fields[i], e) < 0)
			return -1;
	return 0;
}

static int inferred_row(struct loader *ld, const struct fmt_record *rec, struct err *e)
{
	int rc = fit_record(ld, rec, e);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (!ld->w && open_writer(ld, e) < 0)
		return -1;
	for (size_t i = 0; i < ld->table.ncols; i++) {
		ld->vals[i] = NULL;
		ld->filled[i] = NULL;
	}
	for (size_t i = 0; i < rec->nfields; i++) {
		const struct fmt_field *f = &rec->fields[i];
		int col = pipe_raw_table_find(ld->db, &ld->table, f->name);
		if (col < 0)
			continue;       /* null, and no column for it yet */
		if (ld->filled[col]) {
			/* SQLite matches column names without regard to case */
			record_error(ld, rec, f->name, "keys \"%s\" and \"%s\" name the same "
				     "column", ld->filled[col], f->name);
			return 0;
		}
		ld->filled[col] = f->name;
		ld->vals[col] = f->kind == FK_NULL ? NULL : f->value;
	}
	return write_row(ld, rec, e);
}

/* ---- the transaction ----------------------------------------------------------------- */

/* Writers into one raw table take turns (two pipes on one table, or one
 * pipe refreshed by two processes): the ledger check then sees what the
 * other committed, and _sluice_id values commit in increasing order, which
 * append-only streams rely on.  SQLite's BEGIN IMMEDIATE already does it. */
static int lock_table(struct db *db, const char *table, struct err *e)
{
	if (db_kind(db) != DB_POSTGRES)
		return 0;
	char *what = xasprintf("sluice raw table %s", table);
	uint8_t d[32];
	struct sha256 c;
	sha256_init(&c);
	sha256_update(&c, what, strlen(what));
	sha256_final(&c, d);
	free(what);
	int64_t k = 0;
	for (int i = 0; i < 8; i++)
		k = (int64_t)(((uint64_t)k << 8) | d[i]);
	char ks[32];
	snprintf(ks, sizeof ks, "%lld", (long long)k);
	const char *params[] = { ks };
	return db_exec(db, "SELECT pg_advisory_xact_lock($1)", params, 1, NULL, e);
}

static char *ledger_info(const struct loader *ld, const struct store_load *h)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "table", ld->pipe->table);
	cJSON_AddStringToObject(o, "checksum", h->checksum);
	cJSON_AddNumberToObject(o, "size", (double)h->size);
	cJSON_AddNumberToObject(o, "rows_parsed", (double)h->rows_parsed);
	cJSON_AddNumberToObject(o, "rows_loaded", (double)h->rows_loaded);
	cJSON_AddNumberToObject(o, "errors", (double)h->error_count);
	cJSON_AddStringToObject(o, "status", load_status_name(h->status));
	cJSON_AddNumberToObject(o, "loaded_at", (double)h->loaded);
	cJSON_AddNumberToObject(o, "generation", (double)ld->generation);
	/* as text: ids may pass 2^53, beyond what a JSON number keeps exactly */
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)ld->id_before + 1);
	cJSON_AddStringToObject(o, "first_id", id);
	snprintf(id, sizeof id, "%lld", (long long)ld->id_last);
	cJSON_AddStringToObject(o, "last_id", id);
	if (ld->has_first) {
		cJSON_AddStringToObject(o, "first_error", h->first_error);
		cJSON_AddNumberToObject(o, "line", (double)h->first_error_line);
		cJSON_AddNumberToObject(o, "column", (double)h->first_error_column);
		cJSON_AddStringToObject(o, "column_name", h->first_error_column_name ?
					h->first_error_column_name : "");
	}
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *copy = xstrdup(text);
	cJSON_free(text);
	return copy;
}

char *pipe_ledger_key(const struct project_pipe *pipe, const char *key)
{
	return xasprintf("pipe:%s:%s", pipe->name, key);
}

static int64_t json_i64(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static char *json_text(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) && *v->valuestring ? xstrdup(v->valuestring) : NULL;
}

bool pipe_ledger_history(const struct project_pipe *pipe, const char *key,
			 const char *info, struct store_load *out)
{
	memset(out, 0, sizeof *out);
	cJSON *o = info ? cJSON_Parse(info) : NULL;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
	if (!cJSON_IsString(st) || !load_status_parse(st->valuestring, &out->status)) {
		cJSON_Delete(o);
		return false;
	}
	out->pipe = xstrdup(pipe->name);
	out->file_key = xstrdup(key);
	out->checksum = json_text(o, "checksum");
	out->size = json_i64(o, "size");
	out->rows_parsed = json_i64(o, "rows_parsed");
	out->rows_loaded = json_i64(o, "rows_loaded");
	out->error_count = json_i64(o, "errors");
	out->loaded = json_i64(o, "loaded_at");
	out->first_error = json_text(o, "first_error");
	out->first_error_line = json_i64(o, "line");
	out->first_error_column = json_i64(o, "column");
	out->first_error_column_name = json_text(o, "column_name");
	/* an entry from before generations were kept is the file's first load */
	int64_t gen = json_i64(o, "generation");
	out->attempt = xasprintf("gen:%lld", (long long)(gen > 0 ? gen : 1));
	cJSON_Delete(o);
	return true;
}

/* The generation a ledger entry gives its load (1 when it has none). */
static int64_t ledger_generation(const char *info)
{
	cJSON *o = info ? cJSON_Parse(info) : NULL;
	int64_t gen = json_i64(o, "generation");
	cJSON_Delete(o);
	return gen > 0 ? gen : 1;
}

/* Fill L->hist from what happened. */
static void settle_history(struct loader *ld, enum load_status status)
{
	struct store_load *h = &ld->L->hist;
	uint8_t d[32];
	char hex[65];
	sha256_final(&ld->sha, d);
	sha256_hex(d, hex);
	h->pipe = xstrdup(ld->pipe->name);
	h->file_key = xstrdup(ld->L->key);
	h->size = ld->bytes;
	h->checksum = xstrdup(hex);
	h->rows_parsed = ld->parsed;
	h->rows_loaded = status == LOAD_FAILED ? 0 : ld->written;
	h->error_count = ld->errors;
	h->status = status;
	h->loaded = clock_now_us();
	h->run_id = ld->L->run_id;
	h->mtime = ld->L->mtime;
	/* see store.h: one row per attempt */
	if (status != LOAD_FAILED)
		h->attempt = xasprintf("gen:%lld", (long long)ld->generation);
	else if (!ld->L->force)
		h->attempt = xasprintf("after:%lld", (long long)ld->L->after);
	if (ld->has_first) {
		h->first_error = xstrdup(ld->first.message);
		h->first_error_line = ld->first.line;
		h->first_error_column = ld->first.col;
		h->first_error_column_name = ld->first.column[0] ? xstrdup(ld->first.column)
								  : NULL;
	}
}

/* ---- the file's rows: where they are, and replacing them ------------------------------- */

/* The largest _sluice_id in the table (0 when empty): one step down the
 * primary key. */
static int max_id(struct loader *ld, int64_t *out, struct err *e)
{
	char *qt = db_quote_ident(ld->db, ld->table.name);
	char *sql = xasprintf("SELECT max(\"%s\") FROM %s", PIPE_COL_ID, qt);
	int rc = db_query_int(ld->db, sql, NULL, 0, out, e);
	free(sql);
	free(qt);
	return rc < 0 ? -1 : 0;
}

static int64_t info_i64(const cJSON *o, const char *name, bool *ok)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	int64_t n = 0;
	if (!cJSON_IsString(v) || !str_to_i64(v->valuestring, &n))
		*ok = false;
	return n;
}

/* The _sluice_id range a ledger entry gives its file's rows; false for an
 * entry without one (written by a sluice that kept an index on
 * _sluice_file instead). */
static bool ledger_range(const char *info, int64_t *first, int64_t *last)
{
	cJSON *o = info ? cJSON_Parse(info) : NULL;
	bool ok = o != NULL;
	*first = info_i64(o, "first_id", &ok);
	*last = info_i64(o, "last_id", &ok);
	cJSON_Delete(o);
	return ok;
}

/* DELETE the file's rows (within [first, last] when range is set); the
 * count in *gone. */
static int delete_rows(struct loader *ld, bool range, int64_t first, int64_t last,
		       int64_t *gone, struct err *e)
{
	char *qt = db_quote_ident(ld->db, ld->table.name);
	char lo[24], hi[24];
	snprintf(lo, sizeof lo, "%lld", (long long)first);
	snprintf(hi, sizeof hi, "%lld", (long long)last);
	const char *params[] = { ld->L->key, lo, hi };
	char *sql = range ? xasprintf("DELETE FROM %s WHERE \"%s\" BETWEEN $2 AND $3 AND "
				      "\"%s\" = $1", qt, PIPE_COL_ID, PIPE_COL_FILE)
			  : xasprintf("DELETE FROM %s WHERE \"%s\" = $1", qt, PIPE_COL_FILE);
	int rc = db_exec(ld->db, sql, params, range ? 3 : 1, gone, e);
	free(sql);
	free(qt);
	return rc;
}

/* A forced reload replaces the rows the file's last load left, in this
 * transaction.  Its ledger entry says where they are: the _sluice_id range
 * [first_id, last_id].  Ids only grow, a row keeps its id (append-only
 * streams rely on that too), and loads into one table take turns, so a
 * load's rows fill a range no other load's rows enter; the primary key
 * finds it without an index on _sluice_file.  The file's name is matched
 * as well (another pipe may have loaded the same file into the table).
 * An entry from before ranges were kept has its rows found by name, which
 * the tables of that time have an index for. */
static int delete_earlier(struct loader *ld, const char *info, struct err *e)
{
	int64_t first, last, gone = 0;
	if (!ledger_range(info, &first, &last)) {
		if (delete_rows(ld, false, 0, 0, &gone, e) < 0)
			return -1;
	} else if (last >= first && delete_rows(ld, true, first, last, &gone, e) < 0) {
		return -1;
	}
	if (gone)
		log_emit(LOG_INFO, ld->L->run_id, NULL, NULL, NULL, 0, "pipe %s: reloading %s "
			 "replaces its %lld earlier rows", ld->pipe->name, ld->L->key,
			 (long long)gone);
	return 0;
}

static void hist_free(struct store_load *h)
{
	free(h->pipe);
	free(h->file_key);
	free(h->checksum);
	free(h->first_error);
	free(h->first_error_column_name);
	free(h->attempt);
	free(h->seen_checksum);
	free(h->loaded_by);
	memset(h, 0, sizeof *h);
}

static char *info_string(const char *info, const char *name)
{
	cJSON *o = info ? cJSON_Parse(info) : NULL;
	char *v = json_text(o, name);
	cJSON_Delete(o);
	return v;
}

/* The file is in the ledger, but another control store (or a sluice from
 * before store ids) committed it.  The entry states a fact about this
 * database: that file's rows are in the table.  Loading it again would put
 * them there twice, and skipping it silently would hide that this store
 * never loaded it; so when the file is the one the entry describes (same
 * table, same checksum) its history records it as loaded by that store,
 * and otherwise it fails with what to do.  1 settled, -1 error. */
static int foreign_entry(struct loader *ld, const struct db_ledger_entry *en,
			 struct err *e)
{
	struct pipe_load *L = ld->L;
	const char *by = en->store_id ? en->store_id : PIPE_LOADED_BY_UNKNOWN;
	const char *who = en->store_id ? en->store_id : "a sluice older than control store ids";
	stop_writing(ld);
	char *table = info_string(en->info, "table");
	if (table && strcmp(table, ld->pipe->table) != 0) {
		err_set(e, ERR_CONFLICT, "the ledger of %s says %s loaded a file of this name "
			"into %s under a pipe of the same name: another project's pipe %s "
			"shares this database; give this pipe another name", db_label(ld->db),
			who, table, ld->pipe->name);
		free(table);
		return -1;
	}
	free(table);
	if (drain(ld, e) < 0)
		return -1;
	settle_history(ld, LOAD_FAILED);          /* the checksum of what is there now */
	char *theirs = info_string(en->info, "checksum");
	if (theirs && strcmp(theirs, L->hist.checksum) == 0) {
		free(theirs);
		hist_free(&L->hist);
		if (!pipe_ledger_history(ld->pipe, L->key, en->info, &L->hist))
			return err_set(e, ERR_INTERNAL, "the ledger entry is not readable");
		L->hist.run_id = L->run_id;
		L->hist.mtime = L->mtime;
		L->hist.loaded_by = xstrdup(by);
		L->reconciled = L->adopted = true;
		return 1;
	}
	L->hist.first_error = xasprintf("the ledger of %s says %s loaded a file of this "
		"name into %s%s%s%s, and this file differs (checksum %.12s): it is neither "
		"loaded again (rows could be there twice) nor skipped; if it is a new file "
		"under an old name, reload it with: sluice pipe refresh %s --force --file %s "
		"(replaces the rows the earlier load left)", db_label(ld->db), who,
		ld->pipe->table, theirs ? " (checksum " : " (no checksum recorded",
		theirs ? theirs : "", ")", L->hist.checksum, ld->pipe->name, L->key);
	free(theirs);
	return 1;
}

/* Begin, take the table's turn, and look for the file in the ledger.
 * 1: committed before (history rebuilt, transaction closed); 0: go on. */
static int begin_file(struct loader *ld, struct err *e)
{
	struct pipe_load *L = ld->L;
	if (!L->in_txn && (db_ledger_ensure(ld->db, e) < 0 || db_begin(ld->db, e) < 0))
		return -1;
	ld->writing = true;
	if (lock_table(ld->db, ld->pipe->table, e) < 0)
		return -1;
	char *lkey = pipe_ledger_key(ld->pipe, L->key);
	struct db_ledger_entry en;
	int found = db_ledger_get(ld->db, lkey, &en, e);
	free(lkey);
	if (found < 0)
		return -1;
	int rc = 0;
	if (found && !L->force && !str_eq(en.store_id, L->store_id)) {
		rc = foreign_entry(ld, &en, e);
	} else if (found && !L->force) {
		stop_writing(ld);
		if (!pipe_ledger_history(ld->pipe, L->key, en.info, &L->hist))
			rc = err_set(e, ERR_INTERNAL, "pipe %s: the ledger entry of %s is "
				     "not readable", ld->pipe->name, L->key);
		else
			rc = 1;
		L->hist.run_id = L->run_id;
		L->hist.mtime = L->mtime;
		L->reconciled = rc == 1;
	} else {
		ld->generation = found ? ledger_generation(en.info) + 1 : 1;
		rc = pipe_raw_table_read(ld->db, &ld->table, e);
		if (rc == 0 && ld->declared)
			rc = declared_table(ld, e);
		if (rc == 0 && found && ld->table.exists)
			rc = delete_earlier(ld, en.info, e);
		if (rc == 0 && ld->table.exists &&
		    (max_id(ld, &ld->id_before, e) < 0 || open_writer(ld, e) < 0))
			rc = -1;
	}
	db_ledger_entry_free(&en);
	return rc;
}

static bool cancelled(const struct loader *ld)
{
	return ld->L->cancel && atomic_load(ld->L->cancel);
}

/* A row the database refused (a constraint; PostgreSQL's COPY reports a
 * bad value so too): the file's fault, not the refresh's.  The writer
 * names the row, at the row or later (COPY at its end, a batched SQLite
 * writer when the row's batch goes in), so this may come from any write. */
static bool refused_value(const struct err *e)
{
	return e->code == ERR_DB && str_starts_with(e->where, "row ");
}

/* The file fails as a whole for the reason fe gives, which becomes its
 * first error: nothing of it is kept, whatever on_error says. */
static void discard_file(struct loader *ld, const struct fmt_error *fe)
{
	stop_writing(ld);
	ld->has_first = false;
	bad_record(ld, fe);
	ld->written = 0;
}

/* The file fails on the database's refusal. */
static void refused(struct loader *ld, const struct err *we)
{
	struct fmt_error fe;
	memset(&fe, 0, sizeof fe);
	snprintf(fe.message, sizeof fe.message, "%s", err_text(we));
	discard_file(ld, &fe);
}

/* Read every record.  0 when the file was read to its end (or to a bad
 * record that ends it), -1 on an error of the refresh. */
static int read_records(struct loader *ld, struct err *e)
{
	struct fmt_record rec;
	struct err re;
	for (;;) {
		if ((ld->parsed % CANCEL_EVERY) == 0 && cancelled(ld))
			return err_set(e, ERR_CANCELLED, "pipe %s: cancelled while loading %s",
				       ld->pipe->name, ld->L->key);
		err_clear(&re);
		enum fmt_status st = fmt_reader_next(ld->reader, &rec, &re);
		if (st == FMT_END)
			return 0;
		const struct fmt_error *fe = fmt_reader_error(ld->reader);
		if (st == FMT_FATAL) {
			if (fe->io) {               /* the lake failed us, not the file */
				*e = re;
				return -1;
			}
			if (fe->line == 0) {        /* a gzip stream cut short or corrupt */
				discard_file(ld, fe);
				return 0;
			}
			bad_record(ld, fe);
			return 0;
		}
		ld->parsed++;
		if (st == FMT_BAD_RECORD) {
			bad_record(ld, fe);
			if (aborts(ld->pipe))
				return 0;
			continue;
		}
		if (!ld->writing)
			continue;           /* skip_file after a bad record: count only */
		struct err we;
		err_clear(&we);
		int rc = ld->declared ? declared_row(ld, &rec, &we) : inferred_row(ld, &rec, &we);
		if (rc < 0 && !refused_value(&we)) {
			*e = we;
			return -1;
		}
		if (rc < 0)
			refused(ld, &we);
		if (!ld->writing && aborts(ld->pipe))
			return 0;
	}
}

static int finish(struct loader *ld, struct err *e)
{
	struct pipe_load *L = ld->L;
	bool keep = ld->writing && (ld->errors == 0 || ld->good > 0) && !skipped_at_end(ld);
	if (!keep) {
		stop_writing(ld);
		settle_history(ld, LOAD_FAILED);
		return 0;
	}
	struct err we = { 0 };
	if (close_writer(ld, &we) < 0) {
		stop_writing(ld);
		if (!refused_value(&we)) {
			*e = we;
			return -1;
		}
		refused(ld, &we);
		settle_history(ld, LOAD_FAILED);
		return 0;
	}
	settle_history(ld, ld->errors ? LOAD_PARTIALLY_LOADED : LOAD_LOADED);
	ld->id_last = ld->id_before;
	if (ld->written > 0 && max_id(ld, &ld->id_last, e) < 0) {
		stop_writing(ld);
		return -1;
	}
	char *lkey = pipe_ledger_key(ld->pipe, L->key);
	char *info = ledger_info(ld, &L->hist);
	int rc = db_ledger_put(ld->db, lkey, L->store_id, L->run_id, info, e);
	free(lkey);
	free(info);
	if (rc == 0 && !L->in_txn)
		rc = db_commit(ld->db, e);
	if (rc < 0) {
		stop_writing(ld);
		return -1;
	}
	ld->writing = false;
	L->committed = true;
	return 0;
}

static void loader_free(struct loader *ld)
{
	stop_writing(ld);
	fmt_reader_free(ld->reader);
	lake_read_close(ld->lr);
	pipe_raw_table_free(&ld->table);
	pipe_raw_cols_free(ld->decl, ld->ndecl);
	free(ld->vals);
	free(ld->filled);
	free(ld->decl_col);
	buf_free(&ld->doc);
	sha256_free(&ld->sha);
}

static void free_change(void *p)
{
	struct store_schema_change *c = p;
	free(c->connection);
	free(c->table);
	free(c->column);
	free(c->old_type);
	free(c->new_type);
	free(c);
}

int pipe_load_file(struct pipe_load *L, struct err *e)
{
	struct loader ld;
	memset(&ld, 0, sizeof ld);
	ld.L = L;
	ld.pipe = L->pipe;
	ld.db = L->db;
	ld.declared = pipe_has_shape(L->pipe);
	ld.has_doc = L->pipe->document && *L->pipe->document;
	sha256_init(&ld.sha);
	pipe_raw_table_init(&ld.table, L->pipe->table);
	time_format_iso(clock_now_us(), ld.loaded_at);
	ld.loaded_at[10] = ' ';
	ld.loaded_at[26] = '\0';
	int rc = -1;
	if (ld.declared && pipe_declared_columns(L->pipe, &ld.decl, &ld.ndecl, e) < 0)
		goto out;
	ld.lr = lake_read_open(L->lake, L->key, e);
	if (!ld.lr || open_reader(&ld, e) < 0)
		goto out;
	int begun = begin_file(&ld, e);
	if (begun != 0) {
		rc = begun > 0 ? 0 : -1;
		goto out;
	}
	if (read_records(&ld, e) < 0 || drain(&ld, e) < 0)
		goto out;
	L->bad = ld.errors > 0;
	rc = finish(&ld, e);
out:
	if (rc < 0) {
		err_prefix(e, "pipe %s: %s: ", L->pipe->name, L->key);
		vec_free_all(&L->changes, free_change);
	} else if (!L->committed) {
		vec_free_all(&L->changes, free_change);
	}
	loader_free(&ld);
	return rc;
}

void pipe_load_free(struct pipe_load *L)
{
	hist_free(&L->hist);
	vec_free_all(&L->changes, free_change);
}
