/*
 * ivconform_c.c: a C implementation of identity verification (SPEC.md S1-S5, P1-P6, V1-V9) behind the C ABI
 * of include/ivconform.h, for `ivconform run --lib build/libivconform_c.so`.
 *
 *   crypto   OpenSSL libcrypto: HMAC() with EVP_sha256() for the MAC, CRYPTO_memcmp() for the comparison.
 *   JSON     Jansson for the protocol messages (requests in, responses out) and a small strict parser of
 *            our own for the boot payload (below). Nothing else; no global mutable state.
 *
 * Why the boot payload does not go through Jansson
 * ------------------------------------------------
 * Jansson 2.14 with JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL gets most of P1/P2 right: it rejects duplicate
 * keys at every depth (compared after unescaping), lone and reversed surrogate escapes, invalid, overlong
 * and surrogate UTF-8, raw control characters, comments, trailing commas, NaN/Infinity, leading zeros and a
 * BOM, and it tells `123` (integer) from `123.0` / `1e2` (real) by the lexeme. It falls short in ways that
 * extra checks around it cannot repair, because they make it *reject valid RFC 8259 text*:
 *
 *   - an integer outside int64 anywhere in the document ("too big integer"), e.g. a custom attribute
 *     `"account": 12345678901234567890`; P5 says such attributes do not affect the decision, and the
 *     reference accepts the payload. The only switch, JSON_DECODE_INT_AS_REAL, erases the integer/real
 *     distinction P3 depends on;
 *   - a real that overflows a double anywhere ("real number overflow"), e.g. `"score": 1e400`;
 *   - an object key containing U+0000 ("NUL byte in object key not supported"), even with JSON_ALLOW_NUL;
 *   - its nesting limit is a compile-time 2048, not P6's 32, so depth needs a scanner of its own anyway.
 *
 * Working around the first three would mean rewriting the input before Jansson sees it, or a second
 * tokenizer deciding which of Jansson's errors to overrule: two parsers that can disagree, which is the
 * very hazard P2 exists to close. So the payload gets one parser, ~350 lines, written for it: a recursive
 * descent over the raw bytes that validates the whole document (RFC 8259 grammar, UTF-8, surrogates,
 * duplicate keys per object at every depth, depth <= 32, size <= 64 KiB) without building a tree, and keeps
 * only the four top-level fields the verifier needs. Memory is bounded by the input: decoded strings go to
 * one arena of input size (unescaping never lengthens text), keys to one stack of at most size/4 + 2
 * entries, and recursion stops at depth 32. Protocol messages come from the harness (serde_json output), so
 * Jansson's limits never bite there.
 *
 * Ownership (include/ivconform.h): ivc_call() malloc()s the response; ivc_free() free()s it. The response
 * is serialised by Jansson into a buffer this file allocates, so ivc_free() matches it even if some other
 * code in the process changes Jansson's allocator with json_set_alloc_funcs().
 *
 * Thread safety: every function is reentrant; all state lives on the stack or in per-call allocations.
 * OpenSSL 3 and Jansson 2.14 are thread-safe for independent objects.
 */

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Built with -fvisibility=hidden: only the declarations of the public header are exported. */
#pragma GCC visibility push(default)
#include "ivconform.h"
#pragma GCC visibility pop

#define IVC_NAME "ivconform-c"
#define IVC_VERSION "0.1.0"
#define IVC_PROTOCOL "ivconform/1"

#define MAC_LEN 32
#define TAG_HEX_LEN 64
#define MAX_PAYLOAD_BYTES (64 * 1024)         /* P6 */
#define MAX_DEPTH 32                          /* P6: the outermost container is depth 1 */
#define MAX_IDENTIFIER_BYTES 1024             /* P6 */
#define MAX_SAFE_INTEGER 9007199254740991LL   /* P3: 2^53 - 1 */

/* ---- bytes and hex ----------------------------------------------------------------------------------- */

static const uint8_t EMPTY[1] = {0}; /* a valid pointer for zero-length buffers */

typedef struct {
    const uint8_t *ptr;
    size_t len;
} span;

static void hex_encode_lower(const uint8_t *in, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0F];
    }
}

/* The value of one hex digit (either case), without branching on it; sets *bad when c is not a hex digit. */
static uint8_t hex_nibble(uint8_t c, unsigned *bad) {
    unsigned d = (unsigned)c - '0';
    unsigned l = ((unsigned)c | 0x20u) - 'a';
    unsigned is_d = d <= 9u;
    unsigned is_l = l <= 5u;
    *bad |= (is_d | is_l) ^ 1u;
    return (uint8_t)((d & (0u - is_d)) | ((l + 10u) & (0u - is_l)));
}

/* 1 when text is an even number of hex digits (either case). */
static int is_hex(const char *text, size_t n) {
    unsigned bad = n % 2 != 0;
    for (size_t i = 0; i < n && !bad; i++) (void)hex_nibble((uint8_t)text[i], &bad);
    return !bad;
}

