/*
 * gzip.c - gzip streams through zlib, between the caller's bytes and the
 * readers and writers.
 *
 * Reading: the first two bytes decide (gzip's magic 1f 8b), whatever the
 * file is called; a file whose name says gzip must be gzip.  Members
 * written one after another (gzip's own `cat a.gz b.gz`, pigz) are read as
 * one text.  Everything downstream counts lines and columns in the
 * decompressed text, so positions in errors are positions a user sees with
 * zcat.  A stream that ends before its trailer (a truncated download) or
 * fails its CRC is an I/O error of the read, which the readers make fatal:
 * a file is never loaded in part because its end was lost.
 *
 * Memory: one input chunk and zlib's 32 KiB window, whatever the size.
 */
#include "format/format_int.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define GZ_CHUNK 65536

struct fmt_gunzip {
	fmt_read_fn read;
	void *arg;
	bool must_be_gzip;
	bool started, inflating, ended, in_eof;
	z_stream z;
	unsigned char *in;
	size_t in_len;            /* bytes in `in` (passthrough: not yet served) */
	size_t in_pos;
	uint64_t compressed;      /* bytes taken from the caller */
};

struct fmt_gunzip *fmt_gunzip_new(fmt_read_fn read, void *arg, enum fmt_compression c)
{
	struct fmt_gunzip *g = xcalloc(1, sizeof *g);
	g->read = read;
	g->arg = arg;
	g->must_be_gzip = c == FMT_COMPRESSION_GZIP;
	g->in = xmalloc(GZ_CHUNK);
	return g;
}

void fmt_gunzip_free(struct fmt_gunzip *g)
{
	if (!g)
		return;
	if (g->inflating || g->ended)
		inflateEnd(&g->z);
	free(g->in);
	free(g);
}

/* More compressed bytes into `in` after what is unread; false at the end
 * or on error (*failed). */
static bool refill(struct fmt_gunzip *g, bool *failed, struct err *e)
{
	if (g->in_pos > 0) {
		memmove(g->in, g->in + g->in_pos, g->in_len - g->in_pos);
		g->in_len -= g->in_pos;
		g->in_pos = 0;
	}
	if (g->in_eof || g->in_len == GZ_CHUNK)
		return false;
	ssize_t n = g->read(g->arg, g->in + g->in_len, GZ_CHUNK - g->in_len, e);
	if (n < 0) {
		*failed = true;
		return false;
	}
	if (n == 0) {
		g->in_eof = true;
		return false;
	}
	g->in_len += (size_t)n;
	g->compressed += (uint64_t)n;
	return true;
}

static bool magic_at(const struct fmt_gunzip *g)
{
	return g->in_len - g->in_pos >= 2 && g->in[g->in_pos] == 0x1f &&
	       g->in[g->in_pos + 1] == 0x8b;
}

/* Look at the first bytes: gzip or not. */
static int start(struct fmt_gunzip *g, struct err *e)
{
	g->started = true;
	bool failed = false;
	while (g->in_len < 2 && refill(g, &failed, e))
		;
	if (failed)
		return -1;
	if (!magic_at(g)) {
		if (g->must_be_gzip)
			return err_set(e, ERR_PARSE, "the file's name ends in .gz but it is not "
				       "gzip data (%s)", g->in_len ? "no gzip header" : "it is empty");
		return 0;
	}
	if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK)
		return err_set(e, ERR_INTERNAL, "gzip: cannot start zlib");
	g->inflating = true;
	return 0;
}

static int corrupt(struct fmt_gunzip *g, struct err *e)
{
	uint64_t at = g->compressed - (g->in_len - g->in_pos);
	return err_set(e, ERR_PARSE, "corrupt gzip data near compressed byte %llu: %s",
		       (unsigned long long)at, g->z.msg ? g->z.msg : "invalid data");
}

static int truncated(struct fmt_gunzip *g, struct err *e)
{
	return err_set(e, ERR_PARSE, "the gzip data ends early, after %llu compressed bytes "
		       "(a truncated file?)",
		       (unsigned long long)g->compressed);
}

/* A member ended: another may follow, or the input ends. */
static int member_end(struct fmt_gunzip *g, struct err *e)
{
	bool failed = false;
	while (g->in_len - g->in_pos < 2 && refill(g, &failed, e))
		;
	if (failed)
		return -1;
	if (g->in_len == g->in_pos) {
		g->inflating = false;
		g->ended = true;
		return 0;
	}
	if (!magic_at(g))
		return err_set(e, ERR_PARSE, "data that is not gzip after the end of the gzip "
			       "stream (at compressed byte %llu)",
			       (unsigned long long)(g->compressed - (g->in_len - g->in_pos)));
	inflateReset(&g->z);
	return 0;
}

