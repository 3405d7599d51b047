/*
 * table.c - the one table printer of the show commands: rows of cells,
 * columns as wide as their widest cell (in terminal columns), the last
 * column never padded, so long messages do not push whitespace; or, with
 * --format csv, the same rows as RFC 4180 CSV with the header row, so a
 * spreadsheet or a script reads every show command the same way.
 */
#include "cmd/cmd_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cmd_table_add(struct cmd_table *t, ...)
{
	va_list ap;
	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		vec_push(&t->cells, s ? xstrdup(s) : NULL);
	}
	va_end(ap);
}

void cmd_table_push(struct cmd_table *t, const char *cell)
{
	vec_push(&t->cells, cell ? xstrdup(cell) : NULL);
}

static const char *shown(const char *cell)
{
	return cell ? cell : "-";
}

static void print_fixed(FILE *fp, const struct cmd_table *t)
{
	for (size_t i = 0; i < t->cells.len; i++) {
		size_t c = i % t->ncols;
		fprintf(fp, "%*s%c", t->widths[c], shown(t->cells.items[i]),
			c + 1 == t->ncols ? '\n' : ' ');
	}
}

static void print_columns(FILE *fp, const struct cmd_table *t)
{
	int *w = xcalloc(t->ncols, sizeof *w);
	for (size_t i = 0; i < t->cells.len; i++) {
		int cw = utf8_width(shown(t->cells.items[i]));
		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	for (size_t i = 0; i < t->cells.len; i++) {
		size_t c = i % t->ncols;
		const char *s = shown(t->cells.items[i]);
		if (c + 1 == t->ncols)
			fprintf(fp, "%s\n", s);
		else
			fprintf(fp, "%s%*s  ", s, w[c] - utf8_width(s), "");
	}
	free(w);
}

/* RFC 4180: a field holding a comma, a quote, CR or LF is quoted, its
 * quotes doubled; records end with CRLF.  An absent value is empty. */
static void print_csv_field(FILE *fp, const char *s)
{
	if (!s)
		return;
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void print_csv(FILE *fp, const struct cmd_table *t)
{
	for (size_t i = 0; i < t->cells.len; i++) {
		size_t c = i % t->ncols;
		print_csv_field(fp, t->cells.items[i]);
		fputs(c + 1 == t->ncols ? "\r\n" : ",", fp);
	}
}

void cmd_table_print(FILE *fp, struct cmd_table *t)
{
	if (t->format == CMD_FORMAT_CSV)
		print_csv(fp, t);
	else if (t->widths)
		print_fixed(fp, t);
	else
		print_columns(fp, t);
	cmd_table_free(t);
}

void cmd_table_free(struct cmd_table *t)
{
	vec_free_all(&t->cells, free);
}
