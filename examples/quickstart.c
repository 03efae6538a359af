/*
 * Stores a content in an in-memory sec-cs store, reads it back and deletes it.
 *
 * Build from the repository top after `make`:
 *   cc -std=c11 -Iinclude examples/quickstart.c -Ltarget/release -lseccs \
 *      -Wl,-rpath,$PWD/target/release -o build/quickstart
 */
#include <seccs.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *function, seccs_status status) {
    fprintf(stderr, "%s failed: %s: %s\n", function, seccs_status_message(status),
            seccs_last_error_message());
    return 1;
}

int main(void) {
    /* A real application loads its 32-byte key from a secret store. */
    static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8};
    const char *text = "hello, sec-cs";

    seccs_config config;
    seccs_config_init(&config); /* S = 256, AES_SIV_256, Rabin-Karp 48/0, counts in the backend */
    config.key = key;
    config.key_len = sizeof key;

    seccs_backend backend;
    seccs_status status = seccs_memory_backend_new(&backend);
    if (status != SECCS_OK) return fail("seccs_memory_backend_new", status);

    seccs_store *store = NULL;
    status = seccs_new(&config, &backend, &store); /* the store now owns the backend */
    if (status != SECCS_OK) return fail("seccs_new", status);

    uint8_t ref[64];
    size_t ref_len = seccs_reference_size(store); /* 24 bytes for AES-SIV */
    bool is_new = false;
    status = seccs_put(store, (const uint8_t *)text, strlen(text), false, ref, ref_len, &is_new);
    if (status != SECCS_OK) return fail("seccs_put", status);

    uint8_t *content = NULL;
    size_t content_len = 0;
    status = seccs_get_alloc(store, ref, ref_len, &content, &content_len);
    if (status != SECCS_OK) return fail("seccs_get_alloc", status);
    printf("read back %zu bytes (%s): %.*s\n", content_len, is_new ? "new" : "existing",
           (int)content_len, (const char *)content);
    seccs_buffer_free(content, content_len);

    status = seccs_delete(store, ref, ref_len, false);
    if (status != SECCS_OK) return fail("seccs_delete", status);

    seccs_free(store);
    return 0;
}