static ssize_t inflate_some(struct fmt_gunzip *g, void *buf, size_t n, struct err *e)
{
	for (;;) {
		if (g->in_pos == g->in_len) {
			bool failed = false;
			if (!refill(g, &failed, e) && failed)
				return -1;
		}
		g->z.next_in = g->in + g->in_pos;
		g->z.avail_in = (uInt)(g->in_len - g->in_pos);
		g->z.next_out = buf;
		g->z.avail_out = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
		int rc = inflate(&g->z, Z_NO_FLUSH);
		g->in_pos = g->in_len - g->z.avail_in;
		size_t made = (size_t)((unsigned char *)g->z.next_out - (unsigned char *)buf);
		if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR)
			return corrupt(g, e);
		if (rc == Z_MEM_ERROR)
			return err_set(e, ERR_INTERNAL, "gzip: out of memory");
		if (rc == Z_STREAM_END && member_end(g, e) < 0)
			return -1;
		if (made > 0)
			return (ssize_t)made;
		if (g->ended)
			return 0;
		if (rc == Z_BUF_ERROR && g->in_eof && g->in_pos == g->in_len)
			return truncated(g, e);
	}
}

ssize_t fmt_gunzip_read(void *arg, void *buf, size_t n, struct err *e)
{
	struct fmt_gunzip *g = arg;
	if (!g->started && start(g, e) < 0)
		return -1;
	if (g->inflating)
		return inflate_some(g, buf, n, e);
	if (g->ended)
		return 0;
	if (g->in_pos < g->in_len) {
		size_t take = g->in_len - g->in_pos < n ? g->in_len - g->in_pos : n;
		memcpy(buf, g->in + g->in_pos, take);
		g->in_pos += take;
		return (ssize_t)take;
	}
	return g->in_eof ? 0 : g->read(g->arg, buf, n, e);
}

/* ---- writing ----------------------------------------------------------------------- */

struct fmt_gzip_out {
	fmt_write_fn write;
	void *arg;
	z_stream z;
	unsigned char *out;
};

struct fmt_gzip_out *fmt_gzip_out_new(fmt_write_fn write, void *arg, struct err *e)
{
	struct fmt_gzip_out *g = xcalloc(1, sizeof *g);
	g->write = write;
	g->arg = arg;
	if (deflateInit2(&g->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		err_set(e, ERR_INTERNAL, "gzip: cannot start zlib");
		return NULL;
	}
	g->out = xmalloc(GZ_CHUNK);
	return g;
}

static int deflate_some(struct fmt_gzip_out *g, const void *data, size_t n, int flush,
			struct err *e)
{
	g->z.next_in = (unsigned char *)data;
	g->z.avail_in = (uInt)n;
	for (;;) {
		g->z.next_out = g->out;
		g->z.avail_out = GZ_CHUNK;
		int rc = deflate(&g->z, flush);
		if (rc == Z_STREAM_ERROR)
			return err_set(e, ERR_INTERNAL, "gzip: deflate failed");
		size_t made = GZ_CHUNK - g->z.avail_out;
		if (made && g->write(g->arg, g->out, made, e) < 0)
			return -1;
		if (flush == Z_FINISH ? rc == Z_STREAM_END : g->z.avail_out != 0)
			return 0;
	}
}

int fmt_gzip_out_write(struct fmt_gzip_out *g, const void *data, size_t n, struct err *e)
{
	while (n > 0) {
		size_t take = n > UINT32_MAX ? UINT32_MAX : n;
		if (deflate_some(g, data, take, Z_NO_FLUSH, e) < 0)
			return -1;
		data = (const unsigned char *)data + take;
		n -= take;
	}
	return 0;
}

int fmt_gzip_out_finish(struct fmt_gzip_out *g, struct err *e)
{
	return deflate_some(g, NULL, 0, Z_FINISH, e);
}

void fmt_gzip_out_free(struct fmt_gzip_out *g)
{
	if (!g)
		return;
	deflateEnd(&g->z);
	free(g->out);
	free(g);
}

enum fmt_compression fmt_compression_of_name(const char *name)
{
	return name && str_ends_with(name, ".gz") ? FMT_COMPRESSION_GZIP : FMT_COMPRESSION_AUTO;
}
