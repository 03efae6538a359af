/*
 * Round trip through every wrapper, with Rabin-Karp and static chunking, over the built-in
 * memory backend: put, content length, get into a buffer, get into a library buffer,
 * verify, a second put, and deletes that leave the backend empty.
 */
#include "harness.h"

static const size_t SIZES[] = {0, 1, 31, 32, 33, 255, 256, 257, 4095, 4096, 4097, 65536, 65537, 300001};
#define SIZE_COUNT (sizeof SIZES / sizeof SIZES[0])

static size_t expected_reference_size(seccs_wrapper wrapper) {
  return wrapper == SECCS_WRAPPER_AES_SIV_256 || wrapper == SECCS_WRAPPER_AES_SIV_256_DISTINGUISHED_ROOT ? 24 : 40;
}

static seccs_store *open_store(seccs_wrapper wrapper, seccs_chunking chunking, uint8_t key_variant) {
  uint8_t key[32];
  seccs_config config;
  config_for(&config, wrapper, key, key_variant);
  config.chunking = chunking;

  seccs_backend backend;
  REQUIRE_OK(seccs_memory_backend_new(&backend));
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &backend, &store));
  return store;
}

/* Tells whether the store's backend contains no entry at all. */
static int backend_is_empty(seccs_store *store) {
  seccs_check_report report;
  if (seccs_check(store, NULL, 0, false, &report) != SECCS_OK) return 0;
  return report.nodes_total == 0 && report.orphan_nodes == 0 && report.orphan_counts == 0;
}

static void round_trip(seccs_store *store, seccs_wrapper wrapper, const uint8_t *content, size_t size) {
  uint8_t reference[MAX_REFERENCE];
  uint8_t again[MAX_REFERENCE];
  size_t reference_size = seccs_reference_size(store);
  bool is_new = false;

  CHECK_U64(reference_size, expected_reference_size(wrapper));
  CHECK_STATUS(seccs_put(store, content, size, false, reference, sizeof reference, &is_new), SECCS_OK);
  CHECK(is_new);

  uint64_t length = 0;
  CHECK_STATUS(seccs_content_length(reference, reference_size, &length), SECCS_OK);
  CHECK_U64(length, size);

  /* Into a buffer of the exact size, and into a larger one. */
  uint8_t *buffer = malloc(size + 16);
  REQUIRE(buffer != NULL);
  size_t written = 12345;
  CHECK_STATUS(seccs_get(store, reference, reference_size, buffer, size, &written), SECCS_OK);
  CHECK_U64(written, size);
  CHECK(size == 0 || memcmp(buffer, content, size) == 0);
  written = 12345;
  CHECK_STATUS(seccs_get(store, reference, reference_size, buffer, size + 16, &written), SECCS_OK);
  CHECK_U64(written, size);
  free(buffer);

  /* Into a library buffer. */
  uint8_t *allocated = NULL;
  size_t allocated_len = 12345;
  CHECK_STATUS(seccs_get_alloc(store, reference, reference_size, &allocated, &allocated_len), SECCS_OK);
  CHECK(allocated != NULL);
  CHECK_U64(allocated_len, size);
  CHECK(size == 0 || memcmp(allocated, content, size) == 0);
  seccs_buffer_free(allocated, allocated_len);

  CHECK_STATUS(seccs_verify(store, reference, reference_size), SECCS_OK);

  /* A second counted put of the same content returns the same reference and writes no root. */
  is_new = true;
  CHECK_STATUS(seccs_put(store, content, size, false, again, sizeof again, &is_new), SECCS_OK);
  CHECK(!is_new);
  CHECK(memcmp(reference, again, reference_size) == 0);

  /* Two counted puts need two deletes; the first leaves the content readable. */
  CHECK_STATUS(seccs_delete(store, reference, reference_size, false), SECCS_OK);
  CHECK_STATUS(seccs_verify(store, reference, reference_size), SECCS_OK);
  CHECK_STATUS(seccs_delete(store, reference, reference_size, false), SECCS_OK);
  CHECK(backend_is_empty(store));
  CHECK_STATUS(seccs_get(store, reference, reference_size, NULL, 0, &written), size == 0 ? SECCS_NOT_FOUND
                                                                                        : SECCS_BUFFER_TOO_SMALL);
  CHECK_STATUS(seccs_verify(store, reference, reference_size), SECCS_NOT_FOUND);
}

/* Same configuration and key give the same reference in two stores; another key gives another. */
static void check_determinism(seccs_wrapper wrapper) {
  uint8_t content[1000];
  fill_random(content, sizeof content, 99);
  uint8_t first[MAX_REFERENCE], second[MAX_REFERENCE], other_key[MAX_REFERENCE];

  seccs_store *a = open_store(wrapper, SECCS_CHUNKING_RABIN_KARP, 1);
  seccs_store *b = open_store(wrapper, SECCS_CHUNKING_RABIN_KARP, 1);
  seccs_store *c = open_store(wrapper, SECCS_CHUNKING_RABIN_KARP, 2);
  size_t size = seccs_reference_size(a);

  CHECK_STATUS(seccs_put(a, content, sizeof content, false, first, sizeof first, NULL), SECCS_OK);
  CHECK_STATUS(seccs_put(b, content, sizeof content, false, second, sizeof second, NULL), SECCS_OK);
  CHECK_STATUS(seccs_put(c, content, sizeof content, false, other_key, sizeof other_key, NULL), SECCS_OK);
  CHECK(memcmp(first, second, size) == 0);
  if (wrapper == SECCS_WRAPPER_SHA_256) {
    CHECK(memcmp(first, other_key, size) == 0);
  } else {
    CHECK(memcmp(first, other_key, size) != 0);
  }

  seccs_free(a);
  seccs_free(b);
  seccs_free(c);
}

int main(void) {
  const char *version = seccs_version();
  REQUIRE(version != NULL);
  CHECK(version[0] >= '0' && version[0] <= '9');

  for (int w = 0; w < WRAPPER_COUNT; w++) {
    seccs_wrapper wrapper = wrapper_at(w);
    for (int c = 0; c < 2; c++) {
      seccs_chunking chunking = c == 0 ? SECCS_CHUNKING_RABIN_KARP : SECCS_CHUNKING_STATIC;
      seccs_store *store = open_store(wrapper, chunking, 1);
      for (size_t i = 0; i < SIZE_COUNT; i++) {
        uint8_t *content = random_content(SIZES[i], 1000 + i);
        int failed_before = harness_failed;
        round_trip(store, wrapper, content, SIZES[i]);
        if (harness_failed != failed_before) {
          fprintf(stderr, "  in round trip of %zu bytes with %s, %s chunking\n", SIZES[i], wrapper_name(wrapper),
                  c == 0 ? "Rabin-Karp" : "static");
        }
        free(content);
      }
      seccs_free(store);
    }
    check_determinism(wrapper);
  }

  return harness_finish("roundtrip");
}
