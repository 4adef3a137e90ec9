//! The stopping rule of sequential sampling (FFI and HTTP/stdio alike): when the controls and the verdict
//! are clear enough that more measurements would not change the conclusion.

use super::stats::Assessment;
use super::JWT_PAIR;

/// A clear verdict, as the stopping rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clear {
    /// The controls behaved and the implementation is below half the threshold with `minimum` samples in.
    Pass,
    /// The controls behaved and the implementation is flagged.
    Leak,
}

/// The stopping rule on assessments (shared with the HTTP/stdio suite), each target's assessments in the
/// order of `ids` ([`super::PAIRS`] indices): the constant-time control passes every pair, the (largest)
/// early-exit control is flagged on every pair an early exit shows on ([`positional`]), and the
/// implementation is flagged, or quiet (every pair below half the threshold) once `minimum_in`.
pub fn clear_assessed(
    iut: &[Assessment],
    constant: &[Assessment],
    early: &[Assessment],
    ids: &[usize],
    threshold: f64,
    minimum_in: bool,
) -> Option<Clear> {
    let controls = constant.iter().all(|a| a.enough && !a.leak) && positional(ids).all(|slot| early[slot].leak);
    let flagged = iut.iter().all(|a| a.enough) && iut.iter().any(|a| a.leak);
    let quiet = iut.iter().all(|a| a.enough && a.max_stat.abs() < threshold / 2.0);
    match (controls, flagged, quiet && minimum_in) {
        (true, true, _) => Some(Clear::Leak),
        (true, false, true) => Some(Clear::Pass),
        _ => None,
    }
}

/// The slots (positions in `ids`) of the pairs an early exit shows on: pair 1 (the hash's first byte) and
/// the JWT pair (the signature's first byte). Pair 2's class A is wrong in the first byte too, so an early
/// exit at byte granularity is invisible there by design.
pub fn positional(ids: &[usize]) -> impl Iterator<Item = usize> + '_ {
    ids.iter().enumerate().filter(|(_, &id)| id == 0 || id == JWT_PAIR).map(|(slot, _)| slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An assessment with enough samples, flagged or not, with statistic `stat`.
    fn assessed(stat: f64, leak: bool) -> Assessment {
        Assessment::fixture(stat, leak)
    }

    #[test]
    fn the_stopping_rule_needs_the_early_exit_control_on_every_positional_pair() {
        let (quiet, loud) = (assessed(1.0, false), assessed(20.0, true));
        let constant = vec![quiet.clone(); 3];
        let iut = vec![quiet.clone(); 3];
        let early_both = vec![loud.clone(), quiet.clone(), loud.clone()];
        let early_hash_only = vec![loud.clone(), quiet.clone(), quiet.clone()];
        let all = [0, 1, 2];
        assert_eq!(clear_assessed(&iut, &constant, &early_both, &all, 10.0, true), Some(Clear::Pass));
        assert_eq!(clear_assessed(&iut, &constant, &early_hash_only, &all, 10.0, true), None);
        assert_eq!(clear_assessed(&iut, &constant, &early_both, &all, 10.0, false), None, "pass only after the least");
        let leaky = vec![quiet.clone(), quiet.clone(), loud.clone()];
        assert_eq!(clear_assessed(&leaky, &constant, &early_both, &all, 10.0, false), Some(Clear::Leak));
        // Near the threshold: not clear either way (more rounds decide).
        let near = vec![assessed(7.0, false), quiet.clone(), quiet.clone()];
        assert_eq!(clear_assessed(&near, &constant, &early_both, &all, 10.0, true), None);
        // The hash pairs: pair 1 alone is positional.
        let hash = [0, 1];
        assert_eq!(
            clear_assessed(&iut[..2], &constant[..2], &early_hash_only[..2], &hash, 10.0, true),
            Some(Clear::Pass)
        );
        // The JWT pair alone (a token-only verifier): its one slot is positional.
        let (one, loud_one) = (std::slice::from_ref(&quiet), std::slice::from_ref(&loud));
        assert_eq!(clear_assessed(one, one, loud_one, &[2], 10.0, true), Some(Clear::Pass));
        assert_eq!(clear_assessed(one, one, one, &[2], 10.0, true), None);
    }
}
