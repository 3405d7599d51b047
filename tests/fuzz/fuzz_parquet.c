/*
 * fuzz_parquet.c - the Parquet reader on any bytes, and the writer on
 * whatever the reader accepts.  Each input is read untyped and with
 * declared typed columns; every good untyped record is written into a new
 * Parquet file in memory, which is read back and must give the same
 * values (text and NULLs) in the same order: a reader fault is a crash or
 * a leak, a writer fault a difference, and both abort.
 */
#include "fuzz.h"

#include "format/format.h"

static int sink(void *arg, const void *data, size_t n, struct err *e)
{
	(void)e;
	buf_append(arg, data, n);
	return 0;
}

static const struct fmt_column typed[] = {
	{ "id", NULL, FT_INT }, { "amount", NULL, FT_NUMERIC }, { "ok", NULL, FT_BOOL },
	{ "day", NULL, FT_DATE }, { "ts", NULL, FT_TIMESTAMP }, { "name", NULL, FT_TEXT },
};

/* What the first pass kept, to compare the second with. */
struct kept {
	struct buf text;          /* values, each NUL-terminated; NULL as "\1" */
	size_t nvalues;
};

static void keep(struct kept *k, const struct fmt_record *rec)
{
	for (size_t i = 0; i < rec->nfields; i++) {
		const char *v = rec->fields[i].value;
		buf_append(&k->text, v ? v : "\1", v ? rec->fields[i].len + 1 : 2);
		k->nvalues++;
	}
}

static void read_back(const struct buf *file, const struct kept *k, size_t nrows)
{
	struct fuzz_mem m = { (const uint8_t *)file->data, file->len, 0 };
	struct fmt_reader_opts o = { .format = FMT_PARQUET, .source = "again" };
	struct err e = { 0 };
	struct fmt_reader *r = fmt_reader_new(&o, fuzz_mem_read, &m, &e);
	struct fmt_record rec;
	size_t rows = 0, at = 0;
	enum fmt_status st;
	while ((st = fmt_reader_next(r, &rec, &e)) == FMT_RECORD) {
		rows++;
		for (size_t i = 0; i < rec.nfields; i++) {
			const char *v = rec.fields[i].value;
			const char *want = k->text.data + at;
			if (v ? strcmp(v, want) != 0 : strcmp(want, "\1") != 0)
				abort();   /* the writer lost or changed a value */
			at += strlen(want) + 1;
		}
	}
	if (st != FMT_END || rows != nrows)
		abort();           /* sluice cannot read back what it wrote */
	fmt_reader_free(r);
}

static void read_all(const uint8_t *data, size_t size, bool with_types)
{
	struct fuzz_mem m = { data, size, 0 };
	struct fmt_reader_opts o = {
		.format = FMT_PARQUET, .source = "fuzz", .chunk = 7,
		.columns = with_types ? typed : NULL,
		.ncolumns = with_types ? sizeof typed / sizeof typed[0] : 0,
	};
	struct err e = { 0 };
	struct fmt_reader *r = fmt_reader_new(&o, fuzz_mem_read, &m, &e);
	if (!r)
		abort();
	struct buf file = BUF_INIT;
	struct fmt_writer_opts wo = { .format = FMT_PARQUET, .row_group_rows = 3 };
	struct fmt_writer *w = fmt_writer_new(&wo, sink, &file, &e);
	struct kept k = { BUF_INIT, 0 };
	size_t rows = 0;
	bool writing = !with_types;
	for (int guard = 0; guard < 100000; guard++) {
		struct fmt_record rec;
		enum fmt_status st = fmt_reader_next(r, &rec, &e);
		if (st == FMT_END || st == FMT_FATAL)
			break;
		if (st == FMT_BAD_RECORD) {
			(void)fmt_reader_error(r);
			continue;
		}
		if (writing && fmt_writer_row(w, rec.fields, rec.nfields, &e) == 0) {
			keep(&k, &rec);
			rows++;
		}
	}
	if (writing && rows && fmt_writer_finish(w, &e) == 0)
		read_back(&file, &k, rows);
	fmt_writer_free(w);
	fmt_reader_free(r);
	buf_free(&file);
	buf_free(&k.text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	read_all(data, size, false);
	read_all(data, size, true);
	return 0;
}
