#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "hex.h"
#include "keyfile.h"

#define DEFAULT_CHUNK_SIZE 256
#define DEFAULT_WINDOW_SIZE 48
#define DEFAULT_SEED 0

/* Content whose digest under the store key is the key check value. It fits in one leaf
 * for every accepted chunk size, so its digest is the MAC or SIV tag of the label at
 * height 0, which depends on the key and reveals nothing about it. */
static const char KEY_CHECK_LABEL[] = "seccs command-line key check, version 1";

/* Maximum digest size of the wrappers (SHA-256 and HMAC-SHA-256), in bytes. */
#define MAX_DIGEST_SIZE 32
/* Maximum content reference size: digest plus 8 length bytes. */
#define MAX_REFERENCE_SIZE (MAX_DIGEST_SIZE + 8)

static const char *const WRAPPER_NAMES[] = {
    [SECCS_WRAPPER_SHA_256] = "SHA_256",
    [SECCS_WRAPPER_HMAC_SHA_256] = "HMAC_SHA_256",
    [SECCS_WRAPPER_HMAC_SHA_256_DISTINGUISHED_ROOT] = "HMAC_SHA_256_DISTINGUISHED_ROOT",
    [SECCS_WRAPPER_AES_SIV_256] = "AES_SIV_256",
    [SECCS_WRAPPER_AES_SIV_256_DISTINGUISHED_ROOT] = "AES_SIV_256_DISTINGUISHED_ROOT",
};
#define WRAPPER_COUNT (sizeof WRAPPER_NAMES / sizeof WRAPPER_NAMES[0])

/* ---- configuration values ---- */

void store_options_init(struct store_options *options)
{
    memset(options, 0, sizeof *options);
    options->config.chunk_size = DEFAULT_CHUNK_SIZE;
    options->config.wrapper = SECCS_WRAPPER_AES_SIV_256;
    options->config.chunking = SECCS_CHUNKING_RABIN_KARP;
    options->config.window_size = DEFAULT_WINDOW_SIZE;
    options->config.seed = DEFAULT_SEED;
}

const char *wrapper_name(seccs_wrapper wrapper)
{
    if ((size_t)wrapper < WRAPPER_COUNT)
        return WRAPPER_NAMES[wrapper];
    return "(unknown wrapper)";
}

bool wrapper_is_keyed(seccs_wrapper wrapper)
{
    return wrapper != SECCS_WRAPPER_SHA_256;
}

static bool wrapper_is_aes_siv(seccs_wrapper wrapper)
{
    return wrapper == SECCS_WRAPPER_AES_SIV_256
           || wrapper == SECCS_WRAPPER_AES_SIV_256_DISTINGUISHED_ROOT;
}

size_t wrapper_digest_size(seccs_wrapper wrapper)
{
    return wrapper_is_aes_siv(wrapper) ? 16 : 32;
}

/* Parses a decimal number without sign or spaces that is at most `max`. */
static bool parse_decimal(const char *text, uint64_t max, uint64_t *value)
{
    if (text == NULL || !isdigit((unsigned char)text[0]))
        return false;

    char *end = NULL;
    errno = 0;
    unsigned long long parsed = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || parsed > max)
        return false;
    *value = parsed;
    return true;
}

/* Parses a wrapper name in any case, with '-' or '_' between the words. */
static bool parse_wrapper(const char *text, seccs_wrapper *wrapper)
{
    char normalized[64];
    size_t len = strlen(text);

    if (len >= sizeof normalized)
        return false;
    for (size_t i = 0; i <= len; i++)
        normalized[i] = text[i] == '-' ? '_' : (char)toupper((unsigned char)text[i]);

    for (size_t i = 0; i < WRAPPER_COUNT; i++) {
        if (strcmp(normalized, WRAPPER_NAMES[i]) == 0) {
            *wrapper = (seccs_wrapper)i;
            return true;
        }
    }
    return false;
}

