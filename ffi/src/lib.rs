//! The reference implementation behind the C ABI of `include/ivconform.h`, so `ivconform run --lib` can test
//! it like any other library and adapter authors have a working example of the ownership rules.
//!
//! Ownership, exactly: `ivc_call` serialises the response into a `Vec<u8>`, turns it into a `Box<[u8]>` (so
//! capacity equals length) and hands out `Box::into_raw`'s pointer and the length. `ivc_free(ptr, len)`
//! rebuilds that `Box<[u8]>` from the same pointer and length with `Box::from_raw` and drops it, so the
//! buffer goes back to the allocator that made it. Passing any other pointer or length, or freeing twice,
//! is undefined behaviour, as the header says.
//!
//! Every entry point runs its body inside `catch_unwind`: a panic never crosses the ABI (it would abort the
//! process); it becomes the function's error return instead (`ivc_free` swallows it).

// The whole crate is the C ABI (raw pointers, `#[no_mangle]` exports): unsafe code is allowed here, with a
// SAFETY comment on every block, and nowhere else in the workspace without a module-level allow.
#![allow(unsafe_code)]

use ivconform_core::hex::decode_tag;
use ivconform_core::mac::{tags_equal, Keyed};
use ivconform_core::Signer;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use ivconform_protocol::abi::ABI_VERSION;

/// This library's entry points as function pointers, for an executable that links the crate (as an rlib)
/// and calls the reference over the C ABI without a `.so` file: `ivconform ffi-host` and `ffi-bench` with
/// no `--lib`, so `run --reference ffi` and `bench` calibration work from an installed binary.
pub const ENTRY_POINTS: ivconform_protocol::abi::EntryPoints = ivconform_protocol::abi::EntryPoints {
    abi_version: ivc_abi_version,
    call: ivc_call,
    free: ivc_free,
    sign_raw: Some(ivc_sign_raw),
    verify_raw: Some(ivc_verify_raw),
    verify_jwt_raw: Some(ivc_verify_jwt_raw),
};

/// Returns the ABI version (1).
#[no_mangle]
pub extern "C" fn ivc_abi_version() -> u32 {
    ABI_VERSION
}

/// Runs `body`, turning a panic into `on_panic` so that no unwind crosses the C ABI.
fn guarded<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

/// Views a caller's buffer as a slice; `None` for a NULL pointer with a non-zero length.
///
/// # Safety
/// `ptr` must be valid for reads of `len` bytes for the duration of the call, or NULL.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-null and, by the caller's contract, valid for `len` bytes during this call.
    Some(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Handles one protocol message; see `include/ivconform.h` for the ownership rule.
///
/// # Safety
/// `req` must be valid for `req_len` bytes; `resp` and `resp_len` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn ivc_call(req: *const u8, req_len: usize, resp: *mut *mut u8, resp_len: *mut usize) -> i32 {
    if resp.is_null() || resp_len.is_null() {
        return -1;
    }
    // SAFETY: the caller guarantees `req` is valid for `req_len` bytes (or NULL, refused by `bytes`).
    let Some(request) = (unsafe { bytes(req, req_len) }) else { return -1 };
    let answer = guarded(None, || serde_json::to_vec(&ivconform_protocol::reference::handle_bytes(request)).ok());
    let Some(answer) = answer else { return -1 };
    let boxed: Box<[u8]> = answer.into_boxed_slice();
    let len = boxed.len();
    let ptr = Box::into_raw(boxed) as *mut u8;
    // SAFETY: both out-pointers were checked non-null and the caller guarantees they are writable.
    unsafe {
        *resp = ptr;
        *resp_len = len;
    }
    0
}

/// Releases a buffer returned by [`ivc_call`].
///
/// # Safety
/// `resp` and `resp_len` must be exactly what one earlier `ivc_call` returned, and not yet freed (or NULL).
#[no_mangle]
pub unsafe extern "C" fn ivc_free(resp: *mut u8, resp_len: usize) {
    if resp.is_null() {
        return;
    }
    // SAFETY: (ptr, len) came from `Box::into_raw` of a `Box<[u8]>` of that length in `ivc_call`.
    let boxed = unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(resp, resp_len)) };
    guarded((), move || drop(boxed));
}

