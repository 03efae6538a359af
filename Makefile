# libseccs: build, test and install.
#
#   make                    release library, header, and what cli/cli.mk adds (the CLI)
#   make header             regenerate include/seccs.h from src/ffi/ (commit the result)
#   make test               every test: cargo tests, C tests natively and under valgrind,
#                           header check, install check, and the cli/fuzz targets if present
#   make install PREFIX=... libseccs.so.0 with its links, libseccs.a, seccs.h, seccs.pc,
#                           and the seccs program in PREFIX/bin if cli/cli.mk is present
#   make clean
#
# Other parts plug in through cli/cli.mk (targets cli, cli-test), benches/bench.mk
# (target bench) and fuzz/fuzz.mk (targets fuzz, fuzz-replay).

CARGO ?= cargo
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

# The machines have 2 cores, shared with other builds.
export CARGO_BUILD_JOBS ?= 2
export RUST_TEST_THREADS ?= 2

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR := $(firstword $(subst ., ,$(VERSION)))
SONAME := libseccs.so.$(MAJOR)
RELEASE_DIR := $(abspath $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target)/release)
BUILD_DIR := build

# The included files define targets of their own; `make` alone must still build `all`.
.DEFAULT_GOAL := all

ALL_TARGETS := lib header
TEST_TARGETS := lib header-check rust-test valgrind-test install-test example-test
INSTALL_TARGETS :=
UNINSTALL_TARGETS :=

-include cli/cli.mk
-include benches/bench.mk
-include fuzz/fuzz.mk

ifneq ($(wildcard cli/cli.mk),)
ALL_TARGETS += cli
TEST_TARGETS += cli-test
INSTALL_TARGETS += cli-install
UNINSTALL_TARGETS += cli-uninstall
endif
ifneq ($(wildcard fuzz/fuzz.mk),)
TEST_TARGETS += fuzz-replay
endif

.PHONY: all lib header header-check rust-test c-test valgrind-test install-test example-test test install \
        uninstall clean

all: $(ALL_TARGETS)

# cargo decides what to rebuild. The soname link lets programs linked with -lseccs
# against the build tree find the library at run time.
lib:
	$(CARGO) build --release
	ln -sfn libseccs.so $(RELEASE_DIR)/$(SONAME)

header:
	SECCS_UPDATE_HEADER=1 $(CARGO) test --release --test header header_is_current

# Fails when include/seccs.h differs from a fresh generation, and compiles it as C99 and C++.
header-check:
	$(CARGO) test --release --test header

# All Rust tests, the C tests (tests/c_api.rs) and the header check among them.
rust-test:
	$(CARGO) test --release

c-test:
	$(CARGO) test --release --test c_api

# The C tests under valgrind: any memory error, or any definitely or indirectly lost
# block, fails the run. Logs: $(RELEASE_DIR)/c-tests/valgrind/.
valgrind-test:
	SECCS_VALGRIND=1 $(CARGO) test --release --test c_api

# Installs into a scratch prefix, then builds a C program with pkg-config against the
# installed files and runs it through the soname link, and runs the installed seccs.
install-test: lib
	rm -rf $(BUILD_DIR)/install-test
	$(MAKE) --no-print-directory install PREFIX=$(abspath $(BUILD_DIR)/install-test)
	test "$$(objdump -p $(BUILD_DIR)/install-test/lib/libseccs.so | awk '$$1 == "SONAME" { print $$2 }')" = $(SONAME)
	PKG_CONFIG_PATH=$(abspath $(BUILD_DIR)/install-test/lib/pkgconfig) sh -c \
	    '$(CC) -std=c99 -Wall -Wextra -Werror -o $(BUILD_DIR)/install-test/roundtrip c-tests/roundtrip.c \
	    $$(pkg-config --cflags seccs) $$(pkg-config --libs seccs)'
	LD_LIBRARY_PATH=$(abspath $(BUILD_DIR)/install-test/lib) $(BUILD_DIR)/install-test/roundtrip
	test "$$(PKG_CONFIG_PATH=$(abspath $(BUILD_DIR)/install-test/lib/pkgconfig) pkg-config --modversion seccs)" = $(VERSION)
ifneq ($(wildcard cli/cli.mk),)
	env -u LD_LIBRARY_PATH $(BUILD_DIR)/install-test/bin/seccs --version
	env -u LD_LIBRARY_PATH ldd $(BUILD_DIR)/install-test/bin/seccs \
	    | grep -qF '$(abspath $(BUILD_DIR)/install-test/lib)/$(SONAME)'
endif

# The README's C example must build with warnings as errors and run clean under valgrind.
example-test: lib
	mkdir -p $(BUILD_DIR)
	$(CC) -std=c11 -Wall -Wextra -Werror -Iinclude examples/quickstart.c -L$(RELEASE_DIR) -lseccs \
	    -Wl,-rpath,$(RELEASE_DIR) -o $(BUILD_DIR)/quickstart
	test "$$($(BUILD_DIR)/quickstart)" = "read back 13 bytes (new): hello, sec-cs"
	valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    $(BUILD_DIR)/quickstart >/dev/null

# Runs the steps one after another, so that the output of each stays readable.
test:
	@for target in $(TEST_TARGETS); do \
	    echo "==> make $$target"; \
	    $(MAKE) --no-print-directory $$target || exit 1; \
	done

install: lib $(INSTALL_TARGETS)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(RELEASE_DIR)/libseccs.so $(DESTDIR)$(LIBDIR)/libseccs.so.$(VERSION)
	ln -sfn libseccs.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(LIBDIR)/libseccs.so
	install -m 644 $(RELEASE_DIR)/libseccs.a $(DESTDIR)$(LIBDIR)/libseccs.a
	install -m 644 include/seccs.h $(DESTDIR)$(INCLUDEDIR)/seccs.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' seccs.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/seccs.pc

uninstall: $(UNINSTALL_TARGETS)
	rm -f $(DESTDIR)$(LIBDIR)/libseccs.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libseccs.so $(DESTDIR)$(LIBDIR)/libseccs.a \
	      $(DESTDIR)$(INCLUDEDIR)/seccs.h $(DESTDIR)$(PKGCONFIGDIR)/seccs.pc

clean:
	$(CARGO) clean
	rm -rf $(BUILD_DIR)
