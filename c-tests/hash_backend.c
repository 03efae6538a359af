/* A libseccs backend in C over a chained hash table; see hash_backend.h. */
#include "hash_backend.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  struct entry *next;
  uint8_t *key;
  size_t key_len;
  uint8_t *value;
  size_t value_len;
} entry;

struct hash_backend {
  pthread_mutex_t lock;
  entry **buckets;
  size_t bucket_count;
  size_t entry_count;
  uint64_t calls;
  uint64_t fail_at;
  int32_t fail_code;
  uint64_t call_counts[5];
};

enum { CALL_GET, CALL_SET, CALL_DELETE, CALL_CONTAINS, CALL_SCAN };

static pthread_mutex_t destroyed_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned destroyed_total;

static void *checked_malloc(size_t size) {
  void *memory = malloc(size ? size : 1);
  if (!memory) {
    fprintf(stderr, "hash_backend: out of memory\n");
    abort();
  }
  return memory;
}

/* FNV-1a over the key bytes. */
static uint64_t hash_key(const uint8_t *key, size_t key_len) {
  uint64_t hash = 1469598103934665603ULL;
  for (size_t i = 0; i < key_len; i++) {
    hash ^= key[i];
    hash *= 1099511628211ULL;
  }
  return hash;
}

hash_backend *hash_backend_new(void) {
  hash_backend *backend = checked_malloc(sizeof *backend);
  memset(backend, 0, sizeof *backend);
  pthread_mutex_init(&backend->lock, NULL);
  backend->bucket_count = 64;
  backend->buckets = calloc(backend->bucket_count, sizeof *backend->buckets);
  if (!backend->buckets) abort();
  return backend;
}

void hash_backend_free(hash_backend *backend) {
  if (!backend) return;
  for (size_t i = 0; i < backend->bucket_count; i++) {
    entry *item = backend->buckets[i];
    while (item) {
      entry *next = item->next;
      free(item->key);
      free(item->value);
      free(item);
      item = next;
    }
  }
  free(backend->buckets);
  pthread_mutex_destroy(&backend->lock);
  free(backend);
}

/* Returns the link that points to the entry of `key`, or to the NULL at its chain's end. */
static entry **find_link(hash_backend *backend, const uint8_t *key, size_t key_len) {
  entry **link = &backend->buckets[hash_key(key, key_len) % backend->bucket_count];
  while (*link && !((*link)->key_len == key_len && memcmp((*link)->key, key, key_len) == 0)) {
    link = &(*link)->next;
  }
  return link;
}

static void grow(hash_backend *backend) {
  size_t new_count = backend->bucket_count * 2;
  entry **new_buckets = calloc(new_count, sizeof *new_buckets);
  if (!new_buckets) abort();
  for (size_t i = 0; i < backend->bucket_count; i++) {
    entry *item = backend->buckets[i];
    while (item) {
      entry *next = item->next;
      size_t slot = hash_key(item->key, item->key_len) % new_count;
      item->next = new_buckets[slot];
      new_buckets[slot] = item;
      item = next;
    }
  }
  free(backend->buckets);
  backend->buckets = new_buckets;
  backend->bucket_count = new_count;
}

static uint8_t *copy_bytes(const uint8_t *bytes, size_t length) {
  uint8_t *copy = checked_malloc(length);
  if (length) memcpy(copy, bytes, length);
  return copy;
}

/* Inserts or replaces; the caller holds the lock. */
static void store_locked(hash_backend *backend, const uint8_t *key, size_t key_len, const uint8_t *value,
                         size_t value_len) {
  entry **link = find_link(backend, key, key_len);
  if (*link) {
    free((*link)->value);
    (*link)->value = copy_bytes(value, value_len);
    (*link)->value_len = value_len;
    return;
  }
  entry *item = checked_malloc(sizeof *item);
  item->next = NULL;
  item->key = copy_bytes(key, key_len);
  item->key_len = key_len;
  item->value = copy_bytes(value, value_len);
  item->value_len = value_len;
  *link = item;
  backend->entry_count++;
  if (backend->entry_count > backend->bucket_count) grow(backend);
}

static bool remove_locked(hash_backend *backend, const uint8_t *key, size_t key_len) {
  entry **link = find_link(backend, key, key_len);
  if (!*link) return false;
  entry *item = *link;
  *link = item->next;
  free(item->key);
  free(item->value);
  free(item);
  backend->entry_count--;
  return true;
}

/* Counts a callback call and tells whether fault injection fails it; the caller holds
 * the lock. */
static bool count_call(hash_backend *backend, int kind) {
  backend->calls++;
  backend->call_counts[kind]++;
  if (backend->fail_at != 0 && backend->calls == backend->fail_at) {
    char message[64];
    snprintf(message, sizeof message, "injected failure at call %llu", (unsigned long long)backend->calls);
    seccs_backend_set_error_message(message);
    return true;
  }
  return false;
}

