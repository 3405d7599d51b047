/*
 * loader.c - project_load(): parse sluice.json (project_json.c), then build
 * the model section by section and check it.
 *
 * This file holds the top level, connections, environments, the lake and
 * the control store; the other sections live in loader_objects.c, flows.c
 * and loader_tasks.c.  Every loader keeps going after a problem so that
 * one run of `sluice check` shows all of them.
 */
#include "project/project_int.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- helpers ------------------------------------------------------------------ */

static size_t member_count(const cJSON *obj)
{
	size_t n = 0;
	for (const cJSON *m = obj ? obj->child : NULL; m; m = m->next)
		n++;
	return n;
}

/* The value of a member that is an object, or an error; NULL when not. */
static const cJSON *object_value(struct ld *L, const cJSON *m, const char *path)
{
	if (cJSON_IsObject(m))
		return m;
	ld_error(L, path, "expected an object, found %s", pjson_type_name(m));
	return NULL;
}

char *proj_resolve_url(const struct project *p, const char *url, const char *scheme)
{
	size_t n = strlen(scheme);
	if (strncmp(url, scheme, n) != 0)
		return xstrdup(url);
	const char *rest = url + n;
	if (!*rest || *rest == '/' || strcmp(rest, ":memory:") == 0)
		return xstrdup(url);
	char *path = path_join(p->dir, rest);
	char *out = xasprintf("%s%s", scheme, path);
	free(path);
	return out;
}

/* ---- connections ---------------------------------------------------------------- */

static const char *const connection_keys[] = { "url", "password_env", "read_only",
						"lock_wait", NULL };

/* lock_wait is kept in milliseconds by the SQLite driver (an int). */
#define LOCK_WAIT_MAX (24 * 3600 * USEC_PER_SEC)

static void connection_lock_wait(struct ld *L, const cJSON *obj, const char *path,
				 struct project_connection *c)
{
	usec_t d = spec_at_duration(L->p, obj, path, "lock_wait", -1, L->d);
	if (d < 0)
		return;              /* not set, or not a duration (said) */
	if (d < USEC_PER_MSEC || d > LOCK_WAIT_MAX) {
		char *kp = spec_path_key(path, "lock_wait");
		ld_error(L, kp, "lock_wait must be at least 1ms and at most 24h");
		free(kp);
		return;
	}
	c->lock_wait = d;
}

/* Settings of a connection or of its override in an environment. */
static void connection_settings(struct ld *L, const cJSON *obj, const char *path,
				bool url_required, struct project_connection *c)
{
	struct project *p = L->p;
	spec_at_unknown_keys(p, obj, path, connection_keys, L->d);
	const char *url = spec_at_string(p, obj, path, "url", url_required, L->d);
	if (url) {
		char *up = spec_path_key(path, "url");
		enum connection_kind kind = CONN_POSTGRES;
		ld_check_connection_url(L, up, url, &kind);
		free(up);
		free(c->url);
		c->url = xstrdup(url);
		c->kind = kind;
	}
	const char *pw = spec_at_string(p, obj, path, "password_env", false, L->d);
	if (pw) {
		char *pp = spec_path_key(path, "password_env");
		ld_check_env_name(L, pp, pw);
		free(pp);
		free(c->password_env);
		c->password_env = xstrdup(pw);
	}
	if (cJSON_GetObjectItemCaseSensitive(obj, "read_only"))
		c->read_only = spec_at_bool(p, obj, path, "read_only", c->read_only, L->d);
	connection_lock_wait(L, obj, path, c);
}

void ld_load_connections(struct ld *L)
{
	struct project *p = L->p;
	const cJSON *obj = spec_at_object(p, p->root, "", "connections", false, L->d);
	if (!obj)
		return;
	p->connections = xcalloc(member_count(obj) + 1, sizeof *p->connections);
	for (const cJSON *m = obj->child; m; m = m->next) {
		char *path = spec_path_key("connections", m->string);
		ld_check_identifier(L, path, m->string);
		if (object_value(L, m, path)) {
			struct project_connection *c = &p->connections[p->nconnections++];
			c->name = xstrdup(m->string);
			c->path = xstrdup(path);
			c->url = xstrdup("");
			connection_settings(L, m, path, true, c);
		}
		free(path);
	}
}

