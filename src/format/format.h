/*
 * format.h - streaming readers and writers for NDJSON, JSON and CSV, typed
 * columns, and normalization of nested JSON documents into rows.
 *
 * Readers pull bytes through a callback in fixed-size chunks (so they work
 * over a lake reader, a file or memory) and hold one record at a time plus
 * a bounded buffer.  A record may be at most FMT_MAX_RECORD bytes of input
 * (64 MiB; configurable): a larger one is a clear error, never a crash or a
 * silent truncation.
 *
 * Decisions every caller can rely on:
 *  - Input must be UTF-8; a UTF-8 byte order mark at the very start is
 *    skipped.  The first byte of an ill-formed sequence (overlong forms,
 *    surrogates and stray continuation bytes included) is reported with
 *    its line and column.  Columns count characters, from 1.
 *  - An empty file, or one holding only a BOM and whitespace (for CSV: only
 *    a header), has zero records and is not an error (as Snowflake loads
 *    0 rows from it).
 *  - NDJSON: one JSON object per line; blank lines are skipped; LF or CRLF.
 *    A line holding anything but one object is a record-level error and
 *    reading goes on with the next line.
 *  - JSON: an array of objects (streamed element by element), or one
 *    object, or several top-level objects/arrays one after another.  An
 *    element that is not an object is a record-level error; broken syntax
 *    is fatal (there is no safe place to resume).
 *  - Duplicate keys in an object (at any depth) are an error, as in
 *    Snowflake (whose ALLOW_DUPLICATE is off by default): `duplicate key "id"`.
 *    \u0000 is refused too (no database text type can hold it).
 *  - Nesting deeper than FMT_MAX_DEPTH levels, or more than FMT_MAX_VALUES
 *    values in one record, is an error (record-level in NDJSON).
 *  - Parquet (written from the Apache specification, flat schemas): the
 *    input is spooled to a temporary file, since the footer that describes
 *    it is at its end; rows are then decoded one row group at a time, so
 *    memory holds one row group.  Record positions are the row group (as
 *    `line`) and the row within it (as `col`), both from 1.  A value that
 *    cannot be text (bytes that are not UTF-8, a NUL) is a record-level
 *    error; a damaged footer or page is fatal.
 *  - CSV (RFC 4180): a header row names the fields; fields may be quoted,
 *    quotes inside are doubled, quoted fields may hold delimiters and line
 *    breaks; records end with LF or CRLF; a bare CR outside quotes is an
 *    error; completely empty lines are skipped (except in a file of one
 *    column, where an empty line is a NULL: that is how it was written).  An unquoted empty field is
 *    NULL and a quoted empty field ("") is the empty string, which is what
 *    the CSV writer produces, so NULLs survive a round trip.  A record with
 *    the wrong number of fields is a record-level error.  Problems in the
 *    header, and a quote still open at the end of the input, are fatal.
 *
 * Every parse error fills `struct err` with code ERR_PARSE, where =
 * "SOURCE:LINE:COL" and a message that names the column when it is known
 * (`column "amount": expected a number, got "12,5"`), and fmt_reader_error()
 * gives the same facts as fields for load history.
 *
 * Threads: a reader or writer belongs to one thread; the functions without
 * state (fmt_coerce, fmt_json_*, fmt_normalize) may be called from any.
 */
#ifndef SLUICE_FORMAT_H
#define SLUICE_FORMAT_H

#include <sys/types.h>

#include <cjson/cJSON.h>

#include "core/core.h"

#define FMT_MAX_RECORD  (64u * 1024 * 1024)  /* bytes of input in one record,
						 its line end included */
#define FMT_MAX_DEPTH   512                  /* nested objects and arrays */
#define FMT_MAX_VALUES  1000000              /* JSON values in one record */
#define FMT_MAX_COLUMNS 10000                /* fields in a CSV header */

enum fmt_format { FMT_NDJSON, FMT_JSON, FMT_CSV, FMT_PARQUET };

