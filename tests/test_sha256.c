/** @brief SHA-256 (engine/sha256.c): FIPS 180 examples, a million 'a's, any split of the input;
 * run again with PIE_CPU_DISABLE=sha for the portable rounds. */
#include "cpu.h"
#include "sha256.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

static void digest(const void *p, size_t n, char out[65])
{
    pie__sha256 s;
    pie__sha256_init(&s);
    pie__sha256_update(&s, p, n);
    pie__sha256_hex(&s, out);
}

static void check_known(const char *msg, size_t n, const char *want)
{
    char got[65];
    digest(msg, n, got);
    CHECKF(strcmp(got, want) == 0, "sha256 of %zu bytes: %s, want %s", n, got, want);
}

int main(void)
{
    test_begin("test_sha256");
    printf("test_sha256: %s rounds\n",
           pie__cpu_features() & PIE_CPU_SHA ? "SHA extensions" : "portable");
    /* FIPS 180-2 appendix B and the empty message. */
    check_known("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_known("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_known(two, strlen(two),
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    size_t n = 1000000;
    char *a = malloc(n);
    memset(a, 'a', n);
    check_known(a, n, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* Random bytes fed in random pieces give the one-shot digest. */
    for (size_t i = 0; i < n; i++)
        a[i] = (char)test_rand();
    for (int r = 0; r < 50; r++) {
        size_t len = (size_t)(test_rand() % 5000);
        char whole[65], parts[65];
        digest(a, len, whole);
        pie__sha256 s;
        pie__sha256_init(&s);
        for (size_t at = 0; at < len;) {
            size_t k = (size_t)(test_rand() % 200);
            k = k > len - at ? len - at : k;
            pie__sha256_update(&s, a + at, k);
            at += k;
        }
        pie__sha256_hex(&s, parts);
        CHECKF(strcmp(whole, parts) == 0, "%zu bytes in pieces differ", len);
    }
    free(a);
    return test_finish();
}
