/*
 * test_db.c - the db module on SQLite: statements, cursors, transactions,
 * the type map and its canonical values, writers, DDL, read-only, cancel
 * and the ledger.  Runs without a server, on real database files.
 */
#include "db_testutil.h"

static char *dir;
static char *url;

static void setup(void)
{
	dir = test_mkdtemp();
	url = xasprintf("sqlite:%s/data.db", dir);
}

static void teardown(void)
{
	free(url);
	url = NULL;
	test_rmdir(dir);
	dir = NULL;
}

static struct db *open_rw(void)
{
	struct err e;
	struct db_options opt = { .label = "test" };
	struct db *db = db_open(url, &opt, &e);
	ck_assert_msg(db != NULL, "open: %s", err_text(&e));
	return db;
}

START_TEST(open_file_in_wal_with_foreign_keys)
{
	struct db *db = open_rw();
	ck_assert_int_eq(db_kind(db), DB_SQLITE);
	ck_assert_str_eq(db_label(db), "test");
	ck_value(db, "PRAGMA journal_mode", "wal");
	ck_value(db, "PRAGMA foreign_keys", "1");
	exec_ok(db, "CREATE TABLE p (id integer PRIMARY KEY);"
		"CREATE TABLE c (pid integer REFERENCES p(id));");
	struct err e;
	ck_assert_int_eq(db_exec(db, "INSERT INTO c VALUES (7)", NULL, 0, NULL, &e), -1);
	ck_assert_int_eq(e.code, ERR_DB);
	ck_assert_msg(strstr(e.msg, "FOREIGN KEY"), "%s", e.msg);
	db_close(db);
}
END_TEST

START_TEST(open_refuses_bad_urls_and_files)
{
	struct err e;
	ck_assert_ptr_null(db_open("mysql://x", NULL, &e));
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_msg(strstr(e.msg, "mysql://x"), "%s", e.msg);

	char *missing = xasprintf("sqlite:%s/none/x.db", dir);
	ck_assert_ptr_null(db_open(missing, NULL, &e));
	ck_assert_msg(strstr(e.msg, "cannot open"), "%s", e.msg);
	free(missing);

	test_write_file(dir, "junk.db", "this is not a database, just some text that "
			"goes on long enough to fill a header page of sqlite .........");
	char *junk = xasprintf("sqlite:%s/junk.db", dir);
	ck_assert_ptr_null(db_open(junk, NULL, &e));
	ck_assert_int_eq(e.code, ERR_DB);
	free(junk);
}
END_TEST

