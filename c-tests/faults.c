/*
 * A backend that fails on its k-th call, for every k, during a put and during a delete.
 * Each time, the operation returns SECCS_BACKEND_ERROR with the backend's code and
 * message, and every content stored before still reads back. Then a check with repair
 * over the contents still held restores a state in which deleting them leaves the
 * backends empty.
 *
 * Runs with counts under key suffixes, and with a separate count backend that fails in
 * turn with the node backend.
 */
#include "harness.h"
#include "hash_backend.h"

#define FAULT_CODE 77
#define CONTENT_COUNT 3

typedef struct {
  uint8_t *bytes;
  size_t size;
  uint8_t reference[24];
} content;

typedef struct {
  hash_backend *nodes;
  hash_backend *counts; /* NULL with key-suffix counts */
  seccs_store *store;
} fixture;

static content contents[CONTENT_COUNT];

/* A: 8000 random bytes. B: A with its second half replaced. C: A's first 3000 bytes and a
 * new tail. B and C share leaves with A, so faults hit shared counts too. */
static void make_contents(void) {
  contents[0].size = 8000;
  contents[0].bytes = random_content(8000, 31);
  contents[1].size = 9000;
  contents[1].bytes = random_content(9000, 32);
  memcpy(contents[1].bytes, contents[0].bytes, 4000);
  contents[2].size = 6000;
  contents[2].bytes = random_content(6000, 33);
  memcpy(contents[2].bytes, contents[0].bytes, 3000);
}

static fixture open_fixture(bool separate_counts) {
  fixture f;
  f.nodes = hash_backend_new();
  f.counts = separate_counts ? hash_backend_new() : NULL;

  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 5);
  if (separate_counts) {
    config.refcount = SECCS_REFCOUNT_SEPARATE_BACKEND;
    config.refcount_backend = hash_backend_table(f.counts, 0);
  }
  seccs_backend table = hash_backend_table(f.nodes, 0);
  f.store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &f.store));
  return f;
}

static void close_fixture(fixture *f) {
  seccs_free(f->store);
  hash_backend_free(f->nodes);
  hash_backend_free(f->counts);
}

static void put_content(fixture *f, int index) {
  REQUIRE_OK(seccs_put(f->store, contents[index].bytes, contents[index].size, false, contents[index].reference, 24,
                       NULL));
}

static int reads_back(fixture *f, int index) {
  uint8_t *read = NULL;
  size_t read_len = 0;
  if (seccs_get_alloc(f->store, contents[index].reference, 24, &read, &read_len) != SECCS_OK) return 0;
  int same = read_len == contents[index].size && memcmp(read, contents[index].bytes, read_len) == 0;
  seccs_buffer_free(read, read_len);
  return same;
}

/* Repairs the store for the contents in `held` (indexes), then checks that a second check
 * finds nothing, and that deleting the held contents leaves the backends empty. */
static void repair_and_drain(fixture *f, const int *held, int held_count) {
  uint8_t references[CONTENT_COUNT * 24];
  for (int i = 0; i < held_count; i++) memcpy(references + 24 * i, contents[held[i]].reference, 24);

  seccs_check_report report;
  CHECK_STATUS(seccs_check(f->store, references, (size_t)held_count, true, &report), SECCS_OK);
  CHECK_U64(report.missing_nodes, 0);
  CHECK_U64(report.corrupt_nodes, 0);
  CHECK_STATUS(seccs_check(f->store, references, (size_t)held_count, false, &report), SECCS_OK);
  CHECK_U64(report.orphan_nodes, 0);
  CHECK_U64(report.orphan_counts, 0);
  CHECK_U64(report.wrong_counts, 0);
  CHECK_U64(report.nodes_reachable, report.nodes_total);

  for (int i = 0; i < held_count; i++) {
    CHECK(reads_back(f, held[i]));
    CHECK_STATUS(seccs_delete(f->store, contents[held[i]].reference, 24, false), SECCS_OK);
  }
  CHECK_U64(hash_backend_count(f->nodes), 0);
  if (f->counts) CHECK_U64(hash_backend_count(f->counts), 0);
}

static hash_backend *faulty_backend(fixture *f, bool fault_in_counts) {
  return fault_in_counts ? f->counts : f->nodes;
}

