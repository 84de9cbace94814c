//! Comparisons per second of each kernel on random CLKs, at 1 and 2 threads.
//!
//! ```text
//! cargo run --release --example kernel_throughput -- [n] [bytes] [density] [threshold]
//! ```
//!
//! Data: `n × n` records of `bytes` bytes, each bit set with probability `density`; a tenth of
//! the second set are near-copies of first-set records (2% of bits flipped) so there are hits.

use std::time::Instant;

use clklink::dice::OverlapTable;
use clklink::kernel::{self, bitsliced, Kernel, View};
use clklink::Clks;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |k: usize, d: &str| args.get(k).cloned().unwrap_or_else(|| d.to_string());
    let n: usize = arg(0, "10000").parse().expect("n");
    let bytes: usize = arg(1, "128").parse().expect("bytes");
    let p: f64 = arg(2, "0.5").parse().expect("density");
    let t: f64 = arg(3, "0.8").parse().expect("threshold");
    let only: Option<String> = args.get(4).cloned();

    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let rand_rec = |rng: &mut ChaCha8Rng| -> Vec<u8> {
        (0..bytes)
            .map(|_| (0..8).fold(0u8, |x, k| x | ((rng.gen_bool(p) as u8) << k)))
            .collect()
    };
    // KT_RAW_A / KT_RAW_B: raw binary files of `bytes`-byte records to use instead.
    let raw = |var: &str| -> Option<Vec<Vec<u8>>> {
        let data = std::fs::read(std::env::var(var).ok()?).expect("raw file");
        Some(data.chunks_exact(bytes).map(<[u8]>::to_vec).collect())
    };
    let (ra, rb) = match (raw("KT_RAW_A"), raw("KT_RAW_B")) {
        (Some(x), Some(y)) => (x, y),
        _ => random_data(n, bytes, &mut rng, rand_rec),
    };
    let n = ra.len().min(rb.len()).min(n);
    let (ra, rb) = (&ra[..n], &rb[..n]);

    let ca = Clks::from_records(bytes, ra.iter().map(|r| r.as_slice()));
    let cb = Clks::from_records(bytes, rb.iter().map(|r| r.as_slice()));
    let (a, b) = (View::from(&ca), View::from(&cb));
    let table = OverlapTable::new(t, bytes * 8);
    let mean_pop = ca.popcounts().iter().map(|&x| x as f64).sum::<f64>() / n.max(1) as f64;
    println!(
        "{n} x {n}, {bytes} bytes, density {p} (mean popcount {mean_pop:.0}), threshold {t}, auto = {}",
        Kernel::auto(a, b).name()
    );
    println!("| kernel | threads | seconds | comparisons/s | hits |");
    println!("|---|---|---|---|---|");
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        for k in Kernel::ALL {
            if !k.is_available() || only.as_deref().is_some_and(|o| o != k.name()) {
                continue;
            }
            // Best of three runs: the machine is shared.
            let mut best = f64::INFINITY;
            let mut hits = 0;
            for _ in 0..3 {
                let start = Instant::now();
                let h = pool
                    .install(|| kernel::search_with(k, a, b, &table, &|_| {}, u64::MAX))
                    .expect("hits");
                best = best.min(start.elapsed().as_secs_f64());
                hits = h.len();
            }
            let rate = (n * n) as f64 / best;
            println!(
                "| {} | {threads} | {best:.3} | {:.0} M | {hits} |",
                k.name(),
                rate / 1e6
            );
        }
    }
    // Each compiled build of the bit-sliced kernel, one thread, for machines without the best
    // one (an AVX2-only CPU runs the avx2 build).
    if only.as_deref().is_none_or(|o| o == "bitsliced") {
        for build in bitsliced::Build::ALL
            .into_iter()
            .filter(|b| b.is_available())
        {
            let mut best = f64::INFINITY;
            let mut hits = 0;
            for _ in 0..3 {
                let start = Instant::now();
                let mut h = Vec::new();
                bitsliced::compare_build(build, a, b, &table, &mut h);
                best = best.min(start.elapsed().as_secs_f64());
                hits = h.len();
            }
            println!(
                "| bitsliced ({} build) | 1 | {best:.3} | {:.0} M | {hits} |",
                build.name(),
                (n * n) as f64 / best / 1e6
            );
        }
    }
}

/// `n` random records for each side; a tenth of the second side are near-copies (2% of bits
/// flipped) of first-side records.
fn random_data(
    n: usize,
    bytes: usize,
    rng: &mut ChaCha8Rng,
    rand_rec: impl Fn(&mut ChaCha8Rng) -> Vec<u8>,
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let ra: Vec<Vec<u8>> = (0..n).map(|_| rand_rec(rng)).collect();
    let rb: Vec<Vec<u8>> = (0..n)
        .map(|j| {
            if j % 10 == 0 {
                let mut r = ra[rng.gen_range(0..n)].clone();
                for _ in 0..bytes * 8 / 50 {
                    let bit = rng.gen_range(0..bytes * 8);
                    r[bit / 8] ^= 1 << (bit % 8);
                }
                r
            } else {
                rand_rec(rng)
            }
        })
        .collect();
    (ra, rb)
}