/* Parses "static", "rabin-karp" or "rabin-karp:WINDOW:SEED" into `config`. */
static bool parse_chunking(const char *text, struct store_config *config)
{
    static const char rabin_karp[] = "rabin-karp";
    const size_t prefix_len = sizeof rabin_karp - 1;

    if (strcmp(text, "static") == 0) {
        config->chunking = SECCS_CHUNKING_STATIC;
        config->window_size = DEFAULT_WINDOW_SIZE;
        config->seed = DEFAULT_SEED;
        return true;
    }
    if (strncmp(text, rabin_karp, prefix_len) != 0)
        return false;

    config->chunking = SECCS_CHUNKING_RABIN_KARP;
    if (text[prefix_len] == '\0') {
        config->window_size = DEFAULT_WINDOW_SIZE;
        config->seed = DEFAULT_SEED;
        return true;
    }
    if (text[prefix_len] != ':')
        return false;

    /* Split "WINDOW:SEED" on its one colon. */
    char parameters[64];
    if (strlen(text + prefix_len + 1) >= sizeof parameters)
        return false;
    strcpy(parameters, text + prefix_len + 1);
    char *colon = strchr(parameters, ':');
    if (colon == NULL)
        return false;
    *colon = '\0';

    uint64_t window_size = 0;
    uint64_t seed = 0;
    if (!parse_decimal(parameters, UINT32_MAX, &window_size)
        || !parse_decimal(colon + 1, UINT32_MAX, &seed))
        return false;
    config->window_size = (uint32_t)window_size;
    config->seed = (uint32_t)seed;
    return true;
}

void chunking_format(const struct store_config *config, char *out, size_t out_size)
{
    if (config->chunking == SECCS_CHUNKING_STATIC)
        snprintf(out, out_size, "static");
    else
        snprintf(out, out_size, "rabin-karp:%" PRIu32 ":%" PRIu32, config->window_size,
                 config->seed);
}

int store_options_set_chunk_size(struct store_options *options, const char *text)
{
    if (!parse_decimal(text, UINT64_MAX, &options->config.chunk_size)
        || options->config.chunk_size == 0)
        return cli_error(CLI_EXIT_USAGE, "invalid --chunk-size '%s': give a positive number of "
                         "bytes, for example 256 (the default)", text);
    options->has_chunk_size = true;
    return CLI_EXIT_OK;
}

int store_options_set_wrapper(struct store_options *options, const char *text)
{
    if (!parse_wrapper(text, &options->config.wrapper))
        return cli_error(CLI_EXIT_USAGE, "invalid --wrapper '%s': choose one of SHA_256, "
                         "HMAC_SHA_256, HMAC_SHA_256_DISTINGUISHED_ROOT, AES_SIV_256 (the "
                         "default), AES_SIV_256_DISTINGUISHED_ROOT", text);
    options->has_wrapper = true;
    return CLI_EXIT_OK;
}

int store_options_set_chunking(struct store_options *options, const char *text)
{
    if (!parse_chunking(text, &options->config))
        return cli_error(CLI_EXIT_USAGE, "invalid --chunking '%s': use rabin-karp (window 48, "
                         "seed 0), rabin-karp:WINDOW:SEED or static", text);
    options->has_chunking = true;
    return CLI_EXIT_OK;
}

void store_options_set_exact_counts(struct store_options *options)
{
    options->config.exact_counts = true;
    options->has_exact_counts = true;
}

/* Stores made without --exact-counts keep the value they always had, so they open as
 * before. */
static const char REFCOUNT_KEY_SUFFIX[] = "key-suffix";
static const char REFCOUNT_KEY_SUFFIX_EXACT[] = "key-suffix-exact";

const char *reference_counting_name(const struct store_config *config)
{
    return config->exact_counts ? REFCOUNT_KEY_SUFFIX_EXACT : REFCOUNT_KEY_SUFFIX;
}

/* ---- libseccs stores ---- */

