# kmm: the two commands a newcomer needs are `make run` and `make test`.
# CMake does the building; this file installs what is missing and drives it.

BUILD ?= build
BUILD_ASAN ?= build-asan
BUILD_QEMU ?= build-qemu
GENERATOR := $(if $(shell command -v ninja 2>/dev/null),-G Ninja,)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
BENCH_TUNABLES := glibc.rtld.optional_static_tls=8192

.PHONY: all deps deps-qemu build build-asan build-qemu run qemu test test-qemu bench install \
	format clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(GENERATOR) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD)

$(BUILD_ASAN)/CMakeCache.txt: | deps
	CC=clang cmake -S . -B $(BUILD_ASAN) $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug -DKMM_SANITIZE=ON

build-asan: $(BUILD_ASAN)/CMakeCache.txt
	cmake --build $(BUILD_ASAN)

# The bare-metal kernel (platform/qemu), cross-built in a directory of its own: the cross
# compiler, QEMU, libfdt-dev:arm64 and the raspi3b DTB come from scripts/deps.sh qemu.
deps-qemu:
	@scripts/deps.sh qemu $(BUILD_QEMU)

$(BUILD_QEMU)/CMakeCache.txt: | deps-qemu
	cmake -S . -B $(BUILD_QEMU) $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_TOOLCHAIN_FILE=platform/qemu/toolchain.cmake

build-qemu: deps-qemu $(BUILD_QEMU)/CMakeCache.txt
	cmake --build $(BUILD_QEMU)

# Boot the kernel on QEMU virt with its shell on this terminal (poweroff, or Ctrl-A x, leaves);
# BOOT=raspi3b (or another boot of scripts/qemu-boards.sh) picks another machine.
qemu: build-qemu
	scripts/qemu-run.sh $(BUILD_QEMU) $(or $(BOOT),virt-a72-1g)

# Only the QEMU boots: every board, the in-kernel test suites, the memory against the DTB.
test-qemu: build-qemu
	@scripts/qemu-test.sh $(BUILD_QEMU)

# The main job.
run: build
	$(BUILD)/kmm-sim --help
	$(BUILD)/kmm-sim run

# Every test: the gcc build, then the clang ASan+UBSan build, then the kernel's QEMU boots
# (KMM_SKIP_QEMU=1 leaves them out); ends with "N passed, N failed".
test: build build-asan $(if $(filter 1,$(KMM_SKIP_QEMU)),,build-qemu)
	@KMM_QEMU_BUILD=$(BUILD_QEMU) scripts/test.sh $(BUILD) $(BUILD_ASAN)

# Every benchmark (bench/): one JSON line per benchmark and impl, median ns per op. The malloc
# peers are installed first; jemalloc's library takes more static TLS than glibc keeps spare for
# dlopen by default, hence the tunable (see bench/peers.h).
bench: build
	@scripts/deps.sh bench
	GLIBC_TUNABLES=$${GLIBC_TUNABLES:+$$GLIBC_TUNABLES:}$(BENCH_TUNABLES) $(BUILD)/kmm-bench

# libkmm.a, kmm-sim, the headers and kmm.pc (pkg-config kmm) under PREFIX; DESTDIR stages them.
PREFIX ?= /usr/local
install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_QEMU)
