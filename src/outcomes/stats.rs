//! The intervals `kindly outcomes` gives its measures: Wilson's score
//! interval for a rate (sound near 0 and 1 and for small groups, where the
//! textbook p ± 1.96·se is not), and for dollars per letter a seeded
//! percentile bootstrap of the mean (its values are mostly zeros and a few
//! large payments, far from normal), or, past `BOOTSTRAP_UP_TO` letters,
//! the normal approximation, which the central limit theorem makes sound
//! there and which costs no resampling.

/// z for a two-sided 95% interval.
pub(super) const Z95: f64 = 1.959_963_984_540_054;

/// Resamples of a bootstrap: a 95% percentile interval from 2,000 is
/// steady to about a tenth of its width.
const RESAMPLES: usize = 2_000;

/// Groups of at most this many letters get a bootstrap interval; larger
/// ones the normal approximation (2,000 resamples of 5,000 letters is ten
/// million draws, a second at most).
pub const BOOTSTRAP_UP_TO: usize = 5_000;

/// A 95% interval, low to high.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// Wilson's 95% score interval of `successes` in `n`.
pub fn wilson(successes: u64, n: u64) -> Interval {
    if n == 0 {
        return Interval { low: 0.0, high: 1.0 };
    }
    let (n, p) = (n as f64, successes as f64 / n as f64);
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    Interval { low: (centre - half).max(0.0), high: (centre + half).min(1.0) }
}

/// The 95% interval of the difference of two rates (b less a), by
/// Newcombe's method 10 from each rate's Wilson interval.
pub fn rate_difference(a: (u64, u64), b: (u64, u64)) -> Interval {
    let (pa, pb) = (a.0 as f64 / a.1.max(1) as f64, b.0 as f64 / b.1.max(1) as f64);
    let (wa, wb) = (wilson(a.0, a.1), wilson(b.0, b.1));
    let d = pb - pa;
    let low = d - ((pb - wb.low).powi(2) + (wa.high - pa).powi(2)).sqrt();
    let high = d + ((wb.high - pb).powi(2) + (pa - wa.low).powi(2)).sqrt();
    Interval { low, high }
}

/// The 95% interval of the mean of `values`: a percentile bootstrap seeded
/// by `seed` (the same values give the same interval), or the normal
/// approximation where there are more than [`BOOTSTRAP_UP_TO`] values and
/// only their count, sum and sum of squares are kept.
pub fn mean_interval(
    values: Option<&[i64]>,
    (n, sum, squares): (u64, i128, i128),
    seed: u64,
) -> Interval {
    match values {
        Some(values) if !values.is_empty() => bootstrap(values, seed),
        _ => normal(n, sum, squares),
    }
}

fn normal(n: u64, sum: i128, squares: i128) -> Interval {
    if n < 2 {
        let mean = sum as f64 / n.max(1) as f64;
        return Interval { low: mean, high: mean };
    }
    let nf = n as f64;
    let mean = sum as f64 / nf;
    let variance = ((squares as f64) - nf * mean * mean) / (nf - 1.0);
    let half = Z95 * (variance.max(0.0) / nf).sqrt();
    Interval { low: mean - half, high: mean + half }
}

fn bootstrap(values: &[i64], seed: u64) -> Interval {
    let mut rng = SplitMix(seed);
    let n = values.len();
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let sum: i64 = (0..n).map(|_| values[rng.below(n)]).sum();
            sum as f64 / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * RESAMPLES as f64) as usize).min(RESAMPLES - 1)];
    Interval { low: at(0.025), high: at(0.975) }
}

/// How many letters in each group would show a difference of `difference`
/// between two rates near `rate`, 95% two-sided with 80% power.
pub fn letters_to_show(rate: f64, difference: f64) -> u64 {
    const Z80: f64 = 0.841_621_233_572_914_3;
    let (p1, p2) = (rate, (rate + difference).min(1.0));
    let variance = p1 * (1.0 - p1) + p2 * (1.0 - p2);
    ((Z95 + Z80).powi(2) * variance / (p2 - p1).powi(2)).ceil() as u64
}

/// SplitMix64: a small, well-mixed generator, for seeded resampling.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-4
    }

    /// Against values worked by hand from Wilson's formula (and Newcombe's
    /// 1998 paper, table II, for the difference).
    #[test]
    fn wilson_matches_hand_computed_intervals() {
        let i = wilson(10, 100);
        assert!(close(i.low, 0.0552) && close(i.high, 0.1744), "{i:?}");
        let i = wilson(0, 20);
        assert!(close(i.low, 0.0) && close(i.high, 0.1611), "{i:?}");
        let i = wilson(81, 263);
        assert!(close(i.low, 0.2553) && close(i.high, 0.3662), "{i:?}");
        // Newcombe's example 1: 56/70 against 48/80, difference 0.2, 95%
        // interval 0.0524 to 0.3339 (b less a with a = 48/80).
        let d = rate_difference((48, 80), (56, 70));
        assert!(close(d.low, 0.0524) && close(d.high, 0.3339), "{d:?}");
    }

    #[test]
    fn the_mean_interval_covers_the_mean_and_repeats() {
        let values: Vec<i64> = (0..400).map(|i| if i % 4 == 0 { 10_000 } else { 0 }).collect();
        let sums = (400, 100 * 10_000, 100 * 10_000i128 * 10_000);
        let a = mean_interval(Some(&values), sums, 7);
        assert_eq!(a, mean_interval(Some(&values), sums, 7), "seeded: the same interval");
        assert!(a.low < 2_500.0 && a.high > 2_500.0, "{a:?}");
        // The normal approximation: se = sqrt(p(1-p)/n)*10,000 ~ 216.5.
        let b = mean_interval(None, sums, 7);
        assert!((b.high - 2_500.0 - 1.96 * 216.8).abs() < 2.0, "{b:?}");
    }

    #[test]
    fn letters_to_show_a_difference() {
        // 30% against 33%: about 3,760 letters in each arm.
        let n = letters_to_show(0.30, 0.03);
        assert!((3_700..3_800).contains(&n), "{n}");
    }
}
