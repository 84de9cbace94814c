//! `clklink solve`: merge sorted candidate files (removing duplicates) and solve them into groups.

use std::path::PathBuf;

use clklink::merge::{merge_files, merge_to_vec};
use clklink::results::write_groups;
use clklink::solve::{solve_with_progress, Solver};
use clklink::Error;

use crate::ui::Ui;

/// Which solver to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SolverKind {
    /// anonlink's greedy_solve (what the service uses): merge threshold 1.0, not deduplicated.
    Greedy,
    /// anonlink's probabilistic_greedy_solve with --merge-threshold and --deduplicated.
    Probabilistic,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Candidate files (anonlink v1 format), each sorted by score descending.
    #[arg(required = true, value_name = "CANDIDATES")]
    candidates: Vec<PathBuf>,
    /// Output groups JSON (`-` for standard output).
    #[arg(short, long, value_name = "GROUPS_JSON")]
    output: PathBuf,
    /// The solver.
    #[arg(long, value_enum, default_value_t = SolverKind::Greedy)]
    solver: SolverKind,
    /// Probabilistic solver: fraction of cross pairs that must be candidates before two groups
    /// merge, in [0, 1].
    #[arg(long, value_name = "X")]
    merge_threshold: Option<f64>,
    /// Probabilistic solver: never put two records of one dataset in a group.
    #[arg(long)]
    deduplicated: bool,
    /// Refuse to solve more than N candidate pairs (after removing duplicates), like the
    /// service's SOLVER_MAX_CANDIDATE_PAIRS.
    #[arg(long, value_name = "N", default_value_t = 100_000_000)]
    max_candidates: u64,
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    let solver = match args.solver {
        SolverKind::Greedy => {
            if args.merge_threshold.is_some() || args.deduplicated {
                return Err(Error::invalid_argument(
                    "--merge-threshold and --deduplicated apply only to --solver probabilistic",
                )
                .into());
            }
            Solver::Greedy
        }
        SolverKind::Probabilistic => Solver::Probabilistic {
            merge_threshold: args.merge_threshold.unwrap_or(0.5),
            deduplicated: args.deduplicated,
        },
    };
    let (mt, _) = solver.parameters();
    if !(0.0..=1.0).contains(&mt) {
        return Err(Error::invalid_argument("--merge-threshold must be between 0 and 1").into());
    }

    let limit = || {
        Error::LimitExceeded(format!(
            "Attempting to solve with more than the global limit of candidate pairs \
             ({} allowed; see --max-candidates).",
            args.max_candidates
        ))
    };
    let (_, merge) = merge_files(&args.candidates, true)?;
    let total = merge.total_entries();
    let cands = if total <= args.max_candidates {
        // Within the limit even before removing duplicates: read everything at once.
        drop(merge);
        let spinner = ui.spinner("reading");
        let (_, cands) = merge_to_vec(&args.candidates, true)?;
        spinner.finish_and_clear();
        cands
    } else {
        let bar = ui.bar(total, "reading");
        let mut cands = Vec::with_capacity(args.max_candidates.min(1 << 24) as usize);
        for (i, c) in merge.enumerate() {
            let c = c?;
            if cands.len() as u64 >= args.max_candidates {
                bar.finish_and_clear();
                return Err(limit().into());
            }
            cands.push(c);
            if i % (1 << 16) == 0 {
                bar.set_position(i as u64);
            }
        }
        bar.finish_and_clear();
        cands
    };

    let bar = ui.bar(cands.len() as u64, "solving");
    let groups = solve_with_progress(&cands, solver, &mut |n| bar.set_position(n as u64))?;
    bar.finish_and_clear();
    drop(cands);

    write_groups(&args.output, &groups)?;
    if args.output.as_os_str() != "-" {
        ui.info(&format!("{} groups written", groups.len()));
    }
    Ok(())
}
