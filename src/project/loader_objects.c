/*
 * loader_objects.c - the sections that declare things: notification channels,
 * tables, pipes and streams; plus the helpers every section uses for
 * arrays of named objects and for references by name.
 */
#include "project/project_int.h"

#include <regex.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

/* ---- named arrays and references ------------------------------------------------
 * Every model struct that can be referenced starts with `char *name`, so a
 * list of them can be read by stride. */

static const char *item_name(const void *items, size_t i, size_t stride)
{
	return *(char *const *)((const char *)items + i * stride);
}

bool ld_ref(struct ld *L, const char *path, const char *what, const char *name,
	    const void *items, size_t n, size_t stride)
{
	if (!*name) {
		ld_error(L, path, "the %s name is empty", what);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(item_name(items, i, stride), name) == 0)
			return true;
	const char **names = xcalloc(n + 1, sizeof *names);
	struct buf known = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		names[i] = item_name(items, i, stride);
		bool again = false;
		for (size_t k = 0; k < i && !again; k++)
			again = strcmp(names[k], names[i]) == 0;
		if (*names[i] && !again)
			buf_printf(&known, "%s%s", known.len ? ", " : "", names[i]);
	}
	const char *close = proj_suggest(name, names, n);
	if (close)
		ld_error(L, path, "unknown %s \"%.64s\" (did you mean \"%s\"?)", what, name, close);
	else if (!known.len)
		ld_error(L, path, "unknown %s \"%.64s\" (there are none in the file)", what, name);
	else if (n <= 12)
		ld_error(L, path, "unknown %s \"%.64s\" (known: %s)", what, name, buf_str(&known));
	else
		ld_error(L, path, "unknown %s \"%.64s\"", what, name);
	buf_free(&known);
	free(names);
	return false;
}

bool ld_ref_connection(struct ld *L, const char *path, const char *name)
{
	return ld_ref(L, path, "connection", name, L->p->connections, L->p->nconnections,
		      sizeof *L->p->connections);
}

size_t ld_named_array(struct ld *L, const char *key, const char *what, size_t stride,
		      void **out, void (*parse)(struct ld *L, const cJSON *item,
						const char *path, void *slot))
{
	struct project *p = L->p;
	const cJSON *arr = spec_at_array(p, p->root, "", key, false, L->d);
	*out = NULL;
	if (!arr)
		return 0;
	size_t n = 0, i = 0;
	char *items = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, stride);
	struct keyset names = KEYSET_INIT;
	for (const cJSON *item = arr->child; item; item = item->next, i++) {
		char *path = spec_path_index(key, i);
		if (!cJSON_IsObject(item)) {
			ld_error(L, path, "expected an object, found %s", pjson_type_name(item));
			free(path);
			continue;
		}
		void *slot = items + n * stride;
		parse(L, item, path, slot);
		const char *name = item_name(items, n, stride);
		if (*name && keyset_add(&names, name))
			ld_member_error(L, path, "name", "another %s is already named \"%s\"",
					what, name);
		n++;
		free(path);
	}
	keyset_free(&names);
	*out = items;
	return n;
}

/* The object's "name": required, an identifier; "" when missing. */
char *ld_name(struct ld *L, const cJSON *obj, const char *path)
{
	const char *name = spec_at_string(L->p, obj, path, "name", true, L->d);
	if (!name)
		return xstrdup("");
	char *np = spec_path_key(path, "name");
	ld_check_identifier(L, np, name);
	free(np);
	return xstrdup(name);
}

/* A string member, copied; `fallback` (copied) when absent. */
char *ld_string(struct ld *L, const cJSON *obj, const char *path, const char *key,
		bool required, const char *fallback)
{
	const char *v = spec_at_string(L->p, obj, path, key, required, L->d);
	return xstrdup(v ? v : fallback);
}

char *ld_pool(struct ld *L, const cJSON *obj, const char *path)
{
	const char *v = spec_at_string(L->p, obj, path, "pool", false, L->d);
	if (!v)
		return NULL;
	char *kp = spec_path_key(path, "pool");
	ld_check_identifier(L, kp, v);
	free(kp);
	return xstrdup(v);
}