/* Reading text formats: AUTO takes gzip by its magic bytes (1f 8b) and
 * anything else as it is; GZIP (the file's name ends in .gz) refuses
 * anything but gzip; NONE reads the bytes as they are.  Writing: GZIP
 * compresses a text format's whole stream, the others do not.  A gzip
 * stream cut short or failing its CRC is a fatal read error ("the gzip
 * data ends early ..."), and positions in errors count lines and columns
 * of the decompressed text.  Parquet compresses its pages instead (NONE,
 * GZIP or ZSTD; see fmt_writer_opts). */
enum fmt_compression {
	FMT_COMPRESSION_AUTO, FMT_COMPRESSION_NONE, FMT_COMPRESSION_GZIP, FMT_COMPRESSION_ZSTD,
};
/* GZIP for a name ending in ".gz", else AUTO. */
enum fmt_compression fmt_compression_of_name(const char *name);
/* "none", "gzip", "zstd". */
bool fmt_compression_parse(const char *s, enum fmt_compression *out);
const char *fmt_format_name(enum fmt_format f);               /* "ndjson" */
bool fmt_format_parse(const char *s, enum fmt_format *out);

/* Declared column types.  The pipe maps SQL types onto these. */
enum fmt_type {
	FT_TEXT, FT_INT, FT_NUMERIC, FT_BOOL, FT_DATE, FT_TIME, FT_TIMESTAMP, FT_JSON,
};
const char *fmt_type_name(enum fmt_type t);                   /* "timestamp" */
/* "text", "int", "numeric", "bool", "date", "time", "timestamp", "json". */
bool fmt_type_parse(const char *s, enum fmt_type *out);

/* What a value was in the input (or, for typed columns, what it is now). */
enum fmt_kind { FK_NULL, FK_STRING, FK_NUMBER, FK_BOOL, FK_OBJECT, FK_ARRAY };

/* One value of a record.  value is NULL for NULL, else NUL-terminated text
 * of `len` bytes without embedded NULs:
 *   FK_STRING  the string itself
 *   FK_NUMBER  the number as written in the input (typed: canonical)
 *   FK_BOOL    "true"/"false" (typed columns: "t"/"f")
 *   FK_OBJECT, FK_ARRAY  compact JSON text, numbers as written */
struct fmt_field {
	const char *name;
	const char *value;
	size_t len;
	enum fmt_kind kind;
};

/* ---- typed values --------------------------------------------------------------
 * Canonical text per type:
 *   FT_INT        "42" (64-bit; no sign for zero, no leading zeros)
 *   FT_NUMERIC    decimal as written, without exponent: "12.50", "1500" from
 *                 "1.5e3"; exponents beyond +-1000 are refused
 *   FT_BOOL       "t" / "f" (from true/false, t/f, yes/no, y/n, on/off, 1/0,
 *                 any case)
 *   FT_DATE       "YYYY-MM-DD" (a real calendar date, years 1..9999)
 *   FT_TIME       "HH:MM:SS.ffffff"
 *   FT_TIMESTAMP  "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, from ISO 8601 with 'T'
 *                 or ' ', with or without seconds, fraction (rounded to
 *                 microseconds) and zone (Z, +HH, +HH:MM, +HHMM); no zone
 *                 means UTC
 *   FT_JSON       compact JSON text
 *   FT_TEXT       the value as text (objects and arrays as compact JSON)
 * Text holding a number or a boolean is accepted for those types (CSV has
 * nothing else); spaces around it are ignored.  For FT_JSON a string is
 * JSON text to be parsed (a CSV cell); JSON input gives the reader the
 * value itself.  On failure: -1, ERR_PARSE, msg like
 * `expected an integer, got "abc"` (no location: the caller adds it). */
int fmt_coerce(enum fmt_type type, enum fmt_kind kind, const char *value, size_t len,
	       struct buf *out, struct err *e);

/* ---- reading ------------------------------------------------------------------- */

/* Fill buf with up to n bytes: > 0 bytes read, 0 at the end, -1 on error
 * (with e set).  A lake reader fits this with a one-line adapter. */
typedef ssize_t (*fmt_read_fn)(void *arg, void *buf, size_t n, struct err *e);

/* A declared column: where the value comes from (JSON key or CSV header;
 * NULL = name) and its type.  A JSON key that is absent gives NULL; a CSV
 * header that lacks a declared source is a fatal error. */
struct fmt_column {
	const char *name;
	const char *source;
	enum fmt_type type;
};

