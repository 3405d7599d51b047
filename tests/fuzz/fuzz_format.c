/*
 * fuzz_format.c - the NDJSON, JSON and CSV readers (FUZZ_FORMAT picks one),
 * fed in 7-byte chunks so that every token, escape and UTF-8 sequence
 * also gets split across a refill, with a small record limit so that the
 * limit's error path runs too.  Each input is read twice: untyped, and
 * with declared typed columns (the coercions), and every good record is
 * written back through the writer of the same format.
 */
#include "fuzz.h"

#include "format/format.h"

#ifndef FUZZ_FORMAT
#error "FUZZ_FORMAT is FMT_CSV, FMT_JSON or FMT_NDJSON"
#endif

static int sink(void *arg, const void *data, size_t n, struct err *e)
{
	(void)arg, (void)data, (void)n, (void)e;
	return 0;
}

static const struct fmt_column typed[] = {
	{ "id", NULL, FT_INT },
	{ "amount", NULL, FT_NUMERIC },
	{ "ok", NULL, FT_BOOL },
	{ "day", NULL, FT_DATE },
	{ "at", NULL, FT_TIME },
	{ "ts", NULL, FT_TIMESTAMP },
	{ "doc", NULL, FT_JSON },
	{ "name", NULL, FT_TEXT },
};

static void read_all(const uint8_t *data, size_t size, bool with_types)
{
	struct fuzz_mem m = { data, size, 0 };
	struct fmt_reader_opts o = {
		.format = FUZZ_FORMAT, .source = "fuzz", .chunk = 7, .max_record = 4096,
		.columns = with_types ? typed : NULL,
		.ncolumns = with_types ? sizeof typed / sizeof typed[0] : 0,
	};
	struct err e = { 0 };
	struct fmt_reader *r = fmt_reader_new(&o, fuzz_mem_read, &m, &e);
	if (!r)
		abort();   /* the options are fixed and valid */
	struct fmt_writer_opts wo = { .format = FUZZ_FORMAT };
	struct fmt_writer *w = fmt_writer_new(&wo, sink, NULL, &e);
	for (int guard = 0; guard < 100000; guard++) {
		struct fmt_record rec;
		enum fmt_status st = fmt_reader_next(r, &rec, &e);
		if (st == FMT_END || st == FMT_FATAL)
			break;
		if (st == FMT_BAD_RECORD) {
			(void)fmt_reader_error(r);
			continue;
		}
		struct buf out = BUF_INIT;
		fmt_json_write(&out, fmt_reader_json(r));
		buf_free(&out);
		/* The writer wants one set of names for every row. */
		if (with_types)
			fmt_writer_row(w, rec.fields, rec.nfields, &e);
	}
	fmt_writer_finish(w, &e);
	fmt_writer_free(w);
	fmt_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	read_all(data, size, false);
	read_all(data, size, true);
	if (FUZZ_FORMAT == FMT_JSON) {
		struct err e = { 0 };
		cJSON *doc = fmt_json_parse((const char *)data, size, "fuzz", &e);
		cJSON_Delete(doc);
	}
	return 0;
}
