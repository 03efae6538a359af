/*
 * Every error status that bad input can cause, each with its own check of the status, and
 * of the detail message where it names the value. Also: the status messages, and that
 * a success clears the detail of the previous failure.
 */
#include <stdint.h>

#include "harness.h"
#include "hash_backend.h"

static seccs_store *open_store(hash_backend *backend, seccs_wrapper wrapper, uint8_t key_variant) {
  uint8_t key[32];
  seccs_config config;
  config_for(&config, wrapper, key, key_variant);
  seccs_backend table = hash_backend_table(backend, 0);
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));
  return store;
}

/* Search state for the single node entry (not a count entry) of a backend that contains
 * one content of height 0: one node and its count. */
typedef struct {
  const uint8_t *key;
  size_t key_len;
  size_t reference_key_len;
} node_search;

static void find_node(void *arg, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len) {
  node_search *search = arg;
  (void)value;
  (void)value_len;
  if (key_len == search->reference_key_len) {
    search->key = key;
    search->key_len = key_len;
  }
}

static void check_status_messages(void) {
  for (int code = SECCS_OK; code <= SECCS_PANIC; code++) {
    const char *message = seccs_status_message((seccs_status)code);
    REQUIRE(message != NULL);
    CHECK(message[0] != '\0');
    CHECK(strcmp(message, seccs_status_message((seccs_status)99)) != 0);
  }
  CHECK(strcmp(seccs_status_message((seccs_status)99), "unknown libseccs status code") == 0);
  CHECK(strcmp(seccs_status_message((seccs_status)-1), "unknown libseccs status code") == 0);
  CHECK(strcmp(seccs_status_message(SECCS_OK), "success") == 0);
}

static void check_config_errors(void) {
  hash_backend *backend = hash_backend_new();
  seccs_backend table = hash_backend_table(backend, HASH_BACKEND_OWNED);
  uint8_t key[32];
  seccs_config config;
  seccs_store *store = (seccs_store *)&config; /* any non-NULL value: seccs_new must reset it */

  /* SECCS_NULL_ARGUMENT */
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  CHECK_STATUS(seccs_new(NULL, &table, &store), SECCS_NULL_ARGUMENT);
  CHECK(store == NULL);
  CHECK_DETAIL("config is NULL");
  CHECK_STATUS(seccs_new(&config, NULL, &store), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("backend is NULL");
  CHECK_STATUS(seccs_new(&config, &table, NULL), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("out is NULL");
  {
    seccs_backend no_get = table;
    no_get.get = NULL;
    CHECK_STATUS(seccs_new(&config, &no_get, &store), SECCS_NULL_ARGUMENT);
    CHECK_DETAIL("backend.get is NULL");
    seccs_backend no_contains = table;
    no_contains.contains = NULL;
    CHECK_STATUS(seccs_new(&config, &no_contains, &store), SECCS_NULL_ARGUMENT);
    CHECK_DETAIL("backend.contains is NULL");
  }
  config.key = NULL;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("config.key is NULL");

  /* SECCS_INVALID_ARGUMENT */
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  config.version = 0;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("config.version is 0");
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  {
    seccs_backend future = table;
    future.version = 2;
    CHECK_STATUS(seccs_new(&config, &future, &store), SECCS_INVALID_ARGUMENT);
    CHECK_DETAIL("backend.version is 2");
  }
  config.key_len = 31;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("invalid key length 31 for AES_SIV_256");
  config_for(&config, SECCS_WRAPPER_HMAC_SHA_256, key, 1);
  config.key_len = 0;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("invalid key length 0 for HMAC_SHA_256");
  config_for(&config, SECCS_WRAPPER_SHA_256, key, 1);
  config.key = key;
  config.key_len = 32;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("SHA_256 takes no key");
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  config.wrapper = (seccs_wrapper)5;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("config.wrapper is 5");
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  config.chunking = (seccs_chunking)7;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("config.chunking is 7");
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  config.refcount = (seccs_refcount)3;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("config.refcount is 3");
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  config.window_size = 0;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("invalid Rabin-Karp window size 0");
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  config.chunk_size = 0;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("invalid chunk size 0");
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  config.key_len = (size_t)PTRDIFF_MAX + 1;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("more than any object can have");
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  config.refcount = SECCS_REFCOUNT_SEPARATE_BACKEND; /* refcount_backend left zeroed */
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("config.refcount_backend.version is 0");

  /* SECCS_UNSUPPORTED_CHUNK_SIZE: below 2R = 32 for AES-SIV and 64 for SHA-256. */
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  config.chunk_size = 31;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_UNSUPPORTED_CHUNK_SIZE);
  CHECK_DETAIL("unsupported chunk size 31");
  config_for(&config, SECCS_WRAPPER_SHA_256, key, 1);
  config.chunk_size = 63;
  CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_UNSUPPORTED_CHUNK_SIZE);
  CHECK_DETAIL("use a chunk size of 64 or more");

  /* No failed seccs_new took the backend. */
  CHECK(store == NULL);
  unsigned destroyed_before = hash_backend_destroyed_total();
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  REQUIRE_OK(seccs_new(&config, &table, &store));
  CHECK(seccs_last_error_message()[0] == '\0');
  CHECK_U64(seccs_last_backend_code(), 0);
  seccs_free(store);
  CHECK_U64(hash_backend_destroyed_total(), destroyed_before + 1);
}

