/* seccs: an encrypted, deduplicated, authenticated store of files in an SQLite database,
 * on top of libseccs. This file parses the command line and dispatches to commands.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "diag.h"
#include "seccs.h"

/* Options beyond the store options that a command accepts. */
enum {
    ACCEPTS_OUTPUT = 1 << 0,
    ACCEPTS_REFS = 1 << 1,
    ACCEPTS_REPAIR = 1 << 2
};

struct command {
    const char *name;
    int (*run)(const struct command_args *args);
    unsigned extra_options;
    const char *help;
};

#define STORE_OPTIONS_HELP                                                                    \
    "  --key-file PATH     key file of a keyed wrapper (default: STORE.key)\n"               \
    "  --chunk-size N      must match the store's chunk size, if given\n"                    \
    "  --wrapper NAME      must match the store's crypto wrapper, if given\n"                \
    "  --chunking SPEC     must match the store's chunking, if given\n"                      \
    "  --exact-counts      only accepted on a store created with it\n"                      \
    "  -h, --help          show this help\n"

static const struct command COMMANDS[] = {
    {"init", command_init, 0,
     "Usage: seccs init STORE [--chunk-size N] [--wrapper NAME] [--chunking SPEC]\n"
     "                        [--exact-counts] [--key-file PATH]\n"
     "\n"
     "Create a new, empty store: the SQLite database STORE, which records the\n"
     "configuration below, and for keyed wrappers a key file. An existing STORE is\n"
     "never replaced.\n"
     "\n"
     "  --chunk-size N      target chunk size S in bytes (default 256); at least twice\n"
     "                      the digest size: 32 for AES-SIV, 64 for the others\n"
     "  --wrapper NAME      crypto wrapper (default AES_SIV_256): SHA_256 (integrity\n"
     "                      only, no key), HMAC_SHA_256, HMAC_SHA_256_DISTINGUISHED_ROOT,\n"
     "                      AES_SIV_256, AES_SIV_256_DISTINGUISHED_ROOT (encrypted)\n"
     "  --chunking SPEC     rabin-karp (window 48 bytes, seed 0; the default),\n"
     "                      rabin-karp:WINDOW:SEED, or static (fixed-size chunks)\n"
     "  --exact-counts      count a superchunk that occurs twice in one content\n"
     "                      exactly, so deleting the content removes all its nodes.\n"
     "                      Off by default: the Python package seccs 0.0.5 counts the\n"
     "                      children of the second occurrence again and leaves them\n"
     "                      behind on delete, and only the default keeps the count\n"
     "                      entries byte-identical to that package's\n"
     "  --key-file PATH     use the key in PATH if it exists, else write a new random\n"
     "                      32-byte key there (default: a new key in STORE.key)\n"
     "  -h, --help          show this help\n"
     "\n"
     "The key file holds the raw key bytes and is created with mode 0600. Keep a copy:\n"
     "without the key no content can be read.\n"},
    {"put", command_put, 0,
     "Usage: seccs put STORE FILE... [OPTION]...\n"
     "\n"
     "Store each FILE ('-' reads standard input) in its own transaction and print one\n"
     "line per file, tab-separated:\n"
     "  REFERENCE  new|existing  GROWTH  FILE\n"
     "REFERENCE is the content reference in hex, the only way to read the content\n"
     "back. 'existing' means the same content was stored already. GROWTH is the number\n"
     "of bytes (keys plus values) the store grew by. Storing the same content twice\n"
     "needs two deletes to remove it. The first failure stops the command; the lines\n"
     "printed so far name the files that are stored.\n"
     "\n" STORE_OPTIONS_HELP},
    {"get", command_get, ACCEPTS_OUTPUT,
     "Usage: seccs get STORE REF [-o OUT] [OPTION]...\n"
     "\n"
     "Read the content with reference REF, verifying every node, and write it to\n"
     "standard output or to OUT. OUT is replaced atomically and only once the whole\n"
     "content has been read and verified.\n"
     "\n"
     "  -o, --output OUT    write to OUT instead of standard output\n" STORE_OPTIONS_HELP},
    {"delete", command_delete, 0,
     "Usage: seccs delete STORE REF... [OPTION]...\n"
     "\n"
     "Release one put of each content REF, each in its own transaction, and remove the\n"
     "nodes that no other content uses. Prints one line per reference, tab-separated:\n"
     "  REFERENCE  deleted|still-stored  FREED\n"
     "'still-stored' means other puts of the same content still hold it. FREED is the\n"
     "number of bytes the store shrank by. The first failure stops the command.\n"
     "\n" STORE_OPTIONS_HELP},
    {"verify", command_verify, 0,
     "Usage: seccs verify STORE REF... [OPTION]...\n"
     "\n"
     "Read and verify every node of each content REF without writing it anywhere.\n"
     "Prints 'REFERENCE<TAB>ok' for each good content and an error for each bad one;\n"
     "the exit code is that of the first failure.\n"
     "\n" STORE_OPTIONS_HELP},
    {"check", command_check, ACCEPTS_REFS | ACCEPTS_REPAIR,
     "Usage: seccs check STORE [--refs FILE] [--repair] [OPTION]...\n"
     "\n"
     "Check the whole store against the contents you still hold: every node must be\n"
     "reachable from a held reference, present, authentic, and counted exactly.\n"
     "Prints the findings and a result line: clean, repairable, repaired,\n"
     "refs-not-stored (a listed reference was deleted or never stored: a 'not stored'\n"
     "line names it, remove it from FILE) or damaged. Exit code 0 for clean and\n"
     "repaired, 3 otherwise.\n"
     "\n"
     "  --refs FILE         the references you hold, one per line, once per put that\n"
     "                      you have not deleted ('-' reads standard input). Only the\n"
     "                      first word of a line counts, so the output of 'seccs put'\n"
     "                      can be used as is; empty lines and '#' lines are skipped.\n"
     "                      Without --refs no content counts as held.\n"
     "  --repair            delete orphan nodes and count entries and rewrite wrong\n"
     "                      counts, in one transaction; needs --refs. Missing and\n"
     "                      corrupt nodes cannot be repaired.\n" STORE_OPTIONS_HELP},
    {"stats", command_stats, 0,
     "Usage: seccs stats STORE [OPTION]...\n"
     "\n"
     "Print the store's configuration and the number and size (keys plus values) of its\n"
     "node and reference count entries. Needs no key file; a --key-file is checked.\n"
     "\n" STORE_OPTIONS_HELP},
};
#define COMMAND_COUNT (sizeof COMMANDS / sizeof COMMANDS[0])

