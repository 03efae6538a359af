/*
 * Placements of the reference counts: under key suffixes in the node backend, in a
 * separate backend, or nowhere. Checks the exact layout of both backends and what deletes do in
 * each placement.
 */
#include "harness.h"
#include "hash_backend.h"

#define CONTENT_SIZE 30000

typedef struct {
  size_t node_keys;   /* 16-byte keys */
  size_t count_keys;  /* 17-byte keys ending in 'r' */
  size_t other_keys;
  size_t decimal_values;
  size_t counts_of_two;
} layout;

static void classify(void *arg, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len) {
  layout *result = arg;
  if (key_len == 16) {
    result->node_keys++;
  } else if (key_len == 17 && key[16] == 'r') {
    result->count_keys++;
  } else {
    result->other_keys++;
  }

  bool decimal = value_len > 0;
  for (size_t i = 0; i < value_len; i++) decimal = decimal && value[i] >= '0' && value[i] <= '9';
  if (decimal) result->decimal_values++;
  if (value_len == 1 && value[0] == '2') result->counts_of_two++;
}

static layout layout_of(hash_backend *backend) {
  layout result;
  memset(&result, 0, sizeof result);
  hash_backend_each(backend, classify, &result);
  return result;
}

static void check_key_suffix(const uint8_t *content) {
  hash_backend *backend = hash_backend_new();
  seccs_backend table = hash_backend_table(backend, 0);
  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 7);
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));

  uint8_t reference[24];
  REQUIRE_OK(seccs_put(store, content, CONTENT_SIZE, false, reference, sizeof reference, NULL));
  layout after = layout_of(backend);
  CHECK(after.node_keys > 1);
  CHECK_U64(after.count_keys, after.node_keys);
  CHECK_U64(after.other_keys, 0);

  /* The root's count entry is its key followed by 'r'. */
  uint8_t count_key[17];
  memcpy(count_key, reference, 16);
  count_key[16] = 'r';
  size_t count_len = 0;
  uint8_t *count = hash_backend_lookup(backend, count_key, sizeof count_key, &count_len);
  REQUIRE(count != NULL);
  CHECK_U64(count_len, 1);
  CHECK(count[0] == '1');

  REQUIRE_OK(seccs_delete(store, reference, sizeof reference, false));
  CHECK_U64(hash_backend_count(backend), 0);
  seccs_free(store);
  hash_backend_free(backend);
}

static void check_separate(const uint8_t *content) {
  unsigned destroyed_before = hash_backend_destroyed_total();
  hash_backend *nodes = hash_backend_new();
  hash_backend *counts = hash_backend_new();
  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 7);
  config.refcount = SECCS_REFCOUNT_SEPARATE_BACKEND;
  config.refcount_backend = hash_backend_table(counts, HASH_BACKEND_OWNED);
  seccs_backend table = hash_backend_table(nodes, HASH_BACKEND_OWNED);

  /* A count backend without a get callback is rejected, and neither backend is taken. */
  {
    seccs_config broken = config;
    broken.refcount_backend.get = NULL;
    seccs_store *store = NULL;
    CHECK_STATUS(seccs_new(&broken, &table, &store), SECCS_NULL_ARGUMENT);
    CHECK_DETAIL("config.refcount_backend.get is NULL");
    CHECK_U64(hash_backend_destroyed_total(), destroyed_before);
  }

  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));

  uint8_t reference[24];
  REQUIRE_OK(seccs_put(store, content, CONTENT_SIZE, false, reference, sizeof reference, NULL));
  REQUIRE_OK(seccs_put(store, content, CONTENT_SIZE, false, reference, sizeof reference, NULL));

  /* Nodes in one backend, one decimal count per node under the same key in the other. */
  layout node_layout = layout_of(nodes);
  layout count_layout = layout_of(counts);
  CHECK(node_layout.node_keys > 1);
  CHECK_U64(node_layout.count_keys + node_layout.other_keys, 0);
  CHECK_U64(count_layout.node_keys, node_layout.node_keys);
  CHECK_U64(count_layout.decimal_values, count_layout.node_keys);
  CHECK_U64(count_layout.counts_of_two, 1); /* the root, put twice */
  size_t root_count_len = 0;
  uint8_t *root_count = hash_backend_lookup(counts, reference, 16, &root_count_len);
  REQUIRE(root_count != NULL);
  CHECK_U64(root_count_len, 1);
  CHECK(root_count[0] == '2');

  /* The first delete only releases one count; the second removes everything. */
  REQUIRE_OK(seccs_delete(store, reference, sizeof reference, false));
  CHECK_U64(hash_backend_count(nodes), node_layout.node_keys);
  CHECK_STATUS(seccs_verify(store, reference, sizeof reference), SECCS_OK);
  REQUIRE_OK(seccs_delete(store, reference, sizeof reference, false));
  CHECK_U64(hash_backend_count(nodes), 0);
  CHECK_U64(hash_backend_count(counts), 0);

  /* The store owns both backends. */
  seccs_free(store);
  CHECK_U64(hash_backend_destroyed_total(), destroyed_before + 2);
}