/// Writes the lowercase hex HMAC of `msg` under `secret` to `out_hex` (64 bytes); -1 on an empty secret.
///
/// # Safety
/// `secret`, `msg` valid for their lengths; `out_hex` valid for 64 bytes of writes.
#[no_mangle]
pub unsafe extern "C" fn ivc_sign_raw(
    secret: *const u8,
    secret_len: usize,
    msg: *const u8,
    msg_len: usize,
    out_hex: *mut u8,
) -> i32 {
    // SAFETY: the caller guarantees the buffers' validity (NULL with a non-zero length is refused).
    let (Some(secret), Some(msg)) = (unsafe { bytes(secret, secret_len) }, unsafe { bytes(msg, msg_len) }) else {
        return -1;
    };
    if out_hex.is_null() {
        return -1;
    }
    let hex = guarded(None, || {
        let signer = Signer::new(secret).ok()?;
        let mut hex = [0u8; 64];
        signer.hash_into(msg, &mut hex);
        Some(hex)
    });
    let Some(hex) = hex else { return -1 };
    // SAFETY: `out_hex` is non-null and valid for 64 bytes by contract; `hex` is a local, so no overlap.
    unsafe { std::ptr::copy_nonoverlapping(hex.as_ptr(), out_hex, 64) };
    0
}

/// Constant-time check of a supplied `user_hash` against the HMAC of `msg`: 1 match, 0 no match, -1 error.
///
/// # Safety
/// Every pointer must be valid for its length.
#[no_mangle]
pub unsafe extern "C" fn ivc_verify_raw(
    secret: *const u8,
    secret_len: usize,
    msg: *const u8,
    msg_len: usize,
    user_hash: *const u8,
    user_hash_len: usize,
) -> i32 {
    // SAFETY: the caller guarantees the buffers' validity.
    let (Some(secret), Some(msg), Some(hash)) =
        (unsafe { bytes(secret, secret_len) }, unsafe { bytes(msg, msg_len) }, unsafe {
            bytes(user_hash, user_hash_len)
        })
    else {
        return -1;
    };
    if secret.is_empty() {
        return -1;
    }
    guarded(-1, || {
        // The form check (V6) depends only on length and alphabet; the comparison is constant-time (V9).
        let Some(supplied) = std::str::from_utf8(hash).ok().and_then(decode_tag) else { return 0 };
        i32::from(tags_equal(&Keyed::new(secret).mac(msg), &supplied))
    })
}

