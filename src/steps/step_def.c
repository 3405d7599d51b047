/*
 * step_def.c - a step's definition as an operator reads it: the text of
 * the SQL file it runs (a `sql` step's "file", a `load`'s "from.file"), or
 * else its spec as JSON.  The engine stores it with each run (store
 * step_defs.c); the console and `show step` compare it with the project on
 * disk now.
 */
#include "steps/steps.h"
#include "steps/steps_int.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

const char *steps_def_file(const struct project_step *s)
{
	const char *file = steps_json_string(s->spec, "file");
	if (file)
		return file;
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(s->spec, "from");
	return cJSON_IsObject(from) ? steps_json_string(from, "file") : NULL;
}

char *steps_def_text(const struct project *p, const struct project_step *s,
		     struct err *e)
{
	const char *file = steps_def_file(s);
	if (file)
		return step_read_sql_file(p, file, e);
	char *json = s->spec ? cJSON_Print(s->spec) : NULL;
	if (!json) {
		err_set(e, ERR_INTERNAL, "step %s: its spec cannot be printed", s->name);
		return NULL;
	}
	/* cJSON indents with tabs, which a terminal shows at its own width:
	 * two spaces a level, and one after a key's colon (strings cannot
	 * hold a raw tab: JSON escapes it) */
	struct buf b = BUF_INIT;
	for (const char *c = json; *c; c++) {
		if (*c != '\t')
			buf_putc(&b, *c);
		else
			buf_puts(&b, c > json && c[-1] == ':' ? " " : "  ");
	}
	buf_putc(&b, '\n');
	cJSON_free(json);
	return buf_detach(&b);
}

char *steps_def_path(const struct project *p, const struct project_step *s)
{
	const char *file = steps_def_file(s);
	return file ? path_join(p->dir ? p->dir : ".", file) : NULL;
}

int steps_def_view_load(const struct project *p, struct store *s, int64_t run_id,
			const char *step, struct steps_def_view *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct store_run *r = store_run_get(s, run_id, e);
	if (!r)
		return -1;
	out->run_id = run_id;
	out->flow = xstrdup(r->flow);
	out->step = xstrdup(step);
	store_run_free(r);
	int rc = store_run_def_get(s, run_id, step, &out->used, e);
	if (rc < 0) {
		steps_def_view_free(out);
		return -1;
	}
	out->recorded = rc == 1;
	const struct project_flow *f = p ? project_flow(p, out->flow) : NULL;
	const struct project_step *now = f ? project_step(f, step) : NULL;
	if (!now && !out->recorded) {
		err_set(e, ERR_NOTFOUND, "run %lld (flow %s) has no step %s", (long long)run_id,
			out->flow, step);
		steps_def_view_free(out);
		return -1;
	}
	if (now) {
		const char *file = steps_def_file(now);
		out->file = file ? xstrdup(file) : NULL;
		out->path = steps_def_path(p, now);
		out->now = steps_def_text(p, now, &out->now_err);
	} else {
		err_set(&out->now_err, ERR_NOTFOUND, "flow %s has no step %s in the project now",
			out->flow, step);
	}
	if (!out->file && out->recorded && out->used.file)
		out->file = xstrdup(out->used.file);
	if (out->now)
		sha256_hex_of(out->now, strlen(out->now), out->now_hash);
	if (out->now && out->recorded)
		out->diff = linediff(out->used.text, out->now, &out->changes);
	return 0;
}

void steps_def_view_free(struct steps_def_view *v)
{
	free(v->flow);
	free(v->step);
	free(v->file);
	free(v->path);
	free(v->now);
	free(v->diff);
	store_step_def_clear(&v->used);
	memset(v, 0, sizeof *v);
}
