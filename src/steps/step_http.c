/*
 * http.c - the `http` step: download a URL into the lake.
 *
 *   { "kind": "http", "url": "https://example.com/trips/:month.csv.gz",
 *     "to": "taxi/:month/" }
 *
 * :name in `url` and `to` is the flow's parameter (or :run_id), as in SQL;
 * in the URL's path and query the value is percent-encoded, the scheme and
 * host are never touched.  The file lands under `to` with the remote
 * file's name (TO/yellow_tripdata_2021-01.csv.gz), or, with "key": "time"
 * (or an `ext`, or a "url_env"), under a time-based key (TO/YYYY/MM/DD/HHMMSSffffff.EXT,
 * the run's start as the time).  Either way a retried attempt overwrites
 * its own key, and the write is atomic: a failed download leaves nothing.
 * lake_fetch resumes a download cut short with Range (the partial waits in
 * .sluice/downloads for the next attempt), asks If-None-Match /
 * If-Modified-Since when the key exists (a 304 is a success that writes
 * nothing, and the summary says so) and waits out a 429/503's Retry-After.
 * A URL that carries a secret is given as "url_env" (the name of the
 * variable holding it; not expanded).  Request headers are a list of
 * { "name", "value" } or, for secrets, { "name", "value_env" }:
 *   "headers": [ { "name": "Authorization", "value_env": "RATES_AUTH" } ]
 * Values read from the environment are registered as secrets, so no log
 * or error shows them.  In backfill mode nothing is downloaded.
 */
#include "steps/steps_int.h"
#include "lake/lake.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- parameters in url and to ---------------------------------------------------- */

static bool name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Where parameters may be in `text`: after "scheme://host" in a URL, so
 * that a port or user:password is never read as one. */
static size_t params_from(const char *text, bool url)
{
	if (!url)
		return 0;
	const char *p = strstr(text, "://");
	if (!p)
		return 0;
	size_t host = (size_t)(p - text) + 3;
	return host + strcspn(text + host, "/?#");
}

typedef int (*param_fn)(void *arg, const char *name, const char **value, struct err *e);

/* Replace each :name in text (from `from` on) by its value, percent-encoded
 * in a URL.  "::" stays as written. */
static int expand(const char *text, bool url, param_fn lookup, void *arg, struct buf *out,
		  struct err *e)
{
	size_t from = params_from(text, url);
	buf_append(out, text, from);
	for (size_t i = from; text[i];) {
		if (text[i] == ':' && text[i + 1] == ':') {
			buf_append(out, "::", 2);
			i += 2;
			continue;
		}
		if (text[i] != ':' || !name_start(text[i + 1])) {
			buf_putc(out, text[i++]);
			continue;
		}
		size_t n = 1;
		while (name_char(text[i + 1 + n]))
			n++;
		char *name = xstrndup(text + i + 1, n);
		const char *value = NULL;
		int rc = lookup(arg, name, &value, e);
		free(name);
		if (rc < 0)
			return -1;
		if (url)
			for (const char *v = value; *v; v++) {
				if (isalnum((unsigned char)*v) || strchr("-._~", *v))
					buf_putc(out, *v);
				else
					buf_printf(out, "%%%02X", (unsigned char)*v);
			}
		else
			buf_puts(out, value);
		i += 1 + n;
	}
	return 0;
}

struct check_params {
	const struct project_flow *flow;
	struct buf unknown;
};

static int declared_param(void *arg, const char *name, const char **value, struct err *e UNUSED)
{
	struct check_params *c = arg;
	*value = "x";
	if (!strcmp(name, "run_id"))
		return 0;
	for (size_t i = 0; c->flow && i < c->flow->nparams; i++)
		if (!strcmp(c->flow->params[i].name, name))
			return 0;
	buf_printf(&c->unknown, "%s:%s", c->unknown.len ? ", " : "", name);
	return 0;
}

