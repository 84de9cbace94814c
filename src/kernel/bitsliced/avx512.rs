//! The AVX-512 build of the bit-sliced kernel: the same algorithm, with each carry-save adder
//! done by two ternary-logic instructions (`vpternlogq`: majority and three-way parity)
//! instead of five two-input operations, on 256-bit vectors (AVX-512VL) so that the block
//! layout is the same as for the other builds.

#[cfg(target_arch = "x86")]
use std::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::{compare_rows_impl, Lanes, Transposed, Vector};
use crate::dice::OverlapTable;
use crate::kernel::{Hit, View};

/// One vector of lanes in a register.
///
/// Values of this type exist only inside [`compare_rows`], which the caller may enter only on
/// a CPU with AVX2, AVX-512F and AVX-512VL; that is what makes its safe methods sound.
#[derive(Clone, Copy)]
struct Ternlog(__m256i);

impl Lanes for Ternlog {
    #[inline(always)]
    fn load(v: &Vector) -> Self {
        // SAFETY: `v` is 32 readable bytes; the unaligned load has no alignment requirement;
        // AVX is present (see the type's comment).
        Ternlog(unsafe { _mm256_loadu_si256(v.as_ptr().cast()) })
    }

    #[inline(always)]
    fn store(self) -> Vector {
        let mut v = [0u64; 4];
        // SAFETY: `v` is 32 writable bytes; AVX is present (see the type's comment).
        unsafe { _mm256_storeu_si256(v.as_mut_ptr().cast(), self.0) };
        v
    }

    #[inline(always)]
    fn csa(a: Self, b: Self, c: Self) -> (Self, Self) {
        // Truth-table immediates over (a, b, c) = (0xF0, 0xCC, 0xAA): majority is 0xE8,
        // parity 0x96.
        // SAFETY: AVX-512F and AVX-512VL are present (see the type's comment).
        unsafe {
            (
                Ternlog(_mm256_ternarylogic_epi64::<0xE8>(a.0, b.0, c.0)),
                Ternlog(_mm256_ternarylogic_epi64::<0x96>(a.0, b.0, c.0)),
            )
        }
    }

    #[inline(always)]
    fn half(a: Self, b: Self) -> (Self, Self) {
        // SAFETY: AVX2 is present (see the type's comment).
        unsafe {
            (
                Ternlog(_mm256_and_si256(a.0, b.0)),
                Ternlog(_mm256_xor_si256(a.0, b.0)),
            )
        }
    }
}

/// The bit-sliced row comparison compiled for AVX-512.
///
/// # Safety
/// The CPU must support AVX2, AVX-512F and AVX-512VL.
#[target_feature(enable = "avx2,avx512f,avx512vl")]
pub(super) unsafe fn compare_rows(
    a: View<'_>,
    bt: &Transposed,
    table: &OverlapTable,
    lower: &[u32],
    out: &mut Vec<Hit>,
) {
    compare_rows_impl::<Ternlog>(a, bt, table, lower, out)
}
