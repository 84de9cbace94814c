//! Every kernel, alone and through the parallel search, gives exactly the reference kernel's
//! hits on random data of many lengths, sizes, densities and thresholds.

use clklink::dice::OverlapTable;
use clklink::kernel::{self, bitsliced, Hit, Kernel, View};
use clklink::Clks;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A record of `bytes` bytes with each bit set with probability `p`.
fn random_record(rng: &mut ChaCha8Rng, bytes: usize, p: f64) -> Vec<u8> {
    (0..bytes)
        .map(|_| {
            let mut x = 0u8;
            for k in 0..8 {
                if rng.gen_bool(p) {
                    x |= 1 << k;
                }
            }
            x
        })
        .collect()
}

/// `b` records: random ones, plus near-copies of `a` records (bits cleared or set, which lands
/// many pairs exactly on thresholds such as 0.5, 0.75 and 0.8), plus all-zero and all-one.
fn make_b(rng: &mut ChaCha8Rng, a: &[Vec<u8>], n: usize, bytes: usize, p: f64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|_| match rng.gen_range(0..10) {
            0 => vec![0u8; bytes],
            1 => vec![0xffu8; bytes],
            2..=5 if !a.is_empty() => {
                let mut r = a[rng.gen_range(0..a.len())].clone();
                let flips = rng.gen_range(0..=bytes.min(40));
                let set = rng.gen_bool(0.5);
                for _ in 0..flips {
                    let bit = rng.gen_range(0..bytes * 8);
                    if set {
                        r[bit / 8] |= 1 << (bit % 8);
                    } else {
                        r[bit / 8] &= !(1 << (bit % 8));
                    }
                }
                r
            }
            _ => random_record(rng, bytes, p),
        })
        .collect()
}

fn make_a(rng: &mut ChaCha8Rng, n: usize, bytes: usize, p: f64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|_| match rng.gen_range(0..20) {
            0 => vec![0u8; bytes],
            1 => vec![0xffu8; bytes],
            _ => random_record(rng, bytes, p),
        })
        .collect()
}

fn clks(bytes: usize, recs: &[Vec<u8>]) -> Clks {
    Clks::from_records(bytes, recs.iter().map(|r| r.as_slice()))
}

fn check(bytes: usize, na: usize, nb: usize, p: f64, t: f64, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ra = make_a(&mut rng, na, bytes, p);
    let rb = make_b(&mut rng, &ra, nb, bytes, p);
    let (ca, cb) = (clks(bytes, &ra), clks(bytes, &rb));
    let (a, b) = (View::from(&ca), View::from(&cb));
    let table = OverlapTable::new(t, bytes * 8);
    let mut expected = Vec::new();
    kernel::compare_portable(a, b, &table, &mut expected);
    let ctx = format!("bytes={bytes} na={na} nb={nb} p={p} t={t} seed={seed}");
    // The bit-sliced kernel's counters hold records up to MAX_RECORD_BITS (padding included).
    let bitsliced_fits = bytes.div_ceil(8) * 64 <= bitsliced::MAX_RECORD_BITS;
    let runs = |k: &Kernel| k.is_available() && (*k != Kernel::Bitsliced || bitsliced_fits);
    for k in Kernel::ALL.into_iter().filter(runs) {
        let mut got: Vec<Hit> = Vec::new();
        kernel::compare_with(k, a, b, &table, &mut got);
        assert_eq!(got, expected, "compare {} {ctx}", k.name());
        let got = kernel::search_with(k, a, b, &table, &|_| {}, u64::MAX).unwrap();
        assert_eq!(got, expected, "search {} {ctx}", k.name());
    }
    for build in bitsliced::Build::ALL
        .into_iter()
        .filter(|b| b.is_available() && bitsliced_fits)
    {
        let mut got: Vec<Hit> = Vec::new();
        bitsliced::compare_build(build, a, b, &table, &mut got);
        assert_eq!(got, expected, "bitsliced {} build {ctx}", build.name());
    }
    let got = kernel::search(a, b, &table, &|_| {}, u64::MAX).unwrap();
    assert_eq!(got, expected, "search auto {ctx}");
}

