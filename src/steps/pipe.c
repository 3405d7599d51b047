/*
 * pipe.c - pipes, after Snowflake's Snowpipe: which files under a lake
 * prefix a refresh loads, in what order, and what a pipe's state is.
 *
 * A refresh lists the prefix (the listing sorts by key, and keys sort by
 * time), keeps the keys whose last part matches the pattern, and asks the
 * load history which of them to try (rules in steps.h).  Each file is
 * loaded in its own transaction by pipe_load.c; the history row is written
 * here, after the commit.  The history is the quick answer; the ledger in
 * the target database is the truth: a file whose history is missing but
 * whose ledger entry exists (the process died between the two) is found by
 * pipe_load_file before anything is written, and only its history is
 * written now.
 */
#include "steps/pipe_int.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const state_names[PIPE_STATE_COUNT] = {
	[PIPE_RUNNING] = "RUNNING",
	[PIPE_PAUSED] = "PAUSED",
	[PIPE_STOPPED_MISSING_TABLE] = "STOPPED_MISSING_TABLE",
	[PIPE_STOPPED_MISSING_PATH] = "STOPPED_MISSING_PATH",
};

const char *pipe_state_name(enum pipe_state st)
{
	return (unsigned)st < PIPE_STATE_COUNT ? state_names[st] : "?";
}

void pipe_result_free(struct pipe_result *r)
{
	free(r->first_error);
	r->first_error = NULL;
}

static char *object_name(const struct project_pipe *pipe)
{
	return xasprintf("pipe:%s", pipe->name);
}

/* ---- which files ---------------------------------------------------------------- */

static bool key_matches(const struct project_pipe *pipe, const char *key)
{
	const char *slash = strrchr(key, '/');
	const char *base = slash ? slash + 1 : key;
	const char *pattern = pipe->pattern && *pipe->pattern ? pipe->pattern : "*";
	return fnmatch(pattern, base, 0) == 0;
}

enum decision { TRY, SKIP_LOADED, SKIP_FAILED };

static enum decision decide(const struct project_pipe *pipe, const struct store_load *last,
			    const struct lake_entry *ent, bool force)
{
	if (!last || force)
		return TRY;
	if (last->status != LOAD_FAILED)
		return SKIP_LOADED;
	if (pipe->on_error == ON_ERROR_ABORT || (ent->size >= 0 && ent->size != last->size))
		return TRY;
	return SKIP_FAILED;
}

/* On a file: lake, the directory a prefix names ("orders/" in lake/orders)
 * can be missing while the lake is there; other lakes have no directories. */
static bool prefix_dir_missing(struct lake *lake, const char *prefix)
{
	const char *url = lake_url(lake);
	if (!str_starts_with(url, "file:"))
		return false;
	const char *root = url + 5;
	if (str_starts_with(root, "//"))
		root += 2;
	const char *slash = strrchr(prefix, '/');
	if (!slash)
		return false;
	char *rel = xstrndup(prefix, (size_t)(slash - prefix));
	char *dir = path_join(root, rel);
	struct stat st;
	bool missing = stat(dir, &st) < 0 || !S_ISDIR(st.st_mode);
	free(dir);
	free(rel);
	return missing;
}

/* List the pipe's files.  ERR_NOTFOUND when the lake or the prefix's
 * directory does not exist (the pipe is STOPPED_MISSING_PATH). */
static int list_files(const struct project_pipe *pipe, struct lake *lake,
		      struct lake_listing *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	if (lake_list(lake, pipe->path, out, e) < 0) {
		err_prefix(e, "pipe %s: listing %s: ", pipe->name, pipe->path);
		return -1;
	}
	if (out->len == 0 && prefix_dir_missing(lake, pipe->path))
		return err_set(e, ERR_NOTFOUND, "pipe %s: the lake has no directory %s",
			       pipe->name, pipe->path);
	return 0;
}

