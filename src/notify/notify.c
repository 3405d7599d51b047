/*
 * notify.c - putting notifications on the store's queue: which channels
 * an event goes to, what it says about itself, and recoveries.  The
 * sending is in send.c and one file per kind of channel.
 */
#include "notify/notify.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *notify_event_key(enum notify_event ev)
{
	return notify_event_name(ev);
}

static char *host_name(void)
{
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) != 0 || !*host)
		return xstrdup("unknown");
	return xstrdup(host);
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, key, v);
}

/* What the event is, as JSON the senders render (and a webhook forwards). */
static char *detail_json(const struct project *p, const char *kind, const char *severity,
			 const struct notify_msg *m)
{
	cJSON *o = cJSON_CreateObject();
	char *host = host_name();
	char when[32];
	time_format_iso(clock_now_us(), when);
	cJSON_AddStringToObject(o, "event", kind);
	cJSON_AddStringToObject(o, "severity", severity);
	cJSON_AddStringToObject(o, "project", p->name ? p->name : "");
	cJSON_AddStringToObject(o, "environment", p->env.name ? p->env.name : "default");
	cJSON_AddStringToObject(o, "host", host);
	add_str(o, "object", m->object);
	if (m->run_id)
		cJSON_AddNumberToObject(o, "run", (double)m->run_id);
	add_str(o, "state", m->state);
	add_str(o, "step", m->step);
	add_str(o, "error", m->error);
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "text", m->text ? m->text : "");
	char *t = cJSON_PrintUnformatted(o);
	char *out = xstrdup(t);
	cJSON_free(t);
	cJSON_Delete(o);
	free(host);
	return out;
}

static int queue_for(struct store *s, const char *channel,
		     const char *kind, const struct notify_msg *m, const char *detail,
		     usec_t window, struct err *e)
{
	struct store_notify_new n = {
		.channel = channel, .event = kind, .object = m->object, .text = m->text,
		.detail = detail, .window = window,
	};
	if (store_notify_raise(s, &n, NULL, e) < 0) {
		err_prefix(e, "notification for channel %s: ", channel);
		return -1;
	}
	return 0;
}

int notify_raise(struct store *s, const struct project *p, const struct notify_msg *m,
		 struct err *e)
{
	uint64_t to = project_route(p, m->event, m->object);
	for (size_t k = 0; k < m->nalso; k++)
		for (size_t i = 0; i < p->nchannels && i < PROJECT_MAX_CHANNELS; i++)
			if (str_eq(p->channels[i].name, m->also[k]))
				to |= UINT64_C(1) << i;
	if (!to)
		return 0;
	const char *kind = notify_event_key(m->event);
	char *detail = detail_json(p, kind,
				   notify_severity_name(notify_event_severity(m->event)), m);
	int n = 0;
	for (size_t i = 0; i < p->nchannels && i < PROJECT_MAX_CHANNELS; i++) {
		if (!(to & (UINT64_C(1) << i)))
			continue;
		if (queue_for(s, p->channels[i].name, kind, m, detail, p->notify_window,
			      e) < 0) {
			n = -1;
			break;
		}
		n++;
	}
	free(detail);
	return n;
}

int notify_event(struct store *s, const struct project *p, enum notify_event ev,
		 const char *text, struct err *e)
{
	struct notify_msg m = { .event = ev, .text = text };
	return notify_raise(s, p, &m, e);
}

int notify_recovered(struct store *s, const struct project *p, const char *object,
		     int64_t run_id, const char *text, struct err *e)
{
	if (!p->nchannels)
		return 0;
	struct vec channels = VEC_INIT;
	if (store_notify_unrecovered(s, object, &channels, e) < 0)
		return -1;
	struct notify_msg m = { .object = object, .run_id = run_id, .state = "HEALTHY",
				.text = text };
	char *detail = channels.len ? detail_json(p, "recovered", "info", &m) : NULL;
	int n = 0;
	for (size_t i = 0; i < channels.len && n >= 0; i++) {
		if (queue_for(s, channels.items[i], "recovered", &m, detail, 0, e) < 0)
			n = -1;
		else
			n++;
	}
	free(detail);
	vec_free_all(&channels, free);
	return n;
}

int notify_test(struct store *s, const struct project *p, const char *channel,
		int64_t *id, struct err *e)
{
	if (!project_channel(p, channel))
		return err_set(e, ERR_NOTFOUND, "no notification channel %s in the project",
			       channel);
	char *text = xasprintf("Test message from sluice for channel %s: if you read "
			       "this, the channel works.", channel);
	struct notify_msg m = { .state = "TEST", .text = text };
	char *detail = detail_json(p, "test", "info", &m);
	struct store_notify_new n = {
		.channel = channel, .event = "test", .text = text, .detail = detail,
	};
	int rc = store_notify_raise(s, &n, id, e);
	free(detail);
	free(text);
	return rc < 0 ? -1 : 0;
}
