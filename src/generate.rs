//! Synthetic linked CLK datasets with ground truth, for testing and for choosing thresholds.
//!
//! ## Model
//!
//! - Every party holds `records` rows. `shared = round(overlap × records)` entities appear in
//!   **every** party; each party's other `records − shared` rows are entities of its own.
//! - Each entity has a base CLK of `bits` bits, each bit set independently with probability
//!   `density` (default 0.68, the mean bit density of the FEBRL4 CLKs clkhash makes: mean
//!   popcount 701 of 1024). The density is rounded to a multiple of 2⁻¹⁶.
//! - Each party's copy of an entity is its base with noise: every set bit is cleared with
//!   probability `noise`, every clear bit is set with probability
//!   `noise × density / (1 − density)` (capped at 1), so a copy keeps the base's expected
//!   popcount. Entities of one party only are written as their base.
//! - Rows are shuffled per party, so row order says nothing about which rows are linked.
//! - The truth lists, for each shared entity, its row in each party, sorted by the row in
//!   party 0 ([`Generated::truth_csv`]: `a,b` for two parties, `p0,p1,…` for more — the CSV
//!   format `evaluate` reads).
//!
//! ## Determinism
//!
//! With a seed, the output is byte-for-byte reproducible on every machine and thread count: all
//! randomness comes from ChaCha8 streams keyed by the seed, one stream per purpose and per chunk
//! of [`CHUNK`] entities, and chunks are generated in parallel but stored in order.

use crate::error::{Error, Result};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Entities per independently seeded chunk.
pub const CHUNK: usize = 4096;

/// Default bit density (FEBRL4 CLKs' mean popcount / 1024, rounded).
pub const DEFAULT_DENSITY: f64 = 0.68;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateParams {
    /// Rows per party.
    pub records: usize,
    /// Number of parties (at least 2).
    pub parties: usize,
    /// Fraction of entities present in every party, in `[0, 1]`.
    pub overlap: f64,
    /// Per-bit noise rate of each copy, in `[0, 1]`.
    pub noise: f64,
    /// CLK length in bits: a positive multiple of 8.
    pub bits: usize,
    /// Probability that a base bit is set, in `(0, 1)`.
    pub density: f64,
    /// The seed of every random choice.
    pub seed: u64,
}

impl GenerateParams {
    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::invalid_argument(m.to_string()));
        if self.records == 0 || self.records > u32::MAX as usize {
            return bad("--records must be between 1 and 4294967295");
        }
        if self.parties < 2 || self.parties > 1024 {
            return bad("--parties must be between 2 and 1024");
        }
        if !(0.0..=1.0).contains(&self.overlap) {
            return bad("--overlap must be between 0 and 1");
        }
        if !(0.0..=1.0).contains(&self.noise) {
            return bad("--noise must be between 0 and 1");
        }
        if self.bits == 0 || !self.bits.is_multiple_of(8) || self.bits > 1 << 20 {
            return bad("--bits must be a positive multiple of 8 (at most 1048576)");
        }
        if !(self.density > 0.0 && self.density < 1.0) {
            return bad("--density must be strictly between 0 and 1");
        }
        Ok(())
    }

    /// Number of entities shared by all parties: `round(overlap × records)`.
    pub fn shared(&self) -> usize {
        ((self.overlap * self.records as f64).round() as usize).min(self.records)
    }
}

/// Generated datasets and their truth.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Bytes per CLK.
    pub record_bytes: usize,
    /// Per party, `records × record_bytes` bytes, row after row.
    pub parties: Vec<Vec<u8>>,
    /// Per shared entity, its row in each party; sorted by the row in party 0.
    pub truth: Vec<Vec<u32>>,
}

impl Generated {
    /// Party `p`'s CLKs as a container, ready to write with [`crate::io::write_clks`].
    pub fn clks(&self, p: usize) -> crate::Clks {
        crate::Clks::from_records(self.record_bytes, self.parties[p].chunks(self.record_bytes))
    }

    /// Row `i` of party `p`.
    pub fn record(&self, p: usize, i: usize) -> &[u8] {
        &self.parties[p][i * self.record_bytes..(i + 1) * self.record_bytes]
    }

    /// The truth as the CSV `evaluate` reads: header `a,b` (two parties) or `p0,p1,…`, one row
    /// per shared entity, `\n` line ends.
    pub fn truth_csv(&self) -> String {
        let p = self.parties.len();
        let mut s = if p == 2 {
            "a,b\n".to_string()
        } else {
            (0..p)
                .map(|i| format!("p{i}"))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        };
        for row in &self.truth {
            let cells: Vec<String> = row.iter().map(|r| r.to_string()).collect();
            s.push_str(&cells.join(","));
            s.push('\n');
        }
        s
    }

