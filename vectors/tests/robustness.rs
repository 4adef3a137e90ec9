//! No panic and bounded memory on any input to the parser and verifier: proptest over arbitrary bytes and
//! over mutations of every valid payload in the vectors, with a counting allocator measuring peak memory.

use ivconform_core::{verify, Platform};
use ivconform_vectors::{default_dir, load_dir, Group};
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Counts live and peak heap bytes (per process; the property tests below run one at a time under a lock).
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// The one unsafe item of this crate's tests: a global allocator must be an `unsafe impl`.
// SAFETY: `alloc` and `dealloc` forward their arguments unchanged to the system allocator, which upholds
// `GlobalAlloc`'s contract; the counters beside it are atomics and never touch the memory.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Peak extra heap bytes used while verifying `payload`.
fn peak_during(config: &ivconform_core::Config, payload: &[u8]) -> usize {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let _ = std::hint::black_box(verify(config, Platform::Web, payload));
    PEAK.load(Ordering::SeqCst).saturating_sub(base)
}

/// Memory the verifier may use for an input: a constant plus a multiple of its length (capped at the limit).
fn budget(len: usize) -> usize {
    64 * 1024 + 48 * len.min(64 * 1024)
}

struct Seeds {
    config: ivconform_core::Config,
    payloads: Vec<Vec<u8>>,
}

fn seeds() -> &'static Seeds {
    static S: OnceLock<Seeds> = OnceLock::new();
    S.get_or_init(|| {
        let suite = load_dir(&default_dir()).unwrap_or_else(|e| panic!("{e}"));
        let case = &suite.verify.cases[0];
        let config = suite.config_for(Group::Verify, case).clone();
        let payloads = suite
            .payload
            .cases
            .iter()
            .chain(&suite.verify.cases)
            .map(|c| c.payload_bytes())
            .filter(|p| p.len() < 8192)
            .collect();
        Seeds { config, payloads }
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Duplicate(usize, usize),
    Splice(usize, Vec<u8>),
}

fn apply(mut bytes: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let n = bytes.len().max(1);
        match m {
            Mutation::Flip(i, x) => {
                if let Some(b) = bytes.get_mut(i % n) {
                    *b ^= x;
                }
            }
            Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), *b),
            Mutation::Delete(i) => {
                if !bytes.is_empty() {
                    bytes.remove(i % n);
                }
            }
            Mutation::Duplicate(i, len) => {
                let start = i % n;
                let end = (start + len % 64).min(bytes.len());
                let chunk = bytes[start.min(bytes.len())..end].to_vec();
                bytes.splice(end..end, chunk);
            }
            Mutation::Splice(i, piece) => {
                let at = i % (bytes.len() + 1);
                bytes.splice(at..at, piece.iter().copied());
            }
        }
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tokens = prop::sample::select(vec![
        b"{".to_vec(),
        b"}".to_vec(),
        b"[".to_vec(),
        b"\"".to_vec(),
        b"\\u".to_vec(),
        b"\\ud800".to_vec(),
        b",".to_vec(),
        b":".to_vec(),
        b"\"user_id\":".to_vec(),
        b"\"user_hash\":".to_vec(),
        b"1e999".to_vec(),
        b"9007199254740993".to_vec(),
        b"null".to_vec(),
        vec![0xff],
        vec![0xef, 0xbb, 0xbf],
        b"[".repeat(40),
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), any::<usize>()).prop_map(|(i, l)| Mutation::Duplicate(i, l)),
        (any::<usize>(), tokens).prop_map(|(i, t)| Mutation::Splice(i, t)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_in_budget(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let peak = peak_during(&seeds().config, &bytes);
        prop_assert!(peak <= budget(bytes.len()), "{peak} bytes for a {}-byte input", bytes.len());
    }

    #[test]
    fn mutated_payloads_never_panic_and_stay_in_budget(
        seed in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..8),
    ) {
        let s = seeds();
        let input = apply(seed.get(&s.payloads).clone(), &muts);
        let peak = peak_during(&s.config, &input);
        prop_assert!(peak <= budget(input.len()), "{peak} bytes for a {}-byte input", input.len());
    }
}

#[test]
fn worst_case_shapes_stay_in_budget() {
    let config = &seeds().config;
    let shapes: Vec<Vec<u8>> = vec![
        "[".repeat(65536).into_bytes(),
        format!("{{\"a\":{}}}", "[".repeat(31).to_string() + &"[],".repeat(10000)).into_bytes(),
        format!("{{{}\"z\":0}}", (0..6000).map(|i| format!("\"{i}\":0,")).collect::<String>()).into_bytes(),
        format!("[{}0]", "0,".repeat(32000)).into_bytes(),
        vec![b'x'; 10 << 20],
    ];
    for s in shapes {
        let peak = peak_during(config, &s);
        assert!(peak <= budget(s.len()), "{peak} bytes for a {}-byte input", s.len());
    }
}
