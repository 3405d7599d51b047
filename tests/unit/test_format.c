/*
 * test_format.c - readers, typed columns, writers and normalization.
 *
 * The malformed-input corpus (tests/data/bad, described line by line in
 * tests/data/bad/EXPECTED) is read at several chunk sizes, from one byte
 * up, and every file must give exactly the error, severity and record
 * counts its manifest line says.  The good files and the real ToteSys rows
 * are read with exact values checked.  Huge records are generated here,
 * not committed.
 */
#include "testutil.h"
#include "format/format.h"
#include "lake/lake.h"

#include <dirent.h>
#include <fcntl.h>

/* ---- helpers ------------------------------------------------------------------- */

static char *data_path(const char *rel)
{
	const char *src = getenv("SLUICE_SRCDIR");
	return xasprintf("%s/tests/data/%s", src ? src : "..", rel);
}

struct fd_src {
	int fd;
	size_t chunk;
};

static ssize_t fd_read(void *arg, void *buf, size_t n, struct err *e)
{
	struct fd_src *s = arg;
	if (n > s->chunk)
		n = s->chunk;
	ssize_t got = read(s->fd, buf, n);
	if (got < 0)
		err_set(e, ERR_IO, "read failed");
	return got;
}

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

/* "id:int,name:text:src" into columns; the strings live in *keep. */
static size_t parse_columns(const char *spec, struct fmt_column *cols, size_t max, char **keep)
{
	*keep = NULL;
	if (!strcmp(spec, "-"))
		return 0;
	char *s = *keep = xstrdup(spec);
	size_t n = 0;
	for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ",")) {
		char *type = strchr(tok, ':');
		ck_assert_ptr_nonnull(type);
		*type++ = '\0';
		char *source = strchr(type, ':');
		if (source)
			*source++ = '\0';
		cols[n].name = tok;
		cols[n].source = source;
		ck_assert_msg(fmt_type_parse(type, &cols[n].type), "type %s", type);
		n++;
	}
	return n;
}

struct outcome {
	int before, after, errors;
	const char *severity;
	char where[300];
	char msg[1024];
	char column[128];
	int fatal_again;          /* a call after FATAL gave FATAL again */
};

static void read_all(struct fmt_reader *r, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	o->severity = "ok";
	struct fmt_record rec;
	struct err e;
	enum fmt_status st;
	bool seen = false;
	while ((st = fmt_reader_next(r, &rec, &e)) != FMT_END) {
		if (st == FMT_RECORD) {
			if (seen)
				o->after++;
			else
				o->before++;
			continue;
		}
		o->errors++;
		if (!seen) {
			seen = true;
			o->severity = st == FMT_FATAL ? "fatal" : "record";
			snprintf(o->where, sizeof o->where, "%s", e.where);
			snprintf(o->msg, sizeof o->msg, "%s", e.msg);
			snprintf(o->column, sizeof o->column, "%s", fmt_reader_error(r)->column);
			ck_assert_int_eq(e.code, ERR_PARSE);
			ck_assert_int_eq(fmt_reader_error(r)->fatal, st == FMT_FATAL);
		}
		if (st == FMT_FATAL) {
			struct err again;
			o->fatal_again = fmt_reader_next(r, &rec, &again) == FMT_FATAL &&
				!strcmp(again.msg, e.msg);
			break;
		}
	}
}

static struct fmt_reader *open_file(const char *path, const char *format, const char *source,
				    const struct fmt_column *cols, size_t ncols, size_t chunk,
				    struct fd_src *src)
{
	struct fmt_reader_opts o = { .source = source, .columns = cols, .ncolumns = ncols,
				     .chunk = chunk };
	char fmtname[16];
	snprintf(fmtname, sizeof fmtname, "%s", format);
	char *colon = strchr(fmtname, ':');
	if (colon) {
		o.delimiter = colon[1];
		*colon = '\0';
	}
	ck_assert_msg(fmt_format_parse(fmtname, &o.format), "format %s", format);
	src->fd = open(path, O_RDONLY);
	ck_assert_msg(src->fd >= 0, "cannot open %s", path);
	src->chunk = chunk;
	struct err e;
	struct fmt_reader *r = fmt_reader_new(&o, fd_read, src, &e);
	ck_assert_msg(r != NULL, "%s", err_text(&e));
	return r;
}

/* ---- the corpus ---------------------------------------------------------------- */

START_TEST(corpus_gives_exactly_the_expected_errors)
{
	char *manifest = data_path("bad/EXPECTED");
	FILE *fp = fopen(manifest, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", manifest);
	char *line = NULL;
	size_t cap = 0;
	int entries = 0;
	struct vec listed = VEC_INIT;
	while (getline(&line, &cap, fp) > 0) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		char *f[9];
		int n = 0;
		for (char *p = line; n < 9; n++) {
			f[n] = p;
			char *tab = strchr(p, '\t');
			if (!tab) {
				n++;
				break;
			}
			*tab = '\0';
			p = tab + 1;
		}
		ck_assert_msg(n == 9, "manifest line for %s has %d fields", f[0], n);
		vec_push(&listed, xstrdup(f[0]));
		char *path = xasprintf("bad/%s", f[0]);
		char *full = data_path(path);
		struct fmt_column cols[16];
		char *keep;
		size_t ncols = parse_columns(f[2], cols, 16, &keep);
		static const size_t chunks[] = { 1, 2, 7, 4096 };
		for (size_t c = 0; c < ARRAY_LEN(chunks); c++) {
			struct fd_src src;
			struct fmt_reader *r = open_file(full, f[1], f[0], cols, ncols, chunks[c], &src);
			struct outcome o;
			read_all(r, &o);
			const char *ctx = f[0];
			ck_assert_msg(!strcmp(o.severity, f[3]), "%s (chunk %zu): severity %s, want %s",
				      ctx, chunks[c], o.severity, f[3]);
			ck_assert_msg(o.before == atoi(f[4]) && o.after == atoi(f[5]) &&
				      o.errors == atoi(f[6]),
				      "%s (chunk %zu): before %d after %d errors %d, want %s %s %s",
				      ctx, chunks[c], o.before, o.after, o.errors, f[4], f[5], f[6]);
			ck_assert_msg(!strcmp(o.where, strcmp(f[7], "-") ? f[7] : ""),
				      "%s (chunk %zu): where \"%s\", want \"%s\"", ctx, chunks[c],
				      o.where, f[7]);
			ck_assert_msg(!strcmp(o.msg, strcmp(f[8], "-") ? f[8] : ""),
				      "%s (chunk %zu): message \"%s\", want \"%s\"", ctx, chunks[c],
				      o.msg, f[8]);
			if (!strcmp(f[3], "fatal"))
				ck_assert_msg(o.fatal_again, "%s: FATAL does not stay FATAL", ctx);
			/* A message that names a column names it in the error fields too. */
			if (str_starts_with(f[8], "column \""))
				ck_assert_msg(o.column[0] && str_starts_with(f[8] + 8, o.column),
					      "%s: column \"%s\"", ctx, o.column);
			fmt_reader_free(r);
			close(src.fd);
		}
		free(keep);
		free(full);
		free(path);
		entries++;
	}
	free(line);
	fclose(fp);
	free(manifest);
	ck_assert_int_ge(entries, 30);

	/* Every file of the corpus is in the manifest. */
	char *dir = data_path("bad");
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	int files = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "EXPECTED"))
			continue;
		files++;
		bool found = false;
		for (size_t i = 0; i < listed.len && !found; i++)
			found = !strcmp(listed.items[i], de->d_name);
		ck_assert_msg(found, "%s is not in EXPECTED", de->d_name);
	}
	closedir(d);
	ck_assert_int_eq(files, entries);
	vec_free_all(&listed, free);
	free(dir);
}
END_TEST

/* Every corpus file read as every format ends, in one piece. */
START_TEST(corpus_in_the_wrong_format_still_ends_cleanly)
{
	char *dir = data_path("bad");
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		static const char *const formats[] = { "ndjson", "json", "csv", "csv:;" };
		for (size_t i = 0; i < ARRAY_LEN(formats); i++) {
			struct fd_src src;
			struct fmt_reader *r = open_file(path, formats[i], de->d_name, NULL, 0, 3, &src);
			struct fmt_record rec;
			struct err e;
			enum fmt_status st;
			int steps = 0;
			while ((st = fmt_reader_next(r, &rec, &e)) != FMT_END && st != FMT_FATAL)
				ck_assert_int_lt(++steps, 100000);
			fmt_reader_free(r);
			close(src.fd);
		}
		free(path);
	}
	closedir(d);
	free(dir);
}
END_TEST

