/* huffman.c - Huffman code lengths from symbol frequencies (heap-built tree), canonical
 * code assignment, Kraft check, bit-level encoding and table-free decoding round trip.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define SYMBOLS 256
#define NODES (2 * SYMBOLS)
#define MSG_LEN 40000u
#define MAX_BITS 32

static uint8_t message[MSG_LEN];
static uint8_t decoded[MSG_LEN];
static uint8_t bitstream[MSG_LEN * 4];
static uint32_t freq[SYMBOLS];
static uint32_t node_weight[NODES];
static int node_parent[NODES];
static int heap[NODES];
static int heap_len;
static uint8_t code_len[SYMBOLS];
static uint32_t code[SYMBOLS];
static uint32_t rng_state = 0x9B05688Cu;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* skewed source: geometric-ish over a shuffled alphabet of 90 symbols */
static void make_message(void) {
    for (uint32_t i = 0; i < MSG_LEN; i++) {
        uint32_t r = rng_next();
        uint32_t s = 0;
        while ((r & 3u) != 0 && s < 89) {
            s++;
            r >>= 1;
            if (r == 0) r = rng_next();
        }
        message[i] = (uint8_t)(32u + (s * 37u) % 90u);
    }
}

static int heap_less(int a, int b) {
    if (node_weight[a] != node_weight[b]) return node_weight[a] < node_weight[b];
    return a < b; /* tie-break on node index for determinism */
}

static void heap_push(int node) {
    int i = heap_len++;
    heap[i] = node;
    while (i > 0 && heap_less(heap[i], heap[(i - 1) / 2])) {
        int p = (i - 1) / 2, t = heap[p];
        heap[p] = heap[i];
        heap[i] = t;
        i = p;
    }
}

static int heap_pop(void) {
    int top = heap[0];
    heap[0] = heap[--heap_len];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < heap_len && heap_less(heap[l], heap[m])) m = l;
        if (r < heap_len && heap_less(heap[r], heap[m])) m = r;
        if (m == i) break;
        int t = heap[m];
        heap[m] = heap[i];
        heap[i] = t;
        i = m;
    }
    return top;
}

static int build_lengths(void) {
    int next = SYMBOLS, used = 0;
    heap_len = 0;
    for (int s = 0; s < SYMBOLS; s++) {
        node_weight[s] = freq[s];
        node_parent[s] = -1;
        code_len[s] = 0;
        if (freq[s]) {
            heap_push(s);
            used++;
        }
    }
    if (used == 1) {
        code_len[heap[0]] = 1;
        return 1;
    }
    while (heap_len > 1) {
        int a = heap_pop(), b = heap_pop();
        node_weight[next] = node_weight[a] + node_weight[b];
        node_parent[next] = -1;
        node_parent[a] = next;
        node_parent[b] = next;
        heap_push(next++);
    }
    int max_len = 0;
    for (int s = 0; s < SYMBOLS; s++) {
        if (!freq[s]) continue;
        int len = 0;
        for (int n = s; node_parent[n] >= 0; n = node_parent[n]) len++;
        code_len[s] = (uint8_t)len;
        if (len > max_len) max_len = len;
    }
    return max_len;
}

/* canonical codes: shorter first, then by symbol value */
static void assign_canonical(int max_len) {
    uint32_t next_code = 0;
    for (int len = 1; len <= max_len; len++) {
        for (int s = 0; s < SYMBOLS; s++) {
            if (code_len[s] == len) code[s] = next_code++;
        }
        next_code <<= 1;
    }
}

static int kraft_ok(int max_len) {
    uint64_t sum = 0;
    for (int s = 0; s < SYMBOLS; s++) {
        if (code_len[s]) sum += (uint64_t)1 << (max_len - code_len[s]);
    }
    return sum == ((uint64_t)1 << max_len);
}

static uint32_t encode(void) {
    uint32_t bitpos = 0;
    memset(bitstream, 0, sizeof bitstream);
    for (uint32_t i = 0; i < MSG_LEN; i++) {
        uint8_t s = message[i];
        for (int b = code_len[s] - 1; b >= 0; b--) {
            if ((code[s] >> b) & 1u) bitstream[bitpos >> 3] |= (uint8_t)(0x80u >> (bitpos & 7u));
            bitpos++;
        }
    }
    return bitpos;
}

/* canonical decoding: walk lengths, comparing against the first code of each length */
static uint32_t decode(uint32_t nbits, int max_len) {
    uint32_t first[MAX_BITS + 1], count[MAX_BITS + 1], offset[MAX_BITS + 1];
    uint8_t sorted[SYMBOLS];
    uint32_t k = 0, out = 0, bitpos = 0;
    for (int len = 1; len <= max_len; len++) {
        count[len] = 0;
        offset[len] = k;
        for (int s = 0; s < SYMBOLS; s++) {
            if (code_len[s] == len) {
                sorted[k++] = (uint8_t)s;
                count[len]++;
            }
        }
    }
    uint32_t c = 0;
    for (int len = 1; len <= max_len; len++) {
        first[len] = c;
        c = (c + count[len]) << 1;
    }
    while (bitpos < nbits && out < MSG_LEN) {
        uint32_t v = 0;
        int len = 0;
        for (;;) {
            if (bitpos >= nbits || len >= max_len) return out;
            v = (v << 1) | ((bitstream[bitpos >> 3] >> (7u - (bitpos & 7u))) & 1u);
            bitpos++;
            len++;
            if (v - first[len] < count[len]) {
                decoded[out++] = sorted[offset[len] + v - first[len]];
                break;
            }
        }
    }
    return out;
}

int main(void) {
    make_message();
    memset(freq, 0, sizeof freq);
    for (uint32_t i = 0; i < MSG_LEN; i++) freq[message[i]]++;
    int max_len = build_lengths();
    assign_canonical(max_len);
    uint32_t nbits = encode();
    uint32_t ndec = decode(nbits, max_len);
    uint32_t lens_hash = 0, used = 0;
    for (int s = 0; s < SYMBOLS; s++) {
        lens_hash = lens_hash * 33u + code_len[s];
        used += freq[s] ? 1u : 0u;
    }
    uint32_t stream_hash = 2166136261u;
    for (uint32_t i = 0; i < (nbits + 7) / 8; i++) stream_hash = (stream_hash ^ bitstream[i]) * 16777619u;
    printf("huffman symbols=%u max_len=%d kraft=%d bits=%u lens=%08x stream=%08x\n", (unsigned)used, max_len,
           kraft_ok(max_len), (unsigned)nbits, (unsigned)lens_hash, (unsigned)stream_hash);
    printf("decode count=%u ok=%d\n", (unsigned)ndec, ndec == MSG_LEN && memcmp(message, decoded, MSG_LEN) == 0);
    return 0;
}
