/*
 * Times seccs_put and seccs_get through the C ABI of libseccs.so, for the table of
 * benches/throughput.rs: once with the library's built-in memory backend, once with a
 * hash-table backend written here in C, reached through the callback table.
 *
 * Usage: ffi_bench CHUNK_SIZE MIB REPETITIONS
 * Prints one line: RESULT memory_put=MB/s memory_get=MB/s c_backend_put=MB/s
 * c_backend_get=MB/s contended_runs=N (MB = 10^6 bytes), medians of REPETITIONS runs
 * over MIB MiB of the same seeded random bytes as the Rust benchmark, with AES_SIV_256.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "seccs.h"

static void fail(const char *operation, seccs_status status) {
  fprintf(stderr, "ffi_bench: %s failed: %s: %s\n", operation, seccs_status_message(status),
          seccs_last_error_message());
  exit(1);
}

static void *checked_malloc(size_t size) {
  void *memory = malloc(size ? size : 1);
  if (!memory) {
    fprintf(stderr, "ffi_bench: out of memory (%zu bytes)\n", size);
    exit(1);
  }
  return memory;
}

/* The content of benches/throughput.rs: xorshift64* seeded with 1, little-endian. */
static uint8_t *random_content(size_t length) {
  uint8_t *content = checked_malloc(length + 8);
  uint64_t state = 1 * 0x9e3779b97f4a7c15ULL | 1;
  for (size_t offset = 0; offset < length; offset += 8) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    uint64_t word = state * 0x2545f4914f6cdd1dULL;
    for (int byte = 0; byte < 8; byte++) content[offset + byte] = (uint8_t)(word >> (8 * byte));
  }
  return content;
}

