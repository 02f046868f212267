/* aes.c - AES-128 (FIPS-197): S-box derived from GF(2^8) arithmetic, key expansion,
 * encryption/decryption rounds, CBC mode round trip over generated data.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define DATA_BLOCKS 512u

static uint8_t sbox[256];
static uint8_t inv_sbox[256];
static uint8_t plain[DATA_BLOCKS * 16u];
static uint8_t cipher[DATA_BLOCKS * 16u];
static uint8_t recovered[DATA_BLOCKS * 16u];
static uint32_t rng_state = 0xA5A5F00Du;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static uint8_t xtime(uint8_t x) {
    return (uint8_t)((x << 1) ^ ((x & 0x80u) ? 0x1Bu : 0x00u));
}

static uint8_t gf_mul(uint8_t a, uint8_t b) {
    uint8_t r = 0;
    while (b) {
        if (b & 1u) {
            r ^= a;
        }
        a = xtime(a);
        b >>= 1;
    }
    return r;
}

static uint8_t rotl8(uint8_t x, unsigned n) {
    return (uint8_t)((x << n) | (x >> (8u - n)));
}

static void build_sboxes(void) {
    /* walk the multiplicative group with generator 3 and its inverse 0xF6 */
    uint8_t p = 1, q = 1;
    do {
        p = (uint8_t)(p ^ xtime(p));          /* p *= 3 */
        q = (uint8_t)(q ^ (q << 1));          /* q /= 3 */
        q = (uint8_t)(q ^ (q << 2));
        q = (uint8_t)(q ^ (q << 4));
        if (q & 0x80u) {
            q ^= 0x09u;
        }
        uint8_t x = (uint8_t)(q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4));
        sbox[p] = (uint8_t)(x ^ 0x63u);
    } while (p != 1);
    sbox[0] = 0x63;
    for (int i = 0; i < 256; i++) {
        inv_sbox[sbox[i]] = (uint8_t)i;
    }
}

static void expand_key(const uint8_t key[16], uint8_t rk[176]) {
    uint8_t rcon = 1;
    memcpy(rk, key, 16);
    for (int i = 16; i < 176; i += 4) {
        uint8_t t[4];
        memcpy(t, rk + i - 4, 4);
        if (i % 16 == 0) {
            uint8_t first = t[0];
            t[0] = (uint8_t)(sbox[t[1]] ^ rcon);
            t[1] = sbox[t[2]];
            t[2] = sbox[t[3]];
            t[3] = sbox[first];
            rcon = xtime(rcon);
        }
        for (int j = 0; j < 4; j++) {
            rk[i + j] = (uint8_t)(rk[i - 16 + j] ^ t[j]);
        }
    }
}

static void add_round_key(uint8_t s[16], const uint8_t *rk) {
    for (int i = 0; i < 16; i++) {
        s[i] ^= rk[i];
    }
}

static void sub_bytes(uint8_t s[16], const uint8_t *box) {
    for (int i = 0; i < 16; i++) {
        s[i] = box[s[i]];
    }
}

static void shift_rows(uint8_t s[16], int inverse) {
    uint8_t t[16];
    for (int c = 0; c < 4; c++) {
        for (int r = 0; r < 4; r++) {
            int src = inverse ? ((c - r + 4) % 4) : ((c + r) % 4);
            t[c * 4 + r] = s[src * 4 + r];
        }
    }
    memcpy(s, t, 16);
}

static void mix_columns(uint8_t s[16]) {
    for (int c = 0; c < 4; c++) {
        uint8_t *col = s + 4 * c;
        uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
        uint8_t all = (uint8_t)(a0 ^ a1 ^ a2 ^ a3);
        col[0] = (uint8_t)(a0 ^ all ^ xtime((uint8_t)(a0 ^ a1)));
        col[1] = (uint8_t)(a1 ^ all ^ xtime((uint8_t)(a1 ^ a2)));
        col[2] = (uint8_t)(a2 ^ all ^ xtime((uint8_t)(a2 ^ a3)));
        col[3] = (uint8_t)(a3 ^ all ^ xtime((uint8_t)(a3 ^ a0)));
    }
}

