# A thin wrapper around CMake so the README's commands stay short.
#   make demo   installs what is missing, builds, runs the bridge against the bundled demo server
#   make test   installs what is missing, builds, runs every test
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all build demo test test-asan clean

all: build

build:
	scripts/setup.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo:
	scripts/setup.sh demo
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	tests/node_modules/node/bin/node tests/demo/demo.mjs $(BUILD)/mcp-bridge

test:
	scripts/run-tests.sh

clean:
	rm -rf $(BUILD) build-asan

# ---- Packaging ----
#   make dist       a source tarball of the last commit (git archive: reproducible)
#   make packages   builds, then the .deb (and the .rpm when rpmbuild is installed) in $(BUILD)
VERSION := $(shell grep -m1 '^project' CMakeLists.txt | grep -o 'VERSION [0-9][0-9.]*' | cut -d' ' -f2)

.PHONY: dist packages

dist:
	@mkdir -p $(BUILD)
	git archive --format=tar.gz --prefix=mcp-bridge-$(VERSION)/ \
		-o $(BUILD)/mcp-bridge-$(VERSION).tar.gz HEAD
	@echo "$(BUILD)/mcp-bridge-$(VERSION).tar.gz"

packages: build
	cd $(BUILD) && cpack -G DEB
	if command -v rpmbuild >/dev/null; then cd $(BUILD) && cpack -G RPM; fi

# ---- Benchmarks ----
#   make bench      mcp-bridge against mcp-remote and a direct client (bench/README.md)
.PHONY: bench

bench: build
	@[ -f bench/node_modules/.package-lock.json ] || npm ci --prefix bench --no-audit --no-fund --loglevel=error
	bench/run.sh
