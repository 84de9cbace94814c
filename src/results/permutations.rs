//! The `permutations` result type: one permutation per party and the mask (`formats.md` §10).

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use rand::seq::SliceRandom;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::error::{Error, Result};
use crate::output::{ensure_dir, write_atomically};
use crate::solve::Group;

/// Both parties' permutations and the mask.
///
/// Apply a permutation as `new[perm[i]] = old[i]`; then each position `p < rows` with
/// `mask[p] == 1` holds a linked pair in both reordered datasets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permutations {
    /// Party 0's permutation: the new position of each of its `n0` rows.
    pub perm0: Vec<u32>,
    /// Party 1's permutation: the new position of each of its `n1` rows.
    pub perm1: Vec<u32>,
    /// `rows` entries, 1 where both reordered datasets hold a linked pair.
    pub mask: Vec<u8>,
    /// `min(n0, n1)`.
    pub rows: usize,
}

/// The generator for permutations: ChaCha20 seeded from the operating system's CSPRNG, or from
/// `seed` (reproducible, hence not private).
///
/// # Panics
///
/// Panics if the operating system's random source fails; use [`try_permutation_rng`] to get an
/// error instead.
pub fn permutation_rng(seed: Option<u64>) -> ChaCha20Rng {
    match seed {
        Some(s) => ChaCha20Rng::seed_from_u64(s),
        None => ChaCha20Rng::from_entropy(),
    }
}

/// [`permutation_rng`], reporting a failure of the operating system's random source as an error.
pub fn try_permutation_rng(seed: Option<u64>) -> Result<ChaCha20Rng> {
    match seed {
        Some(s) => Ok(ChaCha20Rng::seed_from_u64(s)),
        None => {
            let mut key = [0u8; 32];
            getrandom::getrandom(&mut key).map_err(|e| {
                Error::write(
                    "<random source>",
                    std::io::Error::other(format!("operating system random source failed: {e}")),
                )
            })?;
            Ok(ChaCha20Rng::from_seed(key))
        }
    }
}

/// Checks the groups and returns `(a, b)` per group: party 0's record, party 1's record.
fn group_pairs(groups: &[Group], n0: usize, n1: usize) -> Result<Vec<(u32, u32)>> {
    let mut seen0 = vec![false; n0];
    let mut seen1 = vec![false; n1];
    let mut pairs = Vec::with_capacity(groups.len());
    for (j, g) in groups.iter().enumerate() {
        let (a, b) = match g.as_slice() {
            [(0, a), (1, b)] | [(1, b), (0, a)] => (*a, *b),
            _ => {
                return Err(Error::invalid_argument(format!(
                    "permutations need 2-party groups of one record from each dataset \
                     (group {j} is not)"
                )))
            }
        };
        if a as usize >= n0 || b as usize >= n1 {
            return Err(Error::invalid_argument(format!(
                "group {j} refers to a record beyond its dataset's size"
            )));
        }
        if std::mem::replace(&mut seen0[a as usize], true)
            || std::mem::replace(&mut seen1[b as usize], true)
        {
            return Err(Error::invalid_argument(format!(
                "group {j} shares a record with an earlier group"
            )));
        }
        pairs.push((a, b));
    }
    Ok(pairs)
}

/// Computes permutations and mask for 2-party `groups` (each one record of dataset 0 and one of
/// dataset 1; groups in the given order) with party sizes `n0`, `n1`, drawing the shuffles
/// (Fisher–Yates) from `rng` — use [`permutation_rng`]. Follows `formats.md` §10.2 exactly.
pub fn permutations(
    groups: &[Group],
    n0: usize,
    n1: usize,
    rng: &mut impl RngCore,
) -> Result<Permutations> {
    check_sizes(n0, n1)?;
    let pairs = group_pairs(groups, n0, n1)?;
    let m = n0.min(n1);
    let mut slots: Vec<u32> = (0..m as u32).collect();
    slots.shuffle(rng);
    let mut rest0 = rest_list(&slots[pairs.len()..], m, n0);
    let mut rest1 = rest_list(&slots[pairs.len()..], m, n1);
    rest0.shuffle(rng);
    rest1.shuffle(rng);
    assign(&pairs, n0, n1, &slots, rest0, rest1)
}

