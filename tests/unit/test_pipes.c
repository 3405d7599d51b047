/*
 * test_pipes.c - pipes and streams on SQLite: the cases of pipes_suite.h
 * against a SQLite warehouse.
 */
#include "pipes_suite.h"

static Suite *pipes_suite(void)
{
	return pipes_suite_on(&SQLITE_BACKEND);
}

TEST_MAIN(pipes_suite)
