/* SPDX-License-Identifier: MIT */
/*
 * The malloc peers kmalloc is measured against: "glibc" (the process's own malloc and free) and
 * "jemalloc", "mimalloc", "tcmalloc", each loaded at run time from its Debian runtime package
 * (libjemalloc2, libmimalloc2.0, libtcmalloc-minimal4; `scripts/deps.sh bench` installs them),
 * so the build never links them and works without them. A library is opened with RTLD_LOCAL (its
 * symbols never interpose the process's malloc) and RTLD_DEEPBIND (its own calls to malloc and
 * free bind to itself first), and its entry points are looked up in it alone, under their
 * prefixed names (mi_malloc, tc_malloc) where it has them. Debian's jemalloc takes 2.6 KiB of
 * static TLS, more than glibc keeps spare for dlopen unless the process starts with
 * GLIBC_TUNABLES=glibc.rtld.optional_static_tls=8192 (make bench sets it).
 */
#ifndef BENCH_PEERS_H
#define BENCH_PEERS_H

#include <stddef.h>

struct peer {
	void *(*alloc)(size_t size);
	void (*free)(void *p);
};

/*
 * Fill @p with the allocator named @impl: 0, or -1 after a note on stderr when it cannot be
 * measured here (its library is not installed, its malloc or free does not come from it, or the
 * process runs under AddressSanitizer, whose malloc replaces glibc's and which refuses
 * RTLD_DEEPBIND). A library stays loaded until the process exits (a dlclose would strand the
 * static TLS block it took, and the next dlopen might find none left).
 */
int peer_open(struct peer *p, const char *impl);

#endif /* BENCH_PEERS_H */
