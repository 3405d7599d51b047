/*
 * http.c - a read-only lake on a web server (`http(s)://host/base`), and
 * downloads from any URL into any writable lake (the `http` step).
 *
 * Downloads into a lake are download.c's.
 *
 * A key is fetched from BASE/KEY (URI-encoded, slashes kept).  A web server
 * has no listing we could trust, so list is refused with a clear error;
 * writes and deletes are refused by lake.c because this backend has none.
 */
#include "lake/lake_int.h"

#include <stdlib.h>
#include <string.h>

struct http_lake {
	char *base;          /* the URL without trailing '/' */
};

static int http_open(struct lake *lake, const char *rest, struct err *e)
{
	if (!*rest || *rest == '/')
		return err_set(e, ERR_INVALID, "lake URL \"%s\": no host", lake->url);
	struct http_lake *hl = xcalloc(1, sizeof *hl);
	hl->base = xstrdup(lake->url);
	size_t n = strlen(hl->base);
	while (n && hl->base[n - 1] == '/')
		hl->base[--n] = '\0';
	lake->priv = hl;
	return 0;
}

static void http_close(struct lake *lake)
{
	struct http_lake *hl = lake->priv;
	if (hl)
		free(hl->base);
	free(hl);
}

static char *key_url(const struct lake *lake, const char *key)
{
	const struct http_lake *hl = lake->priv;
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/", hl->base);
	lk_sigv4_uri_encode(&b, key, true);
	return buf_detach(&b);
}

static int status_error(struct err *e, const char *method, const char *url, long status)
{
	char *shown = log_mask(url);
	err_set(e, status == 404 || status == 410 ? ERR_NOTFOUND : ERR_IO, "%s %s: HTTP %ld",
		method, shown, status);
	free(shown);
	return -1;
}

static int http_stat(struct lake *lake, const char *key, struct lake_entry *out,
		     struct err *e)
{
	char *url = key_url(lake, key);
	CURL *h = lk_curl_new(lake, url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	struct lk_response r = { .max = 1024 };
	CURLcode rc = lk_curl_perform(h, &r);
	int ret = 0;
	if (rc != CURLE_OK) {
		ret = lk_curl_fail(e, "HEAD", url, rc, r.errbuf);
	} else if (r.status < 200 || r.status > 299) {
		ret = status_error(e, "HEAD", url, r.status);
	} else {
		curl_off_t len = -1, when = -1;
		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
		curl_easy_getinfo(h, CURLINFO_FILETIME_T, &when);
		out->size = len >= 0 ? (int64_t)len : -1;
		out->mtime = when >= 0 ? (usec_t)when * USEC_PER_SEC : 0;
	}
	buf_free(&r.body);
	curl_easy_cleanup(h);
	free(url);
	return ret;
}

struct http_reader {
	struct lake_reader base;
	struct lk_stream s;
	char *url;
};

static ssize_t http_read(struct lake_reader *base, void *buf, size_t n, struct err *e)
{
	struct http_reader *r = (struct http_reader *)base;
	return lk_stream_read(&r->s, buf, n, "GET", r->url, e);
}

static void http_read_close(struct lake_reader *base)
{
	struct http_reader *r = (struct http_reader *)base;
	lk_stream_cleanup(&r->s);
	free(r->url);
	free(r);
}

size_t lake_http_reader_peak(struct lake_reader *base)
{
	return ((struct http_reader *)base)->s.peak;
}

static struct lake_reader *http_read_open(struct lake *lake, const char *key, struct err *e)
{
	struct http_reader *r = xcalloc(1, sizeof *r);
	r->base.read = http_read;
	r->base.close = http_read_close;
	r->url = key_url(lake, key);
	CURL *h = lk_curl_new(lake, r->url);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	if (lk_stream_start(&r->s, h, "GET", r->url, e) < 0) {
		http_read_close(&r->base);
		return NULL;
	}
	if (r->s.in_error) {
		status_error(e, "GET", r->url, r->s.status);
		http_read_close(&r->base);
		return NULL;
	}
	return &r->base;
}

const struct lake_ops lake_http_ops = {
	.name = "http",
	.open = http_open,
	.close = http_close,
	.stat = http_stat,
	.read_open = http_read_open,
};
