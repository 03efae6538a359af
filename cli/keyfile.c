#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"

int key_generate(struct store_key *key)
{
    size_t filled = 0;

    while (filled < STORE_KEY_GENERATED_SIZE) {
        ssize_t got = getrandom(key->bytes + filled, STORE_KEY_GENERATED_SIZE - filled, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return cli_error(CLI_EXIT_IO, "cannot generate a key: getrandom failed: %s",
                             strerror(errno));
        }
        filled += (size_t)got;
    }
    key->len = STORE_KEY_GENERATED_SIZE;
    return CLI_EXIT_OK;
}

int key_file_read(const char *path, struct store_key *key)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return cli_error(CLI_EXIT_NOT_FOUND,
                             "key file %s not found: pass the store's key file with --key-file",
                             path);
        return cli_error(CLI_EXIT_IO, "cannot open key file %s: %s", path, strerror(errno));
    }

    struct stat info;
    int code = CLI_EXIT_OK;
    if (fstat(fd, &info) != 0) {
        code = cli_error(CLI_EXIT_IO, "cannot read key file %s: %s", path, strerror(errno));
    } else if (!S_ISREG(info.st_mode)) {
        code = cli_error(CLI_EXIT_USAGE, "key file %s is not a regular file: pass the key file "
                         "that 'seccs init' wrote", path);
    } else if (info.st_size == 0 || info.st_size > STORE_KEY_MAX_SIZE) {
        code = cli_error(CLI_EXIT_USAGE, "key file %s holds %lld bytes, but a key file holds "
                         "1 to %d bytes (32 when seccs generated it): pass the store's key file",
                         path, (long long)info.st_size, STORE_KEY_MAX_SIZE);
    }

    key->len = 0;
    while (code == CLI_EXIT_OK && key->len < (size_t)info.st_size) {
        ssize_t got = read(fd, key->bytes + key->len, (size_t)info.st_size - key->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            code = cli_error(CLI_EXIT_IO, "cannot read key file %s: %s", path, strerror(errno));
        else if (got == 0)
            code = cli_error(CLI_EXIT_IO, "key file %s shrank while it was read: try again", path);
        else
            key->len += (size_t)got;
    }
    close(fd);

    if (code != CLI_EXIT_OK)
        key_wipe(key);
    return code;
}

int key_file_create(const char *path, const struct store_key *key)
{
    /* O_EXCL never replaces an existing key file: that key may be the only way to read
     * another store. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return cli_error(CLI_EXIT_USAGE, "key file %s already exists: pass it with "
                             "--key-file to use it, or choose another path", path);
        return cli_error(CLI_EXIT_IO, "cannot create key file %s: %s", path, strerror(errno));
    }

    size_t written = 0;
    int code = CLI_EXIT_OK;
    while (written < key->len) {
        ssize_t done = write(fd, key->bytes + written, key->len - written);
        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0) {
            code = cli_error(CLI_EXIT_IO, "cannot write key file %s: %s", path, strerror(errno));
            break;
        }
        written += (size_t)done;
    }
    /* The store is useless without its key, so the key must be on disk before the store
     * appears. */
    if (code == CLI_EXIT_OK && fsync(fd) != 0)
        code = cli_error(CLI_EXIT_IO, "cannot write key file %s: fsync failed: %s", path,
                         strerror(errno));
    if (close(fd) != 0 && code == CLI_EXIT_OK)
        code = cli_error(CLI_EXIT_IO, "cannot write key file %s: %s", path, strerror(errno));

    if (code != CLI_EXIT_OK)
        unlink(path);
    return code;
}

void key_wipe(struct store_key *key)
{
    explicit_bzero(key->bytes, sizeof key->bytes);
    key->len = 0;
}
