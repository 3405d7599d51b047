/*
 * lake_int.h - what the lake's files share: the backend table, the reader
 * and writer bases, libcurl plumbing and AWS Signature V4.
 *
 * Nothing outside src/lake includes this, except the module's own unit test
 * (which checks the signer against AWS's published examples).
 */
#ifndef SLUICE_LAKE_INT_H
#define SLUICE_LAKE_INT_H

#include <curl/curl.h>

#include "lake/lake.h"

/* ---- backends --------------------------------------------------------------
 * One table per backend (lake_file.c, s3.c, http.c).  lake.c checks keys and
 * prefixes before calling any of these, so backends may trust them. */
struct lake_ops {
	const char *name;
	int  (*open)(struct lake *lake, const char *rest, struct err *e);
	void (*close)(struct lake *lake);
	int  (*list)(struct lake *lake, const char *prefix, struct lake_listing *out,
		     struct err *e);
	int  (*stat)(struct lake *lake, const char *key, struct lake_entry *out,
		     struct err *e);
	struct lake_reader *(*read_open)(struct lake *lake, const char *key, struct err *e);
	struct lake_writer *(*write_open)(struct lake *lake, const char *key, struct err *e);
	int  (*remove)(struct lake *lake, const char *key, struct err *e);
};

struct lake {
	const struct lake_ops *ops;
	char *url;
	/* copies of lake_options' strings; NULL when not given */
	char *endpoint, *region, *access_key, *secret_key;
	usec_t connect_timeout, idle_timeout, timeout;
	void *priv;                 /* the backend's own state */
};

/* Backends embed these as their first member. */
struct lake_reader {
	ssize_t (*read)(struct lake_reader *r, void *buf, size_t n, struct err *e);
	void    (*close)(struct lake_reader *r);
};

struct lake_writer {
	int  (*write)(struct lake_writer *w, const void *data, size_t n, struct err *e);
	int  (*commit)(struct lake_writer *w, struct err *e);   /* frees w */
	void (*abort)(struct lake_writer *w);                   /* frees w */
	bool keep_existing;     /* lake_write_commit_new: never replace the key */
};

/* An existing key whose commit must not replace it: 1 when it holds the
 * `size` bytes of `fd` (read with pread), else -1 with ERR_CONFLICT (or
 * the error reading it).  `shown` names the key in messages. */
int lk_existing_key(struct lake *lake, const char *key, const char *shown, int fd,
		    off_t size, struct err *e);

extern const struct lake_ops lake_file_ops;
extern const struct lake_ops lake_s3_ops;
extern const struct lake_ops lake_http_ops;

void lake_entry_push(struct lake_listing *l, const char *key, int64_t size, usec_t mtime);

/* ---- libcurl (curl.c) ------------------------------------------------------ */
/* An easy handle with the lake's timeouts, http/https only, no signals, no
 * redirects (callers that want them turn them on). */
CURL *lk_curl_new(const struct lake *lake, const char *url);
/* The error for a failed transfer: "GET URL: <what went wrong>", with the
 * code ERR_TIMEOUT or ERR_IO.  `shown` is the URL as the user knows it
 * (masked through log_mask). */
int  lk_curl_fail(struct err *e, const char *method, const char *shown, CURLcode rc,
		  const char *errbuf);

/* A whole request whose response body is small (listings, errors): the
 * body is kept up to `max` bytes (anything beyond is dropped and flagged). */
struct lk_response {
	long    status;
	struct buf body;
	size_t  max;
	bool    truncated;
	char    errbuf[CURL_ERROR_SIZE];
};
CURLcode lk_curl_perform(CURL *h, struct lk_response *r);

/* A streamed GET: the body comes out in the caller's chunks; libcurl is
 * paused while more than LK_STREAM_HIGH bytes wait, so memory stays
 * bounded whatever the size.  lk_stream_start runs the transfer until the
 * status is known (first body byte, or the end); a non-2xx status keeps
 * (up to 16 KiB of) the body in `errbody` and reads nothing. */
#define LK_STREAM_HIGH (256 * 1024)
struct lk_stream {
	CURL   *easy;
	CURLM  *multi;
	struct buf data;           /* body bytes not yet read, from `pos` */
	size_t  pos;
	size_t  peak;              /* most bytes ever waiting (for tests) */
	bool    paused, done, in_error;
	CURLcode result;
	long    status;
	struct buf errbody;
	char    errbuf[CURL_ERROR_SIZE];
};
/* Takes ownership of `easy`.  Returns -1 only on a transport failure
 * (connection refused, timeout), with the error set from method/shown. */
int  lk_stream_start(struct lk_stream *s, CURL *easy, const char *method,
		     const char *shown, struct err *e);
ssize_t lk_stream_read(struct lk_stream *s, void *buf, size_t n, const char *method,
		       const char *shown, struct err *e);
void lk_stream_cleanup(struct lk_stream *s);

/* The http backend's reader, for tests that check the buffer bound. */
size_t lake_http_reader_peak(struct lake_reader *r);

/* ---- AWS Signature Version 4 (sigv4.c) ------------------------------------- */
struct sigv4_param {
	const char *name;
	const char *value;
};

struct sigv4_request {
	const char *method;
	const char *uri;            /* the path as sent: already URI-encoded */
	const struct sigv4_param *query;   /* raw (unencoded) names and values */
	size_t nquery;
	const struct sigv4_param *headers; /* every header to sign, any case */
	size_t nheaders;
	const char *payload_hash;   /* hex SHA-256 of the body */
	const char *amz_date;       /* "20130524T000000Z" */
	const char *region;
	const char *service;        /* "s3" */
	const char *access_key;
	const char *secret_key;
};

/* Append the URI encoding of s (RFC 3986 unreserved kept, '/' kept when
 * keep_slash) to out, as S3 wants it for paths and query strings. */
void lk_sigv4_uri_encode(struct buf *out, const char *s, bool keep_slash);
/* The canonical query string (sorted, encoded): also what goes on the wire. */
void lk_sigv4_query_string(const struct sigv4_param *q, size_t n, struct buf *out);
/* Sign: fills the Authorization header value; canonical and to_sign (may be
 * NULL) receive the canonical request and the string to sign. */
void lk_sigv4_sign(const struct sigv4_request *r, struct buf *authorization,
		   struct buf *canonical, struct buf *to_sign);
/* "20130524T000000Z" for time t. */
void lk_sigv4_amz_date(usec_t t, char out[17]);

#endif
