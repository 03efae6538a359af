/* Commands on a whole store: init, check, stats. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "diag.h"
#include "fileio.h"
#include "hex.h"
#include "progress.h"

int command_init(const struct command_args *args)
{
    if (args->operand_count != 1)
        return cli_error(CLI_EXIT_USAGE, "init needs exactly one store path: seccs init STORE "
                         "(see 'seccs init --help')");

    const char *path = args->operands[0];
    const struct store_config *config = &args->store.config;
    struct store_creation creation;
    int code = store_create(path, &args->store, &creation);

    if (code == CLI_EXIT_OK) {
        char chunking[64];
        chunking_format(config, chunking, sizeof chunking);
        printf("created store %s: wrapper %s, chunk size %" PRIu64 ", chunking %s%s\n", path,
               wrapper_name(config->wrapper), config->chunk_size, chunking,
               config->exact_counts ? ", exact reference counts" : "");
        if (creation.key_generated)
            printf("wrote a new key to %s: keep a copy in a safe place, without it the "
                   "contents cannot be read\n", creation.key_path);
        else if (creation.key_path != NULL)
            printf("using the key in %s\n", creation.key_path);
    }
    free(creation.key_path);
    return code;
}

/* ---- check ---- */

/* Maximum digest size of the wrappers (SHA-256 and HMAC-SHA-256), in bytes. */
#define MAX_DIGEST_SIZE 32

/* The references of a --refs file, with the line each came from. */
struct held_refs {
    const char *path;      /* as given; "-" is standard input */
    uint8_t *refs;         /* count references of reference_size bytes, back to back */
    size_t *lines;         /* line number of each reference */
    size_t count;
};

static void held_refs_free(struct held_refs *held)
{
    free(held->refs);
    free(held->lines);
    memset(held, 0, sizeof *held);
}

/* Parses the held references: one per line, each line starting with a reference in hex.
 * The rest of a line is ignored, so the output of 'seccs put' serves as is. Empty lines
 * and lines starting with '#' are skipped. */
static int parse_refs_file(const struct store *store, const char *path, struct held_refs *held)
{
    memset(held, 0, sizeof *held);
    held->path = path;

    struct byte_buffer text;
    int code = read_input(path, NULL, &text);
    if (code != CLI_EXIT_OK)
        return code;

    size_t capacity = 16;
    held->refs = malloc(capacity * store->reference_size);
    held->lines = malloc(capacity * sizeof *held->lines);
    if (held->refs == NULL || held->lines == NULL)
        code = cli_error(CLI_EXIT_IO, "out of memory reading %s", path);

    size_t line_start = 0;
    size_t line_number = 0;
    while (code == CLI_EXIT_OK && line_start < text.len) {
        size_t line_end = line_start;
        while (line_end < text.len && text.data[line_end] != '\n')
            line_end++;
        line_number++;

        const char *line = (const char *)text.data + line_start;
        const char *line_stop = (const char *)text.data + line_end;
        while (line < line_stop && isspace((unsigned char)*line))
            line++;
        size_t word_len = 0;
        while (line + word_len < line_stop && !isspace((unsigned char)line[word_len]))
            word_len++;
        line_start = line_end + 1;
        if (word_len == 0 || line[0] == '#')
            continue;

        if (held->count == capacity) {
            capacity *= 2;
            uint8_t *grown = realloc(held->refs, capacity * store->reference_size);
            if (grown != NULL)
                held->refs = grown;
            size_t *grown_lines = realloc(held->lines, capacity * sizeof *held->lines);
            if (grown_lines != NULL)
                held->lines = grown_lines;
            if (grown == NULL || grown_lines == NULL) {
                code = cli_error(CLI_EXIT_IO, "out of memory reading %s", path);
                break;
            }
        }
        if (word_len != 2 * store->reference_size
            || hex_decode(line, word_len, held->refs + held->count * store->reference_size) != 0) {
            code = cli_error(CLI_EXIT_USAGE, "invalid content reference '%.*s' on line %zu of "
                             "%s: store %s takes references of %zu hex digits, as 'seccs put' "
                             "prints them", (int)(word_len > 100 ? 100 : word_len), line,
                             line_number, path, store->path, 2 * store->reference_size);
            break;
        }
        held->lines[held->count] = line_number;
        held->count++;
    }

    byte_buffer_free(&text);
    if (code != CLI_EXIT_OK)
        held_refs_free(held);
    return code;
}

