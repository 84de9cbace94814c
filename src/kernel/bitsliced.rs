//! The bit-sliced (transposed) kernel.
//!
//! Records of `b` are sorted by popcount and cut into blocks of [`LANES`] records. Each block is
//! stored transposed: plane `p` is one vector of [`LANES`] bits holding bit `p` of every record
//! in the block. For a record `a`, the AND-popcount with all records of a block at once is the
//! per-lane count of set bits over the planes selected by `a`'s set bits. The counts are kept
//! bit-sliced (one vector per binary digit) and summed with carry-save adders (Harley–Seal,
//! 32 planes per step): 31 full adders per 32 planes, each five two-input operations, or two
//! ternary-logic instructions in the AVX-512 build ([`Build`]), for all lanes together.
//!
//! When `a` has more set bits than clear ones, the kernel sums the planes of its clear bits
//! instead: `|¬a ∧ b| = |b| − |a ∧ b|`. Only planes below the highest bit set anywhere in `b`
//! are visited, so zero padding costs nothing.
//!
//! The threshold test runs on all lanes at once against one bound per block: the least
//! `min_overlap` over the block's popcount range (blocks are narrow because `b` is sorted by
//! popcount). Lanes that pass are rare; for each, the exact count is extracted and tested with
//! the exact table, and the f64 score is computed. A block whose best possible overlap
//! (`min(pa, max pb)`) is below the bound is skipped without touching its planes.

use super::{Hit, View};
use crate::dice::{dice, OverlapTable};

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod avx512;

/// 64-bit words per plane vector.
pub const LANE_WORDS: usize = 4;
/// Records per transposed block.
pub const LANES: usize = 64 * LANE_WORDS;

/// Planes summed per Harley–Seal step: plane lists are padded to a multiple of this.
const GROUP: usize = 32;
/// Binary digits of a lane count: 5 from the Harley–Seal accumulators (1, 2, 4, 8, 16) and
/// [`HIGH_DIGITS`] counting groups of 32 planes. Enough for 32 · 127 + 31 = 4095 planes.
const HIGH_DIGITS: usize = 7;
/// High digits enough for fewer than 32 groups (plane lists up to 992 long, which covers every
/// record of up to 1984 bits: a row visits at most half the planes).
const FEW_HIGH_DIGITS: usize = 5;
const DIGITS: usize = 5 + HIGH_DIGITS;
/// Largest plane count a lane counter can hold.
const MAX_PLANES: usize = (1 << DIGITS) - 1;
/// Longest record (in bits, padding included) the kernel handles: whole words whose planes a
/// lane counter can hold. [`super::Kernel::auto`] uses a classic kernel for longer records.
pub const MAX_RECORD_BITS: usize = MAX_PLANES / 64 * 64;

type Vector = [u64; LANE_WORDS];

/// Where a plane starts within its block, in bytes (plane index × 32): the kernel's plane
/// lists hold these so that the hot loop adds them to the block's address as they are.
type PlaneOffset = u32;

/// The [`PlaneOffset`] of plane `p` (at most [`MAX_PLANES`], so it fits).
#[inline(always)]
fn plane_offset(p: usize) -> PlaneOffset {
    (p * std::mem::size_of::<Vector>()) as PlaneOffset
}
const ZERO: Vector = [0; LANE_WORDS];

/// The records of `b`, sorted by popcount and transposed into blocks of [`LANES`].
#[derive(Debug, Clone)]
pub struct Transposed {
    /// Planes that can hold a set bit: one past the highest bit set in any record.
    planes: usize,
    /// `planes + 1` vectors per block; the last one of each block is all zero (padding target).
    data: Vec<Vector>,
    /// Original index of the record in each lane, block after block.
    perm: Vec<u32>,
    /// Popcount of the record in each lane.
    popcounts: Vec<u32>,
}

