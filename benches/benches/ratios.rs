//! Interleaved ratios: the same contenders as `reference.rs` (the floor, our keyed and fresh-key signer,
//! `sign_many`, RustCrypto, and with `--features peers` ring and OpenSSL), measured round-robin in short
//! batches (about 0.5 ms each) for many rounds, so every contender sees the same machine load; each ratio is
//! the median over rounds of the per-round ratio. On a shared, busy machine this is steadier than comparing
//! criterion benches that ran minutes apart.
//!
//! `cargo bench -p ivconform-benches --features peers --bench ratios [-- ROUNDS]`

use hmac::{Hmac, Mac};
use ivconform_benches::{identifier, IDENTIFIER_LENGTHS, SECRET};
use ivconform_core::hex::TAG_HEX_LEN;
use ivconform_core::mac::encode_tag_into;
use ivconform_core::Signer;
use sha2::digest::generic_array::GenericArray;
use sha2::Sha256;
use std::hint::black_box;
use std::time::Instant;

const IV: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// A contender: a name and a closure doing `n` iterations.
struct Contender<'a> {
    name: String,
    /// Work items per iteration (64 for the batch API), to report per-item time.
    items: u64,
    run: Box<dyn FnMut(u64) + 'a>,
    iters: u64,
    samples: Vec<f64>,
}

