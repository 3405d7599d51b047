/*
 * pipes_suite.h - the suite of test_pipes.c (SQLite) and test_pipes_pg.c
 * (PostgreSQL): every case of pipes_cases.h, pipes_bad.h and
 * pipes_streams.h registered once, run against the backend the suite is
 * made for, so that neither backend can miss a case the other runs.
 */
#ifndef SLUICE_PIPES_SUITE_H
#define SLUICE_PIPES_SUITE_H

#include "pipes_cases.h"
#include "pipes_bad.h"
#include "pipes_streams.h"
#include "pipes_rules.h"
#include "pipes_copy.h"
#include "pipes_stream_steps.h"
#include "pipes_stream_deletes.h"

/* Check's test functions take no arguments: the backend is set once, by
 * pipes_suite_on, before the runner forks any test. */
static const struct backend *suite_backend;

START_TEST(totesys) { t_totesys(suite_backend); } END_TEST
START_TEST(twice) { t_twice(suite_backend); } END_TEST
START_TEST(reconcile) { t_reconcile(suite_backend); } END_TEST
START_TEST(skip_file) { t_skip_file(suite_backend); } END_TEST
START_TEST(on_error_continue) { t_continue(suite_backend); } END_TEST
START_TEST(on_error_abort) { t_abort(suite_backend); } END_TEST
START_TEST(force_one) { t_force_one(suite_backend); } END_TEST
START_TEST(force_range) { t_force_range(suite_backend); } END_TEST
START_TEST(refused_row) { t_refused_row(suite_backend); } END_TEST
START_TEST(pause_resume) { t_pause(suite_backend); } END_TEST
START_TEST(states) { t_states(suite_backend); } END_TEST
START_TEST(drift) { t_drift(suite_backend); } END_TEST
START_TEST(cancel) { t_cancel(suite_backend); } END_TEST
START_TEST(bad_corpus) { t_bad_corpus(suite_backend); } END_TEST
START_TEST(stream_append) { t_stream_append(suite_backend); } END_TEST
START_TEST(stream_default) { t_stream_default(suite_backend); } END_TEST
START_TEST(stream_before_ids) { t_stream_before_ids(suite_backend); } END_TEST
START_TEST(orders_flow) { t_orders_flow(suite_backend); } END_TEST
START_TEST(normalize_error) { t_normalize_error(suite_backend); } END_TEST
START_TEST(normalize_table) { t_normalize_table(suite_backend); } END_TEST
START_TEST(normalize_columns) { t_normalize_columns(suite_backend); } END_TEST
START_TEST(fixed_same_size) { t_fixed_same_size(suite_backend); } END_TEST
START_TEST(changed_loaded) { t_changed_loaded(suite_backend); } END_TEST
START_TEST(concurrent) { t_concurrent(suite_backend); } END_TEST
START_TEST(skip_file_n) { t_skip_file_n(suite_backend); } END_TEST
START_TEST(abort_statement) { t_abort_statement(suite_backend); } END_TEST
START_TEST(ingest_rejects) { t_ingest_rejects(suite_backend); } END_TEST
START_TEST(ingest_earlier_rejects) { t_ingest_earlier_rejects(suite_backend); } END_TEST
START_TEST(ingest_paused) { t_ingest_paused(suite_backend); } END_TEST
START_TEST(csv_options) { t_csv_options(suite_backend); } END_TEST
START_TEST(csv_no_header) { t_csv_no_header(suite_backend); } END_TEST
START_TEST(csv_latin1) { t_csv_latin1(suite_backend); } END_TEST
START_TEST(pattern_regex) { t_pattern_regex(suite_backend); } END_TEST
START_TEST(purge) { t_purge(suite_backend); } END_TEST
START_TEST(archive) { t_archive(suite_backend); } END_TEST
START_TEST(stream_in_sql) { t_stream_in_sql(suite_backend); } END_TEST
START_TEST(stream_ref_checked) { t_stream_ref_checked(suite_backend); } END_TEST
START_TEST(stream_in_custom_check) { t_stream_in_custom_check(suite_backend); } END_TEST
START_TEST(normalize_nested_outer) { t_normalize_nested_outer(suite_backend); } END_TEST
START_TEST(stream_deletes) { t_stream_deletes(suite_backend); } END_TEST
START_TEST(stream_deletes_refused) { t_stream_deletes_refused(suite_backend); } END_TEST
START_TEST(stream_deletes_retry) { t_stream_deletes_retry(suite_backend); } END_TEST
START_TEST(stream_append_unchanged) { t_stream_append_unchanged(suite_backend); } END_TEST
START_TEST(stream_deletes_pruned) { t_stream_deletes_pruned(suite_backend); } END_TEST
START_TEST(stream_deletes_two_readers) { t_stream_deletes_two_readers(suite_backend); } END_TEST
START_TEST(stream_deletes_removed_reader) { t_stream_deletes_removed_reader(suite_backend); } END_TEST
START_TEST(stream_deletes_new_column) { t_stream_deletes_new_column(suite_backend); } END_TEST
START_TEST(normalize_carries_deletes) { t_normalize_carries_deletes(suite_backend); } END_TEST
START_TEST(stream_deletes_after_backfill) { t_stream_deletes_after_backfill(suite_backend); } END_TEST
START_TEST(stream_deletes_truncate) { t_stream_deletes_truncate(suite_backend); } END_TEST