impl Transposed {
    /// Sorts and transposes `b`.
    pub fn new(b: View<'_>) -> Self {
        let stride = b.stride;
        let mut any = 0usize;
        for (k, w) in b.words.iter().enumerate() {
            if *w != 0 {
                any = any.max((k % stride) * 64 + 64 - w.leading_zeros() as usize);
            }
        }
        let planes = any;
        assert!(
            planes <= MAX_PLANES,
            "records longer than {MAX_PLANES} bits"
        );
        let mut perm: Vec<u32> = (0..b.len() as u32).collect();
        perm.sort_by_key(|&j| (b.popcounts[j as usize], j));
        let popcounts: Vec<u32> = perm.iter().map(|&j| b.popcounts[j as usize]).collect();
        let nblocks = b.len().div_ceil(LANES);
        let per_block = planes + 1;
        let mut data = vec![ZERO; nblocks * per_block];
        if planes > 0 {
            let fill =
                |(block, lanes): (&mut [Vector], &[u32])| fill_block(block, lanes, b, planes);
            if nblocks < 4 {
                // A small `b` (a block of a blocked linkage): not worth waking the pool.
                data.chunks_mut(per_block)
                    .zip(perm.chunks(LANES))
                    .for_each(fill);
            } else {
                use rayon::prelude::*;
                data.par_chunks_mut(per_block)
                    .zip(perm.par_chunks(LANES))
                    .for_each(fill);
            }
        }
        Transposed {
            planes,
            data,
            perm,
            popcounts,
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.perm.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.perm.is_empty()
    }

    fn blocks(&self) -> usize {
        self.perm.len().div_ceil(LANES)
    }
}

/// Writes the planes of one block: bit `p` of the record in lane `l` (`lanes[l]`, an index into
/// `b`) becomes bit `l` of plane `p`. Planes from `planes` on are all zero and left as they are.
///
/// Works on 64 × 64 bit tiles (64 lanes, one record word): gathering the tile and transposing
/// it in registers costs about 18 operations per record word, against several per set bit
/// for scattering bits one at a time.
fn fill_block(block: &mut [Vector], lanes: &[u32], b: View<'_>, planes: usize) {
    let mut tile = [0u64; 64];
    for (w, group) in lanes.chunks(64).enumerate() {
        for k in 0..b.stride {
            if k * 64 >= planes {
                break;
            }
            for (r, &j) in group.iter().enumerate() {
                tile[r] = b.words[j as usize * b.stride + k];
            }
            tile[group.len()..].fill(0);
            transpose_tile(&mut tile);
            for (bit, &row) in tile.iter().enumerate().take(planes - k * 64) {
                block[k * 64 + bit][w] = row;
            }
        }
    }
}

/// Transposes a 64 × 64 bit matrix in place: afterwards bit `r` of `m[c]` is what bit `c` of
/// `m[r]` was. Six rounds of swapping the off-diagonal quarters of ever smaller squares.
#[inline]
fn transpose_tile(m: &mut [u64; 64]) {
    const MASKS: [u64; 6] = [
        0x0000_0000_ffff_ffff,
        0x0000_ffff_0000_ffff,
        0x00ff_00ff_00ff_00ff,
        0x0f0f_0f0f_0f0f_0f0f,
        0x3333_3333_3333_3333,
        0x5555_5555_5555_5555,
    ];
    for (round, mask) in MASKS.into_iter().enumerate() {
        let j = 32 >> round;
        for k in (0..64).filter(|k| k & j == 0) {
            let t = ((m[k] >> j) ^ m[k + j]) & mask;
            m[k] ^= t << j;
            m[k + j] ^= t;
        }
    }
}

/// `lower[s] = min(need[s..])`: a lower bound on `min_overlap` for every sum `>= s`.
pub(crate) fn lower_envelope(table: &OverlapTable) -> Vec<u32> {
    let need = table.as_slice();
    let mut lower = need.to_vec();
    for s in (0..lower.len().saturating_sub(1)).rev() {
        lower[s] = lower[s].min(lower[s + 1]);
    }
    lower
}

/// A compiled form of the bit-sliced kernel. All give identical hits; [`Build::best`] is the
/// fastest one this CPU runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Build {
    /// Plain Rust for the default target: runs anywhere.
    Portable,
    /// The same code compiled for AVX2 (256-bit logic, five operations per carry-save adder).
    Avx2,
    /// AVX-512F/VL: each carry-save adder is two `vpternlogq`, and 32 vector registers hold the
    /// counters without spilling.
    Avx512,
}