static const char MAIN_HELP[] =
    "Usage: seccs COMMAND STORE [ARGUMENT]... [OPTION]...\n"
    "\n"
    "Keep an encrypted, deduplicated, authenticated store of files in an SQLite\n"
    "database, using libseccs (sec-cs by Leibenger and Sorge, IEEE LCN 2017).\n"
    "\n"
    "Commands:\n"
    "  init STORE            create a new store and its key file STORE.key\n"
    "  put STORE FILE...     store files ('-' is standard input), print references\n"
    "  get STORE REF         write a content to standard output (or -o OUT)\n"
    "  delete STORE REF...   release contents and remove the nodes no one else uses\n"
    "  verify STORE REF...   read and verify every node of contents\n"
    "  check STORE           check the whole store against --refs FILE; --repair\n"
    "  stats STORE           print the configuration and entry counts\n"
    "\n"
    "Options of every command:\n"
    "  --key-file PATH       key file of a keyed wrapper (default: STORE.key)\n"
    "  --chunk-size N, --wrapper NAME, --chunking SPEC, --exact-counts\n"
    "                        set the configuration at init; afterwards the store\n"
    "                        records it, and a contradicting option is an error\n"
    "  -h, --help            show help; 'seccs COMMAND --help' for a command\n"
    "  --version             show the versions of seccs and libseccs\n"
    "\n"
    "Exit codes:\n"
    "  0  success\n"
    "  1  usage error: invalid option or argument, contradicting option, store exists\n"
    "  2  not found: unknown reference, missing input file, store or key file\n"
    "  3  integrity or authenticity failure: wrong key file, altered or corrupt data,\n"
    "     or check found problems\n"
    "  4  I/O or database error, including out of memory\n"
    "  5  internal error in seccs or libseccs\n";

/* Version of this program; libseccs reports its own. */
#define SECCS_CLI_VERSION "0.1.0"

enum {
    OPTION_CHUNK_SIZE = 256,
    OPTION_WRAPPER,
    OPTION_CHUNKING,
    OPTION_EXACT_COUNTS,
    OPTION_KEY_FILE,
    OPTION_REFS,
    OPTION_REPAIR
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    }
    return NULL;
}

/* Parses the options and operands after the command name. Returns CLI_EXIT_OK, an
 * error exit code, or -1 when --help was handled. */
