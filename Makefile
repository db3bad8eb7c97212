# kmm: the two commands a newcomer needs are `make run` and `make test`.
# CMake does the building; this file installs what is missing and drives it.

BUILD ?= build
BUILD_ASAN ?= build-asan
GENERATOR := $(if $(shell command -v ninja 2>/dev/null),-G Ninja,)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
BENCH_TUNABLES := glibc.rtld.optional_static_tls=8192

.PHONY: all deps build build-asan run test bench format clean

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

# The main job.
run: build
	$(BUILD)/kmm-sim --help
	$(BUILD)/kmm-sim run

# Every test: the gcc build, then the clang ASan+UBSan build; ends with "N passed, N failed".
test: build build-asan
	@scripts/test.sh $(BUILD) $(BUILD_ASAN)

# Every benchmark (bench/): one JSON line per benchmark and impl, median ns per op. The malloc
# peers are installed first; jemalloc's library takes more static TLS than glibc keeps spare for
# dlopen by default, hence the tunable (see bench/peers.h).
bench: build
	@scripts/deps.sh bench
	GLIBC_TUNABLES=$${GLIBC_TUNABLES:+$$GLIBC_TUNABLES:}$(BENCH_TUNABLES) $(BUILD)/kmm-bench

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
