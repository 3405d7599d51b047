/*
 * send.c - sending queued notifications with libcurl, on the notifier's
 * own thread: claim a message, hand it to its channel's kind (slack.c,
 * email.c, webhook.c), record what came of it.
 *
 * Every attempt is bounded by timeouts, so the thread is never stuck and
 * the engine never waits for it.  What the server said decides the
 * message's fate (see notify.h); every secret is masked everywhere.
 */
#include "notify/notify_int.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define BODY_KEEP          256
#define PASS_INTERVAL      USEC_PER_SEC

struct response {
	long status;
	usec_t retry_after;
	char body[BODY_KEEP + 1];
	size_t body_len;
	bool body_cut;            /* the server said more than body holds */
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct response *r = arg;
	size_t len = size * n;
	size_t room = BODY_KEEP - r->body_len;
	size_t take = len < room ? len : room;
	memcpy(r->body + r->body_len, data, take);
	r->body_len += take;
	r->body[r->body_len] = '\0';
	r->body_cut |= take < len;
	return len;
}

/* ---- masking the URL's parts ---------------------------------------------------- */

#define PART_MIN 4                /* shorter pieces give nothing away */

static void add_part(struct vec *parts, const char *s, size_t n)
{
	if (n >= PART_MIN)
		vec_push(parts, xstrndup(s, n));
}

/* Split `s[0..n)` on `sep` and add every piece, and of a "key=value"
 * piece its value too. */
static void add_pieces(struct vec *parts, const char *s, size_t n, char sep)
{
	const char *end = s + n;
	while (s < end) {
		const char *cut = memchr(s, sep, (size_t)(end - s));
		size_t len = cut ? (size_t)(cut - s) : (size_t)(end - s);
		add_part(parts, s, len);
		const char *eq = memchr(s, '=', len);
		if (eq)
			add_part(parts, eq + 1, (size_t)(s + len - eq - 1));
		s += len + (cut != NULL);
	}
}

static int longer_first(const void *a, const void *b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);
	return x < y ? 1 : x > y ? -1 : 0;
}

/* Everything in scheme://[user@]host[/path][?query][#fragment] that could
 * give the URL away, longest first so the whole goes before its pieces. */
static void url_parts(const char *url, struct vec *parts)
{
	add_part(parts, url, strlen(url));
	const char *rest = strstr(url, "://");
	rest = rest ? rest + 3 : url;
	size_t auth = strcspn(rest, "/?#");
	const char *at = memchr(rest, '@', auth);
	if (at)
		add_pieces(parts, rest, (size_t)(at - rest), ':');
	const char *tail = rest + auth;             /* path, query, fragment */
	add_part(parts, tail, strlen(tail));
	size_t path = strcspn(tail, "?#");
	add_part(parts, tail, path);
	add_pieces(parts, tail, path, '/');
	if (tail[path] == '?') {
		const char *q = tail + path + 1;
		size_t qlen = strcspn(q, "#");
		add_part(parts, q, qlen);
		add_pieces(parts, q, qlen, '&');
	}
	const char *frag = strchr(tail, '#');
	if (frag)
		add_part(parts, frag + 1, strlen(frag + 1));
	vec_sort(parts, longer_first);
}

/* `text` with every part of `url` replaced by "****"; when the text was cut
 * short, a part's beginning at its very end too. */
static char *mask_url_parts(const char *text, const char *url, bool cut)
{
	struct vec parts = VEC_INIT;
	url_parts(url, &parts);
	struct buf out = BUF_INIT;
	size_t n = strlen(text);
	for (size_t i = 0; i < n;) {
		size_t skip = 0;
		for (size_t k = 0; k < parts.len && !skip; k++) {
			const char *part = parts.items[k];
			size_t len = strlen(part), left = n - i;
			if (len <= left ? memcmp(text + i, part, len) == 0
			    : cut && left >= PART_MIN && memcmp(text + i, part, left) == 0)
				skip = len <= left ? len : left;
		}
		if (skip) {
			buf_puts(&out, "****");
			i += skip;
		} else {
			buf_putc(&out, text[i++]);
		}
	}
	vec_free_all(&parts, free);
	char *masked = log_mask(buf_str(&out));
	buf_free(&out);
	return masked;
}


static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct response *r = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
		char value[32];
		size_t vlen = len - (sizeof name - 1);
		if (vlen >= sizeof value)
			vlen = sizeof value - 1;
		memcpy(value, data + sizeof name - 1, vlen);
		value[vlen] = '\0';
		int64_t secs;
		/* Seconds only: an HTTP date falls back to the backoff. */
		if (str_to_i64(str_trim(value), &secs) && secs >= 0 && secs < 86400)
			r->retry_after = secs * USEC_PER_SEC;
	}
	return len;
}