/// The unshuffled list `[m, n) ∪ free`.
fn rest_list(free: &[u32], m: usize, n: usize) -> Vec<u32> {
    let mut v = Vec::with_capacity(free.len() + (n - m));
    v.extend_from_slice(free);
    v.extend(m as u32..n as u32);
    v
}

fn check_sizes(n0: usize, n1: usize) -> Result<()> {
    if n0 > u32::MAX as usize || n1 > u32::MAX as usize {
        return Err(Error::invalid_argument(
            "permutations support at most 2^32 - 1 rows per party",
        ));
    }
    Ok(())
}

/// The deterministic core of [`permutations`], with the shuffle results given: `slots` is the
/// shuffled `[0, m)`, `rest0` and `rest1` the shuffled rest lists (`formats.md` §10.2 step 3).
/// For tests and audits (`formats.md` §10.3); each list is checked to hold exactly the expected
/// values.
pub fn permutations_from_shuffles(
    groups: &[Group],
    n0: usize,
    n1: usize,
    slots: &[u32],
    rest0: Vec<u32>,
    rest1: Vec<u32>,
) -> Result<Permutations> {
    check_sizes(n0, n1)?;
    let pairs = group_pairs(groups, n0, n1)?;
    let m = n0.min(n1);
    let same_values = |got: &[u32], mut want: Vec<u32>| {
        let mut got = got.to_vec();
        got.sort_unstable();
        want.sort_unstable();
        got == want
    };
    if !same_values(slots, (0..m as u32).collect()) {
        return Err(Error::invalid_argument(
            "slots must be a permutation of 0..m",
        ));
    }
    let free = &slots[pairs.len()..];
    if !same_values(&rest0, rest_list(free, m, n0)) || !same_values(&rest1, rest_list(free, m, n1))
    {
        return Err(Error::invalid_argument(
            "rest lists must hold the free slots and the rows from m on",
        ));
    }
    assign(&pairs, n0, n1, slots, rest0, rest1)
}

fn assign(
    pairs: &[(u32, u32)],
    n0: usize,
    n1: usize,
    slots: &[u32],
    mut rest0: Vec<u32>,
    mut rest1: Vec<u32>,
) -> Result<Permutations> {
    let m = n0.min(n1);
    const UNSET: u32 = u32::MAX;
    let mut perm0 = vec![UNSET; n0];
    let mut perm1 = vec![UNSET; n1];
    let mut mask = vec![0u8; m];
    for (&(a, b), &slot) in pairs.iter().zip(slots) {
        perm0[a as usize] = slot;
        perm1[b as usize] = slot;
        mask[slot as usize] = 1;
    }
    for (perm, rest) in [(&mut perm0, &mut rest0), (&mut perm1, &mut rest1)] {
        for p in perm.iter_mut().filter(|p| **p == UNSET) {
            *p = rest
                .pop()
                .ok_or_else(|| Error::invalid_argument("more groups than rows"))?;
        }
    }
    Ok(Permutations {
        perm0,
        perm1,
        mask,
        rows: m,
    })
}

fn int_list<T: std::fmt::Display>(s: &mut String, values: &[T]) {
    s.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{v}");
    }
    s.push(']');
}

/// Writes `permutation-0.json`, `permutation-1.json` (`{"permutation": [...], "rows": m}`) and
/// `mask.json` (`{"mask": [...]}`) into `dir` (created if needed), each atomically, with Python
/// `json.dumps` default separators and no trailing newline. The mask file is for the analyst
/// only; each permutation file for its own party only (`security.md` §3).
pub fn write_permutations(dir: &Path, p: &Permutations) -> Result<()> {
    ensure_dir(dir)?;
    for (k, perm) in [&p.perm0, &p.perm1].into_iter().enumerate() {
        let mut s = String::with_capacity(32 + perm.len() * 8);
        s.push_str("{\"permutation\": ");
        int_list(&mut s, perm);
        let _ = write!(s, ", \"rows\": {}}}", p.rows);
        let path = dir.join(format!("permutation-{k}.json"));
        write_atomically(&path, |out| {
            out.write_all(s.as_bytes())
                .map_err(|e| Error::write(&path, e))
        })?;
    }
    let mut s = String::with_capacity(16 + p.mask.len() * 3);
    s.push_str("{\"mask\": ");
    int_list(&mut s, &p.mask);
    s.push('}');
    let path = dir.join("mask.json");
    write_atomically(&path, |out| {
        out.write_all(s.as_bytes())
            .map_err(|e| Error::write(&path, e))
    })
}