static void fill_seccs_config(const struct store_config *config, const struct store_key *key,
                              seccs_config *out)
{
    seccs_config_init(out);
    out->chunk_size = config->chunk_size;
    out->wrapper = config->wrapper;
    out->chunking = config->chunking;
    out->window_size = config->window_size;
    out->seed = config->seed;
    out->refcount = SECCS_REFCOUNT_KEY_SUFFIX;
    out->exact_reference_counts = config->exact_counts;
    if (key != NULL) {
        out->key = key->bytes;
        out->key_len = key->len;
    }
}

/* Creates a libseccs store over a new in-memory backend. */
static seccs_status new_memory_store(const seccs_config *config, seccs_store **out)
{
    seccs_backend backend;
    seccs_status status = seccs_memory_backend_new(&backend);
    if (status != SECCS_OK)
        return status;

    status = seccs_new(config, &backend, out);
    /* On failure the backend still belongs to us. */
    if (status != SECCS_OK && backend.destroy != NULL)
        backend.destroy(backend.ctx);
    return status;
}

/* Computes the key check value: the hex digest of KEY_CHECK_LABEL stored under `key`
 * with `wrapper`. `out` has room for 2 * MAX_DIGEST_SIZE + 1 characters. */
static int compute_key_check(seccs_wrapper wrapper, const struct store_key *key, char *out)
{
    seccs_config config;
    seccs_store *store = NULL;
    uint8_t reference[MAX_REFERENCE_SIZE];

    /* The defaults are fine for chunking and chunk size: the label fits in one leaf. */
    seccs_config_init(&config);
    config.wrapper = wrapper;
    config.key = key->bytes;
    config.key_len = key->len;

    seccs_status status = new_memory_store(&config, &store);
    if (status != SECCS_OK)
        return cli_status_error(status, "invalid key for %s", wrapper_name(wrapper));

    size_t reference_size = seccs_reference_size(store);
    status = seccs_put(store, (const uint8_t *)KEY_CHECK_LABEL, sizeof KEY_CHECK_LABEL - 1,
                       true, reference, sizeof reference, NULL);
    seccs_free(store);
    if (status != SECCS_OK)
        return cli_status_error(status, "cannot compute the key check value");

    hex_encode(reference, reference_size - 8, out);
    return CLI_EXIT_OK;
}

/* Returns "PATH.key", malloc'd. */
static char *default_key_path(const char *store_path)
{
    size_t size = strlen(store_path) + sizeof ".key";
    char *path = malloc(size);
    if (path != NULL)
        snprintf(path, size, "%s.key", store_path);
    return path;
}

static bool path_exists(const char *path)
{
    struct stat info;
    return lstat(path, &info) == 0;
}

/* ---- creating a store ---- */

/* Records `config` and the key check value in the new database at `path`. */
static int write_new_database(const char *path, const struct store_config *config,
                              const char *key_check)
{
    struct sqlite_backend *db = NULL;
    int code = sqlite_backend_create(path, &db);
    if (code != CLI_EXIT_OK)
        return code;

    char number[32];
    char chunking[64];
    code = sqlite_backend_begin_write(db);
    if (code == CLI_EXIT_OK) {
        snprintf(number, sizeof number, "%" PRIu64, config->chunk_size);
        code = sqlite_backend_config_set(db, "chunk_size", number);
    }
    if (code == CLI_EXIT_OK)
        code = sqlite_backend_config_set(db, "wrapper", wrapper_name(config->wrapper));
    if (code == CLI_EXIT_OK) {
        snprintf(chunking, sizeof chunking, "%s",
                 config->chunking == SECCS_CHUNKING_STATIC ? "static" : "rabin-karp");
        code = sqlite_backend_config_set(db, "chunking", chunking);
    }
    if (code == CLI_EXIT_OK && config->chunking == SECCS_CHUNKING_RABIN_KARP) {
        snprintf(number, sizeof number, "%" PRIu32, config->window_size);
        code = sqlite_backend_config_set(db, "window_size", number);
        snprintf(number, sizeof number, "%" PRIu32, config->seed);
        if (code == CLI_EXIT_OK)
            code = sqlite_backend_config_set(db, "seed", number);
    }
    if (code == CLI_EXIT_OK)
        code = sqlite_backend_config_set(db, "reference_counting",
                                          reference_counting_name(config));
    if (code == CLI_EXIT_OK && key_check != NULL)
        code = sqlite_backend_config_set(db, "key_check", key_check);
    if (code == CLI_EXIT_OK)
        code = sqlite_backend_config_set(db, "created_with", seccs_version());
    if (code == CLI_EXIT_OK)
        code = sqlite_backend_commit(db);
    else
        sqlite_backend_rollback(db);

    sqlite_backend_close(db);
    return code;
}