    /// The Dice coefficient of every true pair between party `a` and party `b`, in truth order.
    pub fn true_pair_dice(&self, a: usize, b: usize) -> Vec<f64> {
        self.truth
            .par_iter()
            .map(|row| {
                crate::dice::dice_bytes(
                    self.record(a, row[a] as usize),
                    self.record(b, row[b] as usize),
                )
            })
            .collect()
    }
}

/// Stream ids, one per purpose; the chunk index is added in the low bits.
const STREAM_BASE: u64 = 0;
const STREAM_NOISE: u64 = 1 << 40;
const STREAM_SHUFFLE: u64 = 2 << 40;

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(b"clklink-");
    key[16..24].copy_from_slice(b"generate");
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

/// Fills `out` with bits each set with probability `num / 2^16`, by combining 16 random words
/// per output word (exact for that probability).
fn bernoulli_words(rng: &mut impl RngCore, num: u32, out: &mut [u64]) {
    for w in out.iter_mut() {
        let mut x = 0u64;
        for k in 0..16 {
            let r = rng.next_u64();
            x = if (num >> k) & 1 == 1 { x | r } else { x & r };
        }
        *w = x;
    }
}

/// Marks positions in `0..bits` independently with probability `p`, by geometric skips.
fn sparse_mask(rng: &mut impl Rng, p: f64, bits: usize, mask: &mut [u64]) {
    mask.iter_mut().for_each(|w| *w = 0);
    if p <= 0.0 {
        return;
    }
    if p >= 1.0 {
        for i in 0..bits {
            mask[i / 64] |= 1 << (i % 64);
        }
        return;
    }
    let ln_q = (1.0 - p).ln();
    let mut pos = 0usize;
    loop {
        let u: f64 = rng.gen(); // [0, 1)
        let skip = ((1.0 - u).ln() / ln_q).floor();
        if skip.is_nan() || skip >= (bits - pos) as f64 {
            return;
        }
        pos += skip as usize;
        mask[pos / 64] |= 1 << (pos % 64);
        pos += 1;
        if pos >= bits {
            return;
        }
    }
}

fn words_to_bytes(words: &[u64], bytes: usize, out: &mut [u8]) {
    // Random bits: any fixed mapping will do; little-endian words, byte after byte.
    for (i, b) in out.iter_mut().enumerate().take(bytes) {
        *b = (words[i / 8] >> ((i % 8) * 8)) as u8;
    }
}

