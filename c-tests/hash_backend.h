/*
 * A libseccs backend written in C over its own hash table, for the C tests.
 *
 * The table is guarded by a mutex, so one backend may serve several threads. Besides
 * the callbacks it offers inspection (entry counts, raw lookups, snapshots) and fault
 * injection: the k-th callback call can be made to fail with a chosen code.
 */
#ifndef HASH_BACKEND_H
#define HASH_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seccs.h"

typedef struct hash_backend hash_backend;
typedef struct hash_snapshot hash_snapshot;

/* Flags of hash_backend_table. */
enum {
  /* The table's destroy callback frees the backend, so a store created with it owns it. */
  HASH_BACKEND_OWNED = 1,
  /* The table has no scan callback. */
  HASH_BACKEND_NO_SCAN = 2
};

hash_backend *hash_backend_new(void);
void hash_backend_free(hash_backend *backend);

/* Returns a callback table over `backend` (see the HASH_BACKEND_ flags). */
seccs_backend hash_backend_table(hash_backend *backend, int flags);

/* Number of hash_backend objects freed through a destroy callback, over the process. */
unsigned hash_backend_destroyed_total(void);

size_t hash_backend_count(hash_backend *backend);
/* Sum of the key and value lengths of all entries. */
size_t hash_backend_bytes(hash_backend *backend);
/* Largest value length of all entries. */
size_t hash_backend_max_value(hash_backend *backend);

/* Raw access that bypasses the callbacks and the call counter. lookup returns a pointer
 * into the table (valid until the entry changes) or NULL. */
uint8_t *hash_backend_lookup(hash_backend *backend, const uint8_t *key, size_t key_len, size_t *value_len);
void hash_backend_store(hash_backend *backend, const uint8_t *key, size_t key_len, const uint8_t *value,
                        size_t value_len);
bool hash_backend_remove(hash_backend *backend, const uint8_t *key, size_t key_len);

/* Calls `visit` for each entry, in no particular order. */
void hash_backend_each(hash_backend *backend,
                       void (*visit)(void *arg, const uint8_t *key, size_t key_len, const uint8_t *value,
                                     size_t value_len),
                       void *arg);

/* Fault injection: callback call number `call` (counting from 1 since the last reset)
 * returns `code` with a message; 0 disables it. */
void hash_backend_fail_at(hash_backend *backend, uint64_t call, int32_t code);
uint64_t hash_backend_calls(hash_backend *backend);
void hash_backend_reset_calls(hash_backend *backend);
/* Counts of get, set, delete_, contains and scan calls since the last reset. */
void hash_backend_call_counts(hash_backend *backend, uint64_t counts[5]);

/* Snapshots: a sorted copy of every entry, for exact comparison. */
hash_snapshot *hash_backend_snapshot(hash_backend *backend);
bool hash_snapshot_equal(const hash_snapshot *a, const hash_snapshot *b);
size_t hash_snapshot_count(const hash_snapshot *snapshot);
void hash_snapshot_free(hash_snapshot *snapshot);

#endif
