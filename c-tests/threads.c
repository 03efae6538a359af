/*
 * Two threads share one store handle: each puts, reads and deletes its own contents and a
 * content that both store at once. Every read returns the right bytes, the counts stay
 * right (the backend ends empty), and each thread sees its own error details.
 */
#include <pthread.h>

#include "harness.h"
#include "hash_backend.h"

#define THREADS 2
#define ROUNDS 40
#define CONTENT_SIZE 20000

typedef struct {
  seccs_store *store;
  int index;
  const uint8_t *shared;
  int failures;
  char own_error[256];
} worker;

static pthread_barrier_t start_line;

static void *run_worker(void *arg) {
  worker *self = arg;
  uint8_t *own = malloc(CONTENT_SIZE);
  uint8_t *read = malloc(CONTENT_SIZE);
  uint8_t own_reference[24];
  uint8_t shared_reference[24];
  size_t written = 0;
  if (!own || !read) abort();

  pthread_barrier_wait(&start_line);
  for (int round = 0; round < ROUNDS; round++) {
    fill_random(own, CONTENT_SIZE, (uint64_t)(1000 * self->index + round));
    /* Half of the own content repeats the shared content, so the threads share leaves. */
    memcpy(own, self->shared, CONTENT_SIZE / 2);

    if (seccs_put(self->store, own, CONTENT_SIZE, false, own_reference, 24, NULL) != SECCS_OK) self->failures++;
    if (seccs_put(self->store, self->shared, CONTENT_SIZE, false, shared_reference, 24, NULL) != SECCS_OK) {
      self->failures++;
    }

    if (seccs_get(self->store, own_reference, 24, read, CONTENT_SIZE, &written) != SECCS_OK ||
        written != CONTENT_SIZE || memcmp(read, own, CONTENT_SIZE) != 0) {
      self->failures++;
    }
    if (seccs_get(self->store, shared_reference, 24, read, CONTENT_SIZE, &written) != SECCS_OK ||
        memcmp(read, self->shared, CONTENT_SIZE) != 0) {
      self->failures++;
    }

    if (seccs_delete(self->store, own_reference, 24, false) != SECCS_OK) self->failures++;
    if (seccs_delete(self->store, shared_reference, 24, false) != SECCS_OK) self->failures++;
  }

  /* Each thread fails with a value of its own and must read back its own detail. */
  size_t bad_length = 20 + (size_t)self->index;
  if (seccs_verify(self->store, own_reference, bad_length) != SECCS_INVALID_REFERENCE) self->failures++;
  pthread_barrier_wait(&start_line);
  snprintf(self->own_error, sizeof self->own_error, "%s", seccs_last_error_message());

  free(own);
  free(read);
  return NULL;
}

static void run_threads(seccs_store *store, const uint8_t *shared) {
  pthread_t threads[THREADS];
  worker workers[THREADS];
  REQUIRE(pthread_barrier_init(&start_line, NULL, THREADS) == 0);

  for (int i = 0; i < THREADS; i++) {
    workers[i].store = store;
    workers[i].index = i;
    workers[i].shared = shared;
    workers[i].failures = 0;
    workers[i].own_error[0] = '\0';
    REQUIRE(pthread_create(&threads[i], NULL, run_worker, &workers[i]) == 0);
  }
  for (int i = 0; i < THREADS; i++) REQUIRE(pthread_join(threads[i], NULL) == 0);
  pthread_barrier_destroy(&start_line);

  for (int i = 0; i < THREADS; i++) {
    char expected[64];
    snprintf(expected, sizeof expected, "invalid content reference of %d bytes", 20 + i);
    CHECK_U64(workers[i].failures, 0);
    CHECK(strstr(workers[i].own_error, expected) != NULL);
  }
  /* The main thread made no failing call. */
  CHECK(seccs_last_error_message()[0] == '\0');
}

int main(void) {
  uint8_t *shared = random_content(CONTENT_SIZE, 77);
  uint8_t key[32];
  seccs_config config;
  config_for(&config, SECCS_WRAPPER_AES_SIV_256, key, 6);

  /* Over the C hash-table backend, which can be inspected afterwards. */
  hash_backend *backend = hash_backend_new();
  seccs_backend table = hash_backend_table(backend, 0);
  seccs_store *store = NULL;
  REQUIRE_OK(seccs_new(&config, &table, &store));
  run_threads(store, shared);
  CHECK_U64(hash_backend_count(backend), 0);
  seccs_free(store);
  hash_backend_free(backend);

  /* Over the built-in memory backend; emptiness is read through a check. */
  seccs_backend memory;
  REQUIRE_OK(seccs_memory_backend_new(&memory));
  REQUIRE_OK(seccs_new(&config, &memory, &store));
  run_threads(store, shared);
  seccs_check_report report;
  CHECK_STATUS(seccs_check(store, NULL, 0, false, &report), SECCS_OK);
  CHECK_U64(report.nodes_total, 0);
  CHECK_U64(report.orphan_counts, 0);
  seccs_free(store);

  free(shared);
  return harness_finish("threads");
}
