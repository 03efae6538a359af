/*
 * The backend callback protocol, seen from a backend written in C: which keys it gets,
 * how its return codes and messages reach the caller, how the sinks behave, and when
 * its destroy callback runs.
 *
 * A proxy backend forwards to the hash-table backend and misbehaves on request.
 */
#include "harness.h"
#include "hash_backend.h"

typedef enum {
  PROXY_FORWARD,
  PROXY_GET_WITHOUT_WRITE,     /* get returns OK but never writes the sink */
  PROXY_GET_WRITES_TWICE,      /* get writes the value, then something else */
  PROXY_SET_RETURNS_NOT_FOUND, /* set returns SECCS_BACKEND_NOT_FOUND */
  PROXY_SET_FAILS_WITH_MESSAGE,
  PROXY_SET_FAILS_SILENTLY,
  PROXY_DELETE_RETURNS_NOT_FOUND /* delete removes the key but returns NOT_FOUND */
} proxy_mode;

typedef struct {
  seccs_backend inner;
  proxy_mode mode;
  seccs_status second_write_status;
  unsigned destroyed;
  size_t key_lengths[64]; /* how many keys of each length the callbacks saw */
  size_t calls;
} proxy;

static void note_key(proxy *self, size_t key_len) {
  self->calls++;
  self->key_lengths[key_len < 63 ? key_len : 63]++;
}

static int32_t proxy_get(void *ctx, const uint8_t *key, size_t key_len, seccs_value_sink *sink) {
  proxy *self = ctx;
  note_key(self, key_len);
  if (self->mode == PROXY_GET_WITHOUT_WRITE) return SECCS_BACKEND_OK;
  int32_t result = self->inner.get(self->inner.ctx, key, key_len, sink);
  if (self->mode == PROXY_GET_WRITES_TWICE && result == SECCS_BACKEND_OK) {
    self->second_write_status = seccs_value_sink_write(sink, (const uint8_t *)"other", 5);
  }
  return result;
}

static int32_t proxy_set(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len) {
  proxy *self = ctx;
  note_key(self, key_len);
  switch (self->mode) {
    case PROXY_SET_RETURNS_NOT_FOUND:
      return SECCS_BACKEND_NOT_FOUND;
    case PROXY_SET_FAILS_WITH_MESSAGE:
      seccs_backend_set_error_message("disk quota exceeded on volume 3");
      return 28;
    case PROXY_SET_FAILS_SILENTLY:
      return -5;
    default:
      return self->inner.set(self->inner.ctx, key, key_len, value, value_len);
  }
}

static int32_t proxy_delete(void *ctx, const uint8_t *key, size_t key_len) {
  proxy *self = ctx;
  note_key(self, key_len);
  int32_t result = self->inner.delete_(self->inner.ctx, key, key_len);
  if (self->mode == PROXY_DELETE_RETURNS_NOT_FOUND && result == SECCS_BACKEND_OK) return SECCS_BACKEND_NOT_FOUND;
  return result;
}

static int32_t proxy_contains(void *ctx, const uint8_t *key, size_t key_len, bool *found) {
  proxy *self = ctx;
  note_key(self, key_len);
  return self->inner.contains(self->inner.ctx, key, key_len, found);
}

static void proxy_destroy(void *ctx) {
  proxy *self = ctx;
  self->destroyed++;
}

static seccs_backend proxy_table(proxy *self) {
  seccs_backend table;
  memset(&table, 0, sizeof table);
  table.version = SECCS_BACKEND_VERSION;
  table.ctx = self;
  table.get = proxy_get;
  table.set = proxy_set;
  table.delete_ = proxy_delete;
  table.contains = proxy_contains;
  table.destroy = proxy_destroy;
  return table;
}

static seccs_store *open_store(proxy *self) {
  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 1);
  seccs_backend table = proxy_table(self);
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));
  return store;
}

static void check_keys_and_destroy(void) {
  hash_backend *backend = hash_backend_new();
  proxy self;
  memset(&self, 0, sizeof self);
  self.inner = hash_backend_table(backend, 0);

  /* A failed seccs_new leaves the backend with the caller: no destroy. */
  {
    seccs_config config;
    seccs_config_init(&config); /* AES-SIV without a key */
    seccs_backend table = proxy_table(&self);
    seccs_store *store = NULL;
    CHECK_STATUS(seccs_new(&config, &table, &store), SECCS_INVALID_ARGUMENT);
    CHECK_U64(self.destroyed, 0);
  }

  seccs_store *store = open_store(&self);
  uint8_t content[20000];
  fill_random(content, sizeof content, 21);
  uint8_t reference[24];
  REQUIRE_OK(seccs_put(store, content, sizeof content, false, reference, sizeof reference, NULL));
  REQUIRE_OK(seccs_verify(store, reference, sizeof reference));
  REQUIRE_OK(seccs_delete(store, reference, sizeof reference, false));

  /* Every key is a 16-byte node key or a 17-byte count key (node key + 'r'). */
  CHECK(self.calls > 0);
  CHECK(self.key_lengths[16] > 0);
  CHECK(self.key_lengths[17] > 0);
  CHECK_U64(self.key_lengths[16] + self.key_lengths[17], self.calls);
  CHECK_U64(hash_backend_count(backend), 0);

  CHECK_U64(self.destroyed, 0);
  seccs_free(store);
  CHECK_U64(self.destroyed, 1);
  hash_backend_free(backend);
}