/* The suite "pipes (NAME)" on backend b. */
static Suite *pipes_suite_on(const struct backend *b)
{
	suite_backend = b;
	/* Check keeps the name's pointer, so it must outlive the suite. */
	static char name[64];
	snprintf(name, sizeof name, "pipes (%s)", b->name);
	Suite *s = suite_create(name);
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
	tcase_add_test(tc, stream_before_ids);
	tcase_add_test(tc, orders_flow);
	tcase_add_test(tc, normalize_error);
	tcase_add_test(tc, normalize_table);
	tcase_add_test(tc, normalize_columns);
	suite_add_tcase(s, tc);
	tc = tcase_create("rules");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, fixed_same_size);
	tcase_add_test(tc, changed_loaded);
	tcase_add_test(tc, concurrent);
	tcase_add_test(tc, skip_file_n);
	tcase_add_test(tc, abort_statement);
	tcase_add_test(tc, ingest_rejects);
	tcase_add_test(tc, ingest_earlier_rejects);
	tcase_add_test(tc, ingest_paused);
	suite_add_tcase(s, tc);
	tc = tcase_create("copy");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, csv_options);
	tcase_add_test(tc, csv_no_header);
	tcase_add_test(tc, csv_latin1);
	tcase_add_test(tc, pattern_regex);
	tcase_add_test(tc, purge);
	tcase_add_test(tc, archive);
	suite_add_tcase(s, tc);
	tc = tcase_create("stream_steps");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, stream_in_sql);
	tcase_add_test(tc, stream_ref_checked);
	tcase_add_test(tc, stream_in_custom_check);
	tcase_add_test(tc, normalize_nested_outer);
	suite_add_tcase(s, tc);
	tc = tcase_create("stream_deletes");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, stream_deletes);
	tcase_add_test(tc, stream_deletes_refused);
	tcase_add_test(tc, stream_deletes_retry);
	tcase_add_test(tc, stream_append_unchanged);
	tcase_add_test(tc, stream_deletes_pruned);
	tcase_add_test(tc, stream_deletes_two_readers);
	tcase_add_test(tc, stream_deletes_removed_reader);
	tcase_add_test(tc, stream_deletes_new_column);
	tcase_add_test(tc, normalize_carries_deletes);
	tcase_add_test(tc, stream_deletes_after_backfill);
	tcase_add_test(tc, stream_deletes_truncate);
	suite_add_tcase(s, tc);
	return s;
}

#endif
