/*
 * pipe_after.c - what becomes of a file once it is loaded: `purge` deletes
 * it from the lake, `archive` moves it under another prefix (Snowflake's
 * PURGE, and the archive step data teams add after COPY).
 *
 * Only the content that was loaded may go: a file replaced in the lake
 * since (same key, new rows) must stay for the pipe to see.  So the
 * archive copy is hashed as it streams and the original is deleted only
 * when that hash is the one the load recorded; a purge checks the
 * checksum first.  (A lake has no conditional delete, so a replacement in
 * the instant between the check and the delete is not caught.)  Any
 * failure leaves the file where it was: nothing is lost, the load stands,
 * and the caller logs a warning.
 */
#include "pipes/pipe_int.h"

#include <stdlib.h>
#include <string.h>

/* The key under the archive prefix: the part under the pipe's path kept. */
static char *archive_key(const struct project_pipe *pipe, const char *key)
{
	size_t pl = strlen(pipe->path);
	const char *rel = strncmp(key, pipe->path, pl) == 0 ? key + pl : key;
	return xasprintf("%s%s", pipe->archive, rel);
}

static int same_content(const char *loaded, const char *now, const char *key, struct err *e)
{
	if (loaded && strcmp(loaded, now) == 0)
		return 0;
	return err_set(e, ERR_CONFLICT, "%s changed in the lake after it was loaded: left in "
		       "place for the pipe to look at", key);
}

static int copy_hashed(struct lake *lake, const char *from, const char *to, char hex[65],
		       struct err *e)
{
	struct lake_reader *rd = lake_read_open(lake, from, e);
	if (!rd)
		return -1;
	struct lake_writer *w = lake_write_open(lake, to, e);
	if (!w) {
		lake_read_close(rd);
		return -1;
	}
	struct sha256 sha;
	sha256_init(&sha);
	char chunk[65536];
	ssize_t got;
	int rc = 0;
	while ((got = lake_read(rd, chunk, sizeof chunk, e)) > 0) {
		sha256_update(&sha, chunk, (size_t)got);
		if (lake_write(w, chunk, (size_t)got, e) < 0) {
			rc = -1;
			break;
		}
	}
	lake_read_close(rd);
	if (got < 0 || rc < 0) {
		sha256_free(&sha);
		lake_write_abort(w);
		return -1;
	}
	uint8_t digest[32];
	sha256_final(&sha, digest);
	sha256_hex(digest, hex);
	return lake_write_commit(w, e);
}

int pipe_after_load(struct lake *lake, const struct project_pipe *pipe, const char *key,
		    const char *checksum, char **moved_to, struct err *e)
{
	*moved_to = NULL;
	if (!pipe->purge && !pipe->archive)
		return 0;
	char hex[65];
	if (pipe->purge) {
		if (lake_checksum(lake, key, hex, NULL, e) < 0
		    || same_content(checksum, hex, key, e) < 0)
			return -1;
		return lake_delete(lake, key, e);
	}
	char *to = archive_key(pipe, key);
	if (copy_hashed(lake, key, to, hex, e) < 0) {
		free(to);
		return -1;
	}
	if (same_content(checksum, hex, key, e) < 0 || lake_delete(lake, key, e) < 0) {
		struct err de = { 0 };
		lake_delete(lake, to, &de);   /* the copy is of content not loaded */
		free(to);
		return -1;
	}
	*moved_to = to;
	return 0;
}
