/*
 * writer.c - NDJSON, JSON array and CSV out of rows of fields.
 *
 * Output is gathered in a 64 KiB buffer and handed to the caller's write
 * callback whenever it fills, so an extract of any size holds one buffer.
 * CSV is quoted exactly where RFC 4180 needs it, plus the empty string,
 * which must be told from NULL (written as nothing at all).
 */
#include "format/format_int.h"

#include <stdlib.h>
#include <string.h>

#define OUT_CHUNK 65536

struct fmt_writer {
	enum fmt_format format;
	char delim;
	bool crlf;
	fmt_write_fn write;
	void *arg;
	struct buf out;
	char **names;
	size_t nnames;
	bool have_names, header_written;
	uint64_t rows;
	bool finished;
	struct fmt_gzip_out *gz;  /* compressing into write/arg, or NULL */
	struct pq_writer *pq;     /* FMT_PARQUET: the rest is unused */
};

struct fmt_writer *fmt_writer_new(const struct fmt_writer_opts *o, fmt_write_fn write,
				  void *arg, struct err *e)
{
	char delim = o->delimiter ? o->delimiter : ',';
	if (o->format == FMT_CSV && !fmt_csv_delim_ok(delim, e))
		return NULL;
	struct fmt_writer *w = xcalloc(1, sizeof *w);
	w->format = o->format;
	w->delim = delim;
	w->crlf = o->crlf;
	w->write = write;
	w->arg = arg;
	if (o->format == FMT_PARQUET) {
		if (!(w->pq = pq_writer_new(o, write, arg, e))) {
			free(w);
			return NULL;
		}
	} else if (o->compression == FMT_COMPRESSION_GZIP) {
		w->gz = fmt_gzip_out_new(write, arg, e);
		if (!w->gz) {
			free(w);
			return NULL;
		}
	}
	return w;
}

static int flush(struct fmt_writer *w, struct err *e)
{
	if (!w->out.len)
		return 0;
	int rc = w->gz ? fmt_gzip_out_write(w->gz, w->out.data, w->out.len, e)
		       : w->write(w->arg, w->out.data, w->out.len, e);
	buf_reset(&w->out);
	return rc;
}

static int maybe_flush(struct fmt_writer *w, struct err *e)
{
	return w->out.len >= OUT_CHUNK ? flush(w, e) : 0;
}

static void set_names(struct fmt_writer *w, const char *const *names, size_t n)
{
	w->names = xcalloc(n ? n : 1, sizeof *w->names);
	for (size_t i = 0; i < n; i++)
		w->names[i] = xstrdup(names[i]);
	w->nnames = n;
	w->have_names = true;
}

int fmt_writer_columns(struct fmt_writer *w, const char *const *names, size_t n,
		       struct err *e)
{
	if (w->pq)
		return pq_writer_columns(w->pq, names, n, e);
	if (w->have_names)
		return err_set(e, ERR_INVALID, "the columns are already set");
	for (size_t i = 0; i < n; i++)
		if (!names[i] || utf8_valid_prefix(names[i], strlen(names[i])) != strlen(names[i]))
			return err_set(e, ERR_INVALID, "column %zu: the name is not valid UTF-8", i + 1);
	set_names(w, names, n);
	return 0;
}

static void csv_value(struct fmt_writer *w, const char *v, size_t len)
{
	bool quote = len == 0;
	for (size_t i = 0; i < len && !quote; i++)
		quote = v[i] == w->delim || v[i] == '"' || v[i] == '\n' || v[i] == '\r';
	if (!quote) {
		buf_append(&w->out, v, len);
		return;
	}
	buf_putc(&w->out, '"');
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '"')
			buf_putc(&w->out, '"');
		buf_putc(&w->out, v[i]);
	}
	buf_putc(&w->out, '"');
}

static void csv_eol(struct fmt_writer *w)
{
	buf_puts(&w->out, w->crlf ? "\r\n" : "\n");
}

static void csv_header(struct fmt_writer *w)
{
	for (size_t i = 0; i < w->nnames; i++) {
		if (i)
			buf_putc(&w->out, w->delim);
		csv_value(w, w->names[i], strlen(w->names[i]));
	}
	csv_eol(w);
	w->header_written = true;
}

