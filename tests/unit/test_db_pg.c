/*
 * test_db_pg.c - the db module on a real PostgreSQL server, and between
 * PostgreSQL and SQLite: streaming, COPY both ways with awkward values,
 * the type map round trips in both directions, read-only sessions,
 * cancel, DDL in transactions, the ledger, and secrets kept out of errors.
 */
#include "db_testutil.h"

static char *conninfo;     /* the test database */
static char *dir;

static void suite_setup(void)
{
	conninfo = test_pg_suite_database("sluice_db_test");
}

static void setup(void)
{
	ck_assert_msg(conninfo != NULL, "SLUICE_TEST_PG is not set: no PostgreSQL server");
	dir = test_mkdtemp();
}

static void teardown(void)
{
	test_rmdir(dir);
	dir = NULL;
}

static struct db *pg_open_opt(const struct db_options *opt)
{
	struct err e;
	struct db *db = db_open(conninfo, opt, &e);
	ck_assert_msg(db != NULL, "open: %s", err_text(&e));
	return db;
}

static struct db *pg_open(void)
{
	return pg_open_opt(NULL);
}

START_TEST(statements_parameters_and_errors)
{
	struct db *db = pg_open();
	struct err e;
	ck_assert_int_eq(db_kind(db), DB_POSTGRES);
	exec_ok(db, "DROP TABLE IF EXISTS s1; CREATE TABLE s1 (id bigint PRIMARY KEY, name text, note text)");
	const char *p1[] = { "1", "alpha", NULL }, *p2[] = { "2", "", "it's" };
	int64_t n = -1;
	ck_assert_int_eq(db_exec(db, "INSERT INTO s1 VALUES ($1, $2, $3)", p1, 3, &n, &e), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(db_exec(db, "INSERT INTO s1 VALUES ($1, $2, $3)", p2, 3, NULL, &e), 0);
	ck_value(db, "SELECT count(*) FROM s1 WHERE name = ''", "1");
	ck_value(db, "SELECT count(*) FROM s1 WHERE note IS NULL", "1");
	ck_assert_int_eq(db_exec(db, "UPDATE s1 SET note = 'x'", NULL, 0, &n, &e), 0);
	ck_assert_int_eq(n, 2);

	/* the server's message, its detail, and where in the statement */
	ck_assert_int_eq(db_exec(db, "INSERT INTO s1 VALUES ($1, $2, $3)", p1, 3, NULL, &e), -1);
	ck_assert_int_eq(e.code, ERR_DB);
	ck_assert_msg(strstr(e.msg, "duplicate key value violates unique constraint"), "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "Key (id)=(1) already exists"), "%s", e.msg);
	ck_assert_int_eq(db_exec(db, "SELECT *\nFROM nosuch", NULL, 0, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "relation \"nosuch\" does not exist at line 2, column 6"),
		      "%s", e.msg);
	ck_assert_int_eq(db_exec_script(db, "SELECT 1;\nSELECT 2;\nSELEC 3;", &e), -1);
	ck_assert_msg(strstr(e.msg, "syntax error"), "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "line 3, column 1"), "%s", e.msg);

	/* one value; no row; NULL */
	char *v;
	int64_t i;
	ck_assert_int_eq(db_query_value(db, "SELECT note FROM s1 WHERE id = 9", NULL, 0, &v, &e), 0);
	ck_assert_int_eq(db_query_value(db, "SELECT NULL::text", NULL, 0, &v, &e), 1);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(db_query_int(db, "SELECT 9223372036854775807", NULL, 0, &i, &e), 1);
	ck_assert_int_eq(i, INT64_MAX);
	db_close(db);
}
END_TEST

START_TEST(transactions_and_failed_commits)
{
	struct db *db = pg_open();
	struct err e;
	exec_ok(db, "DROP TABLE IF EXISTS t1; CREATE TABLE t1 (x int)");
	ck_assert_int_eq(db_begin(db, &e), 0);
	ck_assert(db_in_transaction(db));
	exec_ok(db, "INSERT INTO t1 VALUES (1)");
	db_rollback(db);
	ck_assert(!db_in_transaction(db));
	ck_value(db, "SELECT count(*) FROM t1", "0");
	ck_assert_int_eq(db_begin(db, &e), 0);
	exec_ok(db, "INSERT INTO t1 VALUES (2)");
	ck_assert_int_eq(db_exec(db, "INSERT INTO t1 VALUES ('x')", NULL, 0, NULL, &e), -1);
	ck_assert(db_in_transaction(db));
	/* committing a failed transaction is an error, not a quiet rollback */
	ck_assert_int_eq(db_commit(db, &e), -1);
	ck_assert_int_eq(e.code, ERR_DB);
	ck_assert(!db_in_transaction(db));
	ck_value(db, "SELECT count(*) FROM t1", "0");
	ck_assert_int_eq(db_begin(db, &e), 0);
	exec_ok(db, "INSERT INTO t1 VALUES (3)");
	ck_assert_int_eq(db_commit(db, &e), 0);
	ck_value(db, "SELECT sum(x) FROM t1", "3");
	db_close(db);
}
END_TEST

START_TEST(single_row_streaming_of_a_large_result)
{
	struct db *db = pg_open();
	struct err e;
	const char *p[] = { "200000" };
	struct db_cursor *c = db_query(db, "SELECT g AS n, repeat('x', g % 50) AS pad, "
				       "g::numeric / 8 AS eighth FROM generate_series(1, $1::int) g",
				       p, 1, &e);
	ck_assert_msg(c != NULL, "%s", err_text(&e));
	ck_assert_int_eq(db_cursor_ncols(c), 3);
	ck_assert_str_eq(db_cursor_name(c, 0), "n");
	ck_assert_int_eq(db_cursor_type(c, 0).type, DT_INT);
	ck_assert_int_eq(db_cursor_type(c, 2).type, DT_NUMERIC);
	int64_t rows = 0, sum = 0, padlen = 0;
	int rc;
	while ((rc = db_cursor_next(c, &e)) == 1) {
		rows++;
		sum += atoll(db_cursor_text(c, 0));
		padlen += (int64_t)db_cursor_len(c, 1);
		if (rows == 3)
			ck_assert_str_eq(db_cursor_text(c, 2), "0.37500000000000000000");
	}
	ck_assert_int_eq(rc, 0);
	db_cursor_close(c);
	ck_assert_int_eq(rows, 200000);
	ck_assert_int_eq(sum, (int64_t)200000 * 200001 / 2);
	int64_t want = 0;
	for (int g = 1; g <= 200000; g++)
		want += g % 50;
	ck_assert_int_eq(padlen, want);

	/* another statement while a cursor is open is refused clearly */
	c = db_query(db, "SELECT g FROM generate_series(1, 200000) g", NULL, 0, &e);
	ck_assert_int_eq(db_cursor_next(c, &e), 1);
	ck_assert_int_eq(db_exec(db, "SELECT 1", NULL, 0, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "cursor is still open"), "%s", e.msg);
	/* closing early stops the rest and leaves the connection usable */
	db_cursor_close(c);
	ck_value(db, "SELECT 'still here'", "still here");
	/* errors mid-stream surface from next */
	c = db_query(db, "SELECT 10 / (5 - g) FROM generate_series(1, 10) g", NULL, 0, &e);
	ck_assert_ptr_nonnull(c);
	int got = 0;
	while ((rc = db_cursor_next(c, &e)) == 1)
		got++;
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(e.msg, "division by zero"), "%s", e.msg);
	db_cursor_close(c);
	ck_value(db, "SELECT 1", "1");
	db_close(db);
}
END_TEST

static const char *const awkward[][4] = {
	{ "1", "tab\there", "back\\slash", "new\nline" },
	{ "2", "", NULL, "\\N" },
	{ "3", "cr\r\nlf", "unicode żółć ✓ \xf0\x9f\x98\x80", "\\\\N\t\\" },
	{ "4", NULL, "'quotes' \"double\"", "\b\f\v" },
};

START_TEST(copy_in_and_out_with_awkward_values)
{
	struct db *db = pg_open();
	struct err e;
	exec_ok(db, "DROP TABLE IF EXISTS aw; CREATE TABLE aw (id int, a text, b text, c text)");
	const char *cols[] = { "id", "a", "b", "c" };
	ck_assert_int_eq(db_begin(db, &e), 0);
	struct db_writer *w = db_writer_open(db, "aw", cols, 4, &e);
	ck_assert_msg(w != NULL, "%s", err_text(&e));
	for (size_t r = 0; r < ARRAY_LEN(awkward); r++)
		ck_assert_int_eq(db_writer_row(w, awkward[r], &e), 0);
	int64_t rows;
	ck_assert_msg(db_writer_close(w, &rows, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(rows, 4);
	ck_assert_int_eq(db_commit(db, &e), 0);
	/* the server holds exactly the values */
	ck_value(db, "SELECT a = E'tab\\there' AND b = E'back\\\\slash' AND c = E'new\\nline' "
		 "FROM aw WHERE id = 1", "t");
	ck_value(db, "SELECT a = '' AND b IS NULL AND c = E'\\\\N' FROM aw WHERE id = 2", "t");
	/* and both readers give them back */
	for (int bulk = 0; bulk < 2; bulk++) {
		const char *sql = "SELECT id, a, b, c FROM aw ORDER BY id;";
		struct db_cursor *c = bulk ? db_query_bulk(db, sql, &e)
					   : db_query(db, sql, NULL, 0, &e);
		ck_assert_msg(c != NULL, "%s", err_text(&e));
		ck_assert_int_eq(db_cursor_ncols(c), 4);
		ck_assert_str_eq(db_cursor_name(c, 3), "c");
		ck_assert_int_eq(db_cursor_type(c, 0).type, DT_INT);
		for (size_t r = 0; r < ARRAY_LEN(awkward); r++) {
			ck_assert_int_eq(db_cursor_next(c, &e), 1);
			for (int i = 0; i < 4; i++) {
				const char *want = awkward[r][i], *got = db_cursor_text(c, i);
				if (!want)
					ck_assert_msg(!got, "bulk %d row %zu col %d", bulk, r, i);
				else
					ck_assert_msg(got && strcmp(got, want) == 0 &&
						      db_cursor_len(c, i) == strlen(want),
						      "bulk %d row %zu col %d: [%s]", bulk, r, i, got);
			}
		}
		ck_assert_int_eq(db_cursor_next(c, &e), 0);
		db_cursor_close(c);
	}
	/* copy lines pass through as they are */
	w = db_writer_open(db, "aw", cols, 4, &e);
	const char line[] = "5\tx\\ty\t\\N\tz\n";
	ck_assert_int_eq(db_writer_copy_line(w, line, strlen(line), &e), 0);
	ck_assert_int_eq(db_writer_close(w, &rows, &e), 0);
	ck_value(db, "SELECT a = E'x\\ty' AND b IS NULL FROM aw WHERE id = 5", "t");
	db_close(db);
}
END_TEST

START_TEST(copy_errors_name_row_and_column_and_write_nothing)
{
	struct db *db = pg_open();
	struct err e;
	exec_ok(db, "DROP TABLE IF EXISTS orders; CREATE TABLE orders "
		"(id int PRIMARY KEY, unit_price numeric(10,2) NOT NULL)");
	const char *cols[] = { "id", "unit_price" };
	ck_assert_int_eq(db_begin(db, &e), 0);
	struct db_writer *w = db_writer_open(db, "orders", cols, 2, &e);
	char id[16];
	for (int i = 1; i <= 20; i++) {
		snprintf(id, sizeof id, "%d", i);
		const char *row[] = { id, i == 17 ? "ten" : "9.99" };
		ck_assert_int_eq(db_writer_row(w, row, &e), 0);
	}
	ck_assert_int_eq(db_writer_close(w, NULL, &e), -1);
	ck_assert_int_eq(e.code, ERR_DB);
	ck_assert_str_eq(e.where, "row 17, column unit_price");
	ck_assert_msg(strstr(e.msg, "\"ten\""), "%s", e.msg);
	db_rollback(db);
	ck_value(db, "SELECT count(*) FROM orders", "0");

	/* an aborted writer leaves nothing behind either */
	w = db_writer_open(db, "orders", cols, 2, &e);
	const char *row[] = { "1", "1.00" };
	ck_assert_int_eq(db_writer_row(w, row, &e), 0);
	db_writer_abort(w);
	ck_value(db, "SELECT count(*) FROM orders", "0");
	const char *bad[] = { "id", "price" };
	ck_assert_ptr_null(db_writer_open(db, "orders", bad, 2, &e));
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	db_close(db);
}
END_TEST

/* ---- the type map, both ways ------------------------------------------------ */

static const char *const edge_rows[][10] = {
	EDGE_ROWS,
	{ "-1", "99999999.99", "0.5000000000", "1e+300", "t", "2099-12-31", "23:59:59.999999",
	  "1900-02-28 12:00:00.5", "\\N", "{\"k\": \"tab\\tx\"}" },
};

/* typed_cols with i the primary key, which the copies carry too. */
static struct db_column *keyed_cols(void)
{
	static struct db_column cols[ARRAY_LEN(typed_cols)];
	memcpy(cols, typed_cols, sizeof cols);
	cols[0].not_null = cols[0].primary_key = true;
	return cols;
}

/* Edge row r with a key: the NULL row's i, its only non-NULL, is 7. */
static void edge_row(size_t r, const char *row[10])
{
	for (int i = 0; i < 10; i++)
		row[i] = edge_rows[r][i];
	if (r == 3)
		row[0] = "7";
}

static void fill(struct db *db, const char *table)
{
	struct err e;
	struct db_table def = { (char *)table, keyed_cols(), ARRAY_LEN(typed_cols) };
	db_drop_table(db, table, true, NULL);
	ck_assert_msg(db_create_table(db, &def, false, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(db_begin(db, &e), 0);
	struct db_writer *w = db_writer_open(db, table, type_cols, 10, &e);
	ck_assert_msg(w != NULL, "%s", err_text(&e));
	for (size_t r = 0; r < ARRAY_LEN(edge_rows); r++) {
		const char *row[10];
		edge_row(r, row);
		ck_assert_msg(db_writer_row(w, row, &e) == 0, "%s", err_text(&e));
	}
	ck_assert_msg(db_writer_close(w, NULL, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(db_commit(db, &e), 0);
}

static void check_values(struct db *db, const char *table, bool bulk)
{
	struct err e;
	char *sql = xasprintf("SELECT i, n, big, f, b, d, tm, ts, s, j FROM %s ORDER BY "
			      "CASE WHEN i = 7 THEN 3 WHEN i = 42 THEN 4 WHEN i = -1 THEN 5 "
			      "WHEN i = 0 THEN 2 WHEN i > 0 THEN 0 ELSE 1 END", table);
	struct db_cursor *c = bulk ? db_query_bulk(db, sql, &e) : db_query(db, sql, NULL, 0, &e);
	ck_assert_msg(c != NULL, "%s", err_text(&e));
	for (size_t r = 0; r < ARRAY_LEN(edge_rows); r++) {
		const char *row[10];
		edge_row(r, row);
		ck_typed_row(c, row, table, r);
	}
	ck_assert_int_eq(db_cursor_next(c, &e), 0);
	db_cursor_close(c);
	free(sql);
}

static void check_types(struct db *db, const char *table)
{
	struct err e;
	struct db_table *t = db_describe(db, table, &e);
	ck_assert_msg(t != NULL, "%s", err_text(&e));
	ck_assert_uint_eq(t->ncolumns, ARRAY_LEN(typed_cols));
	const struct db_column *want = keyed_cols();
	for (size_t i = 0; i < t->ncolumns; i++) {
		struct db_coltype a = t->columns[i].type, b = want[i].type;
		ck_assert_msg(a.type == b.type && a.precision == b.precision &&
			      a.scale == b.scale, "%s.%s: %s(%d,%d)", table,
			      t->columns[i].name, db_type_name(a.type), a.precision, a.scale);
		ck_assert_int_eq(t->columns[i].primary_key, want[i].primary_key);
	}
	db_table_free(t);
}

/* Copy a table to another database, creating it from the description. */
static void carry(struct db *from, const char *src, struct db *to, const char *dst)
{
	struct err e;
	struct db_table *def = db_describe(from, src, &e);
	ck_assert_msg(def != NULL, "%s", err_text(&e));
	free(def->name);
	def->name = xstrdup(dst);
	db_drop_table(to, dst, true, NULL);
	ck_assert_msg(db_create_table(to, def, false, &e) == 0, "%s", err_text(&e));
	db_table_free(def);
	ck_assert_int_eq(db_begin(to, &e), 0);
	struct db_writer *w = db_writer_open(to, dst, type_cols, 10, &e);
	ck_assert_msg(w != NULL, "%s", err_text(&e));
	char *sql = xasprintf("SELECT i, n, big, f, b, d, tm, ts, s, j FROM %s", src);
	int64_t rows = 0;
	ck_assert_msg(db_copy_query(from, sql, w, &rows, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(rows, (int64_t)ARRAY_LEN(edge_rows));
	ck_assert_msg(db_writer_close(w, NULL, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(db_commit(to, &e), 0);
	free(sql);
}

START_TEST(sqlite_to_pg_to_sqlite_is_lossless)
{
	struct db *lite = test_sqlite_open(dir, "a.db"), *pg = pg_open();
	struct db *back = test_sqlite_open(dir, "b.db");
	fill(lite, "typed");
	check_values(lite, "typed", false);
	carry(lite, "typed", pg, "typed_from_lite");
	check_types(pg, "typed_from_lite");
	check_values(pg, "typed_from_lite", false);
	check_values(pg, "typed_from_lite", true);
	carry(pg, "typed_from_lite", back, "typed_back");
	check_types(back, "typed_back");
	check_values(back, "typed_back", false);
	db_close(lite);
	db_close(pg);
	db_close(back);
}
END_TEST

START_TEST(pg_to_sqlite_to_pg_is_lossless)
{
	struct db *pg = pg_open(), *lite = test_sqlite_open(dir, "c.db");
	struct err e;
	/* made by the server itself, in its own DDL, so values are its own */
	exec_ok(pg, "DROP TABLE IF EXISTS typed_pg; CREATE TABLE typed_pg (i bigint PRIMARY KEY, "
		"n numeric(10,2), big numeric(20,10), f double precision, b boolean, d date, "
		"tm time, ts timestamp, s text, j jsonb)");
	for (size_t r = 0; r < ARRAY_LEN(edge_rows); r++) {
		const char *row[10];
		edge_row(r, row);
		ck_assert_msg(db_exec(pg, "INSERT INTO typed_pg VALUES ($1, $2, $3, $4, $5, "
				      "$6, $7, $8, $9, $10)", row, 10, NULL, &e) == 0, "%s",
			      err_text(&e));
	}
	check_values(pg, "typed_pg", false);
	carry(pg, "typed_pg", lite, "typed_lite");
	check_types(lite, "typed_lite");
	check_values(lite, "typed_lite", false);
	carry(lite, "typed_lite", pg, "typed_pg_back");
	check_types(pg, "typed_pg_back");
	ck_value(pg, "SELECT count(*) FROM (SELECT * FROM typed_pg EXCEPT "
		 "SELECT * FROM typed_pg_back) x", "0");
	ck_value(pg, "SELECT count(*) FROM (SELECT * FROM typed_pg_back EXCEPT "
		 "SELECT * FROM typed_pg) x", "0");
	ck_value(pg, "SELECT count(*) FROM typed_pg_back", "6");
	/* exact digits past what a double holds survived SQLite */
	ck_value(pg, "SELECT big FROM typed_pg_back WHERE i = 9223372036854775807",
		 "1234567890.1234567891");
	db_close(pg);
	db_close(lite);
}
END_TEST

START_TEST(pg_to_pg_copy_query_moves_every_row)
{
	struct db *a = pg_open(), *b = pg_open();
	struct err e;
	exec_ok(a, "DROP TABLE IF EXISTS big_src; CREATE TABLE big_src AS SELECT g AS id, "
		"md5(g::text) AS h, g::numeric / 7 AS q, CASE WHEN g % 5 = 0 THEN NULL "
		"ELSE E'a\\tb\\n' || g END AS t FROM generate_series(1, 200000) g;"
		"DROP TABLE IF EXISTS big_dst; CREATE TABLE big_dst (id int, h text, q numeric, t text)");
	const char *cols[] = { "id", "h", "q", "t" };
	ck_assert_int_eq(db_begin(b, &e), 0);
	struct db_writer *w = db_writer_open(b, "big_dst", cols, 4, &e);
	int64_t rows = 0, written = 0;
	ck_assert_msg(db_copy_query(a, "SELECT id, h, q, t FROM big_src", w, &rows, &e) == 0,
		      "%s", err_text(&e));
	ck_assert_int_eq(rows, 200000);
	ck_assert_int_eq(db_writer_close(w, &written, &e), 0);
	ck_assert_int_eq(written, 200000);
	ck_assert_int_eq(db_commit(b, &e), 0);
	ck_value(a, "SELECT count(*) FROM (SELECT * FROM big_src EXCEPT SELECT * FROM big_dst) x", "0");
	ck_value(a, "SELECT count(*) FROM big_dst WHERE t IS NULL", "40000");
	/* a query that fails in the middle leaves the writer's side untouched */
	exec_ok(b, "TRUNCATE big_dst");
	ck_assert_int_eq(db_begin(b, &e), 0);
	w = db_writer_open(b, "big_dst", cols, 4, &e);
	ck_assert_int_eq(db_copy_query(a, "SELECT id, h, 1 / (id - 150000), t FROM big_src",
				       w, &rows, &e), -1);
	ck_assert_msg(strstr(e.msg, "division by zero"), "%s", e.msg);
	db_writer_abort(w);
	db_rollback(b);
	ck_value(b, "SELECT count(*) FROM big_dst", "0");
	ck_value(a, "SELECT 1", "1");
	/* the same connection cannot be both ends */
	w = db_writer_open(a, "big_dst", cols, 4, &e);
	ck_assert_int_eq(db_copy_query(a, "SELECT 1, 'x', 1, 'y'", w, &rows, &e), -1);
	db_writer_abort(w);
	db_close(a);
	db_close(b);
}
END_TEST

START_TEST(read_only_sessions_refuse_writes)
{
	struct db *rw = pg_open();
	exec_ok(rw, "DROP TABLE IF EXISTS ro1; CREATE TABLE ro1 (x int); INSERT INTO ro1 VALUES (1)");
	db_close(rw);
	struct db_options opt = { .read_only = true, .label = "monitor" };
	struct db *db = pg_open_opt(&opt);
	struct err e;
	ck_assert_str_eq(db_label(db), "monitor");
	ck_value(db, "SHOW default_transaction_read_only", "on");
	ck_value(db, "SHOW TimeZone", "UTC");
	ck_read_only(db, "ro1");
	const char *cols[] = { "x" };
	ck_assert_ptr_null(db_writer_open(db, "ro1", cols, 1, &e));
	ck_assert_int_eq(e.code, ERR_READONLY);
	db_close(db);
	/* options the user gave survive next to ours */
	char *url = xasprintf("%s options='-c work_mem=7MB'", conninfo);
	db = db_open(url, &opt, &e);
	ck_assert_msg(db != NULL, "%s", err_text(&e));
	ck_value(db, "SHOW work_mem", "7MB");
	ck_value(db, "SHOW default_transaction_read_only", "on");
	db_close(db);
	free(url);
}
END_TEST

START_TEST(cancel_stops_a_long_query_from_another_thread)
{
	struct db *db = pg_open();
	struct err e;
	struct test_later cancel;
	test_later_start(&cancel, 300, cancel_db, db);
	usec_t t0 = clock_monotonic_us();
	int rc = db_exec(db, "SELECT pg_sleep(60)", NULL, 0, NULL, &e);
	test_later_join(&cancel);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(e.code, ERR_CANCELLED);
	ck_assert(clock_monotonic_us() - t0 < 50 * USEC_PER_SEC);
	ck_value(db, "SELECT 'alive'", "alive");
	/* a streaming cursor too */
	test_later_start(&cancel, 300, cancel_db, db);
	struct db_cursor *c = db_query(db, "SELECT g, pg_sleep(0.05) FROM generate_series(1, 2000) g",
				       NULL, 0, &e);
	ck_assert_ptr_nonnull(c);
	while ((rc = db_cursor_next(c, &e)) == 1)
		;
	test_later_join(&cancel);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(e.code, ERR_CANCELLED);
	db_cursor_close(c);
	ck_value(db, "SELECT 'alive'", "alive");
	db_close(db);
}
END_TEST

START_TEST(ddl_describe_alter_rename_drop_in_transactions)
{
	struct db *db = pg_open();
	struct err e;
	exec_ok(db, "DROP TABLE IF EXISTS sales, sales_backfill, sales_old, \"we\"\"ird\";"
		"CREATE TABLE sales (id int PRIMARY KEY, price numeric(10,2) NOT NULL, "
		"d date, flag boolean, code varchar(4));"
		"INSERT INTO sales VALUES (1, 3.90, '2022-11-03', true, 'ab');"
		"CREATE TABLE sales_backfill (LIKE sales); INSERT INTO sales_backfill "
		"SELECT * FROM sales UNION ALL SELECT 2, 5, NULL, false, 'cd';");
	struct db_table *t = db_describe(db, "sales", &e);
	ck_assert_msg(t != NULL, "%s", err_text(&e));
	ck_assert_uint_eq(t->ncolumns, 5);
	ck_assert(t->columns[0].primary_key && t->columns[0].not_null);
	ck_assert_int_eq(t->columns[0].type.type, DT_INT);
	ck_assert(t->columns[1].not_null && !t->columns[1].primary_key);
	ck_assert_int_eq(t->columns[1].type.precision, 10);
	ck_assert_int_eq(t->columns[4].type.precision, 4);
	db_table_free(t);
	ck_assert_ptr_null(db_describe(db, "nosuch", &e));
	ck_assert_int_eq(e.code, ERR_NOTFOUND);

	struct vec names = VEC_INIT;
	ck_assert_int_eq(db_list_tables(db, &names, &e), 0);
	bool seen = false;
	for (size_t i = 0; i < names.len; i++) {
		seen |= strcmp(names.items[i], "sales_backfill") == 0;
		if (i)
			ck_assert(strcmp(names.items[i - 1], names.items[i]) < 0);
	}
	ck_assert(seen);
	vec_free_all(&names, free);

	/* the backfill swap: all or nothing */
	ck_assert_int_eq(db_begin(db, &e), 0);
	ck_assert_int_eq(db_rename_table(db, "sales", "sales_old", &e), 0);
	ck_assert_int_eq(db_rename_table(db, "sales_backfill", "sales", &e), 0);
	ck_assert_int_eq(db_table_exists(db, "sales_old", &e), 1);
	db_rollback(db);
	ck_assert_int_eq(db_table_exists(db, "sales_old", &e), 0);
	ck_value(db, "SELECT count(*) FROM sales", "1");
	ck_assert_int_eq(db_begin(db, &e), 0);
	ck_assert_int_eq(db_drop_table(db, "sales_old", true, &e), 0);
	ck_assert_int_eq(db_rename_table(db, "sales", "sales_old", &e), 0);
	ck_assert_int_eq(db_rename_table(db, "sales_backfill", "sales", &e), 0);
	ck_assert_int_eq(db_commit(db, &e), 0);
	int64_t n;
	ck_assert_int_eq(db_row_count(db, "sales", &n, &e), 0);
	ck_assert_int_eq(n, 2);

	/* schema drift: new column, widened types, values kept */
	struct db_column col = { "note", { DT_TEXT, 0, 0 }, false, false };
	ck_assert_int_eq(db_add_column(db, "sales", &col, &e), 0);
	ck_assert_int_eq(db_widen_column(db, "sales", "price",
					 (struct db_coltype){ DT_NUMERIC, 20, 4 }, &e), 0);
	ck_assert_int_eq(db_widen_column(db, "sales", "d",
					 (struct db_coltype){ DT_TIMESTAMP, 0, 0 }, &e), 0);
	ck_assert_int_eq(db_widen_column(db, "sales", "code",
					 (struct db_coltype){ DT_INT, 0, 0 }, &e), 0);
	ck_assert_int_eq(db_widen_column(db, "sales", "id",
					 (struct db_coltype){ DT_NUMERIC, 5, 2 }, &e), 0);
	ck_value(db, "SELECT price || ' ' || d || ' ' || code || ' ' || id FROM sales WHERE id = 1",
		 "3.9000 2022-11-03 00:00:00 ab 1.00");
	t = db_describe(db, "sales", &e);
	ck_assert_int_eq(t->columns[0].type.type, DT_NUMERIC);
	ck_assert_int_eq(t->columns[0].type.precision, 21);     /* 19 integer digits + 2 */
	ck_assert_int_eq(t->columns[1].type.precision, 20);
	ck_assert_int_eq(t->columns[2].type.type, DT_TIMESTAMP);
	ck_assert_int_eq(t->columns[4].type.type, DT_TEXT);
	ck_assert_int_eq(t->columns[4].type.precision, 0);
	ck_assert_str_eq(t->columns[5].name, "note");
	db_table_free(t);

	/* identifiers are quoted */
	struct db_column wc[] = { { "se\"lect", { DT_TEXT, 0, 0 }, false, false } };
	struct db_table wt = { "we\"ird", wc, 1 };
	ck_assert_int_eq(db_create_table(db, &wt, false, &e), 0);
	ck_assert_int_eq(db_create_table(db, &wt, true, &e), 0);
	ck_assert_int_eq(db_create_table(db, &wt, false, &e), -1);
	ck_assert_msg(strstr(e.msg, "already exists"), "%s", e.msg);
	const char *ic[] = { "se\"lect" };
	ck_assert_int_eq(db_create_index(db, "we\"ird", ic, 1, true, &e), 0);
	ck_assert_int_eq(db_table_exists(db, "we\"ird", &e), 1);
	ck_assert_int_eq(db_drop_table(db, "we\"ird", false, &e), 0);
	db_close(db);
}
END_TEST

START_TEST(ledger_commits_with_the_data)
{
	struct db *db = pg_open();
	struct err e;
	db_drop_table(db, "_sluice_ledger", true, NULL);
	ck_ledger_commits(db, "run:5:step:load", 5, "{\"rows\": 3}");
	struct db_ledger_entry got;
	ck_assert_int_eq(db_ledger_put(db, "run:5:step:load", "store-b", 6, "again", &e), 0);
	ck_value(db, "SELECT run_id || ' ' || info || ' ' || store_id FROM _sluice_ledger",
		 "6 again store-b");
	ck_assert_int_eq(db_ledger_delete(db, "run:5:step:load", &e), 0);
	ck_assert_int_eq(db_ledger_get(db, "run:5:step:load", &got, &e), 0);
	ck_ledger_owners(db, "CREATE TABLE _sluice_ledger (key text PRIMARY KEY, run_id "
			 "bigint NOT NULL, committed_at timestamp NOT NULL, info text)");
	db_drop_table(db, "_sluice_ledger", true, NULL);
	db_close(db);
}
END_TEST

struct racer {
	pthread_barrier_t *start;
	int failures;
	char error[512];
};

static void *race_ledger(void *arg)
{
	struct racer *r = arg;
	struct db *db = pg_open();
	struct err e;
	for (int round = 0; round < 20; round++) {
		pthread_barrier_wait(r->start);
		if (db_ledger_ensure(db, &e) < 0) {
			r->failures++;
			snprintf(r->error, sizeof r->error, "%s", err_text(&e));
		}
		pthread_barrier_wait(r->start);
		/* one of the two drops it for the next round */
		db_drop_table(db, "_sluice_ledger", true, NULL);
		pthread_barrier_wait(r->start);
	}
	db_close(db);
	return NULL;
}

/* Parallel steps of a fresh flow each make sure the ledger exists; two
 * sessions creating it at once must both succeed. */
START_TEST(ledger_creation_races_are_harmless)
{
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 3);
	struct racer r[3] = { { &start, 0, "" }, { &start, 0, "" }, { &start, 0, "" } };
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, race_ledger, &r[i]);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(r[i].failures == 0, "racer %d failed %d times: %s",
			      i, r[i].failures, r[i].error);
}
END_TEST

START_TEST(passwords_stay_out_of_errors_and_labels)
{
	struct err e;
	struct db_options opt = { .password = "hunter2-secret" };
	/* the test server trusts local users, so the password is accepted and unused */
	struct db *db = pg_open_opt(&opt);
	ck_assert_int_eq(db_exec(db, "SELECT 'hunter2-secret'::int", NULL, 0, NULL, &e), -1);
	ck_assert_msg(!strstr(e.msg, "hunter2-secret"), "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "****"), "%s", e.msg);
	ck_assert_msg(!strstr(db_label(db), "hunter2"), "%s", db_label(db));
	db_close(db);
	/* a password in the URL is masked in the label and in connect errors */
	char *url = xasprintf("postgresql://sluice:pw-in-url-123@127.0.0.1:1/nosuch");
	ck_assert_ptr_null(db_open(url, NULL, &e));
	ck_assert_msg(!strstr(err_text(&e), "pw-in-url-123"), "%s", err_text(&e));
	ck_assert_msg(strstr(err_text(&e), "cannot open"), "%s", err_text(&e));
	free(url);
}
END_TEST

/* A connection the server ended (a restart, as its clients see it) is
 * known dead without a statement failing on it, at once; one in a
 * transaction is not probed; db_replace gives it a new connection while
 * every pointer to it stays good. */
START_TEST(a_connection_the_server_ended_is_known_dead_and_replaced)
{
	struct err e = { 0 };
	char *info = test_pg_database("sluice_db_alive", &e);
	ck_assert_msg(info != NULL, "%s", err_text(&e));
	struct db *db = db_open(info, NULL, &e), *tx = db_open(info, NULL, &e);
	ck_assert_msg(db && tx, "%s", err_text(&e));
	ck_assert(db_alive(db, false) && db_alive(db, true));
	ck_assert_int_eq(db_begin(tx, &e), 0);
	test_pg_cut(info, false);
	ck_assert(!db_alive(db, false));
	ck_assert(db_alive(tx, false));            /* its next statement says */
	ck_assert_int_lt(db_exec(tx, "SELECT 1", NULL, 0, NULL, &e), 0);
	db_rollback(tx);
	ck_assert(!db_alive(tx, false));
	struct db *fresh = db_open(info, NULL, &e);
	ck_assert_msg(fresh != NULL, "%s", err_text(&e));
	db_replace(db, fresh);
	int64_t one = 0;
	ck_assert_int_eq(db_query_int(db, "SELECT 1", NULL, 0, &one, &e), 1);
	ck_assert(db_alive(db, true));
	db_close(db);
	db_close(tx);
	free(info);
}
END_TEST

/* A tablespace on a 1 MiB tmpfs fills: PostgreSQL says 53100 (disk_full),
 * and db/ reports ERR_IO naming the connection, as it does SQLite's FULL,
 * so that an engine whose control store is on PostgreSQL stops as it does
 * on SQLite.  Mounting needs root (CI runs as root); without it the case
 * says SKIP and passes. */
START_TEST(a_full_disk_is_an_io_error)
{
	struct err e;
	struct db *db = pg_open();
	char mnt[64];
	if (!test_pg_tiny_tablespace(db, "sluice_tiny", 1, mnt)) {
		db_close(db);
		return;
	}
	test_pg_tiny_fill(db, "sluice_tiny", "filler", &e);
	ck_assert_msg(e.code == ERR_IO, "code %d: %s", e.code, err_text(&e));
	ck_assert_msg(strstr(e.msg, db_label(db)) && strstr(e.msg, "No space left on device"),
		      "%s", err_text(&e));
	/* the connection is still good; nothing of the insert stayed */
	int64_t n = -1;
	ck_assert_int_eq(db_query_int(db, "SELECT count(*) FROM filler", NULL, 0, &n, &e), 1);
	ck_assert_int_eq(n % 20000, 0);
	ck_assert_msg(db_exec(db, "DROP TABLE filler", NULL, 0, NULL, &e) == 0, "%s",
		      err_text(&e));
	ck_assert_msg(db_exec(db, "DROP TABLESPACE sluice_tiny", NULL, 0, NULL, &e) == 0, "%s",
		      err_text(&e));
	db_close(db);
	test_pg_tiny_unmount(mnt);
}
END_TEST

static Suite *db_pg_suite(void)
{
	Suite *s = suite_create("db-pg");
	TCase *tc = tcase_create("pg");
	tcase_add_unchecked_fixture(tc, suite_setup, NULL);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, statements_parameters_and_errors);
	tcase_add_test(tc, transactions_and_failed_commits);
	tcase_add_test(tc, single_row_streaming_of_a_large_result);
	tcase_add_test(tc, copy_in_and_out_with_awkward_values);
	tcase_add_test(tc, copy_errors_name_row_and_column_and_write_nothing);
	tcase_add_test(tc, sqlite_to_pg_to_sqlite_is_lossless);
	tcase_add_test(tc, pg_to_sqlite_to_pg_is_lossless);
	tcase_add_test(tc, pg_to_pg_copy_query_moves_every_row);
	tcase_add_test(tc, read_only_sessions_refuse_writes);
	tcase_add_test(tc, cancel_stops_a_long_query_from_another_thread);
	tcase_add_test(tc, ddl_describe_alter_rename_drop_in_transactions);
	tcase_add_test(tc, ledger_commits_with_the_data);
	tcase_add_test(tc, ledger_creation_races_are_harmless);
	tcase_add_test(tc, passwords_stay_out_of_errors_and_labels);
	tcase_add_test(tc, a_connection_the_server_ended_is_known_dead_and_replaced);
	tcase_add_test(tc, a_full_disk_is_an_io_error);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(db_pg_suite)
