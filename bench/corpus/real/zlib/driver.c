/*
 * OpenPassMarket benchmark driver for zlib (not part of zlib).
 *
 * usage: driver INPUT
 *
 * Reads INPUT through zlib's own gz* file API (gzopen/gzread, which passes a file that
 * is not gzip-compressed through unchanged) and then exercises the library on it:
 * one-shot deflate/inflate at several levels, strategies and window sizes (zlib, raw
 * and gzip wrappers), streaming deflate with deflateParams changes and tiny output
 * buffers, byte-at-a-time inflate, preset dictionaries, gzip headers, inflateBack,
 * compress2/uncompress and the crc32/adler32 combine functions. Every result is printed
 * as sizes and checksums; the output depends only on INPUT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zlib.h"

static unsigned char *input;
static unsigned long input_len;

static void fail(const char *what, int code) {
    printf("FAIL %s (%d)\n", what, code);
    exit(1);
}

static unsigned char *xmalloc(size_t n) {
    unsigned char *p = malloc(n ? n : 1);
    if (p == NULL) fail("malloc", 0);
    return p;
}

/* Reads the whole file through gzread (transparent mode for plain files). */
static void read_input(const char *path) {
    gzFile f = gzopen(path, "rb");
    size_t cap = 1 << 16;
    int n;
    if (f == NULL) fail("gzopen", 0);
    input = xmalloc(cap);
    input_len = 0;
    for (;;) {
        if (input_len + 4096 > cap) {
            unsigned char *bigger;
            cap *= 2;
            bigger = realloc(input, cap);
            if (bigger == NULL) fail("realloc", 0);
            input = bigger;
        }
        n = gzread(f, input + input_len, 4096);
        if (n < 0) fail("gzread", n);
        if (n == 0) break;
        input_len += (unsigned long)n;
    }
    printf("input: bytes=%lu gzdirect=%d\n", input_len, gzdirect(f));
    if (gzclose(f) != Z_OK) fail("gzclose", 0);
}

/* One-shot deflate of the whole input into a deflateBound-sized buffer. */
static unsigned long deflate_all(unsigned char *out, unsigned long cap, int level, int wbits,
                                 int memlevel, int strategy) {
    z_stream s;
    int rc;
    memset(&s, 0, sizeof s);
    rc = deflateInit2(&s, level, Z_DEFLATED, wbits, memlevel, strategy);
    if (rc != Z_OK) fail("deflateInit2", rc);
    if (deflateBound(&s, input_len) > cap) fail("deflateBound", 0);
    s.next_in = input;
    s.avail_in = (uInt)input_len;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    rc = deflate(&s, Z_FINISH);
    if (rc != Z_STREAM_END) fail("deflate", rc);
    if (deflateEnd(&s) != Z_OK) fail("deflateEnd", 0);
    return s.total_out;
}

/* Inflates `len` bytes, feeding the input in pieces of `in_step` and taking the output
 * in pieces of `out_step`, and returns the number of bytes produced. */
static unsigned long inflate_stepped(const unsigned char *in, unsigned long len, int wbits,
                                     unsigned char *out, unsigned long cap, unsigned in_step,
                                     unsigned out_step) {
    z_stream s;
    int rc = Z_OK;
    unsigned long in_pos = 0;
    memset(&s, 0, sizeof s);
    rc = inflateInit2(&s, wbits);
    if (rc != Z_OK) fail("inflateInit2", rc);
    s.next_out = out;
    while (rc != Z_STREAM_END) {
        unsigned long room = cap - s.total_out;
        if (s.avail_in == 0) {
            unsigned long left = len - in_pos;
            unsigned take = left < in_step ? (unsigned)left : in_step;
            s.next_in = (unsigned char *)in + in_pos;
            s.avail_in = take;
            in_pos += take;
        }
        s.avail_out = room < out_step ? (uInt)room : out_step;
        rc = inflate(&s, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) fail("inflate", rc);
    }
    if (inflateEnd(&s) != Z_OK) fail("inflateEnd", 0);
    return s.total_out;
}

static int same_as_input(const unsigned char *buf, unsigned long len) {
    return len == input_len && memcmp(buf, input, len) == 0;
}

