/*
 * opts.c - the one parser of a command's words, by its declarations.
 *
 * Options may come anywhere after the command name, as --name value,
 * --name=value, or a short alias; "--" ends options.  Anything unknown is
 * a usage error that names it, so a typo never silently changes meaning;
 * so is a wrong number of arguments.  A command that declares output
 * formats also takes --format and its alias --json here, in one place.
 */
#include "cmd/cmd_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const format_names[] = { "table", "json", "csv" };

bool cmd_format_parse(const char *word, enum cmd_format *out)
{
	for (size_t i = 0; i < ARRAY_LEN(format_names); i++)
		if (strcmp(word, format_names[i]) == 0) {
			*out = (enum cmd_format)i;
			return true;
		}
	return false;
}

const char *cmd_format_name(enum cmd_format f)
{
	return format_names[f];
}

static bool word_is(const char *word, size_t len, const char *name)
{
	return name && strlen(name) == len && strncmp(name, word, len) == 0;
}

const struct cmd_option *cmd_option_find(const struct cmd_entry *ce, const char *word,
					 size_t len)
{
	for (const struct cmd_option *o = ce->options;
	     o < ce->options + CMD_MAX_OPTIONS && o->name; o++)
		if (word_is(word, len, o->name) || word_is(word, len, o->alias))
			return o;
	return NULL;
}

enum cmd_kind cmd_arg_kind(const struct cmd_entry *ce, int index)
{
	if (ce->args.max != CMD_ARGS_MANY && index >= ce->args.max)
		return CMD_KIND_NONE;
	enum cmd_kind kind = CMD_KIND_NONE;
	for (int i = 0; i <= index && i < CMD_MAX_ARGS; i++)
		if (ce->args.kinds[i] != CMD_KIND_NONE)
			kind = ce->args.kinds[i];
	return kind;
}

/* --format F and --json, for a command that declares formats. */
static int set_format(const struct cmd_entry *ce, const char *word, struct cmd_args *a,
		      struct err *e)
{
	enum cmd_format f;
	if (!cmd_format_parse(word, &f))
		return cmd_usage_error(ce, e, "--format: expected table, json or csv, "
				       "not '%s'", word), -1;
	if (f != CMD_FORMAT_TABLE && !(ce->formats & CMD_FORMAT_BIT(f)))
		return cmd_usage_error(ce, e, "'%s' has no %s output", ce->name,
				       word), -1;
	a->format = f;
	return 0;
}

/* One option word at argv[*i]; consumes its value. */
static int parse_option(const struct cmd_entry *ce, int argc, char **argv, int *i,
			struct cmd_args *a, struct err *e)
{
	const char *arg = argv[*i];
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct cmd_option *o = cmd_option_find(ce, arg, len);
	bool format = !o && ce->formats && word_is(arg, len, "--format");
	if (!o && ce->formats && !eq && strcmp(arg, "--json") == 0)
		return set_format(ce, "json", a, e);
	if (!o && !format)
		return cmd_usage_error(ce, e, "unknown option '%.*s'", (int)len, arg), -1;
	const char *name = o ? o->name : "--format";
	const char *value = NULL;
	if (format || o->value != CMD_KIND_NONE) {
		if (eq)
			value = eq + 1;
		else if (*i + 1 < argc)
			value = argv[++*i];
		else
			return cmd_usage_error(ce, e, "option '%s' needs a value", name), -1;
	} else if (eq) {
		return cmd_usage_error(ce, e, "option '%s' takes no value", name), -1;
	}
	if (format)
		return set_format(ce, value, a, e);
	if (value && !o->repeatable && cmd_opt_value(a, o->name))
		return cmd_usage_error(ce, e, "option '%s' given twice", o->name), -1;
	vec_push(&a->names, (void *)o->name);
	vec_push(&a->values, value ? xstrdup(value) : NULL);
	return 0;
}

static const char *kind_noun(enum cmd_kind k)
{
	switch (k) {
	case CMD_KIND_FLOW:       return "a flow";
	case CMD_KIND_TASK:       return "a task name";
	case CMD_KIND_PIPE:       return "a pipe";
	case CMD_KIND_TABLE:      return "a table";
	case CMD_KIND_CONNECTION: return "a connection";
	case CMD_KIND_CHANNEL:    return "a channel";
	case CMD_KIND_RUN:        return "a run id";
	case CMD_KIND_ID:         return "a notification id";
	case CMD_KIND_DIR:        return "a directory";
	default:                  return "an argument";
	}
}

static int check_count(const struct cmd_entry *ce, const struct cmd_args *a,
		       struct err *e)
{
	int n = (int)a->positional.len;
	if (n < ce->args.min) {
		const char *noun = kind_noun(cmd_arg_kind(ce, n));
		return cmd_usage_error(ce, e, "give %s", noun), -1;
	}
	if (ce->args.max != CMD_ARGS_MANY && n > ce->args.max)
		return cmd_usage_error(ce, e, "unexpected argument '%s'",
				       (char *)a->positional.items[ce->args.max]), -1;
	return 0;
}

int cmd_args_parse(const struct cmd_entry *ce, enum cmd_format format, int argc,
		   char **argv, struct cmd_args *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	out->entry = ce;
	/* The global --format applies where the command can print it. */
	if (ce->formats & CMD_FORMAT_BIT(format))
		out->format = format;
	else if (format != CMD_FORMAT_TABLE && ce->formats)
		return cmd_usage_error(ce, e, "'%s' has no %s output", ce->name,
				       cmd_format_name(format)), -1;
	bool options_done = false;
	int rc = 0;
	for (int i = 0; i < argc && rc == 0; i++) {
		char *arg = argv[i];
		if (options_done || arg[0] != '-' || arg[1] == '\0')
			vec_push(&out->positional, arg);
		else if (strcmp(arg, "--") == 0)
			options_done = true;
		else
			rc = parse_option(ce, argc, argv, &i, out, e);
	}
	if (rc == 0)
		rc = check_count(ce, out, e);
	if (rc < 0)
		cmd_args_free(out);
	return rc;
}

void cmd_args_free(struct cmd_args *a)
{
	vec_free(&a->names);
	vec_free_all(&a->values, free);
	vec_free(&a->positional);
}

bool cmd_opt_flag(const struct cmd_args *a, const char *name)
{
	for (size_t i = 0; i < a->names.len; i++)
		if (strcmp(a->names.items[i], name) == 0)
			return true;
	return false;
}

const char *cmd_opt_value(const struct cmd_args *a, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < a->names.len; i++)
		if (strcmp(a->names.items[i], name) == 0)
			v = a->values.items[i];
	return v;
}

int cmd_parse_run_id(const struct cmd_entry *ce, const char *word, int64_t *id,
		     struct err *e)
{
	const char *t = word[0] == '#' ? word + 1 : word;
	if (!str_to_i64(t, id) || *id <= 0)
		return cmd_usage_error(ce, e, "'%s' is not a run id", word);
	return EXIT_OK;
}

int cmd_usage_error(const struct cmd_entry *ce, struct err *e, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	err_set(e, ERR_INVALID, "%s (usage: %s%s%s)", what, ce->name,
		ce->usage ? " " : "", ce->usage ? ce->usage : "");
	return EXIT_USAGE;
}