/// Generates the datasets described by `params` (validated first).
pub fn generate(params: &GenerateParams) -> Result<Generated> {
    params.validate()?;
    let n = params.records;
    let parties = params.parties;
    let shared = params.shared();
    let own = n - shared;
    let bytes = params.bits / 8;
    let nwords = params.bits.div_ceil(64);
    let density_num = ((params.density * 65536.0).round() as u32).clamp(1, 65535);
    let d = density_num as f64 / 65536.0;
    let p_off = params.noise;
    let p_on = (params.noise * d / (1.0 - d)).min(1.0);
    // Entities: 0..shared are shared, then `own` entities per party.
    let entities = shared + own * parties;
    let chunks = entities.div_ceil(CHUNK);
    // Unshuffled rows: party p holds shared entities 0..shared, then its own ones.
    let mut unshuffled: Vec<Vec<u8>> = (0..parties).map(|_| vec![0u8; n * bytes]).collect();
    let seed = params.seed;
    // Each chunk produces (party, row, bytes) blocks; generate per chunk in parallel.
    let produced: Vec<Vec<(usize, usize, Vec<u8>)>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut base_rng = rng_for(seed, STREAM_BASE + c as u64);
            let mut noise_rng = rng_for(seed, STREAM_NOISE + c as u64);
            let mut base = vec![0u64; nwords];
            let mut off = vec![0u64; nwords];
            let mut on = vec![0u64; nwords];
            let mut copy = vec![0u64; nwords];
            let mut out = Vec::new();
            let lo = c * CHUNK;
            let hi = ((c + 1) * CHUNK).min(entities);
            for e in lo..hi {
                bernoulli_words(&mut base_rng, density_num, &mut base);
                clear_tail(&mut base, params.bits);
                if e < shared {
                    for p in 0..parties {
                        sparse_mask(&mut noise_rng, p_off, params.bits, &mut off);
                        sparse_mask(&mut noise_rng, p_on, params.bits, &mut on);
                        for k in 0..nwords {
                            copy[k] = (base[k] & !off[k]) | (!base[k] & on[k]);
                        }
                        clear_tail(&mut copy, params.bits);
                        let mut b = vec![0u8; bytes];
                        words_to_bytes(&copy, bytes, &mut b);
                        out.push((p, e, b));
                    }
                } else {
                    let k = e - shared;
                    let mut b = vec![0u8; bytes];
                    words_to_bytes(&base, bytes, &mut b);
                    out.push((k / own, shared + k % own, b));
                }
            }
            out
        })
        .collect();
    for chunk in produced {
        for (p, row, b) in chunk {
            unshuffled[p][row * bytes..(row + 1) * bytes].copy_from_slice(&b);
        }
    }
    // Shuffle each party: perm[new_row] = old_row; position[old_row] = new_row.
    let mut out_parties = Vec::with_capacity(parties);
    let mut positions: Vec<Vec<u32>> = Vec::with_capacity(parties);
    for (p, src) in unshuffled.into_iter().enumerate() {
        let mut rng = rng_for(seed, STREAM_SHUFFLE + p as u64);
        let mut perm: Vec<u32> = (0..n as u32).collect();
        perm.shuffle(&mut rng);
        let mut dst = vec![0u8; n * bytes];
        dst.par_chunks_mut(bytes)
            .zip(perm.par_iter())
            .for_each(|(d, &old)| {
                let old = old as usize;
                d.copy_from_slice(&src[old * bytes..(old + 1) * bytes]);
            });
        let mut pos = vec![0u32; n];
        for (new, &old) in perm.iter().enumerate() {
            pos[old as usize] = new as u32;
        }
        positions.push(pos);
        out_parties.push(dst);
    }
    let mut truth: Vec<Vec<u32>> = (0..shared)
        .map(|e| positions.iter().map(|pos| pos[e]).collect())
        .collect();
    truth.sort_unstable();
    Ok(Generated {
        record_bytes: bytes,
        parties: out_parties,
        truth,
    })
}

fn clear_tail(words: &mut [u64], bits: usize) {
    let rem = bits % 64;
    if rem != 0 {
        if let Some(last) = words.last_mut() {
            *last &= (1u64 << rem) - 1;
        }
    }
}

/// A fresh seed from the operating system's entropy source.
pub fn random_seed() -> Result<u64> {
    let mut b = [0u8; 8];
    getrandom::getrandom(&mut b)
        .map_err(|e| Error::invalid_argument(format!("no OS entropy for a seed: {e}")))?;
    Ok(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(seed: u64) -> GenerateParams {
        GenerateParams {
            records: 300,
            parties: 3,
            overlap: 0.5,
            noise: 0.05,
            bits: 1024,
            density: DEFAULT_DENSITY,
            seed,
        }
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        let a = generate(&params(7)).unwrap();
        let b = generate(&params(7)).unwrap();
        let c = generate(&params(8)).unwrap();
        assert_eq!(a.parties, b.parties);
        assert_eq!(a.truth, b.truth);
        assert_ne!(a.parties, c.parties);
        assert_eq!(a.truth.len(), 150);
        assert_eq!(a.parties[2].len(), 300 * 128);
    }

    #[test]
    fn density_and_true_pair_similarity() {
        let g = generate(&params(1)).unwrap();
        let ones: u64 = g.parties[0].iter().map(|b| b.count_ones() as u64).sum();
        let density = ones as f64 / (300.0 * 1024.0);
        assert!((density - 0.68).abs() < 0.01, "{density}");
        let d = g.true_pair_dice(0, 1);
        assert!(d.iter().all(|&x| x > 0.8), "true pairs well above 0.8");
        // A non-pair: party 0's row of entity 0 against party 1's row of entity 1.
        let x = crate::dice::dice_bytes(
            g.record(0, g.truth[0][0] as usize),
            g.record(1, g.truth[1][1] as usize),
        );
        assert!(x < 0.8);
    }

    #[test]
    fn rejects_bad_params() {
        let mut p = params(1);
        p.bits = 1001;
        assert!(generate(&p).is_err());
        let mut p = params(1);
        p.parties = 1;
        assert!(generate(&p).is_err());
        let mut p = params(1);
        p.density = 1.0;
        assert!(generate(&p).is_err());
    }
}
