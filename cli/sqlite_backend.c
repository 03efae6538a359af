#include "sqlite_backend.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "diag.h"
#include "hex.h"

/* "secs" in ASCII: marks the file as a seccs store for `file` and for the open check. */
#define STORE_APPLICATION_ID 0x73656373
#define STORE_SCHEMA_VERSION 1

/* Milliseconds to wait for another process's write transaction before failing. */
#define BUSY_TIMEOUT_MS 10000

struct sqlite_backend {
    sqlite3 *db;
    char *path;

    /* Statements prepared once and reused by every callback. */
    sqlite3_stmt *select_value;
    sqlite3_stmt *select_size;
    sqlite3_stmt *upsert;
    sqlite3_stmt *remove;
    sqlite3_stmt *scan;

    int64_t growth;
    struct progress *progress;
};

static const char SCHEMA_SQL[] =
    "CREATE TABLE entries (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE config (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;";

/* ---- helpers ---- */

static int database_error(struct sqlite_backend *backend, const char *what)
{
    return cli_error(CLI_EXIT_IO, "database %s: %s failed: %s", backend->path, what,
                     sqlite3_errmsg(backend->db));
}

/* Binds `len` bytes at `bytes` (borrowed until the statement is stepped) as a blob. */
static int bind_bytes(sqlite3_stmt *stmt, int index, const uint8_t *bytes, size_t len)
{
    /* A NULL pointer would bind SQL NULL, so an empty byte string needs zeroblob. */
    if (len == 0)
        return sqlite3_bind_zeroblob(stmt, index, 0);
    return sqlite3_bind_blob64(stmt, index, bytes, (sqlite3_uint64)len, SQLITE_STATIC);
}

