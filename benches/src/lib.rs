//! Inputs shared by ivconform's benchmarks (`benches/reference.rs`), so every bench measures the same data,
//! and (feature `peers`) the peer implementations measured in the same run.

use ivconform_core::hex::encode_lower;
use ivconform_core::mac::hmac_sha256;

/// The production web secret used by the benches (a 40-byte text secret, like real ones).
pub const SECRET: &[u8] = b"Kx7pQ2vN9sLm4RtY8wZb3HcJ6fGd1aUe5oTi0yWr";

/// Identifier lengths the benches sweep, in bytes (36 is a UUID).
pub const IDENTIFIER_LENGTHS: [usize; 5] = [16, 36, 64, 256, 1024];

/// An ASCII identifier of exactly `len` bytes.
pub fn identifier(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789-"[i % 37]).collect()
}

/// A typical verified web boot payload for a UUID user.
pub fn typical_payload() -> Vec<u8> {
    let uid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
    let hash = encode_lower(&hmac_sha256(SECRET, uid.as_bytes()));
    format!(
        r#"{{"app_id":"ws_prod","user_id":"{uid}","email":"ann@example.com","user_hash":"{hash}","name":"Ann Lee","created_at":1700000000,"company":{{"company_id":"c1","name":"Acme"}},"plan":"pro"}}"#
    )
    .into_bytes()
}

/// The configuration the verify bench runs under.
pub fn config() -> ivconform_core::Config {
    ivconform_core::Config::from_toml_str(&format!(
        "[apps.ws_prod]\nweb = {{ secret = \"{}\", enforced = true }}\n",
        std::str::from_utf8(SECRET).expect("ASCII")
    ))
    .expect("valid configuration")
}

/// The golden-vector suite as protocol requests, exactly as `ivconform run` sends them (the harness's own
/// planner: every group, JWT included).
pub fn suite_requests() -> Vec<ivconform_protocol::Request> {
    let suite = ivconform_vectors::load_dir(&ivconform_vectors::default_dir()).expect("the vectors load");
    ivconform_harness::suite::plan::plan(&suite).into_iter().map(|case| case.request).collect()
}

/// Peer implementations, behind the `peers` feature.
// The pre-keyed OpenSSL context is reachable only through openssl-sys (the safe `openssl` crate re-keys per MAC),
// so this module alone may use `unsafe`; each block says why it is sound.
#[cfg(feature = "peers")]
#[allow(unsafe_code)]
pub mod peers {
    use std::os::raw::c_uint;

    /// OpenSSL's HMAC with a pre-keyed context: keyed once (`HMAC_Init_ex` with the key), then each MAC
    /// re-initialises from the stored pad states (`HMAC_Init_ex` with a NULL key), as servers reuse it.
    pub struct OpensslKeyed {
        ctx: *mut openssl_sys::HMAC_CTX,
    }

    impl OpensslKeyed {
        /// Keys a context for HMAC-SHA256.
        pub fn new(key: &[u8]) -> Self {
            openssl::init();
            let md = openssl::hash::MessageDigest::sha256();
            // SAFETY: a fresh context, keyed with a valid key buffer and OpenSSL's static SHA-256 method.
            unsafe {
                let ctx = openssl_sys::HMAC_CTX_new();
                assert!(!ctx.is_null(), "HMAC_CTX_new");
                let ok = openssl_sys::HMAC_Init_ex(
                    ctx,
                    key.as_ptr().cast(),
                    key.len() as _,
                    md.as_ptr(),
                    std::ptr::null_mut(),
                );
                assert_eq!(ok, 1, "HMAC_Init_ex");
                OpensslKeyed { ctx }
            }
        }

        /// The tag of `msg`.
        pub fn mac(&mut self, msg: &[u8]) -> [u8; 32] {
            let mut tag = [0u8; 32];
            let mut len: c_uint = 0;
            // SAFETY: the context is keyed (NULL key and method reuse its key); buffers are valid for their lengths.
            unsafe {
                let ok =
                    openssl_sys::HMAC_Init_ex(self.ctx, std::ptr::null(), 0, std::ptr::null(), std::ptr::null_mut());
                debug_assert_eq!(ok, 1);
                openssl_sys::HMAC_Update(self.ctx, msg.as_ptr(), msg.len());
                openssl_sys::HMAC_Final(self.ctx, tag.as_mut_ptr(), &mut len);
            }
            debug_assert_eq!(len, 32);
            tag
        }
    }

    impl Drop for OpensslKeyed {
        fn drop(&mut self) {
            // SAFETY: made by HMAC_CTX_new, freed once.
            unsafe { openssl_sys::HMAC_CTX_free(self.ctx) }
        }
    }

    /// OpenSSL through the `openssl` crate's safe API: a new `Signer` (keying) per MAC.
    pub fn openssl_fresh(key: &[u8], msg: &[u8]) -> Vec<u8> {
        let pkey = openssl::pkey::PKey::hmac(key).expect("HMAC key");
        let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &pkey).expect("signer");
        signer.update(msg).expect("update");
        signer.sign_to_vec().expect("sign")
    }

    /// ring's HMAC with a reused key (`hmac::Key` holds the pad states).
    pub fn ring_key(key: &[u8]) -> ring::hmac::Key {
        ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key)
    }
}
