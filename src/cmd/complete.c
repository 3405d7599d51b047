/*
 * complete.c - Tab completion for the prompt and the shell.
 *
 * Completion knows two things: the command words of the table, and the
 * kind of object each argument placeholder stands for (FLOW, TASK, PIPE,
 * STREAM, TABLE, RUN), whose names come from the project and the store.
 */
#include "cmd/cmd_int.h"
#include "project/project.h"

#include <stdlib.h>
#include <string.h>

static void add_if_prefix(struct vec *out, const char *cand, const char *prefix)
{
	if (!str_starts_with(cand, prefix))
		return;
	for (size_t i = 0; i < out->len; i++)
		if (strcmp(out->items[i], cand) == 0)
			return;
	vec_push(out, xstrdup(cand));
}

/* The placeholder naming argument `index` of the command's usage. */
static char *placeholder_at(const char *args, int index)
{
	if (!args)
		return NULL;
	struct vec parts = VEC_INIT;
	str_split(args, " ", &parts);
	char *found = NULL;
	int n = 0;
	for (size_t i = 0; i < parts.len; i++) {
		const char *p = parts.items[i];
		if (p[0] == '[' || p[0] == '-')
			continue;          /* options are not positional */
		if (n++ == index) {
			found = xstrdup(p);
			break;
		}
	}
	vec_free_all(&parts, free);
	return found;
}

static void complete_objects(struct cmd_ctx *ctx, const char *kind,
			     const char *prefix, struct vec *out)
{
	struct err e;
	if (cmd_ctx_project(ctx, &e) < 0 || !ctx->project)
		return;
	const struct project *p = ctx->project;
	if (strcmp(kind, "FLOW") == 0)
		for (size_t i = 0; i < p->nflows; i++)
			add_if_prefix(out, p->flows[i].name, prefix);
	else if (strcmp(kind, "TASK") == 0)
		for (size_t i = 0; i < p->ntasks; i++)
			add_if_prefix(out, p->tasks[i].name, prefix);
	else if (strcmp(kind, "PIPE") == 0)
		for (size_t i = 0; i < p->npipes; i++)
			add_if_prefix(out, p->pipes[i].name, prefix);
	else if (strcmp(kind, "STREAM") == 0)
		for (size_t i = 0; i < p->nstreams; i++)
			add_if_prefix(out, p->streams[i].name, prefix);
	else if (strcmp(kind, "TABLE") == 0)
		for (size_t i = 0; i < p->ntables; i++)
			add_if_prefix(out, p->tables[i].name, prefix);
	else if (strchr(kind, '|')) {
		struct vec alts = VEC_INIT;
		str_split(kind, "|", &alts);
		for (size_t i = 0; i < alts.len; i++)
			add_if_prefix(out, alts.items[i], prefix);
		vec_free_all(&alts, free);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cmd_complete(struct cmd_ctx *ctx, const char *line, size_t point,
		  struct vec *out)
{
	char *head = xstrndup(line, point);
	struct vec words = VEC_INIT;
	struct err e;
	if (cmd_split(head, &words, &e) < 0)
		goto done;
	bool fresh = point == 0 || head[point - 1] == ' ';
	const char *partial = fresh || !words.len ? "" : words.items[words.len - 1];
	int typed = (int)words.len - (fresh ? 0 : 1);

	/* Command words: every command whose first `typed` words match. */
	for (const struct cmd_entry *ce = cmd_table(); ce->name; ce++) {
		if ((ce->flags & (CMD_CLI_ONLY | CMD_HIDDEN)) && ctx->surface != SURFACE_CLI)
			continue;
		struct vec nw = VEC_INIT;
		str_split(ce->name, " ", &nw);
		bool match = (int)nw.len > typed;
		for (int i = 0; match && i < typed; i++)
			match = strcmp(nw.items[i], words.items[i]) == 0;
		if (match)
			add_if_prefix(out, nw.items[typed], partial);
		vec_free_all(&nw, free);
	}

	/* Arguments: the placeholder at this position names the object kind. */
	int used = 0;
	const struct cmd_entry *ce = cmd_find(typed, (char **)words.items, &used);
	if (ce && used <= typed) {
		char *kind = placeholder_at(ce->args, typed - used);
		if (kind)
			complete_objects(ctx, kind, partial, out);
		free(kind);
	}
	vec_sort(out, cmp_str);
done:
	vec_free_all(&words, free);
	free(head);
}