/* A string member that must not be empty when present. */
char *ld_nonempty(struct ld *L, const cJSON *obj, const char *path, const char *key,
		  bool required)
{
	const char *v = spec_at_string(L->p, obj, path, key, required, L->d);
	if (v && !*v) {
		char *kp = spec_path_key(path, key);
		ld_error(L, kp, "cannot be empty");
		free(kp);
	}
	return xstrdup(v ? v : "");
}

bool ld_enum_member(struct ld *L, const cJSON *obj, const char *path, const char *key,
		    const char *const *names, size_t n, int *out)
{
	const char *v = spec_at_string(L->p, obj, path, key, false, L->d);
	if (!v)
		return false;
	char *kp = spec_path_key(path, key);
	bool ok = ld_enum(L, kp, key, v, names, n, out);
	free(kp);
	return ok;
}

/* The strings of an array member (a lone string counts as one), copied,
 * with the key path of each; other elements are reported.  Returns the
 * count; *values and *paths (when not NULL) are the caller's. */
size_t ld_string_list(struct ld *L, const cJSON *obj, const char *path, const char *key,
		      char ***values, char ***paths)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	*values = NULL;
	if (paths)
		*paths = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	char *kp = spec_path_key(path, key);
	size_t n = 0, cap = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 1;
	*values = xcalloc(cap + 1, sizeof **values);
	if (paths)
		*paths = xcalloc(cap + 1, sizeof **paths);
	if (cJSON_IsString(v)) {
		(*values)[n] = xstrdup(v->valuestring);
		if (paths)
			(*paths)[n] = xstrdup(kp);
		n++;
	} else if (!cJSON_IsArray(v)) {
		ld_error(L, kp, "expected an array of strings, found %s", pjson_type_name(v));
	} else {
		size_t i = 0;
		for (const cJSON *item = v->child; item; item = item->next, i++) {
			char *ip = spec_path_index(kp, i);
			if (!cJSON_IsString(item)) {
				ld_error(L, ip, "expected a string, found %s",
					 pjson_type_name(item));
				free(ip);
				continue;
			}
			(*values)[n] = xstrdup(item->valuestring);
			if (paths)
				(*paths)[n] = ip;
			else
				free(ip);
			n++;
		}
	}
	free(kp);
	if (n == 0) {
		free(*values);
		*values = NULL;
		if (paths) {
			free(*paths);
			*paths = NULL;
		}
	}
	return n;
}

void ld_free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- notification channels ----------------------------------------------------- */

static const char *const event_names[] = {
	"run_failed", "task_suspended", "backfill_waiting", "pipe_file_failed",
	"run_crashed", "worker_lost", "late_run",
};

static const char *const severity_names[] = { "info", "warning", "error" };

/* A list of event names at `key`; all events when the key is absent. */
static unsigned ld_events(struct ld *L, const cJSON *obj, const char *path, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	unsigned events = j && !cJSON_IsNull(j) ? 0 : NOTIFY_ALL_EVENTS;
	char **names, **paths;
	size_t n = ld_string_list(L, obj, path, key, &names, &paths);
	for (size_t i = 0; i < n; i++) {
		int ev;
		if (ld_enum(L, paths[i], "event", names[i], event_names,
			    ARRAY_LEN(event_names), &ev))
			events |= 1u << ev;
	}
	ld_free_strings(names, n);
	ld_free_strings(paths, n);
	return events;
}

/* An optional variable name at `key`, checked; a copy or NULL. */
static char *ld_env_member(struct ld *L, const cJSON *obj, const char *path, const char *key)
{
	const char *v = spec_at_string(L->p, obj, path, key, false, L->d);
	if (!v)
		return NULL;
	char *vp = spec_path_key(path, key);
	ld_check_env_name(L, vp, v);
	free(vp);
	return xstrdup(v);
}

/* ca_file must name a readable file now, not at 3 a.m. when the first
 * alert is due. */
static void load_email_tls(struct ld *L, const cJSON *m, const char *path,
			   struct project_channel *c)
{
	const char *ca = spec_at_string(L->p, m, path, "ca_file", false, L->d);
	if (ca) {
		char *kp = spec_path_key(path, "ca_file");
		c->ca_file = project_path(L->p, ca);
		struct stat st;
		if (!*ca)
			ld_error(L, kp, "the CA file name is empty");
		else if (stat(c->ca_file, &st) < 0)
			ld_error(L, kp, "no such file \"%.200s\" (looked for %.400s)", ca,
				 c->ca_file);
		else if (!S_ISREG(st.st_mode) || access(c->ca_file, R_OK) < 0)
			ld_error(L, kp, "\"%.200s\" is not a readable file", ca);
		free(kp);
	}
	const char *tls = spec_at_string(L->p, m, path, "tls", false, L->d);
	if (tls) {
		char *kp = spec_path_key(path, "tls");
		if (!strcmp(tls, "required"))
			c->tls_required = true;
		else if (strcmp(tls, "when_offered"))
			ld_error(L, kp, "expected \"required\" or \"when_offered\"");
		free(kp);
	}
}

