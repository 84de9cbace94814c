//! All-pairs comparison kernels: find every pair of records whose Dice score reaches the
//! threshold.
//!
//! A kernel works on two contiguous [`View`]s (words and popcounts) and reports [`Hit`]s with
//! indices local to the views. Callers that compare subsets (blocks) gather them into
//! contiguous buffers first. The hot loops compare integers only: the per-sum minimum overlap
//! from [`OverlapTable`] decides, and the exact f64 score is computed once per hit.

use crate::dice::{dice, OverlapTable};

/// A contiguous run of records: `popcounts.len()` records of `stride` words each.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// Record words, record after record.
    pub words: &'a [u64],
    /// One popcount per record.
    pub popcounts: &'a [u32],
    /// Words per record.
    pub stride: usize,
}

impl<'a> View<'a> {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.popcounts.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.popcounts.is_empty()
    }

    /// The words of record `i`.
    #[inline]
    pub fn record(&self, i: usize) -> &'a [u64] {
        &self.words[i * self.stride..(i + 1) * self.stride]
    }

    /// Records `range` as a view of their own.
    pub fn slice(&self, range: std::ops::Range<usize>) -> View<'a> {
        View {
            words: &self.words[range.start * self.stride..range.end * self.stride],
            popcounts: &self.popcounts[range],
            stride: self.stride,
        }
    }
}

impl<'a> From<&'a crate::clks::Clks> for View<'a> {
    fn from(c: &'a crate::clks::Clks) -> Self {
        View {
            words: c.words(),
            popcounts: c.popcounts(),
            stride: c.stride(),
        }
    }
}

/// One pair at or above the threshold, with indices local to the compared views.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The exact Dice score.
    pub score: f64,
    /// Index in the first view.
    pub i: u32,
    /// Index in the second view.
    pub j: u32,
}

/// Appends to `out` every pair `(i, j)` of `a × b` with Dice score `>= table.threshold()`, in
/// ascending `(i, j)` order. Portable reference implementation.
pub fn compare_portable(a: View<'_>, b: View<'_>, table: &OverlapTable, out: &mut Vec<Hit>) {
    for i in 0..a.len() {
        let pa = a.popcounts[i];
        if pa == 0 {
            continue;
        }
        let ra = a.record(i);
        for j in 0..b.len() {
            let pb = b.popcounts[j];
            let need = table.min_overlap(pa + pb);
            if need == u32::MAX {
                continue;
            }
            let rb = b.record(j);
            let c: u32 = ra.iter().zip(rb).map(|(x, y)| (x & y).count_ones()).sum();
            if c >= need {
                out.push(Hit {
                    score: dice(c, pa, pb),
                    i: i as u32,
                    j: j as u32,
                });
            }
        }
    }
}

/// Appends to `out` every pair of `a × b` at or above the threshold, in ascending `(i, j)`
/// order, using the fastest kernel this CPU supports.
pub fn compare(a: View<'_>, b: View<'_>, table: &OverlapTable, out: &mut Vec<Hit>) {
    compare_portable(a, b, table, out)
}

/// The search stopped because more hits were found than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyHits {
    /// The limit that was exceeded.
    pub limit: u64,
}

/// Rows of `a` handled by one parallel task: small enough to balance two or more cores, large
/// enough that scheduling costs nothing next to the comparisons.
const ROWS_PER_TASK: usize = 64;

/// Every pair of `a × b` at or above the threshold, in ascending `(i, j)` order, computed in
/// parallel on the current rayon pool.
///
/// `progress` is called from worker threads with the number of comparisons just finished. The
/// search stops early with [`TooManyHits`] once more than `max_hits` hits have been found, so a
/// threshold that is far too low cannot exhaust memory.
pub fn search(
    a: View<'_>,
    b: View<'_>,
    table: &OverlapTable,
    progress: &(dyn Fn(u64) + Sync),
    max_hits: u64,
) -> Result<Vec<Hit>, TooManyHits> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    let found = AtomicU64::new(0);
    let chunks: Vec<Option<Vec<Hit>>> = (0..a.len().div_ceil(ROWS_PER_TASK))
        .into_par_iter()
        .map(|t| {
            if found.load(Ordering::Relaxed) > max_hits {
                return None;
            }
            let start = t * ROWS_PER_TASK;
            let end = (start + ROWS_PER_TASK).min(a.len());
            let mut out = Vec::new();
            compare(a.slice(start..end), b, table, &mut out);
            for h in &mut out {
                h.i += start as u32;
            }
            progress(((end - start) * b.len()) as u64);
            found.fetch_add(out.len() as u64, Ordering::Relaxed);
            Some(out)
        })
        .collect();
    if found.load(Ordering::Relaxed) > max_hits {
        return Err(TooManyHits { limit: max_hits });
    }
    let total = chunks.iter().flatten().map(Vec::len).sum();
    let mut hits = Vec::with_capacity(total);
    for chunk in chunks.into_iter().flatten() {
        hits.extend(chunk);
    }
    Ok(hits)
}
