/*
 * stream_store.c - where a stream's positions live: _sluice_stream_offsets
 * and _sluice_stream_windows in the stream's own database, one offset per
 * (control store, stream) and one window per (control store, stream, run).
 *
 * Why per store: an offset is how far one consumer has read.  Two projects
 * that share a warehouse, or a project that starts over with a new
 * .sluice/ or control store, must not take each other's offsets or
 * windows: run 1 of a new store finding the window of another store's run
 * 1 would read the wrong rows, and a stream whose offset another project
 * moved would lose rows.
 *
 * A store with no offset of its own reads from:
 *   - the offset of another store whose consuming load wrote a table that
 *     a load of this project, consuming this stream, writes too: the rows
 *     up to it are in that table already (a new .sluice/ or control store
 *     for the same project), so this store continues from there and says
 *     so;
 *   - an offset from before store ids (store_id ''): this store's own if
 *     the store is that old and may take the database's records without
 *     an id (db_ledger_claim_legacy); when it cannot be attributed, an
 *     error that says how to settle it, since starting over would load
 *     the rows twice and continuing might skip another project's;
 *   - else the start.
 * Windows are never taken from another store; one written before store
 * ids is the store's own under the same rules as ledger entries (ledger.c).
 *
 * Tables written before store ids are rebuilt with the store_id column on
 * the first write, their rows keeping store_id ''.
 */
#include "pipes/stream_int.h"
#include "db/db.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define OFFSETS "_sluice_stream_offsets"
#define WINDOWS "_sluice_stream_windows"
#define NO_STORE ""           /* store_id of rows from before store ids */

void stream_pos_free(struct spos *p)
{
	free(p->pos);
	free(p->tb);
	free(p->del);
	p->pos = p->tb = p->del = NULL;
}

void stream_window_free(struct swindow *w)
{
	stream_pos_free(&w->lower);
	stream_pos_free(&w->upper);
}

void stream_offset_row_free(struct offset_row *r)
{
	stream_pos_free(&r->at);
	free(r->taken_from);
	memset(r, 0, sizeof *r);
}

static void now_text(char out[32])
{
	time_format_iso(clock_now_us(), out);  /* 2026-11-21T13:05:09.123456Z */
	out[10] = ' ';
	out[26] = '\0';
}

/* ---- the tables --------------------------------------------------------------------- */

enum table_form { TABLE_NONE, TABLE_BEFORE_IDS, TABLE_CURRENT };

/* The table's form, and whether it has the delete log's positions (added
 * to tables made before default-mode streams captured deletes). */
static int table_form_of(struct db *db, const char *name, enum table_form *form,
			 bool *deletes, struct err *e)
{
	struct err de = { 0 };
	struct db_table *t = db_describe(db, name, &de);
	*form = TABLE_NONE;
	*deletes = false;
	if (!t)
		return de.code == ERR_NOTFOUND ? 0 : (*e = de, -1);
	*form = TABLE_BEFORE_IDS;
	for (size_t i = 0; i < t->ncolumns; i++) {
		if (strcmp(t->columns[i].name, "store_id") == 0)
			*form = TABLE_CURRENT;
		if (strcmp(t->columns[i].name, "delete_position") == 0 ||
		    strcmp(t->columns[i].name, "upper_delete") == 0)
			*deletes = true;
	}
	db_table_free(t);
	return 0;
}

static int table_form(struct db *db, const char *name, enum table_form *form, struct err *e)
{
	bool deletes;
	return table_form_of(db, name, form, &deletes, e);
}

static const struct db_column offset_cols[] = {
	{ "store_id", { DT_TEXT, 0, 0 }, true, true },
	{ "stream", { DT_TEXT, 0, 0 }, true, true },
	{ "position", { DT_TEXT, 0, 0 }, false, false },
	{ "tiebreak", { DT_TEXT, 0, 0 }, false, false },
	{ "run_id", { DT_INT, 0, 0 }, true, false },
	{ "updated_at", { DT_TIMESTAMP, 0, 0 }, true, false },
	{ "consumer", { DT_TEXT, 0, 0 }, false, false },
	{ "delete_position", { DT_TEXT, 0, 0 }, false, false },
	{ "delete_table", { DT_TEXT, 0, 0 }, false, false },
};