/* Picks the key of a new store: the existing --key-file, or a new random key that the
 * caller must write to creation->key_path. */
static int choose_new_key(const char *path, const struct store_options *options,
                          struct store_key *key, struct store_creation *creation)
{
    creation->key_path = options->key_file ? strdup(options->key_file) : default_key_path(path);
    if (creation->key_path == NULL)
        return cli_error(CLI_EXIT_IO, "out of memory");

    if (path_exists(creation->key_path)) {
        /* Reusing a key must be asked for: a stray PATH.key may belong to a deleted store. */
        if (options->key_file == NULL)
            return cli_error(CLI_EXIT_USAGE, "key file %s already exists: pass --key-file %s "
                             "to use that key, or delete it", creation->key_path,
                             creation->key_path);
        return key_file_read(creation->key_path, key);
    }

    creation->key_generated = true;
    return key_generate(key);
}

/* Checks that libseccs accepts the configuration, so that a bad option fails at init
 * and not at the first put. */
static int validate_config(const struct store_config *config, const struct store_key *key)
{
    seccs_config library_config;
    seccs_store *store = NULL;

    fill_seccs_config(config, key, &library_config);
    seccs_status status = new_memory_store(&library_config, &store);
    /* libseccs's message offers a custom level-size function, which seccs has no option
     * for. */
    if (status == SECCS_UNSUPPORTED_CHUNK_SIZE) {
        size_t digest_size = wrapper_digest_size(config->wrapper);
        return cli_error(CLI_EXIT_USAGE, "invalid --chunk-size %" PRIu64 ": wrapper %s needs "
                         "a chunk size of at least %zu bytes (twice its %zu-byte digest); "
                         "choose %zu or more, for example 256 (the default)",
                         config->chunk_size, wrapper_name(config->wrapper), 2 * digest_size,
                         digest_size, 2 * digest_size);
    }
    if (status != SECCS_OK)
        return cli_status_error(status, "invalid store configuration");
    seccs_free(store);
    return CLI_EXIT_OK;
}

/* Removes a database file that was never published, with SQLite's side files. */
static void remove_database_files(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char side_path[4096];

    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(side_path, sizeof side_path, "%s%s", path, suffixes[i]);
        unlink(side_path);
    }
}

int store_create(const char *path, const struct store_options *options,
                 struct store_creation *creation)
{
    const struct store_config *config = &options->config;
    struct store_key key = {.len = 0};
    char key_check[2 * MAX_DIGEST_SIZE + 1];
    char side_path[4096];
    int code = CLI_EXIT_OK;

    memset(creation, 0, sizeof *creation);
    if (strlen(path) + sizeof "-journal.init-XXXXXX" > sizeof side_path)
        return cli_error(CLI_EXIT_USAGE, "store path %s is too long", path);

    /* Reject an existing store, and a leftover WAL too, because SQLite would replay it
     * into the new database. */
    if (path_exists(path))
        return cli_error(CLI_EXIT_USAGE, "store %s already exists: choose another path, or "
                         "delete it (with %s-wal and %s-shm) to start over", path, path, path);
    snprintf(side_path, sizeof side_path, "%s-wal", path);
    if (path_exists(side_path))
        return cli_error(CLI_EXIT_USAGE, "%s is left over from a deleted store: delete it, or "
                         "choose another store path", side_path);

    if (!wrapper_is_keyed(config->wrapper) && options->key_file != NULL)
        return cli_error(CLI_EXIT_USAGE, "--key-file %s given, but wrapper SHA_256 takes no "
                         "key: drop --key-file, or choose a keyed --wrapper", options->key_file);