/* ---- good files ------------------------------------------------------------------- */

static const struct fmt_field *field(const struct fmt_record *rec, const char *name)
{
	for (size_t i = 0; i < rec->nfields; i++)
		if (!strcmp(rec->fields[i].name, name))
			return &rec->fields[i];
	ck_abort_msg("no field %s", name);
	return NULL;
}

static void expect_value(const struct fmt_record *rec, const char *name, const char *want,
			 enum fmt_kind kind)
{
	const struct fmt_field *f = field(rec, name);
	if (!want) {
		ck_assert_msg(f->value == NULL, "%s: want NULL, got \"%s\"", name, f->value);
	} else {
		ck_assert_msg(f->value != NULL, "%s: want \"%s\", got NULL", name, want);
		ck_assert_str_eq(f->value, want);
		ck_assert_uint_eq(f->len, strlen(want));
	}
	ck_assert_int_eq(f->kind, kind);
}

static struct fmt_reader *open_good(const char *name, const char *format,
				    const struct fmt_column *cols, size_t ncols,
				    struct fd_src *src)
{
	char *rel = xasprintf("good/%s", name);
	char *path = data_path(rel);
	struct fmt_reader *r = open_file(path, format, name, cols, ncols, 5, src);
	free(path);
	free(rel);
	return r;
}

static void expect_next(struct fmt_reader *r, struct fmt_record *rec)
{
	struct err e;
	enum fmt_status st = fmt_reader_next(r, rec, &e);
	ck_assert_msg(st == FMT_RECORD, "status %d: %s", st, err_text(&e));
}

static void expect_end(struct fmt_reader *r)
{
	struct fmt_record rec;
	struct err e;
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_END);
}

START_TEST(ndjson_and_json_give_the_same_orders)
{
	static const char *const files[][2] = {
		{ "orders.ndjson", "ndjson" }, { "orders.json", "json" },
	};
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		struct fd_src src;
		struct fmt_reader *r = open_good(files[i][0], files[i][1], NULL, 0, &src);
		struct fmt_record rec;
		expect_next(r, &rec);
		ck_assert_int_eq(rec.nfields, 7);
		ck_assert_str_eq(rec.fields[0].name, "order_id");
		expect_value(&rec, "order_id", "1001", FK_NUMBER);
		expect_value(&rec, "customer", "{\"name\":\"Ada Lovelace\",\"city\":\"London\"}",
			     FK_OBJECT);
		expect_value(&rec, "total", "59.90", FK_NUMBER);
		expect_value(&rec, "paid", "true", FK_BOOL);
		expect_value(&rec, "products", "[{\"sku\":\"TOTE-RED\",\"quantity\":2,\"price\":19.95},"
			     "{\"sku\":\"TOTE-BLUE\",\"quantity\":1,\"price\":20.00}]", FK_ARRAY);
		expect_value(&rec, "note", NULL, FK_NULL);
		const cJSON *doc = fmt_reader_json(r);
		ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "customer"),
						     "name")->valuestring, "Ada Lovelace");
		ck_assert_str_eq(cJSON_GetObjectItem(doc, "total")->valuestring, "59.90");
		expect_next(r, &rec);
		ck_assert_int_eq(rec.index, 2);
		expect_value(&rec, "products", "[{\"sku\":\"BAG-\xc3\xa9t\xc3\xa9\",\"quantity\":5,"
			     "\"price\":2.50}]", FK_ARRAY);
		expect_value(&rec, "note", "leave at the door", FK_STRING);
		expect_next(r, &rec);
		ck_assert_int_eq(rec.line, i == 0 ? 4 : 23);
		expect_value(&rec, "note", "cancelled: \"duplicate\"", FK_STRING);
		expect_value(&rec, "products", "[]", FK_ARRAY);
		expect_end(r);
		fmt_reader_free(r);
		close(src.fd);
	}
}
END_TEST

START_TEST(typed_columns_give_canonical_values)
{
	struct fmt_column cols[] = {
		{ "id", "order_id", FT_INT },
		{ "placed_at", NULL, FT_TIMESTAMP },
		{ "total", NULL, FT_NUMERIC },
		{ "paid", NULL, FT_BOOL },
		{ "customer", NULL, FT_JSON },
		{ "note", NULL, FT_TEXT },
		{ "missing", NULL, FT_INT },
	};
	struct fd_src src;
	struct fmt_reader *r = open_good("orders.ndjson", "ndjson", cols, ARRAY_LEN(cols), &src);
	struct fmt_record rec;
	expect_next(r, &rec);
	ck_assert_int_eq(rec.nfields, 7);
	ck_assert_str_eq(rec.fields[0].name, "id");
	expect_value(&rec, "id", "1001", FK_NUMBER);
	expect_value(&rec, "placed_at", "2026-11-21 12:00:00.000000", FK_STRING);
	expect_value(&rec, "total", "59.90", FK_NUMBER);
	expect_value(&rec, "paid", "t", FK_BOOL);
	expect_value(&rec, "customer", "{\"name\":\"Ada Lovelace\",\"city\":\"London\"}", FK_OBJECT);
	expect_value(&rec, "note", NULL, FK_NULL);
	expect_value(&rec, "missing", NULL, FK_NULL);
	/* The document stays whole, whatever was declared. */
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(fmt_reader_json(r), "products"));
	expect_next(r, &rec);
	expect_value(&rec, "placed_at", "2026-11-21 12:30:00.000000", FK_STRING);
	expect_value(&rec, "paid", "f", FK_BOOL);
	expect_next(r, &rec);
	expect_value(&rec, "placed_at", "2026-11-22 08:15:30.250000", FK_STRING);
	expect_value(&rec, "total", "0", FK_NUMBER);
	expect_end(r);
	fmt_reader_free(r);
	close(src.fd);
}
END_TEST

START_TEST(csv_follows_rfc4180)
{
	struct fd_src src;
	struct fmt_reader *r = open_good("orders.csv", "csv", NULL, 0, &src);
	struct fmt_record rec;
	expect_next(r, &rec);
	ck_assert_int_eq(rec.nfields, 5);
	expect_value(&rec, "order_id", "1001", FK_STRING);
	expect_value(&rec, "customer", "Lovelace, Ada", FK_STRING);
	expect_value(&rec, "note", "multi\r\nline \"quoted\" note", FK_STRING);
	expect_next(r, &rec);
	ck_assert_int_eq(rec.line, 4);
	expect_value(&rec, "note", NULL, FK_NULL);
	expect_next(r, &rec);
	expect_value(&rec, "note", "", FK_STRING);
	const cJSON *doc = fmt_reader_json(r);
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "customer")->valuestring, "Katherine Johnson");
	expect_end(r);
	fmt_reader_free(r);
	close(src.fd);

	struct fmt_column cols[] = {
		{ "id", "order_id", FT_INT }, { "amount", NULL, FT_NUMERIC },
		{ "placed_at", NULL, FT_TIMESTAMP }, { "note", NULL, FT_TEXT },
	};
	r = open_good("orders.csv", "csv", cols, ARRAY_LEN(cols), &src);
	expect_next(r, &rec);
	expect_value(&rec, "id", "1001", FK_NUMBER);
	expect_value(&rec, "amount", "59.90", FK_NUMBER);
	expect_next(r, &rec);
	expect_value(&rec, "placed_at", "2026-11-21 12:30:00.000000", FK_STRING);
	expect_value(&rec, "note", NULL, FK_NULL);
	expect_next(r, &rec);
	expect_value(&rec, "placed_at", "2026-11-22 00:00:00.000000", FK_STRING);
	doc = fmt_reader_json(r);
	ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(doc, "id")));
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "note")->valuestring, "");
	expect_end(r);
	fmt_reader_free(r);
	close(src.fd);

	r = open_good("orders_semicolon.csv", "csv:;", NULL, 0, &src);
	expect_next(r, &rec);
	expect_value(&rec, "label", "a;b", FK_STRING);
	expect_value(&rec, "amount", "12,5", FK_STRING);
	expect_next(r, &rec);
	expect_value(&rec, "amount", "3", FK_STRING);
	expect_end(r);
	fmt_reader_free(r);
	close(src.fd);
}
END_TEST

