//! The HMAC-SHA256 engine behind [`Keyed`](super::Keyed) and [`Signer`](crate::sign::Signer): the key's
//! inner and outer pad midstates precomputed as SHA-256 states (`[u32; 8]`), short messages padded in place
//! into the single block they need, the inner digest fed to the outer block as words, no allocation.
//!
//! Costs for a message of up to [`SHORT_MAX`] bytes (a UUID, an email, a decimal id): two compression blocks
//! per tag, the hardware floor of HMAC-SHA256 with a reused key. Longer messages take the general path:
//! their whole blocks are compressed straight from the caller's slice, then the padded tail.
//!
//! Compression runs on SHA-NI when the CPU has it ([`super::shani`], which also interleaves independent
//! messages for [`Midstates::hex_many`]), else on RustCrypto's `sha2::compress256`. Both paths are checked
//! against RustCrypto's `Hmac<Sha256>` by the proptests below.

use super::shani::ShaNi;
use super::SHORT_MAX;
use crate::hex::encode_words_into;
use sha2::digest::generic_array::GenericArray;

/// SHA-256's initial state.
pub(crate) const IV: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// How many independent messages [`Midstates::hex_many`] hashes together on SHA-NI. Two already fill the
/// SHA unit of the CPUs measured (AMD EPYC); four spill registers (each lane holds 6 of the 16 XMM registers)
/// and measured no faster.
pub(crate) const LANES: usize = 2;

/// Which compression function runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    /// The x86 SHA extensions, with interleaving.
    ShaNi(ShaNi),
    /// RustCrypto's `sha2::compress256` (itself SHA-NI or software), one stream.
    Portable,
}

impl Engine {
    /// SHA-NI when the CPU has it, else portable.
    pub(crate) fn detect() -> Engine {
        ShaNi::detect().map_or(Engine::Portable, Engine::ShaNi)
    }

    /// Compresses whole blocks (`blocks.len()` a multiple of 64) into `state`.
    fn compress(self, state: &mut [u32; 8], blocks: &[u8]) {
        match self {
            Engine::ShaNi(t) => t.compress(state, blocks),
            Engine::Portable => portable_compress(state, blocks),
        }
    }

    /// One block into each of two independent states (interleaved on SHA-NI).
    fn compress2(self, states: &mut [[u32; 8]; 2], blocks: [&[u8; 64]; 2]) {
        match self {
            Engine::ShaNi(t) => t.compress_lanes(states, blocks),
            Engine::Portable => {
                portable_compress(&mut states[0], blocks[0]);
                portable_compress(&mut states[1], blocks[1]);
            }
        }
    }

    /// Lowercase hex of a state's digest bytes.
    fn hex(self, words: &[u32; 8], out: &mut [u8; 64]) {
        match self {
            Engine::ShaNi(t) => t.hex_words(words, out),
            Engine::Portable => encode_words_into(words, out),
        }
    }
}

/// `sha2::compress256` over whole blocks of a byte slice. `compress256` wants `GenericArray` blocks, so
/// multi-block input is copied into a small stack batch (a copy costs far less than a compression).
fn portable_compress(state: &mut [u32; 8], blocks: &[u8]) {
    debug_assert!(blocks.len() % 64 == 0);
    if blocks.len() == 64 {
        sha2::compress256(state, core::slice::from_ref(GenericArray::from_slice(blocks)));
        return;
    }
    let mut batch = [GenericArray::default(); 8];
    for group in blocks.chunks(64 * batch.len()) {
        let n = group.len() / 64;
        for (b, chunk) in batch.iter_mut().zip(group.chunks_exact(64)) {
            b.copy_from_slice(chunk);
        }
        sha2::compress256(state, &batch[..n]);
    }
}

/// Message `msg` (at most [`SHORT_MAX`] bytes) padded in place as the second block of an inner hash.
#[inline]
fn short_block(msg: &[u8]) -> [u8; 64] {
    debug_assert!(msg.len() <= SHORT_MAX);
    let mut block = [0u8; 64];
    block[..msg.len()].copy_from_slice(msg);
    block[msg.len()] = 0x80;
    block[56..].copy_from_slice(&(((64 + msg.len()) as u64) * 8).to_be_bytes());
    block
}

