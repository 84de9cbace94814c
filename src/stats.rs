//! Similarity statistics for choosing a threshold, exact to `anonlink.stats` 0.15.3
//! (`semantics.md` §5, output shape `formats.md` §14).
//!
//! - [`histogram_bin_edges`]: `numpy.histogram_bin_edges(sims, bins=n)`, bit for bit.
//! - [`similarities_hist`]: `numpy.histogram(sims, bins=n)`, using numpy's own index arithmetic
//!   and edge corrections.
//! - [`semiopen_hist_matches_nonmatches`], [`matches_nonmatches_hist`],
//!   [`cumul_number_matches_vs_threshold`], [`nonmatch_index_score`]: the two-party greedy
//!   classification of pairs into possible matches and definite non-matches (`semantics.md` §4.4).
//! - [`StatsReport`]: all of the above for one candidate list, and its reference JSON.
//!
//! Scores are read as f64 ([`ScoreType::F64`]) or, for candidate files with 4-byte (or 2-byte)
//! scores, as f32 ([`ScoreType::F32`]): numpy then computes the edges in f64 and rounds them to
//! f32, and bins f32 values with f32 arithmetic, and so does this module.

use crate::candidates::{self, Candidate};
use crate::error::{Error, Result};
use std::collections::HashSet;

/// The floating-point type the scores were stored with, which decides numpy's arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScoreType {
    /// 8-byte scores (the default layout).
    #[default]
    F64,
    /// 4-byte (or 2-byte) scores: edges rounded to f32, binning in f32.
    F32,
}

impl ScoreType {
    /// The score type for a candidate file's score width in bytes (8 → f64, otherwise f32).
    pub fn from_width(bytes: u8) -> Self {
        if bytes == 8 {
            ScoreType::F64
        } else {
            ScoreType::F32
        }
    }
}

/// True when every pair is between dataset 0 (first) and dataset 1 (second); true when empty.
pub fn is_bipartite(cands: &[Candidate]) -> bool {
    cands.iter().all(|c| c.dset0 == 0 && c.dset1 == 1)
}

fn check_bins(bins: usize) -> Result<()> {
    if bins == 0 {
        return Err(Error::invalid_argument(
            "the number of bins must be at least 1",
        ));
    }
    Ok(())
}

fn check_bipartite(cands: &[Candidate]) -> Result<()> {
    if !is_bipartite(cands) {
        return Err(Error::invalid_argument(
            "only 2-party matching is supported: every pair must be between dataset 0 and dataset 1",
        ));
    }
    Ok(())
}

/// The outer edges numpy uses: min and max, `0, 1` when empty, widened by 0.5 when equal.
fn outer_edges(cands: &[Candidate], ty: ScoreType) -> Result<(f64, f64)> {
    let (mut lo, mut hi) = if cands.is_empty() {
        (0.0, 1.0)
    } else {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for c in cands {
            if !c.score.is_finite() {
                return Err(Error::invalid_argument(
                    "a similarity score is not finite (NaN or infinite)",
                ));
            }
            lo = lo.min(c.score);
            hi = hi.max(c.score);
        }
        (lo, hi)
    };
    if lo == hi {
        match ty {
            ScoreType::F64 => {
                lo -= 0.5;
                hi += 0.5;
            }
            ScoreType::F32 => {
                lo = (lo as f32 - 0.5f32) as f64;
                hi = (hi as f32 + 0.5f32) as f64;
            }
        }
    }
    Ok((lo, hi))
}

/// `numpy.linspace(lo, hi, bins + 1)` with numpy's arithmetic: `step = (hi - lo) / bins`,
/// `E[i] = i * step + lo`, `E[bins] = hi`; rounded to f32 for [`ScoreType::F32`].
fn linspace(lo: f64, hi: f64, bins: usize, ty: ScoreType) -> Vec<f64> {
    let div = bins as f64;
    let delta = hi - lo;
    let step = delta / div;
    let mut edges: Vec<f64> = (0..=bins)
        .map(|i| {
            let y = if step == 0.0 {
                (i as f64 / div) * delta
            } else {
                i as f64 * step
            };
            y + lo
        })
        .collect();
    edges[bins] = hi;
    if ty == ScoreType::F32 {
        for e in &mut edges {
            *e = *e as f32 as f64;
        }
    }
    edges
}