static void finish_connections(struct ld *L)
{
	for (size_t i = 0; i < L->p->nconnections; i++) {
		struct project_connection *c = &L->p->connections[i];
		if (c->kind == CONN_SQLITE) {
			char *u = proj_resolve_url(L->p, c->url, "sqlite:");
			free(c->url);
			c->url = u;
		}
		if (c->kind == CONN_SQLITE && c->password_env)
			ld_warn(L, c->path, "password_env has no effect on a SQLite connection");
		if (c->kind == CONN_POSTGRES && c->lock_wait)
			ld_warn(L, c->path, "lock_wait has no effect on a PostgreSQL connection "
				"(its writers wait for row locks, not for the file)");
	}
}

/* ---- environments ---------------------------------------------------------------- */

static const char *const env_keys[] = {
	"production", "read_only", "control", "connections", "lake", NULL,
};
static const char *const lake_keys[] = {
	"url", "endpoint", "region", "access_key_env", "secret_key_env", NULL,
};

static void check_lake_object(struct ld *L, const cJSON *obj, const char *path)
{
	struct project *p = L->p;
	spec_at_unknown_keys(p, obj, path, lake_keys, L->d);
	const char *url = spec_at_string(p, obj, path, "url", false, L->d);
	if (url) {
		char *up = spec_path_key(path, "url");
		ld_check_lake_url(L, up, url);
		free(up);
	}
	const char *endpoint = spec_at_string(p, obj, path, "endpoint", false, L->d);
	if (endpoint && !str_starts_with(endpoint, "http://") &&
	    !str_starts_with(endpoint, "https://"))
		ld_member_error(L, path, "endpoint",
				"an endpoint is an http:// or https:// URL");
	const char *region = spec_at_string(p, obj, path, "region", false, L->d);
	if (region && !*region)
		ld_member_error(L, path, "region", "the region cannot be empty");
	for (int i = 3; i <= 4; i++) {
		const char *v = spec_at_string(p, obj, path, lake_keys[i], false, L->d);
		if (v) {
			char *vp = spec_path_key(path, lake_keys[i]);
			ld_check_env_name(L, vp, v);
			free(vp);
		}
	}
}

/* Remember an environment in which a connection is PostgreSQL, for checks
 * that matter only there (name lengths). */
static void note_postgres(struct project_connection *c, const char *env)
{
	if (!c->postgres_env)
		c->postgres_env = xstrdup(env);
}

/* Overrides of connections: they must name a connection of the file. */
static void env_connections(struct ld *L, const cJSON *env, const char *path, bool apply)
{
	struct project *p = L->p;
	const cJSON *obj = spec_at_object(p, env, path, "connections", false, L->d);
	if (!obj)
		return;
	const char **names = xcalloc(p->nconnections + 1, sizeof *names);
	for (size_t i = 0; i < p->nconnections; i++)
		names[i] = p->connections[i].name;
	char *cp = spec_path_key(path, "connections");
	for (const cJSON *m = obj->child; m; m = m->next) {
		char *mp = spec_path_key(cp, m->string);
		struct project_connection *c = (struct project_connection *)
			project_connection(p, m->string);
		if (!c) {
			ld_error_at_key(L, mp, "unknown connection \"%.64s\"%s; an environment "
					"overrides connections declared in \"connections\"",
					m->string,
					proj_suggest_text(m->string, names, p->nconnections));
		} else if (object_value(L, m, mp)) {
			/* Checked always; applied only for the selected environment. */
			struct project_connection scratch = { 0 };
			bool was_postgres = c->kind == CONN_POSTGRES;
			connection_settings(L, m, mp, false, apply ? c : &scratch);
			if (apply && was_postgres && c->kind != CONN_POSTGRES)
				note_postgres(c, "default");
			if (!apply && scratch.url && scratch.kind == CONN_POSTGRES)
				note_postgres(c, env->string);
			free(scratch.url);
			free(scratch.password_env);
		}
		free(mp);
	}
	free(cp);
	free(names);
}

