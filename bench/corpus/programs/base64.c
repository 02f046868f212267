/* base64.c - RFC 4648 base64 encoding and strict decoding with a reverse lookup table,
 * test vectors plus round trips over generated buffers of every length up to 400.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define MAX_RAW 400
#define MAX_ENC (((MAX_RAW + 2) / 3) * 4 + 1)
#define B64_ERROR (-1)

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static int8_t reverse[256];
static uint8_t raw[MAX_RAW];
static uint8_t back[MAX_RAW];
static char enc[MAX_ENC];
static uint32_t rng_state = 0x7F4A7C15u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void init_reverse(void) {
    for (int i = 0; i < 256; i++) reverse[i] = -1;
    for (int i = 0; i < 64; i++) reverse[(unsigned char)alphabet[i]] = (int8_t)i;
}

static int encode(const uint8_t *in, int n, char *out) {
    int o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63u];
        out[o++] = alphabet[(v >> 12) & 63u];
        out[o++] = alphabet[(v >> 6) & 63u];
        out[o++] = alphabet[v & 63u];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[(v >> 18) & 63u];
        out[o++] = alphabet[(v >> 12) & 63u];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = alphabet[(v >> 18) & 63u];
        out[o++] = alphabet[(v >> 12) & 63u];
        out[o++] = alphabet[(v >> 6) & 63u];
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

/* strict decoder: length multiple of 4, padding only at the end, zero trailing bits */
static int decode(const char *in, int n, uint8_t *out) {
    if (n % 4 != 0) return B64_ERROR;
    int o = 0;
    for (int i = 0; i < n; i += 4) {
        int pad = 0;
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            char c = in[i + k];
            int d;
            if (c == '=') {
                if (i + 4 != n || k < 2) return B64_ERROR;
                pad++;
                d = 0;
            } else {
                if (pad) return B64_ERROR;
                d = reverse[(unsigned char)c];
                if (d < 0) return B64_ERROR;
            }
            v = (v << 6) | (uint32_t)d;
        }
        out[o++] = (uint8_t)(v >> 16);
        if (pad < 2) out[o++] = (uint8_t)(v >> 8);
        if (pad < 1) out[o++] = (uint8_t)v;
        if ((pad == 1 && (v & 0xFFu)) || (pad == 2 && (v & 0xFFFFu))) return B64_ERROR;
    }
    return o;
}

static uint32_t hash_str(const char *s, int n, uint32_t h) {
    for (int i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

int main(void) {
    static const char *const vectors[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    init_reverse();
    printf("vectors");
    for (int i = 0; i < 7; i++) {
        int n = (int)strlen(vectors[i]);
        encode((const uint8_t *)vectors[i], n, enc);
        printf(" \"%s\"", enc);
    }
    putchar('\n');

    uint32_t h = 2166136261u, total = 0, failures = 0;
    for (int round = 0; round < 3; round++) {
        for (int n = 0; n <= MAX_RAW; n++) {
            for (int i = 0; i < n; i++) raw[i] = (uint8_t)(rng_next() >> 13);
            int e = encode(raw, n, enc);
            h = hash_str(enc, e, h);
            total += (uint32_t)e;
            int d = decode(enc, e, back);
            if (d != n || memcmp(raw, back, (size_t)n) != 0) failures++;
        }
    }
    static const char *const bad[] = {"Zg", "Zg=a", "Z===", "Zh==", "Zm9v!A==", "=Zm9"};
    int rejected = 0;
    for (int i = 0; i < 6; i++) {
        if (decode(bad[i], (int)strlen(bad[i]), back) == B64_ERROR) rejected++;
    }
    printf("roundtrip encoded_bytes=%u hash=%08x failures=%u rejected=%d/6\n", (unsigned)total, (unsigned)h,
           (unsigned)failures, rejected);
    return 0;
}
