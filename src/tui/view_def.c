/*
 * view_def.c - a step's definition from a run: the SQL file it ran (or
 * its spec as JSON) as the engine recorded it when the run started, and,
 * when the file on disk has changed since, the line difference ('-' what
 * the run used, '+' what is there now).  Failed SQL is the most common
 * incident: this is where the operator sees what actually ran.
 *
 * Opened with d from a run (its failed step, else its first); [ and ]
 * move through the flow's steps; e opens the SQL file in $EDITOR, in
 * operator mode only, with the console suspended meanwhile.
 */
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"
#include "tui/theme.h"
#include "tui/widget_pager.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct def_page {
	struct tui_pager pager;     /* first: the page operations use it */
	int64_t run_id;
	char key[24];
	struct vec steps;           /* char *: the flow's steps, in order */
	size_t at;
	char *path;                 /* the SQL file shown, for e; NULL: a spec */
};

#define LW 6

static void text_lines(struct tui_doc *d, const char *text, bool marked)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xasprintf("%.*s", (int)len, p);
		enum tui_role r = !marked ? R_NORMAL
			: line[0] == '-' ? R_STATE_FAILED
			: line[0] == '+' ? R_STATE_OK : R_NORMAL;
		tui_doc_put(d, r, line);
		tui_doc_nl(d);
		free(line);
		p += len + (nl != NULL);
	}
}

static void def_doc(struct tui_doc *d, const struct steps_def_view *dv)
{
	char buf[160];
	tui_doc_printf(d, R_TITLE, "Step %s  ", dv->step);
	tui_doc_printf(d, R_NORMAL, "run %lld  flow %s", (long long)dv->run_id, dv->flow);
	tui_doc_nl(d);
	tui_doc_field(d, LW, "file", dv->file ? dv->file : "- (its spec in the project file)");
	if (dv->recorded)
		snprintf(buf, sizeof buf, "sha256 %.12s, when the run started", dv->used.hash);
	else
		snprintf(buf, sizeof buf, "not recorded (the run is older than that)");
	tui_doc_field(d, LW, "used", buf);
	if (!dv->now)
		snprintf(buf, sizeof buf, "%s", err_text(&dv->now_err));
	else if (!dv->diff)
		snprintf(buf, sizeof buf, "sha256 %.12s", dv->now_hash);
	else if (dv->changes)
		snprintf(buf, sizeof buf, "sha256 %.12s, differs by %d line%s", dv->now_hash,
			 dv->changes, dv->changes == 1 ? "" : "s");
	else
		snprintf(buf, sizeof buf, "sha256 %.12s, the same", dv->now_hash);
	tui_doc_field(d, LW, "now", buf);
	if (dv->diff && dv->changes) {
		tui_doc_heading(d, "CHANGED SINCE THE RUN (- the run's, + on disk now)");
		text_lines(d, dv->diff, true);
	} else {
		tui_doc_heading(d, dv->recorded ? "DEFINITION THE RUN USED" : "DEFINITION ON DISK");
		text_lines(d, dv->recorded ? dv->used.text : dv->now ? dv->now : "", false);
	}
}

static void def_refresh(struct tui_view *v, const struct tui_data *data)
{
	struct def_page *dp = v->state;
	struct tui_doc d;
	tui_doc_begin(&d, &dp->pager);
	if (tui_doc_no_store(&d, data))
		return;
	struct steps_def_view dv;
	struct err e;
	err_clear(&e);
	const char *step = dp->steps.len ? dp->steps.items[dp->at] : "";
	if (steps_def_view_load(data->project, data->store, dp->run_id, step, &dv, &e) < 0) {
		tui_doc_error(&d, &e, "Step %s of run %lld", step, (long long)dp->run_id);
		return;
	}
	free(dp->path);
	dp->path = dv.path ? xstrdup(dv.path) : NULL;
	def_doc(&d, &dv);
	tui_doc_end(&d);
	steps_def_view_free(&dv);
}

/* The run's steps in the flow's order (the project's; else those the run
 * recorded), and the one to show first: its failed step, else the first. */
