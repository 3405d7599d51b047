/*
 * cmd_notify.c - the notification queue for an operator: `show
 * notifications` lists it, `notify retry` and `notify drop` settle a
 * message that failed for good, `notify test` proves a channel works.
 *
 * Last errors were masked before they were stored; what is printed here is
 * masked again, in case a secret was registered only since.
 */
#include "cmd/cmd_int.h"
#include "notify/notify.h"
#include "project/project.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static cJSON *notification_json(const struct store_notification *n)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)n->id);
	cJSON_AddStringToObject(o, "channel", n->channel);
	cJSON_AddStringToObject(o, "event", n->event);
	cmd_json_add_str(o, "object", n->object);
	cJSON_AddStringToObject(o, "state", notify_state_name(n->state));
	cJSON_AddNumberToObject(o, "attempts", n->attempts);
	cJSON_AddNumberToObject(o, "count", n->occurrences);
	cmd_json_add_time(o, "created_at", n->created);
	cmd_json_add_time(o, "next_attempt_at", n->state == NOTIFY_PENDING ?
			  n->next_attempt : 0);
	cmd_json_add_time(o, "sent_at", n->sent);
	char *err = n->last_error ? log_mask(n->last_error) : NULL;
	cmd_json_add_str(o, "last_error", err);
	free(err);
	char *text = log_mask(n->text);
	cJSON_AddStringToObject(o, "text", text);
	free(text);
	return o;
}

static void notification_row(struct cmd_table *t, const struct store_notification *n)
{
	char id[24], attempts[16], created[24], when[24] = "-";
	snprintf(id, sizeof id, "%lld", (long long)n->id);
	snprintf(attempts, sizeof attempts, "%d", n->attempts);
	time_format_short(n->created, created);
	if (n->state == NOTIFY_PENDING)
		time_format_short(n->next_attempt, when);
	else if (n->sent)
		time_format_short(n->sent, when);
	char *what = n->occurrences > 1
		? xasprintf("%s x%d", n->event, n->occurrences) : xstrdup(n->event);
	char *err = n->last_error ? log_mask(n->last_error) : NULL;
	cmd_table_add(t, id, n->channel, what, n->object, notify_state_name(n->state),
		      attempts, created, when, err);
	free(err);
	free(what);
}

static const char *const state_words[] = { "pending", "sending", "sent", "failed" };

static int exec_show_notifications(struct cmd_ctx *ctx, const struct cmd_args *args,
				   struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int rc = EXIT_OK;
	unsigned mask = 0;
	for (size_t i = 0; i < args->names.len && rc == EXIT_OK; i++) {
		if (strcmp(args->names.items[i], "--state") != 0)
			continue;
		const char *v = args->values.items[i];
		size_t k = 0;
		while (k < ARRAY_LEN(state_words) && strcasecmp(v, state_words[k]) != 0)
			k++;
		if (k == ARRAY_LEN(state_words))
			rc = cmd_usage_error(self, e, "unknown state '%s' (expected pending, "
					     "sending, sent or failed)", v);
		mask |= 1u << k;
	}
	int64_t limit = 100;
	const char *lim = cmd_opt_value(args, "--limit");
	if (rc == EXIT_OK && lim && (!str_to_i64(lim, &limit) || limit < 1 || limit > 10000))
		rc = cmd_usage_error(self, e, "--limit takes a number from 1 to 10000, "
				     "not '%s'", lim);
	bool json = args->format == CMD_FORMAT_JSON;
	struct vec q = VEC_INIT;
	if (rc == EXIT_OK && store_notify_list(ctx->store, mask, (int)limit, &q, e) < 0)
		rc = EXIT_FAILED;
	if (rc == EXIT_OK && json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < q.len; i++)
			cJSON_AddItemToArray(arr, notification_json(q.items[i]));
		cmd_json_print(ctx->out, arr);
		cJSON_Delete(arr);
	} else if (rc == EXIT_OK && !q.len && args->format != CMD_FORMAT_CSV) {
		fprintf(ctx->out, "no notifications\n");
	} else if (rc == EXIT_OK) {
		struct cmd_table t = { .ncols = 9, .format = args->format };
		cmd_table_add(&t, "ID", "CHANNEL", "EVENT", "OBJECT", "STATE", "ATTEMPTS",
			      "CREATED", "NEXT/SENT", "LAST ERROR");
		for (size_t i = 0; i < q.len; i++)
			notification_row(&t, q.items[i]);
		cmd_table_print(ctx->out, &t);
	}
	store_notify_list_free(&q);
	return rc;
}

