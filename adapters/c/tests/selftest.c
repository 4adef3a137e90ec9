/*
 * selftest.c: checks a build of libivconform_c.so through dlopen(), as the harness's ffi-host loads it.
 *
 *   selftest LIB                         edge cases the golden vectors leave open (see README.md)
 *   selftest LIB --fuzz N [--seed S]     plus N random payloads (mutated and generated): every call must
 *                                        answer a verify message; run it on the sanitizer build
 *   selftest LIB --fuzz N --reference REF
 *                                        plus: every decision must equal that of REF, another library of
 *                                        the same ABI (the reference: target/release/libivconform_ffi.so)
 *
 * Exit status 0 when everything held, 1 otherwise. Responses are read with Jansson.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivconform.h"

typedef uint32_t (*abi_fn)(void);
typedef int32_t (*call_fn)(const uint8_t *, size_t, uint8_t **, size_t *);
typedef void (*free_fn)(uint8_t *, size_t);
typedef int32_t (*sign_raw_fn)(const uint8_t *, size_t, const uint8_t *, size_t, uint8_t *);
typedef int32_t (*verify_raw_fn)(const uint8_t *, size_t, const uint8_t *, size_t, const uint8_t *, size_t);

typedef struct {
    const char *path;
    abi_fn abi;
    call_fn call;
    free_fn release;
    sign_raw_fn sign_raw;
    verify_raw_fn verify_raw;
} lib;

static int failures;

#define CHECK(cond, ...)                                                                                    \
    do {                                                                                                    \
        if (!(cond)) {                                                                                      \
            failures++;                                                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            fprintf(stderr, __VA_ARGS__);                                                                   \
            fputc('\n', stderr);                                                                            \
        }                                                                                                   \
    } while (0)

static int load(lib *l, const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
        return -1;
    }
    l->path = path;
    /* POSIX guarantees that object and function pointers convert through dlsym's void *. */
    *(void **)&l->abi = dlsym(h, "ivc_abi_version");
    *(void **)&l->call = dlsym(h, "ivc_call");
    *(void **)&l->release = dlsym(h, "ivc_free");
    *(void **)&l->sign_raw = dlsym(h, "ivc_sign_raw");
    *(void **)&l->verify_raw = dlsym(h, "ivc_verify_raw");
    if (!l->abi || !l->call || !l->release) {
        fprintf(stderr, "%s lacks a required symbol\n", path);
        return -1;
    }
    return 0;
}

/* ---- a growable byte buffer ------------------------------------------------------------------------- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} buf;

static void put_bytes(buf *b, const void *s, size_t n) {
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        b->p = q, b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void put_str(buf *b, const char *s) {
    put_bytes(b, s, strlen(s));
}

static void put_repeat(buf *b, const char *s, size_t times) {
    for (size_t i = 0; i < times; i++) put_str(b, s);
}

static void put_hex(buf *b, const uint8_t *s, size_t n) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char two[2] = {d[s[i] >> 4], d[s[i] & 15]};
        put_bytes(b, two, 2);
    }
}

/* ---- calling the library ---------------------------------------------------------------------------- */

/* Sends one request; returns the parsed response (NULL when ivc_call failed or the answer is not JSON). */
static json_t *call(const lib *l, const uint8_t *req, size_t len) {
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    int32_t rc = l->call(req, len, &resp, &resp_len);
    if (rc != 0) return NULL;
    json_error_t err;
    json_t *v = json_loadb((const char *)resp, resp_len, JSON_REJECT_DUPLICATES, &err);
    l->release(resp, resp_len);
    return v;
}

static json_t *call_text(const lib *l, const char *req) {
    return call(l, (const uint8_t *)req, strlen(req));
}

static const char *CONFIG =
    "{\"apps\":{\"ws\":{\"label\":\"production\","
    "\"web\":{\"secret_hex\":\"6b6579\",\"enforced\":true},"          /* "key" */
    "\"ios\":{\"secret_hex\":\"696f73\",\"enforced\":false},"         /* "ios" */
    "\"android\":{\"enforced\":false}},"
    "\"ws_test\":{\"web\":{\"secret\":\"test\",\"enforced\":false}}}}";

static json_t *verify(const lib *l, const char *platform, const uint8_t *payload, size_t n) {
    buf b = {0};
    put_str(&b, "{\"seq\":5,\"type\":\"verify\",\"platform\":\"");
    put_str(&b, platform);
    put_str(&b, "\",\"config\":");
    put_str(&b, CONFIG);
    put_str(&b, ",\"payload_hex\":\"");
    put_hex(&b, payload, n);
    put_str(&b, "\"}");
    json_t *r = call(l, b.p, b.len);
    free(b.p);
    return r;
}

/* "reject:<reason>", "visitor", "user:<verified>:<source>:<hex>", or "error"/"none", into out. */
static void describe(const json_t *r, char *out, size_t cap) {
    const char *type = json_string_value(json_object_get(r, "type"));
    const char *result = json_string_value(json_object_get(r, "result"));
    if (!r) {
        snprintf(out, cap, "none");
    } else if (!type || strcmp(type, "verify") != 0 || !result) {
        snprintf(out, cap, "error");
    } else if (strcmp(result, "reject") == 0) {
        snprintf(out, cap, "reject:%s", json_string_value(json_object_get(r, "reason")));
    } else if (json_object_get(r, "verified")) {
        const char *hex = json_string_value(json_object_get(r, "identifier_hex"));
        snprintf(out, cap, "user:%s:%s:%.40s%s",
                 json_is_true(json_object_get(r, "verified")) ? "verified" : "unverified",
                 json_string_value(json_object_get(r, "identifier_source")), hex ? hex : "?",
                 hex && strlen(hex) > 40 ? "..." : "");
    } else {
        snprintf(out, cap, "%s", json_string_value(json_object_get(r, "as")));
    }
}

