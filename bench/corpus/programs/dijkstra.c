/* dijkstra.c - single-source shortest paths on a generated sparse digraph, with a
 * binary-heap Dijkstra cross-checked against the O(V^2) array version and Bellman-Ford.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define V 600
#define DEG 6
#define E (V * DEG + V)
#define INF 0xFFFFFFFFu

static uint32_t edge_head[V + 1];
static uint32_t edge_to[E];
static uint32_t edge_w[E];
static uint32_t dist_heap[V];
static uint32_t dist_array[V];
static uint32_t dist_bf[V];
static uint32_t pred[V];
static uint32_t heap_node[E + 1];
static uint32_t heap_key[E + 1];
static uint32_t heap_len;
static uint32_t rng_state = 0x1B873593u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* CSR graph: a ring (so everything is reachable) plus DEG random edges per node */
static void build_graph(void) {
    uint32_t k = 0;
    for (uint32_t u = 0; u < V; u++) {
        edge_head[u] = k;
        edge_to[k] = (u + 1) % V;
        edge_w[k] = 50u + rng_next() % 50u;
        k++;
        for (uint32_t d = 0; d < DEG; d++) {
            edge_to[k] = rng_next() % V;
            edge_w[k] = 1u + rng_next() % 100u;
            k++;
        }
    }
    edge_head[V] = k;
}

static void heap_push(uint32_t node, uint32_t key) {
    uint32_t i = heap_len++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (heap_key[p] <= key) break;
        heap_node[i] = heap_node[p];
        heap_key[i] = heap_key[p];
        i = p;
    }
    heap_node[i] = node;
    heap_key[i] = key;
}

static void heap_pop(uint32_t *node, uint32_t *key) {
    *node = heap_node[0];
    *key = heap_key[0];
    uint32_t last_node = heap_node[--heap_len];
    uint32_t last_key = heap_key[heap_len];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= heap_len) break;
        if (c + 1 < heap_len && heap_key[c + 1] < heap_key[c]) c++;
        if (heap_key[c] >= last_key) break;
        heap_node[i] = heap_node[c];
        heap_key[i] = heap_key[c];
        i = c;
    }
    if (heap_len > 0) {
        heap_node[i] = last_node;
        heap_key[i] = last_key;
    }
}

static void dijkstra_heap(uint32_t src, uint32_t *dist) {
    for (uint32_t i = 0; i < V; i++) {
        dist[i] = INF;
        pred[i] = INF;
    }
    heap_len = 0;
    dist[src] = 0;
    heap_push(src, 0);
    while (heap_len > 0) {
        uint32_t u, d;
        heap_pop(&u, &d);
        if (d != dist[u]) continue; /* stale entry */
        for (uint32_t e = edge_head[u]; e < edge_head[u + 1]; e++) {
            uint32_t v = edge_to[e];
            uint32_t nd = d + edge_w[e];
            if (nd < dist[v]) {
                dist[v] = nd;
                pred[v] = u;
                heap_push(v, nd);
            }
        }
    }
}

static void dijkstra_array(uint32_t src, uint32_t *dist) {
    static uint8_t done[V];
    memset(done, 0, sizeof done);
    for (uint32_t i = 0; i < V; i++) dist[i] = INF;
    dist[src] = 0;
    for (uint32_t iter = 0; iter < V; iter++) {
        uint32_t best = INF, u = V;
        for (uint32_t i = 0; i < V; i++) {
            if (!done[i] && dist[i] < best) {
                best = dist[i];
                u = i;
            }
        }
        if (u == V) break;
        done[u] = 1;
        for (uint32_t e = edge_head[u]; e < edge_head[u + 1]; e++) {
            uint32_t v = edge_to[e];
            if (best + edge_w[e] < dist[v]) dist[v] = best + edge_w[e];
        }
    }
}

static void bellman_ford(uint32_t src, uint32_t *dist) {
    for (uint32_t i = 0; i < V; i++) dist[i] = INF;
    dist[src] = 0;
    int changed = 1;
    for (uint32_t pass = 0; pass < V && changed; pass++) {
        changed = 0;
        for (uint32_t u = 0; u < V; u++) {
            if (dist[u] == INF) continue;
            for (uint32_t e = edge_head[u]; e < edge_head[u + 1]; e++) {
                if (dist[u] + edge_w[e] < dist[edge_to[e]]) {
                    dist[edge_to[e]] = dist[u] + edge_w[e];
                    changed = 1;
                }
            }
        }
    }
}

static uint32_t path_length(uint32_t target) {
    uint32_t hops = 0;
    while (pred[target] != INF) {
        target = pred[target];
        hops++;
    }
    return hops;
}

int main(void) {
    build_graph();
    uint32_t total = 0, hash = 0, maxd = 0, hops = 0;
    int agree = 1;
    for (uint32_t s = 0; s < 24; s++) {
        uint32_t src = (s * 97u) % V;
        dijkstra_heap(src, dist_heap);
        for (uint32_t i = 0; i < V; i++) {
            total += dist_heap[i];
            hash = hash * 1000003u ^ dist_heap[i];
            if (dist_heap[i] > maxd) maxd = dist_heap[i];
        }
        hops += path_length((src + V / 2) % V);
        if (s % 6 == 0) {
            dijkstra_array(src, dist_array);
            bellman_ford(src, dist_bf);
            if (memcmp(dist_heap, dist_array, sizeof dist_heap) != 0) agree = 0;
            if (memcmp(dist_heap, dist_bf, sizeof dist_heap) != 0) agree = 0;
        }
    }
    printf("dijkstra total=%u hash=%08x max=%u hops=%u agree=%d\n", (unsigned)total, (unsigned)hash,
           (unsigned)maxd, (unsigned)hops, agree);
    return 0;
}
