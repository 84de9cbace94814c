//! `clklink stats`: similarity statistics of candidate files, to choose a threshold.

use crate::ui::Ui;
use anyhow::Context;
use clklink::candidate_file;
use clklink::candidates::sort_dedup;
use clklink::stats::{ScoreType, StatsReport};
use clklink::Error;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Candidate files (anonlink binary candidate pairs; several are merged, duplicates
    /// dropped), or two or more CLK datasets, which are compared at --threshold (default 0.5).
    #[arg(required = true, value_name = "CANDIDATES_OR_DATASETS")]
    pub inputs: Vec<PathBuf>,
    /// Keep only pairs with score >= T (for datasets: compare at T, default 0.5).
    #[arg(long, short, value_name = "T")]
    pub threshold: Option<f64>,
    /// The threshold to mark on the plot (default: --threshold).
    #[arg(long, value_name = "T")]
    pub mark: Option<f64>,
    /// For datasets: stop when more candidate pairs than this reach the threshold.
    #[arg(long, value_name = "N", default_value_t = 100_000_000)]
    pub max_candidates: u64,
    /// Number of histogram bins / threshold steps.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub bins: usize,
    /// Write the statistics as JSON (anonlink.stats keys) to OUT (`-` = stdout).
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
    /// Draw the histogram and cumulative matches to OUT.svg or OUT.png.
    #[arg(long, value_name = "OUT")]
    pub plot: Option<PathBuf>,
}

/// True unless the file starts like a CLK dataset that `stats` reads (JSON or native `.clk`):
/// everything else is read as an anonlink candidate file, whose reader then names what is
/// wrong with it (bad header, version, field sizes, truncated entry).
fn is_candidate_file(path: &Path) -> clklink::Result<bool> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let mut head = Vec::with_capacity(64);
    (&mut f)
        .take(64)
        .read_to_end(&mut head)
        .map_err(|e| Error::read(path, e))?;
    let native = head.starts_with(&clklink::io::NATIVE_MAGIC);
    let json = head
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    Ok(!(native || json))
}

pub fn run(args: Args, ui: &Ui) -> anyhow::Result<()> {
    if args.bins == 0 {
        return Err(Error::invalid_argument("--bins must be at least 1").into());
    }
    if let Some(t) = args.threshold {
        if !(t.is_finite() && (0.0..=1.0).contains(&t)) {
            return Err(Error::invalid_argument("--threshold must be between 0 and 1").into());
        }
    }
    if let Some(p) = &args.plot {
        clklink::plot::PlotFormat::from_path(p)?;
    }
    let mut kinds = Vec::with_capacity(args.inputs.len());
    for p in &args.inputs {
        kinds.push(is_candidate_file(p)?);
    }
    let (cands, ty) = if kinds.iter().all(|&k| k) {
        from_candidate_files(&args)?
    } else if kinds.iter().all(|&k| !k) {
        (from_datasets(&args, ui)?, ScoreType::F64)
    } else {
        return Err(Error::invalid_argument(
            "give either candidate files or CLK datasets, not both",
        )
        .into());
    };
    let report = StatsReport::with_score_type(&cands, args.bins, ty)?;

    print!("{}", text_report(&report));
    if report.bipartite.is_none() {
        ui.warn("input is not two-party (dataset 0 against dataset 1): matches, non-matches and cumulative matches skipped");
    }
    if let Some(out) = &args.json {
        let json = report.to_json();
        clklink::output::write_atomically(out, |w| {
            use std::io::Write;
            w.write_all(json.as_bytes())
                .map_err(|e| Error::write(out, e))
        })?;
    }
    if let Some(out) = &args.plot {
        let title = match args.threshold {
            Some(t) => format!("Candidate pairs with score >= {t}"),
            None => "Candidate pairs".to_string(),
        };
        clklink::plot::render_file(&report, args.mark.or(args.threshold), &title, out)
            .with_context(|| format!("plot {}", out.display()))?;
    }
    Ok(())
}

/// Candidates from candidate files: merged in canonical order, duplicates dropped, filtered at
/// --threshold.
fn from_candidate_files(args: &Args) -> anyhow::Result<(Vec<clklink::Candidate>, ScoreType)> {
    let mut cands = Vec::new();
    let mut ty = ScoreType::F64;
    for p in &args.inputs {
        let (layout, mut c) = candidate_file::read_candidates(p)?;
        if layout.score != 8 {
            ty = ScoreType::F32;
        }
        cands.append(&mut c);
    }
    sort_dedup(&mut cands);
    if let Some(t) = args.threshold {
        cands.retain(|c| c.score >= t);
    }
    Ok((cands, ty))
}