void ld_load_environments(struct ld *L, const char *env)
{
	struct project *p = L->p;
	const cJSON *obj = spec_at_object(p, p->root, "", "environments", false, L->d);
	size_t n = member_count(obj);
	p->env_names = xcalloc(n + 1, sizeof *p->env_names);
	const cJSON *chosen = NULL;
	for (const cJSON *m = obj ? obj->child : NULL; m; m = m->next) {
		char *path = spec_path_key("environments", m->string);
		ld_check_identifier(L, path, m->string);
		p->env_names[p->nenv_names++] = xstrdup(m->string);
		bool selected = env && strcmp(env, m->string) == 0;
		if (selected)
			chosen = m;
		if (object_value(L, m, path)) {
			spec_at_unknown_keys(p, m, path, env_keys, L->d);
			bool production = spec_at_bool(p, m, path, "production", false, L->d);
			bool read_only = spec_at_bool(p, m, path, "read_only", false, L->d);
			const char *control = spec_at_string(p, m, path, "control", false, L->d);
			if (control) {
				char *cp = spec_path_key(path, "control");
				enum connection_kind kind;
				ld_check_connection_url(L, cp, control, &kind);
				free(cp);
			}
			const cJSON *lake = spec_at_object(p, m, path, "lake", false, L->d);
			if (lake) {
				char *lp = spec_path_key(path, "lake");
				check_lake_object(L, lake, lp);
				free(lp);
			}
			env_connections(L, m, path, selected);
			if (selected) {
				p->env.read_only = read_only;
				p->env.production = production;
				L->env = m;
				L->env_path = xstrdup(path);
			}
		}
		free(path);
	}
	if (env && *env && !chosen) {
		struct buf known = BUF_INIT;
		for (size_t i = 0; i < p->nenv_names; i++)
			buf_printf(&known, "%s%s", i ? ", " : "", p->env_names[i]);
		const char *close = proj_suggest(env, (const char *const *)p->env_names,
						 p->nenv_names);
		if (!p->nenv_names)
			ld_error(L, "", "unknown environment \"%.64s\": the file declares no "
				 "environments", env);
		else if (close)
			ld_error(L, "environments", "unknown environment \"%.64s\" (did you mean "
				 "\"%s\"? known: %s)", env, close, buf_str(&known));
		else
			ld_error(L, "environments", "unknown environment \"%.64s\" (known: %s)",
				 env, buf_str(&known));
		buf_free(&known);
	}
	p->env.name = xstrdup(env && *env ? env : "default");
	finish_connections(L);
}

/* ---- lake and control store ---------------------------------------------------------- */