START_TEST(bom_is_skipped_and_unicode_kept)
{
	struct fd_src src;
	char *path = data_path("bad/bom_data.csv");
	struct fmt_reader *r = open_file(path, "csv", "bom_data.csv", NULL, 0, 1, &src);
	struct fmt_record rec;
	expect_next(r, &rec);
	ck_assert_str_eq(rec.fields[0].name, "id");
	expect_value(&rec, "id", "1", FK_STRING);
	expect_end(r);
	fmt_reader_free(r);
	close(src.fd);
	free(path);

	r = open_good("unicode.ndjson", "ndjson", NULL, 0, &src);
	expect_next(r, &rec);
	expect_value(&rec, "s", "\xf0\x9f\x98\x80", FK_STRING);
	expect_value(&rec, "t", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", FK_STRING);
	expect_value(&rec, "u", "\xc3\xa9", FK_STRING);
	expect_end(r);
	fmt_reader_free(r);
	close(src.fd);
}
END_TEST

START_TEST(json_reads_one_document_or_several)
{
	const char *text = "{\n  \"id\": 1,\n  \"tags\": [\"a\"]\n}\n{\"id\": 2} [{\"id\": 3}, {\"id\": 4}]";
	struct mem_src m = { text, strlen(text) };
	struct fmt_reader_opts o = { .format = FMT_JSON, .source = "doc.json", .chunk = 2 };
	struct fmt_reader *r = fmt_reader_new(&o, mem_read, &m, NULL);
	struct fmt_record rec;
	for (int id = 1; id <= 4; id++) {
		expect_next(r, &rec);
		char want[8];
		snprintf(want, sizeof want, "%d", id);
		expect_value(&rec, "id", want, FK_NUMBER);
		ck_assert_int_eq(rec.index, id);
	}
	ck_assert_int_eq(rec.line, 5);
	ck_assert_int_eq(rec.col, 23);
	expect_end(r);
	fmt_reader_free(r);
}
END_TEST

static ssize_t lake_pull(void *arg, void *buf, size_t n, struct err *e)
{
	return lake_read(arg, buf, n, e);
}

/* The readers take their bytes from wherever: here, a lake. */
START_TEST(readers_pull_from_a_lake_reader)
{
	char *dir = test_mkdtemp();
	char *url = xasprintf("file:%s", dir);
	struct err e;
	struct lake *lake = lake_open(url, NULL, &e);
	const char *key = "orders/2026/11/21/120000000000.csv";
	const char *csv = "id,name\n1,a\n2,\"b\nc\"\n";
	ck_assert_int_eq(lake_put(lake, key, csv, strlen(csv), &e), 0);
	struct lake_reader *lr = lake_read_open(lake, key, &e);
	struct fmt_reader_opts o = { .format = FMT_CSV, .source = key, .chunk = 4 };
	struct fmt_reader *r = fmt_reader_new(&o, lake_pull, lr, NULL);
	struct fmt_record rec;
	expect_next(r, &rec);
	expect_next(r, &rec);
	expect_value(&rec, "name", "b\nc", FK_STRING);
	expect_end(r);
	fmt_reader_free(r);
	lake_read_close(lr);
	lake_close(lake);
	free(url);
	test_rmdir(dir);
}
END_TEST

/* ---- ToteSys ------------------------------------------------------------------------ */

static int count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	int n = 0, c;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

START_TEST(totesys_rows_load_with_types)
{
	static const struct fmt_column sales_order[] = {
		{ "sales_order_id", NULL, FT_INT }, { "created_at", NULL, FT_TIMESTAMP },
		{ "last_updated", NULL, FT_TIMESTAMP }, { "design_id", NULL, FT_INT },
		{ "staff_id", NULL, FT_INT }, { "counterparty_id", NULL, FT_INT },
		{ "units_sold", NULL, FT_INT }, { "unit_price", NULL, FT_NUMERIC },
		{ "currency_id", NULL, FT_INT }, { "agreed_delivery_date", NULL, FT_DATE },
		{ "agreed_payment_date", NULL, FT_DATE },
		{ "agreed_delivery_location_id", NULL, FT_INT },
	};
	static const struct fmt_column address[] = {
		{ "address_id", NULL, FT_INT }, { "address_line_1", NULL, FT_TEXT },
		{ "address_line_2", NULL, FT_TEXT }, { "district", NULL, FT_TEXT },
		{ "city", NULL, FT_TEXT }, { "postal_code", NULL, FT_TEXT },
		{ "country", NULL, FT_TEXT }, { "phone", NULL, FT_TEXT },
		{ "created_at", NULL, FT_TIMESTAMP }, { "last_updated", NULL, FT_TIMESTAMP },
	};
	static const struct fmt_column staff[] = {
		{ "staff_id", NULL, FT_INT }, { "first_name", NULL, FT_TEXT },
		{ "last_name", NULL, FT_TEXT }, { "department_id", NULL, FT_INT },
		{ "email_address", NULL, FT_TEXT }, { "created_at", NULL, FT_TIMESTAMP },
		{ "last_updated", NULL, FT_TIMESTAMP },
	};
	static const struct fmt_column any_id[] = {
		{ "created_at", NULL, FT_TIMESTAMP }, { "last_updated", NULL, FT_TIMESTAMP },
	};
	static const struct {
		const char *table;
		const struct fmt_column *cols;
		size_t ncols;
	} tables[] = {
		{ "sales_order", sales_order, ARRAY_LEN(sales_order) },
		{ "address", address, ARRAY_LEN(address) },
		{ "staff", staff, ARRAY_LEN(staff) },
		{ "counterparty", any_id, ARRAY_LEN(any_id) },
		{ "currency", any_id, ARRAY_LEN(any_id) },
		{ "department", any_id, ARRAY_LEN(any_id) },
		{ "design", any_id, ARRAY_LEN(any_id) },
		{ "payment_type", any_id, ARRAY_LEN(any_id) },
	};
	const char *fixtures = getenv("SLUICE_FIXTURES");
	for (size_t t = 0; t < ARRAY_LEN(tables); t++) {
		char *path = xasprintf("%s/%s.json", fixtures ? fixtures : "../tests/data/totesys",
				       tables[t].table);
		struct fd_src src;
		struct fmt_reader *r = open_file(path, "ndjson", tables[t].table, tables[t].cols,
						 tables[t].ncols, 65536, &src);
		struct fmt_record rec;
		struct err e;
		enum fmt_status st;
		int n = 0;
		while ((st = fmt_reader_next(r, &rec, &e)) == FMT_RECORD) {
			n++;
			if (!strcmp(tables[t].table, "sales_order") && n == 1) {
				expect_value(&rec, "sales_order_id", "2", FK_NUMBER);
				expect_value(&rec, "created_at", "2022-11-03 14:20:52.186000", FK_STRING);
				expect_value(&rec, "unit_price", "3.94", FK_NUMBER);
				expect_value(&rec, "units_sold", "42972", FK_NUMBER);
				expect_value(&rec, "agreed_delivery_date", "2022-11-07", FK_STRING);
			}
			if (!strcmp(tables[t].table, "address") && n == 2) {
				expect_value(&rec, "address_line_2", NULL, FK_NULL);
				expect_value(&rec, "district", NULL, FK_NULL);
				expect_value(&rec, "postal_code", "99305-7380", FK_STRING);
			}
			if (!strcmp(tables[t].table, "staff") && n == 1)
				expect_value(&rec, "email_address", "jeremie.franey@terrifictotes.com",
					     FK_STRING);
		}
		ck_assert_msg(st == FMT_END, "%s: %s", tables[t].table, err_text(&e));
		ck_assert_int_eq(n, count_lines(path));
		fmt_reader_free(r);
		close(src.fd);
		free(path);
	}
}
END_TEST

/* ---- conversions -------------------------------------------------------------------- */

START_TEST(coerce_writes_one_canonical_form)
{
	static const struct {
		enum fmt_type type;
		enum fmt_kind kind;
		const char *in, *out;
	} ok[] = {
		{ FT_INT, FK_STRING, "007", "7" }, { FT_INT, FK_STRING, " +42 ", "42" },
		{ FT_INT, FK_STRING, "-0", "0" }, { FT_INT, FK_NUMBER, "-9223372036854775808",
						    "-9223372036854775808" },
		{ FT_NUMERIC, FK_NUMBER, "1.5e3", "1500" }, { FT_NUMERIC, FK_NUMBER, "1e-3", "0.001" },
		{ FT_NUMERIC, FK_STRING, "12.50", "12.50" }, { FT_NUMERIC, FK_STRING, ".5", "0.5" },
		{ FT_NUMERIC, FK_STRING, "-0.00", "0.00" }, { FT_NUMERIC, FK_NUMBER, "1.50e1", "15.0" },
		{ FT_NUMERIC, FK_STRING, "00012", "12" }, { FT_NUMERIC, FK_NUMBER, "-2.5E+2", "-250" },
		{ FT_BOOL, FK_STRING, "Yes", "t" }, { FT_BOOL, FK_STRING, "OFF", "f" },
		{ FT_BOOL, FK_BOOL, "true", "t" }, { FT_BOOL, FK_NUMBER, "0", "f" },
		{ FT_DATE, FK_STRING, "2024-02-29", "2024-02-29" },
		{ FT_TIME, FK_STRING, "14:20", "14:20:00.000000" },
		{ FT_TIME, FK_STRING, "14:20:52.1860004", "14:20:52.186000" },
		{ FT_TIMESTAMP, FK_STRING, "2022-11-03T14:20:52.186", "2022-11-03 14:20:52.186000" },
		{ FT_TIMESTAMP, FK_STRING, "2022-11-03 00:30:00+01:00", "2022-11-02 23:30:00.000000" },
		{ FT_TIMESTAMP, FK_STRING, "2022-12-31T23:59:59.9999996Z", "2023-01-01 00:00:00.000000" },
		{ FT_TIMESTAMP, FK_STRING, "2022-11-03T14:20:52-0530", "2022-11-03 19:50:52.000000" },
		{ FT_TIMESTAMP, FK_STRING, "2022-11-03", "2022-11-03 00:00:00.000000" },
		{ FT_JSON, FK_STRING, " { \"a\" : [1, 2.50] } ", "{\"a\":[1,2.50]}" },
		{ FT_JSON, FK_NUMBER, "1e5", "1e5" },
		{ FT_TEXT, FK_OBJECT, "{\"a\":1}", "{\"a\":1}" },
	};
	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		struct buf out = BUF_INIT;
		struct err e;
		int rc = fmt_coerce(ok[i].type, ok[i].kind, ok[i].in, strlen(ok[i].in), &out, &e);
		ck_assert_msg(rc == 0, "%s as %s: %s", ok[i].in, fmt_type_name(ok[i].type), e.msg);
		ck_assert_str_eq(buf_str(&out), ok[i].out);
		buf_free(&out);
	}
	static const struct {
		enum fmt_type type;
		enum fmt_kind kind;
		const char *in, *msg;
	} bad[] = {
		{ FT_INT, FK_STRING, "9223372036854775808",
		  "expected an integer in the 64-bit range, got \"9223372036854775808\"" },
		{ FT_INT, FK_STRING, "1,000", "expected an integer, got \"1,000\"" },
		{ FT_INT, FK_BOOL, "true", "expected an integer, got true" },
		{ FT_INT, FK_OBJECT, "{}", "expected an integer, got an object" },
		{ FT_NUMERIC, FK_STRING, "NaN", "expected a number, got \"NaN\"" },
		{ FT_NUMERIC, FK_NUMBER, "1e1001", "expected a number, got 1e1001 (exponent beyond 1000)" },
		{ FT_BOOL, FK_STRING, "maybe", "expected a boolean, got \"maybe\"" },
		{ FT_DATE, FK_STRING, "2023-02-29", "expected a date (YYYY-MM-DD), got \"2023-02-29\"" },
		{ FT_DATE, FK_NUMBER, "20230228", "expected a date (YYYY-MM-DD), got 20230228" },
		{ FT_TIME, FK_STRING, "24:00", "expected a time (HH:MM[:SS[.ffffff]]), got \"24:00\"" },
		{ FT_TIMESTAMP, FK_STRING, "2022-11-03T25:00",
		  "expected a timestamp (YYYY-MM-DD HH:MM[:SS[.ffffff]][zone]), got \"2022-11-03T25:00\"" },
		{ FT_TIMESTAMP, FK_STRING, "2022-11-03 10:00 CET",
		  "expected a timestamp (YYYY-MM-DD HH:MM[:SS[.ffffff]][zone]), got \"2022-11-03 10:00 CET\"" },
		{ FT_JSON, FK_STRING, "{bad", "expected JSON, got \"{bad\" (1:2: expected a key in "
		  "double quotes, got \"b\")" },
		{ FT_INT, FK_STRING,
		  "1234567890123456789012345678901234567890123456789012345678901234567890",
		  "expected an integer in the 64-bit range, got "
		  "\"123456789012345678901234567890123456789012345678901234567890...\"" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct buf out = BUF_INIT;
		buf_puts(&out, "kept:");
		struct err e;
		ck_assert_int_eq(fmt_coerce(bad[i].type, bad[i].kind, bad[i].in, strlen(bad[i].in),
					    &out, &e), -1);
		ck_assert_int_eq(e.code, ERR_PARSE);
		ck_assert_str_eq(e.msg, bad[i].msg);
		ck_assert_str_eq(buf_str(&out), "kept:");
		buf_free(&out);
	}
	enum fmt_type t;
	ck_assert(fmt_type_parse("timestamp", &t) && t == FT_TIMESTAMP);
	ck_assert(!fmt_type_parse("integer", &t));
	ck_assert_str_eq(fmt_type_name(FT_NUMERIC), "numeric");
}
END_TEST

/* ---- huge records and failing input ------------------------------------------------------ */

struct gen_src {
	const char *head, *tail;
	size_t hlen, tlen;
	char fill;
	size_t fill_len;
	size_t pos;
};

static ssize_t gen_read(void *arg, void *buf, size_t n, struct err *e UNUSED)
{
	struct gen_src *g = arg;
	size_t total = g->hlen + g->fill_len + g->tlen, done = 0;
	char *out = buf;
	while (done < n && g->pos < total) {
		if (g->pos < g->hlen) {
			out[done++] = g->head[g->pos++];
		} else if (g->pos < g->hlen + g->fill_len) {
			size_t left = g->hlen + g->fill_len - g->pos;
			size_t take = left < n - done ? left : n - done;
			memset(out + done, g->fill, take);
			done += take;
			g->pos += take;
		} else {
			out[done++] = g->tail[g->pos++ - g->hlen - g->fill_len];
		}
	}
	return (ssize_t)done;
}

static struct fmt_reader *gen_reader(struct gen_src *g, enum fmt_format f, size_t max)
{
	struct fmt_reader_opts o = { .format = f, .source = "huge", .max_record = max };
	return fmt_reader_new(&o, gen_read, g, NULL);
}

START_TEST(huge_fields_stop_at_the_limit)
{
	size_t huge = FMT_MAX_RECORD + 1024;
	struct fmt_record rec;
	struct err e;

	/* NDJSON: the record is refused and the next line still loads. */
	struct gen_src g = { "{\"payload\":\"", "\"}\n{\"id\":2}\n", 12, 12, 'x', huge, 0 };
	struct fmt_reader *r = gen_reader(&g, FMT_NDJSON, 0);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_BAD_RECORD);
	ck_assert_str_eq(e.where, "huge:1:1");
	ck_assert_str_eq(e.msg, "record is larger than the limit of 64 MiB");
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_RECORD);
	ck_assert_int_eq(rec.line, 2);
	expect_value(&rec, "id", "2", FK_NUMBER);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_END);
	fmt_reader_free(r);

	/* CSV: the same, scanning the quoted giant to its end. */
	struct gen_src c = { "id,payload\n1,\"", "\"\n2,small\n", 14, 10, 'y', huge, 0 };
	r = gen_reader(&c, FMT_CSV, 0);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_BAD_RECORD);
	ck_assert_str_eq(e.where, "huge:2:1");
	ck_assert_str_eq(e.msg, "record is larger than the limit of 64 MiB");
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_RECORD);
	expect_value(&rec, "payload", "small", FK_STRING);
	fmt_reader_free(r);

	/* JSON: no safe place to resume, so the file stops there. */
	struct gen_src j = { "[{\"id\":1},{\"payload\":\"", "\"}]", 22, 3, 'z', huge, 0 };
	r = gen_reader(&j, FMT_JSON, 0);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_RECORD);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_FATAL);
	ck_assert_str_eq(e.where, "huge:1:11");
	ck_assert_str_eq(e.msg, "record is larger than the limit of 64 MiB");
	fmt_reader_free(r);

	/* Just under the limit loads whole: the limit counts the line end. */
	size_t fill = FMT_MAX_RECORD - 15;
	struct gen_src fits = { "{\"payload\":\"", "\"}\n", 12, 3, 'w', fill, 0 };
	r = gen_reader(&fits, FMT_NDJSON, 0);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_RECORD);
	ck_assert_uint_eq(rec.fields[0].len, fill);
	ck_assert_int_eq(rec.fields[0].value[fill - 1], 'w');
	fmt_reader_free(r);
	fits.pos = 0;
	fits.fill_len = fill + 1;
	r = gen_reader(&fits, FMT_NDJSON, 0);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_BAD_RECORD);
	fmt_reader_free(r);

	/* A smaller limit, exactly. */
	struct gen_src small = { "a,b\n\"", "\",1\n", 5, 4, 'v', 1000, 0 };
	r = gen_reader(&small, FMT_CSV, 1000 + 5);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_RECORD);
	fmt_reader_free(r);
	small.pos = 0;
	r = gen_reader(&small, FMT_CSV, 1000 + 4);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_BAD_RECORD);
	ck_assert_str_eq(e.msg, "record is larger than the limit of 1004 bytes");
	fmt_reader_free(r);
}
END_TEST