static void load_email(struct ld *L, const cJSON *m, const char *path,
		       struct project_channel *c)
{
	c->kind = CHANNEL_EMAIL;
	const char *url = spec_at_string(L->p, m, path, "smtp_url", false, L->d);
	c->smtp_url_env = ld_env_member(L, m, path, "smtp_url_env");
	if (url) {
		char *up = spec_path_key(path, "smtp_url");
		if (!str_starts_with(url, "smtp://") && !str_starts_with(url, "smtps://"))
			ld_error(L, up, "expected an smtp:// or smtps:// URL");
		else if (strchr(url, '@'))
			ld_error(L, up, "the URL holds credentials; name the variables "
				 "that hold them with username_env and password_env");
		free(up);
		c->smtp_url = xstrdup(url);
	}
	if (url && c->smtp_url_env)
		ld_error_at_key(L, path, "give smtp_url or smtp_url_env, not both");
	c->username_env = ld_env_member(L, m, path, "username_env");
	c->password_env = ld_env_member(L, m, path, "password_env");
	if (!!c->username_env != !!c->password_env)
		ld_error_at_key(L, path, "username_env and password_env go together");
	load_email_tls(L, m, path, c);
	c->from = ld_nonempty(L, m, path, "from", true);
	char **paths;
	c->nto = ld_string_list(L, m, path, "to", &c->to, &paths);
	ld_free_strings(paths, c->nto);
	if (!c->nto)
		ld_member_error(L, path, "to", "an email channel needs at least one "
				"address in \"to\"");
}

static void load_channel(struct ld *L, const cJSON *m, const char *path,
			 struct project_channel *c)
{
	static const char *const keys[] = {
		"slack_webhook_env", "webhook_url_env", "secret_env", "smtp_url",
		"smtp_url_env", "username_env", "password_env", "ca_file", "tls", "from", "to",
		"on", NULL,
	};
	spec_at_unknown_keys(L->p, m, path, keys, L->d);
	bool slack = cJSON_GetObjectItemCaseSensitive(m, "slack_webhook_env");
	bool hook = cJSON_GetObjectItemCaseSensitive(m, "webhook_url_env");
	bool email = cJSON_GetObjectItemCaseSensitive(m, "smtp_url") ||
		cJSON_GetObjectItemCaseSensitive(m, "smtp_url_env");
	if (slack + hook + email != 1) {
		ld_error_at_key(L, path, "a channel needs exactly one of slack_webhook_env "
				"(Slack), webhook_url_env (webhook), smtp_url or smtp_url_env "
				"(email)");
	} else if (slack) {
		c->kind = CHANNEL_SLACK;
		c->webhook_env = ld_env_member(L, m, path, "slack_webhook_env");
	} else if (hook) {
		c->kind = CHANNEL_WEBHOOK;
		c->webhook_env = ld_env_member(L, m, path, "webhook_url_env");
		c->secret_env = ld_env_member(L, m, path, "secret_env");
	} else {
		load_email(L, m, path, c);
	}
	c->events = ld_events(L, m, path, "on");
}

void ld_load_channels(struct ld *L)
{
	struct project *p = L->p;
	const cJSON *obj = spec_at_object(p, p->root, "", "notifications", false, L->d);
	if (!obj)
		return;
	p->channels = xcalloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof *p->channels);
	for (const cJSON *m = obj->child; m; m = m->next) {
		char *path = spec_path_key("notifications", m->string);
		ld_check_identifier(L, path, m->string);
		if (!cJSON_IsObject(m)) {
			ld_error(L, path, "expected an object, found %s", pjson_type_name(m));
		} else if (p->nchannels == PROJECT_MAX_CHANNELS) {
			ld_error_at_key(L, path, "more than %d channels", PROJECT_MAX_CHANNELS);
		} else {
			struct project_channel *c = &p->channels[p->nchannels++];
			c->name = xstrdup(m->string);
			c->path_in_file = xstrdup(path);
			load_channel(L, m, path, c);
		}
		free(path);
	}
}

