#include "diag.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int cli_error(int exit_code, const char *format, ...)
{
    va_list args;

    fputs("seccs: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    return exit_code;
}

int cli_exit_for_status(seccs_status status)
{
    switch (status) {
    case SECCS_OK:
        return CLI_EXIT_OK;
    case SECCS_NOT_FOUND:
    case SECCS_MISSING_REFERENCE_COUNT:
        /* A root whose count entry is missing is a content that is not stored. */
        return CLI_EXIT_NOT_FOUND;
    case SECCS_INTEGRITY_ERROR:
    case SECCS_AUTHENTICITY_ERROR:
    case SECCS_CORRUPT_NODE:
    case SECCS_INVALID_REFERENCE_COUNT:
        return CLI_EXIT_INTEGRITY;
    case SECCS_UNSUPPORTED_CHUNK_SIZE:
    case SECCS_INVALID_ARGUMENT:
    case SECCS_INVALID_REFERENCE:
        return CLI_EXIT_USAGE;
    case SECCS_BACKEND_ERROR:
        return CLI_EXIT_IO;
    default:
        return CLI_EXIT_INTERNAL;
    }
}

/* Skips the "seccs_put: " that libseccs puts before its messages, because the
 * command's own context already names what failed, in the user's terms. */
static const char *skip_function_name(const char *message)
{
    static const char prefix[] = "seccs_";

    if (strncmp(message, prefix, sizeof prefix - 1) != 0)
        return message;
    const char *end = message + sizeof prefix - 1;
    while ((*end >= 'a' && *end <= 'z') || *end == '_')
        end++;
    return strncmp(end, ": ", 2) == 0 ? end + 2 : message;
}

int cli_status_error(seccs_status status, const char *context_format, ...)
{
    /* Fetch the detail first: any later libseccs call would replace it. */
    const char *detail = seccs_last_error_message();
    va_list args;

    /* For these statuses libseccs's message suggests its ignore_rc option or a custom
     * level-size function, which seccs does not offer, so the plain status message is
     * shown. The commands that can meet them word their own message instead. */
    bool names_library_options = status == SECCS_MISSING_REFERENCE_COUNT
                                 || status == SECCS_UNSUPPORTED_CHUNK_SIZE;
    if (detail == NULL || detail[0] == '\0' || names_library_options)
        detail = seccs_status_message(status);
    detail = skip_function_name(detail);

    fputs("seccs: ", stderr);
    va_start(args, context_format);
    vfprintf(stderr, context_format, args);
    va_end(args);
    fprintf(stderr, ": %s\n", detail);
    return cli_exit_for_status(status);
}
