//! x86-64 kernels, chosen at run time: the tiled scalar kernel compiled with the `popcnt`
//! instruction, and an AVX2 kernel using the nibble-lookup (`vpshufb`) popcount.

#[cfg(target_arch = "x86")]
use std::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::{Hit, View};
use crate::dice::{dice, OverlapTable};

/// True when this CPU has the `popcnt` instruction.
pub fn has_popcnt() -> bool {
    is_x86_feature_detected!("popcnt")
}

/// True when this CPU has AVX2 (and `popcnt`).
pub fn has_avx2() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt")
}

/// The tiled scalar kernel with hardware `popcnt`. Panics if the CPU lacks it.
pub fn compare_popcnt(a: View<'_>, b: View<'_>, table: &OverlapTable, out: &mut Vec<Hit>) {
    assert!(has_popcnt(), "this CPU has no popcnt instruction");
    // SAFETY: the CPU supports `popcnt`, checked just above.
    unsafe { compare_popcnt_impl(a, b, table, out) }
}

#[target_feature(enable = "popcnt")]
unsafe fn compare_popcnt_impl(a: View<'_>, b: View<'_>, table: &OverlapTable, out: &mut Vec<Hit>) {
    super::portable::compare_tiled_dispatch(a, b, table, out)
}

/// The AVX2 nibble-lookup kernel. Panics if the CPU lacks AVX2 or `popcnt`.
pub fn compare_avx2(a: View<'_>, b: View<'_>, table: &OverlapTable, out: &mut Vec<Hit>) {
    assert!(has_avx2(), "this CPU has no AVX2");
    if !a.stride.is_multiple_of(4) {
        // Records that are not whole 256-bit vectors: the popcnt kernel is as good.
        // SAFETY: `has_avx2` checked `popcnt` too.
        return unsafe { compare_popcnt_impl(a, b, table, out) };
    }
    // SAFETY: the CPU supports AVX2 and popcnt, checked just above.
    unsafe {
        match a.stride {
            16 => compare_avx2_impl::<4>(a, b, table, out),
            8 => compare_avx2_impl::<2>(a, b, table, out),
            32 => compare_avx2_impl::<8>(a, b, table, out),
            _ => compare_avx2_impl::<0>(a, b, table, out),
        }
    }
}

/// Bytes of `b` per block (see the portable kernel).
const B_BLOCK_BYTES: usize = 192 * 1024;

/// popcount of each byte of `v`, as bytes.
#[inline(always)]
unsafe fn popcount_bytes(v: __m256i, lut: __m256i, low: __m256i) -> __m256i {
    let lo = _mm256_and_si256(v, low);
    let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(v), low);
    _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi))
}

/// Byte counts of `a AND b` for one record of `nv` vectors, summed to four u64 lanes.
/// `NV` is the number of 256-bit vectors when known (0 = use `nv`).
///
/// # Safety
/// AVX2 must be available; `a` and `b` point at `nv * 4` readable words.
#[inline(always)]
unsafe fn and_popcount_lanes<const NV: usize>(
    a: *const u64,
    b: *const u64,
    nv: usize,
    lut: __m256i,
    low: __m256i,
) -> __m256i {
    let n = if NV == 0 { nv } else { NV };
    let mut acc = _mm256_setzero_si256();
    let mut bytes = _mm256_setzero_si256();
    for k in 0..n {
        let va = _mm256_loadu_si256(a.add(4 * k) as *const __m256i);
        let vb = _mm256_loadu_si256(b.add(4 * k) as *const __m256i);
        bytes = _mm256_add_epi8(bytes, popcount_bytes(_mm256_and_si256(va, vb), lut, low));
        // Each byte gains at most 8 per vector: flush every 31 vectors before 255 overflows.
        if NV == 0 && k % 31 == 30 {
            acc = _mm256_add_epi64(acc, _mm256_sad_epu8(bytes, _mm256_setzero_si256()));
            bytes = _mm256_setzero_si256();
        }
    }
    _mm256_add_epi64(acc, _mm256_sad_epu8(bytes, _mm256_setzero_si256()))
}

