/*
 * slack.c - a notification as a Slack incoming webhook's {"text": ...}.
 */
#include "notify/notify_int.h"

#include <stdlib.h>
#include <string.h>

void notify_slack_send(const struct outgoing *o, const char *url, struct delivery *d)
{
	char *summary = notify_render_summary(o);
	char *context = notify_render_context(o);
	struct buf text = BUF_INIT;
	buf_puts(&text, summary);
	if (o->n->occurrences > 1)
		buf_printf(&text, "\nThe latest: %s", o->n->text);
	buf_printf(&text, "\n(%s)", context);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "text", buf_str(&text));
	char *body = cJSON_PrintUnformatted(j);
	notify_http_post(url, body, NULL, d);
	cJSON_free(body);
	cJSON_Delete(j);
	buf_free(&text);
	free(context);
	free(summary);
}
