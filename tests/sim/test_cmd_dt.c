// SPDX-License-Identifier: MIT
/*
 * kmm-sim dt over blobs the tests write to a temporary directory: rsv.dts (tests/data/dt) for
 * the exact output, a corrupted blob for exit status 2, a memory-less one for a warning, and
 * the DTBs of QEMU's virt machine when qemu-system-aarch64 is installed.
 */
#include "jsonread.h"
#include "simtest.h"

#include <libfdt.h>

#include "../ktest/ktest.h"
#include "dt_blobs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char rsv[96], bad[96], nomem[96], qemu[96];
};

static bool write_file(struct ktest *kt, const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!KT_EXPECT_NOT_NULL(kt, f))
		return false;
	bool ok = fwrite(data, 1, n, f) == n;
	return KT_EXPECT_TRUE(kt, fclose(f) == 0 && ok);
}

/* rsv.dtb as it is, with a bad magic, and the tree without memory, in a new directory. */
static bool fixture_init(struct ktest *kt, struct fixture *fx)
{
	static uint64_t bad[1024];

	strcpy(fx->dir, "/tmp/kmm-sim-dt-XXXXXX");
	if (!KT_EXPECT_NOT_NULL(kt, mkdtemp(fx->dir)))
		return false;
	snprintf(fx->rsv, sizeof(fx->rsv), "%s/rsv.dtb", fx->dir);
	snprintf(fx->bad, sizeof(fx->bad), "%s/bad.dtb", fx->dir);
	snprintf(fx->nomem, sizeof(fx->nomem), "%s/nomem.dtb", fx->dir);
	snprintf(fx->qemu, sizeof(fx->qemu), "%s/qemu.dtb", fx->dir);
	memcpy(bad, dtb_rsv, dtb_rsv_size);
	fdt_set_magic(bad, 0x12345678);
	return write_file(kt, fx->rsv, dtb_rsv, dtb_rsv_size) &&
	       write_file(kt, fx->bad, bad, dtb_rsv_size) &&
	       write_file(kt, fx->nomem, dtb_no_memory, dtb_no_memory_size);
}

static void fixture_fini(struct fixture *fx)
{
	unlink(fx->rsv);
	unlink(fx->bad);
	unlink(fx->nomem);
	unlink(fx->qemu);
	rmdir(fx->dir);
}

/* The layout of rsv.dts: see the drawing there. */
KTEST(sim_dt, exact_json)
{
	static const char want[] =
	    "{\"address_cells\": 2, \"size_cells\": 2, \"memory\": ["
	    "{\"base\": \"0x40000000\", \"size\": \"0xe000000\", \"node\": null, "
	    "\"hotplug\": false, \"nomap\": false}, "
	    "{\"base\": \"0x4e000000\", \"size\": \"0x200000\", \"node\": null, "
	    "\"hotplug\": false, \"nomap\": true}, "
	    "{\"base\": \"0x4e200000\", \"size\": \"0x31e00000\", \"node\": null, "
	    "\"hotplug\": false, \"nomap\": false}], "
	    "\"reserved\": ["
	    "{\"base\": \"0x40000000\", \"size\": \"0x1000\", \"kind\": \"memreserve\", "
	    "\"name\": null}, "
	    "{\"base\": \"0x44000000\", \"size\": \"0x100000\", \"kind\": \"reserved\", "
	    "\"name\": \"buf@44000000\"}, "
	    "{\"base\": \"0x46000000\", \"size\": \"0x1000\", \"kind\": \"reserved\", "
	    "\"name\": \"buf@44000000\"}, "
	    "{\"base\": \"0x48000000\", \"size\": \"0x10000\", \"kind\": \"memreserve\", "
	    "\"name\": null}, "
	    "{\"base\": \"0x4e000000\", \"size\": \"0x200000\", \"kind\": \"no-map\", "
	    "\"name\": \"fw@4e000000\"}, "
	    "{\"base\": \"0x50000000\", \"size\": \"0x4000000\", \"kind\": \"reusable\", "
	    "\"name\": \"cma@50000000\"}], "
	    "\"total\": \"0x40000000\"}\n";
	struct fixture fx;
	struct sim_capture c;

	if (!fixture_init(kt, &fx))
		return;
	SIM_RUN(&c, cmd_dt, "dt", fx.rsv, "--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.out, want);
	KT_EXPECT_STREQ(kt, c.err, "");
	sim_capture_free(&c);
	fixture_fini(&fx);
}

KTEST(sim_dt, text)
{
	struct fixture fx;
	struct sim_capture c;

	if (!fixture_init(kt, &fx))
		return;
	SIM_RUN(&c, cmd_dt, "dt", fx.rsv);
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.out,
			"root: #address-cells 2, #size-cells 2\n"
			"memory (memblock after discovery):\n"
			"  0x0000000040000000-0x000000004dffffff   224M\n"
			"  0x000000004e000000-0x000000004e1fffff     2M  nomap\n"
			"  0x000000004e200000-0x000000007fffffff   798M\n"
			"  total 1G\n"
			"reserved (6):\n"
			"  0x0000000040000000-0x0000000040000fff     4K  memreserve\n"
			"  0x0000000044000000-0x00000000440fffff     1M  reserved  buf@44000000\n"
			"  0x0000000046000000-0x0000000046000fff     4K  reserved  buf@44000000\n"
			"  0x0000000048000000-0x000000004800ffff    64K  memreserve\n"
			"  0x000000004e000000-0x000000004e1fffff     2M  no-map  fw@4e000000\n"
			"  0x0000000050000000-0x0000000053ffffff    64M  reusable  cma@50000000\n");
	KT_EXPECT_STREQ(kt, c.err, "");
	sim_capture_free(&c);
	fixture_fini(&fx);
}