void notify_curl_bounded(CURL *c, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_TIMEOUT, SEND_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

void notify_http_post(const char *url, const char *body, const char *const *headers,
		      struct delivery *d)
{
	memset(d, 0, sizeof *d);
	CURL *c = lake_curl_handle(url, "http,https");
	struct response r;
	memset(&r, 0, sizeof r);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	for (size_t i = 0; headers && headers[i]; i++)
		hdr = curl_slist_append(hdr, headers[i]);
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	notify_curl_bounded(c, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		d->error = mask_url_parts(errbuf[0] ? errbuf : curl_easy_strerror(rc), url,
					  false);
		/* A scheme other than http(s) will not become one by waiting. */
		d->retryable = rc != CURLE_UNSUPPORTED_PROTOCOL;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
		if (r.status >= 200 && r.status < 300) {
			d->ok = true;
		} else {
			/* A server may echo what it was sent ("no_service:
			 * /services/T0/B0/TOKEN"): every part of the URL goes. */
			char *t = mask_url_parts(str_trim(r.body), url, r.body_cut);
			d->error = xasprintf("HTTP %ld%s%s", r.status, *t ? ": " : "", t);
			free(t);
			d->retryable = r.status == 429 || r.status >= 500;
			d->retry_after = r.retry_after;
		}
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
}

/* A channel whose webhook variable is unset fails every message the same
 * way; say so loudly once per process, then quietly, so the log stays
 * readable (the store records each failure either way). */
static bool first_unset_warning(const char *channel)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct vec warned = VEC_INIT;
	bool first = true;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < warned.len && first; i++)
		first = strcmp(warned.items[i], channel) != 0;
	if (first)
		vec_push(&warned, xstrdup(channel));
	pthread_mutex_unlock(&lock);
	return first;
}

static const char *env_of(const char *name)
{
	const char *v = name ? getenv(name) : NULL;
	return v && *v ? v : NULL;
}

/* The URL the channel sends to, or NULL with why in *missing. */
static const char *channel_url(const struct project_channel *ch, char **missing)
{
	const char *var = ch->kind == CHANNEL_EMAIL ? ch->smtp_url_env : ch->webhook_env;
	if (ch->kind == CHANNEL_EMAIL && ch->smtp_url)
		return ch->smtp_url;
	const char *url = env_of(var);
	if (!url)
		*missing = xasprintf("channel %s: environment variable %s is not set "
				     "(it holds the %s URL)", ch->name, var ? var : "(none)",
				     ch->kind == CHANNEL_EMAIL ? "SMTP server's" : "webhook");
	return url;
}

/* The detail the message was raised with, or one made from what the
 * sender knows (a message queued before details were kept). */
static cJSON *detail_of(const struct project *p, const struct store_notification *n)
{
	cJSON *d = n->detail ? cJSON_Parse(n->detail) : NULL;
	if (cJSON_IsObject(d))
		return d;
	cJSON_Delete(d);
	d = cJSON_CreateObject();
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char when[32];
	time_format_iso(n->created, when);
	cJSON_AddStringToObject(d, "event", n->event);
	cJSON_AddStringToObject(d, "project", p->name ? p->name : "");
	cJSON_AddStringToObject(d, "environment", p->env.name ? p->env.name : "default");
	cJSON_AddStringToObject(d, "host", *host ? host : "unknown");
	cJSON_AddStringToObject(d, "time", when);
	cJSON_AddStringToObject(d, "text", n->text);
	return d;
}

static void deliver(struct store *s, const struct project *p,
		    const struct project_channel *ch, const struct store_notification *n,
		    const char *url, struct delivery *d)
{
	cJSON *detail = detail_of(p, n);
	struct outgoing o = { .p = p, .ch = ch, .n = n, .detail = detail, .s = s };
	notify_mask_secrets(p);
	if (ch->kind == CHANNEL_EMAIL)
		notify_email_send(&o, url, d);
	else if (ch->kind == CHANNEL_WEBHOOK)
		notify_webhook_send(&o, url, d);
	else
		notify_slack_send(&o, url, d);
	cJSON_Delete(detail);
}

/* Send one claimed message and record its fate.  1 sent, 0 retrying,
 * 2 failed for good; -1 the store failed. */
