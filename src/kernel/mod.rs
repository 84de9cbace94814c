//! All-pairs comparison kernels: find every pair of records whose Dice score reaches the
//! threshold.
//!
//! A kernel works on two contiguous [`View`]s (words and popcounts) and reports [`Hit`]s with
//! indices local to the views. Callers that compare subsets (blocks) gather them into
//! contiguous buffers first. The hot loops compare integers only: the per-sum minimum overlap
//! from [`OverlapTable`] decides, and the exact f64 score is computed once per hit.

use crate::dice::OverlapTable;

pub mod bitsliced;
pub mod portable;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub mod x86;

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
    portable::compare_reference(a, b, table, out)
}

/// A comparison kernel. All give identical hits; they differ in speed and in the CPU features
/// they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// The reference loop (one pair at a time, no tiling).
    Reference,
    /// The tiled scalar kernel with the default target's popcount.
    Scalar,
    /// The tiled scalar kernel with the x86 `popcnt` instruction.
    Popcnt,
    /// The tiled AVX2 kernel with nibble-lookup popcount.
    Avx2,
    /// The bit-sliced kernel, in the best [`bitsliced::Build`] this CPU runs (AVX-512, AVX2 or
    /// portable).
    Bitsliced,
}

impl Kernel {
    /// Every kernel, in the order above.
    pub const ALL: [Kernel; 5] = [
        Kernel::Reference,
        Kernel::Scalar,
        Kernel::Popcnt,
        Kernel::Avx2,
        Kernel::Bitsliced,
    ];

    /// A short lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Reference => "reference",
            Kernel::Scalar => "scalar",
            Kernel::Popcnt => "popcnt",
            Kernel::Avx2 => "avx2",
            Kernel::Bitsliced => "bitsliced",
        }
    }

    /// True when this CPU can run the kernel.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Reference | Kernel::Scalar | Kernel::Bitsliced => true,
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Kernel::Popcnt => x86::has_popcnt(),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Kernel::Avx2 => x86::has_avx2(),
            #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
            Kernel::Popcnt | Kernel::Avx2 => false,
        }
    }

    /// The fastest pair-at-a-time kernel this CPU supports.
    pub fn best_classic() -> Kernel {
        if Kernel::Avx2.is_available() {
            Kernel::Avx2
        } else if Kernel::Popcnt.is_available() {
            Kernel::Popcnt
        } else {
            Kernel::Scalar
        }
    }

    /// The kernel [`search`] uses for `a × b`.
    ///
    /// The bit-sliced kernel needs a few hundred records of `b` to fill its lanes and enough
    /// rows of `a` to pay for transposing `b`; below that, and for records longer than its
    /// counters can hold ([`bitsliced::MAX_RECORD_BITS`]), the best classic kernel is used.
    pub fn auto(a: View<'_>, b: View<'_>) -> Kernel {
        if a.len() >= BITSLICED_MIN_ROWS
            && b.len() >= BITSLICED_MIN_COLUMNS
            && b.stride * 64 <= bitsliced::MAX_RECORD_BITS
        {
            Kernel::Bitsliced
        } else {
            Kernel::best_classic()
        }
    }
}

/// Rows of `a` below which [`Kernel::auto`] does not pick the bit-sliced kernel.
pub const BITSLICED_MIN_ROWS: usize = 64;
/// Records of `b` below which [`Kernel::auto`] does not pick the bit-sliced kernel.
pub const BITSLICED_MIN_COLUMNS: usize = 256;

/// Appends to `out` every pair of `a × b` at or above the threshold, in ascending `(i, j)`
/// order, with the given kernel. Panics if the CPU cannot run it.
pub fn compare_with(
    kernel: Kernel,
    a: View<'_>,
    b: View<'_>,
    table: &OverlapTable,
    out: &mut Vec<Hit>,
) {
    assert_eq!(a.stride, b.stride, "records of different lengths");
    match kernel {
        Kernel::Reference => portable::compare_reference(a, b, table, out),
        Kernel::Scalar => portable::compare_scalar(a, b, table, out),
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        Kernel::Popcnt => x86::compare_popcnt(a, b, table, out),
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        Kernel::Avx2 => x86::compare_avx2(a, b, table, out),
        #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
        Kernel::Popcnt | Kernel::Avx2 => panic!("kernel {} needs x86", kernel.name()),
        Kernel::Bitsliced => bitsliced::compare(a, b, table, out),
    }
}

/// Appends to `out` every pair of `a × b` at or above the threshold, in ascending `(i, j)`
/// order, using the fastest kernel this CPU supports ([`Kernel::auto`]).
pub fn compare(a: View<'_>, b: View<'_>, table: &OverlapTable, out: &mut Vec<Hit>) {
    compare_with(Kernel::auto(a, b), a, b, table, out)
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
    search_with(Kernel::auto(a, b), a, b, table, progress, max_hits)
}

/// [`search`] with a chosen kernel. Panics if the CPU cannot run it, or if the kernel is
/// [`Kernel::Bitsliced`] and records are longer than [`bitsliced::MAX_RECORD_BITS`].
///
/// Memory: the hits, plus for the bit-sliced kernel one transposed copy of `b` (the same size
/// as `b`); nothing grows with `|a| · |b|`.
pub fn search_with(
    kernel: Kernel,
    a: View<'_>,
    b: View<'_>,
    table: &OverlapTable,
    progress: &(dyn Fn(u64) + Sync),
    max_hits: u64,
) -> Result<Vec<Hit>, TooManyHits> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    assert_eq!(a.stride, b.stride, "records of different lengths");
    assert!(
        kernel.is_available(),
        "kernel {} not supported here",
        kernel.name()
    );
    let transposed = match kernel {
        Kernel::Bitsliced if !a.is_empty() => Some((
            bitsliced::Build::best(),
            bitsliced::Transposed::new(b),
            bitsliced::lower_envelope(table),
        )),
        _ => None,
    };
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
            let rows = a.slice(start..end);
            match &transposed {
                Some((build, bt, lower)) => {
                    bitsliced::compare_rows_with(*build, rows, bt, table, lower, &mut out)
                }
                None => compare_with(kernel, rows, b, table, &mut out),
            }
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