/* Decodes hex (either case) into a fresh buffer of *out_len bytes (one spare byte, so never malloc(0)).
 * NULL when the text is not an even number of hex digits or memory runs out. */
static uint8_t *hex_decode_alloc(const char *hex, size_t hex_len, size_t *out_len) {
    if (hex_len % 2 != 0) return NULL;
    size_t n = hex_len / 2;
    uint8_t *out = malloc(n + 1);
    if (!out) return NULL;
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t hi = hex_nibble((uint8_t)hex[2 * i], &bad);
        uint8_t lo = hex_nibble((uint8_t)hex[2 * i + 1], &bad);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    if (bad) {
        free(out);
        return NULL;
    }
    *out_len = n;
    return out;
}

/* Frees a buffer that held secret material. */
static void free_secret(uint8_t *p, size_t n) {
    if (!p) return;
    OPENSSL_cleanse(p, n);
    free(p);
}

/* ---- HMAC-SHA256 (S1) and the constant-time check (V6, V9) -------------------------------------------- */

/* HMAC-SHA256 of msg under key, any key length including 0. 0 on success, -1 on failure. */
static int hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                       uint8_t out[MAC_LEN]) {
    unsigned int out_len = 0;
    if (key_len > (size_t)INT_MAX) return -1; /* HMAC() takes the key length as an int */
    /* OpenSSL reads a NULL key as "reuse the previous key", so an empty key still gets a valid pointer. */
    if (!HMAC(EVP_sha256(), key_len ? key : EMPTY, (int)key_len, msg_len ? msg : EMPTY, msg_len, out, &out_len))
        return -1;
    return out_len == MAC_LEN ? 0 : -1;
}

/* 1 when hash is 64 hex digits (either case) equal to HMAC-SHA256(secret, msg), 0 when not, -1 on error.
 * The length of the supplied hash is public; its contents are decoded and compared without early exit. */
static int verify_tag(const uint8_t *secret, size_t secret_len, const uint8_t *msg, size_t msg_len,
                      const uint8_t *hash, size_t hash_len) {
    uint8_t expected[MAC_LEN], supplied[MAC_LEN];
    if (hash_len != TAG_HEX_LEN) return 0;
    unsigned bad = 0;
    for (size_t i = 0; i < MAC_LEN; i++) {
        uint8_t hi = hex_nibble(hash[2 * i], &bad);
        uint8_t lo = hex_nibble(hash[2 * i + 1], &bad);
        supplied[i] = (uint8_t)(hi << 4 | lo);
    }
    if (hmac_sha256(secret, secret_len, msg, msg_len, expected) != 0) return -1;
    int equal = CRYPTO_memcmp(expected, supplied, MAC_LEN) == 0;
    OPENSSL_cleanse(expected, sizeof expected);
    return equal && !bad;
}

/* ---- the boot payload: a strict RFC 8259 parser (P1, P2, P6) and its typed fields (P3-P5) -------------- */

enum jtype { JT_NULL, JT_BOOL, JT_NUMBER, JT_STRING, JT_ARRAY, JT_OBJECT };

typedef struct {
    enum jtype type;
    span s; /* JT_STRING: the decoded bytes (in the arena); JT_NUMBER: the lexeme (in the input) */
} jvalue;

enum uid_kind { UID_ABSENT, UID_TEXT, UID_INT };

/* The fields of a payload that passed P1-P6. "Absent" covers both a missing key and null. */
typedef struct {
    span app_id;
    int has_app_id;
    enum uid_kind user_id_kind;
    span user_id_text;     /* UID_TEXT: may be "" (absent in the sense of P3, decided when selecting) */
    long long user_id_int; /* UID_INT */
    int has_email;
    span email;
    int has_hash;
    span hash;
} boot_payload;

typedef struct {
    const uint8_t *in;
    size_t len;
    size_t pos;
    uint8_t *arena; /* decoded strings; capacity len + 1 */
    size_t arena_len, arena_cap;
    span *keys; /* the keys of the objects being parsed, innermost last */
    size_t keys_len, keys_cap;
} parser;

/* 1 when s[0..n) is UTF-8 without overlong forms, surrogates or code points past U+10FFFF. */
static int utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1, cp = c & 0x1Fu, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2, cp = c & 0x0Fu, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3, cp = c & 0x07u, min = 0x10000;
        } else {
            return 0; /* a continuation byte, 0xC0/0xC1 or 0xF5..0xFF */
        }
        if (n - i - 1 < need) return 0; /* truncated (i < n, so no wrap) */
        for (size_t k = 1; k <= need; k++) {
            uint8_t cc = s[i + k];
            if ((cc & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (cc & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += need + 1;
    }
    return 1;
}

static int at(const parser *p, uint8_t c) {
    return p->pos < p->len && p->in[p->pos] == c;
}

static int is_digit_at(const parser *p) {
    return p->pos < p->len && p->in[p->pos] >= '0' && p->in[p->pos] <= '9';
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        uint8_t c = p->in[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int arena_put(parser *p, const uint8_t *bytes, size_t n) {
    if (p->arena_cap - p->arena_len < n) return -1; /* cannot happen: decoding never lengthens text */
    memcpy(p->arena + p->arena_len, bytes, n);
    p->arena_len += n;
    return 0;
}

static int arena_put_code_point(parser *p, uint32_t cp) {
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xE0 | cp >> 12), b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | cp >> 18), b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F)), b[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
    }
    return arena_put(p, b, n);
}

