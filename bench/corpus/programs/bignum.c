/* bignum.c - arbitrary-precision unsigned integers on 32-bit limbs: add, multiply by small,
 * schoolbook and Karatsuba multiplication, division by small, decimal conversion.
 * Checks classic results (100! and 2^1000 digit sums, first 1000-digit Fibonacci number).
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define LIMBS 160
#define KARATSUBA_CUTOFF 8
#define KN 64

typedef struct {
    uint32_t d[LIMBS]; /* little-endian limbs */
    uint32_t n;        /* used limbs, no leading zero limbs */
} bignum;

static uint32_t scratch[16 * KN];
static uint32_t ka[KN], kb[KN], r_school[2 * KN], r_kara[2 * KN];
static bignum fa, fb, fc, limit;
static uint32_t rng_state = 0xCBBB9D5Du;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void bn_set(bignum *a, uint32_t v) {
    memset(a->d, 0, sizeof a->d);
    a->d[0] = v;
    a->n = v ? 1u : 0u;
}

static void bn_trim(bignum *a) {
    while (a->n > 0 && a->d[a->n - 1] == 0) a->n--;
}

static void bn_mul_small(bignum *a, uint32_t m) {
    uint64_t carry = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->d[i] * m + carry;
        a->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) a->d[a->n++] = (uint32_t)carry;
    bn_trim(a);
}

/* r = a + b (r may alias a or b) */
static void bn_add(bignum *r, const bignum *a, const bignum *b) {
    uint32_t n = a->n > b->n ? a->n : b->n;
    uint64_t carry = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t t = (uint64_t)(i < a->n ? a->d[i] : 0u) + (i < b->n ? b->d[i] : 0u) + carry;
        r->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    r->n = n;
    if (carry) r->d[r->n++] = 1u;
}

static int bn_cmp(const bignum *a, const bignum *b) {
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    for (uint32_t i = a->n; i-- > 0;) {
        if (a->d[i] != b->d[i]) return a->d[i] < b->d[i] ? -1 : 1;
    }
    return 0;
}

/* a /= m, returns the remainder */
static uint32_t bn_div_small(bignum *a, uint32_t m) {
    uint64_t rem = 0;
    for (uint32_t i = a->n; i-- > 0;) {
        uint64_t cur = (rem << 32) | a->d[i];
        a->d[i] = (uint32_t)(cur / m);
        rem = cur % m;
    }
    bn_trim(a);
    return (uint32_t)rem;
}

/* decimal digit sum and digit count, by repeated division by 10^9 */
static void bn_digits(const bignum *a, uint32_t *sum, uint32_t *count) {
    static bignum t;
    t = *a;
    *sum = 0;
    *count = 0;
    while (t.n > 0) {
        uint32_t chunk = bn_div_small(&t, 1000000000u);
        int most_significant = t.n == 0;
        /* inner chunks always have nine digits; the leading one has no leading zeros */
        for (int k = 0; k < 9 && (!most_significant || chunk != 0); k++) {
            *sum += chunk % 10u;
            chunk /= 10u;
            (*count)++;
        }
    }
}

