# Benchmarks, included by the top-level Makefile. See docs/benchmarks.md.
#
#   make bench           throughput, peak memory and targets of put/get/delete against the
#                        primitives, plus the C-ABI timings (5 to 10 minutes on 2 CPUs)
#   make bench-storage   bytes stored vs raw for the demo's cached releases, with a plot
#                        (needs the tars from scripts/fetch-releases.sh and python3 with
#                        matplotlib for the plot)
#
# SECCS_BENCH_REPS (default 5) and SECCS_BENCH_MIB (default 64) shorten or lengthen a run.

CC ?= cc
BENCH_DIR := $(RELEASE_DIR)/bench
BENCH_FFI := $(BENCH_DIR)/ffi_bench
STORAGE_CSV := $(BENCH_DIR)/storage.csv
STORAGE_PNG := docs/storage.png

.PHONY: bench bench-ffi bench-storage

bench: bench-ffi
	SECCS_BENCH_FFI=$(BENCH_FFI) $(CARGO) bench --bench throughput

# The C program links the release libseccs.so through its soname link, found at run
# time through the rpath.
bench-ffi: lib
	mkdir -p $(BENCH_DIR)
	$(CC) -O2 -std=c11 -Wall -Wextra -Werror -Iinclude -o $(BENCH_FFI) benches/ffi_bench.c \
	    -L$(RELEASE_DIR) -lseccs -Wl,-rpath,$(RELEASE_DIR)

bench-storage:
	mkdir -p $(BENCH_DIR)
	scripts/fetch-releases.sh > $(BENCH_DIR)/releases.txt
	$(CARGO) bench --bench storage -- $(STORAGE_CSV) < $(BENCH_DIR)/releases.txt
	python3 scripts/plot_storage.py $(STORAGE_CSV) $(STORAGE_PNG)
