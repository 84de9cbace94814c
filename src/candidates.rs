//! Candidate pairs: two records from different datasets whose score reached the threshold.
//!
//! The canonical order, used by anonlink, the service and every clklink output, is score
//! descending, then `dset0`, `dset1`, `rec0`, `rec1` ascending (`semantics.md` §7.3).

use std::cmp::Ordering;

/// One candidate pair: record `rec0` of dataset `dset0` and record `rec1` of dataset `dset1`.
///
/// `dset0 < dset1` for pairs made by candidate generation; candidate files may hold any pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The Dice coefficient.
    pub score: f64,
    /// The first record's dataset index.
    pub dset0: u32,
    /// The second record's dataset index.
    pub dset1: u32,
    /// The first record's index in its dataset.
    pub rec0: u32,
    /// The second record's index in its dataset.
    pub rec1: u32,
}

impl Candidate {
    /// The canonical order: score descending, then dataset and record indices ascending.
    #[inline]
    pub fn canonical_cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.dset0.cmp(&other.dset0))
            .then(self.dset1.cmp(&other.dset1))
            .then(self.rec0.cmp(&other.rec0))
            .then(self.rec1.cmp(&other.rec1))
    }

    /// True when both are the same pair with the same score (bit for bit).
    #[inline]
    pub fn same_entry(&self, other: &Self) -> bool {
        self.canonical_cmp(other) == Ordering::Equal
    }
}

/// Sorts candidates into canonical order (in parallel) and removes exact duplicates.
pub fn sort_dedup(cands: &mut Vec<Candidate>) {
    use rayon::slice::ParallelSliceMut;
    cands.par_sort_unstable_by(Candidate::canonical_cmp);
    cands.dedup_by(|b, a| a.same_entry(b));
}

/// True when `cands` is in canonical order (duplicates allowed).
pub fn is_sorted(cands: &[Candidate]) -> bool {
    cands
        .windows(2)
        .all(|w| w[0].canonical_cmp(&w[1]) != Ordering::Greater)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(score: f64, dset0: u32, dset1: u32, rec0: u32, rec1: u32) -> Candidate {
        Candidate {
            score,
            dset0,
            dset1,
            rec0,
            rec1,
        }
    }

    #[test]
    fn canonical_order_breaks_ties_by_indices() {
        let mut v = vec![
            c(0.9, 0, 1, 0, 0),
            c(0.91, 1, 2, 5, 5),
            c(0.9, 0, 1, 0, 0),
            c(0.9, 0, 2, 0, 0),
            c(0.9, 0, 1, 1, 0),
        ];
        sort_dedup(&mut v);
        assert_eq!(
            v,
            vec![
                c(0.91, 1, 2, 5, 5),
                c(0.9, 0, 1, 0, 0),
                c(0.9, 0, 1, 1, 0),
                c(0.9, 0, 2, 0, 0),
            ]
        );
        assert!(is_sorted(&v));
    }
}
