//! Solvers: turn candidate pairs into groups of records that refer to the same entity.
//!
//! Reproduces anonlink 0.15.3's native `probabilistic_greedy_solve` and `greedy_solve`
//! (`semantics.md` §4) rule for rule, including the float order of the merge test, the order of
//! the threshold and dedup checks, bookkeeping singleton groups, which group absorbs which, and
//! the record order inside groups.
//!
//! - [`solve`] returns groups in canonical order (members sorted by `(dataset, record)`, groups
//!   sorted by their first member), the form the reference outputs use.
//! - [`solve_native_order`] keeps anonlink's record order inside each group (groups in creation
//!   order; anonlink's own group order depends on memory addresses and is not reproducible).
//!
//! Scores are never read: only the order of the candidates matters, and the caller must supply
//! them in canonical (descending score) order, as candidate generation produces them.
//!
//! Two-party greedy solving with no repeated pair takes a fast path, a single linear pass that
//! accepts a pair iff neither record was accepted before (`semantics.md` §4.4); it gives the same
//! groups as the general rules (a proof sketch is in the source of `two_party_greedy`, and tests
//! compare the two).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::candidates::Candidate;
use crate::error::{Error, Result};

/// Which solver to run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Solver {
    /// anonlink's `greedy_solve`: the probabilistic rules with `merge_threshold = 1.0` and
    /// `deduplicated = false`. The service uses it for every result type.
    Greedy,
    /// anonlink's `probabilistic_greedy_solve(merge_threshold, deduplicated)` (anonlink's
    /// defaults are 0.5 and `true`).
    Probabilistic {
        /// Fraction of cross pairs between two groups that must have been seen as candidates
        /// before the groups merge; in `[0, 1]`.
        merge_threshold: f64,
        /// When true, a group never holds two records of one dataset.
        deduplicated: bool,
    },
}

impl Solver {
    /// The `(merge_threshold, deduplicated)` pair the solver runs with.
    pub fn parameters(&self) -> (f64, bool) {
        match *self {
            Solver::Greedy => (1.0, false),
            Solver::Probabilistic {
                merge_threshold,
                deduplicated,
            } => (merge_threshold, deduplicated),
        }
    }
}

/// A group of records: `(dataset index, record index)` pairs, at least two of them.
pub type Group = Vec<(u32, u32)>;

/// Solves `cands` and returns the groups (size > 1) in canonical order: members sorted by
/// `(dataset, record)`, groups sorted by their first member.
///
/// `cands` must be in canonical order (score descending), as candidate generation produces
/// them; scores themselves are not read. A `merge_threshold` outside `[0, 1]` (or NaN) is an
/// [`Error::InvalidArgument`].
pub fn solve(cands: &[Candidate], solver: Solver) -> Result<Vec<Group>> {
    solve_with_progress(cands, solver, &mut |_| {})
}

/// [`solve`], calling `progress(n)` now and then with the number of candidates processed so far.
pub fn solve_with_progress(
    cands: &[Candidate],
    solver: Solver,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Group>> {
    let (mt, dedup) = solver.parameters();
    check_threshold(mt)?;
    if mt == 1.0 && !dedup {
        if let Some(pairs) = two_party_greedy(cands, progress) {
            return Ok(canonical_pairs(pairs));
        }
    }
    let mut groups = general(cands, mt, dedup, progress);
    canonicalise(&mut groups);
    Ok(groups)
}

/// Solves `cands` keeping anonlink's record order inside each group (`semantics.md` §4.2,
/// §11.4); groups come in the order they were created.
pub fn solve_native_order(cands: &[Candidate], solver: Solver) -> Result<Vec<Group>> {
    solve_native_order_with_progress(cands, solver, &mut |_| {})
}

/// [`solve_native_order`] with a progress callback (see [`solve_with_progress`]).
pub fn solve_native_order_with_progress(
    cands: &[Candidate],
    solver: Solver,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Group>> {
    let (mt, dedup) = solver.parameters();
    check_threshold(mt)?;
    if mt == 1.0 && !dedup {
        if let Some(pairs) = two_party_greedy(cands, progress) {
            return Ok(pairs.into_iter().map(|p| p.to_vec()).collect());
        }
    }
    Ok(general(cands, mt, dedup, progress))
}

/// Solves with the general rules only, never the two-party fast path (for tests and audits).
pub fn solve_general_native_order(cands: &[Candidate], solver: Solver) -> Result<Vec<Group>> {
    let (mt, dedup) = solver.parameters();
    check_threshold(mt)?;
    Ok(general(cands, mt, dedup, &mut |_| {}))
}

/// Sorts the members of each group, then the groups by their first member.
pub fn canonicalise(groups: &mut [Group]) {
    for g in groups.iter_mut() {
        g.sort_unstable();
    }
    groups.sort_unstable();
}

/// Canonical groups from two-record groups: members sorted, then groups sorted (records are
/// distinct across groups, so sorting by the first member suffices).
fn canonical_pairs(mut pairs: Vec<[(u32, u32); 2]>) -> Vec<Group> {
    for p in pairs.iter_mut() {
        if p[1] < p[0] {
            p.swap(0, 1);
        }
    }
    pairs.sort_unstable_by_key(|p| p[0]);
    pairs.into_iter().map(|p| p.to_vec()).collect()
}

fn check_threshold(mt: f64) -> Result<()> {
    if (0.0..=1.0).contains(&mt) {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            "merge threshold must be between 0 and 1",
        ))
    }
}

