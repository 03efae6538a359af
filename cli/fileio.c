#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"

/* Read size for standard input and files that grow while they are read. */
#define READ_BLOCK (1 << 20)

void byte_buffer_free(struct byte_buffer *buffer)
{
    free(buffer->data);
    buffer->data = NULL;
    buffer->len = 0;
    buffer->capacity = 0;
}

static int reserve(struct byte_buffer *buffer, size_t extra, const char *name)
{
    if (buffer->capacity - buffer->len >= extra)
        return CLI_EXIT_OK;

    /* The first allocation takes the whole expected size, so that a regular file costs
     * its size in memory and not up to twice that. */
    size_t capacity = buffer->capacity ? buffer->capacity : (extra > READ_BLOCK ? extra : READ_BLOCK);
    while (capacity - buffer->len < extra) {
        if (capacity > SIZE_MAX / 2)
            return cli_error(CLI_EXIT_IO, "input %s is too large for memory", name);
        capacity *= 2;
    }
    uint8_t *data = realloc(buffer->data, capacity);
    if (data == NULL)
        return cli_error(CLI_EXIT_IO, "out of memory reading %s (%zu bytes so far): seccs "
                         "holds a whole content in memory, so free memory or store a "
                         "smaller file", name, buffer->len);
    buffer->data = data;
    buffer->capacity = capacity;
    return CLI_EXIT_OK;
}

static int read_all(int fd, const char *name, size_t size_hint, struct progress *progress,
                    struct byte_buffer *out)
{
    /* One byte more than the expected size lets a regular file end in one pass. */
    int code = reserve(out, size_hint + 1, name);

    while (code == CLI_EXIT_OK) {
        if (out->capacity == out->len)
            code = reserve(out, READ_BLOCK, name);
        if (code != CLI_EXIT_OK)
            break;

        ssize_t got = read(fd, out->data + out->len, out->capacity - out->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            code = cli_error(CLI_EXIT_IO, "cannot read %s: %s", name, strerror(errno));
        if (got <= 0)
            break;
        out->len += (size_t)got;
        progress_add(progress, 0, 0, (uint64_t)got);
    }
    return code;
}

int read_input(const char *path, struct progress *progress, struct byte_buffer *out)
{
    memset(out, 0, sizeof *out);
    if (strcmp(path, "-") == 0)
        return read_all(STDIN_FILENO, "standard input", 0, progress, out);

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return cli_error(CLI_EXIT_NOT_FOUND, "input file %s not found: check the path", path);
        return cli_error(CLI_EXIT_IO, "cannot open input file %s: %s", path, strerror(errno));
    }

    struct stat info;
    int code = CLI_EXIT_OK;
    if (fstat(fd, &info) != 0)
        code = cli_error(CLI_EXIT_IO, "cannot read input file %s: %s", path, strerror(errno));
    else if (S_ISDIR(info.st_mode))
        code = cli_error(CLI_EXIT_USAGE, "input %s is a directory: name a file, or pack the "
                         "directory first (for example with tar)", path);
    else
        code = read_all(fd, path, S_ISREG(info.st_mode) ? (size_t)info.st_size : 0, progress, out);
    close(fd);

    if (code != CLI_EXIT_OK)
        byte_buffer_free(out);
    return code;
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t done = write(fd, data, len);
        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0)
            return -1;
        data += done;
        len -= (size_t)done;
    }
    return 0;
}

int write_stdout(const uint8_t *data, size_t len)
{
    if (write_all(STDOUT_FILENO, data, len) != 0)
        return cli_error(CLI_EXIT_IO, "cannot write to standard output: %s", strerror(errno));
    return CLI_EXIT_OK;
}

int write_file_atomic(const char *path, const uint8_t *data, size_t len)
{
    size_t temp_size = strlen(path) + sizeof ".tmp-XXXXXX";
    char *temp_path = malloc(temp_size);
    if (temp_path == NULL)
        return cli_error(CLI_EXIT_IO, "out of memory writing %s", path);
    snprintf(temp_path, temp_size, "%s.tmp-XXXXXX", path);

    int fd = mkstemp(temp_path);
    if (fd < 0) {
        int code = cli_error(CLI_EXIT_IO, "cannot create a temporary file next to %s: %s", path,
                             strerror(errno));
        free(temp_path);
        return code;
    }

    /* mkstemp creates mode 0600; give the output the mode a plain creat() would. */
    mode_t mask = umask(0);
    umask(mask);
    int code = CLI_EXIT_OK;
    if (fchmod(fd, 0666 & ~mask) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0)
        code = cli_error(CLI_EXIT_IO, "cannot write %s: %s", temp_path, strerror(errno));
    if (close(fd) != 0 && code == CLI_EXIT_OK)
        code = cli_error(CLI_EXIT_IO, "cannot write %s: %s", temp_path, strerror(errno));
    if (code == CLI_EXIT_OK && rename(temp_path, path) != 0)
        code = cli_error(CLI_EXIT_IO, "cannot rename %s to %s: %s", temp_path, path,
                         strerror(errno));

    if (code != CLI_EXIT_OK)
        unlink(temp_path);
    free(temp_path);
    return code;
}
