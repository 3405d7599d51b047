/*
 * daemon.h - the worker daemon's life, one per project and environment:
 * its files under .sluice/ (worker.lock, worker.pid, worker.log; for a
 * named environment worker-ENV.*), detaching, the lock that says
 * "alive", and the log it rotates.
 *
 * Alive means: a process holds flock(LOCK_EX) on .sluice/worker.lock.
 * The kernel drops the lock when the process dies however it dies, so a
 * killed daemon never leaves a stale lock behind and the next start takes
 * over without asking anyone.  The pid file only says who holds it.
 */
#ifndef SLUICE_CMD_DAEMON_H
#define SLUICE_CMD_DAEMON_H

#include "core/core.h"

struct daemon_files {
	char *dir;    /* PROJECT/.sluice */
	char *lock;
	char *pid;
	char *log;
};
/* The files of environment `env`'s daemon ("default" or NULL: worker.*;
 * another: worker-ENV.*). */
void daemon_files_init(struct daemon_files *f, const char *project_dir, const char *env);
void daemon_files_free(struct daemon_files *f);

struct daemon_info {
	bool running;
	long pid;           /* 0 while the pid file is not written yet */
	char host[256];
	usec_t since;
};
/* Whether a daemon holds the project's lock, and who it is.  Creates
 * nothing (safe for read-only consoles). */
void daemon_probe(const struct daemon_files *f, struct daemon_info *out);

enum { DAEMON_LOG_KEEP = 3 };   /* worker.log.1 .. .3 */

/* Start the daemon: double fork, new session, stdin from /dev/null,
 * stdout and stderr into the log (rotated past log_max bytes).  In the
 * caller's process: waits until the daemon says daemon_ready() or
 * daemon_failed(), and returns 1 with *pid set, or -1 with its error
 * (ERR_CONFLICT when another daemon holds the lock).  In the daemon: returns
 * 0, holding the lock for the rest of its life, the pid file written. */
int  daemon_spawn(const struct daemon_files *f, int64_t log_max, long *pid,
		  struct err *e);
/* In the daemon: tell the waiting parent it is up, or why it is not. */
void daemon_ready(void);
void daemon_failed(const struct err *e);
/* In the daemon, before it exits: remove the pid file (the lock goes
 * with the process). */
void daemon_exiting(const struct daemon_files *f);

/* The daemon's files' text form of `since`: "2026-12-06 22:40:01Z". */
void daemon_since_text(usec_t since, char out[32]);

#endif
