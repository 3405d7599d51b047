/*
 * parquet_write.c - rows into a Parquet file (Apache Parquet format 2.x,
 * flat schema, every column OPTIONAL).
 *
 * A row group is gathered in memory, column by column, as the values'
 * PLAIN encoding plus their definition levels; at FMT_PQ_ROW_GROUP_ROWS
 * rows (or sooner when its values pass MAX_GROUP_BYTES) each column is
 * written as one data page, after a dictionary page when the column is
 * text that repeats, and the row group's metadata is kept for the footer.
 * So an extract of any size holds one row group.
 *
 * Values arrive as sluice's canonical text and are converted through
 * fmt_coerce first, so that what the writer accepts and how it says no
 * are the typed readers' rules.
 */
#include "config.h"
#include "format/format_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUP_BYTES (128u * 1024 * 1024)  /* values held before a row group is cut */
#define MAX_DICT_ENTRIES 65536                 /* a larger dictionary is not worth it */
#define MAX_DICT_BYTES (4u * 1024 * 1024)

/* Parquet's enums (parquet.thrift) */
enum { P_BOOLEAN = 0, P_INT32 = 1, P_INT64 = 2, P_DOUBLE = 5, P_BYTE_ARRAY = 6, P_FLBA = 7 };
enum { E_PLAIN = 0, E_RLE = 3, E_RLE_DICTIONARY = 8 };
enum { CT_UTF8 = 0, CT_DECIMAL = 5, CT_DATE = 6, CT_TIMESTAMP_MICROS = 10, CT_JSON = 19 };
enum { PAGE_DATA = 0, PAGE_DICTIONARY = 2 };

struct chunk_meta {
	int64_t data_offset, dict_offset;    /* dict_offset -1: no dictionary */
	int64_t compressed, uncompressed, num_values;
};

struct group_meta {
	int64_t rows, bytes, offset, compressed;
	struct chunk_meta *chunks;
};

struct wcol {
	char *name;
	struct fmt_out_column t;
	int phys, type_length, precision, scale;
	bool scale_set;
	/* the row group being gathered */
	uint32_t *defs;
	struct buf vals;          /* PLAIN, or decimal text (length-prefixed) until the cut */
	size_t nvals;
	/* dictionary of text columns */
	bool dict_on;
	uint32_t *slots;          /* open addressing: entry + 1, 0 empty */
	size_t nslots;
	struct buf dvals;         /* the entries, PLAIN */
	uint32_t *doff;           /* entry -> offset in dvals */
	size_t ndict, capdict;
	uint32_t *idx;            /* value -> entry */
};

struct pq_writer {
	fmt_write_fn write;
	void *arg;
	int codec;
	size_t group_rows;
	size_t cap_rows;          /* room in each column's defs and idx */
	struct wcol *cols;
	size_t ncols;
	bool have_cols, started, finished;
	struct fmt_out_column *decl;
	size_t ndecl;
	size_t rows;              /* in the group being gathered */
	size_t bytes;
	uint64_t total_rows;
	int64_t offset;           /* bytes written so far */
	struct group_meta *groups;
	size_t ngroups, capgroups;
	struct buf page, comp, scratch;
};

/* ---- setting up ---------------------------------------------------------------------- */

static void col_type(struct wcol *c)
{
	switch (c->t.type) {
	case FPQ_INT: c->phys = P_INT64; break;
	case FPQ_DOUBLE: c->phys = P_DOUBLE; break;
	case FPQ_BOOL: c->phys = P_BOOLEAN; break;
	case FPQ_DATE: c->phys = P_INT32; break;
	case FPQ_TIME:
	case FPQ_TIMESTAMP: c->phys = P_INT64; break;
	case FPQ_DECIMAL:
		c->precision = c->t.precision > 0 && c->t.precision <= 38 ? c->t.precision : 38;
		c->scale = c->t.scale;
		c->scale_set = c->t.precision > 0;
		if (c->precision <= 18) {
			c->phys = P_INT64;
		} else {
			c->phys = P_FLBA;
			c->type_length = 16;
		}
		break;
	case FPQ_TEXT:
	case FPQ_JSON:
		c->phys = P_BYTE_ARRAY;
		c->dict_on = true;
		break;
	}
}