/* ---- routing ------------------------------------------------------------------------- */

static void load_route(struct ld *L, const cJSON *item, const char *path,
		       struct project_route *r)
{
	static const char *const keys[] = {
		"events", "flows", "tasks", "pipes", "min_severity", "channels", NULL,
	};
	spec_at_unknown_keys(L->p, item, path, keys, L->d);
	r->events = ld_events(L, item, path, "events");
	r->nflows = ld_string_list(L, item, path, "flows", &r->flows, NULL);
	r->ntasks = ld_string_list(L, item, path, "tasks", &r->tasks, NULL);
	r->npipes = ld_string_list(L, item, path, "pipes", &r->pipes, NULL);
	int sev = NOTIFY_SEV_INFO;
	ld_enum_member(L, item, path, "min_severity", severity_names,
		       ARRAY_LEN(severity_names), &sev);
	r->min_severity = (enum notify_severity)sev;
	char **paths;
	r->nchannels = ld_string_list(L, item, path, "channels", &r->channels, &paths);
	for (size_t i = 0; i < r->nchannels; i++)
		ld_ref(L, paths[i], "notification channel", r->channels[i], L->p->channels,
		       L->p->nchannels, sizeof *L->p->channels);
	ld_free_strings(paths, r->nchannels);
	if (!r->nchannels)
		ld_member_error(L, path, "channels", "a rule needs at least one channel");
}

void ld_load_routing(struct ld *L)
{
	static const char *const keys[] = { "window", "rules", NULL };
	struct project *p = L->p;
	p->notify_window = 10 * 60 * USEC_PER_SEC;
	const cJSON *obj = spec_at_object(p, p->root, "", "routing", false, L->d);
	if (!obj)
		return;
	spec_at_unknown_keys(p, obj, "routing", keys, L->d);
	p->notify_window = spec_at_duration(p, obj, "routing", "window", p->notify_window, L->d);
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(obj, "rules");
	if (!rules || cJSON_IsNull(rules))
		return;
	if (!cJSON_IsArray(rules)) {
		ld_member_error(L, "routing", "rules", "expected an array, found %s",
				pjson_type_name(rules));
		return;
	}
	p->routes = xcalloc((size_t)cJSON_GetArraySize(rules) + 1, sizeof *p->routes);
	int i = 0;
	for (const cJSON *item = rules->child; item; item = item->next, i++) {
		char *path = xasprintf("routing.rules[%d]", i);
		if (!cJSON_IsObject(item))
			ld_error(L, path, "expected an object, found %s", pjson_type_name(item));
		else
			load_route(L, item, path, &p->routes[p->nroutes++]);
		free(path);
	}
}

/* ---- tables ------------------------------------------------------------------------ */

static const char *const table_kind_names[] = {
	"raw", "staging", "temp", "dimension", "fact", "backfill", "old",
};

void ld_load_tables(struct ld *L)
{
	static const char *const keys[] = {
		"connection", "kind", "description", "key", "columns", NULL,
	};
	struct project *p = L->p;
	const cJSON *obj = spec_at_object(p, p->root, "", "tables", false, L->d);
	if (!obj)
		return;
	p->tables = xcalloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof *p->tables);
	for (const cJSON *m = obj->child; m; m = m->next) {
		char *path = spec_path_key("tables", m->string);
		if (!*m->string)
			ld_error_at_key(L, path, "a table name cannot be empty");
		if (!cJSON_IsObject(m)) {
			ld_error(L, path, "expected an object, found %s", pjson_type_name(m));
			free(path);
			continue;
		}
		struct project_table *t = &p->tables[p->ntables++];
		t->name = xstrdup(m->string);
		t->path_in_file = xstrdup(path);
		spec_at_unknown_keys(p, m, path, keys, L->d);
		const char *conn = spec_at_string(p, m, path, "connection", false, L->d);
		if (conn) {
			char *cp = spec_path_key(path, "connection");
			ld_ref_connection(L, cp, conn);
			free(cp);
			t->connection = xstrdup(conn);
		}
		int kind = TABLE_OTHER;
		t->kind = ld_enum_member(L, m, path, "kind", table_kind_names,
					 ARRAY_LEN(table_kind_names), &kind)
			? (enum table_kind)kind : TABLE_OTHER;
		const char *desc = spec_at_string(p, m, path, "description", false, L->d);
		t->description = xstrdup(desc);
		t->nkey = ld_string_list(L, m, path, "key", &t->key, NULL);
		const cJSON *cols = spec_at_object(p, m, path, "columns", false, L->d);
		if (!cols)
			goto next;
		t->column_notes = xcalloc((size_t)cJSON_GetArraySize(cols) + 1,
					  sizeof *t->column_notes);
		char *colp = spec_path_key(path, "columns");
		for (const cJSON *c = cols->child; c; c = c->next) {
			if (!cJSON_IsString(c)) {
				char *cp = spec_path_key(colp, c->string);
				ld_error(L, cp, "expected a description (a string), found %s",
					 pjson_type_name(c));
				free(cp);
				continue;
			}
			struct project_kv *kv = &t->column_notes[t->ncolumn_notes++];
			kv->key = xstrdup(c->string);
			kv->value = xstrdup(c->valuestring);
		}
		free(colp);
next:
		free(path);
	}
}

