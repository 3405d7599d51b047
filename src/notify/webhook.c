/*
 * webhook.c - a notification as a JSON document POSTed to any receiver,
 * signed with HMAC-SHA256 over the exact body when the channel has a
 * secret, so the receiver can tell it came from us unaltered:
 *
 *   X-Sluice-Signature: sha256=<hex of HMAC-SHA256(secret, body)>
 */
#include "notify/notify_int.h"

#include <stdlib.h>
#include <string.h>

/* The detail as raised, plus what the queue knows: the count of events
 * folded into this message and the words a human would read. */
static char *document(const struct outgoing *o)
{
	cJSON *j = cJSON_Duplicate(o->detail, true);
	cJSON_DeleteItemFromObjectCaseSensitive(j, "event");
	cJSON_DeleteItemFromObjectCaseSensitive(j, "text");
	cJSON_AddStringToObject(j, "event", o->n->event);
	cJSON_AddNumberToObject(j, "id", (double)o->n->id);
	cJSON_AddNumberToObject(j, "count", o->n->occurrences);
	char *summary = notify_render_summary(o);
	cJSON_AddStringToObject(j, "text", summary);
	free(summary);
	char *t = cJSON_PrintUnformatted(j);
	char *out = xstrdup(t);
	cJSON_free(t);
	cJSON_Delete(j);
	return out;
}

void notify_webhook_send(const struct outgoing *o, const char *url, struct delivery *d)
{
	char *body = document(o);
	const char *secret = o->ch->secret_env ? getenv(o->ch->secret_env) : NULL;
	if (o->ch->secret_env && (!secret || !*secret)) {
		memset(d, 0, sizeof *d);
		d->error = xasprintf("environment variable %s is not set (it holds the "
				     "signing secret); not sending unsigned",
				     o->ch->secret_env);
		free(body);
		return;
	}
	char *headers[3] = { NULL, NULL, NULL };
	headers[0] = xasprintf("X-Sluice-Event: %s", o->n->event);
	if (secret) {
		uint8_t mac[32];
		char hex[65];
		hmac_sha256(secret, strlen(secret), body, strlen(body), mac);
		sha256_hex(mac, hex);
		headers[1] = xasprintf("X-Sluice-Signature: sha256=%s", hex);
	}
	notify_http_post(url, body, (const char *const *)headers, d);
	free(headers[0]);
	free(headers[1]);
	free(body);
}