static ssize_t failing_read(void *arg, void *buf, size_t n, struct err *e)
{
	int *calls = arg;
	if ((*calls)++ == 0) {
		const char *part = "{\"id\":1}\n{\"id\":";
		size_t len = strlen(part) < n ? strlen(part) : n;
		memcpy(buf, part, len);
		return (ssize_t)len;
	}
	err_set(e, ERR_TIMEOUT, "GET s3://b/k: timed out");
	return -1;
}

START_TEST(input_failure_is_fatal_with_its_own_error)
{
	int calls = 0;
	struct fmt_reader_opts o = { .format = FMT_NDJSON, .source = "k" };
	struct fmt_reader *r = fmt_reader_new(&o, failing_read, &calls, NULL);
	struct fmt_record rec;
	struct err e;
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_RECORD);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_FATAL);
	ck_assert_int_eq(e.code, ERR_TIMEOUT);
	ck_assert_str_eq(e.msg, "GET s3://b/k: timed out");
	ck_assert_int_eq(fmt_reader_error(r)->line, 0);
	ck_assert(fmt_reader_error(r)->fatal);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_FATAL);
	ck_assert_int_eq(calls, 2);
	fmt_reader_free(r);

	struct err oe;
	o.format = FMT_CSV;
	o.delimiter = '"';
	ck_assert_ptr_null(fmt_reader_new(&o, failing_read, &calls, &oe));
	ck_assert_str_eq(oe.msg, "a CSV delimiter cannot be a quote, a line break or a non-ASCII byte");
	struct fmt_column twice[] = { { "a", NULL, FT_INT }, { "a", "b", FT_TEXT } };
	o.delimiter = 0;
	o.columns = twice;
	o.ncolumns = 2;
	ck_assert_ptr_null(fmt_reader_new(&o, failing_read, &calls, &oe));
	ck_assert_str_eq(oe.msg, "column \"a\" is declared twice");
}
END_TEST

