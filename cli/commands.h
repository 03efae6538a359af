/* The seccs commands. Each takes its parsed command line and returns an exit code of
 * diag.h, having printed any error. */
#ifndef SECCS_CLI_COMMANDS_H
#define SECCS_CLI_COMMANDS_H

#include <stdbool.h>

#include "store.h"

struct command_args {
    struct store_options store;
    const char *output;     /* get -o OUT; NULL: standard output */
    const char *refs;       /* check --refs FILE */
    bool repair;            /* check --repair */
    char **operands;        /* operands[0] is STORE */
    int operand_count;
};

int command_init(const struct command_args *args);
int command_put(const struct command_args *args);
int command_get(const struct command_args *args);
int command_delete(const struct command_args *args);
int command_verify(const struct command_args *args);
int command_check(const struct command_args *args);
int command_stats(const struct command_args *args);

#endif