static void expect_verify(const lib *l, const char *platform, const uint8_t *payload, size_t n, const char *want,
                          const char *what) {
    char got[160];
    json_t *r = verify(l, platform, payload, n);
    describe(r, got, sizeof got);
    json_decref(r);
    CHECK(strncmp(got, want, strlen(want)) == 0, "%s: expected %s, got %s", what, want, got);
}

static void expect_text(const lib *l, const char *payload, const char *want) {
    expect_verify(l, "web", (const uint8_t *)payload, strlen(payload), want, payload);
}

/* ---- edge cases ------------------------------------------------------------------------------------- */

static void hash_of(const lib *l, const char *secret, const char *msg, size_t msg_len, char out[65]) {
    uint8_t hex[64];
    int32_t rc = l->sign_raw((const uint8_t *)secret, strlen(secret), (const uint8_t *)msg, msg_len, hex);
    CHECK(rc == 0, "ivc_sign_raw failed");
    memcpy(out, hex, 64);
    out[64] = '\0';
}

static void test_raw(const lib *l) {
    CHECK(l->abi() == IVC_ABI_VERSION, "ABI version");
    CHECK(l->sign_raw && l->verify_raw, "the optional raw entry points are exported");
    if (!l->sign_raw || !l->verify_raw) return;
    uint8_t out[64];
    /* RFC 4231 test case 2 */
    CHECK(l->sign_raw((const uint8_t *)"Jefe", 4, (const uint8_t *)"what do ya want for nothing?", 28, out) == 0,
          "sign_raw");
    CHECK(memcmp(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 64) == 0, "RFC 4231 #2");
    const uint8_t *k = (const uint8_t *)"Jefe", *m = (const uint8_t *)"what do ya want for nothing?";
    CHECK(l->verify_raw(k, 4, m, 28, out, 64) == 1, "verify_raw match");
    uint8_t upper[64];
    for (int i = 0; i < 64; i++) upper[i] = (uint8_t)(out[i] >= 'a' && out[i] <= 'f' ? out[i] - 32 : out[i]);
    CHECK(l->verify_raw(k, 4, m, 28, upper, 64) == 1, "verify_raw accepts uppercase (V6)");
    CHECK(l->verify_raw(k, 4, m, 28, out, 63) == 0, "63 characters are invalid");
    uint8_t bad[64];
    memcpy(bad, out, 64);
    bad[63] = 'g';
    CHECK(l->verify_raw(k, 4, m, 28, bad, 64) == 0, "a non-hex character is invalid");
    bad[63] = out[63] == '0' ? '1' : '0';
    CHECK(l->verify_raw(k, 4, m, 28, bad, 64) == 0, "a wrong last digit does not match");
    CHECK(l->verify_raw(k, 4, m, 28, NULL, 0) == 0, "an empty hash does not match");
    CHECK(l->verify_raw(k, 0, m, 28, out, 64) == -1, "empty secret (S5)");
    CHECK(l->verify_raw(NULL, 4, m, 28, out, 64) == -1, "NULL secret");
    CHECK(l->verify_raw(k, 4, NULL, 28, out, 64) == -1, "NULL message");
    CHECK(l->sign_raw(k, 0, m, 28, out) == -1, "sign_raw refuses an empty secret");
    CHECK(l->sign_raw(k, 4, m, 28, NULL) == -1, "sign_raw refuses a NULL output");
    CHECK(l->sign_raw(k, 4, NULL, 0, out) == 0, "an empty message is fine");
    /* A key longer than a SHA-256 block is hashed first (RFC 4231 test case 6). */
    uint8_t long_key[131];
    memset(long_key, 0xaa, sizeof long_key);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    CHECK(l->sign_raw(long_key, sizeof long_key, (const uint8_t *)m6, strlen(m6), out) == 0 &&
              memcmp(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 64) == 0,
          "RFC 4231 #6");
}

