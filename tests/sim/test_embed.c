// SPDX-License-Identifier: MIT
/*
 * Embedding kmm (<kmm/kmm.h>): the boot entry points in-process, the README's example
 * (examples/embed.c, built as kmm-embed) run, and `make install`'s staged copy (DESTDIR) used
 * through pkg-config to build and run the example again.
 */
#include "../ktest/ktest.h"

#include <kmm/kmm.h>

#include <stdlib.h>
#include <string.h>

/* kmm_sim_boot and kmm_sim_shutdown: one board at a time, bad boards refused, and the
 * allocators and a process working in between. */
KTEST(embed, boot_api)
{
	struct kmm_sim_config bad = { .board = "pdp11", .err = fopen("/dev/null", "w") };
	struct kmm_sim_config cfg = { .mem = 128 << 20 };
	struct ksiginfo si;
	uint32_t word = 0;

	KT_EXPECT_EQ(kt, kmm_sim_boot(&bad), -EINVAL);
	if (bad.err)
		fclose(bad.err);
	KT_ASSERT_EQ(kt, kmm_sim_boot(&cfg), 0);
	KT_EXPECT_EQ(kt, kmm_sim_boot(NULL), -EBUSY);
	KT_EXPECT_EQ(kt, mm_default_system.totalram_pages < (128 << 20) / PAGE_SIZE, true);
	void *p = kmalloc(64, GFP_KERNEL);
	struct page *pg = alloc_pages(GFP_KERNEL, 1);
	struct task_struct *t = task_create("embed");
	KT_EXPECT_NOT_NULL(kt, p);
	KT_EXPECT_NOT_NULL(kt, pg);
	if (KT_EXPECT_NOT_NULL(kt, t)) {
		long va = sys_mmap(t->mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		KT_EXPECT_GT(kt, va, 0);
		KT_EXPECT_EQ(kt, sim_user_write(t, 0, (vaddr_t)va, "\x11\x22\x33\x44", 4, &si), 0);
		KT_EXPECT_EQ(kt, sim_user_read(t, 0, (vaddr_t)va, &word, 4, &si), 0);
		KT_EXPECT_EQ(kt, word, 0x44332211u);
		do_exit(t);
	}
	kfree(p);
	if (pg)
		__free_pages(pg, 1);
	kmm_sim_shutdown();
	/* Down: a second board may come up. */
	KT_EXPECT_EQ(kt, kmm_sim_boot(&cfg), 0);
	kmm_sim_shutdown();
}

/* Run @cmd in a shell; its standard output into @out (NUL-terminated); its exit status. */
static int run(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;

	if (!p)
		return -1;
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	return pclose(p);
}

/* The example's line: "kmalloc 0x..., pfn 0x..., mmap 0x...: hello". */
static void expect_example_output(struct ktest *kt, const char *out)
{
	unsigned long pfn, va;
	char word[8] = "";

	KT_EXPECT_EQ(kt, sscanf(out, "kmalloc %*p, pfn %lx, mmap %lx: %7s", &pfn, &va, word), 3);
	KT_EXPECT_STREQ(kt, word, "hello");
	KT_EXPECT_GE(kt, pfn, 0x40000ul); /* QEMU virt's RAM starts at 1 GiB */
	KT_EXPECT_EQ(kt, va % PAGE_SIZE, 0u);
}

KTEST(embed, example_runs)
{
	char out[256];

	KT_EXPECT_EQ(kt, run(KMM_BUILD_DIR "/kmm-embed", out, sizeof(out)), 0);
	expect_example_output(kt, out);
}

/* cmake --install into a temporary DESTDIR, then the example built with pkg-config's flags for
 * the staged kmm.pc (PKG_CONFIG_SYSROOT_DIR puts the stage in front of its paths). */
KTEST(embed, install_and_pkg_config)
{
	char dir[] = "/tmp/kmm-install-XXXXXX", cmd[2048], out[256];

	KT_ASSERT_NOT_NULL(kt, mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "DESTDIR=%s '" KMM_CMAKE "' --install '" KMM_BUILD_DIR "' --prefix /usr/local "
		 ">/dev/null && test -f %s/usr/local/include/kmm/kmm.h && "
		 "test -x %s/usr/local/bin/kmm-sim && "
		 "export PKG_CONFIG_PATH=%s/usr/local/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=%s && "
		 "'" KMM_C_COMPILER "' " KMM_EMBED_CFLAGS " -o %s/embed '" KMM_SOURCE_DIR
		 "/examples/embed.c' $(pkg-config --cflags --libs kmm) && %s/embed",
		 dir, dir, dir, dir, dir, dir, dir);
	KT_EXPECT_EQ(kt, run(cmd, out, sizeof(out)), 0);
	expect_example_output(kt, out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	KT_EXPECT_EQ(kt, system(cmd), 0);
}