struct pq_writer *pq_writer_new(const struct fmt_writer_opts *o, fmt_write_fn write,
				void *arg, struct err *e)
{
	(void)e;
	struct pq_writer *w = xcalloc(1, sizeof *w);
	w->write = write;
	w->arg = arg;
	w->codec = o->compression == FMT_COMPRESSION_GZIP ? PQ_GZIP
		: o->compression == FMT_COMPRESSION_ZSTD ? PQ_ZSTD : PQ_UNCOMPRESSED;
	w->group_rows = o->row_group_rows ? o->row_group_rows : FMT_PQ_ROW_GROUP_ROWS;
	if (o->columns) {
		/* kept: the columns are set up at the first row */
		w->decl = xcalloc(o->ncolumns + 1, sizeof *w->decl);
		memcpy(w->decl, o->columns, o->ncolumns * sizeof *w->decl);
		w->ndecl = o->ncolumns;
	}
	return w;
}

int pq_writer_columns(struct pq_writer *w, const char *const *names, size_t n, struct err *e)
{
	if (w->have_cols)
		return err_set(e, ERR_INVALID, "the columns are already set");
	if (w->decl && w->ndecl != n)
		return err_set(e, ERR_INVALID, "%zu columns named, %zu typed", n, w->ndecl);
	for (size_t i = 0; i < n; i++)
		if (!names[i] || utf8_valid_prefix(names[i], strlen(names[i])) != strlen(names[i]))
			return err_set(e, ERR_INVALID, "column %zu: the name is not valid UTF-8", i + 1);
	w->cols = xcalloc(n ? n : 1, sizeof *w->cols);
	w->ncols = n;
	for (size_t i = 0; i < n; i++) {
		struct wcol *c = &w->cols[i];
		c->name = xstrdup(names[i]);
		c->t = w->decl ? w->decl[i] : (struct fmt_out_column){ FPQ_TEXT, 0, 0 };
		col_type(c);
	}
	w->have_cols = true;
	return 0;
}

/* ---- values ------------------------------------------------------------------------------- */

static void put_le(struct buf *b, uint64_t v, int bytes)
{
	char x[8];
	for (int i = 0; i < bytes; i++)
		x[i] = (char)(v >> (8 * i));
	buf_append(b, x, (size_t)bytes);
}

