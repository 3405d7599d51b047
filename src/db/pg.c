/*
 * pg.c - the PostgreSQL backend of the db module (libpq).
 */
#include "db_int.h"

static int pg_open(struct db *db UNUSED, const char *url UNUSED,
		   const struct db_options *opt UNUSED, struct err *e)
{
	return err_set(e, ERR_INTERNAL, "PostgreSQL connections are not in this build yet");
}

int db_pg_copy_out(struct db *db UNUSED, const char *sql UNUSED,
		   int (*fn)(void *arg, const char *line, size_t len, struct err *e) UNUSED,
		   void *arg UNUSED, struct err *e)
{
	return err_set(e, ERR_INTERNAL, "PostgreSQL connections are not in this build yet");
}

const struct db_ops db_pg_ops = {
	.open = pg_open,
};
