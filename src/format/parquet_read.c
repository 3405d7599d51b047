/*
 * parquet_read.c - records out of a Parquet file (flat schemas).
 *
 * The footer is at the end, so the input is first copied to a temporary
 * file (unlinked at once: nothing is left behind), then read with pread:
 * the footer, then each row group through one cursor per column that holds
 * one page (and the column's dictionary) at a time.  Memory is bounded by
 * the limits below whatever the file declares; a declaration beyond them
 * is an error that says so.
 *
 * Everything read from the file is checked before it is used: offsets and
 * sizes against the file, counts against the bytes that carry them, levels
 * and dictionary indices against their ranges.  A fault in the structure
 * is fatal (there is nothing safe to resume from); a value that cannot
 * become text is a bad record, at its row group and row.
 */
#include "format/format_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FOOTER (64u * 1024 * 1024)
#define MAX_PAGE (256u * 1024 * 1024)           /* bytes of one page, either size */
#define MAX_PAGE_VALUES (16u * 1024 * 1024)
#define HEADER_WINDOW (64u * 1024)               /* first guess at a page header's size */
#define MAX_HEADER (16u * 1024 * 1024)

enum { P_BOOLEAN, P_INT32, P_INT64, P_INT96, P_FLOAT, P_DOUBLE, P_BYTE_ARRAY, P_FLBA };
enum { E_PLAIN = 0, E_PLAIN_DICTIONARY = 2, E_RLE = 3, E_RLE_DICTIONARY = 8 };
enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICTIONARY = 2, PAGE_DATA_V2 = 3 };
enum lt { LT_NONE, LT_STRING, LT_DECIMAL, LT_DATE, LT_TIME, LT_TIMESTAMP, LT_UUID,
	  LT_UNSIGNED };

struct leaf {
	char *name;
	int phys, type_length, repetition, num_children;
	enum lt lt;
	int scale, precision;
	int unit;                 /* TIME/TIMESTAMP: 1000, 1000000 or 1000000000 per second */
	bool set_type, set_name;
};

struct chunk {
	int phys, codec;
	int64_t num_values, size, data_offset, dict_offset;
	bool has_meta;
};

struct group {
	int64_t rows;
	struct chunk *chunks;
	size_t nchunks;
};

struct cursor {
	const struct leaf *lf;
	int64_t pos, end;         /* the next page header, the chunk's end */
	int codec;
	/* the dictionary */
	struct buf dict;
	uint32_t *doff, *dlen;
	size_t ndict;
	bool have_dict;
	/* the current page */
	struct buf raw, page;
	uint32_t *defs, *idx;
	size_t n, at, nonnull, taken;
	int enc;
	const uint8_t *vp, *vend;
};

struct pq_reader {
	char *source;
	fmt_read_fn read;
	void *arg;
	struct fmt_column *cols;  /* declared, or NULL */
	size_t ncols;
	size_t *colmap;           /* declared column -> leaf */

	FILE *f;
	int64_t size, data_end;
	bool opened, is_fatal;
	struct err fatal_err;
	struct fmt_error last;

	struct leaf *leaves;
	size_t nleaves;
	struct group *groups;
	size_t ngroups;

	size_t g;                 /* the row group being read, from 0 */
	int64_t row;              /* rows of it already given */
	bool in_group;
	struct cursor *cur;
	uint64_t index;

	struct fmt_field *fields;
	size_t *offs;
	struct buf vals, text;
};

/* ---- errors ---------------------------------------------------------------------------------- */

static enum fmt_status fatal(struct pq_reader *r, struct err *e, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
static enum fmt_status fatal(struct pq_reader *r, struct err *e, const char *fmt, ...)
{
	struct fmt_error *x = &r->last;
	memset(x, 0, sizeof *x);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof x->message, fmt, ap);
	va_end(ap);
	x->fatal = true;
	if (r->in_group) {
		x->line = (long)r->g + 1;
		x->col = (int)(r->row + 1);
	}
	r->is_fatal = true;
	char where[300];
	if (r->in_group)
		snprintf(where, sizeof where, "%s row group %zu", r->source, r->g + 1);
	else
		snprintf(where, sizeof where, "%s", r->source);
	err_at(&r->fatal_err, ERR_PARSE, where, "%s", x->message);
	if (e)
		*e = r->fatal_err;
	return FMT_FATAL;
}

/* ---- the input ---------------------------------------------------------------------------------- */

/* A local failure (the temporary file): not the file's fault either. */
static enum fmt_status local_fail(struct pq_reader *r, struct err *e, const char *what)
{
	enum fmt_status st = fatal(r, e, "%s: %s", what, strerror(errno));
	r->last.io = true;
	return st;
}

static enum fmt_status spool(struct pq_reader *r, struct err *e)
{
	r->f = tmpfile();
	if (!r->f)
		return local_fail(r, e, "cannot make a temporary file to read the Parquet file");
	char *chunk = xmalloc(65536);
	struct err re = { 0 };
	ssize_t got;
	while ((got = r->read(r->arg, chunk, 65536, &re)) > 0) {
		if (fwrite(chunk, 1, (size_t)got, r->f) != (size_t)got) {
			free(chunk);
			return local_fail(r, e, "cannot write the temporary copy");
		}
		r->size += got;
	}
	free(chunk);
	if (got < 0) {
		memset(&r->last, 0, sizeof r->last);
		snprintf(r->last.message, sizeof r->last.message, "%.500s", re.msg);
		r->last.fatal = true;
		r->last.io = true;
		r->is_fatal = true;
		r->fatal_err = re;
		if (e)
			*e = re;
		return FMT_FATAL;
	}
	if (fflush(r->f) != 0)
		return local_fail(r, e, "cannot write the temporary copy");
	return FMT_RECORD;
}

static bool read_at(struct pq_reader *r, int64_t off, size_t n, struct buf *out)
{
	buf_reset(out);
	buf_reserve(out, n + 1);
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fileno(r->f), out->data + got, n - got, (off_t)off + (off_t)got);
		if (k <= 0)
			return false;
		got += (size_t)k;
	}
	out->len = n;
	return true;
}