static const struct db_column window_cols[] = {
	{ "store_id", { DT_TEXT, 0, 0 }, true, true },
	{ "stream", { DT_TEXT, 0, 0 }, true, true },
	{ "run_id", { DT_INT, 0, 0 }, true, true },
	{ "lower_position", { DT_TEXT, 0, 0 }, false, false },
	{ "lower_tiebreak", { DT_TEXT, 0, 0 }, false, false },
	{ "upper_position", { DT_TEXT, 0, 0 }, false, false },
	{ "upper_tiebreak", { DT_TEXT, 0, 0 }, false, false },
	{ "fixed_at", { DT_TIMESTAMP, 0, 0 }, true, false },
	{ "lower_delete", { DT_TEXT, 0, 0 }, false, false },
	{ "upper_delete", { DT_TEXT, 0, 0 }, false, false },
};

struct table_spec {
	const char *name;
	const struct db_column *cols;
	size_t ncols;
	const char *old_cols;      /* the columns a table from before store ids has */
	size_t ndelete_cols;       /* the last ones, added for the delete log */
};

static const struct table_spec offsets_spec = {
	OFFSETS, offset_cols, ARRAY_LEN(offset_cols),
	"stream, position, tiebreak, run_id, updated_at", 2,
};
static const struct table_spec windows_spec = {
	WINDOWS, window_cols, ARRAY_LEN(window_cols),
	"stream, run_id, lower_position, lower_tiebreak, upper_position, upper_tiebreak, "
	"fixed_at", 2,
};

static int create(struct db *db, const struct table_spec *ts, const char *name,
		  struct err *e)
{
	struct db_table def = { (char *)name, (struct db_column *)ts->cols, ts->ncols };
	return db_create_table(db, &def, true, e);
}

/* A table from before store ids, made again with store_id in its key; its
 * rows keep store_id ''.  In the caller's transaction when there is one. */
static int rebuild(struct db *db, const struct table_spec *ts, struct err *e)
{
	char *tmp = xasprintf("%s_new", ts->name);
	char *sql = xasprintf("INSERT INTO %s (store_id, %s) SELECT '', %s FROM %s", tmp,
			      ts->old_cols, ts->old_cols, ts->name);
	int rc = db_drop_table(db, tmp, true, e);
	if (rc == 0)
		rc = create(db, ts, tmp, e);
	if (rc == 0)
		rc = db_exec(db, sql, NULL, 0, NULL, e);
	if (rc == 0)
		rc = db_drop_table(db, ts->name, false, e);
	if (rc == 0)
		rc = db_rename_table(db, tmp, ts->name, e);
	free(sql);
	free(tmp);
	return rc;
}

/* Which of the columns added for the delete log the table lacks (a bit
 * each, from the first of them). */
static int missing_delete_cols(struct db *db, const struct table_spec *ts, unsigned *missing,
			       struct err *e)
{
	struct db_table *t = db_describe(db, ts->name, e);
	if (!t)
		return -1;
	*missing = 0;
	for (size_t i = ts->ncols - ts->ndelete_cols, bit = 1; i < ts->ncols; i++, bit <<= 1) {
		bool has = false;
		for (size_t j = 0; j < t->ncolumns && !has; j++)
			has = strcmp(t->columns[j].name, ts->cols[i].name) == 0;
		if (!has)
			*missing |= bit;
	}
	db_table_free(t);
	return 0;
}

/* Give a table made before the delete log (or before its pruning) the
 * columns it lacks. */
static int add_delete_cols(struct db *db, const struct table_spec *ts, struct err *e)
{
	unsigned missing;
	if (missing_delete_cols(db, ts, &missing, e) < 0)
		return -1;
	if (!missing)
		return 0;
	bool own = !db_in_transaction(db);
	if (own && db_begin(db, e) < 0)
		return -1;
	/* Look again inside the transaction: another session may have. */
	int rc = missing_delete_cols(db, ts, &missing, e);
	for (size_t i = ts->ncols - ts->ndelete_cols, bit = 1; rc == 0 && i < ts->ncols;
	     i++, bit <<= 1)
		if (missing & bit)
			rc = db_add_column(db, ts->name, &ts->cols[i], e);
	if (own)
		rc = rc == 0 ? db_commit(db, e) : (db_rollback(db), -1);
	return rc;
}

