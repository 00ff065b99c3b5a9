# Shortcuts for a machine that has make. The README's two commands are the scripts
# themselves (scripts/demo.sh, scripts/run-tests.sh): a fresh machine has no make.
#   make demo   = scripts/demo.sh: installs what is missing, builds, runs the demo
#   make test   = scripts/run-tests.sh: installs what is missing, builds, runs every test
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
	scripts/demo.sh

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
