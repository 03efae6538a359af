/*
 * Checks and helpers shared by the C test programs.
 *
 * Each program counts its checks and ends with harness_finish(), which prints
 * "NAME: N passed, M failed" and returns the exit status. A failed check prints the
 * expression, and for statuses the status names and the library's detail message.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seccs.h"

static int harness_passed;
static int harness_failed;

static inline void harness_record(int ok, const char *text, const char *file, int line) {
  if (ok) {
    harness_passed++;
  } else {
    harness_failed++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, text);
  }
}

static inline void harness_record_status(seccs_status got, seccs_status expected, const char *text,
                                         const char *file, int line) {
  if (got == expected) {
    harness_passed++;
    return;
  }
  harness_failed++;
  fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s); detail: %s\n", file, line, text, (int)got,
          seccs_status_message(got), (int)expected, seccs_status_message(expected),
          seccs_last_error_message());
}

static inline void harness_record_u64(uint64_t got, uint64_t expected, const char *text, const char *file,
                                      int line) {
  if (got == expected) {
    harness_passed++;
    return;
  }
  harness_failed++;
  fprintf(stderr, "%s:%d: %s is %" PRIu64 ", expected %" PRIu64 "\n", file, line, text, got, expected);
}

/* Fails the program at once: for setup steps that later checks depend on. */
static inline void harness_require(int ok, const char *text, const char *file, int line) {
  if (!ok) {
    fprintf(stderr, "%s:%d: required step failed: %s; detail: %s\n", file, line, text,
            seccs_last_error_message());
    exit(2);
  }
}

#define CHECK(condition) harness_record((condition) ? 1 : 0, #condition, __FILE__, __LINE__)
#define CHECK_STATUS(expression, expected) \
  harness_record_status((expression), (expected), #expression, __FILE__, __LINE__)
#define CHECK_U64(expression, expected) \
  harness_record_u64((uint64_t)(expression), (uint64_t)(expected), #expression, __FILE__, __LINE__)
#define REQUIRE(condition) harness_require((condition) ? 1 : 0, #condition, __FILE__, __LINE__)
#define REQUIRE_OK(expression) harness_require((expression) == SECCS_OK, #expression, __FILE__, __LINE__)

/* Tells whether the thread's last detail message contains `needle`. */
static inline int last_error_contains(const char *needle) {
  return strstr(seccs_last_error_message(), needle) != NULL;
}

static inline void harness_check_detail(const char *needle, const char *file, int line) {
  if (last_error_contains(needle)) {
    harness_passed++;
    return;
  }
  harness_failed++;
  fprintf(stderr, "%s:%d: detail message lacks \"%s\"; it was: %s\n", file, line, needle,
          seccs_last_error_message());
}

#define CHECK_DETAIL(needle) harness_check_detail((needle), __FILE__, __LINE__)

static inline int harness_finish(const char *program) {
  printf("%s: %d passed, %d failed\n", program, harness_passed, harness_failed);
  return harness_failed == 0 && harness_passed > 0 ? 0 : 1;
}

/* Deterministic pseudo-random bytes (splitmix64), so every run sees the same contents. */
static inline void fill_random(uint8_t *buffer, size_t length, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = 0; i < length; i++) {
    if (i % 8 == 0) {
      state += 0x9E3779B97F4A7C15ULL;
    }
    uint64_t mixed = state;
    mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ULL;
    mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBULL;
    mixed ^= mixed >> 31;
    buffer[i] = (uint8_t)(mixed >> (8 * (i % 8)));
  }
}

static inline uint8_t *random_content(size_t length, uint64_t seed) {
  uint8_t *content = malloc(length ? length : 1);
  REQUIRE(content != NULL);
  fill_random(content, length, seed);
  return content;
}

/* A fixed 32-byte key; `variant` changes every byte. */
static inline void make_key(uint8_t key[32], uint8_t variant) {
  for (int i = 0; i < 32; i++) key[i] = (uint8_t)(i * 7 + variant);
}

/* Fills `config` for `wrapper` with the key of `key_variant` (no key for SHA_256). The
 * key buffer must outlive seccs_new. */
static inline void config_for(seccs_config *config, seccs_wrapper wrapper, uint8_t key[32], uint8_t key_variant) {
  seccs_config_init(config);
  config->wrapper = wrapper;
  if (wrapper == SECCS_WRAPPER_SHA_256) {
    config->key = NULL;
    config->key_len = 0;
  } else {
    make_key(key, key_variant);
    config->key = key;
    config->key_len = 32;
  }
}

#define WRAPPER_COUNT 5

/* Returns the wrapper with code `index` (0 to 4), in the order of seccs_wrapper. */
static inline seccs_wrapper wrapper_at(int index) { return (seccs_wrapper)index; }

static inline const char *wrapper_name(seccs_wrapper wrapper) {
  switch (wrapper) {
    case SECCS_WRAPPER_SHA_256: return "SHA_256";
    case SECCS_WRAPPER_HMAC_SHA_256: return "HMAC_SHA_256";
    case SECCS_WRAPPER_HMAC_SHA_256_DISTINGUISHED_ROOT: return "HMAC_SHA_256_DISTINGUISHED_ROOT";
    case SECCS_WRAPPER_AES_SIV_256: return "AES_SIV_256";
    case SECCS_WRAPPER_AES_SIV_256_DISTINGUISHED_ROOT: return "AES_SIV_256_DISTINGUISHED_ROOT";
  }
  return "unknown wrapper";
}

/* Largest reference of any wrapper. */
#define MAX_REFERENCE 40

#endif
