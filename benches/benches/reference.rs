//! Criterion benches of the reference, with the hardware floor and the peers in the same run so every
//! figure reads as a ratio (`benches/ratios.py` prints them from criterion's estimates):
//!
//! * `floor`: SHA-256 compression alone: two blocks + hex encoding (the floor of a keyed HMAC of a short
//!   identifier), and `bulk_sha256_16KiB` (throughput in blocks, so criterion's elem/s gives ns per block).
//! * `user_hash/*/LEN`: identifiers of 16, 36, 64, 256 and 1,024 bytes: the keyed signer, fresh-key signing
//!   (raw and through the whole `user_hash` API), RustCrypto's `Hmac` (fresh key and pre-keyed clone), and
//!   with `--features peers`, ring (reused key) and OpenSSL (pre-keyed `HMAC_CTX`, and a fresh `Signer`).
//! * `sign_many`: the batch API on 64 UUID identifiers (per-hash cost vs the floor).
//! * `verify`: `payload_parse` alone, and `verify_typical` (parse + select + MAC + constant-time compare).
//! * `suite`: every golden vector's request through the in-process reference.
//!
//! Every output is hex (`user_hash` is hex), so each peer's tag is hex-encoded with the same encoder.
//! Run: `cargo bench -p ivconform-benches --features peers --bench reference` (HTML reports in
//! target/criterion/report/), then `python3 benches/ratios.py`; `--bench ratios` measures the ratios interleaved.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, Mac};
use ivconform_benches::*;
use ivconform_core::hex::TAG_HEX_LEN;
use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::mac::encode_tag_into;
use ivconform_core::{user_hash, BootPayload, Platform, Signer};
use sha2::digest::generic_array::GenericArray;
use sha2::Sha256;
use std::hint::black_box;
use std::time::Duration;

/// A SHA-256 state as digest bytes.
fn state_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

const IV: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

fn floor(c: &mut Criterion) {
    let mut g = c.benchmark_group("floor");
    g.throughput(Throughput::Elements(1));
    // The least any HMAC-SHA256 of a short message with a precomputed key can cost: two compression blocks
    // (inner, outer) in one call, and the hex of the result.
    let blocks = [GenericArray::from([0x5au8; 64]), GenericArray::from([0xa5u8; 64])];
    g.bench_function("two_blocks_plus_hex", |b| {
        let mut out = [0u8; TAG_HEX_LEN];
        b.iter(|| {
            let mut state = IV;
            sha2::compress256(&mut state, black_box(&blocks));
            encode_tag_into(&state_bytes(&state), &mut out);
            black_box(&mut out);
        })
    });
    g.bench_function("one_block", |b| {
        b.iter(|| {
            let mut state = IV;
            sha2::compress256(&mut state, black_box(&blocks[..1]));
            state
        })
    });
    g.bench_function("hex_32_bytes", |b| {
        let mut out = [0u8; TAG_HEX_LEN];
        let tag = [0x3cu8; 32];
        b.iter(|| {
            encode_tag_into(black_box(&tag), &mut out);
            black_box(&mut out);
        })
    });
    g.bench_function("hex_32_bytes_swar", |b| {
        let mut out = [0u8; TAG_HEX_LEN];
        let tag = [0x3cu8; 32];
        b.iter(|| {
            ivconform_core::hex::encode_lower_into(black_box(&tag), &mut out);
            black_box(&mut out);
        })
    });
    // Bulk hashing: 16 KiB is 256 blocks, so elements/s is blocks/s (ns per block = 1e9 / elem/s).
    let bulk: Vec<GenericArray<u8, _>> = (0..256u32).map(|i| GenericArray::from([i as u8; 64])).collect();
    g.throughput(Throughput::Elements(bulk.len() as u64));
    g.bench_function("bulk_sha256_16KiB", |b| {
        b.iter(|| {
            let mut state = IV;
            sha2::compress256(&mut state, black_box(&bulk));
            state
        })
    });
    g.finish();
}