    if (wrapper_is_keyed(config->wrapper)) {
        code = choose_new_key(path, options, &key, creation);
        if (code == CLI_EXIT_OK)
            code = compute_key_check(config->wrapper, &key, key_check);
    }
    if (code == CLI_EXIT_OK)
        code = validate_config(config, wrapper_is_keyed(config->wrapper) ? &key : NULL);

    /* Build the database under a temporary name and publish it with link(), which fails
     * instead of replacing a store that appeared meanwhile. */
    snprintf(side_path, sizeof side_path, "%s.init-XXXXXX", path);
    bool temp_created = false;
    if (code == CLI_EXIT_OK) {
        int fd = mkstemp(side_path);
        if (fd < 0)
            code = cli_error(CLI_EXIT_IO, "cannot create store %s: %s", path, strerror(errno));
        else
            close(fd);
        temp_created = fd >= 0;
    }
    if (code == CLI_EXIT_OK)
        code = write_new_database(side_path, config,
                                  wrapper_is_keyed(config->wrapper) ? key_check : NULL);

    /* The key goes to disk before the store appears, so a store never lacks its key. */
    bool key_written = false;
    if (code == CLI_EXIT_OK && creation->key_generated) {
        code = key_file_create(creation->key_path, &key);
        key_written = code == CLI_EXIT_OK;
    }
    if (code == CLI_EXIT_OK && link(side_path, path) != 0) {
        if (errno == EEXIST)
            code = cli_error(CLI_EXIT_USAGE, "store %s already exists: choose another path",
                             path);
        else
            code = cli_error(CLI_EXIT_IO, "cannot create store %s: %s", path, strerror(errno));
    }

    if (temp_created)
        remove_database_files(side_path);
    if (code != CLI_EXIT_OK && key_written)
        unlink(creation->key_path);
    key_wipe(&key);
    return code;
}

/* ---- opening a store ---- */

/* Reports a missing or invalid configuration row. A store that seccs created always
 * has valid rows, so a bad one means the database was altered. */
static int invalid_config(const char *path, const char *name, const char *value)
{
    if (value == NULL)
        return cli_error(CLI_EXIT_INTEGRITY, "store %s has no '%s' in its configuration: the "
                         "database was altered; restore it from a backup", path, name);
    return cli_error(CLI_EXIT_INTEGRITY, "store %s has an invalid %s '%s' in its "
                     "configuration: the database was altered; restore it from a backup",
                     path, name, value);
}

static int read_number(struct store *store, const char *name, uint64_t max, uint64_t *value)
{
    char *text = NULL;
    int code = sqlite_backend_config_get(store->db, name, &text);
    if (code == CLI_EXIT_OK && !parse_decimal(text, max, value))
        code = invalid_config(store->path, name, text);
    free(text);
    return code;
}

