/*
 * store.c - opening the control store: the connection through db/, the
 * SQLite settings (WAL, busy timeout), forward-only migrations under a
 * lock so two processes opening a new store at once do not collide, the
 * read-only checks, and the change probe consoles poll.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int store_schema_latest(void)
{
	return store_migrations[store_nmigrations - 1].version;
}

bool store_is_read_only(const struct store *s)
{
	return s->read_only;
}

const char *store_url(const struct store *s)
{
	return s->url;
}

const char *store_backend(const struct store *s)
{
	return s->d->name;
}

/* How the store is named in messages: the file for SQLite, the redacted
 * URL otherwise. */
static const char *display_name(const struct store *s)
{
	if (str_starts_with(s->url, "sqlite:"))
		return s->url + strlen("sqlite:");
	return s->url;
}

static int sqlite_prepare_path(const char *url, bool read_only, struct err *e)
{
	const char *path = url + strlen("sqlite:");
	if (strcmp(path, ":memory:") == 0 || str_starts_with(path, "file:"))
		return 0;
	if (read_only) {
		struct stat st;
		if (stat(path, &st) == 0)
			return 0;
		if (errno != ENOENT)
			return err_set(e, ERR_IO, "cannot read %s: %s; a user who only "
				       "monitors needs read access to its directory and files "
				       "(see sluice(1), FILES)", path, strerror(errno));
		return err_set(e, ERR_NOTFOUND,
			       "control store %s does not exist; "
			       "start sluice once without --read-only to create it",
			       path);
	}
	/* The store holds logs, notification texts and sample rows: only its
	 * owner reads it.  A directory or file that exists keeps its mode (an
	 * operator may have opened it to a group of read-only users); SQLite
	 * gives the -wal and -shm files the database file's mode. */
	char *dir = path_dirname(path);
	int rc = mkdir_p(dir, 0700, e);
	if (rc < 0)
		err_prefix(e, "control store %s: ", path);
	free(dir);
	if (rc == 0)
		rc = file_create_private(path, e);
	return rc;
}

