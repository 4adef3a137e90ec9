/*
 * ivconform.h: the C ABI an implementation under test exports so that `ivconform run --lib PATH` can drive it.
 *
 * ABI version 1. Every function uses the C calling convention and plain byte buffers; nothing is
 * NUL-terminated. The messages passed through ivc_call are the JSON messages of docs/PROTOCOL.md
 * ("ivconform/1"), one request in, one response out. The identity-verification rules themselves (what to
 * sign, what to accept) are in SPEC.md; this header only says how the bytes travel.
 *
 * How the harness uses a library
 *   - It loads the library in a disposable child process (`ivconform ffi-host --lib PATH`), never in itself:
 *     a crash (segfault, abort, exit) in the library fails only the case that caused it, reported as a crash
 *     with the signal, and the harness starts a new child for the next case. The library may therefore be
 *     loaded and unloaded many times in one run; it needs no global initialisation call.
 *   - Threads: the harness calls from ONE thread per loaded copy, one call at a time, and never from a signal
 *     handler. Implementations need no locking for the harness, but should still be reentrant if they are
 *     also used elsewhere (other tools may load several copies in parallel processes).
 *   - Pointers: every pointer argument is valid only for the duration of the call. The library must not keep,
 *     free or write through any pointer the caller passes, except the out-parameters named below.
 *   - stdout belongs to the host (it carries the protocol): anything the library writes to stdout is sent to
 *     the child's stderr instead, which the harness keeps for crash reports and scans for leaked secrets.
 *
 * Required symbols: ivc_abi_version, ivc_call, ivc_free. A library missing one of them, or returning another
 * ABI version, is refused with a message naming the problem (the run stops with exit code 3).
 * Optional symbols: ivc_sign_raw, ivc_verify_raw, ivc_verify_jwt_raw (used by `ivconform timing` and
 * `ivconform bench`; when absent, those tools fall back to ivc_call or skip).
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

/* Required. Returns IVC_ABI_VERSION (1). Called once, right after loading, before anything else; the
 * harness refuses a library that returns anything else. Must not fail or have side effects. */
uint32_t ivc_abi_version(void);

/*
 * Required. Handles one protocol message.
 *
 *   req, req_len    the request: one UTF-8 JSON object, exactly req_len bytes, not NUL-terminated, no trailing
 *                   newline. Valid only during the call; do not keep or modify it. (req_len can reach a few
 *                   MiB: the largest vector payload travels hex-encoded.)
 *   resp, resp_len  out-parameters, never NULL when the harness calls.
 *
 * Success: return 0 after setting *resp to a non-NULL buffer of *resp_len bytes holding exactly one JSON
 *   response object (UTF-8, no NUL terminator, trailing newline optional). Newlines are allowed only where JSON
 *   allows whitespace; the host turns them into spaces, so one response stays one line. At most 1 MiB
 *   (1048576 bytes): a longer response fails the case as a protocol error.
 * Ownership: the buffer is allocated by the library, with the library's own allocator, and is owned by the
 *   library again once released: the caller copies the bytes, then calls ivc_free(*resp, *resp_len) exactly
 *   once, with the same pointer and the same length, and never passes it to free(). The library may rely on
 *   receiving that exact pair back (the Rust reference returns a Box<[u8]> and rebuilds it from both).
 * Failure: return any non-zero value and leave *resp and *resp_len unchanged (nothing to free). The harness
 *   reports the case as a protocol error quoting the return code. Reserve this for real failures (out of
 *   memory, NULL pointers): a request you do not support or cannot read must still be answered with return 0
 *   and a response of "type": "error" carrying the request's "seq" (0 if unreadable).
 * Anything the library returns is checked, never trusted: bytes that are not a protocol message, a wrong
 *   "seq" or a wrong "type" are reported as protocol errors, exactly as over stdio.
 */
int32_t ivc_call(const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len);

/* Required. Releases a buffer returned by a successful ivc_call. resp_len is the length ivc_call reported.
 * Called exactly once per successful ivc_call, never with NULL (treating NULL as a no-op, like free(), is
 * still wise). */
void ivc_free(uint8_t *resp, size_t resp_len);

/*
 * Optional. Signs without JSON (for timing and throughput): writes the 64 lowercase hex characters of
 * HMAC-SHA256(key = secret, message = msg) to out_hex (exactly 64 bytes, not NUL-terminated). msg is the
 * identifier's exact bytes, already selected per SPEC.md S2 (no trimming or normalisation, S3). msg may be
 * NULL when msg_len is 0.
 * Returns 0 on success; -1 for an empty secret (S5) or a NULL pointer (with a non-zero length, or out_hex),
 * in which case out_hex is not written.
 */
int32_t ivc_sign_raw(const uint8_t *secret, size_t secret_len, const uint8_t *msg, size_t msg_len,
                     uint8_t out_hex[64]);

/*
 * Optional. Verifies without JSON (for timing): user_hash is the hash as supplied, user_hash_len bytes. It is
 * valid only when it is exactly 64 hex characters in either case (SPEC.md V6); any other form is "no match".
 * The decoded 32 bytes are compared with HMAC-SHA256(secret, msg) in constant time: the time taken must not
 * depend on how many bytes of user_hash are right (V9; `ivconform timing` measures exactly this).
 * Returns 1 on a match, 0 on no match or an invalid form, -1 on an error (empty secret, NULL pointer with a
 * non-zero length).
 */
int32_t ivc_verify_raw(const uint8_t *secret, size_t secret_len, const uint8_t *msg, size_t msg_len,
                       const uint8_t *user_hash, size_t user_hash_len);

/*
 * Optional. Verifies a JWT-mode token without JSON messages (for timing): token is the compact JWS as sent in
 * intercom_user_jwt, token_len bytes. Returns 1 when it is valid under secret (SPEC.md J1: HS256 only, the
 * signature compared in constant time; J2's claims), 0 when it is refused for any reason, -1 on an error
 * (empty secret, NULL pointer with a non-zero length). No current time is given: a token carrying exp or nbf
 * is refused (fail closed). The time taken must not depend on how many bytes of the signature are right
 * (J1; `ivconform timing` measures exactly this, as its JWT class pair, when the symbol is exported).
 */
int32_t ivc_verify_jwt_raw(const uint8_t *secret, size_t secret_len, const uint8_t *token, size_t token_len);

#ifdef __cplusplus
}
#endif

#endif /* IVCONFORM_H */