static int exec_sql(struct sqlite_backend *backend, const char *sql, const char *what)
{
    if (sqlite3_exec(backend->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return database_error(backend, what);
    return CLI_EXIT_OK;
}

/* Reads an integer PRAGMA such as application_id. */
static int read_pragma(struct sqlite_backend *backend, const char *sql, int64_t *value)
{
    sqlite3_stmt *stmt = NULL;

    if (sqlite3_prepare_v2(backend->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int prepare_statements(struct sqlite_backend *backend)
{
    struct {
        sqlite3_stmt **stmt;
        const char *sql;
    } statements[] = {
        {&backend->select_value, "SELECT value FROM entries WHERE key = ?1"},
        {&backend->select_size, "SELECT length(value) FROM entries WHERE key = ?1"},
        {&backend->upsert,
         "INSERT INTO entries (key, value) VALUES (?1, ?2) "
         "ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
        {&backend->remove, "DELETE FROM entries WHERE key = ?1 RETURNING length(value)"},
        {&backend->scan, "SELECT key FROM entries"},
    };

    for (size_t i = 0; i < sizeof statements / sizeof statements[0]; i++) {
        if (sqlite3_prepare_v3(backend->db, statements[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                               statements[i].stmt, NULL) != SQLITE_OK)
            return database_error(backend, "preparing the entry statements");
    }
    return CLI_EXIT_OK;
}

/* Opens a connection and sets the per-connection options. */
static int open_connection(const char *path, int flags, struct sqlite_backend **out)
{
    struct sqlite_backend *backend = calloc(1, sizeof *backend);
    if (backend == NULL || (backend->path = strdup(path)) == NULL) {
        free(backend);
        return cli_error(CLI_EXIT_IO, "out of memory opening %s", path);
    }

    if (sqlite3_open_v2(path, &backend->db, flags, NULL) != SQLITE_OK) {
        int code = cli_error(CLI_EXIT_IO, "cannot open database %s: %s", path,
                             backend->db ? sqlite3_errmsg(backend->db) : "out of memory");
        sqlite_backend_close(backend);
        return code;
    }
    sqlite3_extended_result_codes(backend->db, 1);
    sqlite3_busy_timeout(backend->db, BUSY_TIMEOUT_MS);

    *out = backend;
    return CLI_EXIT_OK;
}

/* ---- opening and closing ---- */

int sqlite_backend_create(const char *path, struct sqlite_backend **out)
{
    struct sqlite_backend *backend = NULL;
    int code = open_connection(path, SQLITE_OPEN_READWRITE, &backend);
    if (code != CLI_EXIT_OK)
        return code;

    /* WAL is recorded in the file, so every later connection uses it too. The journal
     * mode cannot change inside a transaction, so it comes first. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "PRAGMA journal_mode = WAL;"
             "PRAGMA synchronous = FULL;"
             "PRAGMA application_id = %d;"
             "PRAGMA user_version = %d;",
             STORE_APPLICATION_ID, STORE_SCHEMA_VERSION);
    code = exec_sql(backend, sql, "setting up the database");
    if (code == CLI_EXIT_OK)
        code = exec_sql(backend, "BEGIN IMMEDIATE", "starting a transaction");
    if (code == CLI_EXIT_OK) {
        code = exec_sql(backend, SCHEMA_SQL, "creating the tables");
        if (code == CLI_EXIT_OK)
            code = exec_sql(backend, "COMMIT", "committing the tables");
        if (code != CLI_EXIT_OK)
            sqlite3_exec(backend->db, "ROLLBACK", NULL, NULL, NULL);
    }
    if (code == CLI_EXIT_OK)
        code = prepare_statements(backend);

    if (code != CLI_EXIT_OK) {
        sqlite_backend_close(backend);
        return code;
    }
    *out = backend;
    return CLI_EXIT_OK;
}

int sqlite_backend_open(const char *path, struct sqlite_backend **out)
{
    /* Without SQLITE_OPEN_CREATE a missing file fails, but with a vague message. */
    if (access(path, F_OK) != 0) {
        if (errno == ENOENT)
            return cli_error(CLI_EXIT_NOT_FOUND,
                             "store %s not found: check the path, or create it with "
                             "'seccs init %s'", path, path);
        return cli_error(CLI_EXIT_IO, "cannot access store %s: %s", path, strerror(errno));
    }

    struct sqlite_backend *backend = NULL;
    int code = open_connection(path, SQLITE_OPEN_READWRITE, &backend);
    if (code != CLI_EXIT_OK)
        return code;

    int64_t application_id = 0;
    int64_t schema_version = 0;
    if (read_pragma(backend, "PRAGMA application_id", &application_id) != 0) {
        code = cli_error(CLI_EXIT_IO,
                         "%s is not a seccs store (%s): pass the path of a store that "
                         "'seccs init' created", path, sqlite3_errmsg(backend->db));
    } else if (application_id != STORE_APPLICATION_ID) {
        code = cli_error(CLI_EXIT_IO,
                         "%s is an SQLite database but not a seccs store: pass the path "
                         "of a store that 'seccs init' created", path);
    } else if (read_pragma(backend, "PRAGMA user_version", &schema_version) != 0
               || schema_version != STORE_SCHEMA_VERSION) {
        code = cli_error(CLI_EXIT_IO,
                         "store %s has schema version %" PRId64 ", but this seccs reads "
                         "version %d: use the seccs release that created it", path,
                         schema_version, STORE_SCHEMA_VERSION);
    }
    if (code == CLI_EXIT_OK)
        code = exec_sql(backend, "PRAGMA synchronous = FULL", "setting synchronous mode");
    /* A put writes all its nodes in one transaction. With SQLite's default 2 MiB page
     * cache a large one spills pages to the WAL long before the commit; 32 MiB halved
     * the time of a 30 MB put (3.0 s to 1.5 s on a 2-core machine). SQLite allocates
     * the cache as it fills, so small commands do not pay for it. */
    if (code == CLI_EXIT_OK)
        code = exec_sql(backend, "PRAGMA cache_size = -32768", "setting the cache size");
    if (code == CLI_EXIT_OK)
        code = prepare_statements(backend);

    if (code != CLI_EXIT_OK) {
        sqlite_backend_close(backend);
        return code;
    }
    *out = backend;
    return CLI_EXIT_OK;
}

void sqlite_backend_close(struct sqlite_backend *backend)
{
    if (backend == NULL)
        return;

    sqlite3_finalize(backend->select_value);
    sqlite3_finalize(backend->select_size);
    sqlite3_finalize(backend->upsert);
    sqlite3_finalize(backend->remove);
    sqlite3_finalize(backend->scan);
    /* The last connection to close checkpoints the WAL into the database file. */
    sqlite3_close(backend->db);
    free(backend->path);
    free(backend);
}

/* ---- libseccs callbacks ---- */

/* Records an SQLite failure for seccs_last_error_message and returns its backend code. */
static int32_t callback_failure(struct sqlite_backend *backend, sqlite3_stmt *stmt,
                                const char *operation, const uint8_t *key, size_t key_len)
{
    int extended_code = sqlite3_extended_errcode(backend->db);
    char key_hex[2 * 64 + 1] = "";
    char message[512];

    if (key_len <= 64)
        hex_encode(key, key_len, key_hex);
    snprintf(message, sizeof message, "SQLite %s of key %s in %s failed: %s", operation,
             key_len <= 64 ? key_hex : "(long key)", backend->path,
             sqlite3_errmsg(backend->db));
    sqlite3_reset(stmt);
    seccs_backend_set_error_message(message);
    return SQLITE_BACKEND_SQLITE_BASE - extended_code;
}

static int32_t too_large(const char *operation, size_t len)
{
    char message[160];

    snprintf(message, sizeof message,
             "SQLite %s failed: %zu bytes exceed SQLite's maximum blob size", operation, len);
    seccs_backend_set_error_message(message);
    return SQLITE_BACKEND_TOO_LARGE;
}

static int32_t backend_get(void *ctx, const uint8_t *key, size_t key_len, seccs_value_sink *sink)
{
    struct sqlite_backend *backend = ctx;
    sqlite3_stmt *stmt = backend->select_value;
    static const uint8_t empty[1];

    if (bind_bytes(stmt, 1, key, key_len) != SQLITE_OK)
        return callback_failure(backend, stmt, "get", key, key_len);

    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(stmt);
        return SECCS_BACKEND_NOT_FOUND;
    }
    if (rc != SQLITE_ROW)
        return callback_failure(backend, stmt, "get", key, key_len);

    /* sqlite3_column_blob returns NULL for an empty value. */
    const uint8_t *value = sqlite3_column_blob(stmt, 0);
    size_t value_len = (size_t)sqlite3_column_bytes(stmt, 0);
    if (value == NULL && sqlite3_errcode(backend->db) == SQLITE_NOMEM)
        return callback_failure(backend, stmt, "get", key, key_len);
    seccs_status status = seccs_value_sink_write(sink, value ? value : empty, value_len);
    sqlite3_reset(stmt);
    if (status != SECCS_OK)
        return SQLITE_BACKEND_SINK_FAILED;

    progress_add(backend->progress, 1, 0, value_len);
    return SECCS_BACKEND_OK;
}

/* Sets *size to key_len plus the length of the value stored under `key`, or 0. */
static int32_t stored_size(struct sqlite_backend *backend, const uint8_t *key, size_t key_len,
                           int64_t *size)
{
    sqlite3_stmt *stmt = backend->select_size;

    if (bind_bytes(stmt, 1, key, key_len) != SQLITE_OK)
        return callback_failure(backend, stmt, "lookup", key, key_len);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *size = (int64_t)key_len + sqlite3_column_int64(stmt, 0);
    else if (rc == SQLITE_DONE)
        *size = 0;
    else
        return callback_failure(backend, stmt, "lookup", key, key_len);
    sqlite3_reset(stmt);
    return SECCS_BACKEND_OK;
}

static int32_t backend_set(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *value,
                           size_t value_len)
{
    struct sqlite_backend *backend = ctx;
    sqlite3_stmt *stmt = backend->upsert;

    if (key_len > INT_MAX || value_len > INT_MAX)
        return too_large("set", key_len > value_len ? key_len : value_len);

    /* The old size is needed for the growth counter; the lookup hits the page that the
     * write touches anyway. */
    int64_t old_size = 0;
    int32_t code = stored_size(backend, key, key_len, &old_size);
    if (code != SECCS_BACKEND_OK)
        return code;

    if (bind_bytes(stmt, 1, key, key_len) != SQLITE_OK
        || bind_bytes(stmt, 2, value, value_len) != SQLITE_OK)
        return callback_failure(backend, stmt, "set", key, key_len);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        return callback_failure(backend, stmt, "set", key, key_len);
    sqlite3_reset(stmt);

    backend->growth += (int64_t)(key_len + value_len) - old_size;
    progress_add(backend->progress, 0, 1, value_len);
    return SECCS_BACKEND_OK;
}

static int32_t backend_delete(void *ctx, const uint8_t *key, size_t key_len)
{
    struct sqlite_backend *backend = ctx;
    sqlite3_stmt *stmt = backend->remove;

    if (bind_bytes(stmt, 1, key, key_len) != SQLITE_OK)
        return callback_failure(backend, stmt, "delete", key, key_len);

    /* RETURNING yields the length of the removed value, or no row if the key was absent. */
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        backend->growth -= (int64_t)key_len + sqlite3_column_int64(stmt, 0);
    if (rc != SQLITE_DONE)
        return callback_failure(backend, stmt, "delete", key, key_len);
    sqlite3_reset(stmt);
    return SECCS_BACKEND_OK;
}

static int32_t backend_contains(void *ctx, const uint8_t *key, size_t key_len, bool *found)
{
    struct sqlite_backend *backend = ctx;
    int64_t size = 0;

    int32_t code = stored_size(backend, key, key_len, &size);
    if (code == SECCS_BACKEND_OK)
        *found = size > 0;
    return code;
}

static int32_t backend_scan(void *ctx, seccs_key_sink *sink)
{
    struct sqlite_backend *backend = ctx;
    sqlite3_stmt *stmt = backend->scan;
    static const uint8_t empty[1];

    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const uint8_t *key = sqlite3_column_blob(stmt, 0);
        size_t key_len = (size_t)sqlite3_column_bytes(stmt, 0);
        if (seccs_key_sink_add(sink, key ? key : empty, key_len) != SECCS_OK) {
            sqlite3_reset(stmt);
            return SQLITE_BACKEND_SINK_FAILED;
        }
        progress_add(backend->progress, 1, 0, 0);
    }
    if (rc != SQLITE_DONE)
        return callback_failure(backend, stmt, "scan", NULL, 0);
    sqlite3_reset(stmt);
    return SECCS_BACKEND_OK;
}

void sqlite_backend_vtable(struct sqlite_backend *backend, seccs_backend *out)
{
    memset(out, 0, sizeof *out);
    out->version = SECCS_BACKEND_VERSION;
    out->ctx = backend;
    out->get = backend_get;
    out->set = backend_set;
    out->delete_ = backend_delete;
    out->contains = backend_contains;
    out->destroy = NULL;
    out->scan = backend_scan;
}

void sqlite_backend_set_progress(struct sqlite_backend *backend, struct progress *progress)
{
    backend->progress = progress;
}

/* ---- transactions ---- */

int sqlite_backend_begin_write(struct sqlite_backend *backend)
{
    backend->growth = 0;
    /* IMMEDIATE takes the write lock now, so a concurrent writer waits here (up to the
     * busy timeout) instead of failing halfway through the operation. */
    return exec_sql(backend, "BEGIN IMMEDIATE", "starting a write transaction");
}

int sqlite_backend_begin_read(struct sqlite_backend *backend)
{
    return exec_sql(backend, "BEGIN", "starting a read transaction");
}

int sqlite_backend_commit(struct sqlite_backend *backend)
{
    int code = exec_sql(backend, "COMMIT", "committing the transaction");
    if (code != CLI_EXIT_OK)
        sqlite_backend_rollback(backend);
    return code;
}

void sqlite_backend_rollback(struct sqlite_backend *backend)
{
    if (!sqlite3_get_autocommit(backend->db))
        sqlite3_exec(backend->db, "ROLLBACK", NULL, NULL, NULL);
}

int64_t sqlite_backend_growth(const struct sqlite_backend *backend)
{
    return backend->growth;
}

int sqlite_backend_contains(struct sqlite_backend *backend, const uint8_t *key, size_t key_len,
                            bool *found)
{
    int64_t size = 0;

    if (stored_size(backend, key, key_len, &size) != SECCS_BACKEND_OK)
        return database_error(backend, "looking up a node");
    *found = size > 0;
    return CLI_EXIT_OK;
}

/* ---- configuration ---- */

int sqlite_backend_config_set(struct sqlite_backend *backend, const char *name, const char *value)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(backend->db,
                                "INSERT INTO config (name, value) VALUES (?1, ?2) "
                                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                                -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return database_error(backend, "writing the configuration");
    return CLI_EXIT_OK;
}

int sqlite_backend_config_get(struct sqlite_backend *backend, const char *name, char **value)
{
    sqlite3_stmt *stmt = NULL;
    int code = CLI_EXIT_OK;

    *value = NULL;
    int rc = sqlite3_prepare_v2(backend->db, "SELECT value FROM config WHERE name = ?1", -1,
                                &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
    }
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        *value = strdup(text ? text : "");
        if (*value == NULL)
            code = cli_error(CLI_EXIT_IO, "out of memory reading the configuration");
    } else if (rc != SQLITE_DONE) {
        code = database_error(backend, "reading the configuration");
    }
    sqlite3_finalize(stmt);
    return code;
}

/* ---- statistics ---- */

int sqlite_backend_stats(struct sqlite_backend *backend, size_t digest_size, struct entry_stats *out)
{
    sqlite3_stmt *stmt = NULL;

    memset(out, 0, sizeof *out);
    int rc = sqlite3_prepare_v2(backend->db,
                                "SELECT length(key), count(*), sum(length(key) + length(value)) "
                                "FROM entries GROUP BY length(key)",
                                -1, &stmt, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        uint64_t key_len = (uint64_t)sqlite3_column_int64(stmt, 0);
        uint64_t entries = (uint64_t)sqlite3_column_int64(stmt, 1);
        uint64_t bytes = (uint64_t)sqlite3_column_int64(stmt, 2);
        if (key_len == digest_size) {
            out->nodes += entries;
            out->node_bytes += bytes;
        } else if (key_len == digest_size + 1) {
            out->counts += entries;
            out->count_bytes += bytes;
        } else {
            out->others += entries;
            out->other_bytes += bytes;
        }
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
        return database_error(backend, "counting the entries");
    return CLI_EXIT_OK;
}
