/* adler32.c - Adler-32 (plain and with deferred modulo), Fletcher-16 and Fletcher-32
 * over test vectors and a generated buffer, with rolling-window updates.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define MOD_ADLER 65521u
#define BUF_LEN 100000u
#define NMAX 5552u

static uint8_t buf[BUF_LEN];
static uint32_t rng_state = 0xBB67AE85u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static uint32_t adler32_simple(const uint8_t *p, uint32_t n) {
    uint32_t a = 1, b = 0;
    for (uint32_t i = 0; i < n; i++) {
        a = (a + p[i]) % MOD_ADLER;
        b = (b + a) % MOD_ADLER;
    }
    return (b << 16) | a;
}

/* zlib-style: defer the modulo for up to NMAX bytes, unrolled by four */
static uint32_t adler32_fast(uint32_t adler, const uint8_t *p, uint32_t n) {
    uint32_t a = adler & 0xFFFFu, b = adler >> 16;
    while (n > 0) {
        uint32_t chunk = n < NMAX ? n : NMAX;
        n -= chunk;
        while (chunk >= 4) {
            a += p[0]; b += a;
            a += p[1]; b += a;
            a += p[2]; b += a;
            a += p[3]; b += a;
            p += 4;
            chunk -= 4;
        }
        while (chunk--) {
            a += *p++;
            b += a;
        }
        a %= MOD_ADLER;
        b %= MOD_ADLER;
    }
    return (b << 16) | a;
}

static uint16_t fletcher16(const uint8_t *p, uint32_t n) {
    uint32_t s1 = 0, s2 = 0;
    for (uint32_t i = 0; i < n; i++) {
        s1 = (s1 + p[i]) % 255u;
        s2 = (s2 + s1) % 255u;
    }
    return (uint16_t)((s2 << 8) | s1);
}

/* Fletcher-32 over little-endian 16-bit words (odd tail zero-padded), deferred modulo */
static uint32_t fletcher32(const uint8_t *p, uint32_t n) {
    uint32_t c0 = 0, c1 = 0;
    uint32_t words = (n + 1) / 2, i = 0;
    while (words > 0) {
        uint32_t block = words > 360 ? 360 : words;
        words -= block;
        for (; block > 0; block--, i += 2) {
            uint32_t lo = p[i];
            uint32_t hi = i + 1 < n ? p[i + 1] : 0u;
            c0 += lo | (hi << 8);
            c1 += c0;
        }
        c0 %= 65535u;
        c1 %= 65535u;
    }
    return (c1 << 16) | c0;
}

/* rolling Adler-32 of a window of length w: remove byte out, add byte in */
static uint32_t adler_roll(uint32_t adler, uint32_t w, uint8_t out, uint8_t in) {
    uint32_t a = adler & 0xFFFFu, b = adler >> 16;
    a = (a + MOD_ADLER - out + in) % MOD_ADLER;
    b = (b + MOD_ADLER - 1u + ((MOD_ADLER - (w % MOD_ADLER)) * (uint32_t)out) % MOD_ADLER + a) % MOD_ADLER;
    return (b << 16) | a;
}

int main(void) {
    static const char wiki[] = "Wikipedia";
    static const char abcde[] = "abcde";
    uint32_t vw = adler32_simple((const uint8_t *)wiki, (uint32_t)strlen(wiki));
    printf("vectors adler(Wikipedia)=%08x fletcher16(abcde)=%04x fletcher32(abcde)=%08x\n", (unsigned)vw,
           (unsigned)fletcher16((const uint8_t *)abcde, 5), (unsigned)fletcher32((const uint8_t *)abcde, 5));

    for (uint32_t i = 0; i < BUF_LEN; i++) buf[i] = (uint8_t)(rng_next() >> 7);
    uint32_t s = adler32_simple(buf, BUF_LEN);
    uint32_t f = adler32_fast(1, buf, BUF_LEN);
    uint32_t split = adler32_fast(adler32_fast(1, buf, 33333), buf + 33333, BUF_LEN - 33333);
    printf("buffer adler=%08x fast_ok=%d split_ok=%d f16=%04x f32=%08x\n", (unsigned)s, s == f, s == split,
           (unsigned)fletcher16(buf, BUF_LEN), (unsigned)fletcher32(buf, BUF_LEN));

    const uint32_t w = 64;
    uint32_t roll = adler32_simple(buf, w), hash = 0, mismatch = 0;
    for (uint32_t i = 1; i + w <= 20000u; i++) {
        roll = adler_roll(roll, w, buf[i - 1], buf[i + w - 1]);
        hash = hash * 31u + roll;
        if (i % 97u == 0 && roll != adler32_simple(buf + i, w)) mismatch++;
    }
    printf("rolling hash=%08x mismatches=%u\n", (unsigned)hash, (unsigned)mismatch);
    return 0;
}
