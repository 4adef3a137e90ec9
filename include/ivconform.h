/*
 * ivconform.h: the C ABI an implementation under test exports so that `ivconform run --lib PATH` can drive it.
 *
 * ABI version 1. Every function uses the C calling convention and plain byte buffers; nothing is
 * NUL-terminated. The messages passed through ivc_call are the JSON messages of docs/PROTOCOL.md
 * ("ivconform/1"), one request in, one response out.
 *
 * How the harness uses a library
 *   - It loads the library in a disposable child process (`ivconform ffi-host`), never in itself: a crash in
 *     the library fails only the case that caused it, and the harness starts a new child for the next case.
 *   - It calls from a single thread per loaded copy. Implementations need no locking for the harness, but
 *     should still be reentrant if they are also used elsewhere.
 *   - It never retains pointers across calls; implementations must not retain the caller's pointers either.
 *
 * Required symbols: ivc_abi_version, ivc_call, ivc_free. Optional: ivc_sign_raw, ivc_verify_raw (used by the
 * timing and throughput tools; when absent, those tools fall back to ivc_call or skip).
 */
#ifndef IVCONFORM_H
#define IVCONFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. */
#define IVC_ABI_VERSION 1

/* Required. Returns IVC_ABI_VERSION (1). The harness refuses a library that returns anything else. */
uint32_t ivc_abi_version(void);

/*
 * Required. Handles one protocol message.
 *
 *   req, req_len   the request: UTF-8 JSON, exactly req_len bytes, not NUL-terminated. Valid only during the call.
 *   resp, resp_len out-parameters, non-NULL.
 *
 * On success returns 0 and sets *resp to a buffer of *resp_len bytes holding one JSON response (no trailing
 * newline needed). The buffer is allocated by the library and OWNED BY THE LIBRARY'S ALLOCATOR: the caller
 * releases it by calling ivc_free(*resp, *resp_len) exactly once, and never with free().
 * On failure returns non-zero and leaves *resp and *resp_len unchanged; the harness then reports the case as a
 * protocol error. An unsupported or unreadable request should still be answered (return 0) with a response
 * of "type": "error".
 */
int32_t ivc_call(const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len);

/* Required. Releases a buffer returned by ivc_call. resp_len is the length ivc_call reported. NULL is a no-op. */
void ivc_free(uint8_t *resp, size_t resp_len);

/*
 * Optional. Signs without JSON: writes the 64 lowercase hex characters of HMAC-SHA256(secret, msg) to out_hex
 * (not NUL-terminated). msg is the identifier's exact bytes (already selected per SPEC.md S2).
 * Returns 0 on success, -1 for an empty secret (S5) or a NULL pointer.
 */
int32_t ivc_sign_raw(const uint8_t *secret, size_t secret_len, const uint8_t *msg, size_t msg_len, uint8_t out_hex[64]);

/*
 * Optional. Verifies without JSON: decodes user_hash (user_hash_len bytes; valid only when exactly 64 hex
 * characters, either case, per SPEC.md V6) and compares it with HMAC-SHA256(secret, msg) in constant time (V9).
 * Returns 1 on a match, 0 on no match or an invalid form, -1 on an error (empty secret, NULL pointer).
 */
int32_t ivc_verify_raw(const uint8_t *secret, size_t secret_len, const uint8_t *msg, size_t msg_len,
                       const uint8_t *user_hash, size_t user_hash_len);

#ifdef __cplusplus
}
#endif

#endif /* IVCONFORM_H */