/// `numpy.histogram_bin_edges(scores, bins=bins)`: `bins + 1` edges, bit for bit.
///
/// Errors: `bins == 0`, or a score that is NaN or infinite.
pub fn histogram_bin_edges(cands: &[Candidate], bins: usize, ty: ScoreType) -> Result<Vec<f64>> {
    check_bins(bins)?;
    let (lo, hi) = outer_edges(cands, ty)?;
    Ok(linspace(lo, hi, bins, ty))
}

/// `numpy.histogram(scores, bins=bins)` → `(counts[bins], edges[bins + 1])`.
///
/// Bin `i` counts `E[i] <= s < E[i+1]`, the last bin also `s == E[bins]`; the bin index is found
/// as numpy finds it (scaled offset, then one correction step against the edges).
pub fn similarities_hist(
    cands: &[Candidate],
    bins: usize,
    ty: ScoreType,
) -> Result<(Vec<u64>, Vec<f64>)> {
    check_bins(bins)?;
    let (lo, hi) = outer_edges(cands, ty)?;
    let edges = linspace(lo, hi, bins, ty);
    let mut counts = vec![0u64; bins];
    let last = bins - 1;
    match ty {
        ScoreType::F64 => {
            let denom = hi - lo;
            for c in cands {
                let s = c.score;
                if !(s >= lo && s <= hi) {
                    continue;
                }
                let f = ((s - lo) / denom) * bins as f64;
                let mut i = index_of(f, bins);
                if s < edges[i] {
                    i = i.saturating_sub(1);
                }
                if i != last && s >= edges[i + 1] {
                    i += 1;
                }
                counts[i] += 1;
            }
        }
        ScoreType::F32 => {
            let (lo32, hi32) = (lo as f32, hi as f32);
            let denom = hi32 - lo32;
            for c in cands {
                let s = c.score as f32;
                if !(s >= lo32 && s <= hi32) {
                    continue;
                }
                let f = ((s - lo32) / denom) * bins as f32;
                let mut i = index_of(f as f64, bins);
                if (s as f64) < edges[i] {
                    i = i.saturating_sub(1);
                }
                if i != last && (s as f64) >= edges[i + 1] {
                    i += 1;
                }
                counts[i] += 1;
            }
        }
    }
    Ok((counts, edges))
}

/// numpy's `f_indices.astype(intp)` followed by `indices[indices == n] -= 1`, kept in range.
fn index_of(f: f64, bins: usize) -> usize {
    // Truncation toward zero; f is in [0, bins] up to rounding.
    let i = if f.is_finite() && f > 0.0 {
        f as usize
    } else {
        0
    };
    if i >= bins {
        bins - 1
    } else {
        i
    }
}

/// The greedy 1-to-1 rule of `semantics.md` §4.4: a pair is a possible match iff neither of its
/// records was accepted before; otherwise it is a definite non-match.
#[derive(Debug, Default)]
struct Greedy {
    matched0: HashSet<u32>,
    matched1: HashSet<u32>,
}

impl Greedy {
    fn is_match(&mut self, c: &Candidate) -> bool {
        if !self.matched0.contains(&c.rec0) && !self.matched1.contains(&c.rec1) {
            self.matched0.insert(c.rec0);
            self.matched1.insert(c.rec1);
            true
        } else {
            false
        }
    }
}

/// anonlink's `_semiopen_hist_matches_nonmatches(cp, steps)` → `(M, N, T)`, each `steps + 1`
/// long: bucket `i` holds pairs with `T[i] <= s < T[i+1]`, bucket `steps` those with `s == T[steps]`.
///
/// Pairs are walked in the given order (anonlink assumes descending scores) with a pointer that
/// only moves down; once it runs out, the remaining pairs are ignored, as in anonlink.
///
/// Errors: `steps == 0`, non-bipartite input, a non-finite score.
pub fn semiopen_hist_matches_nonmatches(
    cands: &[Candidate],
    steps: usize,
    ty: ScoreType,
) -> Result<(Vec<u64>, Vec<u64>, Vec<f64>)> {
    check_bipartite(cands)?;
    let t = histogram_bin_edges(cands, steps, ty)?;
    let mut m = vec![0u64; t.len()];
    let mut n = vec![0u64; t.len()];
    let mut i = steps;
    let mut greedy = Greedy::default();
    for c in cands {
        let s = c.score;
        while s < t[i] {
            if i == 0 {
                return Ok((m, n, t));
            }
            i -= 1;
        }
        if greedy.is_match(c) {
            m[i] += 1;
        } else {
            n[i] += 1;
        }
    }
    Ok((m, n, t))
}