/* Every :name in url or to is a parameter of the flow, or :run_id. */
static void validate_params(const struct project *p, const struct project_flow *f,
			    const struct project_step *s, const char *key, const char *text,
			    struct diags *d)
{
	if (!text)
		return;
	struct check_params c = { f, BUF_INIT };
	struct buf out = BUF_INIT;
	expand(text, !strcmp(key, "url"), declared_param, &c, &out, NULL);
	if (c.unknown.len) {
		struct buf known = BUF_INIT;
		for (size_t i = 0; f && i < f->nparams; i++)
			buf_printf(&known, ":%s, ", f->params[i].name);
		buf_puts(&known, ":run_id");
		char *path = step_spec_path(s, key);
		project_diag(p, d, DIAG_ERROR, path, "unknown parameter %s (known: %s)",
			     buf_str(&c.unknown), buf_str(&known));
		free(path);
		buf_free(&known);
	}
	buf_free(&c.unknown);
	buf_free(&out);
}

/* The last segment of the URL's path: "yellow_tripdata_2021-01.csv.gz";
 * NULL when the path ends in '/' or has none. */
static char *url_file_name(const char *url)
{
	const char *path = strstr(url, "://");
	path = path ? path + 3 + strcspn(path + 3, "/?#") : NULL;
	if (!path || *path != '/')
		return NULL;
	size_t n = strcspn(path, "?#");
	const char *slash = path;
	for (const char *q = path; q < path + n; q++)
		if (*q == '/')
			slash = q;
	if (slash + 1 == path + n)
		return NULL;
	return xstrndup(slash + 1, (size_t)(path + n - slash - 1));
}

/* Time-based keys when asked for, or implied: an `ext` is theirs, and a
 * URL from url_env holds a secret that its path may carry into a key. */
static bool time_keys(const cJSON *spec)
{
	const char *key = steps_json_string(spec, "key");
	if (key)
		return !strcmp(key, "time");
	return steps_json_string(spec, "ext") || steps_json_string(spec, "url_env");
}

static void validate_key(const struct project *p, const struct project_step *s,
			 const char *url, const char *ext, struct diags *d)
{
	const char *key = spec_string(p, s, "key", false, d);
	char *path = step_spec_path(s, "key");
	if (key && strcmp(key, "name") && strcmp(key, "time")) {
		project_diag(p, d, DIAG_ERROR, path, "expected \"name\" (the remote file's name) "
			     "or \"time\" (TO/YYYY/MM/DD/HHMMSSffffff.EXT)");
	} else if (key && !strcmp(key, "name") && ext) {
		free(path);
		path = step_spec_path(s, "ext");
		project_diag(p, d, DIAG_ERROR, path, "\"ext\" names the extension of time-based "
			     "keys; with \"key\": \"name\" the file keeps its own");
	} else if (url && !time_keys(s->spec)) {
		char *name = url_file_name(url);
		if (!name) {
			free(path);
			path = step_spec_path(s, "url");
			project_diag(p, d, DIAG_ERROR, path, "the URL names no file to keep the "
				     "name of; add \"key\": \"time\" for time-based keys");
		}
		free(name);
	}
	free(path);
}

