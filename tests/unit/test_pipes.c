/*
 * test_pipes.c - pipes and streams on SQLite: the cases of
 * pipes_cases.h, pipes_bad.h and pipes_streams.h against a SQLite warehouse.
 */
#include "pipes_cases.h"
#include "pipes_bad.h"
#include "pipes_streams.h"

#include "steps/pipe_int.h"

#define B (&SQLITE_BACKEND)

START_TEST(totesys) { t_totesys(B); } END_TEST
START_TEST(twice) { t_twice(B); } END_TEST
START_TEST(reconcile) { t_reconcile(B); } END_TEST
START_TEST(skip_file) { t_skip_file(B); } END_TEST
START_TEST(on_error_continue) { t_continue(B); } END_TEST
START_TEST(on_error_abort) { t_abort(B); } END_TEST
START_TEST(force_one) { t_force_one(B); } END_TEST
START_TEST(force_range) { t_force_range(B); } END_TEST
START_TEST(refused_row) { t_refused_row(B); } END_TEST
START_TEST(pause_resume) { t_pause(B); } END_TEST
START_TEST(states) { t_states(B); } END_TEST
START_TEST(drift) { t_drift(B); } END_TEST
START_TEST(cancel) { t_cancel(B); } END_TEST
START_TEST(bad_corpus) { t_bad_corpus(B); } END_TEST
START_TEST(stream_append) { t_stream_append(B); } END_TEST
START_TEST(stream_default) { t_stream_default(B); } END_TEST
START_TEST(orders_flow) { t_orders_flow(B); } END_TEST
START_TEST(normalize_error) { t_normalize_error(B); } END_TEST
START_TEST(normalize_table) { t_normalize_table(B); } END_TEST
START_TEST(normalize_columns) { t_normalize_columns(B); } END_TEST

static Suite *pipes_suite(void)
{
	Suite *s = suite_create("pipes (sqlite)");
	TCase *tc = tcase_create("pipes");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, totesys);
	tcase_add_test(tc, twice);
	tcase_add_test(tc, reconcile);
	tcase_add_test(tc, skip_file);
	tcase_add_test(tc, on_error_continue);
	tcase_add_test(tc, on_error_abort);
	tcase_add_test(tc, force_one);
	tcase_add_test(tc, force_range);
	tcase_add_test(tc, refused_row);
	tcase_add_test(tc, pause_resume);
	tcase_add_test(tc, states);
	tcase_add_test(tc, drift);
	tcase_add_test(tc, cancel);
	tcase_add_test(tc, bad_corpus);
	suite_add_tcase(s, tc);
	tc = tcase_create("streams");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, stream_append);
	tcase_add_test(tc, stream_default);
	tcase_add_test(tc, orders_flow);
	tcase_add_test(tc, normalize_error);
	tcase_add_test(tc, normalize_table);
	tcase_add_test(tc, normalize_columns);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(pipes_suite)
