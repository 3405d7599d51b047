/*
 * view_backfill.c - one backfill: where it stands in the procedure (plan,
 * suspend, rebuild, validate, compare, approve, resume), the rebuild's
 * progress, the validation's checks (failures with sample rows), the
 * plan, the comparison's summary, the error of a failed
 * step and the history of who moved it; C opens the comparison in full:
 * per table the row counts and the difference score, the changed count
 * per column, and sample rows side by side with the changed cells marked.
 *
 * The backfill's record is the store's (store_backfill_get/history); the
 * progress and the comparison come from `backfill status FLOW --json`
 * while a backfill is active (the command that knows the running step),
 * falling back to the comparison kept in the store.  The JSON is read
 * tolerantly: a missing key shows as "-", never as a wrong number.
 */
#include "store/store.h"
#include "tui/theme.h"
#include "tui/widget_pager.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char *const procedure[] = {
	"plan", "suspend", "rebuild", "validate", "compare", "approve", "resume",
};

struct bf_page {
	struct tui_pager pager;     /* first: the page operations use it */
	int64_t id;
	char *flow;
	bool compare;               /* the comparison page */
	size_t cursor;              /* in the partition grid */
	size_t npartitions;
	int64_t cursor_run;         /* the run of the partition under it; 0 */
};

/* ---- reading the JSON ---------------------------------------------------- */

static const cJSON *jfind(const cJSON *o, const char *const *names)
{
	for (size_t i = 0; o && names[i]; i++) {
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, names[i]);
		if (it)
			return it;
	}
	return NULL;
}

#define J(o, ...) jfind((o), (const char *const[]){ __VA_ARGS__, NULL })

static bool jnum(const cJSON *it, double *out)
{
	if (cJSON_IsNumber(it)) {
		*out = it->valuedouble;
		return true;
	}
	if (cJSON_IsString(it))
		return str_to_double(it->valuestring, out);
	return false;
}

static void jcount(const cJSON *it, char *out, size_t n)
{
	double v;
	if (jnum(it, &v))
		tui_fmt_count((int64_t)v, out, n);
	else
		snprintf(out, n, "-");
}

