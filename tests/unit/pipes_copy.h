/*
 * pipes_copy.h - more of COPY (issue 14): the CSV file format options,
 * pattern_regex, purge and archive, validation without loading.  Run on
 * SQLite by test_pipes.c and on PostgreSQL by test_pipes_pg.c.
 */
#ifndef SLUICE_PIPES_COPY_H
#define SLUICE_PIPES_COPY_H

#include "pipes_fixture.h"

static const char *const CSV_OPTIONS_PROJECT =
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },"
	"  \"pipes\": ["
	"    { \"name\": \"opts\", \"path\": \"opts/\", \"format\": \"csv\","
	"      \"connection\": \"wh\", \"table\": \"raw_opts\", \"on_error\": \"continue\","
	"      \"skip_header\": 2, \"null_if\": [ \"NULL\", \"\\\\N\" ], \"quote\": \"'\","
	"      \"escape\": \"\\\\\", \"trim_space\": true, \"empty_field_as_null\": false,"
	"      \"columns\": [ { \"name\": \"id\", \"type\": \"integer\" },"
	"                   { \"name\": \"name\" }, { \"name\": \"note\" } ] },"
	"    { \"name\": \"nohdr\", \"path\": \"nohdr/\", \"format\": \"csv\","
	"      \"connection\": \"wh\", \"table\": \"raw_nohdr\", \"header\": false,"
	"      \"csv_delimiter\": \"|\", \"on_error\": \"continue\","
	"      \"columns\": [ { \"name\": \"a\", \"type\": \"integer\" }, { \"name\": \"b\" } ] },"
	"    { \"name\": \"latin\", \"path\": \"latin/\", \"format\": \"csv\","
	"      \"connection\": \"wh\", \"table\": \"raw_latin\", \"encoding\": \"latin-1\","
	"      \"on_error\": \"continue\","
	"      \"columns\": [ { \"name\": \"id\", \"type\": \"integer\" }, { \"name\": \"name\" } ] },"
	"    { \"name\": \"plain\", \"path\": \"latin/\", \"format\": \"csv\","
	"      \"connection\": \"wh\", \"table\": \"raw_plain\", \"on_error\": \"continue\" } ] }";

/* A value of the warehouse, or "(null)". */
static char *fx_value_or_null(struct fx *f, const char *sql)
{
	struct err e = { 0 };
	char *v = NULL;
	int rc = db_query_value(fx_db(f), sql, NULL, 0, &v, &e);
	ck_assert_msg(rc >= 0, "%s: %s", sql, err_text(&e));
	return v ? v : xstrdup("(null)");
}

static void expect_value(struct fx *f, const char *sql, const char *want)
{
	char *v = fx_value_or_null(f, sql);
	ck_assert_msg(strcmp(v, want) == 0, "%s: got \"%s\", expected \"%s\"", sql, v, want);
	free(v);
}

/* The load history's first error of a file: where, and which column. */
static void expect_first_error(struct fx *f, const char *pipe, const char *key, long line,
			       long col, const char *column)
{
	struct store_load *l = fx_load_of(f, pipe, key);
	ck_assert_int_eq(l->first_error_line, line);
	ck_assert_int_eq(l->first_error_column, col);
	if (column)
		ck_assert_str_eq(l->first_error_column_name, column);
	store_load_free(l);
}

/* skip_header, null_if, quote, escape, trim_space, empty_field_as_null. */
static void t_csv_options(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, CSV_OPTIONS_PROJECT);
	fx_put(&f, "opts/a.csv",
	       "exported by the till, 2024-05-01\n"
	       "id,name,note\n"                       /* skipped too: skip_header 2 */
	       "id,name,note\n"
	       " 1 , 'Smith, J' ,NULL\n"
	       "2,O\\'Brien,\n"
	       "3,'a''b',  x y  \n"
	       "4,\\N,'NULL'\n"
	       "5,tab\\,comma, \\  \n");
	struct pipe_result r = fx_refresh_ok(&f, "opts");
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(r.rows_loaded, 5);
	expect_value(&f, "SELECT name FROM raw_opts WHERE id = 1", "Smith, J");
	expect_value(&f, "SELECT note FROM raw_opts WHERE id = 1", "(null)");
	expect_value(&f, "SELECT name FROM raw_opts WHERE id = 2", "O'Brien");
	/* empty_field_as_null: false keeps an empty field as "" */
	expect_value(&f, "SELECT note FROM raw_opts WHERE id = 2", "");
	expect_value(&f, "SELECT name FROM raw_opts WHERE id = 3", "a'b");
	expect_value(&f, "SELECT note FROM raw_opts WHERE id = 3", "x y");
	/* null_if applies to quoted values too, as in Snowflake */
	expect_value(&f, "SELECT name FROM raw_opts WHERE id = 4", "(null)");
	expect_value(&f, "SELECT note FROM raw_opts WHERE id = 4", "(null)");
	/* an escaped delimiter and an escaped space survive trimming */
	expect_value(&f, "SELECT name FROM raw_opts WHERE id = 5", "tab,comma");
	expect_value(&f, "SELECT note FROM raw_opts WHERE id = 5", " ");
	pipe_result_free(&r);
	fx_close(&f);
}

