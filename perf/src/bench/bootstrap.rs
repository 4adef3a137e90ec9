//! Medians and their bootstrap confidence intervals, for the interleaved rounds of `bench`: the median of
//! the rounds' ratios (IUT throughput / reference throughput), and the interval of a baseline comparison,
//! so that a regression is reported only when the *whole* interval is past the threshold.
//!
//! Percentile bootstrap: resample the rounds with replacement [`RESAMPLES`] times with a fixed seed
//! (the same numbers give the same interval), take the statistic of each resample, and read the interval's
//! ends off the sorted statistics. Medians, not means: one round disturbed by another process moves a mean,
//! not a median.

use serde::{Deserialize, Serialize};

/// Resamples per interval.
pub const RESAMPLES: usize = 2_000;
/// The interval's confidence level.
pub const LEVEL: f64 = 0.95;
/// The resampling generator's seed (fixed: the same rounds always give the same interval).
pub const SEED: u64 = 0x1b_c0_4f_07;

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Confidence level (0.95).
    pub level: f64,
    /// Bootstrap resamples it rests on.
    pub resamples: usize,
}

/// SplitMix64, for the resampling indices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        // n is a handful of rounds: the modulo bias is far below anything a bootstrap resolves.
        (self.next() % n as u64) as usize
    }
}

/// The median (the mean of the middle two for an even count); `None` for no values or a NaN.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

fn resample(rng: &mut Rng, values: &[f64], into: &mut Vec<f64>) {
    into.clear();
    into.extend((0..values.len()).map(|_| values[rng.below(values.len())]));
}

fn interval_of(mut stats: Vec<f64>) -> Option<Interval> {
    stats.retain(|s| s.is_finite());
    if stats.is_empty() {
        return None;
    }
    stats.sort_by(f64::total_cmp);
    let at = |q: f64| stats[((q * (stats.len() - 1) as f64).round() as usize).min(stats.len() - 1)];
    let tail = (1.0 - LEVEL) / 2.0;
    Some(Interval { low: at(tail), high: at(1.0 - tail), level: LEVEL, resamples: RESAMPLES })
}

/// The bootstrap interval of the median of `values`; `None` for no values.
pub fn median_interval(values: &[f64]) -> Option<Interval> {
    median(values)?;
    let mut rng = Rng(SEED);
    let mut buf = Vec::with_capacity(values.len());
    let stats = (0..RESAMPLES)
        .filter_map(|_| {
            resample(&mut rng, values, &mut buf);
            median(&buf)
        })
        .collect();
    interval_of(stats)
}

/// The bootstrap interval of `median(current) / median(baseline)`, both sets resampled (each run's own
/// round-to-round noise counts); `None` when either is empty or a baseline median is not positive.
pub fn ratio_of_medians_interval(current: &[f64], baseline: &[f64]) -> Option<Interval> {
    median(current)?;
    if median(baseline)? <= 0.0 {
        return None;
    }
    let mut rng = Rng(SEED);
    let (mut a, mut b) = (Vec::with_capacity(current.len()), Vec::with_capacity(baseline.len()));
    let stats = (0..RESAMPLES)
        .filter_map(|_| {
            resample(&mut rng, current, &mut a);
            resample(&mut rng, baseline, &mut b);
            let (c, base) = (median(&a)?, median(&b)?);
            (base > 0.0).then_some(c / base)
        })
        .collect();
    interval_of(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn intervals_hold_the_median_and_are_reproducible() {
        let rounds = [0.97, 1.02, 0.99, 1.05, 0.93, 1.01, 1.00, 0.98, 1.03, 0.96];
        let i = median_interval(&rounds).unwrap();
        let m = median(&rounds).unwrap();
        assert!(i.low <= m && m <= i.high, "{i:?} vs {m}");
        assert!(i.low >= 0.93 && i.high <= 1.05, "inside the data's range: {i:?}");
        assert_eq!(median_interval(&rounds), Some(i), "seeded: the same interval every time");
        // One value: no spread to resample.
        let one = median_interval(&[2.0]).unwrap();
        assert_eq!((one.low, one.high), (2.0, 2.0));
    }

    #[test]
    fn a_ratio_of_medians_interval_holds_one_for_the_same_distribution_and_not_for_a_slower_one() {
        let base = [1.00, 0.97, 1.03, 0.99, 1.02, 0.98, 1.01, 0.96, 1.04, 1.00];
        let same = [0.99, 1.02, 0.98, 1.01, 1.00, 0.97, 1.03, 1.00, 0.99, 1.02];
        let i = ratio_of_medians_interval(&same, &base).unwrap();
        assert!(i.low < 1.0 && 1.0 < i.high, "{i:?}");
        let slower: Vec<f64> = same.iter().map(|x| x * 0.5).collect();
        let i = ratio_of_medians_interval(&slower, &base).unwrap();
        assert!(i.high < 0.6 && i.low > 0.4, "{i:?}");
        assert_eq!(ratio_of_medians_interval(&same, &[0.0]), None);
    }
}
