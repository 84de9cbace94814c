//! Candidate generation over any number of datasets, exactly as anonlink's
//! `find_candidate_pairs` with the Dice coefficient (`semantics.md` §3), but exact: every pair
//! at or above the threshold is found (anonlink's native popcount pruning loses some pairs that
//! sit exactly on the threshold; clklink does not copy that, see `docs/exactness.md`).
//!
//! Every pair of datasets `d0 < d1` is compared. With blocks, two records are compared only if
//! they share a block id, and a pair found in several blocks is reported once. With `k`, each
//! record of the lower-index dataset keeps its `k` best matches per comparison (ties: lower
//! record index first), and then anonlink's two-sided `enforce_k` rule runs over the merged
//! list. The result is in canonical order: score descending, then dataset and record indices.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::candidates::{sort_dedup, Candidate};
use crate::clks::Clks;
use crate::dice::{check_threshold, OverlapTable};
use crate::error::{Error, Result};
use crate::kernel::{self, Hit, View};
use crate::solve::{solve, Group, Solver};

/// The default guard on the number of candidate pairs, the service's
/// `SIMILARITY_SCORES_MAX_CANDIDATE_PAIRS`.
pub const DEFAULT_MAX_CANDIDATES: u64 = 500_000_000;

/// Block comparisons with fewer record pairs than this run on one thread each (many run at
/// once); larger ones are split across all threads.
const SMALL_TASK_PAIRS: u64 = 1 << 22;

/// Finds candidate pairs: a builder over the threshold and options.
///
/// ```
/// use clklink::{Clks, Linker};
///
/// let a = Clks::from_records(2, [&[0b1111_0000u8, 0][..], &[0, 0xff][..]]);
/// let b = Clks::from_records(2, [&[0b1110_0000u8, 0][..]]);
/// let cands = Linker::new(0.8).candidates(&[&a, &b]).unwrap();
/// assert_eq!(cands.len(), 1);
/// assert_eq!((cands[0].rec0, cands[0].rec1), (0, 0));
/// assert_eq!(cands[0].score, 6.0 / 7.0);
/// ```
pub struct Linker<'p> {
    threshold: f64,
    k: Option<usize>,
    max_candidates: u64,
    progress: Option<&'p (dyn Fn(u64) + Sync)>,
}

impl std::fmt::Debug for Linker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linker")
            .field("threshold", &self.threshold)
            .field("k", &self.k)
            .field("max_candidates", &self.max_candidates)
            .finish_non_exhaustive()
    }
}

impl<'p> Linker<'p> {
    /// Candidate generation at `threshold` (a pair is kept when its Dice score `>= threshold`).
    /// The threshold is checked when candidates are computed: it must be in `(0, 1]`.
    pub fn new(threshold: f64) -> Self {
        Linker {
            threshold,
            k: None,
            max_candidates: DEFAULT_MAX_CANDIDATES,
            progress: None,
        }
    }

    /// Keeps at most `k` candidates per record and dataset pair (anonlink's top-k with its
    /// two-sided `enforce_k` rule). `None` (the default) keeps all.
    pub fn k(mut self, k: Option<usize>) -> Self {
        self.k = k;
        self
    }

    /// Stops with [`Error::LimitExceeded`] when more than `n` pairs reach the threshold.
    pub fn max_candidates(mut self, n: u64) -> Self {
        self.max_candidates = n;
        self
    }

    /// Calls `f` with the number of comparisons just finished, from worker threads.
    pub fn progress(mut self, f: &'p (dyn Fn(u64) + Sync)) -> Self {
        self.progress = Some(f);
        self
    }

    /// The threshold.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The number of comparisons a run makes: over every block and dataset pair, the product of
    /// the two sides' sizes (the service's `total_number_comparisons`; a pair found in several
    /// blocks counts every time).
    pub fn total_comparisons(&self, datasets: &[&Clks]) -> Result<u64> {
        let plan = Plan::new(datasets)?;
        Ok(plan.total_comparisons())
    }

    /// Candidate pairs and the groups `solver` makes of them.
    ///
    /// ```
    /// use clklink::solve::Solver;
    /// use clklink::{Clks, Linker};
    ///
    /// let a = Clks::from_records(1, [&[0b1111_0000u8][..], &[0b0000_1111][..]]);
    /// let b = Clks::from_records(1, [&[0b0000_1111u8][..], &[0b1111_0000][..]]);
    /// let linkage = Linker::new(0.9).link(&[&a, &b], Solver::Greedy).unwrap();
    /// assert_eq!(linkage.candidates.len(), 2);
    /// assert_eq!(linkage.groups, vec![vec![(0, 0), (1, 1)], vec![(0, 1), (1, 0)]]);
    /// ```
    pub fn link(&self, datasets: &[&Clks], solver: Solver) -> Result<Linkage> {
        let candidates = self.candidates(datasets)?;
        let groups = solve(&candidates, solver)?;
        Ok(Linkage { candidates, groups })
    }

