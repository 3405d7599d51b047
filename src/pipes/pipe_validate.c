/*
 * pipe_validate.c - `sluice pipe validate`: every error in the files a
 * refresh would load, without loading anything (Snowflake's
 * VALIDATION_MODE).
 *
 * A file is read exactly as pipe_load.c reads it (pipe_reader_new: the
 * same format, CSV options and declared types, and the same numeric and
 * varchar size checks), but the records go nowhere: no database is opened,
 * so the answer holds for any target, and nothing is recorded.
 */
#include "pipes/pipe_int.h"

#include <stdlib.h>
#include <string.h>

struct validating {
	struct lake_reader *lr;
	struct pipe_validation *out;
	const char *key;
};

static ssize_t read_lake(void *arg, void *buf, size_t n, struct err *e)
{
	struct validating *v = arg;
	return lake_read(v->lr, buf, n, e);
}

static void add_problem(struct validating *v, long line, int col, const char *column,
			const char *message, bool fatal)
{
	v->out->errors++;
	if (v->out->problems.len >= PIPE_VALIDATE_MAX)
		return;
	struct pipe_problem *p = xcalloc(1, sizeof *p);
	p->key = xstrdup(v->key);
	p->line = line;
	p->col = col;
	p->column = column && *column ? xstrdup(column) : NULL;
	p->message = xstrdup(message);
	p->fatal = fatal;
	vec_push(&v->out->problems, p);
}

/* A good record may still not fit its declared column's size. */
static void check_sizes(struct validating *v, const struct project_pipe *pipe,
			const struct raw_col *decl, const struct fmt_record *rec)
{
	for (size_t i = 0; i < pipe->ncolumns && i < rec->nfields; i++) {
		char why[256];
		const char *value = rec->fields[i].value;
		if (value && pipe_value_too_big(decl[i].type, value, why, sizeof why)) {
			add_problem(v, rec->line, rec->col, decl[i].name, why, false);
			return;      /* one error a record, as the load reports it */
		}
	}
}

static int validate_file(const struct project_pipe *pipe, const struct raw_col *decl,
			 struct lake *lake, const char *key, atomic_bool *cancel,
			 struct pipe_validation *out, struct err *e)
{
	struct validating v = { .out = out, .key = key };
	v.lr = lake_read_open(lake, key, e);
	if (!v.lr)
		return -1;
	struct fmt_reader *r = pipe_reader_new(pipe, decl, key, read_lake, &v, e);
	if (!r) {
		lake_read_close(v.lr);
		return -1;
	}
	out->files++;
	int rc = 0;
	for (;;) {
		if (cancel && atomic_load(cancel)) {
			rc = err_set(e, ERR_CANCELLED, "validation of pipe %s cancelled", pipe->name);
			break;
		}
		struct fmt_record rec;
		enum fmt_status st = fmt_reader_next(r, &rec, NULL);
		if (st == FMT_END)
			break;
		const struct fmt_error *fe = fmt_reader_error(r);
		if (st == FMT_FATAL) {
			add_problem(&v, fe->line, fe->col, fe->column, fe->message, true);
			break;
		}
		out->records++;
		if (st == FMT_BAD_RECORD)
			add_problem(&v, fe->line, fe->col, fe->column, fe->message, false);
		else
			check_sizes(&v, pipe, decl, &rec);
	}
	fmt_reader_free(r);
	lake_read_close(v.lr);
	return rc;
}

static void problem_free(void *p)
{
	struct pipe_problem *x = p;
	free(x->key);
	free(x->column);
	free(x->message);
	free(x);
}

void pipe_validation_free(struct pipe_validation *v)
{
	vec_free_all(&v->problems, problem_free);
}

int pipe_validate(const struct project_pipe *pipe, struct store *store, struct lake *lake,
		  const char *only_key, atomic_bool *cancel, struct pipe_validation *out,
		  struct err *e)
{
	memset(out, 0, sizeof *out);
	struct raw_col *decl = NULL;
	size_t ndecl = 0;
	if (pipe_declared_columns(pipe, &decl, &ndecl, e) < 0)
		return -1;
	struct vec keys = VEC_INIT;
	int rc = 0;
	if (only_key && strncmp(only_key, pipe->path, strlen(pipe->path)) != 0)
		rc = err_set(e, ERR_INVALID, "pipe %s: %s is not under the pipe's path %s",
			     pipe->name, only_key, pipe->path);
	else if (only_key)
		vec_push(&keys, xstrdup(only_key));
	else
		rc = pipe_pending_keys(pipe, store, lake, &keys, e);
	for (size_t i = 0; rc == 0 && i < keys.len; i++)
		rc = validate_file(pipe, decl, lake, keys.items[i], cancel, out, e);
	vec_free_all(&keys, free);
	pipe_raw_cols_free(decl, ndecl);
	return rc;
}
