/*
 * OpenPassMarket benchmark driver for liblzma from XZ Utils (not part of XZ Utils).
 *
 * usage: driver INPUT
 *
 * Reads INPUT and exercises liblzma on it: .xz encoding with several presets, filter
 * chains (LZMA2 alone, Delta+LZMA2, x86 BCJ+LZMA2, SPARC BCJ+LZMA2) and integrity checks
 * (none, CRC32, CRC64, SHA-256), all with a 1 MiB dictionary so memory use stays small;
 * decoding with the single-call decoder; a streaming encoder with small buffers and a
 * full flush (two Blocks) decoded one byte at a time through lzma_auto_decoder, whose
 * Stream Footer and Index are then parsed; the legacy .lzma format; raw LZMA1; and the
 * public CRC32/CRC64 functions. Prints sizes and checksums.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lzma.h"

static uint8_t *input;
static size_t input_len;

static void fail(const char *what, int code) {
    printf("FAIL %s (%d)\n", what, code);
    exit(1);
}

static uint8_t *xmalloc(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
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
        input_len += n;
        if (input_len == cap) {
            uint8_t *bigger = realloc(input, cap *= 2);
            if (bigger == NULL) fail("realloc", 0);
            input = bigger;
        }
    }
    if (ferror(f)) fail("fread", 0);
    fclose(f);
}

static void lzma_options(lzma_options_lzma *opt, uint32_t preset) {
    if (lzma_lzma_preset(opt, preset)) fail("lzma_lzma_preset", (int)preset);
    opt->dict_size = 1U << 20;
}

static int same_as_input(const uint8_t *buf, size_t len) {
    return len == input_len && memcmp(buf, input, len) == 0;
}

/* Single-call .xz encode/decode over a matrix of filter chains, presets and checks. */
static void buffer_matrix(void) {
    static const struct {
        const char *name;
        uint32_t preset;
        lzma_vli pre_filter;
        lzma_check check;
    } cfg[] = {
        {"lzma2-p0-none", 0, LZMA_VLI_UNKNOWN, LZMA_CHECK_NONE},
        {"lzma2-p1-crc32", 1, LZMA_VLI_UNKNOWN, LZMA_CHECK_CRC32},
        {"lzma2-p4-crc64", 4, LZMA_VLI_UNKNOWN, LZMA_CHECK_CRC64},
        {"lzma2-p6e-sha256", 6 | LZMA_PRESET_EXTREME, LZMA_VLI_UNKNOWN, LZMA_CHECK_SHA256},
        {"delta-p2-crc64", 2, LZMA_FILTER_DELTA, LZMA_CHECK_CRC64},
        {"x86-p3-crc32", 3, LZMA_FILTER_X86, LZMA_CHECK_CRC32},
        {"sparc-p5-crc64", 5, LZMA_FILTER_SPARC, LZMA_CHECK_CRC64},
    };
    size_t cap = lzma_stream_buffer_bound(input_len);
    uint8_t *comp = xmalloc(cap);
    uint8_t *back = xmalloc(input_len);
    size_t i;
    for (i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        lzma_options_lzma opt;
        lzma_options_delta delta;
        lzma_filter filters[3];
        size_t n = 0, out_pos = 0, in_pos = 0, back_pos = 0;
        uint64_t memlimit = UINT64_MAX;
        lzma_ret rc;
        lzma_options(&opt, cfg[i].preset);
        if (cfg[i].pre_filter == LZMA_FILTER_DELTA) {
            memset(&delta, 0, sizeof delta);
            delta.type = LZMA_DELTA_TYPE_BYTE;
            delta.dist = 4;
            filters[n].id = LZMA_FILTER_DELTA;
            filters[n++].options = &delta;
        } else if (cfg[i].pre_filter != LZMA_VLI_UNKNOWN) {
            filters[n].id = cfg[i].pre_filter;
            filters[n++].options = NULL;
        }
        filters[n].id = LZMA_FILTER_LZMA2;
        filters[n++].options = &opt;
        filters[n].id = LZMA_VLI_UNKNOWN;
        filters[n].options = NULL;
        if (!lzma_check_is_supported(cfg[i].check)) fail("check unsupported", (int)cfg[i].check);
        rc = lzma_stream_buffer_encode(filters, cfg[i].check, NULL, input, input_len, comp, &out_pos,
                                       cap);
        if (rc != LZMA_OK) fail("lzma_stream_buffer_encode", rc);
        rc = lzma_stream_buffer_decode(&memlimit, 0, NULL, comp, &in_pos, out_pos, back, &back_pos,
                                       input_len);
        if (rc != LZMA_OK) fail("lzma_stream_buffer_decode", rc);
        printf("%-17s compressed=%lu check_size=%u crc32=%08x roundtrip=%d\n", cfg[i].name,
               (unsigned long)out_pos, lzma_check_size(cfg[i].check),
               (unsigned)lzma_crc32(comp, out_pos, 0), in_pos == out_pos && same_as_input(back, back_pos));
    }
    free(comp);
    free(back);
}

