/*
 * spec.c - typed reading of JSON objects with diagnostics.
 *
 * The loader reads every section of sluice.json through these, and steps/
 * reads each step kind's own keys through the same functions (the public
 * spec_* family), so a wrong type reads the same wherever it is:
 * "flows[0].steps[2].table: expected a string, found a number".
 */
#include "project/project_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

char *spec_path_key(const char *path, const char *key)
{
	if (!path || !*path)
		return xstrdup(key);
	return xasprintf("%s.%s", path, key);
}

char *spec_path_index(const char *path, size_t i)
{
	return xasprintf("%s[%zu]", path ? path : "", i);
}

const char *pjson_type_name(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return "null";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "something else";
}

bool pjson_scalar_text(const cJSON *v, char **out)
{
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return true;
	if (cJSON_IsString(v)) {
		*out = xstrdup(v->valuestring);
		return true;
	}
	if (cJSON_IsBool(v)) {
		*out = xstrdup(cJSON_IsTrue(v) ? "true" : "false");
		return true;
	}
	if (!cJSON_IsNumber(v))
		return false;
	double x = v->valuedouble;
	if (x == floor(x) && fabs(x) < 1e15) {
		*out = xasprintf("%lld", (long long)x);
		return true;
	}
	char *s = xasprintf("%.15g", x);
	if (strtod(s, NULL) != x) {
		free(s);
		s = xasprintf("%.17g", x);
	}
	*out = s;
	return true;
}

/* ---- suggestions ----------------------------------------------------------- */

/* Optimal string alignment distance: Levenshtein plus adjacent swaps. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 63 || m > 63)
		return 99;
	size_t dp[64][64];
	for (size_t i = 0; i <= n; i++)
		dp[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		dp[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = dp[i - 1][j] + 1;
			if (dp[i][j - 1] + 1 < best)
				best = dp[i][j - 1] + 1;
			if (dp[i - 1][j - 1] + cost < best)
				best = dp[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    dp[i - 2][j - 2] + 1 < best)
				best = dp[i - 2][j - 2] + 1;
			dp[i][j] = best;
		}
	}
	return dp[n][m];
}

const char *proj_suggest(const char *word, const char *const *known, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3, len = strlen(word);
	for (size_t i = 0; i < n; i++) {
		if (!known[i])
			continue;
		size_t dist = edit_distance(word, known[i]);
		if (dist < best_d && dist < len) {
			best = known[i];
			best_d = dist;
		}
	}
	return best;
}

const char *proj_suggest_text(const char *word, const char *const *known, size_t n)
{
	static _Thread_local char text[160];
	const char *s = proj_suggest(word, known, n);
	if (!s)
		return "";
	snprintf(text, sizeof text, " (did you mean \"%s\"?)", s);
	return text;
}

/* ---- names and enumerations ---------------------------------------------------- */

bool ld_check_identifier(struct ld *L, const char *path, const char *name)
{
	if (str_is_identifier(name))
		return true;
	if (!*name)
		ld_error(L, path, "a name cannot be empty");
	else
		ld_error(L, path, "\"%.64s\" is not a valid name "
			 "(letters, digits and _, not starting with a digit)", name);
	return false;
}

bool ld_check_env_name(struct ld *L, const char *path, const char *name)
{
	if (str_is_identifier(name))
		return true;
	ld_error(L, path, "\"%.64s\" is not an environment variable name "
		 "(letters, digits and _, not starting with a digit)", name);
	return false;
}

bool ld_enum(struct ld *L, const char *path, const char *key, const char *value,
	     const char *const *names, size_t n, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(value, names[i]) == 0) {
			*out = (int)i;
			return true;
		}
	}
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	ld_error(L, path, "unknown %s \"%.64s\" (expected %s)", key, value, buf_str(&b));
	buf_free(&b);
	return false;
}

/* ---- typed members ---------------------------------------------------------------- */