static void one_shot_matrix(void) {
    static const struct { int level, wbits, memlevel, strategy; const char *name; } cfg[] = {
        {0, 15, 8, Z_DEFAULT_STRATEGY, "stored"},
        {1, 15, 8, Z_DEFAULT_STRATEGY, "fast"},
        {6, 15, 8, Z_DEFAULT_STRATEGY, "default"},
        {9, 15, 9, Z_DEFAULT_STRATEGY, "best"},
        {6, 15, 8, Z_FILTERED, "filtered"},
        {6, 15, 8, Z_HUFFMAN_ONLY, "huffman"},
        {6, 15, 8, Z_RLE, "rle"},
        {6, 15, 8, Z_FIXED, "fixed"},
        {6, -15, 8, Z_DEFAULT_STRATEGY, "raw"},
        {6, 31, 8, Z_DEFAULT_STRATEGY, "gzip"},
        {4, 9, 1, Z_DEFAULT_STRATEGY, "small-window"},
    };
    unsigned long cap = input_len + input_len / 4 + 1024;
    unsigned char *comp = xmalloc(cap);
    unsigned char *back = xmalloc(input_len);
    size_t i;
    for (i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        unsigned long clen = deflate_all(comp, cap, cfg[i].level, cfg[i].wbits, cfg[i].memlevel,
                                         cfg[i].strategy);
        int inflate_bits = cfg[i].wbits < 0 ? -15 : cfg[i].wbits > 15 ? 47 : 15;
        unsigned long blen = inflate_stepped(comp, clen, inflate_bits, back, input_len, 65536, 65536);
        printf("%-12s level=%d wbits=%d compressed=%lu crc32=%08lx roundtrip=%d\n", cfg[i].name,
               cfg[i].level, cfg[i].wbits, clen, crc32(0L, comp, (uInt)clen),
               same_as_input(back, blen));
    }
    free(comp);
    free(back);
}

/* Streaming deflate: input in 1000-byte pieces, output through a 257-byte window, the
 * level and strategy changed every 16 KiB, a full flush in the middle; then inflate one
 * byte in, one byte out. */
static void streaming(void) {
    unsigned long cap = compressBound(input_len) * 2 + 1024;
    unsigned char *comp = xmalloc(cap);
    unsigned char *back = xmalloc(input_len);
    unsigned char window[257];
    unsigned long in_pos = 0, clen = 0, next_switch = 16384, blen;
    int step = 0, rc, flush;
    z_stream s;
    memset(&s, 0, sizeof s);
    rc = deflateInit(&s, 3);
    if (rc != Z_OK) fail("deflateInit", rc);
    do {
        unsigned take = input_len - in_pos < 1000 ? (unsigned)(input_len - in_pos) : 1000;
        s.next_in = input + in_pos;
        s.avail_in = take;
        in_pos += take;
        flush = in_pos == input_len ? Z_FINISH
                : (in_pos >= input_len / 2 && in_pos - take < input_len / 2) ? Z_FULL_FLUSH
                : Z_NO_FLUSH;
        do {
            s.next_out = window;
            s.avail_out = sizeof window;
            rc = deflate(&s, flush);
            if (rc == Z_STREAM_ERROR) fail("deflate stream", rc);
            memcpy(comp + clen, window, sizeof window - s.avail_out);
            clen += sizeof window - s.avail_out;
        } while (s.avail_out == 0);
        if (in_pos >= next_switch && flush == Z_NO_FLUSH) {
            static const int levels[] = {1, 9, 5, 0, 7};
            static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_RLE,
                                             Z_DEFAULT_STRATEGY, Z_HUFFMAN_ONLY};
            next_switch += 16384;
            step = (step + 1) % 5;
            do {
                s.next_out = window;
                s.avail_out = sizeof window;
                rc = deflateParams(&s, levels[step], strategies[step]);
                memcpy(comp + clen, window, sizeof window - s.avail_out);
                clen += sizeof window - s.avail_out;
            } while (rc == Z_BUF_ERROR || s.avail_out == 0);
            if (rc != Z_OK) fail("deflateParams", rc);
        }
    } while (flush != Z_FINISH);
    if (rc != Z_STREAM_END) fail("deflate finish", rc);
    deflateEnd(&s);
    blen = inflate_stepped(comp, clen, 15, back, input_len, 1, 1);
    printf("streaming   compressed=%lu crc32=%08lx adler32=%08lx roundtrip=%d\n", clen,
           crc32(0L, comp, (uInt)clen), adler32(1L, comp, (uInt)clen), same_as_input(back, blen));
    free(comp);
    free(back);
}