/* Runs `strm` over input with `in_step`-byte input pieces and an `out_step`-byte output
 * window; at `flush_at` input bytes, a LZMA_FULL_FLUSH (0: none). Returns bytes written. */
static size_t pump(lzma_stream *strm, const uint8_t *in, size_t in_len, size_t in_step,
                   uint8_t *out, size_t out_cap, size_t out_step, size_t flush_at) {
    size_t in_pos = 0, out_len = 0;
    int flushed = flush_at == 0;
    for (;;) {
        lzma_action action = LZMA_RUN;
        lzma_ret rc;
        size_t before_out;
        if (strm->avail_in == 0 && in_pos < in_len && (flushed || in_pos != flush_at)) {
            size_t take = in_len - in_pos < in_step ? in_len - in_pos : in_step;
            if (!flushed && in_pos < flush_at && in_pos + take > flush_at) take = flush_at - in_pos;
            strm->next_in = in + in_pos;
            strm->avail_in = take;
            in_pos += take;
        }
        if (!flushed && in_pos == flush_at && strm->avail_in == 0) action = LZMA_FULL_FLUSH;
        else if (in_pos == in_len && strm->avail_in == 0) action = LZMA_FINISH;
        before_out = out_cap - out_len < out_step ? out_cap - out_len : out_step;
        strm->next_out = out + out_len;
        strm->avail_out = before_out;
        rc = lzma_code(strm, action);
        out_len += before_out - strm->avail_out;
        if (rc == LZMA_STREAM_END) {
            if (action == LZMA_FULL_FLUSH) {
                flushed = 1;
                continue;
            }
            return out_len;
        }
        if (rc != LZMA_OK) fail("lzma_code", rc);
        if (out_len == out_cap) fail("output full", 0);
    }
}

static void streaming(void) {
    size_t cap = lzma_stream_buffer_bound(input_len) + 4096;
    uint8_t *comp = xmalloc(cap);
    uint8_t *back = xmalloc(input_len + 1);
    lzma_stream strm = LZMA_STREAM_INIT;
    lzma_options_lzma opt;
    lzma_filter filters[2];
    lzma_stream_flags footer;
    lzma_index *index = NULL;
    lzma_index_iter iter;
    uint64_t memlimit = UINT64_MAX;
    size_t clen, blen, index_pos = 0;
    lzma_ret rc;
    char sizes[256];
    int used = 0;

    lzma_options(&opt, 2);
    filters[0].id = LZMA_FILTER_LZMA2;
    filters[0].options = &opt;
    filters[1].id = LZMA_VLI_UNKNOWN;
    filters[1].options = NULL;
    rc = lzma_stream_encoder(&strm, filters, LZMA_CHECK_CRC64);
    if (rc != LZMA_OK) fail("lzma_stream_encoder", rc);
    clen = pump(&strm, input, input_len, 1000, comp, cap, 333, input_len / 3);
    lzma_end(&strm);

    rc = lzma_auto_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED);
    if (rc != LZMA_OK) fail("lzma_auto_decoder", rc);
    blen = pump(&strm, comp, clen, 1, back, input_len + 1, 1, 0);
    lzma_end(&strm);

    rc = lzma_stream_footer_decode(&footer, comp + clen - LZMA_STREAM_HEADER_SIZE);
    if (rc != LZMA_OK) fail("lzma_stream_footer_decode", rc);
    rc = lzma_index_buffer_decode(&index, &memlimit, NULL,
                                  comp + clen - LZMA_STREAM_HEADER_SIZE - footer.backward_size,
                                  &index_pos, footer.backward_size);
    if (rc != LZMA_OK) fail("lzma_index_buffer_decode", rc);
    lzma_index_iter_init(&iter, index);
    sizes[0] = '\0';
    while (!lzma_index_iter_next(&iter, LZMA_INDEX_ITER_BLOCK) && used < 200)
        used += snprintf(sizes + used, sizeof sizes - (size_t)used, "%s%lu/%lu", used ? "," : "",
                         (unsigned long)iter.block.unpadded_size,
                         (unsigned long)iter.block.uncompressed_size);
    printf("streaming         compressed=%lu crc64=%016llx blocks=%lu uncompressed=%lu block_sizes=%s "
           "roundtrip=%d\n",
           (unsigned long)clen, (unsigned long long)lzma_crc64(comp, clen, 0),
           (unsigned long)lzma_index_block_count(index),
           (unsigned long)lzma_index_uncompressed_size(index), sizes, same_as_input(back, blen));
    lzma_index_end(index, NULL);
    free(comp);
    free(back);
}