/* Held references whose root node is not in the store: contents that were deleted (or
 * never stored here) but are still listed in the references file. */
struct unstored_refs {
    bool *is_unstored;     /* one flag per held reference */
    size_t count;          /* held references (lines) without their root */
    uint64_t roots;        /* distinct root digests among them */
};

static int compare_digest_slots(const void *a, const void *b)
{
    return memcmp(a, b, MAX_DIGEST_SIZE);
}

/* Looks up the root node of every held reference. Runs in the check's transaction, so
 * that it sees the same snapshot as the check. */
static int find_unstored_refs(struct store *store, const struct held_refs *held,
                              struct unstored_refs *out)
{
    memset(out, 0, sizeof *out);
    if (held->count == 0)
        return CLI_EXIT_OK;

    out->is_unstored = calloc(held->count, sizeof *out->is_unstored);
    /* Each missing root is copied into a zero-padded slot, so that sorting can count the
     * distinct ones with a plain memcmp. */
    uint8_t *roots = calloc(held->count, MAX_DIGEST_SIZE);
    if (out->is_unstored == NULL || roots == NULL) {
        free(roots);
        return cli_error(CLI_EXIT_IO, "out of memory checking store %s", store->path);
    }

    int code = CLI_EXIT_OK;
    for (size_t i = 0; code == CLI_EXIT_OK && i < held->count; i++) {
        const uint8_t *reference = held->refs + i * store->reference_size;
        bool found = false;
        code = sqlite_backend_contains(store->db, reference, store->digest_size, &found);
        if (code == CLI_EXIT_OK && !found) {
            out->is_unstored[i] = true;
            memcpy(roots + out->count * MAX_DIGEST_SIZE, reference, store->digest_size);
            out->count++;
        }
    }

    if (code == CLI_EXIT_OK && out->count > 0) {
        qsort(roots, out->count, MAX_DIGEST_SIZE, compare_digest_slots);
        out->roots = 1;
        for (size_t i = 1; i < out->count; i++)
            out->roots += compare_digest_slots(roots + (i - 1) * MAX_DIGEST_SIZE,
                                               roots + i * MAX_DIGEST_SIZE) != 0;
    }
    free(roots);
    return code;
}

static void print_check_report(const seccs_check_report *report)
{
    printf("nodes: %" PRIu64 "\n", report->nodes_total);
    printf("reachable nodes: %" PRIu64 "\n", report->nodes_reachable);
    printf("orphan nodes: %" PRIu64 "\n", report->orphan_nodes);
    printf("wrong counts: %" PRIu64 "\n", report->wrong_counts);
    printf("orphan counts: %" PRIu64 "\n", report->orphan_counts);
    printf("missing nodes: %" PRIu64 "\n", report->missing_nodes);
    printf("corrupt nodes: %" PRIu64 "\n", report->corrupt_nodes);
    printf("repaired entries: %" PRIu64 "\n", report->repaired);
}

