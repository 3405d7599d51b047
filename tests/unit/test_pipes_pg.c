/*
 * test_pipes_pg.c - pipes and streams on PostgreSQL: the cases of
 * pipes_suite.h against databases on the test server.
 */
#include "pipes_suite.h"

static Suite *pipes_suite(void)
{
	return pipes_suite_on(&PG_BACKEND);
}

TEST_MAIN(pipes_suite)