    /// All candidate pairs in canonical order.
    pub fn candidates(&self, datasets: &[&Clks]) -> Result<Vec<Candidate>> {
        let threshold = check_threshold(self.threshold)?;
        let plan = Plan::new(datasets)?;
        if datasets.len() < 2 || self.k == Some(0) {
            return Ok(Vec::new());
        }
        let table = OverlapTable::new(threshold, datasets[0].bits());
        let found = AtomicU64::new(0);
        let mut cands = match &plan.blocks {
            None => self.unblocked(datasets, &table, &found)?,
            Some(blocks) => self.blocked(datasets, blocks, &table, &found)?,
        };
        sort_dedup(&mut cands);
        if let Some(k) = self.k {
            enforce_k(&mut cands, k);
        }
        Ok(cands)
    }

    fn report(&self, n: u64) {
        if let Some(f) = self.progress {
            f(n)
        }
    }

    fn too_many(&self) -> Error {
        Error::LimitExceeded(format!(
            "more than {} candidate pairs reach threshold {}; raise the threshold or the \
             candidate limit",
            self.max_candidates, self.threshold
        ))
    }

    /// Budget left for hits, given how many were found so far.
    fn remaining(&self, found: &AtomicU64) -> u64 {
        self.max_candidates
            .saturating_sub(found.load(Ordering::Relaxed))
    }

    fn unblocked(
        &self,
        datasets: &[&Clks],
        table: &OverlapTable,
        found: &AtomicU64,
    ) -> Result<Vec<Candidate>> {
        let mut cands = Vec::new();
        let progress = |n| self.report(n);
        for d0 in 0..datasets.len() {
            for d1 in d0 + 1..datasets.len() {
                let (a, b) = (View::from(datasets[d0]), View::from(datasets[d1]));
                let mut hits = kernel::search(a, b, table, &progress, self.remaining(found))
                    .map_err(|_| self.too_many())?;
                found.fetch_add(hits.len() as u64, Ordering::Relaxed);
                if let Some(k) = self.k {
                    top_k_per_row(&mut hits, k);
                }
                cands.extend(hits.iter().map(|h| Candidate {
                    score: h.score,
                    dset0: d0 as u32,
                    dset1: d1 as u32,
                    rec0: h.i,
                    rec1: h.j,
                }));
            }
        }
        Ok(cands)
    }

    fn blocked(
        &self,
        datasets: &[&Clks],
        blocks: &[BlockMembers],
        table: &OverlapTable,
        found: &AtomicU64,
    ) -> Result<Vec<Candidate>> {
        // One task per (block, dataset pair) with records on both sides.
        let mut small = Vec::new();
        let mut large = Vec::new();
        for (b, block) in blocks.iter().enumerate() {
            for d0 in 0..datasets.len() {
                for d1 in d0 + 1..datasets.len() {
                    let pairs = block.members[d0].len() as u64 * block.members[d1].len() as u64;
                    if pairs == 0 {
                        continue;
                    }
                    let task = (b, d0, d1);
                    if pairs < SMALL_TASK_PAIRS {
                        small.push(task)
                    } else {
                        large.push(task)
                    }
                }
            }
        }
        let run = |(b, d0, d1): (usize, usize, usize), parallel: bool| -> Result<Vec<Candidate>> {
            let block = &blocks[b];
            let (m0, m1) = (&block.members[d0], &block.members[d1]);
            let g0 = Gathered::new(datasets[d0], m0);
            let g1 = Gathered::new(datasets[d1], m1);
            let mut hits = if parallel {
                let progress = |n| self.report(n);
                kernel::search(
                    g0.view(),
                    g1.view(),
                    table,
                    &progress,
                    self.remaining(found),
                )
                .map_err(|_| self.too_many())?
            } else {
                let mut hits = Vec::new();
                kernel::compare(g0.view(), g1.view(), table, &mut hits);
                self.report(m0.len() as u64 * m1.len() as u64);
                hits
            };
            if found.fetch_add(hits.len() as u64, Ordering::Relaxed) + hits.len() as u64
                > self.max_candidates
            {
                return Err(self.too_many());
            }
            if let Some(k) = self.k {
                top_k_per_row(&mut hits, k);
            }
            Ok(hits
                .iter()
                .map(|h| Candidate {
                    score: h.score,
                    dset0: d0 as u32,
                    dset1: d1 as u32,
                    rec0: m0[h.i as usize],
                    rec1: m1[h.j as usize],
                })
                .collect())
        };
        let mut cands = Vec::new();
        for task in large {
            cands.extend(run(task, true)?);
        }
        let parts: Vec<Vec<Candidate>> = small
            .into_par_iter()
            .map(|task| run(task, false))
            .collect::<Result<_>>()?;
        for p in parts {
            cands.extend(p);
        }
        Ok(cands)
    }
}