static void test_protocol(const lib *l) {
    uint8_t *resp = (uint8_t *)"untouched";
    size_t resp_len = 9;
    CHECK(l->call((const uint8_t *)"{}", 2, NULL, &resp_len) != 0, "NULL resp is refused");
    CHECK(l->call((const uint8_t *)"{}", 2, &resp, NULL) != 0, "NULL resp_len is refused");
    CHECK(l->call(NULL, 5, &resp, &resp_len) != 0 && resp_len == 9, "NULL request with a length is refused");
    l->release(NULL, 0);

    struct {
        const char *req, *type;
        long long seq;
    } cases[] = {
        {"", "error", 0},
        {"not json", "error", 0},
        {"[1,2]", "error", 0},
        {"{\"seq\":7,\"type\":\"nope\"}", "error", 7},
        {"{\"seq\":-1,\"type\":\"hello\"}", "error", 0},
        {"{\"seq\":1.5,\"type\":\"hello\"}", "error", 0},
        {"{\"seq\":99999999999999999999,\"type\":\"hello\"}", "error", 0},
        {"{\"seq\":3,\"type\":\"hello\",\"type\":\"bye\"}", "error", 3},
        {"{\"seq\":3}", "error", 3},
        {"{\"seq\":4,\"type\":\"hmac\"}", "error", 4},
        {"{\"seq\":4,\"type\":\"hmac\",\"key_hex\":\"0\",\"msg_hex\":\"\"}", "error", 4},
        {"{\"seq\":4,\"type\":\"hmac\",\"key_hex\":\"zz\",\"msg_hex\":\"\"}", "error", 4},
        {"{\"seq\":4,\"type\":\"hmac\",\"key_hex\":\"\",\"msg_hex\":\"\"}", "hmac", 4},
        {"{\"seq\":5,\"type\":\"sign\",\"secret_hex\":\"6b\",\"user_id\":1.5}", "error", 5},
        {"{\"seq\":5,\"type\":\"sign\",\"secret_hex\":\"6b\",\"user_id\":9007199254740992}", "error", 5},
        {"{\"seq\":5,\"type\":\"sign\",\"secret_hex\":\"6b\",\"user_id\":true}", "error", 5},
        {"{\"seq\":5,\"type\":\"sign\",\"secret_hex\":\"6b\",\"email\":7}", "error", 5},
        {"{\"seq\":5,\"type\":\"sign\",\"user_id\":\"u\"}", "error", 5},
        {"{\"seq\":6,\"type\":\"verify\",\"platform\":\"web\",\"payload_hex\":\"7b7d\"}", "error", 6},
        {"{\"seq\":6,\"type\":\"verify\",\"platform\":\"mac\",\"payload_hex\":\"7b7d\","
         "\"config\":{\"apps\":{\"a\":{}}}}",
         "error", 6},
        {"{\"seq\":6,\"type\":\"verify\",\"platform\":\"web\",\"payload_hex\":\"7b7d\","
         "\"config\":{\"apps\":{}}}",
         "error", 6},
        {"{\"seq\":6,\"type\":\"verify\",\"platform\":\"web\",\"payload_hex\":\"7b7d\","
         "\"config\":{\"apps\":{\"a\":{\"web\":{\"enforced\":true}}}}}",
         "error", 6},
        {"{\"seq\":6,\"type\":\"verify\",\"platform\":\"web\",\"payload_hex\":\"7b7d\","
         "\"config\":{\"apps\":{\"a\":{\"web\":{\"secret_hex\":\"\"}}}}}",
         "error", 6},
        {"{\"seq\":6,\"type\":\"verify\",\"platform\":\"web\",\"payload_hex\":\"7b7d\","
         "\"config\":{\"apps\":{\"a\":{\"mac\":{}}}}}",
         "error", 6},
        {"{\"seq\":6,\"type\":\"verify\",\"platform\":\"web\",\"payload_hex\":\"7b7\","
         "\"config\":{\"apps\":{\"a\":{}}}}",
         "error", 6},
        {"{\"seq\":6,\"type\":\"verify\",\"platform\":\"web\",\"payload_hex\":\"7b7d\","
         "\"config\":{\"apps\":{\"a\":{}}}}",
         "verify", 6},
        {"{\"seq\":8,\"type\":\"bye\"}", "bye", 8},
        {"{\"seq\":9,\"type\":\"hello\",\"protocol\":\"ivconform/1\",\"suite_version\":\"1.0.0\","
         "\"future\":[1]}",
         "hello", 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *r = call_text(l, cases[i].req);
        const char *type = json_string_value(json_object_get(r, "type"));
        json_int_t seq = json_integer_value(json_object_get(r, "seq"));
        CHECK(r && type && strcmp(type, cases[i].type) == 0 && seq == cases[i].seq, "%s: expected %s/%lld, got %s/%lld",
              cases[i].req, cases[i].type, cases[i].seq, type ? type : "(none)", (long long)seq);
        if (r && strcmp(cases[i].type, "error") == 0)
            CHECK(json_is_string(json_object_get(r, "message")), "%s: an error carries a message", cases[i].req);
        json_decref(r);
    }

    /* hello claims the three roles. */
    json_t *r = call_text(l, "{\"seq\":1,\"type\":\"hello\",\"protocol\":\"ivconform/1\",\"suite_version\":\"1.0.0\"}");
    CHECK(json_array_size(json_object_get(r, "capabilities")) == 3, "hello claims hmac, sign, verify");
    json_decref(r);

    /* sign: S2 precedence, S4 integers, NUL bytes kept, S5 before S2. */
    struct {
        const char *fields, *expect; /* expect: "source:hex" or an error class */
    } signs[] = {
        {"\"user_id\":0,\"email\":\"a@b\"", "user_id:30"},
        {"\"user_id\":-0", "user_id:30"},
        {"\"user_id\":-9007199254740991", "user_id:2d39303037313939323534373430393931"},
        {"\"user_id\":\"\",\"email\":\"a@b\"", "email:614062"},
        {"\"user_id\":null,\"email\":\"a@b\"", "email:614062"},
        {"\"user_id\":\"u\\u0000x\"", "user_id:750078"},
        {"\"user_id\":\"\",\"email\":\"\"", "no_identifier"},
        {"\"email\":null", "no_identifier"},
    };
    for (size_t i = 0; i < sizeof signs / sizeof signs[0]; i++) {
        char req[256], got[160];
        snprintf(req, sizeof req, "{\"seq\":2,\"type\":\"sign\",\"secret_hex\":\"6b6579\",%s}", signs[i].fields);
        r = call_text(l, req);
        const char *err = json_string_value(json_object_get(r, "error"));
        if (err)
            snprintf(got, sizeof got, "%s", err);
        else
            snprintf(got, sizeof got, "%s:%s", json_string_value(json_object_get(r, "identifier_source")),
                     json_string_value(json_object_get(r, "identifier_hex")));
        CHECK(strcmp(got, signs[i].expect) == 0, "sign %s: expected %s, got %s", signs[i].fields, signs[i].expect, got);
        json_decref(r);
    }
    r = call_text(l, "{\"seq\":2,\"type\":\"sign\",\"secret_hex\":\"\"}");
    CHECK(r && json_string_value(json_object_get(r, "error")) &&
              strcmp(json_string_value(json_object_get(r, "error")), "empty_secret") == 0,
          "empty secret is refused before the missing identifier");
    json_decref(r);
}

static void test_payloads(const lib *l) {
    char h[65], hios[65], h0[65], hmb[65], hnul[65], p[8192];
    hash_of(l, "key", "u1", 2, h);
    hash_of(l, "ios", "u1", 2, hios);
    hash_of(l, "key", "0", 1, h0);
    hash_of(l, "key", "u\0x", 3, hnul);

    /* V1-V8 */
    snprintf(p, sizeof p, "{\"app_id\":\"ws\",\"user_id\":\"u1\",\"user_hash\":\"%s\"}", h);
    expect_text(l, p, "user:verified:user_id:7531");
    for (char *c = strstr(p, "\"user_hash\":\"") + 13; *c; c++)
        if (*c >= 'a' && *c <= 'f') *c = (char)(*c - 32);
    expect_text(l, p, "user:verified:user_id:7531"); /* uppercase hash (V6) */
    snprintf(p, sizeof p, "{\"app_id\":\"ws\",\"user_id\":\"u1\",\"user_hash\":\"%s\"}", hios);
    expect_text(l, p, "reject:invalid_user_hash");
    expect_verify(l, "ios", (const uint8_t *)p, strlen(p), "user:verified", "the iOS secret on iOS");
    snprintf(p, sizeof p, "{\"app_id\":\"ws\",\"user_id\":\"u1\",\"user_hash\":\"%s\"}", h);
    expect_verify(l, "ios", (const uint8_t *)p, strlen(p), "user:unverified", "web hash on unenforced iOS");
    expect_verify(l, "android", (const uint8_t *)p, strlen(p), "user:unverified", "no secret on android");
    snprintf(p, sizeof p, "{\"app_id\":\"ws\",\"user_id\":\"u1\",\"user_hash\":\"%.63s\"}", h);
    expect_text(l, p, "reject:invalid_user_hash");
    snprintf(p, sizeof p, "{\"app_id\":\"ws\",\"user_id\":0,\"email\":\"x@y\",\"user_hash\":\"%s\"}", h0);
    expect_text(l, p, "user:verified:user_id:30");
    snprintf(p, sizeof p, "{\"app_id\":\"ws\",\"user_id\":-0,\"user_hash\":\"%s\"}", h0);
    expect_text(l, p, "user:verified:user_id:30");
    snprintf(p, sizeof p, "{\"app_id\":\"ws\",\"user_id\":\"u\\u0000x\",\"user_hash\":\"%s\"}", hnul);
    expect_text(l, p, "user:verified:user_id:750078");
    snprintf(p, sizeof p, "{\"app_id\":\"ws\",\"user_hash\":\"%s\"}", h);
    expect_text(l, p, "reject:missing_identifier");
    expect_verify(l, "ios", (const uint8_t *)p, strlen(p), "visitor", "hash without identifier, unenforced");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":\"u1\"}", "reject:missing_user_hash");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":\"\",\"email\":null}", "visitor");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":\"u1\",\"user_hash\":\"\"}", "reject:invalid_user_hash");
    expect_text(l, "{\"app_id\":\"ws\",\"user_hash\":\"\"}", "reject:missing_identifier");
    expect_text(l, "{\"app_id\":\"nope\"}", "reject:unknown_app");
    expect_text(l, "{\"app_id\":\"ws\\u0000\"}", "reject:unknown_app");
    expect_text(l, "{\"app_id\":\"ws_test\"}", "visitor");

    /* Where Jansson would refuse valid RFC 8259 text: this parser must accept it (P5). */
    expect_text(l, "{\"app_id\":\"ws\",\"n\":123456789012345678901234567890}", "visitor");
    expect_text(l, "{\"app_id\":\"ws\",\"n\":[-99999999999999999999,1e400,-1E+400,1e-400]}", "visitor");
    expect_text(l, "{\"app_id\":\"ws\",\"a\\u0000\":1,\"a\":2}", "visitor");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\\u0000\":\"x\"}", "visitor");
    expect_text(l, "{\"app_id\":\"ws\",\"o\":{\"k\\u0000\":1,\"k\\u0000\":2}}", "reject:malformed_payload");
    /* ...and what P3 refuses even though it is valid JSON. */
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":12345678901234567890}", "reject:malformed_payload");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":9007199254740992}", "reject:malformed_payload");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":-9007199254740992}", "reject:malformed_payload");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":9007199254740991}", "reject:missing_user_hash");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":1e400}", "reject:malformed_payload");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":1E2}", "reject:malformed_payload");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":1.0}", "reject:malformed_payload");
    expect_text(l, "{\"app_id\":\"ws\",\"user_id\":0.5e1}", "reject:malformed_payload");

    /* P1 and P2 */
    const char *malformed[] = {
        "", " ", "{", "}", "[]", "null", "\"ws\"", "{}", "{\"app_id\":\"\"}", "{\"app_id\":5}",
        "{\"app_id\":\"ws\"}{}", "{\"app_id\":\"ws\"} x", "{\"app_id\":\"ws\",}", "{\"app_id\":\"ws\",\"a\":[1,]}",
        "{\"app_id\":\"ws\" /* c */}", "{\"app_id\":'ws'}", "{app_id:\"ws\"}", "{\"app_id\":\"ws\",\"n\":NaN}",
        "{\"app_id\":\"ws\",\"n\":-Infinity}", "{\"app_id\":\"ws\",\"n\":01}", "{\"app_id\":\"ws\",\"n\":-}",
        "{\"app_id\":\"ws\",\"n\":1.}", "{\"app_id\":\"ws\",\"n\":.5}", "{\"app_id\":\"ws\",\"n\":+1}",
        "{\"app_id\":\"ws\",\"n\":1e}", "{\"app_id\":\"ws\",\"n\":0x1}", "{\"app_id\":\"ws\",\"n\":True}",
        "{\"app_id\":\"ws\",\"n\":nul}", "{\"app_id\":\"ws\",\"s\":\"\\x41\"}", "{\"app_id\":\"ws\",\"s\":\"\\u12\"}",
        "{\"app_id\":\"ws\",\"s\":\"\\ud83d\"}", "{\"app_id\":\"ws\",\"s\":\"\\ude00\\ud83d\"}",
        "{\"app_id\":\"ws\",\"s\":\"\\ud83d\\ud83d\"}", "{\"app_id\":\"ws\",\"\\udfff\":1}",
        "{\"app_id\":\"ws\",\"s\":\"a\tb\"}", "{\"app_id\":\"ws\",\"s\":\"a\nb\"}", "{\"app_id\":\"ws\",\"s\":\"abc}",
        "{\f\"app_id\":\"ws\"}", "{\"app_id\":\"ws\",\"app_id\":\"ws\"}",
        "{\"app_id\":\"ws\",\"user\\u005fid\":1,\"user_id\":2}",
        "{\"app_id\":\"ws\",\"\xf0\x9f\x98\x80\":1,\"\\ud83d\\ude00\":2}",
        "{\"app_id\":\"ws\",\"c\":[{\"a\":1,\"a\":1}]}",
        "{\"app_id\":\"ws\",\"user_id\":true}", "{\"app_id\":\"ws\",\"user_id\":[]}", "{\"app_id\":\"ws\",\"email\":5}",
        "{\"app_id\":\"ws\",\"user_hash\":null}", "{\"app_id\":\"ws\",\"user_hash\":1}", "{\"app_id\":null}",
        "\xef\xbb\xbf{\"app_id\":\"ws\"}", "{\"app_id\":\"ws\",\"s\":\"\xc0\xaf\"}",
        "{\"app_id\":\"ws\",\"s\":\"\xed\xa0\x80\"}",
        "{\"app_id\":\"ws\",\"s\":\"\xf4\x90\x80\x80\"}", "{\"app_id\":\"ws\",\"s\":\"\xe2\x82\"}",
        "{\"app_id\":\"ws\",\"s\":\"\xff\"}", "{\"app_id\":\"ws\"\xc2\xa0}",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        expect_text(l, malformed[i], "reject:malformed_payload");
    expect_verify(l, "web", (const uint8_t *)"{\"app_id\":\"ws\"}\0", 16, "reject:malformed_payload",
                  "trailing NUL byte");
    expect_verify(l, "web", (const uint8_t *)"{\"app_id\":\"w\0s\"}", 16, "reject:malformed_payload", "raw NUL byte");
    expect_text(l, "{\"app_id\":\"ws\",\"s\":\"\xef\xbb\xbf\x7f\\/\"}", "visitor"); /* BOM inside, DEL, \/ */
    expect_text(l, " \t\r\n{ \"app_id\" : \"ws\" , \"c\" : [ { \"a\" : 1 } , { \"a\" : 1 } ] } \n", "visitor");

    /* P6: depth 32 (the outer object is depth 1), 64 KiB, 1,024-byte identifiers counted in bytes. */
    for (int k = 30; k <= 34; k++) {
        buf b = {0};
        put_str(&b, "{\"app_id\":\"ws\",\"d\":");
        for (int i = 0; i < k; i++) put_str(&b, i % 2 ? "{\"x\":" : "[");
        put_str(&b, "0");
        for (int i = k - 1; i >= 0; i--) put_str(&b, i % 2 ? "}" : "]");
        put_str(&b, "}");
        char what[64];
        snprintf(what, sizeof what, "depth %d", k + 1);
        expect_verify(l, "web", b.p, b.len, k + 1 <= 32 ? "visitor" : "reject:malformed_payload", what);
        free(b.p);
    }
    for (size_t total = 65535; total <= 65537; total++) {
        buf b = {0};
        put_str(&b, "{\"app_id\":\"ws\",\"pad\":\"");
        size_t fill = total - b.len - 2;
        for (size_t i = 0; i < fill; i++) put_str(&b, "x");
        put_str(&b, "\"}");
        char what[64];
        snprintf(what, sizeof what, "%zu bytes", b.len);
        expect_verify(l, "web", b.p, b.len, b.len <= 65536 ? "visitor" : "reject:malformed_payload", what);
        free(b.p);
    }
    {
        buf b = {0};
        put_str(&b, "{\"app_id\":\"ws\",\"user_id\":\"");
        put_repeat(&b, "\xc3\xa9", 512); /* 1,024 bytes, 512 characters */
        put_str(&b, "\"}");
        expect_verify(l, "web", b.p, b.len, "reject:missing_user_hash", "1,024-byte user_id");
        b.len -= 2;
        put_str(&b, "a\"}");
        expect_verify(l, "web", b.p, b.len, "reject:malformed_payload", "1,025-byte user_id");
        free(b.p);
        memset(&b, 0, sizeof b);
        put_str(&b, "{\"app_id\":\"ws\",\"email\":\"");
        put_repeat(&b, "\\u00e9", 512); /* escaped: 3,072 bytes of text, 1,024 bytes decoded */
        put_str(&b, "\"}");
        expect_verify(l, "web", b.p, b.len, "reject:missing_user_hash", "1,024 escaped bytes");
        free(b.p);
        memset(&b, 0, sizeof b);
        put_str(&b, "{\"app_id\":\"ws\",\"user_id\":\"");
        put_repeat(&b, "\xc3\xa9", 512);
        put_str(&b, "\",\"user_hash\":\"");
        put_bytes(&b, h, 64);
        put_str(&b, "\"}");
        hash_of(l, "key", (const char *)b.p + 26, 1024, hmb);
        memcpy(b.p + b.len - 66, hmb, 64);
        expect_verify(l, "web", b.p, b.len, "user:verified:user_id:c3a9", "verified 1,024-byte user_id");
        free(b.p);
    }

    /* Hostile shapes: each must be answered quickly and without crashing. */
    {
        buf b = {0};
        put_repeat(&b, "[", 65536);
        expect_verify(l, "web", b.p, b.len, "reject:malformed_payload", "64 KiB of [");
        b.len = 0;
        put_str(&b, "{\"app_id\":\"ws\"");
        for (int i = 0; b.len < 65000; i++) {
            char m[32];
            snprintf(m, sizeof m, ",\"k%d\":%d", i, i);
            put_str(&b, m);
        }
        put_str(&b, "}");
        expect_verify(l, "web", b.p, b.len, "visitor", "thousands of keys");
        b.len -= 1;
        put_str(&b, ",\"k7\":0}");
        expect_verify(l, "web", b.p, b.len, "reject:malformed_payload", "thousands of keys, one repeated");
        b.len = 0;
        put_str(&b, "{\"app_id\":\"ws\",\"a\":[");
        while (b.len < 65000) put_str(&b, "{},");
        put_str(&b, "{}]}");
        expect_verify(l, "web", b.p, b.len, "visitor", "thousands of empty objects");
        b.len = 0;
        put_repeat(&b, "x", 1 << 20);
        expect_verify(l, "web", b.p, b.len, "reject:malformed_payload", "1 MiB");
        free(b.p);
    }
}