static int load_config(struct store *store, char **key_check)
{
    struct store_config *config = &store->config;
    uint64_t number = 0;
    char *text = NULL;

    int code = read_number(store, "chunk_size", UINT64_MAX, &config->chunk_size);
    if (code != CLI_EXIT_OK)
        return code;

    code = sqlite_backend_config_get(store->db, "wrapper", &text);
    if (code == CLI_EXIT_OK && (text == NULL || !parse_wrapper(text, &config->wrapper)))
        code = invalid_config(store->path, "wrapper", text);
    free(text);
    if (code != CLI_EXIT_OK)
        return code;

    code = sqlite_backend_config_get(store->db, "chunking", &text);
    if (code == CLI_EXIT_OK && text != NULL && strcmp(text, "static") == 0) {
        config->chunking = SECCS_CHUNKING_STATIC;
        config->window_size = DEFAULT_WINDOW_SIZE;
        config->seed = DEFAULT_SEED;
    } else if (code == CLI_EXIT_OK && text != NULL && strcmp(text, "rabin-karp") == 0) {
        config->chunking = SECCS_CHUNKING_RABIN_KARP;
        code = read_number(store, "window_size", UINT32_MAX, &number);
        config->window_size = (uint32_t)number;
        if (code == CLI_EXIT_OK)
            code = read_number(store, "seed", UINT32_MAX, &number);
        config->seed = (uint32_t)number;
    } else if (code == CLI_EXIT_OK) {
        code = invalid_config(store->path, "chunking", text);
    }
    free(text);
    if (code != CLI_EXIT_OK)
        return code;

    code = sqlite_backend_config_get(store->db, "reference_counting", &text);
    if (code == CLI_EXIT_OK && text != NULL && strcmp(text, REFCOUNT_KEY_SUFFIX) == 0)
        config->exact_counts = false;
    else if (code == CLI_EXIT_OK && text != NULL && strcmp(text, REFCOUNT_KEY_SUFFIX_EXACT) == 0)
        config->exact_counts = true;
    else if (code == CLI_EXIT_OK)
        code = invalid_config(store->path, "reference_counting", text);
    free(text);
    if (code != CLI_EXIT_OK)
        return code;

    *key_check = NULL;
    if (!wrapper_is_keyed(config->wrapper))
        return CLI_EXIT_OK;
    code = sqlite_backend_config_get(store->db, "key_check", key_check);
    if (code == CLI_EXIT_OK && *key_check == NULL)
        code = invalid_config(store->path, "key_check", NULL);
    return code;
}

/* Rejects command-line options that differ from the store's configuration. */
static int check_options(const struct store *store, const struct store_options *options)
{
    const struct store_config *stored = &store->config;
    const struct store_config *given = &options->config;

    if (options->has_chunk_size && given->chunk_size != stored->chunk_size)
        return cli_error(CLI_EXIT_USAGE, "--chunk-size %" PRIu64 " contradicts the chunk size "
                         "%" PRIu64 " of store %s: drop the option, the store records its "
                         "configuration", given->chunk_size, stored->chunk_size, store->path);
    if (options->has_wrapper && given->wrapper != stored->wrapper)
        return cli_error(CLI_EXIT_USAGE, "--wrapper %s contradicts the wrapper %s of store %s: "
                         "drop the option, the store records its configuration",
                         wrapper_name(given->wrapper), wrapper_name(stored->wrapper),
                         store->path);

    char given_chunking[64];
    char stored_chunking[64];
    chunking_format(given, given_chunking, sizeof given_chunking);
    chunking_format(stored, stored_chunking, sizeof stored_chunking);
    if (options->has_chunking && strcmp(given_chunking, stored_chunking) != 0)
        return cli_error(CLI_EXIT_USAGE, "--chunking %s contradicts the chunking %s of store "
                         "%s: drop the option, the store records its configuration",
                         given_chunking, stored_chunking, store->path);

    /* The option only turns exact counts on, so it can only contradict a store without. */
    if (options->has_exact_counts && given->exact_counts != stored->exact_counts)
        return cli_error(CLI_EXIT_USAGE, "--exact-counts (reference counting %s) contradicts "
                         "the reference counting %s of store %s: drop the option, the store "
                         "records its configuration", reference_counting_name(given),
                         reference_counting_name(stored), store->path);

    if (options->key_file != NULL && !wrapper_is_keyed(stored->wrapper))
        return cli_error(CLI_EXIT_USAGE, "--key-file %s given, but store %s uses wrapper "
                         "SHA_256, which takes no key: drop --key-file", options->key_file,
                         store->path);
    return CLI_EXIT_OK;
}