START_TEST(exec_binds_dollar_parameters)
{
	struct db *db = open_rw();
	struct err e;
	exec_ok(db, "CREATE TABLE t (id integer, name text, note text)");
	const char *p1[] = { "1", "alpha", NULL };
	const char *p2[] = { "2", "", "it's" };
	int64_t n = -1;
	ck_assert_int_eq(db_exec(db, "INSERT INTO t VALUES ($1, $2, $3)", p1, 3, &n, &e), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(db_exec(db, "INSERT INTO t VALUES ($1, $2, $3)", p2, 3, NULL, &e), 0);
	/* the same parameter twice, out of order */
	const char *p3[] = { "zz", "3" };
	ck_assert_int_eq(db_exec(db, "INSERT INTO t VALUES ($2, $1, $1 || $2)", p3, 2, NULL, &e), 0);
	ck_value(db, "SELECT note FROM t WHERE id = 3", "zz3");
	/* empty string and NULL stay apart */
	ck_value(db, "SELECT count(*) FROM t WHERE name = ''", "1");
	ck_value(db, "SELECT count(*) FROM t WHERE note IS NULL", "1");
	/* numbers bound as text compare as numbers */
	const char *p4[] = { "2" };
	int64_t v;
	ck_assert_int_eq(db_query_int(db, "SELECT count(*) FROM t WHERE id >= $1", p4, 1, &v, &e), 1);
	ck_assert_int_eq(v, 2);
	const char *p5[] = { "10" };
	ck_assert_int_eq(db_query_int(db, "SELECT count(*) FROM t WHERE $1 > 9", p5, 1, &v, &e), 1);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(db_exec(db, "UPDATE t SET note = 'x'", NULL, 0, &n, &e), 0);
	ck_assert_int_eq(n, 3);
	/* too few parameters */
	ck_assert_int_eq(db_exec(db, "SELECT $2", p4, 1, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "$2"), "%s", e.msg);
	/* a syntax error points into the statement */
	ck_assert_int_eq(db_exec(db, "SELECT * FROM t WHERE id = = 1", NULL, 0, NULL, &e), -1);
	ck_assert_int_eq(e.code, ERR_DB);
	ck_assert_msg(strstr(e.msg, "syntax error"), "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "line 1"), "%s", e.msg);
	db_close(db);
}
END_TEST

START_TEST(script_runs_every_statement_and_names_the_failing_one)
{
	struct db *db = open_rw();
	struct err e;
	exec_ok(db, "-- a SQL file\nCREATE TABLE a (x integer);\n"
		"INSERT INTO a VALUES (1);\n/* two */ INSERT INTO a VALUES (2);\n\n");
	ck_value(db, "SELECT sum(x) FROM a", "3");
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO a VALUES (3);\n"
					"INSERT INTO nosuch VALUES (1);\n", &e), -1);
	ck_assert_msg(strstr(e.msg, "no such table: nosuch"), "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "line 2"), "%s", e.msg);
	db_close(db);
}
END_TEST

START_TEST(cursor_streams_rows_with_names_and_types)
{
	struct db *db = open_rw();
	struct err e;
	exec_ok(db, "CREATE TABLE t (id integer, price numeric(10,2), ok boolean, d date);"
		"INSERT INTO t VALUES (1, 3.9, 1, '2022-11-03'), (2, 12, 0, NULL),"
		"(3, NULL, NULL, '2023-01-31');");
	const char *p[] = { "0" };
	struct db_cursor *c = db_query(db, "SELECT id, price, ok, d, id * 2 AS twice, "
				       "1.5 AS half FROM t WHERE id > $1 ORDER BY id", p, 1, &e);
	ck_assert_msg(c != NULL, "%s", err_text(&e));
	ck_assert_int_eq(db_cursor_ncols(c), 6);
	ck_assert_str_eq(db_cursor_name(c, 1), "price");
	ck_assert_str_eq(db_cursor_name(c, 4), "twice");
	ck_assert_int_eq(db_cursor_type(c, 1).type, DT_NUMERIC);
	ck_assert_int_eq(db_cursor_type(c, 1).scale, 2);
	ck_assert_int_eq(db_cursor_type(c, 2).type, DT_BOOL);
	ck_assert_int_eq(db_cursor_type(c, 3).type, DT_DATE);
	ck_assert_int_eq(db_cursor_next(c, &e), 1);
	ck_assert_str_eq(db_cursor_text(c, 1), "3.90");
	ck_assert_str_eq(db_cursor_text(c, 2), "t");
	ck_assert_str_eq(db_cursor_text(c, 3), "2022-11-03");
	ck_assert_str_eq(db_cursor_text(c, 4), "2");
	ck_assert_str_eq(db_cursor_text(c, 5), "1.5");
	ck_assert_uint_eq(db_cursor_len(c, 1), 4);
	/* expression columns take the type of their first value */
	ck_assert_int_eq(db_cursor_type(c, 4).type, DT_INT);
	ck_assert_int_eq(db_cursor_type(c, 5).type, DT_FLOAT);
	ck_assert_int_eq(db_cursor_next(c, &e), 1);
	ck_assert_str_eq(db_cursor_text(c, 1), "12.00");
	ck_assert_str_eq(db_cursor_text(c, 2), "f");
	ck_assert_ptr_null(db_cursor_text(c, 3));
	ck_assert_int_eq(db_cursor_next(c, &e), 1);
	ck_assert_ptr_null(db_cursor_text(c, 1));
	ck_assert_ptr_null(db_cursor_text(c, 2));
	ck_assert_int_eq(db_cursor_next(c, &e), 0);
	ck_assert_int_eq(db_cursor_next(c, &e), 0);
	db_cursor_close(c);

	/* one value, and no row */
	char *v;
	ck_assert_int_eq(db_query_value(db, "SELECT d FROM t WHERE id = 2", NULL, 0, &v, &e), 1);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(db_query_value(db, "SELECT d FROM t WHERE id = 9", NULL, 0, &v, &e), 0);
	int64_t n;
	ck_assert_int_eq(db_query_int(db, "SELECT max(id) FROM t", NULL, 0, &n, &e), 1);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(db_query_int(db, "SELECT 'abc'", NULL, 0, &n, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	db_close(db);
}
END_TEST

START_TEST(transactions_commit_and_roll_back)
{
	struct db *db = open_rw();
	struct err e;
	exec_ok(db, "CREATE TABLE t (x integer)");
	ck_assert(!db_in_transaction(db));
	ck_assert_int_eq(db_begin(db, &e), 0);
	ck_assert(db_in_transaction(db));
	ck_assert_int_eq(db_begin(db, &e), -1);
	exec_ok(db, "INSERT INTO t VALUES (1)");
	db_rollback(db);
	ck_assert(!db_in_transaction(db));
	ck_value(db, "SELECT count(*) FROM t", "0");
	ck_assert_int_eq(db_begin(db, &e), 0);
	exec_ok(db, "INSERT INTO t VALUES (2)");
	ck_assert_int_eq(db_commit(db, &e), 0);
	ck_assert(!db_in_transaction(db));
	ck_assert_int_eq(db_commit(db, &e), -1);
	db_rollback(db);    /* harmless outside a transaction */

	/* a second connection sees the commit, and waits for a writer */
	struct db *other = open_rw();
	ck_value(other, "SELECT sum(x) FROM t", "2");
	ck_assert_int_eq(db_begin(db, &e), 0);
	struct db_options opt = { .busy_timeout_ms = 100 };
	struct db *third = db_open(url, &opt, &e);
	ck_assert_int_eq(db_begin(third, &e), -1);
	ck_assert_msg(strstr(e.msg, "locked"), "%s", e.msg);
	db_rollback(db);
	ck_assert_int_eq(db_begin(third, &e), 0);
	db_rollback(third);
	db_close(third);
	db_close(other);
	db_close(db);
}
END_TEST


/* ---- waiting for the write lock ------------------------------------------------------ */
struct waits {
	int told, over, gave_up;
	usec_t waited;
	char what[256];
};

static void note_wait(void *arg, const struct db_wait *w)
{
	struct waits *ws = arg;
	ws->told++;
	ws->over += w->over;
	ws->gave_up += w->gave_up;
	ws->waited = w->waited;
	snprintf(ws->what, sizeof ws->what, "%s", w->what);
}

static void release_later(void *db)
{
	db_rollback(db);    /* the lock goes */
}

/* A writer waits for the lock another connection holds (past a second,
 * saying so), gets it when it goes, gives up after its limit naming the
 * lock, and stops waiting at a cancel. */
START_TEST(a_writer_waits_for_the_lock_and_says_so)
{
	struct err e;
	struct db *holder = open_rw();
	exec_ok(holder, "CREATE TABLE t (x int)");
	struct waits ws = { 0 };
	struct db_options opt = { .label = "wh", .busy_timeout_ms = 20000,
				  .on_wait = note_wait, .on_wait_arg = &ws };
	struct db *waiter = db_open(url, &opt, &e);
	ck_assert_msg(waiter != NULL, "%s", err_text(&e));

	ck_assert_int_eq(db_begin(holder, &e), 0);
	struct test_later l;
	test_later_start(&l, 1500, release_later, holder);
	usec_t t0 = clock_monotonic_us();
	ck_assert_msg(db_begin(waiter, &e) == 0, "%s", err_text(&e));
	test_later_join(&l);
	ck_assert(clock_monotonic_us() - t0 >= 1400 * USEC_PER_MSEC);
	ck_assert_int_eq(ws.told, 2);             /* after a second, and the end */
	ck_assert_int_eq(ws.over, 1);
	ck_assert_int_eq(ws.gave_up, 0);
	ck_assert(ws.waited >= 1400 * USEC_PER_MSEC);
	char *what = xasprintf("the write lock on %s/data.db", dir);
	ck_assert_str_eq(ws.what, what);
	exec_ok(waiter, "INSERT INTO t VALUES (1)");
	ck_assert_int_eq(db_commit(waiter, &e), 0);
	db_close(waiter);

	/* a limit: it gives up, naming the lock */
	opt.busy_timeout_ms = 300;
	waiter = db_open(url, &opt, &e);
	ck_assert_int_eq(db_begin(holder, &e), 0);
	ck_assert_int_eq(db_begin(waiter, &e), -1);
	ck_assert_int_eq(e.code, ERR_TIMEOUT);
	ck_assert_msg(strstr(e.msg, "gave up waiting for the write lock on ") &&
		      strstr(e.msg, "after 300ms"), "%s", e.msg);

	/* a cancel ends the wait at once */
	opt.busy_timeout_ms = 20000;
	db_close(waiter);
	waiter = db_open(url, &opt, &e);
	test_later_start(&l, 300, cancel_db, waiter);
	t0 = clock_monotonic_us();
	ck_assert_int_eq(db_begin(waiter, &e), -1);
	test_later_join(&l);
	ck_assert_int_eq(e.code, ERR_CANCELLED);
	ck_assert(clock_monotonic_us() - t0 < 2 * USEC_PER_SEC);
	db_rollback(holder);
	free(what);
	db_close(waiter);
	db_close(holder);
}
END_TEST

START_TEST(identifiers_are_quoted_safely)
{
	struct db *db = open_rw();
	struct err e;
	char *q = db_quote_ident(db, "we\"ird; DROP TABLE x; --");
	ck_assert_str_eq(q, "\"we\"\"ird; DROP TABLE x; --\"");
	free(q);
	struct db_column cols[] = {
		{ "sel\"ect", { DT_TEXT, 0, 0 }, false, false },
		{ "order", { DT_INT, 0, 0 }, true, true },
	};
	struct db_table def = { "my \"table\"", cols, 2 };
	ck_assert_msg(db_create_table(db, &def, false, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(db_table_exists(db, "my \"table\"", &e), 1);
	ck_assert_int_eq(db_table_exists(db, "my table", &e), 0);
	const char *names[] = { "order", "sel\"ect" };
	struct db_writer *w = db_writer_open(db, "my \"table\"", names, 2, &e);
	ck_assert_msg(w != NULL, "%s", err_text(&e));
	const char *row[] = { "1", "it's \"quoted\"" };
	ck_assert_int_eq(db_writer_row(w, row, &e), 0);
	int64_t rows;
	ck_assert_int_eq(db_writer_close(w, &rows, &e), 0);
	ck_assert_int_eq(rows, 1);
	ck_value(db, "SELECT \"sel\"\"ect\" FROM \"my \"\"table\"\"\"", "it's \"quoted\"");
	db_close(db);
}
END_TEST

START_TEST(introspection_reports_tables_columns_and_keys)
{
	struct db *db = open_rw();
	struct err e;
	exec_ok(db, "CREATE TABLE zeta (a text);"
		"CREATE TABLE alpha (id integer NOT NULL, code varchar(8), price numeric(10,2),"
		" big numeric(20,10), f double precision, ok boolean, d date, t time,"
		" ts timestamp, doc json_text, raw, PRIMARY KEY (id, code));"
		"CREATE INDEX alpha_ok ON alpha (ok);"
		"INSERT INTO zeta VALUES ('1'), ('2'), ('3');");
	struct vec names = VEC_INIT;
	ck_assert_int_eq(db_list_tables(db, &names, &e), 0);
	ck_assert_uint_eq(names.len, 2);
	ck_assert_str_eq(names.items[0], "alpha");
	ck_assert_str_eq(names.items[1], "zeta");
	vec_free_all(&names, free);

	struct db_table *t = db_describe(db, "alpha", &e);
	ck_assert_msg(t != NULL, "%s", err_text(&e));
	ck_assert_uint_eq(t->ncolumns, 11);
	ck_assert_str_eq(t->columns[0].name, "id");
	ck_assert_int_eq(t->columns[0].type.type, DT_INT);
	ck_assert(t->columns[0].not_null && t->columns[0].primary_key);
	ck_assert(t->columns[1].primary_key);
	ck_assert_int_eq(t->columns[1].type.precision, 8);
	ck_assert_int_eq(t->columns[2].type.type, DT_NUMERIC);
	ck_assert_int_eq(t->columns[2].type.precision, 10);
	ck_assert_int_eq(t->columns[2].type.scale, 2);
	ck_assert_int_eq(t->columns[3].type.precision, 20);
	ck_assert_int_eq(t->columns[3].type.scale, 10);
	ck_assert(!t->columns[3].not_null && !t->columns[3].primary_key);
	ck_assert_int_eq(t->columns[4].type.type, DT_FLOAT);
	ck_assert_int_eq(t->columns[5].type.type, DT_BOOL);
	ck_assert_int_eq(t->columns[6].type.type, DT_DATE);
	ck_assert_int_eq(t->columns[7].type.type, DT_TIME);
	ck_assert_int_eq(t->columns[8].type.type, DT_TIMESTAMP);
	ck_assert_int_eq(t->columns[9].type.type, DT_JSON);
	ck_assert_int_eq(t->columns[10].type.type, DT_TEXT);   /* no declared type */
	db_table_free(t);

	ck_assert_ptr_null(db_describe(db, "nosuch", &e));
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_msg(strstr(e.msg, "nosuch"), "%s", e.msg);
	int64_t n = -1;
	ck_assert_int_eq(db_row_count(db, "zeta", &n, &e), 0);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(db_row_count(db, "nosuch", &n, &e), -1);
	ck_assert_int_eq(db_table_exists(db, "ALPHA", &e), 1);   /* SQLite ignores case */
	db_close(db);
}
END_TEST

/* Every type, with values at its edges, in and out unchanged. */
static struct db_table *typed_def(void)
{
	static struct db_table def = { "typed", typed_cols, ARRAY_LEN(typed_cols) };
	return &def;
}

static const char *const edge_rows[][10] = { EDGE_ROWS };

static void check_edge_rows(struct db *db)
{
	struct err e;
	struct db_cursor *c = db_query(db, "SELECT i, n, big, f, b, d, tm, ts, s, j "
				       "FROM typed ORDER BY rowid", NULL, 0, &e);
	ck_assert_msg(c != NULL, "%s", err_text(&e));
	for (size_t r = 0; r < ARRAY_LEN(edge_rows); r++)
		ck_typed_row(c, edge_rows[r], "typed", r);
	ck_assert_int_eq(db_cursor_next(c, &e), 0);
	db_cursor_close(c);
}

START_TEST(types_round_trip_through_sqlite_storage)
{
	struct db *db = open_rw();
	struct err e;
	ck_assert_int_eq(db_create_table(db, typed_def(), false, &e), 0);
	ck_assert_int_eq(db_begin(db, &e), 0);
	struct db_writer *w = db_writer_open(db, "typed", type_cols, 10, &e);
	ck_assert_msg(w != NULL, "%s", err_text(&e));
	for (size_t r = 0; r < ARRAY_LEN(edge_rows); r++)
		ck_assert_msg(db_writer_row(w, edge_rows[r], &e) == 0, "%s", err_text(&e));
	int64_t rows;
	ck_assert_int_eq(db_writer_close(w, &rows, &e), 0);
	ck_assert_int_eq(rows, (int64_t)ARRAY_LEN(edge_rows));
	ck_assert_int_eq(db_commit(db, &e), 0);
	check_edge_rows(db);

	/* declared types come back as written */
	struct db_table *t = db_describe(db, "typed", &e);
	for (size_t i = 0; i < t->ncolumns; i++) {
		struct db_coltype a = t->columns[i].type, b = typed_def()->columns[i].type;
		ck_assert_msg(a.type == b.type && a.precision == b.precision && a.scale == b.scale,
			      "column %s", t->columns[i].name);
	}
	db_table_free(t);

	/* storage: narrow numerics are numbers, wide ones exact text, booleans 1/0 */
	ck_value(db, "SELECT typeof(n) || typeof(big) || typeof(b) FROM typed LIMIT 1",
		 "realtextinteger");
	ck_value(db, "SELECT count(*) FROM typed WHERE n > 1", "2");
	ck_value(db, "SELECT count(*) FROM typed WHERE b", "2");
	ck_value(db, "SELECT sum(n) FROM typed", "12345682.76");     /* SQL arithmetic works */
	ck_value(db, "SELECT big * 2 FROM typed LIMIT 1", "2469135780.2469134");

	/* a SQLite-to-SQLite copy keeps every value */
	struct db_table copy = *typed_def();
	copy.name = "typed_copy";
	ck_assert_int_eq(db_create_table(db, &copy, false, &e), 0);
	w = db_writer_open(db, "typed_copy", type_cols, 10, &e);
	ck_assert_int_eq(db_copy_query(db, "SELECT * FROM typed ORDER BY rowid", w, &rows, &e), 0);
	ck_assert_int_eq(rows, (int64_t)ARRAY_LEN(edge_rows));
	ck_assert_int_eq(db_writer_close(w, NULL, &e), 0);
	exec_ok(db, "DELETE FROM typed; INSERT INTO typed SELECT * FROM typed_copy");
	check_edge_rows(db);
	db_close(db);
}
END_TEST

START_TEST(writer_normalizes_values_like_postgresql)
{
	struct db *db = open_rw();
	struct err e;
	ck_assert_int_eq(db_create_table(db, typed_def(), false, &e), 0);
	struct db_writer *w = db_writer_open(db, "typed", type_cols, 10, &e);
	const char *row[] = { "+17", "1e3", "3.9", "1E-7", "TRUE", "2022-11-03",
			      "14:20", "2022-11-03T15:20:49.500+01:00", "x", "{}" };
	ck_assert_msg(db_writer_row(w, row, &e) == 0, "%s", err_text(&e));
	const char *row2[] = { "0", "2.345", "1.23456789015", "NaN", "no", "2022-11-03",
			       "14:20:49.1200", "2022-11-03 14:20:49Z", "y", "[]" };
	ck_assert_msg(db_writer_row(w, row2, &e) == 0, "%s", err_text(&e));
	ck_assert_int_eq(db_writer_close(w, NULL, &e), 0);
	ck_value(db, "SELECT i || ' ' || b FROM typed WHERE s = 'x'", "17 1");
	ck_value(db, "SELECT n FROM typed WHERE s = 'x'", "1000.00");
	ck_value(db, "SELECT big FROM typed WHERE s = 'x'", "3.9000000000");
	ck_value(db, "SELECT f FROM typed WHERE s = 'x'", "1e-07");
	ck_value(db, "SELECT tm FROM typed WHERE s = 'x'", "14:20:00");
	ck_value(db, "SELECT ts FROM typed WHERE s = 'x'", "2022-11-03 14:20:49.5");
	ck_value(db, "SELECT n FROM typed WHERE s = 'y'", "2.35");         /* half away from zero */
	ck_value(db, "SELECT big FROM typed WHERE s = 'y'", "1.2345678902");
	ck_value(db, "SELECT f FROM typed WHERE s = 'y'", "NaN");
	ck_value(db, "SELECT b FROM typed WHERE s = 'y'", "f");
	ck_value(db, "SELECT tm FROM typed WHERE s = 'y'", "14:20:49.12");
	ck_value(db, "SELECT ts FROM typed WHERE s = 'y'", "2022-11-03 14:20:49");
	db_close(db);
}
END_TEST

START_TEST(writer_errors_name_row_and_column)
{
	struct db *db = open_rw();
	struct err e;
	ck_assert_int_eq(db_create_table(db, typed_def(), false, &e), 0);
	exec_ok(db, "CREATE TABLE orders (id integer PRIMARY KEY, unit_price numeric(10,2) NOT NULL)");
	const char *cols[] = { "id", "unit_price" };
	ck_assert_int_eq(db_begin(db, &e), 0);
	struct db_writer *w = db_writer_open(db, "orders", cols, 2, &e);
	char id[16];
	for (int i = 1; i <= 16; i++) {
		snprintf(id, sizeof id, "%d", i);
		const char *row[] = { id, "9.99" };
		ck_assert_int_eq(db_writer_row(w, row, &e), 0);
	}
	const char *bad[] = { "17", "ten" };
	ck_assert_int_eq(db_writer_row(w, bad, &e), -1);
	ck_assert_str_eq(e.where, "row 17, column unit_price");
	ck_assert_msg(strstr(e.msg, "\"ten\""), "%s", e.msg);
	db_writer_abort(w);
	db_rollback(db);
	ck_value(db, "SELECT count(*) FROM orders", "0");

	w = db_writer_open(db, "orders", cols, 2, &e);
	const char *big[] = { "1", "123456789.00" };
	ck_assert_int_eq(db_writer_row(w, big, &e), -1);
	ck_assert_str_eq(e.where, "row 1, column unit_price");
	ck_assert_msg(strstr(e.msg, "overflow"), "%s", e.msg);
	db_writer_abort(w);

	w = db_writer_open(db, "orders", cols, 2, &e);
	const char *ok[] = { "1", "1" }, *dup[] = { "1", "2" }, *null[] = { "2", NULL };
	ck_assert_int_eq(db_writer_row(w, ok, &e), 0);
	ck_assert_int_eq(db_writer_row(w, dup, &e), -1);
	ck_assert_str_eq(e.where, "row 2");
	ck_assert_msg(strstr(e.msg, "UNIQUE"), "%s", e.msg);
	db_writer_abort(w);
	w = db_writer_open(db, "orders", cols, 2, &e);
	ck_assert_int_eq(db_writer_row(w, null, &e), -1);
	ck_assert_msg(strstr(e.msg, "NOT NULL constraint failed: orders.unit_price"), "%s", e.msg);
	db_writer_abort(w);

	const char *nocol[] = { "id", "price" };
	ck_assert_ptr_null(db_writer_open(db, "orders", nocol, 2, &e));
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_msg(strstr(e.msg, "no column price"), "%s", e.msg);
	ck_assert_ptr_null(db_writer_open(db, "nosuch", nocol, 2, &e));
	ck_assert_int_eq(e.code, ERR_NOTFOUND);

	const char *tcols[] = { "b", "d", "i", "s" };
	w = db_writer_open(db, "typed", tcols, 4, &e);
	const char *badbool[] = { "maybe", NULL, NULL, NULL };
	ck_assert_int_eq(db_writer_row(w, badbool, &e), -1);
	ck_assert_str_eq(e.where, "row 1, column b");
	db_writer_abort(w);
	w = db_writer_open(db, "typed", tcols, 4, &e);
	const char *baddate[] = { NULL, "2023-02-30", NULL, NULL };
	ck_assert_int_eq(db_writer_row(w, baddate, &e), -1);
	ck_assert_str_eq(e.where, "row 1, column d");
	db_writer_abort(w);
	w = db_writer_open(db, "typed", tcols, 4, &e);
	const char *badint[] = { NULL, NULL, "9223372036854775808", NULL };
	ck_assert_int_eq(db_writer_row(w, badint, &e), -1);
	ck_assert_str_eq(e.where, "row 1, column i");
	db_writer_abort(w);
	db_close(db);
}
END_TEST

/* A batched writer inserts many rows per statement, on its own thread:
 * values come out as an unbatched writer stores them (across batches and
 * hand-overs, with text large enough to send rows early), the writer owns
 * the connection until it is closed, a bad value is still refused at its
 * row, and what only the database finds is reported later, naming its
 * row. */
START_TEST(batched_writer_keeps_values_and_names_rows)
{
	struct db *db = open_rw();
	struct err e;
	ck_assert_int_eq(db_create_table(db, typed_def(), false, &e), 0);
	ck_assert_int_eq(db_begin(db, &e), 0);
	struct db_writer *w = db_writer_open(db, "typed", type_cols, 10, &e);
	db_writer_batch(w);
	for (int k = 0; k < 300; k++) {
		for (size_t r = 0; r < ARRAY_LEN(edge_rows); r++)
			ck_assert_msg(db_writer_row(w, edge_rows[r], &e) == 0, "%s", err_text(&e));
		if (k == 150) {
			ck_assert_int_eq(db_exec(db, "SELECT 1", NULL, 0, NULL, &e), -1);
			ck_assert_int_eq(e.code, ERR_INTERNAL);
		}
	}
	int64_t rows;
	ck_assert_int_eq(db_writer_close(w, &rows, &e), 0);
	ck_assert_int_eq(rows, 300 * (int64_t)ARRAY_LEN(edge_rows));
	ck_assert_int_eq(db_commit(db, &e), 0);
	/* the same values, and in order, as the unbatched writer's */
	struct db_writer *u = db_writer_open(db, "typed_one", type_cols, 10, &e);
	ck_assert_ptr_null(u);
	struct db_table one = *typed_def();
	one.name = "typed_one";
	ck_assert_int_eq(db_create_table(db, &one, false, &e), 0);
	u = db_writer_open(db, "typed_one", type_cols, 10, &e);
	for (int k = 0; k < 300; k++)
		for (size_t r = 0; r < ARRAY_LEN(edge_rows); r++)
			ck_assert_int_eq(db_writer_row(u, edge_rows[r], &e), 0);
	ck_assert_int_eq(db_writer_close(u, NULL, &e), 0);
	ck_value(db, "SELECT count(*) FROM typed a JOIN typed_one b ON a.rowid = b.rowid "
		 "WHERE a.i IS b.i AND a.n IS b.n AND a.big IS b.big AND a.f IS b.f AND "
		 "a.b IS b.b AND a.d IS b.d AND a.tm IS b.tm AND a.ts IS b.ts AND a.s IS b.s "
		 "AND a.j IS b.j AND typeof(a.n) = typeof(b.n)", "1500");
	exec_ok(db, "DELETE FROM typed");

	/* values beyond the held-text limit: a batch goes early, nothing lost */
	size_t big = 700 * 1024;
	char *text = xmalloc(big + 1);
	memset(text, 'x', big);
	text[big] = '\0';
	const char *tcols[] = { "i", "s" };
	w = db_writer_open(db, "typed", tcols, 2, &e);
	db_writer_batch(w);
	char num[16];
	for (int k = 1; k <= 70; k++) {
		snprintf(num, sizeof num, "%d", k);
		text[0] = (char)('a' + k % 26);
		const char *row[] = { num, k % 10 == 0 ? text : "small" };
		ck_assert_int_eq(db_writer_row(w, row, &e), 0);
	}
	ck_assert_int_eq(db_writer_close(w, NULL, &e), 0);
	ck_value(db, "SELECT count(*) || ' ' || sum(i) || ' ' || sum(length(s)) FROM typed",
		 "70 2485 5017915");
	ck_value(db, "SELECT substr(s, 1, 2) FROM typed WHERE i = 30", "ex");
	free(text);

	exec_ok(db, "CREATE TABLE orders (id integer PRIMARY KEY, unit_price numeric(10,2) NOT NULL)");
	const char *cols[] = { "id", "unit_price" };
	ck_assert_int_eq(db_begin(db, &e), 0);
	w = db_writer_open(db, "orders", cols, 2, &e);
	db_writer_batch(w);
	for (int i = 1; i <= 200; i++) {
		snprintf(num, sizeof num, "%d", i);
		const char *row[] = { num, "9.99" };
		ck_assert_int_eq(db_writer_row(w, row, &e), 0);
	}
	const char *bad[] = { "201", "ten" };
	ck_assert_int_eq(db_writer_row(w, bad, &e), -1);
	ck_assert_str_eq(e.where, "row 201, column unit_price");
	db_writer_abort(w);
	db_rollback(db);

	/* a duplicate key comes out when its rows have gone in: at the
	 * close, or at a later row when the thread had them */
	const int dup_at[] = { 101, 1100 };
	for (size_t k = 0; k < ARRAY_LEN(dup_at); k++) {
		ck_assert_int_eq(db_begin(db, &e), 0);
		w = db_writer_open(db, "orders", cols, 2, &e);
		db_writer_batch(w);
		int rc = 0, i;
		for (i = 1; i <= (k ? 3000 : 300) && rc == 0; i++) {
			snprintf(num, sizeof num, "%d", i == dup_at[k] ? 50 : i);
			const char *row[] = { num, "1" };
			rc = db_writer_row(w, row, &e);
		}
		if (rc == 0) {
			rc = db_writer_close(w, NULL, &e);
		} else {
			ck_assert_int_lt(i, 3000);
			db_writer_abort(w);
		}
		ck_assert_int_eq(rc, -1);
		char where[32];
		snprintf(where, sizeof where, "row %d", dup_at[k]);
		ck_assert_str_eq(e.where, where);
		ck_assert_msg(strstr(e.msg, "UNIQUE"), "%s", e.msg);
		db_rollback(db);
	}

	/* and a NULL where none may be, in the last few rows, at the close */
	ck_assert_int_eq(db_begin(db, &e), 0);
	w = db_writer_open(db, "orders", cols, 2, &e);
	db_writer_batch(w);
	for (int i = 1; i <= 10; i++) {
		snprintf(num, sizeof num, "%d", i);
		const char *row[] = { num, i == 7 ? NULL : "1" };
		ck_assert_int_eq(db_writer_row(w, row, &e), 0);
	}
	ck_assert_int_eq(db_writer_close(w, NULL, &e), -1);
	ck_assert_str_eq(e.where, "row 7");
	ck_assert_msg(strstr(e.msg, "NOT NULL constraint failed: orders.unit_price"), "%s", e.msg);
	db_rollback(db);
	ck_value(db, "SELECT count(*) FROM orders", "0");
	db_close(db);
}
END_TEST

START_TEST(copy_lines_are_parsed_on_sqlite)
{
	struct db *db = open_rw();
	struct err e;
	exec_ok(db, "CREATE TABLE t (a text, b integer, c text)");
	const char *cols[] = { "a", "b", "c" };
	struct db_writer *w = db_writer_open(db, "t", cols, 3, &e);
	const char line1[] = "tab\\there\t1\tback\\\\slash\\nnl\n";
	const char line2[] = "\\N\t2\t\n";
	const char line3[] = "\\\\N\t3\t\\x41\\101\n";
	ck_assert_int_eq(db_writer_copy_line(w, line1, strlen(line1), &e), 0);
	ck_assert_int_eq(db_writer_copy_line(w, line2, strlen(line2), &e), 0);
	ck_assert_int_eq(db_writer_copy_line(w, line3, strlen(line3), &e), 0);
	const char bad[] = "x\t4\n";
	ck_assert_int_eq(db_writer_copy_line(w, bad, strlen(bad), &e), -1);
	ck_assert_str_eq(e.where, "row 4");
	ck_assert_msg(strstr(e.msg, "expected 3 fields, found 2"), "%s", e.msg);
	db_writer_abort(w);
	ck_value(db, "SELECT a FROM t WHERE b = 1", "tab\there");
	ck_value(db, "SELECT c FROM t WHERE b = 1", "back\\slash\nnl");
	ck_value(db, "SELECT a IS NULL AND c = '' FROM t WHERE b = 2", "1");
	ck_value(db, "SELECT a || c FROM t WHERE b = 3", "\\NAA");
	db_close(db);
}
END_TEST

START_TEST(read_only_sessions_refuse_writes)
{
	struct db *db = open_rw();
	exec_ok(db, "CREATE TABLE t (x integer); INSERT INTO t VALUES (1);");
	db_close(db);
	struct err e;
	struct db_options ro = { .read_only = true, .label = "mon" };
	db = db_open(url, &ro, &e);
	ck_assert_msg(db != NULL, "%s", err_text(&e));
	ck_read_only(db, "t");
	db_close(db);

	char *missing = xasprintf("sqlite:%s/none.db", dir);
	ck_assert_ptr_null(db_open(missing, &ro, &e));
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	free(missing);
}
END_TEST

START_TEST(cancel_stops_a_long_statement)
{
	struct db *db = open_rw();
	struct err e;
	struct test_later cancel;
	test_later_start(&cancel, 200, cancel_db, db);
	int64_t n;
	usec_t t0 = clock_monotonic_us();
	int rc = db_query_int(db, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL "
			      "SELECT i + 1 FROM r) SELECT count(*) FROM r", NULL, 0, &n, &e);
	test_later_join(&cancel);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(e.code, ERR_CANCELLED);
	ck_assert(clock_monotonic_us() - t0 < 60 * USEC_PER_SEC);
	/* the connection is usable afterwards */
	ck_value(db, "SELECT 1", "1");
	db_close(db);
}
END_TEST

START_TEST(ddl_in_a_transaction_commits_or_vanishes)
{
	struct db *db = open_rw();
	struct err e;
	exec_ok(db, "CREATE TABLE sales (id integer); INSERT INTO sales VALUES (1);"
		"CREATE TABLE sales_backfill (id integer); INSERT INTO sales_backfill VALUES (1), (2);");
	/* a swap that fails half way leaves everything as it was */
	ck_assert_int_eq(db_begin(db, &e), 0);
	ck_assert_int_eq(db_rename_table(db, "sales", "sales_old", &e), 0);
	ck_assert_int_eq(db_rename_table(db, "sales_backfill", "sales", &e), 0);
	ck_assert_int_eq(db_drop_table(db, "no_such", false, &e), -1);
	ck_assert_msg(strstr(e.msg, "no_such"), "%s", e.msg);
	db_rollback(db);
	ck_value(db, "SELECT count(*) FROM sales", "1");
	ck_assert_int_eq(db_table_exists(db, "sales_old", &e), 0);
	/* and one that completes */
	ck_assert_int_eq(db_begin(db, &e), 0);
	ck_assert_int_eq(db_drop_table(db, "sales_old", true, &e), 0);
	ck_assert_int_eq(db_rename_table(db, "sales", "sales_old", &e), 0);
	ck_assert_int_eq(db_rename_table(db, "sales_backfill", "sales", &e), 0);
	ck_assert_int_eq(db_commit(db, &e), 0);
	ck_value(db, "SELECT count(*) FROM sales", "2");
	ck_value(db, "SELECT count(*) FROM sales_old", "1");

	struct db_column col = { "note", { DT_TEXT, 20, 0 }, false, false };
	ck_assert_int_eq(db_add_column(db, "sales", &col, &e), 0);
	ck_assert_int_eq(db_add_column(db, "sales", &col, &e), -1);
	ck_assert_msg(strstr(e.msg, "duplicate column"), "%s", e.msg);
	const char *ic[] = { "id", "note" };
	ck_assert_int_eq(db_create_index(db, "sales", ic, 2, true, &e), 0);
	ck_assert_int_eq(db_create_index(db, "sales", ic, 2, true, &e), 0);  /* idempotent */
	exec_ok(db, "UPDATE sales SET note = 'x'");
	ck_assert_int_eq(db_exec(db, "INSERT INTO sales VALUES (1, 'x')", NULL, 0, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "UNIQUE"), "%s", e.msg);
	db_close(db);
}
END_TEST

START_TEST(widening_keeps_values_and_reports_the_new_type)
{
	struct db *db = open_rw();
	struct err e;
	exec_ok(db, "CREATE TABLE w (\"id\" integer NOT NULL DEFAULT 0, "
		"price numeric(10,2) CHECK (price >= 0), d date, flag boolean, "
		"\"odd \"\"name\" varchar(4), qty integer, PRIMARY KEY (id));"
		"CREATE INDEX w_price ON w (price);"
		"INSERT INTO w VALUES (1, 3.9, '2022-11-03', 1, 'abcd', 9223372036854775807);");
	struct db_coltype num = { DT_NUMERIC, 12, 4 };
	ck_assert_msg(db_widen_column(db, "w", "price", num, &e) == 0, "%s", err_text(&e));
	ck_value(db, "SELECT price FROM w", "3.9000");
	struct db_coltype wide = { DT_NUMERIC, 25, 10 };
	ck_assert_int_eq(db_widen_column(db, "w", "price", wide, &e), 0);
	ck_value(db, "SELECT price FROM w", "3.9000000000");
	struct db_coltype ts = { DT_TIMESTAMP, 0, 0 };
	ck_assert_int_eq(db_widen_column(db, "w", "d", ts, &e), 0);
	ck_value(db, "SELECT d FROM w", "2022-11-03 00:00:00");
	struct db_coltype text = { DT_TEXT, 0, 0 };
	ck_assert_int_eq(db_widen_column(db, "w", "flag", text, &e), 0);
	ck_value(db, "SELECT flag FROM w", "true");
	struct db_coltype v10 = { DT_TEXT, 10, 0 };
	ck_assert_int_eq(db_widen_column(db, "w", "odd \"name", v10, &e), 0);
	struct db_coltype n = { DT_NUMERIC, 5, 0 };
	ck_assert_int_eq(db_widen_column(db, "w", "qty", n, &e), 0);
	ck_value(db, "SELECT qty FROM w", "9223372036854775807");
	/* the rowid cannot change type; a clear refusal, nothing touched */
	ck_assert_int_eq(db_widen_column(db, "w", "id", n, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_msg(strstr(e.msg, "INTEGER PRIMARY KEY"), "%s", e.msg);
	/* narrowing is never done: int -> numeric(19,0) at least */
	struct db_table *t = db_describe(db, "w", &e);
	ck_assert_int_eq(t->columns[5].type.type, DT_NUMERIC);
	ck_assert_int_eq(t->columns[5].type.precision, 19);
	ck_assert_int_eq(t->columns[0].type.type, DT_INT);
	ck_assert(t->columns[0].primary_key && t->columns[0].not_null);
	ck_assert_int_eq(t->columns[1].type.precision, 25);
	ck_assert_int_eq(t->columns[1].type.scale, 10);
	ck_assert_int_eq(t->columns[2].type.type, DT_TIMESTAMP);
	ck_assert_int_eq(t->columns[3].type.type, DT_TEXT);
	ck_assert_int_eq(t->columns[4].type.precision, 10);
	db_table_free(t);
	/* constraints and indexes survive */
	ck_assert_int_eq(db_exec(db, "INSERT INTO w (id, price) VALUES (2, -1)", NULL, 0, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "CHECK"), "%s", e.msg);
	ck_value(db, "PRAGMA integrity_check", "ok");
	ck_value(db, "SELECT count(*) FROM sqlite_master WHERE name = 'w_price'", "1");
	ck_assert_int_eq(db_widen_column(db, "w", "nosuch", text, &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	db_close(db);
}
END_TEST

START_TEST(ledger_commits_with_the_data)
{
	struct db *db = open_rw();
	struct err e;
	ck_ledger_commits(db, "pipe:orders:a.json", 7, "rows=1");
	struct db_ledger_entry got;
	ck_assert_int_eq(db_ledger_put(db, "pipe:orders:a.json", "store-a", 8, NULL, &e), 0);
	ck_assert_int_eq(db_ledger_get(db, "pipe:orders:a.json", &got, &e), 1);
	ck_assert_ptr_null(got.info);
	db_ledger_entry_free(&got);
	ck_value(db, "SELECT run_id FROM _sluice_ledger", "8");
	ck_value(db, "SELECT length(committed_at) FROM _sluice_ledger", "26");
	ck_assert_int_eq(db_ledger_delete(db, "pipe:orders:a.json", &e), 0);
	ck_assert_int_eq(db_ledger_get(db, "pipe:orders:a.json", &got, &e), 0);
	struct vec names = VEC_INIT;
	db_list_tables(db, &names, &e);
	ck_assert_uint_eq(names.len, 2);   /* the caller filters _sluice_* */
	vec_free_all(&names, free);
	ck_ledger_owners(db, "CREATE TABLE _sluice_ledger (key text PRIMARY KEY, run_id "
			 "integer NOT NULL, committed_at text NOT NULL, info text)");
	db_close(db);
}
END_TEST

START_TEST(type_names_parse_and_print)
{
	struct db_coltype t;
	ck_assert(db_type_parse("numeric(10,2)", &t));
	ck_assert(t.type == DT_NUMERIC && t.precision == 10 && t.scale == 2);
	ck_assert(db_type_parse("NUMERIC( 20 , 10 )", &t) && t.precision == 20);
	ck_assert(db_type_parse("numeric_text(20,10)", &t) && t.scale == 10);
	ck_assert(db_type_parse("character varying(40)", &t));
	ck_assert(t.type == DT_TEXT && t.precision == 40);
	ck_assert(db_type_parse("timestamp(3) without time zone", &t) && t.type == DT_TIMESTAMP);
	ck_assert(db_type_parse("time without time zone", &t) && t.type == DT_TIME);
	ck_assert(db_type_parse("double precision", &t) && t.type == DT_FLOAT);
	ck_assert(db_type_parse("BIGINT", &t) && t.type == DT_INT);
	ck_assert(db_type_parse("bool", &t) && t.type == DT_BOOL);
	ck_assert(db_type_parse("jsonb", &t) && t.type == DT_JSON);
	ck_assert(!db_type_parse("geometry", &t));
	ck_assert(!db_type_parse("numeric(10", &t));

	char out[64];
	struct db_coltype n = { DT_NUMERIC, 10, 2 }, wide = { DT_NUMERIC, 20, 10 };
	db_type_sql(DB_POSTGRES, n, out, sizeof out);
	ck_assert_str_eq(out, "numeric(10,2)");
	db_type_sql(DB_SQLITE, n, out, sizeof out);
	ck_assert_str_eq(out, "numeric(10,2)");
	db_type_sql(DB_SQLITE, wide, out, sizeof out);
	ck_assert_str_eq(out, "numeric_text(20,10)");
	db_type_sql(DB_POSTGRES, wide, out, sizeof out);
	ck_assert_str_eq(out, "numeric(20,10)");
	db_type_sql(DB_POSTGRES, (struct db_coltype){ DT_INT, 0, 0 }, out, sizeof out);
	ck_assert_str_eq(out, "bigint");
	db_type_sql(DB_SQLITE, (struct db_coltype){ DT_JSON, 0, 0 }, out, sizeof out);
	ck_assert_str_eq(out, "json_text");
	ck_assert_str_eq(db_type_name(DT_NUMERIC), "numeric");
	/* every SQLite spelling parses back to what it was made from */
	for (int ty = DT_TEXT; ty <= DT_JSON; ty++) {
		struct db_coltype in = { ty, ty == DT_NUMERIC ? 18 : 0, ty == DT_NUMERIC ? 3 : 0 };
		for (int k = 0; k < 2; k++) {
			db_type_sql(k ? DB_POSTGRES : DB_SQLITE, in, out, sizeof out);
			ck_assert_msg(db_type_parse(out, &t), "%s", out);
			ck_assert_msg(t.type == in.type && t.precision == in.precision &&
				      t.scale == in.scale, "%s", out);
		}
	}
}
END_TEST

START_TEST(types_widen_and_never_narrow)
{
	bool w;
	struct db_coltype i = { DT_INT, 0, 0 }, n = { DT_NUMERIC, 10, 2 };
	struct db_coltype r = db_type_widen(i, n, &w);
	ck_assert(w && r.type == DT_NUMERIC && r.precision == 21 && r.scale == 2);
	r = db_type_widen(n, i, &w);
	ck_assert(w && r.precision == 21 && r.scale == 2);
	r = db_type_widen(n, (struct db_coltype){ DT_NUMERIC, 6, 4 }, &w);
	ck_assert(w && r.precision == 12 && r.scale == 4);
	r = db_type_widen(n, (struct db_coltype){ DT_NUMERIC, 5, 1 }, &w);
	ck_assert(!w && r.precision == 10 && r.scale == 2);
	r = db_type_widen(n, (struct db_coltype){ DT_NUMERIC, 0, 0 }, &w);
	ck_assert(w && r.type == DT_NUMERIC && r.precision == 0);
	r = db_type_widen(n, (struct db_coltype){ DT_FLOAT, 0, 0 }, &w);
	ck_assert(w && r.type == DT_FLOAT);
	r = db_type_widen((struct db_coltype){ DT_DATE, 0, 0 },
			  (struct db_coltype){ DT_TIMESTAMP, 0, 0 }, &w);
	ck_assert(w && r.type == DT_TIMESTAMP);
	r = db_type_widen((struct db_coltype){ DT_TIMESTAMP, 0, 0 },
			  (struct db_coltype){ DT_DATE, 0, 0 }, &w);
	ck_assert(!w && r.type == DT_TIMESTAMP);
	r = db_type_widen((struct db_coltype){ DT_BOOL, 0, 0 }, i, &w);
	ck_assert(w && r.type == DT_TEXT);
	r = db_type_widen((struct db_coltype){ DT_TEXT, 0, 0 }, i, &w);
	ck_assert(!w && r.type == DT_TEXT);
	r = db_type_widen((struct db_coltype){ DT_TEXT, 5, 0 },
			  (struct db_coltype){ DT_TEXT, 9, 0 }, &w);
	ck_assert(w && r.precision == 9);
	r = db_type_widen(i, i, &w);
	ck_assert(!w && r.type == DT_INT);
}
END_TEST

START_TEST(types_are_inferred_from_text)
{
	ck_assert_int_eq(db_type_infer("42").type, DT_INT);
	ck_assert_int_eq(db_type_infer("-9223372036854775808").type, DT_INT);
	struct db_coltype t = db_type_infer("92233720368547758070");
	ck_assert(t.type == DT_NUMERIC && t.precision == 20 && t.scale == 0);
	t = db_type_infer("3.94");
	ck_assert(t.type == DT_NUMERIC && t.precision == 3 && t.scale == 2);
	t = db_type_infer("-0.05");
	ck_assert(t.type == DT_NUMERIC && t.precision == 2 && t.scale == 2);
	ck_assert_int_eq(db_type_infer("2.5e-07").type, DT_FLOAT);
	ck_assert_int_eq(db_type_infer("true").type, DT_BOOL);
	ck_assert_int_eq(db_type_infer("f").type, DT_BOOL);
	ck_assert_int_eq(db_type_infer("2022-11-03").type, DT_DATE);
	ck_assert_int_eq(db_type_infer("2022-11-03 14:20:49.962").type, DT_TIMESTAMP);
	ck_assert_int_eq(db_type_infer("2022-11-03T14:20:49Z").type, DT_TIMESTAMP);
	ck_assert_int_eq(db_type_infer("14:20:49.962").type, DT_TIME);
	ck_assert_int_eq(db_type_infer("{\"a\": 1}").type, DT_JSON);
	ck_assert_int_eq(db_type_infer("2022-13-03").type, DT_TEXT);
	ck_assert_int_eq(db_type_infer("hello").type, DT_TEXT);
	ck_assert_int_eq(db_type_infer("").type, DT_TEXT);
	ck_assert_int_eq(db_type_infer("yes").type, DT_TEXT);
	ck_assert_int_eq(db_type_infer("1.2.3").type, DT_TEXT);
}
END_TEST

/* db_table_sql is what db_create_table runs, as text for a SQL file; an
 * identity column is numbered on insert on both dialects, and one that is
 * not the table's only integer key is refused, not written wrong. */
START_TEST(table_sql_numbers_the_identity_column)
{
	struct db_column cols[] = {
		{ "id", { DT_INT, 0, 0 }, true, true },
		{ "note", { DT_TEXT, 0, 0 }, true, false },
	};
	struct db_table def = { "t", cols, 2 };
	struct buf pg = BUF_INIT, lite = BUF_INIT;
	struct err e;
	ck_assert_int_eq(db_table_sql(DB_POSTGRES, &def, true, "id", &pg, &e), 0);
	ck_assert_msg(strstr(buf_str(&pg), "\"id\" bigserial,"), "%s", buf_str(&pg));
	ck_assert_int_eq(db_table_sql(DB_SQLITE, &def, true, "id", &lite, &e), 0);
	struct db *db = open_rw();
	exec_ok(db, buf_str(&lite));
	exec_ok(db, buf_str(&lite));    /* IF NOT EXISTS */
	exec_ok(db, "INSERT INTO t (note) VALUES ('a'); INSERT INTO t (note) VALUES ('b')");
	ck_value(db, "SELECT group_concat(id) FROM t", "1,2");
	db_close(db);

	struct buf bad = BUF_INIT;
	ck_assert_int_eq(db_table_sql(DB_SQLITE, &def, true, "note", &bad, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_msg(strstr(e.msg, "table t: the identity column note"), "%s", e.msg);
	cols[1].primary_key = true;
	ck_assert_int_eq(db_table_sql(DB_POSTGRES, &def, true, "id", &bad, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVALID);
	buf_free(&pg);
	buf_free(&lite);
	buf_free(&bad);
}
END_TEST

START_TEST(urls_are_recognised_and_redacted)
{
	enum db_kind k;
	ck_assert(db_url_valid("sqlite:/tmp/x.db", &k) && k == DB_SQLITE);
	ck_assert(db_url_valid("sqlite::memory:", &k) && k == DB_SQLITE);
	ck_assert(db_url_valid("postgresql://u@h/db", &k) && k == DB_POSTGRES);
	ck_assert(db_url_valid("postgres://h", &k) && k == DB_POSTGRES);
	ck_assert(db_url_valid("host=h dbname=d", &k) && k == DB_POSTGRES);
	ck_assert(db_url_valid("service=wh", &k) && k == DB_POSTGRES);
	ck_assert(!db_url_valid("sqlite:", &k));
	ck_assert(!db_url_valid("/tmp/x.db", &k));
	ck_assert(!db_url_valid("mysql://h", &k));
	ck_assert(!db_url_valid(NULL, &k));

	char *r = db_url_redacted("postgresql://ann:s3cr%40t@db.example:5432/wh?sslmode=require");
	ck_assert_str_eq(r, "postgresql://ann:****@db.example:5432/wh?sslmode=require");
	free(r);
	r = db_url_redacted("postgres://ann@h/wh?password=hunter22&application_name=x");
	ck_assert_str_eq(r, "postgres://ann@h/wh?password=****&application_name=x");
	free(r);
	r = db_url_redacted("host=h password='a b\\'c' dbname=wh");
	ck_assert_str_eq(r, "host=h password=**** dbname=wh");
	free(r);
	r = db_url_redacted("host=h PASSWORD = plain user=u");
	ck_assert_str_eq(r, "host=h PASSWORD = **** user=u");
	free(r);
	r = db_url_redacted("sqlite:/data/x.db");
	ck_assert_str_eq(r, "sqlite:/data/x.db");
	free(r);
}
END_TEST

START_TEST(open_cursor_and_statements_coexist_on_sqlite)
{
	/* SQLite lets a writer run while a cursor reads (another table) */
	struct db *db = open_rw();
	struct err e;
	exec_ok(db, "CREATE TABLE a (x integer); CREATE TABLE b (x integer);"
		"INSERT INTO a VALUES (1), (2), (3);");
	struct db_cursor *c = db_query(db, "SELECT x FROM a ORDER BY x", NULL, 0, &e);
	while (db_cursor_next(c, &e) == 1) {
		const char *p[] = { db_cursor_text(c, 0) };
		ck_assert_int_eq(db_exec(db, "INSERT INTO b VALUES ($1 * 10)", p, 1, NULL, &e), 0);
	}
	db_cursor_close(c);
	ck_value(db, "SELECT sum(x) FROM b", "60");
	db_close(db);
}
END_TEST

static Suite *db_suite(void)
{
	Suite *s = suite_create("db-sqlite");
	TCase *tc = tcase_create("sqlite");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, open_file_in_wal_with_foreign_keys);
	tcase_add_test(tc, open_refuses_bad_urls_and_files);
	tcase_add_test(tc, exec_binds_dollar_parameters);
	tcase_add_test(tc, script_runs_every_statement_and_names_the_failing_one);
	tcase_add_test(tc, cursor_streams_rows_with_names_and_types);
	tcase_add_test(tc, transactions_commit_and_roll_back);
	tcase_add_test(tc, a_writer_waits_for_the_lock_and_says_so);
	tcase_add_test(tc, identifiers_are_quoted_safely);
	tcase_add_test(tc, introspection_reports_tables_columns_and_keys);
	tcase_add_test(tc, types_round_trip_through_sqlite_storage);
	tcase_add_test(tc, writer_normalizes_values_like_postgresql);
	tcase_add_test(tc, writer_errors_name_row_and_column);
	tcase_add_test(tc, batched_writer_keeps_values_and_names_rows);
	tcase_add_test(tc, copy_lines_are_parsed_on_sqlite);
	tcase_add_test(tc, read_only_sessions_refuse_writes);
	tcase_add_test(tc, cancel_stops_a_long_statement);
	tcase_add_test(tc, ddl_in_a_transaction_commits_or_vanishes);
	tcase_add_test(tc, widening_keeps_values_and_reports_the_new_type);
	tcase_add_test(tc, ledger_commits_with_the_data);
	tcase_add_test(tc, type_names_parse_and_print);
	tcase_add_test(tc, types_widen_and_never_narrow);
	tcase_add_test(tc, types_are_inferred_from_text);
	tcase_add_test(tc, table_sql_numbers_the_identity_column);
	tcase_add_test(tc, urls_are_recognised_and_redacted);
	tcase_add_test(tc, open_cursor_and_statements_coexist_on_sqlite);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(db_suite)
