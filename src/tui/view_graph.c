/*
 * view_graph.c - a flow's steps as a layered graph (k9s's xray): each
 * step in the layer its `needs` put it in (the longest chain of needs
 * before it), with the kind, the state, rows and duration of the step in
 * the flow's newest run, what it needs when that is not simply the layer
 * before, and the tables it reads and writes beside it.
 *
 * A page of styled text from the project (the steps, their needs and
 * tables: steps_table_uses) and the store (the newest run's steps),
 * read again when runs change, so a running flow is watched step by step.
 */
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"
#include "tui/theme.h"
#include "tui/widget_pager.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

struct graph_page {
	struct tui_pager pager;     /* first: the page operations use it */
	char *flow;
	char newest[24];            /* the newest run's id, for d; "" none */
};

#define NAME_W 24

static int step_index(const struct project_flow *f, const char *name)
{
	for (size_t i = 0; i < f->nsteps; i++)
		if (str_eq(f->steps[i].name, name))
			return (int)i;
	return -1;
}

/* Layers: 0 for a step that needs none, else one more than the deepest
 * step it needs.  The loader refuses cycles; a bound keeps a bad project
 * from looping here all the same. */
static void layers_of(const struct project_flow *f, int *layer)
{
	for (size_t i = 0; i < f->nsteps; i++)
		layer[i] = 0;
	for (size_t pass = 0; pass < f->nsteps; pass++) {
		bool moved = false;
		for (size_t i = 0; i < f->nsteps; i++)
			for (size_t k = 0; k < f->steps[i].nneeds; k++) {
				int n = step_index(f, f->steps[i].needs[k]);
				if (n >= 0 && layer[n] + 1 > layer[i]) {
					layer[i] = layer[n] + 1;
					moved = true;
				}
			}
		if (!moved)
			break;
	}
}

static const struct store_step *step_record(const struct vec *recs, const char *name)
{
	for (size_t i = 0; i < recs->len; i++)
		if (str_eq(((const struct store_step *)recs->items[i])->step, name))
			return recs->items[i];
	return NULL;
}

/* Does the step need exactly every step of the layer before it? */
static bool needs_whole_layer(const struct project_flow *f, const int *layer, size_t i)
{
	size_t before = 0;
	for (size_t k = 0; k < f->nsteps; k++)
		before += layer[k] == layer[i] - 1;
	return f->steps[i].nneeds == before;
}

static void tables_line(struct tui_doc *d, const struct project *p,
			const struct project_step *s, const char *indent)
{
	struct vec uses = VEC_INIT;
	steps_table_uses(p, s, &uses);
	struct buf reads = BUF_INIT, writes = BUF_INIT;
	for (size_t i = 0; i < uses.len; i++) {
		const struct steps_table_use *u = uses.items[i];
		struct buf *b = u->writes ? &writes : &reads;
		buf_printf(b, "%s%s", b->len ? ", " : "", u->table);
	}
	if (reads.len || writes.len) {
		tui_doc_put(d, R_NORMAL, indent);
		if (reads.len)
			tui_doc_printf(d, R_DIM, "reads %s", buf_str(&reads));
		if (reads.len && writes.len)
			tui_doc_put(d, R_DIM, theme_utf8() ? "  \u2192 " : "  -> ");
		if (writes.len)
			tui_doc_printf(d, R_DIM, "writes %s", buf_str(&writes));
		tui_doc_nl(d);
	}
	buf_free(&reads);
	buf_free(&writes);
	steps_table_uses_free(&uses);
}

static void step_line(struct tui_doc *d, const struct tui_data *data,
		      const struct project_flow *f, const int *layer, size_t i,
		      bool last, const struct vec *recs)
{
	const struct project_step *s = &f->steps[i];
	bool utf8 = theme_utf8();
	tui_doc_put(d, R_DIM, last ? (utf8 ? "  \u2514\u2500 " : "  `- ")
				   : (utf8 ? "  \u251c\u2500 " : "  |- "));
	tui_doc_cell(d, R_NORMAL, NAME_W, false, s->name);
	tui_doc_put(d, R_NORMAL, " ");
	tui_doc_cell(d, R_DIM, 9, false, s->kind < STEP_KIND_COUNT ? step_kind_name(s->kind)
							       : "?");
	tui_doc_put(d, R_NORMAL, " ");
	const struct store_step *rec = step_record(recs, s->name);
	if (rec) {
		char rows[32], took[32];
		tui_fmt_count(rec->rows_out, rows, sizeof rows);
		tui_fmt_took(data->now, rec->started, rec->ended, took, sizeof took);
		tui_doc_state(d, step_state_name(rec->state), 10);
		tui_doc_cell(d, R_NORMAL, 9, true, rows);
		tui_doc_cell(d, R_NORMAL, 8, true, took);
	} else {
		tui_doc_cell(d, R_DIM, 10, false, "-");
	}
	tui_doc_nl(d);
	const char *indent = last ? "       " : (utf8 ? "  \u2502    " : "  |    ");
	if (s->nneeds && !needs_whole_layer(f, layer, i)) {
		tui_doc_printf(d, R_NORMAL, "%s", indent);
		tui_doc_put(d, R_DIM, "needs ");
		for (size_t k = 0; k < s->nneeds; k++)
			tui_doc_printf(d, R_DIM, "%s%s", k ? ", " : "", s->needs[k]);
		tui_doc_nl(d);
	}
	tables_line(d, data->project, s, indent);
}

