//! Opening a 1 GiB native `.clk` file: only the header is read, the records and popcounts are
//! used in place from a memory map, so the time does not depend on the file size.
//!
//! The file is sparse (header written, then `set_len`), so creating it is instant too.
//! Run: `cargo bench --bench open_native`.

use std::fs;
use std::io::Write;
use std::path::Path;

use clklink::io::{read_clks, write_clks, Format, ReadOptions};
use clklink::Clks;
use criterion::{criterion_group, criterion_main, Criterion};

fn make_sparse_native(path: &Path, n: u64, bytes: u64) {
    let small = Clks::from_records(bytes as usize, std::iter::empty());
    let tmp = path.with_extension("tmp");
    write_clks(&small, &tmp, Format::Native, None).unwrap();
    let mut header = fs::read(&tmp).unwrap();
    let data_offset = u64::from_le_bytes(header[40..48].try_into().unwrap());
    let pop = data_offset + n * bytes.div_ceil(8) * 8;
    let len = pop + 4 * n;
    header[24..32].copy_from_slice(&n.to_le_bytes());
    header[48..56].copy_from_slice(&pop.to_le_bytes());
    header[72..80].copy_from_slice(&len.to_le_bytes());
    let mut f = fs::File::create(path).unwrap();
    f.write_all(&header).unwrap();
    f.set_len(len).unwrap();
}

fn open_native(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.clk");
    let n = 8_126_464; // × 132 bytes (128-byte record + 4-byte popcount) ≈ 1.0 GiB
    make_sparse_native(&path, n, 128);
    let len = fs::metadata(&path).unwrap().len();
    eprintln!("file: {len} bytes, {n} records of 1024 bits");
    let trust = ReadOptions {
        trust_stored_popcounts: true,
        ..ReadOptions::default()
    };
    c.bench_function("open 1 GiB native file and read its record count", |b| {
        b.iter(|| {
            let clks = read_clks(&path, &trust).unwrap();
            assert!(clks.is_mapped());
            clks.len()
        })
    });
}

criterion_group! {
    name = benches;
    // No plots: they need fonts that headless machines may lack.
    config = Criterion::default().without_plots();
    targets = open_native
}
criterion_main!(benches);
