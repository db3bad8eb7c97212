// SPDX-License-Identifier: MIT
/*
 * Host files as kmm files (platform/sim/hostfile.c) on the booted default board: a temporary
 * host file read through the page cache (major, then minor; the short last page zero-filled; a
 * file truncated after the open reads as zeros), its descriptor closed by the last fput, its
 * name the resolved path, and the open errors as -errno.
 */
#include "arch/host/host.h"
#include "board.h"
#include "hostfile.h"

#include <kmm/fs.h>
#include <kmm/mm.h>

#include "../ktest/ktest.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIZE (3 * PAGE_SIZE + 10)

static struct sim_boot boot;
static FILE *quiet;

/* Boot the default board (sim_file_open's files take their pages from it), its log discarded. */
static bool env_up(struct ktest *kt)
{
	const struct sim_boot_opts o = { .board = "virt", .granule = PAGE_SIZE, .va_bits = 48 };

	quiet = fopen("/dev/null", "w");
	if (!KT_EXPECT_NOT_NULL(kt, quiet))
		return false;
	if (KT_EXPECT_EQ(kt, sim_boot(&boot, &o, quiet, stderr), 0))
		return true;
	sim_boot_release(&boot);
	fclose(quiet);
	return false;
}

static void env_down(void)
{
	sim_boot_release(&boot);
	fclose(quiet);
}

/* Descriptors this process has open. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A temporary directory holding "data" (SIZE bytes, byte i = i * 7 + 1) and "dir/". */
static bool make_files(struct ktest *kt, char *dir, size_t len, char *data)
{
	static uint8_t bytes[SIZE];
	char sub[PATH_MAX];
	FILE *f;

	snprintf(dir, len, "/tmp/kmm-hostfile-XXXXXX");
	if (!KT_EXPECT_NOT_NULL(kt, mkdtemp(dir)))
		return false;
	snprintf(data, PATH_MAX, "%s/data", dir);
	snprintf(sub, sizeof(sub), "%s/dir", dir);
	for (size_t i = 0; i < SIZE; i++)
		bytes[i] = (uint8_t)(i * 7 + 1);
	f = fopen(data, "wb");
	return KT_EXPECT_NOT_NULL(kt, f) && KT_EXPECT_EQ(kt, fwrite(bytes, 1, SIZE, f), SIZE) &&
	       KT_EXPECT_EQ(kt, fclose(f), 0) && KT_EXPECT_EQ(kt, mkdir(sub, 0755), 0);
}