enum fmt_encoding { FMT_UTF8, FMT_LATIN1 };
/* "utf-8" (also "utf8"), "latin-1" (also "latin1", "iso-8859-1"). */
bool fmt_encoding_parse(const char *s, enum fmt_encoding *out);

/* CSV options beyond the delimiter (Snowflake's COPY file format options);
 * all zero is RFC 4180 with a header row. */
struct fmt_csv_opts {
	size_t skip_header;       /* lines skipped before the header (or the data) */
	bool no_header;           /* the data starts at once; fields are the
				     declared columns, by position */
	const char *const *null_if;   /* values read as NULL (after trimming) */
	size_t nnull_if;
	char quote;               /* 0: '"' */
	bool no_quote;            /* fields are never quoted */
	char escape;              /* 0: none; the next byte is taken as it is */
	enum fmt_encoding encoding;
	bool trim_space;          /* spaces and tabs around fields are dropped */
	bool empty_is_text;       /* an unquoted empty field is "", not NULL */
};

struct fmt_reader_opts {
	enum fmt_format format;
	const char *source;       /* the file or key, for error locations */
	char delimiter;           /* CSV; 0 means ',' */
	struct fmt_csv_opts csv;
	const struct fmt_column *columns;   /* optional; copied */
	size_t ncolumns;
	size_t max_record;        /* 0: FMT_MAX_RECORD */
	size_t chunk;             /* bytes asked of the callback at a time; 0: 64 KiB */
	enum fmt_compression compression;   /* default AUTO */
};

struct fmt_record {
	const struct fmt_field *fields;   /* declared columns in order, or the
					     object's keys / the CSV header in order */
	size_t nfields;
	long line;                /* where the record starts */
	int col;
	uint64_t index;           /* 1-based, counting bad records too */
};

enum fmt_status {
	FMT_END,          /* no more records */
	FMT_RECORD,       /* *rec is a good record, valid until the next call */
	FMT_BAD_RECORD,   /* this record is bad (e says why); call again for the next */
	FMT_FATAL,        /* the input cannot be read further; every later call
			     returns FMT_FATAL with the same error */
};

/* Details of the last error, for load history. */
struct fmt_error {
	long line;                /* 0 when the error has no place in the input (I/O) */
	int col;
	char column[128];         /* "" when no column is concerned */
	char message[512];        /* without location, e.g. `expected ...` */
	bool fatal;
	bool io;                  /* the read callback failed: not the file's fault */
};

struct fmt_reader;
/* NULL with ERR_INVALID when the options make no sense (a delimiter that is
 * a quote or a line break, two declared columns with one name). */
struct fmt_reader *fmt_reader_new(const struct fmt_reader_opts *o, fmt_read_fn read,
				  void *arg, struct err *e);
enum fmt_status fmt_reader_next(struct fmt_reader *r, struct fmt_record *rec, struct err *e);
const struct fmt_error *fmt_reader_error(const struct fmt_reader *r);
/* The current good record as a document, owned by the reader and valid
 * until the next call: for JSON input the parsed object itself (all keys,
 * whatever the declared columns; numbers keep their text as written in
 * valuestring); for CSV an object built from the fields. */
const cJSON *fmt_reader_json(struct fmt_reader *r);
void fmt_reader_free(struct fmt_reader *r);

/* ---- JSON helpers ---------------------------------------------------------------- */
/* Parse one JSON document from memory with the readers' strict rules (errors
 * as "SOURCE:LINE:COL"; source may be NULL).  Number items keep the text as
 * written in valuestring besides valuedouble.  Caller frees with cJSON_Delete. */
cJSON *fmt_json_parse(const char *text, size_t len, const char *source, struct err *e);
/* Append compact JSON text of item (numbers as written when known). */
void fmt_json_write(struct buf *out, const cJSON *item);

/* ---- writing ------------------------------------------------------------------ */

typedef int (*fmt_write_fn)(void *arg, const void *data, size_t n, struct err *e);

/* Parquet: how a column is stored, from the source's type.  Without a
 * declaration every column is text. */
enum fmt_pq_type {
	FPQ_TEXT, FPQ_JSON, FPQ_INT, FPQ_DOUBLE, FPQ_DECIMAL, FPQ_BOOL, FPQ_DATE, FPQ_TIME,
	FPQ_TIMESTAMP,
};

