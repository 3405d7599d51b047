/*
 * reader.c - records out of NDJSON, JSON and CSV input, one at a time.
 *
 * Each format has its own way to find the next record (a line, an array
 * element, a CSV row); all three end in the same place: a list of fields,
 * either everything the record holds or the declared columns converted to
 * their types.  Errors carry "SOURCE:LINE:COL" and the column, and are
 * sorted into those the reader can step over (the record is bad) and those
 * it cannot (the input is unreadable from here on).
 */
#include "format/format_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum json_state { JS_TOP, JS_FIRST, JS_NEXT };

struct fmt_reader {
	enum fmt_format format;
	char *source;
	char delim;
	struct fmt_column *cols;
	size_t ncols;
	size_t max_record;
	struct fmt_gunzip *gz;    /* between the callback and `in`, unless NONE */
	struct fmt_input in;

	bool is_fatal;
	struct err fatal_err;
	struct fmt_error last;
	uint64_t index;

	/* the current record */
	cJSON *doc;
	bool doc_built;
	struct fmt_field *fields;
	size_t nfields, capfields;
	size_t *offs;             /* value offsets in vals; NULL_VALUE, REF_VALUE */
	struct buf vals;
	struct buf scratch;

	/* JSON */
	struct jp jp;
	enum json_state jstate;
	long arr_line;
	int arr_col;

	/* CSV */
	struct csv_scan csv;
	size_t skip_lines;        /* still to skip before the header or data */
	bool no_header;
	char **null_if;
	size_t nnull_if;
	bool empty_is_text;
	bool header_done;
	char **header;
	size_t nheader;
	size_t *colmap;           /* declared column -> header field */

	struct pq_reader *pq;     /* FMT_PARQUET */
};

/* ---- errors ------------------------------------------------------------------------- */

static enum fmt_status fail(struct fmt_reader *r, struct err *e, bool fatal, long line,
			    int col, const char *column, const char *fmt, ...) PRINTF_LIKE(7, 8);

static enum fmt_status fail(struct fmt_reader *r, struct err *e, bool fatal, long line,
			    int col, const char *column, const char *fmt, ...)
{
	struct fmt_error *x = &r->last;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof x->message, fmt, ap);
	va_end(ap);
	x->line = line;
	x->col = col;
	x->fatal = fatal;
	snprintf(x->column, sizeof x->column, "%s", column ? column : "");
	char where[300];
	snprintf(where, sizeof where, "%s:%ld:%d", r->source, line, col);
	struct err local;
	if (!e)
		e = &local;
	if (x->column[0])
		err_at(e, ERR_PARSE, where, "column \"%s\": %s", x->column, x->message);
	else
		err_at(e, ERR_PARSE, where, "%s", x->message);
	if (fatal) {
		r->is_fatal = true;
		r->fatal_err = *e;
	}
	return fatal ? FMT_FATAL : FMT_BAD_RECORD;
}

/* The callback failed: its own error, as given.  A decompressing
 * callback's ERR_PARSE (a gzip stream cut short or corrupt) is the file's
 * fault, not the lake's. */
static enum fmt_status io_fail(struct fmt_reader *r, struct err *e)
{
	struct fmt_error *x = &r->last;
	memset(x, 0, sizeof *x);
	x->fatal = true;
	x->io = r->in.ioerr.code != ERR_PARSE;
	snprintf(x->message, sizeof x->message, "%.500s", r->in.ioerr.msg);
	r->is_fatal = true;
	r->fatal_err = r->in.ioerr;
	if (e)
		*e = r->in.ioerr;
	return FMT_FATAL;
}

static enum fmt_status too_large(struct fmt_reader *r, struct err *e, bool fatal, long line,
				 int col)
{
	char size[32];
	format_size(r->max_record, size, sizeof size);
	return fail(r, e, fatal, line, col, NULL, "record is larger than the limit of %s", size);
}