static int send_one(struct store *s, const struct project *p,
		    const struct store_notification *n, struct err *e)
{
	const struct project_channel *ch = project_channel(p, n->channel);
	struct delivery d;
	memset(&d, 0, sizeof d);
	bool unset = false;
	const char *url = NULL;
	if (!ch) {
		d.error = xasprintf("channel %s is not in the project", n->channel);
	} else if (!(url = channel_url(ch, &d.error))) {
		unset = true;
	} else {
		deliver(s, p, ch, n, url, &d);
		if (d.ok) {
			if (store_notify_sent(s, n->id, e) < 0)
				return -1;
			log_emit(LOG_INFO, 0, NULL, "notify", NULL, 0, "sent %s to channel %s",
				 n->event, ch->name);
			return 1;
		}
		char *prefixed = xasprintf("channel %s: %s", ch->name, d.error);
		free(d.error);
		d.error = prefixed;
	}
	char *masked = log_mask(d.error);
	free(d.error);
	int rc = store_notify_failed(s, n->id, masked, d.retryable, d.retry_after, e);
	struct store_notification *after = NULL;
	bool gave_up = !d.retryable;
	if (rc == 0 && store_notify_get(s, n->id, &after, NULL) == 1 && after)
		gave_up = after->state == NOTIFY_FAILED;
	store_notify_free(after);
	enum log_level level = gave_up ? LOG_ERROR : LOG_WARN;
	if (unset)
		level = first_unset_warning(ch->name) ? LOG_WARN : LOG_DEBUG;
	log_emit(level, 0, NULL, "notify", NULL, 0, "%s: %s",
		 gave_up ? "not sent" : "will retry", masked);
	free(masked);
	if (rc < 0)
		return -1;
	return gave_up ? 2 : 0;
}

int notify_send_due(struct store *s, const struct project *p, int max,
		    struct notify_stats *stats, struct err *e)
{
	if (stats)
		memset(stats, 0, sizeof *stats);
	if (max <= 0)
		max = 100;
	for (int i = 0; i < max; i++) {
		struct store_notification *n = NULL;
		int rc = store_notify_claim(s, &n, e);
		if (rc <= 0)
			return rc;
		rc = send_one(s, p, n, e);
		store_notify_free(n);
		if (rc < 0)
			return -1;
		if (stats) {
			stats->sent += rc == 1;
			stats->retrying += rc == 0;
			stats->failed += rc == 2;
		}
	}
	return 0;
}

/* ---- the thread -------------------------------------------------------------------- */
struct notifier {
	const struct project *project;
	struct store *store;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, woken;
	usec_t interval;          /* between passes; 0 = PASS_INTERVAL */
};

static void *notifier_main(void *arg)
{
	struct notifier *nt = arg;
	unsigned failures = 0;
	for (;;) {
		struct err e;
		err_clear(&e);
		/* A lost store is reported once by the store itself. */
		if (notify_send_due(nt->store, nt->project, 20, NULL, &e) < 0 &&
		    failures++ % 30 == 0 && !store_lost(nt->store))
			log_warn("notifications: %s", err_text(&e));
		pthread_mutex_lock(&nt->lock);
		if (!nt->stop && !nt->woken) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (nt->interval ? nt->interval : PASS_INTERVAL) / USEC_PER_SEC;
			pthread_cond_timedwait(&nt->cond, &nt->lock, &ts);
		}
		nt->woken = false;
		bool stop = nt->stop;
		pthread_mutex_unlock(&nt->lock);
		if (stop)
			break;
	}
	return NULL;
}

struct notifier *notify_start(const char *store_url, const struct store_options *opt,
			      const struct project *p, struct err *e)
{
	/* Mask every channel's secrets from the start, before anything could log them. */
	notify_mask_secrets(p);
	struct notifier *nt = xcalloc(1, sizeof *nt);
	nt->project = p;
	nt->store = store_open(store_url, opt, e);
	if (!nt->store) {
		free(nt);
		return NULL;
	}
	pthread_mutex_init(&nt->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&nt->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&nt->thread, NULL, notifier_main, nt) != 0) {
		store_close(nt->store);
		free(nt);
		err_set(e, ERR_INTERNAL, "cannot start the notification thread");
		return NULL;
	}
	return nt;
}

void notify_wake(struct notifier *nt)
{
	if (!nt)
		return;
	pthread_mutex_lock(&nt->lock);
	nt->woken = true;
	pthread_cond_signal(&nt->cond);
	pthread_mutex_unlock(&nt->lock);
}

void notify_set_interval(struct notifier *nt, usec_t interval)
{
	if (!nt)
		return;
	pthread_mutex_lock(&nt->lock);
	nt->interval = interval;
	pthread_mutex_unlock(&nt->lock);
}

void notify_stop(struct notifier *nt)
{
	if (!nt)
		return;
	pthread_mutex_lock(&nt->lock);
	nt->stop = true;
	pthread_cond_signal(&nt->cond);
	pthread_mutex_unlock(&nt->lock);
	pthread_join(nt->thread, NULL);
	store_close(nt->store);
	pthread_mutex_destroy(&nt->lock);
	pthread_cond_destroy(&nt->cond);
	free(nt);
}

void notify_mask_secrets(const struct project *p)
{
	for (size_t i = 0; i < p->nchannels; i++) {
		const struct project_channel *c = &p->channels[i];
		const char *vars[] = { c->webhook_env, c->secret_env, c->smtp_url_env,
				       c->password_env };
		for (size_t k = 0; k < ARRAY_LEN(vars); k++) {
			const char *v = env_of(vars[k]);
			if (v)
				log_add_secret(v);
		}
	}
}
