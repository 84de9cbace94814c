//! `clklink evaluate`: precision, recall and F1 of a groups result against ground truth.

use crate::ui::Ui;
use clklink::evaluate::{evaluate, read_groups, read_truth, Scores};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Ground truth: a CSV with one column per party (header row, e.g. `a,b`; one entity per
    /// row; empty cell = absent) or a groups JSON.
    #[arg(long, value_name = "TRUTH")]
    pub truth: PathBuf,
    /// The result to score: a groups JSON (`{"groups": [[[d, r], ...], ...]}`).
    #[arg(value_name = "RESULT")]
    pub result: PathBuf,
    /// Print a JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, _ui: &Ui) -> anyhow::Result<()> {
    let truth = read_truth(&args.truth)?;
    let result = read_groups(&args.result)?;
    let e = evaluate(&result, &truth);
    if args.json {
        println!("{}", e.to_json());
        return Ok(());
    }
    print_table(&e);
    Ok(())
}

/// Prints an evaluation as a plain table on standard output.
pub fn print_table(e: &clklink::evaluate::Evaluation) {
    println!(
        "{} predicted groups, {} truth groups (of at least two records)\n",
        e.predicted_groups, e.truth_groups
    );
    println!(
        "{:<14} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "", "precision", "recall", "F1", "TP", "FP", "FN"
    );
    let row = |name: &str, s: &Scores| {
        println!(
            "{:<14} {:>10.4} {:>10.4} {:>10.4} {:>10} {:>10} {:>10}",
            name,
            s.precision,
            s.recall,
            s.f1,
            s.true_positives,
            s.false_positives,
            s.false_negatives
        )
    };
    row("pairwise", &e.pairwise);
    if let Some(g) = &e.groups {
        row("exact groups", g);
    }
}