/// The result of [`Linker::link`].
#[derive(Debug, Clone, PartialEq)]
pub struct Linkage {
    /// Candidate pairs in canonical order.
    pub candidates: Vec<Candidate>,
    /// Groups in canonical order: members sorted by (dataset, record), groups by first member.
    pub groups: Vec<Group>,
}

/// Keeps, for each row `i`, its `k` best hits by (score descending, `j` ascending), as
/// anonlink's per-record top-k does. `hits` is in ascending `(i, j)` order and stays grouped
/// by row.
fn top_k_per_row(hits: &mut Vec<Hit>, k: usize) {
    let mut out = Vec::with_capacity(hits.len());
    for row in hits.chunk_by_mut(|x, y| x.i == y.i) {
        if row.len() > k {
            row.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.j.cmp(&y.j)));
        }
        out.extend_from_slice(&row[..row.len().min(k)]);
    }
    *hits = out;
}

/// anonlink's `enforce_k`: walking the pairs in order, each pair counts against both of its
/// records (per dataset pair) whether or not it is kept, and is kept only while both counts are
/// at most `k`.
fn enforce_k(cands: &mut Vec<Candidate>, k: usize) {
    let mut count: HashMap<(u32, u32, u32), usize> = HashMap::new();
    cands.retain(|c| {
        let n1 = {
            let e = count.entry((c.dset0, c.dset1, c.rec1)).or_insert(0);
            *e += 1;
            *e
        };
        let n0 = {
            let e = count.entry((c.dset1, c.dset0, c.rec0)).or_insert(0);
            *e += 1;
            *e
        };
        n0 <= k && n1 <= k
    });
}

/// The records of one block, per dataset, in ascending record order (a record listed twice
/// under the same id appears twice, as in anonlink).
struct BlockMembers {
    members: Vec<Vec<u32>>,
}

/// What a run compares: either everything, or block by block.
struct Plan<'d> {
    datasets: &'d [&'d Clks],
    blocks: Option<Vec<BlockMembers>>,
}

impl<'d> Plan<'d> {
    fn new(datasets: &'d [&'d Clks]) -> Result<Self> {
        if let Some(first) = datasets.first() {
            for (d, ds) in datasets.iter().enumerate().skip(1) {
                if ds.record_bytes() != first.record_bytes() {
                    return Err(Error::invalid_argument(format!(
                        "dataset {d} has {}-bit records but dataset 0 has {}-bit records; \
                         all datasets must use the same CLK length",
                        ds.bits(),
                        first.bits()
                    )));
                }
            }
        }
        let with_blocks = datasets.iter().filter(|d| d.blocks().is_some()).count();
        if with_blocks > 0 && with_blocks < datasets.len() {
            let missing = datasets
                .iter()
                .position(|d| d.blocks().is_none())
                .expect("some dataset has no blocks");
            return Err(Error::invalid_argument(format!(
                "dataset {missing} has no block ids while other datasets have them; give \
                 blocks for every dataset or for none"
            )));
        }
        let blocks = (with_blocks > 0).then(|| Self::block_members(datasets));
        Ok(Plan { datasets, blocks })
    }

    fn block_members(datasets: &[&Clks]) -> Vec<BlockMembers> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut blocks: Vec<BlockMembers> = Vec::new();
        for (d, ds) in datasets.iter().enumerate() {
            let b = ds.blocks().expect("checked: every dataset has blocks");
            for rec in 0..ds.len() {
                for &id in b.of(rec) {
                    let n = *index.entry(b.name(id)).or_insert_with(|| {
                        blocks.push(BlockMembers {
                            members: vec![Vec::new(); datasets.len()],
                        });
                        blocks.len() - 1
                    });
                    blocks[n].members[d].push(rec as u32);
                }
            }
        }
        blocks
    }

    fn total_comparisons(&self) -> u64 {
        let pairs = |sizes: &[u64]| -> u64 {
            let mut t = 0u64;
            for i in 0..sizes.len() {
                for j in i + 1..sizes.len() {
                    t = t.saturating_add(sizes[i].saturating_mul(sizes[j]));
                }
            }
            t
        };
        match &self.blocks {
            None => pairs(
                &self
                    .datasets
                    .iter()
                    .map(|d| d.len() as u64)
                    .collect::<Vec<_>>(),
            ),
            Some(blocks) => blocks
                .iter()
                .map(|b| pairs(&b.members.iter().map(|m| m.len() as u64).collect::<Vec<_>>()))
                .fold(0u64, |a, b| a.saturating_add(b)),
        }
    }
}

