//! The Sørensen–Dice coefficient exactly as anonlink computes it, and the integer threshold
//! test that lets kernels avoid floating point in their hot loops.
//!
//! `dice = 2c / (pa + pb)` with `c = popcount(a AND b)`: both integers are converted to f64 and
//! divided once (`semantics.md` §2.1). A record with popcount 0 scores 0.0 against anything, so
//! 0/0 never yields NaN. A pair is a candidate when `dice >= threshold`.
//!
//! Because the score grows with `c` for a fixed `pa + pb`, "score >= t" is the same as
//! "`c >= min_overlap(pa + pb)`" for a threshold-specific table of integers. The table is built
//! with the exact f64 formula at every boundary, so the integer test and the float test agree on
//! every pair, including pairs that sit exactly on the threshold.

use crate::error::{Error, Result};

/// The Dice coefficient of two records with popcounts `pa`, `pb` and AND-popcount `c`.
#[inline]
pub fn dice(c: u32, pa: u32, pb: u32) -> f64 {
    if pa == 0 {
        return 0.0;
    }
    (2 * c as u64) as f64 / (pa as u64 + pb as u64) as f64
}

/// The Dice coefficient of two records given as words (zero-padded to equal length).
pub fn dice_words(a: &[u64], b: &[u64]) -> f64 {
    let pa: u32 = a.iter().map(|w| w.count_ones()).sum();
    let pb: u32 = b.iter().map(|w| w.count_ones()).sum();
    let c: u32 = a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum();
    dice(c, pa, pb)
}

/// The Dice coefficient of two records given as bytes (equal lengths).
pub fn dice_bytes(a: &[u8], b: &[u8]) -> f64 {
    let pa: u32 = a.iter().map(|x| x.count_ones()).sum();
    let pb: u32 = b.iter().map(|x| x.count_ones()).sum();
    let c: u32 = a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum();
    dice(c, pa, pb)
}

/// Checks a similarity threshold: it must be a number in `(0, 1]`, as the service requires.
pub fn check_threshold(threshold: f64) -> Result<f64> {
    if threshold > 0.0 && threshold <= 1.0 {
        Ok(threshold)
    } else {
        Err(Error::invalid_argument(format!(
            "threshold must be in (0, 1], got {threshold}"
        )))
    }
}

/// For one threshold, the smallest AND-popcount that reaches it, per popcount sum.
///
/// `min_overlap(pa + pb)` is the least `c` with `dice(c, pa, pb) >= t`. A pair can only reach it
/// if `c <= min(pa, pb)`, which the kernel need not check: `c` never exceeds that.
#[derive(Debug, Clone)]
pub struct OverlapTable {
    threshold: f64,
    /// Indexed by `pa + pb`; `u32::MAX` where no overlap reaches the threshold.
    min_c: Vec<u32>,
}

impl OverlapTable {
    /// The table for records of `bits` bits at `threshold` (which must be in `(0, 1]`).
    pub fn new(threshold: f64, bits: usize) -> Self {
        assert!(
            threshold > 0.0 && threshold <= 1.0,
            "threshold out of (0, 1]"
        );
        let max_sum = 2 * bits as u64;
        let mut min_c = Vec::with_capacity(max_sum as usize + 1);
        // Sum 0 means both popcounts are 0: the score is 0.0, never >= t > 0.
        min_c.push(u32::MAX);
        for s in 1..=max_sum {
            // Dice with pa > 0 depends only on c and s: 2c / s.
            let score = |c: u64| (2 * c) as f64 / s as f64;
            let mut c = ((threshold * s as f64) / 2.0).ceil() as u64;
            while c > 0 && score(c - 1) >= threshold {
                c -= 1;
            }
            while c <= s && score(c) < threshold {
                c += 1;
            }
            // c can be at most s / 2 (when a == b); beyond that no pair reaches t.
            min_c.push(if 2 * c <= s { c as u32 } else { u32::MAX });
        }
        OverlapTable { threshold, min_c }
    }

    /// The threshold this table encodes.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The least AND-popcount that reaches the threshold when `pa + pb == sum`.
    #[inline]
    pub fn min_overlap(&self, sum: u32) -> u32 {
        self.min_c[sum as usize]
    }

    /// The whole table, indexed by popcount sum.
    pub fn as_slice(&self) -> &[u32] {
        &self.min_c
    }

    /// True when a pair with these popcounts and overlap is a candidate.
    #[inline]
    pub fn passes(&self, c: u32, pa: u32, pb: u32) -> bool {
        pa != 0 && c >= self.min_c[(pa + pb) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_matches_reference_values() {
        // semantics.md §11.2, entries 1 and 36.
        assert_eq!(dice(289, 542, 525), 0.5417057169634489);
        assert_eq!(dice(264, 542, 514), 0.5);
        assert_eq!(dice(0, 0, 0), 0.0);
        assert_eq!(dice(0, 0, 10), 0.0);
    }

    #[test]
    fn table_agrees_with_float_test_everywhere() {
        let thresholds = [
            0.5, 0.75, 0.8, 0.13, 0.51, 0.52, 0.875, 0.95, 1.0, 0.999, 1e-9,
        ];
        for &t in &thresholds {
            let table = OverlapTable::new(t, 64);
            for pa in 0..=64u32 {
                for pb in 0..=64u32 {
                    for c in 0..=pa.min(pb) {
                        assert_eq!(
                            table.passes(c, pa, pb),
                            dice(c, pa, pb) >= t,
                            "t={t} pa={pa} pb={pb} c={c}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn thresholds_outside_unit_interval_are_rejected() {
        for t in [0.0, -0.1, 1.0000001, f64::NAN, f64::INFINITY] {
            assert!(check_threshold(t).is_err(), "{t}");
        }
        assert_eq!(check_threshold(1.0).unwrap(), 1.0);
    }
}
