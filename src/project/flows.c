/*
 * flows.c - flows: parameters, retry policies, steps' common fields and
 * the graph their `needs` make.
 *
 * A step's kind-specific keys are left in its JSON object for steps/; the
 * one exception is a step's `connection`, which every kind that has one
 * means the same way, so it is resolved here.
 */
#include "project/project_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const param_type_names[] = {
	"text", "int", "numeric", "bool", "date", "timestamp",
};

static void parse_retries(struct ld *L, const cJSON *obj, const char *path,
			  struct retry_policy *r)
{
	static const char *const keys[] = {
		"count", "delay", "backoff", "max_delay", "jitter", NULL,
	};
	static const char *const backoffs[] = { "fixed", "exponential" };
	struct project *p = L->p;
	spec_at_unknown_keys(p, obj, path, keys, L->d);
	int64_t count = spec_at_int(p, obj, path, "count", r->count, L->d);
	if (count < 0 || count > 1000) {
		ld_member_error(L, path, "count", "retries are counted from 0 to 1000, "
				"not %lld", (long long)count);
	} else {
		r->count = (int)count;
	}
	r->delay = spec_at_duration(p, obj, path, "delay", r->delay, L->d);
	int b;
	if (ld_enum_member(L, obj, path, "backoff", backoffs, ARRAY_LEN(backoffs), &b))
		r->exponential = b == 1;
	r->max_delay = spec_at_duration(p, obj, path, "max_delay", r->max_delay, L->d);
	double jitter = spec_at_number(p, obj, path, "jitter", r->jitter, L->d);
	if (jitter < 0 || jitter > 1) {
		ld_member_error(L, path, "jitter", "jitter is a fraction from 0 to 1, not %g",
				jitter);
	} else {
		r->jitter = jitter;
	}
}

static const cJSON *retries_object(struct ld *L, const cJSON *obj, const char *path)
{
	return spec_at_object(L->p, obj, path, "retries", false, L->d);
}

/* A duration that must be more than zero when given; 0 when absent. */
static usec_t positive_duration(struct ld *L, const cJSON *obj, const char *path,
				const char *key)
{
	usec_t d = spec_at_duration(L->p, obj, path, key, 0, L->d);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (d <= 0 && cJSON_IsString(v) && duration_parse(v->valuestring, &d)) {
		char *kp = spec_path_key(path, key);
		ld_error(L, kp, "%s must be more than 0", key);
		free(kp);
		d = 0;
	}
	return d;
}

/* ---- parameters ------------------------------------------------------------------ */

static void parse_params(struct ld *L, const cJSON *flow, const char *path,
			 struct project_flow *f)
{
	static const char *const keys[] = { "type", "default", "description", NULL };
	struct project *p = L->p;
	const cJSON *obj = spec_at_object(p, flow, path, "params", false, L->d);
	if (!obj)
		return;
	char *pp = spec_path_key(path, "params");
	f->params = xcalloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof *f->params);
	for (const cJSON *m = obj->child; m; m = m->next) {
		char *mp = spec_path_key(pp, m->string);
		if (!cJSON_IsObject(m)) {
			ld_error(L, mp, "expected an object { \"type\", \"default\", "
				 "\"description\" }, found %s", pjson_type_name(m));
			free(mp);
			continue;
		}
		struct project_param *prm = &f->params[f->nparams++];
		prm->name = xstrdup(m->string);
		if (!str_is_identifier(m->string))
			ld_error_at_key(L, mp, "\"%.64s\" is not a valid parameter name (letters, "
					"digits and _, not starting with a digit; SQL refers to "
					"it as :name)", m->string);
		spec_at_unknown_keys(p, m, mp, keys, L->d);
		int t;
		prm->type = ld_enum_member(L, m, mp, "type", param_type_names,
					   ARRAY_LEN(param_type_names), &t)
			? (enum param_type)t : PARAM_TEXT;
		prm->description = xstrdup(spec_at_string(p, m, mp, "description", false, L->d));
		const cJSON *def = cJSON_GetObjectItemCaseSensitive(m, "default");
		if (def) {
			char *dp = spec_path_key(mp, "default");
			prm->has_default = true;
			if (!pjson_scalar_text(def, &prm->default_value)) {
				ld_error(L, dp, "a default is a string, number, boolean or null, "
					 "not %s", pjson_type_name(def));
			} else {
				struct err e;
				err_clear(&e);
				if (param_check(prm, prm->default_value, &e) < 0)
					ld_error(L, dp, "%s", e.msg);
			}
			free(dp);
		}
		free(mp);
	}
	free(pp);
}

