/* bitcount.c - several population-count algorithms (naive, Kernighan, table, SWAR,
 * recursive nibble) plus parity, leading zeros and bit reversal, cross-checked.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>

#define COUNT 60000

static uint8_t byte_table[256];
static uint32_t rng_state = 0x85EBCA6Bu;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static int pop_naive(uint32_t x) {
    int n = 0;
    for (int i = 0; i < 32; i++) {
        n += (int)((x >> i) & 1u);
    }
    return n;
}

static int pop_kernighan(uint32_t x) {
    int n = 0;
    while (x) {
        x &= x - 1;
        n++;
    }
    return n;
}

static void init_table(void) {
    byte_table[0] = 0;
    for (int i = 1; i < 256; i++) {
        byte_table[i] = (uint8_t)(byte_table[i >> 1] + (i & 1));
    }
}

static int pop_table(uint32_t x) {
    return byte_table[x & 0xFFu] + byte_table[(x >> 8) & 0xFFu] + byte_table[(x >> 16) & 0xFFu] +
           byte_table[x >> 24];
}

static int pop_swar(uint32_t x) {
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0F0F0F0Fu;
    return (int)((x * 0x01010101u) >> 24);
}

static int pop_nibble(uint32_t x) {
    static const int nib[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
    if (x == 0) return 0;
    return nib[x & 15u] + pop_nibble(x >> 4);
}

static int parity(uint32_t x) {
    x ^= x >> 16;
    x ^= x >> 8;
    x ^= x >> 4;
    return (int)((0x6996u >> (x & 15u)) & 1u);
}

static int clz32(uint32_t x) {
    if (x == 0) return 32;
    int n = 0;
    if ((x & 0xFFFF0000u) == 0) { n += 16; x <<= 16; }
    if ((x & 0xFF000000u) == 0) { n += 8; x <<= 8; }
    if ((x & 0xF0000000u) == 0) { n += 4; x <<= 4; }
    if ((x & 0xC0000000u) == 0) { n += 2; x <<= 2; }
    if ((x & 0x80000000u) == 0) { n += 1; }
    return n;
}

static uint32_t reverse_bits(uint32_t x) {
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
    x = ((x >> 8) & 0x00FF00FFu) | ((x & 0x00FF00FFu) << 8);
    return (x >> 16) | (x << 16);
}

static uint32_t reverse_bits_slow(uint32_t x) {
    uint32_t r = 0;
    for (int i = 0; i < 32; i++) {
        r = (r << 1) | (x & 1u);
        x >>= 1;
    }
    return r;
}

int main(void) {
    init_table();
    uint32_t sums[5] = {0, 0, 0, 0, 0};
    uint32_t par = 0, lz = 0, rev = 0, mismatches = 0;
    for (uint32_t i = 0; i < COUNT; i++) {
        uint32_t x = rng_next();
        if (i % 7 == 0) x &= rng_next(); /* sparser words */
        if (i % 11 == 0) x >>= (i % 32);
        int a = pop_naive(x), b = pop_kernighan(x), c = pop_table(x), d = pop_swar(x), e = pop_nibble(x);
        sums[0] += (uint32_t)a;
        sums[1] += (uint32_t)b;
        sums[2] += (uint32_t)c;
        sums[3] += (uint32_t)d;
        sums[4] += (uint32_t)e;
        if (a != b || b != c || c != d || d != e) mismatches++;
        if (parity(x) != (a & 1)) mismatches++;
        par += (uint32_t)parity(x);
        lz += (uint32_t)clz32(x);
        uint32_t r = reverse_bits(x);
        if (i % 8 == 0 && r != reverse_bits_slow(x)) mismatches++;
        rev = (rev << 3 | rev >> 29) ^ r;
    }
    printf("bitcount pop=%u %u %u %u %u parity=%u clz=%u rev=%08x mismatches=%u\n", (unsigned)sums[0],
           (unsigned)sums[1], (unsigned)sums[2], (unsigned)sums[3], (unsigned)sums[4], (unsigned)par,
           (unsigned)lz, (unsigned)rev, (unsigned)mismatches);
    return 0;
}
