/*
 * project_json.c - the project file's JSON parser.
 *
 * One forward pass over the text that is strict (RFC 8259: no comments,
 * no trailing commas, no raw control characters in strings, UTF-8 only),
 * builds the cJSON tree the loaders read, and remembers for every value
 * where it starts and, for a member, where its key starts, by key path
 * ("flows[1].steps[0].kind").  The first syntax error ends the parse and
 * is described in the words a person editing the file needs (a trailing
 * comma, a missing comma, an unclosed brace), at the character that is
 * wrong.  A key written twice in one object is not a syntax error: it is
 * noted at its own key, the first one is kept, and the repeated member is
 * parsed but left out of the tree and of the index, so everything read
 * afterwards sees each key once.
 *
 * Why not format/'s parser: see doc/architecture.md ("The project file").
 */
#include "project/project_int.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* cJSON's own limit: a text it accepted is accepted here too. */
#define PJSON_MAX_DEPTH 1000

struct pjson_entry {
	char *path;
	size_t seq;             /* order in the text */
	struct pjson_pos value;
	struct pjson_pos key;   /* line 0: not a member */
};

struct pjson_index {
	struct pjson_entry *entries;
	size_t len, cap;
	struct pjson_dup *dups;
	size_t ndups, capdups;
};

struct parser {
	const char *t;
	size_t n, i;
	int line, col;          /* of t[i] */
	int depth;
	int discarding;         /* inside a repeated member's value */
	struct buf path;        /* of the value being parsed */
	struct buf sb;          /* a string being decoded */
	struct pjson_index *ix;
	struct pjson_syntax *syn;
	bool failed;
};

/* ---- moving and failing -------------------------------------------------------- */

static struct pjson_pos here(const struct parser *P)
{
	return (struct pjson_pos){ P->i, P->line, P->col };
}

static void advance(struct parser *P)
{
	unsigned char c = (unsigned char)P->t[P->i++];
	if (c == '\n') {
		P->line++;
		P->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		P->col++;
	}
}

static void skip_space(struct parser *P)
{
	while (P->i < P->n && strchr(" \t\r\n", P->t[P->i]))
		advance(P);
}

static bool at_end(const struct parser *P)
{
	return P->i >= P->n;
}

static char peek(const struct parser *P)
{
	return at_end(P) ? '\0' : P->t[P->i];
}