/* ---- partition ------------------------------------------------------------------ */

/* "partition": { "param": a date or timestamp parameter, "grain": hour |
 * day | month, "start": the first partition, "column": the targets'
 * column holding it }. */
static void parse_partition(struct ld *L, const cJSON *flow, const char *path,
			    struct project_flow *f)
{
	static const char *const keys[] = { "param", "grain", "start", "column", NULL };
	static const char *const grains[] = { "hour", "day", "month" };
	struct project *p = L->p;
	const cJSON *obj = spec_at_object(p, flow, path, "partition", false, L->d);
	if (!obj)
		return;
	char *pp = spec_path_key(path, "partition");
	spec_at_unknown_keys(p, obj, pp, keys, L->d);
	struct project_partition *pt = xcalloc(1, sizeof *pt);
	f->partition = pt;
	pt->param = ld_nonempty(L, obj, pp, "param", true);
	int g;
	pt->grain = ld_enum_member(L, obj, pp, "grain", grains, ARRAY_LEN(grains), &g)
		? (enum partition_grain)g : GRAIN_DAY;
	if (!cJSON_GetObjectItemCaseSensitive(obj, "grain"))
		ld_error(L, pp, "a partition needs a \"grain\" (hour, day or month)");
	pt->column = ld_string(L, obj, pp, "column", false, NULL);
	const struct project_param *prm = NULL;
	for (size_t i = 0; i < f->nparams && *pt->param; i++)
		if (strcmp(f->params[i].name, pt->param) == 0)
			prm = &f->params[i];
	if (*pt->param && !prm)
		ld_member_error(L, pp, "param", "flow %s has no parameter \"%s\" to partition "
				"by (declare it under \"params\" with type date or timestamp)",
				f->name, pt->param);
	else if (prm && prm->type != PARAM_DATE && prm->type != PARAM_TIMESTAMP)
		ld_member_error(L, pp, "param", "parameter \"%s\" is %s: a partition is a date "
				"or timestamp parameter", pt->param, param_type_name(prm->type));
	else if (prm && prm->type == PARAM_DATE && pt->grain == GRAIN_HOUR)
		ld_member_error(L, pp, "grain", "an hourly partition needs a timestamp "
				"parameter; \"%s\" is a date", pt->param);
	pt->type = prm ? prm->type : PARAM_DATE;
	const char *start = spec_at_string(p, obj, pp, "start", false, L->d);
	if (start) {
		pt->has_start = partition_floor(pt, start, &pt->start);
		if (!pt->has_start)
			ld_member_error(L, pp, "start", "\"%.64s\" is not a date or timestamp "
					"(YYYY-MM-DD[ HH:MM[:SS]])", start);
	}
	free(pp);
}

/* ---- steps ---------------------------------------------------------------------- */

/* Paths of each step's resolved `needs`, for reporting cycles. */
struct needs_graph {
	struct ld *L;
	struct project_flow *f;
	struct graph g;
	char ***edge_paths;
};

static void report_step_cycle(const size_t *cycle, size_t len, size_t edge, void *ctx)
{
	struct needs_graph *ng = ctx;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < len; i++)
		buf_printf(&b, "%s -> ", ng->f->steps[cycle[i]].name);
	buf_puts(&b, ng->f->steps[cycle[0]].name);
	ld_error(ng->L, ng->edge_paths[cycle[len - 1]][edge], "cycle in needs: %s",
		 buf_str(&b));
	buf_free(&b);
}

/* Steps by name, sorted, so that resolving every `needs` of a flow of many
 * steps costs a binary search each (the first of a repeated name wins). */