/* Bad blobs and bad usage: exit status 2, the message on the error stream, no output. */
KTEST(sim_dt, errors)
{
	struct fixture fx;
	char none[96], bad[256], missing[256], extra[256];

	if (!fixture_init(kt, &fx))
		return;
	snprintf(none, sizeof(none), "%s/none.dtb", fx.dir);
	snprintf(bad, sizeof(bad), "kmm-sim dt: %s: header: magic: 0x12345678 is not 0xd00dfeed\n",
		 fx.bad);
	snprintf(missing, sizeof(missing),
		 "kmm-sim dt: cannot open '%s': No such file or directory\n", none);
	snprintf(extra, sizeof(extra),
		 "kmm-sim dt: unexpected argument '%s' (try 'kmm-sim dt --help')\n", fx.bad);
	const struct {
		const char *args[4];
		const char *err;
	} cases[] = {
		{ { "dt", fx.bad, "--json" }, bad },
		{ { "dt", none }, missing },
		{ { "dt", fx.rsv, fx.bad }, extra },
		{ { "dt" }, "kmm-sim dt: a .dtb file is required (try 'kmm-sim dt --help')\n" },
		{ { "dt", "--jsn", fx.rsv },
		  "kmm-sim dt: unknown or ambiguous option '--jsn' (try 'kmm-sim dt --help')\n" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sim_capture c;
		sim_capture_run(&c, cmd_dt, cases[i].args);
		KT_EXPECT_EQ(kt, c.rc, 2);
		KT_EXPECT_STREQ(kt, c.out, "");
		KT_EXPECT_STREQ(kt, c.err, cases[i].err);
		sim_capture_free(&c);
	}
	fixture_fini(&fx);
}

/* No memory is not an error: an empty list, a zero total and the warning on the error stream. */
KTEST(sim_dt, no_memory)
{
	struct fixture fx;
	struct sim_capture c;
	char warn[256];

	if (!fixture_init(kt, &fx))
		return;
	snprintf(warn, sizeof(warn),
		 "kmm-sim dt: warning: %s: /: no memory: no available device_type = \"memory\" "
		 "node with a range of a page or more\n",
		 fx.nomem);
	SIM_RUN(&c, cmd_dt, "dt", fx.nomem, "--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(
	    kt, c.out,
	    "{\"address_cells\": 2, \"size_cells\": 2, \"memory\": [], \"reserved\": [], "
	    "\"total\": \"0x0\"}\n");
	KT_EXPECT_STREQ(kt, c.err, warn);
	sim_capture_free(&c);
	fixture_fini(&fx);
}

KTEST(sim_dt, help)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_dt, "dt", "--help");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_TRUE(kt, !strncmp(c.out, "usage: kmm-sim dt FILE.dtb [--json]\n", 36));
	KT_EXPECT_STREQ(kt, c.err, "");
	sim_capture_free(&c);
}

