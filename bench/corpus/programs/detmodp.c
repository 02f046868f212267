/* detmodp.c - linear algebra over GF(p), p = 1e9+7: determinant by Gaussian elimination,
 * Gauss-Jordan inverse, matrix product, checked via det(AB) = det(A)det(B), A*inv(A) = I
 * and the Vandermonde product formula. Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define P 1000000007u
#define N 40
#define VN 12

static uint32_t A[N][N], B[N][N], C[N][N], work[N][N], inv[N][N], aug[N][2 * N];
static uint32_t rng_state = 0x3956C25Bu;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static uint32_t mulmod(uint32_t a, uint32_t b) {
    return (uint32_t)(((uint64_t)a * b) % P);
}

static uint32_t addmod(uint32_t a, uint32_t b) {
    uint32_t s = a + b; /* both < P < 2^30, no wrap */
    return s >= P ? s - P : s;
}

static uint32_t submod(uint32_t a, uint32_t b) {
    return a >= b ? a - b : a + (P - b);
}

static uint32_t powmod(uint32_t base, uint32_t e) {
    uint32_t r = 1;
    while (e) {
        if (e & 1u) r = mulmod(r, base);
        base = mulmod(base, base);
        e >>= 1;
    }
    return r;
}

static uint32_t invmod(uint32_t a) {
    return powmod(a, P - 2u);
}

static void random_matrix(uint32_t m[N][N]) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) m[i][j] = rng_next() % P;
}

static void matmul(uint32_t r[N][N], uint32_t a[N][N], uint32_t b[N][N]) {
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            uint64_t acc = 0;
            for (int k = 0; k < N; k++) {
                acc += (uint64_t)a[i][k] * b[k][j];
                if ((k & 7) == 7) acc %= P; /* 8 products < 2^63 */
            }
            r[i][j] = (uint32_t)(acc % P);
        }
    }
}

static uint32_t determinant(int n, uint32_t m[N][N]) {
    uint32_t det = 1;
    memcpy(work, m, sizeof work);
    for (int col = 0; col < n; col++) {
        int piv = col;
        while (piv < n && work[piv][col] == 0) piv++;
        if (piv == n) return 0;
        if (piv != col) {
            for (int j = 0; j < n; j++) {
                uint32_t t = work[piv][j];
                work[piv][j] = work[col][j];
                work[col][j] = t;
            }
            det = submod(0, det);
        }
        det = mulmod(det, work[col][col]);
        uint32_t pinv = invmod(work[col][col]);
        for (int i = col + 1; i < n; i++) {
            uint32_t f = mulmod(work[i][col], pinv);
            if (f == 0) continue;
            for (int j = col; j < n; j++) work[i][j] = submod(work[i][j], mulmod(f, work[col][j]));
        }
    }
    return det;
}

/* returns 0 if singular */
static int inverse(uint32_t m[N][N], uint32_t out[N][N]) {
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            aug[i][j] = m[i][j];
            aug[i][N + j] = i == j ? 1u : 0u;
        }
    }
    for (int col = 0; col < N; col++) {
        int piv = col;
        while (piv < N && aug[piv][col] == 0) piv++;
        if (piv == N) return 0;
        if (piv != col) {
            for (int j = 0; j < 2 * N; j++) {
                uint32_t t = aug[piv][j];
                aug[piv][j] = aug[col][j];
                aug[col][j] = t;
            }
        }
        uint32_t pinv = invmod(aug[col][col]);
        for (int j = 0; j < 2 * N; j++) aug[col][j] = mulmod(aug[col][j], pinv);
        for (int i = 0; i < N; i++) {
            if (i == col || aug[i][col] == 0) continue;
            uint32_t f = aug[i][col];
            for (int j = 0; j < 2 * N; j++) aug[i][j] = submod(aug[i][j], mulmod(f, aug[col][j]));
        }
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) out[i][j] = aug[i][N + j];
    return 1;
}

static uint32_t trace(uint32_t m[N][N]) {
    uint32_t t = 0;
    for (int i = 0; i < N; i++) t = addmod(t, m[i][i]);
    return t;
}

static int is_identity(uint32_t m[N][N]) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            if (m[i][j] != (i == j ? 1u : 0u)) return 0;
    return 1;
}

static uint32_t vandermonde_check(int *ok) {
    uint32_t x[VN];
    static uint32_t v[N][N];
    memset(v, 0, sizeof v);
    for (int i = 0; i < VN; i++) {
        x[i] = 2u + (uint32_t)i * 3u + rng_next() % 3u;
        uint32_t pw = 1;
        for (int j = 0; j < VN; j++) {
            v[i][j] = pw;
            pw = mulmod(pw, x[i]);
        }
    }
    uint32_t formula = 1;
    for (int i = 0; i < VN; i++)
        for (int j = i + 1; j < VN; j++) formula = mulmod(formula, submod(x[j], x[i]));
    uint32_t d = determinant(VN, v);
    *ok = d == formula;
    return d;
}

int main(void) {
    random_matrix(A);
    random_matrix(B);
    uint32_t da = determinant(N, A), db = determinant(N, B);
    matmul(C, A, B);
    uint32_t dc = determinant(N, C);
    int inv_ok = inverse(A, inv);
    matmul(C, A, inv);
    int vok = 0;
    uint32_t dv = vandermonde_check(&vok);
    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) h = h * 31u + inv[i][j];
    printf("detmodp detA=%u detB=%u detAB=%u product_ok=%d\n", (unsigned)da, (unsigned)db, (unsigned)dc,
           dc == mulmod(da, db));
    printf("inverse ok=%d identity=%d hash=%08x trace=%u vandermonde=%u ok=%d\n", inv_ok, is_identity(C),
           (unsigned)h, (unsigned)trace(inv), (unsigned)dv, vok);
    return 0;
}
