/*
 * OpenPassMarket benchmark driver for libbzip2 (not part of bzip2).
 *
 * usage: driver INPUT
 *
 * Reads INPUT and exercises libbzip2 on it: one-shot compression with several block
 * sizes and work factors (a low work factor sends repetitive blocks to the fallback
 * sorter), decompression in both the normal and the small-memory mode, the streaming
 * interface with BZ_FLUSH in the middle and tiny output buffers, and a highly repetitive
 * buffer derived from the input. Prints sizes and CRC-32s (bzip2's own CRC table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bzlib.h"

/* Defined in crctable.c; declared in the private header bzlib_private.h. */
extern unsigned int BZ2_crc32Table[256];

static unsigned char *input;
static unsigned int input_len;

static void fail(const char *what, int code) {
    printf("FAIL %s (%d)\n", what, code);
    exit(1);
}

static unsigned char *xmalloc(size_t n) {
    unsigned char *p = malloc(n ? n : 1);
    if (p == NULL) fail("malloc", 0);
    return p;
}

static void read_input(const char *path) {
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 16, n;
    if (f == NULL) fail("fopen", 0);
    input = xmalloc(cap);
    input_len = 0;
    while ((n = fread(input + input_len, 1, cap - input_len, f)) > 0) {
        input_len += (unsigned int)n;
        if (input_len == cap) {
            unsigned char *bigger = realloc(input, cap *= 2);
            if (bigger == NULL) fail("realloc", 0);
            input = bigger;
        }
    }
    if (ferror(f)) fail("fread", 0);
    fclose(f);
}

/* CRC-32 (MSB-first, as in the .bz2 format) using libbzip2's exported table. */
static unsigned int crc_of(const unsigned char *p, unsigned int n) {
    unsigned int crc = 0xffffffffu, i;
    for (i = 0; i < n; i++) crc = (crc << 8) ^ BZ2_crc32Table[(crc >> 24) ^ p[i]];
    return ~crc;
}

static unsigned int checksum(const char *p, unsigned int n) {
    return crc_of((const unsigned char *)p, n);
}

static void one_shot(const char *label, const unsigned char *data, unsigned int len) {
    static const struct { int block, work; } cfg[] = {{1, 30}, {9, 0}, {5, 1}};
    unsigned int cap = len + len / 100 + 600;
    char *comp = (char *)xmalloc(cap);
    char *back = (char *)xmalloc(len);
    size_t i;
    for (i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        unsigned int clen = cap, blen = len, slen = len;
        int rc = BZ2_bzBuffToBuffCompress(comp, &clen, (char *)data, len, cfg[i].block, 0,
                                          cfg[i].work);
        int ok_fast, ok_small;
        if (rc != BZ_OK) fail("BZ2_bzBuffToBuffCompress", rc);
        rc = BZ2_bzBuffToBuffDecompress(back, &blen, comp, clen, 0, 0);
        if (rc != BZ_OK) fail("BZ2_bzBuffToBuffDecompress", rc);
        ok_fast = blen == len && memcmp(back, data, len) == 0;
        memset(back, 0, len);
        rc = BZ2_bzBuffToBuffDecompress(back, &slen, comp, clen, 1, 0);
        if (rc != BZ_OK) fail("BZ2_bzBuffToBuffDecompress small", rc);
        ok_small = slen == len && memcmp(back, data, len) == 0;
        printf("%s block=%d work=%d bytes=%u compressed=%u crc=%08x roundtrip=%d small=%d\n", label,
               cfg[i].block, cfg[i].work, len, clen, checksum(comp, clen), ok_fast, ok_small);
    }
    free(comp);
    free(back);
}

/* Streaming: input in 3000-byte pieces, output through a 100-byte window, a BZ_FLUSH
 * after the first third; then decompression with 1-byte input pieces. */