/* ---- JSON helpers ---------------------------------------------------------------------- */

START_TEST(json_parse_keeps_numbers_as_written)
{
	const char *text = "{\"big\": 12345678901234567890, \"price\": 3.940, \"e\": 1E+2,\n"
			   " \"s\": \"\\u00e9\\n\", \"n\": [true, null]}";
	struct err e;
	cJSON *doc = fmt_json_parse(text, strlen(text), "doc", &e);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "big")->valuestring, "12345678901234567890");
	ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(doc, "price")));
	ck_assert(cJSON_GetObjectItem(doc, "price")->valuedouble == 3.94);
	struct buf out = BUF_INIT;
	fmt_json_write(&out, doc);
	ck_assert_str_eq(buf_str(&out), "{\"big\":12345678901234567890,\"price\":3.940,\"e\":1E+2,"
			 "\"s\":\"\xc3\xa9\\n\",\"n\":[true,null]}");
	buf_free(&out);
	cJSON_Delete(doc);

	ck_assert_ptr_null(fmt_json_parse("{\"a\": 1,\n \"b\": }", 16, "doc", &e));
	ck_assert_str_eq(e.where, "doc:2:7");
	ck_assert_str_eq(e.msg, "column \"b\": expected a value, got \"}\"");
	ck_assert_ptr_null(fmt_json_parse("[1] 2", 5, NULL, &e));
	ck_assert_str_eq(err_text(&e), "1:5: unexpected \"2\" after the document");
	ck_assert_ptr_null(fmt_json_parse("  ", 2, "x", &e));
	ck_assert_str_eq(err_text(&e), "x:1:3: empty document");
}
END_TEST

/* ---- writers --------------------------------------------------------------------------------- */

static int to_buf(void *arg, const void *data, size_t n, struct err *e UNUSED)
{
	buf_append(arg, data, n);
	return 0;
}

static const struct fmt_field rows[][4] = {
	{ { "id", "1", 1, FK_NUMBER }, { "name", "plain", 5, FK_STRING },
	  { "note", NULL, 0, FK_NULL }, { "ok", "t", 1, FK_BOOL } },
	{ { "id", "2", 1, FK_NUMBER }, { "name", "", 0, FK_STRING },
	  { "note", "a,b \"q\"\nnext", 12, FK_STRING }, { "ok", "false", 5, FK_BOOL } },
	{ { "id", "-3.5", 4, FK_NUMBER }, { "name", "Z\xc3\xbcrich", 7, FK_STRING },
	  { "note", "[1,{\"x\":null}]", 14, FK_ARRAY }, { "ok", NULL, 0, FK_NULL } },
};

static char *write_rows(enum fmt_format f, bool crlf)
{
	struct buf out = BUF_INIT;
	struct fmt_writer_opts o = { .format = f, .crlf = crlf };
	struct err e;
	struct fmt_writer *w = fmt_writer_new(&o, to_buf, &out, &e);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++)
		ck_assert_msg(fmt_writer_row(w, rows[i], 4, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(fmt_writer_finish(w, &e), 0);
	fmt_writer_free(w);
	if (!out.data)
		buf_puts(&out, "");
	return buf_detach(&out);
}

static void read_back(const char *text, enum fmt_format f)
{
	struct mem_src m = { text, strlen(text) };
	struct fmt_reader_opts o = { .format = f, .source = "written", .chunk = 3 };
	struct fmt_reader *r = fmt_reader_new(&o, mem_read, &m, NULL);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct fmt_record rec;
		expect_next(r, &rec);
		ck_assert_int_eq(rec.nfields, 4);
		for (size_t k = 0; k < 4; k++) {
			const struct fmt_field *want = &rows[i][k];
			enum fmt_kind kind = want->kind;
			if (f == FMT_CSV)
				kind = want->value ? FK_STRING : FK_NULL;
			const char *value = want->value;
			if (f != FMT_CSV && kind == FK_BOOL)
				value = value[0] == 't' ? "true" : "false";
			expect_value(&rec, want->name, value, kind);
		}
	}
	expect_end(r);
	fmt_reader_free(r);
}

START_TEST(writers_round_trip_through_readers)
{
	char *csv = write_rows(FMT_CSV, false);
	ck_assert_str_eq(csv, "id,name,note,ok\n"
			 "1,plain,,t\n"
			 "2,\"\",\"a,b \"\"q\"\"\nnext\",false\n"
			 "-3.5,Z\xc3\xbcrich,\"[1,{\"\"x\"\":null}]\",\n");
	read_back(csv, FMT_CSV);
	free(csv);
	csv = write_rows(FMT_CSV, true);
	ck_assert(str_starts_with(csv, "id,name,note,ok\r\n1,plain,,t\r\n"));
	read_back(csv, FMT_CSV);
	free(csv);

	char *nd = write_rows(FMT_NDJSON, false);
	ck_assert_str_eq(nd, "{\"id\":1,\"name\":\"plain\",\"note\":null,\"ok\":true}\n"
			 "{\"id\":2,\"name\":\"\",\"note\":\"a,b \\\"q\\\"\\nnext\",\"ok\":false}\n"
			 "{\"id\":-3.5,\"name\":\"Z\xc3\xbcrich\",\"note\":[1,{\"x\":null}],\"ok\":null}\n");
	read_back(nd, FMT_NDJSON);
	free(nd);
	char *js = write_rows(FMT_JSON, false);
	ck_assert(str_starts_with(js, "[\n{\"id\":1,"));
	ck_assert(str_ends_with(js, "\"ok\":null}\n]\n"));
	read_back(js, FMT_JSON);
	free(js);
}
END_TEST

