//! SHA-256 on the x86 SHA extensions (SHA-NI), with several independent streams interleaved.
//!
//! This is the only module of the crate with `unsafe` code: CPU intrinsics behind `#[target_feature]`.
//! Its API is safe: every entry point is a method of [`ShaNi`], a zero-sized token that only
//! [`ShaNi::detect`] makes, after checking at run time that the CPU has SHA, SSE2, SSSE3 and SSE4.1. Holding a
//! token is the proof the `target_feature` functions need; every slice and pointer use is bounds-checked
//! before the intrinsics run. Other targets get a token that can never be made ([`ShaNi::detect`] is `None`),
//! and the callers use the portable path (`sha2::compress256`).
//!
//! Why: one SHA-256 block is a chain of 32 dependent `sha256rnds2` instructions, so a single stream runs at
//! the instruction's latency. The CPU can have several of them in flight, so compressing N independent
//! blocks together ([`ShaNi::compress_lanes`], [`ShaNi::hmac_short`]) costs far less than N times one block.

/// Proof that this CPU has the SHA extensions (and SSE2, SSSE3, SSE4.1); the only way to call the kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ShaNi(());

#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
#[allow(dead_code)]
impl ShaNi {
    /// Never: this target has no SHA-NI.
    pub(crate) fn detect() -> Option<ShaNi> {
        None
    }

    pub(crate) fn compress(self, _state: &mut [u32; 8], _blocks: &[u8]) {
        unreachable!("no ShaNi token exists on this target")
    }

    pub(crate) fn compress_lanes<const N: usize>(self, _states: &mut [[u32; 8]; N], _blocks: [&[u8; 64]; N]) {
        unreachable!("no ShaNi token exists on this target")
    }

    pub(crate) fn hmac_short<const N: usize>(
        self,
        _inner: &[u32; 8],
        _outer: &[u32; 8],
        _msgs: [&[u8]; N],
        _out: &mut [&mut [u8; 64]; N],
    ) {
        unreachable!("no ShaNi token exists on this target")
    }

    pub(crate) fn hmac_short_words<const N: usize>(
        self,
        _inner: &[u32; 8],
        _outer: &[u32; 8],
        _msgs: [&[u8]; N],
        _out: &mut [[u32; 8]; N],
    ) {
        unreachable!("no ShaNi token exists on this target")
    }

