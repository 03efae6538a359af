/*
 * Compile-only check of the API contract: every name of the libseccs C API, used with its
 * exact type. A renamed function, a changed parameter type or a missing constant breaks
 * the build. tests/header.rs compiles this file as C99 and as C++11, with warnings as
 * errors.
 */
#include "seccs.h"

#ifdef __cplusplus
#define CONTRACT_STATIC_ASSERT(condition, name) static_assert(condition, #name)
#else
#define CONTRACT_STATIC_ASSERT(condition, name) typedef char name[(condition) ? 1 : -1]
#endif

CONTRACT_STATIC_ASSERT(SECCS_BACKEND_VERSION == 1, backend_version_is_1);
CONTRACT_STATIC_ASSERT(SECCS_CONFIG_VERSION == 1, config_version_is_1);
CONTRACT_STATIC_ASSERT(SECCS_BACKEND_OK == 0, backend_ok_is_0);
CONTRACT_STATIC_ASSERT(SECCS_BACKEND_NOT_FOUND == 1, backend_not_found_is_1);

CONTRACT_STATIC_ASSERT(SECCS_OK == 0, ok_is_0);
CONTRACT_STATIC_ASSERT(SECCS_NOT_FOUND == 1, not_found_is_1);
CONTRACT_STATIC_ASSERT(SECCS_INTEGRITY_ERROR == 2, integrity_is_2);
CONTRACT_STATIC_ASSERT(SECCS_AUTHENTICITY_ERROR == 3, authenticity_is_3);
CONTRACT_STATIC_ASSERT(SECCS_UNSUPPORTED_CHUNK_SIZE == 4, unsupported_chunk_size_is_4);
CONTRACT_STATIC_ASSERT(SECCS_INVALID_ARGUMENT == 5, invalid_argument_is_5);
CONTRACT_STATIC_ASSERT(SECCS_NULL_ARGUMENT == 6, null_argument_is_6);
CONTRACT_STATIC_ASSERT(SECCS_BUFFER_TOO_SMALL == 7, buffer_too_small_is_7);
CONTRACT_STATIC_ASSERT(SECCS_BACKEND_ERROR == 8, backend_error_is_8);
CONTRACT_STATIC_ASSERT(SECCS_INVALID_REFERENCE == 9, invalid_reference_is_9);
CONTRACT_STATIC_ASSERT(SECCS_CORRUPT_NODE == 10, corrupt_node_is_10);
CONTRACT_STATIC_ASSERT(SECCS_MISSING_REFERENCE_COUNT == 11, missing_reference_count_is_11);
CONTRACT_STATIC_ASSERT(SECCS_INVALID_REFERENCE_COUNT == 12, invalid_reference_count_is_12);
CONTRACT_STATIC_ASSERT(SECCS_UNSUPPORTED == 13, unsupported_is_13);
CONTRACT_STATIC_ASSERT(SECCS_PANIC == 14, panic_is_14);

CONTRACT_STATIC_ASSERT(SECCS_WRAPPER_SHA_256 == 0, sha_is_0);
CONTRACT_STATIC_ASSERT(SECCS_WRAPPER_HMAC_SHA_256 == 1, hmac_is_1);
CONTRACT_STATIC_ASSERT(SECCS_WRAPPER_HMAC_SHA_256_DISTINGUISHED_ROOT == 2, hmac_root_is_2);
CONTRACT_STATIC_ASSERT(SECCS_WRAPPER_AES_SIV_256 == 3, aes_is_3);
CONTRACT_STATIC_ASSERT(SECCS_WRAPPER_AES_SIV_256_DISTINGUISHED_ROOT == 4, aes_root_is_4);
CONTRACT_STATIC_ASSERT(SECCS_CHUNKING_RABIN_KARP == 0, rabin_karp_is_0);
CONTRACT_STATIC_ASSERT(SECCS_CHUNKING_STATIC == 1, static_is_1);
CONTRACT_STATIC_ASSERT(SECCS_REFCOUNT_KEY_SUFFIX == 0, key_suffix_is_0);
CONTRACT_STATIC_ASSERT(SECCS_REFCOUNT_SEPARATE_BACKEND == 1, separate_is_1);
CONTRACT_STATIC_ASSERT(SECCS_REFCOUNT_NONE == 2, none_is_2);

CONTRACT_STATIC_ASSERT(sizeof(seccs_status) == 4, status_is_32_bits);
CONTRACT_STATIC_ASSERT(sizeof(seccs_wrapper) == 4, wrapper_is_32_bits);

/* Functions, through pointers of the exact declared types. */
const char *(*const contract_status_message)(seccs_status) = seccs_status_message;
const char *(*const contract_last_error_message)(void) = seccs_last_error_message;
int32_t (*const contract_last_backend_code)(void) = seccs_last_backend_code;
seccs_status (*const contract_value_sink_write)(seccs_value_sink *, const uint8_t *, size_t) =
    seccs_value_sink_write;
void (*const contract_backend_set_error_message)(const char *) = seccs_backend_set_error_message;
seccs_status (*const contract_key_sink_add)(seccs_key_sink *, const uint8_t *, size_t) = seccs_key_sink_add;
seccs_status (*const contract_memory_backend_new)(seccs_backend *) = seccs_memory_backend_new;
void (*const contract_config_init)(seccs_config *) = seccs_config_init;
seccs_status (*const contract_new)(const seccs_config *, const seccs_backend *, seccs_store **) = seccs_new;
void (*const contract_free)(seccs_store *) = seccs_free;
size_t (*const contract_reference_size)(const seccs_store *) = seccs_reference_size;
seccs_status (*const contract_put)(seccs_store *, const uint8_t *, size_t, bool, uint8_t *, size_t, bool *) =
    seccs_put;
