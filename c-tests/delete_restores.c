/*
 * Deletes restore the backend exactly. After puts of contents that share nodes and the
 * matching deletes, a snapshot of the C backend equals the one taken before, entry for
 * entry and byte for byte. An unrelated entry is never touched.
 */
#include "harness.h"
#include "hash_backend.h"

#define SIZE_A 200000
#define SHARED_PREFIX 100000

static const uint8_t FOREIGN_KEY[] = "not a libseccs key";
static const uint8_t FOREIGN_VALUE[] = "left alone";

typedef struct {
  uint8_t *bytes;
  size_t size;
  uint8_t reference[MAX_REFERENCE];
} content;

static void make_contents(content *a, content *b, content *c) {
  a->size = SIZE_A;
  a->bytes = random_content(a->size, 11);

  /* B: A with an edit in the middle and 5000 more bytes. */
  b->size = SIZE_A + 5000;
  b->bytes = random_content(b->size, 12);
  memcpy(b->bytes, a->bytes, SIZE_A);
  b->bytes[SIZE_A / 2] ^= 0xFF;

  /* C: A's first half and a new tail, stored with ignore_rc. */
  c->size = 150000;
  c->bytes = random_content(c->size, 13);
  memcpy(c->bytes, a->bytes, SHARED_PREFIX);
}

static void run_scenario(seccs_wrapper wrapper, seccs_chunking chunking, bool delete_a_first) {
  hash_backend *backend = hash_backend_new();
  hash_backend_store(backend, FOREIGN_KEY, sizeof FOREIGN_KEY, FOREIGN_VALUE, sizeof FOREIGN_VALUE);

  uint8_t key[32];
  seccs_config config;
  config_for(&config, wrapper, key, 3);
  config.chunking = chunking;
  seccs_backend table = hash_backend_table(backend, 0);
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));
  size_t reference_size = seccs_reference_size(store);

  content a, b, c;
  make_contents(&a, &b, &c);
  hash_snapshot *before = hash_backend_snapshot(backend);

  CHECK_STATUS(seccs_put(store, a.bytes, a.size, false, a.reference, sizeof a.reference, NULL), SECCS_OK);
  hash_snapshot *only_a = hash_backend_snapshot(backend);

  CHECK_STATUS(seccs_put(store, b.bytes, b.size, false, b.reference, sizeof b.reference, NULL), SECCS_OK);
  CHECK_STATUS(seccs_put(store, a.bytes, a.size, false, a.reference, sizeof a.reference, NULL), SECCS_OK);
  CHECK_STATUS(seccs_put(store, c.bytes, c.size, true, c.reference, sizeof c.reference, NULL), SECCS_OK);
  CHECK(hash_backend_count(backend) > hash_snapshot_count(only_a));

  /* C was stored with ignore_rc, so it is deleted with ignore_rc. */
  CHECK_STATUS(seccs_delete(store, c.reference, reference_size, true), SECCS_OK);
  if (delete_a_first) {
    CHECK_STATUS(seccs_delete(store, a.reference, reference_size, false), SECCS_OK);
    CHECK_STATUS(seccs_verify(store, b.reference, reference_size), SECCS_OK);
    CHECK_STATUS(seccs_delete(store, b.reference, reference_size, false), SECCS_OK);
  } else {
    CHECK_STATUS(seccs_delete(store, b.reference, reference_size, false), SECCS_OK);
    CHECK_STATUS(seccs_delete(store, a.reference, reference_size, false), SECCS_OK);
  }

  /* One counted put of A remains: the backend is exactly as after the first put. */
  hash_snapshot *after = hash_backend_snapshot(backend);
  CHECK(hash_snapshot_equal(after, only_a));
  hash_snapshot_free(after);
  CHECK_STATUS(seccs_verify(store, a.reference, reference_size), SECCS_OK);

  CHECK_STATUS(seccs_delete(store, a.reference, reference_size, false), SECCS_OK);
  after = hash_backend_snapshot(backend);
  CHECK(hash_snapshot_equal(after, before));
  CHECK_U64(hash_snapshot_count(after), 1);
  hash_snapshot_free(after);

  size_t foreign_len = 0;
  uint8_t *foreign = hash_backend_lookup(backend, FOREIGN_KEY, sizeof FOREIGN_KEY, &foreign_len);
  REQUIRE(foreign != NULL);
  CHECK_U64(foreign_len, sizeof FOREIGN_VALUE);
  CHECK(memcmp(foreign, FOREIGN_VALUE, sizeof FOREIGN_VALUE) == 0);

  hash_snapshot_free(before);
  hash_snapshot_free(only_a);
  free(a.bytes);
  free(b.bytes);
  free(c.bytes);
  seccs_free(store);
  hash_backend_free(backend);
}

/*
 * A content made of one 16 KiB block twice can repeat superchunks before their parent is
 * stored. With exact_reference_counts its only delete empties the backend.
 */
static void run_repeated_block(seccs_wrapper wrapper) {
  hash_backend *backend = hash_backend_new();
  uint8_t key[32];
  seccs_config config;
  config_for(&config, wrapper, key, 4);
  config.exact_reference_counts = true;
  seccs_backend table = hash_backend_table(backend, 0);
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));
  size_t reference_size = seccs_reference_size(store);

  const size_t block_size = 16384;
  uint8_t *block = random_content(block_size, 21);
  uint8_t *repeated = malloc(2 * block_size);
  REQUIRE(repeated != NULL);
  memcpy(repeated, block, block_size);
  memcpy(repeated + block_size, block, block_size);

  uint8_t reference[MAX_REFERENCE];
  CHECK_STATUS(seccs_put(store, repeated, 2 * block_size, false, reference, sizeof reference, NULL), SECCS_OK);
  CHECK_STATUS(seccs_delete(store, reference, reference_size, false), SECCS_OK);
  CHECK_U64(hash_backend_count(backend), 0);

  free(block);
  free(repeated);
  seccs_free(store);
  hash_backend_free(backend);
}

int main(void) {
  for (int w = 0; w < WRAPPER_COUNT; w++) {
    run_repeated_block(wrapper_at(w));
  }
  for (int w = 0; w < WRAPPER_COUNT; w++) {
    for (int c = 0; c < 2; c++) {
      for (int order = 0; order < 2; order++) {
        int failed_before = harness_failed;
        seccs_chunking chunking = c == 0 ? SECCS_CHUNKING_RABIN_KARP : SECCS_CHUNKING_STATIC;
        run_scenario(wrapper_at(w), chunking, order == 1);
        if (harness_failed != failed_before) {
          fprintf(stderr, "  in scenario %s, %s chunking, %s deleted first\n", wrapper_name(wrapper_at(w)),
                  c == 0 ? "Rabin-Karp" : "static", order == 1 ? "A" : "B");
        }
      }
    }
  }
  return harness_finish("delete_restores");
}