int pipe_pending(const struct project_pipe *pipe, struct store *store,
		 struct lake *lake, int64_t *count, struct err *e)
{
	struct lake_listing ls;
	*count = 0;
	if (list_files(pipe, lake, &ls, e) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < ls.len && rc == 0; i++) {
		const struct lake_entry *ent = &ls.entries[i];
		if (!key_matches(pipe, ent->key))
			continue;
		struct store_load *last = NULL;
		if (store_load_get(store, pipe->name, ent->key, &last, e) < 0) {
			rc = -1;
			break;
		}
		if (decide(pipe, last, ent, false) == TRY)
			(*count)++;
		store_load_free(last);
	}
	lake_listing_free(&ls);
	return rc;
}

/* ---- state ------------------------------------------------------------------------ */

static int paused(struct store *store, const struct project_pipe *pipe, char **reason,
		  struct err *e)
{
	char *obj = object_name(pipe);
	struct store_object_state *st = NULL;
	int rc = store_object_get(store, obj, &st, e);
	free(obj);
	if (rc <= 0)
		return rc;
	int is = strcmp(st->state, "PAUSED") == 0;
	if (is && reason)
		*reason = st->reason ? xasprintf("paused by %s: %s", st->changed_by, st->reason)
				     : xasprintf("paused by %s", st->changed_by);
	store_object_free(st);
	return is;
}

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

/* 1 when the table is gone although files were loaded into it: the pipe
 * stops rather than start a new, silently incomplete table. */