impl Build {
    /// Every build, slowest first.
    pub const ALL: [Build; 3] = [Build::Portable, Build::Avx2, Build::Avx512];

    /// A short lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Build::Portable => "portable",
            Build::Avx2 => "avx2",
            Build::Avx512 => "avx512",
        }
    }

    /// True when this CPU can run the build.
    pub fn is_available(self) -> bool {
        match self {
            Build::Portable => true,
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Build::Avx2 => is_x86_feature_detected!("avx2"),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Build::Avx512 => {
                is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512vl")
            }
            #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
            Build::Avx2 | Build::Avx512 => false,
        }
    }

    /// The fastest build this CPU runs.
    pub fn best() -> Build {
        *Build::ALL
            .iter()
            .rev()
            .find(|b| b.is_available())
            .unwrap_or(&Build::Portable)
    }
}

/// Compares rows `a` against all of `bt` and appends hits (with `i` local to `a`, `j` the
/// original index in `b`) in ascending `(i, j)` order, with the best build.
pub fn compare_rows(a: View<'_>, bt: &Transposed, table: &OverlapTable, out: &mut Vec<Hit>) {
    compare_rows_with(Build::best(), a, bt, table, &lower_envelope(table), out)
}

/// All of `a × b` with the best build this CPU supports (transposes `b` first).
pub fn compare(a: View<'_>, b: View<'_>, table: &OverlapTable, out: &mut Vec<Hit>) {
    compare_build(Build::best(), a, b, table, out)
}

/// All of `a × b` with the given build (transposes `b` first). Panics if the CPU cannot run
/// it.
pub fn compare_build(
    build: Build,
    a: View<'_>,
    b: View<'_>,
    table: &OverlapTable,
    out: &mut Vec<Hit>,
) {
    let bt = Transposed::new(b);
    compare_rows_with(build, a, &bt, table, &lower_envelope(table), out)
}

/// [`compare_rows`] with the given build and the envelope precomputed. Panics if the CPU
/// cannot run the build.
pub(crate) fn compare_rows_with(
    build: Build,
    a: View<'_>,
    bt: &Transposed,
    table: &OverlapTable,
    lower: &[u32],
    out: &mut Vec<Hit>,
) {
    assert!(
        build.is_available(),
        "bit-sliced {} build not supported here",
        build.name()
    );
    match build {
        Build::Portable => compare_rows_impl::<Vector>(a, bt, table, lower, out),
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        // SAFETY: the CPU supports AVX2 (asserted above).
        Build::Avx2 => unsafe { compare_rows_avx2(a, bt, table, lower, out) },
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        // SAFETY: the CPU supports AVX2, AVX-512F and AVX-512VL (asserted above).
        Build::Avx512 => unsafe { avx512::compare_rows(a, bt, table, lower, out) },
        #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
        Build::Avx2 | Build::Avx512 => unreachable!("checked by is_available"),
    }
}

/// [`compare_rows_impl`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
unsafe fn compare_rows_avx2(
    a: View<'_>,
    bt: &Transposed,
    table: &OverlapTable,
    lower: &[u32],
    out: &mut Vec<Hit>,
) {
    compare_rows_impl::<Vector>(a, bt, table, lower, out)
}

/// The vector operations the carry-save adder tree is built from. [`Vector`] implements them
/// in plain Rust; the AVX-512 build has its own, with ternary logic.
trait Lanes: Copy {
    fn load(v: &Vector) -> Self;
    fn store(self) -> Vector;
    /// Full adder: `(carry, sum)` = (majority, parity) of `a`, `b`, `c`.
    fn csa(a: Self, b: Self, c: Self) -> (Self, Self);
    /// Half adder: `(carry, sum)` = `(a & b, a ^ b)`.
    fn half(a: Self, b: Self) -> (Self, Self);
}

