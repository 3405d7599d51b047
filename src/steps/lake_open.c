/*
 * lake_open.c - the project's lake, opened with its credentials.
 *
 * The project names environment variables, never secrets; this is where
 * they are read, registered as secrets (so no log or error shows them)
 * and handed to lake_open.  A relative file: lake resolves against the
 * project directory, like every other path in the project file.
 */
#include "steps/steps_int.h"
#include "lake/lake.h"

#include <stdlib.h>
#include <string.h>

static int env_secret(const char *var, const char *what, const char **out, struct err *e)
{
	*out = NULL;
	if (!var)
		return 0;
	const char *v = getenv(var);
	if (!v || !*v)
		return err_at(e, ERR_INVALID, "lake", "the environment variable %s (%s) "
			      "is not set", var, what);
	log_add_secret(v);
	*out = v;
	return 0;
}

struct lake *steps_open_lake(const struct project *p, struct err *e)
{
	const struct project_lake *pl = &p->lake;
	const char *url = pl->url && *pl->url ? pl->url : "file:lake";
	char *resolved = NULL;
	if (str_starts_with(url, "file:") && !str_starts_with(url, "file://") &&
	    url[5] != '/') {
		char *dir = path_join(p->dir ? p->dir : ".", url + 5);
		resolved = xasprintf("file:%s", dir);
		free(dir);
		url = resolved;
	}
	struct lake_options opt;
	memset(&opt, 0, sizeof opt);
	opt.endpoint = pl->endpoint;
	opt.region = pl->region;
	struct lake *lake = NULL;
	if (env_secret(pl->access_key_env, "access_key_env", &opt.access_key, e) == 0 &&
	    env_secret(pl->secret_key_env, "secret_key_env", &opt.secret_key, e) == 0)
		lake = lake_open(url, &opt, e);
	free(resolved);
	return lake;
}
