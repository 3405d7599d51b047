/*
 * cond.c - a task's `when` condition: parsing, walking and evaluating.
 *
 * A small recursive-descent parser over a hand-written lexer, so that every
 * error can say exactly which character is wrong; the loader turns that
 * byte offset into the LINE:COL of the character inside sluice.json.
 * Evaluation asks a callback for the function calls (the engine answers
 * stream_rows from the stream's database), stopping early on and/or.
 */
#include "project/project_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const cond_functions[] = { "stream_has_data", "stream_rows" };

enum tok { T_END, T_NUM, T_IDENT, T_LP, T_RP, T_CMP, T_BAD };

struct lexer {
	const char *text;
	size_t pos;            /* where the next token starts scanning */
	enum tok kind;         /* the current token */
	size_t start, len;
	double num;
	enum cond_op op;
	size_t *errpos;
	struct err *e;
};

static void next(struct lexer *lx)
{
	const char *t = lx->text;
	while (isspace((unsigned char)t[lx->pos]))
		lx->pos++;
	size_t i = lx->pos;
	lx->start = i;
	char c = t[i];
	if (!c) {
		lx->kind = T_END;
		lx->len = 0;
		return;
	}
	if (isdigit((unsigned char)c)) {
		/* DIGITS[.DIGITS] only: strtod alone would take "1e5" and hex. */
		size_t j = i;
		while (isdigit((unsigned char)t[j]))
			j++;
		if (t[j] == '.' && isdigit((unsigned char)t[j + 1]))
			for (j++; isdigit((unsigned char)t[j]); j++)
				;
		char *digits = xstrndup(t + i, j - i);
		lx->num = strtod(digits, NULL);
		free(digits);
		lx->kind = T_NUM;
		lx->len = j - i;
	} else if (isalpha((unsigned char)c) || c == '_') {
		size_t j = i;
		while (isalnum((unsigned char)t[j]) || t[j] == '_')
			j++;
		lx->kind = T_IDENT;
		lx->len = j - i;
	} else if (c == '(' || c == ')') {
		lx->kind = c == '(' ? T_LP : T_RP;
		lx->len = 1;
	} else if (strchr("<>=!", c)) {
		bool eq = t[i + 1] == '=';
		lx->kind = T_CMP;
		lx->len = eq ? 2 : 1;
		switch (c) {
		case '<': lx->op = eq ? COND_LE : COND_LT; break;
		case '>': lx->op = eq ? COND_GE : COND_GT; break;
		case '=': lx->op = COND_EQ; lx->kind = eq ? T_CMP : T_BAD; break;
		default:  lx->op = COND_NE; lx->kind = eq ? T_CMP : T_BAD; break;
		}
	} else {
		lx->kind = T_BAD;
		lx->len = (t[i + 1] == c && (c == '&' || c == '|')) ? 2 : 1;
	}
	lx->pos = i + lx->len;
}

static bool is_word(const struct lexer *lx, const char *w)
{
	return lx->kind == T_IDENT && lx->len == strlen(w) &&
		strncmp(lx->text + lx->start, w, lx->len) == 0;
}

static struct cond *fail(struct lexer *lx, size_t at, const char *fmt, ...) PRINTF_LIKE(3, 4);

static struct cond *fail(struct lexer *lx, size_t at, const char *fmt, ...)
{
	/* Only the first error counts; later ones are echoes of it. */
	if (lx->e && lx->e->code != ERR_OK)
		return NULL;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int col = 1;
	for (size_t i = 0; i < at; i++)
		if (((unsigned char)lx->text[i] & 0xc0) != 0x80)
			col++;
	char where[32];
	snprintf(where, sizeof where, "column %d", col);
	err_at(lx->e, ERR_PARSE, where, "%s", msg);
	if (lx->errpos)
		*lx->errpos = at;
	return NULL;
}

