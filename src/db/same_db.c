/*
 * same_db.c - whether two connections reach the same database, so that a
 * statement on one may read what the other would have read.
 *
 * Names and URLs cannot tell: "localhost", "127.0.0.1" and a Unix socket
 * reach one server, and two servers behind tunnels can answer at one
 * address with databases of the same name (staging and production).  So
 * each backend asks the database itself:
 *
 *   SQLite      the main database files are one file (device and inode);
 *               in-memory databases are never shared
 *   PostgreSQL  the second connection finds the first one's backend (its
 *               pid and start time, to the microsecond) in its server's
 *               pg_stat_activity, in its own database.  A session sees
 *               the start time only of its own role's sessions, so the
 *               roles must match anyway; and the source's statement must
 *               mean the same on the other connection, so its search_path
 *               must match too (the server's TimeZone is set by db_open on
 *               every connection)
 */
#include "db_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The file of SQLite's main database ("" in memory); caller frees. */
static char *lite_main_file(struct db *db, struct err *e)
{
	char *file = NULL;
	int rc = db_query_value(db, "SELECT file FROM pragma_database_list WHERE name = 'main'",
				NULL, 0, &file, e);
	if (rc < 0)
		return NULL;
	return file ? file : xstrdup("");
}

static int lite_same(struct db *a, struct db *b, char **why, struct err *e)
{
	char *fa = lite_main_file(a, e);
	char *fb = fa ? lite_main_file(b, e) : NULL;
	int rc = -1;
	struct stat sa, sb;
	if (!fb)
		goto out;
	rc = 0;
	if (!*fa || !*fb)
		*why = xstrdup("an in-memory database is not shared");
	else if (stat(fa, &sa) < 0 || stat(fb, &sb) < 0)
		*why = xasprintf("cannot look at %s or %s", fa, fb);
	else if (sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
		*why = xstrdup("they are different files");
	else
		rc = 1;
out:
	free(fa);
	free(fb);
	return rc;
}

/* A PostgreSQL session as its own server sees it. */
struct pg_session {
	char *pid, *started, *database, *role, *search_path;
};

static void pg_session_free(struct pg_session *s)
{
	free(s->pid);
	free(s->started);
	free(s->database);
	free(s->role);
	free(s->search_path);
}

static int pg_session_read(struct db *db, struct pg_session *s, struct err *e)
{
	memset(s, 0, sizeof *s);
	struct db_cursor *c = db_query(db, "SELECT pg_backend_pid()::text, "
				       "(SELECT backend_start::text FROM pg_stat_activity "
				       "  WHERE pid = pg_backend_pid()), "
				       "current_database(), current_user, "
				       "current_setting('search_path')", NULL, 0, e);
	if (!c)
		return -1;
	int rc = db_cursor_next(c, e);
	if (rc == 1) {
		char **out[] = { &s->pid, &s->started, &s->database, &s->role,
				 &s->search_path };
		for (int i = 0; i < 5; i++) {
			const char *v = db_cursor_text(c, i);
			*out[i] = xstrdup(v ? v : "");
		}
	}
	db_cursor_close(c);
	if (rc == 0)
		return db_fail(e, ERR_DB, "the server described no session");
	return rc < 0 ? -1 : 0;
}

static int pg_same(struct db *a, struct db *b, char **why, struct err *e)
{
	struct pg_session sa, sb;
	if (pg_session_read(a, &sa, e) < 0)
		return -1;
	int rc = -1;
	if (pg_session_read(b, &sb, e) < 0)
		goto out_a;
	if (strcmp(sa.role, sb.role) != 0) {
		*why = xasprintf("they log in as different roles (%s, %s)", sa.role, sb.role);
		rc = 0;
		goto out;
	}
	const char *params[] = { sa.pid, sa.started, sb.database };
	int64_t seen = 0;
	if (db_query_int(b, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int "
			 "AND backend_start::text = $2 AND datname = $3", params, 3, &seen,
			 e) < 0)
		goto out;
	rc = 0;
	if (!*sa.started || seen != 1)
		*why = xstrdup("they are different servers or databases");
	else if (strcmp(sa.search_path, sb.search_path) != 0)
		*why = xasprintf("their search_path differs (%s; %s)", sa.search_path,
				 sb.search_path);
	else
		rc = 1;
out:
	pg_session_free(&sb);
out_a:
	pg_session_free(&sa);
	return rc;
}

int db_same_database(struct db *a, struct db *b, char **why, struct err *e)
{
	*why = NULL;
	if (a == b)
		return 1;
	if (a->kind != b->kind) {
		*why = xstrdup("one is SQLite, the other PostgreSQL");
		return 0;
	}
	return a->kind == DB_SQLITE ? lite_same(a, b, why, e) : pg_same(a, b, why, e);
}
