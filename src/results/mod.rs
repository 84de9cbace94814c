//! Result files in the Anonlink Entity Service's formats (`formats.md` §7, §8, §10, §12).
//!
//! - [`write_groups`]: `{"groups": [...]}`, byte-identical to the canonicalised reference
//!   outputs.
//! - [`write_similarity_scores`]: the service's exact `similarity_scores` bytes.
//! - [`permutations`], [`write_permutations`]: the `permutations` result type (2 parties), with
//!   randomness from a CSPRNG ([`permutation_rng`]).
//! - [`RunStatus`]: the run status JSON, written atomically for pollers.
//!
//! Every file is written atomically: it appears whole or not at all. No writer logs or reports
//! any score, group or record.

mod groups;
mod permutations;
mod scores;
mod status;

pub use groups::{groups_json, write_groups};
pub use permutations::{
    permutation_rng, permutations, permutations_from_shuffles, try_permutation_rng,
    write_permutations, Permutations,
};
pub use scores::{similarity_scores_json, write_similarity_scores, write_similarity_scores_to};
pub use status::{iso8601_now, Progress, RunState, RunStatus, RunType, Stage};

/// Appends the decimal digits of `v` (faster than `write!` for millions of integers).
#[inline]
pub(crate) fn push_u32(s: &mut String, mut v: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // The bytes are ASCII digits.
    s.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}
