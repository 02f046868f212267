/* json.c - a JSON tokenizer (RFC 8259 lexical grammar) with nesting validation, run over a
 * generated document and a set of malformed inputs. Part of the OpenPassMarket corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define DOC_MAX 60000
#define MAX_DEPTH 64

enum tok_kind { T_LBRACE, T_RBRACE, T_LBRACKET, T_RBRACKET, T_COLON, T_COMMA, T_STRING, T_NUMBER,
                T_TRUE, T_FALSE, T_NULL, T_END, T_ERROR, T_KINDS };

typedef struct {
    enum tok_kind kind;
    int start;
    int len;
} token;

typedef struct {
    const char *src;
    int pos;
    int len;
} lexer;

typedef struct {
    uint32_t counts[T_KINDS];
    uint32_t content_hash;
    uint64_t number_sum;
    int max_depth;
    int error_pos;
} stats;

static char doc[DOC_MAX];
static int doc_len;
static uint32_t rng_state = 0x510E527Fu;

static uint32_t rng_next(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* ---------- generator ---------- */

static void put_char(char c) {
    if (doc_len < DOC_MAX - 1) doc[doc_len++] = c;
}

static void put_str(const char *s) {
    while (*s) put_char(*s++);
}

static void put_uint(uint32_t v) {
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) put_char(tmp[--n]);
}

static void gen_string(void) {
    static const char *const pieces[] = {"key", "pass", "gvn", "licm", "\\n", "\\\"", "\\\\",
                                         "\\u00e9", "\\t", " ", "x", "loop-unroll", "\\/"};
    int n = (int)(rng_next() % 4u) + 1;
    put_char('"');
    for (int i = 0; i < n; i++) put_str(pieces[rng_next() % 13u]);
    put_char('"');
}

static void gen_number(void) {
    uint32_t r = rng_next();
    if (r & 1u) put_char('-');
    if ((r >> 1) % 5u == 0) {
        put_char('0');
    } else {
        put_uint(rng_next() % 100000u);
    }
    if ((r >> 4) % 3u == 0) {
        put_char('.');
        put_uint(rng_next() % 1000u);
    }
    if ((r >> 6) % 7u == 0) {
        put_char((r >> 9) & 1u ? 'e' : 'E');
        if ((r >> 10) & 1u) put_char((r >> 11) & 1u ? '+' : '-');
        put_uint(rng_next() % 40u);
    }
}

static void gen_value(int depth) {
    uint32_t r = rng_next() % 10u;
    if (depth >= 6 && r < 4) r += 4;
    if (doc_len > DOC_MAX - 2000) r = 9;
    switch (r) {
    case 0:
    case 1: {
        int n = (int)(rng_next() % 6u);
        put_char('{');
        for (int i = 0; i < n; i++) {
            if (i) put_str(", ");
            gen_string();
            put_str(": ");
            gen_value(depth + 1);
        }
        put_char('}');
        break;
    }
    case 2:
    case 3: {
        int n = (int)(rng_next() % 7u);
        put_char('[');
        for (int i = 0; i < n; i++) {
            if (i) put_char(',');
            if (rng_next() & 1u) put_char('\n');
            gen_value(depth + 1);
        }
        put_char(']');
        break;
    }
    case 4:
    case 5: gen_string(); break;
    case 6:
    case 7: gen_number(); break;
    case 8: put_str((rng_next() & 1u) ? "true" : "false"); break;
    default: put_str("null"); break;
    }
}

static void gen_document(void) {
    doc_len = 0;
    put_char('[');
    for (int i = 0; doc_len < DOC_MAX - 3000; i++) {
        if (i) put_str(",\n");
        gen_value(0);
    }
    put_char(']');
    doc[doc_len] = '\0';
}

/* ---------- tokenizer ---------- */

static int is_digit(char c) {
    return c >= '0' && c <= '9';
}

static int is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_simple_escape(char e) {
    static const char escapes[] = "\"\\/bfnrt";
    for (const char *q = escapes; *q; q++) {
        if (*q == e) return 1;
    }
    return 0;
}

static int is_value_start(enum tok_kind k) {
    return k == T_STRING || k == T_NUMBER || k == T_TRUE || k == T_FALSE || k == T_NULL || k == T_LBRACE ||
           k == T_LBRACKET;
}

static int is_value_end(enum tok_kind k) {
    return k == T_STRING || k == T_NUMBER || k == T_TRUE || k == T_FALSE || k == T_NULL || k == T_RBRACE ||
           k == T_RBRACKET;
}

static void skip_ws(lexer *lx) {
    while (lx->pos < lx->len) {
        char c = lx->src[lx->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        lx->pos++;
    }
}

static int lex_string(lexer *lx) {
    int p = lx->pos + 1;
    while (p < lx->len) {
        char c = lx->src[p];
        if (c == '"') return p + 1;
        if ((unsigned char)c < 0x20) return -1;
        if (c == '\\') {
            if (p + 1 >= lx->len) return -1;
            char e = lx->src[p + 1];
            if (e == 'u') {
                for (int k = 2; k < 6; k++) {
                    if (p + k >= lx->len || !is_hex(lx->src[p + k])) return -1;
                }
                p += 6;
            } else if (is_simple_escape(e)) {
                p += 2;
            } else {
                return -1;
            }
        } else {
            p++;
        }
    }
    return -1;
}

static int lex_number(lexer *lx) {
    int p = lx->pos;
    const char *s = lx->src;
    if (p < lx->len && s[p] == '-') p++;
    if (p >= lx->len || !is_digit(s[p])) return -1;
    if (s[p] == '0') {
        p++;
    } else {
        while (p < lx->len && is_digit(s[p])) p++;
    }
    if (p < lx->len && s[p] == '.') {
        p++;
        if (p >= lx->len || !is_digit(s[p])) return -1;
        while (p < lx->len && is_digit(s[p])) p++;
    }
    if (p < lx->len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < lx->len && (s[p] == '+' || s[p] == '-')) p++;
        if (p >= lx->len || !is_digit(s[p])) return -1;
        while (p < lx->len && is_digit(s[p])) p++;
    }
    return p;
}