/// J1 and J2 for one token without JSON messages (for timing): 1 valid, 0 refused, -1 error. No current
/// time is given, so a token with `exp` or `nbf` is refused (fail closed, as the reference does).
///
/// # Safety
/// Every pointer must be valid for its length.
#[no_mangle]
pub unsafe extern "C" fn ivc_verify_jwt_raw(
    secret: *const u8,
    secret_len: usize,
    token: *const u8,
    token_len: usize,
) -> i32 {
    // SAFETY: the caller guarantees the buffers' validity.
    let (Some(secret), Some(token)) = (unsafe { bytes(secret, secret_len) }, unsafe { bytes(token, token_len) }) else {
        return -1;
    };
    if secret.is_empty() {
        return -1;
    }
    guarded(-1, || {
        // The signature is compared in constant time (J1, core::jwt::Token::check_signature).
        let Ok(token) = std::str::from_utf8(token) else { return 0 };
        i32::from(ivconform_core::jwt::verify_token(Some(secret), token, None).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls `ivc_call` like a C caller would and frees the answer exactly once.
    fn call(request: &str) -> String {
        let (mut ptr, mut len) = (std::ptr::null_mut(), 0usize);
        // SAFETY: valid buffers; the response is freed once below.
        let rc = unsafe { ivc_call(request.as_ptr(), request.len(), &mut ptr, &mut len) };
        assert_eq!(rc, 0);
        assert!(!ptr.is_null());
        // SAFETY: `ptr`/`len` describe the buffer ivc_call returned, not yet freed.
        let text = String::from_utf8(unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()).unwrap();
        // SAFETY: exactly what ivc_call returned, freed once.
        unsafe { ivc_free(ptr, len) };
        text
    }

    fn reference(request: &str) -> String {
        serde_json::to_string(&ivconform_protocol::reference::handle_bytes(request.as_bytes())).unwrap()
    }

    const CONFIG: &str = r#"{"apps":{"ws":{"web":{"secret":"s3cr3t","enforced":true}}}}"#;

    #[test]
    fn call_answers_exactly_like_the_reference() {
        assert_eq!(ivc_abi_version(), 1);
        let hash = Signer::new(b"s3cr3t").unwrap().hash_message(b"u1");
        let payload = ivconform_core::hex::encode_lower(
            format!(r#"{{"app_id":"ws","user_id":"u1","user_hash":"{hash}"}}"#).as_bytes(),
        );
        let requests = [
            r#"{"seq":1,"type":"hello","protocol":"ivconform/1","suite_version":"x"}"#.to_string(),
            r#"{"seq":2,"type":"hmac","key_hex":"4a656665","msg_hex":"7768617420646f2079612077616e7420666f72206e6f7468696e673f"}"#.to_string(),
            r#"{"seq":3,"type":"sign","secret_hex":"6b6579","user_id":5678}"#.to_string(),
            r#"{"seq":4,"type":"sign","secret_hex":"","email":"a@b.c"}"#.to_string(),
            format!(r#"{{"seq":5,"type":"verify","config":{CONFIG},"platform":"web","payload_hex":"{payload}"}}"#),
            r#"{"seq":6,"type":"bye"}"#.to_string(),
            "not json".to_string(),
            String::new(),
        ];
        for r in &requests {
            assert_eq!(call(r), reference(r), "{r}");
        }
        assert!(call(&requests[1]).contains("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
        assert!(call(&requests[4]).contains(r#""verified":true"#), "{}", call(&requests[4]));
    }

    #[test]
    fn call_refuses_null_pointers_and_sets_nothing() {
        let sentinel = std::ptr::dangling_mut::<u8>();
        let (mut ptr, mut len) = (sentinel, 7usize);
        // SAFETY: null out-pointers are refused before any write.
        assert_eq!(unsafe { ivc_call(b"{}".as_ptr(), 2, std::ptr::null_mut(), &mut len) }, -1);
        // SAFETY: as above.
        assert_eq!(unsafe { ivc_call(b"{}".as_ptr(), 2, &mut ptr, std::ptr::null_mut()) }, -1);
        // SAFETY: a NULL request with a non-zero length is refused before it is read.
        assert_eq!(unsafe { ivc_call(std::ptr::null(), 5, &mut ptr, &mut len) }, -1);
        assert_eq!((ptr, len), (sentinel, 7), "a failed call must leave the out-parameters alone");
        // A NULL request of length 0 is an empty (unreadable) request: answered with an error.
        // SAFETY: valid out-pointers; a zero-length request is never read.
        assert_eq!(unsafe { ivc_call(std::ptr::null(), 0, &mut ptr, &mut len) }, 0);
        // SAFETY: exactly what ivc_call returned.
        let text = String::from_utf8(unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()).unwrap();
        // SAFETY: freed once; freeing NULL is a no-op.
        unsafe {
            ivc_free(ptr, len);
            ivc_free(std::ptr::null_mut(), 0);
        }
        assert!(text.contains(r#""type":"error""#), "{text}");
    }

    #[test]
    fn raw_jwt_entry_point_accepts_a_valid_token_and_refuses_the_rest() {
        let claims = |exp| ivconform_core::jwt::Claims { user_id: "u1".into(), email: None, exp, nbf: None };
        let good = ivconform_core::jwt::sign_jwt(b"key", &claims(None)).unwrap();
        let call = |secret: &[u8], token: &[u8]| {
            // SAFETY: every pointer is a live local buffer of the length passed.
            unsafe { ivc_verify_jwt_raw(secret.as_ptr(), secret.len(), token.as_ptr(), token.len()) }
        };
        assert_eq!(call(b"key", good.as_bytes()), 1);
        assert_eq!(call(b"other key", good.as_bytes()), 0, "another secret");
        let mut wrong = good.clone().into_bytes();
        let first_signature_char = good.rfind('.').unwrap() + 1;
        wrong[first_signature_char] = if wrong[first_signature_char] == b'A' { b'B' } else { b'A' };
        assert_eq!(call(b"key", &wrong), 0, "a wrong signature");
        let with_exp = ivconform_core::jwt::sign_jwt(b"key", &claims(Some(4_102_444_800))).unwrap();
        assert_eq!(call(b"key", with_exp.as_bytes()), 0, "exp with no current time: fail closed");
        assert_eq!(call(b"key", b"\xff.\xfe.\xfd"), 0, "not UTF-8");
        assert_eq!(call(b"", good.as_bytes()), -1, "an empty secret");
        // SAFETY: NULL with a non-zero length is the refusal under test; the token is a live buffer.
        assert_eq!(unsafe { ivc_verify_jwt_raw(std::ptr::null(), 3, good.as_ptr(), good.len()) }, -1);
        // SAFETY: as above.
        assert_eq!(unsafe { ivc_verify_jwt_raw(b"key".as_ptr(), 3, std::ptr::null(), 5) }, -1);
    }

    #[test]
    fn a_panic_becomes_the_error_return() {
        assert_eq!(guarded(-1, || panic!("deliberate")), -1);
        assert_eq!(guarded(None::<u8>, || panic!("deliberate")), None);
        assert_eq!(guarded(-1, || 1), 1);
    }

    #[test]
    fn raw_entry_points() {
        let mut out = [0u8; 64];
        // Every unsafe call below passes valid buffers of the stated lengths, or NULL where a refusal is tested.
        // SAFETY: a live local buffer of 64 bytes and byte-string literals of the lengths passed.
        assert_eq!(unsafe { ivc_sign_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, out.as_mut_ptr()) }, 0);
        assert_eq!(&out[..], Signer::new(b"key").unwrap().hash_message(b"u1").as_bytes());
        // RFC 4231 case 2 through the raw path.
        let mut rfc = [0u8; 64];
        let msg = b"what do ya want for nothing?";
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_sign_raw(b"Jefe".as_ptr(), 4, msg.as_ptr(), msg.len(), rfc.as_mut_ptr()) }, 0);
        assert_eq!(&rfc[..], b"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // An empty message is fine (NULL with length 0 too).
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_sign_raw(b"key".as_ptr(), 3, std::ptr::null(), 0, rfc.as_mut_ptr()) }, 0);

        // SAFETY: every pointer is a live local buffer of the length passed.
        let ok = unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, out.as_ptr(), 64) };
        assert_eq!(ok, 1);
        let upper = std::str::from_utf8(&out).unwrap().to_uppercase();
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, upper.as_ptr(), 64) }, 1);
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u2".as_ptr(), 2, out.as_ptr(), 64) }, 0);
        let mut wrong = out;
        wrong[63] ^= 1;
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, wrong.as_ptr(), 64) }, 0);
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, out.as_ptr(), 63) }, 0);
        let not_utf8 = [0xffu8; 64];
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, not_utf8.as_ptr(), 64) }, 0);

        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_sign_raw(b"".as_ptr(), 0, b"u1".as_ptr(), 2, out.as_mut_ptr()) }, -1);
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_sign_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, std::ptr::null_mut()) }, -1);
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_sign_raw(b"key".as_ptr(), 3, std::ptr::null(), 2, out.as_mut_ptr()) }, -1);
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_verify_raw(std::ptr::null(), 3, b"u1".as_ptr(), 2, out.as_ptr(), 64) }, -1);
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_verify_raw(b"".as_ptr(), 0, b"u1".as_ptr(), 2, out.as_ptr(), 64) }, -1);
        // SAFETY: every pointer is a live local buffer of the length passed.
        assert_eq!(unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, std::ptr::null(), 64) }, -1);
    }
}