fn contender<'a>(name: impl Into<String>, items: u64, run: impl FnMut(u64) + 'a) -> Contender<'a> {
    Contender { name: name.into(), items, run: Box::new(run), iters: 1, samples: Vec::new() }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn main() {
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(300);
    let signer = Signer::new(SECRET).expect("secret");
    let rustcrypto = Hmac::<Sha256>::new_from_slice(SECRET).expect("any key");
    #[cfg(feature = "peers")]
    let ring_key = ivconform_benches::peers::ring_key(SECRET);
    let blocks = [GenericArray::from([0x5au8; 64]), GenericArray::from([0xa5u8; 64])];
    let ids: Vec<Vec<u8>> = IDENTIFIER_LENGTHS.iter().map(|&n| identifier(n)).collect();
    let uuids: Vec<Vec<u8>> = (0..64u32)
        .map(|i| {
            let mut id = identifier(36);
            id[..8].copy_from_slice(format!("{i:08x}").as_bytes());
            id
        })
        .collect();

    let mut cs: Vec<Contender<'_>> = Vec::new();
    cs.push(contender("floor", 1, |n| {
        let mut out = [0u8; TAG_HEX_LEN];
        for _ in 0..n {
            let mut state = IV;
            sha2::compress256(&mut state, black_box(&blocks));
            let mut bytes = [0u8; 32];
            for (o, w) in bytes.chunks_exact_mut(4).zip(&state) {
                o.copy_from_slice(&w.to_be_bytes());
            }
            encode_tag_into(&bytes, &mut out);
            black_box(&mut out);
        }
    }));
    for (len, id) in IDENTIFIER_LENGTHS.iter().zip(&ids) {
        let signer = &signer;
        cs.push(contender(format!("keyed/{len}"), 1, move |n| {
            let mut out = [0u8; TAG_HEX_LEN];
            for _ in 0..n {
                signer.hash_into(black_box(id), &mut out);
                black_box(&mut out);
            }
        }));
        cs.push(contender(format!("fresh/{len}"), 1, move |n| {
            let mut out = [0u8; TAG_HEX_LEN];
            for _ in 0..n {
                Signer::new(black_box(SECRET)).expect("secret").hash_into(black_box(id), &mut out);
                black_box(&mut out);
            }
        }));
        let rc = &rustcrypto;
        cs.push(contender(format!("rustcrypto_keyed/{len}"), 1, move |n| {
            let mut out = [0u8; TAG_HEX_LEN];
            for _ in 0..n {
                let mut mac = rc.clone();
                mac.update(black_box(id));
                encode_tag_into(&mac.finalize().into_bytes().into(), &mut out);
                black_box(&mut out);
            }
        }));
        cs.push(contender(format!("rustcrypto_fresh/{len}"), 1, move |n| {
            let mut out = [0u8; TAG_HEX_LEN];
            for _ in 0..n {
                let mut mac = Hmac::<Sha256>::new_from_slice(black_box(SECRET)).expect("any key");
                mac.update(black_box(id));
                encode_tag_into(&mac.finalize().into_bytes().into(), &mut out);
                black_box(&mut out);
            }
        }));
        #[cfg(feature = "peers")]
        {
            let ring_key = &ring_key;
            cs.push(contender(format!("ring/{len}"), 1, move |n| {
                let mut out = [0u8; TAG_HEX_LEN];
                for _ in 0..n {
                    let tag = ring::hmac::sign(ring_key, black_box(id));
                    encode_tag_into(tag.as_ref().try_into().expect("32 bytes"), &mut out);
                    black_box(&mut out);
                }
            }));
            let mut openssl = ivconform_benches::peers::OpensslKeyed::new(SECRET);
            cs.push(contender(format!("openssl/{len}"), 1, move |n| {
                let mut out = [0u8; TAG_HEX_LEN];
                for _ in 0..n {
                    encode_tag_into(&openssl.mac(black_box(id)), &mut out);
                    black_box(&mut out);
                }
            }));
        }
    }
    {
        let (signer, uuids) = (&signer, &uuids);
        cs.push(contender("sign_many/64", 64, move |n| {
            let mut out = vec![[0u8; TAG_HEX_LEN]; uuids.len()];
            for _ in 0..n {
                signer.sign_many(black_box(uuids), &mut out);
                black_box(&mut out);
            }
        }));
        cs.push(contender("one_by_one/64", 64, move |n| {
            let mut out = vec![[0u8; TAG_HEX_LEN]; uuids.len()];
            for _ in 0..n {
                for (m, o) in uuids.iter().zip(out.iter_mut()) {
                    signer.hash_into(black_box(m), o);
                }
                black_box(&mut out);
            }
        }));
    }

    // Calibrate each contender to about 0.5 ms per batch (and warm up).
    for c in &mut cs {
        loop {
            let t = Instant::now();
            (c.run)(c.iters);
            if t.elapsed().as_secs_f64() > 5e-4 || c.iters > 1 << 30 {
                break;
            }
            c.iters *= 2;
        }
    }
    for _ in 0..rounds {
        for c in &mut cs {
            let t = Instant::now();
            (c.run)(c.iters);
            c.samples.push(t.elapsed().as_nanos() as f64 / (c.iters * c.items) as f64);
        }
    }
    let idx = |name: &str| cs.iter().position(|c| c.name == name);
    // Median over rounds of a per-round ratio (or of one contender's time when `b` is None).
    let ratio = |a: &str, b: Option<&str>| -> Option<f64> {
        let a = &cs[idx(a)?].samples;
        let mut v: Vec<f64> = match b {
            Some(b) => {
                let b = &cs[idx(b)?].samples;
                a.iter().zip(b).map(|(x, y)| x / y).collect()
            }
            None => a.clone(),
        };
        Some(median(&mut v))
    };
    let f = |v: Option<f64>, prec: usize| v.map_or("-".to_string(), |x| format!("{x:.prec$}"));
    println!("interleaved: {rounds} rounds, ~0.5 ms per contender per round; medians over rounds (ns per hash)");
    println!("floor (sha2::compress256 on 2 blocks + hex): {} ns", f(ratio("floor", None), 1));
    println!();
    println!(
        "{:>5} {:>9} {:>10} {:>9} {:>12} {:>15} {:>9} {:>16}",
        "len", "keyed ns", "ours/floor", "ours/ring", "ours/OpenSSL", "ours/RustCrypto", "fresh ns", "fresh/RustCrypto"
    );
    for len in IDENTIFIER_LENGTHS {
        let k = format!("keyed/{len}");
        let floor = if len <= ivconform_core::mac::SHORT_MAX { ratio(&k, Some("floor")) } else { None };
        println!(
            "{:>5} {:>9} {:>10} {:>9} {:>12} {:>15} {:>9} {:>16}",
            len,
            f(ratio(&k, None), 1),
            f(floor, 2),
            f(ratio(&k, Some(&format!("ring/{len}"))), 2),
            f(ratio(&k, Some(&format!("openssl/{len}"))), 2),
            f(ratio(&k, Some(&format!("rustcrypto_keyed/{len}"))), 2),
            f(ratio(&format!("fresh/{len}"), None), 1),
            f(ratio(&format!("fresh/{len}"), Some(&format!("rustcrypto_fresh/{len}"))), 2),
        );
    }
    println!();
    println!(
        "sign_many (64 UUIDs): {} ns per hash = {} x floor, {} x the keyed signer one by one",
        f(ratio("sign_many/64", None), 1),
        f(ratio("sign_many/64", Some("floor")), 2),
        f(ratio("sign_many/64", Some("one_by_one/64")), 2),
    );
    println!("(ratios below 1: ours is faster; ours/floor only up to 55 bytes, where an HMAC is two blocks)");
}