START_TEST(writers_refuse_what_they_cannot_write)
{
	struct buf out = BUF_INIT;
	struct err e;
	struct fmt_writer_opts o = { .format = FMT_CSV, .delimiter = ';' };
	struct fmt_writer *w = fmt_writer_new(&o, to_buf, &out, &e);
	const char *names[] = { "id", "label" };
	ck_assert_int_eq(fmt_writer_columns(w, names, 2, &e), 0);
	ck_assert_int_eq(fmt_writer_finish(w, &e), 0);
	ck_assert_str_eq(buf_str(&out), "id;label\n");    /* zero rows, header kept */
	fmt_writer_free(w);

	buf_reset(&out);
	o.format = FMT_NDJSON;
	w = fmt_writer_new(&o, to_buf, &out, &e);
	struct fmt_field nan[] = { { "x", "NaN", 3, FK_NUMBER } };
	ck_assert_int_eq(fmt_writer_row(w, nan, 1, &e), -1);
	ck_assert_str_eq(e.msg, "column \"x\": \"NaN\" is not a JSON number");
	struct fmt_field bad[] = { { "x", "caf\xc3", 4, FK_STRING } };
	ck_assert_int_eq(fmt_writer_row(w, bad, 1, &e), -1);
	ck_assert_str_eq(e.msg, "row 1, column \"x\": not valid UTF-8");
	struct fmt_field two[] = { { "x", "1", 1, FK_NUMBER }, { "y", "2", 1, FK_NUMBER } };
	ck_assert_int_eq(fmt_writer_row(w, two, 2, &e), -1);
	ck_assert_str_eq(e.msg, "row 1 has 2 fields; the columns are 1");
	ck_assert_int_eq(fmt_writer_finish(w, &e), 0);
	ck_assert_str_eq(buf_str(&out), "");
	fmt_writer_free(w);

	buf_reset(&out);
	o.format = FMT_JSON;
	w = fmt_writer_new(&o, to_buf, &out, &e);
	ck_assert_int_eq(fmt_writer_finish(w, &e), 0);
	ck_assert_str_eq(buf_str(&out), "[]\n");
	fmt_writer_free(w);
	buf_free(&out);
}
END_TEST

START_TEST(one_column_csv_keeps_its_nulls)
{
	struct buf out = BUF_INIT;
	struct err e;
	struct fmt_writer_opts o = { .format = FMT_CSV };
	struct fmt_writer *w = fmt_writer_new(&o, to_buf, &out, &e);
	struct fmt_field a[] = { { "v", "x", 1, FK_STRING } }, n[] = { { "v", NULL, 0, FK_NULL } };
	fmt_writer_row(w, a, 1, &e);
	fmt_writer_row(w, n, 1, &e);
	fmt_writer_row(w, a, 1, &e);
	fmt_writer_finish(w, &e);
	fmt_writer_free(w);
	ck_assert_str_eq(buf_str(&out), "v\nx\n\nx\n");
	struct mem_src m = { out.data, out.len };
	struct fmt_reader_opts ro = { .format = FMT_CSV, .source = "one" };
	struct fmt_reader *r = fmt_reader_new(&ro, mem_read, &m, NULL);
	struct fmt_record rec;
	expect_next(r, &rec);
	expect_value(&rec, "v", "x", FK_STRING);
	expect_next(r, &rec);
	expect_value(&rec, "v", NULL, FK_NULL);
	expect_next(r, &rec);
	expect_end(r);
	fmt_reader_free(r);
	buf_free(&out);
}
END_TEST

/* ---- gzip ------------------------------------------------------------------------------------ */

