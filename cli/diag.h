/* Exit codes and error messages of the seccs command-line program. */
#ifndef SECCS_CLI_DIAG_H
#define SECCS_CLI_DIAG_H

#include "seccs.h"

/* Exit codes; README-section.md documents them for users. */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 1,      /* bad command line, contradicting option, store exists */
    CLI_EXIT_NOT_FOUND = 2,  /* unknown reference, missing input file, store or key file */
    CLI_EXIT_INTEGRITY = 3,  /* wrong key file, tampered or corrupt data, failed check */
    CLI_EXIT_IO = 4,         /* I/O, database or system error (including out of memory) */
    CLI_EXIT_INTERNAL = 5    /* bug in seccs or libseccs */
};

/* Prints "seccs: MESSAGE" as one line on stderr and returns exit_code. */
int cli_error(int exit_code, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "seccs: CONTEXT: DETAIL" for a failed libseccs call and returns the exit code
 * for `status`. DETAIL is libseccs's message for the call, so this must run before any
 * other libseccs call on the thread. */
int cli_status_error(seccs_status status, const char *context_format, ...)
    __attribute__((format(printf, 2, 3)));

/* Maps a libseccs status to an exit code. */
int cli_exit_for_status(seccs_status status);

#endif
