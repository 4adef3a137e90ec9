//! The C ABI of `include/ivconform.h`, defined once: its version and the types of its entry points.
//!
//! The reference library (`ivconform-ffi`) implements these; the harness's one loader
//! (`ivconform_harness::abi`) resolves them from an implementation's shared library for the FFI
//! transport, the timing suite and the benchmarks. Declaring the types is not unsafe; calling through them is.

/// The ABI version `include/ivconform.h` defines (`IVC_ABI_VERSION`); a library returning another is refused.
pub const ABI_VERSION: u32 = 1;

/// `uint32_t ivc_abi_version(void)`: required, called once right after loading.
pub type AbiVersionFn = unsafe extern "C" fn() -> u32;
/// `int32_t ivc_call(req, req_len, resp, resp_len)`: required, one protocol message in, one out.
pub type CallFn = unsafe extern "C" fn(*const u8, usize, *mut *mut u8, *mut usize) -> i32;
/// `void ivc_free(resp, resp_len)`: required, releases a buffer a successful `ivc_call` returned.
pub type FreeFn = unsafe extern "C" fn(*mut u8, usize);
/// `int32_t ivc_sign_raw(secret, secret_len, msg, msg_len, out_hex)`: optional, 64 hex bytes written to `out_hex`.
pub type SignRawFn = unsafe extern "C" fn(*const u8, usize, *const u8, usize, *mut u8) -> i32;
/// `int32_t ivc_verify_raw(secret, secret_len, msg, msg_len, hash, hash_len)`: optional, 1 verified, 0 not.
pub type VerifyRawFn = unsafe extern "C" fn(*const u8, usize, *const u8, usize, *const u8, usize) -> i32;
/// `int32_t ivc_verify_jwt_raw(secret, secret_len, token, token_len)`: optional, 1 a valid token, 0 not.
pub type VerifyJwtRawFn = unsafe extern "C" fn(*const u8, usize, *const u8, usize) -> i32;

/// An implementation's entry points as function pointers: what loading a library resolves, or, for the
/// reference linked into the `ivconform` executable itself (`ivconform_ffi::ENTRY_POINTS`), what the linker
/// already resolved, so the FFI transport works from an installed binary with no library file beside it.
#[derive(Clone, Copy, Debug)]
pub struct EntryPoints {
    /// `ivc_abi_version`.
    pub abi_version: AbiVersionFn,
    /// `ivc_call`.
    pub call: CallFn,
    /// `ivc_free`.
    pub free: FreeFn,
    /// `ivc_sign_raw`, when implemented.
    pub sign_raw: Option<SignRawFn>,
    /// `ivc_verify_raw`, when implemented.
    pub verify_raw: Option<VerifyRawFn>,
    /// `ivc_verify_jwt_raw`, when implemented.
    pub verify_jwt_raw: Option<VerifyJwtRawFn>,
}

/// The symbol names, NUL-terminated as `dlsym` wants them.
pub mod symbol {
    /// `ivc_abi_version`.
    pub const ABI_VERSION: &[u8] = b"ivc_abi_version\0";
    /// `ivc_call`.
    pub const CALL: &[u8] = b"ivc_call\0";
    /// `ivc_free`.
    pub const FREE: &[u8] = b"ivc_free\0";
    /// `ivc_sign_raw`.
    pub const SIGN_RAW: &[u8] = b"ivc_sign_raw\0";
    /// `ivc_verify_raw`.
    pub const VERIFY_RAW: &[u8] = b"ivc_verify_raw\0";
    /// `ivc_verify_jwt_raw`.
    pub const VERIFY_JWT_RAW: &[u8] = b"ivc_verify_jwt_raw\0";
}
