/*
 * digest.c - SHA-256 and HMAC-SHA256 from libcrypto.
 *
 * OpenSSL is in the process anyway (libcurl and libpq load it), and its
 * SHA-256 picks the processor's SHA instructions itself; this file only
 * keeps sluice's small interface (core.h) so callers never see EVP.
 * Allocation failures abort, as xalloc.c's do.
 */
#include "core.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdlib.h>

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha256;

/* Fetched once: an implicit fetch on every init costs a provider lookup. */
static void fetch_md(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256_md(void)
{
	pthread_once(&md_once, fetch_md);
	if (!md_sha256) {
		fprintf(stderr, "sluice: libcrypto has no SHA-256\n");
		abort();
	}
	return md_sha256;
}

static void digest_failed(void)
{
	fprintf(stderr, "sluice: SHA-256 failed in libcrypto (out of memory?)\n");
	abort();
}

void sha256_init(struct sha256 *c)
{
	const EVP_MD *md = sha256_md();
	c->md = EVP_MD_CTX_new();
	if (!c->md || EVP_DigestInit_ex(c->md, md, NULL) != 1)
		digest_failed();
}

void sha256_update(struct sha256 *c, const void *data, size_t n)
{
	if (n > 0 && EVP_DigestUpdate(c->md, data, n) != 1)
		digest_failed();
}

void sha256_final(struct sha256 *c, uint8_t digest[32])
{
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(c->md, digest, &len) != 1 || len != 32)
		digest_failed();
	sha256_free(c);
}

void sha256_free(struct sha256 *c)
{
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

void sha256_hex(const uint8_t digest[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[i * 2] = hex[digest[i] >> 4];
		out[i * 2 + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
}

void sha256_hex_of(const void *data, size_t n, char out[65])
{
	uint8_t d[32];
	unsigned int len = 0;
	if (EVP_Digest(data, n, d, &len, sha256_md(), NULL) != 1 || len != 32)
		digest_failed();
	sha256_hex(d, out);
}

void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
		 uint8_t out[32])
{
	unsigned int len = 0;
	/* HMAC() takes an int key length; keys here are secrets of a few
	 * dozen bytes, and an empty key needs a non-NULL pointer. */
	static const uint8_t none;
	if (keylen > INT32_MAX ||
	    !HMAC(sha256_md(), keylen ? key : &none, (int)keylen, msg, n, out, &len) ||
	    len != 32)
		digest_failed();
}