static enum fmt_status parse_fail(struct fmt_reader *r, struct err *e, bool fatal, long line,
				  int col)
{
	struct jp *p = &r->jp;
	if (r->in.failed)
		return io_fail(r, e);
	if (p->limit)
		return too_large(r, e, fatal, line, col);
	return fail(r, e, fatal, p->eline, p->ecol, p->ecolumn[0] ? p->ecolumn : NULL, "%s",
		    p->emsg);
}

/* ---- fields ---------------------------------------------------------------------------- */

#define NULL_VALUE SIZE_MAX          /* the field is NULL */
#define REF_VALUE (SIZE_MAX - 1)     /* the field points into the document */
#define KEEP_MAX (1024 * 1024)       /* buffers larger than this go after a record */

static void shrink(struct buf *b)
{
	if (b->cap > KEEP_MAX)
		buf_free(b);
	else
		buf_reset(b);
}

static void clear_record(struct fmt_reader *r)
{
	cJSON_Delete(r->doc);
	r->doc = NULL;
	r->doc_built = false;
	r->nfields = 0;
	shrink(&r->vals);
	shrink(&r->scratch);
	shrink(&r->jp.sb);
	shrink(&r->csv.text);
}

/* A new field at the end of the record; its value is set by the caller. */
static size_t new_field(struct fmt_reader *r, const char *name, enum fmt_kind kind, size_t len)
{
	if (r->nfields == r->capfields) {
		r->capfields = r->capfields ? r->capfields * 2 : 32;
		r->fields = xrealloc(r->fields, r->capfields * sizeof *r->fields);
		r->offs = xrealloc(r->offs, r->capfields * sizeof *r->offs);
	}
	size_t i = r->nfields++;
	r->fields[i] = (struct fmt_field){ name, NULL, len, kind };
	return i;
}

static void add_field(struct fmt_reader *r, const char *name, enum fmt_kind kind,
		      const char *text, size_t len)
{
	size_t i = new_field(r, name, text ? kind : FK_NULL, text ? len : 0);
	if (!text) {
		r->offs[i] = NULL_VALUE;
		return;
	}
	r->offs[i] = r->vals.len;
	buf_append(&r->vals, text, len);
	buf_putc(&r->vals, '\0');
}

/* A value that lives as long as the record (a string or number of the
 * document, a CSV field in the scanner's buffer): no copy of a 60 MiB
 * value. */
static void add_ref(struct fmt_reader *r, const char *name, enum fmt_kind kind,
		    const char *text, size_t len)
{
	size_t i = new_field(r, name, kind, len);
	r->offs[i] = REF_VALUE;
	r->fields[i].value = text;
}

/* A CSV value converted to its column's type, written straight into the
 * record's value buffer. */
static int add_coerced(struct fmt_reader *r, const struct fmt_column *k, const char *text,
		       size_t len, struct err *e)
{
	size_t off = r->vals.len;
	if (fmt_coerce(k->type, FK_STRING, text, len, &r->vals, e) < 0)
		return -1;
	size_t n = r->vals.len - off;
	buf_putc(&r->vals, '\0');
	size_t i = new_field(r, k->name, fmt_type_kind(k->type, r->vals.data + off), n);
	r->offs[i] = off;
	return 0;
}

static enum fmt_status finish_record(struct fmt_reader *r, struct fmt_record *rec, long line,
				     int col)
{
	for (size_t i = 0; i < r->nfields; i++) {
		if (r->offs[i] == NULL_VALUE)
			r->fields[i].value = NULL;
		else if (r->offs[i] != REF_VALUE)
			r->fields[i].value = r->vals.data + r->offs[i];
	}
	rec->fields = r->fields;
	rec->nfields = r->nfields;
	rec->line = line;
	rec->col = col;
	rec->index = r->index;
	return FMT_RECORD;
}