/* A member, with JSON null read as absent. */
static const cJSON *member(const cJSON *obj, const char *key)
{
	if (!obj || !cJSON_IsObject(obj))
		return NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return v && !cJSON_IsNull(v) ? v : NULL;
}

static void value_error(const struct project *p, struct diags *d, const char *path,
			const char *key, const char *fmt, ...) PRINTF_LIKE(5, 6);

static void value_error(const struct project *p, struct diags *d, const char *path,
			const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_at_member(p, d, path, key, fmt, ap);
	va_end(ap);
}

/* The member `key` of obj when `is_wanted` accepts it.  NULL when it is
 * absent (reported when required) or of another type (reported as not
 * `want`): every spec_at_* getter reads its member through here. */
static const cJSON *typed_member(const struct project *p, const cJSON *obj,
				 const char *path, const char *key, bool required,
				 cJSON_bool (*is_wanted)(const cJSON *), const char *want,
				 struct diags *d)
{
	const cJSON *v = member(obj, key);
	if (!v) {
		if (required)
			project_diag(p, d, DIAG_ERROR, path, "missing required key \"%s\"",
				     key);
		return NULL;
	}
	if (!is_wanted(v)) {
		value_error(p, d, path, key, "expected %s, found %s", want, pjson_type_name(v));
		return NULL;
	}
	return v;
}

const char *spec_at_string(const struct project *p, const cJSON *obj, const char *path,
			   const char *key, bool required, struct diags *d)
{
	const cJSON *v = typed_member(p, obj, path, key, required, cJSON_IsString,
				      "a string", d);
	return v ? v->valuestring : NULL;
}

bool spec_at_bool(const struct project *p, const cJSON *obj, const char *path,
		  const char *key, bool fallback, struct diags *d)
{
	const cJSON *v = typed_member(p, obj, path, key, false, cJSON_IsBool,
				      "true or false", d);
	return v ? cJSON_IsTrue(v) : fallback;
}

int64_t spec_at_int(const struct project *p, const cJSON *obj, const char *path,
		    const char *key, int64_t fallback, struct diags *d)
{
	const cJSON *v = typed_member(p, obj, path, key, false, cJSON_IsNumber,
				      "an integer", d);
	if (!v)
		return fallback;
	double x = v->valuedouble;
	if (x != floor(x) || fabs(x) > 9007199254740992.0) {
		value_error(p, d, path, key, "expected an integer, found %g", x);
		return fallback;
	}
	return (int64_t)x;
}

double spec_at_number(const struct project *p, const cJSON *obj, const char *path,
		      const char *key, double fallback, struct diags *d)
{
	const cJSON *v = typed_member(p, obj, path, key, false, cJSON_IsNumber,
				      "a number", d);
	return v ? v->valuedouble : fallback;
}

usec_t spec_at_duration(const struct project *p, const cJSON *obj, const char *path,
			const char *key, usec_t fallback, struct diags *d)
{
	const cJSON *v = typed_member(p, obj, path, key, false, cJSON_IsString,
				      "a duration such as \"10s\"", d);
	if (!v)
		return fallback;
	usec_t out;
	if (!duration_parse(v->valuestring, &out)) {
		value_error(p, d, path, key, "\"%.40s\" is not a duration (expected a number "
			    "and a unit: ms, s, m, h or d, such as \"10s\" or \"5 minutes\")",
			    v->valuestring);
		return fallback;
	}
	return out;
}

/* One string stands for a list of one. */
static cJSON_bool is_string_or_array(const cJSON *v)
{
	return cJSON_IsString(v) || cJSON_IsArray(v);
}

void spec_at_strings(const struct project *p, const cJSON *obj, const char *path,
		     const char *key, bool required, struct vec *out, struct diags *d)
{
	const cJSON *v = typed_member(p, obj, path, key, required, is_string_or_array,
				      "an array of strings", d);
	if (!v)
		return;
	if (cJSON_IsString(v)) {
		vec_push(out, xstrdup(v->valuestring));
		return;
	}
	char *kp = spec_path_key(path, key);
	size_t i = 0;
	for (const cJSON *item = v->child; item; item = item->next, i++) {
		if (cJSON_IsString(item)) {
			vec_push(out, xstrdup(item->valuestring));
		} else {
			char *ip = spec_path_index(kp, i);
			project_diag(p, d, DIAG_ERROR, ip, "expected a string, found %s",
				     pjson_type_name(item));
			free(ip);
		}
	}
	free(kp);
}

