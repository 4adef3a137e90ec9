//! Where fuzzed payloads come from: every payload of the golden vectors (with its configuration and
//! platform), and structured payloads drawn from the property-test strategies.

use super::FuzzRng;
use super::MAX_LEN;
use crate::props::strategies::verify_input;
use ivconform_core::{Config, Platform};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use std::sync::Arc;

/// A payload with the configuration and platform it is judged under.
#[derive(Clone)]
pub struct Seed {
    /// The workspaces.
    pub config: Arc<Config>,
    /// The request's platform.
    pub platform: Platform,
    /// The boot payload's bytes.
    pub payload: Vec<u8>,
    /// The current time the payload is judged at (JWT cases), else none.
    pub now: Option<i64>,
}

/// Every payload of `payload.json`, `verify.json` and `jwt.json` (at its case's time) in the suite, except those longer than
/// [`MAX_LEN`] (the 1 MiB limit case): copying them on every mutation would cost more than all the rest, and
/// mutations already reach past the 64 KiB limit.
pub fn from_vectors(suite: &ivconform_vectors::Suite) -> Vec<Seed> {
    let mut configs: Vec<(*const Config, Arc<Config>)> = Vec::new();
    let mut seeds = Vec::new();
    let jwt = suite.jwt_verify_cases().map(|c| (ivconform_vectors::Group::Jwt, c));
    let plain = [ivconform_vectors::Group::Payload, ivconform_vectors::Group::Verify]
        .into_iter()
        .flat_map(|g| suite.verifier_cases(g).iter().map(move |c| (g, c)));
    for (group, case) in plain.chain(jwt) {
        let config = suite.config_for(group, case);
        let key = config as *const Config;
        let shared = match configs.iter().find(|(k, _)| *k == key) {
            Some((_, c)) => c.clone(),
            None => {
                let c = Arc::new(config.clone());
                configs.push((key, c.clone()));
                c
            }
        };
        let payload = case.payload_bytes();
        if payload.len() <= MAX_LEN {
            seeds.push(Seed { config: shared, platform: case.platform, payload, now: case.now });
        }
    }
    seeds
}

/// A structured payload from `ivconform props`' verify strategy (configuration, platform, identifiers,
/// hashes right and wrong, look-alike keys, attributes, key order).
pub fn structured(rng: &mut FuzzRng) -> Seed {
    let mut runner = TestRunner::new_with_rng(
        proptest::test_runner::Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &rng.seed_bytes()),
    );
    let input = verify_input().new_tree(&mut runner).expect("the verify strategy always generates").current();
    Seed { payload: input.payload(), config: Arc::new(input.config), platform: input.platform, now: None }
}