static int parse_arguments(const struct command *command, int argc, char **argv,
                           struct command_args *args)
{
    struct option options[16];
    size_t count = 0;

    options[count++] = (struct option){"chunk-size", required_argument, NULL, OPTION_CHUNK_SIZE};
    options[count++] = (struct option){"wrapper", required_argument, NULL, OPTION_WRAPPER};
    options[count++] = (struct option){"chunking", required_argument, NULL, OPTION_CHUNKING};
    options[count++] = (struct option){"exact-counts", no_argument, NULL, OPTION_EXACT_COUNTS};
    options[count++] = (struct option){"key-file", required_argument, NULL, OPTION_KEY_FILE};
    options[count++] = (struct option){"help", no_argument, NULL, 'h'};
    if (command->extra_options & ACCEPTS_OUTPUT)
        options[count++] = (struct option){"output", required_argument, NULL, 'o'};
    if (command->extra_options & ACCEPTS_REFS)
        options[count++] = (struct option){"refs", required_argument, NULL, OPTION_REFS};
    if (command->extra_options & ACCEPTS_REPAIR)
        options[count++] = (struct option){"repair", no_argument, NULL, OPTION_REPAIR};
    options[count] = (struct option){NULL, 0, NULL, 0};
    /* A leading ':' makes getopt report a missing argument as ':' instead of printing. */
    const char *short_options = (command->extra_options & ACCEPTS_OUTPUT) ? ":ho:" : ":h";

    memset(args, 0, sizeof *args);
    store_options_init(&args->store);
    opterr = 0;
    optind = 1;

    int option;
    int code = CLI_EXIT_OK;
    while (code == CLI_EXIT_OK
           && (option = getopt_long(argc, argv, short_options, options, NULL)) != -1) {
        switch (option) {
        case OPTION_CHUNK_SIZE:
            code = store_options_set_chunk_size(&args->store, optarg);
            break;
        case OPTION_WRAPPER:
            code = store_options_set_wrapper(&args->store, optarg);
            break;
        case OPTION_CHUNKING:
            code = store_options_set_chunking(&args->store, optarg);
            break;
        case OPTION_EXACT_COUNTS:
            store_options_set_exact_counts(&args->store);
            break;
        case OPTION_KEY_FILE:
            args->store.key_file = optarg;
            break;
        case OPTION_REFS:
            args->refs = optarg;
            break;
        case OPTION_REPAIR:
            args->repair = true;
            break;
        case 'o':
            args->output = optarg;
            break;
        case 'h':
            fputs(command->help, stdout);
            return -1;
        case ':':
            code = cli_error(CLI_EXIT_USAGE, "option %s of 'seccs %s' needs a value: see "
                             "'seccs %s --help'", argv[optind - 1], command->name,
                             command->name);
            break;
        default: {
            /* getopt sets optopt for an unknown short option, and 0 for a long one. */
            char short_name[3] = {'-', (char)optopt, '\0'};
            code = cli_error(CLI_EXIT_USAGE, "unknown option %s for 'seccs %s': see 'seccs %s "
                             "--help'", optopt ? short_name : argv[optind - 1], command->name,
                             command->name);
            break;
        }
        }
    }

    args->operands = argv + optind;
    args->operand_count = argc - optind;
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return cli_error(CLI_EXIT_USAGE, "no command given: run 'seccs --help' for the list");

    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc == 2) {
            fputs(MAIN_HELP, stdout);
            return CLI_EXIT_OK;
        }
        const struct command *command = find_command(argv[2]);
        if (command == NULL)
            return cli_error(CLI_EXIT_USAGE, "unknown command '%s': run 'seccs --help' for "
                             "the list", argv[2]);
        fputs(command->help, stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("seccs %s (libseccs %s)\n", SECCS_CLI_VERSION, seccs_version());
        return CLI_EXIT_OK;
    }

    const struct command *command = find_command(name);
    if (command == NULL)
        return cli_error(CLI_EXIT_USAGE, "unknown command '%s': run 'seccs --help' for the "
                         "list", name);

    struct command_args args;
    int code = parse_arguments(command, argc - 1, argv + 1, &args);
    if (code == -1)
        return CLI_EXIT_OK;
    if (code != CLI_EXIT_OK)
        return code;

    code = command->run(&args);
    /* Lines printed with stdio may still sit in the buffer: a failure to write them must
     * not go unnoticed. */
    if (fflush(stdout) != 0 && code == CLI_EXIT_OK)
        code = cli_error(CLI_EXIT_IO, "cannot write to standard output");
    return code;
}