static void inv_mix_columns(uint8_t s[16]) {
    for (int c = 0; c < 4; c++) {
        uint8_t *col = s + 4 * c;
        uint8_t a[4];
        memcpy(a, col, 4);
        for (int r = 0; r < 4; r++) {
            col[r] = (uint8_t)(gf_mul(a[r], 14) ^ gf_mul(a[(r + 1) % 4], 11) ^
                               gf_mul(a[(r + 2) % 4], 13) ^ gf_mul(a[(r + 3) % 4], 9));
        }
    }
}

static void encrypt_block(const uint8_t rk[176], const uint8_t in[16], uint8_t out[16]) {
    uint8_t s[16];
    memcpy(s, in, 16);
    add_round_key(s, rk);
    for (int round = 1; round < 10; round++) {
        sub_bytes(s, sbox);
        shift_rows(s, 0);
        mix_columns(s);
        add_round_key(s, rk + 16 * round);
    }
    sub_bytes(s, sbox);
    shift_rows(s, 0);
    add_round_key(s, rk + 160);
    memcpy(out, s, 16);
}

static void decrypt_block(const uint8_t rk[176], const uint8_t in[16], uint8_t out[16]) {
    uint8_t s[16];
    memcpy(s, in, 16);
    add_round_key(s, rk + 160);
    for (int round = 9; round >= 1; round--) {
        shift_rows(s, 1);
        sub_bytes(s, inv_sbox);
        add_round_key(s, rk + 16 * round);
        inv_mix_columns(s);
    }
    shift_rows(s, 1);
    sub_bytes(s, inv_sbox);
    add_round_key(s, rk);
    memcpy(out, s, 16);
}

static void cbc_encrypt(const uint8_t rk[176], const uint8_t iv[16], const uint8_t *in, uint8_t *out,
                        uint32_t blocks) {
    uint8_t chain[16];
    memcpy(chain, iv, 16);
    for (uint32_t b = 0; b < blocks; b++) {
        uint8_t x[16];
        for (int i = 0; i < 16; i++) {
            x[i] = (uint8_t)(in[16 * b + (uint32_t)i] ^ chain[i]);
        }
        encrypt_block(rk, x, out + 16 * b);
        memcpy(chain, out + 16 * b, 16);
    }
}

static void cbc_decrypt(const uint8_t rk[176], const uint8_t iv[16], const uint8_t *in, uint8_t *out,
                        uint32_t blocks) {
    uint8_t chain[16];
    memcpy(chain, iv, 16);
    for (uint32_t b = 0; b < blocks; b++) {
        uint8_t x[16];
        decrypt_block(rk, in + 16 * b, x);
        for (int i = 0; i < 16; i++) {
            out[16 * b + (uint32_t)i] = (uint8_t)(x[i] ^ chain[i]);
        }
        memcpy(chain, in + 16 * b, 16);
    }
}

static uint32_t fnv1a(const uint8_t *p, uint32_t n) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

int main(void) {
    uint8_t key[16], block[16], out[16], back[16], iv[16], rk[176];
    build_sboxes();

    /* FIPS-197 appendix C.1 */
    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)i;
        block[i] = (uint8_t)(i * 0x11);
    }
    expand_key(key, rk);
    encrypt_block(rk, block, out);
    decrypt_block(rk, out, back);
    printf("sbox[0x53]=%02x inv[0xed]=%02x fips=", (unsigned)sbox[0x53], (unsigned)inv_sbox[0xED]);
    for (int i = 0; i < 16; i++) {
        printf("%02x", (unsigned)out[i]);
    }
    printf(" roundtrip=%d\n", memcmp(block, back, 16) == 0);

    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)rng_next();
        iv[i] = (uint8_t)rng_next();
    }
    for (uint32_t i = 0; i < sizeof plain; i++) {
        plain[i] = (uint8_t)(rng_next() >> 16);
    }
    expand_key(key, rk);
    cbc_encrypt(rk, iv, plain, cipher, DATA_BLOCKS);
    cbc_decrypt(rk, iv, cipher, recovered, DATA_BLOCKS);
    printf("cbc cipher_fnv=%08x roundtrip=%d last=%02x%02x%02x%02x\n", (unsigned)fnv1a(cipher, sizeof cipher),
           memcmp(plain, recovered, sizeof plain) == 0, (unsigned)cipher[sizeof cipher - 4],
           (unsigned)cipher[sizeof cipher - 3], (unsigned)cipher[sizeof cipher - 2],
           (unsigned)cipher[sizeof cipher - 1]);
    return 0;
}