/// Candidates computed from CLK datasets at --threshold (default 0.5).
fn from_datasets(args: &Args, ui: &Ui) -> anyhow::Result<Vec<clklink::Candidate>> {
    if args.inputs.len() < 2 {
        return Err(
            Error::invalid_argument("stats on CLK datasets needs at least two datasets").into(),
        );
    }
    let threshold = clklink::dice::check_threshold(args.threshold.unwrap_or(0.5))?;
    let opts = clklink::io::ReadOptions::default();
    let datasets = args
        .inputs
        .iter()
        .map(|p| clklink::io::read_clks(p, &opts))
        .collect::<clklink::Result<Vec<_>>>()?;
    let refs: Vec<&clklink::Clks> = datasets.iter().collect();
    let linker = clklink::Linker::new(threshold).max_candidates(args.max_candidates);
    let total = linker.total_comparisons(&refs)?;
    let bar = ui.bar(total, "comparing");
    let progress = |n| bar.inc(n);
    let cands = linker.progress(&progress).candidates(&refs)?;
    bar.finish_and_clear();
    Ok(cands)
}

/// The plain-text report: histogram bars, matches/non-matches, cumulative matches, first
/// definite non-match. Aggregates only, never individual pairs.
fn text_report(r: &StatsReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "{} candidate pairs, {} bins", r.pairs, r.bins);
    let max = r.counts.iter().copied().max().unwrap_or(0).max(1);
    let width = 40u64;
    match &r.bipartite {
        Some(b) => {
            let _ = writeln!(
                s,
                "\n{:>8} {:>8}  {:>9} {:>9} {:>9}  (# possible match, . definite non-match)",
                "from", "to", "pairs", "matches", "non-match"
            );
            for i in 0..r.bins {
                let m = b.matches[i] * width / max;
                let n = (b.matches[i] + b.nonmatches[i]) * width / max - m;
                let _ = writeln!(
                    s,
                    "{:>8.4} {:>8.4}  {:>9} {:>9} {:>9}  {}{}",
                    r.edges[i],
                    r.edges[i + 1],
                    r.counts[i],
                    b.matches[i],
                    b.nonmatches[i],
                    "#".repeat(m as usize),
                    ".".repeat(n as usize)
                );
            }
            let total_m: u64 = b.matches.iter().sum();
            let _ = writeln!(
                s,
                "\npossible matches: {total_m}, definite non-matches: {}",
                b.total_nonmatches
            );
            let _ = writeln!(s, "\ncumulative matches vs threshold (greedy 1-to-1):");
            let _ = writeln!(s, "{:>10} {:>10}", "threshold", "matches");
            let step = (r.bins / 20).max(1);
            for i in (0..=r.bins).step_by(step) {
                let _ = writeln!(
                    s,
                    "{:>10.4} {:>10}",
                    b.cumulative_edges[i], b.cumulative_matches[i]
                );
            }
            if !r.bins.is_multiple_of(step) {
                let _ = writeln!(
                    s,
                    "{:>10.4} {:>10}",
                    b.cumulative_edges[r.bins], b.cumulative_matches[r.bins]
                );
            }
            match b.first_nonmatch_index {
                Some(i) => {
                    let _ = writeln!(
                        s,
                        "\nfirst definite non-match: pair index {i} in descending score order \
                         ({i} pairs rank above it)"
                    );
                }
                None => {
                    let _ = writeln!(s, "\nno definite non-match among the pairs");
                }
            }
        }
        None => {
            let _ = writeln!(s, "\n{:>8} {:>8}  {:>9}", "from", "to", "pairs");
            for i in 0..r.bins {
                let _ = writeln!(
                    s,
                    "{:>8.4} {:>8.4}  {:>9}  {}",
                    r.edges[i],
                    r.edges[i + 1],
                    r.counts[i],
                    "#".repeat((r.counts[i] * width / max) as usize)
                );
            }
            let _ = writeln!(
                s,
                "\nmatches, non-matches and cumulative matches skipped: they need two-party input \
                 (every pair between dataset 0 and dataset 1)"
            );
        }
    }
    s
}
