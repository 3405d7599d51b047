/*
 * opts.c - option parsing shared by every command.
 *
 * Options may come anywhere after the command name, as --name value,
 * --name=value, or a short alias; "--" ends options.  Anything unknown is
 * a usage error that names it, so a typo never silently changes meaning.
 */
#include "cmd/cmd_int.h"

#include <stdlib.h>
#include <string.h>

static const struct cmd_opt_spec *find_spec(const struct cmd_opt_spec *specs,
					    const char *arg, size_t len)
{
	for (const struct cmd_opt_spec *s = specs; s && s->name; s++) {
		if (strlen(s->name) == len && strncmp(s->name, arg, len) == 0)
			return s;
		if (s->alias && strlen(s->alias) == len && strncmp(s->alias, arg, len) == 0)
			return s;
	}
	return NULL;
}

int cmd_parse_opts(const struct cmd_entry *ce, int argc, char **argv,
		   const struct cmd_opt_spec *specs, struct cmd_opts *out,
		   struct err *e)
{
	memset(out, 0, sizeof *out);
	bool options_done = false;
	for (int i = 0; i < argc; i++) {
		char *arg = argv[i];
		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			vec_push(&out->positional, arg);
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct cmd_opt_spec *s = find_spec(specs, arg, len);
		if (!s) {
			cmd_usage_error(ce, e, "unknown option '%.*s'", (int)len, arg);
			cmd_opts_free(out);
			return -1;
		}
		const char *value = NULL;
		if (s->takes_value) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else {
				cmd_usage_error(ce, e, "option '%s' needs a value", s->name);
				cmd_opts_free(out);
				return -1;
			}
		} else if (eq) {
			cmd_usage_error(ce, e, "option '%s' takes no value", s->name);
			cmd_opts_free(out);
			return -1;
		}
		if (!s->repeatable && cmd_opt_value(out, s->name) && s->takes_value) {
			cmd_usage_error(ce, e, "option '%s' given twice", s->name);
			cmd_opts_free(out);
			return -1;
		}
		vec_push(&out->names, (void *)s->name);
		vec_push(&out->values, value ? xstrdup(value) : NULL);
	}
	return 0;
}

void cmd_opts_free(struct cmd_opts *o)
{
	vec_free(&o->names);
	vec_free_all(&o->values, free);
	vec_free(&o->positional);
}

bool cmd_opt_flag(const struct cmd_opts *o, const char *name)
{
	for (size_t i = 0; i < o->names.len; i++)
		if (strcmp(o->names.items[i], name) == 0)
			return true;
	return false;
}

const char *cmd_opt_value(const struct cmd_opts *o, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < o->names.len; i++)
		if (strcmp(o->names.items[i], name) == 0)
			v = o->values.items[i];
	return v;
}

int cmd_usage_error(const struct cmd_entry *ce, struct err *e, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	err_set(e, ERR_INVALID, "%s (usage: %s%s%s)", what, ce->name,
		ce->args ? " " : "", ce->args ? ce->args : "");
	return EXIT_USAGE;
}

const struct cmd_opt_spec cmd_json_only_specs[] = {
	{ "--json", NULL, false, false },
	{ NULL, NULL, false, false },
};

int cmd_parse_json_only(const char *name, int argc, char **argv, bool *json,
			struct err *e)
{
	const struct cmd_entry *self = cmd_lookup(name);
	struct cmd_opts o;
	if (cmd_parse_opts(self, argc, argv, cmd_json_only_specs, &o, e) < 0)
		return EXIT_USAGE;
	*json = cmd_opt_flag(&o, "--json");
	size_t extra = o.positional.len;
	cmd_opts_free(&o);
	if (extra)
		return cmd_usage_error(self, e, "unexpected argument");
	return EXIT_OK;
}