/* Lists the held references without their root on stdout and prints what to do. */
static void report_unstored_refs(const struct store *store, const struct held_refs *held,
                                 const struct unstored_refs *unstored)
{
    bool on_stdin = strcmp(held->path, "-") == 0;
    char reference_hex[2 * (MAX_DIGEST_SIZE + 8) + 1];

    for (size_t i = 0; i < held->count; i++) {
        if (!unstored->is_unstored[i])
            continue;
        hex_encode(held->refs + i * store->reference_size, store->reference_size,
                   reference_hex);
        printf("not stored: %s (line %zu of %s)\n", reference_hex, held->lines[i],
               on_stdin ? "standard input" : held->path);
    }

    bool one = unstored->count == 1;
    cli_error(CLI_EXIT_INTEGRITY, "%zu held reference%s %s%s %s not stored in %s (deleted, "
              "or never stored): remove %s from %s (see the 'not stored' lines) and run the "
              "check again", unstored->count, one ? "" : "s", on_stdin ? "on " : "in ",
              on_stdin ? "standard input" : held->path, one ? "is" : "are", store->path,
              one ? "it" : "them", on_stdin ? "that list" : held->path);
}

/* Prints the verdict line and returns the exit code: problems that remain make it 3. A
 * held reference whose root is not stored is reported before anything else, because
 * it is a stale line of the references file, not damage to the store.
 * NOTE: a missing root that another held content also lists as a child counts as stale
 * here. Once the stale line is removed, the next check reports that content as damaged. */
static int report_check_result(const struct store *store, const struct held_refs *held,
                               const struct unstored_refs *unstored,
                               const seccs_check_report *report, bool repair)
{
    uint64_t repairable = report->orphan_nodes + report->wrong_counts + report->orphan_counts;
    /* The check counts each missing root among its missing nodes, once per digest. */
    uint64_t missing = report->missing_nodes > unstored->roots
                           ? report->missing_nodes - unstored->roots : 0;
    uint64_t lost = missing + report->corrupt_nodes;

    if (unstored->count > 0)
        report_unstored_refs(store, held, unstored);

    if (lost > 0) {
        printf("result: damaged\n");
        return cli_error(CLI_EXIT_INTEGRITY, "store %s is damaged (missing nodes: %" PRIu64
                         ", corrupt nodes: %" PRIu64 "): held contents that use these nodes "
                         "cannot be read, and repair cannot bring them back; restore the "
                         "database from a backup", store->path, missing,
                         report->corrupt_nodes);
    }
    if (unstored->count > 0) {
        printf("result: refs-not-stored\n");
        if (repairable > 0 && !repair)
            cli_error(CLI_EXIT_INTEGRITY, "store %s also does not match the held references "
                      "(orphan nodes: %" PRIu64 ", wrong counts: %" PRIu64 ", orphan counts: %"
                      PRIu64 "): once the references are fixed, run the check again, with "
                      "--repair if they list every content you hold", store->path,
                      report->orphan_nodes, report->wrong_counts, report->orphan_counts);
        return CLI_EXIT_INTEGRITY;
    }
    if (repairable == 0) {
        printf("result: clean\n");
        return CLI_EXIT_OK;
    }
    if (repair) {
        printf("result: repaired\n");
        return CLI_EXIT_OK;
    }
    printf("result: repairable\n");
    return cli_error(CLI_EXIT_INTEGRITY, "store %s does not match the held references "
                     "(orphan nodes: %" PRIu64 ", wrong counts: %" PRIu64 ", orphan counts: %"
                     PRIu64 "): run the check again with --repair if the references file "
                     "lists every content you hold", store->path, report->orphan_nodes,
                     report->wrong_counts, report->orphan_counts);
}

