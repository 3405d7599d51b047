/*
 * daemon.c - the worker daemon's life: detaching, the lock, the pid file
 * and the rotated log (see daemon.h for what "alive" means).
 */
#include "cmd/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* DIR/STEM.EXT; caller frees. */
static char *daemon_file(const char *dir, const char *stem, const char *ext)
{
	char *name = xasprintf("%s.%s", stem, ext);
	char *path = path_join(dir, name);
	free(name);
	return path;
}

void daemon_files_init(struct daemon_files *f, const char *project_dir, const char *env)
{
	f->dir = path_join(project_dir && *project_dir ? project_dir : ".", ".sluice");
	/* One daemon per environment: each may have a control store and data
	 * of its own.  The default one keeps the names it always had. */
	char *stem = env && *env && !str_eq(env, "default") ? xasprintf("worker-%s", env)
							   : xstrdup("worker");
	f->lock = daemon_file(f->dir, stem, "lock");
	f->pid = daemon_file(f->dir, stem, "pid");
	f->log = daemon_file(f->dir, stem, "log");
	free(stem);
}

void daemon_files_free(struct daemon_files *f)
{
	free(f->dir);
	free(f->lock);
	free(f->pid);
	free(f->log);
	memset(f, 0, sizeof *f);
}

void daemon_since_text(usec_t since, char out[32])
{
	time_t t = (time_t)(since / USEC_PER_SEC);
	struct tm tm;
	if (!since || !gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%SZ", &tm))
		snprintf(out, 32, "unknown");
}

/* "PID\nHOST\nSTART_USEC\n" */
static void read_pid_file(const char *path, struct daemon_info *out)
{
	FILE *fp = fopen(path, "re");
	if (!fp)
		return;
	long pid = 0;
	long long since = 0;
	char host[256] = "";
	if (fscanf(fp, "%ld %255s %lld", &pid, host, &since) == 3) {
		out->pid = pid;
		snprintf(out->host, sizeof out->host, "%s", host);
		out->since = (usec_t)since;
	}
	fclose(fp);
}

void daemon_probe(const struct daemon_files *f, struct daemon_info *out)
{
	memset(out, 0, sizeof *out);
	int fd = open(f->lock, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* A shared lock is had at once unless the daemon holds its own. */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		out->running = true;
		read_pid_file(f->pid, out);
	}
	close(fd);
}

/* ---- in the daemon ------------------------------------------------------ */

static int ready_fd = -1;     /* the pipe to the waiting parent */
static const char *log_path;
static int64_t log_limit;

static void tell_parent(const char *text)
{
	if (ready_fd < 0)
		return;
	size_t n = strlen(text);
	while (n) {
		ssize_t w = write(ready_fd, text, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		text += w;
		n -= (size_t)w;
	}
	close(ready_fd);
	ready_fd = -1;
}

void daemon_ready(void)
{
	tell_parent("R");
}

void daemon_failed(const struct err *e)
{
	char *text = xasprintf("E%d %s", (int)e->code, err_text(e));
	tell_parent(text);
	free(text);
}

void daemon_exiting(const struct daemon_files *f)
{
	unlink(f->pid);
}

/* Point stdout and stderr at a fresh log file.  The stderr text sink
 * main() registered writes through them, so it follows. */
static int open_log_onto_stdio(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	return 0;
}

/* Registered after the text sink, so it runs after each record is
 * written (under the log lock: no record is split across files). */
static void rotate_sink(const struct log_record *rec, void *arg)
{
	(void)rec;
	(void)arg;
	struct stat st;
	if (fstat(STDERR_FILENO, &st) < 0 || st.st_size < log_limit)
		return;
	for (int i = DAEMON_LOG_KEEP; i >= 1; i--) {
		char *from = i == 1 ? xstrdup(log_path) : xasprintf("%s.%d", log_path, i - 1);
		char *to = xasprintf("%s.%d", log_path, i);
		rename(from, to);
		free(from);
		free(to);
	}
	open_log_onto_stdio(log_path);
}

static int write_pid_file(const char *path, struct err *e)
{
	char host[256] = "localhost";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	char *tmp = xasprintf("%s.tmp", path);
	FILE *fp = fopen(tmp, "we");
	int rc = 0;
	if (!fp || fprintf(fp, "%ld\n%s\n%lld\n", (long)getpid(), host,
			   (long long)clock_now_us()) < 0 || fclose(fp) != 0 ||
	    rename(tmp, path) < 0) {
		rc = err_set(e, ERR_IO, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* Take the lock for good.  A console probing it holds a shared lock for
 * an instant, so a refusal is retried briefly before it counts. */
static int take_lock(const struct daemon_files *f, struct err *e)
{
	int fd = open(f->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, ERR_IO, "cannot open %s: %s", f->lock, strerror(errno));
	for (int i = 0; i < 50; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;     /* fd stays open: the lock lives with us */
		if (errno != EWOULDBLOCK)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	close(fd);
	struct daemon_info live;
	daemon_probe(f, &live);
	char since[32];
	daemon_since_text(live.since, since);
	return err_set(e, ERR_CONFLICT, "a worker already runs for this project: pid %ld "
		       "on %s since %s", live.pid, live.host, since);
}

static void detach_stdio(const char *log)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	if (open_log_onto_stdio(log) < 0) {
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			close(null);
		}
	}
	/* Started from a systemd unit, stderr was the journal; the log file
	 * is not, and takes the form of a file. */
	log_stderr_moved();
}

/* The daemon's side of daemon_spawn, after the second fork. */
static int become_daemon(const struct daemon_files *f, int64_t log_max, struct err *e)
{
	log_path = f->log;
	log_limit = log_max;
	detach_stdio(f->log);
	if (take_lock(f, e) < 0 || write_pid_file(f->pid, e) < 0)
		return -1;
	log_add_sink(LOG_DEBUG, rotate_sink, NULL);
	return 0;
}

/* The parent's side: what the daemon said through the pipe. */
static int wait_for_daemon(int fd, pid_t child, const struct daemon_files *f, long *pid,
			   struct err *e)
{
	struct buf said = BUF_INIT;
	char chunk[512];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		buf_append(&said, chunk, (size_t)n);
	}
	close(fd);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	int rc = 1;
	const char *text = said.len ? said.data : "";
	if (text[0] == 'R') {
		struct daemon_info live;
		daemon_probe(f, &live);
		*pid = live.pid;
	} else if (text[0] == 'E') {
		int code = atoi(text + 1);
		const char *msg = strchr(text, ' ');
		rc = err_set(e, code > 0 ? (enum err_code)code : ERR_INTERNAL, "%s",
			     msg ? msg + 1 : "the worker did not start");
	} else {
		rc = err_set(e, ERR_INTERNAL, "the worker exited before it was up; "
			     "see %s", f->log);
	}
	buf_free(&said);
	return rc;
}

int daemon_spawn(const struct daemon_files *f, int64_t log_max, long *pid, struct err *e)
{
	if (mkdir(f->dir, 0700) < 0 && errno != EEXIST)
		return err_set(e, ERR_IO, "cannot create %s: %s", f->dir, strerror(errno));
	int p[2];
	if (pipe(p) < 0)
		return err_set(e, ERR_IO, "pipe: %s", strerror(errno));
	/* Not for the engine's children (a step's command): the parent waits
	 * for the pipe to close. */
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return err_set(e, ERR_IO, "fork: %s", strerror(errno));
	}
	if (child > 0) {
		close(p[1]);
		return wait_for_daemon(p[0], child, f, pid, e);
	}
	/* The first child: a new session, then a grandchild that is not its
	 * leader, so that no terminal it opens can become its own. */
	close(p[0]);
	setsid();
	pid_t grandchild = fork();
	if (grandchild != 0)
		_exit(grandchild < 0 ? 1 : 0);
	ready_fd = p[1];
	if (become_daemon(f, log_max, e) < 0) {
		log_error("%s", err_text(e));
		daemon_failed(e);
		_exit(e->code == ERR_CONFLICT ? 5 : 1);
	}
	return 0;
}
