//! Statistics of the constant-time suite, after dudect ("dude, is my code constant time?", Reparaz, Balasch
//! and Verbauwhede, DATE 2017) and its reference implementation:
//!
//! * **Welch's t-test** on the raw timings of the two classes (online, Welford's method).
//! * The same test on **cropped** timings: only measurements below a threshold count, for 100 thresholds at
//!   the pooled percentiles `1 − 0.5^(10·(i+1)/100)`, `i = 0..99` (dudect's), taken per batch (see
//!   [`Analysis`]). Timing distributions have a fat right tail (interrupts, preemption); cropping it removes
//!   most of the noise and keeps the effect.
//! * A **decile comparison**: for each pooled decile of a batch, the share of each class below it,
//!   compared as two proportions (a z statistic). It catches a shift of part of the distribution that moves
//!   the mean little.
//!
//! Every statistic is compared with one threshold (dudect's 10 by default); the largest decides.

use serde::{Deserialize, Serialize};

/// Number of cropping thresholds (dudect's `DUDECT_NUMBER_PERCENTILES`).
pub const CROPS: usize = 100;

/// Fewest measurements per class for a test to count.
pub const MIN_PER_CLASS: f64 = 100.0;

/// Bins of the per-class histograms (for the deciles shown in reports).
const BINS: usize = 4096;

/// Running mean and sum of squared deviations of one class (Welford).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// Count.
    pub n: f64,
    /// Mean.
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl Moments {
    /// Adds one measurement.
    pub fn push(&mut self, x: f64) {
        self.n += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.n;
        self.m2 += delta * (x - self.mean);
    }

    /// The unbiased sample variance (0 below two measurements).
    pub fn variance(&self) -> f64 {
        if self.n < 2.0 {
            0.0
        } else {
            self.m2 / (self.n - 1.0)
        }
    }
}

/// Two classes' moments: one Welch test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Welch {
    /// Class A, then class B.
    pub classes: [Moments; 2],
}

impl Welch {
    /// Adds a measurement of class `class` (0 = A, 1 = B).
    pub fn push(&mut self, class: usize, x: f64) {
        self.classes[class].push(x);
    }

    /// The standard error of the difference of means, `sqrt(varA/nA + varB/nB)`; `None` with too few samples.
    pub fn standard_error(&self) -> Option<f64> {
        let [a, b] = &self.classes;
        if a.n < MIN_PER_CLASS || b.n < MIN_PER_CLASS {
            return None;
        }
        let se = (a.variance() / a.n + b.variance() / b.n).sqrt();
        (se > 0.0 && se.is_finite()).then_some(se)
    }

    /// Mean of A minus mean of B.
    pub fn difference(&self) -> f64 {
        self.classes[0].mean - self.classes[1].mean
    }

    /// Welch's t statistic, `(meanA − meanB) / SE`; `None` with too few samples or no variance.
    pub fn t(&self) -> Option<f64> {
        self.standard_error().map(|se| self.difference() / se)
    }
}

/// The value at quantile `q` (0..1) of sorted values, by rank `floor(q·n)` as dudect takes it.
pub fn quantile_of_sorted(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "no measurements");
    let i = ((sorted.len() as f64) * q) as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// dudect's cropping thresholds: the pooled quantiles `1 − 0.5^(10·(i+1)/100)` of a warm-up sample.
pub fn crop_thresholds(warmup: &[f64]) -> Vec<f64> {
    let mut sorted = warmup.to_vec();
    sorted.sort_by(f64::total_cmp);
    (0..CROPS).map(|i| quantile_of_sorted(&sorted, 1.0 - 0.5f64.powf(10.0 * (i + 1) as f64 / CROPS as f64))).collect()
}

/// The fraction each crop threshold keeps (for reports): `1 − 0.5^(10·(i+1)/100)`.
pub fn crop_fraction(i: usize) -> f64 {
    1.0 - 0.5f64.powf(10.0 * (i + 1) as f64 / CROPS as f64)
}