/* ---- pipes ------------------------------------------------------------------------- */

static const char *const format_names[] = { "ndjson", "json", "csv", "parquet" };

/* skip_file_N or skip_file_N%: 1 with *n and *percent set, 0 when `v` is
 * not of that form; N must be 1 or more (and at most 100 with %). */
static int skip_file_limit(const char *v, int *n, bool *percent)
{
	if (!str_starts_with(v, "skip_file_"))
		return 0;
	const char *digits = v + strlen("skip_file_");
	size_t len = strspn(digits, "0123456789");
	*percent = digits[len] == '%';
	if (len == 0 || len > 9 || digits[len + *percent] != '\0')
		return 0;
	*n = atoi(digits);
	return 1;
}

/* on_error, as Snowflake's COPY spells it (in lower case). */
static void pipe_on_error(struct ld *L, const cJSON *obj, const char *path,
			  struct project_pipe *x)
{
	static const char *const plain[] = { "skip_file", "continue", "abort" };
	x->on_error = ON_ERROR_SKIP_FILE;
	const char *v = spec_at_string(L->p, obj, path, "on_error", false, L->d);
	if (!v)
		return;
	for (size_t i = 0; i < ARRAY_LEN(plain); i++)
		if (strcmp(v, plain[i]) == 0) {
			x->on_error = (enum on_error)i;
			return;
		}
	if (strcmp(v, "abort_statement") == 0) {
		x->on_error = ON_ERROR_ABORT_STATEMENT;
		return;
	}
	int n;
	bool percent;
	if (!skip_file_limit(v, &n, &percent)) {
		ld_member_error(L, path, "on_error", "unknown on_error \"%.64s\" (expected "
				"skip_file, skip_file_N, skip_file_N%%, continue, abort or "
				"abort_statement)", v);
	} else if (n < 1 || (percent && n > 100)) {
		ld_member_error(L, path, "on_error", "%s: N is the number%s of bad records "
				"at which a file is skipped, from 1%s, not %d", v,
				percent ? " (in percent of the file's records)" : "",
				percent ? " to 100" : "", n);
	} else {
		x->on_error = percent ? ON_ERROR_SKIP_FILE_PERCENT : ON_ERROR_SKIP_FILE_N;
		x->on_error_limit = n;
	}
}

static void pipe_columns(struct ld *L, const cJSON *obj, const char *path,
			 struct project_pipe *x)
{
	static const char *const keys[] = { "name", "type", "source", NULL };
	const cJSON *cols = spec_at_array(L->p, obj, path, "columns", false, L->d);
	if (!cols)
		return;
	char *cp = spec_path_key(path, "columns");
	x->columns = xcalloc((size_t)cJSON_GetArraySize(cols) + 1, sizeof *x->columns);
	struct keyset names = KEYSET_INIT;
	size_t i = 0;
	for (const cJSON *c = cols->child; c; c = c->next, i++) {
		char *ip = spec_path_index(cp, i);
		if (!cJSON_IsObject(c)) {
			ld_error(L, ip, "expected an object { \"name\", \"type\", \"source\" }, "
				 "found %s", pjson_type_name(c));
			free(ip);
			continue;
		}
		spec_at_unknown_keys(L->p, c, ip, keys, L->d);
		struct project_column *col = &x->columns[x->ncolumns++];
		col->name = ld_nonempty(L, c, ip, "name", true);
		col->type = ld_string(L, c, ip, "type", false, "text");
		col->source = ld_string(L, c, ip, "source", false, col->name);
		if (*col->name && keyset_add(&names, col->name))
			ld_member_error(L, ip, "name", "column \"%s\" is declared twice",
					col->name);
		char *np = spec_path_key(ip, "name");
		project_check_pg_name(L->p, L->d, x->connection, np, "column", col->name);
		free(np);
		free(ip);
	}
	keyset_free(&names);
	free(cp);
}