/* A lake setting: the environment's when it has one, else the file's. */
static const char *lake_setting(struct ld *L, const cJSON *base, const char *key)
{
	const cJSON *env_lake = L->env ? cJSON_GetObjectItemCaseSensitive(L->env, "lake") : NULL;
	const cJSON *v = cJSON_IsObject(env_lake)
		? cJSON_GetObjectItemCaseSensitive(env_lake, key) : NULL;
	if (cJSON_IsString(v))
		return v->valuestring;
	v = base ? cJSON_GetObjectItemCaseSensitive(base, key) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An environment with connections or a lake of its own moves other data
 * than the default one. */
static bool env_moves_data(const cJSON *env)
{
	return env && (cJSON_GetObjectItemCaseSensitive(env, "connections") ||
		       cJSON_GetObjectItemCaseSensitive(env, "lake"));
}

/* The control store of environment `env` (NULL: the default one).  The
 * store's watermarks, stream offsets and loaded files describe the data
 * its runs moved: an environment that moves other data and names no store
 * of its own gets one beside the default's, .sluice/control-NAME.db,
 * because sharing one would let an extract in one environment start
 * where the other's ended and skip its rows.  With a `control` set at
 * the top, there is no such default: ld_check_shared_controls says so. */
static char *env_control_url(const struct project *p, const char *top,
			     const cJSON *env)
{
	const cJSON *own = env ? cJSON_GetObjectItemCaseSensitive(env, "control") : NULL;
	if (cJSON_IsString(own))
		return proj_resolve_url(p, own->valuestring, "sqlite:");
	if (!top && env_moves_data(env)) {
		char *url = xasprintf("sqlite:.sluice/control-%s.db", env->string);
		char *out = proj_resolve_url(p, url, "sqlite:");
		free(url);
		return out;
	}
	return proj_resolve_url(p, top ? top : "sqlite:.sluice/control.db", "sqlite:");
}

/* Two environments, one of which moves other data, that share a control
 * store: an error in every environment, since `check` must find it
 * whichever is selected. */
static void check_shared_controls(struct ld *L, const char *top)
{
	struct project *p = L->p;
	const cJSON *envs = cJSON_GetObjectItemCaseSensitive(p->root, "environments");
	if (!cJSON_IsObject(envs))
		return;
	char *base = env_control_url(p, top, NULL);
	for (const cJSON *m = envs->child; m; m = m->next) {
		if (!cJSON_IsObject(m))
			continue;
		char *url = env_control_url(p, top, m);
		const char *other = str_eq(url, base) && env_moves_data(m) ? "default" : NULL;
		for (const cJSON *o = envs->child; !other && o != m; o = o->next) {
			if (!cJSON_IsObject(o) || (!env_moves_data(m) && !env_moves_data(o)))
				continue;
			/* One that shares the default's store was compared with it. */
			char *ourl = env_control_url(p, top, o);
			if (str_eq(url, ourl) && !str_eq(ourl, base))
				other = o->string;
			free(ourl);
		}
		if (other) {
			char *path = spec_path_key("environments", m->string);
			ld_error(L, path, "environments \"%s\" and \"%s\" move different data "
				 "(connections or lake) but share one control store: an extract "
				 "in one would start where the other's ended and skip rows; give "
				 "\"%s\" a \"control\" of its own", other, m->string, m->string);
			free(path);
		}
		free(url);
	}
	free(base);
}

/* The connection an extract step reads into the lake (not one that
 * stages into a table), or NULL. */
static const char *lake_source(const struct project_step *st)
{
	if (st->kind != STEP_EXTRACT || cJSON_GetObjectItemCaseSensitive(st->spec, "to"))
		return NULL;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(st->spec, "connection");
	return cJSON_IsString(c) ? c->valuestring : NULL;
}

/* An extract source that environment `env` points elsewhere, with the
 * flow that extracts it; NULL for none. */
static const char *own_source(const struct project *p, const cJSON *env, const char **flow)
{
	const cJSON *conns = cJSON_GetObjectItemCaseSensitive(env, "connections");
	for (size_t i = 0; cJSON_IsObject(conns) && i < p->nflows; i++) {
		for (size_t k = 0; k < p->flows[i].nsteps; k++) {
			const char *src = lake_source(&p->flows[i].steps[k]);
			if (src && cJSON_GetObjectItemCaseSensitive(conns, src)) {
				*flow = p->flows[i].name;
				return src;
			}
		}
	}
	return NULL;
}

static const char *env_lake_url(const cJSON *root, const cJSON *env)
{
	const cJSON *lake = env ? cJSON_GetObjectItemCaseSensitive(env, "lake") : NULL;
	const cJSON *url = cJSON_GetObjectItemCaseSensitive(lake, "url");
	if (cJSON_IsString(url))
		return url->valuestring;
	lake = cJSON_GetObjectItemCaseSensitive(root, "lake");
	url = cJSON_GetObjectItemCaseSensitive(lake, "url");
	return cJSON_IsString(url) ? url->valuestring : "file:lake";
}

/* An environment that extracts other sources into a lake another one
 * extracts into: both write the same tables' keys, and each one's pipes
 * would load the other's rows. */
static void check_shared_lakes(struct ld *L)
{
	struct project *p = L->p;
	const cJSON *envs = cJSON_GetObjectItemCaseSensitive(p->root, "environments");
	for (const cJSON *m = cJSON_IsObject(envs) ? envs->child : NULL; m; m = m->next) {
		const char *flow = NULL;
		const char *src = cJSON_IsObject(m) ? own_source(p, m, &flow) : NULL;
		if (!src)
			continue;
		const char *url = env_lake_url(p->root, m);
		const char *other = str_eq(url, env_lake_url(p->root, NULL)) ? "default" : NULL;
		for (const cJSON *o = envs->child; !other && o; o = o->next)
			if (o != m && cJSON_IsObject(o) && str_eq(url, env_lake_url(p->root, o)))
				other = o->string;
		if (!other)
			continue;
		char *path = spec_path_key("environments", m->string);
		ld_error(L, path, "environment \"%s\" extracts from its own \"%s\" (flow %s) "
			 "into the lake of environment \"%s\": the files of both would mix "
			 "under one table's keys, and each one's pipes would load the other's "
			 "rows; give \"%s\" a \"lake\" of its own", m->string, src, flow,
			 other, m->string);
		free(path);
	}
}

void ld_load_lake_and_control(struct ld *L)
{
	struct project *p = L->p;
	const char *control = spec_at_string(p, p->root, "", "control", false, L->d);
	if (control) {
		enum connection_kind kind;
		ld_check_connection_url(L, "control", control, &kind);
	}
	check_shared_controls(L, control);
	p->control_url = env_control_url(p, control, L->env);

	const cJSON *lake = spec_at_object(p, p->root, "", "lake", false, L->d);
	if (lake)
		check_lake_object(L, lake, "lake");
	const char *url = lake_setting(L, lake, "url");
	const char *region = lake_setting(L, lake, "region");
	p->lake.url = proj_resolve_url(p, url ? url : "file:lake", "file:");
	p->lake.endpoint = xstrdup(lake_setting(L, lake, "endpoint"));
	p->lake.region = xstrdup(region ? region : "us-east-1");
	p->lake.access_key_env = xstrdup(lake_setting(L, lake, "access_key_env"));
	p->lake.secret_key_env = xstrdup(lake_setting(L, lake, "secret_key_env"));
}

/* ---- retention ------------------------------------------------------------------------
 * Defaults keep a busy project's store to a few weeks of detail: at the
 * demo's rates the store otherwise grows by some 120 MB a day. */

#define DAYS(n) ((usec_t)(n) * 86400 * USEC_PER_SEC)

static const struct project_retention retention_defaults = {
	.logs = DAYS(14), .runs = DAYS(90), .transitions = DAYS(90),
	.task_history = DAYS(30), .load_history = DAYS(90), .notifications = DAYS(30),
	.requests = DAYS(30), .every = 3600 * USEC_PER_SEC,
};

static const struct {
	const char *key;
	size_t offset;
} retention_ages[] = {
	{ "logs", offsetof(struct project_retention, logs) },
	{ "runs", offsetof(struct project_retention, runs) },
	{ "transitions", offsetof(struct project_retention, transitions) },
	{ "task_history", offsetof(struct project_retention, task_history) },
	{ "load_history", offsetof(struct project_retention, load_history) },
	{ "notifications", offsetof(struct project_retention, notifications) },
	{ "requests", offsetof(struct project_retention, requests) },
	{ "every", offsetof(struct project_retention, every) },
};

/* A duration, or the word `word` ("forever", "never") for 0. */
static usec_t age_or_word(struct ld *L, const cJSON *obj, const char *path, const char *key,
			  const char *word, usec_t fallback)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsString(v) && strcmp(v->valuestring, word) == 0)
		return 0;
	usec_t d = spec_at_duration(L->p, obj, path, key, fallback, L->d);
	if (d <= 0 && v) {
		ld_member_error(L, path, key, "a retention is longer than 0, or \"%s\"", word);
		return fallback;
	}
	return d;
}

