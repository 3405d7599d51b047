/*
 * pipe_state.c - what state a pipe is in, and what `show pipes` and the
 * console show of it.
 *
 * Two kinds of state.  What someone set, kept as the store object
 * "pipe:NAME": PAUSED by an operator, STOPPED_ON_ERROR by on_error abort
 * (with the error as its reason), RUNNING again by `pipe resume`.  What
 * the world says, found when asked: the lake or the prefix's directory
 * missing (STOPPED_MISSING_PATH), the table dropped after files were
 * loaded into it (STOPPED_MISSING_TABLE).  Set states come first: a paused
 * pipe is PAUSED whatever the lake says.
 */
#include "pipes/pipe_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[PIPE_STATE_COUNT] = {
	[PIPE_RUNNING] = "RUNNING",
	[PIPE_PAUSED] = "PAUSED",
	[PIPE_STOPPED_MISSING_TABLE] = "STOPPED_MISSING_TABLE",
	[PIPE_STOPPED_MISSING_PATH] = "STOPPED_MISSING_PATH",
	[PIPE_STOPPED_ON_ERROR] = "STOPPED_ON_ERROR",
};

const char *pipe_state_name(enum pipe_state st)
{
	return (unsigned)st < PIPE_STATE_COUNT ? state_names[st] : "?";
}

char *pipe_object_name(const struct project_pipe *pipe)
{
	return xasprintf("pipe:%s", pipe->name);
}

char *pipe_error_text(const struct store_load *h)
{
	if (!h->first_error)
		return NULL;
	if (h->first_error_line > 0)
		return xasprintf("%s:%lld:%lld: %s", h->file_key, (long long)h->first_error_line,
				 (long long)h->first_error_column, h->first_error);
	return xasprintf("%s: %s", h->file_key, h->first_error);
}

/* ---- set states --------------------------------------------------------------------- */

int pipe_stored_state(struct store *store, const struct project_pipe *pipe,
		      enum pipe_state *state, char **reason, struct err *e)
{
	*state = PIPE_RUNNING;
	if (reason)
		*reason = NULL;
	char *obj = pipe_object_name(pipe);
	struct store_object_state *st = NULL;
	int rc = store_object_get(store, obj, &st, e);
	free(obj);
	if (rc <= 0)
		return rc;
	if (str_eq(st->state, "PAUSED")) {
		*state = PIPE_PAUSED;
		if (reason)
			*reason = st->reason ? xasprintf("paused by %s: %s", st->changed_by,
							 st->reason)
					     : xasprintf("paused by %s", st->changed_by);
	} else if (str_eq(st->state, "STOPPED_ON_ERROR")) {
		*state = PIPE_STOPPED_ON_ERROR;
		if (reason)
			*reason = xasprintf("stopped by on_error %s: %s; fix the file, then "
					    "'pipe resume %s' (an unchanged failed file is then "
					    "skipped; 'pipe refresh %s --force --file KEY' retries "
					    "it)", st->changed_by ? st->changed_by : "abort",
					    st->reason ? st->reason : "?", pipe->name, pipe->name);
	}
	store_object_free(st);
	return 0;
}

static int set_state(struct store *store, const struct project_pipe *pipe, const char *state,
		     const char *by, const char *reason, bool *changed, struct err *e)
{
	char *obj = pipe_object_name(pipe);
	struct store_object_state *st = NULL;
	int rc = store_object_get(store, obj, &st, e);
	bool same = rc == 1 ? strcmp(st->state, state) == 0
			    : strcmp(state, "RUNNING") == 0;
	store_object_free(st);
	if (changed)
		*changed = rc >= 0 && !same;
	if (rc >= 0 && !same)
		rc = store_object_set(store, obj, state, reason, by, e);
	if (rc >= 0 && !same)
		log_emit(LOG_INFO, 0, NULL, obj, NULL, 0, "%s by %s%s%s",
			 strcmp(state, "PAUSED") == 0 ? "paused" : "resumed", by ? by : "?",
			 reason ? ": " : "", reason ? reason : "");
	free(obj);
	return rc < 0 ? -1 : 0;
}

