/* quicksort.c - median-of-three quicksort with insertion-sort cutoff on integers,
 * and a generic function-pointer quicksort on records. Part of the OpenPassMarket corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define N_INTS 20000
#define N_RECS 4000
#define CUTOFF 12

typedef struct {
    uint32_t key;
    uint16_t group;
    uint16_t id;
} record;

typedef int (*compare_fn)(const record *, const record *);

static uint32_t values[N_INTS];
static record recs[N_RECS];
static uint32_t rng_state = 0x2545F491u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void swap_u32(uint32_t *a, uint32_t *b) {
    uint32_t t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(uint32_t *a, int lo, int hi) {
    for (int i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        int j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static uint32_t median_of_three(uint32_t *a, int lo, int hi) {
    int mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo]) swap_u32(&a[mid], &a[lo]);
    if (a[hi] < a[lo]) swap_u32(&a[hi], &a[lo]);
    if (a[hi] < a[mid]) swap_u32(&a[hi], &a[mid]);
    return a[mid];
}

static void quicksort_u32(uint32_t *a, int lo, int hi) {
    while (hi - lo > CUTOFF) {
        uint32_t pivot = median_of_three(a, lo, hi);
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                swap_u32(&a[i], &a[j]);
                i++;
                j--;
            }
        }
        /* recurse into the smaller half, loop on the larger */
        if (j - lo < hi - i) {
            quicksort_u32(a, lo, j);
            lo = i;
        } else {
            quicksort_u32(a, i, hi);
            hi = j;
        }
    }
    insertion_sort(a, lo, hi);
}

static int by_key(const record *x, const record *y) {
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (int)x->id - (int)y->id;
}

static int by_group_then_key(const record *x, const record *y) {
    if (x->group != y->group) return (int)x->group - (int)y->group;
    return by_key(x, y);
}

static void swap_rec(record *a, record *b) {
    record t = *a;
    *a = *b;
    *b = t;
}

static void quicksort_rec(record *a, int n, compare_fn cmp) {
    if (n < 2) return;
    swap_rec(&a[0], &a[n / 2]);
    int last = 0;
    for (int i = 1; i < n; i++) {
        if (cmp(&a[i], &a[0]) < 0) {
            swap_rec(&a[++last], &a[i]);
        }
    }
    swap_rec(&a[0], &a[last]);
    quicksort_rec(a, last, cmp);
    quicksort_rec(a + last + 1, n - last - 1, cmp);
}

static int is_sorted_u32(const uint32_t *a, int n) {
    for (int i = 1; i < n; i++) {
        if (a[i - 1] > a[i]) return 0;
    }
    return 1;
}

static int is_sorted_rec(const record *a, int n, compare_fn cmp) {
    for (int i = 1; i < n; i++) {
        if (cmp(&a[i - 1], &a[i]) > 0) return 0;
    }
    return 1;
}

static uint32_t checksum_u32(const uint32_t *a, int n) {
    uint32_t h = 0;
    for (int i = 0; i < n; i++) {
        h = (h ^ a[i]) * 0x01000193u + (uint32_t)i;
    }
    return h;
}

static uint32_t checksum_rec(const record *a, int n) {
    uint32_t h = 0;
    for (int i = 0; i < n; i++) {
        h = h * 31u + a[i].id + ((uint32_t)a[i].group << 16);
    }
    return h;
}

int main(void) {
    for (int i = 0; i < N_INTS; i++) {
        values[i] = rng_next() % 100000u;
    }
    quicksort_u32(values, 0, N_INTS - 1);
    printf("ints sorted=%d min=%u med=%u max=%u sum=%08x\n", is_sorted_u32(values, N_INTS),
           (unsigned)values[0], (unsigned)values[N_INTS / 2], (unsigned)values[N_INTS - 1],
           (unsigned)checksum_u32(values, N_INTS));

    /* already sorted and reverse-sorted inputs exercise the pivot choice */
    for (int i = 0; i < N_INTS; i++) {
        values[i] = (uint32_t)(N_INTS - i) * 7u;
    }
    quicksort_u32(values, 0, N_INTS - 1);
    int rev_ok = is_sorted_u32(values, N_INTS);
    quicksort_u32(values, 0, N_INTS - 1);
    printf("reverse sorted=%d resorted=%d sum=%08x\n", rev_ok, is_sorted_u32(values, N_INTS),
           (unsigned)checksum_u32(values, N_INTS));

    for (int i = 0; i < N_RECS; i++) {
        recs[i].key = rng_next() % 5000u;
        recs[i].group = (uint16_t)(rng_next() % 17u);
        recs[i].id = (uint16_t)i;
    }
    quicksort_rec(recs, N_RECS, by_key);
    int ok1 = is_sorted_rec(recs, N_RECS, by_key);
    uint32_t h1 = checksum_rec(recs, N_RECS);
    quicksort_rec(recs, N_RECS, by_group_then_key);
    int ok2 = is_sorted_rec(recs, N_RECS, by_group_then_key);
    printf("records by_key=%d %08x by_group=%d %08x\n", ok1, (unsigned)h1, ok2,
           (unsigned)checksum_rec(recs, N_RECS));
    return 0;
}
