//! Solver benchmarks: greedy on synthetic 2-party inputs (fast path and general rules), and
//! the probabilistic solver on a 3-party input.
//!
//! The 25-million-candidate comparison with anonlink is `scripts/bench-solver-vs-anonlink.py`.

use clklink::solve::{solve, solve_general_native_order, Solver};
use clklink::Candidate;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` candidates in descending score order over `records` records per dataset: each record of
/// the lower dataset gets 5 distinct partners (so no pair repeats, as with candidate
/// generation).
fn synthetic(n: usize, records: u32, parties: u32) -> Vec<Candidate> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut v: Vec<Candidate> = (0..n)
        .map(|i| {
            let r0 = (i / 5) as u32 % records;
            let r1 = ((r0 as u64 * 31 + (i % 5) as u64 * 7919) % records as u64) as u32;
            let (dset0, dset1) = if parties == 2 {
                (0, 1)
            } else {
                let a = rng.gen_range(0..parties - 1);
                (a, rng.gen_range(a + 1..parties))
            };
            Candidate {
                score: rng.gen_range(0.5..1.0),
                dset0,
                dset1,
                rec0: r0,
                rec1: r1,
            }
        })
        .collect();
    clklink::candidates::sort_dedup(&mut v);
    v
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("greedy-2party");
    g.sample_size(10);
    for n in [1_000_000usize, 5_000_000] {
        let cands = synthetic(n, (n / 5) as u32, 2);
        g.throughput(Throughput::Elements(cands.len() as u64));
        g.bench_with_input(BenchmarkId::new("fast-path", n), &cands, |b, c| {
            b.iter(|| solve(c, Solver::Greedy).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("general", n), &cands, |b, c| {
            b.iter(|| solve_general_native_order(c, Solver::Greedy).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("multiparty");
    g.sample_size(10);
    let cands = synthetic(1_000_000, 200_000, 4);
    g.throughput(Throughput::Elements(cands.len() as u64));
    g.bench_function("greedy-4party-1M", |b| {
        b.iter(|| solve(&cands, Solver::Greedy).unwrap())
    });
    g.bench_function("probabilistic-0.5-dedup-4party-1M", |b| {
        b.iter(|| {
            solve(
                &cands,
                Solver::Probabilistic {
                    merge_threshold: 0.5,
                    deduplicated: true,
                },
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // Plots need system fonts, which minimal machines lack; the numbers are what matter.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
