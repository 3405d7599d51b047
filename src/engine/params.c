/*
 * params.c - a run's parameters: checked against the flow's declarations
 * (type, required, unknown names) with defaults applied before the run
 * exists for workers, stored as a JSON object in their declared types
 * (int and numeric as JSON numbers, bool as true/false, the rest as
 * strings), and read back into the key/value list a step context carries.
 * Numbers are written and read as their text, never through a double, so
 * a 64-bit integer or a numeric(38,10) survives.
 */
#include "engine/engine_int.h"
#include "format/format.h"

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
	const char *text = json && *json ? json : "{}";
	/* format's parser keeps a number's text in valuestring */
	cJSON *root = fmt_json_parse(text, strlen(text), NULL, NULL);
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
		} else if (cJSON_IsNumber(it) && it->valuestring) {
			kv[i].value = xstrdup(it->valuestring);
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

/* A checked numeric value as JSON number text: JSON has no leading '+',
 * no leading zeros and no bare '.5' or '5.'. */
static char *json_number(const char *v)
{
	struct buf b = BUF_INIT;
	if (*v == '-')
		buf_putc(&b, *v++);
	else if (*v == '+')
		v++;
	while (*v == '0' && v[1] >= '0' && v[1] <= '9')
		v++;
	if (*v == '.' || !*v)
		buf_putc(&b, '0');
	for (; *v && *v != 'e' && *v != 'E'; v++) {
		buf_putc(&b, *v);
		if (*v == '.' && !(v[1] >= '0' && v[1] <= '9'))
			buf_putc(&b, '0');
	}
	buf_puts(&b, v);
	char *out = xstrdup(buf_str(&b));
	buf_free(&b);
	return out;
}

/* A value param_check accepted, as the JSON its declared type calls for. */
static cJSON *typed_value(enum param_type type, const char *value)
{
	if (!value)
		return cJSON_CreateNull();
	switch (type) {
	case PARAM_INT: case PARAM_NUMERIC: {
		char *num = json_number(value);
		cJSON *raw = cJSON_CreateRaw(num);
		free(num);
		return raw;
	}
	case PARAM_BOOL:
		return cJSON_CreateBool(str_eq(value, "true"));
	default:
		return cJSON_CreateString(value);
	}
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
		cJSON_AddItemToObject(obj, pp->name, typed_value(pp->type, value));
	}
	char *txt = cJSON_PrintUnformatted(obj);
	char *out = xstrdup(txt);
	cJSON_free(txt);
	cJSON_Delete(obj);
	return out;
}
