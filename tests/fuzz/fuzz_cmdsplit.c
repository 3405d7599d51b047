/*
 * fuzz_cmdsplit.c - the splitter of console and shell command lines into
 * words (quotes, backslashes, an unterminated quote).  No word may hold
 * more bytes than the line, and a failure must say why.
 */
#include "fuzz.h"

#include "cmd/cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *line = fuzz_cstring(data, size);
	struct vec words = { 0 };
	struct err e = { 0 };
	if (cmd_split(line, &words, &e) == 0) {
		for (size_t i = 0; i < words.len; i++)
			if (strlen(words.items[i]) > strlen(line))
				abort();
	} else if (!err_text(&e)[0]) {
		abort();
	}
	vec_free_all(&words, free);
	free(line);
	return 0;
}
