/* sha256.c - FIPS 180-4 SHA-256 over test vectors, a generated buffer and a hash chain.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    uint32_t used;
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

static uint8_t data[32768];
static uint32_t rng_state = 0xC0FFEE11u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static inline uint32_t rotr(uint32_t x, unsigned n) {
    return (x >> n) | (x << (32u - n));
}

static uint32_t load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void sha256_compress(uint32_t st[8], const uint8_t blk[64]) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = load_be32(blk + 4 * i);
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + S1 + ch + K[i] + w[i];
        uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d;
    st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

static void sha256_init(sha256_ctx *ctx) {
    static const uint32_t iv[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    memcpy(ctx->state, iv, sizeof iv);
    ctx->length = 0;
    ctx->used = 0;
}

static void sha256_update(sha256_ctx *ctx, const uint8_t *p, uint32_t n) {
    ctx->length += n;
    while (n > 0) {
        uint32_t take = 64u - ctx->used;
        if (take > n) {
            take = n;
        }
        memcpy(ctx->block + ctx->used, p, take);
        ctx->used += take;
        p += take;
        n -= take;
        if (ctx->used == 64u) {
            sha256_compress(ctx->state, ctx->block);
            ctx->used = 0;
        }
    }
}

static void sha256_final(sha256_ctx *ctx, uint8_t out[32]) {
    uint64_t bits = ctx->length * 8u;
    uint8_t pad = 0x80;
    uint8_t zero = 0;
    uint8_t lenbuf[8];
    sha256_update(ctx, &pad, 1);
    while (ctx->used != 56u) {
        sha256_update(ctx, &zero, 1);
    }
    for (int i = 0; i < 8; i++) {
        lenbuf[i] = (uint8_t)(bits >> (56 - 8 * i));
    }
    sha256_update(ctx, lenbuf, 8);
    for (int i = 0; i < 8; i++) {
        store_be32(out + 4 * i, ctx->state[i]);
    }
}

static void sha256(const uint8_t *p, uint32_t n, uint8_t out[32]) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, p, n);
    sha256_final(&ctx, out);
}

static void print_digest(const char *label, const uint8_t d[32]) {
    printf("%s ", label);
    for (int i = 0; i < 32; i++) {
        printf("%02x", (unsigned)d[i]);
    }
    putchar('\n');
}

int main(void) {
    uint8_t digest[32];
    static const char abc[] = "abc";
    static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

    sha256((const uint8_t *)abc, (uint32_t)strlen(abc), digest);
    print_digest("abc", digest);
    sha256((const uint8_t *)two_blocks, (uint32_t)strlen(two_blocks), digest);
    print_digest("448bit", digest);

    for (uint32_t i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)rng_next();
    }
    sha256(data, (uint32_t)sizeof data, digest);
    print_digest("buffer", digest);

    /* incremental hashing with odd-sized pieces must match one-shot hashing */
    sha256_ctx ctx;
    uint8_t digest2[32];
    sha256_init(&ctx);
    uint32_t off = 0, piece = 1;
    while (off < sizeof data) {
        uint32_t n = piece;
        if (n > sizeof data - off) {
            n = (uint32_t)sizeof data - off;
        }
        sha256_update(&ctx, data + off, n);
        off += n;
        piece = (piece * 7u + 3u) % 1000u;
    }
    sha256_final(&ctx, digest2);
    printf("incremental_ok=%d\n", memcmp(digest, digest2, 32) == 0);

    for (int i = 0; i < 300; i++) {
        sha256(digest, 32, digest);
    }
    print_digest("chain300", digest);
    return 0;
}
