//! Measures where the bit-sliced kernel starts to beat the best classic kernel, for the
//! dispatch cut-offs in `Kernel::auto` (small inputs: the blocks of a blocked linkage).
//!
//! ```sh
//! cargo run --release --example kernel_crossover -- [BYTES] [DENSITY] [THRESHOLD]
//! ```
//! Prints nanoseconds per comparison for each (rows of A, records of B) in a grid.

use std::time::Instant;

use clklink::dice::OverlapTable;
use clklink::kernel::{compare_with, Kernel, View};
use clklink::Clks;
use rand::{Rng, SeedableRng};

fn random_clks(n: usize, bytes: usize, density: f64, rng: &mut impl Rng) -> Clks {
    let recs: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            (0..bytes)
                .map(|_| (0..8).fold(0u8, |b, k| b | (u8::from(rng.gen_bool(density)) << k)))
                .collect()
        })
        .collect();
    Clks::from_records(bytes, recs.iter().map(|r| r.as_slice()))
}

fn ns_per_comparison(kernel: Kernel, a: &Clks, b: &Clks, table: &OverlapTable) -> f64 {
    let (va, vb) = (View::from(a), View::from(b));
    let pairs = (a.len() * b.len()) as f64;
    // Repeat until about 50 ms have passed; report the best of 3 such rounds.
    let reps = ((5e7 / pairs) as usize).max(1);
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        let mut out = Vec::new();
        for _ in 0..reps {
            out.clear();
            compare_with(kernel, va, vb, table, &mut out);
        }
        best = best.min(t.elapsed().as_nanos() as f64 / (pairs * reps as f64));
    }
    best
}

fn main() {
    let mut args = std::env::args().skip(1);
    let bytes: usize = args.next().map_or(128, |s| s.parse().expect("BYTES"));
    let density: f64 = args.next().map_or(0.4, |s| s.parse().expect("DENSITY"));
    let threshold: f64 = args.next().map_or(0.8, |s| s.parse().expect("THRESHOLD"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let table = OverlapTable::new(threshold, bytes * 8);
    let classic = Kernel::best_classic();
    println!(
        "| A rows | B records | {} ns | bitsliced ns | faster |",
        classic.name()
    );
    println!("|---|---|---|---|---|");
    for &na in &[128usize, 256, 512, 1024, 4096] {
        for &nb in &[128usize, 256, 512, 1024, 4096] {
            let a = random_clks(na, bytes, density, &mut rng);
            let b = random_clks(nb, bytes, density, &mut rng);
            let c = ns_per_comparison(classic, &a, &b, &table);
            let s = ns_per_comparison(Kernel::Bitsliced, &a, &b, &table);
            let faster = if s < c { "bitsliced" } else { classic.name() };
            println!("| {na} | {nb} | {c:.2} | {s:.2} | {faster} |");
        }
    }
}