/* header: false: the fields are the declared columns, in order; a bad
 * record is reported under its column's name at its line. */
static void t_csv_no_header(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, CSV_OPTIONS_PROJECT);
	fx_put(&f, "nohdr/a.csv", "1|one\n2|two\nthree|3\n4|four\n");
	struct pipe_result r = fx_refresh_ok(&f, "nohdr");
	ck_assert_int_eq(r.rows_loaded, 3);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_nohdr"), 3);
	expect_value(&f, "SELECT b FROM raw_nohdr WHERE a = 1", "one");
	expect_value(&f, "SELECT b FROM raw_nohdr WHERE a = 4", "four");
	expect_first_error(&f, "nohdr", "nohdr/a.csv", 3, 1, "a");
	pipe_result_free(&r);
	fx_close(&f);
}

/* encoding: latin-1 loads a Latin-1 file as the text it is; read as UTF-8
 * the same file is refused at the byte, never loaded mangled. */
static void t_csv_latin1(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, CSV_OPTIONS_PROJECT);
	fx_put(&f, "latin/a.csv", "id,name\n1,Jos\xe9\n2,M\xfcller \xa9\n4,\xa9\xa9,x\n3\xb0,x\n");
	struct pipe_result r = fx_refresh_ok(&f, "latin");
	ck_assert_int_eq(r.rows_loaded, 2);
	expect_value(&f, "SELECT name FROM raw_latin WHERE id = 1", "Jos\xc3\xa9");
	expect_value(&f, "SELECT name FROM raw_latin WHERE id = 2", "M\xc3\xbcller \xc2\xa9");
	/* columns count characters: "4,©©,x" has its third field at column 6 */
	expect_first_error(&f, "latin", "latin/a.csv", 4, 6, NULL);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_latin"), 2);
	pipe_result_free(&r);
	struct pipe_result p = fx_refresh_ok(&f, "plain");
	ck_assert_int_eq(p.rows_loaded, 0);
	expect_first_error(&f, "plain", "latin/a.csv", 2, 6, NULL);
	pipe_result_free(&p);
	fx_close(&f);
}

static const char *const PICK_PROJECT =
	"{ \"connections\": { \"wh\": { \"url\": \"@WH@\" } },"
	"  \"pipes\": ["
	"    { \"name\": \"rx\", \"path\": \"rx/\", \"format\": \"csv\","
	"      \"pattern_regex\": \"2024/(0[1-9]|1[0-2])/[^/]*[.]csv\","
	"      \"connection\": \"wh\", \"table\": \"raw_rx\" },"
	"    { \"name\": \"purged\", \"path\": \"in/p/\", \"format\": \"csv\","
	"      \"connection\": \"wh\", \"table\": \"raw_purged\", \"purge\": true },"
	"    { \"name\": \"purged_c\", \"path\": \"in/c/\", \"format\": \"csv\","
	"      \"connection\": \"wh\", \"table\": \"raw_purged_c\", \"purge\": true,"
	"      \"on_error\": \"continue\" },"
	"    { \"name\": \"archived\", \"path\": \"in/a/\", \"format\": \"csv\","
	"      \"connection\": \"wh\", \"table\": \"raw_archived\", \"archive\": \"done/a\","
	"      \"on_error\": \"continue\" } ] }";

/* pattern_regex: a POSIX extended regular expression on the whole key under
 * the pipe's path (anchored, as Snowflake's PATTERN). */
static void t_pattern_regex(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, PICK_PROJECT);
	fx_put(&f, "rx/2024/01/a.csv", "id\n1\n");
	fx_put(&f, "rx/2024/12/b.csv", "id\n2\n");
	fx_put(&f, "rx/2024/13/c.csv", "id\n3\n");        /* no month 13 */
	fx_put(&f, "rx/2024/1/d.csv", "id\n4\n");
	fx_put(&f, "rx/2024/01/e.csv.bak", "id\n5\n");    /* anchored at the end */
	fx_put(&f, "rx/x2024/01/f.csv", "id\n6\n");       /* ... and at the start */
	fx_put(&f, "rx/2024/01/sub/g.csv", "id\n7\n");
	ck_assert_int_eq(fx_pending(&f, "rx"), 2);
	struct pipe_result r = fx_refresh_ok(&f, "rx");
	ck_assert_int_eq(r.files_seen, 2);
	ck_assert_int_eq(r.files_loaded, 2);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_rx"), 2);
	ck_assert_int_eq(fx_int(&f, "SELECT sum(CAST(id AS INTEGER)) FROM raw_rx"), 3);
	pipe_result_free(&r);
	fx_close(&f);
}

