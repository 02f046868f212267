/* knapsack.c - 0/1 knapsack (1-D DP and 2-D DP with item reconstruction), unbounded
 * knapsack, subset-sum counting, and a Gray-code brute force cross-check.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define ITEMS 100
#define CAPACITY 1000
#define BRUTE_ITEMS 18
#define BRUTE_CAP 300

static uint32_t weight[ITEMS], value[ITEMS];
static uint32_t best[CAPACITY + 1];
static uint32_t table[ITEMS + 1][CAPACITY + 1];
static uint32_t ways[CAPACITY + 1];
static uint32_t rng_state = 0x428A2F98u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void make_items(void) {
    for (int i = 0; i < ITEMS; i++) {
        weight[i] = 5u + rng_next() % 95u;
        value[i] = weight[i] + rng_next() % 60u; /* correlated, the hard kind */
    }
}

static uint32_t knap_1d(int n, uint32_t cap) {
    memset(best, 0, sizeof(uint32_t) * (cap + 1));
    for (int i = 0; i < n; i++) {
        for (uint32_t c = cap; c >= weight[i]; c--) {
            uint32_t with = best[c - weight[i]] + value[i];
            if (with > best[c]) best[c] = with;
        }
    }
    return best[cap];
}

static uint32_t knap_2d(int n, uint32_t cap, uint32_t *chosen_mask_hash, uint32_t *chosen_weight) {
    for (uint32_t c = 0; c <= cap; c++) table[0][c] = 0;
    for (int i = 1; i <= n; i++) {
        for (uint32_t c = 0; c <= cap; c++) {
            uint32_t skip = table[i - 1][c];
            uint32_t take = c >= weight[i - 1] ? table[i - 1][c - weight[i - 1]] + value[i - 1] : 0u;
            table[i][c] = take > skip ? take : skip;
        }
    }
    uint32_t c = cap, h = 0, w = 0;
    for (int i = n; i >= 1; i--) {
        if (table[i][c] != table[i - 1][c]) {
            h = h * 131u + (uint32_t)i;
            w += weight[i - 1];
            c -= weight[i - 1];
        }
    }
    *chosen_mask_hash = h;
    *chosen_weight = w;
    return table[n][cap];
}

static uint32_t knap_unbounded(int n, uint32_t cap) {
    memset(best, 0, sizeof(uint32_t) * (cap + 1));
    for (uint32_t c = 1; c <= cap; c++) {
        for (int i = 0; i < n; i++) {
            if (weight[i] <= c && best[c - weight[i]] + value[i] > best[c]) best[c] = best[c - weight[i]] + value[i];
        }
    }
    return best[cap];
}

/* number of subsets (mod 2^32) of the first n weights with each exact sum */
static uint32_t subset_sums(int n, uint32_t cap) {
    memset(ways, 0, sizeof(uint32_t) * (cap + 1));
    ways[0] = 1;
    for (int i = 0; i < n; i++) {
        for (uint32_t c = cap; c >= weight[i]; c--) ways[c] += ways[c - weight[i]];
    }
    uint32_t h = 0;
    for (uint32_t c = 0; c <= cap; c++) h = h * 31u + ways[c];
    return h;
}

/* enumerate all subsets in Gray-code order, one item toggled per step */
static uint32_t brute_force(int n, uint32_t cap) {
    uint32_t w = 0, v = 0, bestv = 0, in_set = 0;
    for (uint32_t g = 1; g < (1u << n); g++) {
        int bit = 0;
        while (!((g >> bit) & 1u)) bit++;
        uint32_t m = 1u << bit;
        if (in_set & m) {
            w -= weight[bit];
            v -= value[bit];
        } else {
            w += weight[bit];
            v += value[bit];
        }
        in_set ^= m;
        if (w <= cap && v > bestv) bestv = v;
    }
    return bestv;
}

int main(void) {
    make_items();
    uint32_t mh = 0, cw = 0;
    uint32_t a = knap_1d(ITEMS, CAPACITY);
    uint32_t b = knap_2d(ITEMS, CAPACITY, &mh, &cw);
    uint32_t u = knap_unbounded(ITEMS, CAPACITY);
    uint32_t s = subset_sums(40, CAPACITY);
    uint32_t small_dp = knap_1d(BRUTE_ITEMS, BRUTE_CAP);
    uint32_t small_bf = brute_force(BRUTE_ITEMS, BRUTE_CAP);
    printf("knapsack best=%u agree=%d chosen=%08x weight=%u unbounded=%u subsets=%08x\n", (unsigned)a, a == b,
           (unsigned)mh, (unsigned)cw, (unsigned)u, (unsigned)s);
    printf("brute small=%u dp=%u agree=%d\n", (unsigned)small_bf, (unsigned)small_dp, small_bf == small_dp);
    return 0;
}