static double now_seconds(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return (double)time.tv_sec + (double)time.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* CPU seconds used so far by the whole machine (/proc/stat) and by this process. */
static void cpu_usage(double *machine, double *own) {
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  FILE *stat = fopen("/proc/stat", "r");
  if (!stat || fscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait,
                      &irq, &softirq, &steal) != 8) {
    fprintf(stderr, "ffi_bench: cannot read /proc/stat\n");
    exit(1);
  }
  fclose(stat);
  *machine = (double)(user + nice + system + irq + softirq + steal) / (double)sysconf(_SC_CLK_TCK);

  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  *own = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

/* As in benches/throughput.rs: a run during which other processes used more than a
 * tenth of a CPU is repeated after a pause, up to MAX_ATTEMPTS times. */
enum { MAX_ATTEMPTS = 6 };
static int contended_runs;

static bool quiet_since(double machine_before, double own_before, double elapsed) {
  double machine, own;
  cpu_usage(&machine, &own);
  return (machine - machine_before) - (own - own_before) <= 0.1 * elapsed + 0.02;
}

static double median(double *values, int count) {
  qsort(values, (size_t)count, sizeof *values, compare_doubles);
  return values[count / 2];
}

/* ------------------------------------------------------------------------------------
 * A backend over an open-addressing hash table with linear probing. Keys are node keys
 * (16 or 32 bytes) or count keys (one byte more), so they are kept inline. The caller
 * is single-threaded and libseccs calls the callbacks on the caller's thread, so the
 * table needs no lock here.
 */

enum { MAX_KEY = 48 };

typedef struct {
  uint8_t state; /* 0 empty, 1 used, 2 deleted */
  uint8_t key_len;
  uint8_t key[MAX_KEY];
  uint8_t *value;
  size_t value_len;
} slot;

typedef struct {
  slot *slots;
  size_t capacity; /* a power of two */
  size_t used;     /* used and deleted slots, which both lengthen probes */
} table;

/* Keys are digests, so their first and last eight bytes are already uniform. */
static size_t hash_key(const uint8_t *key, size_t key_len) {
  uint64_t first = 0, last = 0;
  memcpy(&first, key, key_len < 8 ? key_len : 8);
  if (key_len >= 8) memcpy(&last, key + key_len - 8, 8);
  uint64_t mixed = (first ^ (last * 0x9e3779b97f4a7c15ULL) ^ key_len) * 0xff51afd7ed558ccdULL;
  return (size_t)(mixed ^ (mixed >> 32));
}

static slot *find(table *table, const uint8_t *key, size_t key_len) {
  size_t mask = table->capacity - 1;
  for (size_t index = hash_key(key, key_len) & mask;; index = (index + 1) & mask) {
    slot *candidate = &table->slots[index];
    if (candidate->state == 0) return NULL;
    if (candidate->state == 1 && candidate->key_len == key_len && memcmp(candidate->key, key, key_len) == 0)
      return candidate;
  }
}

static void insert_new(table *table, const uint8_t *key, size_t key_len, uint8_t *value, size_t value_len) {
  size_t mask = table->capacity - 1;
  size_t index = hash_key(key, key_len) & mask;
  while (table->slots[index].state == 1) index = (index + 1) & mask;
  slot *target = &table->slots[index];
  if (target->state == 0) table->used++;
  target->state = 1;
  target->key_len = (uint8_t)key_len;
  memcpy(target->key, key, key_len);
  target->value = value;
  target->value_len = value_len;
}

static void grow(table *table) {
  slot *old = table->slots;
  size_t old_capacity = table->capacity;
  table->capacity = old_capacity ? old_capacity * 2 : 1024;
  table->slots = calloc(table->capacity, sizeof *table->slots);
  if (!table->slots) {
    fprintf(stderr, "ffi_bench: out of memory\n");
    exit(1);
  }
  table->used = 0;
  for (size_t index = 0; index < old_capacity; index++) {
    if (old[index].state == 1)
      insert_new(table, old[index].key, old[index].key_len, old[index].value, old[index].value_len);
  }
  free(old);
}

static int32_t table_get(void *ctx, const uint8_t *key, size_t key_len, seccs_value_sink *sink) {
  slot *found = find(ctx, key, key_len);
  if (!found) return SECCS_BACKEND_NOT_FOUND;
  return seccs_value_sink_write(sink, found->value, found->value_len) == SECCS_OK ? SECCS_BACKEND_OK : -1;
}

static int32_t table_set(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len) {
  table *table = ctx;
  if (key_len > MAX_KEY) return -2;
  uint8_t *copy = checked_malloc(value_len);
  if (value_len) memcpy(copy, value, value_len);
  slot *found = find(table, key, key_len);
  if (found) {
    free(found->value);
    found->value = copy;
    found->value_len = value_len;
    return SECCS_BACKEND_OK;
  }
  if ((table->used + 1) * 10 > table->capacity * 7) grow(table);
  insert_new(table, key, key_len, copy, value_len);
  return SECCS_BACKEND_OK;
}

static int32_t table_delete(void *ctx, const uint8_t *key, size_t key_len) {
  slot *found = find(ctx, key, key_len);
  if (found) {
    free(found->value);
    found->value = NULL;
    found->state = 2;
  }
  return SECCS_BACKEND_OK;
}

static int32_t table_contains(void *ctx, const uint8_t *key, size_t key_len, bool *found) {
  *found = find(ctx, key, key_len) != NULL;
  return SECCS_BACKEND_OK;
}

static void table_destroy(void *ctx) {
  table *table = ctx;
  for (size_t index = 0; index < table->capacity; index++) {
    if (table->slots[index].state == 1) free(table->slots[index].value);
  }
  free(table->slots);
  free(table);
}

static seccs_backend c_backend_new(void) {
  table *state = checked_malloc(sizeof *state);
  state->slots = NULL;
  state->capacity = 0;
  state->used = 0;
  grow(state);
  seccs_backend backend = {
      .version = SECCS_BACKEND_VERSION,
      .ctx = state,
      .get = table_get,
      .set = table_set,
      .delete_ = table_delete,
      .contains = table_contains,
      .destroy = table_destroy,
      .scan = NULL,
  };
  return backend;
}

static seccs_backend memory_backend_new(void) {
  seccs_backend backend;
  seccs_status status = seccs_memory_backend_new(&backend);
  if (status != SECCS_OK) fail("seccs_memory_backend_new", status);
  return backend;
}

/* ------------------------------------------------------------------------------------ */

static const uint8_t KEY[32] = {0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};

static seccs_store *open_store(uint64_t chunk_size, seccs_backend backend) {
  seccs_config config;
  seccs_config_init(&config);
  config.chunk_size = chunk_size;
  config.wrapper = SECCS_WRAPPER_AES_SIV_256;
  config.key = KEY;
  config.key_len = sizeof KEY;
  seccs_store *store = NULL;
  seccs_status status = seccs_new(&config, &backend, &store);
  if (status != SECCS_OK) fail("seccs_new", status);
  return store;
}

/* Times puts into fresh stores and gets from a filled one; returns MB/s in results. */
static void measure(uint64_t chunk_size, seccs_backend (*new_backend)(void), const uint8_t *content,
                    size_t length, int repetitions, double results[2]) {
  double *seconds = checked_malloc(sizeof *seconds * (size_t)repetitions);
  uint8_t reference[64];

  for (int run = 0; run < repetitions; run++) {
    for (int attempt = 1;; attempt++) {
      seccs_store *store = open_store(chunk_size, new_backend());
      double machine, own;
      cpu_usage(&machine, &own);
      double start = now_seconds();
      seccs_status status = seccs_put(store, content, length, false, reference, sizeof reference, NULL);
      seconds[run] = now_seconds() - start;
      bool quiet = quiet_since(machine, own, seconds[run]);
      if (status != SECCS_OK) fail("seccs_put", status);
      seccs_free(store);
      if (quiet || attempt == MAX_ATTEMPTS) {
        contended_runs += !quiet;
        break;
      }
      sleep(1);
    }
  }
  results[0] = (double)length / median(seconds, repetitions) / 1e6;

  seccs_store *store = open_store(chunk_size, new_backend());
  seccs_status status = seccs_put(store, content, length, false, reference, sizeof reference, NULL);
  if (status != SECCS_OK) fail("seccs_put", status);
  size_t reference_size = seccs_reference_size(store);
  uint8_t *buffer = checked_malloc(length);
  for (int run = 0; run < repetitions; run++) {
    size_t written = 0;
    for (int attempt = 1;; attempt++) {
      double machine, own;
      cpu_usage(&machine, &own);
      double start = now_seconds();
      status = seccs_get(store, reference, reference_size, buffer, length, &written);
      seconds[run] = now_seconds() - start;
      bool quiet = quiet_since(machine, own, seconds[run]);
      if (status != SECCS_OK || quiet || attempt == MAX_ATTEMPTS) {
        contended_runs += !quiet;
        break;
      }
      sleep(1);
    }
    if (status != SECCS_OK) fail("seccs_get", status);
    if (written != length || memcmp(buffer, content, length) != 0) {
      fprintf(stderr, "ffi_bench: seccs_get returned other bytes than were put\n");
      exit(1);
    }
  }
  results[1] = (double)length / median(seconds, repetitions) / 1e6;

  free(buffer);
  seccs_free(store);
  free(seconds);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s CHUNK_SIZE MIB REPETITIONS\n", argv[0]);
    return 2;
  }
  uint64_t chunk_size = strtoull(argv[1], NULL, 10);
  size_t mib = strtoull(argv[2], NULL, 10);
  int repetitions = atoi(argv[3]);
  if (chunk_size == 0 || mib == 0 || repetitions <= 0) {
    fprintf(stderr, "ffi_bench: CHUNK_SIZE, MIB and REPETITIONS must be positive numbers\n");
    return 2;
  }

  size_t length = mib << 20;
  uint8_t *content = random_content(length);
  double memory[2], c_backend[2];
  measure(chunk_size, memory_backend_new, content, length, repetitions, memory);
  measure(chunk_size, c_backend_new, content, length, repetitions, c_backend);
  printf("RESULT memory_put=%.1f memory_get=%.1f c_backend_put=%.1f c_backend_get=%.1f contended_runs=%d\n",
         memory[0], memory[1], c_backend[0], c_backend[1], contended_runs);
  free(content);
  return 0;
}