/* The one ID argument of `notify retry|drop`. */
static int parse_id(const struct cmd_args *args, int64_t *id, struct err *e)
{
	const char *word = args->positional.items[0];
	if (!str_to_i64(word, id) || *id <= 0)
		return cmd_usage_error(args->entry, e, "'%s' is not a notification id", word);
	return EXIT_OK;
}

/* `notify retry|drop ID`: `act` on a FAILED message, then say `done`. */
static int on_failed(struct cmd_ctx *ctx, const struct cmd_args *args,
		     int (*act)(struct store *, int64_t, struct err *), const char *done,
		     struct err *e)
{
	int64_t id;
	int rc = parse_id(args, &id, e);
	if (rc != EXIT_OK)
		return rc;
	if (act(ctx->store, id, e) < 0)
		return e->code == ERR_NOTFOUND || e->code == ERR_CONFLICT ? EXIT_USAGE
			: EXIT_FAILED;
	fprintf(ctx->out, "notification %lld %s\n", (long long)id, done);
	return EXIT_OK;
}

static int exec_notify_retry(struct cmd_ctx *ctx, const struct cmd_args *args,
			     struct err *e)
{
	return on_failed(ctx, args, store_notify_retry,
			 "is queued again", e);
}

static int exec_notify_drop(struct cmd_ctx *ctx, const struct cmd_args *args,
			    struct err *e)
{
	return on_failed(ctx, args, store_notify_drop, "dropped", e);
}

static int exec_notify_test(struct cmd_ctx *ctx, const struct cmd_args *args,
			    struct err *e)
{
	const char *channel = args->positional.items[0];
	int64_t id = 0;
	if (notify_test(ctx->store, ctx->project, channel, &id, e) < 0)
		return e->code == ERR_NOTFOUND ? EXIT_USAGE : EXIT_FAILED;
	notify_mask_secrets(ctx->project);
	struct notify_stats st;
	if (notify_send_due(ctx->store, ctx->project, 0, &st, e) < 0)
		return EXIT_FAILED;
	struct store_notification *n = NULL;
	if (store_notify_get(ctx->store, id, &n, e) != 1)
		return EXIT_FAILED;
	int rc = EXIT_OK;
	if (n->state == NOTIFY_SENT) {
		fprintf(ctx->out, "sent a test message to channel %s (notification %lld)\n",
			channel, (long long)id);
	} else {
		char *why = log_mask(n->last_error ? n->last_error : "not sent yet");
		err_set(e, ERR_IO, "the test message to channel %s was not sent: %s%s",
			     channel, why, n->state == NOTIFY_PENDING
			     ? " (it stays queued and is retried)" : "");
		free(why);
		rc = EXIT_FAILED;
	}
	store_notify_free(n);
	return rc;
}

const struct cmd_entry cmd_notify_entries[] = {
	{ .name = "show notifications", .usage = "[--state STATE]... [--limit N] [--json]",
	  .summary = "the notification queue: pending, sent and failed messages",
	  .help = "One line per message, newest first: its channel, event (xN when N\n"
	  "events on one object were collapsed into it), object, state\n"
	  "(PENDING, SENDING, SENT, FAILED), attempts, when it was queued, when it\n"
	  "is due (PENDING) or was sent, and the last error (secrets masked).\n"
	  "--state filters (repeatable); --limit defaults to 100; --json prints a\n"
	  "JSON array.",
	  .flags = CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .options = {
		{ "--state", NULL, CMD_KIND_CHOICE, "pending|sending|sent|failed", true },
		{ "--limit", NULL, CMD_KIND_NUMBER },
	  },
	  .exec = exec_show_notifications },
	{ .name = "notify retry", .usage = "ID",
	  .summary = "send a FAILED notification again",
	  .help = "Queues a message that failed for good again, due now, with its\n"
	  "attempts counted from zero.  Only FAILED messages can be retried.",
	  .flags = CMD_MUTATES | CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_ID } },
	  .exec = exec_notify_retry },
	{ .name = "notify drop", .usage = "ID",
	  .summary = "delete a FAILED notification from the queue",
	  .help = "Only FAILED messages can be dropped; a pending one will be sent.",
	  .flags = CMD_MUTATES | CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_ID } },
	  .exec = exec_notify_drop },
	{ .name = "notify test", .usage = "CHANNEL",
	  .summary = "send a test message to a channel now",
	  .help = "Queues a test message for CHANNEL and sends what is due at once, on\n"
	  "this process; says whether it was delivered and, if not, why.",
	  .flags = CMD_MUTATES | CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_CHANNEL } },
	  .exec = exec_notify_test },
	{ .name = NULL },
};
