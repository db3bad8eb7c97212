// SPDX-License-Identifier: MIT
/*
 * The VM benchmarks' Linux impls (see bench_vm.h): the same work with this machine's mmap,
 * munmap and fork, faults counted by getrusage.
 */
#include "bench.h"
#include "bench_vm.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct linux_vm {
	uint8_t *region; /* fault.cow, fork.1g: mapped and written */
	size_t len;
	uint64_t nkids; /* fork.1g: children waiting on the pipe */
	int pipe[2];
};

static long minflt(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return ru.ru_minflt;
}

/* An anonymous mapping of @len bytes in 4K pages, or NULL. */
static uint8_t *linux_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* Write @byte to each page of the @len bytes at @p. */
static void linux_touch(uint8_t *p, size_t len, uint8_t byte)
{
	for (size_t off = 0; off < len; off += VM_HOST_PAGE)
		((volatile uint8_t *)p)[off] = byte;
}

static void linux_teardown(void *state)
{
	struct linux_vm *l = state;

	if (l->pipe[1] > 0) {
		close(l->pipe[1]); /* the children see the end of the pipe and exit */
		for (uint64_t i = 0; i < l->nkids; i++)
			wait(NULL);
		close(l->pipe[0]);
	}
	if (l->region)
		munmap(l->region, l->len);
	free(l);
}

/* A state with a written region of @len bytes (none for 0). */
static int linux_new(void **state, size_t len)
{
	struct linux_vm *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->len = len;
	if (len) {
		l->region = linux_map(len);
		if (!l->region) {
			free(l);
			return -ENOMEM;
		}
		linux_touch(l->region, len, 1);
	}
	*state = l;
	return 0;
}

static int linux_anon_setup(void **state, uint64_t param)
{
	(void)param;
	return linux_new(state, 0);
}

static uint64_t linux_anon_run(void *state, uint64_t iters)
{
	long flt0 = minflt(RUSAGE_SELF);

	(void)state;
	for (uint64_t i = 0; i < iters; i++) {
		uint8_t *p = linux_map(FAULT_PAGES * VM_HOST_PAGE);

		if (!p)
			return 0;
		linux_touch(p, FAULT_PAGES * VM_HOST_PAGE, 1);
		munmap(p, FAULT_PAGES * VM_HOST_PAGE);
	}
	return (uint64_t)(minflt(RUSAGE_SELF) - flt0);
}

static int linux_cow_setup(void **state, uint64_t param)
{
	(void)param;
	return linux_new(state, COW_PAGES * VM_HOST_PAGE);
}

static uint64_t linux_cow_run(void *state, uint64_t iters)
{
	struct linux_vm *l = state;
	long flt0 = minflt(RUSAGE_CHILDREN);

	for (uint64_t i = 0; i < iters; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 0;
		if (pid == 0) {
			linux_touch(l->region, l->len, 2);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	return (uint64_t)(minflt(RUSAGE_CHILDREN) - flt0);
}

static int linux_fork_setup(void **state, uint64_t param)
{
	struct linux_vm *l;
	int err = linux_new(state, FORK_BYTES);

	(void)param;
	if (err)
		return err;
	l = *state;
	if (pipe(l->pipe)) {
		linux_teardown(l);
		return -errno;
	}
	return 0;
}

/* A child of fork.1g: wait for the end of the pipe, then exit. */
static void linux_fork_child(struct linux_vm *l)
{
	char c;

	close(l->pipe[1]);
	while (read(l->pipe[0], &c, 1) > 0)
		;
	_exit(0);
}

static uint64_t linux_fork_run(void *state, uint64_t iters)
{
	struct linux_vm *l = state;

	for (uint64_t i = 0; i < iters; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 0;
		if (pid == 0)
			linux_fork_child(l);
		l->nkids++;
	}
	return iters;
}

BENCH(fault_anon_linux) = { .name = "fault.anon",
			    .impl = "linux",
			    .setup = linux_anon_setup,
			    .run = linux_anon_run,
			    .teardown = linux_teardown };

BENCH(fault_cow_linux) = { .name = "fault.cow",
			   .impl = "linux",
			   .setup = linux_cow_setup,
			   .run = linux_cow_run,
			   .teardown = linux_teardown };

BENCH(fork_1g_linux) = { .name = "fork.1g",
			 .impl = "linux",
			 .param_key = "ptes",
			 .param = FORK_PTES,
			 .setup = linux_fork_setup,
			 .run = linux_fork_run,
			 .teardown = linux_teardown };
