/* Creating and opening a seccs store: its configuration, its key and the libseccs store
 * over its SQLite database.
 *
 * The config table of a store contains these rows (all text):
 *   chunk_size          target chunk size S in bytes, e.g. "256"
 *   wrapper             crypto wrapper name, e.g. "AES_SIV_256"
 *   chunking            "rabin-karp" or "static"
 *   window_size, seed   Rabin-Karp parameters (rabin-karp only)
 *   reference_counting  "key-suffix": counts live beside the nodes, under key + "r", as
 *                       the Python package seccs 0.0.5 keeps them. "key-suffix-exact"
 *                       (--exact-counts) keeps the same entries, but counts a superchunk
 *                       that occurs twice in one content exactly.
 *   key_check           keyed wrappers only: hex digest of a fixed label under the key
 *   created_with        libseccs version that created the store, for information
 */
#ifndef SECCS_CLI_STORE_H
#define SECCS_CLI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seccs.h"
#include "sqlite_backend.h"

struct store_config {
    uint64_t chunk_size;
    seccs_wrapper wrapper;
    seccs_chunking chunking;
    uint32_t window_size;   /* Rabin-Karp only */
    uint32_t seed;          /* Rabin-Karp only */
    bool exact_counts;      /* libseccs exact_reference_counts */
};

/* Configuration options from the command line. At init they set the configuration;
 * later they must agree with the configuration the store records. */
struct store_options {
    struct store_config config;
    bool has_chunk_size;
    bool has_wrapper;
    bool has_chunking;
    bool has_exact_counts;
    const char *key_file;   /* NULL: STORE.key */
};

/* Fills the defaults: chunk size 256, AES_SIV_256, Rabin-Karp window 48 seed 0. */
void store_options_init(struct store_options *options);

/* Parse the value of --chunk-size, --wrapper and --chunking (exit code 1 if invalid). */
int store_options_set_chunk_size(struct store_options *options, const char *text);
int store_options_set_wrapper(struct store_options *options, const char *text);
int store_options_set_chunking(struct store_options *options, const char *text);

/* Sets --exact-counts. */
void store_options_set_exact_counts(struct store_options *options);

/* Returns the reference counting as the config table records it, e.g. "key-suffix". */
const char *reference_counting_name(const struct store_config *config);

/* Returns the wrapper's name as libseccs and the Python package seccs spell it. */
const char *wrapper_name(seccs_wrapper wrapper);

/* Tells whether the wrapper needs a key. */
bool wrapper_is_keyed(seccs_wrapper wrapper);

/* Returns the wrapper's digest size R in bytes: 16 for AES-SIV, 32 for the others. */
size_t wrapper_digest_size(seccs_wrapper wrapper);

/* Formats the chunking as the --chunking option spells it, e.g. "rabin-karp:48:0". */
void chunking_format(const struct store_config *config, char *out, size_t out_size);

/* Outcome of store_create, for the command's report. */
struct store_creation {
    char *key_path;         /* malloc'd; NULL for unkeyed wrappers */
    bool key_generated;     /* a new key was written to key_path */
};

/* Creates a new store at `path` and, for a keyed wrapper without an existing
 * --key-file, a new key file. Never replaces an existing file. */
int store_create(const char *path, const struct store_options *options,
                 struct store_creation *creation);

/* An open store. */
struct store {
    char *path;
    struct sqlite_backend *db;
    seccs_store *seccs;
    struct store_config config;
    size_t digest_size;      /* R */
    size_t reference_size;   /* R + 8 bytes */
};

/* Opens the store at `path`: reads its configuration, rejects options that contradict
 * it, reads and checks the key and creates the libseccs store. With `config_only`, stops
 * after the configuration (and checks the key only if --key-file was given), leaving
 * out->seccs NULL: enough for commands that do not read contents. */
int store_open(const char *path, const struct store_options *options, bool config_only,
               struct store *out);

/* Frees the libseccs store and closes the database; a zeroed struct is a no-op. */
void store_close(struct store *store);

/* Parses a content reference in hex into `out`, which holds reference_size bytes. */
int store_parse_reference(const struct store *store, const char *text, uint8_t *out);

#endif