impl Lanes for Vector {
    #[inline(always)]
    fn load(v: &Vector) -> Self {
        *v
    }

    #[inline(always)]
    fn store(self) -> Vector {
        self
    }

    #[inline(always)]
    fn csa(a: Self, b: Self, c: Self) -> (Self, Self) {
        csa(&a, &b, &c)
    }

    #[inline(always)]
    fn half(a: Self, b: Self) -> (Self, Self) {
        let (mut h, mut l) = (ZERO, ZERO);
        for w in 0..LANE_WORDS {
            h[w] = a[w] & b[w];
            l[w] = a[w] ^ b[w];
        }
        (h, l)
    }
}

#[inline(always)]
fn csa(a: &Vector, b: &Vector, c: &Vector) -> (Vector, Vector) {
    let mut h = ZERO;
    let mut l = ZERO;
    for k in 0..LANE_WORDS {
        let u = a[k] ^ b[k];
        h[k] = (a[k] & b[k]) | (u & c[k]);
        l[k] = u ^ c[k];
    }
    (h, l)
}

#[inline(always)]
fn not(v: Vector) -> Vector {
    let mut r = ZERO;
    for w in 0..LANE_WORDS {
        r[w] = !v[w];
    }
    r
}

/// Lanes whose bit-sliced count is `>= k`.
#[inline(always)]
fn ge_const(digits: &[Vector; DIGITS], k: u64) -> Vector {
    if k == 0 {
        return [!0; LANE_WORDS];
    }
    if k > MAX_PLANES as u64 {
        return ZERO;
    }
    let mut gt = ZERO;
    let mut eq = [!0u64; LANE_WORDS];
    for d in (0..DIGITS).rev() {
        let x = &digits[d];
        if (k >> d) & 1 == 1 {
            for w in 0..LANE_WORDS {
                eq[w] &= x[w];
            }
        } else {
            for w in 0..LANE_WORDS {
                gt[w] |= eq[w] & x[w];
                eq[w] &= !x[w];
            }
        }
    }
    let mut r = ZERO;
    for w in 0..LANE_WORDS {
        r[w] = gt[w] | eq[w];
    }
    r
}

/// Per-lane counts in progress, bit-sliced: the Harley–Seal accumulators (weights 1 to 16)
/// and the count of groups of 32 (weight 32 and up).
#[derive(Clone, Copy)]
struct Counter {
    ones: Vector,
    twos: Vector,
    fours: Vector,
    eights: Vector,
    sixteens: Vector,
    high: [Vector; HIGH_DIGITS],
}

/// Harley–Seal over 16 planes: adds them into the accumulators `(ones, twos, fours, eights)`
/// and returns the carry out of weight 16.
///
/// # Safety
/// Every entry of `g` must be the offset of a vector of `planes`.
#[inline(always)]
unsafe fn add_sixteen<L: Lanes>(acc: &mut [L; 4], planes: &[Vector], g: &[PlaneOffset; 16]) -> L {
    let base = planes.as_ptr().cast::<u8>();
    // SAFETY: the caller guarantees every offset is that of a vector of `planes`, so the
    // pointer is in bounds and aligned.
    let p = |k: usize| L::load(unsafe { &*base.add(g[k] as usize).cast::<Vector>() });
    let [ones, twos, fours, eights] = *acc;
    let (twos_a, o) = L::csa(ones, p(0), p(1));
    let (twos_b, o) = L::csa(o, p(2), p(3));
    let (fours_a, t) = L::csa(twos, twos_a, twos_b);
    let (twos_a, o) = L::csa(o, p(4), p(5));
    let (twos_b, o) = L::csa(o, p(6), p(7));
    let (fours_b, t) = L::csa(t, twos_a, twos_b);
    let (eights_a, f) = L::csa(fours, fours_a, fours_b);
    let (twos_a, o) = L::csa(o, p(8), p(9));
    let (twos_b, o) = L::csa(o, p(10), p(11));
    let (fours_a, t) = L::csa(t, twos_a, twos_b);
    let (twos_a, o) = L::csa(o, p(12), p(13));
    let (twos_b, o) = L::csa(o, p(14), p(15));
    let (fours_b, t) = L::csa(t, twos_a, twos_b);
    let (eights_b, f) = L::csa(f, fours_a, fours_b);
    let (sixteens, e) = L::csa(eights, eights_a, eights_b);
    *acc = [o, t, f, e];
    sixteens
}