const THRESHOLDS: [f64; 7] = [0.5, 0.75, 0.8, 1.0, 0.3, 0.9, 0.6667];
const DENSITIES: [f64; 6] = [0.0, 0.03, 0.15, 0.5, 0.85, 1.0];

#[test]
fn all_lengths_small_sets() {
    for bytes in 1..=300 {
        let seed = bytes as u64;
        let p = DENSITIES[bytes % DENSITIES.len()];
        let t = THRESHOLDS[bytes % THRESHOLDS.len()];
        let na = (bytes * 7) % 23;
        let nb = (bytes * 13) % 41;
        check(bytes, na, nb, p, t, seed);
    }
}

#[test]
fn common_lengths_every_density_and_threshold() {
    let mut seed = 1000;
    for bytes in [8, 64, 128, 129, 256] {
        for p in DENSITIES {
            for t in THRESHOLDS {
                check(bytes, 70, 300, p, t, seed);
                seed += 1;
            }
        }
    }
}

#[test]
fn larger_sets_many_lengths() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for seed in 0..24 {
        let bytes = [1, 7, 9, 31, 32, 33, 100, 128, 200, 255, 300, 128][seed % 12];
        let na = rng.gen_range(0..=600);
        let nb = rng.gen_range(0..=600);
        let p = rng.gen_range(0.0..1.0);
        let t = THRESHOLDS[seed % THRESHOLDS.len()];
        check(bytes, na, nb, p, t, 5000 + seed as u64);
    }
}

#[test]
fn long_records() {
    // Rows that visit 32 or more groups of planes (over 1984 bits) take the bit-sliced
    // counter's wide path; 4088 bits is near the most it can count.
    let mut seed = 7000;
    for bytes in [248, 249, 300, 400, 511] {
        for p in [0.1, 0.5, 0.9] {
            check(bytes, 40, 300, p, 0.7, seed);
            seed += 1;
        }
    }
}

#[test]
fn records_too_long_for_the_bitsliced_kernel() {
    // Past MAX_RECORD_BITS the automatic choice falls back to a classic kernel, however many
    // records there are.
    let mut seed = 8000;
    for bytes in [504, 505, 512, 1024] {
        check(bytes, 70, 300, 0.5, 0.7, seed);
        seed += 1;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ca = clks(1024, &make_a(&mut rng, 70, 1024, 0.5));
    let cb = clks(1024, &make_a(&mut rng, 300, 1024, 0.5));
    assert_ne!(Kernel::auto((&ca).into(), (&cb).into()), Kernel::Bitsliced);
}

#[test]
fn edge_sizes() {
    for (na, nb) in [
        (0, 0),
        (0, 600),
        (600, 0),
        (1, 1),
        (1, 600),
        (600, 1),
        (513, 513),
    ] {
        check(128, na, nb, 0.4, 0.8, 99 + na as u64);
    }
}

#[test]
fn too_many_hits_stops_every_kernel() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let ra = make_a(&mut rng, 300, 16, 0.9);
    let rb = make_b(&mut rng, &ra, 300, 16, 0.9);
    let (ca, cb) = (clks(16, &ra), clks(16, &rb));
    let table = OverlapTable::new(0.1, 128);
    for k in Kernel::ALL.into_iter().filter(|k| k.is_available()) {
        let r = kernel::search_with(k, (&ca).into(), (&cb).into(), &table, &|_| {}, 10);
        assert_eq!(r.unwrap_err().limit, 10, "{}", k.name());
    }
}

#[test]
fn several_full_blocks_with_early_exits() {
    // Enough records of b for several 256-lane blocks, so the bit-sliced kernel's early exits
    // (no lane can still reach the bound) and block skips are exercised, in both counting
    // modes (sparse records count set bits, dense ones count clear bits).
    let mut seed = 9000;
    for p in [0.2, 0.5, 0.8] {
        for t in [0.6, 0.8, 0.95] {
            check(128, 80, 1300, p, t, seed);
            seed += 1;
        }
    }
    check(64, 100, 1100, 0.45, 0.7, seed);
}
