/*
 * parquet_codec.c - page compression (none, gzip through zlib, zstd, and
 * Snappy for reading, which is what most other writers use by default)
 * and the RLE/bit-packed hybrid that carries definition levels and
 * dictionary indices.
 *
 * Every decoder is told the size the page header promises and holds the
 * data to it: a page that inflates to more or less is corrupt, and nothing
 * is allocated beyond what the header declared (which the reader has
 * already held to its limit).
 */
#include "format/format_int.h"

#include <string.h>
#include <zlib.h>
#include <zstd.h>

const char *pq_codec_name(int codec)
{
	switch (codec) {
	case PQ_UNCOMPRESSED: return "none";
	case PQ_SNAPPY: return "snappy";
	case PQ_GZIP: return "gzip";
	case 3: return "lzo";
	case 4: return "brotli";
	case 5: return "lz4";
	case PQ_ZSTD: return "zstd";
	case 7: return "lz4_raw";
	}
	return "unknown";
}

static int gzip_compress(const void *src, size_t n, struct buf *out, struct err *e)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	/* 15 + 16: a gzip stream (RFC 1952), which is what Parquet's GZIP means */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return err_set(e, ERR_INTERNAL, "gzip: cannot start the compressor");
	size_t bound = deflateBound(&z, (uLong)n);
	buf_reserve(out, bound + 1);
	z.next_in = (Bytef *)src;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out->data + out->len;
	z.avail_out = (uInt)bound;
	int rc = deflate(&z, Z_FINISH);
	size_t made = bound - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
		return err_set(e, ERR_INTERNAL, "gzip: compression failed (%d)", rc);
	out->len += made;
	return 0;
}

static int gzip_decompress(const uint8_t *src, size_t n, size_t want, struct buf *out,
			   struct err *e)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 32) != Z_OK)   /* gzip or zlib header */
		return err_set(e, ERR_INTERNAL, "gzip: cannot start the decompressor");
	buf_reserve(out, want + 1);
	z.next_in = (Bytef *)src;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)want;
	int rc = inflate(&z, Z_FINISH);
	size_t made = want - z.avail_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END || made != want)
		return err_set(e, ERR_PARSE, "gzip data is corrupt or not the %zu bytes the page "
			       "header declares", want);
	out->len = made;
	return 0;
}

static int zstd_compress(const void *src, size_t n, struct buf *out, struct err *e)
{
	size_t bound = ZSTD_compressBound(n);
	buf_reserve(out, bound + 1);
	size_t made = ZSTD_compress(out->data + out->len, bound, src, n, 3);
	if (ZSTD_isError(made))
		return err_set(e, ERR_INTERNAL, "zstd: %s", ZSTD_getErrorName(made));
	out->len += made;
	return 0;
}

static int zstd_decompress(const uint8_t *src, size_t n, size_t want, struct buf *out,
			   struct err *e)
{
	buf_reserve(out, want + 1);
	size_t made = ZSTD_decompress(out->data, want, src, n);
	if (ZSTD_isError(made) || made != want)
		return err_set(e, ERR_PARSE, "zstd data is corrupt or not the %zu bytes the page "
			       "header declares%s%s", want, ZSTD_isError(made) ? ": " : "",
			       ZSTD_isError(made) ? ZSTD_getErrorName(made) : "");
	out->len = made;
	return 0;
}

/* Snappy's raw format: the length, then literals and back-references. */
static int snappy_decompress(const uint8_t *p, size_t n, size_t want, struct buf *out,
			     struct err *e)
{
	const uint8_t *end = p + n;
	uint64_t len = 0;
	for (int shift = 0; shift < 35; shift += 7) {
		if (p >= end)
			goto corrupt;
		len |= (uint64_t)(*p & 0x7f) << shift;
		if (!(*p++ & 0x80))
			break;
	}
	if (len != want)
		goto corrupt;
	buf_reserve(out, want + 1);
	uint8_t *o = (uint8_t *)out->data;
	size_t at = 0;
	while (p < end) {
		uint8_t tag = *p++;
		size_t l, off;
		if ((tag & 3) == 0) {
			l = tag >> 2;
			if (l >= 60) {
				size_t k = l - 59;
				if ((size_t)(end - p) < k)
					goto corrupt;
				l = 0;
				for (size_t i = 0; i < k; i++)
					l |= (size_t)p[i] << (8 * i);
				p += k;
			}
			l++;
			if ((size_t)(end - p) < l || want - at < l)
				goto corrupt;
			memcpy(o + at, p, l);
			p += l;
			at += l;
			continue;
		}
		if ((tag & 3) == 1) {
			if (p >= end)
				goto corrupt;
			l = 4 + ((tag >> 2) & 7);
			off = (size_t)(tag >> 5) << 8 | *p++;
		} else {
			size_t k = (tag & 3) == 2 ? 2 : 4;
			if ((size_t)(end - p) < k)
				goto corrupt;
			l = (size_t)(tag >> 2) + 1;
			off = 0;
			for (size_t i = 0; i < k; i++)
				off |= (size_t)p[i] << (8 * i);
			p += k;
		}
		if (off == 0 || off > at || want - at < l)
			goto corrupt;
		for (size_t i = 0; i < l; i++, at++)
			o[at] = o[at - off];   /* may overlap: byte by byte */
	}
	if (at != want)
		goto corrupt;
	out->len = want;
	return 0;
corrupt:
	return err_set(e, ERR_PARSE, "snappy data is corrupt or not the %zu bytes the page "
		       "header declares", want);
}

