// SPDX-License-Identifier: MIT
/* Host files as kmm files; see hostfile.h. */
#include "hostfile.h"

#include <kmm/fs.h>
#include <kmm/mm.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct hostfile {
	int fd;
};

/* The backing store's read: pread, retried when interrupted. */
static long hostfile_read(void *priv, uint64_t off, void *buf, size_t len)
{
	const struct hostfile *h = priv;
	ssize_t n;

	if (off > (uint64_t)INT64_MAX)
		return 0;
	do
		n = pread(h->fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static void hostfile_release(void *priv)
{
	struct hostfile *h = priv;

	close(h->fd);
	free(h);
}

static const struct file_backing_ops hostfile_ops = {
	.read = hostfile_read,
	.release = hostfile_release,
};

/* Why @fd, opened from @path, cannot serve a file opened with @mode: 0 or -errno. */
static int hostfile_refuse(int fd, const char *path, unsigned int mode, struct stat *st)
{
	if (fstat(fd, st))
		return -errno;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EACCES;
	if ((mode & FMODE_EXEC) && access(path, X_OK))
		return -EACCES;
	return 0;
}

struct file *sim_file_open(const char *path, unsigned int mode, int *err)
{
	char name[PATH_MAX];
	struct hostfile *h;
	struct stat st;
	struct file *f;
	int fd;

	if (mode & ~(FMODE_READ | FMODE_WRITE | FMODE_EXEC)) {
		*err = -EINVAL;
		return NULL;
	}
	/* O_NONBLOCK: a FIFO must not block the open; it is refused below. */
	fd = open(path, ((mode & FMODE_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	*err = hostfile_refuse(fd, path, mode, &st);
	h = *err ? NULL : malloc(sizeof(*h));
	if (!h) {
		*err = *err ? *err : -ENOMEM;
		close(fd);
		return NULL;
	}
	h->fd = fd;
	if (!realpath(path, name))
		snprintf(name, sizeof(name), "%s", path);
	f = file_create_backed(&mm_default_system, name, (uint64_t)st.st_size, &hostfile_ops, h,
			       mode);
	if (!f)
		*err = -ENOMEM;
	return f;
}