static void graph_heading(struct tui_doc *d, const struct tui_data *data,
			  const struct project_flow *f, int nlayers,
			  const struct store_run *run)
{
	tui_doc_printf(d, R_TITLE, "Flow %s", f->name);
	tui_doc_printf(d, R_NORMAL, "  %zu step%s in %d layer%s", f->nsteps,
		       f->nsteps == 1 ? "" : "s", nlayers, nlayers == 1 ? "" : "s");
	tui_doc_nl(d);
	if (!run) {
		tui_doc_put(d, R_DIM, "no run yet: the states, rows and times of the "
			    "newest run show here");
		tui_doc_nl(d);
		return;
	}
	char took[32];
	tui_fmt_took(data->now, run->started, run->ended, took, sizeof took);
	tui_doc_printf(d, R_NORMAL, "newest run %lld  ", (long long)run->id);
	tui_doc_state(d, run_state_name(run->state), 0);
	tui_doc_printf(d, R_NORMAL, "  took %s", took);
	tui_doc_nl(d);
}

static void graph_refresh(struct tui_view *v, const struct tui_data *data)
{
	struct graph_page *gp = v->state;
	struct tui_doc d;
	tui_doc_begin(&d, &gp->pager);
	const struct project_flow *f = data->project ? project_flow(data->project, gp->flow)
						     : NULL;
	if (!f) {
		tui_doc_put(&d, R_ERROR, data->project ? "the project has no such flow"
						       : "no project is loaded");
		tui_doc_end(&d);
		return;
	}
	struct store_run_filter rf = { .flow = f->name, .limit = 1 };
	struct vec runs = VEC_INIT, recs = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (data->store && store_run_list(data->store, &rf, &runs, &e) == 0 && runs.len)
		store_step_list(data->store, ((struct store_run *)runs.items[0])->id, &recs, &e);
	int *layer = xcalloc(f->nsteps ? f->nsteps : 1, sizeof *layer);
	layers_of(f, layer);
	int nlayers = 0;
	for (size_t i = 0; i < f->nsteps; i++)
		nlayers = layer[i] + 1 > nlayers ? layer[i] + 1 : nlayers;
	graph_heading(&d, data, f, nlayers, runs.len ? runs.items[0] : NULL);
	gp->newest[0] = '\0';
	if (runs.len)
		snprintf(gp->newest, sizeof gp->newest, "%lld",
			 (long long)((struct store_run *)runs.items[0])->id);
	for (int l = 0; l < nlayers; l++) {
		char title[32];
		snprintf(title, sizeof title, "LAYER %d", l + 1);
		tui_doc_heading(&d, title);
		size_t lastk = 0;
		for (size_t i = 0; i < f->nsteps; i++)
			if (layer[i] == l)
				lastk = i;
		for (size_t i = 0; i < f->nsteps; i++)
			if (layer[i] == l)
				step_line(&d, data, f, layer, i, i == lastk, &recs);
	}
	if (e.code != ERR_OK) {
		tui_doc_nl(&d);
		tui_doc_put(&d, R_ERROR, err_text(&e));
	}
	tui_doc_end(&d);
	free(layer);
	store_step_list_free(&recs);
	store_run_list_free(&runs);
}

static void graph_open(struct tui_view *v)
{
	struct graph_page *gp = xcalloc(1, sizeof *gp);
	tui_pager_init(&gp->pager);
	v->state = gp;
}

static void graph_close(struct tui_view *v)
{
	struct graph_page *gp = v->state;
	tui_pager_free(&gp->pager);
	free(gp->flow);
	free(gp);
	v->state = NULL;
}

static const char *graph_selected(struct tui_view *v)
{
	struct graph_page *gp = v->state;
	return gp->newest;
}

static const struct tui_action graph_actions[] = {
	{ .keys = { 'd' }, .label = "d", .name = "definition",
	  .help = "the SQL (or spec) the steps of the flow's newest run used, and the change since",
	  .run = tui_act_definition },
};

static const struct tui_view_ops view_graph_ops = {
	.name = "graph",
	.title = "Graph",
	.summary = "a flow's steps by their needs, with state, rows, times and tables",
	.areas = STORE_AREA_BIT(STORE_AREA_RUNS),
	.actions = graph_actions,
	.nactions = ARRAY_LEN(graph_actions),
	.selected = graph_selected,
	.open = graph_open,
	.refresh = graph_refresh,
	.draw = tui_page_draw,
	.handle_key = tui_page_key,
	.filter = tui_page_filter,
	.where = tui_page_where,
	.close = graph_close,
};

int tui_open_flow_graph(struct tui *t, const char *flow)
{
	struct tui_view *v = tui_view_new(t, &view_graph_ops, "Graph of %s", flow);
	struct graph_page *gp = v->state;
	gp->flow = xstrdup(flow);
	return tui_push_view(t, v);
}
