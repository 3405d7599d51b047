/*
 * fuzz_driver.c - a main() for the harnesses without libFuzzer: runs
 * LLVMFuzzerTestOneInput once per file.  With no arguments it replays
 * tests/fuzz/corpus/NAME/ and tests/fuzz/regress/NAME/ under
 * $SLUICE_SRCDIR, which is how `make check` runs it; finding no input at
 * all is a failure, so a mistyped path cannot pass as a green test.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#ifndef FUZZ_NAME
#error "FUZZ_NAME names the harness"
#endif

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *data = malloc(cap);
	size_t got;
	while (data && (got = fread(data + len, 1, cap - len, fp)) > 0) {
		len += got;
		if (len == cap)
			data = realloc(data, cap *= 2);
	}
	fclose(fp);
	if (!data)
		abort();
	fprintf(stderr, "%s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

/* Files of a directory in name order, so a failure is reproducible. */
static int run_path(const char *path, int *count)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && rc == 0) {
			char child[4096];
			snprintf(child, sizeof child, "%s/%s", path, names[i]->d_name);
			rc = run_path(child, count);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int count = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (run_path(argv[i], &count) < 0)
				return 1;
	} else {
		const char *top = getenv("SLUICE_SRCDIR");
		char path[4096];
		snprintf(path, sizeof path, "%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_NAME);
		if (run_path(path, &count) < 0)
			return 1;
		snprintf(path, sizeof path, "%s/tests/fuzz/regress/%s", top ? top : ".", FUZZ_NAME);
		if (run_path(path, &count) < 0)
			return 1;
	}
	if (count == 0) {
		fprintf(stderr, "fuzz replay %s: no inputs found\n", FUZZ_NAME);
		return 1;
	}
	printf("fuzz replay %s: %d inputs, no crash\n", FUZZ_NAME, count);
	return 0;
}