/* ---- the footer ----------------------------------------------------------------------------------- */

static void parse_time_unit(struct tc_in *t, struct leaf *lf)
{
	int16_t last = 0, id;
	int ty;
	tc_struct_enter(t);
	while (tc_field(t, &last, &id, &ty)) {
		if (ty == TC_STRUCT && id >= 1 && id <= 3)
			lf->unit = id == 1 ? 1000 : id == 2 ? 1000000 : 1000000000;
		tc_skip(t, ty);
	}
	tc_struct_leave(t);
}

static void parse_logical(struct tc_in *t, struct leaf *lf)
{
	int16_t last = 0, id;
	int ty;
	tc_struct_enter(t);
	while (tc_field(t, &last, &id, &ty)) {
		if (ty != TC_STRUCT) {
			tc_skip(t, ty);
			continue;
		}
		int16_t il = 0, iid;
		int ity;
		tc_struct_enter(t);
		while (tc_field(t, &il, &iid, &ity)) {
			if (id == 5 && iid == 1)
				lf->scale = (int)tc_int(t, ity);
			else if (id == 5 && iid == 2)
				lf->precision = (int)tc_int(t, ity);
			else if ((id == 7 || id == 8) && iid == 2 && ity == TC_STRUCT)
				parse_time_unit(t, lf);
			else if (id == 10 && iid == 2 && (ity == TC_TRUE || ity == TC_FALSE))
				lf->lt = tc_bool(ity) ? LT_NONE : LT_UNSIGNED;
			else
				tc_skip(t, ity);
		}
		tc_struct_leave(t);
		switch (id) {
		case 1: case 4: case 12: lf->lt = LT_STRING; break;   /* STRING, ENUM, JSON */
		case 5: lf->lt = LT_DECIMAL; break;
		case 6: lf->lt = LT_DATE; break;
		case 7: lf->lt = LT_TIME; break;
		case 8: lf->lt = LT_TIMESTAMP; break;
		case 14: lf->lt = LT_UUID; break;
		}
	}
	tc_struct_leave(t);
}

/* The older ConvertedType, for files that carry no LogicalType. */
static void converted(struct leaf *lf, int ct)
{
	if (lf->lt != LT_NONE)
		return;
	switch (ct) {
	case 0: case 4: case 19: lf->lt = LT_STRING; break;
	case 5: lf->lt = LT_DECIMAL; break;
	case 6: lf->lt = LT_DATE; break;
	case 7: lf->lt = LT_TIME; lf->unit = 1000; break;
	case 8: lf->lt = LT_TIME; lf->unit = 1000000; break;
	case 9: lf->lt = LT_TIMESTAMP; lf->unit = 1000; break;
	case 10: lf->lt = LT_TIMESTAMP; lf->unit = 1000000; break;
	case 11: case 12: case 13: case 14: lf->lt = LT_UNSIGNED; break;
	}
}

static void parse_schema_element(struct tc_in *t, struct leaf *lf)
{
	int16_t last = 0, id;
	int ty, ct = -1;
	lf->phys = -1;
	lf->repetition = 0;
	tc_struct_enter(t);
	while (tc_field(t, &last, &id, &ty)) {
		size_t len;
		const uint8_t *p;
		switch (id) {
		case 1: lf->phys = (int)tc_int(t, ty); lf->set_type = true; break;
		case 2: lf->type_length = (int)tc_int(t, ty); break;
		case 3: lf->repetition = (int)tc_int(t, ty); break;
		case 4:
			if (ty != TC_BINARY) {
				tc_fail(t, "a column's name is not a string");
				break;
			}
			p = tc_binary(t, &len);
			free(lf->name);
			lf->name = xcalloc(len + 1, 1);
			if (p)
				memcpy(lf->name, p, len);
			lf->set_name = true;
			break;
		case 5: lf->num_children = (int)tc_int(t, ty); break;
		case 6: ct = (int)tc_int(t, ty); break;
		case 7: lf->scale = (int)tc_int(t, ty); break;
		case 8: lf->precision = (int)tc_int(t, ty); break;
		case 10:
			if (ty == TC_STRUCT)
				parse_logical(t, lf);
			else
				tc_skip(t, ty);
			break;
		default: tc_skip(t, ty); break;
		}
	}
	tc_struct_leave(t);
	converted(lf, ct);
}

static void parse_column_meta(struct tc_in *t, struct chunk *c)
{
	int16_t last = 0, id;
	int ty;
	c->has_meta = true;
	tc_struct_enter(t);
	while (tc_field(t, &last, &id, &ty)) {
		switch (id) {
		case 1: c->phys = (int)tc_int(t, ty); break;
		case 4: c->codec = (int)tc_int(t, ty); break;
		case 5: c->num_values = tc_int(t, ty); break;
		case 7: c->size = tc_int(t, ty); break;
		case 9: c->data_offset = tc_int(t, ty); break;
		case 11: c->dict_offset = tc_int(t, ty); break;
		default: tc_skip(t, ty); break;
		}
	}
	tc_struct_leave(t);
}

static void parse_row_group(struct tc_in *t, struct group *g)
{
	int16_t last = 0, id;
	int ty;
	tc_struct_enter(t);
	while (tc_field(t, &last, &id, &ty)) {
		if (id == 3) {
			g->rows = tc_int(t, ty);
		} else if (id == 1 && ty == TC_LIST) {
			int et;
			size_t n = tc_list(t, &et);
			if (et != TC_STRUCT && n) {
				tc_fail(t, "a row group's columns are not structures");
				break;
			}
			free(g->chunks);
			g->chunks = xcalloc(n ? n : 1, sizeof *g->chunks);
			g->nchunks = n;
			for (size_t i = 0; i < n && !t->bad; i++) {
				int16_t cl = 0, cid;
				int cty;
				tc_struct_enter(t);
				while (tc_field(t, &cl, &cid, &cty)) {
					if (cid == 3 && cty == TC_STRUCT)
						parse_column_meta(t, &g->chunks[i]);
					else
						tc_skip(t, cty);
				}
				tc_struct_leave(t);
			}
		} else {
			tc_skip(t, ty);
		}
	}
	tc_struct_leave(t);
}