static int step_order(const void *a, const void *b)
{
	const struct project_step *x = *(const struct project_step *const *)a;
	const struct project_step *y = *(const struct project_step *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x > y) - (x < y);
}

static const struct project_step *step_named(const struct project_step *const *by_name,
					     size_t n, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(by_name[lo]->name, name) == 0 ? by_name[lo] : NULL;
}

static void check_needs(struct ld *L, struct project_flow *f, char ***need_paths)
{
	const struct project_step **by_name = xcalloc(f->nsteps + 1, sizeof *by_name);
	for (size_t i = 0; i < f->nsteps; i++)
		by_name[i] = &f->steps[i];
	qsort(by_name, f->nsteps, sizeof *by_name, step_order);
	struct needs_graph ng = { L, f, { f->nsteps, NULL, NULL }, NULL };
	ng.g.adj = xcalloc(f->nsteps + 1, sizeof *ng.g.adj);
	ng.g.nadj = xcalloc(f->nsteps + 1, sizeof *ng.g.nadj);
	ng.edge_paths = xcalloc(f->nsteps + 1, sizeof *ng.edge_paths);
	for (size_t i = 0; i < f->nsteps; i++) {
		struct project_step *s = &f->steps[i];
		ng.g.adj[i] = xcalloc(s->nneeds + 1, sizeof **ng.g.adj);
		ng.edge_paths[i] = xcalloc(s->nneeds + 1, sizeof **ng.edge_paths);
		for (size_t k = 0; k < s->nneeds; k++) {
			const char *path = need_paths[i][k];
			const struct project_step *t = step_named(by_name, f->nsteps,
								  s->needs[k]);
			if (!t || !*t->name) {
				/* says why: unknown, or empty */
				ld_ref(L, path, "step", s->needs[k], f->steps, f->nsteps,
				       sizeof *f->steps);
				continue;
			}
			size_t j = (size_t)(t - f->steps);
			ng.edge_paths[i][ng.g.nadj[i]] = (char *)path;
			ng.g.adj[i][ng.g.nadj[i]++] = j;
		}
	}
	free(by_name);
	proj_find_cycles(&ng.g, report_step_cycle, &ng);
	for (size_t i = 0; i < f->nsteps; i++) {
		free(ng.g.adj[i]);
		free(ng.edge_paths[i]);
	}
	free(ng.g.adj);
	free(ng.g.nadj);
	free(ng.edge_paths);
}

static const char *const step_kinds[STEP_KIND_COUNT] = {
	"extract", "ingest", "normalize", "sql", "validate", "load", "http", "notify",
};

static void parse_step(struct ld *L, const cJSON *obj, const char *path,
		       struct project_flow *f, struct project_step *s, char ***need_paths)
{
	struct project *p = L->p;
	s->path_in_file = xstrdup(path);
	s->spec = obj;
	s->name = ld_name(L, obj, path);
	s->kind = STEP_KIND_COUNT;
	const char *kind = spec_at_string(p, obj, path, "kind", true, L->d);
	if (kind) {
		char *kp = spec_path_key(path, "kind");
		int k;
		if (ld_enum(L, kp, "kind", kind, step_kinds, STEP_KIND_COUNT, &k))
			s->kind = (enum step_kind)k;
		free(kp);
	}
	s->nneeds = ld_string_list(L, obj, path, "needs", &s->needs, need_paths);
	s->timeout = positive_duration(L, obj, path, "timeout");
	s->cache_expire = positive_duration(L, obj, path, "cache");
	s->retries = f->retries;
	const cJSON *r = retries_object(L, obj, path);
	if (r) {
		char *rp = spec_path_key(path, "retries");
		s->has_retries = true;
		parse_retries(L, r, rp, &s->retries);
		free(rp);
	}
	const cJSON *conn = cJSON_GetObjectItemCaseSensitive(obj, "connection");
	if (cJSON_IsString(conn)) {
		char *cp = spec_path_key(path, "connection");
		ld_ref_connection(L, cp, conn->valuestring);
		free(cp);
	}
}