static int lex_word(const lexer *lx, const char *word) {
    int n = (int)strlen(word);
    if (lx->pos + n > lx->len || memcmp(lx->src + lx->pos, word, (size_t)n) != 0) return -1;
    return lx->pos + n;
}

static token next_token(lexer *lx) {
    token t;
    int end = -1;
    skip_ws(lx);
    t.start = lx->pos;
    t.len = 0;
    if (lx->pos >= lx->len) {
        t.kind = T_END;
        return t;
    }
    char c = lx->src[lx->pos];
    switch (c) {
    case '{': t.kind = T_LBRACE; end = lx->pos + 1; break;
    case '}': t.kind = T_RBRACE; end = lx->pos + 1; break;
    case '[': t.kind = T_LBRACKET; end = lx->pos + 1; break;
    case ']': t.kind = T_RBRACKET; end = lx->pos + 1; break;
    case ':': t.kind = T_COLON; end = lx->pos + 1; break;
    case ',': t.kind = T_COMMA; end = lx->pos + 1; break;
    case '"': t.kind = T_STRING; end = lex_string(lx); break;
    case 't': t.kind = T_TRUE; end = lex_word(lx, "true"); break;
    case 'f': t.kind = T_FALSE; end = lex_word(lx, "false"); break;
    case 'n': t.kind = T_NULL; end = lex_word(lx, "null"); break;
    default: t.kind = T_NUMBER; end = lex_number(lx); break;
    }
    if (end < 0) {
        t.kind = T_ERROR;
        return t;
    }
    t.len = end - lx->pos;
    lx->pos = end;
    return t;
}

static uint64_t integer_part(const char *s, int len) {
    uint64_t v = 0;
    int i = (s[0] == '-') ? 1 : 0;
    for (; i < len && is_digit(s[i]); i++) v = v * 10u + (uint64_t)(s[i] - '0');
    return s[0] == '-' ? (uint64_t)0 - v : v;
}

/* tokenizes src and checks bracket nesting and that two values are never adjacent;
 * returns 1 if well-formed */
static int scan(const char *src, int len, stats *st) {
    char stack[MAX_DEPTH];
    int depth = 0;
    enum tok_kind prev = T_COMMA;
    lexer lx = {src, 0, len};
    memset(st, 0, sizeof *st);
    st->error_pos = -1;
    st->content_hash = 2166136261u;
    for (;;) {
        token t = next_token(&lx);
        st->counts[t.kind]++;
        if (t.kind == T_END) break;
        if (t.kind == T_ERROR) {
            st->error_pos = t.start;
            return 0;
        }
        if (is_value_end(prev) && is_value_start(t.kind)) {
            st->error_pos = t.start;
            return 0;
        }
        prev = t.kind;
        for (int i = 0; i < t.len; i++) st->content_hash = (st->content_hash ^ (uint8_t)src[t.start + i]) * 16777619u;
        if (t.kind == T_NUMBER) st->number_sum += integer_part(src + t.start, t.len);
        if (t.kind == T_LBRACE || t.kind == T_LBRACKET) {
            if (depth >= MAX_DEPTH) {
                st->error_pos = t.start;
                return 0;
            }
            stack[depth++] = t.kind == T_LBRACE ? '}' : ']';
            if (depth > st->max_depth) st->max_depth = depth;
        } else if (t.kind == T_RBRACE || t.kind == T_RBRACKET) {
            char want = t.kind == T_RBRACE ? '}' : ']';
            if (depth == 0 || stack[depth - 1] != want) {
                st->error_pos = t.start;
                return 0;
            }
            depth--;
        }
    }
    if (depth != 0) {
        st->error_pos = len;
        return 0;
    }
    return 1;
}

int main(void) {
    stats st;
    gen_document();
    int ok = scan(doc, doc_len, &st);
    printf("json len=%d ok=%d depth=%d hash=%08x numsum=%llu\n", doc_len, ok, st.max_depth,
           (unsigned)st.content_hash, (unsigned long long)st.number_sum);
    printf("counts {=%u }=%u [=%u ]=%u :=%u ,=%u str=%u num=%u true=%u false=%u null=%u\n",
           (unsigned)st.counts[T_LBRACE], (unsigned)st.counts[T_RBRACE], (unsigned)st.counts[T_LBRACKET],
           (unsigned)st.counts[T_RBRACKET], (unsigned)st.counts[T_COLON], (unsigned)st.counts[T_COMMA],
           (unsigned)st.counts[T_STRING], (unsigned)st.counts[T_NUMBER], (unsigned)st.counts[T_TRUE],
           (unsigned)st.counts[T_FALSE], (unsigned)st.counts[T_NULL]);
    static const char *const bad[] = {"[1, 2", "{\"a\": tru}", "[01]", "\"\\x\"", "[1.]", "[-]",
                                      "{\"k\": [1, 2}", "\"abc", "[1e+]", "[\"\\u12g4\"]", "]"};
    printf("malformed");
    for (int i = 0; i < 11; i++) {
        int r = scan(bad[i], (int)strlen(bad[i]), &st);
        printf(" %d@%d", r, st.error_pos);
    }
    putchar('\n');
    return 0;
}