/* ---- fuzzing ---------------------------------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static size_t below(size_t n) {
    return n ? (size_t)(rnd() % n) : 0;
}

#define PICK(arr) (arr)[below(sizeof(arr) / sizeof((arr)[0]))]

/* Pieces of JSON: mostly valid ones, and now and then (1 in 40) one that RFC 8259 or P1 refuses. */
static const char *const STRINGS[] = {
    "\"\"", "\"u1\"", "\"a@b\"", "\"ws\"", "\"u\\u0000x\"", "\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"", "\"\\u00e9\"",
    "\"\xc3\xa9\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\xef\xbb\xbf\"", "\"\x7f\"", "\"\\u0061pp_id\"",
    "\"user_\\u0069d\"",
};
static const char *const BAD_STRINGS[] = {
    "\"\\ud83d\"", "\"\\ude00\"", "\"a\tb\"", "\"\xed\xa0\x80\"", "\"\\x\"", "\"\xc0\xaf\"", "'a'",
};
static const char *const NUMBERS[] = {
    "0", "-0", "1", "-3", "5678", "1.5", "123.0", "1e2", "1E+2", "-1e-2", "1e400", "-1e400", "1e-400",
    "9007199254740991", "-9007199254740991", "9007199254740992", "-9007199254740992", "12345678901234567890",
    "123456789012345678901234567890",
};
static const char *const BAD_NUMBERS[] = {"01", "-", "1.", ".5", "+1", "0x1", "NaN", "Infinity", "1e"};
static const char *const KEYS[] = {
    "\"a\"", "\"b\"", "\"\\u0061\"", "\"a\\u0000\"", "\"name\"", "\"companies\"", "\"userHash\"", "\"user_id\"",
    "\"email\"", "\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"", "\"\"",
};
static const char *const WS[] = {" ", "\n", "\t", "\r\n "};
static const char *const BAD_WS[] = {"\f", "\xc2\xa0", "\v", "/**/"};

