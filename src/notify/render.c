/*
 * render.c - the words of a notification, shared by every kind of
 * channel, so Slack, email and webhooks say the same thing.
 */
#include "notify/notify_int.h"

#include <stdlib.h>
#include <string.h>

const char *notify_detail_str(const struct outgoing *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o->detail, key);
	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : dflt;
}

int64_t notify_detail_run(const struct outgoing *o)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o->detail, "run");
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* "10 minutes", "1 hour", "90 seconds". */
static void window_words(usec_t w, char *out, size_t n)
{
	int64_t s = w / USEC_PER_SEC;
	if (s >= 3600 && s % 3600 == 0)
		snprintf(out, n, "%lld hour%s", (long long)(s / 3600), s == 3600 ? "" : "s");
	else if (s >= 60 && s % 60 == 0)
		snprintf(out, n, "%lld minute%s", (long long)(s / 60), s == 60 ? "" : "s");
	else
		snprintf(out, n, "%lld second%s", (long long)s, s == 1 ? "" : "s");
}

/* "task orders" from "task:orders". */
static char *object_words(const char *object)
{
	const char *colon = object ? strchr(object, ':') : NULL;
	if (!colon)
		return xstrdup(object ? object : "sluice");
	return xasprintf("%.*s %s", (int)(colon - object), object, colon + 1);
}

static const char *verb(const char *event)
{
	static const char *const verbs[][2] = {
		{ "run_failed", "failed" }, { "run_crashed", "crashed" },
		{ "task_suspended", "was suspended" },
		{ "pipe_file_failed", "rejected a file" },
		{ "backfill_waiting", "waited for approval" },
		{ "worker_lost", "lost its worker" }, { "late_run", "ran late" },
	};
	for (size_t i = 0; i < ARRAY_LEN(verbs); i++)
		if (strcmp(verbs[i][0], event) == 0)
			return verbs[i][1];
	return "had an event";
}

char *notify_render_summary(const struct outgoing *o)
{
	const struct store_notification *n = o->n;
	if (n->occurrences > 1) {
		char *who = object_words(n->object);
		char win[48];
		window_words(o->p->notify_window, win, sizeof win);
		char *s = xasprintf("%s %s %d times in the last %s", who, verb(n->event),
				    n->occurrences, win);
		free(who);
		return s;
	}
	return xstrdup(n->text);
}

char *notify_render_context(const struct outgoing *o)
{
	return xasprintf("project %s, environment %s, host %s",
			 notify_detail_str(o, "project", "?"),
			 notify_detail_str(o, "environment", "default"),
			 notify_detail_str(o, "host", "?"));
}

char *notify_render_subject(const struct outgoing *o)
{
	const char *env = notify_detail_str(o, "environment", "default");
	const struct store_notification *n = o->n;
	int64_t run = notify_detail_run(o);
	const char *state = notify_detail_str(o, "state", NULL);
	const char *step = notify_detail_str(o, "step", NULL);
	const char *colon = n->object ? strchr(n->object, ':') : NULL;
	char *headline;
	if (n->occurrences > 1) {
		headline = notify_render_summary(o);
	} else if (strcmp(n->event, "recovered") == 0) {
		char *who = object_words(n->object);
		headline = xasprintf("%s is healthy again", who);
		free(who);
	} else if (run && state && n->object && str_starts_with(n->object, "flow:")) {
		headline = xasprintf("run %lld of %s %s%s%s", (long long)run, colon + 1, state,
				     step ? " at " : "", step ? step : "");
	} else {
		headline = xstrdup(n->text);
		char *nl = strchr(headline, '\n');
		if (nl)
			*nl = '\0';
		if (strlen(headline) > 120)
			strcpy(headline + 117, "...");
	}
	char *s = xasprintf("[sluice %s] %s", env, headline);
	free(headline);
	return s;
}

static void add_steps(struct buf *b, const struct outgoing *o, int64_t run)
{
	struct vec steps = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (store_step_list(o->s, run, &steps, &e) < 0 || !steps.len) {
		store_step_list_free(&steps);
		return;
	}
	buf_puts(b, "\nSteps:\n");
	for (size_t i = 0; i < steps.len; i++) {
		const struct store_step *st = steps.items[i];
		char dur[32] = "";
		if (st->started && st->ended)
			duration_format(st->ended - st->started, dur, sizeof dur);
		buf_printf(b, "  %-24s %-10s %s\n", st->step, step_state_name(st->state), dur);
	}
	store_step_list_free(&steps);
}

char *notify_render_body(const struct outgoing *o)
{
	struct buf b = BUF_INIT;
	char *summary = notify_render_summary(o);
	buf_printf(&b, "%s\n", summary);
	if (o->n->occurrences > 1)
		buf_printf(&b, "The latest: %s\n", o->n->text);
	free(summary);
	buf_printf(&b, "\nProject:     %s\nEnvironment: %s\nHost:        %s\n",
		   notify_detail_str(o, "project", "?"),
		   notify_detail_str(o, "environment", "default"),
		   notify_detail_str(o, "host", "?"));
	static const char *const rows[][2] = {
		{ "object", "Object:      " }, { "state", "State:       " },
		{ "step", "Step:        " }, { "time", "Time:        " },
	};
	int64_t run = notify_detail_run(o);
	if (run)
		buf_printf(&b, "Run:         %lld\n", (long long)run);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		const char *v = notify_detail_str(o, rows[i][0], NULL);
		if (v)
			buf_printf(&b, "%s%s\n", rows[i][1], v);
	}
	const char *error = notify_detail_str(o, "error", NULL);
	if (error)
		buf_printf(&b, "\nError:\n  %s\n", error);
	if (run && o->s)
		add_steps(&b, o, run);
	if (run)
		buf_printf(&b, "\nOpen it with:\n  sluice show run %lld\n", (long long)run);
	return buf_detach(&b);
}
