/*
 * The advanced hooks: a custom content-length-to-height function and a custom level-size
 * function, with their context pointer. With static chunking the resulting tree is
 * known exactly, so the backend's layout is checked entry by entry.
 */
#include "harness.h"
#include "hash_backend.h"

typedef struct {
  uint32_t height;           /* returned for any non-empty content */
  unsigned height_calls;
  unsigned level_size_calls;
  uint32_t highest_level;    /* highest level asked for */
} hooks_state;

static uint32_t fixed_height(void *hooks_ctx, uint64_t content_length) {
  hooks_state *state = hooks_ctx;
  if (!state) return 0;
  state->height_calls++;
  return content_length == 0 ? 0 : state->height;
}

/* 100 bytes at level 0, four times more at each level above. */
static uint64_t quadrupling_sizes(void *hooks_ctx, uint32_t level) {
  hooks_state *state = hooks_ctx;
  if (!state) return 100;
  state->level_size_calls++;
  if (level > state->highest_level) state->highest_level = level;
  uint64_t size = 100;
  for (uint32_t i = 0; i < level; i++) size *= 4;
  return size;
}

typedef struct {
  size_t by_length[128];
  size_t larger;
} value_lengths;

static void count_value(void *arg, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len) {
  value_lengths *lengths = arg;
  (void)key;
  (void)key_len;
  (void)value;
  if (value_len < 128) {
    lengths->by_length[value_len]++;
  } else {
    lengths->larger++;
  }
}

static seccs_status open_store(hash_backend *backend, hooks_state *state, seccs_chunking chunking, bool with_level_size,
                               seccs_store **store) {
  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 10);
  config.chunking = chunking;
  config.chunk_size = 16; /* below 2R = 32: allowed only with a level-size hook */
  config.length_to_height = fixed_height;
  config.level_size = with_level_size ? quadrupling_sizes : NULL;
  config.hooks_ctx = state;
  seccs_backend table = hash_backend_table(backend, 0);
  return seccs_new(&config, &table, store);
}

static void check_static_tree(void) {
  hash_backend *backend = hash_backend_new();
  hooks_state state;
  memset(&state, 0, sizeof state);
  state.height = 2;
  seccs_store *store = NULL;

  CHECK_STATUS(open_store(backend, &state, SECCS_CHUNKING_STATIC, false, &store), SECCS_UNSUPPORTED_CHUNK_SIZE);
  CHECK_DETAIL("or supply a custom level-size function");
  REQUIRE_OK(open_store(backend, &state, SECCS_CHUNKING_STATIC, true, &store));

  uint8_t content[1000];
  fill_random(content, sizeof content, 41);
  uint8_t reference[24];
  CHECK_STATUS(seccs_put(store, content, sizeof content, false, reference, sizeof reference, NULL), SECCS_OK);
  CHECK(state.height_calls >= 1);
  CHECK(state.level_size_calls >= 2);
  CHECK_U64(state.highest_level, 1); /* a tree of height 2 has chunking levels 0 and 1 */

  /* Leaves end every 100 bytes and level-1 superchunks every 400: 10 leaves, superchunks of
   * 4, 4 and 2 children (64, 64 and 32 bytes of 16-byte digests), and a root listing 3
   * (48 bytes). AES-SIV ciphertexts are as long as the nodes; each node has a count of 1. */
  value_lengths lengths;
  memset(&lengths, 0, sizeof lengths);
  hash_backend_each(backend, count_value, &lengths);
  CHECK_U64(hash_backend_count(backend), 2 * 14);
  CHECK_U64(lengths.by_length[100], 10);
  CHECK_U64(lengths.by_length[64], 2);
  CHECK_U64(lengths.by_length[32], 1);
  CHECK_U64(lengths.by_length[48], 1);
  CHECK_U64(lengths.by_length[1], 14);
  CHECK_U64(lengths.larger, 0);

  unsigned calls_before_get = state.height_calls;
  uint8_t buffer[1000];
  size_t written = 0;
  CHECK_STATUS(seccs_get(store, reference, 24, buffer, sizeof buffer, &written), SECCS_OK);
  CHECK_U64(written, sizeof content);
  CHECK(memcmp(buffer, content, sizeof content) == 0);
  CHECK(state.height_calls > calls_before_get);

  CHECK_STATUS(seccs_delete(store, reference, 24, false), SECCS_OK);
  CHECK_U64(hash_backend_count(backend), 0);

  /* A height beyond 256 is rejected before anything is stored. */
  state.height = 300;
  CHECK_STATUS(seccs_put(store, content, sizeof content, false, reference, sizeof reference, NULL),
               SECCS_INVALID_ARGUMENT);
  CHECK_DETAIL("invalid tree height 300");
  CHECK_U64(hash_backend_count(backend), 0);

  seccs_free(store);
  hash_backend_free(backend);
}

static void check_rabin_karp_round_trip(void) {
  hash_backend *backend = hash_backend_new();
  hooks_state state;
  memset(&state, 0, sizeof state);
  state.height = 3;
  seccs_store *store = NULL;
  REQUIRE_OK(open_store(backend, &state, SECCS_CHUNKING_RABIN_KARP, true, &store));

  uint8_t *content = random_content(50000, 42);
  uint8_t reference[24];
  CHECK_STATUS(seccs_put(store, content, 50000, false, reference, sizeof reference, NULL), SECCS_OK);
  CHECK_U64(state.highest_level, 2);
  uint8_t *read = NULL;
  size_t read_len = 0;
  CHECK_STATUS(seccs_get_alloc(store, reference, 24, &read, &read_len), SECCS_OK);
  CHECK_U64(read_len, 50000);
  CHECK(memcmp(read, content, 50000) == 0);
  seccs_buffer_free(read, read_len);

  /* The same bytes under the default formulas form another tree, so another reference. */
  {
    hash_backend *plain_backend = hash_backend_new();
    uint8_t key[32];
    seccs_config config;
    config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 10);
    seccs_backend table = hash_backend_table(plain_backend, 0);
    seccs_store *plain = NULL;
    REQUIRE_OK(seccs_new(&config, &table, &plain));
    uint8_t plain_reference[24];
    CHECK_STATUS(seccs_put(plain, content, 50000, false, plain_reference, sizeof plain_reference, NULL), SECCS_OK);
    CHECK(memcmp(plain_reference, reference, 24) != 0);
    seccs_free(plain);
    hash_backend_free(plain_backend);
  }

  CHECK_STATUS(seccs_delete(store, reference, 24, false), SECCS_OK);
  CHECK_U64(hash_backend_count(backend), 0);
  free(content);
  seccs_free(store);
  hash_backend_free(backend);
}

int main(void) {
  check_static_tree();
  check_rabin_karp_round_trip();
  return harness_finish("hooks");
}