#[target_feature(enable = "avx2,popcnt")]
unsafe fn compare_avx2_impl<const NV: usize>(
    a: View<'_>,
    b: View<'_>,
    table: &OverlapTable,
    out: &mut Vec<Hit>,
) {
    let stride = a.stride;
    let nv = stride / 4;
    debug_assert!(NV == 0 || NV == nv);
    debug_assert_eq!(b.stride, stride);
    if a.is_empty() || b.is_empty() || stride == 0 {
        return;
    }
    let lut = _mm256_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3,
        3, 4,
    );
    let low = _mm256_set1_epi8(0x0f);
    let need = table.as_slice();
    let start = out.len();
    let block = (B_BLOCK_BYTES / (8 * stride)).max(16);
    let mut j0 = 0;
    while j0 < b.len() {
        let j1 = (j0 + block).min(b.len());
        for i in 0..a.len() {
            let pa = a.popcounts[i];
            if pa == 0 {
                continue;
            }
            let need = &need[pa as usize..];
            let ra = a.words[i * stride..(i + 1) * stride].as_ptr();
            let mut j = j0;
            // Four records of b at a time: one horizontal reduction for all four.
            while j + 4 <= j1 {
                let rb = b.words[j * stride..(j + 4) * stride].as_ptr();
                // SAFETY (for the raw reads below): `ra` has `stride` words and `rb` has
                // `4 * stride` words, both bounds-checked slices just above.
                let s0 = and_popcount_lanes::<NV>(ra, rb, nv, lut, low);
                let s1 = and_popcount_lanes::<NV>(ra, rb.add(stride), nv, lut, low);
                let s2 = and_popcount_lanes::<NV>(ra, rb.add(2 * stride), nv, lut, low);
                let s3 = and_popcount_lanes::<NV>(ra, rb.add(3 * stride), nv, lut, low);
                // Each u64 lane holds < 2^32: pack two records per lane, then add lanes.
                let s01 = _mm256_or_si256(s0, _mm256_slli_epi64::<32>(s1));
                let s23 = _mm256_or_si256(s2, _mm256_slli_epi64::<32>(s3));
                let u = _mm256_add_epi32(
                    _mm256_unpacklo_epi64(s01, s23),
                    _mm256_unpackhi_epi64(s01, s23),
                );
                let c = _mm_add_epi32(_mm256_castsi256_si128(u), _mm256_extracti128_si256::<1>(u));
                let pb = &b.popcounts[j..j + 4];
                let n = _mm_setr_epi32(
                    need[pb[0] as usize] as i32,
                    need[pb[1] as usize] as i32,
                    need[pb[2] as usize] as i32,
                    need[pb[3] as usize] as i32,
                );
                // c >= need  <=>  !(need > c); u32::MAX is -1 as i32, so compare unsigned by
                // flipping the sign bit.
                let flip = _mm_set1_epi32(i32::MIN);
                let fail = _mm_cmpgt_epi32(_mm_xor_si128(n, flip), _mm_xor_si128(c, flip));
                let pass = !_mm_movemask_ps(_mm_castsi128_ps(fail)) & 0xf;
                if pass != 0 {
                    let mut cs = [0u32; 4];
                    _mm_storeu_si128(cs.as_mut_ptr() as *mut __m128i, c);
                    for (k, (&ck, &pbk)) in cs.iter().zip(pb).enumerate() {
                        if pass & (1 << k) != 0 {
                            out.push(Hit {
                                score: dice(ck, pa, pbk),
                                i: i as u32,
                                j: (j + k) as u32,
                            });
                        }
                    }
                }
                j += 4;
            }
            while j < j1 {
                let rb = &b.words[j * stride..(j + 1) * stride];
                let pb = b.popcounts[j];
                let c: u32 = a.words[i * stride..(i + 1) * stride]
                    .iter()
                    .zip(rb)
                    .map(|(x, y)| (x & y).count_ones())
                    .sum();
                if c >= need[pb as usize] {
                    out.push(Hit {
                        score: dice(c, pa, pb),
                        i: i as u32,
                        j: j as u32,
                    });
                }
                j += 1;
            }
        }
        j0 = j1;
    }
    out[start..].sort_by_key(|h| h.i);
}
