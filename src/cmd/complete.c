/*
 * complete.c - Tab completion for the prompt and the shell.
 *
 * Completion knows two things: the command words of the table, and what
 * each command declares it takes: its options (with their choices) and the
 * kind of object each argument names (flow, task, pipe, table, ...), whose
 * names come from the project, and run ids, which come from the store.
 */
#include "cmd/cmd_int.h"
#include "project/project.h"
#include "store/store.h"

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

static void add_choices(struct vec *out, const char *choices, const char *prefix)
{
	struct vec alts = VEC_INIT;
	str_split(choices, "|", &alts);
	for (size_t i = 0; i < alts.len; i++)
		add_if_prefix(out, alts.items[i], prefix);
	vec_free_all(&alts, free);
}

/* Run ids among the newest 200 runs, for a word of digits only: `cancel
 * 12<Tab>` finds run 1234, and an empty word does not list 200 ids. */
static void complete_runs(struct cmd_ctx *ctx, const char *prefix, struct vec *out)
{
	struct err e;
	if (!*prefix || strspn(prefix, "0123456789") != strlen(prefix) ||
	    cmd_ctx_store(ctx, &e) < 0)
		return;
	struct store_run_filter f = { .limit = 200 };
	struct vec runs = VEC_INIT;
	if (store_run_list(ctx->store, &f, &runs, NULL) == 0)
		for (size_t i = 0; i < runs.len; i++) {
			char id[24];
			snprintf(id, sizeof id, "%lld",
				 (long long)((struct store_run *)runs.items[i])->id);
			add_if_prefix(out, id, prefix);
		}
	store_run_list_free(&runs);
}

static void complete_objects(struct cmd_ctx *ctx, enum cmd_kind kind,
			     const char *prefix, struct vec *out)
{
	struct err e;
	if (kind == CMD_KIND_RUN) {
		complete_runs(ctx, prefix, out);
		return;
	}
	if (kind < CMD_KIND_FLOW || kind > CMD_KIND_CHANNEL ||
	    cmd_ctx_project(ctx, &e) < 0 || !ctx->project)
		return;
	const struct project *p = ctx->project;
	if (kind == CMD_KIND_FLOW)
		for (size_t i = 0; i < p->nflows; i++)
			add_if_prefix(out, p->flows[i].name, prefix);
	else if (kind == CMD_KIND_TASK)
		for (size_t i = 0; i < p->ntasks; i++)
			add_if_prefix(out, p->tasks[i].name, prefix);
	else if (kind == CMD_KIND_PIPE)
		for (size_t i = 0; i < p->npipes; i++)
			add_if_prefix(out, p->pipes[i].name, prefix);
	else if (kind == CMD_KIND_TABLE)
		for (size_t i = 0; i < p->ntables; i++)
			add_if_prefix(out, p->tables[i].name, prefix);
	else if (kind == CMD_KIND_CONNECTION)
		for (size_t i = 0; i < p->nconnections; i++)
			add_if_prefix(out, p->connections[i].name, prefix);
	else if (kind == CMD_KIND_CHANNEL)
		for (size_t i = 0; i < p->nchannels; i++)
			add_if_prefix(out, p->channels[i].name, prefix);
}

/* The option names of a command (and --format where it prints formats). */
static void complete_option_names(const struct cmd_entry *ce, const char *prefix,
				  struct vec *out)
{
	for (int i = 0; i < CMD_MAX_OPTIONS && ce->options[i].name; i++)
		add_if_prefix(out, ce->options[i].name, prefix);
	if (ce->formats)
		add_if_prefix(out, "--format", prefix);
}

/* Words after the command name: complete the value of the option just
 * before, an option name, or the positional argument at this place. */
static void complete_arguments(struct cmd_ctx *ctx, const struct cmd_entry *ce,
			       int nwords, char **words, const char *partial,
			       struct vec *out)
{
	int index = 0;                      /* positional arguments before this one */
	bool value_of_option = false;       /* the word typed is an option's value */
	const struct cmd_option *option = NULL;   /* that option; NULL: --format */
	for (int i = 0; i < nwords; i++) {
		const char *w = words[i];
		if (w[0] != '-' || !w[1]) {
			index++;
			continue;
		}
		if (strchr(w, '='))
			continue;                   /* --option=value */
		const struct cmd_option *o = cmd_option_find(ce, w, strlen(w));
		bool takes_value = o ? o->value != CMD_KIND_NONE
				     : ce->formats && strcmp(w, "--format") == 0;
		if (!takes_value)
			continue;
		if (i + 1 == nwords) {
			value_of_option = true;
			option = o;
			break;
		}
		i++;                                /* skip its value */
	}
	if (value_of_option && !option) {
		add_if_prefix(out, "table", partial);
		for (enum cmd_format f = CMD_FORMAT_JSON; f <= CMD_FORMAT_CSV; f++)
			if (ce->formats & CMD_FORMAT_BIT(f))
				add_if_prefix(out, cmd_format_name(f), partial);
	} else if (value_of_option && option->choices) {
		add_choices(out, option->choices, partial);
	} else if (value_of_option) {
		complete_objects(ctx, option->value, partial, out);
	} else if (partial[0] == '-') {
		complete_option_names(ce, partial, out);
	} else {
		complete_objects(ctx, cmd_arg_kind(ce, index), partial, out);
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

	/* Arguments: the entry's declarations say what each word names. */
	int used = 0;
	const struct cmd_entry *ce = cmd_find(typed, (char **)words.items, &used);
	if (ce && used <= typed)
		complete_arguments(ctx, ce, typed - used, (char **)words.items + used,
				   partial, out);
	vec_sort(out, cmp_str);
done:
	vec_free_all(&words, free);
	free(head);
}
