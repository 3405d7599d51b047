/*
 * lake_file.c - the lake in a local directory (`file:DIR`).
 *
 * A key is a path below DIR.  Writes go to a hidden temporary file in the
 * key's own directory and are renamed over the key after an fsync, so a
 * reader (a pipe polling the same directory, another process) sees the old
 * file or the new one, never half of one.  Listings skip names starting
 * with '.', which is where those temporary files live, and never follow
 * symbolic links to directories (no loops, no walking out of the lake).
 */
#include "lake/lake_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct file_lake {
	char *root;
};

static const char *root_of(const struct lake *lake)
{
	return ((const struct file_lake *)lake->priv)->root;
}

static int file_open(struct lake *lake, const char *rest, struct err *e)
{
	/* file:///abs/dir and file:dir both work. */
	if (str_starts_with(rest, "//"))
		rest += 2;
	if (!*rest)
		return err_set(e, ERR_INVALID, "lake URL \"%s\": no directory after file:",
			       lake->url);
	struct file_lake *fl = xcalloc(1, sizeof *fl);
	fl->root = xstrdup(rest);
	size_t n = strlen(fl->root);
	while (n > 1 && fl->root[n - 1] == '/')
		fl->root[--n] = '\0';
	lake->priv = fl;
	return 0;
}

static void file_close(struct lake *lake)
{
	struct file_lake *fl = lake->priv;
	if (fl)
		free(fl->root);
	free(fl);
}

static usec_t mtime_of(const struct stat *st)
{
	return (usec_t)st->st_mtim.tv_sec * USEC_PER_SEC + st->st_mtim.tv_nsec / 1000;
}

static int io_error(struct err *e, const char *what, const char *path, int errnum)
{
	return err_at(e, errnum == ENOENT ? ERR_NOTFOUND : ERR_IO, path, "%s: %s", what,
		      strerror(errnum));
}

/* ---- listing ------------------------------------------------------------- */

/* Walk `dir` (whose key prefix is `dirkey`, "" or ending in '/'), adding
 * every regular file whose key starts with `prefix`. */
static int walk(const char *dir, const char *dirkey, const char *prefix,
		struct lake_listing *out, struct err *e)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return io_error(e, "cannot list", dir, errno);
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *key = xasprintf("%s%s", dirkey, de->d_name);
		char *path = path_join(dir, de->d_name);
		struct stat st;
		bool ok = lstat(path, &st) == 0;
		/* Links to files are read through; links to directories are not
		 * followed. */
		if (ok && S_ISLNK(st.st_mode))
			ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
		if (!ok) {
			/* vanished meanwhile, or a link we do not follow */
		} else if (S_ISDIR(st.st_mode)) {
			char *sub = xasprintf("%s/", key);
			if ((str_starts_with(sub, prefix) || str_starts_with(prefix, sub)) &&
			    lake_key_check(key, strlen(key), NULL) == 0)
				rc = walk(path, sub, prefix, out, e);
			free(sub);
		} else if (S_ISREG(st.st_mode) && str_starts_with(key, prefix)) {
			/* A name no key could have (control characters, bad UTF-8)
			 * cannot be read back through the API: leave it out. */
			if (lake_key_check(key, strlen(key), NULL) == 0)
				lake_entry_push(out, key, (int64_t)st.st_size, mtime_of(&st));
			else
				log_warn("lake %s: skipping %s: not a valid key", dir, de->d_name);
		}
		free(path);
		free(key);
		if (rc < 0)
			break;
	}
	closedir(d);
	return rc;
}

static int file_list(struct lake *lake, const char *prefix, struct lake_listing *out,
		     struct err *e)
{
	const char *root = root_of(lake);
	struct stat st;
	if (stat(root, &st) < 0)
		return err_at(e, ERR_NOTFOUND, root, "lake directory does not exist");
	if (!S_ISDIR(st.st_mode))
		return err_at(e, ERR_INVALID, root, "lake is not a directory");
	/* Start at the deepest directory the prefix names. */
	const char *slash = strrchr(prefix, '/');
	char *dirkey = slash ? xstrndup(prefix, (size_t)(slash - prefix + 1)) : xstrdup("");
	char *dir = *dirkey ? path_join(root, dirkey) : xstrdup(root);
	int rc = walk(dir, dirkey, prefix, out, e);
	free(dir);
	free(dirkey);
	return rc;
}

static int file_stat(struct lake *lake, const char *key, struct lake_entry *out,
		     struct err *e)
{
	char *path = path_join(root_of(lake), key);
	struct stat st;
	int rc = 0;
	if (stat(path, &st) < 0)
		rc = io_error(e, "cannot stat", path, errno);
	else if (!S_ISREG(st.st_mode))
		rc = err_at(e, ERR_NOTFOUND, path, "not a file");
	else {
		out->size = (int64_t)st.st_size;
		out->mtime = mtime_of(&st);
	}
	free(path);
	return rc;
}

/* ---- reading ----------------------------------------------------------------- */

struct file_reader {
	struct lake_reader base;
	int fd;
	char *path;
};