/// anonlink's `matches_nonmatches_hist(cp, bins)` → `(matches[bins], nonmatches[bins],
/// edges[bins + 1])`: the semi-open buckets with the last folded into the one before.
pub fn matches_nonmatches_hist(
    cands: &[Candidate],
    bins: usize,
    ty: ScoreType,
) -> Result<(Vec<u64>, Vec<u64>, Vec<f64>)> {
    let (mut m, mut n, t) = semiopen_hist_matches_nonmatches(cands, bins, ty)?;
    fold_last(&mut m);
    fold_last(&mut n);
    Ok((m, n, t))
}

fn fold_last(v: &mut Vec<u64>) {
    if let Some(last) = v.pop() {
        if let Some(prev) = v.last_mut() {
            *prev += last;
        }
    }
}

/// anonlink's `cumul_number_matches_vs_threshold(cp, steps)` → `(out[steps + 1], T[steps + 1])`:
/// `out[i]` is the number of greedy matches among pairs with `s >= T[i]`.
pub fn cumul_number_matches_vs_threshold(
    cands: &[Candidate],
    steps: usize,
    ty: ScoreType,
) -> Result<(Vec<u64>, Vec<f64>)> {
    let (m, _, t) = semiopen_hist_matches_nonmatches(cands, steps, ty)?;
    Ok((suffix_sums(&m), t))
}

fn suffix_sums(m: &[u64]) -> Vec<u64> {
    let mut out = m.to_vec();
    for i in (0..out.len().saturating_sub(1)).rev() {
        out[i] += out[i + 1];
    }
    out
}

/// anonlink's `nonmatch_index_score(cp, n)`: the 0-based index, in the given order, of the
/// `n`-th definite non-match.
///
/// Errors: non-bipartite input, `n == 0`, or fewer than `n` definite non-matches.
pub fn nonmatch_index_score(cands: &[Candidate], n: usize) -> Result<usize> {
    check_bipartite(cands)?;
    let mut greedy = Greedy::default();
    let mut nonmatches = 0usize;
    for (i, c) in cands.iter().enumerate() {
        if !greedy.is_match(c) {
            nonmatches += 1;
            if nonmatches == n {
                return Ok(i);
            }
        }
    }
    Err(Error::invalid_argument("fewer than n definite nonmatches"))
}

/// The two-party part of a [`StatsReport`].
#[derive(Debug, Clone, PartialEq)]
pub struct BipartiteStats {
    /// Possible matches per bin (`matches_nonmatches_hist`), `bins` long.
    pub matches: Vec<u64>,
    /// Definite non-matches per bin, `bins` long.
    pub nonmatches: Vec<u64>,
    /// Greedy matches with score at least `cumulative_edges[i]`, `bins + 1` long.
    pub cumulative_matches: Vec<u64>,
    /// The thresholds of `cumulative_matches` (equal to the histogram edges), `bins + 1` long.
    pub cumulative_edges: Vec<f64>,
    /// Total number of definite non-matches.
    pub total_nonmatches: u64,
    /// Index (in canonical order) of the first definite non-match, if there is one.
    pub first_nonmatch_index: Option<usize>,
}

/// Statistics of one candidate list in canonical order: the similarity histogram and, for
/// two-party input, greedy matches and non-matches (`formats.md` §14).
#[derive(Debug, Clone, PartialEq)]
pub struct StatsReport {
    /// Number of bins.
    pub bins: usize,
    /// Bin edges, `bins + 1` long.
    pub edges: Vec<f64>,
    /// Pairs per bin, `bins` long.
    pub counts: Vec<u64>,
    /// Number of pairs.
    pub pairs: u64,
    /// Present iff the input is bipartite (every pair between datasets 0 and 1; empty counts).
    pub bipartite: Option<BipartiteStats>,
}