static int json_row(struct fmt_writer *w, const struct fmt_field *f, size_t n, struct err *e)
{
	if (w->format == FMT_JSON)
		buf_puts(&w->out, w->rows ? ",\n" : "[\n");
	buf_putc(&w->out, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&w->out, ',');
		fmt_json_write_string(&w->out, w->names[i], strlen(w->names[i]));
		buf_putc(&w->out, ':');
		const char *v = f[i].value;
		if (!v || f[i].kind == FK_NULL) {
			buf_puts(&w->out, "null");
			continue;
		}
		switch (f[i].kind) {
		case FK_NUMBER:
			if (!fmt_json_number_ok(v)) {
				struct buf b = BUF_INIT;
				fmt_show_value(&b, FK_STRING, v, f[i].len);
				err_set(e, ERR_INVALID, "column \"%s\": %s is not a JSON number",
					w->names[i], buf_str(&b));
				buf_free(&b);
				return -1;
			}
			buf_append(&w->out, v, f[i].len);
			break;
		case FK_BOOL:
			buf_puts(&w->out, v[0] == 't' ? "true" : "false");
			break;
		case FK_OBJECT:
		case FK_ARRAY:
			buf_append(&w->out, v, f[i].len);
			break;
		default:
			fmt_json_write_string(&w->out, v, f[i].len);
			break;
		}
	}
	buf_putc(&w->out, '}');
	if (w->format == FMT_NDJSON)
		buf_putc(&w->out, '\n');
	return 0;
}

int fmt_writer_row(struct fmt_writer *w, const struct fmt_field *fields, size_t n,
		   struct err *e)
{
	if (w->pq)
		return pq_writer_row(w->pq, fields, n, e);
	if (w->finished)
		return err_set(e, ERR_INVALID, "the writer is finished");
	if (!w->have_names) {
		const char **names = xcalloc(n ? n : 1, sizeof *names);
		for (size_t i = 0; i < n; i++)
			names[i] = fields[i].name ? fields[i].name : "";
		set_names(w, names, n);
		free(names);
	}
	if (n != w->nnames)
		return err_set(e, ERR_INVALID, "row %llu has %zu fields; the columns are %zu",
			       (unsigned long long)w->rows + 1, n, w->nnames);
	for (size_t i = 0; i < n; i++)
		if (fields[i].value && utf8_valid_prefix(fields[i].value, fields[i].len) !=
		    fields[i].len)
			return err_set(e, ERR_INVALID, "row %llu, column \"%s\": not valid UTF-8",
				       (unsigned long long)w->rows + 1, w->names[i]);
	size_t before = w->out.len;
	if (w->format == FMT_CSV) {
		if (!w->header_written)
			csv_header(w);
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_putc(&w->out, w->delim);
			if (fields[i].value && fields[i].kind != FK_NULL)
				csv_value(w, fields[i].value, fields[i].len);
		}
		csv_eol(w);
	} else if (json_row(w, fields, n, e) < 0) {
		w->out.len = before;    /* nothing of a bad row goes out */
		if (w->out.data)
			w->out.data[before] = '\0';
		return -1;
	}
	w->rows++;
	return maybe_flush(w, e);
}

int fmt_writer_finish(struct fmt_writer *w, struct err *e)
{
	if (w->pq)
		return pq_writer_finish(w->pq, e);
	if (w->finished)
		return 0;
	w->finished = true;
	if (w->format == FMT_CSV && !w->header_written && w->have_names)
		csv_header(w);
	if (w->format == FMT_JSON)
		buf_puts(&w->out, w->rows ? "\n]\n" : "[]\n");
	if (flush(w, e) < 0)
		return -1;
	return w->gz ? fmt_gzip_out_finish(w->gz, e) : 0;
}

void fmt_writer_free(struct fmt_writer *w)
{
	if (!w)
		return;
	pq_writer_free(w->pq);
	for (size_t i = 0; i < w->nnames; i++)
		free(w->names[i]);
	free(w->names);
	buf_free(&w->out);
	fmt_gzip_out_free(w->gz);
	free(w);
}
