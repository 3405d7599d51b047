/*
 * format_int.h - what the format module's files share: the byte input
 * with its position, the strict JSON parser, value helpers.
 */
#ifndef SLUICE_FORMAT_INT_H
#define SLUICE_FORMAT_INT_H

#include "format/format.h"

/* ---- input (input.c) ---------------------------------------------------------
 * Bytes pulled through the caller's callback into a chunk buffer, with the
 * line and column of the next byte.  A fence stops the parser at the end of
 * the record size limit. */
#define IN_EOF   (-1)
#define IN_IOERR (-2)
#define IN_LIMIT (-3)
#define NO_FENCE UINT64_MAX

struct fmt_input {
	fmt_read_fn read;
	void *arg;
	unsigned char *buf;
	size_t cap, len, pos, chunk;
	bool eof, failed, started;
	struct err ioerr;         /* set when failed */
	long line;                /* of the next byte, from 1 */
	int col;
	uint64_t offset;          /* bytes consumed so far */
	uint64_t fence;
};

void fmt_in_init(struct fmt_input *in, fmt_read_fn read, void *arg, size_t chunk);
void fmt_in_free(struct fmt_input *in);
/* Refill when the buffer is used up: the next byte, IN_EOF or IN_IOERR.
 * Skips a BOM at the very start. */
int  fmt_in_fill(struct fmt_input *in);

static inline int in_peek(struct fmt_input *in)
{
	if (in->offset >= in->fence)
		return IN_LIMIT;
	if (in->pos < in->len)
		return in->buf[in->pos];
	return fmt_in_fill(in);
}

/* Consume the byte that in_peek just returned (which must be >= 0). */
static inline void in_skip(struct fmt_input *in)
{
	unsigned char c = in->buf[in->pos++];
	in->offset++;
	if (c == '\n') {
		in->line++;
		in->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		in->col++;
	}
}

static inline int in_get(struct fmt_input *in)
{
	int c = in_peek(in);
	if (c >= 0)
		in_skip(in);
	return c;
}

/* After in_peek returned a byte >= 0x80: take one UTF-8 sequence into out
 * (may be NULL).  Returns 0, or -1 when it is ill-formed (only the first
 * byte is consumed then, its value in *bad), or an IN_* code. */
int fmt_in_utf8(struct fmt_input *in, struct buf *out, int *bad);

/* ---- gzip (gzip.c) -------------------------------------------------------------
 * fmt_gunzip_read is an fmt_read_fn over the caller's (compressed or
 * plain) bytes; fmt_gzip_out compresses into the caller's write function. */
struct fmt_gunzip;
struct fmt_gunzip *fmt_gunzip_new(fmt_read_fn read, void *arg, enum fmt_compression c);
ssize_t fmt_gunzip_read(void *arg, void *buf, size_t n, struct err *e);
void fmt_gunzip_free(struct fmt_gunzip *g);

struct fmt_gzip_out;
struct fmt_gzip_out *fmt_gzip_out_new(fmt_write_fn write, void *arg, struct err *e);
int  fmt_gzip_out_write(struct fmt_gzip_out *g, const void *data, size_t n, struct err *e);
int  fmt_gzip_out_finish(struct fmt_gzip_out *g, struct err *e);
void fmt_gzip_out_free(struct fmt_gzip_out *g);

/* ---- JSON parser (json.c) ------------------------------------------------------ */
struct jp {
	struct fmt_input *in;
	bool ndjson;              /* a line break ends the record */
	int depth;
	size_t nvalues;
	struct buf sb;
	/* the first error; `hard` when parsing could not go on */
	bool failed, hard, limit;
	long eline;
	int ecol;
	char emsg[512];
	char ecolumn[128];
	/* the top-level object's members: key being parsed, value positions */
	char topkey[128];
	/* the innermost open object or array, for "... is not closed" */
	const char *open_what;
	long open_line;
	int open_col;
	struct jpos_ent { long line; int col; } *tpos;
	size_t ntpos, captpos;
};

void fmt_jp_init(struct jp *p, struct fmt_input *in, bool ndjson);
void fmt_jp_reset(struct jp *p);           /* before each record */
void fmt_jp_free(struct jp *p);
/* Parse one value at the current position.  NULL on a hard error; a value
 * with p->failed set on a soft one (the value was read to its end, so
 * reading may go on after it). */