impl StatsReport {
    /// Computes the report for `cands` with f64 score arithmetic.
    ///
    /// Errors: `bins == 0`, candidates not in canonical order, a non-finite score.
    pub fn new(cands: &[Candidate], bins: usize) -> Result<Self> {
        Self::with_score_type(cands, bins, ScoreType::F64)
    }

    /// Computes the report, with numpy's arithmetic for scores stored as `ty`.
    pub fn with_score_type(cands: &[Candidate], bins: usize, ty: ScoreType) -> Result<Self> {
        check_bins(bins)?;
        if !candidates::is_sorted(cands) {
            return Err(Error::invalid_argument(
                "candidate pairs are not in canonical order (score descending)",
            ));
        }
        let (counts, edges) = similarities_hist(cands, bins, ty)?;
        let bipartite = if is_bipartite(cands) {
            let (m, n, t) = semiopen_hist_matches_nonmatches(cands, bins, ty)?;
            let cumulative_matches = suffix_sums(&m);
            let total_nonmatches = n.iter().sum();
            let (mut matches, mut nonmatches) = (m, n);
            fold_last(&mut matches);
            fold_last(&mut nonmatches);
            Some(BipartiteStats {
                matches,
                nonmatches,
                cumulative_matches,
                cumulative_edges: t,
                total_nonmatches,
                first_nonmatch_index: nonmatch_index_score(cands, 1).ok(),
            })
        } else {
            None
        };
        Ok(StatsReport {
            bins,
            edges,
            counts,
            pairs: cands.len() as u64,
            bipartite,
        })
    }

    /// The stats JSON of `formats.md` §14: keys `bins`, `edges`, `counts`, then for bipartite
    /// input `matches`, `nonmatches`, `cumulative_matches`, `cumulative_edges`; Python
    /// `json.dumps` separators and float repr, no trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(64 + 48 * (self.bins + 1) * 3);
        s.push_str("{\"bins\": ");
        s.push_str(&self.bins.to_string());
        s.push_str(", \"edges\": ");
        push_floats(&mut s, &self.edges);
        s.push_str(", \"counts\": ");
        push_ints(&mut s, &self.counts);
        if let Some(b) = &self.bipartite {
            s.push_str(", \"matches\": ");
            push_ints(&mut s, &b.matches);
            s.push_str(", \"nonmatches\": ");
            push_ints(&mut s, &b.nonmatches);
            s.push_str(", \"cumulative_matches\": ");
            push_ints(&mut s, &b.cumulative_matches);
            s.push_str(", \"cumulative_edges\": ");
            push_floats(&mut s, &b.cumulative_edges);
        }
        s.push('}');
        s
    }
}

fn push_floats(s: &mut String, v: &[f64]) {
    s.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        crate::pyfloat::write_repr(s, *x);
    }
    s.push(']');
}