const PROGRESS_STEP: usize = 1 << 20;
const NONE: u32 = u32::MAX;

// ---------------------------------------------------------------------------------------------
// Record → slot maps: dense vectors where the record indices are compact, hash maps otherwise.

enum RecordMap {
    Dense(Vec<u32>),
    Sparse(HashMap<u32, u32, FastHash>),
}

impl RecordMap {
    fn new(max_rec: u32, entries: usize) -> Self {
        let len = max_rec as u64 + 1;
        // Dense when the vector is not much larger than the input itself.
        if len <= (entries as u64).saturating_mul(4).max(1 << 20) {
            RecordMap::Dense(vec![NONE; len as usize])
        } else {
            RecordMap::Sparse(HashMap::default())
        }
    }

    #[inline]
    fn get(&self, rec: u32) -> u32 {
        match self {
            RecordMap::Dense(v) => v[rec as usize],
            RecordMap::Sparse(m) => m.get(&rec).copied().unwrap_or(NONE),
        }
    }

    #[inline]
    fn set(&mut self, rec: u32, value: u32) {
        match self {
            RecordMap::Dense(v) => v[rec as usize] = value,
            RecordMap::Sparse(m) => {
                m.insert(rec, value);
            }
        }
    }
}

/// Per-dataset record maps, with dataset indices mapped to dense slots.
struct Records {
    dsets: Vec<u32>,
    maps: Vec<RecordMap>,
}

impl Records {
    fn new(cands: &[Candidate]) -> Self {
        let mut max: HashMap<u32, (u32, usize), FastHash> = HashMap::default();
        for c in cands {
            for (d, r) in [(c.dset0, c.rec0), (c.dset1, c.rec1)] {
                let e = max.entry(d).or_insert((0, 0));
                e.0 = e.0.max(r);
                e.1 += 1;
            }
        }
        let mut dsets: Vec<u32> = max.keys().copied().collect();
        dsets.sort_unstable();
        let maps = dsets
            .iter()
            .map(|d| {
                let (m, n) = max[d];
                RecordMap::new(m, n)
            })
            .collect();
        Records { dsets, maps }
    }

    #[inline]
    fn slot(&self, dset: u32) -> usize {
        // Few datasets: a linear scan beats hashing.
        if self.dsets.len() <= 16 {
            self.dsets.iter().position(|&d| d == dset).unwrap_or(0)
        } else {
            self.dsets.binary_search(&dset).unwrap_or(0)
        }
    }

    #[inline]
    fn get(&self, dset: u32, rec: u32) -> u32 {
        self.maps[self.slot(dset)].get(rec)
    }

    #[inline]
    fn set(&mut self, dset: u32, rec: u32, value: u32) {
        let s = self.slot(dset);
        self.maps[s].set(rec, value)
    }
}

/// A multiplicative hasher for integer keys (the keys are not attacker-chosen secrets, and the
/// maps live only for one solve).
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0 ^ i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0 ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type FastHash = BuildHasherDefault<FastHasher>;

// ---------------------------------------------------------------------------------------------
// The general rules (semantics.md §4.2).