int command_check(const struct command_args *args)
{
    if (args->operand_count != 1)
        return cli_error(CLI_EXIT_USAGE, "check needs exactly one store: seccs check STORE "
                         "[--refs FILE] [--repair] (see 'seccs check --help')");
    /* Without the held references every node counts as an orphan, and repair would
     * empty the store. */
    if (args->repair && args->refs == NULL)
        return cli_error(CLI_EXIT_USAGE, "--repair needs --refs FILE listing every content you "
                         "hold: without it, repair would delete every node");

    struct store store;
    int code = store_open(args->operands[0], &args->store, false, &store);
    struct held_refs held = {.path = NULL};
    if (code == CLI_EXIT_OK && args->refs != NULL)
        code = parse_refs_file(&store, args->refs, &held);
    if (code == CLI_EXIT_OK && args->refs == NULL)
        fprintf(stderr, "seccs: no --refs given, so no content counts as held and every node "
                        "is an orphan\n");

    seccs_check_report report;
    memset(&report, 0, sizeof report);
    struct unstored_refs unstored;
    memset(&unstored, 0, sizeof unstored);
    if (code == CLI_EXIT_OK)
        code = args->repair ? sqlite_backend_begin_write(store.db)
                            : sqlite_backend_begin_read(store.db);
    if (code == CLI_EXIT_OK) {
        code = find_unstored_refs(&store, &held, &unstored);
        if (code != CLI_EXIT_OK)
            sqlite_backend_rollback(store.db);
    }
    if (code == CLI_EXIT_OK) {
        struct progress progress;
        progress_start(&progress, "checking");
        sqlite_backend_set_progress(store.db, &progress);
        seccs_status status = seccs_check(store.seccs, held.refs, held.count, args->repair,
                                          &report);
        progress_finish(&progress);
        sqlite_backend_set_progress(store.db, NULL);

        if (status != SECCS_OK) {
            code = cli_status_error(status, "cannot check store %s%s", store.path,
                                    args->repair ? "; the store is unchanged" : "");
            sqlite_backend_rollback(store.db);
        } else if (args->repair) {
            code = sqlite_backend_commit(store.db);
        } else {
            sqlite_backend_rollback(store.db);
        }
    }

    if (code == CLI_EXIT_OK) {
        print_check_report(&report);
        code = report_check_result(&store, &held, &unstored, &report, args->repair);
    }
    free(unstored.is_unstored);
    held_refs_free(&held);
    store_close(&store);
    return code;
}

/* ---- stats ---- */

int command_stats(const struct command_args *args)
{
    if (args->operand_count != 1)
        return cli_error(CLI_EXIT_USAGE, "stats needs exactly one store: seccs stats STORE "
                         "(see 'seccs stats --help')");

    /* Counting entries needs no key, so stats works without the key file. */
    struct store store;
    int code = store_open(args->operands[0], &args->store, true, &store);
    struct entry_stats stats;
    char *created_with = NULL;
    if (code == CLI_EXIT_OK)
        code = sqlite_backend_begin_read(store.db);
    if (code == CLI_EXIT_OK) {
        code = sqlite_backend_stats(store.db, store.digest_size, &stats);
        if (code == CLI_EXIT_OK)
            code = sqlite_backend_config_get(store.db, "created_with", &created_with);
        sqlite_backend_rollback(store.db);
    }

    if (code == CLI_EXIT_OK) {
        char chunking[64];
        chunking_format(&store.config, chunking, sizeof chunking);
        printf("store: %s\n", store.path);
        printf("wrapper: %s\n", wrapper_name(store.config.wrapper));
        printf("chunk size: %" PRIu64 "\n", store.config.chunk_size);
        printf("chunking: %s\n", chunking);
        printf("reference counting: %s\n", reference_counting_name(&store.config));
        printf("created with: libseccs %s\n", created_with ? created_with : "(unknown)");
        printf("nodes: %" PRIu64 "\n", stats.nodes);
        printf("node bytes: %" PRIu64 "\n", stats.node_bytes);
        printf("reference counts: %" PRIu64 "\n", stats.counts);
        printf("reference count bytes: %" PRIu64 "\n", stats.count_bytes);
        printf("other entries: %" PRIu64 "\n", stats.others);
        printf("total bytes: %" PRIu64 "\n",
               stats.node_bytes + stats.count_bytes + stats.other_bytes);
    }
    free(created_with);
    store_close(&store);
    return code;
}
