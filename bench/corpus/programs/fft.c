/* fft.c - fixed-point radix-2 FFT (Q30 twiddles computed with an integer Taylor series),
 * forward/inverse round trip, spectral peak detection and a direct-DFT cross-check.
 * All arithmetic is integer, so results are bit-exact on every compiler.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>

#define LOG2N 10
#define N (1 << LOG2N)
#define Q 30
#define PRESCALE 256
#define ONE_Q ((int64_t)1 << Q)
#define TWO_PI_Q30 INT64_C(6746518852) /* round(2*pi*2^30) */

static int64_t sin_table[N / 4 + 1]; /* sin(2*pi*k/N) in Q30 for k in [0, N/4] */
static int32_t orig[N];
static int32_t re[N], im[N];
static int32_t spec_re[N], spec_im[N];
static uint32_t rng_state = 0x243F6A88u;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* sin(x) for 0 <= x <= pi/2, x in Q30, by Taylor series with alternating terms */
static int64_t sin_q30(int64_t x) {
    int64_t term = x, sum = x;
    for (int n = 1; n <= 9; n++) {
        term = term * x / ONE_Q;
        term = term * x / ONE_Q;
        term /= (int64_t)(2 * n) * (2 * n + 1);
        if (n & 1) {
            sum -= term;
        } else {
            sum += term;
        }
    }
    return sum;
}

static void build_table(void) {
    for (int k = 0; k <= N / 4; k++) {
        sin_table[k] = sin_q30(TWO_PI_Q30 * k / N);
    }
}

/* cos and sin of 2*pi*k/N for 0 <= k < N */
static void twiddle(int k, int64_t *c, int64_t *s) {
    int quadrant = k / (N / 4), r = k % (N / 4);
    int64_t a = sin_table[N / 4 - r], b = sin_table[r];
    switch (quadrant) {
    case 0: *c = a; *s = b; break;
    case 1: *c = -b; *s = a; break;
    case 2: *c = -a; *s = -b; break;
    default: *c = b; *s = -a; break;
    }
}

static unsigned bit_reverse(unsigned x, int bits) {
    unsigned r = 0;
    for (int i = 0; i < bits; i++) {
        r = (r << 1) | (x & 1u);
        x >>= 1;
    }
    return r;
}

static void permute(int32_t *xr, int32_t *xi) {
    for (unsigned i = 0; i < (unsigned)N; i++) {
        unsigned j = bit_reverse(i, LOG2N);
        if (j > i) {
            int32_t t = xr[i]; xr[i] = xr[j]; xr[j] = t;
            t = xi[i]; xi[i] = xi[j]; xi[j] = t;
        }
    }
}

/* in-place FFT; inverse uses conjugate twiddles; forward halves at every stage (1/N total) */
static void fft(int32_t *xr, int32_t *xi, int inverse) {
    permute(xr, xi);
    for (int len = 2; len <= N; len <<= 1) {
        int half = len / 2, step = N / len;
        for (int start = 0; start < N; start += len) {
            for (int j = 0; j < half; j++) {
                int64_t wr, wi;
                twiddle(j * step, &wr, &wi);
                if (!inverse) wi = -wi;
                int a = start + j, b = a + half;
                int64_t tr = (wr * xr[b] - wi * xi[b]) / ONE_Q;
                int64_t ti = (wr * xi[b] + wi * xr[b]) / ONE_Q;
                int64_t ur = xr[a], ui = xi[a];
                if (inverse) {
                    xr[a] = (int32_t)(ur + tr); xi[a] = (int32_t)(ui + ti);
                    xr[b] = (int32_t)(ur - tr); xi[b] = (int32_t)(ui - ti);
                } else {
                    xr[a] = (int32_t)((ur + tr) / 2); xi[a] = (int32_t)((ui + ti) / 2);
                    xr[b] = (int32_t)((ur - tr) / 2); xi[b] = (int32_t)((ui - ti) / 2);
                }
            }
        }
    }
}

/* direct DFT of one bin, scaled by 1/N like the forward FFT */
static void dft_bin(const int32_t *x, int k, int64_t *outr, int64_t *outi) {
    int64_t sr = 0, si = 0;
    for (int n = 0; n < N; n++) {
        int64_t c, s;
        twiddle((int)(((int64_t)k * n) % N), &c, &s);
        sr += c * x[n] / 1024;
        si -= s * x[n] / 1024;
    }
    *outr = sr / (ONE_Q / 1024) / N;
    *outi = si / (ONE_Q / 1024) / N;
}

static int64_t abs64(int64_t v) {
    return v < 0 ? -v : v;
}

static void make_signal(void) {
    for (int n = 0; n < N; n++) {
        int64_t c1, s1, c2, s2, c3, s3;
        twiddle((5 * n) % N, &c1, &s1);
        twiddle((37 * n) % N, &c2, &s2);
        twiddle((200 * n) % N, &c3, &s3);
        int64_t v = (20000 * s1 + 12000 * c2 + 7000 * s3) / ONE_Q;
        v += (int64_t)(rng_next() % 2001u) - 1000;
        orig[n] = (int32_t)v;
    }
}

int main(void) {
    build_table();
    make_signal();
    for (int n = 0; n < N; n++) {
        re[n] = orig[n] * PRESCALE; /* headroom so the 1/N scaling keeps precision */
        im[n] = 0;
    }
    fft(re, im, 0);
    uint64_t energy = 0;
    uint32_t hash = 0;
    for (int k = 0; k < N; k++) {
        spec_re[k] = re[k];
        spec_im[k] = im[k];
        energy += (uint64_t)((int64_t)re[k] * re[k] + (int64_t)im[k] * im[k]);
        hash = (hash * 31u) ^ (uint32_t)re[k];
        hash = (hash * 31u) ^ (uint32_t)im[k];
    }
    /* the three strongest bins in the lower half */
    int peaks[3] = {0, 0, 0};
    int64_t mags[3] = {-1, -1, -1};
    for (int k = 1; k < N / 2; k++) {
        int64_t m = (int64_t)re[k] * re[k] + (int64_t)im[k] * im[k];
        for (int p = 0; p < 3; p++) {
            if (m > mags[p]) {
                for (int q = 2; q > p; q--) {
                    mags[q] = mags[q - 1];
                    peaks[q] = peaks[q - 1];
                }
                mags[p] = m;
                peaks[p] = k;
                break;
            }
        }
    }
    int64_t dft_err = 0;
    for (int k = 0; k < N; k += 61) {
        int64_t dr, di;
        dft_bin(orig, k, &dr, &di);
        dr *= PRESCALE;
        di *= PRESCALE;
        int64_t e = abs64(dr - spec_re[k]) + abs64(di - spec_im[k]);
        if (e > dft_err) dft_err = e;
    }
    fft(re, im, 1);
    int64_t max_err = 0, sum_err = 0;
    for (int n = 0; n < N; n++) {
        int64_t e = abs64((int64_t)re[n] - (int64_t)orig[n] * PRESCALE);
        sum_err += e;
        if (e > max_err) max_err = e;
    }
    printf("fft sin45=%lld hash=%08x energy=%llu peaks=%d,%d,%d\n", (long long)sin_table[N / 8],
           (unsigned)hash, (unsigned long long)energy, peaks[0], peaks[1], peaks[2]);
    printf("roundtrip max_err=%lld sum_err=%lld dft_ok=%d dft_err=%lld\n", (long long)max_err,
           (long long)sum_err, dft_err <= 8 * PRESCALE, (long long)dft_err);
    return 0;
}