static void files_now(const char *path, struct store_files *f)
{
	memset(f, 0, sizeof *f);
	struct stat st;
	if (stat(path, &st) == 0) {
		f->ino = (int64_t)st.st_ino;
		f->size = (int64_t)st.st_size;
		f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
	char *side = xasprintf("%s-wal", path);
	if (stat(side, &st) == 0) {
		f->wal_size = (int64_t)st.st_size;
		f->wal_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
	free(side);
	side = xasprintf("%s-shm", path);
	f->shm = file_exists(side);
	free(side);
}

static struct store *open_connection(const char *url, const struct store_options *opt,
				     struct err *e)
{
	static const struct store_options none;
	enum db_kind kind;
	if (!opt)
		opt = &none;
	if (!url || !db_url_valid(url, &kind)) {
		err_set(e, ERR_INVALID, "control store URL \"%s\" is neither "
			"sqlite:PATH nor a PostgreSQL URL or conninfo",
			url ? url : "");
		return NULL;
	}
	if (kind == DB_SQLITE && sqlite_prepare_path(url, opt->read_only, e) < 0)
		return NULL;
	struct db *db = st_connect(url, opt, e);
	if (!db)
		return NULL;
	struct store *s = xcalloc(1, sizeof(*s));
	s->db = db;
	s->poke_fd = -1;
	s->url = db_url_redacted(url);
	s->d = kind == DB_SQLITE ? &store_sqlite_dialect : &store_pg_dialect;
	s->read_only = opt->read_only;
	s->conn_url = xstrdup(url);
	s->password = xstrdup(opt->password);
	s->busy_timeout_ms = opt->busy_timeout_ms;
	s->link = opt->link;
	if (!s->link) {
		s->link = store_link_new();
		s->own_link = true;
	}
	s->opened = clock_monotonic_us();
	s->snapshot = db_is_snapshot(db);
	if (kind == DB_SQLITE) {
		s->path = xstrdup(url + strlen("sqlite:"));
		files_now(s->path, &s->files);
	}
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	db_close(s->db);
	st_poke_close(s);
	if (s->own_link)
		store_link_free(s->link);
	free(s->url);
	store_identity_clear(&s->id);
	store_audit_drop(s);
	free(s->conn_url);
	free(s->password);
	free(s->path);
	free(s);
}

bool store_is_snapshot(const struct store *s)
{
	return s->snapshot;
}

/* A snapshot whose files changed (a writer came, committed, left) is
 * opened again: as a snapshot still, or normally once a -shm is there.
 * 1 reopened, 0 nothing changed, -1 (the old handle kept). */
static int refresh_snapshot(struct store *s, struct err *e)
{
	struct store_files now;
	files_now(s->path, &now);
	const struct store_files *was = &s->files;
	if (now.ino == was->ino && now.size == was->size && now.mtime_ns == was->mtime_ns &&
	    now.wal_size == was->wal_size && now.wal_mtime_ns == was->wal_mtime_ns &&
	    now.shm == was->shm)
		return 0;
	struct store_options opt = { .read_only = true, .busy_timeout_ms = s->busy_timeout_ms };
	char *url = xasprintf("sqlite:%s", s->path);
	struct store *fresh = open_connection(url, &opt, e);
	free(url);
	if (!fresh)
		return -1;
	struct db *old = s->db;
	s->db = fresh->db;
	s->snapshot = fresh->snapshot;
	s->files = fresh->files;
	fresh->db = old;
	store_close(fresh);
	return 1;
}

static int sqlite_settings(struct store *s, struct err *e)
{
	if (s->d != &store_sqlite_dialect || s->read_only)
		return 0;
	char *mode = NULL;
	if (db_query_value(s->db, "PRAGMA journal_mode=WAL", NULL, 0, &mode, e) < 0)
		return -1;
	free(mode);
	/* With WAL, NORMAL loses no committed transaction on a crash of the
	 * process, only possibly the last ones on power loss. */
	return db_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, 0, NULL, e);
}

/* 0 when the store has no schema table yet. */
static int read_version(struct store *s, int *version, struct err *e)
{
	int exists = db_table_exists(s->db, "store_schema", e);
	if (exists < 0)
		return -1;
	*version = 0;
	if (!exists)
		return 0;
	int64_t v = 0;
	if (st_query_i64(s, "SELECT max(version) FROM store_schema", NULL, &v, e) < 0)
		return -1;
	*version = (int)v;
	return 0;
}

int store_schema_version(struct store *s, int *version, struct err *e)
{
	return read_version(s, version, e);
}

static int newer_error(struct store *s, int version, struct err *e)
{
	return err_set(e, ERR_VERSION,
		       "control store %s is at schema version %d, but this sluice "
		       "knows only up to %d; upgrade sluice",
		       display_name(s), version, store_schema_latest());
}

static char *expand_identity(const struct store *s, const char *sql)
{
	struct buf b = BUF_INIT;
	const char *p = sql, *hit;
	while ((hit = strstr(p, "{ID}")) != NULL) {
		buf_append(&b, p, (size_t)(hit - p));
		buf_puts(&b, s->d->identity);
		p = hit + 4;
	}
	buf_puts(&b, p);
	return buf_detach(&b);
}

static int apply_migration(struct store *s, const struct store_migration *m,
			   struct err *e)
{
	char *sql = expand_identity(s, m->sql);
	int rc = db_exec_script(s->db, sql, e);
	free(sql);
	if (rc < 0) {
		err_prefix(e, "control store %s: migration %d (%s): ",
			   display_name(s), m->version, m->description);
		return -1;
	}
	if (m->after && m->after(s, e) < 0) {
		err_prefix(e, "control store %s: migration %d (%s): ",
			   display_name(s), m->version, m->description);
		return -1;
	}
	struct sqlp p = SQLP_INIT;
	st_sqlp_i64(&p, m->version);
	st_sqlp_i64(&p, clock_now_us());
	st_sqlp_str(&p, m->description);
	return st_exec(s, "INSERT INTO store_schema (version, applied_at, description) "
		       "VALUES ($1, $2, $3)", &p, NULL, e);
}

/* The first migration past `version`: numbers are reserved per change
 * and may leave gaps until they are merged. */
static const struct store_migration *migration_after(int version)
{
	for (int i = 0; i < store_nmigrations; i++)
		if (store_migrations[i].version > version)
			return &store_migrations[i];
	BUG("no migration past the latest version");
}

/* One transaction per migration, each under the migration lock, with the
 * version re-read inside it: whoever comes second finds the work done. */
static int migrate(struct store *s, int target, struct err *e)
{
	for (;;) {
		if (st_begin(s, e) < 0)
			return -1;
		int version;
		if ((s->d->lock_migrate &&
		     st_run(s, s->d->lock_migrate, NULL, e) < 0) ||
		    st_exec(s, "CREATE TABLE IF NOT EXISTS store_schema ("
			    "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL, "
			    "description TEXT NOT NULL)", NULL, NULL, e) < 0 ||
		    read_version(s, &version, e) < 0) {
			st_rollback(s);
			return -1;
		}
		if (version > store_schema_latest()) {
			st_rollback(s);
			return newer_error(s, version, e);
		}
		if (version > target) {
			st_rollback(s);
			return err_set(e, ERR_VERSION,
				       "control store %s is at schema version %d; "
				       "migrations only go forward (asked for %d)",
				       display_name(s), version, target);
		}
		if (version == target)
			return st_commit(s, 0, e);
		if (apply_migration(s, migration_after(version), e) < 0) {
			st_rollback(s);
			return -1;
		}
		if (st_commit(s, 0, e) < 0)
			return -1;
	}
}

static int check_read_only(struct store *s, struct err *e)
{
	int version;
	if (read_version(s, &version, e) < 0)
		return -1;
	if (version == 0)
		return err_set(e, ERR_NOTFOUND,
			       "control store %s has no schema yet; start sluice "
			       "once without --read-only to create it",
			       display_name(s));
	if (version > store_schema_latest())
		return newer_error(s, version, e);
	if (version < store_schema_latest())
		return err_set(e, ERR_VERSION,
			       "control store %s is at schema version %d and needs "
			       "migrating to %d, which a read-only session cannot do; "
			       "start sluice once without --read-only",
			       display_name(s), version, store_schema_latest());
	return 0;
}

static struct store *open_at(const char *url, const struct store_options *opt,
			     int target, struct err *e)
{
	struct store *s = open_connection(url, opt, e);
	if (!s)
		return NULL;
	int rc = s->read_only ? check_read_only(s, e)
			      : (sqlite_settings(s, e) < 0 ? -1 : migrate(s, target, e));
	if (rc == 0)
		rc = store_identity_load(s, e);
	if (rc < 0) {
		store_close(s);
		return NULL;
	}
	return s;
}

struct store *store_open(const char *url, const struct store_options *opt,
			 struct err *e)
{
	return open_at(url, opt, store_schema_latest(), e);
}

int store_migrate(const char *url, const struct store_options *opt, int version,
		  struct err *e)
{
	if (opt && opt->read_only)
		return err_set(e, ERR_READONLY, "cannot migrate a control store "
			       "opened read-only");
	if (version == 0)
		version = store_schema_latest();
	if (version < 0 || version > store_schema_latest())
		return err_set(e, ERR_INVALID, "no schema version %d (this sluice "
			       "knows 1 to %d)", version, store_schema_latest());
	struct store *s = open_at(url, opt, version, e);
	if (!s)
		return -1;
	store_close(s);
	return 0;
}

/* ---- change detection ---------------------------------------------------------- */
void store_watch_init(struct store_watch *w)
{
	memset(w, 0, sizeof(*w));
	w->data_version = -1;
}

int store_changed(struct store *s, struct store_watch *w, unsigned *changed,
		  struct err *e)
{
	*changed = 0;
	int64_t dv = -1;
	bool reopened = false;
	if (s->snapshot) {
		int rc = refresh_snapshot(s, e);
		if (rc < 0)
			return -1;
		if (rc == 0 && w->primed)
			return 0;
		reopened = rc == 1;
	}
	if (s->d == &store_sqlite_dialect) {
		/* data_version moves only when another connection commits;
		 * our own commits are counted in own_commits. */
		if (st_query_i64(s, "PRAGMA data_version", NULL, &dv, e) < 0)
			return -1;
		if (w->primed && !reopened && dv == w->data_version &&
		    s->own_commits == w->own_commits)
			return 0;
	}
	struct db_cursor *c = st_query(s, "SELECT area, n FROM store_changes", NULL, e);
	if (!c)
		return -1;
	int64_t seen[STORE_AREA_COUNT];
	memcpy(seen, w->seen, sizeof(seen));
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1) {
		int64_t area = st_col_i64(c, 0), n = st_col_i64(c, 1);
		if (area < 0 || area >= STORE_AREA_COUNT)
			continue;
		if (!w->primed || seen[area] != n)
			*changed |= STORE_AREA_BIT(area);
		seen[area] = n;
	}
	db_cursor_close(c);
	if (rc < 0) {
		*changed = 0;
		return -1;
	}
	memcpy(w->seen, seen, sizeof(seen));
	w->data_version = dv;
	w->own_commits = s->own_commits;
	w->primed = true;
	return 0;
}
