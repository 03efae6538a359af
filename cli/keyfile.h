/* Store keys: generation and key files.
 *
 * A key file contains the raw key bytes and nothing else: 32 random bytes when seccs
 * generates it. Keys never appear in messages.
 */
#ifndef SECCS_CLI_KEYFILE_H
#define SECCS_CLI_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

/* Size of generated keys: AES-SIV-256 needs exactly 32 bytes, HMAC-SHA-256 is at full
 * strength with 32. */
#define STORE_KEY_GENERATED_SIZE 32
/* Largest key file accepted: HMAC keys may have any length, but a larger file is almost
 * surely not a key file. */
#define STORE_KEY_MAX_SIZE 1024

struct store_key {
    uint8_t bytes[STORE_KEY_MAX_SIZE];
    size_t len;
};

/* Fills `key` with STORE_KEY_GENERATED_SIZE bytes from the kernel's random source. */
int key_generate(struct store_key *key);

/* Reads the key file at `path` (exit code 2 if it does not exist). */
int key_file_read(const char *path, struct store_key *key);

/* Writes `key` to a new file at `path` with mode 0600; fails if `path` exists. */
int key_file_create(const char *path, const struct store_key *key);

/* Overwrites the key bytes so that they do not linger in memory. */
void key_wipe(struct store_key *key);

#endif