static ssize_t file_read(struct lake_reader *base, void *buf, size_t n, struct err *e)
{
	struct file_reader *r = (struct file_reader *)base;
	for (;;) {
		ssize_t got = read(r->fd, buf, n);
		if (got >= 0)
			return got;
		if (errno != EINTR)
			return io_error(e, "cannot read", r->path, errno);
	}
}

static void file_read_close(struct lake_reader *base)
{
	struct file_reader *r = (struct file_reader *)base;
	close(r->fd);
	free(r->path);
	free(r);
}

static struct lake_reader *file_read_open(struct lake *lake, const char *key, struct err *e)
{
	char *path = path_join(root_of(lake), key);
	/* O_NONBLOCK so that a FIFO planted under a key cannot hang the open. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		io_error(e, "cannot open", path, errno);
		free(path);
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_at(e, ERR_NOTFOUND, path, "not a file");
		close(fd);
		free(path);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	struct file_reader *r = xcalloc(1, sizeof *r);
	r->base.read = file_read;
	r->base.close = file_read_close;
	r->fd = fd;
	r->path = path;
	return &r->base;
}

/* ---- writing ----------------------------------------------------------------- */

struct file_writer {
	struct lake_writer base;
	struct lake *lake;
	int fd;
	char *key, *path, *tmp;
};

static void file_writer_free(struct file_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	free(w->tmp);
	free(w->key);
	free(w->path);
	free(w);
}

static int file_write(struct lake_writer *base, const void *data, size_t n, struct err *e)
{
	struct file_writer *w = (struct file_writer *)base;
	if (fd_write_all(w->fd, data, n) < 0)
		return io_error(e, "cannot write", w->path, errno);
	return 0;
}

/* The rename is only durable once the directory itself is on disk. */
static void sync_dir(const char *path)
{
	char *dir = path_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* The key exists: 1 if it holds what the temporary file does, else -1. */
static int compare_existing(struct file_writer *w, struct err *e)
{
	int fd = open(w->tmp, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int rc = io_error(e, "cannot read back", w->tmp, errno);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	int rc = lk_existing_key(w->lake, w->key, w->path, fd, st.st_size, e);
	close(fd);
	return rc;
}

/* Into place without replacing anything: link(2) fails on an existing
 * name, atomically.  A file system without hard links gets a look first
 * (a writer racing in between could still be replaced there). */
static int place_new(struct file_writer *w, struct err *e)
{
	if (link(w->tmp, w->path) == 0)
		return 0;
	if (errno == EEXIST)
		return compare_existing(w, e);
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return io_error(e, "cannot link into place", w->path, errno);
	if (access(w->path, F_OK) == 0)
		return compare_existing(w, e);
	if (rename(w->tmp, w->path) < 0)
		return io_error(e, "cannot rename into place", w->path, errno);
	return 0;
}

static int file_commit(struct lake_writer *base, struct err *e)
{
	struct file_writer *w = (struct file_writer *)base;
	int rc = 0;
	if (fsync(w->fd) < 0)
		rc = io_error(e, "cannot sync", w->path, errno);
	int fd = w->fd;
	w->fd = -1;
	if (close(fd) < 0 && rc == 0)
		rc = io_error(e, "cannot write", w->path, errno);
	if (rc == 0 && base->keep_existing)
		rc = place_new(w, e);
	else if (rc == 0 && rename(w->tmp, w->path) < 0)
		rc = io_error(e, "cannot rename into place", w->path, errno);
	if (rc == 0) {
		if (base->keep_existing)
			unlink(w->tmp);
		free(w->tmp);
		w->tmp = NULL;
		sync_dir(w->path);
	}
	file_writer_free(w);
	return rc;
}

static void file_abort(struct lake_writer *base)
{
	file_writer_free((struct file_writer *)base);
}

static struct lake_writer *file_write_open(struct lake *lake, const char *key, struct err *e)
{
	char *path = path_join(root_of(lake), key);
	char *dir = path_dirname(path);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (mkdir_p(dir, 0755, e) < 0) {
		free(dir);
		free(path);
		return NULL;
	}
	char *tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, base);
	free(dir);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		io_error(e, "cannot create a temporary file for", path, errno);
		free(tmp);
		free(path);
		return NULL;
	}
	fchmod(fd, 0644);
	struct file_writer *w = xcalloc(1, sizeof *w);
	w->base.write = file_write;
	w->base.commit = file_commit;
	w->base.abort = file_abort;
	w->lake = lake;
	w->fd = fd;
	w->key = xstrdup(key);
	w->path = path;
	w->tmp = tmp;
	return &w->base;
}

static int file_remove(struct lake *lake, const char *key, struct err *e)
{
	char *path = path_join(root_of(lake), key);
	int rc = 0;
	if (unlink(path) < 0)
		rc = io_error(e, "cannot delete", path, errno);
	free(path);
	return rc;
}

const struct lake_ops lake_file_ops = {
	.name = "file",
	.open = file_open,
	.close = file_close,
	.list = file_list,
	.stat = file_stat,
	.read_open = file_read_open,
	.write_open = file_write_open,
	.remove = file_remove,
};
