/* rc4.c - RC4 key scheduling and keystream generation (historic cipher, used here only as
 * a byte-permutation workload) with the classic test vectors and a drop-N variant.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint8_t s[256];
    uint8_t i, j;
} rc4_state;

static uint8_t data[16384], enc[16384], dec[16384];
static uint32_t rng_state = 0x5BE0CD19u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void rc4_init(rc4_state *st, const uint8_t *key, uint32_t keylen) {
    for (int k = 0; k < 256; k++) st->s[k] = (uint8_t)k;
    uint8_t j = 0;
    for (int k = 0; k < 256; k++) {
        j = (uint8_t)(j + st->s[k] + key[(uint32_t)k % keylen]);
        uint8_t t = st->s[k];
        st->s[k] = st->s[j];
        st->s[j] = t;
    }
    st->i = 0;
    st->j = 0;
}

static uint8_t rc4_byte(rc4_state *st) {
    st->i = (uint8_t)(st->i + 1);
    st->j = (uint8_t)(st->j + st->s[st->i]);
    uint8_t t = st->s[st->i];
    st->s[st->i] = st->s[st->j];
    st->s[st->j] = t;
    return st->s[(uint8_t)(st->s[st->i] + st->s[st->j])];
}

static void rc4_xor(rc4_state *st, const uint8_t *in, uint8_t *out, uint32_t n) {
    for (uint32_t k = 0; k < n; k++) out[k] = (uint8_t)(in[k] ^ rc4_byte(st));
}

static void rc4_drop(rc4_state *st, uint32_t n) {
    while (n--) (void)rc4_byte(st);
}

static void vector(const char *key, const char *text) {
    rc4_state st;
    uint8_t out[64];
    uint32_t n = (uint32_t)strlen(text);
    rc4_init(&st, (const uint8_t *)key, (uint32_t)strlen(key));
    rc4_xor(&st, (const uint8_t *)text, out, n);
    printf("%s:", key);
    for (uint32_t k = 0; k < n; k++) printf("%02X", (unsigned)out[k]);
    putchar('\n');
}

int main(void) {
    vector("Key", "Plaintext");
    vector("Wiki", "pedia");
    vector("Secret", "Attack at dawn");

    uint8_t key[16];
    for (int k = 0; k < 16; k++) key[k] = (uint8_t)rng_next();
    for (uint32_t k = 0; k < sizeof data; k++) data[k] = (uint8_t)(rng_next() >> 9);
    rc4_state a, b;
    rc4_init(&a, key, 16);
    rc4_drop(&a, 3072);
    rc4_xor(&a, data, enc, sizeof data);
    rc4_init(&b, key, 16);
    rc4_drop(&b, 3072);
    rc4_xor(&b, enc, dec, sizeof data);
    uint32_t h = 0, hist[4] = {0, 0, 0, 0};
    for (uint32_t k = 0; k < sizeof enc; k++) {
        h = (h << 5 | h >> 27) ^ enc[k];
        hist[enc[k] >> 6]++;
    }
    printf("drop3072 hash=%08x roundtrip=%d hist=%u,%u,%u,%u\n", (unsigned)h, memcmp(data, dec, sizeof data) == 0,
           (unsigned)hist[0], (unsigned)hist[1], (unsigned)hist[2], (unsigned)hist[3]);
    return 0;
}