static void streaming(void) {
    unsigned int cap = input_len + input_len / 50 + 4096;
    char *comp = (char *)xmalloc(cap);
    char *back = (char *)xmalloc(input_len + 1);
    char window[100];
    unsigned int in_pos = 0, clen = 0, flushed = 0;
    bz_stream s;
    int rc, action;
    memset(&s, 0, sizeof s);
    rc = BZ2_bzCompressInit(&s, 2, 0, 0);
    if (rc != BZ_OK) fail("BZ2_bzCompressInit", rc);
    do {
        unsigned int take = input_len - in_pos < 3000 ? input_len - in_pos : 3000;
        s.next_in = (char *)input + in_pos;
        s.avail_in = take;
        in_pos += take;
        action = in_pos == input_len ? BZ_FINISH
                 : (!flushed && in_pos >= input_len / 3) ? BZ_FLUSH
                 : BZ_RUN;
        if (action == BZ_FLUSH) flushed = 1;
        for (;;) {
            s.next_out = window;
            s.avail_out = sizeof window;
            rc = BZ2_bzCompress(&s, action);
            if (rc < 0) fail("BZ2_bzCompress", rc);
            if (clen + (sizeof window - s.avail_out) > cap) fail("stream overflow", 0);
            memcpy(comp + clen, window, sizeof window - s.avail_out);
            clen += (unsigned int)(sizeof window - s.avail_out);
            if (action == BZ_RUN && s.avail_in == 0) break;
            if (action == BZ_FLUSH && rc == BZ_RUN_OK) break;
            if (action == BZ_FINISH && rc == BZ_STREAM_END) break;
        }
    } while (action != BZ_FINISH);
    printf("stream compress total_in=%u compressed=%u crc=%08x\n", s.total_in_lo32, clen,
           checksum(comp, clen));
    BZ2_bzCompressEnd(&s);

    memset(&s, 0, sizeof s);
    rc = BZ2_bzDecompressInit(&s, 0, 0);
    if (rc != BZ_OK) fail("BZ2_bzDecompressInit", rc);
    s.next_out = back;
    s.avail_out = input_len + 1;
    in_pos = 0;
    do {
        s.next_in = comp + in_pos;
        s.avail_in = in_pos < clen ? 1 : 0;
        in_pos++;
        rc = BZ2_bzDecompress(&s);
        if (rc != BZ_OK && rc != BZ_STREAM_END) fail("BZ2_bzDecompress", rc);
    } while (rc != BZ_STREAM_END && in_pos <= clen);
    printf("stream decompress status=%d total_out=%u roundtrip=%d\n", rc, s.total_out_lo32,
           s.total_out_lo32 == input_len && memcmp(back, input, input_len) == 0);
    BZ2_bzDecompressEnd(&s);
    free(comp);
    free(back);
}

/* A corrupted stream must be rejected, not crash. */
static void corrupt(void) {
    unsigned int cap = input_len + input_len / 100 + 600, clen = cap, blen = input_len;
    char *comp = (char *)xmalloc(cap);
    char *back = (char *)xmalloc(input_len);
    int rc = BZ2_bzBuffToBuffCompress(comp, &clen, (char *)input, input_len, 3, 0, 0);
    if (rc != BZ_OK) fail("compress for corruption", rc);
    comp[clen / 2] ^= 0x10;
    rc = BZ2_bzBuffToBuffDecompress(back, &blen, comp, clen, 0, 0);
    printf("corrupted stream status=%d rejected=%d\n", rc, rc == BZ_DATA_ERROR || rc == BZ_DATA_ERROR_MAGIC);
    free(comp);
    free(back);
}

int main(int argc, char **argv) {
    unsigned char *rep;
    unsigned int i, rep_len;
    if (argc != 2) {
        fprintf(stderr, "usage: %s INPUT\n", argv[0]);
        return 2;
    }
    read_input(argv[1]);
    printf("bzip2 %s input bytes=%u crc=%08x\n", BZ2_bzlibVersion(), input_len,
           crc_of(input, input_len));
    one_shot("input", input, input_len);
    /* A repetitive buffer: the first 257 bytes of the input repeated 150 times, with a
     * byte changed every 1000 bytes so the runs are long but not trivial. */
    rep_len = 257 * 150;
    rep = xmalloc(rep_len);
    for (i = 0; i < rep_len; i++) rep[i] = input[i % 257 % (input_len ? input_len : 1)];
    for (i = 0; i < rep_len; i += 1000) rep[i] ^= (unsigned char)(i / 1000);
    one_shot("repetitive", rep, rep_len);
    free(rep);
    streaming();
    corrupt();
    free(input);
    return 0;
}