/* The built-in memory backend as the count backend, whose entries a check lists. */
static void check_separate_memory(const uint8_t *content) {
  seccs_backend nodes;
  seccs_backend counts;
  REQUIRE_OK(seccs_memory_backend_new(&nodes));
  REQUIRE_OK(seccs_memory_backend_new(&counts));
  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_HMAC_SHA_256_DISTINGUISHED_ROOT, key, 8);
  config.refcount = SECCS_REFCOUNT_SEPARATE_BACKEND;
  config.refcount_backend = counts;
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &nodes, &store));

  uint8_t reference[40];
  REQUIRE_OK(seccs_put(store, content, CONTENT_SIZE, false, reference, sizeof reference, NULL));
  seccs_check_report report;
  CHECK_STATUS(seccs_check(store, reference, 1, false, &report), SECCS_OK);
  CHECK(report.nodes_total > 1);
  CHECK_U64(report.nodes_reachable, report.nodes_total);
  CHECK_U64(report.wrong_counts + report.orphan_counts + report.orphan_nodes, 0);

  REQUIRE_OK(seccs_delete(store, reference, sizeof reference, false));
  CHECK_STATUS(seccs_check(store, NULL, 0, false, &report), SECCS_OK);
  CHECK_U64(report.nodes_total, 0);
  CHECK_U64(report.orphan_counts, 0);
  seccs_free(store);
}

static void check_no_refcount(const uint8_t *content) {
  hash_backend *backend = hash_backend_new();
  seccs_backend table = hash_backend_table(backend, 0);
  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_AES_SIV_256_DISTINGUISHED_ROOT, key, 9);
  config.refcount = SECCS_REFCOUNT_NONE;
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));

  uint8_t reference[24];
  REQUIRE_OK(seccs_put(store, content, CONTENT_SIZE, false, reference, sizeof reference, NULL));
  layout stored = layout_of(backend);
  CHECK(stored.node_keys > 1);
  CHECK_U64(stored.count_keys + stored.other_keys, 0);

  /* Without counts, a second put changes nothing and a counted delete removes nothing. */
  hash_snapshot *snapshot = hash_backend_snapshot(backend);
  REQUIRE_OK(seccs_put(store, content, CONTENT_SIZE, false, reference, sizeof reference, NULL));
  CHECK_STATUS(seccs_delete(store, reference, sizeof reference, false), SECCS_OK);
  hash_snapshot *after = hash_backend_snapshot(backend);
  CHECK(hash_snapshot_equal(snapshot, after));
  hash_snapshot_free(after);
  hash_snapshot_free(snapshot);
  CHECK_STATUS(seccs_verify(store, reference, sizeof reference), SECCS_OK);

  /* A delete with ignore_rc removes the root node only: every child reads as still used. */
  CHECK_STATUS(seccs_delete(store, reference, sizeof reference, true), SECCS_OK);
  CHECK_U64(hash_backend_count(backend), stored.node_keys - 1);
  CHECK(hash_backend_lookup(backend, reference, 16, NULL) == NULL);
  CHECK_STATUS(seccs_verify(store, reference, sizeof reference), SECCS_NOT_FOUND);

  seccs_free(store);
  hash_backend_free(backend);
}

int main(void) {
  uint8_t *content = random_content(CONTENT_SIZE, 55);
  check_key_suffix(content);
  check_separate(content);
  check_separate_memory(content);
  check_no_refcount(content);
  free(content);
  return harness_finish("placements");
}