/* The legacy .lzma format and raw LZMA1 (lc=0, lp=2, pb=2 like xz --lzma1=...). */
static void legacy(void) {
    size_t cap = lzma_stream_buffer_bound(input_len) + 4096;
    uint8_t *comp = xmalloc(cap);
    uint8_t *back = xmalloc(input_len + 1);
    lzma_stream strm = LZMA_STREAM_INIT;
    lzma_options_lzma opt;
    lzma_filter filters[2];
    size_t clen, blen, out_pos = 0, in_pos = 0, back_pos = 0;
    lzma_ret rc;

    lzma_options(&opt, 3);
    rc = lzma_alone_encoder(&strm, &opt);
    if (rc != LZMA_OK) fail("lzma_alone_encoder", rc);
    clen = pump(&strm, input, input_len, 4096, comp, cap, 4096, 0);
    lzma_end(&strm);
    rc = lzma_alone_decoder(&strm, UINT64_MAX);
    if (rc != LZMA_OK) fail("lzma_alone_decoder", rc);
    blen = pump(&strm, comp, clen, 512, back, input_len + 1, 700, 0);
    lzma_end(&strm);
    printf("lzma-alone        compressed=%lu crc32=%08x roundtrip=%d\n", (unsigned long)clen,
           (unsigned)lzma_crc32(comp, clen, 0), same_as_input(back, blen));

    lzma_options(&opt, 5);
    opt.lc = 0;
    opt.lp = 2;
    opt.pb = 2;
    filters[0].id = LZMA_FILTER_LZMA1;
    filters[0].options = &opt;
    filters[1].id = LZMA_VLI_UNKNOWN;
    filters[1].options = NULL;
    rc = lzma_raw_buffer_encode(filters, NULL, input, input_len, comp, &out_pos, cap);
    if (rc != LZMA_OK) fail("lzma_raw_buffer_encode", rc);
    rc = lzma_raw_buffer_decode(filters, NULL, comp, &in_pos, out_pos, back, &back_pos, input_len);
    if (rc != LZMA_OK) fail("lzma_raw_buffer_decode", rc);
    printf("raw-lzma1         compressed=%lu crc32=%08x roundtrip=%d\n", (unsigned long)out_pos,
           (unsigned)lzma_crc32(comp, out_pos, 0), same_as_input(back, back_pos));
    free(comp);
    free(back);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s INPUT\n", argv[0]);
        return 2;
    }
    read_input(argv[1]);
    printf("liblzma %s input bytes=%lu crc32=%08x crc64=%016llx\n", lzma_version_string(),
           (unsigned long)input_len, (unsigned)lzma_crc32(input, input_len, 0),
           (unsigned long long)lzma_crc64(input, input_len, 0));
    buffer_matrix();
    streaming();
    legacy();
    free(input);
    return 0;
}