fn sign(c: &mut Criterion) {
    let mut g = c.benchmark_group("user_hash");
    g.throughput(Throughput::Elements(1));
    let signer = Signer::new(SECRET).expect("secret");
    let rustcrypto = Hmac::<Sha256>::new_from_slice(SECRET).expect("any key");
    #[cfg(feature = "peers")]
    let ring_key = peers::ring_key(SECRET);
    #[cfg(feature = "peers")]
    let mut openssl = peers::OpensslKeyed::new(SECRET);
    for len in IDENTIFIER_LENGTHS {
        let id = identifier(len);
        let mut out = [0u8; TAG_HEX_LEN];
        g.bench_with_input(BenchmarkId::new("keyed_signer", len), &id, |b, m| {
            b.iter(|| {
                signer.hash_into(black_box(m), &mut out);
                black_box(&mut out);
            })
        });
        g.bench_with_input(BenchmarkId::new("fresh_key", len), &id, |b, m| {
            b.iter(|| {
                Signer::new(black_box(SECRET)).expect("secret").hash_into(black_box(m), &mut out);
                black_box(&mut out);
            })
        });
        g.bench_with_input(BenchmarkId::new("fresh_key_user_hash_api", len), &id, |b, m| {
            let ids =
                Identifiers { user_id: Some(UserId::Text(String::from_utf8(m.clone()).expect("ASCII"))), email: None };
            b.iter(|| user_hash(black_box(SECRET), black_box(&ids)).expect("signs"))
        });
        g.bench_with_input(BenchmarkId::new("rustcrypto_fresh_key", len), &id, |b, m| {
            b.iter(|| {
                let mut mac = Hmac::<Sha256>::new_from_slice(black_box(SECRET)).expect("any key");
                mac.update(black_box(m));
                encode_tag_into(&mac.finalize().into_bytes().into(), &mut out);
                black_box(&mut out);
            })
        });
        g.bench_with_input(BenchmarkId::new("rustcrypto_keyed", len), &id, |b, m| {
            b.iter(|| {
                let mut mac = rustcrypto.clone();
                mac.update(black_box(m));
                encode_tag_into(&mac.finalize().into_bytes().into(), &mut out);
                black_box(&mut out);
            })
        });
        #[cfg(feature = "peers")]
        {
            g.bench_with_input(BenchmarkId::new("ring_keyed", len), &id, |b, m| {
                b.iter(|| {
                    let tag = ring::hmac::sign(&ring_key, black_box(m));
                    encode_tag_into(tag.as_ref().try_into().expect("32 bytes"), &mut out);
                    black_box(&mut out);
                })
            });
            g.bench_with_input(BenchmarkId::new("openssl_keyed", len), &id, |b, m| {
                b.iter(|| {
                    encode_tag_into(&openssl.mac(black_box(m)), &mut out);
                    black_box(&mut out);
                })
            });
            g.bench_with_input(BenchmarkId::new("openssl_fresh_key", len), &id, |b, m| {
                b.iter(|| {
                    let tag = peers::openssl_fresh(black_box(SECRET), black_box(m));
                    encode_tag_into(tag.as_slice().try_into().expect("32 bytes"), &mut out);
                    black_box(&mut out);
                })
            });
        }
    }
    g.finish();
}

fn batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("sign_many");
    let signer = Signer::new(SECRET).expect("secret");
    // 64 distinct UUID-sized identifiers.
    let ids: Vec<Vec<u8>> = (0..64u32)
        .map(|i| {
            let mut id = identifier(36);
            id[..8].copy_from_slice(format!("{i:08x}").as_bytes());
            id
        })
        .collect();
    let mut out = vec![[0u8; TAG_HEX_LEN]; ids.len()];
    g.throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function("uuid_x64", |b| {
        b.iter(|| {
            signer.sign_many(black_box(&ids), &mut out);
            black_box(&mut out);
        })
    });
    g.bench_function("uuid_x64_one_by_one", |b| {
        b.iter(|| {
            for (m, o) in ids.iter().zip(out.iter_mut()) {
                signer.hash_into(black_box(m), o);
            }
            black_box(&mut out);
        })
    });
    g.finish();
}

fn parse_and_verify(c: &mut Criterion) {
    let payload = typical_payload();
    let config = config();
    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("payload_parse", |b| b.iter(|| BootPayload::parse(black_box(&payload)).expect("parses")));
    g.bench_function("verify_typical", |b| {
        b.iter(|| ivconform_core::verify(&config, Platform::Web, black_box(&payload)))
    });
    g.finish();
}

fn suite(c: &mut Criterion) {
    let requests = suite_requests();
    let mut g = c.benchmark_group("suite");
    g.throughput(Throughput::Elements(requests.len() as u64));
    g.bench_function("vectors_in_process_reference", |b| {
        b.iter(|| {
            let mut answered = 0usize;
            for r in &requests {
                let answer = ivconform_protocol::reference::handle(black_box(r));
                answered += usize::from(answer.seq() == r.seq());
            }
            answered
        })
    });
    g.finish();
}

fn config_criterion() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_millis(700)).measurement_time(Duration::from_secs(2))
}

// criterion_group! defines a public `benches` function without a doc comment.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group! {
        name = benches;
        config = config_criterion();
        targets = floor, sign, batch, parse_and_verify, suite
    }
}
use group::benches;
criterion_main!(benches);