/* The current token, quoted for a message. */
static const char *tok_text(const struct lexer *lx, char *buf, size_t n)
{
	if (lx->kind == T_END)
		return "the end";
	int len = lx->len > 24 ? 24 : (int)lx->len;
	snprintf(buf, n, "\"%.*s\"", len, lx->text + lx->start);
	return buf;
}

static struct cond *node(enum cond_op op, struct cond *l, struct cond *r)
{
	struct cond *c = xcalloc(1, sizeof *c);
	c->op = op;
	c->left = l;
	c->right = r;
	return c;
}

static struct cond *parse_or(struct lexer *lx);

static struct cond *parse_call(struct lexer *lx)
{
	size_t fstart = lx->start, flen = lx->len;
	char *func = xstrndup(lx->text + fstart, flen);
	next(lx);
	if (lx->kind != T_LP) {
		free(func);
		return fail(lx, fstart, "\"%.*s\" is not a number or a function call "
			    "(stream_has_data(STREAM), stream_rows(STREAM))",
			    (int)(flen > 24 ? 24 : flen), lx->text + fstart);
	}
	bool known = false;
	for (size_t i = 0; i < ARRAY_LEN(cond_functions); i++)
		known = known || strcmp(func, cond_functions[i]) == 0;
	if (!known) {
		const char *hint = proj_suggest_text(func, cond_functions,
						     ARRAY_LEN(cond_functions));
		struct cond *r = fail(lx, fstart, "unknown function \"%.24s\"%s", func,
				      *hint ? hint : " (expected stream_has_data or stream_rows)");
		free(func);
		return r;
	}
	next(lx);
	char buf[40];
	if (lx->kind != T_IDENT) {
		free(func);
		return fail(lx, lx->start, "expected a stream name, found %s",
			    tok_text(lx, buf, sizeof buf));
	}
	struct cond *c = node(COND_CALL, NULL, NULL);
	c->func = func;
	c->arg = xstrndup(lx->text + lx->start, lx->len);
	c->pos = lx->start;
	next(lx);
	if (lx->kind != T_RP) {
		cond_free(c);
		return fail(lx, lx->start, "expected \")\" after the stream name, found %s",
			    tok_text(lx, buf, sizeof buf));
	}
	next(lx);
	return c;
}

static struct cond *parse_primary(struct lexer *lx)
{
	char buf[40];
	if (lx->kind == T_NUM) {
		struct cond *c = node(COND_NUMBER, NULL, NULL);
		c->number = lx->num;
		next(lx);
		return c;
	}
	if (lx->kind == T_LP) {
		size_t open = lx->start;
		next(lx);
		struct cond *c = parse_or(lx);
		if (!c)
			return NULL;
		if (lx->kind != T_RP) {
			cond_free(c);
			if (lx->kind == T_END)
				return fail(lx, open, "this \"(\" is never closed");
			return fail(lx, lx->start, "expected \")\", found %s",
				    tok_text(lx, buf, sizeof buf));
		}
		next(lx);
		return c;
	}
	if (lx->kind == T_IDENT && !is_word(lx, "and") && !is_word(lx, "or") && !is_word(lx, "not"))
		return parse_call(lx);
	if (lx->kind == T_BAD && lx->text[lx->start] == '!')
		return fail(lx, lx->start, "\"!\" is not an operator; use \"not\"");
	return fail(lx, lx->start, "expected a number, a function call or \"(\", found %s",
		    tok_text(lx, buf, sizeof buf));
}

static struct cond *parse_cmp(struct lexer *lx)
{
	struct cond *l = parse_primary(lx);
	if (!l)
		return NULL;
	if (lx->kind == T_BAD && lx->text[lx->start] == '=') {
		cond_free(l);
		return fail(lx, lx->start, "\"=\" is not an operator; use \"==\" to compare");
	}
	if (lx->kind != T_CMP)
		return l;
	enum cond_op op = lx->op;
	next(lx);
	struct cond *r = parse_primary(lx);
	if (!r) {
		cond_free(l);
		return NULL;
	}
	if (lx->kind == T_CMP) {
		size_t at = lx->start;
		cond_free(l);
		cond_free(r);
		return fail(lx, at, "comparisons do not chain; join them with \"and\"");
	}
	return node(op, l, r);
}

