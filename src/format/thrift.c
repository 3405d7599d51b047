/*
 * thrift.c - the Thrift compact protocol, enough of it for Parquet's
 * footer (FileMetaData) and page headers.
 *
 * Decoding trusts nothing: these bytes come from a file anyone may have
 * written.  Lengths and counts are checked against the bytes that are left
 * before anything is taken or allocated, nesting is bounded, and the first
 * fault turns the decoder inert (every call then returns zeros) so that a
 * structure's parser checks `bad` once, at its end.
 */
#include "format/format_int.h"

#include <stdarg.h>
#include <string.h>

#define TC_MAX_DEPTH 32

void tc_fail(struct tc_in *t, const char *fmt, ...)
{
	if (t->bad)
		return;
	t->bad = true;
	t->p = t->end;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof t->msg, fmt, ap);
	va_end(ap);
}

static uint64_t varint(struct tc_in *t)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (t->p >= t->end) {
			tc_fail(t, "the metadata ends inside a number");
			return 0;
		}
		uint8_t c = *t->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	tc_fail(t, "a number in the metadata is longer than 64 bits");
	return 0;
}

static int64_t zigzag(struct tc_in *t)
{
	uint64_t u = varint(t);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

bool tc_field(struct tc_in *t, int16_t *last_id, int16_t *id, int *type)
{
	if (t->bad)
		return false;
	if (t->p >= t->end) {
		tc_fail(t, "the metadata ends inside a structure");
		return false;
	}
	uint8_t b = *t->p++;
	if (b == TC_STOP)
		return false;
	*type = b & 0x0f;
	int delta = b >> 4;
	int64_t v = delta ? *last_id + delta : zigzag(t);
	if (v < INT16_MIN || v > INT16_MAX) {
		tc_fail(t, "field id %lld is out of range", (long long)v);
		return false;
	}
	*id = *last_id = (int16_t)v;
	if (*type > TC_STRUCT) {
		tc_fail(t, "unknown field type %d", *type);
		return false;
	}
	return !t->bad;
}

bool tc_bool(int type)
{
	return type == TC_TRUE;
}

int64_t tc_int(struct tc_in *t, int type)
{
	switch (type) {
	case TC_BYTE:
		if (t->p >= t->end) {
			tc_fail(t, "the metadata ends inside a byte");
			return 0;
		}
		return (int8_t)*t->p++;
	case TC_I16:
	case TC_I32:
	case TC_I64:
		return zigzag(t);
	default:
		tc_fail(t, "expected an integer, found field type %d", type);
		return 0;
	}
}

const uint8_t *tc_binary(struct tc_in *t, size_t *len)
{
	uint64_t n = varint(t);
	*len = 0;
	if (t->bad)
		return NULL;
	if (n > (uint64_t)(t->end - t->p)) {
		tc_fail(t, "a string of %llu bytes runs past the metadata's end",
			(unsigned long long)n);
		return NULL;
	}
	const uint8_t *p = t->p;
	t->p += n;
	*len = (size_t)n;
	return p;
}

size_t tc_list(struct tc_in *t, int *elem_type)
{
	*elem_type = TC_STOP;
	if (t->p >= t->end) {
		tc_fail(t, "the metadata ends inside a list");
		return 0;
	}
	uint8_t b = *t->p++;
	uint64_t n = b >> 4;
	if (n == 15)
		n = varint(t);
	*elem_type = b & 0x0f;
	/* every element takes at least one byte (a bool in a list too) */
	if (!t->bad && n > (uint64_t)(t->end - t->p))
		tc_fail(t, "a list of %llu elements is longer than the metadata",
			(unsigned long long)n);
	return t->bad ? 0 : (size_t)n;
}

bool tc_struct_enter(struct tc_in *t)
{
	if (++t->depth > TC_MAX_DEPTH) {
		tc_fail(t, "structures nested deeper than %d levels", TC_MAX_DEPTH);
		return false;
	}
	return !t->bad;
}

void tc_struct_leave(struct tc_in *t)
{
	t->depth--;
}

void tc_skip(struct tc_in *t, int type)
{
	size_t len;
	int et;
	switch (type) {
	case TC_TRUE:
	case TC_FALSE:
		break;
	case TC_BYTE:
	case TC_I16:
	case TC_I32:
	case TC_I64:
		tc_int(t, type);
		break;
	case TC_DOUBLE:
		if (t->end - t->p < 8)
			tc_fail(t, "the metadata ends inside a double");
		else
			t->p += 8;
		break;
	case TC_BINARY:
		tc_binary(t, &len);
		break;
	case TC_LIST:
	case TC_SET: {
		size_t n = tc_list(t, &et);
		if (!tc_struct_enter(t))
			break;
		for (size_t i = 0; i < n && !t->bad; i++) {
			if (et == TC_TRUE || et == TC_FALSE)
				t->p++;   /* a bool in a list is a byte; tc_list checked the room */
			else
				tc_skip(t, et);
		}
		tc_struct_leave(t);
		break;
	}
	case TC_MAP: {
		uint64_t n = varint(t);
		if (!n || t->bad)
			break;
		if (t->p >= t->end || n > (uint64_t)(t->end - t->p)) {
			tc_fail(t, "a map of %llu entries is longer than the metadata",
				(unsigned long long)n);
			break;
		}
		uint8_t kv = *t->p++;
		if (!tc_struct_enter(t))
			break;
		for (uint64_t i = 0; i < n && !t->bad; i++) {
			tc_skip(t, kv >> 4);
			tc_skip(t, kv & 0x0f);
		}
		tc_struct_leave(t);
		break;
	}
	case TC_STRUCT: {
		if (!tc_struct_enter(t))
			break;
		int16_t last = 0, id;
		int ft;
		while (tc_field(t, &last, &id, &ft))
			tc_skip(t, ft);
		tc_struct_leave(t);
		break;
	}
	default:
		tc_fail(t, "unknown field type %d", type);
	}
}

/* ---- encoding ---------------------------------------------------------------------- */

void tw_varint(struct buf *b, uint64_t v)
{
	while (v >= 0x80) {
		buf_putc(b, (char)(v | 0x80));
		v >>= 7;
	}
	buf_putc(b, (char)v);
}

void tw_zigzag(struct buf *b, int64_t v)
{
	tw_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void tw_field(struct buf *b, int16_t *last_id, int16_t id, int type)
{
	int delta = id - *last_id;
	if (delta > 0 && delta <= 15) {
		buf_putc(b, (char)(delta << 4 | type));
	} else {
		buf_putc(b, (char)type);
		tw_zigzag(b, id);
	}
	*last_id = id;
}

void tw_i32(struct buf *b, int16_t *last_id, int16_t id, int32_t v)
{
	tw_field(b, last_id, id, TC_I32);
	tw_zigzag(b, v);
}

void tw_i64(struct buf *b, int16_t *last_id, int16_t id, int64_t v)
{
	tw_field(b, last_id, id, TC_I64);
	tw_zigzag(b, v);
}

void tw_bool(struct buf *b, int16_t *last_id, int16_t id, bool v)
{
	tw_field(b, last_id, id, v ? TC_TRUE : TC_FALSE);
}

void tw_binary(struct buf *b, int16_t *last_id, int16_t id, const void *p, size_t n)
{
	tw_field(b, last_id, id, TC_BINARY);
	tw_varint(b, n);
	buf_append(b, p, n);
}

void tw_string(struct buf *b, int16_t *last_id, int16_t id, const char *s)
{
	tw_binary(b, last_id, id, s, strlen(s));
}

void tw_list(struct buf *b, int16_t *last_id, int16_t id, int elem_type, size_t n)
{
	tw_field(b, last_id, id, TC_LIST);
	if (n < 15) {
		buf_putc(b, (char)(n << 4 | (size_t)elem_type));
	} else {
		buf_putc(b, (char)(0xf0 | elem_type));
		tw_varint(b, n);
	}
}

void tw_stop(struct buf *b)
{
	buf_putc(b, TC_STOP);
}
