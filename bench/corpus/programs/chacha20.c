/* chacha20.c - ChaCha20 (RFC 8439): quarter round, block function, stream encryption
 * with RFC test vectors and a round trip over generated data.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define DATA_LEN 20000u

static uint8_t plain[DATA_LEN], cipher[DATA_LEN], back[DATA_LEN];
static uint32_t rng_state = 0x1F83D9ABu;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static inline uint32_t rotl32(uint32_t x, unsigned n) {
    return (x << n) | (x >> (32u - n));
}

static void quarter_round(uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
    *a += *b; *d ^= *a; *d = rotl32(*d, 16);
    *c += *d; *b ^= *c; *b = rotl32(*b, 12);
    *a += *b; *d ^= *a; *d = rotl32(*d, 8);
    *c += *d; *b ^= *c; *b = rotl32(*b, 7);
}

static uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void store_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void chacha20_block(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12], uint8_t out[64]) {
    uint32_t init[16], x[16];
    init[0] = 0x61707865u;
    init[1] = 0x3320646eu;
    init[2] = 0x79622d32u;
    init[3] = 0x6b206574u;
    for (int i = 0; i < 8; i++) init[4 + i] = load_le32(key + 4 * i);
    init[12] = counter;
    for (int i = 0; i < 3; i++) init[13 + i] = load_le32(nonce + 4 * i);
    memcpy(x, init, sizeof x);
    for (int i = 0; i < 10; i++) {
        quarter_round(&x[0], &x[4], &x[8], &x[12]);
        quarter_round(&x[1], &x[5], &x[9], &x[13]);
        quarter_round(&x[2], &x[6], &x[10], &x[14]);
        quarter_round(&x[3], &x[7], &x[11], &x[15]);
        quarter_round(&x[0], &x[5], &x[10], &x[15]);
        quarter_round(&x[1], &x[6], &x[11], &x[12]);
        quarter_round(&x[2], &x[7], &x[8], &x[13]);
        quarter_round(&x[3], &x[4], &x[9], &x[14]);
    }
    for (int i = 0; i < 16; i++) store_le32(out + 4 * i, x[i] + init[i]);
}

static void chacha20_xor(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12], const uint8_t *in,
                         uint8_t *out, uint32_t n) {
    uint8_t ks[64];
    for (uint32_t off = 0; off < n; off += 64, counter++) {
        chacha20_block(key, counter, nonce, ks);
        uint32_t take = n - off < 64u ? n - off : 64u;
        for (uint32_t i = 0; i < take; i++) out[off + i] = (uint8_t)(in[off + i] ^ ks[i]);
    }
}

static void print_hex(const char *label, const uint8_t *p, uint32_t n) {
    printf("%s ", label);
    for (uint32_t i = 0; i < n; i++) printf("%02x", (unsigned)p[i]);
    putchar('\n');
}

int main(void) {
    /* RFC 8439 section 2.1.1 */
    uint32_t a = 0x11111111u, b = 0x01020304u, c = 0x9b8d6f43u, d = 0x01234567u;
    quarter_round(&a, &b, &c, &d);
    printf("qr %08x %08x %08x %08x\n", (unsigned)a, (unsigned)b, (unsigned)c, (unsigned)d);

    /* RFC 8439 section 2.3.2 */
    uint8_t key[32], nonce[12] = {0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0}, block[64];
    for (int i = 0; i < 32; i++) key[i] = (uint8_t)i;
    chacha20_block(key, 1, nonce, block);
    print_hex("block", block, 64);

    /* RFC 8439 section 2.4.2: first 16 bytes of the "sunscreen" ciphertext */
    static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: If I could offer you only one "
                                    "tip for the future, sunscreen would be it.";
    uint8_t nonce2[12] = {0, 0, 0, 0, 0, 0, 0, 0x4a, 0, 0, 0, 0};
    uint32_t slen = (uint32_t)strlen(sunscreen);
    chacha20_xor(key, 1, nonce2, (const uint8_t *)sunscreen, cipher, slen);
    print_hex("sunscreen16", cipher, 16);

    for (int i = 0; i < 32; i++) key[i] = (uint8_t)rng_next();
    for (int i = 0; i < 12; i++) nonce[i] = (uint8_t)rng_next();
    for (uint32_t i = 0; i < DATA_LEN; i++) plain[i] = (uint8_t)(rng_next() >> 11);
    chacha20_xor(key, 7, nonce, plain, cipher, DATA_LEN);
    chacha20_xor(key, 7, nonce, cipher, back, DATA_LEN);
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < DATA_LEN; i++) h = (h ^ cipher[i]) * 16777619u;
    printf("stream hash=%08x roundtrip=%d\n", (unsigned)h, memcmp(plain, back, DATA_LEN) == 0);
    return 0;
}