/* Four hex digits after "\u". */
static int hex4(parser *p, uint32_t *out) {
    if (p->len - p->pos < 4) return -1;
    unsigned bad = 0;
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) v = v << 4 | hex_nibble(p->in[p->pos + i], &bad);
    if (bad) return -1;
    p->pos += 4;
    *out = v;
    return 0;
}

/* A string at the cursor (on its opening quote), unescaped into the arena. */
static int parse_string(parser *p, span *out) {
    size_t start = p->arena_len;
    p->pos++; /* '"' */
    for (;;) {
        /* Copy the longest run of ordinary bytes at once (UTF-8 was checked up front). */
        size_t run = p->pos;
        while (run < p->len && p->in[run] != '"' && p->in[run] != '\\' && p->in[run] >= 0x20) run++;
        if (arena_put(p, p->in + p->pos, run - p->pos) != 0) return -1;
        p->pos = run;
        if (p->pos >= p->len) return -1; /* unterminated */
        uint8_t c = p->in[p->pos++];
        if (c == '"') break;
        if (c != '\\') return -1; /* a raw control character */
        if (p->pos >= p->len) return -1;
        uint8_t e = p->in[p->pos++], decoded;
        switch (e) {
        case '"': case '\\': case '/': decoded = e; break;
        case 'b': decoded = 0x08; break;
        case 'f': decoded = 0x0C; break;
        case 'n': decoded = 0x0A; break;
        case 'r': decoded = 0x0D; break;
        case 't': decoded = 0x09; break;
        case 'u': {
            uint32_t cp, low;
            if (hex4(p, &cp) != 0) return -1;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return -1; /* a low surrogate first */
            if (cp >= 0xD800 && cp <= 0xDBFF) {          /* a high surrogate needs a low one next */
                if (p->len - p->pos < 2 || p->in[p->pos] != '\\' || p->in[p->pos + 1] != 'u') return -1;
                p->pos += 2;
                if (hex4(p, &low) != 0 || low < 0xDC00 || low > 0xDFFF) return -1;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            if (arena_put_code_point(p, cp) != 0) return -1;
            continue;
        }
        default: return -1; /* an escape RFC 8259 does not define */
        }
        if (arena_put(p, &decoded, 1) != 0) return -1;
    }
    out->ptr = p->arena + start;
    out->len = p->arena_len - start;
    return 0;
}

static size_t skip_digits(parser *p) {
    size_t start = p->pos;
    while (is_digit_at(p)) p->pos++;
    return p->pos - start;
}

/* A number at the cursor, checked against RFC 8259's grammar; *lexeme is its text as written. */
static int parse_number(parser *p, span *lexeme) {
    size_t start = p->pos;
    if (at(p, '-')) p->pos++;
    if (at(p, '0')) {
        p->pos++;
        if (is_digit_at(p)) return -1; /* a leading zero */
    } else if (skip_digits(p) == 0) {
        return -1;
    }
    if (at(p, '.')) {
        p->pos++;
        if (skip_digits(p) == 0) return -1;
    }
    if (at(p, 'e') || at(p, 'E')) {
        p->pos++;
        if (at(p, '+') || at(p, '-')) p->pos++;
        if (skip_digits(p) == 0) return -1;
    }
    lexeme->ptr = p->in + start;
    lexeme->len = p->pos - start;
    return 0;
}

static int parse_literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->in + p->pos, word, n) != 0) return -1;
    p->pos += n;
    return 0;
}

static int span_cmp(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->len ? memcmp(x->ptr, y->ptr, x->len) : 0;
}

/* 1 when two of the n keys are equal (the slice is sorted in place). */
static int has_duplicates(span *keys, size_t n) {
    if (n < 2) return 0;
    qsort(keys, n, sizeof *keys, span_cmp);
    for (size_t i = 1; i < n; i++)
        if (span_cmp(&keys[i - 1], &keys[i]) == 0) return 1;
    return 0;
}

static int span_is(span s, const char *text) {
    size_t n = strlen(text);
    return s.len == n && memcmp(s.ptr, text, n) == 0;
}