/// A group: a linked list of records in the member arena (so appending and concatenating are
/// O(1) and keep anonlink's record order), plus a linked list of neighbour groups in the
/// neighbour arena (may hold stale ids). `size == 0` marks an absorbed group.
#[derive(Clone, Copy)]
struct GroupData {
    head: u32,
    tail: u32,
    size: u32,
    neighbours: u32,
}

struct State {
    records: Records,
    groups: Vec<GroupData>,
    /// `(record, next)`.
    members: Vec<((u32, u32), u32)>,
    /// `(group, next)`.
    links: Vec<(u32, u32)>,
    edges: HashMap<u64, u64, FastHash>,
}

impl State {
    fn new_group(&mut self, first: (u32, u32), second: Option<(u32, u32)>) -> u32 {
        let id = self.groups.len() as u32;
        let head = self.members.len() as u32;
        self.members.push((first, NONE));
        self.records.set(first.0, first.1, id);
        self.groups.push(GroupData {
            head,
            tail: head,
            size: 1,
            neighbours: NONE,
        });
        if let Some(r) = second {
            self.append(id, r);
        }
        id
    }

    fn append(&mut self, g: u32, r: (u32, u32)) {
        let node = self.members.len() as u32;
        self.members.push((r, NONE));
        let gd = &mut self.groups[g as usize];
        self.members[gd.tail as usize].1 = node;
        gd.tail = node;
        gd.size += 1;
        self.records.set(r.0, r.1, g);
    }

    fn members_of(&self, g: u32) -> MemberIter<'_> {
        MemberIter {
            members: &self.members,
            next: self.groups[g as usize].head,
        }
    }

    fn link(&mut self, from: u32, to: u32) {
        let node = self.links.len() as u32;
        let gd = &mut self.groups[from as usize];
        self.links.push((to, gd.neighbours));
        gd.neighbours = node;
    }

    /// Adds `count` to the edge count of `{a, b}` and returns the new count.
    fn add_edge(&mut self, a: u32, b: u32, count: u64) -> u64 {
        let e = self.edges.entry(edge_key(a, b)).or_insert(0);
        let new = *e == 0;
        *e += count;
        let e = *e;
        if new {
            self.link(a, b);
            self.link(b, a);
        }
        e
    }

    fn merge(&mut self, absorber: u32, absorbee: u32) {
        let mut node = self.groups[absorbee as usize].head;
        while node != NONE {
            let ((d, r), next) = self.members[node as usize];
            self.records.set(d, r, absorber);
            node = next;
        }
        let ee = self.groups[absorbee as usize];
        let tail = self.groups[absorber as usize].tail;
        self.members[tail as usize].1 = ee.head;
        let er = &mut self.groups[absorber as usize];
        er.tail = ee.tail;
        er.size += ee.size;
        self.groups[absorbee as usize].size = 0;
        self.edges.remove(&edge_key(absorber, absorbee));
        let mut link = ee.neighbours;
        while link != NONE {
            let (x, next) = self.links[link as usize];
            link = next;
            if x == absorber {
                continue;
            }
            if let Some(c) = self.edges.remove(&edge_key(absorbee, x)) {
                self.add_edge(absorber, x, c);
            }
        }
    }
}

struct MemberIter<'a> {
    members: &'a [((u32, u32), u32)],
    next: u32,
}

impl Iterator for MemberIter<'_> {
    type Item = (u32, u32);

    fn next(&mut self) -> Option<(u32, u32)> {
        if self.next == NONE {
            return None;
        }
        let (r, next) = self.members[self.next as usize];
        self.next = next;
        Some(r)
    }
}

#[inline]
fn edge_key(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    ((lo as u64) << 32) | hi as u64
}

