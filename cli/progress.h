/* Progress line on stderr for long commands, shown only when stderr is a terminal. */
#ifndef SECCS_CLI_PROGRESS_H
#define SECCS_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
    bool enabled;          /* stderr is a terminal */
    bool shown;            /* a progress line is on the screen */
    const char *label;     /* e.g. "put big.iso"; borrowed until progress_finish */
    uint64_t nodes_read;
    uint64_t nodes_written;
    uint64_t bytes;        /* bytes read from or written to the database, or from input */
    double last_update;    /* monotonic seconds of the last redraw */
};

/* Starts counting for `label`; nothing is drawn before the first half second. */
void progress_start(struct progress *progress, const char *label);

/* Adds to the counters and redraws the line at most a few times a second.
 * `progress` may be NULL. */
void progress_add(struct progress *progress, uint64_t nodes_read, uint64_t nodes_written,
                  uint64_t bytes);

/* Clears the line so that the next message starts on an empty line. */
void progress_finish(struct progress *progress);

#endif
