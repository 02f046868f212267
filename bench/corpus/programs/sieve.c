/* sieve.c - prime sieves: byte-array Eratosthenes, odd-only bitset sieve, segmented
 * sieve, with prime counting, twin primes and prime gaps. Part of the OpenPassMarket corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define LIMIT 1000000u
#define SEGMENT 32768u

static uint8_t composite[LIMIT + 1];
static uint32_t odd_bits[(LIMIT / 2) / 32 + 1];
static uint8_t segment[SEGMENT];
static uint32_t small_primes[200];

static uint32_t sieve_bytes(uint32_t limit) {
    memset(composite, 0, limit + 1);
    composite[0] = composite[1] = 1;
    for (uint32_t i = 2; i * i <= limit; i++) {
        if (!composite[i]) {
            for (uint32_t j = i * i; j <= limit; j += i) composite[j] = 1;
        }
    }
    uint32_t count = 0;
    for (uint32_t i = 2; i <= limit; i++) count += composite[i] ? 0u : 1u;
    return count;
}

/* bit k represents the odd number 2k+1 */
static int odd_is_composite(uint32_t k) {
    return (int)((odd_bits[k >> 5] >> (k & 31u)) & 1u);
}

static uint32_t sieve_odd_bits(uint32_t limit) {
    uint32_t half = limit / 2;
    memset(odd_bits, 0, sizeof odd_bits);
    for (uint32_t k = 1; (2 * k + 1) * (2 * k + 1) <= limit; k++) {
        if (odd_is_composite(k)) continue;
        uint32_t p = 2 * k + 1;
        for (uint32_t m = (p * p) / 2; m <= half; m += p) odd_bits[m >> 5] |= 1u << (m & 31u);
    }
    uint32_t count = limit >= 2 ? 1u : 0u; /* the prime 2 */
    for (uint32_t k = 1; 2 * k + 1 <= limit; k++) count += odd_is_composite(k) ? 0u : 1u;
    return count;
}

static uint32_t collect_small_primes(uint32_t limit) {
    uint32_t n = 0;
    for (uint32_t i = 2; i * i <= limit; i++) {
        if (!composite[i]) small_primes[n++] = i;
    }
    return n;
}

static uint32_t sieve_segmented(uint32_t limit, uint32_t nsmall, uint64_t *sum) {
    uint32_t count = 0;
    *sum = 0;
    for (uint32_t low = 0; low <= limit; low += SEGMENT) {
        uint32_t high = low + SEGMENT - 1;
        if (high > limit) high = limit;
        memset(segment, 0, SEGMENT);
        for (uint32_t i = 0; i < nsmall; i++) {
            uint32_t p = small_primes[i];
            uint32_t start = p * p;
            if (start < low) start = ((low + p - 1) / p) * p;
            for (uint32_t j = start; j <= high; j += p) segment[j - low] = 1;
        }
        for (uint32_t n = low; n <= high; n++) {
            if (n >= 2 && !segment[n - low]) {
                count++;
                *sum += n;
            }
        }
    }
    return count;
}

int main(void) {
    uint32_t a = sieve_bytes(LIMIT);
    uint32_t b = sieve_odd_bits(LIMIT);
    uint32_t nsmall = collect_small_primes(LIMIT);
    uint64_t sum = 0;
    uint32_t c = sieve_segmented(LIMIT, nsmall, &sum);
    uint32_t twins = 0, max_gap = 0, gap_at = 0, last = 2;
    for (uint32_t i = 3; i <= LIMIT; i += 2) {
        if (composite[i]) continue;
        if (i - last == 2) twins++;
        if (i - last > max_gap) {
            max_gap = i - last;
            gap_at = last;
        }
        last = i;
    }
    printf("sieve pi=%u %u %u sum=%llu twins=%u max_gap=%u after=%u largest=%u\n", (unsigned)a, (unsigned)b,
           (unsigned)c, (unsigned long long)sum, (unsigned)twins, (unsigned)max_gap, (unsigned)gap_at,
           (unsigned)last);
    return 0;
}
