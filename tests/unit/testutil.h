/*
 * testutil.h - shared helpers for the Check unit tests.
 *
 * Each test program builds one suite for one module and calls
 * TEST_MAIN(suite_fn).  PostgreSQL tests read the server's conninfo from
 * SLUICE_TEST_PG (set by tests/lib/run-test) and are skipped with a loud
 * message, never silently passed, when it is absent.  The helpers for a
 * database of a test's own, on the server or in a SQLite file, are here so
 * that the SQLite and PostgreSQL suites of a module differ only in that.
 */
#ifndef SLUICE_TESTUTIL_H
#define SLUICE_TESTUTIL_H

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ftw.h>
#include <signal.h>
#include <sys/wait.h>
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "core/core.h"
#include "db/db.h"
#include "store/store.h"

/* A fresh directory under $TMPDIR; removed by test_rmdir. */
static inline char *test_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/sluice-test-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		abort();
	}
	return tmpl;
}

static inline int test_rm_entry(const char *path, const struct stat *st, int flag,
				struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static inline void test_rmdir(char *dir)
{
	if (dir)
		nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static inline void test_write_file(const char *dir, const char *name, const char *text)
{
	char *path = path_join(dir, name);
	char *parent = path_dirname(path);
	mkdir_p(parent, 0755, NULL);
	FILE *fp = fopen(path, "w");
	ck_assert_msg(fp != NULL, "cannot write %s", path);
	fputs(text, fp);
	fclose(fp);
	free(parent);
	free(path);
}

/* Run fn(arg) in a child process whose stderr goes to a file: the child's
 * wait status in *status, and what it wrote on stderr (caller frees).
 * For what must stop the program (BUG_ON) rather than return. */
static inline char *test_child_stderr(void (*fn)(void *), void *arg, int *status)
{
	char *dir = test_mkdtemp();
	char *path = path_join(dir, "stderr");
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (!freopen(path, "w", stderr))
			_exit(127);
		fn(arg);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, status, 0), pid);
	char *text = file_read_all(path, NULL, NULL);
	ck_assert_ptr_nonnull(text);
	free(path);
	test_rmdir(dir);
	return text;
}

/* The conninfo of the test PostgreSQL server, or NULL. */
static inline const char *test_pg_conninfo(void)
{
	const char *c = getenv("SLUICE_TEST_PG");
	return c && *c ? c : NULL;
}

/* A new, empty database NAME on the test server, and its conninfo (the
 * caller frees it).  What an earlier run left under NAME is dropped first.
 * NULL, with e set, when there is no server or it refuses. */
static inline char *test_pg_database(const char *name, struct err *e)
{
	const char *base = test_pg_conninfo();
	if (!base) {
		err_set(e, ERR_NOTFOUND, "SLUICE_TEST_PG is not set: no PostgreSQL server");
		return NULL;
	}
	struct db *db = db_open(base, NULL, e);
	if (!db)
		return NULL;
	char *drop = xasprintf("DROP DATABASE IF EXISTS %s", name);
	char *create = xasprintf("CREATE DATABASE %s", name);
	bool ok = db_exec(db, drop, NULL, 0, NULL, e) == 0 &&
		  db_exec(db, create, NULL, 0, NULL, e) == 0;
	free(drop);
	free(create);
	db_close(db);
	return ok ? xasprintf("%s dbname=%s", base, name) : NULL;
}

/* test_pg_database for a suite's own setup (an unchecked fixture, or the
 * function that builds the suite), which runs outside any test and so
 * cannot fail one: NULL when there is no server, for each test to fail
 * saying so (see test_pg_open_empty); a server that refuses is a broken
 * run, not a test result, and aborts it. */
static inline char *test_pg_suite_database(const char *name)
{
	if (!test_pg_conninfo())
		return NULL;
	struct err e = { 0 };
	char *conninfo = test_pg_database(name, &e);
	if (!conninfo) {
		fprintf(stderr, "database %s: %s\n", name, err_text(&e));
		abort();
	}
	return conninfo;
}

/* A connection to CONNINFO (from test_pg_suite_database; NULL when there
 * is no server) with its public schema just emptied: each test starts from
 * nothing without the cost of a database of its own. */
static inline struct db *test_pg_open_empty(const char *conninfo)
{
	ck_assert_msg(conninfo != NULL, "SLUICE_TEST_PG is not set: no PostgreSQL server");
	struct err e = { 0 };
	struct db *db = db_open(conninfo, NULL, &e);
	ck_assert_msg(db != NULL, "%s", err_text(&e));
	ck_assert_msg(db_exec_script(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public",
				     &e) == 0, "%s", err_text(&e));
	return db;
}

