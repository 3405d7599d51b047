/*
 * fuzz_project.c - the project loader: the input is a sluice.json, loaded
 * (parse, model, validation, diagnostics with their positions) for no
 * environment and for "prod".  project_load reads a file, so the input is
 * written to one in a private temporary directory first.
 */
#include "fuzz.h"

#include <stdio.h>
#include <unistd.h>

#include "project/project.h"

static char dir[64];
static char file[96];

static void remove_dir(void)
{
	unlink(file);
	rmdir(dir);
}

static void make_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/sluice-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(file, sizeof file, "%s/sluice.json", dir);
	atexit(remove_dir);
}

static void load(const char *env)
{
	struct diags d;
	diags_init(&d);
	struct err e = { 0 };
	struct project *p = project_load(file, env, &d, &e);
	diags_sort(&d);
	for (size_t i = 0; i < d.items.len; i++)
		free(diag_format(d.items.items[i]));
	project_free(p);
	diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	if (!dir[0])
		make_dir();
	FILE *fp = fopen(file, "wb");
	if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
		abort();
	load(NULL);
	load("prod");
	return 0;
}