/* An integer lexeme within +-(2^53 - 1) (P3); -1 for a fraction/exponent or a value out of range. */
static int safe_integer(span lexeme, long long *out) {
    size_t i = 0;
    int negative = 0;
    for (size_t k = 0; k < lexeme.len; k++) {
        uint8_t c = lexeme.ptr[k];
        if (c == '.' || c == 'e' || c == 'E') return -1; /* 123.0 and 1e2 are not integers here */
    }
    if (lexeme.len > 0 && lexeme.ptr[0] == '-') negative = 1, i = 1;
    if (lexeme.len - i == 0 || lexeme.len - i > 16) return -1; /* 2^53 - 1 has 16 digits */
    unsigned long long v = 0;
    for (; i < lexeme.len; i++) v = v * 10 + (unsigned long long)(lexeme.ptr[i] - '0');
    if (v > (unsigned long long)MAX_SAFE_INTEGER) return -1;
    *out = negative ? -(long long)v : (long long)v;
    return 0;
}

/* Records one top-level member; -1 when its type breaks P3-P5 or an identifier is too long (P6). */
static int take_field(boot_payload *b, span key, const jvalue *v) {
    if (span_is(key, "app_id")) {
        if (v->type != JT_STRING || v->s.len == 0) return -1; /* P5 */
        b->app_id = v->s, b->has_app_id = 1;
    } else if (span_is(key, "user_id")) {
        if (v->type == JT_NULL) {
            b->user_id_kind = UID_ABSENT;
        } else if (v->type == JT_STRING) {
            if (v->s.len > MAX_IDENTIFIER_BYTES) return -1;
            b->user_id_kind = UID_TEXT, b->user_id_text = v->s;
        } else if (v->type == JT_NUMBER) {
            if (safe_integer(v->s, &b->user_id_int) != 0) return -1;
            b->user_id_kind = UID_INT;
        } else {
            return -1; /* P3 */
        }
    } else if (span_is(key, "email")) {
        if (v->type == JT_NULL) {
            b->has_email = 0;
        } else if (v->type == JT_STRING) {
            if (v->s.len > MAX_IDENTIFIER_BYTES) return -1;
            b->has_email = 1, b->email = v->s;
        } else {
            return -1; /* P3 */
        }
    } else if (span_is(key, "user_hash")) {
        if (v->type != JT_STRING) return -1; /* P4, null included */
        b->has_hash = 1, b->hash = v->s;
    }
    return 0; /* any other key is a custom or documented attribute (P5) */
}

static int parse_value(parser *p, int depth, jvalue *out);

/* An object at the cursor; `top` collects the members of the outermost object. */
static int parse_object(parser *p, int depth, boot_payload *top) {
    if (depth > MAX_DEPTH) return -1;
    size_t base = p->keys_len;
    p->pos++; /* '{' */
    skip_ws(p);
    if (at(p, '}')) {
        p->pos++;
        return 0;
    }
    for (;;) {
        span key;
        jvalue value;
        skip_ws(p);
        if (!at(p, '"') || parse_string(p, &key) != 0) return -1;
        if (p->keys_len >= p->keys_cap) return -1; /* cannot happen: every member takes >= 4 bytes */
        p->keys[p->keys_len++] = key;
        skip_ws(p);
        if (!at(p, ':')) return -1;
        p->pos++;
        skip_ws(p);
        if (parse_value(p, depth, &value) != 0) return -1;
        if (top && take_field(top, key, &value) != 0) return -1;
        skip_ws(p);
        if (at(p, ',')) {
            p->pos++;
            continue;
        }
        if (!at(p, '}')) return -1;
        p->pos++;
        break;
    }
    /* This object's keys are keys[base..]: nested objects pushed theirs above and popped them. */
    if (has_duplicates(p->keys + base, p->keys_len - base)) return -1; /* P2 */
    p->keys_len = base;
    return 0;
}

static int parse_array(parser *p, int depth) {
    if (depth > MAX_DEPTH) return -1;
    p->pos++; /* '[' */
    skip_ws(p);
    if (at(p, ']')) {
        p->pos++;
        return 0;
    }
    for (;;) {
        jvalue item;
        skip_ws(p);
        if (parse_value(p, depth, &item) != 0) return -1;
        skip_ws(p);
        if (at(p, ',')) {
            p->pos++;
            continue;
        }
        if (!at(p, ']')) return -1;
        p->pos++;
        return 0;
    }
}

/* One value at the cursor. Containers nest one level deeper than `depth`; recursion stops at MAX_DEPTH. */
static int parse_value(parser *p, int depth, jvalue *out) {
    if (p->pos >= p->len) return -1;
    out->s.ptr = EMPTY, out->s.len = 0;
    switch (p->in[p->pos]) {
    case '{': out->type = JT_OBJECT; return parse_object(p, depth + 1, NULL);
    case '[': out->type = JT_ARRAY; return parse_array(p, depth + 1);
    case '"': out->type = JT_STRING; return parse_string(p, &out->s);
    case 't': out->type = JT_BOOL; return parse_literal(p, "true");
    case 'f': out->type = JT_BOOL; return parse_literal(p, "false");
    case 'n': out->type = JT_NULL; return parse_literal(p, "null");
    case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        out->type = JT_NUMBER;
        return parse_number(p, &out->s);
    default: return -1; /* NaN, Infinity, comments, single quotes, bare words, ... */
    }
}

