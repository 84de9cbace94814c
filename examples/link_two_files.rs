//! Links two CLK files with the library and prints how many groups were found.
//!
//! ```sh
//! cargo run --release --example link_two_files -- \
//!     examples/data/febrl4/clks-a.json examples/data/febrl4/clks-b.json 0.8
//! ```

use std::path::PathBuf;

use clklink::io::{read_clks, ReadOptions};
use clklink::solve::{solve, Solver};
use clklink::Linker;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(a), Some(b)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: link_two_files A B [THRESHOLD]");
    };
    let threshold: f64 = args.next().as_deref().unwrap_or("0.8").parse()?;

    let opts = ReadOptions::default();
    let a = read_clks(&PathBuf::from(a), &opts)?;
    let b = read_clks(&PathBuf::from(b), &opts)?;
    let candidates = Linker::new(threshold).candidates(&[&a, &b])?;
    let groups = solve(&candidates, Solver::Greedy)?;
    println!(
        "{} × {} records, {} candidate pairs at threshold {threshold}, {} groups",
        a.len(),
        b.len(),
        candidates.len(),
        groups.len()
    );
    Ok(())
}