/* A parsed JSON value becomes a record (or the reason it cannot). */
static enum fmt_status json_record(struct fmt_reader *r, cJSON *v, long line, int col,
				   bool top, struct fmt_record *rec, struct err *e)
{
	if (!cJSON_IsObject(v)) {
		const char *got = fmt_item_kind_phrase(v);
		cJSON_Delete(v);
		return fail(r, e, false, line, col, NULL, "expected an object%s, got %s",
			    top && r->format == FMT_JSON ? " or an array of objects" : "", got);
	}
	r->doc = v;
	if (!r->ncols) {
		for (cJSON *c = v->child; c; c = c->next) {
			if ((cJSON_IsString(c) || cJSON_IsNumber(c)) && c->valuestring) {
				add_ref(r, c->string, fmt_item_kind(c), c->valuestring,
					strlen(c->valuestring));
				continue;
			}
			bool null;
			buf_reset(&r->scratch);
			fmt_item_text(c, &r->scratch, &null);
			add_field(r, c->string, fmt_item_kind(c), null ? NULL : buf_str(&r->scratch),
				  r->scratch.len);
		}
		return finish_record(r, rec, line, col);
	}
	for (size_t i = 0; i < r->ncols; i++) {
		const struct fmt_column *k = &r->cols[i];
		size_t at = 0;
		cJSON *c = v->child;
		for (; c && strcmp(c->string, k->source); c = c->next)
			at++;
		bool null;
		struct err ce;
		buf_reset(&r->scratch);
		if (fmt_coerce_item(k->type, c, &r->scratch, &null, &ce) < 0) {
			long vl = at < r->jp.ntpos ? r->jp.tpos[at].line : line;
			int vc = at < r->jp.ntpos ? r->jp.tpos[at].col : col;
			return fail(r, e, false, vl, vc, k->name, "%s", ce.msg);
		}
		add_field(r, k->name, null ? FK_NULL : fmt_type_kind(k->type, buf_str(&r->scratch)),
			  null ? NULL : buf_str(&r->scratch), r->scratch.len);
	}
	return finish_record(r, rec, line, col);
}

/* ---- NDJSON ------------------------------------------------------------------------------ */

static void skip_line(struct fmt_input *in)
{
	int c;
	while ((c = in_peek(in)) >= 0) {
		in_skip(in);
		if (c == '\n')
			break;
	}
}

/* Parse the next record's JSON value, fenced at the record size limit; the
 * caller lifts the fence (in->fence = NO_FENCE) when it is done reading. */
static cJSON *parse_next_record(struct fmt_reader *r)
{
	struct fmt_input *in = &r->in;
	r->index++;
	in->fence = in->offset + r->max_record;
	fmt_jp_reset(&r->jp);
	return fmt_jp_value(&r->jp);
}

static enum fmt_status ndjson_next(struct fmt_reader *r, struct fmt_record *rec, struct err *e)
{
	struct fmt_input *in = &r->in;
	for (;;) {
		int c = in_peek(in);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			in_skip(in);
			continue;
		}
		if (c == IN_EOF)
			return FMT_END;
		if (c == IN_IOERR)
			return io_fail(r, e);
		break;
	}
	long line = in->line;
	int col = in->col;
	struct jp *p = &r->jp;
	cJSON *v = parse_next_record(r);
	if (v && !p->failed) {
		bool cr = false;
		int c;
		while ((c = in_peek(in)) == ' ' || c == '\t' || c == '\r') {
			cr = cr || c == '\r';
			in_skip(in);
		}
		if (c == IN_LIMIT) {
			p->limit = true;
			fmt_jp_error(p, true, "record too large");
		} else if (c == IN_IOERR) {
			fmt_jp_error(p, true, "%s", in->ioerr.msg);
		} else if (c != '\n' && c != IN_EOF) {
			char what[32];
			fmt_describe_byte(c, what, sizeof what);
			fmt_jp_error(p, true, "expected end of line after the value, got %s%s", what,
				 cr ? " (lines end with a bare CR: only LF and CRLF end a line)" : "");
		}
	}
	in->fence = NO_FENCE;
	if (p->failed) {
		cJSON_Delete(v);
		if (in->failed)
			return io_fail(r, e);
		skip_line(in);
		return parse_fail(r, e, false, line, col);
	}
	if (in_peek(in) == '\n')
		in_skip(in);
	return json_record(r, v, line, col, false, rec, e);
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static int skip_json_ws(struct fmt_input *in)
{
	for (;;) {
		int c = in_peek(in);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			in_skip(in);
		else
			return c;
	}
}