static void load_retention(struct ld *L)
{
	struct project *p = L->p;
	p->retention = retention_defaults;
	const cJSON *obj = spec_at_object(p, p->root, "", "retention", false, L->d);
	if (!obj)
		return;
	const char *keys[ARRAY_LEN(retention_ages) + 2] = { 0 };
	for (size_t i = 0; i < ARRAY_LEN(retention_ages); i++)
		keys[i] = retention_ages[i].key;
	keys[ARRAY_LEN(retention_ages)] = "log_rows";
	spec_at_unknown_keys(p, obj, "retention", keys, L->d);
	for (size_t i = 0; i < ARRAY_LEN(retention_ages); i++) {
		usec_t *field = (usec_t *)((char *)&p->retention + retention_ages[i].offset);
		bool every = strcmp(retention_ages[i].key, "every") == 0;
		*field = age_or_word(L, obj, "retention", retention_ages[i].key,
				     every ? "never" : "forever", *field);
	}
	int64_t rows = spec_at_int(p, obj, "retention", "log_rows", 0, L->d);
	if (rows < 0)
		ld_member_error(L, "retention", "log_rows", "log_rows is 0 (no cap) or more");
	p->retention.log_rows = rows > 0 ? rows : 0;
}

/* ---- the top level ------------------------------------------------------------------- */

