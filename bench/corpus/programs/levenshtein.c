/* levenshtein.c - edit distance (two-row and full-matrix DP), Damerau optimal string
 * alignment, and longest common subsequence on generated string pairs.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define MAX_LEN 200
#define PAIRS 40

static char s1[MAX_LEN + 1], s2[MAX_LEN + 1];
static uint16_t full[MAX_LEN + 1][MAX_LEN + 1];
static uint32_t rng_state = 0xA54FF53Au;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c) {
    uint32_t m = a < b ? a : b;
    return m < c ? m : c;
}

static uint32_t lev_two_rows(const char *a, uint32_t n, const char *b, uint32_t m) {
    uint32_t prev[MAX_LEN + 1], cur[MAX_LEN + 1];
    for (uint32_t j = 0; j <= m; j++) prev[j] = j;
    for (uint32_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (uint32_t j = 1; j <= m; j++) {
            uint32_t cost = a[i - 1] == b[j - 1] ? 0u : 1u;
            cur[j] = min3(prev[j] + 1u, cur[j - 1] + 1u, prev[j - 1] + cost);
        }
        memcpy(prev, cur, sizeof(uint32_t) * (m + 1));
    }
    return prev[m];
}

static uint32_t lev_full(const char *a, uint32_t n, const char *b, uint32_t m, int transpositions) {
    for (uint32_t i = 0; i <= n; i++) full[i][0] = (uint16_t)i;
    for (uint32_t j = 0; j <= m; j++) full[0][j] = (uint16_t)j;
    for (uint32_t i = 1; i <= n; i++) {
        for (uint32_t j = 1; j <= m; j++) {
            uint32_t cost = a[i - 1] == b[j - 1] ? 0u : 1u;
            uint32_t v = min3(full[i - 1][j] + 1u, full[i][j - 1] + 1u, full[i - 1][j - 1] + cost);
            if (transpositions && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                uint32_t t = full[i - 2][j - 2] + 1u;
                if (t < v) v = t;
            }
            full[i][j] = (uint16_t)v;
        }
    }
    return full[n][m];
}

static uint32_t lcs_length(const char *a, uint32_t n, const char *b, uint32_t m) {
    uint32_t row[MAX_LEN + 1];
    memset(row, 0, sizeof row);
    for (uint32_t i = 1; i <= n; i++) {
        uint32_t diag = 0;
        for (uint32_t j = 1; j <= m; j++) {
            uint32_t up = row[j];
            if (a[i - 1] == b[j - 1]) {
                row[j] = diag + 1;
            } else if (row[j - 1] > row[j]) {
                row[j] = row[j - 1];
            }
            diag = up;
        }
    }
    return row[m];
}

/* s2 is a mutation of s1: substitutions, insertions, deletions, swaps */
static void make_pair(uint32_t *n, uint32_t *m) {
    uint32_t len = 20u + rng_next() % (MAX_LEN - 60u);
    for (uint32_t i = 0; i < len; i++) s1[i] = (char)('a' + rng_next() % 6u);
    s1[len] = '\0';
    uint32_t o = 0;
    for (uint32_t i = 0; i < len && o < MAX_LEN - 1; i++) {
        uint32_t r = rng_next() % 20u;
        if (r == 0) continue;                              /* delete */
        if (r == 1) s2[o++] = (char)('a' + rng_next() % 6u); /* insert */
        if (r == 2 && i + 1 < len && o < MAX_LEN - 2) {     /* swap */
            s2[o++] = s1[i + 1];
            s2[o++] = s1[i];
            i++;
            continue;
        }
        s2[o++] = r == 3 ? 'z' : s1[i];                    /* substitute or copy */
    }
    s2[o] = '\0';
    *n = len;
    *m = o;
}

int main(void) {
    uint32_t sum_lev = 0, sum_osa = 0, sum_lcs = 0, mismatches = 0, hash = 0;
    for (int p = 0; p < PAIRS; p++) {
        uint32_t n, m;
        make_pair(&n, &m);
        uint32_t d = lev_two_rows(s1, n, s2, m);
        uint32_t l = lcs_length(s1, n, s2, m);
        if (p % 4 == 0) {
            if (lev_full(s1, n, s2, m, 0) != d) mismatches++;
            uint32_t osa = lev_full(s1, n, s2, m, 1);
            if (osa > d) mismatches++;
            sum_osa += osa;
        }
        if (d < (n > m ? n - m : m - n) || d > (n > m ? n : m)) mismatches++;
        if (n + m - 2 * l < d) mismatches++; /* indel distance bounds edit distance */
        sum_lev += d;
        sum_lcs += l;
        hash = hash * 131u + d * 7u + l;
    }
    printf("levenshtein sum=%u osa_sum=%u lcs_sum=%u hash=%08x mismatches=%u kitten=%u\n", (unsigned)sum_lev,
           (unsigned)sum_osa, (unsigned)sum_lcs, (unsigned)hash, (unsigned)mismatches,
           (unsigned)lev_two_rows("kitten", 6, "sitting", 7));
    return 0;
}
