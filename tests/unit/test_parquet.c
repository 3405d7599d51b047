/*
 * test_parquet.c - the Parquet writer and reader through fmt_writer and
 * fmt_reader, in memory: every column type the extract maps round-trips
 * exactly through each compression and several row groups; the writer
 * refuses what it cannot store with the row and column; the reader gives
 * bad records at their row group and row.  (Interop with an independent
 * implementation is tests/integration/parquet*.sh; damaged files are the
 * fuzzer's regress corpus.)
 */
#include "testutil.h"
#include "format/format.h"

struct mem_src {
	const char *p;
	size_t left;
};

static ssize_t mem_read(void *arg, void *buf, size_t n, struct err *e UNUSED)
{
	struct mem_src *m = arg;
	size_t take = m->left < n ? m->left : n;
	memcpy(buf, m->p, take);
	m->p += take;
	m->left -= take;
	return (ssize_t)take;
}

static int to_buf(void *arg, const void *data, size_t n, struct err *e UNUSED)
{
	buf_append(arg, data, n);
	return 0;
}

#define NCOLS 10
static const char *const names[NCOLS] = {
	"id", "price", "amount", "ratio", "big", "note", "paid", "day", "at", "ts",
};
static const struct fmt_out_column types[NCOLS] = {
	{ FPQ_INT, 0, 0 }, { FPQ_DOUBLE, 0, 0 }, { FPQ_DECIMAL, 12, 2 }, { FPQ_DECIMAL, 0, 0 },
	{ FPQ_DECIMAL, 38, 10 }, { FPQ_TEXT, 0, 0 }, { FPQ_BOOL, 0, 0 }, { FPQ_DATE, 0, 0 },
	{ FPQ_TIME, 0, 0 }, { FPQ_TIMESTAMP, 0, 0 },
};
/* As written, then as read back (NULL: the same). */
static const char *const rows[][NCOLS] = {
	{ "9223372036854775807", "1.5", "1234567890.12", "3.14159",
	  "1234567890123456789012345678.0123456789", "plain", "t", "2024-02-29",
	  "23:59:59.999999", "2024-02-29 23:59:59.999999" },
	{ "-9223372036854775808", "NaN", "-0.01", "-0.000001", "-0.0000000001", "", "f",
	  "0001-01-01", "00:00:00", "1900-01-01 00:00:00.000001" },
	{ "3", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "4", "-Infinity", "0", "0", "0", "\xc3\xbcn\xc3\xaf \xf0\x9f\x9a\x80", "t", "1969-12-31",
	  "12:00", "1969-07-20T20:17:40.123456Z" },
	{ "5", "2.2250738585072014e-308", "99.5", "100", "1", "plain", "f", "9999-12-31",
	  "00:00:00.000001", "0001-01-01 00:00:00" },
};
static const char *const read_as[][NCOLS] = {
	{ NULL, NULL, NULL, "3.141590", NULL, NULL, "true", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, "false", NULL, "00:00:00.000000", NULL },
	{ NULL },
	{ NULL, NULL, "0.00", "0.000000", "0.0000000000", NULL, "true", NULL, "12:00:00.000000",
	  "1969-07-20 20:17:40.123456" },
	{ NULL, NULL, "99.50", "100.000000", "1.0000000000", NULL, "false", NULL, NULL,
	  "0001-01-01 00:00:00.000000" },
};

static char *write_file(enum fmt_compression c, size_t *len)
{
	struct buf out = BUF_INIT;
	struct fmt_writer_opts o = { .format = FMT_PARQUET, .columns = types, .ncolumns = NCOLS,
				     .row_group_rows = 2, .compression = c };
	struct err e;
	struct fmt_writer *w = fmt_writer_new(&o, to_buf, &out, &e);
	ck_assert_int_eq(fmt_writer_columns(w, names, NCOLS, &e), 0);
	for (size_t r = 0; r < ARRAY_LEN(rows); r++) {
		struct fmt_field f[NCOLS];
		for (size_t i = 0; i < NCOLS; i++) {
			const char *v = rows[r][i];
			f[i] = (struct fmt_field){ names[i], v, v ? strlen(v) : 0,
						   v ? FK_STRING : FK_NULL };
		}
		ck_assert_msg(fmt_writer_row(w, f, NCOLS, &e) == 0, "row %zu: %s", r + 1, e.msg);
	}
	ck_assert_msg(fmt_writer_finish(w, &e) == 0, "%s", e.msg);
	fmt_writer_free(w);
	*len = out.len;
	return buf_detach(&out);
}

static struct fmt_reader *open_file(const char *data, size_t len, struct mem_src *m,
				    const struct fmt_column *cols, size_t ncols)
{
	*m = (struct mem_src){ data, len };
	struct fmt_reader_opts o = { .format = FMT_PARQUET, .source = "t.parquet",
				     .columns = cols, .ncolumns = ncols };
	struct err e;
	struct fmt_reader *r = fmt_reader_new(&o, mem_read, m, &e);
	ck_assert_msg(r != NULL, "%s", e.msg);
	return r;
}