/* Reads the store's key and compares its check value with the recorded one. */
static int load_key(const struct store *store, const struct store_options *options,
                    const char *key_check, struct store_key *key)
{
    char *default_path = NULL;
    const char *key_path = options->key_file;
    if (key_path == NULL) {
        default_path = default_key_path(store->path);
        if (default_path == NULL)
            return cli_error(CLI_EXIT_IO, "out of memory");
        key_path = default_path;
    }

    int code = key_file_read(key_path, key);
    char computed[2 * MAX_DIGEST_SIZE + 1] = "";
    /* A key of another length cannot be this store's: report a wrong key file rather
     * than the invalid argument that libseccs would return. */
    if (code == CLI_EXIT_OK && wrapper_is_aes_siv(store->config.wrapper)
        && key->len != STORE_KEY_GENERATED_SIZE) {
        code = cli_error(CLI_EXIT_INTEGRITY, "wrong key file %s: it holds %zu bytes, but store "
                         "%s uses %s with a 32-byte key; pass the store's key file with "
                         "--key-file", key_path, key->len, store->path,
                         wrapper_name(store->config.wrapper));
    }
    if (code == CLI_EXIT_OK)
        code = compute_key_check(store->config.wrapper, key, computed);
    if (code == CLI_EXIT_OK && strcmp(computed, key_check) != 0)
        code = cli_error(CLI_EXIT_INTEGRITY, "wrong key file %s: it does not hold the key that "
                         "store %s was created with (the key check value differs); pass the "
                         "store's key file with --key-file", key_path, store->path);

    if (code != CLI_EXIT_OK)
        key_wipe(key);
    free(default_path);
    return code;
}

int store_open(const char *path, const struct store_options *options, bool config_only,
               struct store *out)
{
    struct store_key key = {.len = 0};
    char *key_check = NULL;

    memset(out, 0, sizeof *out);
    out->path = strdup(path);
    if (out->path == NULL)
        return cli_error(CLI_EXIT_IO, "out of memory");

    int code = sqlite_backend_open(path, &out->db);
    if (code == CLI_EXIT_OK)
        code = load_config(out, &key_check);
    if (code == CLI_EXIT_OK)
        code = check_options(out, options);
    out->digest_size = wrapper_digest_size(out->config.wrapper);
    out->reference_size = out->digest_size + 8;
    bool key_needed = !config_only || options->key_file != NULL;
    if (code == CLI_EXIT_OK && key_needed && wrapper_is_keyed(out->config.wrapper))
        code = load_key(out, options, key_check, &key);

    if (code == CLI_EXIT_OK && !config_only) {
        seccs_config config;
        seccs_backend backend;
        fill_seccs_config(&out->config, wrapper_is_keyed(out->config.wrapper) ? &key : NULL,
                          &config);
        sqlite_backend_vtable(out->db, &backend);
        seccs_status status = seccs_new(&config, &backend, &out->seccs);
        if (status == SECCS_UNSUPPORTED_CHUNK_SIZE) {
            /* init rejects such a chunk size, so only an altered configuration row has one. */
            char chunk_size[32];
            snprintf(chunk_size, sizeof chunk_size, "%" PRIu64, out->config.chunk_size);
            code = invalid_config(path, "chunk_size", chunk_size);
        } else if (status != SECCS_OK) {
            code = cli_status_error(status, "cannot open store %s", path);
        } else if (seccs_reference_size(out->seccs) != out->reference_size) {
            code = cli_error(CLI_EXIT_INTERNAL, "libseccs reports references of %zu bytes "
                             "for %s, but seccs expects %zu: rebuild seccs against this "
                             "libseccs", seccs_reference_size(out->seccs),
                             wrapper_name(out->config.wrapper), out->reference_size);
        }
    }

    key_wipe(&key);
    free(key_check);
    if (code != CLI_EXIT_OK)
        store_close(out);
    return code;
}

void store_close(struct store *store)
{
    /* The libseccs store calls into the database, so it goes first. */
    seccs_free(store->seccs);
    sqlite_backend_close(store->db);
    free(store->path);
    memset(store, 0, sizeof *store);
}

int store_parse_reference(const struct store *store, const char *text, uint8_t *out)
{
    size_t len = strlen(text);

    if (len != 2 * store->reference_size || hex_decode(text, len, out) != 0)
        return cli_error(CLI_EXIT_USAGE, "invalid content reference '%.100s%s': store %s takes "
                         "references of %zu hex digits, as 'seccs put' prints them", text,
                         len > 100 ? "..." : "", store->path, 2 * store->reference_size);
    return CLI_EXIT_OK;
}