/* Remove what make_files (and open_errors) made. */
static void remove_files(const char *dir)
{
	static const char *const names[] = { "data", "fifo" };
	char path[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/dir", dir);
	rmdir(path);
	rmdir(dir);
}

KTEST(hostfile, read_through_the_cache)
{
	char dir[64], data[PATH_MAX], real[PATH_MAX];
	int fds, err = 1;
	bool major = false;

	if (!env_up(kt))
		return;
	if (!make_files(kt, dir, sizeof(dir), data)) {
		env_down();
		return;
	}
	fds = open_fds();
	struct file *f = sim_file_open(data, FMODE_READ, &err);
	KT_ASSERT_NOT_NULL(kt, f);
	KT_EXPECT_EQ(kt, err, 0);
	KT_EXPECT_EQ(kt, open_fds(), fds + 1);
	KT_EXPECT_EQ(kt, f->f_mapping->size, (uint64_t)SIZE);
	KT_EXPECT_EQ(kt, f->f_mode, FMODE_READ);
	KT_EXPECT_NOT_NULL(kt, realpath(data, real));
	KT_EXPECT_STREQ(kt, f->f_mapping->name, real);

	/* The whole file, and one byte past it. */
	static uint8_t buf[SIZE + 1];
	KT_EXPECT_EQ(kt, kernel_read(f, 0, buf, sizeof(buf)), (long)SIZE);
	for (size_t i = 0; i < SIZE; i++) {
		if (buf[i] != (uint8_t)(i * 7 + 1)) {
			KT_EXPECT_EQ(kt, buf[i], (uint8_t)(i * 7 + 1));
			break;
		}
	}
	KT_EXPECT_EQ(kt, f->f_mapping->nrpages, 4ul);
	KT_EXPECT_NULL(kt, filemap_check(f->f_mapping));

	/* The last page: 10 bytes of the file, then zeros; found in the cache: minor. */
	struct page *p = filemap_get_page(f->f_mapping, 3, &major, &err);
	KT_ASSERT_NOT_NULL(kt, p);
	KT_EXPECT_FALSE(kt, major);
	const uint8_t *b = ms_page_address(&mm_default_system, p);
	KT_EXPECT_EQ(kt, b[9], (uint8_t)((3 * PAGE_SIZE + 9) * 7 + 1));
	for (size_t i = 10; i < PAGE_SIZE; i++) {
		if (b[i]) {
			KT_EXPECT_EQ(kt, b[i], 0);
			break;
		}
	}
	ms_put_page(&mm_default_system, p);
	fput(f);
	KT_EXPECT_EQ(kt, open_fds(), fds);

	/* A second open reads from the host again (major); a truncation after the open: zeros. */
	f = sim_file_open(data, FMODE_READ, &err);
	KT_ASSERT_NOT_NULL(kt, f);
	p = filemap_get_page(f->f_mapping, 0, &major, &err);
	KT_ASSERT_NOT_NULL(kt, p);
	KT_EXPECT_TRUE(kt, major);
	ms_put_page(&mm_default_system, p);
	KT_EXPECT_EQ(kt, truncate(data, PAGE_SIZE + 1), 0);
	KT_EXPECT_EQ(kt, kernel_read(f, PAGE_SIZE, buf, 4), 4l);
	KT_EXPECT_EQ(kt, buf[0], (uint8_t)(PAGE_SIZE * 7 + 1));
	KT_EXPECT_EQ(kt, buf[1] | buf[2] | buf[3], 0);
	KT_EXPECT_EQ(kt, kernel_read(f, 2 * PAGE_SIZE, buf, 4), 4l);
	KT_EXPECT_EQ(kt, buf[0] | buf[1] | buf[2] | buf[3], 0);
	KT_EXPECT_NULL(kt, filemap_check(f->f_mapping));
	fput(f);
	KT_EXPECT_EQ(kt, open_fds(), fds);
	KT_EXPECT_EQ(kt, mm_default_system.nr_bad_pages, 0ul);
	remove_files(dir);
	env_down();
}

/* An executable of the host, opened as exec opens it. */
KTEST(hostfile, bin_true)
{
	char real[PATH_MAX];
	uint8_t magic[4];
	int err = 0;

	if (!env_up(kt))
		return;
	struct file *f = sim_file_open("/bin/true", FMODE_READ | FMODE_EXEC, &err);
	KT_ASSERT_NOT_NULL(kt, f);
	KT_EXPECT_NOT_NULL(kt, realpath("/bin/true", real));
	KT_EXPECT_STREQ(kt, f->f_mapping->name, real);
	KT_EXPECT_EQ(kt, kernel_read(f, 0, magic, 4), 4l);
	KT_EXPECT_EQ(kt, memcmp(magic, "\177ELF", 4), 0);
	fput(f);
	env_down();
}

KTEST(hostfile, open_errors)
{
	char dir[64], data[PATH_MAX], path[PATH_MAX];
	int fds, err;

	if (!env_up(kt))
		return;
	if (!make_files(kt, dir, sizeof(dir), data)) {
		env_down();
		return;
	}
	static const struct {
		const char *name; /* in the temporary directory */
		unsigned int mode;
		int err;
	} cases[] = {
		{ "missing", FMODE_READ, -ENOENT },
		{ "data/x", FMODE_READ, -ENOTDIR },
		{ "dir", FMODE_READ, -EISDIR },
		{ "fifo", FMODE_READ, -EACCES },
		{ "data", FMODE_READ | FMODE_EXEC, -EACCES }, /* no x bit: not even root */
		{ "data", 0x100, -EINVAL },
	};
	snprintf(path, sizeof(path), "%s/fifo", dir);
	KT_ASSERT_EQ(kt, mkfifo(path, 0644), 0);
	fds = open_fds();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].name);
		err = 0;
		KT_EXPECT_NULL(kt, sim_file_open(path, cases[i].mode, &err));
		if (!KT_EXPECT_EQ(kt, err, cases[i].err))
			ktest_log(kt, "case %s", cases[i].name);
	}
	/* Permissions the host refuses (root is refused nothing but execution). */
	KT_EXPECT_EQ(kt, chmod(data, 0), 0);
	err = 0;
	struct file *f = sim_file_open(data, FMODE_READ | FMODE_WRITE, &err);
	if (geteuid() == 0) {
		KT_EXPECT_NOT_NULL(kt, f);
		if (f)
			fput(f);
	} else {
		KT_EXPECT_NULL(kt, f);
		KT_EXPECT_EQ(kt, err, -EACCES);
	}
	/* The mode says exec and the file has an x bit: fine. */
	KT_EXPECT_EQ(kt, chmod(data, 0700), 0);
	f = sim_file_open(data, FMODE_READ | FMODE_EXEC, &err);
	KT_EXPECT_NOT_NULL(kt, f);
	if (f)
		fput(f);
	KT_EXPECT_EQ(kt, open_fds(), fds);
	remove_files(dir);
	env_down();
}
