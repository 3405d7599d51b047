/*
 * main.c - sluice's entry point: global options, then the mode.
 */
#include "config.h"
#include "core/core.h"

#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("sluice %s\n", PACKAGE_VERSION);
		return 0;
	}
	printf("usage: sluice [OPTIONS] [COMMAND]\n");
	return 0;
}
