/* A seccs store's SQLite database: the libseccs backend over a key-value table, the
 * configuration table, transactions and entry statistics.
 *
 * Layout (schema version 1, marked by PRAGMA application_id and user_version):
 *   entries(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID
 *       the nodes and reference counts that libseccs stores, exactly as it hands them
 *       over (node key -> wrapped node, node key + "r" -> ASCII decimal count);
 *   config(name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID
 *       the store configuration, see store.h.
 *
 * Functions returning int return an exit code of diag.h and have printed the message.
 */
#ifndef SECCS_CLI_SQLITE_BACKEND_H
#define SECCS_CLI_SQLITE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "progress.h"
#include "seccs.h"

/* Codes the backend callbacks return besides SECCS_BACKEND_OK and
 * SECCS_BACKEND_NOT_FOUND; libseccs passes them on through seccs_last_backend_code(). */
enum {
    /* seccs_value_sink_write or seccs_key_sink_add failed. */
    SQLITE_BACKEND_SINK_FAILED = 2,
    /* A value or key is too large for SQLite (more than about 1 GB). */
    SQLITE_BACKEND_TOO_LARGE = 3,
    /* SQLite failed: the code is -1000 minus SQLite's extended result code. */
    SQLITE_BACKEND_SQLITE_BASE = -1000
};

struct sqlite_backend;

/* Turns the empty file at `path` into a new, empty store database. */
int sqlite_backend_create(const char *path, struct sqlite_backend **out);

/* Opens the existing store database at `path` (exit code 2 if it does not exist). */
int sqlite_backend_open(const char *path, struct sqlite_backend **out);

/* Closes the database; NULL is a no-op. Call only after seccs_free of any store that
 * uses it as its backend. */
void sqlite_backend_close(struct sqlite_backend *backend);

/* Fills a libseccs backend vtable whose callbacks run on this database. The vtable has
 * no destroy callback: the caller keeps ownership and closes the database after
 * seccs_free. */
void sqlite_backend_vtable(struct sqlite_backend *backend, seccs_backend *out);

/* Sets where the callbacks report their progress (NULL: nowhere). */
void sqlite_backend_set_progress(struct sqlite_backend *backend, struct progress *progress);

/* Starts a write transaction (BEGIN IMMEDIATE) and resets the growth counter. */
int sqlite_backend_begin_write(struct sqlite_backend *backend);

/* Starts a read transaction, so that a command reads one consistent snapshot. */
int sqlite_backend_begin_read(struct sqlite_backend *backend);

/* Commits the open transaction; on failure rolls it back. */
int sqlite_backend_commit(struct sqlite_backend *backend);

/* Rolls back the open transaction, if any, leaving the database as it was before. */
void sqlite_backend_rollback(struct sqlite_backend *backend);

/* Returns how many bytes (keys plus values) the entries table grew by since the last
 * sqlite_backend_begin_write; negative if it shrank. */
int64_t sqlite_backend_growth(const struct sqlite_backend *backend);

/* Sets *found to whether `key` is in the entries table. */
int sqlite_backend_contains(struct sqlite_backend *backend, const uint8_t *key, size_t key_len,
                            bool *found);

/* Stores a configuration value, replacing any earlier one. */
int sqlite_backend_config_set(struct sqlite_backend *backend, const char *name, const char *value);

/* Reads a configuration value into *value (malloc'd; the caller frees it), or sets
 * *value to NULL if the store has no value for `name`. */
int sqlite_backend_config_get(struct sqlite_backend *backend, const char *name, char **value);

/* Entry counts and sizes (key plus value bytes) of the entries table. */
struct entry_stats {
    uint64_t nodes;           /* entries with a key of digest size R */
    uint64_t node_bytes;
    uint64_t counts;          /* entries with a key of R + 1 bytes: reference counts */
    uint64_t count_bytes;
    uint64_t others;          /* entries of any other key length: not written by libseccs */
    uint64_t other_bytes;
};

/* Counts the entries, telling node and count entries apart by key length. */
int sqlite_backend_stats(struct sqlite_backend *backend, size_t digest_size, struct entry_stats *out);

#endif