static const char *jstr(const cJSON *it)
{
	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* The comparison's tables: {"tables": [...]}, a bare array, or one table. */
static const cJSON *compare_tables(const cJSON *cmp, bool *single)
{
	*single = false;
	if (cJSON_IsArray(cmp))
		return cmp;
	if (!cJSON_IsObject(cmp))
		return NULL;            /* none yet (absent or null) */
	const cJSON *t = J(cmp, "tables");
	if (cJSON_IsArray(t))
		return t;
	*single = true;
	return cmp;
}

void tui_backfill_summary(const char *compare_json, char *out, size_t n)
{
	out[0] = '\0';
	cJSON *cmp = compare_json ? cJSON_Parse(compare_json) : NULL;
	bool single;
	const cJSON *tables = compare_tables(cmp, &single);
	if (!tables) {
		cJSON_Delete(cmp);
		return;
	}
	double changed = 0, added = 0, gone = 0, v;
	int ntables = 0;
	const cJSON *t = single ? tables : tables->child;
	for (; t; t = single ? NULL : t->next) {
		ntables++;
		if (jnum(J(t, "changed", "rows_changed"), &v))
			changed += v;
		if (jnum(J(t, "only_backfill", "only_in_backfill", "added"), &v))
			added += v;
		if (jnum(J(t, "only_current", "only_in_current", "removed"), &v))
			gone += v;
	}
	char c[32], a[32], g[32];
	tui_fmt_count((int64_t)changed, c, sizeof c);
	tui_fmt_count((int64_t)added, a, sizeof a);
	tui_fmt_count((int64_t)gone, g, sizeof g);
	snprintf(out, n, "%d table%s: %s changed, %s new, %s gone", ntables,
		 ntables == 1 ? "" : "s", c, a, g);
	cJSON_Delete(cmp);
}

/* ---- the page ---------------------------------------------------------------- */

static void progress_bar(struct tui_doc *d, double done, double total)
{
	int width = 30;
	double frac = total > 0 ? done / total : 0;
	if (frac > 1)
		frac = 1;
	int filled = (int)(frac * width + 0.5);
	tui_doc_put(d, R_NORMAL, "[");
	for (int i = 0; i < width; i++)
		tui_doc_put(d, i < filled ? R_STATE_RUNNING : R_DIM,
			    i < filled ? "#" : (theme_utf8() ? "\u00b7" : "."));
	char a[32], b[32];
	tui_fmt_count((int64_t)done, a, sizeof a);
	tui_fmt_count((int64_t)total, b, sizeof b);
	tui_doc_printf(d, R_NORMAL, "] %3d%%  %s of %s", (int)(frac * 100), a, b);
}

static void procedure_line(struct tui_doc *d, const struct store_backfill *b)
{
	/* a discarded backfill took "discard" where approval would be */
	bool discarded = b->state == BACKFILL_DISCARDED || str_eq(b->step, "discard");
	size_t at = ARRAY_LEN(procedure);
	for (size_t i = 0; i < ARRAY_LEN(procedure); i++)
		if (str_eq(procedure[i], b->step) || (i == 5 && str_eq(b->step, "discard")))
			at = i;
	bool finished = b->state == BACKFILL_COMPLETED || b->state == BACKFILL_DISCARDED;
	tui_doc_put(d, R_NORMAL, "  ");
	for (size_t i = 0; i < ARRAY_LEN(procedure); i++) {
		const char *mark;
		enum tui_role role;
		if (finished || i < at) {
			mark = theme_utf8() ? "\u2713 " : "[x] ";
			role = R_STATE_OK;
		} else if (i == at) {
			mark = theme_utf8() ? "\u25b6 " : "[>] ";
			role = theme_state_role(backfill_state_name(b->state));
		} else {
			mark = theme_utf8() ? "\u00b7 " : "[ ] ";
			role = R_DIM;
		}
		tui_doc_put(d, role, mark);
		tui_doc_put(d, i == at ? R_TITLE : role,
			    i == 5 && discarded ? "discard" : procedure[i]);
		tui_doc_put(d, R_NORMAL, "  ");
	}
	tui_doc_nl(d);
}

/* A table's or a column's name in a cell, cut in its middle: two names
 * that differ at their end (address_line_1, address_line_2) must not be
 * cut to the same text. */
static void name_cell(struct tui_doc *d, enum tui_role r, int width, const char *name)
{
	const char *s = name ? name : "?";
	char *fit = tui_text_fit(s, width, TUI_CUT_MIDDLE);
	tui_doc_cell(d, r, width, false, fit);
	if (fit != s)
		free(fit);
}

static void compare_summary_table(struct tui_doc *d, const cJSON *cmp)
{
	bool single;
	const cJSON *tables = compare_tables(cmp, &single);
	if (!tables)
		return;
	static const char *const head[] = { "TABLE", "CURRENT", "BACKFILL", "ONLY CUR",
					    "ONLY NEW", "CHANGED", "SAME", "SCORE" };
	static const int width[] = { 20, 9, 9, 9, 9, 9, 9, 7 };
	tui_doc_put(d, R_NORMAL, "  ");
	for (size_t i = 0; i < ARRAY_LEN(head); i++) {
		tui_doc_cell(d, R_COLHEAD, width[i], i > 0, head[i]);
		tui_doc_put(d, R_NORMAL, " ");
	}
	tui_doc_nl(d);
	const cJSON *t = single ? tables : tables->child;
	for (; t; t = single ? NULL : t->next) {
		char c[8][32];
		c[0][0] = '\0';          /* the name: name_cell */
		jcount(J(t, "rows_current", "current"), c[1], 32);
		jcount(J(t, "rows_backfill", "backfill"), c[2], 32);
		jcount(J(t, "only_current", "only_in_current", "removed"), c[3], 32);
		jcount(J(t, "only_backfill", "only_in_backfill", "added"), c[4], 32);
		jcount(J(t, "changed", "rows_changed"), c[5], 32);
		jcount(J(t, "unchanged", "same"), c[6], 32);
		double score;
		if (jnum(J(t, "score", "difference_score"), &score))
			snprintf(c[7], 32, "%.3f", score);
		else
			snprintf(c[7], 32, "-");
		tui_doc_put(d, R_NORMAL, "  ");
		name_cell(d, R_NORMAL, width[0], jstr(J(t, "table", "name")));
		tui_doc_put(d, R_NORMAL, " ");
		for (size_t i = 1; i < 8; i++) {
			tui_doc_cell(d, i == 5 && strcmp(c[5], "0") && strcmp(c[5], "-")
				     ? R_STATE_WARN : R_NORMAL, width[i], true, c[i]);
			tui_doc_put(d, R_NORMAL, " ");
		}
		tui_doc_nl(d);
	}
}

static char *value_text(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return xstrdup("NULL");
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	return cJSON_PrintUnformatted(v);
}

/* One table of the comparison in full. */
static void compare_table(struct tui_doc *d, const cJSON *t)
{
	const char *name = jstr(J(t, "table", "name"));
	char head[256];
	const cJSON *key = J(t, "key");
	struct buf keys = BUF_INIT;
	for (const cJSON *k = cJSON_IsArray(key) ? key->child : NULL; k; k = k->next)
		buf_printf(&keys, "%s%s", keys.len ? ", " : "", jstr(k) ? jstr(k) : "?");
	snprintf(head, sizeof head, "%s%s%s%s", name ? name : "?", keys.len ? " (key " : "",
		 buf_str(&keys), keys.len ? ")" : "");
	buf_free(&keys);
	tui_doc_heading(d, head);
	compare_summary_table(d, t);
	const cJSON *cols = J(t, "columns", "changed_columns");
	if (cJSON_IsArray(cols) && cols->child) {
		tui_doc_nl(d);
		tui_doc_put(d, R_NORMAL, "  ");
		tui_doc_cell(d, R_COLHEAD, 24, false, "COLUMN");
		tui_doc_put(d, R_NORMAL, " ");
		tui_doc_cell(d, R_COLHEAD, 9, true, "CHANGED");
		tui_doc_nl(d);
		for (const cJSON *c = cols->child; c; c = c->next) {
			char n[32];
			jcount(J(c, "changed", "count"), n, sizeof n);
			tui_doc_put(d, R_NORMAL, "  ");
			name_cell(d, R_NORMAL, 24, jstr(J(c, "column", "name")));
			tui_doc_put(d, R_NORMAL, " ");
			tui_doc_cell(d, strcmp(n, "0") ? R_STATE_WARN : R_NORMAL, 9, true, n);
			tui_doc_nl(d);
		}
	}
	const cJSON *samples = J(t, "samples");
	bool any = false;
	if (cJSON_IsObject(samples))
		for (const cJSON *kind = samples->child; kind; kind = kind->next)
			any = any || (cJSON_IsArray(kind) && kind->child);
	else
		any = cJSON_IsArray(samples) && samples->child;
	if (!any)
		return;
	tui_doc_nl(d);
	tui_doc_put(d, R_DIM, "  samples, side by side; a changed cell is marked * and highlighted");
	tui_doc_nl(d);
	tui_doc_put(d, R_NORMAL, "  ");
	tui_doc_cell(d, R_COLHEAD, 12, false, "KIND");
	tui_doc_put(d, R_NORMAL, " ");
	tui_doc_cell(d, R_COLHEAD, 18, false, "COLUMN");
	tui_doc_put(d, R_NORMAL, " ");
	tui_doc_cell(d, R_COLHEAD, 32, false, "CURRENT");
	tui_doc_put(d, R_NORMAL, " ");
	tui_doc_cell(d, R_COLHEAD, 32, false, "BACKFILL");
	tui_doc_nl(d);
	/* {"changed": [...], "only_current": [...], ...} or [{"kind": ...}] */
	const cJSON *group = cJSON_IsObject(samples) ? samples->child : samples;
	for (; group; group = cJSON_IsObject(samples) ? group->next : NULL)
	for (const cJSON *s = group->child; s; s = s->next) {
		const cJSON *cur = J(s, "current"), *bf = J(s, "backfill");
		const cJSON *changed_cols = J(s, "changed");
		const char *kind = cJSON_IsObject(samples) ? group->string
				   : jstr(J(s, "kind", "type"));
		char *k = value_text(J(s, "key"));
		tui_doc_printf(d, R_TITLE, "  %s %s", kind ? kind : "row", k);
		free(k);
		tui_doc_nl(d);
		/* every column either side has */
		const cJSON *cols_of = cJSON_IsObject(cur) ? cur : bf;
		for (const cJSON *c = cols_of ? cols_of->child : NULL; c; c = c->next) {
			const cJSON *a = cJSON_IsObject(cur) ? J(cur, c->string) : NULL;
			const cJSON *b = cJSON_IsObject(bf) ? J(bf, c->string) : NULL;
			char *ta = cJSON_IsObject(cur) ? value_text(a) : xstrdup("(none)");
			char *tb = cJSON_IsObject(bf) ? value_text(b) : xstrdup("(none)");
			bool changed = cJSON_IsObject(cur) && cJSON_IsObject(bf) && !str_eq(ta, tb);
			for (const cJSON *cc = cJSON_IsArray(changed_cols) ? changed_cols->child
									    : NULL; cc; cc = cc->next)
				if (str_eq(jstr(cc), c->string))
					changed = true;
			tui_doc_put(d, R_NORMAL, "  ");
			tui_doc_cell(d, R_NORMAL, 12, false, changed ? "*" : "");
			tui_doc_put(d, R_NORMAL, " ");
			name_cell(d, R_DIM, 18, c->string);
			tui_doc_put(d, R_NORMAL, " ");
			tui_doc_cell(d, changed ? R_MATCH : R_NORMAL, 32, false, ta);
			tui_doc_put(d, R_NORMAL, " ");
			tui_doc_cell(d, changed ? R_MATCH : R_NORMAL, 32, false, tb);
			tui_doc_nl(d);
			free(ta);
			free(tb);
		}
	}
}

static cJSON *status_json(struct tui_view *v, const struct store_backfill *b)
{
	if (!backfill_state_is_active(b->state))
		return NULL;
	struct buf line = BUF_INIT;
	buf_puts(&line, "backfill status ");
	tui_quote_word(&line, b->flow);
	buf_puts(&line, " --json");
	struct err e;
	err_clear(&e);
	cJSON *j = tui_fetch_json(v->tui, buf_str(&line), &e);
	buf_free(&line);
	double id;
	if (j && jnum(J(j, "id"), &id) && (int64_t)id != b->id) {
		cJSON_Delete(j);      /* about another backfill of the flow */
		return NULL;
	}
	return j;
}

/* What the plan says will happen: tables rebuilt, rows read, tasks
 * suspended, and any problem; JSON as it is for anything else. */
static void plan_summary(struct tui_doc *d, const cJSON *plan)
{
	tui_doc_heading(d, "PLAN");
	const cJSON *targets = J(plan, "targets");
	const cJSON *tables = J(plan, "tables");
	if (!cJSON_IsArray(targets) && !cJSON_IsArray(tables)) {
		char *pretty = cJSON_Print(plan);
		tui_doc_put(d, R_NORMAL, pretty);
		tui_doc_nl(d);
		free(pretty);
		return;
	}
	const cJSON *list = cJSON_IsArray(targets) ? targets : tables;
	for (const cJSON *t = list->child; t; t = t->next) {
		const char *name = jstr(t) ? jstr(t) : jstr(J(t, "table"));
		char rows[32] = "";
		double r;
		if (jnum(J(t, "rows"), &r))
			tui_fmt_count((int64_t)r, rows, sizeof rows);
		tui_doc_printf(d, R_NORMAL, "  rebuild %s%s%s%s", name ? name : "?",
			       jstr(J(t, "backfill_table")) ? " as " : "",
			       jstr(J(t, "backfill_table")) ? jstr(J(t, "backfill_table")) : "",
			       "");
		if (*rows)
			tui_doc_printf(d, R_DIM, "  (%s rows now)", rows);
		tui_doc_nl(d);
	}
	double planned;
	if (jnum(J(plan, "rows_planned", "rows_to_read"), &planned)) {
		char n[32];
		tui_fmt_count((int64_t)planned, n, sizeof n);
		tui_doc_printf(d, R_NORMAL, "  rows to read: %s", n);
		tui_doc_nl(d);
	}
	const cJSON *tasks = J(plan, "tasks", "suspend");
	for (const cJSON *t = cJSON_IsArray(tasks) ? tasks->child : NULL; t; t = t->next) {
		const char *name = jstr(t) ? jstr(t) : jstr(J(t, "task"));
		if (cJSON_IsFalse(J(t, "suspend")))
			continue;
		tui_doc_printf(d, R_NORMAL, "  suspend task %s", name ? name : "?");
		tui_doc_nl(d);
	}
	const cJSON *problems = J(plan, "problems");
	for (const cJSON *p = cJSON_IsArray(problems) ? problems->child : NULL; p; p = p->next) {
		tui_doc_put(d, R_STATE_FAILED, "  problem: ");
		tui_doc_put(d, R_NORMAL, jstr(p) ? jstr(p) : "?");
		tui_doc_nl(d);
	}
	const cJSON *warnings = J(plan, "warnings");
	for (const cJSON *w = cJSON_IsArray(warnings) ? warnings->child : NULL; w; w = w->next) {
		tui_doc_put(d, R_STATE_WARN, "  warning: ");
		tui_doc_put(d, R_NORMAL, jstr(w) ? jstr(w) : "?");
		tui_doc_nl(d);
	}
}

/* ---- the partition grid ------------------------------------------------------- */

/* One letter a partition state, as Dagster's partition bar colours them. */
static char partition_letter(const char *shown)
{
	static const struct { const char *state; char letter; } letters[] = {
		{ "COMPLETED", 'C' }, { "CACHED", 'C' }, { "FAILED", 'F' }, { "CRASHED", 'X' },
		{ "CANCELLED", 'K' }, { "CANCELLING", 'K' }, { "RUNNING", 'R' },
		{ "RETRYING", 'R' }, { "PENDING", 'P' }, { "SCHEDULED", 'P' }, { "LATE", 'P' },
		{ "SKIPPED", '-' },
	};
	for (size_t i = 0; i < ARRAY_LEN(letters); i++)
		if (str_eq(shown, letters[i].state))
			return letters[i].letter;
	return '.';                  /* queued: no run yet */
}

static const char *partition_shown(const cJSON *p)
{
	const char *shown = jstr(J(p, "shown", "state"));
	if (shown)
		return shown;
	return str_eq(jstr(J(p, "action")), "skip") ? "SKIPPED" : "QUEUED";
}

static enum tui_role partition_role(const char *shown)
{
	if (str_eq(shown, "SKIPPED") || str_eq(shown, "QUEUED"))
		return R_DIM;
	return theme_state_role(shown);
}

/* The counts by state, in the order of the legend. */
static void partition_counts(struct tui_doc *d, const cJSON *list)
{
	static const char *const order[] = { "COMPLETED", "FAILED", "CRASHED", "CANCELLED",
		"RUNNING", "PENDING", "QUEUED", "SKIPPED" };
	int counts[ARRAY_LEN(order)] = { 0 };
	for (const cJSON *p = list->child; p; p = p->next) {
		char letter = partition_letter(partition_shown(p));
		for (size_t i = 0; i < ARRAY_LEN(order); i++)
			if (partition_letter(order[i]) == letter)
				counts[i]++;
	}
	for (size_t i = 0; i < ARRAY_LEN(order); i++) {
		if (!counts[i])
			continue;
		char cell[2] = { partition_letter(order[i]), '\0' };
		tui_doc_put(d, R_NORMAL, "  ");
		tui_doc_put(d, partition_role(order[i]), cell);
		char *word = xstrdup(order[i]);
		for (char *c = word; *c; c++)
			*c = (char)(*c - 'A' + 'a');
		tui_doc_printf(d, R_NORMAL, " %s %d", word, counts[i]);
		free(word);
	}
	tui_doc_nl(d);
}

/* What a completed partition's run wrote, and what its loads' replacement
 * of the partition deleted first, when it deleted any. */
static void partition_rows(struct tui_doc *d, const cJSON *p, const char *shown)
{
	double out, deleted;
	if (partition_letter(shown) != 'C' || !jnum(J(p, "rows_out"), &out))
		return;
	char w[32], x[32];
	tui_fmt_count((int64_t)out, w, sizeof w);
	tui_doc_printf(d, R_NORMAL, "  %s written", w);
	if (jnum(J(p, "rows_deleted"), &deleted) && deleted > 0) {
		tui_fmt_count((int64_t)deleted, x, sizeof x);
		tui_doc_printf(d, R_NORMAL, ", %s deleted first", x);
	}
}

/* The grid: a row of cells per line, each row led by its first key; the
 * cell under the cursor is shown selected, and said in full below. */
static void partition_grid(struct bf_page *bp, struct tui_doc *d, const cJSON *parts,
			   const cJSON *list)
{
	size_t n = (size_t)cJSON_GetArraySize(list);
	bp->npartitions = n;
	bp->cursor_run = 0;
	if (n == 0)
		return;
	if (bp->cursor >= n)
		bp->cursor = n - 1;
	char head[160];
	snprintf(head, sizeof head, "PARTITIONS %s to %s by %s (%s)",
		 jstr(J(parts, "from")) ? jstr(J(parts, "from")) : "?",
		 jstr(J(parts, "to")) ? jstr(J(parts, "to")) : "?",
		 jstr(J(parts, "grain")) ? jstr(J(parts, "grain")) : "?",
		 jstr(J(parts, "control")) ? jstr(J(parts, "control")) : "[ ] move, o opens");
	tui_doc_heading(d, head);
	const size_t per_row = 50;
	size_t i = 0;
	const cJSON *cur = NULL;
	for (const cJSON *p = list->child; p; p = p->next, i++) {
		if (i % per_row == 0) {
			if (i)
				tui_doc_nl(d);
			tui_doc_printf(d, R_DIM, "  %-13s ", jstr(J(p, "key")) ? jstr(J(p, "key"))
				       : "?");
		}
		const char *shown = partition_shown(p);
		char cell[2] = { partition_letter(shown), '\0' };
		tui_doc_put(d, i == bp->cursor ? R_SELECTED : partition_role(shown), cell);
		if (i == bp->cursor)
			cur = p;
	}
	tui_doc_nl(d);
	partition_counts(d, list);
	double run;
	bp->cursor_run = jnum(J(cur, "run_id"), &run) ? (int64_t)run : 0;
	const char *shown = partition_shown(cur);
	tui_doc_printf(d, R_TITLE, "  %s ", jstr(J(cur, "key")) ? jstr(J(cur, "key")) : "?");
	tui_doc_state(d, shown, 0);
	if (bp->cursor_run) {
		tui_doc_printf(d, R_NORMAL, "  run %lld", (long long)bp->cursor_run);
		partition_rows(d, cur, shown);
	} else if (jstr(J(cur, "why")))
		tui_doc_printf(d, R_DIM, "  %s", jstr(J(cur, "why")));
	if (jstr(J(cur, "error")))
		tui_doc_printf(d, R_STATE_FAILED, "  %s", jstr(J(cur, "error")));
	tui_doc_nl(d);
}

/* The grid from the live status, or else from the record. */
static void partitions(struct bf_page *bp, struct tui_doc *d, const cJSON *status,
		       const cJSON *record)
{
	const cJSON *parts = J(status, "partitions");
	const cJSON *list = J(parts, "list");
	if (!cJSON_IsArray(list)) {
		parts = J(J(record, "plan"), "partitions");
		list = J(record, "partitions");
		if (!cJSON_IsArray(list))
			list = J(parts, "list");
	}
	if (cJSON_IsObject(parts) && cJSON_IsArray(list))
		partition_grid(bp, d, parts, list);
}

static int act_partition(struct tui *t, const struct tui_action *a, int key)
{
	(void)a;
	struct tui_view *v = tui_top(t);
	struct bf_page *bp = v->state;
	if (bp->npartitions == 0)
		return tui_message(t, true, "this backfill has no partitions");
	if (key == '[' && bp->cursor > 0)
		bp->cursor--;
	else if (key == ']' && bp->cursor + 1 < bp->npartitions)
		bp->cursor++;
	tui_refresh_view(t, v);
	return RD_BODY;
}

static int act_open_run(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct bf_page *bp = tui_top(t)->state;
	if (!bp->cursor_run)
		return tui_message(t, true, bp->npartitions ? "no run for this partition"
				   : "this backfill has no partitions");
	return tui_open_run(t, bp->cursor_run);
}

/* Up to three of a failed check's sample rows ("col=value, ..." a line),
 * each on one line of its own: enough to recognise the fault. */
static void check_samples(struct tui_doc *d, const char *sample)
{
	int shown = 0;
	for (const char *line = sample; line && *line && shown < 3; shown++) {
		size_t n = strcspn(line, "\n");
		tui_doc_printf(d, R_DIM, "      %.*s", (int)n, line);
		tui_doc_nl(d);
		line += n + (line[n] == '\n');
	}
}

/* The validate step's checks on the rebuilt tables, once it ran: each
 * check passed or failed with its violations, a failure's sample rows
 * under it; what an operator reads before approving. */
static void validation(struct tui_doc *d, const cJSON *val)
{
	const cJSON *checks = J(val, "checks");
	if (!cJSON_IsArray(checks))
		return;
	int n = cJSON_GetArraySize(checks), failed = 0;
	for (const cJSON *c = checks->child; c; c = c->next)
		failed += cJSON_IsFalse(J(c, "passed"));
	char head[96];
	snprintf(head, sizeof head, "VALIDATION  %d check%s, %d failed", n, n == 1 ? "" : "s",
		 failed);
	tui_doc_heading(d, head);
	if (str_eq(jstr(J(val, "from")), "rebuild")) {
		tui_doc_put(d, R_STATE_WARN, "  the rebuild's run failed on these checks");
		tui_doc_nl(d);
	}
	if (n == 0) {
		tui_doc_put(d, R_DIM, "  no validate step: only checked that every table was built");
		tui_doc_nl(d);
	}
	/* failures first, so that they and their samples fit on the screen */
	for (int pass = 0; pass < 2; pass++)
	for (const cJSON *c = checks->child; c; c = c->next) {
		bool passed = !cJSON_IsFalse(J(c, "passed"));
		if (passed != (pass == 1))
			continue;
		const char *verdict = passed ? "PASSED"
			: str_eq(jstr(J(c, "severity")), "warn") ? "WARN" : "FAILED";
		char count[32];
		jcount(J(c, "violations"), count, sizeof count);
		tui_doc_put(d, R_NORMAL, "  ");
		tui_doc_state(d, verdict, 7);
		tui_doc_put(d, R_NORMAL, " ");
		tui_doc_cell(d, passed ? R_NORMAL : R_STATE_WARN, 9, true, count);
		const char *part = jstr(J(c, "partition"));
		tui_doc_printf(d, R_NORMAL, "  %s%s%s: %s", part ? part : "", part ? " " : "",
			       jstr(J(c, "step")) ? jstr(J(c, "step")) : "?",
			       jstr(J(c, "check")) ? jstr(J(c, "check")) : "?");
		tui_doc_nl(d);
		if (!passed)
			check_samples(d, jstr(J(c, "sample")));
	}
}

static void history(struct tui_doc *d, const struct vec *events)
{
	tui_doc_heading(d, "HISTORY");
	for (size_t i = 0; i < events->len; i++) {
		const struct store_backfill_event *ev = events->items[i];
		char at[24];
		time_format_short(ev->at, at);
		tui_doc_printf(d, R_DIM, "  %s  ", at);
		tui_doc_cell(d, R_NORMAL, 9, false, ev->step);
		tui_doc_put(d, R_NORMAL, " ");
		tui_doc_state(d, backfill_state_name(ev->state), 10);
		tui_doc_printf(d, R_NORMAL, " %s", ev->by ? ev->by : "");
		if (ev->note)
			tui_doc_printf(d, R_NORMAL, "  %s", ev->note);
		tui_doc_nl(d);
	}
}

static void detail(struct tui_view *v, struct tui_doc *d, const struct tui_data *data,
		   const struct store_backfill *b)
{
	struct bf_page *bp = v->state;
	char when[96];
	tui_doc_printf(d, R_TITLE, "Backfill %lld  ", (long long)b->id);
	tui_doc_printf(d, R_NORMAL, "%s  ", b->flow);
	tui_doc_state(d, backfill_state_name(b->state), 0);
	tui_doc_printf(d, R_NORMAL, " at %s", b->step);
	tui_doc_nl(d);
	tui_fmt_when(data->now, b->created, when, sizeof when);
	tui_doc_printf(d, R_DIM, "  started %s by %s", when, b->created_by ? b->created_by : "?");
	tui_doc_nl(d);
	tui_doc_heading(d, "PROCEDURE");
	procedure_line(d, b);
	cJSON *status = status_json(v, b);
	const char *next = jstr(J(J(status, "next"), "text"));
	if (next) {
		tui_doc_printf(d, R_INFO, "  %s", next);   /* "next: ..." already */
	} else if (b->state == BACKFILL_WAITING) {
		tui_doc_put(d, R_INFO, str_eq(b->step, "approve") || str_eq(b->step, "compare")
			    ? "  waiting for you: C shows the comparison; a approves, d discards"
			    : "  waiting for you: n takes the next step, d discards");
	}
	tui_doc_nl(d);
	const cJSON *rb = J(status, "rebuild");
	double frac, n1, n2;
	if (cJSON_IsObject(rb) && jnum(J(rb, "fraction"), &frac)) {
		tui_doc_heading(d, "REBUILD");
		tui_doc_put(d, R_NORMAL, "  ");
		progress_bar(d, frac * 100, 100);
		tui_doc_nl(d);
		if (jnum(J(rb, "rows_read"), &n1) && jnum(J(rb, "rows_planned"), &n2)) {
			char a[32], c[32];
			tui_fmt_count((int64_t)n1, a, sizeof a);
			tui_fmt_count((int64_t)n2, c, sizeof c);
			tui_doc_printf(d, R_NORMAL, "  rows read %s of %s planned", a, c);
		}
		if (jnum(J(rb, "steps_done"), &n1) && jnum(J(rb, "steps_total"), &n2))
			tui_doc_printf(d, R_NORMAL, "; steps %d of %d", (int)n1, (int)n2);
		const char *rs = jstr(J(rb, "run_state"));
		if (rs) {
			tui_doc_put(d, R_NORMAL, "; run ");
			tui_doc_state(d, rs, 0);
		}
		tui_doc_nl(d);
	}
	cJSON *record = b->plan ? cJSON_Parse(b->plan) : NULL;
	partitions(bp, d, status, record);
	const cJSON *val = J(status, "validation");
	validation(d, cJSON_IsObject(val) ? val : J(record, "validation"));
	const cJSON *plan = J(status, "plan");
	if (!cJSON_IsObject(plan))
		plan = J(record, "plan");
	if (!cJSON_IsObject(plan))
		plan = record;
	if (cJSON_IsObject(plan))
		plan_summary(d, plan);
	cJSON_Delete(record);
	const cJSON *cmp_live = J(status, "compare", "comparison");
	cJSON *cmp_stored = b->compare ? cJSON_Parse(b->compare) : NULL;
	const cJSON *cmp = cJSON_IsObject(cmp_live) ? cmp_live : cmp_stored;
	if (cJSON_IsObject(cmp)) {
		tui_doc_heading(d, "COMPARISON (C for columns and samples)");
		compare_summary_table(d, cmp);
	}
	if (b->error) {
		tui_doc_heading(d, "ERROR");
		tui_doc_put(d, R_STATE_FAILED, b->error);
		tui_doc_nl(d);
	}
	struct vec events = VEC_INIT;
	if (store_backfill_history(data->store, b->id, &events, NULL) == 0)
		history(d, &events);
	store_backfill_history_free(&events);
	cJSON_Delete(cmp_stored);
	cJSON_Delete(status);
	free(bp->flow);
	bp->flow = xstrdup(b->flow);
}

static void compare_page(struct tui_view *v, struct tui_doc *d, const struct store_backfill *b)
{
	cJSON *status = status_json(v, b);
	const cJSON *cmp_live = J(status, "compare", "comparison");
	cJSON *cmp_stored = b->compare ? cJSON_Parse(b->compare) : NULL;
	const cJSON *cmp = cJSON_IsObject(cmp_live) ? cmp_live : cmp_stored;
	tui_doc_printf(d, R_TITLE, "Comparison of backfill %lld (%s): current tables "
		       "against the rebuilt ones", (long long)b->id, b->flow);
	tui_doc_nl(d);
	bool single;
	const cJSON *tables = compare_tables(cmp, &single);
	if (!tables) {
		tui_doc_nl(d);
		tui_doc_put(d, R_NORMAL, "No comparison yet: the backfill reaches it at "
			    "its compare step (n takes the next step).");
		tui_doc_nl(d);
	}
	const cJSON *t = tables ? (single ? tables : tables->child) : NULL;
	for (; t; t = single ? NULL : t->next)
		compare_table(d, t);
	cJSON_Delete(cmp_stored);
	cJSON_Delete(status);
}

static void bf_refresh(struct tui_view *v, const struct tui_data *data)
{
	struct bf_page *bp = v->state;
	struct tui_doc d;
	tui_doc_begin(&d, &bp->pager);
	v->clock = 0;
	if (tui_doc_no_store(&d, data))
		return;
	struct err e;
	err_clear(&e);
	struct store_backfill *b = store_backfill_get(data->store, bp->id, &e);
	if (!b) {
		tui_doc_error(&d, &e, "Backfill %lld", (long long)bp->id);
		return;
	}
	if (bp->compare)
		compare_page(v, &d, b);
	else
		detail(v, &d, data, b);
	if (b->state == BACKFILL_WORKING)
		v->clock = 2 * USEC_PER_SEC;    /* the progress bar moves */
	tui_doc_end(&d);
	store_backfill_free(b);
}

static const char *bf_selected(struct tui_view *v)
{
	struct bf_page *bp = v->state;
	return bp->flow;
}

static void bf_open(struct tui_view *v)
{
	struct bf_page *bp = xcalloc(1, sizeof *bp);
	tui_pager_init(&bp->pager);
	v->state = bp;
}

static void bf_close(struct tui_view *v)
{
	struct bf_page *bp = v->state;
	tui_pager_free(&bp->pager);
	free(bp->flow);
	free(bp);
	v->state = NULL;
}

static struct tui_view *bf_new(struct tui *t, int64_t id, bool compare);

static int act_compare(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct bf_page *bp = tui_top(t)->state;
	return tui_push_view(t, bf_new(t, bp->id, true));
}

const struct tui_action tui_backfill_actions[] = {
	{ .keys = { 'n' }, .label = "n", .name = "next",
	  .help = "take the backfill's next step (in the background; the page follows it)",
	  .mutates = true, .command = "backfill next %s --background" },
	{ .keys = { 'a' }, .label = "a", .name = "approve",
	  .help = "swap the rebuilt tables into place",
	  .mutates = true, .command = "backfill approve %s --yes",
	  .confirm = "Approve the backfill of %s? The rebuilt tables "
		     "replace the current ones in one transaction; the "
		     "current ones are kept as TABLE_old." },
	{ .keys = { 'd' }, .label = "d", .name = "discard",
	  .help = "drop the rebuilt tables and resume the tasks",
	  .mutates = true, .command = "backfill discard %s --yes",
	  .confirm = "Discard the backfill of %s? The rebuilt tables are "
		     "dropped and the tasks resume." },
	{ .keys = { 'C' }, .label = "C", .name = "compare",
	  .help = "the comparison: counts per column, samples side by side",
	  .run = act_compare },
	{ .keys = { '[', ']' }, .label = "[]", .name = "partition",
	  .help = "move the cursor in the partition grid", .run = act_partition },
	{ .keys = { 'o' }, .label = "o", .name = "its run",
	  .help = "open the run of the partition under the cursor", .run = act_open_run },
};

/* The backfill's page and its comparison differ in name and actions. */
#define BF_PAGE_OPS(NAME, TITLE, SUMMARY, NACTIONS)				\
	.name = NAME, .title = TITLE, .summary = SUMMARY,			\
	.areas = STORE_AREA_BIT(STORE_AREA_BACKFILLS),				\
	.actions = tui_backfill_actions, .nactions = NACTIONS,			\
	.open = bf_open, .refresh = bf_refresh,					\
	.draw = tui_page_draw, .handle_key = tui_page_key,			\
	.filter = tui_page_filter, .selected = bf_selected,			\
	.where = tui_page_where, .close = bf_close

static const struct tui_view_ops view_backfill_ops = {
	BF_PAGE_OPS("backfill", "Backfill",
		    "one backfill: procedure, progress, validation, plan, comparison, history",
		    ARRAY_LEN(tui_backfill_actions)),
};

static const struct tui_view_ops view_compare_ops = {
	/* n, a, d: no C on the comparison itself */
	BF_PAGE_OPS("compare", "Comparison", "a backfill's comparison in full",
		    TUI_NBACKFILL_STEP_ACTIONS),
};

static struct tui_view *bf_new(struct tui *t, int64_t id, bool compare)
{
	struct tui_view *v = tui_view_new(t, compare ? &view_compare_ops : &view_backfill_ops,
					  "%s %lld", compare ? "Comparison" : "Backfill",
					  (long long)id);
	struct bf_page *bp = v->state;
	bp->id = id;
	bp->compare = compare;
	/* the flow, so that actions work before the first refresh */
	struct tui_data d = tui_data_now(t);
	struct store_backfill *b = d.store ? store_backfill_get(d.store, id, NULL) : NULL;
	if (b)
		bp->flow = xstrdup(b->flow);
	store_backfill_free(b);
	return v;
}

int tui_open_backfill(struct tui *t, int64_t id)
{
	return tui_push_view(t, bf_new(t, id, false));
}