static const char *const top_keys[] = {
	"project", "version", "control", "connections", "lake", "pipes", "streams",
	"tasks", "flows", "notifications", "routing", "tables", "environments", "retention",
	NULL,
};

static char *base_name(const char *dir)
{
	const char *slash = strrchr(dir, '/');
	const char *name = slash ? slash + 1 : dir;
	return xstrdup(*name ? name : "project");
}

/* Keys written twice in one object, each at its own key: the parser kept
 * the first and left the others out of the tree. */
static void report_duplicates(struct ld *L)
{
	const struct pjson_dup *dups;
	size_t n = pjson_duplicates(L->p->positions, &dups);
	for (size_t i = 0; i < n; i++)
		diags_add(L->d, DIAG_ERROR, L->p->file, dups[i].at.line, dups[i].at.col,
			  dups[i].path, "duplicate key \"%.64s\" (the first one is used)",
			  dups[i].key);
}

static void load_top(struct ld *L, const char *env)
{
	struct project *p = L->p;
	report_duplicates(L);
	spec_at_unknown_keys(p, p->root, "", top_keys, L->d);
	const char *name = spec_at_string(p, p->root, "", "project", false, L->d);
	if (name && !*name)
		ld_error(L, "project", "the project name cannot be empty");
	p->name = name && *name ? xstrdup(name) : base_name(p->dir);
	int64_t version = spec_at_int(p, p->root, "", "version", 1, L->d);
	if (version != 1)
		ld_error(L, "version", "this sluice reads version 1 of the project file, "
			 "not version %lld", (long long)version);

	ld_load_connections(L);
	ld_load_environments(L, env);
	ld_load_lake_and_control(L);
	load_retention(L);
	ld_load_channels(L);
	ld_load_routing(L);
	ld_load_tables(L);
	ld_load_pipes(L);
	ld_load_streams(L);
	ld_load_flows(L);
	ld_load_tasks(L);
	ld_check_table_connections(L);
	check_shared_lakes(L);
	if (L->world_readable)
		ld_scan_secrets(L);
}

static char *absolute_dir(const char *file)
{
	char *dir = path_dirname(file);
	char *real = realpath(dir, NULL);
	if (!real)
		return dir;
	free(dir);
	return real;
}

struct project *project_load(const char *file, const char *env, struct diags *d,
			     struct err *e)
{
	size_t len;
	char *text = file_read_all(file, &len, e);
	if (!text)
		return NULL;
	cJSON *root;
	struct pjson_syntax syn;
	struct pjson_index *positions = pjson_parse(text, len, &root, &syn);
	if (!positions) {
		diags_add(d, DIAG_ERROR, file, syn.at.line, syn.at.col, "", "%s", syn.msg);
		free(text);
		return err_set(e, ERR_PARSE, "%s is not valid JSON", file), NULL;
	}
	struct project *p = xcalloc(1, sizeof *p);
	p->file = xstrdup(file);
	p->dir = absolute_dir(file);
	p->text = text;
	p->text_len = len;
	p->root = root;
	p->positions = positions;

	struct stat st;
	struct ld L = { .p = p, .d = d };
	L.world_readable = stat(file, &st) == 0 && (st.st_mode & S_IROTH);
	if (!cJSON_IsObject(root)) {
		ld_error(&L, "", "a project file holds a JSON object { ... }, not %s",
			 pjson_type_name(root));
		p->name = base_name(p->dir);
		p->env.name = xstrdup(env && *env ? env : "default");
		p->control_url = proj_resolve_url(p, "sqlite:.sluice/control.db", "sqlite:");
		p->lake.url = proj_resolve_url(p, "file:lake", "file:");
		p->lake.region = xstrdup("us-east-1");
		p->retention = retention_defaults;
		return p;
	}
	load_top(&L, env);
	free(L.env_path);
	return p;
}