impl Counter {
    const ZERO: Counter = Counter {
        ones: ZERO,
        twos: ZERO,
        fours: ZERO,
        eights: ZERO,
        sixteens: ZERO,
        high: [ZERO; HIGH_DIGITS],
    };

    /// The counts so far as binary digits (exact between groups).
    #[inline(always)]
    fn digits(&self) -> [Vector; DIGITS] {
        let mut digits = [ZERO; DIGITS];
        digits[0] = self.ones;
        digits[1] = self.twos;
        digits[2] = self.fours;
        digits[3] = self.eights;
        digits[4] = self.sixteens;
        digits[5..].copy_from_slice(&self.high);
        digits
    }

    /// Adds the planes listed in `idx` (a multiple of [`GROUP`] long) over the lanes of one
    /// block. Only the lowest `H` high digits are carried into: the caller guarantees that
    /// the count of groups added in all stays below `2^H`, so the others stay zero.
    ///
    /// # Safety
    /// Every entry of `idx` must be the offset of a vector of `planes`.
    #[inline(always)]
    unsafe fn add_planes<L: Lanes, const H: usize>(
        &mut self,
        planes: &[Vector],
        idx: &[PlaneOffset],
    ) {
        let mut acc = [
            L::load(&self.ones),
            L::load(&self.twos),
            L::load(&self.fours),
            L::load(&self.eights),
        ];
        let mut sixteens = L::load(&self.sixteens);
        // Plain loops rather than `array::map`: `map` is not compiled with the caller's target
        // features, so `L::load`/`L::store` called through it would not be inlined.
        let mut high = [L::load(&ZERO); HIGH_DIGITS];
        for (h, v) in high.iter_mut().zip(&self.high).take(H) {
            *h = L::load(v);
        }
        for g in idx.chunks_exact(GROUP) {
            let (first, second) = g.split_at(16);
            // SAFETY: the caller guarantees every index is in bounds.
            let (sixteens_a, sixteens_b) = unsafe {
                let a = add_sixteen(&mut acc, planes, first.try_into().unwrap());
                let b = add_sixteen(&mut acc, planes, second.try_into().unwrap());
                (a, b)
            };
            let (thirty_twos, s) = L::csa(sixteens, sixteens_a, sixteens_b);
            sixteens = s;
            // Ripple-add the thirty-twos into the high digits.
            let mut carry = thirty_twos;
            for h in high.iter_mut().take(H) {
                (carry, *h) = L::half(*h, carry);
            }
        }
        self.ones = acc[0].store();
        self.twos = acc[1].store();
        self.fours = acc[2].store();
        self.eights = acc[3].store();
        self.sixteens = sixteens.store();
        for (v, h) in self.high.iter_mut().zip(&high).take(H) {
            *v = h.store();
        }
    }

    /// [`Counter::add_planes`] with as few high digits as a plane list of `total` entries
    /// (the whole row's) needs.
    ///
    /// # Safety
    /// Every entry of `idx` must be the offset of a vector of `planes`.
    #[inline(always)]
    unsafe fn add<L: Lanes>(&mut self, planes: &[Vector], idx: &[PlaneOffset], total: usize) {
        // SAFETY: passed on from the caller.
        unsafe {
            if total / GROUP < 1 << FEW_HIGH_DIGITS {
                self.add_planes::<L, FEW_HIGH_DIGITS>(planes, idx)
            } else {
                self.add_planes::<L, HIGH_DIGITS>(planes, idx)
            }
        }
    }
}