/* A preset dictionary (the first 4 KiB of the input) for compressing the rest. */
static void dictionary(void) {
    unsigned long dict_len = input_len < 8192 ? input_len / 2 : 4096;
    const unsigned char *rest = input + dict_len;
    unsigned long rest_len = input_len - dict_len;
    unsigned long cap = compressBound(rest_len) + 64;
    unsigned char *comp = xmalloc(cap);
    unsigned char *back = xmalloc(rest_len + 1);
    unsigned long dict_id;
    z_stream s;
    int rc;
    memset(&s, 0, sizeof s);
    if (deflateInit(&s, 9) != Z_OK) fail("deflateInit dict", 0);
    if (deflateSetDictionary(&s, input, (uInt)dict_len) != Z_OK) fail("deflateSetDictionary", 0);
    dict_id = s.adler;
    s.next_in = (unsigned char *)rest;
    s.avail_in = (uInt)rest_len;
    s.next_out = comp;
    s.avail_out = (uInt)cap;
    if (deflate(&s, Z_FINISH) != Z_STREAM_END) fail("deflate dict", 0);
    deflateEnd(&s);
    {
        unsigned long clen = s.total_out;
        memset(&s, 0, sizeof s);
        if (inflateInit(&s) != Z_OK) fail("inflateInit dict", 0);
        s.next_in = comp;
        s.avail_in = (uInt)clen;
        s.next_out = back;
        s.avail_out = (uInt)rest_len + 1;
        rc = inflate(&s, Z_FINISH);
        if (rc != Z_NEED_DICT || s.adler != dict_id || dict_id != adler32(1L, input, (uInt)dict_len))
            fail("inflate need dict", rc);
        if (inflateSetDictionary(&s, input, (uInt)dict_len) != Z_OK) fail("inflateSetDictionary", 0);
        rc = inflate(&s, Z_FINISH);
        if (rc != Z_STREAM_END) fail("inflate dict", rc);
        printf("dictionary  dict=%lu id=%08lx compressed=%lu roundtrip=%d\n", dict_len, dict_id, clen,
               s.total_out == rest_len && memcmp(back, rest, rest_len) == 0);
        inflateEnd(&s);
    }
    free(comp);
    free(back);
}

/* A gzip stream with a header (name, comment, extra field) read back by inflateGetHeader. */
static void gzip_header(void) {
    unsigned long cap = compressBound(input_len) + 256;
    unsigned char *comp = xmalloc(cap);
    unsigned char *back = xmalloc(input_len);
    static unsigned char extra[] = "OPM extra field";
    static unsigned char name[] = "input.txt";
    static unsigned char comment[] = "OpenPassMarket real-program corpus";
    unsigned char got_extra[32], got_name[32], got_comment[64];
    gz_header h, got;
    z_stream s;
    int rc;
    memset(&h, 0, sizeof h);
    h.text = 1;
    h.time = 1700000000UL;
    h.os = 3;
    h.extra = extra;
    h.extra_len = sizeof extra - 1;
    h.name = name;
    h.comment = comment;
    h.hcrc = 1;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, 5, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) fail("deflateInit2 gz", 0);
    if (deflateSetHeader(&s, &h) != Z_OK) fail("deflateSetHeader", 0);
    s.next_in = input;
    s.avail_in = (uInt)input_len;
    s.next_out = comp;
    s.avail_out = (uInt)cap;
    if (deflate(&s, Z_FINISH) != Z_STREAM_END) fail("deflate gz", 0);
    deflateEnd(&s);
    {
        unsigned long clen = s.total_out;
        memset(&got, 0, sizeof got);
        got.extra = got_extra;
        got.extra_max = sizeof got_extra;
        got.name = got_name;
        got.name_max = sizeof got_name;
        got.comment = got_comment;
        got.comm_max = sizeof got_comment;
        memset(&s, 0, sizeof s);
        if (inflateInit2(&s, 31) != Z_OK) fail("inflateInit2 gz", 0);
        if (inflateGetHeader(&s, &got) != Z_OK) fail("inflateGetHeader", 0);
        s.next_in = comp;
        s.avail_in = (uInt)clen;
        s.next_out = back;
        s.avail_out = (uInt)input_len;
        rc = inflate(&s, Z_FINISH);
        if (rc != Z_STREAM_END) fail("inflate gz", rc);
        printf("gzip-header compressed=%lu done=%d time=%lu name=%s comment_len=%u extra_len=%u hcrc=%d "
               "roundtrip=%d\n",
               clen, got.done, (unsigned long)got.time, (char *)got_name,
               (unsigned)strlen((char *)got_comment), got.extra_len, got.hcrc,
               same_as_input(back, s.total_out));
        inflateEnd(&s);
    }
    free(comp);
    free(back);
}