static struct cond *parse_not(struct lexer *lx)
{
	if (is_word(lx, "not")) {
		next(lx);
		struct cond *c = parse_not(lx);
		return c ? node(COND_NOT, c, NULL) : NULL;
	}
	return parse_cmp(lx);
}

static struct cond *parse_and(struct lexer *lx)
{
	struct cond *l = parse_not(lx);
	while (l && is_word(lx, "and")) {
		next(lx);
		struct cond *r = parse_not(lx);
		if (!r) {
			cond_free(l);
			return NULL;
		}
		l = node(COND_AND, l, r);
	}
	return l;
}

static struct cond *parse_or(struct lexer *lx)
{
	struct cond *l = parse_and(lx);
	while (l && is_word(lx, "or")) {
		next(lx);
		struct cond *r = parse_and(lx);
		if (!r) {
			cond_free(l);
			return NULL;
		}
		l = node(COND_OR, l, r);
	}
	return l;
}

struct cond *cond_parse(const char *text, size_t *errpos, struct err *e)
{
	struct err local;
	err_clear(&local);
	struct lexer lx = { .text = text, .errpos = errpos, .e = e ? e : &local };
	err_clear(lx.e);
	next(&lx);
	if (lx.kind == T_END)
		return fail(&lx, lx.start, "the condition is empty");
	struct cond *c = parse_or(&lx);
	if (c && lx.kind != T_END) {
		char buf[40];
		const char *hint = "";
		if (lx.kind == T_BAD && lx.text[lx.start] == '&')
			hint = "; use \"and\"";
		else if (lx.kind == T_BAD && lx.text[lx.start] == '|')
			hint = "; use \"or\"";
		else if (lx.kind == T_BAD && lx.text[lx.start] == '=')
			hint = "; use \"==\" to compare";
		cond_free(c);
		return fail(&lx, lx.start, "unexpected %s after the condition%s",
			    tok_text(&lx, buf, sizeof buf), hint);
	}
	return c;
}

void cond_free(struct cond *c)
{
	if (!c)
		return;
	cond_free(c->left);
	cond_free(c->right);
	free(c->func);
	free(c->arg);
	free(c);
}

void cond_walk_calls(const struct cond *c,
		     void (*cb)(const char *func, const char *arg, void *ctx), void *ctx)
{
	if (!c)
		return;
	if (c->op == COND_CALL)
		cb(c->func, c->arg, ctx);
	cond_walk_calls(c->left, cb, ctx);
	cond_walk_calls(c->right, cb, ctx);
}

int cond_eval(const struct cond *c, cond_call_fn call, void *ctx, double *out,
	      struct err *e)
{
	double l, r;
	switch (c->op) {
	case COND_NUMBER:
		*out = c->number;
		return 0;
	case COND_CALL:
		return call(c->func, c->arg, out, ctx, e);
	case COND_NOT:
		if (cond_eval(c->left, call, ctx, &l, e) < 0)
			return -1;
		*out = l == 0;
		return 0;
	case COND_AND:
	case COND_OR:
		if (cond_eval(c->left, call, ctx, &l, e) < 0)
			return -1;
		if ((c->op == COND_AND) == (l == 0)) {
			*out = l != 0;
			return 0;
		}
		if (cond_eval(c->right, call, ctx, &r, e) < 0)
			return -1;
		*out = r != 0;
		return 0;
	default:
		break;
	}
	if (cond_eval(c->left, call, ctx, &l, e) < 0 ||
	    cond_eval(c->right, call, ctx, &r, e) < 0)
		return -1;
	switch (c->op) {
	case COND_LT: *out = l < r; break;
	case COND_LE: *out = l <= r; break;
	case COND_GT: *out = l > r; break;
	case COND_GE: *out = l >= r; break;
	case COND_EQ: *out = l == r; break;
	default:      *out = l != r; break;
	}
	return 0;
}