static void load_steps(struct def_page *dp, const struct tui_data *data)
{
	struct store_run *r = data->store ? store_run_get(data->store, dp->run_id, NULL) : NULL;
	const struct project_flow *f = r && data->project ? project_flow(data->project, r->flow)
							  : NULL;
	struct vec recs = VEC_INIT;
	if (data->store)
		store_step_list(data->store, dp->run_id, &recs, NULL);
	for (size_t i = 0; f && i < f->nsteps; i++)
		vec_push(&dp->steps, xstrdup(f->steps[i].name));
	for (size_t i = 0; !f && i < recs.len; i++)
		vec_push(&dp->steps, xstrdup(((struct store_step *)recs.items[i])->step));
	for (size_t i = 0; i < recs.len; i++) {
		const struct store_step *st = recs.items[i];
		if (st->state != STEP_FAILED)
			continue;
		for (size_t k = 0; k < dp->steps.len; k++)
			if (str_eq(dp->steps.items[k], st->step))
				dp->at = k;
		break;
	}
	store_step_list_free(&recs);
	store_run_free(r);
}

static int act_move(struct tui *t, const struct tui_action *a, int key)
{
	(void)a;
	struct tui_view *v = tui_top(t);
	struct def_page *dp = v->state;
	if (key == '[' && dp->at > 0)
		dp->at--;
	else if (key == ']' && dp->at + 1 < dp->steps.len)
		dp->at++;
	else
		return tui_message(t, false, "no %s step", key == '[' ? "earlier" : "later");
	struct tui_data data = tui_data_now(t);
	def_refresh(v, &data);
	return RD_BODY | RD_STATUS;
}

/* $EDITOR (else vi) on the file, the console's terminal given back to it
 * meanwhile; the page is read again afterwards, so the diff shows the edit. */
static int act_edit(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	struct def_page *dp = v->state;
	if (!dp->path)
		return tui_message(t, true, "this step has no SQL file: its spec is in the "
				   "project file");
	def_prog_mode();
	endwin();
	/* as system() does: ^C and ^\ are the editor's while it runs */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execlp("sh", "sh", "-c", "exec ${EDITOR:-vi} \"$1\"", "sh", dp->path, (char *)NULL);
		_exit(127);
	}
	int status = -1;            /* not exited, unless waitpid says so */
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	reset_prog_mode();
	refresh();
	struct tui_data data = tui_data_now(t);
	def_refresh(v, &data);
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		tui_message(t, true, "the editor did not finish cleanly ($EDITOR on %s)", dp->path);
	return RD_ALL | RD_CLEAR;
}

static const struct tui_action def_actions[] = {
	{ .keys = { '[', ']' }, .label = "[ ]", .name = "step",
	  .help = "the definition of the flow's step before or after this one",
	  .run = act_move },
	{ .keys = { 'e' }, .label = "e", .name = "edit",
	  .help = "open the step's SQL file in $EDITOR (operator mode only)",
	  .mutates = true, .run = act_edit },
};

static void def_open(struct tui_view *v)
{
	struct def_page *dp = xcalloc(1, sizeof *dp);
	tui_pager_init(&dp->pager);
	v->state = dp;
}

static const char *def_selected(struct tui_view *v)
{
	struct def_page *dp = v->state;
	return dp->key;
}

static void def_close(struct tui_view *v)
{
	struct def_page *dp = v->state;
	tui_pager_free(&dp->pager);
	vec_free_all(&dp->steps, free);
	free(dp->path);
	free(dp);
	v->state = NULL;
}

static const struct tui_view_ops view_def_ops = {
	.name = "definition",
	.title = "Definition",
	.summary = "a step's SQL file or spec as its run used it, and the change since",
	.areas = STORE_AREA_BIT(STORE_AREA_RUNS),
	.actions = def_actions,
	.nactions = ARRAY_LEN(def_actions),
	.open = def_open,
	.refresh = def_refresh,
	.draw = tui_page_draw,
	.handle_key = tui_page_key,
	.filter = tui_page_filter,
	.selected = def_selected,
	.where = tui_page_where,
	.close = def_close,
};

int tui_act_definition(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *top = tui_top(t);
	const char *sel = top->ops->selected ? top->ops->selected(top) : NULL;
	if (!sel || !*sel)
		return tui_message(t, true, "definition: no run to show");
	int64_t id = strtoll(sel, NULL, 10);
	struct tui_view *v = tui_view_new(t, &view_def_ops, "Definition, run %lld",
					  (long long)id);
	struct def_page *dp = v->state;
	dp->run_id = id;
	snprintf(dp->key, sizeof dp->key, "%lld", (long long)id);
	struct tui_data data = tui_data_now(t);
	load_steps(dp, &data);
	return tui_push_view(t, v);
}
