#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Seconds between redraws: often enough to look alive, rare enough to cost nothing. */
#define REDRAW_INTERVAL 0.25

static double monotonic_seconds(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void progress_start(struct progress *progress, const char *label)
{
    progress->enabled = isatty(STDERR_FILENO) == 1;
    progress->shown = false;
    progress->label = label;
    progress->nodes_read = 0;
    progress->nodes_written = 0;
    progress->bytes = 0;
    /* Start the clock so that commands that finish within a second draw nothing. */
    progress->last_update = progress->enabled ? monotonic_seconds() + 0.25 : 0;
}

void progress_add(struct progress *progress, uint64_t nodes_read, uint64_t nodes_written,
                  uint64_t bytes)
{
    if (progress == NULL)
        return;

    progress->nodes_read += nodes_read;
    progress->nodes_written += nodes_written;
    progress->bytes += bytes;
    if (!progress->enabled)
        return;

    double now = monotonic_seconds();
    if (now - progress->last_update < REDRAW_INTERVAL)
        return;
    progress->last_update = now;

    /* "\r" returns to the line start and "\033[K" erases what a longer line left. */
    double mebibytes = (double)progress->bytes / (1024.0 * 1024.0);
    if (progress->nodes_read == 0 && progress->nodes_written == 0)
        fprintf(stderr, "\rseccs: %s: %.1f MiB\033[K", progress->label, mebibytes);
    else
        fprintf(stderr, "\rseccs: %s: %llu nodes read, %llu written, %.1f MiB\033[K",
                progress->label, (unsigned long long)progress->nodes_read,
                (unsigned long long)progress->nodes_written, mebibytes);
    fflush(stderr);
    progress->shown = true;
}

void progress_finish(struct progress *progress)
{
    if (progress->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    progress->shown = false;
}
