//! Portable kernels: the reference loop, and the tiled scalar kernel that the x86 `popcnt`
//! path compiles with hardware popcount.

use super::{Hit, View};
use crate::dice::{dice, OverlapTable};

/// Appends to `out` every pair `(i, j)` of `a × b` with Dice score `>= table.threshold()`, in
/// ascending `(i, j)` order. Portable reference implementation: simple and obviously right.
pub fn compare_reference(a: View<'_>, b: View<'_>, table: &OverlapTable, out: &mut Vec<Hit>) {
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

/// Bytes of `b` records compared against one tile of `a` rows before moving on: sized to sit in
/// a 512 KiB L2 cache with room to spare.
const B_BLOCK_BYTES: usize = 192 * 1024;

/// The tiled kernel: blocks of `b` sized for L2, each compared against every row of `a` (the
/// caller's tile, small enough for L1). Hits are gathered block by block and then put in
/// `(i, j)` order. `S` is the stride when known at compile time (0 = use `a.stride`).
///
/// `#[inline(always)]` so that callers with `#[target_feature]` get it compiled with their
/// instruction set (hardware `popcnt`).
#[inline(always)]
pub(crate) fn compare_tiled<const S: usize>(
    a: View<'_>,
    b: View<'_>,
    table: &OverlapTable,
    out: &mut Vec<Hit>,
) {
    let stride = if S == 0 { a.stride } else { S };
    debug_assert_eq!(a.stride, stride);
    debug_assert_eq!(b.stride, stride);
    if a.is_empty() || b.is_empty() || stride == 0 {
        return;
    }
    let need = table.as_slice();
    let start = out.len();
    let block = (B_BLOCK_BYTES / (8 * stride)).max(16);
    let mut j0 = 0;
    while j0 < b.len() {
        let j1 = (j0 + block).min(b.len());
        let bw = &b.words[j0 * stride..j1 * stride];
        let bp = &b.popcounts[j0..j1];
        for (i, (ra, &pa)) in a.words.chunks_exact(stride).zip(a.popcounts).enumerate() {
            if pa == 0 {
                continue;
            }
            let need = &need[pa as usize..];
            for (j, (rb, &pb)) in bw.chunks_exact(stride).zip(bp).enumerate() {
                let c = and_popcount::<S>(ra, rb);
                // `need` is u32::MAX where nothing can reach the threshold, and c <= bits.
                if c >= need[pb as usize] {
                    out.push(Hit {
                        score: dice(c, pa, pb),
                        i: i as u32,
                        j: (j0 + j) as u32,
                    });
                }
            }
        }
        j0 = j1;
    }
    // Within one block hits are in (i, j) order, and blocks are in j order: a stable sort on i
    // restores (i, j) order. Hits are few, so this costs nothing next to the comparisons.
    out[start..].sort_by_key(|h| h.i);
}

/// popcount(a AND b) for two records of `S` words (or any equal length when `S == 0`).
#[inline(always)]
fn and_popcount<const S: usize>(a: &[u64], b: &[u64]) -> u32 {
    if S == 0 {
        a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum()
    } else {
        let a: &[u64; S] = a.try_into().expect("record of S words");
        let b: &[u64; S] = b.try_into().expect("record of S words");
        let mut c = 0;
        for k in 0..S {
            c += (a[k] & b[k]).count_ones();
        }
        c
    }
}

/// The tiled kernel with the common strides specialised, for whatever popcount the caller's
/// target features give.
#[inline(always)]
pub(crate) fn compare_tiled_dispatch(
    a: View<'_>,
    b: View<'_>,
    table: &OverlapTable,
    out: &mut Vec<Hit>,
) {
    match a.stride {
        8 => compare_tiled::<8>(a, b, table, out),
        16 => compare_tiled::<16>(a, b, table, out),
        32 => compare_tiled::<32>(a, b, table, out),
        _ => compare_tiled::<0>(a, b, table, out),
    }
}

/// The tiled kernel with the default target's popcount (no `popcnt` instruction on stock
/// x86-64). Safe and portable.
pub fn compare_scalar(a: View<'_>, b: View<'_>, table: &OverlapTable, out: &mut Vec<Hit>) {
    compare_tiled_dispatch(a, b, table, out)
}