static int ensure_one(struct db *db, const struct table_spec *ts, struct err *e)
{
	enum table_form form;
	if (table_form(db, ts->name, &form, e) < 0)
		return -1;
	if (form == TABLE_CURRENT)
		return add_delete_cols(db, ts, e);
	if (form == TABLE_NONE) {
		/* Two sessions may create it at once; the loser finds it made. */
		if (create(db, ts, ts->name, e) == 0)
			return 0;
		return table_form(db, ts->name, &form, NULL) == 0 && form == TABLE_CURRENT
			? (err_clear(e), 0) : -1;
	}
	bool own = !db_in_transaction(db);
	if (own && db_begin(db, e) < 0)
		return -1;
	/* Inside the transaction, look again: another session may have done it. */
	int rc = table_form(db, ts->name, &form, e);
	if (rc == 0 && form == TABLE_BEFORE_IDS)
		rc = rebuild(db, ts, e);
	if (own)
		rc = rc == 0 ? db_commit(db, e) : -1;
	if (rc < 0) {
		if (own)
			db_rollback(db);
		err_prefix(e, "giving %s its store_id column: ", ts->name);
	}
	return rc;
}

static int ensure_tables(struct db *db, struct err *e)
{
	if (ensure_one(db, &offsets_spec, e) < 0)
		return -1;
	return ensure_one(db, &windows_spec, e);
}

/* ---- records from before store ids -------------------------------------------- */

/* May this store take the database's records without a store id?  1 yes,
 * 0 no (*other: the store that may, or whose records are there). */
static int may_take_unowned(struct db *db, const struct stream_owner *o, char **other,
			    struct err *e)
{
	*other = NULL;
	if (!o->id->legacy)
		return 0;
	return db_ledger_claim_legacy(db, o->id->id, other, e);
}

/* ---- offsets ------------------------------------------------------------------------ */

struct offset_cand {
	char *store;
	struct spos at;
	int64_t run_id;
	usec_t updated;
	char *consumer;
};

static void cand_free(struct offset_cand *c)
{
	free(c->store);
	stream_pos_free(&c->at);
	free(c->consumer);
}

/* A load step's "consumes": one stream name or an array of them. */
static bool consumes_stream(const cJSON *consumes, const char *stream)
{
	if (cJSON_IsString(consumes))
		return str_eq(consumes->valuestring, stream);
	const cJSON *el;
	cJSON_ArrayForEach(el, consumes)
		if (cJSON_IsString(el) && str_eq(el->valuestring, stream))
			return true;
	return false;
}

/* Does a load of this project that consumes `stream` write `table`?  (The
 * project was validated: a load's "table" is a string.) */
static bool consumed_into(const struct project *p, const char *stream, const char *table)
{
	for (size_t f = 0; table && f < p->nflows; f++) {
		const struct project_flow *fl = &p->flows[f];
		for (size_t i = 0; i < fl->nsteps; i++) {
			const struct project_step *st = &fl->steps[i];
			const cJSON *t = st->kind == STEP_LOAD && st->spec
				? cJSON_GetObjectItemCaseSensitive(st->spec, "table") : NULL;
			if (cJSON_IsString(t) && str_eq(t->valuestring, table) &&
			    consumes_stream(cJSON_GetObjectItemCaseSensitive(st->spec, "consumes"),
					    stream))
				return true;
		}
	}
	return false;
}

static int read_cands(struct db *db, enum table_form form, bool deletes, const char *stream,
		      struct offset_cand *c, size_t max, size_t *n, struct err *e)
{
	const char *sql = form == TABLE_CURRENT && deletes
		? "SELECT store_id, position, tiebreak, run_id, updated_at, consumer, "
		  "delete_position FROM " OFFSETS " WHERE stream = $1 ORDER BY updated_at DESC"
		: form == TABLE_CURRENT
		? "SELECT store_id, position, tiebreak, run_id, updated_at, consumer, NULL FROM "
		  OFFSETS " WHERE stream = $1 ORDER BY updated_at DESC"
		: "SELECT '', position, tiebreak, run_id, updated_at, NULL, NULL FROM " OFFSETS
		  " WHERE stream = $1";
	const char *params[] = { stream };
	struct db_cursor *cur = db_query(db, sql, params, 1, e);
	if (!cur)
		return -1;
	int rc;
	*n = 0;
	while ((rc = db_cursor_next(cur, e)) == 1 && *n < max) {
		struct offset_cand *k = &c[(*n)++];
		memset(k, 0, sizeof *k);
		k->store = xstrdup(db_cursor_text(cur, 0) ? db_cursor_text(cur, 0) : NO_STORE);
		k->at.pos = xstrdup(db_cursor_text(cur, 1));
		k->at.tb = xstrdup(db_cursor_text(cur, 2));
		const char *r = db_cursor_text(cur, 3), *u = db_cursor_text(cur, 4);
		if (!r || !str_to_i64(r, &k->run_id))
			k->run_id = 0;
		if (!u || !time_parse_iso(u, &k->updated))
			k->updated = 0;
		k->consumer = xstrdup(db_cursor_text(cur, 5));
		k->at.del = xstrdup(db_cursor_text(cur, 6));
	}
	db_cursor_close(cur);
	return rc < 0 ? -1 : 0;
}