static int table_missing(struct db *db, struct store *store, const struct project_pipe *pipe,
			 char **why, struct err *e)
{
	int exists = db_table_exists(db, pipe->table, e);
	if (exists != 0)
		return exists < 0 ? -1 : 0;
	int64_t n;
	if (loaded_before(store, pipe, &n, e) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (why)
		*why = xasprintf("table %s on connection %s is missing, but %lld file%s "
				 "were loaded into it; re-create it, or refresh with --force "
				 "to re-create it and reload every file", pipe->table,
				 pipe->connection, (long long)n, n == 1 ? "" : "s");
	return 1;
}

/* ---- refresh --------------------------------------------------------------------------- */

struct refresh {
	const struct project *p;
	const struct project_pipe *pipe;
	const struct pipe_request *req;
	struct store *store;
	struct db *db;
	struct lake *lake;
	atomic_bool *cancel;
	struct pipe_result *out;
};

static char *error_text(const struct store_load *h)
{
	if (!h->first_error)
		return NULL;
	if (h->first_error_line > 0)
		return xasprintf("%s:%lld:%lld: %s", h->file_key, (long long)h->first_error_line,
				 (long long)h->first_error_column, h->first_error);
	return xasprintf("%s: %s", h->file_key, h->first_error);
}

/* Tell the channels that asked for it that a file was rejected. */
static void notify_failed(struct refresh *r, const struct store_load *h)
{
	char *what = error_text(h);
	char *text = xasprintf("pipe %s: %s %s: %s", r->pipe->name, h->file_key,
			       load_status_name(h->status), what ? what : "");
	for (size_t i = 0; i < r->p->nchannels; i++) {
		const struct project_channel *ch = &r->p->channels[i];
		struct err ne = { 0 };
		if ((ch->events & NOTIFY_PIPE_FILE_FAILED) &&
		    store_notify_enqueue(r->store, ch->name, "pipe_file_failed", text, NULL,
					 &ne) < 0)
			log_warn("pipe %s: cannot queue a notification for %s: %s",
				 r->pipe->name, ch->name, err_text(&ne));
	}
	free(text);
	free(what);
}

static void log_file(struct refresh *r, const struct pipe_load *L)
{
	const struct store_load *h = &L->hist;
	char *obj = object_name(r->pipe);
	char *what = error_text(h);
	enum log_level lv = h->status == LOAD_LOADED ? LOG_INFO : LOG_WARN;
	if (L->reconciled)
		log_emit(LOG_INFO, r->req->run_id, NULL, obj, NULL, 0, "%s was committed before "
			 "(%lld rows); its load history is written now", h->file_key,
			 (long long)h->rows_loaded);
	else
		log_emit(lv, r->req->run_id, NULL, obj, NULL, 0, "%s %s: %lld of %lld rows%s%s",
			 h->file_key, load_status_name(h->status), (long long)h->rows_loaded,
			 (long long)h->rows_parsed, what ? "; first error " : "",
			 what ? what : "");
	free(what);
	free(obj);
}

static int record(struct refresh *r, struct pipe_load *L, struct err *e)
{
	struct pipe_result *out = r->out;
	const struct store_load *h = &L->hist;
	log_file(r, L);
	if (store_load_add(r->store, h, NULL, e) < 0)
		return -1;
	for (size_t i = 0; i < L->changes.len; i++) {
		struct store_schema_change *c = L->changes.items[i];
		if (store_schema_change_add(r->store, c, e) < 0)
			return -1;
		log_emit(LOG_INFO, r->req->run_id, NULL, NULL, NULL, 0, "table %s: column %s "
			 "%s (%s%s%s)", c->table, c->column, schema_change_name(c->kind),
			 c->old_type ? c->old_type : "", c->old_type ? " -> " : "", c->new_type);
	}
	if (L->reconciled)
		out->files_reconciled++;
	else if (h->status == LOAD_LOADED)
		out->files_loaded++;
	else if (h->status == LOAD_PARTIALLY_LOADED)
		out->files_partial++;
	else
		out->files_failed++;
	if (!L->reconciled) {
		out->rows_parsed += h->rows_parsed;
		out->rows_loaded += h->rows_loaded;
	}
	if (h->error_count && !L->reconciled) {
		if (!out->first_error)
			out->first_error = error_text(h);
		notify_failed(r, h);
	}
	return 0;
}

static int refresh_file(struct refresh *r, const struct lake_entry *ent, struct err *e)
{
	struct pipe_load L;
	memset(&L, 0, sizeof L);
	L.pipe = r->pipe;
	L.db = r->db;
	L.lake = r->lake;
	L.key = ent->key;
	L.run_id = r->req->run_id;
	L.force = r->req->force;
	L.cancel = r->cancel;
	int rc = pipe_load_file(&L, e);
	if (rc == 0)
		rc = record(r, &L, e);
	if (rc == 0 && L.bad && !L.reconciled && r->pipe->on_error == ON_ERROR_ABORT) {
		const struct store_load *h = &L.hist;
		char where[256];
		snprintf(where, sizeof where, "%s:%lld:%lld", h->file_key,
			 (long long)h->first_error_line, (long long)h->first_error_column);
		err_at(e, ERR_PARSE, where, "pipe %s stopped (on_error abort): %s%s%s",
		       r->pipe->name, h->first_error_column_name ? h->first_error_column_name : "",
		       h->first_error_column_name ? ": " : "", h->first_error);
		rc = -1;
	}
	pipe_load_free(&L);
	return rc;
}

/* The pipe's state before loading; 1 when the refresh must not load. */
static int refresh_state(struct refresh *r, struct err *e)
{
	struct pipe_result *out = r->out;
	int is_paused = paused(r->store, r->pipe, NULL, e);
	if (is_paused < 0)
		return -1;
	if (is_paused && !r->req->force) {
		out->state = PIPE_PAUSED;
		return 1;
	}
	char *why = NULL;
	int missing = table_missing(r->db, r->store, r->pipe, &why, e);
	if (missing < 0)
		return -1;
	if (missing && !r->req->force) {
		out->state = PIPE_STOPPED_MISSING_TABLE;
		err_set(e, ERR_NOTFOUND, "pipe %s is stopped: %s", r->pipe->name, why);
		free(why);
		return -1;
	}
	free(why);
	return 0;
}

int pipe_refresh(const struct project *p, const struct project_pipe *pipe,
		 const struct pipe_request *req, struct store *store,
		 struct step_conns *conns, struct lake *lake, atomic_bool *cancel,
		 struct pipe_result *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct refresh r = { p, pipe, req, store, NULL, lake, cancel, out };
	r.db = step_conns_get(conns, pipe->connection, e);
	if (!r.db) {
		err_prefix(e, "pipe %s: ", pipe->name);
		return -1;
	}
	int st = refresh_state(&r, e);
	if (st != 0)
		return st < 0 ? -1 : 0;
	struct lake_listing ls;
	if (list_files(pipe, lake, &ls, e) < 0) {
		if (e->code == ERR_NOTFOUND)
			out->state = PIPE_STOPPED_MISSING_PATH;
		return -1;
	}
	int rc = 0;
	bool found_only = false;
	for (size_t i = 0; i < ls.len && rc == 0; i++) {
		const struct lake_entry *ent = &ls.entries[i];
		if (!key_matches(pipe, ent->key))
			continue;
		if (req->only_key && strcmp(req->only_key, ent->key) != 0)
			continue;
		found_only = true;
		out->files_seen++;
		struct store_load *last = NULL;
		if (store_load_get(store, pipe->name, ent->key, &last, e) < 0) {
			rc = -1;
			break;
		}
		enum decision d = decide(pipe, last, ent, req->force);
		store_load_free(last);
		if (d == SKIP_LOADED || d == SKIP_FAILED) {
			out->files_skipped += d == SKIP_LOADED;
			continue;
		}
		rc = refresh_file(&r, ent, e);
	}
	if (rc == 0 && req->only_key && !found_only)
		rc = err_set(e, ERR_NOTFOUND, "pipe %s: no file %s under %s matching %s",
			     pipe->name, req->only_key, pipe->path,
			     pipe->pattern ? pipe->pattern : "*");
	lake_listing_free(&ls);
	return rc;
}

/* ---- status, pause and resume ----------------------------------------------------------- */

void pipe_status_free(struct pipe_status *st)
{
	free(st->state_reason);
	free(st->last_file);
	free(st->last_error);
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
		out->last_error = error_text(l);
		out->last_error_at = l->loaded;
		store_load_free(l);
	}
	return 0;
}

