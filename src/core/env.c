/*
 * env.c - the defaults sluice takes from the environment in more than one
 * place: the XDG base directories, NO_COLOR and TZDIR.  One reading each,
 * so the console, the shell and the demo cannot disagree about them.
 */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

char *env_xdg_dir(enum env_xdg which)
{
	const char *var = which == ENV_XDG_DATA ? "XDG_DATA_HOME" : "XDG_STATE_HOME";
	const char *dflt = which == ENV_XDG_DATA ? ".local/share" : ".local/state";
	/* The base directory specification: a relative path is invalid and
	 * is ignored, as if the variable were unset. */
	const char *base = getenv(var);
	if (base && base[0] == '/')
		return xasprintf("%s/sluice", base);
	const char *home = getenv("HOME");
	if (home && *home)
		return xasprintf("%s/%s/sluice", home, dflt);
	return NULL;
}

bool env_no_color(void)
{
	const char *v = getenv("NO_COLOR");
	return v && *v;
}

/* systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it gave
 * the service; it is inherited by children whose stderr went elsewhere,
 * so it counts only when stderr is still that stream. */
bool env_journal_stderr(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!v || sscanf(v, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

const char *env_tzdir(void)
{
	const char *dir = getenv("TZDIR");
	return dir && *dir ? dir : "/usr/share/zoneinfo";
}
