/*
 * main.c - sluice's entry point: global options, then the mode.
 */
#include "config.h"
#include "core/core.h"
#include "tui/tui.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("sluice %s\n", PACKAGE_VERSION);
		return 0;
	}
	/* No command, `console` or `monitor`: the console (tui/). */
	struct tui_config tc = { .environment = getenv("SLUICE_ENV") };
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--no-color") == 0)
			tc.no_color = true;
		else if (strcmp(argv[i], "--read-only") == 0)
			tc.read_only = true;
		else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc)
			tc.environment = argv[++i];
		else
			break;
	}
	if (i == argc || strcmp(argv[i], "console") == 0 || strcmp(argv[i], "monitor") == 0) {
		tc.read_only |= i < argc && strcmp(argv[i], "monitor") == 0;
		struct err e;
		err_clear(&e);
		if (tui_run(&tc, &e) == 0)
			return 0;
		fprintf(stderr, "sluice: %s\n", err_text(&e));
		return 1;
	}
	printf("usage: sluice [OPTIONS] [COMMAND]\n");
	return 0;
}