/* A list of structures, each parsed by `one` into an array of `size`-byte
 * elements. */
static void *parse_struct_list(struct tc_in *t, int ty, size_t size, size_t *n)
{
	int et;
	*n = 0;
	if (ty != TC_LIST) {
		tc_fail(t, "expected a list");
		return NULL;
	}
	size_t k = tc_list(t, &et);
	if (k && et != TC_STRUCT) {
		tc_fail(t, "expected a list of structures");
		return NULL;
	}
	*n = k;
	return xcalloc(k ? k : 1, size);
}

static void parse_footer(struct pq_reader *r, struct tc_in *t, int64_t *num_rows)
{
	int16_t last = 0, id;
	int ty;
	bool have_schema = false;
	struct leaf *schema = NULL;
	size_t nschema = 0;
	while (tc_field(t, &last, &id, &ty)) {
		if (id == 2 && !have_schema) {
			have_schema = true;
			schema = parse_struct_list(t, ty, sizeof *schema, &nschema);
			for (size_t i = 0; i < nschema && !t->bad; i++)
				parse_schema_element(t, &schema[i]);
		} else if (id == 3) {
			*num_rows = tc_int(t, ty);
		} else if (id == 4 && !r->groups) {
			r->groups = parse_struct_list(t, ty, sizeof *r->groups, &r->ngroups);
			for (size_t i = 0; i < r->ngroups && !t->bad; i++)
				parse_row_group(t, &r->groups[i]);
		} else {
			tc_skip(t, ty);
		}
	}
	if (!t->bad && !have_schema)
		tc_fail(t, "the footer has no schema");
	/* the root is the first element; the leaves are the columns */
	if (nschema) {
		free(schema[0].name);
		r->leaves = schema;
		r->nleaves = nschema - 1;
		memmove(r->leaves, r->leaves + 1, r->nleaves * sizeof *r->leaves);
	} else {
		free(schema);
	}
}

static enum fmt_status check_schema(struct pq_reader *r, struct err *e)
{
	for (size_t i = 0; i < r->nleaves; i++) {
		struct leaf *lf = &r->leaves[i];
		if (!lf->set_name)
			return fatal(r, e, "the schema's column %zu has no name", i + 1);
		if (lf->num_children > 0 || !lf->set_type)
			return fatal(r, e, "column \"%s\" is nested (a group); sluice reads flat "
				     "schemas only", lf->name);
		if (lf->repetition == 2)
			return fatal(r, e, "column \"%s\" is repeated (a list); sluice reads flat "
				     "schemas only", lf->name);
		if (lf->phys < P_BOOLEAN || lf->phys > P_FLBA)
			return fatal(r, e, "column \"%s\" has unknown physical type %d", lf->name,
				     lf->phys);
		if (lf->phys == P_FLBA && (lf->type_length <= 0 || lf->type_length > 1 << 20))
			return fatal(r, e, "column \"%s\" has a fixed length of %d bytes", lf->name,
				     lf->type_length);
		if (lf->lt == LT_DECIMAL && (lf->scale < 0 || lf->scale > 38 ||
					     lf->precision > 38))
			return fatal(r, e, "column \"%s\" is decimal(%d,%d), beyond the 38 digits "
				     "sluice reads", lf->name, lf->precision, lf->scale);
		if ((lf->lt == LT_TIME || lf->lt == LT_TIMESTAMP) && !lf->unit)
			return fatal(r, e, "column \"%s\" has a time without a unit", lf->name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r->leaves[j].name, lf->name))
				return fatal(r, e, "two columns are named \"%s\"", lf->name);
	}
	for (size_t g = 0; g < r->ngroups; g++) {
		struct group *gr = &r->groups[g];
		if (gr->rows < 0)
			return fatal(r, e, "row group %zu declares %lld rows", g + 1,
				     (long long)gr->rows);
		if (gr->nchunks != r->nleaves)
			return fatal(r, e, "row group %zu has %zu columns; the schema has %zu", g + 1,
				     gr->nchunks, r->nleaves);
		for (size_t i = 0; i < gr->nchunks; i++) {
			const struct chunk *c = &gr->chunks[i];
			if (!c->has_meta)
				return fatal(r, e, "row group %zu, column \"%s\": no metadata (a column "
					     "in another file is not supported)", g + 1,
					     r->leaves[i].name);
			if (c->phys != r->leaves[i].phys)
				return fatal(r, e, "row group %zu, column \"%s\": the chunk's type is not "
					     "the schema's", g + 1, r->leaves[i].name);
		}
	}
	return FMT_RECORD;
}

static enum fmt_status map_columns(struct pq_reader *r, struct err *e)
{
	if (!r->ncols)
		return FMT_RECORD;
	r->colmap = xcalloc(r->ncols, sizeof *r->colmap);
	for (size_t c = 0; c < r->ncols; c++) {
		size_t i = 0;
		while (i < r->nleaves && strcmp(r->leaves[i].name, r->cols[c].source))
			i++;
		if (i == r->nleaves) {
			struct buf found = BUF_INIT;
			for (size_t j = 0; j < r->nleaves && found.len < 200; j++)
				buf_printf(&found, "%s%s", j ? ", " : "", r->leaves[j].name);
			if (found.len >= 200)
				buf_puts(&found, ", ...");
			enum fmt_status st = fatal(r, e, "column \"%s\": no column \"%s\" in the file "
						   "(%s)", r->cols[c].name, r->cols[c].source,
						   buf_str(&found));
			buf_free(&found);
			snprintf(r->last.column, sizeof r->last.column, "%s", r->cols[c].name);
			return st;
		}
		r->colmap[c] = i;
	}
	return FMT_RECORD;
}