/// Streaming analysis of one target on one class pair: every test dudect runs, plus the decile comparison
/// and histograms for the deciles a report shows.
///
/// Thresholds (crops and deciles) are the pooled percentiles of each batch itself (both classes together):
/// dudect takes them once from a thrown-away first batch, but a machine's speed
/// drifts over a long run (clock, cache and allocator state), and thresholds from another moment crop
/// nothing or everything. A batch's pooled percentiles depend on both classes alike, so they bias neither.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The last batch's crop thresholds (in timer units), for reports.
    pub crops: Vec<f64>,
    /// Welch tests: index 0 on raw timings, `1 + i` on timings below each batch's crop threshold `i`.
    pub tests: Vec<Welch>,
    /// Per class, how many measurements fell below each of their batch's pooled deciles.
    pub below: [Vec<u64>; 2],
    /// Histogram bin width (timer units).
    pub bin: f64,
    /// Per class, counts per bin (the last bin holds everything beyond).
    pub hist: [Vec<u64>; 2],
}

impl Analysis {
    /// Starts an analysis; the warm-up batch (then thrown away) sets the histogram's bin width.
    pub fn new(warmup: &[f64]) -> Self {
        let mut sorted = warmup.to_vec();
        sorted.sort_by(f64::total_cmp);
        let p99 = quantile_of_sorted(&sorted, 0.99);
        Analysis {
            crops: crop_thresholds(warmup),
            tests: vec![Welch::default(); CROPS + 1],
            below: [vec![0; 9], vec![0; 9]],
            bin: (2.0 * p99 / BINS as f64).max(1e-9),
            hist: [vec![0; BINS], vec![0; BINS]],
        }
    }

    /// Adds one batch of (class, time) measurements, class 0 = A and 1 = B, in the order they were taken.
    pub fn push_batch(&mut self, batch: &[(usize, f64)]) {
        if batch.is_empty() {
            return;
        }
        let mut sorted: Vec<f64> = batch.iter().map(|m| m.1).collect();
        sorted.sort_by(f64::total_cmp);
        self.crops = (0..CROPS).map(|i| quantile_of_sorted(&sorted, crop_fraction(i))).collect();
        let deciles: Vec<f64> = (1..10).map(|k| quantile_of_sorted(&sorted, k as f64 / 10.0)).collect();
        for &(class, x) in batch {
            self.tests[0].push(class, x);
            for (test, &limit) in self.tests[1..].iter_mut().zip(&self.crops) {
                if x < limit {
                    test.push(class, x);
                }
            }
            for (count, &d) in self.below[class].iter_mut().zip(&deciles) {
                if x < d {
                    *count += 1;
                }
            }
            let bin = ((x / self.bin) as usize).min(BINS - 1);
            self.hist[class][bin] += 1;
        }
    }

    /// Measurements per class.
    pub fn counts(&self) -> [f64; 2] {
        [self.tests[0].classes[0].n, self.tests[0].classes[1].n]
    }

    /// The z statistic of decile `k` (0..9): the two classes' shares below it, as two proportions.
    pub fn decile_z(&self, k: usize) -> Option<f64> {
        let [na, nb] = self.counts();
        if na < MIN_PER_CLASS || nb < MIN_PER_CLASS {
            return None;
        }
        let (pa, pb) = (self.below[0][k] as f64 / na, self.below[1][k] as f64 / nb);
        let p = (self.below[0][k] + self.below[1][k]) as f64 / (na + nb);
        let se = (p * (1.0 - p) * (1.0 / na + 1.0 / nb)).sqrt();
        (se > 0.0).then(|| (pa - pb) / se)
    }

    /// Decile `k` (1..=9) of class `class`, from its histogram (bin centre).
    pub fn class_decile(&self, class: usize, k: usize) -> Option<f64> {
        let total: u64 = self.hist[class].iter().sum();
        if total == 0 {
            return None;
        }
        let want = (total as f64 * k as f64 / 10.0).ceil() as u64;
        let mut seen = 0;
        for (i, c) in self.hist[class].iter().enumerate() {
            seen += c;
            if seen >= want.max(1) {
                return Some((i as f64 + 0.5) * self.bin);
            }
        }
        None
    }