/* One ASCII character that is not a line break (or "" when empty_ok) for
 * `quote` and `escape`; also not the delimiter. */
static bool csv_char(struct ld *L, const cJSON *obj, const char *path, const char *key,
		     char delim, char *out, bool *empty)
{
	const char *v = spec_at_string(L->p, obj, path, key, false, L->d);
	if (!v)
		return false;
	*empty = !*v;
	if (!*v)
		return true;
	if (strlen(v) != 1 || v[0] == '\n' || v[0] == '\r' || (unsigned char)v[0] >= 0x80
	    || v[0] == delim) {
		ld_member_error(L, path, key, "the %s is one ASCII character other than a line "
				"break and the delimiter \"%c\" (or \"\" for none), not \"%s\"",
				key, delim, v);
		return false;
	}
	*out = v[0];
	return true;
}

static const char *const CSV_KEYS[] = {
	"skip_header", "header", "null_if", "quote", "escape", "encoding", "trim_space",
	"empty_field_as_null",
};

static const char *const encoding_names[] = { "utf-8", "latin-1" };

/* skip_header, header, null_if, quote, escape, encoding, trim_space,
 * empty_field_as_null: what COPY's CSV file format offers. */
static void pipe_csv_options(struct ld *L, const cJSON *obj, const char *path,
			     struct project_pipe *x)
{
	struct project *p = L->p;
	int64_t skip = spec_at_int(p, obj, path, "skip_header", 0, L->d);
	if (skip < 0 || skip > 1000000)
		ld_member_error(L, path, "skip_header", "skip_header is a number of lines from 0 "
				"to 1000000, not %lld", (long long)skip);
	else
		x->skip_header = (int)skip;
	x->csv_no_header = !spec_at_bool(p, obj, path, "header", true, L->d);
	if (x->csv_no_header && x->ncolumns == 0)
		ld_member_error(L, path, "header", "a file without a header row needs "
				"\"columns\" (its fields, in order)");
	x->nnull_if = ld_string_list(L, obj, path, "null_if", &x->null_if, NULL);
	x->csv_quote = '"';
	bool empty = false;
	char c = 0;
	if (csv_char(L, obj, path, "quote", x->csv_delimiter, &c, &empty)) {
		x->csv_no_quote = empty;
		x->csv_quote = empty ? 0 : c;
	}
	c = 0;
	if (csv_char(L, obj, path, "escape", x->csv_delimiter, &c, &empty))
		x->csv_escape = empty ? 0 : c;
	int v;
	if (ld_enum_member(L, obj, path, "encoding", encoding_names, ARRAY_LEN(encoding_names),
			   &v))
		x->encoding = (enum pipe_encoding)v;
	x->trim_space = spec_at_bool(p, obj, path, "trim_space", false, L->d);
	x->empty_field_as_text = !spec_at_bool(p, obj, path, "empty_field_as_null", true,
					       L->d);
	if (x->format == FORMAT_CSV)
		return;
	for (size_t i = 0; i < ARRAY_LEN(CSV_KEYS); i++)
		if (cJSON_GetObjectItemCaseSensitive(obj, CSV_KEYS[i])) {
			char *kp = spec_path_key(path, CSV_KEYS[i]);
			ld_warn(L, kp, "%s has no effect with format %s", CSV_KEYS[i],
				pipe_format_name(x->format));
			free(kp);
		}
}

/* pattern_regex: a POSIX extended regular expression that the whole key
 * under `path` must match (Snowflake's PATTERN); compiled here so that a
 * bad one is a diagnostic, not a refresh that finds nothing. */