static int now_and_then(void) {
    return below(40) == 0;
}

static void gen_ws(buf *b) {
    if (below(6)) return;
    put_str(b, below(200) ? PICK(WS) : PICK(BAD_WS));
}

static void gen_value(buf *b, int depth);

static void gen_object(buf *b, int depth) {
    put_str(b, "{");
    size_t n = below(4);
    for (size_t i = 0; i < n; i++) {
        if (i) put_str(b, ",");
        gen_ws(b);
        put_str(b, PICK(KEYS));
        gen_ws(b);
        put_str(b, ":");
        gen_value(b, depth + 1);
    }
    if (n && now_and_then()) put_str(b, ",");
    put_str(b, "}");
}

static void gen_value(buf *b, int depth) {
    gen_ws(b);
    size_t choice = depth > 6 ? below(4) : below(7);
    switch (choice) {
    case 0: put_str(b, now_and_then() ? PICK(BAD_STRINGS) : PICK(STRINGS)); break;
    case 1: put_str(b, now_and_then() ? PICK(BAD_NUMBERS) : PICK(NUMBERS)); break;
    case 2: put_str(b, below(3) == 0 ? "null" : below(2) ? "true" : "false"); break;
    case 3: put_str(b, below(2) ? "[]" : "{}"); break;
    case 4: gen_object(b, depth); break;
    default: {
        put_str(b, "[");
        size_t n = below(4);
        for (size_t i = 0; i < n; i++) {
            if (i) put_str(b, ",");
            gen_value(b, depth + 1);
        }
        put_str(b, "]");
    }
    }
    gen_ws(b);
}