fn general(
    cands: &[Candidate],
    mt: f64,
    dedup: bool,
    progress: &mut dyn FnMut(usize),
) -> Vec<Group> {
    let mut st = State {
        records: Records::new(cands),
        groups: Vec::new(),
        members: Vec::new(),
        links: Vec::new(),
        edges: HashMap::default(),
    };
    for (i, c) in cands.iter().enumerate() {
        if i % PROGRESS_STEP == 0 && i > 0 {
            progress(i);
        }
        let a = (c.dset0, c.rec0);
        let b = (c.dset1, c.rec1);
        if a == b {
            continue;
        }
        let ga = st.records.get(a.0, a.1);
        let gb = st.records.get(b.0, b.1);
        match (ga != NONE, gb != NONE) {
            (false, false) => {
                if !dedup || a.0 != b.0 {
                    st.new_group(a, Some(b));
                }
            }
            (true, false) | (false, true) => {
                let (g, r) = if ga != NONE { (ga, b) } else { (gb, a) };
                let size = st.groups[g as usize].size as f64;
                if 1.0 >= mt * size {
                    if !dedup || st.members_of(g).all(|m| m.0 != r.0) {
                        st.append(g, r);
                    }
                } else {
                    let s = st.new_group(r, None);
                    st.add_edge(g, s, 1);
                }
            }
            (true, true) => {
                if ga == gb {
                    continue;
                }
                let e = st.add_edge(ga, gb, 1);
                let size_a = st.groups[ga as usize].size;
                let size_b = st.groups[gb as usize].size;
                if e as f64 >= (mt * size_a as f64) * size_b as f64
                    && (!dedup || disjoint_datasets(&st, ga, gb))
                {
                    let (absorber, absorbee) = if size_a < size_b { (gb, ga) } else { (ga, gb) };
                    st.merge(absorber, absorbee);
                }
            }
        }
    }
    progress(cands.len());
    (0..st.groups.len() as u32)
        .filter(|&g| st.groups[g as usize].size > 1)
        .map(|g| st.members_of(g).collect())
        .collect()
}

/// True when no dataset has records in both groups.
fn disjoint_datasets(st: &State, a: u32, b: u32) -> bool {
    let da: Vec<u32> = st.members_of(a).map(|m| m.0).collect();
    if da.len() <= 64 {
        st.members_of(b).all(|y| !da.contains(&y.0))
    } else {
        let set: std::collections::HashSet<u32, FastHash> = da.into_iter().collect();
        st.members_of(b).all(|y| !set.contains(&y.0))
    }
}

// ---------------------------------------------------------------------------------------------
// Two-party greedy fast path (semantics.md §4.4).

/// Greedy solving for input whose pairs all join the same two different datasets, with no pair
/// repeated; `None` when the input does not qualify.
///
/// Why this equals the general rules with `merge_threshold = 1.0`: a record is "taken" once it is
/// in a group of two or more. A free record next to a taken one gets a bookkeeping singleton
/// (`1.0 >= |g|` fails for |g| ≥ 2); a singleton next to a free record or another singleton
/// forms a pair (`1 >= 1`), just like two free records. Two groups `X`, `Y` merge only when the
/// count of candidates between them reaches `|X|·|Y|`; with bipartite input and no repeated pair
/// at most `p0·q1 + p1·q0` distinct pairs exist between them (`p`, `q` = records per side),
/// which is `|X|·|Y|` only when each group lies on one side, i.e. both are singletons. So taken
/// records never change group and every group is a pair accepted when neither record was taken.
/// A repeated pair breaks the bound, hence the check. Record order: a singleton joined by a
/// free record keeps its own record first; otherwise the pair's order is kept (two singletons
/// tie, and the first record's group absorbs).
fn two_party_greedy(
    cands: &[Candidate],
    progress: &mut dyn FnMut(usize),
) -> Option<Vec<[(u32, u32); 2]>> {
    let first = cands.first()?;
    let (d0, d1) = (first.dset0, first.dset1);
    if d0 == d1 {
        return None;
    }
    let (mut max0, mut max1) = (0u32, 0u32);
    for c in cands {
        if c.dset0 != d0 || c.dset1 != d1 {
            return None;
        }
        max0 = max0.max(c.rec0);
        max1 = max1.max(c.rec1);
    }
    if has_repeated_pair(cands, max0) {
        return None;
    }
    // A record is "taken" once in a group of two; "seen" once it was paired with a taken
    // record while free, which gives it a bookkeeping singleton in the general rules. A
    // singleton that joins a free record keeps its record first (the free one is appended).
    let mut taken0 = BitSet::new(max0, cands.len());
    let mut taken1 = BitSet::new(max1, cands.len());
    let mut seen0 = BitSet::new(max0, cands.len());
    let mut seen1 = BitSet::new(max1, cands.len());
    let mut groups = Vec::new();
    for (i, c) in cands.iter().enumerate() {
        if i % PROGRESS_STEP == 0 && i > 0 {
            progress(i);
        }
        match (taken0.contains(c.rec0), taken1.contains(c.rec1)) {
            (false, false) => {
                taken0.insert(c.rec0);
                taken1.insert(c.rec1);
                let (a, b) = ((d0, c.rec0), (d1, c.rec1));
                if !seen0.contains(c.rec0) && seen1.contains(c.rec1) {
                    groups.push([b, a]);
                } else {
                    groups.push([a, b]);
                }
            }
            (true, false) => seen1.insert(c.rec1),
            (false, true) => seen0.insert(c.rec0),
            (true, true) => {}
        }
    }
    progress(cands.len());
    Some(groups)
}