int pq_compress(int codec, const void *src, size_t n, struct buf *out, struct err *e)
{
	switch (codec) {
	case PQ_UNCOMPRESSED:
		buf_append(out, src, n);
		return 0;
	case PQ_GZIP: return gzip_compress(src, n, out, e);
	case PQ_ZSTD: return zstd_compress(src, n, out, e);
	}
	return err_set(e, ERR_INVALID, "cannot write %s compression", pq_codec_name(codec));
}

int pq_decompress(int codec, const uint8_t *src, size_t n, size_t want, struct buf *out,
		  struct err *e)
{
	buf_reset(out);
	switch (codec) {
	case PQ_UNCOMPRESSED:
		if (n != want)
			return err_set(e, ERR_PARSE, "an uncompressed page of %zu bytes declares "
				       "%zu", n, want);
		buf_append(out, src, n);
		return 0;
	case PQ_SNAPPY: return snappy_decompress(src, n, want, out, e);
	case PQ_GZIP: return gzip_decompress(src, n, want, out, e);
	case PQ_ZSTD: return zstd_decompress(src, n, want, out, e);
	}
	return err_set(e, ERR_PARSE, "%s compression (codec %d) is not supported "
		       "(sluice reads none, snappy, gzip and zstd)", pq_codec_name(codec), codec);
}

/* ---- RLE / bit-packed hybrid ---------------------------------------------------------- */

/* Runs of 8 or more equal values as RLE runs, the rest bit-packed in
 * groups of 8 (the last group padded with zeros). */
void pq_rle_encode(struct buf *b, const uint32_t *v, size_t n, int bit_width)
{
	size_t bytes = (size_t)(bit_width + 7) / 8;
	size_t i = 0;
	while (i < n) {
		size_t run = 1;
		while (i + run < n && v[i + run] == v[i])
			run++;
		if (run >= 8 || i + run == n) {
			tw_varint(b, (uint64_t)run << 1);
			for (size_t k = 0; k < bytes; k++)
				buf_putc(b, (char)(v[i] >> (8 * k)));
			i += run;
			continue;
		}
		/* bit-pack groups of 8 until a long run starts at a group's end */
		size_t start = i;
		for (;;) {
			i = n - i > 8 ? i + 8 : n;
			if (i == n)
				break;
			size_t r = 1;
			while (i + r < n && v[i + r] == v[i] && r < 8)
				r++;
			if (r >= 8)
				break;
		}
		size_t end = i;
		size_t groups = (end - start + 7) / 8;
		tw_varint(b, (uint64_t)groups << 1 | 1);
		uint64_t acc = 0;
		int have = 0;
		for (size_t k = 0; k < groups * 8; k++) {
			uint64_t x = start + k < end ? v[start + k] : 0;
			acc |= x << have;
			have += bit_width;
			while (have >= 8) {
				buf_putc(b, (char)acc);
				acc >>= 8;
				have -= 8;
			}
		}
	}
}

int pq_rle_decode(const uint8_t *p, size_t len, int bit_width, uint32_t *out, size_t n)
{
	if (bit_width < 0 || bit_width > 32)
		return -1;
	const uint8_t *end = p + len;
	size_t bytes = (size_t)(bit_width + 7) / 8;
	uint32_t mask = bit_width == 32 ? UINT32_MAX : ((uint32_t)1 << bit_width) - 1;
	size_t at = 0;
	while (at < n) {
		uint64_t h = 0;
		int shift = 0;
		for (;;) {
			if (p >= end || shift > 35)
				return -1;
			h |= (uint64_t)(*p & 0x7f) << shift;
			shift += 7;
			if (!(*p++ & 0x80))
				break;
		}
		if (h & 1) {
			uint64_t count = (h >> 1) * 8;
			if (count == 0 || (uint64_t)(end - p) * 8 < count * (uint64_t)bit_width)
				return -1;
			uint64_t acc = 0;
			int have = 0;
			for (uint64_t k = 0; k < count; k++) {
				while (have < bit_width) {
					acc |= (uint64_t)*p++ << have;
					have += 8;
				}
				uint32_t x = (uint32_t)(acc & mask);
				acc >>= bit_width;
				have -= bit_width;
				if (at < n)
					out[at++] = x;
			}
		} else {
			uint64_t count = h >> 1;
			if (count == 0 || (size_t)(end - p) < bytes)
				return -1;
			uint32_t x = 0;
			for (size_t k = 0; k < bytes; k++)
				x |= (uint32_t)*p++ << (8 * k);
			if (x & ~mask)
				return -1;
			for (uint64_t k = 0; k < count && at < n; k++)
				out[at++] = x;
		}
	}
	return 0;
}