static enum fmt_status json_element(struct fmt_reader *r, bool top, struct fmt_record *rec,
				    struct err *e)
{
	struct fmt_input *in = &r->in;
	long line = in->line;
	int col = in->col;
	struct jp *p = &r->jp;
	cJSON *v = parse_next_record(r);
	in->fence = NO_FENCE;
	if (!top)
		r->jstate = JS_NEXT;
	if (!v || p->hard) {
		cJSON_Delete(v);
		return parse_fail(r, e, true, line, col);
	}
	if (p->failed) {
		cJSON_Delete(v);
		return parse_fail(r, e, false, line, col);
	}
	return json_record(r, v, line, col, top, rec, e);
}

static enum fmt_status json_next(struct fmt_reader *r, struct fmt_record *rec, struct err *e)
{
	struct fmt_input *in = &r->in;
	for (;;) {
		int c = skip_json_ws(in);
		if (c == IN_IOERR)
			return io_fail(r, e);
		char what[32];
		fmt_describe_byte(c, what, sizeof what);
		switch (r->jstate) {
		case JS_TOP:
			if (c == IN_EOF)
				return FMT_END;
			if (c == '[') {
				r->arr_line = in->line;
				r->arr_col = in->col;
				in_skip(in);
				r->jstate = JS_FIRST;
				continue;
			}
			return json_element(r, true, rec, e);
		case JS_FIRST:
			if (c == ']') {
				in_skip(in);
				r->jstate = JS_TOP;
				continue;
			}
			break;
		case JS_NEXT:
			if (c == ']') {
				in_skip(in);
				r->jstate = JS_TOP;
				continue;
			}
			if (c != ',' && c != IN_EOF)
				return fail(r, e, true, in->line, in->col, NULL,
					    "expected \",\" or \"]\" after an array element, got %s", what);
			if (c == ',') {
				in_skip(in);
				c = skip_json_ws(in);
				if (c == IN_IOERR)
					return io_fail(r, e);
				if (c == ']')
					return fail(r, e, true, in->line, in->col, NULL,
						    "trailing comma before \"]\"");
			}
			break;
		}
		if (c == IN_EOF)
			return fail(r, e, true, in->line, in->col, NULL,
				    "unexpected end of input: array opened at line %ld, column %d "
				    "is not closed", r->arr_line, r->arr_col);
		return json_element(r, false, rec, e);
	}
}

/* ---- CSV ------------------------------------------------------------------------------------ */

static const char *field_text(const struct csv_scan *s, size_t i)
{
	return s->text.data + s->f[i].off;
}

/* skip_header: whole lines, whatever they hold (a title, a banner). */
static enum fmt_status csv_skip_lines(struct fmt_reader *r, struct err *e)
{
	for (; r->skip_lines > 0; r->skip_lines--) {
		if (in_peek(&r->in) == IN_IOERR)
			return io_fail(r, e);
		skip_line(&r->in);
		if (r->in.failed)
			return io_fail(r, e);
	}
	return FMT_RECORD;
}

/* header: false: the declared columns are the fields, in order. */
static void csv_declared_header(struct fmt_reader *r)
{
	r->nheader = r->ncols;
	r->header = xcalloc(r->ncols ? r->ncols : 1, sizeof *r->header);
	r->colmap = xcalloc(r->ncols ? r->ncols : 1, sizeof *r->colmap);
	for (size_t c = 0; c < r->ncols; c++) {
		r->header[c] = xstrdup(r->cols[c].name);
		r->colmap[c] = c;
	}
	r->header_done = true;
}