static void check_operation_errors(void) {
  hash_backend *backend = hash_backend_new();
  seccs_store *store = open_store(backend, SECCS_WRAPPER_AES_SIV_256, 1);
  uint8_t content[1000];
  fill_random(content, sizeof content, 5);
  uint8_t reference[MAX_REFERENCE];
  uint8_t buffer[2000];
  size_t written = 0;
  uint64_t length = 0;
  bool is_new = false;

  /* SECCS_NULL_ARGUMENT */
  CHECK_STATUS(seccs_put(NULL, content, sizeof content, false, reference, sizeof reference, NULL),
               SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("store is NULL");
  CHECK_STATUS(seccs_put(store, NULL, 10, false, reference, sizeof reference, NULL), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("content is NULL");
  CHECK_STATUS(seccs_put(store, content, sizeof content, false, NULL, 24, NULL), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("ref_out is NULL");
  CHECK_U64(hash_backend_count(backend), 0);
  CHECK_STATUS(seccs_get(store, NULL, 24, buffer, sizeof buffer, &written), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("ref is NULL");
  CHECK_STATUS(seccs_get(store, reference, 24, buffer, sizeof buffer, NULL), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("written is NULL");
  CHECK_STATUS(seccs_get_alloc(store, reference, 24, NULL, &written), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("out is NULL");
  CHECK_STATUS(seccs_delete(NULL, reference, 24, false), SECCS_NULL_ARGUMENT);
  CHECK_STATUS(seccs_verify(store, NULL, 0), SECCS_NULL_ARGUMENT);
  CHECK_STATUS(seccs_content_length(reference, 24, NULL), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("length_out is NULL");
  CHECK_STATUS(seccs_memory_backend_new(NULL), SECCS_NULL_ARGUMENT);
  CHECK_STATUS(seccs_check(store, NULL, 0, false, NULL), SECCS_NULL_ARGUMENT);
  CHECK_DETAIL("report is NULL");
  CHECK_STATUS(seccs_value_sink_write(NULL, content, 1), SECCS_NULL_ARGUMENT);
  CHECK_STATUS(seccs_key_sink_add(NULL, content, 1), SECCS_NULL_ARGUMENT);
  CHECK_U64(seccs_reference_size(NULL), 0);

  /* The empty content may come as NULL. */
  CHECK_STATUS(seccs_put(store, NULL, 0, false, reference, sizeof reference, &is_new), SECCS_OK);
  CHECK(seccs_last_error_message()[0] == '\0');
  CHECK_STATUS(seccs_delete(store, reference, 24, false), SECCS_OK);

  /* SECCS_INVALID_ARGUMENT: lengths no object can have. */
  CHECK_STATUS(seccs_put(store, content, (size_t)PTRDIFF_MAX + 1, false, reference, sizeof reference, NULL),
               SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("the length of content is");
  CHECK_STATUS(seccs_get(store, reference, 24, buffer, SIZE_MAX, &written), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("the length of buf is");
  CHECK_STATUS(seccs_check(store, reference, SIZE_MAX / 2, false, &(seccs_check_report){0}), SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("cannot fit in memory");

  /* SECCS_BUFFER_TOO_SMALL: the reference buffer is checked before anything is stored. */
  CHECK_STATUS(seccs_put(store, content, sizeof content, false, reference, 23, NULL), SECCS_BUFFER_TOO_SMALL);
  CHECK_DETAIL("ref_out_len is 23, but this store's references are 24 bytes");
  CHECK_U64(hash_backend_count(backend), 0);

  REQUIRE_OK(seccs_put(store, content, sizeof content, false, reference, sizeof reference, NULL));
  written = 0;
  CHECK_STATUS(seccs_get(store, reference, 24, buffer, 999, &written), SECCS_BUFFER_TOO_SMALL);
  CHECK_U64(written, 1000);
  CHECK_DETAIL("buf_len is 999, but the reference records a content of 1000 bytes");
  written = 0;
  CHECK_STATUS(seccs_get(store, reference, 24, NULL, 0, &written), SECCS_BUFFER_TOO_SMALL);
  CHECK_U64(written, 1000);

  /* SECCS_INVALID_REFERENCE */
  CHECK_STATUS(seccs_get(store, reference, 23, buffer, sizeof buffer, &written), SECCS_INVALID_REFERENCE);
  CHECK_DETAIL("invalid content reference of 23 bytes");
  CHECK_STATUS(seccs_get(store, reference, 40, buffer, sizeof buffer, &written), SECCS_INVALID_REFERENCE);
  CHECK_STATUS(seccs_delete(store, reference, 25, false), SECCS_INVALID_REFERENCE);
  CHECK_STATUS(seccs_verify(store, reference, 0), SECCS_INVALID_REFERENCE);
  CHECK_STATUS(seccs_content_length(reference, 7, &length), SECCS_INVALID_REFERENCE);
  CHECK_DETAIL("invalid content reference of 7 bytes");
  CHECK_STATUS(seccs_content_length(reference, 24, &length), SECCS_OK);
  CHECK_U64(length, 1000);

  /* SECCS_NOT_FOUND: a reference of this store's shape whose root was never stored. */
  {
    uint8_t stranger[24];
    memcpy(stranger, reference, 24);
    stranger[0] ^= 1;
    CHECK_STATUS(seccs_get(store, stranger, 24, buffer, sizeof buffer, &written), SECCS_NOT_FOUND);
    CHECK_DETAIL("at height 1 not found in the backend");
    CHECK_STATUS(seccs_verify(store, stranger, 24), SECCS_NOT_FOUND);
  }

  /* SECCS_CORRUPT_NODE: a reference whose recorded length disagrees with its tree, at the
   * same height (1000 and 2000 bytes both give height 1 at S = 256, R = 16). */
  {
    uint8_t longer[24];
    memcpy(longer, reference, 24);
    longer[22] = 0x07; /* 0x07d0 = 2000 */
    longer[23] = 0xd0;
    CHECK_STATUS(seccs_get(store, longer, 24, buffer, sizeof buffer, &written), SECCS_CORRUPT_NODE);
    CHECK_DETAIL("the tree holds 1000 bytes but the reference records 2000");
    CHECK_STATUS(seccs_verify(store, longer, 24), SECCS_CORRUPT_NODE);
  }

  /* SECCS_MISSING_REFERENCE_COUNT: a counted delete of a content stored with ignore_rc. */
  {
    uint8_t uncounted[24];
    uint8_t other[500];
    fill_random(other, sizeof other, 6);
    REQUIRE_OK(seccs_put(store, other, sizeof other, true, uncounted, sizeof uncounted, NULL));
    size_t entries = hash_backend_count(backend);
    CHECK_STATUS(seccs_delete(store, uncounted, 24, false), SECCS_MISSING_REFERENCE_COUNT);
    CHECK_DETAIL("reference count of node");
    CHECK_U64(hash_backend_count(backend), entries);
    CHECK_STATUS(seccs_delete(store, uncounted, 24, true), SECCS_OK);
  }

  /* SECCS_INVALID_REFERENCE_COUNT: the root's count entry altered. */
  {
    uint8_t count_key[17];
    memcpy(count_key, reference, 16);
    count_key[16] = 'r';
    size_t count_len = 0;
    REQUIRE(hash_backend_lookup(backend, count_key, sizeof count_key, &count_len) != NULL);
    hash_backend_store(backend, count_key, sizeof count_key, (const uint8_t *)"1x", 2);
    CHECK_STATUS(seccs_delete(store, reference, 24, false), SECCS_INVALID_REFERENCE_COUNT);
    CHECK_DETAIL("the stored value \"1x\" is not an ASCII decimal number");
    hash_backend_store(backend, count_key, sizeof count_key, (const uint8_t *)"1", 1);
  }

  /* SECCS_AUTHENTICITY_ERROR: the same backend read with another key. */
  {
    seccs_store *wrong_key = open_store(backend, SECCS_WRAPPER_AES_SIV_256, 2);
    CHECK_STATUS(seccs_get(wrong_key, reference, 24, buffer, sizeof buffer, &written), SECCS_AUTHENTICITY_ERROR);
    CHECK_DETAIL("authenticity check failed for node");
    CHECK_STATUS(seccs_verify(wrong_key, reference, 24), SECCS_AUTHENTICITY_ERROR);
    seccs_free(wrong_key);
  }

  /* SECCS_UNSUPPORTED: a check over a backend without a scan callback. */
  {
    seccs_backend no_scan = hash_backend_table(backend, HASH_BACKEND_NO_SCAN);
    uint8_t key[32];
    seccs_config config;
    config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
    seccs_store *unscannable = NULL;
    REQUIRE_OK(seccs_new(&config, &no_scan, &unscannable));
    seccs_check_report report;
    memset(&report, 0xFF, sizeof report);
    CHECK_STATUS(seccs_check(unscannable, reference, 1, true, &report), SECCS_UNSUPPORTED);
    CHECK_DETAIL("check is not supported");
    CHECK_U64(report.nodes_total, 0);
    seccs_free(unscannable);
  }

  /* SECCS_BACKEND_ERROR: the backend's next call fails with its own code and message. */
  hash_backend_fail_at(backend, hash_backend_calls(backend) + 1, 42);
  CHECK_STATUS(seccs_get(store, reference, 24, buffer, sizeof buffer, &written), SECCS_BACKEND_ERROR);
  CHECK_U64(seccs_last_backend_code(), 42);
  CHECK_DETAIL("injected failure at call");
  CHECK_DETAIL("backend error code 42");
  hash_backend_fail_at(backend, 0, 0);

  /* The content survived all of the above, and a success clears the failure's detail. */
  CHECK_STATUS(seccs_get(store, reference, 24, buffer, sizeof buffer, &written), SECCS_OK);
  CHECK_U64(written, sizeof content);
  CHECK(memcmp(buffer, content, sizeof content) == 0);
  CHECK(seccs_last_error_message()[0] == '\0');
  CHECK_U64(seccs_last_backend_code(), 0);

  seccs_free(store);
  hash_backend_free(backend);
}

/* SECCS_INTEGRITY_ERROR (SHA_256) and SECCS_AUTHENTICITY_ERROR (HMAC): a stored node altered. */
static void check_tampering(seccs_wrapper wrapper, seccs_status expected, const char *detail) {
  hash_backend *backend = hash_backend_new();
  seccs_store *store = open_store(backend, wrapper, 1);
  uint8_t content[100];
  fill_random(content, sizeof content, 7);
  uint8_t reference[MAX_REFERENCE];
  uint8_t buffer[100];
  size_t written = 0;

  REQUIRE_OK(seccs_put(store, content, sizeof content, false, reference, sizeof reference, NULL));
  CHECK_U64(hash_backend_count(backend), 2); /* height 0: one node and its count */
  node_search search = {NULL, 0, 32};
  hash_backend_each(backend, find_node, &search);
  REQUIRE(search.key != NULL);
  size_t value_len = 0;
  uint8_t *value = hash_backend_lookup(backend, search.key, search.key_len, &value_len);
  REQUIRE(value != NULL);
  REQUIRE(value_len == sizeof content);
  value[50] ^= 0x01;

  CHECK_STATUS(seccs_get(store, reference, 40, buffer, sizeof buffer, &written), expected);
  CHECK_U64(written, 0);
  CHECK_DETAIL(detail);
  CHECK_STATUS(seccs_verify(store, reference, 40), expected);

  seccs_free(store);
  hash_backend_free(backend);
}

int main(void) {
  check_status_messages();
  check_config_errors();
  check_operation_errors();
  check_tampering(SECCS_WRAPPER_SHA_256, SECCS_INTEGRITY_ERROR, "integrity check failed for node");
  check_tampering(SECCS_WRAPPER_HMAC_SHA_256, SECCS_AUTHENTICITY_ERROR, "authenticity check failed for node");
  return harness_finish("errors");
}
