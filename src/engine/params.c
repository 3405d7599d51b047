/*
 * params.c - a run's parameters: checked against the flow's declarations
 * (type, required, unknown names) with defaults applied before the run
 * exists for workers, stored as a JSON object of text values (lossless:
 * a 64-bit integer or a numeric(38,10) survives), and read back into the
 * key/value list a step context carries.
 */
#include "engine/engine_int.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

void engine_params_free(struct project_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

int engine_params_from_json(const char *json, struct project_kv **out, size_t *n,
		     struct err *e)
{
	*out = NULL;
	*n = 0;
	cJSON *root = cJSON_Parse(json && *json ? json : "{}");
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return err_set(e, ERR_PARSE, "the run's parameters are not a JSON object");
	}
	size_t count = (size_t)cJSON_GetArraySize(root);
	struct project_kv *kv = xcalloc(count ? count : 1, sizeof *kv);
	size_t i = 0;
	for (cJSON *it = root->child; it && i < count; it = it->next, i++) {
		kv[i].key = xstrdup(it->string);
		if (cJSON_IsString(it)) {
			kv[i].value = xstrdup(it->valuestring);
		} else if (cJSON_IsBool(it)) {
			kv[i].value = xstrdup(cJSON_IsTrue(it) ? "true" : "false");
		} else if (cJSON_IsNumber(it)) {
			char *txt = cJSON_PrintUnformatted(it);
			kv[i].value = xstrdup(txt);
			cJSON_free(txt);
		} else if (!cJSON_IsNull(it)) {
			char *txt = cJSON_PrintUnformatted(it);
			kv[i].value = xstrdup(txt);
			cJSON_free(txt);
		}
	}
	cJSON_Delete(root);
	*out = kv;
	*n = i;
	return 0;
}

static const struct project_kv *find_given(const struct project_kv *given, size_t n,
					   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (str_eq(given[i].key, name))
			return &given[i];
	return NULL;
}

static void list_params(const struct project_flow *flow, struct buf *b)
{
	if (flow->nparams == 0) {
		buf_puts(b, "it takes none");
		return;
	}
	buf_puts(b, "it takes ");
	for (size_t i = 0; i < flow->nparams; i++)
		buf_printf(b, "%s%s", i ? ", " : "", flow->params[i].name);
}

char *engine_params_resolve(const struct project_flow *flow, const struct project_kv *given,
		     size_t ngiven, struct err *e)
{
	for (size_t i = 0; i < ngiven; i++) {
		bool known = false;
		for (size_t k = 0; k < flow->nparams && !known; k++)
			known = str_eq(flow->params[k].name, given[i].key);
		if (!known) {
			struct buf b = BUF_INIT;
			list_params(flow, &b);
			err_set(e, ERR_INVALID, "flow %s has no parameter \"%s\" (%s)",
				flow->name, given[i].key, buf_str(&b));
			buf_free(&b);
			return NULL;
		}
		for (size_t k = 0; k < i; k++) {
			if (str_eq(given[k].key, given[i].key)) {
				err_set(e, ERR_INVALID, "parameter \"%s\" is given twice",
					given[i].key);
				return NULL;
			}
		}
	}
	cJSON *obj = cJSON_CreateObject();
	for (size_t k = 0; k < flow->nparams; k++) {
		const struct project_param *pp = &flow->params[k];
		const struct project_kv *g = find_given(given, ngiven, pp->name);
		const char *value;
		if (g) {
			value = g->value;
		} else if (pp->has_default) {
			value = pp->default_value;
		} else {
			err_set(e, ERR_INVALID, "parameter \"%s\" (%s) of flow %s is "
				"required and has no default", pp->name,
				param_type_name(pp->type), flow->name);
			cJSON_Delete(obj);
			return NULL;
		}
		if (param_check(pp, value, e) < 0) {
			cJSON_Delete(obj);
			return NULL;
		}
		if (value)
			cJSON_AddStringToObject(obj, pp->name, value);
		else
			cJSON_AddNullToObject(obj, pp->name);
	}
	char *txt = cJSON_PrintUnformatted(obj);
	char *out = xstrdup(txt);
	cJSON_free(txt);
	cJSON_Delete(obj);
	return out;
}