/// Some records of a dataset copied into contiguous buffers for the kernel.
struct Gathered {
    words: Vec<u64>,
    popcounts: Vec<u32>,
    stride: usize,
}

impl Gathered {
    fn new(ds: &Clks, members: &[u32]) -> Self {
        let stride = ds.stride();
        let mut words = Vec::with_capacity(members.len() * stride);
        let mut popcounts = Vec::with_capacity(members.len());
        for &r in members {
            words.extend_from_slice(ds.record(r as usize));
            popcounts.push(ds.popcount(r as usize));
        }
        Gathered {
            words,
            popcounts,
            stride,
        }
    }

    fn view(&self) -> View<'_> {
        View {
            words: &self.words,
            popcounts: &self.popcounts,
            stride: self.stride,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clks::Blocks;
    use crate::dice::dice_words;

    /// The SplitMix64 generator of semantics.md §11.1.
    struct SplitMix64(u64);
    impl SplitMix64 {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    fn splitmix_datasets() -> Vec<Clks> {
        let mut rng = SplitMix64(42);
        (0..3)
            .map(|_| {
                let recs: Vec<Vec<u8>> = (0..5)
                    .map(|_| (0..16).flat_map(|_| rng.next().to_le_bytes()).collect())
                    .collect();
                Clks::from_records(128, recs.iter().map(|r| r.as_slice()))
            })
            .collect()
    }

    fn key(c: &Candidate) -> (u32, u32, u32, u32) {
        (c.dset0, c.rec0, c.dset1, c.rec1)
    }

    #[test]
    fn splitmix_worked_example() {
        let ds = splitmix_datasets();
        assert_eq!(ds[0].popcounts(), &[542, 509, 500, 493, 495]);
        let refs: Vec<&Clks> = ds.iter().collect();
        let cands = Linker::new(0.5).candidates(&refs).unwrap();
        assert_eq!(cands.len(), 37);
        assert_eq!(key(&cands[0]), (1, 3, 2, 2));
        assert_eq!(cands[0].score, 0.5426653883029722);
        // Entries 17 and 18 tie on score and are ordered by dataset.
        assert_eq!(cands[17].score, cands[18].score);
        assert_eq!(key(&cands[17]), (0, 2, 2, 4));
        assert_eq!(key(&cands[18]), (1, 2, 2, 0));
        // Entry 36 is exactly on the threshold and kept.
        assert_eq!(cands[36].score, 0.5);
        let k1 = Linker::new(0.5).k(Some(1)).candidates(&refs).unwrap();
        let want = [
            (1, 3, 2, 2),
            (0, 0, 1, 3),
            (0, 0, 2, 3),
            (1, 1, 2, 1),
            (0, 2, 1, 0),
            (0, 1, 1, 1),
            (1, 2, 2, 0),
            (0, 3, 2, 4),
            (0, 1, 2, 0),
            (0, 4, 2, 1),
        ];
        let got: Vec<_> = k1
            .iter()
            .map(|c| (c.dset0, c.rec0, c.dset1, c.rec1))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            Linker::new(0.5).k(Some(2)).candidates(&refs).unwrap().len(),
            23
        );
        assert!(Linker::new(0.5)
            .k(Some(0))
            .candidates(&refs)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn brute_force_agreement_on_random_data() {
        let mut rng = SplitMix64(7);
        for bytes in [1usize, 7, 8, 9, 24, 64, 129] {
            let make = |n: usize, rng: &mut SplitMix64| {
                let recs: Vec<Vec<u8>> = (0..n)
                    .map(|_| {
                        (0..bytes)
                            .map(|_| (rng.next() & rng.next()) as u8)
                            .collect()
                    })
                    .collect();
                Clks::from_records(bytes, recs.iter().map(|r| r.as_slice()))
            };
            let (a, b, c) = (make(37, &mut rng), make(0, &mut rng), make(90, &mut rng));
            for t in [0.3, 0.5, 0.75, 1.0] {
                let got = Linker::new(t).candidates(&[&a, &b, &c]).unwrap();
                let mut want = Vec::new();
                for (d0, x) in [(0u32, &a), (1, &b)] {
                    for (d1, y) in [(1u32, &b), (2, &c)] {
                        if d1 <= d0 {
                            continue;
                        }
                        for i in 0..x.len() {
                            for j in 0..y.len() {
                                let s = dice_words(x.record(i), y.record(j));
                                if s >= t {
                                    want.push(Candidate {
                                        score: s,
                                        dset0: d0,
                                        dset1: d1,
                                        rec0: i as u32,
                                        rec1: j as u32,
                                    });
                                }
                            }
                        }
                    }
                }
                sort_dedup(&mut want);
                assert_eq!(got, want, "bytes={bytes} t={t}");
            }
        }
    }

    fn with_blocks(clks: Clks, ids: &[&[&str]]) -> Clks {
        let mut index = HashMap::new();
        let mut b = Blocks::new();
        for r in ids {
            b.push_record(r.iter(), &mut index);
        }
        clks.with_blocks(b).unwrap()
    }

    #[test]
    fn blocks_restrict_comparisons_and_dedup_pairs() {
        let ds = splitmix_datasets();
        let all = Linker::new(0.5).candidates(&[&ds[0], &ds[1]]).unwrap();
        // Every record in blocks "x" and "y": each pair is found twice and reported once.
        let both: &[&str] = &["x", "y"];
        let a = with_blocks(ds[0].clone(), &[both; 5]);
        let b = with_blocks(ds[1].clone(), &[both; 5]);
        let linker = Linker::new(0.5);
        assert_eq!(linker.candidates(&[&a, &b]).unwrap(), all);
        assert_eq!(linker.total_comparisons(&[&a, &b]).unwrap(), 50);
        // Only records 0 of A and 3 of B share a block.
        let a = with_blocks(ds[0].clone(), &[&["p"], &[], &["q"], &["q"], &["q"]]);
        let b = with_blocks(ds[1].clone(), &[&["r"], &["r"], &["r"], &["p", "r"], &[]]);
        let got = linker.candidates(&[&a, &b]).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(key(&got[0]), (0, 0, 1, 3));
        assert_eq!(linker.total_comparisons(&[&a, &b]).unwrap(), 1);
    }

    #[test]
    fn mixed_blocking_and_lengths_are_rejected() {
        let ds = splitmix_datasets();
        let one: &[&str] = &["1"];
        let a = with_blocks(ds[0].clone(), &[one; 5]);
        let err = Linker::new(0.5).candidates(&[&a, &ds[1]]).unwrap_err();
        assert!(err.to_string().contains("dataset 1 has no block ids"));
        let short = Clks::from_records(8, [&[0u8; 8][..]]);
        assert!(Linker::new(0.5).candidates(&[&ds[0], &short]).is_err());
        assert!(Linker::new(0.0).candidates(&[&ds[0], &ds[1]]).is_err());
    }

    #[test]
    fn candidate_guard_stops_the_run() {
        let ds = splitmix_datasets();
        let err = Linker::new(0.5)
            .max_candidates(10)
            .candidates(&[&ds[0], &ds[1], &ds[2]])
            .unwrap_err();
        assert!(matches!(err, Error::LimitExceeded(_)));
        assert!(!err.is_bad_input());
    }

    #[test]
    fn enforce_k_matches_anonlink_example() {
        // semantics.md §3: k = 1 over a fake similarity function's output.
        let mk = |score, rec0, rec1| Candidate {
            score,
            dset0: 0,
            dset1: 1,
            rec0,
            rec1,
        };
        let mut v = vec![
            mk(0.943, 1, 1),
            mk(0.857, 2, 0),
            mk(0.842, 0, 0),
            mk(0.634, 3, 3),
            mk(0.6, 0, 2),
        ];
        enforce_k(&mut v, 1);
        let got: Vec<_> = v.iter().map(|c| (c.rec0, c.rec1)).collect();
        assert_eq!(got, vec![(1, 1), (2, 0), (3, 3)]);
    }
}