int pipe_pause(struct store *store, const struct project_pipe *pipe, const char *by,
	       const char *reason, bool *changed, struct err *e)
{
	return set_state(store, pipe, "PAUSED", by, reason, changed, e);
}

int pipe_resume(struct store *store, const struct project_pipe *pipe, const char *by,
		bool *changed, struct err *e)
{
	return set_state(store, pipe, "RUNNING", by, NULL, changed, e);
}

int pipe_stop_on_error(struct store *store, const struct project_pipe *pipe,
		       const char *error, struct err *e)
{
	/* Written also when stopped already (a forced refresh met another bad
	 * file): the reason is the newest error.  `by` names the rule, which
	 * pipe_stored_state puts in the reason. */
	char *obj = pipe_object_name(pipe);
	int rc = store_object_set(store, obj, "STOPPED_ON_ERROR", error,
				  on_error_name(pipe->on_error), e);
	free(obj);
	return rc;
}

/* ---- the world's states ------------------------------------------------------------ */

/* Files of this pipe that were loaded (history says so). */
static int loaded_before(struct store *store, const struct project_pipe *pipe,
			 int64_t *n, struct err *e)
{
	int64_t counts[LOAD_STATUS_COUNT];
	if (store_load_counts(store, pipe->name, counts, e) < 0)
		return -1;
	*n = counts[LOAD_LOADED] + counts[LOAD_PARTIALLY_LOADED];
	return 0;
}

/* 1 when files were loaded into the pipe's table (*why, may be NULL, says
 * what to do now that it is gone), 0 when none were, -1 on error. */
