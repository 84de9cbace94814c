//! The `clklink` command: argument parsing, progress display and exit codes.
//! All the work is done by the `clklink` library.
//!
//! Exit status: 0 on success, 2 for bad input or arguments (the message names the file and the
//! place), 1 for any other failure.

mod convert;
mod evaluate;
mod generate;
mod inspect;
mod link;
mod merge;
mod solve;
mod stats;
mod ui;

use clap::{Parser, Subcommand};

/// Offline privacy-preserving record linkage of CLKs, exact to anonlink 0.15.3.
#[derive(Debug, Parser)]
#[command(name = "clklink", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: ui::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert CLK files between formats (JSON, raw binary, native .clk).
    Convert(convert::Args),
    /// Describe CLK files: format, record count, bit length, popcount statistics.
    Inspect(inspect::Args),
    /// Compare datasets, find candidate pairs and write groups, similarity scores or permutations.
    Link(link::Args),
    /// Solve candidate files into groups.
    Solve(solve::Args),
    /// Merge sorted candidate files into one.
    Merge(merge::Args),
    /// Similarity statistics to choose a threshold.
    Stats(stats::Args),
    /// Precision, recall and F1 of a result against ground truth.
    Evaluate(evaluate::Args),
    /// Generate synthetic linked CLK datasets with ground truth.
    Generate(generate::Args),
}

fn main() {
    let cli = Cli::parse();
    let ui = ui::Ui::new(&cli.global);
    if let Some(n) = cli.global.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n).build_global() {
            eprintln!("clklink: error: cannot start {n} threads: {e}");
            std::process::exit(1);
        }
    }
    let result = match cli.command {
        Command::Convert(a) => convert::run(a, &ui),
        Command::Inspect(a) => inspect::run(a, &ui),
        Command::Link(a) => link::run(a, &ui),
        Command::Solve(a) => solve::run(a, &ui),
        Command::Merge(a) => merge::run(a, &ui),
        Command::Stats(a) => stats::run(a, &ui),
        Command::Evaluate(a) => evaluate::run(a, &ui),
        Command::Generate(a) => generate::run(a, &ui),
    };
    if let Err(e) = result {
        std::process::exit(ui::report_error(&e));
    }
}