/* Number of calls the faulty backend gets during a clean run of `operation`. */
static uint64_t count_calls(bool separate_counts, bool fault_in_counts, bool during_delete) {
  fixture f = open_fixture(separate_counts);
  put_content(&f, 0);
  put_content(&f, 1);
  if (during_delete) put_content(&f, 2);
  hash_backend *faulty = faulty_backend(&f, fault_in_counts);
  hash_backend_reset_calls(faulty);

  if (during_delete) {
    REQUIRE_OK(seccs_delete(f.store, contents[0].reference, 24, false));
  } else {
    put_content(&f, 2);
  }
  uint64_t calls = hash_backend_calls(faulty);
  close_fixture(&f);
  return calls;
}

static void check_status_of_fault(uint64_t call) {
  char expected[64];
  snprintf(expected, sizeof expected, "injected failure at call %llu", (unsigned long long)call);
  CHECK_U64(seccs_last_backend_code(), FAULT_CODE);
  CHECK_DETAIL(expected);
}

/* Fails call k of a put of C onto a store holding A and B. */
static void fault_during_put(bool separate_counts, bool fault_in_counts, uint64_t call) {
  fixture f = open_fixture(separate_counts);
  put_content(&f, 0);
  put_content(&f, 1);
  hash_backend *faulty = faulty_backend(&f, fault_in_counts);
  hash_backend_reset_calls(faulty);
  hash_backend_fail_at(faulty, call, FAULT_CODE);

  uint8_t reference[24];
  CHECK_STATUS(seccs_put(f.store, contents[2].bytes, contents[2].size, false, reference, sizeof reference, NULL),
               SECCS_BACKEND_ERROR);
  check_status_of_fault(call);
  hash_backend_fail_at(faulty, 0, 0);

  CHECK(reads_back(&f, 0));
  CHECK(reads_back(&f, 1));

  /* A retry succeeds; the failed attempt's leftovers are what repair removes. */
  put_content(&f, 2);
  CHECK(reads_back(&f, 2));
  int held[] = {0, 1, 2};
  repair_and_drain(&f, held, 3);
  close_fixture(&f);
}

/* Fails call k of a delete of A from a store holding A, B and C. */
static void fault_during_delete(bool separate_counts, bool fault_in_counts, uint64_t call) {
  fixture f = open_fixture(separate_counts);
  put_content(&f, 0);
  put_content(&f, 1);
  put_content(&f, 2);
  hash_backend *faulty = faulty_backend(&f, fault_in_counts);
  hash_backend_reset_calls(faulty);
  hash_backend_fail_at(faulty, call, FAULT_CODE);

  CHECK_STATUS(seccs_delete(f.store, contents[0].reference, 24, false), SECCS_BACKEND_ERROR);
  check_status_of_fault(call);
  hash_backend_fail_at(faulty, 0, 0);

  CHECK(reads_back(&f, 1));
  CHECK(reads_back(&f, 2));

  /* Whether or not A's count was released, the caller no longer holds A. */
  int held[] = {1, 2};
  repair_and_drain(&f, held, 2);
  close_fixture(&f);
}

static void run_placement(bool separate_counts, bool fault_in_counts, const char *label) {
  uint64_t put_calls = count_calls(separate_counts, fault_in_counts, false);
  uint64_t delete_calls = count_calls(separate_counts, fault_in_counts, true);
  CHECK(put_calls > 10);
  CHECK(delete_calls > 10);

  for (uint64_t call = 1; call <= put_calls; call++) {
    int failed_before = harness_failed;
    fault_during_put(separate_counts, fault_in_counts, call);
    if (harness_failed != failed_before) fprintf(stderr, "  %s: put failing at call %llu\n", label, (unsigned long long)call);
  }
  for (uint64_t call = 1; call <= delete_calls; call++) {
    int failed_before = harness_failed;
    fault_during_delete(separate_counts, fault_in_counts, call);
    if (harness_failed != failed_before) {
      fprintf(stderr, "  %s: delete failing at call %llu\n", label, (unsigned long long)call);
    }
  }
  printf("%s: failed each of the %llu calls of a put and the %llu calls of a delete\n", label,
         (unsigned long long)put_calls, (unsigned long long)delete_calls);
}

int main(void) {
  make_contents();

  run_placement(false, false, "key-suffix counts, node backend failing");
  run_placement(true, false, "separate counts, node backend failing");
  run_placement(true, true, "separate counts, count backend failing");

  for (int i = 0; i < CONTENT_COUNT; i++) free(contents[i].bytes);
  return harness_finish("faults");
}