static bool fail(struct parser *P, struct pjson_pos at, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* The first error wins; returns false so that callers can `return fail(...)`. */
static bool fail(struct parser *P, struct pjson_pos at, const char *fmt, ...)
{
	if (P->failed)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(P->syn->msg, sizeof P->syn->msg, fmt, ap);
	va_end(ap);
	P->syn->at = at;
	P->failed = true;
	return false;
}

/* What is at the current position, for "expected X, found Y". */
static const char *found(const struct parser *P, char *buf, size_t n)
{
	if (at_end(P))
		return "the end of the file";
	unsigned char c = (unsigned char)P->t[P->i];
	if (c < 0x20 || c >= 0x7f)
		snprintf(buf, n, "byte 0x%02x", c);
	else
		snprintf(buf, n, "\"%c\"", c);
	return buf;
}

/* ---- the index ------------------------------------------------------------------ */

static void record(struct parser *P, struct pjson_pos value, const struct pjson_pos *key)
{
	struct pjson_index *ix = P->ix;
	if (P->discarding)
		return;
	if (ix->len == ix->cap) {
		ix->cap = ix->cap ? ix->cap * 2 : 64;
		ix->entries = xrealloc(ix->entries, ix->cap * sizeof *ix->entries);
	}
	ix->entries[ix->len] = (struct pjson_entry){
		xstrdup(buf_str(&P->path)), ix->len, value, key ? *key : (struct pjson_pos){ 0 },
	};
	ix->len++;
}

static void note_duplicate(struct parser *P, const char *key, struct pjson_pos at)
{
	struct pjson_index *ix = P->ix;
	if (P->discarding)
		return;
	if (ix->ndups == ix->capdups) {
		ix->capdups = ix->capdups ? ix->capdups * 2 : 8;
		ix->dups = xrealloc(ix->dups, ix->capdups * sizeof *ix->dups);
	}
	ix->dups[ix->ndups++] = (struct pjson_dup){
		xstrdup(buf_str(&P->path)), xstrdup(key), at,
	};
}

/* Paths are built as spec_path_key and spec_path_index build them. */
static void path_push_key(struct parser *P, size_t base, const char *key)
{
	if (base)
		buf_putc(&P->path, '.');
	buf_puts(&P->path, key);
}

static void path_cut(struct parser *P, size_t base)
{
	P->path.len = base;
	P->path.data[base] = '\0';
}

/* ---- strings -------------------------------------------------------------------- */

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Four hex digits at t[at..at+4), or -1. */
static long hex4_at(const struct parser *P, size_t at)
{
	long v = 0;
	for (size_t k = 0; k < 4; k++) {
		int d = at + k < P->n ? hex_digit(P->t[at + k]) : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A \u escape at the backslash: one character, or a surrogate pair. */
static bool unicode_escape(struct parser *P, struct buf *out)
{
	struct pjson_pos esc = here(P);
	long cp = hex4_at(P, P->i + 2);
	if (cp < 0)
		return fail(P, esc, "\\u must be followed by four hex digits");
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(P, esc, "unpaired surrogate \\u%04lx in a string (a character above "
			    "U+FFFF is written as a pair such as \\ud83d\\ude00)", cp);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		long lo = P->i + 7 < P->n && P->t[P->i + 6] == '\\' && P->t[P->i + 7] == 'u'
			? hex4_at(P, P->i + 8) : -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(P, esc, "unpaired surrogate \\u%04lx in a string (a "
				    "character above U+FFFF is written as a pair such as "
				    "\\ud83d\\ude00)", cp);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		for (int k = 0; k < 6; k++)
			advance(P);
	}
	if (cp == 0)
		return fail(P, esc, "\\u0000 is not allowed in a string (it would end the text "
			    "there)");
	for (int k = 0; k < 6; k++)
		advance(P);
	utf8_put(out, (uint32_t)cp);
	return true;
}

static bool escape(struct parser *P, struct buf *out)
{
	struct pjson_pos esc = here(P);
	unsigned char x = P->i + 1 < P->n ? (unsigned char)P->t[P->i + 1] : '\0';
	if (x == 'u')
		return unicode_escape(P, out);
	const char *simple = x ? strchr("\"\\/bfnrt", x) : NULL;
	if (!simple) {
		if (x >= 0x80 || (x && x < 0x20))
			return fail(P, esc, "invalid escape in a string: byte 0x%02x after \"\\\" "
				    "(a backslash is written \\\\)", x);
		return fail(P, esc, "invalid escape \"\\%c\" in a string (a backslash is "
			    "written \\\\)", x ? x : ' ');
	}
	buf_putc(out, "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"]);
	advance(P);
	advance(P);
	return true;
}

/* A string from its opening quote, decoded into out. */
static bool parse_string(struct parser *P, struct buf *out)
{
	struct pjson_pos open = here(P);
	buf_reset(out);
	buf_puts(out, "");
	advance(P);
	while (!at_end(P)) {
		unsigned char c = (unsigned char)P->t[P->i];
		if (c == '"') {
			advance(P);
			return true;
		}
		if (c == '\n')
			return fail(P, open, "this string is not closed before the end of the "
				    "line");
		if (c < 0x20)
			return fail(P, here(P), "control character 0x%02x inside a string "
				    "(write it as an escape such as \\t)", c);
		if (c == '\\') {
			if (!escape(P, out))
				return false;
			continue;
		}
		size_t len = utf8_seq_len((const unsigned char *)P->t + P->i, P->n - P->i);
		if (!len)
			return fail(P, here(P), "invalid UTF-8 byte 0x%02x in a string (a project "
				    "file is UTF-8)", c);
		buf_append(out, P->t + P->i, len);
		for (size_t k = 0; k < len; k++)
			advance(P);
	}
	return fail(P, open, "this string is never closed");
}

/* ---- numbers and literals -------------------------------------------------------- */

static bool digit_here(const struct parser *P)
{
	return !at_end(P) && isdigit((unsigned char)P->t[P->i]);
}

static void skip_digits(struct parser *P)
{
	while (digit_here(P))
		advance(P);
}

static cJSON *parse_number(struct parser *P)
{
	struct pjson_pos start = here(P);
	if (peek(P) == '-')
		advance(P);
	if (peek(P) == '0') {
		advance(P);
		if (digit_here(P))
			return fail(P, start, "numbers cannot start with 0 (write 7, not 07)"),
				NULL;
	} else if (digit_here(P)) {
		skip_digits(P);
	} else {
		return fail(P, start, "\"-\" must be followed by a number"), NULL;
	}
	if (peek(P) == '.') {
		advance(P);
		if (!digit_here(P))
			return fail(P, start, "a number needs digits after its \".\""), NULL;
		skip_digits(P);
	}
	if (peek(P) == 'e' || peek(P) == 'E') {
		advance(P);
		if (peek(P) == '+' || peek(P) == '-')
			advance(P);
		if (!digit_here(P))
			return fail(P, start, "a number's exponent needs digits"), NULL;
		skip_digits(P);
	}
	char *text = xstrndup(P->t + start.off, P->i - start.off);
	double v = 0;
	bool ok = str_to_double_c(text, &v) && isfinite(v);
	free(text);
	if (!ok)
		return fail(P, start, "this number is too large (the largest is about 1.8e308)"),
			NULL;
	return cJSON_CreateNumber(v);
}

static bool literal(struct parser *P, const char *word)
{
	size_t n = strlen(word);
	if (P->n - P->i < n || strncmp(P->t + P->i, word, n) != 0 ||
	    (P->i + n < P->n && isalnum((unsigned char)P->t[P->i + n])))
		return false;
	for (size_t k = 0; k < n; k++)
		advance(P);
	return true;
}

/* ---- values ------------------------------------------------------------------------ */

static cJSON *parse_value(struct parser *P, const struct pjson_pos *key);

/* After a member or element: a comma (not before the closing bracket), the
 * closing bracket, or an error that says which of the two is missing.
 * Returns 1 at the end of the container, 0 to go on, -1 on an error. */
static int after_member(struct parser *P, struct pjson_pos open, bool object)
{
	char close = object ? '}' : ']', buf[32];
	struct pjson_pos after_value = here(P);
	skip_space(P);
	if (at_end(P))
		return 0;      /* reported as "not closed" by the caller */
	char c = P->t[P->i];
	if (c == close) {
		advance(P);
		return 1;
	}
	if (c == ',') {
		struct pjson_pos comma = here(P);
		advance(P);
		skip_space(P);
		if (peek(P) == '}' || peek(P) == ']')
			return fail(P, comma, "trailing comma: JSON allows no \",\" before \"%c\"",
				    peek(P)), -1;
		return 0;
	}
	if (c == '"' || c == '{' || c == '[' || isdigit((unsigned char)c) || c == '-' ||
	    c == 't' || c == 'f' || c == 'n')
		return fail(P, after_value, "missing \",\" after this %s",
			    object ? "member" : "element"), -1;
	if (c == '/')
		return fail(P, here(P), "JSON has no comments"), -1;
	if (c == '}' || c == ']')
		return fail(P, here(P), "\"%c\" does not match the \"%c\" at %d:%d", c,
			    object ? '{' : '[', open.line, open.col), -1;
	return fail(P, here(P), "expected \",\" or \"%c\", found %s", close,
		    found(P, buf, sizeof buf)), -1;
}

/* A key in double quotes and its ":", or an error that says what is there. */
static bool member_key(struct parser *P)
{
	char buf[32];
	char c = peek(P);
	if (c != '"') {
		if (c == '\'')
			return fail(P, here(P), "keys and strings need double quotes, not single "
				    "quotes");
		if (isalpha((unsigned char)c) || c == '_')
			return fail(P, here(P), "keys need double quotes");
		if (c == '/')
			return fail(P, here(P), "JSON has no comments");
		return fail(P, here(P), "expected a key in double quotes, found %s",
			    found(P, buf, sizeof buf));
	}
	if (!parse_string(P, &P->sb))
		return false;
	skip_space(P);
	if (peek(P) != ':')
		return fail(P, here(P), "expected \":\" after the key, found %s",
			    found(P, buf, sizeof buf));
	advance(P);
	return true;
}

/* One "key": value into obj; a repeated key's member is parsed and dropped. */
static bool parse_member(struct parser *P, cJSON *obj, struct keyset *seen)
{
	struct pjson_pos kpos = here(P);
	if (!member_key(P))
		return false;
	char *key = cJSON_malloc(P->sb.len + 1);
	if (!key)
		abort();
	memcpy(key, buf_str(&P->sb), P->sb.len + 1);
	size_t base = P->path.len;
	path_push_key(P, base, key);
	bool repeated = keyset_add(seen, key) > 0;
	if (repeated)
		note_duplicate(P, key, kpos);
	P->discarding += repeated;
	cJSON *value = parse_value(P, &kpos);
	P->discarding -= repeated;
	path_cut(P, base);
	if (!value || repeated) {
		cJSON_free(key);
		cJSON_Delete(value);
		return value != NULL;
	}
	value->string = key;        /* the tree owns it; `seen` borrows it */
	cJSON_AddItemToArray(obj, value);
	return true;
}

/* An object or an array, from its opening bracket. */
static cJSON *parse_container(struct parser *P, bool object)
{
	struct pjson_pos open = here(P);
	if (P->depth >= PJSON_MAX_DEPTH)
		return fail(P, open, "nested too deeply (more than %d objects and arrays inside "
			    "each other)", PJSON_MAX_DEPTH), NULL;
	P->depth++;
	advance(P);
	cJSON *node = object ? cJSON_CreateObject() : cJSON_CreateArray();
	struct keyset seen = KEYSET_INIT;
	size_t base = P->path.len;
	skip_space(P);
	int done = peek(P) == (object ? '}' : ']');
	if (done)
		advance(P);
	for (size_t i = 0; !done; i++) {
		skip_space(P);
		if (at_end(P)) {
			fail(P, here(P), "unexpected end of the file: the %s opened at %d:%d is "
			     "not closed", object ? "object" : "array", open.line, open.col);
			break;
		}
		bool ok;
		if (object) {
			ok = parse_member(P, node, &seen);
		} else {
			buf_printf(&P->path, "[%zu]", i);
			cJSON *v = parse_value(P, NULL);
			path_cut(P, base);
			if (v)
				cJSON_AddItemToArray(node, v);
			ok = v != NULL;
		}
		if (!ok)
			break;
		done = after_member(P, open, object);
		if (done < 0)
			break;
	}
	keyset_free(&seen);
	P->depth--;
	if (P->failed) {
		cJSON_Delete(node);
		return NULL;
	}
	return node;
}

static cJSON *parse_value(struct parser *P, const struct pjson_pos *key)
{
	char buf[32];
	skip_space(P);
	if (at_end(P))
		return fail(P, here(P), "expected a value, found the end of the file"), NULL;
	record(P, here(P), key);
	char c = P->t[P->i];
	if (c == '{' || c == '[')
		return parse_container(P, c == '{');
	if (c == '"')
		return parse_string(P, &P->sb) ? cJSON_CreateString(buf_str(&P->sb)) : NULL;
	if (c == '-' || isdigit((unsigned char)c))
		return parse_number(P);
	if (literal(P, "true"))
		return cJSON_CreateTrue();
	if (literal(P, "false"))
		return cJSON_CreateFalse();
	if (literal(P, "null"))
		return cJSON_CreateNull();
	if (c == '\'')
		return fail(P, here(P), "strings need double quotes, not single quotes"), NULL;
	if (c == '/')
		return fail(P, here(P), "JSON has no comments"), NULL;
	if (isalpha((unsigned char)c))
		return fail(P, here(P), "expected a value; text needs double quotes (true, false "
			    "and null are written in lower case)"), NULL;
	return fail(P, here(P), "expected a value, found %s", found(P, buf, sizeof buf)), NULL;
}

/* ---- the document ------------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
	const struct pjson_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The whole text: one value and nothing after it.  A NUL byte is refused
 * before anything else, since cJSON's strings could not hold it. */
static cJSON *parse_document(struct parser *P)
{
	const char *nul = memchr(P->t, '\0', P->n);
	if (nul) {
		while (P->i < (size_t)(nul - P->t))
			advance(P);
		return fail(P, here(P), "the file holds a NUL byte; is it really a JSON text?"),
			NULL;
	}
	skip_space(P);
	if (at_end(P))
		return fail(P, here(P), "the file is empty; a project is a JSON object { ... }"),
			NULL;
	cJSON *root = parse_value(P, NULL);
	if (!root)
		return NULL;
	skip_space(P);
	if (!at_end(P)) {
		fail(P, here(P), "unexpected text after the end of the JSON value");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

struct pjson_index *pjson_parse(const char *text, size_t len, cJSON **root,
				struct pjson_syntax *syn)
{
	struct pjson_index *ix = xcalloc(1, sizeof *ix);
	struct parser P = { .t = text, .n = len, .line = 1, .col = 1, .ix = ix, .syn = syn };
	buf_puts(&P.path, "");
	/* A UTF-8 byte order mark is no character of the text. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		P.i = 3;
	*root = parse_document(&P);
	buf_free(&P.path);
	buf_free(&P.sb);
	if (!*root) {
		pjson_free(ix);
		return NULL;
	}
	if (ix->len)
		qsort(ix->entries, ix->len, sizeof *ix->entries, entry_cmp);
	return ix;
}

void pjson_free(struct pjson_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->len; i++)
		free(ix->entries[i].path);
	for (size_t i = 0; i < ix->ndups; i++) {
		free(ix->dups[i].path);
		free(ix->dups[i].key);
	}
	free(ix->entries);
	free(ix->dups);
	free(ix);
}

static const struct pjson_entry *find(const struct pjson_index *ix, const char *path)
{
	if (!ix || !path)
		return NULL;
	size_t lo = 0, hi = ix->len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->entries[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->len && strcmp(ix->entries[lo].path, path) == 0 ? &ix->entries[lo] : NULL;
}

bool pjson_value_at(const struct pjson_index *ix, const char *path, struct pjson_pos *at)
{
	const struct pjson_entry *e = find(ix, path);
	if (e)
		*at = e->value;
	return e != NULL;
}

bool pjson_key_at(const struct pjson_index *ix, const char *path, struct pjson_pos *at)
{
	const struct pjson_entry *e = find(ix, path);
	if (!e || !e->key.line)
		return false;
	*at = e->key;
	return true;
}

size_t pjson_duplicates(const struct pjson_index *ix, const struct pjson_dup **out)
{
	*out = ix ? ix->dups : NULL;
	return ix ? ix->ndups : 0;
}