static enum fmt_status open_file(struct pq_reader *r, struct err *e)
{
	r->opened = true;
	enum fmt_status st = spool(r, e);
	if (st != FMT_RECORD)
		return st;
	struct buf b = BUF_INIT;
	if (r->size < 12) {
		/* an empty file is zero rows, as for the other formats */
		if (r->size == 0)
			return FMT_END;
		return fatal(r, e, "not a Parquet file: %lld bytes is too short",
			     (long long)r->size);
	}
	if (!read_at(r, 0, 4, &b) || memcmp(b.data, "PAR1", 4)) {
		buf_free(&b);
		return fatal(r, e, "not a Parquet file: it does not begin with \"PAR1\"");
	}
	if (!read_at(r, r->size - 8, 8, &b) || memcmp(b.data + 4, "PAR1", 4)) {
		buf_free(&b);
		return fatal(r, e, "the file does not end with \"PAR1\": it is truncated or "
			     "not Parquet");
	}
	const uint8_t *u = (const uint8_t *)b.data;
	uint32_t flen = u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
	if ((int64_t)flen > r->size - 12) {
		buf_free(&b);
		return fatal(r, e, "the footer's length (%u bytes) is more than the file holds "
			     "(%lld bytes): the file is truncated or damaged", flen,
			     (long long)r->size);
	}
	if (flen > MAX_FOOTER) {
		buf_free(&b);
		return fatal(r, e, "the footer is %u bytes, more than the %u sluice reads", flen,
			     MAX_FOOTER);
	}
	r->data_end = r->size - 8 - flen;
	if (!read_at(r, r->data_end, flen, &b)) {
		buf_free(&b);
		return fatal(r, e, "cannot read the footer: %s", strerror(errno));
	}
	struct tc_in t = { (const uint8_t *)b.data, (const uint8_t *)b.data + flen, 0, false, "" };
	int64_t num_rows = 0;
	parse_footer(r, &t, &num_rows);
	buf_free(&b);
	if (t.bad)
		return fatal(r, e, "the footer is damaged: %s", t.msg);
	st = check_schema(r, e);
	if (st == FMT_RECORD)
		st = map_columns(r, e);
	if (st == FMT_RECORD) {
		r->cur = xcalloc(r->nleaves ? r->nleaves : 1, sizeof *r->cur);
		r->fields = xcalloc(r->nleaves + r->ncols + 1, sizeof *r->fields);
		r->offs = xcalloc(r->nleaves + r->ncols + 1, sizeof *r->offs);
	}
	return st;
}

/* ---- pages ------------------------------------------------------------------------------------------ */

struct page_header {
	int type;
	int64_t usize, csize;
	int64_t num_values, num_nulls;
	int encoding, def_len, rep_len;
	bool compressed;
};

static void parse_page_header(struct tc_in *t, struct page_header *h)
{
	int16_t last = 0, id;
	int ty;
	memset(h, 0, sizeof *h);
	h->type = -1;
	h->csize = h->usize = -1;
	h->compressed = true;
	while (tc_field(t, &last, &id, &ty)) {
		if (id == 1) {
			h->type = (int)tc_int(t, ty);
		} else if (id == 2) {
			h->usize = tc_int(t, ty);
		} else if (id == 3) {
			h->csize = tc_int(t, ty);
		} else if ((id == 5 || id == 7 || id == 8) && ty == TC_STRUCT) {
			int16_t il = 0, iid;
			int ity;
			tc_struct_enter(t);
			while (tc_field(t, &il, &iid, &ity)) {
				int64_t v = ity == TC_TRUE || ity == TC_FALSE ? tc_bool(ity)
					: ity <= TC_I64 && ity >= TC_BYTE ? tc_int(t, ity) : 0;
				if (ity > TC_I64 || ity < TC_TRUE)
					tc_skip(t, ity);
				if (iid == 1)
					h->num_values = v;
				else if (id == 8 && iid == 2)
					h->num_nulls = v;
				else if ((id != 8 && iid == 2) || (id == 8 && iid == 4))
					h->encoding = (int)v;
				else if (id == 8 && iid == 5)
					h->def_len = (int)v;
				else if (id == 8 && iid == 6)
					h->rep_len = (int)v;
				else if (id == 8 && iid == 7)
					h->compressed = v;
			}
			tc_struct_leave(t);
		} else {
			tc_skip(t, ty);
		}
	}
}

/* The page header at c->pos, read in a window that grows until it holds
 * the whole header. */
static int read_page_header(struct pq_reader *r, struct cursor *c, struct page_header *h,
			    size_t *hlen, char *why, size_t nwhy)
{
	int64_t left = c->end - c->pos;
	size_t win = HEADER_WINDOW;
	for (;;) {
		size_t n = (int64_t)win < left ? win : (size_t)left;
		if (!read_at(r, c->pos, n, &c->raw)) {
			snprintf(why, nwhy, "cannot read at offset %lld", (long long)c->pos);
			return -1;
		}
		struct tc_in t = { (const uint8_t *)c->raw.data, (const uint8_t *)c->raw.data + n,
				   0, false, "" };
		parse_page_header(&t, h);
		if (!t.bad) {
			*hlen = (size_t)(t.p - (const uint8_t *)c->raw.data);
			return 0;
		}
		if ((int64_t)n == left || win >= MAX_HEADER) {
			snprintf(why, nwhy, "the page header at offset %lld is damaged: %s",
				 (long long)c->pos, t.msg);
			return -1;
		}
		win *= 4;
	}
}

static size_t fixed_width(const struct leaf *lf)
{
	switch (lf->phys) {
	case P_INT32: case P_FLOAT: return 4;
	case P_INT64: case P_DOUBLE: return 8;
	case P_INT96: return 12;
	case P_FLBA: return (size_t)lf->type_length;
	}
	return 0;
}

