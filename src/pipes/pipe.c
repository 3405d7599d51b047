/*
 * pipe.c - pipes, after Snowflake's Snowpipe: which files under a lake
 * prefix a refresh loads, and in what order.  (pipe_state.c says what
 * state a pipe is in.)
 *
 * A refresh lists the prefix (the listing sorts by key, and keys sort by
 * time), keeps the keys whose last part matches the pattern, and asks the
 * load history which of them to try (rules in steps.h).  Each file is
 * loaded in its own transaction by pipe_load.c (under abort_statement all
 * of them in one, begun and ended here); the history row is written
 * here, after the commit.  The history is the quick answer; the ledger in
 * the target database is the truth: a file whose history is missing but
 * whose ledger entry exists (the process died between the two) is found by
 * pipe_load_file before anything is written, and only its history is
 * written now.
 */
#include "pipes/pipe_int.h"
#include "notify/notify.h"

#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void pipe_result_free(struct pipe_result *r)
{
	free(r->first_error);
	r->first_error = NULL;
}

/* ---- which files ---------------------------------------------------------------- */

/* pattern_regex must match the whole key under the pipe's path, as
 * Snowflake's PATTERN does the whole path.  The loader has checked that it
 * compiles; compiling it again per key costs microseconds beside a key's
 * load-history look-up. */
static bool regex_matches(const struct project_pipe *pipe, const char *key)
{
	size_t pl = strlen(pipe->path);
	const char *rel = strncmp(key, pipe->path, pl) == 0 ? key + pl : key;
	char *anchored = xasprintf("^(%s)$", pipe->pattern_regex);
	regex_t rx;
	bool match = false;
	if (regcomp(&rx, anchored, REG_EXTENDED | REG_NOSUB) == 0) {
		match = regexec(&rx, rel, 0, NULL, 0) == 0;
		regfree(&rx);
	}
	free(anchored);
	return match;
}

static bool key_matches(const struct project_pipe *pipe, const char *key)
{
	if (pipe->pattern_regex)
		return regex_matches(pipe, key);
	const char *slash = strrchr(key, '/');
	const char *base = slash ? slash + 1 : key;
	const char *pattern = pipe->pattern && *pipe->pattern ? pipe->pattern : "*";
	return fnmatch(pattern, base, 0) == 0;
}

enum decision { TRY, SKIP_LOADED, SKIP_FAILED, LOOK };

/* A lake's times are coarser than the time it takes to read a file (S3
 * keeps whole seconds, a file system the tick of a coarse clock): a file
 * rewritten to the same size within that much of when it was read shows
 * the same time.  Such a file is looked at again until it has kept its
 * time for longer than this. */
#define MTIME_SLACK (2 * USEC_PER_SEC)

enum likeness { SAME, UNSURE, DIFFERENT };

/* Whether the listing shows the file as it was last seen (loaded, or
 * looked at since): the same size and, where the lake gives one, the same
 * time (UNSURE when that is too close to when it was seen).  An attempt
 * recorded before times were kept has none: the file is taken as
 * unchanged unless it was written after the attempt. */
static enum likeness likeness(const struct store_load *last, const struct lake_entry *ent)
{
	bool seen = last->seen_checksum != NULL;
	int64_t size = seen ? last->seen_size : last->size;
	usec_t mtime = seen ? last->seen_mtime : last->mtime;
	usec_t at = seen ? last->seen_at : last->loaded;
	if (ent->size >= 0 && ent->size != size)
		return DIFFERENT;
	if (!ent->mtime)
		return SAME;
	if (mtime && ent->mtime != mtime)
		return DIFFERENT;
	if (!mtime && ent->mtime > at)
		return DIFFERENT;
	return ent->mtime + MTIME_SLACK < at ? SAME : UNSURE;
}

/* The rules in steps.h.  LOOK: read the checksum to know (look()). */
static enum decision decide(const struct store_load *last, const struct lake_entry *ent,
			    bool force)
{
	if (!last || force)
		return TRY;
	if (likeness(last, ent) != SAME)
		return LOOK;
	return last->status == LOAD_FAILED ? SKIP_FAILED : SKIP_LOADED;
}

