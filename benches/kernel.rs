//! Kernel throughput (comparisons per second) per record length and bit density, single
//! thread. Data: random records (each bit set with probability p) and, in the second set, a
//! tenth of near-copies of first-set records so that there are hits.

use std::time::Duration;

use clklink::dice::OverlapTable;
use clklink::kernel::{self, Kernel, View};
use clklink::Clks;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn data(n: usize, bytes: usize, p: f64) -> (Clks, Clks) {
    let mut rng = ChaCha8Rng::seed_from_u64(bytes as u64 ^ p.to_bits());
    let rec = |rng: &mut ChaCha8Rng| -> Vec<u8> {
        (0..bytes)
            .map(|_| (0..8).fold(0u8, |x, k| x | ((rng.gen_bool(p) as u8) << k)))
            .collect()
    };
    let a: Vec<Vec<u8>> = (0..n).map(|_| rec(&mut rng)).collect();
    let b: Vec<Vec<u8>> = (0..n)
        .map(|j| {
            if j % 10 == 0 {
                let mut r = a[rng.gen_range(0..n)].clone();
                for _ in 0..bytes * 8 / 50 {
                    let bit = rng.gen_range(0..bytes * 8);
                    r[bit / 8] ^= 1 << (bit % 8);
                }
                r
            } else {
                rec(&mut rng)
            }
        })
        .collect();
    (
        Clks::from_records(bytes, a.iter().map(|r| r.as_slice())),
        Clks::from_records(bytes, b.iter().map(|r| r.as_slice())),
    )
}

fn kernels(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let n = 2048;
    for bytes in [64, 128, 256] {
        for p in [0.15, 0.5] {
            let (ca, cb) = data(n, bytes, p);
            let (a, b) = (View::from(&ca), View::from(&cb));
            let table = OverlapTable::new(0.8, bytes * 8);
            let mut group = c.benchmark_group(format!("kernel/{bytes}B/p{p}"));
            group
                .sample_size(10)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(1))
                .throughput(Throughput::Elements((n * n) as u64));
            for k in Kernel::ALL {
                if !k.is_available() || k == Kernel::Reference {
                    continue;
                }
                group.bench_function(BenchmarkId::from_parameter(k.name()), |bench| {
                    bench.iter(|| {
                        pool.install(|| {
                            kernel::search_with(k, a, b, &table, &|_| {}, u64::MAX).expect("hits")
                        })
                    })
                });
            }
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    // No plots: the small machines this runs on have no fonts for plotters.
    config = Criterion::default().without_plots();
    targets = kernels
}
criterion_main!(benches);
