/* matmul.c - dense matrix multiply in three loop orders (ijk, ikj, blocked) and a
 * transposed variant, all in wrapping 32-bit arithmetic. Part of the OpenPassMarket corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define N 80
#define BS 16

static uint32_t A[N][N], B[N][N], Bt[N][N];
static uint32_t C1[N][N], C2[N][N], C3[N][N], C4[N][N];
static uint32_t rng_state = 0x9E3779B9u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void fill(uint32_t m[N][N], uint32_t mod) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) m[i][j] = rng_next() % mod;
}

static void mul_ijk(uint32_t c[N][N], uint32_t a[N][N], uint32_t b[N][N]) {
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            uint32_t s = 0;
            for (int k = 0; k < N; k++) s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
    }
}

static void mul_ikj(uint32_t c[N][N], uint32_t a[N][N], uint32_t b[N][N]) {
    memset(c, 0, sizeof(uint32_t) * N * N);
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < N; k++) {
            uint32_t aik = a[i][k];
            for (int j = 0; j < N; j++) c[i][j] += aik * b[k][j];
        }
    }
}

static void mul_blocked(uint32_t c[N][N], uint32_t a[N][N], uint32_t b[N][N]) {
    memset(c, 0, sizeof(uint32_t) * N * N);
    for (int ii = 0; ii < N; ii += BS)
        for (int kk = 0; kk < N; kk += BS)
            for (int jj = 0; jj < N; jj += BS)
                for (int i = ii; i < ii + BS; i++)
                    for (int k = kk; k < kk + BS; k++) {
                        uint32_t aik = a[i][k];
                        for (int j = jj; j < jj + BS; j++) c[i][j] += aik * b[k][j];
                    }
}

static void transpose(uint32_t t[N][N], uint32_t m[N][N]) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) t[j][i] = m[i][j];
}

static void mul_transposed(uint32_t c[N][N], uint32_t a[N][N], uint32_t bt[N][N]) {
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            const uint32_t *ra = a[i], *rb = bt[j];
            uint32_t s0 = 0, s1 = 0;
            int k = 0;
            for (; k + 1 < N; k += 2) {
                s0 += ra[k] * rb[k];
                s1 += ra[k + 1] * rb[k + 1];
            }
            for (; k < N; k++) s0 += ra[k] * rb[k];
            c[i][j] = s0 + s1;
        }
    }
}

static uint32_t checksum(uint32_t m[N][N]) {
    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) h = (h ^ m[i][j]) * 0x9E3779B1u;
    return h;
}

static uint32_t trace(uint32_t m[N][N]) {
    uint32_t t = 0;
    for (int i = 0; i < N; i++) t += m[i][i];
    return t;
}

int main(void) {
    fill(A, 1000u);
    fill(B, 0xFFFFFFFFu);
    mul_ijk(C1, A, B);
    mul_ikj(C2, A, B);
    mul_blocked(C3, A, B);
    transpose(Bt, B);
    mul_transposed(C4, A, Bt);
    int same = memcmp(C1, C2, sizeof C1) == 0 && memcmp(C1, C3, sizeof C1) == 0 &&
               memcmp(C1, C4, sizeof C1) == 0;
    printf("matmul hash=%08x trace=%08x corner=%08x same=%d\n", (unsigned)checksum(C1), (unsigned)trace(C1),
           (unsigned)C1[N - 1][N - 1], same);
    /* square of the product, reusing the buffers */
    mul_ikj(C2, C1, C1);
    printf("square hash=%08x trace=%08x\n", (unsigned)checksum(C2), (unsigned)trace(C2));
    return 0;
}
