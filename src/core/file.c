/*
 * file.c - whole-file reads for small inputs and atomic writes.
 */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *file_read_all(const char *path, size_t *len, struct err *e)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		err_at(e, ERR_IO, path, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_append(&b, chunk, n);
	if (ferror(fp)) {
		err_at(e, ERR_IO, path, "cannot read: %s", strerror(errno));
		fclose(fp);
		buf_free(&b);
		return NULL;
	}
	fclose(fp);
	if (len)
		*len = b.len;
	if (!b.data)
		buf_puts(&b, "");
	return buf_detach(&b);
}

int fd_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		ssize_t put = write(fd, p, n);
		if (put < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += put;
		n -= (size_t)put;
	}
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, struct err *e)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		err_at(e, ERR_IO, path, "cannot create: %s", strerror(errno));
		free(tmp);
		return -1;
	}
	if (fd_write_all(fd, data, len) < 0) {
		err_at(e, ERR_IO, path, "cannot write: %s", strerror(errno));
		goto fail;
	}
	if (fsync(fd) < 0) {
		err_at(e, ERR_IO, path, "cannot sync: %s", strerror(errno));
		goto fail;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		err_at(e, ERR_IO, path, "cannot rename into place: %s", strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int mkdir_p(const char *path, int mode, struct err *e)
{
	char *copy = xstrdup(path);
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, (mode_t)mode) < 0 && errno != EEXIST) {
			err_at(e, ERR_IO, copy, "cannot create directory: %s", strerror(errno));
			free(copy);
			return -1;
		}
		*p = '/';
	}
	int rc = 0;
	if (mkdir(copy, (mode_t)mode) < 0 && errno != EEXIST)
		rc = err_at(e, ERR_IO, copy, "cannot create directory: %s", strerror(errno));
	free(copy);
	return rc;
}

int file_create_private(const char *path, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		return err_set(e, ERR_IO, "cannot create %s: %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

FILE *file_open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	FILE *fp = fdopen(fd, "a");
	if (!fp)
		close(fd);
	return fp;
}

bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

char *path_join(const char *dir, const char *name)
{
	if (!dir || !*dir || name[0] == '/')
		return xstrdup(name);
	size_t n = strlen(dir);
	return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}
