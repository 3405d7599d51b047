/*
 * err.c - the one error type: a code, where in the input, and what.
 */
#include "core.h"

#include <string.h>

int err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	if (!e)
		return -1;
	e->code = code;
	e->where[0] = '\0';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int err_at(struct err *e, enum err_code code, const char *where, const char *fmt, ...)
{
	if (!e)
		return -1;
	e->code = code;
	snprintf(e->where, sizeof e->where, "%s", where ? where : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

void err_prefix(struct err *e, const char *fmt, ...)
{
	if (!e)
		return;
	char prefix[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	size_t plen = strlen(prefix), mlen = strlen(e->msg);
	if (plen >= sizeof e->msg)
		plen = sizeof e->msg - 1;
	if (plen + mlen >= sizeof e->msg)
		mlen = sizeof e->msg - 1 - plen;
	memmove(e->msg + plen, e->msg, mlen);
	memcpy(e->msg, prefix, plen);
	e->msg[plen + mlen] = '\0';
}

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = ERR_OK;
	e->where[0] = '\0';
	e->msg[0] = '\0';
}

const char *err_text(const struct err *e)
{
	static _Thread_local char text[sizeof e->where + sizeof e->msg + 2];
	if (!e || e->code == ERR_OK)
		return "no error";
	if (e->where[0])
		snprintf(text, sizeof text, "%s: %s", e->where, e->msg);
	else
		snprintf(text, sizeof text, "%s", e->msg);
	return text;
}

const char *err_code_name(enum err_code code)
{
	static const char *const names[] = {
		[ERR_OK] = "ok", [ERR_IO] = "i/o error", [ERR_PARSE] = "parse error",
		[ERR_INVALID] = "invalid", [ERR_NOTFOUND] = "not found",
		[ERR_CONFLICT] = "conflict", [ERR_READONLY] = "read-only",
		[ERR_DB] = "database error", [ERR_CANCELLED] = "cancelled",
		[ERR_TIMEOUT] = "timeout", [ERR_VERSION] = "version mismatch",
		[ERR_INTERNAL] = "internal error",
	};
	if ((size_t)code < ARRAY_LEN(names) && names[code])
		return names[code];
	return "error";
}
