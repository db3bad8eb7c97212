// SPDX-License-Identifier: MIT
/*
 * The malloc peers (peers.h): glibc's malloc as the process has it, the others from their
 * libraries by dlopen, each checked to be what its name says before it is measured.
 */
#define _GNU_SOURCE
#include "peers.h"

#include <dlfcn.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A peer in a library of its own: the library's soname and its entry points' names. */
struct peer_lib {
	const char *impl;
	const char *soname;
	const char *alloc_name;
	const char *free_name;
};

/* Debian's jemalloc has no je_ prefix, so its plain malloc and free are looked up in it. */
static const struct peer_lib peer_libs[] = {
	{ "jemalloc", "libjemalloc.so.2", "malloc", "free" },
	{ "mimalloc", "libmimalloc.so.2", "mi_malloc", "mi_free" },
	{ "tcmalloc", "libtcmalloc_minimal.so.4", "tc_malloc", "tc_free" },
};

/* The file of the object @addr lies in, or "" if none. */
static const char *object_of(const void *addr)
{
	Dl_info info;

	return dladdr(addr, &info) && info.dli_fname ? info.dli_fname : "";
}

/* Whether the process's malloc and free are glibc's: not under a sanitizer's allocator and not
 * interposed by a preloaded (or globally loaded) library. */
static bool process_malloc_is_glibc(void)
{
	const char *m = strrchr(object_of(dlsym(RTLD_DEFAULT, "malloc")), '/');
	const char *f = strrchr(object_of(dlsym(RTLD_DEFAULT, "free")), '/');

	return m && f && !strncmp(m, "/libc.so.", 9) && !strncmp(f, "/libc.so.", 9);
}

/* Whether @addr lies in the object of @handle itself (dlsym on a handle also searches the
 * object's dependencies, libc among them). */
static bool in_object(void *handle, const void *addr)
{
	struct link_map *lm;

	return dlinfo(handle, RTLD_DI_LINKMAP, &lm) == 0 && !strcmp(object_of(addr), lm->l_name);
}

/* What to do about dlopen's error @err. */
static const char *open_hint(const char *err)
{
	if (strstr(err, "static TLS"))
		return "run with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=8192, as make bench "
		       "does";
	return "scripts/deps.sh bench installs it";
}

/* Load @lib into @p; -1 after a note on stderr when it cannot be used. */
static int peer_lib_open(struct peer *p, const struct peer_lib *lib)
{
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	void *a, *f;

	if (!h) {
		const char *err = dlerror();

		fprintf(stderr, "kmm-bench: %s skipped: %s (%s)\n", lib->impl, err, open_hint(err));
		return -1;
	}
	a = dlsym(h, lib->alloc_name);
	f = dlsym(h, lib->free_name);
	if (!a || !f || !in_object(h, a) || !in_object(h, f)) {
		fprintf(stderr, "kmm-bench: %s skipped: %s has no %s and %s of its own\n",
			lib->impl, lib->soname, lib->alloc_name, lib->free_name);
		return -1;
	}
	p->alloc = (void *(*)(size_t))a;
	p->free = (void (*)(void *))f;
	return 0;
}

int peer_open(struct peer *p, const char *impl)
{
	if (!process_malloc_is_glibc()) {
		fprintf(stderr,
			"kmm-bench: %s skipped: the process's malloc is not glibc's "
			"(a sanitizer or a preloaded allocator)\n",
			impl);
		return -1;
	}
	if (!strcmp(impl, "glibc")) {
		*p = (struct peer){ .alloc = malloc, .free = free };
		return 0;
	}
	for (size_t i = 0; i < sizeof(peer_libs) / sizeof(peer_libs[0]); i++)
		if (!strcmp(impl, peer_libs[i].impl))
			return peer_lib_open(p, &peer_libs[i]);
	fprintf(stderr, "kmm-bench: %s skipped: not a known malloc peer\n", impl);
	return -1;
}
