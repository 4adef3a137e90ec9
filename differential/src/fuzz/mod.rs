//! Differential fuzzing of any implementation (`ivconform fuzz`): generated and mutated boot payloads are
//! sent to the implementation under test, each answer is graded against the reference's decision for the
//! same configuration, platform and bytes, and the first disagreement is shrunk to a minimal reproducer.
//!
//! There is no coverage feedback across a transport, so the generator leans on what the project knows:
//! [`corpus`] seeds it with every payload of the golden vectors and with structured payloads from the
//! property-test strategies; [`mutate`] applies byte, dictionary and JSON-value mutations, then often
//! refreshes `user_hash` so the mutated identity still carries a correct (or another platform's) hash and
//! the verified path gets exercised, not just the parser's error paths; [`shrink`] minimises a
//! disagreement by deleting chunks while the implementation keeps disagreeing the same way, with [`resign`]
//! keeping a bound `user_hash` right for the shrinking identifier; [`finding`]
//! writes the reproducer (raw payload and a ready-to-paste vector) and replays it.

pub mod corpus;
pub mod finding;
pub mod mutate;
pub mod resign;
pub mod shrink;

/// The payload size mutations stop growing at: past SPEC's 64 KiB limit, so the limit itself is probed.
pub const MAX_LEN: usize = 70 * 1024;

/// A small seeded random source (proptest's ChaCha `TestRng`), so a seed replays a run exactly.
pub struct FuzzRng(proptest::test_runner::TestRng);

impl FuzzRng {
    /// The generator for `seed`.
    pub fn new(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8..16].copy_from_slice(b"ivc-fuzz");
        FuzzRng(proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &bytes))
    }

    /// A uniform number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        use proptest::prelude::Rng as _;
        (self.0.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A fresh 32-byte seed for proptest's generators.
    pub fn seed_bytes(&mut self) -> [u8; 32] {
        use proptest::prelude::Rng as _;
        let mut b = [0u8; 32];
        self.0.fill_bytes(&mut b);
        b
    }
}