/* inflateBack with callbacks: input in 777-byte pieces, output checksummed on the fly. */
struct back_state {
    const unsigned char *data;
    unsigned long len, pos, out_len;
    unsigned long crc;
};

static unsigned back_in(void *desc, z_const unsigned char **buf) {
    struct back_state *st = desc;
    unsigned long left = st->len - st->pos;
    unsigned n = left < 777 ? (unsigned)left : 777;
    *buf = (unsigned char *)st->data + st->pos;
    st->pos += n;
    return n;
}

static int back_out(void *desc, unsigned char *buf, unsigned len) {
    struct back_state *st = desc;
    st->crc = crc32(st->crc, buf, len);
    st->out_len += len;
    return 0;
}

static void inflate_back(void) {
    unsigned long cap = input_len + input_len / 4 + 1024;
    unsigned char *comp = xmalloc(cap);
    unsigned char *window = xmalloc(1U << 15);
    unsigned long clen = deflate_all(comp, cap, 7, -15, 8, Z_DEFAULT_STRATEGY);
    struct back_state st;
    z_stream s;
    int rc;
    memset(&st, 0, sizeof st);
    st.data = comp;
    st.len = clen;
    st.crc = crc32(0L, Z_NULL, 0);
    memset(&s, 0, sizeof s);
    if (inflateBackInit(&s, 15, window) != Z_OK) fail("inflateBackInit", 0);
    rc = inflateBack(&s, back_in, &st, back_out, &st);
    if (rc != Z_STREAM_END) fail("inflateBack", rc);
    inflateBackEnd(&s);
    printf("inflateBack compressed=%lu out=%lu crc32=%08lx matches=%d\n", clen, st.out_len, st.crc,
           st.out_len == input_len && st.crc == crc32(0L, input, (uInt)input_len));
    free(comp);
    free(window);
}

/* compress2/uncompress and the checksum combine functions. */
static void utilities(void) {
    uLongf clen = compressBound(input_len);
    uLongf blen = input_len;
    unsigned char *comp = xmalloc(clen);
    unsigned char *back = xmalloc(input_len);
    unsigned long half = input_len / 3;
    unsigned long crc_all = crc32(0L, input, (uInt)input_len);
    unsigned long adler_all = adler32(1L, input, (uInt)input_len);
    unsigned long crc_a = crc32(0L, input, (uInt)half);
    unsigned long crc_b = crc32(0L, input + half, (uInt)(input_len - half));
    unsigned long adler_a = adler32(1L, input, (uInt)half);
    unsigned long adler_b = adler32(1L, input + half, (uInt)(input_len - half));
    unsigned long crc_z = crc32_z(0L, input, input_len);
    int rc = compress2(comp, &clen, input, input_len, Z_BEST_COMPRESSION);
    if (rc != Z_OK) fail("compress2", rc);
    rc = uncompress(back, &blen, comp, clen);
    if (rc != Z_OK) fail("uncompress", rc);
    printf("compress2   compressed=%lu roundtrip=%d\n", (unsigned long)clen,
           same_as_input(back, blen));
    printf("checksums   crc32=%08lx adler32=%08lx crc32_z=%d crc_combine=%d adler_combine=%d\n",
           crc_all, adler_all, crc_z == crc_all,
           crc32_combine(crc_a, crc_b, (z_off_t)(input_len - half)) == crc_all,
           adler32_combine(adler_a, adler_b, (z_off_t)(input_len - half)) == adler_all);
    free(comp);
    free(back);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s INPUT\n", argv[0]);
        return 2;
    }
    read_input(argv[1]);
    printf("zlib %s\n", zlibVersion());
    one_shot_matrix();
    streaming();
    dictionary();
    gzip_header();
    inflate_back();
    utilities();
    free(input);
    return 0;
}