static void pipe_pattern_regex(struct ld *L, const cJSON *obj, const char *path,
			       struct project_pipe *x)
{
	const char *re = spec_at_string(L->p, obj, path, "pattern_regex", false, L->d);
	if (!re)
		return;
	if (cJSON_GetObjectItemCaseSensitive(obj, "pattern")) {
		ld_member_error(L, path, "pattern_regex", "a pipe has \"pattern\" (a glob) or "
				"\"pattern_regex\", not both");
		return;
	}
	regex_t rx;
	int rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &rx, msg, sizeof msg);
		ld_member_error(L, path, "pattern_regex", "not a POSIX extended regular "
				"expression: %s", msg);
		return;
	}
	regfree(&rx);
	x->pattern_regex = xstrdup(re);
}

/* A lake prefix other than the pipe's own: purge deletes a loaded file,
 * archive moves it there. */
static void pipe_after_load(struct ld *L, const cJSON *obj, const char *path,
			    struct project_pipe *x)
{
	x->purge = spec_at_bool(L->p, obj, path, "purge", false, L->d);
	const char *a = spec_at_string(L->p, obj, path, "archive", false, L->d);
	if (!a)
		return;
	if (x->purge) {
		ld_member_error(L, path, "archive", "a pipe has \"purge\" or \"archive\", "
				"not both");
		return;
	}
	size_t pl = strlen(x->path);
	if (!*a || a[0] == '/' || strstr(a, "..") || strstr(a, "://")) {
		ld_member_error(L, path, "archive", "the archive is a prefix inside the lake "
				"(\"archive/orders/\"), not empty, absolute, a URL, or one "
				"with \"..\"");
		return;
	}
	size_t al = strlen(a);
	char *prefix = a[al - 1] == '/' ? xstrdup(a) : xasprintf("%s/", a);
	if (!strncmp(prefix, x->path, pl) || !strncmp(x->path, prefix, strlen(prefix))) {
		ld_member_error(L, path, "archive", "the archive \"%s\" and the pipe's path "
				"\"%s\" overlap: archived files would be seen by the pipe",
				a, x->path);
		free(prefix);
		return;
	}
	x->archive = prefix;
}

static void parse_pipe(struct ld *L, const cJSON *obj, const char *path, void *slot)
{
	static const char *const keys[] = {
		"name", "path", "pattern", "format", "connection", "table", "columns",
		"document", "on_error", "poll", "csv_delimiter",
		"skip_header", "header", "null_if", "quote", "escape", "encoding",
		"trim_space", "empty_field_as_null", "pattern_regex", "purge", "archive", NULL,
	};
	struct project_pipe *x = slot;
	struct project *p = L->p;
	x->path_in_file = xstrdup(path);
	x->name = ld_name(L, obj, path);
	spec_at_unknown_keys(p, obj, path, keys, L->d);
	x->path = ld_nonempty(L, obj, path, "path", true);
	char *pp = spec_path_key(path, "path");
	if (x->path[0] == '/' || strstr(x->path, "..") || strstr(x->path, "://"))
		ld_error(L, pp, "a pipe's path is a prefix inside the lake (\"orders/\"), not "
			 "an absolute path, a URL, or one with \"..\"");
	free(pp);
	x->pattern = ld_string(L, obj, path, "pattern", false, "*");
	int v;
	x->format = ld_enum_member(L, obj, path, "format", format_names,
				   ARRAY_LEN(format_names), &v)
		? (enum pipe_format)v : FORMAT_NDJSON;
	x->connection = ld_string(L, obj, path, "connection", true, "");
	if (*x->connection) {
		char *cp = spec_path_key(path, "connection");
		ld_ref_connection(L, cp, x->connection);
		free(cp);
	}
	x->table = ld_nonempty(L, obj, path, "table", true);
	pipe_columns(L, obj, path, x);
	if (spec_at_string(p, obj, path, "document", false, L->d)) {
		x->document = ld_nonempty(L, obj, path, "document", false);
		char *dp = spec_path_key(path, "document");
		project_check_pg_name(p, L->d, x->connection, dp, "column", x->document);
		free(dp);
	}
	pipe_on_error(L, obj, path, x);
	x->poll = spec_at_duration(p, obj, path, "poll", 30 * USEC_PER_SEC, L->d);
	if (x->poll <= 0) {
		ld_member_error(L, path, "poll", "the poll interval must be more than 0");
		x->poll = 30 * USEC_PER_SEC;
	}
	x->csv_delimiter = ',';
	const char *delim = spec_at_string(p, obj, path, "csv_delimiter", false, L->d);
	if (delim) {
		char *kp = spec_path_key(path, "csv_delimiter");
		if (strlen(delim) != 1 || delim[0] == '"' || delim[0] == '\n' || delim[0] == '\r')
			ld_error(L, kp, "the delimiter is one character other than a quote or "
				 "a line break (\",\", \";\", \"\\t\", \"|\")");
		else
			x->csv_delimiter = delim[0];
		if (x->format != FORMAT_CSV)
			ld_warn(L, kp, "csv_delimiter has no effect with format %s",
				pipe_format_name(x->format));
		free(kp);
	}
	pipe_csv_options(L, obj, path, x);
	pipe_pattern_regex(L, obj, path, x);
	pipe_after_load(L, obj, path, x);
}