static void mul_school(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb, uint32_t *r) {
    memset(r, 0, sizeof(uint32_t) * (na + nb));
    for (uint32_t i = 0; i < na; i++) {
        uint64_t carry = 0;
        for (uint32_t j = 0; j < nb; j++) {
            uint64_t t = (uint64_t)a[i] * b[j] + r[i + j] + carry;
            r[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        r[i + nb] = (uint32_t)carry;
    }
}

static int cmp_n(const uint32_t *a, const uint32_t *b, uint32_t n) {
    for (uint32_t i = n; i-- > 0;) {
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

static void sub_n(uint32_t *r, const uint32_t *a, const uint32_t *b, uint32_t n) {
    uint32_t borrow = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t t = (uint64_t)a[i] - b[i] - borrow;
        r[i] = (uint32_t)t;
        borrow = (uint32_t)(t >> 63);
    }
}

/* |x - y| into r, returns 1 if x < y */
static int abs_diff(uint32_t *r, const uint32_t *x, const uint32_t *y, uint32_t n) {
    if (cmp_n(x, y, n) >= 0) {
        sub_n(r, x, y, n);
        return 0;
    }
    sub_n(r, y, x, n);
    return 1;
}

/* r[0..2n) = a[0..n) * b[0..n), n a power of two; uses 4n limbs of scratch per level */
static void mul_karatsuba(const uint32_t *a, const uint32_t *b, uint32_t n, uint32_t *r, uint32_t *s) {
    if (n <= KARATSUBA_CUTOFF) {
        mul_school(a, n, b, n, r);
        return;
    }
    uint32_t h = n / 2;
    uint32_t *da = s, *db = s + h, *z1 = s + n, *t = s + 2 * n, *next = s + 4 * n;
    mul_karatsuba(a, b, h, r, next);         /* z0 = a0*b0 */
    mul_karatsuba(a + h, b + h, h, r + n, next); /* z2 = a1*b1 */
    int neg = abs_diff(da, a, a + h, h) ^ abs_diff(db, b + h, b, h);
    mul_karatsuba(da, db, h, z1, next);      /* |(a0-a1)(b1-b0)| */
    /* t = z0 + z2 +/- z1 = a0*b1 + a1*b0, as n+1 limbs */
    uint64_t carry = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v = (uint64_t)r[i] + r[n + i] + carry;
        t[i] = (uint32_t)v;
        carry = v >> 32;
    }
    t[n] = (uint32_t)carry;
    if (neg) {
        uint32_t borrow = 0;
        for (uint32_t i = 0; i <= n; i++) {
            uint64_t v = (uint64_t)t[i] - (i < n ? z1[i] : 0u) - borrow;
            t[i] = (uint32_t)v;
            borrow = (uint32_t)(v >> 63);
        }
    } else {
        carry = 0;
        for (uint32_t i = 0; i <= n; i++) {
            uint64_t v = (uint64_t)t[i] + (i < n ? z1[i] : 0u) + carry;
            t[i] = (uint32_t)v;
            carry = v >> 32;
        }
    }
    carry = 0;
    for (uint32_t i = 0; i <= n; i++) {
        uint64_t v = (uint64_t)r[h + i] + t[i] + carry;
        r[h + i] = (uint32_t)v;
        carry = v >> 32;
    }
    for (uint32_t i = h + n + 1; carry && i < 2 * n; i++) {
        uint64_t v = (uint64_t)r[i] + carry;
        r[i] = (uint32_t)v;
        carry = v >> 32;
    }
}

static uint32_t hash_limbs(const uint32_t *a, uint32_t n, uint32_t h) {
    for (uint32_t i = 0; i < n; i++) h = (h ^ a[i]) * 16777619u;
    return h;
}

int main(void) {
    uint32_t sum, count;

    bn_set(&fa, 1);
    for (uint32_t k = 2; k <= 100; k++) bn_mul_small(&fa, k);
    bn_digits(&fa, &sum, &count);
    printf("100! digits=%u digit_sum=%u limbs=%u\n", (unsigned)count, (unsigned)sum, (unsigned)fa.n);

    bn_set(&fa, 1);
    for (uint32_t k = 0; k < 1000; k++) bn_mul_small(&fa, 2);
    bn_digits(&fa, &sum, &count);
    printf("2^1000 digits=%u digit_sum=%u\n", (unsigned)count, (unsigned)sum);

    /* first Fibonacci number with 1000 digits: compare against 10^999 */
    bn_set(&limit, 1);
    for (int k = 0; k < 999; k++) bn_mul_small(&limit, 10);
    bn_set(&fa, 1);
    bn_set(&fb, 1);
    uint32_t index = 2;
    while (bn_cmp(&fb, &limit) < 0) {
        bn_add(&fc, &fa, &fb);
        fa = fb;
        fb = fc;
        index++;
    }
    bn_digits(&fb, &sum, &count);
    printf("fib index=%u digits=%u digit_sum=%u\n", (unsigned)index, (unsigned)count, (unsigned)sum);

    uint32_t h = 2166136261u, mismatches = 0;
    for (int round = 0; round < 12; round++) {
        uint32_t n = (round % 3 == 0) ? 16u : (round % 3 == 1) ? 32u : KN;
        for (uint32_t i = 0; i < n; i++) {
            ka[i] = rng_next();
            kb[i] = (round & 1) ? 0xFFFFFFFFu : rng_next(); /* all-ones stresses the carries */
        }
        mul_school(ka, n, kb, n, r_school);
        mul_karatsuba(ka, kb, n, r_kara, scratch);
        if (memcmp(r_school, r_kara, sizeof(uint32_t) * 2 * n) != 0) mismatches++;
        h = hash_limbs(r_kara, 2 * n, h);
    }
    printf("karatsuba hash=%08x mismatches=%u\n", (unsigned)h, (unsigned)mismatches);
    return 0;
}