static void parse_steps(struct ld *L, const cJSON *flow, const char *path,
			struct project_flow *f)
{
	const cJSON *arr = spec_at_array(L->p, flow, path, "steps", true, L->d);
	if (!arr)
		return;
	char *sp = spec_path_key(path, "steps");
	size_t count = (size_t)cJSON_GetArraySize(arr), i = 0;
	if (count == 0)
		ld_error(L, sp, "a flow needs at least one step");
	f->steps = xcalloc(count + 1, sizeof *f->steps);
	char ***need_paths = xcalloc(count + 1, sizeof *need_paths);
	struct keyset names = KEYSET_INIT;
	for (const cJSON *item = arr->child; item; item = item->next, i++) {
		char *ip = spec_path_index(sp, i);
		if (!cJSON_IsObject(item)) {
			ld_error(L, ip, "expected an object, found %s", pjson_type_name(item));
			free(ip);
			continue;
		}
		struct project_step *s = &f->steps[f->nsteps];
		parse_step(L, item, ip, f, s, &need_paths[f->nsteps]);
		if (*s->name && keyset_add(&names, s->name))
			ld_member_error(L, ip, "name", "another step of this flow is already "
					"named \"%s\"", s->name);
		f->nsteps++;
		free(ip);
	}
	keyset_free(&names);
	check_needs(L, f, need_paths);
	for (size_t k = 0; k < f->nsteps; k++)
		ld_free_strings(need_paths[k], f->steps[k].nneeds);
	free(need_paths);
	free(sp);
}

/* ---- flows ------------------------------------------------------------------------ */

static void parse_flow(struct ld *L, const cJSON *obj, const char *path, void *slot)
{
	static const char *const keys[] = {
		"name", "description", "params", "retries", "timeout", "concurrency",
		"on_limit", "notify", "steps", "pool",
		"late_after", "partition", NULL,
	};
	static const char *const limits[] = { "wait", "refuse" };
	struct project_flow *f = slot;
	struct project *p = L->p;
	f->path_in_file = xstrdup(path);
	f->name = ld_name(L, obj, path);
	spec_at_unknown_keys(p, obj, path, keys, L->d);
	f->description = xstrdup(spec_at_string(p, obj, path, "description", false, L->d));
	f->pool = ld_pool(L, obj, path);
	parse_params(L, obj, path, f);
	parse_partition(L, obj, path, f);
	f->retries = (struct retry_policy){
		.count = 0, .delay = 10 * USEC_PER_SEC, .exponential = false,
		.max_delay = 3600 * USEC_PER_SEC, .jitter = 0,
	};
	const cJSON *r = retries_object(L, obj, path);
	if (r) {
		char *rp = spec_path_key(path, "retries");
		parse_retries(L, r, rp, &f->retries);
		free(rp);
	}
	f->timeout = positive_duration(L, obj, path, "timeout");
	f->late_after = positive_duration(L, obj, path, "late_after");
	if (!f->late_after)
		f->late_after = PROJECT_LATE_AFTER;
	int64_t conc = spec_at_int(p, obj, path, "concurrency", 1, L->d);
	if (conc < 1 || conc > 1000) {
		ld_member_error(L, path, "concurrency", "concurrency is the number of runs "
				"at once, from 1 to 1000, not %lld", (long long)conc);
		conc = 1;
	}
	f->concurrency = (int)conc;
	int lim;
	f->on_limit = ld_enum_member(L, obj, path, "on_limit", limits, ARRAY_LEN(limits), &lim)
		? (enum concurrency_policy)lim : CONCURRENCY_WAIT;
	char **paths;
	f->nnotify = ld_string_list(L, obj, path, "notify", &f->notify, &paths);
	for (size_t i = 0; i < f->nnotify; i++)
		ld_ref(L, paths[i], "notification channel", f->notify[i], p->channels,
		       p->nchannels, sizeof *p->channels);
	ld_free_strings(paths, f->nnotify);
	parse_steps(L, obj, path, f);
}

void ld_load_flows(struct ld *L)
{
	void *items;
	L->p->nflows = ld_named_array(L, "flows", "flow", sizeof(struct project_flow), &items,
				      parse_flow);
	L->p->flows = items;
}