static void take(struct offset_row *out, struct offset_cand *c, bool own)
{
	out->at = c->at;
	memset(&c->at, 0, sizeof c->at);
	out->updated = c->updated;
	out->run_id = c->run_id;
	if (!own)
		out->taken_from = xstrdup(c->store);
}

static int unattributed(struct db *db, const struct stream_owner *o,
			const struct project_stream *s, const struct offset_cand *c,
			const char *other, struct err *e)
{
	const char *me = o->id->id;
	return err_set(e, ERR_CONFLICT, "stream %s: %s holds an offset for it (at %s, "
		       "run %lld) written before control stores had ids, and this "
		       "control store (%s) cannot tell whether its project consumed those "
		       "rows%s%s%s.  If it did (a new .sluice/ or a switched control "
		       "store), take the offset over: UPDATE " OFFSETS " SET store_id = "
		       "'%s' WHERE stream = '%s' AND store_id = ''; if it did not (another "
		       "project shares this database), start this store at the beginning: "
		       "INSERT INTO " OFFSETS " (store_id, stream, run_id, updated_at) "
		       "VALUES ('%s', '%s', 0, CURRENT_TIMESTAMP)", s->name, db_label(db),
		       c->at.pos ? c->at.pos : "the start", (long long)c->run_id, me,
		       other ? " (this database holds records of control store " : "",
		       other ? other : "", other ? ")" : "", me, s->name, me, s->name);
}

int stream_offset_read(struct db *db, const struct stream_owner *o, const struct project_stream *s,
	      struct offset_row *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	enum table_form form;
	bool deletes;
	if (table_form_of(db, OFFSETS, &form, &deletes, e) < 0)
		return -1;
	if (form == TABLE_NONE)
		return 0;
	struct offset_cand c[16];
	size_t n = 0;
	if (read_cands(db, form, deletes, s->name, c, ARRAY_LEN(c), &n, e) < 0)
		return -1;
	int rc = 0;
	int own = -1, unowned = -1, same_consumer = -1;
	for (size_t i = 0; i < n; i++) {
		if (str_eq(c[i].store, o->id->id))
			own = (int)i;
		else if (!*c[i].store)
			unowned = (int)i;
		else if (same_consumer < 0 && consumed_into(o->project, s->name, c[i].consumer))
			same_consumer = (int)i;     /* the newest such */
	}
	if (own >= 0) {
		take(out, &c[own], true);
	} else if (unowned >= 0) {
		char *other = NULL;
		rc = may_take_unowned(db, o, &other, e);
		if (rc == 1)
			take(out, &c[unowned], false);
		else if (rc == 0)
			rc = unattributed(db, o, s, &c[unowned], other, e);
		free(other);
	} else if (same_consumer >= 0) {
		take(out, &c[same_consumer], false);
	}
	for (size_t i = 0; i < n; i++)
		cand_free(&c[i]);
	return rc < 0 ? -1 : 0;
}

/* ---- windows ------------------------------------------------------------------------- */

