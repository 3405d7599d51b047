/*
 * http.c - the `http` step: download a URL into the lake.
 *
 *   { "kind": "http", "url": "https://example.com/rates.json", "to": "rates/" }
 *
 * The file lands under `to` with a time-based key (TO/YYYY/MM/DD/
 * HHMMSSffffff.EXT, the run's start as the time), written atomically by
 * lake_download: a retried attempt of the same run overwrites the same
 * key instead of adding a second copy, and a failed download leaves
 * nothing.  A URL that carries a secret is given as "url_env" (the name of
 * the variable holding it).  Request headers are a list of { "name",
 * "value" } or, for secrets, { "name", "value_env" }:
 *   "headers": [ { "name": "Authorization", "value_env": "RATES_AUTH" } ]
 * Values read from the environment are registered as secrets, so no log
 * or error shows them.  `ext` overrides the extension taken from the
 * URL's path.  In backfill mode nothing is downloaded.
 */
#include "steps/steps_int.h"
#include "lake/lake.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static size_t http_validate(const struct project *p, const struct project_flow *f UNUSED,
			    const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "url", "url_env", "to", "ext", "headers", NULL };
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
	spec_string(p, s, "ext", false, d);
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

static int http_run(struct step_ctx *ctx, struct err *e)
{
	const cJSON *spec = ctx->step->spec;
	const char *url = steps_json_string(spec, "url");
	const char *url_env = steps_json_string(spec, "url_env");
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
	char *to = xstrdup(steps_json_string(spec, "to"));
	size_t n = strlen(to);
	while (n > 0 && to[n - 1] == '/')
		to[--n] = '\0';
	const char *ext_given = steps_json_string(spec, "ext");
	char *ext = ext_given ? xstrdup(ext_given) : url_extension(url);
	char *key = lake_key_make(NULL, to, ctx->run_start, ext);
	int64_t bytes = 0;
	if (rc == 0)
		rc = lake_download(ctx->lake, url, key, (const char *const *)headers.items,
				   &bytes, e);
	if (rc == 0)
		step_summary(ctx, "downloaded %lld bytes into %s", (long long)bytes, key);
	else
		err_prefix(e, "step %s: ", ctx->step->name);
	for (size_t i = 0; i < headers.len; i++)
		free(headers.items[i]);
	vec_free(&headers);
	free(key);
	free(ext);
	free(to);
	return rc;
}

const struct step_ops step_http_ops = {
	.kind = STEP_HTTP,
	.validate = http_validate,
	.run = http_run,
	.cache_inputs = NULL,
};