/* Member @i of the "memory" array of @v is [base, base + size) on @node (-1: null). */
static void expect_memory(struct ktest *kt, const struct jv *v, size_t i, uint64_t base,
			  uint64_t size, int node)
{
	const struct jv *m = jv_at(jv_get(v, "memory"), i);
	char b[24], s[24];

	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)base);
	snprintf(s, sizeof(s), "0x%llx", (unsigned long long)size);
	KT_ASSERT_NOT_NULL(kt, m);
	KT_EXPECT_STREQ(kt, jv_str(m, "base"), b);
	KT_EXPECT_STREQ(kt, jv_str(m, "size"), s);
	if (node < 0)
		KT_EXPECT_TRUE(kt, jv_is_null(m, "node"));
	else
		KT_EXPECT_EQ(kt, jv_uint(m, "node"), (uint64_t)node);
}

/*
 * QEMU's virt board puts RAM at 0x40000000 (hw/arm/virt.c), one memory node per NUMA node.
 * Hosted only, and skipped without qemu-system-aarch64.
 */
KTEST(sim_dt, qemu_virt)
{
	static const struct {
		const char *args;
		uint64_t size[2]; /* per node; one memory range when size[1] is 0 */
	} boards[] = {
		{ "-m 128M", { 128ULL << 20 } },
		{ "-m 1G", { 1ULL << 30 } },
		{ "-m 4G", { 4ULL << 30 } },
		{ "-smp 2 -m 1G -object memory-backend-ram,id=m0,size=512M "
		  "-object memory-backend-ram,id=m1,size=512M "
		  "-numa node,memdev=m0,cpus=0 -numa node,memdev=m1,cpus=1",
		  { 512ULL << 20, 512ULL << 20 } },
	};
	struct fixture fx;

	if (system("command -v qemu-system-aarch64 >/dev/null 2>&1")) {
		ktest_skip(kt, "qemu-system-aarch64 is not installed");
		return;
	}
	if (!fixture_init(kt, &fx))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(boards); i++) {
		char cmd[512];
		struct sim_capture c;
		bool numa = boards[i].size[1];
		snprintf(cmd, sizeof(cmd),
			 "qemu-system-aarch64 -M virt,dumpdtb=%s -display none %s >/dev/null 2>&1",
			 fx.qemu, boards[i].args);
		if (!KT_EXPECT_EQ(kt, system(cmd), 0))
			continue;
		SIM_RUN(&c, cmd_dt, "dt", "--json", fx.qemu);
		struct jv *v = jv_parse(c.out);
		KT_EXPECT_EQ(kt, c.rc, 0);
		if (KT_EXPECT_NOT_NULL(kt, v)) {
			KT_EXPECT_EQ(kt, jv_uint(v, "address_cells"), 2u);
			KT_EXPECT_EQ(kt, jv_uint(v, "size_cells"), 2u);
			KT_EXPECT_EQ(kt, jv_get(v, "memory")->n, numa ? 2u : 1u);
			expect_memory(kt, v, 0, 0x40000000, boards[i].size[0], numa ? 0 : -1);
			if (numa)
				expect_memory(kt, v, 1, 0x40000000 + boards[i].size[0],
					      boards[i].size[1], 1);
			KT_EXPECT_EQ(kt, jv_get(v, "reserved")->n, 0u);
		}
		if (!v || c.rc)
			ktest_log(kt, "%s: %s%s", boards[i].args, c.out, c.err);
		jv_free(v);
		sim_capture_free(&c);
	}
	fixture_fini(&fx);
}
