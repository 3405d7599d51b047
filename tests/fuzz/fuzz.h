/*
 * fuzz.h - what every harness under tests/fuzz/ shares.
 *
 * A harness is one LLVMFuzzerTestOneInput.  Built with --enable-fuzzers it
 * links against libFuzzer (clang's -fsanitize=fuzzer) and explores; built
 * for `make check` it links against fuzz_driver.c instead, which replays
 * the seed corpus and every crasher kept under tests/fuzz/regress/, so a
 * bug a fuzzer found stays found without clang.
 */
#ifndef SLUICE_FUZZ_H
#define SLUICE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string: parsers of text stop at a NUL anyway, so the
 * bytes after the first one are cut rather than skipped over. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input as a read callback of format/ (fmt_read_fn), for harnesses of
 * readers that pull their bytes. */
struct fuzz_mem {
	const uint8_t *data;
	size_t size, at;
};

static inline ssize_t fuzz_mem_read(void *arg, void *buf, size_t n, struct err *e)
{
	struct fuzz_mem *m = arg;
	(void)e;
	size_t left = m->size - m->at;
	if (n > left)
		n = left;
	memcpy(buf, m->data + m->at, n);
	m->at += n;
	return (ssize_t)n;
}

#endif