int pipe_status(const struct project *p, const struct project_pipe *pipe,
		struct store *store, struct step_conns *conns, struct lake *lake,
		struct pipe_status *out, struct err *e)
{
	(void)p;
	memset(out, 0, sizeof *out);
	out->pending = -1;
	if (history_status(store, pipe, out, e) < 0)
		return -1;
	int is_paused = paused(store, pipe, &out->state_reason, e);
	if (is_paused < 0)
		return -1;
	if (is_paused)
		out->state = PIPE_PAUSED;
	struct err le = { 0 };
	if (pipe_pending(pipe, store, lake, &out->pending, &le) < 0) {
		out->pending = -1;
		if (le.code == ERR_NOTFOUND && !is_paused) {
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
	int missing = table_missing(db, store, pipe, &out->state_reason, e);
	if (missing < 0)
		return -1;
	if (missing)
		out->state = PIPE_STOPPED_MISSING_TABLE;
	return 0;
}

static int set_state(struct store *store, const struct project_pipe *pipe, const char *state,
		     const char *by, const char *reason, bool *changed, struct err *e)
{
	char *obj = object_name(pipe);
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

/* ---- retention of load history ----------------------------------------------------- */

int pipe_prune_begin(struct pipe_prune *pp, const struct project_pipe *pipe,
		     struct lake *lake, struct err *e)
{
	memset(pp, 0, sizeof *pp);
	pp->pipe = pipe;
	pp->files = xcalloc(1, sizeof *pp->files);
	return list_files(pipe, lake, pp->files, e);
}

static int key_cmp(const void *key, const void *entry)
{
	return strcmp(key, ((const struct lake_entry *)entry)->key);
}

static bool in_lake(const char *key, void *arg)
{
	const struct lake_listing *ls = arg;
	return bsearch(key, ls->entries, ls->len, sizeof *ls->entries, key_cmp) != NULL;
}

int pipe_prune_history(struct pipe_prune *pp, struct store *store, usec_t before,
		       bool dry_run, int *budget, int64_t *total, struct err *e)
{
	/* An empty listing may be a prefix emptied on purpose or a lake that
	 * is not there (an unmounted directory): the history stays until a
	 * file shows the lake is there. */
	if (!pp->files || pp->files->len == 0)
		return 0;
	return store_load_prune(store, pp->pipe->name, before, in_lake, pp->files, dry_run,
				&pp->after_id, budget, total, e);
}

void pipe_prune_end(struct pipe_prune *pp)
{
	if (pp->files)
		lake_listing_free(pp->files);
	free(pp->files);
	memset(pp, 0, sizeof *pp);
}
