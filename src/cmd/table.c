/*
 * table.c - the text tables of the show commands: rows of cells, columns
 * as wide as their widest cell (in terminal columns), the last column never
 * padded, so long messages do not push whitespace.
 */
#include "cmd/cmd_int.h"

#include <stdarg.h>
#include <stdlib.h>

void cmd_table_add(struct cmd_table *t, ...)
{
	va_list ap;
	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		vec_push(&t->cells, xstrdup(s ? s : "-"));
	}
	va_end(ap);
}

void cmd_table_print(FILE *fp, struct cmd_table *t)
{
	int *w = xcalloc(t->ncols, sizeof *w);
	for (size_t i = 0; i < t->cells.len; i++) {
		int cw = utf8_width(t->cells.items[i]);
		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	for (size_t i = 0; i < t->cells.len; i++) {
		size_t c = i % t->ncols;
		const char *s = t->cells.items[i];
		if (c + 1 == t->ncols)
			fprintf(fp, "%s\n", s);
		else
			fprintf(fp, "%s%*s  ", s, w[c] - utf8_width(s), "");
	}
	free(w);
	cmd_table_free(t);
}

void cmd_table_free(struct cmd_table *t)
{
	vec_free_all(&t->cells, free);
}
