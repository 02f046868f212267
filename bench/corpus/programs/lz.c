/* lz.c - LZSS-style compressor (4 KiB window, hash chains) and decompressor, round-tripped
 * over generated text and over incompressible bytes at two effort levels.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define IN_MAX 49152u
#define OUT_MAX (IN_MAX + IN_MAX / 8u + 16u)
#define WINDOW 4096u
#define MIN_MATCH 3u
#define MAX_MATCH 18u
#define HASH_BITS 12
#define NONE 0xFFFFFFFFu
#define LZ_ERROR 0xFFFFFFFFu

static uint8_t input[IN_MAX];
static uint8_t packed[OUT_MAX];
static uint8_t unpacked[IN_MAX];
static uint32_t head[1u << HASH_BITS];
static uint32_t prev_pos[IN_MAX];
static uint32_t rng_state = 0x3C6EF372u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static uint32_t make_text(uint8_t *buf, uint32_t cap) {
    static const char *const words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ",
                                        "dog ", "pass ", "manager ", "loop ", "vectorize ", "inline ",
                                        "\n", "register ", "allocation ", ", ", ". "};
    const uint32_t nwords = (uint32_t)(sizeof words / sizeof words[0]);
    uint32_t n = 0;
    for (;;) {
        const char *w = words[rng_next() % nwords];
        uint32_t len = (uint32_t)strlen(w);
        if (n + len > cap) break;
        memcpy(buf + n, w, len);
        n += len;
        if (rng_next() % 16u == 0 && n < cap) {
            buf[n++] = (uint8_t)('0' + rng_next() % 10u);
        }
    }
    while (n < cap) buf[n++] = '.';
    return n;
}

static uint32_t hash3(const uint8_t *p) {
    uint32_t v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | (uint32_t)p[2];
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static void insert_pos(const uint8_t *in, uint32_t pos, uint32_t n) {
    if (pos + MIN_MATCH > n) return;
    uint32_t h = hash3(in + pos);
    prev_pos[pos] = head[h];
    head[h] = pos;
}

static uint32_t match_length(const uint8_t *in, uint32_t cand, uint32_t pos, uint32_t n) {
    uint32_t limit = n - pos;
    if (limit > MAX_MATCH) limit = MAX_MATCH;
    uint32_t len = 0;
    while (len < limit && in[cand + len] == in[pos + len]) len++;
    return len;
}

static uint32_t lz_compress(const uint8_t *in, uint32_t n, uint8_t *out, uint32_t max_chain) {
    uint32_t op = 0, ip = 0, flag_pos = 0, bit = 8;
    for (uint32_t i = 0; i < (1u << HASH_BITS); i++) head[i] = NONE;
    while (ip < n) {
        if (bit == 8) {
            flag_pos = op++;
            out[flag_pos] = 0;
            bit = 0;
        }
        uint32_t best_len = 0, best_dist = 0;
        if (ip + MIN_MATCH <= n) {
            uint32_t cand = head[hash3(in + ip)];
            for (uint32_t depth = 0; cand != NONE && ip - cand <= WINDOW && depth < max_chain; depth++) {
                uint32_t len = match_length(in, cand, ip, n);
                if (len > best_len) {
                    best_len = len;
                    best_dist = ip - cand;
                    if (len == MAX_MATCH) break;
                }
                cand = prev_pos[cand];
            }
        }
        if (best_len >= MIN_MATCH) {
            uint32_t d = best_dist - 1, l = best_len - MIN_MATCH;
            out[flag_pos] = (uint8_t)(out[flag_pos] | (1u << bit));
            out[op++] = (uint8_t)(d & 0xFFu);
            out[op++] = (uint8_t)(((d >> 8) << 4) | l);
            for (uint32_t k = 0; k < best_len; k++) insert_pos(in, ip + k, n);
            ip += best_len;
        } else {
            out[op++] = in[ip];
            insert_pos(in, ip, n);
            ip++;
        }
        bit++;
    }
    return op;
}

static uint32_t lz_decompress(const uint8_t *in, uint32_t n, uint8_t *out, uint32_t cap) {
    uint32_t ip = 0, op = 0;
    while (ip < n) {
        uint32_t flags = in[ip++];
        for (uint32_t bit = 0; bit < 8 && ip < n; bit++) {
            if ((flags >> bit) & 1u) {
                if (ip + 2 > n) return LZ_ERROR;
                uint32_t dist = ((uint32_t)in[ip] | ((uint32_t)(in[ip + 1] >> 4) << 8)) + 1u;
                uint32_t len = (uint32_t)(in[ip + 1] & 15u) + MIN_MATCH;
                ip += 2;
                if (dist > op || op + len > cap) return LZ_ERROR;
                for (uint32_t k = 0; k < len; k++, op++) out[op] = out[op - dist];
            } else {
                if (op >= cap) return LZ_ERROR;
                out[op++] = in[ip++];
            }
        }
    }
    return op;
}

static uint32_t fnv1a(const uint8_t *p, uint32_t n) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static void round_trip(const char *label, uint32_t n, uint32_t chain) {
    uint32_t c = lz_compress(input, n, packed, chain);
    memset(unpacked, 0, sizeof unpacked);
    uint32_t d = lz_decompress(packed, c, unpacked, IN_MAX);
    int ok = d == n && memcmp(input, unpacked, n) == 0;
    printf("%s chain=%u in=%u packed=%u packed_fnv=%08x ok=%d\n", label, (unsigned)chain, (unsigned)n,
           (unsigned)c, (unsigned)fnv1a(packed, c), ok);
}

int main(void) {
    uint32_t n = make_text(input, IN_MAX);
    printf("text fnv=%08x\n", (unsigned)fnv1a(input, n));
    round_trip("text", n, 4);
    round_trip("text", n, 64);
    for (uint32_t i = 0; i < 8192; i++) input[i] = (uint8_t)(rng_next() >> 24);
    round_trip("noise", 8192, 16);
    /* corrupted stream: a back-reference past the start must be rejected */
    uint8_t bad[3] = {0x01, 0x10, 0x00};
    printf("corrupt rejected=%d\n", lz_decompress(bad, 3, unpacked, IN_MAX) == LZ_ERROR);
    return 0;
}
