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

#include "core/core.h"
#include "db/db.h"

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

#endif