    /// The verdict of every test against `threshold`, in timer units converted by `ns_per_unit`.
    pub fn assess(&self, threshold: f64, ns_per_unit: f64) -> Assessment {
        let mut best: Option<(f64, String, f64)> = None;
        let mut floor: Option<f64> = None;
        let mut consider = |stat: f64, name: String, effect: f64| {
            if best.as_ref().is_none_or(|(b, _, _)| stat.abs() > b.abs()) {
                best = Some((stat, name, effect));
            }
        };
        for (i, test) in self.tests.iter().enumerate() {
            let Some(t) = test.t() else { continue };
            let name = if i == 0 {
                "raw".to_string()
            } else {
                format!("cropped below the {:.1}th percentile", 100.0 * crop_fraction(i - 1))
            };
            consider(t, name, test.difference() * ns_per_unit);
            let se = test.standard_error().expect("t exists");
            let detectable = threshold * se * ns_per_unit;
            floor = Some(floor.map_or(detectable, |f: f64| f.min(detectable)));
        }
        for k in 0..9 {
            if let Some(z) = self.decile_z(k) {
                let effect = match (self.class_decile(0, k + 1), self.class_decile(1, k + 1)) {
                    (Some(a), Some(b)) => (a - b) * ns_per_unit,
                    _ => 0.0,
                };
                consider(z, format!("share below decile {}", k + 1), effect);
            }
        }
        let [na, nb] = self.counts();
        let (max_stat, max_test, effect_ns) = best.unwrap_or((0.0, "none (too few measurements)".into(), 0.0));
        let enough = na >= MIN_PER_CLASS && nb >= MIN_PER_CLASS;
        let deciles = (1..10)
            .map(|k| {
                let a = self.class_decile(0, k).unwrap_or(0.0) * ns_per_unit;
                let b = self.class_decile(1, k).unwrap_or(0.0) * ns_per_unit;
                [a, b]
            })
            .collect();
        Assessment {
            samples: (na + nb) as u64,
            per_class: [na as u64, nb as u64],
            max_stat,
            max_test,
            effect_ns,
            mean_difference_ns: self.tests[0].difference() * ns_per_unit,
            detectable_ns: floor,
            leak: enough && max_stat.abs() > threshold,
            enough,
            deciles_ns: deciles,
        }
    }
}

/// What one analysis says: the largest statistic, where, and the smallest effect it could have detected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Measurements used (both classes).
    pub samples: u64,
    /// Measurements of class A and of class B.
    pub per_class: [u64; 2],
    /// The largest |t| or |z| (signed: positive when class A is slower).
    pub max_stat: f64,
    /// Which test gave it.
    pub max_test: String,
    /// The difference that test saw, in nanoseconds (means for t-tests, deciles for the decile test).
    pub effect_ns: f64,
    /// Mean of A minus mean of B over raw timings, in nanoseconds.
    pub mean_difference_ns: f64,
    /// The smallest mean difference any of the t-tests would have flagged (threshold × standard error), in
    /// nanoseconds: what this run could have detected.
    pub detectable_ns: Option<f64>,
    /// A statistic passed the threshold.
    pub leak: bool,
    /// Both classes had enough measurements for the tests to count.
    pub enough: bool,
    /// Deciles 1..9 of class A and of class B, in nanoseconds (for people; the test uses shares).
    pub deciles_ns: Vec<[f64; 2]>,
}

