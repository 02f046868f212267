/* bmh.c - Boyer-Moore-Horspool string search over generated text, cross-checked against
 * naive search and a KMP matcher. Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define TEXT_LEN 65536
#define MAX_PAT 64
#define N_PATTERNS 40

static char text[TEXT_LEN + 1];
static uint32_t rng_state = 0xDEADBEEFu;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void make_text(char *t, int n) {
    static const char alphabet[] = "abcdeeeettaaoinshr ";
    int alen = (int)strlen(alphabet);
    for (int i = 0; i < n; i++) {
        t[i] = alphabet[rng_next() % (uint32_t)alen];
    }
    t[n] = '\0';
}

static int bmh_count(const char *t, int n, const char *p, int m, uint32_t *pos_hash) {
    int skip[256];
    int count = 0;
    if (m == 0 || m > n) return 0;
    for (int i = 0; i < 256; i++) skip[i] = m;
    for (int i = 0; i < m - 1; i++) skip[(unsigned char)p[i]] = m - 1 - i;
    int i = 0;
    while (i <= n - m) {
        int j = m - 1;
        while (j >= 0 && t[i + j] == p[j]) j--;
        if (j < 0) {
            count++;
            *pos_hash = *pos_hash * 31u + (uint32_t)i;
        }
        i += skip[(unsigned char)t[i + m - 1]];
    }
    return count;
}

static int naive_count(const char *t, int n, const char *p, int m) {
    int count = 0;
    for (int i = 0; i + m <= n; i++) {
        if (memcmp(t + i, p, (size_t)m) == 0) count++;
    }
    return count;
}

static int kmp_count(const char *t, int n, const char *p, int m) {
    int fail[MAX_PAT + 1];
    int count = 0;
    fail[0] = -1;
    for (int i = 1, k = -1; i <= m; i++) {
        while (k >= 0 && p[k] != p[i - 1]) k = fail[k];
        k++;
        fail[i] = k;
    }
    for (int i = 0, k = 0; i < n; i++) {
        while (k >= 0 && p[k] != t[i]) k = fail[k];
        k++;
        if (k == m) {
            count++;
            k = fail[k];
        }
    }
    return count;
}

int main(void) {
    char pat[MAX_PAT + 1];
    make_text(text, TEXT_LEN);
    uint32_t total = 0, pos_hash = 0, mismatches = 0;
    for (int k = 0; k < N_PATTERNS; k++) {
        int m = 2 + (int)(rng_next() % 14u);
        if (k % 3 == 0) {
            /* pattern taken from the text: at least one hit */
            int at = (int)(rng_next() % (uint32_t)(TEXT_LEN - m));
            memcpy(pat, text + at, (size_t)m);
        } else {
            for (int i = 0; i < m; i++) pat[i] = "aeiost "[rng_next() % 7u];
        }
        pat[m] = '\0';
        int a = bmh_count(text, TEXT_LEN, pat, m, &pos_hash);
        int c = kmp_count(text, TEXT_LEN, pat, m);
        if (k % 4 == 0) {
            int b = naive_count(text, TEXT_LEN, pat, m);
            if (a != b) mismatches++;
        }
        if (a != c) mismatches++;
        total += (uint32_t)a * (uint32_t)(k + 1);
    }
    printf("bmh total=%u poshash=%08x mismatches=%u\n", (unsigned)total, (unsigned)pos_hash,
           (unsigned)mismatches);
    return 0;
}