static enum fmt_status csv_header(struct fmt_reader *r, struct err *e)
{
	struct csv_scan *s = &r->csv;
	enum fmt_status skipped = csv_skip_lines(r, e);
	if (skipped != FMT_RECORD)
		return skipped;
	if (r->no_header) {
		csv_declared_header(r);
		return FMT_RECORD;
	}
	s->keep = FMT_MAX_COLUMNS + 1;
	s->skip_blank = true;
	int rc = fmt_csv_scan(s, &r->in, r->max_record);
	if (rc == 0)
		return FMT_END;
	if (rc == -2)
		return io_fail(r, e);
	if (rc == -1 || s->failed)
		return fail(r, e, true, s->eline, s->ecol, NULL, "%s%s", s->emsg,
			    rc == -1 ? "" : " (in the header)");
	if (s->over)
		return too_large(r, e, true, s->line, s->col);
	if (s->count > FMT_MAX_COLUMNS)
		return fail(r, e, true, s->line, s->col, NULL,
			    "the header has more than %d fields", FMT_MAX_COLUMNS);
	r->nheader = s->nf;
	r->header = xcalloc(s->nf, sizeof *r->header);
	for (size_t i = 0; i < s->nf; i++) {
		const struct csv_field *f = &s->f[i];
		if (f->len == 0)
			return fail(r, e, true, f->line, f->col, NULL,
				    "empty column name in the header (field %zu)", i + 1);
		r->header[i] = xstrdup(field_text(s, i));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r->header[j], r->header[i]))
				return fail(r, e, true, f->line, f->col, NULL,
					    "duplicate column name \"%s\" in the header (fields %zu "
					    "and %zu)", r->header[i], j + 1, i + 1);
	}
	r->colmap = xcalloc(r->ncols ? r->ncols : 1, sizeof *r->colmap);
	for (size_t c = 0; c < r->ncols; c++) {
		const struct fmt_column *k = &r->cols[c];
		size_t i = 0;
		while (i < r->nheader && strcmp(r->header[i], k->source))
			i++;
		if (i == r->nheader) {
			struct buf found = BUF_INIT;
			for (size_t j = 0; j < r->nheader && found.len < 200; j++)
				buf_printf(&found, "%s%s", j ? ", " : "", r->header[j]);
			if (found.len >= 200)
				buf_puts(&found, ", ...");
			enum fmt_status st = fail(r, e, true, s->line, s->col, k->name,
						  "no field \"%s\" in the header (%s)", k->source,
						  buf_str(&found));
			buf_free(&found);
			return st;
		}
		r->colmap[c] = i;
	}
	r->header_done = true;
	return FMT_RECORD;
}

/* An unquoted empty field is NULL unless empty_field_as_null is off; a
 * value in null_if is NULL, quoted or not (as in Snowflake). */
static bool csv_null(const struct fmt_reader *r, const struct csv_field *f, const char *text)
{
	if (!f->quoted && f->len == 0 && !r->empty_is_text)
		return true;
	for (size_t i = 0; i < r->nnull_if; i++)
		if (strlen(r->null_if[i]) == f->len && !memcmp(r->null_if[i], text, f->len))
			return true;
	return false;
}

