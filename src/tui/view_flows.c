/*
 * view_flows.c - the project's flows, what is running and how the last
 * run went; starting a run with a form built from the flow's parameters.
 *
 * Flows come from the project; their runs from the store (counts by state
 * and the newest run, both indexed).  `r` opens a form with one field per
 * declared parameter: its type in the label, its default filled in, its
 * description as the hint.  Values are checked against their types before
 * anything is sent (the same check the engine makes), and only values the
 * operator changed are sent, so defaults stay the flow's.
 */
#include "project/project.h"
#include "store/store.h"
#include "tui/tui.h"
#include "tui/widget_list.h"
#include "tui/widget_form.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

static const struct tui_column columns[] = {
	TUI_COL_TEXT("NAME", 18, .weight = 1),
	TUI_COL_NUMBER("STEPS", 5, .drop = 5),
	TUI_COL_NUMBER("PARAMS", 6, .drop = 6),
	TUI_COL_NUMBER("ACTIVE", 6, .drop = 4),
	TUI_COL_TIME("LAST RUN", 9, .drop = 2),
	TUI_COL_STATE("LAST STATE", 10),
	TUI_COL_TEXT("TRIGGERED BY", 14, .drop = 3),
	TUI_COL_FLEX("DESCRIPTION", 8, .drop = 7),
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), -1, false, "flows",
	"Flows are ordered steps that move and check data; runs are their executions.",
};

static int act_run(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	const char *flow = tui_list_view_selected(v);
	if (!flow)
		return tui_message(t, true, "run: no flow selected");
	return tui_open_run_form(t, flow);
}

static int act_graph(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	const char *flow = tui_list_view_selected(tui_top(t));
	if (!flow)
		return tui_message(t, true, "graph: no flow selected");
	return tui_open_flow_graph(t, flow);
}

static const struct tui_action actions[] = {
	{ .keys = { 'x' }, .label = "x", .name = "graph",
	  .help = "the selected flow's steps as a graph of their needs (k9s xray)",
	  .run = act_graph },
	{ .keys = { 'r' }, .label = "r", .name = "run",
	  .help = "start a run of the selected flow (a form for its parameters)",
	  .mutates = true, .run = act_run },
	{ .keys = { 'B' }, .label = "B", .name = "backfill",
	  .help = "start a backfill of the selected flow (plan first)",
	  .mutates = true, .command = "backfill start %s",
	  .confirm = "Start a backfill of %s? Its tasks are suspended and its "
		     "tables rebuilt beside the current ones; nothing is replaced "
		     "until you approve." },
};

static void flows_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static bool triggers(const struct project_task *task, const void *flow)
{
	return str_eq(task->flow, flow);
}

static void flows_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_project(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	tui_list_begin(l);
	struct err e;
	err_clear(&e);
	for (size_t i = 0; i < d->project->nflows; i++) {
		const struct project_flow *f = &d->project->flows[i];
		char steps[16], params[16], active[16] = "-", last_state[32] = "-", trig[128];
		struct tui_ago_cell last = { "-", "0" };
		snprintf(steps, sizeof steps, "%zu", f->nsteps);
		snprintf(params, sizeof params, "%zu", f->nparams);
		tui_task_names(d->project, triggers, f->name, trig, sizeof trig);
		if (d->store) {
			int64_t counts[RUN_STATE_COUNT];
			if (store_run_counts(d->store, f->name, 0, counts, &e) == 0) {
				int64_t n = counts[RUN_RUNNING] + counts[RUN_PENDING] +
					    counts[RUN_CANCELLING] + counts[RUN_RETRYING];
				snprintf(active, sizeof active, "%lld", (long long)n);
			}
			struct store_run_filter rf = { .flow = f->name, .limit = 1 };
			struct vec runs = VEC_INIT;
			if (store_run_list(d->store, &rf, &runs, &e) == 0 && runs.len) {
				const struct store_run *r = runs.items[0];
				tui_ago_cell(&last, d->now, r->started ? r->started : r->created);
				snprintf(last_state, sizeof last_state, "%s",
					 run_state_name(r->state));
			}
			store_run_list_free(&runs);
		}
		const char *cells[] = { f->name, steps, params, active, last.text, last_state,
					trig, f->description ? f->description : "" };
		const char *sort[] = { NULL, NULL, NULL, NULL, last.sort, NULL, NULL, NULL };
		tui_list_add_sorted(l, f->name, cells, sort);
	}
	tui_list_end(l);
	tui_list_set_empty(l, "The project declares no flows.\n\nFlows are declared "
			   "in sluice.json under \"flows\".");
	if (e.code != ERR_OK)
		tui_message(v->tui, true, "runs: %s", err_text(&e));
	v->clock = d->store ? 10 * USEC_PER_SEC : 0;
}

static int flows_detail(struct tui_view *v)
{
	return tui_list_view_open_selected(v, tui_open_flow_runs);
}

const struct tui_view_ops view_flows_ops = {
	.name = "flows",
	.title = "Flows",
	.key = '5',
	.in_tabs = true,
	.summary = "flows, what runs, how the last run went; r starts a run",
	.areas = STORE_AREA_BIT(STORE_AREA_RUNS),
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = flows_open,
	.refresh = flows_refresh,
	TUI_LIST_VIEW_OPS,
	.detail = flows_detail,
	.selected = tui_list_view_selected,
	.close = tui_list_view_close,
};

/* ---- the run form ------------------------------------------------------ */

static int submit_run(struct tui *t, const struct tui_form *form, void *arg)
{
	const struct project_flow *f = arg;
	struct buf line = BUF_INIT;
	buf_puts(&line, "run ");
	tui_quote_word(&line, f->name);
	for (size_t i = 0; i < f->nparams; i++) {
		const struct project_param *p = &f->params[i];
		const char *value = tui_form_value(form, p->name);
		if (!value || !*value)
			continue;      /* empty: the flow's default */
		if (p->has_default && p->default_value && str_eq(value, p->default_value))
			continue;
		char *kv = xasprintf("%s=%s", p->name, value);
		buf_putc(&line, ' ');
		tui_quote_word(&line, kv);
		free(kv);
	}
	int rd = tui_command(t, buf_str(&line));
	buf_free(&line);
	return rd;
}

int tui_open_run_form(struct tui *t, const char *flow)
{
	const struct project *p = t->cfg->project_model;
	const struct project_flow *f = p ? project_flow(p, flow) : NULL;
	if (!f)
		return tui_message(t, true, "run: no flow \"%s\" in the project", flow);
	char *title = xasprintf("Run %s", f->name);
	struct tui_form *form = tui_form_new(title, "Run");
	free(title);
	for (size_t i = 0; i < f->nparams; i++) {
		const struct project_param *pp = &f->params[i];
		char *label = xasprintf("%s (%s)", pp->name, param_type_name(pp->type));
		char *hint;
		if (pp->has_default)
			hint = xasprintf("%s%sdefault %s; empty keeps it",
					 pp->description ? pp->description : "",
					 pp->description ? "; " : "",
					 pp->default_value ? pp->default_value : "null");
		else
			hint = xasprintf("%s%srequired",
					 pp->description ? pp->description : "",
					 pp->description ? "; " : "");
		tui_form_add_checked(form, pp->name, label, pp->default_value, hint,
				     !pp->has_default, tui_check_param, pp);
		free(label);
		free(hint);
	}
	return tui_open_form(t, form, submit_run, (void *)f);
}