cJSON *fmt_jp_value(struct jp *p);
/* Set the error (the first one wins) at the position of the next byte. */
void fmt_jp_error(struct jp *p, bool hard, const char *fmt, ...) PRINTF_LIKE(3, 4);
void fmt_jp_error_at(struct jp *p, bool hard, long line, int col, const char *fmt, ...)
	PRINTF_LIKE(5, 6);
/* "\"x\"", "end of line", "end of input", "byte 0xC3" */
void fmt_describe_byte(int c, char *out, size_t n);

/* ---- CSV records (csv.c) ---------------------------------------------------------- */
struct csv_field {
	size_t off, len;          /* in fmt_csv_scan.text, NUL-terminated there */
	bool quoted;
	long line;
	int col;
};

/* Bytes a run of plain field content stops at (fmt_csv_scan.stop). */
#define CSV_STOP_UNQUOTED 1       /* delimiter, quote, escape, CR, LF, NUL, non-ASCII,
				     and with trimming space and tab */
#define CSV_STOP_QUOTED   2       /* quote, escape, LF, NUL, non-ASCII */

struct csv_scan {
	char delim;
	int quote;                /* the quote byte, or -1 when fields are never quoted */
	int escape;               /* the escape byte, or -1 */
	bool latin1;              /* bytes are Latin-1 characters, kept as UTF-8 */
	bool trim;                /* spaces and tabs around fields are dropped */
	size_t hard_end;          /* text up to here is not trimmed (escaped) */
	unsigned char stop[256];  /* CSV_STOP_* bits per byte */
	size_t keep;              /* fields to store; the rest are only counted */
	bool skip_blank;          /* empty lines are not records */
	struct buf text;
	struct csv_field *f;
	size_t nf, cap;
	size_t count;             /* fields in the record */
	long line, end_line;      /* where the record starts, where its line ends */
	int col, end_col;
	bool over;                /* the record went past the size limit */
	/* the first problem inside the record */
	bool failed;
	long eline;
	int ecol;
	size_t efield;            /* 0-based field it is in */
	char emsg[256];
};

/* Can delim separate CSV fields?  ERR_INVALID when not (readers and writers). */
bool fmt_csv_delim_ok(char delim, struct err *e);
/* Do the reader's CSV options make sense with this delimiter?  ERR_INVALID
 * when not (a quote that is the delimiter, an escape that is a line break). */
bool fmt_csv_opts_ok(char delim, const struct fmt_csv_opts *o, struct err *e);
void fmt_csv_init(struct csv_scan *s, char delim, const struct fmt_csv_opts *o);
void fmt_csv_free(struct csv_scan *s);
/* 1: a record (s->failed tells of a problem inside it, s->over of its size);
 * 0: end of input; -1: a quote open at the end (fatal); -2: I/O error. */
int  fmt_csv_scan(struct csv_scan *s, struct fmt_input *in, size_t max_record);

/* ---- values (types.c) ---------------------------------------------------------- */
enum fmt_kind fmt_item_kind(const cJSON *item);
/* "a string", "an object", "null": the item's kind in messages. */
const char *fmt_item_kind_phrase(const cJSON *item);
/* The text of a JSON item as a field value (NULL for null) into out. */
void fmt_item_text(const cJSON *item, struct buf *out, bool *is_null);
/* Convert a JSON item to the type: *is_null when it is null. */
int  fmt_coerce_item(enum fmt_type type, const cJSON *item, struct buf *out, bool *is_null,
		 struct err *e);
/* The kind a typed value has once converted: numbers for int and numeric,
 * FK_BOOL, and for json FK_OBJECT/FK_ARRAY or FK_STRING (scalar JSON text). */
enum fmt_kind fmt_type_kind(enum fmt_type type, const char *canonical);
/* `"abc"`, `12.5`, `true`, `an object`: a value as shown in messages. */
void fmt_show_value(struct buf *out, enum fmt_kind kind, const char *v, size_t len);
/* "64 MiB", "1000 bytes" */
void format_size(size_t n, char *out, size_t len);

/* s[0..len) as a JSON string literal, quotes included (json.c). */
void fmt_json_write_string(struct buf *out, const char *s, size_t len);
/* A cJSON number carrying its text (json.c). */
cJSON *fmt_number_item(const char *text);
/* s is a number by JSON's grammar. */
bool fmt_json_number_ok(const char *s);

#endif

/* ---- Parquet (parquet_*.c, thrift.c) ---------------------------------------------
 * The Thrift compact protocol, as much as Parquet's footer and page headers
 * need.  The decoder works on a byte range held in memory and never reads
 * past its end: every fault (a length beyond the range, nesting too deep, a
 * type that cannot be) sets `bad` with a message, and every later call
 * returns zeros, so a parser checks once at the end of a structure. */