static enum fmt_status csv_next(struct fmt_reader *r, struct fmt_record *rec, struct err *e)
{
	struct csv_scan *s = &r->csv;
	if (!r->header_done) {
		enum fmt_status st = csv_header(r, e);
		if (st != FMT_RECORD)
			return st;
	}
	s->keep = r->nheader + 1;
	/* With one column an empty line is a NULL, which is how it was written. */
	s->skip_blank = r->nheader != 1;
	int rc = fmt_csv_scan(s, &r->in, r->max_record);
	if (rc == 0)
		return FMT_END;
	if (rc == -2)
		return io_fail(r, e);
	r->index++;
	const char *column = s->efield < r->nheader ? r->header[s->efield] : NULL;
	if (rc == -1)
		return fail(r, e, true, s->eline, s->ecol, column, "%s", s->emsg);
	if (s->over)
		return too_large(r, e, false, s->line, s->col);
	if (s->failed)
		return fail(r, e, false, s->eline, s->ecol, column, "%s", s->emsg);
	if (s->count != r->nheader) {
		bool more = s->count > r->nheader;
		return fail(r, e, false, more ? s->f[r->nheader].line : s->end_line,
			    more ? s->f[r->nheader].col : s->end_col, NULL,
			    "expected %zu field%s, found %zu", r->nheader,
			    r->nheader == 1 ? "" : "s", s->count);
	}
	if (!r->ncols) {
		for (size_t i = 0; i < r->nheader; i++) {
			const struct csv_field *f = &s->f[i];
			if (csv_null(r, f, field_text(s, i)))
				add_field(r, r->header[i], FK_NULL, NULL, 0);
			else
				add_ref(r, r->header[i], FK_STRING, field_text(s, i), f->len);
		}
		return finish_record(r, rec, s->line, s->col);
	}
	for (size_t c = 0; c < r->ncols; c++) {
		const struct fmt_column *k = &r->cols[c];
		size_t i = r->colmap[c];
		const struct csv_field *f = &s->f[i];
		if (csv_null(r, f, field_text(s, i))) {
			add_field(r, k->name, FK_NULL, NULL, 0);
			continue;
		}
		if (k->type == FT_TEXT) {
			/* the scanner's text is the value, and lives as long */
			add_ref(r, k->name, FK_STRING, field_text(s, i), f->len);
			continue;
		}
		struct err ce;
		if (add_coerced(r, k, field_text(s, i), f->len, &ce) < 0)
			return fail(r, e, false, f->line, f->col, k->name, "%s", ce.msg);
	}
	return finish_record(r, rec, s->line, s->col);
}

bool fmt_encoding_parse(const char *s, enum fmt_encoding *out)
{
	static const struct { const char *name; enum fmt_encoding enc; } names[] = {
		{ "utf-8", FMT_UTF8 }, { "utf8", FMT_UTF8 }, { "latin-1", FMT_LATIN1 },
		{ "latin1", FMT_LATIN1 }, { "iso-8859-1", FMT_LATIN1 },
	};
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (!strcasecmp(s, names[i].name)) {
			*out = names[i].enc;
			return true;
		}
	return false;
}

/* ---- Parquet ------------------------------------------------------------------------------- */

static enum fmt_status parquet_next(struct fmt_reader *r, struct fmt_record *rec, struct err *e)
{
	struct fmt_record pr;
	enum fmt_status st = pq_reader_next(r->pq, &pr, e);
	if (st != FMT_RECORD)
		return st;
	for (size_t i = 0; i < pr.nfields; i++) {
		const struct fmt_field *f = &pr.fields[i];
		if (f->kind == FK_NULL)
			add_field(r, f->name, FK_NULL, NULL, 0);
		else
			add_ref(r, f->name, f->kind, f->value, f->len);
	}
	r->index = pr.index;
	return finish_record(r, rec, pr.line, pr.col);
}

/* ---- the reader ----------------------------------------------------------------------------- */

struct fmt_reader *fmt_reader_new(const struct fmt_reader_opts *o, fmt_read_fn read,
				  void *arg, struct err *e)
{
	char delim = o->delimiter ? o->delimiter : ',';
	if (o->format == FMT_CSV && (!fmt_csv_delim_ok(delim, e)
				     || !fmt_csv_opts_ok(delim, &o->csv, e)))
		return NULL;
	if (o->format == FMT_CSV && o->csv.no_header && !o->ncolumns) {
		err_set(e, ERR_INVALID, "a CSV file without a header needs declared columns");
		return NULL;
	}
	for (size_t i = 0; i < o->ncolumns; i++) {
		if (!o->columns[i].name || !*o->columns[i].name) {
			err_set(e, ERR_INVALID, "declared column %zu has no name", i + 1);
			return NULL;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(o->columns[i].name, o->columns[j].name)) {
				err_set(e, ERR_INVALID, "column \"%s\" is declared twice",
					o->columns[i].name);
				return NULL;
			}
	}
	struct fmt_reader *r = xcalloc(1, sizeof *r);
	r->format = o->format;
	r->source = xstrdup(o->source ? o->source : "input");
	r->delim = delim;
	r->max_record = o->max_record ? o->max_record : FMT_MAX_RECORD;
	r->ncols = o->ncolumns;
	r->cols = xcalloc(r->ncols ? r->ncols : 1, sizeof *r->cols);
	for (size_t i = 0; i < r->ncols; i++) {
		r->cols[i].name = xstrdup(o->columns[i].name);
		r->cols[i].source = xstrdup(o->columns[i].source && *o->columns[i].source
					    ? o->columns[i].source : o->columns[i].name);
		r->cols[i].type = o->columns[i].type;
	}
	if (o->format == FMT_PARQUET) {
		r->pq = pq_reader_new(r->source, o->columns, o->ncolumns, read, arg, e);
	} else if (o->compression != FMT_COMPRESSION_NONE) {
		r->gz = fmt_gunzip_new(read, arg, o->compression);
		read = fmt_gunzip_read;
		arg = r->gz;
	}
	fmt_in_init(&r->in, read, arg, o->chunk);
	fmt_jp_init(&r->jp, &r->in, o->format == FMT_NDJSON);
	fmt_csv_init(&r->csv, delim, &o->csv);
	r->skip_lines = o->csv.skip_header;
	r->no_header = o->csv.no_header;
	r->empty_is_text = o->csv.empty_is_text;
	r->nnull_if = o->csv.nnull_if;
	r->null_if = xcalloc(r->nnull_if ? r->nnull_if : 1, sizeof *r->null_if);
	for (size_t i = 0; i < r->nnull_if; i++)
		r->null_if[i] = xstrdup(o->csv.null_if[i]);
	return r;
}

