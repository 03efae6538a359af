/* Commands on single contents: put, get, delete, verify. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "diag.h"
#include "fileio.h"
#include "hex.h"
#include "progress.h"

/* Maximum content reference size of the wrappers: a 32-byte digest and 8 length bytes. */
#define MAX_REFERENCE_SIZE 40

/* Stores one file in its own transaction and prints its line. */
static int put_file(struct store *store, const char *path)
{
    struct byte_buffer content;
    struct progress progress;
    char label[300];

    snprintf(label, sizeof label, "reading %s", path);
    progress_start(&progress, label);
    int code = read_input(path, &progress, &content);
    progress_finish(&progress);
    if (code != CLI_EXIT_OK)
        return code;

    snprintf(label, sizeof label, "storing %s", path);
    progress_start(&progress, label);
    sqlite_backend_set_progress(store->db, &progress);

    uint8_t reference[MAX_REFERENCE_SIZE];
    bool is_new = false;
    code = sqlite_backend_begin_write(store->db);
    if (code == CLI_EXIT_OK) {
        seccs_status status = seccs_put(store->seccs, content.data, content.len, false,
                                        reference, sizeof reference, &is_new);
        if (status != SECCS_OK) {
            progress_finish(&progress);
            code = cli_status_error(status, "cannot store %s in %s; the store is unchanged",
                                    path, store->path);
            sqlite_backend_rollback(store->db);
        } else {
            code = sqlite_backend_commit(store->db);
        }
    }
    sqlite_backend_set_progress(store->db, NULL);
    progress_finish(&progress);
    byte_buffer_free(&content);
    if (code != CLI_EXIT_OK)
        return code;

    char reference_hex[2 * MAX_REFERENCE_SIZE + 1];
    hex_encode(reference, store->reference_size, reference_hex);
    printf("%s\t%s\t%" PRId64 "\t%s\n", reference_hex, is_new ? "new" : "existing",
           sqlite_backend_growth(store->db), path);
    /* Each line stands for a committed content, so it goes out before the next file. */
    if (fflush(stdout) != 0)
        return cli_error(CLI_EXIT_IO, "cannot write to standard output");
    return CLI_EXIT_OK;
}

int command_put(const struct command_args *args)
{
    if (args->operand_count < 2)
        return cli_error(CLI_EXIT_USAGE, "put needs a store and at least one file: "
                         "seccs put STORE FILE... (see 'seccs put --help')");

    int stdin_uses = 0;
    for (int i = 1; i < args->operand_count; i++)
        stdin_uses += strcmp(args->operands[i], "-") == 0;
    if (stdin_uses > 1)
        return cli_error(CLI_EXIT_USAGE, "'-' (standard input) is named %d times: name it once",
                         stdin_uses);

    struct store store;
    int code = store_open(args->operands[0], &args->store, false, &store);
    /* The first failure stops the command; the lines printed so far name the files that
     * are stored. */
    for (int i = 1; code == CLI_EXIT_OK && i < args->operand_count; i++)
        code = put_file(&store, args->operands[i]);
    store_close(&store);
    return code;
}

int command_get(const struct command_args *args)
{
    if (args->operand_count != 2)
        return cli_error(CLI_EXIT_USAGE, "get needs a store and one reference: "
                         "seccs get STORE REF [-o OUT] (see 'seccs get --help')");

    struct store store;
    int code = store_open(args->operands[0], &args->store, false, &store);
    uint8_t reference[MAX_REFERENCE_SIZE];
    if (code == CLI_EXIT_OK)
        code = store_parse_reference(&store, args->operands[1], reference);

    struct progress progress;
    uint8_t *content = NULL;
    size_t content_len = 0;
    if (code == CLI_EXIT_OK)
        code = sqlite_backend_begin_read(store.db);
    if (code == CLI_EXIT_OK) {
        progress_start(&progress, "reading");
        sqlite_backend_set_progress(store.db, &progress);
        seccs_status status = seccs_get_alloc(store.seccs, reference, store.reference_size,
                                              &content, &content_len);
        progress_finish(&progress);
        sqlite_backend_set_progress(store.db, NULL);
        if (status != SECCS_OK)
            code = cli_status_error(status, "cannot read content %s", args->operands[1]);
        /* The read transaction only pinned a snapshot; ending it cannot lose anything. */
        sqlite_backend_rollback(store.db);
    }

    if (code == CLI_EXIT_OK) {
        if (args->output == NULL || strcmp(args->output, "-") == 0)
            code = write_stdout(content, content_len);
        else
            code = write_file_atomic(args->output, content, content_len);
    }

    if (content != NULL)
        seccs_buffer_free(content, content_len);
    store_close(&store);
    return code;
}

/* Explains a delete that found no reference count for the content's root, in the
 * CLI's terms: libseccs's message names its ignore_rc option, which seccs never uses. */
