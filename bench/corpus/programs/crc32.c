/* crc32.c - table-driven and bitwise CRC-32 (IEEE) and CRC-32C over generated data.
 * Part of the OpenPassMarket benchmark corpus. Deterministic, no libc beyond printf. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define BUF_SIZE 65536u
#define POLY_IEEE 0xEDB88320u
#define POLY_CASTAGNOLI 0x82F63B78u

static uint8_t buffer[BUF_SIZE];
static uint32_t crc_table[256];
static uint32_t rng_state = 0x12345678u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void fill_buffer(uint8_t *buf, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)(rng_next() >> 24);
    }
}

static void make_table(uint32_t poly) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1u) ? (poly ^ (c >> 1)) : (c >> 1);
        }
        crc_table[i] = c;
    }
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, uint32_t n) {
    crc = ~crc;
    while (n--) {
        crc = crc_table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    }
    return ~crc;
}

static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, uint32_t n, uint32_t poly) {
    crc = ~crc;
    for (uint32_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) {
            uint32_t mask = 0u - (crc & 1u);
            crc = (crc >> 1) ^ (poly & mask);
        }
    }
    return ~crc;
}

static uint32_t crc_chunked(const uint8_t *p, uint32_t n) {
    uint32_t crc = 0;
    uint32_t off = 0;
    uint32_t step = 1;
    while (off < n) {
        uint32_t len = step;
        if (len > n - off) {
            len = n - off;
        }
        crc = crc_update(crc, p + off, len);
        off += len;
        step = step * 3u + 1u;
        if (step > 4096u) {
            step = 1;
        }
    }
    return crc;
}

int main(void) {
    static const char vector[] = "123456789";
    uint32_t vlen = (uint32_t)strlen(vector);

    fill_buffer(buffer, BUF_SIZE);

    make_table(POLY_IEEE);
    uint32_t check_ieee = crc_update(0, (const uint8_t *)vector, vlen);
    uint32_t whole = crc_update(0, buffer, BUF_SIZE);
    uint32_t chunked = crc_chunked(buffer, BUF_SIZE);
    uint32_t tabled8k = crc_update(0, buffer, 8192);
    uint32_t bitwise8k = crc_bitwise(0, buffer, 8192, POLY_IEEE);

    uint32_t acc = 0;
    for (uint32_t i = 0; i < 1024; i++) {
        acc = acc * 31u + crc_update(i, buffer + i * 64u, 64);
    }

    make_table(POLY_CASTAGNOLI);
    uint32_t check_c = crc_update(0, (const uint8_t *)vector, vlen);
    uint32_t whole_c = crc_update(0, buffer, BUF_SIZE);
    uint32_t bitwise_c = crc_bitwise(0, buffer, 4096, POLY_CASTAGNOLI);
    uint32_t tabled_c = crc_update(0, buffer, 4096);

    printf("crc32 check=%08x whole=%08x chunked_ok=%d bitwise_ok=%d acc=%08x\n",
           (unsigned)check_ieee, (unsigned)whole, chunked == whole, bitwise8k == tabled8k,
           (unsigned)acc);
    printf("crc32c check=%08x whole=%08x bitwise_ok=%d\n",
           (unsigned)check_c, (unsigned)whole_c, bitwise_c == tabled_c);
    return 0;
}