static size_t http_validate(const struct project *p, const struct project_flow *f,
			    const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "url", "url_env", "to", "ext", "headers", "key",
					     NULL };
	size_t before = d->errors;
	spec_unknown_keys(p, s, known, d);
	const char *url = spec_string(p, s, "url", false, d);
	const char *url_env = spec_string(p, s, "url_env", false, d);
	if (!url == !url_env)
		project_diag(p, d, DIAG_ERROR, s->path_in_file,
			     "an http step needs exactly one of \"url\" or \"url_env\"");
	if (url && !str_starts_with(url, "http://") && !str_starts_with(url, "https://")) {
		char *path = step_spec_path(s, "url");
		project_diag(p, d, DIAG_ERROR, path, "expected an http:// or https:// URL");
		free(path);
	}
	const char *to = spec_string(p, s, "to", true, d);
	struct err e;
	size_t tolen = to ? strlen(to) : 0;
	while (tolen > 0 && to[tolen - 1] == '/')
		tolen--;
	if (to && (tolen == 0 || lake_key_check(to, tolen, &e) < 0)) {
		char *path = step_spec_path(s, "to");
		project_diag(p, d, DIAG_ERROR, path, "not a lake prefix: %s",
			     tolen ? e.msg : "empty");
		free(path);
	}
	const char *ext = spec_string(p, s, "ext", false, d);
	validate_params(p, f, s, "url", url, d);
	validate_params(p, f, s, "to", to, d);
	validate_key(p, s, url, ext, d);
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(s->spec, "headers");
	if (h && !cJSON_IsArray(h)) {
		char *path = step_spec_path(s, "headers");
		project_diag(p, d, DIAG_ERROR, path, "expected an array of { \"name\", "
			     "\"value\" | \"value_env\" }");
		free(path);
	}
	size_t i = 0;
	const cJSON *item;
	const cJSON *headers = cJSON_IsArray(h) ? h : NULL;
	cJSON_ArrayForEach(item, headers) {
		char *path = xasprintf("%s.headers[%zu]", s->path_in_file, i++);
		const char *name = steps_json_string(item, "name");
		const char *value = steps_json_string(item, "value");
		const char *env = steps_json_string(item, "value_env");
		int nkeys = cJSON_IsObject(item) ? cJSON_GetArraySize(item) : 0;
		if (!name || !*name || strchr(name, ':') || !value == !env || nkeys != 2)
			project_diag(p, d, DIAG_ERROR, path, "expected { \"name\", \"value\" } "
				     "or { \"name\", \"value_env\" }");
		else if (env && !str_is_identifier(env))
			project_diag(p, d, DIAG_ERROR, path, "value_env: expected the name of "
				     "an environment variable");
		free(path);
	}
	return d->errors - before;
}

/* "json" from ".../rates.json?x=1"; "dat" when the path says nothing. */
static char *url_extension(const char *url)
{
	const char *path = strstr(url, "://");
	path = path ? strchr(path + 3, '/') : NULL;
	if (!path)
		return xstrdup("dat");
	size_t n = strcspn(path, "?#");
	const char *slash = path;
	for (const char *p = path; p < path + n; p++)
		if (*p == '/')
			slash = p;
	const char *dot = NULL;
	for (const char *p = slash; p < path + n; p++)
		if (*p == '.')
			dot = p;
	if (!dot || dot + 1 == path + n || path + n - dot > 9)
		return xstrdup("dat");
	for (const char *p = dot + 1; p < path + n; p++)
		if (!isalnum((unsigned char)*p))
			return xstrdup("dat");
	return xstrndup(dot + 1, (size_t)(path + n - dot - 1));
}

static int env_value(const char *var, const char *what, const char **out, struct err *e)
{
	*out = getenv(var);
	if (!*out || !**out)
		return err_set(e, ERR_INVALID, "the environment variable %s (%s) is not set",
			       var, what);
	log_add_secret(*out);
	return 0;
}

struct run_params {
	const struct step_ctx *ctx;
	char run_id[32];
};

static int run_param(void *arg, const char *name, const char **value, struct err *e)
{
	struct run_params *r = arg;
	const struct step_ctx *ctx = r->ctx;
	for (size_t i = 0; i < ctx->nparams; i++) {
		if (strcmp(ctx->params[i].key, name))
			continue;
		*value = ctx->params[i].value;
		if (!*value)
			return err_set(e, ERR_INVALID, "parameter :%s is null", name);
		return 0;
	}
	if (!strcmp(name, "run_id")) {
		snprintf(r->run_id, sizeof r->run_id, "%lld", (long long)ctx->run_id);
		*value = r->run_id;
		return 0;
	}
	return err_set(e, ERR_INVALID, "unknown parameter :%s", name);
}

/* The lake key: TO/NAME, or TO/YYYY/MM/DD/HHMMSSffffff.EXT. */
static char *download_key(const struct step_ctx *ctx, const char *url, const char *to,
			  struct err *e)
{
	const cJSON *spec = ctx->step->spec;
	if (time_keys(spec)) {
		const char *ext_given = steps_json_string(spec, "ext");
		char *ext = ext_given ? xstrdup(ext_given) : url_extension(url);
		char *key = lake_key_make(NULL, to, ctx->run_start, ext);
		free(ext);
		return key;
	}
	char *name = url_file_name(url);
	if (!name) {
		char *shown = log_mask(url);
		err_set(e, ERR_INVALID, "%s names no file to keep the name of; add \"key\": "
			"\"time\" for time-based keys", shown);
		free(shown);
		return NULL;
	}
	char *key = xasprintf("%s/%s", to, name);
	free(name);
	return key;
}