static int report_missing_count(struct store *store, const uint8_t *reference,
                                const char *reference_text)
{
    bool root_stored = false;
    int code = sqlite_backend_contains(store->db, reference, store->digest_size, &root_stored);
    if (code != CLI_EXIT_OK)
        return code;

    if (!root_stored)
        return cli_error(CLI_EXIT_NOT_FOUND, "cannot delete content %s: it is not stored in %s "
                         "(deleted already, or never stored), and the store is unchanged; if a "
                         "references file lists it, remove it there", reference_text,
                         store->path);
    /* Every seccs delete is one transaction, so it never leaves a root without its count. */
    return cli_error(CLI_EXIT_INTEGRITY, "cannot delete content %s from %s: its root node has no "
                     "reference count entry, so the database was altered; the store is "
                     "unchanged. Run 'seccs check %s --refs FILE --repair' with FILE listing "
                     "every content you hold to restore the count", reference_text,
                     store->path, store->path);
}

/* Deletes one reference in its own transaction and prints its line. */
static int delete_reference(struct store *store, const char *reference_text)
{
    uint8_t reference[MAX_REFERENCE_SIZE];
    int code = store_parse_reference(store, reference_text, reference);
    if (code != CLI_EXIT_OK)
        return code;

    struct progress progress;
    bool still_stored = false;
    progress_start(&progress, "deleting");
    sqlite_backend_set_progress(store->db, &progress);
    code = sqlite_backend_begin_write(store->db);
    if (code == CLI_EXIT_OK) {
        seccs_status status = seccs_delete(store->seccs, reference, store->reference_size, false);
        progress_finish(&progress);
        if (status == SECCS_MISSING_REFERENCE_COUNT)
            code = report_missing_count(store, reference, reference_text);
        else if (status != SECCS_OK)
            code = cli_status_error(status, "cannot delete content %s from %s; the store is "
                                    "unchanged", reference_text, store->path);
        /* The root survives when other puts of the same content still count on it. */
        if (code == CLI_EXIT_OK)
            code = sqlite_backend_contains(store->db, reference, store->digest_size,
                                           &still_stored);
        if (code == CLI_EXIT_OK)
            code = sqlite_backend_commit(store->db);
        else
            sqlite_backend_rollback(store->db);
    }
    sqlite_backend_set_progress(store->db, NULL);
    progress_finish(&progress);
    if (code != CLI_EXIT_OK)
        return code;

    printf("%s\t%s\t%" PRId64 "\n", reference_text, still_stored ? "still-stored" : "deleted",
           -sqlite_backend_growth(store->db));
    if (fflush(stdout) != 0)
        return cli_error(CLI_EXIT_IO, "cannot write to standard output");
    return CLI_EXIT_OK;
}

int command_delete(const struct command_args *args)
{
    if (args->operand_count < 2)
        return cli_error(CLI_EXIT_USAGE, "delete needs a store and at least one reference: "
                         "seccs delete STORE REF... (see 'seccs delete --help')");

    struct store store;
    int code = store_open(args->operands[0], &args->store, false, &store);
    for (int i = 1; code == CLI_EXIT_OK && i < args->operand_count; i++)
        code = delete_reference(&store, args->operands[i]);
    store_close(&store);
    return code;
}

static int verify_reference(struct store *store, const char *reference_text)
{
    uint8_t reference[MAX_REFERENCE_SIZE];
    int code = store_parse_reference(store, reference_text, reference);
    if (code == CLI_EXIT_OK)
        code = sqlite_backend_begin_read(store->db);
    if (code != CLI_EXIT_OK)
        return code;

    struct progress progress;
    progress_start(&progress, "verifying");
    sqlite_backend_set_progress(store->db, &progress);
    seccs_status status = seccs_verify(store->seccs, reference, store->reference_size);
    progress_finish(&progress);
    sqlite_backend_set_progress(store->db, NULL);
    if (status != SECCS_OK)
        code = cli_status_error(status, "content %s failed verification", reference_text);
    sqlite_backend_rollback(store->db);

    if (code == CLI_EXIT_OK)
        printf("%s\tok\n", reference_text);
    return code;
}

int command_verify(const struct command_args *args)
{
    if (args->operand_count < 2)
        return cli_error(CLI_EXIT_USAGE, "verify needs a store and at least one reference: "
                         "seccs verify STORE REF... (see 'seccs verify --help')");

    struct store store;
    int code = store_open(args->operands[0], &args->store, false, &store);
    if (code != CLI_EXIT_OK)
        return code;

    /* Verification only reads, so every reference is tried; the first failure decides
     * the exit code. */
    for (int i = 1; i < args->operand_count; i++) {
        int reference_code = verify_reference(&store, args->operands[i]);
        if (code == CLI_EXIT_OK)
            code = reference_code;
    }
    store_close(&store);
    return code;
}