/* Parses a raw boot payload (P1-P6). 0 and *out filled on success; -1 for malformed_payload; -2 when memory
 * runs out. On success the spans in *out point into *arena_out, which the caller frees. */
static int parse_payload(const uint8_t *in, size_t len, boot_payload *out, uint8_t **arena_out) {
    static const uint8_t bom[3] = {0xEF, 0xBB, 0xBF};
    *arena_out = NULL;
    if (len > MAX_PAYLOAD_BYTES) return -1;                       /* P6, before anything else */
    if (len >= 3 && memcmp(in, bom, 3) == 0) return -1;           /* P1: no byte order mark */
    if (!utf8_valid(in, len)) return -1;                          /* P1 */
    parser p = {.in = len ? in : EMPTY, .len = len};
    p.arena_cap = len + 1;
    p.keys_cap = len / 4 + 2;
    p.arena = malloc(p.arena_cap);
    p.keys = calloc(p.keys_cap, sizeof *p.keys);
    if (!p.arena || !p.keys) {
        free(p.arena);
        free(p.keys);
        return -2;
    }
    memset(out, 0, sizeof *out);
    skip_ws(&p);
    int rc = at(&p, '{') ? parse_object(&p, 1, out) : -1; /* P1: one object */
    if (rc == 0) {
        skip_ws(&p);
        if (p.pos != p.len) rc = -1; /* trailing characters */
    }
    if (rc == 0 && !out->has_app_id) rc = -1; /* P5: app_id is required */
    free(p.keys);
    if (rc != 0) {
        free(p.arena);
        return rc;
    }
    *arena_out = p.arena;
    return 0;
}

/* ---- identifier selection (S2, S4, P3) ---------------------------------------------------------------- */

typedef struct {
    const char *source; /* "user_id" or "email"; NULL when no identifier is present */
    const uint8_t *bytes;
    size_t len;
    char digits[24]; /* the canonical decimal of an integer user_id */
} identifier;

static void select_identifier(enum uid_kind uid_kind, span uid_text, long long uid_int, int has_email, span email,
                              identifier *id) {
    id->source = NULL, id->bytes = EMPTY, id->len = 0;
    if (uid_kind == UID_INT) {
        int n = snprintf(id->digits, sizeof id->digits, "%lld", uid_int); /* -0 was read as 0 */
        if (n > 0 && (size_t)n < sizeof id->digits) {
            id->source = "user_id", id->bytes = (const uint8_t *)id->digits, id->len = (size_t)n;
        }
    } else if (uid_kind == UID_TEXT && uid_text.len > 0) {
        id->source = "user_id", id->bytes = uid_text.ptr, id->len = uid_text.len;
    } else if (has_email && email.len > 0) {
        id->source = "email", id->bytes = email.ptr, id->len = email.len;
    }
}

/* ---- protocol messages (docs/PROTOCOL.md) ------------------------------------------------------------- */

/* Adds a member; json_object_set_new() takes ownership of v (NULL included) and reports failure. */
static int put(json_t *o, const char *key, json_t *v) {
    return json_object_set_new(o, key, v);
}