static uint32_t get_le32(const char *p)
{
	const uint8_t *u = (const uint8_t *)p;
	return u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void dict_grow(struct wcol *c)
{
	size_t n = c->nslots ? c->nslots * 2 : 1024;
	free(c->slots);
	c->slots = xcalloc(n, sizeof *c->slots);
	c->nslots = n;
	for (size_t k = 0; k < c->ndict; k++) {
		const char *p = c->dvals.data + c->doff[k];
		uint32_t len = get_le32(p);
		size_t s = hash_bytes(p + 4, len) & (n - 1);
		while (c->slots[s])
			s = (s + 1) & (n - 1);
		c->slots[s] = (uint32_t)k + 1;
	}
}

/* The value's dictionary entry, a new one if needed; off when the
 * dictionary outgrows its use. */
static void dict_add(struct wcol *c, const char *v, size_t n)
{
	if (c->ndict * 2 >= c->nslots)
		dict_grow(c);
	size_t s = hash_bytes(v, n) & (c->nslots - 1);
	while (c->slots[s]) {
		const char *p = c->dvals.data + c->doff[c->slots[s] - 1];
		uint32_t len = get_le32(p);
		if (len == n && !memcmp(p + 4, v, n)) {
			c->idx[c->nvals] = c->slots[s] - 1;
			return;
		}
		s = (s + 1) & (c->nslots - 1);
	}
	if (c->ndict >= MAX_DICT_ENTRIES || c->dvals.len + n > MAX_DICT_BYTES) {
		c->dict_on = false;
		return;
	}
	if (c->ndict == c->capdict) {
		c->capdict = c->capdict ? c->capdict * 2 : 256;
		c->doff = xrealloc(c->doff, c->capdict * sizeof *c->doff);
	}
	c->doff[c->ndict] = (uint32_t)c->dvals.len;
	put_le(&c->dvals, n, 4);
	buf_append(&c->dvals, v, n);
	c->slots[s] = (uint32_t)c->ndict + 1;
	c->idx[c->nvals] = (uint32_t)c->ndict++;
}

/* "YYYY-MM-DD" of a canonical date or timestamp into days since 1970. */
static int64_t canon_days(const char *s)
{
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	return cal_days_from_civil(y, m, d);
}

/* "HH:MM:SS.ffffff" into microseconds. */
static int64_t canon_micros(const char *s)
{
	int64_t h = atoi(s), mi = atoi(s + 3), se = atoi(s + 6), f = atoi(s + 9);
	return ((h * 60 + mi) * 60 + se) * 1000000 + f;
}

/* One value, already in canonical text, appended in the column's PLAIN
 * encoding (decimals wait as text for the cut: their scale may not be
 * known yet). */
static void put_value(struct wcol *c, const char *v, size_t n)
{
	switch (c->t.type) {
	case FPQ_INT:
		put_le(&c->vals, (uint64_t)strtoll(v, NULL, 10), 8);
		return;
	case FPQ_DOUBLE: {
		double d = strtod(v, NULL);   /* checked by double_ok */
		uint64_t bits;
		memcpy(&bits, &d, 8);
		put_le(&c->vals, bits, 8);
		return;
	}
	case FPQ_BOOL:
		buf_putc(&c->vals, v[0] == 't');
		return;
	case FPQ_DATE:
		put_le(&c->vals, (uint64_t)canon_days(v), 4);
		return;
	case FPQ_TIME:
		put_le(&c->vals, (uint64_t)canon_micros(v), 8);
		return;
	case FPQ_TIMESTAMP:
		put_le(&c->vals, (uint64_t)(canon_days(v) * 86400000000LL + canon_micros(v + 11)),
		       8);
		return;
	case FPQ_DECIMAL:
	case FPQ_TEXT:
	case FPQ_JSON:
		if (c->dict_on)
			dict_add(c, v, n);
		put_le(&c->vals, n, 4);
		buf_append(&c->vals, v, n);
		return;
	}
}

static const enum fmt_type coerce_as[] = {
	[FPQ_TEXT] = FT_TEXT, [FPQ_JSON] = FT_TEXT, [FPQ_INT] = FT_INT,
	[FPQ_DOUBLE] = FT_TEXT, [FPQ_DECIMAL] = FT_NUMERIC, [FPQ_BOOL] = FT_BOOL,
	[FPQ_DATE] = FT_DATE, [FPQ_TIME] = FT_TIME, [FPQ_TIMESTAMP] = FT_TIMESTAMP,
};

static int flush_group(struct pq_writer *w, struct err *e);

/* Levels and dictionary indices grow with the row group (up to its size),
 * so a large row_group_rows costs memory only when the rows come. */
static void grow_rows(struct pq_writer *w)
{
	size_t cap = w->cap_rows ? w->cap_rows * 2 : 1024;
	if (cap > w->group_rows)
		cap = w->group_rows;
	for (size_t i = 0; i < w->ncols; i++) {
		struct wcol *c = &w->cols[i];
		c->defs = xrealloc(c->defs, cap * sizeof *c->defs);
		if (c->t.type == FPQ_TEXT || c->t.type == FPQ_JSON)
			c->idx = xrealloc(c->idx, cap * sizeof *c->idx);
	}
	w->cap_rows = cap;
}

/* A float as the databases write it: a number, NaN or (-)Infinity. */
static bool double_ok(const char *v)
{
	char *end;
	while (*v == ' ')
		v++;
	if (!*v)
		return false;
	strtod(v, &end);
	while (*end == ' ')
		end++;
	return !*end;
}

int pq_writer_row(struct pq_writer *w, const struct fmt_field *f, size_t n, struct err *e)
{
	if (w->finished)
		return err_set(e, ERR_INVALID, "the writer is finished");
	if (!w->have_cols) {
		const char **names = xcalloc(n ? n : 1, sizeof *names);
		for (size_t i = 0; i < n; i++)
			names[i] = f[i].name ? f[i].name : "";
		int rc = pq_writer_columns(w, names, n, e);
		free(names);
		if (rc < 0)
			return -1;
	}
	if (n != w->ncols)
		return err_set(e, ERR_INVALID, "row %llu has %zu fields; the columns are %zu",
			       (unsigned long long)w->total_rows + 1, n, w->ncols);
	/* check the whole row before any of it is kept */
	struct buf *canon = &w->scratch;
	buf_reset(canon);
	size_t *at = xcalloc(n ? n : 1, sizeof *at);
	for (size_t i = 0; i < n; i++) {
		struct wcol *c = &w->cols[i];
		at[i] = canon->len;
		if (!f[i].value || f[i].kind == FK_NULL)
			continue;
		struct err ce;
		const char *why = NULL;
		if (utf8_valid_prefix(f[i].value, f[i].len) != f[i].len)
			why = "not valid UTF-8";
		else if (fmt_coerce(coerce_as[c->t.type], FK_STRING, f[i].value, f[i].len, canon,
				    &ce) < 0)
			why = ce.msg;
		else if (c->t.type == FPQ_DOUBLE && !double_ok(canon->data + at[i]))
			why = "expected a floating-point number";
		if (why) {
			free(at);
			return err_set(e, ERR_INVALID, "row %llu, column \"%s\": %s",
				       (unsigned long long)w->total_rows + 1, c->name, why);
		}
		buf_putc(canon, '\0');
	}
	if (w->rows == w->cap_rows)
		grow_rows(w);
	for (size_t i = 0; i < n; i++) {
		struct wcol *c = &w->cols[i];
		bool null = !f[i].value || f[i].kind == FK_NULL;
		c->defs[w->rows] = !null;
		if (null)
			continue;
		const char *v = canon->data + at[i];
		size_t len = strlen(v);
		put_value(c, v, len);
		c->nvals++;
		w->bytes += len;
	}
	free(at);
	w->rows++;
	w->total_rows++;
	w->bytes += n * 2 * sizeof(uint32_t);   /* a level and an index a value */
	if (w->rows == w->group_rows || w->bytes >= MAX_GROUP_BYTES)
		return flush_group(w, e);
	return 0;
}

/* ---- decimals ------------------------------------------------------------------------------- */

/* Digits after the point in canonical numeric text. */
static int frac_digits(const char *v, size_t n)
{
	const char *dot = memchr(v, '.', n);
	return dot ? (int)(n - (size_t)(dot + 1 - v)) : 0;
}

/* Canonical numeric text as an unscaled integer at the column's scale. */
static int decimal_unscaled(const struct wcol *c, const char *v, __int128 *out, struct err *e)
{
	bool neg = *v == '-';
	const char *p = v + neg;
	__int128 u = 0;
	int digits = 0, frac = -1;
	for (; *p; p++) {
		if (*p == '.') {
			frac = 0;
			continue;
		}
		if (frac >= 0 && frac == c->scale) {
			if (*p != '0')
				return err_set(e, ERR_INVALID, "%s has more decimal places than the "
					       "column's scale (%d)", v, c->scale);
			continue;
		}
		if (frac >= 0)
			frac++;
		if (u || *p != '0')
			digits++;
		if (digits > 38)
			break;
		u = u * 10 + (*p - '0');
	}
	for (int k = frac < 0 ? 0 : frac; k < c->scale; k++) {
		u *= 10;
		if (u)
			digits++;
	}
	if (digits > c->precision)
		return err_set(e, ERR_INVALID, "%s does not fit decimal(%d,%d)", v, c->precision,
			       c->scale);
	*out = neg ? -u : u;
	return 0;
}

/* The decimal column's text values as INT64 or 16-byte big-endian. */
static int encode_decimals(struct wcol *c, struct buf *out, struct err *e)
{
	const char *p = c->vals.data, *end = p + c->vals.len;
	if (!c->scale_set) {
		/* unconstrained: the first row group's widest fraction is the file's */
		int s = 0;
		for (const char *q = p; q < end; q += 4 + get_le32(q)) {
			int f = frac_digits(q + 4, get_le32(q));
			s = f > s ? f : s;
		}
		c->scale = s > 37 ? 37 : s;
		c->scale_set = true;
	}
	char v[160];
	while (p < end) {
		uint32_t len = get_le32(p);
		snprintf(v, sizeof v, "%.*s", (int)len, p + 4);
		p += 4 + len;
		__int128 u = 0;
		if (decimal_unscaled(c, v, &u, e) < 0) {
			err_prefix(e, "column \"%s\": ", c->name);
			return -1;
		}
		if (c->phys == P_INT64) {
			put_le(out, (uint64_t)(int64_t)u, 8);
			continue;
		}
		for (int k = 15; k >= 0; k--)
			buf_putc(out, (char)(uint8_t)((unsigned __int128)u >> (8 * k)));
	}
	return 0;
}

/* ---- pages ------------------------------------------------------------------------------------ */

static int emit(struct pq_writer *w, const void *data, size_t n, struct err *e)
{
	if (!n)
		return 0;
	if (w->write(w->arg, data, n, e) < 0)
		return -1;
	w->offset += (int64_t)n;
	return 0;
}

static int start_file(struct pq_writer *w, struct err *e)
{
	if (w->started)
		return 0;
	w->started = true;
	return emit(w, "PAR1", 4, e);
}

static int bit_width(size_t max)
{
	int b = 1;
	while (b < 32 && ((uint64_t)1 << b) <= max)
		b++;
	return b;
}

/* Compress the page in w->page and write it with its header; sizes add
 * to the chunk's. */
static int write_page(struct pq_writer *w, int type, int encoding, size_t num_values,
		      struct chunk_meta *m, struct err *e)
{
	if (w->page.len > INT32_MAX)
		return err_set(e, ERR_INVALID, "a page of %zu bytes is larger than Parquet allows",
			       w->page.len);
	buf_reset(&w->comp);
	if (pq_compress(w->codec, w->page.data, w->page.len, &w->comp, e) < 0)
		return -1;
	struct buf *h = &w->scratch;
	buf_reset(h);
	int16_t last = 0, in = 0;
	tw_i32(h, &last, 1, type);
	tw_i32(h, &last, 2, (int32_t)w->page.len);
	tw_i32(h, &last, 3, (int32_t)w->comp.len);
	tw_field(h, &last, type == PAGE_DATA ? 5 : 7, TC_STRUCT);
	tw_i32(h, &in, 1, (int32_t)num_values);
	tw_i32(h, &in, 2, encoding);
	if (type == PAGE_DATA) {
		tw_i32(h, &in, 3, E_RLE);
		tw_i32(h, &in, 4, E_RLE);
	}
	tw_stop(h);
	tw_stop(h);
	m->compressed += (int64_t)(h->len + w->comp.len);
	m->uncompressed += (int64_t)(h->len + w->page.len);
	if (emit(w, h->data, h->len, e) < 0)
		return -1;
	return emit(w, w->comp.data, w->comp.len, e);
}

static int write_column(struct pq_writer *w, struct wcol *c, struct chunk_meta *m,
			struct err *e)
{
	bool dict = c->dict_on && c->nvals && c->ndict * 2 <= c->nvals;
	m->dict_offset = -1;
	m->num_values = (int64_t)w->rows;
	if (dict) {
		m->dict_offset = w->offset;
		buf_reset(&w->page);
		buf_append(&w->page, c->dvals.data, c->dvals.len);
		if (write_page(w, PAGE_DICTIONARY, E_PLAIN, c->ndict, m, e) < 0)
			return -1;
	}
	m->data_offset = w->offset;
	struct buf *pg = &w->page;
	buf_reset(pg);
	put_le(pg, 0, 4);
	pq_rle_encode(pg, c->defs, w->rows, 1);
	uint32_t dlen = (uint32_t)(pg->len - 4);
	for (int k = 0; k < 4; k++)
		pg->data[k] = (char)(dlen >> (8 * k));
	int encoding = E_PLAIN;
	if (dict) {
		int bw = bit_width(c->ndict - 1);
		buf_putc(pg, (char)bw);
		pq_rle_encode(pg, c->idx, c->nvals, bw);
		encoding = E_RLE_DICTIONARY;
	} else if (c->t.type == FPQ_BOOL) {
		uint8_t acc = 0;
		for (size_t k = 0; k < c->nvals; k++) {
			acc |= (uint8_t)((uint8_t)c->vals.data[k] << (k % 8));
			if (k % 8 == 7 || k + 1 == c->nvals) {
				buf_putc(pg, (char)acc);
				acc = 0;
			}
		}
	} else if (c->t.type == FPQ_DECIMAL) {
		if (encode_decimals(c, pg, e) < 0)
			return -1;
	} else {
		buf_append(pg, c->vals.data, c->vals.len);
	}
	return write_page(w, PAGE_DATA, encoding, w->rows, m, e);
}

static void reset_column(struct wcol *c)
{
	buf_reset(&c->vals);
	c->nvals = 0;
	if (c->t.type == FPQ_TEXT || c->t.type == FPQ_JSON) {
		c->dict_on = true;
		buf_reset(&c->dvals);
		c->ndict = 0;
		if (c->slots)
			memset(c->slots, 0, c->nslots * sizeof *c->slots);
	}
}

static int flush_group(struct pq_writer *w, struct err *e)
{
	if (!w->rows)
		return 0;
	if (start_file(w, e) < 0)
		return -1;
	if (w->ngroups == w->capgroups) {
		w->capgroups = w->capgroups ? w->capgroups * 2 : 16;
		w->groups = xrealloc(w->groups, w->capgroups * sizeof *w->groups);
	}
	struct group_meta *g = &w->groups[w->ngroups++];
	memset(g, 0, sizeof *g);
	g->rows = (int64_t)w->rows;
	g->offset = w->offset;
	g->chunks = xcalloc(w->ncols ? w->ncols : 1, sizeof *g->chunks);
	for (size_t i = 0; i < w->ncols; i++) {
		if (write_column(w, &w->cols[i], &g->chunks[i], e) < 0)
			return -1;
		g->bytes += g->chunks[i].uncompressed;
		g->compressed += g->chunks[i].compressed;
		reset_column(&w->cols[i]);
	}
	w->rows = 0;
	w->bytes = 0;
	return 0;
}

/* ---- the footer ---------------------------------------------------------------------------------- */

static void logical_unit_micros(struct buf *b, int16_t *last, int16_t id, bool utc)
{
	int16_t in = 0, unit = 0;
	tw_field(b, last, id, TC_STRUCT);
	tw_bool(b, &in, 1, utc);
	tw_field(b, &in, 2, TC_STRUCT);      /* TimeUnit */
	tw_field(b, &unit, 2, TC_STRUCT);    /* MICROS */
	tw_stop(b);
	tw_stop(b);
	tw_stop(b);
}

static void schema_leaf(struct buf *b, const struct wcol *c)
{
	int16_t last = 0, lt = 0;
	tw_i32(b, &last, 1, c->phys);
	if (c->phys == P_FLBA)
		tw_i32(b, &last, 2, c->type_length);
	tw_i32(b, &last, 3, 1);                /* OPTIONAL */
	tw_string(b, &last, 4, c->name);
	switch (c->t.type) {
	case FPQ_TEXT:
		tw_i32(b, &last, 6, CT_UTF8);
		tw_field(b, &last, 10, TC_STRUCT);
		tw_field(b, &lt, 1, TC_STRUCT);   /* STRING */
		tw_stop(b);
		break;
	case FPQ_JSON:
		tw_i32(b, &last, 6, CT_JSON);
		tw_field(b, &last, 10, TC_STRUCT);
		tw_field(b, &lt, 12, TC_STRUCT);  /* JSON */
		tw_stop(b);
		break;
	case FPQ_DECIMAL: {
		int16_t d = 0;
		tw_i32(b, &last, 6, CT_DECIMAL);
		tw_i32(b, &last, 7, c->scale);
		tw_i32(b, &last, 8, c->precision);
		tw_field(b, &last, 10, TC_STRUCT);
		tw_field(b, &lt, 5, TC_STRUCT);
		tw_i32(b, &d, 1, c->scale);
		tw_i32(b, &d, 2, c->precision);
		tw_stop(b);
		break;
	}
	case FPQ_DATE:
		tw_i32(b, &last, 6, CT_DATE);
		tw_field(b, &last, 10, TC_STRUCT);
		tw_field(b, &lt, 6, TC_STRUCT);
		tw_stop(b);
		break;
	case FPQ_TIME:
		/* a time of day without a zone: no converted type, which would mean UTC */
		tw_field(b, &last, 10, TC_STRUCT);
		logical_unit_micros(b, &lt, 7, false);
		break;
	case FPQ_TIMESTAMP:
		tw_i32(b, &last, 6, CT_TIMESTAMP_MICROS);
		tw_field(b, &last, 10, TC_STRUCT);
		logical_unit_micros(b, &lt, 8, true);
		break;
	case FPQ_INT:
	case FPQ_DOUBLE:
	case FPQ_BOOL:
		tw_stop(b);
		return;
	}
	tw_stop(b);   /* the LogicalType union */
	tw_stop(b);
}

static void column_chunk(struct buf *b, const struct wcol *c, const struct chunk_meta *m,
			 int codec)
{
	int16_t last = 0, md = 0;
	tw_i64(b, &last, 2, m->dict_offset >= 0 ? m->dict_offset : m->data_offset);
	tw_field(b, &last, 3, TC_STRUCT);
	tw_i32(b, &md, 1, c->phys);
	bool dict = m->dict_offset >= 0;
	tw_list(b, &md, 2, TC_I32, dict ? 3 : 2);
	tw_zigzag(b, E_RLE);
	tw_zigzag(b, E_PLAIN);
	if (dict)
		tw_zigzag(b, E_RLE_DICTIONARY);
	tw_list(b, &md, 3, TC_BINARY, 1);
	tw_varint(b, strlen(c->name));
	buf_puts(b, c->name);
	tw_i32(b, &md, 4, codec);
	tw_i64(b, &md, 5, m->num_values);
	tw_i64(b, &md, 6, m->uncompressed);
	tw_i64(b, &md, 7, m->compressed);
	tw_i64(b, &md, 9, m->data_offset);
	if (dict)
		tw_i64(b, &md, 11, m->dict_offset);
	tw_stop(b);
	tw_stop(b);
}

static void footer(struct pq_writer *w, struct buf *b)
{
	int16_t last = 0;
	tw_i32(b, &last, 1, 1);
	tw_list(b, &last, 2, TC_STRUCT, w->ncols + 1);
	int16_t root = 0;
	tw_string(b, &root, 4, "schema");
	tw_i32(b, &root, 5, (int32_t)w->ncols);
	tw_stop(b);
	for (size_t i = 0; i < w->ncols; i++)
		schema_leaf(b, &w->cols[i]);
	tw_i64(b, &last, 3, (int64_t)w->total_rows);
	tw_list(b, &last, 4, TC_STRUCT, w->ngroups);
	for (size_t g = 0; g < w->ngroups; g++) {
		const struct group_meta *gm = &w->groups[g];
		int16_t rg = 0;
		tw_list(b, &rg, 1, TC_STRUCT, w->ncols);
		for (size_t i = 0; i < w->ncols; i++)
			column_chunk(b, &w->cols[i], &gm->chunks[i], w->codec);
		tw_i64(b, &rg, 2, gm->bytes);
		tw_i64(b, &rg, 3, gm->rows);
		tw_i64(b, &rg, 5, gm->offset);
		tw_i64(b, &rg, 6, gm->compressed);
		tw_field(b, &rg, 7, TC_I16);
		tw_zigzag(b, (int64_t)g);
		tw_stop(b);
	}
	tw_string(b, &last, 6, "sluice " PACKAGE_VERSION);
	tw_stop(b);
}

int pq_writer_finish(struct pq_writer *w, struct err *e)
{
	if (w->finished)
		return 0;
	if (!w->have_cols && pq_writer_columns(w, NULL, 0, e) < 0)
		return -1;
	if (flush_group(w, e) < 0 || start_file(w, e) < 0)
		return -1;
	w->finished = true;
	struct buf b = BUF_INIT;
	footer(w, &b);
	put_le(&b, b.len, 4);
	buf_append(&b, "PAR1", 4);
	int rc = emit(w, b.data, b.len, e);
	buf_free(&b);
	return rc;
}

void pq_writer_free(struct pq_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->ncols; i++) {
		struct wcol *c = &w->cols[i];
		free(c->name);
		free(c->defs);
		buf_free(&c->vals);
		free(c->slots);
		buf_free(&c->dvals);
		free(c->doff);
		free(c->idx);
	}
	free(w->cols);
	free(w->decl);
	for (size_t g = 0; g < w->ngroups; g++)
		free(w->groups[g].chunks);
	free(w->groups);
	buf_free(&w->page);
	buf_free(&w->comp);
	buf_free(&w->scratch);
	free(w);
}
