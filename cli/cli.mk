# Build, test and demo rules of the seccs command-line program (cli/).
# The top Makefile includes this file; all paths are relative to the repository top.
#
#   make cli           build build/seccs, linked to libseccs with an rpath into the tree
#   make cli-install   install seccs to $(DESTDIR)$(BINDIR), linked with an rpath to $(LIBDIR)
#   make cli-uninstall remove the installed seccs
#   make cli-test      run the end-to-end tests in cli/tests/
#   make cli-memcheck  run the same tests with every seccs call under valgrind
#   make demo          store real release tarballs and show the deduplication

# The top Makefile includes this file before its own `all` rule: the saved default goal
# is restored at the end, so that `cli` does not become the default.
CLI_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

CLI_CFLAGS ?= -std=c11 -O2 -g -Wall -Wextra -Wpedantic -Wshadow -Wconversion \
              -Wno-sign-conversion
# _DEFAULT_SOURCE exposes the POSIX and BSD functions that -std=c11 hides (mkstemp,
# fsync, explicit_bzero); -MMD -MP record header dependencies in build/cli/*.d.
CLI_CPPFLAGS := -D_DEFAULT_SOURCE -Iinclude -MMD -MP
# cargo puts the library under $CARGO_TARGET_DIR when that is set, else under target/.
CLI_LIB_DIR := $(abspath $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target)/release)
CLI_LDLIBS := -L$(CLI_LIB_DIR) -Wl,-rpath,$(CLI_LIB_DIR) -lseccs -lsqlite3

CLI_SOURCES := $(wildcard cli/*.c)
CLI_OBJECTS := $(CLI_SOURCES:cli/%.c=build/cli/%.o)
CLI_BIN := build/seccs
# The copy that cli-install installs: the same objects, with an rpath to the installed
# library instead of the build tree.
CLI_INSTALL_BIN := build/install/seccs
BINDIR ?= $(PREFIX)/bin

CLI_VALGRIND := valgrind --quiet --error-exitcode=99 --leak-check=full \
                --suppressions=$(CURDIR)/cli/tests/valgrind.supp \
                --show-leak-kinds=all --errors-for-leak-kinds=all

.PHONY: cli cli-lib cli-install cli-uninstall cli-test cli-memcheck demo

cli: $(CLI_BIN)

# cargo knows best whether libseccs is up to date, so it is asked on every build. The
# library's soname (libseccs.so.0) is what the program looks for at run time, and cargo
# only writes libseccs.so, so a link under the soname is made beside it.
cli-lib:
	cargo build --release
	@soname=$$(objdump -p $(CLI_LIB_DIR)/libseccs.so | awk '$$1 == "SONAME" { print $$2 }'); \
	if [ -n "$$soname" ] && [ "$$soname" != libseccs.so ]; then \
	    ln -sfn libseccs.so $(CLI_LIB_DIR)/$$soname; \
	fi

build/cli/%.o: cli/%.c | cli-lib
	@mkdir -p $(@D)
	$(CC) $(CLI_CPPFLAGS) $(CLI_CFLAGS) -c -o $@ $<

# The program loads libseccs at run time, so a rebuilt library needs no relink.
$(CLI_BIN): $(CLI_OBJECTS) | cli-lib
	$(CC) $(CLI_CFLAGS) -o $@ $(CLI_OBJECTS) $(CLI_LDLIBS)

# Relinked on every install, because the rpath follows LIBDIR, which may differ from the
# last install's. The top Makefile's install target installs the library to $(LIBDIR).
cli-install: $(CLI_OBJECTS) | cli-lib
	@mkdir -p $(dir $(CLI_INSTALL_BIN))
	$(CC) $(CLI_CFLAGS) -o $(CLI_INSTALL_BIN) $(CLI_OBJECTS) -L$(CLI_LIB_DIR) \
	    -Wl,-rpath,$(LIBDIR) -lseccs -lsqlite3
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(CLI_INSTALL_BIN) $(DESTDIR)$(BINDIR)/seccs

cli-uninstall:
	rm -f $(DESTDIR)$(BINDIR)/seccs

cli-test: $(CLI_BIN)
	bash cli/tests/run.sh $(CLI_BIN)

cli-memcheck: $(CLI_BIN)
	SECCS_RUNNER="$(CLI_VALGRIND)" bash cli/tests/run.sh $(CLI_BIN)

demo: $(CLI_BIN)
	bash scripts/demo.sh $(CLI_BIN)

-include $(CLI_OBJECTS:.o=.d)

.DEFAULT_GOAL := $(CLI_SAVED_DEFAULT_GOAL)
