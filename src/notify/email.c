/*
 * email.c - a notification as a plain-text mail, through libcurl's SMTP.
 *
 * smtps:// is TLS from the first byte; smtp:// upgrades with STARTTLS when
 * the server offers it (CURLUSESSL_TRY), so a local relay without TLS
 * still works, in clear text; "tls": "required" makes it CURLUSESSL_ALL
 * (no STARTTLS, no mail).  ca_file trusts a private CA.  The login and password come from the variables the
 * channel names.  A 4xx reply or a network error is passing (retried); a
 * 5xx reply (a refused login, an unknown recipient) is not.
 */
#include "notify/notify_int.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct upload {
	const char *data;
	size_t len, off;
};

static size_t on_read(char *out, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t room = size * n, left = u->len - u->off;
	size_t take = left < room ? left : room;
	memcpy(out, u->data + u->off, take);
	u->off += take;
	return take;
}

/* Lines end in CRLF on the wire, whatever the text used. */
static void put_crlf(struct buf *b, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			buf_putc(b, '\r');
		buf_putc(b, *p);
	}
}

static char *message(const struct outgoing *o)
{
	struct buf b = BUF_INIT;
	char date[64];
	time_t now = (time_t)(clock_now_us() / USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	char *subject = notify_render_subject(o);
	/* A header is one line: no text may start another. */
	for (char *c = subject; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	char *body = notify_render_body(o);
	buf_printf(&b, "Date: %s\r\nFrom: %s\r\nTo: ", date, o->ch->from);
	for (size_t i = 0; i < o->ch->nto; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", o->ch->to[i]);
	buf_printf(&b, "\r\nSubject: %s\r\nMessage-ID: <sluice-%lld-%lld@%s>\r\n"
		   "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: 8bit\r\nX-Sluice-Event: %s\r\n\r\n", subject,
		   (long long)o->n->id, (long long)now,
		   notify_detail_str(o, "host", "localhost"), o->n->event);
	put_crlf(&b, body);
	free(subject);
	free(body);
	return buf_detach(&b);
}

/* "<addr>" unless it is already bracketed or has a display name. */
static char *bracketed(const char *addr)
{
	const char *lt = strchr(addr, '<');
	if (lt) {
		const char *gt = strchr(lt, '>');
		return xasprintf("%.*s", (int)(gt ? gt - lt + 1 : (long)strlen(lt)), lt);
	}
	return xasprintf("<%s>", addr);
}

static void settle(CURL *c, CURLcode rc, const char *errbuf, struct delivery *d)
{
	if (rc == CURLE_OK) {
		d->ok = true;
		return;
	}
	long code = 0;
	/* A TLS failure after STARTTLS leaves the 220 of that command as the
	 * last reply: it is no verdict of the server's, and fixing the trust
	 * (ca_file) must let the message go, so it is retried. */
	bool tls = rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
		rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CACERT_BADFILE;
	if (!tls)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	d->error = code ? xasprintf("SMTP %ld: %s", code, errbuf[0] ? errbuf :
				    curl_easy_strerror(rc))
		: xstrdup(errbuf[0] ? errbuf : curl_easy_strerror(rc));
	/* No reply at all is a server away; 4xx is "try later". */
	d->retryable = code == 0 || (code >= 400 && code < 500);
}

void notify_email_send(const struct outgoing *o, const char *url, struct delivery *d)
{
	memset(d, 0, sizeof *d);
	const struct project_channel *ch = o->ch;
	const char *user = ch->username_env ? getenv(ch->username_env) : NULL;
	const char *pass = ch->password_env ? getenv(ch->password_env) : NULL;
	if (ch->username_env && (!user || !pass)) {
		d->error = xasprintf("environment variable %s is not set (it holds the SMTP "
				     "%s)", !user ? ch->username_env : ch->password_env,
				     !user ? "login" : "password");
		return;
	}
	CURL *c = lake_curl_handle(url, "smtp,smtps");
	char *msg = message(o);
	struct upload up = { msg, strlen(msg), 0 };
	char *from = bracketed(ch->from);
	struct curl_slist *rcpt = NULL;
	for (size_t i = 0; i < ch->nto; i++) {
		char *to = bracketed(ch->to[i]);
		rcpt = curl_slist_append(rcpt, to);
		free(to);
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (str_starts_with(url, "smtp://"))
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)(ch->tls_required ? CURLUSESSL_ALL
							      : CURLUSESSL_TRY));
	if (ch->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, ch->ca_file);
	if (user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	}
	notify_curl_bounded(c, errbuf);
	settle(c, curl_easy_perform(c), errbuf, d);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(from);
	free(msg);
}
