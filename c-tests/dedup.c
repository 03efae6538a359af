/*
 * Deduplication, measured in a C backend: a second put of the same content adds nothing,
 * and a one-byte edit of a 1 MiB random content adds only the nodes on the path from the
 * edited chunk to the root.
 *
 * The store uses AES_SIV_256 (digest size R = 16) and chunk size S = 256, so the level
 * sizes are 256, 4096, 65536 and 1048576 bytes and a 1 MiB content has a tree of height
 * ceil(ln(1048576 / 256) / ln(256 / 16)) = 3: four levels of nodes, root included.
 * AES-SIV stores a node as its ciphertext, as long as the node, under the 16-byte
 * synthetic IV. Each new node brings a count entry (its key plus 'r', value "1").
 */
#include "harness.h"
#include "hash_backend.h"

#define CONTENT_SIZE (1024 * 1024)
#define EDIT_POSITION 500000
#define LEVELS 4     /* tree height 3, plus the leaves */
#define KEY_SIZE 16  /* AES-SIV digest */
#define COUNT_ENTRY_SIZE (KEY_SIZE + 1 + 1) /* key + 'r', value "1" */

typedef struct {
  size_t entries;
  size_t bytes;
} usage;

static usage measure(hash_backend *backend) {
  usage result = {hash_backend_count(backend), hash_backend_bytes(backend)};
  return result;
}

static seccs_store *open_store(hash_backend *backend, seccs_chunking chunking) {
  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  config.chunking = chunking;
  seccs_backend table = hash_backend_table(backend, 0);
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));
  return store;
}

/* Puts `content` twice and its edited copy once; returns what the edit added. */
static usage put_and_edit(seccs_store *store, hash_backend *backend, uint8_t *content, usage *first_put) {
  uint8_t reference[MAX_REFERENCE];
  uint8_t edited_reference[MAX_REFERENCE];
  bool is_new = false;

  CHECK_STATUS(seccs_put(store, content, CONTENT_SIZE, false, reference, sizeof reference, &is_new), SECCS_OK);
  CHECK(is_new);
  *first_put = measure(backend);

  /* The second put only raises the root's count from "1" to "2": same entries, same bytes. */
  CHECK_STATUS(seccs_put(store, content, CONTENT_SIZE, false, reference, sizeof reference, &is_new), SECCS_OK);
  CHECK(!is_new);
  usage second = measure(backend);
  CHECK_U64(second.entries, first_put->entries);
  CHECK_U64(second.bytes, first_put->bytes);

  content[EDIT_POSITION] ^= 0x5A;
  CHECK_STATUS(seccs_put(store, content, CONTENT_SIZE, false, edited_reference, sizeof edited_reference, &is_new),
               SECCS_OK);
  CHECK(is_new);
  content[EDIT_POSITION] ^= 0x5A;
  usage after = measure(backend);

  /* Both contents read back. */
  uint8_t *read = NULL;
  size_t read_len = 0;
  CHECK_STATUS(seccs_get_alloc(store, reference, 24, &read, &read_len), SECCS_OK);
  CHECK_U64(read_len, CONTENT_SIZE);
  CHECK(memcmp(read, content, CONTENT_SIZE) == 0);
  seccs_buffer_free(read, read_len);
  CHECK_STATUS(seccs_verify(store, edited_reference, 24), SECCS_OK);

  usage added = {after.entries - second.entries, after.bytes - second.bytes};
  return added;
}

/* Static chunking: every node on the path is as large as the node it replaces, so the
 * addition is exact. Leaves hold 256 bytes, and each superchunk lists 16 children of 16
 * bytes (4096 / 256, 65536 / 4096, 1048576 / 65536), so every node stores 256 bytes
 * under a 16-byte key. */
static void check_static(uint8_t *content) {
  hash_backend *backend = hash_backend_new();
  seccs_store *store = open_store(backend, SECCS_CHUNKING_STATIC);
  usage first;
  usage added = put_and_edit(store, backend, content, &first);

  /* 4096 leaves + 256 + 16 + 1 superchunks, each with a count entry. */
  CHECK_U64(first.entries, 2 * (4096 + 256 + 16 + 1));
  CHECK_U64(added.entries, 2 * LEVELS);
  CHECK_U64(added.bytes, LEVELS * (KEY_SIZE + 256) + LEVELS * COUNT_ENTRY_SIZE);
  printf("static chunking: 1 MiB put stored %zu entries (%zu bytes); the edit added %zu entries, %zu bytes\n",
         first.entries, first.bytes, added.entries, added.bytes);

  seccs_free(store);
  hash_backend_free(backend);
}

/* Rabin-Karp chunking: the edit changes the rolling hash of the 48 windows that contain
 * the edited byte. The top level's windows never restart, and a level's windows restart
 * only at boundaries of the levels above, so with 3 chunking levels no boundary can
 * change more than 3 * 48 bytes after the edit. For this content and position, no
 * boundary in that range changes at any level, because a moved boundary would add a
 * second node at its level. So exactly the node containing the edit is replaced at each
 * level, as with static chunking. Each replacement is no larger than the largest value
 * stored. */
static void check_rabin_karp(uint8_t *content) {
  hash_backend *backend = hash_backend_new();
  seccs_store *store = open_store(backend, SECCS_CHUNKING_RABIN_KARP);
  usage first;
  usage added = put_and_edit(store, backend, content, &first);
  size_t largest_value = hash_backend_max_value(backend);

  size_t max_bytes = LEVELS * (KEY_SIZE + largest_value) + LEVELS * COUNT_ENTRY_SIZE;
  CHECK_U64(added.entries, 2 * LEVELS);
  CHECK(added.bytes <= max_bytes);
  /* "A few KiB" against 1 MiB: at most 4 KiB, 0.4 % of the content. */
  CHECK(added.bytes <= 4 * 1024);
  printf("Rabin-Karp chunking: 1 MiB put stored %zu entries (%zu bytes); the edit added %zu entries, %zu bytes "
         "(bound %zu bytes from the largest value, %zu)\n",
         first.entries, first.bytes, added.entries, added.bytes, max_bytes, largest_value);

  seccs_free(store);
  hash_backend_free(backend);
}

int main(void) {
  uint8_t *content = random_content(CONTENT_SIZE, 2024);

  check_static(content);
  check_rabin_karp(content);

  free(content);
  return harness_finish("dedup");
}