struct fmt_out_column {
	enum fmt_pq_type type;
	int precision, scale;     /* FPQ_DECIMAL; precision 0: unconstrained (38
				     digits, the scale set by the first row group) */
};


struct fmt_writer_opts {
	enum fmt_format format;
	char delimiter;           /* CSV; 0 means ',' */
	bool crlf;                /* CSV line ends; default LF */
	/* Text formats: GZIP compresses the output.  Parquet: its pages'
	 * codec (NONE, GZIP or ZSTD). */
	enum fmt_compression compression;
	/* Parquet */
	const struct fmt_out_column *columns;   /* one per field, or NULL: all text */
	size_t ncolumns;
	size_t row_group_rows;    /* 0: FMT_PQ_ROW_GROUP_ROWS */
};
#define FMT_PQ_ROW_GROUP_ROWS 100000

/* NDJSON: one object per line.  JSON: one array, an object per line.
 * CSV: a header row, then one row per record, quoted where RFC 4180 needs
 * it (delimiter, quote, CR or LF inside) and for the empty string; NULL is
 * an empty unquoted field.  Output is buffered and handed to `write` in
 * chunks.  Values must be valid UTF-8; FK_NUMBER values must be JSON
 * numbers and FK_OBJECT/FK_ARRAY values JSON text (not checked again). */
struct fmt_writer;
struct fmt_writer *fmt_writer_new(const struct fmt_writer_opts *o, fmt_write_fn write,
				  void *arg, struct err *e);
/* The column names (CSV header, JSON keys).  Optional: without it the first
 * row's names are used.  Needed for a CSV file with zero rows to still have
 * its header.  Every row must then have exactly these fields. */
int fmt_writer_columns(struct fmt_writer *w, const char *const *names, size_t n,
		       struct err *e);
int fmt_writer_row(struct fmt_writer *w, const struct fmt_field *fields, size_t n,
		   struct err *e);
/* Close the JSON array, flush.  The writer still needs fmt_writer_free. */
int fmt_writer_finish(struct fmt_writer *w, struct err *e);
void fmt_writer_free(struct fmt_writer *w);

/* ---- normalization ---------------------------------------------------------------
 * Turn a document with a nested array into rows: an order with products
 * into order items.  A path is dotted keys ("customer.address.city"); one
 * segment may carry the array marker ("products[].sku", or "[]" alone for
 * the element itself: "tags[]").  Every column that goes through an array
 * goes through the same one; each element gives one row, with the fields
 * outside the array repeated.  Decisions:
 *  - a document whose array is missing, null or empty gives no rows (an
 *    inner join, as Snowflake's FLATTEN without OUTER);
 *  - a missing key or a null on the way gives NULL;
 *  - a value of the wrong shape on the way (a string where an object must
 *    be, an object where the array must be) is an error;
 *  - values are converted to the column's type as for typed readers;
 *  - a document gives all its rows or none: on any error nothing is
 *    emitted for it.
 * Errors: where = "SOURCE:LINE" of the document, msg like
 * `column "quantity" (products[2].quantity): expected an integer, got "x"`. */
struct fmt_norm_column {
	const char *name;
	const char *path;
	enum fmt_type type;
};

struct fmt_norm;
/* Checks the paths; NULL with ERR_INVALID and a message naming the column. */
struct fmt_norm *fmt_norm_new(const struct fmt_norm_column *cols, size_t n, struct err *e);
/* outer: a parent whose array is empty or missing keeps one row, with NULL
 * for the columns inside that array (default: it gives no row). */
void fmt_norm_set_outer(struct fmt_norm *n, bool outer);
void fmt_norm_free(struct fmt_norm *n);

/* Called once per row; fields are the columns in order, valid during the
 * call.  Returning -1 stops normalization with that error. */
typedef int (*fmt_row_fn)(void *arg, const struct fmt_field *fields, size_t n,
			  struct err *e);
/* Rows emitted (0 or more), or -1. */
long fmt_normalize(const struct fmt_norm *n, const cJSON *doc, const char *source,
		   long line, fmt_row_fn emit, void *arg, struct err *e);

#endif