/* What a restart of the server looks like to the clients of the database
 * CONNINFO names (its last dbname=): every connection to it is cut
 * (pg_terminate_backend: the server says goodbye and closes the socket)
 * and, with `lock_out`, no new one is let in (ALLOW_CONNECTIONS false)
 * until test_pg_let_in: the server is down, for that database alone. */
static inline void test_pg_set_allow(const char *conninfo, bool allow, bool cut)
{
	const char *name = strstr(conninfo, "dbname=");
	for (const char *p = name; p && (p = strstr(p + 1, "dbname="));)
		name = p;
	ck_assert_msg(name != NULL, "no dbname in %s", conninfo);
	name += strlen("dbname=");
	struct err e = { 0 };
	struct db *db = db_open(test_pg_conninfo(), NULL, &e);
	ck_assert_msg(db != NULL, "%s", err_text(&e));
	char *sql = xasprintf("ALTER DATABASE %s WITH ALLOW_CONNECTIONS %s", name,
			      allow ? "true" : "false");
	ck_assert_msg(db_exec(db, sql, NULL, 0, NULL, &e) == 0, "%s", err_text(&e));
	free(sql);
	const char *params[] = { name };
	for (int i = 0; cut && i < 500; i++) {
		int64_t left = 0;
		ck_assert_msg(db_query_int(db, "SELECT count(pg_terminate_backend(pid)) "
					   "FROM pg_stat_activity WHERE datname = $1",
					   params, 1, &left, &e) >= 0, "%s", err_text(&e));
		if (left == 0)
			break;
		usleep(10000);
	}
	db_close(db);
}

static inline void test_pg_cut(const char *conninfo, bool lock_out)
{
	test_pg_set_allow(conninfo, !lock_out, true);
}

static inline void test_pg_let_in(const char *conninfo)
{
	test_pg_set_allow(conninfo, true, false);
}

/* Log records captured, one line each ("WARN message"), for tests that
 * count what was said. */
struct test_log {
	pthread_mutex_t lock;
	struct buf text;
	int id;
};

static inline void test_log_sink(const struct log_record *r, void *arg)
{
	struct test_log *l = arg;
	pthread_mutex_lock(&l->lock);
	buf_printf(&l->text, "%s %s\n", log_level_name(r->level), r->message);
	pthread_mutex_unlock(&l->lock);
}

static inline void test_log_start(struct test_log *l, enum log_level min)
{
	pthread_mutex_init(&l->lock, NULL);
	l->text = (struct buf)BUF_INIT;
	l->id = log_add_sink(min, test_log_sink, l);
}

/* How many times `needle` was said. */
static inline int test_log_count(struct test_log *l, const char *needle)
{
	pthread_mutex_lock(&l->lock);
	int n = 0;
	for (const char *p = buf_str(&l->text); (p = strstr(p, needle)); p++)
		n++;
	pthread_mutex_unlock(&l->lock);
	return n;
}

static inline const char *test_log_text(struct test_log *l)
{
	return buf_str(&l->text);
}

static inline void test_log_stop(struct test_log *l)
{
	log_remove_sink(l->id);
	buf_free(&l->text);
	pthread_mutex_destroy(&l->lock);
}

/* The SQLite database NAME in DIR, made if it is not there. */
static inline struct db *test_sqlite_open(const char *dir, const char *name)
{
	char *url = xasprintf("sqlite:%s/%s", dir, name);
	struct err e = { 0 };
	struct db *db = db_open(url, NULL, &e);
	ck_assert_msg(db != NULL, "open %s: %s", url, err_text(&e));
	free(url);
	return db;
}

/* fn(arg) called on a thread of its own after delay_ms: how a test
 * interrupts what it is itself blocked in (a cancel mid-statement).
 * test_later_join waits for the call. */
struct test_later {
	pthread_t thread;
	int delay_ms;
	void (*fn)(void *arg);
	void *arg;
};