static int32_t callback_get(void *ctx, const uint8_t *key, size_t key_len, seccs_value_sink *sink) {
  hash_backend *backend = ctx;
  pthread_mutex_lock(&backend->lock);
  int32_t result;
  if (count_call(backend, CALL_GET)) {
    result = backend->fail_code;
  } else {
    entry *item = *find_link(backend, key, key_len);
    if (!item) {
      result = SECCS_BACKEND_NOT_FOUND;
    } else if (seccs_value_sink_write(sink, item->value, item->value_len) != SECCS_OK) {
      result = -1;
    } else {
      result = SECCS_BACKEND_OK;
    }
  }
  pthread_mutex_unlock(&backend->lock);
  return result;
}

static int32_t callback_set(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *value,
                            size_t value_len) {
  hash_backend *backend = ctx;
  pthread_mutex_lock(&backend->lock);
  int32_t result = SECCS_BACKEND_OK;
  if (count_call(backend, CALL_SET)) {
    result = backend->fail_code;
  } else {
    store_locked(backend, key, key_len, value, value_len);
  }
  pthread_mutex_unlock(&backend->lock);
  return result;
}

static int32_t callback_delete(void *ctx, const uint8_t *key, size_t key_len) {
  hash_backend *backend = ctx;
  pthread_mutex_lock(&backend->lock);
  int32_t result = SECCS_BACKEND_OK;
  if (count_call(backend, CALL_DELETE)) {
    result = backend->fail_code;
  } else {
    remove_locked(backend, key, key_len);
  }
  pthread_mutex_unlock(&backend->lock);
  return result;
}

static int32_t callback_contains(void *ctx, const uint8_t *key, size_t key_len, bool *found) {
  hash_backend *backend = ctx;
  pthread_mutex_lock(&backend->lock);
  int32_t result = SECCS_BACKEND_OK;
  if (count_call(backend, CALL_CONTAINS)) {
    result = backend->fail_code;
  } else {
    *found = *find_link(backend, key, key_len) != NULL;
  }
  pthread_mutex_unlock(&backend->lock);
  return result;
}

static int32_t callback_scan(void *ctx, seccs_key_sink *sink) {
  hash_backend *backend = ctx;
  pthread_mutex_lock(&backend->lock);
  int32_t result = SECCS_BACKEND_OK;
  if (count_call(backend, CALL_SCAN)) {
    result = backend->fail_code;
  } else {
    for (size_t i = 0; i < backend->bucket_count && result == SECCS_BACKEND_OK; i++) {
      for (entry *item = backend->buckets[i]; item; item = item->next) {
        if (seccs_key_sink_add(sink, item->key, item->key_len) != SECCS_OK) {
          result = -1;
          break;
        }
      }
    }
  }
  pthread_mutex_unlock(&backend->lock);
  return result;
}

static void callback_destroy(void *ctx) {
  hash_backend_free(ctx);
  pthread_mutex_lock(&destroyed_lock);
  destroyed_total++;
  pthread_mutex_unlock(&destroyed_lock);
}

seccs_backend hash_backend_table(hash_backend *backend, int flags) {
  seccs_backend table;
  memset(&table, 0, sizeof table);
  table.version = SECCS_BACKEND_VERSION;
  table.ctx = backend;
  table.get = callback_get;
  table.set = callback_set;
  table.delete_ = callback_delete;
  table.contains = callback_contains;
  table.destroy = (flags & HASH_BACKEND_OWNED) ? callback_destroy : NULL;
  table.scan = (flags & HASH_BACKEND_NO_SCAN) ? NULL : callback_scan;
  return table;
}

unsigned hash_backend_destroyed_total(void) {
  pthread_mutex_lock(&destroyed_lock);
  unsigned total = destroyed_total;
  pthread_mutex_unlock(&destroyed_lock);
  return total;
}

size_t hash_backend_count(hash_backend *backend) {
  pthread_mutex_lock(&backend->lock);
  size_t count = backend->entry_count;
  pthread_mutex_unlock(&backend->lock);
  return count;
}

size_t hash_backend_bytes(hash_backend *backend) {
  pthread_mutex_lock(&backend->lock);
  size_t total = 0;
  for (size_t i = 0; i < backend->bucket_count; i++) {
    for (entry *item = backend->buckets[i]; item; item = item->next) total += item->key_len + item->value_len;
  }
  pthread_mutex_unlock(&backend->lock);
  return total;
}

size_t hash_backend_max_value(hash_backend *backend) {
  pthread_mutex_lock(&backend->lock);
  size_t largest = 0;
  for (size_t i = 0; i < backend->bucket_count; i++) {
    for (entry *item = backend->buckets[i]; item; item = item->next) {
      if (item->value_len > largest) largest = item->value_len;
    }
  }
  pthread_mutex_unlock(&backend->lock);
  return largest;
}

