/*
 * cmd_json.c - how every command writes --json.
 *
 * One format for all of them: each document compact on one line, times as
 * ISO 8601 UTC strings, absent values as null.  Scripts can grep it or
 * hand it to jq, and `logs --json` streams one record a line the same way.
 */
#include "cmd/cmd_int.h"

#include <cjson/cJSON.h>

void cmd_json_print(FILE *fp, const cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);
	fprintf(fp, "%s\n", text ? text : "null");
	cJSON_free(text);
}

void cmd_json_add_time(cJSON *o, const char *key, usec_t t)
{
	if (!t) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	char iso[32];
	time_format_iso(t, iso);
	cJSON_AddStringToObject(o, key, iso);
}

void cmd_json_add_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}