static inline void *test_later_main(void *p)
{
	struct test_later *l = p;
	struct timespec ts = { l->delay_ms / 1000, (l->delay_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	l->fn(l->arg);
	return NULL;
}

static inline void test_later_start(struct test_later *l, int delay_ms,
				    void (*fn)(void *arg), void *arg)
{
	*l = (struct test_later){ .delay_ms = delay_ms, .fn = fn, .arg = arg };
	ck_assert_int_eq(pthread_create(&l->thread, NULL, test_later_main, l), 0);
}

static inline void test_later_join(struct test_later *l)
{
	pthread_join(l->thread, NULL);
}

/* A TCP socket listening on 127.0.0.1 at a free port (*port): for the
 * HTTP servers tests fork. */
static inline int test_listen_loopback(int *port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(s, 4), 0);
	socklen_t len = sizeof a;
	getsockname(s, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return s;
}

#define TEST_MAIN(suite_fn)                                              \
	int main(void)                                                   \
	{                                                                \
		SRunner *sr = srunner_create(suite_fn());                \
		srunner_run_all(sr, CK_NORMAL);                          \
		int failed = srunner_ntests_failed(sr);                  \
		srunner_free(sr);                                        \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;             \
	}

/* A control store at `url` as a sluice from before store ids left it
 * (schema version 4), having run `runs` runs: opened, it migrates and is
 * a legacy store. */
static inline void test_store_before_ids(const char *url, int runs)
{
	struct err e = { 0 };
	ck_assert_msg(store_migrate(url, NULL, 4, &e) == 0, "%s", err_text(&e));
	struct db *db = db_open(url, NULL, &e);
	ck_assert_msg(db != NULL, "%s", err_text(&e));
	for (int i = 0; i < runs; i++)
		ck_assert_msg(db_exec(db, "INSERT INTO runs (flow, state, trigger_kind, "
				      "created_at, updated_at) VALUES ('f', 'COMPLETED', "
				      "'manual', 1, 1)", NULL, 0, NULL, &e) == 0, "%s",
			      err_text(&e));
	db_close(db);
}

/* A tablespace NAME on a tmpfs of its own of mib MiB, made through db (a
 * superuser's connection), for a real full disk (53100 disk_full) without
 * filling the machine's: mount point written to mnt (64 bytes).  Mounting
 * needs root (CI runs as root): false, after saying SKIP, without it.
 * test_pg_tiny_fill fills it; test_pg_tiny_unmount detaches the mount. */
static inline bool test_pg_tiny_tablespace(struct db *db, const char *name, int mib,
					   char *mnt)
{
	struct err e = { 0 };
	char *data = NULL;
	ck_assert_msg(db_query_value(db, "SHOW data_directory", NULL, 0, &data, &e) == 1,
		      "%s", err_text(&e));
	struct stat owner;       /* the server's user must own its tablespace */
	ck_assert_int_eq(stat(data, &owner), 0);
	free(data);
	strcpy(mnt, "/tmp/sluice-full-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(mnt));
	char *opts = xasprintf("size=%dm,mode=0700,uid=%u,gid=%u", mib,
			       (unsigned)owner.st_uid, (unsigned)owner.st_gid);
	int mounted = mount("tmpfs", mnt, "tmpfs", 0, opts);
	free(opts);
	if (mounted < 0) {
		fprintf(stderr, "SKIP: cannot mount a tmpfs on %s (%s): a full disk "
			"needs root\n", mnt, strerror(errno));
		rmdir(mnt);
		return false;
	}
	char *sql = xasprintf("CREATE TABLESPACE %s LOCATION '%s'", name, mnt);
	ck_assert_msg(db_exec(db, sql, NULL, 0, NULL, &e) == 0, "%s", err_text(&e));
	free(sql);
	return true;
}

/* Fill the tablespace with TABLE (made there) until PostgreSQL gives up:
 * the failed insert's error in *e. */
static inline void test_pg_tiny_fill(struct db *db, const char *space, const char *table,
				     struct err *e)
{
	char *sql = xasprintf("CREATE TABLE %s (pad text) TABLESPACE %s", table, space);
	ck_assert_msg(db_exec(db, sql, NULL, 0, NULL, e) == 0, "%s", err_text(e));
	free(sql);
	/* 20,000 rows of 256 characters of md5 text a time: 5 MB, which does
	 * not compress; committed, so that what fit stays */
	sql = xasprintf("INSERT INTO %s SELECT string_agg(md5(g::text || ':' || k::text), '') "
			"FROM generate_series(1, 20000) g, generate_series(1, 8) k GROUP BY g",
			table);
	int rc = 0;
	for (int i = 0; i < 100 && rc == 0; i++)
		rc = db_exec(db, sql, NULL, 0, NULL, e);
	ck_assert_int_eq(rc, -1);
	free(sql);
}

static inline void test_pg_tiny_unmount(const char *mnt)
{
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
}

#endif
