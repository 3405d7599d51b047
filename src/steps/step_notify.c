/*
 * notify.c - the `notify` step: a message to a notification channel.
 *
 *   { "kind": "notify", "channel": "alerts", "message": "orders loaded since :since" }
 *
 * The step only enqueues the message in the control store's notification
 * queue; the sender (notify/) delivers it with retries, so a slow or
 * failing webhook never holds up a run.  :name in the message is replaced
 * by the parameter's value (this is text for people, not SQL); the flow
 * and run are added so the reader knows where it comes from.  In backfill
 * mode nothing is sent.
 */
#include "steps/steps_int.h"
#include "store/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static size_t notify_validate(const struct project *p, const struct project_flow *f UNUSED,
			      const struct project_step *s, struct diags *d)
{
	static const char *const known[] = { "channel", "message", NULL };
	size_t before = d->errors;
	spec_unknown_keys(p, s, known, d);
	const char *channel = spec_string(p, s, "channel", true, d);
	spec_string(p, s, "message", true, d);
	if (channel && !project_channel(p, channel)) {
		struct buf known_ch = BUF_INIT;
		for (size_t i = 0; i < p->nchannels; i++)
			buf_printf(&known_ch, "%s%s", i ? ", " : "", p->channels[i].name);
		char *path = step_spec_path(s, "channel");
		project_diag(p, d, DIAG_ERROR, path, "unknown notification channel \"%s\" "
			     "(channels: %s)", channel, known_ch.len ? buf_str(&known_ch)
			     : "none declared in \"notifications\"");
		free(path);
		buf_free(&known_ch);
	}
	return d->errors - before;
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The value of :name for a message, or NULL when it is not a parameter. */
static const char *message_value(const struct step_ctx *ctx, const char *name,
				 char scratch[32])
{
	for (size_t i = 0; i < ctx->nparams; i++)
		if (strcmp(ctx->params[i].key, name) == 0)
			return ctx->params[i].value ? ctx->params[i].value : "null";
	if (strcmp(name, "run_id") == 0) {
		snprintf(scratch, 32, "%lld", (long long)ctx->run_id);
		return scratch;
	}
	if (strcmp(name, "window_end") == 0) {
		steps_format_ts(ctx->run_start, scratch);
		return scratch;
	}
	return NULL;
}

static char *expand_message(const struct step_ctx *ctx, const char *msg)
{
	struct buf b = BUF_INIT;
	for (const char *p = msg; *p;) {
		if (*p == ':' && (p == msg || !word_char(p[-1])) &&
		    (isalpha((unsigned char)p[1]) || p[1] == '_')) {
			const char *q = p + 1;
			while (word_char(*q))
				q++;
			char *name = xstrndup(p + 1, (size_t)(q - p - 1));
			char scratch[32];
			const char *v = message_value(ctx, name, scratch);
			free(name);
			if (v) {
				buf_puts(&b, v);
				p = q;
				continue;
			}
		}
		buf_putc(&b, *p++);
	}
	return buf_detach(&b);
}

static int notify_run(struct step_ctx *ctx, struct err *e)
{
	const char *channel = steps_json_string(ctx->step->spec, "channel");
	char *msg = expand_message(ctx, steps_json_string(ctx->step->spec, "message"));
	char *text = xasprintf("%s (flow %s, run %lld)", msg, ctx->flow->name,
			       (long long)ctx->run_id);
	int64_t id = 0;
	int rc = store_notify_enqueue(ctx->store, channel, "message", text, &id, e);
	if (rc == 0)
		step_summary(ctx, "message %lld queued for %s", (long long)id, channel);
	free(text);
	free(msg);
	return rc;
}

const struct step_ops step_notify_ops = {
	.kind = STEP_NOTIFY,
	.validate = notify_validate,
	.run = notify_run,
	.cache_inputs = NULL,
};