/* A loaded file whose content is not what was loaded. */
static bool changed_since(const struct store_load *last)
{
	return last->status != LOAD_FAILED && last->seen_checksum && last->checksum &&
	       strcmp(last->seen_checksum, last->checksum) != 0;
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

/* Call fn with each file under the pipe's prefix that matches its pattern
 * and its newest attempt (NULL: never attempted). */
static int each_file(const struct project_pipe *pipe, struct store *store,
		     struct lake *lake, void (*fn)(const struct lake_entry *ent,
						   struct store_load *last, void *arg),
		     void *arg, struct err *e)
{
	struct lake_listing ls;
	if (list_files(pipe, lake, &ls, e) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < ls.len && rc == 0; i++) {
		const struct lake_entry *ent = &ls.entries[i];
		if (!key_matches(pipe, ent->key))
			continue;
		struct store_load *last = NULL;
		rc = store_load_get(store, pipe->name, ent->key, &last, e) < 0 ? -1 : 0;
		if (rc == 0)
			fn(ent, last, arg);
	}
	lake_listing_free(&ls);
	return rc;
}

/* Never tried, or failed and looking different: probably fixed. */
static bool pending(const struct lake_entry *ent, const struct store_load *last)
{
	return !last || (last->status == LOAD_FAILED && likeness(last, ent) == DIFFERENT);
}

static void count_pending(const struct lake_entry *ent, struct store_load *last, void *arg)
{
	if (pending(ent, last))
		(*(int64_t *)arg)++;
	store_load_free(last);
}

static void keep_pending(const struct lake_entry *ent, struct store_load *last, void *arg)
{
	if (pending(ent, last))
		vec_push(arg, xstrdup(ent->key));
	store_load_free(last);
}

int pipe_pending_keys(const struct project_pipe *pipe, struct store *store,
		      struct lake *lake, struct vec *keys, struct err *e)
{
	return each_file(pipe, store, lake, keep_pending, keys, e);
}

int pipe_pending(const struct project_pipe *pipe, struct store *store,
		 struct lake *lake, int64_t *count, struct err *e)
{
	*count = 0;
	return each_file(pipe, store, lake, count_pending, count, e);
}

static void keep_rejected(const struct lake_entry *ent, struct store_load *last, void *arg)
{
	(void)ent;
	if (last && last->status != LOAD_LOADED)
		vec_push(arg, last);
	else
		store_load_free(last);
}

int pipe_rejected(const struct project_pipe *pipe, struct store *store,
		  struct lake *lake, struct vec *out, struct err *e)
{
	if (each_file(pipe, store, lake, keep_rejected, out, e) == 0)
		return 0;
	if (e->code != ERR_NOTFOUND)
		return -1;
	err_clear(e);                   /* no directory: no file left */
	return 0;
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
	bool statement;               /* abort_statement: one transaction for all files */
	bool begun;                   /* ... and it is open */
	struct vec held;              /* struct pipe_load * written in it, recorded
					 once it commits */
};

static bool stops_on_error(const struct project_pipe *pipe)
{
	return pipe->on_error == ON_ERROR_ABORT || pipe->on_error == ON_ERROR_ABORT_STATEMENT;
}

/* Tell the channels routed pipe file problems; `h` the load, or NULL. */
static void notify(struct refresh *r, const struct store_load *h, const char *text)
{
	if (!r->p->nchannels)
		return;
	char *object = pipe_object_name(r->pipe);
	char *what = h ? pipe_error_text(h) : NULL;
	struct notify_msg m = {
		.event = NOTIFY_PIPE_FILE_FAILED, .object = object, .run_id = r->req->run_id,
		.state = h ? load_status_name(h->status) : "CHANGED", .error = what,
		.text = text,
	};
	struct err ne = { 0 };
	if (notify_raise(r->store, r->p, &m, &ne) < 0)
		log_warn("pipe %s: cannot queue a notification: %s", r->pipe->name,
			 err_text(&ne));
	free(what);
	free(object);
}

/* A refresh that loaded files and rejected none: the pipe is healthy. */
static void notify_recovered_pipe(struct refresh *r)
{
	if (!r->p->nchannels || !r->out->files_loaded || r->out->files_failed ||
	    r->out->files_partial)
		return;
	char *object = pipe_object_name(r->pipe);
	char *text = xasprintf("pipe %s is healthy again: %lld file%s loaded", r->pipe->name,
			       (long long)r->out->files_loaded,
			       r->out->files_loaded == 1 ? "" : "s");
	struct err ne = { 0 };
	if (notify_recovered(r->store, r->p, object, r->req->run_id, text, &ne) < 0)
		log_warn("pipe %s: cannot queue a notification: %s", r->pipe->name,
			 err_text(&ne));
	free(text);
	free(object);
}

static void notify_failed(struct refresh *r, const struct store_load *h)
{
	char *what = pipe_error_text(h);
	bool stops = stops_on_error(r->pipe) && h->status == LOAD_FAILED;
	char *text = xasprintf("pipe %s: %s %s: %s%s", r->pipe->name, h->file_key,
			       load_status_name(h->status), what ? what : "",
			       stops ? "; the pipe is STOPPED_ON_ERROR until 'pipe resume'" : "");
	notify(r, h, text);
	free(text);
	free(what);
}

static void log_file(struct refresh *r, const struct pipe_load *L)
{
	const struct store_load *h = &L->hist;
	char *obj = pipe_object_name(r->pipe);
	char *what = pipe_error_text(h);
	enum log_level lv = h->status == LOAD_LOADED ? LOG_INFO : LOG_WARN;
	if (L->adopted)
		log_emit(LOG_WARN, r->req->run_id, NULL, obj, NULL, 0, "%s was loaded into %s "
			 "by %s (%lld rows), not by this control store: its rows are there, so "
			 "it is recorded as loaded and not loaded again", h->file_key,
			 r->pipe->table, str_eq(h->loaded_by, PIPE_LOADED_BY_UNKNOWN)
			 ? "a sluice older than control store ids"
			 : h->loaded_by, (long long)h->rows_loaded);
	else if (L->reconciled)
		log_emit(LOG_INFO, r->req->run_id, NULL, obj, NULL, 0, "%s was committed before "
			 "(%lld rows; by a refresh that was killed, or one running at the same "
			 "time); its load history is written now", h->file_key,
			 (long long)h->rows_loaded);
	else
		log_emit(lv, r->req->run_id, NULL, obj, NULL, 0, "%s %s: %lld of %lld rows%s%s",
			 h->file_key, load_status_name(h->status), (long long)h->rows_loaded,
			 (long long)h->rows_parsed, what ? "; first error " : "",
			 what ? what : "");
	free(what);
	free(obj);
}

/* purge or archive: the load stands whatever happens here. */
static void after_load(struct refresh *r, const struct store_load *h)
{
	if (!r->pipe->purge && !r->pipe->archive)
		return;
	char *obj = pipe_object_name(r->pipe);
	char *to = NULL;
	struct err ae = { 0 };
	if (pipe_after_load(r->lake, r->pipe, h->file_key, h->checksum, &to, &ae) < 0)
		log_emit(LOG_WARN, r->req->run_id, NULL, obj, NULL, 0, "%s is loaded but was "
			 "not %s: %s", h->file_key, r->pipe->purge ? "purged" : "archived",
			 err_text(&ae));
	else if (to)
		log_emit(LOG_INFO, r->req->run_id, NULL, obj, NULL, 0, "%s archived to %s",
			 h->file_key, to);
	else
		log_emit(LOG_INFO, r->req->run_id, NULL, obj, NULL, 0, "%s purged", h->file_key);
	free(to);
	free(obj);
}

static int record(struct refresh *r, struct pipe_load *L, struct err *e)
{
	struct pipe_result *out = r->out;
	const struct store_load *h = &L->hist;
	int64_t id = 0;
	if (store_load_add(r->store, h, &id, e) < 0)
		return -1;
	if (L->reconciled && !id) {
		/* another refresh loaded it while this one waited, and recorded it */
		out->files_skipped++;
		return 0;
	}
	log_file(r, L);
	for (size_t i = 0; i < L->changes.len; i++) {
		struct store_schema_change *c = L->changes.items[i];
		if (store_schema_change_add(r->store, c, e) < 0)
			return -1;
		log_emit(LOG_INFO, r->req->run_id, NULL, NULL, NULL, 0, "table %s: column %s "
			 "%s (%s%s%s)", c->table, c->column, schema_change_name(c->kind),
			 c->old_type ? c->old_type : "", c->old_type ? " -> " : "", c->new_type);
	}
	/* A partly loaded file is the only copy of its rejected records: it
	 * may be archived, never purged. */
	if (h->status == LOAD_LOADED || (h->status == LOAD_PARTIALLY_LOADED && r->pipe->archive))
		after_load(r, h);
	out->files_adopted += L->adopted;
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
	if ((h->error_count || h->status == LOAD_FAILED) && !L->reconciled) {
		if (!out->first_error)
			out->first_error = pipe_error_text(h);
		if (id)         /* a refresh that failed it at the same time told them */
			notify_failed(r, h);
	}
	return 0;
}

static void load_free(void *p)
{
	pipe_load_free(p);
	free(p);
}

/* abort_statement: commit the refresh's files and record them, or roll
 * them back (commit false: an error, or a bad file) and record only what
 * was committed before by others (found in the ledger). */
static int statement_end(struct refresh *r, bool commit, struct err *e)
{
	if (!r->begun)
		return 0;
	r->begun = false;
	int rc = 0;
	if (commit && db_commit(r->db, e) < 0) {
		rc = -1;
		commit = false;
	}
	if (!commit)
		db_rollback(r->db);
	for (size_t i = 0; i < r->held.len; i++) {
		struct pipe_load *L = r->held.items[i];
		if (rc == 0 && (commit || L->reconciled))
			rc = record(r, L, e);
	}
	vec_free_all(&r->held, load_free);
	return rc;
}

/* on_error abort: the pipe stops at its bad file. */
static int stop(struct refresh *r, const struct pipe_load *L, struct err *e)
{
	const struct store_load *h = &L->hist;
	char where[256];
	snprintf(where, sizeof where, "%s:%lld:%lld", h->file_key,
		 (long long)h->first_error_line, (long long)h->first_error_column);
	char *what = pipe_error_text(h);
	struct err se = { 0 };
	if (pipe_stop_on_error(r->store, r->pipe, what, &se) < 0)
		log_warn("pipe %s: cannot record that it stopped: %s", r->pipe->name,
			 err_text(&se));
	free(what);
	r->out->state = PIPE_STOPPED_ON_ERROR;
	return err_at(e, ERR_PARSE, where, "pipe %s stopped (on_error %s): %s%s%s%s",
		      r->pipe->name, on_error_name(r->pipe->on_error),
		      h->first_error_column_name ? h->first_error_column_name : "",
		      h->first_error_column_name ? ": " : "", h->first_error,
		      r->statement ? "; nothing of this refresh was loaded" : "");
}

static int refresh_file(struct refresh *r, const struct lake_entry *ent,
			const struct store_load *last, struct err *e)
{
	if (r->statement && !r->begun) {
		if (db_ledger_ensure(r->db, e) < 0 || db_begin(r->db, e) < 0)
			return -1;
		r->begun = true;
	}
	struct pipe_load *L = xcalloc(1, sizeof *L);
	L->pipe = r->pipe;
	L->db = r->db;
	L->lake = r->lake;
	L->key = ent->key;
	L->mtime = ent->mtime;
	L->after = last ? last->id : 0;
	L->run_id = r->req->run_id;
	L->store_id = store_id(r->store);
	L->force = r->req->force;
	L->in_txn = r->statement;
	L->cancel = r->cancel;
	int rc = pipe_load_file(L, e);
	if (rc == 0 && r->statement && !L->bad) {
		vec_push(&r->held, L);
		return 0;
	}
	if (rc == 0 && r->statement)
		rc = statement_end(r, false, e);
	if (rc == 0)
		rc = record(r, L, e);
	if (rc == 0 && L->bad && !L->reconciled && stops_on_error(r->pipe))
		rc = stop(r, L, e);
	load_free(L);
	return rc;
}

/* A loaded file found changed: say so where an operator looks. */
static void report_changed(struct refresh *r, const struct store_load *last, const char *now)
{
	char *obj = pipe_object_name(r->pipe);
	char *text = xasprintf("pipe %s: %s changed in the lake since it was loaded (checksum "
			       "%.12s, now %.12s); it is not reloaded. Reload it with: sluice "
			       "pipe refresh %s --force --file %s", r->pipe->name,
			       last->file_key, last->checksum ? last->checksum : "?", now,
			       r->pipe->name, last->file_key);
	log_emit(LOG_WARN, r->req->run_id, NULL, obj, NULL, 0, "%s", text);
	notify(r, NULL, text);
	free(text);
	free(obj);
}

/* The file's size or time is not what it was when last seen: read its
 * checksum (nothing is loaded) to know whether its content changed, and
 * remember what was found in `last` and its history row. */
static int look(struct refresh *r, struct store_load *last, const struct lake_entry *ent,
		enum decision *d, struct err *e)
{
	char sum[65];
	int64_t bytes = 0;
	if (lake_checksum(r->lake, ent->key, sum, &bytes, e) < 0) {
		if (e->code != ERR_NOTFOUND) {
			err_prefix(e, "pipe %s: %s: ", r->pipe->name, ent->key);
			return -1;
		}
		err_clear(e);           /* gone since the listing */
		*d = SKIP_FAILED;
		return 0;
	}
	bool same = str_eq(sum, last->checksum);
	if (last->status == LOAD_FAILED && !same) {
		*d = TRY;
		return 0;
	}
	bool news = false;
	if (store_load_seen(r->store, last->id, bytes, ent->mtime, sum, &news, e) < 0)
		return -1;
	news = news && !same;
	free(last->seen_checksum);
	last->seen_checksum = xstrdup(sum);
	*d = last->status == LOAD_FAILED ? SKIP_FAILED : SKIP_LOADED;
	if (news)
		report_changed(r, last, sum);
	return 0;
}

static int refresh_entry(struct refresh *r, const struct lake_entry *ent, struct err *e)
{
	struct store_load *last = NULL;
	if (store_load_get(r->store, r->pipe->name, ent->key, &last, e) < 0)
		return -1;
	enum decision d = decide(last, ent, r->req->force);
	int rc = d == LOOK ? look(r, last, ent, &d, e) : 0;
	if (rc == 0 && d == TRY)
		rc = refresh_file(r, ent, last, e);
	if (rc == 0 && d == SKIP_LOADED) {
		r->out->files_skipped++;
		r->out->files_changed += changed_since(last);
	}
	store_load_free(last);
	return rc;
}

/* The pipe's state before loading; 1 when the refresh must not load. */
static int refresh_state(struct refresh *r, struct err *e)
{
	struct pipe_result *out = r->out;
	enum pipe_state set;
	char *reason = NULL;
	if (pipe_stored_state(r->store, r->pipe, &set, &reason, e) < 0)
		return -1;
	if (set == PIPE_STOPPED_ON_ERROR)
		out->state = set;       /* also when forced: it stays so until resumed */
	if (set != PIPE_RUNNING && !r->req->force) {
		out->state = set;
		if (set == PIPE_STOPPED_ON_ERROR)
			err_set(e, ERR_CONFLICT, "pipe %s is %s: %s", r->pipe->name,
				pipe_state_name(set), reason);
		free(reason);
		return set == PIPE_PAUSED ? 1 : -1;
	}
	free(reason);
	char *why = NULL;
	int missing = pipe_table_missing(r->db, r->store, r->pipe, &why, e);
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

int pipe_refresh(const struct pipe_env *env, const struct project_pipe *pipe,
		 const struct pipe_request *req, struct pipe_result *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct refresh r = { env->project, pipe, req, env->store, NULL, env->lake, env->cancel,
			     out, pipe->on_error == ON_ERROR_ABORT_STATEMENT, false, VEC_INIT };
	r.db = step_conns_get(env->conns, pipe->connection, e);
	if (!r.db) {
		err_prefix(e, "pipe %s: ", pipe->name);
		return -1;
	}
	int st = refresh_state(&r, e);
	if (st != 0)
		return st < 0 ? -1 : 0;
	struct lake_listing ls;
	if (list_files(pipe, env->lake, &ls, e) < 0) {
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
		rc = refresh_entry(&r, ent, e);
	}
	struct err end = { 0 };
	if (statement_end(&r, rc == 0, rc == 0 ? e : &end) < 0)
		rc = -1;
	if (rc == 0)
		notify_recovered_pipe(&r);
	if (rc == 0 && req->only_key && !found_only)
		rc = err_set(e, ERR_NOTFOUND, "pipe %s: no file %s under %s matching %s",
			     pipe->name, req->only_key, pipe->path,
			     pipe->pattern_regex ? pipe->pattern_regex
			     : pipe->pattern ? pipe->pattern : "*");
	lake_listing_free(&ls);
	return rc;
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