START_TEST(every_type_round_trips_in_every_compression)
{
	static const enum fmt_compression comps[] = {
		FMT_COMPRESSION_NONE, FMT_COMPRESSION_GZIP, FMT_COMPRESSION_ZSTD,
	};
	for (size_t c = 0; c < ARRAY_LEN(comps); c++) {
		size_t len;
		char *data = write_file(comps[c], &len);
		ck_assert(len > 12 && !memcmp(data, "PAR1", 4) && !memcmp(data + len - 4, "PAR1", 4));
		struct mem_src m;
		struct fmt_reader *r = open_file(data, len, &m, NULL, 0);
		struct err e;
		for (size_t k = 0; k < ARRAY_LEN(rows); k++) {
			struct fmt_record rec;
			ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_RECORD);
			ck_assert_int_eq(rec.nfields, NCOLS);
			ck_assert_int_eq(rec.line, (long)(k / 2 + 1));      /* the row group */
			ck_assert_int_eq(rec.col, (int)(k % 2 + 1));        /* the row in it */
			for (size_t i = 0; i < NCOLS; i++) {
				const char *want = read_as[k][i] ? read_as[k][i] : rows[k][i];
				const char *got = rec.fields[i].value;
				ck_assert_str_eq(rec.fields[i].name, names[i]);
				if (!want)
					ck_assert_msg(!got, "row %zu, %s: NULL became %s", k + 1,
						      names[i], got);
				else
					ck_assert_msg(got && !strcmp(got, want),
						      "row %zu, %s: wrote %s, read %s", k + 1,
						      names[i], want, got ? got : "NULL");
			}
		}
		struct fmt_record rec;
		ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_END);
		fmt_reader_free(r);
		free(data);
	}
}
END_TEST

START_TEST(writer_refuses_with_row_and_column)
{
	struct buf out = BUF_INIT;
	static const struct fmt_out_column t[] = { { FPQ_INT, 0, 0 }, { FPQ_DECIMAL, 0, 0 } };
	const char *n[] = { "n", "d" };
	struct fmt_writer_opts o = { .format = FMT_PARQUET, .columns = t, .ncolumns = 2,
				     .row_group_rows = 1 };
	struct err e;
	struct fmt_writer *w = fmt_writer_new(&o, to_buf, &out, &e);
	ck_assert_int_eq(fmt_writer_columns(w, n, 2, &e), 0);
	struct fmt_field ok[] = { { "n", "1", 1, FK_NUMBER }, { "d", "1.5", 3, FK_NUMBER } };
	ck_assert_int_eq(fmt_writer_row(w, ok, 2, &e), 0);
	/* a SQLite column whose later row holds another storage class */
	struct fmt_field bad[] = { { "n", "2.5", 3, FK_NUMBER }, { "d", "1", 1, FK_NUMBER } };
	ck_assert_int_eq(fmt_writer_row(w, bad, 2, &e), -1);
	ck_assert_str_eq(e.msg, "row 2, column \"n\": expected an integer, got \"2.5\"");
	/* the first row group fixed the unconstrained decimal's scale at 1 */
	struct fmt_field finer[] = { { "n", "3", 1, FK_NUMBER }, { "d", "1.25", 4, FK_NUMBER } };
	ck_assert_int_eq(fmt_writer_row(w, finer, 2, &e), -1);
	ck_assert_str_eq(e.msg, "column \"d\": 1.25 has more decimal places than the column's "
			 "scale (1)");
	fmt_writer_free(w);
	buf_free(&out);
}
END_TEST

START_TEST(bad_records_are_at_their_row_group_and_row)
{
	size_t len;
	char *data = write_file(FMT_COMPRESSION_NONE, &len);
	/* "note" read as an integer: every row but the NULL one is bad */
	static const struct fmt_column cols[] = {
		{ "id", NULL, FT_INT }, { "n", "note", FT_INT },
	};
	struct mem_src m;
	struct fmt_reader *r = open_file(data, len, &m, cols, 2);
	struct fmt_record rec;
	struct err e;
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_BAD_RECORD);
	ck_assert_str_eq(e.where, "t.parquet row group 1, row 1");
	ck_assert_str_eq(e.msg, "column \"n\": expected an integer, got \"plain\"");
	const struct fmt_error *fe = fmt_reader_error(r);
	ck_assert_int_eq(fe->line, 1);
	ck_assert_int_eq(fe->col, 1);
	ck_assert_str_eq(fe->column, "n");
	ck_assert(!fe->fatal && !fe->io);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_BAD_RECORD);     /* "" */
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_RECORD);         /* NULL */
	ck_assert_int_eq(rec.line, 2);
	ck_assert_int_eq(rec.col, 1);
	ck_assert_str_eq(rec.fields[0].value, "3");
	ck_assert_ptr_null(rec.fields[1].value);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_BAD_RECORD);
	ck_assert_str_eq(e.where, "t.parquet row group 2, row 2");
	fmt_reader_free(r);

	/* a source column the file lacks is fatal, naming what it has */
	static const struct fmt_column missing[] = { { "x", "nope", FT_TEXT } };
	r = open_file(data, len, &m, missing, 1);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_FATAL);
	ck_assert(strstr(e.msg, "no column \"nope\" in the file (id, price, amount"));
	fmt_reader_free(r);

	/* cut anywhere, the file is refused with a reason and nothing read */
	for (size_t cut = 0; cut < len; cut += 7) {
		r = open_file(data, cut, &m, NULL, 0);
		enum fmt_status st = fmt_reader_next(r, &rec, &e);
		ck_assert_msg(cut == 0 ? st == FMT_END : st == FMT_FATAL, "cut at %zu", cut);
		fmt_reader_free(r);
	}
	free(data);
}
END_TEST

static Suite *parquet_suite(void)
{
	Suite *s = suite_create("parquet");
	TCase *tc = tcase_create("parquet");
	tcase_add_test(tc, every_type_round_trips_in_every_compression);
	tcase_add_test(tc, writer_refuses_with_row_and_column);
	tcase_add_test(tc, bad_records_are_at_their_row_group_and_row);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(parquet_suite)