/// Finishes a SHA-256 whose state has absorbed `prefix` bytes: the whole blocks of `msg` from the slice
/// itself, then the padded tail (one or two blocks).
fn absorb_and_pad(engine: Engine, state: &mut [u32; 8], msg: &[u8], prefix: usize) {
    let whole = msg.len() - msg.len() % 64;
    if whole > 0 {
        engine.compress(state, &msg[..whole]);
    }
    let rest = &msg[whole..];
    let mut tail = [0u8; 128];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let n = if rest.len() <= SHORT_MAX { 64 } else { 128 };
    tail[n - 8..n].copy_from_slice(&(((prefix + msg.len()) as u64) * 8).to_be_bytes());
    engine.compress(state, &tail[..n]);
}

/// A state's digest bytes (big-endian words).
pub(crate) fn digest_bytes(words: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(words) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// An HMAC-SHA256 key, as the SHA-256 states after its inner (0x36) and outer (0x5c) pad blocks.
#[derive(Clone)]
pub(crate) struct Midstates {
    inner: [u32; 8],
    outer: [u32; 8],
    engine: Engine,
}

impl Midstates {
    /// Keys `key` (any length; longer than 64 bytes is hashed first, RFC 2104) on the best engine here.
    pub(crate) fn new(key: &[u8]) -> Self {
        Self::with_engine(key, Engine::detect())
    }

    /// Keys `key` on a given engine (tests force the portable one).
    pub(crate) fn with_engine(key: &[u8], engine: Engine) -> Self {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            let mut state = IV;
            absorb_and_pad(engine, &mut state, key, 0);
            block[..32].copy_from_slice(&digest_bytes(&state));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let (mut ipad, mut opad) = (block, block);
        ipad.iter_mut().for_each(|b| *b ^= 0x36);
        opad.iter_mut().for_each(|b| *b ^= 0x5c);
        // The two pad blocks are independent: one interleaved call on SHA-NI.
        let mut states = [IV, IV];
        engine.compress2(&mut states, [&ipad, &opad]);
        Midstates { inner: states[0], outer: states[1], engine }
    }

    /// The tag of `msg`, as the outer hash's state words.
    pub(crate) fn tag_words(&self, msg: &[u8]) -> [u32; 8] {
        let mut state = self.inner;
        if msg.len() <= SHORT_MAX {
            self.engine.compress(&mut state, &short_block(msg));
        } else {
            absorb_and_pad(self.engine, &mut state, msg, 64);
        }
        self.outer_words(&state)
    }

    /// The outer hash over an inner digest: one block (digest, 0x80, bit length 768).
    fn outer_words(&self, inner: &[u32; 8]) -> [u32; 8] {
        let mut block = [0u8; 64];
        for (o, w) in block.chunks_exact_mut(4).zip(inner) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        block[32] = 0x80;
        block[62..].copy_from_slice(&768u16.to_be_bytes());
        let mut state = self.outer;
        self.engine.compress(&mut state, &block);
        state
    }

    /// The tag of `msg` as bytes.
    pub(crate) fn tag(&self, msg: &[u8]) -> [u8; 32] {
        match self.engine {
            Engine::ShaNi(t) if msg.len() <= SHORT_MAX => {
                let mut out = [[0u32; 8]];
                t.hmac_short_words(&self.inner, &self.outer, [msg], &mut out);
                digest_bytes(&out[0])
            }
            _ => digest_bytes(&self.tag_words(msg)),
        }
    }

    /// The tag of `msg` as lowercase hex into `out`.
    pub(crate) fn hex_into(&self, msg: &[u8], out: &mut [u8; 64]) {
        match self.engine {
            Engine::ShaNi(t) if msg.len() <= SHORT_MAX => {
                t.hmac_short(&self.inner, &self.outer, [msg], &mut [out]);
            }
            _ => self.engine.hex(&self.tag_words(msg), out),
        }
    }

    /// The tags of many messages as lowercase hex, `out[i]` for `messages[i]`. On SHA-NI, short messages
    /// are hashed [`LANES`] at a time, interleaved (throughput rather than latency); others one by one.
    pub(crate) fn hex_many<M: AsRef<[u8]>>(&self, messages: &[M], out: &mut [[u8; 64]]) {
        assert_eq!(messages.len(), out.len(), "one output per message");
        let Engine::ShaNi(t) = self.engine else {
            for (m, o) in messages.iter().zip(out.iter_mut()) {
                self.hex_into(m.as_ref(), o);
            }
            return;
        };
        let mut batch: [&[u8]; LANES] = [&[]; LANES];
        let mut index = [0usize; LANES];
        let mut pending = 0;
        for (i, m) in messages.iter().enumerate() {
            let m = m.as_ref();
            if m.len() > SHORT_MAX {
                self.hex_into(m, &mut out[i]);
                continue;
            }
            batch[pending] = m;
            index[pending] = i;
            pending += 1;
            if pending == LANES {
                let mut hex = [[0u8; 64]; LANES];
                t.hmac_short(&self.inner, &self.outer, batch, &mut hex.each_mut());
                for (h, &i) in hex.iter().zip(&index) {
                    out[i] = *h;
                }
                pending = 0;
            }
        }
        // The last few (fewer than LANES): pairs, then a single one.
        let mut k = 0;
        while pending - k >= 2 {
            let mut hex = [[0u8; 64]; 2];
            t.hmac_short(&self.inner, &self.outer, [batch[k], batch[k + 1]], &mut hex.each_mut());
            out[index[k]] = hex[0];
            out[index[k + 1]] = hex[1];
            k += 2;
        }
        if k < pending {
            t.hmac_short(&self.inner, &self.outer, [batch[k]], &mut [&mut out[index[k]]]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use proptest::prelude::*;
    use sha2::Sha256;

    /// The plain path: RustCrypto's HMAC, hex-encoded the simple way.
    fn plain(key: &[u8], msg: &[u8]) -> [u8; 32] {
        let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
        m.update(msg);
        m.finalize().into_bytes().into()
    }

    fn plain_hex(key: &[u8], msg: &[u8]) -> String {
        plain(key, msg).iter().map(|b| format!("{b:02x}")).collect()
    }

    fn engines() -> Vec<Engine> {
        let mut e = vec![Engine::Portable];
        e.extend(ShaNi::detect().map(Engine::ShaNi));
        e
    }

    /// Lengths that straddle every padding boundary: 0, 55/56 (one or two tail blocks), 63/64/65, ...
    fn length() -> impl Strategy<Value = usize> {
        prop_oneof![
            0usize..300,
            prop::sample::select(vec![
                0, 1, 31, 32, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 183, 184, 255, 256, 299
            ]),
        ]
    }

    fn bytes(len: impl Strategy<Value = usize>) -> impl Strategy<Value = Vec<u8>> {
        len.prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n))
    }

    fn key() -> impl Strategy<Value = Vec<u8>> {
        bytes(prop_oneof![0usize..130, prop::sample::select(vec![1, 32, 63, 64, 65, 128, 200])])
    }

    #[test]
    fn known_answer_rfc4231_case_2() {
        for e in engines() {
            let m = Midstates::with_engine(b"Jefe", e);
            let mut hex = [0u8; 64];
            m.hex_into(b"what do ya want for nothing?", &mut hex);
            assert_eq!(&hex[..], b"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "{e:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn every_path_matches_plain_hmac(key in key(), msg in bytes(length())) {
            let want = plain(&key, &msg);
            let want_hex = plain_hex(&key, &msg);
            for e in engines() {
                let m = Midstates::with_engine(&key, e);
                prop_assert_eq!(m.tag(&msg), want, "tag, {:?}", e);
                prop_assert_eq!(digest_bytes(&m.tag_words(&msg)), want, "tag_words, {:?}", e);
                let mut hex = [0u8; 64];
                m.hex_into(&msg, &mut hex);
                prop_assert_eq!(std::str::from_utf8(&hex).unwrap(), want_hex.as_str(), "hex_into, {:?}", e);
            }
        }

        #[test]
        fn batches_match_plain_hmac(key in key(), msgs in proptest::collection::vec(bytes(length()), 0..12)) {
            for e in engines() {
                let m = Midstates::with_engine(&key, e);
                let mut out = vec![[0u8; 64]; msgs.len()];
                m.hex_many(&msgs, &mut out);
                for (msg, hex) in msgs.iter().zip(&out) {
                    let want = plain_hex(&key, msg);
                    prop_assert_eq!(std::str::from_utf8(hex).unwrap(), want.as_str(), "{:?}", e);
                }
            }
        }

        #[test]
        fn multi_block_compression_matches_sha256(msg in bytes(length())) {
            use sha2::Digest;
            for e in engines() {
                let mut state = IV;
                absorb_and_pad(e, &mut state, &msg, 0);
                prop_assert_eq!(&digest_bytes(&state)[..], &Sha256::digest(&msg)[..], "{:?}", e);
            }
        }
    }
}