enum BitSet {
    Dense(Vec<u64>),
    Sparse(std::collections::HashSet<u32, FastHash>),
}

impl BitSet {
    fn new(max: u32, entries: usize) -> Self {
        let bits = max as u64 + 1;
        if bits <= (entries as u64).saturating_mul(64).max(1 << 24) {
            BitSet::Dense(vec![0; bits.div_ceil(64) as usize])
        } else {
            BitSet::Sparse(Default::default())
        }
    }

    #[inline]
    fn contains(&self, r: u32) -> bool {
        match self {
            BitSet::Dense(v) => v[(r >> 6) as usize] >> (r & 63) & 1 != 0,
            BitSet::Sparse(s) => s.contains(&r),
        }
    }

    #[inline]
    fn insert(&mut self, r: u32) {
        match self {
            BitSet::Dense(v) => v[(r >> 6) as usize] |= 1 << (r & 63),
            BitSet::Sparse(s) => {
                s.insert(r);
            }
        }
    }
}

/// True when some `(rec0, rec1)` occurs twice: a counting sort by `rec0`, then a check of each
/// bucket's `rec1` values.
fn has_repeated_pair(cands: &[Candidate], max0: u32) -> bool {
    if (max0 as u64) > (cands.len() as u64).saturating_mul(4).max(1 << 20) {
        // Sparse record indices: sort the packed pairs instead.
        let mut keys: Vec<u64> = cands
            .iter()
            .map(|c| ((c.rec0 as u64) << 32) | c.rec1 as u64)
            .collect();
        keys.sort_unstable();
        return keys.windows(2).any(|w| w[0] == w[1]);
    }
    let n0 = max0 as usize + 1;
    let mut start = vec![0u32; n0 + 1];
    for c in cands {
        start[c.rec0 as usize + 1] += 1;
    }
    for i in 0..n0 {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut rec1 = vec![0u32; cands.len()];
    for c in cands {
        let slot = &mut fill[c.rec0 as usize];
        rec1[*slot as usize] = c.rec1;
        *slot += 1;
    }
    for i in 0..n0 {
        let bucket = &mut rec1[start[i] as usize..start[i + 1] as usize];
        match bucket.len() {
            0 | 1 => {}
            2..=16 => {
                for j in 1..bucket.len() {
                    if bucket[..j].contains(&bucket[j]) {
                        return true;
                    }
                }
            }
            _ => {
                bucket.sort_unstable();
                if bucket.windows(2).any(|w| w[0] == w[1]) {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(d0: u32, r0: u32, d1: u32, r1: u32) -> Candidate {
        Candidate {
            score: 0.5,
            dset0: d0,
            dset1: d1,
            rec0: r0,
            rec1: r1,
        }
    }

    #[test]
    fn threshold_is_checked() {
        for mt in [-0.1, 1.1, f64::NAN] {
            let s = Solver::Probabilistic {
                merge_threshold: mt,
                deduplicated: true,
            };
            assert!(matches!(solve(&[], s), Err(Error::InvalidArgument(_))));
        }
    }

    #[test]
    fn repeated_pair_defeats_the_fast_path() {
        // (0,0)-(1,0) accepted; (0,0)-(1,1) gives (1,1) a singleton; seen again it merges.
        let cands = [c(0, 0, 1, 0), c(0, 0, 1, 1), c(0, 0, 1, 1)];
        assert!(has_repeated_pair(&cands, 0));
        let got = solve(&cands, Solver::Greedy).unwrap();
        assert_eq!(got, vec![vec![(0, 0), (1, 0), (1, 1)]]);
    }
}