/* A payload built member by member from pools of valid, borderline and invalid pieces. */
static void gen_payload(buf *b, const char *const *hashes, size_t n_hashes) {
    static const char *const APP[] = {"\"ws\"", "\"ws\"", "\"ws\"", "\"ws_test\"", "\"nope\"", "\"\"", "null", "5",
                                      "\"ws\\u0000\""};
    static const char *const UID[] = {"\"u1\"", "\"u1\"", "0", "-0", "5678", "\"\"", "null", "1.0", "1e2", "true",
                                      "[]", "9007199254740991", "9007199254740992", "\"u\\u0000x\"", "\"U1\"",
                                      "\" u1\""};
    static const char *const EMAIL[] = {"\"a@b\"", "\"a@b\"", "\"\"", "null", "5", "\"A@B\""};
    const char *members[8];
    size_t n = 0;
    char hash_member[96];
    if (below(12)) members[n++] = APP[below(sizeof APP / sizeof APP[0])];
    const char *uid = below(3) ? UID[below(sizeof UID / sizeof UID[0])] : NULL;
    const char *email = below(2) ? EMAIL[below(sizeof EMAIL / sizeof EMAIL[0])] : NULL;
    const char *hash = NULL;
    if (below(4)) {
        size_t k = below(n_hashes + 5);
        static const char *const ODD[] = {"\"\"", "null", "1", "\"sha256=00\"", "\"zz\""};
        if (k < n_hashes) {
            snprintf(hash_member, sizeof hash_member, "\"%s\"", hashes[k]);
            hash = hash_member;
        } else {
            hash = ODD[k - n_hashes];
        }
    }
    /* key, value pairs in a random order, sometimes with a duplicate or a custom attribute */
    const char *keys[8], *vals[8];
    size_t m = 0;
    if (n) keys[m] = "\"app_id\"", vals[m++] = members[0];
    if (uid) keys[m] = below(10) ? "\"user_id\"" : "\"user\\u005fid\"", vals[m++] = uid;
    if (email) keys[m] = "\"email\"", vals[m++] = email;
    if (hash) keys[m] = "\"user_hash\"", vals[m++] = hash;
    if (!below(6) && m) keys[m] = keys[0], vals[m] = vals[0], m++;
    for (size_t i = m; i > 1; i--) {
        size_t j = below(i);
        const char *t = keys[i - 1];
        keys[i - 1] = keys[j], keys[j] = t;
        t = vals[i - 1], vals[i - 1] = vals[j], vals[j] = t;
    }
    gen_ws(b);
    put_str(b, "{");
    size_t extra = below(3);
    int first = 1;
    for (size_t i = 0; i < m + extra; i++) {
        if (!first) put_str(b, ",");
        first = 0;
        gen_ws(b);
        if (i < m) {
            put_str(b, keys[i]);
            put_str(b, ":");
            gen_ws(b);
            put_str(b, vals[i]);
        } else {
            put_str(b, PICK(KEYS));
            put_str(b, ":");
            gen_value(b, 1);
        }
        gen_ws(b);
    }
    put_str(b, "}");
    gen_ws(b);
}