void ld_load_pipes(struct ld *L)
{
	void *items;
	L->p->npipes = ld_named_array(L, "pipes", "pipe", sizeof(struct project_pipe), &items,
				      parse_pipe);
	L->p->pipes = items;
}

/* ---- streams ------------------------------------------------------------------------ */

static const char *const mode_names[] = { "append_only", "default" };

static void parse_stream(struct ld *L, const cJSON *obj, const char *path, void *slot)
{
	static const char *const keys[] = {
		"name", "connection", "table", "mode", "offset_column", "watermark_column", NULL,
	};
	struct project_stream *s = slot;
	s->path_in_file = xstrdup(path);
	s->name = ld_name(L, obj, path);
	spec_at_unknown_keys(L->p, obj, path, keys, L->d);
	s->connection = ld_string(L, obj, path, "connection", true, "");
	if (*s->connection) {
		char *cp = spec_path_key(path, "connection");
		ld_ref_connection(L, cp, s->connection);
		free(cp);
	}
	s->table = ld_nonempty(L, obj, path, "table", true);
	int v;
	s->mode = ld_enum_member(L, obj, path, "mode", mode_names, ARRAY_LEN(mode_names), &v)
		? (enum stream_mode)v : STREAM_APPEND_ONLY;
	const char *off = spec_at_string(L->p, obj, path, "offset_column", false, L->d);
	const char *wm = spec_at_string(L->p, obj, path, "watermark_column", false, L->d);
	if (off && s->mode == STREAM_DEFAULT) {
		char *kp = spec_path_key(path, "offset_column");
		ld_warn(L, kp, "offset_column applies to mode append_only; mode default "
			"tracks watermark_column");
		free(kp);
	}
	if (wm && s->mode == STREAM_APPEND_ONLY) {
		char *kp = spec_path_key(path, "watermark_column");
		ld_warn(L, kp, "watermark_column applies to mode default; mode append_only "
			"tracks offset_column");
		free(kp);
	}
	s->offset_column = off && *off ? xstrdup(off) : xstrdup("_sluice_id");
	s->watermark_column = wm && *wm ? xstrdup(wm) : xstrdup("last_updated");
}

void ld_load_streams(struct ld *L)
{
	void *items;
	L->p->nstreams = ld_named_array(L, "streams", "stream", sizeof(struct project_stream),
					&items, parse_stream);
	L->p->streams = items;
}

/* A pipe or stream on a table that `tables` places on another connection. */
static void table_on(struct ld *L, const char *path, const char *table, const char *conn)
{
	const struct project_table *t = project_table(L->p, table);
	if (!t || !t->connection || !*conn || strcmp(t->connection, conn) == 0)
		return;
	ld_member_error(L, path, "connection", "table \"%s\" is on connection \"%s\" (%s), "
			"not \"%s\"", table, t->connection, t->path_in_file, conn);
}

void ld_check_table_connections(struct ld *L)
{
	for (size_t i = 0; i < L->p->npipes; i++) {
		const struct project_pipe *x = &L->p->pipes[i];
		table_on(L, x->path_in_file, x->table, x->connection);
	}
	for (size_t i = 0; i < L->p->nstreams; i++) {
		const struct project_stream *s = &L->p->streams[i];
		table_on(L, s->path_in_file, s->table, s->connection);
	}
}