/* PLAIN values of a dictionary page into the cursor's entry table. */
static int load_dictionary(struct cursor *c, int64_t count, char *why, size_t nwhy)
{
	const struct leaf *lf = c->lf;
	if (count < 0 || count > MAX_PAGE_VALUES) {
		snprintf(why, nwhy, "a dictionary of %lld entries", (long long)count);
		return -1;
	}
	c->ndict = (size_t)count;
	c->doff = xrealloc(c->doff, (c->ndict + 1) * sizeof *c->doff);
	c->dlen = xrealloc(c->dlen, (c->ndict + 1) * sizeof *c->dlen);
	size_t at = 0, len = c->dict.len, w = fixed_width(lf);
	for (size_t k = 0; k < c->ndict; k++) {
		if (lf->phys == P_BYTE_ARRAY) {
			const uint8_t *p = (const uint8_t *)c->dict.data + at;
			if (len - at < 4) {
				snprintf(why, nwhy, "the dictionary ends inside entry %zu", k + 1);
				return -1;
			}
			uint32_t n = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				(uint32_t)p[3] << 24;
			if (n > len - at - 4) {
				snprintf(why, nwhy, "dictionary entry %zu runs past the page", k + 1);
				return -1;
			}
			c->doff[k] = (uint32_t)(at + 4);
			c->dlen[k] = n;
			at += 4 + n;
		} else if (lf->phys == P_BOOLEAN) {
			snprintf(why, nwhy, "a dictionary of booleans");
			return -1;
		} else {
			if (len - at < w) {
				snprintf(why, nwhy, "the dictionary ends inside entry %zu", k + 1);
				return -1;
			}
			c->doff[k] = (uint32_t)at;
			c->dlen[k] = (uint32_t)w;
			at += w;
		}
	}
	c->have_dict = true;
	return 0;
}