static void mutate(buf *b) {
    static const char *const INSERTS[] = {"{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud83d", "0", "-",
                                          ".", "e", " ", "\n", "\x00", "\xc3", "\xa9", "\xef\xbb\xbf", "null", "1e400"};
    size_t rounds = 1 + below(4);
    for (size_t r = 0; r < rounds; r++) {
        size_t pos = below(b->len + 1);
        switch (below(5)) {
        case 0: /* flip a byte */
            if (b->len) b->p[below(b->len)] ^= (uint8_t)(1u << below(8));
            break;
        case 1: /* delete a span */
            if (b->len) {
                size_t at = below(b->len), n = 1 + below(8);
                if (n > b->len - at) n = b->len - at;
                memmove(b->p + at, b->p + at + n, b->len - at - n);
                b->len -= n;
            }
            break;
        case 2: { /* insert a token */
            const char *ins = PICK(INSERTS);
            size_t n = strcmp(ins, "\x00") == 0 ? 1 : strlen(ins);
            buf t = {0};
            put_bytes(&t, b->p, pos);
            put_bytes(&t, ins, n);
            put_bytes(&t, b->p + pos, b->len - pos);
            free(b->p);
            *b = t;
            break;
        }
        case 3: /* truncate */
            b->len = pos;
            break;
        default: { /* duplicate a span */
            if (!b->len) break;
            size_t at = below(b->len), n = 1 + below(24);
            if (n > b->len - at) n = b->len - at;
            buf t = {0};
            put_bytes(&t, b->p, at + n);
            put_bytes(&t, b->p + at, b->len - at);
            free(b->p);
            *b = t;
        }
        }
    }
}