const cJSON *spec_at_object(const struct project *p, const cJSON *obj, const char *path,
			    const char *key, bool required, struct diags *d)
{
	return typed_member(p, obj, path, key, required, cJSON_IsObject, "an object", d);
}

const cJSON *spec_at_array(const struct project *p, const cJSON *obj, const char *path,
			   const char *key, bool required, struct diags *d)
{
	return typed_member(p, obj, path, key, required, cJSON_IsArray, "an array", d);
}

static void unknown_key(const struct project *p, struct diags *d, const char *kp,
			const char *fmt, ...) PRINTF_LIKE(4, 5);

static void unknown_key(const struct project *p, struct diags *d, const char *kp,
			const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_at_key(p, d, kp, fmt, ap);
	va_end(ap);
}

void spec_at_unknown_keys(const struct project *p, const cJSON *obj, const char *path,
			  const char *const *known, struct diags *d)
{
	if (!obj || !cJSON_IsObject(obj))
		return;
	size_t n = 0;
	while (known[n])
		n++;
	for (const cJSON *m = obj->child; m; m = m->next) {
		bool ok = false;
		for (size_t i = 0; i < n && !ok; i++)
			ok = strcmp(m->string, known[i]) == 0;
		if (ok)
			continue;
		char *kp = spec_path_key(path, m->string);
		const char *close = proj_suggest(m->string, known, n);
		if (close) {
			unknown_key(p, d, kp, "unknown key \"%.64s\" (did you mean \"%s\"?)",
				    m->string, close);
		} else {
			struct buf b = BUF_INIT;
			for (size_t i = 0; i < n; i++)
				buf_printf(&b, "%s%s", i ? ", " : "", known[i]);
			unknown_key(p, d, kp, "unknown key \"%.64s\" (expected %s)",
				    m->string, buf_str(&b));
			buf_free(&b);
		}
		free(kp);
	}
}

/* ---- step specs ------------------------------------------------------------------ */

const char *spec_string(const struct project *p, const struct project_step *s,
			const char *key, bool required, struct diags *d)
{
	return spec_at_string(p, s->spec, s->path_in_file, key, required, d);
}

bool spec_bool(const struct project *p, const struct project_step *s,
	       const char *key, bool fallback, struct diags *d)
{
	return spec_at_bool(p, s->spec, s->path_in_file, key, fallback, d);
}

int64_t spec_int(const struct project *p, const struct project_step *s,
		 const char *key, int64_t fallback, struct diags *d)
{
	return spec_at_int(p, s->spec, s->path_in_file, key, fallback, d);
}

void spec_strings(const struct project *p, const struct project_step *s,
		  const char *key, bool required, struct vec *out, struct diags *d)
{
	spec_at_strings(p, s->spec, s->path_in_file, key, required, out, d);
}

static const char *const step_common_keys[] = {
	"name", "kind", "needs", "timeout", "retries", "cache",
};

void spec_unknown_keys(const struct project *p, const struct project_step *s,
		       const char *const *known, struct diags *d)
{
	size_t n = 0;
	while (known && known[n])
		n++;
	size_t total = ARRAY_LEN(step_common_keys) + n;
	const char **all = xcalloc(total + 1, sizeof *all);
	for (size_t i = 0; i < ARRAY_LEN(step_common_keys); i++)
		all[i] = step_common_keys[i];
	for (size_t i = 0; i < n; i++)
		all[ARRAY_LEN(step_common_keys) + i] = known[i];
	spec_at_unknown_keys(p, s->spec, s->path_in_file, all, d);
	free(all);
}