enum tc_type {
	TC_STOP = 0, TC_TRUE = 1, TC_FALSE = 2, TC_BYTE = 3, TC_I16 = 4, TC_I32 = 5,
	TC_I64 = 6, TC_DOUBLE = 7, TC_BINARY = 8, TC_LIST = 9, TC_SET = 10, TC_MAP = 11,
	TC_STRUCT = 12,
};

struct tc_in {
	const uint8_t *p, *end;
	int depth;
	bool bad;
	char msg[160];
};

void     tc_fail(struct tc_in *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The next field of a struct: false at its STOP (or after a fault). */
bool     tc_field(struct tc_in *t, int16_t *last_id, int16_t *id, int *type);
int64_t  tc_int(struct tc_in *t, int type);       /* an i8/i16/i32/i64 of that type */
bool     tc_bool(int type);                       /* a bool field's value */
/* A binary's bytes (borrowed from the range) and its length. */
const uint8_t *tc_binary(struct tc_in *t, size_t *len);
/* A list's element type and count (checked against the bytes left). */
size_t   tc_list(struct tc_in *t, int *elem_type);
void     tc_skip(struct tc_in *t, int type);
bool     tc_struct_enter(struct tc_in *t);        /* false when nested too deep */
void     tc_struct_leave(struct tc_in *t);

/* The encoder appends to a buffer; a struct's field ids go up. */
void tw_field(struct buf *b, int16_t *last_id, int16_t id, int type);
void tw_i32(struct buf *b, int16_t *last_id, int16_t id, int32_t v);
void tw_i64(struct buf *b, int16_t *last_id, int16_t id, int64_t v);
void tw_bool(struct buf *b, int16_t *last_id, int16_t id, bool v);
void tw_binary(struct buf *b, int16_t *last_id, int16_t id, const void *p, size_t n);
void tw_string(struct buf *b, int16_t *last_id, int16_t id, const char *s);
void tw_list(struct buf *b, int16_t *last_id, int16_t id, int elem_type, size_t n);
void tw_stop(struct buf *b);
void tw_varint(struct buf *b, uint64_t v);
void tw_zigzag(struct buf *b, int64_t v);

/* Codecs (parquet_codec.c).  Parquet's codec numbers. */
enum pq_codec { PQ_UNCOMPRESSED = 0, PQ_SNAPPY = 1, PQ_GZIP = 2, PQ_ZSTD = 6 };
const char *pq_codec_name(int codec);
/* Compress src into out (appended). */
int  pq_compress(int codec, const void *src, size_t n, struct buf *out, struct err *e);
/* Decompress exactly `want` bytes into out (reset first); an error when the
 * data is corrupt or its size is not `want`. */
int  pq_decompress(int codec, const uint8_t *src, size_t n, size_t want, struct buf *out,
		   struct err *e);

/* The RLE/bit-packed hybrid of levels and dictionary indices.  Encode n
 * values of bit_width bits; decode n values into out, -1 when the data
 * ends early or an index is wider than bit_width allows. */
void pq_rle_encode(struct buf *b, const uint32_t *v, size_t n, int bit_width);
int  pq_rle_decode(const uint8_t *p, size_t len, int bit_width, uint32_t *out, size_t n);

/* The writer and reader behind fmt_writer/fmt_reader for FMT_PARQUET. */
struct pq_writer;
struct pq_writer *pq_writer_new(const struct fmt_writer_opts *o, fmt_write_fn write,
				void *arg, struct err *e);
int  pq_writer_columns(struct pq_writer *w, const char *const *names, size_t n, struct err *e);
int  pq_writer_row(struct pq_writer *w, const struct fmt_field *f, size_t n, struct err *e);
int  pq_writer_finish(struct pq_writer *w, struct err *e);
void pq_writer_free(struct pq_writer *w);

struct pq_reader;
/* The input is spooled to a temporary file (Parquet's footer is at the
 * end); rows then come one row group at a time.  Record errors give the
 * row group as `line` and the row within it as `col`. */
struct pq_reader *pq_reader_new(const char *source, const struct fmt_column *cols,
				size_t ncols, fmt_read_fn read, void *arg, struct err *e);
enum fmt_status pq_reader_next(struct pq_reader *r, struct fmt_record *rec, struct err *e);
const struct fmt_error *pq_reader_error(const struct pq_reader *r);
void pq_reader_free(struct pq_reader *r);
