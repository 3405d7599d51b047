/*
 * input.c - bytes from the caller's callback, a chunk at a time, with the
 * line and column of each, a BOM skipped at the start and UTF-8 checked
 * sequence by sequence.
 *
 * Only the chunk buffer lives here; records are assembled by the parsers,
 * so the memory held is one chunk whatever the size of the input.
 */
#include "format/format_int.h"

#include <stdlib.h>
#include <string.h>

void fmt_in_init(struct fmt_input *in, fmt_read_fn read, void *arg, size_t chunk)
{
	memset(in, 0, sizeof *in);
	in->read = read;
	in->arg = arg;
	in->chunk = chunk ? chunk : 65536;
	in->cap = in->chunk < 16 ? 16 : in->chunk;
	in->buf = xmalloc(in->cap);
	in->line = 1;
	in->col = 1;
	in->fence = NO_FENCE;
	err_clear(&in->ioerr);
}

void fmt_in_free(struct fmt_input *in)
{
	free(in->buf);
	in->buf = NULL;
}

static void read_more(struct fmt_input *in)
{
	size_t room = in->cap - in->len;
	size_t want = room < in->chunk ? room : in->chunk;
	ssize_t n = in->read(in->arg, in->buf + in->len, want, &in->ioerr);
	if (n < 0) {
		in->failed = true;
		if (in->ioerr.code == ERR_OK)
			err_set(&in->ioerr, ERR_IO, "read failed");
	} else if (n == 0) {
		in->eof = true;
	} else {
		in->len += (size_t)n;
	}
}

int fmt_in_fill(struct fmt_input *in)
{
	if (in->pos < in->len)
		return in->buf[in->pos];
	if (in->failed)
		return IN_IOERR;
	if (in->eof)
		return IN_EOF;
	in->pos = in->len = 0;
	if (!in->started) {
		/* The BOM may straddle tiny chunks: gather three bytes first. */
		in->started = true;
		while (in->len < 3 && !in->eof && !in->failed)
			read_more(in);
		if (in->len >= 3 && !memcmp(in->buf, "\xef\xbb\xbf", 3))
			in->pos = 3;
	}
	while (in->pos == in->len && !in->eof && !in->failed) {
		in->pos = in->len = 0;
		read_more(in);
	}
	if (in->pos < in->len)
		return in->buf[in->pos];
	return in->failed ? IN_IOERR : IN_EOF;
}

int fmt_in_utf8(struct fmt_input *in, struct buf *out, int *bad)
{
	unsigned char seq[4];
	int lead = in_peek(in);
	unsigned lo = 0x80, hi = 0xbf;
	int need;
	/* The well-formed sequences of Unicode's table 3-7: no overlong forms,
	 * no surrogates, nothing above U+10FFFF. */
	if (lead >= 0xc2 && lead <= 0xdf) {
		need = 1;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		need = 2;
		if (lead == 0xe0)
			lo = 0xa0;
		else if (lead == 0xed)
			hi = 0x9f;
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		need = 3;
		if (lead == 0xf0)
			lo = 0x90;
		else if (lead == 0xf4)
			hi = 0x8f;
	} else {
		in_skip(in);
		*bad = lead;
		return -1;
	}
	in_skip(in);
	seq[0] = (unsigned char)lead;
	for (int i = 1; i <= need; i++) {
		int c = in_peek(in);
		if (c == IN_IOERR || c == IN_LIMIT)
			return c;
		if (c < 0 || (unsigned)c < lo || (unsigned)c > hi) {
			*bad = lead;
			return -1;
		}
		lo = 0x80;
		hi = 0xbf;
		in_skip(in);
		seq[i] = (unsigned char)c;
	}
	if (out)
		buf_append(out, seq, (size_t)need + 1);
	return 0;
}
