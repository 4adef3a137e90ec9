//! The reference implementation behind the C ABI of `include/ivconform.h`, so `ivconform run --lib` can test
//! it like any other library and adapter authors have a working example of the ownership rules.
//!
//! Ownership: `ivc_call` returns a `Box<[u8]>` turned into a raw pointer and length; `ivc_free` rebuilds the
//! box from exactly that pointer and length and drops it. Panics never cross the ABI (`catch_unwind`).

use ivconform_core::hex::decode_tag;
use ivconform_core::mac::{tags_equal, Keyed};
use ivconform_core::Signer;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The ABI version of `include/ivconform.h` this library implements.
pub const ABI_VERSION: u32 = 1;

/// Returns the ABI version (1).
#[no_mangle]
pub extern "C" fn ivc_abi_version() -> u32 {
    ABI_VERSION
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
    // SAFETY: the caller guarantees `req` is valid for `req_len` bytes.
    let Some(request) = (unsafe { bytes(req, req_len) }) else { return -1 };
    let answer = catch_unwind(AssertUnwindSafe(|| {
        serde_json::to_vec(&ivconform_protocol::reference::handle_bytes(request)).ok()
    }));
    let Ok(Some(answer)) = answer else { return -1 };
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
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(resp, resp_len)) });
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
    // SAFETY: the caller guarantees the buffers' validity.
    let (Some(secret), Some(msg)) = (unsafe { bytes(secret, secret_len) }, unsafe { bytes(msg, msg_len) }) else {
        return -1;
    };
    if out_hex.is_null() {
        return -1;
    }
    let Ok(signer) = Signer::new(secret) else { return -1 };
    let mut hex = [0u8; 64];
    signer.hash_into(msg, &mut hex);
    // SAFETY: `out_hex` is non-null and valid for 64 bytes by contract; `hex` does not overlap it.
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
    let Some(supplied) = std::str::from_utf8(hash).ok().and_then(decode_tag) else { return 0 };
    i32::from(tags_equal(&Keyed::new(secret).mac(msg), &supplied))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(request: &str) -> String {
        let (mut ptr, mut len) = (std::ptr::null_mut(), 0usize);
        // SAFETY: valid buffers; the response is freed once below.
        let rc = unsafe { ivc_call(request.as_ptr(), request.len(), &mut ptr, &mut len) };
        assert_eq!(rc, 0);
        // SAFETY: `ptr`/`len` describe the buffer ivc_call returned.
        let text = String::from_utf8(unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()).unwrap();
        unsafe { ivc_free(ptr, len) };
        text
    }

    #[test]
    fn call_answers_like_the_reference() {
        assert_eq!(ivc_abi_version(), 1);
        let req = r#"{"seq":7,"type":"hmac","key_hex":"4a656665","msg_hex":"7768617420646f2079612077616e7420666f72206e6f7468696e673f"}"#;
        assert!(call(req).contains("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
        assert!(call("not json").contains("\"error\""));
        // SAFETY: null out-pointers are refused, not written.
        assert_eq!(unsafe { ivc_call(b"{}".as_ptr(), 2, std::ptr::null_mut(), std::ptr::null_mut()) }, -1);
    }

    #[test]
    fn raw_entry_points() {
        let mut out = [0u8; 64];
        // SAFETY: valid buffers of the stated lengths.
        assert_eq!(unsafe { ivc_sign_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, out.as_mut_ptr()) }, 0);
        let ok = unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, out.as_ptr(), 64) };
        assert_eq!(ok, 1);
        let upper = std::str::from_utf8(&out).unwrap().to_uppercase();
        assert_eq!(unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, upper.as_ptr(), 64) }, 1);
        out[63] ^= 1;
        assert_eq!(unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, out.as_ptr(), 64) }, 0);
        assert_eq!(unsafe { ivc_verify_raw(b"key".as_ptr(), 3, b"u1".as_ptr(), 2, out.as_ptr(), 63) }, 0);
        assert_eq!(unsafe { ivc_sign_raw(b"".as_ptr(), 0, b"u1".as_ptr(), 2, out.as_mut_ptr()) }, -1);
        assert_eq!(unsafe { ivc_verify_raw(std::ptr::null(), 3, b"u1".as_ptr(), 2, out.as_ptr(), 64) }, -1);
    }
}