static json_t *response(json_int_t seq, const char *type) {
    json_t *o = json_object();
    if (!o) return NULL;
    if (put(o, "seq", json_integer(seq)) != 0 || put(o, "type", json_string(type)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Fixed messages only: nothing from the request is echoed, so no secret can leak through an error. */
static json_t *error_response(json_int_t seq, const char *message) {
    json_t *o = response(seq, "error");
    if (o && put(o, "message", json_string(message)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *hex_string(const uint8_t *bytes, size_t n) {
    if (n > (SIZE_MAX - 1) / 2) return NULL;
    char *buf = malloc(2 * n + 1);
    if (!buf) return NULL;
    hex_encode_lower(bytes, n, buf);
    json_t *s = json_stringn(buf, 2 * n);
    free(buf);
    return s;
}

/* A request field that must be a string of hex digits, decoded; NULL when missing, not hex or out of memory. */
static uint8_t *hex_field(const json_t *req, const char *key, size_t *out_len) {
    const json_t *v = json_object_get(req, key);
    if (!json_is_string(v)) return NULL;
    return hex_decode_alloc(json_string_value(v), json_string_length(v), out_len);
}

static json_t *handle_hello(json_int_t seq) {
    json_t *o = response(seq, "hello");
    if (o && (put(o, "name", json_string(IVC_NAME)) != 0 || put(o, "version", json_string(IVC_VERSION)) != 0 ||
              put(o, "language", json_string("c")) != 0 ||
              put(o, "capabilities", json_pack("[sss]", "hmac", "sign", "verify")) != 0 ||
              put(o, "protocol", json_string(IVC_PROTOCOL)) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *handle_hmac(json_int_t seq, const json_t *req) {
    size_t key_len = 0, msg_len = 0;
    uint8_t mac[MAC_LEN];
    uint8_t *key = hex_field(req, "key_hex", &key_len);
    uint8_t *msg = hex_field(req, "msg_hex", &msg_len);
    json_t *o;
    if (!key || !msg) {
        o = error_response(seq, "key_hex and msg_hex must be strings of hex digits");
    } else if (hmac_sha256(key, key_len, msg, msg_len, mac) != 0) {
        o = error_response(seq, "HMAC-SHA256 failed");
    } else {
        o = response(seq, "hmac");
        if (o && put(o, "tag_hex", hex_string(mac, MAC_LEN)) != 0) json_decref(o), o = NULL;
    }
    free_secret(key, key_len);
    free(msg);
    return o;
}

static json_t *handle_sign(json_int_t seq, const json_t *req) {
    size_t secret_len = 0;
    uint8_t *secret = hex_field(req, "secret_hex", &secret_len);
    if (!secret) return error_response(seq, "secret_hex must be a string of hex digits");
    const json_t *uid = json_object_get(req, "user_id");
    const json_t *email = json_object_get(req, "email");
    enum uid_kind kind = UID_ABSENT;
    span uid_text = {EMPTY, 0}, email_text = {EMPTY, 0};
    long long uid_int = 0;
    identifier id;
    uint8_t mac[MAC_LEN];
    json_t *o = NULL;
    if (json_is_string(uid)) {
        kind = UID_TEXT, uid_text.ptr = (const uint8_t *)json_string_value(uid), uid_text.len = json_string_length(uid);
    } else if (json_is_integer(uid)) {
        uid_int = json_integer_value(uid);
        if (uid_int < -MAX_SAFE_INTEGER || uid_int > MAX_SAFE_INTEGER) {
            o = error_response(seq, "user_id is neither a string nor an integer within +-(2^53-1)");
            goto done;
        }
        kind = UID_INT;
    } else if (uid && !json_is_null(uid)) {
        o = error_response(seq, "user_id is neither a string nor an integer within +-(2^53-1)");
        goto done;
    }
    if (json_is_string(email)) {
        email_text.ptr = (const uint8_t *)json_string_value(email), email_text.len = json_string_length(email);
    } else if (email && !json_is_null(email)) {
        o = error_response(seq, "email must be a string or null");
        goto done;
    }
    select_identifier(kind, uid_text, uid_int, json_is_string(email), email_text, &id);
    o = response(seq, "sign");
    if (!o) goto done;
    if (secret_len == 0) { /* S5, checked before S2 */
        if (put(o, "error", json_string("empty_secret")) != 0) json_decref(o), o = NULL;
    } else if (!id.source) { /* S2: never a hash of the empty string */
        if (put(o, "error", json_string("no_identifier")) != 0) json_decref(o), o = NULL;
    } else if (hmac_sha256(secret, secret_len, id.bytes, id.len, mac) != 0) {
        json_decref(o);
        o = error_response(seq, "HMAC-SHA256 failed");
    } else if (put(o, "user_hash", hex_string(mac, MAC_LEN)) != 0 ||
               put(o, "identifier_source", json_string(id.source)) != 0 ||
               put(o, "identifier_hex", hex_string(id.bytes, id.len)) != 0) {
        json_decref(o), o = NULL;
    }
done:
    free_secret(secret, secret_len);
    return o;
}

/* ---- the workspace configuration (docs/CONFIG.md), as it travels in `verify` -------------------------- */

/* 1 when every key of object o is one of the NULL-terminated list. */
static int only_keys(json_t *o, const char *const *allowed) {
    const char *key;
    json_t *value;
    json_object_foreach(o, key, value) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++) ok |= strcmp(key, *a) == 0;
        if (!ok) return 0;
        (void)value;
    }
    return 1;
}

/* Checks one platform's settings; on success, when secret is non-NULL, hands out the secret's bytes. */
static const char *read_platform(json_t *pl, uint8_t **secret, size_t *secret_len, int *enforced) {
    static const char *const keys[] = {"secret", "secret_hex", "enforced", NULL};
    if (secret) *secret = NULL, *secret_len = 0;
    *enforced = 0;
    if (!pl || json_is_null(pl)) return NULL; /* not listed: no secret, not enforced */
    if (!json_is_object(pl) || !only_keys(pl, keys)) return "bad config: a platform has unknown keys";
    const json_t *text = json_object_get(pl, "secret"), *hex = json_object_get(pl, "secret_hex");
    const json_t *enf = json_object_get(pl, "enforced");
    if (text && json_is_null(text)) text = NULL;
    if (hex && json_is_null(hex)) hex = NULL;
    if (enf && !json_is_boolean(enf)) return "bad config: enforced must be a boolean";
    *enforced = json_is_true(enf);
    if (text && hex) return "bad config: give either secret or secret_hex, not both";
    if ((text && !json_is_string(text)) || (hex && !json_is_string(hex)))
        return "bad config: a secret must be a string";
    size_t n = text ? json_string_length(text) : hex ? json_string_length(hex) / 2 : 0;
    if (hex && (json_string_length(hex) % 2 != 0)) return "bad config: secret_hex is not an even number of hex digits";
    if ((text || hex) && n == 0) return "bad config: a secret is empty (S5)";
    if (*enforced && !text && !hex) return "bad config: enforced = true needs a secret";
    uint8_t *bytes = NULL;
    if (hex) {
        bytes = hex_decode_alloc(json_string_value(hex), json_string_length(hex), &n);
        if (!bytes) return "bad config: secret_hex is not hex";
    } else if (text && secret) {
        bytes = malloc(n + 1);
        if (!bytes) return "out of memory";
        memcpy(bytes, json_string_value(text), n);
    }
    if (secret) {
        *secret = bytes, *secret_len = bytes ? n : 0;
    } else {
        free_secret(bytes, n);
    }
    return NULL;
}

/* Checks the whole configuration as the reference does; NULL when it is valid, else why not. */
static const char *check_config(json_t *config) {
    static const char *const top_keys[] = {"apps", NULL};
    static const char *const app_keys[] = {"label", "api_key", "web", "ios", "android", NULL};
    static const char *const platforms[] = {"web", "ios", "android"};
    json_t *apps = json_object_get(config, "apps");
    if (!json_is_object(config) || !only_keys(config, top_keys) || !json_is_object(apps))
        return "bad config: expected {\"apps\": {...}}";
    if (json_object_size(apps) == 0) return "bad config: no app is configured";
    const char *app_id;
    json_t *app;
    json_object_foreach(apps, app_id, app) {
        if (app_id[0] == '\0') return "bad config: an app id must not be empty";
        if (!json_is_object(app) || !only_keys(app, app_keys)) return "bad config: an app has unknown keys";
        const json_t *label = json_object_get(app, "label"), *api_key = json_object_get(app, "api_key");
        if (label && !json_is_null(label) && !json_is_string(label)) return "bad config: label must be a string";
        if (api_key && !json_is_null(api_key) && (!json_is_string(api_key) || json_string_length(api_key) == 0))
            return "bad config: api_key must be a non-empty string";
        for (size_t i = 0; i < 3; i++) {
            int enforced;
            const char *why = read_platform(json_object_get(app, platforms[i]), NULL, NULL, &enforced);
            if (why) return why;
        }
    }
    return NULL;
}

/* ---- verify (V1-V8) ----------------------------------------------------------------------------------- */

static json_t *verdict_reject(json_int_t seq, const char *reason) {
    json_t *o = response(seq, "verify");
    if (o && (put(o, "result", json_string("reject")) != 0 || put(o, "reason", json_string(reason)) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *verdict_visitor(json_int_t seq) {
    json_t *o = response(seq, "verify");
    if (o && (put(o, "result", json_string("accept")) != 0 || put(o, "as", json_string("visitor")) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *verdict_user(json_int_t seq, int verified, const identifier *id) {
    json_t *o = response(seq, "verify");
    if (o && (put(o, "result", json_string("accept")) != 0 || put(o, "as", json_string("user")) != 0 ||
              put(o, "verified", json_boolean(verified)) != 0 ||
              put(o, "identifier_source", json_string(id->source)) != 0 ||
              put(o, "identifier_hex", hex_string(id->bytes, id->len)) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *handle_verify(json_int_t seq, const json_t *req) {
    const json_t *platform = json_object_get(req, "platform");
    const char *name = json_string_value(platform);
    if (!name || (strcmp(name, "web") != 0 && strcmp(name, "ios") != 0 && strcmp(name, "android") != 0))
        return error_response(seq, "platform must be \"web\", \"ios\" or \"android\"");
    const char *why = check_config(json_object_get(req, "config"));
    if (why) return error_response(seq, why);
    const json_t *payload_hex = json_object_get(req, "payload_hex");
    if (!json_is_string(payload_hex) || !is_hex(json_string_value(payload_hex), json_string_length(payload_hex)))
        return error_response(seq, "payload_hex must be a string of hex digits");
    if (json_string_length(payload_hex) / 2 > MAX_PAYLOAD_BYTES) /* P6: no need to decode what is refused */
        return verdict_reject(seq, "malformed_payload");
    size_t payload_len = 0;
    uint8_t *payload = hex_field(req, "payload_hex", &payload_len);
    if (!payload) return NULL; /* out of memory: ivc_call fails */

    boot_payload b;
    identifier id;
    const json_t *app;
    uint8_t *arena = NULL, *secret = NULL;
    size_t secret_len = 0;
    int enforced;
    json_t *o = NULL;
    int rc = parse_payload(payload, payload_len, &b, &arena);
    if (rc == -2) goto done; /* out of memory: ivc_call fails */
    if (rc != 0) {
        o = verdict_reject(seq, "malformed_payload");
        goto done;
    }
    /* V1: the workspace by app_id (a key with a NUL byte can match no configured id). */
    app = json_object_getn(json_object_get(json_object_get(req, "config"), "apps"), (const char *)b.app_id.ptr,
                           b.app_id.len);
    if (!app) {
        o = verdict_reject(seq, "unknown_app");
        goto done;
    }
    why = read_platform(json_object_get(app, name), &secret, &secret_len, &enforced); /* V2, V8 */
    if (why) {
        o = error_response(seq, why);
        goto done;
    }
    select_identifier(b.user_id_kind, b.user_id_text, b.user_id_int, b.has_email, b.email, &id); /* S2, V7 */
    if (!id.source && !b.has_hash) {
        o = verdict_visitor(seq); /* V3 */
    } else if (!id.source) {
        o = enforced ? verdict_reject(seq, "missing_identifier") : verdict_visitor(seq); /* V4 */
    } else if (!b.has_hash) {
        o = enforced ? verdict_reject(seq, "missing_user_hash") : verdict_user(seq, 0, &id); /* V5 */
    } else {
        /* V6: a platform without a secret can verify nothing. */
        int verified = secret ? verify_tag(secret, secret_len, id.bytes, id.len, b.hash.ptr, b.hash.len) : 0;
        if (verified < 0) {
            o = error_response(seq, "HMAC-SHA256 failed");
        } else if (verified) {
            o = verdict_user(seq, 1, &id);
        } else {
            o = enforced ? verdict_reject(seq, "invalid_user_hash") : verdict_user(seq, 0, &id);
        }
    }
done:
    free_secret(secret, secret_len);
    free(arena);
    free(payload);
    return o;
}

/* ---- the C ABI (include/ivconform.h) ------------------------------------------------------------------ */

uint32_t ivc_abi_version(void) {
    return IVC_ABI_VERSION;
}

static json_t *handle(const uint8_t *req, size_t req_len) {
    json_error_t err;
    json_t *r = json_loadb((const char *)req, req_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (!r) {
        /* Answer with the request's seq when a laxer reading finds one (a duplicate key, say). */
        json_t *lax = json_loadb((const char *)req, req_len, JSON_ALLOW_NUL, &err);
        json_int_t seq = json_integer_value(json_object_get(lax, "seq")); /* 0 unless an integer */
        json_decref(lax);
        return error_response(seq < 0 ? 0 : seq, "cannot read request: not a JSON object (strict JSON, UTF-8)");
    }
    const json_t *seq_v = json_object_get(r, "seq");
    const char *type = json_string_value(json_object_get(r, "type"));
    json_t *o;
    if (!json_is_object(r) || !json_is_integer(seq_v) || json_integer_value(seq_v) < 0) {
        o = error_response(0, "cannot read request: an object with an unsigned integer seq is expected");
    } else {
        json_int_t seq = json_integer_value(seq_v);
        if (!type)
            o = error_response(seq, "cannot read request: type must be a string");
        else if (strcmp(type, "hello") == 0)
            o = handle_hello(seq);
        else if (strcmp(type, "hmac") == 0)
            o = handle_hmac(seq, r);
        else if (strcmp(type, "sign") == 0)
            o = handle_sign(seq, r);
        else if (strcmp(type, "verify") == 0)
            o = handle_verify(seq, r);
        else if (strcmp(type, "bye") == 0)
            o = response(seq, "bye");
        else
            o = error_response(seq, "unsupported message type");
    }
    json_decref(r);
    return o;
}

int32_t ivc_call(const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len) {
    if (!resp || !resp_len || (!req && req_len != 0)) return -1;
    json_t *answer = handle(req ? req : EMPTY, req_len);
    if (!answer) return -1;
    /* Serialise into a buffer of our own allocator: the size first, then the bytes. */
    size_t n = json_dumpb(answer, NULL, 0, JSON_COMPACT);
    uint8_t *buf = n ? malloc(n) : NULL;
    size_t written = buf ? json_dumpb(answer, (char *)buf, n, JSON_COMPACT) : 0;
    json_decref(answer);
    if (!buf || written != n) {
        free(buf);
        return -1;
    }
    *resp = buf;
    *resp_len = n;
    return 0;
}

void ivc_free(uint8_t *resp, size_t resp_len) {
    (void)resp_len;
    free(resp); /* free(NULL) is a no-op */
}

int32_t ivc_sign_raw(const uint8_t *secret, size_t secret_len, const uint8_t *msg, size_t msg_len,
                     uint8_t out_hex[64]) {
    uint8_t mac[MAC_LEN];
    if (!out_hex || !secret || (!msg && msg_len != 0) || secret_len == 0) return -1; /* S5 */
    if (hmac_sha256(secret, secret_len, msg, msg_len, mac) != 0) return -1;
    hex_encode_lower(mac, MAC_LEN, (char *)out_hex);
    return 0;
}

int32_t ivc_verify_raw(const uint8_t *secret, size_t secret_len, const uint8_t *msg, size_t msg_len,
                       const uint8_t *user_hash, size_t user_hash_len) {
    if (!secret || secret_len == 0 || (!msg && msg_len != 0) || (!user_hash && user_hash_len != 0)) return -1;
    return verify_tag(secret, secret_len, msg, msg_len, user_hash ? user_hash : EMPTY, user_hash_len);
}
