/* Lowercase hexadecimal encoding of byte strings (content references, key check values). */
#ifndef SECCS_CLI_HEX_H
#define SECCS_CLI_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2 * len lowercase hex digits and a terminating NUL to `out`. */
void hex_encode(const uint8_t *bytes, size_t len, char *out);

/* Decodes exactly `text_len` hex digits (either case) into `out`, which has room for
 * text_len / 2 bytes. Returns 0, or -1 if text_len is odd or a character is not a
 * hex digit. */
int hex_decode(const char *text, size_t text_len, uint8_t *out);

#endif
