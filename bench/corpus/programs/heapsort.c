/* heapsort.c - in-place heapsort, a binary-heap priority queue and top-k selection.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>

#define N 20000
#define PQ_CAP 1024
#define TOP_K 100

static uint32_t data[N];
static uint32_t pq[PQ_CAP];
static uint32_t pq_size;
static uint32_t rng_state = 0x6D2B79F5u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void sift_down(uint32_t *a, uint32_t start, uint32_t end) {
    uint32_t root = start;
    for (;;) {
        uint32_t child = 2 * root + 1;
        if (child > end) break;
        if (child + 1 <= end && a[child] < a[child + 1]) child++;
        if (a[root] < a[child]) {
            uint32_t t = a[root];
            a[root] = a[child];
            a[child] = t;
            root = child;
        } else {
            break;
        }
    }
}

static void heapsort_u32(uint32_t *a, uint32_t n) {
    if (n < 2) return;
    uint32_t start = (n - 2) / 2 + 1;
    while (start-- > 0) {
        sift_down(a, start, n - 1);
    }
    for (uint32_t end = n - 1; end > 0; end--) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end - 1);
    }
}

/* min-heap priority queue */
static void pq_push(uint32_t v) {
    uint32_t i = pq_size++;
    pq[i] = v;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (pq[parent] <= pq[i]) break;
        uint32_t t = pq[parent];
        pq[parent] = pq[i];
        pq[i] = t;
        i = parent;
    }
}

static uint32_t pq_pop(void) {
    uint32_t top = pq[0];
    pq[0] = pq[--pq_size];
    uint32_t i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < pq_size && pq[l] < pq[m]) m = l;
        if (r < pq_size && pq[r] < pq[m]) m = r;
        if (m == i) break;
        uint32_t t = pq[m];
        pq[m] = pq[i];
        pq[i] = t;
        i = m;
    }
    return top;
}

/* keep the TOP_K largest values seen: a min-heap of size TOP_K */
static uint32_t top_k_sum(const uint32_t *a, uint32_t n, uint32_t *kth) {
    pq_size = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (pq_size < TOP_K) {
            pq_push(a[i]);
        } else if (a[i] > pq[0]) {
            pq_pop();
            pq_push(a[i]);
        }
    }
    *kth = pq[0];
    uint32_t sum = 0;
    while (pq_size > 0) {
        sum += pq_pop();
    }
    return sum;
}

static int sorted_ascending(const uint32_t *a, uint32_t n) {
    for (uint32_t i = 1; i < n; i++) {
        if (a[i - 1] > a[i]) return 0;
    }
    return 1;
}

int main(void) {
    uint32_t kth = 0, tk;
    for (uint32_t i = 0; i < N; i++) {
        data[i] = rng_next();
    }
    tk = top_k_sum(data, N, &kth);
    heapsort_u32(data, N);
    uint32_t h = 0, sorted_topk = 0;
    for (uint32_t i = 0; i < N; i++) {
        h = h * 2654435761u + data[i];
    }
    for (uint32_t i = N - TOP_K; i < N; i++) {
        sorted_topk += data[i];
    }
    printf("heapsort sorted=%d hash=%08x min=%08x max=%08x\n", sorted_ascending(data, N), (unsigned)h,
           (unsigned)data[0], (unsigned)data[N - 1]);
    printf("topk sum=%08x kth=%08x agrees=%d\n", (unsigned)tk, (unsigned)kth,
           tk == sorted_topk && kth == data[N - TOP_K]);

    /* priority-queue merge of pseudo-random runs */
    pq_size = 0;
    uint32_t out = 0, prev = 0, monotone = 1;
    for (uint32_t round = 0; round < 40; round++) {
        for (uint32_t j = 0; j < 20; j++) {
            pq_push(prev + rng_next() % 1000u);
        }
        for (uint32_t j = 0; j < 15; j++) {
            uint32_t v = pq_pop();
            if (v < prev) monotone = 0;
            prev = v;
            out = out * 33u + v;
        }
    }
    while (pq_size > 0) {
        uint32_t v = pq_pop();
        if (v < prev) monotone = 0;
        prev = v;
        out = out * 33u + v;
    }
    printf("pq stream=%08x monotone=%d last=%u\n", (unsigned)out, monotone, (unsigned)prev);
    return 0;
}