static void summarize(struct step_ctx *ctx, const char *key, const struct lake_fetch_result *r)
{
	struct buf b = BUF_INIT;
	if (r->not_modified)
		buf_printf(&b, "not modified since the last download: %s unchanged, nothing "
			   "written", key);
	else
		buf_printf(&b, "downloaded %lld bytes into %s", (long long)r->bytes, key);
	if (r->resumed_from > 0)
		buf_printf(&b, "; resumed an earlier attempt's partial at byte %lld",
			   (long long)r->resumed_from);
	if (r->resumes > 0)
		buf_printf(&b, "; resumed %d time%s after the connection broke", r->resumes,
			   r->resumes == 1 ? "" : "s");
	if (r->restarted)
		buf_puts(&b, "; the server sent the file whole, so the partial was dropped");
	if (r->waited > 0)
		buf_printf(&b, "; waited %.1f s as the server asked (Retry-After)",
			   (double)r->waited / USEC_PER_SEC);
	step_summary(ctx, "%s", buf_str(&b));
	buf_free(&b);
}

static int fetch(struct step_ctx *ctx, const char *url, const char *to,
		 const char *const *headers, struct err *e)
{
	char *key = download_key(ctx, url, to, e);
	if (!key)
		return -1;
	char *spool = path_join(ctx->project->dir ? ctx->project->dir : ".",
				".sluice/downloads");
	struct lake_fetch_opts o = { .headers = headers, .spool_dir = spool,
				     .cancel = ctx->cancel };
	struct lake_fetch_result r;
	int rc = lake_fetch(ctx->lake, url, key, &o, &r, e);
	if (rc == 0)
		summarize(ctx, key, &r);
	free(spool);
	free(key);
	return rc;
}

static int http_run(struct step_ctx *ctx, struct err *e)
{
	const cJSON *spec = ctx->step->spec;
	const char *url_given = steps_json_string(spec, "url");
	const char *url_env = steps_json_string(spec, "url_env");
	const char *url = url_given;
	if (!url && env_value(url_env, "url_env", &url, e) < 0)
		return -1;
	if (!ctx->lake)
		return err_set(e, ERR_INVALID, "step %s: the project has no lake", ctx->step->name);
	struct vec headers = VEC_INIT;
	const cJSON *item;
	int rc = 0;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(spec, "headers")) {
		const char *v = steps_json_string(item, "value");
		if (!v && env_value(steps_json_string(item, "value_env"), "value_env", &v, e) < 0) {
			rc = -1;
			break;
		}
		vec_push(&headers, xasprintf("%s: %s", steps_json_string(item, "name"), v));
	}
	vec_push(&headers, NULL);
	struct run_params rp = { .ctx = ctx };
	struct buf u = BUF_INIT, t = BUF_INIT;
	if (rc == 0 && url_given && expand(url_given, true, run_param, &rp, &u, e) < 0)
		rc = -1;
	if (rc == 0 && expand(steps_json_string(spec, "to"), false, run_param, &rp, &t, e) < 0)
		rc = -1;
	while (t.len > 0 && t.data[t.len - 1] == '/')
		t.data[--t.len] = '\0';
	if (rc == 0)
		rc = fetch(ctx, url_given ? buf_str(&u) : url, buf_str(&t),
			   (const char *const *)headers.items, e);
	if (rc < 0)
		err_prefix(e, "step %s: ", ctx->step->name);
	for (size_t i = 0; i < headers.len; i++)
		free(headers.items[i]);
	vec_free(&headers);
	buf_free(&u);
	buf_free(&t);
	return rc;
}

const struct step_ops step_http_ops = {
	.kind = STEP_HTTP,
	.validate = http_validate,
	.run = http_run,
	.cache_inputs = NULL,
};