static bool fx_exists(struct fx *f, const char *key)
{
	struct lake_entry ent;
	struct err e = { 0 };
	int rc = lake_stat(f->lake, key, &ent, &e);
	if (rc == 0) {
		lake_entry_free(&ent);
		return true;
	}
	ck_assert_msg(e.code == ERR_NOTFOUND, "%s: %s", key, err_text(&e));
	return false;
}

/* purge: a loaded file is deleted and its load history stays; the same key
 * put again is a changed loaded file (not loaded twice), which --force
 * reloads in place of the earlier rows, and purges again.  A failed or
 * partly loaded file stays. */
static void t_purge(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, PICK_PROJECT);
	fx_put(&f, "in/p/a.csv", "id,v\n1,x\n2,y\n");
	fx_put(&f, "in/p/bad.csv", "id,v\n1,x,extra\n");
	struct pipe_result r = fx_refresh_ok(&f, "purged");
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(r.files_failed, 1);
	ck_assert(!fx_exists(&f, "in/p/a.csv"));
	ck_assert(fx_exists(&f, "in/p/bad.csv"));
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_purged"), 2);
	struct store_load *l = fx_load_of(&f, "purged", "in/p/a.csv");
	ck_assert_int_eq(l->status, LOAD_LOADED);
	ck_assert_int_eq(l->rows_loaded, 2);
	store_load_free(l);
	pipe_result_free(&r);

	fx_put(&f, "in/p/a.csv", "id,v\n1,x\n2,y\n3,z\n");
	r = fx_refresh_ok(&f, "purged");
	ck_assert_int_eq(r.files_loaded, 0);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_purged"), 2);
	ck_assert(fx_exists(&f, "in/p/a.csv"));
	pipe_result_free(&r);
	struct err e = { 0 };
	ck_assert_msg(fx_refresh(&f, "purged", true, "in/p/a.csv", &r, &e) == 0, "%s",
		      err_text(&e));
	ck_assert_int_eq(r.files_loaded, 1);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_purged"), 3);
	ck_assert(!fx_exists(&f, "in/p/a.csv"));
	pipe_result_free(&r);
	/* a partly loaded file holds the only copy of its bad records: kept */
	fx_put(&f, "in/c/a.csv", "id,v\n1,x\n2,y,bad\n");
	r = fx_refresh_ok(&f, "purged_c");
	ck_assert_int_eq(r.files_partial, 1);
	ck_assert(fx_exists(&f, "in/c/a.csv"));
	pipe_result_free(&r);
	fx_close(&f);
}

/* archive: a loaded (also partially loaded) file moves under the archive
 * prefix with its path below the pipe's kept, content unchanged; the pipe
 * does not see it there, and its history stays. */
static void t_archive(const struct backend *b)
{
	struct fx f;
	fx_open(&f, b, PICK_PROJECT);
	const char *text = "id,v\n1,x\n2,y,bad\n3,z\n";
	fx_put(&f, "in/a/2024/01/a.csv", text);
	struct pipe_result r = fx_refresh_ok(&f, "archived");
	ck_assert_int_eq(r.files_partial, 1);
	ck_assert(!fx_exists(&f, "in/a/2024/01/a.csv"));
	char *path = xasprintf("%s/lake/done/a/2024/01/a.csv", f.dir);
	size_t len = 0;
	struct err e = { 0 };
	char *got = file_read_all(path, &len, &e);
	ck_assert_msg(got != NULL, "%s", err_text(&e));
	ck_assert_str_eq(got, text);
	free(got);
	free(path);
	ck_assert_int_eq(fx_int(&f, "SELECT count(*) FROM raw_archived"), 2);
	struct store_load *l = fx_load_of(&f, "archived", "in/a/2024/01/a.csv");
	ck_assert_int_eq(l->status, LOAD_PARTIALLY_LOADED);
	store_load_free(l);
	pipe_result_free(&r);
	ck_assert_int_eq(fx_pending(&f, "archived"), 0);
	r = fx_refresh_ok(&f, "archived");
	ck_assert_int_eq(r.files_seen, 0);
	pipe_result_free(&r);
	fx_close(&f);
}

#endif
