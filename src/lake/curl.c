/*
 * curl.c - the libcurl plumbing shared by the s3 and http backends.
 *
 * Two shapes of request: a whole request whose (small) response body is
 * kept, for listings, metadata and errors; and a streamed GET that the
 * caller pulls in its own chunks.  The stream drives a multi handle only
 * when the caller wants bytes and pauses the transfer while more than
 * LK_STREAM_HIGH bytes wait, so a reader of a 10 GiB object holds a few
 * hundred KiB.
 */
#include "config.h"

#include "lake/lake_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURL *lake_curl_handle(const char *url, const char *protocols)
{
	pthread_once(&curl_once, curl_init_once);
	CURL *h = curl_easy_init();
	if (!h) {
		fprintf(stderr, "sluice: out of memory creating a transfer\n");
		abort();
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sluice/" PACKAGE_VERSION);
	return h;
}

CURL *lk_curl_new(const struct lake *lake, const char *url)
{
	CURL *h = lake_curl_handle(url, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(lake->connect_timeout / 1000));
	/* "Idle": less than one byte a second for that many seconds. */
	long idle = (long)((lake->idle_timeout + USEC_PER_SEC - 1) / USEC_PER_SEC);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, idle > 0 ? idle : 1L);
	if (lake->timeout > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(lake->timeout / 1000));
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	return h;
}

int lk_curl_fail(struct err *e, const char *method, const char *shown, CURLcode rc,
		 const char *errbuf)
{
	char *url = log_mask(shown);
	char *detail = log_mask(errbuf && *errbuf ? errbuf : curl_easy_strerror(rc));
	enum err_code code = rc == CURLE_OPERATION_TIMEDOUT ? ERR_TIMEOUT : ERR_IO;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		err_set(e, code, "%s %s: timed out (%s)", method, url, detail);
	else
		err_set(e, code, "%s %s: %s", method, url, detail);
	free(detail);
	free(url);
	return -1;
}

/* ---- whole requests --------------------------------------------------------- */

static size_t keep_body(char *p, size_t size, size_t n, void *arg)
{
	struct lk_response *r = arg;
	size_t len = size * n;
	size_t room = r->max > r->body.len ? r->max - r->body.len : 0;
	if (len > room)
		r->truncated = true;
	buf_append(&r->body, p, len < room ? len : room);
	return len;
}

CURLcode lk_curl_perform(CURL *h, struct lk_response *r)
{
	r->errbuf[0] = '\0';
	r->status = 0;
	r->truncated = false;
	buf_reset(&r->body);
	if (!r->max)
		r->max = 64 * 1024;
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	return rc;
}

/* ---- streamed GET -------------------------------------------------------------- */

#define ERRBODY_MAX (16 * 1024)

static size_t stream_body(char *p, size_t size, size_t n, void *arg)
{
	struct lk_stream *s = arg;
	size_t len = size * n;
	if (!s->status)
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status < 200 || s->status > 299) {
		s->in_error = true;
		size_t room = ERRBODY_MAX > s->errbody.len ? ERRBODY_MAX - s->errbody.len : 0;
		buf_append(&s->errbody, p, len < room ? len : room);
		return len;
	}
	if (s->data.len - s->pos >= LK_STREAM_HIGH) {
		s->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (s->pos == s->data.len) {
		buf_reset(&s->data);
		s->pos = 0;
	}
	buf_append(&s->data, p, len);
	if (s->data.len - s->pos > s->peak)
		s->peak = s->data.len - s->pos;
	return len;
}

/* Move the transfer along once: perform, and wait for the socket only
 * when that brought nothing (a paused transfer is not watched, so waiting
 * then would sleep the whole poll timeout). */
static void pump(struct lk_stream *s)
{
	int running = 0;
	size_t before = s->data.len - s->pos, err_before = s->errbody.len;
	curl_multi_perform(s->multi, &running);
	if (!running) {
		int left;
		CURLMsg *m;
		while ((m = curl_multi_info_read(s->multi, &left)) != NULL)
			if (m->msg == CURLMSG_DONE)
				s->result = m->data.result;
		s->done = true;
		if (!s->status)
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
		return;
	}
	if (s->data.len - s->pos > before || s->errbody.len > err_before || s->paused)
		return;
	curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
}

int lk_stream_start(struct lk_stream *s, CURL *easy, const char *method, const char *shown,
		    struct err *e)
{
	memset(s, 0, sizeof *s);
	s->easy = easy;
	s->multi = curl_multi_init();
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, stream_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_multi_add_handle(s->multi, easy);
	while (!s->done && s->data.len == 0 && !s->in_error)
		pump(s);
	/* An error status: read the (short) body to the end for its message. */
	while (!s->done && s->in_error)
		pump(s);
	/* A failure after some data shows at the read that reaches it. */
	if (s->done && s->result != CURLE_OK && !s->in_error && s->data.len == 0)
		return lk_curl_fail(e, method, shown, s->result, s->errbuf);
	return 0;
}

ssize_t lk_stream_read(struct lk_stream *s, void *buf, size_t n, const char *method,
		       const char *shown, struct err *e)
{
	while (s->pos == s->data.len) {
		if (s->done) {
			if (s->result != CURLE_OK)
				return lk_curl_fail(e, method, shown, s->result, s->errbuf);
			return 0;
		}
		if (s->paused) {
			s->paused = false;
			/* May call stream_body right away with the held chunk. */
			curl_easy_pause(s->easy, CURLPAUSE_CONT);
			if (s->pos < s->data.len)
				break;
		}
		pump(s);
	}
	size_t avail = s->data.len - s->pos;
	size_t take = avail < n ? avail : n;
	memcpy(buf, s->data.data + s->pos, take);
	s->pos += take;
	return (ssize_t)take;
}

void lk_stream_cleanup(struct lk_stream *s)
{
	if (s->multi) {
		curl_multi_remove_handle(s->multi, s->easy);
		curl_multi_cleanup(s->multi);
	}
	if (s->easy)
		curl_easy_cleanup(s->easy);
	buf_free(&s->data);
	buf_free(&s->errbody);
	memset(s, 0, sizeof *s);
}