static int32_t get_le32(const uint8_t *p)
{
	return (int32_t)(p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* Levels and the start of the values of a data page now in c->page (v1)
 * or split between the raw levels and c->page (v2). */
static int setup_data_page(struct cursor *c, const struct page_header *h, const uint8_t *levels,
			   char *why, size_t nwhy)
{
	c->n = (size_t)h->num_values;
	c->at = c->taken = 0;
	c->defs = xrealloc(c->defs, (c->n + 1) * sizeof *c->defs);
	const uint8_t *p = (const uint8_t *)c->page.data, *end = p + c->page.len;
	bool optional = c->lf->repetition == 1;
	if (!optional) {
		for (size_t k = 0; k < c->n; k++)
			c->defs[k] = 1;
	} else if (h->type == PAGE_DATA_V2) {
		if (pq_rle_decode(levels, (size_t)h->def_len, 1, c->defs, c->n) < 0) {
			snprintf(why, nwhy, "the definition levels are damaged");
			return -1;
		}
	} else {
		if (end - p < 4 || (uint32_t)get_le32(p) > (size_t)(end - p - 4) ||
		    pq_rle_decode(p + 4, (size_t)get_le32(p), 1, c->defs, c->n) < 0) {
			snprintf(why, nwhy, "the definition levels are damaged");
			return -1;
		}
		p += 4 + (uint32_t)get_le32(p);
	}
	c->nonnull = 0;
	for (size_t k = 0; k < c->n; k++)
		c->nonnull += c->defs[k] == 1;
	c->enc = h->encoding;
	c->vp = p;
	c->vend = end;
	size_t w = fixed_width(c->lf);
	switch (c->enc) {
	case E_PLAIN:
		if ((c->lf->phys == P_BOOLEAN && (size_t)(end - p) < (c->nonnull + 7) / 8) ||
		    (w && (size_t)(end - p) / w < c->nonnull)) {
			snprintf(why, nwhy, "the page holds fewer values than it declares");
			return -1;
		}
		return 0;
	case E_PLAIN_DICTIONARY:
	case E_RLE_DICTIONARY:
		if (!c->have_dict) {
			snprintf(why, nwhy, "a dictionary-encoded page without a dictionary");
			return -1;
		}
		c->idx = xrealloc(c->idx, (c->nonnull + 1) * sizeof *c->idx);
		if (p >= end || *p > 32 ||
		    pq_rle_decode(p + 1, (size_t)(end - p - 1), *p, c->idx, c->nonnull) < 0) {
			snprintf(why, nwhy, "the dictionary indices are damaged");
			return -1;
		}
		return 0;
	case E_RLE:
		if (c->lf->phys != P_BOOLEAN)
			break;
		c->idx = xrealloc(c->idx, (c->nonnull + 1) * sizeof *c->idx);
		if (end - p < 4 || (uint32_t)get_le32(p) > (size_t)(end - p - 4) ||
		    pq_rle_decode(p + 4, (size_t)get_le32(p), 1, c->idx, c->nonnull) < 0) {
			snprintf(why, nwhy, "the booleans are damaged");
			return -1;
		}
		return 0;
	}
	snprintf(why, nwhy, "encoding %d is not supported (sluice reads PLAIN, RLE and "
		 "dictionary encodings)", c->enc);
	return -1;
}

/* Load pages until a data page with values is current. */
static int next_page(struct pq_reader *r, struct cursor *c, char *why, size_t nwhy)
{
	for (;;) {
		if (c->pos >= c->end) {
			snprintf(why, nwhy, "the column chunk ends before the row group's rows do");
			return -1;
		}
		struct page_header h;
		size_t hlen;
		if (read_page_header(r, c, &h, &hlen, why, nwhy) < 0)
			return -1;
		if (h.csize < 0 || h.usize < 0 || h.csize > MAX_PAGE || h.usize > MAX_PAGE) {
			snprintf(why, nwhy, "a page at offset %lld declares %lld bytes (%lld "
				 "uncompressed), beyond the %u sluice reads", (long long)c->pos,
				 (long long)h.csize, (long long)h.usize, MAX_PAGE);
			return -1;
		}
		if (h.csize > c->end - c->pos - (int64_t)hlen) {
			snprintf(why, nwhy, "a page at offset %lld runs past its column chunk",
				 (long long)c->pos);
			return -1;
		}
		int64_t at = c->pos + (int64_t)hlen;
		c->pos = at + h.csize;
		if (h.type == PAGE_INDEX)
			continue;
		if (h.type != PAGE_DATA && h.type != PAGE_DATA_V2 && h.type != PAGE_DICTIONARY) {
			snprintf(why, nwhy, "unknown page type %d", h.type);
			return -1;
		}
		if (h.num_values < 0 || h.num_values > MAX_PAGE_VALUES) {
			snprintf(why, nwhy, "a page declares %lld values", (long long)h.num_values);
			return -1;
		}
		if (!read_at(r, at, (size_t)h.csize, &c->raw)) {
			snprintf(why, nwhy, "cannot read at offset %lld", (long long)at);
			return -1;
		}
		const uint8_t *src = (const uint8_t *)c->raw.data;
		size_t n = (size_t)h.csize, want = (size_t)h.usize, lv = 0;
		struct err de;
		if (h.type == PAGE_DATA_V2) {
			if (h.def_len < 0 || h.rep_len != 0 || (size_t)h.def_len > n ||
			    (size_t)h.def_len > want) {
				snprintf(why, nwhy, "the page's level sizes are damaged");
				return -1;
			}
			lv = (size_t)h.def_len;
		}
		int codec = h.type == PAGE_DATA_V2 && !h.compressed ? PQ_UNCOMPRESSED : c->codec;
		if (pq_decompress(codec, src + lv, n - lv, want - lv, h.type == PAGE_DICTIONARY
				  ? &c->dict : &c->page, &de) < 0) {
			snprintf(why, nwhy, "a page at offset %lld: %.200s", (long long)at, de.msg);
			return -1;
		}
		if (h.type == PAGE_DICTIONARY) {
			if (load_dictionary(c, h.num_values, why, nwhy) < 0)
				return -1;
			continue;
		}
		if (h.num_values == 0)
			continue;
		return setup_data_page(c, &h, src, why, nwhy);
	}
}

/* ---- values ------------------------------------------------------------------------------------------- */

/* One value as the file holds it. */
struct raw {
	bool null;
	const uint8_t *p;         /* its bytes (PLAIN layout; BYTE_ARRAY without length) */
	size_t len;
	bool b;
};

static int next_value(struct pq_reader *r, struct cursor *c, struct raw *v, char *why,
		      size_t nwhy)
{
	if (c->at == c->n && next_page(r, c, why, nwhy) < 0)
		return -1;
	memset(v, 0, sizeof *v);
	if (c->defs[c->at++] != 1) {
		v->null = true;
		return 0;
	}
	size_t k = c->taken++;
	if (c->enc == E_PLAIN_DICTIONARY || c->enc == E_RLE_DICTIONARY) {
		uint32_t i = c->idx[k];
		if (i >= c->ndict) {
			snprintf(why, nwhy, "dictionary index %u is out of range (%zu entries)", i,
				 c->ndict);
			return -1;
		}
		v->p = (const uint8_t *)c->dict.data + c->doff[i];
		v->len = c->dlen[i];
		return 0;
	}
	if (c->lf->phys == P_BOOLEAN) {
		v->b = c->enc == E_RLE ? c->idx[k] : (c->vp[k / 8] >> (k % 8)) & 1;
		return 0;
	}
	if (c->lf->phys == P_BYTE_ARRAY) {
		if (c->vend - c->vp < 4 || (uint32_t)get_le32(c->vp) > (size_t)(c->vend - c->vp - 4)) {
			snprintf(why, nwhy, "a value runs past its page");
			return -1;
		}
		v->len = (uint32_t)get_le32(c->vp);
		v->p = c->vp + 4;
		c->vp += 4 + v->len;
		return 0;
	}
	size_t w = fixed_width(c->lf);
	v->p = c->vp + k * w;
	v->len = w;
	return 0;
}

static uint64_t le(const uint8_t *p, size_t n)
{
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++)
		x |= (uint64_t)p[i] << (8 * i);
	return x;
}

static void put_decimal(struct buf *b, __int128 v, int scale)
{
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	char d[64];
	int n = 0;
	do {
		d[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	while (n <= scale)
		d[n++] = '0';
	if (v < 0)
		buf_putc(b, '-');
	for (int i = n - 1; i >= 0; i--) {
		buf_putc(b, d[i]);
		if (i == scale && scale > 0)
			buf_putc(b, '.');
	}
}

static bool put_timestamp(struct buf *b, int64_t us)
{
	int64_t days = cal_floor_div(us, 86400000000LL);
	int64_t rem = us - days * 86400000000LL;
	int64_t y;
	int m, d;
	cal_civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return false;
	buf_printf(b, "%04lld-%02d-%02d %02lld:%02lld:%02lld.%06lld", (long long)y, m, d,
		   (long long)(rem / 3600000000LL), (long long)(rem / 60000000 % 60),
		   (long long)(rem / 1000000 % 60), (long long)(rem % 1000000));
	return true;
}

static void put_double(struct buf *b, double x, bool single, enum fmt_kind *kind)
{
	if (isnan(x) || isinf(x)) {
		buf_puts(b, isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity");
		*kind = FK_STRING;
		return;
	}
	char s[40];
	for (int prec = single ? 6 : 15; prec <= 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, x);
		if (single ? strtof(s, NULL) == (float)x : strtod(s, NULL) == x)
			break;
	}
	buf_puts(b, s);
	*kind = FK_NUMBER;
}

/* The value as text into b: its kind, or FK_NULL with *why set when it
 * cannot be text. */
static enum fmt_kind value_text(const struct leaf *lf, const struct raw *v, struct buf *b,
				const char **why)
{
	enum fmt_kind kind = FK_NUMBER;
	int64_t i = 0;
	switch (lf->phys) {
	case P_BOOLEAN:
		buf_puts(b, v->b ? "true" : "false");
		return FK_BOOL;
	case P_INT32:
		i = lf->lt == LT_UNSIGNED ? (int64_t)(uint32_t)le(v->p, 4) : (int32_t)le(v->p, 4);
		break;
	case P_INT64:
		i = (int64_t)le(v->p, 8);
		if (lf->lt == LT_UNSIGNED) {
			buf_printf(b, "%llu", (unsigned long long)le(v->p, 8));
			return FK_NUMBER;
		}
		break;
	case P_INT96: {
		int64_t nanos = (int64_t)le(v->p, 8), jday = (int32_t)le(v->p + 8, 4);
		if (jday < 1721426 || jday > 5373484 || nanos < 0 || nanos > 86400000000000LL ||
		    !put_timestamp(b, (jday - 2440588) * 86400000000LL + nanos / 1000)) {
			*why = "the timestamp is outside the years 1 to 9999";
			return FK_NULL;
		}
		return FK_STRING;
	}
	case P_FLOAT: {
		uint32_t bits = (uint32_t)le(v->p, 4);
		float f;
		memcpy(&f, &bits, 4);
		put_double(b, f, true, &kind);
		return kind;
	}
	case P_DOUBLE: {
		uint64_t bits = le(v->p, 8);
		double d;
		memcpy(&d, &bits, 8);
		put_double(b, d, false, &kind);
		return kind;
	}
	case P_BYTE_ARRAY:
	case P_FLBA:
		if (lf->lt == LT_DECIMAL) {
			if (v->len == 0 || v->len > 16) {
				*why = "a decimal of more than 16 bytes";
				return FK_NULL;
			}
			__int128 x = (int8_t)v->p[0];
			for (size_t k = 1; k < v->len; k++)
				x = x * 256 + v->p[k];
			put_decimal(b, x, lf->scale);
			return FK_NUMBER;
		}
		if (lf->lt == LT_UUID && v->len == 16) {
			for (size_t k = 0; k < 16; k++)
				buf_printf(b, "%s%02x", k == 4 || k == 6 || k == 8 || k == 10 ? "-" : "",
					   v->p[k]);
			return FK_STRING;
		}
		if (utf8_valid_prefix((const char *)v->p, v->len) != v->len) {
			*why = "the value is not UTF-8 text";
			return FK_NULL;
		}
		if (memchr(v->p, 0, v->len)) {
			*why = "the text holds a NUL character, which no database text type can";
			return FK_NULL;
		}
		buf_append(b, v->p, v->len);
		return FK_STRING;
	}
	switch (lf->lt) {
	case LT_DECIMAL:
		put_decimal(b, i, lf->scale);
		return FK_NUMBER;
	case LT_DATE: {
		int64_t y;
		int m, d;
		cal_civil_from_days(i, &y, &m, &d);
		if (y < 1 || y > 9999) {
			*why = "the date is outside the years 1 to 9999";
			return FK_NULL;
		}
		buf_printf(b, "%04lld-%02d-%02d", (long long)y, m, d);
		return FK_STRING;
	}
	case LT_TIME: {
		int64_t us = lf->unit == 1000 ? (i > 86400000 || i < 0 ? -1 : i * 1000)
			: lf->unit == 1000000 ? i : i / 1000;
		if (us < 0 || us > 86400000000LL) {
			*why = "the time of day is out of range";
			return FK_NULL;
		}
		buf_printf(b, "%02lld:%02lld:%02lld.%06lld", (long long)(us / 3600000000LL),
			   (long long)(us / 60000000 % 60), (long long)(us / 1000000 % 60),
			   (long long)(us % 1000000));
		return FK_STRING;
	}
	case LT_TIMESTAMP: {
		/* beyond what years 1..9999 need, whatever the unit */
		const int64_t limit = 400000000000000000LL;
		int64_t us = lf->unit == 1000000 ? i : lf->unit == 1000000000
			? cal_floor_div(i, 1000) : i > limit / 1000 || i < -limit / 1000 ? INT64_MAX
			: i * 1000;
		if (us > limit || us < -limit || !put_timestamp(b, us)) {
			*why = "the timestamp is outside the years 1 to 9999";
			return FK_NULL;
		}
		return FK_STRING;
	}
	default:
		buf_printf(b, "%lld", (long long)i);
		return FK_NUMBER;
	}
}

/* ---- rows ---------------------------------------------------------------------------------------------- */

static enum fmt_status start_group(struct pq_reader *r, struct err *e)
{
	struct group *g = &r->groups[r->g];
	r->row = 0;
	r->in_group = true;
	for (size_t i = 0; i < r->nleaves; i++) {
		const struct chunk *ch = &g->chunks[i];
		struct cursor *c = &r->cur[i];
		int64_t start = ch->dict_offset > 0 && ch->dict_offset < ch->data_offset
			? ch->dict_offset : ch->data_offset;
		if (start < 4 || ch->size <= 0 || start > r->data_end ||
		    ch->size > r->data_end - start)
			return fatal(r, e, "column \"%s\": the chunk at offset %lld of %lld bytes "
				     "lies outside the file's data (%lld bytes)", r->leaves[i].name,
				     (long long)start, (long long)ch->size, (long long)r->data_end);
		c->lf = &r->leaves[i];
		c->pos = start;
		c->end = start + ch->size;
		c->codec = ch->codec;
		c->have_dict = false;
		c->ndict = 0;
		c->n = c->at = 0;
	}
	return FMT_RECORD;
}

static enum fmt_status bad(struct pq_reader *r, struct err *e, const char *column,
			   const char *fmt, ...) PRINTF_LIKE(4, 5);
static enum fmt_status bad(struct pq_reader *r, struct err *e, const char *column,
			   const char *fmt, ...)
{
	struct fmt_error *x = &r->last;
	memset(x, 0, sizeof *x);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof x->message, fmt, ap);
	va_end(ap);
	x->line = (long)r->g + 1;
	x->col = (int)r->row;
	snprintf(x->column, sizeof x->column, "%s", column);
	char where[300];
	snprintf(where, sizeof where, "%s row group %zu, row %lld", r->source, r->g + 1,
		 (long long)r->row);
	if (e)
		err_at(e, ERR_PARSE, where, "column \"%s\": %s", column, x->message);
	return FMT_BAD_RECORD;
}

enum fmt_status pq_reader_next(struct pq_reader *r, struct fmt_record *rec, struct err *e)
{
	memset(rec, 0, sizeof *rec);
	if (r->is_fatal) {
		if (e)
			*e = r->fatal_err;
		return FMT_FATAL;
	}
	if (!r->opened) {
		enum fmt_status st = open_file(r, e);
		if (st != FMT_RECORD)
			return st;
	}
	while (!r->in_group || r->row == r->groups[r->g].rows) {
		if (r->in_group)
			r->g++;
		r->in_group = false;
		if (r->g >= r->ngroups)
			return FMT_END;
		enum fmt_status st = start_group(r, e);
		if (st != FMT_RECORD)
			return st;
	}
	r->index++;
	buf_reset(&r->vals);
	/* every column gives its value, so that the cursors stay on one row */
	const char *why = NULL, *bad_column = NULL;
	for (size_t i = 0; i < r->nleaves; i++) {
		struct raw v;
		char pwhy[300];
		if (next_value(r, &r->cur[i], &v, pwhy, sizeof pwhy) < 0)
			return fatal(r, e, "column \"%s\": %s", r->leaves[i].name, pwhy);
		r->offs[i] = r->vals.len;
		r->fields[i] = (struct fmt_field){ r->leaves[i].name, NULL, 0, FK_NULL };
		if (v.null)
			continue;
		const char *vwhy = NULL;
		enum fmt_kind k = value_text(&r->leaves[i], &v, &r->vals, &vwhy);
		if (vwhy && !why) {
			why = vwhy;
			bad_column = r->leaves[i].name;
		}
		r->fields[i].kind = k;
		r->fields[i].len = r->vals.len - r->offs[i];
		buf_putc(&r->vals, '\0');
	}
	r->row++;
	if (why)
		return bad(r, e, bad_column, "%s", why);
	for (size_t i = 0; i < r->nleaves; i++)
		if (r->fields[i].kind != FK_NULL)
			r->fields[i].value = r->vals.data + r->offs[i];
	struct fmt_field *out = r->fields;
	if (r->ncols) {
		out = r->fields + r->nleaves;
		buf_reset(&r->text);
		size_t *at = r->offs + r->nleaves;
		for (size_t c = 0; c < r->ncols; c++) {
			const struct fmt_field *f = &r->fields[r->colmap[c]];
			at[c] = r->text.len;
			out[c] = (struct fmt_field){ r->cols[c].name, NULL, 0, FK_NULL };
			if (f->kind == FK_NULL)
				continue;
			if (r->cols[c].type == FT_TEXT && f->kind == FK_STRING) {
				/* the value is its own canonical text: no copy */
				out[c] = (struct fmt_field){ r->cols[c].name, f->value, f->len, FK_STRING };
				at[c] = SIZE_MAX;
				continue;
			}
			struct err ce;
			if (fmt_coerce(r->cols[c].type, f->kind, f->value, f->len, &r->text, &ce) < 0)
				return bad(r, e, r->cols[c].name, "%s", ce.msg);
			out[c].len = r->text.len - at[c];
			buf_putc(&r->text, '\0');
			out[c].kind = fmt_type_kind(r->cols[c].type, r->text.data + at[c]);
		}
		for (size_t c = 0; c < r->ncols; c++)
			if (out[c].kind != FK_NULL && at[c] != SIZE_MAX)
				out[c].value = r->text.data + at[c];
	}
	rec->fields = out;
	rec->nfields = r->ncols ? r->ncols : r->nleaves;
	rec->line = (long)r->g + 1;
	rec->col = (int)r->row;
	rec->index = r->index;
	return FMT_RECORD;
}

const struct fmt_error *pq_reader_error(const struct pq_reader *r)
{
	return &r->last;
}

struct pq_reader *pq_reader_new(const char *source, const struct fmt_column *cols,
				size_t ncols, fmt_read_fn read, void *arg, struct err *e)
{
	(void)e;
	struct pq_reader *r = xcalloc(1, sizeof *r);
	r->source = xstrdup(source ? source : "input");
	r->read = read;
	r->arg = arg;
	r->ncols = ncols;
	r->cols = xcalloc(ncols ? ncols : 1, sizeof *r->cols);
	for (size_t i = 0; i < ncols; i++) {
		r->cols[i].name = xstrdup(cols[i].name);
		r->cols[i].source = xstrdup(cols[i].source && *cols[i].source ? cols[i].source
					    : cols[i].name);
		r->cols[i].type = cols[i].type;
	}
	return r;
}

static void cursor_free(struct cursor *c)
{
	buf_free(&c->dict);
	buf_free(&c->raw);
	buf_free(&c->page);
	free(c->doff);
	free(c->dlen);
	free(c->defs);
	free(c->idx);
}

void pq_reader_free(struct pq_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	for (size_t i = 0; i < r->ncols; i++) {
		free((char *)r->cols[i].name);
		free((char *)r->cols[i].source);
	}
	free(r->cols);
	free(r->colmap);
	if (r->cur)
		for (size_t i = 0; i < r->nleaves; i++)
			cursor_free(&r->cur[i]);
	free(r->cur);
	for (size_t i = 0; i < r->nleaves; i++)
		free(r->leaves[i].name);
	free(r->leaves);
	for (size_t g = 0; g < r->ngroups; g++)
		free(r->groups[g].chunks);
	free(r->groups);
	free(r->fields);
	free(r->offs);
	buf_free(&r->vals);
	buf_free(&r->text);
	free(r->source);
	free(r);
}