uint8_t *hash_backend_lookup(hash_backend *backend, const uint8_t *key, size_t key_len, size_t *value_len) {
  pthread_mutex_lock(&backend->lock);
  entry *item = *find_link(backend, key, key_len);
  if (item && value_len) *value_len = item->value_len;
  pthread_mutex_unlock(&backend->lock);
  return item ? item->value : NULL;
}

void hash_backend_store(hash_backend *backend, const uint8_t *key, size_t key_len, const uint8_t *value,
                        size_t value_len) {
  pthread_mutex_lock(&backend->lock);
  store_locked(backend, key, key_len, value, value_len);
  pthread_mutex_unlock(&backend->lock);
}

bool hash_backend_remove(hash_backend *backend, const uint8_t *key, size_t key_len) {
  pthread_mutex_lock(&backend->lock);
  bool removed = remove_locked(backend, key, key_len);
  pthread_mutex_unlock(&backend->lock);
  return removed;
}

void hash_backend_each(hash_backend *backend,
                       void (*visit)(void *arg, const uint8_t *key, size_t key_len, const uint8_t *value,
                                     size_t value_len),
                       void *arg) {
  pthread_mutex_lock(&backend->lock);
  for (size_t i = 0; i < backend->bucket_count; i++) {
    for (entry *item = backend->buckets[i]; item; item = item->next) {
      visit(arg, item->key, item->key_len, item->value, item->value_len);
    }
  }
  pthread_mutex_unlock(&backend->lock);
}

void hash_backend_fail_at(hash_backend *backend, uint64_t call, int32_t code) {
  pthread_mutex_lock(&backend->lock);
  backend->fail_at = call;
  backend->fail_code = code;
  pthread_mutex_unlock(&backend->lock);
}

uint64_t hash_backend_calls(hash_backend *backend) {
  pthread_mutex_lock(&backend->lock);
  uint64_t calls = backend->calls;
  pthread_mutex_unlock(&backend->lock);
  return calls;
}

void hash_backend_reset_calls(hash_backend *backend) {
  pthread_mutex_lock(&backend->lock);
  backend->calls = 0;
  memset(backend->call_counts, 0, sizeof backend->call_counts);
  pthread_mutex_unlock(&backend->lock);
}

void hash_backend_call_counts(hash_backend *backend, uint64_t counts[5]) {
  pthread_mutex_lock(&backend->lock);
  memcpy(counts, backend->call_counts, sizeof backend->call_counts);
  pthread_mutex_unlock(&backend->lock);
}

struct hash_snapshot {
  entry *entries;
  size_t count;
};

static int compare_entries(const void *left, const void *right) {
  const entry *a = left;
  const entry *b = right;
  size_t common = a->key_len < b->key_len ? a->key_len : b->key_len;
  int order = memcmp(a->key, b->key, common);
  if (order != 0) return order;
  return (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

hash_snapshot *hash_backend_snapshot(hash_backend *backend) {
  pthread_mutex_lock(&backend->lock);
  hash_snapshot *snapshot = checked_malloc(sizeof *snapshot);
  snapshot->count = backend->entry_count;
  snapshot->entries = checked_malloc(snapshot->count * sizeof *snapshot->entries);
  size_t next = 0;
  for (size_t i = 0; i < backend->bucket_count; i++) {
    for (entry *item = backend->buckets[i]; item; item = item->next) {
      entry *copy = &snapshot->entries[next++];
      copy->next = NULL;
      copy->key = copy_bytes(item->key, item->key_len);
      copy->key_len = item->key_len;
      copy->value = copy_bytes(item->value, item->value_len);
      copy->value_len = item->value_len;
    }
  }
  pthread_mutex_unlock(&backend->lock);
  qsort(snapshot->entries, snapshot->count, sizeof *snapshot->entries, compare_entries);
  return snapshot;
}

bool hash_snapshot_equal(const hash_snapshot *a, const hash_snapshot *b) {
  if (a->count != b->count) return false;
  for (size_t i = 0; i < a->count; i++) {
    const entry *x = &a->entries[i];
    const entry *y = &b->entries[i];
    if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) != 0) return false;
    if (x->value_len != y->value_len) return false;
    if (x->value_len && memcmp(x->value, y->value, x->value_len) != 0) return false;
  }
  return true;
}

size_t hash_snapshot_count(const hash_snapshot *snapshot) { return snapshot->count; }

void hash_snapshot_free(hash_snapshot *snapshot) {
  if (!snapshot) return;
  for (size_t i = 0; i < snapshot->count; i++) {
    free(snapshot->entries[i].key);
    free(snapshot->entries[i].value);
  }
  free(snapshot->entries);
  free(snapshot);
}