static int fuzz(const lib *l, const lib *ref, unsigned long iterations) {
    static const char *const PLATFORMS[] = {"web", "ios", "android"};
    char hashes[6][65];
    const char *hp[6];
    hash_of(l, "key", "u1", 2, hashes[0]);
    hash_of(l, "key", "0", 1, hashes[1]);
    hash_of(l, "key", "a@b", 3, hashes[2]);
    hash_of(l, "ios", "u1", 2, hashes[3]);
    hash_of(l, "key", "u\0x", 3, hashes[4]);
    hash_of(l, "test", "u1", 2, hashes[5]);
    for (int i = 0; i < 6; i++) hp[i] = hashes[i];
    for (int i = 0; i < 64; i++) /* one hash in uppercase */
        if (hashes[0][i] >= 'a') hashes[0][i] = (char)(hashes[0][i] - 32);
    unsigned long disagreements = 0, by_kind[4] = {0};
    for (unsigned long it = 0; it < iterations; it++) {
        buf b = {0};
        gen_payload(&b, hp, 6);
        if (!below(3)) mutate(&b);
        if (!below(50)) { /* sometimes deep */
            buf d = {0};
            size_t k = 28 + below(8);
            put_str(&d, "{\"app_id\":\"ws\",\"d\":");
            for (size_t i = 0; i < k; i++) put_str(&d, below(2) ? "[" : "{\"a\":");
            free(b.p);
            b = d; /* unbalanced on purpose half of the time */
            if (below(2)) mutate(&b);
        }
        const char *platform = PICK(PLATFORMS);
        json_t *mine = verify(l, platform, b.p, b.len);
        char got[160];
        describe(mine, got, sizeof got);
        CHECK(mine && strcmp(got, "error") != 0, "fuzz %lu: no verify answer (%s)", it, got);
        by_kind[got[0] == 'r' ? (strstr(got, "malformed") ? 0 : 1) : got[0] == 'v' ? 2 : 3]++;
        if (ref) {
            json_t *theirs = verify(ref, platform, b.p, b.len);
            if (!json_equal(mine, theirs)) {
                char want[160];
                describe(theirs, want, sizeof want);
                if (disagreements++ < 20) {
                    fprintf(stderr, "FAIL fuzz %lu (%s): %s says %s, %s says %s; payload: ", it, platform, l->path, got,
                            ref->path, want);
                    for (size_t i = 0; i < b.len; i++)
                        fprintf(stderr, b.p[i] >= 0x20 && b.p[i] < 0x7f ? "%c" : "\\x%02x", b.p[i]);
                    fputc('\n', stderr);
                }
                failures++;
            }
            json_decref(theirs);
        }
        json_decref(mine);
        free(b.p);

        /* The request itself, mangled: still answered, with some message type and a seq. */
        static const char *const REQUESTS[] = {
            "{\"seq\":1,\"type\":\"hello\",\"protocol\":\"ivconform/1\",\"suite_version\":\"1.0.0\"}",
            "{\"seq\":2,\"type\":\"hmac\",\"key_hex\":\"4a656665\",\"msg_hex\":\"7768617420646f\"}",
            "{\"seq\":3,\"type\":\"sign\",\"secret_hex\":\"6b6579\",\"user_id\":5678,\"email\":\"a@b\"}",
            "{\"seq\":4,\"type\":\"verify\",\"platform\":\"web\",\"payload_hex\":\"7b22617070"
            "5f6964223a227773227d\",\"config\":{\"apps\":{\"ws\":{\"web\":{\"secret_hex\":\"6b\","
            "\"enforced\":true}}}}}",
            "{\"seq\":5,\"type\":\"bye\"}",
        };
        buf q = {0};
        put_str(&q, PICK(REQUESTS));
        mutate(&q);
        uint8_t *resp = NULL;
        size_t resp_len = 0;
        int32_t rc = l->call(q.len ? q.p : NULL, q.len, &resp, &resp_len);
        json_error_t err;
        json_t *answer = rc == 0 ? json_loadb((const char *)resp, resp_len, JSON_REJECT_DUPLICATES, &err) : NULL;
        CHECK(rc == 0 && json_is_string(json_object_get(answer, "type")) &&
                  json_is_integer(json_object_get(answer, "seq")),
              "fuzz %lu: a mangled request got no answer (rc %d)", it, (int)rc);
        json_decref(answer);
        if (rc == 0) l->release(resp, resp_len);
        free(q.p);
    }
    fprintf(stderr, "fuzz: %lu payloads (%lu malformed, %lu other rejects, %lu visitors, %lu users)%s%s: "
            "%lu disagreements\n",
            iterations, by_kind[0], by_kind[1], by_kind[2], by_kind[3], ref ? ", compared with " : "",
            ref ? ref->path : "", disagreements);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s LIB [--fuzz N] [--seed S] [--reference REFLIB]\n", argv[0]);
        return 2;
    }
    unsigned long iterations = 0;
    const char *ref_path = NULL;
    rng_state = 0x9E3779B97F4A7C15ULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--fuzz") == 0) {
            iterations = strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--seed") == 0) {
            rng_state ^= strtoull(argv[i + 1], NULL, 10) * 0x100000001B3ULL;
            if (!rng_state) rng_state = 1;
        } else if (strcmp(argv[i], "--reference") == 0) {
            ref_path = argv[i + 1];
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    lib l, ref;
    if (load(&l, argv[1]) != 0) return 2;
    if (ref_path && load(&ref, ref_path) != 0) return 2;
    test_raw(&l);
    test_protocol(&l);
    test_payloads(&l);
    if (iterations) fuzz(&l, ref_path ? &ref : NULL, iterations);
    if (failures) {
        fprintf(stderr, "selftest: %d failure(s)\n", failures);
        return 1;
    }
    fprintf(stderr, "selftest: all checks passed (%s)\n", argv[1]);
    return 0;
}