fn push_ints(s: &mut String, v: &[u64]) {
    s.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&x.to_string());
    }
    s.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bi(v: &[(f64, u32, u32)]) -> Vec<Candidate> {
        v.iter()
            .map(|&(score, rec0, rec1)| Candidate {
                score,
                dset0: 0,
                dset1: 1,
                rec0,
                rec1,
            })
            .collect()
    }

    fn worked() -> Vec<Candidate> {
        bi(&[
            (0.9, 0, 0),
            (0.8, 0, 1),
            (0.8, 1, 0),
            (0.7, 1, 1),
            (0.6, 2, 1),
            (0.5, 2, 2),
            (0.5, 3, 3),
        ])
    }

    const F: ScoreType = ScoreType::F64;

    #[test]
    fn edges_example() {
        let c = bi(&[(0.9, 0, 0), (0.5, 1, 1)]);
        assert_eq!(
            histogram_bin_edges(&c, 3, F).unwrap(),
            vec![0.5, 0.6333333333333333, 0.7666666666666666, 0.9]
        );
    }

    #[test]
    fn worked_example() {
        let c = worked();
        let (counts, edges) = similarities_hist(&c, 4, F).unwrap();
        assert_eq!(edges, vec![0.5, 0.6, 0.7, 0.8, 0.9]);
        assert_eq!(counts, vec![2, 1, 1, 3]);
        let (m, n, _) = matches_nonmatches_hist(&c, 4, F).unwrap();
        assert_eq!(m, vec![2, 0, 1, 1]);
        assert_eq!(n, vec![0, 1, 0, 2]);
        let (m, n, _) = semiopen_hist_matches_nonmatches(&c, 4, F).unwrap();
        assert_eq!(m, vec![2, 0, 1, 0, 1]);
        assert_eq!(n, vec![0, 1, 0, 2, 0]);
        let (cm, _) = cumul_number_matches_vs_threshold(&c, 4, F).unwrap();
        assert_eq!(cm, vec![4, 2, 2, 1, 1]);
        assert_eq!(nonmatch_index_score(&c, 1).unwrap(), 1);
        assert_eq!(nonmatch_index_score(&c, 2).unwrap(), 2);
        assert_eq!(nonmatch_index_score(&c, 3).unwrap(), 4);
        assert!(nonmatch_index_score(&c, 4).is_err());
        assert!(nonmatch_index_score(&c, 0).is_err());
        let r = StatsReport::new(&c, 4).unwrap();
        let b = r.bipartite.unwrap();
        assert_eq!(b.total_nonmatches, 3);
        assert_eq!(b.first_nonmatch_index, Some(1));
    }

    #[test]
    fn empty_input() {
        let r = StatsReport::new(&[], 3).unwrap();
        assert_eq!(r.edges, vec![0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
        assert_eq!(r.counts, vec![0, 0, 0]);
        let b = r.bipartite.unwrap();
        assert_eq!(b.matches, vec![0, 0, 0]);
        assert_eq!(b.cumulative_matches, vec![0, 0, 0, 0]);
        assert_eq!(b.first_nonmatch_index, None);
    }

    #[test]
    fn single_pair_lo_eq_hi() {
        let c = bi(&[(0.7, 0, 0)]);
        let r = StatsReport::new(&c, 2).unwrap();
        assert_eq!(r.edges, vec![0.19999999999999996, 0.7, 1.2]);
        assert_eq!(r.counts, vec![0, 1]);
        let b = r.bipartite.unwrap();
        assert_eq!(b.cumulative_matches, vec![1, 1, 0]);
        assert_eq!(b.matches, vec![0, 1]);
    }

    #[test]
    fn exhaustive_nonmatch_index() {
        let s = [0.9f32, 0.8, 0.7, 0.6, 0.5];
        let r0 = [0, 0, 1, 1, 2];
        let r1 = [1, 0, 1, 2, 2];
        let c: Vec<_> = (0..5).map(|i| (s[i] as f64, r0[i], r1[i])).collect();
        let c = bi(&c);
        assert_eq!(nonmatch_index_score(&c, 1).unwrap(), 1);
        assert_eq!(nonmatch_index_score(&c, 2).unwrap(), 2);
        assert_eq!(nonmatch_index_score(&c, 3).unwrap(), 4);
        assert!(nonmatch_index_score(&c, 4).is_err());
        let mut nb = c.clone();
        nb[0].dset1 = 2;
        assert!(nonmatch_index_score(&nb, 1).is_err());
        assert!(matches_nonmatches_hist(&nb, 4, F).is_err());
        let r = StatsReport::new(&nb, 4).unwrap();
        assert!(r.bipartite.is_none());
        assert!(!r.to_json().contains("matches"));
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(StatsReport::new(&worked(), 0).is_err());
        let mut c = worked();
        c.reverse();
        assert!(StatsReport::new(&c, 4).is_err());
        let nan = bi(&[(f64::NAN, 0, 0)]);
        assert!(similarities_hist(&nan, 4, F).is_err());
    }

    #[test]
    fn json_shape() {
        let r = StatsReport::new(&worked(), 4).unwrap();
        assert_eq!(
            r.to_json(),
            "{\"bins\": 4, \"edges\": [0.5, 0.6, 0.7, 0.8, 0.9], \"counts\": [2, 1, 1, 3], \
             \"matches\": [2, 0, 1, 1], \"nonmatches\": [0, 1, 0, 2], \"cumulative_matches\": \
             [4, 2, 2, 1, 1], \"cumulative_edges\": [0.5, 0.6, 0.7, 0.8, 0.9]}"
        );
    }
}
