# Fuzzing with cargo-fuzz (libFuzzer), included by the top-level Makefile.
#
#   make fuzz                    run each target for FUZZ_SECONDS seconds (default 60)
#   make fuzz FUZZ_TARGETS=model run one target
#   make fuzz-replay             replay the committed corpus and regressions in plain
#                                `cargo test`: no cargo-fuzz, no nightly toolchain
#   make fuzz-cmin               minimize the committed corpus after a long run: the
#                                fewest inputs that cover every edge (hit counts and
#                                value profiles would keep hundreds of files)
#
# The target logic lives in tests/support/fuzz_targets.rs. New inputs go to
# fuzz/scratch/<target>/ (ignored by git); copy the ones worth keeping into
# fuzz/corpus/<target>/, and an input that crashed a target, once fixed, into
# fuzz/regressions/<target>/. Crashes land in fuzz/artifacts/<target>/.
#
# cargo-fuzz passes nightly-only flags (-Z...) to rustc, and RUSTC_BOOTSTRAP=1 makes the
# stable toolchain accept them. The default sanitizer is AddressSanitizer, because the
# Rabin-Karp chunker reads through raw pointers. FUZZ_SANITIZER=none gives roughly ten
# times the executions per second (reference target: 1718 against 176 per second,
# measured on a shared 2-core machine).

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= reference backend_values model
FUZZ_SANITIZER ?= address
FUZZ_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
FUZZ_FLAGS := -timeout=10 -max_len=4096 -print_final_stats=1

.PHONY: fuzz fuzz-replay fuzz-cmin fuzz-tool

fuzz-tool:
	@cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked

fuzz: fuzz-tool
	@set -e; cd $(FUZZ_DIR); for target in $(FUZZ_TARGETS); do \
	  mkdir -p scratch/$$target; \
	  seeds="$(FUZZ_DIR)/corpus/$$target"; \
	  if [ -d regressions/$$target ]; then seeds="$$seeds $(FUZZ_DIR)/regressions/$$target"; fi; \
	  echo "fuzzing $$target for $(FUZZ_SECONDS) s"; \
	  RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer $(FUZZ_SANITIZER) $$target $(FUZZ_DIR)/scratch/$$target $$seeds -- \
	    -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS); \
	done

fuzz-replay:
	$(CARGO) test --release --test fuzz_corpus

fuzz-cmin: fuzz-tool
	@set -e; cd $(FUZZ_DIR); for target in $(FUZZ_TARGETS); do \
	  RUSTC_BOOTSTRAP=1 cargo fuzz cmin --sanitizer $(FUZZ_SANITIZER) $$target $(FUZZ_DIR)/corpus/$$target -- \
	    -set_cover_merge=1 -use_counters=0 -max_len=4096; \
	done
