/*
 * The consistency check through the C API: a clean store, wrong counts, orphan nodes and
 * counts, missing and corrupt nodes, repair, and the scan callback it needs.
 *
 * Content A has 5000 bytes under static chunking with S = 256 and AES-SIV (R = 16): a
 * tree of height ceil(ln(5000 / 256) / ln 16) = 2 with 20 leaves (19 of 256 bytes, one of
 * 136), two level-1 superchunks (cut at 4096 bytes) and the root: 23 nodes.
 */
#include "harness.h"
#include "hash_backend.h"

#define NODES_OF_A 23

static seccs_store *open_store(hash_backend *backend) {
  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 12);
  config.chunking = SECCS_CHUNKING_STATIC;
  seccs_backend table = hash_backend_table(backend, 0);
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));
  return store;
}

static seccs_check_report check(seccs_store *store, const uint8_t *refs, size_t count, bool repair) {
  seccs_check_report report;
  memset(&report, 0xAB, sizeof report);
  CHECK_STATUS(seccs_check(store, refs, count, repair, &report), SECCS_OK);
  return report;
}

static int is_clean(seccs_check_report report) {
  return report.orphan_nodes == 0 && report.wrong_counts == 0 && report.orphan_counts == 0 &&
         report.missing_nodes == 0 && report.corrupt_nodes == 0;
}

/* Finds a leaf of A: a 16-byte key whose value has 256 bytes. */
typedef struct {
  uint8_t key[16];
  bool found;
} leaf_search;

static void find_leaf(void *arg, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len) {
  leaf_search *search = arg;
  (void)value;
  if (!search->found && key_len == 16 && value_len == 256) {
    memcpy(search->key, key, 16);
    search->found = true;
  }
}

int main(void) {
  hash_backend *backend = hash_backend_new();
  seccs_store *store = open_store(backend);
  uint8_t *a = random_content(5000, 61);
  uint8_t *c = random_content(3000, 62);
  uint8_t refs[3 * 24];
  uint8_t c_reference[24];

  /* A put twice is held twice. */
  REQUIRE_OK(seccs_put(store, a, 5000, false, refs, 24, NULL));
  REQUIRE_OK(seccs_put(store, a, 5000, false, refs + 24, 24, NULL));
  seccs_check_report report = check(store, refs, 2, false);
  CHECK(is_clean(report));
  CHECK_U64(report.nodes_total, NODES_OF_A);
  CHECK_U64(report.nodes_reachable, NODES_OF_A);
  CHECK_U64(report.repaired, 0);

  /* Listing A once means its root's stored count of 2 is one too many. */
  report = check(store, refs, 1, false);
  CHECK_U64(report.wrong_counts, 1);
  CHECK_U64(report.orphan_nodes, 0);
  report = check(store, refs, 1, true);
  CHECK_U64(report.repaired, 1);
  CHECK(is_clean(check(store, refs, 1, false)));

  /* A content that nobody holds any more: every node and count entry is an orphan. */
  REQUIRE_OK(seccs_put(store, c, 3000, false, c_reference, sizeof c_reference, NULL));
  report = check(store, refs, 1, false);
  size_t nodes_of_c = report.nodes_total - NODES_OF_A;
  CHECK(nodes_of_c > 1);
  CHECK_U64(report.orphan_nodes, nodes_of_c);
  CHECK_U64(report.orphan_counts, nodes_of_c);
  report = check(store, refs, 1, true);
  CHECK_U64(report.repaired, 2 * nodes_of_c);
  CHECK_U64(hash_backend_count(backend), 2 * NODES_OF_A);
  CHECK_STATUS(seccs_verify(store, c_reference, 24), SECCS_NOT_FOUND);

  /* A corrupt leaf and a missing leaf are reported, not repaired. */
  leaf_search search;
  memset(&search, 0, sizeof search);
  hash_backend_each(backend, find_leaf, &search);
  REQUIRE(search.found);
  size_t value_len = 0;
  uint8_t *value = hash_backend_lookup(backend, search.key, 16, &value_len);
  value[0] ^= 1;
  report = check(store, refs, 1, true);
  CHECK_U64(report.corrupt_nodes, 1);
  CHECK_U64(report.missing_nodes, 0);
  CHECK_U64(report.repaired, 0);
  CHECK_STATUS(seccs_verify(store, refs, 24), SECCS_AUTHENTICITY_ERROR);
  value[0] ^= 1;

  uint8_t *saved = malloc(value_len);
  REQUIRE(saved != NULL);
  memcpy(saved, value, value_len);
  REQUIRE(hash_backend_remove(backend, search.key, 16));
  report = check(store, refs, 1, false);
  CHECK_U64(report.missing_nodes, 1);
  CHECK_U64(report.corrupt_nodes, 0);
  CHECK_STATUS(seccs_verify(store, refs, 24), SECCS_NOT_FOUND);
  hash_backend_store(backend, search.key, 16, saved, value_len);
  free(saved);
  CHECK(is_clean(check(store, refs, 1, false)));

  /* The held list must cover whole references. */
  CHECK_STATUS(seccs_check(store, NULL, 1, false, &report), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("refs is NULL");

  REQUIRE_OK(seccs_delete(store, refs, 24, false));
  CHECK_U64(hash_backend_count(backend), 0);
  CHECK(is_clean(check(store, NULL, 0, false)));

  seccs_free(store);
  hash_backend_free(backend);

  /* With separate counts, the count backend needs a scan callback too. */
  {
    hash_backend *nodes = hash_backend_new();
    hash_backend *counts = hash_backend_new();
    uint8_t key[32];
    seccs_config config;
    config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 12);
    config.refcount = SECCS_REFCOUNT_SEPARATE_BACKEND;
    config.refcount_backend = hash_backend_table(counts, HASH_BACKEND_NO_SCAN);
    seccs_backend table = hash_backend_table(nodes, 0);
    seccs_store *separate = NULL;
    REQUIRE_OK(seccs_new(&config, &table, &separate));
    REQUIRE_OK(seccs_put(separate, a, 5000, false, refs, 24, NULL));
    CHECK_STATUS(seccs_check(separate, refs, 1, false, &report), SECCS_UNSUPPORTED);
    CHECK_DETAIL("cannot list its keys");
    seccs_free(separate);
    hash_backend_free(nodes);
    hash_backend_free(counts);
  }

  free(a);
  free(c);
  return harness_finish("check");
}
