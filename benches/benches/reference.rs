//! Throughput of the reference: `user_hash` (fresh key vs keyed signer) across identifier lengths, payload
//! parsing, and whole verification; RustCrypto's plain `Hmac` in the same run as the peer for ratios.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, Mac};
use ivconform_benches::*;
use ivconform_core::identifier::{Identifiers, UserId};
use ivconform_core::{user_hash, BootPayload, Platform, Signer};
use sha2::Sha256;
use std::hint::black_box;

fn sign(c: &mut Criterion) {
    let mut g = c.benchmark_group("user_hash");
    let signer = Signer::new(SECRET).expect("secret");
    for len in IDENTIFIER_LENGTHS {
        let id = identifier(len);
        let text = String::from_utf8(id.clone()).expect("ASCII");
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::new("fresh_key", len), &text, |b, t| {
            let ids = Identifiers { user_id: Some(UserId::Text(t.clone())), email: None };
            b.iter(|| user_hash(black_box(SECRET), black_box(&ids)).expect("signs"))
        });
        g.bench_with_input(BenchmarkId::new("keyed_signer", len), &id, |b, m| {
            let mut out = [0u8; 64];
            b.iter(|| signer.hash_into(black_box(m), &mut out))
        });
        g.bench_with_input(BenchmarkId::new("rustcrypto_hmac_fresh_key", len), &id, |b, m| {
            b.iter(|| {
                let mut mac = Hmac::<Sha256>::new_from_slice(black_box(SECRET)).expect("any key");
                mac.update(black_box(m));
                mac.finalize().into_bytes()
            })
        });
    }
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

criterion_group!(benches, sign, parse_and_verify);
criterion_main!(benches);