static int loaded_into_gone_table(struct store *store, const struct project_pipe *pipe,
				  char **why, struct err *e)
{
	int64_t n;
	if (loaded_before(store, pipe, &n, e) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (why)
		*why = xasprintf("table %s on connection %s is missing, but %lld %s "
				 "loaded into it; re-create it, or refresh with --force "
				 "to re-create it and reload every file", pipe->table,
				 pipe->connection, (long long)n, n == 1 ? "file was" : "files were");
	return 1;
}

int pipe_table_missing(struct db *db, struct store *store, const struct project_pipe *pipe,
		       char **why, struct err *e)
{
	int exists = db_table_exists(db, pipe->table, e);
	if (exists != 0)
		return exists < 0 ? -1 : 0;
	return loaded_into_gone_table(store, pipe, why, e);
}

const struct project_pipe *pipe_loading_table(const struct project *p, const char *conn,
					      const char *table)
{
	for (size_t i = 0; i < p->npipes; i++)
		if (strcmp(p->pipes[i].connection, conn) == 0 &&
		    strcmp(p->pipes[i].table, table) == 0)
			return &p->pipes[i];
	return NULL;
}

int pipe_table_before_first_file(struct db *db, struct store *store,
				 const struct project_pipe *pipe, bool make, struct err *e)
{
	char *why = NULL;
	int gone = loaded_into_gone_table(store, pipe, &why, e);
	if (gone > 0)
		err_set(e, ERR_NOTFOUND, "%s", why);
	free(why);
	if (gone != 0)
		return -1;
	if (!make || !pipe_has_shape(pipe))
		return 0;
	struct raw_col *cols;
	size_t ncols;
	if (pipe_declared_columns(pipe, &cols, &ncols, e) < 0)
		return -1;
	struct raw_table t;
	pipe_raw_table_init(&t, pipe->table);
	int rc = pipe_raw_table_create(db, &t, cols, ncols, e);
	pipe_raw_table_free(&t);
	pipe_raw_cols_free(cols, ncols);
	return rc < 0 ? -1 : 1;
}

/* ---- status ---------------------------------------------------------------------------- */

void pipe_status_free(struct pipe_status *st)
{
	free(st->state_reason);
	free(st->last_file);
	free(st->last_error);
	free(st->changed_file);
	memset(st, 0, sizeof *st);
}

static int newest(struct store *store, const struct project_pipe *pipe, unsigned mask,
		  struct store_load **out, struct err *e)
{
	struct vec v = VEC_INIT;
	*out = NULL;
	if (store_load_list(store, pipe->name, mask, 1, 0, &v, e) < 0)
		return -1;
	if (v.len)
		*out = vec_pop(&v);
	store_load_list_free(&v);
	return 0;
}

static int history_status(struct store *store, const struct project_pipe *pipe,
			  struct pipe_status *out, struct err *e)
{
	int64_t counts[LOAD_STATUS_COUNT];
	if (store_load_counts(store, pipe->name, counts, e) < 0)
		return -1;
	out->files_loaded = counts[LOAD_LOADED];
	out->files_partial = counts[LOAD_PARTIALLY_LOADED];
	out->files_failed = counts[LOAD_FAILED];
	struct store_load *l;
	unsigned ok = (1u << LOAD_LOADED) | (1u << LOAD_PARTIALLY_LOADED);
	unsigned bad = (1u << LOAD_FAILED) | (1u << LOAD_PARTIALLY_LOADED);
	if (newest(store, pipe, ok, &l, e) < 0)
		return -1;
	if (l) {
		out->last_file = xstrdup(l->file_key);
		out->last_loaded = l->loaded;
		store_load_free(l);
	}
	if (newest(store, pipe, bad, &l, e) < 0)
		return -1;
	if (l) {
		out->last_error = pipe_error_text(l);
		out->last_error_at = l->loaded;
		store_load_free(l);
	}
	struct vec changed = VEC_INIT;
	if (store_load_changed(store, pipe->name, 10000, &changed, e) < 0)
		return -1;
	out->changed_files = (int64_t)changed.len;
	if (changed.len)
		out->changed_file = xstrdup(((struct store_load *)changed.items[0])->file_key);
	store_load_list_free(&changed);
	return 0;
}

char *pipe_changed_warning(const struct project_pipe *pipe, const struct pipe_status *st)
{
	if (st->changed_files <= 0 || !st->changed_file)
		return NULL;
	bool one = st->changed_files == 1;
	return xasprintf("pipe %s: %lld file%s changed in the lake since %s loaded and %s "
			 "not reloaded (%s%s); reload %s with: sluice pipe refresh %s --force "
			 "--file %s", pipe->name, (long long)st->changed_files, one ? "" : "s",
			 one ? "it was" : "they were", one ? "was" : "were",
			 one ? "" : "newest: ", st->changed_file, one ? "it" : "one",
			 pipe->name, st->changed_file);
}

int pipe_status(const struct project *p, const struct project_pipe *pipe,
		struct store *store, struct step_conns *conns, struct lake *lake,
		struct pipe_status *out, struct err *e)
{
	(void)p;
	memset(out, 0, sizeof *out);
	out->pending = -1;
	if (history_status(store, pipe, out, e) < 0 ||
	    pipe_stored_state(store, pipe, &out->state, &out->state_reason, e) < 0)
		return -1;
	struct err le = { 0 };
	if (pipe_pending(pipe, store, lake, &out->pending, &le) < 0) {
		out->pending = -1;
		if (le.code == ERR_NOTFOUND && out->state == PIPE_RUNNING) {
			out->state = PIPE_STOPPED_MISSING_PATH;
			out->state_reason = xstrdup(err_text(&le));
		} else if (le.code != ERR_NOTFOUND) {
			return (*e = le, -1);
		}
	}
	if (out->state != PIPE_RUNNING || !conns)
		return 0;
	struct db *db = step_conns_get(conns, pipe->connection, e);
	if (!db)
		return -1;
	int missing = pipe_table_missing(db, store, pipe, &out->state_reason, e);
	if (missing < 0)
		return -1;
	if (missing)
		out->state = PIPE_STOPPED_MISSING_TABLE;
	return 0;
}
