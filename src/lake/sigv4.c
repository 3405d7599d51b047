/*
 * sigv4.c - AWS Signature Version 4 for S3 requests.
 *
 * The request is reduced to a canonical text (method, encoded path, sorted
 * encoded query, sorted lower-case headers, the payload's hash), whose hash
 * is signed with a key derived from the secret, the date, the region and
 * the service.  Kept apart from s3.c so the unit test can hold it against
 * AWS's published examples byte for byte.
 */
#include "lake/lake_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void lk_sigv4_uri_encode(struct buf *out, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		/* ASCII only: isalnum() would follow the locale. */
		bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
		if (unreserved || (c == '/' && keep_slash)) {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

struct pair {
	char *name, *value;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

void lk_sigv4_query_string(const struct sigv4_param *q, size_t n, struct buf *out)
{
	struct pair *pairs = xcalloc(n ? n : 1, sizeof *pairs);
	for (size_t i = 0; i < n; i++) {
		struct buf b = BUF_INIT;
		lk_sigv4_uri_encode(&b, q[i].name, false);
		pairs[i].name = xstrdup(buf_str(&b));
		buf_reset(&b);
		lk_sigv4_uri_encode(&b, q[i].value ? q[i].value : "", false);
		pairs[i].value = xstrdup(buf_str(&b));
		buf_free(&b);
	}
	qsort(pairs, n, sizeof *pairs, pair_cmp);
	for (size_t i = 0; i < n; i++) {
		buf_printf(out, "%s%s=%s", i ? "&" : "", pairs[i].name, pairs[i].value);
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
}

/* Lower-case name; value trimmed with inner runs of spaces collapsed. */
static void canonical_header(const struct sigv4_param *h, struct pair *out)
{
	out->name = xstrdup(h->name);
	for (char *p = out->name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	struct buf v = BUF_INIT;
	const char *s = h->value ? h->value : "";
	while (*s == ' ' || *s == '\t')
		s++;
	bool space = false;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t') {
			space = true;
			continue;
		}
		if (space && v.len)
			buf_putc(&v, ' ');
		space = false;
		buf_putc(&v, *s);
	}
	out->value = xstrdup(buf_str(&v));
	buf_free(&v);
}

static void hmac(const void *key, size_t keylen, const char *msg, uint8_t out[32])
{
	hmac_sha256(key, keylen, msg, strlen(msg), out);
}

void lk_sigv4_sign(const struct sigv4_request *r, struct buf *authorization,
		   struct buf *canonical, struct buf *to_sign)
{
	struct buf creq = BUF_INIT, signed_headers = BUF_INIT, sts = BUF_INIT;
	buf_printf(&creq, "%s\n%s\n", r->method, r->uri);
	lk_sigv4_query_string(r->query, r->nquery, &creq);
	buf_putc(&creq, '\n');

	struct pair *hs = xcalloc(r->nheaders ? r->nheaders : 1, sizeof *hs);
	for (size_t i = 0; i < r->nheaders; i++)
		canonical_header(&r->headers[i], &hs[i]);
	qsort(hs, r->nheaders, sizeof *hs, pair_cmp);
	for (size_t i = 0; i < r->nheaders; i++) {
		buf_printf(&creq, "%s:%s\n", hs[i].name, hs[i].value);
		buf_printf(&signed_headers, "%s%s", i ? ";" : "", hs[i].name);
		free(hs[i].name);
		free(hs[i].value);
	}
	free(hs);
	buf_printf(&creq, "\n%s\n%s", buf_str(&signed_headers), r->payload_hash);

	char date[9];
	snprintf(date, sizeof date, "%.8s", r->amz_date);
	char *scope = xasprintf("%s/%s/%s/aws4_request", date, r->region, r->service);
	char creq_hash[65];
	sha256_hex_of(creq.data, creq.len, creq_hash);
	buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, scope, creq_hash);

	char *k_secret = xasprintf("AWS4%s", r->secret_key);
	uint8_t k_date[32], k_region[32], k_service[32], k_signing[32], sig[32];
	hmac(k_secret, strlen(k_secret), date, k_date);
	hmac(k_date, 32, r->region, k_region);
	hmac(k_region, 32, r->service, k_service);
	hmac(k_service, 32, "aws4_request", k_signing);
	hmac_sha256(k_signing, 32, sts.data, sts.len, sig);
	char sig_hex[65];
	sha256_hex(sig, sig_hex);
	/* The derived keys are as good as the secret for a day: wipe them. */
	memset(k_secret, 0, strlen(k_secret));
	memset(k_date, 0, sizeof k_date);
	memset(k_region, 0, sizeof k_region);
	memset(k_service, 0, sizeof k_service);
	memset(k_signing, 0, sizeof k_signing);
	free(k_secret);

	buf_printf(authorization, "AWS4-HMAC-SHA256 Credential=%s/%s,SignedHeaders=%s,Signature=%s",
		   r->access_key, scope, buf_str(&signed_headers), sig_hex);
	if (canonical)
		buf_append(canonical, creq.data, creq.len);
	if (to_sign)
		buf_append(to_sign, sts.data, sts.len);
	free(scope);
	buf_free(&creq);
	buf_free(&signed_headers);
	buf_free(&sts);
}

void lk_sigv4_amz_date(usec_t t, char out[17])
{
	time_t secs = (time_t)(t / USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}