/// Sums the planes listed in `idx` (a multiple of [`GROUP`] long) over the lanes of one block.
#[cfg(test)]
fn count_planes(planes: &[Vector], idx: &[u16]) -> [Vector; DIGITS] {
    assert!(idx.iter().all(|&p| (p as usize) < planes.len()));
    let offsets: Vec<PlaneOffset> = idx.iter().map(|&p| plane_offset(p as usize)).collect();
    let mut c = Counter::ZERO;
    // SAFETY: every index is in bounds, asserted just above.
    unsafe { c.add::<Vector>(planes, &offsets, idx.len()) };
    c.digits()
}

/// Fractions of a row's groups after which the kernel checks whether any lane can still pass.
const CHECKPOINTS: [(usize, usize); 5] = [(3, 8), (4, 8), (5, 8), (6, 8), (7, 8)];

/// The count held by lane `lane` of bit-sliced `digits`.
#[inline(always)]
fn lane_count(digits: &[Vector; DIGITS], lane: usize) -> u32 {
    let (w, b) = (lane / 64, lane % 64);
    let mut c = 0;
    for (d, x) in digits.iter().enumerate() {
        c |= (((x[w] >> b) & 1) as u32) << d;
    }
    c
}

#[inline(always)]
fn compare_rows_impl<L: Lanes>(
    a: View<'_>,
    bt: &Transposed,
    table: &OverlapTable,
    lower: &[u32],
    out: &mut Vec<Hit>,
) {
    let planes = bt.planes;
    if planes == 0 || a.is_empty() || bt.is_empty() {
        // Every record of b is all zero: every score is 0.0, below any threshold.
        return;
    }
    let need = table.as_slice();
    let start = out.len();
    let zero_plane = plane_offset(planes);

    // Per row: plane indices (set bits, or clear bits when fewer), padded to whole groups of
    // [`GROUP`] with the block's all-zero plane.
    let mut idx: Vec<PlaneOffset> = Vec::new();
    let mut rows: Vec<(u32, u32, bool, std::ops::Range<usize>)> = Vec::new();
    for i in 0..a.len() {
        let pa = a.popcounts[i];
        if pa == 0 {
            continue;
        }
        let r = a.record(i);
        // Word k of the record, limited to planes that exist (and complemented if asked).
        let word = |k: usize, complement: bool| {
            let w = if complement { !r[k] } else { r[k] };
            let valid = planes.saturating_sub(k * 64);
            if valid >= 64 {
                w
            } else {
                w & ((1u64 << valid) - 1)
            }
        };
        let used_words = planes.div_ceil(64);
        let set_below: u32 = (0..used_words).map(|k| word(k, false).count_ones()).sum();
        let complement = (planes as u32 - set_below) < set_below;
        let begin = idx.len();
        for k in 0..used_words {
            let mut x = word(k, complement);
            while x != 0 {
                idx.push(plane_offset(k * 64 + x.trailing_zeros() as usize));
                x &= x - 1;
            }
        }
        while !(idx.len() - begin).is_multiple_of(GROUP) {
            idx.push(zero_plane);
        }
        rows.push((i as u32, pa, complement, begin..idx.len()));
    }

    let per_block = planes + 1;
    for blk in 0..bt.blocks() {
        let lane0 = blk * LANES;
        let lane1 = (lane0 + LANES).min(bt.len());
        let pbs = &bt.popcounts[lane0..lane1];
        let (pb_min, pb_max) = (pbs[0], pbs[pbs.len() - 1]);
        let block = &bt.data[blk * per_block..(blk + 1) * per_block];
        let mut valid = ZERO;
        for lane in 0..lane1 - lane0 {
            valid[lane / 64] |= 1 << (lane % 64);
        }
        for &(i, pa, complement, ref range) in &rows {
            let bound = lower[(pa + pb_min) as usize];
            // Overlap never exceeds min(pa, pb): skip blocks that cannot reach the bound.
            if bound == u32::MAX || pa.min(pb_max) < bound {
                continue;
            }
            let idx = &idx[range.clone()];
            let groups = idx.len() / GROUP;
            let mut counter = Counter::ZERO;
            let mut done = 0;
            let mut dead = false;
            // At checkpoints, stop when no lane can reach the bound any more (normal mode: count
            // plus planes still to come is below it; complement: the count already exceeds it).
            for (num, den) in CHECKPOINTS {
                let upto = groups * num / den;
                if upto <= done {
                    continue;
                }
                // SAFETY: plane lists hold the offsets of planes below `planes` and of the
                // zero plane (`planes`); a block holds `planes + 1` vectors.
                unsafe { counter.add::<L>(block, &idx[done * GROUP..upto * GROUP], idx.len()) };
                done = upto;
                let remaining = (idx.len() - done * GROUP) as u64;
                let alive = if complement {
                    not(ge_const(&counter.digits(), (pb_max - bound) as u64 + 1))
                } else if (bound as u64) > remaining {
                    ge_const(&counter.digits(), bound as u64 - remaining)
                } else {
                    continue;
                };
                if (0..LANE_WORDS).all(|w| alive[w] & valid[w] == 0) {
                    dead = true;
                    break;
                }
            }
            if dead {
                continue;
            }
            // SAFETY: as above.
            unsafe { counter.add::<L>(block, &idx[done * GROUP..], idx.len()) };
            let digits = counter.digits();
            let mut mask = if complement {
                // c = pb - d >= need  implies  d <= pb_max - bound.
                not(ge_const(&digits, (pb_max - bound) as u64 + 1))
            } else {
                ge_const(&digits, bound as u64)
            };
            for w in 0..LANE_WORDS {
                mask[w] &= valid[w];
            }
            for (w, &m) in mask.iter().enumerate() {
                let mut m = m;
                while m != 0 {
                    let lane = w * 64 + m.trailing_zeros() as usize;
                    m &= m - 1;
                    let pb = pbs[lane];
                    let x = lane_count(&digits, lane);
                    let c = if complement { pb - x } else { x };
                    if c >= need[(pa + pb) as usize] {
                        out.push(Hit {
                            score: dice(c, pa, pb),
                            i,
                            j: bt.perm[lane0 + lane],
                        });
                    }
                }
            }
        }
    }
    out[start..].sort_unstable_by_key(|h| (h.i, h.j));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-sliced digits holding `counts` (one per lane).
    fn slice(counts: &[u32]) -> [Vector; DIGITS] {
        let mut d = [ZERO; DIGITS];
        for (lane, &c) in counts.iter().enumerate() {
            for (k, digit) in d.iter_mut().enumerate() {
                digit[lane / 64] |= (((c >> k) & 1) as u64) << (lane % 64);
            }
        }
        d
    }

    #[test]
    fn ge_const_and_lane_count_match_plain_integers() {
        let counts: Vec<u32> = (0..LANES as u32).map(|l| (l * 37 + 11) % 4096).collect();
        let d = slice(&counts);
        for (lane, &c) in counts.iter().enumerate() {
            assert_eq!(lane_count(&d, lane), c);
        }
        for k in [
            0u64, 1, 2, 15, 16, 17, 400, 1023, 1024, 2047, 4095, 4096, 10_000,
        ] {
            let m = ge_const(&d, k);
            for (lane, &c) in counts.iter().enumerate() {
                assert_eq!(
                    (m[lane / 64] >> (lane % 64)) & 1 == 1,
                    c as u64 >= k,
                    "k={k}"
                );
            }
        }
    }

    #[test]
    fn count_planes_counts_listed_planes_per_lane() {
        // 40 planes, lane l has plane p set when (l + p) % 3 == 0; plus the zero plane.
        let planes = 40;
        let mut data = vec![ZERO; planes + 1];
        for (p, plane) in data.iter_mut().enumerate().take(planes) {
            for lane in 0..LANES {
                if (lane + p) % 3 == 0 {
                    plane[lane / 64] |= 1 << (lane % 64);
                }
            }
        }
        let mut idx: Vec<u16> = (0..planes as u16).step_by(2).collect();
        while !idx.len().is_multiple_of(GROUP) {
            idx.push(planes as u16);
        }
        let d = count_planes(&data, &idx);
        for lane in 0..LANES {
            let want = (0..planes)
                .step_by(2)
                .filter(|p| (lane + p) % 3 == 0)
                .count();
            assert_eq!(lane_count(&d, lane) as usize, want);
        }
    }

    #[test]
    fn count_planes_is_exact_for_short_and_long_plane_lists() {
        // Long lists (repeated planes allowed) cross from the few-high-digits build (under 32
        // groups) to the full one, up to the largest count a counter holds.
        let planes = 97;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut data = vec![ZERO; planes + 1];
        for plane in data.iter_mut().take(planes) {
            for w in plane.iter_mut() {
                *w = next();
            }
        }
        data[0] = [!0; LANE_WORDS]; // every lane counts plane 0: reach the extreme counts
        for len in [GROUP, 31 * GROUP, 32 * GROUP, 33 * GROUP, 127 * GROUP] {
            let idx: Vec<u16> = (0..len)
                .map(|k| {
                    if k % 2 == 0 {
                        0
                    } else {
                        (next() % planes as u64) as u16
                    }
                })
                .collect();
            let d = count_planes(&data, &idx);
            for lane in 0..LANES {
                let want = idx
                    .iter()
                    .filter(|&&p| (data[p as usize][lane / 64] >> (lane % 64)) & 1 == 1)
                    .count();
                assert_eq!(lane_count(&d, lane) as usize, want, "len {len} lane {lane}");
            }
        }
        // All-ones planes: every lane holds the largest count.
        let ones = vec![[!0u64; LANE_WORDS]];
        let d = count_planes(&ones, &vec![0u16; 127 * GROUP]);
        assert_eq!(lane_count(&d, 5) as usize, 127 * GROUP);
    }

    #[test]
    fn transpose_tile_swaps_rows_and_columns() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut m = [0u64; 64];
        for row in m.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *row = state;
        }
        let before = m;
        transpose_tile(&mut m);
        for (r, row) in before.iter().enumerate() {
            for (c, column) in m.iter().enumerate() {
                assert_eq!((column >> r) & 1, (row >> c) & 1, "r={r} c={c}");
            }
        }
    }

    #[test]
    fn transposed_blocks_hold_each_bit_once() {
        // 600 records of 3 words (three blocks, the last one partial), bits up to 170.
        let (n, stride) = (600usize, 3usize);
        let words: Vec<u64> = (0..n * stride)
            .map(|i| {
                let x = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                if i % stride == 2 {
                    x & ((1 << 42) - 1)
                } else {
                    x
                }
            })
            .collect();
        let popcounts: Vec<u32> = words
            .chunks(stride)
            .map(|r| r.iter().map(|w| w.count_ones()).sum())
            .collect();
        let b = View {
            words: &words,
            popcounts: &popcounts,
            stride,
        };
        let bt = Transposed::new(b);
        assert_eq!(bt.planes, 170);
        let per_block = bt.planes + 1;
        for (slot, &j) in bt.perm.iter().enumerate() {
            let (blk, lane) = (slot / LANES, slot % LANES);
            let block = &bt.data[blk * per_block..(blk + 1) * per_block];
            for (p, plane) in block.iter().enumerate() {
                let want = p < bt.planes && (b.record(j as usize)[p / 64] >> (p % 64)) & 1 == 1;
                let got = (plane[lane / 64] >> (lane % 64)) & 1 == 1;
                assert_eq!(got, want, "record {j} plane {p}");
            }
        }
        // Lanes past the last record are empty.
        for plane in &bt.data[2 * per_block..] {
            for lane in n % LANES..LANES {
                assert_eq!(
                    (plane[lane / 64] >> (lane % 64)) & 1,
                    0,
                    "empty lane {lane}"
                );
            }
        }
    }

    #[test]
    fn lower_envelope_is_a_lower_bound() {
        for t in [0.5, 0.8, 1.0, 0.3] {
            let table = OverlapTable::new(t, 64);
            let lower = lower_envelope(&table);
            for s in 0..lower.len() {
                for s2 in s..lower.len() {
                    assert!(lower[s] <= table.min_overlap(s2 as u32));
                }
            }
        }
    }
}