    pub(crate) fn hex_words(self, _words: &[u32; 8], _out: &mut [u8; 64]) {
        unreachable!("no ShaNi token exists on this target")
    }
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod x86 {
    use super::ShaNi;
    use crate::mac::SHORT_MAX;
    #[cfg(target_arch = "x86")]
    use core::arch::x86::*;
    #[cfg(target_arch = "x86_64")]
    use core::arch::x86_64::*;

    /// The SHA-256 round constants, in round order (lane 0 of each 4-word load is the earliest round).
    static K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    impl ShaNi {
        /// The token, if this CPU has the SHA extensions (the check is cached by the standard library).
        pub(crate) fn detect() -> Option<ShaNi> {
            let ok = std::is_x86_feature_detected!("sha")
                && std::is_x86_feature_detected!("sse2")
                && std::is_x86_feature_detected!("ssse3")
                && std::is_x86_feature_detected!("sse4.1");
            ok.then_some(ShaNi(()))
        }

        /// Compresses whole 64-byte blocks of `blocks` into `state` (one stream; no copy of the input).
        pub(crate) fn compress(self, state: &mut [u32; 8], blocks: &[u8]) {
            assert!(blocks.len() % 64 == 0, "whole blocks only");
            // SAFETY: the token proves the CPU features; the kernel reads exactly `blocks.len()` bytes.
            unsafe { compress_bytes(state, blocks) }
        }

        /// Compresses one block into each of N independent states, interleaved.
        pub(crate) fn compress_lanes<const N: usize>(self, states: &mut [[u32; 8]; N], blocks: [&[u8; 64]; N]) {
            // SAFETY: the token proves the CPU features; references are valid for their fixed sizes.
            unsafe { lanes_bytes(states, blocks) }
        }

        /// N HMAC-SHA256 tags of short messages (at most [`SHORT_MAX`] bytes each), interleaved; `inner` and
        /// `outer` are the key's pad midstates. Each message is padded in registers (no copy); the tags go to
        /// `out` as lowercase hex.
        ///
        /// # Panics
        /// If a message is longer than [`SHORT_MAX`].
        pub(crate) fn hmac_short<const N: usize>(
            self,
            inner: &[u32; 8],
            outer: &[u32; 8],
            msgs: [&[u8]; N],
            out: &mut [&mut [u8; 64]; N],
        ) {
            assert!(msgs.iter().all(|m| m.len() <= SHORT_MAX), "short messages only");
            // SAFETY: the token proves the CPU features; every message read stays within its slice (see
            // `load_short!`) and references are valid for their fixed sizes.
            unsafe { hmac_short_hex(inner, outer, msgs, out) }
        }

        /// As [`ShaNi::hmac_short`], with the tags as the outer states' words.
        pub(crate) fn hmac_short_words<const N: usize>(
            self,
            inner: &[u32; 8],
            outer: &[u32; 8],
            msgs: [&[u8]; N],
            out: &mut [[u32; 8]; N],
        ) {
            assert!(msgs.iter().all(|m| m.len() <= SHORT_MAX), "short messages only");
            // SAFETY: as in `hmac_short`.
            unsafe { hmac_short_words(inner, outer, msgs, out) }
        }

        /// Lowercase hex of eight big-endian words (a SHA-256 state as its digest bytes).
        pub(crate) fn hex_words(self, words: &[u32; 8], out: &mut [u8; 64]) {
            // SAFETY: the token proves the CPU features; references are valid for their fixed sizes.
            unsafe {
                let p = words.as_ptr() as *const __m128i;
                let (lo, hi) = (_mm_loadu_si128(p), _mm_loadu_si128(p.add(1)));
                hex_state(lo, hi, out);
            }
        }
    }

    /// Byte order of message loads: big-endian words into native lanes.
    macro_rules! be_mask {
        () => {
            _mm_set_epi64x(0x0C0D_0E0F_0809_0A0Bu64 as i64, 0x0405_0607_0001_0203u64 as i64)
        };
    }

    /// State `[a..h]` as the two registers the SHA instructions use: (ABEF, CDGH).
    macro_rules! state_in {
        ($state:expr) => {{
            let p = $state.as_ptr() as *const __m128i;
            let dcba = _mm_loadu_si128(p);
            let efgh = _mm_loadu_si128(p.add(1));
            let cdab = _mm_shuffle_epi32(dcba, 0xB1);
            let efgh = _mm_shuffle_epi32(efgh, 0x1B);
            (_mm_alignr_epi8(cdab, efgh, 8), _mm_blend_epi16(efgh, cdab, 0xF0))
        }};
    }

    /// (ABEF, CDGH) back to the state order: (`[a,b,c,d]`, `[e,f,g,h]`) as two registers.
    macro_rules! state_out {
        ($abef:expr, $cdgh:expr) => {{
            let feba = _mm_shuffle_epi32($abef, 0x1B);
            let dchg = _mm_shuffle_epi32($cdgh, 0xB1);
            (_mm_blend_epi16(feba, dchg, 0xF0), _mm_alignr_epi8(dchg, feba, 8))
        }};
    }

    /// Four rounds (`$i` = 0..16) for every lane; from `$i` = 4 on, the message schedule is extended in place
    /// in a ring of four registers per lane.
    macro_rules! rounds4 {
        ($n:expr, $abef:ident, $cdgh:ident, $w:ident, $i:expr) => {{
            let k = _mm_loadu_si128(K.as_ptr().add(4 * $i) as *const __m128i);
            for l in 0..$n {
                if $i >= 4 {
                    let (w0, w1, w2, w3) =
                        ($w[l][$i % 4], $w[l][($i + 1) % 4], $w[l][($i + 2) % 4], $w[l][($i + 3) % 4]);
                    let t = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4));
                    $w[l][$i % 4] = _mm_sha256msg2_epu32(t, w3);
                }
                let t1 = _mm_add_epi32($w[l][$i % 4], k);
                $cdgh[l] = _mm_sha256rnds2_epu32($cdgh[l], $abef[l], t1);
                let t2 = _mm_shuffle_epi32(t1, 0x0E);
                $abef[l] = _mm_sha256rnds2_epu32($abef[l], $cdgh[l], t2);
            }
        }};
    }

    /// One block for each of N lanes: 64 rounds plus the feed-forward.
    macro_rules! block {
        ($n:expr, $abef:ident, $cdgh:ident, $w:ident) => {{
            let (save_abef, save_cdgh) = ($abef, $cdgh);
            rounds4!($n, $abef, $cdgh, $w, 0);
            rounds4!($n, $abef, $cdgh, $w, 1);
            rounds4!($n, $abef, $cdgh, $w, 2);
            rounds4!($n, $abef, $cdgh, $w, 3);
            rounds4!($n, $abef, $cdgh, $w, 4);
            rounds4!($n, $abef, $cdgh, $w, 5);
            rounds4!($n, $abef, $cdgh, $w, 6);
            rounds4!($n, $abef, $cdgh, $w, 7);
            rounds4!($n, $abef, $cdgh, $w, 8);
            rounds4!($n, $abef, $cdgh, $w, 9);
            rounds4!($n, $abef, $cdgh, $w, 10);
            rounds4!($n, $abef, $cdgh, $w, 11);
            rounds4!($n, $abef, $cdgh, $w, 12);
            rounds4!($n, $abef, $cdgh, $w, 13);
            rounds4!($n, $abef, $cdgh, $w, 14);
            rounds4!($n, $abef, $cdgh, $w, 15);
            for l in 0..$n {
                $abef[l] = _mm_add_epi32($abef[l], save_abef[l]);
                $cdgh[l] = _mm_add_epi32($cdgh[l], save_cdgh[l]);
            }
        }};
    }

    /// The message words of a 64-byte block at `p` (unaligned), in native lanes.
    macro_rules! load_block {
        ($p:expr, $mask:expr) => {{
            let p = $p as *const __m128i;
            [
                _mm_shuffle_epi8(_mm_loadu_si128(p), $mask),
                _mm_shuffle_epi8(_mm_loadu_si128(p.add(1)), $mask),
                _mm_shuffle_epi8(_mm_loadu_si128(p.add(2)), $mask),
                _mm_shuffle_epi8(_mm_loadu_si128(p.add(3)), $mask),
            ]
        }};
    }

    /// # Safety
    /// The CPU must have SHA, SSE2, SSSE3 and SSE4.1; `blocks.len()` must be a multiple of 64.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn compress_bytes(state: &mut [u32; 8], blocks: &[u8]) {
        let mask = be_mask!();
        let (a, c) = state_in!(state);
        let (mut abef, mut cdgh) = ([a], [c]);
        for chunk in blocks.chunks_exact(64) {
            let mut w = [load_block!(chunk.as_ptr(), mask)];
            block!(1, abef, cdgh, w);
        }
        let (lo, hi) = state_out!(abef[0], cdgh[0]);
        let p = state.as_mut_ptr() as *mut __m128i;
        _mm_storeu_si128(p, lo);
        _mm_storeu_si128(p.add(1), hi);
    }

    /// # Safety
    /// The CPU must have SHA, SSE2, SSSE3 and SSE4.1.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn lanes_bytes<const N: usize>(states: &mut [[u32; 8]; N], blocks: [&[u8; 64]; N]) {
        let mask = be_mask!();
        let mut abef = [_mm_setzero_si128(); N];
        let mut cdgh = [_mm_setzero_si128(); N];
        let mut w = [[_mm_setzero_si128(); 4]; N];
        for l in 0..N {
            (abef[l], cdgh[l]) = state_in!(states[l]);
            w[l] = load_block!(blocks[l].as_ptr(), mask);
        }
        block!(N, abef, cdgh, w);
        for l in 0..N {
            let (lo, hi) = state_out!(abef[l], cdgh[l]);
            let p = states[l].as_mut_ptr() as *mut __m128i;
            _mm_storeu_si128(p, lo);
            _mm_storeu_si128(p.add(1), hi);
        }
    }

    /// Shuffle masks by sliding window: `SHIFT[s..s + 16]` moves bytes down by `s` (zeros shifted in, as
    /// `pshufb` zeroes lanes whose mask byte has the top bit set); `SHL[16 - s..32 - s]` moves bytes up by `s`.
    static SHIFT: [u8; 32] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    ];
    static SHL: [u8; 32] = [
        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 1, 2, 3, 4,
        5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    ];
    /// `PAD[16 - r..32 - r]` is 0x80 at byte `r` and zero elsewhere (`r` in 0..=16).
    static PAD: [u8; 48] = {
        let mut t = [0u8; 48];
        t[16] = 0x80;
        t
    };

    /// Bytes `[0, len)` at `p` (`len` < 16) in a register, zeros above, reading only those bytes: two
    /// overlapping 8- or 4-byte loads, or single bytes below 4.
    macro_rules! load_partial {
        ($p:expr, $len:expr) => {{
            let (p, len): (*const u8, usize) = ($p, $len);
            // SAFETY (for the caller): every read below lies in [p, p + len): two 8-byte loads at 0 and
            // len - 8 when len >= 8, two 4-byte loads at 0 and len - 4 when len >= 4, else single bytes.
            if len >= 8 {
                let lo = _mm_loadl_epi64(p as *const __m128i);
                let hi = _mm_loadl_epi64(p.add(len - 8) as *const __m128i);
                let up = _mm_loadu_si128(SHL.as_ptr().add(16 - (len - 8)) as *const __m128i);
                _mm_or_si128(lo, _mm_shuffle_epi8(hi, up))
            } else if len >= 4 {
                let lo = _mm_cvtsi32_si128(core::ptr::read_unaligned(p as *const i32));
                let hi = _mm_cvtsi32_si128(core::ptr::read_unaligned(p.add(len - 4) as *const i32));
                let up = _mm_loadu_si128(SHL.as_ptr().add(16 - (len - 4)) as *const __m128i);
                _mm_or_si128(lo, _mm_shuffle_epi8(hi, up))
            } else if len > 0 {
                let v = u32::from(*p)
                    | u32::from(*p.add(len / 2)) << (8 * (len / 2))
                    | u32::from(*p.add(len - 1)) << (8 * (len - 1));
                _mm_cvtsi32_si128(v as i32)
            } else {
                _mm_setzero_si128()
            }
        }};
    }

    /// A message of at most [`SHORT_MAX`] bytes padded as the second block of an inner hash (after the
    /// 64-byte pad block), as message words, built in registers. Reads only bytes of `$msg`: whole 16-byte
    /// chunks, the last 16 bytes (when there are 16), or overlapping small loads (when there are fewer).
    macro_rules! load_short {
        ($msg:expr, $mask:expr) => {{
            let msg: &[u8] = $msg;
            let (p, len) = (msg.as_ptr(), msg.len());
            let mut c = [_mm_setzero_si128(); 4];
            let full = len / 16;
            let r = len % 16;
            for (j, chunk) in c.iter_mut().enumerate().take(full) {
                *chunk = _mm_loadu_si128(p.add(16 * j) as *const __m128i);
            }
            // SAFETY (for the caller): whole chunks end at 16 * full <= len; the tail load reads [len - 16, len)
            // when len >= 16; the table loads stay inside SHIFT and PAD (16 - r is in 1..=16).
            let tail = if full > 0 {
                // The last r bytes are the top of the message's last 16: shift them down.
                let last = _mm_loadu_si128(p.add(len - 16) as *const __m128i);
                _mm_shuffle_epi8(last, _mm_loadu_si128(SHIFT.as_ptr().add(16 - r) as *const __m128i))
            } else {
                load_partial!(p, len)
            };
            c[full] = _mm_or_si128(tail, _mm_loadu_si128(PAD.as_ptr().add(16 - r) as *const __m128i));
            let bits = ((64 + len) * 8) as i32;
            [
                _mm_shuffle_epi8(c[0], $mask),
                _mm_shuffle_epi8(c[1], $mask),
                _mm_shuffle_epi8(c[2], $mask),
                _mm_or_si128(_mm_shuffle_epi8(c[3], $mask), _mm_set_epi32(bits, 0, 0, 0)),
            ]
        }};
    }

    /// The inner and outer hashes of N short messages (each already padded into its inner block), all lanes
    /// interleaved; evaluates to the N outer states as (`[a,b,c,d]`, `[e,f,g,h]`) register pairs.
    macro_rules! hmac_short_body {
        ($n:expr, $inner:expr, $outer:expr, $msgs:expr) => {{
            let mask = be_mask!();
            let (ia, ic) = state_in!($inner);
            let (oa, oc) = state_in!($outer);
            let mut abef = [ia; $n];
            let mut cdgh = [ic; $n];
            let mut w = [[_mm_setzero_si128(); 4]; $n];
            for l in 0..$n {
                w[l] = load_short!($msgs[l], mask);
            }
            block!($n, abef, cdgh, w);
            // The outer block's words are the inner digest's words (no byte round trip), then the padding of
            // a 96-byte message: 0x80 after the digest, and the bit length 768 in the last word.
            let pad_lo = _mm_set_epi32(0, 0, 0, 0x8000_0000u32 as i32);
            let pad_hi = _mm_set_epi32(768, 0, 0, 0);
            for l in 0..$n {
                let (lo, hi) = state_out!(abef[l], cdgh[l]);
                w[l] = [lo, hi, pad_lo, pad_hi];
                abef[l] = oa;
                cdgh[l] = oc;
            }
            block!($n, abef, cdgh, w);
            let mut result = [(_mm_setzero_si128(), _mm_setzero_si128()); $n];
            for l in 0..$n {
                result[l] = state_out!(abef[l], cdgh[l]);
            }
            result
        }};
    }

    /// # Safety
    /// The CPU must have SHA, SSE2, SSSE3 and SSE4.1; every message must be at most [`SHORT_MAX`] bytes.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn hmac_short_hex<const N: usize>(
        inner: &[u32; 8],
        outer: &[u32; 8],
        msgs: [&[u8]; N],
        out: &mut [&mut [u8; 64]; N],
    ) {
        let states = hmac_short_body!(N, inner, outer, msgs);
        for l in 0..N {
            hex_state(states[l].0, states[l].1, &mut *out[l]);
        }
    }

    /// # Safety
    /// The CPU must have SHA, SSE2, SSSE3 and SSE4.1; every message must be at most [`SHORT_MAX`] bytes.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn hmac_short_words<const N: usize>(
        inner: &[u32; 8],
        outer: &[u32; 8],
        msgs: [&[u8]; N],
        out: &mut [[u32; 8]; N],
    ) {
        let states = hmac_short_body!(N, inner, outer, msgs);
        for l in 0..N {
            let p = out[l].as_mut_ptr() as *mut __m128i;
            _mm_storeu_si128(p, states[l].0);
            _mm_storeu_si128(p.add(1), states[l].1);
        }
    }

    /// Lowercase hex of eight words (`lo` = words 0..4, `hi` = words 4..8) as big-endian bytes.
    ///
    /// # Safety
    /// The CPU must have SSE2 and SSSE3.
    #[inline]
    #[target_feature(enable = "sse2,ssse3")]
    unsafe fn hex_state(lo: __m128i, hi: __m128i, out: &mut [u8; 64]) {
        let bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
        let digits = _mm_setr_epi8(
            b'0' as i8, b'1' as i8, b'2' as i8, b'3' as i8, b'4' as i8, b'5' as i8, b'6' as i8, b'7' as i8, b'8' as i8,
            b'9' as i8, b'a' as i8, b'b' as i8, b'c' as i8, b'd' as i8, b'e' as i8, b'f' as i8,
        );
        let nib = _mm_set1_epi8(0x0f);
        let p = out.as_mut_ptr() as *mut __m128i;
        for (i, v) in [lo, hi].into_iter().enumerate() {
            let bytes = _mm_shuffle_epi8(v, bswap);
            let high = _mm_shuffle_epi8(digits, _mm_and_si128(_mm_srli_epi16(bytes, 4), nib));
            let low = _mm_shuffle_epi8(digits, _mm_and_si128(bytes, nib));
            _mm_storeu_si128(p.add(2 * i), _mm_unpacklo_epi8(high, low));
            _mm_storeu_si128(p.add(2 * i + 1), _mm_unpackhi_epi8(high, low));
        }
    }
}
