/*
 * testutil.h - shared helpers for the Check unit tests.
 *
 * Each test program builds one suite for one module and calls
 * TEST_MAIN(suite_fn).  PostgreSQL tests read the server's conninfo from
 * SLUICE_TEST_PG (set by tests/lib/run-test) and are skipped with a loud
 * message, never silently passed, when it is absent.
 */
#ifndef SLUICE_TESTUTIL_H
#define SLUICE_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>

#include "core/core.h"

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