seccs_status (*const contract_content_length)(const uint8_t *, size_t, uint64_t *) = seccs_content_length;
seccs_status (*const contract_get)(seccs_store *, const uint8_t *, size_t, uint8_t *, size_t, size_t *) =
    seccs_get;
seccs_status (*const contract_get_alloc)(seccs_store *, const uint8_t *, size_t, uint8_t **, size_t *) =
    seccs_get_alloc;
void (*const contract_buffer_free)(uint8_t *, size_t) = seccs_buffer_free;
seccs_status (*const contract_delete)(seccs_store *, const uint8_t *, size_t, bool) = seccs_delete;
const char *(*const contract_version)(void) = seccs_version;
seccs_status (*const contract_verify)(seccs_store *, const uint8_t *, size_t) = seccs_verify;
seccs_status (*const contract_check)(seccs_store *, const uint8_t *, size_t, bool, seccs_check_report *) =
    seccs_check;

/* Callback types, with the parameter lists of the contract. */
static int32_t contract_get_callback(void *ctx, const uint8_t *key, size_t key_len, seccs_value_sink *sink) {
  (void)ctx;
  (void)key;
  (void)key_len;
  (void)sink;
  return SECCS_BACKEND_NOT_FOUND;
}
static int32_t contract_set_callback(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *value,
                                     size_t value_len) {
  (void)ctx;
  (void)key;
  (void)key_len;
  (void)value;
  (void)value_len;
  return SECCS_BACKEND_OK;
}
static int32_t contract_delete_callback(void *ctx, const uint8_t *key, size_t key_len) {
  (void)ctx;
  (void)key;
  (void)key_len;
  return SECCS_BACKEND_OK;
}
static int32_t contract_contains_callback(void *ctx, const uint8_t *key, size_t key_len, bool *found) {
  (void)ctx;
  (void)key;
  (void)key_len;
  *found = false;
  return SECCS_BACKEND_OK;
}
static void contract_destroy_callback(void *ctx) { (void)ctx; }
static int32_t contract_scan_callback(void *ctx, seccs_key_sink *sink) {
  (void)ctx;
  (void)sink;
  return SECCS_BACKEND_OK;
}
static uint32_t contract_height_hook(void *hooks_ctx, uint64_t content_length) {
  (void)hooks_ctx;
  return content_length > 0 ? 1u : 0u;
}
static uint64_t contract_level_size_hook(void *hooks_ctx, uint32_t level) {
  (void)hooks_ctx;
  return 256u << level;
}

seccs_backend_get_fn contract_get_fn = contract_get_callback;
seccs_backend_set_fn contract_set_fn = contract_set_callback;
seccs_backend_delete_fn contract_delete_fn = contract_delete_callback;
seccs_backend_contains_fn contract_contains_fn = contract_contains_callback;
seccs_backend_destroy_fn contract_destroy_fn = contract_destroy_callback;
seccs_backend_scan_fn contract_scan_fn = contract_scan_callback;

/* Struct fields, by name and type. */
void contract_fill(seccs_config *config, seccs_backend *backend, seccs_check_report *report);
void contract_fill(seccs_config *config, seccs_backend *backend, seccs_check_report *report) {
  static const uint8_t key[32] = {0};

  backend->version = SECCS_BACKEND_VERSION;
  backend->ctx = NULL;
  backend->get = contract_get_fn;
  backend->set = contract_set_fn;
  backend->delete_ = contract_delete_fn;
  backend->contains = contract_contains_fn;
  backend->destroy = contract_destroy_fn;
  backend->scan = contract_scan_fn;

  seccs_config_init(config);
  config->version = SECCS_CONFIG_VERSION;
  config->chunk_size = (uint64_t)256;
  config->wrapper = SECCS_WRAPPER_AES_SIV_256;
  config->key = key;
  config->key_len = sizeof key;
  config->chunking = SECCS_CHUNKING_RABIN_KARP;
  config->window_size = (uint32_t)48;
  config->seed = (uint32_t)0;
  config->refcount = SECCS_REFCOUNT_SEPARATE_BACKEND;
  config->refcount_backend = *backend;
  config->length_to_height = contract_height_hook;
  config->level_size = contract_level_size_hook;
  config->hooks_ctx = NULL;

  {
    uint64_t *fields[8];
    fields[0] = &report->nodes_total;
    fields[1] = &report->nodes_reachable;
    fields[2] = &report->orphan_nodes;
    fields[3] = &report->wrong_counts;
    fields[4] = &report->orphan_counts;
    fields[5] = &report->missing_nodes;
    fields[6] = &report->corrupt_nodes;
    fields[7] = &report->repaired;
    *fields[0] = 0;
  }

  {
    seccs_chunking chunking = config->chunking;
    seccs_refcount refcount = config->refcount;
    seccs_wrapper wrapper = config->wrapper;
    seccs_status status = SECCS_OK;
    (void)chunking;
    (void)refcount;
    (void)wrapper;
    (void)status;
  }
}