static int load_window(struct db *db, enum table_form form, bool deletes, const char *store,
		       const char *stream, int64_t run_id, struct swindow *w, struct err *e)
{
	char id[32];
	snprintf(id, sizeof id, "%lld", (long long)run_id);
	const char *params[] = { stream, id, store };
	const char *sql = form == TABLE_CURRENT && deletes
		? "SELECT lower_position, lower_tiebreak, upper_position, upper_tiebreak, "
		  "lower_delete, upper_delete FROM " WINDOWS " WHERE stream = $1 AND "
		  "run_id = $2 AND store_id = $3"
		: form == TABLE_CURRENT
		? "SELECT lower_position, lower_tiebreak, upper_position, upper_tiebreak, "
		  "NULL, NULL FROM " WINDOWS " WHERE stream = $1 AND run_id = $2 AND "
		  "store_id = $3"
		: "SELECT lower_position, lower_tiebreak, upper_position, upper_tiebreak, "
		  "NULL, NULL FROM " WINDOWS " WHERE stream = $1 AND run_id = $2";
	struct db_cursor *c = db_query(db, sql, params, form == TABLE_CURRENT ? 3 : 2, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	if (rc == 1) {
		w->lower.pos = xstrdup(db_cursor_text(c, 0));
		w->lower.tb = xstrdup(db_cursor_text(c, 1));
		w->upper.pos = xstrdup(db_cursor_text(c, 2));
		w->upper.tb = xstrdup(db_cursor_text(c, 3));
		w->lower.del = xstrdup(db_cursor_text(c, 4));
		w->upper.del = xstrdup(db_cursor_text(c, 5));
	}
	db_cursor_close(c);
	return rc;
}

int stream_window_load(struct db *db, const struct stream_owner *o, const char *stream,
	      int64_t run_id, struct swindow *w, struct err *e)
{
	memset(w, 0, sizeof *w);
	enum table_form form;
	bool deletes;
	if (table_form_of(db, WINDOWS, &form, &deletes, e) < 0)
		return -1;
	if (form == TABLE_NONE)
		return 0;
	int rc = form == TABLE_CURRENT
		? load_window(db, form, deletes, o->id->id, stream, run_id, w, e) : 0;
	if (rc != 0 || !o->id->legacy || run_id > o->id->legacy_runs_upto)
		return rc;
	/* A window this run fixed before the store had an id. */
	rc = load_window(db, form, deletes, NO_STORE, stream, run_id, w, e);
	if (rc != 1)
		return rc;
	char *other = NULL;
	int mine = may_take_unowned(db, o, &other, e);
	if (mine == 0)
		err_set(e, ERR_CONFLICT, "stream %s: %s holds a window of run %lld written "
			"before control stores had ids, and records of control store %s: "
			"sluice cannot tell whether it is this run's; delete it (DELETE FROM "
			WINDOWS " WHERE stream = '%s' AND run_id = %lld AND store_id = '') to "
			"have the run fix a new one", stream, db_label(db), (long long)run_id,
			other ? other : "?", stream, (long long)run_id);
	free(other);
	if (mine != 1)
		stream_window_free(w);
	return mine == 1 ? 1 : -1;
}

int stream_window_save(struct db *db, const struct stream_owner *o, const char *stream,
	      int64_t run_id, const struct swindow *w, struct err *e)
{
	if (ensure_tables(db, e) < 0)
		return -1;
	char id[32], when[32];
	snprintf(id, sizeof id, "%lld", (long long)run_id);
	now_text(when);
	const char *params[] = { o->id->id, stream, id, w->lower.pos, w->lower.tb,
				 w->upper.pos, w->upper.tb, when, w->lower.del, w->upper.del };
	return db_exec(db, "INSERT INTO " WINDOWS " (store_id, stream, run_id, "
		       "lower_position, lower_tiebreak, upper_position, upper_tiebreak, "
		       "fixed_at, lower_delete, upper_delete) VALUES ($1, $2, $3, $4, $5, $6, "
		       "$7, $8, $9, $10) ON CONFLICT (store_id, stream, run_id) DO NOTHING",
		       params, 10, NULL, e);
}

/* ---- advancing --------------------------------------------------------------------- */

/* Rows from before store ids that this store took over are its own now. */
static int forget_unowned(struct db *db, const struct stream_owner *o, const char *stream,
			  const char *run, struct err *e)
{
	if (!o->id->legacy)
		return 0;
	struct db_ledger_entry owner;
	int rc = db_ledger_get(db, "legacy-owner", &owner, e);
	bool mine = rc == 1 && str_eq(owner.store_id, o->id->id);
	db_ledger_entry_free(&owner);
	if (rc < 0 || !mine)
		return rc < 0 ? -1 : 0;
	const char *params[] = { stream, run };
	if (db_exec(db, "DELETE FROM " OFFSETS " WHERE stream = $1 AND store_id = ''",
		    params, 1, NULL, e) < 0)
		return -1;
	return db_exec(db, "DELETE FROM " WINDOWS " WHERE stream = $1 AND store_id = '' "
		       "AND run_id <= $2", params, 2, NULL, e);
}

/* ---- the delete log's holds ---------------------------------------------------
 * Every offset in this database holds the delete log of the table it
 * follows (delete_table) from its delete_position on (NULL: from the log's
 * start): those ids are still to be read by that consumer.  An offset
 * whose table is not known (written before delete_table) holds the log of
 * every table; '' is a stream that reads no deletes (append_only). */

/* This store's offsets of streams its project no longer has go, with their
 * windows and their hold (added back, such a stream starts from the
 * beginning rather than continue past deletes nobody kept for it). */
static int forget_removed(struct db *db, const struct stream_owner *o, struct err *e)
{
	const char *params[] = { o->id->id };
	struct db_cursor *cur = db_query(db, "SELECT stream FROM " OFFSETS " WHERE store_id = $1",
					 params, 1, e);
	if (!cur)
		return -1;
	struct vec gone = VEC_INIT;
	int rc;
	while ((rc = db_cursor_next(cur, e)) == 1)
		if (db_cursor_text(cur, 0) && !project_stream(o->project, db_cursor_text(cur, 0)))
			vec_push(&gone, xstrdup(db_cursor_text(cur, 0)));
	db_cursor_close(cur);
	for (size_t i = 0; rc == 0 && i < gone.len; i++) {
		const char *del[] = { o->id->id, gone.items[i] };
		rc = db_exec(db, "DELETE FROM " OFFSETS " WHERE store_id = $1 AND stream = $2",
			     del, 2, NULL, e);
		if (rc == 0)
			rc = db_exec(db, "DELETE FROM " WINDOWS " WHERE store_id = $1 AND "
				     "stream = $2", del, 2, NULL, e);
	}
	vec_free_all(&gone, free);
	return rc < 0 ? -1 : 0;
}

/* Drop the deletes of `table` that every offset holding its log is past. */
static int prune_deletes(struct db *db, const struct stream_owner *o, const char *table,
			 struct err *e)
{
	if (forget_removed(db, o, e) < 0)
		return -1;
	const char *params[] = { table };
	char *upto = NULL;
	int rc = db_query_value(db, "SELECT CAST(min(CAST(COALESCE(delete_position, '0') "
				"AS bigint)) AS TEXT) FROM " OFFSETS " WHERE delete_table = $1 "
				"OR delete_table IS NULL", params, 1, &upto, e);
	if (rc == 1 && upto)
		rc = stream_deletes_prune(db, table, upto, e);
	free(upto);
	return rc < 0 ? -1 : 0;
}

/* ---- advancing --------------------------------------------------------------------- */

int stream_offset_advance(struct db *db, const struct stream_owner *o,
		 const struct project_stream *s, int64_t run_id, const char *consumer,
		 const struct swindow *w, struct err *e)
{
	char id[32], when[32];
	snprintf(id, sizeof id, "%lld", (long long)run_id);
	now_text(when);
	const char *stream = s->name;
	if (ensure_tables(db, e) < 0 || forget_unowned(db, o, stream, id, e) < 0)
		return -1;
	/* An empty window moves nothing, but an offset this store took over
	 * from another is recorded as its own all the same.  The rows' and the
	 * delete log's positions move each to its own end of the window. */
	const struct spos *to = w->upper.pos ? &w->upper : &w->lower;
	const char *to_del = w->upper.del ? w->upper.del : w->lower.del;
	bool moved = w->upper.pos || stream_window_has_deletes(w);
	const char *follows = s->mode == STREAM_DEFAULT ? s->table : "";
	const char *params[] = { o->id->id, stream, to->pos, to->tb, id, when, consumer,
				 to_del, follows };
	if ((to->pos || to_del) && db_exec(db, moved
			? "INSERT INTO " OFFSETS " (store_id, stream, position, tiebreak, "
			  "run_id, updated_at, consumer, delete_position, delete_table) VALUES "
			  "($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (store_id, stream) DO "
			  "UPDATE SET position = excluded.position, tiebreak = excluded.tiebreak, "
			  "run_id = excluded.run_id, updated_at = excluded.updated_at, consumer = "
			  "excluded.consumer, delete_position = excluded.delete_position, "
			  "delete_table = excluded.delete_table"
			: "INSERT INTO " OFFSETS " (store_id, stream, position, tiebreak, "
			  "run_id, updated_at, consumer, delete_position, delete_table) VALUES "
			  "($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (store_id, stream) DO "
			  "UPDATE SET delete_table = excluded.delete_table",
			params, 9, NULL, e) < 0)
		return -1;
	const char *del[] = { o->id->id, stream, id };
	if (db_exec(db, "DELETE FROM " WINDOWS " WHERE store_id = $1 AND stream = $2 "
		    "AND run_id <= $3", del, 3, NULL, e) < 0)
		return -1;
	return s->mode == STREAM_DEFAULT ? prune_deletes(db, o, s->table, e) : 0;
}