/* The rows written as gzip NDJSON (the writer's own compression). */
static struct buf gzip_rows(void)
{
	struct buf out = BUF_INIT;
	struct fmt_writer_opts o = { .format = FMT_NDJSON, .compression = FMT_COMPRESSION_GZIP };
	struct err e;
	struct fmt_writer *w = fmt_writer_new(&o, to_buf, &out, &e);
	ck_assert_ptr_nonnull(w);
	for (int k = 0; k < 500; k++)
		for (size_t i = 0; i < ARRAY_LEN(rows); i++)
			ck_assert_msg(fmt_writer_row(w, rows[i], 4, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(fmt_writer_finish(w, &e), 0);
	fmt_writer_free(w);
	return out;
}

/* Read bytes as NDJSON in chunks of `chunk`: the status that ended it, the
 * records read, the last error. */
static enum fmt_status read_gz(const void *p, size_t len, size_t chunk,
			       enum fmt_compression c, long *records, struct err *e)
{
	struct mem_src m = { p, len };
	struct fmt_reader_opts o = { .format = FMT_NDJSON, .source = "t.ndjson.gz",
				     .chunk = chunk, .compression = c };
	struct fmt_reader *r = fmt_reader_new(&o, mem_read, &m, e);
	ck_assert_ptr_nonnull(r);
	struct fmt_record rec;
	enum fmt_status st;
	*records = 0;
	while ((st = fmt_reader_next(r, &rec, e)) == FMT_RECORD || st == FMT_BAD_RECORD)
		(*records)++;
	fmt_reader_free(r);
	return st;
}

START_TEST(gzip_is_read_whole_or_refused)
{
	struct buf gz = gzip_rows();
	ck_assert_uint_gt(gz.len, 2);
	ck_assert_msg((unsigned char)gz.data[0] == 0x1f && (unsigned char)gz.data[1] == 0x8b,
		      "the writer writes gzip");
	long n;
	struct err e;
	size_t chunks[] = { 1, 7, 65536 };
	for (size_t i = 0; i < ARRAY_LEN(chunks); i++) {
		ck_assert_int_eq(read_gz(gz.data, gz.len, chunks[i], FMT_COMPRESSION_AUTO, &n, &e),
				 FMT_END);
		ck_assert_int_eq(n, 1500);
	}
	/* Two members one after the other, as `cat a.gz b.gz` makes, are one
	 * text. */
	struct buf two = BUF_INIT;
	buf_append(&two, gz.data, gz.len);
	buf_append(&two, gz.data, gz.len);
	ck_assert_int_eq(read_gz(two.data, two.len, 4096, FMT_COMPRESSION_GZIP, &n, &e),
			 FMT_END);
	ck_assert_int_eq(n, 3000);
	/* Something else after the end of the gzip data is refused. */
	buf_append(&two, "junk", 4);
	ck_assert_int_eq(read_gz(two.data, two.len, 4096, FMT_COMPRESSION_GZIP, &n, &e),
			 FMT_FATAL);
	ck_assert_msg(strstr(e.msg, "not gzip after the end") != NULL, "%s", e.msg);
	/* Every cut short of the end is an error, never a quiet end. */
	for (size_t cut = 0; cut < gz.len; cut += cut < 64 ? 1 : 97) {
		enum fmt_status st = read_gz(gz.data, cut, 512, FMT_COMPRESSION_GZIP, &n, &e);
		ck_assert_msg(st == FMT_FATAL, "cut at %zu of %zu: status %d after %ld records",
			      cut, gz.len, st, n);
	}
	enum fmt_status st = read_gz(gz.data, gz.len - 3, 512, FMT_COMPRESSION_AUTO, &n, &e);
	ck_assert_int_eq(st, FMT_FATAL);
	ck_assert_msg(strstr(e.msg, "the gzip data ends early") != NULL, "%s", e.msg);
	/* A byte changed: in the CRC, in the data (where it may also break the
	 * structure, which then looks cut short). */
	struct buf bad = BUF_INIT;
	buf_append(&bad, gz.data, gz.len);
	bad.data[gz.len - 6] ^= 0x55;
	st = read_gz(bad.data, bad.len, 512, FMT_COMPRESSION_AUTO, &n, &e);
	ck_assert_int_eq(st, FMT_FATAL);
	ck_assert_msg(strstr(e.msg, "corrupt gzip data") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "incorrect data check") != NULL, "%s", e.msg);
	for (size_t at = 10; at < gz.len - 8; at += 13) {
		bad.data[gz.len - 6] = gz.data[gz.len - 6];
		bad.data[at] ^= 0x55;
		st = read_gz(bad.data, bad.len, 512, FMT_COMPRESSION_AUTO, &n, &e);
		ck_assert_msg(st == FMT_FATAL, "byte %zu changed: status %d", at, st);
		bad.data[at] = gz.data[at];
	}
	/* A name that says gzip on bytes that are not. */
	const char *plain = "{\"id\": 1}\n";
	st = read_gz(plain, strlen(plain), 512, FMT_COMPRESSION_GZIP, &n, &e);
	ck_assert_int_eq(st, FMT_FATAL);
	ck_assert_msg(strstr(e.msg, "not gzip data") != NULL, "%s", e.msg);
	ck_assert_int_eq(read_gz(plain, strlen(plain), 3, FMT_COMPRESSION_AUTO, &n, &e), FMT_END);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(fmt_compression_of_name("a/b.csv.gz"), FMT_COMPRESSION_GZIP);
	ck_assert_int_eq(fmt_compression_of_name("a/b.csv"), FMT_COMPRESSION_AUTO);
	buf_free(&bad);
	buf_free(&two);
	buf_free(&gz);
}
END_TEST

/* Positions in errors are positions in the decompressed text. */
START_TEST(gzip_errors_point_into_the_text)
{
	struct buf gz = BUF_INIT;
	struct fmt_writer_opts wo = { .format = FMT_CSV, .compression = FMT_COMPRESSION_GZIP };
	struct err e;
	struct fmt_writer *w = fmt_writer_new(&wo, to_buf, &gz, &e);
	/* the writer compresses what it is given: feed the text as rows */
	const char *ids[] = { "1", "3", "5" }, *ns[] = { "2", "4", "x" };
	for (int i = 0; i < 3; i++) {
		struct fmt_field f[2] = { { "id", ids[i], 1, FK_NUMBER },
					  { "n", ns[i], 1, FK_STRING } };
		ck_assert_int_eq(fmt_writer_row(w, f, 2, &e), 0);
	}
	ck_assert_int_eq(fmt_writer_finish(w, &e), 0);
	fmt_writer_free(w);
	struct fmt_column cols[] = { { "id", NULL, FT_INT }, { "n", NULL, FT_INT } };
	struct mem_src m = { gz.data, gz.len };
	struct fmt_reader_opts o = { .format = FMT_CSV, .source = "t.csv.gz", .columns = cols,
				     .ncolumns = 2, .compression = FMT_COMPRESSION_GZIP };
	struct fmt_reader *r = fmt_reader_new(&o, mem_read, &m, &e);
	struct fmt_record rec;
	expect_next(r, &rec);
	expect_next(r, &rec);
	ck_assert_int_eq(fmt_reader_next(r, &rec, &e), FMT_BAD_RECORD);
	ck_assert_str_eq(e.where, "t.csv.gz:4:3");
	ck_assert_int_eq(fmt_reader_error(r)->line, 4);
	expect_end(r);
	fmt_reader_free(r);
	buf_free(&gz);
}
END_TEST

/* ---- normalize ------------------------------------------------------------------------------- */

struct collected {
	struct buf text;
	int rows;
	int stop_after;
};

static int collect(void *arg, const struct fmt_field *f, size_t n, struct err *e)
{
	struct collected *c = arg;
	if (c->stop_after && c->rows == c->stop_after)
		return err_set(e, ERR_DB, "insert failed");
	c->rows++;
	for (size_t i = 0; i < n; i++)
		buf_printf(&c->text, "%s%s=%s", i ? " " : "", f[i].name,
			   f[i].value ? f[i].value : "NULL");
	buf_putc(&c->text, '\n');
	return 0;
}

static const struct fmt_norm_column items[] = {
	{ "order_id", "order_id", FT_INT },
	{ "city", "customer.city", FT_TEXT },
	{ "sku", "products[].sku", FT_TEXT },
	{ "quantity", "products[].quantity", FT_INT },
	{ "price", "products[].price", FT_NUMERIC },
};

static long normalize_text(const char *json, struct collected *c, struct err *e)
{
	struct err pe;
	cJSON *doc = fmt_json_parse(json, strlen(json), "orders.ndjson", &pe);
	ck_assert_msg(doc != NULL, "%s", err_text(&pe));
	struct fmt_norm *n = fmt_norm_new(items, ARRAY_LEN(items), e);
	ck_assert_ptr_nonnull(n);
	long nrows = fmt_normalize(n, doc, "orders.ndjson", 7, collect, c, e);
	fmt_norm_free(n);
	cJSON_Delete(doc);
	return nrows;
}

START_TEST(normalize_flattens_one_array)
{
	struct collected c = { BUF_INIT, 0, 0 };
	struct err e;
	/* The orders file itself, record by record. */
	struct fd_src src;
	struct fmt_reader *r = open_good("orders.ndjson", "ndjson", NULL, 0, &src);
	struct fmt_norm *n = fmt_norm_new(items, ARRAY_LEN(items), &e);
	struct fmt_record rec;
	long total = 0;
	while (fmt_reader_next(r, &rec, &e) == FMT_RECORD)
		total += fmt_normalize(n, fmt_reader_json(r), "orders.ndjson", rec.line, collect,
				       &c, &e);
	ck_assert_int_eq(total, 3);
	ck_assert_str_eq(buf_str(&c.text),
			 "order_id=1001 city=London sku=TOTE-RED quantity=2 price=19.95\n"
			 "order_id=1001 city=London sku=TOTE-BLUE quantity=1 price=20.00\n"
			 "order_id=1002 city=New York sku=BAG-\xc3\xa9t\xc3\xa9 quantity=5 price=2.50\n");
	fmt_norm_free(n);
	fmt_reader_free(r);
	close(src.fd);

	/* Missing or null arrays give no rows; missing keys give NULLs. */
	buf_reset(&c.text);
	ck_assert_int_eq(normalize_text("{\"order_id\": 5}", &c, &e), 0);
	ck_assert_int_eq(normalize_text("{\"order_id\": 5, \"products\": null}", &c, &e), 0);
	ck_assert_int_eq(normalize_text("{\"order_id\": 6, \"products\": [{\"sku\": \"A\"}]}", &c, &e), 1);
	ck_assert_str_eq(buf_str(&c.text), "order_id=6 city=NULL sku=A quantity=NULL price=NULL\n");

	/* Wrong shapes and types name the column, the path and the document. */
	ck_assert_int_eq(normalize_text("{\"order_id\": 7, \"products\": {\"sku\": \"A\"}}", &c, &e), -1);
	ck_assert_str_eq(e.where, "orders.ndjson:7");
	ck_assert_str_eq(e.msg, "column \"sku\" (products[].sku): expected an array at "
			 "\"products\", got an object");
	c.rows = 0;
	buf_reset(&c.text);
	ck_assert_int_eq(normalize_text("{\"order_id\": 8, \"products\": [{\"sku\": \"A\", "
					"\"quantity\": 1}, {\"sku\": \"B\", \"quantity\": 1}, "
					"{\"sku\": \"C\", \"quantity\": \"x\"}]}", &c, &e), -1);
	ck_assert_str_eq(e.msg, "column \"quantity\" (products[2].quantity): expected an "
			 "integer, got \"x\"");
	ck_assert_int_eq(c.rows, 0);    /* all or nothing */
	ck_assert_int_eq(normalize_text("{\"order_id\": 9, \"customer\": \"Bob\", "
					"\"products\": [{}]}", &c, &e), -1);
	ck_assert_str_eq(e.msg, "column \"city\" (customer.city): expected an object at "
			 "\"customer\", got a string");
	ck_assert_int_eq(normalize_text("{\"order_id\": 9, \"products\": [\"A\"]}", &c, &e), -1);
	ck_assert_str_eq(e.msg, "column \"sku\" (products[].sku): expected an object at "
			 "\"products[0]\", got a string");

	/* The callback's error stops it. */
	c.stop_after = 1;
	c.rows = 0;
	ck_assert_int_eq(normalize_text("{\"order_id\": 1, \"products\": [{}, {}]}", &c, &e), -1);
	ck_assert_str_eq(e.msg, "insert failed");
	buf_free(&c.text);
}
END_TEST

/* items[].tags[]: one row per tag of each item, with the item's and the
 * order's fields; outer keeps an order without items, and an item without
 * tags, as one row with NULLs (issue 14). */
START_TEST(normalize_nested_and_outer)
{
	struct err e;
	struct fmt_norm_column cols[] = {
		{ "order_id", "id", FT_INT }, { "sku", "items[].sku", FT_TEXT },
		{ "tag", "items[].tags[]", FT_TEXT },
	};
	const char *text = "{\"id\": 1, \"items\": [{\"sku\": \"A\", \"tags\": [\"x\", \"y\"]},"
			   " {\"sku\": \"B\", \"tags\": []}, {\"sku\": \"C\"},"
			   " {\"sku\": \"D\", \"tags\": [\"z\"]}]}";
	const char *bare = "{\"id\": 2}";
	const char *empty = "{\"id\": 3, \"items\": []}";
	cJSON *doc = fmt_json_parse(text, strlen(text), NULL, &e);
	cJSON *bdoc = fmt_json_parse(bare, strlen(bare), NULL, &e);
	cJSON *edoc = fmt_json_parse(empty, strlen(empty), NULL, &e);
	struct fmt_norm *n = fmt_norm_new(cols, 3, &e);
	ck_assert_msg(n != NULL, "%s", e.msg);
	struct collected c = { BUF_INIT, 0, 0 };
	ck_assert_int_eq(fmt_normalize(n, doc, "t", 1, collect, &c, &e), 3);
	ck_assert_int_eq(fmt_normalize(n, bdoc, "t", 2, collect, &c, &e), 0);
	ck_assert_int_eq(fmt_normalize(n, edoc, "t", 3, collect, &c, &e), 0);
	ck_assert_str_eq(buf_str(&c.text), "order_id=1 sku=A tag=x\norder_id=1 sku=A tag=y\n"
			 "order_id=1 sku=D tag=z\n");
	fmt_norm_set_outer(n, true);
	buf_reset(&c.text);
	ck_assert_int_eq(fmt_normalize(n, doc, "t", 1, collect, &c, &e), 5);
	ck_assert_int_eq(fmt_normalize(n, bdoc, "t", 2, collect, &c, &e), 1);
	ck_assert_int_eq(fmt_normalize(n, edoc, "t", 3, collect, &c, &e), 1);
	ck_assert_str_eq(buf_str(&c.text), "order_id=1 sku=A tag=x\norder_id=1 sku=A tag=y\n"
			 "order_id=1 sku=B tag=NULL\norder_id=1 sku=C tag=NULL\n"
			 "order_id=1 sku=D tag=z\norder_id=2 sku=NULL tag=NULL\n"
			 "order_id=3 sku=NULL tag=NULL\n");
	/* an error deep in the chain names the elements it went through */
	const char *bad = "{\"id\": 4, \"items\": [{\"sku\": \"A\", \"tags\": [\"x\"]},"
			  " {\"sku\": \"B\", \"tags\": 7}]}";
	cJSON *xdoc = fmt_json_parse(bad, strlen(bad), NULL, &e);
	ck_assert_int_eq(fmt_normalize(n, xdoc, "t", 9, collect, &c, &e), -1);
	ck_assert_str_eq(e.where, "t:9");
	ck_assert_str_eq(e.msg, "column \"tag\" (items[].tags[]): expected an array at "
			 "\"items[1].tags\", got a number");
	cJSON_Delete(doc);
	cJSON_Delete(bdoc);
	cJSON_Delete(edoc);
	cJSON_Delete(xdoc);
	fmt_norm_free(n);
	buf_free(&c.text);
}
END_TEST

START_TEST(normalize_specs_are_checked)
{
	struct err e;
	struct fmt_norm_column two_arrays[] = {
		{ "sku", "products[].sku", FT_TEXT }, { "amount", "payments[].amount", FT_NUMERIC },
	};
	ck_assert_ptr_null(fmt_norm_new(two_arrays, 2, &e));
	ck_assert_str_eq(e.msg, "column \"amount\": path \"payments[].amount\" goes through "
			 "payments[], but column \"sku\" goes through products[]; all columns "
			 "must follow one chain of arrays");
	/* Nested arrays are one chain; a column off it, or too deep, is refused. */
	struct fmt_norm_column nested[] = { { "x", "a[].b[].c", FT_TEXT }, { "y", "a[].d", FT_TEXT } };
	struct fmt_norm *ok = fmt_norm_new(nested, 2, &e);
	ck_assert_msg(ok != NULL, "%s", e.msg);
	fmt_norm_free(ok);
	struct fmt_norm_column off_chain[] = { { "x", "a[].b[].c", FT_TEXT }, { "y", "a[].e[]", FT_TEXT } };
	ck_assert_ptr_null(fmt_norm_new(off_chain, 2, &e));
	ck_assert_str_eq(e.msg, "column \"y\": path \"a[].e[]\" goes through a[].e[], but column "
			 "\"x\" goes through a[].b[]; all columns must follow one chain of arrays");
	struct fmt_norm_column deep[] = { { "x", "a[].b[].c[].d[].e[].f[].g[].h[].i[]", FT_TEXT } };
	ck_assert_ptr_null(fmt_norm_new(deep, 1, &e));
	ck_assert_str_eq(e.msg, "column \"x\": path \"a[].b[].c[].d[].e[].f[].g[].h[].i[]\" goes "
			 "through more than 8 arrays");
	struct fmt_norm_column empty[] = { { "x", "a..b", FT_TEXT } };
	ck_assert_ptr_null(fmt_norm_new(empty, 1, &e));
	ck_assert_str_eq(e.msg, "column \"x\": path \"a..b\" has an empty segment");
	struct fmt_norm_column index[] = { { "x", "a[0].b", FT_TEXT } };
	ck_assert_ptr_null(fmt_norm_new(index, 1, &e));
	ck_assert_str_eq(e.msg, "column \"x\": path \"a[0].b\": only \"[]\" may follow a key "
			 "(no indexes)");

	/* No array: one row.  An array of scalars: one row per element. */
	struct fmt_norm_column tags[] = {
		{ "id", "id", FT_INT }, { "tag", "tags[]", FT_TEXT }, { "doc", "meta", FT_JSON },
	};
	struct fmt_norm *n = fmt_norm_new(tags, 3, &e);
	const char *text = "{\"id\": \"12\", \"tags\": [\"a\", 2, {\"k\":1}], \"meta\": {\"v\": 1.50}}";
	cJSON *doc = fmt_json_parse(text, strlen(text), NULL, &e);
	struct collected c = { BUF_INIT, 0, 0 };
	ck_assert_int_eq(fmt_normalize(n, doc, "t", 1, collect, &c, &e), 3);
	ck_assert_str_eq(buf_str(&c.text), "id=12 tag=a doc={\"v\":1.50}\n"
			 "id=12 tag=2 doc={\"v\":1.50}\n"
			 "id=12 tag={\"k\":1} doc={\"v\":1.50}\n");
	fmt_norm_free(n);
	struct fmt_norm_column flat[] = { { "id", "id", FT_INT } };
	n = fmt_norm_new(flat, 1, &e);
	buf_reset(&c.text);
	ck_assert_int_eq(fmt_normalize(n, doc, "t", 1, collect, &c, &e), 1);
	ck_assert_str_eq(buf_str(&c.text), "id=12\n");
	fmt_norm_free(n);
	cJSON_Delete(doc);
	buf_free(&c.text);
}
END_TEST

static Suite *format_suite(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("format");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, corpus_gives_exactly_the_expected_errors);
	tcase_add_test(tc, corpus_in_the_wrong_format_still_ends_cleanly);
	tcase_add_test(tc, ndjson_and_json_give_the_same_orders);
	tcase_add_test(tc, typed_columns_give_canonical_values);
	tcase_add_test(tc, csv_follows_rfc4180);
	tcase_add_test(tc, bom_is_skipped_and_unicode_kept);
	tcase_add_test(tc, json_reads_one_document_or_several);
	tcase_add_test(tc, readers_pull_from_a_lake_reader);
	tcase_add_test(tc, totesys_rows_load_with_types);
	tcase_add_test(tc, coerce_writes_one_canonical_form);
	tcase_add_test(tc, huge_fields_stop_at_the_limit);
	tcase_add_test(tc, input_failure_is_fatal_with_its_own_error);
	tcase_add_test(tc, json_parse_keeps_numbers_as_written);
	tcase_add_test(tc, writers_round_trip_through_readers);
	tcase_add_test(tc, writers_refuse_what_they_cannot_write);
	tcase_add_test(tc, one_column_csv_keeps_its_nulls);
	tcase_add_test(tc, gzip_is_read_whole_or_refused);
	tcase_add_test(tc, gzip_errors_point_into_the_text);
	tcase_add_test(tc, normalize_flattens_one_array);
	tcase_add_test(tc, normalize_specs_are_checked);
	tcase_add_test(tc, normalize_nested_and_outer);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(format_suite)