enum fmt_status fmt_reader_next(struct fmt_reader *r, struct fmt_record *rec, struct err *e)
{
	memset(rec, 0, sizeof *rec);
	clear_record(r);
	if (r->is_fatal) {
		if (e)
			*e = r->fatal_err;
		return FMT_FATAL;
	}
	switch (r->format) {
	case FMT_NDJSON: return ndjson_next(r, rec, e);
	case FMT_JSON: return json_next(r, rec, e);
	case FMT_CSV: return csv_next(r, rec, e);
	case FMT_PARQUET: return parquet_next(r, rec, e);
	}
	return FMT_END;
}

const struct fmt_error *fmt_reader_error(const struct fmt_reader *r)
{
	return r->pq ? pq_reader_error(r->pq) : &r->last;
}

const cJSON *fmt_reader_json(struct fmt_reader *r)
{
	if (r->doc || r->doc_built || !r->nfields)
		return r->doc;
	r->doc_built = true;
	r->doc = cJSON_CreateObject();
	for (size_t i = 0; i < r->nfields; i++) {
		const struct fmt_field *f = &r->fields[i];
		cJSON *v;
		switch (f->kind) {
		case FK_NULL: v = cJSON_CreateNull(); break;
		case FK_NUMBER: v = fmt_number_item(f->value); break;
		case FK_BOOL: v = cJSON_CreateBool(f->value[0] == 't'); break;
		case FK_OBJECT:
		case FK_ARRAY:
			v = fmt_json_parse(f->value, f->len, NULL, NULL);
			if (!v)
				v = cJSON_CreateString(f->value);
			break;
		default: v = cJSON_CreateString(f->value); break;
		}
		cJSON_AddItemToObject(r->doc, f->name, v);
	}
	return r->doc;
}

void fmt_reader_free(struct fmt_reader *r)
{
	if (!r)
		return;
	clear_record(r);
	pq_reader_free(r->pq);
	for (size_t i = 0; i < r->ncols; i++) {
		free((char *)r->cols[i].name);
		free((char *)r->cols[i].source);
	}
	free(r->cols);
	for (size_t i = 0; i < r->nheader; i++)
		free(r->header[i]);
	free(r->header);
	for (size_t i = 0; i < r->nnull_if; i++)
		free(r->null_if[i]);
	free(r->null_if);
	free(r->colmap);
	free(r->fields);
	free(r->offs);
	buf_free(&r->vals);
	buf_free(&r->scratch);
	fmt_jp_free(&r->jp);
	fmt_csv_free(&r->csv);
	fmt_in_free(&r->in);
	fmt_gunzip_free(r->gz);
	free(r->source);
	free(r);
}