static void check_protocol_violations(void) {
  hash_backend *backend = hash_backend_new();
  proxy self;
  memset(&self, 0, sizeof self);
  self.inner = hash_backend_table(backend, 0);
  seccs_store *store = open_store(&self);
  uint8_t content[3000];
  fill_random(content, sizeof content, 22);
  uint8_t reference[24];
  uint8_t buffer[3000];
  size_t written = 0;
  REQUIRE_OK(seccs_put(store, content, sizeof content, false, reference, sizeof reference, NULL));

  /* OK without a value is a failure, not an empty value. */
  self.mode = PROXY_GET_WITHOUT_WRITE;
  CHECK_STATUS(seccs_get(store, reference, 24, buffer, sizeof buffer, &written), SECCS_BACKEND_ERROR);
  CHECK_U64(seccs_last_backend_code(), SECCS_BACKEND_OK);
  CHECK_DETAIL("without calling seccs_value_sink_write");

  /* A second write is rejected and the first value kept. */
  self.mode = PROXY_GET_WRITES_TWICE;
  CHECK_STATUS(seccs_get(store, reference, 24, buffer, sizeof buffer, &written), SECCS_OK);
  CHECK_STATUS(self.second_write_status, SECCS_INVALID_ARGUMENT);
  CHECK_U64(written, sizeof content);
  CHECK(memcmp(buffer, content, sizeof content) == 0);

  /* NOT_FOUND is not a valid result of set. */
  self.mode = PROXY_SET_RETURNS_NOT_FOUND;
  uint8_t other[500];
  fill_random(other, sizeof other, 23);
  uint8_t other_reference[24];
  CHECK_STATUS(seccs_put(store, other, sizeof other, false, other_reference, sizeof other_reference, NULL),
               SECCS_BACKEND_ERROR);
  CHECK_U64(seccs_last_backend_code(), SECCS_BACKEND_NOT_FOUND);
  CHECK_DETAIL("backend set of key");

  /* The backend's code and message reach the caller. */
  self.mode = PROXY_SET_FAILS_WITH_MESSAGE;
  CHECK_STATUS(seccs_put(store, other, sizeof other, false, other_reference, sizeof other_reference, NULL),
               SECCS_BACKEND_ERROR);
  CHECK_U64(seccs_last_backend_code(), 28);
  CHECK_DETAIL("disk quota exceeded on volume 3 (backend error code 28)");
  CHECK_DETAIL("seccs_put: ");

  /* A failure without a message does not inherit the previous one. */
  self.mode = PROXY_SET_FAILS_SILENTLY;
  CHECK_STATUS(seccs_put(store, other, sizeof other, false, other_reference, sizeof other_reference, NULL),
               SECCS_BACKEND_ERROR);
  CHECK_U64(seccs_last_backend_code(), -5);
  CHECK_DETAIL("backend error code -5");
  CHECK(!last_error_contains("disk quota"));

  /* A message set outside a callback is discarded. */
  seccs_backend_set_error_message("stale message");
  CHECK_STATUS(seccs_put(store, other, sizeof other, false, other_reference, sizeof other_reference, NULL),
               SECCS_BACKEND_ERROR);
  CHECK(!last_error_contains("stale message"));
  seccs_backend_set_error_message(NULL);

  /* NOT_FOUND from delete means the key is gone, which is what delete wants. */
  self.mode = PROXY_DELETE_RETURNS_NOT_FOUND;
  CHECK_STATUS(seccs_delete(store, reference, 24, false), SECCS_OK);
  CHECK_U64(hash_backend_count(backend), 0);

  self.mode = PROXY_FORWARD;
  CHECK_STATUS(seccs_put(store, other, sizeof other, false, other_reference, sizeof other_reference, NULL),
               SECCS_OK);
  CHECK_U64(seccs_last_backend_code(), 0);

  seccs_free(store);
  CHECK_U64(self.destroyed, 1);
  hash_backend_free(backend);
}

/* A backend that stores nothing it does not own: the store owns the hash backend and
 * frees it through destroy. */
static void check_owned_backend(void) {
  unsigned destroyed_before = hash_backend_destroyed_total();
  hash_backend *backend = hash_backend_new();
  seccs_backend table = hash_backend_table(backend, HASH_BACKEND_OWNED);
  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_HMAC_SHA_256, key, 4);
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));

  uint8_t content[10000];
  fill_random(content, sizeof content, 24);
  uint8_t reference[40];
  CHECK_STATUS(seccs_put(store, content, sizeof content, false, reference, sizeof reference, NULL), SECCS_OK);
  CHECK(hash_backend_count(backend) > 0);

  seccs_free(store);
  CHECK_U64(hash_backend_destroyed_total(), destroyed_before + 1);
  seccs_free(NULL);
}

/* The empty value: a get may write zero bytes from a NULL pointer. SHA_256 stores the empty
 * content as an empty node. */
static void check_empty_value(void) {
  hash_backend *backend = hash_backend_new();
  seccs_backend table = hash_backend_table(backend, 0);
  seccs_config config;
  uint8_t key[32];
  config_for(&config, SECCS_WRAPPER_SHA_256, key, 0);
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));

  uint8_t reference[40];
  CHECK_STATUS(seccs_put(store, NULL, 0, false, reference, sizeof reference, NULL), SECCS_OK);
  CHECK_U64(hash_backend_count(backend), 2);
  uint8_t *read = NULL;
  size_t read_len = 99;
  CHECK_STATUS(seccs_get_alloc(store, reference, 40, &read, &read_len), SECCS_OK);
  CHECK(read != NULL);
  CHECK_U64(read_len, 0);
  seccs_buffer_free(read, read_len);

  seccs_free(store);
  hash_backend_free(backend);
}

int main(void) {
  check_keys_and_destroy();
  check_protocol_violations();
  check_owned_backend();
  check_empty_value();
  return harness_finish("c_backend");
}