#[cfg(test)]
impl Assessment {
    /// For the timing suite's unit tests: enough samples, flagged or not, with statistic `stat`.
    pub(crate) fn fixture(stat: f64, leak: bool) -> Assessment {
        Assessment {
            samples: 10_000,
            per_class: [5_000, 5_000],
            max_stat: stat,
            max_test: "raw".into(),
            effect_ns: 0.0,
            mean_difference_ns: 0.0,
            detectable_ns: Some(100.0),
            leak,
            enough: true,
            deciles_ns: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator of standard normal noise (xorshift + Box-Muller).
    struct Noise(u64);

    impl Noise {
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        fn normal(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        }
    }

    #[test]
    fn welch_t_matches_a_worked_example() {
        // Two small samples; t computed by hand: means 3 and 5, variances 2.5 and 2.5, n = 5 each,
        // SE = sqrt(0.5 + 0.5) = 1, t = -2.
        let mut w = Welch::default();
        for x in [1.0, 2.0, 3.0, 4.0, 5.0] {
            w.push(0, x);
        }
        for x in [3.0, 4.0, 5.0, 6.0, 7.0] {
            w.push(1, x);
        }
        assert_eq!(w.classes[0].variance(), 2.5);
        let se = (w.classes[0].variance() / 5.0 + w.classes[1].variance() / 5.0).sqrt();
        assert!((se - 1.0).abs() < 1e-12);
        assert!((w.difference() / se + 2.0).abs() < 1e-12);
        // Below MIN_PER_CLASS the test does not count.
        assert_eq!(w.t(), None);
    }

    #[test]
    fn welch_t_separates_shifted_from_equal_distributions() {
        let mut noise = Noise(7);
        let (mut same, mut shifted) = (Welch::default(), Welch::default());
        for i in 0..20_000 {
            let x = 100.0 + 10.0 * noise.normal();
            same.push(i % 2, x);
            shifted.push(i % 2, x + if i % 2 == 0 { 1.0 } else { 0.0 });
        }
        // Equal distributions: |t| stays small. A shift of 0.1 sigma over 10,000 per class: t ≈ 7.
        assert!(same.t().unwrap().abs() < 4.5, "{:?}", same.t());
        let t = shifted.t().unwrap();
        assert!((4.5..10.0).contains(&t), "{t}");
        assert!((shifted.difference() - 1.0).abs() < 0.5);
    }

    #[test]
    fn crop_thresholds_follow_dudects_percentiles() {
        let warmup: Vec<f64> = (0..10_000).map(f64::from).collect();
        let crops = crop_thresholds(&warmup);
        assert_eq!(crops.len(), CROPS);
        // i = 0 keeps 1 - 0.5^0.1 ≈ 6.7 %, i = 99 keeps 1 - 0.5^10 ≈ 99.9 %.
        assert_eq!(crops[0], 669.0);
        assert_eq!(crops[CROPS - 1], 9990.0);
        assert!(crops.windows(2).all(|w| w[0] <= w[1]));
        assert!((crop_fraction(9) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn cropping_recovers_a_shift_hidden_by_outliers() {
        // Class A is 2 units slower; 2 % of measurements of both classes are huge outliers (interrupts), which
        // swamp the raw t-test; the cropped tests still see the shift.
        let mut noise = Noise(11);
        let sample = |noise: &mut Noise, class: usize| {
            let base = 1000.0 + 5.0 * noise.normal() + if class == 0 { 2.0 } else { 0.0 };
            if noise.uniform() < 0.02 {
                base + 200_000.0 * noise.uniform()
            } else {
                base
            }
        };
        let warmup: Vec<f64> = (0..5_000).map(|i| sample(&mut noise, i % 2)).collect();
        let mut a = Analysis::new(&warmup);
        for _ in 0..4 {
            let batch: Vec<(usize, f64)> = (0..10_000)
                .map(|_| {
                    let class = (noise.uniform() < 0.5) as usize;
                    (class, sample(&mut noise, class))
                })
                .collect();
            a.push_batch(&batch);
        }
        let raw = a.tests[0].t().unwrap();
        assert!(raw.abs() < 10.0, "the raw test should drown: {raw}");
        let verdict = a.assess(10.0, 1.0);
        assert!(verdict.leak, "{verdict:?}");
        assert!(verdict.max_test.contains("cropped") || verdict.max_test.contains("decile"), "{verdict:?}");
        assert!(verdict.detectable_ns.unwrap() < 2.0, "{verdict:?}");
    }

    #[test]
    fn equal_classes_pass_and_deciles_match() {
        let mut noise = Noise(3);
        let warmup: Vec<f64> = (0..5_000).map(|_| 500.0 + 20.0 * noise.normal().abs()).collect();
        let mut a = Analysis::new(&warmup);
        let batch: Vec<(usize, f64)> = (0..50_000).map(|i| (i % 2, 500.0 + 20.0 * noise.normal().abs())).collect();
        a.push_batch(&batch);
        let verdict = a.assess(10.0, 1.0);
        assert!(!verdict.leak, "{verdict:?}");
        assert!(verdict.max_stat.abs() < 6.0, "{verdict:?}");
        assert_eq!(verdict.per_class, [25_000, 25_000]);
        for [x, y] in &verdict.deciles_ns {
            assert!((x - y).abs() <= 2.0 * a.bin, "{x} vs {y}");
        }
    }

    #[test]
    fn decile_test_sees_a_shift_of_part_of_the_distribution() {
        // A bimodal difference: 30 % of class A's measurements take 50 units longer; means move 15 units,
        // deciles 8 and 9 move a lot.
        let mut noise = Noise(5);
        let warmup: Vec<f64> = (0..5_000).map(|_| 1000.0 + 10.0 * noise.normal()).collect();
        let mut a = Analysis::new(&warmup);
        let batch: Vec<(usize, f64)> = (0..20_000)
            .map(|i| {
                let class = i % 2;
                let slow = class == 0 && noise.uniform() < 0.3;
                (class, 1000.0 + 10.0 * noise.normal() + if slow { 50.0 } else { 0.0 })
            })
            .collect();
        a.push_batch(&batch);
        assert!(a.decile_z(8).unwrap().abs() > 10.0, "{:?}", a.decile_z(8));
        assert!(a.assess(10.0, 1.0).leak);
    }
}
